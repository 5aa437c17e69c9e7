// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl vdev: the in-kernel virtual devices of keel_vdev.ko (objects of
 * type "vdev"), listed or shown one by id with their access counters.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
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

static uint64_t info_uint(const struct keel_obj *o, uint16_t type)
{
	const struct keel_info_attr *a = keel_obj_info(o, type);
	uint64_t u64;
	uint32_t u32;

	if (!a || a->nested)
		return 0;
	switch (a->len) {
	case 1:
		return *(const uint8_t *)a->data;
	case 4:
		memcpy(&u32, a->data, 4);
		return u32;
	case 8:
		memcpy(&u64, a->data, 8);
		return u64;
	}
	return 0;
}

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
	d->model_id = info_uint(o, KEEL_VDEV_INFO_A_MODEL_ID);
	d->bus = info_uint(o, KEEL_VDEV_INFO_A_BUS);
	d->base = info_uint(o, KEEL_VDEV_INFO_A_BASE);
	d->len = info_uint(o, KEEL_VDEV_INFO_A_LEN);
	d->started = info_uint(o, KEEL_VDEV_INFO_A_STARTED);
	d->irq_mode = info_uint(o, KEEL_VDEV_INFO_A_IRQ_MODE);
	d->line = info_uint(o, KEEL_VDEV_INFO_A_IRQ_LINE);
	d->bytes_out = info_uint(o, KEEL_VDEV_INFO_A_BYTES_OUT);
	d->bytes_in = info_uint(o, KEEL_VDEV_INFO_A_BYTES_IN);
	d->irqs = info_uint(o, KEEL_VDEV_INFO_A_IRQS);
	d->exits_kept = info_uint(o, KEEL_VDEV_INFO_A_EXITS_KEPT);
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

static int do_list(struct keelctl *k)
{
	struct keel_objs list;
	struct vdev d;
	size_t i;
	int rc;

	rc = keelctl_connect(k);
	if (rc)
		return rc;
	if (keel_obj_dump(k->sock, "vdev", &list))
		return keelctl_fail("vdev", keel_last_error(k->sock));
	if (k->json) {
		struct json_object *arr = json_object_new_array();

		for (i = 0; i < list.n; i++) {
			vdev_decode(&list.v[i], &d);
			json_object_array_add(arr, vdev_json(&d));
		}
		rc = keelctl_print_json(k, arr);
	} else {
		rc = print_table(&list);
	}
	keel_objs_free(&list);
	return rc;
}

static int do_show(struct keelctl *k, uint32_t id)
{
	struct keel_obj o;
	struct vdev d;
	int rc;

	rc = keelctl_connect(k);
	if (rc)
		return rc;
	if (keel_obj_get(k->sock, id, &o))
		return keelctl_fail("vdev show", keel_last_error(k->sock));
	if (!o.type || strcmp(o.type, "vdev")) {
		fprintf(stderr, "keelctl: vdev show: object %u is a %s, not a vdev\n",
			id, fmt_str(o.type));
		keel_obj_free(&o);
		return KEELCTL_EXIT_FAIL;
	}
	vdev_decode(&o, &d);
	if (k->json) {
		rc = keelctl_print_json(k, vdev_json(&d));
	} else {
		print_one(&d);
		rc = KEELCTL_EXIT_OK;
	}
	keel_obj_free(&o);
	return rc;
}

static int run(struct keelctl *k, const struct keelctl_cmd *cmd, int argc,
	       char **argv)
{
	static const struct option longopts[] = {
		KEELCTL_LONGOPTS,
		{ NULL, 0, NULL, 0 }
	};
	const char *sub = "list";
	uint32_t id;
	int c, rc;

	while ((c = keelctl_getopt(k, cmd, argc, argv, KEELCTL_OPTSTRING,
				   longopts, &rc)) != -1) {
		if (c == KEELCTL_OPT_EXIT)
			return rc;
	}
	argc -= optind;
	argv += optind;
	if (argc > 0)
		sub = argv[0];

	if (!strcmp(sub, "list")) {
		if (argc > 1)
			return keelctl_usage_error(cmd, "unexpected argument '%s'",
						   argv[1]);
		return do_list(k);
	}
	if (!strcmp(sub, "show")) {
		if (argc != 2)
			return keelctl_usage_error(cmd, "show needs one device id");
		if (keelctl_parse_id(argv[1], &id))
			return keelctl_usage_error(cmd, "bad device id '%s'",
						   argv[1]);
		return do_show(k, id);
	}
	return keelctl_usage_error(cmd, "unknown subcommand '%s'", sub);
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
