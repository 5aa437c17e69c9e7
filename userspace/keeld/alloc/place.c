// SPDX-License-Identifier: GPL-2.0
/*
 * Placement among the candidate set by policy. Scores are weighted sums
 * over the capacity dimensions:
 *   pack      highest current load (used / capacity, weighted mean)
 *   spread    lowest current load
 *   best fit  smallest leftover after the allocation, each dimension
 *             measured against the pool's largest capacity in it
 * A candidate without room is never chosen; equal scores go to the
 * lowest host id, so decisions are deterministic.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static const char *const policy_names[] = {
	[KEELD_PACK] = "pack", [KEELD_SPREAD] = "spread",
	[KEELD_BEST_FIT] = "best-fit",
};

const char *keeld_policy_name(enum keeld_policy pol)
{
	return (unsigned int)pol < KEELD_NPOLICIES ? policy_names[pol] : "?";
}

int keeld_policy_parse(const char *name, enum keeld_policy *pol,
		       struct keeld_err *err)
{
	unsigned int i;

	for (i = 0; name && i < KEELD_NPOLICIES; i++)
		if (!strcmp(name, policy_names[i])) {
			*pol = (enum keeld_policy)i;
			keeld_ok(err);
			return 0;
		}
	return keeld_fail(err, -EINVAL,
			  "unknown policy '%.32s' (pack, spread, best-fit)",
			  name ? name : "(null)");
}

int keeld_pool_set_weight(struct keeld_pool *p, unsigned int dim,
			  uint32_t weight, struct keeld_err *err)
{
	if (dim >= KEELD_NDIMS)
		return keeld_fail(err, -EINVAL, "no capacity dimension %u", dim);
	if (weight > KEELD_MAX_WEIGHT)
		return keeld_fail(err, -EINVAL, "weight %u above %d", weight,
				  KEELD_MAX_WEIGHT);
	p->weight[dim] = weight;
	keeld_ok(err);
	return 0;
}

static double load(const struct keeld_pool *p, const struct keeld_host *h)
{
	double sum = 0, wsum = 0;
	unsigned int d;

	for (d = 0; d < KEELD_NDIMS; d++) {
		if (!h->cap[d] || !p->weight[d])
			continue;
		sum += p->weight[d] * ((double)h->used[d] / (double)h->cap[d]);
		wsum += p->weight[d];
	}
	return wsum ? sum / wsum : 0;
}

static double leftover(const struct keeld_pool *p, const struct keeld_host *h,
		       const uint64_t need[KEELD_NDIMS])
{
	double sum = 0;
	unsigned int d;

	for (d = 0; d < KEELD_NDIMS; d++)
		if (p->maxcap[d] && p->weight[d])
			sum += p->weight[d] *
			       ((double)(h->cap[d] - h->used[d] - need[d]) /
				(double)p->maxcap[d]);
	return sum;
}

int keeld_place(const struct keeld_pool *p, const uint64_t need[KEELD_NDIMS],
		const uint32_t *cand, size_t ncand, enum keeld_policy pol,
		uint32_t *host_id, struct keeld_err *err)
{
	const struct keeld_host *h, *best = NULL;
	double s, best_s = 0;
	bool better;
	size_t i;

	if ((unsigned int)pol >= KEELD_NPOLICIES)
		return keeld_fail(err, -EINVAL, "unknown policy %d", (int)pol);
	for (i = 0; i < ncand; i++) {
		if (cand[i] >= p->nhosts)
			return keeld_fail(err, -EINVAL, "candidate %u is not in the pool",
					  cand[i]);
		h = &p->hosts[cand[i]];
		if (!keeld_host_fits(h, need))
			continue;
		if (pol == KEELD_BEST_FIT)
			s = -leftover(p, h, need);
		else if (pol == KEELD_SPREAD)
			s = -load(p, h);
		else
			s = load(p, h);
		/* Highest score wins; equal scores go to the lowest id. */
		better = !best || s > best_s || (s == best_s && h->id < best->id);
		if (better) {
			best = h;
			best_s = s;
		}
	}
	if (!best)
		return keeld_fail(err, -ENOSPC, "no candidate has room");
	*host_id = best->id;
	keeld_ok(err);
	return 0;
}
