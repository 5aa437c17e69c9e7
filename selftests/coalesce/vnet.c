// SPDX-License-Identifier: GPL-2.0
/*
 * The test VMM's virtio-net receive queue on vhost-net and the peer that
 * sends frames into its tap (vnet.h).
 *
 * The peer is a child process in a network namespace of its own: it
 * makes the tap there, brings it up, hands its queue to the VMM over a
 * socket (SCM_RIGHTS) and then sends frames through a packet socket on
 * the tap when asked. The tap's frames leave the peer's stack and are
 * vhost-net's to receive into the guest's ring.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <net/if.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <linux/kvm.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "keel_test_file.h"
#include "vnet.h"
#include "vnet_guest.h"

#define TAP_NAME	"kvnet0"
#define RXQ		0	/* vhost-net's receive queue */

/* A request to the peer and its answer. */
struct peer_cmd {
	uint32_t n, len, gap_us, seq;
};

static int vnet_err(int err, const char *what)
{
	fprintf(stderr, "# vnet: %s: %s\n", what, strerror(err));
	return -err;
}

/* ---- the peer ---- */

/* The tap in this (the peer's) namespace, up, without IPv6 chatter. */
static int peer_tap(int *ifindex)
{
	struct ifreq ifr;
	int fd, s, hdr = VNET_HDR_LEN;

	/* no router solicitations or DAD frames into the guest */
	write_text("/proc/sys/net/ipv6/conf/default/disable_ipv6", "1");
	write_text("/proc/sys/net/ipv6/conf/all/disable_ipv6", "1");
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return vnet_err(errno, "/dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	strcpy(ifr.ifr_name, TAP_NAME);
	if (ioctl(fd, TUNSETIFF, &ifr) || ioctl(fd, TUNSETVNETHDRSZ, &hdr)) {
		vnet_err(errno, "TUNSETIFF");
		close(fd);
		return -1;
	}
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr))
		goto fail;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) || ioctl(s, SIOCGIFINDEX, &ifr))
		goto fail;
	*ifindex = ifr.ifr_ifindex;
	close(s);
	return fd;
fail:
	vnet_err(errno, "bringing " TAP_NAME " up");
	if (s >= 0)
		close(s);
	close(fd);
	return -1;
}

static int send_fd(int sock, int fd)
{
	char data = 'T', cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &data, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;

	memset(cbuf, 0, sizeof(cbuf));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == 1 ? 0 : -errno;
}

static int recv_fd(int sock)
{
	char data, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &data, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1)
		return -EPROTO;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -EPROTO;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* @n frames as asked; how many the packet socket took. */
static uint32_t peer_send(int s, const struct peer_cmd *cmd)
{
	static const uint8_t dst[ETH_ALEN] = VNET_GUEST_MAC;
	static const uint8_t src[ETH_ALEN] = { 0x02, 0, 0, 0, 0, 0x01 };
	struct timespec gap = { 0, cmd->gap_us * 1000L }, now;
	uint8_t frame[VNET_FRAME_MAX];
	struct vnet_payload p = { .magic = VNET_MAGIC };
	struct ethhdr *eth = (void *)frame;
	uint32_t i;

	memset(frame, 0x6b, sizeof(frame));
	memcpy(eth->h_dest, dst, ETH_ALEN);
	memcpy(eth->h_source, src, ETH_ALEN);
	eth->h_proto = htons(VNET_ETHERTYPE);
	for (i = 0; i < cmd->n; i++) {
		p.seq = cmd->seq + i;
		clock_gettime(CLOCK_MONOTONIC_RAW, &now);
		p.ns = (uint64_t)now.tv_sec * 1000000000ull + now.tv_nsec;
		memcpy(frame + ETH_HLEN, &p, sizeof(p));
		if (send(s, frame, cmd->len, 0) != (ssize_t)cmd->len)
			break;
		if (cmd->gap_us)
			nanosleep(&gap, NULL);
	}
	return i;
}

