// SPDX-License-Identifier: GPL-2.0
/*
 * keeld's ordered unified feature list: ordering (hard constraints first,
 * then preferences by weight, source priority and stated order),
 * deduplication, contradictions named with both sources, and the
 * priority of sources between opposite preferences.
 */
#include <errno.h>
#include <string.h>

#include "../keeld/alloc/alloc.h"
#include "tap.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct keeld_unified u;
static struct keeld_err err;

static const char *order(void)
{
	static char buf[1024];
	size_t i, len = 0;

	buf[0] = '\0';
	for (i = 0; i < u.n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%c:%s",
					i ? " " : "",
					"RFPA"[u.e[i].kind], u.e[i].feature);
	return buf;
}

static void test_order(void)
{
	static const struct keeld_pref req[] = {
		{ "nic:sriov", KEELD_PREFERRED, 10 },
		{ "cpu:avx512f", KEELD_REQUIRED, 0 },
		{ "acc:gpu", KEELD_PREFERRED, 50 },
		{ "mem:mirror", KEELD_PREFERRED, 10 },
	};
	static const struct keeld_pref tpl[] = {
		{ "cpu:rtm", KEELD_AVOIDED, 10 },
		{ "keel:vdev", KEELD_REQUIRED, 0 },
	};
	static const struct keeld_pref pol[] = {
		{ "cpu:smt", KEELD_FORBIDDEN, 0 },
		{ "nic:dpdk", KEELD_PREFERRED, 90 },
	};
	/* Given in any order: priority comes from the source kind. */
	const struct keeld_pref_source src[] = {
		{ KEELD_SRC_POLICY, pol, N(pol) },
		{ KEELD_SRC_REQUEST, req, N(req) },
		{ KEELD_SRC_TEMPLATE, tpl, N(tpl) },
	};
	const char *want = "R:cpu:avx512f R:keel:vdev F:cpu:smt P:nic:dpdk "
			   "P:acc:gpu P:nic:sriov P:mem:mirror A:cpu:rtm";

	ok(!keeld_unify(NULL, src, N(src), &u, &err), "unify three sources: %s",
	   err.msg);
	ok(!strcmp(order(), want), "order hard, then by weight, source, position: %s",
	   order());
	ok(u.nhard == 3, "three hard constraints (%zu)", u.nhard);
	ok(u.e[3].weight == 90 && u.e[3].source == KEELD_SRC_POLICY,
	   "entry keeps its weight and source");
	ok(u.e[0].fid == -1, "no pool: feature ids unknown");
}

static void test_equal_weights_keep_stated_order(void)
{
	static const struct keeld_pref req[] = {
		{ "x:c", KEELD_PREFERRED, 0 }, { "x:a", KEELD_AVOIDED, 0 },
		{ "x:b", KEELD_PREFERRED, 0 },
	};
	static const struct keeld_pref tpl[] = { { "x:0", KEELD_PREFERRED, 0 } };
	const struct keeld_pref_source src[] = {
		{ KEELD_SRC_TEMPLATE, tpl, N(tpl) },
		{ KEELD_SRC_REQUEST, req, N(req) },
	};

	ok(!keeld_unify(NULL, src, N(src), &u, &err), "unify equal weights");
	ok(!strcmp(order(), "P:x:c A:x:a P:x:b P:x:0"),
	   "equal weights: request's order, then template's: %s", order());
}

