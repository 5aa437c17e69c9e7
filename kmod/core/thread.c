// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel threads owned by Keel objects (include/keel/thread.h): started
 * with a counted task reference, stopped even while blocked in a send or
 * receive by SIGKILL before kthread_stop().
 */
#include <linux/module.h>
#include <linux/cgroup.h>
#include <linux/kthread.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

#include <keel/core.h>

static int keel_thread_main(void *data)
{
	struct keel_thread *t = data;
	int ret;

	allow_signal(SIGKILL);
	/*
	 * A stop before allow_signal() lost its SIGKILL, but set the flag
	 * first: both sides take the signal lock in between, so the flag is
	 * seen here. A stop after it finds the signal allowed.
	 */
	if (keel_thread_should_stop(t))
		return 0;
	ret = t->fn(t);
	flush_signals(current);
	/* The task reference lets keel_thread_stop() reap us even now. */
	return ret;
}

/**
 * keel_thread_init() - initialise a thread, not started
 * @t: the thread
 *
 * Call it before anything else touches @t: keel_thread_wake() and
 * keel_thread_stop() may be called before the thread is ever started.
 *
 * Context: any; @t must not be running.
 */
void keel_thread_init(struct keel_thread *t)
{
	memset(t, 0, sizeof(*t));
	init_waitqueue_head(&t->wq);
}
EXPORT_SYMBOL_GPL(keel_thread_init);

/**
 * keel_thread_wake() - wake a thread sleeping in keel_thread_wait()
 * @t: the thread
 *
 * Make the thread's condition true first.
 *
 * Context: any, including hard interrupt context and with spinlocks held.
 */
void keel_thread_wake(struct keel_thread *t)
{
	wake_up_interruptible(&t->wq);
}
EXPORT_SYMBOL_GPL(keel_thread_wake);

/**
 * keel_thread_start() - start an object's thread
 * @t: the thread, initialised and not started (or stopped)
 * @obj: the object it works for, already added (its id names the thread)
 * @what: the thread's role in the name, or NULL
 * @fn: the thread's function, called with @t; it loops until
 *	keel_thread_should_stop() and its return value is ignored
 * @data: for @fn, in @t->data
 *
 * Starts @fn(@t) in a new kthread named "keel-<part>-<id>" or
 * "keel-<part>-<id>-<what>" that runs with SIGKILL allowed, so that
 * keel_thread_stop() can break a blocking send or receive.
 *
 * The thread works for the caller, so it runs in the caller's cgroups
 * (cgroup_attach_task_all(), as vhost attached its workers): its CPU
 * time, I/O and task count are accounted and limited with the caller's,
 * not the root cgroup's. It stays there when the caller moves on; a
 * cgroup holding it cannot be removed until it is stopped. A cgroup's
 * freeze and kill skip kernel threads, so neither stops it.
 *
 * @fn should
 * check keel_thread_should_stop() before it first blocks: a stop that
 * comes before the thread allowed SIGKILL only sets the stop flag.
 * Start and stop of one thread are serialised by its owner.
 *
 * Context: process context; sleeps (the kthread is created by kthreadd;
 * attaching it takes cgroup_mutex and the cgroup threadgroup rwsem).
 *
 * Return: 0; -EBUSY (with a warning) when @t was started and not stopped;
 * the error of kthread_create(): -ENOMEM, -EINTR when the caller got a
 * fatal signal meanwhile; or that of cgroup_attach_task_all(), and then
 * the thread is gone without having run @fn.
 */
int keel_thread_start(struct keel_thread *t, struct keel_object *obj,
		      const char *what, int (*fn)(struct keel_thread *t),
		      void *data)
{
	const char *part = obj->part->name;
	struct task_struct *task;
	int ret;

	if (WARN_ON(t->task))
		return -EBUSY;
	t->fn = fn;
	t->data = data;
	WRITE_ONCE(t->stopping, false);
	if (what)
		task = kthread_create(keel_thread_main, t, "keel-%s-%u-%s",
				      part, obj->id, what);
	else
		task = kthread_create(keel_thread_main, t, "keel-%s-%u",
				      part, obj->id);
	if (IS_ERR(task))
		return PTR_ERR(task);
	/* Before it ever runs: all its work is accounted to the caller. */
	ret = cgroup_attach_task_all(current, task);
	if (ret) {
		/* Never woken: kthread() returns without calling us. */
		kthread_stop(task);
		return ret;
	}
	get_task_struct(task);
	t->task = task;
	wake_up_process(task);
	return 0;
}
EXPORT_SYMBOL_GPL(keel_thread_start);

/**
 * keel_thread_stop() - stop a thread and reap it
 * @t: the thread; nothing happens when it was not started
 *
 * Sets the stop flag, sends SIGKILL to the thread, so that a send or
 * receive blocked for ever returns (-EINTR or -ERESTARTSYS), and then
 * waits in kthread_stop() until the thread's function has returned. Safe
 * when the function already returned on its own: the task is held by a
 * counted reference from start to stop. Afterwards @t may be started
 * again.
 *
 * Context: process context; sleeps. Not from the thread itself, and not
 * holding a lock that the thread's function may wait for.
 */
void keel_thread_stop(struct keel_thread *t)
{
	if (!t->task)
		return;
	WRITE_ONCE(t->stopping, true);
	/* Breaks a send or receive that would block for ever. */
	send_sig(SIGKILL, t->task, 1);
	kthread_stop(t->task);
	put_task_struct(t->task);
	t->task = NULL;
}
EXPORT_SYMBOL_GPL(keel_thread_stop);

/**
 * keel_thread_should_stop() - is it time for the thread to return?
 * @t: the thread, which calls this
 *
 * A call that failed while this is true was interrupted by the stop, not
 * a failure of its own.
 *
 * Context: in the thread @t only (it uses kthread_should_stop()).
 *
 * Return: true once keel_thread_stop() (or kthread_stop()) began.
 */
bool keel_thread_should_stop(struct keel_thread *t)
{
	return kthread_should_stop() || READ_ONCE(t->stopping);
}
EXPORT_SYMBOL_GPL(keel_thread_should_stop);
