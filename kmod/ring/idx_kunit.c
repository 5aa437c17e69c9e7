// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of the ring's index arithmetic and of the rules for moving
 * head, outgoing tail and buffer tail (idx.h), at both index widths and
 * across the wrap.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/prandom.h>

#include "idx.h"

static struct keel_ring_idx idx_at(u64 mask, u32 slots, u64 start)
{
	struct keel_ring_idx x = {
		.head = start, .out = start, .buf = start,
		.mask = mask, .slots = slots,
	};

	return x;
}

static void dist_wraps(struct kunit *test)
{
	struct keel_ring_idx x = idx_at(U32_MAX, 8, 0);
	struct keel_ring_idx y = idx_at(U64_MAX, 8, 0);

	KUNIT_EXPECT_EQ(test, keel_ring_dist(&x, 2, 0xfffffffeull), 4ull);
	KUNIT_EXPECT_EQ(test, keel_ring_dist(&x, 0xfffffffeull, 2),
			0xfffffffcull);
	KUNIT_EXPECT_EQ(test, keel_ring_dist(&y, 2, U64_MAX - 1), 4ull);
	KUNIT_EXPECT_EQ(test, keel_ring_dist(&y, 0x100000002ull, 0xfffffffeull),
			4ull);
	KUNIT_EXPECT_EQ(test, keel_ring_dist(&x, 5, 5), 0ull);
}

static void slot_across_wrap(struct kunit *test)
{
	struct keel_ring_idx x = idx_at(U32_MAX, 16, 0);
	u64 i;

	/* Consecutive indices take consecutive slots across 2^32. */
	for (i = 0xfffffff0ull; i < 0x100000010ull; i++)
		KUNIT_EXPECT_EQ(test, keel_ring_slot(&x, i & x.mask),
				(u32)((keel_ring_slot(&x, 0xfffffff0ull) +
				       (i - 0xfffffff0ull)) % 16));
	x.slots = 1;
	KUNIT_EXPECT_EQ(test, keel_ring_slot(&x, 0xffffffffull), 0u);
}

static void empty_and_full(struct kunit *test)
{
	struct keel_ring_idx x = idx_at(U32_MAX, 4, 0xfffffffeull);

	KUNIT_EXPECT_TRUE(test, keel_ring_idx_sane(&x));
	KUNIT_EXPECT_EQ(test, keel_ring_space(&x), 4ull);
	KUNIT_EXPECT_EQ(test, keel_ring_fetchable(&x), 0ull);
	KUNIT_EXPECT_FALSE(test, keel_ring_full(&x));

	/* Fill across the wrap: 0xfffffffe + 4 = 2. */
	KUNIT_EXPECT_TRUE(test, keel_ring_buf_ok(&x, 2));
	KUNIT_EXPECT_FALSE(test, keel_ring_buf_ok(&x, 3));
	x.buf = 2;
	KUNIT_EXPECT_TRUE(test, keel_ring_full(&x));
	KUNIT_EXPECT_EQ(test, keel_ring_uncommitted(&x), 4ull);
	KUNIT_EXPECT_TRUE(test, keel_ring_idx_sane(&x));
	/* Nothing fetchable until committed. */
	KUNIT_EXPECT_FALSE(test, keel_ring_head_ok(&x, 0xffffffffull));
	KUNIT_EXPECT_TRUE(test, keel_ring_commit_ok(&x, 2));
	x.out = 2;
	KUNIT_EXPECT_EQ(test, keel_ring_fetchable(&x), 4ull);
	KUNIT_EXPECT_TRUE(test, keel_ring_head_ok(&x, 2));
	x.head = 2;
	KUNIT_EXPECT_EQ(test, keel_ring_space(&x), 4ull);
	KUNIT_EXPECT_TRUE(test, keel_ring_idx_sane(&x));
}

static void buf_rules(struct kunit *test)
{
	struct keel_ring_idx x = idx_at(U32_MAX, 8, 100);

	KUNIT_EXPECT_TRUE(test, keel_ring_buf_ok(&x, 100));	/* no move */
	KUNIT_EXPECT_TRUE(test, keel_ring_buf_ok(&x, 108));
	KUNIT_EXPECT_FALSE(test, keel_ring_buf_ok(&x, 109));
	KUNIT_EXPECT_FALSE(test, keel_ring_buf_ok(&x, 99));	/* backwards */
	KUNIT_EXPECT_FALSE(test, keel_ring_buf_ok(&x, 1ull << 32 | 101));
	KUNIT_EXPECT_FALSE(test, keel_ring_buf_ok(&x, U64_MAX));
	x.buf = 104;
	KUNIT_EXPECT_TRUE(test, keel_ring_buf_ok(&x, 108));
	KUNIT_EXPECT_FALSE(test, keel_ring_buf_ok(&x, 109));
	KUNIT_EXPECT_FALSE(test, keel_ring_buf_ok(&x, 103));
}

static void head_rules(struct kunit *test)
{
	struct keel_ring_idx x = idx_at(U64_MAX, 8, U64_MAX - 2);

	x.buf = 4;		/* 7 produced across the 64-bit wrap */
	x.out = 1;		/* 4 committed */
	KUNIT_EXPECT_TRUE(test, keel_ring_idx_sane(&x));
	KUNIT_EXPECT_TRUE(test, keel_ring_head_ok(&x, U64_MAX - 2));
	KUNIT_EXPECT_TRUE(test, keel_ring_head_ok(&x, 0));
	KUNIT_EXPECT_TRUE(test, keel_ring_head_ok(&x, 1));
	KUNIT_EXPECT_FALSE(test, keel_ring_head_ok(&x, 2));	/* uncommitted */
	KUNIT_EXPECT_FALSE(test, keel_ring_head_ok(&x, U64_MAX - 3));
}

