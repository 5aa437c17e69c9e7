// SPDX-License-Identifier: GPL-2.0
/*
 * The one place that moves a ring's indices: it takes head and buffer
 * tail from the shared control area (hostile values are ignored), sets
 * the kernel's copies, publishes them and keeps the counters. Every
 * function runs with r->lock held.
 */
#include <linux/ktime.h>
#include <linux/lockdep.h>

#include "ring.h"

/* Close or open the "full" interval after any index change. */
void keel_ring_note_full(struct keel_ring *r)
{
	bool full = keel_ring_full(&r->idx);
	struct keel_ring_stats *st = &r->stats;

	if (full && !st->full_since) {
		st->full_since = ktime_get_ns() ?: 1;
	} else if (!full && st->full_since) {
		st->full_ns += ktime_get_ns() - st->full_since;
		st->full_since = 0;
	}
}

u64 keel_ring_full_ns(struct keel_ring *r)
{
	lockdep_assert_held(&r->lock);
	if (!r->stats.full_since)
		return r->stats.full_ns;
	return r->stats.full_ns + ktime_get_ns() - r->stats.full_since;
}

/*
 * Move the head to @head, which keel_ring_head_ok() accepted. @publish
 * when the kernel is the fetcher: a value taken from the mapping is never
 * written back, the fetcher may have moved on since.
 */
void keel_ring_set_head(struct keel_ring *r, u64 head, bool publish)
{
	lockdep_assert_held(&r->lock);
	r->stats.fetched += keel_ring_dist(&r->idx, head, r->idx.head);
	r->idx.head = head;
	if (publish) {
		/*
		 * Pairs with the producer's acquire load of head before it
		 * reuses the slots the fetcher is done with.
		 */
		smp_store_release(&r->ctrl->head, head);
	}
	keel_ring_note_full(r);
}

/*
 * Move the buffer tail to @buf, which keel_ring_buf_ok() accepted;
 * @publish when the kernel is the producer.
 */
void keel_ring_set_buf(struct keel_ring *r, u64 buf, bool publish)
{
	lockdep_assert_held(&r->lock);
	r->stats.produced += keel_ring_dist(&r->idx, buf, r->idx.buf);
	r->idx.buf = buf;
	if (publish) {
		/* Pairs with the acquire load in keel_ring_sync_buf(). */
		smp_store_release(&r->ctrl->buf_tail, buf);
	}
	keel_ring_note_full(r);
}

/*
 * Move the outgoing tail to @out: a commit keel_ring_commit_ok() accepted
 * or, on a redundant ring, what the backup acknowledged (never beyond the
 * commit point).
 */
void keel_ring_set_out(struct keel_ring *r, u64 out)
{
	lockdep_assert_held(&r->lock);
	r->idx.out = out;
	/*
	 * Publish: pairs with the fetcher's acquire load of out_tail before
	 * it reads the entries below it. The entries were made visible by
	 * the producer's release of buf_tail, which keel_ring_sync_buf()
	 * acquired before this commit was allowed.
	 */
	smp_store_release(&r->ctrl->out_tail, out);
}

/*
 * The producer commits up to @v: not behind the commit point, not beyond
 * the buffer tail (-ERANGE). An ordinary ring releases at once (the
 * outgoing tail moves: *released); a redundant one only marks the
 * entries for replication.
 */
int keel_ring_commit_to(struct keel_ring *r, u64 v, bool *released)
{
	struct keel_ring_idx *x = &r->idx;

	lockdep_assert_held(&r->lock);
	*released = false;
	if ((v & ~x->mask) ||
	    keel_ring_dist(x, v, r->cmt) > keel_ring_dist(x, x->buf, r->cmt))
		return -ERANGE;
	r->stats.committed += keel_ring_dist(x, v, r->cmt);
	r->cmt = v;
	if (!r->redundant && v != x->out) {
		keel_ring_set_out(r, v);
		*released = true;
	}
	return 0;
}

/*
 * Take the head from the mapping. Only a value between the kernel's head
 * and the outgoing tail is accepted; the fetcher may not take back
 * entries or take uncommitted ones.
 */
void keel_ring_sync_head(struct keel_ring *r)
{
	u64 v;

	lockdep_assert_held(&r->lock);
	/* The fetch engine owns the head: the mapping's value is stale. */
	if (r->fetch_on || r->stopped)
		return;
	/* Pairs with the fetcher's release store of head. */
	v = smp_load_acquire(&r->ctrl->head) & r->idx.mask;
	if (v == r->idx.head)
		return;
	if (keel_ring_head_ok(&r->idx, v)) {
		keel_ring_set_head(r, v, false);
	} else if (v != r->last_bad_head) {
		r->last_bad_head = v;
		r->stats.bad_index++;
	}
}

/*
 * Take the buffer tail from the mapping: forward only, by at most the
 * free space. The head is taken first: the producer judged the space by
 * the head in the mapping, which may be newer than the kernel's.
 */
void keel_ring_sync_buf(struct keel_ring *r)
{
	u64 v;

	lockdep_assert_held(&r->lock);
	keel_ring_sync_head(r);
	/* A backup's buffer tail is the kernel's: it writes the entries. */
	if (r->repl_backup_on || r->stopped)
		return;
	/*
	 * Pairs with the producer's release store of buf_tail: the slots
	 * below it are written before the kernel reads or commits them.
	 */
	v = smp_load_acquire(&r->ctrl->buf_tail) & r->idx.mask;
	if (v == r->idx.buf)
		return;
	if (keel_ring_buf_ok(&r->idx, v)) {
		keel_ring_set_buf(r, v, false);
	} else if (v != r->last_bad_buf) {
		r->last_bad_buf = v;
		r->stats.bad_index++;
	}
}
