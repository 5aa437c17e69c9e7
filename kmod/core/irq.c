// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt lines on KVM irqfds (include/keel/eventfd.h): an object
 * drives a level, the line turns it into irqfd signals, edge or level
 * with resample.
 *
 * Locking: @lock protects the level, the enable flag and the counter,
 * and is held while the irqfd is signalled so that signals follow level
 * changes in order. It nests inside any lock of the caller (a device's
 * spinlock on the vCPU path); eventfd_signal() under it takes only the
 * eventfd's lock and runs KVM's irqfd wakeup, which injects in atomic
 * context or defers to KVM's own work. The resample wait re-signals from
 * its work item, never from inside the resample eventfd's wakeup.
 *
 * Loops: a resample eventfd is signalled by KVM's irqfd resampler after
 * the guest's EOI, in the vCPU's context, never synchronously by an
 * irqfd signal. A resample wait woken from inside a line's signal is a
 * line wired into itself or into another line (A's irqfd is B's resample
 * eventfd and B's is A's): re-asserting then would signal, wake and
 * re-assert forever on the system workqueue. keel_irq_line_signal()
 * marks the CPU with the signalling task while it signals, and the
 * resample wait (KEEL_EVWAIT_NOT_FROM_LINES) counts such a wakeup as a
 * loop instead of re-asserting. The mark is written and read with
 * interrupts off (the line's lock, the eventfd's wait-queue lock), so it
 * always belongs to a signal in progress on this CPU; comparing the task
 * keeps a task that preempted a signal under PREEMPT_RT from being taken
 * for it.
 */
#include <linux/module.h>
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/percpu.h>
#include <linux/sched.h>

#include "core.h"
#include "../compat/keel_compat.h"

/* The task signalling a line's irqfd on this CPU, or NULL. */
static DEFINE_PER_CPU(struct task_struct *, keel_irq_signaller);

/* Whether the caller runs inside keel_irq_line_signal()'s eventfd signal. */
bool keel_irq_line_signalling(void)
{
	return this_cpu_read(keel_irq_signaller) == current;
}

/**
 * keel_irq_line_init() - initialise an interrupt line
 * @l: the line
 *
 * Before anything else: the line is in mode %KEEL_IRQ_NONE, enabled and
 * low.
 *
 * Context: any; @l must not be in use.
 */
void keel_irq_line_init(struct keel_irq_line *l)
{
	memset(l, 0, sizeof(*l));
	spin_lock_init(&l->lock);
	l->mode = KEEL_IRQ_NONE;
	l->enabled = true;
}
EXPORT_SYMBOL_GPL(keel_irq_line_init);

/* Signal once if allowed. Called with l->lock held. */
static void keel_irq_line_signal(struct keel_irq_line *l)
{
	lockdep_assert_held(&l->lock);
	if (!l->trigger || !l->enabled)
		return;
	this_cpu_write(keel_irq_signaller, current);
	keel_eventfd_signal(l->trigger);
	this_cpu_write(keel_irq_signaller, NULL);
	l->signals++;
}

/* The guest EOIed the level-triggered GSI: re-assert if still high. */
static void keel_irq_line_resample(struct keel_evwait *w, u64 count)
{
	struct keel_irq_line *l =
		container_of(w, struct keel_irq_line, resample);
	unsigned long flags;

	spin_lock_irqsave(&l->lock, flags);
	if (l->level)
		keel_irq_line_signal(l);
	spin_unlock_irqrestore(&l->lock, flags);
}

/**
 * keel_irq_line_bind() - connect a line to an irqfd
 * @l: the line, initialised and not bound
 * @fd: the irqfd (an eventfd of the calling process that the VMM bound to
 *	a GSI with KVM_IRQFD), or negative for none
 * @resample_fd: the resample eventfd of the same KVM_IRQFD
 *	(KVM_IRQFD_FLAG_RESAMPLE) for level mode, or negative for edge mode
 *
 * Takes a reference to the irqfd and, in level mode, waits on the resample
 * eventfd (a &struct keel_evwait) to signal the irqfd again after each
 * EOI while the level is high: once per resample, however many EOIs it
 * stands for. A resample that a Keel line's signal caused is not an EOI
 * and is counted as a loop instead (see the top of this file). Both
 * negative leave the line in mode %KEEL_IRQ_NONE. Binding signals
 * nothing, even with the level high; a line kept disabled until its
 * object resumes signals when keel_irq_line_enable() enables it.
 *
 * Context: process context (the fds are the caller's), interrupts enabled.
 *
 * Return: 0; -EBADF when an fd is not open, or for @resample_fd without
 * @fd; -EINVAL when one is not an eventfd, or when both are the same
 * eventfd (under any descriptors); -EBUSY (with a warning) when @l is
 * already bound to an irqfd.
 */
