// SPDX-License-Identifier: GPL-2.0
/*
 * Catching guest I/O inside KVM: two of the core's redirects (redirect.c),
 * one of kvm_io_bus_write() and one of kvm_io_bus_read() (which is not
 * exported on every kernel). The pick sees the registers at the traced
 * function's entry, that is the arguments in the x86-64 SysV registers:
 * rdi = vcpu, rsi = bus index, rdx = address, rcx = length, r8 = value
 * pointer. When the access falls in a started device's claimed range, it
 * sets the saved instruction pointer to Keel's handler,
 * which therefore runs instead of KVM's function with the same arguments
 * and returns to KVM's caller: 0, handled, and KVM goes back into the guest
 * without an exit. Any other access leaves the registers untouched and
 * KVM's own function runs.
 *
 * The handler gets the device as a sixth argument in r9, which the
 * five-argument traced functions do not use.
 *
 * Lifetime. The pick takes rcu_read_lock() before the lookup and, on
 * a hit, leaves it held: the handler releases it when it is done with the
 * device. So the whole access, lookup to return, is one RCU read-side
 * critical section of the vCPU thread, and keel_vdev_stop() (which
 * keel_vdev_unclaim() calls), which unpublishes the device and then waits
 * for a grace period, returns only once no vCPU is inside it. The device
 * (the open file) is freed after that.
 *
 * Module text: a vCPU may still be executing the handler's last
 * instructions after its rcu_read_unlock(). The module can only be unloaded
 * once every device file is closed, so after the last device stopped and
 * the redirects lost their last user, which waits until no task runs the
 * handlers any more (redirect.c).
 *
 * The redirects have a user while at least one device is set up (claimed),
 * started or not: stopping a device clears its range's device pointer and
 * waits for a grace period, without re-patching kernel text. While they
 * do, every VM's accesses pass through the pick; for a VM without
 * devices the lookup (claims.c) is one hash table lookup that does not
 * depend on other VMs' devices.
 */
#include <linux/kvm_host.h>
#include <keel/redirect.h>

#include "vdev.h"

/* Protected by keel_vdev_vms_lock (claims.c), which calls get/put. */
static unsigned int keel_vdev_hook_users;

static int keel_vdev_access(struct keel_vdev_inst *vi, gpa_t addr, int len,
			    void *val, bool write)
{
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
	return ret ? -EOPNOTSUPP : 0;
}

/*
 * The redirected kvm_io_bus_write()/kvm_io_bus_read(). Entered from the
 * callback with rcu_read_lock() held (see above).
 */
static int keel_vdev_bus_write(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx,
			       gpa_t addr, int len, const void *val,
			       struct keel_vdev_inst *vi)
	__releases(RCU)
{
	int ret;

	ret = keel_vdev_access(vi, addr, len, (void *)val, true);
	rcu_read_unlock();
	return ret;
}

static int keel_vdev_bus_read(struct kvm_vcpu *vcpu, enum kvm_bus bus_idx,
			      gpa_t addr, int len, void *val,
			      struct keel_vdev_inst *vi)
	__releases(RCU)
{
	int ret;

	ret = keel_vdev_access(vi, addr, len, val, false);
	rcu_read_unlock();
	return ret;
}

static void keel_vdev_redirect(struct pt_regs *regs, unsigned long handler)
{
	struct kvm_vcpu *vcpu = (struct kvm_vcpu *)regs->di;
	struct keel_vdev_inst *vi;

	rcu_read_lock();
	vi = keel_vdev_lookup(vcpu->kvm, (enum kvm_bus)regs->si,
			      (gpa_t)regs->dx, (int)regs->cx);
	if (!vi) {
		rcu_read_unlock();
		return;
	}
	/* The handler releases the RCU read lock. */
	__release(RCU);
	regs->r9 = (unsigned long)vi;
	regs->ip = handler;
}

static void keel_vdev_pick_write(struct pt_regs *regs)
{
	keel_vdev_redirect(regs, (unsigned long)keel_vdev_bus_write);
}

static void keel_vdev_pick_read(struct pt_regs *regs)
{
	keel_vdev_redirect(regs, (unsigned long)keel_vdev_bus_read);
}

static struct keel_redirect keel_vdev_write_hook = {
	.symbol = "kvm_io_bus_write",
	.owner = THIS_MODULE,
	.pick = keel_vdev_pick_write,
};

static struct keel_redirect keel_vdev_read_hook = {
	.symbol = "kvm_io_bus_read",
	.owner = THIS_MODULE,
	.pick = keel_vdev_pick_read,
};

/* Install the hook for one more VM with claims. keel_vdev_vms_lock held. */
int keel_vdev_hook_get(void)
{
	int ret;

	if (keel_vdev_hook_users++)
		return 0;
	ret = keel_redirect_get(&keel_vdev_write_hook);
	if (ret)
		goto err;
	ret = keel_redirect_get(&keel_vdev_read_hook);
	if (ret) {
		keel_redirect_put(&keel_vdev_write_hook);
		goto err;
	}
	return 0;
err:
	keel_vdev_hook_users--;
	return ret;
}

/* One VM with claims fewer; the last removes it. keel_vdev_vms_lock held. */
void keel_vdev_hook_put(void)
{
	if (WARN_ON(!keel_vdev_hook_users) || --keel_vdev_hook_users)
		return;
	keel_redirect_put(&keel_vdev_read_hook);
	keel_redirect_put(&keel_vdev_write_hook);
}

int keel_vdev_hook_init(void)
{
	int ret;

	ret = keel_redirect_init(&keel_vdev_write_hook);
	if (ret)
		return ret;
	ret = keel_redirect_init(&keel_vdev_read_hook);
	if (ret)
		keel_redirect_exit(&keel_vdev_write_hook);
	return ret;
}

void keel_vdev_hook_exit(void)
{
	keel_redirect_exit(&keel_vdev_read_hook);
	keel_redirect_exit(&keel_vdev_write_hook);
}
