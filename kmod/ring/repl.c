// SPDX-License-Identifier: GPL-2.0
/*
 * Replication of a ring to a backup ring on another host over a stream
 * socket (protocol: uapi/linux/keel_ring.h, Documentation/ring.rst).
 *
 * Primary: a sender thread sends HELLO, then each committed entry (DATA)
 * and, before more data, the outgoing tail whenever it moved (RELEASED);
 * a receiver thread takes the backup's ACKs and only then moves the
 * outgoing tail. Backup: one thread takes HELLO, writes each DATA entry
 * into its slot straight from the socket, publishes the buffer tail and
 * acknowledges; RELEASED drops the entries the primary released.
 *
 * The threads and the socket are the core's (keel_thread, keel_sink).
 * Stopping sets @repl_stopping for both threads, then keel_thread_stop()
 * breaks a blocked send or receive and waits for each.
 */
#include <linux/file.h>
#include <linux/kthread.h>
#include <linux/net.h>
#include <linux/sched/signal.h>
#include <linux/socket.h>
#include <linux/uio.h>
#include <net/sock.h>

#include "ring.h"

#define KEEL_RING_REPL_SIZE_VER0	16

static bool keel_ring_repl_should_stop(struct keel_ring *r)
{
	return kthread_should_stop() || READ_ONCE(r->repl_stopping);
}

/*
 * The connection is over: record why (first error wins). The socket is
 * kept until REPL_STOP, but nobody reads it any more: it is sealed, so
 * that no file passed into it (the ring's own) can keep it and the ring
 * alive for ever.
 */
static void keel_ring_repl_fail(struct keel_ring *r, int err)
{
	bool first = false;

	if (keel_ring_repl_should_stop(r))
		return;
	spin_lock(&r->lock);
	if (r->repl_state == KEEL_RING_REPL_STATE_RUNNING) {
		r->repl_state = KEEL_RING_REPL_STATE_FAILED;
		r->repl_err = -err;
		/* A backup left alone is an ordinary ring: failover. */
		r->repl_backup_on = false;
		first = true;
	}
	spin_unlock(&r->lock);
	if (first)
		keel_sink_seal(&r->repl_sock);
	wake_up_interruptible(&r->wq);
}

static int keel_ring_repl_send(struct keel_ring *r, struct kvec *iov,
			       size_t nr, size_t len)
{
	return keel_sink_send(&r->repl_sock, iov, nr, len);
}

/* Receive exactly @len bytes; the peer closing is -ECONNRESET. */
static int keel_ring_repl_recv(struct keel_ring *r, void *buf, size_t len)
{
	return keel_sink_recv(&r->repl_sock, buf, len);
}

static void keel_ring_wire_init(struct keel_ring_wire *w, u8 type, u64 index)
{
	memset(w, 0, sizeof(*w));
	w->magic = cpu_to_le32(KEEL_RING_WIRE_MAGIC);
	w->type = type;
	w->index = cpu_to_le64(index);
}

static int keel_ring_wire_send(struct keel_ring *r, struct keel_ring_wire *w)
{
	struct kvec iov = { .iov_base = w, .iov_len = sizeof(*w) };

	return keel_ring_repl_send(r, &iov, 1, sizeof(*w));
}

/* ---- primary ---- */

/* Snapshot of what the sender has to do; false when nothing. */
static bool keel_ring_tx_work(struct keel_ring *r, u64 *out, u64 *cmt)
{
	bool work;

	spin_lock(&r->lock);
	*out = r->idx.out;
	*cmt = r->cmt;
	work = r->repl_state == KEEL_RING_REPL_STATE_RUNNING &&
	       (r->repl_next != *cmt || r->repl_told != *out);
	spin_unlock(&r->lock);
	return work;
}

static bool keel_ring_tx_wake(struct keel_ring *r)
{
	u64 out, cmt;

	return keel_ring_repl_should_stop(r) || keel_ring_tx_work(r, &out, &cmt);
}

