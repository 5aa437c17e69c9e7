// SPDX-License-Identifier: GPL-2.0
/*
 * Waiting on an eventfd with a deferred callback (include/keel/eventfd.h):
 * a wait-queue entry on the eventfd, as KVM's irqfd has, whose wakeup
 * takes the count and queues a work item that calls the owner.
 *
 * Locking: the wakeup runs under the eventfd's wait-queue lock with
 * interrupts off; it only moves the count into @count (or @dropped) and
 * queues @work. keel_evwait_stop() unhooks the entry (after which no
 * wakeup runs) and then cancels the work, so @fn is not running when it
 * returns.
 */
#include <linux/module.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>

#include "core.h"

static void keel_evwait_work(struct work_struct *work)
{
	struct keel_evwait *w = container_of(work, struct keel_evwait, work);
	u64 count = atomic64_xchg(&w->count, 0);

	if (count)
		w->fn(w, count);
}

static int keel_evwait_wakeup(wait_queue_entry_t *wait, unsigned int mode,
			      int sync, void *key)
{
	struct keel_evwait *w = container_of(wait, struct keel_evwait, wait);
	u64 count;

	if (!(key_to_poll(key) & EPOLLIN))
		return 0;
	/* Under the eventfd's wait-queue lock, as eventfd_ctx_do_read needs. */
	eventfd_ctx_do_read(w->ctx, &count);
	if (!count)
		return 0;
	/* Signalled from inside a Keel line's own signal: a loop. */
	if ((w->flags & KEEL_EVWAIT_NOT_FROM_LINES) &&
	    keel_irq_line_signalling()) {
		atomic64_add(count, &w->dropped);
		return 0;
	}
	atomic64_add(count, &w->count);
	schedule_work(&w->work);
	return 0;
}

static void keel_evwait_queue(struct file *file, wait_queue_head_t *wqh,
			      poll_table *pt)
{
	struct keel_evwait *w = container_of(pt, struct keel_evwait, pt);

	w->wqh = wqh;
	add_wait_queue(wqh, &w->wait);
}

/**
 * keel_evwait_start() - wait on an eventfd
 * @w: the wait: zeroed or stopped, not running
 * @fd: an eventfd of the calling process
 * @fn: called with the counts taken since its last call (at least 1),
 *	from a work item on the system workqueue, in process context: it may
 *	sleep and signal eventfds
 *
 * Hooks an entry on the eventfd's wait queue whose wakeup takes the
 * eventfd's count and queues the work item; counts already in the
 * eventfd are taken at once. Holds a reference to the eventfd's file
 * until keel_evwait_stop().
 *
 * Context: process context (@fd is looked up in current's file table),
 * interrupts enabled.
 *
 * Return: 0, -EBADF when @fd is not open, -EINVAL when it is not an
 * eventfd.
 */
int keel_evwait_start(struct keel_evwait *w, int fd,
		      void (*fn)(struct keel_evwait *w, u64 count))
{
	return __keel_evwait_start(w, fd, fn, 0);
}
EXPORT_SYMBOL_GPL(keel_evwait_start);

/*
 * The file of eventfd @fd of the calling process, with a reference to its
 * context in *@ctxp when @ctxp is not NULL. ERR_PTR(-EBADF) when @fd is
 * not open, ERR_PTR(-EINVAL) when it is not an eventfd.
 */
struct file *keel_eventfd_fget(int fd, struct eventfd_ctx **ctxp)
{
	struct eventfd_ctx *ctx;
	struct file *file;

	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		fput(file);
		return ERR_PTR(-EINVAL);
	}
	if (ctxp)
		*ctxp = ctx;
	else
		eventfd_ctx_put(ctx);
	return file;
}

/* keel_evwait_start() with KEEL_EVWAIT_* @flags, for keel.ko itself. */
int __keel_evwait_start(struct keel_evwait *w, int fd,
			void (*fn)(struct keel_evwait *w, u64 count),
			unsigned int flags)
{
	struct eventfd_ctx *ctx;
	struct file *file;
	u64 count;

	file = keel_eventfd_fget(fd, &ctx);
	if (IS_ERR(file))
		return PTR_ERR(file);

	memset(w, 0, sizeof(*w));
	w->fn = fn;
	w->flags = flags;
	w->ctx = ctx;
	w->file = file;
	INIT_WORK(&w->work, keel_evwait_work);
	init_waitqueue_func_entry(&w->wait, keel_evwait_wakeup);
	init_poll_funcptr(&w->pt, keel_evwait_queue);

	vfs_poll(file, &w->pt);
	if (WARN_ON(!w->wqh)) {
		keel_evwait_stop(w);
		return -EINVAL;
	}
	/*
	 * A count from before we were on the queue: take it as a wakeup
	 * would, under the same lock (the eventfd's wait-queue head).
	 */
	spin_lock_irq(&w->wqh->lock);
	eventfd_ctx_do_read(ctx, &count);
	spin_unlock_irq(&w->wqh->lock);
	if (count) {
		atomic64_add(count, &w->count);
		schedule_work(&w->work);
	}
	return 0;
}

/**
 * keel_evwait_stop() - stop waiting on the eventfd
 * @w: the wait; a zeroed or already stopped one is fine
 *
 * Unhooks the entry, after which no wakeup runs, then cancels the work
 * item: when it returns, @w->fn is not running and will not run again,
 * and the eventfd is put. Counts taken but not yet passed to @w->fn are
 * dropped.
 *
 * Context: process context; sleeps (cancel_work_sync()). Not from @w->fn
 * and not holding a lock that @w->fn takes.
 */
void keel_evwait_stop(struct keel_evwait *w)
{
	if (w->wqh) {
		remove_wait_queue(w->wqh, &w->wait);
		w->wqh = NULL;
	}
	if (w->fn)
		cancel_work_sync(&w->work);
	if (w->ctx) {
		eventfd_ctx_put(w->ctx);
		w->ctx = NULL;
	}
	if (w->file) {
		fput(w->file);
		w->file = NULL;
	}
	w->fn = NULL;
}
EXPORT_SYMBOL_GPL(keel_evwait_stop);
