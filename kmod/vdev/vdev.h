/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between the files of keel_vdev.ko (the framework);
 * device models see only model.h.
 */
#ifndef _KEEL_VDEV_INTERNAL_H
#define _KEEL_VDEV_INTERNAL_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/wait.h>
#include <linux/kvm_host.h>
#include <keel/core.h>
#include <keel/io_claim.h>
#include <linux/keel_vdev.h>

#include "model.h"

extern struct keel_feature keel_vdev_feature;
extern const struct keel_object_type keel_vdev_obj_type;

/*
 * One open /dev/keel-vdev file, on the core's feature base (@inst). @vdev
 * is what the model sees; the rest is the framework's, written by setup
 * and constant afterwards unless noted.
 */
struct keel_vdev_inst {
	struct keel_inst inst;
	struct keel_vdev vdev;

	u32 bus;			/* KEEL_VDEV_BUS_* */
	u64 base;
	u32 len;

	/* claim.c: the range in the core's claimed guest I/O */
	struct keel_io_claim claim;

	/* The interrupt line on the VMM's irqfd; its own lock. */
	struct keel_irq_line irq;

	/* host readers (tx) and writers (rx) */
	wait_queue_head_t wq;
	/*
	 * The core let go of the attached device (streams.c): readers get
	 * what is left, then end of file; writers -EPIPE; poll EPOLLHUP.
	 * Set once, never cleared; WRITE_ONCE/READ_ONCE, no lock.
	 */
	bool hung_up;
};

static inline struct keel_vdev_inst *keel_vdev_inst(struct keel_vdev *dev)
{
	return container_of(dev, struct keel_vdev_inst, vdev);
}

static inline struct keel_vdev_inst *keel_vdev_of_inst(struct keel_inst *inst)
{
	return container_of(inst, struct keel_vdev_inst, inst);
}

/* claim.c */
int keel_vdev_claim(struct keel_vdev_inst *vi);

/* models.c */
const struct keel_vdev_model *keel_vdev_model_find(u32 id);

/* streams.c: the device file's read/write/poll */
ssize_t keel_vdev_read(struct file *file, char __user *ubuf, size_t count,
		       loff_t *ppos);
ssize_t keel_vdev_write(struct file *file, const char __user *ubuf,
			size_t count, loff_t *ppos);
__poll_t keel_vdev_poll(struct file *file, poll_table *wait);
void keel_vdev_detached(struct keel_inst *inst);

#endif /* _KEEL_VDEV_INTERNAL_H */
