/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Attached objects for tests: a new descriptor of one by id
 * (KEEL_IOC_OBJ_OPEN) and keel_vdev's count of users, which an attached
 * device holds until it is reaped.
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

/* keel_vdev's count of users (open files, attached ones among them). */
static inline int keel_test_vdev_refcnt(void)
{
	unsigned long long n;

	return read_ull("/sys/module/keel_vdev/refcnt", &n) ? -1 : (int)n;
}

#endif /* KEEL_TEST_ATTACH_H */
