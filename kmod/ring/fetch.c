// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel fetcher: a kernel thread per ring that sends each
 * committed entry to a sink file (a socket with sendmsg, a pipe or tap
 * with a kernel write) straight from the slot, and advances the head.
 *
 * The thread and its sink are the core's (keel_thread, keel_sink):
 * keel_thread_stop() breaks a send that would block for ever (a full pipe
 * nobody reads) and waits for the thread. An entry whose send was
 * interrupted stays at the head; on a byte stream the part that went out
 * is remembered, and the next engine on the same sink sends the rest.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/socket.h>
#include <linux/uio.h>

#include "ring.h"

#define KEEL_RING_FETCH_SIZE_VER0	16

static bool keel_ring_fetch_should_stop(struct keel_ring *r)
{
	return keel_thread_should_stop(&r->fetch_thread);
}

/* Is there an entry to send? Its index in *head. */
static bool keel_ring_fetch_work(struct keel_ring *r, u64 *head)
{
	bool work;

	spin_lock(&r->lock);
	work = r->fetch_state == KEEL_RING_FETCH_STATE_RUNNING &&
	       keel_ring_fetchable(&r->idx);
	*head = r->idx.head;
	spin_unlock(&r->lock);
	return work;
}

static bool keel_ring_fetch_wake(struct keel_ring *r)
{
	u64 head;

	return keel_ring_fetch_should_stop(r) || keel_ring_fetch_work(r, &head);
}

/* After a send of the entry at @head: move on, or record the failure. */
static void keel_ring_fetch_done(struct keel_ring *r, u64 head, u32 len,
				 int err)
{
	spin_lock(&r->lock);
	if (err) {
		r->fetch_state = KEEL_RING_FETCH_STATE_FAILED;
		r->fetch_err = -err;
	} else if (r->idx.head == head) {
		keel_ring_set_head(r, (head + 1) & r->idx.mask, true);
		if (len > r->slot_size - sizeof(struct keel_ring_slot))
			r->stats.bad_entry++;
		else
			r->stats.bytes_out += len;
	}
	spin_unlock(&r->lock);
	if (!err)
		wake_up_interruptible_poll(&r->wq, EPOLLOUT | EPOLLWRNORM);
}

/*
 * The head changes hands: to the engine (@on), with no read() fetching
 * meanwhile, or back to read() and the mapping (the engine is gone or
 * never ran; no lock a reader holds is taken, so a stop never waits on a
 * reader).
 */
static void keel_ring_fetch_set(struct keel_ring *r, bool on)
{
	if (on)
		mutex_lock(&r->read_lock);
	spin_lock(&r->lock);
	r->fetch_on = on;
	r->fetch_state = on ? KEEL_RING_FETCH_STATE_RUNNING :
			      KEEL_RING_FETCH_STATE_NONE;
	if (on)
		r->fetch_err = 0;
	spin_unlock(&r->lock);
	if (on)
		mutex_unlock(&r->read_lock);
}

/* Forget the entry a stop cut (see struct keel_ring). fetch_lock held. */
static void keel_ring_fetch_forget_cut(struct keel_ring *r)
{
	if (r->fetch_cut_file)
		fput(r->fetch_cut_file);
	r->fetch_cut_file = NULL;
	r->fetch_cut_off = 0;
}

/*
 * The stop cut the entry at @head after @off of its @len bytes: on a byte
 * stream, remember where, so that this sink's next engine goes on there.
 */
static void keel_ring_fetch_cut(struct keel_ring *r, u64 head, size_t off,
				u32 len)
{
	if (!off || off >= len || !keel_sink_is_stream(&r->fetch_sink))
		return;
	r->fetch_cut_file = get_file(r->fetch_sink.file);
	r->fetch_cut_head = head;
	r->fetch_cut_off = off;
}

