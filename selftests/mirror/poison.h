/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Mirror pages made to fail with the kernel's own injector (hwpoison-
 * inject's corrupt-pfn: memory_failure() on the page frame, as a real
 * failure reported by the machine does), their frames from debugfs
 * keel_mirror/pages, and the wait for the scrub's rebuild: for
 * mirror_scrub_test and mirror_bt_test.
 */
#ifndef MIRROR_POISON_H
#define MIRROR_POISON_H

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "keel_test_keelctl.h"

#define CORRUPT_PFN	"/sys/kernel/debug/hwpoison/corrupt-pfn"
#define MIRROR_PAGES	"/sys/kernel/debug/keel_mirror/pages"
#define SCRUB_MS	"/sys/module/keel_mirror/parameters/scrub_ms"
/* polls of 100 ms for a rebuild: 30 s, the debug kernel's slowest */
#define REBUILD_POLLS	300

/* The page frame of the mirror of @gpa in range @id: >0, or 0. */
static inline unsigned long mirror_pfn(long id, uint64_t gpa)
{
	unsigned long long g, pfn = 0, p;
	unsigned int i;
	char line[128];
	FILE *f;

	f = fopen(MIRROR_PAGES, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%u %llx %llx", &i, &g, &p) == 3 &&
		    i == id && g == gpa)
			pfn = p;
	fclose(f);
	return pfn;
}

/*
 * memory_failure() on page frame @pfn: 1 when it failed now (the kernel
 * answers EBUSY for a page it cannot act on, as Keel's), 0 when it had
 * failed already, -errno otherwise.
 */
static inline int poison_pfn(unsigned long pfn)
{
	char buf[32];
	int fd, n, ret = 1;

	fd = open(CORRUPT_PFN, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = snprintf(buf, sizeof(buf), "%#lx", pfn);
	if (write(fd, buf, n) != n)
		ret = errno == EHWPOISON ? 0 :
		      (errno == EBUSY || errno == EIO) ? 1 : -errno;
	close(fd);
	return ret;
}

/* The injector, or a reason to skip. */
static inline const char *injector(void)
{
	if (access(CORRUPT_PFN, W_OK) &&
	    system("modprobe hwpoison_inject 2>/dev/null") != 0)
		return "no hwpoison_inject (CONFIG_HWPOISON_INJECT)";
	if (access(CORRUPT_PFN, W_OK))
		return "no " CORRUPT_PFN;
	if (access(MIRROR_PAGES, R_OK))
		return "no " MIRROR_PAGES " (debugfs)";
	return NULL;
}

/* Until @id's mirror_rebuilt reaches @n: its last value. */
static inline long long wait_rebuilt(long id, long long n)
{
	struct timespec ts = { 0, 100 * 1000000L };
	long long got = 0;
	int i;

	for (i = 0; i < REBUILD_POLLS; i++) {
		got = keel_test_obj_info("mirror", id, "mirror_rebuilt");
		if (got >= n || got < 0)
			break;
		nanosleep(&ts, NULL);
	}
	return got;
}

#endif /* MIRROR_POISON_H */
