// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl types: the object types of the loaded parts as the kernel
 * describes them (KEEL_CMD_TYPE_GET): listed, or one with every field it
 * reports in its objects' INFO and how the tools show it.
 */
#include <string.h>

#include <json-c/json.h>

#include "keelctl.h"

static int print_list(const struct keel_types *types)
{
	static const char *const hdr[] = { "TYPE", "PART", "FIELDS" };
	struct table *t = table_new(3, hdr);
	size_t i;

	for (i = 0; t && i < types->n; i++) {
		const struct keel_type *ty = &types->v[i];

		if (table_cell(t, "%s", ty->name) ||
		    table_cell(t, "%s", fmt_str(ty->part)) ||
		    table_cell(t, "%zu", ty->nfields)) {
			table_free(t);
			t = NULL;
		}
	}
	return keelctl_print_table(t, "types");
}

/* "counter,brief", or "-". */
static void flags_text(uint32_t flags, char *buf, size_t len)
{
	unsigned int bit;
	size_t off = 0;

	snprintf(buf, len, "-");
	for (bit = 0; keel_field_flag_name(bit) && off < len; bit++) {
		if (flags & (1u << bit))
			off += snprintf(buf + off, len - off, "%s%s",
					off ? "," : "", keel_field_flag_name(bit));
	}
}

/* The words joined by ',', "-" when there are none. */
static void words_text(const struct keel_field *f, char *buf, size_t len)
{
	size_t i, off = 0;

	snprintf(buf, len, "-");
	for (i = 0; i < f->nwords && off < len; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? "," : "",
				f->words[i]);
}

/*
 * One row per field; a table's entry fields follow it as
 * "<entry>.<attr>" and "<table>.<name>".
 */
static int field_rows(struct table *t, const struct keel_field *f,
		      const struct keel_field *table)
{
	char flags[64], words[512];
	size_t i;
	int ret;

	flags_text(f->flags, flags, sizeof(flags));
	words_text(f, words, sizeof(words));
	ret = (table ? table_cell(t, "%u.%u", table->entry, f->attr) :
		       table_cell(t, "%u", f->attr)) ||
	      (table ? table_cell(t, "%s.%s", table->name, f->name) :
		       table_cell(t, "%s", f->name)) ||
	      table_cell(t, "%s", keel_field_type_name(f->type)) ||
	      table_cell(t, "%s", keel_field_unit_name(f->unit)) ||
	      table_cell(t, "%s", keel_field_format_name(f->format)) ||
	      table_cell(t, "%s", flags) ||
	      table_cell(t, "%s", words);
	for (i = 0; !ret && i < f->nfields; i++)
		ret = field_rows(t, &f->fields[i], f);
	return ret;
}

static int print_one(const struct keel_type *ty)
{
	static const char *const hdr[] = {
		"ATTR", "NAME", "TYPE", "UNIT", "FORMAT", "FLAGS", "WORDS",
	};
	struct table *t = table_new(7, hdr);
	size_t i;

	for (i = 0; t && i < ty->nfields; i++) {
		if (field_rows(t, &ty->fields[i], NULL)) {
			table_free(t);
			t = NULL;
		}
	}
	print_kv(stdout, 0, "type", "%s", ty->name);
	print_kv(stdout, 0, "part", "%s", fmt_str(ty->part));
	return keelctl_print_table(t, "types show");
}

static int do_list(struct keelctl *k)
{
	struct keel_types types;
	int rc;

	rc = keelctl_connect(k);
	if (rc)
		return rc;
	if (keel_types_dump(k->sock, &types))
		return keelctl_fail("types", keel_last_error(k->sock));
	if (k->json)
		rc = keelctl_print_json(k, keel_types_json(&types));
	else
		rc = print_list(&types);
	keel_types_free(&types);
	return rc;
}

static int do_show(struct keelctl *k, const char *name)
{
	struct keel_type t;
	int rc;

	rc = keelctl_connect(k);
	if (rc)
		return rc;
	if (keel_type_get(k->sock, name, &t))
		return keelctl_fail("types show", keel_last_error(k->sock));
	if (k->json)
		rc = keelctl_print_json(k, keel_type_json(&t));
	else
		rc = print_one(&t);
	keel_type_free(&t);
	return rc;
}

static int run(struct keelctl *k, const struct keelctl_cmd *cmd, int argc,
	       char **argv)
{
	const char *name;
	int rc;

	rc = keelctl_operands(k, cmd, &argc, &argv);
	if (rc >= 0)
		return rc;
	rc = keelctl_list_or_show(cmd, argc, argv, "type name", &name);
	if (rc >= 0)
		return rc;
	if (!name)
		return do_list(k);
	if (!*name || strlen(name) >= KEEL_NAME_MAX)
		return keelctl_usage_error(cmd, "bad type name '%s'", name);
	return do_show(k, name);
}

const struct keelctl_cmd keelctl_cmd_types = {
	.name = "types",
	.synopsis = "types [list]\ntypes show NAME",
	.summary = "List the object types the loaded parts describe, or show one.",
	.help = "  list       one line per object type (the default): name,\n"
		"             owning part, number of fields\n"
		"  show NAME  every field of the type: attribute, name, encoding,\n"
		"             unit, format, flags (counter: only grows; brief: a\n"
		"             column of the type's list) and the names of its\n"
		"             values or bits; a table's entry fields follow it\n",
	.run = run,
};
