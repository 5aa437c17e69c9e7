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
