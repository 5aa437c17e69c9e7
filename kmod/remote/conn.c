// SPDX-License-Identifier: GPL-2.0
/*
 * A remote device's connection to keel-iod: the stream socket userspace
 * hands in (setup, KEEL_REMOTE_IOC_CONNECT), the messages the worker
 * sends on it, the receiver thread ("keel-remote-<id>-rx") that checks
 * every reply and moves its request from SENT to DONE, and the loss of
 * the connection (EOF, SHUTDOWN, a reply that breaks the protocol, a
 * dead keepalive): the device stops using it, keeps every request
 * without a reply, and its file polls readable until a new connection
 * comes, on which those requests are sent again with their ids.
 */
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/socket.h>
#include <linux/virtio_blk.h>

#include "remote.h"

/**
 * keel_remote_sock_get() - take a connected stream socket
 * @s: the sink to fill
 * @fd: the caller's descriptor
 *
 * Context: process context (the caller's file table).
 *
 * Return: 0; -EBADF, -EINVAL when it is not a SOCK_STREAM socket,
 * -ENOTCONN when it is not connected.
 */
int keel_remote_sock_get(struct keel_sink *s, int fd)
{
	struct sockaddr_storage addr;
	int ret;

	ret = keel_sink_get_socket(s, fd, SOCK_STREAM);
	if (ret)
		return ret;
	if (kernel_getpeername(s->sock, (struct sockaddr *)&addr) < 0) {
		keel_sink_put(s);
		return -ENOTCONN;
	}
	return 0;
}

static void keel_remote_hdr(struct keel_remote_hdr *h, u8 type, u32 len,
			    u32 handle, u64 req_id)
{
	memset(h, 0, sizeof(*h));
	h->magic = cpu_to_le32(KEEL_REMOTE_MAGIC);
	h->version = KEEL_REMOTE_VERSION_1;
	h->type = type;
	h->length = cpu_to_le32(len);
	h->handle = cpu_to_le32(handle);
	h->req_id = cpu_to_le64(req_id);
}

/*
 * One message, with &keel_remote.tx_mutex held. -EINTR when the stop
 * interrupted it before a byte went out (the stream is intact); any
 * other error leaves the connection unusable.
 */
static int keel_remote_send(struct keel_remote *rd, struct kvec *v,
			    size_t nr, size_t len)
{
	size_t sent;
	int ret;

	lockdep_assert_held(&rd->tx_mutex);
	ret = keel_sink_send_part(&rd->sink, v, nr, len, &sent);
	if (!ret)
		WRITE_ONCE(rd->last_tx, jiffies);
	else if (!sent && keel_thread_should_stop(&rd->worker))
		ret = -EINTR;
	return ret;
}

/**
 * keel_remote_send_req() - send a request's READ, WRITE or FLUSH
 * @rd: the device, &keel_remote.tx_mutex held, connected
 * @r: the request, SENT
 *
 * Context: the worker; sleeps.
 *
 * Return: 0; -EINTR when stopped before anything went out; another
 * negative errno when the connection is no longer usable.
 */
int keel_remote_send_req(struct keel_remote *rd, struct keel_remote_req *r)
{
	struct keel_remote_hdr h;
	struct keel_remote_io io = {
		.offset = cpu_to_le64(r->offset),
		.len = cpu_to_le32(r->len),
	};
	struct kvec v[3] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = &io, .iov_len = sizeof(io) },
		{ .iov_base = r->buf, .iov_len = r->len },
	};
	size_t nr = 1, len = sizeof(h);

	if (r->type != KEEL_REMOTE_MSG_FLUSH) {
		nr++;
		len += sizeof(io);
	}
	if (r->type == KEEL_REMOTE_MSG_WRITE) {
		nr++;
		len += r->len;
	}
	keel_remote_hdr(&h, r->type, len, rd->handle, r->id);
	return keel_remote_send(rd, v, nr, len);
}

/**
 * keel_remote_send_ping() - send a PING, if connected
 * @rd: the device
 *
 * Context: the worker; sleeps (takes &keel_remote.tx_mutex).
 *
 * Return: 0, or a negative errno (the connection is lost, or the worker
 * stops).
 */
