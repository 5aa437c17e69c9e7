// SPDX-License-Identifier: GPL-2.0
/*
 * Iterative pruning of the available pool. Hosts without room for the
 * request are not available and go first; then the unified list prunes
 * feature by feature: a hard constraint unconditionally (failing with the
 * feature and the pool size before it when nothing is left), a
 * preference only when at least one host would remain. Once every hard
 * constraint is applied, pruning stops as soon as the candidate set is
 * at or below the configured size. Each step is recorded in the trace.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static int no_room(const struct keeld_pool *p, const uint64_t need[KEELD_NDIMS],
		   struct keeld_err *err)
{
	size_t lack[KEELD_NDIMS] = { 0 }, i;
	char name[96], list[KEELD_ERR_MAX - 64] = "";
	size_t len = 0;
	unsigned int d;
	const struct keeld_host *h;

	if (!p->nhosts)
		return keeld_fail(err, -ENOSPC, "the pool has no hosts");
	for (i = 0; i < p->nhosts; i++) {
		h = &p->hosts[i];
		for (d = 0; d < KEELD_NDIMS; d++)
			lack[d] += need[d] > h->cap[d] - h->used[d];
	}
	for (d = 0; d < KEELD_NDIMS && len < sizeof(list); d++) {
		if (!lack[d])
			continue;
		keeld_dim_name(p, d, name, sizeof(name));
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%zu lack %s",
					len ? ", " : "", lack[d], name);
	}
	return keeld_fail(err, -ENOSPC, "none of the %zu hosts has room: %s",
			  p->nhosts, list);
}

static void step(struct keeld_trace *t, size_t entry, size_t before,
		 size_t after, enum keeld_step_result r)
{
	if (!t)
		return;
	t->step[t->nsteps].entry = entry;
	t->step[t->nsteps].before = before;
	t->step[t->nsteps].after = after;
	t->step[t->nsteps].result = r;
	t->nsteps++;
}

int keeld_prune(const struct keeld_pool *p, const uint64_t need[KEELD_NDIMS],
		const struct keeld_unified *u, size_t max_candidates,
		uint32_t *cand, size_t *ncand, struct keeld_trace *trace,
		struct keeld_err *err)
{
	const struct keeld_uentry *e;
	unsigned int dims[KEELD_NDIMS], nd = 0, d, k;
	size_t i, j, n = 0, m;
	uint64_t word, bit;
	bool want;

	*ncand = 0;
	if (!u || u->n > KEELD_MAX_UNIFIED || u->nhard > u->n)
		return keeld_fail(err, -EINVAL, "bad unified feature list");
	if (trace) {
		trace->hosts = p->nhosts;
		trace->fit = trace->nsteps = trace->candidates = 0;
	}
	/*
	 * Test only the dimensions the request asks for (usually vCPUs and
	 * memory), in the per-dimension room arrays: the hosts are scanned
	 * once per request, and the memory this touches is most of the
	 * decision's time.
	 */
	for (d = 0; d < KEELD_NDIMS; d++)
		if (need[d])
			dims[nd++] = d;
	for (i = 0; i < p->nhosts; i++) {
		for (k = 0; k < nd; k++) {
			d = dims[k];
			if (need[d] > p->room[d][i])
				break;
		}
		if (k == nd)
			cand[n++] = (uint32_t)i;
	}
	if (trace)
		trace->fit = n;
	if (!n)
		return no_room(p, need, err);

	for (i = 0; i < u->n; i++) {
		e = &u->e[i];
		if (i >= u->nhard && max_candidates && n <= max_candidates) {
			step(trace, i, n, n, KEELD_STEP_NOT_REACHED);
			continue;
		}
		want = e->kind == KEELD_REQUIRED || e->kind == KEELD_PREFERRED;
		m = 0;
		if (e->fid < 0 || e->fid >= KEELD_MAX_FEATURES) {
			/* No host has it: all or nothing stays. */
			m = want ? 0 : n;
		} else {
			word = (uint64_t)e->fid / 64;
			bit = 1ull << (e->fid % 64);
			/* Keeps nothing in place unless something matches. */
			for (j = 0; j < n; j++)
				if (!!(p->featw[word][cand[j]] & bit) == want)
					cand[m++] = cand[j];
		}
		if (m) {
			step(trace, i, n, m, KEELD_STEP_APPLIED);
			n = m;
			continue;
		}
		if (i >= u->nhard) {
			step(trace, i, n, n, KEELD_STEP_SKIPPED);
			continue;
		}
		step(trace, i, n, 0, KEELD_STEP_EMPTIED);
		if (e->kind == KEELD_REQUIRED)
			return keeld_fail(err, -ESRCH,
					  "required feature %s (%s) left no host: none of the %zu hosts left before it has it",
					  e->feature, keeld_source_name(e->source), n);
		return keeld_fail(err, -ESRCH,
				  "forbidden feature %s (%s) left no host: each of the %zu hosts left before it has it",
				  e->feature, keeld_source_name(e->source), n);
	}
	if (trace)
		trace->candidates = n;
	*ncand = n;
	keeld_ok(err);
	return 0;
}