/* The peer's life: make the tap, hand it over, send when asked. */
static void peer_main(int sock)
{
	struct sockaddr_ll ll = { .sll_family = AF_PACKET };
	struct peer_cmd cmd;
	int tap, s, ifindex = 0;
	uint32_t sent;

	if (unshare(CLONE_NEWNET)) {
		vnet_err(errno, "unshare(CLONE_NEWNET)");
		_exit(1);
	}
	tap = peer_tap(&ifindex);
	if (tap < 0)
		_exit(1);
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
	ll.sll_ifindex = ifindex;
	ll.sll_protocol = 0;	/* send only */
	if (s < 0 || bind(s, (struct sockaddr *)&ll, sizeof(ll))) {
		vnet_err(errno, "packet socket on " TAP_NAME);
		_exit(1);
	}
	if (send_fd(sock, tap))
		_exit(1);
	close(tap);
	while (read(sock, &cmd, sizeof(cmd)) == sizeof(cmd)) {
		sent = cmd.len >= VNET_FRAME_MIN && cmd.len <= VNET_FRAME_MAX ?
		       peer_send(s, &cmd) : 0;
		if (write(sock, &sent, sizeof(sent)) != sizeof(sent))
			break;
	}
	_exit(0);
}

/* ---- the VMM's side ---- */

static int vhost_setup(struct vnet *v, int call_fd)
{
	const struct keel_mem_region *r = &v->vm->regions[0];
	struct vhost_vring_addr addr = {
		.index = RXQ,
		.desc_user_addr = (uintptr_t)vm_gpa2hva(v->vm, v->gpa.desc, 1),
		.avail_user_addr = (uintptr_t)vm_gpa2hva(v->vm, v->gpa.avail, 1),
		.used_user_addr = (uintptr_t)vm_gpa2hva(v->vm, v->gpa.used, 1),
	};
	struct vhost_vring_state num = { RXQ, VNET_QUEUE_SIZE };
	struct vhost_vring_state base = { RXQ, 0 };
	struct vhost_vring_file kick = { RXQ, v->kick_fd };
	struct vhost_vring_file backend = { RXQ, v->tap_fd };
	uint64_t features, want = 1ull << VIRTIO_F_VERSION_1;
	int ret;
	struct {
		struct vhost_memory m;
		struct vhost_memory_region r;
	} mem = {
		.m.nregions = 1,
		.r = {
			.guest_phys_addr = r->gpa,
			.memory_size = r->size,
			.userspace_addr = (uintptr_t)r->hva,
		},
	};

	if (ioctl(v->vhost_fd, VHOST_SET_OWNER))
		return vnet_err(errno, "VHOST_SET_OWNER");
	if (ioctl(v->vhost_fd, VHOST_GET_FEATURES, &features))
		return vnet_err(errno, "VHOST_GET_FEATURES");
	if ((features & want) != want)
		return vnet_err(EOPNOTSUPP, "vhost-net without VERSION_1");
	if (ioctl(v->vhost_fd, VHOST_SET_FEATURES, &want))
		return vnet_err(errno, "VHOST_SET_FEATURES");
	if (ioctl(v->vhost_fd, VHOST_SET_MEM_TABLE, &mem))
		return vnet_err(errno, "VHOST_SET_MEM_TABLE");
	if (ioctl(v->vhost_fd, VHOST_SET_VRING_NUM, &num) ||
	    ioctl(v->vhost_fd, VHOST_SET_VRING_BASE, &base) ||
	    ioctl(v->vhost_fd, VHOST_SET_VRING_ADDR, &addr))
		return vnet_err(errno, "VHOST_SET_VRING_{NUM,BASE,ADDR}");
	if (ioctl(v->vhost_fd, VHOST_SET_VRING_KICK, &kick))
		return vnet_err(errno, "VHOST_SET_VRING_KICK");
	ret = vnet_set_call(v, call_fd);
	if (ret)
		return ret;
	if (ioctl(v->vhost_fd, VHOST_NET_SET_BACKEND, &backend))
		return vnet_err(errno, "VHOST_NET_SET_BACKEND");
	return 0;
}

