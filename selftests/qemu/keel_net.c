// SPDX-License-Identifier: GPL-2.0
/*
 * The nested guest's network (keel_net.h): QEMU's NIC, the host side of
 * its tap, UDP streams and pings into the guest, the guest's reports.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "keel_net.h"

/* Guest lines come every 200 ms: liveness bounds, not measurements. */
#define REPORT_MS	30000
#define REPORTS_MAX	600
#define PORT		9999

const char *const keel_net_qemu_args[] = {
	"-netdev", "tap,id=n0,ifname=" KEEL_NET_TAP
		   ",script=no,downscript=no,vhost=on",
	/* romfile=: no PXE ROM to pack; a fixed MAC for the guest */
	"-device", "virtio-net-pci,netdev=n0,romfile=,mac=52:54:00:4b:45:4c",
	NULL
};

static int sh(const char *cmd)
{
	int rc = system(cmd);

	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

int keel_net_host_up(void)
{
	/* no IPv6 chatter into the guest */
	sh("echo 1 >/proc/sys/net/ipv6/conf/" KEEL_NET_TAP
	   "/disable_ipv6 2>/dev/null");
	return sh("ip link set " KEEL_NET_TAP " up && ip addr add "
		  KEEL_NET_HOST_IP "/24 dev " KEEL_NET_TAP) ? -1 : 0;
}

int keel_net_report(struct keel_qemu *q, struct keel_net_report *r)
{
	char line[256];
	int ret;

	ret = keel_qemu_wait_line(q, "KEEL-GUEST-NET ", line, sizeof(line),
				  REPORT_MS);
	if (ret == -ETIMEDOUT && keel_qemu_stuck(q) == 1)
		return -EDEADLK;
	if (ret == -ESRCH && keel_qemu_panicked(q))
		return -EDEADLK;
	if (ret)
		return ret;
	return sscanf(line, "KEEL-GUEST-NET %llu %llu %llu", &r->udp,
		      &r->irqs, &r->drops) == 3 ? 0 : -EINVAL;
}

int keel_net_wait_udp(struct keel_qemu *q, unsigned long long udp,
		      struct keel_net_report *r)
{
	int i, ret;

	for (i = 0; i < REPORTS_MAX; i++) {
		ret = keel_net_report(q, r);
		if (ret)
			return ret;
		if (r->udp >= udp)
			return keel_net_report(q, r);
	}
	return -ETIMEDOUT;
}

static void guest_addr(struct sockaddr_in *to, uint16_t port)
{
	memset(to, 0, sizeof(*to));
	to->sin_family = AF_INET;
	to->sin_port = htons(port);
	inet_pton(AF_INET, KEEL_NET_GUEST_IP, &to->sin_addr);
}

long keel_net_stream(long n, size_t len, unsigned int gap_us)
{
	struct timespec gap = { 0, gap_us * 1000L };
	struct sockaddr_in to;
	char payload[1472];
	long i;
	int s;

	if (len < 8 || len > sizeof(payload))
		return -EINVAL;
	guest_addr(&to, PORT);
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	memset(payload, 'k', sizeof(payload));
	for (i = 0; i < n; i++) {
		if (sendto(s, payload, len, 0, (struct sockaddr *)&to,
			   sizeof(to)) < 0) {
			if (errno == ENOBUFS || errno == EAGAIN)
				continue;	/* the tap's queue is full */
			break;
		}
		if (gap_us)
			nanosleep(&gap, NULL);
	}
	close(s);
	return i ? i : -errno;
}

long keel_net_send(struct keel_qemu *q, long n, size_t len,
		   unsigned int gap_us, struct keel_net_report *now)
{
	unsigned long long udp = now->udp;
	long sent;
	int ret;

	sent = keel_net_stream(n, len, gap_us);
	ret = keel_net_wait_udp(q, udp + (sent > 0 ? sent : 0), now);
	if (ret)
		return ret;
	return sent;
}

uint64_t keel_net_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + t.tv_nsec;
}

static uint16_t icmp_sum(const void *p, size_t len)
{
	const uint16_t *w = p;
	uint32_t sum = 0;

	for (; len > 1; len -= 2)
		sum += *w++;
	if (len)
		sum += *(const uint8_t *)w;
	sum = (sum >> 16) + (sum & 0xffff);
	sum += sum >> 16;
	return ~sum;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Wait up to a second for the echo reply of @seq; its arrival time or 0. */
static uint64_t ping_reply(int s, uint16_t id, uint16_t seq)
{
	uint64_t deadline = keel_net_now_ns() + 1000000000ull, now;
	struct pollfd p = { .fd = s, .events = POLLIN };
	char buf[256];
	struct iphdr *ip = (void *)buf;
	struct icmphdr *ic;
	ssize_t n;

	while ((now = keel_net_now_ns()) < deadline) {
		if (poll(&p, 1, (int)((deadline - now) / 1000000) + 1) <= 0)
			return 0;
		n = recv(s, buf, sizeof(buf), 0);
		if (n < (ssize_t)(sizeof(*ip) + sizeof(*ic)))
			continue;
		ic = (void *)(buf + ip->ihl * 4);
		if (ic->type == ICMP_ECHOREPLY && ic->un.echo.id == id &&
		    ntohs(ic->un.echo.sequence) == seq)
			return keel_net_now_ns();
	}
	return 0;
}

long keel_net_ping(long n, unsigned int gap_us, uint64_t *rtt)
{
	struct timespec gap = { 0, gap_us * 1000L };
	struct sockaddr_in to;
	struct icmphdr req;
	uint16_t id = getpid() & 0xffff;
	uint64_t t0, t1;
	long i, got = 0;
	int s;

	guest_addr(&to, 0);
	s = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (s < 0)
		return -errno;
	for (i = 0; i < n; i++) {
		memset(&req, 0, sizeof(req));
		req.type = ICMP_ECHO;
		req.un.echo.id = id;
		req.un.echo.sequence = htons((uint16_t)i);
		req.checksum = icmp_sum(&req, sizeof(req));
		t0 = keel_net_now_ns();
		if (sendto(s, &req, sizeof(req), 0, (struct sockaddr *)&to,
			   sizeof(to)) < 0)
			continue;
		t1 = ping_reply(s, id, (uint16_t)i);
		if (t1)
			rtt[got++] = t1 - t0;
		nanosleep(&gap, NULL);
	}
	close(s);
	qsort(rtt, got, sizeof(*rtt), cmp_u64);
	return got;
}
