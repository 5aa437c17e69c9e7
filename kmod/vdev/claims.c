// SPDX-License-Identifier: GPL-2.0
/*
 * The claimed ranges: (VM, bus, range) -> device.
 *
 * The hook looks up every kvm_io_bus_write()/read() of every VM on the
 * host, claimed or not, so the lookup must not depend on claims of other
 * VMs. It is two steps, both lockless (RCU):
 *
 * - keel_vdev_vms, a resizable hash table (rhashtable) keyed by the
 *   struct kvm pointer, holds one struct keel_vdev_vm per VM that has at
 *   least one claim. A VM without claims (the common case) costs one hash
 *   and one bucket read, however many claims other VMs hold.
 * - Each struct keel_vdev_vm has one array per bus (port I/O, MMIO) of
 *   its claimed ranges, sorted by address and disjoint: a binary search,
 *   O(log n) of that VM's claims, finds the range holding an address.
 *   Writers replace an array with an updated copy and free the old one
 *   after a grace period (kvfree_rcu()).
 *
 * A VM holds at most max_devices_per_vm claims (module parameter). Setting
 * up a claim takes the global keel_vdev_vms_lock only to find or create
 * its VM's entry, O(1); the overlap check and the new array are made
 * under that VM's own lock and cost O(n) of its claims, at most the limit.
 *
 * Started or stopped: a range points to its device only while the device
 * is started (NULL otherwise), so a lookup never touches a device that is
 * not started, and releasing a stopped device needs no grace period: only
 * the arrays and VM entries, which lookups may still hold, are freed after
 * one, by kvfree_rcu()/kfree_rcu().
 */
#include <linux/moduleparam.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>

#include "vdev.h"

#define KEEL_VDEV_MAX_PER_VM_DEFAULT	64
#define KEEL_VDEV_MAX_PER_VM_LIMIT	65536

static unsigned int keel_vdev_max_per_vm = KEEL_VDEV_MAX_PER_VM_DEFAULT;

static int keel_vdev_max_per_vm_set(const char *val,
				    const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, KEEL_VDEV_MAX_PER_VM_LIMIT);
}

static const struct kernel_param_ops keel_vdev_max_per_vm_ops = {
	.set = keel_vdev_max_per_vm_set,
	.get = param_get_uint,
};

module_param_cb(max_devices_per_vm, &keel_vdev_max_per_vm_ops,
		&keel_vdev_max_per_vm, 0644);
MODULE_PARM_DESC(max_devices_per_vm,
		 "Devices one VM may hold, both buses together (1-65536, default 64); read at each setup");

/* The arrays of a VM are indexed by KEEL_VDEV_BUS_*. */
#define KEEL_VDEV_NR_BUSES	(KEEL_VDEV_BUS_MMIO + 1)

/* One claimed range, [@first, @last], in its VM's array for its bus. */
struct keel_vdev_range {
	u64 first;
	u64 last;
	/*
	 * The device while it is started, else NULL. Written under the VM's
	 * lock in the array published at the time, copied with the array;
	 * read under RCU by the vCPU path. keel_vdev_stop() clears it and
	 * then waits for a grace period.
	 */
	struct keel_vdev_inst *vi;
};

/* A VM's claims on one bus, sorted by address; never changed but @r[].vi. */
struct keel_vdev_ranges {
	struct rcu_head rcu;
	unsigned int nr;
	struct keel_vdev_range r[];
};

/* The claims of one VM; in keel_vdev_vms while it has any. */
struct keel_vdev_vm {
	struct rhash_head hnode;
	struct kvm *kvm;		/* the key; constant */
	/* Protected by keel_vdev_vms_lock: claims made and being made. */
	unsigned int users;
	/*
	 * @lock protects publishing @ranges, @nr_claims and the started
	 * state of the VM's devices (keel_vdev_range.vi, the devices'
	 * keel_vdev_inst.started). The vCPU path reads @ranges under RCU.
	 */
	struct mutex lock;
	unsigned int nr_claims;
	struct keel_vdev_ranges __rcu *ranges[KEEL_VDEV_NR_BUSES];
	struct rcu_head rcu;
};

