// SPDX-License-Identifier: GPL-2.0
/*
 * keeld's connected clients: accepting them within the limits (a number
 * of connections per uid, a reserve only root may use), their rights
 * from the credentials the kernel saw at connect time, replies sent
 * without ever blocking (what the socket does not take waits in the
 * client's output queue), disconnecting a client that leaves more than
 * KEELD_OUT_MAX of replies unread while it keeps sending requests, and
 * closing clients that made no progress for --idle-timeout seconds.
 * Anyone may connect and read; one user cannot lock others out.
 */
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "keeld.h"
#include "log.h"

#define MAX_GROUPS	1024
/* Descriptors keeld keeps besides its clients (database, epoll, ...). */
#define OTHER_FDS	64
/* At most this many refusal and eviction lines a minute. */
#define LOG_BURST	10

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Log a line about a client unless a user is flooding the log. */
__attribute__((format(printf, 2, 3)))
static void log_client(struct clients *cs, const char *fmt, ...)
{
	uint64_t now = now_ms();
	va_list ap;

	if (now - cs->log_window >= 60000) {
		if (cs->unlogged)
			keeld_log(LOG_WARNING, "%u more refused or disconnected clients not logged",
				cs->unlogged);
		cs->log_window = now;
		cs->logged = cs->unlogged = 0;
	}
	if (cs->logged >= LOG_BURST) {
		cs->unlogged++;
		return;
	}
	cs->logged++;
	va_start(ap, fmt);
	keeld_vlog(LOG_NOTICE, fmt, ap);
	va_end(ap);
}

void clients_init(struct keeld *kd)
{
	struct clients *cs = &kd->clients;
	struct rlimit rl;

	cs->max = KEELD_MAX_CLIENTS;
	/* Enough descriptors for every client, if the hard limit allows. */
	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur < KEELD_MAX_CLIENTS + OTHER_FDS) {
		rl.rlim_cur = rl.rlim_max < KEELD_MAX_CLIENTS + OTHER_FDS ?
			      rl.rlim_max : KEELD_MAX_CLIENTS + OTHER_FDS;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur < KEELD_MAX_CLIENTS + OTHER_FDS) {
		cs->max = rl.rlim_cur > OTHER_FDS + 2 * KEELD_ROOT_RESERVE ?
			  (unsigned int)(rl.rlim_cur - OTHER_FDS) :
			  2 * KEELD_ROOT_RESERVE;
		keeld_log(LOG_NOTICE, "%llu file descriptors: at most %u clients",
			(unsigned long long)rl.rlim_cur, cs->max);
	}
}

