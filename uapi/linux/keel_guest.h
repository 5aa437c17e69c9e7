/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * keel_guest uapi: the module a Linux guest loads so that its processes
 * see the windows Keel placed for a mirrored range
 * (Documentation/bt.rst, "Windows in a Linux guest").
 *
 * On the host, keelctl mirror add --alias-off A --mirror-off M gives the
 * guest two more views of the range's guest-physical pages: at gpa + A the
 * same memory without write tracking (the alias), at gpa + M the range's
 * mirror. The guest loads keel_guest.ko with alias_off=A mirror_off=M. A
 * process pins some of its own memory with KEEL_GUEST_IOC_PIN on an open
 * /dev/keel-guest, then maps the views with mmap(2) on the same file:
 * page i of a view is the window's page over the guest-physical page
 * that backs page i of the pinned memory. Mapped at one fixed distance
 * from that memory each, they are what translated code stores through
 * (address + alias offset, address + mirror offset, in its own address
 * space).
 *
 * Only a process with CAP_SYS_RAWIO opens the device.
 */
#ifndef _UAPI_LINUX_KEEL_GUEST_H
#define _UAPI_LINUX_KEEL_GUEST_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define KEEL_GUEST_DEVICE	"/dev/keel-guest"
#define KEEL_GUEST_IOC_MAGIC	0xE7	/* Keel's, as KEEL_IOC_MAGIC */

/* The most bytes one file pins. */
#define KEEL_GUEST_PIN_MAX	(64ULL << 20)

/**
 * struct keel_guest_pin - memory of the calling process to give views of
 * @size: sizeof(struct keel_guest_pin), so the struct can grow
 * @flags: 0; any other bit is EINVAL
 * @addr: page aligned, the caller's own writable memory
 * @len: bytes, a multiple of the page size, 1 page to KEEL_GUEST_PIN_MAX
 */
struct keel_guest_pin {
	__u32 size;
	__u32 flags;
	__u64 addr;
	__u64 len;
};

/*
 * KEEL_GUEST_IOC_PIN: pin [addr, addr + len) of the caller's memory for
 * the file's views, once per file; the pages stay where they are until
 * the file and every view of it are gone. Errors: EINVAL (size, flags,
 * alignment, length), ENXIO (the module was loaded without both window
 * offsets), EBUSY (the file already pinned), EFAULT (not the caller's
 * writable memory), EEXIST (a window page would be System RAM: the
 * offsets are wrong), ENOMEM.
 */
#define KEEL_GUEST_IOC_PIN	_IOW(KEEL_GUEST_IOC_MAGIC, 0xa0, \
				     struct keel_guest_pin)

/**
 * struct keel_guest_root - where the calling process's page tables are
 * @size: in: sizeof(struct keel_guest_root), so the struct can grow
 * @flags: in: 0; any other bit is EINVAL
 * @pt_gpa: out: the guest-physical address of its top-level table (what
 *	its CR3 points at); in: 0
 * @levels: out: 4, or 5 with 5-level paging; in: 0
 * @pad: zero
 */
struct keel_guest_root {
	__u32 size;
	__u32 flags;
	__u64 pt_gpa;
	__u32 levels;
	__u32 pad;
};

/*
 * KEEL_GUEST_IOC_ROOT: the caller's page tables, which the host's repair
 * walks to read the linear addresses of a full region log (keelctl
 * mirror xlate --log-pt, Documentation/bt.rst). On any open file.
 * Errors: EINVAL (size, flags, an out field not zero), EFAULT.
 */
#define KEEL_GUEST_IOC_ROOT	_IOWR(KEEL_GUEST_IOC_MAGIC, 0xa1, \
				      struct keel_guest_root)

/*
 * mmap(2) offsets of the two views; the length is the pinned length, the
 * mapping MAP_SHARED. Errors: ENXIO (nothing pinned), EINVAL (another
 * offset or length, a private or executable mapping).
 */
#define KEEL_GUEST_VIEW_ALIAS	0ULL
#define KEEL_GUEST_VIEW_MIRROR	0x100000000ULL	/* 4 GiB */

#endif /* _UAPI_LINUX_KEEL_GUEST_H */
