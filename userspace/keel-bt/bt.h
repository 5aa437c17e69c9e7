/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keel-bt: the translator of write hot spots. Given a range of x86-64
 * code, it emits code that does what the original does, except that
 * every store to memory is made twice: to the guest's memory (through an
 * alias window that is not write-tracked, at address + alias_off) and to
 * its mirror (at address + mirror_off). The stores of one region reach
 * the mirror together, at the region's commit, through the region log of
 * <linux/keel_bt.h>. Documentation/bt.rst describes the translation, the
 * log protocol and what is not translated.
 *
 * This header is the library's interface: translate (translate.c), and
 * recover a lost page with the log and the window table (recover.c), or
 * with a full log alone (KBT_FULL_LOG), which needs no registers.
 */
#ifndef KEEL_BT_H
#define KEEL_BT_H

#include <stddef.h>
#include <stdint.h>
#include <linux/keel_bt.h>

/*
 * kbt_config.flags: a full log (<linux/keel_bt.h>), readable without the
 * vCPU's registers: every entry written, each store's entries published
 * before the store (a mov's with its bytes, any other's open until the
 * bytes it left are recorded), no register entries, no windows, and each
 * commit increments the log's gen. For a reader in the host kernel.
 */
#define KBT_FULL_LOG	0x1u

/* The placement of one translation: where its windows and log are. */
struct kbt_config {
	int64_t alias_off;	/* guest-side store at addr + alias_off */
	int64_t mirror_off;	/* mirror store at addr + mirror_off */
	uint64_t log_addr;	/* runtime address of struct keel_bt_log */
	/*
	 * Runtime address of a u64 to which each commit adds its region's
	 * stores (the translated stores that did not trap), or 0 for none.
	 * Not atomic: vCPUs sharing a translation may lose counts.
	 */
	uint64_t count_addr;
	uint32_t flags;		/* KBT_FULL_LOG; 0 for the plain log */
};

/*
 * A store's window: the addresses [exec_end, end] where a vCPU has made
 * the store at store_start. Its entries are e[ent_first, ent_done) of the
 * log, complete from entry_end on; the log's count says so only after the
 * last store of the run of consecutive stores it belongs to (the window
 * of a store that is not the run's last ends where the next store's
 * begins). A vCPU stopped in [exec_end, entry_end) whose store's bytes are
 * lost is rolled back to store_start (registers in rsave_reg[] from the
 * log's rsave[], the flags in flags from the log's flags[]).
 *
 * A register entry (reg_entry): the store is a mov whose address and
 * source registers stay as they are until the region's commit, which
 * makes it again from them. The code writes no entry for it (entry_end
 * is exec_end); kbt_log_sync() writes it from the stopped vCPU's
 * registers: address base + index * scale + disp (a register KBT_NO_REG
 * is none; a RIP-relative address is all disp), bytes the register src,
 * or the immediate imm sign-extended when src is KBT_NO_REG.
 *
 * A full log (KBT_FULL_LOG) has no windows: each store publishes its
 * entries before it is made, so its count never lags the code.
 */
struct kbt_window {
	uint64_t store_start;	/* translated store instruction */
	uint64_t exec_end;	/* the instruction after it */
	uint64_t entry_end;	/* the instruction after its log entries */
	uint64_t end;		/* the window's last address */
	uint64_t orig_rip;	/* the original instruction */
	uint8_t addr_reg;	/* GPR holding its address, or KBT_NO_REG */
	uint8_t size;		/* bytes stored */
	uint8_t nsave;		/* registers in rsave_reg[] */
	uint8_t rsave_reg[KEEL_BT_LOG_RSAVE];
	uint8_t pad;
	uint16_t flags;		/* RFLAGS bits the store reads */
	uint8_t ent_first;	/* its first entry */
	uint8_t ent_done;	/* the entries complete once it is logged */
	uint8_t reg_entry;	/* its entry is made from the registers */
	uint8_t base, index;	/* reg_entry: the address's registers */
	uint8_t scale;
	uint8_t src;		/* reg_entry: the source register */
	uint8_t pad2[3];
	int32_t imm;		/* reg_entry: or this immediate */
	int64_t disp;		/* reg_entry: the address's displacement */
};

