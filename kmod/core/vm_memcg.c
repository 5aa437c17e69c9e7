// SPDX-License-Identifier: GPL-2.0
/*
 * Memory a Keel module allocates for a VM is the VM's: charged to the
 * memory cgroup of the VMM's address space (kvm->mm), whoever asks for it.
 * An operator's tool (keelctl attaching to a running QEMU by pid) sets up
 * objects from its own process; without this, their pages would count
 * against the tool's cgroup, escape the VM's limit, and stay charged to
 * a cgroup the tool has long left.
 */
#include <linux/export.h>
#include <linux/kvm_host.h>
#include <linux/memcontrol.h>
#include <linux/sched/mm.h>

#include "core.h"

/**
 * keel_vm_charge_begin() - charge the caller's allocations to a VM's memcg
 * @kvm: the VM
 * @c: filled in, for keel_vm_charge_end()
 *
 * Until keel_vm_charge_end(@c), every __GFP_ACCOUNT allocation of the
 * calling task (GFP_KERNEL_ACCOUNT, kvmalloc(), alloc_page() with it) is
 * charged to the memory cgroup that owns @kvm's address space (the cgroup
 * of the VMM's process, mm->owner), as its limit would have it. Scopes
 * nest; end them in the reverse order.
 *
 * Context: process context.
 */
void keel_vm_charge_begin(struct kvm *kvm, struct keel_vm_charge *c)
{
	c->memcg = get_mem_cgroup_from_mm(kvm->mm);
	c->old = set_active_memcg(c->memcg);
}
EXPORT_SYMBOL_GPL(keel_vm_charge_begin);

/**
 * keel_vm_charge_end() - end a keel_vm_charge_begin() scope
 * @c: what keel_vm_charge_begin() filled in
 *
 * Allocations are charged as before the scope; the pages charged within
 * stay charged to the VM's cgroup until they are freed.
 */
void keel_vm_charge_end(struct keel_vm_charge *c)
{
	set_active_memcg(c->old);
	mem_cgroup_put(c->memcg);
	c->memcg = NULL;
	c->old = NULL;
}
EXPORT_SYMBOL_GPL(keel_vm_charge_end);
