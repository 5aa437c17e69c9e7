// SPDX-License-Identifier: GPL-2.0
/*
 * keeld's commands: the policies of their attributes, who may run them,
 * turning attributes into requests for the resource database and the
 * results into reply messages. Every request ends with one NLMSG_ERROR.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keeld.h"
#include "log.h"
#include "prefset.h"
#include "proto.h"
#include "spec.h"

_Static_assert(KEELD_POLICY_PACK == (int)KEELD_PACK &&
	       KEELD_POLICY_SPREAD == (int)KEELD_SPREAD &&
	       KEELD_POLICY_BEST_FIT == (int)KEELD_BEST_FIT, "policies");
_Static_assert(KEELD_SOURCE_REQUEST == (int)KEELD_SRC_REQUEST &&
	       KEELD_SOURCE_TEMPLATE == (int)KEELD_SRC_TEMPLATE &&
	       KEELD_SOURCE_POLICY == (int)KEELD_SRC_POLICY, "sources");
_Static_assert(KEELD_KIND_REQUIRED == (int)KEELD_REQUIRED &&
	       KEELD_KIND_FORBIDDEN == (int)KEELD_FORBIDDEN &&
	       KEELD_KIND_PREFERRED == (int)KEELD_PREFERRED &&
	       KEELD_KIND_AVOIDED == (int)KEELD_AVOIDED, "kinds");

#define EXPLAIN_MAX	32768

static const struct attr_policy top_pol[KEELD_A_MAX + 1] = {
	[KEELD_A_HOST] = { .type = MNL_TYPE_NESTED },
	[KEELD_A_HOST_ID] = { .type = MNL_TYPE_U32 },
	[KEELD_A_ALLOC] = { .type = MNL_TYPE_NESTED },
	[KEELD_A_ALLOC_ID] = { .type = MNL_TYPE_U64 },
	[KEELD_A_FLAGS] = { .type = MNL_TYPE_U32 },
	[KEELD_A_PREFSET] = { .type = MNL_TYPE_NESTED },
};

static const struct attr_policy host_pol[KEELD_HOST_A_MAX + 1] = {
	[KEELD_HOST_A_ID] = { .type = MNL_TYPE_U32 },
	[KEELD_HOST_A_RES] = { .type = MNL_TYPE_NESTED, .multi = true },
	[KEELD_HOST_A_FEATURE] = { .type = MNL_TYPE_NUL_STRING,
				   .maxlen = KEELD_FEAT_NAME_MAX, .multi = true },
};

static const struct attr_policy res_pol[KEELD_RES_A_MAX + 1] = {
	[KEELD_RES_A_DIM] = { .type = MNL_TYPE_NUL_STRING,
			      .maxlen = KEELD_DIM_KEY_MAX - 1 },
	[KEELD_RES_A_AMOUNT] = { .type = MNL_TYPE_U64 },
};

static const struct attr_policy alloc_pol[KEELD_ALLOC_A_MAX + 1] = {
	[KEELD_ALLOC_A_SERVICE] = { .type = MNL_TYPE_NUL_STRING,
				    .maxlen = STORE_SERVICE_MAX },
	[KEELD_ALLOC_A_RES] = { .type = MNL_TYPE_NESTED, .multi = true },
	[KEELD_ALLOC_A_SOURCE] = { .type = MNL_TYPE_NESTED, .multi = true },
	[KEELD_ALLOC_A_POLICY] = { .type = MNL_TYPE_U8 },
	[KEELD_ALLOC_A_MAX_CANDIDATES] = { .type = MNL_TYPE_U32 },
	[KEELD_ALLOC_A_TEMPLATE] = { .type = MNL_TYPE_NUL_STRING,
				     .maxlen = KEELD_PREFSET_NAME_MAX },
	[KEELD_ALLOC_A_TENANT] = { .type = MNL_TYPE_NUL_STRING,
				   .maxlen = KEELD_PREFSET_NAME_MAX },
};

static const struct attr_policy prefset_pol[KEELD_PREFSET_A_MAX + 1] = {
	[KEELD_PREFSET_A_KIND] = { .type = MNL_TYPE_U8 },
	[KEELD_PREFSET_A_NAME] = { .type = MNL_TYPE_NUL_STRING,
				   .maxlen = KEELD_PREFSET_NAME_MAX },
	[KEELD_PREFSET_A_PREF] = { .type = MNL_TYPE_NESTED, .multi = true },
};

static const struct attr_policy source_pol[KEELD_SOURCE_A_MAX + 1] = {
	[KEELD_SOURCE_A_KIND] = { .type = MNL_TYPE_U8 },
	[KEELD_SOURCE_A_PREF] = { .type = MNL_TYPE_NESTED, .multi = true },
};

static const struct attr_policy pref_pol[KEELD_PREF_A_MAX + 1] = {
	[KEELD_PREF_A_FEATURE] = { .type = MNL_TYPE_NUL_STRING,
				   .maxlen = KEELD_FEAT_NAME_MAX },
	[KEELD_PREF_A_KIND] = { .type = MNL_TYPE_U8 },
	[KEELD_PREF_A_WEIGHT] = { .type = MNL_TYPE_U32 },
};

struct ctx {
	struct keeld *kd;
	struct client *cl;
	const struct nlmsghdr *req;
	const struct nlattr *tb[KEELD_A_MAX + 1];
	struct proto_err err;
	struct reply *r;
	bool gone;			/* the client stopped reading */
};

