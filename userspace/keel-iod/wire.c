// SPDX-License-Identifier: GPL-2.0
/*
 * keel_remote framing and header validation (wire.h): the table of
 * request types, the checks every message passes before its handler
 * sees it, and the struct sizes the protocol fixes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "wire.h"

/* The wire is little-endian; these structs are used as they lie there. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "keel_remote structs are read in place: add byte swapping first");
_Static_assert(sizeof(struct keel_remote_hdr) == 32, "hdr");
_Static_assert(sizeof(struct keel_remote_hello) == 72, "hello");
_Static_assert(sizeof(struct keel_remote_hello_reply) == 88, "hello reply");
_Static_assert(sizeof(struct keel_remote_auth) == 32, "auth");
_Static_assert(sizeof(struct keel_remote_dev_desc) == 96, "dev desc");
_Static_assert(sizeof(struct keel_remote_list_reply) == 8, "list reply");
_Static_assert(sizeof(struct keel_remote_open) == 88, "open");
_Static_assert(sizeof(struct keel_remote_open_reply) == 112, "open reply");
_Static_assert(sizeof(struct keel_remote_resume) == 8, "resume");
_Static_assert(sizeof(struct keel_remote_record) == 16, "record");
_Static_assert(sizeof(struct keel_remote_resume_reply) == 128, "resume reply");
_Static_assert(sizeof(struct keel_remote_io) == 16, "io");
_Static_assert(sizeof(struct keel_remote_error) == 64, "error");
_Static_assert(KEEL_REMOTE_HANDSHAKE_MAX == 104, "handshake max");
/* The codes on the wire are this system's errno values. */
_Static_assert(KEEL_REMOTE_ENOENT == ENOENT && KEEL_REMOTE_EIO == EIO &&
	       KEEL_REMOTE_EBADF == EBADF && KEEL_REMOTE_EACCES == EACCES &&
	       KEEL_REMOTE_EBUSY == EBUSY && KEEL_REMOTE_ENODEV == ENODEV &&
	       KEEL_REMOTE_EINVAL == EINVAL && KEEL_REMOTE_EMFILE == EMFILE &&
	       KEEL_REMOTE_EROFS == EROFS && KEEL_REMOTE_ERANGE == ERANGE &&
	       KEEL_REMOTE_EBADRQC == EBADRQC && KEEL_REMOTE_EPROTO == EPROTO &&
	       KEEL_REMOTE_EBADMSG == EBADMSG &&
	       KEEL_REMOTE_EMSGSIZE == EMSGSIZE &&
	       KEEL_REMOTE_EPROTONOSUPPORT == EPROTONOSUPPORT &&
	       KEEL_REMOTE_EOPNOTSUPP == EOPNOTSUPP &&
	       KEEL_REMOTE_ESHUTDOWN == ESHUTDOWN &&
	       KEEL_REMOTE_ESTALE == ESTALE, "errno values");

static const struct wire_type types[] = {
	[KEEL_REMOTE_MSG_HELLO] = { "HELLO", sizeof(struct keel_remote_hello) },
	[KEEL_REMOTE_MSG_AUTH] = { "AUTH", sizeof(struct keel_remote_auth) },
	[KEEL_REMOTE_MSG_LIST] = { "LIST", 0 },
	[KEEL_REMOTE_MSG_OPEN] = { "OPEN", sizeof(struct keel_remote_open) },
	[KEEL_REMOTE_MSG_RESUME] = { "RESUME",
				     sizeof(struct keel_remote_resume) },
	[KEEL_REMOTE_MSG_CLOSE] = { "CLOSE", 0, .session = true },
	[KEEL_REMOTE_MSG_PING] = { "PING", 0 },
	[KEEL_REMOTE_MSG_READ] = { "READ", sizeof(struct keel_remote_io),
				   .session = true },
	[KEEL_REMOTE_MSG_WRITE] = { "WRITE", sizeof(struct keel_remote_io),
				    KEEL_REMOTE_WRITE_FLAGS_ALL, true, true },
	[KEEL_REMOTE_MSG_FLUSH] = { "FLUSH", 0, .session = true },
};

