// SPDX-License-Identifier: GPL-2.0
/*
 * Attribute helpers: indexing a message's or a nest's attributes by type
 * with a validation policy, checking that attributes fill their nest,
 * counting repeated attributes, copying strings.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/genetlink.h>

#include "internal.h"

/* Check one attribute against the policy and remember it in @tb. */
static int index_attr(const struct nlattr *a,
		      const enum mnl_attr_data_type *policy, uint16_t max,
		      const struct nlattr **tb)
{
	uint16_t type = mnl_attr_get_type(a);

	if (type > max)
		return 0;
	if (policy[type] != MNL_TYPE_UNSPEC &&
	    mnl_attr_validate(a, policy[type]) < 0)
		return -EPROTO;
	tb[type] = a;
	return 0;
}

int keel_attr_parse_msg(const struct nlmsghdr *nlh,
			const enum mnl_attr_data_type *policy, uint16_t max,
			const struct nlattr **tb)
{
	const struct nlattr *a;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
		return -EPROTO;
	mnl_attr_for_each(a, nlh, GENL_HDRLEN) {
		if (index_attr(a, policy, max, tb))
			return -EPROTO;
	}
	return 0;
}

bool keel_attrs_ok(const void *data, size_t len)
{
	const struct nlattr *a = data;
	long rem = (long)len;

	while (rem >= (long)sizeof(*a)) {
		if (!mnl_attr_ok(a, (int)rem))
			return false;	/* cut short, or longer than its nest */
		rem -= MNL_ALIGN(a->nla_len);
		a = (const void *)((const char *)a + MNL_ALIGN(a->nla_len));
	}
	return true;
}

int keel_attr_parse_nested(const struct nlattr *nest,
			   const enum mnl_attr_data_type *policy, uint16_t max,
			   const struct nlattr **tb)
{
	const struct nlattr *a;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (!keel_attrs_ok(mnl_attr_get_payload(nest),
			   mnl_attr_get_payload_len(nest)))
		return -EPROTO;
	mnl_attr_for_each_nested(a, nest) {
		if (index_attr(a, policy, max, tb))
			return -EPROTO;
	}
	return 0;
}

size_t keel_attr_count(const struct nlattr *nest, uint16_t type)
{
	const struct nlattr *a;
	size_t n = 0;

	mnl_attr_for_each_nested(a, nest) {
		if (mnl_attr_get_type(a) == type)
			n++;
	}
	return n;
}

char *keel_attr_strdup(const struct nlattr *a, int *err)
{
	char *s;

	if (!a)
		return NULL;
	s = strndup(mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
	if (!s)
		*err = -ENOMEM;
	return s;
}
