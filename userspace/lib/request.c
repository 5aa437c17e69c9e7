// SPDX-License-Identifier: GPL-2.0
/*
 * Requests and their replies: building a generic netlink request, the
 * receive loop up to its ack or NLMSG_DONE (mnl_cb_run2 with our own
 * handlers for both, which keep the extack), and notification reads.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

struct nlmsghdr *keel_msg_start_family(struct keel_sock *s, uint16_t family,
				       uint8_t cmd, uint8_t version,
				       uint16_t flags)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	memset(s->sbuf, 0, MNL_ALIGN(sizeof(*nlh)) + MNL_ALIGN(sizeof(*genl)));
	nlh = mnl_nlmsg_put_header(s->sbuf);
	nlh->nlmsg_type = family;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	if (++s->seq == 0)	/* 0 is what notifications carry */
		s->seq = 1;
	nlh->nlmsg_seq = s->seq;

	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = cmd;
	genl->version = version;
	return nlh;
}

struct nlmsghdr *keel_msg_start(struct keel_sock *s, uint8_t cmd,
				uint16_t flags)
{
	return keel_msg_start_family(s, s->family, cmd, KEEL_GENL_VERSION,
				     flags);
}

struct reply_ctx {
	struct keel_sock *s;
	uint32_t seq;
	mnl_cb_t cb;
	void *data;
	int cb_errnum;		/* first failure of cb; later replies skipped */
	bool status_seen;	/* the ack or NLMSG_DONE arrived */
};

static int reply_data_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct reply_ctx *ctx = arg;

	if (nlh->nlmsg_seq != ctx->seq || !ctx->cb || ctx->cb_errnum)
		return MNL_CB_OK;

	errno = 0;
	if (ctx->cb(nlh, ctx->data) == MNL_CB_ERROR)
		ctx->cb_errnum = errno ? errno : EPROTO;
	/* Keep reading: the ack must still be consumed. */
	return MNL_CB_OK;
}

/* NLMSG_ERROR (the ack) and NLMSG_DONE both end a request. */
static int reply_status_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct reply_ctx *ctx = arg;
	int status;

	if (nlh->nlmsg_seq != ctx->seq)
		return MNL_CB_OK;	/* a stale reply to an older request */

	ctx->status_seen = true;
	status = keel_extack_parse(nlh, &ctx->s->err);
	if (status < 0) {
		errno = -status;
		return MNL_CB_ERROR;
	}
	return MNL_CB_STOP;
}

int keel_send_raw(struct keel_sock *s, const void *buf, size_t len)
{
	memset(&s->err, 0, sizeof(s->err));
	if (mnl_socket_sendto(s->nl, buf, len) < 0)
		return keel_error_set(&s->err, KEEL_ERR_SYSTEM, errno);
	return 0;
}

int keel_recv_reply(struct keel_sock *s, uint32_t seq, mnl_cb_t cb,
		    void *data)
{
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = {
		[NLMSG_ERROR] = reply_status_cb,
		[NLMSG_DONE] = reply_status_cb,
	};
	struct reply_ctx ctx = {
		.s = s, .seq = seq, .cb = cb, .data = data,
	};
	ssize_t n;
	int ret;

	memset(&s->err, 0, sizeof(s->err));
	do {
		n = mnl_socket_recvfrom(s->nl, s->rbuf, sizeof(s->rbuf));
		if (n < 0)
			return keel_error_set(&s->err, KEEL_ERR_SYSTEM, errno);
		/*
		 * seq 0 turns off libmnl's sequence check: reply_*_cb skip
		 * stale replies themselves instead of failing on them.
		 */
		ret = mnl_cb_run2(s->rbuf, n, 0, s->portid, reply_data_cb,
				  &ctx, ctl, NLMSG_MIN_TYPE);
		if (ret == MNL_CB_ERROR) {
			if (ctx.status_seen)
				return -s->err.errnum;	/* kernel said no */
			return keel_error_set(&s->err, KEEL_ERR_PROTO, errno);
		}
	} while (ret != MNL_CB_STOP);

	if (ctx.cb_errnum)
		return keel_error_set(&s->err, ctx.cb_errnum == ENOMEM ?
				      KEEL_ERR_SYSTEM : KEEL_ERR_PROTO,
				      ctx.cb_errnum);
	return 0;
}

int keel_request(struct keel_sock *s, const struct nlmsghdr *nlh,
		 mnl_cb_t cb, void *data)
{
	int ret;

	ret = keel_send_raw(s, nlh, nlh->nlmsg_len);
	if (ret)
		return ret;
	return keel_recv_reply(s, nlh->nlmsg_seq, cb, data);
}

int keel_recv_events(struct keel_sock *s, mnl_cb_t cb, void *data)
{
	ssize_t n;

	memset(&s->err, 0, sizeof(s->err));
	n = mnl_socket_recvfrom(s->nl, s->rbuf, sizeof(s->rbuf));
	if (n < 0)
		return keel_error_set(&s->err, KEEL_ERR_SYSTEM, errno);
	if (mnl_cb_run(s->rbuf, n, 0, 0, cb, data) == MNL_CB_ERROR)
		return keel_error_set(&s->err, KEEL_ERR_PROTO,
				      errno ? errno : EPROTO);
	return 0;
}

struct doit_ctx {
	int (*parse)(const struct nlmsghdr *nlh, void *out);
	void *out;
	bool seen;
};

static int doit_cb(const struct nlmsghdr *nlh, void *data)
{
	struct doit_ctx *ctx = data;
	int ret;

	if (ctx->seen) {
		errno = EPROTO;		/* a doit has exactly one reply */
		return MNL_CB_ERROR;
	}
	ctx->seen = true;
	ret = ctx->parse(nlh, ctx->out);
	if (ret) {
		errno = -ret;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

int keel_doit(struct keel_sock *s, const struct nlmsghdr *nlh,
	      int (*parse)(const struct nlmsghdr *nlh, void *out), void *out)
{
	struct doit_ctx ctx = { .parse = parse, .out = out };
	int ret;

	ret = keel_request(s, nlh, doit_cb, &ctx);
	if (!ret && !ctx.seen)
		ret = keel_error_set(&s->err, KEEL_ERR_PROTO, EPROTO);
	return ret;
}
