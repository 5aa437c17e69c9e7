// SPDX-License-Identifier: GPL-2.0
/*
 * Keel objects: decoding a KEEL_A_OBJ nest, KEEL_CMD_OBJ_GET as doit
 * (one object by id) and as dump (all, or all of one type), each object
 * then described by its type (types.c), and the OBJ_NEW / OBJ_DEL
 * notifications of the "events" group.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>

#include "internal.h"

static const enum mnl_attr_data_type obj_policy[] = {
	[KEEL_OBJ_A_ID] = MNL_TYPE_U32,
	[KEEL_OBJ_A_TYPE] = MNL_TYPE_NUL_STRING,
	[KEEL_OBJ_A_PART] = MNL_TYPE_NUL_STRING,
	[KEEL_OBJ_A_OWNER_PID] = MNL_TYPE_U32,
	[KEEL_OBJ_A_VM_PID] = MNL_TYPE_U32,
	[KEEL_OBJ_A_LABEL] = MNL_TYPE_NUL_STRING,
	[KEEL_OBJ_A_CREATED_NS] = MNL_TYPE_U64,
	[KEEL_OBJ_A_INFO] = MNL_TYPE_NESTED,
	[KEEL_OBJ_A_STATE] = MNL_TYPE_NESTED,
	[KEEL_OBJ_A_ATTACHED] = MNL_TYPE_FLAG,
};

/* The reply and notification messages carry one KEEL_A_OBJ. */
static const enum mnl_attr_data_type msg_policy[] = {
	[KEEL_A_OBJ] = MNL_TYPE_NESTED,
};

/*
 * Copy every attribute of KEEL_OBJ_A_INFO: their meaning is per type.
 * The nest must hold whole attributes and nothing else.
 */
static int copy_info(const struct nlattr *nest, struct keel_obj *o)
{
	const struct nlattr *a;
	size_t n = 0;

	if (!keel_attrs_ok(mnl_attr_get_payload(nest),
			   mnl_attr_get_payload_len(nest)))
		return -EPROTO;
	mnl_attr_for_each_nested(a, nest)
		n++;
	o->has_info = true;
	if (!n)
		return 0;
	o->info = calloc(n, sizeof(*o->info));
	if (!o->info)
		return -ENOMEM;

	mnl_attr_for_each_nested(a, nest) {
		struct keel_info_attr *ia = &o->info[o->ninfo];

		ia->type = mnl_attr_get_type(a);
		ia->nested = a->nla_type & NLA_F_NESTED;
		ia->len = mnl_attr_get_payload_len(a);
		ia->data = malloc(ia->len ? ia->len : 1);
		if (!ia->data)
			return -ENOMEM;
		memcpy(ia->data, mnl_attr_get_payload(a), ia->len);
		o->ninfo++;
	}
	return 0;
}

int keel_obj_parse(const struct nlattr *nest, struct keel_obj *o)
{
	const struct nlattr *tb[KEEL_LAST_INDEX(obj_policy) + 1];
	int ret = 0;

	memset(o, 0, sizeof(*o));
	if (keel_attr_parse_nested(nest, obj_policy,
				   KEEL_LAST_INDEX(obj_policy), tb) ||
	    !tb[KEEL_OBJ_A_ID])
		return -EPROTO;

	o->id = mnl_attr_get_u32(tb[KEEL_OBJ_A_ID]);
	o->type = keel_attr_strdup(tb[KEEL_OBJ_A_TYPE], &ret);
	o->part = keel_attr_strdup(tb[KEEL_OBJ_A_PART], &ret);
	o->label = keel_attr_strdup(tb[KEEL_OBJ_A_LABEL], &ret);
	if (tb[KEEL_OBJ_A_OWNER_PID])
		o->owner_pid = mnl_attr_get_u32(tb[KEEL_OBJ_A_OWNER_PID]);
	if (tb[KEEL_OBJ_A_VM_PID])
		o->vm_pid = mnl_attr_get_u32(tb[KEEL_OBJ_A_VM_PID]);
	if (tb[KEEL_OBJ_A_CREATED_NS])
		o->created_ns = mnl_attr_get_u64(tb[KEEL_OBJ_A_CREATED_NS]);
	o->attached = tb[KEEL_OBJ_A_ATTACHED] != NULL;
	if (!ret && tb[KEEL_OBJ_A_INFO])
		ret = copy_info(tb[KEEL_OBJ_A_INFO], o);
	if (!ret && tb[KEEL_OBJ_A_STATE])
		ret = keel_obj_state_parse(tb[KEEL_OBJ_A_STATE], &o->state);

	if (ret)
		keel_obj_free(o);
	return ret;
}

