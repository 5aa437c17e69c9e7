// SPDX-License-Identifier: GPL-2.0
/*
 * Named preference sets (prefset.h): validating names and sets, and the
 * text form the store keeps them in. Stored text is parsed as strictly
 * as a request: a damaged row is refused, never half used.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linux/keeld.h>

#include "prefset.h"

bool prefset_name_ok(const char *name)
{
	size_t n = strlen(name);
	const char *s;

	if (!n || n > KEELD_PREFSET_NAME_MAX)
		return false;
	for (s = name; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.:@+-", *s)))
			return false;
	return true;
}

int prefset_check(const struct keeld_pref_source *src, struct keeld_err *err)
{
	struct keeld_unified *u = malloc(sizeof(*u));
	struct keeld_pool *pool = keeld_pool_new();
	size_t i;
	int ret;

	if (!u || !pool) {
		ret = -ENOMEM;
		if (err) {
			err->code = ret;
			snprintf(err->msg, sizeof(err->msg), "out of memory");
		}
		goto out;
	}
	ret = 0;
	for (i = 0; i < src->n && !ret; i++) {
		if (!keeld_feature_name_ok(src->prefs[i].feature) ||
		    src->prefs[i].weight > KEELD_MAX_WEIGHT) {
			ret = -EINVAL;
			if (err) {
				err->code = ret;
				snprintf(err->msg, sizeof(err->msg),
					 "preference %zu: bad feature name or weight", i + 1);
			}
		}
	}
	/* Contradictions inside the set: the engine's own rules. */
	if (!ret) {
		u->n = u->nhard = 0;
		ret = keeld_unify(pool, src, 1, u, err);
	}
out:
	keeld_pool_free(pool);
	free(u);
	return ret;
}

void prefset_encode(const struct keeld_pref *prefs, size_t n, char *out)
{
	size_t i;

	*out = '\0';
	for (i = 0; i < n && i < KEELD_MAX_SOURCE_PREFS; i++)
		out += sprintf(out, "%.*s %d %u\n", KEELD_FEAT_NAME_MAX,
			       prefs[i].feature, (int)prefs[i].kind,
			       prefs[i].weight);
}

int prefset_decode(const char *text, struct prefset *ps)
{
	const char *line = text, *nl, *sp;
	unsigned long kind, weight;
	char *end;
	size_t len;

	ps->n = 0;
	while (*line) {
		nl = strchr(line, '\n');
		sp = strchr(line, ' ');
		if (!nl || !sp || sp > nl || ps->n == KEELD_MAX_SOURCE_PREFS)
			return -EINVAL;
		len = (size_t)(sp - line);
		if (!len || len > KEELD_FEAT_NAME_MAX)
			return -EINVAL;
		memcpy(ps->names[ps->n], line, len);
		ps->names[ps->n][len] = '\0';
		if (!keeld_feature_name_ok(ps->names[ps->n]) || sp[1] < '0' ||
		    sp[1] > '3' || sp[2] != ' ' || sp[3] < '0' || sp[3] > '9')
			return -EINVAL;
		kind = (unsigned long)(sp[1] - '0');
		weight = strtoul(sp + 3, &end, 10);
		if (end != nl || weight > KEELD_MAX_WEIGHT)
			return -EINVAL;
		ps->prefs[ps->n].feature = ps->names[ps->n];
		ps->prefs[ps->n].kind = (enum keeld_kind)kind;
		ps->prefs[ps->n].weight = (uint32_t)weight;
		ps->n++;
		line = nl + 1;
	}
	return 0;
}
