// SPDX-License-Identifier: GPL-2.0
/*
 * keel-bt's translator: decodes a range of code, cuts it into regions
 * (straight runs between branch targets and branches), and emits each
 * region with its stores made twice and logged, and a commit that writes
 * the region's stores to the mirror before the region is left. Branches
 * inside the range go to their translations; every other way out goes
 * to the original code.
 *
 * One store, in a region whose free registers s1 and s2 were saved to the
 * log when it opened (s2 only if the region needs it):
 *
 *	mov [log.rsave[i]], r		registers the store writes (rollback)
 *	setcc [log.flags[i]]		flags the store reads (rollback)
 *	lea s1, [m]			its address
 *	<the store, to [m + alias_off]>
 *	mov [log.e[n].addr], s1		per 8 bytes stored: the entry
 *	mov{zx} s2, [s1 + alias_off]	(a mov's source register or
 *	mov [log.e[n].val], s2		 immediate goes to val directly)
 *	mov dword [log.e[n].len], size	(below 8 bytes: 0 stands for 8)
 *	mov qword [log.count], n + 1	publish, after the last store of a
 *					run of consecutive stores
 *
 * A register entry (a mov of one entry that the commit makes again from
 * its registers, struct kbt_window) is the store alone: no lea, no entry
 * written; a recovery makes the entry from the vCPU's registers.
 *
 * and the commit, right after the region's last store:
 *
 *	mov [m + mirror_off], r		per entry of a mov whose address and
 *					source registers are unchanged since
 *	mov [s1 + mirror_off], s2	the last entry, if s1 and s2 hold it
 *	mov s1, [log.e[i].addr]		any other entry
 *	mov s2, [log.e[i].val]
 *	mov [s1 + mirror_off], s2
 *	mov s1, [count_addr]		with a counter: the region's
 *	lea s1, [s1 + stores]		 stores added to it
 *	mov [count_addr], s1
 *	mov qword [log.count], 0
 *	mov dword [log.e[i].len], 0	each length written above
 *	mov s1, [log.scratch[0]]
 *	mov s2, [log.scratch[1]]
 *
 * None of these changes the flags, so a commit may sit between a compare
 * and its branch. The instructions of a run publish their entries
 * together; a vCPU stopped inside the run has its entries counted by the
 * recovery from its rip and the window table (recover.c).
 *
 * A full log (KBT_FULL_LOG) is read without the vCPU's registers: no
 * register entries, no windows, nothing saved for a rollback, and each
 * store publishes its own entries before it is made. A mov of a register
 * or an immediate, whose bytes are known before it stores them:
 *
 *	lea s1, [m]
 *	mov [log.e[n].addr], s1
 *	mov [log.e[n].val], r		(or the immediate)
 *	mov dword [log.e[n].len], size	(below 8 bytes)
 *	mov qword [log.count], n + 1
 *	<the store, to [m + alias_off]>
 *
 * any other store, of k entries, open until the bytes it left are read
 * back (len the store's size below 8 bytes, else 0):
 *
 *	lea s1, [m]
 *	lea s2, [s1 + 8e]		per entry e: (e > 0) its address
 *	mov [log.e[n + e].addr], s1/s2
 *	mov dword [log.e[n + e].len], KEEL_BT_LEN_OPEN | len
 *	mov qword [log.count], n + k
 *	<the store, to [m + alias_off]>
 *	mov{zx} s2, [s1 + alias_off + 8e]	per entry e: the bytes, then
 *	mov [log.e[n + e].val], s2		 the length that closes it
 *	mov dword [log.e[n + e].len], len
 *
 * and its commit, between the count set to 0 and the lengths put back,
 * counts itself in the log's gen (no flags changed here either):
 *
 *	mov s1, [log.gen]
 *	lea s1, [s1 + 1]
 *	mov [log.gen], s1
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define LOG_FIELD(cfg, f) ((cfg)->log_addr + offsetof(struct keel_bt_log, f))
#define OFF_LIMIT (INT32_MAX - 64)

/* A rel32 to fill in once every translation's address is known. */
struct fixup {
	size_t at;		/* offset of the rel32 in the code */
	uint64_t target;	/* original address */
};

/* The setcc that saves each flag of the log's flags[] (kbt_flag_bit[]). */
static const ZydisMnemonic flag_setcc[KBT_NR_FLAGS] = {
	[KEEL_BT_FLAG_CF] = ZYDIS_MNEMONIC_SETB,
	[KEEL_BT_FLAG_PF] = ZYDIS_MNEMONIC_SETP,
	[KEEL_BT_FLAG_ZF] = ZYDIS_MNEMONIC_SETZ,
	[KEEL_BT_FLAG_SF] = ZYDIS_MNEMONIC_SETS,
	[KEEL_BT_FLAG_OF] = ZYDIS_MNEMONIC_SETO,
};

