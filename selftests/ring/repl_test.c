// SPDX-License-Identifier: GPL-2.0
/*
 * Replication. The test plays the other side of the wire protocol to a
 * primary ring (nothing is released before its ACK; a bad ACK or a dead
 * backup holds everything) and to a backup ring (entries land at the
 * primary's indices, stay unreleased, and after a failover a commit
 * releases exactly the acknowledged entries the primary had not reported
 * released). Then a primary and a backup ring talk to each other while
 * the backup process is killed and restarted mid-stream: nothing is
 * lost, nothing is released twice, nothing is released while no backup
 * has it.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <endian.h>
#include <sched.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>

#include "libkeel.h"
#include "ring_test.h"

static int repl_start(int fd, uint32_t role, int sock)
{
	struct keel_ring_repl a = {
		.size = sizeof(a), .role = role, .sock_fd = sock,
	};

	return ring_ioctl(fd, KEEL_RING_IOC_REPL_START, &a);
}

static uint64_t obj_u(struct __test_metadata *_metadata, uint32_t id,
		      uint16_t type)
{
	(void)_metadata;
	return ring_info_u(id, type);
}

/* Wait up to 10 s for the ring's replication state to be @state. */
static uint64_t wait_repl_state(struct __test_metadata *_metadata,
				uint32_t id, uint32_t state)
{
	uint64_t st = ~0ull;
	int i;

	for (i = 0; i < 1000; i++) {
		st = obj_u(_metadata, id, KEEL_RING_INFO_A_REPL_STATE);
		if (st == state)
			break;
		usleep(10000);
	}
	return st;
}

static int recv_all(int fd, void *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = recv(fd, (char *)buf + got, len - got, 0);
		if (n <= 0)
			return -1;
		got += n;
	}
	return 0;
}

static void wire(struct keel_ring_wire *w, uint8_t type, uint64_t index)
{
	memset(w, 0, sizeof(*w));
	w->magic = htole32(KEEL_RING_WIRE_MAGIC);
	w->type = type;
	w->index = htole64(index);
}

static int send_wire(int fd, uint8_t type, uint64_t index)
{
	struct keel_ring_wire w;

	wire(&w, type, index);
	return send(fd, &w, sizeof(w), MSG_NOSIGNAL) == sizeof(w) ? 0 : -1;
}

/* Receive one message; its payload (for DATA) into @buf. */
static int recv_wire(int fd, struct keel_ring_wire *w, void *buf)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	if (poll(&p, 1, 5000) != 1 || recv_all(fd, w, sizeof(*w)))
		return -1;
	if (le32toh(w->magic) != KEEL_RING_WIRE_MAGIC)
		return -1;
	if (w->type == KEEL_RING_WIRE_DATA && le32toh(w->len))
		return recv_all(fd, buf, le32toh(w->len));
	return 0;
}

#define START	(0xffffffffull - 2)	/* wraps after three entries */

