/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keeld's allocation engine: the resource model of a heterogeneous cloud
 * (hosts, capacities, usage, features), the ordered unified feature list
 * built from a request's preference sources, iterative pruning of the
 * available pool and placement by policy with capacity accounting.
 * Pure in-memory C: no storage, no transport, no locking (the caller
 * serialises calls on one pool).
 *
 * Conventions: functions returning int give 0 on success and a negative
 * errno on failure, and then fill the optional struct keeld_err with the
 * same code and a human reason. A failed call changes nothing.
 *   -EINVAL     malformed input (names, zero sizes, unknown policy or
 *               source, contradictory feature preferences)
 *   -E2BIG      a limit below was exceeded
 *   -EEXIST     duplicate host id
 *   -EOVERFLOW  a capacity or a capacity sum does not fit 64 bits
 *   -ENOSPC     no host has room for the requested resources
 *   -ESRCH      a hard constraint (required/forbidden feature) left no host
 *   -ENOENT     unknown host or allocation id
 *   -ESTALE     commit against a host whose generation moved on
 *   -ENOMEM     out of memory
 */
#ifndef KEELD_ALLOC_H
#define KEELD_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- limits ---- */

#define KEELD_FEAT_NAME_MAX	63	/* "ns:name", without the NUL */
#define KEELD_MAX_FEATURES	1024	/* distinct feature names per pool */
#define KEELD_MAX_HOST_FEATURES	256	/* features of one host */
#define KEELD_MAX_HPSIZES	4	/* distinct huge page sizes per pool */
#define KEELD_MAX_ACC_TYPES	8	/* distinct accelerator types per pool */
#define KEELD_MAX_SOURCES	3	/* request, template, tenant policy */
#define KEELD_MAX_SOURCE_PREFS	64	/* entries of one preference source */
#define KEELD_MAX_UNIFIED	(KEELD_MAX_SOURCES * KEELD_MAX_SOURCE_PREFS)
#define KEELD_MAX_WEIGHT	1000000
#define KEELD_MAX_HOSTS		(1u << 20)
#define KEELD_ERR_MAX		256

#define KEELD_FEAT_WORDS	(KEELD_MAX_FEATURES / 64)

/* Capacity dimensions: every resource is one slot of a fixed vector. */
enum {
	KEELD_DIM_VCPUS,
	KEELD_DIM_MEM,			/* bytes */
	KEELD_DIM_MIRROR,		/* mirrored memory, bytes */
	KEELD_DIM_HP0,			/* huge pages of the pool's n-th size */
	KEELD_DIM_ACC0 = KEELD_DIM_HP0 + KEELD_MAX_HPSIZES,
	KEELD_NDIMS = KEELD_DIM_ACC0 + KEELD_MAX_ACC_TYPES,
};

struct keeld_err {
	int code;			/* negative errno, 0 on success */
	char msg[KEELD_ERR_MAX];	/* the human reason */
};

/* ---- the model (model.c, strtab.c) ---- */

struct keeld_hpages {
	uint64_t size;			/* bytes, a power of two >= 4096 */
	uint64_t count;			/* pages, > 0 */
};

struct keeld_accs {
	const char *type;		/* "gpu", "fpga", ... */
	uint64_t count;			/* > 0 */
};

/* Resources a host offers or a request asks for. */
struct keeld_resources {
	uint64_t vcpus;			/* > 0 */
	uint64_t mem_bytes;		/* > 0 */
	uint64_t mirror_bytes;		/* may be 0 */
	const struct keeld_hpages *hpages;
	size_t nhpages;
	const struct keeld_accs *accs;
	size_t naccs;
};

struct keeld_host_spec {
	uint32_t id;
	struct keeld_resources res;
	const char *const *features;	/* "cpu:avx512f", "nic:sriov", ... */
	size_t nfeatures;
};

struct keeld_host {
	uint32_t id;
	uint64_t generation;		/* bumped by every commit and free */
	uint32_t nallocs;
	uint64_t cap[KEELD_NDIMS];
	uint64_t used[KEELD_NDIMS];
	uint64_t feat[KEELD_FEAT_WORDS];	/* bit n: feature id n */
};

struct keeld_pool;

