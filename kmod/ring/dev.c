// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/keel-ring on the core's feature base: each open file is one ring.
 * Setup, commit and sync ioctls, the fetch engine's and replication's
 * start and stop, and the ring's teardown; the data path is in io.c.
 */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/poll.h>
#include <linux/eventfd.h>
#include <linux/log2.h>

#include "ring.h"
#include "../compat/keel_compat.h"

/* The first layouts of the extensible ioctl structs. */
#define KEEL_RING_SETUP_SIZE_VER0	80
#define KEEL_RING_COMMIT_SIZE_VER0	24

static int keel_ring_open(struct keel_inst *inst)
{
	struct keel_ring *r = keel_ring_of_inst(inst);

	mutex_init(&r->read_lock);
	mutex_init(&r->write_lock);
	mutex_init(&r->fetch_lock);
	mutex_init(&r->repl_lock);
	init_rwsem(&r->gate);
	spin_lock_init(&r->lock);
	init_waitqueue_head(&r->wq);
	keel_thread_init(&r->fetch_thread);
	keel_thread_init(&r->repl_tx);
	keel_thread_init(&r->repl_rx);
	return 0;
}

static void keel_ring_release(struct keel_inst *inst)
{
	struct keel_ring *r = keel_ring_of_inst(inst);

	mutex_destroy(&r->repl_lock);
	mutex_destroy(&r->fetch_lock);
	mutex_destroy(&r->write_lock);
	mutex_destroy(&r->read_lock);
}

/*
 * Undoes setup, complete or partial. On release it runs when the last
 * reference is gone: no mapping, no syscall left.
 */
static void keel_ring_teardown(struct keel_inst *inst)
{
	struct keel_ring *r = keel_ring_of_inst(inst);

	keel_ring_repl_stop(r);
	keel_ring_fetch_release(r);
	if (r->event)
		eventfd_ctx_put(r->event);
	keel_ring_area_free(&r->slots_area);
	keel_ring_area_free(&r->ctrl_area);
	keel_ring_user_uncharge(r);
	r->event = NULL;
	r->slots = NULL;
	r->ctrl = NULL;
}

static int keel_ring_check_setup(const struct keel_ring_setup *arg)
{
	if (!arg->slots || !is_power_of_2(arg->slots) ||
	    arg->slots > KEEL_RING_SLOTS_MAX)
		return -EINVAL;
	if (arg->slot_size < KEEL_RING_SLOT_SIZE_MIN ||
	    arg->slot_size > KEEL_RING_SLOT_SIZE_MAX ||
	    !IS_ALIGNED(arg->slot_size, 8))
		return -EINVAL;
	if ((u64)arg->slots * arg->slot_size > KEEL_RING_AREA_MAX)
		return -EINVAL;
	if (!(arg->flags & KEEL_RING_SETUP_IDX64) && arg->start > U32_MAX)
		return -EINVAL;
	if (!keel_label_valid(arg->label, sizeof(arg->label)))
		return -EINVAL;
	if ((arg->flags & KEEL_RING_SETUP_EVENTFD) && arg->event_fd < 0)
		return -EBADF;
	return 0;
}

static void keel_ring_init_ctrl(struct keel_ring *r, u64 start)
{
	struct keel_ring_ctrl *c = r->ctrl;

	c->head = start;
	c->out_tail = start;
	c->buf_tail = start;
	c->slots = r->idx.slots;
	c->slot_size = r->slot_size;
	c->flags = r->flags;
	c->idx_mask = r->idx.mask;
}

/* The areas, the indices and the eventfd of a new ring. */
static int keel_ring_build(struct keel_ring *r,
			   const struct keel_ring_setup *arg)
{
	int ret;

	/* First: a user at the limit gets EMFILE before anything else. */
	ret = keel_ring_user_charge(r);
	if (ret)
		return ret;
	if (arg->flags & KEEL_RING_SETUP_EVENTFD) {
		struct eventfd_ctx *event = eventfd_ctx_fdget(arg->event_fd);

		if (IS_ERR(event))
			return PTR_ERR(event);
		r->event = event;
	}
	r->ctrl_size = PAGE_ALIGN(sizeof(struct keel_ring_ctrl));
	r->slots_size = PAGE_ALIGN((size_t)arg->slots * arg->slot_size);
	ret = keel_ring_area_alloc(&r->ctrl_area, r->ctrl_size);
	if (ret)
		return ret;
	ret = keel_ring_area_alloc(&r->slots_area, r->slots_size);
	if (ret)
		return ret;
	r->ctrl = r->ctrl_area.addr;
	r->slots = r->slots_area.addr;

	r->slot_size = arg->slot_size;
	r->flags = arg->flags;
	r->idx.mask = arg->flags & KEEL_RING_SETUP_IDX64 ? U64_MAX : U32_MAX;
	r->idx.slots = arg->slots;
	r->idx.head = arg->start;
	r->idx.out = arg->start;
	r->idx.buf = arg->start;
	r->cmt = arg->start;
	r->last_bad_head = arg->start;
	r->last_bad_buf = arg->start;
	keel_ring_init_ctrl(r, arg->start);
	return 0;
}

