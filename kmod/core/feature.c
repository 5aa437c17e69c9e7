// SPDX-License-Identifier: GPL-2.0
/*
 * The feature-instance base (include/keel/feature.h): a feature module's
 * misc device and part, and the open, setup, ioctl and release of each
 * of its instances.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/poll.h>
#include <linux/mm.h>

#include "core.h"

static bool keel_feature_get(struct keel_feature *f)
{
	return f->owner == THIS_MODULE || try_module_get(f->owner);
}

static void keel_feature_put(struct module *owner)
{
	if (owner != THIS_MODULE)
		module_put(owner);
}

static void *keel_inst_base(struct keel_inst *inst)
{
	return (void *)inst - inst->feature->ops.inst_offset;
}

static int keel_inst_open(struct inode *inode, struct file *file)
{
	/* misc_open() left our struct miscdevice here. */
	struct miscdevice *misc = file->private_data;
	struct keel_feature *f = container_of(misc, struct keel_feature, misc);
	const struct keel_feature_ops *ops = &f->ops;
	struct keel_inst *inst;
	void *p;
	int ret;

	/*
	 * Held by the open file: the module outlives its instances. (The
	 * file already holds keel.ko, the owner of its file operations.)
	 */
	if (!keel_feature_get(f))
		return -ENODEV;
	ret = -ENOMEM;
	p = kzalloc(ops->size, GFP_KERNEL_ACCOUNT);
	if (!p)
		goto put;
	inst = p + ops->inst_offset;
	inst->feature = f;
	inst->file = file;
	mutex_init(&inst->setup_lock);
	INIT_LIST_HEAD(&inst->attach_node);
	if (ops->open) {
		ret = ops->open(inst);
		if (ret) {
			mutex_destroy(&inst->setup_lock);
			kfree(p);
			goto put;
		}
	}
	file->private_data = inst;
	return nonseekable_open(inode, file);
put:
	keel_feature_put(f->owner);
	return ret;
}

/* Undo a setup: the module's build, the state and the VM reference. */
static void keel_inst_teardown(struct keel_inst *inst)
{
	const struct keel_feature_ops *ops = &inst->feature->ops;

	if (ops->teardown)
		ops->teardown(inst);
	if (inst->obj.state)
		keel_state_destroy(&inst->state);
	if (inst->kvm) {
		keel_vm_put(inst->kvm);
		inst->kvm = NULL;
	}
}

/* Runs when the last reference to the file is gone. */
static int keel_inst_release(struct inode *inode, struct file *file)
{
	struct keel_inst *inst = keel_inst_of(file);
	const struct keel_feature_ops *ops = &inst->feature->ops;
	struct module *owner = inst->feature->owner;

	if (inst->set_up) {
		/* First out of the registry; waits for netlink readers. */
		keel_object_del(&inst->obj);
		keel_inst_teardown(inst);
	}
	if (ops->release)
		ops->release(inst);
	mutex_destroy(&inst->setup_lock);
	kfree(keel_inst_base(inst));
	/* Nothing of the module is used after this. */
	keel_feature_put(owner);
	return 0;
}

/* The module's data path, if it has one, as the VFS would without it. */
static ssize_t keel_inst_read(struct file *file, char __user *buf,
			      size_t count, loff_t *ppos)
{
	const struct file_operations *fops = keel_inst_of(file)->feature->fops;

	if (!fops || !fops->read)
		return -EINVAL;
	return fops->read(file, buf, count, ppos);
}

static ssize_t keel_inst_write(struct file *file, const char __user *buf,
			       size_t count, loff_t *ppos)
{
	const struct file_operations *fops = keel_inst_of(file)->feature->fops;

	if (!fops || !fops->write)
		return -EINVAL;
	return fops->write(file, buf, count, ppos);
}

static __poll_t keel_inst_poll(struct file *file, poll_table *wait)
{
	const struct file_operations *fops = keel_inst_of(file)->feature->fops;

	if (!fops || !fops->poll)
		return DEFAULT_POLLMASK;
	return fops->poll(file, wait);
}

static int keel_inst_mmap(struct file *file, struct vm_area_struct *vma)
{
	const struct file_operations *fops = keel_inst_of(file)->feature->fops;

	if (!fops || !fops->mmap)
		return -ENODEV;
	return fops->mmap(file, vma);
}

/*
 * Setup, step 1, both ways: checks @label, takes the setup lock, takes a
 * reference to the VM of *@vm_fd when @vm_fd is given, and initialises
 * the object with @label and the VM, and the state when the feature has
 * one. The errors in that order; on one, nothing changed and the lock is
 * not held.
 */
