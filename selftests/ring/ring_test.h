/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the keel_ring tests: a ring on /dev/keel-ring set up
 * and mapped in one call, index access through the control area with the
 * documented barriers, and self-checking entries (sequence number and
 * checksum).
 */
#ifndef RING_TEST_H
#define RING_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/keel_ring.h>

#include "kselftest_harness.h"
#include "libkeel.h"

/* Open /dev/keel-ring, or skip when keel_ring.ko is not loaded. */
#define RING_OPEN_OR_SKIP(fd)						\
	do {								\
		(fd) = open(KEEL_RING_DEVICE, O_RDWR | O_CLOEXEC);	\
		if ((fd) < 0 && errno == ENOENT)			\
			SKIP(return, "keel_ring.ko is not loaded");	\
		ASSERT_LE(0, (fd));					\
	} while (0)

struct ring {
	int fd;
	struct keel_ring_setup s;
	struct keel_ring_ctrl *ctrl;
	uint8_t *slots;
	uint64_t mask;
};

static inline void ring_setup_init(struct keel_ring_setup *s, uint32_t slots,
				   uint32_t slot_size, uint32_t flags,
				   uint64_t start)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	s->flags = flags;
	s->slots = slots;
	s->slot_size = slot_size;
	s->start = start;
	s->event_fd = -1;
}

/* ioctl() as 0 or -errno. */
static inline int ring_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* Open, set up with @s and map a ring: 0 or -errno. */
static inline int ring_create(struct ring *r, const struct keel_ring_setup *s)
{
	int ret;

	memset(r, 0, sizeof(*r));
	r->fd = open(KEEL_RING_DEVICE, O_RDWR | O_CLOEXEC);
	if (r->fd < 0)
		return -errno;
	r->s = *s;
	ret = ring_ioctl(r->fd, KEEL_RING_IOC_SETUP, &r->s);
	if (ret)
		goto err;
	r->ctrl = mmap(NULL, r->s.ctrl_size, PROT_READ | PROT_WRITE,
		       MAP_SHARED, r->fd, KEEL_RING_OFF_CTRL);
	if (r->ctrl == MAP_FAILED) {
		ret = -errno;
		goto err;
	}
	r->slots = mmap(NULL, r->s.slots_size, PROT_READ | PROT_WRITE,
			MAP_SHARED, r->fd, KEEL_RING_OFF_SLOTS);
	if (r->slots == MAP_FAILED) {
		ret = -errno;
		munmap(r->ctrl, r->s.ctrl_size);
		goto err;
	}
	r->mask = r->ctrl->idx_mask;
	return 0;
err:
	close(r->fd);
	r->fd = -1;
	return ret;
}

static inline void ring_destroy(struct ring *r)
{
	if (r->fd < 0)
		return;
	munmap(r->slots, r->s.slots_size);
	munmap(r->ctrl, r->s.ctrl_size);
	close(r->fd);
	r->fd = -1;
}

static inline uint64_t load_acquire(const __u64 *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void store_release(__u64 *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static inline struct keel_ring_slot *ring_slot(struct ring *r, uint64_t i)
{
	return (struct keel_ring_slot *)(r->slots +
		(size_t)(i & (r->s.slots - 1)) * r->s.slot_size);
}

static inline uint32_t ring_payload_max(const struct ring *r)
{
	return r->s.slot_size - sizeof(struct keel_ring_slot);
}

/* Commit up to @index: 0 or -errno; *out the outgoing tail after it. */
static inline int ring_commit(struct ring *r, uint64_t index, uint32_t flags,
			      uint64_t *out)
{
	struct keel_ring_commit c = {
		.size = sizeof(c), .flags = flags, .index = index,
	};
	int ret = ring_ioctl(r->fd, KEEL_RING_IOC_COMMIT, &c);

	if (!ret && out)
		*out = c.out_tail;
	return ret;
}

/* One u32 or u64 field of object @id's INFO over netlink; ~0 if none. */
static inline uint64_t ring_info_u(uint32_t id, uint16_t type)
{
	struct keel_error e;
	struct keel_sock *k = keel_open(&e);
	struct keel_obj o;
	uint64_t v = ~0ull;

	if (!k)
		return ~0ull;
	if (!keel_obj_get(k, id, &o)) {
		if (keel_obj_info(&o, type))
			v = keel_obj_info_uint(&o, type);
		keel_obj_free(&o);
	}
	keel_close(k);
	return v;
}

/* Wait for @events on the ring; the events seen (0 on timeout). */
static inline short ring_wait(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	if (poll(&p, 1, timeout_ms) <= 0)
		return 0;
	return p.revents;
}

/*
 * Self-checking entries: [u64 seq][u32 sum][bytes], the length and the
 * bytes derived from seq, sum an FNV-1a hash of everything but itself.
 */
#define ENTRY_HDR	12u

static inline uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static inline uint32_t fnv1a(uint32_t h, const uint8_t *p, size_t n)
{
	while (n--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static inline uint32_t entry_len(uint64_t seq, uint32_t max)
{
	return ENTRY_HDR + mix64(seq) % (max - ENTRY_HDR + 1);
}

/* Fill @buf with entry @seq; its length. */
static inline uint32_t entry_make(uint8_t *buf, uint64_t seq, uint32_t max)
{
	uint32_t len = entry_len(seq, max), sum, i;
	uint64_t x = mix64(seq ^ 0x5eedull);

	memcpy(buf, &seq, 8);
	for (i = ENTRY_HDR; i < len; i++) {
		buf[i] = (uint8_t)x;
		x = x >> 8 | x << 56;
		if (!(i & 7))
			x = mix64(x);
	}
	sum = fnv1a(2166136261u, buf, 8);
	sum = fnv1a(sum, buf + ENTRY_HDR, len - ENTRY_HDR);
	memcpy(buf + 8, &sum, 4);
	return len;
}

/* Is @buf (@len bytes) entry @seq, intact? */
static inline int entry_check(const uint8_t *buf, uint32_t len, uint64_t seq,
			      uint32_t max)
{
	uint8_t want[KEEL_RING_SLOT_SIZE_MAX];

	if (len != entry_len(seq, max))
		return 0;
	entry_make(want, seq, max);
	return !memcmp(buf, want, len);
}

#endif /* RING_TEST_H */
