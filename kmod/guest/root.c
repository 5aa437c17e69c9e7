// SPDX-License-Identifier: GPL-2.0
/*
 * KEEL_GUEST_IOC_ROOT: the guest-physical address of the calling
 * process's page tables, and their levels. Translated code logs the
 * linear addresses it stores to; keel_mirror's repair on the host, which
 * rebuilds a lost page from the mirror and the open region's log, walks
 * these tables to find which of them fall in the page
 * (Documentation/bt.rst, "Repair by keel_mirror: the full log"). The
 * kernel's copy of the process's top table (mm->pgd) maps its user
 * addresses as the one its user mode runs on does, with or without page
 * table isolation.
 */
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/uaccess.h>
#include <asm/pgtable.h>

#include <linux/keel_guest.h>
#include "guest.h"

long keel_guest_root(void __user *uarg)
{
	struct keel_guest_root r;
	int ret;

	ret = keel_guest_copy_arg(&r, sizeof(r), uarg, KEEL_GUEST_IOC_ROOT);
	if (ret)
		return ret;
	if (r.flags || r.pt_gpa || r.levels || r.pad)
		return -EINVAL;
	r.pt_gpa = __pa(current->mm->pgd);
	r.levels = pgtable_l5_enabled() ? 5 : 4;
	return copy_to_user(uarg, &r, sizeof(r)) ? -EFAULT : 0;
}
