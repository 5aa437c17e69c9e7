// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite for keel_coalesce's decision logic (policy.c), built as
 * keel_coalesce_kunit.ko when the target has KUnit: sequences of
 * notifications, activity changes and timer expiries, at given times, and
 * the deliveries and deadlines they must give.
 */
#include <kunit/test.h>
#include <linux/module.h>

#include "policy.c"

#define US(n)	((u64)(n) * NSEC_PER_USEC)

static const struct keel_coal_params lat_ovf = {
	.rx_usecs = 50, .overflow_usecs = 1000,
};

static void coal_expect(struct kunit *test, struct keel_coal_action a,
			enum keel_coal_reason reason, u64 deadline)
{
	KUNIT_EXPECT_EQ(test, a.reason, reason);
	KUNIT_EXPECT_EQ(test, a.deadline_ns, deadline);
}

/* No interval while active: every notification is an interrupt. */
static void coal_direct(struct kunit *test)
{
	struct keel_coal_params p = { .overflow_usecs = 1000 };
	struct keel_coal c;
	int i;

	keel_coal_init(&c, &p, true);
	for (i = 0; i < 5; i++)
		coal_expect(test, keel_coal_notify(&c, US(i)),
			    KEEL_COAL_DIRECT, 0);
	KUNIT_EXPECT_EQ(test, c.count[KEEL_COAL_DIRECT], 5);
	KUNIT_EXPECT_EQ(test, c.notifications, 5);
}

/* A burst while active is one interrupt, at the first + rx-usecs. */
static void coal_latency(struct kunit *test)
{
	struct keel_coal c;
	int i;

	keel_coal_init(&c, &lat_ovf, true);
	for (i = 0; i < 10; i++)
		coal_expect(test, keel_coal_notify(&c, US(100 + i)),
			    KEEL_COAL_HELD, US(150));
	/* an early timer changes nothing */
	coal_expect(test, keel_coal_timer(&c, US(149)), KEEL_COAL_HELD, US(150));
	coal_expect(test, keel_coal_timer(&c, US(150)), KEEL_COAL_LATENCY, 0);
	/* nothing held: a late timer delivers nothing */
	coal_expect(test, keel_coal_timer(&c, US(151)), KEEL_COAL_HELD, 0);
	KUNIT_EXPECT_EQ(test, c.count[KEEL_COAL_LATENCY], 1);
	/* the next one starts a new interval */
	coal_expect(test, keel_coal_notify(&c, US(200)), KEEL_COAL_HELD, US(250));
}

/* rx-frames held deliver at once. */
static void coal_frames(struct kunit *test)
{
	struct keel_coal_params p = lat_ovf;
	struct keel_coal c;

	p.rx_frames = 3;
	keel_coal_init(&c, &p, true);
	coal_expect(test, keel_coal_notify(&c, US(0)), KEEL_COAL_HELD, US(50));
	coal_expect(test, keel_coal_notify(&c, US(1)), KEEL_COAL_HELD, US(50));
	coal_expect(test, keel_coal_notify(&c, US(2)), KEEL_COAL_FRAMES, 0);
	coal_expect(test, keel_coal_notify(&c, US(3)), KEEL_COAL_HELD, US(53));
}

/* Inactive: held past the latency interval, until the overflow one. */
static void coal_overflow(struct kunit *test)
{
	struct keel_coal c;

	keel_coal_init(&c, &lat_ovf, false);
	coal_expect(test, keel_coal_notify(&c, US(0)), KEEL_COAL_HELD, US(1000));
	coal_expect(test, keel_coal_notify(&c, US(60)), KEEL_COAL_HELD, US(1000));
	coal_expect(test, keel_coal_timer(&c, US(60)), KEEL_COAL_HELD, US(1000));
	coal_expect(test, keel_coal_timer(&c, US(1000)), KEEL_COAL_OVERFLOW, 0);
	KUNIT_EXPECT_EQ(test, c.count[KEEL_COAL_HELD], 2);
	KUNIT_EXPECT_EQ(test, c.count[KEEL_COAL_OVERFLOW], 1);
}

/* Becoming active re-decides: old notifications go at once. */
static void coal_wake(struct kunit *test)
{
	struct keel_coal c;

	keel_coal_init(&c, &lat_ovf, false);
	keel_coal_notify(&c, US(0));
	coal_expect(test, keel_coal_set_active(&c, US(80), true),
		    KEEL_COAL_LATENCY, 0);
	/* young ones wait out the rest of the latency interval */
	keel_coal_set_active(&c, US(100), false);
	keel_coal_notify(&c, US(100));
	coal_expect(test, keel_coal_set_active(&c, US(120), true),
		    KEEL_COAL_HELD, US(150));
	/* and going inactive stretches them to the overflow interval */
	coal_expect(test, keel_coal_set_active(&c, US(130), false),
		    KEEL_COAL_HELD, US(1100));
}

/* New parameters apply at once; nothing is lost on flush. */
static void coal_params_flush(struct kunit *test)
{
	struct keel_coal_params none = { .overflow_usecs = 1 };
	struct keel_coal c;

	keel_coal_init(&c, &lat_ovf, true);
	keel_coal_notify(&c, US(0));
	coal_expect(test, keel_coal_set_params(&c, US(10), &none),
		    KEEL_COAL_DIRECT, 0);
	KUNIT_EXPECT_FALSE(test, keel_coal_flush(&c));
	keel_coal_set_params(&c, US(10), &lat_ovf);
	keel_coal_notify(&c, US(20));
	KUNIT_EXPECT_TRUE(test, keel_coal_flush(&c));
	KUNIT_EXPECT_EQ(test, c.count[KEEL_COAL_FLUSH], 1);
	coal_expect(test, keel_coal_timer(&c, US(70)), KEEL_COAL_HELD, 0);
}

