/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel_coalesce.ko's one object: a moderated interrupt path of a VM's
 * virtqueue (uapi/linux/keel_coalesce.h), and what its files share.
 *
 * Paths (Documentation/coalesce.rst):
 *
 *	vhost --signal--> call eventfd --tap--> [hold/decide] --> irqfd --> KVM
 *
 * The tap is a wait-queue entry at the head of the call eventfd's queue,
 * ahead of KVM's irqfd: its wakeup swallows a notification Keel holds
 * and lets through one Keel delivers. When vhost signals the irqfd
 * itself (call == irq, an unmodified QEMU), letting through is returning
 * 0 from the wakeup, and a delivery later is a wakeup of that queue with
 * the tap's @passing set. When a cooperating VMM gave vhost another
 * eventfd, the tap consumes it and a delivery signals the irqfd.
 *
 * Locks, outer to inner: the call eventfd's wait-queue lock (held by its
 * wakeups), @lock. A delivery takes the irqfd's wait-queue lock, or
 * signals it, with @lock not held.
 */
#ifndef _KEEL_COALESCE_H
#define _KEEL_COALESCE_H

#include <linux/hrtimer.h>
#include <linux/irq_work.h>
#include <linux/list.h>
#include <linux/poll.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include <keel/core.h>
#include <linux/keel_coalesce.h>

#include "policy.h"

struct eventfd_ctx;
struct file;

/**
 * struct keel_coal_tap - Keel's entry on the call eventfd's wait queue
 * @file: the call eventfd's file (counted)
 * @ctx: its eventfd context (counted)
 * @wqh: its wait queue, once found
 * @wait: the entry, first on @wqh while @queued
 * @queued: @wait is on @wqh (set up and teardown only)
 * @pt: to find @wqh with vfs_poll()
 * @passing: a delivery of Keel's own is waking @wqh: let it through;
 *	protected by @wqh's lock
 */
struct keel_coal_tap {
	struct file *file;
	struct eventfd_ctx *ctx;
	wait_queue_head_t *wqh;
	wait_queue_entry_t wait;
	bool queued;
	poll_table pt;
	bool passing;
};

/**
 * struct keel_coal_obj - one moderated interrupt path (one open file)
 * @inst: the base: object, state, VM reference
 * @lock: protects @c, @stopped and @armed_ns; taken with interrupts off
 * @c: the decision state (policy.h)
 * @stopped: the object is STOPPED: it holds and decides nothing
 * @armed_ns: the deadline @timer is armed for, or 0
 * @tap: on the call eventfd
 * @irq_file: the irqfd's file (counted); the same as @tap.file when vhost
 *	signals the irqfd itself
 * @irq_ctx: its eventfd context (counted)
 * @direct: vhost signals the irqfd itself (call == irq)
 * @timer: the next deadline (CLOCK_MONOTONIC, hard interrupt context)
 * @kick: delivers a decision of the tap's wakeup to a separate irqfd,
 *	which it cannot signal from inside another eventfd's wakeup
 * @vcpu: the index of the vCPU whose activity counts
 * @irqfd: the irqfd as setup found it (GSI, route)
 * @node: in the module's list of objects, under keel_coal_objs_lock
 *
 * Set up once (constant afterwards but for what @lock protects); torn
 * down by keel_coal_teardown() only.
 */
struct keel_coal_obj {
	struct keel_inst inst;
	/* @c, @stopped, @armed_ns; with interrupts off */
	spinlock_t lock;
	struct keel_coal c;
	bool stopped;
	u64 armed_ns;
	struct keel_coal_tap tap;
	struct file *irq_file;
	struct eventfd_ctx *irq_ctx;
	bool direct;
	struct hrtimer timer;
	struct irq_work kick;
	int vcpu;
	struct keel_vm_irqfd irqfd;
	struct list_head node;
};

#define keel_coal_of(i)	container_of(i, struct keel_coal_obj, inst)

/* main.c */
extern struct keel_feature keel_coal_feature;

/* tap.c */
int keel_coal_tap_start(struct keel_coal_obj *o);
void keel_coal_tap_stop(struct keel_coal_obj *o);
void keel_coal_act(struct keel_coal_obj *o, struct keel_coal_action act,
		   u64 now);
void keel_coal_fire(struct keel_coal_obj *o);
void keel_coal_quiesce(struct keel_coal_obj *o);
enum hrtimer_restart keel_coal_timer_fn(struct hrtimer *t);
void keel_coal_kick_fn(struct irq_work *w);

/* guest.c */
bool keel_coal_guest_active(struct keel_coal_obj *o);
bool keel_coal_irqfd_bound(struct keel_coal_obj *o);

/* info.c */
extern const struct keel_object_type keel_coal_type;
int keel_coal_params_from_uapi(struct keel_coal_params *p,
			       const struct keel_coalesce_params *u);

/* state.c */
extern const struct keel_state_ops keel_coal_state_ops;

#endif /* _KEEL_COALESCE_H */
