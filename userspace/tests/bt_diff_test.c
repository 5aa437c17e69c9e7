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
 * run must end as the native one did. Then each block runs natively and
 * translated with a random page of guest memory (and of its alias) made
 * inaccessible: the page fault the translated code takes, passed to
 * kbt_fault(), must become the native run's fault at the original
 * instruction (registers, flags, memory, and the open region's published
 * stores in the mirror), from which the original code runs to the same
 * end. Also: the translator's refusals and where it leaves to the
 * original code.
 *
 * Every block is also translated with a full log (KBT_FULL_LOG) and run
 * the same ways, but for its lost page: that is rebuilt as the host
 * kernel would, without the registers, from the mirror and the log's
 * published entries alone (no kbt_log_sync(), no rollback), or refused
 * when an open entry lies on it.
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
#define STEP_RUNS_FULL	1	/* of the full log (its code is longer) */

static struct kbt_hostmem hm;
static uint8_t *data, *mirror, *orig, *trans;
static int64_t alias_off;
static struct keel_bt_log *logp;
static struct kbt_block blk;

/*
 * The log as no region leaves it open: nothing published, every entry's
 * length 0 (8 bytes, and no KEEL_BT_LEN_OPEN), which regions count on.
 */
static bool log_empty(void)
{
	unsigned int i;

	for (i = 0; i < KEEL_BT_LOG_ENTRIES; i++)
		if (logp->e[i].len)
			return false;
	return !logp->count;
}

/* the recovery run in progress, for the SIGTRAP handler */
static struct {
	unsigned long step, lose_at;
	uint64_t page;
	int lost, rolled, overlaid, synced, bad;
	/* a full log: pages refused, rebuilt ahead of the store */
	int refused, ahead;
	/* a full log: exec_rips stepped, and where its count was wrong */
	unsigned long pub_seen, pub_bad;
	uint64_t rip, orig;
} rr;

/* What a fault run found wrong (fault_run.bad). */
enum {
	FB_RET = 1 << 0,	/* kbt_fault did not return 1 */
	FB_RIP = 1 << 1,	/* not the native fault's instruction */
	FB_REGS = 1 << 2,	/* GPRs differ from the native fault's */
	FB_FLAGS = 1 << 3,	/* flags differ from the native fault's */
	FB_MEM = 1 << 4,	/* memory differs from the native fault's */
	FB_MIRROR = 1 << 5,	/* mirror differs from memory */
	FB_LOG = 1 << 6,	/* log not emptied */
	FB_MADDR = 1 << 7,	/* a mirror write outside the data */
	FB_STRAY = 1 << 8,	/* a fault outside the code run */
	FB_NOFAULT = 1 << 9,	/* the translation did not fault */
	FB_NATIVE = 1 << 10,	/* the native run with the fault ends wrong */
	FB_END = 1 << 11,	/* the resumed run ends wrong */
	FB_NBITS = 12,
};

static const char *const fb_name[FB_NBITS] = {
	"return", "rip", "registers", "flags", "memory", "mirror", "log",
	"mirror-address", "stray-fault", "no-fault", "native-end", "end",
};

enum { FR_IDLE, FR_NATIVE, FR_TRANS };

/* The fault run in progress, for the SIGSEGV handler. */
static struct {
	int phase, busy, faults, ret;
	unsigned int bad;
	uint64_t page;			/* the inaccessible page of data */
	const uint8_t *d0;		/* the run's initial memory */
	uint64_t mask;			/* flags compared */
	uint64_t log_count;		/* published entries at the fault */
	uint64_t trans_rip;		/* the translated fault's rip */
	/* the native fault */
	uint64_t rip, rflags, gpr[16];
} fr;
static uint8_t fault_mem[DATA_LEN];	/* memory at the native fault */

static const int greg[16] = {
	REG_RAX, REG_RCX, REG_RDX, REG_RBX, REG_RSP, REG_RBP, REG_RSI,
	REG_RDI, REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13,
	REG_R14, REG_R15,
};

