// SPDX-License-Identifier: GPL-2.0
/*
 * keel-bt's refusals and edges: a bad placement is refused with its
 * error and nothing emitted; each store form and control transfer that
 * is not translated ends the translation exactly there, and the
 * translated code leaves to the original instruction (also when the
 * original code is out of rel32 reach of the code cache, through an
 * absolute jump), so the code still does what it did; the window and
 * map lookups outside the translation find nothing; the counter of
 * translated stores; the loop finder on nested loops and its refusals;
 * the full log's entries, published before their stores, as a fault at
 * each kind of store finds them.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "bt.h"
#include "hostmem.h"
#include "tap.h"

#define PAGE		4096ul
#define BUF_LEN		(2 * PAGE)
#define CACHE_LEN	(64 * 1024ul)

/* Each snippet: f(buf, value), System V ABI; *_stop marks the refusal. */
void snip_rep(uint8_t *buf, uint64_t v);
extern const uint8_t snip_rep_stop[], snip_rep_end[];
void snip_push(uint8_t *buf, uint64_t v);
extern const uint8_t snip_push_stop[], snip_push_end[];
void snip_call(uint8_t *buf, uint64_t v);
extern const uint8_t snip_call_stop[], snip_call_end[];
void snip_fs(uint8_t *buf, uint64_t v);
extern const uint8_t snip_fs_stop[], snip_fs_end[];
void snip_loop(uint8_t *buf, uint64_t v);
extern const uint8_t snip_loop_stop[], snip_loop_end[];

