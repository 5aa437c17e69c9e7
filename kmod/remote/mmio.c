// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's side of a remote device: a virtio-mmio (version 2)
 * register file for a virtio device (block or entropy: the interface's
 * device id, features and configuration space), on the range the device
 * claims in the core's claimed guest I/O (keel/io_claim.h). Every access
 * runs on the vCPU thread under RCU: it takes &keel_remote.mmio_lock, changes registers and at most
 * wakes the worker; it never sleeps, and an access it does not know reads
 * 0 or is ignored (and counted), so a guest cannot make it exit.
 */
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>

#include "remote.h"

#define KEEL_REMOTE_MMIO_MAGIC		0x74726976	/* "virt" */
#define KEEL_REMOTE_MMIO_VENDOR		0x4c45454b	/* "KEEL" */

/**
 * keel_remote_mmio_reset() - the device reset (a 0 written to Status)
 * @rd: the device, &keel_remote.mmio_lock held
 *
 * Every register goes back to its reset value and the generation moves
 * on: the worker drops what it held of the queue, and requests still at
 * the server complete to nobody.
 */
void keel_remote_mmio_reset(struct keel_remote *rd)
{
	struct keel_remote_mmio *m = &rd->mmio;
	u64 bad = m->bad_accesses;
	u32 gen = m->gen + 1;

	lockdep_assert_held(&rd->mmio_lock);
	memset(m, 0, sizeof(*m));
	m->gen = gen;
	m->bad_accesses = bad;
	keel_irq_line_set(&rd->irq, false);
}

/**
 * keel_remote_isr_raise() - set InterruptStatus bits and interrupt
 * @rd: the device
 * @bits: VIRTIO_MMIO_INT_*
 *
 * A level-triggered line (%KEEL_REMOTE_SETUP_LEVEL) goes high and stays
 * so until the driver acknowledges every bit; an edge line pulses once
 * per event.
 *
 * Context: holding &keel_remote.mmio_lock.
 */
void keel_remote_isr_raise(struct keel_remote *rd, u32 bits)
{
	lockdep_assert_held(&rd->mmio_lock);
	rd->mmio.isr |= bits;
	if (rd->irq_level)
		keel_irq_line_set(&rd->irq, true);
	else
		keel_irq_line_pulse(&rd->irq);
}

/**
 * keel_remote_needs_reset() - the driver broke the queue: tell it
 * @rd: the device
 *
 * Sets DEVICE_NEEDS_RESET (virtio 1.x) and raises a configuration
 * interrupt, once; the worker leaves the queue alone until the reset.
 *
 * Context: the worker, or the receiver completing (&keel_remote.vq_mutex
 * held); takes &keel_remote.mmio_lock.
 */
void keel_remote_needs_reset(struct keel_remote *rd)
{
	spin_lock_irq(&rd->mmio_lock);
	if (!(rd->mmio.status & VIRTIO_CONFIG_S_NEEDS_RESET)) {
		rd->mmio.status |= VIRTIO_CONFIG_S_NEEDS_RESET;
		keel_remote_isr_raise(rd, VIRTIO_MMIO_INT_CONFIG);
	}
	spin_unlock_irq(&rd->mmio_lock);
	rd->vq.live = false;
}

/* Wake the worker: something for it happened. Any context. */
void keel_remote_kick(struct keel_remote *rd)
{
	atomic_set(&rd->wake, 1);
	keel_thread_wake(&rd->worker);
}

static u32 keel_remote_reg_read(struct keel_remote *rd, u32 off)
{
	struct keel_remote_mmio *m = &rd->mmio;

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return KEEL_REMOTE_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return rd->ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID:
		return KEEL_REMOTE_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		if (m->dev_feat_sel > 1)
			return 0;
		return rd->features >> (32 * m->dev_feat_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return m->queue_sel ? 0 : KEEL_REMOTE_QUEUE_MAX;
	case VIRTIO_MMIO_QUEUE_READY:
		return !m->queue_sel && m->q_ready;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return m->isr;
	case VIRTIO_MMIO_STATUS:
		return m->status;
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return m->config_gen;
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return ~0u;	/* no shared memory region */
	}
	m->bad_accesses++;
	return 0;
}

/* FEATURES_OK: what the driver took must be offered, and be virtio 1.x. */
static bool keel_remote_features_ok(struct keel_remote *rd)
{
	u64 drv = rd->mmio.drv_features;

	return !(drv & ~rd->features) && (drv & BIT_ULL(VIRTIO_F_VERSION_1));
}

