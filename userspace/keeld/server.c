// SPDX-License-Identifier: GPL-2.0
/*
 * keeld's socket and event loop: an AF_UNIX SOCK_SEQPACKET listener, one
 * epoll loop that reads the waiting requests of every ready client in a
 * round and serves them in order (allocations and frees grouped into one
 * transaction by batch.c), a timer to catch up with other keelds, and a
 * clean stop on SIGTERM or SIGINT. The clients themselves (limits,
 * credentials, replies, idle timeouts) are clients.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <linux/keeld.h>
#include <systemd/sd-daemon.h>

#include "keeld.h"
#include "proto.h"
#include "log.h"

#define MAX_EVENTS	32

/* The tag in epoll data: listener, signals, keel events, or a client. */
enum { EV_LISTEN = 1, EV_SIGNAL, EV_LOCAL, EV_REFRESH };

/* Create the directory @path is in (one level, as /run/keeld). */
void mkdir_parent(const char *path, mode_t mode)
{
	char dir[PATH_MAX];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return;
	*slash = '\0';
	if (mkdir(dir, mode) && errno != EEXIST)
		keeld_log(LOG_WARNING, "cannot create %s: %s", dir, strerror(errno));
}

int server_listen(struct keeld *kd)
{
	struct epoll_event ev = { .events = EPOLLIN };
	sigset_t mask;
	int fd, ret;

	mkdir_parent(kd->socket_path, 0755);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	ret = sockfile_bind(fd, kd->socket_path, &kd->sockfile);
	if (ret) {
		close(fd);
		return ret;
	}
	kd->listen_fd = fd;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
	kd->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	kd->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (kd->signal_fd < 0 || kd->epoll_fd < 0)
		return -errno;
	ev.data.u64 = EV_LISTEN;
	epoll_ctl(kd->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
	ev.data.u64 = EV_SIGNAL;
	epoll_ctl(kd->epoll_fd, EPOLL_CTL_ADD, kd->signal_fd, &ev);
	if (kd->local_fd >= 0) {
		ev.data.u64 = EV_LOCAL;
		epoll_ctl(kd->epoll_fd, EPOLL_CTL_ADD, kd->local_fd, &ev);
	}
	if (kd->refresh_s) {
		struct itimerspec its = {
			.it_interval = { .tv_sec = kd->refresh_s },
			.it_value = { .tv_sec = kd->refresh_s },
		};

		kd->refresh_fd = timerfd_create(CLOCK_MONOTONIC,
						TFD_CLOEXEC | TFD_NONBLOCK);
		if (kd->refresh_fd < 0 ||
		    timerfd_settime(kd->refresh_fd, 0, &its, NULL))
			return -errno;
		ev.data.u64 = EV_REFRESH;
		epoll_ctl(kd->epoll_fd, EPOLL_CTL_ADD, kd->refresh_fd, &ev);
	}
	return 0;
}

/* A packet read in this round, waiting for its turn. */
struct pending {
	struct client *cl;
	char *buf;
	size_t len;
	bool too_long;			/* buf: only the header was kept */
};

/* The packets of one round: at most the batch size, one per client more. */
#define ROUND_MAX	(BATCH_MAX + MAX_EVENTS)

/*
 * Read @cl's waiting packets into @p: at least one, more while the round
 * has room for the batch. A client that hung up is dropped after the
 * round, once its earlier requests are answered.
 */
static void read_client(struct client *cl, char *buf,
			struct pending *p, size_t *np, size_t limit)
{
	bool first = true;
	ssize_t n;

	while (*np < ROUND_MAX && (first || *np < limit)) {
		first = false;
		n = recv(cl->fd, buf, KEELD_MSG_MAX + 1, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n == 0) {
			client_hangup(cl);
			return;
		}
		if (n < 0) {
			cl->closing = true;
			return;
		}
		client_touch(cl);
		p[*np].cl = cl;
		p[*np].too_long = n > KEELD_MSG_MAX;
		p[*np].len = p[*np].too_long ? NLMSG_HDRLEN : (size_t)n;
		p[*np].buf = malloc(p[*np].len);
		if (!p[*np].buf) {
			cl->closing = true;
			return;
		}
		memcpy(p[*np].buf, buf, p[*np].len);
		(*np)++;
	}
}

/* Answer one packet on its own, outside any batch. */
static void serve_alone(struct keeld *kd, struct pending *p)
{
	char ack[512];
	size_t len;

	if (p->too_long) {
		len = proto_ack(ack, (const void *)p->buf, -EMSGSIZE,
				"message longer than the protocol's maximum", NULL);
		client_send(p->cl, ack, len);
		return;
	}
	keeld_handle(kd, p->cl, p->buf, p->len);
}

/*
 * Serve a round's packets in order: runs of allocations and frees go
 * into one batch (one transaction, replies after its commit); anything
 * else first commits the batch before it, then runs alone.
 */
static void serve_round(struct keeld *kd, struct pending *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		/* A client that leaves too many replies unread is dropped. */
		if (!client_ready(p[i].cl)) {
			free(p[i].buf);
			p[i].buf = NULL;
			continue;
		}
		if (!p[i].too_long && batch_wants(kd, p[i].buf, p[i].len) &&
		    batch_add(kd, p[i].cl, (const void *)p[i].buf)) {
			keeld_handle(kd, p[i].cl, p[i].buf, p[i].len);
			if (batch_full(kd))
				batch_finish(kd);
		} else {
			batch_finish(kd);
			serve_alone(kd, &p[i]);
		}
		free(p[i].buf);
		p[i].buf = NULL;
	}
	batch_finish(kd);
}

