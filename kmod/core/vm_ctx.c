// SPDX-License-Identifier: GPL-2.0
/*
 * Acting in a VM's own context, for a VMM that knows nothing of Keel.
 *
 * KVM accepts VM ioctls only from the address space that created the VM
 * (kvm_vm_ioctl(): kvm->mm != current->mm gives -EIO), reads and writes
 * guest memory through that address space's mapping of it, and since 6.6
 * registers page-track notifiers only from it. A tool that took a VM fd
 * from a running QEMU with pidfd_getfd(2) runs in another one.
 * keel_vm_call() runs a function of a feature module in the VM's address
 * space, from a worker of Keel's workqueue (a kernel thread) that adopts
 * it for the call. keel_vm_irqfd_assign() issues the VMM's own KVM_IRQFD
 * so (the module functions that would do it, kvm_irqfd() and
 * kvm_set_irq(), are not exported), and keel_vm_ctx_memslot() its
 * KVM_SET_USER_MEMORY_REGION (kvm_set_memory_region() is not exported
 * by newer kernels):
 *
 * - kthread_use_mm() on the VM's mm (kvm->mm, which KVM pins), with an
 *   mm_users reference taken only if the VMM is still alive;
 * - the ioctl's argument on one anonymous page mapped into that address
 *   space for the call (vm_mmap()) and unmapped after it: KVM copies it
 *   from user memory;
 * - the eventfds as descriptors of the worker's file table, which all
 *   kernel threads share (init's): installed close-on-exec for the call
 *   and closed after it, under keel_vm_ctx_lock. No kernel thread looks
 *   descriptors up by number; a usermode helper forked meanwhile gets a
 *   copy that its exec closes.
 *
 * Nothing of this touches the VMM's own descriptors or threads, and the
 * VMM can neither see nor use the page or the descriptors (the page is
 * fresh and gone when the worker returns; a racing mapping of the VMM's
 * own cannot take its place while it is mapped). KVM then owns the irqfd
 * exactly as if the VMM had made it: it lives until its eventfd file is
 * released (KVM detaches on EPOLLHUP) or the VM is destroyed.
 */
#include <linux/module.h>
#include <linux/file.h>
#include <linux/fdtable.h>
#include <linux/kthread.h>
#include <linux/kvm_host.h>
#include <linux/kvm_irqfd.h>
#include <linux/mman.h>
#include <linux/sched/mm.h>
#include <linux/workqueue.h>

#include "core.h"

/* Serialises Keel's use of the kernel threads' shared file table. */
static DEFINE_MUTEX(keel_vm_ctx_lock);

/* Calls in VMs' contexts and attached objects' reaping (attach.c). */
struct workqueue_struct *keel_vm_wq;

/**
 * keel_vm_mm_use() - adopt a VM's address space in a kernel thread
 * @kvm: the VM, referenced by the caller
 *
 * For one piece of work in the VMM's address space (guest memory through
 * the VMM's mapping of it), let go with keel_vm_mm_unuse(): a kernel
 * thread that holds it only while it works never keeps the address space
 * of a VMM that exited, so the VMM's attached objects are reaped.
 *
 * Context: a kernel thread with no address space adopted.
 *
 * Return: true; false when the VMM's address space is gone (KVM holds
 * only mm_count): the VMM is dead.
 */
bool keel_vm_mm_use(struct kvm *kvm)
{
	if (!mmget_not_zero(kvm->mm))
		return false;
	kthread_use_mm(kvm->mm);
	return true;
}
EXPORT_SYMBOL_GPL(keel_vm_mm_use);

/**
 * keel_vm_mm_unuse() - let go of what keel_vm_mm_use() adopted
 * @kvm: the VM
 *
 * Context: the kernel thread that adopted it.
 */
void keel_vm_mm_unuse(struct kvm *kvm)
{
	kthread_unuse_mm(kvm->mm);
	/* The VMM may have exited meanwhile: its teardown is not ours. */
	mmput_async(kvm->mm);
}
EXPORT_SYMBOL_GPL(keel_vm_mm_unuse);

