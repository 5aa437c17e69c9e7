/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the keel_mirror tests: opening /dev/keel-mirror, setting up
 * a protected range, reading the mirror back and comparing it with the
 * guest's memory.
 */
#ifndef MIRROR_TEST_H
#define MIRROR_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/wait.h>

#include <linux/keel_mirror.h>
#include "kselftest_harness.h"
#include "keel_test_cgroup.h"
#include "keel_test_keelctl.h"

/* Open /dev/keel-mirror, or skip when keel_mirror.ko is not loaded. */
#define MIRROR_OPEN_OR_SKIP(fd)						\
	do {								\
		(fd) = open(KEEL_MIRROR_DEVICE, O_RDWR | O_CLOEXEC);	\
		if ((fd) < 0 && errno == ENOENT)			\
			SKIP(return, "keel_mirror.ko is not loaded");	\
		ASSERT_LE(0, (fd));					\
	} while (0)

/* ioctl() as 0 or -errno. */
static inline int mirror_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* KEEL_MIRROR_IOC_WINDOWS on range @fd: 0 or -errno. */
static inline int mirror_windows(int fd, int vm_fd, uint32_t flags,
				 uint64_t alias_off, uint64_t mirror_off)
{
	struct keel_mirror_windows w = {
		.size = sizeof(w), .flags = flags, .vm_fd = vm_fd,
		.alias_off = alias_off, .mirror_off = mirror_off,
	};

	return mirror_ioctl(fd, KEEL_MIRROR_IOC_WINDOWS, &w);
}

static inline void mirror_setup_init(struct keel_mirror_setup *s, int vm_fd,
				     uint64_t gpa, uint64_t len,
				     const char *label)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	s->vm_fd = vm_fd;
	s->gpa = gpa;
	s->len = len;
	strncpy(s->label, label, sizeof(s->label) - 1);
}

/*
 * Protect [gpa, gpa + len) of the VM on a new file, with setup @flags:
 * its fd, or -errno.
 */
static inline int mirror_add_flags(int vm_fd, uint64_t gpa, uint64_t len,
				   uint32_t flags, uint32_t *id)
{
	struct keel_mirror_setup s;
	int fd, ret;

	fd = open(KEEL_MIRROR_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	mirror_setup_init(&s, vm_fd, gpa, len, "test");
	s.flags = flags;
	ret = mirror_ioctl(fd, KEEL_MIRROR_IOC_SETUP, &s);
	if (ret) {
		close(fd);
		return ret;
	}
	if (id)
		*id = s.id;
	return fd;
}

static inline int mirror_add(int vm_fd, uint64_t gpa, uint64_t len,
			     uint32_t *id)
{
	return mirror_add_flags(vm_fd, gpa, len, 0, id);
}

/*
 * Protect [gpa, gpa + len) with setup @flags from a forked child, as
 * keelctl does for a running QEMU with the VMM's VM fd (pidfd_getfd(2)),
 * and attach the range to the VM so that it outlives the child; the child
 * first enters cgroup @cgroup unless it is NULL. The range's id, or -errno.
 */
static inline long mirror_add_by_child(int vm_fd, uint64_t gpa, uint64_t len,
				       uint32_t flags, const char *cgroup)
{
	int status, p[2];
	uint32_t id = 0;
	long ret;
	pid_t pid;

	if (pipe(p))
		return -errno;
	pid = fork();
	if (!pid) {
		int fd = cgroup ? cg_enter(cgroup) : 0;

		if (!fd)
			fd = mirror_add_flags(vm_fd, gpa, len, flags, &id);
		ret = fd < 0 ? fd : mirror_ioctl(fd, KEEL_IOC_ATTACH, NULL);
		if (!ret)
			ret = id;
		_exit(write(p[1], &ret, sizeof(ret)) != sizeof(ret));
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &ret, sizeof(ret)) != sizeof(ret))
		ret = -ECHILD;
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &status, 0);
	return ret;
}

static inline int mirror_read(int fd, uint64_t gpa, void *buf, uint64_t len)
{
	struct keel_mirror_read r = {
		.size = sizeof(r), .gpa = gpa, .len = len,
		.buf = (uintptr_t)buf,
	};

	return mirror_ioctl(fd, KEEL_MIRROR_IOC_READ, &r);
}

/*
 * Bytes where the mirror of [gpa, gpa + len) differs from @mem (the
 * guest's memory there), the first one's offset in @first; -errno when
 * the mirror cannot be read.
 */
static inline long mirror_diff(int fd, uint64_t gpa, const void *mem,
			       uint64_t len, uint64_t *first)
{
	const uint8_t *a = mem;
	uint8_t *b = malloc(len);
	long n = 0;
	uint64_t i;
	int ret;

	if (!b)
		return -ENOMEM;
	ret = mirror_read(fd, gpa, b, len);
	if (ret) {
		free(b);
		return ret;
	}
	for (i = 0; i < len; i++) {
		if (a[i] == b[i])
			continue;
		if (!n++ && first)
			*first = i;
	}
	free(b);
	return n;
}

#endif /* MIRROR_TEST_H */
