// SPDX-License-Identifier: GPL-2.0
/*
 * The object registry: every live Keel object (VM bindings, devices,
 * rings, ...) by id, its netlink description, the OBJ_GET command and
 * OBJ_NEW/OBJ_DEL notifications.
 *
 * Lifetime. keel_registry_lock protects keel_objects and nothing else:
 * it is held only to add, remove or find an object, never while an
 * object's code runs. A reader (a listing, a notification, a state
 * command by id) takes a reference under the lock and works outside it;
 * keel_object_del() takes the object out under the lock, so no reader
 * can find it afterwards, drops the owner's reference and waits for the
 * readers' to go. One slow object (a ring stopping its threads, a device
 * waiting for a grace period) therefore stalls nobody else.
 */
#include <linux/module.h>
#include <linux/xarray.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/timekeeping.h>
#include <linux/wait_bit.h>
#include <net/genetlink.h>

#include "core.h"
#include "../compat/keel_compat.h"

/* Protects keel_objects and keel_next_id. */
static DEFINE_MUTEX(keel_registry_lock);
static DEFINE_XARRAY_ALLOC1(keel_objects);
static u32 keel_next_id;

/**
 * keel_object_init() - initialise an object before it is added
 * @obj: the object
 * @part: the part that owns it
 * @type: its type
 * @kvm: the VM it belongs to, or NULL; the caller keeps it alive for the
 *	object's life (the object takes no reference)
 *
 * Zeroes everything else: the label and &keel_object.state are set after
 * this, before keel_object_add().
 *
 * Context: any; @obj must not be in the registry.
 */
void keel_object_init(struct keel_object *obj, struct keel_part *part,
		      const struct keel_object_type *type, struct kvm *kvm)
{
	memset(obj, 0, sizeof(*obj));
	obj->part = part;
	obj->type = type;
	obj->kvm = kvm;
}
EXPORT_SYMBOL_GPL(keel_object_init);

/**
 * keel_label_valid() - is this a valid object label?
 * @label: the label
 * @len: the bytes of @label that may be read
 *
 * A label is printable ASCII (0x20 to 0x7e), NUL-terminated within @len
 * bytes; the empty label is valid.
 *
 * Context: any.
 *
 * Return: true when @label is valid.
 */
bool keel_label_valid(const char *label, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (!label[i])
			return true;
		if (label[i] < 0x20 || label[i] > 0x7e)
			return false;
	}
	return false;	/* not NUL-terminated within len */
}
EXPORT_SYMBOL_GPL(keel_label_valid);

/**
 * keel_object_set_label() - set an object's label before it is added
 * @obj: the object, initialised and not yet added (warns otherwise)
 * @label: the label
 * @len: the bytes of @label that may be read; only the first
 *	%KEEL_NAME_MAX are looked at
 *
 * Context: any; before keel_object_add(), when nobody else sees @obj.
 *
 * Return: 0, or -EINVAL unless @label is printable ASCII NUL-terminated
 * within @len and %KEEL_NAME_MAX bytes (keel_label_valid()).
 */
int keel_object_set_label(struct keel_object *obj, const char *label,
			  size_t len)
{
	len = min_t(size_t, len, KEEL_NAME_MAX);
	if (!keel_label_valid(label, len))
		return -EINVAL;
	/* Before add only: readers see the label without a lock. */
	if (WARN_ON(obj->id))
		return -EBUSY;
	strscpy(obj->label, label, sizeof(obj->label));
	return 0;
}
EXPORT_SYMBOL_GPL(keel_object_set_label);

static void keel_object_put(struct keel_object *obj)
{
	/* The last reader wakes the owner waiting in keel_object_del(). */
	if (refcount_dec_and_test(&obj->refs))
		wake_up_var(&obj->refs);
}

