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

static int keel_version_fill(struct sk_buff *msg, const void *arg)
{
	if (nla_put_string(msg, KEEL_A_VERSION, KEEL_RELEASE) ||
	    nla_put_u32(msg, KEEL_A_API_VERSION, KEEL_API_VERSION) ||
	    nla_put_string(msg, KEEL_A_BUILD_KERNEL, UTS_RELEASE) ||
	    nla_put_string(msg, KEEL_A_BUILD_COMPILER,
			   CONFIG_CC_VERSION_TEXT) ||
	    nla_put_string(msg, KEEL_A_BUILD_COMMIT, KEEL_BUILD_COMMIT) ||
	    nla_put_string(msg, KEEL_A_RUNNING_KERNEL, init_utsname()->release))
		return -EMSGSIZE;
	return keel_parts_fill(msg);
}

int keel_nl_version_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	return keel_genl_reply(info, KEEL_CMD_VERSION_GET, keel_version_fill,
			       NULL);
}
