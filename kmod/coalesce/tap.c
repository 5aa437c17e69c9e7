// SPDX-License-Identifier: GPL-2.0
/*
 * The tap on a queue's call eventfd and the deliveries (coalesce.h): where
 * a notification from vhost is held or let through, the timer that
 * delivers what is held when its interval ends, and the one way an
 * interrupt goes out.
 *
 * The tap is the first entry of the eventfd's wait queue, exclusive and
 * with priority, so it runs before KVM's irqfd (itself an exclusive
 * priority entry, which add_wait_queue_priority() queues behind the
 * entries with priority already there): returning nonzero from its
 * wakeup ends the wakeup there, returning 0 lets it go on to KVM. It
 * holds a reference on the file, so the eventfd is not released (and
 * KVM's irqfd not shut down by EPOLLHUP) under it.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/minmax.h>

#include "coalesce.h"
#include "../compat/keel_compat.h"

/*
 * While the guest is inactive and something is held, it is looked at again
 * every rx-usecs (the bound of the latency interval, also in adaptive
 * mode), but not more often than this: each look is a timer interrupt.
 */
#define KEEL_COAL_RECHECK_MIN_US	100

/*
 * Arm the timer for @act's deadline, or cancel it when nothing is held.
 * While the guest is inactive, no later than a recheck interval from @now:
 * a guest that becomes active gets what is held within its latency
 * interval. Called with @o->lock held.
 */
static void keel_coal_arm(struct keel_coal_obj *o, struct keel_coal_action act,
			  u64 now)
{
	u64 when = act.deadline_ns;
	u32 recheck_us;

	if (!when) {
		if (o->armed_ns)
			hrtimer_try_to_cancel(&o->timer);
		o->armed_ns = 0;
		return;
	}
	if (!o->c.active) {
		recheck_us = max_t(u32, o->c.p.rx_usecs,
				   KEEL_COAL_RECHECK_MIN_US);
		when = min(when, now + (u64)recheck_us * NSEC_PER_USEC);
	}
	if (o->armed_ns == when)
		return;
	o->armed_ns = when;
	hrtimer_start(&o->timer, ns_to_ktime(when), HRTIMER_MODE_ABS_HARD);
}

/**
 * keel_coal_act() - arm the timer for a decision taken under the lock
 * @o: the object, with @o->lock held
 * @act: the decision
 * @now: when it was taken
 *
 * The caller delivers (keel_coal_fire()) after dropping the lock when
 * @act.reason is not KEEL_COAL_HELD.
 */
void keel_coal_act(struct keel_coal_obj *o, struct keel_coal_action act,
		   u64 now)
{
	lockdep_assert_held(&o->lock);
	if (!o->stopped)
		keel_coal_arm(o, act, now);
}

/**
 * keel_coal_fire() - deliver one interrupt
 * @o: the object; no lock of it held
 *
 * When vhost signals the irqfd itself, a wakeup of its queue that the tap
 * lets through (the count is there already: the tap never takes it);
 * else a signal of the irqfd. Not from inside the tap's own wakeup.
 *
 * Context: any; the timer calls it in hard interrupt context.
 */
void keel_coal_fire(struct keel_coal_obj *o)
{
	wait_queue_head_t *wqh = o->tap.wqh;
	unsigned long flags;

	if (!o->direct) {
		keel_eventfd_signal(o->irq_ctx);
		return;
	}
	spin_lock_irqsave(&wqh->lock, flags);
	o->tap.passing = true;
	__wake_up_locked_key(wqh, TASK_NORMAL, poll_to_key(EPOLLIN));
	o->tap.passing = false;
	spin_unlock_irqrestore(&wqh->lock, flags);
}

/*
 * A notification: the call eventfd was signalled. Runs with its
 * wait-queue lock held and interrupts off, in the signaller's context
 * (vhost's worker, a VMM's write()).
 */
