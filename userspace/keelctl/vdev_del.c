// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl vdev del: remove a device "vdev add" attached to its VM, by
 * KEEL_CMD_OBJ_DETACH: the kernel lets go of its file and the device goes
 * with it (unless a console still has it open: then when that ends).
 * The id must be a vdev's; a device its VMM created itself is not
 * attached, and only that VMM removes it.
 */
#include <errno.h>
#include <string.h>

#include "keelctl.h"

#define OP "vdev del"

int vdev_del(struct keelctl *k, uint32_t id)
{
	struct keel_obj o;
	int rc, ret;

	rc = keelctl_connect(k);
	if (rc)
		return rc;
	if (keel_obj_get(k->sock, id, &o))
		return keelctl_fail(OP, keel_last_error(k->sock));
	if (!o.type || strcmp(o.type, "vdev")) {
		fprintf(stderr, "keelctl: " OP ": object %u is a %s, not a vdev\n",
			id, fmt_str(o.type));
		keel_obj_free(&o);
		return KEELCTL_EXIT_FAIL;
	}
	keel_obj_free(&o);

	ret = keel_obj_detach(k->sock, id);
	if (ret == -ENOLINK) {
		fprintf(stderr, "keelctl: " OP ": device %u is not attached: it belongs to the VMM that created it\n",
			id);
		return KEELCTL_EXIT_FAIL;
	}
	if (ret == -EOPNOTSUPP) {
		fprintf(stderr, "keelctl: " OP ": this Keel cannot detach objects (obj-detach is uapi version 4)\n");
		return KEELCTL_EXIT_FAIL;
	}
	if (ret)
		return keelctl_fail(OP, keel_last_error(k->sock));
	return KEELCTL_EXIT_OK;
}
