// SPDX-License-Identifier: GPL-2.0
/*
 * The resource model: a pool of hosts, each with a capacity vector
 * (vCPUs, memory, mirrored memory, huge pages per size, accelerators per
 * type), its usage, a generation and a feature bitset over interned
 * feature names. Adding a host validates everything before it changes
 * anything.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct keeld_pool *keeld_pool_new(void)
{
	struct keeld_pool *p = calloc(1, sizeof(*p));
	unsigned int d;

	if (!p)
		return NULL;
	if (strtab_init(&p->feats, KEELD_MAX_FEATURES) ||
	    strtab_init(&p->accs, KEELD_MAX_ACC_TYPES)) {
		keeld_pool_free(p);
		return NULL;
	}
	for (d = 0; d < KEELD_NDIMS; d++)
		p->weight[d] = 1;
	p->next_alloc_id = 1;
	return p;
}

void keeld_pool_free(struct keeld_pool *p)
{
	unsigned int d;

	if (!p)
		return;
	strtab_fini(&p->feats);
	strtab_fini(&p->accs);
	idmap_fini(&p->host_by_id);
	idmap_fini(&p->alloc_by_id);
	free(p->hosts);
	free(p->allocs);
	free(p->scratch);
	for (d = 0; d < KEELD_NDIMS; d++)
		free(p->room[d]);
	for (d = 0; d < KEELD_FEAT_WORDS; d++)
		free(p->featw[d]);
	free(p);
}

static bool name_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '.' || c == '+' || c == '-';
}

/* A nonempty run of name characters, at most @max long, ending at @end. */
static bool word_ok(const char *s, const char *end, size_t max)
{
	const char *c;

	if (s == end || (size_t)(end - s) > max)
		return false;
	for (c = s; c < end; c++)
		if (!name_char_ok(*c))
			return false;
	return true;
}

bool keeld_feature_name_ok(const char *name)
{
	const char *colon;
	size_t len;

	if (!name)
		return false;
	len = strnlen(name, KEELD_FEAT_NAME_MAX + 1);
	colon = memchr(name, ':', len);
	return len <= KEELD_FEAT_NAME_MAX && colon &&
	       word_ok(name, colon, len) && word_ok(colon + 1, name + len, len);
}

static bool acc_type_ok(const char *type)
{
	size_t len;

	if (!type)
		return false;
	len = strnlen(type, KEELD_FEAT_NAME_MAX + 1);
	return word_ok(type, type + len, KEELD_FEAT_NAME_MAX);
}

static int hpsize_index(const struct keeld_pool *p, uint64_t size)
{
	unsigned int i;

	for (i = 0; i < p->nhpsizes; i++)
		if (p->hpsize[i] == size)
			return (int)i;
	return -1;
}

/* Checks common to host capacities and requests; @what names the side. */
static int res_check(const struct keeld_resources *r, const char *what,
		     struct keeld_err *err)
{
	size_t i, j;
	uint64_t s;

	if (!r->vcpus)
		return keeld_fail(err, -EINVAL, "%s: vcpus must be > 0", what);
	if (!r->mem_bytes)
		return keeld_fail(err, -EINVAL, "%s: memory must be > 0", what);
	if (r->nhpages > KEELD_MAX_HPSIZES)
		return keeld_fail(err, -E2BIG, "%s: %zu huge page sizes, at most %d",
				  what, r->nhpages, KEELD_MAX_HPSIZES);
	if (r->naccs > KEELD_MAX_ACC_TYPES)
		return keeld_fail(err, -E2BIG, "%s: %zu accelerator types, at most %d",
				  what, r->naccs, KEELD_MAX_ACC_TYPES);
	if ((r->nhpages && !r->hpages) || (r->naccs && !r->accs))
		return keeld_fail(err, -EINVAL, "%s: missing array", what);
	for (i = 0; i < r->nhpages; i++) {
		s = r->hpages[i].size;
		if (s < 4096 || (s & (s - 1)))
			return keeld_fail(err, -EINVAL,
					  "%s: huge page size %llu is not a power of two >= 4096",
					  what, (unsigned long long)s);
		if (!r->hpages[i].count)
			return keeld_fail(err, -EINVAL,
					  "%s: huge page count for size %llu must be > 0",
					  what, (unsigned long long)s);
		if (r->hpages[i].count > UINT64_MAX / s)
			return keeld_fail(err, -EOVERFLOW,
					  "%s: %llu huge pages of %llu bytes overflow 64 bits",
					  what, (unsigned long long)r->hpages[i].count,
					  (unsigned long long)s);
		for (j = 0; j < i; j++)
			if (r->hpages[j].size == s)
				return keeld_fail(err, -EINVAL,
						  "%s: huge page size %llu listed twice",
						  what, (unsigned long long)s);
	}
	for (i = 0; i < r->naccs; i++) {
		if (!acc_type_ok(r->accs[i].type))
			return keeld_fail(err, -EINVAL,
					  "%s: bad accelerator type '%.*s'", what,
					  KEELD_FEAT_NAME_MAX,
					  r->accs[i].type ? r->accs[i].type : "(null)");
		if (!r->accs[i].count)
			return keeld_fail(err, -EINVAL,
					  "%s: accelerator count for %s must be > 0",
					  what, r->accs[i].type);
		for (j = 0; j < i; j++)
			if (!strcmp(r->accs[j].type, r->accs[i].type))
				return keeld_fail(err, -EINVAL,
						  "%s: accelerator type %s listed twice",
						  what, r->accs[i].type);
	}
	return 0;
}

