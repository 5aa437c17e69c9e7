/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Random x86-64 test blocks for the binary translator's differential test:
 * the block generator (Zydis encoder), the initial register state that
 * agrees with it, and the native execution harness (bt_run / bt_exit).
 *
 * A generated block only touches memory inside the caller's DATA area.
 * Its register convention (hardware numbering, 0 rax .. 15 r15):
 *   rbx, rbp, r12  base pointers into DATA, never written;
 *   r13            index 0..63, never written;
 *   rsp            points into DATA, never written, used as a base;
 *   rax rcx rdx rsi rdi r8 r9 r10 r11 r14 r15  free, written freely;
 *   xmm0..xmm3     random, stored and loaded.
 * Every block ends with the trailer "jmp qword ptr [rip+0]; .quad bt_exit".
 */
#ifndef KEEL_TESTS_BT_GEN_H
#define KEEL_TESTS_BT_GEN_H

#include <stddef.h>
#include <stdint.h>

/*
 * Smallest DATA area the generator accepts: base pointers sit at fixed
 * offsets in its first 16 KiB (see bt_gen.c).
 */
#define BT_GEN_DATA_MIN		16384u

/* Most instructions in one block (n_insns). */
#define BT_GEN_MAX_INSNS	1024u

/* Length of the trailer: ff 25 00 00 00 00 + 8-byte address of bt_exit. */
#define BT_GEN_TRAILER_LEN	14u

/* Arithmetic flags, the only ones a block reads or writes. */
#define BT_FLAG_CF		0x001u
#define BT_FLAG_PF		0x004u
#define BT_FLAG_AF		0x010u
#define BT_FLAG_ZF		0x040u
#define BT_FLAG_SF		0x080u
#define BT_FLAG_OF		0x800u
#define BT_FLAG_TF		0x100u
#define BT_FLAGS_ARITH		(BT_FLAG_CF | BT_FLAG_PF | BT_FLAG_AF | \
				 BT_FLAG_ZF | BT_FLAG_SF | BT_FLAG_OF)

/* bt_gen_block flags */
#define BT_GEN_LOOP		0x1u	/* maybe one bounded loop */
#define BT_GEN_NO_BRANCH	0x2u	/* straight-line code only */

/*
 * DATA (page aligned, at least BT_GEN_DATA_MIN bytes) is what blocks
 * write.  code_rip is the runtime address of the code buffer; DATA must
 * lie within +-2 GiB of it (blocks use [rip + X] into DATA).  Encoding
 * itself follows bt_gen_block's code_rip argument, normally the same.
 * DATA and the code run at fixed addresses make a seed reproducible
 * across processes: base pointers and rip-relative lea results are
 * addresses, and blocks compute with them.
 */
struct bt_gen_layout {
	uint8_t *data;
	size_t data_len;
	uint64_t code_rip;
};

/*
 * One entry per generated instruction, in order, then one entry for the
 * trailer (flag BT_GEN_I_TRAILER) at index n_insns.  BT_GEN_I_STORE
 * marks an instruction that writes memory (cmpxchg counts as a write even
 * when the compare fails); BT_GEN_I_LOCK a lock prefix or xchg with
 * memory.
 */
#define BT_GEN_I_STORE		0x01u
#define BT_GEN_I_LOAD		0x02u	/* reads memory */
#define BT_GEN_I_BRANCH		0x04u	/* jcc / jmp in the block */
#define BT_GEN_I_RIPREL		0x08u	/* [rip + X] operand */
#define BT_GEN_I_LOCK		0x10u
#define BT_GEN_I_TRAILER	0x80u	/* the trailer */

struct bt_gen_insn {
	uint32_t off;		/* start offset in the block */
	uint8_t len;		/* length in bytes */
	uint8_t flags;		/* BT_GEN_I_* */
	uint16_t mnemonic;	/* ZydisMnemonic (0 for the trailer) */
	/*
	 * Arithmetic flags (BT_FLAG_*) whose value is architecturally
	 * undefined after this instruction on some path (for the trailer:
	 * at block exit).  Generated code never consumes such a flag; a
	 * differential check must mask the trailer's undef_flags out of the
	 * final rflags.
	 */
	uint16_t undef_flags;
};

struct bt_regs {
	uint64_t gpr[16];	/* hardware order: rax rcx rdx rbx rsp rbp
				 * rsi rdi r8 .. r15 */
	uint64_t rflags;
	uint8_t xmm[4][16] __attribute__((aligned(16)));
};

/*
 * Fill *r with a start state for blocks generated against layout l: free
 * registers random, base registers, r13 and rsp as in the convention
 * above, arithmetic flags random, xmm0..3 random.  bt_gen_block's operand
 * bounds are derived from the same constants, so any block runs from any
 * state this makes.  *rng_state must be non-zero.
 */
void bt_gen_regs(uint64_t *rng_state, const struct bt_gen_layout *l,
		 struct bt_regs *r);

/* Fill DATA with random bytes. */
void bt_gen_data(uint64_t *rng_state, const struct bt_gen_layout *l);

/*
 * Generate n_insns (1..BT_GEN_MAX_INSNS) random instructions plus the
 * trailer into code[0..cap), encoded for execution at code_rip (normally
 * (uintptr_t)code).  With out non-NULL, out_cap must be >= n_insns + 1 and
 * out[0..n_insns] describes the instructions and the trailer.  Returns the
 * block length including the trailer, 0 on failure (bad arguments or cap
 * too small).  Without DATA in reach of code_rip no [rip + X] operand is
 * generated.  Deterministic in *rng_state, which it advances.
 */
size_t bt_gen_block(uint64_t *rng_state, const struct bt_gen_layout *l,
		    uint8_t *code, uint64_t code_rip, size_t cap,
		    unsigned int n_insns, unsigned int flags,
		    struct bt_gen_insn *out, unsigned int out_cap);

/* xorshift64* step; *state must be non-zero. */
uint64_t bt_gen_rand(uint64_t *state);

/*
 * Run natively: load xmm0..3, all 16 GPRs (rsp included) and rflags (the
 * arithmetic flags of r->rflags, DF clear, plus TF when single_step) from
 * *r and jump to entry; return when the code reaches bt_exit, with *r
 * holding the final GPRs, rflags (TF cleared) and xmm0..3.  Not
 * re-entrant; single-threaded use only.
 *
 * rsp, rflags and rip are loaded together by one iretq, so with
 * single_step no harness instruction is stepped: the first SIGTRAP comes
 * after the first instruction at entry, then one after each instruction,
 * the last one with rip == bt_exit.  The caller's SIGTRAP handler must
 * run on an alternate signal stack (SA_ONSTACK with sigaltstack: the
 * guest rsp points into DATA) and must clear TF (uc_mcontext.gregs[REG_EFL]
 * &= ~0x100) whenever !bt_run_in_guest(rip), at the latest at bt_exit;
 * bt_exit does not rely on TF being clear before that.
 */
void bt_run(struct bt_regs *r, const void *entry, int single_step);

/* The trailer's target.  Not callable from C. */
void bt_exit(void);

/* Non-zero unless rip lies in the harness's own code (bt_run, bt_exit). */
int bt_run_in_guest(unsigned long rip);

#endif /* KEEL_TESTS_BT_GEN_H */
