// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/keel-ring: each open file is one ring. Setup and commit ioctls,
 * mmap of the control and slot areas, read()/write() of one entry per
 * call, poll.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/uaccess.h>
#include <linux/poll.h>
#include <linux/eventfd.h>
#include <linux/log2.h>
#include <linux/sched/signal.h>

#include "ring.h"
#include "../compat/keel_compat.h"

/* The first layouts of the extensible ioctl structs. */
#define KEEL_RING_SETUP_SIZE_VER0	80
#define KEEL_RING_COMMIT_SIZE_VER0	24

#define KEEL_RING_PAYLOAD_MAX(r)	((r)->slot_size - \
					 sizeof(struct keel_ring_slot))

static int keel_ring_open(struct inode *inode, struct file *file)
{
	struct keel_ring *r;

	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	if (!r)
		return -ENOMEM;
	mutex_init(&r->setup_lock);
	mutex_init(&r->read_lock);
	mutex_init(&r->write_lock);
	mutex_init(&r->fetch_lock);
	mutex_init(&r->repl_lock);
	init_rwsem(&r->gate);
	spin_lock_init(&r->lock);
	init_waitqueue_head(&r->wq);
	file->private_data = r;
	return nonseekable_open(inode, file);
}

/* Runs when the last reference is gone: no mapping, no syscall left. */
static int keel_ring_release(struct inode *inode, struct file *file)
{
	struct keel_ring *r = file->private_data;

	if (r->set_up) {
		/* First out of the registry: no netlink state command after. */
		keel_object_del(&r->obj);
		keel_ring_repl_stop(r);
		keel_ring_fetch_stop(r);
		keel_state_destroy(&r->state);
		if (r->event)
			eventfd_ctx_put(r->event);
		vfree(r->slots);
		vfree(r->ctrl);
	}
	mutex_destroy(&r->repl_lock);
	mutex_destroy(&r->fetch_lock);
	mutex_destroy(&r->write_lock);
	mutex_destroy(&r->read_lock);
	mutex_destroy(&r->setup_lock);
	kfree(r);
	return 0;
}

static int keel_ring_check_setup(const struct keel_ring_setup *arg)
{
	if (arg->flags & ~KEEL_RING_SETUP_FLAGS_ALL)
		return -EINVAL;
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

static long keel_ring_setup(struct keel_ring *r, unsigned int cmd,
			    struct keel_ring_setup __user *uarg)
{
	struct eventfd_ctx *event = NULL;
	struct keel_ring_setup arg;
	size_t ctrl_size, slots_size;
	void *ctrl = NULL, *slots = NULL;
	int ret;

	BUILD_BUG_ON(sizeof(arg) != KEEL_RING_SETUP_SIZE_VER0);
	BUILD_BUG_ON(sizeof(struct keel_ring_ctrl) != 4 * KEEL_RING_CACHELINE);

	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), KEEL_RING_SETUP_SIZE_VER0,
				  cmd, uarg);
	if (ret)
		return ret;
	ret = keel_ring_check_setup(&arg);
	if (ret)
		return ret;

	mutex_lock(&r->setup_lock);
	if (r->set_up) {
		ret = -EBUSY;
		goto out;
	}
	if (arg.flags & KEEL_RING_SETUP_EVENTFD) {
		event = eventfd_ctx_fdget(arg.event_fd);
		if (IS_ERR(event)) {
			ret = PTR_ERR(event);
			event = NULL;
			goto out;
		}
	}
	ret = -ENOMEM;
	ctrl_size = PAGE_ALIGN(sizeof(struct keel_ring_ctrl));
	slots_size = PAGE_ALIGN((size_t)arg.slots * arg.slot_size);
	ctrl = vmalloc_user(ctrl_size);
	slots = vmalloc_user(slots_size);
	if (!ctrl || !slots)
		goto err;

	r->ctrl = ctrl;
	r->slots = slots;
	r->ctrl_size = ctrl_size;
	r->slots_size = slots_size;
	r->slot_size = arg.slot_size;
	r->flags = arg.flags;
	r->event = event;
	r->idx.mask = arg.flags & KEEL_RING_SETUP_IDX64 ? U64_MAX : U32_MAX;
	r->idx.slots = arg.slots;
	r->idx.head = arg.start;
	r->idx.out = arg.start;
	r->idx.buf = arg.start;
	r->cmt = arg.start;
	r->last_bad_head = arg.start;
	r->last_bad_buf = arg.start;
	keel_ring_init_ctrl(r, arg.start);

	keel_object_init(&r->obj, &keel_ring_obj_type, NULL);
	keel_state_init(&r->state, &keel_ring_state_ops);
	keel_state_set_max_len(&r->state, keel_ring_state_max_len(r));
	r->obj.state = &r->state;
	ret = keel_object_set_label(&r->obj, arg.label, sizeof(arg.label));
	if (!ret)
		ret = keel_state_set_running(&r->state, true);
	if (ret)
		goto err_state;
	ret = keel_object_add(&r->obj);
	if (ret)
		goto err_state;
	if (put_user(r->obj.id, &uarg->id) ||
	    put_user((u64)ctrl_size, &uarg->ctrl_size) ||
	    put_user((u64)slots_size, &uarg->slots_size)) {
		ret = -EFAULT;
		keel_object_del(&r->obj);
		goto err_state;
	}
	/* Pairs with keel_ring_ready(): the file ops see a complete ring. */
	smp_store_release(&r->set_up, true);
	mutex_unlock(&r->setup_lock);
	return 0;

