// SPDX-License-Identifier: GPL-2.0
/*
 * The worker of a remote device ("keel-remote-<id>"), running while the
 * device runs, in the VMM's mm: it turns the guest's requests, through
 * its interface's struct keel_remote_iface, into READ, WRITE and FLUSH
 * messages with the session's request ids (never more than the window
 * ahead of the oldest without a reply), sends (and after a new
 * connection sends again) every request without a reply, gives the
 * replies back to the guest, and keeps the connection alive with PING.
 *
 * Also the virtio-blk interface: it answers GET_ID, unsupported and
 * out-of-range requests itself; a request the guest got wrong completes
 * with IOERR; a queue the guest broke gets DEVICE_NEEDS_RESET.
 */
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_ids.h>

#include "remote.h"

/* The virtio-blk request header, little-endian (virtio 1.x). */
struct keel_remote_outhdr {
	__le32 type;
	__le32 ioprio;
	__le64 sector;
};

/* The slot of request id @id. */
static struct keel_remote_req *keel_remote_slot(struct keel_remote *rd,
						u64 id)
{
	return &rd->reqs[id % rd->window];
}

/**
 * keel_remote_bad_desc() - count a malformed guest request
 * @rd: the device
 *
 * Context: the worker, or the receiver completing (&keel_remote.vq_mutex
 * held); takes &keel_remote.req_lock.
 */
void keel_remote_bad_desc(struct keel_remote *rd)
{
	spin_lock(&rd->req_lock);
	rd->c.bad_descs++;
	spin_unlock(&rd->req_lock);
}

/**
 * keel_remote_fault() - a guest access failed
 * @rd: the device
 * @err: its error
 *
 * The stop's signal (-EINTR: the worker stops, or the thread that
 * failed has SIGKILL, as the receiver does when it is stopped while it
 * completes), or the guest's fault: counted, and the queue is broken
 * (DEVICE_NEEDS_RESET).
 *
 * Context: the worker, or the receiver completing (&keel_remote.vq_mutex
 * held).
 *
 * Return: -EINTR or @err.
 */
int keel_remote_fault(struct keel_remote *rd, int err)
{
	if (keel_thread_should_stop(&rd->worker) || fatal_signal_pending(current))
		return -EINTR;
	keel_remote_bad_desc(rd);
	keel_remote_needs_reset(rd);
	return err;
}

/* Copy @len device-readable bytes of the chain from byte @skip on. */
static int keel_remote_gather(struct keel_remote *rd, u32 nr, u64 skip,
			      u8 *dst, u32 len)
{
	u32 i, n;
	int ret;

	for (i = 0; i < nr && len && !rd->chain[i].write; i++) {
		const struct keel_remote_seg *s = &rd->chain[i];

		if (skip >= s->len) {
			skip -= s->len;
			continue;
		}
		n = min_t(u64, s->len - skip, len);
		ret = keel_remote_guest_read(rd, s->gpa + skip, dst, n);
		if (ret)
			return ret;
		dst += n;
		len -= n;
		skip = 0;
	}
	return len ? -EFAULT : 0;
}

/* Copy @len bytes into the segments @segs, in order (under vq_mutex). */
int keel_remote_scatter(struct keel_remote *rd,
			const struct keel_remote_seg *segs, u32 nr,
			const u8 *src, u32 len)
{
	u32 i, n;
	int ret;

	for (i = 0; i < nr && len; i++) {
		n = min(segs[i].len, len);
		ret = keel_remote_guest_write(rd, segs[i].gpa, src, n);
		if (ret)
			return ret;
		src += n;
		len -= n;
	}
	return len ? -EFAULT : 0;
}

/*
 * The device-writable bytes of the chain, less the last (the status
 * byte), as segments into @segs (at most @cap); the number, or -E2BIG.
 */
static int keel_remote_wsegs(struct keel_remote *rd, u32 nr, u64 len,
			     struct keel_remote_seg *segs, u32 cap)
{
	u32 i, n = 0;

	for (i = 0; i < nr && len; i++) {
		const struct keel_remote_seg *s = &rd->chain[i];

		if (!s->write || !s->len)
			continue;
		if (n == cap)
			return -E2BIG;
		segs[n].gpa = s->gpa;
		segs[n].len = min_t(u64, s->len, len);
		segs[n].write = true;
		len -= segs[n].len;
		n++;
	}
	return n;
}

