// SPDX-License-Identifier: GPL-2.0
/*
 * The binary translator's differential test, native side: a random block
 * generator built on the Zydis encoder (bt_gen_block), the start state
 * that agrees with it (bt_gen_regs) and the harness that runs a block
 * natively (bt_run, bt_exit).  See bt_gen.h for the register convention.
 */
#include <assert.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <Zydis/Zydis.h>

#include "bt_gen.h"

/*
 * DATA layout.  rbx, rbp and r12 point at base_off[i] + jitter, rsp at
 * RSP_OFF + jitter, jitter a multiple of 16 below JITTER_MAX.  An operand
 * [base + r13*scale + disp] of at most 16 bytes then lies in
 * [off - 512, off + JITTER_MAX + 63*8 + 511 + 16), inside the first
 * BT_GEN_DATA_MIN bytes.  Each base range crosses a page boundary.
 */
#define JITTER_MAX	64
#define IDX_MAX		63
#define DISP_MIN	(-512)
#define DISP_MAX	511
#define SDISP_MIN	(-256)	/* [rsp + ...] */
#define SDISP_MAX	255
#define RSP_OFF		14592u
#define MAX_SIZE	16

static const uint32_t base_off[3] = { 3584, 7936, 11776 };

static_assert(3584 + DISP_MIN >= 0, "base 0 below DATA");
static_assert(11776 + JITTER_MAX + IDX_MAX * 8 + DISP_MAX + MAX_SIZE <=
	      RSP_OFF + SDISP_MIN, "base 2 overlaps the stack");
static_assert(RSP_OFF + SDISP_MIN >= 256, "no room below rsp");
static_assert(RSP_OFF + JITTER_MAX + IDX_MAX * 8 + SDISP_MAX + MAX_SIZE <=
	      BT_GEN_DATA_MIN, "stack past DATA");

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
       R8, R9, R10, R11, R12, R13, R14, R15 };

static const uint8_t free_regs[] = {
	RAX, RCX, RDX, RSI, RDI, R8, R9, R10, R11, R14, R15
};

#define NFREE		(sizeof(free_regs) / sizeof(free_regs[0]))

/* rip-relative reach kept well inside +-2 GiB for any offset in a block */
#define RIP_REACH	((int64_t)0x7f000000)

