// SPDX-License-Identifier: GPL-2.0
/*
 * The state framework on the "keel" netlink family: the KEEL_OBJ_A_STATE
 * nest of every object with state, and KEEL_CMD_STATE_SET, by which an
 * operator stops, resumes, saves, loads or swaps an object by id.
 */
#include <linux/module.h>
#include <linux/mm.h>
#include <net/genetlink.h>

#include "core.h"

int keel_state_fill(struct sk_buff *skb, struct keel_state *st)
{
	struct keel_state_info info;
	struct nlattr *nest;
	u64 changed;

	keel_state_snapshot(st, &info, &changed);

	nest = nla_nest_start(skb, KEEL_OBJ_A_STATE);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, KEEL_STATE_A_STATE, info.state) ||
	    nla_put_u32(skb, KEEL_STATE_A_TYPE, info.type) ||
	    nla_put_u32(skb, KEEL_STATE_A_FORMAT, info.format) ||
	    nla_put_u32(skb, KEEL_STATE_A_MAX_LEN, info.max_len) ||
	    nla_put_u64_64bit(skb, KEEL_STATE_A_SAVES, info.saves,
			      KEEL_STATE_A_PAD) ||
	    nla_put_u64_64bit(skb, KEEL_STATE_A_LOADS, info.loads,
			      KEEL_STATE_A_PAD) ||
	    nla_put_u64_64bit(skb, KEEL_STATE_A_REJECTS, info.rejects,
			      KEEL_STATE_A_PAD) ||
	    nla_put_u64_64bit(skb, KEEL_STATE_A_CHANGED_NS, changed,
			      KEEL_STATE_A_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * The blob's length limit, which the generated request policy cannot
 * carry (ynl-gen-c renders no maximum for a binary attribute): checked
 * with the policy's own code, so a longer blob is refused exactly as
 * the policy would refuse it.
 */
static const struct nla_policy keel_state_blob_policy[KEEL_A_STATE_BLOB + 1] = {
	[KEEL_A_STATE_BLOB] = { .type = NLA_BINARY,
				.len = KEEL_STATE_NL_BLOB_MAX },
};

struct keel_state_set_req {
	struct sk_buff *skb;		/* the request */
	struct genl_info *info;
	struct sk_buff *msg;
	u32 cmd;
	const void *in;
	size_t in_len;
};

/*
 * Before a SAVE or SWAP changes anything: a blob the reply cannot carry
 * fails the command instead of being lost after it took effect.
 */
static int keel_state_set_report(void *arg, size_t out_len)
{
	struct netlink_ext_ack *extack = arg;

	if (out_len > KEEL_STATE_NL_BLOB_MAX) {
		NL_SET_ERR_MSG(extack, "state too large for netlink: use the ioctl");
		return -EMSGSIZE;
	}
	return 0;
}

/* Runs with a reference on the object: it stays alive meanwhile. */
static int keel_state_set_one(struct keel_object *obj, void *arg)
{
	struct keel_state_set_req *req = arg;
	struct netlink_ext_ack *extack = req->info->extack;
	struct keel_state *st = obj->state;
	const char *why = NULL;
	void *out = NULL;
	size_t out_len = 0;
	int ret;

	/* Someone else's object does not exist for the caller. */
	if (!keel_obj_visible(req->skb, obj))
		return -ENOENT;
	if (!st) {
		NL_SET_ERR_MSG(extack, "this object has no state");
		return -EOPNOTSUPP;
	}
	switch (req->cmd) {
	case KEEL_STATE_CMD_STOP:
		ret = keel_state_stop(st);
		if (ret == -EALREADY)
			why = "the object is already stopped";
		break;
	case KEEL_STATE_CMD_RESUME:
		ret = keel_state_resume(st);
		if (ret == -EALREADY)
			why = "the object is already running";
		break;
	case KEEL_STATE_CMD_SAVE:
		ret = keel_state_xfer(st, NULL, 0, &out, &out_len, &why,
				      keel_state_set_report, extack);
		break;
	case KEEL_STATE_CMD_LOAD:
		ret = keel_state_load(st, req->in, req->in_len, &why);
		break;
	default:
		ret = keel_state_xfer(st, req->in, req->in_len, &out,
				      &out_len, &why, keel_state_set_report,
				      extack);
		break;
	}
	if (ret) {
		/* @why points to a string literal of the state code. */
		if (why && extack)
			extack->_msg = why;
		return ret;
	}

	/*
	 * The message has room for the object and the largest blob: the
	 * reply is not expected to fail after the command took effect.
	 */
	ret = -EMSGSIZE;
	if (keel_obj_fill(req->msg, obj))
		goto free;
	if (out && nla_put(req->msg, KEEL_A_STATE_BLOB, out_len, out))
		goto free;
	ret = 0;
free:
	kvfree(out);
	return ret;
}

int keel_nl_state_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct keel_state_set_req req = { .skb = skb, .info = info };
	struct nlattr *blob = info->attrs[KEEL_A_STATE_BLOB];
	bool needs_blob;
	int ret;

	if (blob) {
		ret = nla_validate(blob, blob->nla_len, KEEL_A_STATE_BLOB,
				   keel_state_blob_policy, info->extack);
		if (ret)
			return ret;
	}
	if (GENL_REQ_ATTR_CHECK(info, KEEL_A_OBJ_ID) ||
	    GENL_REQ_ATTR_CHECK(info, KEEL_A_STATE_CMD))
		return -EINVAL;
	req.cmd = nla_get_u32(info->attrs[KEEL_A_STATE_CMD]);
	needs_blob = req.cmd == KEEL_STATE_CMD_LOAD ||
		     req.cmd == KEEL_STATE_CMD_SWAP;
	if (needs_blob && !blob) {
		NL_SET_ERR_MSG(info->extack, "LOAD and SWAP need a state blob");
		return -EINVAL;
	}
	if (!needs_blob && blob) {
		NL_SET_ERR_MSG_ATTR(info->extack, blob,
				    "only LOAD and SWAP take a state blob");
		return -EINVAL;
	}
	if (blob) {
		req.in = nla_data(blob);
		req.in_len = nla_len(blob);
	}

	return keel_genl_obj_reply(info, KEEL_CMD_STATE_SET,
				   NLMSG_GOODSIZE +
				   nla_total_size(KEEL_STATE_NL_BLOB_MAX),
				   keel_state_set_one, &req, &req.msg);
}
