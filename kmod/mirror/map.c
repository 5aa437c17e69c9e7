// SPDX-License-Identifier: GPL-2.0
/*
 * The mirror pages mapped into a process: the window through which a
 * guest's translated code writes the mirror itself (Documentation/bt.rst).
 * The VMM maps the range's file, shared, at offset (page index) << 12,
 * and makes the mapping a memslot at the guest-physical address of the
 * guest's mirror window.
 *
 * Pages are mapped on fault, by the fault handler itself
 * (vmf_insert_page(), VM_MIXEDMAP) under @map_lock, with a reference the
 * page table holds. The scrub replaces a failed mirror page (scrub.c)
 * under @map_lock: it unmaps the old page from every mapping of the
 * device file, fills the new one from the guest page and publishes it.
 * A fault only tries @map_lock and, while the scrub holds it, returns to
 * be retried: it never sleeps on it, so no fault that holds an mmap lock
 * waits for the scrub, which takes the VMM's mmap lock to copy. So no
 * mapping of a replaced page survives, and no store through one falls
 * between the copy and the new page. The device file's mapping is shared
 * by every open file of /dev/keel-mirror: an unmap at one range's page
 * also unmaps that page offset of the others, which fault their own page
 * in again.
 *
 * The mapping holds the file, so the range and its pages outlive it.
 */
#include <linux/mm.h>

#include "../compat/keel_compat.h"
#include "mirror.h"

static vm_fault_t keel_mirror_map_fault(struct vm_fault *vmf)
{
	struct keel_mirror *m = vmf->vma->vm_private_data;
	struct page *page;
	vm_fault_t ret;

	if (vmf->pgoff >= m->npages)
		return VM_FAULT_SIGBUS;
	/* being replaced: the access runs again and faults again */
	if (!mutex_trylock(&m->map_lock))
		return VM_FAULT_NOPAGE;
	page = m->pages[vmf->pgoff];
	if (PageHWPoison(page))
		ret = VM_FAULT_HWPOISON;
	else
		ret = vmf_insert_page(vmf->vma, vmf->address, page);
	mutex_unlock(&m->map_lock);
	return ret;
}

static const struct vm_operations_struct keel_mirror_map_ops = {
	.fault = keel_mirror_map_fault,
};

/*
 * A shared mapping of pages of the range, within it; the mapping cannot
 * grow, is not inherited by a child, nor dumped.
 */
int keel_mirror_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct keel_inst *inst = keel_inst_of(file);
	struct keel_mirror *m = keel_mirror_of(inst);

	if (!keel_inst_ready(inst))
		return -EBADFD;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (vma->vm_pgoff >= m->npages ||
	    vma_pages(vma) > m->npages - vma->vm_pgoff)
		return -EINVAL;
	keel_vm_flags_set(vma, VM_MIXEDMAP | VM_DONTEXPAND | VM_DONTCOPY |
			  VM_DONTDUMP);
	vma->vm_ops = &keel_mirror_map_ops;
	vma->vm_private_data = m;
	/*
	 * Always the same value, the range's own file's, and written before
	 * any fault can map a page: one that did is seen by the replacement
	 * through @map_lock. Not under @lock, which nests outside the mmap
	 * lock held here.
	 */
	WRITE_ONCE(m->map, file->f_mapping);
	return 0;
}

/*
 * Before the mirror page of frame @idx is replaced: keep faults off it
 * and take it out of every mapping. Until keel_mirror_map_end().
 */
void keel_mirror_map_begin(struct keel_mirror *m, unsigned long idx)
{
	struct address_space *map;

	lockdep_assert_held(&m->lock);
	mutex_lock(&m->map_lock);
	map = READ_ONCE(m->map);
	if (map)
		unmap_mapping_range(map, (loff_t)idx << PAGE_SHIFT, PAGE_SIZE,
				    1);
}

/* Publish @fresh (or nothing) and let faults in again. */
void keel_mirror_map_end(struct keel_mirror *m, unsigned long idx,
			 struct page *fresh)
{
	lockdep_assert_held(&m->lock);
	if (fresh)
		WRITE_ONCE(m->pages[idx], fresh);
	mutex_unlock(&m->map_lock);
}
