// SPDX-License-Identifier: GPL-2.0
/*
 * KEEL_CMD_OBJ_SET (API 5): an object's parameters, changed by id. The
 * parameters travel as a nest of the type's own attributes in
 * KEEL_A_OBJ_PARAMS, which the spec declares binary (its attributes
 * differ per type): so the nest goes without NLA_F_NESTED, which the
 * kernel's strict validation allows only on attributes it knows as
 * nests.
 */
#include <errno.h>

#include "internal.h"

int keel_obj_set(struct keel_sock *s, uint32_t id,
		 const struct keel_param *params, size_t n)
{
	struct nlmsghdr *nlh;
	struct nlattr *nest;
	size_t i;

	nlh = keel_msg_start(s, KEEL_CMD_OBJ_SET, NLM_F_ACK);
	mnl_attr_put_u32(nlh, KEEL_A_OBJ_ID, id);
	nest = mnl_attr_nest_start(nlh, KEEL_A_OBJ_PARAMS);
	nest->nla_type = KEEL_A_OBJ_PARAMS;
	for (i = 0; i < n; i++) {
		switch (params[i].bytes) {
		case 1:
			mnl_attr_put_u8(nlh, params[i].type, params[i].value);
			break;
		case 4:
			mnl_attr_put_u32(nlh, params[i].type, params[i].value);
			break;
		default:
			return keel_error_set(&s->err, KEEL_ERR_SYSTEM, EINVAL);
		}
	}
	mnl_attr_nest_end(nlh, nest);
	return keel_request(s, nlh, NULL, NULL);
}
