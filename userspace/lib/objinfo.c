// SPDX-License-Identifier: GPL-2.0
/*
 * KEEL_OBJ_A_INFO values: each attribute decoded as its type's field
 * descriptor says (types.c), tables into rows of their entries' values,
 * or generically when there is no descriptor or the attribute does not
 * fit it; and the plain text of a value.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* One attribute: the parts of a struct keel_info_attr or a struct nlattr. */
struct raw_attr {
	uint16_t type;
	bool nested;
	const void *data;
	size_t len;
};

static struct raw_attr from_nlattr(const struct nlattr *a)
{
	return (struct raw_attr) {
		.type = mnl_attr_get_type(a),
		.nested = a->nla_type & NLA_F_NESTED,
		.data = mnl_attr_get_payload(a),
		.len = mnl_attr_get_payload_len(a),
	};
}

static bool get_uint(const struct raw_attr *a, uint64_t *u)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;

	switch (a->len) {
	case 1:
		memcpy(&u8, a->data, 1);
		*u = u8;
		return true;
	case 2:
		memcpy(&u16, a->data, 2);
		*u = u16;
		return true;
	case 4:
		memcpy(&u32, a->data, 4);
		*u = u32;
		return true;
	case 8:
		memcpy(u, a->data, 8);
		return true;
	default:
		return false;
	}
}

uint64_t keel_obj_info_uint(const struct keel_obj *o, uint16_t type)
{
	const struct keel_info_attr *a = keel_obj_info(o, type);
	struct raw_attr r;
	uint64_t u;

	if (!a || a->nested)
		return 0;
	r = (struct raw_attr) { .data = a->data, .len = a->len };
	return get_uint(&r, &u) ? u : 0;
}

static bool is_cstring(const struct raw_attr *a, bool printable)
{
	const char *s = a->data;
	size_t i;

	if (!a->len || s[a->len - 1])
		return false;
	for (i = 0; printable && i + 1 < a->len; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	}
	return true;
}

static void decode_generic(const struct raw_attr *a, struct keel_info_val *v)
{
	memset(v, 0, sizeof(*v));
	snprintf(v->namebuf, sizeof(v->namebuf), "attr%u", a->type);
	v->name = v->namebuf;
	if (!a->nested && get_uint(a, &v->u)) {
		v->kind = KEEL_INFO_UINT;
	} else if (!a->nested && is_cstring(a, true)) {
		v->kind = KEEL_INFO_STRING;
		v->s = a->data;
	} else {
		v->kind = KEEL_INFO_RAW;
		v->raw = a->data;
		v->rawlen = a->len;
	}
}

static int decode_attr(const struct keel_field *fields, size_t nfields,
		       const struct raw_attr *a, struct keel_info_val *v);

static void free_rows(struct keel_info_row *rows, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < rows[i].n; j++)
			keel_info_val_free(&rows[i].v[j]);
		free(rows[i].v);
	}
	free(rows);
}

/*
 * One entry of table @f: every attribute of the nest, by @f's entry
 * fields. 1 when it fits them, 0 when not, -ENOMEM.
 */
static int decode_entry(const struct keel_field *f, const struct raw_attr *e,
			struct keel_info_row *row)
{
	const struct nlattr *a;
	size_t n = 0;
	int ret;

	if (!e->nested || !keel_attrs_ok(e->data, e->len))
		return 0;
	keel_attr_for_each(a, e->data, e->len)
		n++;
	row->v = calloc(n ? n : 1, sizeof(*row->v));
	if (!row->v)
		return -ENOMEM;
	keel_attr_for_each(a, e->data, e->len) {
		struct raw_attr sub = from_nlattr(a);
		struct keel_info_val *v = &row->v[row->n++];

		ret = decode_attr(f->fields, f->nfields, &sub, v);
		if (ret)
			return ret;
		if (!v->field && keel_field_find(f->fields, f->nfields,
						 sub.type))
			return 0;	/* described, but does not fit */
	}
	return 1;
}

/* Table @f: 1 with v->rows filled, 0 when @a does not fit, -ENOMEM. */
static int decode_table(const struct keel_field *f, const struct raw_attr *a,
			struct keel_info_val *v)
{
	const struct nlattr *e;
	size_t n = 0;
	int ret = 1;

	if (!a->nested || !keel_attrs_ok(a->data, a->len))
		return 0;
	keel_attr_for_each(e, a->data, a->len) {
		if (mnl_attr_get_type(e) == f->entry)
			n++;
	}
	v->rows = calloc(n ? n : 1, sizeof(*v->rows));
	if (!v->rows)
		return -ENOMEM;
	keel_attr_for_each(e, a->data, a->len) {
		struct raw_attr entry = from_nlattr(e);

		if (entry.type != f->entry)
			continue;	/* not an entry: a newer kernel's */
		ret = decode_entry(f, &entry, &v->rows[v->nrows++]);
		if (ret <= 0)
			break;
	}
	if (ret <= 0) {
		free_rows(v->rows, v->nrows);
		v->rows = NULL;
		v->nrows = 0;
	}
	return ret;
}