static int kick_setup(struct vnet *v)
{
	struct kvm_ioeventfd io = {
		.addr = VNET_KICK_PORT,
		.len = 2,
		.flags = KVM_IOEVENTFD_FLAG_PIO,
	};

	v->kick_fd = eventfd(0, EFD_CLOEXEC);
	if (v->kick_fd < 0)
		return vnet_err(errno, "eventfd");
	io.fd = v->kick_fd;
	if (ioctl(v->vm->fd, KVM_IOEVENTFD, &io))
		return vnet_err(errno, "KVM_IOEVENTFD");
	return 0;
}

static int peer_start(struct vnet *v)
{
	int sv[2], status;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return vnet_err(errno, "socketpair");
	v->peer = fork();
	if (v->peer < 0) {
		close(sv[0]);
		close(sv[1]);
		return vnet_err(errno, "fork");
	}
	if (!v->peer) {
		close(sv[0]);
		peer_main(sv[1]);
	}
	close(sv[1]);
	v->peer_sock = sv[0];
	v->tap_fd = recv_fd(v->peer_sock);
	if (v->tap_fd < 0) {
		waitpid(v->peer, &status, 0);
		v->peer = -1;
		return vnet_err(ENOENT, "the peer made no tap");
	}
	return 0;
}

int vnet_create(struct vnet *v, struct keel_vm *vm, int call_fd)
{
	uint64_t rings;
	int ret;

	memset(v, 0, sizeof(*v));
	v->vm = vm;
	v->vhost_fd = v->tap_fd = v->kick_fd = v->call_fd = -1;
	v->peer_sock = -1;
	v->peer = -1;
	/* split ring: descriptors, avail and used a page each; buffers */
	rings = vm_alloc(vm, 3 * KEEL_PAGE_SIZE);
	v->gpa.desc = rings;
	v->gpa.avail = rings + KEEL_PAGE_SIZE;
	v->gpa.used = rings + 2 * KEEL_PAGE_SIZE;
	v->gpa.bufs = vm_alloc(vm, VNET_QUEUE_SIZE * VNET_BUF_SIZE);
	if (!rings || !v->gpa.bufs)
		return vnet_err(ENOMEM, "guest memory for the queue");

	v->vhost_fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (v->vhost_fd < 0)
		return vnet_err(errno, "/dev/vhost-net");
	ret = kick_setup(v);
	if (!ret)
		ret = peer_start(v);
	if (!ret)
		ret = vhost_setup(v, call_fd);
	return ret;
}

/* Whether the name of thread @tid of process @pid is @name. */
static bool comm_is(const char *pid, const char *tid, const char *name)
{
	char path[sizeof("/proc//task//comm") + 2 * NAME_MAX], comm[64] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/task/%s/comm", pid, tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	comm[strcspn(comm, "\n")] = 0;
	return !strcmp(comm, name);
}

int vnet_pin_worker(int cpu)
{
	char name[32], dir[sizeof("/proc//task") + NAME_MAX];
	struct dirent *p, *t;
	int pinned = 0;
	cpu_set_t set;
	DIR *procs, *tasks;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	snprintf(name, sizeof(name), "vhost-%d", getpid());
	procs = opendir("/proc");
	while (procs && (p = readdir(procs))) {
		if (p->d_name[0] < '0' || p->d_name[0] > '9')
			continue;
		snprintf(dir, sizeof(dir), "/proc/%s/task", p->d_name);
		tasks = opendir(dir);
		while (tasks && (t = readdir(tasks)))
			if (t->d_name[0] != '.' &&
			    comm_is(p->d_name, t->d_name, name) &&
			    !sched_setaffinity(atoi(t->d_name), sizeof(set),
					       &set))
				pinned++;
		if (tasks)
			closedir(tasks);
	}
	if (procs)
		closedir(procs);
	return pinned;
}

