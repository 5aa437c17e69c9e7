// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/keel-ring setup, mmap and commit rules: every malformed setup is
 * refused with a clear errno and changes nothing; mmap only at the two
 * offsets with the exact sizes; commit never behind the outgoing tail or
 * beyond the buffer tail; the full and empty edges; hostile indices in
 * the mapping are ignored.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/eventfd.h>

#include "ring_test.h"

FIXTURE(ring) {
	int fd;
	struct keel_ring_setup s;
};

FIXTURE_SETUP(ring)
{
	RING_OPEN_OR_SKIP(self->fd);
	ring_setup_init(&self->s, 8, 64, 0, 0);
}

FIXTURE_TEARDOWN(ring)
{
	if (self->fd >= 0)
		close(self->fd);
}

#define SETUP_FAILS(s, err)						\
	EXPECT_EQ(-(err), ring_ioctl(self->fd, KEEL_RING_IOC_SETUP, &(s)))

TEST_F(ring, malformed_setups_change_nothing)
{
	struct keel_ring_setup s;
	char buf[64];
	int efd;

	efd = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, efd);

	/* Not set up: everything else refuses. */
	EXPECT_EQ(-EBADFD, ring_ioctl(self->fd, KEEL_RING_IOC_SYNC, NULL));
	EXPECT_EQ(-1, read(self->fd, buf, sizeof(buf)));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-1, write(self->fd, buf, 8));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ, MAP_SHARED,
				   self->fd, 0));
	EXPECT_EQ(POLLERR, ring_wait(self->fd, POLLIN, 0));
	EXPECT_EQ(-ENOTTY, ring_ioctl(self->fd, _IO(KEEL_IOC_MAGIC, 0x4f),
				      NULL));
	EXPECT_EQ(-ENOTTY, ring_ioctl(self->fd, _IO('x', 0x30), NULL));
	EXPECT_EQ(-ENOTTY, ring_ioctl(self->fd, _IO(KEEL_IOC_MAGIC, 0x30),
				      NULL));

	s = self->s; s.slots = 0;		SETUP_FAILS(s, EINVAL);
	s = self->s; s.slots = 3;		SETUP_FAILS(s, EINVAL);
	s = self->s; s.slots = 12;		SETUP_FAILS(s, EINVAL);
	s = self->s; s.slots = KEEL_RING_SLOTS_MAX * 2; SETUP_FAILS(s, EINVAL);
	s = self->s; s.slots = 0x80000000u;	SETUP_FAILS(s, EINVAL);
	s = self->s; s.slot_size = 0;		SETUP_FAILS(s, EINVAL);
	s = self->s; s.slot_size = 8;		SETUP_FAILS(s, EINVAL);
	s = self->s; s.slot_size = 60;		SETUP_FAILS(s, EINVAL);
	s = self->s; s.slot_size = KEEL_RING_SLOT_SIZE_MAX + 8;
						SETUP_FAILS(s, EINVAL);
	/* 2^20 slots of 128 bytes: 128 MiB, over the area limit */
	s = self->s; s.slots = KEEL_RING_SLOTS_MAX; s.slot_size = 128;
						SETUP_FAILS(s, EINVAL);
	s = self->s; s.flags = 0x80;		SETUP_FAILS(s, EINVAL);
	s = self->s; s.flags = 0x80000000u;	SETUP_FAILS(s, EINVAL);
	s = self->s; s.start = 1ull << 32;	SETUP_FAILS(s, EINVAL);
	s = self->s; s.size = 4;		SETUP_FAILS(s, EINVAL);
	s = self->s; s.size = sizeof(s) + 8;	SETUP_FAILS(s, EINVAL);
	s = self->s; memset(s.label, 'a', sizeof(s.label));
						SETUP_FAILS(s, EINVAL);
	s = self->s; strcpy(s.label, "bad\n");	SETUP_FAILS(s, EINVAL);
	s = self->s; s.flags = KEEL_RING_SETUP_EVENTFD;
	s.event_fd = -1;			SETUP_FAILS(s, EBADF);
	s = self->s; s.flags = KEEL_RING_SETUP_EVENTFD;
	s.event_fd = 1000;			SETUP_FAILS(s, EBADF);
	s = self->s; s.flags = KEEL_RING_SETUP_EVENTFD;
	s.event_fd = self->fd;			SETUP_FAILS(s, EINVAL);

	/* Still not set up. */
	EXPECT_EQ(-EBADFD, ring_ioctl(self->fd, KEEL_RING_IOC_SYNC, NULL));

	/* Now a good one, then a second one. */
	s = self->s;
	s.flags = KEEL_RING_SETUP_EVENTFD;
	s.event_fd = efd;
	strcpy(s.label, "ring-0");
	ASSERT_EQ(0, ring_ioctl(self->fd, KEEL_RING_IOC_SETUP, &s));
	EXPECT_NE(0, s.id);
	EXPECT_EQ(4096, s.ctrl_size);
	EXPECT_EQ(4096, s.slots_size);
	s = self->s;				SETUP_FAILS(s, EBUSY);
	close(efd);
}

