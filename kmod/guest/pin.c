// SPDX-License-Identifier: GPL-2.0
/*
 * KEEL_GUEST_IOC_PIN: the process's memory that a file's views stand
 * beside. Its pages are pinned (FOLL_LONGTERM) so that each stays on the
 * guest-physical page the host's windows were placed over, and their
 * windows' pages get a write-back memory type reserved (memremap), so
 * that the views are cached as the memory itself is; both until the file
 * is released, after its last view.
 */
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include <linux/keel_guest.h>
#include "guest.h"

/* Whether the window page at @phys is outside System RAM. */
static bool keel_guest_window_ok(phys_addr_t phys)
{
	return region_intersects(phys, PAGE_SIZE, IORESOURCE_SYSTEM_RAM,
				 IORES_DESC_NONE) == REGION_DISJOINT;
}

/* Whether pinned page @i's frame follows page @i - 1's: one run. */
static bool keel_guest_follows(struct page **pages, unsigned long i)
{
	return i && page_to_pfn(pages[i]) == page_to_pfn(pages[i - 1]) + 1;
}

/* Undo what keel_guest_reserve() did for @runs[0, @nr_runs). */
static void keel_guest_release_runs(struct keel_guest_run *runs,
				    unsigned long nr_runs)
{
	unsigned long r;

	for (r = 0; r < nr_runs; r++) {
		if (runs[r].wb[0])
			memunmap(runs[r].wb[0]);
		if (runs[r].wb[1])
			memunmap(runs[r].wb[1]);
	}
}

/*
 * Cut @pages into runs of consecutive frames and reserve each run's two
 * windows write-back. 0, -EEXIST (a window page is System RAM) or
 * -ENOMEM; *@runs_out and *@nr_out are the runs on success.
 */
static int keel_guest_reserve(struct page **pages, unsigned long nr,
			      struct keel_guest_run **runs_out,
			      unsigned long *nr_out)
{
	const unsigned long off[2] = { keel_guest_alias_off,
				       keel_guest_mirror_off };
	struct keel_guest_run *runs;
	unsigned long i, n = 0, r;
	phys_addr_t phys;
	int k;

	for (i = 0; i < nr; i++) {
		for (k = 0; k < 2; k++)
			if (!keel_guest_window_ok(page_to_phys(pages[i]) +
						  off[k]))
				return -EEXIST;
		if (!keel_guest_follows(pages, i))
			n++;
	}
	runs = kvcalloc(n, sizeof(*runs), GFP_KERNEL_ACCOUNT);
	if (!runs)
		return -ENOMEM;
	for (i = 0, r = 0; i < nr; i++) {
		if (keel_guest_follows(pages, i)) {
			runs[r - 1].nr++;
			continue;
		}
		runs[r].first = i;
		runs[r].nr = 1;
		r++;
	}
	for (r = 0; r < n; r++) {
		phys = page_to_phys(pages[runs[r].first]);
		for (k = 0; k < 2; k++) {
			runs[r].wb[k] = memremap(phys + off[k],
						 runs[r].nr << PAGE_SHIFT,
						 MEMREMAP_WB);
			if (!runs[r].wb[k]) {
				keel_guest_release_runs(runs, r + 1);
				kvfree(runs);
				return -ENOMEM;
			}
		}
	}
	*runs_out = runs;
	*nr_out = n;
	return 0;
}

/**
 * keel_guest_pin() - KEEL_GUEST_IOC_PIN
 * @f: the file
 * @uarg: the caller's struct keel_guest_pin
 *
 * Context: process context; sleeps. Takes &keel_guest_file.lock only to
 * install what it pinned.
 *
 * Return: 0, or the errors uapi/linux/keel_guest.h lists; nothing is
 * kept after an error.
 */
long keel_guest_pin(struct keel_guest_file *f, const void __user *uarg)
{
	struct keel_guest_run *runs = NULL;
	unsigned long nr, nr_runs = 0;
	struct keel_guest_pin p;
	struct page **pages;
	long pinned;
	bool busy;
	int ret;

	ret = keel_guest_copy_arg(&p, sizeof(p), uarg, KEEL_GUEST_IOC_PIN);
	if (ret)
		return ret;
	if (p.flags || !PAGE_ALIGNED(p.addr) || !p.len ||
	    !PAGE_ALIGNED(p.len) || p.len > KEEL_GUEST_PIN_MAX)
		return -EINVAL;
	if (!keel_guest_alias_off)
		return -ENXIO;
	mutex_lock(&f->lock);
	busy = f->pages;
	mutex_unlock(&f->lock);
	if (busy)
		return -EBUSY;

	nr = p.len >> PAGE_SHIFT;
	pages = kvcalloc(nr, sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return -ENOMEM;
	pinned = pin_user_pages_fast(p.addr, nr, FOLL_WRITE | FOLL_LONGTERM,
				     pages);
	if (pinned != nr) {
		ret = pinned < 0 ? pinned : -EFAULT;
		if (pinned > 0)
			unpin_user_pages(pages, pinned);
		goto out_free;
	}
	ret = keel_guest_reserve(pages, nr, &runs, &nr_runs);
	if (ret)
		goto out_unpin;

	/* Another PIN of this file may have won meanwhile. */
	mutex_lock(&f->lock);
	if (!f->pages) {
		f->pages = pages;
		f->nr = nr;
		f->runs = runs;
		f->nr_runs = nr_runs;
		pages = NULL;
	}
	mutex_unlock(&f->lock);
	if (!pages)
		return 0;
	ret = -EBUSY;
	keel_guest_release_runs(runs, nr_runs);
	kvfree(runs);
out_unpin:
	unpin_user_pages(pages, nr);
out_free:
	kvfree(pages);
	return ret;
}

/**
 * keel_guest_unpin() - give back what keel_guest_pin() kept
 * @f: the file, being released (no view is left)
 *
 * Stores through the alias reached the pages without their page tables:
 * they are marked dirty, as after DMA.
 *
 * Context: process context; sleeps.
 */
void keel_guest_unpin(struct keel_guest_file *f)
{
	if (!f->pages)
		return;
	keel_guest_release_runs(f->runs, f->nr_runs);
	kvfree(f->runs);
	unpin_user_pages_dirty_lock(f->pages, f->nr, true);
	kvfree(f->pages);
	f->pages = NULL;
}
