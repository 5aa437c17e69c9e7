// SPDX-License-Identifier: GPL-2.0
/*
 * The server's side of the handshake: HELLO (the version both speak,
 * the nonces, the keepalive and limits) and AUTH (the client's proof
 * checked, the server's sent back). Both HELLO messages are kept as
 * they travelled, since the proofs cover them. Until AUTH succeeds the
 * peer gets nothing but these two replies; any refusal closes the
 * connection.
 */
#include <errno.h>
#include <string.h>

#include "iod.h"
#include "log.h"
#include "wire.h"

void handshake_hello(struct iod *iod, struct iod_conn *c,
		     const struct iod_msg *m)
{
	const struct keel_remote_hello *hi = &m->body.hello;
	struct keel_remote_hello_reply r = {
		.version_min = KEEL_REMOTE_VERSION_1,
		.version_max = KEEL_REMOTE_VERSION,
		.features = hi->features & KEEL_REMOTE_HELLO_F_ALL,
		.keepalive_ms = iod->idle_ms,
		.max_msg = KEEL_REMOTE_MSG_MAX,
		.linger_ms = (uint32_t)iod->sessions.linger_ms,
	};
	struct keel_remote_hdr h;
	uint16_t v;

	if (!hi->version_min || hi->version_min > hi->version_max ||
	    !wire_str_ok(hi->name, sizeof(hi->name), true)) {
		iod_log_peer(LOG_WARNING, "%s: malformed HELLO; closing the connection",
			     c->peer);
		conn_error(c, &m->h, EINVAL, 0,
			   "bad version range or name in HELLO");
		c->closing = true;
		return;
	}
	memcpy(c->name, hi->name, sizeof(c->name));
	v = hi->version_max < KEEL_REMOTE_VERSION ? hi->version_max :
						    KEEL_REMOTE_VERSION;
	if (v < hi->version_min || v < KEEL_REMOTE_VERSION_1) {
		iod_log_peer(LOG_WARNING, "%s: client '%s' speaks versions %u to %u, this server %u to %u; closing the connection",
			     c->peer, c->name, hi->version_min, hi->version_max,
			     KEEL_REMOTE_VERSION_1, KEEL_REMOTE_VERSION);
		r.features = 0;
		conn_reply(c, &m->h,
			   KEEL_REMOTE_MSG_HELLO | KEEL_REMOTE_MSG_REPLY,
			   EPROTONOSUPPORT, &r, sizeof(r), 0);
		c->closing = true;
		return;
	}
	if (auth_nonce(r.nonce)) {
		iod_log_peer(LOG_ERR, "no random bytes for a nonce; closing %s",
			     c->peer);
		conn_error(c, &m->h, EIO, 0, "server failure");
		c->closing = true;
		return;
	}
	r.version = v;
	memcpy(r.name, iod->name, sizeof(r.name));
	wire_hdr(&h, KEEL_REMOTE_VERSION_1,
		 KEEL_REMOTE_MSG_HELLO | KEEL_REMOTE_MSG_REPLY, 0,
		 sizeof(c->reply), 0, m->h.req_id, 0);
	memcpy(c->hello, m->raw, sizeof(c->hello));
	memcpy(c->reply, &h, sizeof(h));
	memcpy(c->reply + sizeof(h), &r, sizeof(r));
	conn_send(c, c->reply, sizeof(c->reply));
	c->version = (uint8_t)v;
	c->state = CONN_AUTH;
}

void handshake_auth(struct iod *iod, struct iod_conn *c,
		    const struct iod_msg *m)
{
	struct keel_remote_auth mine;
	uint8_t want[KEEL_REMOTE_MAC_LEN];

	if (auth_proof(&iod->key, false, c->hello, sizeof(c->hello),
		       c->reply, sizeof(c->reply), want) ||
	    auth_proof(&iod->key, true, c->hello, sizeof(c->hello),
		       c->reply, sizeof(c->reply), mine.mac)) {
		iod_log_peer(LOG_ERR, "HMAC-SHA256 failed in libcrypto; closing %s",
			     c->peer);
		conn_error(c, &m->h, EIO, 0, "server failure");
		c->closing = true;
		return;
	}
	if (!auth_equal(want, m->body.auth.mac)) {
		iod_log_peer(LOG_WARNING, "%s: client '%s' failed authentication (not this server's key); closing the connection",
			     c->peer, c->name);
		conn_error(c, &m->h, EACCES, 0, "authentication failed");
		c->closing = true;
		return;
	}
	conn_reply(c, &m->h, KEEL_REMOTE_MSG_AUTH | KEEL_REMOTE_MSG_REPLY, 0,
		   &mine, sizeof(mine), 0);
	c->state = CONN_READY;
	iod_log_peer(LOG_INFO, "%s: client '%s' authenticated, protocol version %u",
		     c->peer, c->name, c->version);
}
