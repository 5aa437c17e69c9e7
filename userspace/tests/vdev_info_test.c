// SPDX-License-Identifier: GPL-2.0
/*
 * The INFO attributes of a "vdev" object decoded by the type's
 * descriptor as keel_vdev.ko gives it: names, words, hex, the register
 * table as rows, as keelctl prints them (name=value, the list's columns,
 * show with the registers as a small table) and as JSON; values the
 * words do not cover; attributes that do not fit their descriptor.
 */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../keelctl/keelctl.h"
#include "tap.h"
#include "type_desc.h"

static char buf[8192];
static struct keel_types types;

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
	mnl_attr_put_strz(nlh, KEEL_OBJ_A_PART, "vdev");
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

/* A started UART at 0x3f8; @bus and @mode as given. */
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

/* Parse @nest and describe it as keel_obj_describe() would. */
static int parse(const struct nlattr *nest, struct keel_obj *o)
{
	int ret = keel_obj_parse(nest, o);

	if (!ret)
		o->desc = keel_types_find(&types, o->type);
	return ret;
}

static void test_named(void)
{
	static const char *const want[][2] = {
		{ "model", "uart16550a" }, { "model_id", "1" },
		{ "bus", "pio" }, { "base", "0x3f8" }, { "len", "8" },
		{ "started", "yes" }, { "irq_mode", "level" },
		{ "irq_line", "no" }, { "regs", "[3]" },
		{ "bytes_out", "120" }, { "bytes_in", "3" }, { "irqs", "4" },
		{ "exits_kept", "243" }, { "attr40", "9" },
	};
	const size_t nwant = sizeof(want) / sizeof(want[0]);
	char val[KEEL_INFO_TEXT_MAX], text[OBJ_INFO_TEXT_MAX];
	struct keel_obj o;
	uint64_t sum = 0;
	size_t i;
	int ret;

	ret = parse(put_vdev(KEEL_VDEV_BUS_PIO, 2), &o);
	ok(ret == 0 && o.ninfo == nwant && o.desc,
	   "vdev: parses, %zu info attributes", o.ninfo);
	for (i = 0; i < o.ninfo && i < nwant; i++) {
		struct keel_info_val v;

		keel_info_decode(o.desc, &o.info[i], &v);
		keel_info_format(&v, val, sizeof(val));
		ok(!strcmp(v.name, want[i][0]) && !strcmp(val, want[i][1]) &&
		   !v.field == (i + 1 == nwant), "vdev: %s=%s (want %s=%s)",
		   v.name, val, want[i][0], want[i][1]);
		if (v.kind == KEEL_INFO_TABLE) {
			for (size_t r = 0; r < v.nrows; r++)
				sum += v.rows[r].v[1].u + v.rows[r].v[2].u;
			ok(v.nrows == 3 && v.rows[1].n == 3 &&
			   !strcmp(v.rows[1].v[0].name, "offset") &&
			   v.rows[1].v[0].u == 5 && v.rows[1].v[1].u == 121,
			   "vdev: regs rows");
		}
		keel_info_val_free(&v);
	}
	ok(sum == 243, "vdev: register accesses add up to %llu",
	   (unsigned long long)sum);

	obj_info_text(&o, text, sizeof(text));
	ok(!strcmp(text, "model=uart16550a model_id=1 bus=pio base=0x3f8 "
			 "len=8 started=yes irq_mode=level irq_line=no "
			 "regs=[3] bytes_out=120 bytes_in=3 irqs=4 "
			 "exits_kept=243 attr40=9"),
	   "vdev: info text '%s'", text);
	keel_obj_free(&o);
}

static char *print_to_string(void (*print)(const struct keel_obj *, FILE *),
			     const struct keel_obj *o)
{
	char *out = NULL;
	size_t len;
	FILE *f = open_memstream(&out, &len);

	print(o, f);
	fclose(f);
	return out;
}

