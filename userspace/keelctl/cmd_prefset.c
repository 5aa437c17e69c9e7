// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl cloud template|policy list|show|add|remove: the named
 * appliance templates and tenant policies keeld stores, which
 * "keelctl alloc --template NAME --tenant NAME" uses. A set is added
 * from JSON: {"name": ..., "prefs": [{"feature", "kind", "weight"}]}.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <linux/genetlink.h>

#include "keelctl.h"

#define SET_MAX_PREFS	64
#define SET_TEXT_MAX	8192
#define SET_FEAT_MAX	63	/* the longest feature name */

static const char *const kinds[] = {
	[KEELD_KIND_REQUIRED] = "required", [KEELD_KIND_FORBIDDEN] = "forbidden",
	[KEELD_KIND_PREFERRED] = "preferred", [KEELD_KIND_AVOIDED] = "avoided",
};

struct set_pref {
	char feature[SET_FEAT_MAX + 1];
	uint8_t kind;
	uint32_t weight;
};

struct set {
	char name[KEELD_PREFSET_NAME_MAX + 1];
	struct set_pref p[SET_MAX_PREFS];
	unsigned int n;
};

struct set_list {
	struct set *v;
	size_t n;
	bool bad;
};

static int pref_cb(const struct nlattr *a, void *data)
{
	struct set_pref *p = data;

	switch (mnl_attr_get_type(a)) {
	case KEELD_PREF_A_FEATURE:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		snprintf(p->feature, sizeof(p->feature), "%s", mnl_attr_get_str(a));
		break;
	case KEELD_PREF_A_KIND:
		if (mnl_attr_validate(a, MNL_TYPE_U8) < 0 ||
		    mnl_attr_get_u8(a) > KEELD_KIND_AVOIDED)
			return MNL_CB_ERROR;
		p->kind = mnl_attr_get_u8(a);
		break;
	case KEELD_PREF_A_WEIGHT:
		if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
			return MNL_CB_ERROR;
		p->weight = mnl_attr_get_u32(a);
		break;
	}
	return MNL_CB_OK;
}

static int set_attr_cb(const struct nlattr *a, void *data)
{
	struct set *s = data;

	switch (mnl_attr_get_type(a)) {
	case KEELD_PREFSET_A_NAME:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
			return MNL_CB_ERROR;
		snprintf(s->name, sizeof(s->name), "%s", mnl_attr_get_str(a));
		break;
	case KEELD_PREFSET_A_PREF:
		if (s->n == SET_MAX_PREFS ||
		    mnl_attr_parse_nested(a, pref_cb, &s->p[s->n]) < 0)
			return MNL_CB_ERROR;
		s->n++;
		break;
	}
	return MNL_CB_OK;
}

static int set_cb(const struct nlmsghdr *nlh, void *data)
{
	struct set_list *l = data;
	const struct nlattr *a;
	struct set *v;

	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (!v)
		return MNL_CB_ERROR;
	l->v = v;
	memset(&v[l->n], 0, sizeof(*v));
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (mnl_attr_get_type(a) != KEELD_A_PREFSET)
			continue;
		if (mnl_attr_parse_nested(a, set_attr_cb, &v[l->n]) < 0) {
			l->bad = true;
			return MNL_CB_ERROR;
		}
	}
	l->n++;
	return MNL_CB_OK;
}

static struct json_object *set_json(const struct set *s)
{
	struct json_object *o = json_object_new_object(), *arr, *p;
	unsigned int i;

	arr = json_object_new_array();
	json_object_object_add(o, "name", json_object_new_string(s->name));
	for (i = 0; i < s->n; i++) {
		p = json_object_new_object();
		json_object_object_add(p, "feature",
				       json_object_new_string(s->p[i].feature));
		json_object_object_add(p, "kind",
				       json_object_new_string(kinds[s->p[i].kind]));
		json_object_object_add(p, "weight",
				       json_object_new_int64(s->p[i].weight));
		json_object_array_add(arr, p);
	}
	json_object_object_add(o, "prefs", arr);
	return o;
}

/* "required cpu:avx512f, preferred acc:gpu:5, ..." */
static void set_text(const struct set *s, char *buf, size_t len)
{
	size_t off = 0;
	unsigned int i;
	int n;

	buf[0] = '\0';
	for (i = 0; i < s->n && off < len; i++) {
		const struct set_pref *p = &s->p[i];
		bool soft = p->kind >= KEELD_KIND_PREFERRED;

		n = snprintf(buf + off, len - off, soft ? "%s%s %s:%u" : "%s%s %s",
			     i ? ", " : "", kinds[p->kind], p->feature, p->weight);
		if (n < 0)
			break;
		off += (size_t)n;
	}
}

