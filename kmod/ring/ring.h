/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between the files of keel_ring.ko: one ring, its
 * locking and the functions that move its indices.
 */
#ifndef _KEEL_RING_INTERNAL_H
#define _KEEL_RING_INTERNAL_H

#include <linux/types.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/poll.h>
#include <keel/core.h>
#include <linux/keel_ring.h>

#include "idx.h"

extern struct keel_feature keel_ring_feature;
extern const struct keel_object_type keel_ring_obj_type;

/* Counters reported over netlink; under keel_ring.lock. */
struct keel_ring_stats {
	u64 produced;		/* entries the buffer tail passed */
	u64 committed;		/* entries the outgoing tail passed */
	u64 fetched;		/* entries the head passed */
	u64 bytes_in;		/* payload written with write() */
	u64 bytes_out;		/* payload the kernel fetched */
	u64 full_ns;		/* time seen full, closed intervals */
	u64 full_since;		/* ktime_get_ns() when it became full, or 0 */
	u64 bad_index;		/* hostile index values ignored */
	u64 bad_entry;		/* entries dropped for a bad length */
};

/*
 * A shared area (area.c): pages charged to the memcg of the process that
 * set the ring up, the kernel's view of them (@addr, vmap) and, through
 * ->mmap, userspace's. Written by setup, constant after.
 */
struct keel_ring_area {
	void *addr;
	struct page **pages;
	unsigned long nr_pages;
};

/*
 * One open /dev/keel-ring file, on the core's feature base (@inst: its
 * object, state, setup lock and ready flag).
 *
 * Lifetime: allocated in open, freed in release. The file's release only
 * runs when no mapping is left (every VMA holds the file), so the areas
 * are never freed under a mapping. The open file pins the module.
 */
struct keel_ring {
	struct keel_inst inst;

	/* Written by setup before the instance is ready, constant after. */
	u32 slot_size;
	u32 flags;			/* KEEL_RING_SETUP_* */
	struct keel_ring_ctrl *ctrl;	/* ctrl_area.addr */
	void *slots;			/* slots_area.addr */
	size_t ctrl_size, slots_size;
	struct keel_ring_area ctrl_area, slots_area;
	struct keel_ring_user *user;	/* charged with this ring (user.c) */
	struct eventfd_ctx *event;	/* or NULL */

	/*
	 * read() and write() hold @gate for reading from the moment they
	 * found an entry or a slot (with @stopped clear) until the index
	 * moved; STOP sets @stopped, then takes @gate for writing once to
	 * wait them out.
	 */
	struct rw_semaphore gate;

	/*
	 * @lock protects @idx (the kernel's authoritative indices), the
	 * published copies in @ctrl that only the kernel writes (out_tail)
	 * and @stats. Never held while touching user memory.
	 */
	spinlock_t lock;
	struct keel_ring_idx idx;
	bool stopped;		/* STOPPED: the mapping is not read */
	u64 last_bad_head, last_bad_buf;	/* count each bad value once */
	struct keel_ring_stats stats;

	/* Serialises the kernel's fetcher: read(). */
	struct mutex read_lock;
	/* Serialises the kernel's producer: write(). */
	struct mutex write_lock;

	/* Fetchers wait for EPOLLIN, producers for EPOLLOUT. */
	wait_queue_head_t wq;

	/*
	 * fetch.c: the in-kernel fetcher. @fetch_lock serialises start and
	 * stop and protects @fetch_thread and @fetch_sink (the thread uses
	 * the sink until it is stopped). @fetch_on, @fetch_state and
	 * @fetch_err are under @lock; while @fetch_on the head is the
	 * kernel's (read() and the mapping's head are refused).
	 */
	struct mutex fetch_lock;
	struct keel_thread fetch_thread;
	struct keel_sink fetch_sink;
	bool fetch_on;
	u32 fetch_state;			/* KEEL_RING_FETCH_STATE_* */
	u32 fetch_err;				/* positive errno */
	/*
	 * An entry a stop cut on a byte stream: the sink it went to
	 * (counted), its index and the bytes of it that went out. A start
	 * on the same sink with the head still there sends only the rest.
	 * Under @fetch_lock (the thread sets them as it ends, while the
	 * stopper holds the lock and waits for it).
	 */
	struct file *fetch_cut_file;
	u64 fetch_cut_head;
	u32 fetch_cut_off;

