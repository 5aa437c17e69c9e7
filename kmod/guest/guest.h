/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between the files of keel_guest.ko, the module a
 * Linux guest loads so that its processes see Keel's windows: the module
 * and its device (main.c), the pinned memory of one open file (pin.c),
 * the views of it that mmap(2) gives (view.c) and the caller's page
 * tables' root (root.c).
 */
#ifndef _KEEL_GUEST_INTERNAL_H
#define _KEEL_GUEST_INTERNAL_H

#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/types.h>

/* The window offsets the module was loaded with (main.c), constant. */
extern unsigned long keel_guest_alias_off;
extern unsigned long keel_guest_mirror_off;

/* A run of pinned pages whose frames follow each other. */
struct keel_guest_run {
	unsigned long first;	/* index of its first page */
	unsigned long nr;
	void *wb[2];		/* its windows' WB reservations (memremap) */
};

/*
 * One open /dev/keel-guest. @lock protects @pages, @nr, @runs and
 * @nr_runs, set once by KEEL_GUEST_IOC_PIN and released with the file;
 * it is taken under mmap_lock (mmap), never around pinning.
 */
struct keel_guest_file {
	struct mutex lock;	/* see above */
	struct page **pages;	/* @nr pinned pages, in address order */
	unsigned long nr;
	struct keel_guest_run *runs;
	unsigned long nr_runs;
};

/* main.c */
int keel_guest_copy_arg(void *dst, size_t size, const void __user *uarg,
			unsigned int cmd);

/* pin.c */
long keel_guest_pin(struct keel_guest_file *f, const void __user *uarg);
void keel_guest_unpin(struct keel_guest_file *f);

/* view.c */
int keel_guest_mmap(struct file *file, struct vm_area_struct *vma);

/* root.c */
long keel_guest_root(void __user *uarg);

#endif /* _KEEL_GUEST_INTERNAL_H */