static int keel_coal_tap_wake(wait_queue_entry_t *wait, unsigned int mode,
			      int sync, void *key)
{
	struct keel_coal_obj *o = container_of(wait, struct keel_coal_obj,
					       tap.wait);
	struct keel_coal_action act = { .reason = KEEL_COAL_HELD };
	bool active;
	u64 now, cnt;

	if (!(key_to_poll(key) & EPOLLIN) || o->tap.passing)
		return 0;
	active = keel_coal_guest_active(o);
	now = ktime_get_ns();
	spin_lock(&o->lock);
	if (o->stopped) {
		keel_coal_hold(&o->c, now, 1);
	} else {
		o->c.active = active;
		act = keel_coal_notify(&o->c, now);
		keel_coal_arm(o, act, now);
	}
	spin_unlock(&o->lock);

	if (o->direct)	/* delivered: on to KVM's irqfd; held: stop here */
		return act.reason == KEEL_COAL_HELD;
	/* A separate call eventfd: its count is Keel's. */
	eventfd_ctx_do_read(o->tap.ctx, &cnt);
	if (act.reason != KEEL_COAL_HELD)
		irq_work_queue(&o->kick);
	return 1;
}

/* vfs_poll()'s callback: put the entry first on the eventfd's queue. */
static void keel_coal_tap_queue(struct file *file, wait_queue_head_t *wqh,
				poll_table *pt)
{
	struct keel_coal_tap *tap = container_of(pt, struct keel_coal_tap, pt);
	unsigned long flags;

	tap->wqh = wqh;
	tap->wait.flags |= WQ_FLAG_EXCLUSIVE | WQ_FLAG_PRIORITY;
	spin_lock_irqsave(&wqh->lock, flags);
	list_add(&tap->wait.entry, &wqh->head);
	spin_unlock_irqrestore(&wqh->lock, flags);
	tap->queued = true;
}

/**
 * keel_coal_tap_start() - put the tap on the call eventfd
 * @o: the object being set up, its @tap.file set
 *
 * Return: 0, or -EINVAL when the file gave no wait queue.
 */
int keel_coal_tap_start(struct keel_coal_obj *o)
{
	struct keel_coal_tap *tap = &o->tap;

	init_waitqueue_func_entry(&tap->wait, keel_coal_tap_wake);
	init_poll_funcptr(&tap->pt, keel_coal_tap_queue);
	vfs_poll(tap->file, &tap->pt);
	return tap->queued ? 0 : -EINVAL;
}

/* Take the tap off: when it returns, no wakeup of it runs any more. */
void keel_coal_tap_stop(struct keel_coal_obj *o)
{
	if (o->tap.queued)
		remove_wait_queue(o->tap.wqh, &o->tap.wait);
	o->tap.queued = false;
}

/* The timer: the interval of what is held ended, or time to look again. */
enum hrtimer_restart keel_coal_timer_fn(struct hrtimer *t)
{
	struct keel_coal_obj *o = container_of(t, struct keel_coal_obj, timer);
	struct keel_coal_action act = { .reason = KEEL_COAL_HELD };
	unsigned long flags;
	bool active;
	u64 now;

	active = keel_coal_guest_active(o);
	now = ktime_get_ns();
	spin_lock_irqsave(&o->lock, flags);
	o->armed_ns = 0;
	if (!o->stopped) {
		act = keel_coal_set_active(&o->c, now, active);
		keel_coal_arm(o, act, now);
	}
	spin_unlock_irqrestore(&o->lock, flags);
	if (act.reason != KEEL_COAL_HELD)
		keel_coal_fire(o);
	return HRTIMER_NORESTART;
}

/* A delivery the tap decided on, for a separate irqfd. */
void keel_coal_kick_fn(struct irq_work *w)
{
	keel_coal_fire(container_of(w, struct keel_coal_obj, kick));
}

/*
 * Stop deciding: when it returns, no timer or kick of @o runs, and none
 * starts until the object runs again. What arrives meanwhile is held.
 */
void keel_coal_quiesce(struct keel_coal_obj *o)
{
	spin_lock_irq(&o->lock);
	o->stopped = true;
	o->armed_ns = 0;
	spin_unlock_irq(&o->lock);
	hrtimer_cancel(&o->timer);
	irq_work_sync(&o->kick);
}