struct keel_vm_call {
	struct work_struct work;
	struct completion done;
	struct kvm *kvm;
	int (*fn)(void *arg);
	void *arg;
	int ret;
};

static void keel_vm_call_work(struct work_struct *work)
{
	struct keel_vm_call *c = container_of(work, struct keel_vm_call, work);
	struct keel_vm_charge charge;

	if (!keel_vm_mm_use(c->kvm)) {
		c->ret = -ESRCH;
		goto out;
	}
	/* A kernel thread's allocations are charged to no one otherwise. */
	keel_vm_charge_begin(c->kvm, &charge);
	c->ret = c->fn(c->arg);
	keel_vm_charge_end(&charge);
	keel_vm_mm_unuse(c->kvm);
out:
	complete(&c->done);
}

/**
 * keel_vm_call() - run a function in a VM's address space
 * @kvm: the VM, referenced by the caller
 * @fn: the function: its return value is keel_vm_call()'s
 * @arg: its argument
 *
 * Calls @fn in the address space that created @kvm (its VMM's), from a
 * worker of Keel's workqueue that adopts it for the call
 * (kthread_use_mm()), while the caller waits; also when the caller is
 * the VMM: @fn never sees the VMM's descriptors or signals. There, user
 * memory is the VMM's: what KVM reads and writes through the VMM's
 * mapping of guest memory (kvm_read_guest()), and what KVM accepts only
 * from the VMM (its VM ioctls, 6.6's page-track notifier registration).
 * @fn runs in a kernel thread, not the VMM: it must not leave anything
 * behind in that address space. Its __GFP_ACCOUNT allocations are
 * charged to the VMM's memory cgroup (keel_vm_charge_begin()).
 *
 * Context: process context; sleeps.
 *
 * Return: @fn's, or -ESRCH when the VMM is exiting, -ENOMEM.
 */
int keel_vm_call(struct kvm *kvm, int (*fn)(void *arg), void *arg)
{
	struct keel_vm_call *c;
	int ret;

	c = kzalloc(sizeof(*c), GFP_KERNEL);
	if (!c)
		return -ENOMEM;
	INIT_WORK(&c->work, keel_vm_call_work);
	init_completion(&c->done);
	c->kvm = kvm;
	c->fn = fn;
	c->arg = arg;
	queue_work(keel_vm_wq, &c->work);
	wait_for_completion(&c->done);
	ret = c->ret;
	kfree(c);
	return ret;
}
EXPORT_SYMBOL_GPL(keel_vm_call);

struct keel_vm_irqfd_call {
	struct file *vm_file;
	struct file *trigger;
	struct file *resample;	/* NULL: edge */
	u32 gsi;
};

/* A close-on-exec descriptor of @file in the worker's file table. */
static int keel_vm_ctx_install(struct file *file)
{
	int fd = get_unused_fd_flags(O_CLOEXEC);

	if (fd >= 0)
		fd_install(fd, get_file(file));
	return fd;
}

/*
 * The VM ioctl @cmd on @vm_file with @karg (@size bytes) copied to a page
 * of the VMM's address space for the call; in that address space
 * (keel_vm_call()).
 */
static int keel_vm_ctx_ioctl(struct file *vm_file, unsigned int cmd,
			     const void *karg, size_t size)
{
	unsigned long uaddr;
	int ret;

	uaddr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, 0);
	if (IS_ERR_VALUE(uaddr))
		return (int)uaddr;
	if (copy_to_user((void __user *)uaddr, karg, size))
		ret = -EFAULT;
	else
		ret = vm_file->f_op->unlocked_ioctl(vm_file, cmd, uaddr);
	vm_munmap(uaddr, PAGE_SIZE);
	return ret;
}

