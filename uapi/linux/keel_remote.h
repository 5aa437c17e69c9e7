/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * keel_remote wire format: remote I/O between a client host, where a
 * VM's device requests are caught (keel_remote.ko, speaking from inside
 * the kernel), and a server host whose keel-iod handles each request on
 * one of its software devices. See Documentation/remote.rst.
 *
 * The messages travel over one reliable byte stream (TCP, or an AF_UNIX
 * SOCK_STREAM socket). Every message is a struct keel_remote_hdr, then a
 * body of (length - sizeof(struct keel_remote_hdr)) bytes: a fixed
 * struct for its type, for some types followed by data. All integers are
 * little-endian; fields named pad are zero and the receiver refuses a
 * message whose pad is not. Each flags word lists the bits it defines;
 * a receiver refuses any other bit. The body sizes are those of the
 * negotiated version: a struct grows only with a new version, which
 * HELLO negotiates, and the arrays in replies carry their element size.
 *
 * This header is a contract: numbers are never reused or renumbered.
 */
#ifndef _UAPI_LINUX_KEEL_REMOTE_H
#define _UAPI_LINUX_KEEL_REMOTE_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/keel.h>

/* "KRIO" as the first four bytes of every message. */
#define KEEL_REMOTE_MAGIC		0x4f49524bu

/* Protocol versions. HELLO and its reply are the same in all of them. */
#define KEEL_REMOTE_VERSION_1		1
#define KEEL_REMOTE_VERSION		KEEL_REMOTE_VERSION_1

/* Limits. */
#define KEEL_REMOTE_MAX_DATA		1048576u	/* data of a READ or WRITE */
/* Largest message either way, header included. */
#define KEEL_REMOTE_MSG_MAX		(KEEL_REMOTE_MAX_DATA + 4096u)
#define KEEL_REMOTE_SECTOR		512u	/* block offsets and lengths */
#define KEEL_REMOTE_WINDOW		256u	/* request ids, see OPEN */
#define KEEL_REMOTE_MAX_DEVICES		64u	/* entries of a LIST reply */
#define KEEL_REMOTE_NONCE_LEN		32
#define KEEL_REMOTE_MAC_LEN		32	/* HMAC-SHA256 */
#define KEEL_REMOTE_NAME_LEN		32	/* NUL-padded strings below */
#define KEEL_REMOTE_TEXT_LEN		56

/*
 * Message types. A reply has its request's type with
 * KEEL_REMOTE_MSG_REPLY set, or is KEEL_REMOTE_MSG_ERROR; it carries the
 * request's req_id and handle. Bodies, request / reply:
 *
 * HELLO	struct keel_remote_hello / struct keel_remote_hello_reply
 * AUTH		struct keel_remote_auth / struct keel_remote_auth
 * LIST		nothing / struct keel_remote_list_reply, then count
 *		struct keel_remote_dev_desc of desc_size bytes each
 * OPEN		struct keel_remote_open / struct keel_remote_open_reply
 * RESUME	struct keel_remote_resume / struct keel_remote_resume_reply,
 *		then count struct keel_remote_record of rec_size bytes each
 * CLOSE	nothing / nothing (handle in the header)
 * PING		nothing / nothing (the reply is called PONG)
 * READ		struct keel_remote_io / the data read
 * WRITE	struct keel_remote_io and io.len bytes / nothing
 * FLUSH	nothing / nothing
 * ERROR	server to client: struct keel_remote_error
 * SHUTDOWN	server to client, req_id 0, no body: the server stops; it
 *		closes the connection after this and keeps no session
 */
