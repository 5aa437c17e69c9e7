// SPDX-License-Identifier: GPL-2.0
/*
 * The claimed ranges of guest I/O: (VM, bus, range) -> claim, for the
 * redirect of KVM's I/O bus accesses (io_hook.c).
 *
 * The hook looks up every kvm_io_bus_write()/read() of every VM on the
 * host, claimed or not, so the lookup must not depend on claims of other
 * VMs. It is two steps, both lockless (RCU):
 *
 * - keel_io_vms, a resizable hash table (rhashtable) keyed by the
 *   struct kvm pointer, holds one struct keel_io_vm per VM that has at
 *   least one claim. A VM without claims (the common case) costs one hash
 *   and one bucket read, however many claims other VMs hold.
 * - Each struct keel_io_vm has one array per bus (port I/O, MMIO) of
 *   its claimed ranges, sorted by address and disjoint: a binary search,
 *   O(log n) of that VM's claims, finds the range holding an address.
 *   Writers replace an array with an updated copy and free the old one
 *   after a grace period (kvfree_rcu()).
 *
 * A VM holds at most max_claims_per_vm claims, all claimants together
 * (module parameter; keel_vdev's max_devices_per_vm is the same value).
 * Setting up a claim takes the global keel_io_vms_lock only to find or create
 * its VM's entry, O(1); the overlap check and the new array are made
 * under that VM's own lock and cost O(n) of its claims, at most the limit.
 *
 * Started or stopped: a range points to its claim only while the claim
 * is started (NULL otherwise), so a lookup never touches a claim that is
 * not started, and releasing a stopped claim needs no grace period: only
 * the arrays and VM entries, which lookups may still hold, are freed after
 * one, by kvfree_rcu()/kfree_rcu().
 */
#include <linux/moduleparam.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>

#include <keel/io_claim.h>

#include "core.h"

#define KEEL_IO_MAX_PER_VM_DEFAULT	64
#define KEEL_IO_MAX_PER_VM_LIMIT	65536

/* The claims one VM may hold; read at each keel_io_claim_add(). */
static unsigned int keel_io_claims_max = KEEL_IO_MAX_PER_VM_DEFAULT;

/**
 * keel_io_claims_max_set() - set max_claims_per_vm from a parameter write
 * @val: the text written
 * @kp: the parameter (keel.ko's own, or one of another name a module
 *	gives the same value: keel_vdev's max_devices_per_vm)
 *
 * Return: 0, or -EINVAL for a value that is not 1 to 65536.
 */
int keel_io_claims_max_set(const char *val, const struct kernel_param *kp)
{
	struct kernel_param p = *kp;

	p.arg = &keel_io_claims_max;
	return param_set_uint_minmax(val, &p, 1, KEEL_IO_MAX_PER_VM_LIMIT);
}
EXPORT_SYMBOL_GPL(keel_io_claims_max_set);

/**
 * keel_io_claims_max_get() - max_claims_per_vm for a parameter read
 * @buf: the page to print it in
 * @kp: the parameter, as for keel_io_claims_max_set()
 *
 * Return: the bytes printed.
 */
int keel_io_claims_max_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(keel_io_claims_max));
}
EXPORT_SYMBOL_GPL(keel_io_claims_max_get);

static const struct kernel_param_ops keel_io_claims_max_ops = {
	.set = keel_io_claims_max_set,
	.get = keel_io_claims_max_get,
};

module_param_cb(max_claims_per_vm, &keel_io_claims_max_ops, NULL, 0644);
MODULE_PARM_DESC(max_claims_per_vm,
		 "Claimed guest I/O ranges one VM may hold, both buses and all Keel devices together (1-65536, default 64); read at each setup");

/* The arrays of a VM: port I/O, MMIO. */
#define KEEL_IO_BUS_PIO		0
#define KEEL_IO_BUS_MMIO	1
#define KEEL_IO_NR_BUSES	2

/* One claimed range, [@first, @last], in its VM's array for its bus. */
struct keel_io_range {
	u64 first;
	u64 last;
	/*
	 * The claim while it is started, else NULL. Written under the VM's
	 * lock in the array published at the time, copied with the array;
	 * read under RCU by the vCPU path. keel_io_claim_stop() clears it
	 * and then waits for a grace period.
	 */
	struct keel_io_claim *c;
};

