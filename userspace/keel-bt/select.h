/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel-bt's choice of what to translate and what to drop: from
 * keel_mirror's hot-spot profile (each store site's trapped stores so
 * far), the sites hot enough to translate, within a budget; from the
 * translations' counters (kbt_config.count_addr), those gone cold. Plain
 * C without the decoder, so that a statically linked VMM can use it. The
 * caller runs it once per interval of its choosing, carries out what it
 * decides (kbt_find_loop(), kbt_translate(), the entry jump and its
 * removal) and reports the outcome (kbt_sel_add(), kbt_sel_refuse(),
 * kbt_sel_drop()). Documentation/bt.rst, "Selection".
 */
#ifndef KEEL_BT_SELECT_H
#define KEEL_BT_SELECT_H

#include <stdbool.h>
#include <stdint.h>

#define KBT_SEL_SITES	64	/* store sites remembered */
#define KBT_SEL_REGIONS	16	/* the largest budget */

struct kbt_sel_policy {
	/*
	 * Stores in one interval that make a site hot (trapped stores of
	 * an untranslated site) or keep a translation warm (its counter's
	 * growth): at least 1.
	 */
	uint64_t threshold;
	uint32_t budget;	/* translations at once: 1..KBT_SEL_REGIONS */
	uint32_t cool;		/* cold intervals in a row before a drop: >= 1 */
};

/* One entry of the profile: a store site and its trapped stores so far. */
struct kbt_sel_site {
	uint64_t rip;
	uint64_t writes;
};

enum kbt_sel_op {
	KBT_SEL_TRANSLATE,	/* translate the loop around rip */
	KBT_SEL_DROP,		/* remove translation number region */
};

struct kbt_sel_action {
	uint32_t op;		/* enum kbt_sel_op */
	uint32_t region;	/* KBT_SEL_DROP: kbt_sel_add()'s number */
	uint64_t rip;		/* KBT_SEL_TRANSLATE: the hot site */
	uint64_t stores;	/* the interval's stores that decided it */
};

/* A translation in place. */
struct kbt_sel_region {
	uint64_t start, end;	/* the original code it covers */
	uint64_t count;		/* its counter when last seen */
	uint64_t stores;	/* translated stores while it was in place */
	uint32_t cold;		/* cold intervals in a row */
	bool used, dropping;
};

struct kbt_sel {
	struct kbt_sel_policy pol;
	uint64_t interval;	/* kbt_sel_step() calls */
	struct {
		uint64_t rip, writes, seen;
		bool refused;
	} site[KBT_SEL_SITES];
	unsigned int nsites;
	struct kbt_sel_region reg[KBT_SEL_REGIONS];
};

/* 0, or -EINVAL for a policy out of its bounds (nothing set). */
int kbt_sel_init(struct kbt_sel *s, const struct kbt_sel_policy *pol);

/*
 * The translation [start, end) is in place, its counter at count: its
 * number (>= 0), or -EEXIST (it overlaps one in place), -ENOSPC (the
 * budget is spent), -EINVAL (an empty range).
 */
int kbt_sel_add(struct kbt_sel *s, uint64_t start, uint64_t end,
		uint64_t count);

/*
 * Translation @region's counter now, once per interval before
 * kbt_sel_step(): growth below pol.threshold is a cold interval.
 */
void kbt_sel_count(struct kbt_sel *s, unsigned int region, uint64_t count);

/* The translation in place that covers @rip, or -1. */
int kbt_sel_find(const struct kbt_sel *s, uint64_t rip);

/* The site could not be translated: it is not proposed again. */
void kbt_sel_refuse(struct kbt_sel *s, uint64_t rip);

/* Translation @region was removed. */
void kbt_sel_drop(struct kbt_sel *s, unsigned int region);

/*
 * One interval: the profile (cumulative, as keel_mirror reports it; a
 * count below the last one means the profile started again) in, at most
 * @max actions out (a site seen for the first time counts all its
 * stores so far as the interval's): drops of translations that stayed cold for
 * pol.cool intervals, then translations of the hottest sites (at least
 * pol.threshold trapped stores in the interval, outside every translation
 * in place, not refused), hottest first, as many as the budget leaves.
 * Returns the number of actions.
 */
unsigned int kbt_sel_step(struct kbt_sel *s, const struct kbt_sel_site *prof,
			  unsigned int n, struct kbt_sel_action *act,
			  unsigned int max);

#endif /* KEEL_BT_SELECT_H */