int vnet_log_start(struct vnet *v, uint64_t *log)
{
	uint64_t base = (uintptr_t)log;
	uint64_t want = 1ull << VIRTIO_F_VERSION_1 | 1ull << VHOST_F_LOG_ALL;
	struct vhost_vring_addr addr = {
		.index = RXQ,
		.flags = 1u << VHOST_VRING_F_LOG,
		.desc_user_addr = (uintptr_t)vm_gpa2hva(v->vm, v->gpa.desc, 1),
		.avail_user_addr = (uintptr_t)vm_gpa2hva(v->vm, v->gpa.avail, 1),
		.used_user_addr = (uintptr_t)vm_gpa2hva(v->vm, v->gpa.used, 1),
		.log_guest_addr = v->gpa.used,
	};

	/* QEMU's order when migration starts (vhost_dev_set_log()) */
	if (ioctl(v->vhost_fd, VHOST_SET_LOG_BASE, &base))
		return vnet_err(errno, "VHOST_SET_LOG_BASE");
	if (ioctl(v->vhost_fd, VHOST_SET_FEATURES, &want))
		return vnet_err(errno, "VHOST_SET_FEATURES with VHOST_F_LOG_ALL");
	if (ioctl(v->vhost_fd, VHOST_SET_VRING_ADDR, &addr))
		return vnet_err(errno, "VHOST_SET_VRING_ADDR with VHOST_VRING_F_LOG");
	return 0;
}

int vnet_set_call(struct vnet *v, int call_fd)
{
	struct vhost_vring_file call = { RXQ, call_fd };

	if (ioctl(v->vhost_fd, VHOST_SET_VRING_CALL, &call))
		return vnet_err(errno, "VHOST_SET_VRING_CALL");
	v->call_fd = call_fd;
	return 0;
}

long vnet_send(struct vnet *v, uint32_t n, uint32_t len, uint32_t gap_us)
{
	struct peer_cmd cmd = { n, len, gap_us, v->next_seq };
	uint32_t sent;

	if (write(v->peer_sock, &cmd, sizeof(cmd)) != sizeof(cmd) ||
	    read(v->peer_sock, &sent, sizeof(sent)) != sizeof(sent))
		return -EPIPE;
	v->next_seq += sent;
	return sent;
}

void vnet_destroy(struct vnet *v)
{
	struct vhost_vring_file backend = { RXQ, -1 };
	int status;

	if (v->vhost_fd >= 0) {
		ioctl(v->vhost_fd, VHOST_NET_SET_BACKEND, &backend);
		close(v->vhost_fd);
	}
	if (v->peer_sock >= 0)
		close(v->peer_sock);	/* the peer ends on EOF */
	if (v->peer > 0)
		waitpid(v->peer, &status, 0);
	if (v->tap_fd >= 0)
		close(v->tap_fd);
	if (v->kick_fd >= 0)
		close(v->kick_fd);
	v->vhost_fd = v->peer_sock = v->tap_fd = v->kick_fd = -1;
	v->peer = -1;
}

void vnet_guest_init(struct keel_vm *vm, uint32_t gsi, uint32_t poke_gsi)
{
	volatile struct vnet_guest *g = vnet_guest_of(vm);

	g->gsi = gsi;
	g->vector = 0x44;
	g->poke_gsi = poke_gsi;
	g->poke_vector = 0x45;
	g->spin = 0;
	g->quit = 0;
}

int64_t vnet_clock_offset(const struct keel_vm *vm)
{
	struct kvm_clock_data c = { 0 };
	struct timespec a, b;

	clock_gettime(CLOCK_MONOTONIC_RAW, &a);
	if (ioctl(vm->fd, KVM_GET_CLOCK, &c))
		return 0;
	clock_gettime(CLOCK_MONOTONIC_RAW, &b);
	/* the host's clock halfway through the call */
	return (int64_t)c.clock -
	       ((a.tv_sec + b.tv_sec) * 1000000000ll + a.tv_nsec + b.tv_nsec) / 2;
}
