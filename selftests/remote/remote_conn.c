// SPDX-License-Identifier: GPL-2.0
/*
 * The remote tests' connection library (remote_conn.h): keel-iod in a
 * network namespace behind a veth pair, and the client handshake run by
 * keel-remote-conn, which passes the connected socket back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "keel_test_run.h"
#include "remote_conn.h"

#define RC_KEY_HEX	"5ee1c0de00112233445566778899aabbccddeeff0123456789abcdef01234567"
#define RC_NET		"10.77.%u"	/* a /24 per test process */
#define RC_PORT		7410
#define RC_HANG_MS	10000		/* only to end a hang */

static int rc_err(int err, const char *what)
{
	printf("# remote_conn: %s: %s\n", what, strerror(err));
	fflush(stdout);
	return -err;
}

static void rc_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* ---- rtnetlink ---- */

struct nlreq {
	struct nlmsghdr n;
	char buf[1024];
};

static struct rtattr *nl_attr(struct nlmsghdr *n, unsigned short type,
			      const void *data, size_t len)
{
	struct rtattr *a = (void *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	a->rta_type = type;
	a->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(a), data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(a->rta_len);
	return a;
}

static void nl_nest_end(struct nlmsghdr *n, struct rtattr *a)
{
	a->rta_len = (char *)n + n->nlmsg_len - (char *)a;
}

/* Send @n on a new rtnetlink socket of this namespace; its ack. */
static int nl_talk(struct nlmsghdr *n)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	char buf[4096];
	struct nlmsghdr *r;
	int fd, ret = -EPROTO;
	ssize_t len;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	n->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	n->nlmsg_seq = 1;
	if (sendto(fd, n, n->nlmsg_len, 0, (struct sockaddr *)&sa,
		   sizeof(sa)) < 0) {
		ret = -errno;
		goto out;
	}
	len = recv(fd, buf, sizeof(buf), 0);
	if (len < 0) {
		ret = -errno;
		goto out;
	}
	for (r = (void *)buf; NLMSG_OK(r, (size_t)len); r = NLMSG_NEXT(r, len))
		if (r->nlmsg_type == NLMSG_ERROR) {
			ret = ((struct nlmsgerr *)NLMSG_DATA(r))->error;
			break;
		}
out:
	close(fd);
	return ret;
}

/* ip link add @a type veth peer name @b netns @ns_fd */
static int nl_veth(const char *a, const char *b, int ns_fd)
{
	struct nlreq q = { .n.nlmsg_type = RTM_NEWLINK,
			   .n.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	struct rtattr *info, *data, *peer;
	struct ifinfomsg *pifi;

	q.n.nlmsg_len = NLMSG_LENGTH(sizeof(ifi));
	memcpy(NLMSG_DATA(&q.n), &ifi, sizeof(ifi));
	nl_attr(&q.n, IFLA_IFNAME, a, strlen(a) + 1);
	info = nl_attr(&q.n, IFLA_LINKINFO, NULL, 0);
	nl_attr(&q.n, IFLA_INFO_KIND, "veth", 5);
	data = nl_attr(&q.n, IFLA_INFO_DATA, NULL, 0);
	peer = nl_attr(&q.n, VETH_INFO_PEER, NULL, 0);
	pifi = (void *)((char *)&q.n + q.n.nlmsg_len);
	memset(pifi, 0, sizeof(*pifi));
	q.n.nlmsg_len += NLMSG_ALIGN(sizeof(*pifi));
	nl_attr(&q.n, IFLA_IFNAME, b, strlen(b) + 1);
	nl_attr(&q.n, IFLA_NET_NS_FD, &ns_fd, sizeof(ns_fd));
	nl_nest_end(&q.n, peer);
	nl_nest_end(&q.n, data);
	nl_nest_end(&q.n, info);
	return nl_talk(&q.n);
}

/* ip link del @name */
static int nl_del(const char *name)
{
	struct nlreq q = { .n.nlmsg_type = RTM_DELLINK };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };

	ifi.ifi_index = (int)if_nametoindex(name);
	if (!ifi.ifi_index)
		return -ENODEV;
	q.n.nlmsg_len = NLMSG_LENGTH(sizeof(ifi));
	memcpy(NLMSG_DATA(&q.n), &ifi, sizeof(ifi));
	return nl_talk(&q.n);
}