/*
 * SIGHUP (systemctl reload): what keeld holds of the database is read
 * again, so changes made behind its back (another keeld, an operator's
 * SQL) count from now on; a batch open now commits first. Options and
 * the database itself stay as they are: those need a restart.
 */
static void reload(struct keeld *kd)
{
	struct keeld_err err = { 0 };

	batch_finish(kd);
	sd_notify(0, "RELOADING=1");
	if (cloud_refresh(&kd->cloud, &err))
		keeld_log(LOG_ERR, "reload: reading the database: %s",
			err.msg);
	else
		keeld_log(LOG_INFO, "reload: %zu host%s from %s",
			keeld_pool_size(kd->cloud.pool),
			keeld_pool_size(kd->cloud.pool) == 1 ? "" : "s",
			store_backend(kd->cloud.store));
	sd_notify(0, "READY=1");
}

int server_run(struct keeld *kd)
{
	struct epoll_event evs[MAX_EVENTS];
	struct pending *p;
	struct signalfd_siginfo si;
	struct client *cl;
	size_t np;
	char *buf;
	int i, n;

	buf = malloc(KEELD_MSG_MAX + 1);
	p = calloc(ROUND_MAX, sizeof(*p));
	if (!buf || !p) {
		free(buf);
		free(p);
		return -ENOMEM;
	}
	while (!kd->stop) {
		n = epoll_wait(kd->epoll_fd, evs, MAX_EVENTS,
			       clients_expire(kd));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		np = 0;
		for (i = 0; i < n && !kd->stop; i++) {
			switch (evs[i].data.u64) {
			case EV_LISTEN:
				client_accept(kd);
				break;
			case EV_SIGNAL:
				if (read(kd->signal_fd, &si, sizeof(si)) <= 0)
					break;
				if (si.ssi_signo == SIGHUP)
					reload(kd);
				else
					kd->stop = true;
				break;
			case EV_LOCAL:
				local_event(kd);
				break;
			case EV_REFRESH: {
				struct keeld_err err = { 0 };
				uint64_t ticks;

				if (read(kd->refresh_fd, &ticks, sizeof(ticks)) > 0 &&
				    cloud_refresh(&kd->cloud, &err))
					keeld_log(LOG_ERR, "catching up with the database: %s",
						err.msg);
				break;
			}
			default:
				cl = evs[i].data.ptr;
				if (!outq_empty(&cl->out) && evs[i].events &
				    (EPOLLOUT | EPOLLHUP | EPOLLERR))
					client_writable(cl);
				if (!cl->eof && !cl->closing &&
				    evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
					read_client(cl, buf, p, &np, kd->batch.max);
				break;
			}
		}
		/* Requests already read are answered, even when stopping. */
		serve_round(kd, p, np);
		for (i = 0; i < n; i++) {
			if (evs[i].data.u64 <= EV_REFRESH)
				continue;
			client_settle(evs[i].data.ptr);
		}
	}
	free(p);
	free(buf);
	return 0;
}

void server_close(struct keeld *kd)
{
	clients_close_all(kd);
	if (kd->listen_fd >= 0) {
		close(kd->listen_fd);
		sockfile_remove(kd->socket_path, &kd->sockfile);
	}
	if (kd->epoll_fd >= 0)
		close(kd->epoll_fd);
	if (kd->signal_fd >= 0)
		close(kd->signal_fd);
	if (kd->refresh_fd >= 0)
		close(kd->refresh_fd);
}
