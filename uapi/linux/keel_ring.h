/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * keel_ring uapi: ring buffers with output commit through /dev/keel-ring.
 *
 * Each open file of /dev/keel-ring is one ring of 2^n slots. Three
 * free-running indices describe it, all counted in entries and wrapped to
 * a slot with (index & (slots - 1)):
 *
 *	head <= outgoing tail <= buffer tail <= head + slots
 *
 * [head, outgoing tail)        committed entries a fetcher may take
 * [outgoing tail, buffer tail) produced, not committed: not fetchable
 * [buffer tail, head + slots)  free slots the producer may fill
 *
 * The producer fills slots at the buffer tail and advances it; the commit
 * ioctl advances the outgoing tail; the fetcher takes entries at the head
 * and advances it. "<=" is modular: every distance is (a - b) & idx_mask,
 * where idx_mask is 2^32 - 1 or, with KEEL_RING_SETUP_IDX64, 2^64 - 1.
 *
 * The kernel owns the outgoing tail: userspace cannot commit through the
 * mapping, only with KEEL_RING_IOC_COMMIT, so that the kernel can hold
 * entries back (output commit). The kernel keeps its own copy of every
 * index and treats the values it reads from the mapping as hostile: a
 * value that would break the order above is ignored.
 *
 * This header is a contract: numbers are never reused or renumbered.
 */
#ifndef _UAPI_LINUX_KEEL_RING_H
#define _UAPI_LINUX_KEEL_RING_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/keel.h>

#define KEEL_RING_DEVICE	"/dev/keel-ring"

/* Geometry limits of struct keel_ring_setup. */
#define KEEL_RING_SLOTS_MAX	1048576u	/* power of two, >= 1 */
#define KEEL_RING_SLOT_SIZE_MIN	16u		/* multiple of 8 */
#define KEEL_RING_SLOT_SIZE_MAX	65536u
#define KEEL_RING_AREA_MAX	67108864u	/* slots * slot_size: 64 MiB */

/*
 * mmap offsets. Each area is mapped on its own, MAP_SHARED, at exactly
 * its offset with exactly its size (ctrl_size / slots_size of the setup);
 * any other offset or length fails with EINVAL.
 */
#define KEEL_RING_OFF_CTRL	0x0ull
#define KEEL_RING_OFF_SLOTS	0x10000000ull

#define KEEL_RING_CACHELINE	64

/*
 * The control area, at KEEL_RING_OFF_CTRL. Each index is a __u64 on its
 * own cache line; with 32-bit indices its high half is zero (and ignored
 * by the kernel), so a 32-bit process may access only the low word.
 *
 * head: written by the fetcher. An mmap fetcher reads an entry, then
 *	stores head with release semantics (__atomic_store_n(...,
 *	__ATOMIC_RELEASE)); this pairs with the producer's acquire load of
 *	head before it reuses the slot. The kernel writes it itself when it
 *	is the fetcher (read(), the fetch engine) with smp_store_release().
 * out_tail: written only by the kernel, with smp_store_release() after
 *	the commit; fetchers load it with acquire before they read entries.
 *	A value userspace stores here is overwritten and never read back.
 * buf_tail: written by the producer after filling the slots below it,
 *	with release semantics; the kernel loads it with smp_load_acquire()
 *	before it reads those slots (commit, read(), replication). The
 *	kernel writes it itself when it is the producer (write()).
 *
 * A process that moves head or buf_tail through the mapping tells the
 * kernel with KEEL_RING_IOC_SYNC (or the next commit, read, write or
 * poll), which wakes whoever waits for space or entries.
 *
 * The rest is written once by setup and never read back by the kernel.
 */
struct keel_ring_ctrl {
	__u64 head;
	__u8 pad0[KEEL_RING_CACHELINE - 8];
	__u64 out_tail;
	__u8 pad1[KEEL_RING_CACHELINE - 8];
	__u64 buf_tail;
	__u8 pad2[KEEL_RING_CACHELINE - 8];
	__u32 slots;		/* number of slots, a power of two */
	__u32 slot_size;	/* bytes per slot, header included */
	__u32 flags;		/* KEEL_RING_SETUP_* of the setup */
	__u32 pad3;
	__u64 idx_mask;		/* 2^32 - 1 or 2^64 - 1 */
	__u8 pad4[KEEL_RING_CACHELINE - 24];
};