/* "vdev show" and "vdev list" of the same device. */
static void test_text(void)
{
	struct keel_objs list = { 0 };
	struct keel_obj o;
	struct table *t;
	char *out;
	size_t len;
	FILE *f;

	ok(parse(put_vdev(KEEL_VDEV_BUS_PIO, 0), &o) == 0, "vdev text: parses");
	out = print_to_string(obj_print, &o);
	if (!ok(!strcmp(out,
			"id              5\n"
			"type            vdev\n"
			"part            vdev\n"
			"owner pid       0\n"
			"vm pid          -\n"
			"label           ttyS0\n"
			"age             -\n"
			"model           uart16550a\n"
			"model_id        1\n"
			"bus             pio\n"
			"base            0x3f8\n"
			"len             8\n"
			"started         yes\n"
			"irq_mode        none\n"
			"irq_line        no\n"
			"regs\n"
			"  OFFSET  READS  WRITES\n"
			"  0       0      120\n"
			"  5       121    0\n"
			"  3       0      2\n"
			"bytes_out       120\n"
			"bytes_in        3\n"
			"irqs            4\n"
			"exits_kept      243\n"
			"attr40          9\n"), "vdev show: every field"))
		printf("# got:\n%s", out);
	free(out);

	/* An attached device (vdev add) says so after its age. */
	o.attached = true;
	out = print_to_string(obj_print, &o);
	if (!ok(strstr(out, "age             -\n"
			    "attached        yes\n"
			    "model           uart16550a\n") != NULL,
		"vdev show: attached"))
		printf("# got:\n%s", out);
	free(out);
	o.attached = false;

	list.v = &o;
	list.n = 1;
	t = obj_brief_table(&list, o.desc);
	f = open_memstream(&out, &len);
	table_print(t, f, 0);
	fclose(f);
	table_free(t);
	if (!ok(!strcmp(out,
			"ID  LABEL  MODEL       BUS  BASE   LEN  STARTED  "
			"IRQ-MODE  BYTES-OUT  BYTES-IN  IRQS  EXITS-KEPT\n"
			"5   ttyS0  uart16550a  pio  0x3f8  8    yes      "
			"none      120 B      3 B       4     243\n"),
		"vdev list: the brief fields"))
		printf("# got:\n%s", out);
	free(out);
	keel_obj_free(&o);
}

static void test_json(void)
{
	struct json_object *j, *info, *v, *r;
	struct keel_obj o;
	uint64_t sum = 0;
	size_t i;

	ok(parse(put_vdev(KEEL_VDEV_BUS_MMIO, 1), &o) == 0,
	   "vdev json: parses");
	j = keel_obj_json(&o);
	ok(j && json_object_object_get_ex(j, "info", &info),
	   "vdev json: has info");
	ok(json_object_object_get_ex(j, "type", &v) &&
	   !strcmp(json_object_get_string(v), "vdev") &&
	   json_object_object_get_ex(j, "label", &v) &&
	   !strcmp(json_object_get_string(v), "ttyS0") &&
	   !json_object_object_get_ex(j, "state", NULL),
	   "vdev json: the common members, no state");
	ok(json_object_object_get_ex(info, "bus", &v) &&
	   !strcmp(json_object_get_string(v), "mmio"), "vdev json: bus mmio");
	ok(json_object_object_get_ex(info, "irq_mode", &v) &&
	   !strcmp(json_object_get_string(v), "edge"),
	   "vdev json: irq_mode edge");
	ok(json_object_object_get_ex(info, "base", &v) &&
	   json_object_is_type(v, json_type_int) &&
	   json_object_get_int64(v) == 0x3f8, "vdev json: base a number");
	ok(json_object_object_get_ex(info, "started", &v) &&
	   json_object_is_type(v, json_type_boolean) &&
	   json_object_get_boolean(v), "vdev json: started true");
	ok(json_object_object_get_ex(info, "irq_line", &v) &&
	   json_object_is_type(v, json_type_boolean) &&
	   !json_object_get_boolean(v), "vdev json: irq_line false");
	ok(json_object_object_get_ex(info, "regs", &v) &&
	   json_object_is_type(v, json_type_array) &&
	   json_object_array_length(v) == 3, "vdev json: regs, 3 entries");
	for (i = 0; v && i < json_object_array_length(v); i++) {
		r = json_object_array_get_idx(v, i);
		sum += json_object_get_uint64(json_object_object_get(r, "reads")) +
		       json_object_get_uint64(json_object_object_get(r, "writes"));
	}
	r = json_object_array_get_idx(v, 1);
	ok(sum == 243 && json_object_get_uint64(
		json_object_object_get(r, "offset")) == 5,
	   "vdev json: register reads and writes add up to 243");
	ok(json_object_object_get_ex(info, "attr40", &v) &&
	   json_object_get_int(v) == 9, "vdev json: attr40 9");
	json_object_put(j);
	keel_obj_free(&o);
}

