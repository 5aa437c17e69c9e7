// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel fetch engine: committed entries go to a SOCK_SEQPACKET
 * socket, a pipe or a tap device, exactly once, in order, intact, never
 * before their commit; a sink closed under it stops the engine with the
 * error in the ring's netlink object and leaves the entry at the head;
 * stopping (or closing the ring) while a send blocks does not hang;
 * malformed starts are refused.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>

#include "libkeel.h"
#include "ring_test.h"

#define N_ENTRIES	20000

static int fetch_start(int fd, int sink)
{
	struct keel_ring_fetch f = { .size = sizeof(f), .sink_fd = sink };

	return ring_ioctl(fd, KEEL_RING_IOC_FETCH_START, &f);
}

/* The ring's fetch state and error, from netlink. */
static void fetch_info(struct __test_metadata *_metadata, uint32_t id,
		       uint32_t *state, uint32_t *err, uint64_t *fetched)
{
	const struct keel_info_attr *a;
	struct keel_error e;
	struct keel_sock *k = keel_open(&e);
	struct keel_obj o;

	ASSERT_NE(NULL, k);
	ASSERT_EQ(0, keel_obj_get(k, id, &o));
	a = keel_obj_info(&o, KEEL_RING_INFO_A_FETCH_STATE);
	ASSERT_NE(NULL, a);
	memcpy(state, a->data, 4);
	a = keel_obj_info(&o, KEEL_RING_INFO_A_FETCH_ERR);
	ASSERT_NE(NULL, a);
	memcpy(err, a->data, 4);
	a = keel_obj_info(&o, KEEL_RING_INFO_A_FETCHED);
	ASSERT_NE(NULL, a);
	memcpy(fetched, a->data, 8);
	keel_obj_free(&o);
	keel_close(k);
}

/* Wait up to 10 s for the engine to reach @state. */
static uint32_t wait_state(struct __test_metadata *_metadata, uint32_t id,
			   uint32_t state, uint32_t *err)
{
	uint64_t fetched;
	uint32_t st = ~0u;
	int i;

	for (i = 0; i < 1000; i++) {
		fetch_info(_metadata, id, &st, err, &fetched);
		if (st == state)
			break;
		usleep(10000);
	}
	return st;
}

static __u64 *issued;

/* Produce @n self-checking entries with write(), random commits. */
static void produce(struct __test_metadata *_metadata, struct ring *r,
		    uint64_t n)
{
	uint32_t max = ring_payload_max(r), len;
	uint64_t seq, committed = 0, rnd = 88172645463325252ull;
	uint8_t buf[KEEL_RING_SLOT_SIZE_MAX];

	for (seq = 0; seq < n;) {
		len = entry_make(buf, seq, max);
		if (write(r->fd, buf, len) == (ssize_t)len) {
			seq++;
			rnd ^= rnd << 13;
			rnd ^= rnd >> 7;
			rnd ^= rnd << 17;
			if (rnd % 3)
				continue;
			committed += 1 + rnd % (seq - committed);
		} else {
			ASSERT_EQ(EAGAIN, errno);
			if (committed == seq) {
				ASSERT_NE(0, ring_wait(r->fd, POLLOUT, 20000));
				continue;
			}
			committed = seq;
		}
		store_release(issued, committed);
		ASSERT_EQ(0, ring_commit(r, (r->s.start + committed) & r->mask,
					 0, NULL));
	}
	store_release(issued, n);
	ASSERT_EQ(0, ring_commit(r, 0, KEEL_RING_COMMIT_ALL, NULL));
}

/* Child: read @n entries from @fd (one message each, or a byte stream). */
static int consume(int fd, uint64_t n, uint32_t max, int stream)
{
	uint8_t buf[KEEL_RING_SLOT_SIZE_MAX];
	uint64_t seq, got_seq;
	ssize_t len;

	for (seq = 0; seq < n; seq++) {
		if (stream) {
			uint32_t want;

			/* The length follows from the sequence number. */
			if (read(fd, buf, 8) != 8)
				return 10;
			memcpy(&got_seq, buf, 8);
			if (got_seq != seq)
				return 1;
			want = entry_len(seq, max);
			for (len = 8; len < want;) {
				ssize_t k = read(fd, buf + len, want - len);

				if (k <= 0)
					return 10;
				len += k;
			}
		} else {
			len = read(fd, buf, sizeof(buf));
			if (len < 8)
				return 10;
		}
		memcpy(&got_seq, buf, 8);
		if (got_seq != seq)
			return 1;
		if (seq >= load_acquire(issued))
			return 3;
		if (!entry_check(buf, len, seq, max))
			return 2;
	}
	return 0;
}