static int keel_ring_tx_entry(struct keel_ring *r, u64 i)
{
	struct keel_ring_slot *slot = keel_ring_slot_ptr(r, i);
	u32 len = READ_ONCE(slot->len);
	struct keel_ring_wire w;
	struct kvec iov[2];
	int ret;

	/* A bad length from the mapping goes out as an empty entry. */
	if (len > r->slot_size - sizeof(*slot)) {
		len = 0;
		spin_lock(&r->lock);
		r->stats.bad_entry++;
		spin_unlock(&r->lock);
	}
	keel_ring_wire_init(&w, KEEL_RING_WIRE_DATA, i);
	w.len = cpu_to_le32(len);
	iov[0].iov_base = &w;
	iov[0].iov_len = sizeof(w);
	iov[1].iov_base = slot + 1;
	iov[1].iov_len = len;
	/*
	 * Counted as sent before the send: the backup's ACK for it may
	 * reach the receiver thread before the send returns here, and the
	 * receiver accepts ACKs only up to @repl_next. A failed send ends
	 * the connection, and the next one starts again at the outgoing
	 * tail.
	 */
	spin_lock(&r->lock);
	r->repl_next = (i + 1) & r->idx.mask;
	spin_unlock(&r->lock);
	ret = keel_ring_repl_send(r, iov, 2, sizeof(w) + len);
	if (ret)
		return ret;
	spin_lock(&r->lock);
	r->repl_sent++;
	spin_unlock(&r->lock);
	return 0;
}

static int keel_ring_tx_thread(struct keel_thread *t)
{
	struct keel_ring *r = t->data;
	struct keel_ring_wire w;
	u64 out, cmt, i;
	int ret;

	/* The backup starts at the outgoing tail: all not yet released. */
	spin_lock(&r->lock);
	out = r->idx.out;
	r->repl_next = out;
	r->repl_told = out;
	spin_unlock(&r->lock);
	keel_ring_wire_init(&w, KEEL_RING_WIRE_HELLO, out);
	w.len = cpu_to_le32(r->slot_size);
	w.slots = cpu_to_le32(r->idx.slots);
	w.flags = cpu_to_le32(r->flags & KEEL_RING_SETUP_IDX64);
	ret = keel_ring_wire_send(r, &w);

	while (!ret && !keel_ring_repl_should_stop(r)) {
		if (!keel_ring_tx_work(r, &out, &cmt)) {
			wait_event_interruptible(r->wq, keel_ring_tx_wake(r));
			continue;
		}
		/*
		 * RELEASED before more DATA: every entry sent after it lies
		 * below out + slots, so a backup with as many slots always
		 * has room for it.
		 */
		if (out != r->repl_told) {
			keel_ring_wire_init(&w, KEEL_RING_WIRE_RELEASED, out);
			ret = keel_ring_wire_send(r, &w);
			if (ret)
				break;
			r->repl_told = out;
		}
		for (i = r->repl_next; i != cmt && !ret;
		     i = (i + 1) & r->idx.mask)
			ret = keel_ring_tx_entry(r, i);
	}
	if (ret)
		keel_ring_repl_fail(r, ret);
	return 0;
}

static int keel_ring_rx_thread(struct keel_thread *t)
{
	struct keel_ring *r = t->data;
	struct keel_ring_wire w;
	bool moved;
	u64 idx;
	int ret;

	while (!keel_ring_repl_should_stop(r)) {
		ret = keel_ring_repl_recv(r, &w, sizeof(w));
		if (ret)
			break;
		idx = le64_to_cpu(w.index);
		ret = -EPROTO;
		if (le32_to_cpu(w.magic) != KEEL_RING_WIRE_MAGIC ||
		    w.type != KEEL_RING_WIRE_ACK)
			break;
		spin_lock(&r->lock);
		/* Only what was sent can be acknowledged. */
		if ((idx & ~r->idx.mask) ||
		    keel_ring_dist(&r->idx, idx, r->idx.out) >
		    keel_ring_dist(&r->idx, r->repl_next, r->idx.out)) {
			spin_unlock(&r->lock);
			break;
		}
		r->repl_acked += keel_ring_dist(&r->idx, idx, r->idx.out);
		moved = idx != r->idx.out;
		if (moved)
			keel_ring_set_out(r, idx);
		spin_unlock(&r->lock);
		ret = 0;
		if (moved)
			keel_ring_notify_commit(r);
	}
	if (ret)
		keel_ring_repl_fail(r, ret);
	return 0;
}

/* ---- backup ---- */

