// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/keel-vdev: each open file is one device. ioctls set it up, start,
 * stop and reset it; read()/write()/poll() are its host-side byte streams.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/sched/signal.h>

#include "vdev.h"
#include "uart16550.h"

/* The first (and so far only) layout of struct keel_vdev_setup. */
#define KEEL_VDEV_SETUP_SIZE_VER0	80

static const struct keel_vdev_model *const keel_vdev_models[] = {
	&keel_vdev_uart16550,
};

static const struct keel_vdev_model *keel_vdev_model_find(u32 id)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(keel_vdev_models); i++)
		if (keel_vdev_models[i]->id == id)
			return keel_vdev_models[i];
	return NULL;
}

void keel_vdev_host_notify(struct keel_vdev *dev)
{
	wake_up_interruptible_poll(&keel_vdev_inst(dev)->wq,
				   EPOLLIN | EPOLLRDNORM | EPOLLOUT |
				   EPOLLWRNORM);
}
EXPORT_SYMBOL_GPL(keel_vdev_host_notify);

static bool keel_vdev_ready(struct keel_vdev_inst *inst)
{
	/* Pairs with the release in keel_vdev_setup(). */
	return smp_load_acquire(&inst->set_up);
}

static int keel_vdev_open(struct inode *inode, struct file *file)
{
	struct keel_vdev_inst *inst;

	inst = kzalloc(sizeof(*inst), GFP_KERNEL_ACCOUNT);
	if (!inst)
		return -ENOMEM;
	spin_lock_init(&inst->vdev.lock);
	INIT_KFIFO(inst->vdev.tx);
	INIT_KFIFO(inst->vdev.rx);
	mutex_init(&inst->mutex);
	init_waitqueue_head(&inst->wq);
	INIT_HLIST_NODE(&inst->claim_node);
	file->private_data = inst;
	return nonseekable_open(inode, file);
}

static int keel_vdev_release(struct inode *inode, struct file *file)
{
	struct keel_vdev_inst *inst = file->private_data;

	if (inst->set_up) {
		/* First out of the registry: no netlink state command after. */
		keel_object_del(&inst->obj);
		/* Stops the device and waits until no vCPU is inside it. */
		keel_vdev_unclaim(inst);
		keel_vdev_irq_unbind(inst);
		keel_state_destroy(&inst->state);
		keel_vm_put(inst->kvm);
		kfree(inst->vdev.model_state);
	}
	mutex_destroy(&inst->mutex);
	kfree(inst);
	return 0;
}

