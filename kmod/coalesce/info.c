// SPDX-License-Identifier: GPL-2.0
/*
 * A "coalesce" object on the keel netlink family: its parameters,
 * statistics and mode (KEEL_OBJ_A_INFO), and its parameters changed while
 * it runs (KEEL_CMD_OBJ_SET), with ethtool's names.
 */
#include <linux/ktime.h>
#include <net/netlink.h>

#include "coalesce.h"

struct keel_coal_info {
	u32 gsi, vcpu;
	u8 direct_call, adaptive_rx, active, irqfd_bound;
	u32 rx_usecs, rx_frames, overflow_usecs, cur_usecs, mode, held;
	u64 notifications, irqs, held_inactive, direct, frames, latency,
	    overflow, flush;
};

#define C struct keel_coal_info
static const struct keel_info_field keel_coal_fields[] = {
	KEEL_INFO_U32(C, gsi, KEEL_COALESCE_INFO_A_GSI, KEEL_INFO_BRIEF),
	KEEL_INFO_U32(C, vcpu, KEEL_COALESCE_INFO_A_VCPU, KEEL_INFO_BRIEF),
	KEEL_INFO_BOOL(C, direct_call, KEEL_COALESCE_INFO_A_DIRECT_CALL),
	KEEL_INFO_U32(C, rx_usecs, KEEL_COALESCE_INFO_A_RX_USECS,
		      KEEL_INFO_BRIEF),
	KEEL_INFO_U32(C, rx_frames, KEEL_COALESCE_INFO_A_RX_FRAMES),
	KEEL_INFO_U32(C, overflow_usecs, KEEL_COALESCE_INFO_A_OVERFLOW_USECS,
		      KEEL_INFO_BRIEF),
	KEEL_INFO_BOOL(C, adaptive_rx, KEEL_COALESCE_INFO_A_ADAPTIVE_RX),
	KEEL_INFO_U32(C, cur_usecs, KEEL_COALESCE_INFO_A_CUR_USECS),
	KEEL_INFO_U32(C, mode, KEEL_COALESCE_INFO_A_MODE, KEEL_INFO_BRIEF,
		      KEEL_INFO_ENUM("stopped", "latency", "overflow")),
	KEEL_INFO_BOOL(C, active, KEEL_COALESCE_INFO_A_ACTIVE),
	KEEL_INFO_U32(C, held, KEEL_COALESCE_INFO_A_HELD),
	KEEL_INFO_U64(C, notifications, KEEL_COALESCE_INFO_A_NOTIFICATIONS,
		      KEEL_INFO_BRIEF_COUNTER),
	KEEL_INFO_U64(C, irqs, KEEL_COALESCE_INFO_A_IRQS,
		      KEEL_INFO_BRIEF_COUNTER),
	KEEL_INFO_U64(C, held_inactive, KEEL_COALESCE_INFO_A_HELD_INACTIVE,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(C, direct, KEEL_COALESCE_INFO_A_DIRECT,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(C, frames, KEEL_COALESCE_INFO_A_FRAMES,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(C, latency, KEEL_COALESCE_INFO_A_LATENCY,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(C, overflow, KEEL_COALESCE_INFO_A_OVERFLOW,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(C, flush, KEEL_COALESCE_INFO_A_FLUSH,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_BOOL(C, irqfd_bound, KEEL_COALESCE_INFO_A_IRQFD_BOUND),
};

#undef C

static int keel_coal_snapshot(struct keel_object *obj, void *snap)
{
	struct keel_coal_obj *o = keel_coal_of(keel_inst_of_obj(obj));
	struct keel_coal_info *i = snap;
	bool active = keel_coal_guest_active(o);
	const struct keel_coal *c = &o->c;

	i->gsi = o->irqfd.gsi;
	i->vcpu = o->vcpu;
	i->direct_call = o->direct;
	i->active = active;
	i->irqfd_bound = keel_coal_irqfd_bound(o);
	spin_lock_irq(&o->lock);
	i->rx_usecs = c->p.rx_usecs;
	i->rx_frames = c->p.rx_frames;
	i->overflow_usecs = c->p.overflow_usecs;
	i->adaptive_rx = c->p.adaptive;
	i->cur_usecs = keel_coal_cur_usecs(c);
	i->mode = o->stopped ? KEEL_COALESCE_MODE_STOPPED :
		  active ? KEEL_COALESCE_MODE_LATENCY :
			   KEEL_COALESCE_MODE_OVERFLOW;
	i->held = c->held;
	i->notifications = c->notifications;
	i->held_inactive = c->count[KEEL_COAL_HELD];
	i->direct = c->count[KEEL_COAL_DIRECT];
	i->frames = c->count[KEEL_COAL_FRAMES];
	i->latency = c->count[KEEL_COAL_LATENCY];
	i->overflow = c->count[KEEL_COAL_OVERFLOW];
	i->flush = c->count[KEEL_COAL_FLUSH];
	spin_unlock_irq(&o->lock);
	i->irqs = i->direct + i->frames + i->latency + i->overflow + i->flush;
	return 0;
}

/**
 * keel_coal_params_from_uapi() - checked parameters from the uapi struct
 * @p: the parameters
 * @u: as the user gave them
 *
 * Return: 0, or -EINVAL (unknown flags, a value out of range).
 */
int keel_coal_params_from_uapi(struct keel_coal_params *p,
			       const struct keel_coalesce_params *u)
{
	if (u->flags & ~KEEL_COALESCE_P_FLAGS_ALL)
		return -EINVAL;
	*p = (struct keel_coal_params){
		.rx_usecs = u->rx_usecs,
		.rx_frames = u->rx_frames,
		.overflow_usecs = u->overflow_usecs,
		.adaptive = u->flags & KEEL_COALESCE_P_ADAPTIVE,
	};
	return keel_coal_params_check(p);
}

/* Not const: 6.1 declares the policy's pointer without it. */
static struct netlink_range_validation keel_coal_usecs_range = {
	.max = KEEL_COALESCE_MAX_USECS,
};

static struct netlink_range_validation keel_coal_overflow_range = {
	.min = 1,
	.max = KEEL_COALESCE_MAX_USECS,
};

static struct netlink_range_validation keel_coal_frames_range = {
	.max = KEEL_COALESCE_MAX_FRAMES,
};

static const struct nla_policy
keel_coal_param_policy[KEEL_COALESCE_PARAM_A_MAX + 1] = {
	[KEEL_COALESCE_PARAM_A_RX_USECS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &keel_coal_usecs_range),
	[KEEL_COALESCE_PARAM_A_RX_FRAMES] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &keel_coal_frames_range),
	[KEEL_COALESCE_PARAM_A_OVERFLOW_USECS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &keel_coal_overflow_range),
	[KEEL_COALESCE_PARAM_A_ADAPTIVE_RX] = NLA_POLICY_MAX(NLA_U8, 1),
};

/* New parameters while it runs: re-decided at once, nothing dropped. */
static int keel_coal_set(struct keel_object *obj, struct nlattr **tb,
			 struct netlink_ext_ack *extack)
{
	struct keel_coal_obj *o = keel_coal_of(keel_inst_of_obj(obj));
	struct keel_coal_action act = { .reason = KEEL_COAL_HELD };
	struct keel_coal_params p;
	bool active;
	u64 now;
	int ret;

	active = keel_coal_guest_active(o);
	now = ktime_get_ns();
	spin_lock_irq(&o->lock);
	p = o->c.p;
	if (tb[KEEL_COALESCE_PARAM_A_RX_USECS])
		p.rx_usecs = nla_get_u32(tb[KEEL_COALESCE_PARAM_A_RX_USECS]);
	if (tb[KEEL_COALESCE_PARAM_A_RX_FRAMES])
		p.rx_frames = nla_get_u32(tb[KEEL_COALESCE_PARAM_A_RX_FRAMES]);
	if (tb[KEEL_COALESCE_PARAM_A_OVERFLOW_USECS])
		p.overflow_usecs =
			nla_get_u32(tb[KEEL_COALESCE_PARAM_A_OVERFLOW_USECS]);
	if (tb[KEEL_COALESCE_PARAM_A_ADAPTIVE_RX])
		p.adaptive = nla_get_u8(tb[KEEL_COALESCE_PARAM_A_ADAPTIVE_RX]);
	ret = keel_coal_params_check(&p);
	if (!ret && o->stopped) {
		o->c.p = p;
	} else if (!ret) {
		o->c.active = active;
		act = keel_coal_set_params(&o->c, now, &p);
		keel_coal_act(o, act, now);
	}
	spin_unlock_irq(&o->lock);
	if (ret) {
		/* The policy checked each value; what is left is the pair. */
		NL_SET_ERR_MSG(extack,
			       "rx-usecs is longer than the overflow interval");
		return ret;
	}
	if (act.reason != KEEL_COAL_HELD)
		keel_coal_fire(o);
	return 0;
}

const struct keel_object_type keel_coal_type = {
	.name = "coalesce",
	.info = keel_coal_fields,
	.nr_info = ARRAY_SIZE(keel_coal_fields),
	.info_pad = KEEL_COALESCE_INFO_A_PAD,
	.info_size = sizeof(struct keel_coal_info),
	.snapshot = keel_coal_snapshot,
	.params = keel_coal_param_policy,
	.params_max = KEEL_COALESCE_PARAM_A_MAX,
	.set = keel_coal_set,
};