#define KEEL_REMOTE_MSG_HELLO		0x01
#define KEEL_REMOTE_MSG_AUTH		0x02
#define KEEL_REMOTE_MSG_LIST		0x03
#define KEEL_REMOTE_MSG_OPEN		0x04
#define KEEL_REMOTE_MSG_RESUME		0x05
#define KEEL_REMOTE_MSG_CLOSE		0x06
#define KEEL_REMOTE_MSG_PING		0x07
#define KEEL_REMOTE_MSG_READ		0x10
#define KEEL_REMOTE_MSG_WRITE		0x11
#define KEEL_REMOTE_MSG_FLUSH		0x12
#define KEEL_REMOTE_MSG_REPLY		0x80
#define KEEL_REMOTE_MSG_PONG		(KEEL_REMOTE_MSG_PING | KEEL_REMOTE_MSG_REPLY)
#define KEEL_REMOTE_MSG_SHUTDOWN	0xfe
#define KEEL_REMOTE_MSG_ERROR		0xff

/* flags of a WRITE: the data is on stable storage before the reply. */
#define KEEL_REMOTE_WRITE_FUA		0x0001
#define KEEL_REMOTE_WRITE_FLAGS_ALL	KEEL_REMOTE_WRITE_FUA
/* Every other type defines no flags: all must be zero. */

/**
 * struct keel_remote_hdr - the header of every message (32 bytes)
 * @magic: %KEEL_REMOTE_MAGIC.
 * @version: %KEEL_REMOTE_VERSION_1 in HELLO, its reply and an ERROR sent
 *	before a version is agreed; the agreed version in every other
 *	message.
 * @type: KEEL_REMOTE_MSG_*.
 * @flags: the type's flags (KEEL_REMOTE_WRITE_*); zero for other types.
 * @length: bytes of the whole message, header included: at least
 *	sizeof(struct keel_remote_hdr), at most %KEEL_REMOTE_MSG_MAX (or the
 *	hello reply's max_msg, if smaller); from a client not yet
 *	authenticated at most %KEEL_REMOTE_HANDSHAKE_MAX.
 * @handle: READ, WRITE, FLUSH and CLOSE: the device handle OPEN or
 *	RESUME gave on this connection; zero in every other request.
 *	Replies carry the request's.
 * @req_id: chosen by the client, echoed by the reply. In READ, WRITE and
 *	FLUSH it is the session's request id (see struct keel_remote_open);
 *	elsewhere any value. Zero in SHUTDOWN.
 * @status: zero in requests; in replies zero, or a KEEL_REMOTE_E* code
 *	(ERROR, a refused HELLO).
 * @pad: zero.
 */
struct keel_remote_hdr {
	__le32 magic;
	__u8 version;
	__u8 type;
	__le16 flags;
	__le32 length;
	__le32 handle;
	__le64 req_id;
	__le32 status;
	__le32 pad;
};

/*
 * Error codes (hdr.status and struct keel_remote_error.code): Linux
 * errno numbers, so a kernel client returns -code as it is.
 */
#define KEEL_REMOTE_ENOENT		2	/* RESUME: unknown session */
#define KEEL_REMOTE_EIO			5	/* the backing store failed */
#define KEEL_REMOTE_EBADF		9	/* unknown or closed handle */
#define KEEL_REMOTE_EACCES		13	/* authentication failed */
#define KEEL_REMOTE_EBUSY		16	/* OPEN: device taken */
#define KEEL_REMOTE_ENODEV		19	/* OPEN: no device matches */
#define KEEL_REMOTE_EINVAL		22	/* bad field, pad or flag */
#define KEEL_REMOTE_EMFILE		24	/* handles or sessions used up */
#define KEEL_REMOTE_EROFS		30	/* WRITE to a read-only device */
#define KEEL_REMOTE_ERANGE		34	/* beyond the device's capacity */
#define KEEL_REMOTE_EBADRQC		56	/* unknown message type */
#define KEEL_REMOTE_EPROTO		71	/* message out of place */
#define KEEL_REMOTE_EBADMSG		74	/* bad magic, length or body size */
#define KEEL_REMOTE_EMSGSIZE		90	/* message or data too long */
#define KEEL_REMOTE_EPROTONOSUPPORT	93	/* HELLO: no common version */
#define KEEL_REMOTE_EOPNOTSUPP		95	/* not for this device */
#define KEEL_REMOTE_ESHUTDOWN		108	/* the server is stopping */
#define KEEL_REMOTE_ESTALE		116	/* req_id behind the window */

