// SPDX-License-Identifier: GPL-2.0
/*
 * keel-views: a process of a Linux guest that stores through Keel's
 * windows as translated code does, at fixed distances from its own
 * memory (keel_guest.ko, uapi/linux/keel_guest.h). Runs in the nested
 * guest of the qemu suite, so it is linked statically (the guest has no
 * libraries).
 *
 *   keel-views FILE PAGE OP...
 *
 * maps page PAGE of FILE (shared), pins it with KEEL_GUEST_IOC_PIN on
 * /dev/keel-guest, maps the alias view at the page + VIEWS_ALIAS and the
 * mirror view at the page + VIEWS_MIRROR, and runs each OP in order:
 *   p:OFF=VAL  a:OFF=VAL  m:OFF=VAL   store the qword VAL at OFF of the
 *                                     page, of the alias or of the mirror
 *   p:OFF      a:OFF      m:OFF       load it; prints "0x..." on a line
 * Exit status 0, or 1 with the error on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/keel_guest.h>

#define PAGE		4096ul
/* The views' fixed distances from the memory, in the process. */
#define VIEWS_ALIAS	(1ul << 40)
#define VIEWS_MIRROR	(2ul << 40)
/* The page, low enough for its views within 47 bits of address. */
#define PAGE_AT		(1ul << 33)

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

int main(int argc, char **argv)
{
	struct keel_guest_pin pin = { .size = sizeof(pin), .len = PAGE };
	volatile uint64_t *q;
	unsigned long long off, val;
	uint8_t *page;
	char kind, *end;
	int fd, g, i;

	if (argc < 4) {
		fprintf(stderr, "usage: keel-views FILE PAGE OP...\n");
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

	for (i = 3; i < argc; i++) {
		kind = argv[i][0];
		if (argv[i][1] != ':' || !strchr("pam", kind))
			goto bad;
		off = strtoull(argv[i] + 2, &end, 0);
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
	fprintf(stderr, "keel-views: not an operation: %s\n", argv[i]);
	return 2;
}
