// SPDX-License-Identifier: GPL-2.0
/*
 * keel-remote-conn: the client handshake for the remote tests, as a
 * small dynamically linked program (keel-iod's client library and
 * OpenSSL's libcrypto), so that the statically linked test programs
 * need neither: connect to ADDR, HELLO, AUTH with the key file (the
 * server's proof checked), then LIST and OPEN of the device NAME (of
 * the type LIST gives it: a block device of at least MIN_CAPACITY bytes,
 * or an entropy device) ("open"), or RESUME of SESSION
 * ("resume"). It answers on descriptor 3 (an AF_UNIX stream socket)
 * with one struct rc_helper_reply and, on success, the connected socket
 * (SCM_RIGHTS). Used by remote_conn.c only.
 *
 *   keel-remote-conn open ADDR KEYFILE NAME MIN_CAPACITY
 *   keel-remote-conn resume ADDR KEYFILE SESSION
 */
#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "client.h"
#include "remote_conn.h"

static int reply(const struct rc_helper_reply *r, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { (void *)r, sizeof(*r) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	if (fd >= 0) {
		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(3, &msg, 0) == (ssize_t)sizeof(*r) ? 0 : 1;
}

static int fail(struct rc_helper_reply *r, int err, const char *what,
		const struct iodc *c)
{
	r->err = err;
	snprintf(r->text, sizeof(r->text), "%s: %s%s%s", what, strerror(-err),
		 c && c->err_text[0] ? ": " : "", c ? c->err_text : "");
	reply(r, -1);
	return 1;
}

int main(int argc, char **argv)
{
	static struct keel_remote_record recs[KEEL_REMOTE_WINDOW];
	struct keel_remote_dev_desc devs[KEEL_REMOTE_MAX_DEVICES];
	struct rc_helper_reply r = { 0 };
	struct keel_remote_open_reply orep;
	struct keel_remote_resume_reply rrep;
	struct keel_remote_open q;
	struct iod_key key;
	unsigned int n = 0, i;
	struct iodc c;
	char msg[256];
	int ret;

	if (argc < 5 || (strcmp(argv[1], "open") && strcmp(argv[1], "resume")) ||
	    (!strcmp(argv[1], "open") && argc != 6) ||
	    (!strcmp(argv[1], "resume") && argc != 5)) {
		fprintf(stderr, "usage: %s open ADDR KEYFILE NAME MIN_CAPACITY | resume ADDR KEYFILE SESSION\n",
			argv[0]);
		return 2;
	}
	ret = key_load(argv[3], &key, msg, sizeof(msg));
	if (ret)
		return fail(&r, ret, msg, NULL);
	ret = iodc_connect(&c, argv[2]);
	if (ret)
		return fail(&r, ret, "connect", NULL);
	ret = iodc_hello(&c, KEEL_REMOTE_VERSION_1, KEEL_REMOTE_VERSION,
			 "keel-remote-test");
	if (ret)
		return fail(&r, ret, "HELLO", &c);
	ret = iodc_auth(&c, &key);
	key_clear(&key);
	if (ret)
		return fail(&r, ret, "AUTH", &c);
	r.keepalive_ms = c.server.keepalive_ms;
	r.linger_ms = c.server.linger_ms;

	if (!strcmp(argv[1], "open")) {
		ret = iodc_list(&c, devs, KEEL_REMOTE_MAX_DEVICES, &n);
		if (ret)
			return fail(&r, ret, "LIST", &c);
		for (i = 0; i < n; i++)
			if (!strncmp(devs[i].name, argv[4], sizeof(devs[i].name)))
				break;
		if (i == n)
			return fail(&r, -ENODEV, "LIST: no such device", NULL);
		if (le16toh(devs[i].type) == KEEL_REMOTE_DEV_ENTROPY)
			iodc_open_req(&q, KEEL_REMOTE_DEV_ENTROPY, NULL, argv[4],
				      KEEL_REMOTE_FEAT_READ, 0);
		else
			iodc_open_req(&q, KEEL_REMOTE_DEV_BLOCK, NULL, argv[4],
				      KEEL_REMOTE_FEAT_READ |
				      KEEL_REMOTE_FEAT_WRITE |
				      KEEL_REMOTE_FEAT_FLUSH,
				      strtoull(argv[5], NULL, 0));
		ret = iodc_open(&c, &q, &orep);
		if (ret)
			return fail(&r, ret, "OPEN", &c);
		r.session = orep.session;
		r.handle = orep.handle;
		r.window = orep.window;
		r.capacity = orep.dev.capacity;
		r.max_data = orep.dev.max_data;
	} else {
		ret = iodc_resume(&c, strtoull(argv[4], NULL, 0), &rrep, recs);
		if (ret)
			return fail(&r, ret, "RESUME", &c);
		r.session = rrep.session;
		r.handle = rrep.handle;
		r.window = rrep.window;
		r.capacity = rrep.dev.capacity;
		r.max_data = rrep.dev.max_data;
		r.last_id = rrep.last_id;
		r.nrecords = rrep.count;
	}
	ret = reply(&r, c.fd);
	iodc_disconnect(&c);
	return ret;
}
