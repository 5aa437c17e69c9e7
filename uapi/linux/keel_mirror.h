/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * keel_mirror uapi: a mirror of a range of a VM's guest memory, kept in
 * step with every guest write, from which a page lost to a memory failure
 * is restored.
 *
 * Each open file of /dev/keel-mirror is one protected range of one VM,
 * set up once with KEEL_MIRROR_IOC_SETUP: [gpa, gpa + len), page aligned,
 * every page in a writable memslot of the VM, overlapping no other range
 * of the VM. Keel write-tracks its pages (KVM emulates every guest write
 * to them and tells Keel, which copies what was written to the mirror),
 * allocates the mirror pages (charged to the caller's memory cgroup) and
 * copies the range's content into them. Documentation/mirror.rst says
 * which writes reach the mirror and when it equals the guest's memory.
 *
 * The setup runs in the VMM: the VM's creator calls it (EPERM from any
 * other address space).
 *
 * Once set up, mmap(2) of the file, shared, maps mirror pages: offset
 * (page index in the range) << 12, within the range; for the guest's
 * mirror window, through which translated code writes the mirror
 * (Documentation/bt.rst). A private mapping, or one beyond the range, is
 * EINVAL; before the setup EBADFD.
 *
 * Statistics are in the "keel" netlink family (type "mirror", enum
 * keel_mirror_info_attr).
 *
 * This header is a contract: numbers are never reused or renumbered.
 */
#ifndef _UAPI_LINUX_KEEL_MIRROR_H
#define _UAPI_LINUX_KEEL_MIRROR_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/keel.h>

#define KEEL_MIRROR_DEVICE	"/dev/keel-mirror"

/* The largest range one object protects: 1 GiB. */
#define KEEL_MIRROR_MAX_LEN	0x40000000ull

/*
 * flags of struct keel_mirror_setup. REPAIR: Keel repairs a poisoned page
 * of the range when the memory failure is signalled, before the VMM hears
 * of it: the VMM gets no SIGBUS for it (for a VMM that knows nothing of
 * Keel); the guest's access that found it runs again on the fresh page.
 */
#define KEEL_MIRROR_SETUP_REPAIR	0x1u
/*
 * COMPARE: each periodic check (module parameter scrub_ms) also compares
 * every guest page of the range with its mirror page and copies a page
 * that differs into the mirror: the writes of writers that Keel neither
 * traps nor hears of (the device emulation of a VMM that knows nothing of
 * Keel, vhost without a log, DMA) reach the mirror within one period.
 */
#define KEEL_MIRROR_SETUP_COMPARE	0x2u
#define KEEL_MIRROR_SETUP_FLAGS_ALL	(KEEL_MIRROR_SETUP_REPAIR | \
					 KEEL_MIRROR_SETUP_COMPARE)

/*
 * KEEL_MIRROR_IOC_SETUP: once per file, all or nothing. Errors: EINVAL
 * (unknown flags, nonzero pad, a range that is empty, unaligned, longer
 * than KEEL_MIRROR_MAX_LEN or wraps), ENOENT (a page of the range in no
 * memslot), EROFS (a page in a read-only memslot), EEXIST (the range
 * overlaps one the VM already protects), EOPNOTSUPP (REPAIR, and the
 * kernel does not let Keel see memory-failure signals), EMEDIUMTYPE
 * (REPAIR, and a page of the range is guest RAM that Keel cannot replace:
 * a shared or hugetlbfs mapping, not private anonymous memory), ESRCH
 * (the VMM is exiting), ENOMEM, EBADF. The caller need not be the VMM: a VM fd it
 * took from the VMM (pidfd_getfd(2)) will do; guest memory is read in
 * the VMM's address space all the same.
 */
struct keel_mirror_setup {
	__u32 size;		/* in: sizeof(struct keel_mirror_setup) */
	__u32 flags;		/* in: KEEL_MIRROR_SETUP_* */
	__s32 vm_fd;		/* in: a KVM VM fd */
	__u32 pad;		/* must be zero */
	__u64 gpa;		/* in: first byte, page aligned */
	__u64 len;		/* in: bytes, a multiple of the page size */
	__u32 id;		/* out: object id */
	__u32 pad2;		/* must be zero */
	char label[KEEL_NAME_MAX];	/* in: NUL-terminated, printable */
};

#define KEEL_MIRROR_IOC_SETUP	_IOWR(KEEL_IOC_MAGIC, 0x60, \
				      struct keel_mirror_setup)