/* Each command: its top-level attributes and whether it changes data. */
struct command {
	const char *name;
	uint32_t attrs;			/* bit per allowed KEELD_A_* */
	bool admin;
	bool dump;			/* accepts NLM_F_DUMP */
	int (*run)(struct ctx *c);
};

static bool send_reply(struct ctx *c)
{
	if (!c->gone && !keeld_send(c->kd, c->cl, c->r->buf, c->r->nlh->nlmsg_len))
		c->gone = true;
	return !c->gone;
}

static int need(struct ctx *c, const struct nlattr *a, const char *what)
{
	if (a)
		return 0;
	return proto_fail(&c->err, -EINVAL, NULL, "missing %s", what);
}

/* ---- replies ---- */

static void put_res(struct nlmsghdr *nlh, uint16_t type,
		    const struct store_res *res, bool used)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);

	mnl_attr_put_strz(nlh, KEELD_RES_A_DIM, res->dim);
	mnl_attr_put_u64(nlh, KEELD_RES_A_AMOUNT, res->amount);
	if (used)
		mnl_attr_put_u64(nlh, KEELD_RES_A_USED, res->used);
	mnl_attr_nest_end(nlh, n);
}

static int put_host(struct ctx *c, const struct store_host *h)
{
	struct nlmsghdr *nlh = reply_start(c->r, c->req, KEELD_CMD_HOST_GET);
	const char *f = h->features, *end;
	char name[KEELD_FEAT_NAME_MAX + 1];
	struct nlattr *n;
	unsigned int i;

	n = mnl_attr_nest_start(nlh, KEELD_A_HOST);
	mnl_attr_put_u32(nlh, KEELD_HOST_A_ID, h->id);
	mnl_attr_put_u64(nlh, KEELD_HOST_A_GENERATION, h->generation);
	mnl_attr_put_u32(nlh, KEELD_HOST_A_NALLOCS, h->nallocs);
	for (i = 0; i < h->nres; i++)
		put_res(nlh, KEELD_HOST_A_RES, &h->res[i], true);
	while (f && *f) {
		end = strchrnul(f, ' ');
		if (end - f > 0 && end - f <= KEELD_FEAT_NAME_MAX &&
		    reply_room(c->r, (size_t)(end - f) + 8)) {
			memcpy(name, f, (size_t)(end - f));
			name[end - f] = '\0';
			mnl_attr_put_strz(nlh, KEELD_HOST_A_FEATURE, name);
		}
		f = *end ? end + 1 : end;
	}
	mnl_attr_nest_end(nlh, n);
	return send_reply(c) ? 0 : -EPIPE;
}

static void put_alloc(struct nlmsghdr *nlh, const struct store_alloc *a,
		      uint64_t generation)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, KEELD_A_ALLOC);
	unsigned int i;

	mnl_attr_put_u64(nlh, KEELD_ALLOC_A_ID, a->id);
	mnl_attr_put_u32(nlh, KEELD_ALLOC_A_HOST_ID, a->host_id);
	if (generation)
		mnl_attr_put_u64(nlh, KEELD_ALLOC_A_GENERATION, generation);
	mnl_attr_put_strz(nlh, KEELD_ALLOC_A_SERVICE, a->service);
	mnl_attr_put_u64(nlh, KEELD_ALLOC_A_CREATED, a->created);
	for (i = 0; i < a->nres; i++)
		put_res(nlh, KEELD_ALLOC_A_RES, &a->res[i], false);
	mnl_attr_nest_end(nlh, n);
}

static int store_err(struct ctx *c, int ret)
{
	/* The store's own refusals are for the user; its trouble the log's. */
	if (ret == -ENOENT || ret == -EBUSY || ret == -EEXIST)
		return proto_fail(&c->err, ret, NULL, "%s",
				  store_error(c->kd->cloud.store));
	keeld_log(LOG_ERR, "database: %s", store_error(c->kd->cloud.store));
	return proto_fail(&c->err, ret, NULL,
			  "keeld's database failed (keeld's log has the cause: journalctl -u keeld)");
}