/* KVM_IRQFD on @data's VM; in the VMM's address space (keel_vm_call()). */
static int keel_vm_ctx_irqfd(void *data)
{
	struct keel_vm_irqfd_call *c = data;
	struct kvm_irqfd karg = { .gsi = c->gsi }, *arg = &karg;
	int fd, rfd = -1;
	int ret;

	mutex_lock(&keel_vm_ctx_lock);
	fd = keel_vm_ctx_install(c->trigger);
	if (fd < 0) {
		ret = fd;
		goto unlock;
	}
	arg->fd = fd;
	if (c->resample) {
		rfd = keel_vm_ctx_install(c->resample);
		if (rfd < 0) {
			ret = rfd;
			goto close;
		}
		arg->flags |= KVM_IRQFD_FLAG_RESAMPLE;
		arg->resamplefd = rfd;
	}
	ret = keel_vm_ctx_ioctl(c->vm_file, KVM_IRQFD, arg, sizeof(*arg));
	if (rfd >= 0)
		close_fd(rfd);
close:
	close_fd(fd);
unlock:
	mutex_unlock(&keel_vm_ctx_lock);
	return ret;
}

/* Whether @kvm's interrupt routing has an entry for @gsi. */
static bool keel_vm_gsi_routed(struct kvm *kvm, u32 gsi)
{
	struct kvm_irq_routing_table *rt;
	bool routed;
	int idx;

	idx = srcu_read_lock(&kvm->irq_srcu);
	rt = srcu_dereference(kvm->irq_routing, &kvm->irq_srcu);
	routed = rt && gsi < rt->nr_rt_entries && !hlist_empty(&rt->map[gsi]);
	srcu_read_unlock(&kvm->irq_srcu, idx);
	return routed;
}

/* Another irqfd of @kvm on @gsi: the VMM's own device drives that line. */
static bool keel_vm_gsi_has_irqfd(struct kvm *kvm, u32 gsi)
{
	struct kvm_kernel_irqfd *irqfd;
	bool found = false;

	spin_lock_irq(&kvm->irqfds.lock);
	list_for_each_entry(irqfd, &kvm->irqfds.items, list) {
		if (irqfd->gsi == gsi) {
			found = true;
			break;
		}
	}
	spin_unlock_irq(&kvm->irqfds.lock);
	return found;
}

/**
 * keel_vm_file_get() - a VM fd of the caller, checked to be @kvm's
 * @kvm: the VM
 * @vm_fd: a descriptor of the calling process
 *
 * For calls that act with the VMM's own VM ioctls (keel_vm_ctx_memslot()).
 *
 * Context: process context.
 *
 * Return: the file, referenced (fput() it); ERR_PTR(-EBADF) when @vm_fd
 * is not open, ERR_PTR(-EINVAL) when it is not a VM fd of @kvm.
 */
struct file *keel_vm_file_get(struct kvm *kvm, int vm_fd)
{
	struct file *file = keel_vm_fget(vm_fd);

	if (!IS_ERR(file) && file->private_data != kvm) {
		fput(file);
		file = ERR_PTR(-EINVAL);
	}
	return file;
}
EXPORT_SYMBOL_GPL(keel_vm_file_get);

/**
 * keel_vm_irqfd_assign() - bind eventfds to a GSI of a VM, for its VMM
 * @kvm: the VM, referenced by the caller
 * @vm_fd: a VM fd of the calling process for @kvm (one the caller took
 *	from the VMM with pidfd_getfd(2), or its own)
 * @gsi: the GSI
 * @trigger: the eventfd file to bind
 * @resample: the resample eventfd file (level-triggered), or NULL (edge)
 *
 * Has KVM bind @trigger (and @resample) to @gsi as KVM_IRQFD would for
 * the VMM, from the VM's own context (see the top of this file), so that
 * signalling @trigger interrupts the guest. KVM keeps the irqfd until
 * @trigger's file is released or the VM is destroyed: the caller holds
 * the files for as long as the binding should last.
 *
 * Context: process context; sleeps until the VM's context ran the call.
 *
 * Return: 0; -EBADF when @vm_fd is not open; -EINVAL when it is not a VM
 * fd of @kvm, when the VM routes no interrupt on @gsi (no in-kernel
 * irqchip, a GSI out of range), or KVM refused the binding; -EBUSY when
 * another irqfd of the VM already drives @gsi (the VMM's own device) or
 * @trigger is already an irqfd of the VM; -ESRCH when the VMM is exiting;
 * -ENOMEM.
 */
