/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host side shared by the keel_remote tests (kselftest harness), beside
 * remote_vm.h (the VM, its device and queue): the device's "no
 * connection" poll, its info counters (keelctl's JSON), and a fake
 * server the test plays itself on one end of a
 * socketpair(AF_UNIX, SOCK_STREAM): the module sees a
 * connection only after the handshake, so a socketpair stands in for
 * keel-iod. The fake serves an in-memory disk from a thread, or the
 * test reads requests and writes replies of its choice by hand.
 */
#ifndef REMOTE_TEST_H
#define REMOTE_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/keel_remote.h>

#include "kselftest_harness.h"
#include "keel_guest.h"
#include "keel_test_keelctl.h"
#include "blk_guest.h"
#include "remote_vm.h"

#define REMOTE_HANG_MS	20000		/* liveness bound, never a limit */

/* Create a VM into @vm, or skip the test when there is no usable KVM. */
#define VM_CREATE_OR_SKIP(vm, mem_size, flags)				\
	do {								\
		(vm) = vm_create(mem_size, flags);			\
		if (!(vm) && (errno == ENOENT || errno == ENODEV ||	\
			      errno == EACCES))				\
			SKIP(return, "no usable /dev/kvm: %s",		\
			     strerror(errno));				\
		ASSERT_NE(NULL, (vm));					\
	} while (0)

/* Open /dev/keel-remote, or skip when keel_remote.ko is not loaded. */
#define REMOTE_OPEN_OR_SKIP(fd)						\
	do {								\
		(fd) = open(KEEL_REMOTE_DEVICE, O_RDWR | O_CLOEXEC);	\
		if ((fd) < 0 && errno == ENOENT)			\
			SKIP(return, "keel_remote.ko is not loaded");	\
		ASSERT_LE(0, (fd));					\
	} while (0)

#define ASSERT_UCALL(vcpu, uc, cmd)					\
	ASSERT_EQ((uint64_t)(cmd), guest_run(vcpu, &(uc)))		\
		TH_LOG("%s", ucall_str(vcpu, &(uc)))


static inline void remote_connect_init(struct keel_remote_connect *c,
				       int sock_fd, uint32_t handle,
				       uint64_t session)
{
	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	c->sock_fd = sock_fd;
	c->handle = handle;
	c->session = session;
}

/*
 * Wait until the device file polls readable (no connection): 1, or 0
 * when it did not within @ms.
 */
static inline int remote_wait_disconnected(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n;

	do
		n = poll(&p, 1, ms);
	while (n < 0 && errno == EINTR);
	return n == 1 && (p.revents & POLLIN);
}

/* Whether the device file polls readable now. */
static inline bool remote_disconnected_now(int fd)
{
	return remote_wait_disconnected(fd, 0);
}

/* An info counter of remote object @id (keelctl -j objects show), or -1. */
static inline long long remote_info(unsigned int id, const char *key)
{
	long long v = keel_test_obj_info("objects", id, key);

	return v >= 0 ? v : keel_test_obj_info("remote", id, key);
}

/* ---- the fake server on a socketpair ---- */

/* Read exactly @len bytes within @ms; 0, -ECONNRESET at EOF, -ETIMEDOUT. */
static inline int fake_read_all(int fd, void *buf, size_t len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if (poll(&p, 1, ms) <= 0)
			return -ETIMEDOUT;
		n = read(fd, (char *)buf + got, len - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (!n)
			return -ECONNRESET;
		got += n;
	}
	return 0;
}

static inline int fake_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		p += n;
		len -= n;
	}
	return 0;
}

/* One request from the module: header, body (struct keel_remote_io), data. */
struct fake_req {
	struct keel_remote_hdr h;
	struct keel_remote_io io;	/* READ and WRITE */
	uint8_t *data;			/* WRITE: io.len bytes (malloc'ed) */
	size_t body_len;
};

/*
 * Receive the next message from the module within @ms: 0, or -errno
 * (-ECONNRESET at EOF, -EBADMSG for what a module must never send).
 */
static inline int fake_recv(int fd, struct fake_req *r, int ms)
{
	size_t body;
	int ret;

	memset(r, 0, sizeof(*r));
	ret = fake_read_all(fd, &r->h, sizeof(r->h), ms);
	if (ret)
		return ret;
	if (r->h.magic != KEEL_REMOTE_MAGIC || r->h.length < sizeof(r->h) ||
	    r->h.length > KEEL_REMOTE_MSG_MAX)
		return -EBADMSG;
	body = r->h.length - sizeof(r->h);
	r->body_len = body;
	if (r->h.type == KEEL_REMOTE_MSG_READ ||
	    r->h.type == KEEL_REMOTE_MSG_WRITE) {
		if (body < sizeof(r->io))
			return -EBADMSG;
		ret = fake_read_all(fd, &r->io, sizeof(r->io), ms);
		if (ret)
			return ret;
		body -= sizeof(r->io);
	}
	if (body) {
		r->data = malloc(body);
		if (!r->data)
			return -ENOMEM;
		ret = fake_read_all(fd, r->data, body, ms);
		if (ret)
			return ret;
	}
	return 0;
}

static inline void fake_req_free(struct fake_req *r)
{
	free(r->data);
	r->data = NULL;
}