err_state:
	keel_state_destroy(&r->state);
err:
	r->ctrl = NULL;
	r->slots = NULL;
	r->event = NULL;
	vfree(slots);
	vfree(ctrl);
	if (event)
		eventfd_ctx_put(event);
out:
	mutex_unlock(&r->setup_lock);
	return ret;
}

void keel_ring_notify_commit(struct keel_ring *r)
{
	wake_up_interruptible_poll(&r->wq, EPOLLIN | EPOLLRDNORM);
	if (r->event)
		keel_eventfd_signal(r->event);
}

static long keel_ring_commit(struct keel_ring *r, unsigned int cmd,
			     struct keel_ring_commit __user *uarg)
{
	struct keel_ring_commit arg;
	bool moved = false, kick;
	u64 out;
	int ret;

	BUILD_BUG_ON(sizeof(arg) != KEEL_RING_COMMIT_SIZE_VER0);

	if (!keel_ring_ready(r))
		return -EBADFD;
	ret = keel_copy_ioctl_arg(&arg, sizeof(arg),
				  KEEL_RING_COMMIT_SIZE_VER0, cmd, uarg);
	if (ret)
		return ret;
	if (arg.flags & ~KEEL_RING_COMMIT_FLAGS_ALL)
		return -EINVAL;

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
	if (!ret && put_user(out, &uarg->out_tail))
		ret = -EFAULT;
	return ret;
}

/* KEEL_RING_IOC_SYNC: take head and buffer tail from the mapping. */
static long keel_ring_sync(struct keel_ring *r)
{
	if (!keel_ring_ready(r))
		return -EBADFD;
	spin_lock(&r->lock);
	keel_ring_sync_buf(r);
	spin_unlock(&r->lock);
	wake_up_interruptible_poll(&r->wq, EPOLLOUT | EPOLLWRNORM);
	return 0;
}

static long keel_ring_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct keel_ring *r = file->private_data;
	void __user *uarg = (void __user *)arg;

	/* Match on number, not size: extensible structs may have grown. */
	if (_IOC_TYPE(cmd) != KEEL_IOC_MAGIC)
		return -ENOTTY;
	if (keel_state_ioctl_nr(cmd)) {
		if (!keel_ring_ready(r))
			return -EBADFD;
		return keel_state_ioctl(&r->state, cmd, uarg);
	}

	switch (_IOC_NR(cmd)) {
	case _IOC_NR(KEEL_RING_IOC_SETUP):
		if (_IOC_DIR(cmd) != _IOC_DIR(KEEL_RING_IOC_SETUP))
			return -ENOTTY;
		return keel_ring_setup(r, cmd, uarg);
	case _IOC_NR(KEEL_RING_IOC_COMMIT):
		if (_IOC_DIR(cmd) != _IOC_DIR(KEEL_RING_IOC_COMMIT))
			return -ENOTTY;
		return keel_ring_commit(r, cmd, uarg);
	case _IOC_NR(KEEL_RING_IOC_SYNC):
		if (cmd != KEEL_RING_IOC_SYNC)
			return -ENOTTY;
		return keel_ring_sync(r);
	case _IOC_NR(KEEL_RING_IOC_FETCH_START):
		if (_IOC_DIR(cmd) != _IOC_DIR(KEEL_RING_IOC_FETCH_START))
			return -ENOTTY;
		if (!keel_ring_ready(r))
			return -EBADFD;
		return keel_ring_fetch_start(r, cmd, uarg);
	case _IOC_NR(KEEL_RING_IOC_REPL_START):
		if (_IOC_DIR(cmd) != _IOC_DIR(KEEL_RING_IOC_REPL_START))
			return -ENOTTY;
		if (!keel_ring_ready(r))
			return -EBADFD;
		return keel_ring_repl_start(r, cmd, uarg);
	case _IOC_NR(KEEL_RING_IOC_REPL_STOP):
		if (cmd != KEEL_RING_IOC_REPL_STOP)
			return -ENOTTY;
		if (!keel_ring_ready(r))
			return -EBADFD;
		keel_ring_repl_stop(r);
		return 0;
	case _IOC_NR(KEEL_RING_IOC_FETCH_STOP):
		if (cmd != KEEL_RING_IOC_FETCH_STOP)
			return -ENOTTY;
		if (!keel_ring_ready(r))
			return -EBADFD;
		keel_ring_fetch_stop(r);
		return 0;
	default:
		return -ENOTTY;
	}
}