static int keel_ring_backup_hello(struct keel_ring *r)
{
	struct keel_ring_wire w;
	u64 start;
	int ret;

	ret = keel_ring_repl_recv(r, &w, sizeof(w));
	if (ret)
		return ret;
	start = le64_to_cpu(w.index);
	if (le32_to_cpu(w.magic) != KEEL_RING_WIRE_MAGIC ||
	    w.type != KEEL_RING_WIRE_HELLO ||
	    le32_to_cpu(w.flags) != (r->flags & KEEL_RING_SETUP_IDX64) ||
	    le32_to_cpu(w.len) > r->slot_size ||
	    le32_to_cpu(w.slots) > r->idx.slots || (start & ~r->idx.mask))
		return -EPROTO;
	/* The ring is empty: it takes the primary's indices. */
	spin_lock(&r->lock);
	r->idx.head = start;
	r->idx.out = start;
	r->idx.buf = start;
	r->cmt = start;
	/* Published as everywhere else (ring.c); no entry exists yet. */
	smp_store_release(&r->ctrl->head, start);	/* see ring.c */
	smp_store_release(&r->ctrl->out_tail, start);	/* see ring.c */
	smp_store_release(&r->ctrl->buf_tail, start);	/* see ring.c */
	spin_unlock(&r->lock);
	return 0;
}

static int keel_ring_backup_data(struct keel_ring *r, u64 idx, u32 len)
{
	struct keel_ring_slot *slot;
	struct keel_ring_wire w;
	bool ok;
	int ret;

	spin_lock(&r->lock);
	ok = idx == r->idx.buf && keel_ring_space(&r->idx) &&
	     len <= r->slot_size - sizeof(*slot);
	spin_unlock(&r->lock);
	if (!ok)
		return -EPROTO;
	/* Only this thread writes the buffer tail while replicating. */
	slot = keel_ring_slot_ptr(r, idx);
	ret = keel_ring_repl_recv(r, slot + 1, len);
	if (ret)
		return ret;
	WRITE_ONCE(slot->len, len);
	WRITE_ONCE(slot->flags, 0);
	idx = (idx + 1) & r->idx.mask;
	spin_lock(&r->lock);
	keel_ring_set_buf(r, idx, true);
	r->repl_sent++;
	spin_unlock(&r->lock);

	/* In a slot: acknowledge. */
	keel_ring_wire_init(&w, KEEL_RING_WIRE_ACK, idx);
	ret = keel_ring_wire_send(r, &w);
	if (ret)
		return ret;
	spin_lock(&r->lock);
	r->repl_acked++;
	spin_unlock(&r->lock);
	return 0;
}

/* The primary released everything below @idx: drop those entries. */
static int keel_ring_backup_released(struct keel_ring *r, u64 idx)
{
	int ret = -EPROTO;

	spin_lock(&r->lock);
	if (!(idx & ~r->idx.mask) &&
	    keel_ring_dist(&r->idx, idx, r->idx.head) <=
	    keel_ring_dist(&r->idx, r->idx.buf, r->idx.head)) {
		/* Dropped, not fetched: no counter moves. */
		r->idx.head = idx;
		r->idx.out = idx;
		r->cmt = idx;
		/* Pairs with a fetcher's acquire, as in keel_ring_set_out(). */
		smp_store_release(&r->ctrl->out_tail, idx);
		/* Pairs with a producer's acquire, as in keel_ring_set_head(). */
		smp_store_release(&r->ctrl->head, idx);
		ret = 0;
	}
	spin_unlock(&r->lock);
	return ret;
}

static int keel_ring_backup_thread(struct keel_thread *t)
{
	struct keel_ring *r = t->data;
	struct keel_ring_wire w;
	int ret;

	ret = keel_ring_backup_hello(r);
	while (!ret && !keel_ring_repl_should_stop(r)) {
		ret = keel_ring_repl_recv(r, &w, sizeof(w));
		if (ret)
			break;
		ret = -EPROTO;
		if (le32_to_cpu(w.magic) != KEEL_RING_WIRE_MAGIC)
			break;
		if (w.type == KEEL_RING_WIRE_DATA)
			ret = keel_ring_backup_data(r, le64_to_cpu(w.index),
						    le32_to_cpu(w.len));
		else if (w.type == KEEL_RING_WIRE_RELEASED)
			ret = keel_ring_backup_released(r,
							le64_to_cpu(w.index));
	}
	if (ret)
		keel_ring_repl_fail(r, ret);
	return 0;
}

/* ---- start and stop ---- */