const struct wire_type *wire_request(uint8_t type)
{
	if (type >= sizeof(types) / sizeof(types[0]) || !types[type].name)
		return NULL;
	return &types[type];
}

const char *wire_type_name(uint8_t type)
{
	static const char *const replies[] = {
		[KEEL_REMOTE_MSG_HELLO] = "HELLO reply",
		[KEEL_REMOTE_MSG_AUTH] = "AUTH reply",
		[KEEL_REMOTE_MSG_LIST] = "LIST reply",
		[KEEL_REMOTE_MSG_OPEN] = "OPEN reply",
		[KEEL_REMOTE_MSG_RESUME] = "RESUME reply",
		[KEEL_REMOTE_MSG_CLOSE] = "CLOSE reply",
		[KEEL_REMOTE_MSG_PING] = "PONG",
		[KEEL_REMOTE_MSG_READ] = "READ reply",
		[KEEL_REMOTE_MSG_WRITE] = "WRITE reply",
		[KEEL_REMOTE_MSG_FLUSH] = "FLUSH reply",
	};
	uint8_t req = type & ~KEEL_REMOTE_MSG_REPLY;

	if (type == KEEL_REMOTE_MSG_ERROR)
		return "ERROR";
	if (type == KEEL_REMOTE_MSG_SHUTDOWN)
		return "SHUTDOWN";
	if (!(type & KEEL_REMOTE_MSG_REPLY))
		return wire_request(type) ? wire_request(type)->name : "unknown";
	if (req < sizeof(replies) / sizeof(replies[0]) && replies[req])
		return replies[req];
	return "unknown";
}

int wire_frame(const struct keel_remote_hdr *h, uint32_t max,
	       char *why, size_t len)
{
	if (h->magic != KEEL_REMOTE_MAGIC) {
		snprintf(why, len, "bad magic 0x%08x", h->magic);
		return -EBADMSG;
	}
	if (h->length < WIRE_HDR_LEN) {
		snprintf(why, len, "length %u is shorter than the header",
			 h->length);
		return -EBADMSG;
	}
	if (h->length > max) {
		snprintf(why, len, "length %u is over the maximum %u",
			 h->length, max);
		return -EMSGSIZE;
	}
	return 0;
}

int wire_check(const struct keel_remote_hdr *h, uint8_t version,
	       char *why, size_t len)
{
	const struct wire_type *t = wire_request(h->type);
	uint32_t body = h->length - WIRE_HDR_LEN;

	if (!t) {
		snprintf(why, len, "unknown message type 0x%02x", h->type);
		return -EBADRQC;
	}
	if (t->data ? body < t->body : body != t->body) {
		snprintf(why, len, "%s body of %u bytes, not %s%u", t->name,
			 body, t->data ? "at least " : "", t->body);
		return -EBADMSG;
	}
	if (h->version != version) {
		snprintf(why, len, "%s in version %u, not %u", t->name,
			 h->version, version);
		return -EPROTO;
	}
	if (h->flags & ~t->flags) {
		snprintf(why, len, "flags 0x%x not defined for %s",
			 h->flags & ~t->flags, t->name);
		return -EINVAL;
	}
	if (h->status || h->pad) {
		snprintf(why, len, "nonzero status or pad in the header");
		return -EINVAL;
	}
	if (!t->session && h->handle) {
		snprintf(why, len, "%s takes no handle", t->name);
		return -EINVAL;
	}
	return 0;
}

void wire_hdr(struct keel_remote_hdr *h, uint8_t version, uint8_t type,
	      uint16_t flags, uint32_t length, uint32_t handle,
	      uint64_t req_id, uint32_t status)
{
	*h = (struct keel_remote_hdr){
		.magic = KEEL_REMOTE_MAGIC,
		.version = version,
		.type = type,
		.flags = flags,
		.length = length,
		.handle = handle,
		.req_id = req_id,
		.status = status,
	};
}

bool wire_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n--)
		if (*b++)
			return false;
	return true;
}

bool wire_str_ok(const char *s, size_t size, bool empty_ok)
{
	size_t n = strnlen(s, size), i;

	if (n == size || (!n && !empty_ok))
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	return wire_zero(s + n, size - n);
}

void wire_str_set(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memset(dst, 0, size);
	memcpy(dst, src, n);
}
