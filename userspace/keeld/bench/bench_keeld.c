// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of keeld's allocation path on a real store: HOSTS hosts with
 * 40 features each (from 200 names) stored in the database, then
 * REQUESTS requests with preferences from three sources. For each it
 * times the decision on keeld's cache (unify, filter, prune, place) and
 * the whole allocation (decision plus the database transaction), and it
 * reports sustained allocations per second. The same requests on the
 * in-memory engine alone (keeld_alloc(), no store) are the baseline of
 * the same run.
 *
 *   bench-keeld DB-URL [HOSTS [REQUESTS]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cloud.h"
#include "store.h"
#include "bench_util.h"

#define NNAMES		200
#define HOST_FEATS	40
#define MAX_CAND	16

static uint64_t rng;

static char names[NNAMES][24];

struct req {
	struct keeld_pref prefs[KEELD_MAX_SOURCES][4];
	struct keeld_pref_source src[KEELD_MAX_SOURCES];
	struct keeld_request r;
};

static void make_request(struct req *q)
{
	static const enum keeld_kind kinds[KEELD_MAX_SOURCES][4] = {
		{ KEELD_REQUIRED, KEELD_PREFERRED, KEELD_PREFERRED, KEELD_AVOIDED },
		{ KEELD_PREFERRED, KEELD_PREFERRED, KEELD_PREFERRED, KEELD_PREFERRED },
		{ KEELD_FORBIDDEN, KEELD_PREFERRED, KEELD_AVOIDED, KEELD_PREFERRED },
	};
	unsigned int s, i;

	for (s = 0; s < KEELD_MAX_SOURCES; s++) {
		for (i = 0; i < 4; i++)
			q->prefs[s][i] = (struct keeld_pref){
				names[bench_rnd(&rng, NNAMES)], kinds[s][i], bench_rnd(&rng, 100) };
		q->src[s] = (struct keeld_pref_source){
			(enum keeld_source)s, q->prefs[s], 4 };
	}
	memset(&q->r, 0, sizeof(q->r));
	q->r.res.vcpus = 1 + bench_rnd(&rng, 4);
	q->r.res.mem_bytes = (uint64_t)(1 + bench_rnd(&rng, 8)) << 30;
	q->r.sources = q->src;
	q->r.nsources = KEELD_MAX_SOURCES;
	q->r.policy = (enum keeld_policy)bench_rnd(&rng, KEELD_NPOLICIES);
	q->r.max_candidates = MAX_CAND;
}

static void report(const char *what, uint64_t *lat, size_t n)
{
	qsort(lat, n, sizeof(*lat), bench_cmp_u64);
	printf("  %-26s p50 %8.1f us   p99 %8.1f us   max %8.1f us\n", what,
	       lat[n / 2] / 1e3, lat[n * 99 / 100] / 1e3, lat[n - 1] / 1e3);
}

static int fill(struct store *s, size_t nhosts)
{
	char feats[HOST_FEATS * 24];
	struct store_host h;
	size_t i, j, k, off;

	for (i = 0; i < nhosts; i++) {
		memset(&h, 0, sizeof(h));
		h.id = (uint32_t)i + 1;
		snprintf(h.res[0].dim, sizeof(h.res[0].dim), "vcpus");
		h.res[0].amount = 64 + bench_rnd(&rng, 64);
		snprintf(h.res[1].dim, sizeof(h.res[1].dim), "memory");
		h.res[1].amount = (256ull + bench_rnd(&rng, 256)) << 30;
		h.nres = 2;
		/* 40 distinct names: a random start and stride through 200. */
		k = bench_rnd(&rng, NNAMES);
		for (off = 0, j = 0; j < HOST_FEATS; j++)
			off += (size_t)snprintf(feats + off, sizeof(feats) - off, "%s%s",
						j ? " " : "",
						names[(k + j * 5 + bench_rnd(&rng, 5)) % NNAMES]);
		h.features = feats;
		if (store_host_add(s, &h)) {
			fprintf(stderr, "bench-keeld: host %zu: %s\n", i + 1, store_error(s));
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	size_t nhosts = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
	size_t nreq = argc > 3 ? strtoul(argv[3], NULL, 10) : 10000;
	uint64_t *dec, *all, *mem, t0, t_store, t_mem, t_dec;
	struct cloud c = { 0 };
	struct store_alloc out;
	struct keeld_result res;
	struct keeld_unified *u;
	struct keeld_trace *trace;
	struct keeld_err err;
	struct keeld_pool *p;
	uint64_t need[KEELD_NDIMS], gen;
	struct cloud_request cr;
	uint32_t *cand, host;
	size_t i, ncand, placed = 0, mplaced = 0;
	char msg[512];
	struct req *q;

	if (argc < 2 || !nhosts || !nreq || nhosts > KEELD_MAX_HOSTS) {
		fprintf(stderr, "usage: bench-keeld DB-URL [HOSTS [REQUESTS]]\n");
		return 2;
	}
	for (i = 0; i < NNAMES; i++)
		snprintf(names[i], sizeof(names[i]), "%s:feature%zu",
			 (const char *[]){ "cpu", "mem", "acc", "nic", "keel" }[i % 5], i);
	c.store = store_open(argv[1], msg, sizeof(msg));
	if (!c.store) {
		fprintf(stderr, "bench-keeld: %s\n", msg);
		return 1;
	}
	dec = calloc(nreq, sizeof(*dec));
	all = calloc(nreq, sizeof(*all));
	mem = calloc(nreq, sizeof(*mem));
	cand = calloc(nhosts + 1, sizeof(*cand));
	q = calloc(1, sizeof(*q));
	u = calloc(1, sizeof(*u));
	trace = calloc(1, sizeof(*trace));
	if (!dec || !all || !mem || !cand || !q || !u || !trace)
		return 1;

	rng = 0x6b65656c64ull;
	t0 = bench_now_ns();
	if (fill(c.store, nhosts))
		return 1;
	printf("keeld on %s: %zu hosts x %d features (%d names), %zu requests, "
	       "candidate set %d\n", store_backend(c.store), nhosts, HOST_FEATS,
	       NNAMES, nreq, MAX_CAND);
	printf("  storing the hosts          %.2f s\n", (bench_now_ns() - t0) / 1e9);
	t0 = bench_now_ns();
	if (cloud_load(&c, &err)) {
		fprintf(stderr, "bench-keeld: load: %s\n", err.msg);
		return 1;
	}
	printf("  loading them at start      %.2f s\n", (bench_now_ns() - t0) / 1e9);

	/* keeld: the decision alone, then decision plus transaction. */
	t_store = t_dec = 0;
	for (i = 0; i < nreq; i++) {
		make_request(q);
		t0 = bench_now_ns();
		if (!keeld_unify(c.pool, q->r.sources, q->r.nsources, u, NULL) &&
		    !keeld_need(c.pool, &q->r.res, need, NULL) &&
		    !keeld_prune(c.pool, need, u, MAX_CAND, cand, &ncand, NULL, NULL))
			keeld_place(c.pool, need, cand, ncand, q->r.policy, &host, NULL);
		dec[i] = bench_now_ns() - t0;
		t_dec += dec[i];
		memset(&cr, 0, sizeof(cr));
		cr.req = q->r;
		cr.service = "bench";
		t0 = bench_now_ns();
		if (!cloud_alloc(&c, &cr, &out, &gen, u, trace, &err))
			placed++;
		all[i] = bench_now_ns() - t0;
		t_store += all[i];
	}

	/* The baseline: the same requests on the in-memory engine alone. */
	/* The same hosts (the same random sequence), nothing allocated. */
	cloud_fini(&c);
	{
		struct keeld_host_spec spec;
		const char *fl[HOST_FEATS];
		size_t j, k;

		p = keeld_pool_new();
		rng = 0x6b65656c64ull;
		for (i = 0; i < nhosts; i++) {
			memset(&spec, 0, sizeof(spec));
			spec.id = (uint32_t)i + 1;
			spec.res.vcpus = 64 + bench_rnd(&rng, 64);
			spec.res.mem_bytes = (256ull + bench_rnd(&rng, 256)) << 30;
			k = bench_rnd(&rng, NNAMES);
			for (j = 0; j < HOST_FEATS; j++)
				fl[j] = names[(k + j * 5 + bench_rnd(&rng, 5)) % NNAMES];
			spec.features = fl;
			spec.nfeatures = HOST_FEATS;
			if (keeld_host_add(p, &spec, &err)) {
				fprintf(stderr, "bench-keeld: %s\n", err.msg);
				return 1;
			}
		}
	}
	t_mem = 0;
	for (i = 0; i < nreq; i++) {
		make_request(q);
		t0 = bench_now_ns();
		if (!keeld_alloc(p, &q->r, &res, NULL, NULL, &err))
			mplaced++;
		mem[i] = bench_now_ns() - t0;
		t_mem += mem[i];
	}
	keeld_pool_free(p);

	printf("  placed %zu of %zu (in memory: %zu)\n", placed, nreq, mplaced);
	report("decision (keeld's cache)", dec, nreq);
	printf("  decisions: %.0f/s on %zu hosts\n",
	       (double)nreq * 1e9 / (double)(t_dec ? t_dec : 1), nhosts);
	report("allocation (+ commit)", all, nreq);
	report("in-memory engine", mem, nreq);
	printf("  sustained: %.0f allocations/s with %s, %.0f/s in memory "
	       "(ratio %.1fx)\n", (double)nreq * 1e9 / (double)t_store,
	       store_backend(c.store), (double)nreq * 1e9 / (double)t_mem,
	       (double)t_store / (double)t_mem);
	printf("  p99 ratio allocation/in-memory: %.1fx\n",
	       (double)all[nreq * 99 / 100] / (double)(mem[nreq * 99 / 100] ?
						      mem[nreq * 99 / 100] : 1));
	store_close(c.store);
	free(dec);
	free(all);
	free(mem);
	free(cand);
	free(q);
	free(u);
	free(trace);
	return placed == mplaced ? 0 : 1;
}
