// SPDX-License-Identifier: GPL-2.0
/*
 * The "vdev" object type: a device as the keel netlink family lists it,
 * with its configuration and counters in KEEL_OBJ_A_INFO.
 */
#include <linux/slab.h>
#include <net/netlink.h>

#include "vdev.h"

/* A consistent copy of what fill_info reports, taken under dev->lock. */
struct keel_vdev_snapshot {
	struct keel_vdev_stats stats;
	bool started, irq_line;
};

static int keel_vdev_fill_regs(struct sk_buff *skb,
			       const struct keel_vdev_stats *st, u32 nr)
{
	struct nlattr *regs, *reg;
	u32 i;

	regs = nla_nest_start(skb, KEEL_VDEV_INFO_A_REGS);
	if (!regs)
		return -EMSGSIZE;
	for (i = 0; i < nr && i < ARRAY_SIZE(st->reads); i++) {
		if (!st->reads[i] && !st->writes[i])
			continue;
		reg = nla_nest_start(skb, KEEL_VDEV_INFO_A_REG);
		if (!reg ||
		    nla_put_u32(skb, KEEL_VDEV_REG_A_OFFSET, i) ||
		    nla_put_u64_64bit(skb, KEEL_VDEV_REG_A_READS, st->reads[i],
				      KEEL_VDEV_REG_A_PAD) ||
		    nla_put_u64_64bit(skb, KEEL_VDEV_REG_A_WRITES,
				      st->writes[i], KEEL_VDEV_REG_A_PAD))
			return -EMSGSIZE;
		nla_nest_end(skb, reg);
	}
	nla_nest_end(skb, regs);
	return 0;
}

static int keel_vdev_fill_info(struct sk_buff *skb, struct keel_object *obj)
{
	struct keel_vdev_inst *inst =
		container_of(obj, struct keel_vdev_inst, obj);
	struct keel_vdev *dev = &inst->vdev;
	struct keel_vdev_snapshot *snap;
	u32 irq_mode;
	int ret = -EMSGSIZE;

	snap = kmalloc(sizeof(*snap), GFP_KERNEL);
	if (!snap)
		return -ENOMEM;
	spin_lock_irq(&dev->lock);
	snap->stats = dev->stats;
	snap->irq_line = dev->irq_level;
	spin_unlock_irq(&dev->lock);
	snap->started = READ_ONCE(inst->started);
	irq_mode = inst->irq.resample ? 2 : inst->irq.trigger ? 1 : 0;

	if (nla_put_string(skb, KEEL_VDEV_INFO_A_MODEL, dev->model->name) ||
	    nla_put_u32(skb, KEEL_VDEV_INFO_A_MODEL_ID, dev->model->id) ||
	    nla_put_u32(skb, KEEL_VDEV_INFO_A_BUS, inst->bus) ||
	    nla_put_u64_64bit(skb, KEEL_VDEV_INFO_A_BASE, inst->base,
			      KEEL_VDEV_INFO_A_PAD) ||
	    nla_put_u32(skb, KEEL_VDEV_INFO_A_LEN, inst->len) ||
	    nla_put_u8(skb, KEEL_VDEV_INFO_A_STARTED, snap->started) ||
	    nla_put_u32(skb, KEEL_VDEV_INFO_A_IRQ_MODE, irq_mode) ||
	    nla_put_u8(skb, KEEL_VDEV_INFO_A_IRQ_LINE, snap->irq_line) ||
	    keel_vdev_fill_regs(skb, &snap->stats, inst->len) ||
	    nla_put_u64_64bit(skb, KEEL_VDEV_INFO_A_BYTES_OUT,
			      snap->stats.bytes_out, KEEL_VDEV_INFO_A_PAD) ||
	    nla_put_u64_64bit(skb, KEEL_VDEV_INFO_A_BYTES_IN,
			      snap->stats.bytes_in, KEEL_VDEV_INFO_A_PAD) ||
	    nla_put_u64_64bit(skb, KEEL_VDEV_INFO_A_IRQS, snap->stats.irqs,
			      KEEL_VDEV_INFO_A_PAD) ||
	    nla_put_u64_64bit(skb, KEEL_VDEV_INFO_A_EXITS_KEPT,
			      snap->stats.exits_kept, KEEL_VDEV_INFO_A_PAD))
		goto out;
	ret = 0;
out:
	kfree(snap);
	return ret;
}

const struct keel_object_type keel_vdev_obj_type = {
	.name = "vdev",
	.part = &keel_vdev_part,
	.fill_info = keel_vdev_fill_info,
};
