// SPDX-License-Identifier: GPL-2.0
/*
 * READ, WRITE and FLUSH on a session: the handle, the request id against
 * the session's window, the checks of offset, length, flags and the
 * device's features (every refusal before anything is applied, each
 * with its own code), then the device call. WRITE and FLUSH leave a
 * record of their result; one that comes again (a replay after a lost
 * reply) is answered from the record and not applied a second time.
 * Reads leave none: reading again is harmless. A reply is queued only
 * once the device call returned, so a write is acknowledged only once
 * applied (and, with FUA, on stable storage).
 */
#include <errno.h>
#include <stdio.h>

#include "iod.h"
#include "log.h"
#include "wire.h"

/* The checks of a READ's or WRITE's struct keel_remote_io; 0 or -errno. */
static int check_io(const struct iod_dev *d, const struct keel_remote_io *io,
		    char *why, size_t len)
{
	const struct keel_remote_dev_desc *dd = &d->desc;

	if (io->pad) {
		snprintf(why, len, "nonzero pad");
		return -EINVAL;
	}
	if (!io->len) {
		snprintf(why, len, "length 0");
		return -EINVAL;
	}
	if (io->len > dd->max_data) {
		snprintf(why, len, "length %u over the maximum %u", io->len,
			 dd->max_data);
		return -EMSGSIZE;
	}
	if (dd->type != KEEL_REMOTE_DEV_BLOCK) {
		if (io->offset) {
			snprintf(why, len, "offset on a %s",
				 dev_type_name(dd->type));
			return -EINVAL;
		}
		return 0;
	}
	if (io->offset % KEEL_REMOTE_SECTOR || io->len % KEEL_REMOTE_SECTOR) {
		snprintf(why, len, "offset or length not in 512-byte sectors");
		return -EINVAL;
	}
	if (io->offset > dd->capacity || io->len > dd->capacity - io->offset) {
		snprintf(why, len, "%u bytes at %llu: beyond the capacity %llu",
			 io->len, (unsigned long long)io->offset,
			 (unsigned long long)dd->capacity);
		return -ERANGE;
	}
	return 0;
}

static void do_read(struct iod_conn *c, const struct iod_msg *m,
		    struct iod_dev *d)
{
	const struct keel_remote_io *io = &m->body.io;
	unsigned char *p;
	uint32_t got;
	char why[96];
	int ret;

	if (!(d->desc.features & KEEL_REMOTE_FEAT_READ)) {
		conn_error(c, &m->h, EOPNOTSUPP, 0, "%s has no input",
			   d->desc.name);
		return;
	}
	ret = check_io(d, io, why, sizeof(why));
	if (ret) {
		conn_error(c, &m->h, -ret, 0, "READ: %s", why);
		return;
	}
	p = conn_reply(c, &m->h, KEEL_REMOTE_MSG_READ | KEEL_REMOTE_MSG_REPLY,
		       0, NULL, 0, io->len);
	if (!p)
		return;
	ret = d->ops->read(d, io->offset, p, io->len, &got);
	if (ret) {
		conn_unreply(c);
		conn_error(c, &m->h, -ret, 0, "read failed on the server");
		return;
	}
	if (got < io->len)
		conn_trim(c, io->len - got);
}

/* Answer a replayed WRITE or FLUSH from its record. */
static void from_record(struct iod_conn *c, const struct iod_msg *m,
			const struct iod_record *r)
{
	if (r->type != m->h.type) {
		conn_error(c, &m->h, EINVAL, 0, "request id %llu was a %s",
			   (unsigned long long)r->id, wire_type_name(r->type));
		return;
	}
	iod_log_peer(LOG_DEBUG, "%s: %s %llu replayed: answered from its record",
		     c->peer, wire_type_name(r->type),
		     (unsigned long long)r->id);
	if (r->status)
		conn_error(c, &m->h, (int)r->status, 0, "%s failed on the server",
			   wire_type_name(r->type));
	else
		conn_reply(c, &m->h, m->h.type | KEEL_REMOTE_MSG_REPLY, 0,
			   NULL, 0, 0);
}

/* Apply, record and answer a WRITE or FLUSH. */
static void apply(struct iod_conn *c, const struct iod_msg *m,
		  struct iod_session *s, int ret)
{
	uint32_t status = ret ? (uint32_t)-ret : 0;

	session_record(s, m->h.req_id, m->h.type, status);
	if (status)
		conn_error(c, &m->h, (int)status, 0, "%s failed on the server",
			   wire_type_name(m->h.type));
	else
		conn_reply(c, &m->h, m->h.type | KEEL_REMOTE_MSG_REPLY, 0,
			   NULL, 0, 0);
}

static void do_write(struct iod_conn *c, const struct iod_msg *m,
		     struct iod_session *s)
{
	const struct keel_remote_io *io = &m->body.io;
	bool fua = m->h.flags & KEEL_REMOTE_WRITE_FUA;
	struct iod_dev *d = s->dev;
	const struct iod_record *r;
	char why[96];
	int ret;

	if (!(d->desc.features & KEEL_REMOTE_FEAT_WRITE)) {
		if (d->desc.type == KEEL_REMOTE_DEV_BLOCK)
			conn_error(c, &m->h, EROFS, 0, "%s is read-only",
				   d->desc.name);
		else
			conn_error(c, &m->h, EOPNOTSUPP, 0, "%s takes no writes",
				   d->desc.name);
		return;
	}
	if (fua && !(d->desc.features & KEEL_REMOTE_FEAT_FUA)) {
		conn_error(c, &m->h, EOPNOTSUPP, 0, "%s has no FUA",
			   d->desc.name);
		return;
	}
	ret = check_io(d, io, why, sizeof(why));
	if (!ret && m->data_len != io->len) {
		snprintf(why, sizeof(why), "%u bytes of data for a length of %u",
			 m->data_len, io->len);
		ret = -EBADMSG;
	}
	if (ret) {
		conn_error(c, &m->h, -ret, 0, "WRITE: %s", why);
		return;
	}
	r = session_lookup(s, m->h.req_id);
	if (r) {
		from_record(c, m, r);
		return;
	}
	apply(c, m, s, d->ops->write(d, io->offset, m->data, io->len, fua));
}

static void do_flush(struct iod_conn *c, const struct iod_msg *m,
		     struct iod_session *s)
{
	struct iod_dev *d = s->dev;
	const struct iod_record *r;

	if (!(d->desc.features & KEEL_REMOTE_FEAT_FLUSH)) {
		conn_error(c, &m->h, EOPNOTSUPP, 0, "%s has no FLUSH",
			   d->desc.name);
		return;
	}
	r = session_lookup(s, m->h.req_id);
	if (r) {
		from_record(c, m, r);
		return;
	}
	apply(c, m, s, d->ops->flush(d));
}

void io_request(struct iod *iod, struct iod_conn *c, const struct iod_msg *m)
{
	struct iod_session *s = conn_session(iod, c, m->h.handle);
	int ret;

	if (!s) {
		conn_error(c, &m->h, EBADF, 0, "unknown handle %u", m->h.handle);
		return;
	}
	ret = session_admit(s, m->h.req_id);
	if (ret) {
		conn_error(c, &m->h, -ret, 0, ret == -ESTALE ?
			   "request id behind the session's window" :
			   "request id 0");
		return;
	}
	switch (m->h.type) {
	case KEEL_REMOTE_MSG_READ:
		do_read(c, m, s->dev);
		break;
	case KEEL_REMOTE_MSG_WRITE:
		do_write(c, m, s);
		break;
	default:
		do_flush(c, m, s);
		break;
	}
}
