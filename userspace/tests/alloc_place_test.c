// SPDX-License-Identifier: GPL-2.0
/*
 * keeld's placement and accounting: each policy on a small fixed pool,
 * ties broken by host id, capacity exhaustion and release, generations,
 * stale commits, unknown ids, the model's input checks and the
 * explanation of a decision.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_helpers.h"
#include "tap.h"

static struct keeld_err err;

static uint32_t place(struct keeld_pool *p, enum keeld_policy pol,
		      uint64_t vcpus, uint64_t mem)
{
	struct keeld_request r = request(vcpus, mem, NULL, 0, pol, 0);
	struct keeld_result res;

	return keeld_alloc(p, &r, &res, NULL, NULL, &err) ? 0 : res.host_id;
}

/* Hosts 10 (8 vcpus, 1/2 used), 20 (16, 1/4 used), 30 (4, empty). */
static struct keeld_pool *fixed_pool(void)
{
	struct keeld_pool *p = keeld_pool_new();
	uint64_t need[KEELD_NDIMS] = { 0 }, id;

	HOST(p, 30, 4, 8, NULL);
	HOST(p, 10, 8, 16, NULL);
	HOST(p, 20, 16, 32, NULL);
	need[KEELD_DIM_VCPUS] = 4;
	need[KEELD_DIM_MEM] = 8 * GIB;
	keeld_commit(p, 10, 1, need, &id, NULL);
	keeld_commit(p, 20, 1, need, &id, NULL);
	return p;
}

static void test_policies(void)
{
	struct keeld_pool *p = fixed_pool();
	enum keeld_policy pol;

	ok(place(p, KEELD_PACK, 2, 2) == 10, "pack: the most used host (10)");
	keeld_pool_free(p);
	p = fixed_pool();
	ok(place(p, KEELD_SPREAD, 2, 2) == 30, "spread: the least used host (30)");
	keeld_pool_free(p);
	p = fixed_pool();
	ok(place(p, KEELD_BEST_FIT, 4, 8) == 10,
	   "best fit: nothing left on 10 or 30, the tie goes to 10");
	ok(place(p, KEELD_BEST_FIT, 4, 8) == 30,
	   "best fit next: 30 (nothing left) beats 20 (half left)");
	ok(place(p, KEELD_PACK, 6, 2) == 20, "pack skips hosts without room");
	keeld_pool_free(p);

	ok(!keeld_policy_parse("best-fit", &pol, &err) && pol == KEELD_BEST_FIT,
	   "policy name best-fit");
	ok(keeld_policy_parse("random", &pol, &err) == -EINVAL &&
	   strstr(err.msg, "unknown policy 'random'"), "unknown policy: %s", err.msg);
	p = fixed_pool();
	{
		struct keeld_request r = request(1, 1, NULL, 0, (enum keeld_policy)9, 0);
		struct keeld_result res;

		ok(keeld_alloc(p, &r, &res, NULL, NULL, &err) == -EINVAL &&
		   keeld_alloc_count(p) == 2, "unknown policy number rejected: %s",
		   err.msg);
	}
	keeld_pool_free(p);
}

static void test_ties(void)
{
	struct keeld_pool *p = keeld_pool_new();

	HOST(p, 9, 8, 8, NULL);
	HOST(p, 3, 8, 8, NULL);
	HOST(p, 5, 8, 8, NULL);
	ok(place(p, KEELD_PACK, 1, 1) == 3, "pack tie: lowest id (3)");
	ok(place(p, KEELD_PACK, 1, 1) == 3, "pack: then the used host (3)");
	ok(place(p, KEELD_SPREAD, 1, 1) == 5, "spread tie among empty: lowest id (5)");
	ok(place(p, KEELD_SPREAD, 1, 1) == 9, "spread: then 9");
	ok(place(p, KEELD_BEST_FIT, 1, 1) == 3, "best fit: the fullest (3)");
	keeld_pool_free(p);
}

