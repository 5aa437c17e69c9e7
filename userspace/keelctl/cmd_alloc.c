// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl alloc, alloc list|show, free: requests for virtual appliance
 * services to keeld (resources, feature preferences from the request, an
 * appliance template and a tenant policy, placement policy, --explain)
 * and the allocations keeld holds.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "keelctl.h"

#define RES_TEXT_MAX	512
#define MAX_PREFS	64

enum {
	O_SERVICE = 256, O_VCPUS, O_MEMORY, O_MIRROR, O_HUGEPAGES, O_ACC, O_RES,
	O_REQUIRE, O_FORBID, O_PREFER, O_AVOID, O_TEMPLATE, O_TENANT, O_POLICY,
	O_MAXCAND, O_EXPLAIN, O_TENANT_NAME,
};

struct pref {
	const char *feature;
	char buf[72];
	uint8_t kind;
	uint32_t weight;
};

struct source {
	struct pref p[MAX_PREFS];
	unsigned int n;
};

struct req {
	const char *service;
	struct kd_res res[KD_MAX_RES];
	unsigned int nres;
	struct source src[3];		/* request, template, tenant policy */
	bool has_src[3];
	const char *set_name[3];	/* a stored template or policy instead */
	int policy;			/* -1: keeld's default */
	int64_t max_cand;		/* -1: keeld's default */
	bool explain;
};

static int add_res(const struct keelctl_cmd *cmd, struct req *r,
		   const char *dim, uint64_t amount)
{
	unsigned int i;

	for (i = 0; i < r->nres; i++)
		if (!strcmp(r->res[i].dim, dim))
			return keelctl_usage_error(cmd, "%s given twice", dim);
	if (r->nres == KD_MAX_RES || strlen(dim) >= sizeof(r->res[0].dim))
		return keelctl_usage_error(cmd, "too many resources");
	snprintf(r->res[r->nres].dim, sizeof(r->res[0].dim), "%s", dim);
	r->res[r->nres++].amount = amount;
	return 0;
}

/* "TYPE:COUNT" / "SIZE:COUNT" */
static int split_count(const char *arg, char *left, size_t len, uint64_t *count)
{
	const char *c = strrchr(arg, ':');

	if (!c || c == arg || (size_t)(c - arg) >= len ||
	    kd_size_parse(c + 1, count) || !*count)
		return -EINVAL;
	memcpy(left, arg, (size_t)(c - arg));
	left[c - arg] = '\0';
	return 0;
}

static int add_pref(const struct keelctl_cmd *cmd, struct source *s,
		    const char *arg, uint8_t kind, bool weighted)
{
	struct pref *p;
	const char *c;
	char *end;
	unsigned long w = 1;

	if (s->n == MAX_PREFS)
		return keelctl_usage_error(cmd, "more than %d preferences", MAX_PREFS);
	p = &s->p[s->n];
	/* "ns:name" or, for preferences, "ns:name:WEIGHT". */
	c = strchr(arg, ':');
	c = c ? strchr(c + 1, ':') : NULL;
	if (c && weighted) {
		errno = 0;
		w = strtoul(c + 1, &end, 10);
		if (errno || *end || c[1] < '0' || c[1] > '9' || w > 1000000)
			return keelctl_usage_error(cmd, "bad weight in '%s' (0 to 1000000)",
						   arg);
	} else {
		c = arg + strlen(arg);
	}
	if ((size_t)(c - arg) >= sizeof(p->buf) || c == arg)
		return keelctl_usage_error(cmd, "bad feature '%s'", arg);
	memcpy(p->buf, arg, (size_t)(c - arg));
	p->buf[c - arg] = '\0';
	p->feature = p->buf;
	p->kind = kind;
	p->weight = (uint32_t)w;
	s->n++;
	return 0;
}

static const char *const kind_names[] = {
	[KEELD_KIND_REQUIRED] = "required", [KEELD_KIND_FORBIDDEN] = "forbidden",
	[KEELD_KIND_PREFERRED] = "preferred", [KEELD_KIND_AVOIDED] = "avoided",
};

