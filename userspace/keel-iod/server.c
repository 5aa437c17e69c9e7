// SPDX-License-Identifier: GPL-2.0
/*
 * keel-iod's event loop: one epoll set over the listeners, the signals
 * and every connection, so that many clients and devices are served at
 * once without threads; accepting within --max-clients; closing a
 * connection on which nothing arrived for --idle-timeout (a missed
 * keepalive) and ending sessions that lingered without a connection.
 *
 * SIGTERM or SIGINT stops gracefully: no new connections, each
 * connection's requests received by then are answered, then a SHUTDOWN
 * and the connection closes; a client that does not take its replies
 * within IOD_STOP_S (or a second signal) is cut off. Every device is
 * flushed before exit.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netdb.h>
#include <time.h>
#include <unistd.h>

#include "iod.h"
#include "log.h"
#include "wire.h"

#define MAX_EVENTS	64

static enum iod_ev signal_tag = EV_SIGNAL;

uint64_t iod_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int server_init(struct iod *iod)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &signal_tag };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	iod->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	iod->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (iod->signal_fd < 0 || iod->epoll_fd < 0)
		return -errno;
	if (epoll_ctl(iod->epoll_fd, EPOLL_CTL_ADD, iod->signal_fd, &ev))
		return -errno;
	return 0;
}

/* A name for the peer of @fd, for the log. */
static void peer_name(int fd, char *buf, size_t len)
{
	char host[64], serv[16];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct ucred cred;
	socklen_t cl = sizeof(cred);

	snprintf(buf, len, "peer");
	if (getpeername(fd, (struct sockaddr *)&ss, &sl))
		return;
	if (ss.ss_family == AF_UNIX) {
		if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl))
			snprintf(buf, len, "unix peer pid %d", (int)cred.pid);
		return;
	}
	if (!getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), serv,
			 sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV))
		snprintf(buf, len, "%s%s%s:%s", ss.ss_family == AF_INET6 ? "[" : "",
			 host, ss.ss_family == AF_INET6 ? "]" : "", serv);
}

static void accept_all(struct iod *iod, struct iod_listener *l)
{
	static uint64_t last_refusal;
	char peer[96];
	int fd, one = 1;

	for (;;) {
		fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				iod_log(LOG_WARNING, "accept on %s: %s", l->addr,
					strerror(errno));
			return;
		}
		peer_name(fd, peer, sizeof(peer));
		if (iod->nconns >= iod->max_conns) {
			if (iod_now() - last_refusal >= 1000)
				iod_log(LOG_WARNING, "%s: refused, %u connections already (raise --max-clients)",
					peer, iod->nconns);
			last_refusal = iod_now();
			close(fd);
			continue;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (!conn_new(iod, fd, peer)) {
			iod_log(LOG_ERR, "%s: out of memory for a connection; refused",
				peer);
			close(fd);
			continue;
		}
		iod_log_peer(LOG_DEBUG, "%s: connected on %s", peer, l->addr);
	}
}

/*
 * Close the connections on which nothing arrived for idle_ms; the
 * milliseconds until the next one would be, or -1.
 */
static int expire_idle(struct iod *iod, uint64_t now)
{
	struct iod_conn *c, *next;
	uint64_t soonest = UINT64_MAX, left;

	for (c = iod->conns; c; c = next) {
		next = c->next;
		if (now - c->last_rx >= iod->idle_ms) {
			iod_log_peer(LOG_INFO, "%s: nothing received for %u ms (no keepalive); closing the connection",
				     c->peer, iod->idle_ms);
			conn_free(iod, c);
			continue;
		}
		left = iod->idle_ms - (now - c->last_rx);
		if (left < soonest)
			soonest = left;
	}
	return soonest == UINT64_MAX ? -1 : (int)soonest;
}

