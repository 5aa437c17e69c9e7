/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest code shared by the remote tests' drivers (blk_guest.c,
 * rng_guest.c): the virtio-mmio transport, version 2, as keel_remote.ko
 * shows it: identity, reset and feature negotiation, queue 0 on a split
 * ring in guest memory, DRIVER_OK with the interrupt routed, and the
 * ring's raw access (descriptors, avail, used, notify).
 */
#ifndef REMOTE_VMMIO_GUEST_H
#define REMOTE_VMMIO_GUEST_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

#include "keel_guest_io.h"
#include "keel_irq.h"

#define VIRTIO_MMIO_MAGIC	0x74726976u	/* "virt" */

/* One device: set by its driver before vmmio_probe(). */
struct vmmio {
	uint64_t base;			/* MMIO base */
	uint64_t desc, avail, used;	/* the rings, a page each */
	uint32_t qnum;			/* the queue's size, once set up */
	uint16_t avail_idx, last_used;
	/* found */
	uint32_t magic, version, device_id;
	uint64_t dev_features, drv_features;
	uint32_t qnum_max;
};

static inline uint32_t vmmio_rd32(const struct vmmio *v, uint32_t reg)
{
	return mmio_read32(v->base + reg);
}

static inline void vmmio_wr32(const struct vmmio *v, uint32_t reg,
			      uint32_t val)
{
	mmio_write32(v->base + reg, val);
}

/*
 * Check the identity (magic, version 2, @device_id), reset, ACKNOWLEDGE,
 * DRIVER, accept the offered features among @want (VERSION_1 must be
 * offered), FEATURES_OK. 0, or the negative step that failed: -1 magic,
 * -2 version, -3 device id, -4 reset, -5 no VERSION_1, -6 FEATURES_OK.
 */
int vmmio_probe(struct vmmio *v, uint32_t device_id, uint64_t want);
/*
 * Queue 0 of @qsize descriptors (at most QueueNumMax) on the zeroed
 * rings, ready. 0, -7 (ready already) or -9 (not ready after).
 */
int vmmio_queue(struct vmmio *v, uint32_t qsize);
/*
 * Route the interrupt (@vector on IOAPIC pin @gsi to @handler) and set
 * DRIVER_OK. 0, or -10 (DEVICE_NEEDS_RESET). A driver without an
 * interrupt (@vector 0) polls its used ring and asks the device for none
 * (VRING_AVAIL_F_NO_INTERRUPT), as a polling virtio driver does.
 */
int vmmio_driver_ok(struct vmmio *v, uint64_t gsi, uint64_t vector,
		    void (*handler)(struct guest_irq_frame *));
/* Acknowledge the device's interrupt; its InterruptStatus. */
uint32_t vmmio_irq_ack(struct vmmio *v);

static inline struct vring_desc *vmmio_desc(struct vmmio *v, unsigned int i)
{
	return &((struct vring_desc *)(uintptr_t)v->desc)[i];
}

static inline struct vring_used *vmmio_used(struct vmmio *v)
{
	return (struct vring_used *)(uintptr_t)v->used;
}

/* Put the chain starting at descriptor @head on the avail ring. */
void vmmio_push_head(struct vmmio *v, uint16_t head);
/* Notify the device, unless it asked for no notifications. */
void vmmio_kick(struct vmmio *v);
/* The used ring's index. */
uint16_t vmmio_used_idx(struct vmmio *v);
/* Whether the device set DEVICE_NEEDS_RESET. */
bool vmmio_needs_reset(struct vmmio *v);

#endif /* REMOTE_VMMIO_GUEST_H */