/* A VM's claims on one bus, sorted by address; never changed but @r[].c. */
struct keel_io_ranges {
	struct rcu_head rcu;
	unsigned int nr;
	struct keel_io_range r[];
};

/* The claims of one VM; in keel_io_vms while it has any. */
struct keel_io_vm {
	struct rhash_head hnode;
	struct kvm *kvm;		/* the key; constant */
	/* Protected by keel_io_vms_lock: claims made and being made. */
	unsigned int users;
	/*
	 * @lock protects publishing @ranges, @nr_claims and the started
	 * state of the VM's claims (keel_io_range.c, keel_io_claim.started).
	 * The vCPU path reads @ranges under RCU.
	 */
	struct mutex lock;
	unsigned int nr_claims;
	struct keel_io_ranges __rcu *ranges[KEEL_IO_NR_BUSES];
	struct rcu_head rcu;
};

/*
 * keel_io_vms_lock protects adding an entry to and removing it from
 * keel_io_vms, keel_io_vm.users and the hook's user count (io_hook.c):
 * the hook is installed while any VM has an entry. Never held with a
 * VM's lock.
 */
static DEFINE_MUTEX(keel_io_vms_lock);
static struct rhashtable keel_io_vms;

static const struct rhashtable_params keel_io_vms_params = {
	.key_len = sizeof(struct kvm *),
	.key_offset = offsetof(struct keel_io_vm, kvm),
	.head_offset = offsetof(struct keel_io_vm, hnode),
	.automatic_shrinking = true,
};

/*
 * The index of the last range of @rs that starts at or below @addr, plus
 * one; 0 when there is none.
 */
static __always_inline unsigned int
keel_io_ranges_find(const struct keel_io_ranges *rs, u64 addr)
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

static struct keel_io_ranges *keel_io_ranges(struct keel_io_vm *vm, int bus)
{
	return rcu_dereference_protected(vm->ranges[bus],
					 lockdep_is_held(&vm->lock));
}

/*
 * Publish @rs as the VM's array for @bus; the old one is freed after a
 * grace period. The VM's lock held.
 */
static void keel_io_ranges_publish(struct keel_io_vm *vm, int bus,
				   struct keel_io_ranges *rs)
{
	struct keel_io_ranges *old = keel_io_ranges(vm, bus);

	rcu_assign_pointer(vm->ranges[bus], rs);
	if (old)
		kvfree_rcu(old, rcu);
}

static int keel_io_bus_of(enum kvm_bus bus)
{
	switch (bus) {
	case KVM_PIO_BUS:
		return KEEL_IO_BUS_PIO;
	case KVM_MMIO_BUS:
		return KEEL_IO_BUS_MMIO;
	default:
		return -1;
	}
}

/* @c's range in its VM's published array. The VM's lock held. */
static struct keel_io_range *keel_io_range_of(struct keel_io_claim *c)
{
	struct keel_io_ranges *rs = keel_io_ranges(c->vm,
						   keel_io_bus_of(c->bus));
	unsigned int i = rs ? keel_io_ranges_find(rs, c->base) : 0;

	if (WARN_ON(!i || rs->r[i - 1].first != c->base))
		return NULL;
	return &rs->r[i - 1];
}

/* @kvm's entry, created if needed, with one more user. */
static struct keel_io_vm *keel_io_vm_get(struct kvm *kvm)
{
	struct keel_io_vm *vm;
	int ret;

	mutex_lock(&keel_io_vms_lock);
	vm = rhashtable_lookup_fast(&keel_io_vms, &kvm,
				    keel_io_vms_params);
	if (vm)
		goto out;
	vm = kzalloc(sizeof(*vm), GFP_KERNEL_ACCOUNT);
	if (!vm) {
		vm = ERR_PTR(-ENOMEM);
		goto unlock;
	}
	vm->kvm = kvm;
	mutex_init(&vm->lock);
	ret = keel_io_hook_get();
	if (ret)
		goto err_free;
	ret = rhashtable_insert_fast(&keel_io_vms, &vm->hnode,
				     keel_io_vms_params);
	if (ret) {
		keel_io_hook_put();
		goto err_free;
	}
out:
	vm->users++;
unlock:
	mutex_unlock(&keel_io_vms_lock);
	return vm;

err_free:
	mutex_destroy(&vm->lock);
	kfree(vm);
	vm = ERR_PTR(ret);
	goto unlock;
}

