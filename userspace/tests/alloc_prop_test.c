// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded, bounded, deterministic property test of keeld's allocation
 * engine: for random pools and requests, a chosen host satisfies every
 * required and forbidden feature and has room; preferences never empty
 * the pool; a refusal is right (no host satisfies the hard constraints
 * with room); accounting adds up after random frees.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "alloc_helpers.h"
#include "tap.h"

#define ROUNDS		200
#define NFEAT		12
#define MAXHOSTS	24

static uint64_t rng = 0x6b65656c;	/* fixed seed: "keel" */

static uint32_t rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

static char fname[NFEAT][8];

/*
 * Whether host @h passes every hard constraint of @u and has room for
 * @need; @charged: @need is already part of its usage.
 */
static bool eligible(const struct keeld_pool *p, const struct keeld_host *h,
		     const struct keeld_unified *u, const uint64_t *need,
		     bool charged)
{
	size_t i;
	bool has;

	for (i = 0; i < KEELD_NDIMS; i++)
		if (need[i] > h->cap[i] - (h->used[i] - (charged ? need[i] : 0)))
			return false;
	for (i = 0; i < u->nhard; i++) {
		has = keeld_host_has(h, keeld_feature_id(p, u->e[i].feature));
		if (has != (u->e[i].kind == KEELD_REQUIRED))
			return false;
	}
	return true;
}

int main(void)
{
	unsigned int bad_choice = 0, bad_refusal = 0, emptied = 0, bad_acct = 0;
	unsigned int placed = 0, refused = 0, contradictions = 0;
	unsigned int round, i, j, k, nhosts, npref[KEELD_MAX_SOURCES], a;
	struct keeld_pref prefs[KEELD_MAX_SOURCES][6];
	struct keeld_pref_source src[KEELD_MAX_SOURCES];
	const char *feats[NFEAT];
	uint64_t need[KEELD_NDIMS], ids[64], sum;
	struct keeld_unified u;
	struct keeld_trace t;
	struct keeld_result res;
	struct keeld_err err;
	struct keeld_pool *p;
	const struct keeld_host *h;
	size_t nids, s;
	int ret;

	for (i = 0; i < NFEAT; i++)
		snprintf(fname[i], sizeof(fname[i]), "f:%u", i);
	for (round = 0; round < ROUNDS; round++) {
		p = keeld_pool_new();
		nhosts = 1 + rnd(MAXHOSTS);
		for (i = 0; i < nhosts; i++) {
			for (k = 0, j = 0; j < NFEAT; j++)
				if (rnd(2))
					feats[k++] = fname[j];
			add_host(p, 1000 - i * 7, 1 + rnd(16), 1 + rnd(32), feats, k);
		}
		nids = 0;
		for (a = 0; a < 12; a++) {
			struct keeld_request r;

			for (i = 0; i < KEELD_MAX_SOURCES; i++) {
				npref[i] = rnd(4);
				for (j = 0; j < npref[i]; j++)
					prefs[i][j] = (struct keeld_pref){
						fname[rnd(NFEAT)],
						(enum keeld_kind)rnd(4), rnd(5) };
				src[i] = (struct keeld_pref_source){
					(enum keeld_source)i, prefs[i], npref[i] };
			}
			r = request(1 + rnd(8), 1 + rnd(16), src, KEELD_MAX_SOURCES,
				    (enum keeld_policy)rnd(KEELD_NPOLICIES), rnd(4));
			if (keeld_need(p, &r.res, need, NULL))
				continue;
			ret = keeld_alloc(p, &r, &res, &u, &t, &err);
			if (ret == -EINVAL) {
				contradictions++;
				continue;
			}
			for (s = 0; s < t.nsteps; s++)
				if (t.step[s].result != KEELD_STEP_EMPTIED &&
				    t.step[s].after == 0)
					emptied++;
			if (!ret) {
				placed++;
				h = keeld_host_get(p, res.host_id);
				if (!eligible(p, h, &u, need, true))
					bad_choice++;
				ids[nids++] = res.alloc_id;
			} else {
				refused++;
				for (s = 0; s < keeld_pool_size(p); s++)
					if (eligible(p, keeld_host_at(p, s), &u, need, false))
						bad_refusal++;
			}
			if (nids && rnd(3) == 0) {
				k = rnd((uint32_t)nids);
				if (keeld_free(p, ids[k], NULL))
					bad_acct++;
				ids[k] = ids[--nids];
			}
		}
		/* Usage equals the sum of what the live allocations hold. */
		for (sum = 0, s = 0; s < keeld_pool_size(p); s++)
			sum += keeld_host_at(p, s)->nallocs;
		if (sum != nids || keeld_alloc_count(p) != nids)
			bad_acct++;
		while (nids)
			if (keeld_free(p, ids[--nids], NULL))
				bad_acct++;
		for (s = 0; s < keeld_pool_size(p); s++)
			for (k = 0; k < KEELD_NDIMS; k++)
				bad_acct += keeld_host_at(p, s)->used[k] != 0;
		keeld_pool_free(p);
	}
	printf("# %u placed, %u refused, %u contradictory requests\n", placed,
	       refused, contradictions);
	ok(placed > 100 && refused > 10 && contradictions > 10,
	   "the random requests cover placements, refusals and contradictions");
	ok(!bad_choice, "every chosen host meets the hard constraints and has room (%u bad)",
	   bad_choice);
	ok(!bad_refusal, "every refusal is right: no eligible host existed (%u bad)",
	   bad_refusal);
	ok(!emptied, "no preference ever emptied the pool (%u)", emptied);
	ok(!bad_acct, "usage returns to zero after every free (%u bad)", bad_acct);
	return tap_done();
}
