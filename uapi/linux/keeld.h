/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * keeld uapi: the messages between keeld (the cloud resource database and
 * allocator) and its clients such as keelctl.
 *
 * The messages are netlink messages (struct nlmsghdr, a struct
 * genlmsghdr, then attributes) carried over an AF_UNIX SOCK_SEQPACKET
 * socket, one message per packet; see Documentation/cloud.rst for why not
 * a netlink socket. Every request gets zero or more reply messages of
 * type KEELD_NLMSG_TYPE and ends with one NLMSG_ERROR whose error is 0 or
 * a negative errno; a failure carries the human reason as
 * NLMSGERR_ATTR_MSG (and the offending attribute's offset as
 * NLMSGERR_ATTR_OFFS), with NLM_F_CAPPED | NLM_F_ACK_TLVS set, exactly
 * like the kernel's extended acknowledgements.
 *
 * This header is a contract. Attribute and command numbers are never
 * reused or renumbered; new ones are appended. keeld rejects unknown
 * commands, unknown attributes, bad lengths and unknown flag bits.
 */
#ifndef _UAPI_LINUX_KEELD_H
#define _UAPI_LINUX_KEELD_H

#include <linux/types.h>

#define KEELD_SOCKET_PATH	"/run/keeld/keeld.sock"
#define KEELD_NLMSG_TYPE	0x20	/* nlmsg_type of requests and replies */
#define KEELD_PROTO_VERSION	1	/* genlmsghdr.version */
#define KEELD_MSG_MAX		65536	/* bytes of one message, either way */

/* nlmsg_flags a request may carry; anything else is refused. */
#define KEELD_NLM_F_ALLOWED	(NLM_F_REQUEST | NLM_F_ACK | NLM_F_DUMP)

/*
 * Commands (genlmsghdr.cmd). Reads are open to every local user; the
 * commands marked "admin" need uid 0 or keeld's configured admin group.
 *
 * KEELD_CMD_HOST_GET: KEELD_A_HOST_ID: one KEELD_A_HOST; or NLM_F_DUMP:
 *	one message per host, in id order.
 * KEELD_CMD_HOST_ADD (admin): KEELD_A_HOST with ID, RES (AMOUNT is the
 *	capacity; "vcpus" and "memory" required) and FEATURE. Reply: the
 *	host as stored.
 * KEELD_CMD_HOST_DEL (admin): KEELD_A_HOST_ID. -EBUSY while the host
 *	holds allocations.
 * KEELD_CMD_ALLOC (admin): KEELD_A_ALLOC with SERVICE, RES (AMOUNT is the
 *	request), SOURCE (up to 3), POLICY, MAX_CANDIDATES; KEELD_A_FLAGS.
 *	Reply: KEELD_A_ALLOC (ID, HOST_ID, GENERATION, SERVICE, RES, CREATED)
 *	and, with KEELD_F_EXPLAIN, KEELD_A_EXPLAIN, also before a failure.
 * KEELD_CMD_FREE (admin): KEELD_A_ALLOC_ID.
 * KEELD_CMD_ALLOC_GET: KEELD_A_ALLOC_ID: one KEELD_A_ALLOC; or
 *	NLM_F_DUMP: one message per allocation, in id order.
 * KEELD_CMD_PREFSET_GET: KEELD_A_PREFSET with KIND and NAME: that named
 *	preference set; or NLM_F_DUMP with KEELD_A_PREFSET holding KIND
 *	only: one message per set of that kind, in name order.
 * KEELD_CMD_PREFSET_ADD (admin): KEELD_A_PREFSET with KIND, NAME and
 *	PREF (up to 64). -EEXIST if the name is taken. Reply: the set.
 * KEELD_CMD_PREFSET_DEL (admin): KEELD_A_PREFSET with KIND and NAME.
 */
enum keeld_cmd {
	KEELD_CMD_UNSPEC,
	KEELD_CMD_HOST_GET,
	KEELD_CMD_HOST_ADD,
	KEELD_CMD_HOST_DEL,
	KEELD_CMD_ALLOC,
	KEELD_CMD_FREE,
	KEELD_CMD_ALLOC_GET,
	KEELD_CMD_PREFSET_GET,
	KEELD_CMD_PREFSET_ADD,
	KEELD_CMD_PREFSET_DEL,

	__KEELD_CMD_MAX,
	KEELD_CMD_MAX = __KEELD_CMD_MAX - 1
};

/* KEELD_A_FLAGS bits. */
#define KEELD_F_EXPLAIN		0x1U	/* reply with KEELD_A_EXPLAIN */
#define KEELD_F_ALL		KEELD_F_EXPLAIN

/* Top-level attributes. */
enum keeld_attr {
	KEELD_A_UNSPEC,
	KEELD_A_PAD,
	KEELD_A_HOST,			/* nest: enum keeld_host_attr */
	KEELD_A_HOST_ID,		/* u32 */
	KEELD_A_ALLOC,			/* nest: enum keeld_alloc_attr */
	KEELD_A_ALLOC_ID,		/* u64, >= 1 */
	KEELD_A_FLAGS,			/* u32: KEELD_F_* */
	KEELD_A_EXPLAIN,		/* string: unified list and pruning steps */
	KEELD_A_PREFSET,		/* nest: enum keeld_prefset_attr */

