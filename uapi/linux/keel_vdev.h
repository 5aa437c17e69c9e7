/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * keel_vdev uapi: in-kernel virtual devices on KVM exits.
 *
 * Each open file of /dev/keel-vdev is one device. The VMM sets it up once
 * with KEEL_VDEV_IOC_SETUP (VM, model, claimed range, optional irqfd),
 * then starts it: from then on the guest's accesses to the claimed range
 * are handled in the host kernel on the vCPU thread and never reach the
 * VMM. The file's read()/write()/poll() are the device's host-side byte
 * streams (for a UART: what the guest transmitted / what it will receive).
 * Closing the file stops and destroys the device.
 *
 * The device is listed in the "keel" netlink family as an object of type
 * "vdev"; its KEEL_OBJ_A_INFO nest carries enum keel_vdev_info_attr.
 *
 * This header is a contract: numbers are never reused or renumbered.
 */
#ifndef _UAPI_LINUX_KEEL_VDEV_H
#define _UAPI_LINUX_KEEL_VDEV_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/keel.h>

#define KEEL_VDEV_DEVICE	"/dev/keel-vdev"

/* Device models. */
#define KEEL_VDEV_MODEL_UART16550A	1	/* 8 registers */

/* Buses a range is claimed on. */
#define KEEL_VDEV_BUS_PIO	0	/* port I/O, base + len <= 0x10000 */
#define KEEL_VDEV_BUS_MMIO	1	/* guest-physical addresses */

/* flags of struct keel_vdev_setup */
/* irq_fd is valid */
#define KEEL_VDEV_SETUP_IRQFD		0x1u
/* level mode: resample_fd is valid (needs KEEL_VDEV_SETUP_IRQFD) */
#define KEEL_VDEV_SETUP_RESAMPLE	0x2u
/*
 * Keel binds irq_fd (and resample_fd) to GSI gsi of the VM itself, in the
 * VM's own context, as the VMM's KVM_IRQFD would (needs
 * KEEL_VDEV_SETUP_IRQFD and the larger struct): for a VMM that knows
 * nothing of Keel. EBUSY when another irqfd of the VM drives that GSI.
 */
#define KEEL_VDEV_SETUP_GSI		0x4u
#define KEEL_VDEV_SETUP_FLAGS_ALL	(KEEL_VDEV_SETUP_IRQFD | \
					 KEEL_VDEV_SETUP_RESAMPLE | \
					 KEEL_VDEV_SETUP_GSI)

/*
 * KEEL_VDEV_IOC_SETUP: bind the VM, select the model, claim the range and
 * bind the interrupt, all at once (all or nothing). Once per file.
 *
 * irq_fd is an eventfd the VMM bound to the device's GSI with KVM_IRQFD;
 * Keel signals it on each rising edge of the interrupt line. With
 * KEEL_VDEV_SETUP_RESAMPLE the line is level-triggered: resample_fd is the
 * irqfd's resample eventfd (KVM_IRQFD_FLAG_RESAMPLE), and Keel re-asserts
 * the line after each EOI for as long as the model keeps it high. The
 * same eventfd as both is refused (EINVAL); a resample signalled by a
 * Keel line itself (devices cross-wired) re-asserts nothing and counts
 * in KEEL_VDEV_INFO_A_IRQ_LOOPS.
 */
struct keel_vdev_setup {
	__u32 size;		/* in: sizeof(struct keel_vdev_setup) */
	__u32 flags;		/* in: KEEL_VDEV_SETUP_* */
	__s32 vm_fd;		/* in: a KVM VM fd */
	__u32 model;		/* in: KEEL_VDEV_MODEL_* */
	__u32 bus;		/* in: KEEL_VDEV_BUS_* */
	__u32 len;		/* in: length of the range: the model's size */
	__u64 base;		/* in: first port / guest-physical address */
	__s32 irq_fd;		/* in: with KEEL_VDEV_SETUP_IRQFD */
	__s32 resample_fd;	/* in: with KEEL_VDEV_SETUP_RESAMPLE */
	__u32 id;		/* out: object id */
	__u32 pad;		/* must be zero */
	char label[KEEL_NAME_MAX];	/* in: NUL-terminated, printable */
	/* size >= 88 */
	__u32 gsi;		/* in: with KEEL_VDEV_SETUP_GSI */
	__u32 pad2;		/* must be zero */
};