static void test_dedup(void)
{
	static const struct keeld_pref req[] = {
		{ "cpu:avx512f", KEELD_REQUIRED, 0 },
		{ "nic:sriov", KEELD_PREFERRED, 5 },
		{ "cpu:avx512f", KEELD_REQUIRED, 0 },
	};
	static const struct keeld_pref tpl[] = {
		{ "cpu:avx512f", KEELD_REQUIRED, 0 },
		{ "nic:sriov", KEELD_REQUIRED, 0 },
		{ "acc:gpu", KEELD_PREFERRED, 7 },
	};
	static const struct keeld_pref pol[] = {
		{ "acc:gpu", KEELD_PREFERRED, 99 },
		{ "cpu:rtm", KEELD_AVOIDED, 1 },
		{ "cpu:rtm", KEELD_FORBIDDEN, 0 },
	};
	const struct keeld_pref_source src[] = {
		{ KEELD_SRC_REQUEST, req, N(req) },
		{ KEELD_SRC_TEMPLATE, tpl, N(tpl) },
		{ KEELD_SRC_POLICY, pol, N(pol) },
	};

	ok(!keeld_unify(NULL, src, N(src), &u, &err), "unify duplicates: %s", err.msg);
	ok(!strcmp(order(), "R:cpu:avx512f R:nic:sriov F:cpu:rtm P:acc:gpu"),
	   "one entry per feature: %s", order());
	ok(u.e[0].sources == 3 && u.e[0].source == KEELD_SRC_REQUEST,
	   "required by two sources: one entry held by the request");
	ok(u.e[1].source == KEELD_SRC_TEMPLATE && u.e[1].sources == 3 &&
	   !u.e[1].overruled, "preferred + required = required (held by template)");
	ok(u.e[2].kind == KEELD_FORBIDDEN,
	   "avoided + forbidden in one source = forbidden");
	ok(u.e[3].weight == 7 && u.e[3].source == KEELD_SRC_TEMPLATE,
	   "preferred twice: the higher-priority source's weight holds (%u)",
	   u.e[3].weight);
}

static void test_contradictions(void)
{
	static const struct keeld_pref req[] = { { "cpu:rtm", KEELD_REQUIRED, 0 } };
	static const struct keeld_pref pol[] = { { "cpu:rtm", KEELD_FORBIDDEN, 0 } };
	static const struct keeld_pref one[] = {
		{ "acc:gpu", KEELD_PREFERRED, 1 }, { "acc:gpu", KEELD_AVOIDED, 1 },
	};
	static const struct keeld_pref both[] = {
		{ "x:y", KEELD_FORBIDDEN, 0 }, { "x:y", KEELD_REQUIRED, 0 },
	};
	const struct keeld_pref_source s1[] = {
		{ KEELD_SRC_REQUEST, req, N(req) }, { KEELD_SRC_POLICY, pol, N(pol) },
	};
	const struct keeld_pref_source s2[] = { { KEELD_SRC_TEMPLATE, one, N(one) } };
	const struct keeld_pref_source s3[] = { { KEELD_SRC_REQUEST, both, N(both) } };

	u.n = 42;
	ok(keeld_unify(NULL, s1, N(s1), &u, &err) == -EINVAL && err.code == -EINVAL,
	   "required + forbidden across sources rejected");
	ok(!strcmp(err.msg, "feature cpu:rtm is required by request and forbidden by tenant policy"),
	   "message names both sources: %s", err.msg);
	ok(u.n == 42, "the output is untouched on failure");
	ok(keeld_unify(NULL, s2, N(s2), &u, &err) == -EINVAL &&
	   strstr(err.msg, "both preferred and avoided in the template"),
	   "preferred + avoided in one source rejected: %s", err.msg);
	ok(keeld_unify(NULL, s3, N(s3), &u, &err) == -EINVAL &&
	   strstr(err.msg, "forbidden by request and required by request"),
	   "forbidden + required in one source rejected: %s", err.msg);
}

