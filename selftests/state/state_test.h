/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the state framework tests on the UART: a UART set
 * up for them (the state ioctls come with state_blob.h, the UART's
 * registers with vdev_test.h).
 */
#ifndef STATE_TEST_H
#define STATE_TEST_H

#include "state_blob.h"
#include "vdev_test.h"

static inline int state_uart_setup(int vm_fd, int irq_fd)
{
	struct keel_vdev_setup s;
	int fd, ret;

	fd = open(KEEL_VDEV_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	vdev_setup_init(&s, vm_fd, COM1);
	if (irq_fd >= 0) {
		s.flags = KEEL_VDEV_SETUP_IRQFD;
		s.irq_fd = irq_fd;
	}
	ret = vdev_ioctl(fd, KEEL_VDEV_IOC_SETUP, &s);
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

#endif /* STATE_TEST_H */
