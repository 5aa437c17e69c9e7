// SPDX-License-Identifier: GPL-2.0
/*
 * Object types (KEEL_CMD_TYPE_GET): decoding the kernel's descriptors of
 * each type's INFO attributes, the doit and dump requests, the per-socket
 * cache objects are described from, and the names of encodings, units,
 * formats and flags.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>

#include "internal.h"

#define FIELD_NAME_MAX	64
#define FIELD_FLAGS_ALL	(KEEL_FIELD_F_COUNTER | KEEL_FIELD_F_BRIEF)

/* KEEL_FIELD_A_WORD and _FIELD repeat: they are read one by one. */
static const enum mnl_attr_data_type field_policy[] = {
	[KEEL_FIELD_A_ATTR] = MNL_TYPE_U32,
	[KEEL_FIELD_A_NAME] = MNL_TYPE_NUL_STRING,
	[KEEL_FIELD_A_TYPE] = MNL_TYPE_U32,
	[KEEL_FIELD_A_UNIT] = MNL_TYPE_U32,
	[KEEL_FIELD_A_FORMAT] = MNL_TYPE_U32,
	[KEEL_FIELD_A_FLAGS] = MNL_TYPE_U32,
	[KEEL_FIELD_A_ENTRY] = MNL_TYPE_U32,
};

static const enum mnl_attr_data_type type_policy[] = {
	[KEEL_TYPE_A_NAME] = MNL_TYPE_NUL_STRING,
	[KEEL_TYPE_A_PART] = MNL_TYPE_NUL_STRING,
};

static const char *const type_names[] = {
	[KEEL_FIELD_TYPE_U8] = "u8",
	[KEEL_FIELD_TYPE_U32] = "u32",
	[KEEL_FIELD_TYPE_U64] = "u64",
	[KEEL_FIELD_TYPE_STRING] = "string",
	[KEEL_FIELD_TYPE_TABLE] = "table",
};

static const char *const unit_names[] = {
	[KEEL_FIELD_UNIT_NONE] = "none",
	[KEEL_FIELD_UNIT_BYTES] = "bytes",
	[KEEL_FIELD_UNIT_NS] = "ns",
};

static const char *const format_names[] = {
	[KEEL_FIELD_FORMAT_DEC] = "dec",
	[KEEL_FIELD_FORMAT_HEX] = "hex",
	[KEEL_FIELD_FORMAT_BOOL] = "bool",
	[KEEL_FIELD_FORMAT_ENUM] = "enum",
	[KEEL_FIELD_FORMAT_FLAGS] = "flags",
	[KEEL_FIELD_FORMAT_ERRNO] = "errno",
};

static const char *const flag_names[] = { "counter", "brief" };

/* @names[@i], or NULL when it has none. */
#define NAME_OF(names, i)						\
	((i) < sizeof(names) / sizeof((names)[0]) ? (names)[i] : NULL)

static const char *or_unknown(const char *name)
{
	return name ? name : "?";
}

const char *keel_field_type_name(uint32_t type)
{
	return or_unknown(NAME_OF(type_names, type));
}

const char *keel_field_unit_name(uint32_t unit)
{
	return or_unknown(NAME_OF(unit_names, unit));
}

const char *keel_field_format_name(uint32_t format)
{
	return or_unknown(NAME_OF(format_names, format));
}

const char *keel_field_flag_name(unsigned int bit)
{
	return NAME_OF(flag_names, bit);
}

const char *keel_field_word(const struct keel_field *f, uint64_t value)
{
	if (value >= f->nwords || !f->words[value][0])
		return NULL;
	return f->words[value];
}

const struct keel_field *keel_field_find(const struct keel_field *fields,
					 size_t n, uint16_t attr)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (fields[i].attr == attr)
			return &fields[i];
	}
	return NULL;
}

static void field_free(struct keel_field *f)
{
	size_t i;

	free(f->name);
	for (i = 0; i < f->nwords; i++)
		free(f->words[i]);
	free(f->words);
	for (i = 0; i < f->nfields; i++)
		field_free(&f->fields[i]);
	free(f->fields);
	memset(f, 0, sizeof(*f));
}