static void test_exhaustion(void)
{
	struct keeld_pool *p = keeld_pool_new();
	const struct keeld_hpages hp[] = { { 2 << 20, 4 } };
	const struct keeld_accs acc[] = { { "gpu", 2 } };
	const char *feat[] = { "acc:gpu", "mem:mirror" };
	struct keeld_host_spec s = {
		.id = 7,
		.res = { 64, 64 * GIB, 4 * GIB, hp, 1, acc, 2 - 1 },
		.features = feat, .nfeatures = 2,
	};
	struct keeld_request r = request(2, 1, NULL, 0, KEELD_PACK, 0);
	struct keeld_result res;
	uint64_t ids[3], gen;
	const struct keeld_host *h;
	int i;

	ok(!keeld_host_add(p, &s, &err), "host with huge pages, mirror, gpus: %s",
	   err.msg);
	r.res.mirror_bytes = GIB;
	r.res.hpages = (const struct keeld_hpages[]){ { 2 << 20, 1 } };
	r.res.nhpages = 1;
	r.res.accs = (const struct keeld_accs[]){ { "gpu", 1 } };
	r.res.naccs = 1;
	for (i = 0; i < 2; i++)
		ok(!keeld_alloc(p, &r, &res, NULL, NULL, &err) && res.host_id == 7,
		   "allocation %d fits", i + 1);
	ids[0] = res.alloc_id - 1;
	ids[1] = res.alloc_id;
	h = keeld_host_get(p, 7);
	gen = h->generation;
	ok(gen == 3, "two commits bump the generation to 3 (%llu)",
	   (unsigned long long)gen);
	ok(h->used[KEELD_DIM_ACC0] == 2 && h->used[KEELD_DIM_HP0] == 2 &&
	   h->used[KEELD_DIM_MIRROR] == 2 * GIB && h->used[KEELD_DIM_VCPUS] == 4,
	   "usage charged in every dimension");
	ok(keeld_alloc(p, &r, &res, NULL, NULL, &err) == -ENOSPC &&
	   !strcmp(err.msg, "none of the 1 hosts has room: 1 lack accelerator gpu"),
	   "third fails, gpus exhausted: %s", err.msg);
	ok(h->generation == gen && keeld_alloc_count(p) == 2,
	   "a failed allocation changes nothing");
	ok(!keeld_free(p, ids[0], &err) && h->generation == gen + 1 &&
	   h->used[KEELD_DIM_ACC0] == 1 && h->used[KEELD_DIM_VCPUS] == 2,
	   "free releases exactly and bumps the generation");
	ok(keeld_free(p, ids[0], &err) == -ENOENT &&
	   strstr(err.msg, "no allocation"), "double free rejected: %s", err.msg);
	ok(keeld_free(p, 12345, &err) == -ENOENT, "free of an unknown id rejected");
	ok(!keeld_alloc(p, &r, &res, NULL, NULL, &err) && res.alloc_id > ids[1],
	   "allocation succeeds again with a fresh id");
	ids[2] = res.alloc_id;
	ok(!keeld_free(p, ids[1], &err) && !keeld_free(p, ids[2], &err) &&
	   keeld_alloc_count(p) == 0, "free everything");
	for (i = 0; i < KEELD_NDIMS; i++)
		if (h->used[i])
			break;
	ok(i == KEELD_NDIMS, "usage back to zero");
	keeld_pool_free(p);
}

static void test_commit(void)
{
	struct keeld_pool *p = keeld_pool_new();
	uint64_t need[KEELD_NDIMS] = { 0 }, id;

	HOST(p, 1, 4, 4, NULL);
	need[KEELD_DIM_VCPUS] = 1;
	need[KEELD_DIM_MEM] = GIB;
	ok(!keeld_commit(p, 1, 1, need, &id, &err) && id, "commit at generation 1");
	ok(keeld_commit(p, 1, 1, need, &id, &err) == -ESTALE &&
	   strstr(err.msg, "generation 2, decision saw 1"), "stale commit: %s", err.msg);
	ok(keeld_commit(p, 2, 1, need, &id, &err) == -ENOENT, "unknown host: %s",
	   err.msg);
	need[KEELD_DIM_VCPUS] = 4;
	ok(keeld_commit(p, 1, 2, need, &id, &err) == -ENOSPC &&
	   strstr(err.msg, "vcpus 3 free, 4 asked"), "no room: %s", err.msg);
	keeld_pool_free(p);
}

