// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel fetcher: a kernel thread per ring that sends each
 * committed entry to a sink file (a socket with sendmsg, a pipe or tap
 * with a kernel write) straight from the slot, and advances the head.
 *
 * Stopping: a send may block for ever (a full pipe nobody reads), and
 * kthread_stop() alone does not interrupt it. The thread allows SIGKILL;
 * stop sets @fetch_stopping, then keel_ring_thread_stop() (thread.c)
 * breaks the blocked send and waits for the thread. An entry whose send
 * was interrupted stays at the head.
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
	return kthread_should_stop() || READ_ONCE(r->fetch_stopping);
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

/* Send @len bytes at @data whole: 0 or -errno. */
static int keel_ring_fetch_send(struct keel_ring *r, void *data, u32 len)
{
	struct kvec iov = { .iov_base = data, .iov_len = len };
	struct msghdr msg = { .msg_flags = MSG_NOSIGNAL };
	loff_t pos = 0;
	int ret;

	if (r->fetch_sock) {
		/* One message per entry; a stream socket sends it all. */
		ret = kernel_sendmsg(r->fetch_sock, &msg, &iov, 1, len);
		if (ret >= 0 && ret != len)
			ret = -EIO;
		return ret < 0 ? ret : 0;
	}
	while (len) {
		ret = kernel_write(r->fetch_sink, data, len, &pos);
		if (ret < 0)
			return ret;
		if (!ret)
			return -EIO;
		data += ret;
		len -= ret;
	}
	return 0;
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

static int keel_ring_fetch_thread(void *data)
{
	struct keel_ring *r = data;
	struct keel_ring_slot *slot;
	u64 head;
	u32 len;
	int err;

	allow_signal(SIGKILL);
	while (!keel_ring_fetch_should_stop(r)) {
		if (!keel_ring_fetch_work(r, &head)) {
			wait_event_interruptible(r->wq, keel_ring_fetch_wake(r));
			continue;
		}
		/* Hostile memory: read the length once, bound it. */
		slot = keel_ring_slot_ptr(r, head);
		len = READ_ONCE(slot->len);
		err = 0;
		if (len <= r->slot_size - sizeof(*slot))
			err = keel_ring_fetch_send(r, slot + 1, len);
		/* Interrupted by stop: the entry stays, no error. */
		if (err && keel_ring_fetch_should_stop(r))
			break;
		keel_ring_fetch_done(r, head, len, err);
	}
	flush_signals(current);
	return 0;
}

int keel_ring_fetch_start(struct keel_ring *r, unsigned int cmd,
			  struct keel_ring_fetch __user *uarg)
{
	struct keel_ring_fetch arg;
	struct task_struct *task;
	struct socket *sock;
	struct file *sink;
	int ret;

	BUILD_BUG_ON(sizeof(arg) != KEEL_RING_FETCH_SIZE_VER0);
	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), KEEL_RING_FETCH_SIZE_VER0,
				  cmd, uarg);
	if (ret)
		return ret;
	if (arg.flags & ~KEEL_RING_FETCH_FLAGS_ALL || arg.pad)
		return -EINVAL;
	if (arg.sink_fd < 0)
		return -EBADF;

	sink = fget(arg.sink_fd);
	if (!sink)
		return -EBADF;
	ret = -EBADF;
	if (!(sink->f_mode & FMODE_WRITE))
		goto put_sink;
	sock = sock_from_file(sink);
	/*
	 * Otherwise a pipe or a character device (a tap) that
	 * kernel_write() can write: ->write_iter and no ->write (so not a
	 * ring). Not a regular file: there is no position to write at.
	 */
	ret = -EINVAL;
	if (!sock && (!(S_ISFIFO(file_inode(sink)->i_mode) ||
			S_ISCHR(file_inode(sink)->i_mode)) ||
		      !sink->f_op->write_iter || sink->f_op->write))
		goto put_sink;

	mutex_lock(&r->fetch_lock);
	ret = -EBUSY;
	/* A STOP after this check detaches the engine again. */
	if (r->fetch_task || keel_ring_is_stopped(r))
		goto unlock;
	task = keel_ring_thread_create(r, keel_ring_fetch_thread, NULL);
	if (IS_ERR(task)) {
		ret = PTR_ERR(task);
		goto unlock;
	}
	r->fetch_task = task;
	r->fetch_sink = sink;
	r->fetch_sock = sock;
	r->fetch_stopping = false;

	/* No read() is fetching while the head changes hands. */
	mutex_lock(&r->read_lock);
	spin_lock(&r->lock);
	r->fetch_on = true;
	r->fetch_state = KEEL_RING_FETCH_STATE_RUNNING;
	r->fetch_err = 0;
	spin_unlock(&r->lock);
	mutex_unlock(&r->read_lock);
	/* A blocked read() wakes up to its EBUSY. */
	wake_up_interruptible(&r->wq);
	wake_up_process(task);
	mutex_unlock(&r->fetch_lock);
	return 0;

unlock:
	mutex_unlock(&r->fetch_lock);
put_sink:
	fput(sink);
	return ret;
}

/* Idempotent; when it returns the thread is gone and the sink put. */
void keel_ring_fetch_stop(struct keel_ring *r)
{
	mutex_lock(&r->fetch_lock);
	if (r->fetch_task) {
		WRITE_ONCE(r->fetch_stopping, true);
		keel_ring_thread_stop(r->fetch_task);
		fput(r->fetch_sink);
		r->fetch_task = NULL;
		r->fetch_sink = NULL;
		r->fetch_sock = NULL;
		spin_lock(&r->lock);
		r->fetch_on = false;
		r->fetch_state = KEEL_RING_FETCH_STATE_NONE;
		spin_unlock(&r->lock);
	}
	mutex_unlock(&r->fetch_lock);
}
