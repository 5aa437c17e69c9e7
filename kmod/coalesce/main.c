// SPDX-License-Identifier: GPL-2.0
/*
 * keel_coalesce.ko: host-side interrupt moderation of virtqueue
 * interrupts (uapi/linux/keel_coalesce.h). /dev/keel-coalesce on the
 * core's feature base: one moderated path per open file, its setup and
 * the one path that undoes it, the probe that tells tools what an
 * eventfd is to a VM, and the list that keeps two objects off one
 * eventfd.
 */
#include <linux/eventfd.h>
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/module.h>
#include <linux/uaccess.h>

#include "coalesce.h"

/*
 * The set-up objects, so that no eventfd is moderated twice (two taps on
 * one queue, or one object's irqfd another's call eventfd, would chain
 * their wait-queue locks).
 */
static DEFINE_MUTEX(keel_coal_objs_lock);
static LIST_HEAD(keel_coal_objs);

/* The object whose call or irqfd eventfd @ctx is, or NULL; lock held. */
static struct keel_coal_obj *keel_coal_find_ctx(struct eventfd_ctx *ctx)
{
	struct keel_coal_obj *o;

	lockdep_assert_held(&keel_coal_objs_lock);
	list_for_each_entry(o, &keel_coal_objs, node)
		if (o->tap.ctx == ctx || o->irq_ctx == ctx)
			return o;
	return NULL;
}

/* An eventfd's file and context, both counted; -EBADF or -EINVAL. */
static int keel_coal_eventfd(int fd, struct file **file,
			     struct eventfd_ctx **ctx)
{
	struct file *f = eventfd_fget(fd);

	if (IS_ERR(f))
		return PTR_ERR(f);
	*ctx = eventfd_ctx_fileget(f);
	if (IS_ERR(*ctx)) {
		fput(f);
		*ctx = NULL;
		return -EINVAL;
	}
	*file = f;
	return 0;
}

static int keel_coal_bind(struct keel_coal_obj *o,
			  const struct keel_coalesce_setup *arg)
{
	struct kvm *kvm = o->inst.kvm;
	struct eventfd_ctx *ctx;
	struct file *file;
	int ret;

	ret = keel_coal_eventfd(arg->irq_fd, &o->irq_file, &o->irq_ctx);
	if (ret)
		return ret;
	ret = keel_vm_irqfd_find(kvm, o->irq_ctx, &o->irqfd);
	if (ret)
		return ret;
	if (arg->call_fd != -1) {
		ret = keel_coal_eventfd(arg->call_fd, &file, &ctx);
		if (ret)
			return ret;
		if (ctx != o->irq_ctx) {
			o->tap.file = file;
			o->tap.ctx = ctx;
		} else {	/* the irqfd itself, given twice */
			eventfd_ctx_put(ctx);
			fput(file);
		}
	}
	/* vhost signals the irqfd: the tap's references are the irqfd's. */
	o->direct = !o->tap.ctx;
	if (o->direct) {
		o->tap.file = o->irq_file;
		o->tap.ctx = o->irq_ctx;
	}

	if (arg->vcpu == KEEL_COALESCE_VCPU_AUTO)
		o->vcpu = max(o->irqfd.vcpu, 0);
	else if (arg->vcpu >= 0 &&
		 arg->vcpu < atomic_read(&kvm->online_vcpus))
		o->vcpu = arg->vcpu;
	else
		return -EINVAL;
	return 0;
}

static long keel_coal_setup(struct keel_inst *inst, unsigned int cmd,
			    void __user *uarg)
{
	struct keel_coalesce_setup __user *usetup = uarg;
	struct keel_coal_obj *o = keel_coal_of(inst);
	struct keel_coalesce_setup arg;
	struct keel_coal_params p;
	int ret;

	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), sizeof(arg),
				  KEEL_COALESCE_SETUP_FLAGS_ALL, cmd, uarg);
	if (!ret && (arg.pad || arg.call_fd < -1 ||
		     arg.vcpu < KEEL_COALESCE_VCPU_AUTO))
		ret = -EINVAL;
	if (!ret)
		ret = keel_coal_params_from_uapi(&p, &arg.params);
	if (!ret)
		ret = keel_inst_setup_begin_vm(inst, arg.label,
					       sizeof(arg.label), arg.vm_fd);
	if (ret)
		return ret;
	keel_coal_init(&o->c, &p, true);
	o->stopped = true;
	ret = keel_coal_bind(o, &arg);
	if (ret)
		goto out;

	mutex_lock(&keel_coal_objs_lock);
	if (keel_coal_find_ctx(o->tap.ctx) || keel_coal_find_ctx(o->irq_ctx))
		ret = -EBUSY;
	else
		list_add(&o->node, &keel_coal_objs);
	mutex_unlock(&keel_coal_objs_lock);
	if (!ret)
		ret = keel_coal_tap_start(o);
