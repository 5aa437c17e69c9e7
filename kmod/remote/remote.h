/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between the files of keel_remote.ko: one remote
 * virtio device per open /dev/keel-remote (dev.c), its virtio-mmio
 * registers (mmio.c), its split virtqueue in guest memory (vq.c), the
 * worker that turns guest requests into messages (blk.c), what differs
 * between the guest-visible interfaces (struct keel_remote_iface: the
 * virtio-blk one in blk.c, the virtio-rng one in rng.c), the connection
 * and its receiver (conn.c) and its info (stats.c).
 *
 * Threads and locks of a device:
 *
 * - the vCPU thread runs mmio.c's access() under RCU: it takes only
 *   @mmio_lock and wakes the worker;
 * - the worker (blk.c, "keel-remote-<id>") runs while the device is
 *   RUNNING, in the VMM's mm: it reads and writes guest memory (each
 *   round under @vq_mutex) and alone sends on the connection (under
 *   @tx_mutex);
 * - the receiver (conn.c, "keel-remote-<id>-rx") runs while there is a
 *   connection, once the device was first started: it alone reads the
 *   connection and moves requests from SENT to DONE, and when nothing
 *   else is at the server it gives the replies to the guest itself
 *   (under @vq_mutex, taken only if free) instead of waking the worker;
 * - ioctls and state ops serialise on @ctl_lock (after the framework's
 *   state mutex).
 */
#ifndef _KEEL_REMOTE_INTERNAL_H
#define _KEEL_REMOTE_INTERNAL_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/kvm_host.h>
#include <linux/virtio_blk.h>
#include <keel/core.h>
#include <keel/io_claim.h>
#include <linux/keel_remote.h>

/* The queue the guest may ask for, and the bytes of one segment. */
#define KEEL_REMOTE_QUEUE_MAX		256u
#define KEEL_REMOTE_SEG_SIZE		4096u

extern struct keel_feature keel_remote_feature;
extern const struct keel_object_type keel_remote_obj_type;

/* One guest buffer: a descriptor's range of guest-physical memory. */
struct keel_remote_seg {
	u64 gpa;
	u32 len;
	bool write;		/* device-writable */
};

/* Request slot states, under &keel_remote.req_lock. */
enum keel_remote_req_state {
	KEEL_REMOTE_REQ_FREE,
	KEEL_REMOTE_REQ_SENT,	/* has an id, no reply yet */
	KEEL_REMOTE_REQ_DONE,	/* reply in, not yet given to the guest */
};

/*
 * One request with an id: slot (id % window) of &keel_remote.reqs. The
 * worker fills it while FREE; once DONE it is the holder's of
 * &keel_remote.vq_mutex (the worker, or the receiver completing); @state,
 * @need_send and @vstatus change under &keel_remote.req_lock. @buf holds
 * a WRITE's data (read by the worker's sends) or a READ's reply (written
 * by the receiver while SENT).
 */
struct keel_remote_req {
	u64 id;
	u32 gen;		/* &keel_remote_mmio.gen at submit */
	u16 head;		/* the chain's head descriptor */
	u8 type;		/* KEEL_REMOTE_MSG_READ, _WRITE, _FLUSH */
	u8 state;		/* enum keel_remote_req_state */
	bool need_send;		/* to be sent (again) on the connection */
	bool sent_once;		/* worker only: a send is a replay */
	u8 vstatus;		/* VIRTIO_BLK_S_* once DONE (every iface) */
	u64 offset;
	u32 len;
	u64 status_gpa;		/* virtio-blk: the status byte */
	u32 nr_segs;		/* a READ's writable data segments */
	struct keel_remote_seg *segs;	/* up to &keel_remote.seg_cap */
	void *buf;
	size_t buf_cap;
	u64 sent_ns;
};

/*
 * The virtio-mmio registers (mmio.c), under &keel_remote.mmio_lock. The
 * queue is queue 0, the only one.
 */
