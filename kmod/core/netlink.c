// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "keel": its commands, their strict attribute
 * policies and the "events" multicast group. The handlers live with the
 * data they describe (version.c, host.c, registry.c, parts.c,
 * state_netlink.c).
 */
#include <linux/module.h>
#include <net/genetlink.h>

#include "core.h"

/* VERSION_GET and HOST_GET take no attributes: no policy rejects all. */
static const struct nla_policy keel_obj_get_policy[KEEL_A_OBJ_TYPE + 1] = {
	[KEEL_A_OBJ_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[KEEL_A_OBJ_TYPE] = { .type = NLA_NUL_STRING, .len = KEEL_NAME_MAX - 1 },
};

static const struct nla_policy keel_state_set_policy[KEEL_A_STATE_BLOB + 1] = {
	[KEEL_A_OBJ_ID] = NLA_POLICY_MIN(NLA_U32, 1),
	[KEEL_A_STATE_CMD] = NLA_POLICY_RANGE(NLA_U32, KEEL_STATE_CMD_STOP,
					      KEEL_STATE_CMD_MAX),
	[KEEL_A_STATE_BLOB] = { .type = NLA_BINARY,
				.len = KEEL_STATE_NL_BLOB_MAX },
};

static const struct nla_policy keel_type_get_policy[KEEL_A_OBJ_TYPE + 1] = {
	[KEEL_A_OBJ_TYPE] = { .type = NLA_NUL_STRING, .len = KEEL_NAME_MAX - 1 },
};

static const struct genl_ops keel_genl_ops[] = {
	{
		.cmd = KEEL_CMD_VERSION_GET,
		.doit = keel_nl_version_get_doit,
	},
	{
		.cmd = KEEL_CMD_HOST_GET,
		.doit = keel_nl_host_get_doit,
	},
	{
		.cmd = KEEL_CMD_OBJ_GET,
		.doit = keel_nl_obj_get_doit,
		.dumpit = keel_nl_obj_get_dumpit,
		.policy = keel_obj_get_policy,
		.maxattr = ARRAY_SIZE(keel_obj_get_policy) - 1,
	},
	{
		.cmd = KEEL_CMD_STATE_SET,
		.doit = keel_nl_state_set_doit,
		.policy = keel_state_set_policy,
		.maxattr = ARRAY_SIZE(keel_state_set_policy) - 1,
		.flags = GENL_ADMIN_PERM,
	},
	{
		.cmd = KEEL_CMD_TYPE_GET,
		.doit = keel_nl_type_get_doit,
		.dumpit = keel_nl_type_get_dumpit,
		.policy = keel_type_get_policy,
		.maxattr = ARRAY_SIZE(keel_type_get_policy) - 1,
	},
};

enum keel_mcgrp {
	KEEL_MCGRP_EVENTS,
};

static const struct genl_multicast_group keel_mcgrps[] = {
	[KEEL_MCGRP_EVENTS] = { .name = KEEL_GENL_MCGRP_EVENTS },
};

struct genl_family keel_genl_family __ro_after_init = {
	.name = KEEL_GENL_NAME,
	.version = KEEL_GENL_VERSION,
	.module = THIS_MODULE,
	.ops = keel_genl_ops,
	.n_ops = ARRAY_SIZE(keel_genl_ops),
	/* Every command validates strictly, reserved header bytes included. */
	.resv_start_op = KEEL_CMD_VERSION_GET,
	.mcgrps = keel_mcgrps,
	.n_mcgrps = ARRAY_SIZE(keel_mcgrps),
	.parallel_ops = true,
};

/*
 * Answer a request with one message of command @cmd that @fill fills:
 * -EMSGSIZE, with a message, if it does not fit.
 */
int keel_genl_reply(struct genl_info *info, u8 cmd,
		    int (*fill)(struct sk_buff *msg))
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hdr = genlmsg_put_reply(msg, info, &keel_genl_family, 0, cmd);
	if (!hdr || fill(msg)) {
		nlmsg_free(msg);
		NL_SET_ERR_MSG(info->extack, "reply does not fit a message");
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

int keel_netlink_init(void)
{
	return genl_register_family(&keel_genl_family);
}

void keel_netlink_exit(void)
{
	genl_unregister_family(&keel_genl_family);
}
