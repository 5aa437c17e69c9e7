// SPDX-License-Identifier: GPL-2.0
/*
 * The host side of a device's byte streams: the VMM reads what the
 * guest sent (dev->io->tx) and writes what the guest will receive
 * (dev->io->rx) through the device file, and polls for both. A model
 * without streams has neither (-EINVAL, EPOLLERR). A device the core let
 * go of (keel_vdev_detached(): detached, or its VMM ended) hangs up its
 * streams, so that a console holding it lets go too.
 */
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/sched/signal.h>

#include "vdev.h"

/* The set-up device with streams behind @file, or NULL. */
static struct keel_vdev_inst *keel_vdev_streams_of(struct file *file,
						   int *err)
{
	struct keel_inst *inst = keel_inst_of(file);
	struct keel_vdev_inst *vi = keel_vdev_of_inst(inst);

	if (!keel_inst_ready(inst)) {
		*err = -EBADFD;
		return NULL;
	}
	if (!vi->vdev.io) {
		*err = -EINVAL;
		return NULL;
	}
	return vi;
}

static bool keel_vdev_tx_ready(struct keel_vdev *dev)
{
	unsigned long flags;
	bool ready;

	spin_lock_irqsave(&dev->lock, flags);
	ready = !kfifo_is_empty(&dev->io->tx);
	spin_unlock_irqrestore(&dev->lock, flags);
	return ready;
}

static bool keel_vdev_rx_room(struct keel_vdev *dev)
{
	unsigned long flags;
	bool room;

	spin_lock_irqsave(&dev->lock, flags);
	room = !kfifo_is_full(&dev->io->rx);
	spin_unlock_irqrestore(&dev->lock, flags);
	return room;
}

static bool keel_vdev_hung_up(struct keel_vdev_inst *vi)
{
	return READ_ONCE(vi->hung_up);
}

/* The core dropped the device's attachment: hang up the host side. */
void keel_vdev_detached(struct keel_inst *inst)
{
	struct keel_vdev_inst *vi = keel_vdev_of_inst(inst);

	WRITE_ONCE(vi->hung_up, true);
	wake_up_interruptible_poll(&vi->wq, EPOLLHUP | EPOLLIN | EPOLLRDNORM |
				   EPOLLOUT | EPOLLWRNORM);
}

/* Guest output: what the guest wrote to the device; 0 once hung up. */
ssize_t keel_vdev_read(struct file *file, char __user *ubuf, size_t count,
		       loff_t *ppos)
{
	struct keel_vdev_inst *vi;
	struct keel_vdev *dev;
	unsigned int n;
	int ret;
	u8 *buf;

	vi = keel_vdev_streams_of(file, &ret);
	if (!vi)
		return ret;
	dev = &vi->vdev;
	if (!count)
		return 0;
	count = min_t(size_t, count, KEEL_VDEV_STREAM_SIZE);
	buf = kmalloc(count, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	for (;;) {
		spin_lock_irq(&dev->lock);
		n = kfifo_out(&dev->io->tx, buf, count);
		if (n && dev->running)
			dev->model->host_tx_space(dev);
		spin_unlock_irq(&dev->lock);
		if (n)
			break;
		if (keel_vdev_hung_up(vi)) {
			ret = 0;
			goto out;
		}
		if (file->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			goto out;
		}
		ret = wait_event_interruptible(vi->wq, keel_vdev_tx_ready(dev) ||
					       keel_vdev_hung_up(vi));
		if (ret)
			goto out;
	}
	ret = copy_to_user(ubuf, buf, n) ? -EFAULT : n;
out:
	kfree(buf);
	return ret;
}

/* Guest input: bytes the guest will read; -EPIPE once hung up. */
ssize_t keel_vdev_write(struct file *file, const char __user *ubuf,
			size_t count, loff_t *ppos)
{
	struct keel_vdev_inst *vi;
	struct keel_vdev *dev;
	unsigned int n;
	int ret;
	u8 *buf;

	vi = keel_vdev_streams_of(file, &ret);
	if (!vi)
		return ret;
	dev = &vi->vdev;
	if (!count)
		return 0;
	count = min_t(size_t, count, KEEL_VDEV_STREAM_SIZE);
	buf = memdup_user(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	for (;;) {
		if (keel_vdev_hung_up(vi)) {
			ret = -EPIPE;
			goto out;
		}
		spin_lock_irq(&dev->lock);
		n = kfifo_in(&dev->io->rx, buf, count);
		if (n && dev->running)
			dev->model->host_rx_ready(dev);
		spin_unlock_irq(&dev->lock);
		if (n)
			break;
		if (file->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			goto out;
		}
		ret = wait_event_interruptible(vi->wq, keel_vdev_rx_room(dev) ||
					       keel_vdev_hung_up(vi));
		if (ret)
			goto out;
	}
	ret = n;
out:
	kfree(buf);
	return ret;
}

__poll_t keel_vdev_poll(struct file *file, poll_table *wait)
{
	struct keel_vdev_inst *vi;
	__poll_t mask = 0;
	int err;

	vi = keel_vdev_streams_of(file, &err);
	if (!vi)
		return EPOLLERR;
	poll_wait(file, &vi->wq, wait);
	if (keel_vdev_hung_up(vi))
		return EPOLLHUP | EPOLLIN | EPOLLRDNORM;
	if (keel_vdev_tx_ready(&vi->vdev))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (keel_vdev_rx_room(&vi->vdev))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}
