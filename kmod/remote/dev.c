// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/keel-remote on the core's feature base: each open file is one
 * remote device. Setup (all or nothing) and the teardown that is its one
 * undo path, START and STOP through the state framework, the device
 * file's poll (readable while there is no connection), and the feature.
 */
#include <linux/module.h>
#include <linux/fs.h>
#include <linux/poll.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>

#include "remote.h"

static int keel_remote_open(struct keel_inst *inst)
{
	struct keel_remote *rd = keel_remote_of(inst);

	spin_lock_init(&rd->mmio_lock);
	spin_lock_init(&rd->req_lock);
	mutex_init(&rd->tx_mutex);
	mutex_init(&rd->vq_mutex);
	mutex_init(&rd->ctl_lock);
	keel_irq_line_init(&rd->irq);
	/* A device starts stopped: no signal until START. */
	keel_irq_line_enable(&rd->irq, false);
	keel_thread_init(&rd->worker);
	keel_thread_init(&rd->rx);
	init_waitqueue_head(&rd->poll_wq);
	return 0;
}

/* Undoes setup, complete or partial. */
static void keel_remote_teardown(struct keel_inst *inst)
{
	struct keel_remote *rd = keel_remote_of(inst);
	unsigned int i;

	/* No vCPU is inside the device once this returns. */
	keel_io_claim_stop(&rd->claim);
	mutex_lock(&rd->ctl_lock);
	keel_thread_stop(&rd->worker);
	keel_thread_stop(&rd->rx);
	mutex_unlock(&rd->ctl_lock);
	keel_sink_put(&rd->sink);
	for (i = 0; rd->reqs && i < rd->window; i++)
		kvfree(rd->reqs[i].buf);
	kvfree(rd->reqs);
	kvfree(rd->segs);
	kfree(rd->chain);
	rd->reqs = NULL;
	rd->segs = NULL;
	rd->chain = NULL;
	keel_irq_line_unbind(&rd->irq);
	keel_io_claim_del(&rd->claim);
}