/* The head (or NULL) if an entry can be fetched; takes head from the map. */
static bool keel_ring_fetchable_now(struct keel_ring *r, u64 *head)
{
	bool ok;

	spin_lock(&r->lock);
	keel_ring_sync_head(r);
	ok = !r->stopped && keel_ring_fetchable(&r->idx) != 0;
	*head = r->idx.head;
	spin_unlock(&r->lock);
	return ok;
}

static bool keel_ring_space_now(struct keel_ring *r, u64 *buf)
{
	bool ok;

	spin_lock(&r->lock);
	keel_ring_sync_buf(r);
	ok = !r->stopped && !r->repl_backup_on &&
	     keel_ring_space(&r->idx) != 0;
	*buf = r->idx.buf;
	spin_unlock(&r->lock);
	return ok;
}

/* One committed entry per call: its payload. */
static ssize_t keel_ring_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct keel_ring *r = file->private_data;
	struct keel_ring_slot *slot;
	ssize_t ret;
	u64 head;
	u32 len;

	if (!keel_ring_ready(r))
		return -EBADFD;
	/*
	 * Past the gate with an entry, or not at all (see STOP). The wait
	 * is outside @read_lock, which FETCH_START takes: a reader blocked
	 * on an empty ring must not hold up the engine's start.
	 */
	for (;;) {
		if (mutex_lock_interruptible(&r->read_lock))
			return -ERESTARTSYS;
		/* The fetch engine owns the head (set under read_lock). */
		if (READ_ONCE(r->fetch_on)) {
			ret = -EBUSY;
			goto out;
		}
		down_read(&r->gate);
		if (keel_ring_fetchable_now(r, &head))
			break;
		up_read(&r->gate);
		mutex_unlock(&r->read_lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(r->wq,
					       keel_ring_fetchable_now(r, &head) ||
					       READ_ONCE(r->fetch_on));
		if (ret)
			return ret;
	}

	/*
	 * The slot is committed: its contents were acquired with the
	 * buffer tail before the commit. Userspace may still scribble on
	 * it; read the length once and never trust it beyond the slot.
	 */
	slot = keel_ring_slot_ptr(r, head);
	len = READ_ONCE(slot->len);
	if (len > KEEL_RING_PAYLOAD_MAX(r)) {
		ret = -EBADMSG;
	} else if (count < len) {
		ret = -EMSGSIZE;
		goto out_gate;
	} else if (copy_to_user(ubuf, slot + 1, len)) {
		ret = -EFAULT;
		goto out_gate;
	} else {
		ret = len;
	}

	spin_lock(&r->lock);
	/* Unless a fetcher moved the head through the mapping meanwhile. */
	if (r->idx.head == head) {
		keel_ring_set_head(r, (head + 1) & r->idx.mask, true);
		if (ret < 0)
			r->stats.bad_entry++;
		else
			r->stats.bytes_out += len;
	}
	spin_unlock(&r->lock);
	wake_up_interruptible_poll(&r->wq, EPOLLOUT | EPOLLWRNORM);
out_gate:
	up_read(&r->gate);
out:
	mutex_unlock(&r->read_lock);
	return ret;
}