static int keel_inst_setup_start(struct keel_inst *inst, const char *label,
				 size_t label_len, const int *vm_fd)
{
	struct keel_feature *f = inst->feature;
	struct kvm *kvm = NULL;

	label_len = min_t(size_t, label_len, sizeof(inst->obj.label));
	if (!keel_label_valid(label, label_len))
		return -EINVAL;
	mutex_lock(&inst->setup_lock);
	if (inst->set_up) {
		mutex_unlock(&inst->setup_lock);
		return -EBUSY;
	}
	if (vm_fd) {
		kvm = keel_vm_get(*vm_fd);
		if (IS_ERR(kvm)) {
			mutex_unlock(&inst->setup_lock);
			return PTR_ERR(kvm);
		}
	}
	keel_object_init(&inst->obj, &f->part, f->type, kvm);
	strscpy(inst->obj.label, label, label_len);
	inst->kvm = kvm;
	if (f->ops.state)
		keel_inst_set_state(inst, f->ops.state);
	return 0;
}

/**
 * keel_inst_setup_begin() - setup, step 1: take the setup lock
 * @inst: the instance, from the module's setup ioctl
 * @label: the object's label from the ioctl's argument
 * @label_len: bytes of @label
 *
 * For an instance without a VM; keel_inst_setup_begin_vm() binds one.
 * Called once the module checked the rest of the ioctl's argument. On
 * success the setup lock is held, the object is initialised with @label
 * (cut to fit &keel_object.label; no VM), and the state too when
 * &keel_feature_ops.state is set; the module then builds its instance and
 * must call keel_inst_setup_end(), whatever happens. On failure nothing
 * changed and the lock is not held.
 *
 * Context: process context; sleeps (the setup lock, a mutex).
 *
 * Return: 0; -EINVAL when @label is not printable ASCII NUL-terminated
 * within @label_len bytes; -EBUSY when the instance is already set up.
 */
int keel_inst_setup_begin(struct keel_inst *inst, const char *label,
			  size_t label_len)
{
	return keel_inst_setup_start(inst, label, label_len, NULL);
}
EXPORT_SYMBOL_GPL(keel_inst_setup_begin);

/**
 * keel_inst_setup_begin_vm() - setup, step 1, for an instance of a VM
 * @inst: the instance, from the module's setup ioctl
 * @label: the object's label from the ioctl's argument
 * @label_len: bytes of @label
 * @vm_fd: a KVM VM fd of the calling process, from the same argument
 *
 * As keel_inst_setup_begin(), and binds the instance to the VM of @vm_fd:
 * a counted reference (keel_vm_get()) for the instance and its object
 * (&keel_inst.kvm, &keel_object.kvm), which teardown drops after
 * &keel_feature_ops.teardown. On failure nothing changed, the lock is not
 * held and teardown does not run: the module initialises its instance
 * after this call and before any step that can fail.
 *
 * Context: process context; sleeps (the setup lock, a mutex).
 *
 * Return: 0; -EINVAL when @label is not valid (as keel_inst_setup_begin());
 * -EBUSY when the instance is already set up; -EBADF when @vm_fd is not
 * open, -EINVAL when it is not a KVM VM fd. The first that applies, in
 * that order.
 */
int keel_inst_setup_begin_vm(struct keel_inst *inst, const char *label,
			     size_t label_len, int vm_fd)
{
	return keel_inst_setup_start(inst, label, label_len, &vm_fd);
}
EXPORT_SYMBOL_GPL(keel_inst_setup_begin_vm);

/**
 * keel_inst_set_state() - give an instance state during setup
 * @inst: the instance, in setup
 * @ops: its state ops
 *
 * For a feature whose instances differ in their state ops (and whose
 * &keel_feature_ops.state is NULL). The state starts STOPPED and is
 * destroyed on teardown. Warns and does nothing if the instance already
 * has state.
 *
 * Context: process context, between keel_inst_setup_begin() and
 * keel_inst_setup_end() (the setup lock held).
 */
void keel_inst_set_state(struct keel_inst *inst,
			 const struct keel_state_ops *ops)
{
	lockdep_assert_held(&inst->setup_lock);
	if (WARN_ON(inst->obj.state))
		return;
	keel_state_init(&inst->state, ops);
	inst->obj.state = &inst->state;
}
EXPORT_SYMBOL_GPL(keel_inst_set_state);

/**
 * keel_inst_setup_end() - setup, step 2: publish the instance or undo it
 * @inst: the instance, in setup
 * @err: 0 when the module's build succeeded, else its negative errno
 * @uid: where the ioctl returns the object's id to the user, or NULL
 *
 * With @err 0 adds the object to the registry, writes its id to @uid and
 * marks the instance set up (keel_inst_ready()). On @err, or on a failure
 * here, &keel_feature_ops.teardown undoes the build (also a partial one),
 * the state is destroyed and the VM reference dropped, and nothing stays
 * registered: the instance may be set up again. Drops the setup lock in
 * every case.
 *
 * Context: process context, after a successful keel_inst_setup_begin()
 * (the setup lock held); sleeps.
 *
 * Return: the outcome: 0, @err, the error of keel_object_add() (-ENOMEM,
 * -EBUSY when no id is free), or -EFAULT when @uid cannot be written (the
 * object was added and removed again, with its OBJ_NEW and OBJ_DEL
 * notifications).
 */
