// SPDX-License-Identifier: GPL-2.0
/*
 * Repair of a protected page lost to a memory failure: the VMM's mapping
 * of the guest page holds a poison entry (memory_failure() unmapped the
 * failed page and KVM's mappings of it with it); Keel drops that entry
 * and faults in at its place a fresh page that is filled before it is
 * mapped: nothing - a vCPU through KVM's lockless GUP-fast, a VMM thread,
 * vhost - can see it empty. All under the VMM's mmap lock held for
 * writing and the VMA's own lock, which keep out every other fault on
 * the VMA meanwhile. The failure of a page does not take those locks: a
 * fresh page that fails at once is replaced again.
 * The range's lock keeps the mirror still meanwhile: a guest write being
 * mirrored finishes first.
 *
 * Lock order: the range's lock, then the mmap lock (as for every copy
 * from guest memory, store.c).
 */
#include <linux/kvm_host.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/timekeeping.h>

#include "../compat/keel_compat.h"
#include "mirror.h"

/*
 * A page that fails again while it is being replaced is replaced again,
 * this many times in all: madvise(MADV_HWPOISON) and memory failures do
 * not take the mmap lock.
 */
#define KEEL_MIRROR_REPAIR_TRIES	8

/*
 * The fresh page is made the way a private file mapping gets its page on
 * a write fault: the fault path allocates it, copies the source page
 * into it (machine-check safe on 6.12), and only then maps it, as an
 * anonymous page of the VMA like any other. For the one fault Keel makes,
 * the anonymous VMA lends these operations, and its private data the
 * mirror page, which the fault handler gives as the source; with the mmap
 * lock held for writing and the VMA write-locked, no other fault can run
 * on the VMA until it has its own back.
 */
static vm_fault_t keel_mirror_fill_fault(struct vm_fault *vmf)
{
	struct page *src = vmf->vma->vm_private_data;

	get_page(src);
	vmf->page = src;
	return 0;
}

static const struct vm_operations_struct keel_mirror_fill_ops = {
	.fault = keel_mirror_fill_fault,
};

/*
 * Replace the poisoned page at @hva of @mm with a copy of @src: 0,
 * -EHWPOISON when the fresh page failed too (the caller replaces it
 * again), -EIO when the mirror page itself has failed.
 */
static int keel_mirror_replace(struct mm_struct *mm, unsigned long hva,
			       struct page *src)
{
	struct vm_area_struct *vma = vma_lookup(mm, hva);
	vm_fault_t fault;
	void *private;

	/* a file-backed VMA has its own fault path (Documentation) */
	if (!vma || !vma_is_anonymous(vma))
		return -EFAULT;
	keel_vma_start_write(vma);
	keel_zap_page(vma, hva);
	private = vma->vm_private_data;
	vma->vm_private_data = src;
	vma->vm_ops = &keel_mirror_fill_ops;
	fault = handle_mm_fault(vma, hva, FAULT_FLAG_WRITE, NULL);
	vma_set_anonymous(vma);
	vma->vm_private_data = private;
	if (fault & VM_FAULT_HWPOISON)
		return PageHWPoison(src) ? -EIO : -EHWPOISON;
	if (fault & VM_FAULT_OOM)
		return -ENOMEM;
	if (fault & VM_FAULT_ERROR)
		return -EFAULT;
	return 0;
}

/**
 * keel_mirror_repair_check() - whether repair can replace @m's pages
 * @m: a range being set up, its spans known (sigbus.c)
 *
 * Repair replaces pages of private anonymous memory only (see
 * keel_mirror_replace()); guest RAM that is a shared or hugetlbfs
 * mapping keeps its poisoned page in the file. Checked at setup so that
 * the operator learns it then, not at the first failure; a VMM that maps
 * other memory there later gets the kernel's own signal at a failure.
 *
 * Return: 0; -EMEDIUMTYPE when a page of the range is not in private
 * anonymous memory; -ENOENT when a page is not mapped at all; -ESRCH when
 * the VMM is gone.
 */
int keel_mirror_repair_check(struct keel_mirror *m)
{
	struct mm_struct *mm = m->inst.kvm->mm;
	struct vm_area_struct *vma;
	unsigned long hva;
	unsigned int i;
	int ret = 0;

	if (!mmget_not_zero(mm))
		return -ESRCH;
	mmap_read_lock(mm);
	for (i = 0; i < m->nr_spans && !ret; i++) {
		hva = m->spans[i].hva;
		while (hva < m->spans[i].end) {
			vma = vma_lookup(mm, hva);
			if (!vma) {
				ret = -ENOENT;
				break;
			}
			if (!vma_is_anonymous(vma)) {
				ret = -EMEDIUMTYPE;
				break;
			}
			hva = vma->vm_end;
		}
	}
	mmap_read_unlock(mm);
	mmput(mm);
	return ret;
}

/*
 * Repair the page of @gpa (in the range) if it is poisoned: *@repaired
 * set when it is replaced now, from the mirror page, or from a copy of it
 * with translated code's open regions over it (overlay.c; -EBUSY: a
 * translated store to the page is under way, the page is left as it is).
 * @m->lock held. From any context that may sleep: the VMM's address space
 * is reached through its mm, not current.
 */
int keel_mirror_repair_locked(struct keel_mirror *m, gpa_t gpa,
			      bool *repaired)
{
	unsigned long idx = gpa_to_gfn(gpa) - m->gfn, hva;
	struct mm_struct *mm = m->inst.kvm->mm;
	struct page *page, *over, *src;
	u64 start = ktime_get_ns(), ns;
	int tries, ret = 0;
	long got;

	lockdep_assert_held(&m->lock);
	*repaired = false;
	if (test_bit(idx, m->lost))
		return -ESTALE;
	hva = keel_mirror_hva(m, gpa & PAGE_MASK);
	if (kvm_is_error_hva(hva))
		return -ESTALE;
	/* translated code's open regions: read before the mmap lock */
	ret = keel_mirror_overlay(m, gpa & PAGE_MASK, &over);
	if (ret)
		return ret;
	src = over ?: m->pages[idx];
	/* KVM holds mm_count; a VMM whose address space is gone is dead. */
	if (!mmget_not_zero(mm)) {
		ret = -ESRCH;
		goto out;
	}
	mmap_write_lock(mm);
	for (tries = 0; tries < KEEL_MIRROR_REPAIR_TRIES; tries++) {
		got = keel_get_user_page(mm, hva, FOLL_HWPOISON, &page);
		if (got == 1) {
			/* healthy: repaired already, or never lost */
			put_page(page);
			ret = 0;
			break;
		}
		if (got != -EHWPOISON) {
			ret = got < 0 ? got : -EFAULT;
			break;
		}
		ret = keel_mirror_replace(mm, hva, src);
		*repaired |= !ret;
		if (ret != -EHWPOISON)
			break;
	}
	mmap_write_unlock(mm);
	mmput(mm);
	if (*repaired) {
		ns = ktime_get_ns() - start;
		m->c.repaired_pages++;
		m->c.repair_ns += ns;
		m->c.repair_max_ns = max(m->c.repair_max_ns, ns);
	}
out:
	if (over)
		put_page(over);
	return ret;
}

/* KEEL_MIRROR_IOC_REPAIR, and a signalled failure (sigbus.c). */
int keel_mirror_repair(struct keel_mirror *m, gpa_t gpa, bool *repaired)
{
	int ret;

	mutex_lock(&m->lock);
	ret = keel_mirror_repair_locked(m, gpa, repaired);
	mutex_unlock(&m->lock);
	return ret;
}
