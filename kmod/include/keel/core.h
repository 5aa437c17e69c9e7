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
struct mem_cgroup;
struct module;
struct eventfd_ctx;
struct nlattr;
struct nla_policy;
struct netlink_ext_ack;

struct keel_object_type;

/**
 * struct keel_part - one loaded Keel module
 * @name: the part's name ("vdev", "ring", ...): not empty, shorter than
 *	%KEEL_NAME_MAX and unique among the loaded parts
 * @owner: the module (THIS_MODULE)
 * @types: the types of its objects, NULL-terminated (KEEL_CMD_TYPE_GET)
 *
 * Feature modules register theirs (through keel_feature_register(),
 * feature.h) in module init and unregister it in module exit, after every
 * object they own is gone (keel_part_unregister() warns about a part that
 * still has objects).
 */
struct keel_part {
	const char *name;
	struct module *owner;
	const struct keel_object_type *const *types;

	/* private: to the core */
	struct list_head node;		/* protected by keel_parts_lock */
	atomic_t nr_objects;		/* changed under the registry's lock */
};

/* Parts (parts.c). */
int keel_part_register(struct keel_part *part);
void keel_part_unregister(struct keel_part *part);

struct keel_object;

/**
 * struct keel_object_type - one kind of object, and what it reports
 * @name: the type's name ("vm", "vdev", ...)
 * @info: the attributes it reports in KEEL_OBJ_A_INFO (info.h)
 * @nr_info: entries of @info; 0: no INFO attributes (and no snapshot)
 * @info_pad: the pad attribute of the INFO nest, for its 64-bit values
 * @info_size: bytes of the snapshot
 * @info_len: optional, for a type with tables: the bytes of the snapshot
 *	now, used instead of @info_size
 * @snapshot: copy the object's current values into @snap, a zeroed buffer
 *	of @info_size bytes (or of what @info_len returned just before: it
 *	must not write more), consistently, under whatever lock the values
 *	need; 0, or a negative errno that fails the request (a notification
 *	is not sent)
 *
 * @params: optional: the policy of the type's parameters, the attributes
 *	of KEEL_A_OBJ_PARAMS (KEEL_CMD_OBJ_SET), indexed 0..@params_max
 * @params_max: the highest attribute of @params
 * @set: with @params: apply the attributes of a KEEL_CMD_OBJ_SET that
 *	@params accepted (@tb, indexed 0..@params_max, NULL for an absent
 *	one) all or none; 0, or a negative errno with a message in @extack
 *
 * The core fills the attributes from the snapshot and describes @info to
 * tools (KEEL_CMD_TYPE_GET).
 *
 * Context: @info_len and @snapshot run in process context with a
 * reference on the object and no registry lock held; they may sleep. They
 * run for netlink readers and for the OBJ_NEW and OBJ_DEL notifications
 * that keel_object_add() and keel_object_del() send from the owner's own
 * path (for a feature instance, OBJ_NEW with its setup lock held).
 */
struct keel_object_type {
	const char *name;
	const struct keel_info_field *info;
	unsigned int nr_info;
	u16 info_pad;
	size_t info_size;
	size_t (*info_len)(struct keel_object *obj);
	int (*snapshot)(struct keel_object *obj, void *snap);
	const struct nla_policy *params;
	u16 params_max;
	int (*set)(struct keel_object *obj, struct nlattr **tb,
		   struct netlink_ext_ack *extack);
};

/**
 * struct keel_object - the registry's view of an object
 * @id: its id, set by keel_object_add(): from 1 up, not reused before the
 *	ids wrap around
 * @part: the part that owns it
 * @type: its type
 * @owner: the thread group that added it (a counted pid, dropped by
 *	keel_object_del())
 * @owner_uid: the effective uid that added it: who may see and command it
 *	through netlink besides CAP_SYS_ADMIN (Documentation/security.rst)
 * @kvm: the VM it belongs to, optional; not a reference of its own
 * @created_ns: when it was added (CLOCK_BOOTTIME)
 * @label: set before add, constant afterwards
 * @state: its state (state.h), optional; set before add
 * @refs: the owner's reference and the readers' (the registry's own)
 *
 * The object is owned by whoever embeds this (a feature instance:
 * feature.h); the registry holds no reference of its own. The owner calls
 * keel_object_add() once it is fully set up and keel_object_del() before
 * tearing it down. Readers (netlink listings, state commands by id) take a
 * reference while they look at the object; keel_object_del() takes the
 * object out of the registry and then waits until every reader has let
 * go, so the owner may free it afterwards. No object code runs under the
 * registry's lock.
 */
