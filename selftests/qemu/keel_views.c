// SPDX-License-Identifier: GPL-2.0
/*
 * keel-views: a process of a Linux guest that stores through Keel's
 * windows as translated code does, at fixed distances from its own
 * memory (keel_guest.ko, uapi/linux/keel_guest.h). Runs in the nested
 * guest of the qemu suite, so it is linked statically (the guest has no
 * libraries).
 *
 *   keel-views FILE PAGE OP...
 *   keel-views FILE PAGE bt PASSES
 *
 * maps page PAGE of FILE (shared), pins it with KEEL_GUEST_IOC_PIN on
 * /dev/keel-guest, maps the alias view at the page + VIEWS_ALIAS and the
 * mirror view at the page + VIEWS_MIRROR (distances a translation's
 * 32-bit displacements reach), and then either runs each OP in order:
 *   p:OFF=VAL  a:OFF=VAL  m:OFF=VAL   store the qword VAL at OFF of the
 *                                     page, of the alias or of the mirror
 *   p:OFF      a:OFF      m:OFF       load it; prints "0x..." on a line
 * or, with "bt", runs its hot spot bt_fill() (selftests/mirror/bt_fill.h)
 * over the page translated by the host, talking on stdin and stdout:
 *   0. PASSES passes over a page of its own that nothing protects; prints
 *      "KEEL-BT-NATIVE stores=N ns=T" (T: their time, CLOCK_MONOTONIC);
 *   1. one pass, trapped by Keel (512 stores); prints
 *      "KEEL-BT-TRAPPED stores=512 ns=T", "KEEL-BT-CODE rip=... len=...
 *      cache=... cache_gpa=... log=... log_gpa=... alias=... mirror=...",
 *      "KEEL-BT-HEX <the code of bt_fill in hex>" and "KEEL-BT-WAIT";
 *   2. reads "X <head>" once the host has written the translation (for
 *      the code cache at cache, its log at log) into the cache's first
 *      page, at guest-physical cache_gpa (the cache is locked in
 *      memory; the log's page, at log_gpa, may hold the translation's
 *      counter too, which starts at 0); patches a
 *      jump to it at head; runs PASSES passes; prints
 *      "KEEL-BT-TRANSLATED stores=N ns=T equal=E" (E: 1 when the mirror
 *      view is the page); then PASSES passes of bt_fill_x2 over the
 *      alias view, each store made again at the mirror view (the floor of
 *      a mirror kept by duplicated stores; no trap), and prints
 *      "KEEL-BT-DOUBLED stores=N ns=T equal=E" and "KEEL-BT-WAIT";
 *   3. reads "go": puts the head's bytes back, runs one pass, trapped
 *      again, and prints "KEEL-BT-RESTORED stores=512 equal=E", then its
 *      page tables, "KEEL-BT-ROOT pt=... levels=..." (KEEL_GUEST_IOC_ROOT),
 *      and "KEEL-BT-WAIT";
 *   4. reads "F <head>" once the host has written a translation with a
 *      full log into the cache (its log registered with keel_mirror, with
 *      those page tables); patches the jump in, prints "KEEL-BT-LOOP"
 *      and runs passes, each with its own seed, checking after each that
 *      the page holds it in every qword, until it reads "stop" (the host
 *      fails the page meanwhile, and keel_mirror rebuilds it from the
 *      mirror and the log); puts the head's bytes back and prints
 *      "KEEL-BT-LOST passes=N bad=B equal=E" (B: passes after which the
 *      page did not hold their seed: a store lost).
 * Exit status 0, or 1 with the error on stderr (2: bad usage).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/keel_bt.h>
#include <linux/keel_guest.h>
#include "bt_fill.h"

#define PAGE		4096ul
/*
 * The views' fixed distances from the memory, in the process: not
 * multiples of 256 MiB (Documentation/bt.rst, "Placement in a guest").
 */
#define VIEWS_ALIAS	0x40200000ul
#define VIEWS_MIRROR	0x60400000ul
/* The page, and the code cache within a jump's reach of the code. */
#define PAGE_AT		(1ul << 33)
#define CACHE_AT	0x10000000ul
#define CACHE_LEN	(64 * 1024ul)
#define LOG_OFF		(32 * 1024ul)	/* the region log, in the cache */
#define STORES		(PAGE / 8)	/* one pass of bt_fill */

