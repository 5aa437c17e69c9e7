/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The API keel.ko offers to Keel's feature modules: parts, object types
 * and objects in the registry, counted VM references and the ioctl
 * copy-in helper. The feature-instance base (feature.h), eventfd waits
 * and irqfd lines (eventfd.h), object threads and sinks (thread.h), info
 * tables (info.h) and the state framework (state.h) have headers of
 * their own, all included from here.
 */
#ifndef _KEEL_CORE_H
#define _KEEL_CORE_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/pid.h>
#include <linux/atomic.h>
#include <linux/refcount.h>
#include <linux/keel.h>

#include <keel/info.h>
#include <keel/state.h>

struct kvm;
struct module;

struct keel_object_type;

/*
 * A part is one loaded Keel module. Feature modules register theirs
 * (through keel_feature_register(), feature.h) in module init and
 * unregister it in module exit, after every object they own is gone (the
 * registry refuses to unregister a part with objects).
 */
struct keel_part {
	const char *name;		/* "vdev", "ring", ... */
	struct module *owner;
	/* The types of its objects, NULL-terminated (KEEL_CMD_TYPE_GET). */
	const struct keel_object_type *const *types;

	/* private to the core, protected by keel_parts_lock */
	struct list_head node;
	atomic_t nr_objects;
};

int keel_part_register(struct keel_part *part);
void keel_part_unregister(struct keel_part *part);

struct keel_object;

/*
 * One kind of object, and what it reports in KEEL_OBJ_A_INFO: @info
 * describes the attributes (info.h), snapshot() copies the object's
 * current values into a zeroed buffer of info_size bytes (or of what
 * info_len() says, for a type with tables). snapshot() runs in process
 * context with a reference on the object and no Keel lock held; it may
 * sleep. The core fills the attributes from the buffer.
 */
struct keel_object_type {
	const char *name;		/* "vm", "vdev", ... */
	const struct keel_info_field *info;
	unsigned int nr_info;
	u16 info_pad;			/* pad attribute of the INFO nest */
	size_t info_size;
	size_t (*info_len)(struct keel_object *obj);	/* optional */
	int (*snapshot)(struct keel_object *obj, void *snap);
};

/*
 * The registry's view of an object. The object is owned by whoever embeds
 * this (a feature instance: feature.h); the registry holds no reference
 * of its own. The owner calls keel_object_add() once it is fully set up
 * and keel_object_del() before tearing it down. Readers (netlink listings,
 * state commands by id) take a reference while they look at the object;
 * keel_object_del() takes the object out of the registry and then waits
 * until every reader has let go, so the owner may free it afterwards.
 */
struct keel_object {
	u32 id;					/* set by keel_object_add() */
	struct keel_part *part;			/* that owns it */
	const struct keel_object_type *type;
	struct pid *owner;			/* tgid that created it */
	struct kvm *kvm;			/* optional, not a reference */
	u64 created_ns;				/* CLOCK_BOOTTIME */
	char label[KEEL_NAME_MAX];		/* set before add, constant */
	struct keel_state *state;		/* optional, set before add */
	refcount_t refs;			/* the owner's, and readers' */
};

void keel_object_init(struct keel_object *obj, struct keel_part *part,
		      const struct keel_object_type *type, struct kvm *kvm);
int keel_object_add(struct keel_object *obj);
void keel_object_del(struct keel_object *obj);
/* Before add only: -EINVAL unless printable and NUL-terminated. */
int keel_object_set_label(struct keel_object *obj, const char *label,
			  size_t len);
/* A label is printable ASCII, NUL-terminated within @len bytes. */
bool keel_label_valid(const char *label, size_t len);

/*
 * VM references. keel_vm_get() takes a file descriptor of the calling
 * process and, if it is a KVM VM fd, returns the VM with a reference held.
 * Errors: -EBADF when @fd is not open, -EINVAL when it is open but not a
 * KVM VM fd (a vCPU fd, an eventfd, a regular file, ...).
 * keel_vm_put() drops the reference; the VM is destroyed by the last one.
 */
struct kvm *keel_vm_get(int fd);
void keel_vm_put(struct kvm *kvm);
pid_t keel_vm_creator_pid(struct kvm *kvm);

/**
 * keel_copy_ioctl_arg() - copy an extensible ioctl argument
 * @kdst: the kernel's copy, @ksize bytes
 * @ksize: the kernel's struct size
 * @min_size: the size of the struct's first version
 * @flags_all: the flag bits this kernel knows
 * @cmd: the ioctl number (its size is the most the struct may claim)
 * @uarg: the user's struct, which starts "__u32 size; __u32 flags;"
 *
 * Return: 0, -EFAULT, -EINVAL (size below @min_size or above the ioctl's
 * encoded size, or a flag outside @flags_all) or -E2BIG (unknown trailing
 * bytes not zero).
 */
int keel_copy_ioctl_arg(void *kdst, size_t ksize, size_t min_size,
			u32 flags_all, unsigned int cmd,
			const void __user *uarg);

#include <keel/feature.h>
#include <keel/eventfd.h>
#include <keel/thread.h>

#endif /* _KEEL_CORE_H */