/* A request's buffer of at least @len bytes, charged to the VM. */
int keel_remote_buf(struct keel_remote_req *r, u32 len)
{
	size_t cap = PAGE_ALIGN(len);

	if (r->buf_cap >= len)
		return 0;
	kvfree(r->buf);
	r->buf = kvmalloc(cap, KEEL_GFP_CHARGED);
	r->buf_cap = r->buf ? cap : 0;
	return r->buf ? 0 : -ENOMEM;
}

/* Count a request completed to the guest; takes &keel_remote.req_lock. */
void keel_remote_count_done(struct keel_remote *rd, u8 type, u32 len,
			    u8 vstatus)
{
	spin_lock(&rd->req_lock);
	rd->c.requests++;
	if (vstatus != VIRTIO_BLK_S_OK)
		rd->c.errors++;
	switch (type) {
	case KEEL_REMOTE_MSG_READ:
		rd->c.reads++;
		if (vstatus == VIRTIO_BLK_S_OK)
			rd->c.bytes_read += len;
		break;
	case KEEL_REMOTE_MSG_WRITE:
		rd->c.writes++;
		if (vstatus == VIRTIO_BLK_S_OK)
			rd->c.bytes_written += len;
		break;
	case KEEL_REMOTE_MSG_FLUSH:
		rd->c.flushes++;
		break;
	}
	spin_unlock(&rd->req_lock);
}

/* Write the status byte and give the chain back; @len bytes written. */
static int keel_remote_finish(struct keel_remote *rd, u16 head,
			      u64 status_gpa, u8 vstatus, u32 len)
{
	int ret;

	ret = keel_remote_guest_write(rd, status_gpa, &vstatus, 1);
	if (!ret)
		ret = keel_remote_vq_push(rd, head, len + 1);
	return ret ? keel_remote_fault(rd, ret) : 0;
}

/* Is [sector * 512, + len) inside the device? */
static bool keel_remote_in_range(struct keel_remote *rd, u64 sector, u32 len)
{
	return sector <= rd->capacity / KEEL_REMOTE_SECTOR &&
	       len <= rd->capacity - sector * KEEL_REMOTE_SECTOR;
}

/* A data length the protocol carries: whole sectors, 1 to max_data. */
static bool keel_remote_len_ok(struct keel_remote *rd, u64 len)
{
	return len && len <= rd->max_data && !(len % KEEL_REMOTE_SECTOR);
}

/* virtio-blk's &keel_remote_iface.parse. */
static int keel_remote_blk_parse(struct keel_remote *rd, u16 head, u32 nr,
				 struct keel_remote_req *r)
{
	struct keel_remote_outhdr h;
	u64 rlen = 0, wlen = 0, status_gpa = 0;
	u8 vstatus = VIRTIO_BLK_S_IOERR;
	u32 i, type, done = 0;
	int ret;

	for (i = 0; i < nr; i++) {
		if (!rd->chain[i].write) {
			rlen += rd->chain[i].len;
		} else if (rd->chain[i].len) {
			wlen += rd->chain[i].len;
			status_gpa = rd->chain[i].gpa + rd->chain[i].len - 1;
		}
	}
	/* No status byte: nothing to answer in, the driver is broken. */
	if (!wlen)
		return keel_remote_fault(rd, -EINVAL);
	if (rlen < sizeof(h))
		goto bad;
	ret = keel_remote_gather(rd, nr, 0, (u8 *)&h, sizeof(h));
	if (ret)
		return keel_remote_fault(rd, ret);
	type = le32_to_cpu(h.type);

