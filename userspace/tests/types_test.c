// SPDX-License-Identifier: GPL-2.0
/*
 * Object type descriptors (KEEL_CMD_TYPE_GET replies) as libkeel parses
 * them: the kernel's three types, their JSON, a ring's INFO by them
 * (flags, errno, enum, ns and bytes), and hostile descriptors: cut
 * nests, wrong lengths, unknown encodings, formats and units, repeated
 * fields, bad names and words, tables without entries or inside tables.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../keelctl/keelctl.h"
#include "tap.h"
#include "type_desc.h"

static char buf[16384];

static void test_kernel_types(void)
{
	struct keel_types types;
	const struct keel_type *t;
	const struct keel_field *f;
	struct json_object *j, *v;

	ok(kernel_types(&types) == 0 && types.n == 3, "three types");
	t = keel_types_find(&types, "vdev");
	ok(t && !strcmp(t->part, "vdev") && t->nfields == 14,
	   "vdev: %zu fields", t ? t->nfields : 0);
	f = t ? keel_field_find(t->fields, t->nfields, KEEL_VDEV_INFO_A_REGS) :
		NULL;
	ok(f && f->type == KEEL_FIELD_TYPE_TABLE &&
	   f->entry == KEEL_VDEV_INFO_A_REG && f->nfields == 3 &&
	   f->fields[2].flags == KEEL_FIELD_F_COUNTER,
	   "vdev: regs is a table of offset, reads, writes");
	f = t ? keel_field_find(t->fields, t->nfields, KEEL_VDEV_INFO_A_BUS) :
		NULL;
	ok(f && f->nwords == 2 && !strcmp(keel_field_word(f, 1), "mmio") &&
	   !keel_field_word(f, 2), "vdev: bus words");
	ok(!keel_types_find(&types, "uart") && !keel_types_find(&types, NULL),
	   "no such type");

	j = keel_types_json(&types);
	v = json_object_array_get_idx(j, 1);
	v = json_object_array_get_idx(json_object_object_get(v, "fields"), 8);
	ok(!strcmp(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
		   "{\"attr\":10,\"name\":\"regs\",\"type\":\"table\","
		   "\"unit\":\"none\",\"format\":\"dec\",\"flags\":[],"
		   "\"words\":[],\"entry\":11,\"fields\":["
		   "{\"attr\":2,\"name\":\"offset\",\"type\":\"u32\","
		   "\"unit\":\"none\",\"format\":\"dec\",\"flags\":[],\"words\":[]},"
		   "{\"attr\":3,\"name\":\"reads\",\"type\":\"u64\","
		   "\"unit\":\"none\",\"format\":\"dec\",\"flags\":[\"counter\"],"
		   "\"words\":[]},"
		   "{\"attr\":4,\"name\":\"writes\",\"type\":\"u64\","
		   "\"unit\":\"none\",\"format\":\"dec\",\"flags\":[\"counter\"],"
		   "\"words\":[]}]}"),
	   "types JSON: regs %s",
	   json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
	v = json_object_array_get_idx(j, 2);
	v = json_object_array_get_idx(json_object_object_get(v, "fields"), 14);
	ok(!strcmp(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN),
		   "{\"attr\":13,\"name\":\"full_ns\",\"type\":\"u64\","
		   "\"unit\":\"ns\",\"format\":\"dec\","
		   "\"flags\":[\"counter\",\"brief\"],\"words\":[]}"),
	   "types JSON: full_ns");
	json_object_put(j);
	keel_types_free(&types);
}

static struct nlattr *ring_obj(struct nlmsghdr *nlh)
{
	struct nlattr *obj = mnl_attr_nest_start(nlh, KEEL_A_OBJ), *info;

	mnl_attr_put_u32(nlh, KEEL_OBJ_A_ID, 9);
	mnl_attr_put_strz(nlh, KEEL_OBJ_A_TYPE, "ring");
	mnl_attr_put_strz(nlh, KEEL_OBJ_A_PART, "ring");
	mnl_attr_put_u32(nlh, KEEL_OBJ_A_OWNER_PID, 77);
	info = mnl_attr_nest_start(nlh, KEEL_OBJ_A_INFO);
	mnl_attr_put_u32(nlh, KEEL_RING_INFO_A_SLOTS, 4);
	mnl_attr_put_u32(nlh, KEEL_RING_INFO_A_SLOT_SIZE, 2048);
	mnl_attr_put_u32(nlh, KEEL_RING_INFO_A_FLAGS, KEEL_RING_SETUP_IDX64 |
			 KEEL_RING_SETUP_EVENTFD | 0x20);
	mnl_attr_put_u32(nlh, KEEL_RING_INFO_A_INDEX_BITS, 64);
	mnl_attr_put_u64(nlh, KEEL_RING_INFO_A_UNCOMMITTED, 1);
	mnl_attr_put_u64(nlh, KEEL_RING_INFO_A_BYTES_IN, 1536);
	mnl_attr_put_u64(nlh, KEEL_RING_INFO_A_FULL_NS, 1500000);
	mnl_attr_put_u32(nlh, KEEL_RING_INFO_A_FETCH_STATE, 2);
	mnl_attr_put_u32(nlh, KEEL_RING_INFO_A_FETCH_ERR, EPIPE);
	mnl_attr_put_u32(nlh, KEEL_RING_INFO_A_REPL_ROLE, 1);
	mnl_attr_put_u32(nlh, KEEL_RING_INFO_A_REPL_ERR, 0);
	mnl_attr_nest_end(nlh, info);
	mnl_attr_nest_end(nlh, obj);
	return obj;
}

static void test_ring(void)
{
	struct nlmsghdr *nlh = type_msg_start(buf, sizeof(buf));
	struct keel_types types;
	struct keel_obj o;
	struct json_object *j;
	char text[OBJ_INFO_TEXT_MAX], *out;
	const char *s;
	size_t len;
	FILE *f;

	kernel_types(&types);
	ok(keel_obj_parse(ring_obj(nlh), &o) == 0, "ring: parses");
	o.desc = keel_types_find(&types, "ring");
	j = keel_obj_json(&o);
	s = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
	ok(!strcmp(s, "{\"id\":9,\"type\":\"ring\",\"part\":\"ring\","
		      "\"owner_pid\":77,\"vm_pid\":0,\"label\":null,"
		      "\"created_ns\":0,\"info\":{\"slots\":4,\"slot_size\":2048,"
		      "\"flags\":[\"idx64\",\"eventfd\",\"bit5\"],"
		      "\"index_bits\":64,\"uncommitted\":1,\"bytes_in\":1536,"
		      "\"full_ns\":1500000,\"fetch_state\":\"failed\","
		      "\"fetch_err\":32,\"repl_role\":\"primary\","
		      "\"repl_err\":0}}"), "ring: JSON %s", s);
	json_object_put(j);

	obj_info_text(&o, text, sizeof(text));
	ok(!strcmp(text, "slots=4 slot_size=2048 flags=idx64,eventfd,bit5 "
			 "index_bits=64 uncommitted=1 bytes_in=1536 "
			 "full_ns=1500000 fetch_state=failed fetch_err=Broken pipe "
			 "repl_role=primary repl_err=-"), "ring: text %s", text);

	f = open_memstream(&out, &len);
	obj_print(&o, f);
	fclose(f);
	ok(strstr(out, "\nslot_size       2048 (2 KiB)\n") &&
	   strstr(out, "\nuncommitted     1\n") &&
	   strstr(out, "\nbytes_in        1536 (1.5 KiB)\n") &&
	   strstr(out, "\nfull_ns         1.5 ms\n") &&
	   strstr(out, "\nfetch_err       Broken pipe\n") &&
	   strstr(out, "\nrepl_err        -\n") &&
	   strstr(out, "\nlabel           -\n"), "ring: show");
	if (tap_failed)
		printf("# got:\n%s", out);
	free(out);
	keel_obj_free(&o);
	keel_types_free(&types);
}

/* One field built by @put inside a type "t"; the type parsed into @t. */
static int one_field(void (*put)(struct nlmsghdr *nlh), struct keel_type *t)
{
	struct nlmsghdr *nlh = type_msg_start(buf, sizeof(buf));
	struct nlattr *nest = put_type_start(nlh, "t", NULL, NULL);
	int ret;

	put(nlh);
	mnl_attr_nest_end(nlh, nest);
	ret = keel_type_parse(nest, t);
	return ret;
}

