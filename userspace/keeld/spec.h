/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Translating resources between their stored and wire form (a list of
 * named dimensions, store.h) and the engine's (struct keeld_resources,
 * capacity vectors), and host rows into engine host specs.
 */
#ifndef KEELD_SPEC_H
#define KEELD_SPEC_H

#include "alloc/alloc.h"
#include "store.h"

/* Room for the arrays a struct keeld_resources points into. */
struct res_buf {
	struct keeld_resources r;
	struct keeld_hpages hp[KEELD_MAX_HPSIZES];
	struct keeld_accs acc[KEELD_MAX_ACC_TYPES];
};

struct spec_buf {
	struct keeld_host_spec spec;
	struct res_buf rb;
	const char *feat[KEELD_MAX_HOST_FEATURES];
	char *names;			/* the features, split in place */
};

/*
 * Named dimensions -> engine resources. Checks the names ("vcpus",
 * "memory", "mirror", "hp:<bytes>", "acc:<type>"), duplicates and that
 * amounts fit the store; vcpus and memory are required. @what names the
 * side in messages ("host 3", "request").
 */
int spec_resources(const struct store_res *res, unsigned int nres,
		   struct res_buf *rb, const char *what, struct keeld_err *err);
/* A stored host -> an engine spec (free with spec_release()). */
int spec_host(const struct store_host *h, struct spec_buf *sb,
	      struct keeld_err *err);
void spec_release(struct spec_buf *sb);
/* A need vector of @p -> named dimensions (only the non-zero ones). */
int spec_need_res(const struct keeld_pool *p, const uint64_t need[KEELD_NDIMS],
		  struct store_res *res, unsigned int *nres);
/* A stored host's usage -> a usage vector of @p. */
int spec_used(const struct keeld_pool *p, const struct store_host *h,
	      uint64_t used[KEELD_NDIMS], struct keeld_err *err);

#endif /* KEELD_SPEC_H */