/* ip addr add @ip/24 dev @name; ip link set @name up */
static int nl_addr_up(const char *name, const char *ip)
{
	struct nlreq q = { .n.nlmsg_type = RTM_NEWADDR,
			   .n.nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL };
	struct ifaddrmsg ifa = { .ifa_family = AF_INET, .ifa_prefixlen = 24 };
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC,
				 .ifi_flags = IFF_UP, .ifi_change = IFF_UP };
	struct in_addr in;
	int idx = (int)if_nametoindex(name), ret;

	if (!idx)
		return -ENODEV;
	if (ip) {
		if (inet_pton(AF_INET, ip, &in) != 1)
			return -EINVAL;
		ifa.ifa_index = idx;
		q.n.nlmsg_len = NLMSG_LENGTH(sizeof(ifa));
		memcpy(NLMSG_DATA(&q.n), &ifa, sizeof(ifa));
		nl_attr(&q.n, IFA_LOCAL, &in, sizeof(in));
		nl_attr(&q.n, IFA_ADDRESS, &in, sizeof(in));
		ret = nl_talk(&q.n);
		if (ret)
			return ret;
	}
	memset(&q, 0, sizeof(q));
	q.n.nlmsg_type = RTM_NEWLINK;
	ifi.ifi_index = idx;
	q.n.nlmsg_len = NLMSG_LENGTH(sizeof(ifi));
	memcpy(NLMSG_DATA(&q.n), &ifi, sizeof(ifi));
	return nl_talk(&q.n);
}

/* ---- the server ---- */

static int rc_rm(const char *path, const struct stat *st, int flag,
		 struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(text);

	if (fd < 0)
		return -errno;
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, mode)) {
		close(fd);
		return -EIO;
	}
	return close(fd) ? -errno : 0;
}

static int find_iod(struct rc_server *s)
{
	return keel_test_find_prog(s->iod, sizeof(s->iod), "KEEL_IOD",
				   "keel-iod", NULL) ?:
	       keel_test_find_prog(s->helper, sizeof(s->helper),
				   "KEEL_REMOTE_CONN", "keel-remote-conn", NULL);
}

/* Make the server's namespace and the veth pair between the two. */
static int rc_net(struct rc_server *s, unsigned int net)
{
	char ip[32];
	int ret;

	s->ns_self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (s->ns_self < 0)
		return rc_err(errno, "/proc/self/ns/net");
	if (unshare(CLONE_NEWNET))
		return rc_err(errno, "unshare(CLONE_NEWNET)");
	s->ns_srv = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (s->ns_srv < 0) {
		ret = rc_err(errno, "the new namespace");
		setns(s->ns_self, CLONE_NEWNET);
		return ret;
	}
	if (setns(s->ns_self, CLONE_NEWNET))
		return rc_err(errno, "setns back");

	ret = nl_veth(s->veth[0], s->veth[1], s->ns_srv);
	if (ret)
		return rc_err(-ret, "veth pair");
	snprintf(ip, sizeof(ip), RC_NET ".1", net);
	ret = nl_addr_up(s->veth[0], ip);
	if (ret)
		return rc_err(-ret, "address of the test's end");

	if (setns(s->ns_srv, CLONE_NEWNET))
		return rc_err(errno, "setns to the server's namespace");
	snprintf(s->ip, sizeof(s->ip), RC_NET ".2", net);
	ret = nl_addr_up(s->veth[1], s->ip);
	if (!ret)
		ret = nl_addr_up("lo", NULL);
	if (setns(s->ns_self, CLONE_NEWNET))
		return rc_err(errno, "setns back");
	if (ret)
		return rc_err(-ret, "address of the server's end");
	snprintf(s->addr, sizeof(s->addr), "tcp:" RC_NET ".2:%u", net,
		 RC_PORT);
	return 0;
}

int rc_server_init(struct rc_server *s, uint64_t disk_size)
{
	return rc_server_init_nth(s, disk_size, 0);
}

