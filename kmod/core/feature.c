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
	mutex_init(&inst->setup_lock);
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

int keel_inst_setup_begin(struct keel_inst *inst, const char *label,
			  size_t label_len)
{
	struct keel_feature *f = inst->feature;

	if (!keel_label_valid(label, label_len))
		return -EINVAL;
	mutex_lock(&inst->setup_lock);
	if (inst->set_up) {
		mutex_unlock(&inst->setup_lock);
		return -EBUSY;
	}
	keel_object_init(&inst->obj, &f->part, f->type, NULL);
	strscpy(inst->obj.label, label,
		min_t(size_t, label_len, sizeof(inst->obj.label)));
	if (f->ops.state)
		keel_inst_set_state(inst, f->ops.state);
	return 0;
}
EXPORT_SYMBOL_GPL(keel_inst_setup_begin);

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

int keel_inst_bind_vm(struct keel_inst *inst, int vm_fd)
{
	struct kvm *kvm;

	lockdep_assert_held(&inst->setup_lock);
	if (WARN_ON(inst->kvm))
		return -EBUSY;
	kvm = keel_vm_get(vm_fd);
	if (IS_ERR(kvm))
		return PTR_ERR(kvm);
	inst->kvm = kvm;
	inst->obj.kvm = kvm;
	return 0;
}
EXPORT_SYMBOL_GPL(keel_inst_bind_vm);

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
static long keel_inst_core_ioctl(struct keel_inst *inst, unsigned int cmd,
				 void __user *uarg)
{
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
	ret = keel_inst_core_ioctl(inst, cmd, uarg);
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

void keel_feature_unregister(struct keel_feature *f)
{
	misc_deregister(&f->misc);
	keel_part_unregister(&f->part);
}
EXPORT_SYMBOL_GPL(keel_feature_unregister);
