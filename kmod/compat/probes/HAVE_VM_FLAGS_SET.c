// SPDX-License-Identifier: GPL-2.0
/* Probe: vm_flags_set(), VMA flags no longer written directly (6.3+). */
#include <linux/mm.h>

void keel_probe(struct vm_area_struct *vma);
void keel_probe(struct vm_area_struct *vma)
{
	vm_flags_set(vma, VM_DONTEXPAND);
}