/* A template or tenant policy file: {"prefs": [{feature, kind, weight}]}. */
static int load_source(const char *path, struct source *s)
{
	struct json_object *doc, *prefs, *e, *f, *kd, *w;
	const char *kind;
	size_t i, n;
	int k, ret = -EINVAL;

	doc = keelctl_read_json("alloc", path);
	if (!doc)
		return -EINVAL;
	prefs = doc;
	if (json_object_is_type(doc, json_type_object) &&
	    !json_object_object_get_ex(doc, "prefs", &prefs)) {
		fprintf(stderr, "keelctl: alloc: %s: no \"prefs\" list\n", path);
		goto out;
	}
	if (!json_object_is_type(prefs, json_type_array) ||
	    (n = json_object_array_length(prefs)) > MAX_PREFS) {
		fprintf(stderr, "keelctl: alloc: %s: \"prefs\" must be a list of up to %d\n",
			path, MAX_PREFS);
		goto out;
	}
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(prefs, i);
		if (!json_object_object_get_ex(e, "feature", &f) ||
		    !json_object_is_type(f, json_type_string) ||
		    json_object_get_string_len(f) >= 72 ||
		    !json_object_object_get_ex(e, "kind", &kd) ||
		    !json_object_is_type(kd, json_type_string)) {
			fprintf(stderr, "keelctl: alloc: %s: entry %zu needs \"feature\" and "
				"\"kind\" strings\n", path, i + 1);
			goto out;
		}
		kind = json_object_get_string(kd);
		for (k = 0; k < 4 && strcmp(kind, kind_names[k]); k++)
			;
		if (k == 4) {
			fprintf(stderr, "keelctl: alloc: %s: entry %zu: kind '%s' (required, "
				"forbidden, preferred, avoided)\n", path, i + 1, kind);
			goto out;
		}
		snprintf(s->p[s->n].buf, sizeof(s->p[0].buf), "%s", json_object_get_string(f));
		s->p[s->n].feature = s->p[s->n].buf;
		s->p[s->n].kind = (uint8_t)k;
		s->p[s->n].weight = 1;
		if (json_object_object_get_ex(e, "weight", &w)) {
			int64_t v = json_object_get_int64(w);

			if (!json_object_is_type(w, json_type_int) || v < 0 || v > 1000000) {
				fprintf(stderr, "keelctl: alloc: %s: entry %zu: weight 0 to 1000000\n",
					path, i + 1);
				goto out;
			}
			s->p[s->n].weight = (uint32_t)v;
		}
		s->n++;
	}
	ret = 0;
out:
	json_object_put(doc);
	return ret;
}

/* --template takes a file ("-", a path with '/', "*.json") or a name. */
static bool is_file(const char *arg)
{
	size_t n = strlen(arg);

	return !strcmp(arg, "-") || strchr(arg, '/') ||
	       (n >= 5 && !strcmp(arg + n - 5, ".json"));
}

static void put_request(struct nlmsghdr *nlh, const struct req *r)
{
	struct nlattr *a, *n, *s, *p;
	unsigned int i, j;

	a = mnl_attr_nest_start(nlh, KEELD_A_ALLOC);
	mnl_attr_put_strz(nlh, KEELD_ALLOC_A_SERVICE, r->service);
	for (i = 0; i < r->nres; i++) {
		n = mnl_attr_nest_start(nlh, KEELD_ALLOC_A_RES);
		mnl_attr_put_strz(nlh, KEELD_RES_A_DIM, r->res[i].dim);
		mnl_attr_put_u64(nlh, KEELD_RES_A_AMOUNT, r->res[i].amount);
		mnl_attr_nest_end(nlh, n);
	}
	for (i = 0; i < 3; i++) {
		if (!r->has_src[i])
			continue;
		s = mnl_attr_nest_start(nlh, KEELD_ALLOC_A_SOURCE);
		mnl_attr_put_u8(nlh, KEELD_SOURCE_A_KIND, (uint8_t)i);
		for (j = 0; j < r->src[i].n; j++) {
			const struct pref *pr = &r->src[i].p[j];

			p = mnl_attr_nest_start(nlh, KEELD_SOURCE_A_PREF);
			mnl_attr_put_strz(nlh, KEELD_PREF_A_FEATURE, pr->feature);
			mnl_attr_put_u8(nlh, KEELD_PREF_A_KIND, pr->kind);
			mnl_attr_put_u32(nlh, KEELD_PREF_A_WEIGHT, pr->weight);
			mnl_attr_nest_end(nlh, p);
		}
		mnl_attr_nest_end(nlh, s);
	}
	if (r->set_name[KEELD_SOURCE_TEMPLATE])
		mnl_attr_put_strz(nlh, KEELD_ALLOC_A_TEMPLATE,
				  r->set_name[KEELD_SOURCE_TEMPLATE]);
	if (r->set_name[KEELD_SOURCE_POLICY])
		mnl_attr_put_strz(nlh, KEELD_ALLOC_A_TENANT,
				  r->set_name[KEELD_SOURCE_POLICY]);
	if (r->policy >= 0)
		mnl_attr_put_u8(nlh, KEELD_ALLOC_A_POLICY, (uint8_t)r->policy);
	if (r->max_cand >= 0)
		mnl_attr_put_u32(nlh, KEELD_ALLOC_A_MAX_CANDIDATES, (uint32_t)r->max_cand);
	mnl_attr_nest_end(nlh, a);
	if (r->explain)
		mnl_attr_put_u32(nlh, KEELD_A_FLAGS, KEELD_F_EXPLAIN);
}

