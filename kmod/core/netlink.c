// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "keel". Its request policies, op table and
 * multicast groups are generated from its YNL spec,
 * Documentation/netlink/specs/keel.yaml, into netlink_gen.c ("make
 * ynl-regen"; see Documentation/core.rst); the family itself, which the
 * generator leaves to genetlink-legacy families, is here. The handlers live
 * with the data they describe (version.c, host.c, registry.c, parts.c,
 * state_netlink.c).
 */
#include <linux/module.h>
#include <net/genetlink.h>

#include "core.h"

/* Included, not linked: its multicast group table is static. */
#include "netlink_gen.c"

struct genl_family keel_genl_family __ro_after_init = {
	.name = KEEL_GENL_NAME,
	.version = KEEL_GENL_VERSION,
	.module = THIS_MODULE,
	.ops = keel_nl_ops,
	.n_ops = ARRAY_SIZE(keel_nl_ops),
	/* Every command validates strictly, reserved header bytes included. */
	.resv_start_op = KEEL_CMD_VERSION_GET,
	.mcgrps = keel_nl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(keel_nl_mcgrps),
	.parallel_ops = true,
};

/*
 * Answer a request with one message of command @cmd that @fill fills:
 * -EMSGSIZE, with a message, if it does not fit.
 */
int keel_genl_reply(struct genl_info *info, u8 cmd,
		    int (*fill)(struct sk_buff *msg, const void *arg),
		    const void *arg)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hdr = genlmsg_put_reply(msg, info, &keel_genl_family, 0, cmd);
	if (!hdr || fill(msg, arg)) {
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