/* The test as the backup of a primary ring. */
TEST(primary_releases_only_what_was_acked)
{
	struct keel_ring_setup s;
	struct keel_ring_wire w;
	char buf[256];
	struct ring p;
	int sv[2], i, fd;

	RING_OPEN_OR_SKIP(fd);
	close(fd);
	ring_setup_init(&s, 8, 64, 0, START);
	strcpy(s.label, "primary");
	ASSERT_EQ(0, ring_create(&p, &s));
	ASSERT_EQ(0, fcntl(p.fd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, repl_start(p.fd, KEEL_RING_REPL_PRIMARY, sv[0]));
	close(sv[0]);
	EXPECT_EQ(-EBUSY, repl_start(p.fd, KEEL_RING_REPL_PRIMARY, sv[1]));

	ASSERT_EQ(0, recv_wire(sv[1], &w, buf));
	EXPECT_EQ(KEEL_RING_WIRE_HELLO, w.type);
	EXPECT_EQ(START, le64toh(w.index));
	EXPECT_EQ(64, le32toh(w.len));
	EXPECT_EQ(8, le32toh(w.slots));
	EXPECT_EQ(0, le32toh(w.flags));

	for (i = 0; i < 5; i++)
		ASSERT_EQ(4, write(p.fd, &i, 4));
	ASSERT_EQ(0, ring_commit(&p, (START + 3) & p.mask, 0, NULL));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, recv_wire(sv[1], &w, buf));
		ASSERT_EQ(KEEL_RING_WIRE_DATA, w.type);
		EXPECT_EQ((START + i) & p.mask, le64toh(w.index));
		ASSERT_EQ(4, le32toh(w.len));
		EXPECT_EQ(i, *(int *)buf);
	}
	/* Committed and sent, not acknowledged: nothing released. */
	usleep(100000);
	EXPECT_EQ(START, p.ctrl->out_tail);
	EXPECT_EQ(-1, read(p.fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(3, obj_u(_metadata, p.s.id, KEEL_RING_INFO_A_REPL_LAG));

	/* Two acknowledged: two released, across the wrap. */
	ASSERT_EQ(0, send_wire(sv[1], KEEL_RING_WIRE_ACK, (START + 2) & p.mask));
	ASSERT_EQ(POLLIN, ring_wait(p.fd, POLLIN, 5000));
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(4, read(p.fd, buf, sizeof(buf)));
		EXPECT_EQ(i, *(int *)buf);
	}
	EXPECT_EQ(-1, read(p.fd, buf, sizeof(buf)));
	EXPECT_EQ((START + 2) & p.mask, p.ctrl->out_tail);

	/* The rest: RELEASED comes before the new DATA. */
	ASSERT_EQ(0, ring_commit(&p, 0, KEEL_RING_COMMIT_ALL, NULL));
	ASSERT_EQ(0, recv_wire(sv[1], &w, buf));
	EXPECT_EQ(KEEL_RING_WIRE_RELEASED, w.type);
	EXPECT_EQ((START + 2) & p.mask, le64toh(w.index));
	for (i = 3; i < 5; i++) {
		ASSERT_EQ(0, recv_wire(sv[1], &w, buf));
		ASSERT_EQ(KEEL_RING_WIRE_DATA, w.type);
		EXPECT_EQ(i, *(int *)buf);
	}
	/* An ACK beyond what was sent is a protocol error: held. */
	ASSERT_EQ(0, send_wire(sv[1], KEEL_RING_WIRE_ACK, (START + 9) & p.mask));
	EXPECT_EQ(KEEL_RING_REPL_STATE_FAILED,
		  wait_repl_state(_metadata, p.s.id,
				  KEEL_RING_REPL_STATE_FAILED));
	EXPECT_EQ(EPROTO, obj_u(_metadata, p.s.id, KEEL_RING_INFO_A_REPL_ERR));
	EXPECT_EQ((START + 2) & p.mask, p.ctrl->out_tail);
	close(sv[1]);

	/* A new backup gets everything not released, from the start. */
	EXPECT_EQ(0, ring_ioctl(p.fd, KEEL_RING_IOC_REPL_STOP, NULL));
	EXPECT_EQ((START + 2) & p.mask, p.ctrl->out_tail);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, repl_start(p.fd, KEEL_RING_REPL_PRIMARY, sv[0]));
	close(sv[0]);
	ASSERT_EQ(0, recv_wire(sv[1], &w, buf));
	EXPECT_EQ(KEEL_RING_WIRE_HELLO, w.type);
	EXPECT_EQ((START + 2) & p.mask, le64toh(w.index));
	for (i = 2; i < 5; i++) {
		ASSERT_EQ(0, recv_wire(sv[1], &w, buf));
		ASSERT_EQ(KEEL_RING_WIRE_DATA, w.type);
		EXPECT_EQ((START + i) & p.mask, le64toh(w.index));
		EXPECT_EQ(i, *(int *)buf);
	}
	ASSERT_EQ(0, send_wire(sv[1], KEEL_RING_WIRE_ACK, (START + 5) & p.mask));
	ASSERT_EQ(POLLIN, ring_wait(p.fd, POLLIN, 5000));
	for (i = 2; i < 5; i++) {
		EXPECT_EQ(4, read(p.fd, buf, sizeof(buf)));
		EXPECT_EQ(i, *(int *)buf);
	}
	/* The backup dies: commits go on, nothing is released. */
	close(sv[1]);
	EXPECT_EQ(KEEL_RING_REPL_STATE_FAILED,
		  wait_repl_state(_metadata, p.s.id,
				  KEEL_RING_REPL_STATE_FAILED));
	ASSERT_EQ(4, write(p.fd, &i, 4));
	ASSERT_EQ(0, ring_commit(&p, 0, KEEL_RING_COMMIT_ALL, NULL));
	usleep(100000);
	EXPECT_EQ((START + 5) & p.mask, p.ctrl->out_tail);
	EXPECT_EQ(0, ring_wait(p.fd, POLLIN, 0));
	ring_destroy(&p);
}