	__KEELD_A_MAX,
	KEELD_A_MAX = __KEELD_A_MAX - 1
};

/* A host. */
enum keeld_host_attr {
	KEELD_HOST_A_UNSPEC,
	KEELD_HOST_A_ID,		/* u32 */
	KEELD_HOST_A_GENERATION,	/* u64: reply only */
	KEELD_HOST_A_RES,		/* nest: enum keeld_res_attr, multi */
	KEELD_HOST_A_FEATURE,		/* string "ns:name", multi */
	KEELD_HOST_A_NALLOCS,		/* u32: reply only */

	__KEELD_HOST_A_MAX,
	KEELD_HOST_A_MAX = __KEELD_HOST_A_MAX - 1
};

/*
 * One resource dimension. DIM names it: "vcpus", "memory" (bytes),
 * "mirror" (mirrored memory, bytes), "hp:<page size in bytes>" (huge
 * pages, counted in pages), "acc:<type>" (accelerators, such as
 * "acc:gpu").
 */
enum keeld_res_attr {
	KEELD_RES_A_UNSPEC,
	KEELD_RES_A_DIM,		/* string */
	KEELD_RES_A_AMOUNT,		/* u64: capacity, or what is asked */
	KEELD_RES_A_USED,		/* u64: reply only, hosts */

	__KEELD_RES_A_MAX,
	KEELD_RES_A_MAX = __KEELD_RES_A_MAX - 1
};

/* A virtual appliance service's allocation, or a request for one. */
enum keeld_alloc_attr {
	KEELD_ALLOC_A_UNSPEC,
	KEELD_ALLOC_A_ID,		/* u64: reply only */
	KEELD_ALLOC_A_HOST_ID,		/* u32: reply only */
	KEELD_ALLOC_A_GENERATION,	/* u64: the host's, after the commit */
	KEELD_ALLOC_A_SERVICE,		/* string: the service's name */
	KEELD_ALLOC_A_RES,		/* nest: enum keeld_res_attr, multi */
	KEELD_ALLOC_A_SOURCE,		/* nest: enum keeld_source_attr, multi */
	KEELD_ALLOC_A_POLICY,		/* u8: enum keeld_wire_policy */
	KEELD_ALLOC_A_MAX_CANDIDATES,	/* u32: stop pruning there, 0: none */
	KEELD_ALLOC_A_CREATED,		/* u64: unix seconds, reply only */
	KEELD_ALLOC_A_TEMPLATE,		/* string: a stored template's name */
	KEELD_ALLOC_A_TENANT,		/* string: a stored tenant policy's name */

	__KEELD_ALLOC_A_MAX,
	KEELD_ALLOC_A_MAX = __KEELD_ALLOC_A_MAX - 1
};

enum keeld_wire_policy {
	KEELD_POLICY_PACK,
	KEELD_POLICY_SPREAD,
	KEELD_POLICY_BEST_FIT,
};

/* Where feature preferences come from, by priority. */
enum keeld_wire_source {
	KEELD_SOURCE_REQUEST,
	KEELD_SOURCE_TEMPLATE,		/* the appliance template */
	KEELD_SOURCE_POLICY,		/* the tenant policy */
};

enum keeld_source_attr {
	KEELD_SOURCE_A_UNSPEC,
	KEELD_SOURCE_A_KIND,		/* u8: enum keeld_wire_source */
	KEELD_SOURCE_A_PREF,		/* nest: enum keeld_pref_attr, multi */

	__KEELD_SOURCE_A_MAX,
	KEELD_SOURCE_A_MAX = __KEELD_SOURCE_A_MAX - 1
};

enum keeld_wire_kind {
	KEELD_KIND_REQUIRED,
	KEELD_KIND_FORBIDDEN,
	KEELD_KIND_PREFERRED,
	KEELD_KIND_AVOIDED,
};

enum keeld_pref_attr {
	KEELD_PREF_A_UNSPEC,
	KEELD_PREF_A_FEATURE,		/* string "ns:name" */
	KEELD_PREF_A_KIND,		/* u8: enum keeld_wire_kind */
	KEELD_PREF_A_WEIGHT,		/* u32: preferences, 0..1000000 */

	__KEELD_PREF_A_MAX,
	KEELD_PREF_A_MAX = __KEELD_PREF_A_MAX - 1
};

/*
 * A named preference set stored by keeld: an appliance template or a
 * tenant policy. An allocation request names one of each kind
 * (KEELD_ALLOC_A_TEMPLATE, KEELD_ALLOC_A_TENANT) instead of sending its
 * preferences as a KEELD_ALLOC_A_SOURCE. Names: 1 to
 * KEELD_PREFSET_NAME_MAX letters, digits and "_.:@+-".
 */
#define KEELD_PREFSET_NAME_MAX	63

enum keeld_prefset_attr {
	KEELD_PREFSET_A_UNSPEC,
	KEELD_PREFSET_A_KIND,		/* u8: KEELD_SOURCE_TEMPLATE or _POLICY */
	KEELD_PREFSET_A_NAME,		/* string */
	KEELD_PREFSET_A_PREF,		/* nest: enum keeld_pref_attr, multi */

	__KEELD_PREFSET_A_MAX,
	KEELD_PREFSET_A_MAX = __KEELD_PREFSET_A_MAX - 1
};

#endif /* _UAPI_LINUX_KEELD_H */