FIXTURE(fetch) {
	struct ring r;
};

FIXTURE_SETUP(fetch)
{
	struct keel_ring_setup s;
	int fd;

	RING_OPEN_OR_SKIP(fd);
	close(fd);
	issued = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, issued);
	*issued = 0;
	ring_setup_init(&s, 16, 128, 0, 0xffffffffull - 3000);
	strcpy(s.label, "fetch");
	ASSERT_EQ(0, ring_create(&self->r, &s));
	ASSERT_EQ(0, fcntl(self->r.fd, F_SETFL, O_NONBLOCK));
}

FIXTURE_TEARDOWN(fetch)
{
	ring_destroy(&self->r);
	munmap(issued, 4096);
}

static void stream_through(struct __test_metadata *_metadata, struct ring *r,
			   int rfd, int wfd, int stream)
{
	uint64_t end = (r->s.start + N_ENTRIES) & r->mask, fetched;
	uint32_t st, err;
	int status;
	pid_t pid;

	ASSERT_EQ(0, fetch_start(r->fd, wfd));
	/* The engine holds its own reference. */
	close(wfd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		alarm(200);
		_exit(consume(rfd, N_ENTRIES, ring_payload_max(r), stream));
	}
	produce(_metadata, r, N_ENTRIES);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* Everything sent: the head is the kernel's, at the end. */
	EXPECT_EQ(end, load_acquire(&r->ctrl->head));
	fetch_info(_metadata, r->s.id, &st, &err, &fetched);
	EXPECT_EQ(KEEL_RING_FETCH_STATE_RUNNING, st);
	EXPECT_EQ(0, err);
	EXPECT_EQ(N_ENTRIES, fetched);
	EXPECT_EQ(0, ring_ioctl(r->fd, KEEL_RING_IOC_FETCH_STOP, NULL));
	EXPECT_EQ(0, ring_ioctl(r->fd, KEEL_RING_IOC_FETCH_STOP, NULL));
	close(rfd);
}

/* 20,000 entries take tens of seconds on the debug kernel. */
TEST_F_TIMEOUT(fetch, into_seqpacket_socket, 150)
{
	int sv[2];

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	stream_through(_metadata, &self->r, sv[0], sv[1], 0);
}

TEST_F_TIMEOUT(fetch, into_pipe, 150)
{
	int p[2];

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	stream_through(_metadata, &self->r, p[0], p[1], 1);
}

/* Frames through a tap device, seen by a packet socket on it. */
TEST_F(fetch, into_tap)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	uint8_t frame[60], buf[128];
	int tap, ps, s, i, n;

	tap = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (tap < 0)
		SKIP(return, "/dev/net/tun: %s", strerror(errno));
	strcpy(ifr.ifr_name, "keelring%d");
	ASSERT_EQ(0, ioctl(tap, TUNSETIFF, &ifr));
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ASSERT_LE(0, s);
	ifr.ifr_flags = IFF_UP;
	ASSERT_EQ(0, ioctl(s, SIOCSIFFLAGS, &ifr));
	close(s);
	ps = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(0x88b5));
	ASSERT_LE(0, ps);
	sll.sll_protocol = htons(0x88b5);	/* local experimental */
	sll.sll_ifindex = if_nametoindex(ifr.ifr_name);
	ASSERT_NE(0, sll.sll_ifindex);
	ASSERT_EQ(0, bind(ps, (struct sockaddr *)&sll, sizeof(sll)));

	ASSERT_EQ(0, fetch_start(self->r.fd, tap));
	memset(frame, 0xff, 6);				/* broadcast */
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x01", 6);
	frame[12] = 0x88;
	frame[13] = 0xb5;
	for (i = 0; i < 10; i++) {
		memset(frame + 14, i, sizeof(frame) - 14);
		ASSERT_EQ(sizeof(frame), write(self->r.fd, frame, sizeof(frame)));
		ASSERT_EQ(0, ring_commit(&self->r, 0, KEEL_RING_COMMIT_ALL,
					 NULL));
	}
	for (i = 0; i < 10; i++) {
		ASSERT_EQ(1, ring_wait(ps, POLLIN, 5000) == POLLIN);
		n = recv(ps, buf, sizeof(buf), 0);
		ASSERT_EQ(sizeof(frame), n);
		EXPECT_EQ(i, buf[14]);
		EXPECT_EQ(i, buf[59]);
	}
	EXPECT_EQ(0, ring_ioctl(self->r.fd, KEEL_RING_IOC_FETCH_STOP, NULL));
	close(ps);
	close(tap);
}