static void die(const char *what)
{
	fprintf(stderr, "keel-views: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void *view(int fd, void *at, uint64_t off)
{
	void *p = mmap(at, PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED_NOREPLACE, fd, off);

	if (p == MAP_FAILED)
		die("mmap of a view");
	if (p != at) {
		errno = EEXIST;
		die("mmap of a view elsewhere");
	}
	return p;
}

/* The qword operations on the page and its views. */
static int ops(uint8_t *page, int n, char **op)
{
	unsigned long long off, val;
	volatile uint64_t *q;
	char kind, *end;
	int i;

	for (i = 0; i < n; i++) {
		kind = op[i][0];
		if (op[i][1] != ':' || !strchr("pam", kind))
			goto bad;
		off = strtoull(op[i] + 2, &end, 0);
		if (off > PAGE - 8 || off % 8 || (*end && *end != '='))
			goto bad;
		q = (volatile uint64_t *)(page + off +
			(kind == 'a' ? VIEWS_ALIAS :
			 kind == 'm' ? VIEWS_MIRROR : 0));
		if (*end == '=') {
			val = strtoull(end + 1, &end, 0);
			if (*end)
				goto bad;
			*q = val;
		} else {
			printf("0x%llx\n", (unsigned long long)*q);
		}
	}
	return 0;
bad:
	fprintf(stderr, "keel-views: not an operation: %s\n", op[i]);
	return 2;
}

/* A line of stdin, without its newline; exits when there is none. */
static char *line(void)
{
	static char buf[256];
	size_t len;

	if (!fgets(buf, sizeof(buf), stdin)) {
		errno = EPIPE;
		die("stdin");
	}
	len = strlen(buf);
	if (len && buf[len - 1] == '\n')
		buf[--len] = 0;
	return buf;
}

/* Write @len bytes at @at of the program's own code. */
static void code_write(uint8_t *at, const uint8_t *bytes, size_t len)
{
	uintptr_t lo = (uintptr_t)at & ~(PAGE - 1);
	size_t span = (uintptr_t)at + len - lo;

	if (mprotect((void *)lo, span, PROT_READ | PROT_WRITE | PROT_EXEC))
		die("mprotect of the code");
	memcpy(at, bytes, len);
	if (mprotect((void *)lo, span, PROT_READ | PROT_EXEC))
		die("mprotect of the code");
}

/* bt_fill() over [buf, end), @passes times: its time in ns. */
/*
 * bt_fill's passes over [buf, end), or with @off bt_fill_x2's (each store
 * made again at + off): their time in ns.
 */
static unsigned long long timed_fill(uint64_t *buf, uint64_t *end,
				     unsigned long passes, uint64_t seed,
				     int64_t off)
{
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (off)
		bt_fill_x2(buf, end, passes, seed, off);
	else
		bt_fill(buf, end, passes, seed);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0.tv_sec) * 1000000000ull + t1.tv_nsec -
	       t0.tv_nsec;
}

/* The guest-physical address of the page at @p (root: /proc/self/pagemap). */
static unsigned long long gpa(const void *p)
{
	uint64_t e = 0, pfn;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0 || pread(fd, &e, 8, (uintptr_t)p / PAGE * 8) != 8)
		die("/proc/self/pagemap");
	close(fd);
	pfn = e & ((1ull << 55) - 1);	/* bit 63: present */
	if (!(e >> 63) || !pfn) {
		errno = ENXIO;
		die("no frame in /proc/self/pagemap");
	}
	return pfn * PAGE;
}

static int equal(const uint8_t *page)
{
	return !memcmp(page, page + VIEWS_MIRROR, PAGE);
}

/* Whether stdin has a line "stop" (not waiting for one). */
static int stop_asked(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && !strcmp(line(), "stop");
}

/*
 * Enter the translation in the code cache at @p: the log emptied, @p's
 * bytes saved in @saved and a jmp rel32 to the cache written there. -1
 * when the cache is out of the jump's reach.
 */
static int enter(uint8_t *cache, uint8_t *p, uint8_t saved[5])
{
	int64_t rel = (int64_t)CACHE_AT - (int64_t)((uintptr_t)p + 5);
	uint8_t jump[5] = { 0xe9 };

	if (rel != (int32_t)rel)
		return -1;
	memset(cache + LOG_OFF, 0, sizeof(struct keel_bt_log));
	memcpy(saved, p, 5);
	memcpy(jump + 1, &(int32_t){ (int32_t)rel }, 4);
	code_write(p, jump, 5);
	return 0;
}

/*
 * Step 4 of the exchange: passes of the translation at @head (the jump
 * put in at @p) until "stop", each checked.
 */
static int bt_lost(uint8_t *page, uint8_t *cache, uint8_t *p)
{
	uint64_t *buf = (uint64_t *)page, *end = buf + STORES, seed, i;
	unsigned long long head, passes = 0, bad = 0;
	uint8_t saved[5];
	char *l;

	l = line();
	if (sscanf(l, "F %llx", &head) != 1 || head != (uintptr_t)p ||
	    enter(cache, p, saved)) {
		fprintf(stderr, "keel-views: not what the exchange expects: %.80s\n", l);
		return 2;
	}
	printf("KEEL-BT-LOOP\n");
	fflush(stdout);
	do {
		seed = 0x6c6f7374000000ull + passes;
		bt_fill(buf, end, 1, seed);
		for (i = 0; i < STORES; i++)
			if (buf[i] != seed)
				break;
		bad += i < STORES;
		passes++;
	} while (!stop_asked() && passes < 100000000ull);
	code_write(p, saved, 5);
	printf("KEEL-BT-LOST passes=%llu bad=%llu equal=%d\n", passes, bad,
	       equal(page));
	return 0;
}

