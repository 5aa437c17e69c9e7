// SPDX-License-Identifier: GPL-2.0
/*
 * keel_sample.ko, the feature module new Keel modules start from
 * (Documentation/core.rst): each open /dev/keel-sample is a doorbell. An
 * eventfd's rings are counted and, while the object runs, its thread
 * forwards them to an irqfd, one interrupt per batch: a device file, a
 * setup ioctl, an object with info and state, an eventfd in, an irqfd out
 * and a thread, on the core's base.
 */
#include <linux/module.h>

#include <keel/core.h>
#include "keel_sample.h"

struct keel_sample_counts {
	u64 rings, pending, irqs;
};

struct keel_sample {
	struct keel_inst inst;		/* the base: object, state, setup */
	struct keel_evwait bell;	/* the doorbell eventfd */
	struct keel_irq_line irq;	/* edge interrupts out */
	struct keel_thread thread;	/* runs while the object runs */
	spinlock_t lock;		/* protects @c */
	struct keel_sample_counts c;
};

#define keel_sample_of(i)	container_of(i, struct keel_sample, inst)

/* The doorbell rang @count times (from a work item: it may sleep). */
static void keel_sample_bell(struct keel_evwait *w, u64 count)
{
	struct keel_sample *s = container_of(w, struct keel_sample, bell);

	spin_lock_irq(&s->lock);
	s->c.rings += count;
	s->c.pending += count;
	spin_unlock_irq(&s->lock);
	keel_thread_wake(&s->thread);
}

static int keel_sample_thread(struct keel_thread *t)
{
	struct keel_sample *s = t->data;
	u64 batch;

	while (!keel_thread_should_stop(t)) {
		keel_thread_wait(t, READ_ONCE(s->c.pending));
		spin_lock_irq(&s->lock);
		batch = s->c.pending;
		s->c.pending = 0;
		s->c.irqs += batch != 0;
		spin_unlock_irq(&s->lock);
		if (batch)	/* one interrupt for a batch */
			keel_irq_line_pulse(&s->irq);
	}
	return 0;
}

/*
 * State: STOPPED holds the rings (no thread runs), RUNNING forwards them.
 * Its blob is the rings not forwarded yet; the counters are statistics.
 */
static void keel_sample_stop(struct keel_state *st)
{
	keel_thread_stop(&keel_sample_of(keel_inst_of_state(st))->thread);
}

static int keel_sample_resume(struct keel_state *st)
{
	struct keel_inst *inst = keel_inst_of_state(st);

	return keel_thread_start(&keel_sample_of(inst)->thread, &inst->obj,
				 NULL, keel_sample_thread, keel_sample_of(inst));
}

static int keel_sample_save(struct keel_state *st, struct keel_state_writer *w)
{
	struct keel_sample *s = keel_sample_of(keel_inst_of_state(st));
	__le64 pending;

	spin_lock_irq(&s->lock);
	pending = cpu_to_le64(s->c.pending);
	spin_unlock_irq(&s->lock);
	return keel_state_put(w, KEEL_SAMPLE_SEC_PENDING, 1, &pending, 8);
}

static void keel_sample_load(struct keel_state *st,
			     const struct keel_state_blob *b)
{
	struct keel_sample *s = keel_sample_of(keel_inst_of_state(st));
	const __le64 *pending = keel_state_find(b, KEEL_SAMPLE_SEC_PENDING)->data;

	spin_lock_irq(&s->lock);
	s->c.pending = le64_to_cpu(*pending);
	spin_unlock_irq(&s->lock);
}

static const struct keel_state_ops keel_sample_state_ops = {
	.type = KEEL_STATE_TYPE_SAMPLE,
	.secs = (const struct keel_state_sec_desc[]){
		{ KEEL_SAMPLE_SEC_PENDING, 1, true, sizeof(__le64) },
	},
	.nr_secs = 1,
	.stop = keel_sample_stop,
	.resume = keel_sample_resume,
	.save = keel_sample_save,
	.load = keel_sample_load,
};

/* The object's info: one line per attribute, from a snapshot. */
#define C struct keel_sample_counts
static const struct keel_info_field keel_sample_fields[] = {
	KEEL_INFO_U64(C, rings, KEEL_SAMPLE_INFO_A_RINGS,
		      KEEL_INFO_BRIEF_COUNTER),
	KEEL_INFO_U64(C, pending, KEEL_SAMPLE_INFO_A_PENDING, KEEL_INFO_BRIEF),
	KEEL_INFO_U64(C, irqs, KEEL_SAMPLE_INFO_A_IRQS,
		      KEEL_INFO_BRIEF_COUNTER),
};

#undef C

static int keel_sample_snapshot(struct keel_object *obj, void *snap)
{
	struct keel_sample *s = keel_sample_of(keel_inst_of_obj(obj));

	spin_lock_irq(&s->lock);
	*(struct keel_sample_counts *)snap = s->c;
	spin_unlock_irq(&s->lock);
	return 0;
}

static const struct keel_object_type keel_sample_type = {
	.name = "sample",
	.info = keel_sample_fields,
	.nr_info = ARRAY_SIZE(keel_sample_fields),
	.info_pad = KEEL_SAMPLE_INFO_A_PAD,
	.info_size = sizeof(struct keel_sample_counts),
	.snapshot = keel_sample_snapshot,
};

/* The device file: setup, and the one path that undoes it. */
static long keel_sample_setup(struct keel_inst *inst, unsigned int cmd,
			      void __user *uarg)
{
	struct keel_sample_setup __user *usetup = uarg;
	struct keel_sample *s = keel_sample_of(inst);
	struct keel_sample_setup arg;
	int ret;

	ret = keel_copy_ioctl_arg(&arg, sizeof(arg), sizeof(arg),
				  KEEL_SAMPLE_SETUP_FLAGS_ALL, cmd, uarg);
	if (!ret)
		ret = keel_inst_setup_begin_vm(inst, arg.label,
					       sizeof(arg.label), arg.vm_fd);
	if (ret)
		return ret;
	keel_irq_line_init(&s->irq);
	keel_thread_init(&s->thread);
	spin_lock_init(&s->lock);
	ret = keel_irq_line_bind(&s->irq, arg.irq_fd, -1);
	if (!ret)
		ret = keel_evwait_start(&s->bell, arg.bell_fd, keel_sample_bell);
	/* A doorbell that is its own irqfd would ring itself forever. */
	if (!ret && s->bell.ctx == s->irq.trigger)
		ret = -EINVAL;
	return keel_inst_setup_end(inst, ret, &usetup->id);
}

static void keel_sample_teardown(struct keel_inst *inst)
{
	struct keel_sample *s = keel_sample_of(inst);

	keel_thread_stop(&s->thread);
	keel_evwait_stop(&s->bell);
	keel_irq_line_unbind(&s->irq);
}

static const struct keel_ioctl keel_sample_ioctls[] = {
	{ KEEL_SAMPLE_IOC_SETUP, keel_sample_setup, KEEL_IOCTL_SETUP },
};

static struct keel_feature keel_sample_feature = {
	KEEL_FEATURE_NAME(sample),
	.type = &keel_sample_type,
	.ops = {
		KEEL_FEATURE_INST(struct keel_sample, inst),
		.state = &keel_sample_state_ops,
		KEEL_FEATURE_IOCTLS(keel_sample_ioctls),
		.teardown = keel_sample_teardown,
	},
};

module_keel_feature(keel_sample_feature);
MODULE_DESCRIPTION("Keel sample feature module: a doorbell to an irqfd");
MODULE_LICENSE("GPL");
MODULE_VERSION(KEEL_RELEASE);
