/* SPDX-License-Identifier: ((GPL-2.0 WITH Linux-syscall-note) OR BSD-3-Clause) */
/* Do not edit directly, auto-generated from: */
/*	Documentation/netlink/specs/keel.yaml */
/* YNL-GEN kernel header */

#ifndef _LINUX_KEEL_GEN_H
#define _LINUX_KEEL_GEN_H

#include <net/netlink.h>
#include <net/genetlink.h>

#include <uapi/linux/keel.h>
#include <linux/keel_state.h>
#include <linux/keel_state.h>
#include <linux/keel_state.h>
#include <linux/keel_state.h>

extern const struct nla_policy keel_version_get_nl_policy[KEEL_A_PAD + 1];

extern const struct nla_policy keel_host_get_nl_policy[KEEL_A_PAD + 1];

extern const struct nla_policy keel_obj_get_nl_policy[KEEL_A_OBJ_TYPE + 1];

extern const struct nla_policy keel_state_set_nl_policy[KEEL_A_STATE_BLOB + 1];

extern const struct nla_policy keel_type_get_nl_policy[KEEL_A_OBJ_TYPE + 1];

extern const struct nla_policy keel_obj_detach_nl_policy[KEEL_A_OBJ_ID + 1];

extern const struct nla_policy keel_obj_set_nl_policy[KEEL_A_OBJ_PARAMS + 1];

/* Ops table for keel */
extern const struct genl_ops keel_nl_ops[7];

int keel_nl_version_get_doit(struct sk_buff *skb, struct genl_info *info);
int keel_nl_host_get_doit(struct sk_buff *skb, struct genl_info *info);
int keel_nl_obj_get_doit(struct sk_buff *skb, struct genl_info *info);
int keel_nl_obj_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int keel_nl_state_set_doit(struct sk_buff *skb, struct genl_info *info);
int keel_nl_type_get_doit(struct sk_buff *skb, struct genl_info *info);
int keel_nl_type_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb);
int keel_nl_obj_detach_doit(struct sk_buff *skb, struct genl_info *info);
int keel_nl_obj_set_doit(struct sk_buff *skb, struct genl_info *info);

enum {
	KEEL_NLGRP_EVENTS,
};

#endif /* _LINUX_KEEL_GEN_H */
