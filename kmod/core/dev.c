// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/keel: each open file may bind one KVM VM, keeping a counted
 * reference to it until the file is released. A binding is listed as an
 * object of type "vm", so operators see which VMs Keel holds and who
 * created them.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/mutex.h>
#include <linux/kvm_host.h>

#include "core.h"

/* The first (and so far only) layout of struct keel_vm_bind. */
#define KEEL_VM_BIND_SIZE_VER0	48

struct keel_binding {
	struct keel_object obj;
	/* Serialises bind against itself; obj.kvm is set once under it. */
	struct mutex lock;
	bool bound;
};

static int keel_vm_fill_info(struct sk_buff *skb, struct keel_object *obj)
{
	struct kvm *kvm = obj->kvm;

	if (nla_put_u32(skb, KEEL_VM_INFO_A_VCPUS,
			READ_ONCE(kvm->created_vcpus)) ||
	    nla_put_u8(skb, KEEL_VM_INFO_A_DEAD,
		       refcount_read(&kvm->users_count) == 1))
		return -EMSGSIZE;
	return 0;
}

static const struct keel_object_type keel_vm_type = {
	.name = "vm",
	.part = &keel_core_part,
	.fill_info = keel_vm_fill_info,
};

static int keel_dev_open(struct inode *inode, struct file *file)
{
	struct keel_binding *b;

	b = kzalloc(sizeof(*b), GFP_KERNEL_ACCOUNT);
	if (!b)
		return -ENOMEM;
	mutex_init(&b->lock);
	file->private_data = b;
	return nonseekable_open(inode, file);
}

static int keel_dev_release(struct inode *inode, struct file *file)
{
	struct keel_binding *b = file->private_data;

	if (b->bound) {
		keel_object_del(&b->obj);
		keel_vm_put(b->obj.kvm);
	}
	mutex_destroy(&b->lock);
	kfree(b);
	return 0;
}

static long keel_dev_bind(struct keel_binding *b, unsigned int cmd,
			  struct keel_vm_bind __user *uarg)
{
	struct keel_vm_bind arg;
	struct kvm *kvm;
	int ret;

	BUILD_BUG_ON(sizeof(arg) != KEEL_VM_BIND_SIZE_VER0);

	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), KEEL_VM_BIND_SIZE_VER0,
				  cmd, uarg);
	if (ret)
		return ret;
	if (arg.flags & ~KEEL_VM_BIND_FLAGS_ALL)
		return -EINVAL;
	if (!keel_label_valid(arg.label, sizeof(arg.label)))
		return -EINVAL;

	mutex_lock(&b->lock);
	if (b->bound) {
		ret = -EBUSY;
		goto out;
	}

	kvm = keel_vm_get(arg.vm_fd);
	if (IS_ERR(kvm)) {
		ret = PTR_ERR(kvm);
		goto out;
	}

	keel_object_init(&b->obj, &keel_vm_type, kvm);
	strscpy(b->obj.label, arg.label, sizeof(b->obj.label));
	ret = keel_object_add(&b->obj);
	if (ret)
		goto put_vm;

	if (put_user(b->obj.id, &uarg->id)) {
		ret = -EFAULT;
		goto del;
	}
	b->bound = true;
	mutex_unlock(&b->lock);
	return 0;

del:
	keel_object_del(&b->obj);
put_vm:
	keel_vm_put(kvm);
out:
	mutex_unlock(&b->lock);
	return ret;
}

static long keel_dev_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct keel_binding *b = file->private_data;

	/* Match on number, not size: extensible structs may have grown. */
	if (_IOC_TYPE(cmd) != KEEL_IOC_MAGIC)
		return -ENOTTY;

	switch (_IOC_NR(cmd)) {
	case _IOC_NR(KEEL_IOC_VM_BIND):
		if (_IOC_DIR(cmd) != _IOC_DIR(KEEL_IOC_VM_BIND))
			return -ENOTTY;
		return keel_dev_bind(b, cmd, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations keel_dev_fops = {
	.owner = THIS_MODULE,
	.open = keel_dev_open,
	.release = keel_dev_release,
	.unlocked_ioctl = keel_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice keel_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "keel",
	.fops = &keel_dev_fops,
	.mode = 0600,
};

int keel_dev_init(void)
{
	return misc_register(&keel_miscdev);
}

void keel_dev_exit(void)
{
	misc_deregister(&keel_miscdev);
}
