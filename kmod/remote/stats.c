// SPDX-License-Identifier: GPL-2.0
/*
 * The "remote" object type: a remote device as the keel netlink family
 * lists it, its configuration, connection and counters in
 * KEEL_OBJ_A_INFO, one table line each, from one consistent snapshot.
 */
#include "remote.h"

/* What a "remote" object reports. */
struct keel_remote_info {
	u32 iface;
	u64 base;
	u8 started;
	u8 connected;
	u64 session;
	u64 capacity;
	u64 requests;
	u64 reads;
	u64 writes;
	u64 flushes;
	u64 bytes_read;
	u64 bytes_written;
	u64 errors;
	u32 in_flight;
	u64 reconnects;
	u64 replays;
	u64 disconnects;
	u64 bad_replies;
	u64 bad_descs;
	u64 lat_avg_ns;
	u64 lat_max_ns;
	u64 irqs;
	u64 bad_accesses;
};

#define S struct keel_remote_info
static const struct keel_info_field keel_remote_fields[] = {
	KEEL_INFO_U32(S, iface, KEEL_REMOTE_INFO_A_IFACE, KEEL_INFO_BRIEF,
		      KEEL_INFO_ENUM("none", "virtio-blk", "virtio-rng")),
	KEEL_INFO_U64(S, base, KEEL_REMOTE_INFO_A_BASE, KEEL_INFO_BRIEF,
		      KEEL_INFO_HEX),
	KEEL_INFO_BOOL(S, started, KEEL_REMOTE_INFO_A_STARTED, KEEL_INFO_BRIEF),
	KEEL_INFO_BOOL(S, connected, KEEL_REMOTE_INFO_A_CONNECTED,
		       KEEL_INFO_BRIEF),
	KEEL_INFO_U64(S, session, KEEL_REMOTE_INFO_A_SESSION, KEEL_INFO_HEX),
	KEEL_INFO_U64(S, capacity, KEEL_REMOTE_INFO_A_CAPACITY, KEEL_INFO_BYTES),
	KEEL_INFO_U64(S, requests, KEEL_REMOTE_INFO_A_REQUESTS,
		      KEEL_INFO_BRIEF_COUNTER),
	KEEL_INFO_U64(S, reads, KEEL_REMOTE_INFO_A_READS, KEEL_INFO_COUNTER),
	KEEL_INFO_U64(S, writes, KEEL_REMOTE_INFO_A_WRITES, KEEL_INFO_COUNTER),
	KEEL_INFO_U64(S, flushes, KEEL_REMOTE_INFO_A_FLUSHES, KEEL_INFO_COUNTER),
	KEEL_INFO_U64(S, bytes_read, KEEL_REMOTE_INFO_A_BYTES_READ,
		      KEEL_INFO_COUNTER, KEEL_INFO_BYTES),
	KEEL_INFO_U64(S, bytes_written, KEEL_REMOTE_INFO_A_BYTES_WRITTEN,
		      KEEL_INFO_COUNTER, KEEL_INFO_BYTES),
	KEEL_INFO_U64(S, errors, KEEL_REMOTE_INFO_A_ERRORS,
		      KEEL_INFO_BRIEF_COUNTER),
	KEEL_INFO_U32(S, in_flight, KEEL_REMOTE_INFO_A_IN_FLIGHT,
		      KEEL_INFO_BRIEF),
	KEEL_INFO_U64(S, reconnects, KEEL_REMOTE_INFO_A_RECONNECTS,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(S, replays, KEEL_REMOTE_INFO_A_REPLAYS, KEEL_INFO_COUNTER),
	KEEL_INFO_U64(S, disconnects, KEEL_REMOTE_INFO_A_DISCONNECTS,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(S, bad_replies, KEEL_REMOTE_INFO_A_BAD_REPLIES,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(S, bad_descs, KEEL_REMOTE_INFO_A_BAD_DESCS,
		      KEEL_INFO_COUNTER),
	KEEL_INFO_U64(S, lat_avg_ns, KEEL_REMOTE_INFO_A_LAT_AVG_NS,
		      KEEL_INFO_NS),
	KEEL_INFO_U64(S, lat_max_ns, KEEL_REMOTE_INFO_A_LAT_MAX_NS,
		      KEEL_INFO_NS),
	KEEL_INFO_U64(S, irqs, KEEL_REMOTE_INFO_A_IRQS, KEEL_INFO_COUNTER),
	KEEL_INFO_U64(S, bad_accesses, KEEL_REMOTE_INFO_A_BAD_ACCESSES,
		      KEEL_INFO_COUNTER),
};

#undef S

static int keel_remote_snapshot(struct keel_object *obj, void *snap)
{
	struct keel_remote *rd = keel_remote_of(keel_inst_of_obj(obj));
	struct keel_remote_info *info = snap;
	struct keel_irq_line_info line;
	u32 i, in_flight = 0;

	info->iface = rd->iface;
	info->base = rd->base;
	info->capacity = rd->capacity;
	info->started = keel_io_claim_started(&rd->claim);
	keel_irq_line_info(&rd->irq, &line);
	info->irqs = line.signals;

	spin_lock_irq(&rd->mmio_lock);
	info->bad_accesses = rd->mmio.bad_accesses;
	spin_unlock_irq(&rd->mmio_lock);

	spin_lock(&rd->req_lock);
	info->session = rd->session;
	for (i = 0; i < rd->window; i++)
		in_flight += rd->reqs[i].state == KEEL_REMOTE_REQ_SENT;
	info->in_flight = in_flight;
	info->connected = rd->connected;
	info->requests = rd->c.requests;
	info->reads = rd->c.reads;
	info->writes = rd->c.writes;
	info->flushes = rd->c.flushes;
	info->bytes_read = rd->c.bytes_read;
	info->bytes_written = rd->c.bytes_written;
	info->errors = rd->c.errors;
	info->reconnects = rd->c.reconnects;
	info->replays = rd->c.replays;
	info->disconnects = rd->c.disconnects;
	info->bad_replies = rd->c.bad_replies;
	info->bad_descs = rd->c.bad_descs;
	info->lat_avg_ns = rd->c.lat_count ?
			   div64_u64(rd->c.lat_sum_ns, rd->c.lat_count) : 0;
	info->lat_max_ns = rd->c.lat_max_ns;
	spin_unlock(&rd->req_lock);
	return 0;
}

const struct keel_object_type keel_remote_obj_type = {
	.name = "remote",
	.info = keel_remote_fields,
	.nr_info = ARRAY_SIZE(keel_remote_fields),
	.info_pad = KEEL_REMOTE_INFO_A_PAD,
	.info_size = sizeof(struct keel_remote_info),
	.snapshot = keel_remote_snapshot,
};