/* ---- reads ---- */

static int host_cb(const struct store_host *h, void *data)
{
	return put_host(data, h);
}

static int cmd_host_get(struct ctx *c)
{
	const struct nlattr *id = c->tb[KEELD_A_HOST_ID];
	int ret;

	if (c->req->nlmsg_flags & NLM_F_DUMP) {
		if (id)
			return proto_fail(&c->err, -EINVAL, id,
					  "a dump lists every host: no host id");
		ret = store_hosts(c->kd->cloud.store, -1, host_cb, c);
	} else {
		if ((ret = need(c, id, "host id (or NLM_F_DUMP)")))
			return ret;
		ret = store_hosts(c->kd->cloud.store, mnl_attr_get_u32(id),
				  host_cb, c);
		if (ret == -ENOENT)
			return proto_fail(&c->err, ret, id, "no host %u",
					  mnl_attr_get_u32(id));
	}
	return ret == -EPIPE ? ret : ret ? store_err(c, ret) : 0;
}

static int alloc_cb(const struct store_alloc *a, void *data)
{
	struct ctx *c = data;

	put_alloc(reply_start(c->r, c->req, KEELD_CMD_ALLOC_GET), a, 0);
	return send_reply(c) ? 0 : -EPIPE;
}

static int cmd_alloc_get(struct ctx *c)
{
	const struct nlattr *id = c->tb[KEELD_A_ALLOC_ID];
	int ret;

	if (c->req->nlmsg_flags & NLM_F_DUMP) {
		if (id)
			return proto_fail(&c->err, -EINVAL, id,
					  "a dump lists every allocation: no id");
		ret = store_allocs(c->kd->cloud.store, 0, alloc_cb, c);
	} else {
		if ((ret = need(c, id, "allocation id (or NLM_F_DUMP)")))
			return ret;
		if (!mnl_attr_get_u64(id))
			return proto_fail(&c->err, -EINVAL, id, "allocation id 0");
		ret = store_allocs(c->kd->cloud.store, mnl_attr_get_u64(id),
				   alloc_cb, c);
		if (ret == -ENOENT)
			return proto_fail(&c->err, ret, id, "no allocation %llu",
					  (unsigned long long)mnl_attr_get_u64(id));
	}
	return ret == -EPIPE ? ret : ret ? store_err(c, ret) : 0;
}

/* ---- changes ---- */

static int parse_res(struct ctx *c, const struct nlattr *parent, uint16_t type,
		     struct store_res *res, unsigned int *nres)
{
	const struct nlattr *tb[KEELD_RES_A_MAX + 1], *a;
	int ret;

	*nres = 0;
	mnl_attr_for_each_nested(a, parent) {
		if (mnl_attr_get_type(a) != type)
			continue;
		if (*nres == STORE_MAX_RES)
			return proto_fail(&c->err, -E2BIG, a,
					  "more than %d resources", STORE_MAX_RES);
		ret = proto_parse_nest(a, res_pol, KEELD_RES_A_MAX, tb, &c->err);
		if (ret)
			return ret;
		if (!tb[KEELD_RES_A_DIM] || !tb[KEELD_RES_A_AMOUNT])
			return proto_fail(&c->err, -EINVAL, a,
					  "a resource needs a dimension and an amount");
		snprintf(res[*nres].dim, sizeof(res[*nres].dim), "%s",
			 mnl_attr_get_str(tb[KEELD_RES_A_DIM]));
		res[*nres].amount = mnl_attr_get_u64(tb[KEELD_RES_A_AMOUNT]);
		res[(*nres)++].used = 0;
	}
	return 0;
}