__asm__(
	".text\n"
	".globl snip_rep, snip_rep_stop, snip_rep_end\n"
	"snip_rep:\n"
	"	add %rsi, (%rdi)\n"
	"	mov %rdi, %rdx\n"
	"	lea 64(%rdi), %rdi\n"
	"	mov %esi, %eax\n"
	"	mov $16, %ecx\n"
	"snip_rep_stop:\n"
	"	rep stosb\n"
	"	mov %rsi, 8(%rdx)\n"
	"	ret\n"
	"snip_rep_end:\n"
	".globl snip_push, snip_push_stop, snip_push_end\n"
	"snip_push:\n"
	"	mov %rsi, (%rdi)\n"
	"snip_push_stop:\n"
	"	push %rsi\n"
	"	pop %rax\n"
	"	mov %rax, 8(%rdi)\n"
	"	ret\n"
	"snip_push_end:\n"
	".globl snip_call, snip_call_stop, snip_call_end\n"
	"snip_call:\n"
	"	mov %rsi, (%rdi)\n"
	"snip_call_stop:\n"
	"	call 1f\n"
	"	mov %rsi, 8(%rdi)\n"
	"	ret\n"
	"1:	ret\n"
	"snip_call_end:\n"
	".globl snip_fs, snip_fs_stop, snip_fs_end\n"
	"snip_fs:\n"
	"	mov %rsi, (%rdi)\n"
	"	mov %fs:-8, %rax\n"	/* a load: translated */
	"snip_fs_stop:\n"
	"	mov %rax, %fs:-8\n"	/* a store through fs (the same
					 * value back): not */
	"	mov %rsi, 8(%rdi)\n"
	"	ret\n"
	"snip_fs_end:\n"
	".globl snip_loop, snip_loop_stop, snip_loop_end\n"
	"snip_loop:\n"
	"	mov %rsi, (%rdi)\n"
	"	mov $2, %ecx\n"
	"1:\n"
	"	addq $1, 16(%rdi)\n"
	"snip_loop_stop:\n"
	"	loop 1b\n"
	"	mov %rsi, 8(%rdi)\n"
	"	ret\n"
	"snip_loop_end:\n"
	/* three times two stores in a loop, one after it: seven */
	".globl snip_count, snip_count_end\n"
	"snip_count:\n"
	"	mov $3, %ecx\n"
	"1:	mov %rsi, (%rdi)\n"
	"	addq $1, 8(%rdi)\n"
	"	dec %ecx\n"
	"	jnz 1b\n"
	"	mov %rsi, 16(%rdi)\n"
	"	ret\n"
	"snip_count_end:\n"
	/* movs the commit makes again: of a register, of immediates */
	".globl snip_movs, snip_movs_end\n"
	"snip_movs:\n"
	"	mov %rsi, (%rdi)\n"
	"	mov %esi, 8(%rdi)\n"
	"	movb $0xf7, 12(%rdi)\n"
	"	movw $-2, 14(%rdi)\n"
	"	movq $-3, 16(%rdi)\n"
	"	ret\n"
	"snip_movs_end:\n"
	/* a store alone (its source changes after it), then a run of two */
	".globl snip_run, snip_run_end\n"
	"snip_run:\n"
	"	mov %rsi, (%rdi)\n"
	"	add $1, %rsi\n"
	"	add %rsi, 8(%rdi)\n"
	"	addq $1, 16(%rdi)\n"
	"	ret\n"
	"snip_run_end:\n"
	/* register entries (their registers unchanged) around a logged one */
	".globl snip_reg, snip_reg_end\n"
	"snip_reg:\n"
	"	mov $3, %edx\n"
	"	mov %rsi, (%rdi,%rdx,8)\n"
	"	addq $1, 8(%rdi)\n"
	"	movl $-7, 16(%rdi)\n"
	"	add $1, %rdx\n"
	"	ret\n"
	"snip_reg_end:\n"
	/* a load of what a store of the region writes, and three that are not */
	".globl snip_pair, snip_pair_end\n"
	"snip_pair:\n"
	"	mov 8(%rdi), %rax\n"		/* through the alias */
	"	add %rsi, %rax\n"
	"	mov 16(%rdi), %rdx\n"		/* another address */
	"	mov %rax, 8(%rdi)\n"
	"	mov (%rdi), %rcx\n"		/* its register changes */
	"	lea 8(%rdi), %rdi\n"
	"	mov %rcx, (%rdi)\n"
	"	mov (%rdi), %rax\n"		/* after the last store */
	"	ret\n"
	"snip_pair_end:\n"
	/* a full log: movs, whose bytes it knows, around a read-modify-write */
	".globl snip_full, snip_full_end\n"
	"snip_full:\n"
	"	mov %rsi, (%rdi)\n"
	"	addq $1, 8(%rdi)\n"
	"	mov %esi, 4096(%rdi)\n"	/* the next page */
	"	ret\n"
	"snip_full_end:\n"
	".globl snip_open, snip_open_end\n"
	"snip_open:\n"
	"	mov %rsi, (%rdi)\n"
	"	addl $1, 4096(%rdi)\n"	/* the next page */
	"	ret\n"
	"snip_open_end:\n"
	/* the loops of the finder: nested; one too short; one whose head's
	 * bytes a branch of the loop targets
	 */
	".globl loops, loops_outer, loops_inner, loops_store, loops_inner_end\n"
	".globl loops_outer_end, loops_short, loops_short_end, loops_busy\n"
	".globl loops_busy_store, loops_busy_end, loops_none, loops_end\n"
	"loops:\n"
	"	mov %rcx, %rax\n"
	"loops_outer:\n"
	"	mov %rdi, %r8\n"
	"loops_inner:\n"
	"	mov %rax, (%r8)\n"
	"loops_store:\n"
	"	mov %rax, 8(%r8)\n"
	"	add $16, %r8\n"
	"	cmp %rsi, %r8\n"
	"	jb loops_inner\n"
	"loops_inner_end:\n"
	"	dec %rdx\n"
	"	jnz loops_outer\n"
	"loops_outer_end:\n"
	"	ret\n"
	"loops_short:\n"
	"	mov %al, (%rdi)\n"
	"	jnz loops_short\n"
	"loops_short_end:\n"
	"	ret\n"
	"loops_busy:\n"
	"	mov %al, (%rdi)\n"
	"	jz 2f\n"
	"2:	mov %al, 1(%rdi)\n"
	"loops_busy_store:\n"
	"	mov %al, 2(%rdi)\n"
	"	jnz loops_busy\n"
	"loops_busy_end:\n"
	"	ret\n"
	"loops_none:\n"
	"	mov %rax, (%rdi)\n"
	"	ret\n"
	"loops_end:\n");
void snip_count(uint8_t *buf, uint64_t v);
extern const uint8_t snip_count_end[];
void snip_movs(uint8_t *buf, uint64_t v);
extern const uint8_t snip_movs_end[];
void snip_run(uint8_t *buf, uint64_t v);
extern const uint8_t snip_run_end[];
void snip_reg(uint8_t *buf, uint64_t v);
extern const uint8_t snip_reg_end[];
void snip_pair(uint8_t *buf, uint64_t v);
extern const uint8_t snip_pair_end[];
void snip_full(uint8_t *buf, uint64_t v);
extern const uint8_t snip_full_end[];
void snip_open(uint8_t *buf, uint64_t v);
extern const uint8_t snip_open_end[];
extern const uint8_t loops[], loops_outer[], loops_inner[], loops_store[],
	loops_inner_end[], loops_outer_end[], loops_short[], loops_short_end[],
	loops_busy[], loops_busy_store[], loops_busy_end[], loops_none[],
	loops_end[];

