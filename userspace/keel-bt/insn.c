// SPDX-License-Identifier: GPL-2.0
/*
 * keel-bt's decoding: one instruction, and what the translator may do
 * with it (enum kbt_kind): which registers it uses and writes, which
 * memory operand it stores to, where its branch goes, and why it is not
 * translated when it is not.
 */
#include <string.h>

#include "internal.h"

#define ATTR_REP (ZYDIS_ATTRIB_HAS_REP | ZYDIS_ATTRIB_HAS_REPE | \
		  ZYDIS_ATTRIB_HAS_REPNE)

static bool store_size_ok(unsigned int bytes)
{
	return bytes == 1 || bytes == 2 || bytes == 4 || bytes == 8 ||
	       bytes == 16 || bytes == 32;
}

static void note_regs(struct kbt_insn *in)
{
	unsigned int i;
	int id;

	for (i = 0; i < in->di.operand_count; i++) {
		const ZydisDecodedOperand *op = &in->ops[i];

		if (op->type == ZYDIS_OPERAND_TYPE_REGISTER) {
			id = kbt_gpr_id(op->reg.value);
			if (id < 0)
				continue;
			in->used |= 1u << id;
			if (op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE)
				in->written |= 1u << id;
		} else if (op->type == ZYDIS_OPERAND_TYPE_MEMORY) {
			id = kbt_gpr_id(op->mem.base);
			if (id >= 0)
				in->used |= 1u << id;
			id = kbt_gpr_id(op->mem.index);
			if (id >= 0)
				in->used |= 1u << id;
			if (op->mem.base == ZYDIS_REGISTER_RIP)
				in->rip_rel = true;
		}
	}
}

static void stop(struct kbt_insn *in, enum kbt_stop why)
{
	in->kind = KBT_STOP;
	in->stop = why;
}

static void classify_branch(struct kbt_insn *in)
{
	const ZydisDecodedInstruction *di = &in->di;

	switch (di->meta.category) {
	case ZYDIS_CATEGORY_COND_BR:
		/* jrcxz and loop have no rel32 form */
		if (di->mnemonic == ZYDIS_MNEMONIC_JRCXZ ||
		    di->mnemonic == ZYDIS_MNEMONIC_JECXZ ||
		    di->mnemonic == ZYDIS_MNEMONIC_LOOP ||
		    di->mnemonic == ZYDIS_MNEMONIC_LOOPE ||
		    di->mnemonic == ZYDIS_MNEMONIC_LOOPNE) {
			stop(in, KBT_STOP_CONTROL);
			return;
		}
		in->kind = KBT_JCC;
		in->cc = (uint8_t)(di->opcode & 0x0f);
		break;
	case ZYDIS_CATEGORY_UNCOND_BR:
		if (!(di->attributes & ZYDIS_ATTRIB_IS_RELATIVE)) {
			/* far jumps have a pointer or m16:64 operand */
			if (in->ops[0].type == ZYDIS_OPERAND_TYPE_POINTER ||
			    (in->ops[0].type == ZYDIS_OPERAND_TYPE_MEMORY &&
			     in->ops[0].size > 64))
				stop(in, KBT_STOP_CONTROL);
			else
				in->kind = KBT_LEAVE;
			return;
		}
		in->kind = KBT_JMP;
		break;
	default:
		return;
	}
	if (ZYAN_FAILED(ZydisCalcAbsoluteAddress(di, &in->ops[0], in->rip,
						 &in->target)))
		stop(in, KBT_STOP_CONTROL);
}

/* The memory operand the instruction writes, or -1; -2 if not one. */
static int written_mem(const struct kbt_insn *in)
{
	int found = -1;
	unsigned int i;

	for (i = 0; i < in->di.operand_count; i++) {
		const ZydisDecodedOperand *op = &in->ops[i];

		if (op->type != ZYDIS_OPERAND_TYPE_MEMORY ||
		    !(op->actions & ZYDIS_OPERAND_ACTION_MASK_WRITE))
			continue;
		if (found >= 0)
			return -2;
		found = i;
	}
	return found;
}