/* @a as field @f says: 1 when it fits, 0 when not, -ENOMEM. */
static int decode_field(const struct keel_field *f, const struct raw_attr *a,
			struct keel_info_val *v)
{
	static const size_t sizes[] = {
		[KEEL_FIELD_TYPE_U8] = 1,
		[KEEL_FIELD_TYPE_U32] = 4,
		[KEEL_FIELD_TYPE_U64] = 8,
	};

	switch (f->type) {
	case KEEL_FIELD_TYPE_U8:
	case KEEL_FIELD_TYPE_U32:
	case KEEL_FIELD_TYPE_U64:
		if (a->nested || a->len != sizes[f->type])
			return 0;
		v->kind = KEEL_INFO_UINT;
		return get_uint(a, &v->u);
	case KEEL_FIELD_TYPE_STRING:
		if (a->nested || !is_cstring(a, false))
			return 0;
		v->kind = KEEL_INFO_STRING;
		v->s = a->data;
		return 1;
	case KEEL_FIELD_TYPE_TABLE:
		v->kind = KEEL_INFO_TABLE;
		return decode_table(f, a, v);
	}
	return 0;
}

static int decode_attr(const struct keel_field *fields, size_t nfields,
		       const struct raw_attr *a, struct keel_info_val *v)
{
	const struct keel_field *f = keel_field_find(fields, nfields, a->type);
	int ret = 0;

	memset(v, 0, sizeof(*v));
	if (f) {
		ret = decode_field(f, a, v);
		if (ret > 0) {
			v->field = f;
			v->name = f->name;
			return 0;
		}
	}
	decode_generic(a, v);
	return ret;
}

int keel_info_decode(const struct keel_type *t, const struct keel_info_attr *a,
		     struct keel_info_val *v)
{
	struct raw_attr r = {
		.type = a->type, .nested = a->nested,
		.data = a->data, .len = a->len,
	};

	return decode_attr(t ? t->fields : NULL, t ? t->nfields : 0, &r, v);
}

void keel_info_val_free(struct keel_info_val *v)
{
	free_rows(v->rows, v->nrows);
	v->rows = NULL;
	v->nrows = 0;
}

/* FLAGS: the words of the set bits, "bit<N>" for unnamed ones. */
static int format_flags(const struct keel_field *f, uint64_t u, char *buf,
			size_t len)
{
	unsigned int bit;
	size_t off = 0;

	if (!u)
		return snprintf(buf, len, "-");
	if (len)
		buf[0] = '\0';
	for (bit = 0; bit < 64; bit++) {
		const char *w = keel_field_word(f, bit);
		int n;

		if (!(u & (1ull << bit)))
			continue;
		n = w ? snprintf(buf + off, len - off, "%s%s", off ? "," : "", w) :
			snprintf(buf + off, len - off, "%sbit%u", off ? "," : "",
				 bit);
		off += n;
		if (off >= len)
			off = len ? len - 1 : 0;
	}
	return (int)off;
}

static int format_uint(const struct keel_info_val *v, char *buf, size_t len)
{
	const struct keel_field *f = v->field;
	const char *w;

	switch (f ? f->format : KEEL_FIELD_FORMAT_DEC) {
	case KEEL_FIELD_FORMAT_HEX:
		return snprintf(buf, len, "0x%llx", (unsigned long long)v->u);
	case KEEL_FIELD_FORMAT_BOOL:
		return snprintf(buf, len, "%s", v->u ? "yes" : "no");
	case KEEL_FIELD_FORMAT_ENUM:
		w = keel_field_word(f, v->u);
		if (w)
			return snprintf(buf, len, "%s", w);
		break;
	case KEEL_FIELD_FORMAT_FLAGS:
		return format_flags(f, v->u, buf, len);
	case KEEL_FIELD_FORMAT_ERRNO:
		return snprintf(buf, len, "%s", v->u ? strerror((int)v->u) : "-");
	}
	return snprintf(buf, len, "%llu", (unsigned long long)v->u);
}

int keel_info_format(const struct keel_info_val *v, char *buf, size_t len)
{
	size_t i, n;
	int off;

	switch (v->kind) {
	case KEEL_INFO_UINT:
		return format_uint(v, buf, len);
	case KEEL_INFO_STRING:
		return snprintf(buf, len, "%s", v->s);
	case KEEL_INFO_TABLE:
		return snprintf(buf, len, "[%zu]", v->nrows);
	case KEEL_INFO_RAW:
		break;
	}

	/* "0x" and two digits a byte; "..." when @buf is too short. */
	off = snprintf(buf, len, "0x");
	n = len > 6 ? (len - 6) / 2 : 0;
	for (i = 0; i < v->rawlen && i < n; i++)
		off += snprintf(buf + off, len - off, "%02x", v->raw[i]);
	if (i < v->rawlen && len > (size_t)off)
		off += snprintf(buf + off, len - off, "...");
	return off;
}