static int cmd_host_add(struct ctx *c)
{
	const struct nlattr *tb[KEELD_HOST_A_MAX + 1], *a;
	const struct nlattr *host = c->tb[KEELD_A_HOST];
	struct store_host h = { 0 };
	struct keeld_err err = { 0 };
	char *features, *p;
	size_t n = 0;
	int ret;

	if ((ret = need(c, host, "host")))
		return ret;
	ret = proto_parse_nest(host, host_pol, KEELD_HOST_A_MAX, tb, &c->err);
	if (ret)
		return ret;
	if ((ret = need(c, tb[KEELD_HOST_A_ID], "host id")))
		return ret;
	h.id = mnl_attr_get_u32(tb[KEELD_HOST_A_ID]);
	ret = parse_res(c, host, KEELD_HOST_A_RES, h.res, &h.nres);
	if (ret)
		return ret;
	p = features = malloc(KEELD_MAX_HOST_FEATURES * (KEELD_FEAT_NAME_MAX + 1) + 1);
	if (!features)
		return proto_fail(&c->err, -ENOMEM, NULL, "out of memory");
	*p = '\0';
	mnl_attr_for_each_nested(a, host) {
		if (mnl_attr_get_type(a) != KEELD_HOST_A_FEATURE)
			continue;
		if (!keeld_feature_name_ok(mnl_attr_get_str(a))) {
			ret = proto_fail(&c->err, -EINVAL, a, "bad feature name '%s'",
					 mnl_attr_get_str(a));
			goto out;
		}
		if (++n > KEELD_MAX_HOST_FEATURES) {
			ret = proto_fail(&c->err, -E2BIG, a, "more than %d features",
					 KEELD_MAX_HOST_FEATURES);
			goto out;
		}
		p += sprintf(p, "%s%s", p == features ? "" : " ",
			     mnl_attr_get_str(a));
	}
	h.features = features;
	ret = cloud_host_add(&c->kd->cloud, &h, &err);
	if (ret) {
		proto_fail(&c->err, ret, NULL, "%s", err.msg);
		goto out;
	}
	ret = store_hosts(c->kd->cloud.store, h.id, host_cb, c);
	if (ret && ret != -EPIPE)
		ret = store_err(c, ret);
out:
	free(features);
	return ret;
}

static int cmd_host_del(struct ctx *c)
{
	const struct nlattr *id = c->tb[KEELD_A_HOST_ID];
	struct keeld_err err = { 0 };
	int ret;

	if ((ret = need(c, id, "host id")))
		return ret;
	if (c->kd->local && mnl_attr_get_u32(id) == c->kd->local_id &&
	    c->kd->local_fd >= 0)
		return proto_fail(&c->err, -EPERM, id,
				  "host %u is this keeld's own host, kept from keel.ko",
				  c->kd->local_id);
	ret = cloud_host_del(&c->kd->cloud, mnl_attr_get_u32(id), &err);
	if (ret)
		return proto_fail(&c->err, ret, id, "%s", err.msg);
	return 0;
}

struct alloc_req {
	struct cloud_request cr;
	struct store_res res[STORE_MAX_RES];
	struct keeld_pref_source src[KEELD_MAX_SOURCES];
	struct keeld_pref prefs[KEELD_MAX_SOURCES][KEELD_MAX_SOURCE_PREFS];
	struct prefset sets[2];		/* a template and a policy by name */
	struct res_buf rb;
	struct keeld_unified u;
	struct keeld_trace trace;
};

static bool service_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("_.:@+-", *s)))
			return false;
	return true;
}

/* The preferences (attributes @type in @nest) into @prefs, *@n of them. */
static int parse_prefs(struct ctx *c, const struct nlattr *nest, uint16_t type,
		       struct keeld_pref *prefs, size_t *n)
{
	const struct nlattr *pt[KEELD_PREF_A_MAX + 1], *a;
	int ret;

	*n = 0;
	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) != type)
			continue;
		if (*n == KEELD_MAX_SOURCE_PREFS)
			return proto_fail(&c->err, -E2BIG, a,
					  "more than %d preferences in one source",
					  KEELD_MAX_SOURCE_PREFS);
		ret = proto_parse_nest(a, pref_pol, KEELD_PREF_A_MAX, pt, &c->err);
		if (ret)
			return ret;
		if (!pt[KEELD_PREF_A_FEATURE] || !pt[KEELD_PREF_A_KIND] ||
		    mnl_attr_get_u8(pt[KEELD_PREF_A_KIND]) > KEELD_KIND_AVOIDED)
			return proto_fail(&c->err, -EINVAL, a,
					  "a preference needs a feature and a kind");
		prefs[*n].feature = mnl_attr_get_str(pt[KEELD_PREF_A_FEATURE]);
		prefs[*n].kind = (enum keeld_kind)mnl_attr_get_u8(pt[KEELD_PREF_A_KIND]);
		prefs[*n].weight = pt[KEELD_PREF_A_WEIGHT] ?
			mnl_attr_get_u32(pt[KEELD_PREF_A_WEIGHT]) : 1;
		(*n)++;
	}
	return 0;
}

static int parse_source(struct ctx *c, const struct nlattr *nest,
			struct keeld_pref_source *src, struct keeld_pref *prefs)
{
	const struct nlattr *tb[KEELD_SOURCE_A_MAX + 1];
	int ret;

	ret = proto_parse_nest(nest, source_pol, KEELD_SOURCE_A_MAX, tb, &c->err);
	if (ret)
		return ret;
	if (!tb[KEELD_SOURCE_A_KIND] ||
	    mnl_attr_get_u8(tb[KEELD_SOURCE_A_KIND]) > KEELD_SOURCE_POLICY)
		return proto_fail(&c->err, -EINVAL, nest,
				  "a source needs a kind: request, template or policy");
	src->source = (enum keeld_source)mnl_attr_get_u8(tb[KEELD_SOURCE_A_KIND]);
	src->prefs = prefs;
	return parse_prefs(c, nest, KEELD_SOURCE_A_PREF, prefs, &src->n);
}