/* The replication threads for @role; on failure none runs. */
static int keel_ring_repl_threads(struct keel_ring *r, u32 role)
{
	struct keel_object *obj = &r->inst.obj;
	int ret;

	if (role == KEEL_RING_REPL_BACKUP)
		return keel_thread_start(&r->repl_rx, obj, "bk",
					 keel_ring_backup_thread, r);
	ret = keel_thread_start(&r->repl_tx, obj, "tx", keel_ring_tx_thread,
				r);
	if (ret)
		return ret;
	ret = keel_thread_start(&r->repl_rx, obj, "rx", keel_ring_rx_thread,
				r);
	if (ret) {
		WRITE_ONCE(r->repl_stopping, true);
		keel_thread_stop(&r->repl_tx);
	}
	return ret;
}

long keel_ring_repl_start(struct keel_inst *inst, unsigned int cmd,
			  void __user *uarg)
{
	struct keel_ring *r = keel_ring_of_inst(inst);
	struct keel_ring_repl arg;
	struct keel_sink sock;
	bool was_redundant;
	int ret;

	BUILD_BUG_ON(sizeof(arg) != KEEL_RING_REPL_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct keel_ring_wire) != 32);
	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), KEEL_RING_REPL_SIZE_VER0,
				  KEEL_RING_REPL_FLAGS_ALL, cmd, uarg);
	if (ret)
		return ret;
	if (arg.role != KEEL_RING_REPL_PRIMARY &&
	    arg.role != KEEL_RING_REPL_BACKUP)
		return -EINVAL;
	if (arg.sock_fd < 0)
		return -EBADF;
	ret = keel_sink_get_socket(&sock, arg.sock_fd, SOCK_STREAM);
	if (ret)
		return ret;

	mutex_lock(&r->repl_lock);
	ret = -EBUSY;
	if (r->repl_rx.task)
		goto unlock;
	spin_lock(&r->lock);
	keel_ring_sync_buf(r);
	/* A STOP after this check detaches replication again. */
	if (r->stopped) {
		ret = -EBUSY;
	} else if (arg.role == KEEL_RING_REPL_BACKUP &&
		   (r->redundant || r->idx.head != r->idx.buf)) {
		ret = r->redundant ? -EINVAL : -ENOTEMPTY;
	} else {
		ret = 0;
		/* Empty, and from now on no producer but the primary. */
		if (arg.role == KEEL_RING_REPL_BACKUP)
			r->repl_backup_on = true;
	}
	spin_unlock(&r->lock);
	if (ret)
		goto unlock;
	if (arg.role == KEEL_RING_REPL_BACKUP) {
		/*
		 * A write() that found its slot before is refused at its
		 * end; wait it out before the thread writes slots, and wake
		 * the blocked ones to their EBUSY.
		 */
		down_write(&r->gate);
		up_write(&r->gate);
		wake_up_interruptible(&r->wq);
	}

	r->repl_sock = sock;
	r->repl_stopping = false;
	spin_lock(&r->lock);
	was_redundant = r->redundant;
	r->repl_role = arg.role;
	r->repl_state = KEEL_RING_REPL_STATE_RUNNING;
	r->repl_err = 0;
	if (arg.role == KEEL_RING_REPL_PRIMARY)
		r->redundant = true;
	spin_unlock(&r->lock);

	ret = keel_ring_repl_threads(r, arg.role);
	if (ret) {
		spin_lock(&r->lock);
		r->repl_state = KEEL_RING_REPL_STATE_NONE;
		r->repl_backup_on = false;
		r->redundant = was_redundant;
		spin_unlock(&r->lock);
		memset(&r->repl_sock, 0, sizeof(r->repl_sock));
		goto unlock;
	}
	mutex_unlock(&r->repl_lock);
	return 0;

unlock:
	mutex_unlock(&r->repl_lock);
	keel_sink_put(&sock);
	return ret;
}

/* Idempotent; a primary stays redundant (its entries stay held). */
void keel_ring_repl_stop(struct keel_ring *r)
{
	mutex_lock(&r->repl_lock);
	if (r->repl_rx.task) {
		WRITE_ONCE(r->repl_stopping, true);
		keel_thread_stop(&r->repl_tx);
		keel_thread_stop(&r->repl_rx);
		keel_sink_put(&r->repl_sock);
		spin_lock(&r->lock);
		r->repl_state = KEEL_RING_REPL_STATE_NONE;
		r->repl_backup_on = false;
		spin_unlock(&r->lock);
	}
	mutex_unlock(&r->repl_lock);
}
