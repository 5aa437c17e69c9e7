// SPDX-License-Identifier: GPL-2.0
/*
 * What an eventfd is to a VM: whether a KVM_IRQFD of the VM waits on it,
 * the GSI, the route KVM caches for it and, for a physical-destination
 * MSI, the vCPU it targets. For modules that act on a VM's interrupts
 * from the outside (keel_coalesce), and for tools that find a running
 * VMM's queue interrupts.
 *
 * KVM keeps its irqfds in kvm->irqfds.items under kvm->irqfds.lock, and
 * each irqfd's cached route (the one entry of its GSI, or none) in
 * irq_entry under the irq_entry_sc seqcount (linux/kvm_irqfd.h).
 */
#include <linux/module.h>
#include <linux/kvm_host.h>
#include <linux/kvm_irqfd.h>

#include "core.h"

/* The vCPU index a physical-destination MSI targets, or -1. */
static int keel_vm_msi_vcpu(struct kvm *kvm, u32 addr_lo, u32 addr_hi)
{
	struct kvm_vcpu *vcpu;
	u32 dest;

	if (addr_lo & BIT(2))		/* logical destination mode */
		return -1;
	/* Destination ID bits 7:0, and 31:8 of the extended format. */
	dest = ((addr_lo >> 12) & 0xff) | (addr_hi & 0xffffff00);
	vcpu = kvm_get_vcpu_by_id(kvm, dest);
	return vcpu ? vcpu->vcpu_idx : -1;
}

/**
 * keel_vm_irqfd_find() - the KVM_IRQFD of a VM that waits on an eventfd
 * @kvm: the VM, referenced by the caller
 * @ctx: the eventfd
 * @out: filled on success
 *
 * Context: process context; takes the VM's irqfds lock.
 *
 * Return: 0, or -ENOENT when no irqfd of @kvm waits on @ctx.
 */
int keel_vm_irqfd_find(struct kvm *kvm, struct eventfd_ctx *ctx,
		       struct keel_vm_irqfd *out)
{
	struct kvm_kernel_irq_routing_entry e;
	struct kvm_kernel_irqfd *irqfd;
	unsigned int seq;
	int ret = -ENOENT;

	spin_lock_irq(&kvm->irqfds.lock);
	list_for_each_entry(irqfd, &kvm->irqfds.items, list) {
		if (irqfd->eventfd != ctx)
			continue;
		do {
			seq = read_seqcount_begin(&irqfd->irq_entry_sc);
			e = irqfd->irq_entry;
		} while (read_seqcount_retry(&irqfd->irq_entry_sc, seq));
		*out = (struct keel_vm_irqfd){ .gsi = irqfd->gsi, .vcpu = -1 };
		ret = 0;
		break;
	}
	spin_unlock_irq(&kvm->irqfds.lock);
	if (ret)
		return ret;

	switch (e.type) {
	case KVM_IRQ_ROUTING_IRQCHIP:
		out->route = KEEL_VM_ROUTE_IRQCHIP;
		break;
	case KVM_IRQ_ROUTING_MSI:
		out->route = KEEL_VM_ROUTE_MSI;
		out->msi_addr = (u64)e.msi.address_hi << 32 | e.msi.address_lo;
		out->msi_data = e.msi.data;
		out->vcpu = keel_vm_msi_vcpu(kvm, e.msi.address_lo,
					     e.msi.address_hi);
		break;
	default:	/* no single cached entry */
		out->route = KEEL_VM_ROUTE_OTHER;
		break;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(keel_vm_irqfd_find);
