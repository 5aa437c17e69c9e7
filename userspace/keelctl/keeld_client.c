// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl's connection to keeld: the socket (--keeld PATH, $KEELD_SOCKET
 * or the default), building requests in keeld's netlink format and
 * receiving replies until the final NLMSG_ERROR, whose extended-ack
 * message becomes keelctl's error; what to do when keeld cannot be
 * reached or drops the connection.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/genetlink.h>

#include "keelctl.h"

#define KEELD_TIMEOUT_S		60

static const char *socket_path(const struct keelctl *k)
{
	const char *env = getenv("KEELD_SOCKET");

	if (k->keeld_path)
		return k->keeld_path;
	return env && *env ? env : KEELD_SOCKET_PATH;
}

/* Why connect() to keeld's socket failed with @e, and what to do. */
static const char *unreachable(int e)
{
	switch (e) {
	case ENOENT:
		return "no such socket (is keeld running? --keeld PATH or $KEELD_SOCKET name another socket)";
	case ECONNREFUSED:
		return "nothing listens there (keeld is not running: systemctl start keeld)";
	case EACCES:
	case EPERM:
		return "permission denied (the socket is mode 0666: its directory is not open to this user)";
	case EAGAIN:
		return "keeld's backlog is full (try again)";
	default:
		return strerror(e);
	}
}

/*
 * The connection failed under request @err (kind KEEL_ERR_SYSTEM): say
 * why in its message when the errno alone would not. -errno.
 */
static int conn_error(struct keel_error *err, int e)
{
	memset(err, 0, sizeof(*err));
	err->kind = KEEL_ERR_SYSTEM;
	err->errnum = e;
	if (e == ECONNRESET || e == EPIPE)
		snprintf(err->msg, sizeof(err->msg),
			 "keeld closed the connection before it answered (it stopped, or this user holds too many connections: see its log)");
	else if (e == EAGAIN || e == EWOULDBLOCK)
		snprintf(err->msg, sizeof(err->msg),
			 "keeld did not answer within %d s (see its log: journalctl -u keeld)",
			 KEELD_TIMEOUT_S);
	return -e;
}

int keelctl_keeld_connect(struct keelctl *k)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = KEELD_TIMEOUT_S };
	const char *path = socket_path(k);
	int fd, e;

	if (k->keeld_fd > 0)
		return KEELCTL_EXIT_OK;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "keelctl: keeld's socket path is longer than %zu bytes: %s\n",
			sizeof(sun.sun_path) - 1, path);
		return KEELCTL_EXIT_USAGE;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		e = errno;
		if (fd >= 0)
			close(fd);
		fprintf(stderr, "keelctl: cannot reach keeld at %s: %s\n", path,
			unreachable(e));
		/* Unreachable is 3; a socket not open to the caller 4. */
		return e == EACCES || e == EPERM ?
			keelctl_exit_code(KEEL_ERR_SYSTEM, e) :
			KEELCTL_EXIT_NOT_LOADED;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	k->keeld_fd = fd;
	k->keeld_seq = (uint32_t)time(NULL);
	return KEELCTL_EXIT_OK;
}

struct nlmsghdr *keelctl_keeld_msg(struct keelctl *k, void *buf, uint8_t cmd,
				   uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = KEELD_NLMSG_TYPE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	nlh->nlmsg_seq = ++k->keeld_seq;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = KEELD_PROTO_VERSION;
	return nlh;
}

static int proto_error(struct keel_error *err, const char *what)
{
	memset(err, 0, sizeof(*err));
	err->kind = KEEL_ERR_PROTO;
	err->errnum = EBADMSG;
	snprintf(err->msg, sizeof(err->msg), "%s", what);
	return -EBADMSG;
}

int keelctl_keeld_request(struct keelctl *k, const struct nlmsghdr *nlh,
			  mnl_cb_t cb, void *data, struct keel_error *err)
{
	char *buf;
	ssize_t n;
	int ret;

	memset(err, 0, sizeof(*err));
	errno = 0;
	if (send(k->keeld_fd, nlh, nlh->nlmsg_len, MSG_NOSIGNAL) !=
	    (ssize_t)nlh->nlmsg_len)
		return conn_error(err, errno ? errno : EIO);
	buf = malloc(KEELD_MSG_MAX);
	if (!buf) {
		err->kind = KEEL_ERR_SYSTEM;
		err->errnum = ENOMEM;
		return -ENOMEM;
	}
	for (;;) {
		const struct nlmsghdr *r = (const void *)buf;

		n = recv(k->keeld_fd, buf, KEELD_MSG_MAX, 0);
		if (n <= 0) {
			ret = conn_error(err, n < 0 ? errno : ECONNRESET);
			break;
		}
		if (!mnl_nlmsg_ok(r, (int)n) || r->nlmsg_seq != nlh->nlmsg_seq) {
			ret = proto_error(err, "keeld sent a malformed reply");
			break;
		}
		if (r->nlmsg_type == NLMSG_ERROR) {
			ret = keel_extack_parse(r, err);
			break;
		}
		if (r->nlmsg_type != KEELD_NLMSG_TYPE ||
		    mnl_nlmsg_get_payload_len(r) < GENL_HDRLEN) {
			ret = proto_error(err, "keeld sent an unknown reply");
			break;
		}
		if (cb && cb(r, data) < MNL_CB_OK) {
			/* Keep reading to the end; report the failure after. */
			cb = NULL;
			ret = proto_error(err, "keeld sent a reply keelctl cannot read");
			(void)ret;
		}
	}
	free(buf);
	return ret;
}

void keelctl_keeld_close(struct keelctl *k)
{
	if (k->keeld_fd > 0)
		close(k->keeld_fd);
	k->keeld_fd = 0;
}