int keel_remote_send_ping(struct keel_remote *rd)
{
	struct keel_remote_hdr h;
	struct kvec v = { .iov_base = &h, .iov_len = sizeof(h) };
	int ret = -ENOTCONN;

	keel_remote_hdr(&h, KEEL_REMOTE_MSG_PING, sizeof(h), 0, 0);
	mutex_lock(&rd->tx_mutex);
	if (READ_ONCE(rd->connected)) {
		spin_lock(&rd->req_lock);
		rd->ping_out = true;
		spin_unlock(&rd->req_lock);
		ret = keel_remote_send(rd, &v, 1, sizeof(h));
		if (ret && ret != -EINTR)
			keel_remote_conn_lost(rd, true);
	}
	mutex_unlock(&rd->tx_mutex);
	return ret;
}

/**
 * keel_remote_conn_lost() - stop using the connection
 * @rd: the device
 * @count: a loss to count in the disconnects (not the device's own stop)
 *
 * The socket is shut down both ways, which ends the other thread's
 * blocked send or receive; its file stays held until the next
 * connection or the teardown, when no thread uses it. Requests keep
 * their slots, and pollers of the device file are woken.
 *
 * Context: the receiver, or the worker with &keel_remote.tx_mutex held,
 * or the ioctls with &keel_remote.ctl_lock held: so the sink stays.
 */
void keel_remote_conn_lost(struct keel_remote *rd, bool count)
{
	bool was;

	spin_lock(&rd->req_lock);
	was = rd->connected;
	WRITE_ONCE(rd->connected, false);
	rd->ping_out = false;
	if (was && count)
		rd->c.disconnects++;
	spin_unlock(&rd->req_lock);
	if (!was)
		return;
	if (rd->sink.sock)
		kernel_sock_shutdown(rd->sink.sock, SHUT_RDWR);
	wake_up_interruptible_poll(&rd->poll_wq, EPOLLIN | EPOLLRDNORM);
	keel_remote_kick(rd);
}

/* The reply's request: SENT, with that id and type; or NULL. */
static struct keel_remote_req *keel_remote_find(struct keel_remote *rd,
						u64 id, u8 type)
{
	struct keel_remote_req *r;
	bool ok;

	spin_lock(&rd->req_lock);
	r = &rd->reqs[id % rd->window];
	ok = id && id >= rd->tail_id && id < rd->next_id && r->id == id &&
	     r->state == KEEL_REMOTE_REQ_SENT && (!type || r->type == type);
	spin_unlock(&rd->req_lock);
	return ok ? r : NULL;
}

/*
 * The reply is in: the request is DONE. When no other request is at the
 * server (none SENT, the window not full, no renumbering due), this
 * thread gives it to the guest at once: the worker would only be woken
 * for it. Otherwise the worker takes the replies as they come, together.
 */
static void keel_remote_done(struct keel_remote *rd, struct keel_remote_req *r,
			     u8 vstatus)
{
	u64 lat = ktime_get_ns() - READ_ONCE(r->sent_ns);
	bool alone;
	u64 id;

	spin_lock(&rd->req_lock);
	r->vstatus = vstatus;
	r->state = KEEL_REMOTE_REQ_DONE;
	rd->c.lat_sum_ns += lat;
	rd->c.lat_count++;
	rd->c.lat_max_ns = max(rd->c.lat_max_ns, lat);
	alone = !rd->renumber_to && rd->next_id - rd->tail_id < rd->window;
	for (id = rd->tail_id; alone && id != rd->next_id; id++)
		alone = rd->reqs[id % rd->window].state != KEEL_REMOTE_REQ_SENT;
	spin_unlock(&rd->req_lock);
	if (alone)
		keel_remote_rx_complete(rd);
	else
		keel_remote_kick(rd);
}

/*
 * Codes that say the connection, not the request, failed: the request
 * stays for the next connection.
 */
static bool keel_remote_conn_error(u32 code)
{
	switch (code) {
	case KEEL_REMOTE_ESHUTDOWN:	/* the server is stopping */
	case KEEL_REMOTE_EBADF:		/* our handle is not known there */
	case KEEL_REMOTE_EPROTO:
	case KEEL_REMOTE_EACCES:
		return true;
	}
	return false;
}