/* The reader goes away: EPIPE stops the engine; nothing is lost. */
TEST_F(fetch, sink_closed_under_it)
{
	uint32_t st, err;
	uint64_t fetched;
	char buf[128];
	int p[2], sv[2], i;

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	ASSERT_EQ(0, fetch_start(self->r.fd, p[1]));
	close(p[1]);
	ASSERT_EQ(3, write(self->r.fd, "one", 3));
	ASSERT_EQ(0, ring_commit(&self->r, 0, KEEL_RING_COMMIT_ALL, NULL));
	ASSERT_EQ(1, ring_wait(p[0], POLLIN, 5000) == POLLIN);
	ASSERT_EQ(3, read(p[0], buf, sizeof(buf)));
	/* read() is refused while the engine owns the head. */
	EXPECT_EQ(-1, read(self->r.fd, buf, sizeof(buf)));
	EXPECT_EQ(EBUSY, errno);
	close(p[0]);
	ASSERT_EQ(3, write(self->r.fd, "two", 3));
	ASSERT_EQ(0, ring_commit(&self->r, 0, KEEL_RING_COMMIT_ALL, NULL));
	EXPECT_EQ(KEEL_RING_FETCH_STATE_FAILED,
		  wait_state(_metadata, self->r.s.id,
			     KEEL_RING_FETCH_STATE_FAILED, &err));
	EXPECT_EQ(EPIPE, err);
	fetch_info(_metadata, self->r.s.id, &st, &err, &fetched);
	EXPECT_EQ(1, fetched);
	/* A failed engine must be stopped before another starts. */
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
	EXPECT_EQ(-EBUSY, fetch_start(self->r.fd, sv[1]));
	EXPECT_EQ(0, ring_ioctl(self->r.fd, KEEL_RING_IOC_FETCH_STOP, NULL));
	fetch_info(_metadata, self->r.s.id, &st, &err, &fetched);
	EXPECT_EQ(KEEL_RING_FETCH_STATE_NONE, st);
	/* "two" is still there, for read() or a new engine. */
	ASSERT_EQ(0, fetch_start(self->r.fd, sv[1]));
	ASSERT_EQ(1, ring_wait(sv[0], POLLIN, 5000) == POLLIN);
	EXPECT_EQ(3, recv(sv[0], buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "two", 3));
	/* The peer closes: the socket fails too. */
	close(sv[0]);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(1, write(self->r.fd, "x", 1));
	ASSERT_EQ(0, ring_commit(&self->r, 0, KEEL_RING_COMMIT_ALL, NULL));
	EXPECT_EQ(KEEL_RING_FETCH_STATE_FAILED,
		  wait_state(_metadata, self->r.s.id,
			     KEEL_RING_FETCH_STATE_FAILED, &err));
	EXPECT_EQ(EPIPE, err);
	EXPECT_EQ(0, ring_ioctl(self->r.fd, KEEL_RING_IOC_FETCH_STOP, NULL));
	for (i = 0; i < 3; i++)
		EXPECT_EQ(1, read(self->r.fd, buf, sizeof(buf)));
	close(sv[1]);
}

/* A blocking read() on the empty ring; its result. */
static void *blocking_read(void *arg)
{
	struct ring *r = arg;
	char buf[64];
	ssize_t n = read(r->fd, buf, sizeof(buf));

	return (void *)(intptr_t)(n < 0 ? -errno : n);
}