/* Names of @spec not yet interned, each counted once. */
static size_t new_features(const struct keeld_pool *p,
			   const struct keeld_host_spec *spec)
{
	size_t i, j, n = 0;

	for (i = 0; i < spec->nfeatures; i++) {
		if (strtab_find(&p->feats, spec->features[i]) >= 0)
			continue;
		for (j = 0; j < i; j++)
			if (!strcmp(spec->features[j], spec->features[i]))
				break;
		n += j == i;
	}
	return n;
}

static int host_check(const struct keeld_pool *p,
		      const struct keeld_host_spec *spec, struct keeld_err *err)
{
	unsigned int newhp = 0, newacc = 0;
	uint32_t dummy;
	size_t i;
	int ret;

	if (!spec)
		return keeld_fail(err, -EINVAL, "no host given");
	if (p->nhosts >= KEELD_MAX_HOSTS)
		return keeld_fail(err, -E2BIG, "the pool is full (%u hosts)",
				  KEELD_MAX_HOSTS);
	if (idmap_get(&p->host_by_id, (uint64_t)spec->id + 1, &dummy))
		return keeld_fail(err, -EEXIST, "host %u already exists", spec->id);
	ret = res_check(&spec->res, "host", err);
	if (ret)
		return ret;
	if (spec->nfeatures > KEELD_MAX_HOST_FEATURES)
		return keeld_fail(err, -E2BIG, "host %u: %zu features, at most %d",
				  spec->id, spec->nfeatures, KEELD_MAX_HOST_FEATURES);
	if (spec->nfeatures && !spec->features)
		return keeld_fail(err, -EINVAL, "host %u: missing feature array",
				  spec->id);
	for (i = 0; i < spec->nfeatures; i++)
		if (!keeld_feature_name_ok(spec->features[i]))
			return keeld_fail(err, -EINVAL,
					  "host %u: bad feature name '%.*s' (want ns:name)",
					  spec->id, KEELD_FEAT_NAME_MAX + 1,
					  spec->features[i] ? spec->features[i] : "(null)");
	if (new_features(p, spec) > KEELD_MAX_FEATURES - p->feats.n)
		return keeld_fail(err, -E2BIG,
				  "host %u: the pool would know more than %d features",
				  spec->id, KEELD_MAX_FEATURES);
	for (i = 0; i < spec->res.nhpages; i++)
		newhp += hpsize_index(p, spec->res.hpages[i].size) < 0;
	if (newhp > KEELD_MAX_HPSIZES - p->nhpsizes)
		return keeld_fail(err, -E2BIG,
				  "host %u: the pool would know more than %d huge page sizes",
				  spec->id, KEELD_MAX_HPSIZES);
	for (i = 0; i < spec->res.naccs; i++)
		newacc += strtab_find(&p->accs, spec->res.accs[i].type) < 0;
	if (newacc > KEELD_MAX_ACC_TYPES - p->accs.n)
		return keeld_fail(err, -E2BIG,
				  "host %u: the pool would know more than %d accelerator types",
				  spec->id, KEELD_MAX_ACC_TYPES);
	return 0;
}