static struct kbt_hostmem hm;
static uint8_t *buf, *mirror, *cache;
static struct keel_bt_log *logp;

static void setup(void)
{
	int ret = kbt_hostmem_init(&hm, BUF_LEN, CACHE_LEN);

	if (ret) {
		fprintf(stderr, "setup: %s\n", strerror(-ret));
		exit(1);
	}
	buf = hm.data;
	mirror = hm.mirror;
	cache = hm.code[0];
	logp = hm.log;
}

static struct kbt_config config(void)
{
	return kbt_hostmem_config(&hm);
}

static int xlate(const struct kbt_config *cfg, const void *start,
		 const void *end, size_t cap, struct kbt_block *blk)
{
	memset(cache, 0xcc, CACHE_LEN);
	return kbt_translate(cfg, start, (const uint8_t *)end -
			     (const uint8_t *)start, (uint64_t)start, cache,
			     cap, (uint64_t)cache, blk);
}

static void refusals(void)
{
	struct kbt_config cfg = config();
	struct kbt_block blk;
	int ret;

	cfg.mirror_off = 0;
	ret = xlate(&cfg, snip_push, snip_push_end, CACHE_LEN, &blk);
	ok(ret == -EINVAL && cache[0] == 0xcc,
	   "no mirror offset: EINVAL, nothing emitted (%d)", ret);
	cfg = config();
	cfg.mirror_off = cfg.alias_off;
	ret = xlate(&cfg, snip_push, snip_push_end, CACHE_LEN, &blk);
	ok(ret == -EINVAL, "mirror at the alias: EINVAL (%d)", ret);
	cfg = config();
	cfg.alias_off = 1ll << 33;
	ret = xlate(&cfg, snip_push, snip_push_end, CACHE_LEN, &blk);
	ok(ret == -EINVAL, "an alias beyond a 32-bit displacement: EINVAL "
	   "(%d)", ret);
	cfg = config();
	cfg.log_addr = (uint64_t)cache + (8ull << 30);
	ret = xlate(&cfg, snip_push, snip_push_end, CACHE_LEN, &blk);
	ok(ret == -ERANGE && cache[0] == 0xcc,
	   "a log out of rel32 reach of the code: ERANGE (%d)", ret);
	cfg = config();
	ret = xlate(&cfg, snip_rep, snip_rep_end, 16, &blk);
	ok(ret == -ENOSPC && !blk.windows && !blk.map,
	   "16 bytes of room: ENOSPC, nothing kept (%d)", ret);
	ret = kbt_translate(&cfg, NULL, 4, 0, cache, CACHE_LEN,
			    (uint64_t)cache, &blk);
	ok(ret == -EINVAL, "no code: EINVAL (%d)", ret);
	cfg.flags = KBT_FULL_LOG << 1;
	ret = xlate(&cfg, snip_push, snip_push_end, CACHE_LEN, &blk);
	ok(ret == -EINVAL && cache[0] == 0xcc && !blk.windows && !blk.map,
	   "an unknown flag: EINVAL, nothing emitted nor kept (%d)", ret);
}

struct snip {
	const char *what;
	void (*f)(uint8_t *buf, uint64_t v);
	const uint8_t *stop, *end;
	enum kbt_stop why;
	unsigned int first, last;	/* offsets of the first and last store */
};

/*
 * Translated up to the refusal, then the original runs on: memory as
 * natively, the first store mirrored, the last (in the original) not.
 */
