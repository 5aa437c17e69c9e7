// SPDX-License-Identifier: GPL-2.0
/*
 * A protected range in the state framework: its keel_state_ops.
 *
 * STOP ends the range's periodic work (the check of its mirror pages and
 * the harvest of its dirty log, scrub.c) until RESUME; the writes of the
 * guest and the VMM still reach the mirror while it is stopped, since a
 * mirror that missed one would be wrong for good. SAVE writes the range
 * it is for, its counters and its whole hot-spot profile; LOAD, on a
 * range set up at the same guest-physical addresses (of the VM on the
 * other side of a migration, or of this one rolled back), makes those
 * its counters and its profile. The mirror's bytes are not saved: they
 * are the guest's, and setup copied them on the loading side. Section
 * layouts: uapi/linux/keel_mirror.h, Documentation/mirror.rst.
 */
#include <linux/kernel.h>
#include <linux/keel_state.h>

#include "mirror.h"

#define KEEL_MIRROR_SAVED_MAX_LEN					\
	(sizeof(struct keel_state_header) +				\
	 3 * sizeof(struct keel_state_section) +			\
	 sizeof(struct keel_mirror_saved_range) +			\
	 sizeof(struct keel_mirror_saved_counts) +			\
	 KEEL_MIRROR_SAVED_HOT_MAX * sizeof(struct keel_mirror_saved_hot))

static struct keel_mirror *keel_mirror_of_state(struct keel_state *st)
{
	return keel_mirror_of(keel_inst_of_state(st));
}

static void keel_mirror_state_stop(struct keel_state *st)
{
	keel_mirror_scrub_stop(keel_mirror_of_state(st));
}

static int keel_mirror_state_resume(struct keel_state *st)
{
	keel_mirror_scrub_start(keel_mirror_of_state(st));
	return 0;
}

static void keel_mirror_counts_save(const struct keel_mirror_counts *c,
				    struct keel_mirror_saved_counts *s)
{
	s->guest_writes = cpu_to_le64(c->guest_writes);
	s->guest_bytes = cpu_to_le64(c->guest_bytes);
	s->repaired_pages = cpu_to_le64(c->repaired_pages);
	s->repair_ns = cpu_to_le64(c->repair_ns);
	s->repair_max_ns = cpu_to_le64(c->repair_max_ns);
	s->vmm_writes = cpu_to_le64(c->vmm_writes);
	s->vmm_bytes = cpu_to_le64(c->vmm_bytes);
	s->hot_uncounted = cpu_to_le64(c->hot_uncounted);
	s->signals_kept = cpu_to_le64(c->signals_kept);
	s->mirror_rebuilt = cpu_to_le64(c->mirror_rebuilt);
	s->scrub_passes = cpu_to_le64(c->scrub_passes);
	s->scrub_ns = cpu_to_le64(c->scrub_ns);
	s->log_harvests = cpu_to_le64(c->log_harvests);
	s->log_pages = cpu_to_le64(c->log_pages);
	s->compare_pages = cpu_to_le64(c->compare_pages);
}

static void keel_mirror_counts_load(struct keel_mirror_counts *c,
				    const struct keel_mirror_saved_counts *s)
{
	c->guest_writes = le64_to_cpu(s->guest_writes);
	c->guest_bytes = le64_to_cpu(s->guest_bytes);
	c->repaired_pages = le64_to_cpu(s->repaired_pages);
	c->repair_ns = le64_to_cpu(s->repair_ns);
	c->repair_max_ns = le64_to_cpu(s->repair_max_ns);
	c->vmm_writes = le64_to_cpu(s->vmm_writes);
	c->vmm_bytes = le64_to_cpu(s->vmm_bytes);
	c->hot_uncounted = le64_to_cpu(s->hot_uncounted);
	c->signals_kept = le64_to_cpu(s->signals_kept);
	c->mirror_rebuilt = le64_to_cpu(s->mirror_rebuilt);
	c->scrub_passes = le64_to_cpu(s->scrub_passes);
	c->scrub_ns = le64_to_cpu(s->scrub_ns);
	c->log_harvests = le64_to_cpu(s->log_harvests);
	c->log_pages = le64_to_cpu(s->log_pages);
	c->compare_pages = le64_to_cpu(s->compare_pages);
}

