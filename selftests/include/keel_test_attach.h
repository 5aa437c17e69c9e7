/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attached objects for tests: a new descriptor of one by id
 * (KEEL_IOC_OBJ_OPEN) and a module's count of users (keel_vdev's, ...),
 * which an attached device holds until it is reaped.
 */
#ifndef KEEL_TEST_ATTACH_H
#define KEEL_TEST_ATTACH_H

#include <errno.h>
#include <fcntl.h>
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