static void stops(void)
{
	static const struct snip snips[] = {
		{ "rep stosb", snip_rep, snip_rep_stop, snip_rep_end,
		  KBT_STOP_STORE_FORM, 0, 8 },
		{ "push", snip_push, snip_push_stop, snip_push_end,
		  KBT_STOP_STORE_FORM, 0, 8 },
		{ "call", snip_call, snip_call_stop, snip_call_end,
		  KBT_STOP_CONTROL, 0, 8 },
		{ "a store through fs", snip_fs, snip_fs_stop, snip_fs_end,
		  KBT_STOP_STORE_FORM, 0, 8 },
		{ "loop", snip_loop, snip_loop_stop, snip_loop_end,
		  KBT_STOP_CONTROL, 0, 8 },
	};
	static uint8_t native[BUF_LEN];
	const uint64_t v = 0x1122334455667788ull;
	struct kbt_config cfg = config();
	unsigned int i;

	for (i = 0; i < sizeof(snips) / sizeof(snips[0]); i++) {
		const struct snip *s = &snips[i];
		struct kbt_block blk;
		int ret;

		memset(buf, 0, BUF_LEN);
		s->f(buf, v);
		memcpy(native, buf, BUF_LEN);

		ret = xlate(&cfg, (const void *)s->f, s->end, CACHE_LEN, &blk);
		ok(!ret && blk.stop_why == s->why &&
		   blk.stop_rip == (uint64_t)s->stop,
		   "%s: translation stops (%s) at the instruction, +%lu", s->what,
		   kbt_stop_name(blk.stop_why),
		   (unsigned long)(blk.stop_rip - (uint64_t)s->f));
		if (ret)
			continue;
		memset(buf, 0, BUF_LEN);
		memset(mirror, 0, BUF_LEN);
		memset(logp, 0, sizeof(*logp));
		((void (*)(uint8_t *, uint64_t))(void *)cache)(buf, v);
		ok(!memcmp(buf, native, BUF_LEN) &&
		   !memcmp(mirror + s->first, buf + s->first, 8) &&
		   memcmp(mirror + s->last, buf + s->last, 8) &&
		   logp->count == 0,
		   "%s: the translation leaves to the original there: memory "
		   "as natively, the store before mirrored, the one after not",
		   s->what);
		ok(kbt_orig_rip(&blk, (uint64_t)cache + blk.trans_len) == 0 &&
		   kbt_orig_rip(&blk, (uint64_t)cache - 1) == 0 &&
		   kbt_orig_rip(&blk, blk.map[0].trans_rip) == (uint64_t)s->f,
		   "%s: map lookups inside and outside the code", s->what);
		kbt_block_free(&blk);
	}
}

/* A vCPU outside every window, or whose store is on another page. */
static void no_rollback(void)
{
	struct kbt_config cfg = config();
	struct kbt_vcpu v = { 0 };
	struct kbt_block blk;
	uint64_t at = 0;
	size_t len = 0;
	int ret;

	ret = xlate(&cfg, snip_rep, snip_rep_end, CACHE_LEN, &blk);
	if (!ok(!ret && blk.nwindows == 1, "one store, one window"))
		return;
	v.rip = blk.windows[0].store_start;
	v.gpr[blk.windows[0].addr_reg] = (uint64_t)buf;
	ok(!kbt_rollback(&blk, logp, &v, (uint64_t)buf, 4096, &at, &len) &&
	   v.rip == blk.windows[0].store_start,
	   "before the store: no rollback");
	v.rip = blk.windows[0].exec_end;
	v.gpr[blk.windows[0].addr_reg] = (uint64_t)buf + 8192;
	ok(!kbt_rollback(&blk, logp, &v, (uint64_t)buf, 4096, &at, &len) &&
	   !len, "a store to another page: no rollback");
	v.gpr[blk.windows[0].addr_reg] = (uint64_t)buf + 4092;
	ok(kbt_rollback(&blk, logp, &v, (uint64_t)buf, 4096, &at, &len) &&
	   v.rip == blk.windows[0].store_start && at == (uint64_t)buf + 4092 &&
	   len == 8, "a store reaching into the lost page: rolled back to it");
	v.rip = blk.windows[0].end + 1;
	ok(!kbt_rollback(&blk, logp, &v, (uint64_t)buf, 4096, &at, &len),
	   "after its entry is published: no rollback");
	kbt_block_free(&blk);
}

/* Run translated @f over a zeroed buffer and mirror: both end equal. */
static bool run_equal(struct kbt_block *blk, void (*f)(uint8_t *, uint64_t),
		      uint64_t v, uint8_t *native)
{
	unsigned int i;

	memset(native, 0, 64);
	f(native, v);
	memset(buf, 0, 64);
	memset(mirror, 0, 64);
	((void (*)(uint8_t *, uint64_t))blk->trans_start)(buf, v);
	for (i = 0; i < KEEL_BT_LOG_ENTRIES; i++)
		if (logp->e[i].len)
			return false;	/* a length left for the next region */
	return !memcmp(buf, native, 64) && !memcmp(mirror, native, 64) &&
	       !logp->count;
}

/* kbt_log_sync() for a vCPU at @rip whose registers are all 0. */
static uint64_t sync_at(const struct kbt_block *blk, uint64_t rip)
{
	struct kbt_vcpu v = { .rip = rip };

	return kbt_log_sync(blk, logp, &v);
}

