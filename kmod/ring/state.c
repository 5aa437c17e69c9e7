// SPDX-License-Identifier: GPL-2.0
/*
 * A ring in the state framework: its keel_state_ops. STOP freezes the
 * indices (the mapping is not read, read/write/commit wait or fail) and
 * detaches the fetch engine and replication; SAVE writes the indices,
 * the commit point and every entry between head and buffer tail; LOAD
 * puts them back at the same indices, in a ring of the same index width
 * with room for them. Section layouts: Documentation/ring.rst.
 */
#include <linux/kernel.h>
#include <linux/keel_state.h>

#include "ring.h"
#include "../compat/keel_compat.h"

/* Section ids of a ring blob. */
#define KEEL_RING_SEC_INDICES	1	/* struct keel_ring_saved_indices */
#define KEEL_RING_SEC_ENTRIES	2	/* struct keel_ring_saved_entry... */
#define KEEL_RING_SEC_STATS	3	/* struct keel_ring_saved_stats */
#define KEEL_RING_SEC_VERSION	1

/* keel_ring_saved_indices.state_flags */
#define KEEL_RING_SAVED_REDUNDANT	0x1u
#define KEEL_RING_SAVED_FLAGS_ALL	KEEL_RING_SAVED_REDUNDANT

/* Version 1. Indices are the ring's own, not wrapped to a slot. */
struct keel_ring_saved_indices {
	__le32 slots;		/* of the saving ring, informational */
	__le32 slot_size;	/* of the saving ring, informational */
	__le32 setup_flags;	/* KEEL_RING_SETUP_IDX64 must match */
	__le32 state_flags;	/* KEEL_RING_SAVED_* */
	__le64 head;
	__le64 out;		/* outgoing tail */
	__le64 cmt;		/* commit point: out <= cmt <= buf */
	__le64 buf;		/* buffer tail */
};

/* Version 1: one per entry from head to buf, payload padded to 8. */
struct keel_ring_saved_entry {
	__le32 len;
	__le32 flags;		/* zero */
};

/* Version 1: the counters of struct keel_ring_stats, in its order. */
struct keel_ring_saved_stats {
	__le64 produced;
	__le64 committed;
	__le64 fetched;
	__le64 bytes_in;
	__le64 bytes_out;
	__le64 full_ns;
	__le64 bad_index;
	__le64 bad_entry;
};

#define KEEL_RING_SAVED_FIXED						\
	(sizeof(struct keel_state_header) +				\
	 3 * sizeof(struct keel_state_section) +			\
	 sizeof(struct keel_ring_saved_indices) +			\
	 sizeof(struct keel_ring_saved_stats))

static struct keel_ring *keel_ring_of(struct keel_state *st)
{
	return keel_ring_of_inst(container_of(st, struct keel_inst, state));
}

/*
 * The largest blob of @r: every slot full. An entry takes its 8-byte
 * header and its payload padded to 8, at most slot_size bytes.
 */
u32 keel_ring_state_max_len(struct keel_ring *r)
{
	return KEEL_RING_SAVED_FIXED + (u64)r->idx.slots * r->slot_size;
}

static void keel_ring_state_stop(struct keel_state *st)
{
	struct keel_ring *r = keel_ring_of(st);

	spin_lock(&r->lock);
	r->stopped = true;
	spin_unlock(&r->lock);
	/* Wait out the read() and write() calls already past the gate. */
	down_write(&r->gate);
	up_write(&r->gate);
	/* The engines change indices too: detached, as their STOP ioctls. */
	keel_ring_repl_stop(r);
	keel_ring_fetch_stop(r);
}

static int keel_ring_state_resume(struct keel_state *st)
{
	struct keel_ring *r = keel_ring_of(st);
	bool fetchable;

	spin_lock(&r->lock);
	r->stopped = false;
	keel_ring_sync_buf(r);
	fetchable = keel_ring_fetchable(&r->idx);
	spin_unlock(&r->lock);
	/* Readers, writers and pollers waited through the stop. */
	wake_up_interruptible_all(&r->wq);
	/* Entries a LOAD brought may be waiting for an eventfd reader. */
	if (fetchable && r->event)
		keel_eventfd_signal(r->event);
	return 0;
}