/* A larger struct with zeroed unknown tail bytes is fine; non-zero: E2BIG. */
TEST_F(ring, extensible_setup)
{
	struct {
		struct keel_ring_setup s;
		uint64_t more;
	} big = { .s = self->s };
	unsigned long cmd = _IOC(_IOC_READ | _IOC_WRITE, KEEL_IOC_MAGIC, 0x30,
				 sizeof(big));

	big.s.size = sizeof(big);
	big.more = 1;
	EXPECT_EQ(-E2BIG, ring_ioctl(self->fd, cmd, &big));
	big.more = 0;
	EXPECT_EQ(0, ring_ioctl(self->fd, cmd, &big));
}

TEST_F(ring, largest_and_smallest)
{
	struct ring r;
	struct keel_ring_setup s;
	uint64_t out;
	char buf[16];
	int i;

	ring_setup_init(&s, KEEL_RING_SLOTS_MAX, 64, KEEL_RING_SETUP_IDX64, 0);
	ASSERT_EQ(0, ring_create(&r, &s));
	EXPECT_EQ(64ull << 20, r.s.slots_size);
	EXPECT_EQ(~0ull, r.mask);
	ring_destroy(&r);
	ring_setup_init(&s, 1, KEEL_RING_SLOT_SIZE_MIN, 0, 0xffffffffull);
	ASSERT_EQ(0, ring_create(&r, &s));
	EXPECT_EQ(0xffffffffull, r.mask);
	EXPECT_EQ(1, r.ctrl->slots);
	EXPECT_EQ(0xffffffffull, r.ctrl->head);
	/* One slot across the wrap: write, commit, read, twice. */
	ASSERT_EQ(0, fcntl(r.fd, F_SETFL, O_NONBLOCK));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(8, write(r.fd, "abcdefgh", 8));
		EXPECT_EQ(-1, write(r.fd, "x", 1));
		EXPECT_EQ(EAGAIN, errno);
		EXPECT_EQ(0, ring_commit(&r, 0, KEEL_RING_COMMIT_ALL, &out));
		EXPECT_EQ(i, out);
		memset(buf, 0, sizeof(buf));
		EXPECT_EQ(8, read(r.fd, buf, sizeof(buf)));
		EXPECT_EQ(0, memcmp(buf, "abcdefgh", 8));
	}
	ring_destroy(&r);
}

TEST_F(ring, mmap_offsets_and_sizes)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p;

	ASSERT_EQ(0, ring_ioctl(self->fd, KEEL_RING_IOC_SETUP, &self->s));

