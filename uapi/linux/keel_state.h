/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Keel state uapi: stop, save, load, resume and swap for every Keel object
 * that has state (UARTs now; rings, coalescers and mirrors later).
 *
 * An object is RUNNING (it handles guest accesses, fires timers, raises
 * interrupts) or STOPPED (it initiates no change; a guest access to it
 * leaves to the VMM as an ordinary exit, exactly like an access to an
 * unclaimed address). Commands:
 *
 *   command   allowed in   result
 *   STOP      RUNNING      STOPPED
 *   RESUME    STOPPED      RUNNING, pending interrupts raised again
 *   SAVE      STOPPED      STOPPED; a snapshot of the state
 *   LOAD      STOPPED      STOPPED with the loaded state, or on any
 *                          error STOPPED with the old state, unchanged
 *   SWAP      STOPPED      SAVE then LOAD as one command (all or nothing)
 *
 * STOP on a STOPPED object and RESUME on a RUNNING one fail with
 * EALREADY; SAVE, LOAD and SWAP on a RUNNING object fail with EBUSY.
 *
 * The ioctls below are issued on the object's own file (an open
 * /dev/keel-vdev, ...), whose number range 0x90-0x9f of KEEL_IOC_MAGIC is
 * the state framework's. Operators reach the same commands by object id
 * through the "keel" netlink family (KEEL_CMD_STATE_SET).
 *
 * This header is a contract: numbers are never reused or renumbered.
 */
#ifndef _UAPI_LINUX_KEEL_STATE_H
#define _UAPI_LINUX_KEEL_STATE_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/keel.h>

/* enum keel_state_value */
#define KEEL_STATE_RUNNING	1
#define KEEL_STATE_STOPPED	2

/* Object state types: the "type" of a blob. */
#define KEEL_STATE_TYPE_VDEV_UART16550A	1
#define KEEL_STATE_TYPE_RING		2
#define KEEL_STATE_TYPE_COALESCE	3
#define KEEL_STATE_TYPE_MIRROR		4
/* 0xff00-0xffff: samples (built and tested, never installed) */

/*
 * The state blob. Little-endian, 8-byte aligned pieces:
 *
 *   struct keel_state_header
 *   nr_sections x { struct keel_state_section, payload, zero pad to 8 }
 *
 * header.total_len is the length of everything above. Each section has
 * its own id, version, length and CRC-32 (IEEE 802.3, as zlib's crc32())
 * of its section header (crc set to zero) followed by its payload; the
 * header has a CRC-32 of itself computed with hdr_crc set to zero.
 * Section ids and their payload layouts belong to the object type
 * (Documentation/state.rst lists them); a section id appears at most
 * once. A module reads every version of a section up to the one it
 * writes; an unknown section is an error unless it carries
 * KEEL_STATE_SEC_OPTIONAL, in which case it is skipped.
 */
#define KEEL_STATE_MAGIC	0x5453454bu	/* "KEST" on the wire */
#define KEEL_STATE_FORMAT	1
#define KEEL_STATE_MAX_SECTIONS	16
/* Largest blob any object accepts, whatever its own limit. */
#define KEEL_STATE_MAX_BLOB	0x8000000u	/* 128 MiB */

struct keel_state_header {
	__le32 magic;		/* KEEL_STATE_MAGIC */
	__le16 format;		/* KEEL_STATE_FORMAT */
	__le16 hdr_len;		/* sizeof(struct keel_state_header) */
	__le32 type;		/* KEEL_STATE_TYPE_* */
	__le32 nr_sections;	/* 1..KEEL_STATE_MAX_SECTIONS */
	__le64 total_len;	/* header + sections, bytes */
	__le32 flags;		/* none defined: zero */
	__le32 hdr_crc;		/* CRC-32 of this header, hdr_crc = 0 */
};

/* flags of struct keel_state_section */
#define KEEL_STATE_SEC_OPTIONAL	0x1u	/* a reader may skip it */
#define KEEL_STATE_SEC_FLAGS_ALL	KEEL_STATE_SEC_OPTIONAL

struct keel_state_section {
	__le32 id;		/* the type's section id, >= 1 */
	__le16 version;		/* >= 1 */
	__le16 flags;		/* KEEL_STATE_SEC_* */
	__le32 len;		/* payload bytes (without the pad) */
	__le32 crc;		/* CRC-32 of this header (crc = 0) + payload */
};