static bool good_name(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_");

	return n && n < FIELD_NAME_MAX && !s[n];
}

/* A word the tools can print: visible ASCII. Others read as unnamed. */
static bool good_word(const char *s)
{
	for (; *s; s++) {
		if (*s <= 0x20 || *s > 0x7e)
			return false;
	}
	return true;
}

static bool good_attr(uint32_t attr)
{
	return attr && attr <= (uint32_t)NLA_TYPE_MASK;
}

/* Every KEEL_FIELD_A_WORD in order; a bad one keeps its place as "". */
static int parse_words(const struct nlattr *nest, struct keel_field *f)
{
	size_t n = keel_attr_count(nest, KEEL_FIELD_A_WORD);
	const struct nlattr *a;

	if (!n)
		return 0;
	f->words = calloc(n, sizeof(*f->words));
	if (!f->words)
		return -ENOMEM;
	mnl_attr_for_each_nested(a, nest) {
		const char *w = "";

		if (mnl_attr_get_type(a) != KEEL_FIELD_A_WORD)
			continue;
		if (!mnl_attr_validate(a, MNL_TYPE_NUL_STRING) &&
		    good_word(mnl_attr_get_str(a)))
			w = mnl_attr_get_str(a);
		f->words[f->nwords] = strdup(w);
		if (!f->words[f->nwords])
			return -ENOMEM;
		f->nwords++;
	}
	return 0;
}

static int parse_fields(const struct nlattr *nest, uint16_t type,
			bool in_table, struct keel_field **fields, size_t *n);

/*
 * One field descriptor: 0, -EPROTO when it breaks the uapi (it is then
 * left out), -ENOMEM.
 */
static int parse_field(const struct nlattr *nest, bool in_table,
		       struct keel_field *f)
{
	const struct nlattr *tb[KEEL_LAST_INDEX(field_policy) + 1];
	uint32_t v;
	int ret;

	memset(f, 0, sizeof(*f));
	if (mnl_attr_validate(nest, MNL_TYPE_NESTED) ||
	    keel_attr_parse_nested(nest, field_policy,
				   KEEL_LAST_INDEX(field_policy), tb) ||
	    !tb[KEEL_FIELD_A_ATTR] || !tb[KEEL_FIELD_A_NAME] ||
	    !tb[KEEL_FIELD_A_TYPE] ||
	    !good_attr(mnl_attr_get_u32(tb[KEEL_FIELD_A_ATTR])) ||
	    !good_name(mnl_attr_get_str(tb[KEEL_FIELD_A_NAME])))
		return -EPROTO;

	f->attr = mnl_attr_get_u32(tb[KEEL_FIELD_A_ATTR]);
	f->type = mnl_attr_get_u32(tb[KEEL_FIELD_A_TYPE]);
	if (!NAME_OF(type_names, f->type) ||
	    (in_table && f->type == KEEL_FIELD_TYPE_TABLE))
		return -EPROTO;
	if (tb[KEEL_FIELD_A_UNIT]) {
		v = mnl_attr_get_u32(tb[KEEL_FIELD_A_UNIT]);
		f->unit = NAME_OF(unit_names, v) ? v : KEEL_FIELD_UNIT_NONE;
	}
	if (tb[KEEL_FIELD_A_FORMAT] && f->type <= KEEL_FIELD_TYPE_U64) {
		v = mnl_attr_get_u32(tb[KEEL_FIELD_A_FORMAT]);
		f->format = NAME_OF(format_names, v) ? v : KEEL_FIELD_FORMAT_DEC;
	}
	if (tb[KEEL_FIELD_A_FLAGS])
		f->flags = mnl_attr_get_u32(tb[KEEL_FIELD_A_FLAGS]) &
			   FIELD_FLAGS_ALL;
	if (f->type == KEEL_FIELD_TYPE_TABLE) {
		if (!tb[KEEL_FIELD_A_ENTRY] ||
		    !good_attr(mnl_attr_get_u32(tb[KEEL_FIELD_A_ENTRY])))
			return -EPROTO;
		f->entry = mnl_attr_get_u32(tb[KEEL_FIELD_A_ENTRY]);
	}