#define MMAP_FAILS(len, flags, off)					\
	do {								\
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags,	\
			 self->fd, off);				\
		EXPECT_EQ(MAP_FAILED, p);				\
		EXPECT_EQ(EINVAL, errno);				\
	} while (0)

	MMAP_FAILS(2 * pg, MAP_SHARED, KEEL_RING_OFF_CTRL);
	MMAP_FAILS(pg, MAP_PRIVATE, KEEL_RING_OFF_CTRL);
	MMAP_FAILS(pg, MAP_SHARED, pg);
	MMAP_FAILS(pg, MAP_SHARED, KEEL_RING_OFF_SLOTS + pg);
	MMAP_FAILS(pg, MAP_SHARED, KEEL_RING_OFF_SLOTS - pg);
	MMAP_FAILS(2 * pg, MAP_SHARED, KEEL_RING_OFF_SLOTS);
	MMAP_FAILS(pg, MAP_PRIVATE, KEEL_RING_OFF_SLOTS);
	MMAP_FAILS(pg, MAP_SHARED, 1ull << 40);

	p = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, self->fd,
		 KEEL_RING_OFF_CTRL);
	ASSERT_NE(MAP_FAILED, p);
	/* The mapping cannot grow. */
	EXPECT_EQ(MAP_FAILED, mremap(p, pg, 2 * pg, 0));
	EXPECT_EQ(8, ((struct keel_ring_ctrl *)p)->slots);
	EXPECT_EQ(64, ((struct keel_ring_ctrl *)p)->slot_size);
	munmap(p, pg);
	p = mmap(NULL, pg, PROT_READ, MAP_SHARED, self->fd, KEEL_RING_OFF_SLOTS);
	ASSERT_NE(MAP_FAILED, p);
	munmap(p, pg);
}

/* The mapping outlives the file descriptor; the ring lives on with it. */
TEST_F(ring, mapping_outlives_fd)
{
	struct keel_ring_ctrl *c;

	ASSERT_EQ(0, ring_ioctl(self->fd, KEEL_RING_IOC_SETUP, &self->s));
	c = mmap(NULL, self->s.ctrl_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, KEEL_RING_OFF_CTRL);
	ASSERT_NE(MAP_FAILED, c);
	close(self->fd);
	self->fd = -1;
	c->buf_tail = 5;
	EXPECT_EQ(8, c->slots);
	munmap(c, self->s.ctrl_size);
}

TEST_F(ring, commit_rules)
{
	struct ring r;
	struct keel_ring_setup s;
	uint64_t out = 0, start = 0xfffffffcull;
	int i;

	ring_setup_init(&s, 8, 64, 0, start);
	ASSERT_EQ(0, ring_create(&r, &s));

	/* Nothing produced: only the outgoing tail itself. */
	EXPECT_EQ(0, ring_commit(&r, start, 0, &out));
	EXPECT_EQ(start, out);
	EXPECT_EQ(-ERANGE, ring_commit(&r, start + 1, 0, NULL));
	EXPECT_EQ(-ERANGE, ring_commit(&r, start - 1, 0, NULL));
	EXPECT_EQ(-ERANGE, ring_commit(&r, 1ull << 32, 0, NULL));
	EXPECT_EQ(-EINVAL, ring_commit(&r, start, 2, NULL));

	/* Produce 6 through the mapping, across 2^32. */
	for (i = 0; i < 6; i++) {
		struct keel_ring_slot *sl = ring_slot(&r, start + i);

		sl->len = 4;
		memcpy(sl + 1, &i, 4);
	}
	store_release(&r.ctrl->buf_tail, (start + 6) & r.mask);

	EXPECT_EQ(0, ring_commit(&r, start + 2, 0, &out));
	EXPECT_EQ(start + 2, out);
	EXPECT_EQ(start + 2, load_acquire(&r.ctrl->out_tail));
	EXPECT_EQ(-ERANGE, ring_commit(&r, start + 1, 0, NULL));	/* behind */
	EXPECT_EQ(-ERANGE, ring_commit(&r, 3, 0, NULL));		/* beyond */
	EXPECT_EQ(0, ring_commit(&r, 2, 0, &out));	/* = buf tail, wrapped */
	EXPECT_EQ(2, out);
	EXPECT_EQ(0, ring_commit(&r, 0, KEEL_RING_COMMIT_ALL, &out));
	EXPECT_EQ(2, out);

	/* Userspace cannot commit through the mapping. */
	r.ctrl->buf_tail = 4;
	r.ctrl->out_tail = 4;
	for (i = 0; i < 6; i++) {
		int v;

		EXPECT_EQ(4, read(r.fd, &v, sizeof(v)));
		EXPECT_EQ(i, v);
	}
	ASSERT_EQ(0, fcntl(r.fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, read(r.fd, &i, 4));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, ring_commit(&r, 0, KEEL_RING_COMMIT_ALL, &out));
	EXPECT_EQ(4, out);
	ring_destroy(&r);
}

