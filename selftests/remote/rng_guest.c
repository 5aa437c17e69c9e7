// SPDX-License-Identifier: GPL-2.0
/*
 * Guest code: the virtio-rng driver the remote tests run against
 * keel_remote.ko (rng_guest.h). Descriptors 0 to RNG_MAX_SEGS - 1 carry
 * rng_read()'s chain, RNG_RAW_HEAD the hostile one.
 */
#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "keel_ucall.h"
#include "vmmio_guest.h"
#include "rng_guest.h"

volatile struct rng_guest rng_guest;

static struct vmmio vm;

static void rng_irq(struct guest_irq_frame *frame)
{
	uint32_t isr = vmmio_irq_ack(&vm);

	(void)frame;
	rng_guest.irqs++;
	if (isr & VIRTIO_MMIO_INT_VRING)
		rng_guest.isr_vring++;
}

int rng_init(void)
{
	int ret;

	vm = (struct vmmio){
		.base = rng_guest.base,
		.desc = rng_guest.desc,
		.avail = rng_guest.avail,
		.used = rng_guest.used,
	};
	ret = vmmio_probe(&vm, VIRTIO_ID_RNG, 1ull << VIRTIO_F_VERSION_1);
	rng_guest.magic = vm.magic;
	rng_guest.version = vm.version;
	rng_guest.device_id = vm.device_id;
	rng_guest.dev_features = vm.dev_features;
	rng_guest.drv_features = vm.drv_features;
	if (ret)
		return ret;
	rng_guest.qnum_max = vmmio_rd32(&vm, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (rng_guest.qnum_max < RNG_QSIZE)
		return -8;
	ret = vmmio_queue(&vm, RNG_QSIZE);
	if (ret)
		return ret;
	return vmmio_driver_ok(&vm, rng_guest.gsi, rng_guest.vector, rng_irq);
}

/* Wait for the used entry of the chain at @head: its length, or -1. */
static int64_t rng_wait(uint16_t head)
{
	struct vring_used_elem *e;

	while (vmmio_used_idx(&vm) == vm.last_used) {
		if (vmmio_needs_reset(&vm))
			return -1;
		cpu_relax();
	}
	e = &vmmio_used(&vm)->ring[vm.last_used % vm.qnum];
	vm.last_used++;
	if (e->id != head) {
		rng_guest.bad_used++;
		return -2;
	}
	rng_guest.completed++;
	rng_guest.bytes += e->len;
	return e->len;
}

int64_t rng_read(uint32_t off, uint32_t len, uint32_t nsegs)
{
	uint32_t i, chunk, done = 0;
	struct vring_desc *d;

	GUEST_ASSERT(nsegs && nsegs <= RNG_MAX_SEGS && len >= nsegs);
	GUEST_ASSERT(off <= RNG_BUF && len <= RNG_BUF - off);
	for (i = 0; i < nsegs; i++) {
		chunk = i + 1 == nsegs ? len - done : len / nsegs;
		d = vmmio_desc(&vm, i);
		d->addr = rng_guest.buf + off + done;
		d->len = chunk;
		d->flags = VRING_DESC_F_WRITE |
			   (i + 1 < nsegs ? VRING_DESC_F_NEXT : 0);
		d->next = i + 1 < nsegs ? i + 1 : 0;
		done += chunk;
	}
	vmmio_push_head(&vm, 0);
	vmmio_kick(&vm);
	return rng_wait(0);
}

int64_t rng_raw(uint64_t addr, uint32_t len, uint16_t flags)
{
	struct vring_desc *d = vmmio_desc(&vm, RNG_RAW_HEAD);

	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = 0;
	vmmio_push_head(&vm, RNG_RAW_HEAD);
	vmmio_kick(&vm);
	return rng_wait(RNG_RAW_HEAD);
}
