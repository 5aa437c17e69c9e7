// SPDX-License-Identifier: GPL-2.0
/*
 * Keel objects in human form, for every command that prints them: INFO
 * values as text by their unit and format, the name=value line of
 * "objects" and "monitor", the age, the list of one type with its brief
 * fields as columns, and the field-by-field view of "show" with tables
 * as small tables of their entries.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "keelctl.h"

uint64_t boottime_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts))
		return 0;
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A number with a unit, in @style; false if @v is none. */
static bool unit_text(const struct keel_info_val *v, enum val_style style,
		      char *buf, size_t len)
{
	const struct keel_field *f = v->field;
	char human[32];

	if (style == VAL_PLAIN || v->kind != KEEL_INFO_UINT || !f ||
	    f->format != KEEL_FIELD_FORMAT_DEC)
		return false;
	switch (f->unit) {
	case KEEL_FIELD_UNIT_BYTES:
		fmt_bytes(v->u, human, sizeof(human));
		if (style == VAL_CELL)
			snprintf(buf, len, "%s", human);
		else if (v->u < 1024)
			snprintf(buf, len, "%llu", (unsigned long long)v->u);
		else
			snprintf(buf, len, "%llu (%s)", (unsigned long long)v->u,
				 human);
		return true;
	case KEEL_FIELD_UNIT_NS:
		fmt_ns(v->u, buf, len);
		return true;
	}
	return false;
}

void obj_val_text(const struct keel_info_val *v, enum val_style style,
		  char *buf, size_t len)
{
	if (unit_text(v, style, buf, len))
		return;
	if (v->kind == KEEL_INFO_STRING && !v->s[0])
		snprintf(buf, len, "-");
	else
		keel_info_format(v, buf, len);
}

void obj_heading(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; len && name[i] && i + 1 < len; i++)
		buf[i] = name[i] == '_' ? '-' : toupper((unsigned char)name[i]);
	if (len)
		buf[i] = '\0';
}

void obj_info_text(const struct keel_obj *o, char *buf, size_t len)
{
	size_t i, off = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (i = 0; i < o->ninfo && off < len; i++) {
		struct keel_info_val v;
		char val[KEEL_INFO_TEXT_MAX];

		keel_info_decode(o->desc, &o->info[i], &v);
		obj_val_text(&v, VAL_PLAIN, val, sizeof(val));
		off += snprintf(buf + off, len - off, "%s%s=%s",
				off ? " " : "", v.name, val);
		keel_info_val_free(&v);
	}
	if (!buf[0])
		snprintf(buf, len, "-");
}

void obj_age_text(const struct keel_obj *o, uint64_t now, char *buf,
		  size_t len)
{
	if (!o->created_ns || !now || now < o->created_ns)
		snprintf(buf, len, "-");
	else
		fmt_age(now - o->created_ns, buf, len);
}

/* The names of a table's values, each once, in the order they come. */
static size_t row_names(const struct keel_info_val *v, const char **names,
			size_t max)
{
	size_t i, j, k, n = 0;

	for (i = 0; i < v->nrows; i++) {
		for (j = 0; j < v->rows[i].n; j++) {
			const char *name = v->rows[i].v[j].name;

			for (k = 0; k < n && strcmp(names[k], name); k++)
				;
			if (k == n && n < max)
				names[n++] = name;
		}
	}
	return n;
}

static const struct keel_info_val *row_val(const struct keel_info_row *row,
					   const char *name)
{
	size_t i;

	for (i = 0; i < row->n; i++) {
		if (!strcmp(row->v[i].name, name))
			return &row->v[i];
	}
	return NULL;
}

#define TABLE_COLS_MAX	16

/* A table field of "show": its name, then its entries, indented. */
static void print_rows(const struct keel_info_val *v, FILE *f)
{
	const char *names[TABLE_COLS_MAX];
	char headings[TABLE_COLS_MAX][KEEL_INFO_TEXT_MAX];
	const char *hdr[TABLE_COLS_MAX];
	size_t i, j, n = row_names(v, names, TABLE_COLS_MAX);
	struct table *t;
	char cell[KEEL_INFO_TEXT_MAX];

	if (!n) {
		print_kv(f, 0, v->name, "-");
		return;
	}
	for (i = 0; i < n; i++) {
		obj_heading(names[i], headings[i], sizeof(headings[i]));
		hdr[i] = headings[i];
	}
	t = table_new(n, hdr);
	for (i = 0; t && i < v->nrows; i++) {
		for (j = 0; j < n; j++) {
			const struct keel_info_val *c = row_val(&v->rows[i],
								names[j]);

			if (c)
				obj_val_text(c, VAL_DETAIL, cell, sizeof(cell));
			else
				snprintf(cell, sizeof(cell), "-");
			if (table_cell(t, "%s", cell)) {
				table_free(t);
				t = NULL;
				break;
			}
		}
	}
	fprintf(f, "%s\n", v->name);
	if (t)
		table_print(t, f, 2);
	else
		fputs("  (out of memory)\n", f);
	table_free(t);
}

