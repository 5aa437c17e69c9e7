// SPDX-License-Identifier: GPL-2.0
/*
 * The INFO attributes of a "vdev" object (enum keel_vdev_info_attr) as
 * libkeel names and decodes them, as keelctl prints them and as JSON;
 * the per-register nest summed up; values the table does not expect.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <linux/genetlink.h>
#include <linux/keel_vdev.h>

#include "../keelctl/keelctl.h"
#include "tap.h"

static char buf[8192];

static struct nlattr *obj_start(struct nlmsghdr **nlhp)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	mnl_nlmsg_put_extra_header(nlh, sizeof(struct genlmsghdr));
	nest = mnl_attr_nest_start(nlh, KEEL_A_OBJ);
	mnl_attr_put_u32(nlh, KEEL_OBJ_A_ID, 5);
	mnl_attr_put_strz(nlh, KEEL_OBJ_A_TYPE, "vdev");
	mnl_attr_put_strz(nlh, KEEL_OBJ_A_LABEL, "ttyS0");
	*nlhp = nlh;
	return nest;
}

static void put_reg(struct nlmsghdr *nlh, uint32_t off, uint64_t r,
		    uint64_t w)
{
	struct nlattr *reg = mnl_attr_nest_start(nlh, KEEL_VDEV_INFO_A_REG);

	mnl_attr_put_u32(nlh, KEEL_VDEV_REG_A_OFFSET, off);
	mnl_attr_put_u64(nlh, KEEL_VDEV_REG_A_READS, r);
	mnl_attr_put_u64(nlh, KEEL_VDEV_REG_A_WRITES, w);
	mnl_attr_nest_end(nlh, reg);
}

/* A started UART at 0x3f8 with level irq; @bus and @mode as given. */
static struct nlattr *put_vdev(uint32_t bus, uint32_t mode)
{
	struct nlmsghdr *nlh;
	struct nlattr *obj = obj_start(&nlh), *info, *regs;

	info = mnl_attr_nest_start(nlh, KEEL_OBJ_A_INFO);
	mnl_attr_put_strz(nlh, KEEL_VDEV_INFO_A_MODEL, "uart16550a");
	mnl_attr_put_u32(nlh, KEEL_VDEV_INFO_A_MODEL_ID,
			 KEEL_VDEV_MODEL_UART16550A);
	mnl_attr_put_u32(nlh, KEEL_VDEV_INFO_A_BUS, bus);
	mnl_attr_put_u64(nlh, KEEL_VDEV_INFO_A_BASE, 0x3f8);
	mnl_attr_put_u32(nlh, KEEL_VDEV_INFO_A_LEN, 8);
	mnl_attr_put_u8(nlh, KEEL_VDEV_INFO_A_STARTED, 1);
	mnl_attr_put_u32(nlh, KEEL_VDEV_INFO_A_IRQ_MODE, mode);
	mnl_attr_put_u8(nlh, KEEL_VDEV_INFO_A_IRQ_LINE, 0);
	regs = mnl_attr_nest_start(nlh, KEEL_VDEV_INFO_A_REGS);
	put_reg(nlh, 0, 0, 120);
	put_reg(nlh, 5, 121, 0);
	put_reg(nlh, 3, 0, 2);
	mnl_attr_nest_end(nlh, regs);
	mnl_attr_put_u64(nlh, KEEL_VDEV_INFO_A_BYTES_OUT, 120);
	mnl_attr_put_u64(nlh, KEEL_VDEV_INFO_A_BYTES_IN, 3);
	mnl_attr_put_u64(nlh, KEEL_VDEV_INFO_A_IRQS, 4);
	mnl_attr_put_u64(nlh, KEEL_VDEV_INFO_A_EXITS_KEPT, 243);
	mnl_attr_put_u32(nlh, 40, 9);	/* newer than this tool */
	mnl_attr_nest_end(nlh, info);
	mnl_attr_nest_end(nlh, obj);
	return obj;
}

static void test_named(void)
{
	static const char *const want[][2] = {
		{ "model", "uart16550a" }, { "model_id", "1" },
		{ "bus", "pio" }, { "base", "1016" }, { "len", "8" },
		{ "started", "yes" }, { "irq", "level" }, { "line", "no" },
		{ "reg_accesses", "243" }, { "bytes_out", "120" },
		{ "bytes_in", "3" }, { "irqs", "4" }, { "exits_kept", "243" },
		{ "attr40", "9" },
	};
	const size_t nwant = sizeof(want) / sizeof(want[0]);
	char val[KEEL_INFO_TEXT_MAX], text[512];
	struct keel_obj o;
	size_t i;
	int ret;

	ret = keel_obj_parse(put_vdev(KEEL_VDEV_BUS_PIO, 2), &o);
	ok(ret == 0 && o.ninfo == nwant, "vdev: parses, %zu info attributes",
	   o.ninfo);
	for (i = 0; i < o.ninfo && i < nwant; i++) {
		struct keel_info_val v;

		keel_info_decode(o.type, &o.info[i], &v);
		keel_info_format(&v, val, sizeof(val));
		ok(!strcmp(v.name, want[i][0]) && !strcmp(val, want[i][1]) &&
		   v.known == (i + 1 < nwant), "vdev: %s=%s (want %s=%s)",
		   v.name, val, want[i][0], want[i][1]);
	}

	obj_info_text(&o, text, sizeof(text));
	ok(!strcmp(text, "model=uart16550a model_id=1 bus=pio base=1016 "
			 "len=8 started=yes irq=level line=no "
			 "reg_accesses=243 bytes_out=120 bytes_in=3 irqs=4 "
			 "exits_kept=243 attr40=9"),
	   "vdev: info text '%s'", text);
	keel_obj_free(&o);
}

