// SPDX-License-Identifier: GPL-2.0
/*
 * Guest code: the virtio-blk driver on virtio-mmio version 2 that the
 * remote tests run against keel_remote.ko (blk_guest.h). Descriptors
 * D * s to D * (s + 1) - 1 belong to request slot s, where D is
 * slot_segs + 2 (BLK_DESCS_PER_SLOT by default); those after the last
 * slot are left for hostile chains (blk_desc()). The transport is
 * vmmio_guest.c's.
 */
#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "keel_ucall.h"
#include "vmmio_guest.h"
#include "blk_guest.h"

volatile struct blk_guest blk_guest;

static struct vmmio vm;
static unsigned int nslots, slot_descs, in_flight;
static bool slot_busy[BLK_MAX_SLOTS];
static uint32_t slot_tag[BLK_MAX_SLOTS];

static struct vring_desc *descs(void)
{
	return vmmio_desc(&vm, 0);
}

static struct vring_used *used(void)
{
	return vmmio_used(&vm);
}

static void blk_irq(struct guest_irq_frame *frame)
{
	uint32_t isr = vmmio_irq_ack(&vm);

	(void)frame;
	blk_guest.irqs++;
	if (isr & VIRTIO_MMIO_INT_VRING)
		blk_guest.isr_vring++;
}

int blk_init(void)
{
	uint32_t gen, qsize, segs, i;
	uint64_t want;
	int ret;

	vm = (struct vmmio){
		.base = blk_guest.base,
		.desc = blk_guest.l.desc,
		.avail = blk_guest.l.avail,
		.used = blk_guest.l.used,
	};
	ret = vmmio_probe(&vm, VIRTIO_ID_BLOCK,
			  1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_BLK_F_FLUSH |
			  1ull << VIRTIO_BLK_F_SIZE_MAX |
			  1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_RO |
			  1ull << VIRTIO_BLK_F_BLK_SIZE);
	blk_guest.magic = vm.magic;
	blk_guest.version = vm.version;
	blk_guest.device_id = vm.device_id;
	blk_guest.dev_features = vm.dev_features;
	blk_guest.drv_features = vm.drv_features;
	if (ret)
		return ret;
	want = vm.drv_features;

	do {
		gen = vmmio_rd32(&vm, VIRTIO_MMIO_CONFIG_GENERATION);
		blk_guest.capacity = vmmio_rd32(&vm, VIRTIO_MMIO_CONFIG) |
			(uint64_t)vmmio_rd32(&vm, VIRTIO_MMIO_CONFIG + 4) << 32;
		if (want & (1ull << VIRTIO_BLK_F_SIZE_MAX))
			blk_guest.size_max = vmmio_rd32(&vm, VIRTIO_MMIO_CONFIG + 8);
		if (want & (1ull << VIRTIO_BLK_F_SEG_MAX))
			blk_guest.seg_max = vmmio_rd32(&vm, VIRTIO_MMIO_CONFIG + 12);
	} while (gen != vmmio_rd32(&vm, VIRTIO_MMIO_CONFIG_GENERATION));

	vmmio_wr32(&vm, VIRTIO_MMIO_QUEUE_SEL, 0);
	blk_guest.qnum_max = vmmio_rd32(&vm, VIRTIO_MMIO_QUEUE_NUM_MAX);
	qsize = blk_guest.qsize ? blk_guest.qsize : BLK_MAX_QSIZE;
	if (qsize > blk_guest.qnum_max)
		qsize = blk_guest.qnum_max;
	if (qsize > BLK_MAX_QSIZE)
		qsize = BLK_MAX_QSIZE;
	segs = blk_guest.slot_segs;
	if (!segs || segs > BLK_MAX_SEGS)
		segs = BLK_MAX_SEGS;
	slot_descs = segs + 2;
	if (qsize < 2 * slot_descs)
		return -8;
	blk_guest.qnum = qsize;
	nslots = qsize / slot_descs - 1;
	if (nslots > BLK_MAX_SLOTS)
		nslots = BLK_MAX_SLOTS;
	blk_guest.slots = nslots;
	blk_guest.slot_descs = slot_descs;
	for (i = 0; i < BLK_MAX_SLOTS; i++)
		slot_busy[i] = false;
	in_flight = 0;
	ret = vmmio_queue(&vm, qsize);
	if (ret)
		return ret;
	return vmmio_driver_ok(&vm, blk_guest.gsi, blk_guest.vector, blk_irq);
}