struct keel_remote_mmio {
	u32 status;
	u32 dev_feat_sel;
	u32 drv_feat_sel;
	u64 drv_features;
	u32 queue_sel;
	u32 isr;
	u32 config_gen;
	u32 q_num;
	bool q_ready;
	u64 q_desc, q_avail, q_used;
	u32 gen;		/* bumped by every device reset */
	u64 bad_accesses;	/* ignored: unknown, unaligned, out of place */
};

/* The worker's copy of the queue while it runs (vq.c). */
struct keel_remote_vq {
	u32 gen;
	bool live;		/* DRIVER_OK, queue ready, no NEEDS_RESET */
	u32 num;
	u64 desc, avail, used;
	u16 last_avail;
	u16 used_idx;
	bool completed;		/* used entries since the last interrupt */
};

/* Counters, under &keel_remote.req_lock. */
struct keel_remote_counts {
	u64 requests, reads, writes, flushes;
	u64 bytes_read, bytes_written, errors;
	u64 reconnects, replays, disconnects;
	u64 bad_replies, bad_descs;
	u64 lat_sum_ns, lat_count, lat_max_ns;
};

struct keel_remote;

/* What a chain became (struct keel_remote_iface.parse). */
enum {
	KEEL_REMOTE_CHAIN_SENT,		/* a request with an id */
	KEEL_REMOTE_CHAIN_LOCAL,	/* completed here */
};

/**
 * struct keel_remote_iface - what differs between guest-visible interfaces
 * @device_id: the virtio device id (VIRTIO_ID_*).
 * @parse: turn the chain at @head (@nr descriptors in
 *	&keel_remote.chain) into the READ, WRITE or FLUSH request @r (its
 *	type, offset, len, segments, buffer), or complete it here. Returns
 *	%KEEL_REMOTE_CHAIN_SENT or %KEEL_REMOTE_CHAIN_LOCAL, or a negative
 *	errno (after keel_remote_fault()): the queue is broken, or the
 *	worker stops, and the chain stays available. Nothing malformed may
 *	become a request.
 * @complete: give the DONE request @r (of the current queue) back to the
 *	guest: its data, its status, its used entry. 0, or a negative errno
 *	after keel_remote_fault() (-EINTR: the worker stops).
 *
 * @parse runs on the worker, @complete on the worker or the receiver;
 * both in the VMM's mm with &keel_remote.vq_mutex held.
 */
struct keel_remote_iface {
	u32 device_id;
	int (*parse)(struct keel_remote *rd, u16 head, u32 nr,
		     struct keel_remote_req *r);
	int (*complete)(struct keel_remote *rd, struct keel_remote_req *r);
};

extern const struct keel_remote_iface keel_remote_iface_blk;
extern const struct keel_remote_iface keel_remote_iface_rng;

/* One open /dev/keel-remote file, on the core's feature base. */
struct keel_remote {
	struct keel_inst inst;

	/* Set by setup, constant afterwards. */
	u64 base;
	u32 iface;
	const struct keel_remote_iface *ops;	/* @iface's */
	u64 capacity;		/* bytes; 0 for virtio-rng */
	u32 max_data;
	u32 window;
	u32 keepalive_ms;
	u64 features;		/* offered to the guest */
	u32 seg_max;		/* data segments of one request */
	u32 seg_cap;		/* entries of each &keel_remote_req.segs */
	u8 config[sizeof(struct virtio_blk_config)];	/* little-endian */
	u32 config_len;		/* bytes of @config the guest sees */
	char id_str[VIRTIO_BLK_ID_BYTES];	/* GET_ID: the label */

	struct keel_io_claim claim;	/* mmio.c */
	struct keel_irq_line irq;	/* its own lock */
	/* Set by setup: @irq is level-triggered (high while mmio.isr). */
	bool irq_level;

	/* The registers; taken on the vCPU thread, interrupts off. */
	spinlock_t mmio_lock;
	struct keel_remote_mmio mmio;

	struct keel_thread worker;
	/*
	 * @vq_mutex is held by whoever uses the queue: @vq, @chain, the
	 * DONE slots' completion (DONE to FREE, @tail_id's move) and the
	 * renumbering. The worker holds it for each round; the receiver
	 * completes under it only when it is free and @running is set.
	 */
	struct mutex vq_mutex;
	bool running;		/* RUNNING: the receiver may complete */
	struct keel_remote_vq vq;
	struct keel_remote_seg *chain;	/* KEEL_REMOTE_QUEUE_MAX entries */
	/* Anything for the worker: notify, reply, connection. */
	atomic_t wake;

