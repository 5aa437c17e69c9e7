/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * keel_coalesce uapi: host-side interrupt moderation of a virtqueue's
 * interrupt, between whoever signals it (vhost-net) and KVM.
 *
 * Each open file of /dev/keel-coalesce is one moderated interrupt path,
 * set up once with KEEL_COALESCE_IOC_SETUP:
 *
 *  - irq_fd is an eventfd the VM's KVM_IRQFD waits on: the interrupt of
 *    the queue. Keel checks that it is one (ENOENT otherwise).
 *  - call_fd is what vhost signals (the queue's VHOST_SET_VRING_CALL
 *    eventfd). -1 (or irq_fd itself): vhost signals the irqfd directly,
 *    as QEMU sets it up, and Keel moderates on that eventfd, ahead of
 *    KVM's irqfd (Documentation/coalesce.rst). Another eventfd: a VMM
 *    that cooperates gives vhost this one and Keel passes what it
 *    delivers on to irq_fd.
 *
 * Notifications are held and delivered as one interrupt: while the guest
 * (the vCPU that takes the interrupt) is active, after at most rx_usecs;
 * while it is inactive (halted, descheduled), after at most
 * overflow_usecs, which wakes it; at once when rx_frames are held.
 * Nothing held is ever lost: a held notification is delivered when the
 * object goes away, its parameters change or its VM ends.
 *
 * The object starts STOPPED (the state framework, linux/keel_state.h):
 * it holds what arrives until KEEL_STATE_IOC_RESUME. Its parameters,
 * statistics and mode are in the "keel" netlink family (type
 * "coalesce", enum keel_coalesce_info_attr); KEEL_CMD_OBJ_SET changes the
 * parameters while it runs (enum keel_coalesce_param_attr).
 *
 * This header is a contract: numbers are never reused or renumbered.
 */
#ifndef _UAPI_LINUX_KEEL_COALESCE_H
#define _UAPI_LINUX_KEEL_COALESCE_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/keel.h>

#define KEEL_COALESCE_DEVICE	"/dev/keel-coalesce"

/* Limits of the parameters. */
#define KEEL_COALESCE_MAX_USECS		1000000	/* 1 s */
#define KEEL_COALESCE_MAX_FRAMES	65535

/* flags of struct keel_coalesce_params */
/*
 * adaptive-rx: Keel picks the latency interval from the measured rate of
 * notifications, up to rx_usecs.
 */
#define KEEL_COALESCE_P_ADAPTIVE	0x1u
#define KEEL_COALESCE_P_FLAGS_ALL	KEEL_COALESCE_P_ADAPTIVE

/*
 * The moderation of one queue, with ethtool's names: rx_usecs is the
 * latency interval while the guest is active (0: deliver at once),
 * rx_frames the notifications held that deliver at once (0: no bound),
 * overflow_usecs the longest a notification is held while the guest is
 * inactive (1 .. KEEL_COALESCE_MAX_USECS, and at least rx_usecs).
 */
struct keel_coalesce_params {
	__u32 rx_usecs;
	__u32 rx_frames;
	__u32 overflow_usecs;
	__u32 flags;		/* KEEL_COALESCE_P_* */
};

/* flags of struct keel_coalesce_setup: none defined yet */
#define KEEL_COALESCE_SETUP_FLAGS_ALL	0u

/* vcpu of struct keel_coalesce_setup: the vCPU the irqfd's route targets */
#define KEEL_COALESCE_VCPU_AUTO		(-1)

/*
 * KEEL_COALESCE_IOC_SETUP: once per file, all or nothing. Errors: EINVAL
 * (unknown flags, bad parameters, a file that is not an eventfd, a vCPU
 * index out of range), ENOENT (irq_fd is not an irqfd of the VM), EBUSY
 * (one of the eventfds is already moderated), EBADF.
 */
struct keel_coalesce_setup {
	__u32 size;		/* in: sizeof(struct keel_coalesce_setup) */
	__u32 flags;		/* in: KEEL_COALESCE_SETUP_* */
	__s32 vm_fd;		/* in: a KVM VM fd */
	__s32 irq_fd;		/* in: an eventfd KVM_IRQFD of the VM waits on */
	__s32 call_fd;		/* in: what vhost signals; -1: irq_fd */
	__s32 vcpu;		/* in: vCPU index, or KEEL_COALESCE_VCPU_AUTO */
	struct keel_coalesce_params params;	/* in */
	__u32 id;		/* out: object id */
	__u32 pad;		/* must be zero */
	char label[KEEL_NAME_MAX];	/* in: NUL-terminated, printable */
};

#define KEEL_COALESCE_IOC_SETUP	_IOWR(KEEL_IOC_MAGIC, 0x50, \
				      struct keel_coalesce_setup)

/* route of struct keel_coalesce_probe */
#define KEEL_COALESCE_ROUTE_OTHER	0	/* several entries, or unknown */
#define KEEL_COALESCE_ROUTE_IRQCHIP	1	/* a PIC/IOAPIC pin */
#define KEEL_COALESCE_ROUTE_MSI		2

