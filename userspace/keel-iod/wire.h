/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The framing and validation of keel_remote messages
 * (linux/keel_remote.h), shared by keel-iod and its client library:
 * which types exist, what each may carry, and the checks of a header
 * before anything else reads the message.
 */
#ifndef IOD_WIRE_H
#define IOD_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/keel_remote.h>

#define WIRE_HDR_LEN	sizeof(struct keel_remote_hdr)

/* What a request type carries in version 1. */
struct wire_type {
	const char *name;
	uint32_t body;		/* bytes of its fixed body */
	uint16_t flags;		/* the flags it may carry */
	bool data;		/* data follows the fixed body */
	bool session;		/* it names a handle */
};

/* The request type @type, or NULL when there is no such request. */
const struct wire_type *wire_request(uint8_t type);
/* A name for any type, requests, replies and the rest, for logs. */
const char *wire_type_name(uint8_t type);

/*
 * Whether the header gives a message that can be framed: the magic, and a
 * length from WIRE_HDR_LEN to @max. 0, -EBADMSG or -EMSGSIZE, with the
 * reason in @why. A stream with a header that fails here has lost its
 * framing: nothing after it can be read.
 */
int wire_frame(const struct keel_remote_hdr *h, uint32_t max,
	       char *why, size_t len);
/*
 * The rest of a request's header: a known request type (-EBADRQC), its
 * body size (-EBADMSG), @version (-EPROTO), flags, status, pad and a
 * handle only where one belongs (-EINVAL). The message can be skipped
 * and the next one read whatever this returns.
 */
int wire_check(const struct keel_remote_hdr *h, uint8_t version,
	       char *why, size_t len);

void wire_hdr(struct keel_remote_hdr *h, uint8_t version, uint8_t type,
	      uint16_t flags, uint32_t length, uint32_t handle,
	      uint64_t req_id, uint32_t status);

/* @n bytes at @p are all zero. */
bool wire_zero(const void *p, size_t n);
/*
 * A NUL-padded string field of @size bytes: printable ASCII, then at
 * least one NUL and only NULs to the end; empty only when @empty_ok.
 */
bool wire_str_ok(const char *s, size_t size, bool empty_ok);
/* Copy @src into the NUL-padded field @dst of @size bytes. */
void wire_str_set(char *dst, size_t size, const char *src);

#endif /* IOD_WIRE_H */