/* HELLO features: none defined in version 1; offered bits are ignored. */
#define KEEL_REMOTE_HELLO_F_ALL		0u

/**
 * struct keel_remote_hello - HELLO, the client's first message
 * @version_min: lowest protocol version the client speaks (>= 1).
 * @version_max: highest (>= @version_min).
 * @features: KEEL_REMOTE_HELLO_F_* the client offers.
 * @nonce: %KEEL_REMOTE_NONCE_LEN random bytes, new for each connection.
 * @name: the client's name for the server's log: printable ASCII,
 *	NUL-padded, at least one NUL.
 */
struct keel_remote_hello {
	__le16 version_min;
	__le16 version_max;
	__le32 features;
	__u8 nonce[KEEL_REMOTE_NONCE_LEN];
	char name[KEEL_REMOTE_NAME_LEN];
};

/**
 * struct keel_remote_hello_reply - the reply to HELLO
 * @version: the highest version both speak. Zero, with hdr.status
 *	%KEEL_REMOTE_EPROTONOSUPPORT, when there is none; the server then
 *	closes the connection.
 * @version_min: lowest version the server speaks.
 * @version_max: highest.
 * @pad0: zero.
 * @features: the offered HELLO features the server also supports.
 * @keepalive_ms: the server closes a connection on which nothing has
 *	arrived for this long; the client sends PING when it has sent
 *	nothing for a third of it.
 * @max_msg: largest message the server accepts, header included.
 * @linger_ms: how long a session outlives its last connection.
 * @nonce: the server's %KEEL_REMOTE_NONCE_LEN random bytes.
 * @name: the server's name, as &struct keel_remote_hello.name.
 */
struct keel_remote_hello_reply {
	__le16 version;
	__le16 version_min;
	__le16 version_max;
	__le16 pad0;
	__le32 features;
	__le32 keepalive_ms;
	__le32 max_msg;
	__le32 linger_ms;
	__u8 nonce[KEEL_REMOTE_NONCE_LEN];
	char name[KEEL_REMOTE_NAME_LEN];
};

/* The longest message before AUTH succeeded: a HELLO. */
#define KEEL_REMOTE_HANDSHAKE_MAX	(sizeof(struct keel_remote_hdr) + \
					 sizeof(struct keel_remote_hello))

/*
 * The labels that open the two proofs (without a NUL): each side proves
 * it holds the shared key with HMAC-SHA256(key, label || the HELLO
 * message || the HELLO reply message), both messages header included
 * and exactly as sent.
 */
#define KEEL_REMOTE_AUTH_CLIENT		"keel-remote client proof"
#define KEEL_REMOTE_AUTH_SERVER		"keel-remote server proof"

/**
 * struct keel_remote_auth - AUTH and its reply
 * @mac: the client's proof (request) or the server's (reply). The server
 *	replies only to a correct client proof; the client trusts the
 *	server only once the server's proof is correct.
 */
struct keel_remote_auth {
	__u8 mac[KEEL_REMOTE_MAC_LEN];
};

/* struct keel_remote_dev_desc type */
#define KEEL_REMOTE_DEV_BLOCK		1	/* disk: sectors of 512 bytes */
#define KEEL_REMOTE_DEV_CONSOLE		2	/* byte stream in and out */
#define KEEL_REMOTE_DEV_ENTROPY		3	/* random bytes */