static void keel_io_vm_put(struct keel_io_vm *vm)
{
	mutex_lock(&keel_io_vms_lock);
	if (!--vm->users) {
		WARN_ON(vm->nr_claims);
		rhashtable_remove_fast(&keel_io_vms, &vm->hnode,
				       keel_io_vms_params);
		/* Waits for callbacks in flight (see io_hook.c). */
		keel_io_hook_put();
		mutex_destroy(&vm->lock);
		kfree_rcu(vm, rcu);
	}
	mutex_unlock(&keel_io_vms_lock);
}

/**
 * keel_io_claim_add() - claim a range of a VM's I/O space
 * @c: the claim, with &keel_io_claim.ops, .kvm, .bus, .base and .len set
 *
 * Adds @c's range, stopped, unless it overlaps another claim on the same
 * VM and bus or the VM already holds max_claims_per_vm claims of all
 * claimants together. A claim holds
 * the hook: starting and stopping it only sets its range's claim pointer,
 * so the state framework's STOP/RESUME cycles do not re-patch kernel text.
 *
 * Context: process context; sleeps.
 *
 * Return: 0; -EINVAL for a bus other than port I/O or MMIO, an empty or
 * wrapping range; -EADDRINUSE on an overlap, -ENOSPC when the VM is full,
 * -ENOMEM, or the error of installing the hook. Nothing changed on error.
 */
int keel_io_claim_add(struct keel_io_claim *c)
{
	u64 first = c->base, last = c->base + c->len - 1;
	int bus = keel_io_bus_of(c->bus);
	struct keel_io_ranges *rs, *new;
	struct keel_io_vm *vm;
	unsigned int i, nr;
	int ret = 0;

	if (bus < 0 || !c->len || last < first || !c->ops || !c->kvm)
		return -EINVAL;
	if (WARN_ON(c->vm))
		return -EINVAL;
	vm = keel_io_vm_get(c->kvm);
	if (IS_ERR(vm))
		return PTR_ERR(vm);
	mutex_lock(&vm->lock);
	if (vm->nr_claims >= READ_ONCE(keel_io_claims_max)) {
		ret = -ENOSPC;
		goto unlock;
	}
	rs = keel_io_ranges(vm, bus);
	nr = rs ? rs->nr : 0;
	/* Where the new range goes; the ranges on either side are apart. */
	i = rs ? keel_io_ranges_find(rs, first) : 0;
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
	new->r[i] = (struct keel_io_range){ .first = first, .last = last };
	if (i < nr)
		memcpy(new->r + i + 1, rs->r + i, (nr - i) * sizeof(new->r[0]));
	keel_io_ranges_publish(vm, bus, new);
	vm->nr_claims++;
	c->vm = vm;
	c->started = false;
unlock:
	mutex_unlock(&vm->lock);
	if (ret)
		keel_io_vm_put(vm);
	return ret;
}
EXPORT_SYMBOL_GPL(keel_io_claim_add);

/**
 * keel_io_claim_del() - remove a claim, added or not
 * @c: the claim
 *
 * When it returns, no vCPU is in or can enter @c->ops->access() for @c:
 * a started claim is stopped first, which waits for a grace period (that
 * covers the redirected handler: see io_hook.c). Does nothing for a claim
 * that was never added or is already removed.
 *
 * Context: process context; sleeps.
 */
