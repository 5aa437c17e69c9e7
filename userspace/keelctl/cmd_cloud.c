// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl cloud host list|show|add|remove: the hosts of keeld's resource
 * database (keelctl host is this machine's own inventory from keel.ko).
 * Hosts are added from a JSON description. "cloud template" and "cloud
 * policy" are cmd_prefset.c's.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "keelctl.h"

#define RES_TEXT_MAX	512

struct host_list {
	struct kd_host *v;
	size_t n;
};

static int host_cb(const struct nlmsghdr *nlh, void *data)
{
	struct host_list *l = data;
	struct kd_host *v;

	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return MNL_CB_ERROR;
	l->v = v;
	if (kd_host_parse(nlh, &l->v[l->n])) {
		kd_host_free(&l->v[l->n]);
		return MNL_CB_ERROR;
	}
	l->n++;
	return MNL_CB_OK;
}

static void list_free(struct host_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		kd_host_free(&l->v[i]);
	free(l->v);
}

static int print_hosts(struct keelctl *k, const struct host_list *l, bool one)
{
	static const char *const hdr[] = { "ID", "GEN", "ALLOCS", "USED/CAPACITY",
					   "FEATURES" };
	struct json_object *arr;
	char res[RES_TEXT_MAX];
	struct table *t;
	size_t i;

	if (k->json) {
		if (one)
			return keelctl_print_json(k, kd_host_json(&l->v[0]));
		arr = json_object_new_array();
		for (i = 0; arr && i < l->n; i++)
			json_object_array_add(arr, kd_host_json(&l->v[i]));
		return keelctl_print_json(k, arr);
	}
	if (one) {
		const struct kd_host *h = &l->v[0];

		print_kv(stdout, 0, "id", "%u", h->id);
		print_kv(stdout, 0, "generation", "%" PRIu64, h->generation);
		print_kv(stdout, 0, "allocations", "%u", h->nallocs);
		for (i = 0; i < h->nres; i++) {
			kd_res_text(&h->res[i], 1, true, res, sizeof(res));
			print_kv(stdout, 0, h->res[i].dim, "%s",
				 strchr(res, '=') + 1);
		}
		print_kv_words(stdout, 0, "features", h->features, h->nfeatures);
		return KEELCTL_EXIT_OK;
	}
	t = table_new(5, hdr);
	for (i = 0; t && i < l->n; i++) {
		const struct kd_host *h = &l->v[i];
		char feats[24];

		kd_res_text(h->res, h->nres, true, res, sizeof(res));
		snprintf(feats, sizeof(feats), "%zu", h->nfeatures);
		if (table_cell(t, "%u", h->id) ||
		    table_cell(t, "%" PRIu64, h->generation) ||
		    table_cell(t, "%u", h->nallocs) || table_cell(t, "%s", res) ||
		    table_cell(t, "%s", feats))
			break;
	}
	if (!t || i < l->n) {
		table_free(t);
		fputs("keelctl: cloud: out of memory\n", stderr);
		return KEELCTL_EXIT_FAIL;
	}
	table_print(t, stdout, 0);
	table_free(t);
	return KEELCTL_EXIT_OK;
}

static int parse_u32(const char *s, uint32_t *v)
{
	unsigned long long n;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno || *end || n > UINT32_MAX)
		return -EINVAL;
	*v = (uint32_t)n;
	return 0;
}

static int do_get(struct keelctl *k, const char *id_arg)
{
	char buf[256];
	struct host_list l = { 0 };
	struct keel_error err;
	struct nlmsghdr *nlh;
	uint32_t id = 0;
	int rc;

	if (id_arg && parse_u32(id_arg, &id)) {
		fprintf(stderr, "keelctl: cloud host show: bad host id '%s'\n", id_arg);
		return KEELCTL_EXIT_USAGE;
	}
	rc = keelctl_keeld_connect(k);
	if (rc)
		return rc;
	nlh = keelctl_keeld_msg(k, buf, KEELD_CMD_HOST_GET, id_arg ? 0 : NLM_F_DUMP);
	if (id_arg)
		mnl_attr_put_u32(nlh, KEELD_A_HOST_ID, id);
	if (keelctl_keeld_request(k, nlh, host_cb, &l, &err)) {
		list_free(&l);
		return keelctl_fail(id_arg ? "cloud host show" : "cloud host list", &err);
	}
	rc = print_hosts(k, &l, id_arg != NULL);
	list_free(&l);
	return rc;
}

/* ---- add: JSON description -> attributes ---- */

static int json_amount(struct json_object *v, uint64_t *out)
{
	struct json_object *cap;
	int64_t i;

	if (json_object_is_type(v, json_type_object) &&
	    json_object_object_get_ex(v, "capacity", &cap))
		v = cap;	/* the shape "keelctl -j cloud host list" prints */
	if (json_object_is_type(v, json_type_int)) {
		errno = 0;
		i = json_object_get_int64(v);
		if (i < 1 || errno)
			return -EINVAL;
		*out = (uint64_t)i;
		return 0;
	}
	if (json_object_is_type(v, json_type_string))
		return kd_size_parse(json_object_get_string(v), out);
	return -EINVAL;
}