/* Info field @i of @o as "show" prints it; @name: only if it is that. */
static bool print_info(const struct keel_obj *o, size_t i, const char *name,
		       FILE *f)
{
	char val[KEEL_INFO_TEXT_MAX];
	struct keel_info_val v;
	bool match;

	keel_info_decode(o->desc, &o->info[i], &v);
	match = !name || (v.name && !strcmp(v.name, name));
	if (match && v.kind == KEEL_INFO_TABLE) {
		print_rows(&v, f);
	} else if (match) {
		obj_val_text(&v, VAL_DETAIL, val, sizeof(val));
		print_kv(f, 0, v.name, "%s", val);
	}
	keel_info_val_free(&v);
	return match;
}

int obj_print_field(const struct keel_obj *o, const char *name, FILE *f)
{
	size_t i;

	for (i = 0; i < o->ninfo; i++)
		if (print_info(o, i, name, f))
			return 0;
	return -1;
}

void obj_print(const struct keel_obj *o, FILE *f)
{
	char age[32];
	size_t i;

	print_kv(f, 0, "id", "%u", o->id);
	print_kv(f, 0, "type", "%s", fmt_str(o->type));
	print_kv(f, 0, "part", "%s", fmt_str(o->part));
	print_kv(f, 0, "owner pid", "%u", o->owner_pid);
	if (o->vm_pid)
		print_kv(f, 0, "vm pid", "%u", o->vm_pid);
	else
		print_kv(f, 0, "vm pid", "-");
	print_kv(f, 0, "label", "%s", fmt_str(o->label));
	obj_age_text(o, boottime_ns(), age, sizeof(age));
	print_kv(f, 0, "age", "%s", age);
	/* Only when set: what scripts read of other objects stays as it was. */
	if (o->attached)
		print_kv(f, 0, "attached", "yes");
	for (i = 0; i < o->ninfo; i++)
		print_info(o, i, NULL, f);
}

/* One cell: the value of field @f of @o, or "-" if it has none. */
static int brief_cell(struct table *tbl, const struct keel_obj *o,
		      const struct keel_type *t, const struct keel_field *f)
{
	const struct keel_info_attr *a = keel_obj_info(o, f->attr);
	struct keel_info_val v;
	char cell[KEEL_INFO_TEXT_MAX];

	if (!a)
		return table_cell(tbl, "-");
	keel_info_decode(t, a, &v);
	obj_val_text(&v, VAL_CELL, cell, sizeof(cell));
	keel_info_val_free(&v);
	return table_cell(tbl, "%s", cell);
}

/* The values of the row of @o after ID and LABEL. */
static int brief_cells(struct table *tbl, const struct keel_obj *o,
		       const struct keel_type *t)
{
	char info[OBJ_INFO_TEXT_MAX];
	size_t i;

	if (!t) {
		obj_info_text(o, info, sizeof(info));
		return table_cell(tbl, "%s", info);
	}
	for (i = 0; i < t->nfields; i++) {
		if ((t->fields[i].flags & KEEL_FIELD_F_BRIEF) &&
		    brief_cell(tbl, o, t, &t->fields[i]))
			return -1;
	}
	return 0;
}

/* ID, LABEL and the brief fields' headings; INFO without a descriptor. */
static struct table *brief_table(const struct keel_type *t)
{
	static const char *const info[] = { "ID", "LABEL", "INFO" };
	const char *hdr[2 + 64] = { "ID", "LABEL" };
	char headings[64][KEEL_INFO_TEXT_MAX];
	size_t i, n = 2;

	if (!t)
		return table_new(3, info);
	for (i = 0; i < t->nfields && n < 2 + 64; i++) {
		if (!(t->fields[i].flags & KEEL_FIELD_F_BRIEF))
			continue;
		obj_heading(t->fields[i].name, headings[n - 2],
			    sizeof(headings[n - 2]));
		hdr[n] = headings[n - 2];
		n++;
	}
	return table_new(n, hdr);
}

struct table *obj_brief_table(const struct keel_objs *list,
			      const struct keel_type *t)
{
	struct table *tbl = brief_table(t);
	size_t i;

	for (i = 0; tbl && i < list->n; i++) {
		const struct keel_obj *o = &list->v[i];

		if (table_cell(tbl, "%u", o->id) ||
		    table_cell(tbl, "%s", fmt_str(o->label)) ||
		    brief_cells(tbl, o, t)) {
			table_free(tbl);
			tbl = NULL;
		}
	}
	return tbl;
}