static void test_priority(void)
{
	static const struct keeld_pref req[] = { { "acc:gpu", KEELD_AVOIDED, 3 } };
	static const struct keeld_pref tpl[] = {
		{ "acc:gpu", KEELD_PREFERRED, 100 },
		{ "nic:sriov", KEELD_AVOIDED, 1 },
	};
	static const struct keeld_pref pol[] = {
		{ "nic:sriov", KEELD_PREFERRED, 1 },
		{ "mem:mirror", KEELD_AVOIDED, 0 },
	};
	static const struct keeld_pref req2[] = { { "mem:mirror", KEELD_REQUIRED, 0 } };
	const struct keeld_pref_source src[] = {
		{ KEELD_SRC_REQUEST, req, N(req) },
		{ KEELD_SRC_TEMPLATE, tpl, N(tpl) },
		{ KEELD_SRC_POLICY, pol, N(pol) },
	};
	const struct keeld_pref_source src2[] = {
		{ KEELD_SRC_POLICY, pol, N(pol) },
		{ KEELD_SRC_REQUEST, req2, N(req2) },
	};

	ok(!keeld_unify(NULL, src, N(src), &u, &err), "unify opposite preferences");
	ok(!strcmp(order(), "A:acc:gpu A:nic:sriov A:mem:mirror"),
	   "request beats template, template beats policy: %s", order());
	ok(u.e[0].weight == 3 && u.e[0].overruled == 1u << KEELD_SRC_TEMPLATE,
	   "the winner keeps its weight; the loser is recorded");
	ok(!keeld_unify(NULL, src2, N(src2), &u, &err) &&
	   u.e[0].kind == KEELD_REQUIRED &&
	   u.e[0].overruled == 1u << KEELD_SRC_POLICY,
	   "a hard constraint absorbs an opposite wish of another source");
}

static void test_bad_input(void)
{
	static const struct keeld_pref bad[] = { { "avx512f", KEELD_REQUIRED, 0 } };
	static const struct keeld_pref upper[] = { { "cpu:AVX", KEELD_REQUIRED, 0 } };
	static const struct keeld_pref heavy[] = { { "a:b", KEELD_PREFERRED, KEELD_MAX_WEIGHT + 1 } };
	static const struct keeld_pref kind[] = { { "a:b", (enum keeld_kind)7, 0 } };
	static struct keeld_pref many[KEELD_MAX_SOURCE_PREFS + 1];
	const struct keeld_pref_source twice[] = {
		{ KEELD_SRC_REQUEST, NULL, 0 }, { KEELD_SRC_REQUEST, NULL, 0 },
	};
	struct keeld_pref_source s = { KEELD_SRC_REQUEST, bad, 1 };
	size_t i;

	ok(keeld_unify(NULL, &s, 1, &u, &err) == -EINVAL &&
	   strstr(err.msg, "bad feature name 'avx512f'"), "name without namespace: %s",
	   err.msg);
	s.prefs = upper;
	ok(keeld_unify(NULL, &s, 1, &u, &err) == -EINVAL, "uppercase name rejected");
	s.prefs = heavy;
	ok(keeld_unify(NULL, &s, 1, &u, &err) == -EINVAL, "weight too big: %s", err.msg);
	s.prefs = kind;
	ok(keeld_unify(NULL, &s, 1, &u, &err) == -EINVAL, "unknown kind: %s", err.msg);
	for (i = 0; i < N(many); i++)
		many[i] = (struct keeld_pref){ "a:b", KEELD_PREFERRED, 0 };
	s.prefs = many;
	s.n = N(many);
	ok(keeld_unify(NULL, &s, 1, &u, &err) == -E2BIG, "too many features: %s", err.msg);
	ok(keeld_unify(NULL, twice, 2, &u, &err) == -EINVAL, "same source twice: %s",
	   err.msg);
	s.source = (enum keeld_source)5;
	s.n = 0;
	ok(keeld_unify(NULL, &s, 1, &u, &err) == -EINVAL, "unknown source: %s", err.msg);
	ok(!keeld_unify(NULL, NULL, 0, &u, &err) && u.n == 0, "no sources: empty list");
}

int main(void)
{
	test_order();
	test_equal_weights_keep_stated_order();
	test_dedup();
	test_contradictions();
	test_priority();
	test_bad_input();
	return tap_done();
}
