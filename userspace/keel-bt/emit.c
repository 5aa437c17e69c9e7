// SPDX-License-Identifier: GPL-2.0
/*
 * keel-bt's code emitter: the few instructions translated code adds
 * (movs to and from the log, the alias and the mirror, lea, jumps),
 * encoded by Zydis at their runtime address, into a bounded buffer whose
 * first error sticks.
 */
#include <errno.h>
#include <string.h>

#include "internal.h"

static const ZydisRegister gpr8[16] = {
	ZYDIS_REGISTER_AL, ZYDIS_REGISTER_CL, ZYDIS_REGISTER_DL,
	ZYDIS_REGISTER_BL, ZYDIS_REGISTER_SPL, ZYDIS_REGISTER_BPL,
	ZYDIS_REGISTER_SIL, ZYDIS_REGISTER_DIL, ZYDIS_REGISTER_R8B,
	ZYDIS_REGISTER_R9B, ZYDIS_REGISTER_R10B, ZYDIS_REGISTER_R11B,
	ZYDIS_REGISTER_R12B, ZYDIS_REGISTER_R13B, ZYDIS_REGISTER_R14B,
	ZYDIS_REGISTER_R15B,
};

/* General purpose register id (0 rax ... 15 r15) as a bytes-wide name. */
ZydisRegister kbt_gpr(unsigned int id, unsigned int bytes)
{
	switch (bytes) {
	case 1:
		return gpr8[id & 15];
	case 2:
		return ZydisRegisterEncode(ZYDIS_REGCLASS_GPR16, id & 15);
	case 4:
		return ZydisRegisterEncode(ZYDIS_REGCLASS_GPR32, id & 15);
	default:
		return ZydisRegisterEncode(ZYDIS_REGCLASS_GPR64, id & 15);
	}
}

/* The id of the 64-bit register enclosing reg, or -1 if not a GPR. */
int kbt_gpr_id(ZydisRegister reg)
{
	ZydisRegister big;

	if (reg == ZYDIS_REGISTER_NONE)
		return -1;
	big = ZydisRegisterGetLargestEnclosing(ZYDIS_MACHINE_MODE_LONG_64, reg);
	if (ZydisRegisterGetClass(big) != ZYDIS_REGCLASS_GPR64)
		return -1;
	return ZydisRegisterGetId(big);
}

bool kbt_rel32_reach(uint64_t from, uint64_t to)
{
	int64_t d = (int64_t)(to - from);

	return d >= INT32_MIN && d <= INT32_MAX;
}

void kbt_emit_bytes(struct kbt_emit *e, const void *p, size_t n)
{
	if (e->err)
		return;
	if (e->cap - e->len < n) {
		e->err = -ENOSPC;
		return;
	}
	memcpy(e->buf + e->len, p, n);
	e->len += n;
}

void kbt_emit_req(struct kbt_emit *e, ZydisEncoderRequest *req)
{
	ZyanUSize n = ZYDIS_MAX_INSTRUCTION_LENGTH;
	uint8_t tmp[ZYDIS_MAX_INSTRUCTION_LENGTH];

	if (e->err)
		return;
	if (ZYAN_FAILED(ZydisEncoderEncodeInstructionAbsolute(req, tmp, &n,
							      kbt_emit_rip(e)))) {
		e->err = -EINVAL;
		return;
	}
	kbt_emit_bytes(e, tmp, n);
}

static void req_init(ZydisEncoderRequest *req, ZydisMnemonic mn)
{
	memset(req, 0, sizeof(*req));
	req->machine_mode = ZYDIS_MACHINE_MODE_LONG_64;
	req->mnemonic = mn;
}

static void req_mem(ZydisEncoderOperand *op, const struct kbt_mem *m,
		    unsigned int bytes)
{
	op->type = ZYDIS_OPERAND_TYPE_MEMORY;
	op->mem.base = m->base;
	op->mem.index = m->index;
	op->mem.scale = m->index == ZYDIS_REGISTER_NONE ? 0 : m->scale;
	op->mem.displacement = m->disp;
	op->mem.size = bytes;
}

