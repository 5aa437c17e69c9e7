// SPDX-License-Identifier: GPL-2.0
/*
 * "keelctl TYPE del ID" for objects an add command attached to their VM
 * (vdev, coalesce): KEEL_CMD_OBJ_DETACH, after checking that the id is
 * of that type. The kernel lets go of the object's file and the object
 * goes with it (unless another descriptor of it is still open: then when
 * that closes). An object its VMM created itself is not attached, and
 * only that VMM removes it.
 */
#include <errno.h>

#include "keelctl.h"

int keelctl_obj_del(struct keelctl *k, uint32_t id, const char *type,
		    const char *noun)
{
	struct keel_obj o;
	char op[64];
	int rc, ret;

	snprintf(op, sizeof(op), "%s del", type);
	rc = keelctl_obj_get(k, id, type, op, &o);
	if (rc >= 0)
		return rc;
	keel_obj_free(&o);

	ret = keel_obj_detach(k->sock, id);
	if (ret == -ENOLINK) {
		fprintf(stderr, "keelctl: %s: %s %u is not attached: it belongs to the VMM that created it\n",
			op, noun, id);
		return KEELCTL_EXIT_FAIL;
	}
	if (ret == -EOPNOTSUPP) {
		fprintf(stderr, "keelctl: %s: this Keel cannot detach objects (obj-detach is uapi version 4)\n",
			op);
		return KEELCTL_EXIT_FAIL;
	}
	if (ret)
		return keelctl_fail(op, keel_last_error(k->sock));
	return KEELCTL_EXIT_OK;
}
