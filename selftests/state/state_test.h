/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the state framework tests: the state ioctls on a
 * device's file, with blobs passed through memfds (the UART's registers
 * come with vdev_test.h).
 */
#ifndef STATE_TEST_H
#define STATE_TEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* memfd_create() */
#endif
#include <stdlib.h>
#include <sys/mman.h>
#include <linux/keel_state.h>

#include "vdev_test.h"

struct blob {
	uint8_t *buf;
	size_t len;
};

static inline void blob_free(struct blob *b)
{
	free(b->buf);
	b->buf = NULL;
	b->len = 0;
}

static inline int state_simple(int fd, unsigned long cmd)
{
	return ioctl(fd, cmd) ? -errno : 0;
}

static inline int state_info(int fd, struct keel_state_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return ioctl(fd, KEEL_STATE_IOC_GET, info) ? -errno : 0;
}

static inline uint32_t state_of(int fd)
{
	struct keel_state_info info;

	return state_info(fd, &info) ? 0 : info.state;
}

/* A memfd holding @len bytes of @buf, or -errno. */
static inline int blob_memfd(const void *buf, size_t len)
{
	int fd = memfd_create("keel-blob", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (len && write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	return fd;
}

/* Read the snapshot file @sfd to its end into @out and close it. */
static inline int blob_slurp(int sfd, size_t expect, struct blob *out)
{
	ssize_t n;

	out->buf = malloc(expect + 1);
	out->len = 0;
	if (!out->buf) {
		close(sfd);
		return -ENOMEM;
	}
	while ((n = read(sfd, out->buf + out->len, expect + 1 - out->len)) > 0)
		out->len += n;
	close(sfd);
	if (n < 0 || out->len != expect) {
		blob_free(out);
		return -EIO;
	}
	return 0;
}

/* SAVE into @out: 0 or -errno. */
static inline int state_save(int fd, struct blob *out)
{
	struct keel_state_xfer x = { .size = sizeof(x), .load_fd = -1 };

	out->buf = NULL;
	out->len = 0;
	if (ioctl(fd, KEEL_STATE_IOC_SAVE, &x))
		return -errno;
	return blob_slurp(x.save_fd, x.save_len, out);
}

/* LOAD @len bytes of @buf: 0 or -errno. */
static inline int state_load(int fd, const void *buf, size_t len)
{
	struct keel_state_xfer x = { .size = sizeof(x) };
	int ret;

	x.load_fd = blob_memfd(buf, len);
	if (x.load_fd < 0)
		return x.load_fd;
	ret = ioctl(fd, KEEL_STATE_IOC_LOAD, &x) ? -errno : 0;
	if (!ret && x.load_len != len)
		ret = -EIO;
	close(x.load_fd);
	return ret;
}

/* SWAP: load @in, the old state into @out. 0 or -errno. */
static inline int state_swap(int fd, const struct blob *in, struct blob *out)
{
	struct keel_state_xfer x = { .size = sizeof(x) };
	int ret;

	out->buf = NULL;
	out->len = 0;
	x.load_fd = blob_memfd(in->buf, in->len);
	if (x.load_fd < 0)
		return x.load_fd;
	ret = ioctl(fd, KEEL_STATE_IOC_SWAP, &x) ? -errno : 0;
	close(x.load_fd);
	if (ret)
		return ret;
	return blob_slurp(x.save_fd, x.save_len, out);
}

static inline bool blob_eq(const struct blob *a, const struct blob *b)
{
	return a->len == b->len && !memcmp(a->buf, b->buf, a->len);
}

/* A UART set up (not started) at COM1 of @vm_fd, with an irqfd if >= 0. */
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
