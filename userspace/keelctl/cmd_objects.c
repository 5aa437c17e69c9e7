// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl objects: list the objects Keel's parts hold (VM bindings,
 * devices, rings, ...), optionally of one type, or show one by id.
 */
#include <string.h>

#include "keelctl.h"

static int print_table(const struct keel_objs *list, const struct keel_type *t)
{
	static const char *const hdr[] = {
		"ID", "TYPE", "PART", "OWNER", "VM-PID", "LABEL", "AGE", "INFO",
	};
	uint64_t now = boottime_ns();
	struct table *tbl = table_new(8, hdr);
	char age[32], info[OBJ_INFO_TEXT_MAX];
	size_t i;

	(void)t;	/* objects of every type */
	for (i = 0; tbl && i < list->n; i++) {
		const struct keel_obj *o = &list->v[i];

		obj_age_text(o, now, age, sizeof(age));
		obj_info_text(o, info, sizeof(info));
		if (table_cell(tbl, "%u", o->id) ||
		    table_cell(tbl, "%s", fmt_str(o->type)) ||
		    table_cell(tbl, "%s", fmt_str(o->part)) ||
		    table_cell(tbl, "%u", o->owner_pid) ||
		    (o->vm_pid ? table_cell(tbl, "%u", o->vm_pid) :
				 table_cell(tbl, "-")) ||
		    table_cell(tbl, "%s", fmt_str(o->label)) ||
		    table_cell(tbl, "%s", age) ||
		    table_cell(tbl, "%s", info)) {
			table_free(tbl);
			tbl = NULL;
		}
	}
	return keelctl_print_table(tbl, "objects");
}

static int run(struct keelctl *k, const struct keelctl_cmd *cmd, int argc,
	       char **argv)
{
	static const struct option longopts[] = {
		KEELCTL_LONGOPTS,
		{ "type", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	const char *type = NULL, *arg;
	uint32_t id;
	int c, rc;

	while ((c = keelctl_getopt(k, cmd, argc, argv, KEELCTL_OPTSTRING "t:",
				   longopts, &rc)) != -1) {
		if (c == KEELCTL_OPT_EXIT)
			return rc;
		if (c == 't') {
			if (!*optarg || strlen(optarg) >= KEEL_NAME_MAX)
				return keelctl_usage_error(cmd,
					"bad object type '%s'", optarg);
			type = optarg;
		}
	}
	rc = keelctl_list_or_show(cmd, argc - optind, argv + optind,
				  "object id", &arg);
	if (rc >= 0)
		return rc;
	if (!arg)
		return keelctl_obj_list(k, type, "objects", print_table);
	if (type)
		return keelctl_usage_error(cmd, "--type is for listing");
	if (keelctl_parse_id(arg, &id))
		return keelctl_usage_error(cmd, "bad object id '%s'", arg);
	return keelctl_obj_show(k, id, NULL, "objects show");
}

const struct keelctl_cmd keelctl_cmd_objects = {
	.name = "objects",
	.synopsis = "objects [list] [-t|--type TYPE]\nobjects show ID",
	.summary = "List Keel's objects, or show one.",
	.help = "  list      one line per object (the default): id, type, owning\n"
		"            part, owner pid, pid of the VM's creator, label, age\n"
		"            and the type's own details\n"
		"  show ID   every detail of one object\n",
	.options = "  -t, --type TYPE   list only objects of TYPE (\"vm\", ...)\n",
	.run = run,
};
