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
 * signals once more. A resample that a line's own signal caused (its
 * irqfd is its resample eventfd, refused at bind, or lines cross-wired
 * without KVM in between) re-asserts nothing: it is counted as a loop.
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
struct kvm;

/**
 * struct keel_evwait - a wait on an eventfd with a deferred callback
 * @fn: the callback, passed the counts taken since its last call (at
 *	least 1). It runs from @work, in process context, and may sleep and
 *	signal eventfds.
 * @ctx: the eventfd
 * @file: the eventfd's file (counted)
 * @wqh: the eventfd's wait-queue head, while the entry is hooked on it
 * @wait: the entry on @wqh, whose wakeup takes the count
 * @pt: to hook @wait with vfs_poll()
 * @work: calls @fn (on the system workqueue)
 * @count: counts taken by the wakeup, not yet passed to @fn
 * @flags: KEEL_EVWAIT_*, constant while started
 * @dropped: with %KEEL_EVWAIT_NOT_FROM_LINES, counts taken and not passed
 *	to @fn because a Keel interrupt line signalled them
 *
 * Started with keel_evwait_start(), stopped with keel_evwait_stop(); the
 * fields other than @fn are eventfd.c's.
 */
struct keel_evwait {
	void (*fn)(struct keel_evwait *w, u64 count);
	struct eventfd_ctx *ctx;
	struct file *file;
	wait_queue_head_t *wqh;
	wait_queue_entry_t wait;
	poll_table pt;
	struct work_struct work;
	atomic64_t count;
	unsigned int flags;
	atomic64_t dropped;
};

/*
 * keel_evwait flags (keel.ko's own waits). NOT_FROM_LINES: a signal sent
 * by a Keel interrupt line (keel_irq_line_*(), on this CPU, while it
 * signals its irqfd) is counted in @dropped and does not call @fn: a
 * resample eventfd is signalled by KVM after the guest's EOI, never by
 * an irqfd signal itself, so such a signal can only be a line wired into
 * itself or into another line.
 */
#define KEEL_EVWAIT_NOT_FROM_LINES	0x1u

/* eventfd.c */
int keel_evwait_start(struct keel_evwait *w, int fd,
		      void (*fn)(struct keel_evwait *w, u64 count));
void keel_evwait_stop(struct keel_evwait *w);

/**
 * enum keel_irq_mode - how a &struct keel_irq_line signals
 * @KEEL_IRQ_NONE: no irqfd: levels are only recorded
 * @KEEL_IRQ_EDGE: one irqfd signal per rising edge
 * @KEEL_IRQ_LEVEL: with a resample eventfd: as edge, and again after each
 *	resample (the guest's EOI) while the level is still high
 */
enum keel_irq_mode {
	KEEL_IRQ_NONE,
	KEEL_IRQ_EDGE,
	KEEL_IRQ_LEVEL,
};

/**
 * struct keel_irq_line - an interrupt line on a KVM irqfd
 * @lock: protects @level, @enabled and @signals, and is held while the
 *	irqfd is signalled; taken with interrupts off, nests inside any lock
 *	of the caller
 * @level: the level as the object drives it
 * @enabled: signals allowed
 * @signals: irqfd signals sent
 * @mode: the mode; set by keel_irq_line_bind() and constant until
 *	keel_irq_line_unbind(), as are @trigger and @resample
 * @trigger: the irqfd, or NULL
 * @resample: the wait on the resample eventfd (level mode only); it
 *	ignores signals sent by Keel lines (%KEEL_EVWAIT_NOT_FROM_LINES) and
 *	counts them in its @dropped, the line's loops
 * @gsi_files: the eventfd files of a line that Keel bound to a GSI itself
 *	(keel_irq_line_bind_gsi()), trigger and resample, or NULL: KVM keeps
 *	that irqfd while the trigger's file is open
 */
struct keel_irq_line {
	/* @lock protects the fields below; taken with interrupts off. */
	spinlock_t lock;
	bool level;
	bool enabled;
	u64 signals;
	/* Set by bind, constant until unbind. */
	enum keel_irq_mode mode;
	struct eventfd_ctx *trigger;
	struct keel_evwait resample;
	struct file *gsi_files[2];
};

/* irq.c */
void keel_irq_line_init(struct keel_irq_line *l);
int keel_irq_line_bind(struct keel_irq_line *l, int fd, int resample_fd);
int keel_irq_line_bind_gsi(struct keel_irq_line *l, struct kvm *kvm,
			   int vm_fd, u32 gsi, int fd, int resample_fd);
void keel_irq_line_unbind(struct keel_irq_line *l);
void keel_irq_line_set(struct keel_irq_line *l, bool level);
void keel_irq_line_pulse(struct keel_irq_line *l);
void keel_irq_line_enable(struct keel_irq_line *l, bool enabled);

/**
 * struct keel_irq_line_info - a consistent view of a line, for statistics
 * @mode: &keel_irq_line.mode
 * @level: &keel_irq_line.level
 * @signals: &keel_irq_line.signals
 * @loops: resample signals ignored because a Keel line sent them (the
 *	line's irqfd wired to its own or another line's resample eventfd)
 */
struct keel_irq_line_info {
	enum keel_irq_mode mode;
	bool level;
	u64 signals;
	u64 loops;
};

void keel_irq_line_info(struct keel_irq_line *l,
			struct keel_irq_line_info *info);

#endif /* _KEEL_EVENTFD_H */
