/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest code of the remote tests: a virtio-rng (entropy) driver on the
 * virtio-mmio transport of vmmio_guest.h, one queue, one request at a
 * time: a chain of device-writable buffers, completed by polling the
 * used ring (the interrupt is counted and acknowledged). The host lays
 * out the rings and the buffer and fills struct rng_guest before the
 * guest runs.
 */
#ifndef REMOTE_RNG_GUEST_H
#define REMOTE_RNG_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#define RNG_QSIZE		16u	/* the queue's size */
#define RNG_MAX_SEGS		8u	/* buffers of one request */
#define RNG_BUF			(128u << 10)	/* bytes of the buffer */
#define RNG_RAW_HEAD		8u	/* descriptors from here: hostile */

struct rng_guest {
	/* set by the host */
	uint64_t base;			/* MMIO base of the device */
	uint64_t gsi, vector;		/* its interrupt */
	uint64_t desc, avail, used;	/* the rings, a page each */
	uint64_t buf;			/* RNG_BUF bytes */
	/* found by the guest */
	uint32_t magic, version, device_id;
	uint64_t dev_features, drv_features;
	uint32_t qnum_max;
	/* counted by the guest */
	uint64_t irqs, isr_vring;
	uint64_t completed;		/* used entries consumed */
	uint64_t bytes;			/* bytes the device gave */
	uint64_t bad_used;		/* used entries naming no request */
};

extern volatile struct rng_guest rng_guest;

/*
 * Probe the device (virtio-mmio 2, device 4), take VERSION_1 only, set
 * up the queue and DRIVER_OK: 0, or vmmio_guest.h's negative step.
 */
int rng_init(void);
/*
 * Ask for @len bytes at @off of the buffer, in @nsegs descriptors (the
 * last one takes the rest), and wait for them: the used entry's length,
 * or -1 when the device set DEVICE_NEEDS_RESET instead.
 */
int64_t rng_read(uint32_t off, uint32_t len, uint32_t nsegs);
/*
 * A hostile chain: descriptor RNG_RAW_HEAD (@addr, @len, @flags) alone,
 * then wait as rng_read() does.
 */
int64_t rng_raw(uint64_t addr, uint32_t len, uint16_t flags);

#endif /* REMOTE_RNG_GUEST_H */
