/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The nested guest's network, for the coalesce test, demo and benchmark:
 * a virtio-net-pci NIC on a tap device with vhost-net (QEMU's own
 * arguments), the host side of the tap, UDP streams and pings into the
 * guest, and the reports of the guest's role net-rx (datagrams arrived,
 * interrupts of its receive queue). libc only, with keel_qemu.
 */
#ifndef KEEL_NET_H
#define KEEL_NET_H

#include <stddef.h>
#include <stdint.h>

#include "keel_qemu.h"

#define KEEL_NET_TAP		"ktap0"
#define KEEL_NET_HOST_IP	"10.9.0.1"
#define KEEL_NET_GUEST_IP	"10.9.0.2"
/* The role's kernel command line and QEMU's NIC, for keel_qemu_opts. */
#define KEEL_NET_APPEND		"keel.role=net-rx keel.ip=" KEEL_NET_GUEST_IP "/24"
extern const char *const keel_net_qemu_args[];

/* One report of the guest (every 200 ms). */
struct keel_net_report {
	unsigned long long udp;		/* datagrams to closed ports */
	unsigned long long irqs;	/* interrupts of virtio0-input.0 */
	unsigned long long drops;	/* the NIC's rx_dropped */
};

/* Bring the host side of the tap up once QEMU made it. 0 or -1. */
int keel_net_host_up(void);

/*
 * The guest's next report. -EDEADLK when none comes because the emulated
 * CPU left the guest stuck (keel_qemu.h): boot again. -errno otherwise.
 */
int keel_net_report(struct keel_qemu *q, struct keel_net_report *r);
/* Reports until @udp datagrams arrived in all, and one more after. */
int keel_net_wait_udp(struct keel_qemu *q, unsigned long long udp,
		      struct keel_net_report *r);

/*
 * @n UDP datagrams of @len bytes (8 to 1472) to a port of the guest that
 * nobody listens on, @gap_us apart (0: as fast as the socket takes them).
 * Returns how many the host sent, or -errno before the first.
 */
long keel_net_stream(long n, size_t len, unsigned int gap_us);

/*
 * keel_net_stream(), then the guest's reports until every datagram sent
 * arrived (@now: the report before, then the last one). A guest that the
 * emulated CPU left stuck stops answering the host's neighbour probes, so
 * the host's stream ends early with EHOSTUNREACH: that is -EDEADLK here
 * (boot again), not a short stream. Returns how many were sent (fewer
 * than @n only with a guest that reports), -EDEADLK or -errno.
 */
long keel_net_send(struct keel_qemu *q, long n, size_t len,
		   unsigned int gap_us, struct keel_net_report *now);

/*
 * @n pings (ICMP echo, raw socket) to the guest, @gap_us apart; the
 * round-trip times of those answered within a second, in ns, into @rtt
 * (sorted). Returns how many were answered, or -errno.
 */
long keel_net_ping(long n, unsigned int gap_us, uint64_t *rtt);

/* CLOCK_MONOTONIC in ns. */
uint64_t keel_net_now_ns(void);

#endif /* KEEL_NET_H */