/*
 * KEEL_MIRROR_IOC_READ: copy [gpa, gpa + len) of the mirror to buf, for
 * checks (the range must lie inside the protected one). Errors: EINVAL
 * (flags, pad, a range outside), EFAULT.
 */
struct keel_mirror_read {
	__u32 size;		/* in: sizeof(struct keel_mirror_read) */
	__u32 flags;		/* in: none defined, must be zero */
	__u64 gpa;		/* in */
	__u64 len;		/* in */
	__u64 buf;		/* in: user address of len bytes */
};

#define KEEL_MIRROR_IOC_READ	_IOW(KEEL_IOC_MAGIC, 0x61, \
				     struct keel_mirror_read)

/*
 * KEEL_MIRROR_IOC_WRITE: the VMM writes guest memory with its mirror:
 * [gpa, gpa + len) of the guest and of the mirror both get buf's bytes
 * (the range must lie inside the protected one). For the VMM's own
 * writes to protected memory, which page tracking does not see, and for
 * a guest store KVM could not complete on a poisoned page (it reaches
 * the VMM as an MMIO exit at a protected address: repair, then write).
 * From the VMM only (EPERM). Errors: EINVAL, EFAULT.
 */
struct keel_mirror_write {
	__u32 size;		/* in: sizeof(struct keel_mirror_write) */
	__u32 flags;		/* in: none defined, must be zero */
	__u64 gpa;		/* in */
	__u64 len;		/* in */
	__u64 buf;		/* in: user address of len bytes */
};

#define KEEL_MIRROR_IOC_WRITE	_IOW(KEEL_IOC_MAGIC, 0x63, \
				     struct keel_mirror_write)

/* out flags of struct keel_mirror_repair */
#define KEEL_MIRROR_REPAIRED	0x1u	/* the page was poisoned: replaced */

/*
 * KEEL_MIRROR_IOC_REPAIR: the VMM's answer to a memory failure of a
 * protected page (its vCPU thread got SIGBUS with BUS_MCEERR_AR): when
 * the page at gpa (any byte of it) is poisoned, Keel replaces it in the
 * VMM's mapping with a fresh page holding the mirror's content; no vCPU
 * can touch the page meanwhile. A page that is not poisoned is left
 * alone (another vCPU's call repaired it already). From the VMM, or any
 * holder of the object. Errors: EINVAL (flags, pad, gpa outside the
 * range), ESRCH (the VMM is exiting), ESTALE
 * (the page's memslot went), EFAULT (no mapping there, or one of a
 * shared file, whose poisoned page Keel cannot replace yet), EHWPOISON
 * (each fresh page failed too, eight times), ENOMEM.
 */
struct keel_mirror_repair {
	__u32 size;		/* in: sizeof(struct keel_mirror_repair) */
	__u32 flags;		/* in: none defined, must be zero */
	__u64 gpa;		/* in */
	__u32 result;		/* out: KEEL_MIRROR_REPAIRED or 0 */
	__u32 pad;		/* in: must be zero */
};

#define KEEL_MIRROR_IOC_REPAIR	_IOWR(KEEL_IOC_MAGIC, 0x62, \
				      struct keel_mirror_repair)

/* flags of struct keel_mirror_log */
#define KEEL_MIRROR_LOG_SET	0x1u	/* take addr as the log (0: none) */
#define KEEL_MIRROR_LOG_SYNC	0x2u	/* harvest the log now */
#define KEEL_MIRROR_LOG_FLAGS_ALL (KEEL_MIRROR_LOG_SET | KEEL_MIRROR_LOG_SYNC)

/*
 * KEEL_MIRROR_IOC_LOG: writes to the range that KVM does not see as guest
 * stores - vhost's, a device's, the VMM's own - declared in a dirty log
 * of vhost's format: bit N (byte N / 8, bit N % 8) set when guest page N
 * (gpa / 4096) was written, at addr in the VMM's address space, 8-byte
 * aligned; for vhost, the buffer given with VHOST_SET_LOG_BASE under
 * VHOST_F_LOG_ALL. Keel harvests the bits of the range: it clears each
 * set bit and then copies that guest page to the mirror. It harvests
 * every scrub_ms (module parameter) and on KEEL_MIRROR_LOG_SYNC, which
 * returns how many pages it copied; until then a failure of such a page
 * is repaired without the logged write (Documentation/mirror.rst).
 * LOG_SET with SYNC sets first. LOG_SET from the VMM only (Keel clears
 * bits of the log: the VMM's memory), SYNC from any holder of the range.
 * Errors: EPERM (LOG_SET from another process), EINVAL (flags, an addr
 * without LOG_SET, addr unaligned or wrapping), EFAULT (the log's
 * words for the range are not writable memory of the VMM), ENOENT (SYNC
 * without a log), ESRCH (the VMM is exiting), ENOMEM.
 */
