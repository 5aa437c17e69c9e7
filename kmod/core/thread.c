// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel threads owned by Keel objects (include/keel/thread.h): started
 * with a counted task reference, stopped even while blocked in a send or
 * receive by SIGKILL before kthread_stop().
 */
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

#include <keel/core.h>

static int keel_thread_main(void *data)
{
	struct keel_thread *t = data;
	int ret;

	allow_signal(SIGKILL);
	ret = t->fn(t);
	flush_signals(current);
	/* The task reference lets keel_thread_stop() reap us even now. */
	return ret;
}

void keel_thread_init(struct keel_thread *t)
{
	memset(t, 0, sizeof(*t));
	init_waitqueue_head(&t->wq);
}
EXPORT_SYMBOL_GPL(keel_thread_init);

void keel_thread_wake(struct keel_thread *t)
{
	wake_up_interruptible(&t->wq);
}
EXPORT_SYMBOL_GPL(keel_thread_wake);

int keel_thread_start(struct keel_thread *t, struct keel_object *obj,
		      const char *what, int (*fn)(struct keel_thread *t),
		      void *data)
{
	const char *part = obj->part->name;
	struct task_struct *task;

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
	get_task_struct(task);
	t->task = task;
	wake_up_process(task);
	return 0;
}
EXPORT_SYMBOL_GPL(keel_thread_start);

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

bool keel_thread_should_stop(struct keel_thread *t)
{
	return kthread_should_stop() || READ_ONCE(t->stopping);
}
EXPORT_SYMBOL_GPL(keel_thread_should_stop);