static const char *set_kind(int kind)
{
	return kind == KEELD_SOURCE_TEMPLATE ? "template" : "tenant policy";
}

/* A stored set into @data (a struct prefset); -EIO when damaged. */
static int load_set_cb(int kind, const char *name, const char *prefs, void *data)
{
	(void)kind;
	(void)name;
	return prefset_decode(prefs, data) ? -EIO : 0;
}

/*
 * The stored set named by @attr as source @kind of the request: after
 * the sources the request sent itself (*@n of them), never beside one
 * of the same kind.
 */
static int resolve_set(struct ctx *c, const struct nlattr *attr,
		       enum keeld_source kind, struct keeld_pref_source *src,
		       size_t *n, struct prefset *ps)
{
	const char *name = mnl_attr_get_str(attr);
	size_t j;
	int ret;

	for (j = 0; j < *n; j++)
		if (src[j].source == kind)
			return proto_fail(&c->err, -EINVAL, attr,
					  "the %s is given twice: by name and by its preferences",
					  set_kind((int)kind));
	if (!prefset_name_ok(name))
		return proto_fail(&c->err, -EINVAL, attr, "bad %s name '%s'",
				  set_kind((int)kind), name);
	if (*n == KEELD_MAX_SOURCES)
		return proto_fail(&c->err, -E2BIG, attr, "more than %d sources",
				  KEELD_MAX_SOURCES);
	ret = store_prefsets(c->kd->cloud.store, (int)kind, name, load_set_cb, ps);
	if (ret == -ENOENT)
		return proto_fail(&c->err, ret, attr, "no %s '%s'",
				  set_kind((int)kind), name);
	if (ret == -EIO)
		return proto_fail(&c->err, ret, attr, "the stored %s '%s' is damaged",
				  set_kind((int)kind), name);
	if (ret)
		return store_err(c, ret);
	src[*n].source = kind;
	src[*n].prefs = ps->prefs;
	src[*n].n = ps->n;
	(*n)++;
	return 0;
}

static void send_explain(struct ctx *c, const struct alloc_req *ar,
			 const struct store_alloc *out, uint64_t gen)
{
	struct nlmsghdr *nlh = reply_start(c->r, c->req, KEELD_CMD_ALLOC);
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (out)
		put_alloc(nlh, out, gen);
	if (c->tb[KEELD_A_FLAGS] &&
	    (mnl_attr_get_u32(c->tb[KEELD_A_FLAGS]) & KEELD_F_EXPLAIN)) {
		f = open_memstream(&text, &len);
		if (f) {
			keeld_explain(f, &ar->u, &ar->trace);
			fclose(f);
		}
		if (text && len > EXPLAIN_MAX)
			strcpy(text + EXPLAIN_MAX - 5, "...\n");
		if (text && reply_room(c->r, strlen(text) + 1))
			mnl_attr_put_strz(nlh, KEELD_A_EXPLAIN, text);
		free(text);
	}
	if (out || mnl_nlmsg_get_payload_len(nlh) > GENL_HDRLEN)
		send_reply(c);
}

