/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The API keel.ko offers to Keel's feature modules: parts, objects in the
 * registry, counted VM references and the ioctl copy-in helper.
 */
#ifndef _KEEL_CORE_H
#define _KEEL_CORE_H

#include <linux/types.h>
#include <linux/list.h>
#include <linux/pid.h>
#include <linux/atomic.h>
#include <linux/keel.h>

struct kvm;
struct module;
struct sk_buff;
struct netlink_ext_ack;

/*
 * A part is one loaded Keel module. Feature modules register theirs in
 * module init and unregister it in module exit, after every object they
 * own is gone (the registry refuses to unregister a part with objects).
 */
struct keel_part {
	const char *name;		/* "vdev", "ring", ... */
	struct module *owner;

	/* private to the core, protected by keel_parts_lock */
	struct list_head node;
	atomic_t nr_objects;
};

int keel_part_register(struct keel_part *part);
void keel_part_unregister(struct keel_part *part);

struct keel_object;

/*
 * One kind of object. fill_info() adds the type's attributes inside
 * KEEL_OBJ_A_INFO; it runs in process context with the registry lock
 * held, so the object cannot be removed while it runs, and may sleep.
 */
struct keel_object_type {
	const char *name;		/* "vm", "uart", ... */
	struct keel_part *part;
	int (*fill_info)(struct sk_buff *skb, struct keel_object *obj);
};

/*
 * The registry's view of an object. The object is owned by whoever embeds
 * this (usually an open file); the registry holds no reference. The owner
 * calls keel_object_add() once it is fully set up and keel_object_del()
 * before tearing it down; after keel_object_del() returns no netlink
 * reader is looking at it any more.
 */
struct keel_object {
	u32 id;					/* set by keel_object_add() */
	const struct keel_object_type *type;
	struct pid *owner;			/* tgid that created it */
	struct kvm *kvm;			/* optional, not a reference */
	u64 created_ns;				/* CLOCK_BOOTTIME */
	char label[KEEL_NAME_MAX];
};

void keel_object_init(struct keel_object *obj,
		      const struct keel_object_type *type, struct kvm *kvm);
int keel_object_add(struct keel_object *obj);
void keel_object_del(struct keel_object *obj);
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

/*
 * Copy an extensible ioctl argument whose first member is "__u32 size".
 * @ksize is the kernel's struct size, @min_size the size of the first
 * version. Returns 0, -EFAULT, -EINVAL (size below @min_size or above the
 * ioctl's encoded size) or -E2BIG (unknown trailing bytes not zero).
 */
int keel_copy_ioctl_arg(void *kdst, size_t ksize, size_t min_size,
			unsigned int cmd, const void __user *uarg);

#endif /* _KEEL_CORE_H */
