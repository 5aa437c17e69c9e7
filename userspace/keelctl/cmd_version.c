// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl version: keelctl's own version and Keel's (release, uapi
 * version, build, running kernel, loaded parts).
 */
#include <stdlib.h>

#include <json-c/json.h>

#include "keelctl.h"

static void print_parts_line(const struct keel_parts *parts)
{
	char **names = calloc(parts->n + 1, sizeof(*names));
	size_t i;

	if (!names || !parts->n) {
		print_kv(stdout, 0, "parts", "-");
		free(names);
		return;
	}
	for (i = 0; i < parts->n; i++)
		names[i] = parts->v[i].name;
	print_kv_words(stdout, 0, "parts", names, parts->n);
	free(names);
}

static void print_version(const struct keel_version *v)
{
	print_kv(stdout, 0, "keelctl", "%s (api %d)", KEELCTL_VERSION,
		 KEEL_API_VERSION);
	print_kv(stdout, 0, "keel", "%s", fmt_str(v->version));
	print_kv(stdout, 0, "api", "%u%s", v->api_version,
		 v->api_version == KEEL_API_VERSION ? "" :
		 v->api_version > KEEL_API_VERSION ?
		 " (newer than keelctl: some details are not shown)" :
		 " (older than keelctl)");
	print_kv(stdout, 0, "built for", "%s", fmt_str(v->build_kernel));
	print_kv(stdout, 0, "compiler", "%s", fmt_str(v->build_compiler));
	print_kv(stdout, 0, "commit", "%s", fmt_str(v->build_commit));
	print_kv(stdout, 0, "running kernel", "%s", fmt_str(v->running_kernel));
	print_parts_line(&v->parts);
}

static int run(struct keelctl *k, const struct keelctl_cmd *cmd, int argc,
	       char **argv)
{
	struct keel_version v;
	int rc;

	rc = keelctl_begin(k, cmd, argc, argv);
	if (rc >= 0)
		return rc;
	if (keel_version_get(k->sock, &v))
		return keelctl_fail("version", keel_last_error(k->sock));

	if (k->json) {
		struct json_object *o = keel_version_json(&v);

		json_object_object_add(o, "keelctl",
				       json_object_new_string(KEELCTL_VERSION));
		rc = keelctl_print_json(k, o);
	} else {
		print_version(&v);
		rc = KEELCTL_EXIT_OK;
	}
	keel_version_free(&v);
	return rc;
}

const struct keelctl_cmd keelctl_cmd_version = {
	.name = "version",
	.synopsis = "version",
	.summary = "Show the versions of keelctl and of the loaded Keel.",
	.run = run,
};