/* Device features (struct keel_remote_dev_desc, struct keel_remote_open). */
#define KEEL_REMOTE_FEAT_READ		0x1ull	/* READ */
#define KEEL_REMOTE_FEAT_WRITE		0x2ull	/* WRITE */
#define KEEL_REMOTE_FEAT_FLUSH		0x4ull	/* FLUSH */
#define KEEL_REMOTE_FEAT_FUA		0x8ull	/* KEEL_REMOTE_WRITE_FUA */
#define KEEL_REMOTE_FEAT_ALL		0xfull

/**
 * struct keel_remote_dev_desc - one software device, as the hardware
 *	device it stands for
 * @id: the server's number for it, from 1, stable while the server runs.
 * @type: KEEL_REMOTE_DEV_*.
 * @pad0: zero.
 * @features: KEEL_REMOTE_FEAT_*.
 * @capacity: bytes, a multiple of @block_size (block); zero otherwise.
 * @block_size: %KEEL_REMOTE_SECTOR (block); zero otherwise.
 * @max_data: the largest READ or WRITE data it takes.
 * @model: the hardware model it stands for ("virtio-blk"), NUL-padded.
 * @name: the server's name for it, unique on the server, NUL-padded.
 */
struct keel_remote_dev_desc {
	__le32 id;
	__le16 type;
	__le16 pad0;
	__le64 features;
	__le64 capacity;
	__le32 block_size;
	__le32 max_data;
	char model[KEEL_REMOTE_NAME_LEN];
	char name[KEEL_REMOTE_NAME_LEN];
};

/**
 * struct keel_remote_list_reply - the reply to LIST (discovery)
 * @count: descriptions that follow, at most %KEEL_REMOTE_MAX_DEVICES.
 * @desc_size: bytes of each, sizeof(struct keel_remote_dev_desc).
 */
struct keel_remote_list_reply {
	__le32 count;
	__le32 desc_size;
};

/*
 * struct keel_remote_error detail for an OPEN refused with
 * KEEL_REMOTE_ENODEV: the rule that left no device (they apply in
 * this order).
 */
#define KEEL_REMOTE_OPEN_NO_NAME	1	/* no device of that name */
#define KEEL_REMOTE_OPEN_NO_TYPE	2	/* none of that type */
#define KEEL_REMOTE_OPEN_NO_MODEL	3	/* none of that model */
#define KEEL_REMOTE_OPEN_NO_FEATURES	4	/* none with every feature */
#define KEEL_REMOTE_OPEN_NO_CAPACITY	5	/* none large enough */

/**
 * struct keel_remote_open - OPEN: the hardware device the client needs
 * @type: KEEL_REMOTE_DEV_*.
 * @pad0: zero.
 * @pad1: zero.
 * @features: KEEL_REMOTE_FEAT_* the device must have.
 * @min_capacity: bytes the device must hold at least.
 * @model: the model it must stand for; empty: any.
 * @name: the server's name of the device it must be; empty: any. A
 *	client that opens again after a server restart names the device
 *	it had, so that it gets the same one.
 *
 * The server picks, among the devices that pass every rule, the one with
 * the smallest capacity, then the fewest features, then the lowest id.
 * A device of type console allows one session at a time (EBUSY).
 */
struct keel_remote_open {
	__le16 type;
	__le16 pad0;
	__le32 pad1;
	__le64 features;
	__le64 min_capacity;
	char model[KEEL_REMOTE_NAME_LEN];
	char name[KEEL_REMOTE_NAME_LEN];
};

/**
 * struct keel_remote_open_reply - the reply to OPEN
 * @session: the new session's id: random, never zero. Valid on any
 *	authenticated connection to this server process (RESUME) until
 *	CLOSE, or until it has had no connection for linger_ms.
 * @handle: the session's handle on this connection, for hdr.handle.
 * @window: %KEEL_REMOTE_WINDOW. The client numbers the session's READ,
 *	WRITE and FLUSH requests 1, 2, 3, ... in the order it issues them,
 *	whatever the connection, and issues id N only once it has the reply
 *	of every id up to N - window. The server then keeps the result of
 *	every WRITE and FLUSH a client may still replay, and refuses an id
 *	at or below (highest id seen - window) with %KEEL_REMOTE_ESTALE.
 * @dev: the device chosen.
 */
