// SPDX-License-Identifier: GPL-2.0
/*
 * What a ring's threads send carries the credentials of the process that
 * gave them the socket, not the kernel's. A receiver with SO_PASSCRED
 * (a logging socket, an LSM) must see the unprivileged user who started
 * the fetch engine or replication, never uid 0.
 */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/wait.h>

#include "keel_test_user.h"
#include "ring_test.h"

#define SLOT	128

/* One message from @fd with the sender's credentials: its length or -1. */
static ssize_t recv_creds(int fd, void *buf, size_t len, struct ucred *cred)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(struct ucred))];
	} c;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = c.b, .msg_controllen = sizeof(c.b),
	};
	struct pollfd p = { .fd = fd, .events = POLLIN };
	struct cmsghdr *h;
	ssize_t n;

	if (poll(&p, 1, 10000) != 1)
		return -1;
	n = recvmsg(fd, &m, 0);
	if (n < 0)
		return -1;
	for (h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
		if (h->cmsg_level == SOL_SOCKET &&
		    h->cmsg_type == SCM_CREDENTIALS) {
			memcpy(cred, CMSG_DATA(h), sizeof(*cred));
			return n;
		}
	}
	return -1;
}

/* Run @ioctl_cmd with @arg on @fd as the unprivileged test user. */
static int ioctl_as_user(int fd, unsigned long ioctl_cmd, void *arg)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		if (keel_test_become_user())
			_exit(100);
		_exit(ioctl(fd, ioctl_cmd, arg) ? errno : 0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -ECHILD;
	return -WEXITSTATUS(status);
}

FIXTURE(creds) {
	uid_t uid;
	gid_t gid;
	struct ring r;
	int sv[2];
};

FIXTURE_SETUP(creds)
{
	struct keel_ring_setup s;
	int on = 1;

	ASSERT_EQ(0, keel_test_user_ids(&self->uid, &self->gid));
	ring_setup_init(&s, 16, SLOT, KEEL_RING_SETUP_AUTOCOMMIT, 0);
	ASSERT_EQ(0, ring_create(&self->r, &s));
	self->sv[0] = self->sv[1] = -1;
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0,
				self->sv));
	ASSERT_EQ(0, setsockopt(self->sv[1], SOL_SOCKET, SO_PASSCRED, &on,
				sizeof(on)));
}

FIXTURE_TEARDOWN(creds)
{
	ring_destroy(&self->r);
	close(self->sv[0]);
	close(self->sv[1]);
}

/* The fetch engine sends entries as the user who started it. */
TEST_F(creds, fetch_sends_as_its_starter)
{
	struct keel_ring_fetch f = { .size = sizeof(f) };
	struct ucred cred = { 0 };
	char buf[SLOT];

	f.sink_fd = self->sv[0];
	ASSERT_EQ(0, ioctl_as_user(self->r.fd, KEEL_RING_IOC_FETCH_START, &f));
	ASSERT_EQ(5, write(self->r.fd, "entry", 5));
	ASSERT_EQ(5, recv_creds(self->sv[1], buf, sizeof(buf), &cred));
	EXPECT_EQ(self->uid, cred.uid) TH_LOG("the fetch engine sent as uid %u", cred.uid);
	EXPECT_EQ(self->gid, cred.gid);
	EXPECT_EQ(0, ring_ioctl(self->r.fd, KEEL_RING_IOC_FETCH_STOP, NULL));
}

/* Root's engine sends as root: the credentials are the starter's. */
TEST_F(creds, fetch_started_by_root_sends_as_root)
{
	struct keel_ring_fetch f = { .size = sizeof(f) };
	struct ucred cred = { .uid = 1 };
	char buf[SLOT];

	f.sink_fd = self->sv[0];
	ASSERT_EQ(0, ring_ioctl(self->r.fd, KEEL_RING_IOC_FETCH_START, &f));
	ASSERT_EQ(5, write(self->r.fd, "entry", 5));
	ASSERT_EQ(5, recv_creds(self->sv[1], buf, sizeof(buf), &cred));
	EXPECT_EQ(0, cred.uid);
	EXPECT_EQ(0, ring_ioctl(self->r.fd, KEEL_RING_IOC_FETCH_STOP, NULL));
}

/* Replication's sender too: its first message, the HELLO. */
TEST_F(creds, replication_sends_as_its_starter)
{
	struct keel_ring_repl a = {
		.size = sizeof(a), .role = KEEL_RING_REPL_PRIMARY,
	};
	struct ucred cred = { 0 };
	int sv[2], on = 1;
	char buf[256];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on,
				sizeof(on)));
	a.sock_fd = sv[0];
	ASSERT_EQ(0, ioctl_as_user(self->r.fd, KEEL_RING_IOC_REPL_START, &a));
	ASSERT_LT(0, recv_creds(sv[1], buf, sizeof(buf), &cred));
	EXPECT_EQ(self->uid, cred.uid) TH_LOG("replication sent as uid %u", cred.uid);
	EXPECT_EQ(self->gid, cred.gid);
	close(sv[0]);
	close(sv[1]);
}

TEST_HARNESS_MAIN