	r->head = head;
	r->status_gpa = status_gpa;
	r->offset = le64_to_cpu(h.sector) * KEEL_REMOTE_SECTOR;
	r->nr_segs = 0;
	switch (type) {
	case VIRTIO_BLK_T_IN:
		if (!keel_remote_len_ok(rd, wlen - 1))
			goto bad;
		r->type = KEEL_REMOTE_MSG_READ;
		r->len = wlen - 1;
		ret = keel_remote_wsegs(rd, nr, r->len, r->segs, rd->seg_cap);
		if (ret < 0)
			goto bad;
		r->nr_segs = ret;
		break;
	case VIRTIO_BLK_T_OUT:
		if (!keel_remote_len_ok(rd, rlen - sizeof(h)))
			goto bad;
		r->type = KEEL_REMOTE_MSG_WRITE;
		r->len = rlen - sizeof(h);
		if (rd->features & BIT_ULL(VIRTIO_BLK_F_RO))
			goto answer;
		break;
	case VIRTIO_BLK_T_FLUSH:
		r->type = KEEL_REMOTE_MSG_FLUSH;
		r->len = 0;
		r->offset = 0;
		return KEEL_REMOTE_CHAIN_SENT;
	case VIRTIO_BLK_T_GET_ID:
		done = min_t(u64, wlen - 1, VIRTIO_BLK_ID_BYTES);
		ret = keel_remote_wsegs(rd, nr, done, r->segs, rd->seg_cap);
		if (ret < 0)
			goto bad;
		ret = keel_remote_scatter(rd, r->segs, ret, rd->id_str, done);
		if (ret)
			return keel_remote_fault(rd, ret);
		vstatus = VIRTIO_BLK_S_OK;
		goto answer;
	default:
		vstatus = VIRTIO_BLK_S_UNSUPP;
		goto answer;
	}
	/* Within the device, or an I/O error as a disk gives. */
	if (le64_to_cpu(h.sector) > U64_MAX / KEEL_REMOTE_SECTOR ||
	    !keel_remote_in_range(rd, le64_to_cpu(h.sector), r->len))
		goto answer;
	ret = keel_remote_buf(r, r->len);
	if (ret)
		goto answer;
	if (r->type == KEEL_REMOTE_MSG_WRITE) {
		ret = keel_remote_gather(rd, nr, sizeof(h), r->buf, r->len);
		if (ret)
			return keel_remote_fault(rd, ret);
	}
	return KEEL_REMOTE_CHAIN_SENT;

bad:
	/* A request no driver may make: counted, answered IOERR. */
	keel_remote_bad_desc(rd);
	type = U32_MAX;
answer:
	ret = keel_remote_finish(rd, head, status_gpa, vstatus, done);
	if (ret)
		return ret;
	keel_remote_count_done(rd, type == VIRTIO_BLK_T_IN ?
			       KEEL_REMOTE_MSG_READ : type == VIRTIO_BLK_T_OUT ?
			       KEEL_REMOTE_MSG_WRITE : 0, 0, vstatus);
	return KEEL_REMOTE_CHAIN_LOCAL;
}

/* virtio-blk's &keel_remote_iface.complete: data, status byte, entry. */
static int keel_remote_blk_complete(struct keel_remote *rd,
				    struct keel_remote_req *r)
{
	bool data = r->type == KEEL_REMOTE_MSG_READ &&
		    r->vstatus == VIRTIO_BLK_S_OK;
	int ret = 0;

	if (data)
		ret = keel_remote_scatter(rd, r->segs, r->nr_segs, r->buf,
					  r->len);
	if (ret)
		return keel_remote_fault(rd, ret);
	return keel_remote_finish(rd, r->head, r->status_gpa, r->vstatus,
				  data ? r->len : 0);
}

const struct keel_remote_iface keel_remote_iface_blk = {
	.device_id = VIRTIO_ID_BLOCK,
	.parse = keel_remote_blk_parse,
	.complete = keel_remote_blk_complete,
};

/* Reverse the slots [@lo, @hi) of the window. */
static void keel_remote_slots_reverse(struct keel_remote *rd, u32 lo, u32 hi)
{
	for (; lo + 1 < hi; lo++, hi--)
		swap(rd->reqs[lo], rd->reqs[hi - 1]);
}

/*
 * A CONNECT gave a new session: the requests without a reply get the ids
 * from its first one on, in the same order. Every slot moves by the same
 * distance, so the window's array rotates (three reversals) and each
 * request keeps its slot at (id % window). Only the worker does this: it
 * owns the free and done slots, and nothing was sent on the new session
 * yet, so the receiver has nothing to look up.
 */
static void keel_remote_renumber(struct keel_remote *rd)
{
	u32 w = rd->window, k;
	u64 to, n, id;
	struct keel_remote_req *r;

	spin_lock(&rd->req_lock);
	to = rd->renumber_to;
	if (!to)
		goto out;
	rd->renumber_to = 0;
	n = rd->next_id - rd->tail_id;
	/* Slot (tail % w) becomes slot (to % w): a rotation right by k. */
	k = (u32)((to % w + w - rd->tail_id % w) % w);
	if (k) {
		keel_remote_slots_reverse(rd, 0, w);
		keel_remote_slots_reverse(rd, 0, k);
		keel_remote_slots_reverse(rd, k, w);
	}
	rd->tail_id = to;
	rd->next_id = to + n;
	for (id = to; id != rd->next_id; id++) {
		r = keel_remote_slot(rd, id);
		if (r->state != KEEL_REMOTE_REQ_FREE)
			r->id = id;
	}
out:
	spin_unlock(&rd->req_lock);
}