static void coal_check(struct kunit *test)
{
	struct keel_coal_params p = lat_ovf;

	KUNIT_EXPECT_EQ(test, keel_coal_params_check(&p), 0);
	p.overflow_usecs = 0;
	KUNIT_EXPECT_EQ(test, keel_coal_params_check(&p), -EINVAL);
	p.overflow_usecs = KEEL_COAL_MAX_USECS + 1;
	KUNIT_EXPECT_EQ(test, keel_coal_params_check(&p), -EINVAL);
	p = lat_ovf;
	p.rx_usecs = p.overflow_usecs + 1;
	KUNIT_EXPECT_EQ(test, keel_coal_params_check(&p), -EINVAL);
	p = lat_ovf;
	p.rx_frames = KEEL_COAL_MAX_FRAMES + 1;
	KUNIT_EXPECT_EQ(test, keel_coal_params_check(&p), -EINVAL);
}

/* Held while stopped: no decision until asked, then one interrupt. */
static void coal_hold(struct kunit *test)
{
	struct keel_coal c;

	keel_coal_init(&c, &lat_ovf, true);
	keel_coal_hold(&c, US(10), 3);
	keel_coal_hold(&c, US(20), 0);
	KUNIT_EXPECT_EQ(test, c.held, 3);
	KUNIT_EXPECT_EQ(test, c.notifications, 3);
	coal_expect(test, keel_coal_timer(&c, US(30)), KEEL_COAL_HELD, US(60));
	coal_expect(test, keel_coal_timer(&c, US(60)), KEEL_COAL_LATENCY, 0);
	/* a held count saturates instead of wrapping */
	keel_coal_hold(&c, US(70), U32_MAX);
	keel_coal_hold(&c, US(70), 5);
	KUNIT_EXPECT_EQ(test, c.held, U32_MAX);
}

/* Notifications every @gap_us from @from_us to @to_us, active or not. */
static u64 coal_stream(struct keel_coal *c, u64 from_us, u64 to_us,
		       u64 gap_us, bool active)
{
	u64 t;

	c->active = active;
	for (t = from_us; t < to_us; t += gap_us) {
		keel_coal_timer(c, US(t));
		keel_coal_notify(c, US(t));
	}
	return t;
}

/* A flood raises the interval step by step to rx-usecs; a trickle drops it. */
static void coal_adaptive(struct kunit *test)
{
	struct keel_coal_params p = lat_ovf;
	struct keel_coal c;
	u64 t;

	p.rx_usecs = 400;
	p.adaptive = true;
	keel_coal_init(&c, &p, true);
	KUNIT_EXPECT_EQ(test, keel_coal_cur_usecs(&c), 0);
	/* 100,000 per second: one window of it takes the first step */
	t = coal_stream(&c, 0, 4100, 10, true);
	KUNIT_EXPECT_EQ(test, keel_coal_cur_usecs(&c), KEEL_COAL_ADAPT_MIN_US);
	t = coal_stream(&c, t, t + 40000, 10, true);
	KUNIT_EXPECT_EQ(test, keel_coal_cur_usecs(&c), 400);
	/* the same rate while the guest is inactive changes nothing */
	p.rx_usecs = 1000;
	keel_coal_set_params(&c, US(t), &p);
	t = coal_stream(&c, t, t + 40000, 10, false);
	KUNIT_EXPECT_EQ(test, keel_coal_cur_usecs(&c), 400);
	/* 500 per second: halved each window, then 0 */
	t = coal_stream(&c, t, t + 40000, 2000, true);
	KUNIT_EXPECT_EQ(test, keel_coal_cur_usecs(&c), 0);
	/* 4,000 per second, between the rates: it stays */
	t = coal_stream(&c, t, t + 40000, 250, true);
	KUNIT_EXPECT_EQ(test, keel_coal_cur_usecs(&c), 0);
	/* off: rx-usecs itself */
	p.adaptive = false;
	keel_coal_set_params(&c, US(t), &p);
	KUNIT_EXPECT_EQ(test, keel_coal_cur_usecs(&c), 1000);
}

/* The interval adaptive mode picked is the one a notification waits. */
static void coal_adaptive_deadline(struct kunit *test)
{
	struct keel_coal_params p = { .rx_usecs = 800, .overflow_usecs = 1000,
				      .adaptive = true };
	struct keel_coal c;
	u64 t;

	keel_coal_init(&c, &p, true);
	t = coal_stream(&c, 0, 4100, 10, true);
	KUNIT_EXPECT_EQ(test, keel_coal_cur_usecs(&c), 50);
	keel_coal_flush(&c);
	coal_expect(test, keel_coal_notify(&c, US(t)), KEEL_COAL_HELD,
		    US(t + 50));
}

static struct kunit_case keel_coal_cases[] = {
	KUNIT_CASE(coal_direct),
	KUNIT_CASE(coal_latency),
	KUNIT_CASE(coal_frames),
	KUNIT_CASE(coal_overflow),
	KUNIT_CASE(coal_wake),
	KUNIT_CASE(coal_params_flush),
	KUNIT_CASE(coal_check),
	KUNIT_CASE(coal_hold),
	KUNIT_CASE(coal_adaptive),
	KUNIT_CASE(coal_adaptive_deadline),
	{}
};

static struct kunit_suite keel_coal_suite = {
	.name = "keel_coalesce_policy",
	.test_cases = keel_coal_cases,
};

kunit_test_suite(keel_coal_suite);

MODULE_DESCRIPTION("KUnit tests for keel_coalesce's decision logic");
MODULE_LICENSE("GPL");