/*
 * keel_vdev_vms_lock protects adding an entry to and removing it from
 * keel_vdev_vms, keel_vdev_vm.users and the hook's user count (hook.c):
 * the hook is installed while any VM has an entry. Never held with a
 * VM's lock.
 */
static DEFINE_MUTEX(keel_vdev_vms_lock);
static struct rhashtable keel_vdev_vms;

static const struct rhashtable_params keel_vdev_vms_params = {
	.key_len = sizeof(struct kvm *),
	.key_offset = offsetof(struct keel_vdev_vm, kvm),
	.head_offset = offsetof(struct keel_vdev_vm, hnode),
	.automatic_shrinking = true,
};

/*
 * The index of the last range of @rs that starts at or below @addr, plus
 * one; 0 when there is none.
 */
static __always_inline unsigned int
keel_vdev_ranges_find(const struct keel_vdev_ranges *rs, u64 addr)
{
	unsigned int lo = 0, hi = rs->nr, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (rs->r[mid].first <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static struct keel_vdev_ranges *keel_vdev_ranges(struct keel_vdev_vm *vm,
						 u32 bus)
{
	return rcu_dereference_protected(vm->ranges[bus],
					 lockdep_is_held(&vm->lock));
}

/* @vi's range in its VM's published array. The VM's lock held. */
static struct keel_vdev_range *keel_vdev_range_of(struct keel_vdev_inst *vi)
{
	struct keel_vdev_ranges *rs = keel_vdev_ranges(vi->claims_vm,
						       vi->bus);
	unsigned int i = rs ? keel_vdev_ranges_find(rs, vi->base) : 0;

	if (WARN_ON(!i || rs->r[i - 1].first != vi->base))
		return NULL;
	return &rs->r[i - 1];
}

/*
 * Publish @rs as the VM's array for @bus; the old one is freed after a
 * grace period. The VM's lock held.
 */
static void keel_vdev_ranges_publish(struct keel_vdev_vm *vm, u32 bus,
				     struct keel_vdev_ranges *rs)
{
	struct keel_vdev_ranges *old = keel_vdev_ranges(vm, bus);

	rcu_assign_pointer(vm->ranges[bus], rs);
	if (old)
		kvfree_rcu(old, rcu);
}

static int keel_vdev_bus_of(enum kvm_bus bus)
{
	switch (bus) {
	case KVM_PIO_BUS:
		return KEEL_VDEV_BUS_PIO;
	case KVM_MMIO_BUS:
		return KEEL_VDEV_BUS_MMIO;
	default:
		return -1;
	}
}

/* @kvm's entry, created if needed, with one more user. */
static struct keel_vdev_vm *keel_vdev_vm_get(struct kvm *kvm)
{
	struct keel_vdev_vm *vm;
	int ret;

	mutex_lock(&keel_vdev_vms_lock);
	vm = rhashtable_lookup_fast(&keel_vdev_vms, &kvm,
				    keel_vdev_vms_params);
	if (vm)
		goto out;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm) {
		vm = ERR_PTR(-ENOMEM);
		goto unlock;
	}
	vm->kvm = kvm;
	mutex_init(&vm->lock);
	ret = keel_vdev_hook_get();
	if (ret)
		goto err_free;
	ret = rhashtable_insert_fast(&keel_vdev_vms, &vm->hnode,
				     keel_vdev_vms_params);
	if (ret) {
		keel_vdev_hook_put();
		goto err_free;
	}
out:
	vm->users++;
unlock:
	mutex_unlock(&keel_vdev_vms_lock);
	return vm;

err_free:
	mutex_destroy(&vm->lock);
	kfree(vm);
	vm = ERR_PTR(ret);
	goto unlock;
}

static void keel_vdev_vm_put(struct keel_vdev_vm *vm)
{
	mutex_lock(&keel_vdev_vms_lock);
	if (!--vm->users) {
		WARN_ON(vm->nr_claims);
		rhashtable_remove_fast(&keel_vdev_vms, &vm->hnode,
				       keel_vdev_vms_params);
		/* Waits for callbacks in flight (see hook.c). */
		keel_vdev_hook_put();
		mutex_destroy(&vm->lock);
		kfree_rcu(vm, rcu);
	}
	mutex_unlock(&keel_vdev_vms_lock);
}

/**
 * keel_vdev_claim() - claim a device's range on its VM and bus
 * @vi: the device, with its VM bound and its bus and range set
 *
 * Adds @vi's range, stopped, unless it overlaps another claim on the same
 * VM and bus or the VM already holds max_devices_per_vm devices. A claim
 * holds the hook: stopping and starting a claimed device only sets its
 * range's device pointer, so the state framework's STOP/RESUME cycles do
 * not re-patch kernel text.
 *
 * Context: process context; sleeps.
 *
 * Return: 0; -EADDRINUSE on an overlap, -ENOSPC when the VM is full,
 * -ENOMEM, or the error of installing the hook. Nothing changed on error.
 */
int keel_vdev_claim(struct keel_vdev_inst *vi)
{
	u64 first = vi->base, last = vi->base + vi->len - 1;
	u32 bus = vi->bus;
	struct keel_vdev_ranges *rs, *new;
	struct keel_vdev_vm *vm;
	unsigned int i, nr;
	int ret = 0;

	if (WARN_ON(bus >= KEEL_VDEV_NR_BUSES || !vi->len || vi->claims_vm))
		return -EINVAL;
	vm = keel_vdev_vm_get(vi->inst.kvm);
	if (IS_ERR(vm))
		return PTR_ERR(vm);
	mutex_lock(&vm->lock);
	if (vm->nr_claims >= READ_ONCE(keel_vdev_max_per_vm)) {
		ret = -ENOSPC;
		goto unlock;
	}
	rs = keel_vdev_ranges(vm, bus);
	nr = rs ? rs->nr : 0;
	/* Where the new range goes; the ranges on either side are apart. */
	i = rs ? keel_vdev_ranges_find(rs, first) : 0;
	if ((i && rs->r[i - 1].last >= first) ||
	    (i < nr && rs->r[i].first <= last)) {
		ret = -EADDRINUSE;
		goto unlock;
	}
	new = kvmalloc(struct_size(new, r, nr + 1), GFP_KERNEL_ACCOUNT);
	if (!new) {
		ret = -ENOMEM;
		goto unlock;
	}
	new->nr = nr + 1;
	if (i)
		memcpy(new->r, rs->r, i * sizeof(new->r[0]));
	new->r[i] = (struct keel_vdev_range){ .first = first, .last = last };
	if (i < nr)
		memcpy(new->r + i + 1, rs->r + i, (nr - i) * sizeof(new->r[0]));
	keel_vdev_ranges_publish(vm, bus, new);
	vm->nr_claims++;
	vi->claims_vm = vm;
unlock:
	mutex_unlock(&vm->lock);
	if (ret)
		keel_vdev_vm_put(vm);
	return ret;
}

/*
 * Remove @vi's claim. When it returns, no vCPU is in or can enter the
 * device through the hook: a started device is stopped first, which waits
 * for a grace period (that covers the redirected handler: see hook.c).
 */
void keel_vdev_unclaim(struct keel_vdev_inst *vi)
{
	struct keel_vdev_vm *vm = vi->claims_vm;
	struct keel_vdev_ranges *rs, *new = NULL;
	struct keel_vdev_range *r;
	unsigned int i;

	if (!vm)
		return;
	keel_vdev_stop(vi);
	mutex_lock(&vm->lock);
	r = keel_vdev_range_of(vi);
	rs = keel_vdev_ranges(vm, vi->bus);
	if (r && rs->nr > 1) {
		/* Teardown cannot fail; the array is small (the limit). */
		new = kvmalloc(struct_size(new, r, rs->nr - 1),
			       GFP_KERNEL_ACCOUNT | __GFP_NOFAIL);
		i = r - rs->r;
		new->nr = rs->nr - 1;
		memcpy(new->r, rs->r, i * sizeof(new->r[0]));
		memcpy(new->r + i, r + 1, (new->nr - i) * sizeof(new->r[0]));
	}
	if (r)
		keel_vdev_ranges_publish(vm, vi->bus, new);
	vm->nr_claims--;
	vi->claims_vm = NULL;
	mutex_unlock(&vm->lock);
	keel_vdev_vm_put(vm);
}

int keel_vdev_start(struct keel_vdev_inst *vi)
{
	struct keel_vdev_vm *vm = vi->claims_vm;
	struct keel_vdev_range *r;

	if (WARN_ON(!vm))
		return -EINVAL;
	mutex_lock(&vm->lock);
	r = keel_vdev_range_of(vi);
	if (r) {
		WRITE_ONCE(r->vi, vi);
		WRITE_ONCE(vi->started, true);
	}
	mutex_unlock(&vm->lock);
	return r ? 0 : -EINVAL;
}

/* When it returns, no vCPU is inside the device through the hook. */
void keel_vdev_stop(struct keel_vdev_inst *vi)
{
	struct keel_vdev_vm *vm = vi->claims_vm;
	struct keel_vdev_range *r;
	bool was;

	if (!vm)
		return;
	mutex_lock(&vm->lock);
	was = vi->started;
	r = keel_vdev_range_of(vi);
	if (r)
		WRITE_ONCE(r->vi, NULL);
	WRITE_ONCE(vi->started, false);
	mutex_unlock(&vm->lock);
	/*
	 * Wait for handlers that looked the device up before it was cleared.
	 * A state checkpoint stops the device and waits here while the VM is
	 * paused: an expedited grace period (IPIs instead of waiting for
	 * ticks) keeps that in microseconds instead of tens of milliseconds.
	 */
	if (was)
		synchronize_rcu_expedited();
}

/*
 * The started device whose range holds [addr, addr + len) on @bus of
 * @kvm, or NULL. Called under rcu_read_lock() from the ftrace callback,
 * for every access of every VM: it must not sleep, and costs one hash
 * lookup for a VM without claims.
 */
struct keel_vdev_inst *keel_vdev_lookup(struct kvm *kvm, enum kvm_bus bus,
					gpa_t addr, int len)
{
	const struct keel_vdev_ranges *rs;
	const struct keel_vdev_range *r;
	struct keel_vdev_vm *vm;
	unsigned int i;
	int b;

	if (len <= 0)
		return NULL;
	b = keel_vdev_bus_of(bus);
	if (b < 0)
		return NULL;
	vm = rhashtable_lookup(&keel_vdev_vms, &kvm, keel_vdev_vms_params);
	if (!vm)
		return NULL;
	rs = rcu_dereference(vm->ranges[b]);
	if (!rs)
		return NULL;
	i = keel_vdev_ranges_find(rs, addr);
	if (!i)
		return NULL;
	r = &rs->r[i - 1];
	/* first <= addr; the whole access must be in the range. */
	if (addr > r->last || (u64)len - 1 > r->last - addr)
		return NULL;
	return READ_ONCE(r->vi);
}

int keel_vdev_claims_init(void)
{
	return rhashtable_init(&keel_vdev_vms, &keel_vdev_vms_params);
}

/* Every device is gone (an open file pins the module). */
void keel_vdev_claims_exit(void)
{
	rhashtable_destroy(&keel_vdev_vms);
}