static int keel_ring_fetch_thread(struct keel_thread *t)
{
	struct keel_ring *r = t->data;
	/* Set by the start before the thread runs; the rest of a cut entry. */
	u64 resume_head = r->fetch_cut_head;
	size_t resume = r->fetch_cut_off;
	struct keel_ring_slot *slot;
	size_t start, sent;
	struct kvec iov;
	u64 head;
	u32 len;
	int err;

	r->fetch_cut_off = 0;
	while (!keel_ring_fetch_should_stop(r)) {
		if (!keel_ring_fetch_work(r, &head)) {
			wait_event_interruptible(r->wq, keel_ring_fetch_wake(r));
			continue;
		}
		/* Hostile memory: read the length once, bound it. */
		slot = keel_ring_slot_ptr(r, head);
		len = READ_ONCE(slot->len);
		start = head == resume_head && resume < len ? resume : 0;
		resume = 0;
		err = 0;
		sent = 0;
		if (len <= r->slot_size - sizeof(*slot)) {
			/* One message or write per entry, straight from it. */
			iov.iov_base = (u8 *)(slot + 1) + start;
			iov.iov_len = len - start;
			err = keel_sink_send_part(&r->fetch_sink, &iov, 1,
						  len - start, &sent);
		}
		/* Interrupted by stop: the entry stays, no error. */
		if (err && keel_ring_fetch_should_stop(r)) {
			keel_ring_fetch_cut(r, head, start + sent, len);
			break;
		}
		keel_ring_fetch_done(r, head, len, err);
	}
	return 0;
}

long keel_ring_fetch_start(struct keel_inst *inst, unsigned int cmd,
			   void __user *uarg)
{
	struct keel_ring *r = keel_ring_of_inst(inst);
	struct keel_ring_fetch arg;
	struct keel_sink sink;
	int ret;

	BUILD_BUG_ON(sizeof(arg) != KEEL_RING_FETCH_SIZE_VER0);
	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), KEEL_RING_FETCH_SIZE_VER0,
				  KEEL_RING_FETCH_FLAGS_ALL, cmd, uarg);
	if (ret)
		return ret;
	if (arg.pad)
		return -EINVAL;
	if (arg.sink_fd < 0)
		return -EBADF;
	ret = keel_sink_get(&sink, arg.sink_fd);
	if (ret)
		return ret;
	/*
	 * The engine only sends: a sink that can carry files (AF_UNIX) is
	 * sealed, so that the ring's own file can never be passed into it
	 * and keep both alive. One with input queued is refused, so that
	 * nothing of the caller's is thrown away.
	 */
	if (keel_sink_has_input(&sink)) {
		keel_sink_put(&sink);
		return -EBUSY;
	}

	mutex_lock(&r->fetch_lock);
	ret = -EBUSY;
	/* A STOP after this check detaches the engine again. */
	if (r->fetch_thread.task || keel_ring_is_stopped(r))
		goto unlock;
	r->fetch_sink = sink;
	/* The same stream, and its cut entry still at the head: go on. */
	spin_lock(&r->lock);
	if (r->fetch_cut_file != sink.file ||
	    r->fetch_cut_head != r->idx.head)
		r->fetch_cut_off = 0;
	spin_unlock(&r->lock);
	if (r->fetch_cut_file) {
		fput(r->fetch_cut_file);
		r->fetch_cut_file = NULL;
	}
	keel_ring_fetch_set(r, true);
	ret = keel_thread_start(&r->fetch_thread, &inst->obj, NULL,
				keel_ring_fetch_thread, r);
	if (ret) {
		keel_ring_fetch_set(r, false);
		memset(&r->fetch_sink, 0, sizeof(r->fetch_sink));
		goto unlock;
	}
	keel_sink_seal(&r->fetch_sink);
	/* A blocked read() wakes up to its EBUSY. */
	wake_up_interruptible(&r->wq);
	mutex_unlock(&r->fetch_lock);
	return 0;

unlock:
	mutex_unlock(&r->fetch_lock);
	keel_sink_put(&sink);
	return ret;
}

/* Idempotent; when it returns the thread is gone and the sink put. */
void keel_ring_fetch_stop(struct keel_ring *r)
{
	mutex_lock(&r->fetch_lock);
	if (r->fetch_thread.task) {
		keel_thread_stop(&r->fetch_thread);
		keel_sink_put(&r->fetch_sink);
		keel_ring_fetch_set(r, false);
	}
	mutex_unlock(&r->fetch_lock);
}

/* The ring goes away: no engine, and no cut entry to go on with. */
void keel_ring_fetch_release(struct keel_ring *r)
{
	keel_ring_fetch_stop(r);
	mutex_lock(&r->fetch_lock);
	keel_ring_fetch_forget_cut(r);
	mutex_unlock(&r->fetch_lock);
}