struct keel_mirror_log {
	__u32 size;		/* in: sizeof(struct keel_mirror_log) */
	__u32 flags;		/* in: KEEL_MIRROR_LOG_* */
	__u64 addr;		/* in, with LOG_SET: the log (0: none) */
	__u64 pages;		/* out, with LOG_SYNC: pages copied */
};

#define KEEL_MIRROR_IOC_LOG	_IOWR(KEEL_IOC_MAGIC, 0x64, \
				      struct keel_mirror_log)

/* flags of struct keel_mirror_xlate */
#define KEEL_MIRROR_XLATE_DEL		0x1u	/* remove the one at start */
#define KEEL_MIRROR_XLATE_COUNTED	0x2u	/* count_gpa is its counter */
#define KEEL_MIRROR_XLATE_LOGGED	0x4u	/* log_gpa is its full log */
#define KEEL_MIRROR_XLATE_PT5		0x8u	/* log_pt_gpa has 5 levels */
#define KEEL_MIRROR_XLATE_FLAGS_ALL	(KEEL_MIRROR_XLATE_DEL | \
					 KEEL_MIRROR_XLATE_COUNTED | \
					 KEEL_MIRROR_XLATE_LOGGED | \
					 KEEL_MIRROR_XLATE_PT5)

/* Translations one range lists at most, and the code one may cover. */
#define KEEL_MIRROR_XLATES_MAX		16
#define KEEL_MIRROR_XLATE_MAX_LEN	0x10000ull

/*
 * KEEL_MIRROR_IOC_XLATE: the VMM (or the tool that places translations in
 * the guest) tells Keel of a binary translation of guest code whose
 * stores to the range no longer trap (Documentation/bt.rst): the
 * original code [start, end) (guest linear addresses) and where the
 * translation runs (code, for the record). With COUNTED, count_gpa is the
 * guest-physical address of the little-endian u64 that the translated
 * code adds its stores to (keel-bt's kbt_config.count_addr): Keel reads
 * it for the range's info, whose "translations" list each translation
 * with the stores it made since it was registered - each one a trap
 * saved - and the trapped stores the profile counted for its sites, and
 * whose "translated_stores" adds those of translations removed. The
 * counter is guest memory: statistics, not a guarantee. Translations
 * are not part of the range's state: after a migration the destination
 * registers its own. With LOGGED, log_gpa is the guest-physical address
 * of the translation's region log (struct keel_bt_log of
 * <linux/keel_bt.h>), a full log (keel-bt's KBT_FULL_LOG): a repair of a
 * page of the range (KEEL_MIRROR_IOC_REPAIR, KEEL_MIRROR_SETUP_REPAIR)
 * then writes the published entries of every registered log over the
 * mirror's bytes, so a page lost while a region is open comes back with
 * the region's stores made so far, not only those of committed regions;
 * a page with a store under way (KEEL_BT_LEN_OPEN) is not repaired
 * (EBUSY: its failure goes to the VMM as without Keel). The log's
 * entries hold the addresses the code stored to: guest-physical ones
 * when log_pt_gpa is 0 (a guest whose code runs identity mapped), else
 * linear ones, which the repair translates through the x86-64 page
 * tables whose root is at log_pt_gpa (a CR3's address: a Linux guest
 * process's, as keel_guest.ko's KEEL_GUEST_IOC_ROOT reports it), of 4
 * levels, or of 5 with PT5. Several translations may name one log (the
 * context that runs them); the first registered gives its page tables.
 * With DEL, the translation that starts at start is removed (its counter
 * read a last time); end, code, count_gpa, log_gpa and log_pt_gpa must be
 * zero. From any holder of the range.
 *
 * Errors: EINVAL (flags, DEL with other fields or other flags, start not
 * below end, more than KEEL_MIRROR_XLATE_MAX_LEN bytes, count_gpa without
 * COUNTED, not 8-byte aligned, or inside the range, whose stores trap;
 * log_gpa without LOGGED, not 8-byte aligned, a log across a page
 * boundary or on the range; log_pt_gpa without LOGGED or not page
 * aligned, PT5 without it), EFAULT (count_gpa, the log or the page
 * tables' root is not guest memory Keel can read), EEXIST ([start,
 * end) overlaps a translation registered), ENOSPC (KEEL_MIRROR_XLATES_MAX
 * registered), ENOENT (DEL: none starts at start), ESRCH (the VMM is
 * exiting), ENOMEM.
 */