/* Exactly slots entries fit; then writes and polls say full. */
TEST_F(ring, full_and_empty_edges)
{
	struct ring r;
	struct keel_ring_setup s;
	uint64_t start = 0xfffffffdull, cnt;
	uint8_t big[128];
	int i, efd, v;

	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ring_setup_init(&s, 4, 32, KEEL_RING_SETUP_EVENTFD, start);
	s.event_fd = efd;
	ASSERT_EQ(0, ring_create(&r, &s));
	ASSERT_EQ(0, fcntl(r.fd, F_SETFL, O_NONBLOCK));

	/* Empty: nothing to read, room to write. */
	EXPECT_EQ(POLLOUT, ring_wait(r.fd, POLLIN | POLLOUT, 0));
	EXPECT_EQ(-1, read(r.fd, &v, 4));
	EXPECT_EQ(EAGAIN, errno);
	/* Too big for a slot (32 - 8 = 24 bytes of payload). */
	EXPECT_EQ(-1, write(r.fd, big, 25));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(0, write(r.fd, big, 0));

	for (i = 0; i < 4; i++)
		EXPECT_EQ(4, write(r.fd, &i, 4));
	EXPECT_EQ(-1, write(r.fd, &i, 4));
	EXPECT_EQ(EAGAIN, errno);
	/* Full but nothing committed: neither readable nor writable. */
	EXPECT_EQ(0, ring_wait(r.fd, POLLIN | POLLOUT, 0));
	EXPECT_EQ(-1, read(r.fd, &v, 4));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, eventfd_read(efd, &cnt));

	EXPECT_EQ(0, ring_commit(&r, start + 1, 0, NULL));
	EXPECT_EQ(0, eventfd_read(efd, &cnt));
	EXPECT_EQ(1, cnt);
	EXPECT_EQ(POLLIN, ring_wait(r.fd, POLLIN | POLLOUT, 0));
	/* A buffer too small keeps the entry. */
	EXPECT_EQ(-1, read(r.fd, &v, 2));
	EXPECT_EQ(EMSGSIZE, errno);
	EXPECT_EQ(4, read(r.fd, &v, 4));
	EXPECT_EQ(0, v);
	/* Committed ones gone: not readable, one slot free. */
	EXPECT_EQ(POLLOUT, ring_wait(r.fd, POLLIN | POLLOUT, 0));
	EXPECT_EQ(-1, read(r.fd, &v, 4));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(4, write(r.fd, &i, 4));		/* i == 4 */
	EXPECT_EQ(0, ring_commit(&r, 0, KEEL_RING_COMMIT_ALL, NULL));
	for (i = 1; i < 5; i++) {
		EXPECT_EQ(4, read(r.fd, &v, 4));
		EXPECT_EQ(i, v);
	}
	EXPECT_EQ(POLLOUT, ring_wait(r.fd, POLLIN | POLLOUT, 0));
	EXPECT_EQ((start + 5) & r.mask, r.ctrl->head);
	EXPECT_EQ((start + 5) & r.mask, r.ctrl->out_tail);
	EXPECT_EQ((start + 5) & r.mask, r.ctrl->buf_tail);
	ring_destroy(&r);
	close(efd);
}