static int keel_vdev_check_range(const struct keel_vdev_setup *arg,
				 const struct keel_vdev_model *model)
{
	if (arg->len != model->nr_regs)
		return -EINVAL;
	switch (arg->bus) {
	case KEEL_VDEV_BUS_PIO:
		if (arg->base > 0x10000 - arg->len)
			return -EINVAL;
		break;
	case KEEL_VDEV_BUS_MMIO:
		if (arg->base > U64_MAX - arg->len)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

static long keel_vdev_setup(struct keel_vdev_inst *inst, unsigned int cmd,
			    struct keel_vdev_setup __user *uarg)
{
	const struct keel_vdev_model *model;
	struct keel_vdev *dev = &inst->vdev;
	struct keel_vdev_setup arg;
	int irq_fd = -1, resample_fd = -1;
	struct kvm *kvm;
	int ret;

	BUILD_BUG_ON(sizeof(arg) != KEEL_VDEV_SETUP_SIZE_VER0);

	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), KEEL_VDEV_SETUP_SIZE_VER0,
				  cmd, uarg);
	if (ret)
		return ret;
	if (arg.flags & ~KEEL_VDEV_SETUP_FLAGS_ALL || arg.pad)
		return -EINVAL;
	if ((arg.flags & KEEL_VDEV_SETUP_RESAMPLE) &&
	    !(arg.flags & KEEL_VDEV_SETUP_IRQFD))
		return -EINVAL;
	if (arg.flags & KEEL_VDEV_SETUP_IRQFD) {
		if (arg.irq_fd < 0)
			return -EBADF;
		irq_fd = arg.irq_fd;
	}
	if (arg.flags & KEEL_VDEV_SETUP_RESAMPLE) {
		if (arg.resample_fd < 0)
			return -EBADF;
		resample_fd = arg.resample_fd;
	}
	model = keel_vdev_model_find(arg.model);
	if (!model || !keel_vdev_state_ops(model))
		return -EINVAL;
	ret = keel_vdev_check_range(&arg, model);
	if (ret)
		return ret;
	if (!keel_label_valid(arg.label, sizeof(arg.label)))
		return -EINVAL;

	mutex_lock(&inst->mutex);
	if (inst->set_up) {
		ret = -EBUSY;
		goto out;
	}

	kvm = keel_vm_get(arg.vm_fd);
	if (IS_ERR(kvm)) {
		ret = PTR_ERR(kvm);
		goto out;
	}
	inst->kvm = kvm;
	inst->bus = arg.bus;
	inst->kvm_bus = arg.bus == KEEL_VDEV_BUS_PIO ? KVM_PIO_BUS :
						       KVM_MMIO_BUS;
	inst->base = arg.base;
	inst->len = arg.len;

	keel_object_init(&inst->obj, &keel_vdev_obj_type, kvm);
	keel_state_init(&inst->state, keel_vdev_state_ops(model));
	inst->obj.state = &inst->state;
	ret = keel_object_set_label(&inst->obj, arg.label, sizeof(arg.label));
	if (ret)
		goto put_vm;

	ret = -ENOMEM;
	dev->model_state = kzalloc(model->state_size ?: 1, GFP_KERNEL_ACCOUNT);
	if (!dev->model_state)
		goto put_vm;
	dev->model = model;
	spin_lock_irq(&dev->lock);
	model->reset(dev);
	spin_unlock_irq(&dev->lock);

	ret = keel_vdev_irq_bind(inst, irq_fd, resample_fd);
	if (ret)
		goto free_state;

	ret = keel_vdev_claim(inst);
	if (ret)
		goto unbind;

	ret = keel_object_add(&inst->obj);
	if (ret)
		goto unclaim;

	if (put_user(inst->obj.id, &uarg->id)) {
		ret = -EFAULT;
		goto del;
	}
	/* Pairs with keel_vdev_ready(): the file ops see a complete device. */
	smp_store_release(&inst->set_up, true);
	mutex_unlock(&inst->mutex);
	return 0;

del:
	keel_object_del(&inst->obj);
unclaim:
	keel_vdev_unclaim(inst);
unbind:
	keel_vdev_irq_unbind(inst);
free_state:
	kfree(dev->model_state);
	dev->model_state = NULL;
	dev->model = NULL;
put_vm:
	keel_vm_put(kvm);
	inst->kvm = NULL;
out:
	mutex_unlock(&inst->mutex);
	return ret;
}

static long keel_vdev_simple(struct keel_vdev_inst *inst, unsigned int nr)
{
	struct keel_vdev *dev = &inst->vdev;
	int ret = 0;

	mutex_lock(&inst->mutex);
	if (!inst->set_up) {
		ret = -EBADFD;
		goto out;
	}
	switch (nr) {
	case _IOC_NR(KEEL_VDEV_IOC_START):
		ret = keel_state_set_running(&inst->state, true);
		break;
	case _IOC_NR(KEEL_VDEV_IOC_STOP):
		ret = keel_state_set_running(&inst->state, false);
		break;
	case _IOC_NR(KEEL_VDEV_IOC_RESET):
		spin_lock_irq(&dev->lock);
		kfifo_reset(&dev->tx);
		kfifo_reset(&dev->rx);
		dev->model->reset(dev);
		spin_unlock_irq(&dev->lock);
		wake_up_interruptible_poll(&inst->wq, EPOLLOUT | EPOLLWRNORM);
		break;
	}
out:
	mutex_unlock(&inst->mutex);
	return ret;
}

static long keel_vdev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct keel_vdev_inst *inst = file->private_data;

	/* Match on number, not size: extensible structs may have grown. */
	if (_IOC_TYPE(cmd) != KEEL_IOC_MAGIC)
		return -ENOTTY;
	if (keel_state_ioctl_nr(cmd)) {
		if (!keel_vdev_ready(inst))
			return -EBADFD;
		return keel_state_ioctl(&inst->state, cmd, (void __user *)arg);
	}

	switch (_IOC_NR(cmd)) {
	case _IOC_NR(KEEL_VDEV_IOC_SETUP):
		if (_IOC_DIR(cmd) != _IOC_DIR(KEEL_VDEV_IOC_SETUP))
			return -ENOTTY;
		return keel_vdev_setup(inst, cmd, (void __user *)arg);
	case _IOC_NR(KEEL_VDEV_IOC_START):
	case _IOC_NR(KEEL_VDEV_IOC_STOP):
	case _IOC_NR(KEEL_VDEV_IOC_RESET):
		if (cmd != KEEL_VDEV_IOC_START && cmd != KEEL_VDEV_IOC_STOP &&
		    cmd != KEEL_VDEV_IOC_RESET)
			return -ENOTTY;
		return keel_vdev_simple(inst, _IOC_NR(cmd));
	default:
		return -ENOTTY;
	}
}