struct keel_mirror_xlate {
	__u32 size;		/* in: sizeof(struct keel_mirror_xlate) */
	__u32 flags;		/* in: KEEL_MIRROR_XLATE_* */
	__u64 start;		/* in: first byte of the original code */
	__u64 end;		/* in: one past its last byte */
	__u64 code;		/* in: where the translation runs (linear) */
	__u64 count_gpa;	/* in, with COUNTED: the u64 counter */
	__u64 log_gpa;		/* in, with LOGGED: its struct keel_bt_log */
	__u64 log_pt_gpa;	/* in, with LOGGED: 0, or the page tables of
				 * the log's linear addresses
				 */
};

#define KEEL_MIRROR_IOC_XLATE	_IOW(KEEL_IOC_MAGIC, 0x65, \
				     struct keel_mirror_xlate)

/*
 * flags of struct keel_mirror_windows. DEL: remove the range's windows;
 * vm_fd must be given, the offsets zero.
 */
#define KEEL_MIRROR_WINDOWS_DEL		0x1u
#define KEEL_MIRROR_WINDOWS_FLAGS_ALL	KEEL_MIRROR_WINDOWS_DEL

/*
 * KEEL_MIRROR_IOC_WINDOWS: Keel places the two guest-physical windows
 * that translated code needs (Documentation/bt.rst) into the VM, for a
 * VMM that knows nothing of Keel: the alias, [gpa + alias_off, + len),
 * the range's guest memory a second time (a memslot over the VMM's own
 * mapping of it, which KVM does not write-track: a store there does not
 * trap and does not reach the mirror), and the mirror window, [gpa +
 * mirror_off, + len), the range's mirror pages themselves (a memslot over
 * Keel's mapping of them in the VMM's address space, as mmap(2) of the
 * range's file makes it). Each is a memslot of address space 0 with the
 * highest slot number KVM allows that the VM does not use; the VMM does
 * not know of them. They go with DEL, with the range (detached, or its
 * VMM gone), or with the VM. The range's guest memory must be one memslot.
 *
 * Errors: EINVAL (flags, pad, an offset zero or not page aligned, windows
 * that overlap each other or the range or wrap, DEL with an offset, a
 * vm_fd that is not a VM fd of the range's VM, or KVM refused the
 * address), EBADF, EBUSY (the range has windows), ENOENT (DEL: it has
 * none), EXDEV (the range is not in one memslot), EEXIST (a window
 * overlaps a memslot of the VM), ENOSPC (no free slot numbers), ESRCH
 * (the VMM is exiting), ENOMEM.
 */
struct keel_mirror_windows {
	__u32 size;		/* in: sizeof(struct keel_mirror_windows) */
	__u32 flags;		/* in: KEEL_MIRROR_WINDOWS_* */
	__s32 vm_fd;		/* in: a KVM VM fd of the range's VM */
	__u32 pad;		/* must be zero */
	__u64 alias_off;	/* in: the alias at gpa + alias_off */
	__u64 mirror_off;	/* in: the mirror window at gpa + mirror_off */
};

#define KEEL_MIRROR_IOC_WINDOWS	_IOW(KEEL_IOC_MAGIC, 0x66, \
				     struct keel_mirror_windows)