/* Take what the driver made available, while the window allows. */
static void keel_remote_take(struct keel_remote *rd)
{
	struct keel_remote_vq *vq = &rd->vq;
	struct keel_remote_req *r;
	bool room;
	u16 head;
	u32 nr;
	int ret;

	while (vq->live && !keel_thread_should_stop(&rd->worker)) {
		spin_lock(&rd->req_lock);
		/* Without a connection too: sent once there is one. */
		room = rd->next_id - rd->tail_id < rd->window;
		r = keel_remote_slot(rd, rd->next_id);
		spin_unlock(&rd->req_lock);
		if (!room)
			return;
		if (WARN_ON_ONCE(r->state != KEEL_REMOTE_REQ_FREE))
			return;
		ret = keel_remote_vq_pop(rd, &head);
		if (ret == -ENOENT)
			return;
		if (!ret)
			ret = keel_remote_vq_chain(rd, head, &nr);
		if (ret) {
			keel_remote_fault(rd, ret);
			return;
		}
		ret = rd->ops->parse(rd, head, nr, r);
		if (ret < 0)
			return;
		vq->last_avail++;
		if (ret == KEEL_REMOTE_CHAIN_LOCAL)
			continue;
		spin_lock(&rd->req_lock);
		r->id = rd->next_id++;
		r->gen = vq->gen;
		r->sent_once = false;
		r->need_send = true;
		r->state = KEEL_REMOTE_REQ_SENT;
		spin_unlock(&rd->req_lock);
	}
}

/* Send every request that waits for it, in id order. */
static void keel_remote_send_pending(struct keel_remote *rd)
{
	struct keel_remote_req *r;
	bool send, replay;
	u64 id, renumber;
	int ret;

	mutex_lock(&rd->tx_mutex);
	/*
	 * A new session came (under tx_mutex) since this pass renumbered:
	 * nothing goes out with the old session's ids; the next pass
	 * renumbers first.
	 */
	spin_lock(&rd->req_lock);
	renumber = rd->renumber_to;
	spin_unlock(&rd->req_lock);
	for (id = rd->tail_id; !renumber && id != rd->next_id; id++) {
		r = keel_remote_slot(rd, id);
		spin_lock(&rd->req_lock);
		send = rd->connected && r->state == KEEL_REMOTE_REQ_SENT &&
		       r->need_send;
		replay = send && r->sent_once;
		if (send) {
			r->need_send = false;
			rd->c.replays += replay;
		}
		spin_unlock(&rd->req_lock);
		if (!send)
			continue;
		r->sent_once = true;
		WRITE_ONCE(r->sent_ns, ktime_get_ns());
		ret = keel_remote_send_req(rd, r);
		if (ret == -EINTR) {
			/* Stopped before a byte went out: send it later. */
			spin_lock(&rd->req_lock);
			r->need_send = true;
			rd->c.replays -= replay;
			spin_unlock(&rd->req_lock);
			break;
		}
		if (ret) {
			keel_remote_conn_lost(rd, !keel_thread_should_stop(&rd->worker));
			break;
		}
	}
	mutex_unlock(&rd->tx_mutex);
}

/* Give the guest what the replies brought, and free their slots. */
static void keel_remote_complete(struct keel_remote *rd)
{
	struct keel_remote_vq *vq = &rd->vq;
	struct keel_remote_req *r;
	u64 id, end = rd->next_id;
	bool done;
	int ret;

	for (id = rd->tail_id; id != end; id++) {
		r = keel_remote_slot(rd, id);
		spin_lock(&rd->req_lock);
		done = r->state == KEEL_REMOTE_REQ_DONE;
		spin_unlock(&rd->req_lock);
		if (!done)
			continue;
		/* A request of the queue before a reset completes to nobody. */
		if (r->gen == vq->gen && vq->live) {
			ret = rd->ops->complete(rd, r);
			if (ret == -EINTR)
				return;
			if (!ret)
				keel_remote_count_done(rd, r->type, r->len,
						       r->vstatus);
		}
		spin_lock(&rd->req_lock);
		r->state = KEEL_REMOTE_REQ_FREE;
		while (rd->tail_id != rd->next_id &&
		       keel_remote_slot(rd, rd->tail_id)->state ==
		       KEEL_REMOTE_REQ_FREE)
			rd->tail_id++;
		spin_unlock(&rd->req_lock);
	}
}

