// SPDX-License-Identifier: GPL-2.0
/*
 * The "ring" object type: a ring as the keel netlink family lists it,
 * with its geometry, indices and counters in KEEL_OBJ_A_INFO.
 */
#include <net/netlink.h>

#include "ring.h"

/* What fill_info reports, copied under the ring's lock. */
struct keel_ring_snapshot {
	struct keel_ring_idx idx;
	struct keel_ring_stats st;
	u64 full_ns;
	u32 fetch_state, fetch_err;
	u32 repl_role, repl_state, repl_err;
	u64 repl_lag, repl_sent, repl_acked;
};

static int keel_ring_put_u64(struct sk_buff *skb, int type, u64 v)
{
	return nla_put_u64_64bit(skb, type, v, KEEL_RING_INFO_A_PAD);
}

static int keel_ring_fill_info(struct sk_buff *skb, struct keel_object *obj)
{
	struct keel_ring *r = container_of(obj, struct keel_ring, obj);
	struct keel_ring_snapshot s;

	spin_lock(&r->lock);
	s.idx = r->idx;
	s.st = r->stats;
	s.full_ns = keel_ring_full_ns(r);
	s.fetch_state = r->fetch_state;
	s.fetch_err = r->fetch_err;
	s.repl_role = r->repl_role;
	s.repl_state = r->repl_state;
	s.repl_err = r->repl_err;
	s.repl_lag = keel_ring_dist(&r->idx, r->cmt, r->idx.out);
	s.repl_sent = r->repl_sent;
	s.repl_acked = r->repl_acked;
	spin_unlock(&r->lock);

	if (nla_put_u32(skb, KEEL_RING_INFO_A_SLOTS, s.idx.slots) ||
	    nla_put_u32(skb, KEEL_RING_INFO_A_SLOT_SIZE, r->slot_size) ||
	    nla_put_u32(skb, KEEL_RING_INFO_A_FLAGS, r->flags) ||
	    keel_ring_put_u64(skb, KEEL_RING_INFO_A_HEAD, s.idx.head) ||
	    keel_ring_put_u64(skb, KEEL_RING_INFO_A_OUT_TAIL, s.idx.out) ||
	    keel_ring_put_u64(skb, KEEL_RING_INFO_A_BUF_TAIL, s.idx.buf) ||
	    keel_ring_put_u64(skb, KEEL_RING_INFO_A_PRODUCED, s.st.produced) ||
	    keel_ring_put_u64(skb, KEEL_RING_INFO_A_COMMITTED,
			      s.st.committed) ||
	    keel_ring_put_u64(skb, KEEL_RING_INFO_A_FETCHED, s.st.fetched) ||
	    keel_ring_put_u64(skb, KEEL_RING_INFO_A_BYTES_IN, s.st.bytes_in) ||
	    keel_ring_put_u64(skb, KEEL_RING_INFO_A_BYTES_OUT,
			      s.st.bytes_out) ||
	    keel_ring_put_u64(skb, KEEL_RING_INFO_A_FULL_NS, s.full_ns) ||
	    keel_ring_put_u64(skb, KEEL_RING_INFO_A_BAD_INDEX,
			      s.st.bad_index) ||
	    keel_ring_put_u64(skb, KEEL_RING_INFO_A_BAD_ENTRY,
			      s.st.bad_entry) ||
	    keel_ring_put_u64(skb, KEEL_RING_INFO_A_REPL_LAG, s.repl_lag) ||
	    nla_put_u32(skb, KEEL_RING_INFO_A_FETCH_STATE, s.fetch_state) ||
	    nla_put_u32(skb, KEEL_RING_INFO_A_FETCH_ERR, s.fetch_err) ||
	    nla_put_u32(skb, KEEL_RING_INFO_A_REPL_ROLE, s.repl_role) ||
	    nla_put_u32(skb, KEEL_RING_INFO_A_REPL_STATE, s.repl_state) ||
	    nla_put_u32(skb, KEEL_RING_INFO_A_REPL_ERR, s.repl_err) ||
	    keel_ring_put_u64(skb, KEEL_RING_INFO_A_REPL_SENT, s.repl_sent) ||
	    keel_ring_put_u64(skb, KEEL_RING_INFO_A_REPL_ACKED,
			      s.repl_acked))
		return -EMSGSIZE;
	return 0;
}

const struct keel_object_type keel_ring_obj_type = {
	.name = "ring",
	.part = &keel_ring_part,
	.fill_info = keel_ring_fill_info,
};
