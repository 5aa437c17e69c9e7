/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keelctl from a test: run it with arguments (the binary is $KEELCTL, else
 * KEELCTL_PATH), and read one field of an object from its JSON. Users
 * link json-c.
 */
#ifndef KEEL_TEST_KEELCTL_H
#define KEEL_TEST_KEELCTL_H

#include <stdbool.h>
#include <stdint.h>
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
 * Number @key of a JSON object from keelctl (a string for 64-bit ones),
 * or -1ULL when it has none.
 */
static inline uint64_t keel_test_json_u64(struct json_object *o,
					  const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return -1ULL;
	if (json_object_is_type(v, json_type_string))
		return strtoull(json_object_get_string(v), NULL, 0);
	return json_object_get_uint64(v);
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

/* No counter for keel_test_mirror_xlate(). */
#define KEEL_TEST_NO_COUNTER	(~0ULL)

/*
 * "keelctl mirror xlate ID --start @start --end @end --code @code
 * [--count-gpa @count_gpa] [--log-gpa @log_gpa [--log-pt @pt
 * --log-pt-levels @levels]]" (none with KEEL_TEST_NO_COUNTER, or a
 * log_gpa or pt of 0): its exit status, its words in @out.
 */
static inline int keel_test_mirror_xlate_pt(unsigned int id, uint64_t start,
					    uint64_t end, uint64_t code,
					    uint64_t count_gpa,
					    uint64_t log_gpa, uint64_t pt,
					    unsigned int levels, char *out,
					    size_t len)
{
	char a[8][32];
	const char *argv[18] = {
		"mirror", "xlate", a[0], "--start", a[1], "--end", a[2],
		"--code", a[3],
	};
	int n = 9;

	snprintf(a[0], 32, "%u", id);
	snprintf(a[1], 32, "%#llx", (unsigned long long)start);
	snprintf(a[2], 32, "%#llx", (unsigned long long)end);
	snprintf(a[3], 32, "%#llx", (unsigned long long)code);
	if (count_gpa != KEEL_TEST_NO_COUNTER) {
		snprintf(a[4], 32, "%#llx", (unsigned long long)count_gpa);
		argv[n++] = "--count-gpa";
		argv[n++] = a[4];
	}
	if (log_gpa) {
		snprintf(a[5], 32, "%#llx", (unsigned long long)log_gpa);
		argv[n++] = "--log-gpa";
		argv[n++] = a[5];
	}
	if (pt) {
		snprintf(a[6], 32, "%#llx", (unsigned long long)pt);
		snprintf(a[7], 32, "%u", levels);
		argv[n++] = "--log-pt";
		argv[n++] = a[6];
		argv[n++] = "--log-pt-levels";
		argv[n++] = a[7];
	}
	return keel_test_keelctl(argv, NULL, out, len, false);
}

/* The same, the log's addresses guest-physical. */
static inline int keel_test_mirror_xlate_log(unsigned int id, uint64_t start,
					     uint64_t end, uint64_t code,
					     uint64_t count_gpa,
					     uint64_t log_gpa, char *out,
					     size_t len)
{
	return keel_test_mirror_xlate_pt(id, start, end, code, count_gpa,
					 log_gpa, 0, 0, out, len);
}

/* The same without a log. */
static inline int keel_test_mirror_xlate(unsigned int id, uint64_t start,
					 uint64_t end, uint64_t code,
					 uint64_t count_gpa, char *out,
					 size_t len)
{
	return keel_test_mirror_xlate_log(id, start, end, code, count_gpa, 0,
					  out, len);
}

/*
 * "keelctl mirror unxlate ID --start @start": its exit status, its words
 * in @out.
 */
static inline int keel_test_mirror_unxlate(unsigned int id, uint64_t start,
					   char *out, size_t len)
{
	char a[2][32];

	snprintf(a[0], 32, "%u", id);
	snprintf(a[1], 32, "%#llx", (unsigned long long)start);
	return keel_test_keelctl((const char *[]){ "mirror", "unxlate", a[0],
						   "--start", a[1], NULL },
				 NULL, out, len, false);
}

/*
 * Range @id's translations ("keelctl -j mirror translations ID"): how
 * many, the first's start, end, stores and trapped stores in @x when
 * there is one; -1 when keelctl failed or printed no JSON array (what it
 * printed in @out).
 */
static inline int keel_test_mirror_translations(unsigned int id,
						uint64_t x[4], char *out,
						size_t len)
{
	static const char *const keys[4] = { "start", "end", "stores",
					     "trapped" };
	struct json_object *arr, *e;
	char ids[16];
	int n, i;

	snprintf(ids, sizeof(ids), "%u", id);
	if (keel_test_keelctl((const char *[]){ "-j", "mirror", "translations",
						ids, NULL }, NULL, out, len,
			      false))
		return -1;
	arr = json_tokener_parse(out);
	if (!arr || !json_object_is_type(arr, json_type_array)) {
		json_object_put(arr);
		return -1;
	}
	n = (int)json_object_array_length(arr);
	e = n ? json_object_array_get_idx(arr, 0) : NULL;
	for (i = 0; e && i < 4; i++)
		x[i] = keel_test_json_u64(e, keys[i]);
	json_object_put(arr);
	return n;
}

#endif /* KEEL_TEST_KEELCTL_H */