/* kbt_map.s2 of a region that does not use (nor save) a second scratch */
#define KBT_NO_REG	0xff

/*
 * One original instruction and where its translation starts; exec_rip
 * is the translated instruction that does what the original does (the
 * store to the alias, the copied load, ...), the one that takes the
 * original's faults. With open, the region's scratch registers s1 and s2
 * hold the region's values there, their own in the log's scratch[], and
 * the region has ent_first entries before the instruction; a store's own
 * are the nent after them (nent is 0 for any other instruction). In a
 * full log they are published at exec_rip, before the store is made.
 */
struct kbt_map {
	uint64_t orig_rip;
	uint64_t trans_rip;
	uint64_t exec_rip;
	uint8_t s1, s2;
	uint8_t open;
	uint8_t ent_first;	/* the region's entries before it */
	uint8_t nent;		/* a store: its entries; 0 else */
	uint8_t pad[3];
};

/* Why translation stopped at an instruction (kbt_block.stop_why). */
enum kbt_stop {
	KBT_STOP_END,		/* the end of the range */
	KBT_STOP_UNDECODABLE,	/* not a valid instruction */
	KBT_STOP_STORE_FORM,	/* a store of a form not translated */
	KBT_STOP_CONTROL,	/* call, loop, far or system control flow */
	KBT_STOP_REACH,		/* an operand out of rel32 reach */
	KBT_STOP_SCRATCH,	/* no free scratch registers */
};

/* The result of one translation; kbt_block_free() releases it. */
struct kbt_block {
	uint64_t orig_start, orig_end;	/* original code translated */
	uint64_t trans_start;		/* runtime address of the code */
	size_t trans_len;		/* bytes of translated code */
	struct kbt_window *windows;
	unsigned int nwindows;
	struct kbt_map *map;
	unsigned int nmap;
	unsigned int insns;		/* original instructions */
	unsigned int stores;		/* stores translated */
	unsigned int regions;		/* regions with a commit */
	unsigned int commits;		/* commit sequences emitted */
	unsigned int alias_loads;	/* loads through the alias (in_pair) */
	uint64_t stop_rip;		/* where translation stopped */
	enum kbt_stop stop_why;
	uint8_t full_log;		/* KBT_FULL_LOG: no windows */
};

/*
 * Translate [code, code + len), which runs at orig_rip, into out (cap
 * bytes), which will run at out_rip. Translated code leaves to the
 * original code at the first instruction it does not translate, and at
 * the end of the range. 0 or a negative errno (-ENOSPC: out too small;
 * -EINVAL: bad config or unknown flags; -ERANGE: the log, the counter or
 * an offset out of reach).
 */
int kbt_translate(const struct kbt_config *cfg, const uint8_t *code,
		  size_t len, uint64_t orig_rip, uint8_t *out, size_t cap,
		  uint64_t out_rip, struct kbt_block *blk);
void kbt_block_free(struct kbt_block *blk);

/* The RFLAGS bit of each KEEL_BT_FLAG_* index of the log's flags[]. */
#define KBT_NR_FLAGS	5
extern const uint16_t kbt_flag_bit[KBT_NR_FLAGS];

/* A stopped vCPU as the recovery sees and changes it. */
struct kbt_vcpu {
	uint64_t rip;
	uint64_t rflags;
	uint64_t gpr[16];	/* hardware order: rax, rcx, ... r15 */
};

/*
 * The bytes [addr, addr + len) as the guest last wrote them: the mirror's
 * bytes (in buf) with the log's published entries written over them. An
 * entry with KEEL_BT_LEN_OPEN (a full log's store under way) is not
 * written: returns how many of those touch the bytes, 0 if none. With
 * any, the bytes cannot be rebuilt from this log.
 */
int kbt_log_overlay(const struct keel_bt_log *log, uint64_t addr,
		    uint8_t *buf, size_t len);

