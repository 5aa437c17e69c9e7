// SPDX-License-Identifier: GPL-2.0
/*
 * keelctl ring: the ring buffers of keel_ring.ko (objects of type
 * "ring"), listed or shown one by id with their indices and counters.
 */
#include <inttypes.h>
#include <string.h>

#include <json-c/json.h>
#include <linux/keel_ring.h>

#include "keelctl.h"

/* A "ring" object's INFO; what the kernel did not send stays zero. */
struct ring {
	const struct keel_obj *o;
	uint32_t slots, slot_size, flags;
	uint64_t head, out_tail, buf_tail;
	uint64_t produced, committed, fetched, bytes_in, bytes_out;
	uint64_t full_ns, bad_index, bad_entry, repl_lag;
	uint32_t fetch_state, fetch_err, repl_role, repl_state, repl_err;
	uint64_t repl_sent, repl_acked;
};

static void ring_decode(const struct keel_obj *o, struct ring *r)
{
	memset(r, 0, sizeof(*r));
	r->o = o;
	r->slots = keel_obj_info_uint(o, KEEL_RING_INFO_A_SLOTS);
	r->slot_size = keel_obj_info_uint(o, KEEL_RING_INFO_A_SLOT_SIZE);
	r->flags = keel_obj_info_uint(o, KEEL_RING_INFO_A_FLAGS);
	r->head = keel_obj_info_uint(o, KEEL_RING_INFO_A_HEAD);
	r->out_tail = keel_obj_info_uint(o, KEEL_RING_INFO_A_OUT_TAIL);
	r->buf_tail = keel_obj_info_uint(o, KEEL_RING_INFO_A_BUF_TAIL);
	r->produced = keel_obj_info_uint(o, KEEL_RING_INFO_A_PRODUCED);
	r->committed = keel_obj_info_uint(o, KEEL_RING_INFO_A_COMMITTED);
	r->fetched = keel_obj_info_uint(o, KEEL_RING_INFO_A_FETCHED);
	r->bytes_in = keel_obj_info_uint(o, KEEL_RING_INFO_A_BYTES_IN);
	r->bytes_out = keel_obj_info_uint(o, KEEL_RING_INFO_A_BYTES_OUT);
	r->full_ns = keel_obj_info_uint(o, KEEL_RING_INFO_A_FULL_NS);
	r->bad_index = keel_obj_info_uint(o, KEEL_RING_INFO_A_BAD_INDEX);
	r->bad_entry = keel_obj_info_uint(o, KEEL_RING_INFO_A_BAD_ENTRY);
	r->repl_lag = keel_obj_info_uint(o, KEEL_RING_INFO_A_REPL_LAG);
	r->fetch_state = keel_obj_info_uint(o, KEEL_RING_INFO_A_FETCH_STATE);
	r->fetch_err = keel_obj_info_uint(o, KEEL_RING_INFO_A_FETCH_ERR);
	r->repl_role = keel_obj_info_uint(o, KEEL_RING_INFO_A_REPL_ROLE);
	r->repl_state = keel_obj_info_uint(o, KEEL_RING_INFO_A_REPL_STATE);
	r->repl_err = keel_obj_info_uint(o, KEEL_RING_INFO_A_REPL_ERR);
	r->repl_sent = keel_obj_info_uint(o, KEEL_RING_INFO_A_REPL_SENT);
	r->repl_acked = keel_obj_info_uint(o, KEEL_RING_INFO_A_REPL_ACKED);
}

static const char *state_name(uint32_t state)
{
	static const char *const names[] = { "none", "running", "failed" };

	return state < 3 ? names[state] : "?";
}

static const char *role_name(uint32_t role)
{
	return role == KEEL_RING_REPL_PRIMARY ? "primary" :
	       role == KEEL_RING_REPL_BACKUP ? "backup" :
	       role ? "?" : "none";
}

/* Entries between two indices, modulo the ring's index width. */
static uint64_t ring_dist(const struct ring *r, uint64_t a, uint64_t b)
{
	uint64_t mask = r->flags & KEEL_RING_SETUP_IDX64 ? UINT64_MAX :
							   UINT32_MAX;

	return (a - b) & mask;
}

