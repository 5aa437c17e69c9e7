// SPDX-License-Identifier: GPL-2.0
/*
 * keel-iod's listening sockets, --listen unix:PATH or tcp:HOST:PORT
 * (HOST a name or address, [v6] in brackets; PORT 0 picks a free port,
 * which the log names). A socket file is made with mode 0600 under a
 * umask, never over anything but the socket of a server that is gone
 * (one that still accepts connections is left alone), and removed at
 * exit only if it is still the one made here.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "iod.h"
#include "log.h"

#define BACKLOG		128

/* Whether a server accepts connections at @sun: 1, 0 or -errno. */
static int alive(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int ret;

	if (fd < 0)
		return -errno;
	if (!connect(fd, (const struct sockaddr *)sun, sizeof(*sun)))
		ret = 1;
	else
		ret = errno == ECONNREFUSED ? 0 : -errno;
	close(fd);
	return ret;
}

static int listen_unix(struct iod_listener *l, const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t mask;
	int ret;

	if (!*path || strlen(path) >= sizeof(sun.sun_path)) {
		iod_log(LOG_ERR, "--listen %s: give a socket path of 1 to %zu bytes",
			l->addr, sizeof(sun.sun_path) - 1);
		return -EINVAL;
	}
	strcpy(sun.sun_path, path);
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode)) {
			iod_log(LOG_ERR, "--listen %s: %s exists and is not a socket; remove it or choose another path",
				l->addr, path);
			return -EEXIST;
		}
		ret = alive(&sun);
		if (ret) {
			iod_log(LOG_ERR, "--listen %s: %s; stop that server or choose another path",
				l->addr, ret > 0 ? "a server accepts connections there" :
				strerror(-ret));
			return ret > 0 ? -EADDRINUSE : ret;
		}
		if (unlink(path) && errno != ENOENT) {
			ret = -errno;
			iod_log(LOG_ERR, "--listen %s: cannot remove the old socket: %s",
				l->addr, strerror(-ret));
			return ret;
		}
	}
	l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return -errno;
	mask = umask(0177);
	ret = bind(l->fd, (struct sockaddr *)&sun, sizeof(sun)) ? -errno : 0;
	umask(mask);
	if (!ret && !lstat(path, &st)) {
		l->path = strdup(path);
		l->dev = st.st_dev;
		l->ino = st.st_ino;
	}
	if (!ret && listen(l->fd, BACKLOG))
		ret = -errno;
	if (ret) {
		iod_log(LOG_ERR, "--listen %s: %s; check the directory exists and is writable",
			l->addr, strerror(-ret));
		return ret;
	}
	iod_log(LOG_INFO, "listening on unix:%s", path);
	return 0;
}

static int listen_tcp(struct iod_listener *l, const char *hostport)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	};
	char host[128], serv[16], name[NI_MAXHOST];
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	struct addrinfo *res, *ai;
	const char *port;
	int one = 1, ret;

	port = strrchr(hostport, ':');
	if (!port || port == hostport || !port[1] ||
	    (size_t)(port - hostport) >= sizeof(host)) {
		iod_log(LOG_ERR, "--listen %s: give tcp:HOST:PORT, e.g. tcp:0.0.0.0:7420",
			l->addr);
		return -EINVAL;
	}
	memcpy(host, hostport, (size_t)(port - hostport));
	host[port - hostport] = '\0';
	port++;
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host));
		host[strlen(host) - 1] = '\0';
	}
	ret = getaddrinfo(host, port, &hints, &res);
	if (ret) {
		iod_log(LOG_ERR, "--listen %s: %s; give an address of this host and a port number",
			l->addr, gai_strerror(ret));
		return -EINVAL;
	}
	ret = -EADDRNOTAVAIL;
	for (ai = res; ai; ai = ai->ai_next) {
		l->fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
			       SOCK_CLOEXEC, ai->ai_protocol);
		if (l->fd < 0) {
			ret = -errno;
			continue;
		}
		setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(l->fd, ai->ai_addr, ai->ai_addrlen) &&
		    !listen(l->fd, BACKLOG)) {
			ret = 0;
			break;
		}
		ret = -errno;
		close(l->fd);
		l->fd = -1;
	}
	freeaddrinfo(res);
	if (ret) {
		iod_log(LOG_ERR, "--listen %s: %s; choose another address or port",
			l->addr, strerror(-ret));
		return ret;
	}
	if (!getsockname(l->fd, (struct sockaddr *)&ss, &sl) &&
	    !getnameinfo((struct sockaddr *)&ss, sl, name, sizeof(name), serv,
			 sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV))
		iod_log(LOG_INFO, "listening on tcp:%s%s%s:%s",
			ss.ss_family == AF_INET6 ? "[" : "", name,
			ss.ss_family == AF_INET6 ? "]" : "", serv);
	return 0;
}

int listen_add(struct iod *iod, const char *addr)
{
	struct epoll_event ev = { .events = EPOLLIN };
	struct iod_listener *l;
	int ret;

	if (iod->nlisten == IOD_MAX_LISTEN) {
		iod_log(LOG_ERR, "--listen %s: at most %d addresses", addr,
			IOD_MAX_LISTEN);
		return -E2BIG;
	}
	l = &iod->listeners[iod->nlisten];
	memset(l, 0, sizeof(*l));
	l->ev = EV_LISTEN;
	l->fd = -1;
	snprintf(l->addr, sizeof(l->addr), "%s", addr);
	if (!strncmp(addr, "unix:", 5)) {
		ret = listen_unix(l, addr + 5);
	} else if (!strncmp(addr, "tcp:", 4)) {
		ret = listen_tcp(l, addr + 4);
	} else {
		iod_log(LOG_ERR, "--listen %s: give unix:PATH or tcp:HOST:PORT",
			addr);
		ret = -EINVAL;
	}
	iod->nlisten++;
	if (ret)
		return ret;
	ev.data.ptr = l;
	if (epoll_ctl(iod->epoll_fd, EPOLL_CTL_ADD, l->fd, &ev))
		return -errno;
	return 0;
}

void listen_close(struct iod *iod)
{
	struct stat st;
	unsigned int i;

	for (i = 0; i < iod->nlisten; i++) {
		struct iod_listener *l = &iod->listeners[i];

		if (l->fd >= 0) {
			epoll_ctl(iod->epoll_fd, EPOLL_CTL_DEL, l->fd, NULL);
			close(l->fd);
		}
		l->fd = -1;
		if (l->path && !lstat(l->path, &st) && S_ISSOCK(st.st_mode) &&
		    st.st_dev == l->dev && st.st_ino == l->ino)
			unlink(l->path);
		free(l->path);
		l->path = NULL;
	}
	iod->nlisten = 0;
}
