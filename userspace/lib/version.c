// SPDX-License-Identifier: GPL-2.0
/*
 * KEEL_CMD_VERSION_GET: Keel's release, uapi version, build and running
 * kernels, loaded parts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static const enum mnl_attr_data_type version_policy[] = {
	[KEEL_A_VERSION] = MNL_TYPE_NUL_STRING,
	[KEEL_A_API_VERSION] = MNL_TYPE_U32,
	[KEEL_A_BUILD_KERNEL] = MNL_TYPE_NUL_STRING,
	[KEEL_A_BUILD_COMPILER] = MNL_TYPE_NUL_STRING,
	[KEEL_A_BUILD_COMMIT] = MNL_TYPE_NUL_STRING,
	[KEEL_A_RUNNING_KERNEL] = MNL_TYPE_NUL_STRING,
	[KEEL_A_PARTS] = MNL_TYPE_NESTED,
};

int keel_version_parse(const struct nlmsghdr *nlh, struct keel_version *v)
{
	const struct nlattr *tb[KEEL_LAST_INDEX(version_policy) + 1];
	int ret = 0;

	memset(v, 0, sizeof(*v));
	if (keel_attr_parse_msg(nlh, version_policy,
				KEEL_LAST_INDEX(version_policy), tb))
		return -EPROTO;

	v->version = keel_attr_strdup(tb[KEEL_A_VERSION], &ret);
	v->build_kernel = keel_attr_strdup(tb[KEEL_A_BUILD_KERNEL], &ret);
	v->build_compiler = keel_attr_strdup(tb[KEEL_A_BUILD_COMPILER], &ret);
	v->build_commit = keel_attr_strdup(tb[KEEL_A_BUILD_COMMIT], &ret);
	v->running_kernel = keel_attr_strdup(tb[KEEL_A_RUNNING_KERNEL], &ret);
	if (tb[KEEL_A_API_VERSION])
		v->api_version = mnl_attr_get_u32(tb[KEEL_A_API_VERSION]);
	if (!ret)
		ret = keel_parts_parse(tb[KEEL_A_PARTS], &v->parts);

	if (ret)
		keel_version_free(v);
	return ret;
}

void keel_version_free(struct keel_version *v)
{
	free(v->version);
	free(v->build_kernel);
	free(v->build_compiler);
	free(v->build_commit);
	free(v->running_kernel);
	keel_parts_free(&v->parts);
	memset(v, 0, sizeof(*v));
}

static int parse_reply(const struct nlmsghdr *nlh, void *out)
{
	return keel_version_parse(nlh, out);
}

int keel_version_get(struct keel_sock *s, struct keel_version *v)
{
	struct nlmsghdr *nlh;
	int ret;

	memset(v, 0, sizeof(*v));
	nlh = keel_msg_start(s, KEEL_CMD_VERSION_GET, NLM_F_ACK);
	ret = keel_doit(s, nlh, parse_reply, v);
	if (ret)
		keel_version_free(v);
	return ret;
}