/**
 * keel_remote_rx_complete() - the receiver gives the guest its replies
 * @rd: the device
 *
 * Completes the DONE requests and interrupts the driver, as the worker's
 * round does, when the device runs and no round is under way
 * (&keel_remote.vq_mutex free); otherwise wakes the worker for them. At
 * queue depth 1 this spares each request the worker's second wake-up.
 *
 * Context: the receiver; sleeps.
 */
void keel_remote_rx_complete(struct keel_remote *rd)
{
	if (!mutex_trylock(&rd->vq_mutex)) {
		keel_remote_kick(rd);
		return;
	}
	/* Stopped: the replies wait as DONE for the worker's start. */
	if (rd->running && keel_vm_mm_use(rd->inst.kvm)) {
		keel_remote_vq_sync(rd);
		keel_remote_complete(rd);
		keel_remote_vq_notify(rd);
		keel_vm_mm_unuse(rd->inst.kvm);
	}
	mutex_unlock(&rd->vq_mutex);
}

/*
 * Keepalive: a PING after a third of keepalive_ms without sending; the
 * connection is dead when nothing came for keepalive_ms with a PING out.
 * Returns how long the worker may sleep.
 */
static long keel_remote_keepalive(struct keel_remote *rd)
{
	unsigned long ka, idle, now, last_rx, next;
	bool connected, ping_out;

	if (!rd->keepalive_ms)
		return MAX_SCHEDULE_TIMEOUT;
	ka = msecs_to_jiffies(rd->keepalive_ms);
	idle = max(ka / 3, 1ul);
	spin_lock(&rd->req_lock);
	connected = rd->connected;
	ping_out = rd->ping_out;
	spin_unlock(&rd->req_lock);
	if (!connected)
		return MAX_SCHEDULE_TIMEOUT;
	now = jiffies;
	last_rx = READ_ONCE(rd->last_rx);
	if (ping_out && time_after_eq(now, last_rx + ka)) {
		mutex_lock(&rd->tx_mutex);
		keel_remote_conn_lost(rd, true);
		mutex_unlock(&rd->tx_mutex);
		return MAX_SCHEDULE_TIMEOUT;
	}
	if (time_after_eq(now, READ_ONCE(rd->last_tx) + idle)) {
		if (keel_remote_send_ping(rd))
			return MAX_SCHEDULE_TIMEOUT;
		ping_out = true;
	}
	next = READ_ONCE(rd->last_tx) + idle;
	if (ping_out && time_before(last_rx + ka, next))
		next = last_rx + ka;
	return time_after(next, now) ? next - now : 1;
}

/**
 * keel_remote_worker() - the worker thread of a running device
 * @t: its thread; @t->data is the device
 *
 * Charges its allocations to the VM's memory cgroup, and adopts the
 * VMM's mm (guest memory is read and written through it) for each round
 * of work only, as io_uring's SQ thread does: a device attached to its
 * VM (keel/core.h, KEEL_IOC_ATTACH) is reaped when the VMM's address
 * space goes, which a reference held between rounds would keep for ever.
 *
 * Context: a &struct keel_thread; sleeps.
 *
 * Return: 0, or -ESRCH when the VMM's address space is gone.
 */
int keel_remote_worker(struct keel_thread *t)
{
	struct keel_remote *rd = t->data;
	struct kvm *kvm = rd->inst.kvm;
	struct keel_vm_charge charge;
	long timeout;
	int ret = 0;

	keel_vm_charge_begin(kvm, &charge);
	while (!keel_thread_should_stop(t)) {
		atomic_set(&rd->wake, 0);
		if (!keel_vm_mm_use(kvm)) {
			ret = -ESRCH;
			break;
		}
		mutex_lock(&rd->vq_mutex);
		keel_remote_renumber(rd);
		keel_remote_vq_sync(rd);
		keel_remote_complete(rd);
		keel_remote_take(rd);
		keel_remote_send_pending(rd);
		keel_remote_vq_notify(rd);
		mutex_unlock(&rd->vq_mutex);
		keel_vm_mm_unuse(kvm);
		timeout = keel_remote_keepalive(rd);
		wait_event_interruptible_timeout(t->wq,
						 atomic_read(&rd->wake) ||
						 keel_thread_should_stop(t),
						 timeout);
	}
	keel_vm_charge_end(&charge);
	return ret;
}
