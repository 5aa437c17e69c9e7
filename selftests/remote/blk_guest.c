// SPDX-License-Identifier: GPL-2.0
/*
 * Guest code: the virtio-blk driver on virtio-mmio version 2 that the
 * remote tests run against keel_remote.ko (blk_guest.h). Descriptors
 * D * s to D * (s + 1) - 1 belong to request slot s, where D is
 * slot_segs + 2 (BLK_DESCS_PER_SLOT by default); those after the last
 * slot are left for hostile chains (blk_desc()).
 */
#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_blk.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include <string.h>

#include "keel_guest_io.h"
#include "keel_layout.h"
#include "keel_irq.h"
#include "keel_ucall.h"
#include "blk_guest.h"

#define VIRTIO_MMIO_MAGIC	0x74726976u	/* "virt" */

volatile struct blk_guest blk_guest;

static uint16_t avail_idx, last_used;
static unsigned int nslots, slot_descs, in_flight;
static bool slot_busy[BLK_MAX_SLOTS];
static uint32_t slot_tag[BLK_MAX_SLOTS];

static inline uint32_t rd32(uint32_t reg)
{
	return mmio_read32(blk_guest.base + reg);
}

static inline void wr32(uint32_t reg, uint32_t v)
{
	mmio_write32(blk_guest.base + reg, v);
}

static struct vring_desc *descs(void)
{
	return (struct vring_desc *)(uintptr_t)blk_guest.l.desc;
}

static struct vring_avail *avail(void)
{
	return (struct vring_avail *)(uintptr_t)blk_guest.l.avail;
}

static struct vring_used *used(void)
{
	return (struct vring_used *)(uintptr_t)blk_guest.l.used;
}

static void blk_irq(struct guest_irq_frame *frame)
{
	uint32_t isr = rd32(VIRTIO_MMIO_INTERRUPT_STATUS);

	(void)frame;
	blk_guest.irqs++;
	if (isr & VIRTIO_MMIO_INT_VRING)
		blk_guest.isr_vring++;
	if (isr)
		wr32(VIRTIO_MMIO_INTERRUPT_ACK, isr);
}

static void set_status(uint32_t bits)
{
	wr32(VIRTIO_MMIO_STATUS, rd32(VIRTIO_MMIO_STATUS) | bits);
}

int blk_init(void)
{
	uint64_t feat, want;
	uint32_t gen, qsize, segs, i;

	blk_guest.magic = rd32(VIRTIO_MMIO_MAGIC_VALUE);
	blk_guest.version = rd32(VIRTIO_MMIO_VERSION);
	blk_guest.device_id = rd32(VIRTIO_MMIO_DEVICE_ID);
	if (blk_guest.magic != VIRTIO_MMIO_MAGIC)
		return -1;
	if (blk_guest.version != 2)
		return -2;
	if (blk_guest.device_id != VIRTIO_ID_BLOCK)
		return -3;

	wr32(VIRTIO_MMIO_STATUS, 0);			/* reset */
	if (rd32(VIRTIO_MMIO_STATUS) != 0)
		return -4;
	set_status(VIRTIO_CONFIG_S_ACKNOWLEDGE);
	set_status(VIRTIO_CONFIG_S_DRIVER);

	wr32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	feat = rd32(VIRTIO_MMIO_DEVICE_FEATURES);
	wr32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	feat |= (uint64_t)rd32(VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	blk_guest.dev_features = feat;
	if (!(feat & (1ull << VIRTIO_F_VERSION_1)))
		return -5;
	want = feat & (1ull << VIRTIO_F_VERSION_1 | 1ull << VIRTIO_BLK_F_FLUSH |
		       1ull << VIRTIO_BLK_F_SIZE_MAX |
		       1ull << VIRTIO_BLK_F_SEG_MAX | 1ull << VIRTIO_BLK_F_RO |
		       1ull << VIRTIO_BLK_F_BLK_SIZE);
	blk_guest.drv_features = want;
	wr32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	wr32(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)want);
	wr32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	wr32(VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(want >> 32));
	set_status(VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(rd32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK))
		return -6;

	do {
		gen = rd32(VIRTIO_MMIO_CONFIG_GENERATION);
		blk_guest.capacity = rd32(VIRTIO_MMIO_CONFIG) |
			(uint64_t)rd32(VIRTIO_MMIO_CONFIG + 4) << 32;
		if (want & (1ull << VIRTIO_BLK_F_SIZE_MAX))
			blk_guest.size_max = rd32(VIRTIO_MMIO_CONFIG + 8);
		if (want & (1ull << VIRTIO_BLK_F_SEG_MAX))
			blk_guest.seg_max = rd32(VIRTIO_MMIO_CONFIG + 12);
	} while (gen != rd32(VIRTIO_MMIO_CONFIG_GENERATION));

	wr32(VIRTIO_MMIO_QUEUE_SEL, 0);
	if (rd32(VIRTIO_MMIO_QUEUE_READY))
		return -7;
	blk_guest.qnum_max = rd32(VIRTIO_MMIO_QUEUE_NUM_MAX);
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
	avail_idx = last_used = 0;
	/* the rings are the driver's: zeroed, whatever a previous run left */
	memset(descs(), 0, KEEL_PAGE_SIZE);
	memset(avail(), 0, KEEL_PAGE_SIZE);
	memset(used(), 0, KEEL_PAGE_SIZE);
	wr32(VIRTIO_MMIO_QUEUE_NUM, qsize);
	wr32(VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)blk_guest.l.desc);
	wr32(VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(blk_guest.l.desc >> 32));
	wr32(VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)blk_guest.l.avail);
	wr32(VIRTIO_MMIO_QUEUE_AVAIL_HIGH, (uint32_t)(blk_guest.l.avail >> 32));
	wr32(VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)blk_guest.l.used);
	wr32(VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(blk_guest.l.used >> 32));
	wr32(VIRTIO_MMIO_QUEUE_READY, 1);
	if (rd32(VIRTIO_MMIO_QUEUE_READY) != 1)
		return -9;

	if (blk_guest.vector) {
		guest_irq_handler_set(blk_guest.vector, blk_irq);
		lapic_enable();
		ioapic_route(blk_guest.gsi, blk_guest.vector, false, 0);
		sti();
	}
	set_status(VIRTIO_CONFIG_S_DRIVER_OK);
	if (rd32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET)
		return -10;
	return 0;
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
	avail()->ring[avail_idx % blk_guest.qnum] = head;
	avail_idx++;
	__atomic_store_n(&avail()->idx, avail_idx, __ATOMIC_RELEASE);
}

void blk_kick(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!(used()->flags & VRING_USED_F_NO_NOTIFY))
		wr32(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

uint16_t blk_used_idx(void)
{
	return __atomic_load_n(&used()->idx, __ATOMIC_ACQUIRE);
}

bool blk_needs_reset(void)
{
	return rd32(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET;
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

	while (last_used != end) {
		struct vring_used_elem *e =
			&used()->ring[last_used % blk_guest.qnum];
		uint32_t id = e->id, s = id / slot_descs;

		last_used++;
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
