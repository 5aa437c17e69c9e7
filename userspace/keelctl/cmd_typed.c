// SPDX-License-Identifier: GPL-2.0
/*
 * The list and show subcommands shared by the commands for one object
 * type (keelctl vdev, keelctl ring): argument parsing, the netlink dump
 * or get, the type check, and table or JSON output through the type's
 * callbacks.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "keelctl.h"

static int typed_list(struct keelctl *k, const struct keelctl_typed *t)
{
	struct keel_objs list;
	size_t i;
	int rc;

	rc = keelctl_connect(k);
	if (rc)
		return rc;
	if (keel_obj_dump(k->sock, t->type, &list))
		return keelctl_fail(t->type, keel_last_error(k->sock));
	if (k->json) {
		struct json_object *arr = json_object_new_array();

		for (i = 0; i < list.n; i++)
			json_object_array_add(arr, t->json(&list.v[i]));
		rc = keelctl_print_json(k, arr);
	} else {
		rc = t->print_table(&list);
	}
	keel_objs_free(&list);
	return rc;
}

static int typed_show(struct keelctl *k, const struct keelctl_typed *t,
		      uint32_t id)
{
	struct keel_obj o;
	int rc;

	rc = keelctl_connect(k);
	if (rc)
		return rc;
	if (keel_obj_get(k->sock, id, &o)) {
		char op[64];

		snprintf(op, sizeof(op), "%s show", t->type);
		return keelctl_fail(op, keel_last_error(k->sock));
	}
	if (!o.type || strcmp(o.type, t->type)) {
		fprintf(stderr, "keelctl: %s show: object %u is a %s, not a %s\n",
			t->type, id, fmt_str(o.type), t->type);
		keel_obj_free(&o);
		return KEELCTL_EXIT_FAIL;
	}
	if (k->json) {
		rc = keelctl_print_json(k, t->json(&o));
	} else {
		t->print_one(&o);
		rc = KEELCTL_EXIT_OK;
	}
	keel_obj_free(&o);
	return rc;
}

int keelctl_typed_run(struct keelctl *k, const struct keelctl_cmd *cmd,
		      int argc, char **argv, const struct keelctl_typed *t)
{
	const char *sub = "list";
	uint32_t id;
	int rc;

	rc = keelctl_operands(k, cmd, &argc, &argv);
	if (rc >= 0)
		return rc;
	if (argc > 0)
		sub = argv[0];

	if (!strcmp(sub, "list")) {
		if (argc > 1)
			return keelctl_usage_error(cmd, "unexpected argument '%s'",
						   argv[1]);
		return typed_list(k, t);
	}
	if (!strcmp(sub, "show")) {
		if (argc != 2)
			return keelctl_usage_error(cmd, "show needs one %s id",
						   t->noun);
		if (keelctl_parse_id(argv[1], &id))
			return keelctl_usage_error(cmd, "bad %s id '%s'",
						   t->noun, argv[1]);
		return typed_show(k, t, id);
	}
	return keelctl_usage_error(cmd, "unknown subcommand '%s'", sub);
}
