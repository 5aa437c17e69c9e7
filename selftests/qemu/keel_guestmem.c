// SPDX-License-Identifier: GPL-2.0
/*
 * The pages of a guest's file in QEMU's memory and their memory failure
 * (keel_guestmem.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keel_guestmem.h"

#define PAGE_BYTES	((uint64_t)4096)
#define NPAGES		KEEL_GUESTMEM_FILE_PAGES
/* page i of the guest's file begins TAG, i in 6 digits, '-' */
#define TAG		"KEEL-PAGE-"
#define TAG_LEN		(sizeof(TAG) - 1)

uint64_t keel_qemu_gpa2hva(struct keel_qemu *q, uint64_t gpa)
{
	const char *r, *p;
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "gpa2hva 0x%" PRIx64, gpa);
	r = keel_qemu_monitor(q, cmd);
	/* "Host virtual address for 0x100000 (pc.ram) is 0x7f..." */
	p = r ? strstr(r, " is 0x") : NULL;
	return p ? strtoull(p + 4, NULL, 16) : 0;
}

/* The file's page at the start of @page, or -1. */
static long page_index(const char *page)
{
	unsigned long idx;
	char *end;

	if (memcmp(page, TAG, TAG_LEN))
		return -1;
	idx = strtoul(page + TAG_LEN, &end, 10);
	if (end != page + TAG_LEN + 6 || *end != '-' || idx >= NPAGES)
		return -1;
	return idx;
}

/* Read from /proc/PID/mem, KEEL_GUESTMEM_LEN bytes in 1 MiB reads. */
size_t keel_guestmem_find(pid_t pid, uint64_t hva,
			  struct keel_guestmem_page *p, size_t max)
{
	static unsigned short seen[NPAGES];
	static uint64_t where[NPAGES];
	static char buf[1 << 20];
	uint64_t off, i, step;
	char path[64];
	size_t n = 0;
	long idx;
	int fd;

	if (!max)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	memset(seen, 0, sizeof(seen));
	for (off = 0; off < KEEL_GUESTMEM_LEN; off += sizeof(buf)) {
		if (pread(fd, buf, sizeof(buf), hva + off) != sizeof(buf))
			break;
		for (i = 0; i < sizeof(buf); i += PAGE_BYTES) {
			idx = page_index(buf + i);
			if (idx < 0)
				continue;
			seen[idx]++;
			where[idx] = off + i;
		}
	}
	close(fd);
	/* one page found once out of every @step pages of the file */
	step = NPAGES / max ? NPAGES / max : 1;
	for (idx = 0; idx < NPAGES && n < max; idx += step) {
		for (i = idx; i < idx + step && i < NPAGES; i++) {
			if (seen[i] == 1) {
				p[n++] = (struct keel_guestmem_page){ where[i], i };
				break;
			}
		}
	}
	return n;
}

/* Root reads it in /proc/PID/pagemap. */
uint64_t keel_guestmem_pfn(pid_t pid, uint64_t hva)
{
	char path[64];
	uint64_t e = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/pagemap", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (pread(fd, &e, sizeof(e), hva / PAGE_BYTES * sizeof(e)) !=
	    sizeof(e))
		e = 0;
	close(fd);
	/* bit 63: present; bits 0-54: the frame */
	return e >> 63 ? e & ((1ull << 55) - 1) : 0;
}

/* As the kernel handles a real one: hwpoison-inject's corrupt-pfn. */
int keel_guestmem_fail(uint64_t pfn)
{
	char s[32];
	int fd, n, ret = 0;

	fd = open(KEEL_GUESTMEM_CORRUPT_PFN, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(s, sizeof(s), "%" PRIu64 "\n", pfn);
	if (write(fd, s, n) != n)
		ret = -errno;
	close(fd);
	return ret;
}

long keel_guestmem_boot(struct keel_qemu **qp, const struct keel_qemu_opts *o,
			const char *live, int timeout_ms, uint64_t *hva,
			struct keel_guestmem_page *p, size_t max)
{
	size_t n;
	int ret;

	keel_qemu_free(*qp);
	*qp = NULL;
	ret = keel_qemu_boot(qp, o, "KEEL-GUEST-MEM-READY",
			     KEEL_QEMU_BOOT_TIMEOUT_MS);
	if (!ret)
		ret = keel_qemu_wait_live(*qp, live, timeout_ms);
	if (ret == -EDEADLK)
		return ret;
	if (ret) {
		fprintf(stderr, "# the guest did not come up (%d)\n", ret);
		keel_qemu_dump(*qp, 4000);
		return ret;
	}
	*hva = keel_qemu_gpa2hva(*qp, KEEL_GUESTMEM_GPA);
	if (!*hva) {
		fprintf(stderr, "# gpa2hva: %s\n",
			keel_qemu_monitor(*qp, "gpa2hva 0x100000"));
		return -ENOENT;
	}
	n = keel_guestmem_find(keel_qemu_pid(*qp), *hva, p, max);
	if (!n) {
		fprintf(stderr, "# none of the guest file's pages found\n");
		return -ENOENT;
	}
	return n;
}