int keel_irq_line_bind(struct keel_irq_line *l, int fd, int resample_fd)
{
	struct eventfd_ctx *ctx;
	int ret;

	if (WARN_ON(l->trigger))
		return -EBUSY;
	if (fd < 0)
		return resample_fd < 0 ? 0 : -EBADF;

	ctx = eventfd_ctx_fdget(fd);
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	if (resample_fd >= 0) {
		ret = __keel_evwait_start(&l->resample, resample_fd,
					  keel_irq_line_resample,
					  KEEL_EVWAIT_NOT_FROM_LINES);
		if (ret) {
			eventfd_ctx_put(ctx);
			return ret;
		}
		/* Its own resample eventfd: every signal would come back. */
		if (l->resample.ctx == ctx) {
			keel_evwait_stop(&l->resample);
			eventfd_ctx_put(ctx);
			return -EINVAL;
		}
	}
	spin_lock_irq(&l->lock);
	l->trigger = ctx;
	l->mode = resample_fd >= 0 ? KEEL_IRQ_LEVEL : KEEL_IRQ_EDGE;
	spin_unlock_irq(&l->lock);
	return 0;
}
EXPORT_SYMBOL_GPL(keel_irq_line_bind);

/**
 * keel_irq_line_bind_gsi() - bind a line to a GSI of a VM whose VMM does
 *	not know Keel
 * @l: the line, initialised and not bound
 * @kvm: the VM, referenced by the caller
 * @vm_fd: a VM fd of the calling process for @kvm (for a running QEMU,
 *	one taken with pidfd_getfd(2))
 * @gsi: the GSI the line drives
 * @fd: an eventfd of the calling process, for the line's irqfd
 * @resample_fd: an eventfd for the irqfd's resample (level mode), or
 *	negative for edge mode
 *
 * What a VMM does with KVM_IRQFD and then keel_irq_line_bind() does, for
 * a VMM that does neither: Keel has KVM bind the eventfds to @gsi in the
 * VM's own context (keel_vm_irqfd_assign()) and binds the line to them.
 * The line holds the eventfds' files: keel_irq_line_unbind() releases
 * them, and KVM then drops its irqfd. The caller may close its fds.
 *
 * Context: process context (the fds are the caller's); sleeps.
 *
 * Return: 0, or the errors of keel_irq_line_bind() and
 * keel_vm_irqfd_assign() (-EBUSY when another irqfd of the VM drives
 * @gsi: the VMM's own device). Nothing is bound on error.
 */
int keel_irq_line_bind_gsi(struct keel_irq_line *l, struct kvm *kvm,
			   int vm_fd, u32 gsi, int fd, int resample_fd)
{
	struct file *files[2] = { NULL, NULL };
	int ret;

	if (WARN_ON(l->trigger || l->gsi_files[0]))
		return -EBUSY;
	if (fd < 0)
		return -EBADF;
	files[0] = keel_eventfd_fget(fd, NULL);
	if (IS_ERR(files[0]))
		return PTR_ERR(files[0]);
	if (resample_fd >= 0) {
		files[1] = keel_eventfd_fget(resample_fd, NULL);
		if (IS_ERR(files[1])) {
			ret = PTR_ERR(files[1]);
			files[1] = NULL;
			goto err;
		}
	}
	/* The line's checks first (the same eventfd twice, ...). */
	ret = keel_irq_line_bind(l, fd, resample_fd);
	if (ret)
		goto err;
	ret = keel_vm_irqfd_assign(kvm, vm_fd, gsi, files[0], files[1]);
	if (ret) {
		keel_irq_line_unbind(l);
		goto err;
	}
	l->gsi_files[0] = files[0];
	l->gsi_files[1] = files[1];
	return 0;

err:
	if (files[1])
		fput(files[1]);
	fput(files[0]);
	return ret;
}
EXPORT_SYMBOL_GPL(keel_irq_line_bind_gsi);

