// SPDX-License-Identifier: GPL-2.0
/*
 * KEEL_CMD_OBJ_SET: an object's parameters, changed by id while it runs.
 * The core finds the object, checks that the caller may command it and
 * parses KEEL_A_OBJ_PARAMS with the type's own strict policy; the type
 * applies what the policy accepted, all or nothing; the reply is the
 * object after the change.
 */
#include <linux/module.h>
#include <linux/slab.h>
#include <net/genetlink.h>

#include "core.h"

struct keel_obj_set_req {
	struct sk_buff *skb;		/* the request */
	struct genl_info *info;
	struct sk_buff *msg;		/* the reply */
};

/* Runs with a reference on the object: it stays alive meanwhile. */
static int keel_obj_set_one(struct keel_object *obj, void *arg)
{
	struct keel_obj_set_req *req = arg;
	struct netlink_ext_ack *extack = req->info->extack;
	const struct keel_object_type *type = obj->type;
	struct nlattr *params = req->info->attrs[KEEL_A_OBJ_PARAMS];
	struct nlattr **tb;
	int ret;

	/* Someone else's object does not exist for the caller. */
	if (!keel_obj_visible(req->skb, obj))
		return -ENOENT;
	if (!type->set || !type->params) {
		NL_SET_ERR_MSG(extack, "this object has no parameters");
		return -EOPNOTSUPP;
	}
	tb = kcalloc(type->params_max + 1, sizeof(*tb), GFP_KERNEL);
	if (!tb)
		return -ENOMEM;
	ret = nla_parse(tb, type->params_max, nla_data(params),
			nla_len(params), type->params, extack);
	if (!ret)
		ret = type->set(obj, tb, extack);
	kfree(tb);
	if (ret)
		return ret;
	return keel_obj_fill(req->msg, obj) ? -EMSGSIZE : 0;
}

int keel_nl_obj_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct keel_obj_set_req req = { .skb = skb, .info = info };

	if (GENL_REQ_ATTR_CHECK(info, KEEL_A_OBJ_ID) ||
	    GENL_REQ_ATTR_CHECK(info, KEEL_A_OBJ_PARAMS))
		return -EINVAL;
	return keel_genl_obj_reply(info, KEEL_CMD_OBJ_SET, NLMSG_GOODSIZE,
				   keel_obj_set_one, &req, &req.msg);
}
