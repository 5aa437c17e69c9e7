/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-API difference Keel cares about, in one place. The
 * KEEL_HAVE_* macros come from keel_compat_gen.h, generated at build time
 * by compiling the probes in kmod/compat/probes/ against the target's own
 * headers (never from LINUX_VERSION_CODE: distributions backport).
 *
 * Keel's use of KVM's exports also goes through here, so that kernels
 * which narrow those exports need changes in one file only.
 */
#ifndef _KEEL_COMPAT_H
#define _KEEL_COMPAT_H

#include <linux/eventfd.h>
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <net/genetlink.h>
#include <asm/kvm_page_track.h>

#include "keel_compat_gen.h"

/* Attributes of a dump request, parsed by the genetlink core. */
static inline struct nlattr **keel_genl_dump_attrs(struct netlink_callback *cb)
{
#ifdef KEEL_HAVE_GENL_DUMPIT_INFO_INFO
	return genl_dumpit_info(cb)->info.attrs;
#else
	return genl_dumpit_info(cb)->attrs;
#endif
}

/* Signal an eventfd once (the counter argument went away in 6.8). */
static inline void keel_eventfd_signal(struct eventfd_ctx *ctx)
{
#ifdef KEEL_HAVE_EVENTFD_SIGNAL_1ARG
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/* Set VMA flags in ->mmap (a VMA's flags became write-protected in 6.3). */
static inline void keel_vm_flags_set(struct vm_area_struct *vma,
				     vm_flags_t flags)
{
#ifdef KEEL_HAVE_VM_FLAGS_SET
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

static inline void keel_vm_flags_clear(struct vm_area_struct *vma,
				       vm_flags_t flags)
{
#ifdef KEEL_HAVE_VM_FLAGS_SET
	vm_flags_clear(vma, flags);
#else
	vma->vm_flags &= ~flags;
#endif
}

/*
 * Keep out of @vma the page faults that take only its own lock (6.4+):
 * with the mmap lock held for writing, the VMA is then Keel's alone until
 * that lock is dropped. Before 6.4 every fault took the mmap lock.
 */
static inline void keel_vma_start_write(struct vm_area_struct *vma)
{
#ifdef KEEL_HAVE_VMA_START_WRITE
	vma_start_write(vma);
#else
	mmap_assert_write_locked(vma->vm_mm);
#endif
}

static inline bool keel_file_is_kvm(struct file *file)
{
	return file_is_kvm(file);
}

static inline void keel_kvm_get(struct kvm *kvm)
{
	kvm_get_kvm(kvm);
}

static inline void keel_kvm_put(struct kvm *kvm)
{
	kvm_put_kvm(kvm);
}

/* Unmap one page of @vma (a poisoned one's entry too), mmap lock held. */
static inline void keel_zap_page(struct vm_area_struct *vma,
				 unsigned long addr)
{
#ifdef KEEL_HAVE_ZAP_PAGE_RANGE
	zap_page_range(vma, addr, PAGE_SIZE);
#else
	zap_page_range_single(vma, addr, PAGE_SIZE, NULL);
#endif
}

/*
 * The page at @addr of @mm, referenced, with its mmap lock held (-EHWPOISON
 * for a poisoned one with FOLL_HWPOISON): 6.5 dropped the vmas argument.
 */
static inline long keel_get_user_page(struct mm_struct *mm,
				      unsigned long addr,
				      unsigned int gup_flags,
				      struct page **page)
{
#ifdef KEEL_HAVE_GUP_REMOTE_NO_VMAS
	return get_user_pages_remote(mm, addr, 1, gup_flags, page, NULL);
#else
	return get_user_pages_remote(mm, addr, 1, gup_flags, page, NULL,
				     NULL);
#endif
}

/*
 * Write tracking (CONFIG_KVM_EXTERNAL_WRITE_TRACKING): KVM emulates every
 * guest write to a tracked frame and reports it to the VM's page-track
 * notifiers. 6.6 replaced the per-slot calls, which want kvm->srcu and
 * mmu_lock held, with calls by gfn that take them. 0, or -EINVAL when
 * the frame is in no memslot (or one being deleted).
 */
static inline int keel_write_track_add(struct kvm *kvm, gfn_t gfn)
{
#ifdef KEEL_HAVE_KVM_WRITE_TRACK_GFN
	return kvm_write_track_add_gfn(kvm, gfn);
#else
	struct kvm_memory_slot *slot;
	int idx, ret = -EINVAL;

	idx = srcu_read_lock(&kvm->srcu);
	slot = gfn_to_memslot(kvm, gfn);
	if (slot && !(slot->flags & KVM_MEMSLOT_INVALID)) {
		write_lock(&kvm->mmu_lock);
		kvm_slot_page_track_add_page(kvm, slot, gfn,
					     KVM_PAGE_TRACK_WRITE);
		write_unlock(&kvm->mmu_lock);
		ret = 0;
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return ret;
#endif
}

/* Undo one keel_write_track_add() of @gfn, whose memslot is still there. */
static inline void keel_write_track_remove(struct kvm *kvm, gfn_t gfn)
{
#ifdef KEEL_HAVE_KVM_WRITE_TRACK_GFN
	kvm_write_track_remove_gfn(kvm, gfn);
#else
	struct kvm_memory_slot *slot;
	int idx;

	idx = srcu_read_lock(&kvm->srcu);
	slot = gfn_to_memslot(kvm, gfn);
	if (slot) {
		write_lock(&kvm->mmu_lock);
		kvm_slot_page_track_remove_page(kvm, slot, gfn,
						KVM_PAGE_TRACK_WRITE);
		write_unlock(&kvm->mmu_lock);
	}
	srcu_read_unlock(&kvm->srcu, idx);
#endif
}

/*
 * A page-track notifier of @kvm. From 6.6 it must be registered from the
 * VM's own address space (-ESRCH otherwise) and holds a VM reference
 * until unregistered. Unregistering waits for running callbacks.
 */
static inline int keel_page_track_register(struct kvm *kvm,
					   struct kvm_page_track_notifier_node *n)
{
#ifdef KEEL_HAVE_KVM_WRITE_TRACK_GFN
	return kvm_page_track_register_notifier(kvm, n);
#else
	kvm_page_track_register_notifier(kvm, n);
	return 0;
#endif
}

static inline void keel_page_track_unregister(struct kvm *kvm,
					      struct kvm_page_track_notifier_node *n)
{
	kvm_page_track_unregister_notifier(kvm, n);
}

#endif /* _KEEL_COMPAT_H */
