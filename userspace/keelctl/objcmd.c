// SPDX-License-Identifier: GPL-2.0
/*
 * list and show of objects, shared by "objects" and the commands for one
 * object type (vdev, ring): the netlink dump or get, the type check (an
 * id of another type is not found), and the one JSON schema of an
 * object or a table or field-by-field text.
 */
#include <stdio.h>
#include <string.h>

#include "keelctl.h"

int keelctl_obj_list(struct keelctl *k, const char *type, const char *op,
		     int (*print_table)(const struct keel_objs *list,
					const struct keel_type *t))
{
	const struct keel_types *types;
	struct keel_objs list;
	int rc;

	rc = keelctl_connect(k);
	if (rc)
		return rc;
	if (keel_obj_dump(k->sock, type, &list))
		return keelctl_fail(op, keel_last_error(k->sock));
	if (k->json) {
		rc = keelctl_print_json(k, keel_objs_json(&list));
	} else {
		/* Loaded by the dump: no request. */
		types = keel_types_cached(k->sock);
		rc = print_table(&list, types && type ?
				 keel_types_find(types, type) : NULL);
	}
	keel_objs_free(&list);
	return rc;
}

int keelctl_obj_get(struct keelctl *k, uint32_t id, const char *type,
		    const char *op, struct keel_obj *o)
{
	int rc;

	rc = keelctl_connect(k);
	if (rc)
		return rc;
	if (keel_obj_get(k->sock, id, o))
		return keelctl_fail(op, keel_last_error(k->sock));
	if (type && (!o->type || strcmp(o->type, type))) {
		/* No @type has this id: not found, as for no object at all. */
		fprintf(stderr, "keelctl: %s: object %u is a %s, not a %s\n",
			op, id, fmt_str(o->type), type);
		keel_obj_free(o);
		return KEELCTL_EXIT_NOT_FOUND;
	}
	return -1;
}

int keelctl_obj_show(struct keelctl *k, uint32_t id, const char *type,
		     const char *op)
{
	struct keel_obj o;
	int rc;

	rc = keelctl_obj_get(k, id, type, op, &o);
	if (rc >= 0)
		return rc;
	if (k->json) {
		rc = keelctl_print_json(k, keel_obj_json(&o));
	} else {
		obj_print(&o, stdout);
		rc = KEELCTL_EXIT_OK;
	}
	keel_obj_free(&o);
	return rc;
}