/* Numbers the words do not cover stay numbers, still named. */
static void test_unknown_values(void)
{
	struct json_object *j, *info, *v;
	struct keel_info_val val;
	char text[KEEL_INFO_TEXT_MAX];
	struct keel_obj o;

	ok(parse(put_vdev(7, 9), &o) == 0, "vdev odd: parses");
	keel_info_decode(o.desc, &o.info[2], &val);
	keel_info_format(&val, text, sizeof(text));
	ok(val.field && !strcmp(val.name, "bus") && val.kind == KEEL_INFO_UINT &&
	   !strcmp(text, "7"), "vdev odd: bus=%s", text);
	keel_info_decode(o.desc, &o.info[6], &val);
	keel_info_format(&val, text, sizeof(text));
	ok(val.field && !strcmp(val.name, "irq_mode") && !strcmp(text, "9"),
	   "vdev odd: irq_mode=%s", text);
	j = keel_obj_json(&o);
	info = json_object_object_get(j, "info");
	ok(json_object_object_get_ex(info, "irq_mode", &v) &&
	   json_object_is_type(v, json_type_int) && json_object_get_int(v) == 9,
	   "vdev odd: JSON irq_mode 9");
	json_object_put(j);
	keel_obj_free(&o);
}

/* The generic name, kind and text of INFO attribute @i of @o. */
static void expect_generic(const struct keel_obj *o, size_t i,
			   const char *name, enum keel_info_kind kind,
			   const char *text, const char *what)
{
	struct keel_info_val v;
	char val[KEEL_INFO_TEXT_MAX];

	keel_info_decode(o->desc, &o->info[i], &v);
	keel_info_format(&v, val, sizeof(val));
	ok(!v.field && !strcmp(v.name, name) && v.kind == kind &&
	   (!text || !strcmp(val, text)), "vdev bad: %s: %s=%s", what, v.name,
	   val);
	keel_info_val_free(&v);
}

