// SPDX-License-Identifier: GPL-2.0
/*
 * keel-bt's differential test: thousands of random write-heavy blocks
 * (bt_gen.c) run natively and translated, from identical registers and
 * memory, with the guest memory mapped twice (the alias the translated
 * stores go through is a second mapping of the same memfd) and a mirror
 * at a fixed offset. Final registers and memory must be equal, and the
 * mirror must equal memory. Then the same blocks run translated one
 * instruction at a time, and at a random step a page of guest memory is
 * "lost" (overwritten) and rebuilt as a recovery does: from the mirror
 * and the region log, with the rollback of a vCPU caught between a store
 * and its log entry. The rebuilt page must be what the guest had, and the
 * run must end as the native one did. Also: the translator's refusals and
 * where it leaves to the original code.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include <Zydis/Zydis.h>

#include "bt.h"
#include "bt_gen.h"
#include "hostmem.h"
#include "tap.h"

#define PAGE		4096ul
#define DATA_LEN	(4 * PAGE)
#define MIRROR_OFF	KBT_HOST_MIRROR_OFF
#define CODE_CAP	(256 * 1024ul)

#define BLOCKS		3000
#define STEP_RUNS	2	/* recovery runs per block */

static struct kbt_hostmem hm;
static uint8_t *data, *mirror, *orig, *trans;
static struct keel_bt_log *logp;
static struct kbt_block blk;

/* the recovery run in progress, for the SIGTRAP handler */
static struct {
	unsigned long step, lose_at;
	uint64_t page;
	int lost, rolled, overlaid, bad;
	uint64_t rip, orig;
} rr;

static const int greg[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI,
	REG_RDI, REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13,
	REG_R14, REG_R15,
};

static void rebuild(uint64_t addr, size_t len)
{
	memcpy((void *)addr, (void *)(addr + MIRROR_OFF), len);
	kbt_log_overlay(logp, addr, (uint8_t *)addr, len);
}

/* A page of guest memory is lost at this step: rebuild it, check it. */
static void lose_page(ucontext_t *uc)
{
	static uint8_t truth[PAGE];
	greg_t *g = uc->uc_mcontext.gregs;
	struct kbt_vcpu v = { .rip = (uint64_t)g[REG_RIP],
			      .rflags = (uint64_t)g[REG_EFL] };
	uint64_t page = rr.page, at = 0, a;
	size_t len = 0;
	int i;

	rr.rip = v.rip;
	memcpy(truth, (void *)page, PAGE);
	memset((void *)page, 0xa5, PAGE);
	for (i = 0; i < 16; i++)
		v.gpr[i] = (uint64_t)g[greg[i]];
	if (kbt_rollback(&blk, logp, &v, page, PAGE, &at, &len)) {
		g[REG_RIP] = (greg_t)v.rip;
		g[REG_EFL] = (greg_t)v.rflags;
		for (i = 0; i < 16; i++)
			g[greg[i]] = (greg_t)v.gpr[i];
		rr.rolled++;
		rr.orig = kbt_orig_rip(&blk, v.rip);
	}
	if (memcmp((void *)(page + MIRROR_OFF), truth, PAGE))
		rr.overlaid++;	/* the mirror alone would have been wrong */
	rebuild(page, PAGE);
	if (len) {
		/*
		 * The rolled-back store's bytes, also those on the next page,
		 * as they were before it: it runs again. The end of the run
		 * checks them.
		 */
		rebuild(at, len);
		for (a = at; a < at + len; a++)
			if (a >= page && a < page + PAGE)
				truth[a - page] = *(uint8_t *)a;
	}
	if (memcmp((void *)page, truth, PAGE))
		rr.bad++;
	rr.lost++;
}