/* KEEL_OBJ_A_INFO of a "mirror" object. */
enum keel_mirror_info_attr {
	KEEL_MIRROR_INFO_A_UNSPEC,
	KEEL_MIRROR_INFO_A_PAD,
	KEEL_MIRROR_INFO_A_GPA,			/* u64: first byte */
	KEEL_MIRROR_INFO_A_PROTECTED_BYTES,	/* u64 */
	KEEL_MIRROR_INFO_A_MIRROR_BYTES,	/* u64: mirror pages held */
	KEEL_MIRROR_INFO_A_GUEST_WRITES,	/* u64: trapped guest writes */
	KEEL_MIRROR_INFO_A_GUEST_BYTES,		/* u64: their bytes */
	KEEL_MIRROR_INFO_A_LOST_PAGES,		/* u64: pages whose memslot went */
	KEEL_MIRROR_INFO_A_REPAIRED_PAGES,	/* u64: poisoned pages replaced */
	KEEL_MIRROR_INFO_A_REPAIR_NS,		/* u64: time the repairs took */
	KEEL_MIRROR_INFO_A_REPAIR_MAX_NS,	/* u64: the longest repair */
	KEEL_MIRROR_INFO_A_VMM_WRITES,		/* u64: KEEL_MIRROR_IOC_WRITE calls */
	KEEL_MIRROR_INFO_A_VMM_BYTES,		/* u64: their bytes */
	/*
	 * The hot-spot profile: the guest code sites (linear RIP) whose
	 * stores to the range trapped most, at most
	 * KEEL_MIRROR_HOTSPOTS_MAX, most writes first.
	 */
	KEEL_MIRROR_INFO_A_HOTSPOTS,		/* nest: INFO_A_HOTSPOT, multi */
	KEEL_MIRROR_INFO_A_HOTSPOT,		/* nest: enum keel_mirror_hot_attr */
	KEEL_MIRROR_INFO_A_HOT_SITES,		/* u32: sites counted */
	KEEL_MIRROR_INFO_A_HOT_UNCOUNTED,	/* u64: writes of sites beyond
						 * what Keel counts per range
						 */
	KEEL_MIRROR_INFO_A_REPAIR,		/* u8: set up with SETUP_REPAIR */
	KEEL_MIRROR_INFO_A_SIGNALS_KEPT,	/* u64: memory-failure signals
						 * not sent: the page repaired
						 */
	KEEL_MIRROR_INFO_A_MIRROR_REBUILT,	/* u64: mirror pages lost to a
						 * memory failure, rebuilt from
						 * the guest page
						 */
	KEEL_MIRROR_INFO_A_SCRUB_PASSES,	/* u64: checks of the mirror
						 * pages for failures
						 */
	KEEL_MIRROR_INFO_A_SCRUB_NS,		/* u64: their time */
	KEEL_MIRROR_INFO_A_LOG,			/* u8: a dirty log is set */
	KEEL_MIRROR_INFO_A_LOG_HARVESTS,	/* u64: harvests of the log */
	KEEL_MIRROR_INFO_A_LOG_PAGES,		/* u64: pages the log said
						 * written, copied
						 */
	KEEL_MIRROR_INFO_A_COMPARE,		/* u8: set up with
						 * SETUP_COMPARE
						 */
	KEEL_MIRROR_INFO_A_COMPARE_PAGES,	/* u64: guest pages found to
						 * differ from their mirror,
						 * copied
						 */
	/*
	 * The translations registered (KEEL_MIRROR_IOC_XLATE), in the order
	 * they were, and the stores made by translations, those removed
	 * included: the traps they saved.
	 */
	KEEL_MIRROR_INFO_A_TRANSLATIONS,	/* nest: INFO_A_TRANSLATION,
						 * multi
						 */
	KEEL_MIRROR_INFO_A_TRANSLATION,		/* nest: enum
						 * keel_mirror_xlate_attr
						 */
	KEEL_MIRROR_INFO_A_TRANSLATED_STORES,	/* u64 */
	/*
	 * The windows Keel placed (KEEL_MIRROR_IOC_WINDOWS): the first
	 * guest-physical byte of the alias and of the mirror window, 0 when
	 * there are none.
	 */
	KEEL_MIRROR_INFO_A_ALIAS_GPA,		/* u64 */
	KEEL_MIRROR_INFO_A_WINDOW_GPA,		/* u64 */
	/*
	 * Repairs with translations whose logs are registered
	 * (KEEL_MIRROR_XLATE_LOGGED): the entries of open regions written
	 * over mirror bytes, and the repairs refused because a store to the
	 * page was under way.
	 */
	KEEL_MIRROR_INFO_A_REPAIR_ENTRIES,	/* u64 */
	KEEL_MIRROR_INFO_A_REPAIR_OPEN,		/* u64 */

	__KEEL_MIRROR_INFO_A_MAX,
	KEEL_MIRROR_INFO_A_MAX = __KEEL_MIRROR_INFO_A_MAX - 1
};

/* Entries of KEEL_MIRROR_INFO_A_HOTSPOTS. */
#define KEEL_MIRROR_HOTSPOTS_MAX	16

