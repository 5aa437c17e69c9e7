// SPDX-License-Identifier: GPL-2.0
/*
 * KEEL_IOC_OBJ_OPEN: a descriptor of an attached object's file for its
 * owner, so that an object whose creator has gone (attach.c) can still be
 * reached on its data path: a UART's console, as `keelctl vdev console`
 * or `virsh console` show it. The new descriptor is the same open file
 * the core holds (as dup() would give), close-on-exec.
 */
#include <linux/capability.h>
#include <linux/file.h>
#include <linux/uaccess.h>

#include "core.h"

/* The first (and so far only) layout of struct keel_obj_open. */
#define KEEL_OBJ_OPEN_SIZE_VER0	16

struct keel_obj_open_call {
	struct file *file;
};

/* Its owner or CAP_SYS_ADMIN; anyone else sees no such object. */
static int keel_obj_open_get(struct keel_object *obj, void *arg)
{
	struct keel_obj_open_call *c = arg;

	if (!keel_obj_is_callers(obj) && !capable(CAP_SYS_ADMIN))
		return -ENOENT;
	c->file = keel_obj_attached_file(obj);
	return c->file ? 0 : -ENOLINK;
}

/*
 * Return: 0 with the descriptor in the argument's @fd; -ENOENT when there
 * is no such object or it is not the caller's; -ENOLINK when it is not
 * attached; -EMFILE; -EFAULT; -EINVAL for unknown flags.
 */
long keel_obj_open_ioctl(unsigned int cmd, void __user *uarg)
{
	struct keel_obj_open __user *uopen = uarg;
	struct keel_obj_open_call c = {};
	struct keel_obj_open arg;
	int fd, ret;

	BUILD_BUG_ON(sizeof(arg) != KEEL_OBJ_OPEN_SIZE_VER0);

	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), KEEL_OBJ_OPEN_SIZE_VER0,
				  KEEL_OBJ_OPEN_FLAGS_ALL, cmd, uarg);
	if (ret)
		return ret;
	ret = keel_object_call(arg.id, keel_obj_open_get, &c);
	if (ret)
		return ret;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		fput(c.file);
		return fd;
	}
	/* Nothing is installed unless the caller learns its number. */
	if (put_user(fd, &uopen->fd)) {
		put_unused_fd(fd);
		fput(c.file);
		return -EFAULT;
	}
	fd_install(fd, c.file);
	return 0;
}
