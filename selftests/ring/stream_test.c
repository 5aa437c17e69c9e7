// SPDX-License-Identifier: GPL-2.0
/*
 * A producer and a fetcher in two processes share one ring and move
 * entries through it while the producer commits at random points: every
 * entry must arrive exactly once, in order, intact (checksum), and never
 * before the producer asked for its commit. Producer and fetcher each use
 * either the mmap fast path or write()/read(); the indices start just
 * below the 2^32 (or 2^64) wrap, the rings are small so that the full and
 * empty edges are hit all the time.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "ring_test.h"

#define N_ENTRIES	30000

/* Shared by producer and fetcher. */
struct shared {
	__u64 issued;		/* entries the producer asked to commit */
};

FIXTURE(stream) {
	struct ring r;
	struct shared *sh;
	uint64_t rnd;
};

FIXTURE_VARIANT(stream) {
	int mmap_producer, mmap_fetcher;
	uint32_t flags, slots, slot_size;
	uint64_t start;
};

FIXTURE_VARIANT_ADD(stream, mmap_to_mmap_wrap32) {
	.mmap_producer = 1, .mmap_fetcher = 1,
	.slots = 16, .slot_size = 64, .start = 0xffffffffull - 5000,
};

FIXTURE_VARIANT_ADD(stream, mmap_to_read_wrap32) {
	.mmap_producer = 1, .mmap_fetcher = 0,
	.slots = 8, .slot_size = 128, .start = 0xffffffffull - 7777,
};

FIXTURE_VARIANT_ADD(stream, write_to_read_wrap32) {
	.mmap_producer = 0, .mmap_fetcher = 0,
	.slots = 4, .slot_size = 64, .start = 0xffffffffull - 3,
};

FIXTURE_VARIANT_ADD(stream, write_to_mmap_wrap64) {
	.mmap_producer = 0, .mmap_fetcher = 1,
	.flags = KEEL_RING_SETUP_IDX64,
	.slots = 32, .slot_size = 256, .start = ~0ull - 9999,
};

FIXTURE_VARIANT_ADD(stream, mmap_to_mmap_idx64_past_2_32) {
	.mmap_producer = 1, .mmap_fetcher = 1,
	.flags = KEEL_RING_SETUP_IDX64,
	.slots = 1, .slot_size = 32, .start = 0xffffffffull - 1000,
};

FIXTURE_SETUP(stream)
{
	struct keel_ring_setup s;
	int fd;

	RING_OPEN_OR_SKIP(fd);
	close(fd);
	ring_setup_init(&s, variant->slots, variant->slot_size, variant->flags,
			variant->start);
	ASSERT_EQ(0, ring_create(&self->r, &s));
	self->sh = mmap(NULL, sizeof(*self->sh), PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->sh);
	self->rnd = 0x9e3779b97f4a7c15ull ^ variant->start;
}

FIXTURE_TEARDOWN(stream)
{
	ring_destroy(&self->r);
	munmap(self->sh, sizeof(*self->sh));
}

static uint32_t rnd_below(uint64_t *s, uint32_t n)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s % n);
}

/* Fetcher-side failure: say why and exit with a code naming it. */
#define FETCH_FAIL(code, ...)						\
	do {								\
		fprintf(stderr, "# fetcher: " __VA_ARGS__);		\
		fputc('\n', stderr);					\
		_exit(code);						\
	} while (0)

/* Check entry @seq as fetched: order, commit rule, checksum. */
static void check_entry(struct shared *sh, const uint8_t *p, uint32_t len,
			uint64_t seq, uint32_t max)
{
	uint64_t got_seq, issued = load_acquire(&sh->issued);

	if (len < 8)
		FETCH_FAIL(4, "entry %llu: length %u", (unsigned long long)seq,
			   len);
	memcpy(&got_seq, p, 8);
	if (got_seq != seq)
		FETCH_FAIL(1, "expected entry %llu, got %llu",
			   (unsigned long long)seq,
			   (unsigned long long)got_seq);
	if (seq >= issued)
		FETCH_FAIL(3, "entry %llu fetched before its commit (%llu)",
			   (unsigned long long)seq,
			   (unsigned long long)issued);
	if (!entry_check(p, len, seq, max))
		FETCH_FAIL(2, "entry %llu: bad checksum or length",
			   (unsigned long long)seq);
}