struct keel_remote_open_reply {
	__le64 session;
	__le32 handle;
	__le32 window;
	struct keel_remote_dev_desc dev;
};

/**
 * struct keel_remote_resume - RESUME: attach a session to this connection
 * @session: its id from OPEN. %KEEL_REMOTE_ENOENT if this server process
 *	does not know it (closed, expired, or the server restarted).
 */
struct keel_remote_resume {
	__le64 session;
};

/**
 * struct keel_remote_record - the result of a completed WRITE or FLUSH
 * @req_id: its request id.
 * @status: 0 or the KEEL_REMOTE_E* code it was answered with.
 * @type: %KEEL_REMOTE_MSG_WRITE or %KEEL_REMOTE_MSG_FLUSH.
 * @pad: zero.
 */
struct keel_remote_record {
	__le64 req_id;
	__le32 status;
	__u8 type;
	__u8 pad[3];
};

/**
 * struct keel_remote_resume_reply - the reply to RESUME
 * @session: the session.
 * @handle: its new handle on this connection (older handles on other
 *	connections stay valid).
 * @window: as in &struct keel_remote_open_reply.
 * @last_id: the highest request id the session has seen; 0 for none.
 * @count: records that follow: every WRITE and FLUSH of the window that
 *	completed, in no particular order. One of the client's that is not
 *	among them has not been applied (yet: a copy may still wait on a
 *	connection the server has not read): send it again. Sending a
 *	completed one again is safe too: it is answered from its record and
 *	not applied a second time, and so is a late copy of a replayed one.
 * @rec_size: bytes of each, sizeof(struct keel_remote_record).
 * @dev: the session's device.
 */
struct keel_remote_resume_reply {
	__le64 session;
	__le32 handle;
	__le32 window;
	__le64 last_id;
	__le32 count;
	__le32 rec_size;
	struct keel_remote_dev_desc dev;
};

/**
 * struct keel_remote_io - READ and WRITE
 * @offset: block: the byte offset, a multiple of %KEEL_REMOTE_SECTOR;
 *	console and entropy: zero.
 * @len: bytes, 1 to the device's max_data; block: a multiple of
 *	%KEEL_REMOTE_SECTOR, with offset + len at most the capacity. A WRITE
 *	carries exactly @len bytes of data after this struct. A READ's
 *	reply carries @len bytes (block, entropy), or the console input
 *	waiting now, 0 to @len bytes.
 * @pad: zero.
 */
struct keel_remote_io {
	__le64 offset;
	__le32 len;
	__le32 pad;
};

/**
 * struct keel_remote_error - ERROR: a request refused or failed
 * @code: KEEL_REMOTE_E*, the same as hdr.status.
 * @req_type: the type of the message refused (zero if not known).
 * @pad0: zero.
 * @detail: for @req_type OPEN with %KEEL_REMOTE_ENODEV, the
 *	KEEL_REMOTE_OPEN_NO_* rule; zero otherwise.
 * @text: the reason in English for a log, NUL-padded; never parsed.
 */
struct keel_remote_error {
	__le32 code;
	__u8 req_type;
	__u8 pad0;
	__le16 detail;
	char text[KEEL_REMOTE_TEXT_LEN];
};

/*
 * The client module, keel_remote.ko: /dev/keel-remote.
 *
 * Each open file is one remote device of a VM: a guest-visible interface
 * whose accesses are caught in the host kernel on the vCPU thread (the
 * core's claimed guest I/O, as keel_vdev's), and whose requests the
 * module forwards, as the READ, WRITE and FLUSH messages above, over a
 * connection to the keel-iod serving the device. Userspace makes the
 * connection and the session (HELLO, AUTH, OPEN: the key never enters
 * the kernel) and hands the connected stream socket to the module with
 * the session's parameters; after a lost connection it makes a new one
 * (HELLO, AUTH, RESUME) and hands that over with KEEL_REMOTE_IOC_CONNECT,
 * and the module sends every request that has no reply again. The device
 * file is readable (poll EPOLLIN) while the device has no connection.
 *
 * The device is listed in the "keel" netlink family as an object of type
 * "remote"; its KEEL_OBJ_A_INFO nest carries enum keel_remote_info_attr.
 */