/* The "bt" exchange; see the top of the file. */
static int bt(uint8_t *page, unsigned long passes, int g)
{
	struct keel_guest_root root = { .size = sizeof(root) };
	uint64_t *buf = (uint64_t *)page, *end = buf + STORES;
	uint8_t *cache, *p, saved[5];
	unsigned long long head, ns;
	uint64_t *own;
	size_t len, i;
	char *l;

	cache = mmap((void *)CACHE_AT, CACHE_LEN,
		     PROT_READ | PROT_WRITE | PROT_EXEC,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE |
		     MAP_POPULATE | MAP_LOCKED, -1, 0);
	if (cache != (void *)CACHE_AT)
		die("mmap of the code cache");

	own = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (own == MAP_FAILED)
		die("mmap of an unprotected page");
	ns = timed_fill(own, own + STORES, passes, 0, 0);
	printf("KEEL-BT-NATIVE stores=%lu ns=%llu\n", passes * STORES, ns);

	ns = timed_fill(buf, end, 1, 1, 0);
	len = (uintptr_t)bt_fill_end - (uintptr_t)bt_fill;
	printf("KEEL-BT-TRAPPED stores=%lu ns=%llu\n", STORES, ns);
	printf("KEEL-BT-CODE rip=%#lx len=%zu cache=%#lx cache_gpa=%#llx log=%#lx log_gpa=%#llx alias=%#lx mirror=%#lx\n",
	       (unsigned long)(uintptr_t)bt_fill, len, CACHE_AT, gpa(cache),
	       CACHE_AT + LOG_OFF, gpa(cache + LOG_OFF), VIEWS_ALIAS,
	       VIEWS_MIRROR);
	printf("KEEL-BT-HEX ");
	for (i = 0; i < len; i++)
		printf("%02x", ((const uint8_t *)(uintptr_t)bt_fill)[i]);
	printf("\nKEEL-BT-WAIT\n");
	fflush(stdout);

	l = line();
	if (sscanf(l, "X %llx", &head) != 1 ||
	    head < (uintptr_t)bt_fill || head + 5 > (uintptr_t)bt_fill_end)
		goto bad;
	p = (uint8_t *)(uintptr_t)head;
	if (enter(cache, p, saved))
		goto bad;

	ns = timed_fill(buf, end, passes, 2, 0);
	printf("KEEL-BT-TRANSLATED stores=%lu ns=%llu equal=%d\n",
	       passes * STORES, ns, equal(page));
	ns = timed_fill((uint64_t *)(page + VIEWS_ALIAS),
			(uint64_t *)(page + VIEWS_ALIAS + PAGE), passes, 4,
			(int64_t)(VIEWS_MIRROR - VIEWS_ALIAS));
	printf("KEEL-BT-DOUBLED stores=%lu ns=%llu equal=%d\nKEEL-BT-WAIT\n",
	       passes * STORES, ns, equal(page));
	fflush(stdout);

	l = line();
	if (strcmp(l, "go"))
		goto bad;
	code_write(p, saved, 5);
	bt_fill(buf, end, 1, 3);
	printf("KEEL-BT-RESTORED stores=%lu equal=%d\n", STORES, equal(page));
	if (ioctl(g, KEEL_GUEST_IOC_ROOT, &root))
		die("KEEL_GUEST_IOC_ROOT");
	printf("KEEL-BT-ROOT pt=%#llx levels=%u\nKEEL-BT-WAIT\n",
	       (unsigned long long)root.pt_gpa, root.levels);
	fflush(stdout);
	return bt_lost(page, cache, p);
bad:
	fprintf(stderr, "keel-views: not what the exchange expects: %.80s\n", l);
	return 2;
}

int main(int argc, char **argv)
{
	struct keel_guest_pin pin = { .size = sizeof(pin), .len = PAGE };
	uint8_t *page;
	int fd, g;

	if (argc < 4) {
		fprintf(stderr, "usage: keel-views FILE PAGE OP... | bt PASSES\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR);
	if (fd < 0)
		die(argv[1]);
	page = mmap((void *)PAGE_AT, PAGE, PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_FIXED_NOREPLACE, fd,
		    strtoul(argv[2], NULL, 0) * PAGE);
	if (page == MAP_FAILED || page != (void *)PAGE_AT)
		die("mmap of the page");
	g = open(KEEL_GUEST_DEVICE, O_RDWR);
	if (g < 0)
		die(KEEL_GUEST_DEVICE);
	pin.addr = (uintptr_t)page;
	if (ioctl(g, KEEL_GUEST_IOC_PIN, &pin))
		die("KEEL_GUEST_IOC_PIN");
	view(g, page + VIEWS_ALIAS, KEEL_GUEST_VIEW_ALIAS);
	view(g, page + VIEWS_MIRROR, KEEL_GUEST_VIEW_MIRROR);

	if (!strcmp(argv[3], "bt") && argc == 5)
		return bt(page, strtoul(argv[4], NULL, 0), g);
	return ops(page, argc - 3, argv + 3);
}