	/*
	 * @req_lock protects the slots' states, @next_id, @tail_id,
	 * @connected, @session, @handle, @renumber_to, @ping_out and @c.
	 * Not taken on the vCPU path.
	 */
	spinlock_t req_lock;
	struct keel_remote_req *reqs;	/* @window slots */
	struct keel_remote_seg *segs;	/* their segments */
	u64 next_id;		/* the id of the next request */
	u64 tail_id;		/* the lowest id whose slot is not free */
	bool connected;
	u64 session;		/* changed by a CONNECT with a new session */
	u32 handle;
	/*
	 * A CONNECT with a new session: the first id on it, for the worker
	 * to renumber the requests without a reply from (it owns the free
	 * and done slots); 0 for none.
	 */
	u64 renumber_to;
	bool ping_out;		/* a PING without PONG */
	unsigned long last_tx;	/* jiffies of the last send (worker) */
	unsigned long last_rx;	/* jiffies of the last message in */
	struct keel_remote_counts c;

	/*
	 * The connection: replaced only under @ctl_lock with the receiver
	 * stopped and @tx_mutex held, so each thread reads it unlocked.
	 */
	struct keel_sink sink;
	struct mutex tx_mutex;	/* one sender; held across each send */
	struct keel_thread rx;
	wait_queue_head_t poll_wq;	/* EPOLLIN while not connected */

	/* Serialises START, STOP, CONNECT and teardown. */
	struct mutex ctl_lock;
};

static inline struct keel_remote *keel_remote_of(struct keel_inst *inst)
{
	return container_of(inst, struct keel_remote, inst);
}

/* mmio.c */
int keel_remote_claim(struct keel_remote *rd);
void keel_remote_mmio_reset(struct keel_remote *rd);
void keel_remote_needs_reset(struct keel_remote *rd);
void keel_remote_isr_raise(struct keel_remote *rd, u32 bits);
void keel_remote_kick(struct keel_remote *rd);

/* vq.c */
int keel_remote_guest_read(struct keel_remote *rd, u64 gpa, void *buf,
			   u32 len);
int keel_remote_guest_write(struct keel_remote *rd, u64 gpa,
			    const void *buf, u32 len);
bool keel_remote_guest_writable(struct keel_remote *rd, u64 gpa, u32 len);
void keel_remote_vq_sync(struct keel_remote *rd);
int keel_remote_vq_pop(struct keel_remote *rd, u16 *head);
int keel_remote_vq_chain(struct keel_remote *rd, u16 head, u32 *nr);
int keel_remote_vq_push(struct keel_remote *rd, u16 head, u32 len);
void keel_remote_vq_notify(struct keel_remote *rd);

/* blk.c */
int keel_remote_worker(struct keel_thread *t);
void keel_remote_rx_complete(struct keel_remote *rd);
int keel_remote_fault(struct keel_remote *rd, int err);
int keel_remote_scatter(struct keel_remote *rd,
			const struct keel_remote_seg *segs, u32 nr,
			const u8 *src, u32 len);
int keel_remote_buf(struct keel_remote_req *r, u32 len);
void keel_remote_count_done(struct keel_remote *rd, u8 type, u32 len,
			    u8 vstatus);
void keel_remote_bad_desc(struct keel_remote *rd);

/* conn.c */
int keel_remote_sock_get(struct keel_sink *s, int fd);
int keel_remote_send_req(struct keel_remote *rd, struct keel_remote_req *r);
int keel_remote_send_ping(struct keel_remote *rd);
void keel_remote_conn_lost(struct keel_remote *rd, bool count);
int keel_remote_rx_start(struct keel_remote *rd);
long keel_remote_connect(struct keel_inst *inst, unsigned int cmd,
			 void __user *uarg);

#endif /* _KEEL_REMOTE_INTERNAL_H */