/**
 * keel_object_add() - add a fully set-up object to the registry
 * @obj: the object, initialised with keel_object_init()
 *
 * Gives the object its id (from 1 up, cyclic), records the calling thread
 * group as its owner and the time, takes the owner's reference and sends
 * the OBJ_NEW notification, which describes the object: its type's
 * snapshot() runs from here. From now on readers may find the object.
 *
 * Context: process context; sleeps. The registry's lock is held only to
 * insert the object, not around the notification.
 *
 * Return: 0; -ENOMEM; -EBUSY when no id is free; -EINVAL (with a warning)
 * when the object has no type or part.
 */
int keel_object_add(struct keel_object *obj)
{
	int ret;

	if (WARN_ON(!obj->type || !obj->part))
		return -EINVAL;

	obj->owner = get_task_pid(current, PIDTYPE_TGID);
	obj->owner_uid = current_euid();
	obj->created_ns = ktime_get_boottime_ns();
	refcount_set(&obj->refs, 1);	/* the owner's */

	mutex_lock(&keel_registry_lock);
	ret = xa_alloc_cyclic(&keel_objects, &obj->id, obj,
			      XA_LIMIT(1, INT_MAX), &keel_next_id, GFP_KERNEL);
	if (ret >= 0) {
		atomic_inc(&obj->part->nr_objects);
		ret = 0;
	}
	mutex_unlock(&keel_registry_lock);

	if (ret) {
		put_pid(obj->owner);
		obj->owner = NULL;
		return ret;
	}
	/* The owner's reference keeps it alive; it cannot be deleted yet. */
	keel_netlink_notify_obj(obj, KEEL_CMD_OBJ_NEW);
	return 0;
}
EXPORT_SYMBOL_GPL(keel_object_add);

/**
 * keel_object_del() - take an object out of the registry
 * @obj: an object keel_object_add() added
 *
 * Sends the OBJ_DEL notification while the object is still whole, takes
 * the object out of the registry, so that no reader can find it any more,
 * drops the owner's reference and waits until every reader has dropped
 * its own. Afterwards no registry reader uses the object: the owner may
 * tear it down and free it.
 *
 * Context: process context; sleeps, for as long as the slowest reader
 * (a snapshot, a state command) takes. Not holding a lock that a reader
 * may need: the object's state mutex, or a lock its type's snapshot()
 * or state ops take.
 */
void keel_object_del(struct keel_object *obj)
{
	/* Described while it is still whole. */
	keel_netlink_notify_obj(obj, KEEL_CMD_OBJ_DEL);

	mutex_lock(&keel_registry_lock);
	if (!WARN_ON(xa_erase(&keel_objects, obj->id) != obj))
		atomic_dec(&obj->part->nr_objects);
	mutex_unlock(&keel_registry_lock);

	/* No reader can find it now; wait for those that did. */
	keel_object_put(obj);
	wait_var_event(&obj->refs, !refcount_read(&obj->refs));

	put_pid(obj->owner);
	obj->owner = NULL;
}
EXPORT_SYMBOL_GPL(keel_object_del);

/*
 * The first object from id *@id on (of type @type, a string attribute,
 * if not NULL), with a reference, and its id in *@id; or NULL.
 */
static struct keel_object *keel_object_next(unsigned long *id,
					    const struct nlattr *type)
{
	struct keel_object *obj;

	mutex_lock(&keel_registry_lock);
	xa_for_each_start(&keel_objects, *id, obj, *id) {
		if (type && nla_strcmp(type, obj->type->name))
			continue;
		refcount_inc(&obj->refs);
		break;
	}
	mutex_unlock(&keel_registry_lock);
	return obj;
}

/*
 * Run @fn on the object with @id, holding a reference so that its owner
 * cannot tear it down meanwhile (keel_object_del() waits), with no
 * registry lock held. -ENOENT when there is no such object.
 */