static bool keel_vdev_tx_ready(struct keel_vdev *dev)
{
	unsigned long flags;
	bool ready;

	spin_lock_irqsave(&dev->lock, flags);
	ready = !kfifo_is_empty(&dev->tx);
	spin_unlock_irqrestore(&dev->lock, flags);
	return ready;
}

static bool keel_vdev_rx_room(struct keel_vdev *dev)
{
	unsigned long flags;
	bool room;

	spin_lock_irqsave(&dev->lock, flags);
	room = !kfifo_is_full(&dev->rx);
	spin_unlock_irqrestore(&dev->lock, flags);
	return room;
}

/* Guest output: what the guest wrote to the device. */
static ssize_t keel_vdev_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct keel_vdev_inst *inst = file->private_data;
	struct keel_vdev *dev = &inst->vdev;
	unsigned int n;
	u8 *buf;
	int ret;

	if (!keel_vdev_ready(inst))
		return -EBADFD;
	if (!count)
		return 0;
	count = min_t(size_t, count, KEEL_VDEV_STREAM_SIZE);
	buf = kmalloc(count, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;

	for (;;) {
		spin_lock_irq(&dev->lock);
		n = kfifo_out(&dev->tx, buf, count);
		if (n && dev->running)
			dev->model->host_tx_space(dev);
		spin_unlock_irq(&dev->lock);
		if (n)
			break;
		if (file->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			goto out;
		}
		ret = wait_event_interruptible(inst->wq,
					       keel_vdev_tx_ready(dev));
		if (ret)
			goto out;
	}
	ret = copy_to_user(ubuf, buf, n) ? -EFAULT : n;
out:
	kfree(buf);
	return ret;
}

/* Guest input: bytes the guest will read from the device. */
static ssize_t keel_vdev_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct keel_vdev_inst *inst = file->private_data;
	struct keel_vdev *dev = &inst->vdev;
	unsigned int n;
	u8 *buf;
	int ret;

	if (!keel_vdev_ready(inst))
		return -EBADFD;
	if (!count)
		return 0;
	count = min_t(size_t, count, KEEL_VDEV_STREAM_SIZE);
	buf = memdup_user(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);

	for (;;) {
		spin_lock_irq(&dev->lock);
		n = kfifo_in(&dev->rx, buf, count);
		if (n && dev->running)
			dev->model->host_rx_ready(dev);
		spin_unlock_irq(&dev->lock);
		if (n)
			break;
		if (file->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			goto out;
		}
		ret = wait_event_interruptible(inst->wq,
					       keel_vdev_rx_room(dev));
		if (ret)
			goto out;
	}
	ret = n;
out:
	kfree(buf);
	return ret;
}

static __poll_t keel_vdev_poll(struct file *file, poll_table *wait)
{
	struct keel_vdev_inst *inst = file->private_data;
	struct keel_vdev *dev = &inst->vdev;
	__poll_t mask = 0;

	if (!keel_vdev_ready(inst))
		return EPOLLERR;
	poll_wait(file, &inst->wq, wait);
	if (keel_vdev_tx_ready(dev))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (keel_vdev_rx_room(dev))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

static const struct file_operations keel_vdev_fops = {
	.owner = THIS_MODULE,
	.open = keel_vdev_open,
	.release = keel_vdev_release,
	.read = keel_vdev_read,
	.write = keel_vdev_write,
	.poll = keel_vdev_poll,
	.unlocked_ioctl = keel_vdev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice keel_vdev_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "keel-vdev",
	.fops = &keel_vdev_fops,
	.mode = 0600,
};

int keel_vdev_dev_init(void)
{
	return misc_register(&keel_vdev_miscdev);
}

void keel_vdev_dev_exit(void)
{
	misc_deregister(&keel_vdev_miscdev);
}
