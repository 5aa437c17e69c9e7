// SPDX-License-Identifier: GPL-2.0
/*
 * Objects attached to their VM (KEEL_IOC_ATTACH): for a VMM that knows
 * nothing of Keel, an operator's tool sets an object up on the VMM's VM
 * (a VM fd taken with pidfd_getfd(2)) and attaches it; the core then
 * holds the object's file, so the object lives on after the tool exits,
 * until it is detached (KEEL_CMD_OBJ_DETACH, keel_obj_detach()) or the
 * VMM's process ends. KEEL_IOC_OBJ_OPEN hands its owner a new descriptor
 * of that file, for the object's data path (a UART's console).
 *
 * The end of the VMM: a VM is usable only from the address space that
 * created it, so it is dead when that address space is torn down. Each
 * VMM with attached objects has one struct keel_vmm, an mmu_notifier on
 * its mm (mmu_notifier_get(): one per mm, counted, one count per
 * attached object); its ->release runs from exit_mmap() when the VMM
 * exits or is killed, and queues the reaping of everything attached to
 * it on keel_vm_wq. Reaping drops the files: each object's release path
 * then tears it down (its claims, its irqfds, its VM reference, which
 * lets KVM destroy the VM).
 *
 * Locking: keel_attach_lock protects every keel_vmm's @attached list and
 * @dead flag, and every instance's attachment fields (struct keel_inst
 * @attached_file, @vmm, @attach_node). Files are released, and notifier
 * counts dropped, outside it.
 *
 * Lifetime: an attached file pins its feature's module (an open file
 * holds the module), so no module leaves while an object is attached; a
 * notifier's free_notifier may still be pending after its last put, and
 * keel_attach_exit() waits for it (mmu_notifier_synchronize()).
 */
#include <linux/module.h>
#include <linux/file.h>
#include <linux/kvm_host.h>
#include <linux/mmu_notifier.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>

#include "core.h"

static DEFINE_MUTEX(keel_attach_lock);

/* The objects attached to the VM(s) of one VMM address space. */
struct keel_vmm {
	struct mmu_notifier mn;
	/* keel_inst.attach_node; protected by keel_attach_lock */
	struct list_head attached;
	/* its address space is gone; protected by keel_attach_lock */
	bool dead;
	struct work_struct reap;
};

static struct keel_vmm *keel_vmm_of(struct mmu_notifier *mn)
{
	return container_of(mn, struct keel_vmm, mn);
}

/* Take @inst off its VMM; keel_attach_lock held. Returns its file. */
static struct file *keel_attach_unlink(struct keel_inst *inst)
{
	struct file *file = inst->attached_file;

	lockdep_assert_held(&keel_attach_lock);
	list_del_init(&inst->attach_node);
	inst->attached_file = NULL;
	inst->vmm = NULL;
	return file;
}

/* Tell @inst's feature, then drop the core's @file of it. */
static void keel_attach_release(struct keel_inst *inst, struct file *file)
{
	if (inst->feature->ops.detached)
		inst->feature->ops.detached(inst);
	fput(file);
}

/*
 * Release what a VMM that ended had attached. The entries move to a list
 * of the work's own, each with its @vmm cleared so that a detach racing
 * with the reaping leaves it alone; each still holds a count of @vmm, so
 * @vmm lives until the last put below.
 */
static void keel_vmm_reap(struct work_struct *work)
{
	struct keel_vmm *vmm = container_of(work, struct keel_vmm, reap);
	struct keel_inst *inst, *next;
	LIST_HEAD(gone);
	struct file *file;

	mutex_lock(&keel_attach_lock);
	list_splice_init(&vmm->attached, &gone);
	list_for_each_entry(inst, &gone, attach_node)
		inst->vmm = NULL;
	mutex_unlock(&keel_attach_lock);

	list_for_each_entry_safe(inst, next, &gone, attach_node) {
		mutex_lock(&keel_attach_lock);
		file = keel_attach_unlink(inst);
		mutex_unlock(&keel_attach_lock);
		mmu_notifier_put(&vmm->mn);
		keel_attach_release(inst, file);
	}
}

static struct mmu_notifier *keel_vmm_alloc(struct mm_struct *mm)
{
	struct keel_vmm *vmm = kzalloc(sizeof(*vmm), GFP_KERNEL);

	if (!vmm)
		return ERR_PTR(-ENOMEM);
	INIT_LIST_HEAD(&vmm->attached);
	INIT_WORK(&vmm->reap, keel_vmm_reap);
	return &vmm->mn;
}

static void keel_vmm_free(struct mmu_notifier *mn)
{
	kfree(keel_vmm_of(mn));
}

/*
 * The VMM's address space is being torn down (exit_mmap()): its VMs are
 * dead. Called in the exiting task under the notifiers' SRCU; releasing
 * the objects (which may destroy a VM and so unregister KVM's notifier
 * on this mm) must not happen here: the work does it.
 */