static int keel_remote_check(const struct keel_remote_setup *arg)
{
	if (arg->pad)
		return -EINVAL;
	if (!(arg->flags & KEEL_REMOTE_SETUP_LEVEL) && arg->resample_fd)
		return -EINVAL;
	switch (arg->iface) {
	case KEEL_REMOTE_IF_VIRTIO_BLK:
		if (!arg->capacity || arg->capacity % KEEL_REMOTE_SECTOR)
			return -EINVAL;
		break;
	case KEEL_REMOTE_IF_VIRTIO_RNG:
		/* An entropy session: no capacity, nothing read-only. */
		if (arg->capacity || (arg->flags & KEEL_REMOTE_SETUP_RO))
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (!IS_ALIGNED(arg->base, SZ_4K) ||
	    arg->base > U64_MAX - KEEL_REMOTE_MMIO_SIZE)
		return -EINVAL;
	if (arg->max_data < SZ_4K || arg->max_data > KEEL_REMOTE_MAX_DATA)
		return -EINVAL;
	if (!arg->window || arg->window > KEEL_REMOTE_WINDOW)
		return -EINVAL;
	/* Ids from next_id on; far from wrapping. */
	if (!arg->session || !arg->next_id || arg->next_id > U64_MAX / 2)
		return -EINVAL;
	if (arg->irq_fd < 0 || arg->sock_fd < 0 ||
	    ((arg->flags & KEEL_REMOTE_SETUP_LEVEL) && arg->resample_fd < 0))
		return -EBADF;
	return 0;
}

static void keel_remote_config_u32(u8 *cfg, size_t off, u32 val)
{
	__le32 v = cpu_to_le32(val);

	memcpy(cfg + off, &v, sizeof(v));
}

/* The segments of one virtio-rng request (a driver gives one buffer). */
#define KEEL_REMOTE_RNG_SEGS		16u

/* What the guest sees: features and the configuration space. */
static void keel_remote_config(struct keel_remote *rd, bool ro)
{
	u8 *cfg = rd->config;
	__le64 capacity;

	memset(cfg, 0, sizeof(rd->config));
	if (rd->iface == KEEL_REMOTE_IF_VIRTIO_RNG) {
		/* virtio-rng: no feature of its own, no configuration. */
		rd->ops = &keel_remote_iface_rng;
		rd->seg_cap = KEEL_REMOTE_RNG_SEGS;
		rd->features = BIT_ULL(VIRTIO_F_VERSION_1);
		rd->config_len = 0;
		return;
	}
	rd->ops = &keel_remote_iface_blk;
	rd->config_len = sizeof(struct virtio_blk_config);
	rd->seg_max = min(rd->max_data / KEEL_REMOTE_SEG_SIZE,
			  KEEL_REMOTE_QUEUE_MAX - 2);
	rd->seg_cap = rd->seg_max;
	rd->features = BIT_ULL(VIRTIO_F_VERSION_1) |
		       BIT_ULL(VIRTIO_BLK_F_FLUSH) |
		       BIT_ULL(VIRTIO_BLK_F_SEG_MAX) |
		       BIT_ULL(VIRTIO_BLK_F_SIZE_MAX) |
		       BIT_ULL(VIRTIO_BLK_F_BLK_SIZE);
	if (ro)
		rd->features |= BIT_ULL(VIRTIO_BLK_F_RO);
	capacity = cpu_to_le64(rd->capacity / KEEL_REMOTE_SECTOR);
	memcpy(cfg + offsetof(struct virtio_blk_config, capacity), &capacity,
	       sizeof(capacity));
	keel_remote_config_u32(cfg, offsetof(struct virtio_blk_config, size_max),
			       KEEL_REMOTE_SEG_SIZE);
	keel_remote_config_u32(cfg, offsetof(struct virtio_blk_config, seg_max),
			       rd->seg_max);
	keel_remote_config_u32(cfg, offsetof(struct virtio_blk_config, blk_size),
			       KEEL_REMOTE_SECTOR);
	/* GET_ID: the label, NUL-padded, not terminated at 20 bytes. */
	memset(rd->id_str, 0, sizeof(rd->id_str));
	memcpy(rd->id_str, rd->inst.obj.label,
	       strnlen(rd->inst.obj.label, sizeof(rd->id_str)));
}

/* The device's parameters, configuration and request slots. */
static int keel_remote_build(struct keel_remote *rd,
			     const struct keel_remote_setup *arg)
{
	unsigned int i;

	rd->base = arg->base;
	rd->iface = arg->iface;
	rd->capacity = arg->capacity;
	rd->max_data = arg->max_data;
	rd->window = arg->window;
	rd->keepalive_ms = arg->keepalive_ms;
	rd->session = arg->session;
	rd->handle = arg->handle;
	rd->next_id = arg->next_id;
	rd->tail_id = arg->next_id;
	keel_remote_config(rd, arg->flags & KEEL_REMOTE_SETUP_RO);

	rd->chain = kcalloc(KEEL_REMOTE_QUEUE_MAX, sizeof(*rd->chain),
			    KEEL_GFP_CHARGED);
	rd->reqs = kvcalloc(rd->window, sizeof(*rd->reqs), KEEL_GFP_CHARGED);
	rd->segs = kvcalloc(array_size(rd->window, rd->seg_cap),
			    sizeof(*rd->segs), KEEL_GFP_CHARGED);
	if (!rd->chain || !rd->reqs || !rd->segs)
		return -ENOMEM;
	for (i = 0; i < rd->window; i++)
		rd->reqs[i].segs = rd->segs + i * rd->seg_cap;
	spin_lock_irq(&rd->mmio_lock);
	keel_remote_mmio_reset(rd);
	spin_unlock_irq(&rd->mmio_lock);
	return 0;
}

static long keel_remote_setup(struct keel_inst *inst, unsigned int cmd,
			      void __user *uarg)
{
	struct keel_remote *rd = keel_remote_of(inst);
	struct keel_remote_setup __user *usetup = uarg;
	struct keel_remote_setup arg;
	int resample_fd;
	int ret;

	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), sizeof(arg),
				  KEEL_REMOTE_SETUP_FLAGS_ALL, cmd, uarg);
	if (!ret)
		ret = keel_remote_check(&arg);
	if (!ret)
		ret = keel_inst_setup_begin_vm(inst, arg.label,
					       sizeof(arg.label), arg.vm_fd);
	if (ret)
		return ret;
	ret = keel_remote_build(rd, &arg);
	if (!ret)
		ret = keel_remote_sock_get(&rd->sink, arg.sock_fd);
	resample_fd = arg.flags & KEEL_REMOTE_SETUP_LEVEL ? arg.resample_fd : -1;
	if (!ret && (arg.flags & KEEL_REMOTE_SETUP_GSI))
		ret = keel_irq_line_bind_gsi(&rd->irq, inst->kvm, arg.vm_fd,
					     arg.gsi, arg.irq_fd, resample_fd);
	else if (!ret)
		ret = keel_irq_line_bind(&rd->irq, arg.irq_fd, resample_fd);
	if (!ret)
		rd->irq_level = resample_fd >= 0;
	if (!ret)
		ret = keel_remote_claim(rd);
	if (!ret) {
		rd->last_rx = jiffies;
		rd->last_tx = jiffies;
		rd->connected = true;
	}
	return keel_inst_setup_end(inst, ret, &usetup->id);
}

