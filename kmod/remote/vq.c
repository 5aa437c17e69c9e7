// SPDX-License-Identifier: GPL-2.0
/*
 * The device's split virtqueue in guest memory, for whoever holds
 * &keel_remote.vq_mutex (the worker, or the receiver completing): guest
 * memory read and written through the VMM's mm (which that thread
 * adopted) under kvm->srcu, so nothing outside guest RAM is ever
 * touched; the avail ring popped, descriptor chains walked with every
 * index and length checked and the walk bounded by the queue size; used
 * entries published after their contents, and the guest's interrupt.
 */
#include <linux/log2.h>
#include <linux/uaccess.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "remote.h"

/* A descriptor as the guest writes it (virtio 1.x: little-endian). */
struct keel_remote_desc {
	__le64 addr;
	__le32 len;
	__le16 flags;
	__le16 next;
};

/* struct vring_used_elem, little-endian. */
struct keel_remote_used_elem {
	__le32 id;
	__le32 len;
};

/**
 * keel_remote_guest_read() - read guest-physical memory
 * @rd: the device
 * @gpa: where
 * @buf: the kernel buffer
 * @len: bytes
 *
 * Context: the worker or the receiver, in the VMM's mm; may sleep.
 *
 * Return: 0, or -EFAULT when the range is not guest RAM.
 */
int keel_remote_guest_read(struct keel_remote *rd, u64 gpa, void *buf,
			   u32 len)
{
	struct kvm *kvm = rd->inst.kvm;
	int idx, ret;

	idx = srcu_read_lock(&kvm->srcu);
	ret = kvm_read_guest(kvm, gpa, buf, len);
	srcu_read_unlock(&kvm->srcu, idx);
	return ret;
}

/**
 * keel_remote_guest_write() - write guest-physical memory
 * @rd: the device
 * @gpa: where
 * @buf: the kernel buffer
 * @len: bytes
 *
 * Through the VMM's mapping of guest RAM, as vhost writes it: page by
 * page to the user address KVM's memslots give (never a read-only slot),
 * with copy_to_user() in the mm the worker adopted. Not kvm_write_guest():
 * KVM wants a running vCPU to log the dirty page (a warning otherwise).
 * So, as vhost without its log, these writes are not in KVM's dirty log.
 *
 * Context: the worker or the receiver, in the VMM's mm; may sleep.
 *
 * Return: 0, or -EFAULT when the range is not writable guest RAM.
 */
