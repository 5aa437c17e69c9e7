// SPDX-License-Identifier: GPL-2.0
/*
 * The data path of /dev/keel-ring: read() and write() of one entry per
 * call, poll, and mmap of the control and slot areas.
 */
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/vmalloc.h>
#include <linux/uaccess.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>

#include "ring.h"

#define KEEL_RING_PAYLOAD_MAX(r)	((r)->slot_size - \
					 sizeof(struct keel_ring_slot))

/* The head (or NULL) if an entry can be fetched; takes head from the map. */
static bool keel_ring_fetchable_now(struct keel_ring *r, u64 *head)
{
	bool ok;

	spin_lock(&r->lock);
	keel_ring_sync_head(r);
	ok = !r->stopped && keel_ring_fetchable(&r->idx) != 0;
	*head = r->idx.head;
	spin_unlock(&r->lock);
	return ok;
}

static bool keel_ring_space_now(struct keel_ring *r, u64 *buf)
{
	bool ok;

	spin_lock(&r->lock);
	keel_ring_sync_buf(r);
	ok = !r->stopped && !r->repl_backup_on &&
	     keel_ring_space(&r->idx) != 0;
	*buf = r->idx.buf;
	spin_unlock(&r->lock);
	return ok;
}

/*
 * read() and write() copy between the user's buffer and a slot past the
 * gate, which STOP and a backup's start wait for. A buffer that does not
 * fault in at once (a userfaultfd or FUSE page nobody serves) must not
 * make them wait: the copies never fault (copy_*_user_nofault()), and on
 * a fault the caller leaves the gate and its lock, faults the buffer in,
 * and starts over. Only the caller waits for its own memory.
 */

