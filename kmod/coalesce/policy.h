/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel_coalesce's decision logic: when a held notification of a moderated
 * virtqueue becomes an interrupt. Pure: no locks, no timers, no time
 * source; the caller passes the time, serialises the calls for one
 * object (its lock) and arms its timer at the deadline returned.
 *
 * Model: notifications arrive from vhost; the first one not yet delivered
 * starts the clock. While the guest is active (its vCPU runs, or is
 * runnable) a held notification waits at most the latency interval
 * (rx-usecs); while it is inactive (halted, descheduled) at most the
 * overflow interval, which is what wakes it. rx-frames held deliver at
 * once. A change of activity or parameters re-decides at once, so a guest
 * that becomes active with notifications older than the latency interval
 * gets its interrupt immediately.
 *
 * Adaptive mode (adaptive-rx) picks the latency interval from the rate of
 * notifications, as net DIM picks a profile, to keep the guest's
 * interrupts of the queue between KEEL_COAL_ADAPT_DOWN_RATE and
 * KEEL_COAL_ADAPT_UP_RATE per second: at the end of each window of
 * KEEL_COAL_ADAPT_WINDOW_NS it doubles the interval (from 0 to
 * KEEL_COAL_ADAPT_MIN_US, never above rx-usecs) when notifications came
 * faster than the upper rate, and halves it (below the minimum: 0) when
 * slower than the lower one. With event index, vhost signals once per
 * interrupt the guest takes, so at an interval L notifications come at
 * most 1/L per second: the gap between the rates keeps it from hunting.
 * A window in which most notifications came while the guest was inactive
 * changes nothing: their rate says how long they were held, not how fast
 * traffic comes.
 */
#ifndef _KEEL_COALESCE_POLICY_H
#define _KEEL_COALESCE_POLICY_H

#include <linux/types.h>
#include <linux/time64.h>

/* Why an interrupt was delivered (each has its own counter). */
enum keel_coal_reason {
	KEEL_COAL_HELD,		/* nothing delivered (yet) */
	KEEL_COAL_DIRECT,	/* no interval applies: at once */
	KEEL_COAL_FRAMES,	/* rx-frames held */
	KEEL_COAL_LATENCY,	/* the latency interval ran out, guest active */
	KEEL_COAL_OVERFLOW,	/* the overflow interval ran out, guest inactive */
	KEEL_COAL_FLUSH,	/* teardown or stop: nothing is ever lost */
	KEEL_COAL_NR_REASONS,
};

/* Limits of the parameters (keel_coal_params_check()). */
#define KEEL_COAL_MAX_USECS	1000000		/* 1 s */
#define KEEL_COAL_MAX_FRAMES	65535

/* Adaptive mode. */
#define KEEL_COAL_ADAPT_WINDOW_NS	(4 * NSEC_PER_MSEC)
#define KEEL_COAL_ADAPT_MIN_US		50
#define KEEL_COAL_ADAPT_UP_RATE		8000	/* per second */
#define KEEL_COAL_ADAPT_DOWN_RATE	1000	/* per second */

/**
 * struct keel_coal_params - the moderation of one queue
 * @rx_usecs: latency interval while the guest is active, in us; 0:
 *	deliver at once while active
 * @rx_frames: deliver when this many are held; 0: no frame bound
 * @overflow_usecs: the longest a notification is held while the guest is
 *	inactive, in us; at least 1 and at least @rx_usecs
 * @adaptive: adaptive-rx: the latency interval follows the rate, up to
 *	@rx_usecs
 */
struct keel_coal_params {
	u32 rx_usecs;
	u32 rx_frames;
	u32 overflow_usecs;
	bool adaptive;
};

/**
 * struct keel_coal_adapt - adaptive mode's measurement
 * @win_start_ns: when the window began
 * @win_notes: notifications in it
 * @win_inactive: of those, while the guest was inactive
 * @cur_usecs: the latency interval it picked
 */
struct keel_coal_adapt {
	u64 win_start_ns;
	u32 win_notes;
	u32 win_inactive;
	u32 cur_usecs;
};

/**
 * struct keel_coal - the decision state of one moderated queue
 * @p: its parameters
 * @active: the guest (its vCPU that takes the interrupt) is active
 * @held: notifications not yet delivered
 * @first_ns: when the first of them arrived
 * @count: per &enum keel_coal_reason, interrupts delivered for it
 *	(@count[KEEL_COAL_HELD]: notifications that arrived while inactive)
 * @notifications: notifications in
 * @adapt: adaptive mode's measurement (kept also while it is off)
 *
 * The owner's lock protects all of it.
 */
struct keel_coal {
	struct keel_coal_params p;
	bool active;
	u32 held;
	u64 first_ns;
	u64 count[KEEL_COAL_NR_REASONS];
	u64 notifications;
	struct keel_coal_adapt adapt;
};

/**
 * struct keel_coal_action - what the caller does after a call
 * @reason: KEEL_COAL_HELD: deliver nothing; else deliver one interrupt
 * @deadline_ns: when held notifications are due: arm the timer for it;
 *	0: nothing held, cancel the timer
 */
struct keel_coal_action {
	enum keel_coal_reason reason;
	u64 deadline_ns;
};

int keel_coal_params_check(const struct keel_coal_params *p);
void keel_coal_init(struct keel_coal *c, const struct keel_coal_params *p,
		    bool active);
struct keel_coal_action keel_coal_notify(struct keel_coal *c, u64 now);
void keel_coal_hold(struct keel_coal *c, u64 now, u32 n);
u32 keel_coal_cur_usecs(const struct keel_coal *c);
struct keel_coal_action keel_coal_set_active(struct keel_coal *c, u64 now,
					     bool active);
struct keel_coal_action keel_coal_timer(struct keel_coal *c, u64 now);
struct keel_coal_action keel_coal_set_params(struct keel_coal *c, u64 now,
					     const struct keel_coal_params *p);
bool keel_coal_flush(struct keel_coal *c);

#endif /* _KEEL_COALESCE_POLICY_H */
