// SPDX-License-Identifier: GPL-2.0
/*
 * Catching guest I/O inside KVM: two ftrace_ops, one on kvm_io_bus_write()
 * and one on kvm_io_bus_read(), selected by name (kvm_io_bus_read() is not
 * exported on every kernel). With FTRACE_OPS_FL_SAVE_REGS the callback
 * sees the full pt_regs at the traced function's entry, that is the
 * arguments in the x86-64 SysV registers: rdi = vcpu, rsi = bus index,
 * rdx = address, rcx = length, r8 = value pointer. When the access falls
 * in a started device's claimed range, the callback (FTRACE_OPS_FL_IPMODIFY,
 * as livepatch) sets the saved instruction pointer to Keel's handler,
 * which therefore runs instead of KVM's function with the same arguments
 * and returns to KVM's caller: 0, handled, and KVM goes back into the guest
 * without an exit. Any other access leaves the registers untouched and
 * KVM's own function runs.
 *
 * The handler gets the device as a sixth argument in r9, which the
 * five-argument traced functions do not use.
 *
 * Lifetime. The callback takes rcu_read_lock() before the lookup and, on
 * a hit, leaves it held: the handler releases it when it is done with the
 * device. So the whole access, lookup to return, is one RCU read-side
 * critical section of the vCPU thread, and keel_vdev_stop() (which
 * keel_vdev_unclaim() calls), which unpublishes the device and then waits
 * for a grace period, returns only once no vCPU is inside it. The device
 * (the open file) is freed after that. The ops are registered only while
 * at least one device is set up; unregister_ftrace_function() waits for
 * callbacks in flight.
 *
 * Module text: a vCPU may still be executing the handler's last
 * instructions after its rcu_read_unlock(). The module can only be unloaded
 * once every device file is closed, so after the last device stopped and
 * the ops were unregistered; for ops registered from a module (dynamic
 * ops) ftrace_shutdown() waits with synchronize_rcu_tasks_rude() and, on
 * preemptible kernels, synchronize_rcu_tasks(), after which no task is
 * running or preempted in the handler any more.
 *
 * The ops are registered while at least one device is set up (claimed),
 * started or not: stopping a device clears its range's device pointer and
 * waits for a grace period, without re-patching kernel text. While they
 * are, every VM's accesses pass through the callback; for a VM without
 * devices the lookup (claims.c) is one hash table lookup that does not
 * depend on other VMs' devices.
 */
#include <linux/ftrace.h>
#include <linux/kvm_host.h>

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

static void notrace keel_vdev_ftrace_write(unsigned long ip,
					   unsigned long parent_ip,
					   struct ftrace_ops *ops,
					   struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);

	if (regs)
		keel_vdev_redirect(regs, (unsigned long)keel_vdev_bus_write);
}

static void notrace keel_vdev_ftrace_read(unsigned long ip,
					  unsigned long parent_ip,
					  struct ftrace_ops *ops,
					  struct ftrace_regs *fregs)
{
	struct pt_regs *regs = ftrace_get_regs(fregs);

	if (regs)
		keel_vdev_redirect(regs, (unsigned long)keel_vdev_bus_read);
}

#define KEEL_VDEV_OPS_FLAGS	(FTRACE_OPS_FL_SAVE_REGS | \
				 FTRACE_OPS_FL_IPMODIFY | \
				 FTRACE_OPS_FL_RECURSION)

static struct ftrace_ops keel_vdev_write_ops = {
	.func = keel_vdev_ftrace_write,
	.flags = KEEL_VDEV_OPS_FLAGS,
};

static struct ftrace_ops keel_vdev_read_ops = {
	.func = keel_vdev_ftrace_read,
	.flags = KEEL_VDEV_OPS_FLAGS,
};

/* Install the hook for one more VM with claims. keel_vdev_vms_lock held. */
int keel_vdev_hook_get(void)
{
	int ret;

	if (keel_vdev_hook_users++)
		return 0;
	ret = register_ftrace_function(&keel_vdev_write_ops);
	if (ret)
		goto err;
	ret = register_ftrace_function(&keel_vdev_read_ops);
	if (ret) {
		unregister_ftrace_function(&keel_vdev_write_ops);
		goto err;
	}
	return 0;
err:
	pr_warn_ratelimited("keel_vdev: cannot hook KVM's I/O bus: %d\n", ret);
	keel_vdev_hook_users--;
	return ret;
}

/* One VM with claims fewer; the last removes it. keel_vdev_vms_lock held. */
void keel_vdev_hook_put(void)
{
	if (WARN_ON(!keel_vdev_hook_users) || --keel_vdev_hook_users)
		return;
	unregister_ftrace_function(&keel_vdev_read_ops);
	unregister_ftrace_function(&keel_vdev_write_ops);
}

static int keel_vdev_filter(struct ftrace_ops *ops, const char *name)
{
	char buf[32];

	/* ftrace_set_filter() may modify the string it parses. */
	strscpy(buf, name, sizeof(buf));
	return ftrace_set_filter(ops, buf, strlen(buf), 0);
}

int keel_vdev_hook_init(void)
{
	int ret;

	ret = keel_vdev_filter(&keel_vdev_write_ops, "kvm_io_bus_write");
	if (ret)
		goto err;
	ret = keel_vdev_filter(&keel_vdev_read_ops, "kvm_io_bus_read");
	if (ret)
		goto err_write;
	return 0;

err_write:
	ftrace_free_filter(&keel_vdev_write_ops);
err:
	pr_err("keel_vdev: cannot trace KVM's I/O bus functions: %d\n", ret);
	return ret;
}

void keel_vdev_hook_exit(void)
{
	ftrace_free_filter(&keel_vdev_read_ops);
	ftrace_free_filter(&keel_vdev_write_ops);
}
