/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Index arithmetic and the rules every index change must keep. Pure
 * functions on a copy of the indices, so KUnit tests them directly.
 *
 * The three indices are free-running and wrap at idx_mask + 1 (2^32 or
 * 2^64); distances are taken modulo that. Their order is
 *
 *	head <= out <= buf <= head + slots
 *
 * i.e. dist(out, head) <= dist(buf, head) <= slots. Since slots is a
 * power of two no larger than 2^20, it divides 2^32 and a slot number is
 * (index & (slots - 1)) across the wrap as well.
 */
#ifndef _KEEL_RING_IDX_H
#define _KEEL_RING_IDX_H

#include <linux/types.h>

struct keel_ring_idx {
	u64 head;		/* next entry a fetcher takes */
	u64 out;		/* outgoing tail: end of the committed entries */
	u64 buf;		/* buffer tail: end of the produced entries */
	u64 mask;		/* U32_MAX or U64_MAX */
	u32 slots;		/* power of two */
};

/* (a - b) modulo the index width */
static inline u64 keel_ring_dist(const struct keel_ring_idx *x, u64 a, u64 b)
{
	return (a - b) & x->mask;
}

static inline u32 keel_ring_slot(const struct keel_ring_idx *x, u64 i)
{
	return (u32)(i & (x->slots - 1));
}

/* Committed entries a fetcher may take. */
static inline u64 keel_ring_fetchable(const struct keel_ring_idx *x)
{
	return keel_ring_dist(x, x->out, x->head);
}

/* Produced entries not committed yet. */
static inline u64 keel_ring_uncommitted(const struct keel_ring_idx *x)
{
	return keel_ring_dist(x, x->buf, x->out);
}

/* Free slots the producer may fill. */
static inline u64 keel_ring_space(const struct keel_ring_idx *x)
{
	return x->slots - keel_ring_dist(x, x->buf, x->head);
}

static inline bool keel_ring_full(const struct keel_ring_idx *x)
{
	return keel_ring_space(x) == 0;
}

/* The order of the three indices holds. */
static inline bool keel_ring_idx_sane(const struct keel_ring_idx *x)
{
	return !(x->head & ~x->mask) && !(x->out & ~x->mask) &&
	       !(x->buf & ~x->mask) &&
	       keel_ring_dist(x, x->out, x->head) <=
			keel_ring_dist(x, x->buf, x->head) &&
	       keel_ring_dist(x, x->buf, x->head) <= x->slots;
}

/*
 * May the buffer tail move to @v? Forward only (by at most the free
 * space): the producer cannot take back entries it produced.
 */
static inline bool keel_ring_buf_ok(const struct keel_ring_idx *x, u64 v)
{
	return !(v & ~x->mask) &&
	       keel_ring_dist(x, v, x->buf) <= keel_ring_space(x);
}

/* May the head move to @v? Forward, never past the outgoing tail. */
static inline bool keel_ring_head_ok(const struct keel_ring_idx *x, u64 v)
{
	return !(v & ~x->mask) &&
	       keel_ring_dist(x, v, x->head) <= keel_ring_fetchable(x);
}

/*
 * May the outgoing tail move to @v (a commit)? Not behind the outgoing
 * tail, not beyond the buffer tail; @v equal to the outgoing tail is a
 * no-op commit and allowed.
 */
static inline bool keel_ring_commit_ok(const struct keel_ring_idx *x, u64 v)
{
	return !(v & ~x->mask) &&
	       keel_ring_dist(x, v, x->out) <= keel_ring_uncommitted(x);
}

#endif /* _KEEL_RING_IDX_H */