int keel_object_call(u32 id, int (*fn)(struct keel_object *obj, void *arg),
		     void *arg)
{
	unsigned long idx = id;
	struct keel_object *obj;
	int ret;

	obj = keel_object_next(&idx, NULL);
	if (obj && idx != id) {
		keel_object_put(obj);
		obj = NULL;
	}
	if (!obj)
		return -ENOENT;
	ret = fn(obj, arg);
	keel_object_put(obj);
	return ret;
}
EXPORT_SYMBOL_IF_KEEL_KUNIT(keel_object_call);

/**
 * keel_obj_visible() - may the sender of @skb see and command @obj?
 * @skb: a request of the "keel" family
 * @obj: the object
 *
 * Its owner may (the effective uid that created it), and CAP_SYS_ADMIN
 * may: an object's label, VM, pid, counters (a UART's per-register
 * counts time a serial console's keystrokes) and state (a ring's payload)
 * are its tenant's. To anyone else it does not exist. Handlers run in
 * the context of the process that sends or receives on the socket.
 *
 * Return: true if the object may be shown and commanded.
 */
bool keel_obj_visible(struct sk_buff *skb, const struct keel_object *obj)
{
	return keel_obj_is_callers(obj) || netlink_capable(skb, CAP_SYS_ADMIN);
}

/*
 * Whether the calling process's effective uid created @obj: the owner's
 * half of keel_obj_visible(), for callers that are not netlink requests
 * (KEEL_IOC_OBJ_OPEN), which add capable(CAP_SYS_ADMIN) themselves.
 */
bool keel_obj_is_callers(const struct keel_object *obj)
{
	return uid_eq(obj->owner_uid, current_euid());
}

/* The type's INFO attributes from a snapshot of @obj. */
static int keel_obj_fill_info(struct sk_buff *skb, struct keel_object *obj)
{
	const struct keel_object_type *type = obj->type;
	struct nlattr *nest;
	void *snap;
	size_t len;
	int ret;

	if (!type->nr_info)
		return 0;
	len = type->info_len ? type->info_len(obj) : type->info_size;
	snap = kzalloc(len, GFP_KERNEL);
	if (!snap)
		return -ENOMEM;
	ret = type->snapshot(obj, snap);
	if (ret)
		goto out;
	ret = -EMSGSIZE;
	nest = nla_nest_start(skb, KEEL_OBJ_A_INFO);
	if (!nest)
		goto out;
	ret = keel_info_put(skb, type->info, type->nr_info, type->info_pad,
			    snap);
	if (ret)
		nla_nest_cancel(skb, nest);
	else
		nla_nest_end(skb, nest);
out:
	kfree(snap);
	return ret;
}

/* Describe @obj as one KEEL_A_OBJ nest. A reference is held. */
int keel_obj_fill(struct sk_buff *skb, struct keel_object *obj)
{
	struct nlattr *nest;
	pid_t vm_pid = 0;
	int ret = -EMSGSIZE;

	nest = nla_nest_start(skb, KEEL_A_OBJ);
	if (!nest)
		return -EMSGSIZE;

	if (obj->kvm)
		vm_pid = keel_vm_creator_pid(obj->kvm);

	if (nla_put_u32(skb, KEEL_OBJ_A_ID, obj->id) ||
	    nla_put_string(skb, KEEL_OBJ_A_TYPE, obj->type->name) ||
	    nla_put_string(skb, KEEL_OBJ_A_PART, obj->part->name) ||
	    nla_put_u32(skb, KEEL_OBJ_A_OWNER_PID, pid_nr(obj->owner)) ||
	    nla_put_u32(skb, KEEL_OBJ_A_VM_PID, vm_pid) ||
	    nla_put_string(skb, KEEL_OBJ_A_LABEL, obj->label) ||
	    nla_put_u64_64bit(skb, KEEL_OBJ_A_CREATED_NS, obj->created_ns,
			      KEEL_OBJ_A_PAD))
		goto cancel;
	ret = keel_obj_fill_info(skb, obj);
	if (ret)
		goto cancel;
	ret = -EMSGSIZE;
	if (obj->state && keel_state_fill(skb, obj->state))
		goto cancel;
	if (keel_obj_attached(obj) && nla_put_flag(skb, KEEL_OBJ_A_ATTACHED))
		goto cancel;

	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return ret;
}