struct keeld_pool *keeld_pool_new(void);
void keeld_pool_free(struct keeld_pool *p);

/* Add a host with nothing in use; generation starts at 1. */
int keeld_host_add(struct keeld_pool *p, const struct keeld_host_spec *spec,
		   struct keeld_err *err);
size_t keeld_pool_size(const struct keeld_pool *p);
const struct keeld_host *keeld_host_at(const struct keeld_pool *p, size_t i);
const struct keeld_host *keeld_host_get(const struct keeld_pool *p,
					uint32_t id);
/* Feature id of @name, or -1 if no host of the pool has it. */
int keeld_feature_id(const struct keeld_pool *p, const char *name);
const char *keeld_feature_name(const struct keeld_pool *p, int id);
bool keeld_host_has(const struct keeld_host *h, int feature_id);
/* Sum of every host's capacity in dimension @dim. */
uint64_t keeld_pool_total(const struct keeld_pool *p, unsigned int dim);

/* "ns:name" with lowercase letters, digits and "_.+-"; see cloud.rst. */
bool keeld_feature_name_ok(const char *name);

/*
 * Translate a request's resources into a capacity vector of this pool.
 * -ENOSPC when it names a huge page size or accelerator type no host has.
 */
int keeld_need(const struct keeld_pool *p, const struct keeld_resources *res,
	       uint64_t need[KEELD_NDIMS], struct keeld_err *err);
/* Whether @h has room for @need on top of what it uses. */
bool keeld_host_fits(const struct keeld_host *h,
		     const uint64_t need[KEELD_NDIMS]);

/* ---- the ordered unified feature list (unify.c) ---- */

enum keeld_kind {
	KEELD_REQUIRED,
	KEELD_FORBIDDEN,
	KEELD_PREFERRED,
	KEELD_AVOIDED,
};

/* Sources by priority: the request beats its template beats the policy. */
enum keeld_source {
	KEELD_SRC_REQUEST,
	KEELD_SRC_TEMPLATE,
	KEELD_SRC_POLICY,
};

struct keeld_pref {
	const char *feature;
	enum keeld_kind kind;
	uint32_t weight;		/* preferences only; 0..KEELD_MAX_WEIGHT */
};

struct keeld_pref_source {
	enum keeld_source source;
	const struct keeld_pref *prefs;
	size_t n;
};

struct keeld_uentry {
	char feature[KEELD_FEAT_NAME_MAX + 1];
	int fid;			/* pool feature id, -1: no host has it */
	enum keeld_kind kind;
	uint32_t weight;
	enum keeld_source source;	/* the source whose statement holds */
	uint32_t pos;			/* position in that source */
	uint8_t sources;		/* bit per source naming the feature */
	uint8_t overruled;		/* bit per source whose statement lost */
};

struct keeld_unified {
	struct keeld_uentry e[KEELD_MAX_UNIFIED];
	size_t n;
	size_t nhard;			/* e[0..nhard) are hard constraints */
};

int keeld_unify(const struct keeld_pool *p,
		const struct keeld_pref_source *src, size_t nsrc,
		struct keeld_unified *out, struct keeld_err *err);

const char *keeld_kind_name(enum keeld_kind k);
const char *keeld_source_name(enum keeld_source s);

/* ---- pruning (prune.c) ---- */

enum keeld_step_result {
	KEELD_STEP_APPLIED,		/* the pool is what the entry kept */
	KEELD_STEP_SKIPPED,		/* a preference that would empty it */
	KEELD_STEP_NOT_REACHED,		/* the pool was already small enough */
	KEELD_STEP_EMPTIED,		/* a hard constraint left no host */
};

struct keeld_step {
	size_t entry;			/* index in the unified list */
	size_t before, after;
	enum keeld_step_result result;
};

struct keeld_trace {
	size_t hosts;			/* the whole pool */
	size_t fit;			/* hosts with room for the request */
	struct keeld_step step[KEELD_MAX_UNIFIED];
	size_t nsteps;
	size_t candidates;		/* the candidate set placement saw */
};

/*
 * Filter the pool to hosts with room for @need, then prune by @u: every
 * hard constraint unconditionally, then the preferences in order until
 * the set holds at most @max_candidates hosts (0: no bound). Fills
 * @cand (room for keeld_pool_size() ids: indexes into the pool) and
 * @ncand. @trace may be NULL.
 */
