// SPDX-License-Identifier: GPL-2.0
/*
 * keel-bt's selection policy (select.h): hot sites in, translations and
 * drops out, within a threshold, a budget and a cool-down.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "select.h"

int kbt_sel_init(struct kbt_sel *s, const struct kbt_sel_policy *pol)
{
	if (!s || !pol || !pol->threshold || !pol->budget ||
	    pol->budget > KBT_SEL_REGIONS || !pol->cool)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->pol = *pol;
	return 0;
}

static unsigned int in_place(const struct kbt_sel *s)
{
	unsigned int i, n = 0;

	for (i = 0; i < KBT_SEL_REGIONS; i++)
		n += s->reg[i].used && !s->reg[i].dropping;
	return n;
}

int kbt_sel_find(const struct kbt_sel *s, uint64_t rip)
{
	unsigned int i;

	for (i = 0; i < KBT_SEL_REGIONS; i++)
		if (s->reg[i].used && rip >= s->reg[i].start &&
		    rip < s->reg[i].end)
			return (int)i;
	return -1;
}

int kbt_sel_add(struct kbt_sel *s, uint64_t start, uint64_t end,
		uint64_t count)
{
	unsigned int i, slot = KBT_SEL_REGIONS;

	if (start >= end)
		return -EINVAL;
	for (i = 0; i < KBT_SEL_REGIONS; i++) {
		if (!s->reg[i].used) {
			if (slot == KBT_SEL_REGIONS)
				slot = i;
			continue;
		}
		if (start < s->reg[i].end && s->reg[i].start < end)
			return -EEXIST;
	}
	if (in_place(s) >= s->pol.budget || slot == KBT_SEL_REGIONS)
		return -ENOSPC;
	s->reg[slot] = (struct kbt_sel_region){
		.start = start, .end = end, .count = count, .used = true,
	};
	return (int)slot;
}

void kbt_sel_count(struct kbt_sel *s, unsigned int region, uint64_t count)
{
	struct kbt_sel_region *r;
	uint64_t d;

	if (region >= KBT_SEL_REGIONS || !s->reg[region].used)
		return;
	r = &s->reg[region];
	/* a counter that went back (its memory rewritten) starts again */
	d = count >= r->count ? count - r->count : count;
	r->stores += d;
	r->cold = d >= s->pol.threshold ? 0 : r->cold + 1;
	r->count = count;
}

void kbt_sel_drop(struct kbt_sel *s, unsigned int region)
{
	if (region < KBT_SEL_REGIONS)
		memset(&s->reg[region], 0, sizeof(s->reg[region]));
}

/* The remembered entry of @rip, made if new (evicting the stalest). */
static unsigned int site_of(struct kbt_sel *s, uint64_t rip)
{
	unsigned int i, old = 0;

	for (i = 0; i < s->nsites; i++)
		if (s->site[i].rip == rip)
			return i;
	if (s->nsites < KBT_SEL_SITES) {
		i = s->nsites++;
	} else {
		for (i = 1; i < KBT_SEL_SITES; i++)
			if (s->site[i].seen < s->site[old].seen)
				old = i;
		i = old;
	}
	memset(&s->site[i], 0, sizeof(s->site[i]));
	s->site[i].rip = rip;
	s->site[i].seen = s->interval;
	return i;
}

void kbt_sel_refuse(struct kbt_sel *s, uint64_t rip)
{
	s->site[site_of(s, rip)].refused = true;
}

static int hotter(const void *a, const void *b)
{
	const struct kbt_sel_action *x = a, *y = b;

	return x->stores < y->stores ? 1 : x->stores > y->stores ? -1 : 0;
}

unsigned int kbt_sel_step(struct kbt_sel *s, const struct kbt_sel_site *prof,
			  unsigned int n, struct kbt_sel_action *act,
			  unsigned int max)
{
	struct kbt_sel_action cand[KBT_SEL_SITES];
	unsigned int i, k, nact = 0, ncand = 0, room;

	s->interval++;
	for (i = 0; i < KBT_SEL_REGIONS && nact < max; i++) {
		struct kbt_sel_region *r = &s->reg[i];

		if (!r->used || r->dropping || r->cold < s->pol.cool)
			continue;
		r->dropping = true;
		act[nact++] = (struct kbt_sel_action){
			.op = KBT_SEL_DROP, .region = i, .rip = r->start,
		};
	}
	for (i = 0; i < n; i++) {
		unsigned int j = site_of(s, prof[i].rip);
		uint64_t d = prof[i].writes >= s->site[j].writes ?
			     prof[i].writes - s->site[j].writes : prof[i].writes;

		s->site[j].writes = prof[i].writes;
		s->site[j].seen = s->interval;
		if (d < s->pol.threshold || s->site[j].refused ||
		    kbt_sel_find(s, prof[i].rip) >= 0 || ncand == KBT_SEL_SITES)
			continue;
		cand[ncand++] = (struct kbt_sel_action){
			.op = KBT_SEL_TRANSLATE, .rip = prof[i].rip, .stores = d,
		};
	}
	qsort(cand, ncand, sizeof(cand[0]), hotter);
	room = s->pol.budget - in_place(s);
	for (k = 0; k < ncand && k < room && nact < max; k++)
		act[nact++] = cand[k];
	return nact;
}
