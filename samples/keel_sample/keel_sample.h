/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * The sample feature module's uapi (samples/keel_sample): a doorbell. The
 * VMM (or anyone) signals an eventfd; a kernel thread forwards the rings,
 * one interrupt per batch, to an irqfd. Built and tested with Keel, never
 * installed; its numbers are in the ranges keel.h and keel_state.h keep
 * for samples.
 */
#ifndef _UAPI_LINUX_KEEL_SAMPLE_H
#define _UAPI_LINUX_KEEL_SAMPLE_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/keel.h>

#define KEEL_SAMPLE_DEVICE	"/dev/keel-sample"

/* flags: none defined yet */
#define KEEL_SAMPLE_SETUP_FLAGS_ALL	0u

struct keel_sample_setup {
	__u32 size;		/* in: sizeof(struct keel_sample_setup) */
	__u32 flags;		/* in: KEEL_SAMPLE_SETUP_* */
	__s32 vm_fd;		/* in: a KVM VM fd */
	__s32 bell_fd;		/* in: an eventfd: the doorbell */
	__s32 irq_fd;		/* in: an eventfd bound with KVM_IRQFD,
				 * not bell_fd's (EINVAL)
				 */
	__u32 id;		/* out: object id */
	char label[KEEL_NAME_MAX];	/* in: NUL-terminated, printable */
};

#define KEEL_SAMPLE_IOC_SETUP	_IOWR(KEEL_IOC_MAGIC, 0xf0, \
				      struct keel_sample_setup)

/* KEEL_OBJ_A_INFO of a "sample" object. */
enum keel_sample_info_attr {
	KEEL_SAMPLE_INFO_A_UNSPEC,
	KEEL_SAMPLE_INFO_A_PAD,
	KEEL_SAMPLE_INFO_A_RINGS,	/* u64: doorbell signals counted */
	KEEL_SAMPLE_INFO_A_PENDING,	/* u64: rings not yet forwarded */
	KEEL_SAMPLE_INFO_A_IRQS,	/* u64: interrupts sent */

	__KEEL_SAMPLE_INFO_A_MAX,
	KEEL_SAMPLE_INFO_A_MAX = __KEEL_SAMPLE_INFO_A_MAX - 1
};

/*
 * Its state blob (linux/keel_state.h): one section, the rings not yet
 * forwarded as a little-endian 64-bit count.
 */
#define KEEL_STATE_TYPE_SAMPLE	0xff00	/* the range kept for samples */
#define KEEL_SAMPLE_SEC_PENDING	1

#endif /* _UAPI_LINUX_KEEL_SAMPLE_H */
