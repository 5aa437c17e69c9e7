/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Object type descriptors for the host tests: the kernel's tables of the
 * "vm", "vdev" and "ring" types written out as literals, KEEL_A_TYPE nests
 * built from them with libmnl as keel.ko builds them, and parsed back
 * with libkeel.
 */
#ifndef KEEL_TYPE_DESC_H
#define KEEL_TYPE_DESC_H

#include <string.h>

#include <linux/genetlink.h>
#include <linux/keel_ring.h>
#include <linux/keel_vdev.h>

#include "libkeel.h"

struct tfield {
	uint16_t attr;
	const char *name;
	uint32_t type, unit, format, flags;
	const char *const *words;	/* NULL-terminated */
	uint16_t entry;			/* TABLE */
	const struct tfield *fields;	/* TABLE: NULL-name-terminated */
};

/* A field: attribute, name, encoding, then .unit = ..., .flags = ... */
#define FLD(a, n, t, ...)	{ .attr = (a), .name = (n), .type = (t), __VA_ARGS__ }
#define END			{ .name = NULL }
#define WORDS(...)	.words = (const char *const[]){ __VA_ARGS__, NULL }
#define U32		KEEL_FIELD_TYPE_U32
#define U64		KEEL_FIELD_TYPE_U64
#define BRIEF		.flags = KEEL_FIELD_F_BRIEF
#define COUNTER		.flags = KEEL_FIELD_F_COUNTER
#define BRIEF_COUNTER	.flags = KEEL_FIELD_F_BRIEF | KEEL_FIELD_F_COUNTER
#define BYTES		.unit = KEEL_FIELD_UNIT_BYTES
#define NS		.unit = KEEL_FIELD_UNIT_NS
#define HEX		.format = KEEL_FIELD_FORMAT_HEX
#define BOOL		.format = KEEL_FIELD_FORMAT_BOOL
#define ERRNO		.format = KEEL_FIELD_FORMAT_ERRNO
#define ENUM(...)	.format = KEEL_FIELD_FORMAT_ENUM, WORDS(__VA_ARGS__)
#define FLAGS(...)	.format = KEEL_FIELD_FORMAT_FLAGS, WORDS(__VA_ARGS__)
#define TABLE(entry_, fields_)	.entry = (entry_), .fields = (fields_)

static const struct tfield vm_tfields[] = {
	FLD(KEEL_VM_INFO_A_VCPUS, "vcpus", U32, BRIEF),
	FLD(KEEL_VM_INFO_A_DEAD, "dead", KEEL_FIELD_TYPE_U8, BOOL, BRIEF),
	END
};

static const struct tfield vdev_reg_tfields[] = {
	FLD(KEEL_VDEV_REG_A_OFFSET, "offset", U32),
	FLD(KEEL_VDEV_REG_A_READS, "reads", U64, COUNTER),
	FLD(KEEL_VDEV_REG_A_WRITES, "writes", U64, COUNTER),
	END
};

static const struct tfield vdev_tfields[] = {
	FLD(KEEL_VDEV_INFO_A_MODEL, "model", KEEL_FIELD_TYPE_STRING, BRIEF),
	FLD(KEEL_VDEV_INFO_A_MODEL_ID, "model_id", U32),
	FLD(KEEL_VDEV_INFO_A_BUS, "bus", U32, ENUM("pio", "mmio"), BRIEF),
	FLD(KEEL_VDEV_INFO_A_BASE, "base", U64, HEX, BRIEF),
	FLD(KEEL_VDEV_INFO_A_LEN, "len", U32, BRIEF),
	FLD(KEEL_VDEV_INFO_A_STARTED, "started", KEEL_FIELD_TYPE_U8, BOOL,
	    BRIEF),
	FLD(KEEL_VDEV_INFO_A_IRQ_MODE, "irq_mode", U32,
	    ENUM("none", "edge", "level"), BRIEF),
	FLD(KEEL_VDEV_INFO_A_IRQ_LINE, "irq_line", KEEL_FIELD_TYPE_U8, BOOL),
	FLD(KEEL_VDEV_INFO_A_REGS, "regs", KEEL_FIELD_TYPE_TABLE,
	    TABLE(KEEL_VDEV_INFO_A_REG, vdev_reg_tfields)),
	FLD(KEEL_VDEV_INFO_A_BYTES_OUT, "bytes_out", U64, BYTES,
	    BRIEF_COUNTER),
	FLD(KEEL_VDEV_INFO_A_BYTES_IN, "bytes_in", U64, BYTES, BRIEF_COUNTER),
	FLD(KEEL_VDEV_INFO_A_IRQS, "irqs", U64, BRIEF_COUNTER),
	FLD(KEEL_VDEV_INFO_A_EXITS_KEPT, "exits_kept", U64, BRIEF_COUNTER),
	FLD(KEEL_VDEV_INFO_A_IRQ_LOOPS, "irq_loops", U64, COUNTER),
	END
};

#define STATES	ENUM("none", "running", "failed")

