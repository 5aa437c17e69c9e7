// SPDX-License-Identifier: GPL-2.0
/*
 * The whole allocation decision for one virtual appliance request:
 * unify its feature preferences, filter the pool by room, prune it by the
 * unified list, place by policy and commit, all or nothing.
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

int keeld_alloc(struct keeld_pool *p, const struct keeld_request *req,
		struct keeld_result *res, struct keeld_unified *u,
		struct keeld_trace *trace, struct keeld_err *err)
{
	uint64_t need[KEELD_NDIMS], id;
	struct keeld_unified *mine = NULL;
	const struct keeld_host *h;
	uint32_t host_id;
	size_t ncand;
	int ret;

	if (trace)
		trace->hosts = trace->fit = trace->nsteps = trace->candidates = 0;
	if (!req || !res)
		return keeld_fail(err, -EINVAL, "no request given");
	if ((unsigned int)req->policy >= KEELD_NPOLICIES)
		return keeld_fail(err, -EINVAL, "unknown policy %d", (int)req->policy);
	if (!u) {
		mine = malloc(sizeof(*mine));
		if (!mine)
			return keeld_fail(err, -ENOMEM, "out of memory");
		u = mine;
	}
	u->n = u->nhard = 0;
	ret = keeld_unify(p, req->sources, req->nsources, u, err);
	if (!ret)
		ret = keeld_need(p, &req->res, need, err);
	if (!ret)
		ret = keeld_prune(p, need, u, req->max_candidates, p->scratch,
				  &ncand, trace, err);
	if (!ret)
		ret = keeld_place(p, need, p->scratch, ncand, req->policy,
				  &host_id, err);
	if (!ret) {
		h = keeld_host_get(p, host_id);
		ret = keeld_commit(p, host_id, h->generation, need, &id, err);
	}
	if (!ret) {
		res->alloc_id = id;
		res->host_id = host_id;
		res->generation = keeld_host_get(p, host_id)->generation;
	}
	free(mine);
	return ret;
}