static void keel_remote_status_write(struct keel_remote *rd, u32 val)
{
	struct keel_remote_mmio *m = &rd->mmio;

	if (!val) {
		keel_remote_mmio_reset(rd);
		return;
	}
	if ((val & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !(m->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
	    !keel_remote_features_ok(rd))
		val &= ~VIRTIO_CONFIG_S_FEATURES_OK;
	/* Only a reset clears NEEDS_RESET. */
	m->status = (val & ~VIRTIO_CONFIG_S_NEEDS_RESET) |
		    (m->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* Set the low or high half of a queue address, while not ready. */
static void keel_remote_set_half(struct keel_remote *rd, u64 *addr, u32 val,
				 bool high)
{
	if (rd->mmio.queue_sel || rd->mmio.q_ready) {
		rd->mmio.bad_accesses++;
		return;
	}
	if (high)
		*addr = (*addr & 0xffffffffull) | (u64)val << 32;
	else
		*addr = (*addr & ~0xffffffffull) | val;
}

/* Returns true when the worker has something to do. */
static bool keel_remote_reg_write(struct keel_remote *rd, u32 off, u32 val)
{
	struct keel_remote_mmio *m = &rd->mmio;

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		m->dev_feat_sel = val;
		return false;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		m->drv_feat_sel = val;
		return false;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		if (m->drv_feat_sel > 1 ||
		    (m->status & VIRTIO_CONFIG_S_FEATURES_OK))
			break;
		if (m->drv_feat_sel)
			m->drv_features = (m->drv_features & 0xffffffffull) |
					  (u64)val << 32;
		else
			m->drv_features = (m->drv_features & ~0xffffffffull) |
					  val;
		return false;
	case VIRTIO_MMIO_QUEUE_SEL:
		m->queue_sel = val;
		return false;
	case VIRTIO_MMIO_QUEUE_NUM:
		if (m->queue_sel || m->q_ready)
			break;
		m->q_num = val;
		return false;
	case VIRTIO_MMIO_QUEUE_READY:
		if (m->queue_sel)
			break;
		m->q_ready = val & 1;
		return true;
	case VIRTIO_MMIO_QUEUE_NOTIFY:
		if (val)
			break;
		return true;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		m->isr &= ~val;
		if (!m->isr)
			keel_irq_line_set(&rd->irq, false);
		return false;
	case VIRTIO_MMIO_STATUS:
		keel_remote_status_write(rd, val);
		return true;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		keel_remote_set_half(rd, &m->q_desc, val,
				     off == VIRTIO_MMIO_QUEUE_DESC_HIGH);
		return false;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		keel_remote_set_half(rd, &m->q_avail, val,
				     off == VIRTIO_MMIO_QUEUE_AVAIL_HIGH);
		return false;
	case VIRTIO_MMIO_QUEUE_USED_LOW:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		keel_remote_set_half(rd, &m->q_used, val,
				     off == VIRTIO_MMIO_QUEUE_USED_HIGH);
		return false;
	case VIRTIO_MMIO_SHM_SEL:
		return false;
	}
	m->bad_accesses++;
	return false;
}

/*
 * One guest access, on the vCPU thread under RCU (keel/io_claim.h):
 * registers are 32-bit and aligned; the configuration space at 0x100 is
 * read at any width; everything else reads 0 and is ignored, counted.
 */
static int keel_remote_access(struct keel_io_claim *c, gpa_t addr, int len,
			      void *val, bool write)
{
	struct keel_remote *rd = container_of(c, struct keel_remote, claim);
	u32 off = addr - rd->base;
	unsigned long flags;
	bool kick = false;
	__le32 v;

	if (!write)
		memset(val, 0, len);
	spin_lock_irqsave(&rd->mmio_lock, flags);
	if (off >= VIRTIO_MMIO_CONFIG) {
		off -= VIRTIO_MMIO_CONFIG;
		/* The configuration is read-only: nothing offered is writable. */
		if (!write && off < rd->config_len &&
		    len <= rd->config_len - off)
			memcpy(val, rd->config + off, len);
		else
			rd->mmio.bad_accesses++;
	} else if (len != 4 || (off & 3)) {
		rd->mmio.bad_accesses++;
	} else if (write) {
		memcpy(&v, val, sizeof(v));
		kick = keel_remote_reg_write(rd, off, le32_to_cpu(v));
	} else {
		v = cpu_to_le32(keel_remote_reg_read(rd, off));
		memcpy(val, &v, sizeof(v));
	}
	spin_unlock_irqrestore(&rd->mmio_lock, flags);
	if (kick)
		keel_remote_kick(rd);
	return 0;
}

static const struct keel_io_claim_ops keel_remote_claim_ops = {
	.access = keel_remote_access,
};

/**
 * keel_remote_claim() - claim the device's MMIO range on its VM, stopped
 * @rd: the device, with its VM bound and its base set
 *
 * Context: process context; sleeps.
 *
 * Return: 0; -EADDRINUSE when the range overlaps another claim of the VM,
 * -ENOSPC when the VM holds keel.max_claims_per_vm claims, -ENOMEM, or the
 * error of installing the hook. Nothing changed on error.
 */
int keel_remote_claim(struct keel_remote *rd)
{
	struct keel_io_claim *c = &rd->claim;

	c->ops = &keel_remote_claim_ops;
	c->kvm = rd->inst.kvm;
	c->bus = KVM_MMIO_BUS;
	c->base = rd->base;
	c->len = KEEL_REMOTE_MMIO_SIZE;
	return keel_io_claim_add(c);
}