static int cmd_alloc(struct ctx *c)
{
	const struct nlattr *tb[KEELD_ALLOC_A_MAX + 1], *a;
	const struct nlattr *alloc = c->tb[KEELD_A_ALLOC];
	const struct nlattr *flags = c->tb[KEELD_A_FLAGS];
	struct keeld_err err = { 0 };
	struct store_alloc out;
	struct alloc_req *ar;
	uint64_t gen = 0;
	unsigned int i;
	size_t nsrc;
	int ret;

	if ((ret = need(c, alloc, "allocation request")))
		return ret;
	if (flags && (mnl_attr_get_u32(flags) & ~KEELD_F_ALL))
		return proto_fail(&c->err, -EINVAL, flags, "unknown flags 0x%x",
				  mnl_attr_get_u32(flags) & ~KEELD_F_ALL);
	ret = proto_parse_nest(alloc, alloc_pol, KEELD_ALLOC_A_MAX, tb, &c->err);
	if (ret)
		return ret;
	if ((ret = need(c, tb[KEELD_ALLOC_A_SERVICE], "service name")))
		return ret;
	if (!service_ok(mnl_attr_get_str(tb[KEELD_ALLOC_A_SERVICE])))
		return proto_fail(&c->err, -EINVAL, tb[KEELD_ALLOC_A_SERVICE],
				  "bad service name (letters, digits, _.:@+-)");
	ar = calloc(1, sizeof(*ar));
	if (!ar)
		return proto_fail(&c->err, -ENOMEM, NULL, "out of memory");
	ret = parse_res(c, alloc, KEELD_ALLOC_A_RES, ar->res, &ar->cr.nres);
	if (ret)
		goto out;
	ret = spec_resources(ar->res, ar->cr.nres, &ar->rb, "request", &err);
	if (ret) {
		proto_fail(&c->err, ret, NULL, "%s", err.msg);
		goto out;
	}
	ar->cr.req.res = ar->rb.r;
	i = 0;
	mnl_attr_for_each_nested(a, alloc) {
		if (mnl_attr_get_type(a) != KEELD_ALLOC_A_SOURCE)
			continue;
		if (i == KEELD_MAX_SOURCES) {
			ret = proto_fail(&c->err, -E2BIG, a, "more than %d sources",
					 KEELD_MAX_SOURCES);
			goto out;
		}
		ret = parse_source(c, a, &ar->src[i], ar->prefs[i]);
		if (ret)
			goto out;
		i++;
	}
	nsrc = i;
	if (tb[KEELD_ALLOC_A_TEMPLATE]) {
		ret = resolve_set(c, tb[KEELD_ALLOC_A_TEMPLATE], KEELD_SRC_TEMPLATE,
				  ar->src, &nsrc, &ar->sets[0]);
		if (ret)
			goto out;
	}
	if (tb[KEELD_ALLOC_A_TENANT]) {
		ret = resolve_set(c, tb[KEELD_ALLOC_A_TENANT], KEELD_SRC_POLICY,
				  ar->src, &nsrc, &ar->sets[1]);
		if (ret)
			goto out;
	}
	ar->cr.req.sources = ar->src;
	ar->cr.req.nsources = nsrc;
	ar->cr.req.policy = KEELD_PACK;
	if (tb[KEELD_ALLOC_A_POLICY]) {
		if (mnl_attr_get_u8(tb[KEELD_ALLOC_A_POLICY]) > KEELD_POLICY_BEST_FIT) {
			ret = proto_fail(&c->err, -EINVAL, tb[KEELD_ALLOC_A_POLICY],
					 "unknown policy %u",
					 mnl_attr_get_u8(tb[KEELD_ALLOC_A_POLICY]));
			goto out;
		}
		ar->cr.req.policy = (enum keeld_policy)mnl_attr_get_u8(tb[KEELD_ALLOC_A_POLICY]);
	}
	if (tb[KEELD_ALLOC_A_MAX_CANDIDATES])
		ar->cr.req.max_candidates = mnl_attr_get_u32(tb[KEELD_ALLOC_A_MAX_CANDIDATES]);
	ar->cr.service = mnl_attr_get_str(tb[KEELD_ALLOC_A_SERVICE]);
	ar->cr.res = ar->res;

	ret = cloud_alloc(&c->kd->cloud, &ar->cr, &out, &gen, &ar->u, &ar->trace,
			  &err);
	if (ret) {
		proto_fail(&c->err, ret, NULL, "%s", err.msg);
		send_explain(c, ar, NULL, 0);
		goto out;
	}
	send_explain(c, ar, &out, gen);
out:
	free(ar);
	return ret;
}

static int cmd_free(struct ctx *c)
{
	const struct nlattr *id = c->tb[KEELD_A_ALLOC_ID];
	struct keeld_err err = { 0 };
	uint32_t host;
	int ret;

	if ((ret = need(c, id, "allocation id")))
		return ret;
	if (!mnl_attr_get_u64(id))
		return proto_fail(&c->err, -EINVAL, id, "allocation id 0");
	ret = cloud_free(&c->kd->cloud, mnl_attr_get_u64(id), &host, &err);
	if (ret)
		return proto_fail(&c->err, ret, id, "%s", err.msg);
	return 0;
}

/* ---- named preference sets ---- */

static int put_set_cb(int kind, const char *name, const char *prefs, void *data)
{
	struct ctx *c = data;
	struct nlmsghdr *nlh = reply_start(c->r, c->req, KEELD_CMD_PREFSET_GET);
	struct nlattr *n, *p;
	struct prefset *ps = malloc(sizeof(*ps));
	size_t i;

	if (!ps)
		return -ENOMEM;
	if (prefset_decode(prefs, ps)) {
		free(ps);
		return proto_fail(&c->err, -EIO, NULL, "the stored %s '%s' is damaged",
				  set_kind(kind), name);
	}
	n = mnl_attr_nest_start(nlh, KEELD_A_PREFSET);
	mnl_attr_put_u8(nlh, KEELD_PREFSET_A_KIND, (uint8_t)kind);
	mnl_attr_put_strz(nlh, KEELD_PREFSET_A_NAME, name);
	for (i = 0; i < ps->n; i++) {
		p = mnl_attr_nest_start(nlh, KEELD_PREFSET_A_PREF);
		mnl_attr_put_strz(nlh, KEELD_PREF_A_FEATURE, ps->prefs[i].feature);
		mnl_attr_put_u8(nlh, KEELD_PREF_A_KIND, (uint8_t)ps->prefs[i].kind);
		mnl_attr_put_u32(nlh, KEELD_PREF_A_WEIGHT, ps->prefs[i].weight);
		mnl_attr_nest_end(nlh, p);
	}
	mnl_attr_nest_end(nlh, n);
	free(ps);
	return send_reply(c) ? 0 : -EPIPE;
}

