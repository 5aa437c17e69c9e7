// SPDX-License-Identifier: GPL-2.0
/*
 * keel-bt's recovery: what a lost guest page held, rebuilt from the
 * mirror and the region log; the log's count brought up to a vCPU stopped
 * inside a run of stores that publish their entries together, with the
 * entries the code leaves to the vCPU's registers, and the rollback of a
 * vCPU stopped between a translated store and its log entry (the window
 * table of the translation). A full log is read without either: every
 * entry is in it, published before its store, and an open one says the
 * bytes it covers cannot be rebuilt.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "bt.h"

/* The compiler keeps the log's stores in order; x86 keeps them so. */
#define barrier()	__asm__ __volatile__("" : : : "memory")

const uint16_t kbt_flag_bit[KBT_NR_FLAGS] = {
	[KEEL_BT_FLAG_CF] = 0x001, [KEEL_BT_FLAG_PF] = 0x004,
	[KEEL_BT_FLAG_ZF] = 0x040, [KEEL_BT_FLAG_SF] = 0x080,
	[KEEL_BT_FLAG_OF] = 0x800,
};

static unsigned int published(const struct keel_bt_log *log)
{
	return log->count < KEEL_BT_LOG_ENTRIES ? (unsigned int)log->count :
						  KEEL_BT_LOG_ENTRIES;
}

/*
 * The bytes entry @e holds: its len without KEEL_BT_LEN_OPEN, where 0 (and
 * anything above) is 8.
 */
static unsigned int entry_len(const struct keel_bt_log_entry *e)
{
	uint32_t len = e->len & ~KEEL_BT_LEN_OPEN;

	return len && len < 8 ? len : 8;
}

/* A full log's store under way: its bytes are not in the entry yet. */
static bool entry_open(const struct keel_bt_log_entry *e)
{
	return e->len & KEEL_BT_LEN_OPEN;
}

int kbt_log_overlay(const struct keel_bt_log *log, uint64_t addr,
		    uint8_t *buf, size_t len)
{
	unsigned int i, n = published(log);
	int open = 0;

	for (i = 0; i < n; i++) {
		const struct keel_bt_log_entry *e = &log->e[i];
		uint64_t lo = e->addr, hi = e->addr + entry_len(e);
		uint8_t val[8];
		uint64_t a;

		if (hi <= addr || lo >= addr + len)
			continue;
		if (entry_open(e)) {
			open++;
			continue;
		}
		memcpy(val, &e->val, 8);	/* little endian */
		for (a = lo < addr ? addr : lo; a < hi && a < addr + len; a++)
			buf[a - addr] = val[a - lo];
	}
	return open;
}

static const struct kbt_window *window_at(const struct kbt_block *blk,
					  uint64_t rip)
{
	unsigned int lo = 0, hi = blk->nwindows;

	/* windows are in code order and do not overlap */
	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;
		const struct kbt_window *w = &blk->windows[mid];

		if (rip < w->exec_end)
			hi = mid;
		else if (rip > w->end)
			lo = mid + 1;
		else
			return w;
	}
	return NULL;
}

