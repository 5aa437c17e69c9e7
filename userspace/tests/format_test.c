// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl's human output helpers: binary units, durations, ages, aligned
 * tables, column headings and the text of object INFO values by their
 * descriptor's unit and format.
 */
#include <stdlib.h>
#include <string.h>

#include "../keelctl/keelctl.h"
#include "tap.h"
#include "type_desc.h"

static void test_bytes(void)
{
	static const struct {
		uint64_t in;
		const char *out;
	} cases[] = {
		{ 0, "0 B" }, { 1023, "1023 B" }, { 1024, "1 KiB" },
		{ 1536, "1.5 KiB" }, { 2 << 20, "2 MiB" }, { 1ull << 30, "1 GiB" },
		{ 2040109465ull, "1.9 GiB" }, { 3ull << 40, "3 TiB" },
		{ 1ull << 60, "1 EiB" }, { UINT64_MAX, "16.0 EiB" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fmt_bytes(cases[i].in, buf, sizeof(buf));
		ok(!strcmp(buf, cases[i].out), "fmt_bytes(%llu) = '%s' (want '%s')",
		   (unsigned long long)cases[i].in, buf, cases[i].out);
	}
}

static void test_age(void)
{
	static const struct {
		uint64_t s;
		const char *out;
	} cases[] = {
		{ 0, "0s" }, { 59, "59s" }, { 75, "1m15s" }, { 3600, "1h00m" },
		{ 7322, "2h02m" }, { 90000, "1d01h" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fmt_age(cases[i].s * 1000000000ull + 999, buf, sizeof(buf));
		ok(!strcmp(buf, cases[i].out), "fmt_age(%llus) = '%s'",
		   (unsigned long long)cases[i].s, buf);
	}
}

static void test_ns(void)
{
	static const struct {
		uint64_t in;
		const char *out;
	} cases[] = {
		{ 0, "0 ms" }, { 1, "<0.1 ms" }, { 49999, "<0.1 ms" },
		{ 50000, "0.1 ms" }, { 1500000, "1.5 ms" }, { 12000000, "12 ms" },
		{ 999940000, "999.9 ms" }, { 999950000, "1 s" },
		{ 1500000000, "1.5 s" }, { 99940000000ull, "99.9 s" },
		{ 100000000000ull, "100 s" }, { 3600000000000ull, "3600 s" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fmt_ns(cases[i].in, buf, sizeof(buf));
		ok(!strcmp(buf, cases[i].out), "fmt_ns(%llu) = '%s' (want '%s')",
		   (unsigned long long)cases[i].in, buf, cases[i].out);
	}
}

static void test_table(void)
{
	static const char *const hdr[] = { "ID", "TYPE", "INFO" };
	struct table *t = table_new(3, hdr);
	char *out = NULL;
	size_t len;
	FILE *f;

	table_cell(t, "%u", 1);
	table_cell(t, "%s", "vm");
	table_cell(t, "%s", "vcpus=2");
	table_cell(t, "%u", 12345);
	table_cell(t, "%s", "uart");
	table_cell(t, "%s", "-");
	f = open_memstream(&out, &len);
	table_print(t, f, 2);
	fclose(f);
	table_free(t);
	if (!ok(!strcmp(out, "  ID     TYPE  INFO\n"
			     "  1      vm    vcpus=2\n"
			     "  12345  uart  -\n"), "table columns aligned"))
		printf("# got:\n%s", out);
	free(out);
}

static void test_info_text(void)
{
	uint32_t vcpus = 2;
	uint8_t dead = 0;
	uint16_t odd = 9;
	struct keel_info_attr info[] = {
		{ .type = KEEL_VM_INFO_A_VCPUS, .len = 4, .data = &vcpus },
		{ .type = KEEL_VM_INFO_A_DEAD, .len = 1, .data = &dead },
		{ .type = 40, .len = 2, .data = &odd },
	};
	struct keel_obj o = { .type = "vm", .info = info, .ninfo = 3 };
	struct keel_types types;
	char buf[128];

	kernel_types(&types);
	o.desc = keel_types_find(&types, "vm");
	obj_info_text(&o, buf, sizeof(buf));
	ok(!strcmp(buf, "vcpus=2 dead=no attr40=9"), "info text '%s'", buf);
	o.desc = NULL;
	obj_info_text(&o, buf, sizeof(buf));
	ok(!strcmp(buf, "attr1=2 attr2=0 attr40=9"),
	   "info text without a descriptor '%s'", buf);
	o.ninfo = 0;
	obj_info_text(&o, buf, sizeof(buf));
	ok(!strcmp(buf, "-"), "no info is '-'");
	keel_types_free(&types);

	o.created_ns = 1000000000ull;
	obj_age_text(&o, 76000000000ull, buf, sizeof(buf));
	ok(!strcmp(buf, "1m15s"), "age '%s'", buf);
	obj_age_text(&o, 0, buf, sizeof(buf));
	ok(!strcmp(buf, "-"), "unknown age is '-'");
}

/* One value of field @f in the three styles. */
static void expect_styles(const struct tfield *tf, uint64_t u,
			  const char *plain, const char *cell,
			  const char *detail)
{
	static char msg[1024];
	struct nlmsghdr *nlh = type_msg_start(msg, sizeof(msg));
	const struct tfield fields[] = { *tf, END };
	struct nlattr *nest = put_type_start(nlh, "t", NULL, fields);
	struct keel_type t;
	struct keel_info_val v;
	struct keel_info_attr a = { .type = tf->attr, .data = &u };
	char p[64], c[64], d[64];
	uint32_t u32 = (uint32_t)u;

	mnl_attr_nest_end(nlh, nest);
	keel_type_parse(nest, &t);
	a.len = tf->type == U64 ? 8 : 4;
	if (a.len == 4)
		a.data = &u32;
	keel_info_decode(&t, &a, &v);
	obj_val_text(&v, VAL_PLAIN, p, sizeof(p));
	obj_val_text(&v, VAL_CELL, c, sizeof(c));
	obj_val_text(&v, VAL_DETAIL, d, sizeof(d));
	ok(v.field && !strcmp(p, plain) && !strcmp(c, cell) &&
	   !strcmp(d, detail), "%s %llu: '%s' '%s' '%s'", tf->name,
	   (unsigned long long)u, p, c, d);
	keel_type_free(&t);
}

static void test_val_text(void)
{
	const struct tfield fields[] = {
		FLD(1, "bytes_out", U64, BYTES),
		FLD(2, "full_ns", U64, NS),
		FLD(3, "base", U64, HEX),
		FLD(4, "fetch_err", U32, ERRNO),
		FLD(5, "flags", U32, FLAGS("idx64", "", "eventfd")),
		FLD(6, "repl_role", U32, ENUM("none", "primary", "backup")),
		FLD(7, "started", U32, BOOL),
	};
	char h[32];

	expect_styles(&fields[0], 175, "175", "175 B", "175");
	expect_styles(&fields[0], 1536, "1536", "1.5 KiB", "1536 (1.5 KiB)");
	expect_styles(&fields[1], 1500000, "1500000", "1.5 ms", "1.5 ms");
	expect_styles(&fields[2], 0x3f8, "0x3f8", "0x3f8", "0x3f8");
	expect_styles(&fields[3], 0, "-", "-", "-");
	expect_styles(&fields[3], 32, "Broken pipe", "Broken pipe",
		      "Broken pipe");
	expect_styles(&fields[4], 0, "-", "-", "-");
	expect_styles(&fields[4], 7, "idx64,bit1,eventfd", "idx64,bit1,eventfd",
		      "idx64,bit1,eventfd");
	expect_styles(&fields[5], 2, "backup", "backup", "backup");
	expect_styles(&fields[5], 3, "3", "3", "3");
	expect_styles(&fields[6], 2, "yes", "yes", "yes");

	obj_heading("exits_kept", h, sizeof(h));
	ok(!strcmp(h, "EXITS-KEPT"), "heading '%s'", h);
	obj_heading("slot_size", h, 5);
	ok(!strcmp(h, "SLOT"), "heading cut to its buffer '%s'", h);
}

int main(void)
{
	test_bytes();
	test_age();
	test_ns();
	test_table();
	test_info_text();
	test_val_text();
	return tap_done();
}
