// SPDX-License-Identifier: GPL-2.0
/* Probe: get_user_pages_remote() lost its vmas argument (6.5+). */
#include <linux/mm.h>

long keel_probe(struct mm_struct *mm, unsigned long addr, struct page **p);
long keel_probe(struct mm_struct *mm, unsigned long addr, struct page **p)
{
	return get_user_pages_remote(mm, addr, 1, 0, p, NULL);
}