static size_t keel_ring_state_save_len(struct keel_state *st)
{
	struct keel_ring *r = keel_ring_of(st);
	u64 n;

	spin_lock(&r->lock);
	n = keel_ring_dist(&r->idx, r->idx.buf, r->idx.head);
	spin_unlock(&r->lock);
	return KEEL_RING_SAVED_FIXED + n * r->slot_size;
}

static int keel_ring_state_save(struct keel_state *st,
				struct keel_state_writer *w)
{
	struct keel_ring *r = keel_ring_of(st);
	u32 max = r->slot_size - sizeof(struct keel_ring_slot);
	struct keel_ring_saved_indices ix = {};
	struct keel_ring_saved_stats ss;
	struct keel_ring_idx x;
	u64 i, n, cmt, bad = 0;
	u32 *lens, len;
	size_t bytes = 0;
	void *p;
	int ret;

	/* Stopped: nothing moves the indices; the counters neither. */
	spin_lock(&r->lock);
	x = r->idx;
	cmt = r->cmt;
	ix.state_flags = cpu_to_le32(r->redundant ? KEEL_RING_SAVED_REDUNDANT
					: 0);
	ss.produced = cpu_to_le64(r->stats.produced);
	ss.committed = cpu_to_le64(r->stats.committed);
	ss.fetched = cpu_to_le64(r->stats.fetched);
	ss.bytes_in = cpu_to_le64(r->stats.bytes_in);
	ss.bytes_out = cpu_to_le64(r->stats.bytes_out);
	ss.full_ns = cpu_to_le64(keel_ring_full_ns(r));
	ss.bad_index = cpu_to_le64(r->stats.bad_index);
	spin_unlock(&r->lock);

	ix.slots = cpu_to_le32(x.slots);
	ix.slot_size = cpu_to_le32(r->slot_size);
	ix.setup_flags = cpu_to_le32(r->flags & KEEL_RING_SETUP_IDX64);
	ix.head = cpu_to_le64(x.head);
	ix.out = cpu_to_le64(x.out);
	ix.cmt = cpu_to_le64(cmt);
	ix.buf = cpu_to_le64(x.buf);
	ret = keel_state_put(w, KEEL_RING_SEC_INDICES, KEEL_RING_SEC_VERSION,
			     &ix, sizeof(ix));
	if (ret)
		return ret;

	/*
	 * The slots are in a shared mapping: read each length once and
	 * keep that value. A length beyond the slot goes out as an empty
	 * entry (counted), as replication does.
	 */
	n = keel_ring_dist(&x, x.buf, x.head);
	lens = kvmalloc_array(max_t(u64, n, 1), sizeof(*lens), GFP_KERNEL);
	if (!lens)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		struct keel_ring_slot *slot = keel_ring_slot_ptr(r, x.head + i);

		len = READ_ONCE(slot->len);
		if (len > max) {
			len = 0;
			bad++;
		}
		lens[i] = len;
		bytes += sizeof(struct keel_ring_saved_entry) + ALIGN(len, 8);
	}
	p = keel_state_sec_begin(w, KEEL_RING_SEC_ENTRIES,
				 KEEL_RING_SEC_VERSION, bytes);
	if (!p) {
		kvfree(lens);
		/* Returns the error begin() recorded. */
		return keel_state_sec_end(w);
	}
	for (i = 0; i < n; i++) {
		struct keel_ring_slot *slot = keel_ring_slot_ptr(r, x.head + i);
		struct keel_ring_saved_entry *e = p;

		e->len = cpu_to_le32(lens[i]);
		memcpy(e + 1, slot + 1, lens[i]);
		p += sizeof(*e) + ALIGN(lens[i], 8);
	}
	kvfree(lens);
	ret = keel_state_sec_end(w);
	if (ret)
		return ret;

	spin_lock(&r->lock);
	r->stats.bad_entry += bad;
	ss.bad_entry = cpu_to_le64(r->stats.bad_entry);
	spin_unlock(&r->lock);
	return keel_state_put(w, KEEL_RING_SEC_STATS, KEEL_RING_SEC_VERSION,
			      &ss, sizeof(ss));
}