static void req_reg(ZydisEncoderOperand *op, ZydisRegister reg)
{
	op->type = ZYDIS_OPERAND_TYPE_REGISTER;
	op->reg.value = reg;
}

/* mov [m], reg (bytes wide) */
void kbt_emit_mov_store(struct kbt_emit *e, const struct kbt_mem *m,
			unsigned int bytes, unsigned int reg)
{
	ZydisEncoderRequest req;

	req_init(&req, ZYDIS_MNEMONIC_MOV);
	req.operand_count = 2;
	req_mem(&req.operands[0], m, bytes);
	req_reg(&req.operands[1], kbt_gpr(reg, bytes));
	kbt_emit_req(e, &req);
}

/* reg = zero-extended bytes at [m]: movzx for 1 and 2, mov for 4 and 8 */
void kbt_emit_mov_load(struct kbt_emit *e, unsigned int reg,
		       const struct kbt_mem *m, unsigned int bytes)
{
	ZydisEncoderRequest req;

	req_init(&req, bytes < 4 ? ZYDIS_MNEMONIC_MOVZX : ZYDIS_MNEMONIC_MOV);
	req.operand_count = 2;
	req_reg(&req.operands[0], kbt_gpr(reg, bytes == 8 ? 8 : 4));
	req_mem(&req.operands[1], m, bytes);
	kbt_emit_req(e, &req);
}

/* mov bytes ptr [m], imm (sign-extended imm32 for 8) */
void kbt_emit_mov_imm(struct kbt_emit *e, const struct kbt_mem *m,
		      unsigned int bytes, int32_t imm)
{
	ZydisEncoderRequest req;

	req_init(&req, ZYDIS_MNEMONIC_MOV);
	req.operand_count = 2;
	req_mem(&req.operands[0], m, bytes);
	req.operands[1].type = ZYDIS_OPERAND_TYPE_IMMEDIATE;
	req.operands[1].imm.s = imm;
	kbt_emit_req(e, &req);
}

/* lea reg64, [m] */
void kbt_emit_lea(struct kbt_emit *e, unsigned int reg,
		  const struct kbt_mem *m)
{
	ZydisEncoderRequest req;

	req_init(&req, ZYDIS_MNEMONIC_LEA);
	req.operand_count = 2;
	req_reg(&req.operands[0], kbt_gpr(reg, 8));
	req_mem(&req.operands[1], m, 8);
	kbt_emit_req(e, &req);
}

/* setcc byte [m] */
void kbt_emit_setcc(struct kbt_emit *e, ZydisMnemonic setcc,
		    const struct kbt_mem *m)
{
	ZydisEncoderRequest req;

	req_init(&req, setcc);
	req.operand_count = 1;
	req_mem(&req.operands[0], m, 1);
	kbt_emit_req(e, &req);
}

/*
 * jmp rel32 (cc < 0) or jcc rel32 with a zero displacement; returns the
 * offset of the displacement in the buffer, for the caller to fill in.
 */
size_t kbt_emit_rel32(struct kbt_emit *e, int cc)
{
	uint8_t op[6] = { 0x0f, (uint8_t)(0x80 + cc) };

	if (cc < 0) {
		op[0] = 0xe9;
		kbt_emit_bytes(e, op, 5);
	} else {
		kbt_emit_bytes(e, op, 6);
	}
	return e->len - 4;
}

/* jmp to an absolute target: rel32 if it reaches, else through memory */
void kbt_emit_jmp_abs(struct kbt_emit *e, uint64_t target)
{
	static const uint8_t ind[6] = { 0xff, 0x25, 0, 0, 0, 0 };
	int32_t rel;
	size_t at;

	if (kbt_rel32_reach(kbt_emit_rip(e) + 5, target)) {
		at = kbt_emit_rel32(e, -1);
		if (e->err)
			return;
		rel = (int32_t)(target - kbt_emit_rip(e));
		memcpy(e->buf + at, &rel, 4);
		return;
	}
	kbt_emit_bytes(e, ind, sizeof(ind));
	kbt_emit_bytes(e, &target, 8);
}
