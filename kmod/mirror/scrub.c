// SPDX-License-Identifier: GPL-2.0
/*
 * A mirror page lost to a memory failure, rebuilt from the guest page;
 * the range's periodic work, which also harvests its dirty log (log.c).
 *
 * A failure of a page that the kernel owns (Keel's mirror pages are
 * ordinary kernel pages, on no LRU list, in no page table but those of
 * a mapping of the range's file, map.c) is not
 * signalled to anyone: memory_failure() marks the page HWPoison, finds no
 * owner it can act for and leaves it where it is. Keel looks for the mark
 * itself: every scrub_ms, a work item of each range tests the flag of
 * its mirror pages and gives a poisoned one a fresh page with the guest
 * page's content, copied machine-check safe. The poisoned page is then
 * freed, and the page allocator keeps a HWPoison page out of its free
 * lists for good.
 *
 * Between the failure and the rebuild the mirror of that page is gone:
 * a failure of the guest page in that window cannot be repaired (both
 * copies lost; repair.c reports -EIO). The copy and the swap happen under
 * the range's lock, which every mirrored write also takes, so no write
 * falls between the copy and the new page (Documentation/mirror.rst).
 *
 * Lock order: the range's lock, then the VMM's mmap lock (store.c).
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/page-flags.h>
#include <linux/timekeeping.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "mirror.h"

static unsigned int scrub_ms = 1000;
module_param(scrub_ms, uint, 0644);
MODULE_PARM_DESC(scrub_ms,
		 "ms between checks of the mirror pages for memory failures (0: none; a range takes a new value at its next check, at most a second later while off)");

/* The next check of @m; while checks are off, a look at the setting. */
static void keel_mirror_scrub_queue(struct keel_mirror *m)
{
	unsigned int ms = READ_ONCE(scrub_ms);

	queue_delayed_work(system_unbound_wq, &m->scrub,
			   msecs_to_jiffies(ms ? ms : MSEC_PER_SEC));
}

/*
 * Rebuild the poisoned mirror page of frame @idx: 0, or -errno with the
 * page left as it was (the next check tries again). @m->lock held.
 */
static int keel_mirror_rebuild(struct keel_mirror *m, unsigned long idx)
{
	struct keel_vm_charge charge;
	struct page *fresh, *old = m->pages[idx];
	int ret;

	lockdep_assert_held(&m->lock);
	if (!PageHWPoison(old) || test_bit(idx, m->lost))
		return 0;
	/* the VM's memory, as the page it replaces (main.c) */
	keel_vm_charge_begin(m->inst.kvm, &charge);
	fresh = alloc_page(KEEL_GFP_CHARGED);
	keel_vm_charge_end(&charge);
	if (!fresh)
		return -ENOMEM;
	/*
	 * Out of every mapping first (map.c): a store through one after
	 * the copy would be lost with the old page.
	 */
	keel_mirror_map_begin(m, idx);
	ret = keel_mirror_copy_page(m, idx, page_address(fresh));
	keel_mirror_map_end(m, idx, ret ? NULL : fresh);
	if (ret) {
		__free_page(fresh);
		return ret;
	}
	m->c.mirror_rebuilt++;
	/* out of the page allocator's free lists for good: HWPoison */
	__free_page(old);
	return 0;
}

void keel_mirror_scrub_work(struct work_struct *work)
{
	struct keel_mirror *m = container_of(to_delayed_work(work),
					     struct keel_mirror, scrub);
	u64 start = ktime_get_ns();
	unsigned long i;

	if (!READ_ONCE(scrub_ms))
		goto next;
	mutex_lock(&m->lock);
	if (m->log_addr)
		keel_mirror_log_harvest(m);
	mutex_unlock(&m->lock);
	/* only this work replaces pages: the flags are read unlocked */
	for (i = 0; i < m->npages; i++) {
		if (PageHWPoison(READ_ONCE(m->pages[i]))) {
			mutex_lock(&m->lock);
			keel_mirror_rebuild(m, i);
			mutex_unlock(&m->lock);
		}
		if (!(i % 4096))
			cond_resched();
	}
	if (m->c.compare)
		keel_mirror_compare(m);
	mutex_lock(&m->lock);
	m->c.scrub_passes++;
	m->c.scrub_ns += ktime_get_ns() - start;
	mutex_unlock(&m->lock);
next:
	keel_mirror_scrub_queue(m);
}

/* Set up and RESUME: the checks begin, the first after scrub_ms. */
void keel_mirror_scrub_start(struct keel_mirror *m)
{
	keel_mirror_scrub_queue(m);
}

/* STOP and teardown: no check runs or comes after this. */
void keel_mirror_scrub_stop(struct keel_mirror *m)
{
	cancel_delayed_work_sync(&m->scrub);
}

/*
 * A read of mirror page @page (at @off, @len bytes) into @dst that a
 * failure of the page (known, or found by this read) turns into -EIO
 * rather than a machine check of the host. @m->lock held.
 */
int keel_mirror_scrub_read(struct page *page, unsigned int off, void *dst,
			   unsigned int len)
{
	if (PageHWPoison(page))
		return -EIO;
	return copy_mc_to_kernel(dst, page_address(page) + off, len) ? -EIO : 0;
}
