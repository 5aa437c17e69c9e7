// SPDX-License-Identifier: GPL-2.0
/*
 * The commands for one object type (keelctl ring, and the list and show
 * of keelctl vdev and keelctl mirror): "list" with a column for each field the type's
 * descriptor marks brief, and "show" of one object of that type. A new
 * one is an entry at the end of this file and a line in main.c; what it
 * shows comes from the kernel.
 */
#include <stdio.h>
#include <string.h>

#include "keelctl.h"

static int print_brief(const struct keel_objs *list, const struct keel_type *t)
{
	return keelctl_print_table(obj_brief_table(list, t), "list");
}

int keelctl_typed_list_show(struct keelctl *k, const struct keelctl_cmd *cmd,
			    int argc, char **argv)
{
	const char *arg;
	char what[32], op[64];
	uint32_t id;
	int rc;

	snprintf(what, sizeof(what), "%s id", cmd->noun);
	rc = keelctl_list_or_show(cmd, argc, argv, what, &arg);
	if (rc >= 0)
		return rc;
	if (!arg)
		return keelctl_obj_list(k, cmd->name, cmd->name, print_brief);
	if (keelctl_parse_id(arg, &id))
		return keelctl_usage_error(cmd, "bad %s '%s'", what, arg);
	snprintf(op, sizeof(op), "%s show", cmd->name);
	return keelctl_obj_show(k, id, cmd->name, op);
}

int keelctl_typed_run(struct keelctl *k, const struct keelctl_cmd *cmd,
		      int argc, char **argv)
{
	int rc = keelctl_operands(k, cmd, &argc, &argv);

	if (rc >= 0)
		return rc;
	return keelctl_typed_list_show(k, cmd, argc, argv);
}

#define TYPED_CMD(type, noun_, summary_, help_) {			\
	.name = type,							\
	.noun = noun_,							\
	.synopsis = type " [list]\n" type " show ID",			\
	.summary = summary_,						\
	.help = help_,							\
	.run = keelctl_typed_run,					\
}

const struct keelctl_cmd keelctl_cmd_ring = TYPED_CMD("ring", "ring",
	"List the ring buffers, or show one.",
	"  list      one line per ring (the default): id, label and the\n"
	"            fields keel_ring.ko marks for its list (keelctl types\n"
	"            show ring): geometry, entries fetchable, uncommitted,\n"
	"            produced, committed and fetched, time full, lag\n"
	"  show ID   every index, counter and state of one ring\n");
