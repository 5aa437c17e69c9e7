/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel_guestmem: the pages of a Linux guest's file in QEMU's memory, and
 * their memory failure, for the mirror's test and demo with QEMU. The
 * guest runs role "mem-check" (a file of KEEL_GUESTMEM_FILE_PAGES pages
 * in tmpfs, page i beginning "KEEL-PAGE-<i, 6 digits>-", checked every
 * second); the host finds those pages in QEMU's memory, gets their host
 * frames, and fails a frame as the kernel handles a real memory failure
 * (hwpoison-inject, memory_failure()). Needs root. libc only.
 */
#ifndef KEEL_GUESTMEM_H
#define KEEL_GUESTMEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "keel_qemu.h"

/* QEMU's options: machine "pc", this much RAM, the role. */
#define KEEL_GUESTMEM_MIB		256
#define KEEL_GUESTMEM_APPEND		"keel.role=mem-check"
/* pc: guest RAM above 1 MiB is one memslot up to the end of RAM */
#define KEEL_GUESTMEM_GPA		((uint64_t)0x100000)
#define KEEL_GUESTMEM_LEN		(((uint64_t)KEEL_GUESTMEM_MIB << 20) - \
					 KEEL_GUESTMEM_GPA)
#define KEEL_GUESTMEM_FILE_PAGES	1024
#define KEEL_GUESTMEM_CORRUPT_PFN	"/sys/kernel/debug/hwpoison/corrupt-pfn"

/* A page of the guest's file found in QEMU's memory. */
struct keel_guestmem_page {
	uint64_t off;		/* from KEEL_GUESTMEM_GPA */
	unsigned int index;	/* its page in the file */
};

/* QEMU's address of guest-physical @gpa (HMP gpa2hva), 0 if none. */
uint64_t keel_qemu_gpa2hva(struct keel_qemu *q, uint64_t gpa);

/*
 * Up to @max pages of the guest's file, spread over it, in the memory of
 * QEMU @pid from @hva (QEMU's address of KEEL_GUESTMEM_GPA) on; a page
 * of the file only where it is found once (a copy the guest freed may
 * linger). How many went into @p.
 */
size_t keel_guestmem_find(pid_t pid, uint64_t hva,
			  struct keel_guestmem_page *p, size_t max);

/* The host frame of @pid's page at @hva, 0 when not present. */
uint64_t keel_guestmem_pfn(pid_t pid, uint64_t hva);

/* A memory failure of host frame @pfn: 0 or -errno. */
int keel_guestmem_fail(uint64_t pfn);

/*
 * Boots QEMU with @o (keel_qemu_boot(): a guest whose role writes the
 * file and prints KEEL-GUEST-MEM-READY), waits for @live (within
 * @timeout_ms after that) and finds up to @max pages of the file in QEMU's memory:
 * QEMU's address of KEEL_GUESTMEM_GPA in *@hva, the pages in @p. How
 * many were found (at least one); -EDEADLK when the emulated CPU broke
 * the guest, another -errno with the cause on stderr.
 */
long keel_guestmem_boot(struct keel_qemu **qp, const struct keel_qemu_opts *o,
			const char *live, int timeout_ms, uint64_t *hva,
			struct keel_guestmem_page *p, size_t max);

#endif /* KEEL_GUESTMEM_H */