/*
 * Register entries: the code writes none of them; kbt_log_sync() makes
 * those a stopped vCPU has stored from its registers, and leaves the
 * logged one between them and those not yet stored alone.
 */
static void reg_entries(void)
{
	struct kbt_config cfg = config();
	const struct kbt_window *w;
	struct kbt_vcpu v = { 0 };
	static uint8_t native[64];
	struct kbt_block blk;
	const uint64_t val = 0x8877665544332211ull;
	int ret;

	ret = xlate(&cfg, snip_reg, snip_reg_end, CACHE_LEN, &blk);
	if (!ok(!ret && blk.nwindows == 3, "three stores, three windows (%d)",
		ret))
		return;
	w = blk.windows;
	ok(w[0].reg_entry && w[0].base == 7 && w[0].index == 2 &&
	   w[0].scale == 8 && w[0].disp == 0 && w[0].src == 6 &&
	   !w[1].reg_entry && w[2].reg_entry && w[2].base == 7 &&
	   w[2].index == KBT_NO_REG && w[2].disp == 16 &&
	   w[2].src == KBT_NO_REG && w[2].imm == -7 && w[2].size == 4,
	   "a mov of a register with an index, one of an immediate: register "
	   "entries; the add between them logged");
	memset(logp, 0x5a, sizeof(*logp));
	v.gpr[7] = (uint64_t)buf;
	v.gpr[6] = val;
	v.gpr[2] = 3;
	v.rip = w[2].store_start;
	ok(kbt_log_sync(&blk, logp, &v) == 2 &&
	   logp->e[0].addr == (uint64_t)buf + 24 && logp->e[0].val == val &&
	   logp->e[0].len == 0 && logp->e[2].addr == 0x5a5a5a5a5a5a5a5aull,
	   "before the third store: the first made from the registers, the "
	   "second left as the code wrote it, the third not made");
	v.rip = w[2].end;
	ok(kbt_log_sync(&blk, logp, &v) == 3 &&
	   logp->e[2].addr == (uint64_t)buf + 16 &&
	   (uint32_t)logp->e[2].val == (uint32_t)-7 && logp->e[2].len == 4,
	   "after it: the immediate's entry made, with its length");
	memset(logp, 0, sizeof(*logp));
	ok(run_equal(&blk, snip_reg, val, native),
	   "register entries: memory and mirror as natively, no length left");
	kbt_block_free(&blk);
}

/*
 * The commit makes a mov again at the mirror (no s2 needed for a region
 * of such movs), and consecutive stores publish their entries together:
 * the windows say which entries a vCPU inside the run has written.
 */
