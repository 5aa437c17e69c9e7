// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupts: the model drives a line with keel_vdev_set_irq(); the
 * framework turns it into signals on the irqfd eventfd that the VMM bound
 * to the device's GSI with KVM_IRQFD.
 *
 * Edge mode: one signal per rising edge. Level mode (a resample eventfd
 * was given): one signal when the line rises; KVM keeps the GSI asserted
 * until the guest's EOI, then signals the resample eventfd. Keel waits on
 * that eventfd's wait queue, as KVM's irqfd does on its own, and
 * re-signals while the line is still high. Signalling from inside the
 * resample eventfd's wakeup would be dropped by eventfd_signal()
 * (current->in_eventfd), so the wakeup only queues a work item.
 *
 * Context: keel_vdev_set_irq() runs with dev->lock held and interrupts
 * off (vCPU path, host write(), work item). eventfd_signal() takes the
 * eventfd's own spinlock and calls KVM's irqfd wakeup, which injects in
 * atomic context or defers to its own work: both fine there.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/poll.h>
#include "../compat/keel_compat.h"

#include "vdev.h"

/*
 * Signal the irqfd once, if the device is running. Callers hold dev->lock;
 * state.c calls it on RESUME for a line that was already high.
 */
void keel_vdev_raise(struct keel_vdev *dev)
{
	struct keel_vdev_inst *inst = keel_vdev_inst(dev);

	lockdep_assert_held(&dev->lock);
	if (!inst->irq.trigger || !dev->running)
		return;
	keel_eventfd_signal(inst->irq.trigger);
	dev->stats.irqs++;
}

void keel_vdev_set_irq(struct keel_vdev *dev, bool level)
{
	lockdep_assert_held(&dev->lock);

	if (level && !dev->irq_level)
		keel_vdev_raise(dev);
	dev->irq_level = level;
}
EXPORT_SYMBOL_GPL(keel_vdev_set_irq);

/* The guest EOIed the level-triggered GSI: re-assert if still high. */
static void keel_vdev_resample_work(struct work_struct *work)
{
	struct keel_vdev_inst *inst =
		container_of(work, struct keel_vdev_inst, irq.resample_work);
	struct keel_vdev *dev = &inst->vdev;
	unsigned long flags;

	spin_lock_irqsave(&dev->lock, flags);
	if (dev->irq_level)
		keel_vdev_raise(dev);
	spin_unlock_irqrestore(&dev->lock, flags);
}

static int keel_vdev_resample_wakeup(wait_queue_entry_t *wait,
				     unsigned int mode, int sync, void *key)
{
	struct keel_vdev_inst *inst =
		container_of(wait, struct keel_vdev_inst, irq.resample_wait);

	if (key_to_poll(key) & EPOLLIN)
		schedule_work(&inst->irq.resample_work);
	return 0;
}

static void keel_vdev_resample_queue(struct file *file, wait_queue_head_t *wqh,
				     poll_table *pt)
{
	struct keel_vdev_inst *inst =
		container_of(pt, struct keel_vdev_inst, irq.resample_pt);

	inst->irq.resample_wqh = wqh;
	add_wait_queue(wqh, &inst->irq.resample_wait);
}

/* Take the eventfds (-EBADF: not open, -EINVAL: not an eventfd). */
int keel_vdev_irq_bind(struct keel_vdev_inst *inst, int fd, int resample_fd)
{
	struct keel_vdev_irq *irq = &inst->irq;
	struct eventfd_ctx *ctx;
	struct file *file;
	int ret;

	INIT_WORK(&irq->resample_work, keel_vdev_resample_work);
	if (fd < 0 && resample_fd < 0)
		return 0;

	file = fget(fd);
	if (!file)
		return -EBADF;
	ctx = eventfd_ctx_fileget(file);
	fput(file);
	if (IS_ERR(ctx))
		return -EINVAL;
	irq->trigger = ctx;
	if (resample_fd < 0)
		return 0;

	file = fget(resample_fd);
	if (!file) {
		ret = -EBADF;
		goto err;
	}
	ctx = eventfd_ctx_fileget(file);
	if (IS_ERR(ctx)) {
		fput(file);
		ret = -EINVAL;
		goto err;
	}
	irq->resample = ctx;
	irq->resample_file = file;
	init_waitqueue_func_entry(&irq->resample_wait,
				  keel_vdev_resample_wakeup);
	init_poll_funcptr(&irq->resample_pt, keel_vdev_resample_queue);
	vfs_poll(file, &irq->resample_pt);
	if (!irq->resample_wqh) {
		ret = -EINVAL;
		goto err;
	}
	return 0;

err:
	keel_vdev_irq_unbind(inst);
	return ret;
}

/* Called once the device can no longer be entered from a vCPU. */
void keel_vdev_irq_unbind(struct keel_vdev_inst *inst)
{
	struct keel_vdev_irq *irq = &inst->irq;

	if (irq->resample_wqh) {
		remove_wait_queue(irq->resample_wqh, &irq->resample_wait);
		irq->resample_wqh = NULL;
	}
	cancel_work_sync(&irq->resample_work);
	if (irq->resample) {
		eventfd_ctx_put(irq->resample);
		irq->resample = NULL;
	}
	if (irq->resample_file) {
		fput(irq->resample_file);
		irq->resample_file = NULL;
	}
	if (irq->trigger) {
		eventfd_ctx_put(irq->trigger);
		irq->trigger = NULL;
	}
}
