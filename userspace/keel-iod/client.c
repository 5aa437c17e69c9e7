// SPDX-License-Identifier: GPL-2.0
/*
 * keel-iod's client library (client.h): the protocol from the client's
 * side, step by step as keel_remote.ko is to take it. The socket stays
 * blocking-free: every wait is a poll() bounded by timeout_ms, so a
 * server that stops answering is an error, never a hang.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "client.h"
#include "wire.h"

#define CLIENT_TIMEOUT_MS	10000

static int connect_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		ret = -errno;
		close(fd);
		return ret;
	}
	return fd;
}

static int connect_tcp(const char *hostport)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res, *ai;
	const char *port = strrchr(hostport, ':');
	char host[128];
	int fd = -EINVAL, one = 1;
	size_t n;

	if (!port || (n = (size_t)(port - hostport)) >= sizeof(host))
		return -EINVAL;
	memcpy(host, hostport, n);
	host[n] = '\0';
	if (n > 1 && host[0] == '[' && host[n - 1] == ']') {
		memmove(host, host + 1, n - 2);
		host[n - 2] = '\0';
	}
	if (getaddrinfo(host, port + 1, &hints, &res))
		return -EHOSTUNREACH;
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			fd = -errno;
			continue;
		}
		if (!connect(fd, ai->ai_addr, ai->ai_addrlen))
			break;
		close(fd);
		fd = -errno;
	}
	freeaddrinfo(res);
	if (fd >= 0)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int iodc_connect(struct iodc *c, const char *addr)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->timeout_ms = CLIENT_TIMEOUT_MS;
	c->version = KEEL_REMOTE_VERSION_1;
	c->cap = KEEL_REMOTE_MSG_MAX;
	c->buf = malloc(c->cap);
	if (!c->buf)
		return -ENOMEM;
	if (!strncmp(addr, "unix:", 5))
		c->fd = connect_unix(addr + 5);
	else if (!strncmp(addr, "tcp:", 4))
		c->fd = connect_tcp(addr + 4);
	else
		c->fd = -EINVAL;
	if (c->fd < 0) {
		int ret = c->fd;

		iodc_disconnect(c);
		return ret;
	}
	return 0;
}

void iodc_disconnect(struct iodc *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
}

/* Wait until @fd is ready for @events; 0, -ETIMEDOUT or -errno. */
static int wait_fd(struct iodc *c, short events)
{
	struct pollfd p = { .fd = c->fd, .events = events };
	int n;

	do
		n = poll(&p, 1, c->timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? 0 : -ETIMEDOUT;
}

int iodc_send_raw(struct iodc *c, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;
	int ret;

	while (len) {
		n = send(c->fd, p, len, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			ret = wait_fd(c, POLLOUT);
			if (ret)
				return ret;
			continue;
		}
		if (n < 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int recv_full(struct iodc *c, void *buf, size_t len)
{
	char *p = buf;
	ssize_t n;
	int ret;

	while (len) {
		ret = wait_fd(c, POLLIN);
		if (ret)
			return ret;
		n = recv(c->fd, p, len, MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return errno == ECONNRESET ? -ECONNRESET : -errno;
		if (!n)
			return -ECONNRESET;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int iodc_send(struct iodc *c, uint8_t type, uint16_t flags, uint32_t handle,
	      uint64_t req_id, const void *body, size_t body_len,
	      const void *data, size_t data_len)
{
	struct keel_remote_hdr h;
	int ret;

	wire_hdr(&h, c->version, type, flags,
		 (uint32_t)(WIRE_HDR_LEN + body_len + data_len), handle,
		 req_id, 0);
	ret = iodc_send_raw(c, &h, sizeof(h));
	if (!ret && body_len)
		ret = iodc_send_raw(c, body, body_len);
	if (!ret && data_len)
		ret = iodc_send_raw(c, data, data_len);
	return ret;
}

int iodc_recv(struct iodc *c)
{
	struct keel_remote_error e;
	char why[96];
	int ret;

	ret = recv_full(c, &c->rh, sizeof(c->rh));
	if (ret)
		return ret;
	if (wire_frame(&c->rh, KEEL_REMOTE_MSG_MAX, why, sizeof(why)) ||
	    c->rh.pad)
		return -EBADMSG;
	ret = recv_full(c, c->buf, c->rh.length - WIRE_HDR_LEN);
	if (ret)
		return ret;
	if (c->rh.type == KEEL_REMOTE_MSG_ERROR &&
	    c->rh.length - WIRE_HDR_LEN == sizeof(e)) {
		memcpy(&e, c->buf, sizeof(e));
		c->err_code = e.code;
		c->err_detail = e.detail;
		memcpy(c->err_text, e.text, sizeof(e.text));
		c->err_text[sizeof(e.text)] = '\0';
	}
	return 0;
}

int iodc_reply_of(struct iodc *c, uint8_t type, uint64_t req_id)
{
	if (c->rh.type == KEEL_REMOTE_MSG_SHUTDOWN)
		return -ESHUTDOWN;
	if (c->rh.req_id != req_id || c->rh.version != c->version)
		return -EPROTO;
	if (c->rh.type == KEEL_REMOTE_MSG_ERROR) {
		if (c->rh.length - WIRE_HDR_LEN !=
		    sizeof(struct keel_remote_error) || !c->rh.status ||
		    c->rh.status != c->err_code)
			return -EPROTO;
		return -(int)c->rh.status;
	}
	if (c->rh.type != (type | KEEL_REMOTE_MSG_REPLY))
		return -EPROTO;
	return c->rh.status ? -(int)c->rh.status : 0;
}

int iodc_call(struct iodc *c, uint8_t type, uint16_t flags, uint32_t handle,
	      uint64_t req_id, const void *body, size_t body_len,
	      const void *data, size_t data_len)
{
	int ret;

	c->err_code = 0;
	c->err_detail = 0;
	c->err_text[0] = '\0';
	ret = iodc_send(c, type, flags, handle, req_id, body, body_len, data,
			data_len);
	if (!ret)
		ret = iodc_recv(c);
	return ret ? ret : iodc_reply_of(c, type, req_id);
}

/* The body of the last message is exactly @len bytes. */
static bool body_is(const struct iodc *c, size_t len)
{
	return c->rh.length - WIRE_HDR_LEN == len;
}

int iodc_hello(struct iodc *c, uint16_t vmin, uint16_t vmax,
	       const char *name)
{
	struct keel_remote_hello hi = {
		.version_min = vmin,
		.version_max = vmax,
	};
	struct keel_remote_hdr h;
	uint64_t id = ++c->ctl_id;
	int ret;

	if (auth_nonce(hi.nonce))
		return -EIO;
	wire_str_set(hi.name, sizeof(hi.name), name ? name : "");
	wire_hdr(&h, KEEL_REMOTE_VERSION_1, KEEL_REMOTE_MSG_HELLO, 0,
		 sizeof(c->hello), 0, id, 0);
	memcpy(c->hello, &h, sizeof(h));
	memcpy(c->hello + sizeof(h), &hi, sizeof(hi));
	ret = iodc_send_raw(c, c->hello, sizeof(c->hello));
	if (!ret)
		ret = iodc_recv(c);
	if (ret)
		return ret;
	if (c->rh.type == (KEEL_REMOTE_MSG_HELLO | KEEL_REMOTE_MSG_REPLY)) {
		if (!body_is(c, sizeof(c->server)))
			return -EPROTO;
		memcpy(&c->server, c->buf, sizeof(c->server));
	}
	ret = iodc_reply_of(c, KEEL_REMOTE_MSG_HELLO, id);
	if (ret)
		return ret;
	if (c->server.version < vmin || c->server.version > vmax ||
	    c->server.features & ~hi.features ||
	    !wire_str_ok(c->server.name, sizeof(c->server.name), true))
		return -EPROTO;
	memcpy(c->reply, &c->rh, sizeof(c->rh));
	memcpy(c->reply + sizeof(c->rh), c->buf, sizeof(c->server));
	c->version = (uint8_t)c->server.version;
	return 0;
}

int iodc_auth(struct iodc *c, const struct iod_key *key)
{
	struct keel_remote_auth mine, theirs;
	uint8_t want[KEEL_REMOTE_MAC_LEN];
	int ret;

	if (auth_proof(key, false, c->hello, sizeof(c->hello), c->reply,
		       sizeof(c->reply), mine.mac) ||
	    auth_proof(key, true, c->hello, sizeof(c->hello), c->reply,
		       sizeof(c->reply), want))
		return -EIO;
	ret = iodc_call(c, KEEL_REMOTE_MSG_AUTH, 0, 0, ++c->ctl_id, &mine,
			sizeof(mine), NULL, 0);
	if (ret)
		return ret;
	if (!body_is(c, sizeof(theirs)))
		return -EPROTO;
	memcpy(&theirs, c->buf, sizeof(theirs));
	if (!auth_equal(want, theirs.mac)) {
		wire_str_set(c->err_text, sizeof(c->err_text),
			     "the server's proof is wrong: not trusted");
		return -EACCES;
	}
	return 0;
}

int iodc_open_conn(struct iodc *c, const char *addr, const struct iod_key *key)
{
	int ret = iodc_connect(c, addr);

	if (!ret)
		ret = iodc_hello(c, KEEL_REMOTE_VERSION_1, KEEL_REMOTE_VERSION,
				 "iodc");
	if (!ret)
		ret = iodc_auth(c, key);
	if (ret && c->buf)
		iodc_disconnect(c);
	return ret;
}

int iodc_list(struct iodc *c, struct keel_remote_dev_desc *devs,
	      unsigned int max, unsigned int *n)
{
	struct keel_remote_list_reply r;
	unsigned int i;
	int ret;

	ret = iodc_call(c, KEEL_REMOTE_MSG_LIST, 0, 0, ++c->ctl_id, NULL, 0,
			NULL, 0);
	if (ret)
		return ret;
	if (c->rh.length - WIRE_HDR_LEN < sizeof(r))
		return -EPROTO;
	memcpy(&r, c->buf, sizeof(r));
	if (r.desc_size < sizeof(*devs) || r.count > max ||
	    !body_is(c, sizeof(r) + (size_t)r.count * r.desc_size))
		return -EPROTO;
	for (i = 0; i < r.count; i++)
		memcpy(&devs[i], c->buf + sizeof(r) + (size_t)i * r.desc_size,
		       sizeof(*devs));
	*n = r.count;
	return 0;
}

void iodc_open_req(struct keel_remote_open *q, uint16_t type,
		   const char *model, const char *name, uint64_t features,
		   uint64_t min_capacity)
{
	memset(q, 0, sizeof(*q));
	q->type = type;
	q->features = features;
	q->min_capacity = min_capacity;
	wire_str_set(q->model, sizeof(q->model), model ? model : "");
	wire_str_set(q->name, sizeof(q->name), name ? name : "");
}

int iodc_open(struct iodc *c, const struct keel_remote_open *req,
	      struct keel_remote_open_reply *rep)
{
	int ret;

	ret = iodc_call(c, KEEL_REMOTE_MSG_OPEN, 0, 0, ++c->ctl_id, req,
			sizeof(*req), NULL, 0);
	if (ret)
		return ret;
	if (!body_is(c, sizeof(*rep)))
		return -EPROTO;
	memcpy(rep, c->buf, sizeof(*rep));
	return rep->handle && rep->session ? 0 : -EPROTO;
}

int iodc_resume(struct iodc *c, uint64_t session,
		struct keel_remote_resume_reply *rep,
		struct keel_remote_record *recs)
{
	struct keel_remote_resume q = { .session = session };
	unsigned int i;
	int ret;

	ret = iodc_call(c, KEEL_REMOTE_MSG_RESUME, 0, 0, ++c->ctl_id, &q,
			sizeof(q), NULL, 0);
	if (ret)
		return ret;
	if (c->rh.length - WIRE_HDR_LEN < sizeof(*rep))
		return -EPROTO;
	memcpy(rep, c->buf, sizeof(*rep));
	if (rep->rec_size < sizeof(*recs) || rep->count > KEEL_REMOTE_WINDOW ||
	    !body_is(c, sizeof(*rep) + (size_t)rep->count * rep->rec_size))
		return -EPROTO;
	for (i = 0; i < rep->count; i++)
		memcpy(&recs[i], c->buf + sizeof(*rep) +
		       (size_t)i * rep->rec_size, sizeof(*recs));
	return 0;
}

int iodc_read(struct iodc *c, uint32_t handle, uint64_t id, uint64_t off,
	      void *buf, uint32_t len, uint32_t *got)
{
	struct keel_remote_io io = { .offset = off, .len = len };
	int ret;

	ret = iodc_call(c, KEEL_REMOTE_MSG_READ, 0, handle, id, &io,
			sizeof(io), NULL, 0);
	if (ret)
		return ret;
	if (c->rh.length - WIRE_HDR_LEN > len)
		return -EPROTO;
	*got = c->rh.length - (uint32_t)WIRE_HDR_LEN;
	memcpy(buf, c->buf, *got);
	return 0;
}

int iodc_write(struct iodc *c, uint32_t handle, uint64_t id, uint16_t flags,
	       uint64_t off, const void *buf, uint32_t len)
{
	struct keel_remote_io io = { .offset = off, .len = len };
	int ret;

	ret = iodc_call(c, KEEL_REMOTE_MSG_WRITE, flags, handle, id, &io,
			sizeof(io), buf, len);
	return ret ? ret : body_is(c, 0) ? 0 : -EPROTO;
}

int iodc_flush(struct iodc *c, uint32_t handle, uint64_t id)
{
	int ret;

	ret = iodc_call(c, KEEL_REMOTE_MSG_FLUSH, 0, handle, id, NULL, 0,
			NULL, 0);
	return ret ? ret : body_is(c, 0) ? 0 : -EPROTO;
}

int iodc_close(struct iodc *c, uint32_t handle)
{
	int ret;

	ret = iodc_call(c, KEEL_REMOTE_MSG_CLOSE, 0, handle, ++c->ctl_id, NULL,
			0, NULL, 0);
	return ret ? ret : body_is(c, 0) ? 0 : -EPROTO;
}

int iodc_ping(struct iodc *c)
{
	int ret;

	ret = iodc_call(c, KEEL_REMOTE_MSG_PING, 0, 0, ++c->ctl_id, NULL, 0,
			NULL, 0);
	return ret ? ret : body_is(c, 0) ? 0 : -EPROTO;
}
