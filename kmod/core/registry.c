// SPDX-License-Identifier: GPL-2.0
/*
 * The object registry: every live Keel object (VM bindings, devices,
 * rings, ...) by id, its netlink description, the OBJ_GET command and
 * OBJ_NEW/OBJ_DEL notifications.
 */
#include <linux/module.h>
#include <linux/xarray.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/timekeeping.h>
#include <net/genetlink.h>

#include "core.h"
#include "../compat/keel_compat.h"

/*
 * keel_objects maps ids to objects. keel_registry_lock serialises adding
 * and removing objects against readers that describe them, so that a
 * type's fill_info() never runs on an object being torn down; it is held
 * across fill_info(), which may therefore sleep but must not add or
 * remove objects.
 */
static DEFINE_MUTEX(keel_registry_lock);
static DEFINE_XARRAY_ALLOC1(keel_objects);
static u32 keel_next_id;

void keel_object_init(struct keel_object *obj,
		      const struct keel_object_type *type, struct kvm *kvm)
{
	memset(obj, 0, sizeof(*obj));
	obj->type = type;
	obj->kvm = kvm;
}
EXPORT_SYMBOL_GPL(keel_object_init);

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

int keel_object_set_label(struct keel_object *obj, const char *label,
			  size_t len)
{
	if (!keel_label_valid(label, min_t(size_t, len, KEEL_NAME_MAX)))
		return -EINVAL;

	mutex_lock(&keel_registry_lock);
	strscpy(obj->label, label, sizeof(obj->label));
	mutex_unlock(&keel_registry_lock);
	return 0;
}
EXPORT_SYMBOL_GPL(keel_object_set_label);

int keel_object_add(struct keel_object *obj)
{
	int ret;

	if (WARN_ON(!obj->type || !obj->type->part))
		return -EINVAL;

	obj->owner = get_task_pid(current, PIDTYPE_TGID);
	obj->created_ns = ktime_get_boottime_ns();

	mutex_lock(&keel_registry_lock);
	ret = xa_alloc_cyclic(&keel_objects, &obj->id, obj,
			      XA_LIMIT(1, INT_MAX), &keel_next_id, GFP_KERNEL);
	if (ret >= 0) {
		atomic_inc(&obj->type->part->nr_objects);
		keel_netlink_notify_obj(obj, KEEL_CMD_OBJ_NEW);
		ret = 0;
	}
	mutex_unlock(&keel_registry_lock);

	if (ret) {
		put_pid(obj->owner);
		obj->owner = NULL;
	}
	return ret;
}
EXPORT_SYMBOL_GPL(keel_object_add);

void keel_object_del(struct keel_object *obj)
{
	mutex_lock(&keel_registry_lock);
	if (!WARN_ON(xa_erase(&keel_objects, obj->id) != obj)) {
		atomic_dec(&obj->type->part->nr_objects);
		keel_netlink_notify_obj(obj, KEEL_CMD_OBJ_DEL);
	}
	mutex_unlock(&keel_registry_lock);

	put_pid(obj->owner);
	obj->owner = NULL;
}
EXPORT_SYMBOL_GPL(keel_object_del);

/* Describe @obj as one KEEL_A_OBJ nest. Called with keel_registry_lock. */
int keel_obj_fill(struct sk_buff *skb, struct keel_object *obj)
{
	struct nlattr *nest, *info;
	pid_t vm_pid = 0;

	lockdep_assert_held(&keel_registry_lock);

	nest = nla_nest_start(skb, KEEL_A_OBJ);
	if (!nest)
		return -EMSGSIZE;

	if (obj->kvm)
		vm_pid = keel_vm_creator_pid(obj->kvm);

	if (nla_put_u32(skb, KEEL_OBJ_A_ID, obj->id) ||
	    nla_put_string(skb, KEEL_OBJ_A_TYPE, obj->type->name) ||
	    nla_put_string(skb, KEEL_OBJ_A_PART, obj->type->part->name) ||
	    nla_put_u32(skb, KEEL_OBJ_A_OWNER_PID, pid_nr(obj->owner)) ||
	    nla_put_u32(skb, KEEL_OBJ_A_VM_PID, vm_pid) ||
	    nla_put_string(skb, KEEL_OBJ_A_LABEL, obj->label) ||
	    nla_put_u64_64bit(skb, KEEL_OBJ_A_CREATED_NS, obj->created_ns,
			      KEEL_OBJ_A_PAD))
		goto cancel;

	if (obj->type->fill_info) {
		info = nla_nest_start(skb, KEEL_OBJ_A_INFO);
		if (!info || obj->type->fill_info(skb, obj))
			goto cancel;
		nla_nest_end(skb, info);
	}
	if (obj->state && keel_state_fill(skb, obj->state))
		goto cancel;

	nla_nest_end(skb, nest);
	return 0;

cancel:
	nla_nest_cancel(skb, nest);
	return -EMSGSIZE;
}