int keeld_prune(const struct keeld_pool *p, const uint64_t need[KEELD_NDIMS],
		const struct keeld_unified *u, size_t max_candidates,
		uint32_t *cand, size_t *ncand, struct keeld_trace *trace,
		struct keeld_err *err);

/* ---- placement and accounting (place.c, account.c) ---- */

enum keeld_policy {
	KEELD_PACK,			/* most used host that fits */
	KEELD_SPREAD,			/* least used host */
	KEELD_BEST_FIT,			/* smallest weighted leftover */
	KEELD_NPOLICIES,
};

const char *keeld_policy_name(enum keeld_policy pol);
/* -EINVAL for names other than "pack", "spread", "best-fit". */
int keeld_policy_parse(const char *name, enum keeld_policy *pol,
		       struct keeld_err *err);
/* Per-dimension weights of the scores (default 1 for every dimension). */
int keeld_pool_set_weight(struct keeld_pool *p, unsigned int dim,
			  uint32_t weight, struct keeld_err *err);

/* Choose among @cand (pool indexes) by @pol; ties go to the lowest id. */
int keeld_place(const struct keeld_pool *p, const uint64_t need[KEELD_NDIMS],
		const uint32_t *cand, size_t ncand, enum keeld_policy pol,
		uint32_t *host_id, struct keeld_err *err);

/*
 * Charge @need to host @host_id if its generation is still @generation
 * (-ESTALE otherwise) and it still has room (-ENOSPC); bumps the
 * generation and returns a new allocation id (never 0).
 */
int keeld_commit(struct keeld_pool *p, uint32_t host_id, uint64_t generation,
		 const uint64_t need[KEELD_NDIMS], uint64_t *alloc_id,
		 struct keeld_err *err);
/* Release exactly what @alloc_id charged; bumps the host's generation. */
int keeld_free(struct keeld_pool *p, uint64_t alloc_id,
	       struct keeld_err *err);
size_t keeld_alloc_count(const struct keeld_pool *p);

/* ---- the whole decision (decide.c) ---- */

struct keeld_request {
	struct keeld_resources res;
	const struct keeld_pref_source *sources;
	size_t nsources;
	enum keeld_policy policy;
	size_t max_candidates;		/* stop pruning at this size; 0: none */
};

struct keeld_result {
	uint64_t alloc_id;
	uint32_t host_id;
	uint64_t generation;		/* the host's, after the commit */
};

/*
 * Unify, filter, prune, place and commit in one call: either the request
 * is charged to one host or nothing changes. @u and @trace, when not
 * NULL, receive the unified list and the pruning steps (also on failure,
 * as far as the decision got).
 */
int keeld_alloc(struct keeld_pool *p, const struct keeld_request *req,
		struct keeld_result *res, struct keeld_unified *u,
		struct keeld_trace *trace, struct keeld_err *err);

/* ---- keeping a pool in step with a store (sync.c) ---- */

#define KEELD_DIM_KEY_MAX	(4 + KEELD_FEAT_NAME_MAX + 1)

/*
 * The stable name of dimension @d: "vcpus", "memory", "mirror",
 * "hp:<page bytes>" or "acc:<type>". -ENOENT for a huge page or
 * accelerator slot the pool does not use, -E2BIG if @len is too small.
 */
int keeld_dim_key(const struct keeld_pool *p, unsigned int d, char *buf,
		  size_t len);
/* The dimension named @key, or -ENOENT. */
int keeld_dim_find(const struct keeld_pool *p, const char *key);
/*
 * Overwrite host @id's usage, generation and allocation count with what
 * the store holds (-EOVERFLOW if a usage exceeds the capacity).
 */
int keeld_host_sync(struct keeld_pool *p, uint32_t id,
		    const uint64_t used[KEELD_NDIMS], uint64_t generation,
		    uint32_t nallocs, struct keeld_err *err);

/* ---- explanation (explain.c) ---- */

/* The unified list, then the pool size after every step. */
void keeld_explain(FILE *f, const struct keeld_unified *u,
		   const struct keeld_trace *trace);

#endif /* KEELD_ALLOC_H */
