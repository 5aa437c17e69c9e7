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
 * A keel_thread runs in the cgroups of the process that started it, so
 * the work it does for that process is accounted and limited with it.
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

/**
 * struct keel_thread - a kernel thread owned by a Keel object
 * @task: the thread (a counted reference); NULL when not started
 * @fn: the thread's function, from keel_thread_start()
 * @data: for @fn, from keel_thread_start()
 * @stopping: set by keel_thread_stop() before it signals the thread; read
 *	with READ_ONCE() in the thread (keel_thread_should_stop())
 * @wq: where the thread sleeps in keel_thread_wait()
 */
struct keel_thread {
	struct task_struct *task;
	int (*fn)(struct keel_thread *t);
	void *data;
	bool stopping;
	wait_queue_head_t wq;
};

/* thread.c */
void keel_thread_init(struct keel_thread *t);
int keel_thread_start(struct keel_thread *t, struct keel_object *obj,
		      const char *what, int (*fn)(struct keel_thread *t),
		      void *data);
void keel_thread_stop(struct keel_thread *t);
bool keel_thread_should_stop(struct keel_thread *t);

/**
 * keel_thread_wait() - sleep until a condition or a stop
 * @t: the thread, which calls this
 * @cond: the condition, a C expression evaluated on each wakeup
 *
 * Others wake the thread with keel_thread_wake() after making @cond true;
 * keel_thread_stop() wakes it anyway (its SIGKILL ends the sleep).
 *
 * Context: in the thread @t only; sleeps (interruptibly).
 *
 * Return: 0 when @cond or keel_thread_should_stop() became true, or
 * -ERESTARTSYS when a signal (the stop's SIGKILL) ended the sleep.
 */
#define keel_thread_wait(t, cond)					\
({									\
	struct keel_thread *__t = (t);					\
									\
	wait_event_interruptible(__t->wq,				\
				 (cond) || keel_thread_should_stop(__t)); \
})
void keel_thread_wake(struct keel_thread *t);

/**
 * struct keel_sink - where a thread sends
 * @file: the file (counted), from keel_sink_get() or
 *	keel_sink_get_socket(); NULL after keel_sink_put()
 * @sock: the socket of @file, or NULL when @file is not a socket
 * @cred: the credentials of the process that handed the sink in
 *	(counted); sends and receives run with them
 *
 * A socket (kernel_sendmsg(), one message per send) or a file that takes
 * writes (a pipe or a character device such as a tap, one write per
 * send). A thread that sends acts for the process that gave it the sink:
 * a receiver that asks (SO_PASSCRED) and the LSMs see that process's
 * uid, gid and security context, never the kernel's. Not the opener's
 * of the Keel object: a process that got the object's file from a more
 * privileged one gains nothing by it.
 */
struct keel_sink {
	struct file *file;
	struct socket *sock;
	const struct cred *cred;
};

/* sink.c */
int keel_sink_get(struct keel_sink *s, int fd);
int keel_sink_get_socket(struct keel_sink *s, int fd, int type);
void keel_sink_put(struct keel_sink *s);
bool keel_sink_has_input(const struct keel_sink *s);
bool keel_sink_is_stream(const struct keel_sink *s);
int keel_sink_send_part(struct keel_sink *s, struct kvec *iov, size_t nr,
			size_t len, size_t *sent);
void keel_sink_seal(struct keel_sink *s);
int keel_sink_send(struct keel_sink *s, struct kvec *iov, size_t nr,
		   size_t len);
int keel_sink_recv(struct keel_sink *s, void *buf, size_t len);

#endif /* _KEEL_THREAD_H */