#define KEEL_REMOTE_DEVICE		"/dev/keel-remote"

/*
 * Guest-visible interfaces. VIRTIO_BLK: a virtio block device on the
 * virtio-mmio transport, version 2 (virtio 1.x), one request queue, on
 * KEEL_REMOTE_MMIO_SIZE bytes of MMIO; Linux finds it with
 * virtio_mmio.device=512@<base>:<irq> or an ACPI device LNRO0005 (QEMU's
 * microvm describes each transport that has a device so). Needs a block
 * session.
 */
#define KEEL_REMOTE_IF_VIRTIO_BLK	1
/*
 * VIRTIO_RNG: a virtio entropy device (virtio device id 4) on the same
 * transport, one request queue, the only feature VIRTIO_F_VERSION_1, no
 * configuration space; Linux's virtio_rng driver makes it a hw_random
 * source (/dev/hwrng). Each chain the driver makes available is
 * device-writable buffers only and becomes one READ (offset 0, the
 * chain's bytes up to max_data); the used entry gives the bytes written.
 * Needs an entropy session (OPEN of type KEEL_REMOTE_DEV_ENTROPY).
 */
#define KEEL_REMOTE_IF_VIRTIO_RNG	2
#define KEEL_REMOTE_MMIO_SIZE		0x200

/* flags of struct keel_remote_setup */
/*
 * Keel binds irq_fd to GSI gsi of the VM itself, in the VM's own context,
 * as the VMM's KVM_IRQFD would (for a VMM that knows nothing of Keel).
 * Without it irq_fd is an eventfd the VMM already bound with KVM_IRQFD.
 */
#define KEEL_REMOTE_SETUP_GSI		0x1u
/*
 * The device is read-only: the guest sees VIRTIO_BLK_F_RO. VIRTIO_BLK
 * only (EINVAL with another interface).
 */
#define KEEL_REMOTE_SETUP_RO		0x2u
/*
 * The interrupt is level-triggered, as virtio-mmio's is: high while
 * InterruptStatus is not zero. irq_fd and resample_fd are a KVM_IRQFD
 * with KVM_IRQFD_FLAG_RESAMPLE (bound by Keel with
 * %KEEL_REMOTE_SETUP_GSI); the device asserts again after the guest's EOI
 * while the status stays set. Without it the interrupt is an edge per
 * event, and resample_fd must be zero.
 */
#define KEEL_REMOTE_SETUP_LEVEL		0x4u
#define KEEL_REMOTE_SETUP_FLAGS_ALL	(KEEL_REMOTE_SETUP_GSI | \
					 KEEL_REMOTE_SETUP_RO | \
					 KEEL_REMOTE_SETUP_LEVEL)

