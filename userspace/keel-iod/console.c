// SPDX-License-Identifier: GPL-2.0
/*
 * Consoles: a byte stream out (WRITE appends to the out= file, created
 * if missing) and in (READ returns what the in= file or FIFO holds now,
 * from where the last READ stopped, never waiting: zero bytes when there
 * is nothing). One session at a time (registry.c), like a serial line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "registry.h"

static int con_open(struct iod_dev *d, bool serve, char *msg, size_t len)
{
	int ret;

	d->desc.features = (d->in ? KEEL_REMOTE_FEAT_READ : 0) |
			   (d->out ? KEEL_REMOTE_FEAT_WRITE : 0);
	if (!serve)
		return 0;
	if (d->in) {
		d->in_fd = open(d->in, O_RDONLY | O_NONBLOCK | O_CLOEXEC |
				O_NOCTTY);
		if (d->in_fd < 0) {
			ret = -errno;
			snprintf(msg, len, "device %s: cannot open in=%s: %s%s",
				 d->desc.name, d->in, strerror(-ret),
				 path_hint(-ret));
			return ret;
		}
	}
	if (d->out) {
		d->out_fd = open(d->out, O_WRONLY | O_APPEND | O_CREAT |
				 O_CLOEXEC | O_NOCTTY, 0640);
		if (d->out_fd < 0) {
			ret = -errno;
			snprintf(msg, len, "device %s: cannot open out=%s: %s%s",
				 d->desc.name, d->out, strerror(-ret),
				 path_hint(-ret));
			return ret;
		}
	}
	return 0;
}

static int con_read(struct iod_dev *d, uint64_t off, void *buf, uint32_t len,
		    uint32_t *got)
{
	ssize_t n;

	(void)off;
	*got = 0;
	do
		n = read(d->in_fd, buf, len);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno != EAGAIN) {
		iod_log(LOG_ERR, "device %s: read of %s: %s", d->desc.name,
			d->in, strerror(errno));
		return -EIO;
	}
	*got = n > 0 ? (uint32_t)n : 0;
	return 0;
}

static int con_write(struct iod_dev *d, uint64_t off, const void *buf,
		     uint32_t len, bool fua)
{
	const char *p = buf;
	uint32_t done = 0;
	ssize_t n;

	(void)off;
	(void)fua;
	while (done < len) {
		n = write(d->out_fd, p + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			iod_log(LOG_ERR, "device %s: write to %s: %s", d->desc.name,
				d->out, n ? strerror(errno) : "nothing written");
			return -EIO;
		}
		done += (uint32_t)n;
	}
	return 0;
}

static void con_close(struct iod_dev *d)
{
	if (d->in_fd >= 0)
		close(d->in_fd);
	if (d->out_fd >= 0)
		close(d->out_fd);
	d->in_fd = d->out_fd = -1;
}

const struct iod_dev_ops console_ops = {
	.type = "console",
	.model = "16550a",
	.open = con_open,
	.read = con_read,
	.write = con_write,
	.close = con_close,
};