#define FIELD(nlh, ...)							\
	put_tfield(nlh, KEEL_TYPE_A_FIELD, &(struct tfield)FLD(__VA_ARGS__))

static void put_good(struct nlmsghdr *nlh)
{
	FIELD(nlh, 1, "a", U32);
}

/* A good field, then field nests that break the uapi; each left out. */
static void put_bad(struct nlmsghdr *nlh)
{
	struct nlattr *n, *last;

	put_good(nlh);
	FIELD(nlh, 2, "b", 42);				/* unknown encoding */
	FIELD(nlh, 3, "Bad-Name", U32);
	FIELD(nlh, 4, "", U32);
	FIELD(nlh, 0, "zero", U32);			/* no attribute 0 */
	FIELD(nlh, 1, "again", U32);			/* attribute 1 twice */
	FIELD(nlh, 5, "a", U32);			/* name "a" twice */
	FIELD(nlh, 6, "tab", KEEL_FIELD_TYPE_TABLE);	/* entry 0 */
	n = mnl_attr_nest_start(nlh, KEEL_TYPE_A_FIELD);	/* u8 attr */
	mnl_attr_put_u8(nlh, KEEL_FIELD_A_ATTR, 7);
	mnl_attr_put_strz(nlh, KEEL_FIELD_A_NAME, "short");
	mnl_attr_put_u32(nlh, KEEL_FIELD_A_TYPE, U32);
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, KEEL_TYPE_A_FIELD);	/* no type */
	mnl_attr_put_u32(nlh, KEEL_FIELD_A_ATTR, 8);
	mnl_attr_put_strz(nlh, KEEL_FIELD_A_NAME, "notype");
	mnl_attr_nest_end(nlh, n);
	n = mnl_attr_nest_start(nlh, KEEL_TYPE_A_FIELD);	/* cut short */
	mnl_attr_put_u32(nlh, KEEL_FIELD_A_ATTR, 9);
	mnl_attr_put_strz(nlh, KEEL_FIELD_A_NAME, "cut");
	last = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put_u32(nlh, KEEL_FIELD_A_TYPE, U32);
	mnl_attr_nest_end(nlh, n);
	last->nla_len += 4;	/* runs past its field */
	mnl_attr_put_u32(nlh, KEEL_TYPE_A_FIELD, 1);		/* not a nest */
	FIELD(nlh, 10, "ok", U64, .unit = 99, .format = 99, .flags = 0xff);
}