/* Attributes that break their descriptor: shown generically. */
static void test_malformed(void)
{
	struct nlmsghdr *nlh;
	struct nlattr *obj = obj_start(&nlh), *info, *regs, *reg;
	struct keel_obj o;
	int ret;

	info = mnl_attr_nest_start(nlh, KEEL_OBJ_A_INFO);
	regs = mnl_attr_nest_start(nlh, KEEL_VDEV_INFO_A_REGS);
	reg = mnl_attr_nest_start(nlh, KEEL_VDEV_INFO_A_REG);
	mnl_attr_put_u32(nlh, KEEL_VDEV_REG_A_READS, 3);
	mnl_attr_nest_end(nlh, reg);
	mnl_attr_nest_end(nlh, regs);
	mnl_attr_put_u8(nlh, KEEL_VDEV_INFO_A_BUS, 1);
	mnl_attr_put_u64(nlh, KEEL_VDEV_INFO_A_REGS, 5);	/* not a nest */
	/* Entries that are not nests. */
	regs = mnl_attr_nest_start(nlh, KEEL_VDEV_INFO_A_REGS);
	mnl_attr_put_u32(nlh, KEEL_VDEV_INFO_A_REG, 1);
	mnl_attr_nest_end(nlh, regs);
	/* An entry whose last attribute is longer than the entry. */
	regs = mnl_attr_nest_start(nlh, KEEL_VDEV_INFO_A_REGS);
	reg = mnl_attr_nest_start(nlh, KEEL_VDEV_INFO_A_REG);
	mnl_attr_put_u32(nlh, KEEL_VDEV_REG_A_OFFSET, 1);
	mnl_attr_nest_end(nlh, reg);
	((struct nlattr *)mnl_attr_get_payload(reg))->nla_len = 12;
	mnl_attr_nest_end(nlh, regs);
	/* A string without its NUL, a u32 where a u64 belongs. */
	mnl_attr_put(nlh, KEEL_VDEV_INFO_A_MODEL, 3, "uar");
	mnl_attr_put_u32(nlh, KEEL_VDEV_INFO_A_BASE, 0x3f8);
	/* A nested attribute where a number belongs. */
	reg = mnl_attr_nest_start(nlh, KEEL_VDEV_INFO_A_LEN);
	mnl_attr_nest_end(nlh, reg);
	/* An empty table and an entry with an attribute nobody describes. */
	regs = mnl_attr_nest_start(nlh, KEEL_VDEV_INFO_A_REGS);
	mnl_attr_nest_end(nlh, regs);
	regs = mnl_attr_nest_start(nlh, KEEL_VDEV_INFO_A_REGS);
	reg = mnl_attr_nest_start(nlh, KEEL_VDEV_INFO_A_REG);
	mnl_attr_put_u32(nlh, KEEL_VDEV_REG_A_OFFSET, 2);
	mnl_attr_put_u8(nlh, 9, 7);
	mnl_attr_nest_end(nlh, reg);
	mnl_attr_nest_end(nlh, regs);
	mnl_attr_nest_end(nlh, info);
	mnl_attr_nest_end(nlh, obj);

	ret = parse(obj, &o);
	ok(ret == 0 && o.ninfo == 10, "vdev bad: parses (%zu)", o.ninfo);
	expect_generic(&o, 0, "attr10", KEEL_INFO_RAW, NULL,
		       "u32 reads make the nest raw");
	expect_generic(&o, 1, "attr4", KEEL_INFO_UINT, "1",
		       "u8 bus is generic");
	expect_generic(&o, 2, "attr10", KEEL_INFO_UINT, "5",
		       "REGS as u64 is generic");
	expect_generic(&o, 3, "attr10", KEEL_INFO_RAW, "0x08000b0001000000",
		       "entries that are not nests");
	expect_generic(&o, 4, "attr10", KEEL_INFO_RAW, NULL,
		       "a truncated entry");
	expect_generic(&o, 5, "attr2", KEEL_INFO_RAW, "0x756172",
		       "a string without NUL");
	expect_generic(&o, 6, "attr5", KEEL_INFO_UINT, "1016",
		       "a u32 base");
	expect_generic(&o, 7, "attr6", KEEL_INFO_RAW, "0x",
		       "a nest for a number");
	{
		struct keel_info_val v;
		char val[KEEL_INFO_TEXT_MAX];

		keel_info_decode(o.desc, &o.info[8], &v);
		ok(v.field && v.kind == KEEL_INFO_TABLE && v.nrows == 0,
		   "vdev bad: an empty table has no rows");
		keel_info_val_free(&v);
		keel_info_decode(o.desc, &o.info[9], &v);
		keel_info_format(&v.rows[0].v[1], val, sizeof(val));
		ok(v.field && v.nrows == 1 && v.rows[0].n == 2 &&
		   !strcmp(v.rows[0].v[1].name, "attr9") &&
		   !strcmp(val, "7"),
		   "vdev bad: an undescribed entry attribute is generic");
		keel_info_val_free(&v);
	}
	keel_obj_free(&o);
}

int main(void)
{
	ok(kernel_types(&types) == 0 && types.n == 3,
	   "the kernel's vm, vdev and ring descriptors parse");
	test_named();
	test_text();
	test_json();
	test_unknown_values();
	test_malformed();
	keel_types_free(&types);
	return tap_done();
}
