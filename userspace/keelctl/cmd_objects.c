// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl objects: list the objects Keel's parts hold (VM bindings,
 * devices, rings, ...), optionally of one type, or show one by id.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "keelctl.h"

#define INFO_TEXT_MAX	2048

static int print_table(const struct keel_objs *list)
{
	static const char *const hdr[] = {
		"ID", "TYPE", "PART", "OWNER", "VM-PID", "LABEL", "AGE", "INFO",
	};
	uint64_t now = boottime_ns();
	struct table *t = table_new(8, hdr);
	char age[32], info[INFO_TEXT_MAX];
	size_t i;

	if (!t)
		goto nomem;
	for (i = 0; i < list->n; i++) {
		const struct keel_obj *o = &list->v[i];

		obj_age_text(o, now, age, sizeof(age));
		obj_info_text(o, info, sizeof(info));
		if (table_cell(t, "%u", o->id) ||
		    table_cell(t, "%s", fmt_str(o->type)) ||
		    table_cell(t, "%s", fmt_str(o->part)) ||
		    table_cell(t, "%u", o->owner_pid) ||
		    (o->vm_pid ? table_cell(t, "%u", o->vm_pid) :
				 table_cell(t, "-")) ||
		    table_cell(t, "%s", fmt_str(o->label)) ||
		    table_cell(t, "%s", age) ||
		    table_cell(t, "%s", info))
			goto nomem;
	}
	table_print(t, stdout, 0);
	table_free(t);
	return KEELCTL_EXIT_OK;
nomem:
	table_free(t);
	fputs("keelctl: objects: out of memory\n", stderr);
	return KEELCTL_EXIT_FAIL;
}

static void print_one(const struct keel_obj *o)
{
	char age[32], val[KEEL_INFO_TEXT_MAX];
	size_t i;

	print_kv(stdout, 0, "id", "%u", o->id);
	print_kv(stdout, 0, "type", "%s", fmt_str(o->type));
	print_kv(stdout, 0, "part", "%s", fmt_str(o->part));
	print_kv(stdout, 0, "owner pid", "%u", o->owner_pid);
	if (o->vm_pid)
		print_kv(stdout, 0, "vm pid", "%u", o->vm_pid);
	else
		print_kv(stdout, 0, "vm pid", "-");
	print_kv(stdout, 0, "label", "%s", fmt_str(o->label));
	obj_age_text(o, boottime_ns(), age, sizeof(age));
	print_kv(stdout, 0, "age", "%s", age);
	for (i = 0; i < o->ninfo; i++) {
		struct keel_info_val v;

		keel_info_decode(o->desc, &o->info[i], &v);
		keel_info_format(&v, val, sizeof(val));
		print_kv(stdout, 0, v.name, "%s", val);
		keel_info_val_free(&v);
	}
}

static int do_list(struct keelctl *k, const char *type)
{
	struct keel_objs list;
	int rc;

	rc = keelctl_connect(k);
	if (rc)
		return rc;
	if (keel_obj_dump(k->sock, type, &list))
		return keelctl_fail("objects", keel_last_error(k->sock));
	if (k->json)
		rc = keelctl_print_json(k, keel_objs_json(&list));
	else
		rc = print_table(&list);
	keel_objs_free(&list);
	return rc;
}

static int do_show(struct keelctl *k, uint32_t id)
{
	struct keel_obj o;
	int rc;

	rc = keelctl_connect(k);
	if (rc)
		return rc;
	if (keel_obj_get(k->sock, id, &o))
		return keelctl_fail("objects show", keel_last_error(k->sock));
	if (k->json) {
		rc = keelctl_print_json(k, keel_obj_json(&o));
	} else {
		print_one(&o);
		rc = KEELCTL_EXIT_OK;
	}
	keel_obj_free(&o);
	return rc;
}

static int run(struct keelctl *k, const struct keelctl_cmd *cmd, int argc,
	       char **argv)
{
	static const struct option longopts[] = {
		KEELCTL_LONGOPTS,
		{ "type", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	const char *type = NULL, *sub = "list";
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
	argc -= optind;
	argv += optind;
	if (argc > 0)
		sub = argv[0];

	if (!strcmp(sub, "list")) {
		if (argc > 1)
			return keelctl_usage_error(cmd, "unexpected argument '%s'",
						   argv[1]);
		return do_list(k, type);
	}
	if (!strcmp(sub, "show")) {
		if (type)
			return keelctl_usage_error(cmd, "--type is for listing");
		if (argc != 2)
			return keelctl_usage_error(cmd, "show needs one object id");
		if (keelctl_parse_id(argv[1], &id))
			return keelctl_usage_error(cmd, "bad object id '%s'",
						   argv[1]);
		return do_show(k, id);
	}
	return keelctl_usage_error(cmd, "unknown subcommand '%s'", sub);
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
