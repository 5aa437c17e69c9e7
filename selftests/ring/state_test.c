// SPDX-License-Identifier: GPL-2.0
/*
 * A ring in the state framework. STOP freezes it (read, write, commit,
 * poll, the mapping and the engines all wait or are refused); SAVE and
 * LOAD carry its indices, commit point, entries and counters to another
 * ring, also across the 2^32 wrap and into a larger ring; a reader that
 * blocked before the STOP gets the first loaded entry after RESUME; a
 * hostile blob is refused and changes nothing.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sys/socket.h>

#include "ring_test.h"
#include "state_blob.h"

#define START	(0xffffffffull - 2)	/* wraps after three entries */
#define MAX	(128u - 8u)		/* payload of a 128-byte slot */

/* The saved layouts (Documentation/ring.rst), for the hostile blobs. */
struct saved_indices {
	uint32_t slots, slot_size, setup_flags, state_flags;
	uint64_t head, out, cmt, buf;
};

struct saved_entry {
	uint32_t len, flags;
};

/* Write entries [from, to) of @max bytes at most. */
static int produce(struct ring *r, uint64_t from, uint64_t to, uint32_t max)
{
	uint8_t buf[KEEL_RING_SLOT_SIZE_MAX];
	uint32_t len;

	for (; from < to; from++) {
		len = entry_make(buf, from, max);
		if (write(r->fd, buf, len) != (ssize_t)len)
			return -1;
	}
	return 0;
}

/* Read entry @seq (made for @max) from @r: 1 if it is intact. */
static int fetch_one(struct ring *r, uint64_t seq, uint32_t max)
{
	uint8_t buf[KEEL_RING_SLOT_SIZE_MAX];
	ssize_t n = read(r->fd, buf, sizeof(buf));

	return n > 0 && entry_check(buf, n, seq, max);
}

/* The payload of section @id in @b, or NULL. */
static void *blob_section(struct blob *b, uint32_t id, uint32_t *len)
{
	struct keel_state_header *h = (void *)b->buf;
	size_t off = sizeof(*h);
	uint32_t i;

	for (i = 0; i < h->nr_sections && off + 16 <= b->len; i++) {
		struct keel_state_section *s = (void *)(b->buf + off);

		if (s->id == id) {
			*len = s->len;
			return s + 1;
		}
		off += sizeof(*s) + ((s->len + 7) & ~7u);
	}
	return NULL;
}

static int stop(struct ring *r)
{
	return state_simple(r->fd, KEEL_STATE_IOC_STOP);
}

static int resume(struct ring *r)
{
	return state_simple(r->fd, KEEL_STATE_IOC_RESUME);
}

/* 10 entries from START: 6 committed, 2 of them fetched. */
static void ring_with_entries(struct __test_metadata *_metadata,
			      struct ring *r, uint32_t slots, uint32_t flags)
{
	struct keel_ring_setup s;

