/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The base of every Keel feature module, in the spirit of vhost's
 * struct vhost_dev: the module describes its device file once (a struct
 * keel_feature) and the core registers the misc device /dev/keel-<name>
 * and the module's part, and runs every open file as one instance
 * (struct keel_inst, embedded in the module's own instance struct):
 * allocation on open, the ioctl entry, the one-time setup sequence, the
 * ready check and the release path.
 *
 * Instance lifecycle:
 *
 *	open        zeroed allocation, ops->open() for the module's fields
 *	setup       the module's setup ioctl: check the argument, then
 *		    keel_inst_setup_begin(), build, keel_inst_setup_end();
 *		    all or nothing, once (-EBUSY afterwards)
 *	set up      keel_inst_ready(): every other ioctl and file operation
 *	release     the object leaves the registry (waiting for netlink
 *		    readers), ops->teardown(), the VM reference is dropped,
 *		    ops->release(), free
 *
 * ops->teardown() is the one path that undoes setup: on release, and on a
 * setup that failed after keel_inst_setup_begin() (with whatever the
 * module built so far, so it must cope with a partial build).
 *
 * ioctls: the core's ioctl entry of the file handles the
 * core's numbers (the state framework's 0x90-0x9f); any other number goes
 * on to the module's table, where each entry is matched on type, number and
 * direction: an extensible struct may grow, so its size is not compared
 * (the handler copies it with keel_copy_ioctl_arg()); an ioctl without an
 * argument must match exactly. An unknown number gets -ENOTTY, a known
 * one on an instance that is not set up -EBADFD (unless it is the setup).
 *
 * Every open file holds a reference on the feature's module (@owner), so
 * a feature module is never unloaded while an instance exists.
 */
#ifndef _KEEL_FEATURE_H
#define _KEEL_FEATURE_H

#include <linux/types.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/mutex.h>
#include <linux/stddef.h>
#include <linux/device/driver.h>

#include <keel/core.h>

struct keel_inst;

/* One ioctl of a feature module. */
struct keel_ioctl {
	unsigned int cmd;
	long (*fn)(struct keel_inst *inst, unsigned int cmd,
		   void __user *uarg);
	unsigned int flags;	/* KEEL_IOCTL_* */
};

/* The setup ioctl: allowed before the instance is set up. */
#define KEEL_IOCTL_SETUP	0x1u

struct keel_feature_ops {
	/* Size of the module's instance struct, where its keel_inst is. */
	size_t size;
	size_t inst_offset;
	/*
	 * Optional: instances have state (state.h), set up STOPPED. A
	 * feature whose instances differ calls keel_inst_set_state().
	 */
	const struct keel_state_ops *state;
	const struct keel_ioctl *ioctls;
	unsigned int nr_ioctls;
	/* Optional: initialise the module's fields of a new instance. */
	int (*open)(struct keel_inst *inst);
	/* Optional: undo setup, also a partial one. May sleep. */
	void (*teardown)(struct keel_inst *inst);
	/* Optional: undo open(). */
	void (*release)(struct keel_inst *inst);
};

/* .size and .inst_offset for an instance struct @type with @member. */
#define KEEL_FEATURE_INST(type, member)				\
	.size = sizeof(type), .inst_offset = offsetof(type, member)

struct keel_feature {
	const char *name;		/* part name: "ring" */
	const char *devname;		/* misc device: "keel-ring" */
	struct module *owner;		/* THIS_MODULE */
	umode_t mode;			/* of the device node; 0: 0600 */
	/*
	 * Optional: the module's data path, of which read, write, poll and
	 * mmap are called; the core owns open, release and the ioctls.
	 */
	const struct file_operations *fops;
	const struct keel_object_type *type;	/* of its instances */
	struct keel_feature_ops ops;

	/* private to the core */
	struct keel_part part;
	const struct keel_object_type *types[2];
	struct miscdevice misc;
};

/* Register the part, then the device; unregister in the reverse order. */
int keel_feature_register(struct keel_feature *f);
void keel_feature_unregister(struct keel_feature *f);

/*
 * One open file of a feature's device. @obj and @state are the
 * instance's registry object and state once set up.
 */
struct keel_inst {
	struct keel_feature *feature;
	struct keel_object obj;
	struct keel_state state;	/* when obj.state points here */
	struct kvm *kvm;		/* keel_inst_bind_vm(): counted */
	/*
	 * Serialises setup; @set_up is written once, under it, with release
	 * semantics, and read with keel_inst_ready() by everything else.
	 */
	struct mutex setup_lock;
	bool set_up;
};

static inline bool keel_inst_ready(struct keel_inst *inst)
{
	/* Pairs with the release in keel_inst_setup_end(). */
	return smp_load_acquire(&inst->set_up);
}

/* The instance behind an open file of a feature's device. */
static inline struct keel_inst *keel_inst_of(struct file *file)
{
	return file->private_data;
}

/* The instance whose object or state this is. */
static inline struct keel_inst *keel_inst_of_obj(struct keel_object *obj)
{
	return container_of(obj, struct keel_inst, obj);
}

static inline struct keel_inst *keel_inst_of_state(struct keel_state *st)
{
	return container_of(st, struct keel_inst, state);
}

/*
 * Setup, step 1, once the module checked the ioctl's argument: takes the
 * setup lock; -EBUSY when already set up, -EINVAL when @label (within
 * @label_len bytes) is not a valid label. On success the object and the
 * state are initialised and the module builds its instance.
 */
int keel_inst_setup_begin(struct keel_inst *inst, const char *label,
			  size_t label_len);
/* During setup: give the instance state with @ops (if ops->state is NULL). */
void keel_inst_set_state(struct keel_inst *inst,
			 const struct keel_state_ops *ops);
/*
 * During setup: take a counted reference to the VM of @vm_fd (errors as
 * keel_vm_get()) for the instance and its object; dropped on teardown.
 */
int keel_inst_bind_vm(struct keel_inst *inst, int vm_fd);
/*
 * Setup, step 2: with @err 0 adds the object to the registry, writes its
 * id to @uid (if not NULL) and marks the instance set up. On @err or on
 * a failure here, ops->teardown() undoes the build and nothing stays
 * registered. Drops the setup lock; returns the outcome.
 */
int keel_inst_setup_end(struct keel_inst *inst, int err, u32 __user *uid);

/*
 * A module that is only its feature: register it in module init and
 * unregister it in module exit, as module_misc_device() does.
 */
#define module_keel_feature(__feature)					\
	module_driver(__feature, keel_feature_register,			\
		      keel_feature_unregister)

#endif /* _KEEL_FEATURE_H */
