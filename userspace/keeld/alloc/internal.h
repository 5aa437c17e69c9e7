/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internals of the allocation engine shared by its files: the pool
 * layout, the string interner, the integer map and the error helper.
 */
#ifndef KEELD_ALLOC_INTERNAL_H
#define KEELD_ALLOC_INTERNAL_H

#include "alloc.h"

/* Interned strings: name <-> small dense id (strtab.c). */
struct keeld_strtab {
	char **name;			/* id -> name */
	int32_t *slot;			/* open addressing: id or -1 */
	uint32_t nslots;		/* a power of two, > 2 * max */
	uint32_t n, max;
};

int strtab_init(struct keeld_strtab *t, uint32_t max);
void strtab_fini(struct keeld_strtab *t);
int strtab_find(const struct keeld_strtab *t, const char *s);
/* Id of @s, adding it if new; -E2BIG when full, -ENOMEM. */
int strtab_intern(struct keeld_strtab *t, const char *s);

/* uint64 key -> uint32 value, linear probing (idmap.c). */
struct keeld_idmap {
	uint64_t *key;			/* 0 = empty slot; keys are never 0 */
	uint32_t *val;
	size_t nslots, n;		/* nslots: a power of two */
};

void idmap_fini(struct keeld_idmap *m);
bool idmap_get(const struct keeld_idmap *m, uint64_t key, uint32_t *val);
int idmap_put(struct keeld_idmap *m, uint64_t key, uint32_t val);
void idmap_del(struct keeld_idmap *m, uint64_t key);

struct keeld_allocation {
	uint64_t id;
	uint32_t host;			/* index in the pool */
	uint64_t need[KEELD_NDIMS];
};

struct keeld_pool {
	struct keeld_strtab feats;
	struct keeld_strtab accs;
	uint64_t hpsize[KEELD_MAX_HPSIZES];
	unsigned int nhpsizes;
	struct keeld_host *hosts;
	size_t nhosts, hosts_cap;
	struct keeld_idmap host_by_id;	/* id + 1 -> index */
	struct keeld_allocation *allocs;
	size_t nallocs, allocs_cap;
	struct keeld_idmap alloc_by_id;	/* id -> index in allocs */
	uint64_t next_alloc_id;
	uint64_t total[KEELD_NDIMS];
	uint64_t maxcap[KEELD_NDIMS];
	uint32_t weight[KEELD_NDIMS];
	uint32_t *scratch;		/* nhosts ids for keeld_alloc() */
	/*
	 * room[d][i]: host i's free capacity in dimension d (cap - used),
	 * one array per dimension so the capacity filter reads a few
	 * contiguous words per host instead of two cache lines.
	 */
	uint64_t *room[KEELD_NDIMS];
	/* featw[w][i]: word w of host i's feature bitset, likewise. */
	uint64_t *featw[KEELD_FEAT_WORDS];
};

/* Keep room[][] in step after host @i's usage changed. */
static inline void keeld_room_update(struct keeld_pool *p, size_t i)
{
	unsigned int d;

	for (d = 0; d < KEELD_NDIMS; d++)
		p->room[d][i] = p->hosts[i].cap[d] - p->hosts[i].used[d];
}

/* "vcpus", "memory", "accelerator gpu", ... */
void keeld_dim_name(const struct keeld_pool *p, unsigned int d, char *buf,
		    size_t len);

/* Fill @err (may be NULL) and return @code. */
__attribute__((format(printf, 3, 4)))
int keeld_fail(struct keeld_err *err, int code, const char *fmt, ...);
void keeld_ok(struct keeld_err *err);

#endif /* KEELD_ALLOC_INTERNAL_H */