static int host_attrs(struct nlmsghdr *nlh, struct json_object *h, char *why,
		      size_t len)
{
	struct json_object *id = NULL, *res = NULL, *feats = NULL, *f;
	struct nlattr *nest, *r;
	uint64_t amount;
	int64_t v;
	size_t i;

	json_object_object_foreach(h, key, val) {
		if (!strcmp(key, "id"))
			id = val;
		else if (!strcmp(key, "resources"))
			res = val;
		else if (!strcmp(key, "features"))
			feats = val;
		else if (strcmp(key, "generation") && strcmp(key, "allocations")) {
			snprintf(why, len, "unknown key '%s' (id, resources, features)", key);
			return -EINVAL;
		}
	}
	if (!id || !json_object_is_type(id, json_type_int) ||
	    (v = json_object_get_int64(id)) < 0 || v > UINT32_MAX) {
		snprintf(why, len, "\"id\" must be a number from 0 to 4294967295");
		return -EINVAL;
	}
	if (!res || !json_object_is_type(res, json_type_object)) {
		snprintf(why, len, "host %" PRId64 ": \"resources\" must be an object "
			 "such as {\"vcpus\": 64, \"memory\": \"256G\"}", v);
		return -EINVAL;
	}
	if (feats && !json_object_is_type(feats, json_type_array)) {
		snprintf(why, len, "host %" PRId64 ": \"features\" must be an array", v);
		return -EINVAL;
	}
	nest = mnl_attr_nest_start(nlh, KEELD_A_HOST);
	mnl_attr_put_u32(nlh, KEELD_HOST_A_ID, (uint32_t)v);
	json_object_object_foreach(res, dim, rval) {
		if (json_amount(rval, &amount) || strlen(dim) > 70) {
			snprintf(why, len, "host %" PRId64 ": bad amount of %s", v, dim);
			return -EINVAL;
		}
		r = mnl_attr_nest_start(nlh, KEELD_HOST_A_RES);
		mnl_attr_put_strz(nlh, KEELD_RES_A_DIM, dim);
		mnl_attr_put_u64(nlh, KEELD_RES_A_AMOUNT, amount);
		mnl_attr_nest_end(nlh, r);
	}
	for (i = 0; feats && i < json_object_array_length(feats); i++) {
		f = json_object_array_get_idx(feats, i);
		if (!json_object_is_type(f, json_type_string) ||
		    json_object_get_string_len(f) > 63 ||
		    nlh->nlmsg_len > KEELD_MSG_MAX - 128) {
			snprintf(why, len, "host %" PRId64 ": feature %zu is not a "
				 "name such as \"cpu:avx512f\"", v, i + 1);
			return -EINVAL;
		}
		mnl_attr_put_strz(nlh, KEELD_HOST_A_FEATURE, json_object_get_string(f));
	}
	mnl_attr_nest_end(nlh, nest);
	return 0;
}

static int do_add(struct keelctl *k, const char *path)
{
	struct json_object *doc, *hosts, *h;
	struct host_list l = { 0 };
	struct keel_error err;
	struct nlmsghdr *nlh;
	char why[512];
	size_t i, n;
	char *buf;
	int rc;

	doc = keelctl_read_json("cloud host add", path);
	if (!doc)
		return KEELCTL_EXIT_FAIL;
	hosts = doc;
	if (json_object_is_type(doc, json_type_object) &&
	    !json_object_object_get_ex(doc, "hosts", &hosts))
		hosts = doc;
	n = json_object_is_type(hosts, json_type_array) ?
		json_object_array_length(hosts) : 1;
	rc = keelctl_keeld_connect(k);
	buf = malloc(KEELD_MSG_MAX);
	if (!buf)
		rc = KEELCTL_EXIT_FAIL;
	for (i = 0; !rc && i < n; i++) {
		h = hosts == doc && n == 1 && !json_object_is_type(hosts, json_type_array) ?
			hosts : json_object_array_get_idx(hosts, i);
		if (!json_object_is_type(h, json_type_object)) {
			fprintf(stderr, "keelctl: cloud host add: %s: host %zu is not an object\n",
				path, i + 1);
			rc = KEELCTL_EXIT_FAIL;
			break;
		}
		nlh = keelctl_keeld_msg(k, buf, KEELD_CMD_HOST_ADD, 0);
		if (host_attrs(nlh, h, why, sizeof(why))) {
			fprintf(stderr, "keelctl: cloud host add: %s: %s\n", path, why);
			rc = KEELCTL_EXIT_FAIL;
			break;
		}
		if (keelctl_keeld_request(k, nlh, host_cb, &l, &err)) {
			rc = keelctl_fail("cloud host add", &err);
			if (i)
				fprintf(stderr, "keelctl: cloud host add: the %zu host%s "
					"before it %s added\n", i, i == 1 ? "" : "s",
					i == 1 ? "was" : "were");
		}
	}
	free(buf);
	json_object_put(doc);
	if (!rc && l.n)
		rc = print_hosts(k, &l, false);
	list_free(&l);
	return rc;
}