	/*
	 * repl.c: replication. @repl_lock serialises start and stop and
	 * protects the threads and the socket. Under @lock: @redundant (a
	 * primary, for good), @cmt, @repl_backup_on (the buffer tail is the
	 * kernel's) and the rest. @cmt is the producer's commit point:
	 * out <= cmt <= buf; the outgoing tail follows it at once, or on a
	 * redundant ring only as far as the backup acknowledged.
	 */
	struct mutex repl_lock;
	struct keel_thread repl_tx;		/* primary only */
	struct keel_thread repl_rx;		/* receiver, or the backup's */
	struct keel_sink repl_sock;		/* a stream socket */
	bool repl_stopping;			/* READ_ONCE in the threads */
	bool redundant;
	bool repl_backup_on;
	u64 cmt;
	u32 repl_role, repl_state, repl_err;
	u64 repl_next;				/* primary: next entry to send */
	u64 repl_told;				/* primary: last RELEASED sent */
	u64 repl_sent, repl_acked;		/* counters */
};

static inline struct keel_ring *keel_ring_of_inst(struct keel_inst *inst)
{
	return container_of(inst, struct keel_ring, inst);
}

static inline bool keel_ring_ready(struct keel_ring *r)
{
	return keel_inst_ready(&r->inst);
}

static inline bool keel_ring_is_stopped(struct keel_ring *r)
{
	bool stopped;

	spin_lock(&r->lock);
	stopped = r->stopped;
	spin_unlock(&r->lock);
	return stopped;
}

static inline void *keel_ring_slot_ptr(struct keel_ring *r, u64 i)
{
	return r->slots + (size_t)keel_ring_slot(&r->idx, i) * r->slot_size;
}

/* ring.c: all of these run with r->lock held; sync_buf syncs head first. */
void keel_ring_sync_head(struct keel_ring *r);
void keel_ring_sync_buf(struct keel_ring *r);
void keel_ring_set_head(struct keel_ring *r, u64 head, bool publish);
void keel_ring_set_buf(struct keel_ring *r, u64 buf, bool publish);
void keel_ring_set_out(struct keel_ring *r, u64 out);
u64 keel_ring_full_ns(struct keel_ring *r);
void keel_ring_note_full(struct keel_ring *r);
int keel_ring_commit_to(struct keel_ring *r, u64 v, bool *released);

/* Wake fetchers and signal the eventfd after the outgoing tail moved. */
void keel_ring_notify_commit(struct keel_ring *r);

/* fetch.c */
long keel_ring_fetch_start(struct keel_inst *inst, unsigned int cmd,
			   void __user *uarg);
void keel_ring_fetch_stop(struct keel_ring *r);
void keel_ring_fetch_release(struct keel_ring *r);

/* repl.c */
long keel_ring_repl_start(struct keel_inst *inst, unsigned int cmd,
			  void __user *uarg);
void keel_ring_repl_stop(struct keel_ring *r);

/* user.c */
int keel_ring_user_charge(struct keel_ring *r);
void keel_ring_user_uncharge(struct keel_ring *r);

/* area.c */
int keel_ring_area_alloc(struct keel_ring_area *a, size_t size);
void keel_ring_area_free(struct keel_ring_area *a);
int keel_ring_area_mmap(struct keel_ring_area *a, struct vm_area_struct *vma);

/* io.c: the file's read(), write(), poll() and mmap() */
ssize_t keel_ring_read(struct file *file, char __user *ubuf, size_t count,
		       loff_t *ppos);
ssize_t keel_ring_write(struct file *file, const char __user *ubuf,
			size_t count, loff_t *ppos);
__poll_t keel_ring_poll(struct file *file, poll_table *wait);
int keel_ring_mmap(struct file *file, struct vm_area_struct *vma);

/* state.c */
extern const struct keel_state_ops keel_ring_state_ops;
u32 keel_ring_state_max_len(struct keel_ring *r);

#endif /* _KEEL_RING_INTERNAL_H */
