// SPDX-License-Identifier: GPL-2.0
/*
 * keel_guest.ko, loaded in a Linux guest of a Keel host: /dev/keel-guest
 * gives a process views of the windows Keel placed beside a mirrored
 * range (uapi/linux/keel_guest.h, Documentation/bt.rst). The module's
 * parameters are the windows' guest-physical offsets, as the host's
 * keelctl mirror add --alias-off and --mirror-off placed them.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/processor.h>

#include <linux/keel_guest.h>
#include "guest.h"

unsigned long keel_guest_alias_off;
module_param_named(alias_off, keel_guest_alias_off, ulong, 0444);
MODULE_PARM_DESC(alias_off, "guest-physical offset of the alias window (keelctl mirror add --alias-off)");

unsigned long keel_guest_mirror_off;
module_param_named(mirror_off, keel_guest_mirror_off, ulong, 0444);
MODULE_PARM_DESC(mirror_off, "guest-physical offset of the mirror window (keelctl mirror add --mirror-off)");

static int keel_guest_open(struct inode *inode, struct file *file)
{
	struct keel_guest_file *f;

	/* The views reach guest-physical memory, as /dev/mem does. */
	if (!capable(CAP_SYS_RAWIO))
		return -EPERM;
	f = kzalloc(sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	mutex_init(&f->lock);
	file->private_data = f;
	return 0;
}

/* The last reference: no view is left (each holds the file). */
static int keel_guest_release(struct inode *inode, struct file *file)
{
	struct keel_guest_file *f = file->private_data;

	keel_guest_unpin(f);
	mutex_destroy(&f->lock);
	kfree(f);
	return 0;
}

/**
 * keel_guest_copy_arg() - copy an ioctl's struct that starts with its size
 * @dst: the module's copy, @size bytes
 * @size: the struct's size, which the caller's must reach
 * @uarg: the caller's struct, "__u32 size; __u32 flags;" first
 * @cmd: the ioctl, whose number bounds the size the caller may claim
 *
 * As copy_struct_from_user(): a larger struct's bytes past @size must be
 * zero. keel_guest.ko runs without keel.ko, whose keel_copy_ioctl_arg()
 * the host's modules use.
 *
 * Return: 0, -EFAULT, -EINVAL (a size below @size or above the ioctl's),
 * -E2BIG (unknown bytes not zero).
 */
int keel_guest_copy_arg(void *dst, size_t size, const void __user *uarg,
			unsigned int cmd)
{
	u32 usize;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (usize < size || usize > _IOC_SIZE(cmd))
		return -EINVAL;
	return copy_struct_from_user(dst, size, uarg, usize);
}

static long keel_guest_ioctl(struct file *file, unsigned int cmd,
			     unsigned long arg)
{
	switch (cmd) {
	case KEEL_GUEST_IOC_PIN:
		return keel_guest_pin(file->private_data,
				      (const void __user *)arg);
	case KEEL_GUEST_IOC_ROOT:
		return keel_guest_root((void __user *)arg);
	}
	return -ENOTTY;
}

static const struct file_operations keel_guest_fops = {
	.owner = THIS_MODULE,
	.open = keel_guest_open,
	.release = keel_guest_release,
	.unlocked_ioctl = keel_guest_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = keel_guest_mmap,
	.llseek = noop_llseek,
};

static struct miscdevice keel_guest_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "keel-guest",
	.fops = &keel_guest_fops,
	.mode = 0600,
};

/* An offset: page aligned, and a window below the physical address limit. */
static bool keel_guest_off_ok(unsigned long off)
{
	return PAGE_ALIGNED(off) &&
	       (boot_cpu_data.x86_phys_bits >= 64 ||
		off < (1ULL << boot_cpu_data.x86_phys_bits));
}

static int __init keel_guest_init(void)
{
	unsigned long a = keel_guest_alias_off, m = keel_guest_mirror_off;

	/* None set: loaded, but nothing pins (ENXIO). Both, or an error. */
	if ((a || m) && (!a || !m || a == m || !keel_guest_off_ok(a) ||
			 !keel_guest_off_ok(m))) {
		pr_err("keel_guest: alias_off and mirror_off must both be set, differ and be page aligned below the physical address limit\n");
		return -EINVAL;
	}
	return misc_register(&keel_guest_misc);
}

static void __exit keel_guest_exit(void)
{
	misc_deregister(&keel_guest_misc);
}

module_init(keel_guest_init);
module_exit(keel_guest_exit);

MODULE_DESCRIPTION("Keel guest side: a process's views of Keel's mirror windows");
MODULE_AUTHOR("The Keel developers");
MODULE_LICENSE("GPL");
MODULE_VERSION(KEEL_RELEASE);
