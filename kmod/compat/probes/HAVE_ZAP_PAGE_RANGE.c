// SPDX-License-Identifier: GPL-2.0
/*
 * Probe: zap_page_range(), exported until 6.2; later kernels export
 * zap_page_range_single() instead (6.1 declares that one but does not
 * export it).
 */
#include <linux/mm.h>

void keel_probe(struct vm_area_struct *vma, unsigned long addr);
void keel_probe(struct vm_area_struct *vma, unsigned long addr)
{
	zap_page_range(vma, addr, PAGE_SIZE);
}
