/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the sample module's tests: opening /dev/keel-sample,
 * setting a doorbell up, ringing it, and reading the rings a stopped
 * doorbell holds from its state blob.
 */
#ifndef SAMPLE_TEST_H
#define SAMPLE_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* memfd_create() */
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <endian.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>

#include "keel_sample.h"
#include "kselftest_harness.h"
#include "state_blob.h"

/* Open /dev/keel-sample, or skip when keel_sample.ko is not loaded. */
#define SAMPLE_OPEN_OR_SKIP(fd)						\
	do {								\
		(fd) = open(KEEL_SAMPLE_DEVICE, O_RDWR | O_CLOEXEC);	\
		if ((fd) < 0 && errno == ENOENT)			\
			SKIP(return, "keel_sample.ko is not loaded");	\
		ASSERT_LE(0, (fd));					\
	} while (0)

static inline void sample_setup_init(struct keel_sample_setup *s, int vm_fd,
				     int bell_fd, int irq_fd,
				     const char *label)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	s->vm_fd = vm_fd;
	s->bell_fd = bell_fd;
	s->irq_fd = irq_fd;
	strncpy(s->label, label, sizeof(s->label) - 1);
}

/* ioctl() as 0 or -errno. */
static inline int sample_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int ring_bell(int bell_fd, uint64_t n)
{
	return write(bell_fd, &n, sizeof(n)) == sizeof(n) ? 0 : -errno;
}

/*
 * The rings a stopped doorbell holds (its blob's one section), or -1. The
 * payload is the last 8 bytes of a blob of one 8-byte section.
 */
static inline int64_t sample_saved_pending(int fd)
{
	struct blob b;
	uint64_t v;

	if (state_save(fd, &b))
		return -1;
	if (b.len < 8) {
		blob_free(&b);
		return -1;
	}
	memcpy(&v, b.buf + b.len - 8, 8);
	blob_free(&b);
	return le64toh(v);
}

/*
 * Wait until a stopped doorbell holds @want rings: rings reach it from a
 * work item, shortly after the eventfd write. The limit only turns a
 * lost ring into a failure instead of a hang.
 */
static inline int64_t sample_wait_pending(int fd, int64_t want)
{
	struct timespec pause = { 0, 2 * 1000 * 1000 };
	int64_t got = -1;
	int i;

	for (i = 0; i < 10000; i++) {
		got = sample_saved_pending(fd);
		if (got == want)
			break;
		nanosleep(&pause, NULL);
	}
	return got;
}

#endif /* SAMPLE_TEST_H */
