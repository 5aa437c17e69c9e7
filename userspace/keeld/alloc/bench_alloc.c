// SPDX-License-Identifier: GPL-2.0
/*
 * Micro-benchmark of keeld's allocation decision: 10,000 hosts with 40
 * features each (drawn from 200 names), 10,000 requests with hard
 * constraints and preferences from three sources. Prints p50/p99/max
 * decision latency of the engine (unify, capacity filter, bitset pruning,
 * placement, commit) and of a naive baseline measured in the same run
 * (the same steps, but every feature test compares the host's feature
 * strings), with the ratios, and checks both chose the same hosts.
 *
 *   bench-alloc [HOSTS [REQUESTS]]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alloc.h"
#include "../bench/bench_util.h"

#define NNAMES		200
#define HOST_FEATS	40
#define MAX_CAND	16

static uint64_t rng = 0x6b65656c64ull;

static char names[NNAMES][24];
static const char *(*host_feats)[HOST_FEATS];	/* the naive copy */

struct req {
	struct keeld_pref prefs[KEELD_MAX_SOURCES][4];
	struct keeld_pref_source src[KEELD_MAX_SOURCES];
	struct keeld_request r;
};

static void make_request(struct req *q)
{
	static const enum keeld_kind kinds[KEELD_MAX_SOURCES][4] = {
		{ KEELD_REQUIRED, KEELD_PREFERRED, KEELD_PREFERRED, KEELD_AVOIDED },
		{ KEELD_REQUIRED, KEELD_PREFERRED, KEELD_PREFERRED, KEELD_PREFERRED },
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
	q->r.res.mem_bytes = (1 + bench_rnd(&rng, 8)) << 30;
	q->r.sources = q->src;
	q->r.nsources = KEELD_MAX_SOURCES;
	q->r.policy = (enum keeld_policy)bench_rnd(&rng, KEELD_NPOLICIES);
	q->r.max_candidates = MAX_CAND;
}

static bool naive_has(size_t host, const char *feature)
{
	size_t i;

	for (i = 0; i < HOST_FEATS; i++)
		if (!strcmp(host_feats[host][i], feature))
			return true;
	return false;
}

/* The same decision without interning: strings compared per host. */
static int naive_decide(struct keeld_pool *p, const struct keeld_request *r,
			uint32_t *cand, uint32_t *host_id)
{
	struct keeld_unified u;
	uint64_t need[KEELD_NDIMS];
	size_t i, j, n = 0, m;
	bool want;

	if (keeld_unify(NULL, r->sources, r->nsources, &u, NULL) ||
	    keeld_need(p, &r->res, need, NULL))
		return -1;
	for (i = 0; i < keeld_pool_size(p); i++)
		if (keeld_host_fits(keeld_host_at(p, i), need))
			cand[n++] = (uint32_t)i;
	for (i = 0; i < u.n && n; i++) {
		if (i >= u.nhard && n <= r->max_candidates)
			break;
		want = u.e[i].kind == KEELD_REQUIRED || u.e[i].kind == KEELD_PREFERRED;
		for (m = 0, j = 0; j < n; j++)
			if (naive_has(cand[j], u.e[i].feature) == want)
				cand[m++] = cand[j];
		if (m || i < u.nhard)
			n = m;
	}
	if (!n)
		return -1;
	return keeld_place(p, need, cand, n, r->policy, host_id, NULL);
}

static void report(const char *what, uint64_t *lat, size_t n)
{
	qsort(lat, n, sizeof(*lat), bench_cmp_u64);
	printf("%-8s p50 %8.1f us   p99 %8.1f us   max %8.1f us\n", what,
	       lat[n / 2] / 1e3, lat[n * 99 / 100] / 1e3, lat[n - 1] / 1e3);
}

int main(int argc, char **argv)
{
	size_t nhosts = argc > 1 ? strtoul(argv[1], NULL, 10) : 10000;
	size_t nreq = argc > 2 ? strtoul(argv[2], NULL, 10) : 10000;
	uint64_t *fast, *slow, t0, p99f, p99s;
	size_t i, j, k, placed = 0, same = 0;
	struct keeld_host_spec spec;
	struct keeld_result res;
	struct keeld_err err;
	struct keeld_pool *p;
	uint32_t *cand, host;
	struct req *q;
	int ret, ret2;

	if (!nhosts || !nreq || nhosts > KEELD_MAX_HOSTS) {
		fprintf(stderr, "usage: bench-alloc [HOSTS [REQUESTS]]\n");
		return 2;
	}
	for (i = 0; i < NNAMES; i++)
		snprintf(names[i], sizeof(names[i]), "%s:feature%zu",
			 (const char *[]){ "cpu", "mem", "acc", "nic", "keel" }[i % 5], i);
	p = keeld_pool_new();
	host_feats = calloc(nhosts, sizeof(*host_feats));
	cand = calloc(nhosts, sizeof(*cand));
	fast = calloc(nreq, sizeof(*fast));
	slow = calloc(nreq, sizeof(*slow));
	q = calloc(1, sizeof(*q));
	if (!p || !host_feats || !cand || !fast || !slow || !q)
		return 1;
	for (i = 0; i < nhosts; i++) {
		/* 40 distinct names: a random start and stride through 200. */
		k = bench_rnd(&rng, NNAMES);
		for (j = 0; j < HOST_FEATS; j++)
			host_feats[i][j] = names[(k + j * 5 + bench_rnd(&rng, 5)) % NNAMES];
		memset(&spec, 0, sizeof(spec));
		spec.id = (uint32_t)i + 1;
		spec.res.vcpus = 64 + bench_rnd(&rng, 64);
		spec.res.mem_bytes = (256ull + bench_rnd(&rng, 256)) << 30;
		spec.features = host_feats[i];
		spec.nfeatures = HOST_FEATS;
		if (keeld_host_add(p, &spec, &err)) {
			fprintf(stderr, "host %zu: %s\n", i, err.msg);
			return 1;
		}
	}
	printf("%zu hosts x %d features (%d names), %zu decisions, candidate set %d\n",
	       nhosts, HOST_FEATS, NNAMES, nreq, MAX_CAND);
	for (i = 0; i < nreq; i++) {
		make_request(q);
		t0 = bench_now_ns();
		ret2 = naive_decide(p, &q->r, cand, &host);
		slow[i] = bench_now_ns() - t0;
		t0 = bench_now_ns();
		ret = keeld_alloc(p, &q->r, &res, NULL, NULL, &err);
		fast[i] = bench_now_ns() - t0;
		if (!ret) {
			placed++;
			same += !ret2 && host == res.host_id;
			/* Keep one in two: the pool fills up as it runs. */
			if (i % 2)
				keeld_free(p, res.alloc_id, NULL);
		} else {
			same += ret2 != 0;
		}
	}
	printf("placed %zu, refused %zu (contradictions or no host), same choice %zu/%zu\n",
	       placed, nreq - placed, same, nreq);
	report("engine", fast, nreq);
	report("naive", slow, nreq);
	p99f = fast[nreq * 99 / 100];
	p99s = slow[nreq * 99 / 100];
	printf("ratio naive/engine: p50 %.1fx, p99 %.1fx\n",
	       (double)slow[nreq / 2] / (double)(fast[nreq / 2] ? fast[nreq / 2] : 1),
	       (double)p99s / (double)(p99f ? p99f : 1));
	keeld_pool_free(p);
	free(host_feats);
	free(cand);
	free(fast);
	free(slow);
	free(q);
	return same == nreq ? 0 : 1;
}