/*
 * Each slot, at KEEL_RING_OFF_SLOTS + (index & (slots - 1)) * slot_size,
 * starts with this header; len bytes of payload follow it, at most
 * slot_size - sizeof(struct keel_ring_slot). The kernel reads len once
 * and drops an entry whose len is too large (counted as bad entries).
 */
struct keel_ring_slot {
	__u32 len;		/* payload bytes */
	__u32 flags;		/* zero; reserved */
};

/* flags of struct keel_ring_setup */
/* 64-bit indices (default: 32-bit, wrapping at 2^32) */
#define KEEL_RING_SETUP_IDX64		0x1u
/* each write() commits its entry at once */
#define KEEL_RING_SETUP_AUTOCOMMIT	0x2u
/* event_fd is valid: an eventfd signalled when the outgoing tail moves */
#define KEEL_RING_SETUP_EVENTFD		0x4u
#define KEEL_RING_SETUP_FLAGS_ALL	(KEEL_RING_SETUP_IDX64 | \
					 KEEL_RING_SETUP_AUTOCOMMIT | \
					 KEEL_RING_SETUP_EVENTFD)

/*
 * KEEL_RING_IOC_SETUP: allocate the ring. Once per file. All three
 * indices start at @start (below 2^32 without KEEL_RING_SETUP_IDX64).
 */
struct keel_ring_setup {
	__u32 size;		/* in: sizeof(struct keel_ring_setup) */
	__u32 flags;		/* in: KEEL_RING_SETUP_* */
	__u32 slots;		/* in: power of two, 1..KEEL_RING_SLOTS_MAX */
	__u32 slot_size;	/* in: multiple of 8, MIN..MAX */
	__u64 start;		/* in: initial value of the three indices */
	__s32 event_fd;		/* in: with KEEL_RING_SETUP_EVENTFD */
	__u32 id;		/* out: object id */
	__u64 ctrl_size;	/* out: length to mmap at KEEL_RING_OFF_CTRL */
	__u64 slots_size;	/* out: length to mmap at KEEL_RING_OFF_SLOTS */
	char label[KEEL_NAME_MAX];	/* in: NUL-terminated, printable */
};

/* flags of struct keel_ring_commit */
/* commit everything up to the buffer tail; index is ignored */
#define KEEL_RING_COMMIT_ALL		0x1u
#define KEEL_RING_COMMIT_FLAGS_ALL	KEEL_RING_COMMIT_ALL

/*
 * KEEL_RING_IOC_COMMIT: advance the outgoing tail to @index. ERANGE when
 * @index is behind the outgoing tail or beyond the buffer tail (as read
 * from the mapping now); committing to the outgoing tail itself is a
 * no-op. @out_tail returns the outgoing tail afterwards.
 */
struct keel_ring_commit {
	__u32 size;		/* in: sizeof(struct keel_ring_commit) */
	__u32 flags;		/* in: KEEL_RING_COMMIT_* */
	__u64 index;		/* in: the new outgoing tail */
	__u64 out_tail;		/* out */
};

/* flags of struct keel_ring_fetch: none defined yet, all must be zero. */
#define KEEL_RING_FETCH_FLAGS_ALL	0u

/*
 * KEEL_RING_IOC_FETCH_START: the kernel becomes the ring's fetcher. A
 * kernel thread sends each committed entry's payload to @sink_fd and
 * advances the head: one sendmsg() per entry on a socket (so datagram and
 * seqpacket sockets keep entry boundaries), one write on anything else
 * with a write_iter (a pipe, a tap device). The thread holds its own
 * reference to the sink. A failed send (the reader closed a pipe or the
 * peer a socket: EPIPE, ECONNRESET, ...) stops the engine; the entry
 * stays at the head and the error is in KEEL_RING_INFO_A_FETCH_ERR.
 * While the engine is attached, read() fails with EBUSY and head values
 * in the mapping are ignored. EBUSY if an engine is already attached
 * (also a failed one: stop it first), EBADF for an fd not open for
 * writing, EINVAL for one that is not a socket, pipe or character device
 * the kernel can write (a regular file, a ring).
 */