static int keel_obj_fill_msg(struct sk_buff *skb, struct keel_object *obj,
			     u32 portid, u32 seq, int flags, u8 cmd)
{
	void *hdr;
	int ret;

	hdr = genlmsg_put(skb, portid, seq, &keel_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	ret = keel_obj_fill(skb, obj);
	if (ret) {
		genlmsg_cancel(skb, hdr);
		return ret;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* From add and del, with the owner's reference and no lock held. */
void keel_netlink_notify_obj(struct keel_object *obj, u8 cmd)
{
	struct sk_buff *skb;

	if (!genl_has_listeners(&keel_genl_family, &init_net,
				KEEL_NLGRP_EVENTS))
		return;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	if (keel_obj_fill_msg(skb, obj, 0, 0, 0, cmd)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_multicast(&keel_genl_family, skb, 0, KEEL_NLGRP_EVENTS,
			  GFP_KERNEL);
}

int keel_nl_obj_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	unsigned long id;
	struct keel_object *obj;
	struct sk_buff *msg;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, KEEL_A_OBJ_ID))
		return -EINVAL;
	id = nla_get_u32(info->attrs[KEEL_A_OBJ_ID]);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	obj = keel_object_next(&id, NULL);
	if (obj && (id != nla_get_u32(info->attrs[KEEL_A_OBJ_ID]) ||
		    !keel_obj_visible(skb, obj))) {
		keel_object_put(obj);
		obj = NULL;
	}
	if (!obj) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[KEEL_A_OBJ_ID],
				    "no object with this id");
		ret = -ENOENT;
	} else {
		ret = keel_obj_fill_msg(msg, obj, info->snd_portid,
					info->snd_seq, 0, KEEL_CMD_OBJ_GET);
		keel_object_put(obj);
	}

	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/*
 * cb->args[0]: next id to describe; cb->args[1]: the request was checked
 * (first round done). Checks that need an extack message run in the
 * first round: before 6.2, cb->extack is only set while dumpit runs.
 */
int keel_nl_obj_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct nlattr **attrs = keel_genl_dump_attrs(cb);
	const struct nlattr *type = attrs ? attrs[KEEL_A_OBJ_TYPE] : NULL;
	struct keel_object *obj;
	unsigned long id;
	int ret = 0;

	if (!cb->args[1]) {
		if (attrs && attrs[KEEL_A_OBJ_ID]) {
			NL_SET_ERR_MSG_ATTR(cb->extack, attrs[KEEL_A_OBJ_ID],
					    "a dump lists all objects: use a plain request to get one");
			return -EINVAL;
		}
		cb->args[1] = 1;
	}

	for (id = cb->args[0]; (obj = keel_object_next(&id, type)); id++) {
		ret = 0;
		if (keel_obj_visible(cb->skb, obj))
			ret = keel_obj_fill_msg(skb, obj,
						NETLINK_CB(cb->skb).portid,
						cb->nlh->nlmsg_seq, NLM_F_MULTI,
						KEEL_CMD_OBJ_GET);
		keel_object_put(obj);
		if (ret)
			break;
		cb->args[0] = id + 1;
	}

	/* A full skb ends this round; the core calls us again. */
	if (ret == -EMSGSIZE && skb->len)
		return skb->len;
	return ret ? ret : skb->len;
}

int keel_registry_init(void)
{
	return 0;
}

void keel_registry_exit(void)
{
	/* Every object pins keel.ko through its owner's file. */
	WARN_ON(!xa_empty(&keel_objects));
	xa_destroy(&keel_objects);
}
