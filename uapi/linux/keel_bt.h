/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * keel_bt uapi: the region log of binary-translated write hot spots.
 *
 * Translated code (userspace/keel-bt, Documentation/bt.rst) makes each
 * store of a hot spot twice: to the guest's memory, and to its mirror at
 * a fixed offset. The stores of one region (a straight run of translated
 * code) reach the mirror together, at the region's commit; until then
 * each is recorded in the log below, which lives in guest memory beside
 * the code cache. A recovery that rebuilds a lost guest page from the
 * mirror overlays the log's published entries on it, so it never
 * restores a page with half a region's stores, nor loses one.
 *
 * Guest, host and recovery read this layout: it is a contract, and only
 * grows at the end.
 */
#ifndef _UAPI_LINUX_KEEL_BT_H
#define _UAPI_LINUX_KEEL_BT_H

#include <linux/types.h>

/* Entries of one log: the most stores (8-byte pieces) a region holds. */
#define KEEL_BT_LOG_ENTRIES	64

/* Registers a store instruction may write besides memory (rollback). */
#define KEEL_BT_LOG_RSAVE	4

/*
 * Indexes of struct keel_bt_log's flags[]: the arithmetic flags a store
 * that reads them (adc, sbb, setcc, rcl, ...) found, for a rollback.
 */
#define KEEL_BT_FLAG_CF		0
#define KEEL_BT_FLAG_PF		1
#define KEEL_BT_FLAG_ZF		2
#define KEEL_BT_FLAG_SF		3
#define KEEL_BT_FLAG_OF		4

/*
 * In struct keel_bt_log_entry's len, in a full log only: the entry's
 * store is under way and its bytes are not recorded yet, so the log does
 * not say whether the store was made (a read-modify-write or a store of
 * bytes no register holds whole). The code clears it right after it
 * records the bytes.
 */
#define KEEL_BT_LEN_OPEN	0x80000000u

/**
 * struct keel_bt_log_entry - one store of the open region
 * @addr: guest virtual address of the bytes stored (not the alias's)
 * @val: the bytes, little endian, in the low @len bytes
 * @len: 1, 2 or 4; 0 (or 8) for 8. Outside an open region every entry's
 *	len is 0: the translated code (a recovery, for a register entry)
 *	writes it only for a shorter store and the commit puts 0 back, so a
 *	zeroed log is an empty one; in a full log also KEEL_BT_LEN_OPEN
 *	while the store is under way
 * @pad: zero
 */
struct keel_bt_log_entry {
	__u64 addr;
	__u64 val;
	__u32 len;
	__u32 pad;
};

/**
 * struct keel_bt_log - the region log of one translated context
 * @count: entries of the open region that are published, @e[0..count);
 *	0 when no region is open or its commit finished
 * @scratch: the values of the open region's two scratch registers, put
 *	back at its commit
 * @rsave: registers the store being logged writes besides memory (the
 *	old values of xchg's, xadd's or cmpxchg's registers), for a rollback
 *	to that store
 * @flags: the flags the store being logged reads, as it found them (1 or
 *	0, indexed by KEEL_BT_FLAG_*), for a rollback to that store
 * @e: the entries
 * @gen: commits of a full log's regions so far (below); 0 otherwise
 *
 * The translated code writes a store to guest memory first, then its
 * entry, and after the last store of a run of consecutive stores @count;
 * a commit writes every entry to the mirror, then sets @count to 0. The
 * entry of a mov whose address and source registers stay unchanged
 * until the commit is not written by the code (a register entry): its
 * slot is counted, and a recovery makes it from the vCPU's registers. A
 * recovery of a lost guest page first counts the entries a vCPU stopped
 * inside a run has written and makes its register entries (the
 * translation's window table says which and how, from its rip), then
 * takes the mirror's page and writes over it every published entry that
 * falls in it, in order: the guest page as the vCPU last wrote it. A
 * vCPU stopped between a store and the end of its entry, with the
 * store's bytes on the lost page, is rolled back to the store, with
 * @rsave's registers and @flags.
 *
 * A full log (keel-bt's KBT_FULL_LOG) is one that a reader without the
 * vCPU's registers can read: keel_mirror's own repair of a page lost
 * under a VMM that knows nothing of Keel (KEEL_MIRROR_XLATE_LOGGED). Its
 * code writes every entry and publishes each store's entries (sets
 * @count past them) before it makes the store: a mov's entry with the
 * bytes it stores, so that the entry is right whether the store was made
 * or is about to be; any other store's entry with KEEL_BT_LEN_OPEN in
 * its len until the bytes the store left are recorded after it. Its
 * commit increments @gen after setting @count to 0, so that a reader
 * that reads @gen, then @count, then the entries, then @gen again, and
 * finds @gen unchanged, read entries of one region. A page rebuilt from
 * the mirror with the published entries over it is the page as the
 * context last wrote it, or as it is about to write it with the mov it
 * stands at; with an open entry on the page it cannot be rebuilt.
 */
struct keel_bt_log {
	__u64 count;
	__u64 scratch[2];
	__u64 rsave[KEEL_BT_LOG_RSAVE];
	__u8 flags[8];
	struct keel_bt_log_entry e[KEEL_BT_LOG_ENTRIES];
	__u64 gen;
};

#endif /* _UAPI_LINUX_KEEL_BT_H */