struct keel_ring_fetch {
	__u32 size;		/* in: sizeof(struct keel_ring_fetch) */
	__u32 flags;		/* in: KEEL_RING_FETCH_* */
	__s32 sink_fd;		/* in: socket, pipe, tap, ... */
	__u32 pad;		/* must be zero */
};

/* struct keel_ring_repl role */
#define KEEL_RING_REPL_PRIMARY		1
#define KEEL_RING_REPL_BACKUP		2

/* flags of struct keel_ring_repl: none defined yet, all must be zero. */
#define KEEL_RING_REPL_FLAGS_ALL	0u

/*
 * KEEL_RING_IOC_REPL_START: replicate the ring over @sock_fd, a connected
 * SOCK_STREAM socket to the other host (see Documentation/ring.rst).
 *
 * PRIMARY: from now on the ring is redundant, for good: a commit only
 *	marks entries for replication, and the outgoing tail advances only
 *	to what the backup acknowledged. When the connection fails the
 *	entries are held; stop and start again with a new backup, which
 *	gets everything not yet released.
 * BACKUP: the ring (empty, with at least the primary's slots and slot
 *	size and the same index width) takes the primary's entries at the
 *	primary's indices and acknowledges each once it is in a slot; they
 *	stay uncommitted. write() and commit fail with EBUSY meanwhile.
 *	After a failover (the connection ends, or REPL_STOP) the ring is an
 *	ordinary ring: KEEL_RING_COMMIT_ALL releases exactly the entries it
 *	acknowledged that the primary had not reported released.
 *
 * EBUSY if replication is already attached (also a failed one: stop it
 * first), ENOTEMPTY for a backup ring that holds entries, EINVAL for a
 * bad role, flags or a socket that is not a stream socket, EBADF.
 */
struct keel_ring_repl {
	__u32 size;		/* in: sizeof(struct keel_ring_repl) */
	__u32 flags;		/* in: KEEL_RING_REPL_* */
	__u32 role;		/* in: KEEL_RING_REPL_PRIMARY or _BACKUP */
	__s32 sock_fd;		/* in: connected SOCK_STREAM socket */
};

/*
 * The replication protocol on the socket: each message starts with this
 * header, all fields little-endian; a DATA header is followed by @len
 * bytes of payload.
 *
 * HELLO	primary to backup, first: @index the primary's outgoing tail
 *		(where the backup's indices start), @len its slot size,
 *		@slots its slots, @flags KEEL_RING_SETUP_IDX64 or 0.
 * DATA		primary to backup: the committed entry at @index, in order.
 * ACK		backup to primary: every entry below @index is in a slot.
 * RELEASED	primary to backup: every entry below @index was released
 *		by the primary; the backup drops them.
 */
#define KEEL_RING_WIRE_MAGIC		0x474e524bu	/* "KRNG" */
#define KEEL_RING_WIRE_HELLO		1
#define KEEL_RING_WIRE_DATA		2
#define KEEL_RING_WIRE_ACK		3
#define KEEL_RING_WIRE_RELEASED		4

struct keel_ring_wire {
	__le32 magic;
	__u8 type;
	__u8 pad[3];
	__le64 index;
	__le32 len;
	__le32 slots;
	__le32 flags;
	__le32 pad2;
};

#define KEEL_RING_IOC_SETUP	_IOWR(KEEL_IOC_MAGIC, 0x30, struct keel_ring_setup)
#define KEEL_RING_IOC_COMMIT	_IOWR(KEEL_IOC_MAGIC, 0x31, struct keel_ring_commit)
/* Take head and buf_tail from the mapping and wake the waiters. */
#define KEEL_RING_IOC_SYNC	_IO(KEEL_IOC_MAGIC, 0x32)
#define KEEL_RING_IOC_FETCH_START _IOW(KEEL_IOC_MAGIC, 0x33, struct keel_ring_fetch)
/*
 * Detach the fetch engine (idempotent); when it returns the thread is
 * gone and the sink released. Closing the ring does the same.
 */
