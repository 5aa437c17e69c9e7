// SPDX-License-Identifier: GPL-2.0
/*
 * The "ring" object type: a ring as the keel netlink family lists it,
 * its geometry, indices and counters in KEEL_OBJ_A_INFO, one table line
 * each.
 */
#include "ring.h"

/* What a "ring" object reports, copied under the ring's lock. */
struct keel_ring_info {
	u32 slots, slot_size, flags, index_bits;
	u64 head, out_tail, buf_tail, fetchable, uncommitted;
	u64 produced, committed, fetched, bytes_in, bytes_out, full_ns;
	u64 bad_index, bad_entry, repl_lag;
	u32 fetch_state, fetch_err, repl_role, repl_state, repl_err;
	u64 repl_sent, repl_acked;
};

#define S struct keel_ring_info
#define STATES KEEL_INFO_ENUM("none", "running", "failed")
static const struct keel_info_field keel_ring_fields[] = {
	KEEL_INFO_U32(S, slots, KEEL_RING_INFO_A_SLOTS, KEEL_INFO_BRIEF),
	KEEL_INFO_U32(S, slot_size, KEEL_RING_INFO_A_SLOT_SIZE,
		      KEEL_INFO_BRIEF, KEEL_INFO_BYTES),
	KEEL_INFO_U32(S, flags, KEEL_RING_INFO_A_FLAGS,
		      KEEL_INFO_FLAGS("idx64", "autocommit", "eventfd")),
	KEEL_INFO_U32(S, index_bits, KEEL_RING_INFO_A_INDEX_BITS),
	KEEL_INFO_U64(S, head, KEEL_RING_INFO_A_HEAD),
	KEEL_INFO_U64(S, out_tail, KEEL_RING_INFO_A_OUT_TAIL),
	KEEL_INFO_U64(S, buf_tail, KEEL_RING_INFO_A_BUF_TAIL),
	KEEL_INFO_U64(S, fetchable, KEEL_RING_INFO_A_FETCHABLE,
		      KEEL_INFO_BRIEF),
	KEEL_INFO_U64(S, uncommitted, KEEL_RING_INFO_A_UNCOMMITTED,
		      KEEL_INFO_BRIEF),
	KEEL_INFO_U64(S, produced, KEEL_RING_INFO_A_PRODUCED,
		      KEEL_INFO_BRIEF_COUNTER),
	KEEL_INFO_U64(S, committed, KEEL_RING_INFO_A_COMMITTED,
		      KEEL_INFO_BRIEF_COUNTER),
	KEEL_INFO_U64(S, fetched, KEEL_RING_INFO_A_FETCHED,
		      KEEL_INFO_BRIEF_COUNTER),
	KEEL_INFO_U64(S, bytes_in, KEEL_RING_INFO_A_BYTES_IN,
		      KEEL_INFO_COUNTER, KEEL_INFO_BYTES),
	KEEL_INFO_U64(S, bytes_out, KEEL_RING_INFO_A_BYTES_OUT,
		      KEEL_INFO_COUNTER, KEEL_INFO_BYTES),
	KEEL_INFO_U64(S, full_ns, KEEL_RING_INFO_A_FULL_NS,
		      KEEL_INFO_BRIEF_COUNTER, KEEL_INFO_NS),
	KEEL_INFO_U64(S, bad_index, KEEL_RING_INFO_A_BAD_INDEX,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(S, bad_entry, KEEL_RING_INFO_A_BAD_ENTRY,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(S, repl_lag, KEEL_RING_INFO_A_REPL_LAG, KEEL_INFO_BRIEF),
	KEEL_INFO_U32(S, fetch_state, KEEL_RING_INFO_A_FETCH_STATE, STATES),
	KEEL_INFO_U32(S, fetch_err, KEEL_RING_INFO_A_FETCH_ERR,
		      KEEL_INFO_ERRNO),
	KEEL_INFO_U32(S, repl_role, KEEL_RING_INFO_A_REPL_ROLE,
		      KEEL_INFO_ENUM("none", "primary", "backup")),
	KEEL_INFO_U32(S, repl_state, KEEL_RING_INFO_A_REPL_STATE, STATES),
	KEEL_INFO_U32(S, repl_err, KEEL_RING_INFO_A_REPL_ERR,
		      KEEL_INFO_ERRNO),
	KEEL_INFO_U64(S, repl_sent, KEEL_RING_INFO_A_REPL_SENT,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(S, repl_acked, KEEL_RING_INFO_A_REPL_ACKED,
		      KEEL_INFO_COUNTER),
};

#undef STATES
#undef S

static int keel_ring_snapshot(struct keel_object *obj, void *snap)
{
	struct keel_ring *r = keel_ring_of_inst(container_of(obj,
							     struct keel_inst,
							     obj));
	struct keel_ring_info *s = snap;
	const struct keel_ring_idx *ix = &r->idx;

	s->slots = ix->slots;
	s->slot_size = r->slot_size;
	s->flags = r->flags;
	s->index_bits = r->flags & KEEL_RING_SETUP_IDX64 ? 64 : 32;

	spin_lock(&r->lock);
	s->head = ix->head;
	s->out_tail = ix->out;
	s->buf_tail = ix->buf;
	s->fetchable = keel_ring_dist(ix, ix->out, ix->head);
	s->uncommitted = keel_ring_dist(ix, ix->buf, ix->out);
	s->produced = r->stats.produced;
	s->committed = r->stats.committed;
	s->fetched = r->stats.fetched;
	s->bytes_in = r->stats.bytes_in;
	s->bytes_out = r->stats.bytes_out;
	s->full_ns = keel_ring_full_ns(r);
	s->bad_index = r->stats.bad_index;
	s->bad_entry = r->stats.bad_entry;
	s->repl_lag = keel_ring_dist(ix, r->cmt, ix->out);
	s->fetch_state = r->fetch_state;
	s->fetch_err = r->fetch_err;
	s->repl_role = r->repl_role;
	s->repl_state = r->repl_state;
	s->repl_err = r->repl_err;
	s->repl_sent = r->repl_sent;
	s->repl_acked = r->repl_acked;
	spin_unlock(&r->lock);
	return 0;
}

const struct keel_object_type keel_ring_obj_type = {
	.name = "ring",
	.info = keel_ring_fields,
	.nr_info = ARRAY_SIZE(keel_ring_fields),
	.info_pad = KEEL_RING_INFO_A_PAD,
	.info_size = sizeof(struct keel_ring_info),
	.snapshot = keel_ring_snapshot,
};
