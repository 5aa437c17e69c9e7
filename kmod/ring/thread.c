// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel threads of a ring (the fetch engine, the replication
 * threads): created with a counted reference, and stopped even while
 * blocked in a send or receive. Each thread allows SIGKILL and checks its
 * owner's stop flag; stopping sends SIGKILL (the blocked call returns
 * -ERESTARTSYS or -EINTR), then waits in kthread_stop().
 */
#include <linux/kthread.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>

#include "ring.h"

/* "keel-ring-<id>", or "keel-ring-<id>-<what>"; not yet woken. */
struct task_struct *keel_ring_thread_create(struct keel_ring *r,
					    int (*fn)(void *),
					    const char *what)
{
	struct task_struct *t;

	if (what)
		t = kthread_create(fn, r, "keel-ring-%u-%s", r->obj.id, what);
	else
		t = kthread_create(fn, r, "keel-ring-%u", r->obj.id);
	if (!IS_ERR(t))
		get_task_struct(t);
	return t;
}

/* Stop @t (NULL: nothing) and drop its reference; it is gone after. */
void keel_ring_thread_stop(struct task_struct *t)
{
	if (!t)
		return;
	send_sig(SIGKILL, t, 1);
	kthread_stop(t);
	put_task_struct(t);
}