#define KEEL_RING_IOC_FETCH_STOP _IO(KEEL_IOC_MAGIC, 0x34)
#define KEEL_RING_IOC_REPL_START _IOW(KEEL_IOC_MAGIC, 0x35, struct keel_ring_repl)
/* Detach replication (idempotent): the threads are gone when it returns. */
#define KEEL_RING_IOC_REPL_STOP	_IO(KEEL_IOC_MAGIC, 0x36)

/* KEEL_OBJ_A_INFO of a "ring" object. */
enum keel_ring_info_attr {
	KEEL_RING_INFO_A_UNSPEC,
	KEEL_RING_INFO_A_PAD,
	KEEL_RING_INFO_A_SLOTS,		/* u32 */
	KEEL_RING_INFO_A_SLOT_SIZE,	/* u32 */
	KEEL_RING_INFO_A_FLAGS,		/* u32: KEEL_RING_SETUP_* */
	KEEL_RING_INFO_A_HEAD,		/* u64: the kernel's copies */
	KEEL_RING_INFO_A_OUT_TAIL,	/* u64 */
	KEEL_RING_INFO_A_BUF_TAIL,	/* u64 */
	KEEL_RING_INFO_A_PRODUCED,	/* u64: entries the buffer tail passed */
	KEEL_RING_INFO_A_COMMITTED,	/* u64: entries the outgoing tail passed */
	KEEL_RING_INFO_A_FETCHED,	/* u64: entries the head passed */
	KEEL_RING_INFO_A_BYTES_IN,	/* u64: payload written with write() */
	KEEL_RING_INFO_A_BYTES_OUT,	/* u64: payload fetched by the kernel */
	KEEL_RING_INFO_A_FULL_NS,	/* u64: time seen full, nanoseconds */
	KEEL_RING_INFO_A_BAD_INDEX,	/* u64: hostile indices ignored */
	KEEL_RING_INFO_A_BAD_ENTRY,	/* u64: entries dropped: bad len */
	KEEL_RING_INFO_A_REPL_LAG,	/* u64: entries awaiting a backup ack */
	KEEL_RING_INFO_A_FETCH_STATE,	/* u32: KEEL_RING_FETCH_STATE_* */
	KEEL_RING_INFO_A_FETCH_ERR,	/* u32: errno that stopped the engine */
	KEEL_RING_INFO_A_REPL_ROLE,	/* u32: 0 none, KEEL_RING_REPL_* */
	KEEL_RING_INFO_A_REPL_STATE,	/* u32: KEEL_RING_REPL_STATE_* */
	KEEL_RING_INFO_A_REPL_ERR,	/* u32: errno that ended replication */
	KEEL_RING_INFO_A_REPL_SENT,	/* u64: entries sent / received */
	KEEL_RING_INFO_A_REPL_ACKED,	/* u64: entries acknowledged */
	KEEL_RING_INFO_A_INDEX_BITS,	/* u32: 32 or 64 (API 3) */
	KEEL_RING_INFO_A_FETCHABLE,	/* u64: committed, not yet fetched */
	KEEL_RING_INFO_A_UNCOMMITTED,	/* u64: produced, not yet committed */

	__KEEL_RING_INFO_A_MAX,
	KEEL_RING_INFO_A_MAX = __KEEL_RING_INFO_A_MAX - 1
};

/* KEEL_RING_INFO_A_FETCH_STATE */
#define KEEL_RING_FETCH_STATE_NONE	0	/* no engine attached */
#define KEEL_RING_FETCH_STATE_RUNNING	1
#define KEEL_RING_FETCH_STATE_FAILED	2	/* stopped by a send error */

/* KEEL_RING_INFO_A_REPL_STATE */
#define KEEL_RING_REPL_STATE_NONE	0	/* not attached */
#define KEEL_RING_REPL_STATE_RUNNING	1
#define KEEL_RING_REPL_STATE_FAILED	2	/* connection ended or broke */

#endif /* _UAPI_LINUX_KEEL_RING_H */
