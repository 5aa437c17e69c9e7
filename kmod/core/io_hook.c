// SPDX-License-Identifier: GPL-2.0
/*
 * Catching guest I/O inside KVM: two of the core's redirects (redirect.c),
 * one of kvm_io_bus_write() and one of kvm_io_bus_read() (which is not
 * exported on every kernel). The pick sees the registers at the traced
 * function's entry, that is the arguments in the x86-64 SysV registers:
 * rdi = vcpu, rsi = bus index, rdx = address, rcx = length, r8 = value
 * pointer. When the access falls in a started claim's range (io_claim.c),
 * it sets the saved instruction pointer to the core's handler, which
 * therefore runs instead of KVM's function with the same arguments, calls
 * the claimant's access() and returns to KVM's caller: 0, handled, and
 * KVM goes back into the guest without an exit. Any other access leaves
 * the registers untouched and KVM's own function runs, as it does when
 * the claimant's access() refuses it.
 *
 * The handler gets the claim as a sixth argument in r9, which the
 * five-argument traced functions do not use.
 *
 * Lifetime. The pick takes rcu_read_lock() before the lookup and, on
 * a hit, leaves it held: the handler releases it when the claimant's
 * access() has returned. So the whole access, lookup to return, is one
 * RCU read-side critical section of the vCPU thread, and
 * keel_io_claim_stop() (which keel_io_claim_del() calls), which
 * unpublishes the claim and then waits for a grace period, returns only
 * once no vCPU is inside it. The claimant frees its object after that.
 *
 * Module text: the claimant's access() has returned before
 * rcu_read_unlock(), so its module may go once its claims are removed; a
 * vCPU may still be executing the core handler's last instructions, and
 * keel.ko itself can only be unloaded after every claimant module, after
 * the redirects lost their last user, which waits until no task runs the
 * handlers any more (redirect.c).
 *
 * The redirects have a user while at least one VM holds a claim, started
 * or not: stopping a claim clears its range's claim pointer and waits for
 * a grace period, without re-patching kernel text. While they do, every
 * VM's accesses pass through the pick; for a VM without claims the lookup
 * (io_claim.c) is one hash table lookup that does not depend on other
 * VMs' claims.
 */
#include <linux/kvm_host.h>
#include <keel/io_claim.h>
#include <keel/redirect.h>

#include "core.h"

/* Protected by keel_io_vms_lock (io_claim.c), which calls get/put. */
static unsigned int keel_io_hook_users;

/*
 * The redirected kvm_io_bus_write()/kvm_io_bus_read(). Entered from the
 * callback with rcu_read_lock() held (see above). A claimant that refuses
 * the access sends it to KVM's own function, and so to the VMM.
 */
static int keel_io_bus_write(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx,
			     gpa_t addr, int len, const void *val,
			     struct keel_io_claim *c)
	__releases(RCU)
{
	int ret;

	ret = c->ops->access(c, addr, len, (void *)val, true);
	rcu_read_unlock();
	return ret ? -EOPNOTSUPP : 0;
}

static int keel_io_bus_read(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx,
			    gpa_t addr, int len, void *val,
			    struct keel_io_claim *c)
	__releases(RCU)
{
	int ret;

	ret = c->ops->access(c, addr, len, val, false);
	rcu_read_unlock();
	return ret ? -EOPNOTSUPP : 0;
}

static void keel_io_redirect(struct pt_regs *regs, unsigned long handler)
{
	struct kvm_vcpu *vcpu = (struct kvm_vcpu *)regs->di;
	struct keel_io_claim *c;

	rcu_read_lock();
	c = keel_io_claim_lookup(vcpu->kvm, (enum kvm_bus)regs->si,
				 (gpa_t)regs->dx, (int)regs->cx);
	if (!c) {
		rcu_read_unlock();
		return;
	}
	/* The handler releases the RCU read lock. */
	__release(RCU);
	regs->r9 = (unsigned long)c;
	regs->ip = handler;
}

static void keel_io_pick_write(struct pt_regs *regs)
{
	keel_io_redirect(regs, (unsigned long)keel_io_bus_write);
}

static void keel_io_pick_read(struct pt_regs *regs)
{
	keel_io_redirect(regs, (unsigned long)keel_io_bus_read);
}

static struct keel_redirect keel_io_write_hook = {
	.symbol = "kvm_io_bus_write",
	.owner = THIS_MODULE,
	.pick = keel_io_pick_write,
};

static struct keel_redirect keel_io_read_hook = {
	.symbol = "kvm_io_bus_read",
	.owner = THIS_MODULE,
	.pick = keel_io_pick_read,
};

/* Install the hook for one more VM with claims. keel_io_vms_lock held. */
int keel_io_hook_get(void)
{
	int ret;

	if (keel_io_hook_users++)
		return 0;
	ret = keel_redirect_get(&keel_io_write_hook);
	if (ret)
		goto err;
	ret = keel_redirect_get(&keel_io_read_hook);
	if (ret) {
		keel_redirect_put(&keel_io_write_hook);
		goto err;
	}
	return 0;
err:
	keel_io_hook_users--;
	return ret;
}

/* One VM with claims fewer; the last removes it. keel_io_vms_lock held. */
void keel_io_hook_put(void)
{
	if (WARN_ON(!keel_io_hook_users) || --keel_io_hook_users)
		return;
	keel_redirect_put(&keel_io_read_hook);
	keel_redirect_put(&keel_io_write_hook);
}

int keel_io_hook_init(void)
{
	int ret;

	ret = keel_redirect_init(&keel_io_write_hook);
	if (ret)
		return ret;
	ret = keel_redirect_init(&keel_io_read_hook);
	if (ret)
		keel_redirect_exit(&keel_io_write_hook);
	return ret;
}

void keel_io_hook_exit(void)
{
	keel_redirect_exit(&keel_io_read_hook);
	keel_redirect_exit(&keel_io_write_hook);
}
