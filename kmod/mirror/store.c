// SPDX-License-Identifier: GPL-2.0
/*
 * The mirror pages of a protected range: allocated (charged to the
 * VMM's memory cgroup: keel_vm_charge_begin() in main.c; ENOMEM, not the
 * OOM killer, beyond its limit), filled from the guest's memory, kept in
 * step with what KVM reports written, and read back for checks.
 *
 * A write is mirrored by copying the bytes written from the guest page
 * again, under the range's lock, rather than taking what KVM reports:
 * two vCPUs writing the same bytes report in either order, and the copy
 * that comes last reads what the guest's memory holds last. Copies read
 * guest memory through the VMM's own mapping (kvm_read_guest()), so they
 * run in the VMM's address space: a call in the VM's context
 * (keel_vm_call()) for the first fill, its vCPU threads for the writes.
 */
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "../compat/keel_compat.h"
#include "mirror.h"

int keel_mirror_store_alloc(struct keel_mirror *m)
{
	unsigned long i;

	m->pages = kvcalloc(m->npages, sizeof(*m->pages), KEEL_GFP_CHARGED);
	m->tracked = bitmap_zalloc(m->npages, KEEL_GFP_CHARGED);
	m->lost = bitmap_zalloc(m->npages, KEEL_GFP_CHARGED);
	if (!m->pages || !m->tracked || !m->lost)
		return -ENOMEM;
	for (i = 0; i < m->npages; i++) {
		if (fatal_signal_pending(current))
			return -EINTR;
		m->pages[i] = alloc_page(KEEL_GFP_CHARGED | __GFP_ZERO);
		if (!m->pages[i])
			return -ENOMEM;
		m->c.mirror_bytes += PAGE_SIZE;
		cond_resched();
	}
	return 0;
}

/* Also after a partial allocation. */
void keel_mirror_store_free(struct keel_mirror *m)
{
	unsigned long i;

	for (i = 0; m->pages && i < m->npages && m->pages[i]; i++)
		__free_page(m->pages[i]);
	kvfree(m->pages);
	bitmap_free(m->tracked);
	bitmap_free(m->lost);
	m->pages = NULL;
	m->tracked = NULL;
	m->lost = NULL;
}

/*
 * Copy [gpa, gpa + len) of the guest, inside one page, to the mirror; in
 * the VMM's address space, @m->lock held.
 */
static int keel_mirror_copy_in(struct keel_mirror *m, gpa_t gpa,
			       unsigned int len)
{
	struct page *page = m->pages[gpa_to_gfn(gpa) - m->gfn];
	struct kvm *kvm = m->inst.kvm;
	int idx, ret;

	lockdep_assert_held(&m->lock);
	idx = srcu_read_lock(&kvm->srcu);
	ret = kvm_read_guest(kvm, gpa, page_address(page) + offset_in_page(gpa),
			     len);
	srcu_read_unlock(&kvm->srcu, idx);
	return ret;
}

/*
 * Copy the guest page of frame @idx of @m to @dst, from any context that
 * may sleep (through the VMM's mm, not current's), machine-check safe:
 * 0, or -EHWPOISON when the guest page has failed (or fails during the
 * copy), -EFAULT without a mapping, -ESRCH when the VMM is gone. @m->lock
 * held, which keeps every mirrored write out.
 */
int keel_mirror_copy_page(struct keel_mirror *m, unsigned long idx,
			  void *dst)
{
	struct mm_struct *mm = m->inst.kvm->mm;
	struct page *src;
	unsigned long hva, left;
	void *from;
	long got;

	lockdep_assert_held(&m->lock);
	hva = keel_mirror_hva(m, gfn_to_gpa(m->gfn + idx));
	if (kvm_is_error_hva(hva))
		return -EFAULT;
	if (!mmget_not_zero(mm))
		return -ESRCH;
	mmap_read_lock(mm);
	got = keel_get_user_page(mm, hva, FOLL_HWPOISON, &src);
	mmap_read_unlock(mm);
	mmput(mm);
	if (got != 1)
		return got == -EHWPOISON ? -EHWPOISON : -EFAULT;
	from = kmap_local_page(src);
	left = copy_mc_to_kernel(dst, from, PAGE_SIZE);
	kunmap_local(from);
	put_page(src);
	return left ? -EHWPOISON : 0;
}

/*
 * [gpa, gpa + len), inside one page whose memslot is still there, was
 * written with @data: the mirror takes what guest memory holds now, read
 * again (the last of racing writers), or @data without the VMM's
 * mapping to read (no vCPU thread) or when the read fails (the page
 * failed meanwhile). @m->lock held.
 */
void keel_mirror_take(struct keel_mirror *m, gpa_t gpa, const void *data,
		      unsigned int len)
{
	struct page *page = m->pages[gpa_to_gfn(gpa) - m->gfn];

	lockdep_assert_held(&m->lock);
	if (!keel_mirror_in_vmm(m) || keel_mirror_copy_in(m, gpa, len))
		memcpy(page_address(page) + offset_in_page(gpa), data, len);
}

/*
 * The first copy, once every page is write-tracked, in the VMM's address
 * space: a write that comes meanwhile is mirrored by its own report,
 * before or after the page's copy, and either order leaves the guest's
 * latest bytes.
 */