struct keel_object {
	u32 id;
	struct keel_part *part;
	const struct keel_object_type *type;
	struct pid *owner;
	kuid_t owner_uid;
	struct kvm *kvm;
	u64 created_ns;
	char label[KEEL_NAME_MAX];
	struct keel_state *state;
	refcount_t refs;
};

/* Objects in the registry (registry.c); the label is set before add. */
void keel_object_init(struct keel_object *obj, struct keel_part *part,
		      const struct keel_object_type *type, struct kvm *kvm);
int keel_object_add(struct keel_object *obj);
void keel_object_del(struct keel_object *obj);
int keel_object_set_label(struct keel_object *obj, const char *label,
			  size_t len);
bool keel_label_valid(const char *label, size_t len);

/*
 * Counted references to KVM VMs, taken from a VM fd of the calling process
 * (vm.c); the VM is destroyed by the last one.
 */
struct kvm *keel_vm_get(int fd);
void keel_vm_put(struct kvm *kvm);
pid_t keel_vm_creator_pid(struct kvm *kvm);
/* Calls in the VM's own context, for its VMM (vm_ctx.c). */
bool keel_vm_mm_use(struct kvm *kvm);
void keel_vm_mm_unuse(struct kvm *kvm);
int keel_vm_call(struct kvm *kvm, int (*fn)(void *arg), void *arg);
struct file *keel_vm_file_get(struct kvm *kvm, int vm_fd);
int keel_vm_free_slots(struct kvm *kvm, u32 *slots, unsigned int n);
int keel_vm_ctx_memslot(struct file *vm_file, u32 slot, u64 gpa, u64 size,
			u64 hva);

/*
 * Allocations charged to the memory cgroup of the VM's VMM, not the
 * caller's (vm_memcg.c): between keel_vm_charge_begin() and _end().
 */
struct keel_vm_charge {
	struct mem_cgroup *memcg;	/* referenced until _end() */
	struct mem_cgroup *old;		/* the caller's scope before */
};

void keel_vm_charge_begin(struct kvm *kvm, struct keel_vm_charge *c);
void keel_vm_charge_end(struct keel_vm_charge *c);

/*
 * For memory a user's request sizes (a ring's slots, a mirror's pages):
 * charged to the memory cgroup in force (__GFP_ACCOUNT), and a charge
 * beyond the group's limit fails after reclaim instead of calling the OOM
 * killer (__GFP_RETRY_MAYFAIL), so the request sees ENOMEM and nobody
 * dies; so does an allocation the whole machine cannot satisfy.
 */
#define KEEL_GFP_CHARGED \
	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)
int keel_vm_irqfd_assign(struct kvm *kvm, int vm_fd, u32 gsi,
			 struct file *trigger, struct file *resample);

/* How a VM's interrupt route reaches the guest (struct keel_vm_irqfd). */
enum keel_vm_route {
	KEEL_VM_ROUTE_OTHER,	/* several entries, or not known */
	KEEL_VM_ROUTE_IRQCHIP,	/* a PIC or IOAPIC pin */
	KEEL_VM_ROUTE_MSI,	/* an MSI message */
};

/**
 * struct keel_vm_irqfd - what an eventfd is to a VM (vm_irqfd.c)
 * @gsi: the GSI a KVM_IRQFD of the VM binds it to
 * @route: enum keel_vm_route of the GSI's route
 * @msi_addr: the MSI address (KEEL_VM_ROUTE_MSI)
 * @msi_data: the MSI data (KEEL_VM_ROUTE_MSI)
 * @vcpu: the index of the vCPU a physical-destination MSI targets, or -1
 */
struct keel_vm_irqfd {
	u32 gsi;
	u32 route;
	u64 msi_addr;
	u32 msi_data;
	int vcpu;
};

int keel_vm_irqfd_find(struct kvm *kvm, struct eventfd_ctx *ctx,
		       struct keel_vm_irqfd *out);

/* Extensible ioctl arguments (ioctl.c). */
int keel_copy_ioctl_arg(void *kdst, size_t ksize, size_t min_size,
			u32 flags_all, unsigned int cmd,
			const void __user *uarg);

#include <keel/feature.h>
#include <keel/eventfd.h>
#include <keel/thread.h>

#endif /* _KEEL_CORE_H */
