// SPDX-License-Identifier: GPL-2.0
/*
 * Objects an add command attached to their VM (vdev, coalesce, remote):
 * the new one's id printed, a descriptor of one's file (KEEL_IOC_OBJ_OPEN),
 * and "keelctl TYPE del ID": KEEL_CMD_OBJ_DETACH, after checking that the
 * id is of that type. The kernel lets go of the object's file and the object
 * goes with it (unless another descriptor of it is still open: then when
 * that closes). An object its VMM created itself is not attached, and
 * only that VMM removes it.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "keelctl.h"

#define KEEL_DEVICE	"/dev/keel"

int keelctl_print_added(struct keelctl *k, const char *op, uint32_t id)
{
	struct json_object *j;
	struct keel_error err;
	struct keel_obj o;

	if (!k->json) {
		printf("%u\n", id);
		return fflush(stdout) ? KEELCTL_EXIT_FAIL : KEELCTL_EXIT_OK;
	}
	if (!k->sock)
		k->sock = keel_open(&err);
	if (k->sock && !keel_obj_get(k->sock, id, &o)) {
		j = keel_obj_json(&o);
		keel_obj_free(&o);
		return keelctl_print_json(k, j);
	}
	fprintf(stderr, "keelctl: %s: device %u added, but it cannot be shown\n",
		op, id);
	j = json_object_new_object();
	json_object_object_add(j, "id", json_object_new_uint64(id));
	return keelctl_print_json(k, j);
}

int keelctl_obj_file(const char *op, uint32_t id, const char *noun)
{
	int keel, fd;

	keel = keelctl_open_dev(op, KEEL_DEVICE, "keel");
	if (keel < 0)
		return keel;
	fd = keel_obj_open(keel, id);
	close(keel);
	if (fd >= 0)
		return fd;
	switch (-fd) {
	case ENOLINK:
		fprintf(stderr, "keelctl: %s: %s %u is not attached: it belongs to the VMM that created it\n",
			op, noun, id);
		return -KEELCTL_EXIT_FAIL;
	case ENOENT:
		/* Gone since, or another user's: not there for the caller. */
		fprintf(stderr, "keelctl: %s: no %s %u\n", op, noun, id);
		return -KEELCTL_EXIT_NOT_FOUND;
	case ENOTTY:
	case EINVAL:
		fprintf(stderr, "keelctl: %s: this Keel cannot open an attached object (KEEL_IOC_OBJ_OPEN is uapi version 4)\n",
			op);
		return -KEELCTL_EXIT_FAIL;
	default:
		fprintf(stderr, "keelctl: %s: cannot open %s %u: %s\n", op,
			noun, id, strerror(-fd));
		return -keelctl_exit_code(KEEL_ERR_SYSTEM, -fd);
	}
}

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
