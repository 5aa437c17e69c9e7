/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keeld's resource database: the store (the truth) and the engine's pool
 * (a cache of it that decisions run on). Changes go to the store in one
 * transaction each, then to the cache; a decision made on a stale cache
 * is refused by the store, the host is reloaded and the decision retried.
 */
#ifndef KEELD_CLOUD_H
#define KEELD_CLOUD_H

#include "alloc/alloc.h"
#include "store.h"

struct cloud {
	struct store *store;
	struct keeld_pool *pool;
	size_t max_candidates;		/* default for requests that give none */
	uint64_t allocs;		/* allocations committed */
	uint64_t conflicts;		/* commits refused as stale, retried */
};

struct cloud_request {
	struct keeld_request req;	/* resources, sources, policy */
	const char *service;
	const struct store_res *res;	/* the resources as named dimensions */
	unsigned int nres;
};

/* Build the cache from the store (also to start over after trouble). */
int cloud_load(struct cloud *c, struct keeld_err *err);
void cloud_fini(struct cloud *c);

/*
 * Catch up with changes other keelds made to the database: reload the
 * hosts whose generation moved, everything when hosts came or went.
 */
int cloud_refresh(struct cloud *c, struct keeld_err *err);

int cloud_host_add(struct cloud *c, const struct store_host *h,
		   struct keeld_err *err);
/* New features and capacities for a known host (the local one). */
int cloud_host_update(struct cloud *c, const struct store_host *h,
		      struct keeld_err *err);
int cloud_host_del(struct cloud *c, uint32_t id, struct keeld_err *err);
/*
 * Decide and commit. @u and @trace get the unified list and pruning
 * steps of the last decision (for --explain), also on failure.
 */
int cloud_alloc(struct cloud *c, const struct cloud_request *r,
		struct store_alloc *out, uint64_t *generation,
		struct keeld_unified *u, struct keeld_trace *trace,
		struct keeld_err *err);
int cloud_free(struct cloud *c, uint64_t id, uint32_t *host_id,
	       struct keeld_err *err);

#endif /* KEELD_CLOUD_H */