void keel_io_claim_del(struct keel_io_claim *c)
{
	struct keel_io_vm *vm = c->vm;
	struct keel_io_ranges *rs, *new = NULL;
	struct keel_io_range *r;
	int bus = keel_io_bus_of(c->bus);
	unsigned int i;

	if (!vm)
		return;
	keel_io_claim_stop(c);
	mutex_lock(&vm->lock);
	r = keel_io_range_of(c);
	rs = keel_io_ranges(vm, bus);
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
		keel_io_ranges_publish(vm, bus, new);
	vm->nr_claims--;
	c->vm = NULL;
	mutex_unlock(&vm->lock);
	keel_io_vm_put(vm);
}
EXPORT_SYMBOL_GPL(keel_io_claim_del);

/**
 * keel_io_claim_start() - send the range's accesses to the claimant
 * @c: an added claim
 *
 * Idempotent. Context: process context; sleeps.
 *
 * Return: 0, or -EINVAL for a claim that is not added.
 */
int keel_io_claim_start(struct keel_io_claim *c)
{
	struct keel_io_vm *vm = c->vm;
	struct keel_io_range *r;

	if (WARN_ON(!vm))
		return -EINVAL;
	mutex_lock(&vm->lock);
	r = keel_io_range_of(c);
	if (r) {
		WRITE_ONCE(r->c, c);
		WRITE_ONCE(c->started, true);
	}
	mutex_unlock(&vm->lock);
	return r ? 0 : -EINVAL;
}
EXPORT_SYMBOL_GPL(keel_io_claim_start);

/**
 * keel_io_claim_stop() - send the range's accesses to the VMM again
 * @c: a claim, added or not
 *
 * Idempotent. When it returns, no vCPU is inside @c->ops->access().
 *
 * Context: process context; sleeps (a grace period when it was started).
 */
void keel_io_claim_stop(struct keel_io_claim *c)
{
	struct keel_io_vm *vm = c->vm;
	struct keel_io_range *r;
	bool was;

	if (!vm)
		return;
	mutex_lock(&vm->lock);
	was = c->started;
	r = keel_io_range_of(c);
	if (r)
		WRITE_ONCE(r->c, NULL);
	WRITE_ONCE(c->started, false);
	mutex_unlock(&vm->lock);
	/*
	 * Wait for handlers that looked the claim up before it was cleared.
	 * A state checkpoint stops devices and waits here while the VM is
	 * paused: an expedited grace period (IPIs instead of waiting for
	 * ticks) keeps that in microseconds instead of tens of milliseconds.
	 */
	if (was)
		synchronize_rcu_expedited();
}
EXPORT_SYMBOL_GPL(keel_io_claim_stop);

/*
 * The started claim whose range holds [addr, addr + len) on @bus of @kvm,
 * or NULL. Called under rcu_read_lock() from the ftrace callback, for
 * every access of every VM: it must not sleep, and costs one hash lookup
 * for a VM without claims.
 */
struct keel_io_claim *keel_io_claim_lookup(struct kvm *kvm, enum kvm_bus bus,
					   gpa_t addr, int len)
{
	const struct keel_io_ranges *rs;
	const struct keel_io_range *r;
	struct keel_io_vm *vm;
	unsigned int i;
	int b;

	if (len <= 0)
		return NULL;
	b = keel_io_bus_of(bus);
	if (b < 0)
		return NULL;
	vm = rhashtable_lookup(&keel_io_vms, &kvm, keel_io_vms_params);
	if (!vm)
		return NULL;
	rs = rcu_dereference(vm->ranges[b]);
	if (!rs)
		return NULL;
	i = keel_io_ranges_find(rs, addr);
	if (!i)
		return NULL;
	r = &rs->r[i - 1];
	/* first <= addr; the whole access must be in the range. */
	if (addr > r->last || (u64)len - 1 > r->last - addr)
		return NULL;
	return READ_ONCE(r->c);
}

int keel_io_claims_init(void)
{
	int ret;

	ret = rhashtable_init(&keel_io_vms, &keel_io_vms_params);
	if (ret)
		return ret;
	ret = keel_io_hook_init();
	if (ret)
		rhashtable_destroy(&keel_io_vms);
	return ret;
}

/* Every claim is gone: claimants' modules hold keel.ko. */
void keel_io_claims_exit(void)
{
	keel_io_hook_exit();
	rhashtable_destroy(&keel_io_vms);
}