static const struct tfield ring_tfields[] = {
	FLD(KEEL_RING_INFO_A_SLOTS, "slots", U32, BRIEF),
	FLD(KEEL_RING_INFO_A_SLOT_SIZE, "slot_size", U32, BYTES, BRIEF),
	FLD(KEEL_RING_INFO_A_FLAGS, "flags", U32,
	    FLAGS("idx64", "autocommit", "eventfd")),
	FLD(KEEL_RING_INFO_A_INDEX_BITS, "index_bits", U32),
	FLD(KEEL_RING_INFO_A_HEAD, "head", U64),
	FLD(KEEL_RING_INFO_A_OUT_TAIL, "out_tail", U64),
	FLD(KEEL_RING_INFO_A_BUF_TAIL, "buf_tail", U64),
	FLD(KEEL_RING_INFO_A_FETCHABLE, "fetchable", U64, BRIEF),
	FLD(KEEL_RING_INFO_A_UNCOMMITTED, "uncommitted", U64, BRIEF),
	FLD(KEEL_RING_INFO_A_PRODUCED, "produced", U64, BRIEF_COUNTER),
	FLD(KEEL_RING_INFO_A_COMMITTED, "committed", U64, BRIEF_COUNTER),
	FLD(KEEL_RING_INFO_A_FETCHED, "fetched", U64, BRIEF_COUNTER),
	FLD(KEEL_RING_INFO_A_BYTES_IN, "bytes_in", U64, BYTES, COUNTER),
	FLD(KEEL_RING_INFO_A_BYTES_OUT, "bytes_out", U64, BYTES, COUNTER),
	FLD(KEEL_RING_INFO_A_FULL_NS, "full_ns", U64, NS, BRIEF_COUNTER),
	FLD(KEEL_RING_INFO_A_BAD_INDEX, "bad_index", U64, COUNTER),
	FLD(KEEL_RING_INFO_A_BAD_ENTRY, "bad_entry", U64, COUNTER),
	FLD(KEEL_RING_INFO_A_REPL_LAG, "repl_lag", U64, BRIEF),
	FLD(KEEL_RING_INFO_A_FETCH_STATE, "fetch_state", U32, STATES),
	FLD(KEEL_RING_INFO_A_FETCH_ERR, "fetch_err", U32, ERRNO),
	FLD(KEEL_RING_INFO_A_REPL_ROLE, "repl_role", U32,
	    ENUM("none", "primary", "backup")),
	FLD(KEEL_RING_INFO_A_REPL_STATE, "repl_state", U32, STATES),
	FLD(KEEL_RING_INFO_A_REPL_ERR, "repl_err", U32, ERRNO),
	FLD(KEEL_RING_INFO_A_REPL_SENT, "repl_sent", U64, COUNTER),
	FLD(KEEL_RING_INFO_A_REPL_ACKED, "repl_acked", U64, COUNTER),
	END
};

/* One field as a nest of type @nest_attr, as keel.ko describes it. */
static inline void put_tfield(struct nlmsghdr *nlh, uint16_t nest_attr,
			      const struct tfield *f)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, nest_attr);
	const char *const *w;
	const struct tfield *sub;

	mnl_attr_put_u32(nlh, KEEL_FIELD_A_ATTR, f->attr);
	mnl_attr_put_strz(nlh, KEEL_FIELD_A_NAME, f->name);
	mnl_attr_put_u32(nlh, KEEL_FIELD_A_TYPE, f->type);
	mnl_attr_put_u32(nlh, KEEL_FIELD_A_UNIT, f->unit);
	mnl_attr_put_u32(nlh, KEEL_FIELD_A_FORMAT, f->format);
	mnl_attr_put_u32(nlh, KEEL_FIELD_A_FLAGS, f->flags);
	for (w = f->words; w && *w; w++)
		mnl_attr_put_strz(nlh, KEEL_FIELD_A_WORD, *w);
	if (f->type == KEEL_FIELD_TYPE_TABLE) {
		mnl_attr_put_u32(nlh, KEEL_FIELD_A_ENTRY, f->entry);
		for (sub = f->fields; sub && sub->name; sub++)
			put_tfield(nlh, KEEL_FIELD_A_FIELD, sub);
	}
	mnl_attr_nest_end(nlh, nest);
}

/* A KEEL_A_TYPE nest; the caller may add to it before ending it. */
static inline struct nlattr *put_type_start(struct nlmsghdr *nlh,
					    const char *name,
					    const char *part,
					    const struct tfield *fields)
{
	struct nlattr *nest = mnl_attr_nest_start(nlh, KEEL_A_TYPE);

	mnl_attr_put_strz(nlh, KEEL_TYPE_A_NAME, name);
	if (part)
		mnl_attr_put_strz(nlh, KEEL_TYPE_A_PART, part);
	for (; fields && fields->name; fields++)
		put_tfield(nlh, KEEL_TYPE_A_FIELD, fields);
	return nest;
}

/* A TYPE_GET reply message in @buf (@len bytes). */
static inline struct nlmsghdr *type_msg_start(void *buf, size_t len)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	memset(buf, 0, len);
	nlh = mnl_nlmsg_put_header(buf);
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = KEEL_CMD_TYPE_GET;
	genl->version = KEEL_GENL_VERSION;
	return nlh;
}

/* The three types as a dump would give them, parsed; 0 or an errno. */
static inline int kernel_types(struct keel_types *types)
{
	static char buf[16384];
	struct nlmsghdr *nlh = type_msg_start(buf, sizeof(buf));

	mnl_attr_nest_end(nlh, put_type_start(nlh, "vm", "core", vm_tfields));
	mnl_attr_nest_end(nlh, put_type_start(nlh, "vdev", "vdev",
					      vdev_tfields));
	mnl_attr_nest_end(nlh, put_type_start(nlh, "ring", "ring",
					      ring_tfields));
	memset(types, 0, sizeof(*types));
	return keel_types_parse(nlh, types);
}

#endif /* KEEL_TYPE_DESC_H */