int keel_remote_guest_write(struct keel_remote *rd, u64 gpa,
			    const void *buf, u32 len)
{
	struct kvm *kvm = rd->inst.kvm;
	const u8 *src = buf;
	unsigned long hva;
	int idx, ret = 0;
	u32 n;

	idx = srcu_read_lock(&kvm->srcu);
	while (len) {
		n = min_t(u64, len, PAGE_SIZE - offset_in_page(gpa));
		hva = gfn_to_hva(kvm, gpa_to_gfn(gpa));
		if (kvm_is_error_hva(hva) ||
		    copy_to_user((void __user *)(hva + offset_in_page(gpa)),
				 src, n)) {
			ret = -EFAULT;
			break;
		}
		gpa += n;
		src += n;
		len -= n;
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return ret;
}

/**
 * keel_remote_guest_writable() - whether a range is writable guest RAM
 * @rd: the device
 * @gpa: where
 * @len: bytes
 *
 * As keel_remote_guest_write() would find it, before anything is sent
 * for a request that will write there.
 *
 * Context: the worker, &keel_remote.vq_mutex held.
 *
 * Return: true when every page of the range is in a writable memslot.
 */
bool keel_remote_guest_writable(struct keel_remote *rd, u64 gpa, u32 len)
{
	struct kvm *kvm = rd->inst.kvm;
	bool ok = true;
	int idx;
	u32 n;

	idx = srcu_read_lock(&kvm->srcu);
	while (len && ok) {
		n = min_t(u64, len, PAGE_SIZE - offset_in_page(gpa));
		ok = !kvm_is_error_hva(gfn_to_hva(kvm, gpa_to_gfn(gpa)));
		gpa += n;
		len -= n;
	}
	srcu_read_unlock(&kvm->srcu, idx);
	return ok;
}

/**
 * keel_remote_vq_sync() - take the queue's registers into &keel_remote.vq
 * @rd: the device
 *
 * After a reset the indexes start again from 0. A queue the driver made
 * ready with a size that is not a power of two up to the maximum is
 * broken: DEVICE_NEEDS_RESET.
 *
 * Context: the worker, or the receiver completing (&keel_remote.vq_mutex
 * held).
 */
void keel_remote_vq_sync(struct keel_remote *rd)
{
	struct keel_remote_mmio *m = &rd->mmio;
	struct keel_remote_vq *vq = &rd->vq;
	bool live;
	u32 gen;

	spin_lock_irq(&rd->mmio_lock);
	gen = m->gen;
	live = (m->status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(m->status & VIRTIO_CONFIG_S_NEEDS_RESET) && m->q_ready;
	vq->num = m->q_num;
	vq->desc = m->q_desc;
	vq->avail = m->q_avail;
	vq->used = m->q_used;
	spin_unlock_irq(&rd->mmio_lock);

	if (gen != vq->gen) {
		vq->gen = gen;
		vq->last_avail = 0;
		vq->used_idx = 0;
		vq->completed = false;
	}
	if (live && (!vq->num || vq->num > KEEL_REMOTE_QUEUE_MAX ||
		     !is_power_of_2(vq->num))) {
		spin_lock(&rd->req_lock);
		rd->c.bad_descs++;
		spin_unlock(&rd->req_lock);
		keel_remote_needs_reset(rd);
		live = false;
	}
	vq->live = live;
}

/**
 * keel_remote_vq_pop() - the next chain the driver made available
 * @rd: the device, its queue live
 * @head: set to the chain's head
 *
 * Does not consume it: the caller moves &keel_remote_vq.last_avail on
 * once it took the request.
 *
 * Context: the worker, &keel_remote.vq_mutex held.
 *
 * Return: 0; -ENOENT when none is available; -EFAULT (ring not in guest
 * RAM) or -EINVAL (an index out of range): the queue is broken.
 */
int keel_remote_vq_pop(struct keel_remote *rd, u16 *head)
{
	struct keel_remote_vq *vq = &rd->vq;
	__le16 v;
	u16 avail;
	int ret;

	ret = keel_remote_guest_read(rd, vq->avail + 2, &v, sizeof(v));
	if (ret)
		return ret;
	avail = le16_to_cpu(v);
	if (avail == vq->last_avail)
		return -ENOENT;
	if ((u16)(avail - vq->last_avail) > vq->num)
		return -EINVAL;
	/* The entry is read after the index that published it. */
	smp_rmb();
	ret = keel_remote_guest_read(rd, vq->avail + 4 +
				     2ull * (vq->last_avail & (vq->num - 1)),
				     &v, sizeof(v));
	if (ret)
		return ret;
	*head = le16_to_cpu(v);
	return *head < vq->num ? 0 : -EINVAL;
}

/**
 * keel_remote_vq_chain() - walk a descriptor chain into &keel_remote.chain
 * @rd: the device, its queue live
 * @head: the chain's head, below the queue size
 * @nr: set to the descriptors found
 *
 * At most the queue's size of descriptors (so a loop ends), each index
 * below the size, no INDIRECT (not offered), every device-readable one
 * before every device-writable one, no range that wraps.
 *
 * Context: the worker, &keel_remote.vq_mutex held.
 *
 * Return: 0; -EFAULT (descriptor table not in guest RAM), -ELOOP (too
 * long) or -EINVAL: the queue is broken.
 */
int keel_remote_vq_chain(struct keel_remote *rd, u16 head, u32 *nr)
{
	struct keel_remote_vq *vq = &rd->vq;
	struct keel_remote_desc d;
	bool seen_write = false;
	u32 n = 0, i = head;
	u16 flags;
	int ret;

	for (;;) {
		if (n >= vq->num)
			return -ELOOP;
		ret = keel_remote_guest_read(rd, vq->desc + 16ull * i, &d,
					     sizeof(d));
		if (ret)
			return ret;
		flags = le16_to_cpu(d.flags);
		if (flags & VRING_DESC_F_INDIRECT)
			return -EINVAL;
		rd->chain[n].gpa = le64_to_cpu(d.addr);
		rd->chain[n].len = le32_to_cpu(d.len);
		rd->chain[n].write = flags & VRING_DESC_F_WRITE;
		if (rd->chain[n].gpa + rd->chain[n].len < rd->chain[n].gpa)
			return -EINVAL;
		if (seen_write && !rd->chain[n].write)
			return -EINVAL;
		seen_write = rd->chain[n].write;
		n++;
		if (!(flags & VRING_DESC_F_NEXT))
			break;
		i = le16_to_cpu(d.next);
		if (i >= vq->num)
			return -EINVAL;
	}
	*nr = n;
	return 0;
}

/**
 * keel_remote_vq_push() - give a chain back to the driver
 * @rd: the device, its queue live
 * @head: the chain's head
 * @len: bytes the device wrote into it
 *
 * The entry is written first, the index after it (a write barrier in
 * between), as the driver reads them in the other order.
 *
 * Context: the worker, or the receiver completing (&keel_remote.vq_mutex
 * held).
 *
 * Return: 0, or -EFAULT when the used ring is not in guest RAM.
 */
int keel_remote_vq_push(struct keel_remote *rd, u16 head, u32 len)
{
	struct keel_remote_vq *vq = &rd->vq;
	struct keel_remote_used_elem e = {
		.id = cpu_to_le32(head),
		.len = cpu_to_le32(len),
	};
	__le16 idx = cpu_to_le16(vq->used_idx + 1);
	int ret;

	ret = keel_remote_guest_write(rd, vq->used + 4 +
				      8ull * (vq->used_idx & (vq->num - 1)),
				      &e, sizeof(e));
	if (ret)
		return ret;
	/* The driver reads the index, then the entry: entry first. */
	smp_wmb();
	ret = keel_remote_guest_write(rd, vq->used + 2, &idx, sizeof(idx));
	if (ret)
		return ret;
	vq->used_idx++;
	vq->completed = true;
	return 0;
}

/**
 * keel_remote_vq_notify() - interrupt the driver for what was pushed
 * @rd: the device
 *
 * One interrupt for every push since the last one, unless the driver
 * asked for none (VRING_AVAIL_F_NO_INTERRUPT).
 *
 * Context: the worker, or the receiver completing (&keel_remote.vq_mutex
 * held).
 */
void keel_remote_vq_notify(struct keel_remote *rd)
{
	struct keel_remote_vq *vq = &rd->vq;
	__le16 flags = 0;

	if (!vq->completed)
		return;
	vq->completed = false;
	/* The used index is visible before the driver's flags are read. */
	smp_mb();
	if (!keel_remote_guest_read(rd, vq->avail, &flags, sizeof(flags)) &&
	    (le16_to_cpu(flags) & VRING_AVAIL_F_NO_INTERRUPT))
		return;
	spin_lock_irq(&rd->mmio_lock);
	if (rd->mmio.gen == vq->gen)
		keel_remote_isr_raise(rd, VIRTIO_MMIO_INT_VRING);
	spin_unlock_irq(&rd->mmio_lock);
}