/*
 * The entries of the open region a vCPU at @rip has written: @count, the
 * log's, unless @rip is inside a run of stores whose count the run's last
 * publishes (the window table, read here without keel-bt's lookup).
 */
static unsigned int entries_at(uint64_t rip, uint64_t count)
{
	unsigned int i;

	for (i = 0; i < blk.nwindows; i++) {
		const struct kbt_window *w = &blk.windows[i];

		if (rip >= w->exec_end && rip <= w->end)
			return rip >= w->entry_end ? w->ent_done :
						     w->ent_first;
	}
	return (unsigned int)count;
}

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
	if (entries_at(v.rip, logp->count) > logp->count)
		rr.synced++;	/* entries of a run, counted from the rip */
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

/*
 * What a full log rebuilds the lost page to: @truth, what it held, with
 * every published entry that is not open written over it in order. The
 * entries are those of the open region's stores, in the order they are
 * published: every store made since the region opened, whose entry holds
 * the bytes it left (a later store to the same bytes has a later entry),
 * so over what the page holds they change nothing; and at most one mov
 * published but not made yet (the code stands between its count and the
 * store), whose entry holds the bytes it is about to store. So this is
 * the page as the context last wrote it, or is about to with the mov it
 * stands at, which the mov then stores again. An open entry on the page
 * is refused before this is needed.
 */
static void full_want(const uint8_t *truth, uint64_t page, uint8_t *want)
{
	unsigned int i, b, len;
	uint64_t at;

	memcpy(want, truth, PAGE);
	for (i = 0; i < logp->count && i < KEEL_BT_LOG_ENTRIES; i++) {
		const struct keel_bt_log_entry *e = &logp->e[i];

		if (e->len & KEEL_BT_LEN_OPEN)
			continue;
		len = e->len && e->len < 8 ? e->len : 8;
		for (b = 0; b < len; b++) {
			at = e->addr + b - page;
			if (at < PAGE)
				want[at] = (uint8_t)(e->val >> 8 * b);
		}
	}
}

/*
 * A page lost under a full log: rebuilt as the host kernel would, from
 * the mirror and the published entries alone; the registers untouched.
 * An open entry on the page refuses the rebuild: the true bytes go back,
 * as if the failure went to the guest instead.
 */
static void lose_page_full(ucontext_t *uc)
{
	static uint8_t truth[PAGE], want[PAGE];
	uint64_t page = rr.page;

	rr.rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	memcpy(truth, (void *)page, PAGE);
	memset((void *)page, 0xa5, PAGE);
	memcpy((void *)page, (void *)(page + MIRROR_OFF), PAGE);
	rr.lost++;
	if (kbt_log_overlay(logp, page, (uint8_t *)page, PAGE)) {
		rr.refused++;
		memcpy((void *)page, truth, PAGE);
		return;
	}
	full_want(truth, page, want);
	if (memcmp((void *)(page + MIRROR_OFF), want, PAGE))
		rr.overlaid++;	/* the mirror alone would have been wrong */
	if (memcmp(want, truth, PAGE))
		rr.ahead++;	/* with a mov's bytes before it stores them */
	if (memcmp((void *)page, want, PAGE))
		rr.bad++;
}

/*
 * A full log at an instruction's exec_rip publishes exactly the region's
 * entries before it and a store's own, none of the earlier ones open.
 */
static void check_published(uint64_t rip)
{
	const struct kbt_map *m = NULL;
	unsigned int k;

	for (k = 0; k < blk.nmap && blk.map[k].trans_rip <= rip; k++)
		if (blk.map[k].exec_rip == rip)
			m = &blk.map[k];
	if (!m)
		return;
	rr.pub_seen++;
	if (logp->count != (m->open ? m->ent_first + m->nent : 0u)) {
		rr.pub_bad++;
		return;
	}
	for (k = 0; m->open && k < m->ent_first; k++)
		if (logp->e[k].len & KEEL_BT_LEN_OPEN)
			rr.pub_bad++;
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
	if (blk.full_log)
		check_published(rip);
	if (++rr.step == rr.lose_at) {
		if (blk.full_log)
			lose_page_full(uc);
		else
			lose_page(uc);
		/* the rest runs at full speed */
		uc->uc_mcontext.gregs[REG_EFL] &= ~0x100;
	}
}