/* Room for element @n of the array at *@p, doubling from 16 elements. */
static int grow(void *p, unsigned int n, size_t size)
{
	void **arr = p, *bigger;

	if (n && (n < 16 || (n & (n - 1))))
		return 0;
	bigger = realloc(*arr, (n ? 2 * (size_t)n : 16) * size);
	if (!bigger)
		return -ENOMEM;
	*arr = bigger;
	return 0;
}

struct tr {
	const struct kbt_config *cfg;
	struct kbt_insn *in;
	unsigned int n;		/* instructions translated */
	uint64_t *trans;	/* runtime address of each translation */
	struct kbt_map *map;	/* each one's entry of kbt_block.map */
	struct kbt_emit e;
	struct fixup *fx;
	unsigned int nfx;
	struct kbt_block *blk;
	bool full;		/* KBT_FULL_LOG */
	/* the region being emitted; its last store */
	unsigned int last;
	unsigned int s1, s2;
	bool save_s2;		/* s2 is used: saved at the open */
	bool open;
	unsigned int nent;
	unsigned int nstores;
	uint8_t lens[KEEL_BT_LOG_ENTRIES];
	/* each entry's store, if the commit repeats it (repeatable()) */
	const struct kbt_insn *repeat[KEEL_BT_LOG_ENTRIES];
	bool last_live;		/* s1, s2 hold the last entry's address, bytes */
	/* the previous store of the run being emitted, its window open */
	struct kbt_window pend;
	bool pending;
};

static struct kbt_mem mem_rip(uint64_t abs)
{
	return (struct kbt_mem){ .base = ZYDIS_REGISTER_RIP, .disp = (int64_t)abs };
}

static struct kbt_mem mem_reg(unsigned int reg, int64_t disp)
{
	return (struct kbt_mem){ .base = kbt_gpr(reg, 8), .disp = disp };
}