static struct json_object *ring_json(const struct ring *r)
{
	struct json_object *j = json_object_new_object();
	const struct keel_obj *o = r->o;

#define ADD(key, val)	json_object_object_add(j, key, val)
#define ADDU(key, val)	ADD(key, json_object_new_uint64(val))
	ADDU("id", o->id);
	ADD("label", o->label ? json_object_new_string(o->label) : NULL);
	ADDU("owner_pid", o->owner_pid);
	ADDU("created_ns", o->created_ns);
	ADDU("slots", r->slots);
	ADDU("slot_size", r->slot_size);
	ADDU("index_bits", r->flags & KEEL_RING_SETUP_IDX64 ? 64 : 32);
	ADD("autocommit",
	    json_object_new_boolean(r->flags & KEEL_RING_SETUP_AUTOCOMMIT));
	ADD("eventfd",
	    json_object_new_boolean(r->flags & KEEL_RING_SETUP_EVENTFD));
	ADDU("head", r->head);
	ADDU("out_tail", r->out_tail);
	ADDU("buf_tail", r->buf_tail);
	ADDU("fetchable", ring_dist(r, r->out_tail, r->head));
	ADDU("uncommitted", ring_dist(r, r->buf_tail, r->out_tail));
	ADDU("produced", r->produced);
	ADDU("committed", r->committed);
	ADDU("fetched", r->fetched);
	ADDU("bytes_in", r->bytes_in);
	ADDU("bytes_out", r->bytes_out);
	ADDU("full_ns", r->full_ns);
	ADDU("bad_index", r->bad_index);
	ADDU("bad_entry", r->bad_entry);
	ADDU("repl_lag", r->repl_lag);
	ADD("fetch_state", json_object_new_string(state_name(r->fetch_state)));
	ADDU("fetch_err", r->fetch_err);
	ADD("repl_role", json_object_new_string(role_name(r->repl_role)));
	ADD("repl_state", json_object_new_string(state_name(r->repl_state)));
	ADDU("repl_err", r->repl_err);
	ADDU("repl_sent", r->repl_sent);
	ADDU("repl_acked", r->repl_acked);
#undef ADDU
#undef ADD
	return j;
}

static int print_table(const struct keel_objs *list)
{
	static const char *const hdr[] = {
		"ID", "LABEL", "SLOTS", "SIZE", "FETCHABLE", "UNCOMMITTED",
		"PRODUCED", "COMMITTED", "FETCHED", "FULL-MS", "LAG",
	};
	struct table *t = table_new(11, hdr);
	struct ring r;
	size_t i;

	if (!t)
		goto nomem;
	for (i = 0; i < list->n; i++) {
		ring_decode(&list->v[i], &r);
		if (table_cell(t, "%u", r.o->id) ||
		    table_cell(t, "%s", fmt_str(r.o->label)) ||
		    table_cell(t, "%u", r.slots) ||
		    table_cell(t, "%u", r.slot_size) ||
		    table_cell(t, "%" PRIu64, ring_dist(&r, r.out_tail, r.head)) ||
		    table_cell(t, "%" PRIu64,
			       ring_dist(&r, r.buf_tail, r.out_tail)) ||
		    table_cell(t, "%" PRIu64, r.produced) ||
		    table_cell(t, "%" PRIu64, r.committed) ||
		    table_cell(t, "%" PRIu64, r.fetched) ||
		    table_cell(t, "%" PRIu64, r.full_ns / 1000000) ||
		    table_cell(t, "%" PRIu64, r.repl_lag))
			goto nomem;
	}
	table_print(t, stdout, 0);
	table_free(t);
	return KEELCTL_EXIT_OK;
nomem:
	table_free(t);
	fputs("keelctl: ring: out of memory\n", stderr);
	return KEELCTL_EXIT_FAIL;
}