/* The test as the primary of a backup ring. */
TEST(backup_failover_releases_exactly_the_acked)
{
	uint64_t x = 0xffffffffull - 3, i;
	struct keel_ring_setup s;
	struct keel_ring_wire w;
	char buf[256];
	struct ring b;
	int sv[2], fd, v;

	RING_OPEN_OR_SKIP(fd);
	close(fd);
	ring_setup_init(&s, 8, 64, 0, 0);
	strcpy(s.label, "backup");
	ASSERT_EQ(0, ring_create(&b, &s));
	ASSERT_EQ(0, fcntl(b.fd, F_SETFL, O_NONBLOCK));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, repl_start(b.fd, KEEL_RING_REPL_BACKUP, sv[0]));
	close(sv[0]);

	wire(&w, KEEL_RING_WIRE_HELLO, x);
	w.len = htole32(64);
	w.slots = htole32(8);
	ASSERT_EQ(sizeof(w), send(sv[1], &w, sizeof(w), 0));
	for (i = 0; i < 6; i++) {
		char m[sizeof(w) + 4];
		int v32 = (int)i;

		wire(&w, KEEL_RING_WIRE_DATA, (x + i) & 0xffffffffull);
		w.len = htole32(4);
		memcpy(m, &w, sizeof(w));
		memcpy(m + sizeof(w), &v32, 4);
		ASSERT_EQ(sizeof(m), send(sv[1], m, sizeof(m), 0));
		ASSERT_EQ(0, recv_wire(sv[1], &w, buf));
		ASSERT_EQ(KEEL_RING_WIRE_ACK, w.type);
		EXPECT_EQ((x + i + 1) & 0xffffffffull, le64toh(w.index));
	}
	/* Held: at the primary's indices, unreleased, not writable. */
	EXPECT_EQ(x, b.ctrl->head);
	EXPECT_EQ(x, b.ctrl->out_tail);
	EXPECT_EQ((x + 6) & b.mask, b.ctrl->buf_tail);
	EXPECT_EQ(-1, read(b.fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, write(b.fd, "x", 1));
	EXPECT_EQ(EBUSY, errno);
	EXPECT_EQ(-EBUSY, ring_commit(&b, 0, KEEL_RING_COMMIT_ALL, NULL));
	EXPECT_EQ(6, obj_u(_metadata, b.s.id, KEEL_RING_INFO_A_REPL_ACKED));

	/* The primary released two, then dies. */
	ASSERT_EQ(0, send_wire(sv[1], KEEL_RING_WIRE_RELEASED,
			       (x + 2) & 0xffffffffull));
	close(sv[1]);
	EXPECT_EQ(KEEL_RING_REPL_STATE_FAILED,
		  wait_repl_state(_metadata, b.s.id,
				  KEEL_RING_REPL_STATE_FAILED));
	EXPECT_EQ((x + 2) & b.mask, b.ctrl->head);
	ASSERT_EQ(0, ring_commit(&b, 0, KEEL_RING_COMMIT_ALL, NULL));
	for (v = 2; v < 6; v++) {
		EXPECT_EQ(4, read(b.fd, buf, sizeof(buf)));
		EXPECT_EQ(v, *(int *)buf);
	}
	EXPECT_EQ(-1, read(b.fd, buf, sizeof(buf)));
	EXPECT_EQ(EAGAIN, errno);
	ring_destroy(&b);
}