static void runs(void)
{
	struct kbt_config cfg = config();
	const struct kbt_window *w;
	struct kbt_vcpu v = { 0 };
	static uint8_t native[64];
	struct kbt_block blk;
	uint64_t at = 0;
	size_t len = 0;
	unsigned int i;
	bool no_s2 = true;
	int ret;

	ret = xlate(&cfg, snip_movs, snip_movs_end, CACHE_LEN, &blk);
	if (!ok(!ret && blk.nwindows == 5, "five movs, five windows (%d)", ret))
		return;
	for (i = 0; i < blk.nmap; i++)
		no_s2 &= blk.map[i].s2 == KBT_NO_REG;
	ok(no_s2, "a region of movs made again at the commit: no second "
	   "scratch register");
	for (i = 0; i + 1 < blk.nwindows; i++)
		if (blk.windows[i].end + 1 != blk.windows[i + 1].exec_end ||
		    blk.windows[i].ent_first != i ||
		    blk.windows[i].ent_done != i + 1)
			break;
	ok(i == 4, "one run: each window ends where the next store's begins");
	for (i = 0; i < blk.nwindows; i++)
		if (!blk.windows[i].reg_entry ||
		    blk.windows[i].entry_end != blk.windows[i].exec_end)
			break;
	ok(i == 5, "movs whose registers stay until the commit: register "
	   "entries, none written by the code");
	ok(run_equal(&blk, snip_movs, 0x1122334455667788ull, native),
	   "movs of a register and of 1-, 2- and 8-byte immediates: memory "
	   "and mirror as natively");
	kbt_block_free(&blk);

	ret = xlate(&cfg, snip_run, snip_run_end, CACHE_LEN, &blk);
	if (!ok(!ret && blk.nwindows == 3, "three stores, three windows (%d)",
		ret))
		return;
	w = blk.windows;
	ok(w[0].end < w[1].exec_end - 1 && w[1].end + 1 == w[2].exec_end,
	   "a store alone, then a run of two");
	ok(blk.map[0].s2 != KBT_NO_REG, "a region with a read-modify-write "
	   "uses a second scratch register");
	logp->count = 1;
	ok(!w[0].reg_entry && !w[1].reg_entry && !w[2].reg_entry,
	   "a mov whose source changes, read-modify-writes: logged");
	ok(sync_at(&blk, w[1].exec_end) == 1 &&
	   sync_at(&blk, w[1].entry_end) == 2 &&
	   sync_at(&blk, w[2].store_start) == 2 &&
	   sync_at(&blk, w[2].exec_end) == 2 &&
	   sync_at(&blk, w[2].end) == 3,
	   "the entries a vCPU in the run has written, counted from its rip");
	logp->count = 1;
	v.rip = w[1].exec_end;
	v.gpr[w[1].addr_reg] = (uint64_t)buf + 8;
	ok(kbt_rollback(&blk, logp, &v, (uint64_t)buf, 4096, &at, &len) &&
	   v.rip == w[1].store_start && logp->count == 1 &&
	   at == (uint64_t)buf + 8 && len == 8,
	   "stopped after the store, before its entry: rolled back to it");
	v.rip = w[2].store_start;
	ok(!kbt_rollback(&blk, logp, &v, (uint64_t)buf, 4096, &at, &len) &&
	   logp->count == 2, "stopped before the next store: its entry "
	   "counted, no rollback");
	logp->count = 0;
	ok(run_equal(&blk, snip_run, 41, native),
	   "a store alone and a run: memory and mirror as natively");
	kbt_block_free(&blk);

	reg_entries();

	ret = xlate(&cfg, snip_pair, snip_pair_end, CACHE_LEN, &blk);
	ok(!ret && blk.alias_loads == 1, "a load of what the region then "
	   "stores goes through the alias; another address, a changed base "
	   "register, a load after the last store do not (%u)",
	   blk.alias_loads);
	if (!ret)
		ok(run_equal(&blk, snip_pair, 5, native),
		   "with a load through the alias: memory and mirror as "
		   "natively");
	kbt_block_free(&blk);
}

/* The fault a full-log run took: the vCPU and the log as it found them. */
static sigjmp_buf fault_jmp;
static struct kbt_vcpu fault_cpu;
static struct keel_bt_log fault_log;

static const int greg[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI,
	REG_RDI, REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13,
	REG_R14, REG_R15,
};

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
	int i;

	(void)sig;
	(void)si;
	fault_cpu.rip = (uint64_t)g[REG_RIP];
	fault_cpu.rflags = (uint64_t)g[REG_EFL];
	for (i = 0; i < 16; i++)
		fault_cpu.gpr[i] = (uint64_t)g[greg[i]];
	fault_log = *logp;
	siglongjmp(fault_jmp, 1);
}

/*
 * Run @blk's code over a zeroed buffer, mirror and log, with the alias
 * of page @pg of the buffer inaccessible: true if it faulted there.
 */
static bool run_faulting(const struct kbt_block *blk, unsigned int pg,
			 uint64_t v)
{
	struct sigaction sa = { .sa_sigaction = on_segv,
				.sa_flags = SA_SIGINFO }, old;
	uint8_t *alias = buf + PAGE * pg + config().alias_off;
	volatile bool faulted = false;

	memset(buf, 0, BUF_LEN);
	memset(mirror, 0, BUF_LEN);
	memset(logp, 0, sizeof(*logp));
	if (sigaction(SIGSEGV, &sa, &old) || mprotect(alias, PAGE, PROT_NONE))
		return false;
	if (!sigsetjmp(fault_jmp, 1))
		((void (*)(uint8_t *, uint64_t))blk->trans_start)(buf, v);
	else
		faulted = true;
	if (mprotect(alias, PAGE, PROT_READ | PROT_WRITE) ||
	    sigaction(SIGSEGV, &old, NULL))
		return false;
	return faulted;
}

/* kbt_fault()'s mirror writes, made and counted. */
static void mirror_put(void *arg, uint64_t addr, uint64_t val, uint32_t len)
{
	memcpy((void *)(addr + config().mirror_off), &val, len);
	++*(unsigned int *)arg;
}

