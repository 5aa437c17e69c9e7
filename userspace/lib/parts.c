// SPDX-License-Identifier: GPL-2.0
/*
 * KEEL_A_PARTS: the loaded Keel modules, as both VERSION_GET and HOST_GET
 * report them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const enum mnl_attr_data_type part_policy[] = {
	[KEEL_PART_A_NAME] = MNL_TYPE_NUL_STRING,
	[KEEL_PART_A_OBJECTS] = MNL_TYPE_U32,
};

int keel_parts_parse(const struct nlattr *nest, struct keel_parts *p)
{
	const struct nlattr *tb[KEEL_LAST_INDEX(part_policy) + 1];
	const struct nlattr *a;
	size_t n;
	int ret = 0;

	memset(p, 0, sizeof(*p));
	if (!nest)
		return 0;

	n = keel_attr_count(nest, KEEL_A_PART);
	if (!n)
		return 0;
	p->v = calloc(n, sizeof(*p->v));
	if (!p->v)
		return -ENOMEM;

	mnl_attr_for_each_nested(a, nest) {
		struct keel_part *part;

		if (mnl_attr_get_type(a) != KEEL_A_PART)
			continue;
		if (mnl_attr_validate(a, MNL_TYPE_NESTED) < 0 ||
		    keel_attr_parse_nested(a, part_policy,
					   KEEL_LAST_INDEX(part_policy), tb) ||
		    !tb[KEEL_PART_A_NAME]) {
			ret = -EPROTO;
			break;
		}
		part = &p->v[p->n++];
		part->name = keel_attr_strdup(tb[KEEL_PART_A_NAME], &ret);
		if (tb[KEEL_PART_A_OBJECTS])
			part->objects = mnl_attr_get_u32(tb[KEEL_PART_A_OBJECTS]);
		if (ret)
			break;
	}

	if (ret)
		keel_parts_free(p);
	return ret;
}

void keel_parts_free(struct keel_parts *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->v[i].name);
	free(p->v);
	memset(p, 0, sizeof(*p));
}

const struct keel_part *keel_parts_find(const struct keel_parts *p,
					const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		if (p->v[i].name && !strcmp(p->v[i].name, name))
			return &p->v[i];
	}
	return NULL;
}
