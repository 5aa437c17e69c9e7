// SPDX-License-Identifier: GPL-2.0
/*
 * Guest code: the virtio-net receive driver of the test VMM's network
 * device (vnet_guest.h).
 */
#include <stdint.h>
#include <linux/virtio_ring.h>

#include "keel_guest_io.h"
#include "keel_irq.h"
#include "keel_ucall.h"
#include "vnet.h"
#include "vnet_guest.h"

volatile struct vnet_guest vnet_guest;

static void vnet_rx_irq(struct guest_irq_frame *frame)
{
	(void)frame;
	vnet_guest.irqs++;
}

static void vnet_poke_irq(struct guest_irq_frame *frame)
{
	(void)frame;
}

static inline uint64_t vnet_rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* The vCPU's kvmclock now, in ns (the pvclock ABI's reader). */
static uint64_t vnet_clock_ns(void)
{
	volatile struct vnet_pvclock *pv = &vnet_guest.pvclock;
	uint64_t delta, ns;
	uint32_t version;
	int8_t shift;

	do {
		version = pv->version;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		delta = vnet_rdtsc() - pv->tsc_timestamp;
		shift = pv->tsc_shift;
		if (shift < 0)
			delta >>= -shift;
		else
			delta <<= shift;
		ns = pv->system_time +
		     (uint64_t)(((unsigned __int128)delta *
				 pv->tsc_to_system_mul) >> 32);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
	} while ((version & 1) || version != pv->version);
	return ns;
}

/* Check one used buffer: a frame of the peer, the next in sequence. */
static void vnet_rx_frame(const uint8_t *buf, uint32_t len, uint32_t *expect)
{
	const uint8_t *eth = buf + VNET_HDR_LEN;
	struct vnet_payload p;
	uint64_t now = vnet_guest.clock_offset ? vnet_clock_ns() : 0;

	if (len < VNET_HDR_LEN + VNET_FRAME_MIN ||
	    eth[12] != VNET_ETHERTYPE >> 8 ||
	    eth[13] != (VNET_ETHERTYPE & 0xff)) {
		vnet_guest.other++;
		return;
	}
	__builtin_memcpy(&p, eth + 14, sizeof(p));
	if (p.magic != VNET_MAGIC) {
		vnet_guest.other++;
		return;
	}
	if (p.seq != *expect)
		vnet_guest.bad++;
	*expect = p.seq + 1;
	vnet_guest.lat[vnet_guest.frames % VNET_LAT_MAX] =
		vnet_guest.clock_offset ?
		(int64_t)(now - vnet_guest.clock_offset - p.ns) : 0;
	vnet_guest.frames++;
}

void vnet_guest_main(uint64_t desc_gpa, uint64_t avail_gpa,
		     uint64_t used_gpa, uint64_t bufs)
{
	struct vring_desc *desc = (void *)desc_gpa;
	struct vring_avail *avail = (void *)avail_gpa;
	struct vring_used *used = (void *)used_gpa;
	uint16_t last_used = 0, avail_idx, n;
	uint32_t expect = 0, i;

	if (vnet_guest.clock_offset)	/* KVM keeps the clock from now on */
		wrmsr(VNET_MSR_KVM_SYSTEM_TIME_NEW,
		      (uint64_t)(uintptr_t)&vnet_guest.pvclock | 1);
	guest_irq_handler_set(vnet_guest.vector, vnet_rx_irq);
	guest_irq_handler_set(vnet_guest.poke_vector, vnet_poke_irq);
	lapic_enable();
	ioapic_route(vnet_guest.gsi, vnet_guest.vector, false, 0);
	ioapic_route(vnet_guest.poke_gsi, vnet_guest.poke_vector, false, 0);

	/* every buffer to the device, then the kick */
	for (i = 0; i < VNET_QUEUE_SIZE; i++) {
		desc[i].addr = bufs + (uint64_t)i * VNET_BUF_SIZE;
		desc[i].len = VNET_BUF_SIZE;
		desc[i].flags = VRING_DESC_F_WRITE;
		avail->ring[i] = i;
	}
	avail_idx = VNET_QUEUE_SIZE;
	__atomic_store_n(&avail->idx, avail_idx, __ATOMIC_RELEASE);
	outw(VNET_KICK_PORT, 0);

	for (;;) {
		cli();
		if (vnet_guest.quit)
			break;
		/* what the device used: checked, and given back at once */
		for (n = 0; last_used !=
			    __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE);
		     last_used++, n++) {
			struct vring_used_elem *e =
				&used->ring[last_used % VNET_QUEUE_SIZE];

			GUEST_ASSERT(e->id < VNET_QUEUE_SIZE);
			vnet_rx_frame((const uint8_t *)(uintptr_t)
				      desc[e->id].addr, e->len, &expect);
			avail->ring[avail_idx % VNET_QUEUE_SIZE] = e->id;
			avail_idx++;
		}
		if (n) {
			__atomic_store_n(&avail->idx, avail_idx,
					 __ATOMIC_RELEASE);
			__atomic_thread_fence(__ATOMIC_SEQ_CST);
			if (!(used->flags & VRING_USED_F_NO_NOTIFY))
				outw(VNET_KICK_PORT, 0);
			sti();
			continue;
		}
		if (vnet_guest.spin) {
			/* running guest code: active to KVM */
			sti();
			cpu_relax();
		} else {
			/* nothing to do: halted, inactive to KVM */
			vnet_guest.halts++;
			safe_halt();
		}
	}
	sti();
}
