// SPDX-License-Identifier: GPL-2.0
/*
 * The socket: a generic netlink socket with extended acks, family "keel"
 * (or another, for tests) and its multicast groups resolved through the
 * genetlink controller.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "internal.h"

/* One entry of CTRL_ATTR_MCAST_GROUPS. */
static int add_group(const struct nlattr *grp, struct keel_sock *s)
{
	static const enum mnl_attr_data_type policy[] = {
		[CTRL_ATTR_MCAST_GRP_NAME] = MNL_TYPE_NUL_STRING,
		[CTRL_ATTR_MCAST_GRP_ID] = MNL_TYPE_U32,
	};
	const struct nlattr *tb[KEEL_LAST_INDEX(policy) + 1];
	struct keel_group *g;

	if (keel_attr_parse_nested(grp, policy, KEEL_LAST_INDEX(policy), tb))
		return -EPROTO;
	if (!tb[CTRL_ATTR_MCAST_GRP_NAME] || !tb[CTRL_ATTR_MCAST_GRP_ID])
		return -EPROTO;
	if (s->ngroups == KEEL_MAX_GROUPS)
		return 0;	/* more than Keel defines: ignore the rest */

	g = &s->groups[s->ngroups++];
	snprintf(g->name, sizeof(g->name), "%s",
		 mnl_attr_get_str(tb[CTRL_ATTR_MCAST_GRP_NAME]));
	g->id = mnl_attr_get_u32(tb[CTRL_ATTR_MCAST_GRP_ID]);
	return 0;
}

static int ctrl_family_cb(const struct nlmsghdr *nlh, void *data)
{
	static const enum mnl_attr_data_type policy[] = {
		[CTRL_ATTR_FAMILY_ID] = MNL_TYPE_U16,
		[CTRL_ATTR_MCAST_GROUPS] = MNL_TYPE_NESTED,
	};
	const struct nlattr *tb[KEEL_LAST_INDEX(policy) + 1];
	struct keel_sock *s = data;
	const struct nlattr *grp;

	if (nlh->nlmsg_type != GENL_ID_CTRL ||
	    keel_attr_parse_msg(nlh, policy, KEEL_LAST_INDEX(policy), tb) ||
	    !tb[CTRL_ATTR_FAMILY_ID]) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	s->family = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);

	if (tb[CTRL_ATTR_MCAST_GROUPS]) {
		mnl_attr_for_each_nested(grp, tb[CTRL_ATTR_MCAST_GROUPS]) {
			if (add_group(grp, s)) {
				errno = EPROTO;
				return MNL_CB_ERROR;
			}
		}
	}
	return MNL_CB_OK;
}

static int resolve_family(struct keel_sock *s, const char *name)
{
	struct nlmsghdr *nlh;
	int ret;

	nlh = keel_msg_start_family(s, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1,
				    NLM_F_ACK);
	if (!mnl_attr_put_strz_check(nlh, KEEL_MSG_BUFSZ, CTRL_ATTR_FAMILY_NAME,
				     name))
		return keel_error_set(&s->err, KEEL_ERR_SYSTEM, ENAMETOOLONG);

	ret = keel_request(s, nlh, ctrl_family_cb, s);
	if (ret == -ENOENT && s->err.kind == KEEL_ERR_KERNEL)
		return keel_error_set(&s->err, KEEL_ERR_NOT_LOADED, ENOENT);
	if (!ret && !s->family)
		return keel_error_set(&s->err, KEEL_ERR_PROTO, EPROTO);
	return ret;
}

static int set_flag(struct keel_sock *s, int opt)
{
	int one = 1;

	if (mnl_socket_setsockopt(s->nl, opt, &one, sizeof(one)) < 0)
		return keel_error_set(&s->err, KEEL_ERR_SYSTEM, errno);
	return 0;
}

struct keel_sock *keel_open(struct keel_error *err)
{
	return keel_open_family(KEEL_GENL_NAME, err);
}

struct keel_sock *keel_open_family(const char *name, struct keel_error *err)
{
	struct keel_sock *s;

	s = calloc(1, sizeof(*s));
	if (!s) {
		keel_error_set(err, KEEL_ERR_SYSTEM, ENOMEM);
		return NULL;
	}

	s->nl = mnl_socket_open(NETLINK_GENERIC);
	if (!s->nl) {
		keel_error_set(&s->err, KEEL_ERR_SYSTEM, errno);
		goto fail;
	}
	if (mnl_socket_bind(s->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		keel_error_set(&s->err, KEEL_ERR_SYSTEM, errno);
		goto fail;
	}
	s->portid = mnl_socket_get_portid(s->nl);

	/* Error messages, and no copy of our request in every error. */
	if (set_flag(s, NETLINK_EXT_ACK) || set_flag(s, NETLINK_CAP_ACK))
		goto fail;

	if (resolve_family(s, name))
		goto fail;
	return s;

fail:
	*err = s->err;
	keel_close(s);
	return NULL;
}

void keel_close(struct keel_sock *s)
{
	if (!s)
		return;
	if (s->nl)
		mnl_socket_close(s->nl);
	keel_types_free(&s->types);
	free(s);
}

const struct keel_error *keel_last_error(const struct keel_sock *s)
{
	return &s->err;
}

uint16_t keel_family_id(const struct keel_sock *s)
{
	return s->family;
}

uint32_t keel_portid(const struct keel_sock *s)
{
	return s->portid;
}

struct mnl_socket *keel_mnl(struct keel_sock *s)
{
	return s->nl;
}

int keel_group_id(const struct keel_sock *s, const char *name, uint32_t *id)
{
	size_t i;

	for (i = 0; i < s->ngroups; i++) {
		if (!strcmp(s->groups[i].name, name)) {
			*id = s->groups[i].id;
			return 0;
		}
	}
	return -ENOENT;
}

int keel_join(struct keel_sock *s, const char *group)
{
	uint32_t id;

	if (keel_group_id(s, group, &id)) {
		keel_error_set(&s->err, KEEL_ERR_PROTO, ENOENT);
		snprintf(s->err.msg, sizeof(s->err.msg),
			 "no multicast group \"%s\"", group);
		return -ENOENT;
	}
	if (mnl_socket_setsockopt(s->nl, NETLINK_ADD_MEMBERSHIP, &id,
				  sizeof(id)) < 0)
		return keel_error_set(&s->err, KEEL_ERR_SYSTEM, errno);
	return 0;
}

int keel_set_timeout(struct keel_sock *s, unsigned int ms)
{
	struct timeval tv = {
		.tv_sec = ms / 1000,
		.tv_usec = (ms % 1000) * 1000,
	};

	if (setsockopt(mnl_socket_get_fd(s->nl), SOL_SOCKET, SO_RCVTIMEO,
		       &tv, sizeof(tv)) < 0)
		return keel_error_set(&s->err, KEEL_ERR_SYSTEM, errno);
	return 0;
}