static int print_sets(struct keelctl *k, const struct set_list *l, bool one)
{
	static const char *const hdr[] = { "NAME", "PREFERENCES" };
	struct json_object *arr;
	char *text;
	struct table *t;
	size_t i;

	if (k->json) {
		if (one)
			return keelctl_print_json(k, set_json(&l->v[0]));
		arr = json_object_new_array();
		for (i = 0; arr && i < l->n; i++)
			json_object_array_add(arr, set_json(&l->v[i]));
		return keelctl_print_json(k, arr);
	}
	text = malloc(SET_TEXT_MAX);
	t = text ? table_new(2, hdr) : NULL;
	for (i = 0; t && i < l->n; i++) {
		set_text(&l->v[i], text, SET_TEXT_MAX);
		if (table_cell(t, "%s", l->v[i].name) || table_cell(t, "%s", text))
			break;
	}
	free(text);
	if (!t || i < l->n) {
		table_free(t);
		fputs("keelctl: cloud: out of memory\n", stderr);
		return KEELCTL_EXIT_FAIL;
	}
	table_print(t, stdout, 0);
	table_free(t);
	return KEELCTL_EXIT_OK;
}

/* The request's KEELD_A_PREFSET: kind and, when given, name. */
static struct nlattr *put_set(struct nlmsghdr *nlh, uint8_t kind, const char *name)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, KEELD_A_PREFSET);

	mnl_attr_put_u8(nlh, KEELD_PREFSET_A_KIND, kind);
	if (name)
		mnl_attr_put_strz(nlh, KEELD_PREFSET_A_NAME, name);
	return n;
}

static bool name_fits(const char *name)
{
	return *name && strlen(name) <= KEELD_PREFSET_NAME_MAX;
}

static int do_get(struct keelctl *k, const char *op, uint8_t kind,
		  const char *name)
{
	struct set_list l = { 0 };
	struct keel_error err;
	struct nlmsghdr *nlh;
	char buf[256];
	int rc;

	if (name && !name_fits(name)) {
		fprintf(stderr, "keelctl: %s: bad name '%s'\n", op, name);
		return KEELCTL_EXIT_USAGE;
	}
	rc = keelctl_keeld_connect(k);
	if (rc)
		return rc;
	nlh = keelctl_keeld_msg(k, buf, KEELD_CMD_PREFSET_GET, name ? 0 : NLM_F_DUMP);
	mnl_attr_nest_end(nlh, put_set(nlh, kind, name));
	if (keelctl_keeld_request(k, nlh, set_cb, &l, &err))
		rc = keelctl_fail(op, &err);
	else
		rc = print_sets(k, &l, name != NULL);
	free(l.v);
	return rc;
}

/* The "prefs" of a JSON set as KEELD_PREFSET_A_PREF attributes. */
static int put_prefs(struct nlmsghdr *nlh, struct json_object *prefs,
		     char *why, size_t len)
{
	struct json_object *e, *f, *kd, *w;
	struct nlattr *p;
	size_t i, n;
	int kind;

	if (!json_object_is_type(prefs, json_type_array) ||
	    (n = json_object_array_length(prefs)) > SET_MAX_PREFS) {
		snprintf(why, len, "\"prefs\" must be a list of up to %d", SET_MAX_PREFS);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(prefs, i);
		if (!json_object_object_get_ex(e, "feature", &f) ||
		    !json_object_is_type(f, json_type_string) ||
		    json_object_get_string_len(f) > SET_FEAT_MAX ||
		    !json_object_object_get_ex(e, "kind", &kd) ||
		    !json_object_is_type(kd, json_type_string)) {
			snprintf(why, len, "entry %zu needs \"feature\" and \"kind\" strings",
				 i + 1);
			return -EINVAL;
		}
		for (kind = 0; kind < 4 && strcmp(json_object_get_string(kd), kinds[kind]);
		     kind++)
			;
		if (kind == 4) {
			snprintf(why, len, "entry %zu: kind '%s' (required, forbidden, "
				 "preferred, avoided)", i + 1, json_object_get_string(kd));
			return -EINVAL;
		}
		p = mnl_attr_nest_start(nlh, KEELD_PREFSET_A_PREF);
		mnl_attr_put_strz(nlh, KEELD_PREF_A_FEATURE, json_object_get_string(f));
		mnl_attr_put_u8(nlh, KEELD_PREF_A_KIND, (uint8_t)kind);
		if (json_object_object_get_ex(e, "weight", &w)) {
			int64_t v = json_object_get_int64(w);

			if (!json_object_is_type(w, json_type_int) || v < 0 || v > 1000000) {
				snprintf(why, len, "entry %zu: weight 0 to 1000000", i + 1);
				return -EINVAL;
			}
			mnl_attr_put_u32(nlh, KEELD_PREF_A_WEIGHT, (uint32_t)v);
		}
		mnl_attr_nest_end(nlh, p);
	}
	return 0;
}

