// SPDX-License-Identifier: GPL-2.0
/*
 * keeld's iterative pruning: hard constraints prune unconditionally and
 * fail with the feature and the pool size before it, preferences never
 * empty the pool, pruning stops at the candidate-set size, and hosts
 * without room are filtered out before any feature.
 */
#include <errno.h>
#include <string.h>

#include "alloc_helpers.h"
#include "tap.h"

static struct keeld_pool *p;
static struct keeld_unified u;
static struct keeld_trace t;
static struct keeld_err err;
static uint32_t cand[64];
static size_t ncand;

/* Unify @prefs (one request source) and prune for 1 vcpu, 1 GiB. */
static int prune(const struct keeld_pref *prefs, size_t n, size_t max)
{
	const struct keeld_pref_source s = { KEELD_SRC_REQUEST, prefs, n };
	const struct keeld_resources res = { .vcpus = 1, .mem_bytes = GIB };
	uint64_t need[KEELD_NDIMS];
	int ret;

	ret = keeld_unify(p, &s, 1, &u, &err);
	if (!ret)
		ret = keeld_need(p, &res, need, &err);
	return ret ? ret : keeld_prune(p, need, &u, max, cand, &ncand, &t, &err);
}

static bool has(uint32_t id)
{
	size_t i;

	for (i = 0; i < ncand; i++)
		if (keeld_host_at(p, cand[i])->id == id)
			return true;
	return false;
}

static void setup(void)
{
	p = keeld_pool_new();
	HOST(p, 1, 8, 16, "cpu:avx512f", "nic:sriov");
	HOST(p, 2, 8, 16, "cpu:avx512f", "cpu:rtm");
	HOST(p, 3, 8, 16, "cpu:avx512f", "acc:gpu", "nic:sriov");
	HOST(p, 4, 8, 16, "cpu:rtm");
	HOST(p, 5, 8, 16, NULL);
	ok(keeld_pool_size(p) == 5, "pool of five hosts");
}

static void test_hard(void)
{
	static const struct keeld_pref r1[] = {
		{ "cpu:avx512f", KEELD_REQUIRED, 0 },
		{ "cpu:rtm", KEELD_FORBIDDEN, 0 },
	};
	static const struct keeld_pref r2[] = {
		{ "cpu:avx512f", KEELD_REQUIRED, 0 },
		{ "mem:mirror", KEELD_REQUIRED, 0 },
	};
	static const struct keeld_pref r3[] = {
		{ "acc:gpu", KEELD_REQUIRED, 0 },
		{ "nic:sriov", KEELD_FORBIDDEN, 0 },
	};

	ok(!prune(r1, N(r1), 0) && ncand == 2 && has(1) && has(3),
	   "required and forbidden prune to hosts 1 and 3");
	ok(t.hosts == 5 && t.fit == 5 && t.nsteps == 2 &&
	   t.step[0].before == 5 && t.step[0].after == 3 &&
	   t.step[1].before == 3 && t.step[1].after == 2,
	   "trace: 5 -> 3 -> 2");
	ok(prune(r2, N(r2), 0) == -ESRCH && ncand == 0,
	   "required feature no host has fails");
	ok(!strcmp(err.msg, "required feature mem:mirror (request) left no host: none of the 3 hosts left before it has it"),
	   "reason names the feature and the hosts before: %s", err.msg);
	ok(t.nsteps == 2 && t.step[1].result == KEELD_STEP_EMPTIED,
	   "trace records the failing step");
	ok(prune(r3, N(r3), 0) == -ESRCH &&
	   !strcmp(err.msg, "forbidden feature nic:sriov (request) left no host: each of the 1 hosts left before it has it"),
	   "forbidden reason: %s", err.msg);
}