/* The saved indices as a struct keel_ring_idx of @r's geometry. */
static void keel_ring_saved_idx(struct keel_ring *r,
				const struct keel_ring_saved_indices *ix,
				struct keel_ring_idx *x, u64 *cmt)
{
	x->mask = r->idx.mask;
	x->slots = r->idx.slots;
	x->head = le64_to_cpu(ix->head);
	x->out = le64_to_cpu(ix->out);
	x->buf = le64_to_cpu(ix->buf);
	*cmt = le64_to_cpu(ix->cmt);
}

#define KEEL_RING_BAD(msg) ({ *why = (msg); -EINVAL; })

static int keel_ring_state_check(struct keel_state *st,
				 const struct keel_state_blob *b,
				 const char **why)
{
	struct keel_ring *r = keel_ring_of(st);
	const struct keel_state_sec *si = keel_state_find(b, KEEL_RING_SEC_INDICES);
	const struct keel_state_sec *se = keel_state_find(b, KEEL_RING_SEC_ENTRIES);
	const struct keel_state_sec *ss = keel_state_find(b, KEEL_RING_SEC_STATS);
	u32 max = r->slot_size - sizeof(struct keel_ring_slot);
	struct keel_ring_saved_indices ix;
	struct keel_ring_saved_entry e;
	struct keel_ring_idx x;
	u64 i, n, cmt, off = 0;

	if (si->len != sizeof(ix))
		return KEEL_RING_BAD("ring indices: wrong section length");
	memcpy(&ix, si->data, sizeof(ix));
	if (le32_to_cpu(ix.state_flags) & ~KEEL_RING_SAVED_FLAGS_ALL)
		return KEEL_RING_BAD("ring indices: unknown flags");
	if ((le32_to_cpu(ix.setup_flags) & ~KEEL_RING_SETUP_IDX64) ||
	    le32_to_cpu(ix.setup_flags) != (r->flags & KEEL_RING_SETUP_IDX64))
		return KEEL_RING_BAD("ring indices: other index width");
	keel_ring_saved_idx(r, &ix, &x, &cmt);
	if (!keel_ring_idx_sane(&x) || (cmt & ~x.mask) ||
	    keel_ring_dist(&x, x.out, x.head) > keel_ring_dist(&x, cmt, x.head) ||
	    keel_ring_dist(&x, cmt, x.head) > keel_ring_dist(&x, x.buf, x.head))
		return KEEL_RING_BAD("ring indices out of order or more entries than slots");
	if (!(le32_to_cpu(ix.state_flags) & KEEL_RING_SAVED_REDUNDANT) &&
	    cmt != x.out)
		return KEEL_RING_BAD("ring indices: commit point of a ring that is not redundant");

	n = keel_ring_dist(&x, x.buf, x.head);
	for (i = 0; i < n; i++) {
		if (se->len - off < sizeof(e))
			return KEEL_RING_BAD("ring entries: fewer than the indices say");
		memcpy(&e, se->data + off, sizeof(e));
		if (le32_to_cpu(e.flags))
			return KEEL_RING_BAD("ring entries: unknown flags");
		if (le32_to_cpu(e.len) > max)
			return KEEL_RING_BAD("ring entries: larger than this ring's slots");
		off += sizeof(e);
		if (se->len - off < ALIGN(le32_to_cpu(e.len), 8))
			return KEEL_RING_BAD("ring entries: truncated");
		off += ALIGN(le32_to_cpu(e.len), 8);
	}
	if (off != se->len)
		return KEEL_RING_BAD("ring entries: more than the indices say");
	if (ss && ss->len != sizeof(struct keel_ring_saved_stats))
		return KEEL_RING_BAD("ring counters: wrong section length");
	return 0;
}

