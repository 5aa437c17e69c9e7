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

/*
 * The events group describes every object (labels, VMs, pids, counters):
 * only CAP_SYS_ADMIN may join it. The generator does not carry group
 * flags, so the family's groups are the generated ones with the flag
 * added at load. A kernel that defines the flag (Debian's 6.1 and 6.12
 * do) checks it when a socket joins; one that does not cannot restrict
 * the group, and Keel does not build for it.
 */
#ifndef GENL_MCAST_CAP_SYS_ADMIN
#error "this kernel cannot restrict who joins a generic netlink group"
#endif
static struct genl_multicast_group keel_mcgrps[ARRAY_SIZE(keel_nl_mcgrps)]
	__ro_after_init;

struct genl_family keel_genl_family __ro_after_init = {
	.name = KEEL_GENL_NAME,
	.version = KEEL_GENL_VERSION,
	.module = THIS_MODULE,
	.ops = keel_nl_ops,
	.n_ops = ARRAY_SIZE(keel_nl_ops),
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

/*
 * Answer a request that commands the object KEEL_A_OBJ_ID names (checked
 * by the caller): a reply message of command @cmd with room for @size
 * bytes is in *@msg while @fn runs on the object, with a reference on it,
 * and fills it. The reply is sent when @fn returns 0, dropped otherwise.
 */
int keel_genl_obj_reply(struct genl_info *info, u8 cmd, size_t size,
			int (*fn)(struct keel_object *obj, void *arg),
			void *arg, struct sk_buff **msg)
{
	const struct nlattr *id = info->attrs[KEEL_A_OBJ_ID];
	void *hdr;
	int ret;

	*msg = genlmsg_new(size, GFP_KERNEL);
	if (!*msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(*msg, info, &keel_genl_family, 0, cmd);
	ret = hdr ? keel_object_call(nla_get_u32(id), fn, arg) : -EMSGSIZE;
	if (ret == -ENOENT && !info->extack->_msg)
		NL_SET_ERR_MSG_ATTR(info->extack, id, "no object with this id");
	if (ret) {
		nlmsg_free(*msg);
		*msg = NULL;
		return ret;
	}
	genlmsg_end(*msg, hdr);
	return genlmsg_reply(*msg, info);
}

int keel_netlink_init(void)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keel_mcgrps); i++) {
		keel_mcgrps[i] = keel_nl_mcgrps[i];
		keel_mcgrps[i].flags |= GENL_MCAST_CAP_SYS_ADMIN;
	}
	return genl_register_family(&keel_genl_family);
}

void keel_netlink_exit(void)
{
	genl_unregister_family(&keel_genl_family);
}
