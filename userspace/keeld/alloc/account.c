// SPDX-License-Identifier: GPL-2.0
/*
 * Capacity accounting: committing an allocation charges its resources to
 * one host and bumps the host's generation; freeing releases exactly what
 * was charged. A commit names the generation its decision saw, so a
 * decision taken against an older view of the host is refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int keeld_commit(struct keeld_pool *p, uint32_t host_id, uint64_t generation,
		 const uint64_t need[KEELD_NDIMS], uint64_t *alloc_id,
		 struct keeld_err *err)
{
	struct keeld_allocation *a;
	struct keeld_host *h;
	uint32_t idx;
	unsigned int d;
	size_t n;
	char name[96];
	int ret;

	if (!idmap_get(&p->host_by_id, (uint64_t)host_id + 1, &idx))
		return keeld_fail(err, -ENOENT, "no host %u", host_id);
	h = &p->hosts[idx];
	if (h->generation != generation)
		return keeld_fail(err, -ESTALE,
				  "host %u changed (generation %llu, decision saw %llu)",
				  host_id, (unsigned long long)h->generation,
				  (unsigned long long)generation);
	if (!need[KEELD_DIM_VCPUS] || !need[KEELD_DIM_MEM])
		return keeld_fail(err, -EINVAL, "vcpus and memory must be > 0");
	for (d = 0; d < KEELD_NDIMS; d++)
		if (need[d] > h->cap[d] - h->used[d]) {
			keeld_dim_name(p, d, name, sizeof(name));
			return keeld_fail(err, -ENOSPC,
					  "host %u has no room: %s %llu free, %llu asked",
					  host_id, name,
					  (unsigned long long)(h->cap[d] - h->used[d]),
					  (unsigned long long)need[d]);
		}
	if (p->nallocs == p->allocs_cap) {
		n = p->allocs_cap ? 2 * p->allocs_cap : 64;
		a = realloc(p->allocs, n * sizeof(*a));
		if (!a)
			return keeld_fail(err, -ENOMEM, "out of memory");
		p->allocs = a;
		p->allocs_cap = n;
	}
	ret = idmap_put(&p->alloc_by_id, p->next_alloc_id, (uint32_t)p->nallocs);
	if (ret)
		return keeld_fail(err, ret, "out of memory");

	a = &p->allocs[p->nallocs++];
	a->id = p->next_alloc_id++;
	a->host = idx;
	memcpy(a->need, need, sizeof(a->need));
	for (d = 0; d < KEELD_NDIMS; d++)
		h->used[d] += need[d];
	keeld_room_update(p, idx);
	h->generation++;
	h->nallocs++;
	*alloc_id = a->id;
	keeld_ok(err);
	return 0;
}

int keeld_free(struct keeld_pool *p, uint64_t alloc_id, struct keeld_err *err)
{
	struct keeld_allocation *a;
	struct keeld_host *h;
	uint32_t idx;
	unsigned int d;

	if (!idmap_get(&p->alloc_by_id, alloc_id, &idx))
		return keeld_fail(err, -ENOENT, "no allocation %llu",
				  (unsigned long long)alloc_id);
	a = &p->allocs[idx];
	h = &p->hosts[a->host];
	for (d = 0; d < KEELD_NDIMS; d++)
		h->used[d] -= a->need[d];
	keeld_room_update(p, a->host);
	h->generation++;
	h->nallocs--;
	idmap_del(&p->alloc_by_id, alloc_id);
	if (idx != p->nallocs - 1) {
		*a = p->allocs[p->nallocs - 1];
		/* The key is present: updating it cannot fail. */
		idmap_put(&p->alloc_by_id, a->id, idx);
	}
	p->nallocs--;
	keeld_ok(err);
	return 0;
}

size_t keeld_alloc_count(const struct keeld_pool *p)
{
	return p->nallocs;
}
