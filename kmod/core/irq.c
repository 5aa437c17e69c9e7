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
 */
#include <linux/module.h>
#include <linux/eventfd.h>
#include <linux/file.h>

#include <keel/eventfd.h>
#include "../compat/keel_compat.h"

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
	keel_eventfd_signal(l->trigger);
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
		ret = keel_evwait_start(&l->resample, resample_fd,
					keel_irq_line_resample);
		if (ret) {
			eventfd_ctx_put(ctx);
			return ret;
		}
	}
	spin_lock_irq(&l->lock);
	l->trigger = ctx;
	l->mode = resample_fd >= 0 ? KEEL_IRQ_LEVEL : KEEL_IRQ_EDGE;
	spin_unlock_irq(&l->lock);
	return 0;
}
EXPORT_SYMBOL_GPL(keel_irq_line_bind);

void keel_irq_line_unbind(struct keel_irq_line *l)
{
	struct eventfd_ctx *ctx;

	/* No re-assertion after this; then no signal at all. */
	keel_evwait_stop(&l->resample);
	spin_lock_irq(&l->lock);
	ctx = l->trigger;
	l->trigger = NULL;
	l->mode = KEEL_IRQ_NONE;
	spin_unlock_irq(&l->lock);
	if (ctx)
		eventfd_ctx_put(ctx);
}
EXPORT_SYMBOL_GPL(keel_irq_line_unbind);

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

void keel_irq_line_info(struct keel_irq_line *l,
			struct keel_irq_line_info *info)
{
	unsigned long flags;

	spin_lock_irqsave(&l->lock, flags);
	info->mode = l->mode;
	info->level = l->level;
	info->signals = l->signals;
	spin_unlock_irqrestore(&l->lock, flags);
}
EXPORT_SYMBOL_GPL(keel_irq_line_info);