int rc_server_init_nth(struct rc_server *s, uint64_t disk_size,
		       unsigned int nth)
{
	unsigned int net = 100 + (getpid() + 75 * nth) % 150;
	int fd, ret;

	memset(s, 0, sizeof(*s));
	s->ns_self = s->ns_srv = -1;
	s->disk_size = disk_size;
	ret = find_iod(s);
	if (ret)
		return ret;
	strcpy(s->dir, "/tmp/keel-remote-XXXXXX");
	if (!mkdtemp(s->dir)) {
		s->dir[0] = 0;
		return rc_err(errno, "mkdtemp");
	}
	snprintf(s->key, sizeof(s->key), "%s/key", s->dir);
	snprintf(s->disk, sizeof(s->disk), "%s/disk.img", s->dir);
	ret = write_file(s->key, RC_KEY_HEX "\n", 0600);
	if (ret)
		return rc_err(-ret, "key file");
	fd = open(s->disk, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return rc_err(errno, "backing file");
	if (ftruncate(fd, (off_t)disk_size)) {	/* sparse */
		ret = rc_err(errno, "ftruncate");
		close(fd);
		return ret;
	}
	close(fd);
	/* krm<pid>a, b for the first server; c, d for the second ... */
	snprintf(s->veth[0], sizeof(s->veth[0]), "krm%u%c", (unsigned int)getpid(),
		 'a' + 2 * (nth % 12));
	snprintf(s->veth[1], sizeof(s->veth[1]), "krm%u%c", (unsigned int)getpid(),
		 'b' + 2 * (nth % 12));
	return rc_net(s, net);
}

void rc_server_dump_log(const struct rc_server *s)
{
	char path[160], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/iod.log", s->dir);
	f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		printf("# iod: %s", line);
	if (f)
		fclose(f);
	fflush(stdout);
}

/* A plain TCP connection to @port of the server's address; 0 or -errno. */
static int rc_try_connect(struct rc_server *s, unsigned int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd, ret = 0;

	if (inet_pton(AF_INET, s->ip, &sin.sin_addr) != 1)
		return -EINVAL;
	sin.sin_port = htons(port);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		ret = -errno;
	close(fd);
	return ret;
}

pid_t rc_spawn(const struct rc_server *s, const char *const *argv,
	       const char *log)
{
	pid_t pid;
	int fd;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return rc_err(errno, "fork");
	if (pid)
		return pid;
	fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	if (setns(s->ns_srv, CLONE_NEWNET))
		_exit(126);
	execvp(argv[0], (char **)argv);
	_exit(127);
}

int rc_wait_port(struct rc_server *s, unsigned int port, pid_t pid)
{
	int i;

	for (i = 0; i < RC_HANG_MS / 10; i++) {
		if (pid > 0 && waitpid(pid, NULL, WNOHANG) == pid)
			return rc_err(ECHILD, "the server exited at its start");
		if (!rc_try_connect(s, port))
			return 0;
		rc_sleep_ms(10);
	}
	return rc_err(ETIMEDOUT, "the server never accepted");
}

int rc_server_start(struct rc_server *s)
{
	char dev[256];

	snprintf(dev, sizeof(dev), "block,file=%s,name=" RC_DEVICE_NAME
		 ",features=flush", s->disk);
	return rc_server_start_devs(s, (const char *const[]){ dev,
				    "entropy,name=" RC_RNG_NAME, NULL });
}

int rc_server_start_devs(struct rc_server *s, const char *const *devs)
{
	const char *argv[32] = { s->iod, "--key", s->key, "--listen", s->addr,
				 "--name", "keel-remote-test", "-v" };
	unsigned int n = 8, i;
	char log[160];
	int ret;
	pid_t pid;

	if (s->pid)
		return -EBUSY;
	for (i = 0; devs[i] && i < 8; i++) {
		argv[n++] = "--device";
		argv[n++] = devs[i];
	}
	snprintf(log, sizeof(log), "%s/iod.log", s->dir);
	pid = rc_spawn(s, argv, log);
	if (pid < 0)
		return pid;
	s->pid = pid;
	ret = rc_wait_port(s, RC_PORT, pid);
	if (ret == -ECHILD)
		s->pid = 0;
	if (ret)
		rc_server_dump_log(s);
	return ret;
}

int rc_server_signal(struct rc_server *s, int sig)
{
	if (!s->pid)
		return -ESRCH;
	return kill(s->pid, sig) ? -errno : 0;
}

int rc_server_stop(struct rc_server *s, int sig)
{
	int i;

	if (!s->pid)
		return -ESRCH;
	kill(s->pid, sig);
	kill(s->pid, SIGCONT);
	for (i = 0; i < RC_HANG_MS / 10; i++) {
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			s->pid = 0;
			return 0;
		}
		rc_sleep_ms(10);
	}
	kill(s->pid, SIGKILL);
	waitpid(s->pid, NULL, 0);
	s->pid = 0;
	return -ETIMEDOUT;
}

