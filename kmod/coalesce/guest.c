// SPDX-License-Identifier: GPL-2.0
/*
 * Whether the guest is active, from KVM's own view of the vCPU that takes
 * the queue's interrupt (Documentation/coalesce.rst):
 *
 *	active     runnable (mp_state RUNNABLE), on a CPU or about to be:
 *	           running guest code, or handling an exit in the host
 *	inactive   halted (mp_state HALTED: polling or blocked in
 *	           kvm_vcpu_halt(), waiting for an interrupt), blocked
 *	           (kvm_vcpu_is_blocking()), or preempted while runnable
 *	           (vcpu->preempted: KVM's sched-out notifier saw it lose its
 *	           CPU while it wanted to run), or waiting for INIT/SIPI
 *
 * A vCPU outside KVM_RUN (a VM its VMM paused) counts as active: KVM has
 * no state for it, and an interrupt for it is only queued. A vCPU that
 * does not exist (yet) counts as active too: nothing is held longer than
 * the latency interval on a guess.
 */
#include <linux/kvm_host.h>

#include "coalesce.h"

/* Context: any; reads KVM's fields without its locks (a snapshot). */
bool keel_coal_guest_active(struct keel_coal_obj *o)
{
	struct kvm *kvm = o->inst.kvm;
	struct kvm_vcpu *vcpu;

	/* kvm_get_vcpu() clamps an index out of range to 0. */
	if (o->vcpu >= atomic_read(&kvm->online_vcpus))
		return true;
	vcpu = kvm_get_vcpu(kvm, o->vcpu);
	if (!vcpu)
		return true;
	if (READ_ONCE(vcpu->preempted))
		return false;
	if (READ_ONCE(vcpu->arch.mp_state) != KVM_MP_STATE_RUNNABLE)
		return false;
	return !kvm_vcpu_is_blocking(vcpu);
}

/* Whether KVM's irqfd still waits on the object's irqfd eventfd. */
bool keel_coal_irqfd_bound(struct keel_coal_obj *o)
{
	struct keel_vm_irqfd f;

	return !keel_vm_irqfd_find(o->inst.kvm, o->irq_ctx, &f);
}