/* A table whose entry fields break the rules. */
static void put_table(struct nlmsghdr *nlh)
{
	const struct tfield inner[] = { FLD(1, "x", U32), END };
	const struct tfield sub[] = {
		FLD(2, "nested", KEEL_FIELD_TYPE_TABLE, TABLE(3, inner)),
		FLD(4, "n", U32, ENUM("zero", "", "two\x01", "three")),
		END
	};

	FIELD(nlh, 11, "rows", KEEL_FIELD_TYPE_TABLE, TABLE(12, sub));
	FIELD(nlh, 12, "str", KEEL_FIELD_TYPE_STRING, HEX);
}

static void test_hostile(void)
{
	const struct keel_field *f;
	struct keel_type t;
	int ret;

	ok(one_field(put_good, &t) == 0 && !strcmp(t.name, "t") && !t.part &&
	   t.nfields == 1, "a good field");
	keel_type_free(&t);

	ret = one_field(put_bad, &t);
	ok(ret == 0 && t.nfields == 2 && t.fields[0].attr == 1 &&
	   t.fields[1].attr == 10, "bad fields left out: %zu kept", t.nfields);
	f = t.nfields == 2 ? &t.fields[1] : NULL;
	ok(f && f->unit == KEEL_FIELD_UNIT_NONE &&
	   f->format == KEEL_FIELD_FORMAT_DEC &&
	   f->flags == (KEEL_FIELD_F_COUNTER | KEEL_FIELD_F_BRIEF),
	   "unknown unit and format read as none and dec, unknown flags go");
	keel_type_free(&t);

	ret = one_field(put_table, &t);
	f = ret ? NULL : keel_field_find(t.fields, t.nfields, 11);
	ok(f && f->nfields == 1 && f->fields[0].attr == 4,
	   "a table inside a table is left out");
	ok(f && f->fields[0].nwords == 4 &&
	   !strcmp(keel_field_word(&f->fields[0], 0), "zero") &&
	   !keel_field_word(&f->fields[0], 1) &&
	   !keel_field_word(&f->fields[0], 2) &&
	   !strcmp(keel_field_word(&f->fields[0], 3), "three"),
	   "empty and unprintable words keep their place, unnamed");
	f = ret ? NULL : keel_field_find(t.fields, t.nfields, 12);
	ok(f && f->format == KEEL_FIELD_FORMAT_DEC,
	   "a format on a string reads as dec");
	keel_type_free(&t);
}

/* Whole types that cannot be used, in one dump message. */
static void test_bad_types(void)
{
	struct nlmsghdr *nlh = type_msg_start(buf, sizeof(buf));
	struct keel_types types = { 0 };
	struct nlattr *n, *last;
	int ret;

	n = mnl_attr_nest_start(nlh, KEEL_A_TYPE);	/* no name */
	mnl_attr_put_strz(nlh, KEEL_TYPE_A_PART, "x");
	mnl_attr_nest_end(nlh, n);
	mnl_attr_nest_end(nlh, put_type_start(nlh, "vm", "core", vm_tfields));
	mnl_attr_nest_end(nlh, put_type_start(nlh, "vm", "x", NULL));
	n = put_type_start(nlh, "cut", "x", vm_tfields);
	last = mnl_nlmsg_get_payload_tail(nlh);
	FIELD(nlh, 9, "last", U32);
	mnl_attr_nest_end(nlh, n);
	last->nla_len += 4;	/* the last field runs past the type */
	mnl_attr_nest_end(nlh, put_type_start(nlh, "two words", "x", NULL));
	mnl_attr_put_u32(nlh, KEEL_A_TYPE, 1);	/* not a nest */
	mnl_attr_nest_end(nlh, put_type_start(nlh, "ring", "ring", NULL));

	ret = keel_types_parse(nlh, &types);
	ok(ret == 0 && types.n == 2 &&
	   !strcmp(types.v[0].name, "vm") && !strcmp(types.v[0].part, "core") &&
	   types.v[0].nfields == 2 && !strcmp(types.v[1].name, "ring"),
	   "only the usable types, the first of a name: %zu", types.n);
	keel_types_free(&types);

	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
	ok(keel_types_parse(nlh, &types) == -EPROTO && !types.n,
	   "a message without a genl header");
}

int main(void)
{
	test_kernel_types();
	test_ring();
	test_hostile();
	test_bad_types();
	return tap_done();
}