static void keel_vmm_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct keel_vmm *vmm = keel_vmm_of(mn);

	mutex_lock(&keel_attach_lock);
	vmm->dead = true;
	if (!list_empty(&vmm->attached))
		queue_work(keel_vm_wq, &vmm->reap);
	mutex_unlock(&keel_attach_lock);
}

static const struct mmu_notifier_ops keel_vmm_ops = {
	.release = keel_vmm_release,
	.alloc_notifier = keel_vmm_alloc,
	.free_notifier = keel_vmm_free,
};

/**
 * keel_inst_attach() - attach a set-up instance to its VM (KEEL_IOC_ATTACH)
 * @inst: the instance
 * @file: its open file, which the core keeps
 *
 * Context: process context; sleeps.
 *
 * Return: 0; -EBADFD when @inst is not set up; -EINVAL when it has no VM;
 * -EALREADY when it is attached; -ESRCH when the VM's process is exiting
 * or gone; -ENOMEM.
 */
long keel_inst_attach(struct keel_inst *inst, struct file *file)
{
	struct mm_struct *mm;
	struct mmu_notifier *mn;
	struct keel_vmm *vmm;
	long ret = 0;

	if (!keel_inst_ready(inst))
		return -EBADFD;
	if (!inst->kvm)
		return -EINVAL;
	mm = inst->kvm->mm;
	/* KVM holds mm_count; registering needs a live address space. */
	if (!mmget_not_zero(mm))
		return -ESRCH;
	mn = mmu_notifier_get(&keel_vmm_ops, mm);
	mmput(mm);
	if (IS_ERR(mn))
		return PTR_ERR(mn);
	vmm = keel_vmm_of(mn);

	mutex_lock(&keel_attach_lock);
	if (inst->attached_file) {
		ret = -EALREADY;
	} else if (vmm->dead) {
		ret = -ESRCH;
	} else {
		inst->attached_file = get_file(file);
		inst->vmm = vmm;
		list_add_tail(&inst->attach_node, &vmm->attached);
	}
	mutex_unlock(&keel_attach_lock);
	if (ret)
		mmu_notifier_put(mn);
	return ret;
}

/**
 * keel_obj_detach() - detach an attached object (KEEL_CMD_OBJ_DETACH)
 * @obj: the object, referenced by the caller
 *
 * Drops the core's file: the object goes away with the last descriptor
 * of it (at once, unless someone holds one from KEEL_IOC_OBJ_OPEN, whose
 * feature's ->detached tells them to let go).
 *
 * Context: process context; sleeps.
 *
 * Return: 0, or -ENOLINK when @obj is not attached.
 */
int keel_obj_detach(struct keel_object *obj)
{
	struct keel_inst *inst = keel_inst_of_obj(obj);
	struct keel_vmm *vmm;
	struct file *file;

	mutex_lock(&keel_attach_lock);
	vmm = inst->vmm;
	file = vmm ? keel_attach_unlink(inst) : NULL;
	mutex_unlock(&keel_attach_lock);
	if (!file)
		return -ENOLINK;
	mmu_notifier_put(&vmm->mn);
	/* Released when the caller returns to user space: not under @obj. */
	keel_attach_release(inst, file);
	return 0;
}

static int keel_obj_detach_one(struct keel_object *obj, void *arg)
{
	if (!keel_obj_visible(arg, obj))
		return -ENOENT;
	return keel_obj_detach(obj);
}

int keel_nl_obj_detach_doit(struct sk_buff *skb, struct genl_info *info)
{
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, KEEL_A_OBJ_ID))
		return -EINVAL;
	ret = keel_object_call(nla_get_u32(info->attrs[KEEL_A_OBJ_ID]),
			       keel_obj_detach_one, skb);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[KEEL_A_OBJ_ID],
				    "no object with this id");
	else if (ret == -ENOLINK)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[KEEL_A_OBJ_ID],
				    "the object is not attached to its VM");
	return ret;
}

/* A new reference to @obj's attached file, or NULL when not attached. */
struct file *keel_obj_attached_file(struct keel_object *obj)
{
	struct keel_inst *inst = keel_inst_of_obj(obj);
	struct file *file;

	mutex_lock(&keel_attach_lock);
	file = inst->attached_file ? get_file(inst->attached_file) : NULL;
	mutex_unlock(&keel_attach_lock);
	return file;
}

/* Whether @obj is attached to its VM; for its info. */
bool keel_obj_attached(struct keel_object *obj)
{
	return READ_ONCE(keel_inst_of_obj(obj)->attached_file);
}

void keel_attach_exit(void)
{
	/* free_notifier of the last puts may still be queued. */
	mmu_notifier_synchronize();
}