#define KEEL_VDEV_IOC_SETUP	_IOWR(KEEL_IOC_MAGIC, 0x10, struct keel_vdev_setup)
/* Start handling guest accesses (idempotent). */
#define KEEL_VDEV_IOC_START	_IO(KEEL_IOC_MAGIC, 0x11)
/*
 * Stop (idempotent): guest accesses to the range exit to the VMM again.
 * When it returns no vCPU is inside the device any more.
 */
#define KEEL_VDEV_IOC_STOP	_IO(KEEL_IOC_MAGIC, 0x12)
/* Put the model in its power-on state; host streams are emptied. */
#define KEEL_VDEV_IOC_RESET	_IO(KEEL_IOC_MAGIC, 0x13)

/* KEEL_OBJ_A_INFO of a "vdev" object. */
enum keel_vdev_info_attr {
	KEEL_VDEV_INFO_A_UNSPEC,
	KEEL_VDEV_INFO_A_PAD,
	KEEL_VDEV_INFO_A_MODEL,		/* string: "uart16550a" */
	KEEL_VDEV_INFO_A_MODEL_ID,	/* u32: KEEL_VDEV_MODEL_* */
	KEEL_VDEV_INFO_A_BUS,		/* u32: KEEL_VDEV_BUS_* */
	KEEL_VDEV_INFO_A_BASE,		/* u64 */
	KEEL_VDEV_INFO_A_LEN,		/* u32 */
	KEEL_VDEV_INFO_A_STARTED,	/* u8 */
	KEEL_VDEV_INFO_A_IRQ_MODE,	/* u32: 0 none, 1 edge, 2 level */
	KEEL_VDEV_INFO_A_IRQ_LINE,	/* u8: line as the model drives it */
	KEEL_VDEV_INFO_A_REGS,		/* nest: KEEL_VDEV_INFO_A_REG, multi */
	KEEL_VDEV_INFO_A_REG,		/* nest: enum keel_vdev_reg_attr */
	KEEL_VDEV_INFO_A_BYTES_OUT,	/* u64: guest -> host stream */
	KEEL_VDEV_INFO_A_BYTES_IN,	/* u64: host stream -> guest */
	KEEL_VDEV_INFO_A_IRQS,		/* u64: irqfd signals */
	KEEL_VDEV_INFO_A_EXITS_KEPT,	/* u64: accesses handled in-kernel */
	/*
	 * u64: resample signals ignored because a Keel line sent them: the
	 * irqfd wired to another device's resample eventfd and back
	 */
	KEEL_VDEV_INFO_A_IRQ_LOOPS,

	__KEEL_VDEV_INFO_A_MAX,
	KEEL_VDEV_INFO_A_MAX = __KEEL_VDEV_INFO_A_MAX - 1
};

/* One register (byte offset in the range) with guest accesses. */
enum keel_vdev_reg_attr {
	KEEL_VDEV_REG_A_UNSPEC,
	KEEL_VDEV_REG_A_PAD,
	KEEL_VDEV_REG_A_OFFSET,		/* u32 */
	KEEL_VDEV_REG_A_READS,		/* u64 */
	KEEL_VDEV_REG_A_WRITES,		/* u64 */

	__KEEL_VDEV_REG_A_MAX,
	KEEL_VDEV_REG_A_MAX = __KEEL_VDEV_REG_A_MAX - 1
};

#endif /* _UAPI_LINUX_KEEL_VDEV_H */