/*
 * The KEELD_A_PREFSET of a request: its kind, and its name unless it
 * is a dump's (which names none).
 */
static int parse_set(struct ctx *c, const struct nlattr **tb, bool named,
		     int *kind, const char **name)
{
	const struct nlattr *set = c->tb[KEELD_A_PREFSET];
	int ret;

	if ((ret = need(c, set, "preference set")))
		return ret;
	ret = proto_parse_nest(set, prefset_pol, KEELD_PREFSET_A_MAX, tb, &c->err);
	if (ret)
		return ret;
	if (!tb[KEELD_PREFSET_A_KIND] ||
	    (mnl_attr_get_u8(tb[KEELD_PREFSET_A_KIND]) != KEELD_SOURCE_TEMPLATE &&
	     mnl_attr_get_u8(tb[KEELD_PREFSET_A_KIND]) != KEELD_SOURCE_POLICY))
		return proto_fail(&c->err, -EINVAL, set,
				  "a preference set needs a kind: template or policy");
	*kind = mnl_attr_get_u8(tb[KEELD_PREFSET_A_KIND]);
	*name = NULL;
	if (!named) {
		if (tb[KEELD_PREFSET_A_NAME])
			return proto_fail(&c->err, -EINVAL, tb[KEELD_PREFSET_A_NAME],
					  "a dump lists every set of a kind: no name");
		return 0;
	}
	if ((ret = need(c, tb[KEELD_PREFSET_A_NAME], "name")))
		return ret;
	*name = mnl_attr_get_str(tb[KEELD_PREFSET_A_NAME]);
	if (!prefset_name_ok(*name))
		return proto_fail(&c->err, -EINVAL, tb[KEELD_PREFSET_A_NAME],
				  "bad %s name '%s' (letters, digits, _.:@+-)",
				  set_kind(*kind), *name);
	return 0;
}

static int set_store_err(struct ctx *c, int ret, const struct nlattr **tb,
			 int kind, const char *name)
{
	if (ret == -ENOENT)
		return proto_fail(&c->err, ret, tb[KEELD_PREFSET_A_NAME],
				  "no %s '%s'", set_kind(kind), name);
	if (ret == -EEXIST)
		return proto_fail(&c->err, ret, tb[KEELD_PREFSET_A_NAME],
				  "%s '%s' exists", set_kind(kind), name);
	return ret == -EPIPE || c->err.code ? ret : store_err(c, ret);
}

static int cmd_prefset_get(struct ctx *c)
{
	const struct nlattr *tb[KEELD_PREFSET_A_MAX + 1];
	bool dump = c->req->nlmsg_flags & NLM_F_DUMP;
	const char *name;
	int kind, ret;

	ret = parse_set(c, tb, !dump, &kind, &name);
	if (ret)
		return ret;
	if (!dump && tb[KEELD_PREFSET_A_PREF])
		return proto_fail(&c->err, -EINVAL, tb[KEELD_PREFSET_A_PREF],
				  "a lookup takes a kind and a name only");
	ret = store_prefsets(c->kd->cloud.store, kind, name, put_set_cb, c);
	return ret ? set_store_err(c, ret, tb, kind, name) : 0;
}

static int cmd_prefset_add(struct ctx *c)
{
	const struct nlattr *tb[KEELD_PREFSET_A_MAX + 1];
	struct keeld_pref prefs[KEELD_MAX_SOURCE_PREFS];
	struct keeld_pref_source src;
	struct keeld_err err = { 0 };
	const char *name;
	char *text;
	int kind, ret;

	ret = parse_set(c, tb, true, &kind, &name);
	if (ret)
		return ret;
	src.source = (enum keeld_source)kind;
	src.prefs = prefs;
	ret = parse_prefs(c, c->tb[KEELD_A_PREFSET], KEELD_PREFSET_A_PREF, prefs,
			  &src.n);
	if (ret)
		return ret;
	if (!src.n)
		return proto_fail(&c->err, -EINVAL, c->tb[KEELD_A_PREFSET],
				  "a %s needs at least one preference", set_kind(kind));
	ret = prefset_check(&src, &err);
	if (ret)
		return proto_fail(&c->err, ret, c->tb[KEELD_A_PREFSET], "%s",
				  err.msg);
	text = malloc(PREFSET_TEXT_MAX);
	if (!text)
		return proto_fail(&c->err, -ENOMEM, NULL, "out of memory");
	prefset_encode(prefs, src.n, text);
	ret = store_prefset_add(c->kd->cloud.store, kind, name, text);
	free(text);
	if (!ret)
		ret = store_prefsets(c->kd->cloud.store, kind, name, put_set_cb, c);
	return ret ? set_store_err(c, ret, tb, kind, name) : 0;
}

