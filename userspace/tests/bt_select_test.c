// SPDX-License-Identifier: GPL-2.0
/*
 * keel-bt's selection policy (select.h), as sequences of profiles and
 * counters in and decisions out: the threshold, the budget (hottest
 * first), sites inside a translation left alone, the cool-down and the
 * drop, a site heating up again after its drop, refused sites, a profile
 * that starts again, more sites than it remembers, and a bad policy.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "select.h"
#include "tap.h"

static const struct kbt_sel_policy pol = {
	.threshold = 1000, .budget = 2, .cool = 3,
};

static unsigned int step(struct kbt_sel *s, const struct kbt_sel_site *p,
			 unsigned int n, struct kbt_sel_action *a)
{
	return kbt_sel_step(s, p, n, a, 8);
}

static void bad_policy(void)
{
	struct kbt_sel s;
	struct kbt_sel_policy p;

	memset(&s, 0x5a, sizeof(s));
	p = pol;
	p.threshold = 0;
	ok(kbt_sel_init(&s, &p) == -EINVAL && s.interval == 0x5a5a5a5a5a5a5a5aull,
	   "threshold 0: EINVAL, nothing set");
	p = pol;
	p.budget = 0;
	ok(kbt_sel_init(&s, &p) == -EINVAL, "budget 0: EINVAL");
	p.budget = KBT_SEL_REGIONS + 1;
	ok(kbt_sel_init(&s, &p) == -EINVAL, "budget over %d: EINVAL",
	   KBT_SEL_REGIONS);
	p = pol;
	p.cool = 0;
	ok(kbt_sel_init(&s, &p) == -EINVAL, "cool-down 0: EINVAL");
	ok(kbt_sel_init(&s, NULL) == -EINVAL, "no policy: EINVAL");
}

static void threshold_and_budget(void)
{
	struct kbt_sel s;
	struct kbt_sel_action a[8];
	struct kbt_sel_site p[4] = {
		{ 0x1000, 999 }, { 0x2000, 500 }, { 0x3000, 100 }, { 0x4000, 0 },
	};
	unsigned int n;

	kbt_sel_init(&s, &pol);
	n = step(&s, p, 4, a);
	ok(n == 0, "999 stores in an interval, threshold 1000: nothing (%u)", n);
	p[0].writes = 1999;	/* +1000 */
	p[1].writes = 5500;	/* +5000 */
	p[2].writes = 3100;	/* +3000 */
	n = step(&s, p, 4, a);
	ok(n == 2 && a[0].op == KBT_SEL_TRANSLATE && a[0].rip == 0x2000 &&
	   a[0].stores == 5000 && a[1].rip == 0x3000 && a[1].stores == 3000,
	   "three hot sites, budget 2: the two hottest, hottest first");
	ok(kbt_sel_add(&s, 0x1f00, 0x2100, 0) == 0 &&
	   kbt_sel_add(&s, 0x2f00, 0x3100, 0) == 1,
	   "both translations in place");
	ok(kbt_sel_add(&s, 0x0f00, 0x1100, 0) == -ENOSPC,
	   "a third: ENOSPC, the budget is spent");
	ok(kbt_sel_add(&s, 0x2050, 0x2060, 0) == -EEXIST,
	   "one overlapping a translation: EEXIST");
	ok(kbt_sel_add(&s, 0x5000, 0x5000, 0) == -EINVAL, "an empty one: EINVAL");
	ok(kbt_sel_find(&s, 0x1f00) == 0 && kbt_sel_find(&s, 0x30ff) == 1 &&
	   kbt_sel_find(&s, 0x3100) == -1 && kbt_sel_find(&s, 0x1eff) == -1,
	   "the translation that covers a site, or none");
	p[0].writes = 9999;
	n = step(&s, p, 4, a);
	ok(n == 0, "budget spent: a hot site waits (%u)", n);
	kbt_sel_drop(&s, 1);
	p[0].writes = 20000;	/* +10001 */
	p[1].writes = 99999;	/* inside translation 0, still trapping */
	n = step(&s, p, 4, a);
	ok(n == 1 && a[0].rip == 0x1000,
	   "room for one: not the site inside a translation, however hot");
}

