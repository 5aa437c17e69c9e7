// SPDX-License-Identifier: GPL-2.0
/*
 * Extended acknowledgements: the status of an NLMSG_ERROR or NLMSG_DONE
 * message and the TLVs the kernel appends to it (error message, offset of
 * the offending attribute, a missing attribute).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static int extack_attr_cb(const struct nlattr *a, void *data)
{
	struct keel_error *err = data;

	switch (mnl_attr_get_type(a)) {
	case NLMSGERR_ATTR_MSG:
		if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
			snprintf(err->msg, sizeof(err->msg), "%s",
				 mnl_attr_get_str(a));
		break;
	case NLMSGERR_ATTR_OFFS:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			err->has_offset = true;
			err->offset = mnl_attr_get_u32(a);
		}
		break;
	case NLMSGERR_ATTR_MISS_TYPE:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			err->has_miss_type = true;
			err->miss_type = mnl_attr_get_u32(a);
		}
		break;
	case NLMSGERR_ATTR_MISS_NEST:
		if (mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
			err->has_miss_nest = true;
			err->miss_nest = mnl_attr_get_u32(a);
		}
		break;
	default:
		break;	/* cookies, policies and newer TLVs */
	}
	return MNL_CB_OK;
}

int keel_extack_parse(const struct nlmsghdr *nlh, struct keel_error *err)
{
	size_t payload = mnl_nlmsg_get_payload_len(nlh);
	size_t tlv_off;
	int status;

	memset(err, 0, sizeof(*err));

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		if (payload < sizeof(*e))
			goto bad;
		status = e->error;
		tlv_off = sizeof(*e);
		/* Without NETLINK_CAP_ACK the request's payload comes first. */
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
			if (e->msg.nlmsg_len < sizeof(struct nlmsghdr))
				goto bad;
			tlv_off += MNL_ALIGN(e->msg.nlmsg_len -
					     sizeof(struct nlmsghdr));
		}
	} else if (nlh->nlmsg_type == NLMSG_DONE) {
		/* Old kernels end a dump with an empty NLMSG_DONE. */
		status = 0;
		if (payload >= sizeof(int))
			memcpy(&status, mnl_nlmsg_get_payload(nlh),
			       sizeof(int));
		tlv_off = sizeof(int);
	} else {
		goto bad;
	}

	if (status > 0)
		goto bad;

	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && tlv_off < payload)
		mnl_attr_parse(nlh, tlv_off, extack_attr_cb, err);

	if (status < 0) {
		err->kind = keel_error_kind(-status);
		err->errnum = -status;
	}
	return status;

bad:
	err->kind = KEEL_ERR_PROTO;
	err->errnum = EBADMSG;
	return -EBADMSG;
}