static bool fits32(int64_t v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

/* The absolute address of a RIP-relative memory operand. */
static uint64_t rip_target(const struct kbt_insn *in, unsigned int op)
{
	uint64_t abs = 0;

	ZydisCalcAbsoluteAddress(&in->di, &in->ops[op], in->rip, &abs);
	return abs;
}

/* The store's memory operand, with alias_off added, for the emitter. */
static struct kbt_mem store_mem(const struct kbt_insn *in, int64_t off)
{
	const ZydisDecodedOperand *op = &in->ops[in->mem_op];

	if (in->rip_rel && op->mem.base == ZYDIS_REGISTER_RIP)
		return mem_rip(rip_target(in, in->mem_op) + off);
	return (struct kbt_mem){
		.base = op->mem.base, .index = op->mem.index,
		.scale = op->mem.scale, .disp = op->mem.disp.value + off,
	};
}

static bool reaches(const struct tr *t, uint64_t abs)
{
	return kbt_rel32_reach(t->e.rip, abs) &&
	       kbt_rel32_reach(t->e.rip + t->e.cap, abs);
}

/* Can the instruction's operands be moved to the code cache? */
static bool in_reach(const struct tr *t, const struct kbt_insn *in)
{
	unsigned int i;

	for (i = 0; i < in->di.operand_count_visible; i++) {
		const ZydisDecodedOperand *op = &in->ops[i];
		uint64_t abs;

		if (op->type != ZYDIS_OPERAND_TYPE_MEMORY)
			continue;
		if (op->mem.base == ZYDIS_REGISTER_RIP) {
			abs = rip_target(in, i);
			if (!reaches(t, abs))
				return false;
			if ((int)i == in->mem_op &&
			    !reaches(t, abs + t->cfg->alias_off))
				return false;
		} else if ((int)i == in->mem_op &&
			   !fits32(op->mem.disp.value + t->cfg->alias_off)) {
			return false;
		}
	}
	return true;
}

static int decode_range(struct tr *t, const uint8_t *code, size_t len,
			uint64_t rip)
{
	ZydisDecoder dec;
	struct kbt_insn *in;
	size_t off = 0;

	ZydisDecoderInit(&dec, ZYDIS_MACHINE_MODE_LONG_64,
			 ZYDIS_STACK_WIDTH_64);
	t->blk->stop_why = KBT_STOP_END;
	while (off < len) {
		if (grow(&t->in, t->n, sizeof(*t->in)))
			return -ENOMEM;
		in = &t->in[t->n];
		kbt_decode(&dec, code + off, len - off, rip + off, in);
		if (in->kind != KBT_STOP && !in_reach(t, in)) {
			in->kind = KBT_STOP;
			in->stop = KBT_STOP_REACH;
		}
		if (in->kind == KBT_STOP) {
			t->blk->stop_why = in->stop;
			break;
		}
		off += in->di.length;
		t->n++;
	}
	t->blk->stop_rip = rip + off;
	t->blk->orig_end = rip + off;
	return 0;
}

static int find_insn(const struct tr *t, uint64_t rip)
{
	unsigned int lo = 0, hi = t->n;

	while (lo < hi) {
		unsigned int mid = (lo + hi) / 2;

		if (t->in[mid].rip == rip)
			return mid;
		if (t->in[mid].rip < rip)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

static void mark_leaders(struct tr *t)
{
	unsigned int i;
	int j;

	for (i = 0; i < t->n; i++) {
		if (t->in[i].kind != KBT_JCC && t->in[i].kind != KBT_JMP)
			continue;
		j = find_insn(t, t->in[i].target);
		if (j >= 0)
			t->in[j].leader = true;
	}
}

static bool ends_region(const struct kbt_insn *in)
{
	return in->kind == KBT_JCC || in->kind == KBT_JMP ||
	       in->kind == KBT_LEAVE;
}

/*
 * [i, end) is the region starting at i: up to a branch target, a branch,
 * or the instruction that would leave fewer than two registers unused.
 */
static unsigned int region_end(const struct tr *t, unsigned int i)
{
	uint16_t used = 1u << 4;	/* rsp */
	unsigned int j = i;

	while (j < t->n) {
		if (j > i && t->in[j].leader)
			break;
		used |= t->in[j].used;
		if (j > i && __builtin_popcount((uint16_t)~used) < 2)
			break;
		if (ends_region(&t->in[j++]))
			break;
	}
	return j;
}

/* Two registers nothing in [i, end) uses, preferring the caller-saved. */
static int pick_scratch(struct tr *t, unsigned int i, unsigned int end)
{
	static const uint8_t order[] = { 11, 10, 9, 8, 6, 7, 2, 1, 0,
					 15, 14, 13, 12, 5, 3 };
	uint16_t used = 1u << 4;	/* never rsp */
	unsigned int k, got = 0;

	for (; i < end; i++)
		used |= t->in[i].used;
	for (k = 0; k < sizeof(order) && got < 2; k++) {
		if (used & (1u << order[k]))
			continue;
		if (got++ == 0)
			t->s1 = order[k];
		else
			t->s2 = order[k];
	}
	return got == 2 ? 0 : -1;
}

/* Entries of the log the store takes: one per 8 bytes. */
static unsigned int store_entries(const struct kbt_insn *in)
{
	return in->size <= 8 ? 1 : in->size / 8;
}

/*
 * Can memory operand @mop of @in be moved by @off (a displacement that
 * still fits, a RIP-relative target the code cache reaches)? *@regs: the
 * registers its address is made of.
 */
static bool movable(const struct tr *t, const struct kbt_insn *in, int mop,
		    int64_t off, uint16_t *regs)
{
	const ZydisDecodedOperand *op = &in->ops[mop];
	int id;

	*regs = 0;
	if (op->mem.base == ZYDIS_REGISTER_RIP)
		return reaches(t, rip_target(in, mop) + off);
	if (!fits32(op->mem.disp.value + off))
		return false;
	id = kbt_gpr_id(op->mem.base);
	if (id >= 0)
		*regs |= 1u << id;
	id = kbt_gpr_id(op->mem.index);
	if (id >= 0)
		*regs |= 1u << id;
	return true;
}

/*
 * Can the commit make the store again, at mirror_off, instead of copying
 * its entry? A mov of a register or an immediate whose address and
 * source registers no instruction changes from it to the region's last
 * store (the commit follows that one).
 */
static bool repeatable(const struct tr *t, const struct kbt_insn *in)
{
	uint16_t regs;
	unsigned int q;

	if (in->src_reg < 0 && !in->src_imm)
		return false;
	if (!movable(t, in, in->mem_op, t->cfg->mirror_off, &regs))
		return false;
	if (in->src_reg >= 0)
		regs |= 1u << in->src_reg;
	for (q = (unsigned int)(in - t->in) + 1; q <= t->last; q++)
		if (t->in[q].written & regs)
			return false;
	return true;
}

/*
 * The region [i, end): its last store, which of its stores the commit
 * makes again, and whether it needs s2 (a store of more than 8 bytes, one
 * whose bytes are read back, or an entry the commit copies from the log).
 */
static void region_setup(struct tr *t, unsigned int i, unsigned int end)
{
	struct kbt_insn *in;
	unsigned int j;

	t->last = i;
	for (j = i; j < end; j++)
		if (t->in[j].kind == KBT_STORE)
			t->last = j;
	t->save_s2 = false;
	for (j = i; j < end; j++) {
		in = &t->in[j];
		if (in->kind != KBT_STORE)
			continue;
		in->repeat = repeatable(t, in);
		t->save_s2 |= !in->repeat;
	}
}

static void open_region(struct tr *t)
{
	const struct kbt_config *cfg = t->cfg;
	struct kbt_mem m;

	m = mem_rip(LOG_FIELD(cfg, scratch[0]));
	kbt_emit_mov_store(&t->e, &m, 8, t->s1);
	if (t->save_s2) {
		m = mem_rip(LOG_FIELD(cfg, scratch[1]));
		kbt_emit_mov_store(&t->e, &m, 8, t->s2);
	}
	t->open = true;
	t->nent = 0;
	t->nstores = 0;
	t->last_live = false;
	t->blk->regions++;
}

/* The commit's store of the entry @in made: the original, at the mirror. */
static void repeat_store(struct tr *t, const struct kbt_insn *in)
{
	struct kbt_mem m = store_mem(in, t->cfg->mirror_off);
	int32_t imm = in->imm;

	if (in->src_reg >= 0) {
		kbt_emit_mov_store(&t->e, &m, in->size, in->src_reg);
		return;
	}
	if (in->size == 1)
		imm = (int8_t)imm;
	else if (in->size == 2)
		imm = (int16_t)imm;
	kbt_emit_mov_imm(&t->e, &m, in->size, imm);
}

/* mov s1, [abs]; lea s1, [s1 + n]; mov [abs], s1: no flags changed */
static void add_at(struct tr *t, uint64_t abs, int64_t n)
{
	struct kbt_mem m = mem_rip(abs);

	kbt_emit_mov_load(&t->e, t->s1, &m, 8);
	m = mem_reg(t->s1, n);
	kbt_emit_lea(&t->e, t->s1, &m);
	m = mem_rip(abs);
	kbt_emit_mov_store(&t->e, &m, 8, t->s1);
}

static void commit(struct tr *t)
{
	const struct kbt_config *cfg = t->cfg;
	bool live = t->last_live;
	struct kbt_mem m;
	unsigned int i;

	if (!t->open)
		return;
	for (i = 0; i < t->nent; i++) {
		if (t->repeat[i]) {
			repeat_store(t, t->repeat[i]);
			continue;
		}
		if (i + 1 < t->nent || !live) {
			/* s1 and s2 no longer hold the last entry */
			live = false;
			m = mem_rip(LOG_FIELD(cfg, e[i].addr));
			kbt_emit_mov_load(&t->e, t->s1, &m, 8);
			m = mem_rip(LOG_FIELD(cfg, e[i].val));
			kbt_emit_mov_load(&t->e, t->s2, &m, 8);
		}
		m = mem_reg(t->s1, cfg->mirror_off);
		kbt_emit_mov_store(&t->e, &m, t->lens[i], t->s2);
	}
	if (cfg->count_addr)
		add_at(t, cfg->count_addr, t->nstores);
	m = mem_rip(LOG_FIELD(cfg, count));
	kbt_emit_mov_imm(&t->e, &m, 8, 0);
	/* a full log's reader sees the region it read end */
	if (t->full)
		add_at(t, LOG_FIELD(cfg, gen), 1);
	/* lengths back to 0 once nothing is published */
	for (i = 0; i < t->nent; i++) {
		if (t->lens[i] == 8)
			continue;
		m = mem_rip(LOG_FIELD(cfg, e[i].len));
		kbt_emit_mov_imm(&t->e, &m, 4, 0);
	}
	m = mem_rip(LOG_FIELD(cfg, scratch[0]));
	kbt_emit_mov_load(&t->e, t->s1, &m, 8);
	if (t->save_s2) {
		m = mem_rip(LOG_FIELD(cfg, scratch[1]));
		kbt_emit_mov_load(&t->e, t->s2, &m, 8);
	}
	t->open = false;
	t->last_live = false;
	t->blk->commits++;
}

/*
 * The original instruction at the cache's address: RIP-relative operands
 * made absolute again, and memory operand @mop (if not -1) moved by off.
 */
static void emit_moved(struct tr *t, const struct kbt_insn *in, int mop,
		       int64_t off)
{
	ZydisEncoderRequest req;
	unsigned int i;

	if (!in->rip_rel && (mop < 0 || !off)) {
		kbt_emit_bytes(&t->e, in->bytes, in->di.length);
		return;
	}
	if (ZYAN_FAILED(ZydisEncoderDecodedInstructionToEncoderRequest(
			&in->di, in->ops, in->di.operand_count_visible, &req))) {
		t->e.err = t->e.err ?: -EINVAL;
		return;
	}
	for (i = 0; i < req.operand_count; i++) {
		ZydisEncoderOperand *op = &req.operands[i];

		if (op->type != ZYDIS_OPERAND_TYPE_MEMORY)
			continue;
		if (op->mem.base == ZYDIS_REGISTER_RIP)
			op->mem.displacement = (int64_t)rip_target(in, i);
		if ((int)i == mop)
			op->mem.displacement += off;
	}
	kbt_emit_req(&t->e, &req);
}

/* The instruction being emitted does its original's work here. */
static void mark_exec(struct tr *t, const struct kbt_insn *in)
{
	struct kbt_map *m = &t->map[in - t->in];

	m->exec_rip = kbt_emit_rip(&t->e);
	m->open = t->open;
	m->s1 = (uint8_t)t->s1;
	m->s2 = t->save_s2 ? (uint8_t)t->s2 : KBT_NO_REG;
	m->ent_first = t->open ? (uint8_t)t->nent : 0;
	m->nent = in->kind == KBT_STORE ? (uint8_t)store_entries(in) : 0;
}

static int add_window(struct tr *t, const struct kbt_window *w)
{
	struct kbt_block *b = t->blk;

	if (grow(&b->windows, b->nwindows, sizeof(*b->windows)))
		return -ENOMEM;
	b->windows[b->nwindows++] = *w;
	return 0;
}

/*
 * Does the run of consecutive stores end with @in, so that it publishes
 * their entries? It does at the region's last store, before any other
 * instruction, and before a store whose entries need a commit first.
 */
static bool run_ends(const struct tr *t, const struct kbt_insn *in)
{
	unsigned int next = (unsigned int)(in - t->in) + 1;

	return next > t->last || t->in[next].kind != KBT_STORE ||
	       t->nent + store_entries(&t->in[next]) > KEEL_BT_LOG_ENTRIES;
}

/*
 * Does the log take the store @in as a register entry, which the code
 * does not write (struct kbt_window)? A store the commit makes again
 * from its registers (repeatable()), of one entry, with a 64-bit address.
 * If so, describes it in @win.
 */
static bool reg_entry(const struct kbt_insn *in, struct kbt_window *win)
{
	struct kbt_mem m;
	int base, index;

	if (!in->repeat || store_entries(in) != 1 ||
	    in->di.address_width != 64)
		return false;
	/* RIP-relative: base RIP (no GPR), the absolute address in disp */
	m = store_mem(in, 0);
	base = kbt_gpr_id(m.base);
	index = kbt_gpr_id(m.index);
	win->reg_entry = 1;
	win->src = in->src_reg >= 0 ? (uint8_t)in->src_reg : KBT_NO_REG;
	win->imm = in->imm;
	win->base = base >= 0 ? (uint8_t)base : KBT_NO_REG;
	win->index = index >= 0 ? (uint8_t)index : KBT_NO_REG;
	win->scale = index >= 0 ? m.scale : 0;
	win->disp = m.disp;
	return true;
}

/* mov [log.e[n].addr], the address of the store's 8-byte piece @e */
static void entry_addr(struct tr *t, unsigned int n, unsigned int e)
{
	struct kbt_mem m;

	if (e) {
		m = mem_reg(t->s1, 8 * e);
		kbt_emit_lea(&t->e, t->s2, &m);
	}
	m = mem_rip(LOG_FIELD(t->cfg, e[n].addr));
	kbt_emit_mov_store(&t->e, &m, 8, e ? t->s2 : t->s1);
}

/* mov [log.e[n].val], the mov's source register or immediate */
static void entry_src(struct tr *t, unsigned int n, const struct kbt_insn *in)
{
	struct kbt_mem m = mem_rip(LOG_FIELD(t->cfg, e[n].val));

	/* the bytes stored are the register's low ones */
	if (in->src_reg >= 0)
		kbt_emit_mov_store(&t->e, &m, 8, in->src_reg);
	else
		kbt_emit_mov_imm(&t->e, &m, 8, in->imm);
}

/* mov{zx} s2, [s1 + alias_off + 8e]; mov [log.e[n].val], s2 */
static void entry_read(struct tr *t, unsigned int n, unsigned int e,
		       unsigned int w)
{
	struct kbt_mem m = mem_reg(t->s1, t->cfg->alias_off + 8 * e);

	kbt_emit_mov_load(&t->e, t->s2, &m, w);
	m = mem_rip(LOG_FIELD(t->cfg, e[n].val));
	kbt_emit_mov_store(&t->e, &m, 8, t->s2);
}

/* mov dword [log.e[n].len], len */
static void entry_len(struct tr *t, unsigned int n, uint32_t len)
{
	struct kbt_mem m = mem_rip(LOG_FIELD(t->cfg, e[n].len));

	kbt_emit_mov_imm(&t->e, &m, 4, (int32_t)len);
}

/* The store's entries taken from the log: their lengths, for the commit. */
static void take_entries(struct tr *t, const struct kbt_insn *in)
{
	unsigned int k = store_entries(in), e;

	for (e = 0; e < k; e++) {
		t->lens[t->nent + e] = (uint8_t)(in->size <= 8 ? in->size : 8);
		t->repeat[t->nent + e] = in->repeat ? in : NULL;
	}
	t->nent += k;
	/* s1 and s2 keep the address and the bytes of a one-entry store */
	t->last_live = k == 1 && in->src_reg < 0 && !in->src_imm;
	t->blk->stores++;
	t->nstores++;
}

/*
 * A store in a full log: its entries written and published before it is
 * made, a mov's with the bytes it stores (right whether the store is
 * made yet or not), any other store's open until the bytes it left are
 * read back after it. Each field before the count that publishes it,
 * which x86's store order keeps for the reader.
 */
static void store_full(struct tr *t, const struct kbt_insn *in)
{
	const struct kbt_config *cfg = t->cfg;
	unsigned int k = store_entries(in), n = t->nent, e;
	unsigned int w = in->size <= 8 ? in->size : 8;
	uint32_t len = w < 8 ? w : 0;
	bool ahead = in->src_reg >= 0 || in->src_imm;
	struct kbt_mem m;

	m = store_mem(in, 0);
	kbt_emit_lea(&t->e, t->s1, &m);
	for (e = 0; e < k; e++) {
		entry_addr(t, n + e, e);
		if (ahead) {
			entry_src(t, n + e, in);
			if (len)
				entry_len(t, n + e, len);
		} else {
			entry_len(t, n + e, KEEL_BT_LEN_OPEN | len);
		}
	}
	m = mem_rip(LOG_FIELD(cfg, count));
	kbt_emit_mov_imm(&t->e, &m, 8, (int32_t)(n + k));
	mark_exec(t, in);
	emit_moved(t, in, in->mem_op, cfg->alias_off);
	for (e = 0; e < k && !ahead; e++) {
		entry_read(t, n + e, e, w);
		/* the bytes first, then the length that closes the entry */
		entry_len(t, n + e, len);
	}
	take_entries(t, in);
}

static int emit_store(struct tr *t, const struct kbt_insn *in)
{
	const struct kbt_config *cfg = t->cfg;
	unsigned int k = store_entries(in);
	unsigned int w = in->size <= 8 ? in->size : 8;
	struct kbt_window win = { .orig_rip = in->rip, .size = in->size };
	struct kbt_mem m;
	unsigned int id, e;
	int ret;

	if (t->open && t->nent + k > KEEL_BT_LOG_ENTRIES)
		commit(t);
	if (!t->open)
		open_region(t);
	if (t->full) {
		/* no rollback, no window: nothing saved for one */
		store_full(t, in);
		return 0;
	}
	for (id = 0; id < 16; id++) {
		if (!(in->written & (1u << id)))
			continue;
		m = mem_rip(LOG_FIELD(cfg, rsave[win.nsave]));
		kbt_emit_mov_store(&t->e, &m, 8, id);
		win.rsave_reg[win.nsave++] = id;
	}
	for (e = 0; e < KBT_NR_FLAGS; e++) {
		if (!(in->tested & kbt_flag_bit[e]))
			continue;
		m = mem_rip(LOG_FIELD(cfg, flags[e]));
		kbt_emit_setcc(&t->e, flag_setcc[e], &m);
		win.flags |= kbt_flag_bit[e];
	}
	/* a register entry's address is in no one register: none to roll back */
	win.addr_reg = KBT_NO_REG;
	if (!reg_entry(in, &win)) {
		m = store_mem(in, 0);
		kbt_emit_lea(&t->e, t->s1, &m);
		win.addr_reg = t->s1;
	}
	win.store_start = kbt_emit_rip(&t->e);
	mark_exec(t, in);
	emit_moved(t, in, in->mem_op, cfg->alias_off);
	win.exec_end = kbt_emit_rip(&t->e);
	if (t->pending) {
		/* the previous store's window ends where this one's begins */
		t->pend.end = win.exec_end - 1;
		t->pending = false;
		ret = add_window(t, &t->pend);
		if (ret)
			return ret;
	}
	for (e = 0; e < k && !win.reg_entry; e++) {
		unsigned int n = t->nent + e;

		entry_addr(t, n, e);
		if (in->src_reg >= 0 || in->src_imm)
			entry_src(t, n, in);
		else
			entry_read(t, n, e, w);
		/* 0, what every entry's len is outside a region, is 8 */
		if (w < 8)
			entry_len(t, n, w);
	}
	win.ent_first = (uint8_t)t->nent;
	take_entries(t, in);
	win.ent_done = (uint8_t)t->nent;
	win.entry_end = kbt_emit_rip(&t->e);
	if (!run_ends(t, in)) {
		t->pend = win;
		t->pending = true;
		return 0;
	}
	win.end = kbt_emit_rip(&t->e);
	m = mem_rip(LOG_FIELD(cfg, count));
	kbt_emit_mov_imm(&t->e, &m, 8, (int32_t)t->nent);
	return add_window(t, &win);
}

/* Do memory operand @ia of @a and @ib of @b name the same address? */
static bool same_mem(const struct kbt_insn *a, int ia,
		     const struct kbt_insn *b, int ib)
{
	const ZydisDecodedOperand *x = &a->ops[ia], *y = &b->ops[ib];

	if (x->mem.base != y->mem.base || x->mem.index != y->mem.index ||
	    x->mem.scale != y->mem.scale || x->mem.segment != y->mem.segment ||
	    a->di.address_width != b->di.address_width)
		return false;
	if (x->mem.base == ZYDIS_REGISTER_RIP)
		return rip_target(a, ia) == rip_target(b, ib);
	return x->mem.disp.value == y->mem.disp.value;
}

/*
 * A load whose address a store of the region makes later, no register of
 * the address changed in between (a[i] read, then written): the memory
 * operand to read through the alias, as the store writes it, or -1. Read
 * through its own address, the line would be held under two linear
 * addresses in turn, which AMD's L1 data cache does not do at once
 * (Documentation/bt.rst, "Placement in a guest"). The store runs whenever
 * the load does (a region has no branch), so the alias serves both.
 */
static int in_pair(const struct tr *t, const struct kbt_insn *in)
{
	unsigned int i, q, n = (unsigned int)(in - t->in);
	const ZydisDecodedOperand *op = NULL;
	uint16_t regs;
	int mop = -1;

	if (in->kind != KBT_PLAIN || n >= t->last)
		return -1;
	for (i = 0; i < in->di.operand_count; i++) {
		const ZydisDecodedOperand *o = &in->ops[i];

		if (o->type != ZYDIS_OPERAND_TYPE_MEMORY)
			continue;
		if (mop >= 0 || o->mem.type != ZYDIS_MEMOP_TYPE_MEM ||
		    o->visibility != ZYDIS_OPERAND_VISIBILITY_EXPLICIT)
			return -1;
		mop = (int)i;
	}
	if (mop < 0)
		return -1;
	op = &in->ops[mop];
	if (op->mem.segment == ZYDIS_REGISTER_FS ||
	    op->mem.segment == ZYDIS_REGISTER_GS ||
	    !movable(t, in, mop, t->cfg->alias_off, &regs) ||
	    (in->written & regs))
		return -1;
	for (q = n + 1; q <= t->last; q++) {
		const struct kbt_insn *s = &t->in[q];

		if (s->kind == KBT_STORE && same_mem(s, s->mem_op, in, mop))
			return mop;
		if (s->written & regs)
			return -1;
	}
	return -1;
}

static int add_fixup(struct tr *t, size_t at, uint64_t target)
{
	if (grow(&t->fx, t->nfx, sizeof(*t->fx)))
		return -ENOMEM;
	t->fx[t->nfx++] = (struct fixup){ .at = at, .target = target };
	return 0;
}

static int emit_insn(struct tr *t, const struct kbt_insn *in)
{
	int mop;

	if (in->kind != KBT_STORE)
		t->last_live = false;
	switch (in->kind) {
	case KBT_STORE:
		return emit_store(t, in);
	case KBT_JCC:
	case KBT_JMP:
		commit(t);
		mark_exec(t, in);
		return add_fixup(t, kbt_emit_rel32(&t->e, in->kind == KBT_JCC ?
						   in->cc : -1), in->target);
	case KBT_LEAVE:
		commit(t);
		mark_exec(t, in);
		emit_moved(t, in, -1, 0);
		return 0;
	default:
		mop = in_pair(t, in);
		t->blk->alias_loads += mop >= 0;
		mark_exec(t, in);
		emit_moved(t, in, mop, t->cfg->alias_off);
		return 0;
	}
}

/* Branches to a translated instruction go there, others to the original. */
static int resolve(struct tr *t)
{
	unsigned int i;

	for (i = 0; i < t->nfx && !t->e.err; i++) {
		const struct fixup *f = &t->fx[i];
		uint64_t to = f->target, from = t->e.rip + f->at + 4;
		int j = find_insn(t, to);
		int32_t rel;

		if (j >= 0) {
			to = t->trans[j];
		} else if (!kbt_rel32_reach(from, to)) {
			uint64_t stub = kbt_emit_rip(&t->e);

			kbt_emit_jmp_abs(&t->e, to);
			to = stub;
		}
		if (t->e.err)
			break;
		rel = (int32_t)(to - from);
		memcpy(t->e.buf + f->at, &rel, 4);
	}
	return t->e.err;
}

static int emit_all(struct tr *t)
{
	const struct kbt_insn *last = NULL;
	unsigned int i = 0, end, j;
	int ret;

	while (i < t->n) {
		end = region_end(t, i);
		for (j = i; j < end; j++)
			if (t->in[j].kind == KBT_STORE)
				break;
		if (j < end && pick_scratch(t, i, end)) {
			/* no two free registers: leave at the first store */
			t->n = j;
			t->blk->stop_rip = t->in[j].rip;
			t->blk->stop_why = KBT_STOP_SCRATCH;
			end = j;
		}
		region_setup(t, i, end);
		for (j = i; j < end; j++) {
			t->trans[j] = kbt_emit_rip(&t->e);
			ret = emit_insn(t, &t->in[j]);
			if (ret)
				return ret;
			/* the region's stores reach the mirror at once */
			if (j == t->last)
				commit(t);
			last = &t->in[j];
		}
		commit(t);
		i = end;
	}
	if (!last || (last->kind != KBT_JMP && last->kind != KBT_LEAVE))
		kbt_emit_jmp_abs(&t->e, t->blk->stop_rip);
	return t->e.err ?: resolve(t);
}

static int fill_map(struct tr *t)
{
	struct kbt_block *b = t->blk;
	unsigned int i;

	for (i = 0; i < t->n; i++) {
		t->map[i].orig_rip = t->in[i].rip;
		t->map[i].trans_rip = t->trans[i];
	}
	b->map = t->map;
	t->map = NULL;
	b->nmap = t->n;
	b->insns = t->n;
	return 0;
}

int kbt_translate(const struct kbt_config *cfg, const uint8_t *code,
		  size_t len, uint64_t orig_rip, uint8_t *out, size_t cap,
		  uint64_t out_rip, struct kbt_block *blk)
{
	struct tr t = {
		.cfg = cfg, .blk = blk,
		.e = { .buf = out, .cap = cap, .rip = out_rip },
	};
	int ret;

	memset(blk, 0, sizeof(*blk));
	blk->orig_start = orig_rip;
	blk->trans_start = out_rip;
	if (!cfg || !code || !out || (cfg->flags & ~KBT_FULL_LOG) ||
	    cfg->alias_off < -OFF_LIMIT || cfg->alias_off > OFF_LIMIT ||
	    cfg->mirror_off < -OFF_LIMIT || cfg->mirror_off > OFF_LIMIT ||
	    !cfg->mirror_off || cfg->mirror_off == cfg->alias_off)
		return -EINVAL;
	if (!reaches(&t, cfg->log_addr) ||
	    !reaches(&t, cfg->log_addr + sizeof(struct keel_bt_log)) ||
	    (cfg->count_addr && (!reaches(&t, cfg->count_addr) ||
				 !reaches(&t, cfg->count_addr + 8))))
		return -ERANGE;
	t.full = cfg->flags & KBT_FULL_LOG;
	blk->full_log = t.full;
	ret = decode_range(&t, code, len, orig_rip);
	if (ret)
		goto out;
	t.trans = calloc(t.n ? t.n : 1, sizeof(*t.trans));
	t.map = calloc(t.n ? t.n : 1, sizeof(*t.map));
	if (!t.trans || !t.map) {
		ret = -ENOMEM;
		goto out;
	}
	mark_leaders(&t);
	ret = emit_all(&t);
	if (!ret)
		ret = fill_map(&t);
	blk->trans_len = t.e.len;
out:
	free(t.in);
	free(t.trans);
	free(t.map);
	free(t.fx);
	if (ret)
		kbt_block_free(blk);
	return ret;
}

void kbt_block_free(struct kbt_block *blk)
{
	free(blk->windows);
	free(blk->map);
	blk->windows = NULL;
	blk->map = NULL;
	blk->nwindows = 0;
	blk->nmap = 0;
}

const char *kbt_stop_name(enum kbt_stop why)
{
	static const char *const names[] = {
		[KBT_STOP_END] = "end",
		[KBT_STOP_UNDECODABLE] = "undecodable",
		[KBT_STOP_STORE_FORM] = "store-form",
		[KBT_STOP_CONTROL] = "control",
		[KBT_STOP_REACH] = "reach",
		[KBT_STOP_SCRATCH] = "scratch",
	};

	return (unsigned int)why < sizeof(names) / sizeof(names[0]) ?
	       names[why] : "?";
}