/* An ERROR: completes its request, or ends the connection. */
static int keel_remote_rx_error(struct keel_remote *rd,
				const struct keel_remote_hdr *h, u32 body)
{
	struct keel_remote_error e;
	struct keel_remote_req *r;
	u32 code;
	int ret;

	if (body != sizeof(e))
		return -EBADMSG;
	ret = keel_sink_recv(&rd->sink, &e, sizeof(e));
	if (ret)
		return ret;
	code = le32_to_cpu(e.code);
	if (!code || code != le32_to_cpu(h->status) || e.pad0)
		return -EBADMSG;
	if (e.req_type == KEEL_REMOTE_MSG_PING)
		return 0;
	if (keel_remote_conn_error(code))
		return -ECONNABORTED;
	if (le32_to_cpu(h->handle) != rd->handle)
		return -EBADMSG;
	r = keel_remote_find(rd, le64_to_cpu(h->req_id), e.req_type);
	if (!r)
		return -EBADMSG;
	keel_remote_done(rd, r, code == KEEL_REMOTE_EOPNOTSUPP ?
			 VIRTIO_BLK_S_UNSUPP : VIRTIO_BLK_S_IOERR);
	return 0;
}

/*
 * One message whose header is in @h. 0; -EBADMSG for a message that
 * breaks the protocol; another negative errno when the connection ended.
 */
static int keel_remote_rx_msg(struct keel_remote *rd,
			      const struct keel_remote_hdr *h)
{
	u32 len = le32_to_cpu(h->length);
	struct keel_remote_req *r;
	u32 body;
	int ret;

	if (le32_to_cpu(h->magic) != KEEL_REMOTE_MAGIC ||
	    h->version != KEEL_REMOTE_VERSION_1 || h->flags || h->pad ||
	    len < sizeof(*h) || len > KEEL_REMOTE_MSG_MAX)
		return -EBADMSG;
	body = len - sizeof(*h);
	if (h->type == KEEL_REMOTE_MSG_ERROR)
		return keel_remote_rx_error(rd, h, body);
	if (h->status || body > KEEL_REMOTE_MAX_DATA)
		return -EBADMSG;

	switch (h->type) {
	case KEEL_REMOTE_MSG_PONG:
		if (body || h->handle)
			return -EBADMSG;
		spin_lock(&rd->req_lock);
		rd->ping_out = false;
		spin_unlock(&rd->req_lock);
		return 0;
	case KEEL_REMOTE_MSG_SHUTDOWN:
		if (body || h->req_id)
			return -EBADMSG;
		return -ESHUTDOWN;
	case KEEL_REMOTE_MSG_READ | KEEL_REMOTE_MSG_REPLY:
	case KEEL_REMOTE_MSG_WRITE | KEEL_REMOTE_MSG_REPLY:
	case KEEL_REMOTE_MSG_FLUSH | KEEL_REMOTE_MSG_REPLY:
		break;
	default:
		return -EBADMSG;
	}
	if (le32_to_cpu(h->handle) != rd->handle)
		return -EBADMSG;
	r = keel_remote_find(rd, le64_to_cpu(h->req_id),
			     h->type & ~KEEL_REMOTE_MSG_REPLY);
	if (!r)
		return -EBADMSG;
	/* A block READ answers with all its bytes; the others with none. */
	if (body != (r->type == KEEL_REMOTE_MSG_READ ? r->len : 0))
		return -EBADMSG;
	if (body) {
		/* Only this thread moves a SENT request: r->buf stays. */
		ret = keel_sink_recv(&rd->sink, r->buf, body);
		if (ret)
			return ret;
	}
	keel_remote_done(rd, r, VIRTIO_BLK_S_OK);
	return 0;
}

static int keel_remote_rx_thread(struct keel_thread *t)
{
	struct keel_remote *rd = t->data;
	struct keel_remote_hdr h;
	int ret;

	while (!keel_thread_should_stop(t)) {
		ret = keel_sink_recv(&rd->sink, &h, sizeof(h));
		/* Stopped between messages: the stream is intact. */
		if (ret && keel_thread_should_stop(t) &&
		    (ret == -EINTR || ret == -ERESTARTSYS))
			break;
		if (!ret) {
			WRITE_ONCE(rd->last_rx, jiffies);
			ret = keel_remote_rx_msg(rd, &h);
		}
		if (!ret)
			continue;
		if (ret == -EBADMSG) {
			spin_lock(&rd->req_lock);
			rd->c.bad_replies++;
			spin_unlock(&rd->req_lock);
		}
		keel_remote_conn_lost(rd, !keel_thread_should_stop(t));
		break;
	}
	return 0;
}

