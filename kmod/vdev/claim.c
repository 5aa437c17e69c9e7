// SPDX-License-Identifier: GPL-2.0
/*
 * A device's range in the core's claimed guest I/O (keel/io_claim.h): the
 * claim made at setup, the per-VM limit's name in this module, and the
 * access the vCPU thread hands to the device's model.
 */
#include <linux/moduleparam.h>

#include "vdev.h"

/* keel.ko's max_claims_per_vm, by the name keel_vdev always gave it. */
static const struct kernel_param_ops keel_vdev_max_per_vm_ops = {
	.set = keel_io_claims_max_set,
	.get = keel_io_claims_max_get,
};

module_param_cb(max_devices_per_vm, &keel_vdev_max_per_vm_ops, NULL, 0644);
MODULE_PARM_DESC(max_devices_per_vm,
		 "The same value as keel.max_claims_per_vm: claimed ranges one VM may hold, both buses and all Keel devices together (1-65536, default 64)");

/*
 * One guest access, on the vCPU thread under RCU (see keel/io_claim.h):
 * the model handles it under the device's lock.
 */
static int keel_vdev_access(struct keel_io_claim *c, gpa_t addr, int len,
			    void *val, bool write)
{
	struct keel_vdev_inst *vi = container_of(c, struct keel_vdev_inst,
						 claim);
	struct keel_vdev *dev = &vi->vdev;
	u32 off = addr - vi->base;
	unsigned long flags;
	int ret;

	/* The model counts registers and bytes; the framework kept exits. */
	spin_lock_irqsave(&dev->lock, flags);
	if (write)
		ret = dev->model->guest_write(dev, off, val, len);
	else
		ret = dev->model->guest_read(dev, off, val, len);
	if (!ret)
		dev->exits_kept++;
	spin_unlock_irqrestore(&dev->lock, flags);

	/* A model that refuses the access sends it to the VMM. */
	return ret;
}

static const struct keel_io_claim_ops keel_vdev_claim_ops = {
	.access = keel_vdev_access,
};

/**
 * keel_vdev_claim() - claim a device's range on its VM and bus, stopped
 * @vi: the device, with its VM bound and its bus and range set
 *
 * Context: process context; sleeps.
 *
 * Return: 0; -EADDRINUSE when the range overlaps another claim of the VM,
 * -ENOSPC when the VM holds max_devices_per_vm claims, -ENOMEM, or the
 * error of installing the hook. Nothing changed on error.
 */
int keel_vdev_claim(struct keel_vdev_inst *vi)
{
	struct keel_io_claim *c = &vi->claim;

	c->ops = &keel_vdev_claim_ops;
	c->kvm = vi->inst.kvm;
	c->bus = vi->bus == KEEL_VDEV_BUS_PIO ? KVM_PIO_BUS : KVM_MMIO_BUS;
	c->base = vi->base;
	c->len = vi->len;
	return keel_io_claim_add(c);
}
