// SPDX-License-Identifier: GPL-2.0
/*
 * Objects attached to their VM (API 4): KEEL_IOC_ATTACH on a set-up
 * object's own file, KEEL_IOC_OBJ_OPEN for a new descriptor of an
 * attached object's file, and KEEL_CMD_OBJ_DETACH over netlink.
 */
#include <errno.h>
#include <sys/ioctl.h>

#include "internal.h"

int keel_obj_detach(struct keel_sock *s, uint32_t id)
{
	struct nlmsghdr *nlh;

	nlh = keel_msg_start(s, KEEL_CMD_OBJ_DETACH, NLM_F_ACK);
	mnl_attr_put_u32(nlh, KEEL_A_OBJ_ID, id);
	return keel_request(s, nlh, NULL, NULL);
}

int keel_obj_attach(int obj_fd)
{
	return ioctl(obj_fd, KEEL_IOC_ATTACH) ? -errno : 0;
}

int keel_obj_open(int keel_fd, uint32_t id)
{
	struct keel_obj_open arg = {
		.size = sizeof(arg),
		.id = id,
		.fd = -1,
	};

	if (ioctl(keel_fd, KEEL_IOC_OBJ_OPEN, &arg))
		return -errno;
	return arg.fd;
}
