/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the allocation engine's unit tests: hosts and requests from
 * literals.
 */
#ifndef KEEL_ALLOC_HELPERS_H
#define KEEL_ALLOC_HELPERS_H

#include "../keeld/alloc/alloc.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define GIB (1ull << 30)

/* A host with @vcpus, @mem GiB and the features that follow. */
#define HOST(p, id, vcpus, mem, ...)					\
	add_host(p, id, vcpus, mem,					\
		 (const char *const[]){ __VA_ARGS__ },			\
		 N(((const char *const[]){ __VA_ARGS__ })))

static inline int add_host(struct keeld_pool *p, uint32_t id, uint64_t vcpus,
			   uint64_t mem, const char *const *feat, size_t n)
{
	struct keeld_host_spec s = {
		.id = id,
		.res = { .vcpus = vcpus, .mem_bytes = mem * GIB },
		.features = feat,
		.nfeatures = n,
	};

	/* HOST(p, id, v, m, NULL): no features. */
	if (n == 1 && !feat[0])
		s.nfeatures = 0;
	return keeld_host_add(p, &s, NULL);
}

/* A request for @vcpus and @mem GiB with request-source preferences. */
static inline struct keeld_request request(uint64_t vcpus, uint64_t mem,
					   const struct keeld_pref_source *src,
					   size_t nsrc, enum keeld_policy pol,
					   size_t max_candidates)
{
	struct keeld_request r = {
		.res = { .vcpus = vcpus, .mem_bytes = mem * GIB },
		.sources = src,
		.nsources = nsrc,
		.policy = pol,
		.max_candidates = max_candidates,
	};

	return r;
}

#endif /* KEEL_ALLOC_HELPERS_H */