TEST(malformed_replication)
{
	struct keel_ring_setup s;
	struct keel_ring_wire w;
	struct ring b, p;
	int sv[2], dg[2], fd;

	RING_OPEN_OR_SKIP(fd);
	ring_setup_init(&s, 8, 64, 0, 0);
	ASSERT_EQ(0, ring_create(&b, &s));
	ASSERT_EQ(0, ring_create(&p, &s));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, dg));

	EXPECT_EQ(-EBADFD, repl_start(fd, KEEL_RING_REPL_BACKUP, sv[0]));
	EXPECT_EQ(-EINVAL, repl_start(b.fd, 0, sv[0]));
	EXPECT_EQ(-EINVAL, repl_start(b.fd, 3, sv[0]));
	EXPECT_EQ(-EBADF, repl_start(b.fd, KEEL_RING_REPL_BACKUP, -1));
	EXPECT_EQ(-EBADF, repl_start(b.fd, KEEL_RING_REPL_BACKUP, 999));
	EXPECT_EQ(-EINVAL, repl_start(b.fd, KEEL_RING_REPL_BACKUP, dg[0]));
	EXPECT_EQ(-EINVAL, repl_start(b.fd, KEEL_RING_REPL_BACKUP, p.fd));
	close(fd);
	/* A backup must be empty; a primary cannot become one. */
	ASSERT_EQ(1, write(b.fd, "x", 1));
	EXPECT_EQ(-ENOTEMPTY, repl_start(b.fd, KEEL_RING_REPL_BACKUP, sv[0]));
	ASSERT_EQ(0, repl_start(p.fd, KEEL_RING_REPL_PRIMARY, sv[1]));
	EXPECT_EQ(0, ring_ioctl(p.fd, KEEL_RING_IOC_REPL_STOP, NULL));
	EXPECT_EQ(-EINVAL, repl_start(p.fd, KEEL_RING_REPL_BACKUP, sv[1]));
	ring_destroy(&b);
	close(sv[0]);
	close(sv[1]);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));

	/* A backup smaller than its primary, or out of order data. */
	ring_setup_init(&s, 4, 64, 0, 0);
	ASSERT_EQ(0, ring_create(&b, &s));
	ASSERT_EQ(0, repl_start(b.fd, KEEL_RING_REPL_BACKUP, sv[0]));
	wire(&w, KEEL_RING_WIRE_HELLO, 0);
	w.len = htole32(64);
	w.slots = htole32(8);
	ASSERT_EQ(sizeof(w), send(sv[1], &w, sizeof(w), 0));
	EXPECT_EQ(KEEL_RING_REPL_STATE_FAILED,
		  wait_repl_state(_metadata, b.s.id,
				  KEEL_RING_REPL_STATE_FAILED));
	EXPECT_EQ(EPROTO, obj_u(_metadata, b.s.id, KEEL_RING_INFO_A_REPL_ERR));
	EXPECT_EQ(0, ring_ioctl(b.fd, KEEL_RING_IOC_REPL_STOP, NULL));
	EXPECT_EQ(0, ring_ioctl(b.fd, KEEL_RING_IOC_REPL_STOP, NULL));
	close(sv[0]);
	close(sv[1]);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
	ASSERT_EQ(0, repl_start(b.fd, KEEL_RING_REPL_BACKUP, sv[0]));
	wire(&w, KEEL_RING_WIRE_HELLO, 100);
	w.len = htole32(64);
	w.slots = htole32(4);
	ASSERT_EQ(sizeof(w), send(sv[1], &w, sizeof(w), 0));
	wire(&w, KEEL_RING_WIRE_DATA, 101);	/* expected 100 */
	ASSERT_EQ(sizeof(w), send(sv[1], &w, sizeof(w), 0));
	EXPECT_EQ(KEEL_RING_REPL_STATE_FAILED,
		  wait_repl_state(_metadata, b.s.id,
				  KEEL_RING_REPL_STATE_FAILED));
	EXPECT_EQ(EPROTO, obj_u(_metadata, b.s.id, KEEL_RING_INFO_A_REPL_ERR));
	EXPECT_EQ(100, b.ctrl->buf_tail);
	/* Stop while the thread would block: close the ring at once. */
	ring_destroy(&b);
	ring_destroy(&p);
	close(sv[0]);
	close(sv[1]);
	close(dg[0]);
	close(dg[1]);
}

/* ---- a primary ring and a backup ring, the backup killed midway ---- */

#define N_ENTRIES	6000

struct shared {
	__u64 issued;		/* entries the producer asked to commit */
	__u64 got;		/* entries the fetcher has */
};

/*
 * Two network namespaces joined by a veth pair, 10.99.0.1 (primary) and
 * 10.99.0.2 (backup), for the TCP variant. The keel family lives in the
 * initial namespace, where the test itself stays.
 */