int client_credentials(struct keeld *kd, struct client *cl)
{
	gid_t groups[MAX_GROUPS];
	socklen_t len = sizeof(struct ucred);
	struct ucred cred;
	size_t i, n;

	if (getsockopt(cl->fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		return -errno;
	cl->pid = cred.pid;
	cl->uid = cred.uid;
	cl->gid = cred.gid;
	cl->admin = cred.uid == 0;
	if (cl->admin || !kd->have_admin_gid)
		return 0;
	if (cred.gid == kd->admin_gid) {
		cl->admin = true;
		return 0;
	}
	/* The supplementary groups the peer had when it connected. */
	len = sizeof(groups);
	if (getsockopt(cl->fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		return 0;	/* unknown: not an admin */
	n = len / sizeof(gid_t);
	for (i = 0; i < n; i++)
		if (groups[i] == kd->admin_gid)
			cl->admin = true;
	return 0;
}

static void unlink_client(struct clients *cs, struct client *cl)
{
	if (cl->prev)
		cl->prev->next = cl->next;
	else
		cs->head = cl->next;
	if (cl->next)
		cl->next->prev = cl->prev;
	else
		cs->tail = cl->prev;
	cl->prev = cl->next = NULL;
}

static void append_client(struct clients *cs, struct client *cl)
{
	cl->prev = cs->tail;
	cl->next = NULL;
	if (cs->tail)
		cs->tail->next = cl;
	else
		cs->head = cl;
	cs->tail = cl;
}

/* The client made progress: it moves to the end of the idle order. */
void client_touch(struct client *cl)
{
	struct clients *cs = &cl->kd->clients;

	cl->active_ms = now_ms();
	if (cs->tail != cl) {
		unlink_client(cs, cl);
		append_client(cs, cl);
	}
}

/* Whether a connection of @uid is within the limits. */
static bool may_connect(struct clients *cs, uid_t uid)
{
	const struct client *c;
	unsigned int same = 0;

	if (cs->n >= cs->max)
		return false;
	if (uid == 0)
		return true;
	if (cs->n >= cs->max - KEELD_ROOT_RESERVE) {
		log_client(cs, "%u clients: refusing uid %u (the rest is root's)",
			   cs->n, uid);
		return false;
	}
	if (!cs->max_per_uid)
		return true;
	for (c = cs->head; c; c = c->next)
		same += c->uid == uid;
	if (same < cs->max_per_uid)
		return true;
	log_client(cs, "uid %u holds %u connections (--max-per-user): refusing another",
		   uid, same);
	return false;
}

static void set_events(struct client *cl, bool out)
{
	struct epoll_event ev = {
		.events = (cl->eof ? 0 : EPOLLIN) | (out ? EPOLLOUT : 0),
		.data.ptr = cl,
	};

	if (!epoll_ctl(cl->kd->epoll_fd, EPOLL_CTL_MOD, cl->fd, &ev))
		cl->want_out = out;
}

void client_accept(struct keeld *kd)
{
	struct clients *cs = &kd->clients;
	struct epoll_event ev = { .events = EPOLLIN };
	struct client *cl;
	int fd;

	fd = accept4(kd->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (fd < 0)
		return;
	cl = calloc(1, sizeof(*cl));
	if (!cl) {
		close(fd);
		return;
	}
	cl->kd = kd;
	cl->fd = fd;
	if (client_credentials(kd, cl) || !may_connect(cs, cl->uid))
		goto refuse;
	ev.data.ptr = cl;
	if (epoll_ctl(kd->epoll_fd, EPOLL_CTL_ADD, fd, &ev))
		goto refuse;
	cl->active_ms = now_ms();
	append_client(cs, cl);
	cs->n++;
	return;
refuse:
	close(fd);
	free(cl);
}

static void drop(struct client *cl)
{
	struct clients *cs = &cl->kd->clients;

	epoll_ctl(cl->kd->epoll_fd, EPOLL_CTL_DEL, cl->fd, NULL);
	close(cl->fd);
	outq_clear(&cl->out);
	unlink_client(cs, cl);
	cs->n--;
	free(cl);
}

/* Nothing more for @cl: it is closed after this round. */
static void fail(struct client *cl)
{
	cl->closing = true;
	outq_clear(&cl->out);
}

bool client_send(struct client *cl, const void *buf, size_t len)
{
	ssize_t n;

	if (cl->closing)
		return false;
	if (outq_empty(&cl->out)) {
		do {
			n = send(cl->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		} while (n < 0 && errno == EINTR);
		if (n == (ssize_t)len) {
			client_touch(cl);
			return true;
		}
		if (n >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
			fail(cl);
			return false;
		}
	}
	/* Its socket is full: the reply waits, keeld goes on. */
	if (!outq_push(&cl->out, buf, len)) {
		fail(cl);
		return false;
	}
	if (!cl->want_out)
		set_events(cl, true);
	return true;
}

void client_hangup(struct client *cl)
{
	cl->eof = true;
}

bool client_ready(struct client *cl)
{
	if (cl->closing)
		return false;
	if (cl->out.bytes <= KEELD_OUT_MAX)
		return true;
	log_client(&cl->kd->clients,
		   "pid %d uid %u leaves %zu bytes of replies unread and sends more requests: disconnected",
		   (int)cl->pid, cl->uid, cl->out.bytes);
	fail(cl);
	return false;
}

void client_writable(struct client *cl)
{
	long n = outq_flush(&cl->out, cl->fd);

	if (n < 0) {
		fail(cl);
		return;
	}
	if (n > 0)
		client_touch(cl);
}

void client_settle(struct client *cl)
{
	bool out = !outq_empty(&cl->out);

	if (cl->closing || (cl->eof && !out)) {
		drop(cl);
		return;
	}
	if (out != cl->want_out || cl->eof)
		set_events(cl, out);
}

int clients_expire(struct keeld *kd)
{
	struct clients *cs = &kd->clients;
	uint64_t now, idle = (uint64_t)cs->idle_s * 1000, left;

	if (!cs->idle_s)
		return -1;
	now = now_ms();
	while (cs->head && now - cs->head->active_ms >= idle)
		drop(cs->head);
	if (!cs->head)
		return -1;
	left = idle - (now - cs->head->active_ms);
	return left > 1000000000 ? 1000000000 : (int)left;
}

void clients_close_all(struct keeld *kd)
{
	while (kd->clients.head)
		drop(kd->clients.head);
}
