// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl mirror: the protected ranges of keel_mirror.ko, listed or shown
 * as every object type is (cmd_typed.c), and the hot-spot profile of one:
 * the guest store instructions that trapped most, for binary translation.
 */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "keelctl.h"

static int mirror_hotspots(struct keelctl *k, const struct keelctl_cmd *cmd,
			   int argc, char **argv)
{
	struct json_object *j, *info, *hot;
	struct keel_obj o;
	uint32_t id;
	int rc;

	if (argc != 2)
		return keelctl_usage_error(cmd, "hotspots wants one range id");
	if (keelctl_parse_id(argv[1], &id))
		return keelctl_usage_error(cmd, "bad range id '%s'", argv[1]);
	rc = keelctl_connect(k);
	if (rc)
		return rc;
	if (keel_obj_get(k->sock, id, &o))
		return keelctl_fail("mirror hotspots", keel_last_error(k->sock));
	if (!o.type || strcmp(o.type, "mirror")) {
		fprintf(stderr, "keelctl: mirror hotspots: object %u is a %s, not a mirror\n",
			id, o.type ? o.type : "?");
		keel_obj_free(&o);
		return KEELCTL_EXIT_FAIL;
	}
	if (k->json) {
		j = keel_obj_json(&o);
		if (j && json_object_object_get_ex(j, "info", &info) &&
		    json_object_object_get_ex(info, "hotspots", &hot))
			rc = keelctl_print_json(k, json_object_get(hot));
		else
			rc = keelctl_print_json(k, json_object_new_array());
		json_object_put(j);
	} else {
		if (obj_print_field(&o, "hotspots", stdout))
			printf("hotspots\n  -\n");
		rc = KEELCTL_EXIT_OK;
	}
	keel_obj_free(&o);
	return rc;
}

static int mirror_run(struct keelctl *k, const struct keelctl_cmd *cmd,
		      int argc, char **argv)
{
	int rc = keelctl_operands(k, cmd, &argc, &argv);

	if (rc >= 0)
		return rc;
	if (argc > 0 && !strcmp(argv[0], "hotspots"))
		return mirror_hotspots(k, cmd, argc, argv);
	return keelctl_typed_list_show(k, cmd, argc, argv);
}

const struct keelctl_cmd keelctl_cmd_mirror = {
	.name = "mirror",
	.noun = "range",
	.synopsis = "mirror [list]\n"
		    "mirror show ID\n"
		    "mirror hotspots ID",
	.summary = "List the mirrored ranges of guest memory, or show one.",
	.help =
	"  list         one line per protected range (the default): id,\n"
	"               label, first guest-physical byte, bytes protected,\n"
	"               guest writes mirrored and pages repaired\n"
	"  show ID      every counter of one range: mirror bytes held, guest\n"
	"               writes and their bytes, pages whose memslot went,\n"
	"               repairs and their time, the VMM's writes, and the\n"
	"               hot-spot profile\n"
	"  hotspots ID  the hot-spot profile alone: the guest store\n"
	"               instructions (linear RIP) whose stores to the range\n"
	"               trapped most, most first, each with its count and\n"
	"               the last address it stored to (-j: a JSON array)\n",
	.run = mirror_run,
};
