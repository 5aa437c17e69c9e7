// SPDX-License-Identifier: GPL-2.0
/*
 * The list of loaded Keel parts (keel.ko itself and each feature module),
 * reported by the version and host commands.
 */
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/list.h>
#include <net/genetlink.h>

#include "core.h"

/* Protects keel_parts and every part's list node. */
static DEFINE_MUTEX(keel_parts_lock);
static LIST_HEAD(keel_parts);

struct keel_part keel_core_part = {
	.name = "core",
	.owner = THIS_MODULE,
};

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

int keel_parts_init(void)
{
	return keel_part_register(&keel_core_part);
}

void keel_parts_exit(void)
{
	keel_part_unregister(&keel_core_part);
}
