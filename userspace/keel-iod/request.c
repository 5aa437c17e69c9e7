// SPDX-License-Identifier: GPL-2.0
/*
 * A complete message's way to its handler: the header checks of wire.c,
 * the handshake's order (HELLO, then AUTH, then the rest; anything else
 * before AUTH succeeded closes the connection), and the handlers of the
 * requests that are not I/O: LIST (discovery), OPEN (a device picked by
 * the registry, a new session), RESUME (a session attached again, with
 * its records), CLOSE and PING. A request refused here changes nothing.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "iod.h"
#include "log.h"
#include "wire.h"

static void do_list(struct iod *iod, struct iod_conn *c,
		    const struct iod_msg *m)
{
	struct keel_remote_list_reply r = {
		.count = iod->reg.n,
		.desc_size = sizeof(struct keel_remote_dev_desc),
	};
	unsigned char *p;
	unsigned int i;

	p = conn_reply(c, &m->h, KEEL_REMOTE_MSG_LIST | KEEL_REMOTE_MSG_REPLY,
		       0, &r, sizeof(r), r.count * r.desc_size);
	for (i = 0; p && i < r.count; i++)
		memcpy(p + i * r.desc_size, &iod->reg.devs[i].desc,
		       r.desc_size);
}

static const char *const no_match[] = {
	[KEEL_REMOTE_OPEN_NO_NAME] = "no device of that name",
	[KEEL_REMOTE_OPEN_NO_TYPE] = "no device of that type",
	[KEEL_REMOTE_OPEN_NO_MODEL] = "no device of that model",
	[KEEL_REMOTE_OPEN_NO_FEATURES] = "no device with those features",
	[KEEL_REMOTE_OPEN_NO_CAPACITY] = "no device that large",
};

static void do_open(struct iod *iod, struct iod_conn *c,
		    const struct iod_msg *m)
{
	const struct keel_remote_open *q = &m->body.open;
	struct keel_remote_open_reply r = { .window = KEEL_REMOTE_WINDOW };
	struct iod_session *s;
	struct iod_dev *d;
	uint16_t detail;
	int ret;

	if (iod->stopping) {
		conn_error(c, &m->h, ESHUTDOWN, 0, "the server is stopping");
		return;
	}
	if (!conn_handle_free(c)) {
		conn_error(c, &m->h, EMFILE, 0, "%u handles on this connection",
			   IOD_MAX_HANDLES);
		return;
	}
	ret = registry_match(&iod->reg, q, &d, &detail);
	if (ret == -EINVAL) {
		conn_error(c, &m->h, EINVAL, 0, "bad pad, model or name in OPEN");
		return;
	}
	if (ret == -ENODEV) {
		iod_log_peer(LOG_INFO, "%s: OPEN of type %s, model %s refused: %s",
			     c->peer, dev_type_name(q->type),
			     q->model[0] ? q->model : "any", no_match[detail]);
		conn_error(c, &m->h, ENODEV, detail, "%s", no_match[detail]);
		return;
	}
	if (ret == -EBUSY) {
		conn_error(c, &m->h, EBUSY, 0,
			   "every matching device has its session");
		return;
	}
	ret = session_new(&iod->sessions, d, &s);
	if (ret) {
		conn_error(c, &m->h, -ret, 0, ret == -EMFILE ?
			   "too many sessions on the server" : "server failure");
		return;
	}
	r.session = s->id;
	r.handle = conn_attach(c, s);
	r.dev = d->desc;
	conn_reply(c, &m->h, KEEL_REMOTE_MSG_OPEN | KEEL_REMOTE_MSG_REPLY, 0,
		   &r, sizeof(r), 0);
	iod_log_peer(LOG_INFO, "%s: client '%s' opened %s (%s), session %016llx",
		     c->peer, c->name, d->desc.name, d->desc.model,
		     (unsigned long long)s->id);
}

static void do_resume(struct iod *iod, struct iod_conn *c,
		      const struct iod_msg *m)
{
	static struct keel_remote_record recs[KEEL_REMOTE_WINDOW];
	struct keel_remote_resume_reply r = {
		.window = KEEL_REMOTE_WINDOW,
		.rec_size = sizeof(struct keel_remote_record),
	};
	struct iod_session *s;
	unsigned char *p;

	if (iod->stopping) {
		conn_error(c, &m->h, ESHUTDOWN, 0, "the server is stopping");
		return;
	}
	s = session_find(&iod->sessions, m->body.resume.session);
	if (!s) {
		iod_log_peer(LOG_INFO, "%s: RESUME of unknown session %016llx",
			     c->peer,
			     (unsigned long long)m->body.resume.session);
		conn_error(c, &m->h, ENOENT, 0,
			   "unknown session: OPEN the device again");
		return;
	}
	r.handle = conn_attach(c, s);
	if (!r.handle) {
		conn_error(c, &m->h, EMFILE, 0, "%u handles on this connection",
			   IOD_MAX_HANDLES);
		return;
	}
	r.session = s->id;
	r.last_id = s->max_id;
	r.count = session_records(s, recs);
	r.dev = s->dev->desc;
	p = conn_reply(c, &m->h, KEEL_REMOTE_MSG_RESUME | KEEL_REMOTE_MSG_REPLY,
		       0, &r, sizeof(r), r.count * r.rec_size);
	if (p)
		memcpy(p, recs, r.count * r.rec_size);
	iod_log_peer(LOG_INFO, "%s: client '%s' resumed session %016llx on %s, %u records",
		     c->peer, c->name, (unsigned long long)s->id,
		     s->dev->desc.name, r.count);
}

static void do_close(struct iod *iod, struct iod_conn *c,
		     const struct iod_msg *m)
{
	struct iod_session *s = conn_session(iod, c, m->h.handle);

	if (!s) {
		conn_error(c, &m->h, EBADF, 0, "unknown handle %u", m->h.handle);
		return;
	}
	iod_log_peer(LOG_INFO, "%s: client '%s' closed session %016llx on %s",
		     c->peer, c->name, (unsigned long long)s->id,
		     s->dev->desc.name);
	session_close(&iod->sessions, s);
	conn_detach(iod, c, m->h.handle);
	conn_reply(c, &m->h, KEEL_REMOTE_MSG_CLOSE | KEEL_REMOTE_MSG_REPLY, 0,
		   NULL, 0, 0);
}

void request_dispatch(struct iod *iod, struct iod_conn *c, struct iod_msg *m)
{
	const struct wire_type *t;
	char why[96];
	int ret;

	ret = wire_check(&m->h, c->version, why, sizeof(why));
	if (!ret && c->state != CONN_READY &&
	    m->h.type != (c->state == CONN_HELLO ? KEEL_REMOTE_MSG_HELLO :
						  KEEL_REMOTE_MSG_AUTH)) {
		snprintf(why, sizeof(why), "%s before %s", wire_type_name(m->h.type),
			 c->state == CONN_HELLO ? "HELLO" : "AUTH");
		ret = c->state == CONN_HELLO ? -EPROTO : -EACCES;
	}
	if (!ret && c->state == CONN_READY &&
	    (m->h.type == KEEL_REMOTE_MSG_HELLO ||
	     m->h.type == KEEL_REMOTE_MSG_AUTH)) {
		snprintf(why, sizeof(why), "%s again", wire_type_name(m->h.type));
		ret = -EPROTO;
	}
	if (ret) {
		iod_log_peer(c->state == CONN_READY ? LOG_INFO : LOG_WARNING,
			     "%s: refused: %s%s", c->peer, why,
			     c->state == CONN_READY ? "" : "; closing the connection");
		conn_error(c, &m->h, -ret, 0, "%s", why);
		if (c->state != CONN_READY)
			c->closing = true;
		return;
	}
	t = wire_request(m->h.type);
	memcpy(&m->body, m->raw + WIRE_HDR_LEN, t->body);
	m->data = m->raw + WIRE_HDR_LEN + t->body;
	m->data_len = m->h.length - (uint32_t)WIRE_HDR_LEN - t->body;
	switch (m->h.type) {
	case KEEL_REMOTE_MSG_HELLO:
		handshake_hello(iod, c, m);
		break;
	case KEEL_REMOTE_MSG_AUTH:
		handshake_auth(iod, c, m);
		break;
	case KEEL_REMOTE_MSG_LIST:
		do_list(iod, c, m);
		break;
	case KEEL_REMOTE_MSG_OPEN:
		do_open(iod, c, m);
		break;
	case KEEL_REMOTE_MSG_RESUME:
		do_resume(iod, c, m);
		break;
	case KEEL_REMOTE_MSG_CLOSE:
		do_close(iod, c, m);
		break;
	case KEEL_REMOTE_MSG_PING:
		conn_reply(c, &m->h, KEEL_REMOTE_MSG_PONG, 0, NULL, 0, 0);
		break;
	default:
		io_request(iod, c, m);
		break;
	}
}
