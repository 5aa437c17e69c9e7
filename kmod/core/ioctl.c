// SPDX-License-Identifier: GPL-2.0
/*
 * Copying extensible ioctl arguments: structs that start with their own
 * size, so that they can grow without new ioctl numbers, and a flags word
 * whose unknown bits are refused.
 */
#include <linux/module.h>
#include <linux/uaccess.h>
#include <linux/ioctl.h>

#include "core.h"

/**
 * keel_copy_ioctl_arg() - copy an extensible ioctl argument
 * @kdst: the kernel's copy, @ksize bytes
 * @ksize: the kernel's struct size
 * @min_size: the size of the struct's first version
 * @flags_all: the flag bits this kernel knows
 * @cmd: the ioctl number (its size is the most the struct may claim)
 * @uarg: the user's struct, which starts "__u32 size; __u32 flags;"
 *
 * Copies the struct as copy_struct_from_user() does: an older, smaller
 * one is zero-extended, a newer, larger one is accepted only if the bytes
 * this kernel does not know are zero.
 *
 * Context: process context; may sleep (faults on user memory).
 *
 * Return: 0, -EFAULT, -EINVAL (size below @min_size or above the ioctl's
 * encoded size, or a flag outside @flags_all) or -E2BIG (unknown trailing
 * bytes not zero).
 */
int keel_copy_ioctl_arg(void *kdst, size_t ksize, size_t min_size,
			u32 flags_all, unsigned int cmd,
			const void __user *uarg)
{
	u32 usize, flags;
	int ret;

	if (get_user(usize, (const u32 __user *)uarg))
		return -EFAULT;

	/* The struct may not claim more than the ioctl number promised. */
	if (usize < min_size || usize > _IOC_SIZE(cmd))
		return -EINVAL;

	ret = copy_struct_from_user(kdst, ksize, uarg, usize);
	if (ret)
		return ret;
	/* Every Keel argument struct: "__u32 size; __u32 flags;" first. */
	memcpy(&flags, kdst + sizeof(u32), sizeof(flags));
	return flags & ~flags_all ? -EINVAL : 0;
}
EXPORT_SYMBOL_GPL(keel_copy_ioctl_arg);
