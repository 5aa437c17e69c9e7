// SPDX-License-Identifier: GPL-2.0
/*
 * keel-iod's connections: the input buffer that frames messages (grown
 * to the message being received, at most KEEL_REMOTE_MSG_MAX), the
 * output buffer that replies wait in (never a blocking send), the epoll
 * interest that follows both (no reading while IOD_OUT_HIGH bytes of
 * replies are unsent: a client that does not read its replies stalls
 * only itself), the handles that name sessions, and the end of a
 * connection. A header that cannot be framed gets an ERROR and the
 * connection closes: nothing after it can be found. Until the peer is
 * authenticated it cannot make the server hold more than a HELLO.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "iod.h"
#include "log.h"
#include "wire.h"

#define IN_INIT		(64u << 10)

struct iod_conn *conn_new(struct iod *iod, int fd, const char *peer)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct iod_conn *c = calloc(1, sizeof(*c));

	if (c)
		c->in = malloc(IN_INIT);
	if (!c || !c->in) {
		free(c);
		return NULL;
	}
	c->ev = EV_CONN;
	c->fd = fd;
	c->in_cap = IN_INIT;
	c->version = KEEL_REMOTE_VERSION_1;
	c->last_rx = iod_now();
	snprintf(c->peer, sizeof(c->peer), "%s", peer);
	ev.data.ptr = c;
	if (epoll_ctl(iod->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
		free(c->in);
		free(c);
		return NULL;
	}
	c->armed = EPOLLIN;
	c->next = iod->conns;
	if (iod->conns)
		iod->conns->prev = c;
	iod->conns = c;
	iod->nconns++;
	return c;
}

void conn_free(struct iod *iod, struct iod_conn *c)
{
	uint32_t h;

	for (h = 1; h <= IOD_MAX_HANDLES; h++)
		if (c->handles[h - 1])
			conn_detach(iod, c, h);
	epoll_ctl(iod->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		iod->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	iod->nconns--;
	iod_log_peer(LOG_DEBUG, "%s: connection closed", c->peer);
	free(c->in);
	free(c->out);
	free(c);
}

/* The longest message @c may send now. */
static uint32_t max_len(const struct iod_conn *c)
{
	return c->state == CONN_READY ? KEEL_REMOTE_MSG_MAX :
	       (uint32_t)KEEL_REMOTE_HANDSHAKE_MAX;
}

size_t conn_pending(const struct iod_conn *c)
{
	return c->out_len - c->out_off;
}

/* The length of the message at the start of the input, or 0. */
static uint32_t next_len(const struct iod_conn *c)
{
	struct keel_remote_hdr h;

	if (c->in_len - c->in_off < WIRE_HDR_LEN)
		return 0;
	memcpy(&h, c->in + c->in_off, sizeof(h));
	return h.length;
}

ssize_t conn_read(struct iod_conn *c)
{
	uint32_t want = next_len(c);
	unsigned char *p;
	ssize_t n;

	if (c->in_off) {
		memmove(c->in, c->in + c->in_off, c->in_len - c->in_off);
		c->in_len -= c->in_off;
		c->in_off = 0;
	}
	if (want > c->in_cap && want <= max_len(c)) {
		p = realloc(c->in, want);
		if (!p) {
			iod_log_peer(LOG_ERR, "%s: out of memory for a message of %u bytes; closing the connection",
				     c->peer, want);
			c->closing = true;
			return 0;
		}
		c->in = p;
		c->in_cap = want;
	}
	if (c->in_len == c->in_cap || c->eof)
		return 0;
	do
		n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len,
			 MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		c->in_len += (size_t)n;
		c->last_rx = iod_now();
		return n;
	}
	if (!n || (errno != EAGAIN && errno != EWOULDBLOCK)) {
		if (n)
			iod_log_peer(LOG_DEBUG, "%s: %s", c->peer, strerror(errno));
		c->eof = true;
	}
	return 0;
}

/* Serve the complete messages in the input while the output has room. */
static void process(struct iod *iod, struct iod_conn *c)
{
	char why[96];
	struct iod_msg m;
	int ret;

	while (!c->closing && conn_pending(c) < IOD_OUT_HIGH &&
	       c->in_len - c->in_off >= WIRE_HDR_LEN) {
		memcpy(&m.h, c->in + c->in_off, sizeof(m.h));
		ret = wire_frame(&m.h, max_len(c), why, sizeof(why));
		if (ret) {
			iod_log_peer(LOG_WARNING, "%s: %s; closing the connection",
				     c->peer, why);
			conn_error(c, &m.h, -ret, 0, "%s", why);
			c->closing = true;
			break;
		}
		if (c->in_len - c->in_off < m.h.length)
			break;
		m.raw = c->in + c->in_off;
		c->in_off += m.h.length;
		request_dispatch(iod, c, &m);
	}
	if (c->in_off == c->in_len)
		c->in_off = c->in_len = 0;
}

/* Send what the socket takes; false when the socket failed. */
static bool flush_out(struct iod_conn *c)
{
	ssize_t n;

	while (conn_pending(c)) {
		n = send(c->fd, c->out + c->out_off, conn_pending(c),
			 MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			iod_log_peer(LOG_DEBUG, "%s: %s", c->peer, strerror(errno));
			return false;
		}
		c->out_off += (size_t)n;
	}
	if (!conn_pending(c))
		c->out_off = c->out_len = 0;
	return true;
}

bool conn_has_request(const struct iod_conn *c)
{
	uint32_t len = next_len(c);

	return len && c->in_len - c->in_off >= len;
}

