// SPDX-License-Identifier: GPL-2.0
/*
 * Strict parsing of requests and building of replies for keeld's
 * protocol. Nothing a client sends is trusted: headers, lengths, flags,
 * attribute types and string bounds are all checked before a handler
 * sees the request.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "proto.h"

int proto_fail(struct proto_err *e, int code, const void *attr,
	       const char *fmt, ...)
{
	va_list ap;

	e->code = code;
	e->attr = attr;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int proto_check_request(const void *buf, size_t len, struct proto_err *e)
{
	const struct nlmsghdr *nlh = buf;
	const struct genlmsghdr *g;

	if (len < NLMSG_HDRLEN)
		return proto_fail(e, -EBADMSG, NULL, "message shorter than its header");
	if (!mnl_nlmsg_ok(nlh, (int)len))
		return proto_fail(e, -EBADMSG, NULL, "bad message length %u",
				  nlh->nlmsg_len);
	if (MNL_ALIGN(nlh->nlmsg_len) != MNL_ALIGN(len))
		return proto_fail(e, -EBADMSG, NULL,
				  "one message per packet (%zu bytes, message of %u)",
				  len, nlh->nlmsg_len);
	if (nlh->nlmsg_type != KEELD_NLMSG_TYPE)
		return proto_fail(e, -EOPNOTSUPP, NULL, "unknown message type %u",
				  nlh->nlmsg_type);
	if (!(nlh->nlmsg_flags & NLM_F_REQUEST))
		return proto_fail(e, -EINVAL, NULL, "not a request (NLM_F_REQUEST)");
	if (nlh->nlmsg_flags & ~KEELD_NLM_F_ALLOWED)
		return proto_fail(e, -EINVAL, NULL, "unknown flags 0x%x",
				  nlh->nlmsg_flags & ~KEELD_NLM_F_ALLOWED);
	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return proto_fail(e, -EBADMSG, NULL, "no generic netlink header");
	g = mnl_nlmsg_get_payload(nlh);
	if (g->version != KEELD_PROTO_VERSION)
		return proto_fail(e, -EPROTONOSUPPORT, NULL,
				  "protocol version %u (keeld speaks %u)",
				  g->version, KEELD_PROTO_VERSION);
	if (g->reserved)
		return proto_fail(e, -EINVAL, NULL, "reserved header field not 0");
	if (g->cmd == KEELD_CMD_UNSPEC || g->cmd > KEELD_CMD_MAX)
		return proto_fail(e, -EOPNOTSUPP, NULL, "unknown command %u", g->cmd);
	return 0;
}

static const char *const type_names[MNL_TYPE_MAX] = {
	[MNL_TYPE_U8] = "u8", [MNL_TYPE_U16] = "u16", [MNL_TYPE_U32] = "u32",
	[MNL_TYPE_U64] = "u64", [MNL_TYPE_NUL_STRING] = "string",
	[MNL_TYPE_NESTED] = "nest",
};

int proto_parse(const void *start, size_t len, const struct attr_policy *pol,
		uint16_t max, const struct nlattr **tb, struct proto_err *e)
{
	const struct nlattr *a = start;
	int left = (int)len;
	uint16_t type;
	size_t slen;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (len > KEELD_MSG_MAX)
		return proto_fail(e, -EMSGSIZE, NULL, "attributes too long");
	while (left > 0) {
		if (!mnl_attr_ok(a, left))
			return proto_fail(e, -EINVAL, a, "truncated attribute");
		type = mnl_attr_get_type(a);
		if (a->nla_type & NLA_F_NET_BYTEORDER)
			return proto_fail(e, -EINVAL, a, "attribute %u: byte-order flag",
					  type);
		if (type > max || pol[type].type == MNL_TYPE_UNSPEC)
			return proto_fail(e, -EINVAL, a, "unknown attribute %u", type);
		if (!!(a->nla_type & NLA_F_NESTED) != (pol[type].type == MNL_TYPE_NESTED))
			return proto_fail(e, -EINVAL, a,
					  "attribute %u: nested flag does not match its type",
					  type);
		if (mnl_attr_validate(a, pol[type].type) < 0)
			return proto_fail(e, -EINVAL, a, "attribute %u: bad %s", type,
					  type_names[pol[type].type] ?
					  type_names[pol[type].type] : "value");
		if (pol[type].type == MNL_TYPE_NUL_STRING) {
			slen = strlen(mnl_attr_get_str(a));
			if (slen + 1 != mnl_attr_get_payload_len(a) || !slen ||
			    (pol[type].maxlen && slen > pol[type].maxlen))
				return proto_fail(e, -EINVAL, a,
						  "attribute %u: string empty, padded or longer than %u",
						  type, pol[type].maxlen);
		}
		if (tb[type] && !pol[type].multi)
			return proto_fail(e, -EINVAL, a, "attribute %u given twice", type);
		if (!tb[type])
			tb[type] = a;
		left -= (int)MNL_ALIGN(a->nla_len);
		a = mnl_attr_next(a);
	}
	return 0;
}

int proto_parse_nest(const struct nlattr *nest, const struct attr_policy *pol,
		     uint16_t max, const struct nlattr **tb, struct proto_err *e)
{
	return proto_parse(mnl_attr_get_payload(nest),
			   mnl_attr_get_payload_len(nest), pol, max, tb, e);
}

struct nlmsghdr *reply_start(struct reply *r, const struct nlmsghdr *req,
			     uint8_t cmd)
{
	struct genlmsghdr *g;

	r->req = req;
	r->nlh = mnl_nlmsg_put_header(r->buf);
	r->nlh->nlmsg_type = KEELD_NLMSG_TYPE;
	r->nlh->nlmsg_flags = req->nlmsg_flags & NLM_F_DUMP ? NLM_F_MULTI : 0;
	r->nlh->nlmsg_seq = req->nlmsg_seq;
	r->nlh->nlmsg_pid = req->nlmsg_pid;
	g = mnl_nlmsg_put_extra_header(r->nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = KEELD_PROTO_VERSION;
	return r->nlh;
}

bool reply_room(const struct reply *r, size_t n)
{
	return r->nlh->nlmsg_len + MNL_ALIGN(n) + 64 <= sizeof(r->buf);
}

size_t proto_ack(void *buf, const struct nlmsghdr *req, int code,
		 const char *msg, const void *attr)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlmsgerr *err;

	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = NLM_F_CAPPED;
	nlh->nlmsg_seq = req ? req->nlmsg_seq : 0;
	nlh->nlmsg_pid = req ? req->nlmsg_pid : 0;
	err = mnl_nlmsg_put_extra_header(nlh, sizeof(*err));
	err->error = code;
	if (req)
		err->msg = *req;
	else
		err->msg.nlmsg_len = sizeof(err->msg);
	if (msg && *msg) {
		nlh->nlmsg_flags |= NLM_F_ACK_TLVS;
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
		if (attr && req && (const char *)attr > (const char *)req &&
		    (const char *)attr < (const char *)req + req->nlmsg_len)
			mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS,
					 (uint32_t)((const char *)attr -
						    (const char *)req));
	}
	return nlh->nlmsg_len;
}
