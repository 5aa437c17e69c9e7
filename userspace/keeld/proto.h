/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keeld's side of the protocol (uapi/linux/keeld.h): checking a request's
 * headers, parsing attributes strictly against a policy, building reply
 * messages and the final NLMSG_ERROR with an extended-ack message.
 */
#ifndef KEELD_PROTO_H
#define KEELD_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/keeld.h>

/* One attribute of a policy: type, string length bound, repeatable. */
struct attr_policy {
	enum mnl_attr_data_type type;	/* MNL_TYPE_UNSPEC: not accepted */
	uint16_t maxlen;		/* strings: longest, without the NUL */
	bool multi;
};

/* What went wrong with a request: errno, message, bad attribute. */
struct proto_err {
	int code;			/* negative errno */
	char msg[256];
	const void *attr;		/* the offending attribute, or NULL */
};

int proto_fail(struct proto_err *e, int code, const void *attr,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/*
 * Check one received packet of @len bytes as a request: a single
 * well-formed message of KEELD_NLMSG_TYPE with only allowed flags, a
 * genl header of our version and a known command.
 */
int proto_check_request(const void *buf, size_t len, struct proto_err *e);

/*
 * Index the attributes in [@start, @start + @len) into @tb[0..@max] after
 * checking every one against @pol: unknown types, bad lengths, trailing
 * bytes and repeated single attributes are refused. Repeatable ones are
 * checked but not indexed beyond the first.
 */
int proto_parse(const void *start, size_t len, const struct attr_policy *pol,
		uint16_t max, const struct nlattr **tb, struct proto_err *e);
int proto_parse_nest(const struct nlattr *nest, const struct attr_policy *pol,
		     uint16_t max, const struct nlattr **tb,
		     struct proto_err *e);

/* A reply being built: a buffer of KEELD_MSG_MAX bytes. */
struct reply {
	char buf[KEELD_MSG_MAX];
	struct nlmsghdr *nlh;
	const struct nlmsghdr *req;
};

/* Start a reply message to @req for command @cmd. */
struct nlmsghdr *reply_start(struct reply *r, const struct nlmsghdr *req,
			     uint8_t cmd);
/* Whether @n more bytes of attributes fit the message being built. */
bool reply_room(const struct reply *r, size_t n);
/*
 * Build the final NLMSG_ERROR for @req into @buf (KEELD_MSG_MAX bytes):
 * @code 0 or a negative errno, @msg (may be NULL), @attr the offending
 * attribute inside @req (may be NULL). Returns its length.
 */
size_t proto_ack(void *buf, const struct nlmsghdr *req, int code,
		 const char *msg, const void *attr);

#endif /* KEELD_PROTO_H */
