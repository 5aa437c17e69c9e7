/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel threads owned by a Keel object, and the sinks they send to
 * (thread.c, sink.c).
 *
 * A keel_thread is a kthread named "keel-<part>-<id>[-<what>]" that the
 * object's owner starts and stops. Its function loops until
 * keel_thread_should_stop(). Stopping must not hang on a thread blocked
 * in a send or receive that never completes (a full pipe nobody reads, a
 * peer that went silent), which kthread_stop() alone would: the thread
 * runs with SIGKILL allowed, and keel_thread_stop() sets the stop flag,
 * sends SIGKILL (the blocked call returns -EINTR or -ERESTARTSYS) and
 * then waits in kthread_stop(). A call that failed while
 * keel_thread_should_stop() is true was interrupted by the stop, not a
 * failure. The task is held by a counted reference from start to stop,
 * so stopping is safe even after the function returned on its own.
 *
 * Start and stop of one keel_thread are serialised by its owner.
 */
#ifndef _KEEL_THREAD_H
#define _KEEL_THREAD_H

#include <linux/types.h>
#include <linux/uio.h>
#include <linux/wait.h>

struct task_struct;
struct keel_object;
struct socket;
struct file;

struct keel_thread {
	struct task_struct *task;	/* counted; NULL when not started */
	int (*fn)(struct keel_thread *t);
	void *data;
	bool stopping;			/* READ_ONCE in the thread */
	wait_queue_head_t wq;		/* keel_thread_wait() */
};

/* Before anything else (the thread may be woken before it starts). */
void keel_thread_init(struct keel_thread *t);

/*
 * Start @fn(@t) in a new thread for @obj (which must have its id),
 * named after the object and @what (may be NULL). -EBUSY when @t runs.
 */
int keel_thread_start(struct keel_thread *t, struct keel_object *obj,
		      const char *what, int (*fn)(struct keel_thread *t),
		      void *data);
/* Stop and reap @t; nothing when it was not started. May sleep. */
void keel_thread_stop(struct keel_thread *t);
/* In the thread: time to return. */
bool keel_thread_should_stop(struct keel_thread *t);
/*
 * In the thread: sleep until @cond or a stop. Others wake it with
 * keel_thread_wake() after making @cond true; a stop wakes it anyway.
 */
#define keel_thread_wait(t, cond)					\
({									\
	struct keel_thread *__t = (t);					\
									\
	wait_event_interruptible(__t->wq,				\
				 (cond) || keel_thread_should_stop(__t)); \
})
void keel_thread_wake(struct keel_thread *t);

/*
 * Where a thread sends: a socket (kernel_sendmsg(), one message per
 * send) or a file that takes writes (a pipe or a character device such
 * as a tap, one write per send). keel_sink_get() takes the file of
 * @fd: -EBADF when it is not open or not open for writing, -EINVAL when
 * it is neither a socket nor a FIFO or character device with
 * ->write_iter (and no ->write, which would need a user buffer).
 */
struct keel_sink {
	struct file *file;		/* counted */
	struct socket *sock;		/* of @file, or NULL */
};

int keel_sink_get(struct keel_sink *s, int fd);
/* Only a socket of @type (SOCK_STREAM, ...; 0: any): -EINVAL otherwise. */
int keel_sink_get_socket(struct keel_sink *s, int fd, int type);
void keel_sink_put(struct keel_sink *s);
/*
 * Send @len bytes in @nr kvecs, whole, as one message or write where the
 * sink keeps boundaries: 0 or -errno (-EIO on a short send). Blocks
 * until done or interrupted (keel_thread_stop()). No signal is raised
 * for a closed peer (MSG_NOSIGNAL).
 */
int keel_sink_send(struct keel_sink *s, struct kvec *iov, size_t nr,
		   size_t len);
/* Receive exactly @len bytes from a socket sink: 0, -ECONNRESET at EOF. */
int keel_sink_recv(struct keel_sink *s, void *buf, size_t len);

#endif /* _KEEL_THREAD_H */