/*
 * The log as the stopped @vcpu has made it: inside a run of stores whose
 * entries are published together, the entries it has written in full
 * are counted in @log (its count set); the open region's register
 * entries it has made are written into @log from its registers. Call
 * before reading the log for a stopped vCPU. Returns the count. A full
 * log (no windows) needs neither: its count is returned unchanged.
 */
uint64_t kbt_log_sync(const struct kbt_block *blk, struct keel_bt_log *log,
		      const struct kbt_vcpu *vcpu);

/*
 * A guest page [page, page + psize) was lost and is about to be rebuilt
 * from the mirror with kbt_log_overlay(). Brings the log's count up to
 * the vCPU (kbt_log_sync()). If the vCPU stands in a window before its
 * store's entries are written and the store touched that page, roll it
 * back to the store: its rip and the saved registers; *addr and *len
 * then say which bytes the store touched, which the caller rebuilds too
 * (they may reach into the next page). Returns 1 if rolled back (rip,
 * rflags, gpr[] changed), 0 if not; always 0 for a full log.
 */
int kbt_rollback(const struct kbt_block *blk, struct keel_bt_log *log,
		 struct kbt_vcpu *vcpu, uint64_t page, uint64_t psize,
		 uint64_t *addr, size_t *len);

/* The original instruction of a translated address, or 0. */
uint64_t kbt_orig_rip(const struct kbt_block *blk, uint64_t trans_rip);

/* Writes @len (1 to 8) bytes of @val to the mirror of guest address @addr. */
typedef void (*kbt_mirror_write_t)(void *arg, uint64_t addr, uint64_t val,
				   uint32_t len);

/*
 * The vCPU took an exception (a page fault, #GP, #DE, ...) at @vcpu->rip,
 * before the instruction there did anything. If that is the translation
 * of an original instruction, make the exception the original's: the
 * open region's published stores go to the mirror (@mirror_write) and
 * the log is emptied, so the mirror equals memory and no region is left
 * half done; an open entry (KEEL_BT_LEN_OPEN) is never mirrored. In a
 * full log a faulting store's own entries, published ahead of it, are
 * not mirrored either (kbt_map.ent_first), and gen is incremented as a
 * commit does. The region's scratch registers get their own values back
 * from the log; rip becomes the original instruction, where the guest's
 * handler sees the exception and to which it returns, in the original
 * code. The flags and every other register already are the original's.
 * Returns 1 if done (rip, gpr[] changed), 0 if rip is not in this
 * translation, -EINVAL if it is an instruction of the translation's own
 * (the log, the commit, the counter: their placement is broken).
 */
int kbt_fault(const struct kbt_block *blk, struct keel_bt_log *log,
	      struct kbt_vcpu *vcpu, kbt_mirror_write_t mirror_write,
	      void *arg);

const char *kbt_stop_name(enum kbt_stop why);

/* The jump that enters a translation: jmp rel32. */
#define KBT_PATCH_LEN	5
/* Instructions kbt_find_loop() decodes past the hot store at most. */
#define KBT_LOOP_SCAN	256

/* A loop: its head (the back edge's target) and the end of its back edge. */
struct kbt_loop {
	uint64_t head, end;
};

/*
 * The innermost loop around the instruction at hot_rip, in the code
 * [code, code + len) that runs at base: the first relative branch at or
 * after hot_rip (within KBT_LOOP_SCAN instructions, before a ret or an
 * indirect jump) that goes back to an address at or before hot_rip from
 * which decoding lands on hot_rip. Its head is where the entry jump
 * goes, so no branch of the loop may target the KBT_PATCH_LEN bytes
 * after the head (branches from outside the loop cannot be seen here:
 * the caller's placement must know its code). 0, or -EINVAL (hot_rip
 * outside the code), -ENOENT (no such loop), -ERANGE (a loop shorter than
 * the jump), -EBUSY (a branch of the loop into the jump's bytes).
 */
int kbt_find_loop(const uint8_t *code, size_t len, uint64_t base,
		  uint64_t hot_rip, struct kbt_loop *lp);

#endif /* KEEL_BT_H */