static void test_model_checks(void)
{
	struct keeld_pool *p = keeld_pool_new();
	struct keeld_host_spec s = { .id = 1, .res = { 4, GIB, 0, NULL, 0, NULL, 0 } };
	const char *toolong[KEELD_MAX_HOST_FEATURES + 1];
	struct keeld_request r = request(1, 1, NULL, 0, KEELD_PACK, 0);
	struct keeld_result res;
	static char names[KEELD_MAX_FEATURES + 1][16];
	const char *one[1];
	size_t i;

	ok(!keeld_host_add(p, &s, &err), "host 1");
	ok(keeld_host_add(p, &s, &err) == -EEXIST &&
	   !strcmp(err.msg, "host 1 already exists"), "duplicate id: %s", err.msg);
	s.id = 2;
	s.res.vcpus = 0;
	ok(keeld_host_add(p, &s, &err) == -EINVAL, "zero vcpus: %s", err.msg);
	s.res.vcpus = 4;
	s.res.mem_bytes = 0;
	ok(keeld_host_add(p, &s, &err) == -EINVAL, "zero memory: %s", err.msg);
	s.res.mem_bytes = GIB;
	s.res.hpages = (const struct keeld_hpages[]){ { 3000, 1 } };
	s.res.nhpages = 1;
	ok(keeld_host_add(p, &s, &err) == -EINVAL, "bad huge page size: %s", err.msg);
	s.res.hpages = (const struct keeld_hpages[]){ { 1ull << 30, 1ull << 40 } };
	ok(keeld_host_add(p, &s, &err) == -EOVERFLOW, "huge page bytes overflow: %s",
	   err.msg);
	s.res.nhpages = 0;
	s.res.vcpus = UINT64_MAX;
	ok(keeld_host_add(p, &s, &err) == -EOVERFLOW &&
	   strstr(err.msg, "capacity sum"), "pool sum overflow: %s", err.msg);
	s.res.vcpus = 4;
	s.res.accs = (const struct keeld_accs[]){ { "gpu", 0 } };
	s.res.naccs = 1;
	ok(keeld_host_add(p, &s, &err) == -EINVAL, "zero accelerators: %s", err.msg);
	s.res.naccs = 0;
	for (i = 0; i < N(toolong); i++)
		toolong[i] = "a:b";
	s.features = toolong;
	s.nfeatures = N(toolong);
	ok(keeld_host_add(p, &s, &err) == -E2BIG, "too many host features: %s",
	   err.msg);
	one[0] = "nocolon";
	s.features = one;
	s.nfeatures = 1;
	ok(keeld_host_add(p, &s, &err) == -EINVAL, "bad feature name: %s", err.msg);
	ok(keeld_pool_size(p) == 1 && keeld_pool_total(p, KEELD_DIM_VCPUS) == 4,
	   "rejected hosts changed nothing");
	/* Fill the feature table, then one more name is refused. */
	for (i = 0; i <= KEELD_MAX_FEATURES; i++) {
		snprintf(names[i], sizeof(names[i]), "f:%zu", i);
		one[0] = names[i];
		s.id = (uint32_t)(100 + i);
		if (keeld_host_add(p, &s, &err))
			break;
	}
	ok(i == KEELD_MAX_FEATURES && err.code == -E2BIG,
	   "feature table limit at %zu: %s", i, err.msg);
	r.res.vcpus = 0;
	ok(keeld_alloc(p, &r, &res, NULL, NULL, &err) == -EINVAL,
	   "request with zero vcpus: %s", err.msg);
	keeld_pool_free(p);
}

static void test_explain(void)
{
	static const struct keeld_pref req[] = {
		{ "cpu:avx512f", KEELD_REQUIRED, 0 },
		{ "acc:gpu", KEELD_PREFERRED, 5 },
	};
	static const struct keeld_pref pol[] = { { "cpu:rtm", KEELD_AVOIDED, 1 } };
	const struct keeld_pref_source src[] = {
		{ KEELD_SRC_REQUEST, req, N(req) }, { KEELD_SRC_POLICY, pol, N(pol) },
	};
	struct keeld_pool *p = keeld_pool_new();
	struct keeld_request r = request(1, 1, src, N(src), KEELD_SPREAD, 0);
	struct keeld_unified u;
	struct keeld_trace t;
	struct keeld_result res;
	char *out = NULL;
	size_t len;
	FILE *f;

	HOST(p, 1, 4, 4, "cpu:avx512f", "cpu:rtm");
	HOST(p, 2, 4, 4, "cpu:avx512f");
	HOST(p, 3, 4, 4, "cpu:rtm");
	ok(!keeld_alloc(p, &r, &res, &u, &t, &err) && res.host_id == 2,
	   "explained allocation on host 2");
	f = open_memstream(&out, &len);
	keeld_explain(f, &u, &t);
	fclose(f);
	ok(strstr(out, "required  cpu:avx512f") && strstr(out, "3 hosts, 3 with room") &&
	   strstr(out, "3 -> 2") && strstr(out, "skipped: would leave no host") &&
	   strstr(out, "2 -> 1") && strstr(out, "candidates: 1"),
	   "explanation shows the list and every step");
	for (len = 0; out[len]; len++)	/* as TAP comments */
		printf("%s%c", !len || out[len - 1] == '\n' ? "# " : "", out[len]);
	free(out);
	keeld_pool_free(p);
}

int main(void)
{
	test_policies();
	test_ties();
	test_exhaustion();
	test_commit();
	test_model_checks();
	test_explain();
	return tap_done();
}
