/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keelctl from a test: run it with arguments (the binary is $KEELCTL, else
 * KEELCTL_PATH), and read one field of an object from its JSON. Users
 * link json-c.
 */
#ifndef KEEL_TEST_KEELCTL_H
#define KEEL_TEST_KEELCTL_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <json-c/json.h>

#include "keel_test_run.h"

#ifndef KEELCTL_PATH
#define KEELCTL_PATH	"/keel/bin/keelctl"
#endif

/*
 * Runs keelctl with @args (NULL-terminated, at most 22), @in (if not
 * NULL) on its stdin; its stdout and stderr in @out. Its exit status, or
 * -1.
 */
static inline int keel_test_keelctl(const char *const *args, const char *in,
				    char *out, size_t len, bool as_user)
{
	const char *argv[24] = { getenv("KEELCTL") ?: KEELCTL_PATH };
	size_t i;

	for (i = 0; args[i] && i < 22; i++)
		argv[i + 1] = args[i];
	return keel_test_run(argv, in, out, len, as_user);
}

/*
 * For a demo: shows "$ keelctl ARGS", runs it as keel_test_keelctl()
 * does and shows its output (kept in @out). Its exit status, or -1.
 */
static inline int keel_test_keelctl_show(const char *const *args,
					 const char *in, char *out, size_t len)
{
	int rc;

	keel_test_print_cmd("keelctl", args);
	rc = keel_test_keelctl(args, in, out, len, false);
	fputs(out, stdout);
	fflush(stdout);
	return rc;
}

/*
 * Field @key of object @id's info, as "keelctl -j TYPE show ID" gives it
 * (@type "vdev", "coalesce", ...), or -1.
 */
static inline long long keel_test_obj_info(const char *type, unsigned int id,
					   const char *key)
{
	struct json_object *j, *info, *v;
	long long val = -1;
	char ids[16], out[16384];

	snprintf(ids, sizeof(ids), "%u", id);
	if (keel_test_keelctl((const char *[]){ "-j", type, "show", ids, NULL },
			      NULL, out, sizeof(out), false))
		return -1;
	j = json_tokener_parse(out);
	if (j && json_object_object_get_ex(j, "info", &info) &&
	    json_object_object_get_ex(info, key, &v))
		val = json_object_get_int64(v);
	json_object_put(j);
	return val;
}

/* Counter @key of device @id, as "keelctl -j vdev show" gives it, or -1. */
static inline long long keel_test_vdev_info(unsigned int id, const char *key)
{
	return keel_test_obj_info("vdev", id, key);
}

#endif /* KEEL_TEST_KEELCTL_H */
