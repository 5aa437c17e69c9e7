// SPDX-License-Identifier: GPL-2.0
/*
 * The ordered unified feature list: the feature preferences of a request,
 * its appliance template and its tenant policy merged into one
 * deduplicated list, hard constraints first, then preferences by weight.
 * The merge rules are documented in Documentation/cloud.rst:
 *   - the same feature with the same kind from several sources is one
 *     entry, held by the highest-priority source;
 *   - required and forbidden at once is a contradiction (-EINVAL naming
 *     both sources), as is any opposite pair inside one source;
 *   - a hard constraint absorbs a soft statement about the same feature
 *     (preferred + required = required; preferred + forbidden = forbidden,
 *     the preference recorded as overruled);
 *   - preferred and avoided from different sources: the higher-priority
 *     source wins (request > template > tenant policy).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const char *const kind_names[] = {
	[KEELD_REQUIRED] = "required", [KEELD_FORBIDDEN] = "forbidden",
	[KEELD_PREFERRED] = "preferred", [KEELD_AVOIDED] = "avoided",
};

static const char *const source_names[] = {
	[KEELD_SRC_REQUEST] = "request", [KEELD_SRC_TEMPLATE] = "template",
	[KEELD_SRC_POLICY] = "tenant policy",
};

const char *keeld_kind_name(enum keeld_kind k)
{
	return (unsigned int)k <= KEELD_AVOIDED ? kind_names[k] : "?";
}

const char *keeld_source_name(enum keeld_source s)
{
	return (unsigned int)s <= KEELD_SRC_POLICY ? source_names[s] : "?";
}

static bool is_hard(enum keeld_kind k)
{
	return k == KEELD_REQUIRED || k == KEELD_FORBIDDEN;
}

/* Whether the kind asks for hosts that have the feature. */
static bool is_positive(enum keeld_kind k)
{
	return k == KEELD_REQUIRED || k == KEELD_PREFERRED;
}

static int check_sources(const struct keeld_pref_source *src, size_t nsrc,
			 struct keeld_err *err)
{
	unsigned int seen = 0;
	size_t i, j;

	if (nsrc > KEELD_MAX_SOURCES)
		return keeld_fail(err, -E2BIG, "%zu preference sources, at most %d",
				  nsrc, KEELD_MAX_SOURCES);
	if (nsrc && !src)
		return keeld_fail(err, -EINVAL, "missing preference sources");
	for (i = 0; i < nsrc; i++) {
		const struct keeld_pref_source *s = &src[i];

		if ((unsigned int)s->source > KEELD_SRC_POLICY)
			return keeld_fail(err, -EINVAL, "unknown preference source %d",
					  (int)s->source);
		if (seen & (1u << s->source))
			return keeld_fail(err, -EINVAL, "preference source %s given twice",
					  keeld_source_name(s->source));
		seen |= 1u << s->source;
		if (s->n > KEELD_MAX_SOURCE_PREFS)
			return keeld_fail(err, -E2BIG, "%s: %zu features, at most %d",
					  keeld_source_name(s->source), s->n,
					  KEELD_MAX_SOURCE_PREFS);
		if (s->n && !s->prefs)
			return keeld_fail(err, -EINVAL, "%s: missing feature array",
					  keeld_source_name(s->source));
		for (j = 0; j < s->n; j++) {
			const struct keeld_pref *f = &s->prefs[j];

			if (!keeld_feature_name_ok(f->feature))
				return keeld_fail(err, -EINVAL,
						  "%s: bad feature name '%.*s' (want ns:name)",
						  keeld_source_name(s->source),
						  KEELD_FEAT_NAME_MAX + 1,
						  f->feature ? f->feature : "(null)");
			if ((unsigned int)f->kind > KEELD_AVOIDED)
				return keeld_fail(err, -EINVAL, "%s: %s: unknown kind %d",
						  keeld_source_name(s->source),
						  f->feature, (int)f->kind);
			if (f->weight > KEELD_MAX_WEIGHT)
				return keeld_fail(err, -EINVAL,
						  "%s: %s: weight %u above %d",
						  keeld_source_name(s->source), f->feature,
						  f->weight, KEELD_MAX_WEIGHT);
		}
	}
	return 0;
}