static void test_never_empty(void)
{
	static const struct keeld_pref r[] = {
		{ "cpu:avx512f", KEELD_REQUIRED, 0 },
		{ "acc:gpu", KEELD_PREFERRED, 9 },
		{ "mem:mirror", KEELD_PREFERRED, 8 },
		{ "nic:sriov", KEELD_AVOIDED, 7 },
	};
	static const struct keeld_pref r2[] = {
		{ "cpu:rtm", KEELD_PREFERRED, 2 },
		{ "acc:gpu", KEELD_PREFERRED, 1 },
	};

	ok(!prune(r, N(r), 0) && ncand == 1 && has(3),
	   "a preference that would empty the pool is skipped: host 3 stays");
	ok(t.nsteps == 4 && t.step[1].result == KEELD_STEP_APPLIED &&
	   t.step[2].result == KEELD_STEP_SKIPPED && t.step[2].after == 1 &&
	   t.step[3].result == KEELD_STEP_SKIPPED,
	   "trace: gpu applied, mirror (nobody) and avoid sriov (everybody) skipped");
	ok(!prune(r2, N(r2), 0) && ncand == 2 && has(2) && has(4),
	   "weight order: rtm first (2 hosts), gpu then skipped");
}

static void test_stop(void)
{
	static const struct keeld_pref r[] = {
		{ "cpu:avx512f", KEELD_PREFERRED, 3 },
		{ "nic:sriov", KEELD_PREFERRED, 2 },
		{ "acc:gpu", KEELD_PREFERRED, 1 },
	};
	static const struct keeld_pref hard[] = {
		{ "cpu:avx512f", KEELD_REQUIRED, 0 },
		{ "cpu:rtm", KEELD_FORBIDDEN, 0 },
		{ "acc:gpu", KEELD_PREFERRED, 1 },
	};

	ok(!prune(r, N(r), 3) && ncand == 3 && t.nsteps == 3 &&
	   t.step[1].result == KEELD_STEP_NOT_REACHED &&
	   t.step[2].result == KEELD_STEP_NOT_REACHED,
	   "stop once at the candidate-set size (3 of 5 after one step)");
	ok(!prune(r, N(r), 2) && ncand == 2 && has(1) && has(3),
	   "size 2: two steps");
	ok(!prune(r, N(r), 5) && ncand == 5 && t.step[0].result == KEELD_STEP_NOT_REACHED,
	   "the pool already small enough: no preference applies");
	ok(!prune(hard, N(hard), 5) && ncand == 2 &&
	   t.step[2].result == KEELD_STEP_NOT_REACHED,
	   "hard constraints apply even below the size");
}

static void test_capacity_first(void)
{
	static const struct keeld_pref r[] = { { "cpu:rtm", KEELD_PREFERRED, 1 } };
	const struct keeld_pref_source s = { KEELD_SRC_REQUEST, r, 1 };
	const struct keeld_resources big = { .vcpus = 16, .mem_bytes = GIB };
	const struct keeld_resources gpu = {
		.vcpus = 1, .mem_bytes = GIB,
		.accs = (const struct keeld_accs[]){ { "gpu", 1 } }, .naccs = 1,
	};
	uint64_t need[KEELD_NDIMS];

	HOST(p, 6, 32, 64, "nic:sriov");
	ok(!keeld_unify(p, &s, 1, &u, &err) && !keeld_need(p, &big, need, &err),
	   "request for 16 vcpus");
	ok(!keeld_prune(p, need, &u, 0, cand, &ncand, &t, &err) && ncand == 1 &&
	   has(6) && t.fit == 1 && t.step[0].result == KEELD_STEP_SKIPPED,
	   "capacity filter first: only host 6 is available, rtm skipped");
	need[KEELD_DIM_VCPUS] = 64;
	ok(keeld_prune(p, need, &u, 0, cand, &ncand, &t, &err) == -ENOSPC &&
	   !strcmp(err.msg, "none of the 6 hosts has room: 6 lack vcpus"),
	   "no room: %s", err.msg);
	ok(keeld_need(p, &gpu, need, &err) == -ENOSPC &&
	   !strcmp(err.msg, "no host has accelerators of type gpu"),
	   "unknown accelerator type: %s", err.msg);
}

int main(void)
{
	setup();
	test_hard();
	test_never_empty();
	test_stop();
	test_capacity_first();
	keeld_pool_free(p);
	return tap_done();
}
