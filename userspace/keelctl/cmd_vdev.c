// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl vdev: the in-kernel virtual devices of keel_vdev.ko (objects of
 * type "vdev"), listed or shown one by id with their access counters.
 */
#include <inttypes.h>
#include <string.h>

#include <json-c/json.h>
#include <linux/keel_vdev.h>

#include "keelctl.h"

#define VDEV_MAX_REGS	64

struct vdev_reg {
	uint32_t offset;
	uint64_t reads, writes;
};

/* A "vdev" object's INFO; what the kernel did not send stays zero. */
struct vdev {
	const struct keel_obj *o;
	const char *model;
	uint32_t model_id, bus, len, irq_mode;
	uint64_t base, bytes_out, bytes_in, irqs, exits_kept;
	bool started, line;
	struct vdev_reg regs[VDEV_MAX_REGS];
	size_t nregs;
};

static void parse_regs(struct vdev *d, const struct keel_info_attr *a)
{
	const char *end = (const char *)a->data + a->len;
	const struct nlattr *reg, *r;

	for (reg = a->data; mnl_attr_ok(reg, end - (const char *)reg) &&
	     d->nregs < VDEV_MAX_REGS; reg = mnl_attr_next(reg)) {
		struct vdev_reg *v = &d->regs[d->nregs];

		if (mnl_attr_get_type(reg) != KEEL_VDEV_INFO_A_REG)
			continue;
		memset(v, 0, sizeof(*v));
		mnl_attr_for_each_nested(r, reg) {
			switch (mnl_attr_get_type(r)) {
			case KEEL_VDEV_REG_A_OFFSET:
				if (!mnl_attr_validate(r, MNL_TYPE_U32))
					v->offset = mnl_attr_get_u32(r);
				break;
			case KEEL_VDEV_REG_A_READS:
				if (!mnl_attr_validate(r, MNL_TYPE_U64))
					v->reads = mnl_attr_get_u64(r);
				break;
			case KEEL_VDEV_REG_A_WRITES:
				if (!mnl_attr_validate(r, MNL_TYPE_U64))
					v->writes = mnl_attr_get_u64(r);
				break;
			}
		}
		d->nregs++;
	}
}

static void vdev_decode(const struct keel_obj *o, struct vdev *d)
{
	const struct keel_info_attr *a;

	memset(d, 0, sizeof(*d));
	d->o = o;
	a = keel_obj_info(o, KEEL_VDEV_INFO_A_MODEL);
	if (a && !a->nested && a->len && !((char *)a->data)[a->len - 1])
		d->model = a->data;
	d->model_id = keel_obj_info_uint(o, KEEL_VDEV_INFO_A_MODEL_ID);
	d->bus = keel_obj_info_uint(o, KEEL_VDEV_INFO_A_BUS);
	d->base = keel_obj_info_uint(o, KEEL_VDEV_INFO_A_BASE);
	d->len = keel_obj_info_uint(o, KEEL_VDEV_INFO_A_LEN);
	d->started = keel_obj_info_uint(o, KEEL_VDEV_INFO_A_STARTED);
	d->irq_mode = keel_obj_info_uint(o, KEEL_VDEV_INFO_A_IRQ_MODE);
	d->line = keel_obj_info_uint(o, KEEL_VDEV_INFO_A_IRQ_LINE);
	d->bytes_out = keel_obj_info_uint(o, KEEL_VDEV_INFO_A_BYTES_OUT);
	d->bytes_in = keel_obj_info_uint(o, KEEL_VDEV_INFO_A_BYTES_IN);
	d->irqs = keel_obj_info_uint(o, KEEL_VDEV_INFO_A_IRQS);
	d->exits_kept = keel_obj_info_uint(o, KEEL_VDEV_INFO_A_EXITS_KEPT);
	a = keel_obj_info(o, KEEL_VDEV_INFO_A_REGS);
	if (a && a->nested)
		parse_regs(d, a);
}

static const char *bus_name(uint32_t bus)
{
	return bus == KEEL_VDEV_BUS_PIO ? "pio" :
	       bus == KEEL_VDEV_BUS_MMIO ? "mmio" : "?";
}

static const char *irq_name(uint32_t mode)
{
	static const char *const names[] = { "none", "edge", "level" };

	return mode < 3 ? names[mode] : "?";
}

static struct json_object *vdev_json(const struct vdev *d)
{
	struct json_object *j = json_object_new_object();
	struct json_object *regs = json_object_new_array();
	const struct keel_obj *o = d->o;
	size_t i;

#define ADD(key, val)	json_object_object_add(j, key, val)
	ADD("id", json_object_new_uint64(o->id));
	ADD("label", o->label ? json_object_new_string(o->label) : NULL);
	ADD("owner_pid", json_object_new_uint64(o->owner_pid));
	ADD("vm_pid", json_object_new_uint64(o->vm_pid));
	ADD("created_ns", json_object_new_uint64(o->created_ns));
	ADD("model", d->model ? json_object_new_string(d->model) : NULL);
	ADD("model_id", json_object_new_uint64(d->model_id));
	ADD("bus", json_object_new_string(bus_name(d->bus)));
	ADD("base", json_object_new_uint64(d->base));
	ADD("len", json_object_new_uint64(d->len));
	ADD("started", json_object_new_boolean(d->started));
	ADD("irq_mode", json_object_new_string(irq_name(d->irq_mode)));
	ADD("irq_line", json_object_new_boolean(d->line));
	ADD("bytes_out", json_object_new_uint64(d->bytes_out));
	ADD("bytes_in", json_object_new_uint64(d->bytes_in));
	ADD("irqs", json_object_new_uint64(d->irqs));
	ADD("exits_kept", json_object_new_uint64(d->exits_kept));
#undef ADD
	for (i = 0; i < d->nregs; i++) {
		struct json_object *r = json_object_new_object();

		json_object_object_add(r, "offset",
				       json_object_new_uint64(d->regs[i].offset));
		json_object_object_add(r, "reads",
				       json_object_new_uint64(d->regs[i].reads));
		json_object_object_add(r, "writes",
				       json_object_new_uint64(d->regs[i].writes));
		json_object_array_add(regs, r);
	}
	json_object_object_add(j, "regs", regs);
	return j;
}