out:
	return keel_inst_setup_end(inst, ret, &usetup->id);
}

static long keel_coal_probe(struct keel_inst *inst, unsigned int cmd,
			    void __user *uarg)
{
	struct keel_coalesce_probe arg;
	struct keel_coal_obj *o;
	struct eventfd_ctx *ctx;
	struct keel_vm_irqfd f;
	struct file *file;
	struct kvm *kvm;
	int ret;

	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), sizeof(arg), 0, cmd,
				  uarg);
	if (ret)
		return ret;
	kvm = keel_vm_get(arg.vm_fd);
	if (IS_ERR(kvm))
		return PTR_ERR(kvm);
	ret = keel_coal_eventfd(arg.fd, &file, &ctx);
	if (ret)
		goto put_vm;
	ret = keel_vm_irqfd_find(kvm, ctx, &f);
	if (ret)
		goto put_fd;
	arg.gsi = f.gsi;
	arg.route = f.route;
	arg.vcpu = f.vcpu;
	arg.msi_addr = f.msi_addr;
	arg.msi_data = f.msi_data;
	arg.pad = 0;
	mutex_lock(&keel_coal_objs_lock);
	o = keel_coal_find_ctx(ctx);
	arg.moderated = o ? o->inst.obj.id : 0;
	mutex_unlock(&keel_coal_objs_lock);
	if (copy_to_user(uarg, &arg, sizeof(arg)))
		ret = -EFAULT;
put_fd:
	eventfd_ctx_put(ctx);
	fput(file);
put_vm:
	keel_vm_put(kvm);
	return ret;
}

static int keel_coal_open(struct keel_inst *inst)
{
	struct keel_coal_obj *o = keel_coal_of(inst);

	spin_lock_init(&o->lock);
	hrtimer_init(&o->timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS_HARD);
	o->timer.function = keel_coal_timer_fn;
	init_irq_work(&o->kick, keel_coal_kick_fn);
	INIT_LIST_HEAD(&o->node);
	return 0;
}

/*
 * Undo setup, also a partial one: no notification reaches the object
 * after the tap is off, no timer or kick runs after quiescing, and what
 * is still held is delivered before the files go.
 */
static void keel_coal_teardown(struct keel_inst *inst)
{
	struct keel_coal_obj *o = keel_coal_of(inst);
	bool held;

	keel_coal_tap_stop(o);
	keel_coal_quiesce(o);
	spin_lock_irq(&o->lock);
	held = keel_coal_flush(&o->c);
	spin_unlock_irq(&o->lock);
	if (held && o->irq_ctx)
		keel_coal_fire(o);

	mutex_lock(&keel_coal_objs_lock);
	list_del_init(&o->node);
	mutex_unlock(&keel_coal_objs_lock);
	if (o->tap.ctx && !o->direct) {
		eventfd_ctx_put(o->tap.ctx);
		fput(o->tap.file);
	}
	if (o->irq_ctx)
		eventfd_ctx_put(o->irq_ctx);
	if (o->irq_file)
		fput(o->irq_file);
	o->tap.ctx = NULL;
	o->tap.file = NULL;
	o->irq_ctx = NULL;
	o->irq_file = NULL;
}

static const struct keel_ioctl keel_coal_ioctls[] = {
	{ KEEL_COALESCE_IOC_SETUP, keel_coal_setup, KEEL_IOCTL_SETUP },
	/* allowed before setup too: a tool probes with a fresh file */
	{ KEEL_COALESCE_IOC_PROBE, keel_coal_probe, KEEL_IOCTL_SETUP },
};

struct keel_feature keel_coal_feature = {
	KEEL_FEATURE_NAME(coalesce),
	.type = &keel_coal_type,
	.ops = {
		KEEL_FEATURE_INST(struct keel_coal_obj, inst),
		.state = &keel_coal_state_ops,
		KEEL_FEATURE_IOCTLS(keel_coal_ioctls),
		.open = keel_coal_open,
		.teardown = keel_coal_teardown,
	},
};

module_keel_feature(keel_coal_feature);
MODULE_DESCRIPTION("Keel: host-side interrupt moderation of virtqueues");
MODULE_LICENSE("GPL");
MODULE_VERSION(KEEL_RELEASE);
