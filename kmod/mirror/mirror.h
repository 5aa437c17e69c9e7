/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel_mirror.ko's one object: a protected range of a VM's guest memory
 * and its mirror (uapi/linux/keel_mirror.h), and what its files share.
 *
 * Paths (Documentation/mirror.rst):
 *
 *	guest store --KVM emulates--> guest page --track_write--> mirror page
 *
 * Locks, outer to inner: @lock, the VMM's mmap lock (taken by the faults
 * of a copy from guest memory), KVM's own (srcu, mmu_lock). Nothing of
 * Keel is taken under a KVM lock except @lock in the page-track callbacks,
 * which KVM calls with only its track_srcu read lock held.
 */
#ifndef _KEEL_MIRROR_H
#define _KEEL_MIRROR_H

#include <linux/kvm_host.h>
#include <linux/list.h>
#include <linux/mutex.h>

#include <keel/core.h>
#include <linux/keel_mirror.h>

/**
 * struct keel_mirror_counts - statistics, the object's info snapshot
 * @gpa: the first byte of the range
 * @protected_bytes: the range's length
 * @mirror_bytes: mirror pages held
 * @guest_writes: guest writes KVM emulated and reported in the range
 * @guest_bytes: their bytes
 * @lost_pages: pages whose memslot was deleted or moved: no longer
 *	tracked, their mirror kept as it was
 */
struct keel_mirror_counts {
	u64 gpa;
	u64 protected_bytes;
	u64 mirror_bytes;
	u64 guest_writes;
	u64 guest_bytes;
	u64 lost_pages;
};

/**
 * struct keel_mirror_track - Keel's page-track notifier of one object
 * @node: KVM's notifier node (registered while @registered)
 * @registered: set up and teardown only
 * @kvm: the VM
 *
 * track.c owns it: KVM's callbacks differ between kernels, track.c turns
 * them into keel_mirror_written() and keel_mirror_slot_gone().
 */
struct keel_mirror_track {
	struct kvm_page_track_notifier_node node;
	bool registered;
	struct kvm *kvm;
};

/**
 * struct keel_mirror - one protected range (one open file)
 * @inst: the base: object, VM reference
 * @gfn: the range's first guest frame
 * @npages: its pages
 * @lock: protects @pages' content, @tracked, @lost and @c
 * @pages: the mirror, one page per guest page (allocated at setup)
 * @tracked: pages Keel write-tracks (and must untrack)
 * @lost: pages whose memslot went: never tracked again
 * @c: statistics
 * @track: the page-track notifier
 * @node: in the module's list of ranges, under keel_mirror_ranges_lock
 *
 * Set up once, constant afterwards but for what @lock protects; torn down
 * once, by the feature's teardown.
 */
struct keel_mirror {
	struct keel_inst inst;
	gfn_t gfn;
	unsigned long npages;
	/* protects @pages' content, @tracked, @lost and @c */
	struct mutex lock;
	struct page **pages;
	unsigned long *tracked;
	unsigned long *lost;
	struct keel_mirror_counts c;
	struct keel_mirror_track track;
	struct list_head node;
};

#define keel_mirror_of(i)	container_of(i, struct keel_mirror, inst)

/* A guest-physical address in @m's range. */
static inline bool keel_mirror_covers(const struct keel_mirror *m, gpa_t gpa)
{
	return gpa_to_gfn(gpa) - m->gfn < m->npages;
}

/* track.c: write tracking of the range's pages and KVM's callbacks */
int keel_mirror_track_start(struct keel_mirror *m);
int keel_mirror_track_pages(struct keel_mirror *m);
void keel_mirror_track_stop(struct keel_mirror *m);

/* store.c: the mirror pages */
int keel_mirror_store_alloc(struct keel_mirror *m);
void keel_mirror_store_free(struct keel_mirror *m);
int keel_mirror_store_fill(struct keel_mirror *m);
void keel_mirror_written(struct keel_mirror *m, gpa_t gpa, const u8 *new,
			 int bytes);
void keel_mirror_slot_gone(struct keel_mirror *m, gfn_t gfn,
			   unsigned long npages);
int keel_mirror_store_read(struct keel_mirror *m, gpa_t gpa, u64 len,
			   void __user *buf);

#endif /* _KEEL_MIRROR_H */