static void cool_down(void)
{
	struct kbt_sel s;
	struct kbt_sel_action a[8];
	struct kbt_sel_site p = { 0x1010, 50000 };
	unsigned int i, n;
	uint64_t c = 0;
	int r;

	kbt_sel_init(&s, &pol);
	n = step(&s, &p, 1, a);
	if (!ok(n == 1 && a[0].rip == 0x1010, "a hot site: translate"))
		return;
	r = kbt_sel_add(&s, 0x1000, 0x1040, 0);
	for (i = 0; i < 5; i++) {
		c += 10000;
		kbt_sel_count(&s, r, c);
		n = step(&s, &p, 1, a);
		if (n)
			break;
	}
	ok(i == 5 && s.reg[r].stores == 50000,
	   "warm for five intervals: kept, 50000 translated stores counted");
	for (i = 1; i <= 3; i++) {
		c += 999;	/* below the threshold: cold */
		kbt_sel_count(&s, r, c);
		n = step(&s, &p, 1, a);
		if (n)
			break;
	}
	ok(i == 3 && n == 1 && a[0].op == KBT_SEL_DROP && a[0].region == (unsigned int)r &&
	   a[0].rip == 0x1000, "cold for three intervals (cool 3): dropped at "
	   "the third (%u)", i);
	n = step(&s, &p, 1, a);
	ok(n == 0, "a drop under way is not proposed twice (%u)", n);
	kbt_sel_drop(&s, r);
	p.writes += 200;
	n = step(&s, &p, 1, a);
	ok(n == 0, "dropped, its site lukewarm: nothing (%u)", n);
	p.writes += 8000;
	n = step(&s, &p, 1, a);
	ok(n == 1 && a[0].op == KBT_SEL_TRANSLATE && a[0].rip == 0x1010 &&
	   a[0].stores == 8000, "hot again: translated again");
	r = kbt_sel_add(&s, 0x1000, 0x1040, 123);
	kbt_sel_count(&s, r, 100);	/* its counter went back: +100 */
	ok(s.reg[r].stores == 100 && s.reg[r].cold == 1,
	   "a counter that went back starts again");
}

static void refused_and_restarted(void)
{
	struct kbt_sel s;
	struct kbt_sel_action a[8];
	struct kbt_sel_site p = { 0x7000, 4000 };
	unsigned int n;

	kbt_sel_init(&s, &pol);
	n = step(&s, &p, 1, a);
	ok(n == 1, "hot: translate");
	kbt_sel_refuse(&s, 0x7000);
	p.writes = 90000;
	n = step(&s, &p, 1, a);
	ok(n == 0, "refused: not proposed again (%u)", n);
	p.rip = 0x8000;
	p.writes = 3000;
	step(&s, &p, 1, a);
	p.writes = 1500;	/* the profile started again */
	n = step(&s, &p, 1, a);
	ok(n == 1 && a[0].stores == 1500,
	   "a profile that starts again: its count is the interval's");
	n = kbt_sel_step(&s, &p, 1, a, 0);
	ok(n == 0, "room for no action: none");
}

static void many_sites(void)
{
	struct kbt_sel s;
	struct kbt_sel_action a[8];
	struct kbt_sel_site p[16];
	unsigned int i, k, n = 0;

	kbt_sel_init(&s, &pol);
	/* 160 sites over 10 intervals, 16 a time, each cold */
	for (k = 0; k < 10; k++) {
		for (i = 0; i < 16; i++)
			p[i] = (struct kbt_sel_site){ 0x10000 + 16 * (k * 16 + i), 10 };
		n += step(&s, p, 16, a);
	}
	ok(n == 0 && s.nsites == KBT_SEL_SITES,
	   "160 cold sites: nothing, %u remembered", s.nsites);
	p[0] = (struct kbt_sel_site){ 0x10000 + 16 * 159, 10 + 1000 };
	n = step(&s, p, 1, a);
	ok(n == 1 && a[0].stores == 1000,
	   "a remembered site: measured from its last count");
	p[0] = (struct kbt_sel_site){ 0x10000, 1005 };
	n = step(&s, p, 1, a);
	ok(n == 1 && a[0].stores == 1005,
	   "an evicted site: counted from 0 again");
}

int main(void)
{
	bad_policy();
	threshold_and_budget();
	cool_down();
	refused_and_restarted();
	many_sites();
	return tap_done();
}
