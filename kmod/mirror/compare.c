// SPDX-License-Identifier: GPL-2.0
/*
 * Writes that nobody declares, found by comparing: for a range set up
 * with KEEL_MIRROR_SETUP_COMPARE, each periodic check (scrub.c) compares
 * every guest page with its mirror page and copies a page that differs
 * into the mirror.
 *
 * Every guest store KVM emulates reaches the mirror under the range's
 * lock, and so do the VMM's writes through Keel and the pages a dirty log
 * names (log.c). A guest page that differs from its mirror page while
 * that lock is held was therefore written by someone else: the device
 * emulation of a VMM that knows nothing of Keel (an unmodified QEMU
 * copying a disk read into guest memory), vhost without a log, a device's
 * DMA. The guest page is what the guest will read, so the mirror takes
 * it. Both pages are read machine-check safe: a guest page that failed is
 * left to the repair with the mirror as it was, a mirror page that failed
 * to the rebuild (scrub.c).
 *
 * A comparison reads both copies of every page, about three times the
 * work of copying the range once, so it has its own period, compare_ms
 * (module parameter), run by the periodic check at its first pass after
 * the period is up. The window (Documentation/mirror.rst): such a write
 * reaches the mirror at the next comparison, at most about
 * max(compare_ms, scrub_ms) later; a failure of the page before that
 * restores the page without it.
 *
 * The lock is taken per page, so a vCPU's mirrored store waits for one
 * page's comparison at most, not a pass.
 */
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "mirror.h"

static unsigned int compare_ms = 1000;
module_param(compare_ms, uint, 0644);
MODULE_PARM_DESC(compare_ms,
		 "ms between comparisons of the guest pages of a range set up with KEEL_MIRROR_SETUP_COMPARE with its mirror (at a check of scrub_ms; 0: at every check)");

/*
 * Compare guest page @idx with its mirror, through the bounce buffers
 * @guest and @mirror; copy it if they differ. Whether it was copied.
 * @m->lock held.
 */
static bool keel_mirror_compare_page(struct keel_mirror *m, unsigned long idx,
				     void *guest, void *mirror)
{
	struct page *page = m->pages[idx];

	lockdep_assert_held(&m->lock);
	if (test_bit(idx, m->lost) || keel_mirror_copy_page(m, idx, guest) ||
	    keel_mirror_scrub_read(page, 0, mirror, PAGE_SIZE) ||
	    !memcmp(guest, mirror, PAGE_SIZE))
		return false;
	memcpy(page_address(page), guest, PAGE_SIZE);
	return true;
}

/*
 * From @m's periodic work: one comparison of every page of @m, when
 * compare_ms has passed since the last one began.
 */
void keel_mirror_compare(struct keel_mirror *m)
{
	unsigned long i, next, copied = 0;
	void *guest, *mirror;

	if (m->compare_next && time_before(jiffies, m->compare_next))
		return;
	next = jiffies + msecs_to_jiffies(READ_ONCE(compare_ms));
	m->compare_next = next ?: 1;	/* 0: none yet */
	guest = kmalloc(PAGE_SIZE, GFP_KERNEL);
	mirror = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!guest || !mirror)
		goto out;
	for (i = 0; i < m->npages; i++) {
		mutex_lock(&m->lock);
		copied += keel_mirror_compare_page(m, i, guest, mirror);
		mutex_unlock(&m->lock);
		cond_resched();
	}
	mutex_lock(&m->lock);
	m->c.compare_pages += copied;
	mutex_unlock(&m->lock);
out:
	kfree(mirror);
	kfree(guest);
}
