/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test VMM's network device: the receive queue of a virtio-net NIC
 * served by the real vhost-net on a tap device, and a peer that sends
 * Ethernet frames into the tap from its own network namespace.
 *
 * The guest side (a virtio-net receive driver in guest code) lives in the
 * test; this is what a VMM does on the host: vhost's memory table and
 * receive ring, its kick (a KVM ioeventfd) and call (an eventfd) and its
 * backend (the tap).
 */
#ifndef COALESCE_VNET_H
#define COALESCE_VNET_H

#include <stdint.h>
#include <sys/types.h>

#include "keel_vm.h"

/* The receive queue: QUEUE_SIZE buffers of BUF_SIZE bytes each. */
#define VNET_QUEUE_SIZE		256
#define VNET_BUF_SIZE		2048
/* The virtio-net header vhost puts in front of each frame (VERSION_1). */
#define VNET_HDR_LEN		12
/* Where the guest kicks the receive queue (a 16-bit write). */
#define VNET_KICK_PORT		0xE100

/* The frames of the peer: its own Ethertype, a magic, a sequence, a time. */
#define VNET_ETHERTYPE		0x88B5	/* IEEE local experimental */
#define VNET_MAGIC		0x4b45454cu	/* "KEEL" */
#define VNET_FRAME_MIN		64
#define VNET_FRAME_MAX		1514
#define VNET_GUEST_MAC		{ 0x52, 0x54, 0x00, 0x4b, 0x45, 0x4c }

/* What follows the Ethernet header of each frame. */
struct vnet_payload {
	uint32_t magic;
	uint32_t seq;
	uint64_t ns;	/* the host's CLOCK_MONOTONIC_RAW when the peer sent it */
};

/* Guest-physical layout of the queue: rings, then the buffers. */
struct vnet_ring_gpa {
	uint64_t desc, avail, used, bufs;
};

struct vnet {
	struct keel_vm *vm;
	struct vnet_ring_gpa gpa;
	int vhost_fd;	/* /dev/vhost-net */
	int tap_fd;	/* the tap's queue: vhost's backend */
	int kick_fd;	/* KVM ioeventfd on VNET_KICK_PORT */
	int call_fd;	/* what vhost signals now (not owned) */
	int peer_sock;	/* commands to the peer */
	pid_t peer;	/* the peer process, in its own netns */
	uint32_t next_seq;	/* sequence of the next frame sent */
};

/*
 * Set up the queue in @vm's memory, the peer and its tap, and vhost-net
 * with @call_fd as the queue's call eventfd. Returns 0, or -errno with a
 * line on stderr saying what failed (-ENOENT: no vhost-net or tun).
 */
int vnet_create(struct vnet *v, struct keel_vm *vm, int call_fd);
/* Stop vhost, end the peer, close everything. */
void vnet_destroy(struct vnet *v);
/*
 * Pin this process's vhost workers to @cpu: kernel threads "vhost-PID"
 * before 6.4, threads of the process of that name since. How many.
 */
int vnet_pin_worker(int cpu);

/*
 * vhost logs its writes to guest memory from now on, as during a
 * migration: @log is the dirty bitmap (bit N: guest page N), large
 * enough for all of the VM's memory (VHOST_SET_LOG_BASE, VHOST_F_LOG_ALL,
 * the used ring's writes with VHOST_VRING_F_LOG). 0 or -errno.
 */
int vnet_log_start(struct vnet *v, uint64_t *log);

/* Point the queue's call at another eventfd (VHOST_SET_VRING_CALL). */
int vnet_set_call(struct vnet *v, int call_fd);

/*
 * The peer sends @n frames of @len bytes (VNET_FRAME_MIN..MAX), @gap_us
 * apart, numbered on from the last. Returns how many it sent (the tap
 * drops none while vhost has buffers), or -errno.
 */
long vnet_send(struct vnet *v, uint32_t n, uint32_t len, uint32_t gap_us);

/* The guest driver's counters and settings (vnet_guest.h), in @vm's memory. */
#define vnet_guest_of(vm)	vm_guest_ptr((vm), &vnet_guest)

/*
 * The guest driver's settings (vnet_guest.h) in @vm's memory, before its
 * vCPU runs: the receive queue's interrupt on IOAPIC pin @gsi, the host's
 * poke on @poke_gsi, halting while idle.
 */
void vnet_guest_init(struct keel_vm *vm, uint32_t gsi, uint32_t poke_gsi);
/*
 * The VM's kvmclock minus the host's CLOCK_MONOTONIC_RAW, in ns (the base
 * KVM counts kvmclock from), or 0 when KVM_GET_CLOCK fails. Not the TSC:
 * KVM moves a vCPU's TSC offset when the host's TSCs are unsynchronized,
 * and the peer and the vCPU may read different CPUs' TSCs.
 */
int64_t vnet_clock_offset(const struct keel_vm *vm);

#endif /* COALESCE_VNET_H */