/* kbt_fault() on the fault found: 1 and the mirror writes, or -1. */
static int fault_mirrors(const struct kbt_block *blk, unsigned int *calls,
			 uint64_t orig)
{
	struct kbt_vcpu v = fault_cpu;
	unsigned int i;

	*calls = 0;
	if (kbt_fault(blk, &fault_log, &v, mirror_put, calls) != 1 ||
	    v.rip != orig || fault_log.count || fault_log.gen != 1)
		return -1;
	for (i = 0; i < KEEL_BT_LOG_ENTRIES; i++)
		if (fault_log.e[i].len)
			return -1;
	return 1;
}

/* Run @blk's code whole: memory as @f's, the mirror equal, the log empty. */
static bool full_run_equal(const struct kbt_block *blk,
			   void (*f)(uint8_t *, uint64_t), uint64_t v)
{
	static uint8_t native[BUF_LEN];
	unsigned int i;

	memset(buf, 0, BUF_LEN);
	f(buf, v);
	memcpy(native, buf, BUF_LEN);
	if (run_faulting(blk, 2, v))	/* no page 2: nothing faults */
		return false;
	for (i = 0; i < KEEL_BT_LOG_ENTRIES; i++)
		if (logp->e[i].len)
			return false;
	return !memcmp(buf, native, BUF_LEN) &&
	       !memcmp(mirror, native, BUF_LEN) && !logp->count &&
	       logp->gen == 1;
}

/*
 * A full log: no windows; each store's entries published before it is
 * made (a fault at the store finds them), a mov's with its bytes, a
 * read-modify-write's open; kbt_fault() mirrors those before the faulting
 * store only, and kbt_log_overlay() refuses a page with an open entry.
 */
static void full_log(void)
{
	struct kbt_config cfg = config();
	const uint64_t v = 0x1122334455667788ull;
	const struct keel_bt_log_entry *e = fault_log.e;
	uint8_t page[PAGE];
	struct kbt_block blk;
	unsigned int calls;
	int ret;

	cfg.flags = KBT_FULL_LOG;
	ret = xlate(&cfg, snip_full, snip_full_end, CACHE_LEN, &blk);
	if (!ok(!ret && blk.full_log && !blk.nwindows && blk.nmap == 4,
		"full log: translated, no windows (%d)", ret))
		return;
	ok(blk.map[0].ent_first == 0 && blk.map[0].nent == 1 &&
	   blk.map[1].ent_first == 1 && blk.map[1].nent == 1 &&
	   blk.map[2].ent_first == 2 && blk.map[2].nent == 1 &&
	   !blk.map[3].nent, "full log: each store's entries in the map");
	ok(full_run_equal(&blk, snip_full, v), "full log: movs and an add: "
	   "memory and mirror as natively, the log empty, gen 1");
	ok(run_faulting(&blk, 0, v) && fault_cpu.rip == blk.map[0].exec_rip &&
	   fault_log.count == 1 && e[0].addr == (uint64_t)buf &&
	   e[0].val == v && e[0].len == 0,
	   "full log: a mov's entry, with its bytes, published before the "
	   "store");
	ok(fault_mirrors(&blk, &calls, (uint64_t)snip_full) == 1 && !calls,
	   "full log: a fault at the first store mirrors nothing, empties "
	   "the log, gen 1");
	ok(run_faulting(&blk, 1, v) && fault_cpu.rip == blk.map[2].exec_rip &&
	   fault_log.count == 3 && e[1].addr == (uint64_t)buf + 8 &&
	   e[1].val == 1 && e[1].len == 0 &&
	   e[2].addr == (uint64_t)buf + PAGE && e[2].len == 4 &&
	   (uint32_t)e[2].val == (uint32_t)v,
	   "full log: the add's entry closed with the bytes it left, the "
	   "next mov's published before its store");
	ok(fault_mirrors(&blk, &calls, blk.map[2].orig_rip) == 1 &&
	   calls == 2 && !memcmp(mirror, buf, 16) &&
	   !*(uint32_t *)(mirror + PAGE),
	   "full log: a fault at the third store mirrors the two before it, "
	   "not its own");
	kbt_block_free(&blk);

	ret = xlate(&cfg, snip_open, snip_open_end, CACHE_LEN, &blk);
	if (!ok(!ret && blk.nmap == 3, "full log: translated (%d)", ret))
		return;
	ok(full_run_equal(&blk, snip_open, v), "full log: a mov and an add: "
	   "memory and mirror as natively, the log empty, gen 1");
	ok(run_faulting(&blk, 1, v) && fault_cpu.rip == blk.map[1].exec_rip &&
	   fault_log.count == 2 && e[1].addr == (uint64_t)buf + PAGE &&
	   e[1].len == (KEEL_BT_LEN_OPEN | 4),
	   "full log: a read-modify-write's entry published open before the "
	   "store");
	memset(page, 0, PAGE);
	ret = kbt_log_overlay(&fault_log, (uint64_t)buf + PAGE, page, PAGE);
	ok(ret == 1 && !*(uint32_t *)page, "full log: the page of the open "
	   "entry refused, its bytes not written (%d)", ret);
	ret = kbt_log_overlay(&fault_log, (uint64_t)buf, page, PAGE);
	ok(ret == 0 && !memcmp(page, &v, 8), "full log: another page rebuilt "
	   "(%d)", ret);
	ok(fault_mirrors(&blk, &calls, blk.map[1].orig_rip) == 1 &&
	   calls == 1 && !memcmp(mirror, buf, 8),
	   "full log: a fault at the add mirrors the mov before it, not the "
	   "open entry");
	kbt_block_free(&blk);
}

