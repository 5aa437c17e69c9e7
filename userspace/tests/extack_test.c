// SPDX-License-Identifier: GPL-2.0
/*
 * keel_extack_parse() and keel_error_print() on handcrafted NLMSG_ERROR
 * and NLMSG_DONE messages: capped and uncapped acks, every TLV Keel reads,
 * successes, permission errors and truncated messages; the printed line is
 * the sender's message alone, or the errno in words when there is none.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "libkeel.h"
#include "tap.h"

static char buf[1024];

/* An NLMSG_ERROR for a request with @req_payload bytes of payload. */
static struct nlmsghdr *put_error(int error, uint16_t flags,
				  size_t req_payload)
{
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	nlh->nlmsg_flags = flags;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = sizeof(struct nlmsghdr) + req_payload;
	e->msg.nlmsg_type = 0x20;
	if (!(flags & NLM_F_CAPPED)) {
		char *p = mnl_nlmsg_put_extra_header(nlh, req_payload);

		memset(p, 0x5a, req_payload);	/* must not look like TLVs */
	}
	return nlh;
}

static void test_capped(void)
{
	struct nlmsghdr *nlh = put_error(-EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS, 8);
	struct keel_error err;
	int ret;

	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "invalid attribute length");
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_OFFS, 20);
	ret = keel_extack_parse(nlh, &err);
	ok(ret == -EINVAL, "capped: status %d", ret);
	ok(err.kind == KEEL_ERR_KERNEL && err.errnum == EINVAL,
	   "capped: kind %d errnum %d", err.kind, err.errnum);
	ok(!strcmp(err.msg, "invalid attribute length"), "capped: msg '%s'",
	   err.msg);
	ok(err.has_offset && err.offset == 20, "capped: offset %u",
	   err.offset);
	ok(!err.has_miss_type, "capped: no missing attribute");
}

static void test_uncapped(void)
{
	/* 6 payload bytes: the kernel pads the copy to 8. */
	struct nlmsghdr *nlh = put_error(-ENOENT, NLM_F_ACK_TLVS, 6);
	struct keel_error err;
	int ret;

	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "no object with this id");
	ret = keel_extack_parse(nlh, &err);
	ok(ret == -ENOENT, "uncapped: status %d", ret);
	ok(!strcmp(err.msg, "no object with this id"),
	   "uncapped: msg after the copied request '%s'", err.msg);
}

static void test_missing(void)
{
	struct nlmsghdr *nlh = put_error(-EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	struct keel_error err;

	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_TYPE, KEEL_A_OBJ_ID);
	mnl_attr_put_u32(nlh, NLMSGERR_ATTR_MISS_NEST, 24);
	mnl_attr_put_u32(nlh, 200, 1);	/* a TLV from a newer kernel */
	keel_extack_parse(nlh, &err);
	ok(err.has_miss_type && err.miss_type == KEEL_A_OBJ_ID,
	   "missing attribute type %u", err.miss_type);
	ok(err.has_miss_nest && err.miss_nest == 24, "missing in nest at %u",
	   err.miss_nest);
	ok(err.msg[0] == '\0', "no message");
}

static void test_success_and_perm(void)
{
	struct keel_error err;
	int ret;

	ret = keel_extack_parse(put_error(0, NLM_F_CAPPED, 0), &err);
	ok(ret == 0 && err.kind == KEEL_ERR_NONE, "ack: success");

	ret = keel_extack_parse(put_error(-EPERM, NLM_F_CAPPED, 0), &err);
	ok(ret == -EPERM && err.kind == KEEL_ERR_PERM, "EPERM is KEEL_ERR_PERM");

	/* TLV bytes without NLM_F_ACK_TLVS are not read. */
	mnl_attr_put_strz(put_error(-EIO, NLM_F_CAPPED, 0), NLMSGERR_ATTR_MSG, "x");
	ret = keel_extack_parse((struct nlmsghdr *)buf, &err);
	ok(ret == -EIO && !err.msg[0], "TLVs need NLM_F_ACK_TLVS");
}

static void test_done(void)
{
	struct nlmsghdr *nlh;
	struct keel_error err;
	int status = -ENOENT, ret;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI | NLM_F_ACK_TLVS;
	memcpy(mnl_nlmsg_put_extra_header(nlh, sizeof(int)), &status,
	       sizeof(int));
	mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, "dump failed");
	ret = keel_extack_parse(nlh, &err);
	ok(ret == -ENOENT && !strcmp(err.msg, "dump failed"),
	   "NLMSG_DONE with error and message");

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_DONE;
	ret = keel_extack_parse(nlh, &err);
	ok(ret == 0 && err.kind == KEEL_ERR_NONE, "empty NLMSG_DONE is success");
}

