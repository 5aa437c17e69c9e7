// SPDX-License-Identifier: GPL-2.0
/*
 * A ring holds the socket its fetch engine or replication sends on. If
 * the ring's own file is passed (SCM_RIGHTS) into that socket's receive
 * queue and every descriptor is closed, the socket holds the ring and
 * the ring holds the socket: the unix garbage collector cannot see the
 * cycle through Keel, and the ring, its threads and its module pin
 * would never go away. Each test builds such a cycle, closes everything
 * and expects the ring gone from the object listing.
 */
#define _GNU_SOURCE
#include <sys/socket.h>

#include "ring_test.h"

#define GONE_WAIT_MS	10000

/* Send one byte and @fd over @sock: 0 or -errno. */
static int send_fd(int sock, int fd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} c;
	struct iovec iov = { .iov_base = "x", .iov_len = 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = c.b, .msg_controllen = sizeof(c.b),
	};
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);

	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof(int));
	return sendmsg(sock, &m, MSG_NOSIGNAL) == 1 ? 0 : -errno;
}

static bool object_exists(uint32_t id)
{
	struct keel_sock *s = keel_open(NULL);
	struct keel_obj o;
	bool found;

	if (!s)
		return true;
	found = keel_obj_get(s, id, &o) == 0;
	if (found)
		keel_obj_free(&o);
	keel_close(s);
	return found;
}

/* Wait until object @id is gone: true if it went. */
static bool object_gone(uint32_t id)
{
	int ms;

	for (ms = 0; ms < GONE_WAIT_MS; ms += 50) {
		if (!object_exists(id))
			return true;
		usleep(50000);
	}
	return false;
}

static void ring_new(struct __test_metadata *_metadata, struct ring *r)
{
	struct keel_ring_setup s;

	ring_setup_init(&s, 8, 128, KEEL_RING_SETUP_AUTOCOMMIT, 0);
	ASSERT_EQ(0, ring_create(r, &s));
	ASSERT_TRUE(object_exists(r->s.id));
}

/* The fetch engine's sink: the ring's fd goes into the sink's queue. */
TEST(fetch_sink_cycle)
{
	struct keel_ring_fetch f = { .size = sizeof(f) };
	struct ring r;
	uint32_t id;
	int sv[2], ret;

	ring_new(_metadata, &r);
	id = r.s.id;
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	f.sink_fd = sv[0];
	ASSERT_EQ(0, ring_ioctl(r.fd, KEEL_RING_IOC_FETCH_START, &f));
	ret = send_fd(sv[1], r.fd);
	TH_LOG("passing the ring into its sink: %s", ret ? strerror(-ret) : "sent");
	ring_destroy(&r);
	close(sv[0]);
	close(sv[1]);
	EXPECT_TRUE(object_gone(id)) TH_LOG("the ring outlived every descriptor");
}

/* Passed before the engine starts: the start refuses a sink with input. */
TEST(fetch_sink_with_files_queued)
{
	struct keel_ring_fetch f = { .size = sizeof(f) };
	struct ring r;
	uint32_t id;
	int sv[2];

	ring_new(_metadata, &r);
	id = r.s.id;
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, send_fd(sv[1], r.fd));
	f.sink_fd = sv[0];
	EXPECT_EQ(-EBUSY, ring_ioctl(r.fd, KEEL_RING_IOC_FETCH_START, &f));
	ring_destroy(&r);
	close(sv[0]);
	close(sv[1]);
	EXPECT_TRUE(object_gone(id)) TH_LOG("the ring outlived every descriptor");
}

/* Replication that failed still holds its socket until REPL_STOP. */
TEST(replication_socket_cycle)
{
	struct keel_ring_repl a = {
		.size = sizeof(a), .role = KEEL_RING_REPL_PRIMARY,
	};
	char junk[64];
	struct ring r;
	uint32_t id;
	int sv[2], ret;

	ring_new(_metadata, &r);
	id = r.s.id;
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	a.sock_fd = sv[0];
	ASSERT_EQ(0, ring_ioctl(r.fd, KEEL_RING_IOC_REPL_START, &a));
	/* Not an ACK: replication fails and its threads end. */
	memset(junk, 0xee, sizeof(junk));
	ASSERT_EQ(sizeof(junk), write(sv[1], junk, sizeof(junk)));
	usleep(200000);
	ret = send_fd(sv[1], r.fd);
	TH_LOG("passing the ring into its socket: %s", ret ? strerror(-ret) : "sent");
	ring_destroy(&r);
	close(sv[0]);
	close(sv[1]);
	EXPECT_TRUE(object_gone(id)) TH_LOG("the ring outlived every descriptor");
}

TEST_HARNESS_MAIN
