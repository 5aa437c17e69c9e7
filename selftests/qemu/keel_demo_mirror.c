// SPDX-License-Identifier: GPL-2.0
/*
 * The demo's mirrored-memory part, inside the test VM: Debian's unmodified
 * QEMU runs a Linux guest that keeps a file in its RAM and checks it every
 * second. "keelctl mirror add --pid" protects four of its pages; those
 * four fail as real memory failures do (hwpoison-inject), and the guest
 * never knows: Keel rebuilt each from its mirror before QEMU was told.
 * Then four unprotected pages of the same file fail, and the guest (or
 * QEMU) does know. Exits non-zero, saying why, when a step fails or a
 * protected page's failure reaches the guest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keel_guestmem.h"
#include "keel_test_keelctl.h"

#define PROTECTED	4
#define PAGES		(2 * PROTECTED)
#define ROUND_MS	60000

static char out[65536];

static int keelctl(const char *const *args)
{
	return keel_test_keelctl_show(args, NULL, out, sizeof(out));
}

/* The guest's round now (its last "KEEL-GUEST-MEM <n>" line). */
static unsigned int guest_round(struct keel_qemu *q)
{
	const char *log = keel_qemu_console_log(q), *last = NULL;
	unsigned int r = 0;

	while ((log = strstr(log, "KEEL-GUEST-MEM ")))
		last = log++;
	if (last)
		sscanf(last, "KEEL-GUEST-MEM %u", &r);
	return r;
}

/* Fail pages @p[0..n) of the guest's file in QEMU's memory. */
static int fail_pages(struct keel_qemu *q, uint64_t hva,
		      const struct keel_guestmem_page *p, size_t n)
{
	uint64_t pfn;
	size_t i;
	int ret;

	for (i = 0; i < n; i++) {
		pfn = keel_guestmem_pfn(keel_qemu_pid(q), hva + p[i].off);
		if (!pfn)
			return -ENOENT;
		printf("    page %u of the file: guest 0x%" PRIx64 ", host frame 0x%" PRIx64 " fails\n",
		       p[i].index, KEEL_GUESTMEM_GPA + p[i].off, pfn);
		ret = keel_guestmem_fail(pfn);
		if (ret)
			return ret;
	}
	fflush(stdout);
	return 0;
}

/*
 * Show the guest's next @rounds rounds after round @r0 (0: all intact, no
 * failure in its log; 1: not; -errno: QEMU ended or was silent).
 */
static int watch(struct keel_qemu *q, unsigned int r0, int rounds)
{
	char want[64], line[128];
	unsigned int r, fails;
	int i, ret, bad = 0;

	for (i = 2; i <= rounds + 1; i++) {
		snprintf(want, sizeof(want), "KEEL-GUEST-MEM %u ", r0 + i);
		ret = keel_qemu_wait_line(q, want, line, sizeof(line),
					  ROUND_MS);
		if (ret)
			return ret;
		printf("    guest: %s\n", line);
		if (sscanf(line, "KEEL-GUEST-MEM %u ok %u", &r, &fails) != 2 ||
		    fails)
			bad = 1;
	}
	fflush(stdout);
	return bad;
}

/* The lines of @log that tell of a memory failure (the guest's kernel). */
static void show_failures(const char *log)
{
	const char *eol;
	int len;

	for (; *log; log = eol + 1) {
		eol = strchrnul(log, '\n');
		len = eol - log;
		if (memmem(log, len, "emory failure", 13) ||
		    memmem(log, len, "mce:", 4) ||
		    memmem(log, len, "Hardware Error", 14))
			printf("    guest: %.*s\n", len, log);
		if (!*eol)
			break;
	}
	fflush(stdout);
}

static int demo(struct keel_qemu *q)
{
	struct keel_guestmem_page p[PAGES];
	char pid[16], gpa[32], label[16], ids[PROTECTED][16];
	uint64_t hva;
	size_t i, mark;
	int ret;

	snprintf(pid, sizeof(pid), "%d", keel_qemu_pid(q));
	hva = keel_qemu_gpa2hva(q, KEEL_GUESTMEM_GPA);
	if (!hva || keel_guestmem_find(keel_qemu_pid(q), hva, p, PAGES) !=
		    PAGES)
		return -ENOENT;
	printf("\nQEMU runs as pid %s. The guest keeps a %d-page file in its RAM (tmpfs)\n"
	       "and checks it every second; the host found its pages in QEMU's memory.\n"
	       "Protect %d of them:\n", pid, KEEL_GUESTMEM_FILE_PAGES, PROTECTED);
	for (i = 0; i < PROTECTED; i++) {
		snprintf(gpa, sizeof(gpa), "0x%" PRIx64,
			 KEEL_GUESTMEM_GPA + p[i].off);
		snprintf(label, sizeof(label), "file-page-%u", p[i].index);
		if (keelctl((const char *[]){ "mirror", "add", "--pid", pid,
					      "--gpa", gpa, "--len", "4096",
					      "--label", label, NULL }))
			return -EIO;
		snprintf(ids[i], sizeof(ids[i]), "%lu",
			 strtoul(out, NULL, 10));
	}
	if (keelctl((const char *[]){ "mirror", "list", NULL }))
		return -EIO;

	printf("\nThe %d protected pages fail (memory_failure() on their host frames):\n",
	       PROTECTED);
	ret = fail_pages(q, hva, p, PROTECTED);
	if (!ret)
		ret = watch(q, guest_round(q), 3);
	if (ret)
		return ret < 0 ? ret : -EPROTO;
	printf("The guest read its file intact and saw no machine check. Keel rebuilt\n"
	       "each page from its mirror before QEMU was told:\n");
	if (keelctl((const char *[]){ "mirror", "show", ids[0], NULL }))
		return -EIO;

	printf("\n%d unprotected pages of the same file fail:\n", PROTECTED);
	mark = keel_qemu_console_len(q);
	ret = fail_pages(q, hva, p + PROTECTED, PROTECTED);
	if (ret)
		return ret;
	ret = watch(q, guest_round(q), 3);
	show_failures(keel_qemu_console_log(q) + mark);
	if (ret < 0)
		printf("Without Keel, QEMU is gone: %s.\n", strerror(-ret));
	else if (ret)
		printf("Without Keel, the failures reached the guest.\n");
	else
		printf("Without Keel, the guest has not met the failed pages yet.\n");
	for (i = 0; i < PROTECTED && keel_qemu_exit_status(q) == -1; i++)
		if (keelctl((const char *[]){ "mirror", "del", ids[i], NULL }))
			return -EIO;
	return 0;
}

int main(void)
{
	struct keel_qemu_opts o = {
		.machine = "pc",
		.mem_mib = KEEL_GUESTMEM_MIB,
		.append = KEEL_GUESTMEM_APPEND,
	};
	struct keel_qemu *q = NULL;
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("Starting Debian's qemu-system-x86_64 (unmodified) with a Linux guest.\n");
	ret = keel_qemu_boot(&q, &o, "KEEL-GUEST-MEM-READY",
			     KEEL_QEMU_BOOT_TIMEOUT_MS);
	if (!ret)
		ret = keel_qemu_wait_live(q, "KEEL-GUEST-MEM 1 ok 0", ROUND_MS);
	if (!ret)
		ret = demo(q);
	if (ret)
		return keel_qemu_demo_fail(q, strerror(-ret));
	keel_qemu_free(q);
	return 0;
}
