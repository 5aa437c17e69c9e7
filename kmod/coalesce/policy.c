// SPDX-License-Identifier: GPL-2.0
/*
 * keel_coalesce's decision logic (policy.h): held notifications, the
 * latency and overflow intervals, the frame bound. Every entry point ends
 * in keel_coal_decide(), which either delivers (one interrupt for all that
 * is held) or returns the deadline of what is held.
 */
#include <linux/errno.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/limits.h>
#include <linux/time64.h>

#include "policy.h"

/**
 * keel_coal_params_check() - are @p usable parameters?
 * @p: the parameters
 *
 * Return: 0, or -EINVAL: an overflow interval of 0 or over
 * KEEL_COAL_MAX_USECS, a latency interval over the overflow interval,
 * more than KEEL_COAL_MAX_FRAMES frames.
 */
int keel_coal_params_check(const struct keel_coal_params *p)
{
	if (!p->overflow_usecs || p->overflow_usecs > KEEL_COAL_MAX_USECS)
		return -EINVAL;
	if (p->rx_usecs > p->overflow_usecs)
		return -EINVAL;
	if (p->rx_frames > KEEL_COAL_MAX_FRAMES)
		return -EINVAL;
	return 0;
}

void keel_coal_init(struct keel_coal *c, const struct keel_coal_params *p,
		    bool active)
{
	*c = (struct keel_coal){ .p = *p, .active = active };
}

/* The latency interval that applies now, in us. */
u32 keel_coal_cur_usecs(const struct keel_coal *c)
{
	if (!c->p.adaptive)
		return c->p.rx_usecs;
	return min(c->adapt.cur_usecs, c->p.rx_usecs);
}

/* One notification into adaptive mode's window; a full window adapts. */
static void keel_coal_adapt(struct keel_coal *c, u64 now)
{
	struct keel_coal_adapt *a = &c->adapt;
	u64 elapsed, rate;
	u32 cur;

	a->win_notes++;
	if (!c->active)
		a->win_inactive++;
	elapsed = now - a->win_start_ns;
	if (now < a->win_start_ns || elapsed < KEEL_COAL_ADAPT_WINDOW_NS) {
		if (now < a->win_start_ns)	/* a clock from before: restart */
			a->win_start_ns = now;
		return;
	}
	if (c->p.adaptive && a->win_inactive * 2 <= a->win_notes) {
		rate = div64_u64((u64)a->win_notes * NSEC_PER_SEC, elapsed);
		cur = keel_coal_cur_usecs(c);
		if (rate > KEEL_COAL_ADAPT_UP_RATE)
			cur = cur ? cur * 2 : KEEL_COAL_ADAPT_MIN_US;
		else if (rate < KEEL_COAL_ADAPT_DOWN_RATE)
			cur = cur / 2 < KEEL_COAL_ADAPT_MIN_US ? 0 : cur / 2;
		a->cur_usecs = min(cur, c->p.rx_usecs);
	}
	a->win_start_ns = now;
	a->win_notes = 0;
	a->win_inactive = 0;
}

static struct keel_coal_action keel_coal_deliver(struct keel_coal *c,
						 enum keel_coal_reason why)
{
	c->held = 0;
	c->count[why]++;
	return (struct keel_coal_action){ .reason = why };
}

/* The interval that applies now, in ns. */
static u64 keel_coal_interval_ns(const struct keel_coal *c)
{
	return (u64)(c->active ? keel_coal_cur_usecs(c) : c->p.overflow_usecs) *
	       NSEC_PER_USEC;
}

static struct keel_coal_action keel_coal_decide(struct keel_coal *c, u64 now)
{
	u64 interval, due;

	if (!c->held)
		return (struct keel_coal_action){ .reason = KEEL_COAL_HELD };
	if (c->p.rx_frames && c->held >= c->p.rx_frames)
		return keel_coal_deliver(c, KEEL_COAL_FRAMES);
	interval = keel_coal_interval_ns(c);
	if (!interval)
		return keel_coal_deliver(c, KEEL_COAL_DIRECT);
	due = c->first_ns + interval;
	if (now >= due)
		return keel_coal_deliver(c, c->active ? KEEL_COAL_LATENCY :
						       KEEL_COAL_OVERFLOW);
	return (struct keel_coal_action){ .reason = KEEL_COAL_HELD,
					  .deadline_ns = due };
}

/* A notification from vhost at @now. */
struct keel_coal_action keel_coal_notify(struct keel_coal *c, u64 now)
{
	c->notifications++;
	if (!c->active)
		c->count[KEEL_COAL_HELD]++;
	keel_coal_adapt(c, now);
	if (!c->held++)
		c->first_ns = now;
	return keel_coal_decide(c, now);
}

/*
 * @n notifications held without a decision (a stopped object, a loaded
 * state): they wait for the next decision, which the caller asks for.
 */
void keel_coal_hold(struct keel_coal *c, u64 now, u32 n)
{
	if (!n)
		return;
	c->notifications += n;
	if (!c->held)
		c->first_ns = now;
	c->held = min_t(u64, (u64)c->held + n, U32_MAX);
}

/* The guest became active or inactive at @now. */
struct keel_coal_action keel_coal_set_active(struct keel_coal *c, u64 now,
					     bool active)
{
	c->active = active;
	return keel_coal_decide(c, now);
}

/* The timer fired at @now (early or late, it does not matter). */
struct keel_coal_action keel_coal_timer(struct keel_coal *c, u64 now)
{
	return keel_coal_decide(c, now);
}

/* New parameters (checked by the caller) from @now on. */
struct keel_coal_action keel_coal_set_params(struct keel_coal *c, u64 now,
					     const struct keel_coal_params *p)
{
	c->p = *p;
	return keel_coal_decide(c, now);
}

/* Teardown or stop: true when held notifications need their interrupt. */
bool keel_coal_flush(struct keel_coal *c)
{
	if (!c->held)
		return false;
	keel_coal_deliver(c, KEEL_COAL_FLUSH);
	return true;
}