struct netns {
	int init, a, b;		/* namespace fds */
	int listener;		/* TCP, in a, on 10.99.0.1:7777 */
};

static int veth_create(const char *a, const char *b, int nsfd_b)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *info, *data, *peer;
	struct mnl_socket *nl;
	struct ifinfomsg *ifm;
	struct nlmsghdr *nlh;
	int ret = -1;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0)
		goto out;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL |
			   NLM_F_ACK;
	nlh->nlmsg_seq = 1;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, a);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	/* The peer's attributes follow its own struct ifinfomsg. */
	memset((char *)nlh + nlh->nlmsg_len, 0, sizeof(*ifm));
	nlh->nlmsg_len += MNL_ALIGN(sizeof(*ifm));
	mnl_attr_put_strz(nlh, IFLA_IFNAME, b);
	mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, nsfd_b);
	mnl_attr_nest_end(nlh, peer);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, info);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		goto out;
	if (mnl_socket_recvfrom(nl, buf, sizeof(buf)) < 0)
		goto out;
	ret = mnl_cb_run(buf, sizeof(buf), 1, mnl_socket_get_portid(nl),
			 NULL, NULL) < 0 ? -1 : 0;
out:
	if (nl)
		mnl_socket_close(nl);
	return ret;
}

/* Address @ip/24 on @ifname, up (in the current namespace). */
static int if_up(const char *ifname, const char *ip)
{
	struct sockaddr_in *sin;
	struct ifreq ifr = {};
	int s, ret = -1;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	if (ip) {
		inet_pton(AF_INET, ip, &sin->sin_addr);
		if (ioctl(s, SIOCSIFADDR, &ifr))
			goto out;
		inet_pton(AF_INET, "255.255.255.0", &sin->sin_addr);
		if (ioctl(s, SIOCSIFNETMASK, &ifr))
			goto out;
	}
	if (ioctl(s, SIOCGIFFLAGS, &ifr))
		goto out;
	ifr.ifr_flags |= IFF_UP;
	ret = ioctl(s, SIOCSIFFLAGS, &ifr);
out:
	close(s);
	return ret;
}

static int netns_setup(struct netns *n)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons(7777),
	};
	int one = 1;

	n->init = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (n->init < 0 || unshare(CLONE_NEWNET))
		return -1;
	n->a = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (unshare(CLONE_NEWNET))
		return -1;
	n->b = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	if (n->a < 0 || n->b < 0 || if_up("lo", NULL) ||
	    setns(n->a, CLONE_NEWNET) || if_up("lo", NULL) ||
	    veth_create("krp", "krb", n->b) || if_up("krp", "10.99.0.1"))
		return -1;
	n->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	inet_pton(AF_INET, "10.99.0.1", &sin.sin_addr);
	if (n->listener < 0 ||
	    setsockopt(n->listener, SOL_SOCKET, SO_REUSEADDR, &one,
		       sizeof(one)) ||
	    bind(n->listener, (struct sockaddr *)&sin, sizeof(sin)) ||
	    listen(n->listener, 4))
		return -1;
	if (setns(n->b, CLONE_NEWNET) || if_up("krb", "10.99.0.2"))
		return -1;
	return setns(n->init, CLONE_NEWNET);
}

/* In the backup's namespace: a TCP connection to the primary. */
static int netns_connect(struct netns *n)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons(7777),
	};
	int s, one = 1, i;

	if (setns(n->b, CLONE_NEWNET))
		return -1;
	inet_pton(AF_INET, "10.99.0.1", &sin.sin_addr);
	for (i = 0; i < 50; i++) {
		s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (s < 0)
			return -1;
		if (!connect(s, (struct sockaddr *)&sin, sizeof(sin)))
			break;
		close(s);
		s = -1;
		usleep(100000);
	}
	if (s >= 0)
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return s;
}

/* Child: a backup ring on @sock until killed; its id through @pfd. */
static void run_backup(int sock, int pfd)
{
	struct keel_ring_setup s;
	struct ring b;

	ring_setup_init(&s, 16, 128, 0, 0);
	strcpy(s.label, "backup");
	if (sock < 0 || ring_create(&b, &s) ||
	    repl_start(b.fd, KEEL_RING_REPL_BACKUP, sock))
		_exit(1);
	close(sock);
	if (write(pfd, &b.s.id, 4) != 4)
		_exit(1);
	for (;;)
		pause();
}

