// SPDX-License-Identifier: GPL-2.0
/*
 * Block devices backed by a regular file or a block device: the capacity
 * (the file's size, or BLKGETSIZE64, rounded down to whole sectors), an
 * exclusive flock so two servers never share one backing, and I/O with
 * pread/pwrite. A write returns once the data is in the file (the page
 * cache: it survives keel-iod, not the host); with FUA, or on FLUSH, once
 * fdatasync() has put it on stable storage.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/fs.h>

#include "log.h"
#include "registry.h"

static int blk_open(struct iod_dev *d, bool serve, char *msg, size_t len)
{
	uint64_t size;
	struct stat st;
	int ret;

	d->fd = open(d->file, (d->ro || !serve ? O_RDONLY : O_RDWR) |
		     O_CLOEXEC | O_NOCTTY);
	if (d->fd < 0) {
		ret = -errno;
		snprintf(msg, len, "device %s: cannot open %s: %s%s",
			 d->desc.name, d->file, strerror(-ret),
			 path_hint(-ret));
		return ret;
	}
	if (fstat(d->fd, &st)) {
		ret = -errno;
		snprintf(msg, len, "device %s: %s: %s", d->desc.name, d->file,
			 strerror(-ret));
		return ret;
	}
	if (S_ISREG(st.st_mode)) {
		size = (uint64_t)st.st_size;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(d->fd, BLKGETSIZE64, &size)) {
			ret = -errno;
			snprintf(msg, len, "device %s: size of %s: %s",
				 d->desc.name, d->file, strerror(-ret));
			return ret;
		}
	} else {
		snprintf(msg, len, "device %s: %s is not a regular file or a block device",
			 d->desc.name, d->file);
		return -EINVAL;
	}
	size -= size % KEEL_REMOTE_SECTOR;
	if (!size) {
		snprintf(msg, len, "device %s: %s holds no whole sector; give it a size (truncate -s 1G %s)",
			 d->desc.name, d->file, d->file);
		return -EINVAL;
	}
	if (serve && flock(d->fd, (d->ro ? LOCK_SH : LOCK_EX) | LOCK_NB)) {
		snprintf(msg, len, "device %s: %s is in use (another keel-iod, or given twice here): %s",
			 d->desc.name, d->file, strerror(errno));
		return -EBUSY;
	}
	d->desc.capacity = size;
	d->desc.block_size = KEEL_REMOTE_SECTOR;
	d->desc.features = KEEL_REMOTE_FEAT_READ | d->declared |
			   (d->ro ? 0 : KEEL_REMOTE_FEAT_WRITE);
	if (d->ro)
		d->desc.features &= ~(KEEL_REMOTE_FEAT_FLUSH |
				      KEEL_REMOTE_FEAT_FUA);
	return 0;
}

static int blk_read(struct iod_dev *d, uint64_t off, void *buf, uint32_t len,
		    uint32_t *got)
{
	char *p = buf;
	ssize_t n;

	*got = 0;
	while (*got < len) {
		n = pread(d->fd, p + *got, len - *got, (off_t)(off + *got));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			iod_log(LOG_ERR, "device %s: read of %s at %llu: %s",
				d->desc.name, d->file,
				(unsigned long long)(off + *got),
				n ? strerror(errno) : "the file shrank");
			return -EIO;
		}
		*got += (uint32_t)n;
	}
	return 0;
}

static int blk_flush(struct iod_dev *d)
{
	if (fdatasync(d->fd)) {
		iod_log(LOG_ERR, "device %s: fdatasync of %s: %s", d->desc.name,
			d->file, strerror(errno));
		return -EIO;
	}
	return 0;
}

static int blk_write(struct iod_dev *d, uint64_t off, const void *buf,
		     uint32_t len, bool fua)
{
	const char *p = buf;
	uint32_t done = 0;
	ssize_t n;

	while (done < len) {
		n = pwrite(d->fd, p + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			iod_log(LOG_ERR, "device %s: write of %s at %llu: %s",
				d->desc.name, d->file,
				(unsigned long long)(off + done),
				n ? strerror(errno) : "nothing written");
			return -EIO;
		}
		done += (uint32_t)n;
	}
	return fua ? blk_flush(d) : 0;
}

static void blk_close(struct iod_dev *d)
{
	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
}

const struct iod_dev_ops blockdev_ops = {
	.type = "block",
	.model = "virtio-blk",
	.open = blk_open,
	.read = blk_read,
	.write = blk_write,
	.flush = blk_flush,
	.close = blk_close,
};