static void print_one(const struct ring *r)
{
	const struct keel_obj *o = r->o;
	char age[32], bytes[32];

	print_kv(stdout, 0, "id", "%u", o->id);
	print_kv(stdout, 0, "label", "%s", fmt_str(o->label));
	print_kv(stdout, 0, "owner pid", "%u", o->owner_pid);
	obj_age_text(o, boottime_ns(), age, sizeof(age));
	print_kv(stdout, 0, "age", "%s", age);
	print_kv(stdout, 0, "slots", "%u x %u bytes", r->slots, r->slot_size);
	print_kv(stdout, 0, "indices", "%u-bit%s%s",
		 r->flags & KEEL_RING_SETUP_IDX64 ? 64 : 32,
		 r->flags & KEEL_RING_SETUP_AUTOCOMMIT ? ", autocommit" : "",
		 r->flags & KEEL_RING_SETUP_EVENTFD ? ", eventfd" : "");
	print_kv(stdout, 0, "head", "%" PRIu64, r->head);
	print_kv(stdout, 0, "outgoing tail", "%" PRIu64 " (%" PRIu64
		 " fetchable)", r->out_tail, ring_dist(r, r->out_tail, r->head));
	print_kv(stdout, 0, "buffer tail", "%" PRIu64 " (%" PRIu64
		 " uncommitted)", r->buf_tail,
		 ring_dist(r, r->buf_tail, r->out_tail));
	print_kv(stdout, 0, "produced", "%" PRIu64, r->produced);
	print_kv(stdout, 0, "committed", "%" PRIu64, r->committed);
	print_kv(stdout, 0, "fetched", "%" PRIu64, r->fetched);
	fmt_bytes(r->bytes_in, bytes, sizeof(bytes));
	print_kv(stdout, 0, "bytes in", "%" PRIu64 " (%s)", r->bytes_in,
		 bytes);
	fmt_bytes(r->bytes_out, bytes, sizeof(bytes));
	print_kv(stdout, 0, "bytes out", "%" PRIu64 " (%s)", r->bytes_out,
		 bytes);
	print_kv(stdout, 0, "time full", "%" PRIu64 " ms",
		 r->full_ns / 1000000);
	print_kv(stdout, 0, "bad indices", "%" PRIu64, r->bad_index);
	print_kv(stdout, 0, "bad entries", "%" PRIu64, r->bad_entry);
	print_kv(stdout, 0, "fetch engine", "%s%s%s",
		 state_name(r->fetch_state), r->fetch_err ? ": " : "",
		 r->fetch_err ? strerror(r->fetch_err) : "");
	print_kv(stdout, 0, "replication", "%s, %s%s%s", role_name(r->repl_role),
		 state_name(r->repl_state), r->repl_err ? ": " : "",
		 r->repl_err ? strerror(r->repl_err) : "");
	print_kv(stdout, 0, "replicated", "%" PRIu64 " sent, %" PRIu64
		 " acknowledged", r->repl_sent, r->repl_acked);
	print_kv(stdout, 0, "replication lag", "%" PRIu64, r->repl_lag);
}

static void ring_print_one(const struct keel_obj *o)
{
	struct ring r;

	ring_decode(o, &r);
	print_one(&r);
}

static struct json_object *ring_obj_json(const struct keel_obj *o)
{
	struct ring r;

	ring_decode(o, &r);
	return ring_json(&r);
}

static const struct keelctl_typed ring_typed = {
	.type = "ring",
	.noun = "ring",
	.print_table = print_table,
	.print_one = ring_print_one,
	.json = ring_obj_json,
};

static int run(struct keelctl *k, const struct keelctl_cmd *cmd, int argc,
	       char **argv)
{
	return keelctl_typed_run(k, cmd, argc, argv, &ring_typed);
}

const struct keelctl_cmd keelctl_cmd_ring = {
	.name = "ring",
	.synopsis = "ring [list]\nring show ID",
	.summary = "List the ring buffers, or show one.",
	.help = "  list      one line per ring (the default): id, label, slots,\n"
		"            slot size, entries fetchable and not yet committed,\n"
		"            entries produced, committed and fetched, time spent\n"
		"            full and the entries awaiting a backup's ack (LAG)\n"
		"  show ID   every index and counter of one ring\n",
	.options = NULL,
	.run = run,
};