/*
 * A backup process and the primary's end of its connection: a unix
 * socketpair, or with @n TCP from the backup's namespace to the
 * primary's.
 */
static pid_t start_backup(struct __test_metadata *_metadata, struct ring *p,
			  struct netns *n, uint32_t *backup_id)
{
	int sv[2], pp[2], one = 1;
	pid_t pid;

	if (!n)
		ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0,
					sv));
	ASSERT_EQ(0, pipe2(pp, O_CLOEXEC));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (!n)
			close(sv[0]);
		run_backup(n ? netns_connect(n) : sv[1], pp[1]);
	}
	if (!n)
		close(sv[1]);
	close(pp[1]);
	/* The child connected and set up, or died (EOF). */
	ASSERT_EQ(4, read(pp[0], backup_id, 4));
	close(pp[0]);
	if (n) {
		sv[0] = accept4(n->listener, NULL, NULL, SOCK_CLOEXEC);
		ASSERT_LE(0, sv[0]);
		setsockopt(sv[0], IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	ASSERT_EQ(0, repl_start(p->fd, KEEL_RING_REPL_PRIMARY, sv[0]));
	close(sv[0]);
	return pid;
}

static int fetch_all(struct ring *p, struct shared *sh)
{
	uint8_t buf[KEEL_RING_SLOT_SIZE_MAX];
	uint32_t max = ring_payload_max(p);
	uint64_t seq, got_seq;
	ssize_t n;

	for (seq = 0; seq < N_ENTRIES; seq++) {
		while ((n = read(p->fd, buf, sizeof(buf))) < 0 &&
		       errno == EAGAIN)
			ring_wait(p->fd, POLLIN, 1000);
		if (n < 8)
			return 10;
		memcpy(&got_seq, buf, 8);
		if (got_seq != seq)
			return 1;
		if (seq >= load_acquire(&sh->issued))
			return 3;
		if (!entry_check(buf, n, seq, max))
			return 2;
		store_release(&sh->got, seq + 1);
	}
	return 0;
}

/* Produce entries [*seq, upto) with random commits. */
static void produce(struct __test_metadata *_metadata, struct ring *p,
		    struct shared *sh, uint64_t *seq, uint64_t upto,
		    uint64_t *rnd)
{
	uint8_t buf[KEEL_RING_SLOT_SIZE_MAX];
	uint32_t len, max = ring_payload_max(p);

	while (*seq < upto) {
		len = entry_make(buf, *seq, max);
		if (write(p->fd, buf, len) != (ssize_t)len) {
			ASSERT_EQ(EAGAIN, errno);
			store_release(&sh->issued, *seq);
			ASSERT_EQ(0, ring_commit(p, 0, KEEL_RING_COMMIT_ALL,
						 NULL));
			/* Full for a second: the backup must still be there. */
			if (!ring_wait(p->fd, POLLOUT, 1000))
				ASSERT_NE(KEEL_RING_REPL_STATE_FAILED,
					  obj_u(_metadata, p->s.id,
						KEEL_RING_INFO_A_REPL_STATE))
					TH_LOG("replication failed: errno %llu",
					       (unsigned long long)
					       obj_u(_metadata, p->s.id,
						     KEEL_RING_INFO_A_REPL_ERR));
			continue;
		}
		++*seq;
		*rnd ^= *rnd << 13;
		*rnd ^= *rnd >> 7;
		*rnd ^= *rnd << 17;
		if (*rnd % 4 == 0) {
			store_release(&sh->issued, *seq);
			ASSERT_EQ(0, ring_commit(p, 0, KEEL_RING_COMMIT_ALL,
						 NULL));
		}
	}
	store_release(&sh->issued, *seq);
	ASSERT_EQ(0, ring_commit(p, 0, KEEL_RING_COMMIT_ALL, NULL));
}

static void midstream(struct __test_metadata *_metadata, struct netns *n)
{
	uint64_t seq = 0, rnd = 0x2545f4914f6cdd1dull, out, got;
	uint32_t backup_id;
	struct keel_ring_setup s;
	struct shared *sh;
	pid_t fetcher, backup;
	struct ring p;
	int status, fd, i;

	RING_OPEN_OR_SKIP(fd);
	close(fd);
	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sh);
	ring_setup_init(&s, 16, 128, 0, 0xffffffffull - 2000);
	strcpy(s.label, "primary");
	ASSERT_EQ(0, ring_create(&p, &s));
	ASSERT_EQ(0, fcntl(p.fd, F_SETFL, O_NONBLOCK));

	fetcher = fork();
	ASSERT_LE(0, fetcher);
	if (!fetcher) {
		alarm(250);
		_exit(fetch_all(&p, sh));
	}
	for (i = 0; i < 2; i++) {
		backup = start_backup(_metadata, &p, n, &backup_id);
		TH_LOG("backup %d started (ring %u)", i + 1, backup_id);
		produce(_metadata, &p, sh, &seq, N_ENTRIES / 3 * (i + 1),
			&rnd);
		/* The backup has what was released (it acknowledged it). */
		EXPECT_LE((p.ctrl->out_tail - p.s.start) & p.mask,
			  (obj_u(_metadata, backup_id,
				 KEEL_RING_INFO_A_BUF_TAIL) - p.s.start) &
			  p.mask);
		TH_LOG("%llu entries produced; killing backup %d",
		       (unsigned long long)seq, i + 1);
		kill(backup, SIGKILL);
		ASSERT_EQ(backup, waitpid(backup, &status, 0));
		EXPECT_EQ(KEEL_RING_REPL_STATE_FAILED,
			  wait_repl_state(_metadata, p.s.id,
					  KEEL_RING_REPL_STATE_FAILED));
		/* No backup: more commits, nothing released. */
		out = p.ctrl->out_tail;
		got = load_acquire(&sh->got);
		while (seq < N_ENTRIES &&
		       ((p.ctrl->buf_tail - p.ctrl->head) & p.mask) < 16) {
			uint8_t buf[KEEL_RING_SLOT_SIZE_MAX];
			uint32_t len = entry_make(buf, seq,
						  ring_payload_max(&p));

			ASSERT_EQ(len, write(p.fd, buf, len));
			seq++;
		}
		store_release(&sh->issued, seq);
		ASSERT_EQ(0, ring_commit(&p, 0, KEEL_RING_COMMIT_ALL, NULL));
		usleep(300000);
		EXPECT_EQ(out, p.ctrl->out_tail);
		EXPECT_LE(load_acquire(&sh->got),
			  (out - p.s.start) & p.mask);
		EXPECT_LT(0, obj_u(_metadata, p.s.id,
				   KEEL_RING_INFO_A_REPL_LAG));
		(void)got;
		ASSERT_EQ(0, ring_ioctl(p.fd, KEEL_RING_IOC_REPL_STOP, NULL));
	}
	/* A third backup takes everything not released, and the rest. */
	backup = start_backup(_metadata, &p, n, &backup_id);
	TH_LOG("backup 3 started (ring %u)", backup_id);
	produce(_metadata, &p, sh, &seq, N_ENTRIES, &rnd);
	ASSERT_EQ(fetcher, waitpid(fetcher, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("fetcher: %d",
						 WEXITSTATUS(status));
	EXPECT_EQ(N_ENTRIES, load_acquire(&sh->got));
	EXPECT_EQ((p.s.start + N_ENTRIES) & p.mask, p.ctrl->out_tail);
	EXPECT_EQ(0, obj_u(_metadata, p.s.id, KEEL_RING_INFO_A_REPL_LAG));
	kill(backup, SIGKILL);
	waitpid(backup, &status, 0);
	ring_destroy(&p);
}

/* The harness's default of 30 s is short for TCG. */
FIXTURE(midstream) {
	int unused;
};

FIXTURE_SETUP(midstream)
{
}

FIXTURE_TEARDOWN(midstream)
{
}

/* Over a unix socketpair between two processes. */
TEST_F_TIMEOUT(midstream, unix_socketpair, 200)
{
	midstream(_metadata, NULL);
}

/* Over TCP between two network namespaces joined by veth. */
TEST_F_TIMEOUT(midstream, tcp_between_netns, 200)
{
	struct netns n;
	int fd;

	RING_OPEN_OR_SKIP(fd);
	close(fd);
	if (netns_setup(&n))
		SKIP(return, "network namespaces with veth: %s",
		     strerror(errno));
	midstream(_metadata, &n);
}

TEST_HARNESS_MAIN