static void test_json(void)
{
	struct json_object *j, *info, *v;
	struct keel_obj o;

	ok(keel_obj_parse(put_vdev(KEEL_VDEV_BUS_MMIO, 1), &o) == 0,
	   "vdev json: parses");
	j = keel_obj_json(&o);
	ok(j && json_object_object_get_ex(j, "info", &info),
	   "vdev json: has info");
	ok(json_object_object_get_ex(info, "bus", &v) &&
	   !strcmp(json_object_get_string(v), "mmio"), "vdev json: bus mmio");
	ok(json_object_object_get_ex(info, "irq", &v) &&
	   !strcmp(json_object_get_string(v), "edge"), "vdev json: irq edge");
	ok(json_object_object_get_ex(info, "base", &v) &&
	   json_object_is_type(v, json_type_int) &&
	   json_object_get_int64(v) == 0x3f8, "vdev json: base a number");
	ok(json_object_object_get_ex(info, "started", &v) &&
	   json_object_is_type(v, json_type_boolean) &&
	   json_object_get_boolean(v), "vdev json: started true");
	ok(json_object_object_get_ex(info, "reg_accesses", &v) &&
	   json_object_get_int64(v) == 243, "vdev json: reg_accesses 243");
	json_object_put(j);
	keel_obj_free(&o);
}

/* Numbers the words do not cover stay numbers, still named. */
static void test_unknown_values(void)
{
	struct keel_info_val v;
	char val[KEEL_INFO_TEXT_MAX];
	struct keel_obj o;

	ok(keel_obj_parse(put_vdev(7, 9), &o) == 0, "vdev odd: parses");
	keel_info_decode(o.type, &o.info[2], &v);
	keel_info_format(&v, val, sizeof(val));
	ok(v.known && !strcmp(v.name, "bus") && v.kind == KEEL_INFO_UINT &&
	   !strcmp(val, "7"), "vdev odd: bus=%s", val);
	keel_info_decode(o.type, &o.info[6], &v);
	keel_info_format(&v, val, sizeof(val));
	ok(v.known && !strcmp(v.name, "irq") && !strcmp(val, "9"),
	   "vdev odd: irq=%s", val);
	keel_obj_free(&o);
}

/* A REGS nest that breaks the uapi, a u8 bus: shown generically. */
static void test_malformed(void)
{
	struct nlmsghdr *nlh;
	struct nlattr *obj = obj_start(&nlh), *info, *regs, *reg;
	struct keel_info_val v;
	char val[KEEL_INFO_TEXT_MAX];
	struct keel_obj o;

	info = mnl_attr_nest_start(nlh, KEEL_OBJ_A_INFO);
	regs = mnl_attr_nest_start(nlh, KEEL_VDEV_INFO_A_REGS);
	reg = mnl_attr_nest_start(nlh, KEEL_VDEV_INFO_A_REG);
	mnl_attr_put_u32(nlh, KEEL_VDEV_REG_A_READS, 3);
	mnl_attr_nest_end(nlh, reg);
	mnl_attr_nest_end(nlh, regs);
	mnl_attr_put_u8(nlh, KEEL_VDEV_INFO_A_BUS, 1);
	mnl_attr_put_u64(nlh, KEEL_VDEV_INFO_A_REGS, 5);	/* not a nest */
	mnl_attr_nest_end(nlh, info);
	mnl_attr_nest_end(nlh, obj);

	ok(keel_obj_parse(obj, &o) == 0 && o.ninfo == 3,
	   "vdev bad: parses");
	keel_info_decode(o.type, &o.info[0], &v);
	ok(!v.known && !strcmp(v.name, "attr10") && v.kind == KEEL_INFO_RAW,
	   "vdev bad: u32 reads make the nest raw (%s)", v.name);
	keel_info_decode(o.type, &o.info[1], &v);
	keel_info_format(&v, val, sizeof(val));
	ok(!v.known && !strcmp(v.name, "attr4") && !strcmp(val, "1"),
	   "vdev bad: u8 bus is generic %s=%s", v.name, val);
	keel_info_decode(o.type, &o.info[2], &v);
	keel_info_format(&v, val, sizeof(val));
	ok(!v.known && !strcmp(v.name, "attr10") && !strcmp(val, "5"),
	   "vdev bad: REGS as u64 is generic %s=%s", v.name, val);
	keel_obj_free(&o);
}

int main(void)
{
	test_named();
	test_json();
	test_unknown_values();
	test_malformed();
	return tap_done();
}