/* The capacity vector of @r; new sizes and types must fit (checked). */
static void res_dims(struct keeld_pool *p, const struct keeld_resources *r,
		     uint64_t cap[KEELD_NDIMS])
{
	size_t i;
	int k;

	memset(cap, 0, KEELD_NDIMS * sizeof(*cap));
	cap[KEELD_DIM_VCPUS] = r->vcpus;
	cap[KEELD_DIM_MEM] = r->mem_bytes;
	cap[KEELD_DIM_MIRROR] = r->mirror_bytes;
	for (i = 0; i < r->nhpages; i++) {
		k = hpsize_index(p, r->hpages[i].size);
		if (k < 0) {
			k = (int)p->nhpsizes++;
			p->hpsize[k] = r->hpages[i].size;
		}
		cap[KEELD_DIM_HP0 + k] = r->hpages[i].count;
	}
	for (i = 0; i < r->naccs; i++) {
		k = strtab_intern(&p->accs, r->accs[i].type);
		cap[KEELD_DIM_ACC0 + k] = r->accs[i].count;
	}
}

int keeld_host_add(struct keeld_pool *p, const struct keeld_host_spec *spec,
		   struct keeld_err *err)
{
	struct keeld_host *h;
	uint64_t cap[KEELD_NDIMS];
	unsigned int d;
	uint32_t *scratch;
	size_t i, n;
	int ret, id;

	ret = host_check(p, spec, err);
	if (ret)
		return ret;
	/* Dry run of the dimensions to check the pool totals. */
	memset(cap, 0, sizeof(cap));
	cap[KEELD_DIM_VCPUS] = spec->res.vcpus;
	cap[KEELD_DIM_MEM] = spec->res.mem_bytes;
	cap[KEELD_DIM_MIRROR] = spec->res.mirror_bytes;
	for (i = 0; i < spec->res.nhpages; i++) {
		id = hpsize_index(p, spec->res.hpages[i].size);
		if (id >= 0 && spec->res.hpages[i].count >
		    UINT64_MAX - p->total[KEELD_DIM_HP0 + id])
			goto overflow;
	}
	for (i = 0; i < spec->res.naccs; i++) {
		id = strtab_find(&p->accs, spec->res.accs[i].type);
		if (id >= 0 && spec->res.accs[i].count >
		    UINT64_MAX - p->total[KEELD_DIM_ACC0 + id])
			goto overflow;
	}
	for (d = 0; d < KEELD_DIM_HP0; d++)
		if (cap[d] > UINT64_MAX - p->total[d])
			goto overflow;

	if (p->nhosts == p->hosts_cap) {
		n = p->hosts_cap ? 2 * p->hosts_cap : 64;
		h = realloc(p->hosts, n * sizeof(*h));
		if (!h)
			return keeld_fail(err, -ENOMEM, "out of memory");
		p->hosts = h;
		scratch = malloc(n * sizeof(*scratch));
		if (!scratch)
			return keeld_fail(err, -ENOMEM, "out of memory");
		free(p->scratch);
		p->scratch = scratch;
		for (d = 0; d < KEELD_NDIMS; d++) {
			uint64_t *room = realloc(p->room[d], n * sizeof(*room));

			if (!room)
				return keeld_fail(err, -ENOMEM, "out of memory");
			p->room[d] = room;
		}
		for (d = 0; d < KEELD_FEAT_WORDS; d++) {
			uint64_t *w = realloc(p->featw[d], n * sizeof(*w));

			if (!w)
				return keeld_fail(err, -ENOMEM, "out of memory");
			p->featw[d] = w;
		}
		p->hosts_cap = n;
	}
	ret = idmap_put(&p->host_by_id, (uint64_t)spec->id + 1,
			(uint32_t)p->nhosts);
	if (ret)
		return keeld_fail(err, ret, "out of memory");