/* Make page fr.page of data prot, with @alias its alias too: 0 or -1. */
static int fault_prot(int prot, bool alias)
{
	if (mprotect((void *)fr.page, PAGE, prot))
		return -1;
	return alias ? mprotect((void *)(fr.page + alias_off), PAGE, prot) : 0;
}

/* Give the page back; if that fails, die of the fault when it repeats. */
static void fault_unprotect(bool alias)
{
	if (fault_prot(PROT_READ | PROT_WRITE, alias))
		signal(SIGSEGV, SIG_DFL);
}

static bool in_fault_page(uint64_t addr)
{
	return addr - fr.page < PAGE ||
	       (fr.phase == FR_TRANS && addr - alias_off - fr.page < PAGE);
}

/* kbt_fault's mirror writes: @len bytes of @val at @addr's mirror. */
static void mirror_put(void *arg, uint64_t addr, uint64_t val, uint32_t len)
{
	(void)arg;
	if (addr < (uint64_t)data || len < 1 || len > 8 ||
	    addr + len > (uint64_t)data + DATA_LEN) {
		fr.bad |= FB_MADDR;
		return;
	}
	memcpy((void *)(addr + MIRROR_OFF), &val, len);
}

/* The native run faulted on the page: note where and what, go on. */
static void fault_native(ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	size_t off = fr.page - (uint64_t)data;
	int i;

	fr.rip = (uint64_t)g[REG_RIP];
	fr.rflags = (uint64_t)g[REG_EFL];
	for (i = 0; i < 16; i++)
		fr.gpr[i] = (uint64_t)g[greg[i]];
	if (fr.rip - (uint64_t)orig >= CODE_CAP)
		fr.bad |= FB_STRAY;
	/* nothing can have stored to the inaccessible page */
	memcpy(fault_mem, data, off);
	memcpy(fault_mem + off, fr.d0 + off, PAGE);
	memcpy(fault_mem + off + PAGE, data + off + PAGE,
	       DATA_LEN - off - PAGE);
	fault_unprotect(false);
}

/*
 * The translated run faulted on the page: make it the original's fault
 * with kbt_fault(), compare with the native fault, and go on from there
 * in the original code.
 */
static void fault_trans(ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	struct kbt_vcpu v = { .rip = (uint64_t)g[REG_RIP],
			      .rflags = (uint64_t)g[REG_EFL] };
	int i;

	fr.trans_rip = v.rip;
	if (v.rip - (uint64_t)trans >= blk.trans_len) {
		fr.bad |= FB_STRAY;
		fault_unprotect(true);
		return;
	}
	for (i = 0; i < 16; i++)
		v.gpr[i] = (uint64_t)g[greg[i]];
	fr.log_count = kbt_log_sync(&blk, logp, &v);
	fr.ret = kbt_fault(&blk, logp, &v, mirror_put, NULL);
	if (fr.ret != 1)
		fr.bad |= FB_RET;
	if (v.rip != fr.rip)
		fr.bad |= FB_RIP;
	if (memcmp(v.gpr, fr.gpr, sizeof(v.gpr)))
		fr.bad |= FB_REGS;
	if ((v.rflags ^ fr.rflags) & fr.mask)
		fr.bad |= FB_FLAGS;
	if (!log_empty())
		fr.bad |= FB_LOG;
	fault_unprotect(true);
	if (memcmp(data, fault_mem, DATA_LEN))
		fr.bad |= FB_MEM;
	if (memcmp(mirror, data, DATA_LEN))
		fr.bad |= FB_MIRROR;
	if (fr.bad) {
		/* noted; go on from the native fault rather than crash */
		v.rip = fr.rip;
		v.rflags = fr.rflags;
		memcpy(v.gpr, fr.gpr, sizeof(v.gpr));
	}
	g[REG_RIP] = (greg_t)v.rip;
	g[REG_EFL] = (greg_t)v.rflags;
	for (i = 0; i < 16; i++)
		g[greg[i]] = (greg_t)v.gpr[i];
}

