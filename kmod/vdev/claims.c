// SPDX-License-Identifier: GPL-2.0
/*
 * The claimed ranges: (VM, bus, range) -> device. Writers (setup,
 * start/stop, release) serialise on keel_vdev_claims_lock; the vCPU path
 * looks a range up under RCU alone. The table is hashed by VM, so the
 * lookup that the hook makes for every kvm_io_bus_write()/read() in the
 * system walks only the claims of that VM, usually none.
 */
#include <linux/hash.h>
#include <linux/rculist.h>

#include "vdev.h"

#define KEEL_VDEV_HASH_BITS	6

static DEFINE_MUTEX(keel_vdev_claims_lock);
static struct hlist_head keel_vdev_claims[1 << KEEL_VDEV_HASH_BITS];

static struct hlist_head *keel_vdev_bucket(struct kvm *kvm)
{
	return &keel_vdev_claims[hash_ptr(kvm, KEEL_VDEV_HASH_BITS)];
}

/*
 * Add @vi's range, unless it overlaps another claim on the same bus.
 * Every claim holds the hook: stopping and starting a claimed device only
 * flips its started flag, so the state framework's STOP/RESUME cycles do
 * not re-patch kernel text.
 */
int keel_vdev_claim(struct keel_vdev_inst *vi)
{
	struct hlist_head *head = keel_vdev_bucket(vi->inst.kvm);
	struct keel_vdev_inst *other;
	int ret = 0;

	mutex_lock(&keel_vdev_claims_lock);
	hlist_for_each_entry(other, head, claim_node) {
		if (other->inst.kvm == vi->inst.kvm &&
		    other->kvm_bus == vi->kvm_bus &&
		    vi->base < other->base + other->len &&
		    other->base < vi->base + vi->len) {
			ret = -EADDRINUSE;
			goto out;
		}
	}
	ret = keel_vdev_hook_get();
	if (ret)
		goto out;
	hlist_add_head_rcu(&vi->claim_node, head);
	vi->claimed = true;
out:
	mutex_unlock(&keel_vdev_claims_lock);
	return ret;
}

/*
 * Remove @vi's claim. When it returns, no vCPU is in or can enter the
 * device through the hook (the grace period covers the redirected handler:
 * see hook.c).
 */
void keel_vdev_unclaim(struct keel_vdev_inst *vi)
{
	if (!vi->claimed)
		return;
	keel_vdev_stop(vi);
	mutex_lock(&keel_vdev_claims_lock);
	hlist_del_rcu(&vi->claim_node);
	vi->claimed = false;
	mutex_unlock(&keel_vdev_claims_lock);
	synchronize_rcu();
	mutex_lock(&keel_vdev_claims_lock);
	keel_vdev_hook_put();
	mutex_unlock(&keel_vdev_claims_lock);
}

int keel_vdev_start(struct keel_vdev_inst *vi)
{
	mutex_lock(&keel_vdev_claims_lock);
	WRITE_ONCE(vi->started, true);
	mutex_unlock(&keel_vdev_claims_lock);
	return 0;
}

/* When it returns, no vCPU is inside the device through the hook. */
void keel_vdev_stop(struct keel_vdev_inst *vi)
{
	bool was;

	mutex_lock(&keel_vdev_claims_lock);
	was = vi->started;
	WRITE_ONCE(vi->started, false);
	mutex_unlock(&keel_vdev_claims_lock);
	/*
	 * Wait for handlers that looked the device up before the flag. A
	 * state checkpoint stops the device and waits here while the VM is
	 * paused: an expedited grace period (IPIs instead of waiting for
	 * ticks) keeps that in microseconds instead of tens of milliseconds.
	 */
	if (was)
		synchronize_rcu_expedited();
}

/*
 * The started device whose range holds [addr, addr + len) on @bus of
 * @kvm, or NULL. Called under rcu_read_lock() from the ftrace callback:
 * nothing here may be traced or sleep.
 */
struct keel_vdev_inst *keel_vdev_lookup(struct kvm *kvm, enum kvm_bus bus,
					gpa_t addr, int len)
{
	struct keel_vdev_inst *vi;

	if (len <= 0)
		return NULL;
	hlist_for_each_entry_rcu(vi, keel_vdev_bucket(kvm), claim_node) {
		if (vi->inst.kvm != kvm || vi->kvm_bus != bus)
			continue;
		if (addr >= vi->base && addr - vi->base < vi->len &&
		    len <= vi->len - (addr - vi->base))
			return READ_ONCE(vi->started) ? vi : NULL;
	}
	return NULL;
}
