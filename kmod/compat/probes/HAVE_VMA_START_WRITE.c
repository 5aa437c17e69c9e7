// SPDX-License-Identifier: GPL-2.0
/*
 * Probe: vma_start_write(), the VMA's own write lock that keeps out the
 * page faults taking only the VMA's lock, not the mmap lock (6.4+).
 */
#include <linux/mm.h>

void keel_probe(struct vm_area_struct *vma);
void keel_probe(struct vm_area_struct *vma)
{
	vma_start_write(vma);
}