/* Send a reply header with @status and @len bytes of data after it. */
static inline int fake_reply(int fd, uint8_t type, uint32_t handle,
			     uint64_t req_id, uint32_t status,
			     const void *data, size_t len)
{
	struct keel_remote_hdr h = {
		.magic = KEEL_REMOTE_MAGIC,
		.version = KEEL_REMOTE_VERSION_1,
		.type = type,
		.length = (uint32_t)(sizeof(h) + len),
		.handle = handle,
		.req_id = req_id,
		.status = status,
	};
	int ret = fake_write_all(fd, &h, sizeof(h));

	if (!ret && len)
		ret = fake_write_all(fd, data, len);
	return ret;
}

/* An ERROR reply with @code for the request @r. */
static inline int fake_error(int fd, const struct fake_req *r, uint32_t code)
{
	struct keel_remote_error e = { .code = code, .req_type = r->h.type };

	strcpy(e.text, "fake server error");
	return fake_reply(fd, KEEL_REMOTE_MSG_ERROR, r->h.handle, r->h.req_id,
			  code, &e, sizeof(e));
}

/* The disk a fake server serves, and what it saw. */
struct fake_srv {
	int fd;				/* its end of the socketpair */
	uint32_t handle;		/* the session's handle on it */
	uint8_t *disk;
	uint64_t capacity;
	pthread_t thread;
	bool running;
	/* counted by the server thread */
	uint64_t reads, writes, flushes, pings, errors, bad;
	uint64_t last_id;		/* highest req_id seen */
	uint64_t id_gaps;		/* ids not last_id + 1 (no replay) */
	int end;			/* why it stopped: -errno */
};

/* Serve one request @r; 0, or -errno to stop. */
static inline int fake_serve_one(struct fake_srv *f, struct fake_req *r)
{
	uint64_t off = r->io.offset, len = r->io.len;

	if (r->h.handle != f->handle && r->h.type != KEEL_REMOTE_MSG_PING) {
		f->bad++;
		return fake_error(f->fd, r, KEEL_REMOTE_EBADF);
	}
	if (r->h.type >= KEEL_REMOTE_MSG_READ &&
	    r->h.type <= KEEL_REMOTE_MSG_FLUSH) {
		if (r->h.req_id != f->last_id + 1)
			f->id_gaps++;
		if (r->h.req_id > f->last_id)
			f->last_id = r->h.req_id;
	}
	switch (r->h.type) {
	case KEEL_REMOTE_MSG_PING:
		f->pings++;
		return fake_reply(f->fd, KEEL_REMOTE_MSG_PONG, 0, r->h.req_id,
				  0, NULL, 0);
	case KEEL_REMOTE_MSG_FLUSH:
		f->flushes++;
		return fake_reply(f->fd, r->h.type | KEEL_REMOTE_MSG_REPLY,
				  r->h.handle, r->h.req_id, 0, NULL, 0);
	case KEEL_REMOTE_MSG_READ:
	case KEEL_REMOTE_MSG_WRITE:
		if (off % KEEL_REMOTE_SECTOR || len % KEEL_REMOTE_SECTOR ||
		    !len || off + len > f->capacity) {
			f->errors++;
			return fake_error(f->fd, r, KEEL_REMOTE_ERANGE);
		}
		if (r->h.type == KEEL_REMOTE_MSG_READ) {
			f->reads++;
			return fake_reply(f->fd, KEEL_REMOTE_MSG_READ |
					  KEEL_REMOTE_MSG_REPLY, r->h.handle,
					  r->h.req_id, 0, f->disk + off, len);
		}
		if (r->body_len != sizeof(r->io) + len) {
			f->bad++;
			return fake_error(f->fd, r, KEEL_REMOTE_EBADMSG);
		}
		memcpy(f->disk + off, r->data, len);
		f->writes++;
		return fake_reply(f->fd, KEEL_REMOTE_MSG_WRITE |
				  KEEL_REMOTE_MSG_REPLY, r->h.handle,
				  r->h.req_id, 0, NULL, 0);
	default:
		f->bad++;
		return fake_error(f->fd, r, KEEL_REMOTE_EBADRQC);
	}
}

static inline void *fake_thread(void *arg)
{
	struct fake_srv *f = arg;
	struct fake_req r;
	int ret;

	for (;;) {
		ret = fake_recv(f->fd, &r, -1);
		if (!ret)
			ret = fake_serve_one(f, &r);
		fake_req_free(&r);
		if (ret) {
			f->end = ret;
			return NULL;
		}
	}
}

/* A fake server of @capacity zero bytes on @fd, served from a thread. */
static inline int fake_start(struct fake_srv *f, int fd, uint32_t handle,
			     uint64_t capacity)
{
	memset(f, 0, sizeof(*f));
	f->fd = fd;
	f->handle = handle;
	f->capacity = capacity;
	f->disk = calloc(1, capacity);
	if (!f->disk)
		return -ENOMEM;
	if (pthread_create(&f->thread, NULL, fake_thread, f))
		return -EAGAIN;
	f->running = true;
	return 0;
}

/* Stop the server thread: shut its end down and join it. */
static inline void fake_stop(struct fake_srv *f)
{
	if (f->running) {
		shutdown(f->fd, SHUT_RDWR);
		pthread_join(f->thread, NULL);
		f->running = false;
	}
}

static inline void fake_free(struct fake_srv *f)
{
	fake_stop(f);
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	free(f->disk);
	f->disk = NULL;
}

/* A connected AF_UNIX stream pair: [0] for the module, [1] for the test. */
static inline int stream_pair(int sv[2])
{
	return socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) ?
	       -errno : 0;
}

#endif /* REMOTE_TEST_H */
