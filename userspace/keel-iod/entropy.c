// SPDX-License-Identifier: GPL-2.0
/*
 * Entropy sources: READ returns as many bytes as asked from the kernel's
 * random number generator (getrandom(), which blocks only until it is
 * seeded at boot). Nothing to open, write or flush.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "log.h"
#include "registry.h"

static int rng_open(struct iod_dev *d, bool serve, char *msg, size_t len)
{
	(void)serve;
	(void)msg;
	(void)len;
	d->desc.features = KEEL_REMOTE_FEAT_READ;
	return 0;
}

static int rng_read(struct iod_dev *d, uint64_t off, void *buf, uint32_t len,
		    uint32_t *got)
{
	char *p = buf;
	ssize_t n;

	(void)off;
	*got = 0;
	while (*got < len) {
		n = getrandom(p + *got, len - *got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			iod_log(LOG_ERR, "device %s: getrandom: %s", d->desc.name,
				strerror(errno));
			return -EIO;
		}
		*got += (uint32_t)n;
	}
	return 0;
}

static void rng_close(struct iod_dev *d)
{
	(void)d;
}

const struct iod_dev_ops entropy_ops = {
	.type = "entropy",
	.model = "virtio-rng",
	.open = rng_open,
	.read = rng_read,
	.close = rng_close,
};