static int alloc_cb(const struct nlmsghdr *nlh, void *data)
{
	struct kd_alloc *al = data;

	kd_alloc_free(al);
	return kd_alloc_parse(nlh, al) ? MNL_CB_ERROR : MNL_CB_OK;
}

static int do_alloc(struct keelctl *k, struct req *r)
{
	struct kd_alloc al = { 0 };
	char res[RES_TEXT_MAX];
	struct keel_error err;
	struct nlmsghdr *nlh;
	char *buf;
	int rc, ret;

	rc = keelctl_keeld_connect(k);
	if (rc)
		return rc;
	buf = malloc(KEELD_MSG_MAX);
	if (!buf)
		return KEELCTL_EXIT_FAIL;
	nlh = keelctl_keeld_msg(k, buf, KEELD_CMD_ALLOC, 0);
	put_request(nlh, r);
	ret = keelctl_keeld_request(k, nlh, alloc_cb, &al, &err);
	free(buf);
	if (k->json && (al.valid || al.explain)) {
		rc = keelctl_print_json(k, kd_alloc_json(&al));
	} else {
		if (al.explain)
			fputs(al.explain, stdout);
		if (al.valid) {
			kd_res_text(al.res, al.nres, false, res, sizeof(res));
			printf("allocation %" PRIu64 " on host %u (generation %" PRIu64
			       "): %s %s\n", al.id, al.host_id, al.generation,
			       al.service, res);
		}
		fflush(stdout);
	}
	kd_alloc_free(&al);
	if (ret)
		return keelctl_fail("alloc", &err);
	return rc;
}

struct alloc_list {
	struct kd_alloc *v;
	size_t n;
};

static int list_cb(const struct nlmsghdr *nlh, void *data)
{
	struct alloc_list *l = data;
	struct kd_alloc *v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (!v)
		return MNL_CB_ERROR;
	l->v = v;
	if (kd_alloc_parse(nlh, &v[l->n]) || !v[l->n].valid)
		return MNL_CB_ERROR;
	l->n++;
	return MNL_CB_OK;
}