/*
 * Hostile control area: values that would break head <= out <= buf <=
 * head + slots are ignored; a bad entry length is dropped, not copied.
 */
TEST_F(ring, hostile_indices_ignored)
{
	struct ring r;
	struct keel_ring_setup s;
	uint8_t buf[64];
	int i;

	ring_setup_init(&s, 8, 64, 0, 100);
	ASSERT_EQ(0, ring_create(&r, &s));
	ASSERT_EQ(0, fcntl(r.fd, F_SETFL, O_NONBLOCK));

	/* buf_tail beyond head + slots, backwards, beyond 32 bits */
	r.ctrl->buf_tail = 109;
	EXPECT_EQ(-ERANGE, ring_commit(&r, 101, 0, NULL));
	r.ctrl->buf_tail = 99;
	EXPECT_EQ(-ERANGE, ring_commit(&r, 101, 0, NULL));
	r.ctrl->buf_tail = 1ull << 40 | 101;	/* high half ignored: 101 */
	EXPECT_EQ(0, ring_commit(&r, 101, 0, NULL));
	/* head beyond the outgoing tail, backwards */
	r.ctrl->head = 102;
	EXPECT_EQ(0, ring_ioctl(r.fd, KEEL_RING_IOC_SYNC, NULL));
	r.ctrl->head = 50;
	EXPECT_EQ(0, ring_ioctl(r.fd, KEEL_RING_IOC_SYNC, NULL));
	r.ctrl->head = 100;
	/* Entry 100 has a huge length: dropped with EBADMSG. */
	ring_slot(&r, 100)->len = 0xffffffffu;
	EXPECT_EQ(-1, read(r.fd, buf, sizeof(buf)));
	EXPECT_EQ(EBADMSG, errno);
	EXPECT_EQ(101, r.ctrl->head);
	EXPECT_EQ(-1, read(r.fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);

	/* Producing with garbage everywhere still works afterwards. */
	for (i = 0; i < 8; i++)
		EXPECT_EQ(4, write(r.fd, &i, 4));
	r.ctrl->out_tail = 0;
	EXPECT_EQ(0, ring_commit(&r, 0, KEEL_RING_COMMIT_ALL, NULL));
	EXPECT_EQ(109, r.ctrl->out_tail);
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(4, read(r.fd, buf, sizeof(buf)));
		EXPECT_EQ(i, *(int *)buf);
	}
	ring_destroy(&r);
}

/* A write() blocked on a full ring; its result. */
static void *blocking_write(void *arg)
{
	int fd = *(int *)arg;
	ssize_t n = write(fd, "blocked", 7);

	return (void *)(intptr_t)(n < 0 ? -errno : n);
}

/*
 * A writer asleep on a full ring does not hold up a non-blocking one
 * (EAGAIN at once), and gets its slot once a read makes room.
 */
TEST_F(ring, blocked_writer_holds_up_nobody)
{
	struct keel_ring_commit c = {
		.size = sizeof(c), .flags = KEEL_RING_COMMIT_ALL,
	};
	char buf[64];
	pthread_t t;
	void *res;
	int i;

	ASSERT_EQ(0, ring_ioctl(self->fd, KEEL_RING_IOC_SETUP, &self->s));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(1, write(self->fd, "x", 1));
	ASSERT_EQ(0, pthread_create(&t, NULL, blocking_write, &self->fd));
	usleep(200000);
	/* Before the fix this waited on the sleeping writer's mutex. */
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, write(self->fd, "y", 1));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, fcntl(self->fd, F_SETFL, 0));
	ASSERT_EQ(0, ring_ioctl(self->fd, KEEL_RING_IOC_COMMIT, &c));
	EXPECT_EQ(1, read(self->fd, buf, sizeof(buf)));
	ASSERT_EQ(0, pthread_join(t, &res));
	EXPECT_EQ(7, (intptr_t)res);
}

TEST_HARNESS_MAIN
