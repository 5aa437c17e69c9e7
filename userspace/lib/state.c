// SPDX-License-Identifier: GPL-2.0
/*
 * The state framework over netlink: decoding an object's KEEL_OBJ_A_STATE
 * nest and KEEL_CMD_STATE_SET (stop, resume, save, load, swap by id).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const enum mnl_attr_data_type state_policy[] = {
	[KEEL_STATE_A_STATE] = MNL_TYPE_U32,
	[KEEL_STATE_A_TYPE] = MNL_TYPE_U32,
	[KEEL_STATE_A_FORMAT] = MNL_TYPE_U32,
	[KEEL_STATE_A_MAX_LEN] = MNL_TYPE_U32,
	[KEEL_STATE_A_SAVES] = MNL_TYPE_U64,
	[KEEL_STATE_A_LOADS] = MNL_TYPE_U64,
	[KEEL_STATE_A_REJECTS] = MNL_TYPE_U64,
	[KEEL_STATE_A_CHANGED_NS] = MNL_TYPE_U64,
};

int keel_obj_state_parse(const struct nlattr *nest, struct keel_obj_state *st)
{
	const struct nlattr *tb[KEEL_LAST_INDEX(state_policy) + 1];

	memset(st, 0, sizeof(*st));
	if (keel_attr_parse_nested(nest, state_policy,
				   KEEL_LAST_INDEX(state_policy), tb) ||
	    !tb[KEEL_STATE_A_STATE] || !tb[KEEL_STATE_A_TYPE])
		return -EPROTO;
	st->present = true;
	st->state = mnl_attr_get_u32(tb[KEEL_STATE_A_STATE]);
	st->type = mnl_attr_get_u32(tb[KEEL_STATE_A_TYPE]);
	if (tb[KEEL_STATE_A_FORMAT])
		st->format = mnl_attr_get_u32(tb[KEEL_STATE_A_FORMAT]);
	if (tb[KEEL_STATE_A_MAX_LEN])
		st->max_len = mnl_attr_get_u32(tb[KEEL_STATE_A_MAX_LEN]);
	if (tb[KEEL_STATE_A_SAVES])
		st->saves = mnl_attr_get_u64(tb[KEEL_STATE_A_SAVES]);
	if (tb[KEEL_STATE_A_LOADS])
		st->loads = mnl_attr_get_u64(tb[KEEL_STATE_A_LOADS]);
	if (tb[KEEL_STATE_A_REJECTS])
		st->rejects = mnl_attr_get_u64(tb[KEEL_STATE_A_REJECTS]);
	if (tb[KEEL_STATE_A_CHANGED_NS])
		st->changed_ns = mnl_attr_get_u64(tb[KEEL_STATE_A_CHANGED_NS]);
	return 0;
}

const char *keel_state_name(uint32_t state)
{
	switch (state) {
	case KEEL_STATE_RUNNING:
		return "running";
	case KEEL_STATE_STOPPED:
		return "stopped";
	}
	return "?";
}

const char *keel_state_type_name(uint32_t type)
{
	switch (type) {
	case KEEL_STATE_TYPE_VDEV_UART16550A:
		return "uart16550a";
	case KEEL_STATE_TYPE_RING:
		return "ring";
	case KEEL_STATE_TYPE_COALESCE:
		return "coalesce";
	case KEEL_STATE_TYPE_MIRROR:
		return "mirror";
	}
	return "?";
}

static const enum mnl_attr_data_type reply_policy[] = {
	[KEEL_A_OBJ] = MNL_TYPE_NESTED,
	[KEEL_A_STATE_BLOB] = MNL_TYPE_BINARY,
};

struct state_reply {
	struct keel_obj *o;
	void **out;
	size_t *out_len;
};

static int parse_state_reply(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[KEEL_LAST_INDEX(reply_policy) + 1];
	struct state_reply *r = data;
	const struct nlattr *blob;
	int ret;

	if (keel_attr_parse_msg(nlh, reply_policy, KEEL_LAST_INDEX(reply_policy),
				tb) || !tb[KEEL_A_OBJ])
		return -EPROTO;
	blob = tb[KEEL_A_STATE_BLOB];
	if (r->out && !blob)
		return -EPROTO;
	if (r->o) {
		ret = keel_obj_parse(tb[KEEL_A_OBJ], r->o);
		if (ret)
			return ret;
	}
	if (r->out) {
		*r->out_len = mnl_attr_get_payload_len(blob);
		*r->out = malloc(*r->out_len ? *r->out_len : 1);
		if (!*r->out) {
			if (r->o)
				keel_obj_free(r->o);
			return -ENOMEM;
		}
		memcpy(*r->out, mnl_attr_get_payload(blob), *r->out_len);
	}
	return 0;
}

int keel_state_set(struct keel_sock *s, uint32_t id, uint32_t cmd,
		   const void *in, size_t in_len, struct keel_obj *o,
		   void **out, size_t *out_len)
{
	struct state_reply r = { .o = o };
	struct nlmsghdr *nlh;
	int ret;

	if (o)
		memset(o, 0, sizeof(*o));
	if (cmd == KEEL_STATE_CMD_SAVE || cmd == KEEL_STATE_CMD_SWAP) {
		if (!out || !out_len)
			return keel_error_set(&s->err, KEEL_ERR_SYSTEM, EINVAL);
		*out = NULL;
		*out_len = 0;
		r.out = out;
		r.out_len = out_len;
	}
	nlh = keel_msg_start(s, KEEL_CMD_STATE_SET, NLM_F_ACK);
	mnl_attr_put_u32(nlh, KEEL_A_OBJ_ID, id);
	mnl_attr_put_u32(nlh, KEEL_A_STATE_CMD, cmd);
	if (in) {
		if (in_len > KEEL_STATE_NL_BLOB_MAX ||
		    !mnl_attr_put_check(nlh, KEEL_MSG_BUFSZ, KEEL_A_STATE_BLOB,
					in_len, in))
			return keel_error_set(&s->err, KEEL_ERR_SYSTEM, EFBIG);
	}
	ret = keel_doit(s, nlh, parse_state_reply, &r);
	if (ret && o)
		keel_obj_free(o);
	return ret;
}
