// SPDX-License-Identifier: GPL-2.0
/*
 * The "vdev" object type: a device as the keel netlink family lists it,
 * its configuration and counters in KEEL_OBJ_A_INFO, one table line each.
 */
#include <linux/slab.h>

#include "vdev.h"

/* One register's counters, as the REGS table lists them. */
struct keel_vdev_reg_info {
	u32 offset;
	u64 reads;
	u64 writes;
};

/* What a "vdev" object reports, copied consistently. */
struct keel_vdev_info {
	const char *model;
	u32 model_id;
	u32 bus;
	u64 base;
	u32 len;
	u8 started;
	u32 irq_mode;
	u8 irq_line;
	struct keel_info_rows regs;
	u64 bytes_out;
	u64 bytes_in;
	u64 irqs;
	u64 exits_kept;
	u64 irq_loops;
	/* info_len(): the rows, one per register the guest accessed */
	struct keel_vdev_reg_info reg[];
};

static const struct keel_info_field keel_vdev_reg_fields[] = {
	KEEL_INFO_U32(struct keel_vdev_reg_info, offset, KEEL_VDEV_REG_A_OFFSET),
	KEEL_INFO_U64(struct keel_vdev_reg_info, reads, KEEL_VDEV_REG_A_READS,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(struct keel_vdev_reg_info, writes, KEEL_VDEV_REG_A_WRITES,
		      KEEL_INFO_COUNTER),
};

static const struct keel_info_table keel_vdev_reg_table = {
	.entry_attr = KEEL_VDEV_INFO_A_REG,
	.pad_attr = KEEL_VDEV_REG_A_PAD,
	.entry_size = sizeof(struct keel_vdev_reg_info),
	.fields = keel_vdev_reg_fields,
	.nr_fields = ARRAY_SIZE(keel_vdev_reg_fields),
};

#define S struct keel_vdev_info
static const struct keel_info_field keel_vdev_fields[] = {
	KEEL_INFO_STR(S, model, KEEL_VDEV_INFO_A_MODEL, KEEL_INFO_BRIEF),
	KEEL_INFO_U32(S, model_id, KEEL_VDEV_INFO_A_MODEL_ID),
	KEEL_INFO_U32(S, bus, KEEL_VDEV_INFO_A_BUS, KEEL_INFO_BRIEF,
		      KEEL_INFO_ENUM("pio", "mmio")),
	KEEL_INFO_U64(S, base, KEEL_VDEV_INFO_A_BASE, KEEL_INFO_BRIEF,
		      KEEL_INFO_HEX),
	KEEL_INFO_U32(S, len, KEEL_VDEV_INFO_A_LEN, KEEL_INFO_BRIEF),
	KEEL_INFO_BOOL(S, started, KEEL_VDEV_INFO_A_STARTED, KEEL_INFO_BRIEF),
	KEEL_INFO_U32(S, irq_mode, KEEL_VDEV_INFO_A_IRQ_MODE, KEEL_INFO_BRIEF,
		      KEEL_INFO_ENUM("none", "edge", "level")),
	KEEL_INFO_BOOL(S, irq_line, KEEL_VDEV_INFO_A_IRQ_LINE),
	KEEL_INFO_TABLE(S, regs, KEEL_VDEV_INFO_A_REGS, &keel_vdev_reg_table),
	KEEL_INFO_U64(S, bytes_out, KEEL_VDEV_INFO_A_BYTES_OUT,
		      KEEL_INFO_BRIEF_COUNTER, KEEL_INFO_BYTES),
	KEEL_INFO_U64(S, bytes_in, KEEL_VDEV_INFO_A_BYTES_IN,
		      KEEL_INFO_BRIEF_COUNTER, KEEL_INFO_BYTES),
	KEEL_INFO_U64(S, irqs, KEEL_VDEV_INFO_A_IRQS, KEEL_INFO_BRIEF_COUNTER),
	KEEL_INFO_U64(S, exits_kept, KEEL_VDEV_INFO_A_EXITS_KEPT,
		      KEEL_INFO_BRIEF_COUNTER),
	KEEL_INFO_U64(S, irq_loops, KEEL_VDEV_INFO_A_IRQ_LOOPS,
		      KEEL_INFO_COUNTER),
};

#undef S

static struct keel_vdev_inst *keel_vdev_of_obj(struct keel_object *obj)
{
	return keel_vdev_of_inst(container_of(obj, struct keel_inst, obj));
}

static size_t keel_vdev_info_len(struct keel_object *obj)
{
	return struct_size_t(struct keel_vdev_info, reg,
			     keel_vdev_of_obj(obj)->vdev.model->nr_regs);
}

static int keel_vdev_snapshot(struct keel_object *obj, void *snap)
{
	struct keel_vdev_inst *vi = keel_vdev_of_obj(obj);
	struct keel_vdev *dev = &vi->vdev;
	struct keel_vdev_info *info = snap;
	struct keel_irq_line_info line;
	u32 i, n = 0;

	info->model = dev->model->name;
	info->model_id = dev->model->id;
	info->bus = vi->bus;
	info->base = vi->base;
	info->len = vi->len;
	info->started = keel_io_claim_started(&vi->claim);
	keel_irq_line_info(&vi->irq, &line);
	info->irq_mode = line.mode;
	info->irq_line = line.level;
	info->irqs = line.signals;
	info->irq_loops = line.loops;

	spin_lock_irq(&dev->lock);
	for (i = 0; i < dev->model->nr_regs; i++) {
		if (!dev->regs[i].reads && !dev->regs[i].writes)
			continue;
		info->reg[n].offset = i;
		info->reg[n].reads = dev->regs[i].reads;
		info->reg[n].writes = dev->regs[i].writes;
		n++;
	}
	if (dev->io) {
		info->bytes_out = dev->io->bytes_out;
		info->bytes_in = dev->io->bytes_in;
	}
	info->exits_kept = dev->exits_kept;
	spin_unlock_irq(&dev->lock);
	info->regs.nr = n;
	info->regs.rows = info->reg;
	return 0;
}

const struct keel_object_type keel_vdev_obj_type = {
	.name = "vdev",
	.info = keel_vdev_fields,
	.nr_info = ARRAY_SIZE(keel_vdev_fields),
	.info_pad = KEEL_VDEV_INFO_A_PAD,
	.info_len = keel_vdev_info_len,
	.snapshot = keel_vdev_snapshot,
};