static int min_timeout(int a, int b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/*
 * One connection's turn during a graceful stop: everything it sent is
 * read and answered while the output has room; once its socket has no
 * more, a SHUTDOWN goes after the last reply and the connection closes.
 */
static void wind_down(struct iod *iod, struct iod_conn *c)
{
	struct keel_remote_hdr h;
	ssize_t got;

	do {
		got = conn_read(c);
		if (!conn_settle(iod, c))
			return;
		if (c->closing || conn_pending(c) >= IOD_OUT_HIGH)
			return;
	} while (got > 0);
	if (c->state == CONN_READY) {
		wire_hdr(&h, c->version, KEEL_REMOTE_MSG_SHUTDOWN, 0,
			 sizeof(h), 0, 0, 0);
		conn_send(c, &h, sizeof(h));
	}
	c->closing = true;
	conn_settle(iod, c);
}

static void stop(struct iod *iod)
{
	struct epoll_event evs[MAX_EVENTS];
	struct iod_conn *c, *next;
	uint64_t deadline = iod_now() + IOD_STOP_S * 1000;
	struct signalfd_siginfo si;
	int i, n;

	listen_close(iod);
	iod_log(LOG_INFO, "stopping: answering what %u connection%s sent, then closing",
		iod->nconns, iod->nconns == 1 ? "" : "s");
	for (c = iod->conns; c; c = next) {
		next = c->next;
		wind_down(iod, c);
	}
	while (iod->conns && iod_now() < deadline) {
		n = epoll_wait(iod->epoll_fd, evs, MAX_EVENTS,
			       (int)(deadline - iod_now()));
		if (n < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++) {
			if (*(enum iod_ev *)evs[i].data.ptr == EV_SIGNAL) {
				if (read(iod->signal_fd, &si, sizeof(si)) > 0)
					deadline = 0;
				continue;
			}
			if (*(enum iod_ev *)evs[i].data.ptr == EV_CONN)
				wind_down(iod, evs[i].data.ptr);
		}
	}
	if (iod->conns)
		iod_log(LOG_WARNING, "stopping: %u connection%s did not take %s replies; cut off",
			iod->nconns, iod->nconns == 1 ? "" : "s",
			iod->nconns == 1 ? "its" : "their");
	while (iod->conns)
		conn_free(iod, iod->conns);
}

int server_run(struct iod *iod)
{
	struct epoll_event evs[MAX_EVENTS];
	struct signalfd_siginfo si;
	struct iod_conn *c;
	int i, n, timeout;
	uint64_t now;

	while (!iod->stopping) {
		now = iod_now();
		timeout = min_timeout(expire_idle(iod, now),
				      session_expire(&iod->sessions, now));
		n = epoll_wait(iod->epoll_fd, evs, MAX_EVENTS, timeout);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			iod_log(LOG_ERR, "epoll_wait: %s", strerror(errno));
			return -errno;
		}
		for (i = 0; i < n; i++) {
			switch (*(enum iod_ev *)evs[i].data.ptr) {
			case EV_LISTEN:
				if (!iod->stopping)
					accept_all(iod, evs[i].data.ptr);
				break;
			case EV_SIGNAL:
				if (read(iod->signal_fd, &si, sizeof(si)) > 0) {
					iod_log(LOG_INFO, "%s received",
						strsignal((int)si.ssi_signo));
					iod->stopping = true;
				}
				break;
			case EV_CONN:
				c = evs[i].data.ptr;
				if (evs[i].events &
				    (EPOLLIN | EPOLLHUP | EPOLLERR))
					conn_read(c);
				conn_settle(iod, c);
				break;
			}
		}
	}
	stop(iod);
	return 0;
}

void server_close(struct iod *iod)
{
	while (iod->conns)
		conn_free(iod, iod->conns);
	listen_close(iod);
	session_free_all(&iod->sessions);
	registry_close(&iod->reg);
	if (iod->epoll_fd >= 0)
		close(iod->epoll_fd);
	if (iod->signal_fd >= 0)
		close(iod->signal_fd);
	key_clear(&iod->key);
}