static int do_remove(struct keelctl *k, const char *id_arg)
{
	char buf[256];
	struct keel_error err;
	struct nlmsghdr *nlh;
	uint32_t id;
	int rc;

	if (parse_u32(id_arg, &id)) {
		fprintf(stderr, "keelctl: cloud host remove: bad host id '%s'\n", id_arg);
		return KEELCTL_EXIT_USAGE;
	}
	rc = keelctl_keeld_connect(k);
	if (rc)
		return rc;
	nlh = keelctl_keeld_msg(k, buf, KEELD_CMD_HOST_DEL, 0);
	mnl_attr_put_u32(nlh, KEELD_A_HOST_ID, id);
	if (keelctl_keeld_request(k, nlh, NULL, NULL, &err))
		return keelctl_fail("cloud host remove", &err);
	return KEELCTL_EXIT_OK;
}

static int run(struct keelctl *k, const struct keelctl_cmd *cmd, int argc,
	       char **argv)
{
	const char *ops[4] = { 0 };
	int i, rc, n = 0;

	rc = keelctl_operands(k, cmd, &argc, &argv);
	if (rc >= 0)
		return rc;
	for (i = 0; i < argc; i++) {
		if (n == 4)
			return keelctl_usage_error(cmd, "unexpected argument '%s'",
						   argv[i]);
		ops[n++] = argv[i];
	}
	if (n && (!strcmp(ops[0], "template") || !strcmp(ops[0], "policy")))
		return keelctl_prefset_run(k, cmd, ops, n);
	if (!n || strcmp(ops[0], "host"))
		return keelctl_usage_error(cmd, n ? "unknown object '%s' (host, template, policy)" :
					   "which object? (host, template, policy)",
					   n ? ops[0] : "");
	if (n == 1 || !strcmp(ops[1], "list")) {
		if (n > 2)
			return keelctl_usage_error(cmd, "unexpected argument '%s'", ops[2]);
		return do_get(k, NULL);
	}
	if (strcmp(ops[1], "show") && strcmp(ops[1], "add") && strcmp(ops[1], "remove"))
		return keelctl_usage_error(cmd, "unknown subcommand '%s'", ops[1]);
	if (n != 3)
		return keelctl_usage_error(cmd, "%s needs one %s", ops[1],
					   strcmp(ops[1], "add") ? "host id" : "JSON file");
	if (!strcmp(ops[1], "show"))
		return do_get(k, ops[2]);
	if (!strcmp(ops[1], "add"))
		return do_add(k, ops[2]);
	return do_remove(k, ops[2]);
}

const struct keelctl_cmd keelctl_cmd_cloud = {
	.name = "cloud",
	.synopsis = "cloud host [list]\n"
		    "cloud host show ID\n"
		    "cloud host add FILE|-\n"
		    "cloud host remove ID\n"
		    "cloud template|policy [list]\n"
		    "cloud template|policy show NAME\n"
		    "cloud template|policy add FILE|-\n"
		    "cloud template|policy remove NAME",
	.summary = "hosts, appliance templates and tenant policies of keeld's database",
	.help = "keeld's view of the cloud: every host's capacity, usage, generation\n"
		"and features. (keelctl host shows this machine as keel.ko sees it.)\n"
		"\n"
		"add reads a JSON host, an array of hosts or {\"hosts\": [...]}:\n"
		"  {\"id\": 1,\n"
		"   \"resources\": {\"vcpus\": 64, \"memory\": \"256G\", \"mirror\": \"16G\",\n"
		"                 \"hp:2097152\": 1024, \"acc:gpu\": 2},\n"
		"   \"features\": [\"cpu:avx512f\", \"mem:mirror\", \"nic:sriov\"]}\n"
		"Sizes take K, M, G, T (binary). Adding and removing need root or\n"
		"keeld's admin group; a host with allocations cannot be removed.\n"
		"\n"
		"Templates and tenant policies are named preference sets that\n"
		"\"keelctl alloc --template NAME --tenant NAME\" uses; add reads\n"
		"  {\"name\": \"web\",\n"
		"   \"prefs\": [{\"feature\": \"cpu:rtm\", \"kind\": \"avoided\", \"weight\": 5}]}\n"
		"with kinds required, forbidden, preferred, avoided. Adding and\n"
		"removing them need root or keeld's admin group too.\n",
	.run = run,
};
