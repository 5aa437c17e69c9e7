// SPDX-License-Identifier: GPL-2.0
/*
 * Write tracking of a protected range: Keel's page-track notifier on the
 * VM, and the range's pages write-tracked, so that KVM emulates every
 * guest store to them and reports it (Documentation/mirror.rst says
 * which stores that is). KVM's callbacks differ between kernels (6.6
 * dropped the vCPU, which kvm_get_running_vcpu() gives, and turned "flush
 * slot" into "remove region"); they end here in keel_mirror_written(),
 * with the store's linear RIP (the emulator has not moved RIP past it
 * when it reports the write), and keel_mirror_slot_gone().
 *
 * Order: the notifier is registered before the first page is tracked and
 * unregistered after the last is untracked, so no report of a tracked
 * page is missed. A page is untracked only if Keel tracked it and its
 * memslot did not go meanwhile (its tracking went with the memslot; a
 * new memslot at its place tracks nothing of Keel's).
 */
#include <linux/kvm_host.h>
#include <linux/sched.h>

#include "../compat/keel_compat.h"
#include "mirror.h"

#define keel_mirror_of_node(n) \
	container_of(n, struct keel_mirror, track.node)

#ifdef KEEL_HAVE_KVM_WRITE_TRACK_GFN
static void keel_mirror_track_write(gpa_t gpa, const u8 *new, int bytes,
				    struct kvm_page_track_notifier_node *n)
#else
static void keel_mirror_track_write(struct kvm_vcpu *vcpu, gpa_t gpa,
				    const u8 *new, int bytes,
				    struct kvm_page_track_notifier_node *n)
#endif
{
#ifdef KEEL_HAVE_KVM_WRITE_TRACK_GFN
	struct kvm_vcpu *vcpu = kvm_get_running_vcpu();
#endif
	struct keel_mirror *m = keel_mirror_of_node(n);

	if (keel_mirror_covers(m, gpa))
		keel_mirror_written(m, gpa, new, bytes,
				    vcpu ? kvm_get_linear_rip(vcpu) : 0);
}

#ifdef KEEL_HAVE_KVM_WRITE_TRACK_GFN
static void keel_mirror_track_remove_region(gfn_t gfn, unsigned long nr_pages,
					    struct kvm_page_track_notifier_node *n)
{
	keel_mirror_slot_gone(keel_mirror_of_node(n), gfn, nr_pages);
}
#else
static void keel_mirror_track_flush_slot(struct kvm *kvm,
					 struct kvm_memory_slot *slot,
					 struct kvm_page_track_notifier_node *n)
{
	keel_mirror_slot_gone(keel_mirror_of_node(n), slot->base_gfn,
			      slot->npages);
}
#endif

/* Register the notifier: in the VMM's address space (6.6 wants it). */
int keel_mirror_track_start(struct keel_mirror *m)
{
	struct kvm *kvm = m->inst.kvm;
	int ret;

	m->track.node.track_write = keel_mirror_track_write;
#ifdef KEEL_HAVE_KVM_WRITE_TRACK_GFN
	m->track.node.track_remove_region = keel_mirror_track_remove_region;
#else
	m->track.node.track_flush_slot = keel_mirror_track_flush_slot;
#endif
	ret = keel_page_track_register(kvm, &m->track.node);
	if (ret)
		return ret;
	m->track.registered = true;
	return 0;
}

/* Track every page of the range; -ENOENT when one is in no memslot. */
int keel_mirror_track_pages(struct keel_mirror *m)
{
	unsigned long i;
	int ret = 0;

	for (i = 0; i < m->npages && !ret; i++) {
		mutex_lock(&m->lock);
		/* its memslot went since the check: not tracked */
		if (test_bit(i, m->lost))
			ret = -ENOENT;
		else if (keel_write_track_add(m->inst.kvm, m->gfn + i))
			ret = -ENOENT;
		else
			__set_bit(i, m->tracked);
		mutex_unlock(&m->lock);
		cond_resched();
	}
	return ret;
}

/* Untrack what is tracked, then unregister: also after a partial start. */
void keel_mirror_track_stop(struct keel_mirror *m)
{
	unsigned long i;

	for (i = 0; m->tracked && i < m->npages; i++) {
		mutex_lock(&m->lock);
		if (test_bit(i, m->tracked) && !test_bit(i, m->lost))
			keel_write_track_remove(m->inst.kvm, m->gfn + i);
		__clear_bit(i, m->tracked);
		mutex_unlock(&m->lock);
		cond_resched();
	}
	if (m->track.registered)
		keel_page_track_unregister(m->inst.kvm, &m->track.node);
	m->track.registered = false;
}
