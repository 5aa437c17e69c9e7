// SPDX-License-Identifier: GPL-2.0
/*
 * Keeping a pool in step with a store that is the source of truth: stable
 * names of the capacity dimensions ("vcpus", "memory", "mirror",
 * "hp:<bytes>", "acc:<type>"), which do not depend on the order in which
 * a pool met its huge page sizes and accelerator types, and overwriting a
 * host's usage and generation with what the store holds.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

int keeld_dim_key(const struct keeld_pool *p, unsigned int d, char *buf,
		  size_t len)
{
	int n;

	if (d == KEELD_DIM_VCPUS)
		n = snprintf(buf, len, "vcpus");
	else if (d == KEELD_DIM_MEM)
		n = snprintf(buf, len, "memory");
	else if (d == KEELD_DIM_MIRROR)
		n = snprintf(buf, len, "mirror");
	else if (d < KEELD_DIM_ACC0 && d - KEELD_DIM_HP0 < p->nhpsizes)
		n = snprintf(buf, len, "hp:%" PRIu64, p->hpsize[d - KEELD_DIM_HP0]);
	else if (d >= KEELD_DIM_ACC0 && d < KEELD_NDIMS &&
		 d - KEELD_DIM_ACC0 < p->accs.n)
		n = snprintf(buf, len, "acc:%s", p->accs.name[d - KEELD_DIM_ACC0]);
	else
		return -ENOENT;
	return n < 0 || (size_t)n >= len ? -E2BIG : 0;
}

int keeld_dim_find(const struct keeld_pool *p, const char *key)
{
	char buf[KEELD_DIM_KEY_MAX];
	unsigned int d;

	for (d = 0; d < KEELD_NDIMS; d++)
		if (!keeld_dim_key(p, d, buf, sizeof(buf)) && !strcmp(buf, key))
			return (int)d;
	return -ENOENT;
}

int keeld_host_sync(struct keeld_pool *p, uint32_t id,
		    const uint64_t used[KEELD_NDIMS], uint64_t generation,
		    uint32_t nallocs, struct keeld_err *err)
{
	struct keeld_host *h;
	uint32_t idx;
	unsigned int d;

	if (!idmap_get(&p->host_by_id, (uint64_t)id + 1, &idx))
		return keeld_fail(err, -ENOENT, "no host %u", id);
	h = &p->hosts[idx];
	for (d = 0; d < KEELD_NDIMS; d++)
		if (used[d] > h->cap[d])
			return keeld_fail(err, -EOVERFLOW,
					  "host %u: usage beyond capacity", id);
	memcpy(h->used, used, sizeof(h->used));
	keeld_room_update(p, idx);
	h->generation = generation;
	h->nallocs = nallocs;
	keeld_ok(err);
	return 0;
}