static int cmd_prefset_del(struct ctx *c)
{
	const struct nlattr *tb[KEELD_PREFSET_A_MAX + 1];
	const char *name;
	int kind, ret;

	ret = parse_set(c, tb, true, &kind, &name);
	if (ret)
		return ret;
	if (tb[KEELD_PREFSET_A_PREF])
		return proto_fail(&c->err, -EINVAL, tb[KEELD_PREFSET_A_PREF],
				  "removing takes a kind and a name only");
	ret = store_prefset_del(c->kd->cloud.store, kind, name);
	return ret ? set_store_err(c, ret, tb, kind, name) : 0;
}

#define A(x)	(1u << (x))

static const struct command commands[KEELD_CMD_MAX + 1] = {
	[KEELD_CMD_HOST_GET] = { "host get", A(KEELD_A_HOST_ID), false, true,
				 cmd_host_get },
	[KEELD_CMD_HOST_ADD] = { "host add", A(KEELD_A_HOST), true, false,
				 cmd_host_add },
	[KEELD_CMD_HOST_DEL] = { "host remove", A(KEELD_A_HOST_ID), true, false,
				 cmd_host_del },
	[KEELD_CMD_ALLOC] = { "alloc", A(KEELD_A_ALLOC) | A(KEELD_A_FLAGS), true,
			      false, cmd_alloc },
	[KEELD_CMD_FREE] = { "free", A(KEELD_A_ALLOC_ID), true, false, cmd_free },
	[KEELD_CMD_ALLOC_GET] = { "alloc get", A(KEELD_A_ALLOC_ID), false, true,
				  cmd_alloc_get },
	[KEELD_CMD_PREFSET_GET] = { "template/policy get", A(KEELD_A_PREFSET), false,
				    true, cmd_prefset_get },
	[KEELD_CMD_PREFSET_ADD] = { "template/policy add", A(KEELD_A_PREFSET), true,
				    false, cmd_prefset_add },
	[KEELD_CMD_PREFSET_DEL] = { "template/policy remove", A(KEELD_A_PREFSET),
				    true, false, cmd_prefset_del },
};

void keeld_handle(struct keeld *kd, struct client *cl, const void *buf,
		  size_t len)
{
	static struct reply r;
	char ack[512];
	struct ctx c = { .kd = kd, .cl = cl, .r = &r };
	const struct command *cmd;
	const struct genlmsghdr *g;
	unsigned int t;
	int ret;

	ret = proto_check_request(buf, len, &c.err);
	if (len >= NLMSG_HDRLEN)
		c.req = buf;
	if (ret)
		goto done;
	g = mnl_nlmsg_get_payload(c.req);
	cmd = &commands[g->cmd];
	ret = proto_parse((const char *)g + GENL_HDRLEN,
			  mnl_nlmsg_get_payload_len(c.req) - GENL_HDRLEN,
			  top_pol, KEELD_A_MAX, c.tb, &c.err);
	if (ret)
		goto done;
	for (t = 0; t <= KEELD_A_MAX; t++)
		if (c.tb[t] && !(cmd->attrs & A(t))) {
			ret = proto_fail(&c.err, -EINVAL, c.tb[t],
					 "attribute %u is not used by %s", t,
					 cmd->name);
			goto done;
		}
	if ((c.req->nlmsg_flags & NLM_F_DUMP) && !cmd->dump) {
		ret = proto_fail(&c.err, -EOPNOTSUPP, NULL, "%s cannot dump",
				 cmd->name);
		goto done;
	}
	if (cmd->admin && !cl->admin) {
		ret = proto_fail(&c.err, -EPERM, NULL,
				 "%s changes the database: needs root or the admin group",
				 cmd->name);
		goto done;
	}
	ret = cmd->run(&c);
done:
	if (c.gone || ret == -EPIPE)
		return;
	len = proto_ack(ack, c.req, ret, ret ? c.err.msg : NULL,
			ret ? c.err.attr : NULL);
	keeld_send(kd, cl, ack, len);
}
