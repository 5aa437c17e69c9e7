/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel-bt's internals: the decoded instruction and its classification
 * (insn.c), and the code emitter over Zydis's encoder (emit.c), shared by
 * the translator (translate.c).
 */
#ifndef KEEL_BT_INTERNAL_H
#define KEEL_BT_INTERNAL_H

#include <stdbool.h>
#include <Zydis/Zydis.h>

#include "bt.h"

#define KBT_ARITH_FLAGS (ZYDIS_CPUFLAG_CF | ZYDIS_CPUFLAG_PF | \
			 ZYDIS_CPUFLAG_AF | ZYDIS_CPUFLAG_ZF | \
			 ZYDIS_CPUFLAG_SF | ZYDIS_CPUFLAG_OF)

/* What the translator does with an instruction. */
enum kbt_kind {
	KBT_PLAIN,	/* copied (RIP-relative operands moved) */
	KBT_STORE,	/* one store, made twice and logged */
	KBT_JCC,	/* conditional relative branch */
	KBT_JMP,	/* unconditional relative jump */
	KBT_LEAVE,	/* ret or indirect jmp: leaves the translation */
	KBT_STOP,	/* not translated: the translation ends here */
};

struct kbt_insn {
	ZydisDecodedInstruction di;
	ZydisDecodedOperand ops[ZYDIS_MAX_OPERAND_COUNT];
	uint64_t rip;
	const uint8_t *bytes;
	enum kbt_kind kind;
	enum kbt_stop stop;	/* for KBT_STOP */
	int mem_op;		/* the written memory operand (KBT_STORE) */
	unsigned int size;	/* bytes stored (KBT_STORE) */
	bool rip_rel;		/* has a RIP-relative memory operand */
	uint64_t target;	/* KBT_JCC, KBT_JMP */
	uint8_t cc;		/* KBT_JCC: condition code 0..15 */
	uint16_t used;		/* GPRs (by number) it reads or writes */
	uint16_t written;	/* GPRs it writes */
	uint16_t tested;	/* RFLAGS arithmetic bits it reads */
	/*
	 * A plain mov of at most 8 bytes: its source, whose low bytes are
	 * the bytes stored (a GPR by number, else an immediate), so that
	 * the log takes it without reading memory back; src_reg -1 else.
	 */
	int8_t src_reg;
	bool src_imm;
	int32_t imm;
	bool leader;		/* a branch target: a region starts here */
	bool repeat;		/* KBT_STORE: the commit makes it again */
};

int kbt_decode(const ZydisDecoder *dec, const uint8_t *code, size_t len,
	       uint64_t rip, struct kbt_insn *in);

/* A memory operand for the emitter: base RIP means disp is absolute. */
struct kbt_mem {
	ZydisRegister base, index;
	uint8_t scale;
	int64_t disp;
};

struct kbt_emit {
	uint8_t *buf;
	size_t cap, len;
	uint64_t rip;	/* runtime address of buf[0] */
	int err;	/* the first error; later emits do nothing */
};

static inline uint64_t kbt_emit_rip(const struct kbt_emit *e)
{
	return e->rip + e->len;
}

ZydisRegister kbt_gpr(unsigned int id, unsigned int bytes);
int kbt_gpr_id(ZydisRegister reg);
void kbt_emit_bytes(struct kbt_emit *e, const void *p, size_t n);
void kbt_emit_req(struct kbt_emit *e, ZydisEncoderRequest *req);
void kbt_emit_mov_store(struct kbt_emit *e, const struct kbt_mem *m,
			unsigned int bytes, unsigned int reg);
void kbt_emit_mov_load(struct kbt_emit *e, unsigned int reg,
		       const struct kbt_mem *m, unsigned int bytes);
void kbt_emit_mov_imm(struct kbt_emit *e, const struct kbt_mem *m,
		      unsigned int bytes, int32_t imm);
void kbt_emit_lea(struct kbt_emit *e, unsigned int reg,
		  const struct kbt_mem *m);
void kbt_emit_setcc(struct kbt_emit *e, ZydisMnemonic setcc,
		    const struct kbt_mem *m);
size_t kbt_emit_rel32(struct kbt_emit *e, int cc);
void kbt_emit_jmp_abs(struct kbt_emit *e, uint64_t target);
bool kbt_rel32_reach(uint64_t from, uint64_t to);

#endif /* KEEL_BT_INTERNAL_H */