static int print_allocs(struct keelctl *k, struct alloc_list *l, bool one)
{
	static const char *const hdr[] = { "ID", "HOST", "SERVICE", "CREATED",
					   "RESOURCES" };
	char res[RES_TEXT_MAX], when[32];
	struct json_object *arr;
	struct table *t;
	struct tm tm;
	time_t ts;
	size_t i;

	if (k->json) {
		if (one)
			return keelctl_print_json(k, kd_alloc_json(&l->v[0]));
		arr = json_object_new_array();
		for (i = 0; arr && i < l->n; i++)
			json_object_array_add(arr, kd_alloc_json(&l->v[i]));
		return keelctl_print_json(k, arr);
	}
	t = table_new(5, hdr);
	for (i = 0; t && i < l->n; i++) {
		const struct kd_alloc *a = &l->v[i];

		ts = (time_t)a->created;
		gmtime_r(&ts, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		kd_res_text(a->res, a->nres, false, res, sizeof(res));
		if (table_cell(t, "%" PRIu64, a->id) || table_cell(t, "%u", a->host_id) ||
		    table_cell(t, "%s", a->service) || table_cell(t, "%s", when) ||
		    table_cell(t, "%s", res))
			break;
	}
	if (!t || i < l->n) {
		table_free(t);
		fputs("keelctl: alloc: out of memory\n", stderr);
		return KEELCTL_EXIT_FAIL;
	}
	table_print(t, stdout, 0);
	table_free(t);
	return KEELCTL_EXIT_OK;
}

static int parse_id(const char *s, uint64_t *id)
{
	char *end;

	if (*s < '1' || *s > '9')
		return -EINVAL;
	errno = 0;
	*id = strtoull(s, &end, 10);
	return errno || *end ? -EINVAL : 0;
}

static int do_show(struct keelctl *k, const struct keelctl_cmd *cmd,
		   const char *id_arg)
{
	struct alloc_list l = { 0 };
	struct keel_error err;
	struct nlmsghdr *nlh;
	char buf[256];
	uint64_t id = 0;
	size_t i;
	int rc;

	if (id_arg && parse_id(id_arg, &id))
		return keelctl_usage_error(cmd, "bad allocation id '%s'", id_arg);
	rc = keelctl_keeld_connect(k);
	if (rc)
		return rc;
	nlh = keelctl_keeld_msg(k, buf, KEELD_CMD_ALLOC_GET, id_arg ? 0 : NLM_F_DUMP);
	if (id_arg)
		mnl_attr_put_u64(nlh, KEELD_A_ALLOC_ID, id);
	if (keelctl_keeld_request(k, nlh, list_cb, &l, &err))
		rc = keelctl_fail(id_arg ? "alloc show" : "alloc list", &err);
	else
		rc = print_allocs(k, &l, id_arg != NULL);
	for (i = 0; i < l.n; i++)
		kd_alloc_free(&l.v[i]);
	free(l.v);
	return rc;
}

static int parse_num(const char *s, uint64_t max, uint64_t *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return errno || *end || *v > max ? -EINVAL : 0;
}

static int run_alloc(struct keelctl *k, const struct keelctl_cmd *cmd,
		     int argc, char **argv)
{
	static const struct option longopts[] = {
		KEELCTL_LONGOPTS,
		{ "service", required_argument, NULL, O_SERVICE },
		{ "vcpus", required_argument, NULL, O_VCPUS },
		{ "memory", required_argument, NULL, O_MEMORY },
		{ "mirror", required_argument, NULL, O_MIRROR },
		{ "hugepages", required_argument, NULL, O_HUGEPAGES },
		{ "acc", required_argument, NULL, O_ACC },
		{ "res", required_argument, NULL, O_RES },
		{ "require", required_argument, NULL, O_REQUIRE },
		{ "forbid", required_argument, NULL, O_FORBID },
		{ "prefer", required_argument, NULL, O_PREFER },
		{ "avoid", required_argument, NULL, O_AVOID },
		{ "template", required_argument, NULL, O_TEMPLATE },
		{ "tenant-policy", required_argument, NULL, O_TENANT },
		{ "tenant", required_argument, NULL, O_TENANT_NAME },
		{ "policy", required_argument, NULL, O_POLICY },
		{ "max-candidates", required_argument, NULL, O_MAXCAND },
		{ "explain", no_argument, NULL, O_EXPLAIN },
		{ NULL, 0, NULL, 0 }
	};
	static struct req r;
	char dim[80], left[72];
	uint64_t v;
	int c, rc;

	memset(&r, 0, sizeof(r));
	r.policy = -1;
	r.max_cand = -1;
	/* "alloc list" and "alloc show [ID]" */
	if (argc >= 2 && (!strcmp(argv[1], "list") || !strcmp(argv[1], "show"))) {
		bool show = !strcmp(argv[1], "show");

		optind = 2;
		while ((c = keelctl_getopt(k, cmd, argc, argv, KEELCTL_OPTSTRING,
					   longopts, &rc)) != -1) {
			if (c == KEELCTL_OPT_EXIT)
				return rc;
			return keelctl_usage_error(cmd, "option '%s' is for requests",
						   argv[optind - 1]);
		}
		if (argc - optind > (show ? 1 : 0))
			return keelctl_usage_error(cmd, "unexpected argument '%s'",
						   argv[argc - 1]);
		return do_show(k, cmd, optind < argc ? argv[optind] : NULL);
	}
	while ((c = keelctl_getopt(k, cmd, argc, argv, KEELCTL_OPTSTRING, longopts,
				   &rc)) != -1) {
		const char *o = optarg;

		switch (c) {
		case KEELCTL_OPT_EXIT:
			return rc;
		case O_SERVICE:
			r.service = o;
			break;
		case O_VCPUS:
			if (parse_num(o, UINT32_MAX, &v) || !v)
				return keelctl_usage_error(cmd, "bad --vcpus '%s'", o);
			if ((rc = add_res(cmd, &r, "vcpus", v)))
				return rc;
			break;
		case O_MEMORY:
		case O_MIRROR:
			if (kd_size_parse(o, &v) || !v)
				return keelctl_usage_error(cmd, "bad size '%s' (such as 8G)", o);
			if ((rc = add_res(cmd, &r, c == O_MEMORY ? "memory" : "mirror", v)))
				return rc;
			break;
		case O_HUGEPAGES:
		case O_ACC:
			if (split_count(o, left, sizeof(left), &v))
				return keelctl_usage_error(cmd, "bad '%s' (%s)", o,
							   c == O_ACC ? "TYPE:COUNT" : "SIZE:COUNT");
			if (c == O_HUGEPAGES) {
				uint64_t size;

				if (kd_size_parse(left, &size))
					return keelctl_usage_error(cmd, "bad page size '%s'", left);
				snprintf(dim, sizeof(dim), "hp:%" PRIu64, size);
			} else {
				snprintf(dim, sizeof(dim), "acc:%s", left);
			}
			if ((rc = add_res(cmd, &r, dim, v)))
				return rc;
			break;
		case O_RES: {
			const char *eq = strchr(o, '=');

			if (!eq || eq == o || (size_t)(eq - o) >= sizeof(dim) ||
			    kd_size_parse(eq + 1, &v) || !v)
				return keelctl_usage_error(cmd, "bad --res '%s' (DIM=AMOUNT)", o);
			memcpy(dim, o, (size_t)(eq - o));
			dim[eq - o] = '\0';
			if ((rc = add_res(cmd, &r, dim, v)))
				return rc;
			break;
		}
		case O_REQUIRE:
		case O_FORBID:
		case O_PREFER:
		case O_AVOID:
			r.has_src[KEELD_SOURCE_REQUEST] = true;
			rc = add_pref(cmd, &r.src[KEELD_SOURCE_REQUEST], o,
				      (uint8_t)(c - O_REQUIRE), c >= O_PREFER);
			if (rc)
				return rc;
			break;
		case O_TEMPLATE:
		case O_TENANT:
		case O_TENANT_NAME: {
			int i = c == O_TEMPLATE ? KEELD_SOURCE_TEMPLATE : KEELD_SOURCE_POLICY;

			if (r.has_src[i] || r.set_name[i])
				return keelctl_usage_error(cmd, "the %s is given twice",
							   i == KEELD_SOURCE_TEMPLATE ?
							   "template" : "tenant policy");
			if (c == O_TENANT_NAME || (c == O_TEMPLATE && !is_file(o))) {
				r.set_name[i] = o;
				break;
			}
			if (load_source(o, &r.src[i]))
				return KEELCTL_EXIT_FAIL;
			r.has_src[i] = true;
			break;
		}
		case O_POLICY:
			if (!strcmp(o, "pack"))
				r.policy = KEELD_POLICY_PACK;
			else if (!strcmp(o, "spread"))
				r.policy = KEELD_POLICY_SPREAD;
			else if (!strcmp(o, "best-fit"))
				r.policy = KEELD_POLICY_BEST_FIT;
			else
				return keelctl_usage_error(cmd, "unknown policy '%s' "
							   "(pack, spread, best-fit)", o);
			break;
		case O_MAXCAND:
			if (parse_num(o, UINT32_MAX, &v))
				return keelctl_usage_error(cmd, "bad --max-candidates '%s'", o);
			r.max_cand = (int64_t)v;
			break;
		case O_EXPLAIN:
			r.explain = true;
			break;
		default:
			return keelctl_usage_error(cmd, "unknown option");
		}
	}
	if (optind < argc)
		return keelctl_usage_error(cmd, "unexpected argument '%s'", argv[optind]);
	if (!r.service)
		return keelctl_usage_error(cmd, "--service NAME is required");
	return do_alloc(k, &r);
}

const struct keelctl_cmd keelctl_cmd_alloc = {
	.name = "alloc",
	.synopsis = "alloc --service NAME --vcpus N --memory SIZE [REQUEST OPTIONS]\n"
		    "alloc list\n"
		    "alloc show ID",
	.summary = "allocate resources for a virtual appliance service through keeld",
	.help = "keeld merges the feature preferences of the request, the appliance\n"
		"template and the tenant policy (in that priority) into one ordered\n"
		"unified list, prunes its hosts by it feature by feature and places\n"
		"the service on one candidate by policy, atomically. --explain shows\n"
		"the list and the pool size after every step.\n"
		"\n"
		"Template and tenant policy files hold\n"
		"  {\"prefs\": [{\"feature\": \"cpu:rtm\", \"kind\": \"avoided\", \"weight\": 5}]}\n"
		"with kinds required, forbidden, preferred, avoided.\n",
	.options = "  --service NAME        the virtual appliance service\n"
		   "  --vcpus N             vCPUs\n"
		   "  --memory SIZE         memory (such as 8G)\n"
		   "  --mirror SIZE         mirrored memory\n"
		   "  --hugepages SIZE:N    N huge pages of SIZE (such as 2M:512)\n"
		   "  --acc TYPE:N          N accelerators of TYPE (such as gpu:1)\n"
		   "  --res DIM=AMOUNT      any resource by its name\n"
		   "  --require F, --forbid F\n"
		   "                        hard constraints on feature F (ns:name)\n"
		   "  --prefer F[:W], --avoid F[:W]\n"
		   "                        preferences with weight W (default 1)\n"
		   "  --template NAME|FILE  a template stored in keeld (keelctl cloud\n"
		   "                        template), or a file (\"-\", a path with a\n"
		   "                        '/' or a name ending in .json)\n"
		   "  --tenant NAME         a tenant policy stored in keeld\n"
		   "  --tenant-policy FILE  the tenant policy's preferences from a file\n"
		   "  --policy P            pack (default), spread or best-fit\n"
		   "  --max-candidates N    stop pruning at N hosts (0: apply all)\n"
		   "  --explain             show the unified list and every step\n",
	.run = run_alloc,
};

static int run_free(struct keelctl *k, const struct keelctl_cmd *cmd,
		    int argc, char **argv)
{
	static const struct option longopts[] = {
		KEELCTL_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	struct keel_error err;
	struct nlmsghdr *nlh;
	char buf[256];
	uint64_t id;
	int c, rc;

	while ((c = keelctl_getopt(k, cmd, argc, argv, KEELCTL_OPTSTRING, longopts,
				   &rc)) != -1)
		if (c == KEELCTL_OPT_EXIT)
			return rc;
	if (argc - optind != 1)
		return keelctl_usage_error(cmd, "free needs one allocation id");
	if (parse_id(argv[optind], &id))
		return keelctl_usage_error(cmd, "bad allocation id '%s'", argv[optind]);
	rc = keelctl_keeld_connect(k);
	if (rc)
		return rc;
	nlh = keelctl_keeld_msg(k, buf, KEELD_CMD_FREE, 0);
	mnl_attr_put_u64(nlh, KEELD_A_ALLOC_ID, id);
	if (keelctl_keeld_request(k, nlh, NULL, NULL, &err))
		return keelctl_fail("free", &err);
	return KEELCTL_EXIT_OK;
}

const struct keelctl_cmd keelctl_cmd_free = {
	.name = "free",
	.synopsis = "free ID",
	.summary = "release an allocation held by keeld",
	.run = run_free,
};