/* One entry per call; committed at once with KEEL_RING_SETUP_AUTOCOMMIT. */
static ssize_t keel_ring_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct keel_ring *r = file->private_data;
	struct keel_ring_slot *slot;
	bool moved = false, kick;
	u64 buf, next;
	ssize_t ret;

	if (!keel_ring_ready(r))
		return -EBADFD;
	if (count > KEEL_RING_PAYLOAD_MAX(r))
		return -EMSGSIZE;
	if (!count)
		return 0;
	/*
	 * Past the gate with a free slot, or not at all (see STOP and a
	 * backup's REPL_START). The wait is outside @write_lock: a writer
	 * blocked on a full ring must not hold up the others, a
	 * non-blocking one least of all.
	 */
	for (;;) {
		if (mutex_lock_interruptible(&r->write_lock))
			return -ERESTARTSYS;
		/* A backup's entries come from its primary only. */
		if (READ_ONCE(r->repl_backup_on)) {
			ret = -EBUSY;
			goto out;
		}
		down_read(&r->gate);
		if (keel_ring_space_now(r, &buf))
			break;
		up_read(&r->gate);
		mutex_unlock(&r->write_lock);
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(r->wq,
					       keel_ring_space_now(r, &buf) ||
					       READ_ONCE(r->repl_backup_on));
		if (ret)
			return ret;
	}

	slot = keel_ring_slot_ptr(r, buf);
	if (copy_from_user(slot + 1, ubuf, count)) {
		ret = -EFAULT;
		goto out_gate;
	}
	WRITE_ONCE(slot->len, count);
	WRITE_ONCE(slot->flags, 0);

	spin_lock(&r->lock);
	next = (buf + 1) & r->idx.mask;
	if (r->repl_backup_on || r->idx.buf != buf ||
	    !keel_ring_buf_ok(&r->idx, next)) {
		/* A producer moved the buffer tail through the mapping. */
		ret = -EBUSY;
	} else {
		keel_ring_set_buf(r, next, true);
		r->stats.bytes_in += count;
		if (r->flags & KEEL_RING_SETUP_AUTOCOMMIT)
			keel_ring_commit_to(r, next, &moved);
		ret = count;
	}
	kick = ret > 0 && r->redundant &&
	       (r->flags & KEEL_RING_SETUP_AUTOCOMMIT);
	spin_unlock(&r->lock);
	if (moved)
		keel_ring_notify_commit(r);
	else if (kick)
		wake_up_interruptible(&r->wq);	/* the replication sender */
out_gate:
	up_read(&r->gate);
out:
	mutex_unlock(&r->write_lock);
	return ret;
}

static __poll_t keel_ring_poll(struct file *file, poll_table *wait)
{
	struct keel_ring *r = file->private_data;
	__poll_t mask = 0;

	if (!keel_ring_ready(r))
		return EPOLLERR;
	poll_wait(file, &r->wq, wait);
	spin_lock(&r->lock);
	keel_ring_sync_buf(r);
	/* Stopped: neither, until RESUME wakes the pollers. */
	if (!r->stopped && keel_ring_fetchable(&r->idx))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (!r->stopped && keel_ring_space(&r->idx))
		mask |= EPOLLOUT | EPOLLWRNORM;
	spin_unlock(&r->lock);
	return mask;
}

/*
 * Two areas, each mapped whole at its own offset, shared: anything else
 * is refused. The mapping holds the file, so the areas outlive it.
 */
static int keel_ring_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct keel_ring *r = file->private_data;
	unsigned long len = vma->vm_end - vma->vm_start;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;

	if (!keel_ring_ready(r))
		return -EBADFD;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (off == KEEL_RING_OFF_CTRL && len == r->ctrl_size)
		return remap_vmalloc_range(vma, r->ctrl, 0);
	if (off == KEEL_RING_OFF_SLOTS && len == r->slots_size)
		return remap_vmalloc_range(vma, r->slots, 0);
	return -EINVAL;
}

static const struct file_operations keel_ring_fops = {
	.owner = THIS_MODULE,
	.open = keel_ring_open,
	.release = keel_ring_release,
	.read = keel_ring_read,
	.write = keel_ring_write,
	.poll = keel_ring_poll,
	.mmap = keel_ring_mmap,
	.unlocked_ioctl = keel_ring_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice keel_ring_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "keel-ring",
	.fops = &keel_ring_fops,
	.mode = 0600,
};

int keel_ring_dev_init(void)
{
	return misc_register(&keel_ring_miscdev);
}

void keel_ring_dev_exit(void)
{
	misc_deregister(&keel_ring_miscdev);
}
