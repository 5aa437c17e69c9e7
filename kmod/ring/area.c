// SPDX-License-Identifier: GPL-2.0
/*
 * A ring's shared areas: order-0 pages charged to the memory cgroup of
 * the process that sets the ring up, seen by the kernel through vmap()
 * and by userspace through vm_insert_pages(), as io_uring maps its rings.
 * vmalloc_user() would charge nobody: a tenant limited to a few MiB
 * could pin 64 MiB per ring.
 */
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "ring.h"
#include "../compat/keel_compat.h"

/* Charged to the caller's memcg; ENOMEM beyond its limit (core.h). */
#define KEEL_RING_AREA_GFP	(KEEL_GFP_CHARGED | __GFP_ZERO)

/**
 * keel_ring_area_alloc() - allocate and map a shared area
 * @a: the area, zeroed
 * @size: its size, a non-zero multiple of PAGE_SIZE
 *
 * Context: process context; sleeps. Charges the current task's memcg.
 *
 * Return: 0, -ENOMEM (also when the memcg's limit is reached) or -EINTR
 * when the caller was killed meanwhile. On failure @a holds nothing, and
 * keel_ring_area_free() is a no-op on it.
 */
int keel_ring_area_alloc(struct keel_ring_area *a, size_t size)
{
	unsigned long i, nr = size >> PAGE_SHIFT;
	int ret = -ENOMEM;

	a->pages = kvcalloc(nr, sizeof(*a->pages), KEEL_RING_AREA_GFP);
	if (!a->pages)
		return -ENOMEM;
	for (i = 0; i < nr; i++) {
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto fail;
		}
		a->pages[i] = alloc_page(KEEL_RING_AREA_GFP);
		if (!a->pages[i])
			goto fail;
		cond_resched();
	}
	a->addr = vmap(a->pages, nr, VM_MAP, PAGE_KERNEL);
	if (!a->addr)
		goto fail;
	a->nr_pages = nr;
	return 0;

fail:
	while (i--)
		__free_page(a->pages[i]);
	kvfree(a->pages);
	a->pages = NULL;
	return ret;
}

/**
 * keel_ring_area_free() - unmap and free an area
 * @a: the area, allocated or not
 *
 * Context: process context; no userspace mapping of @a may be left (the
 * ring's file is only released when none is). Pages a mapping still
 * referenced would stay until it went, never be reused under it.
 */
void keel_ring_area_free(struct keel_ring_area *a)
{
	unsigned long i;

	if (!a->pages)
		return;
	vunmap(a->addr);
	for (i = 0; i < a->nr_pages; i++)
		__free_page(a->pages[i]);
	kvfree(a->pages);
	memset(a, 0, sizeof(*a));
}

/**
 * keel_ring_area_mmap() - map a whole area into a VMA
 * @a: the area
 * @vma: a shared mapping exactly the area's size, from ->mmap
 *
 * The mapping cannot grow (VM_DONTEXPAND) and is left out of core dumps
 * (VM_DONTDUMP), as remap_vmalloc_range() would make it.
 *
 * Context: ->mmap, the mm's mmap lock held for writing.
 *
 * Return: 0 or the error of vm_insert_pages().
 */
int keel_ring_area_mmap(struct keel_ring_area *a, struct vm_area_struct *vma)
{
	unsigned long nr = a->nr_pages;
	int ret;

	keel_vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	ret = vm_insert_pages(vma, vma->vm_start, a->pages, &nr);
	if (!ret && nr)
		ret = -EFAULT;		/* cannot happen: the sizes match */
	return ret;
}
