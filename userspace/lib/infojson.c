// SPDX-License-Identifier: GPL-2.0
/*
 * JSON of what object types describe (json-c): an object's "info" member,
 * its values typed by their fields' encoding and format, and the type
 * descriptors themselves (keelctl types).
 */
#include <stdio.h>

#include <json-c/json.h>

#include "internal.h"

static void add(struct json_object *o, const char *key, struct json_object *v)
{
	json_object_object_add(o, key, v);
}

/* FLAGS: the words of the set bits, "bit<N>" for unnamed ones. */
static struct json_object *flags_json(const struct keel_field *f, uint64_t u)
{
	struct json_object *arr = json_object_new_array();
	unsigned int bit;

	for (bit = 0; bit < 64; bit++) {
		const char *w = keel_field_word(f, bit);
		char name[16];

		if (!(u & (1ull << bit)))
			continue;
		if (!w) {
			snprintf(name, sizeof(name), "bit%u", bit);
			w = name;
		}
		json_object_array_add(arr, json_object_new_string(w));
	}
	return arr;
}

static struct json_object *uint_json(const struct keel_info_val *v)
{
	const struct keel_field *f = v->field;
	const char *w;

	switch (f ? f->format : KEEL_FIELD_FORMAT_DEC) {
	case KEEL_FIELD_FORMAT_BOOL:
		return json_object_new_boolean(v->u != 0);
	case KEEL_FIELD_FORMAT_ENUM:
		w = keel_field_word(f, v->u);
		if (w)
			return json_object_new_string(w);
		break;
	case KEEL_FIELD_FORMAT_FLAGS:
		return flags_json(f, v->u);
	}
	return json_object_new_uint64(v->u);
}

/* The values of one table entry, by name. */
static struct json_object *row_json(const struct keel_info_row *row)
{
	struct json_object *o = json_object_new_object();
	size_t i;

	for (i = 0; i < row->n; i++)
		add(o, row->v[i].name, keel_info_val_json(&row->v[i]));
	return o;
}

struct json_object *keel_info_val_json(const struct keel_info_val *v)
{
	struct json_object *arr;
	char buf[KEEL_INFO_TEXT_MAX];
	size_t i;

	switch (v->kind) {
	case KEEL_INFO_UINT:
		return uint_json(v);
	case KEEL_INFO_STRING:
		return json_object_new_string(v->s);
	case KEEL_INFO_TABLE:
		arr = json_object_new_array();
		for (i = 0; i < v->nrows; i++)
			json_object_array_add(arr, row_json(&v->rows[i]));
		return arr;
	case KEEL_INFO_RAW:
		break;
	}
	keel_info_format(v, buf, sizeof(buf));
	return json_object_new_string(buf);
}

struct json_object *keel_info_json(const struct keel_obj *o)
{
	struct json_object *info = json_object_new_object();
	size_t i;

	for (i = 0; i < o->ninfo; i++) {
		struct keel_info_val v;

		/* Out of memory for a table: its generic form instead. */
		keel_info_decode(o->desc, &o->info[i], &v);
		add(info, v.name, keel_info_val_json(&v));
		keel_info_val_free(&v);
	}
	return info;
}

static struct json_object *field_json(const struct keel_field *f)
{
	struct json_object *o = json_object_new_object();
	struct json_object *flags = json_object_new_array();
	struct json_object *words = json_object_new_array();
	struct json_object *fields;
	unsigned int bit;
	size_t i;

	add(o, "attr", json_object_new_uint64(f->attr));
	add(o, "name", json_object_new_string(f->name));
	add(o, "type", json_object_new_string(keel_field_type_name(f->type)));
	add(o, "unit", json_object_new_string(keel_field_unit_name(f->unit)));
	add(o, "format",
	    json_object_new_string(keel_field_format_name(f->format)));
	for (bit = 0; keel_field_flag_name(bit); bit++) {
		if (f->flags & (1u << bit))
			json_object_array_add(flags, json_object_new_string(
				keel_field_flag_name(bit)));
	}
	add(o, "flags", flags);
	for (i = 0; i < f->nwords; i++)
		json_object_array_add(words, json_object_new_string(f->words[i]));
	add(o, "words", words);
	if (f->type != KEEL_FIELD_TYPE_TABLE)
		return o;

	add(o, "entry", json_object_new_uint64(f->entry));
	fields = json_object_new_array();
	for (i = 0; i < f->nfields; i++)
		json_object_array_add(fields, field_json(&f->fields[i]));
	add(o, "fields", fields);
	return o;
}

struct json_object *keel_type_json(const struct keel_type *t)
{
	struct json_object *o = json_object_new_object();
	struct json_object *fields = json_object_new_array();
	size_t i;

	add(o, "name", json_object_new_string(t->name));
	add(o, "part", t->part ? json_object_new_string(t->part) : NULL);
	for (i = 0; i < t->nfields; i++)
		json_object_array_add(fields, field_json(&t->fields[i]));
	add(o, "fields", fields);
	return o;
}

struct json_object *keel_types_json(const struct keel_types *types)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < types->n; i++)
		json_object_array_add(arr, keel_type_json(&types->v[i]));
	return arr;
}