/**
 * keel_remote_rx_start() - start the receiver, if connected and not started
 * @rd: the device, set up, &keel_remote.ctl_lock held
 *
 * Context: process context; sleeps.
 *
 * Return: 0 or the error of keel_thread_start().
 */
int keel_remote_rx_start(struct keel_remote *rd)
{
	lockdep_assert_held(&rd->ctl_lock);
	if (rd->rx.task || !READ_ONCE(rd->connected))
		return 0;
	return keel_thread_start(&rd->rx, &rd->inst.obj, "rx",
				 keel_remote_rx_thread, rd);
}

/*
 * A CONNECT's argument: the device's session, or a new session of a
 * device as large, whose window holds what the device may have in flight.
 */
static int keel_remote_connect_check(struct keel_remote *rd,
				     const struct keel_remote_connect *arg)
{
	u64 session;

	if (arg->pad)
		return -EINVAL;
	if (arg->flags & KEEL_REMOTE_CONNECT_NEW_SESSION)
		return arg->session && arg->next_id &&
		       arg->next_id <= U64_MAX / 2 &&
		       arg->capacity == rd->capacity &&
		       arg->window >= rd->window &&
		       arg->window <= KEEL_REMOTE_WINDOW ? 0 : -EINVAL;
	spin_lock(&rd->req_lock);
	session = rd->session;
	spin_unlock(&rd->req_lock);
	return arg->session == session && !arg->next_id && !arg->capacity &&
	       !arg->window ? 0 : -EINVAL;
}

/**
 * keel_remote_connect() - KEEL_REMOTE_IOC_CONNECT: a new connection
 * @inst: the device, set up
 * @cmd: the ioctl
 * @uarg: its struct keel_remote_connect
 *
 * The old connection (lost or not) is shut down and dropped once the
 * receiver stopped and the worker is not sending; the new one is
 * installed, and every request without a reply is marked to be sent
 * again, in id order: with its id on the same session, renumbered from
 * the new session's first id by the worker (before it sends anything)
 * on a new one.
 *
 * Context: process context; sleeps.
 *
 * Return: 0; -EINVAL for unknown flags or nonzero padding, another
 * session, a new session of another capacity or a smaller window, or a
 * socket that is not a stream; -EBADF; -ENOTCONN; -EFAULT; -E2BIG; or the error of starting
 * the receiver (the device is then without a connection).
 */
long keel_remote_connect(struct keel_inst *inst, unsigned int cmd,
			 void __user *uarg)
{
	struct keel_remote *rd = keel_remote_of(inst);
	struct keel_remote_connect arg;
	struct keel_sink s = {};
	unsigned int i;
	int ret;

	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), sizeof(arg),
				  KEEL_REMOTE_CONNECT_FLAGS_ALL, cmd, uarg);
	if (ret)
		return ret;
	ret = keel_remote_connect_check(rd, &arg);
	if (ret)
		return ret;
	ret = keel_remote_sock_get(&s, arg.sock_fd);
	if (ret)
		return ret;

	mutex_lock(&rd->ctl_lock);
	/* Replaced, not lost: not counted. */
	spin_lock(&rd->req_lock);
	WRITE_ONCE(rd->connected, false);
	spin_unlock(&rd->req_lock);
	if (rd->sink.sock)
		kernel_sock_shutdown(rd->sink.sock, SHUT_RDWR);
	keel_thread_stop(&rd->rx);
	mutex_lock(&rd->tx_mutex);
	swap(rd->sink, s);
	WRITE_ONCE(rd->last_rx, jiffies);
	WRITE_ONCE(rd->last_tx, jiffies);
	spin_lock(&rd->req_lock);
	rd->handle = arg.handle;
	if (arg.flags & KEEL_REMOTE_CONNECT_NEW_SESSION) {
		rd->session = arg.session;
		rd->renumber_to = arg.next_id;
	}
	rd->ping_out = false;
	rd->c.reconnects++;
	for (i = 0; i < rd->window; i++)
		if (rd->reqs[i].state == KEEL_REMOTE_REQ_SENT)
			rd->reqs[i].need_send = true;
	WRITE_ONCE(rd->connected, true);
	spin_unlock(&rd->req_lock);
	mutex_unlock(&rd->tx_mutex);
	keel_sink_put(&s);
	ret = keel_remote_rx_start(rd);
	if (ret)
		keel_remote_conn_lost(rd, false);
	mutex_unlock(&rd->ctl_lock);
	keel_remote_kick(rd);
	return ret;
}
