/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host side of a VM with a keel_remote virtio-blk device, shared by the
 * remote tests and the benchmark (no test harness here): where the
 * device sits in the guest, the guest's queue and buffers laid out in
 * guest memory (blk_guest.h), and struct keel_remote_setup filled in one
 * call.
 */
#ifndef REMOTE_VM_H
#define REMOTE_VM_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/keel_remote.h>

#include "keel_vm.h"
#include "blk_guest.h"

#define REMOTE_BASE	0xd0000000ull	/* the device's MMIO range */
#define REMOTE_GSI	20		/* IOAPIC only */
#define REMOTE_VECTOR	0x45

/* ioctl() as 0 or -errno. */
static inline int remote_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

/* The guest's state, in guest memory. */
static inline volatile struct blk_guest *blk_g(struct keel_vm *vm)
{
	return vm_guest_ptr(vm, &blk_guest);
}

/*
 * Lay out the guest's queue and buffers in @vm, with the interrupt on
 * REMOTE_GSI when @irq; 0 or -ENOMEM.
 */
static inline int blk_host_layout(struct keel_vm *vm, bool irq)
{
	volatile struct blk_guest *g = blk_g(vm);
	uint64_t rings = vm_alloc(vm, 4 * KEEL_PAGE_SIZE);
	uint64_t data = vm_alloc(vm, 2ull * BLK_MAX_SLOTS * BLK_SLOT_DATA);

	if (!g || !rings || !data)
		return -ENOMEM;
	g->base = REMOTE_BASE;
	g->gsi = irq ? REMOTE_GSI : 0;
	g->vector = irq ? REMOTE_VECTOR : 0;
	g->qsize = BLK_MAX_QSIZE;
	g->l.desc = rings;
	g->l.avail = rings + KEEL_PAGE_SIZE;
	g->l.used = rings + 2 * KEEL_PAGE_SIZE;
	g->l.hdrs = rings + 3 * KEEL_PAGE_SIZE;
	g->l.wbuf = data;
	g->l.rbuf = data + (uint64_t)BLK_MAX_SLOTS * BLK_SLOT_DATA;
	return 0;
}

/* A setup for @vm_fd with the session parameters a fresh OPEN gives. */
static inline void remote_setup_init(struct keel_remote_setup *s, int vm_fd,
				     int irq_fd, int sock_fd, uint32_t handle,
				     uint64_t session, uint64_t capacity)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	s->vm_fd = vm_fd;
	s->iface = KEEL_REMOTE_IF_VIRTIO_BLK;
	s->base = REMOTE_BASE;
	s->irq_fd = irq_fd;
	s->sock_fd = sock_fd;
	s->handle = handle;
	s->session = session;
	s->next_id = 1;
	s->capacity = capacity;
	s->max_data = 65536;
	s->window = KEEL_REMOTE_WINDOW;
	s->keepalive_ms = 0;
	strcpy(s->label, "remote-test");
}

#endif /* REMOTE_VM_H */