static void keel_ring_state_load(struct keel_state *st,
				 const struct keel_state_blob *b)
{
	struct keel_ring *r = keel_ring_of(st);
	const struct keel_state_sec *si = keel_state_find(b, KEEL_RING_SEC_INDICES);
	const struct keel_state_sec *se = keel_state_find(b, KEEL_RING_SEC_ENTRIES);
	const struct keel_state_sec *ss = keel_state_find(b, KEEL_RING_SEC_STATS);
	struct keel_ring_saved_indices ix;
	struct keel_ring_saved_stats sv;
	const void *p = se->data;
	struct keel_ring_idx x;
	u64 i, n, cmt;

	memcpy(&ix, si->data, sizeof(ix));
	keel_ring_saved_idx(r, &ix, &x, &cmt);

	/*
	 * Stopped and detached: only the mapping's users touch the slots,
	 * and an mmap producer writing while the VMM loads gets what it
	 * asked for. The entries land in their own indices' slots.
	 */
	n = keel_ring_dist(&x, x.buf, x.head);
	for (i = 0; i < n; i++) {
		struct keel_ring_slot *slot = keel_ring_slot_ptr(r, x.head + i);
		const struct keel_ring_saved_entry *e = p;
		u32 len = le32_to_cpu(e->len);

		memcpy(slot + 1, e + 1, len);
		WRITE_ONCE(slot->len, len);
		WRITE_ONCE(slot->flags, 0);
		p += sizeof(*e) + ALIGN(len, 8);
	}

	spin_lock(&r->lock);
	r->idx.head = x.head;
	r->idx.out = x.out;
	r->idx.buf = x.buf;
	r->cmt = cmt;
	/* Redundant is for good: a primary's held entries stay held. */
	if (le32_to_cpu(ix.state_flags) & KEEL_RING_SAVED_REDUNDANT)
		r->redundant = true;
	r->last_bad_head = x.head;
	r->last_bad_buf = x.buf;
	if (ss) {
		memcpy(&sv, ss->data, sizeof(sv));
		r->stats.produced = le64_to_cpu(sv.produced);
		r->stats.committed = le64_to_cpu(sv.committed);
		r->stats.fetched = le64_to_cpu(sv.fetched);
		r->stats.bytes_in = le64_to_cpu(sv.bytes_in);
		r->stats.bytes_out = le64_to_cpu(sv.bytes_out);
		r->stats.full_ns = le64_to_cpu(sv.full_ns);
		r->stats.bad_index = le64_to_cpu(sv.bad_index);
		r->stats.bad_entry = le64_to_cpu(sv.bad_entry);
	}
	r->stats.full_since = 0;
	keel_ring_note_full(r);
	/*
	 * Publish as every index change does (ring.c): the slots written
	 * above before the buffer tail, the tails before the head.
	 */
	/* Pairs with the acquire loads of buf_tail (ring.c). */
	smp_store_release(&r->ctrl->buf_tail, x.buf);
	/* Pairs with a fetcher's acquire, as in keel_ring_set_out(). */
	smp_store_release(&r->ctrl->out_tail, x.out);
	/* Pairs with a producer's acquire, as in keel_ring_set_head(). */
	smp_store_release(&r->ctrl->head, x.head);
	spin_unlock(&r->lock);
}

static const struct keel_state_sec_desc keel_ring_state_secs[] = {
	{ KEEL_RING_SEC_INDICES, KEEL_RING_SEC_VERSION, true },
	{ KEEL_RING_SEC_ENTRIES, KEEL_RING_SEC_VERSION, true },
	{ KEEL_RING_SEC_STATS, KEEL_RING_SEC_VERSION, false },
};

const struct keel_state_ops keel_ring_state_ops = {
	.type = KEEL_STATE_TYPE_RING,
	/* Per ring: keel_ring_state_max_len(). */
	.max_len = KEEL_RING_SAVED_FIXED,
	.secs = keel_ring_state_secs,
	.nr_secs = ARRAY_SIZE(keel_ring_state_secs),
	.stop = keel_ring_state_stop,
	.resume = keel_ring_state_resume,
	.save_len = keel_ring_state_save_len,
	.save = keel_ring_state_save,
	.check = keel_ring_state_check,
	.load = keel_ring_state_load,
};