/* mov [m], r (not ah..bh) or mov [m], imm; movnti [m], r */
static void plain_source(struct kbt_insn *in)
{
	const ZydisDecodedOperand *src = &in->ops[1];
	ZydisRegisterClass cls;

	if ((in->di.mnemonic != ZYDIS_MNEMONIC_MOV &&
	     in->di.mnemonic != ZYDIS_MNEMONIC_MOVNTI) || in->mem_op != 0 ||
	    in->size > 8 || in->di.operand_count_visible != 2)
		return;
	if (src->type == ZYDIS_OPERAND_TYPE_IMMEDIATE) {
		in->src_imm = true;
		in->imm = (int32_t)src->imm.value.s;
		return;
	}
	if (src->type != ZYDIS_OPERAND_TYPE_REGISTER)
		return;
	cls = ZydisRegisterGetClass(src->reg.value);
	if (cls == ZYDIS_REGCLASS_GPR8 &&
	    src->reg.value >= ZYDIS_REGISTER_AH &&
	    src->reg.value <= ZYDIS_REGISTER_BH)
		return;
	if (cls == ZYDIS_REGCLASS_GPR8 || cls == ZYDIS_REGCLASS_GPR16 ||
	    cls == ZYDIS_REGCLASS_GPR32 || cls == ZYDIS_REGCLASS_GPR64)
		in->src_reg = (int8_t)kbt_gpr_id(src->reg.value);
}

static void classify_store(struct kbt_insn *in, int m)
{
	const ZydisDecodedOperand *op = &in->ops[m];
	uint16_t w = in->written;

	if (in->di.cpu_flags)
		in->tested = in->di.cpu_flags->tested & KBT_ARITH_FLAGS;

	if (op->visibility != ZYDIS_OPERAND_VISIBILITY_EXPLICIT ||
	    (in->di.attributes & ATTR_REP) ||
	    op->mem.type != ZYDIS_MEMOP_TYPE_MEM ||
	    op->mem.segment == ZYDIS_REGISTER_FS ||
	    op->mem.segment == ZYDIS_REGISTER_GS ||
	    !store_size_ok(op->size / 8) ||
	    __builtin_popcount(w) > KEEL_BT_LOG_RSAVE ||
	    (w & (1u << 4)) || (in->tested & ZYDIS_CPUFLAG_AF)) {
		stop(in, KBT_STOP_STORE_FORM);
		return;
	}
	in->kind = KBT_STORE;
	in->mem_op = m;
	in->size = op->size / 8;
	plain_source(in);
}

/* Decode and classify the instruction at code, which runs at rip. */
int kbt_decode(const ZydisDecoder *dec, const uint8_t *code, size_t len,
	       uint64_t rip, struct kbt_insn *in)
{
	ZydisInstructionCategory cat;
	int m;

	memset(in, 0, sizeof(*in));
	in->rip = rip;
	in->bytes = code;
	in->mem_op = -1;
	in->src_reg = -1;
	if (ZYAN_FAILED(ZydisDecoderDecodeFull(dec, code, len, &in->di,
					       in->ops))) {
		stop(in, KBT_STOP_UNDECODABLE);
		return -1;
	}
	note_regs(in);
	cat = in->di.meta.category;
	switch (cat) {
	case ZYDIS_CATEGORY_COND_BR:
	case ZYDIS_CATEGORY_UNCOND_BR:
		classify_branch(in);
		return 0;
	case ZYDIS_CATEGORY_RET:
		in->kind = KBT_LEAVE;
		return 0;
	case ZYDIS_CATEGORY_CALL:
	case ZYDIS_CATEGORY_SYSCALL:
	case ZYDIS_CATEGORY_SYSRET:
	case ZYDIS_CATEGORY_INTERRUPT:
	case ZYDIS_CATEGORY_SYSTEM:
	case ZYDIS_CATEGORY_SEGOP:
		stop(in, KBT_STOP_CONTROL);
		return 0;
	default:
		break;
	}
	m = written_mem(in);
	if (m == -2) {
		stop(in, KBT_STOP_STORE_FORM);
		return 0;
	}
	if (m >= 0) {
		classify_store(in, m);
		return 0;
	}
	in->kind = KBT_PLAIN;
	return 0;
}
