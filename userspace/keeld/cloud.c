// SPDX-License-Identifier: GPL-2.0
/*
 * The resource database: the store and the engine's pool kept in step
 * with it. Adding, removing, allocating and freeing, each committed to
 * the store as one transaction before the cache follows.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cloud.h"
#include "spec.h"
#include "log.h"

#define CLOUD_RETRIES	32

static int fail(struct keeld_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct keeld_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

static int store_fail(struct cloud *c, struct keeld_err *err, int code)
{
	/* The store's own refusals are messages for the user as they are. */
	if (code == -ENOENT || code == -EBUSY || code == -EEXIST)
		return fail(err, code, "%s", store_error(c->store));
	return fail(err, code, "database: %s", store_error(c->store));
}

/* Put a stored host into @p: add it if new, else take its usage. */
static int sync_host(struct keeld_pool *p, const struct store_host *h,
		     struct keeld_err *err)
{
	uint64_t used[KEELD_NDIMS];
	struct spec_buf sb;
	int ret;

	if (!keeld_host_get(p, h->id)) {
		ret = spec_host(h, &sb, err);
		if (ret)
			return ret;
		ret = keeld_host_add(p, &sb.spec, err);
		spec_release(&sb);
		if (ret)
			return ret;
	}
	ret = spec_used(p, h, used, err);
	if (!ret)
		ret = keeld_host_sync(p, h->id, used, h->generation, h->nallocs,
				      err);
	return ret;
}

struct load_ctx {
	struct keeld_pool *pool;
	struct keeld_err *err;
};

static int load_cb(const struct store_host *h, void *data)
{
	struct load_ctx *l = data;

	return sync_host(l->pool, h, l->err);
}

int cloud_load(struct cloud *c, struct keeld_err *err)
{
	struct load_ctx l = { .err = err };
	int ret;

	l.pool = keeld_pool_new();
	if (!l.pool)
		return fail(err, -ENOMEM, "out of memory");
	ret = store_hosts(c->store, -1, load_cb, &l);
	if (ret) {
		if (!err || !err->code)
			store_fail(c, err, ret);
		keeld_pool_free(l.pool);
		return ret;
	}
	keeld_pool_free(c->pool);
	c->pool = l.pool;
	return 0;
}

void cloud_fini(struct cloud *c)
{
	keeld_pool_free(c->pool);
	c->pool = NULL;
}

struct stale_ctx {
	struct cloud *c;
	uint32_t *ids;			/* hosts whose generation moved */
	size_t n, cap;
	size_t seen;			/* hosts in the store and the cache */
	bool unknown;			/* a host the cache lacks */
};

static int stale_cb(uint32_t id, uint64_t generation, void *data)
{
	struct stale_ctx *s = data;
	const struct keeld_host *h = keeld_host_get(s->c->pool, id);
	uint32_t *ids;

	if (!h) {
		s->unknown = true;
		return 0;
	}
	s->seen++;
	if (h->generation == generation)
		return 0;
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		ids = realloc(s->ids, s->cap * sizeof(*ids));
		if (!ids)
			return -ENOMEM;
		s->ids = ids;
	}
	s->ids[s->n++] = id;
	return 0;
}

static int reload_host(struct cloud *c, uint32_t id, struct keeld_err *err);

/*
 * Catch up with other keelds: reload the hosts whose generation moved,
 * or everything when hosts came or went. Nothing to do when the store
 * knows that nobody else wrote.
 */
int cloud_refresh(struct cloud *c, struct keeld_err *err)
{
	struct stale_ctx s = { .c = c };
	size_t i;
	int ret;

	if (!store_changed(c->store))
		return 0;
	ret = store_generations(c->store, stale_cb, &s);
	if (ret || s.unknown || s.seen != keeld_pool_size(c->pool)) {
		free(s.ids);
		return cloud_load(c, err);
	}
	for (i = 0; i < s.n && !ret; i++)
		ret = reload_host(c, s.ids[i], err);
	free(s.ids);
	return ret;
}

static int reload_host(struct cloud *c, uint32_t id, struct keeld_err *err)
{
	struct load_ctx l = { .pool = c->pool, .err = err };
	int ret = store_hosts(c->store, id, load_cb, &l);

	/* Gone (another keeld removed it) or inconsistent: start over. */
	return ret ? cloud_load(c, err) : 0;
}

int cloud_host_add(struct cloud *c, const struct store_host *h,
		   struct keeld_err *err)
{
	struct spec_buf sb;
	int ret;