/**
 * keel_irq_line_unbind() - disconnect a line from its irqfd
 * @l: the line; bound, unbound or never bound
 *
 * Stops the resample wait, then puts the irqfd: no signal is sent once it
 * returns. A line Keel bound to a GSI itself (keel_irq_line_bind_gsi())
 * releases the eventfd files, and KVM then drops that irqfd. The level
 * and the counter stay; the mode is %KEEL_IRQ_NONE.
 *
 * Context: process context; sleeps (keel_evwait_stop()). Not holding
 * @l->lock, which the resample work takes.
 */
void keel_irq_line_unbind(struct keel_irq_line *l)
{
	struct eventfd_ctx *ctx;
	unsigned int i;

	/* No re-assertion after this; then no signal at all. */
	keel_evwait_stop(&l->resample);
	spin_lock_irq(&l->lock);
	ctx = l->trigger;
	l->trigger = NULL;
	l->mode = KEEL_IRQ_NONE;
	spin_unlock_irq(&l->lock);
	if (ctx)
		eventfd_ctx_put(ctx);
	/* A GSI binding of Keel's own: KVM drops the irqfd on EPOLLHUP. */
	for (i = 0; i < ARRAY_SIZE(l->gsi_files); i++) {
		if (l->gsi_files[i])
			fput(l->gsi_files[i]);
		l->gsi_files[i] = NULL;
	}
}
EXPORT_SYMBOL_GPL(keel_irq_line_unbind);

/**
 * keel_irq_line_set() - drive a line's level
 * @l: the line
 * @level: the new level
 *
 * A rising edge signals the irqfd once, if the line is bound and enabled;
 * in level mode the resample wait signals again after the guest's EOI
 * while the level stays high. A falling edge only records the level. A
 * disabled line records the level and signals nothing.
 *
 * Context: any context, holding any lock: @l->lock nests inside the
 * caller's locks (a device's spinlock on the vCPU path), and signalling
 * an irqfd only takes the eventfd's lock and injects or queues KVM's own
 * work.
 */
void keel_irq_line_set(struct keel_irq_line *l, bool level)
{
	unsigned long flags;

	spin_lock_irqsave(&l->lock, flags);
	if (level && !l->level)
		keel_irq_line_signal(l);
	l->level = level;
	spin_unlock_irqrestore(&l->lock, flags);
}
EXPORT_SYMBOL_GPL(keel_irq_line_set);

/**
 * keel_irq_line_pulse() - one interrupt on a line driven by events
 * @l: the line
 *
 * For an object whose interrupts are events (a doorbell, a completion)
 * rather than a level: a rising edge, then the line low again. On an
 * edge irqfd that is one interrupt; it is counted in the line's signals.
 *
 * Context: as keel_irq_line_set().
 */
void keel_irq_line_pulse(struct keel_irq_line *l)
{
	unsigned long flags;

	spin_lock_irqsave(&l->lock, flags);
	if (!l->level)
		keel_irq_line_signal(l);
	l->level = false;
	spin_unlock_irqrestore(&l->lock, flags);
}
EXPORT_SYMBOL_GPL(keel_irq_line_pulse);

/**
 * keel_irq_line_enable() - allow a line's signals or not
 * @l: the line
 * @enabled: allow them
 *
 * A disabled line (a stopped object) records its level but signals
 * nothing. Enabling it with the level high signals once: the line rose
 * while it could not say so.
 *
 * Context: any, as keel_irq_line_set().
 */
void keel_irq_line_enable(struct keel_irq_line *l, bool enabled)
{
	unsigned long flags;

	spin_lock_irqsave(&l->lock, flags);
	l->enabled = enabled;
	/* A line that was already high rose before: raise it again. */
	if (enabled && l->level)
		keel_irq_line_signal(l);
	spin_unlock_irqrestore(&l->lock, flags);
}
EXPORT_SYMBOL_GPL(keel_irq_line_enable);

/**
 * keel_irq_line_info() - a consistent view of a line, for statistics
 * @l: the line
 * @info: filled with its mode, level, signal count and loops
 *
 * Context: any.
 */
void keel_irq_line_info(struct keel_irq_line *l,
			struct keel_irq_line_info *info)
{
	unsigned long flags;

	spin_lock_irqsave(&l->lock, flags);
	info->mode = l->mode;
	info->level = l->level;
	info->signals = l->signals;
	spin_unlock_irqrestore(&l->lock, flags);
	info->loops = atomic64_read(&l->resample.dropped);
}
EXPORT_SYMBOL_GPL(keel_irq_line_info);
