/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of libkeel share and callers must not see: the layout
 * of struct keel_sock and the helpers that record errors in it.
 */
#ifndef LIBKEEL_INTERNAL_H
#define LIBKEEL_INTERNAL_H

#include <linux/genetlink.h>

#include "libkeel.h"

#define KEEL_RECV_BUFSZ		73728	/* a 60 KiB state reply, headers */
#define KEEL_MAX_GROUPS		8

struct keel_group {
	char name[GENL_NAMSIZ];
	uint32_t id;
};

struct keel_sock {
	struct mnl_socket *nl;
	uint32_t portid;
	uint32_t seq;
	uint16_t family;
	struct keel_group groups[KEEL_MAX_GROUPS];
	size_t ngroups;
	struct keel_error err;
	bool types_loaded;		/* types holds the kernel's descriptors */
	struct keel_types types;	/* keel_types_cached() */
	char sbuf[KEEL_MSG_BUFSZ];
	char rbuf[KEEL_RECV_BUFSZ];
};

/* error.c: record a failure that happened on our side; returns -errnum. */
int keel_error_set(struct keel_error *err, enum keel_err_kind kind,
		   int errnum);
/* error.c: the kind a kernel errno belongs to (PERM or KERNEL). */
enum keel_err_kind keel_error_kind(int errnum);

/* request.c: start a request to any generic netlink family. */
struct nlmsghdr *keel_msg_start_family(struct keel_sock *s, uint16_t family,
				       uint8_t cmd, uint8_t version,
				       uint16_t flags);

/*
 * request.c: send a doit request and decode its one reply with @parse,
 * which must leave @out freeable when it fails. -EPROTO if no reply came.
 */
int keel_doit(struct keel_sock *s, const struct nlmsghdr *nlh,
	      int (*parse)(const struct nlmsghdr *nlh, void *out), void *out);

/*
 * attr.c: true if the @len bytes at @data are whole attributes, each
 * within them (at most 3 bytes of padding may follow).
 */
bool keel_attrs_ok(const void *data, size_t len);
/* Every attribute @a in the @len bytes at @data (libmnl's way). */
#define keel_attr_for_each(a, data, len)				\
	for ((a) = (const void *)(data);				\
	     mnl_attr_ok((a), (int)((const char *)(data) + (len) -	\
				    (const char *)(a)));		\
	     (a) = mnl_attr_next(a))

/* state.c: decode a KEEL_OBJ_A_STATE nest. */
int keel_obj_state_parse(const struct nlattr *nest, struct keel_obj_state *st);

/* The highest index of an array indexed by attribute type (a policy). */
#define KEEL_LAST_INDEX(arr)	((uint16_t)(sizeof(arr) / sizeof((arr)[0]) - 1))

#endif /* LIBKEEL_INTERNAL_H */