/* Merge statement @f of source @s at position @pos into entry @e. */
static int merge(struct keeld_uentry *e, const struct keeld_pref *f,
		 enum keeld_source s, uint32_t pos, struct keeld_err *err)
{
	uint8_t bit = 1u << s;
	bool opposite = is_positive(e->kind) != is_positive(f->kind);

	e->sources |= bit;
	if (e->kind == f->kind)
		return 0;
	if (is_hard(e->kind) && is_hard(f->kind))
		return keeld_fail(err, -EINVAL,
				  "feature %s is %s by %s and %s by %s",
				  e->feature, keeld_kind_name(e->kind),
				  keeld_source_name(e->source),
				  keeld_kind_name(f->kind), keeld_source_name(s));
	if (opposite && e->source == s)
		return keeld_fail(err, -EINVAL,
				  "feature %s is both %s and %s in the %s",
				  e->feature, keeld_kind_name(e->kind),
				  keeld_kind_name(f->kind), keeld_source_name(s));
	if (is_hard(e->kind)) {
		/* The hard constraint stays; a soft wish against it lost. */
		if (opposite)
			e->overruled |= bit;
		return 0;
	}
	if (is_hard(f->kind)) {
		if (opposite)
			e->overruled |= 1u << e->source;
		e->kind = f->kind;
		e->weight = 0;
		e->source = s;
		e->pos = pos;
		return 0;
	}
	/* Preferred against avoided: the earlier, higher-priority source. */
	e->overruled |= bit;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct keeld_uentry *x = a, *y = b;
	bool hx = is_hard(x->kind), hy = is_hard(y->kind);

	if (hx != hy)
		return hx ? -1 : 1;
	if (!hx && x->weight != y->weight)
		return x->weight > y->weight ? -1 : 1;
	if (x->source != y->source)
		return x->source < y->source ? -1 : 1;
	if (x->pos != y->pos)
		return x->pos < y->pos ? -1 : 1;
	return strcmp(x->feature, y->feature);
}

int keeld_unify(const struct keeld_pool *p,
		const struct keeld_pref_source *src, size_t nsrc,
		struct keeld_unified *out, struct keeld_err *err)
{
	const struct keeld_pref_source *bysrc[KEELD_MAX_SOURCES] = { 0 };
	struct keeld_unified *u;
	struct keeld_uentry *e;
	size_t i, j, k;
	int ret;

	if (!out)
		return keeld_fail(err, -EINVAL, "no output list");
	ret = check_sources(src, nsrc, err);
	if (ret)
		return ret;
	u = malloc(sizeof(*u));
	if (!u)
		return keeld_fail(err, -ENOMEM, "out of memory");
	u->n = 0;
	for (i = 0; i < nsrc; i++)
		bysrc[src[i].source] = &src[i];
	/* Highest priority first, so earlier entries hold soft conflicts. */
	for (i = 0; i < KEELD_MAX_SOURCES; i++) {
		if (!bysrc[i])
			continue;
		for (j = 0; j < bysrc[i]->n; j++) {
			const struct keeld_pref *f = &bysrc[i]->prefs[j];

			for (k = 0; k < u->n; k++)
				if (!strcmp(u->e[k].feature, f->feature))
					break;
			if (k < u->n) {
				ret = merge(&u->e[k], f, (enum keeld_source)i,
					    (uint32_t)j, err);
				if (ret)
					goto out;
				continue;
			}
			e = &u->e[u->n++];
			memset(e, 0, sizeof(*e));
			strcpy(e->feature, f->feature);
			e->kind = f->kind;
			e->weight = is_hard(f->kind) ? 0 : f->weight;
			e->source = (enum keeld_source)i;
			e->pos = (uint32_t)j;
			e->sources = 1u << i;
		}
	}
	qsort(u->e, u->n, sizeof(u->e[0]), entry_cmp);
	u->nhard = 0;
	for (k = 0; k < u->n; k++) {
		u->e[k].fid = p ? keeld_feature_id(p, u->e[k].feature) : -1;
		u->nhard += is_hard(u->e[k].kind);
	}
	out->n = u->n;
	out->nhard = u->nhard;
	memcpy(out->e, u->e, u->n * sizeof(u->e[0]));
	keeld_ok(err);
out:
	free(u);
	return ret;
}
