/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest code of the remote tests: a virtio-blk driver on the virtio-mmio
 * transport, version 2 (what keel_remote.ko shows the guest), one request
 * queue on a split ring in guest memory, several requests in flight,
 * completions found by polling the used ring (the interrupt is counted
 * and acknowledged). The host allocates the ring and buffers with
 * blk_host_layout() and fills struct blk_guest before the guest runs;
 * the guest reports through it and through ucalls. Also the data
 * pattern both sides compute, so the host can check the backing file.
 */
#ifndef REMOTE_BLK_GUEST_H
#define REMOTE_BLK_GUEST_H

#include <stdbool.h>
#include <stdint.h>

#define BLK_SECTOR		512u
#define BLK_MAX_QSIZE		256u	/* descriptors we use at most */
#define BLK_MAX_SEGS		16u	/* data descriptors of a request */
#define BLK_DESCS_PER_SLOT	(BLK_MAX_SEGS + 2)	/* + header, status */
/*
 * Request slots at most: with slot_segs 1 (a page a request) a queue of
 * 256 has room for 84; their headers fill the first 2 KiB of l.hdrs.
 */
#define BLK_MAX_SLOTS		64u
#define BLK_SLOT_DATA		(64u << 10)	/* data bytes per slot */
#define BLK_PLAN_MAX		128u

/* Guest-physical layout of the queue and the buffers. */
struct blk_layout {
	uint64_t desc, avail, used;	/* a page each */
	uint64_t hdrs;			/* per slot: outhdr (16) + status (1) */
	uint64_t wbuf, rbuf;		/* per slot: BLK_SLOT_DATA bytes */
};

/* One operation of a plan: write then, in the check, read back. */
struct blk_op {
	uint32_t type;		/* VIRTIO_BLK_T_IN, _OUT, _FLUSH */
	uint32_t seed;		/* pattern seed of a write */
	uint64_t sector;
	uint32_t len;		/* bytes, a multiple of 512 */
	uint32_t split;		/* 1: the first segment half the data */
	uint32_t status;	/* out: virtio status byte, 0xff: none yet */
	uint32_t pad;
};

struct blk_guest {
	/* set by the host */
	uint64_t base;			/* MMIO base of the device */
	uint64_t gsi, vector;		/* its interrupt */
	uint64_t qsize;			/* queue size to ask for (<= max) */
	struct blk_layout l;
	uint32_t nops;
	/*
	 * Data descriptors a request slot holds (1 to BLK_MAX_SEGS; 0:
	 * BLK_MAX_SEGS): fewer make more slots, so more requests in flight.
	 */
	uint32_t slot_segs;
	struct blk_op ops[BLK_PLAN_MAX];
	/* found by the guest */
	uint32_t magic, version, device_id;
	uint64_t dev_features;		/* offered, both words */
	uint64_t drv_features;		/* accepted */
	uint64_t capacity;		/* sectors */
	uint32_t size_max, seg_max;
	uint32_t qnum_max, qnum;
	uint32_t slots;			/* request slots of the queue */
	uint32_t slot_descs;		/* descriptors of a slot */
	/* counted by the guest */
	uint64_t irqs;			/* interrupts of the device */
	uint64_t isr_vring;		/* of them with the used-ring bit */
	uint64_t completed;		/* used entries consumed */
	uint64_t bad_used;		/* used entries naming no request */
	uint64_t dup_used;		/* used entries for a free slot */
	uint64_t mismatches;		/* read data not as written */
	uint64_t first_bad_op;		/* op index + 1 of the first mismatch */
	uint64_t max_in_flight;		/* reached at once */
	uint64_t needs_reset;		/* DEVICE_NEEDS_RESET seen */
	uint64_t raw_used;		/* used entries of raw chains */
	uint32_t raw_last_head, raw_last_len;
};

extern volatile struct blk_guest blk_guest;

/* The byte at @off of sector @sector written with @seed (host and guest). */
static inline uint8_t blk_pattern(uint32_t seed, uint64_t sector,
				  uint32_t off)
{
	uint64_t x = (sector * 0x9e3779b97f4a7c15ull) ^
		     ((uint64_t)seed << 32) ^ (off >> 3);

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 32;
	return (uint8_t)(x >> ((off & 7) * 8));
}

/* ---- guest side ---- */

/*
 * Reset the device, check its identity, negotiate VERSION_1 and FLUSH
 * (reading SIZE_MAX and SEG_MAX when offered), set up queue 0 and set
 * DRIVER_OK. 0, or a negative step number that failed (see blk_guest.c).
 */
int blk_init(void);
/*
 * Queue one request in a free slot: @type with the data at slot's wbuf
 * (OUT) or rbuf (IN), @len bytes at @sector, in data descriptors of at
 * most SIZE_MAX bytes (the first of them half the data when @split).
 * Returns the slot, or -1 when all are in flight; fails the guest when
 * the request needs more segments than SEG_MAX allows.
 */
int blk_submit(uint32_t type, uint64_t sector, uint32_t len, bool split,
	       uint32_t tag);
/* Notify the device of queued requests. */
void blk_kick(void);
/*
 * Consume the used ring; each completed slot's status goes to the op
 * its tag names (tag < BLK_PLAN_MAX) and the slot is free again. Returns
 * how many completed.
 */
unsigned int blk_reap(void);
/* Poll until every slot is free (checking DEVICE_NEEDS_RESET). */
void blk_wait_all(void);
/*
 * Consume used entries up to the first that completes a request slot:
 * that slot (free again), with its tag and status byte in *@tag and
 * *@status; -1 when there is none. Its read buffer keeps the data until
 * the slot is used again. blk_reap() is this for every entry.
 */
int blk_reap_one(uint32_t *tag, uint8_t *status);
/* The slot the next blk_submit() takes, or -1 when all are in flight. */
int blk_free_slot(void);
/* Requests in flight. */
unsigned int blk_in_flight(void);
/* Host pointer-free access to a slot's buffers. */
uint8_t *blk_wbuf(int slot);
uint8_t *blk_rbuf(int slot);
/* The slot's last status byte (0xff while in flight). */
uint8_t blk_slot_status(int slot);

/*
 * Run the ops [first, first + n) of the plan with up to @depth in
 * flight: writes fill their buffer with the pattern first; reads are
 * compared with the pattern of the seed in the op (mismatches counted).
 * Returns when all completed.
 */
void blk_run_ops(uint32_t first, uint32_t n, uint32_t depth, bool wait);

/* Raw ring access for hostile requests: descriptor @i of the table. */
struct vring_desc;
struct vring_desc *blk_desc(unsigned int i);
/* Put the chain starting at descriptor @head on the avail ring. */
void blk_push_head(uint16_t head);
/* The used ring's index and the status of the used entry for @head. */
uint16_t blk_used_idx(void);
/* Whether the device set DEVICE_NEEDS_RESET. */
bool blk_needs_reset(void);

#endif /* REMOTE_BLK_GUEST_H */
