/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between the files of keel_vdev.ko (the framework);
 * device models see only model.h.
 */
#ifndef _KEEL_VDEV_INTERNAL_H
#define _KEEL_VDEV_INTERNAL_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/poll.h>
#include <linux/kvm_host.h>
#include <keel/core.h>
#include <linux/keel_vdev.h>

#include "model.h"

extern struct keel_part keel_vdev_part;

/* The irqfd side of one device (irq.c). */
struct keel_vdev_irq {
	struct eventfd_ctx *trigger;		/* NULL: no interrupt */
	struct eventfd_ctx *resample;		/* NULL: edge mode */
	struct file *resample_file;
	wait_queue_head_t *resample_wqh;
	wait_queue_entry_t resample_wait;
	poll_table resample_pt;
	struct work_struct resample_work;
};

/*
 * One open /dev/keel-vdev file. @vdev is what the model sees; the rest is
 * the framework's.
 */
struct keel_vdev_inst {
	struct keel_vdev vdev;

	/* Serialises setup/start/stop/reset; @set_up is set once under it. */
	struct mutex mutex;
	bool set_up;

	struct keel_object obj;
	struct kvm *kvm;		/* counted reference */
	u32 bus;			/* KEEL_VDEV_BUS_* */
	enum kvm_bus kvm_bus;
	u64 base;
	u32 len;

	/* claims.c: hashed by kvm, RCU for the vCPU path */
	struct hlist_node claim_node;
	bool claimed;
	bool started;			/* READ_ONCE on the vCPU path */

	struct keel_vdev_irq irq;

	/* RUNNING = started; set up with the device (state.c) */
	struct keel_state state;

	/* host readers (tx) and writers (rx) */
	wait_queue_head_t wq;
};

static inline struct keel_vdev_inst *keel_vdev_inst(struct keel_vdev *dev)
{
	return container_of(dev, struct keel_vdev_inst, vdev);
}

/* claims.c */
int keel_vdev_claim(struct keel_vdev_inst *inst);
void keel_vdev_unclaim(struct keel_vdev_inst *inst);
int keel_vdev_start(struct keel_vdev_inst *inst);
void keel_vdev_stop(struct keel_vdev_inst *inst);
struct keel_vdev_inst *keel_vdev_lookup(struct kvm *kvm, enum kvm_bus bus,
					gpa_t addr, int len);

/* hook.c */
int keel_vdev_hook_get(void);
void keel_vdev_hook_put(void);
int keel_vdev_hook_init(void);
void keel_vdev_hook_exit(void);

/* irq.c */
void keel_vdev_raise(struct keel_vdev *dev);
int keel_vdev_irq_bind(struct keel_vdev_inst *inst, int fd, int resample_fd);
void keel_vdev_irq_unbind(struct keel_vdev_inst *inst);

/* dev.c */
int keel_vdev_dev_init(void);
void keel_vdev_dev_exit(void);

/* state.c */
const struct keel_state_ops *
keel_vdev_state_ops(const struct keel_vdev_model *model);

/* stats.c */
extern const struct keel_object_type keel_vdev_obj_type;

#endif /* _KEEL_VDEV_INTERNAL_H */