/* Between messages, buffers grown for a large one go back to their size. */
static void shrink(struct iod_conn *c)
{
	unsigned char *p;

	if (!conn_pending(c) && c->out_cap > IN_INIT) {
		free(c->out);
		c->out = NULL;
		c->out_cap = 0;
	}
	if (c->in_len == c->in_off && c->in_cap > IN_INIT) {
		p = realloc(c->in, IN_INIT);
		if (p) {
			c->in = p;
			c->in_cap = IN_INIT;
		}
	}
}

bool conn_settle(struct iod *iod, struct iod_conn *c)
{
	struct epoll_event ev = { .data.ptr = c };
	uint32_t want = 0;

	for (;;) {
		process(iod, c);
		if (!flush_out(c)) {
			conn_free(iod, c);
			return false;
		}
		if (c->closing || conn_pending(c) >= IOD_OUT_HIGH ||
		    !conn_has_request(c))
			break;
	}
	if ((c->closing || c->eof) && !conn_pending(c)) {
		conn_free(iod, c);
		return false;
	}
	shrink(c);
	if (!c->closing && !c->eof && !iod->stopping &&
	    conn_pending(c) < IOD_OUT_HIGH)
		want |= EPOLLIN;
	if (conn_pending(c))
		want |= EPOLLOUT;
	if (want != c->armed) {
		ev.events = want;
		epoll_ctl(iod->epoll_fd, EPOLL_CTL_MOD, c->fd, &ev);
		c->armed = want;
	}
	return true;
}

/* Room for @len more bytes of output; NULL when out of memory. */
static unsigned char *out_room(struct iod_conn *c, size_t len)
{
	size_t cap;
	unsigned char *p;

	if (c->closing)
		return NULL;
	if (c->out_off && c->out_len + len > c->out_cap) {
		memmove(c->out, c->out + c->out_off, conn_pending(c));
		c->out_len -= c->out_off;
		c->last_reply -= c->out_off;
		c->out_off = 0;
	}
	if (c->out_len + len > c->out_cap) {
		cap = c->out_cap ? c->out_cap : 4096;
		while (cap < c->out_len + len)
			cap *= 2;
		p = realloc(c->out, cap);
		if (!p) {
			iod_log_peer(LOG_ERR, "%s: out of memory for replies; closing the connection",
				     c->peer);
			c->closing = true;
			return NULL;
		}
		c->out = p;
		c->out_cap = cap;
	}
	p = c->out + c->out_len;
	c->out_len += len;
	return p;
}

void conn_send(struct iod_conn *c, const void *msg, size_t len)
{
	unsigned char *p = out_room(c, len);

	if (p) {
		c->last_reply = (size_t)(p - c->out);
		memcpy(p, msg, len);
	}
}

unsigned char *conn_reply(struct iod_conn *c, const struct keel_remote_hdr *req,
			  uint8_t type, uint32_t status, const void *body,
			  uint32_t body_len, uint32_t data_len)
{
	uint32_t len = (uint32_t)WIRE_HDR_LEN + body_len + data_len;
	struct keel_remote_hdr h;
	unsigned char *p = out_room(c, len);

	if (!p)
		return NULL;
	c->last_reply = (size_t)(p - c->out);
	wire_hdr(&h, c->version, type, 0, len, req->handle, req->req_id,
		 status);
	memcpy(p, &h, sizeof(h));
	if (body_len)
		memcpy(p + WIRE_HDR_LEN, body, body_len);
	return p + WIRE_HDR_LEN + body_len;
}

void conn_trim(struct iod_conn *c, uint32_t cut)
{
	struct keel_remote_hdr h;

	/* The last reply ends the output, its data last. */
	memcpy(&h, c->out + c->last_reply, sizeof(h));
	h.length -= cut;
	memcpy(c->out + c->last_reply, &h, sizeof(h));
	c->out_len -= cut;
}

void conn_unreply(struct iod_conn *c)
{
	c->out_len = c->last_reply;
}

void conn_error(struct iod_conn *c, const struct keel_remote_hdr *req,
		int err, uint16_t detail, const char *fmt, ...)
{
	struct keel_remote_error e = {
		.code = (uint32_t)err,
		.req_type = wire_request(req->type) ? req->type : 0,
		.detail = detail,
	};
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	wire_str_set(e.text, sizeof(e.text), text);
	conn_reply(c, req, KEEL_REMOTE_MSG_ERROR, e.code, &e, sizeof(e), 0);
}

struct iod_session *conn_session(struct iod *iod, struct iod_conn *c,
				 uint32_t handle)
{
	struct iod_session *s;

	if (!handle || handle > IOD_MAX_HANDLES)
		return NULL;
	s = c->handles[handle - 1];
	if (s && s->closed) {
		conn_detach(iod, c, handle);
		s = NULL;
	}
	return s;
}

bool conn_handle_free(const struct iod_conn *c)
{
	unsigned int i;

	for (i = 0; i < IOD_MAX_HANDLES; i++)
		if (!c->handles[i])
			return true;
	return false;
}

uint32_t conn_attach(struct iod_conn *c, struct iod_session *s)
{
	uint32_t i;

	for (i = 0; i < IOD_MAX_HANDLES; i++) {
		if (c->handles[i])
			continue;
		c->handles[i] = s;
		session_get(s);
		return i + 1;
	}
	return 0;
}

void conn_detach(struct iod *iod, struct iod_conn *c, uint32_t handle)
{
	struct iod_session *s = c->handles[handle - 1];

	c->handles[handle - 1] = NULL;
	if (s)
		session_put(&iod->sessions, s, iod_now());
}