/*
 * KEEL_COALESCE_IOC_PROBE: what an eventfd is to a VM, on any open file
 * (set up or not): whether a KVM_IRQFD of the VM waits on fd (ENOENT
 * otherwise), its GSI and route, and the vCPU the route targets. For
 * tools that find a running VMM's queue interrupts (keelctl coalesce
 * irqfds).
 */
struct keel_coalesce_probe {
	__u32 size;		/* in: sizeof(struct keel_coalesce_probe) */
	__u32 flags;		/* in: none defined, must be zero */
	__s32 vm_fd;		/* in: a KVM VM fd */
	__s32 fd;		/* in: an eventfd */
	__u32 gsi;		/* out */
	__u32 route;		/* out: KEEL_COALESCE_ROUTE_* */
	__s32 vcpu;		/* out: vCPU index the route targets, or -1 */
	__u32 msi_data;		/* out: ROUTE_MSI */
	__u64 msi_addr;		/* out: ROUTE_MSI */
	__u32 moderated;	/* out: id of the object moderating it, or 0 */
	__u32 pad;		/* out: zero */
};

#define KEEL_COALESCE_IOC_PROBE	_IOWR(KEEL_IOC_MAGIC, 0x51, \
				      struct keel_coalesce_probe)

/* KEEL_OBJ_A_INFO of a "coalesce" object. */
enum keel_coalesce_info_attr {
	KEEL_COALESCE_INFO_A_UNSPEC,
	KEEL_COALESCE_INFO_A_PAD,
	KEEL_COALESCE_INFO_A_GSI,		/* u32 */
	KEEL_COALESCE_INFO_A_VCPU,		/* u32: vCPU index that counts */
	KEEL_COALESCE_INFO_A_DIRECT_CALL,	/* u8: vhost signals the irqfd */
	KEEL_COALESCE_INFO_A_RX_USECS,		/* u32 */
	KEEL_COALESCE_INFO_A_RX_FRAMES,		/* u32 */
	KEEL_COALESCE_INFO_A_OVERFLOW_USECS,	/* u32 */
	KEEL_COALESCE_INFO_A_ADAPTIVE_RX,	/* u8 */
	KEEL_COALESCE_INFO_A_CUR_USECS,		/* u32: latency interval now */
	KEEL_COALESCE_INFO_A_MODE,		/* u32: enum keel_coalesce_mode */
	KEEL_COALESCE_INFO_A_ACTIVE,		/* u8: the guest is active now */
	KEEL_COALESCE_INFO_A_HELD,		/* u32: notifications held now */
	KEEL_COALESCE_INFO_A_NOTIFICATIONS,	/* u64: notifications in */
	KEEL_COALESCE_INFO_A_IRQS,		/* u64: interrupts out */
	KEEL_COALESCE_INFO_A_HELD_INACTIVE,	/* u64: arrived while inactive */
	KEEL_COALESCE_INFO_A_DIRECT,		/* u64: delivered at once */
	KEEL_COALESCE_INFO_A_FRAMES,		/* u64: rx_frames reached */
	KEEL_COALESCE_INFO_A_LATENCY,		/* u64: latency interval ended */
	KEEL_COALESCE_INFO_A_OVERFLOW,		/* u64: overflow wake-ups */
	KEEL_COALESCE_INFO_A_FLUSH,		/* u64: delivered on stop/change */
	KEEL_COALESCE_INFO_A_IRQFD_BOUND,	/* u8: KVM's irqfd still waits */

	__KEEL_COALESCE_INFO_A_MAX,
	KEEL_COALESCE_INFO_A_MAX = __KEEL_COALESCE_INFO_A_MAX - 1
};

/* KEEL_COALESCE_INFO_A_MODE */
enum keel_coalesce_mode {
	KEEL_COALESCE_MODE_STOPPED,	/* holds everything (state STOPPED) */
	KEEL_COALESCE_MODE_LATENCY,	/* guest active: rx_usecs applies */
	KEEL_COALESCE_MODE_OVERFLOW,	/* guest inactive: overflow_usecs */
};

/* KEEL_A_OBJ_PARAMS of KEEL_CMD_OBJ_SET on a "coalesce" object. */
enum keel_coalesce_param_attr {
	KEEL_COALESCE_PARAM_A_UNSPEC,
	KEEL_COALESCE_PARAM_A_RX_USECS,		/* u32 */
	KEEL_COALESCE_PARAM_A_RX_FRAMES,	/* u32 */
	KEEL_COALESCE_PARAM_A_OVERFLOW_USECS,	/* u32 */
	KEEL_COALESCE_PARAM_A_ADAPTIVE_RX,	/* u8: 0 or 1 */

	__KEEL_COALESCE_PARAM_A_MAX,
	KEEL_COALESCE_PARAM_A_MAX = __KEEL_COALESCE_PARAM_A_MAX - 1
};

/*
 * Its state blob (linux/keel_state.h): the parameters, and the
 * notifications held (delivered after RESUME or LOAD on the new side).
 */
#define KEEL_COALESCE_SEC_PARAMS	1	/* struct keel_coalesce_params, LE */
#define KEEL_COALESCE_SEC_HELD		2	/* __le32 */

#endif /* _UAPI_LINUX_KEEL_COALESCE_H */
