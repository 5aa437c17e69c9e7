// SPDX-License-Identifier: GPL-2.0
/*
 * Named resource dimensions <-> the engine's resources and vectors. The
 * engine validates values (sizes, types, limits); this file validates the
 * names and their uniqueness.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

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

/* A decimal number without sign, spaces or leading zeros. */
static bool parse_u64(const char *s, uint64_t *v)
{
	char *end;

	if (*s < '1' || *s > '9')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && !*end;
}

int spec_resources(const struct store_res *res, unsigned int nres,
		   struct res_buf *rb, const char *what, struct keeld_err *err)
{
	struct keeld_resources *r = &rb->r;
	bool vcpus = false, mem = false, mirror = false;
	unsigned int i, j;
	uint64_t size;

	memset(rb, 0, sizeof(*rb));
	r->hpages = rb->hp;
	r->accs = rb->acc;
	for (i = 0; i < nres; i++) {
		const char *d = res[i].dim;

		for (j = 0; j < i; j++)
			if (!strcmp(res[j].dim, d))
				return fail(err, -EINVAL, "%s: resource %s listed twice",
					    what, d);
		if (!res[i].amount || res[i].amount > STORE_AMOUNT_MAX)
			return fail(err, res[i].amount ? -EOVERFLOW : -EINVAL,
				    "%s: %s must be between 1 and %" PRIu64, what,
				    d, STORE_AMOUNT_MAX);
		if (!strcmp(d, "vcpus")) {
			r->vcpus = res[i].amount;
			vcpus = true;
		} else if (!strcmp(d, "memory")) {
			r->mem_bytes = res[i].amount;
			mem = true;
		} else if (!strcmp(d, "mirror")) {
			r->mirror_bytes = res[i].amount;
			mirror = true;
		} else if (!strncmp(d, "hp:", 3)) {
			if (!parse_u64(d + 3, &size))
				return fail(err, -EINVAL, "%s: bad huge page size in '%s'",
					    what, d);
			if (r->nhpages == KEELD_MAX_HPSIZES)
				return fail(err, -E2BIG, "%s: more than %d huge page sizes",
					    what, KEELD_MAX_HPSIZES);
			rb->hp[r->nhpages].size = size;
			rb->hp[r->nhpages++].count = res[i].amount;
		} else if (!strncmp(d, "acc:", 4)) {
			if (r->naccs == KEELD_MAX_ACC_TYPES)
				return fail(err, -E2BIG, "%s: more than %d accelerator types",
					    what, KEELD_MAX_ACC_TYPES);
			rb->acc[r->naccs].type = d + 4;
			rb->acc[r->naccs++].count = res[i].amount;
		} else {
			return fail(err, -EINVAL,
				    "%s: unknown resource '%s' (vcpus, memory, mirror, hp:BYTES, acc:TYPE)",
				    what, d);
		}
	}
	(void)mirror;
	if (!vcpus || !mem)
		return fail(err, -EINVAL, "%s: vcpus and memory are required", what);
	return 0;
}

int spec_host(const struct store_host *h, struct spec_buf *sb,
	      struct keeld_err *err)
{
	char what[32], *save = NULL, *tok;
	size_t n = 0;
	int ret;

	memset(sb, 0, sizeof(*sb));
	snprintf(what, sizeof(what), "host %u", h->id);
	ret = spec_resources(h->res, h->nres, &sb->rb, what, err);
	if (ret)
		return ret;
	sb->names = strdup(h->features ? h->features : "");
	if (!sb->names)
		return fail(err, -ENOMEM, "out of memory");
	for (tok = strtok_r(sb->names, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (n == KEELD_MAX_HOST_FEATURES) {
			spec_release(sb);
			return fail(err, -E2BIG, "%s: more than %d features", what,
				    KEELD_MAX_HOST_FEATURES);
		}
		sb->feat[n++] = tok;
	}
	sb->spec.id = h->id;
	sb->spec.res = sb->rb.r;
	sb->spec.features = sb->feat;
	sb->spec.nfeatures = n;
	return 0;
}

void spec_release(struct spec_buf *sb)
{
	free(sb->names);
	sb->names = NULL;
}

int spec_need_res(const struct keeld_pool *p, const uint64_t need[KEELD_NDIMS],
		  struct store_res *res, unsigned int *nres)
{
	unsigned int d, n = 0;
	int ret;

	for (d = 0; d < KEELD_NDIMS; d++) {
		if (!need[d])
			continue;
		if (n == STORE_MAX_RES)
			return -E2BIG;
		ret = keeld_dim_key(p, d, res[n].dim, sizeof(res[n].dim));
		if (ret)
			return ret;
		res[n].amount = need[d];
		res[n++].used = 0;
	}
	*nres = n;
	return 0;
}

int spec_used(const struct keeld_pool *p, const struct store_host *h,
	      uint64_t used[KEELD_NDIMS], struct keeld_err *err)
{
	unsigned int i;
	int d;

	memset(used, 0, KEELD_NDIMS * sizeof(*used));
	for (i = 0; i < h->nres; i++) {
		d = keeld_dim_find(p, h->res[i].dim);
		if (d < 0)
			return fail(err, -EINVAL, "host %u: unknown resource %s",
				    h->id, h->res[i].dim);
		used[d] = h->res[i].used;
	}
	return 0;
}
