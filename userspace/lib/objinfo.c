// SPDX-License-Identifier: GPL-2.0
/*
 * KEEL_OBJ_A_INFO by object type: the name and kind of each per-type
 * attribute, so that tools print them without knowing every type. A new
 * object type adds one table here; attributes no table names (a newer
 * module, an older tool) are still shown, generically.
 */
#include <stdio.h>
#include <string.h>

#include <linux/keel_ring.h>
#include <linux/keel_vdev.h>

#include "internal.h"

struct info_field {
	const char *name;
	enum keel_info_kind kind;
	/* Instead of @kind (and for nests): true if @a was decoded. */
	bool (*decode)(const struct keel_info_attr *a,
		       struct keel_info_val *v);
};

struct info_type {
	const char *type;
	const struct info_field *fields;
	uint16_t max;
};

static const struct info_field vm_fields[] = {
	[KEEL_VM_INFO_A_VCPUS] = { "vcpus", KEEL_INFO_UINT },
	[KEEL_VM_INFO_A_DEAD] = { "dead", KEEL_INFO_BOOL },
};

static bool decode_uint(const struct keel_info_attr *a, uint64_t *u);

/* A number that names one of @n words; other numbers stay numbers. */
static bool decode_word(const struct keel_info_attr *a,
			struct keel_info_val *v, const char *const *words,
			size_t n)
{
	uint64_t u;

	if (a->nested || a->len != 4 || !decode_uint(a, &u))
		return false;
	if (u < n && words[u]) {
		v->kind = KEEL_INFO_STRING;
		v->s = words[u];
	} else {
		v->kind = KEEL_INFO_UINT;
		v->u = u;
	}
	return true;
}

static bool vdev_bus(const struct keel_info_attr *a, struct keel_info_val *v)
{
	static const char *const buses[] = {
		[KEEL_VDEV_BUS_PIO] = "pio",
		[KEEL_VDEV_BUS_MMIO] = "mmio",
	};

	return decode_word(a, v, buses, sizeof(buses) / sizeof(buses[0]));
}

static bool vdev_irq_mode(const struct keel_info_attr *a,
			  struct keel_info_val *v)
{
	static const char *const modes[] = { "none", "edge", "level" };

	return decode_word(a, v, modes, sizeof(modes) / sizeof(modes[0]));
}

/*
 * KEEL_VDEV_INFO_A_REGS in one number: the guest's register accesses,
 * reads and writes of every register added up.
 */
static bool vdev_regs(const struct keel_info_attr *a, struct keel_info_val *v)
{
	const char *end = (const char *)a->data + a->len;
	const struct nlattr *reg, *r;
	uint64_t sum = 0;

	if (!a->nested)
		return false;
	for (reg = a->data; mnl_attr_ok(reg, end - (const char *)reg);
	     reg = mnl_attr_next(reg)) {
		if (mnl_attr_get_type(reg) != KEEL_VDEV_INFO_A_REG)
			continue;
		mnl_attr_for_each_nested(r, reg) {
			uint16_t t = mnl_attr_get_type(r);

			if (t != KEEL_VDEV_REG_A_READS &&
			    t != KEEL_VDEV_REG_A_WRITES)
				continue;
			if (mnl_attr_validate(r, MNL_TYPE_U64) < 0)
				return false;
			sum += mnl_attr_get_u64(r);
		}
	}
	v->kind = KEEL_INFO_UINT;
	v->u = sum;
	return true;
}

static const struct info_field vdev_fields[] = {
	[KEEL_VDEV_INFO_A_MODEL] = { "model", KEEL_INFO_STRING, NULL },
	[KEEL_VDEV_INFO_A_MODEL_ID] = { "model_id", KEEL_INFO_UINT, NULL },
	[KEEL_VDEV_INFO_A_BUS] = { "bus", KEEL_INFO_UINT, vdev_bus },
	[KEEL_VDEV_INFO_A_BASE] = { "base", KEEL_INFO_UINT, NULL },
	[KEEL_VDEV_INFO_A_LEN] = { "len", KEEL_INFO_UINT, NULL },
	[KEEL_VDEV_INFO_A_STARTED] = { "started", KEEL_INFO_BOOL, NULL },
	[KEEL_VDEV_INFO_A_IRQ_MODE] = { "irq", KEEL_INFO_UINT, vdev_irq_mode },
	[KEEL_VDEV_INFO_A_IRQ_LINE] = { "line", KEEL_INFO_BOOL, NULL },
	[KEEL_VDEV_INFO_A_REGS] = { "reg_accesses", KEEL_INFO_UINT, vdev_regs },
	[KEEL_VDEV_INFO_A_BYTES_OUT] = { "bytes_out", KEEL_INFO_UINT, NULL },
	[KEEL_VDEV_INFO_A_BYTES_IN] = { "bytes_in", KEEL_INFO_UINT, NULL },
	[KEEL_VDEV_INFO_A_IRQS] = { "irqs", KEEL_INFO_UINT, NULL },
	[KEEL_VDEV_INFO_A_EXITS_KEPT] = { "exits_kept", KEEL_INFO_UINT, NULL },
};