int keel_mirror_store_fill(struct keel_mirror *m)
{
	unsigned long i;
	int ret = 0;

	for (i = 0; i < m->npages && !ret; i++) {
		mutex_lock(&m->lock);
		ret = keel_mirror_copy_in(m, gfn_to_gpa(m->gfn + i), PAGE_SIZE);
		mutex_unlock(&m->lock);
		cond_resched();
	}
	return ret ? -EFAULT : 0;
}

/*
 * KVM emulated a guest write of @bytes at @gpa, all in one page, by the
 * store at linear address @rip, and reports it with the bytes written
 * (@new). From a vCPU thread of the VM; may sleep.
 */
void keel_mirror_written(struct keel_mirror *m, gpa_t gpa, const u8 *new,
			 int bytes, u64 rip)
{
	unsigned long idx = gpa_to_gfn(gpa) - m->gfn;
	unsigned int off = offset_in_page(gpa);

	if (bytes <= 0 || off + bytes > PAGE_SIZE)
		return;
	mutex_lock(&m->lock);
	if (!test_bit(idx, m->lost)) {
		keel_mirror_take(m, gpa, new, bytes);
		m->c.guest_writes++;
		m->c.guest_bytes += bytes;
		keel_mirror_hot_count(m, rip, gpa);
	}
	mutex_unlock(&m->lock);
}

/*
 * KVM deletes (or moves) the memslot of guest frames [gfn, gfn + npages):
 * its write tracking goes with it. The range's pages in it keep their
 * mirror as it was and are never tracked again.
 */
void keel_mirror_slot_gone(struct keel_mirror *m, gfn_t gfn,
			   unsigned long npages)
{
	gfn_t first = max(gfn, m->gfn);
	gfn_t end = min(gfn + npages, m->gfn + m->npages);
	unsigned long i;

	if (first >= end)
		return;
	mutex_lock(&m->lock);
	for (i = first - m->gfn; i < end - m->gfn; i++)
		if (!test_and_set_bit(i, m->lost))
			m->c.lost_pages++;
	mutex_unlock(&m->lock);
}

/* The VMM's address of guest-physical @gpa, or an error hva (no memslot). */
unsigned long keel_mirror_hva(struct keel_mirror *m, gpa_t gpa)
{
	struct kvm *kvm = m->inst.kvm;
	unsigned long hva;
	int idx;

	idx = srcu_read_lock(&kvm->srcu);
	hva = gfn_to_hva(kvm, gpa_to_gfn(gpa));
	srcu_read_unlock(&kvm->srcu, idx);
	return kvm_is_error_hva(hva) ? hva : hva + offset_in_page(gpa);
}

/*
 * KEEL_MIRROR_IOC_WRITE: @buf's @len bytes to guest memory at @gpa and to
 * the mirror, a page at a time under the range's lock (no guest write's
 * copy comes between the two). From the VMM.
 */
int keel_mirror_store_write(struct keel_mirror *m, gpa_t gpa, u64 len,
			    const void __user *buf)
{
	unsigned long hva;
	unsigned int n;
	void *bounce;
	int ret = 0;

	if (!keel_mirror_in_vmm(m))
		return -EPERM;
	bounce = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	while (len && !ret) {
		n = min_t(u64, len, PAGE_SIZE - offset_in_page(gpa));
		if (copy_from_user(bounce, buf, n)) {
			ret = -EFAULT;
			break;
		}
		mutex_lock(&m->lock);
		hva = keel_mirror_hva(m, gpa);
		/* as the VMM writes: through its mapping, not KVM's dirty log */
		if (kvm_is_error_hva(hva) ||
		    copy_to_user((void __user *)hva, bounce, n))
			ret = -EFAULT;
		if (!ret) {
			memcpy(page_address(m->pages[gpa_to_gfn(gpa) - m->gfn]) +
			       offset_in_page(gpa), bounce, n);
			m->c.vmm_writes++;
			m->c.vmm_bytes += n;
		}
		mutex_unlock(&m->lock);
		gpa += n;
		buf += n;
		len -= n;
	}
	kfree(bounce);
	return ret;
}

/*
 * KEEL_MIRROR_IOC_READ: [gpa, gpa + len) of the mirror to @buf; -EIO for
 * a mirror page lost to a memory failure and not rebuilt yet (scrub.c).
 */
int keel_mirror_store_read(struct keel_mirror *m, gpa_t gpa, u64 len,
			   void __user *buf)
{
	void *bounce;
	unsigned int n;
	int ret = 0;

	bounce = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	while (len && !ret) {
		n = min_t(u64, len, PAGE_SIZE - offset_in_page(gpa));
		mutex_lock(&m->lock);
		ret = keel_mirror_scrub_read(m->pages[gpa_to_gfn(gpa) - m->gfn],
					     offset_in_page(gpa), bounce, n);
		mutex_unlock(&m->lock);
		if (!ret && copy_to_user(buf, bounce, n))
			ret = -EFAULT;
		gpa += n;
		buf += n;
		len -= n;
	}
	kfree(bounce);
	return ret;
}
