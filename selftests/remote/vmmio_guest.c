// SPDX-License-Identifier: GPL-2.0
/*
 * Guest code: the virtio-mmio version 2 transport of the remote tests'
 * drivers (vmmio_guest.h).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "keel_layout.h"
#include "vmmio_guest.h"

static void set_status(struct vmmio *v, uint32_t bits)
{
	vmmio_wr32(v, VIRTIO_MMIO_STATUS,
		   vmmio_rd32(v, VIRTIO_MMIO_STATUS) | bits);
}

int vmmio_probe(struct vmmio *v, uint32_t device_id, uint64_t want)
{
	uint64_t feat;

	v->magic = vmmio_rd32(v, VIRTIO_MMIO_MAGIC_VALUE);
	v->version = vmmio_rd32(v, VIRTIO_MMIO_VERSION);
	v->device_id = vmmio_rd32(v, VIRTIO_MMIO_DEVICE_ID);
	if (v->magic != VIRTIO_MMIO_MAGIC)
		return -1;
	if (v->version != 2)
		return -2;
	if (v->device_id != device_id)
		return -3;

	vmmio_wr32(v, VIRTIO_MMIO_STATUS, 0);		/* reset */
	if (vmmio_rd32(v, VIRTIO_MMIO_STATUS) != 0)
		return -4;
	set_status(v, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	set_status(v, VIRTIO_CONFIG_S_DRIVER);

	vmmio_wr32(v, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	feat = vmmio_rd32(v, VIRTIO_MMIO_DEVICE_FEATURES);
	vmmio_wr32(v, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	feat |= (uint64_t)vmmio_rd32(v, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	v->dev_features = feat;
	if (!(feat & (1ull << VIRTIO_F_VERSION_1)))
		return -5;
	want &= feat;
	v->drv_features = want;
	vmmio_wr32(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vmmio_wr32(v, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)want);
	vmmio_wr32(v, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vmmio_wr32(v, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(want >> 32));
	set_status(v, VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(vmmio_rd32(v, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK))
		return -6;
	return 0;
}

int vmmio_queue(struct vmmio *v, uint32_t qsize)
{
	vmmio_wr32(v, VIRTIO_MMIO_QUEUE_SEL, 0);
	if (vmmio_rd32(v, VIRTIO_MMIO_QUEUE_READY))
		return -7;
	v->qnum = qsize;
	v->avail_idx = v->last_used = 0;
	/* the rings are the driver's: zeroed, whatever a previous run left */
	memset((void *)(uintptr_t)v->desc, 0, KEEL_PAGE_SIZE);
	memset((void *)(uintptr_t)v->avail, 0, KEEL_PAGE_SIZE);
	memset((void *)(uintptr_t)v->used, 0, KEEL_PAGE_SIZE);
	vmmio_wr32(v, VIRTIO_MMIO_QUEUE_NUM, qsize);
	vmmio_wr32(v, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)v->desc);
	vmmio_wr32(v, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(v->desc >> 32));
	vmmio_wr32(v, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)v->avail);
	vmmio_wr32(v, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(v->avail >> 32));
	vmmio_wr32(v, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)v->used);
	vmmio_wr32(v, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(v->used >> 32));
	vmmio_wr32(v, VIRTIO_MMIO_QUEUE_READY, 1);
	if (vmmio_rd32(v, VIRTIO_MMIO_QUEUE_READY) != 1)
		return -9;
	return 0;
}

int vmmio_driver_ok(struct vmmio *v, uint64_t gsi, uint64_t vector,
		    void (*handler)(struct guest_irq_frame *))
{
	if (vector) {
		guest_irq_handler_set(vector, handler);
		lapic_enable();
		ioapic_route(gsi, vector, false, 0);
		sti();
	} else {
		((struct vring_avail *)(uintptr_t)v->avail)->flags =
			VRING_AVAIL_F_NO_INTERRUPT;
	}
	set_status(v, VIRTIO_CONFIG_S_DRIVER_OK);
	if (vmmio_rd32(v, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET)
		return -10;
	return 0;
}

uint32_t vmmio_irq_ack(struct vmmio *v)
{
	uint32_t isr = vmmio_rd32(v, VIRTIO_MMIO_INTERRUPT_STATUS);

	if (isr)
		vmmio_wr32(v, VIRTIO_MMIO_INTERRUPT_ACK, isr);
	return isr;
}

void vmmio_push_head(struct vmmio *v, uint16_t head)
{
	struct vring_avail *a = (struct vring_avail *)(uintptr_t)v->avail;

	a->ring[v->avail_idx % v->qnum] = head;
	v->avail_idx++;
	__atomic_store_n(&a->idx, v->avail_idx, __ATOMIC_RELEASE);
}

void vmmio_kick(struct vmmio *v)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!(vmmio_used(v)->flags & VRING_USED_F_NO_NOTIFY))
		vmmio_wr32(v, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

uint16_t vmmio_used_idx(struct vmmio *v)
{
	return __atomic_load_n(&vmmio_used(v)->idx, __ATOMIC_ACQUIRE);
}

bool vmmio_needs_reset(struct vmmio *v)
{
	return vmmio_rd32(v, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET;
}