/* kbt_config.count_addr: each commit adds its region's stores. */
static void counter(void)
{
	struct kbt_config cfg = config();
	uint64_t *count = (uint64_t *)(cache + CACHE_LEN - 8);
	struct kbt_block blk;
	int ret;

	cfg.count_addr = (uint64_t)cache + (8ull << 30);
	ret = xlate(&cfg, (const void *)snip_count, snip_count_end,
		    CACHE_LEN - 64, &blk);
	ok(ret == -ERANGE && cache[0] == 0xcc,
	   "a counter out of rel32 reach of the code: ERANGE (%d)", ret);
	cfg.count_addr = (uint64_t)count;
	ret = xlate(&cfg, (const void *)snip_count, snip_count_end,
		    CACHE_LEN - 64, &blk);
	if (!ok(!ret && blk.stop_why == KBT_STOP_END, "translated with a counter"))
		return;
	*count = 100;
	memset(buf, 0, BUF_LEN);
	memset(mirror, 0, BUF_LEN);
	((void (*)(uint8_t *, uint64_t))(void *)cache)(buf, 7);
	ok(*count == 107 && !memcmp(buf, mirror, 24) &&
	   ((uint64_t *)buf)[1] == 3,
	   "three times two stores and one: the counter grew by 7 (%llu)",
	   (unsigned long long)(*count - 100));
	kbt_block_free(&blk);
}

static void find_loop(void)
{
	size_t len = loops_end - loops;
	struct kbt_loop lp = { 0 };
	uint64_t b = (uint64_t)loops;
	int ret;

	ret = kbt_find_loop(loops, len, b, (uint64_t)loops_store, &lp);
	ok(!ret && lp.head == (uint64_t)loops_inner &&
	   lp.end == (uint64_t)loops_inner_end,
	   "a store of the inner loop: the inner loop (%d, +%llu..+%llu)", ret,
	   (unsigned long long)(lp.head - b), (unsigned long long)(lp.end - b));
	ret = kbt_find_loop(loops, len, b, (uint64_t)loops_outer, &lp);
	ok(ret == -EBUSY, "the outer loop's first instruction: its head's "
	   "first 5 bytes hold the inner loop's head, EBUSY (%d)", ret);
	ret = kbt_find_loop(loops, len, b, (uint64_t)loops, &lp);
	ok(ret == -ENOENT, "before every loop: ENOENT (%d)", ret);
	ret = kbt_find_loop(loops, len, b, (uint64_t)loops_none, &lp);
	ok(ret == -ENOENT, "a store followed by ret: ENOENT (%d)", ret);
	ret = kbt_find_loop(loops, len, b, (uint64_t)loops_store + 1, &lp);
	ok(ret == -ENOENT, "inside an instruction: ENOENT (%d)", ret);
	ret = kbt_find_loop(loops, len, b, (uint64_t)loops_short, &lp);
	ok(ret == -ERANGE, "a loop of 4 bytes: ERANGE (%d)", ret);
	ret = kbt_find_loop(loops, len, b, (uint64_t)loops_busy_store, &lp);
	ok(ret == -EBUSY,
	   "a branch of the loop into its head's first 5 bytes: EBUSY (%d)", ret);
	ret = kbt_find_loop(loops, len, b, b + len, &lp);
	ok(ret == -EINVAL, "a site past the code: EINVAL (%d)", ret);
}

int main(void)
{
	setup();
	refusals();
	stops();
	no_rollback();
	runs();
	counter();
	find_loop();
	full_log();
	return tap_done();
}