	if (keeld_host_get(c->pool, h->id))
		return fail(err, -EEXIST, "host %u exists", h->id);
	/* The engine validates everything; the store then records it. */
	ret = spec_host(h, &sb, err);
	if (ret)
		return ret;
	ret = keeld_host_add(c->pool, &sb.spec, err);
	spec_release(&sb);
	if (ret)
		return ret;
	ret = store_host_add(c->store, h);
	if (ret) {
		store_fail(c, err, ret);
		cloud_load(c, NULL);	/* drop what the store refused */
		return ret;
	}
	return 0;
}

int cloud_host_update(struct cloud *c, const struct store_host *h,
		      struct keeld_err *err)
{
	struct keeld_pool *probe;
	struct spec_buf sb;
	int ret;

	/* The engine validates the new host on a pool of its own. */
	ret = spec_host(h, &sb, err);
	if (ret)
		return ret;
	probe = keeld_pool_new();
	ret = probe ? keeld_host_add(probe, &sb.spec, err) :
		      fail(err, -ENOMEM, "out of memory");
	keeld_pool_free(probe);
	spec_release(&sb);
	if (ret)
		return ret;
	ret = store_host_update(c->store, h);
	if (ret)
		return store_fail(c, err, ret);
	/* The engine cannot change a host in place: rebuild the cache. */
	return cloud_load(c, err);
}

int cloud_host_del(struct cloud *c, uint32_t id, struct keeld_err *err)
{
	int ret = store_host_del(c->store, id);
	struct keeld_err lerr;

	if (ret)
		return store_fail(c, err, ret);
	/* The engine cannot drop one host: rebuild the cache. */
	if (cloud_load(c, &lerr))
		keeld_log(LOG_ERR, "reloading after removing host %u: %s",
			id, lerr.msg);
	return 0;
}

int cloud_alloc(struct cloud *c, const struct cloud_request *r,
		struct store_alloc *out, uint64_t *generation,
		struct keeld_unified *u, struct keeld_trace *trace,
		struct keeld_err *err)
{
	const struct keeld_request *req = &r->req;
	struct store_res res[STORE_MAX_RES];
	uint64_t need[KEELD_NDIMS], used[KEELD_NDIMS];
	const struct keeld_host *h;
	bool refreshed = false;
	uint32_t *cand = NULL;
	unsigned int nres, d;
	uint32_t host_id;
	size_t ncand, max;
	int ret, tries;

	max = req->max_candidates ? req->max_candidates : c->max_candidates;
	for (tries = 0; tries < CLOUD_RETRIES; tries++) {
		u->n = u->nhard = 0;
		ret = keeld_unify(c->pool, req->sources, req->nsources, u, err);
		if (ret)
			return ret;
		ret = keeld_need(c->pool, &req->res, need, err);
		if (!ret) {
			free(cand);
			cand = malloc((keeld_pool_size(c->pool) + 1) * sizeof(*cand));
			if (!cand)
				return fail(err, -ENOMEM, "out of memory");
			ret = keeld_prune(c->pool, need, u, max, cand, &ncand,
					  trace, err);
		}
		if (!ret)
			ret = keeld_place(c->pool, need, cand, ncand, req->policy,
					  &host_id, err);
		if (ret == -ENOSPC || ret == -ESRCH) {
			/* Maybe only our view is full: look once more. */
			if (refreshed)
				break;
			refreshed = true;
			ret = cloud_refresh(c, err);
			if (ret)
				break;
			continue;
		}
		if (ret)
			break;
		h = keeld_host_get(c->pool, host_id);
		ret = spec_need_res(c->pool, need, res, &nres);
		if (ret) {
			fail(err, ret, "cannot name the request's resources");
			break;
		}
		ret = store_alloc(c->store, host_id, h->generation, r->service,
				  res, nres, out, generation);
		if (ret == -ESTALE) {
			/* Another keeld got there first: look again. */
			c->conflicts++;
			ret = reload_host(c, host_id, err);
			if (ret)
				break;
			ret = -ESTALE;
			continue;
		}
		if (ret) {
			store_fail(c, err, ret);
			break;
		}
		c->allocs++;
		for (d = 0; d < KEELD_NDIMS; d++)
			used[d] = h->used[d] + need[d];
		if (keeld_host_sync(c->pool, host_id, used, *generation,
				    h->nallocs + 1, NULL))
			reload_host(c, host_id, NULL);
		break;
	}
	free(cand);
	if (ret == -ESTALE)
		fail(err, -EAGAIN, "too many conflicts with other allocators; try again");
	return ret == -ESTALE ? -EAGAIN : ret;
}

int cloud_free(struct cloud *c, uint64_t id, uint32_t *host_id,
	       struct keeld_err *err)
{
	int ret = store_free(c->store, id, host_id);

	if (ret)
		return store_fail(c, err, ret);
	if (reload_host(c, *host_id, NULL))
		keeld_log(LOG_ERR, "reloading host %u failed", *host_id);
	return 0;
}