/* One hot spot. */
enum keel_mirror_hot_attr {
	KEEL_MIRROR_HOT_A_UNSPEC,
	KEEL_MIRROR_HOT_A_PAD,
	KEEL_MIRROR_HOT_A_RIP,		/* u64: linear address of the store */
	KEEL_MIRROR_HOT_A_WRITES,	/* u64: its trapped stores */
	KEEL_MIRROR_HOT_A_GPA,		/* u64: the last byte it stored to */

	__KEEL_MIRROR_HOT_A_MAX,
	KEEL_MIRROR_HOT_A_MAX = __KEEL_MIRROR_HOT_A_MAX - 1
};

/* One translation of KEEL_MIRROR_INFO_A_TRANSLATIONS. */
enum keel_mirror_xlate_attr {
	KEEL_MIRROR_XLATE_A_UNSPEC,
	KEEL_MIRROR_XLATE_A_PAD,
	KEEL_MIRROR_XLATE_A_START,	/* u64: first byte of the original */
	KEEL_MIRROR_XLATE_A_END,	/* u64: one past its last */
	KEEL_MIRROR_XLATE_A_CODE,	/* u64: where the translation runs */
	KEEL_MIRROR_XLATE_A_COUNTED,	/* u8: it keeps a counter */
	KEEL_MIRROR_XLATE_A_STORES,	/* u64: stores it made (counted
					 * ones), each a trap saved
					 */
	KEEL_MIRROR_XLATE_A_TRAPPED,	/* u64: trapped stores the profile
					 * counted for sites in [start, end)
					 */
	KEEL_MIRROR_XLATE_A_LOG_GPA,	/* u64: its full log, or 0 */
	KEEL_MIRROR_XLATE_A_LOG_PT_GPA,	/* u64: the log's page tables, or 0 */

	__KEEL_MIRROR_XLATE_A_MAX,
	KEEL_MIRROR_XLATE_A_MAX = __KEEL_MIRROR_XLATE_A_MAX - 1
};

/*
 * Its state blob (linux/keel_state.h): the range it is for, its counters
 * and its hot-spot profile. The mirror's bytes are not in it: they are
 * the guest's, which setup copies on the side that loads the blob
 * (Documentation/mirror.rst, "State").
 */
#define KEEL_MIRROR_SEC_RANGE	1	/* struct keel_mirror_saved_range */
#define KEEL_MIRROR_SEC_COUNTS	2	/* struct keel_mirror_saved_counts */
#define KEEL_MIRROR_SEC_HOT	3	/* struct keel_mirror_saved_hot, 0 to
					 * KEEL_MIRROR_SAVED_HOT_MAX of them
					 */

/* Sites a saved profile holds at most: all that a range counts. */
#define KEEL_MIRROR_SAVED_HOT_MAX	256

/**
 * struct keel_mirror_saved_range - section KEEL_MIRROR_SEC_RANGE, version 1
 * @gpa: the range's first byte; a LOAD needs a range with the same
 * @len: and the same length
 * @setup_flags: KEEL_MIRROR_SETUP_* of the saving range (informational)
 * @pad: zero
 */
struct keel_mirror_saved_range {
	__le64 gpa;
	__le64 len;
	__le32 setup_flags;
	__le32 pad;
};

/**
 * struct keel_mirror_saved_counts - section KEEL_MIRROR_SEC_COUNTS,
 *	version 1: the counters of the range's info that are its history
 *	(the others follow from the range as it is set up on each side)
 */
struct keel_mirror_saved_counts {
	__le64 guest_writes;
	__le64 guest_bytes;
	__le64 repaired_pages;
	__le64 repair_ns;
	__le64 repair_max_ns;
	__le64 vmm_writes;
	__le64 vmm_bytes;
	__le64 hot_uncounted;
	__le64 signals_kept;
	__le64 mirror_rebuilt;
	__le64 scrub_passes;
	__le64 scrub_ns;
	__le64 log_harvests;
	__le64 log_pages;
	__le64 compare_pages;
};

/**
 * struct keel_mirror_saved_hot - one site of section KEEL_MIRROR_SEC_HOT,
 *	version 1
 * @rip: the linear address of the store instruction (0: not known)
 * @writes: its trapped stores, not zero
 * @gpa: the guest-physical address of the last of them
 *
 * A site appears once; the sites are in no particular order.
 */
struct keel_mirror_saved_hot {
	__le64 rip;
	__le64 writes;
	__le64 gpa;
};

#endif /* _UAPI_LINUX_KEEL_MIRROR_H */