/**
 * struct keel_remote_setup - KEEL_REMOTE_IOC_SETUP: make the device
 * @size: sizeof(struct keel_remote_setup).
 * @flags: KEEL_REMOTE_SETUP_*.
 * @vm_fd: a KVM VM fd.
 * @iface: KEEL_REMOTE_IF_*.
 * @base: the guest-physical address of the interface's MMIO range,
 *	KEEL_REMOTE_MMIO_SIZE bytes, 4 KiB-aligned.
 * @irq_fd: the eventfd that raises the device's interrupt (edge, or
 *	level with %KEEL_REMOTE_SETUP_LEVEL).
 * @gsi: with %KEEL_REMOTE_SETUP_GSI.
 * @sock_fd: a connected stream socket (TCP or AF_UNIX) on which the
 *	session was opened; the module takes a reference and uses it alone
 *	from now on. EINVAL for another kind of file, ENOTCONN for a
 *	socket that is not connected.
 * @handle: the session's handle on that connection (OPEN's reply).
 * @session: the session id (OPEN's reply), not zero.
 * @next_id: the request id the module gives its first request: 1 for a
 *	session just opened.
 * @capacity: VIRTIO_BLK: bytes of the device (OPEN's reply:
 *	dev.capacity), a multiple of 512, not zero. VIRTIO_RNG: zero (an
 *	entropy device has no capacity).
 * @max_data: the most bytes of one READ or WRITE the server takes
 *	(dev.max_data), at least 4096, at most %KEEL_REMOTE_MAX_DATA.
 * @window: OPEN's window: the module keeps at most this many requests
 *	without a reply; 1 to %KEEL_REMOTE_WINDOW.
 * @keepalive_ms: the HELLO reply's: the module sends PING after a third
 *	of it without sending; 0: never.
 * @id: out: the object id.
 * @pad: zero.
 * @resample_fd: with %KEEL_REMOTE_SETUP_LEVEL, the irqfd's resample
 *	eventfd; zero otherwise.
 * @label: NUL-terminated, printable: the object's label.
 *
 * All or nothing, once per file. The device starts stopped: the guest's
 * accesses to the range exit to the VMM until KEEL_REMOTE_IOC_START.
 */
struct keel_remote_setup {
	__u32 size;
	__u32 flags;
	__s32 vm_fd;
	__u32 iface;
	__u64 base;
	__s32 irq_fd;
	__u32 gsi;
	__s32 sock_fd;
	__u32 handle;
	__u64 session;
	__u64 next_id;
	__u64 capacity;
	__u32 max_data;
	__u32 window;
	__u32 keepalive_ms;
	__u32 id;
	__u32 pad;
	__s32 resample_fd;
	char label[KEEL_NAME_MAX];
};

/*
 * flags of struct keel_remote_connect: the connection carries a new
 * session of the same device, because the old one is gone (the server
 * restarted: RESUME answered ENOENT, and OPEN named the device). The
 * module then numbers the requests it sends again from @next_id.
 */
#define KEEL_REMOTE_CONNECT_NEW_SESSION	0x1u
#define KEEL_REMOTE_CONNECT_FLAGS_ALL	KEEL_REMOTE_CONNECT_NEW_SESSION

/**
 * struct keel_remote_connect - KEEL_REMOTE_IOC_CONNECT: a new connection
 * @size: sizeof(struct keel_remote_connect).
 * @flags: KEEL_REMOTE_CONNECT_*.
 * @sock_fd: a connected stream socket on which the session was resumed
 *	(RESUME) or, with %KEEL_REMOTE_CONNECT_NEW_SESSION, opened (OPEN).
 * @handle: the session's handle on it.
 * @session: the device's session id (EINVAL for another); with
 *	%KEEL_REMOTE_CONNECT_NEW_SESSION the new session's id, not zero.
 * @next_id: with %KEEL_REMOTE_CONNECT_NEW_SESSION, the id of the first
 *	request on the new session (1); zero otherwise.
 * @capacity: with %KEEL_REMOTE_CONNECT_NEW_SESSION the new session's
 *	device capacity, which must be the device's (EINVAL otherwise); zero
 *	otherwise.
 * @window: with %KEEL_REMOTE_CONNECT_NEW_SESSION the new session's
 *	window, 1 to %KEEL_REMOTE_WINDOW; zero otherwise.
 * @pad: zero.
 *
 * Replaces the device's connection, lost or not (a lost one is what it is
 * for). The module sends every request without a reply again on the new
 * one, in id order: on a resumed session with its own id, and the server
 * answers those it completed from its records without applying them
 * twice; on a new session renumbered (block writes are idempotent by
 * offset and data: Documentation/remote.rst, "Server restarts").
 */
