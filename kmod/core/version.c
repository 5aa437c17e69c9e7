// SPDX-License-Identifier: GPL-2.0
/*
 * The version command: Keel's release and uapi version, what it was built
 * against and with, the running kernel and the loaded parts.
 */
#include <linux/module.h>
#include <linux/utsname.h>
#include <generated/utsrelease.h>
#include <net/genetlink.h>

#include "core.h"

#ifndef KEEL_BUILD_COMMIT
#define KEEL_BUILD_COMMIT "unknown"
#endif

int keel_version_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	hdr = genlmsg_put_reply(msg, info, &keel_genl_family, 0,
				KEEL_CMD_VERSION_GET);
	if (!hdr)
		goto nospace;

	if (nla_put_string(msg, KEEL_A_VERSION, KEEL_RELEASE) ||
	    nla_put_u32(msg, KEEL_A_API_VERSION, KEEL_API_VERSION) ||
	    nla_put_string(msg, KEEL_A_BUILD_KERNEL, UTS_RELEASE) ||
	    nla_put_string(msg, KEEL_A_BUILD_COMPILER,
			   CONFIG_CC_VERSION_TEXT) ||
	    nla_put_string(msg, KEEL_A_BUILD_COMMIT, KEEL_BUILD_COMMIT) ||
	    nla_put_string(msg, KEEL_A_RUNNING_KERNEL, init_utsname()->release) ||
	    keel_parts_fill(msg))
		goto nospace;

	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);

nospace:
	nlmsg_free(msg);
	NL_SET_ERR_MSG(info->extack, "version does not fit a message");
	return -EMSGSIZE;
}