uint64_t bt_gen_rand(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd(uint64_t *s, uint32_t n)
{
	return (uint32_t)((bt_gen_rand(s) >> 32) % n);
}

static int64_t rnd_range(uint64_t *s, int64_t lo, int64_t hi)
{
	return lo + (int64_t)rnd(s, (uint32_t)(hi - lo + 1));
}

/* A random 64-bit value biased towards edge cases. */
static uint64_t rnd_val(uint64_t *s)
{
	switch (rnd(s, 8)) {
	case 0:
		return rnd(s, 4);
	case 1:
		return -(uint64_t)rnd(s, 4);
	case 2:
		return 1ull << rnd(s, 64);
	case 3:
		return (uint64_t)(int64_t)(int32_t)bt_gen_rand(s);
	default:
		return bt_gen_rand(s);
	}
}

void bt_gen_regs(uint64_t *rng, const struct bt_gen_layout *l,
		 struct bt_regs *r)
{
	uint64_t data = (uintptr_t)l->data;
	unsigned int i;

	for (i = 0; i < 16; i++)
		r->gpr[i] = rnd_val(rng);
	r->gpr[RBX] = data + base_off[0] + 16 * rnd(rng, JITTER_MAX / 16);
	r->gpr[RBP] = data + base_off[1] + 16 * rnd(rng, JITTER_MAX / 16);
	r->gpr[R12] = data + base_off[2] + 16 * rnd(rng, JITTER_MAX / 16);
	r->gpr[R13] = rnd(rng, IDX_MAX + 1);
	r->gpr[RSP] = data + RSP_OFF + 16 * rnd(rng, JITTER_MAX / 16);
	r->rflags = bt_gen_rand(rng) & BT_FLAGS_ARITH;
	for (i = 0; i < 4; i++) {
		uint64_t a = bt_gen_rand(rng), b = bt_gen_rand(rng);

		memcpy(r->xmm[i], &a, 8);
		memcpy(r->xmm[i] + 8, &b, 8);
	}
}

void bt_gen_data(uint64_t *rng, const struct bt_gen_layout *l)
{
	size_t i;

	for (i = 0; i + 8 <= l->data_len; i += 8) {
		uint64_t v = rnd(rng, 4) ? bt_gen_rand(rng) : rnd_val(rng);

		memcpy(l->data + i, &v, 8);
	}
}

/* ------------------------------------------------------------------ */
/* Generator                                                           */
/* ------------------------------------------------------------------ */

#define F_CF	BT_FLAG_CF
#define F_PF	BT_FLAG_PF
#define F_AF	BT_FLAG_AF
#define F_ZF	BT_FLAG_ZF
#define F_SF	BT_FLAG_SF
#define F_OF	BT_FLAG_OF
#define F_ALL	BT_FLAGS_ARITH

struct item {
	ZydisEncoderRequest req;
	uint8_t len;
	uint8_t flags;		/* BT_GEN_I_* */
	uint8_t width;		/* branches: 8 or 32 */
	uint16_t undef;		/* undefined flags after it */
	int target;		/* branches: target item (n = trailer) */
};

struct gen {
	uint64_t *rng;
	const struct bt_gen_layout *l;
	uint64_t code_rip;
	bool r15_busy;		/* inside the loop body */
	uint16_t undef;		/* flags undefined before this insn */
	/* result of one gen_* call */
	uint16_t def;		/* flags it defines */
	uint16_t und;		/* flags it leaves undefined */
	uint8_t iflags;
	/* the last load's memory operand, which a store may reuse */
	ZydisEncoderOperand last_load;
	bool have_load;
};

/* Condition codes: jcc, setcc, cmovcc mnemonics and the flags read. */
struct cc {
	ZydisMnemonic j, set, cmov;
	uint16_t reads;
};

static const struct cc ccs[16] = {
	{ ZYDIS_MNEMONIC_JO, ZYDIS_MNEMONIC_SETO, ZYDIS_MNEMONIC_CMOVO, F_OF },
	{ ZYDIS_MNEMONIC_JNO, ZYDIS_MNEMONIC_SETNO, ZYDIS_MNEMONIC_CMOVNO,
	  F_OF },
	{ ZYDIS_MNEMONIC_JB, ZYDIS_MNEMONIC_SETB, ZYDIS_MNEMONIC_CMOVB, F_CF },
	{ ZYDIS_MNEMONIC_JNB, ZYDIS_MNEMONIC_SETNB, ZYDIS_MNEMONIC_CMOVNB,
	  F_CF },
	{ ZYDIS_MNEMONIC_JZ, ZYDIS_MNEMONIC_SETZ, ZYDIS_MNEMONIC_CMOVZ, F_ZF },
	{ ZYDIS_MNEMONIC_JNZ, ZYDIS_MNEMONIC_SETNZ, ZYDIS_MNEMONIC_CMOVNZ,
	  F_ZF },
	{ ZYDIS_MNEMONIC_JBE, ZYDIS_MNEMONIC_SETBE, ZYDIS_MNEMONIC_CMOVBE,
	  F_CF | F_ZF },
	{ ZYDIS_MNEMONIC_JNBE, ZYDIS_MNEMONIC_SETNBE, ZYDIS_MNEMONIC_CMOVNBE,
	  F_CF | F_ZF },
	{ ZYDIS_MNEMONIC_JS, ZYDIS_MNEMONIC_SETS, ZYDIS_MNEMONIC_CMOVS, F_SF },
	{ ZYDIS_MNEMONIC_JNS, ZYDIS_MNEMONIC_SETNS, ZYDIS_MNEMONIC_CMOVNS,
	  F_SF },
	{ ZYDIS_MNEMONIC_JP, ZYDIS_MNEMONIC_SETP, ZYDIS_MNEMONIC_CMOVP, F_PF },
	{ ZYDIS_MNEMONIC_JNP, ZYDIS_MNEMONIC_SETNP, ZYDIS_MNEMONIC_CMOVNP,
	  F_PF },
	{ ZYDIS_MNEMONIC_JL, ZYDIS_MNEMONIC_SETL, ZYDIS_MNEMONIC_CMOVL,
	  F_SF | F_OF },
	{ ZYDIS_MNEMONIC_JNL, ZYDIS_MNEMONIC_SETNL, ZYDIS_MNEMONIC_CMOVNL,
	  F_SF | F_OF },
	{ ZYDIS_MNEMONIC_JLE, ZYDIS_MNEMONIC_SETLE, ZYDIS_MNEMONIC_CMOVLE,
	  F_ZF | F_SF | F_OF },
	{ ZYDIS_MNEMONIC_JNLE, ZYDIS_MNEMONIC_SETNLE, ZYDIS_MNEMONIC_CMOVNLE,
	  F_ZF | F_SF | F_OF },
};

/* A condition whose flags are all defined, or NULL. */
static const struct cc *pick_cc(struct gen *g)
{
	const struct cc *ok[16];
	unsigned int i, n = 0;

	for (i = 0; i < 16; i++)
		if (!(ccs[i].reads & g->undef))
			ok[n++] = &ccs[i];
	return n ? ok[rnd(g->rng, n)] : NULL;
}

static unsigned int rnd_size(struct gen *g)
{
	return 1u << rnd(g->rng, 4);
}

static ZydisRegister gpr(unsigned int size, unsigned int id)
{
	switch (size) {
	case 1:
		return ZYDIS_REGISTER_AL + (id < 4 ? id : id + 4);
	case 2:
		return ZYDIS_REGISTER_AX + id;
	case 4:
		return ZYDIS_REGISTER_EAX + id;
	default:
		return ZYDIS_REGISTER_RAX + id;
	}
}

/* A register the block may write. */
static ZydisRegister dst_reg(struct gen *g, unsigned int size)
{
	unsigned int id;

	/* ah, ch, dh: the high bytes of free registers */
	if (size == 1 && !rnd(g->rng, 5))
		return ZYDIS_REGISTER_AH + rnd(g->rng, 3);
	do
		id = free_regs[rnd(g->rng, NFREE)];
	while (id == R15 && g->r15_busy);
	return gpr(size, id);
}

/* A register the block may read: any, mostly free ones. */
static ZydisRegister src_reg(struct gen *g, unsigned int size)
{
	if (size == 1 && !rnd(g->rng, 5))
		return ZYDIS_REGISTER_AH + rnd(g->rng, 4);
	if (!rnd(g->rng, 5))
		return gpr(size, rnd(g->rng, 16));
	return gpr(size, free_regs[rnd(g->rng, NFREE)]);
}

static ZydisRegister xmm_reg(struct gen *g)
{
	return ZYDIS_REGISTER_XMM0 + rnd(g->rng, 4);
}

static void op_reg(ZydisEncoderOperand *o, ZydisRegister r)
{
	o->type = ZYDIS_OPERAND_TYPE_REGISTER;
	o->reg.value = r;
}

static void op_imm(ZydisEncoderOperand *o, int64_t v)
{
	o->type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
	o->imm.s = v;
}

/* An immediate for an operation of size bytes (imm8 or imm32 forms). */
static int64_t rnd_imm(struct gen *g, unsigned int size)
{
	if (rnd(g->rng, 2))
		return (int8_t)bt_gen_rand(g->rng);
	switch (size) {
	case 1:
		return (int8_t)bt_gen_rand(g->rng);
	case 2:
		return (int16_t)bt_gen_rand(g->rng);
	default:
		return (int32_t)bt_gen_rand(g->rng);
	}
}

/*
 * A memory operand of size bytes inside DATA for any execution.  With
 * aligned, the address is a multiple of size (up to 8; 16 stays 16-byte
 * aligned too), so locked accesses never split a cache line.
 */
static void op_mem_new(struct gen *g, ZydisEncoderOperand *o,
		       unsigned int size, unsigned int kind, bool aligned);

/* A memory operand of @size bytes (aligned to it if @aligned). */
static void op_mem(struct gen *g, ZydisEncoderOperand *o, unsigned int size,
		   bool aligned)
{
	unsigned int kind = rnd(g->rng, 16);

	/* a third of the stores write where the last load read */
	if ((g->iflags & BT_GEN_I_STORE) && !aligned && g->have_load &&
	    !rnd(g->rng, 3)) {
		uint64_t t = (uint64_t)g->last_load.mem.displacement;
		uint64_t end = (uintptr_t)g->l->data + g->l->data_len;
		bool rip = g->last_load.mem.base == ZYDIS_REGISTER_RIP;

		if (!rip || t + size <= end) {
			*o = g->last_load;
			o->mem.size = size;
			if (rip)
				g->iflags |= BT_GEN_I_RIPREL;
			return;
		}
	}
	op_mem_new(g, o, size, kind, aligned);
	if (!(g->iflags & BT_GEN_I_STORE)) {
		g->last_load = *o;
		g->have_load = true;
	}
}

static void op_mem_new(struct gen *g, ZydisEncoderOperand *o,
		       unsigned int size, unsigned int kind, bool aligned)
{
	int64_t disp;

	o->type = ZYDIS_OPERAND_TYPE_MEMORY;
	o->mem.size = size;
	o->mem.index = ZYDIS_REGISTER_NONE;
	o->mem.scale = 0;

	if (kind >= 13) {
		uint64_t data = (uintptr_t)g->l->data;
		uint64_t t = data + rnd(g->rng, g->l->data_len - size + 1);
		int64_t d;

		if (aligned)
			t &= ~(uint64_t)(size - 1);
		d = (int64_t)(t - g->code_rip);
		if (d > -RIP_REACH && d < RIP_REACH) {
			o->mem.base = ZYDIS_REGISTER_RIP;
			o->mem.displacement = (int64_t)t;
			g->iflags |= BT_GEN_I_RIPREL;
			return;
		}
		kind = 0;
	}
	if (kind >= 10) {
		o->mem.base = ZYDIS_REGISTER_RSP;
		disp = rnd_range(g->rng, SDISP_MIN, SDISP_MAX);
	} else {
		static const ZydisRegister bases[3] = {
			ZYDIS_REGISTER_RBX, ZYDIS_REGISTER_RBP,
			ZYDIS_REGISTER_R12
		};

		o->mem.base = bases[rnd(g->rng, 3)];
		if (rnd(g->rng, 2))
			disp = rnd_range(g->rng, -64, 63);
		else
			disp = rnd_range(g->rng, DISP_MIN, DISP_MAX);
	}
	if (rnd(g->rng, 2)) {
		unsigned int scale = 1u << rnd(g->rng, 4);

		if (!aligned || (size <= 8 && scale >= size)) {
			o->mem.index = ZYDIS_REGISTER_R13;
			o->mem.scale = scale;
		}
	}
	if (aligned)
		disp &= ~(int64_t)(size - 1);
	else if (!rnd(g->rng, 4))
		disp = (disp & ~(int64_t)7) + 8 - rnd_range(g->rng, 1, 7);
	o->mem.displacement = disp;
}

static void req_init(ZydisEncoderRequest *r, ZydisMnemonic m, unsigned int n)
{
	memset(r, 0, sizeof(*r));
	r->machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
	r->allowed_encodings = ZYDIS_ENCODABLE_ENCODING_LEGACY;
	r->mnemonic = m;
	r->operand_count = n;
}

static const ZydisMnemonic alu_store[] = {
	ZYDIS_MNEMONIC_ADD, ZYDIS_MNEMONIC_SUB, ZYDIS_MNEMONIC_AND,
	ZYDIS_MNEMONIC_OR, ZYDIS_MNEMONIC_XOR, ZYDIS_MNEMONIC_ADC,
	ZYDIS_MNEMONIC_SBB,
};

static const ZydisMnemonic alu_reg[] = {
	ZYDIS_MNEMONIC_ADD, ZYDIS_MNEMONIC_SUB, ZYDIS_MNEMONIC_AND,
	ZYDIS_MNEMONIC_OR, ZYDIS_MNEMONIC_XOR, ZYDIS_MNEMONIC_ADC,
	ZYDIS_MNEMONIC_SBB, ZYDIS_MNEMONIC_CMP, ZYDIS_MNEMONIC_TEST,
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Flags an ALU mnemonic reads, defines and leaves undefined. */
static bool alu_flags(struct gen *g, ZydisMnemonic m)
{
	switch (m) {
	case ZYDIS_MNEMONIC_ADC:
	case ZYDIS_MNEMONIC_SBB:
		if (g->undef & F_CF)
			return false;
		/* fall through */
	case ZYDIS_MNEMONIC_ADD:
	case ZYDIS_MNEMONIC_SUB:
	case ZYDIS_MNEMONIC_CMP:
		g->def = F_ALL;
		return true;
	default:		/* and or xor test */
		g->def = F_ALL & ~F_AF;
		g->und = F_AF;
		return true;
	}
}

static bool gen_shift(struct gen *g, ZydisEncoderRequest *r, bool mem)
{
	static const ZydisMnemonic sh[] = {
		ZYDIS_MNEMONIC_SHL, ZYDIS_MNEMONIC_SHR, ZYDIS_MNEMONIC_SAR,
		ZYDIS_MNEMONIC_ROL, ZYDIS_MNEMONIC_ROR,
	};
	ZydisMnemonic m = sh[rnd(g->rng, NELEM(sh))];
	bool rot = m == ZYDIS_MNEMONIC_ROL || m == ZYDIS_MNEMONIC_ROR;
	unsigned int size = rnd_size(g), how = rnd(g->rng, 3), c;

	req_init(r, m, 2);
	if (mem) {
		op_mem(g, &r->operands[0], size, false);
		g->iflags |= BT_GEN_I_STORE | BT_GEN_I_LOAD;
	} else {
		op_reg(&r->operands[0], dst_reg(g, size));
	}
	if (how == 0) {
		/* by cl: count unknown, maybe 0 (flags unchanged) */
		op_reg(&r->operands[1], ZYDIS_REGISTER_CL);
		g->und = rot ? F_OF : F_OF | F_AF;
		if (!rot && size <= 2)
			g->und |= F_CF;
		return true;
	}
	c = how == 1 ? 1 : rnd(g->rng, 64);
	op_imm(&r->operands[1], c);
	c &= size == 8 ? 63 : 31;
	if (!c)
		return true;
	if (rot) {
		g->def = F_CF;
	} else {
		g->def = F_CF | F_SF | F_ZF | F_PF;
		g->und = F_AF;
		if (c >= size * 8)
			g->und |= F_CF;
	}
	if (c == 1)
		g->def |= F_OF;
	else
		g->und |= F_OF;
	g->def &= ~g->und;
	return true;
}

/* An instruction that writes memory. */
static bool gen_store(struct gen *g, ZydisEncoderRequest *r)
{
	unsigned int size = rnd_size(g);
	ZydisMnemonic m;
	const struct cc *c;

	g->iflags |= BT_GEN_I_STORE;
	switch (rnd(g->rng, 22)) {
	case 0: case 1: case 2:		/* mov m, r */
		req_init(r, ZYDIS_MNEMONIC_MOV, 2);
		op_mem(g, &r->operands[0], size, false);
		op_reg(&r->operands[1], src_reg(g, size));
		return true;
	case 3: case 4:			/* mov m, imm */
		req_init(r, ZYDIS_MNEMONIC_MOV, 2);
		op_mem(g, &r->operands[0], size, false);
		op_imm(&r->operands[1], rnd_imm(g, size));
		return true;
	case 5: case 6:			/* alu m, r */
		m = alu_store[rnd(g->rng, NELEM(alu_store))];
		if (!alu_flags(g, m))
			return false;
		req_init(r, m, 2);
		op_mem(g, &r->operands[0], size, false);
		op_reg(&r->operands[1], src_reg(g, size));
		g->iflags |= BT_GEN_I_LOAD;
		return true;
	case 7: case 8:			/* alu m, imm */
		m = alu_store[rnd(g->rng, NELEM(alu_store))];
		if (!alu_flags(g, m))
			return false;
		req_init(r, m, 2);
		op_mem(g, &r->operands[0], size, false);
		op_imm(&r->operands[1], rnd_imm(g, size));
		g->iflags |= BT_GEN_I_LOAD;
		return true;
	case 9: {			/* inc dec not neg m */
		static const ZydisMnemonic u[] = {
			ZYDIS_MNEMONIC_INC, ZYDIS_MNEMONIC_DEC,
			ZYDIS_MNEMONIC_NOT, ZYDIS_MNEMONIC_NEG,
		};

		m = u[rnd(g->rng, NELEM(u))];
		req_init(r, m, 1);
		op_mem(g, &r->operands[0], size, false);
		if (m == ZYDIS_MNEMONIC_NEG)
			g->def = F_ALL;
		else if (m != ZYDIS_MNEMONIC_NOT)
			g->def = F_ALL & ~F_CF;
		g->iflags |= BT_GEN_I_LOAD;
		return true;
	}
	case 10: case 11:		/* shifts and rotates m */
		return gen_shift(g, r, true);
	case 12:			/* xchg m, r (implicitly locked) */
		req_init(r, ZYDIS_MNEMONIC_XCHG, 2);
		op_mem(g, &r->operands[0], size, true);
		op_reg(&r->operands[1], dst_reg(g, size));
		g->iflags |= BT_GEN_I_LOAD | BT_GEN_I_LOCK;
		return true;
	case 13:			/* [lock] cmpxchg m, r */
	case 14:			/* [lock] xadd m, r */
		req_init(r, rnd(g->rng, 2) ? ZYDIS_MNEMONIC_CMPXCHG :
		       ZYDIS_MNEMONIC_XADD, 2);
		if (rnd(g->rng, 2)) {
			r->prefixes = ZYDIS_ATTRIB_HAS_LOCK;
			g->iflags |= BT_GEN_I_LOCK;
		}
		op_mem(g, &r->operands[0], size, r->prefixes != 0);
		op_reg(&r->operands[1], r->mnemonic == ZYDIS_MNEMONIC_XADD ?
		       dst_reg(g, size) : src_reg(g, size));
		g->def = F_ALL;
		g->iflags |= BT_GEN_I_LOAD;
		return true;
	case 15: {			/* lock add/or/and/sub/xor m, r/imm */
		static const ZydisMnemonic lk[] = {
			ZYDIS_MNEMONIC_ADD, ZYDIS_MNEMONIC_OR,
			ZYDIS_MNEMONIC_AND, ZYDIS_MNEMONIC_SUB,
			ZYDIS_MNEMONIC_XOR,
		};

		m = lk[rnd(g->rng, NELEM(lk))];
		alu_flags(g, m);
		req_init(r, m, 2);
		r->prefixes = ZYDIS_ATTRIB_HAS_LOCK;
		op_mem(g, &r->operands[0], size, true);
		if (rnd(g->rng, 2))
			op_reg(&r->operands[1], src_reg(g, size));
		else
			op_imm(&r->operands[1], rnd_imm(g, size));
		g->iflags |= BT_GEN_I_LOAD | BT_GEN_I_LOCK;
		return true;
	}
	case 16: {			/* [lock] bts/btr/btc m, imm8 */
		static const ZydisMnemonic bt[] = {
			ZYDIS_MNEMONIC_BTS, ZYDIS_MNEMONIC_BTR,
			ZYDIS_MNEMONIC_BTC,
		};

		size = 2u << rnd(g->rng, 3);
		req_init(r, bt[rnd(g->rng, NELEM(bt))], 2);
		if (!rnd(g->rng, 3)) {
			r->prefixes = ZYDIS_ATTRIB_HAS_LOCK;
			g->iflags |= BT_GEN_I_LOCK;
		}
		op_mem(g, &r->operands[0], size, r->prefixes != 0);
		/* the count is taken modulo the operand size */
		op_imm(&r->operands[1], rnd(g->rng, 256));
		g->def = F_CF;
		g->und = F_OF | F_SF | F_AF | F_PF;
		g->iflags |= BT_GEN_I_LOAD;
		return true;
	}
	case 17:			/* setcc m8 */
		c = pick_cc(g);
		if (!c)
			return false;
		req_init(r, c->set, 1);
		op_mem(g, &r->operands[0], 1, false);
		return true;
	case 18: case 19:		/* movdqu / movups m, xmm */
		req_init(r, rnd(g->rng, 2) ? ZYDIS_MNEMONIC_MOVDQU :
		       ZYDIS_MNEMONIC_MOVUPS, 2);
		op_mem(g, &r->operands[0], 16, false);
		op_reg(&r->operands[1], xmm_reg(g));
		return true;
	case 20:			/* movnti m, r32/r64 */
		size = rnd(g->rng, 2) ? 8 : 4;
		req_init(r, ZYDIS_MNEMONIC_MOVNTI, 2);
		op_mem(g, &r->operands[0], size, false);
		op_reg(&r->operands[1], src_reg(g, size));
		return true;
	default: {			/* mov m, r across 8 bytes / a page */
		ZydisEncoderOperand *o = &r->operands[0];
		uint64_t data = (uintptr_t)g->l->data;

		req_init(r, ZYDIS_MNEMONIC_MOV, 2);
		size = 2u << rnd(g->rng, 3);
		op_mem(g, o, size, false);
		o->mem.displacement = (o->mem.displacement & ~(int64_t)7) +
			8 - rnd_range(g->rng, 1, size - 1);
		if (o->mem.base == ZYDIS_REGISTER_RIP) {
			/* a page boundary inside DATA, else any 8 bytes */
			if (rnd(g->rng, 2))
				o->mem.displacement = (int64_t)(data + 4096 *
					(1 + rnd(g->rng, g->l->data_len / 4096
						 - 1))) -
					rnd_range(g->rng, 1, size - 1);
			else if (o->mem.displacement + size >
				 (int64_t)(data + g->l->data_len))
				o->mem.displacement -= 8;
		}
		op_reg(&r->operands[1], src_reg(g, size));
		return true;
	}
	}
}

/* An instruction that does not write memory and does not branch. */
static bool gen_other(struct gen *g, ZydisEncoderRequest *r)
{
	unsigned int size = rnd_size(g);
	ZydisMnemonic m;
	const struct cc *c;

	switch (rnd(g->rng, 20)) {
	case 0: case 1:			/* mov r, m */
		req_init(r, ZYDIS_MNEMONIC_MOV, 2);
		op_reg(&r->operands[0], dst_reg(g, size));
		op_mem(g, &r->operands[1], size, false);
		g->iflags |= BT_GEN_I_LOAD;
		return true;
	case 2: {			/* movzx / movsx / movsxd r, m */
		unsigned int ms = rnd(g->rng, 3);

		m = rnd(g->rng, 2) ? ZYDIS_MNEMONIC_MOVZX :
			ZYDIS_MNEMONIC_MOVSX;
		if (ms == 2) {
			m = ZYDIS_MNEMONIC_MOVSXD;
			size = 8;
			ms = 4;
		} else {
			ms = ms + 1;
			size = 4u << rnd(g->rng, 2);
			if (ms == 1 && !rnd(g->rng, 3))
				size = 2;
		}
		req_init(r, m, 2);
		op_reg(&r->operands[0], dst_reg(g, size));
		op_mem(g, &r->operands[1], ms, false);
		g->iflags |= BT_GEN_I_LOAD;
		return true;
	}
	case 3: case 4:			/* alu r, r */
	case 5:				/* alu r, imm */
	case 6: {			/* alu r, m */
		unsigned int how = rnd(g->rng, 3);

		m = alu_reg[rnd(g->rng, NELEM(alu_reg))];
		if (!alu_flags(g, m))
			return false;
		req_init(r, m, 2);
		if (m == ZYDIS_MNEMONIC_CMP || m == ZYDIS_MNEMONIC_TEST)
			op_reg(&r->operands[0], src_reg(g, size));
		else
			op_reg(&r->operands[0], dst_reg(g, size));
		if (how == 0) {
			op_reg(&r->operands[1], src_reg(g, size));
		} else if (how == 1) {
			op_imm(&r->operands[1], rnd_imm(g, size));
		} else {
			op_mem(g, &r->operands[1], size, false);
			g->iflags |= BT_GEN_I_LOAD;
		}
		return true;
	}
	case 7:				/* lea r, [m] */
		size = rnd(g->rng, 3) ? 8 : 4;
		req_init(r, ZYDIS_MNEMONIC_LEA, 2);
		op_reg(&r->operands[0], dst_reg(g, size));
		op_mem(g, &r->operands[1], size, false);
		if (rnd(g->rng, 3) == 0 &&
		    !(g->iflags & BT_GEN_I_RIPREL)) {
			uint64_t t = (uintptr_t)g->l->data +
				rnd(g->rng, g->l->data_len);
			int64_t d = (int64_t)(t - g->code_rip);

			if (d > -RIP_REACH && d < RIP_REACH) {
				r->operands[1].mem.base = ZYDIS_REGISTER_RIP;
				r->operands[1].mem.index =
					ZYDIS_REGISTER_NONE;
				r->operands[1].mem.scale = 0;
				r->operands[1].mem.displacement = (int64_t)t;
				g->iflags |= BT_GEN_I_RIPREL;
			}
		}
		return true;
	case 8:				/* imul r, r */
		size = 2u << rnd(g->rng, 3);
		req_init(r, ZYDIS_MNEMONIC_IMUL, 2);
		op_reg(&r->operands[0], dst_reg(g, size));
		op_reg(&r->operands[1], src_reg(g, size));
		g->def = F_CF | F_OF;
		g->und = F_SF | F_ZF | F_AF | F_PF;
		return true;
	case 9:				/* shifts and rotates r */
		return gen_shift(g, r, false);
	case 10:			/* mov r, imm64 / imm32 */
		size = rnd(g->rng, 3) ? 8 : 4;
		req_init(r, ZYDIS_MNEMONIC_MOV, 2);
		op_reg(&r->operands[0], dst_reg(g, size));
		op_imm(&r->operands[1], size == 8 ? (int64_t)rnd_val(g->rng) :
		       (int32_t)bt_gen_rand(g->rng));
		return true;
	case 11: case 12:		/* cmovcc r, r/m */
		c = pick_cc(g);
		if (!c)
			return false;
		size = 2u << rnd(g->rng, 3);
		req_init(r, c->cmov, 2);
		op_reg(&r->operands[0], dst_reg(g, size));
		if (rnd(g->rng, 2)) {
			op_reg(&r->operands[1], src_reg(g, size));
		} else {
			op_mem(g, &r->operands[1], size, false);
			g->iflags |= BT_GEN_I_LOAD;
		}
		return true;
	case 13:			/* setcc r8 */
		c = pick_cc(g);
		if (!c)
			return false;
		req_init(r, c->set, 1);
		op_reg(&r->operands[0], dst_reg(g, 1));
		return true;
	case 14: case 15:		/* movdqu xmm, m */
		req_init(r, ZYDIS_MNEMONIC_MOVDQU, 2);
		op_reg(&r->operands[0], xmm_reg(g));
		op_mem(g, &r->operands[1], 16, false);
		g->iflags |= BT_GEN_I_LOAD;
		return true;
	case 16:			/* pxor xmm, xmm */
		req_init(r, ZYDIS_MNEMONIC_PXOR, 2);
		op_reg(&r->operands[0], xmm_reg(g));
		op_reg(&r->operands[1], xmm_reg(g));
		return true;
	case 17: {			/* not / neg / inc / dec / bswap r */
		static const ZydisMnemonic u[] = {
			ZYDIS_MNEMONIC_NOT, ZYDIS_MNEMONIC_NEG,
			ZYDIS_MNEMONIC_INC, ZYDIS_MNEMONIC_DEC,
			ZYDIS_MNEMONIC_BSWAP,
		};

		m = u[rnd(g->rng, NELEM(u))];
		if (m == ZYDIS_MNEMONIC_BSWAP)
			size = rnd(g->rng, 2) ? 8 : 4;
		req_init(r, m, 1);
		op_reg(&r->operands[0], dst_reg(g, size));
		if (m == ZYDIS_MNEMONIC_NEG)
			g->def = F_ALL;
		else if (m == ZYDIS_MNEMONIC_INC || m == ZYDIS_MNEMONIC_DEC)
			g->def = F_ALL & ~F_CF;
		return true;
	}
	case 18:			/* mov r, r / xchg r, r */
		req_init(r, rnd(g->rng, 3) ? ZYDIS_MNEMONIC_MOV :
		       ZYDIS_MNEMONIC_XCHG, 2);
		op_reg(&r->operands[0], dst_reg(g, size));
		op_reg(&r->operands[1], r->mnemonic == ZYDIS_MNEMONIC_MOV ?
		       src_reg(g, size) : dst_reg(g, size));
		return true;
	default:			/* cmp / test m, r/imm */
		m = rnd(g->rng, 2) ? ZYDIS_MNEMONIC_CMP : ZYDIS_MNEMONIC_TEST;
		alu_flags(g, m);
		req_init(r, m, 2);
		op_mem(g, &r->operands[0], size, false);
		if (rnd(g->rng, 2))
			op_reg(&r->operands[1], src_reg(g, size));
		else
			op_imm(&r->operands[1], rnd_imm(g, size));
		g->iflags |= BT_GEN_I_LOAD;
		return true;
	}
}

/* Encode a copy of it's request at runtime address rip. */
static bool encode_at(const struct item *it, uint64_t rip, uint8_t *buf,
		      size_t *len)
{
	ZydisEncoderRequest r = it->req;
	ZyanUSize n = *len;

	if (!ZYAN_SUCCESS(ZydisEncoderEncodeInstructionAbsolute(&r, buf, &n,
								 rip)))
		return false;
	*len = n;
	return true;
}

/* Generate a non-branch instruction into it; retries until it encodes. */
static void gen_insn(struct gen *g, struct item *it, bool store)
{
	for (;;) {
		uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
		size_t len = sizeof(buf);
		bool ok;

		g->def = 0;
		g->und = 0;
		g->iflags = 0;
		ok = store ? gen_store(g, &it->req) : gen_other(g, &it->req);
		if (!ok || !encode_at(it, g->code_rip, buf, &len))
			continue;
		it->flags = g->iflags;
		g->undef = (g->undef & ~g->def) | g->und;
		return;
	}
}

static void branch_req(struct item *it, ZydisMnemonic m)
{
	req_init(&it->req, m, 1);
	it->req.operands[0].type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
	it->flags = BT_GEN_I_BRANCH;
}

static unsigned int branch_len(const struct item *it)
{
	if (it->width == 8)
		return 2;
	return it->req.mnemonic == ZYDIS_MNEMONIC_JMP ? 5 : 6;
}

/* Loop shape: mov r15d at lm, body lm+1 .. ld-1, dec r15 at ld, jnz at ld+1. */
struct loop {
	int lm, ld;
};

/* Whether a forward branch from i may target t. */
static bool target_ok(const struct loop *lp, int i, int t)
{
	if (lp->lm < 0)
		return true;
	if (i < lp->lm)
		return t <= lp->lm || t > lp->ld + 1;
	if (i < lp->ld)
		return t != lp->ld + 1;
	return true;
}

size_t bt_gen_block(uint64_t *rng, const struct bt_gen_layout *l,
		    uint8_t *code, uint64_t code_rip, size_t cap,
		    unsigned int n_insns, unsigned int flags,
		    struct bt_gen_insn *out, unsigned int out_cap)
{
	struct gen g = { .rng = rng, .l = l, .code_rip = code_rip };
	struct loop lp = { -1, -1 };
	int n = (int)n_insns, i;
	struct item *items;
	uint16_t *pend;
	uint32_t *off;
	uint64_t exit_addr = (uintptr_t)bt_exit;
	size_t total = 0;
	bool changed;

	if (!n_insns || n_insns > BT_GEN_MAX_INSNS || !l || !l->data ||
	    l->data_len < BT_GEN_DATA_MIN || !*rng ||
	    (out && out_cap < n_insns + 1))
		return 0;
	items = calloc(n + 1, sizeof(*items));
	pend = calloc(n + 1, sizeof(*pend));
	off = calloc(n + 2, sizeof(*off));
	if (!items || !pend || !off)
		goto out;

	if ((flags & BT_GEN_LOOP) && n >= 6 && rnd(rng, 2)) {
		int body = 1 + rnd(rng, n - 3 < 12 ? n - 3 : 12);

		lp.lm = rnd(rng, n - 2 - body);
		lp.ld = lp.lm + body + 1;
	}

	for (i = 0; i < n; i++) {
		struct item *it = &items[i];

		g.undef |= pend[i];
		it->target = -1;
		if (i == lp.lm) {
			req_init(&it->req, ZYDIS_MNEMONIC_MOV, 2);
			op_reg(&it->req.operands[0], ZYDIS_REGISTER_R15D);
			op_imm(&it->req.operands[1], 1 + rnd(rng, 4));
			g.r15_busy = true;
		} else if (lp.lm >= 0 && i == lp.lm + 1) {
			/* back edge from the dec: CF may be anything */
			g.undef |= F_CF;
		}
		if (lp.lm >= 0 && i == lp.ld) {
			req_init(&it->req, ZYDIS_MNEMONIC_DEC, 1);
			op_reg(&it->req.operands[0], ZYDIS_REGISTER_R15);
			g.undef &= F_CF;
		} else if (lp.lm >= 0 && i == lp.ld + 1) {
			branch_req(it, ZYDIS_MNEMONIC_JNZ);
			it->target = lp.lm + 1;
			it->width = 8;
			g.r15_busy = false;
		} else if (i != lp.lm) {
			const struct cc *c = NULL;
			bool br = !(flags & BT_GEN_NO_BRANCH) &&
				!rnd(rng, 10);

			if (br && rnd(rng, 4))
				br = (c = pick_cc(&g)) != NULL;
			if (br) {
				int t, span = n - i;

				branch_req(it, c ? c->j : ZYDIS_MNEMONIC_JMP);
				it->width = rnd(rng, 5) < 3 ? 8 : 32;
				if (it->width == 8 && span > 8)
					span = 8;
				t = i + 1 + rnd(rng, span);
				if (!target_ok(&lp, i, t))
					t = i + 1;
				it->target = t;
				pend[t] |= g.undef;
			} else {
				gen_insn(&g, it, rnd(rng, 20) < 11);
			}
		}
		it->undef = g.undef;
	}
	items[n].undef = g.undef | pend[n];

	/* lay out: widen short branches that do not reach */
	for (i = 0; i < n; i++) {
		uint8_t buf[ZYDIS_MAX_INSTRUCTION_LENGTH];
		size_t len = sizeof(buf);

		if (items[i].flags & BT_GEN_I_BRANCH)
			continue;
		if (!encode_at(&items[i], code_rip, buf, &len))
			goto out;
		items[i].len = len;
	}
	do {
		changed = false;
		for (i = 0; i < n; i++) {
			if (items[i].flags & BT_GEN_I_BRANCH)
				items[i].len = branch_len(&items[i]);
			off[i + 1] = off[i] + items[i].len;
		}
		for (i = 0; i < n; i++) {
			struct item *it = &items[i];
			int64_t rel;

			if (!(it->flags & BT_GEN_I_BRANCH) || it->width != 8)
				continue;
			rel = (int64_t)off[it->target] -
				(int64_t)(off[i] + it->len);
			if (rel < -128 || rel > 127) {
				it->width = 32;
				changed = true;
			}
		}
	} while (changed);

	if (off[n] + BT_GEN_TRAILER_LEN > cap)
		goto out;
	for (i = 0; i < n; i++) {
		struct item *it = &items[i];
		uint64_t rip = code_rip + off[i];
		size_t len = it->len;

		if (it->flags & BT_GEN_I_BRANCH) {
			it->req.operands[0].imm.u = code_rip + off[it->target];
			it->req.branch_type = it->width == 8 ?
				ZYDIS_BRANCH_TYPE_SHORT :
				ZYDIS_BRANCH_TYPE_NEAR;
			it->req.branch_width = it->width == 8 ?
				ZYDIS_BRANCH_WIDTH_8 : ZYDIS_BRANCH_WIDTH_32;
		}
		if (!encode_at(it, rip, code + off[i], &len) ||
		    len != it->len)
			goto out;
		if (out) {
			out[i].off = off[i];
			out[i].len = it->len;
			out[i].flags = it->flags;
			out[i].mnemonic = it->req.mnemonic;
			out[i].undef_flags = it->undef;
		}
	}
	/* trailer: jmp qword ptr [rip+0]; .quad bt_exit */
	memcpy(code + off[n], "\xff\x25\x00\x00\x00\x00", 6);
	memcpy(code + off[n] + 6, &exit_addr, 8);
	if (out) {
		out[n].off = off[n];
		out[n].len = BT_GEN_TRAILER_LEN;
		out[n].flags = BT_GEN_I_TRAILER;
		out[n].mnemonic = 0;
		out[n].undef_flags = items[n].undef;
	}
	total = off[n] + BT_GEN_TRAILER_LEN;
out:
	free(items);
	free(pend);
	free(off);
	return total;
}

/* ------------------------------------------------------------------ */
/* Harness                                                             */
/* ------------------------------------------------------------------ */

/*
 * bt_run(r = rdi, entry = rsi, single_step = edx).  The guest's rsp,
 * rflags and rip are loaded by one iretq from bt_iret_frame (rip, cs,
 * rflags, rsp, ss), so the guest stack in DATA is never written and no
 * harness instruction runs with TF set.  bt_exit saves the guest's rsp
 * and rdi before touching anything, then switches back to the host stack
 * before its first push.  Offsets: gpr[i] at 8*i, rflags at 128, xmm at
 * 144.
 */
static_assert(offsetof(struct bt_regs, rflags) == 128, "bt_regs layout");
static_assert(offsetof(struct bt_regs, xmm) == 144, "bt_regs layout");

__asm__(
"	.bss\n"
"	.balign 16\n"
"bt_iret_frame:	.skip 40\n"
"bt_host_rsp:	.skip 8\n"
"bt_cur_regs:	.skip 8\n"
"bt_guest_rsp:	.skip 8\n"
"bt_guest_rdi:	.skip 8\n"
"	.text\n"
"	.globl bt_run\n"
"	.type bt_run, @function\n"
"	.balign 16\n"
"bt_run:\n"
"	pushq %rbx\n"
"	pushq %rbp\n"
"	pushq %r12\n"
"	pushq %r13\n"
"	pushq %r14\n"
"	pushq %r15\n"
"	movq %rsp, bt_host_rsp(%rip)\n"
"	movq %rdi, bt_cur_regs(%rip)\n"
"	movq %rsi, bt_iret_frame(%rip)\n"
"	xorl %eax, %eax\n"
"	movw %cs, %ax\n"
"	movq %rax, bt_iret_frame+8(%rip)\n"
"	movq 128(%rdi), %rax\n"
"	andl $0x8d5, %eax\n"
"	orl $0x202, %eax\n"
"	testl %edx, %edx\n"
"	jz 1f\n"
"	orl $0x100, %eax\n"
"1:	movq %rax, bt_iret_frame+16(%rip)\n"
"	movq 32(%rdi), %rax\n"
"	movq %rax, bt_iret_frame+24(%rip)\n"
"	xorl %eax, %eax\n"
"	movw %ss, %ax\n"
"	movq %rax, bt_iret_frame+32(%rip)\n"
"	movdqu 144(%rdi), %xmm0\n"
"	movdqu 160(%rdi), %xmm1\n"
"	movdqu 176(%rdi), %xmm2\n"
"	movdqu 192(%rdi), %xmm3\n"
"	movq 0(%rdi), %rax\n"
"	movq 8(%rdi), %rcx\n"
"	movq 16(%rdi), %rdx\n"
"	movq 24(%rdi), %rbx\n"
"	movq 40(%rdi), %rbp\n"
"	movq 48(%rdi), %rsi\n"
"	movq 64(%rdi), %r8\n"
"	movq 72(%rdi), %r9\n"
"	movq 80(%rdi), %r10\n"
"	movq 88(%rdi), %r11\n"
"	movq 96(%rdi), %r12\n"
"	movq 104(%rdi), %r13\n"
"	movq 112(%rdi), %r14\n"
"	movq 120(%rdi), %r15\n"
"	leaq bt_iret_frame(%rip), %rsp\n"
"	movq 56(%rdi), %rdi\n"
"	iretq\n"
"	.size bt_run, .-bt_run\n"
"\n"
"	.globl bt_exit\n"
"	.type bt_exit, @function\n"
"	.balign 16\n"
"bt_exit:\n"
"	movq %rsp, bt_guest_rsp(%rip)\n"
"	movq %rdi, bt_guest_rdi(%rip)\n"
"	movq bt_cur_regs(%rip), %rdi\n"
"	movq %rax, 0(%rdi)\n"
"	movq %rcx, 8(%rdi)\n"
"	movq %rdx, 16(%rdi)\n"
"	movq %rbx, 24(%rdi)\n"
"	movq %rbp, 40(%rdi)\n"
"	movq %rsi, 48(%rdi)\n"
"	movq %r8, 64(%rdi)\n"
"	movq %r9, 72(%rdi)\n"
"	movq %r10, 80(%rdi)\n"
"	movq %r11, 88(%rdi)\n"
"	movq %r12, 96(%rdi)\n"
"	movq %r13, 104(%rdi)\n"
"	movq %r14, 112(%rdi)\n"
"	movq %r15, 120(%rdi)\n"
"	movq bt_guest_rsp(%rip), %rax\n"
"	movq %rax, 32(%rdi)\n"
"	movq bt_guest_rdi(%rip), %rax\n"
"	movq %rax, 56(%rdi)\n"
"	movdqu %xmm0, 144(%rdi)\n"
"	movdqu %xmm1, 160(%rdi)\n"
"	movdqu %xmm2, 176(%rdi)\n"
"	movdqu %xmm3, 192(%rdi)\n"
"	movq bt_host_rsp(%rip), %rsp\n"
"	pushfq\n"
"	popq %rax\n"
"	andq $-0x101, %rax\n"
"	movq %rax, 128(%rdi)\n"
"	pushq %rax\n"
"	popfq\n"
"	cld\n"
"	popq %r15\n"
"	popq %r14\n"
"	popq %r13\n"
"	popq %r12\n"
"	popq %rbp\n"
"	popq %rbx\n"
"	ret\n"
"	.globl bt_harness_end\n"
"	.hidden bt_harness_end\n"
"bt_harness_end:\n"
"	.size bt_exit, .-bt_exit\n"
);

extern const char bt_harness_end[];

int bt_run_in_guest(unsigned long rip)
{
	return !(rip >= (uintptr_t)bt_run &&
		 rip < (uintptr_t)bt_harness_end);
}