/*
 * State: STOPPED is "not started": the claim stays but the guest's
 * accesses exit to the VMM, the worker does not run (no guest memory is
 * touched, nothing is sent, no interrupt), and replies that arrive wait
 * as DONE. RUNNING handles the guest's accesses in the kernel.
 */
static void keel_remote_stop(struct keel_state *st)
{
	struct keel_remote *rd = keel_remote_of(keel_inst_of_state(st));

	keel_io_claim_stop(&rd->claim);
	/* The stop ends a send the worker is blocked in (vq_mutex held). */
	mutex_lock(&rd->ctl_lock);
	keel_thread_stop(&rd->worker);
	mutex_unlock(&rd->ctl_lock);
	/* After a completion by the receiver under way, none until START. */
	mutex_lock(&rd->vq_mutex);
	rd->running = false;
	mutex_unlock(&rd->vq_mutex);
	keel_irq_line_enable(&rd->irq, false);
}

static int keel_remote_resume(struct keel_state *st)
{
	struct keel_remote *rd = keel_remote_of(keel_inst_of_state(st));
	int ret;

	keel_irq_line_enable(&rd->irq, true);
	mutex_lock(&rd->vq_mutex);
	rd->running = true;
	mutex_unlock(&rd->vq_mutex);
	mutex_lock(&rd->ctl_lock);
	ret = keel_remote_rx_start(rd);
	if (!ret) {
		atomic_set(&rd->wake, 1);
		ret = keel_thread_start(&rd->worker, &rd->inst.obj, NULL,
					keel_remote_worker, rd);
	}
	mutex_unlock(&rd->ctl_lock);
	if (!ret)
		ret = keel_io_claim_start(&rd->claim);
	if (ret)
		keel_remote_stop(st);
	return ret;
}

/*
 * A remote device's state lives mostly at the server (its session, the
 * records of its writes) and in requests in flight: it is not saved or
 * loaded. SAVE fails with EOPNOTSUPP; LOAD and SWAP are refused with a
 * reason.
 */
static int keel_remote_save(struct keel_state *st,
			    struct keel_state_writer *w)
{
	return -EOPNOTSUPP;
}

static int keel_remote_state_check(struct keel_state *st,
				   const struct keel_state_blob *b,
				   const char **why)
{
	*why = "a remote device's state is its server session: not loadable";
	return -EINVAL;
}

static void keel_remote_load(struct keel_state *st,
			     const struct keel_state_blob *b)
{
}

static const struct keel_state_ops keel_remote_state_ops = {
	.type = KEEL_STATE_TYPE_REMOTE,
	.stop = keel_remote_stop,
	.resume = keel_remote_resume,
	.save = keel_remote_save,
	.check = keel_remote_state_check,
	.load = keel_remote_load,
};

/* START and STOP: the idempotent forms of RESUME and STOP. */
static long keel_remote_run(struct keel_inst *inst, unsigned int cmd,
			    void __user *uarg)
{
	return keel_state_set_running(&inst->state,
				      cmd == KEEL_REMOTE_IOC_START);
}

/* Readable while the device has no connection: time for a new one. */
static __poll_t keel_remote_poll(struct file *file, poll_table *wait)
{
	struct keel_inst *inst = keel_inst_of(file);
	struct keel_remote *rd = keel_remote_of(inst);

	if (!keel_inst_ready(inst))
		return EPOLLERR;
	poll_wait(file, &rd->poll_wq, wait);
	return READ_ONCE(rd->connected) ? 0 : EPOLLIN | EPOLLRDNORM;
}

static const struct keel_ioctl keel_remote_ioctls[] = {
	{ KEEL_REMOTE_IOC_SETUP, keel_remote_setup, KEEL_IOCTL_SETUP },
	{ KEEL_REMOTE_IOC_START, keel_remote_run },
	{ KEEL_REMOTE_IOC_STOP, keel_remote_run },
	{ KEEL_REMOTE_IOC_CONNECT, keel_remote_connect },
};

static const struct file_operations keel_remote_fops = {
	.poll = keel_remote_poll,
};

struct keel_feature keel_remote_feature = {
	KEEL_FEATURE_NAME(remote),
	.fops = &keel_remote_fops,
	.type = &keel_remote_obj_type,
	.ops = {
		KEEL_FEATURE_INST(struct keel_remote, inst),
		.state = &keel_remote_state_ops,
		KEEL_FEATURE_IOCTLS(keel_remote_ioctls),
		.open = keel_remote_open,
		.teardown = keel_remote_teardown,
	},
};
