/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The state ioctls on any Keel object's file, for tests: STOP/RESUME,
 * SAVE into memory, LOAD and SWAP from memory through memfds, and the
 * blob's checksums recomputed after a test changed its bytes.
 */
#ifndef STATE_BLOB_H
#define STATE_BLOB_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE		/* memfd_create() */
#endif
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/keel_state.h>

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
/* CRC-32 (IEEE 802.3, reflected), bit by bit: tests are not hot. */
static inline uint32_t crc_update(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;
	int k;

	while (len--) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = crc & 1 ? 0xedb88320u ^ (crc >> 1) : crc >> 1;
	}
	return crc;
}

/* Recompute every checksum of @b, as far as its lengths make sense. */
static inline void fix_crcs(struct blob *b)
{
	struct keel_state_header *h = (void *)b->buf;
	size_t off = sizeof(*h);
	uint32_t i, crc;

	if (b->len < sizeof(*h))
		return;
	for (i = 0; i < h->nr_sections && off + 16 <= b->len; i++) {
		struct keel_state_section *s = (void *)(b->buf + off);
		size_t plen = s->len;

		if (plen > b->len - off - sizeof(*s))
			break;
		s->crc = 0;
		crc = crc_update(~0u, s, sizeof(*s));
		s->crc = crc_update(crc, s + 1, plen) ^ ~0u;
		off += sizeof(*s) + ((plen + 7) & ~(size_t)7);
	}
	h->hdr_crc = 0;
	h->hdr_crc = crc_update(~0u, h, sizeof(*h)) ^ ~0u;
}

#endif /* STATE_BLOB_H */
