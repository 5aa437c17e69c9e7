/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attached objects for tests: a new descriptor of one by id
 * (KEEL_IOC_OBJ_OPEN), its hang-up once its VMM is gone, and a module's
 * count of users (keel_vdev's, ...), which an attached device holds until
 * it is reaped.
 */
#ifndef KEEL_TEST_ATTACH_H
#define KEEL_TEST_ATTACH_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/keel.h>

#include "keel_test_file.h"

/* KEEL_IOC_OBJ_OPEN through /dev/keel: the object's fd, or -errno. */
static inline int keel_test_obj_open(uint32_t id)
{
	struct keel_obj_open o = { .size = sizeof(o), .id = id };
	int dev, ret;

	dev = open("/dev/keel", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return -errno;
	ret = ioctl(dev, KEEL_IOC_OBJ_OPEN, &o) ? -errno : o.fd;
	close(dev);
	return ret;
}

/*
 * The revents of @fd, a descriptor of an attached object, once it hangs
 * up (POLLHUP) or after @ms milliseconds; -errno when poll() fails. Its
 * VMM's end reaches it from a work item, after the VMM's exit. It polls
 * every 10 ms, sleeping between: a device that can be read or written
 * returns from poll() at once, so poll()'s own timeout bounds nothing.
 */
static inline int keel_test_wait_hup(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	int waited;

	for (waited = 0;; waited += 10) {
		if (poll(&p, 1, 0) < 0)
			return -errno;
		if ((p.revents & POLLHUP) || waited >= ms)
			return p.revents;
		usleep(10000);
	}
}

/* Module @name's count of users (open files, attached ones among them). */
static inline int keel_test_module_refcnt(const char *name)
{
	unsigned long long n;
	char path[128];

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	return read_ull(path, &n) ? -1 : (int)n;
}

/*
 * Module @name's count of users once it is @want, or what it is after
 * 5 s: a device removed or reaped lets its reference go from a work
 * item, after the call that removed it returned.
 */
static inline int keel_test_module_refcnt_wait(const char *name, int want)
{
	int i, n = keel_test_module_refcnt(name);

	for (i = 0; i < 500 && n != want; i++) {
		usleep(10000);
		n = keel_test_module_refcnt(name);
	}
	return n;
}

static inline int keel_test_vdev_refcnt(void)
{
	return keel_test_module_refcnt("keel_vdev");
}

#endif /* KEEL_TEST_ATTACH_H */
