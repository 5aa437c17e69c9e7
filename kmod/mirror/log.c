// SPDX-License-Identifier: GPL-2.0
/*
 * Writes to protected pages that KVM does not see as guest stores -
 * vhost's, a device's, the VMM's own - declared in a dirty log of vhost's
 * format (KEEL_MIRROR_IOC_LOG): bit N set when guest page N was written,
 * in the VMM's memory. vhost sets a page's bit after its write to the
 * page; Keel clears the range's set bits atomically (with vhost setting
 * others meanwhile) and only then copies each such page to the mirror,
 * so a write it does not copy sets its bit again for the next harvest.
 *
 * The log's words are reached through the VMM's mm, not current's: a
 * harvest runs from the range's periodic work (scrub.c) as well as from
 * the ioctl. Lock order: the range's lock, then the VMM's mmap lock
 * (store.c); the mmap lock is dropped before each page copy, which takes
 * it again.
 */
#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/mmap_lock.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "../compat/keel_compat.h"
#include "mirror.h"

/* The log's word holding the bit of guest frame @gfn. */
static unsigned long keel_mirror_log_word(u64 addr, gfn_t gfn)
{
	return addr + (gfn / 64) * sizeof(u64);
}

/* Pin the log page at @uaddr for writing: 0 or -EFAULT, -ESRCH. */
static int keel_mirror_log_pin(struct mm_struct *mm, unsigned long uaddr,
			       struct page **page)
{
	long got;

	if (!mmget_not_zero(mm))
		return -ESRCH;
	mmap_read_lock(mm);
	got = keel_get_user_page(mm, uaddr & PAGE_MASK, FOLL_WRITE, page);
	mmap_read_unlock(mm);
	mmput(mm);
	return got == 1 ? 0 : -EFAULT;
}

/*
 * Take @addr as @m's log (0: none), once its words for the range are
 * writable memory of the VMM. @m->lock held.
 */
int keel_mirror_log_set(struct keel_mirror *m, u64 addr)
{
	struct mm_struct *mm = m->inst.kvm->mm;
	unsigned long first, last;
	struct page *page;
	int ret;

	lockdep_assert_held(&m->lock);
	if (!addr) {
		m->log_addr = 0;
		return 0;
	}
	first = keel_mirror_log_word(addr, m->gfn);
	last = keel_mirror_log_word(addr, m->gfn + m->npages - 1);
	if (!IS_ALIGNED(addr, sizeof(u64)) || first < addr ||
	    last + sizeof(u64) < last || last + sizeof(u64) > TASK_SIZE_MAX)
		return -EINVAL;
	ret = keel_mirror_log_pin(mm, first, &page);
	if (ret)
		return ret;
	put_page(page);
	ret = keel_mirror_log_pin(mm, last, &page);
	if (ret)
		return ret;
	put_page(page);
	m->log_addr = addr;
	return 0;
}

/*
 * Copy guest page @idx to the mirror, through @bounce: a copy that fails
 * (the guest page failed) leaves the mirror page as it was, for the
 * repair. @m->lock held.
 */
static bool keel_mirror_log_copy(struct keel_mirror *m, unsigned long idx,
				 void *bounce)
{
	if (test_bit(idx, m->lost) || keel_mirror_copy_page(m, idx, bounce))
		return false;
	memcpy(page_address(m->pages[idx]), bounce, PAGE_SIZE);
	return true;
}

/*
 * Harvest @m's log: clear each set bit of the range, then copy its page
 * to the mirror. The pages copied, or -ENOENT without a log, -errno.
 * @m->lock held.
 */
long keel_mirror_log_harvest(struct keel_mirror *m)
{
	gfn_t gfn = m->gfn, end = m->gfn + m->npages, w_first;
	unsigned long uaddr, pinned = 0, bit;
	struct page *page = NULL;
	u64 *words = NULL, mask, set;
	void *bounce;
	long copied = 0;
	int ret = 0;

	lockdep_assert_held(&m->lock);
	if (!m->log_addr)
		return -ENOENT;
	bounce = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!bounce)
		return -ENOMEM;
	while (gfn < end) {
		w_first = round_down(gfn, 64);
		uaddr = keel_mirror_log_word(m->log_addr, gfn);
		if (!page || (uaddr & PAGE_MASK) != pinned) {
			if (page) {
				kunmap_local(words);
				set_page_dirty_lock(page);
				put_page(page);
				page = NULL;
			}
			ret = keel_mirror_log_pin(m->inst.kvm->mm, uaddr, &page);
			if (ret)
				break;
			pinned = uaddr & PAGE_MASK;
			words = kmap_local_page(page);
		}
		mask = GENMASK_ULL(min_t(u64, end - w_first, 64) - 1,
				   gfn - w_first);
		set = atomic64_fetch_andnot(mask, (atomic64_t *)
					    ((u8 *)words +
					     offset_in_page(uaddr))) & mask;
		for_each_set_bit(bit, (unsigned long *)&set, 64)
			copied += keel_mirror_log_copy(m, w_first + bit - m->gfn,
						       bounce);
		gfn = w_first + 64;
	}
	if (page) {
		kunmap_local(words);
		set_page_dirty_lock(page);
		put_page(page);
	}
	kfree(bounce);
	m->c.log_harvests++;
	m->c.log_pages += copied;
	return ret ? ret : copied;
}