void rc_server_free(struct rc_server *s)
{
	if (s->pid)
		rc_server_stop(s, SIGKILL);
	if (s->veth[0][0] && s->ns_self >= 0)
		nl_del(s->veth[0]);	/* takes its peer with it */
	if (s->ns_srv >= 0)
		close(s->ns_srv);
	if (s->ns_self >= 0)
		close(s->ns_self);
	s->ns_srv = s->ns_self = -1;
	if (s->dir[0])
		nftw(s->dir, rc_rm, 16, FTW_DEPTH | FTW_PHYS);
	s->dir[0] = 0;
}

/* ---- sessions ---- */

/* Run keel-remote-conn with @argv; its reply in @r, the socket or -errno. */
static int rc_helper(struct rc_server *s, const char *const *argv,
		     struct rc_helper_reply *r)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { r, sizeof(*r) };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int sv[2], fd = -1, status;
	ssize_t n;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return rc_err(errno, "socketpair");
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		return rc_err(errno, "fork");
	}
	if (!pid) {
		if (dup2(sv[1], 3) != 3)
			_exit(126);
		execv(s->helper, (char **)argv);
		_exit(127);
	}
	close(sv[1]);
	do
		n = recvmsg(sv[0], &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	close(sv[0]);
	waitpid(pid, &status, 0);
	if (n != (ssize_t)sizeof(*r))
		return rc_err(EPROTO, "keel-remote-conn gave no answer");
	for (c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(c), sizeof(int));
	if (r->err) {
		if (fd >= 0)
			close(fd);
		printf("# keel-remote-conn: %s\n", r->text);
		return r->err;
	}
	return fd >= 0 ? fd : rc_err(EPROTO, "keel-remote-conn sent no socket");
}

static void rc_fill(const struct rc_helper_reply *r, int fd,
		    struct rc_session *out)
{
	out->fd = fd;
	out->session = r->session;
	out->handle = r->handle;
	out->window = r->window;
	out->max_data = r->max_data;
	out->keepalive_ms = r->keepalive_ms;
	out->linger_ms = r->linger_ms;
	out->capacity = r->capacity;
	out->last_id = r->last_id;
	out->nrecords = r->nrecords;
}

int rc_open(struct rc_server *s, uint64_t min_capacity,
	    struct rc_session *out)
{
	return rc_open_dev(s, RC_DEVICE_NAME, min_capacity, out);
}

int rc_open_dev(struct rc_server *s, const char *name, uint64_t min_capacity,
		struct rc_session *out)
{
	struct rc_helper_reply r;
	char cap[32];
	int fd;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	snprintf(cap, sizeof(cap), "%llu", (unsigned long long)min_capacity);
	fd = rc_helper(s, (const char *const[]){ s->helper, "open", s->addr,
			s->key, name, cap, NULL }, &r);
	if (fd < 0)
		return fd;
	rc_fill(&r, fd, out);
	return 0;
}

int rc_resume(struct rc_server *s, uint64_t session, struct rc_session *out)
{
	struct rc_helper_reply r;
	char id[32];
	int fd;

	memset(out, 0, sizeof(*out));
	out->fd = -1;
	snprintf(id, sizeof(id), "%llu", (unsigned long long)session);
	fd = rc_helper(s, (const char *const[]){ s->helper, "resume", s->addr,
			s->key, id, NULL }, &r);
	if (fd < 0)
		return fd;
	rc_fill(&r, fd, out);
	return 0;
}

void rc_session_close(struct rc_session *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}