static void test_malformed(void)
{
	struct nlmsghdr *nlh;
	struct keel_error err;
	int ret;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = NLMSG_ERROR;
	mnl_nlmsg_put_extra_header(nlh, 4);	/* shorter than nlmsgerr */
	ret = keel_extack_parse(nlh, &err);
	ok(ret == -EBADMSG && err.kind == KEEL_ERR_PROTO,
	   "truncated nlmsgerr is EBADMSG");

	nlh = put_error(-EINVAL, NLM_F_CAPPED | NLM_F_ACK_TLVS, 0);
	/* A message attribute that is not NUL-terminated is ignored. */
	mnl_attr_put(nlh, NLMSGERR_ATTR_MSG, 3, "abc");
	ret = keel_extack_parse(nlh, &err);
	ok(ret == -EINVAL && !err.msg[0], "unterminated message ignored");
}

static void test_print(void)
{
	struct keel_error err = { .kind = KEEL_ERR_KERNEL, .errnum = ENOENT };
	char *out = NULL;
	size_t len;
	FILE *f;

	snprintf(err.msg, sizeof(err.msg), "no object with this id");
	f = open_memstream(&out, &len);
	keel_error_print(f, "keelctl", "objects show", &err);
	err.msg[0] = '\0';
	keel_error_print(f, "keelctl", "host", &err);
	err.kind = KEEL_ERR_NOT_LOADED;
	keel_error_print(f, "keelctl", "host", &err);
	fclose(f);
	if (!ok(!strcmp(out,
			"keelctl: objects show: no object with this id\n"
			"keelctl: host: no such object\n"
			"keelctl: keel modules are not loaded (keel.ko): load them with modprobe keel\n"),
		"keel_error_print() lines"))
		printf("# got:\n%s", out);
	free(out);
}

/* An errno's text never goes in front of the sender's own reason. */
static void test_print_no_stray_errno(void)
{
	static const struct {
		enum keel_err_kind kind;
		int errnum;
		const char *msg, *want;
	} cases[] = {
		{ KEEL_ERR_KERNEL, ESRCH,
		  "required feature acc:fpga (request) left no host",
		  "keelctl: alloc: required feature acc:fpga (request) left no host\n" },
		{ KEEL_ERR_PERM, EPERM, "alloc needs root or the admin group",
		  "keelctl: alloc: alloc needs root or the admin group\n" },
		{ KEEL_ERR_KERNEL, EINVAL,
		  "rx-usecs is longer than the overflow interval",
		  "keelctl: alloc: rx-usecs is longer than the overflow interval\n" },
		{ KEEL_ERR_PROTO, EBADMSG, "keeld sent a malformed reply",
		  "keelctl: alloc: keeld sent a malformed reply\n" },
		{ KEEL_ERR_PERM, EPERM, "",
		  "keelctl: alloc: permission denied: this needs root (CAP_SYS_ADMIN) or, for an object, the user that created it (see keel(7))\n" },
		{ KEEL_ERR_KERNEL, EOPNOTSUPP, "",
		  "keelctl: alloc: not supported by the loaded Keel modules (keelctl version compares their api with keelctl's)\n" },
		{ KEEL_ERR_SYSTEM, EAGAIN, "",
		  "keelctl: alloc: no answer in time; try again\n" },
		{ KEEL_ERR_PROTO, 0, "",
		  "keelctl: alloc: malformed reply from the kernel\n" },
		/* Without words of its own: strerror(), as the cause. */
		{ KEEL_ERR_KERNEL, EADDRINUSE, "",
		  "keelctl: alloc: Address already in use\n" },
	};
	struct keel_error err;
	char *out = NULL;
	size_t i, len;
	FILE *f;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&err, 0, sizeof(err));
		err.kind = cases[i].kind;
		err.errnum = cases[i].errnum;
		snprintf(err.msg, sizeof(err.msg), "%s", cases[i].msg);
		f = open_memstream(&out, &len);
		keel_error_print(f, "keelctl", "alloc", &err);
		fclose(f);
		if (!ok(!strcmp(out, cases[i].want), "%s, %s: %s",
			strerror(cases[i].errnum), cases[i].msg[0] ?
			"the message alone" : "the errno in words",
			cases[i].want))
			printf("# got: %s", out);
		free(out);
		out = NULL;
	}
	err.kind = KEEL_ERR_KERNEL;
	err.errnum = ENOENT;
	snprintf(err.msg, sizeof(err.msg), "no host 3");
	ok(!strcmp(keel_error_str(&err), "no such object"),
	   "keel_error_str() is the errno's part, without the message");
	ok(keel_errno_str(ENOENT) == keel_error_str(&err) &&
	   !strcmp(keel_errno_str(EEXIST), "it exists already"),
	   "keel_errno_str(): words for an errno");
}

int main(void)
{
	test_capped();
	test_uncapped();
	test_missing();
	test_success_and_perm();
	test_done();
	test_malformed();
	test_print();
	test_print_no_stray_errno();
	return tap_done();
}