uint8_t *blk_wbuf(int slot)
{
	return (uint8_t *)(uintptr_t)(blk_guest.l.wbuf +
				      (uint64_t)slot * BLK_SLOT_DATA);
}

uint8_t *blk_rbuf(int slot)
{
	return (uint8_t *)(uintptr_t)(blk_guest.l.rbuf +
				      (uint64_t)slot * BLK_SLOT_DATA);
}

static struct virtio_blk_outhdr *slot_hdr(int slot)
{
	return (struct virtio_blk_outhdr *)(uintptr_t)(blk_guest.l.hdrs +
						       (uint64_t)slot * 32);
}

static volatile uint8_t *slot_status(int slot)
{
	return (volatile uint8_t *)(uintptr_t)(blk_guest.l.hdrs +
					       (uint64_t)slot * 32 + 16);
}

uint8_t blk_slot_status(int slot)
{
	return *slot_status(slot);
}

unsigned int blk_in_flight(void)
{
	return in_flight;
}

struct vring_desc *blk_desc(unsigned int i)
{
	return &descs()[i];
}

void blk_push_head(uint16_t head)
{
	vmmio_push_head(&vm, head);
}

void blk_kick(void)
{
	vmmio_kick(&vm);
}

uint16_t blk_used_idx(void)
{
	return vmmio_used_idx(&vm);
}

bool blk_needs_reset(void)
{
	return vmmio_needs_reset(&vm);
}

int blk_submit(uint32_t type, uint64_t sector, uint32_t len, bool split,
	       uint32_t tag)
{
	struct virtio_blk_outhdr *h;
	struct vring_desc *d;
	int free = blk_free_slot();
	unsigned int s, i, n = 0;
	uint64_t data;

	if (free < 0)
		return -1;
	s = free;
	d = &descs()[s * slot_descs];
	h = slot_hdr(s);
	h->type = type;
	h->ioprio = 0;
	h->sector = sector;
	*slot_status(s) = 0xff;
	i = s * slot_descs;
	d[n].addr = (uintptr_t)h;
	d[n].len = sizeof(*h);
	d[n].flags = VRING_DESC_F_NEXT;
	d[n].next = i + n + 1;
	n++;
	if (type != VIRTIO_BLK_T_FLUSH && len) {
		uint32_t seg = blk_guest.size_max ? blk_guest.size_max : len;
		uint32_t first = split && len >= 2 * BLK_SECTOR ?
				 (len / 2) & ~(BLK_SECTOR - 1) : len;
		uint16_t dir = type == VIRTIO_BLK_T_IN ? VRING_DESC_F_WRITE : 0;
		uint32_t done = 0, chunk;

		data = type == VIRTIO_BLK_T_IN ? (uintptr_t)blk_rbuf(s) :
						 (uintptr_t)blk_wbuf(s);
		while (done < len) {
			chunk = len - done;
			if (!done && first < chunk)
				chunk = first;
			if (chunk > seg)
				chunk = seg;
			if (n > slot_descs - 2 || (blk_guest.seg_max &&
						   n > blk_guest.seg_max))
				GUEST_FAIL("%u bytes need more than %u segments",
					   len, n - 1);
			d[n].addr = data + done;
			d[n].len = chunk;
			d[n].flags = VRING_DESC_F_NEXT | dir;
			d[n].next = i + n + 1;
			n++;
			done += chunk;
		}
	}
	d[n].addr = (uintptr_t)slot_status(s);
	d[n].len = 1;
	d[n].flags = VRING_DESC_F_WRITE;
	d[n].next = 0;
	slot_busy[s] = true;
	slot_tag[s] = tag;
	in_flight++;
	if (in_flight > blk_guest.max_in_flight)
		blk_guest.max_in_flight = in_flight;
	blk_push_head(i);
	return s;
}