static void fetch_mmap(struct ring *r, struct shared *sh)
{
	uint64_t head = r->s.start, seq = 0;
	uint32_t max = ring_payload_max(r);

	while (seq < N_ENTRIES) {
		uint64_t out = load_acquire(&r->ctrl->out_tail);

		if (out == head) {
			if (!ring_wait(r->fd, POLLIN, 20000))
				FETCH_FAIL(5, "no entry after %llu",
					   (unsigned long long)seq);
			continue;
		}
		while (head != out) {
			struct keel_ring_slot *sl = ring_slot(r, head);
			uint32_t len = sl->len;

			if (len > max)
				FETCH_FAIL(4, "entry %llu: length %u",
					   (unsigned long long)seq, len);
			check_entry(sh, (uint8_t *)(sl + 1), len, seq, max);
			head = (head + 1) & r->mask;
			seq++;
		}
		store_release(&r->ctrl->head, head);
		if (ioctl(r->fd, KEEL_RING_IOC_SYNC))
			FETCH_FAIL(6, "sync: %s", strerror(errno));
	}
}

static void fetch_read(struct ring *r, struct shared *sh)
{
	uint32_t max = ring_payload_max(r);
	uint8_t buf[KEEL_RING_SLOT_SIZE_MAX];
	uint64_t seq;
	ssize_t n;

	for (seq = 0; seq < N_ENTRIES; seq++) {
		/* O_NONBLOCK when the producer set it on the file. */
		while ((n = read(r->fd, buf, sizeof(buf))) < 0 &&
		       errno == EAGAIN)
			if (!ring_wait(r->fd, POLLIN, 20000))
				FETCH_FAIL(5, "no entry after %llu",
					   (unsigned long long)seq);
		if (n < 0)
			FETCH_FAIL(6, "read: %s", strerror(errno));
		check_entry(sh, buf, n, seq, max);
	}
}

/* Commit up to entry @upto (a count); 0 or -errno. */
static int commit_to(struct ring *r, struct shared *sh, uint64_t upto)
{
	store_release(&sh->issued, upto);
	return ring_commit(r, (r->s.start + upto) & r->mask, 0, NULL);
}

/*
 * Produce N_ENTRIES; commit at random points, and everything whenever
 * the ring is full (else nothing could move). 0 or -errno.
 */
static int produce(struct ring *r, struct shared *sh, uint64_t *rnd,
		   int use_mmap)
{
	uint32_t max = ring_payload_max(r), len;
	uint64_t seq = 0, committed = 0, idx = r->s.start;
	uint8_t buf[KEEL_RING_SLOT_SIZE_MAX];
	int ret;

	while (seq < N_ENTRIES) {
		if (use_mmap) {
			uint64_t head = load_acquire(&r->ctrl->head);

			if (((idx - head) & r->mask) == r->s.slots)
				goto full;
			len = entry_make((uint8_t *)(ring_slot(r, idx) + 1),
					 seq, max);
			ring_slot(r, idx)->len = len;
			idx = (idx + 1) & r->mask;
			store_release(&r->ctrl->buf_tail, idx);
		} else {
			len = entry_make(buf, seq, max);
			if (write(r->fd, buf, len) != (ssize_t)len) {
				if (errno != EAGAIN)
					return -errno;
				goto full;
			}
		}
		seq++;
		if (!rnd_below(rnd, 4)) {
			committed += 1 + rnd_below(rnd, seq - committed);
			ret = commit_to(r, sh, committed);
			if (ret)
				return ret;
		}
		continue;
full:
		if (committed < seq) {
			committed = seq;
			ret = commit_to(r, sh, committed);
			if (ret)
				return ret;
		} else if (!ring_wait(r->fd, POLLOUT, 20000)) {
			return -ETIMEDOUT;
		}
	}
	return commit_to(r, sh, seq);
}

/* 30,000 entries take tens of seconds on the debug kernel. */
TEST_F_TIMEOUT(stream, exactly_once_in_order_after_commit, 150)
{
	uint64_t end = (variant->start + N_ENTRIES) & self->r.mask;
	int status, ret;
	pid_t pid;

	if (!variant->mmap_producer)
		ASSERT_EQ(0, fcntl(self->r.fd, F_SETFL, O_NONBLOCK));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		alarm(200);
		if (variant->mmap_fetcher)
			fetch_mmap(&self->r, self->sh);
		else
			fetch_read(&self->r, self->sh);
		_exit(0);
	}
	ret = produce(&self->r, self->sh, &self->rnd, variant->mmap_producer);
	EXPECT_EQ(0, ret) TH_LOG("producer: %s", strerror(-ret));
	if (ret)
		kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("fetcher died: status %#x",
					      status);
	EXPECT_EQ(0, WEXITSTATUS(status));

	ASSERT_EQ(0, ring_ioctl(self->r.fd, KEEL_RING_IOC_SYNC, NULL));
	EXPECT_EQ(end, self->r.ctrl->head);
	EXPECT_EQ(end, self->r.ctrl->out_tail);
	EXPECT_EQ(end, self->r.ctrl->buf_tail);
	EXPECT_EQ(POLLOUT, ring_wait(self->r.fd, POLLIN | POLLOUT, 0));
}

TEST_HARNESS_MAIN
