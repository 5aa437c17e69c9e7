// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/keel-vdev on the core's feature base: each open file is one
 * device. Its ioctls set it up, start, stop and reset it; read(), write()
 * and poll() (streams.c) are its host-side byte streams.
 */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/slab.h>

#include "vdev.h"

/* The layouts of struct keel_vdev_setup: first, and with @gsi. */
#define KEEL_VDEV_SETUP_SIZE_VER0	80
#define KEEL_VDEV_SETUP_SIZE_VER1	88

void keel_vdev_host_notify(struct keel_vdev *dev)
{
	wake_up_interruptible_poll(&keel_vdev_inst(dev)->wq,
				   EPOLLIN | EPOLLRDNORM | EPOLLOUT |
				   EPOLLWRNORM);
}

void keel_vdev_set_irq(struct keel_vdev *dev, bool level)
{
	lockdep_assert_held(&dev->lock);
	keel_irq_line_set(&keel_vdev_inst(dev)->irq, level);
}

static int keel_vdev_open(struct keel_inst *inst)
{
	struct keel_vdev_inst *vi = keel_vdev_of_inst(inst);

	spin_lock_init(&vi->vdev.lock);
	keel_irq_line_init(&vi->irq);
	/* A device starts stopped: no signal until RESUME. */
	keel_irq_line_enable(&vi->irq, false);
	init_waitqueue_head(&vi->wq);
	return 0;
}

/* Undoes setup, complete or partial; no vCPU is in the device after. */
static void keel_vdev_teardown(struct keel_inst *inst)
{
	struct keel_vdev_inst *vi = keel_vdev_of_inst(inst);
	struct keel_vdev *dev = &vi->vdev;

	keel_io_claim_del(&vi->claim);
	keel_irq_line_unbind(&vi->irq);
	kfree(dev->regs);
	kfree(dev->io);
	kfree(dev->model_state);
	dev->regs = NULL;
	dev->io = NULL;
	dev->model_state = NULL;
	dev->model = NULL;
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

/* The device's model, registers, streams and counters, reset. */
static int keel_vdev_build(struct keel_vdev_inst *vi,
			   const struct keel_vdev_model *model)
{
	struct keel_vdev *dev = &vi->vdev;

	dev->model_state = kzalloc(model->state_size ?: 1, GFP_KERNEL_ACCOUNT);
	dev->regs = kcalloc(model->nr_regs, sizeof(*dev->regs),
			    GFP_KERNEL_ACCOUNT);
	if (model->streams)
		dev->io = kzalloc(sizeof(*dev->io), GFP_KERNEL_ACCOUNT);
	if (!dev->model_state || !dev->regs || (model->streams && !dev->io))
		return -ENOMEM;
	if (dev->io) {
		INIT_KFIFO(dev->io->tx);
		INIT_KFIFO(dev->io->rx);
	}
	dev->model = model;
	spin_lock_irq(&dev->lock);
	model->reset(dev);
	spin_unlock_irq(&dev->lock);
	return 0;
}

static long keel_vdev_setup(struct keel_inst *inst, unsigned int cmd,
			    void __user *uarg)
{
	struct keel_vdev_inst *vi = keel_vdev_of_inst(inst);
	struct keel_vdev_setup __user *usetup = uarg;
	const struct keel_vdev_model *model;
	struct keel_vdev_setup arg;
	int irq_fd = -1, resample_fd = -1;
	int ret;

	BUILD_BUG_ON(sizeof(arg) != KEEL_VDEV_SETUP_SIZE_VER1);

	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), KEEL_VDEV_SETUP_SIZE_VER0,
				  KEEL_VDEV_SETUP_FLAGS_ALL, cmd, uarg);
	if (ret)
		return ret;
	if (arg.pad || arg.pad2)
		return -EINVAL;
	if ((arg.flags & (KEEL_VDEV_SETUP_RESAMPLE | KEEL_VDEV_SETUP_GSI)) &&
	    !(arg.flags & KEEL_VDEV_SETUP_IRQFD))
		return -EINVAL;
	if ((arg.flags & KEEL_VDEV_SETUP_GSI) &&
	    arg.size < KEEL_VDEV_SETUP_SIZE_VER1)
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
	if (!model)
		return -EINVAL;
	ret = keel_vdev_check_range(&arg, model);
	if (ret)
		return ret;

	ret = keel_inst_setup_begin_vm(inst, arg.label, sizeof(arg.label),
				       arg.vm_fd);
	if (ret)
		return ret;
	/* A device's state ops are its model's. */
	keel_inst_set_state(inst, model->state_ops);
	vi->bus = arg.bus;
	vi->base = arg.base;
	vi->len = arg.len;
	ret = keel_vdev_build(vi, model);
	if (!ret && (arg.flags & KEEL_VDEV_SETUP_GSI))
		ret = keel_irq_line_bind_gsi(&vi->irq, inst->kvm, arg.vm_fd,
					     arg.gsi, irq_fd, resample_fd);
	else if (!ret)
		ret = keel_irq_line_bind(&vi->irq, irq_fd, resample_fd);
	if (!ret)
		ret = keel_vdev_claim(vi);
	return keel_inst_setup_end(inst, ret, &usetup->id);
}

/* START and STOP: the idempotent forms of RESUME and STOP. */
static long keel_vdev_run(struct keel_inst *inst, unsigned int cmd,
			  void __user *uarg)
{
	return keel_state_set_running(&inst->state,
				      cmd == KEEL_VDEV_IOC_START);
}

static long keel_vdev_reset(struct keel_inst *inst, unsigned int cmd,
			    void __user *uarg)
{
	struct keel_vdev_inst *vi = keel_vdev_of_inst(inst);
	struct keel_vdev *dev = &vi->vdev;

	spin_lock_irq(&dev->lock);
	if (dev->io) {
		kfifo_reset(&dev->io->tx);
		kfifo_reset(&dev->io->rx);
	}
	dev->model->reset(dev);
	spin_unlock_irq(&dev->lock);
	wake_up_interruptible_poll(&vi->wq, EPOLLOUT | EPOLLWRNORM);
	return 0;
}

static const struct keel_ioctl keel_vdev_ioctls[] = {
	{ KEEL_VDEV_IOC_SETUP, keel_vdev_setup, KEEL_IOCTL_SETUP },
	{ KEEL_VDEV_IOC_START, keel_vdev_run },
	{ KEEL_VDEV_IOC_STOP, keel_vdev_run },
	{ KEEL_VDEV_IOC_RESET, keel_vdev_reset },
};

static const struct file_operations keel_vdev_fops = {
	.read = keel_vdev_read,
	.write = keel_vdev_write,
	.poll = keel_vdev_poll,
};

struct keel_feature keel_vdev_feature = {
	KEEL_FEATURE_NAME(vdev),
	.fops = &keel_vdev_fops,
	.type = &keel_vdev_obj_type,
	.ops = {
		KEEL_FEATURE_INST(struct keel_vdev_inst, inst),
		KEEL_FEATURE_IOCTLS(keel_vdev_ioctls),
		.open = keel_vdev_open,
		.teardown = keel_vdev_teardown,
		.detached = keel_vdev_detached,
	},
};