/*
 * Run @fn on the object with @id under keel_registry_lock, so that its
 * owner cannot tear it down meanwhile (keel_object_del() waits). -ENOENT
 * when there is no such object.
 */
int keel_object_call(u32 id, int (*fn)(struct keel_object *obj, void *arg),
		     void *arg)
{
	struct keel_object *obj;
	int ret;

	mutex_lock(&keel_registry_lock);
	obj = xa_load(&keel_objects, id);
	ret = obj ? fn(obj, arg) : -ENOENT;
	mutex_unlock(&keel_registry_lock);
	return ret;
}

static int keel_obj_fill_msg(struct sk_buff *skb, struct keel_object *obj,
			     u32 portid, u32 seq, int flags, u8 cmd)
{
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &keel_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (keel_obj_fill(skb, obj)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(skb, hdr);
	return 0;
}

/* Called with keel_registry_lock held, from add and del. */
void keel_netlink_notify_obj(struct keel_object *obj, u8 cmd)
{
	struct sk_buff *skb;

	if (!genl_has_listeners(&keel_genl_family, &init_net, 0))
		return;

	skb = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!skb)
		return;
	if (keel_obj_fill_msg(skb, obj, 0, 0, 0, cmd)) {
		nlmsg_free(skb);
		return;
	}
	genlmsg_multicast(&keel_genl_family, skb, 0, 0, GFP_KERNEL);
}

int keel_obj_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct keel_object *obj;
	struct sk_buff *msg;
	u32 id;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, KEEL_A_OBJ_ID))
		return -EINVAL;
	id = nla_get_u32(info->attrs[KEEL_A_OBJ_ID]);

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;

	mutex_lock(&keel_registry_lock);
	obj = xa_load(&keel_objects, id);
	if (!obj) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[KEEL_A_OBJ_ID],
				    "no object with this id");
		ret = -ENOENT;
	} else {
		ret = keel_obj_fill_msg(msg, obj, info->snd_portid,
					info->snd_seq, 0, KEEL_CMD_OBJ_GET);
	}
	mutex_unlock(&keel_registry_lock);

	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/*
 * cb->args[0]: next id to describe; cb->args[1]: type filter (attr);
 * cb->args[2]: the request was validated (first round done).
 */
int keel_obj_dump_start(struct netlink_callback *cb)
{
	struct nlattr **attrs = keel_genl_dump_attrs(cb);

	cb->args[0] = 0;
	cb->args[1] = 0;
	cb->args[2] = 0;
	if (attrs && attrs[KEEL_A_OBJ_TYPE])
		cb->args[1] = (long)attrs[KEEL_A_OBJ_TYPE];
	return 0;
}

/*
 * Checks that need an extack message run in the first dumpit round:
 * before 6.2, cb->extack is only set while dumpit runs, not in start.
 */
static int keel_obj_dump_validate(struct netlink_callback *cb)
{
	struct nlattr **attrs = keel_genl_dump_attrs(cb);

	if (attrs && attrs[KEEL_A_OBJ_ID]) {
		NL_SET_ERR_MSG_ATTR(cb->extack, attrs[KEEL_A_OBJ_ID],
				    "a dump lists all objects: use a plain request to get one");
		return -EINVAL;
	}
	return 0;
}

int keel_obj_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct nlattr *type = (const struct nlattr *)cb->args[1];
	struct keel_object *obj;
	unsigned long id;
	int ret = 0;

	if (!cb->args[2]) {
		ret = keel_obj_dump_validate(cb);
		if (ret)
			return ret;
		cb->args[2] = 1;
	}

	mutex_lock(&keel_registry_lock);
	xa_for_each_start(&keel_objects, id, obj, cb->args[0]) {
		if (type && nla_strcmp(type, obj->type->name))
			continue;
		ret = keel_obj_fill_msg(skb, obj, NETLINK_CB(cb->skb).portid,
					cb->nlh->nlmsg_seq, NLM_F_MULTI,
					KEEL_CMD_OBJ_GET);
		if (ret)
			break;
		cb->args[0] = id + 1;
	}
	mutex_unlock(&keel_registry_lock);

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