/* A reader blocked on the empty ring does not hold up FETCH_START. */
TEST_F(fetch, start_while_a_reader_waits)
{
	pthread_t t;
	char buf[8];
	void *res;
	int p[2];

	ASSERT_EQ(0, fcntl(self->r.fd, F_SETFL, 0));
	ASSERT_EQ(0, pthread_create(&t, NULL, blocking_read, &self->r));
	usleep(200000);
	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	/* Before the fix this blocked until the reader got an entry. */
	ASSERT_EQ(0, fetch_start(self->r.fd, p[1]));
	ASSERT_EQ(0, pthread_join(t, &res));
	EXPECT_EQ(-EBUSY, (intptr_t)res);
	ASSERT_EQ(3, write(self->r.fd, "one", 3));
	ASSERT_EQ(0, ring_commit(&self->r, 0, KEEL_RING_COMMIT_ALL, NULL));
	ASSERT_EQ(POLLIN, ring_wait(p[0], POLLIN, 5000));
	EXPECT_EQ(3, read(p[0], buf, sizeof(buf)));
	EXPECT_EQ(0, ring_ioctl(self->r.fd, KEEL_RING_IOC_FETCH_STOP, NULL));
	close(p[0]);
	close(p[1]);
}

/* A send blocked on a full pipe: stop and close return at once. */
TEST_F(fetch, stop_while_blocked)
{
	char big[120];
	int p[2], i, round;

	memset(big, 'b', sizeof(big));
	for (round = 0; round < 2; round++) {
		ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
		ASSERT_EQ(0, fetch_start(self->r.fd, p[1]));
		/* 16 slots of 120 bytes, over and over: the pipe fills. */
		for (i = 0; i < 1000; i++) {
			if (write(self->r.fd, big, sizeof(big)) < 0) {
				ASSERT_EQ(EAGAIN, errno);
				ASSERT_EQ(0, ring_commit(&self->r, 0,
					  KEEL_RING_COMMIT_ALL, NULL));
				if (!ring_wait(self->r.fd, POLLOUT, 200))
					break;
			}
		}
		ASSERT_LT(i, 1000) TH_LOG("the pipe never filled");
		if (round == 0) {
			alarm(20);
			EXPECT_EQ(0, ring_ioctl(self->r.fd,
						KEEL_RING_IOC_FETCH_STOP, NULL));
			alarm(0);
		} else {
			/* Release stops the blocked engine. */
			alarm(20);
			ring_destroy(&self->r);
			alarm(0);
		}
		close(p[0]);
		close(p[1]);
	}
}

TEST_F(fetch, malformed_starts)
{
	struct keel_ring_fetch f = { .size = sizeof(f) };
	int p[2], fd, ring2;
	char path[] = "/tmp/keel-ring-XXXXXX";

	ASSERT_EQ(0, pipe2(p, O_CLOEXEC));
	EXPECT_EQ(-EBADF, fetch_start(self->r.fd, -1));
	EXPECT_EQ(-EBADF, fetch_start(self->r.fd, 1000));
	EXPECT_EQ(-EBADF, fetch_start(self->r.fd, p[0]));	/* read end */
	EXPECT_EQ(-EINVAL, fetch_start(self->r.fd, self->r.fd));
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	unlink(path);
	EXPECT_EQ(-EINVAL, fetch_start(self->r.fd, fd));	/* regular file */
	close(fd);
	f.sink_fd = p[1];
	f.flags = 1;
	EXPECT_EQ(-EINVAL, ring_ioctl(self->r.fd, KEEL_RING_IOC_FETCH_START,
				      &f));
	f.flags = 0;
	f.pad = 1;
	EXPECT_EQ(-EINVAL, ring_ioctl(self->r.fd, KEEL_RING_IOC_FETCH_START,
				      &f));
	f.pad = 0;
	f.size = 4;
	EXPECT_EQ(-EINVAL, ring_ioctl(self->r.fd, KEEL_RING_IOC_FETCH_START,
				      &f));
	/* Not set up yet */
	ring2 = open(KEEL_RING_DEVICE, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, ring2);
	EXPECT_EQ(-EBADFD, fetch_start(ring2, p[1]));
	EXPECT_EQ(-EBADFD, ring_ioctl(ring2, KEEL_RING_IOC_FETCH_STOP, NULL));
	close(ring2);
	/* Twice */
	EXPECT_EQ(0, fetch_start(self->r.fd, p[1]));
	EXPECT_EQ(-EBUSY, fetch_start(self->r.fd, p[1]));
	close(p[0]);
	close(p[1]);
	/* Closing the ring with an idle engine attached. */
}

TEST_HARNESS_MAIN