/*
 * SA_NODEFER: a fault in the handler itself comes back here and, as any
 * fault that is not the run's, restores the default action and dies of
 * the fault when it repeats.
 */
static void on_segv(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	if (fr.busy || fr.phase == FR_IDLE ||
	    !in_fault_page((uint64_t)si->si_addr)) {
		signal(SIGSEGV, SIG_DFL);
		return;
	}
	fr.busy = 1;
	fr.faults++;
	if (fr.phase == FR_NATIVE)
		fault_native(ctx);
	else
		fault_trans(ctx);
	fr.busy = 0;
}

static void setup(void)
{
	static uint8_t altstack[64 * 1024];
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa = { .sa_sigaction = on_trap,
				.sa_flags = SA_SIGINFO | SA_ONSTACK };
	struct sigaction segv = { .sa_sigaction = on_segv,
				  .sa_flags = SA_SIGINFO | SA_ONSTACK |
					      SA_NODEFER };
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
	alias_off = kbt_hostmem_config(&hm).alias_off;
	if (sigaltstack(&ss, NULL) || sigaction(SIGTRAP, &sa, NULL) ||
	    sigaction(SIGSEGV, &segv, NULL)) {
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
	       !memcmp(mirror, data, DATA_LEN) && log_empty();
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

struct fault_stats {
	unsigned int faulted, untouched, bad, open, loads, stores;
	unsigned long execs, refused, outside, map_wrong;
};

/* kbt_fault's mirror writes when nothing may be written: count them. */
static void mirror_count(void *arg, uint64_t addr, uint64_t val,
			 uint32_t len)
{
	(void)addr;
	(void)val;
	(void)len;
	++*(unsigned int *)arg;
}

/*
 * The entries kbt_fault() at map entry @m mirrors from the made-up log of
 * fault_at_map(): those a vCPU there has written (the window table's); of
 * a full log, those before a store, which published its own ahead of
 * itself, and never an open one (the full log's third).
 */
static unsigned int fault_mirrored(const struct kbt_map *m, uint64_t count)
{
	uint64_t n = count;

	if (!m->open)
		return 0;
	if (!blk.full_log)
		return entries_at(m->exec_rip, count);
	if (m->nent && m->ent_first < n)
		n = m->ent_first;
	return n < 2 ? (unsigned int)n : 2;
}

/*
 * Emptied as a commit leaves it: nothing published; a full log's lengths
 * 0 (also its open one's) and its gen on.
 */
static bool fault_emptied(const struct keel_bt_log *lg,
			  const struct keel_bt_log *lz)
{
	unsigned int i;

	if (!blk.full_log)
		return !lg->count;
	for (i = 0; i < lz->count; i++)
		if (lg->e[i].len)
			return false;
	return !lg->count && lg->gen == lz->gen + 1;
}

/*
 * kbt_fault over the whole translation, with a made-up log: at each
 * instruction's exec_rip it goes to the original (the open region's
 * entries mirrored, the log emptied, the scratch registers back); at a
 * translated instruction's start that is not its exec_rip (a store's log
 * bookkeeping) it refuses with -EINVAL, outside the translation with 0,
 * both changing nothing. A full log's has an open third entry.
 */
static void fault_at_map(struct fault_stats *st)
{
	static const struct keel_bt_log lz_plain = {
		.count = 2, .scratch = { 0x5c1, 0x5c2 },
		.e = { { .addr = 0x1000, .len = 8 },
		       { .addr = 0x2000, .len = 4 } },
	};
	static const struct keel_bt_log lz_full = {
		.count = 3, .scratch = { 0x5c1, 0x5c2 }, .gen = 7,
		.e = { { .addr = 0x1000, .len = 8 },
		       { .addr = 0x2000, .len = 4 },
		       { .addr = 0x3000, .len = KEEL_BT_LEN_OPEN | 4 } },
	};
	const struct keel_bt_log *lz = blk.full_log ? &lz_full : &lz_plain;
	struct keel_bt_log lg;
	struct kbt_vcpu v0 = { .rflags = 0x202 }, v;
	uint64_t outside[2] = { blk.trans_start - 1,
				blk.trans_start + blk.trans_len };
	unsigned int k, calls;
	int i, ret;

	for (i = 0; i < 16; i++)
		v0.gpr[i] = 0x1111111111111111ull * (uint64_t)i;
	for (k = 0; k < blk.nmap; k++) {
		const struct kbt_map *m = &blk.map[k];
		struct kbt_vcpu want = v0;

		lg = *lz;
		v = v0;
		v.rip = m->exec_rip;
		calls = 0;
		ret = kbt_fault(&blk, &lg, &v, mirror_count, &calls);
		want.rip = m->orig_rip;
		if (m->open) {
			want.gpr[m->s1] = lz->scratch[0];
			if (m->s2 != KBT_NO_REG)
				want.gpr[m->s2] = lz->scratch[1];
		}
		st->execs++;
		if (ret != 1 || memcmp(&v, &want, sizeof(v)) ||
		    calls != fault_mirrored(m, lz->count) ||
		    (m->open ? !fault_emptied(&lg, lz) :
			       memcmp(&lg, lz, sizeof(lg))))
			st->map_wrong++;
		if (m->trans_rip == m->exec_rip)
			continue;
		lg = *lz;
		v = v0;
		v.rip = m->trans_rip;
		calls = 0;
		ret = kbt_fault(&blk, &lg, &v, mirror_count, &calls);
		want = v0;
		want.rip = m->trans_rip;
		st->refused++;
		if (ret != -EINVAL || memcmp(&v, &want, sizeof(v)) || calls ||
		    memcmp(&lg, lz, sizeof(lg)))
			st->map_wrong++;
	}
	for (k = 0; k < 2; k++) {
		lg = *lz;
		v = v0;
		v.rip = outside[k];
		calls = 0;
		ret = kbt_fault(&blk, &lg, &v, mirror_count, &calls);
		st->outside++;
		if (ret != 0 || v.rip != outside[k] || calls ||
		    memcmp(&lg, lz, sizeof(lg)))
			st->map_wrong++;
	}
}

/*
 * The block (gi[0..n]), natively and translated, with a random page of
 * data inaccessible until the first fault on it. The translated fault
 * must be the native one once kbt_fault() made it the original's, and
 * both runs must end as the plain native run did.
 */
static void fault_run(unsigned int i, const struct bt_regs *r0,
		      const uint8_t *d0, const struct bt_regs *rn,
		      const uint8_t *dn, uint64_t undef,
		      const struct bt_gen_insn *gi, unsigned int n,
		      uint64_t *rng, struct fault_stats *st)
{
	struct bt_regs r = *r0;
	unsigned int k, j;

	memset(&fr, 0, sizeof(fr));
	fr.page = (uint64_t)data + PAGE * (bt_gen_rand(rng) %
					   (DATA_LEN / PAGE));
	fr.d0 = d0;
	fr.mask = BT_FLAGS_ARITH & ~undef;

	memcpy(data, d0, DATA_LEN);
	if (fault_prot(PROT_NONE, false)) {
		perror("mprotect");
		exit(1);
	}
	fr.phase = FR_NATIVE;
	bt_run(&r, orig, 0);
	fr.phase = FR_IDLE;
	if (!fr.faults) {
		fault_unprotect(false);
		st->untouched++;
		return;
	}
	st->faulted++;
	if (!same_regs(&r, rn, undef) || memcmp(data, dn, DATA_LEN))
		fr.bad |= FB_NATIVE;
	for (j = 0; j < n; j++)
		if ((uint64_t)orig + gi[j].off == fr.rip)
			break;
	if (j < n && (gi[j].flags & BT_GEN_I_STORE))
		st->stores++;
	else
		st->loads++;

	r = *r0;
	memcpy(data, d0, DATA_LEN);
	memcpy(mirror, d0, DATA_LEN);
	memset(logp, 0, sizeof(*logp));
	if (fault_prot(PROT_NONE, true)) {
		perror("mprotect");
		exit(1);
	}
	fr.faults = 0;
	fr.phase = FR_TRANS;
	bt_run(&r, trans, 0);
	fr.phase = FR_IDLE;
	if (!fr.faults) {
		fault_unprotect(true);
		fr.bad |= FB_NOFAULT;
	}
	if (!same_regs(&r, rn, undef) || memcmp(data, dn, DATA_LEN) ||
	    !log_empty())
		fr.bad |= FB_END;
	if (fr.log_count)
		st->open++;
	if (!fr.bad)
		return;
	if (st->bad++ < 3) {
		printf("# block %u, page %lu: fault at +%lx, translated +%lx "
		       "(kbt_fault %d, %lu entries published) wrong:", i,
		       (unsigned long)((fr.page - (uint64_t)data) / PAGE),
		       (unsigned long)(fr.rip - (uint64_t)orig),
		       (unsigned long)(fr.trans_rip - (uint64_t)trans),
		       fr.ret, (unsigned long)fr.log_count);
		for (k = 0; k < FB_NBITS; k++)
			if (fr.bad & (1u << k))
				printf(" %s", fb_name[k]);
		printf("\n");
		if (fr.rip - (uint64_t)orig < CODE_CAP)
			print_block((void *)fr.rip, 15);
	}
}

/* One translation mode's figures over every block. */
struct mode {
	uint32_t flags;			/* kbt_config.flags */
	unsigned int step_runs;		/* recovery runs per block */
	uint64_t *srng, *frng;		/* its step and fault runs' draws */
	unsigned int plain_bad, step_bad, untrans, with_windows;
	unsigned long insns, stores, map_bad, alias_loads, reg_entries;
	unsigned long lost, rolled, overlaid, synced, refused, ahead;
	unsigned long pub_seen, pub_bad;
	struct fault_stats fs;
	double t_tr, t_fault;
	size_t tlen, olen;
};

/* A generated block, its start and the end of its native run. */
struct block {
	unsigned int i, n;
	size_t len;			/* with the trailer */
	const struct bt_regs *r0, *rn;
	const uint8_t *d0, *dn;
	uint64_t undef;
	const struct bt_gen_insn *gi;
};

static void note_stop(struct mode *md, const struct block *b)
{
	ZydisDisassembledInstruction di;

	if (blk.stop_why == KBT_STOP_END || md->untrans++ >= 5)
		return;
	ZydisDisassembleIntel(ZYDIS_MACHINE_MODE_LONG_64, blk.stop_rip,
			      (void *)blk.stop_rip, 16, &di);
	printf("# block %u%s: translation stops (%s) at %s\n", b->i,
	       md->flags ? " (full log)" : "", kbt_stop_name(blk.stop_why),
	       di.text);
}

/* The stepped runs of the block, each losing a page at a random step. */
static void step_runs(struct mode *md, const struct block *b)
{
	const char *what = md->flags ? " (full log)" : "";
	uint64_t steps = blk.trans_len / 5 + 1;
	unsigned int k;

	for (k = 0; k < md->step_runs; k++) {
		memset(&rr, 0, sizeof(rr));
		rr.lose_at = 1 + bt_gen_rand(md->srng) % steps;
		rr.page = (uint64_t)data +
			  PAGE * (bt_gen_rand(md->srng) % (DATA_LEN / PAGE));
		if ((!run_translated(b->r0, b->d0, b->rn, b->dn, b->undef, 1) ||
		     rr.bad) && md->step_bad++ < 5) {
			printf("# block %u%s step %lu: page rebuilt %s, rolled "
			       "back %d, refused %d, lost at +%lx\n", b->i,
			       what, rr.lose_at, rr.bad ? "wrong" : "right",
			       rr.rolled, rr.refused,
			       (unsigned long)(rr.rip - (uint64_t)trans));
			if (rr.orig)
				print_block((void *)rr.orig, 15);
		}
		md->lost += rr.lost;
		md->rolled += rr.rolled;
		md->overlaid += rr.overlaid;
		md->synced += rr.synced;
		md->refused += rr.refused;
		md->ahead += rr.ahead;
		md->pub_seen += rr.pub_seen;
		md->pub_bad += rr.pub_bad;
	}
}

/* The block translated in mode @md, run plainly, stepped and faulted. */
static int run_mode(struct mode *md, const struct block *b)
{
	struct kbt_config cfg = kbt_hostmem_config(&hm);
	size_t olen = b->len - BT_GEN_TRAILER_LEN;
	unsigned int k;
	double t0;

	cfg.flags = md->flags;
	t0 = now_us();
	if (kbt_translate(&cfg, orig, olen, (uint64_t)orig, trans, CODE_CAP,
			  (uint64_t)trans, &blk)) {
		ok(0, "block %u translated (flags %#x)", b->i, md->flags);
		return -1;
	}
	md->t_tr += now_us() - t0;
	md->tlen += blk.trans_len;
	md->olen += olen;
	md->insns += blk.insns;
	md->stores += blk.stores;
	md->alias_loads += blk.alias_loads;
	md->with_windows += blk.nwindows > 0;
	for (k = 0; k < blk.nwindows; k++)
		md->reg_entries += blk.windows[k].reg_entry;
	note_stop(md, b);
	for (k = 0; k < blk.nmap; k++)
		if (kbt_orig_rip(&blk, blk.map[k].trans_rip) !=
		    blk.map[k].orig_rip)
			md->map_bad++;

	if (!run_translated(b->r0, b->d0, b->rn, b->dn, b->undef, 0) &&
	    md->plain_bad++ < 3) {
		printf("# block %u%s differs (stop %s at +%lx)\n", b->i,
		       md->flags ? " (full log)" : "",
		       kbt_stop_name(blk.stop_why),
		       (unsigned long)(blk.stop_rip - (uint64_t)orig));
		print_block(orig, olen);
	}
	step_runs(md, b);
	t0 = now_us();
	fault_run(b->i, b->r0, b->d0, b->rn, b->dn, b->undef, b->gi, b->n,
		  md->frng, &md->fs);
	fault_at_map(&md->fs);
	md->t_fault += now_us() - t0;
	kbt_block_free(&blk);
	return 0;
}

static void report_faults(const struct mode *md, const char *what)
{
	const struct fault_stats *fs = &md->fs;

	ok(fs->bad == 0, "%sa fault in translated code is the original "
	   "instruction's: %u of %d blocks wrong (%u faulted, %u did not "
	   "touch the page)", what, fs->bad, BLOCKS, fs->faulted,
	   fs->untouched);
	ok(fs->open > 0, "%sof %u faults, %u in an open region with published "
	   "stores; %u at loads, %u at stores", what, fs->faulted, fs->open,
	   fs->loads, fs->stores);
	ok(fs->map_wrong == 0 && fs->refused > 0, "%skbt_fault at %lu "
	   "exec_rips goes to the original, refuses %lu other translated "
	   "addresses, ignores %lu outside: %lu wrong", what, fs->execs,
	   fs->refused, fs->outside, fs->map_wrong);
	printf("# %stranslation: %.1f us per block of %.1f instructions, "
	       "%.1f bytes out per byte in\n", what, md->t_tr / BLOCKS,
	       (double)md->insns / BLOCKS, (double)md->tlen / (double)md->olen);
	printf("# %sfault runs: %.1f us per block\n", what,
	       md->t_fault / BLOCKS);
}

static void report_plain(const struct mode *md)
{
	ok(md->untrans == 0, "every one of %d blocks translated to its end "
	   "(%lu instructions, %lu stores, %lu of them register entries, "
	   "%lu loads through the alias)", BLOCKS, md->insns, md->stores,
	   md->reg_entries, md->alias_loads);
	ok(md->plain_bad == 0, "translated runs equal native, mirror equals "
	   "memory: %u of %d differ", md->plain_bad, BLOCKS);
	ok(md->map_bad == 0, "every translated instruction maps back to its "
	   "original (%lu wrong)", md->map_bad);
	ok(md->step_bad == 0, "a page lost at a random step and rebuilt from "
	   "mirror and log: %u of %d runs wrong", md->step_bad,
	   BLOCKS * md->step_runs);
	ok(md->overlaid > 0 && md->rolled > 0 && md->synced > 0, "of %lu pages "
	   "lost, %lu needed the log over the mirror, %lu a rollback to the "
	   "store, %lu entries of a run not yet published", md->lost,
	   md->overlaid, md->rolled, md->synced);
	report_faults(md, "");
}

static void report_full(const struct mode *md)
{
	ok(md->untrans == 0 && md->with_windows == 0, "full log: every one "
	   "of %d blocks translated to its end, none with a window (%lu "
	   "instructions, %lu stores)", BLOCKS, md->insns, md->stores);
	ok(md->plain_bad == 0, "full log: translated runs equal native, "
	   "mirror equals memory, log empty: %u of %d differ", md->plain_bad,
	   BLOCKS);
	ok(md->map_bad == 0, "full log: every translated instruction maps "
	   "back to its original (%lu wrong)", md->map_bad);
	ok(md->pub_bad == 0 && md->pub_seen > 0, "full log: at each of %lu "
	   "instructions stepped the count publishes the region's entries "
	   "up to its own, none open before it: %lu wrong", md->pub_seen,
	   md->pub_bad);
	ok(md->step_bad == 0, "full log: a page lost at a random step and "
	   "rebuilt from the mirror and the published entries alone, no "
	   "registers: %u of %d runs wrong", md->step_bad,
	   BLOCKS * md->step_runs);
	ok(md->lost > 0 && md->overlaid > 0 && md->refused < md->lost,
	   "full log: of %lu pages lost, %lu needed the log over the mirror "
	   "(%lu with a mov's entry ahead of its store), %lu refused (an "
	   "open entry on the page)", md->lost, md->overlaid, md->ahead,
	   md->refused);
	report_faults(md, "full log: ");
}

static void differential(void)
{
	static uint8_t d0[DATA_LEN], dn[DATA_LEN];
	static struct bt_gen_insn gi[BT_GEN_MAX_INSNS + 1];
	struct bt_gen_layout l = { .data = data, .data_len = DATA_LEN,
				   .code_rip = (uint64_t)orig };
	uint64_t rng = 0x6b65656c2d6274ull;
	uint64_t frng = 0x6661756c74ull;	/* rng's blocks stay the same */
	/* the full log's own draws: the plain log's figures stay the same */
	uint64_t xrng = 0x66756c6c2d6c6f67ull, xfrng = 0x66756c6c2d66ull;
	static struct mode plain, full;
	struct bt_regs r0, rn;
	struct block b = { .r0 = &r0, .rn = &rn, .d0 = d0, .dn = dn,
			   .gi = gi };
	unsigned int i;

	plain = (struct mode){ .step_runs = STEP_RUNS, .srng = &rng,
			       .frng = &frng };
	full = (struct mode){ .flags = KBT_FULL_LOG,
			      .step_runs = STEP_RUNS_FULL, .srng = &xrng,
			      .frng = &xfrng };
	for (i = 0; i < BLOCKS; i++) {
		b.i = i;
		b.n = 10 + bt_gen_rand(&rng) % 50;
		bt_gen_regs(&rng, &l, &r0);
		bt_gen_data(&rng, &l);
		b.len = bt_gen_block(&rng, &l, orig, (uint64_t)orig, CODE_CAP,
				     b.n, i % 4 == 3 ? BT_GEN_LOOP : 0, gi,
				     BT_GEN_MAX_INSNS + 1);
		if (!b.len) {
			ok(0, "block %u generated", i);
			return;
		}
		b.undef = gi[b.n].undef_flags;
		memcpy(d0, data, DATA_LEN);
		rn = r0;
		bt_run(&rn, orig, 0);
		memcpy(dn, data, DATA_LEN);
		if (run_mode(&plain, &b) || run_mode(&full, &b))
			return;
	}
	report_plain(&plain);
	report_full(&full);
}

int main(void)
{
	setup();
	differential();
	return tap_done();
}