	f->name = strdup(mnl_attr_get_str(tb[KEEL_FIELD_A_NAME]));
	if (!f->name)
		return -ENOMEM;
	if (f->format == KEEL_FIELD_FORMAT_ENUM ||
	    f->format == KEEL_FIELD_FORMAT_FLAGS) {
		ret = parse_words(nest, f);
		if (ret)
			return ret;
	}
	if (f->type == KEEL_FIELD_TYPE_TABLE)
		return parse_fields(nest, KEEL_FIELD_A_FIELD, true, &f->fields,
				    &f->nfields);
	return 0;
}

static bool is_repeat(const struct keel_field *fields, size_t n,
		      const struct keel_field *f)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (fields[i].attr == f->attr || !strcmp(fields[i].name, f->name))
			return true;
	}
	return false;
}

/* The field nests of type @type inside @nest, the bad ones left out. */
static int parse_fields(const struct nlattr *nest, uint16_t type,
			bool in_table, struct keel_field **fields, size_t *n)
{
	size_t max = keel_attr_count(nest, type);
	const struct nlattr *a;
	int ret;

	if (!max)
		return 0;
	*fields = calloc(max, sizeof(**fields));
	if (!*fields)
		return -ENOMEM;
	mnl_attr_for_each_nested(a, nest) {
		struct keel_field *f = &(*fields)[*n];

		if (mnl_attr_get_type(a) != type)
			continue;
		ret = parse_field(a, in_table, f);
		if (ret == -ENOMEM) {
			field_free(f);
			return ret;
		}
		if (ret || is_repeat(*fields, *n, f))
			field_free(f);
		else
			(*n)++;
	}
	return 0;
}

int keel_type_parse(const struct nlattr *nest, struct keel_type *t)
{
	const struct nlattr *tb[KEEL_LAST_INDEX(type_policy) + 1];
	int ret = 0;

	memset(t, 0, sizeof(*t));
	if (keel_attr_parse_nested(nest, type_policy,
				   KEEL_LAST_INDEX(type_policy), tb) ||
	    !tb[KEEL_TYPE_A_NAME] ||
	    mnl_attr_get_payload_len(tb[KEEL_TYPE_A_NAME]) > KEEL_NAME_MAX ||
	    !good_word(mnl_attr_get_str(tb[KEEL_TYPE_A_NAME])) ||
	    !mnl_attr_get_str(tb[KEEL_TYPE_A_NAME])[0])
		return -EPROTO;
	t->name = keel_attr_strdup(tb[KEEL_TYPE_A_NAME], &ret);
	t->part = keel_attr_strdup(tb[KEEL_TYPE_A_PART], &ret);
	if (!ret)
		ret = parse_fields(nest, KEEL_TYPE_A_FIELD, false, &t->fields,
				   &t->nfields);
	if (ret)
		keel_type_free(t);
	return ret;
}

void keel_type_free(struct keel_type *t)
{
	size_t i;

	free(t->name);
	free(t->part);
	for (i = 0; i < t->nfields; i++)
		field_free(&t->fields[i]);
	free(t->fields);
	memset(t, 0, sizeof(*t));
}

void keel_types_free(struct keel_types *types)
{
	size_t i;

	for (i = 0; i < types->n; i++)
		keel_type_free(&types->v[i]);
	free(types->v);
	memset(types, 0, sizeof(*types));
}

const struct keel_type *keel_types_find(const struct keel_types *types,
					const char *name)
{
	size_t i;

	for (i = 0; name && i < types->n; i++) {
		if (!strcmp(types->v[i].name, name))
			return &types->v[i];
	}
	return NULL;
}