/* KEEL_STATE_IOC_GET: where the object is. */
struct keel_state_info {
	__u32 size;		/* in: sizeof(struct keel_state_info) */
	__u32 flags;		/* in: none defined, zero */
	__u32 state;		/* out: KEEL_STATE_RUNNING/STOPPED */
	__u32 type;		/* out: KEEL_STATE_TYPE_* */
	__u32 format;		/* out: KEEL_STATE_FORMAT it writes */
	__u32 max_len;		/* out: largest blob it saves or loads */
	__u64 saves;		/* out: successful SAVE (and SWAP) */
	__u64 loads;		/* out: successful LOAD (and SWAP) */
	__u64 rejects;		/* out: LOAD/SWAP blobs refused */
};

/* flags of struct keel_state_xfer: none defined yet, all must be zero. */
#define KEEL_STATE_XFER_FLAGS_ALL	0u

/*
 * SAVE, LOAD and SWAP.
 *
 * load_fd (LOAD, SWAP) is where the blob comes from: a regular file or a
 * memfd is read from offset 0 to its end, anything else (a pipe, a
 * socket) until end of file. The whole blob is read and checked before
 * the object changes.
 *
 * save_fd (SAVE, SWAP; out) is a new read-only file (O_CLOEXEC) holding
 * the snapshot taken by the command; read it to the end and close it.
 *
 * The out fields are written before the object changes: a command that
 * cannot write them (EFAULT) changed nothing and installed no save_fd.
 */
struct keel_state_xfer {
	__u32 size;		/* in: sizeof(struct keel_state_xfer) */
	__u32 flags;		/* in: KEEL_STATE_XFER_* */
	__s32 load_fd;		/* in: LOAD, SWAP */
	__s32 save_fd;		/* out: SAVE, SWAP */
	__u64 load_len;		/* out: bytes of the blob loaded */
	__u64 save_len;		/* out: bytes of the blob saved */
};

#define KEEL_STATE_IOC_GET	_IOWR(KEEL_IOC_MAGIC, 0x90, struct keel_state_info)
#define KEEL_STATE_IOC_STOP	_IO(KEEL_IOC_MAGIC, 0x91)
#define KEEL_STATE_IOC_RESUME	_IO(KEEL_IOC_MAGIC, 0x92)
#define KEEL_STATE_IOC_SAVE	_IOWR(KEEL_IOC_MAGIC, 0x93, struct keel_state_xfer)
#define KEEL_STATE_IOC_LOAD	_IOWR(KEEL_IOC_MAGIC, 0x94, struct keel_state_xfer)
#define KEEL_STATE_IOC_SWAP	_IOWR(KEEL_IOC_MAGIC, 0x95, struct keel_state_xfer)

/* Commands of KEEL_CMD_STATE_SET (KEEL_A_STATE_CMD). */
enum keel_state_cmd {
	KEEL_STATE_CMD_UNSPEC,
	KEEL_STATE_CMD_STOP,
	KEEL_STATE_CMD_RESUME,
	KEEL_STATE_CMD_SAVE,	/* reply: KEEL_A_STATE_BLOB */
	KEEL_STATE_CMD_LOAD,	/* request: KEEL_A_STATE_BLOB */
	KEEL_STATE_CMD_SWAP,	/* both */

	__KEEL_STATE_CMD_MAX,
	KEEL_STATE_CMD_MAX = __KEEL_STATE_CMD_MAX - 1
};

/* Netlink blobs are limited to what one message carries. */
#define KEEL_STATE_NL_BLOB_MAX	(60 * 1024)

/* KEEL_OBJ_A_STATE of an object with state. */
enum keel_state_attr {
	KEEL_STATE_A_UNSPEC,
	KEEL_STATE_A_PAD,
	KEEL_STATE_A_STATE,		/* u32: KEEL_STATE_RUNNING/STOPPED */
	KEEL_STATE_A_TYPE,		/* u32: KEEL_STATE_TYPE_* */
	KEEL_STATE_A_FORMAT,		/* u32: KEEL_STATE_FORMAT */
	KEEL_STATE_A_MAX_LEN,		/* u32: largest blob */
	KEEL_STATE_A_SAVES,		/* u64 */
	KEEL_STATE_A_LOADS,		/* u64 */
	KEEL_STATE_A_REJECTS,		/* u64 */
	KEEL_STATE_A_CHANGED_NS,	/* u64: CLOCK_BOOTTIME of last command */

	__KEEL_STATE_A_MAX,
	KEEL_STATE_A_MAX = __KEEL_STATE_A_MAX - 1
};

#endif /* _UAPI_LINUX_KEEL_STATE_H */