int keel_inst_setup_end(struct keel_inst *inst, int err, u32 __user *uid)
{
	lockdep_assert_held(&inst->setup_lock);

	if (!err)
		err = keel_object_add(&inst->obj);
	if (!err && uid && put_user(inst->obj.id, uid)) {
		keel_object_del(&inst->obj);
		err = -EFAULT;
	}
	if (err) {
		keel_inst_teardown(inst);
	} else {
		/* Pairs with keel_inst_ready(): a complete instance. */
		smp_store_release(&inst->set_up, true);
	}
	mutex_unlock(&inst->setup_lock);
	return err;
}
EXPORT_SYMBOL_GPL(keel_inst_setup_end);

/*
 * @cmd is @ref: the same type, number and direction. The size is not
 * compared for an extensible struct (the handler checks it); an ioctl
 * without an argument must match exactly.
 */
static bool keel_ioc_is(unsigned int cmd, unsigned int ref)
{
	if (!_IOC_SIZE(ref))
		return cmd == ref;
	return _IOC_TYPE(cmd) == _IOC_TYPE(ref) &&
	       _IOC_NR(cmd) == _IOC_NR(ref) && _IOC_DIR(cmd) == _IOC_DIR(ref);
}

/* The core's numbers; -ENOIOCTLCMD for the module's. */
static long keel_inst_core_ioctl(struct keel_inst *inst, struct file *file,
				 unsigned int cmd, void __user *uarg)
{
	if (cmd == KEEL_IOC_ATTACH)
		return keel_inst_attach(inst, file);
	if (keel_ioc_is(cmd, KEEL_IOC_OBJ_OPEN))
		return keel_obj_open_ioctl(cmd, uarg);
	if (!keel_state_ioctl_nr(cmd))
		return -ENOIOCTLCMD;
	if (!keel_inst_ready(inst))
		return -EBADFD;
	if (!inst->obj.state)
		return -ENOTTY;
	return keel_state_ioctl(&inst->state, cmd, uarg);
}

static long keel_inst_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct keel_inst *inst = keel_inst_of(file);
	const struct keel_feature_ops *ops = &inst->feature->ops;
	void __user *uarg = (void __user *)arg;
	const struct keel_ioctl *ioc;
	long ret;

	if (_IOC_TYPE(cmd) != KEEL_IOC_MAGIC)
		return -ENOTTY;
	ret = keel_inst_core_ioctl(inst, file, cmd, uarg);
	if (ret != -ENOIOCTLCMD)
		return ret;

	for (ioc = ops->ioctls; ioc < ops->ioctls + ops->nr_ioctls; ioc++) {
		if (!keel_ioc_is(cmd, ioc->cmd))
			continue;
		if (!(ioc->flags & KEEL_IOCTL_SETUP) && !keel_inst_ready(inst))
			return -EBADFD;
		return ioc->fn(inst, cmd, uarg);
	}
	return -ENOTTY;
}

/* Every feature device's file operations; instances hold the module. */
static const struct file_operations keel_feature_fops = {
	.owner = THIS_MODULE,
	.open = keel_inst_open,
	.release = keel_inst_release,
	.unlocked_ioctl = keel_inst_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.read = keel_inst_read,
	.write = keel_inst_write,
	.poll = keel_inst_poll,
	.mmap = keel_inst_mmap,
};

/**
 * keel_feature_register() - register a feature module's part and device
 * @f: the feature, filled in by the module; it stays in use until
 *	keel_feature_unregister()
 *
 * Registers the part (keel_part_register()), then the misc device
 * /dev/<devname> whose open files are the feature's instances, run by the
 * core's file operations. Every open file holds a reference on
 * &keel_feature.owner, so the module cannot be unloaded while an instance
 * exists.
 *
 * Context: process context, normally module init; sleeps.
 *
 * Return: 0; -EINVAL when &keel_feature_ops.size, &keel_feature.type or
 * &keel_feature.owner is missing (with a warning) or the name is not a
 * valid part name; -EEXIST when a part of that name is loaded; or the
 * error of misc_register() (-EBUSY when the device name is taken, ...).
 */
int keel_feature_register(struct keel_feature *f)
{
	int ret;

	if (WARN_ON(!f->ops.size || !f->type || !f->owner))
		return -EINVAL;

	f->types[0] = f->type;
	f->types[1] = NULL;
	f->part.name = f->name;
	f->part.owner = f->owner;
	f->part.types = f->types;
	ret = keel_part_register(&f->part);
	if (ret)
		return ret;

	f->misc.minor = MISC_DYNAMIC_MINOR;
	f->misc.name = f->devname;
	f->misc.fops = &keel_feature_fops;
	f->misc.mode = f->mode ?: 0600;
	ret = misc_register(&f->misc);
	if (ret)
		keel_part_unregister(&f->part);
	return ret;
}
EXPORT_SYMBOL_GPL(keel_feature_register);

/**
 * keel_feature_unregister() - undo keel_feature_register()
 * @f: the feature
 *
 * Removes the device, then the part. No instance can exist: each pins the
 * module.
 *
 * Context: process context, normally module exit; sleeps.
 */
void keel_feature_unregister(struct keel_feature *f)
{
	misc_deregister(&f->misc);
	keel_part_unregister(&f->part);
}
EXPORT_SYMBOL_GPL(keel_feature_unregister);