static int keel_mirror_state_save(struct keel_state *st,
				  struct keel_state_writer *w)
{
	struct keel_mirror *m = keel_mirror_of_state(st);
	struct keel_mirror_saved_range range = {
		.gpa = cpu_to_le64(gfn_to_gpa(m->gfn)),
		.len = cpu_to_le64(keel_mirror_len(m)),
		.setup_flags = cpu_to_le32((m->c.repair ?
					    KEEL_MIRROR_SETUP_REPAIR : 0) |
					   (m->c.compare ?
					    KEEL_MIRROR_SETUP_COMPARE : 0)),
	};
	struct keel_mirror_saved_counts counts;
	struct keel_mirror_saved_hot *hot;
	int ret;

	ret = keel_state_put(w, KEEL_MIRROR_SEC_RANGE, 1, &range,
			     sizeof(range));
	if (ret)
		return ret;
	/* one snapshot of the counters and the profile */
	mutex_lock(&m->lock);
	keel_mirror_counts_save(&m->c, &counts);
	ret = keel_state_put(w, KEEL_MIRROR_SEC_COUNTS, 1, &counts,
			     sizeof(counts));
	hot = ret ? NULL : keel_state_sec_begin(w, KEEL_MIRROR_SEC_HOT, 1,
						m->c.hot_sites * sizeof(*hot));
	if (hot)
		keel_mirror_hot_save(m, hot);
	mutex_unlock(&m->lock);
	return ret ?: keel_state_sec_end(w);
}

/* The profile's sites: each with writes, none twice. */
static int keel_mirror_hot_check(const struct keel_state_sec *sec,
				 const char **why)
{
	const struct keel_mirror_saved_hot *hot = sec->data;
	u32 i, j, n = sec->len / sizeof(*hot);

	if (sec->len % sizeof(*hot) || n > KEEL_MIRROR_SAVED_HOT_MAX) {
		*why = "mirror: the hot-spot profile's length is not whole sites, or too many";
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (!hot[i].writes) {
			*why = "mirror: a hot-spot site without writes";
			return -EINVAL;
		}
		/* 256 sites at most: the square is 32k compares */
		for (j = 0; j < i; j++) {
			if (hot[j].rip == hot[i].rip) {
				*why = "mirror: a hot-spot site appears twice";
				return -EINVAL;
			}
		}
	}
	return 0;
}

static int keel_mirror_state_check(struct keel_state *st,
				   const struct keel_state_blob *b,
				   const char **why)
{
	struct keel_mirror *m = keel_mirror_of_state(st);
	const struct keel_mirror_saved_range *range =
		keel_state_find(b, KEEL_MIRROR_SEC_RANGE)->data;

	if (le64_to_cpu(range->gpa) != gfn_to_gpa(m->gfn) ||
	    le64_to_cpu(range->len) != keel_mirror_len(m)) {
		*why = "mirror: the blob is of a range at other addresses";
		return -EINVAL;
	}
	if (le32_to_cpu(range->setup_flags) & ~KEEL_MIRROR_SETUP_FLAGS_ALL ||
	    range->pad) {
		*why = "mirror: unknown setup flags or padding in the range";
		return -EINVAL;
	}
	return keel_mirror_hot_check(keel_state_find(b, KEEL_MIRROR_SEC_HOT),
				     why);
}

static void keel_mirror_state_load(struct keel_state *st,
				   const struct keel_state_blob *b)
{
	struct keel_mirror *m = keel_mirror_of_state(st);
	const struct keel_state_sec *hot = keel_state_find(b, KEEL_MIRROR_SEC_HOT);

	mutex_lock(&m->lock);
	keel_mirror_counts_load(&m->c,
				keel_state_find(b, KEEL_MIRROR_SEC_COUNTS)->data);
	keel_mirror_hot_load(m, hot->data,
			     hot->len / sizeof(struct keel_mirror_saved_hot));
	mutex_unlock(&m->lock);
}

const struct keel_state_ops keel_mirror_state_ops = {
	.type = KEEL_STATE_TYPE_MIRROR,
	.max_len = KEEL_MIRROR_SAVED_MAX_LEN,
	.secs = (const struct keel_state_sec_desc[]){
		{ KEEL_MIRROR_SEC_RANGE, 1, true,
		  sizeof(struct keel_mirror_saved_range) },
		{ KEEL_MIRROR_SEC_COUNTS, 1, true,
		  sizeof(struct keel_mirror_saved_counts) },
		{ KEEL_MIRROR_SEC_HOT, 1, true, 0 },
	},
	.nr_secs = 3,
	.stop = keel_mirror_state_stop,
	.resume = keel_mirror_state_resume,
	.save = keel_mirror_state_save,
	.check = keel_mirror_state_check,
	.load = keel_mirror_state_load,
};
