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
 *		    keel_inst_setup_begin() (_vm() to bind a VM), build,
 *		    keel_inst_setup_end(); all or nothing, once (-EBUSY
 *		    afterwards)
 *	set up      keel_inst_ready(): every other ioctl and file operation
 *	release     the object leaves the registry (waiting for netlink
 *		    readers), ops->teardown(), the VM reference is dropped,
 *		    ops->release(), free
 *
 * ops->teardown() is the one path that undoes setup: on release, and on a
 * setup that failed after keel_inst_setup_begin() or _vm() succeeded
 * (with whatever the module built so far, so it must cope with a partial
 * build; a begin that fails changes nothing and tears nothing down).
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
struct keel_vmm;

/**
 * struct keel_ioctl - one ioctl of a feature module
 * @cmd: the ioctl number; one with an argument is matched on type, number
 *	and direction (the size of an extensible struct may grow), one
 *	without an argument exactly
 * @fn: the handler, in process context with no Keel lock held; it may
 *	sleep. Returns 0, a positive value or a negative errno, as an ioctl.
 * @flags: %KEEL_IOCTL_SETUP for the setup ioctl, else 0
 */
struct keel_ioctl {
	unsigned int cmd;
	long (*fn)(struct keel_inst *inst, unsigned int cmd,
		   void __user *uarg);
	unsigned int flags;
};

/* The setup ioctl: allowed before the instance is set up. */
#define KEEL_IOCTL_SETUP	0x1u

/**
 * struct keel_feature_ops - what a feature module does for its instances
 * @size: size of the module's instance struct, which embeds the
 *	&struct keel_inst
 * @inst_offset: offset of the &struct keel_inst in it
 *	(KEEL_FEATURE_INST() sets both)
 * @state: optional: instances have state (state.h), set up STOPPED. A
 *	feature whose instances differ leaves it NULL and calls
 *	keel_inst_set_state() during setup.
 * @ioctls: the module's ioctls, each run only on a set-up instance unless
 *	it is the setup
 * @nr_ioctls: entries of @ioctls
 * @open: optional: initialise the module's fields of a new (zeroed)
 *	instance, on open(); 0 or a negative errno, which fails the open
 * @teardown: optional: undo setup, also a partial one (a setup that
 *	failed after keel_inst_setup_begin() or _vm()); runs once the
 *	object is out of the registry, before the state is destroyed and
 *	the VM reference dropped: with the setup lock held when a setup
 *	fails, with no Keel lock on release
 * @release: optional: undo @open, on release, after any @teardown
 * @detached: optional: the core let go of the attached instance (it was
 *	detached, or its VMM ended; attach.c). Descriptors of it from
 *	KEEL_IOC_OBJ_OPEN may still be open and keep it: tell their users
 *	that the object is done (end of stream, EPOLLHUP). Runs before the
 *	core drops its file, with no Keel lock held.
 *
 * The callbacks run in process context and may sleep.
 */
struct keel_feature_ops {
	size_t size;
	size_t inst_offset;
	const struct keel_state_ops *state;
	const struct keel_ioctl *ioctls;
	unsigned int nr_ioctls;
	int (*open)(struct keel_inst *inst);
	void (*teardown)(struct keel_inst *inst);
	void (*release)(struct keel_inst *inst);
	void (*detached)(struct keel_inst *inst);
};

/* .size and .inst_offset for an instance struct @type with @member. */
#define KEEL_FEATURE_INST(type, member)				\
	.size = sizeof(type), .inst_offset = offsetof(type, member)

/* .ioctls and .nr_ioctls for the array @table (ARRAY_SIZE() spelt out). */
#define KEEL_FEATURE_IOCTLS(table)					\
	.ioctls = (table),						\
	.nr_ioctls = sizeof(table) / sizeof((table)[0]) +		\
		     __must_be_array(table)

/*
 * The identity of a feature module that includes this: the part @part
 * (a bare word: KEEL_FEATURE_NAME(ring)), its device /dev/keel-@part, the
 * including module as owner.
 */
#define KEEL_FEATURE_NAME(part)						\
	.name = #part, .devname = "keel-" #part, .owner = THIS_MODULE

/**
 * struct keel_feature - a feature module's device file and part
 * @name: the part's name ("ring")
 * @devname: the misc device's name ("keel-ring": /dev/keel-ring)
 * @owner: the module (THIS_MODULE); every open file holds a reference
 * @mode: of the device node; 0: 0600
 * @fops: optional: the module's data path, of which read, write, poll and
 *	mmap are called; the core owns open, release and the ioctls
 * @type: the type of its instances' objects
 * @ops: the instances' callbacks
 *
 * A feature module names itself with KEEL_FEATURE_NAME() and gives its
 * table with KEEL_FEATURE_IOCTLS(). Registered with keel_feature_register()
 * in module init, or with module_keel_feature().
 */
struct keel_feature {
	const char *name;
	const char *devname;
	struct module *owner;
	umode_t mode;
	const struct file_operations *fops;
	const struct keel_object_type *type;
	struct keel_feature_ops ops;

	/* private: to the core */
	struct keel_part part;
	const struct keel_object_type *types[2];
	struct miscdevice misc;
};

/* Register the part, then the device; unregister in the reverse order. */
int keel_feature_register(struct keel_feature *f);
void keel_feature_unregister(struct keel_feature *f);

/**
 * struct keel_inst - one open file of a feature's device
 * @feature: the feature it belongs to
 * @file: the open file that is this instance: not a reference, the
 *	instance does not outlive it (get_file() for one)
 * @obj: its registry object once set up
 * @state: its state, when @obj.state points here (set up with state ops)
 * @kvm: the VM of keel_inst_setup_begin_vm(): a counted reference,
 *	dropped on teardown; NULL before, and without a VM
 * @setup_lock: serialises setup (keel_inst_setup_begin() or _vm() to
 *	keel_inst_setup_end())
 * @set_up: the instance is set up: written once, under @setup_lock, with
 *	release semantics, and read with keel_inst_ready() by everything else
 *
 * Embedded in the module's own instance struct, which the core allocates
 * zeroed on open and frees on release.
 */
struct keel_inst {
	struct keel_feature *feature;
	struct file *file;
	struct keel_object obj;
	struct keel_state state;
	struct kvm *kvm;
	/* Serialises setup, and the one write of @set_up. */
	struct mutex setup_lock;
	bool set_up;
	/* private: to the core (attach.c), protected by its attach lock */
	/* the file the core holds while attached to the VM, else NULL */
	struct file *attached_file;
	/* the VMM it is attached to, else NULL; in its list by attach_node */
	struct keel_vmm *vmm;
	struct list_head attach_node;
};

/**
 * keel_inst_ready() - is the instance set up?
 * @inst: the instance
 *
 * Context: any. Once it returns true, everything setup built is visible.
 *
 * Return: true once keel_inst_setup_end() succeeded.
 */
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

/* The setup sequence (feature.c). */
int keel_inst_setup_begin(struct keel_inst *inst, const char *label,
			  size_t label_len);
int keel_inst_setup_begin_vm(struct keel_inst *inst, const char *label,
			     size_t label_len, int vm_fd);
void keel_inst_set_state(struct keel_inst *inst,
			 const struct keel_state_ops *ops);
int keel_inst_setup_end(struct keel_inst *inst, int err, u32 __user *uid);

/*
 * A module that is only its feature: register it in module init and
 * unregister it in module exit, as module_misc_device() does.
 */
#define module_keel_feature(__feature)					\
	module_driver(__feature, keel_feature_register,			\
		      keel_feature_unregister)

#endif /* _KEEL_FEATURE_H */
