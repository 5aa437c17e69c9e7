/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest code of the test VMM's network device: a virtio-net receive
 * driver on a split ring (vnet.h has the host side). It posts every
 * buffer, checks each frame the device uses (the peer's, numbered, in
 * order), gives the buffer back at once and kicks when the device asks,
 * then spins (active) or halts (inactive) until the next. What it counts
 * is in vnet_guest, which the host reads while it runs.
 */
#ifndef COALESCE_VNET_GUEST_H
#define COALESCE_VNET_GUEST_H

#include <stdint.h>

/*
 * KVM's per-vCPU time information (the pvclock ABI of
 * MSR_KVM_SYSTEM_TIME_NEW): ns = system_time + scaled(TSC - tsc_timestamp).
 */
struct vnet_pvclock {
	uint32_t version;	/* odd while KVM updates it */
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((packed));

#define VNET_MSR_KVM_SYSTEM_TIME_NEW	0x4b564d01

/* Frame latencies kept, by arrival (a ring). */
#define VNET_LAT_MAX	8192

struct vnet_guest {
	/* set by the host */
	uint64_t gsi, vector;		/* the receive queue's interrupt */
	uint64_t poke_gsi, poke_vector;	/* the host wakes the guest with it */
	uint64_t spin;			/* 1: spin while idle, 0: halt */
	uint64_t quit;			/* 1: return (after a poke) */
	int64_t clock_offset;	/* kvmclock - host MONOTONIC_RAW; 0: unknown */
	/* counted by the guest */
	uint64_t frames;	/* the peer's frames, received */
	uint64_t irqs;		/* interrupts of the receive queue */
	uint64_t bad;		/* frames out of sequence */
	uint64_t other;		/* frames that are not the peer's */
	uint64_t halts;		/* HLTs while idle */
	/* ns from the peer's send to the guest's look at it, by frame */
	int64_t lat[VNET_LAT_MAX];
	/* the vCPU's kvmclock (pvclock ABI), which KVM keeps up to date */
	struct vnet_pvclock pvclock __attribute__((aligned(64)));
};

extern volatile struct vnet_guest vnet_guest;

/*
 * The driver, as a vCPU's guest code: its arguments are the ring's
 * guest-physical layout (struct vnet_ring_gpa: desc, avail, used, bufs).
 * Returns when the host sets quit and pokes.
 */
void vnet_guest_main(uint64_t desc_gpa, uint64_t avail_gpa,
		     uint64_t used_gpa, uint64_t bufs);

#endif /* COALESCE_VNET_GUEST_H */