	ring_setup_init(&s, slots, 128, flags, START);
	ASSERT_EQ(0, ring_create(r, &s));
	ASSERT_EQ(0, fcntl(r->fd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, produce(r, 0, 10, MAX));
	ASSERT_EQ(0, ring_commit(r, (START + 6) & r->mask, 0, NULL));
	ASSERT_TRUE(fetch_one(r, 0, MAX));
	ASSERT_TRUE(fetch_one(r, 1, MAX));
}

TEST(stop_freezes_the_ring)
{
	struct keel_ring_fetch f = { .size = sizeof(f) };
	struct keel_ring_repl rp = { .size = sizeof(rp) };
	uint8_t buf[KEEL_RING_SLOT_SIZE_MAX];
	struct keel_ring_slot *slot;
	int fd, pp[2], sv[2];
	uint64_t out;
	struct ring r;

	RING_OPEN_OR_SKIP(fd);
	close(fd);
	ring_with_entries(_metadata, &r, 16, 0);
	EXPECT_EQ(KEEL_STATE_RUNNING, state_of(r.fd));
	EXPECT_EQ(-EALREADY, resume(&r));
	ASSERT_EQ(0, stop(&r));
	EXPECT_EQ(-EALREADY, stop(&r));
	EXPECT_EQ(KEEL_STATE_STOPPED, state_of(r.fd));

	/* Committed entries and free slots exist, but nothing moves. */
	EXPECT_EQ(-1, read(r.fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, write(r.fd, buf, 16));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-EBUSY, ring_commit(&r, 0, KEEL_RING_COMMIT_ALL, NULL));
	EXPECT_EQ(0, ring_wait(r.fd, POLLIN | POLLOUT, 100));
	ASSERT_EQ(0, pipe2(pp, O_CLOEXEC));
	f.sink_fd = pp[1];
	EXPECT_EQ(-EBUSY, ring_ioctl(r.fd, KEEL_RING_IOC_FETCH_START, &f));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	rp.role = KEEL_RING_REPL_PRIMARY;
	rp.sock_fd = sv[0];
	EXPECT_EQ(-EBUSY, ring_ioctl(r.fd, KEEL_RING_IOC_REPL_START, &rp));

	/* A producer through the mapping: not taken while stopped. */
	slot = ring_slot(&r, START + 10);
	slot->len = entry_make((uint8_t *)(slot + 1), 10, MAX);
	store_release(&r.ctrl->buf_tail, (START + 11) & r.mask);
	EXPECT_EQ(0, ring_ioctl(r.fd, KEEL_RING_IOC_SYNC, NULL));
	EXPECT_EQ((START + 10) & r.mask,
		  ring_info_u(r.s.id, KEEL_RING_INFO_A_BUF_TAIL));
	EXPECT_EQ(10, ring_info_u(r.s.id, KEEL_RING_INFO_A_PRODUCED));

	/* Resumed: the mapping's entry is taken, everything works again. */
	ASSERT_EQ(0, resume(&r));
	EXPECT_EQ(POLLIN | POLLOUT, ring_wait(r.fd, POLLIN | POLLOUT, 1000));
	ASSERT_EQ(0, ring_commit(&r, 0, KEEL_RING_COMMIT_ALL, &out));
	EXPECT_EQ((START + 11) & r.mask, out);
	for (int i = 2; i < 11; i++)
		EXPECT_TRUE(fetch_one(&r, i, MAX));
	EXPECT_EQ(0, ring_ioctl(r.fd, KEEL_RING_IOC_FETCH_START, &f));
	EXPECT_EQ(0, ring_ioctl(r.fd, KEEL_RING_IOC_FETCH_STOP, NULL));
	close(pp[0]);
	close(pp[1]);
	close(sv[0]);
	close(sv[1]);
	ring_destroy(&r);
}

/* A's state moves to B, across the wrap, and B carries on. */
TEST(save_load_moves_the_ring)
{
	struct saved_indices *ix;
	struct blob a_blob, b_blob;
	uint32_t len;
	struct keel_ring_setup s;
	struct ring a, b;
	uint64_t out;
	int fd, i;

	RING_OPEN_OR_SKIP(fd);
	close(fd);
	ring_with_entries(_metadata, &a, 16, 0);
	EXPECT_EQ(-EBUSY, state_save(a.fd, &a_blob));
	ASSERT_EQ(0, stop(&a));
	ASSERT_EQ(0, state_save(a.fd, &a_blob));

	/* B: 64 slots of 256 bytes, elsewhere in the index space. */
	ring_setup_init(&s, 64, 256, 0, 7);
	ASSERT_EQ(0, ring_create(&b, &s));
	ASSERT_EQ(0, fcntl(b.fd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, produce(&b, 100, 103, 248));
	EXPECT_EQ(-EBUSY, state_load(b.fd, a_blob.buf, a_blob.len));
	ASSERT_EQ(0, stop(&b));
	ASSERT_EQ(0, state_load(b.fd, a_blob.buf, a_blob.len));

	/* The indices, the commit point and the counters came along. */
	EXPECT_EQ((START + 2) & b.mask, b.ctrl->head);
	EXPECT_EQ((START + 6) & b.mask, b.ctrl->out_tail);
	EXPECT_EQ((START + 10) & b.mask, b.ctrl->buf_tail);
	EXPECT_EQ(10, ring_info_u(b.s.id, KEEL_RING_INFO_A_PRODUCED));
	EXPECT_EQ(6, ring_info_u(b.s.id, KEEL_RING_INFO_A_COMMITTED));
	EXPECT_EQ(2, ring_info_u(b.s.id, KEEL_RING_INFO_A_FETCHED));
	/*
	 * Saving B again gives A's blob byte for byte, but for the saving
	 * ring's geometry, which is only informational.
	 */
	ASSERT_EQ(0, state_save(b.fd, &b_blob));
	ix = blob_section(&a_blob, 1, &len);
	ASSERT_NE(NULL, ix);
	ASSERT_EQ(sizeof(*ix), len);
	EXPECT_EQ(16, ix->slots);
	EXPECT_EQ(128, ix->slot_size);
	ix->slots = 64;
	ix->slot_size = 256;
	fix_crcs(&a_blob);
	EXPECT_TRUE(blob_eq(&a_blob, &b_blob));
	blob_free(&b_blob);

	ASSERT_EQ(0, resume(&b));
	for (i = 2; i < 6; i++)
		EXPECT_TRUE(fetch_one(&b, i, MAX));
	/* Not committed on A: not fetchable on B until B commits. */
	EXPECT_EQ(-1, read(b.fd, a_blob.buf, a_blob.len));
	EXPECT_EQ(EAGAIN, errno);
	ASSERT_EQ(0, ring_commit(&b, 0, KEEL_RING_COMMIT_ALL, &out));
	EXPECT_EQ((START + 10) & b.mask, out);
	for (i = 6; i < 10; i++)
		EXPECT_TRUE(fetch_one(&b, i, MAX));
	/* And B has its own 64 slots from there. */
	EXPECT_EQ(0, produce(&b, 10, 74, MAX));
	EXPECT_EQ(-1, produce(&b, 74, 75, MAX));

	/* A is untouched by the save and carries on too. */
	ASSERT_EQ(0, resume(&a));
	EXPECT_TRUE(fetch_one(&a, 2, MAX));
	blob_free(&a_blob);
	ring_destroy(&a);
	ring_destroy(&b);
}

/* A reader blocked on an empty ring gets what a LOAD brought. */
static void *blocked_reader(void *arg)
{
	struct ring *r = arg;
	uint8_t buf[KEEL_RING_SLOT_SIZE_MAX];
	ssize_t n = read(r->fd, buf, sizeof(buf));

	return (void *)(intptr_t)(n > 0 && entry_check(buf, n, 2, MAX));
}

TEST(blocked_reader_waits_through_stop)
{
	struct keel_ring_setup s;
	struct blob blob;
	struct ring a, b;
	pthread_t t;
	void *ok;
	int fd;

	RING_OPEN_OR_SKIP(fd);
	close(fd);
	ring_with_entries(_metadata, &a, 16, 0);
	ASSERT_EQ(0, stop(&a));
	ASSERT_EQ(0, state_save(a.fd, &blob));

	ring_setup_init(&s, 16, 128, 0, 0);
	ASSERT_EQ(0, ring_create(&b, &s));
	ASSERT_EQ(0, pthread_create(&t, NULL, blocked_reader, &b));
	usleep(200000);
	ASSERT_EQ(0, stop(&b));
	ASSERT_EQ(0, state_load(b.fd, blob.buf, blob.len));
	usleep(100000);
	ASSERT_EQ(0, resume(&b));
	ASSERT_EQ(0, pthread_join(t, &ok));
	EXPECT_TRUE((intptr_t)ok);
	EXPECT_EQ((START + 3) & b.mask, b.ctrl->head);
	blob_free(&blob);
	ring_destroy(&a);
	ring_destroy(&b);
}

/* Hostile or unfitting blobs: refused, and the ring is as it was. */
TEST(bad_blobs_change_nothing)
{
	struct saved_indices *ix;
	struct saved_entry *e;
	struct keel_ring_setup s;
	struct blob base, m, now;
	struct ring a, b;
	uint32_t len;
	int fd, i;

	RING_OPEN_OR_SKIP(fd);
	close(fd);
	ring_with_entries(_metadata, &a, 16, 0);
	ASSERT_EQ(0, stop(&a));
	ASSERT_EQ(0, state_save(a.fd, &base));

	/* B holds something of its own to compare against. */
	ring_setup_init(&s, 16, 128, 0, 1000);
	ASSERT_EQ(0, ring_create(&b, &s));
	ASSERT_EQ(0, produce(&b, 500, 505, MAX));
	ASSERT_EQ(0, stop(&b));
	ASSERT_EQ(0, state_save(b.fd, &now));

	for (i = 0; i < 12; i++) {
		m.len = base.len;
		m.buf = malloc(m.len);
		ASSERT_NE(NULL, m.buf);
		memcpy(m.buf, base.buf, m.len);
		ix = blob_section(&m, 1, &len);
		e = blob_section(&m, 2, &len);
		ASSERT_NE(NULL, ix);
		ASSERT_NE(NULL, e);
		switch (i) {
		case 0:	/* head beyond the outgoing tail */
			ix->head = (START + 7) & a.mask;
			break;
		case 1:	/* commit point beyond the buffer tail */
			ix->cmt = (START + 11) & a.mask;
			break;
		case 2:	/* committed, not released, on a plain ring */
			ix->out = (START + 4) & a.mask;
			break;
		case 3:	/* more entries than slots */
			ix->head = (START - 8) & a.mask;
			ix->out = ix->head;
			ix->cmt = ix->head;
			break;
		case 4:	/* an index beyond 32 bits */
			ix->buf += 1ull << 32;
			break;
		case 5:	/* 64-bit indices */
			ix->setup_flags = KEEL_RING_SETUP_IDX64;
			break;
		case 6:	/* unknown state flags */
			ix->state_flags = 0x80;
			break;
		case 7:	/* an entry longer than its slot */
			e->len = MAX + 1;
			break;
		case 8:	/* unknown entry flags */
			e->flags = 1;
			break;
		case 9:	/* fewer entries than the indices say */
			ix->buf = (START + 11) & a.mask;
			ix->cmt = ix->out;
			break;
		case 10: /* more entries than the indices say */
			ix->buf = (START + 9) & a.mask;
			ix->cmt = ix->out;
			break;
		case 11: /* a checksum that does not match */
			e->len ^= 1;
			break;
		}
		if (i != 11)
			fix_crcs(&m);
		EXPECT_GT(0, state_load(b.fd, m.buf, m.len)) TH_LOG("case %d", i);
		blob_free(&m);

		ASSERT_EQ(0, state_save(b.fd, &m));
		EXPECT_TRUE(blob_eq(&now, &m)) TH_LOG("case %d changed it", i);
		EXPECT_EQ(KEEL_STATE_STOPPED, state_of(b.fd));
		blob_free(&m);
	}
	blob_free(&now);
	ring_destroy(&b);

	/* Rings it does not fit: entries too large, too few slots. */
	ring_setup_init(&s, 16, 64, 0, 0);
	ASSERT_EQ(0, ring_create(&b, &s));
	ASSERT_EQ(0, stop(&b));
	EXPECT_EQ(-EINVAL, state_load(b.fd, base.buf, base.len));
	ring_destroy(&b);
	ring_setup_init(&s, 4, 128, 0, 0);
	ASSERT_EQ(0, ring_create(&b, &s));
	ASSERT_EQ(0, stop(&b));
	EXPECT_EQ(-EINVAL, state_load(b.fd, base.buf, base.len));
	ring_destroy(&b);
	ring_setup_init(&s, 16, 128, KEEL_RING_SETUP_IDX64, 0);
	ASSERT_EQ(0, ring_create(&b, &s));
	ASSERT_EQ(0, stop(&b));
	EXPECT_EQ(-EINVAL, state_load(b.fd, base.buf, base.len));
	/* Bigger than the ring's own limit: EFBIG before it is parsed. */
	{
		struct keel_state_info info;

		ASSERT_EQ(0, state_info(b.fd, &info));
		EXPECT_EQ(KEEL_STATE_TYPE_RING, info.type);
		m.len = info.max_len + 1;
		m.buf = calloc(1, m.len);
		ASSERT_NE(NULL, m.buf);
		EXPECT_EQ(-EFBIG, state_load(b.fd, m.buf, m.len));
		blob_free(&m);
	}
	ring_destroy(&b);
	blob_free(&base);
	ring_destroy(&a);
}

TEST_HARNESS_MAIN