/* One committed entry per call: its payload. */
ssize_t keel_ring_read(struct file *file, char __user *ubuf, size_t count,
		       loff_t *ppos)
{
	struct keel_ring *r = keel_ring_of_inst(keel_inst_of(file));
	struct keel_ring_slot *slot;
	ssize_t ret;
	u64 head;
	u32 len;

	if (!keel_ring_ready(r))
		return -EBADFD;
	/*
	 * Past the gate with an entry, or not at all (see STOP). The wait
	 * is outside @read_lock, which FETCH_START takes: a reader blocked
	 * on an empty ring must not hold up the engine's start.
	 */
retry:
	for (;;) {
		if (mutex_lock_interruptible(&r->read_lock))
			return -ERESTARTSYS;
		/* The fetch engine owns the head (set under read_lock). */
		if (READ_ONCE(r->fetch_on)) {
			ret = -EBUSY;
			goto out;
		}
		down_read(&r->gate);
		if (keel_ring_fetchable_now(r, &head))
			break;
		up_read(&r->gate);
		mutex_unlock(&r->read_lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(r->wq,
					       keel_ring_fetchable_now(r, &head) ||
					       READ_ONCE(r->fetch_on));
		if (ret)
			return ret;
	}

	/*
	 * The slot is committed: its contents were acquired with the
	 * buffer tail before the commit. Userspace may still scribble on
	 * it; read the length once and never trust it beyond the slot.
	 */
	slot = keel_ring_slot_ptr(r, head);
	len = READ_ONCE(slot->len);
	if (len > KEEL_RING_PAYLOAD_MAX(r)) {
		ret = -EBADMSG;
	} else if (count < len) {
		ret = -EMSGSIZE;
		goto out_gate;
	} else if (copy_to_user_nofault(ubuf, slot + 1, len)) {
		/* Fault the buffer in with no lock held, then start again. */
		up_read(&r->gate);
		mutex_unlock(&r->read_lock);
		if (fault_in_safe_writeable(ubuf, len))
			return -EFAULT;
		goto retry;
	} else {
		ret = len;
	}

	spin_lock(&r->lock);
	/* Unless a fetcher moved the head through the mapping meanwhile. */
	if (r->idx.head == head) {
		keel_ring_set_head(r, (head + 1) & r->idx.mask, true);
		if (ret < 0)
			r->stats.bad_entry++;
		else
			r->stats.bytes_out += len;
	}
	spin_unlock(&r->lock);
	wake_up_interruptible_poll(&r->wq, EPOLLOUT | EPOLLWRNORM);
out_gate:
	up_read(&r->gate);
out:
	mutex_unlock(&r->read_lock);
	return ret;
}

/* One entry per call; committed at once with KEEL_RING_SETUP_AUTOCOMMIT. */
ssize_t keel_ring_write(struct file *file, const char __user *ubuf,
			size_t count, loff_t *ppos)
{
	struct keel_ring *r = keel_ring_of_inst(keel_inst_of(file));
	struct keel_ring_slot *slot;
	bool moved = false, kick;
	u64 buf, next;
	ssize_t ret;

	if (!keel_ring_ready(r))
		return -EBADFD;
	if (count > KEEL_RING_PAYLOAD_MAX(r))
		return -EMSGSIZE;
	if (!count)
		return 0;
	/*
	 * Past the gate with a free slot, or not at all (see STOP and a
	 * backup's REPL_START). The wait is outside @write_lock: a writer
	 * blocked on a full ring must not hold up the others, a
	 * non-blocking one least of all.
	 */
retry:
	for (;;) {
		if (mutex_lock_interruptible(&r->write_lock))
			return -ERESTARTSYS;
		/* A backup's entries come from its primary only. */
		if (READ_ONCE(r->repl_backup_on)) {
			ret = -EBUSY;
			goto out;
		}
		down_read(&r->gate);
		if (keel_ring_space_now(r, &buf))
			break;
		up_read(&r->gate);
		mutex_unlock(&r->write_lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(r->wq,
					       keel_ring_space_now(r, &buf) ||
					       READ_ONCE(r->repl_backup_on));
		if (ret)
			return ret;
	}

	slot = keel_ring_slot_ptr(r, buf);
	if (copy_from_user_nofault(slot + 1, ubuf, count)) {
		/* Fault the buffer in with no lock held, then start again. */
		up_read(&r->gate);
		mutex_unlock(&r->write_lock);
		if (fault_in_readable(ubuf, count))
			return -EFAULT;
		goto retry;
	}
	WRITE_ONCE(slot->len, count);
	WRITE_ONCE(slot->flags, 0);

	spin_lock(&r->lock);
	next = (buf + 1) & r->idx.mask;
	if (r->repl_backup_on || r->idx.buf != buf ||
	    !keel_ring_buf_ok(&r->idx, next)) {
		/* A producer moved the buffer tail through the mapping. */
		ret = -EBUSY;
	} else {
		keel_ring_set_buf(r, next, true);
		r->stats.bytes_in += count;
		if (r->flags & KEEL_RING_SETUP_AUTOCOMMIT)
			keel_ring_commit_to(r, next, &moved);
		ret = count;
	}
	kick = ret > 0 && r->redundant &&
	       (r->flags & KEEL_RING_SETUP_AUTOCOMMIT);
	spin_unlock(&r->lock);
	if (moved)
		keel_ring_notify_commit(r);
	else if (kick)
		wake_up_interruptible(&r->wq);	/* the replication sender */
	up_read(&r->gate);
out:
	mutex_unlock(&r->write_lock);
	return ret;
}

__poll_t keel_ring_poll(struct file *file, poll_table *wait)
{
	struct keel_ring *r = keel_ring_of_inst(keel_inst_of(file));
	__poll_t mask = 0;

	if (!keel_ring_ready(r))
		return EPOLLERR;
	poll_wait(file, &r->wq, wait);
	spin_lock(&r->lock);
	keel_ring_sync_buf(r);
	/* Stopped: neither, until RESUME wakes the pollers. */
	if (!r->stopped && keel_ring_fetchable(&r->idx))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (!r->stopped && keel_ring_space(&r->idx))
		mask |= EPOLLOUT | EPOLLWRNORM;
	spin_unlock(&r->lock);
	return mask;
}

/*
 * Two areas, each mapped whole at its own offset, shared: anything else
 * is refused. The mapping holds the file, so the areas outlive it.
 */
int keel_ring_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct keel_ring *r = keel_ring_of_inst(keel_inst_of(file));
	unsigned long len = vma->vm_end - vma->vm_start;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;

	if (!keel_ring_ready(r))
		return -EBADFD;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (off == KEEL_RING_OFF_CTRL && len == r->ctrl_size)
		return keel_ring_area_mmap(&r->ctrl_area, vma);
	if (off == KEEL_RING_OFF_SLOTS && len == r->slots_size)
		return keel_ring_area_mmap(&r->slots_area, vma);
	return -EINVAL;
}
