// SPDX-License-Identifier: GPL-2.0
/*
 * The list of loaded Keel parts (keel.ko itself and each feature module),
 * reported by the version and host commands, and their object types
 * (KEEL_CMD_TYPE_GET).
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/list.h>
#include <net/genetlink.h>

#include "core.h"

/*
 * Protects keel_parts and every part's list node. A part's types are
 * described under it: the part cannot be unregistered meanwhile.
 */
static DEFINE_MUTEX(keel_parts_lock);
static LIST_HEAD(keel_parts);

/**
 * keel_part_register() - add a part to the list of loaded parts
 * @part: the part, with &keel_part.name, &keel_part.owner and
 *	&keel_part.types set; it stays in use until keel_part_unregister()
 *
 * The version and host commands report it, KEEL_CMD_TYPE_GET its types.
 * Feature modules register theirs through keel_feature_register().
 *
 * Context: process context; sleeps (keel_parts_lock, a mutex).
 *
 * Return: 0; -EINVAL when the name is empty or not shorter than
 * %KEEL_NAME_MAX; -EEXIST when a part of that name is registered.
 */
int keel_part_register(struct keel_part *part)
{
	struct keel_part *p;
	int ret = 0;

	if (!part->name || !part->name[0] ||
	    strnlen(part->name, KEEL_NAME_MAX) >= KEEL_NAME_MAX)
		return -EINVAL;

	mutex_lock(&keel_parts_lock);
	list_for_each_entry(p, &keel_parts, node) {
		if (!strcmp(p->name, part->name)) {
			ret = -EEXIST;
			goto out;
		}
	}
	atomic_set(&part->nr_objects, 0);
	list_add_tail(&part->node, &keel_parts);
out:
	mutex_unlock(&keel_parts_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(keel_part_register);

/**
 * keel_part_unregister() - remove a part from the list
 * @part: a registered part
 *
 * Every object of the part must be gone (objects pin their module through
 * their open file); it warns about one that is not, and removes the part
 * anyway.
 *
 * Context: process context; sleeps (keel_parts_lock, a mutex).
 */
void keel_part_unregister(struct keel_part *part)
{
	/*
	 * Objects pin their module through their open file, so a part whose
	 * module is being unloaded has none left; anything else is a bug.
	 */
	WARN_ON(atomic_read(&part->nr_objects));

	mutex_lock(&keel_parts_lock);
	list_del(&part->node);
	mutex_unlock(&keel_parts_lock);
}
EXPORT_SYMBOL_GPL(keel_part_unregister);

int keel_parts_fill(struct sk_buff *skb)
{
	struct nlattr *parts, *one;
	struct keel_part *p;
	int ret = 0;

	parts = nla_nest_start(skb, KEEL_A_PARTS);
	if (!parts)
		return -EMSGSIZE;

	mutex_lock(&keel_parts_lock);
	list_for_each_entry(p, &keel_parts, node) {
		one = nla_nest_start(skb, KEEL_A_PART);
		if (!one ||
		    nla_put_string(skb, KEEL_PART_A_NAME, p->name) ||
		    nla_put_u32(skb, KEEL_PART_A_OBJECTS,
				atomic_read(&p->nr_objects))) {
			ret = -EMSGSIZE;
			break;
		}
		nla_nest_end(skb, one);
	}
	mutex_unlock(&keel_parts_lock);

	if (ret) {
		nla_nest_cancel(skb, parts);
		return ret;
	}
	nla_nest_end(skb, parts);
	return 0;
}

/*
 * Fill one KEEL_A_TYPE per object type from the @skip-th on, each in a
 * message of its own when @cb (a dump), else all into @skb. Returns the
 * number of types filled, or -EMSGSIZE when none fit.
 */
static int keel_types_fill(struct sk_buff *skb, struct netlink_callback *cb,
			   const struct nlattr *name, long skip)
{
	const struct keel_object_type *const *t;
	struct keel_part *p;
	long i = 0, done = 0;
	bool full = false;
	void *hdr = NULL;

	mutex_lock(&keel_parts_lock);
	list_for_each_entry(p, &keel_parts, node) {
		for (t = p->types; t && *t; t++) {
			if (name && nla_strcmp(name, (*t)->name))
				continue;
			if (i++ < skip)
				continue;
			if (cb) {
				hdr = genlmsg_put(skb,
						  NETLINK_CB(cb->skb).portid,
						  cb->nlh->nlmsg_seq,
						  &keel_genl_family,
						  NLM_F_MULTI,
						  KEEL_CMD_TYPE_GET);
				if (!hdr)
					goto full;
			}
			if (keel_type_fill(skb, p, *t)) {
				if (hdr)
					genlmsg_cancel(skb, hdr);
				goto full;
			}
			if (hdr)
				genlmsg_end(skb, hdr);
			done++;
		}
	}
	goto out;
full:
	full = true;
out:
	mutex_unlock(&keel_parts_lock);
	return full && !done ? -EMSGSIZE : done;
}

int keel_nl_type_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	const struct nlattr *name = info->attrs[KEEL_A_OBJ_TYPE];
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, KEEL_A_OBJ_TYPE))
		return -EINVAL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &keel_genl_family, 0,
				KEEL_CMD_TYPE_GET);
	ret = hdr ? keel_types_fill(msg, NULL, name, 0) : -EMSGSIZE;
	if (!ret) {
		NL_SET_ERR_MSG_ATTR(info->extack, name,
				    "no object type of this name");
		ret = -ENOENT;
	}
	if (ret < 0) {
		nlmsg_free(msg);
		return ret;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* cb->args[0]: types described so far. */
int keel_nl_type_get_dumpit(struct sk_buff *skb, struct netlink_callback *cb)
{
	int ret;

	ret = keel_types_fill(skb, cb, NULL, cb->args[0]);
	if (ret < 0)
		return ret;
	cb->args[0] += ret;
	return skb->len;
}