static int print_table(const struct keel_objs *list)
{
	static const char *const hdr[] = {
		"ID", "LABEL", "MODEL", "BUS", "BASE", "LEN", "STARTED", "IRQ",
		"OUT", "IN", "IRQS", "EXITS-KEPT",
	};
	struct table *t = table_new(12, hdr);
	struct vdev d;
	size_t i;

	if (!t)
		goto nomem;
	for (i = 0; i < list->n; i++) {
		vdev_decode(&list->v[i], &d);
		if (table_cell(t, "%u", d.o->id) ||
		    table_cell(t, "%s", fmt_str(d.o->label)) ||
		    table_cell(t, "%s", fmt_str(d.model)) ||
		    table_cell(t, "%s", bus_name(d.bus)) ||
		    table_cell(t, "0x%" PRIx64, d.base) ||
		    table_cell(t, "%u", d.len) ||
		    table_cell(t, "%s", fmt_bool(d.started)) ||
		    table_cell(t, "%s", irq_name(d.irq_mode)) ||
		    table_cell(t, "%" PRIu64, d.bytes_out) ||
		    table_cell(t, "%" PRIu64, d.bytes_in) ||
		    table_cell(t, "%" PRIu64, d.irqs) ||
		    table_cell(t, "%" PRIu64, d.exits_kept))
			goto nomem;
	}
	table_print(t, stdout, 0);
	table_free(t);
	return KEELCTL_EXIT_OK;
nomem:
	table_free(t);
	fputs("keelctl: vdev: out of memory\n", stderr);
	return KEELCTL_EXIT_FAIL;
}

static void print_one(const struct vdev *d)
{
	const struct keel_obj *o = d->o;
	char age[32];
	size_t i;

	print_kv(stdout, 0, "id", "%u", o->id);
	print_kv(stdout, 0, "label", "%s", fmt_str(o->label));
	print_kv(stdout, 0, "owner pid", "%u", o->owner_pid);
	if (o->vm_pid)
		print_kv(stdout, 0, "vm pid", "%u", o->vm_pid);
	else
		print_kv(stdout, 0, "vm pid", "-");
	obj_age_text(o, boottime_ns(), age, sizeof(age));
	print_kv(stdout, 0, "age", "%s", age);
	print_kv(stdout, 0, "model", "%s (%u)", fmt_str(d->model), d->model_id);
	print_kv(stdout, 0, "bus", "%s", bus_name(d->bus));
	print_kv(stdout, 0, "range", "0x%" PRIx64 "-0x%" PRIx64 " (%u)",
		 d->base, d->base + (d->len ? d->len - 1 : 0), d->len);
	print_kv(stdout, 0, "started", "%s", fmt_bool(d->started));
	print_kv(stdout, 0, "irq mode", "%s", irq_name(d->irq_mode));
	print_kv(stdout, 0, "irq line", "%s", d->line ? "high" : "low");
	print_kv(stdout, 0, "irqs", "%" PRIu64, d->irqs);
	print_kv(stdout, 0, "bytes out", "%" PRIu64, d->bytes_out);
	print_kv(stdout, 0, "bytes in", "%" PRIu64, d->bytes_in);
	print_kv(stdout, 0, "exits kept", "%" PRIu64, d->exits_kept);
	if (!d->nregs) {
		print_kv(stdout, 0, "registers", "-");
		return;
	}
	print_kv(stdout, 0, "registers", "offset reads writes");
	for (i = 0; i < d->nregs; i++)
		printf("  +%-6u %12" PRIu64 " %12" PRIu64 "\n",
		       d->regs[i].offset, d->regs[i].reads, d->regs[i].writes);
}

static void vdev_print_one(const struct keel_obj *o)
{
	struct vdev d;

	vdev_decode(o, &d);
	print_one(&d);
}

static struct json_object *vdev_obj_json(const struct keel_obj *o)
{
	struct vdev d;

	vdev_decode(o, &d);
	return vdev_json(&d);
}

static const struct keelctl_typed vdev_typed = {
	.type = "vdev",
	.noun = "device",
	.print_table = print_table,
	.print_one = vdev_print_one,
	.json = vdev_obj_json,
};

static int run(struct keelctl *k, const struct keelctl_cmd *cmd, int argc,
	       char **argv)
{
	return keelctl_typed_run(k, cmd, argc, argv, &vdev_typed);
}

const struct keelctl_cmd keelctl_cmd_vdev = {
	.name = "vdev",
	.synopsis = "vdev [list]\nvdev show ID",
	.summary = "List the in-kernel virtual devices, or show one.",
	.help = "  list      one line per device (the default): id, label, model,\n"
		"            bus, base, length, started, irq mode, bytes the guest\n"
		"            sent (OUT) and received (IN), irqfd signals and the\n"
		"            guest accesses handled in the kernel (EXITS-KEPT)\n"
		"  show ID   every detail of one device, with the reads and\n"
		"            writes of each register the guest accessed\n",
	.options = NULL,
	.run = run,
};