static void commit_rules(struct kunit *test)
{
	struct keel_ring_idx x = idx_at(U32_MAX, 8, 0xfffffffcull);

	x.buf = 3;		/* 7 produced */
	x.out = 0xfffffffeull;	/* 2 committed */
	KUNIT_EXPECT_TRUE(test, keel_ring_commit_ok(&x, 0xfffffffeull));
	KUNIT_EXPECT_TRUE(test, keel_ring_commit_ok(&x, 0));
	KUNIT_EXPECT_TRUE(test, keel_ring_commit_ok(&x, 3));
	KUNIT_EXPECT_FALSE(test, keel_ring_commit_ok(&x, 4));	/* beyond */
	KUNIT_EXPECT_FALSE(test, keel_ring_commit_ok(&x, 0xfffffffdull));
	KUNIT_EXPECT_FALSE(test, keel_ring_commit_ok(&x, 0xfffffffcull));
	KUNIT_EXPECT_FALSE(test, keel_ring_commit_ok(&x, 0x100000000ull));
	/* Nothing uncommitted: only the outgoing tail itself. */
	x.out = 3;
	KUNIT_EXPECT_TRUE(test, keel_ring_commit_ok(&x, 3));
	KUNIT_EXPECT_FALSE(test, keel_ring_commit_ok(&x, 4));
	KUNIT_EXPECT_FALSE(test, keel_ring_commit_ok(&x, 2));
}

static void insane_orders(struct kunit *test)
{
	struct keel_ring_idx x = idx_at(U32_MAX, 8, 10);

	x.out = 11;				/* out beyond buf */
	KUNIT_EXPECT_FALSE(test, keel_ring_idx_sane(&x));
	x = idx_at(U32_MAX, 8, 10);
	x.buf = 19;				/* more than slots */
	KUNIT_EXPECT_FALSE(test, keel_ring_idx_sane(&x));
	x = idx_at(U32_MAX, 8, 10);
	x.head = 1ull << 32;			/* beyond the width */
	KUNIT_EXPECT_FALSE(test, keel_ring_idx_sane(&x));
}

/*
 * Random moves, each checked against the rules and applied only when
 * allowed; the order must hold after every step, and the counts must
 * match a model kept in plain 64-bit numbers.
 */
static void random_walk(struct kunit *test, u64 mask, u64 start)
{
	struct keel_ring_idx x = idx_at(mask, 16, start);
	u64 produced = 0, committed = 0, fetched = 0;
	struct rnd_state rnd;
	int i;

	prandom_seed_state(&rnd, 42);
	for (i = 0; i < 20000; i++) {
		u32 op = prandom_u32_state(&rnd) % 3;
		u64 step = prandom_u32_state(&rnd) % 20;
		u64 v;

		switch (op) {
		case 0:
			v = (x.buf + step) & mask;
			if (keel_ring_buf_ok(&x, v) !=
			    (step <= x.slots - (produced - fetched)))
				KUNIT_FAIL(test, "buf rule at step %d", i);
			if (keel_ring_buf_ok(&x, v)) {
				x.buf = v;
				produced += step;
			}
			break;
		case 1:
			v = (x.out + step) & mask;
			if (keel_ring_commit_ok(&x, v) !=
			    (step <= produced - committed))
				KUNIT_FAIL(test, "commit rule at step %d", i);
			if (keel_ring_commit_ok(&x, v)) {
				x.out = v;
				committed += step;
			}
			break;
		default:
			v = (x.head + step) & mask;
			if (keel_ring_head_ok(&x, v) !=
			    (step <= committed - fetched))
				KUNIT_FAIL(test, "head rule at step %d", i);
			if (keel_ring_head_ok(&x, v)) {
				x.head = v;
				fetched += step;
			}
			break;
		}
		KUNIT_ASSERT_TRUE(test, keel_ring_idx_sane(&x));
		KUNIT_ASSERT_EQ(test, keel_ring_fetchable(&x),
				committed - fetched);
		KUNIT_ASSERT_EQ(test, keel_ring_space(&x),
				x.slots - (produced - fetched));
	}
	/* The walk crossed the wrap. */
	KUNIT_EXPECT_GT(test, produced, (mask - start) + 1);
}

static void random_walk_32(struct kunit *test)
{
	random_walk(test, U32_MAX, 0xffffff00ull);
}

static void random_walk_64(struct kunit *test)
{
	random_walk(test, U64_MAX, U64_MAX - 0xff);
}

static struct kunit_case keel_ring_idx_cases[] = {
	KUNIT_CASE(dist_wraps),
	KUNIT_CASE(slot_across_wrap),
	KUNIT_CASE(empty_and_full),
	KUNIT_CASE(buf_rules),
	KUNIT_CASE(head_rules),
	KUNIT_CASE(commit_rules),
	KUNIT_CASE(insane_orders),
	KUNIT_CASE(random_walk_32),
	KUNIT_CASE(random_walk_64),
	{}
};

static struct kunit_suite keel_ring_idx_suite = {
	.name = "keel_ring_idx",
	.test_cases = keel_ring_idx_cases,
};

kunit_test_suite(keel_ring_idx_suite);

MODULE_DESCRIPTION("KUnit tests of keel_ring's index rules");
MODULE_LICENSE("GPL");