static long keel_ring_setup(struct keel_inst *inst, unsigned int cmd,
			    void __user *uarg)
{
	struct keel_ring *r = keel_ring_of_inst(inst);
	struct keel_ring_setup __user *usetup = uarg;
	struct keel_ring_setup arg;
	int ret;

	BUILD_BUG_ON(sizeof(arg) != KEEL_RING_SETUP_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct keel_ring_ctrl) != 4 * KEEL_RING_CACHELINE);

	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), KEEL_RING_SETUP_SIZE_VER0,
				  KEEL_RING_SETUP_FLAGS_ALL, cmd, uarg);
	if (ret)
		return ret;
	ret = keel_ring_check_setup(&arg);
	if (ret)
		return ret;

	ret = keel_inst_setup_begin(inst, arg.label, sizeof(arg.label));
	if (ret)
		return ret;
	ret = keel_ring_build(r, &arg);
	if (ret)
		goto out;
	keel_state_set_max_len(&inst->state, keel_ring_state_max_len(r));
	/* A ring runs from the start. */
	ret = keel_state_set_running(&inst->state, true);
	if (ret)
		goto out;
	if (put_user((u64)r->ctrl_size, &usetup->ctrl_size) ||
	    put_user((u64)r->slots_size, &usetup->slots_size))
		ret = -EFAULT;
out:
	return keel_inst_setup_end(inst, ret, &usetup->id);
}

void keel_ring_notify_commit(struct keel_ring *r)
{
	wake_up_interruptible_poll(&r->wq, EPOLLIN | EPOLLRDNORM);
	if (r->event)
		keel_eventfd_signal(r->event);
}

static long keel_ring_commit(struct keel_inst *inst, unsigned int cmd,
			     void __user *uarg)
{
	struct keel_ring *r = keel_ring_of_inst(inst);
	struct keel_ring_commit __user *ucommit = uarg;
	struct keel_ring_commit arg;
	bool moved = false, kick;
	u64 out;
	int ret;

	BUILD_BUG_ON(sizeof(arg) != KEEL_RING_COMMIT_SIZE_VER0);

	ret = keel_copy_ioctl_arg(&arg, sizeof(arg),
				  KEEL_RING_COMMIT_SIZE_VER0,
				  KEEL_RING_COMMIT_FLAGS_ALL, cmd, uarg);
	if (ret)
		return ret;

	spin_lock(&r->lock);
	if (r->repl_backup_on || r->stopped) {
		/* A backup's entries are the primary's to release. */
		ret = -EBUSY;
	} else {
		keel_ring_sync_buf(r);
		if (arg.flags & KEEL_RING_COMMIT_ALL)
			arg.index = r->idx.buf;
		ret = keel_ring_commit_to(r, arg.index, &moved);
	}
	out = r->idx.out;
	kick = !ret && r->redundant;
	spin_unlock(&r->lock);

	if (moved)
		keel_ring_notify_commit(r);
	else if (kick)
		wake_up_interruptible(&r->wq);	/* the replication sender */
	if (!ret && put_user(out, &ucommit->out_tail))
		ret = -EFAULT;
	return ret;
}

/* KEEL_RING_IOC_SYNC: take head and buffer tail from the mapping. */
static long keel_ring_sync(struct keel_inst *inst, unsigned int cmd,
			   void __user *uarg)
{
	struct keel_ring *r = keel_ring_of_inst(inst);

	spin_lock(&r->lock);
	keel_ring_sync_buf(r);
	spin_unlock(&r->lock);
	wake_up_interruptible_poll(&r->wq, EPOLLOUT | EPOLLWRNORM);
	return 0;
}

static long keel_ring_fetch_stop_ioctl(struct keel_inst *inst,
				       unsigned int cmd, void __user *uarg)
{
	keel_ring_fetch_stop(keel_ring_of_inst(inst));
	return 0;
}

static long keel_ring_repl_stop_ioctl(struct keel_inst *inst,
				      unsigned int cmd, void __user *uarg)
{
	keel_ring_repl_stop(keel_ring_of_inst(inst));
	return 0;
}

static const struct keel_ioctl keel_ring_ioctls[] = {
	{ KEEL_RING_IOC_SETUP, keel_ring_setup, KEEL_IOCTL_SETUP },
	{ KEEL_RING_IOC_COMMIT, keel_ring_commit },
	{ KEEL_RING_IOC_SYNC, keel_ring_sync },
	{ KEEL_RING_IOC_FETCH_START, keel_ring_fetch_start },
	{ KEEL_RING_IOC_FETCH_STOP, keel_ring_fetch_stop_ioctl },
	{ KEEL_RING_IOC_REPL_START, keel_ring_repl_start },
	{ KEEL_RING_IOC_REPL_STOP, keel_ring_repl_stop_ioctl },
};

static const struct file_operations keel_ring_fops = {
	.read = keel_ring_read,
	.write = keel_ring_write,
	.poll = keel_ring_poll,
	.mmap = keel_ring_mmap,
};

struct keel_feature keel_ring_feature = {
	KEEL_FEATURE_NAME(ring),
	.fops = &keel_ring_fops,
	.type = &keel_ring_obj_type,
	.ops = {
		KEEL_FEATURE_INST(struct keel_ring, inst),
		.state = &keel_ring_state_ops,
		KEEL_FEATURE_IOCTLS(keel_ring_ioctls),
		.open = keel_ring_open,
		.teardown = keel_ring_teardown,
		.release = keel_ring_release,
	},
};
