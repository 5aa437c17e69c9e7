// SPDX-License-Identifier: GPL-2.0
/*
 * libkeel's socket and request loop against the running kernel's own
 * generic netlink controller ("nlctrl"), which every Linux host has: family
 * and group resolution, a missing family, extack messages and offsets from
 * strict policy checks, multi-part dumps, malformed requests, a failing
 * reply callback, receive timeouts, and a family without TYPE_GET and
 * OBJ_DETACH as a kernel without them. No Keel module is needed.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <linux/genetlink.h>

#include "libkeel.h"
#include "tap.h"

static int count_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(*(int *)data)++;
	return MNL_CB_OK;
}

static int fail_cb(const struct nlmsghdr *nlh, void *data)
{
	(void)nlh;
	(*(int *)data)++;
	errno = EBADMSG;
	return MNL_CB_ERROR;
}

static int family_request(struct keel_sock *s, const char *name)
{
	struct nlmsghdr *nlh;
	int n = 0;

	nlh = keel_msg_start(s, CTRL_CMD_GETFAMILY, NLM_F_ACK);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, name);
	if (keel_request(s, nlh, count_cb, &n))
		return -1;
	return n;
}

int main(void)
{
	const struct keel_types *cached;
	struct keel_obj obj = { 0 };
	struct keel_types types;
	const struct keel_error *err;
	struct keel_error oerr;
	struct keel_sock *s;
	struct nlmsghdr *nlh;
	struct timespec t0, t1;
	char raw[64] = { 0 };
	uint32_t gid = 0;
	int ret, n = 0;

	s = keel_open_family("keel-nofamily", &oerr);
	ok(!s && oerr.kind == KEEL_ERR_NOT_LOADED && oerr.errnum == ENOENT,
	   "missing family is KEEL_ERR_NOT_LOADED");

	s = keel_open_family("nlctrl", &oerr);
	if (!ok(s != NULL, "open nlctrl")) {
		keel_error_print(stdout, "# genl_test", "open", &oerr);
		return tap_done();
	}
	err = keel_last_error(s);
	ok(keel_family_id(s) == GENL_ID_CTRL, "family id %u",
	   keel_family_id(s));
	ret = keel_group_id(s, "notify", &gid);
	ok(ret == 0 && gid > 0, "multicast group 'notify' id %u", gid);
	ok(keel_join(s, "notify") == 0, "join 'notify'");
	ok(keel_join(s, "no-such-group") == -ENOENT && err->msg[0],
	   "joining a missing group: %s", err->msg);

	ok(family_request(s, "nlctrl") == 1, "doit: one reply then the ack");

	/* Strict policy: an unknown attribute, with its offset. */
	nlh = keel_msg_start(s, CTRL_CMD_GETPOLICY, NLM_F_DUMP);
	mnl_attr_put_u32(nlh, 100, 1);
	ret = keel_request(s, nlh, NULL, NULL);
	ok(ret == -EINVAL && err->kind == KEEL_ERR_KERNEL && err->msg[0],
	   "unknown attribute: %d '%s'", ret, err->msg);
	ok(err->has_offset &&
	   err->offset == MNL_NLMSG_HDRLEN + MNL_ALIGN(GENL_HDRLEN),
	   "extack offset points at the attribute (%u)", err->offset);

	nlh = keel_msg_start(s, 250, NLM_F_ACK);
	ret = keel_request(s, nlh, NULL, NULL);
	ok(ret == -EOPNOTSUPP, "unknown command: %d", ret);

	/* A netlink header whose genetlink header is cut short. */
	nlh = (struct nlmsghdr *)raw;
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 2;
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = 0x7fff0001;
	ret = keel_send_raw(s, raw, nlh->nlmsg_len);
	if (!ret)
		ret = keel_recv_reply(s, nlh->nlmsg_seq, NULL, NULL);
	ok(ret == -EINVAL, "truncated genetlink header: %d", ret);

	/* Bytes that are not even a netlink header are dropped. */
	ok(keel_send_raw(s, "\x01\x02\x03", 3) == 0, "send 3 garbage bytes");
	ok(family_request(s, "nlctrl") == 1, "requests still work");

	/* Garbage where attributes should be. */
	nlh = keel_msg_start(s, CTRL_CMD_GETPOLICY, NLM_F_DUMP);
	memcpy(mnl_nlmsg_get_payload_tail(nlh), "\xff\xff\x01\x00\x07", 5);
	nlh->nlmsg_len += 5;
	ret = keel_request(s, nlh, NULL, NULL);
	ok(ret == -EINVAL && err->msg[0], "trailing garbage: %d '%s'", ret,
	   err->msg);

	nlh = keel_msg_start(s, CTRL_CMD_GETFAMILY, NLM_F_DUMP);
	ret = keel_request(s, nlh, count_cb, &n);
	ok(ret == 0 && n > 1, "dump of every family: %d messages", n);

	/* A failing callback: the error is kept, the rest is drained. */
	n = 0;
	nlh = keel_msg_start(s, CTRL_CMD_GETFAMILY, NLM_F_DUMP);
	ret = keel_request(s, nlh, fail_cb, &n);
	ok(ret == -EBADMSG && err->kind == KEEL_ERR_PROTO && n == 1,
	   "failing callback: %d after %d call(s)", ret, n);
	ok(family_request(s, "nlctrl") == 1, "socket still in step");
	ok(family_request(s, "keel-nofamily") == -1 &&
	   err->errnum == ENOENT, "doit error after a dump");

	/* nlctrl has no command KEEL_CMD_TYPE_GET: a kernel without it. */
	ret = keel_types_dump(s, &types);
	ok(ret == -EOPNOTSUPP && err->kind == KEEL_ERR_KERNEL,
	   "TYPE_GET where there is none: %d", ret);
	cached = keel_types_cached(s);
	ok(cached && cached->n == 0 && err->kind == KEEL_ERR_NONE,
	   "no TYPE_GET: no descriptors, no error");
	obj.type = "vm";
	obj.desc = (const struct keel_type *)&obj;
	ok(keel_obj_describe(s, &obj) == 0 && !obj.desc,
	   "objects are then undescribed");
	ok(family_request(s, "nlctrl") == 1, "requests still work");

	/* Nor OBJ_DETACH (its number is nlctrl's DELMCAST_GRP): before API 4. */
	ret = keel_obj_detach(s, 1);
	ok(ret == -EOPNOTSUPP && err->kind == KEEL_ERR_KERNEL &&
	   err->errnum == EOPNOTSUPP, "OBJ_DETACH where there is none: %d", ret);
	ok(family_request(s, "nlctrl") == 1, "requests still work");

	ok(keel_set_timeout(s, 100) == 0, "set a 100 ms timeout");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = keel_recv_events(s, count_cb, &n);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ok(ret == -EAGAIN && t1.tv_sec - t0.tv_sec < 5,
	   "no events: -EAGAIN after the timeout (%d)", ret);

	keel_close(s);
	return tap_done();
}
