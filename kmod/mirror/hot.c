// SPDX-License-Identifier: GPL-2.0
/*
 * The hot-spot profile of a protected range: its trapped guest stores
 * counted per code site (the store's linear RIP), the input that
 * binary translation of write hot spots needs. A fixed table per range,
 * open addressing with a short probe: a site that finds no slot is not
 * counted on its own but in @hot_uncounted, so the profile's cost stays
 * bounded whatever the guest runs. The top sites, most writes first,
 * reach netlink through the object's info; the whole profile moves with
 * the range's state (state.c).
 */
#include <linux/bits.h>
#include <linux/hash.h>
#include <linux/slab.h>
#include <linux/sort.h>

#include "mirror.h"

#define KEEL_MIRROR_HOT_BITS	8
#define KEEL_MIRROR_HOT_SLOTS	BIT(KEEL_MIRROR_HOT_BITS)
#define KEEL_MIRROR_HOT_PROBE	8

static_assert(KEEL_MIRROR_HOT_SLOTS == KEEL_MIRROR_SAVED_HOT_MAX);

int keel_mirror_hot_alloc(struct keel_mirror *m)
{
	m->hot = kcalloc(KEEL_MIRROR_HOT_SLOTS, sizeof(*m->hot),
			 KEEL_GFP_CHARGED);
	return m->hot ? 0 : -ENOMEM;
}

void keel_mirror_hot_free(struct keel_mirror *m)
{
	kfree(m->hot);
	m->hot = NULL;
}

/*
 * @writes stores of the site at @rip, the last to @gpa: false when the
 * site has no slot.
 */
static bool keel_mirror_hot_add(struct keel_mirror *m, u64 rip, u64 writes,
				gpa_t gpa)
{
	u32 i, h = hash_64(rip, KEEL_MIRROR_HOT_BITS);
	struct keel_mirror_hot *e;

	lockdep_assert_held(&m->lock);
	for (i = 0; i < KEEL_MIRROR_HOT_PROBE; i++) {
		e = &m->hot[(h + i) & (KEEL_MIRROR_HOT_SLOTS - 1)];
		if (!e->writes) {
			e->rip = rip;
			m->c.hot_sites++;
		} else if (e->rip != rip) {
			continue;
		}
		e->writes += writes;
		e->gpa = gpa;
		return true;
	}
	return false;
}

/* A trapped store of the site at @rip to @gpa; @rip 0: not known. */
void keel_mirror_hot_count(struct keel_mirror *m, u64 rip, gpa_t gpa)
{
	if (!keel_mirror_hot_add(m, rip, 1, gpa))
		m->c.hot_uncounted++;
}

/*
 * Every site of the profile into @out (room for KEEL_MIRROR_HOT_SLOTS,
 * as many as @m->c.hot_sites are written), in table order.
 */
void keel_mirror_hot_save(struct keel_mirror *m,
			  struct keel_mirror_saved_hot *out)
{
	u32 i;

	lockdep_assert_held(&m->lock);
	for (i = 0; i < KEEL_MIRROR_HOT_SLOTS; i++) {
		if (!m->hot[i].writes)
			continue;
		out->rip = cpu_to_le64(m->hot[i].rip);
		out->writes = cpu_to_le64(m->hot[i].writes);
		out->gpa = cpu_to_le64(m->hot[i].gpa);
		out++;
	}
}

/*
 * The profile becomes the @n sites of @in (no site twice, none without
 * writes: checked by the caller). A site that finds no slot, as the same
 * site would not while counting, is added to @hot_uncounted.
 */
void keel_mirror_hot_load(struct keel_mirror *m,
			  const struct keel_mirror_saved_hot *in, u32 n)
{
	u64 writes;
	u32 i;

	lockdep_assert_held(&m->lock);
	memset(m->hot, 0, KEEL_MIRROR_HOT_SLOTS * sizeof(*m->hot));
	m->c.hot_sites = 0;
	for (i = 0; i < n; i++) {
		writes = le64_to_cpu(in[i].writes);
		if (!keel_mirror_hot_add(m, le64_to_cpu(in[i].rip), writes,
					 le64_to_cpu(in[i].gpa)))
			m->c.hot_uncounted += writes;
	}
}

static int keel_mirror_hot_cmp(const void *a, const void *b)
{
	const struct keel_mirror_hot *x = a, *y = b;

	if (x->writes != y->writes)
		return x->writes > y->writes ? -1 : 1;
	return x->rip < y->rip ? -1 : x->rip > y->rip;
}

/* The top sites into @top (KEEL_MIRROR_HOTSPOTS_MAX); how many. */
u32 keel_mirror_hot_top(struct keel_mirror *m, struct keel_mirror_hot *top)
{
	u32 i, n = 0;

	lockdep_assert_held(&m->lock);
	for (i = 0; i < KEEL_MIRROR_HOT_SLOTS; i++) {
		if (!m->hot[i].writes)
			continue;
		if (n < KEEL_MIRROR_HOTSPOTS_MAX)
			top[n++] = m->hot[i];
		else if (keel_mirror_hot_cmp(&m->hot[i], &top[n - 1]) < 0)
			top[n - 1] = m->hot[i];
		else
			continue;
		/* keep @top sorted: its last entry is the one to beat */
		sort(top, n, sizeof(*top), keel_mirror_hot_cmp, NULL);
	}
	return n;
}

/* The trapped stores of the profile's sites in [@start, @end). */
u64 keel_mirror_hot_within(struct keel_mirror *m, u64 start, u64 end)
{
	u64 writes = 0;
	u32 i;

	lockdep_assert_held(&m->lock);
	for (i = 0; i < KEEL_MIRROR_HOT_SLOTS; i++)
		if (m->hot[i].writes && m->hot[i].rip >= start &&
		    m->hot[i].rip < end)
			writes += m->hot[i].writes;
	return writes;
}