void keel_obj_free(struct keel_obj *o)
{
	size_t i;

	free(o->type);
	free(o->part);
	free(o->label);
	for (i = 0; i < o->ninfo; i++)
		free(o->info[i].data);
	free(o->info);
	memset(o, 0, sizeof(*o));
}

void keel_objs_free(struct keel_objs *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		keel_obj_free(&list->v[i]);
	free(list->v);
	memset(list, 0, sizeof(*list));
}

const struct keel_obj *keel_objs_find(const struct keel_objs *list,
				      uint32_t id)
{
	size_t i;

	for (i = 0; i < list->n; i++) {
		if (list->v[i].id == id)
			return &list->v[i];
	}
	return NULL;
}

const struct keel_info_attr *keel_obj_info(const struct keel_obj *o,
					   uint16_t type)
{
	size_t i;

	for (i = 0; i < o->ninfo; i++) {
		if (o->info[i].type == type)
			return &o->info[i];
	}
	return NULL;
}

/* The KEEL_A_OBJ of a reply or notification message. */
static int parse_obj_msg(const struct nlmsghdr *nlh, struct keel_obj *o)
{
	const struct nlattr *tb[KEEL_LAST_INDEX(msg_policy) + 1];

	memset(o, 0, sizeof(*o));
	if (keel_attr_parse_msg(nlh, msg_policy, KEEL_LAST_INDEX(msg_policy),
				tb) || !tb[KEEL_A_OBJ])
		return -EPROTO;
	return keel_obj_parse(tb[KEEL_A_OBJ], o);
}

static int parse_reply(const struct nlmsghdr *nlh, void *out)
{
	return parse_obj_msg(nlh, out);
}

int keel_obj_get(struct keel_sock *s, uint32_t id, struct keel_obj *o)
{
	struct nlmsghdr *nlh;
	int ret;

	memset(o, 0, sizeof(*o));
	nlh = keel_msg_start(s, KEEL_CMD_OBJ_GET, NLM_F_ACK);
	mnl_attr_put_u32(nlh, KEEL_A_OBJ_ID, id);
	ret = keel_doit(s, nlh, parse_reply, o);
	if (!ret)
		ret = keel_obj_describe(s, o);
	if (ret)
		keel_obj_free(o);
	return ret;
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct keel_objs *list = data;
	struct keel_obj *v;
	int ret;

	v = realloc(list->v, (list->n + 1) * sizeof(*v));
	if (!v) {
		errno = ENOMEM;
		return MNL_CB_ERROR;
	}
	list->v = v;
	ret = parse_obj_msg(nlh, &list->v[list->n]);
	if (ret) {
		errno = -ret;
		return MNL_CB_ERROR;
	}
	list->n++;
	return MNL_CB_OK;
}

int keel_obj_dump(struct keel_sock *s, const char *type,
		  struct keel_objs *list)
{
	struct nlmsghdr *nlh;
	int ret;

	memset(list, 0, sizeof(*list));
	nlh = keel_msg_start(s, KEEL_CMD_OBJ_GET, NLM_F_DUMP);
	if (type && !mnl_attr_put_strz_check(nlh, KEEL_MSG_BUFSZ,
					     KEEL_A_OBJ_TYPE, type))
		return keel_error_set(&s->err, KEEL_ERR_SYSTEM, EMSGSIZE);
	ret = keel_request(s, nlh, dump_cb, list);
	if (!ret)
		ret = keel_objs_describe(s, list);
	if (ret)
		keel_objs_free(list);
	return ret;
}

int keel_event_parse(uint16_t family, const struct nlmsghdr *nlh,
		     struct keel_event *ev)
{
	const struct genlmsghdr *genl;

	memset(ev, 0, sizeof(*ev));
	if (nlh->nlmsg_type != family ||
	    mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return -ENOMSG;
	genl = mnl_nlmsg_get_payload(nlh);
	if (genl->cmd != KEEL_CMD_OBJ_NEW && genl->cmd != KEEL_CMD_OBJ_DEL)
		return -ENOMSG;

	ev->cmd = genl->cmd;
	return parse_obj_msg(nlh, &ev->obj);
}

void keel_event_free(struct keel_event *ev)
{
	keel_obj_free(&ev->obj);
}