struct keel_remote_connect {
	__u32 size;
	__u32 flags;
	__s32 sock_fd;
	__u32 handle;
	__u64 session;
	__u64 next_id;
	__u64 capacity;
	__u32 window;
	__u32 pad;
};

#define KEEL_REMOTE_IOC_SETUP	_IOWR(KEEL_IOC_MAGIC, 0x70, struct keel_remote_setup)
/* Handle the guest's accesses in the kernel (idempotent). */
#define KEEL_REMOTE_IOC_START	_IO(KEEL_IOC_MAGIC, 0x71)
/* Stop (idempotent): the guest's accesses exit to the VMM again. */
#define KEEL_REMOTE_IOC_STOP	_IO(KEEL_IOC_MAGIC, 0x72)
#define KEEL_REMOTE_IOC_CONNECT	_IOW(KEEL_IOC_MAGIC, 0x73, struct keel_remote_connect)

/* KEEL_OBJ_A_INFO of a "remote" object. */
enum keel_remote_info_attr {
	KEEL_REMOTE_INFO_A_UNSPEC,
	KEEL_REMOTE_INFO_A_PAD,
	KEEL_REMOTE_INFO_A_IFACE,	/* u32: KEEL_REMOTE_IF_* */
	KEEL_REMOTE_INFO_A_BASE,	/* u64 */
	KEEL_REMOTE_INFO_A_STARTED,	/* u8 */
	KEEL_REMOTE_INFO_A_CONNECTED,	/* u8 */
	KEEL_REMOTE_INFO_A_SESSION,	/* u64 */
	KEEL_REMOTE_INFO_A_CAPACITY,	/* u64: bytes */
	KEEL_REMOTE_INFO_A_REQUESTS,	/* u64: guest requests completed */
	KEEL_REMOTE_INFO_A_READS,	/* u64 */
	KEEL_REMOTE_INFO_A_WRITES,	/* u64 */
	KEEL_REMOTE_INFO_A_FLUSHES,	/* u64 */
	KEEL_REMOTE_INFO_A_BYTES_READ,	/* u64 */
	KEEL_REMOTE_INFO_A_BYTES_WRITTEN, /* u64 */
	KEEL_REMOTE_INFO_A_ERRORS,	/* u64: requests completed with an error */
	KEEL_REMOTE_INFO_A_IN_FLIGHT,	/* u32: sent, no reply yet */
	KEEL_REMOTE_INFO_A_RECONNECTS,	/* u64: KEEL_REMOTE_IOC_CONNECT calls */
	KEEL_REMOTE_INFO_A_REPLAYS,	/* u64: requests sent again */
	KEEL_REMOTE_INFO_A_DISCONNECTS,	/* u64: connections lost */
	KEEL_REMOTE_INFO_A_BAD_REPLIES,	/* u64: replies refused */
	KEEL_REMOTE_INFO_A_BAD_DESCS,	/* u64: malformed guest requests */
	KEEL_REMOTE_INFO_A_LAT_AVG_NS,	/* u64: request to reply, average */
	KEEL_REMOTE_INFO_A_LAT_MAX_NS,	/* u64 */
	KEEL_REMOTE_INFO_A_IRQS,	/* u64: interrupts signalled */
	KEEL_REMOTE_INFO_A_BAD_ACCESSES, /* u64: guest MMIO accesses ignored */

	__KEEL_REMOTE_INFO_A_MAX,
	KEEL_REMOTE_INFO_A_MAX = __KEEL_REMOTE_INFO_A_MAX - 1
};

/*
 * The state blob type of a "remote" object (linux/keel_state.h numbers
 * them): such a device's state is its server session, so SAVE fails with
 * EOPNOTSUPP and LOAD and SWAP are refused.
 */
#define KEEL_STATE_TYPE_REMOTE		5

#endif /* _UAPI_LINUX_KEEL_REMOTE_H */