/* The KEEL_A_TYPE nests of a reply, each through @add. */
static int for_each_type(const struct nlmsghdr *nlh,
			 int (*add)(const struct nlattr *a, void *data),
			 void *data)
{
	const struct nlattr *a;
	int ret;

	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return -EPROTO;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != KEEL_A_TYPE)
			continue;
		ret = add(a, data);
		if (ret)
			return ret;
	}
	return 0;
}

/* A dump skips types it cannot use and a second one of a name. */
static int dump_add(const struct nlattr *a, void *data)
{
	struct keel_types *types = data;
	struct keel_type *v, t;
	int ret;

	ret = keel_type_parse(a, &t);
	if (ret)
		return ret == -ENOMEM ? ret : 0;
	if (keel_types_find(types, t.name)) {
		keel_type_free(&t);
		return 0;
	}
	v = realloc(types->v, (types->n + 1) * sizeof(*v));
	if (!v) {
		keel_type_free(&t);
		return -ENOMEM;
	}
	types->v = v;
	types->v[types->n++] = t;
	return 0;
}

int keel_types_parse(const struct nlmsghdr *nlh, struct keel_types *types)
{
	return for_each_type(nlh, dump_add, types);
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	if (keel_types_parse(nlh, data) == -ENOMEM) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int keel_types_dump(struct keel_sock *s, struct keel_types *types)
{
	struct nlmsghdr *nlh;
	int ret;

	memset(types, 0, sizeof(*types));
	nlh = keel_msg_start(s, KEEL_CMD_TYPE_GET, NLM_F_DUMP);
	ret = keel_request(s, nlh, dump_cb, types);
	if (ret)
		keel_types_free(types);
	return ret;
}

/* A doit's reply holds one type: the first, which must be usable. */
static int get_add(const struct nlattr *a, void *data)
{
	struct keel_type *t = data;

	if (t->name)
		return 0;
	return keel_type_parse(a, t);
}

static int parse_get_reply(const struct nlmsghdr *nlh, void *out)
{
	struct keel_type *t = out;
	int ret = for_each_type(nlh, get_add, t);

	if (!ret && !t->name)
		ret = -EPROTO;
	if (ret)
		keel_type_free(t);
	return ret;
}

int keel_type_get(struct keel_sock *s, const char *name, struct keel_type *t)
{
	struct nlmsghdr *nlh;
	int ret;

	memset(t, 0, sizeof(*t));
	nlh = keel_msg_start(s, KEEL_CMD_TYPE_GET, NLM_F_ACK);
	if (!mnl_attr_put_strz_check(nlh, KEEL_MSG_BUFSZ, KEEL_A_OBJ_TYPE,
				     name))
		return keel_error_set(&s->err, KEEL_ERR_SYSTEM, EMSGSIZE);
	ret = keel_doit(s, nlh, parse_get_reply, t);
	if (ret)
		keel_type_free(t);
	return ret;
}

const struct keel_types *keel_types_cached(struct keel_sock *s)
{
	int ret;

	if (s->types_loaded)
		return &s->types;
	ret = keel_types_dump(s, &s->types);
	if (ret && s->err.kind == KEEL_ERR_KERNEL &&
	    (ret == -EOPNOTSUPP || ret == -EINVAL)) {
		memset(&s->err, 0, sizeof(s->err));	/* an older kernel */
		ret = 0;
	}
	if (ret)
		return NULL;
	s->types_loaded = true;
	return &s->types;
}

int keel_obj_describe(struct keel_sock *s, struct keel_obj *o)
{
	const struct keel_types *types = keel_types_cached(s);

	if (!types)
		return s->err.errnum ? -s->err.errnum : -EPROTO;
	o->desc = keel_types_find(types, o->type);
	return 0;
}

int keel_objs_describe(struct keel_sock *s, struct keel_objs *list)
{
	size_t i;
	int ret;

	for (i = 0; i < list->n; i++) {
		ret = keel_obj_describe(s, &list->v[i]);
		if (ret)
			return ret;
	}
	return 0;
}
