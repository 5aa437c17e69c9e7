// SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause)
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/keel.yaml */
/* YNL-GEN kernel source */

#include <net/netlink.h>
#include <net/genetlink.h>

#include "netlink_gen.h"

#include <uapi/linux/keel.h>
#include <linux/keel_state.h>
#include <linux/keel_state.h>
#include <linux/keel_state.h>
#include <linux/keel_state.h>

/* KEEL_CMD_VERSION_GET - do */
const struct nla_policy keel_version_get_nl_policy[KEEL_A_PAD + 1] = {
};

/* KEEL_CMD_HOST_GET - do */
const struct nla_policy keel_host_get_nl_policy[KEEL_A_PAD + 1] = {
};

/* KEEL_CMD_OBJ_GET - do */
const struct nla_policy keel_obj_get_nl_policy[KEEL_A_OBJ_TYPE + 1] = {
	[KEEL_A_OBJ_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[KEEL_A_OBJ_TYPE] = { .type = NLA_NUL_STRING, .len = 31, },
};

/* KEEL_CMD_STATE_SET - do */
const struct nla_policy keel_state_set_nl_policy[KEEL_A_STATE_BLOB + 1] = {
	[KEEL_A_OBJ_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[KEEL_A_STATE_CMD] = NLA_POLICY_RANGE(NLA_U32, 1, 5),
	[KEEL_A_STATE_BLOB] = { .type = NLA_BINARY, },
};

/* KEEL_CMD_TYPE_GET - do */
const struct nla_policy keel_type_get_nl_policy[KEEL_A_OBJ_TYPE + 1] = {
	[KEEL_A_OBJ_TYPE] = { .type = NLA_NUL_STRING, .len = 31, },
};

/* KEEL_CMD_OBJ_DETACH - do */
const struct nla_policy keel_obj_detach_nl_policy[KEEL_A_OBJ_ID + 1] = {
	[KEEL_A_OBJ_ID] = NLA_POLICY_MIN(NLA_U32, 1),
};

/* KEEL_CMD_OBJ_SET - do */
const struct nla_policy keel_obj_set_nl_policy[KEEL_A_OBJ_PARAMS + 1] = {
	[KEEL_A_OBJ_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[KEEL_A_OBJ_PARAMS] = { .type = NLA_BINARY, },
};

/* Ops table for keel */
const struct genl_ops keel_nl_ops[7] = {
	{
		.cmd		= KEEL_CMD_VERSION_GET,
		.doit		= keel_nl_version_get_doit,
		.policy		= keel_version_get_nl_policy,
		.maxattr	= KEEL_A_PAD,
	},
	{
		.cmd		= KEEL_CMD_HOST_GET,
		.doit		= keel_nl_host_get_doit,
		.policy		= keel_host_get_nl_policy,
		.maxattr	= KEEL_A_PAD,
	},
	{
		.cmd		= KEEL_CMD_OBJ_GET,
		.doit		= keel_nl_obj_get_doit,
		.dumpit		= keel_nl_obj_get_dumpit,
		.policy		= keel_obj_get_nl_policy,
		.maxattr	= KEEL_A_OBJ_TYPE,
	},
	{
		.cmd		= KEEL_CMD_STATE_SET,
		.doit		= keel_nl_state_set_doit,
		.policy		= keel_state_set_nl_policy,
		.maxattr	= KEEL_A_STATE_BLOB,
	},
	{
		.cmd		= KEEL_CMD_TYPE_GET,
		.doit		= keel_nl_type_get_doit,
		.dumpit		= keel_nl_type_get_dumpit,
		.policy		= keel_type_get_nl_policy,
		.maxattr	= KEEL_A_OBJ_TYPE,
	},
	{
		.cmd		= KEEL_CMD_OBJ_DETACH,
		.doit		= keel_nl_obj_detach_doit,
		.policy		= keel_obj_detach_nl_policy,
		.maxattr	= KEEL_A_OBJ_ID,
	},
	{
		.cmd		= KEEL_CMD_OBJ_SET,
		.doit		= keel_nl_obj_set_doit,
		.policy		= keel_obj_set_nl_policy,
		.maxattr	= KEEL_A_OBJ_PARAMS,
	},
};

static const struct genl_multicast_group keel_nl_mcgrps[] = {
	[KEEL_NLGRP_EVENTS] = { "events", },
};