static void on_trap(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	uint64_t rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];

	(void)sig;
	(void)si;
	if (rip < (uint64_t)trans || rip >= (uint64_t)trans + CODE_CAP) {
		if (!bt_run_in_guest(rip) || rip < (uint64_t)orig ||
		    rip >= (uint64_t)orig + CODE_CAP)
			uc->uc_mcontext.gregs[REG_EFL] &= ~0x100;
		return;
	}
	if (++rr.step == rr.lose_at) {
		lose_page(uc);
		/* the rest runs at full speed */
		uc->uc_mcontext.gregs[REG_EFL] &= ~0x100;
	}
}

static void setup(void)
{
	static uint8_t altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa = { .sa_sigaction = on_trap,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };
	int ret = kbt_hostmem_init(&hm, DATA_LEN, CODE_CAP);

	if (ret) {
		fprintf(stderr, "setup: %s\n", strerror(-ret));
		exit(1);
	}
	data = hm.data;
	mirror = hm.mirror;
	orig = hm.code[0];
	trans = hm.code[1];
	logp = hm.log;
	if (sigaltstack(&ss, NULL) || sigaction(SIGTRAP, &sa, NULL)) {
		perror("signals");
		exit(1);
	}
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static bool same_regs(const struct bt_regs *a, const struct bt_regs *b,
		      uint64_t undef)
{
	uint64_t mask = BT_FLAGS_ARITH & ~undef;

	return !memcmp(a->gpr, b->gpr, sizeof(a->gpr)) &&
	       (a->rflags & mask) == (b->rflags & mask) &&
	       !memcmp(a->xmm, b->xmm, sizeof(a->xmm));
}

/* Run the translation from r0 over d0; compare with the native run. */
static bool run_translated(const struct bt_regs *r0, const uint8_t *d0,
			   const struct bt_regs *rn, const uint8_t *dn,
			   uint64_t undef, int step)
{
	struct bt_regs r = *r0;

	memcpy(data, d0, DATA_LEN);
	memcpy(mirror, d0, DATA_LEN);
	memset(logp, 0, sizeof(*logp));
	bt_run(&r, trans, step);
	return same_regs(&r, rn, undef) && !memcmp(data, dn, DATA_LEN) &&
	       !memcmp(mirror, data, DATA_LEN) && logp->count == 0;
}

static void print_block(const uint8_t *code, size_t len)
{
	ZydisDisassembledInstruction di;
	size_t off = 0;

	while (off < len && ZYAN_SUCCESS(ZydisDisassembleIntel(
			ZYDIS_MACHINE_MODE_LONG_64, (uint64_t)code + off,
			code + off, len - off, &di))) {
		printf("#   %lx  %s\n", (unsigned long)((uint64_t)code + off),
		       di.text);
		off += di.info.length;
	}
}

static void differential(void)
{
	static uint8_t d0[DATA_LEN], dn[DATA_LEN];
	static struct bt_gen_insn gi[BT_GEN_MAX_INSNS + 1];
	struct bt_gen_layout l = { .data = data, .data_len = DATA_LEN,
				   .code_rip = (uint64_t)orig };
	struct kbt_config cfg = kbt_hostmem_config(&hm);
	unsigned int i, k, plain_bad = 0, step_bad = 0, untrans = 0;
	unsigned long insns = 0, stores = 0, map_bad = 0;
	unsigned long lost = 0, rolled = 0, overlaid = 0;
	double t_tr = 0, t0;
	uint64_t rng = 0x6b65656c2d6274ull;
	size_t len, tlen = 0, olen = 0;

	for (i = 0; i < BLOCKS; i++) {
		struct bt_regs r0, rn;
		unsigned int n = 10 + bt_gen_rand(&rng) % 50;
		uint64_t undef;

		bt_gen_regs(&rng, &l, &r0);
		bt_gen_data(&rng, &l);
		len = bt_gen_block(&rng, &l, orig, (uint64_t)orig, CODE_CAP,
				   n, i % 4 == 3 ? BT_GEN_LOOP : 0, gi,
				   BT_GEN_MAX_INSNS + 1);
		if (!len) {
			ok(0, "block %u generated", i);
			return;
		}
		undef = gi[n].undef_flags;
		memcpy(d0, data, DATA_LEN);
		rn = r0;
		bt_run(&rn, orig, 0);
		memcpy(dn, data, DATA_LEN);

		t0 = now_us();
		if (kbt_translate(&cfg, orig, len - BT_GEN_TRAILER_LEN,
				  (uint64_t)orig, trans, CODE_CAP,
				  (uint64_t)trans, &blk)) {
			ok(0, "block %u translated", i);
			return;
		}
		t_tr += now_us() - t0;
		tlen += blk.trans_len;
		olen += len - BT_GEN_TRAILER_LEN;
		insns += blk.insns;
		stores += blk.stores;
		if (blk.stop_why != KBT_STOP_END && untrans++ < 5) {
			ZydisDisassembledInstruction di;

			ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LONG_64,
					      blk.stop_rip,
					      (void *)blk.stop_rip, 16, &di);
			printf("# block %u: translation stops (%s) at %s\n", i,
			       kbt_stop_name(blk.stop_why), di.text);
		}
		for (k = 0; k < blk.nmap; k++)
			if (kbt_orig_rip(&blk, blk.map[k].trans_rip) !=
			    blk.map[k].orig_rip)
				map_bad++;

		if (!run_translated(&r0, d0, &rn, dn, undef, 0)) {
			if (plain_bad++ < 3) {
				printf("# block %u differs (stop %s at +%lx)\n",
				       i, kbt_stop_name(blk.stop_why),
				       (unsigned long)(blk.stop_rip -
						       (uint64_t)orig));
				print_block(orig, len - BT_GEN_TRAILER_LEN);
			}
		}
		for (k = 0; k < STEP_RUNS; k++) {
			memset(&rr, 0, sizeof(rr));
			rr.lose_at = 1 + bt_gen_rand(&rng) %
					 (blk.trans_len / 5 + 1);
			rr.page = (uint64_t)data +
				  PAGE * (bt_gen_rand(&rng) % (DATA_LEN / PAGE));
			if (!run_translated(&r0, d0, &rn, dn, undef, 1) ||
			    rr.bad) {
				if (step_bad++ < 5)
					printf("# block %u step %lu: page "
					       "rebuilt %s, rolled back %d, "
					       "lost at +%lx\n", i, rr.lose_at,
					       rr.bad ? "wrong" : "right",
					       rr.rolled, (unsigned long)(rr.rip -
					       (uint64_t)trans));
				if (rr.orig)
					print_block((void *)rr.orig, 15);
			}
			lost += rr.lost;
			rolled += rr.rolled;
			overlaid += rr.overlaid;
		}
		kbt_block_free(&blk);
	}
	ok(untrans == 0, "every one of %d blocks translated to its end "
	   "(%lu instructions, %lu stores)", BLOCKS, insns, stores);
	ok(plain_bad == 0, "translated runs equal native, mirror equals "
	   "memory: %u of %d differ", plain_bad, BLOCKS);
	ok(map_bad == 0, "every translated instruction maps back to its "
	   "original (%lu wrong)", map_bad);
	ok(step_bad == 0, "a page lost at a random step and rebuilt from "
	   "mirror and log: %u of %d runs wrong", step_bad,
	   BLOCKS * STEP_RUNS);
	ok(overlaid > 0 && rolled > 0, "of %lu pages lost, %lu needed the "
	   "log over the mirror, %lu a rollback to the store", lost,
	   overlaid, rolled);
	printf("# translation: %.1f us per block of %.1f instructions, "
	       "%.1f bytes out per byte in\n", t_tr / BLOCKS,
	       (double)insns / BLOCKS, (double)tlen / (double)olen);
}

int main(void)
{
	setup();
	differential();
	return tap_done();
}
