// SPDX-License-Identifier: GPL-2.0
/*
 * A "coalesce" object in the state framework: STOPPED holds every
 * notification and decides nothing (no timer runs), RUNNING moderates.
 * Its blob carries the parameters and the notifications held, so a
 * migrated queue keeps its moderation and gets the interrupt it was
 * owed on the other side.
 */
#include <linux/ktime.h>

#include "coalesce.h"

struct keel_coal_sec_params {
	__le32 rx_usecs;
	__le32 rx_frames;
	__le32 overflow_usecs;
	__le32 flags;
};

static void keel_coal_stop(struct keel_state *st)
{
	keel_coal_quiesce(keel_coal_of(keel_inst_of_state(st)));
}

static int keel_coal_resume(struct keel_state *st)
{
	struct keel_coal_obj *o = keel_coal_of(keel_inst_of_state(st));
	struct keel_coal_action act;
	bool active;
	u64 now;

	active = keel_coal_guest_active(o);
	now = ktime_get_ns();
	spin_lock_irq(&o->lock);
	o->stopped = false;
	act = keel_coal_set_active(&o->c, now, active);
	keel_coal_act(o, act, now);
	spin_unlock_irq(&o->lock);
	if (act.reason != KEEL_COAL_HELD)
		keel_coal_fire(o);
	return 0;
}

static int keel_coal_save(struct keel_state *st, struct keel_state_writer *w)
{
	struct keel_coal_obj *o = keel_coal_of(keel_inst_of_state(st));
	struct keel_coal_sec_params sp;
	__le32 held;
	int ret;

	spin_lock_irq(&o->lock);
	sp.rx_usecs = cpu_to_le32(o->c.p.rx_usecs);
	sp.rx_frames = cpu_to_le32(o->c.p.rx_frames);
	sp.overflow_usecs = cpu_to_le32(o->c.p.overflow_usecs);
	sp.flags = cpu_to_le32(o->c.p.adaptive ? KEEL_COALESCE_P_ADAPTIVE : 0);
	held = cpu_to_le32(o->c.held);
	spin_unlock_irq(&o->lock);
	ret = keel_state_put(w, KEEL_COALESCE_SEC_PARAMS, 1, &sp, sizeof(sp));
	if (!ret)
		ret = keel_state_put(w, KEEL_COALESCE_SEC_HELD, 1, &held,
				     sizeof(held));
	return ret;
}

static void keel_coal_sec_to_params(const struct keel_state_blob *b,
				    struct keel_coalesce_params *u)
{
	const struct keel_coal_sec_params *sp =
		keel_state_find(b, KEEL_COALESCE_SEC_PARAMS)->data;

	*u = (struct keel_coalesce_params){
		.rx_usecs = le32_to_cpu(sp->rx_usecs),
		.rx_frames = le32_to_cpu(sp->rx_frames),
		.overflow_usecs = le32_to_cpu(sp->overflow_usecs),
		.flags = le32_to_cpu(sp->flags),
	};
}

static int keel_coal_check(struct keel_state *st,
			   const struct keel_state_blob *b, const char **why)
{
	struct keel_coalesce_params u;
	struct keel_coal_params p;

	keel_coal_sec_to_params(b, &u);
	if (keel_coal_params_from_uapi(&p, &u)) {
		*why = "coalesce: parameters out of range";
		return -EINVAL;
	}
	return 0;
}

/*
 * The blob's notifications are added to what the object holds: a held
 * notification is never dropped, at worst delivered once more.
 */
static void keel_coal_load(struct keel_state *st,
			   const struct keel_state_blob *b)
{
	struct keel_coal_obj *o = keel_coal_of(keel_inst_of_state(st));
	const __le32 *held = keel_state_find(b, KEEL_COALESCE_SEC_HELD)->data;
	struct keel_coalesce_params u;
	struct keel_coal_params p;
	u64 now = ktime_get_ns();

	keel_coal_sec_to_params(b, &u);
	/* check() accepted them. */
	WARN_ON_ONCE(keel_coal_params_from_uapi(&p, &u));
	spin_lock_irq(&o->lock);
	o->c.p = p;
	keel_coal_hold(&o->c, now, le32_to_cpu(*held));
	spin_unlock_irq(&o->lock);
}

const struct keel_state_ops keel_coal_state_ops = {
	.type = KEEL_STATE_TYPE_COALESCE,
	.secs = (const struct keel_state_sec_desc[]){
		{ KEEL_COALESCE_SEC_PARAMS, 1, true,
		  sizeof(struct keel_coal_sec_params) },
		{ KEEL_COALESCE_SEC_HELD, 1, true, sizeof(__le32) },
	},
	.nr_secs = 2,
	.stop = keel_coal_stop,
	.resume = keel_coal_resume,
	.save = keel_coal_save,
	.check = keel_coal_check,
	.load = keel_coal_load,
};