/* The last window whose store starts at or before @rip, or -1. */
static int window_before(const struct kbt_block *blk, uint64_t rip)
{
	unsigned int lo = 0, hi = blk->nwindows;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (blk->windows[mid].store_start <= rip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return (int)lo - 1;
}

static uint64_t reg_or_none(const struct kbt_vcpu *vcpu, uint8_t reg)
{
	return reg < 16 ? vcpu->gpr[reg] : 0;
}

/*
 * The register entries of the open region that @vcpu has made, written
 * into @log from its registers: those of the region's stores up to its
 * rip (back to the region's first entry) that the count publishes.
 */
static void log_fill(const struct kbt_block *blk, struct keel_bt_log *log,
		     const struct kbt_vcpu *vcpu)
{
	unsigned int n = published(log);
	int i;

	if (!n)
		return;
	for (i = window_before(blk, vcpu->rip); i >= 0; i--) {
		const struct kbt_window *w = &blk->windows[i];
		struct keel_bt_log_entry *e = &log->e[w->ent_first];

		if (w->reg_entry && w->ent_first < n) {
			e->addr = reg_or_none(vcpu, w->base) +
				  reg_or_none(vcpu, w->index) * w->scale +
				  (uint64_t)w->disp;
			e->val = w->src < 16 ? vcpu->gpr[w->src] :
					       (uint64_t)(int64_t)w->imm;
			e->len = w->size < 8 ? w->size : 0;
		}
		if (!w->ent_first)
			break;	/* the region's first entry */
	}
}

/* The log as a vCPU in window @w (or none) has made it. */
static uint64_t log_sync(const struct kbt_block *blk,
			 const struct kbt_window *w, struct keel_bt_log *log,
			 const struct kbt_vcpu *vcpu)
{
	if (w)
		log->count = vcpu->rip >= w->entry_end ? w->ent_done :
							 w->ent_first;
	log_fill(blk, log, vcpu);
	return log->count;
}

uint64_t kbt_log_sync(const struct kbt_block *blk, struct keel_bt_log *log,
		      const struct kbt_vcpu *vcpu)
{
	return log_sync(blk, window_at(blk, vcpu->rip), log, vcpu);
}

int kbt_rollback(const struct kbt_block *blk, struct keel_bt_log *log,
		 struct kbt_vcpu *vcpu, uint64_t page, uint64_t psize,
		 uint64_t *addr, size_t *len)
{
	const struct kbt_window *w = window_at(blk, vcpu->rip);
	uint64_t at;
	unsigned int i;

	log_sync(blk, w, log, vcpu);
	if (!w || vcpu->rip >= w->entry_end)
		return 0;
	at = vcpu->gpr[w->addr_reg];
	if (at + w->size <= page || at >= page + psize)
		return 0;
	vcpu->rip = w->store_start;
	for (i = 0; i < w->nsave; i++)
		vcpu->gpr[w->rsave_reg[i]] = log->rsave[i];
	for (i = 0; i < KBT_NR_FLAGS; i++) {
		uint64_t bit = kbt_flag_bit[i];

		if (w->flags & bit)
			vcpu->rflags = (vcpu->rflags & ~bit) |
				       (log->flags[i] ? bit : 0);
	}
	*addr = at;
	*len = w->size;
	return 1;
}

static bool in_translation(const struct kbt_block *blk, uint64_t rip)
{
	return rip >= blk->trans_start &&
	       rip < blk->trans_start + blk->trans_len;
}

/*
 * The map entry of the last instruction whose translation starts at or
 * before @rip, which lies in the translation; NULL if there is none.
 */
static const struct kbt_map *map_at(const struct kbt_block *blk,
				    uint64_t rip)
{
	unsigned int lo = 0, hi = blk->nmap;

	if (!hi)
		return NULL;
	while (hi - lo > 1) {
		unsigned int mid = (lo + hi) / 2;

		if (blk->map[mid].trans_rip <= rip)
			lo = mid;
		else
			hi = mid;
	}
	return blk->map[lo].trans_rip <= rip ? &blk->map[lo] : NULL;
}

uint64_t kbt_orig_rip(const struct kbt_block *blk, uint64_t trans_rip)
{
	const struct kbt_map *m;

	if (!in_translation(blk, trans_rip))
		return 0;
	m = map_at(blk, trans_rip);
	return m ? m->orig_rip : 0;
}

int kbt_fault(const struct kbt_block *blk, struct keel_bt_log *log,
	      struct kbt_vcpu *vcpu, kbt_mirror_write_t mirror_write,
	      void *arg)
{
	const struct kbt_map *m;
	unsigned int i, n, made;

	if (!in_translation(blk, vcpu->rip) || !blk->nmap)
		return 0;
	m = map_at(blk, vcpu->rip);
	if (!m || m->exec_rip != vcpu->rip)
		return -EINVAL;
	if (m->open) {
		kbt_log_sync(blk, log, vcpu);
		n = published(log);
		made = n;
		/* a full log's faulting store published its entries ahead */
		if (blk->full_log && m->nent && m->ent_first < made)
			made = m->ent_first;
		for (i = 0; i < made; i++)
			if (!entry_open(&log->e[i]))
				mirror_write(arg, log->e[i].addr, log->e[i].val,
					     entry_len(&log->e[i]));
		/* in the commit's order, for a reader of a full log */
		log->count = 0;
		barrier();
		if (blk->full_log) {
			log->gen++;
			barrier();
		}
		/* as the commit leaves them: 0 (8 bytes) outside a region */
		for (i = 0; i < n; i++)
			log->e[i].len = 0;
		vcpu->gpr[m->s1] = log->scratch[0];
		if (m->s2 != KBT_NO_REG)
			vcpu->gpr[m->s2] = log->scratch[1];
	}
	vcpu->rip = m->orig_rip;
	return 1;
}