static int do_add(struct keelctl *k, const char *op, uint8_t kind,
		  const char *path)
{
	struct json_object *doc, *name, *prefs;
	struct set_list l = { 0 };
	struct keel_error err;
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	char why[512];
	char *buf = NULL;
	int rc = KEELCTL_EXIT_FAIL;

	doc = keelctl_read_json(op, path);
	if (!doc)
		return KEELCTL_EXIT_FAIL;
	if (!json_object_is_type(doc, json_type_object) ||
	    !json_object_object_get_ex(doc, "name", &name) ||
	    !json_object_is_type(name, json_type_string) ||
	    !name_fits(json_object_get_string(name)) ||
	    !json_object_object_get_ex(doc, "prefs", &prefs)) {
		fprintf(stderr, "keelctl: %s: %s: needs {\"name\": NAME, \"prefs\": [...]}\n",
			op, path);
		goto out;
	}
	buf = malloc(KEELD_MSG_MAX);
	if (!buf)
		goto out;
	rc = keelctl_keeld_connect(k);
	if (rc)
		goto out;
	nlh = keelctl_keeld_msg(k, buf, KEELD_CMD_PREFSET_ADD, 0);
	nest = put_set(nlh, kind, json_object_get_string(name));
	if (put_prefs(nlh, prefs, why, sizeof(why))) {
		fprintf(stderr, "keelctl: %s: %s: %s\n", op, path, why);
		rc = KEELCTL_EXIT_FAIL;
		goto out;
	}
	mnl_attr_nest_end(nlh, nest);
	if (keelctl_keeld_request(k, nlh, set_cb, &l, &err))
		rc = keelctl_fail(op, &err);
	else
		rc = l.n ? print_sets(k, &l, true) : KEELCTL_EXIT_OK;
out:
	free(l.v);
	free(buf);
	json_object_put(doc);
	return rc;
}

static int do_remove(struct keelctl *k, const char *op, uint8_t kind,
		     const char *name)
{
	struct keel_error err;
	struct nlmsghdr *nlh;
	char buf[256];
	int rc;

	if (!name_fits(name)) {
		fprintf(stderr, "keelctl: %s: bad name '%s'\n", op, name);
		return KEELCTL_EXIT_USAGE;
	}
	rc = keelctl_keeld_connect(k);
	if (rc)
		return rc;
	nlh = keelctl_keeld_msg(k, buf, KEELD_CMD_PREFSET_DEL, 0);
	mnl_attr_nest_end(nlh, put_set(nlh, kind, name));
	if (keelctl_keeld_request(k, nlh, NULL, NULL, &err))
		return keelctl_fail(op, &err);
	return KEELCTL_EXIT_OK;
}

int keelctl_prefset_run(struct keelctl *k, const struct keelctl_cmd *cmd,
			const char *const *ops, int n)
{
	uint8_t kind = strcmp(ops[0], "template") ? KEELD_SOURCE_POLICY :
						    KEELD_SOURCE_TEMPLATE;
	char op[64];

	if (n == 1 || !strcmp(ops[1], "list")) {
		if (n > 2)
			return keelctl_usage_error(cmd, "unexpected argument '%s'", ops[2]);
		snprintf(op, sizeof(op), "cloud %s list", ops[0]);
		return do_get(k, op, kind, NULL);
	}
	if (strcmp(ops[1], "show") && strcmp(ops[1], "add") && strcmp(ops[1], "remove"))
		return keelctl_usage_error(cmd, "unknown subcommand '%s'", ops[1]);
	if (n != 3)
		return keelctl_usage_error(cmd, "%s needs one %s", ops[1],
					   strcmp(ops[1], "add") ? "name" : "JSON file");
	snprintf(op, sizeof(op), "cloud %s %s", ops[0], ops[1]);
	if (!strcmp(ops[1], "show"))
		return do_get(k, op, kind, ops[2]);
	if (!strcmp(ops[1], "add"))
		return do_add(k, op, kind, ops[2]);
	return do_remove(k, op, kind, ops[2]);
}