static const struct info_field ring_fields[] = {
	[KEEL_RING_INFO_A_SLOTS] = { "slots", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_SLOT_SIZE] = { "slot_size", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_FLAGS] = { "flags", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_HEAD] = { "head", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_OUT_TAIL] = { "out_tail", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_BUF_TAIL] = { "buf_tail", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_PRODUCED] = { "produced", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_COMMITTED] = { "committed", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_FETCHED] = { "fetched", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_BYTES_IN] = { "bytes_in", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_BYTES_OUT] = { "bytes_out", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_FULL_NS] = { "full_ns", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_BAD_INDEX] = { "bad_index", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_BAD_ENTRY] = { "bad_entry", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_REPL_LAG] = { "repl_lag", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_FETCH_STATE] = { "fetch_state", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_FETCH_ERR] = { "fetch_err", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_REPL_ROLE] = { "repl_role", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_REPL_STATE] = { "repl_state", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_REPL_ERR] = { "repl_err", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_REPL_SENT] = { "repl_sent", KEEL_INFO_UINT, NULL },
	[KEEL_RING_INFO_A_REPL_ACKED] = { "repl_acked", KEEL_INFO_UINT, NULL },
};

static const struct info_type info_types[] = {
	{ "vm", vm_fields, KEEL_LAST_INDEX(vm_fields) },
	{ "vdev", vdev_fields, KEEL_LAST_INDEX(vdev_fields) },
	{ "ring", ring_fields, KEEL_LAST_INDEX(ring_fields) },
};

static const struct info_field *find_field(const char *type, uint16_t attr)
{
	size_t i;

	if (!type)
		return NULL;
	for (i = 0; i < sizeof(info_types) / sizeof(info_types[0]); i++) {
		const struct info_type *t = &info_types[i];

		if (strcmp(t->type, type))
			continue;
		if (attr > t->max || !t->fields[attr].name)
			return NULL;
		return &t->fields[attr];
	}
	return NULL;
}

static bool decode_uint(const struct keel_info_attr *a, uint64_t *u)
{
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;

	switch (a->len) {
	case 1:
		memcpy(&u8, a->data, 1);
		*u = u8;
		return true;
	case 2:
		memcpy(&u16, a->data, 2);
		*u = u16;
		return true;
	case 4:
		memcpy(&u32, a->data, 4);
		*u = u32;
		return true;
	case 8:
		memcpy(u, a->data, 8);
		return true;
	default:
		return false;
	}
}

uint64_t keel_obj_info_uint(const struct keel_obj *o, uint16_t type)
{
	const struct keel_info_attr *a = keel_obj_info(o, type);
	uint64_t u;

	return a && !a->nested && decode_uint(a, &u) ? u : 0;
}

static bool is_cstring(const struct keel_info_attr *a, bool printable)
{
	const char *s = a->data;
	uint16_t i;

	if (!a->len || s[a->len - 1])
		return false;
	for (i = 0; printable && i + 1 < a->len; i++) {
		if (s[i] < 0x20 || s[i] > 0x7e)
			return false;
	}
	return true;
}

/* Decode @a as @kind; false if its length does not fit that kind. */
static bool decode_as(enum keel_info_kind kind,
		      const struct keel_info_attr *a, struct keel_info_val *v)
{
	switch (kind) {
	case KEEL_INFO_BOOL:
		if (a->len != 1)
			return false;
		v->b = *(const uint8_t *)a->data != 0;
		break;
	case KEEL_INFO_UINT:
		if (!decode_uint(a, &v->u))
			return false;
		break;
	case KEEL_INFO_STRING:
		if (!is_cstring(a, false))
			return false;
		v->s = a->data;
		break;
	case KEEL_INFO_RAW:
		v->raw = a->data;
		v->rawlen = a->len;
		break;
	}
	v->kind = kind;
	return true;
}

void keel_info_decode(const char *obj_type, const struct keel_info_attr *a,
		      struct keel_info_val *v)
{
	const struct info_field *f = find_field(obj_type, a->type);

	memset(v, 0, sizeof(*v));
	if (f && (f->decode ? f->decode(a, v) :
		  !a->nested && decode_as(f->kind, a, v))) {
		v->name = f->name;
		v->known = true;
		return;
	}

	snprintf(v->namebuf, sizeof(v->namebuf), "attr%u", a->type);
	v->name = v->namebuf;
	if (!a->nested && decode_as(KEEL_INFO_UINT, a, v))
		return;
	if (!a->nested && is_cstring(a, true)) {
		decode_as(KEEL_INFO_STRING, a, v);
		return;
	}
	decode_as(KEEL_INFO_RAW, a, v);
}

int keel_info_format(const struct keel_info_val *v, char *buf, size_t len)
{
	size_t i, n;
	int off;

	switch (v->kind) {
	case KEEL_INFO_BOOL:
		return snprintf(buf, len, "%s", v->b ? "yes" : "no");
	case KEEL_INFO_UINT:
		return snprintf(buf, len, "%llu", (unsigned long long)v->u);
	case KEEL_INFO_STRING:
		return snprintf(buf, len, "%s", v->s);
	case KEEL_INFO_RAW:
		break;
	}

	/* "0x" and two digits a byte; "..." when @buf is too short. */
	off = snprintf(buf, len, "0x");
	n = len > 6 ? (len - 6) / 2 : 0;
	for (i = 0; i < v->rawlen && i < n; i++)
		off += snprintf(buf + off, len - off, "%02x", v->raw[i]);
	if (i < v->rawlen && len > (size_t)off)
		off += snprintf(buf + off, len - off, "...");
	return off;
}
