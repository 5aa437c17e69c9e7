// SPDX-License-Identifier: GPL-2.0
/*
 * keeld's replies in keelctl: decoding hosts and allocations from
 * messages, their JSON form (the schema of keelctl -j), their resources
 * as text, and sizes given on the command line or in JSON ("8G").
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <linux/genetlink.h>

#include "keelctl.h"

static const enum mnl_attr_data_type top_pol[KEELD_A_MAX + 1] = {
	[KEELD_A_HOST] = MNL_TYPE_NESTED,
	[KEELD_A_ALLOC] = MNL_TYPE_NESTED,
	[KEELD_A_EXPLAIN] = MNL_TYPE_NUL_STRING,
};

static const enum mnl_attr_data_type host_pol[KEELD_HOST_A_MAX + 1] = {
	[KEELD_HOST_A_ID] = MNL_TYPE_U32,
	[KEELD_HOST_A_GENERATION] = MNL_TYPE_U64,
	[KEELD_HOST_A_NALLOCS] = MNL_TYPE_U32,
};

static const enum mnl_attr_data_type res_pol[KEELD_RES_A_MAX + 1] = {
	[KEELD_RES_A_DIM] = MNL_TYPE_NUL_STRING,
	[KEELD_RES_A_AMOUNT] = MNL_TYPE_U64,
	[KEELD_RES_A_USED] = MNL_TYPE_U64,
};

static const enum mnl_attr_data_type alloc_pol[KEELD_ALLOC_A_MAX + 1] = {
	[KEELD_ALLOC_A_ID] = MNL_TYPE_U64,
	[KEELD_ALLOC_A_HOST_ID] = MNL_TYPE_U32,
	[KEELD_ALLOC_A_GENERATION] = MNL_TYPE_U64,
	[KEELD_ALLOC_A_SERVICE] = MNL_TYPE_NUL_STRING,
	[KEELD_ALLOC_A_CREATED] = MNL_TYPE_U64,
};

int kd_size_parse(const char *s, uint64_t *v)
{
	unsigned long long n;
	unsigned int shift = 0;
	char *end;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	n = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*end == 'i' && shift)
		end++;
	if (*end == 'B' && shift)
		end++;
	if (*end || (shift && n > (UINT64_MAX >> shift)))
		return -EINVAL;
	*v = (uint64_t)n << shift;
	return 0;
}

static int parse_res(const struct nlattr *nest, struct kd_res *r)
{
	const struct nlattr *tb[KEELD_RES_A_MAX + 1];

	if (keel_attr_parse_nested(nest, res_pol, KEELD_RES_A_MAX, tb) ||
	    !tb[KEELD_RES_A_DIM] || !tb[KEELD_RES_A_AMOUNT])
		return -EPROTO;
	snprintf(r->dim, sizeof(r->dim), "%s", mnl_attr_get_str(tb[KEELD_RES_A_DIM]));
	r->amount = mnl_attr_get_u64(tb[KEELD_RES_A_AMOUNT]);
	r->used = tb[KEELD_RES_A_USED] ? mnl_attr_get_u64(tb[KEELD_RES_A_USED]) : 0;
	return 0;
}

int kd_host_parse(const struct nlmsghdr *nlh, struct kd_host *h)
{
	const struct nlattr *tb[KEELD_A_MAX + 1], *ht[KEELD_HOST_A_MAX + 1], *a;
	char **f;

	memset(h, 0, sizeof(*h));
	if (keel_attr_parse_msg(nlh, top_pol, KEELD_A_MAX, tb) || !tb[KEELD_A_HOST] ||
	    keel_attr_parse_nested(tb[KEELD_A_HOST], host_pol, KEELD_HOST_A_MAX, ht) ||
	    !ht[KEELD_HOST_A_ID])
		return -EPROTO;
	h->id = mnl_attr_get_u32(ht[KEELD_HOST_A_ID]);
	if (ht[KEELD_HOST_A_GENERATION])
		h->generation = mnl_attr_get_u64(ht[KEELD_HOST_A_GENERATION]);
	if (ht[KEELD_HOST_A_NALLOCS])
		h->nallocs = mnl_attr_get_u32(ht[KEELD_HOST_A_NALLOCS]);
	mnl_attr_for_each_nested(a, tb[KEELD_A_HOST]) {
		switch (mnl_attr_get_type(a)) {
		case KEELD_HOST_A_RES:
			if (h->nres == KD_MAX_RES || parse_res(a, &h->res[h->nres++]))
				return -EPROTO;
			break;
		case KEELD_HOST_A_FEATURE:
			if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING))
				return -EPROTO;
			f = realloc(h->features, (h->nfeatures + 1) * sizeof(*f));
			if (!f)
				return -ENOMEM;
			h->features = f;
			f[h->nfeatures] = strdup(mnl_attr_get_str(a));
			if (!f[h->nfeatures])
				return -ENOMEM;
			h->nfeatures++;
			break;
		default:
			break;
		}
	}
	return 0;
}

void kd_host_free(struct kd_host *h)
{
	size_t i;

	for (i = 0; i < h->nfeatures; i++)
		free(h->features[i]);
	free(h->features);
	h->features = NULL;
	h->nfeatures = 0;
}

int kd_alloc_parse(const struct nlmsghdr *nlh, struct kd_alloc *al)
{
	const struct nlattr *tb[KEELD_A_MAX + 1], *at[KEELD_ALLOC_A_MAX + 1], *a;

	memset(al, 0, sizeof(*al));
	if (keel_attr_parse_msg(nlh, top_pol, KEELD_A_MAX, tb))
		return -EPROTO;
	if (tb[KEELD_A_EXPLAIN]) {
		al->explain = strdup(mnl_attr_get_str(tb[KEELD_A_EXPLAIN]));
		if (!al->explain)
			return -ENOMEM;
	}
	if (!tb[KEELD_A_ALLOC])
		return 0;
	if (keel_attr_parse_nested(tb[KEELD_A_ALLOC], alloc_pol, KEELD_ALLOC_A_MAX, at) ||
	    !at[KEELD_ALLOC_A_ID] || !at[KEELD_ALLOC_A_HOST_ID])
		return -EPROTO;
	al->valid = true;
	al->id = mnl_attr_get_u64(at[KEELD_ALLOC_A_ID]);
	al->host_id = mnl_attr_get_u32(at[KEELD_ALLOC_A_HOST_ID]);
	if (at[KEELD_ALLOC_A_GENERATION])
		al->generation = mnl_attr_get_u64(at[KEELD_ALLOC_A_GENERATION]);
	if (at[KEELD_ALLOC_A_SERVICE])
		snprintf(al->service, sizeof(al->service), "%s",
			 mnl_attr_get_str(at[KEELD_ALLOC_A_SERVICE]));
	if (at[KEELD_ALLOC_A_CREATED])
		al->created = mnl_attr_get_u64(at[KEELD_ALLOC_A_CREATED]);
	mnl_attr_for_each_nested(a, tb[KEELD_A_ALLOC]) {
		if (mnl_attr_get_type(a) != KEELD_ALLOC_A_RES)
			continue;
		if (al->nres == KD_MAX_RES || parse_res(a, &al->res[al->nres++]))
			return -EPROTO;
	}
	return 0;
}

void kd_alloc_free(struct kd_alloc *al)
{
	free(al->explain);
	al->explain = NULL;
}

static bool is_bytes(const char *dim)
{
	return !strcmp(dim, "memory") || !strcmp(dim, "mirror");
}

void kd_res_text(const struct kd_res *r, unsigned int n, bool used, char *buf,
		 size_t len)
{
	char a[32], u[32];
	size_t off = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < n && off < len; i++) {
		if (is_bytes(r[i].dim)) {
			fmt_bytes(r[i].amount, a, sizeof(a));
			fmt_bytes(r[i].used, u, sizeof(u));
		} else {
			snprintf(a, sizeof(a), "%" PRIu64, r[i].amount);
			snprintf(u, sizeof(u), "%" PRIu64, r[i].used);
		}
		if (used)
			off += (size_t)snprintf(buf + off, len - off, "%s%s=%s/%s",
						i ? " " : "", r[i].dim, u, a);
		else
			off += (size_t)snprintf(buf + off, len - off, "%s%s=%s",
						i ? " " : "", r[i].dim, a);
	}
}

static struct json_object *res_json(const struct kd_res *r, unsigned int n,
				    bool used)
{
	struct json_object *o = json_object_new_object(), *d;
	unsigned int i;

	for (i = 0; o && i < n; i++) {
		if (used) {
			d = json_object_new_object();
			json_object_object_add(d, "capacity",
					       json_object_new_uint64(r[i].amount));
			json_object_object_add(d, "used",
					       json_object_new_uint64(r[i].used));
		} else {
			d = json_object_new_uint64(r[i].amount);
		}
		json_object_object_add(o, r[i].dim, d);
	}
	return o;
}

struct json_object *kd_host_json(const struct kd_host *h)
{
	struct json_object *o = json_object_new_object(), *f;
	size_t i;

	if (!o)
		return NULL;
	json_object_object_add(o, "id", json_object_new_uint64(h->id));
	json_object_object_add(o, "generation", json_object_new_uint64(h->generation));
	json_object_object_add(o, "allocations", json_object_new_uint64(h->nallocs));
	json_object_object_add(o, "resources", res_json(h->res, h->nres, true));
	f = json_object_new_array();
	for (i = 0; f && i < h->nfeatures; i++)
		json_object_array_add(f, json_object_new_string(h->features[i]));
	json_object_object_add(o, "features", f);
	return o;
}

struct json_object *kd_alloc_json(const struct kd_alloc *al)
{
	struct json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	if (al->valid) {
		json_object_object_add(o, "id", json_object_new_uint64(al->id));
		json_object_object_add(o, "host", json_object_new_uint64(al->host_id));
		if (al->generation)
			json_object_object_add(o, "generation",
					       json_object_new_uint64(al->generation));
		json_object_object_add(o, "service", json_object_new_string(al->service));
		json_object_object_add(o, "created", json_object_new_uint64(al->created));
		json_object_object_add(o, "resources", res_json(al->res, al->nres, false));
	}
	if (al->explain)
		json_object_object_add(o, "explain", json_object_new_string(al->explain));
	return o;
}
