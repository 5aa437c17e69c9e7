// SPDX-License-Identifier: GPL-2.0
/*
 * The views of a file's pinned memory (mmap(2) on /dev/keel-guest): page
 * i of the alias view is the alias window's page over the guest-physical
 * page of pinned page i, and likewise for the mirror view. They map
 * frames outside System RAM (VM_PFNMAP), write-back as keel_guest_pin()
 * reserved them, shared, not executable and not copied into a child.
 */
#include <linux/fs.h>
#include <linux/mm.h>

#include <linux/keel_guest.h>
#include "../compat/keel_compat.h"
#include "guest.h"

/**
 * keel_guest_mmap() - map the alias or the mirror view of the pinned memory
 * @file: the file
 * @vma: the new mapping: offset KEEL_GUEST_VIEW_ALIAS or _MIRROR, the
 *	pinned length, shared
 *
 * Context: mmap_lock held for writing; takes &keel_guest_file.lock.
 *
 * Return: 0, -ENXIO (nothing pinned) or -EINVAL.
 */
int keel_guest_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct keel_guest_file *f = file->private_data;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	unsigned long i, n = vma_pages(vma), win;
	int ret = 0;

	if (!(vma->vm_flags & VM_SHARED) || (vma->vm_flags & VM_EXEC))
		return -EINVAL;
	if (off == KEEL_GUEST_VIEW_ALIAS)
		win = keel_guest_alias_off;
	else if (off == KEEL_GUEST_VIEW_MIRROR)
		win = keel_guest_mirror_off;
	else
		return -EINVAL;
	keel_vm_flags_set(vma, VM_DONTCOPY);
	keel_vm_flags_clear(vma, VM_MAYEXEC);
	mutex_lock(&f->lock);
	if (!f->pages)
		ret = -ENXIO;
	else if (n != f->nr)
		ret = -EINVAL;
	for (i = 0; !ret && i < n; i++)
		ret = remap_pfn_range(vma, vma->vm_start + (i << PAGE_SHIFT),
				      page_to_pfn(f->pages[i]) +
				      (win >> PAGE_SHIFT), PAGE_SIZE,
				      vma->vm_page_prot);
	mutex_unlock(&f->lock);
	return ret;
}