int keel_vm_irqfd_assign(struct kvm *kvm, int vm_fd, u32 gsi,
			 struct file *trigger, struct file *resample)
{
	struct keel_vm_irqfd_call c;
	struct file *vm_file;
	int ret;

	vm_file = keel_vm_file_get(kvm, vm_fd);
	if (IS_ERR(vm_file))
		return PTR_ERR(vm_file);
	/* KVM would bind an unrouted GSI and never deliver it. */
	if (!keel_vm_gsi_routed(kvm, gsi)) {
		ret = -EINVAL;
		goto put_file;
	}
	if (keel_vm_gsi_has_irqfd(kvm, gsi)) {
		ret = -EBUSY;
		goto put_file;
	}
	c.vm_file = vm_file;
	c.trigger = trigger;
	c.resample = resample;
	c.gsi = gsi;
	ret = keel_vm_call(kvm, keel_vm_ctx_irqfd, &c);
put_file:
	fput(vm_file);
	return ret;
}
EXPORT_SYMBOL_GPL(keel_vm_irqfd_assign);

/**
 * keel_vm_free_slots() - memslot numbers a VM does not use
 * @kvm: the VM
 * @slots: out: @n slot numbers of address space 0, highest first
 * @n: how many
 *
 * The highest numbers KVM allows a VMM that are free: a VMM numbers its
 * memslots from 0 up (QEMU takes the lowest free one), so these are the
 * last it would take. Free when this returns: the caller adds its slots
 * before the VMM would reach them, which only a VMM with tens of thousands
 * of memslots could.
 *
 * Context: process context; takes @kvm's slots_lock.
 *
 * Return: 0, or -ENOSPC.
 */
int keel_vm_free_slots(struct kvm *kvm, u32 *slots, unsigned int n)
{
	unsigned int found = 0;
	int id;

	mutex_lock(&kvm->slots_lock);
	for (id = KVM_USER_MEM_SLOTS - 1; id >= 0 && found < n; id--)
		if (!id_to_memslot(__kvm_memslots(kvm, 0), id))
			slots[found++] = id;
	mutex_unlock(&kvm->slots_lock);
	return found == n ? 0 : -ENOSPC;
}
EXPORT_SYMBOL_GPL(keel_vm_free_slots);

/**
 * keel_vm_ctx_memslot() - add or delete a memslot as the VMM would
 * @vm_file: the VM's file (keel_vm_file_get())
 * @slot: its number, in address space 0 (keel_vm_free_slots())
 * @gpa: its first guest-physical byte
 * @size: its bytes; 0 deletes the slot
 * @hva: the VMM's address of its memory
 *
 * KVM_SET_USER_MEMORY_REGION, issued in the VM's own context: call it
 * from a function that keel_vm_call() runs. KVM checks everything as for
 * the VMM: an overlap with another memslot is -EEXIST, an address it
 * cannot map -EINVAL.
 *
 * Context: in the VM's context (keel_vm_call()); sleeps.
 *
 * Return: 0 or KVM's error.
 */
int keel_vm_ctx_memslot(struct file *vm_file, u32 slot, u64 gpa, u64 size,
			u64 hva)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = hva,
	};

	return keel_vm_ctx_ioctl(vm_file, KVM_SET_USER_MEMORY_REGION, &r,
				 sizeof(r));
}
EXPORT_SYMBOL_GPL(keel_vm_ctx_memslot);

int keel_vm_ctx_init(void)
{
	keel_vm_wq = alloc_workqueue("keel_vm", WQ_UNBOUND, 0);
	return keel_vm_wq ? 0 : -ENOMEM;
}

/* Nothing is attached any more (attached objects pin the modules). */
void keel_vm_ctx_exit(void)
{
	destroy_workqueue(keel_vm_wq);
}