/* Compare a completed read with the pattern of its op. */
static void blk_check_read(int s, volatile struct blk_op *op, uint32_t idx)
{
	const uint8_t *p = blk_rbuf(s);
	uint32_t off;

	for (off = 0; off < op->len; off++) {
		if (p[off] != blk_pattern(op->seed, op->sector + off / BLK_SECTOR,
					  off % BLK_SECTOR)) {
			blk_guest.mismatches++;
			if (!blk_guest.first_bad_op)
				blk_guest.first_bad_op = idx + 1;
			return;
		}
	}
}

int blk_reap_one(uint32_t *tag, uint8_t *status)
{
	uint16_t end = blk_used_idx();

	while (vm.last_used != end) {
		struct vring_used_elem *e =
			&used()->ring[vm.last_used % blk_guest.qnum];
		uint32_t id = e->id, s = id / slot_descs;

		vm.last_used++;
		if (id >= nslots * slot_descs && id < blk_guest.qnum) {
			blk_guest.raw_used++;
			blk_guest.raw_last_head = id;
			blk_guest.raw_last_len = e->len;
			continue;
		}
		if (id % slot_descs || s >= nslots) {
			blk_guest.bad_used++;
			continue;
		}
		if (!slot_busy[s]) {
			blk_guest.dup_used++;
			continue;
		}
		slot_busy[s] = false;
		in_flight--;
		blk_guest.completed++;
		*tag = slot_tag[s];
		*status = *slot_status(s);
		return s;
	}
	return -1;
}

unsigned int blk_reap(void)
{
	unsigned int n = 0;
	uint32_t tag;
	uint8_t status;
	int s;

	while ((s = blk_reap_one(&tag, &status)) >= 0) {
		n++;
		if (tag < BLK_PLAN_MAX) {
			volatile struct blk_op *op = &blk_guest.ops[tag];

			op->status = status;
			if (op->type == VIRTIO_BLK_T_IN &&
			    op->status == VIRTIO_BLK_S_OK)
				blk_check_read(s, op, tag);
		}
	}
	return n;
}

int blk_free_slot(void)
{
	unsigned int s;

	for (s = 0; s < nslots && slot_busy[s]; s++)
		;
	return s < nslots ? (int)s : -1;
}

void blk_wait_all(void)
{
	while (in_flight) {
		if (blk_reap())
			continue;
		if (blk_needs_reset()) {
			blk_guest.needs_reset++;
			GUEST_FAIL("device needs reset with %u in flight",
				   in_flight);
		}
		cpu_relax();
	}
}

static void blk_fill(int s, const volatile struct blk_op *op)
{
	uint8_t *p = blk_wbuf(s);
	uint32_t off;

	for (off = 0; off < op->len; off++)
		p[off] = blk_pattern(op->seed, op->sector + off / BLK_SECTOR,
				     off % BLK_SECTOR);
}

void blk_run_ops(uint32_t first, uint32_t n, uint32_t depth, bool wait)
{
	uint32_t next = first, end = first + n;
	unsigned int queued;
	int s;

	if (!depth || depth > nslots)
		depth = nslots;
	while (next < end || (wait && in_flight)) {
		queued = 0;
		while (next < end && in_flight < depth) {
			volatile struct blk_op *op = &blk_guest.ops[next];

			GUEST_ASSERT(op->len <= BLK_SLOT_DATA);
			s = blk_free_slot();
			if (op->type == VIRTIO_BLK_T_OUT)
				blk_fill(s, op);
			op->status = 0xff;
			GUEST_ASSERT_EQ(s, blk_submit(op->type, op->sector,
						      op->len, op->split,
						      next));
			next++;
			queued++;
		}
		if (queued)
			blk_kick();
		if (!wait && next == end)
			break;
		if (!blk_reap()) {
			if (blk_needs_reset()) {
				blk_guest.needs_reset++;
				GUEST_FAIL("device needs reset");
			}
			cpu_relax();
		}
	}
}