	/* Nothing below fails: every limit was checked above. */
	h = &p->hosts[p->nhosts++];
	memset(h, 0, sizeof(*h));
	h->id = spec->id;
	h->generation = 1;
	res_dims(p, &spec->res, h->cap);
	keeld_room_update(p, p->nhosts - 1);
	for (d = 0; d < KEELD_NDIMS; d++) {
		p->total[d] += h->cap[d];
		if (h->cap[d] > p->maxcap[d])
			p->maxcap[d] = h->cap[d];
	}
	for (i = 0; i < spec->nfeatures; i++) {
		id = strtab_intern(&p->feats, spec->features[i]);
		h->feat[id / 64] |= 1ull << (id % 64);
	}
	for (d = 0; d < KEELD_FEAT_WORDS; d++)
		p->featw[d][p->nhosts - 1] = h->feat[d];
	keeld_ok(err);
	return 0;

overflow:
	return keeld_fail(err, -EOVERFLOW,
			  "host %u: the pool's capacity sum would overflow 64 bits",
			  spec->id);
}

size_t keeld_pool_size(const struct keeld_pool *p)
{
	return p->nhosts;
}

const struct keeld_host *keeld_host_at(const struct keeld_pool *p, size_t i)
{
	return i < p->nhosts ? &p->hosts[i] : NULL;
}

const struct keeld_host *keeld_host_get(const struct keeld_pool *p,
					uint32_t id)
{
	uint32_t i;

	return idmap_get(&p->host_by_id, (uint64_t)id + 1, &i) ? &p->hosts[i]
							       : NULL;
}

int keeld_feature_id(const struct keeld_pool *p, const char *name)
{
	return name ? strtab_find(&p->feats, name) : -1;
}

const char *keeld_feature_name(const struct keeld_pool *p, int id)
{
	return id >= 0 && (uint32_t)id < p->feats.n ? p->feats.name[id] : NULL;
}

bool keeld_host_has(const struct keeld_host *h, int id)
{
	return id >= 0 && id < KEELD_MAX_FEATURES &&
	       (h->feat[id / 64] >> (id % 64)) & 1;
}

uint64_t keeld_pool_total(const struct keeld_pool *p, unsigned int dim)
{
	return dim < KEELD_NDIMS ? p->total[dim] : 0;
}

int keeld_need(const struct keeld_pool *p, const struct keeld_resources *res,
	       uint64_t need[KEELD_NDIMS], struct keeld_err *err)
{
	size_t i;
	int k, ret;

	if (!res)
		return keeld_fail(err, -EINVAL, "no resources given");
	ret = res_check(res, "request", err);
	if (ret)
		return ret;
	memset(need, 0, KEELD_NDIMS * sizeof(*need));
	need[KEELD_DIM_VCPUS] = res->vcpus;
	need[KEELD_DIM_MEM] = res->mem_bytes;
	need[KEELD_DIM_MIRROR] = res->mirror_bytes;
	for (i = 0; i < res->nhpages; i++) {
		k = hpsize_index(p, res->hpages[i].size);
		if (k < 0)
			return keeld_fail(err, -ENOSPC,
					  "no host has huge pages of %llu bytes",
					  (unsigned long long)res->hpages[i].size);
		need[KEELD_DIM_HP0 + k] = res->hpages[i].count;
	}
	for (i = 0; i < res->naccs; i++) {
		k = strtab_find(&p->accs, res->accs[i].type);
		if (k < 0)
			return keeld_fail(err, -ENOSPC,
					  "no host has accelerators of type %s",
					  res->accs[i].type);
		need[KEELD_DIM_ACC0 + k] = res->accs[i].count;
	}
	keeld_ok(err);
	return 0;
}

void keeld_dim_name(const struct keeld_pool *p, unsigned int d, char *buf,
		    size_t len)
{
	if (d == KEELD_DIM_VCPUS)
		snprintf(buf, len, "vcpus");
	else if (d == KEELD_DIM_MEM)
		snprintf(buf, len, "memory");
	else if (d == KEELD_DIM_MIRROR)
		snprintf(buf, len, "mirrored memory");
	else if (d < KEELD_DIM_ACC0)
		snprintf(buf, len, "huge pages of %llu bytes",
			 (unsigned long long)p->hpsize[d - KEELD_DIM_HP0]);
	else if (d - KEELD_DIM_ACC0 < p->accs.n)
		snprintf(buf, len, "accelerator %s", p->accs.name[d - KEELD_DIM_ACC0]);
	else
		snprintf(buf, len, "dimension %u", d);
}

bool keeld_host_fits(const struct keeld_host *h,
		     const uint64_t need[KEELD_NDIMS])
{
	unsigned int d;

	for (d = 0; d < KEELD_NDIMS; d++)
		if (need[d] > h->cap[d] - h->used[d])
			return false;
	return true;
}
