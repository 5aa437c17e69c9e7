/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Eventfds between Keel objects, KVM and the VMM (eventfd.c, irq.c).
 *
 * struct keel_evwait waits on an eventfd the way KVM's irqfd does: an
 * entry on the eventfd's wait queue whose wakeup takes the counter and
 * defers the work to a work item. The wakeup runs with the eventfd's
 * wait-queue lock held, interrupts off, in whatever context signalled it
 * (a vCPU, an interrupt, vhost's worker); and eventfd_signal() from
 * inside another eventfd's wakeup is dropped (current->in_eventfd). So
 * the callback never runs there: it runs from the work item, in process
 * context, and may sleep and signal eventfds.
 *
 * struct keel_irq_line is an interrupt line on a KVM irqfd: the object
 * drives a level with keel_irq_line_set() and the line signals the irqfd
 * the VMM bound to a GSI with KVM_IRQFD. Edge mode: one signal per rising
 * edge. Level mode (with a resample eventfd, KVM_IRQFD_FLAG_RESAMPLE):
 * KVM keeps the GSI asserted until the guest's EOI and then signals the
 * resample eventfd; the line waits on it with a keel_evwait and signals
 * again while still high. A line can be disabled (a stopped object): it
 * records the level but signals nothing; enabling it with the level high
 * signals once more.
 */
#ifndef _KEEL_EVENTFD_H
#define _KEEL_EVENTFD_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/poll.h>
#include <linux/workqueue.h>

struct eventfd_ctx;
struct file;

struct keel_evwait {
	/* @fn gets the counts taken since its last call (at least 1). */
	void (*fn)(struct keel_evwait *w, u64 count);
	struct eventfd_ctx *ctx;
	struct file *file;		/* counted */
	wait_queue_head_t *wqh;		/* the eventfd's, while hooked */
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct work;
	atomic64_t count;		/* taken by the wakeup, not yet passed */
};

/*
 * Wait on the eventfd @fd of the calling process: -EBADF when it is not
 * open, -EINVAL when it is not an eventfd. Counts already in the eventfd
 * are taken at once. Process context.
 */
int keel_evwait_start(struct keel_evwait *w, int fd,
		      void (*fn)(struct keel_evwait *w, u64 count));
/*
 * Stop waiting: when it returns, @fn is not running and will not run
 * again, and the eventfd is put. Idempotent (a zeroed or stopped @w).
 * Process context; may sleep.
 */
void keel_evwait_stop(struct keel_evwait *w);

enum keel_irq_mode {
	KEEL_IRQ_NONE,			/* no irqfd: levels are only recorded */
	KEEL_IRQ_EDGE,
	KEEL_IRQ_LEVEL,			/* with a resample eventfd */
};

struct keel_irq_line {
	/* @lock protects the fields below; taken with interrupts off. */
	spinlock_t lock;
	bool level;			/* as the object drives it */
	bool enabled;			/* signals allowed */
	u64 signals;			/* irqfd signals sent */
	/* Set by bind, constant until unbind. */
	enum keel_irq_mode mode;
	struct eventfd_ctx *trigger;
	struct keel_evwait resample;
};

/* Before anything else: mode NONE, enabled, low. */
void keel_irq_line_init(struct keel_irq_line *l);
/*
 * Take the irqfd @fd and, unless it is negative, the resample eventfd
 * @resample_fd (level mode); @fd < 0 with @resample_fd < 0 is mode NONE.
 * Errors: -EBADF (not open), -EINVAL (not an eventfd). Process context.
 */
int keel_irq_line_bind(struct keel_irq_line *l, int fd, int resample_fd);
/* Put the eventfds; no signal is sent afterwards. May sleep. */
void keel_irq_line_unbind(struct keel_irq_line *l);
/*
 * Drive the line. Any context, any lock (the line's lock nests inside
 * them): signalling an irqfd only injects or queues KVM's own work.
 */
void keel_irq_line_set(struct keel_irq_line *l, bool level);
/* Allow signals or not; enabling with the level high signals once. */
void keel_irq_line_enable(struct keel_irq_line *l, bool enabled);

/* A consistent view for statistics. */
struct keel_irq_line_info {
	enum keel_irq_mode mode;
	bool level;
	u64 signals;
};

void keel_irq_line_info(struct keel_irq_line *l,
			struct keel_irq_line_info *info);

#endif /* _KEEL_EVENTFD_H */
