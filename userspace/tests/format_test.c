// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl's human output helpers: binary units, ages, aligned tables and
 * the key=value rendering of object INFO attributes.
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

int main(void)
{
	test_bytes();
	test_age();
	test_table();
	test_info_text();
	return tap_done();
}
