// SPDX-License-Identifier: GPL-2.0
/*
 * bench-bt: what translated stores cost against the same code run as it
 * is, on this machine (no VM, no trap: the trapped rate is
 * bench_mirror's, in a guest). Three write-heavy loops, each over a
 * buffer mapped twice (the alias translated stores go through) with a
 * mirror at a fixed offset:
 *   fill   8 qword stores per iteration (a memset: the worst case, every
 *          instruction but the loop's three a store)
 *   update load, multiply-add, store, two arrays (a[i] = a[i] * k + b[i],
 *          b[i] ^= a[i]): two stores in ten instructions
 *   count  add [table + hash * 8], 1: a read-modify-write store per
 *          iteration of a hash loop
 * For each: the loop run natively, translated, translated for the
 * "flat" placement (the alias and the mirror at distances that are
 * multiples of 256 MiB, hostmem.h), and "doubled": the loop written by
 * hand with each store made a second time at the mirror, without a log
 * or an atomic region (what translating every store into two, as
 * kMemvisor does, costs at best: the floor of any mirror kept by
 * duplicated stores), alternating, REPS times; writes per second, the
 * medians, and each / native. Then the time to translate each loop
 * (decode, emit, link). The mirror is compared with the buffer after
 * every translated and doubled run. With -f the loops are translated
 * with a full log (KBT_FULL_LOG: every entry written, each store
 * published on its own, before it is made).
 *   bench-bt [-f] [-n ITERATIONS] [-r REPS]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "bt.h"
#include "hostmem.h"

#define BUF_LEN		(64 * 1024ul)
#define CACHE_LEN	(64 * 1024ul)

/*
 * The loops, in the System V ABI: fill(buf, end, passes),
 * update(a, n, passes) with b = a + n, count(table, iterations); and
 * each doubled, its mirror at buf + off, a[] + off or table + off.
 */
void bt_fill(uint64_t *buf, uint64_t *end, uint64_t passes);
void bt_fill_end(void);
void bt_update(uint64_t *a, uint64_t n, uint64_t passes);
void bt_update_end(void);
void bt_count(uint64_t *table, uint64_t iterations);
void bt_count_end(void);
void bt_fill_x2(uint64_t *buf, uint64_t *end, uint64_t passes, int64_t off);
void bt_update_x2(uint64_t *a, uint64_t n, uint64_t passes, int64_t off);
void bt_count_x2(uint64_t *table, uint64_t iterations, int64_t off);

__asm__(
	".text\n"
	".globl bt_fill, bt_fill_end\n"
	"bt_fill:\n"
	"	mov %rdi, %r8\n"
	"	mov $0x0123456789abcdef, %rax\n"
	"1:	mov %rdi, %rcx\n"
	"2:	mov %rax, (%rcx)\n"
	"	mov %rax, 8(%rcx)\n"
	"	mov %rax, 16(%rcx)\n"
	"	mov %rax, 24(%rcx)\n"
	"	mov %rax, 32(%rcx)\n"
	"	mov %rax, 40(%rcx)\n"
	"	mov %rax, 48(%rcx)\n"
	"	mov %rax, 56(%rcx)\n"
	"	add $64, %rcx\n"
	"	cmp %rsi, %rcx\n"
	"	jb 2b\n"
	"	inc %rax\n"
	"	dec %rdx\n"
	"	jnz 1b\n"
	"	ret\n"
	"bt_fill_end:\n"
	".globl bt_update, bt_update_end\n"
	"bt_update:\n"
	"	lea (%rdi,%rsi,8), %r9\n"
	"1:	xor %ecx, %ecx\n"
	"2:	mov (%rdi,%rcx,8), %rax\n"
	"	imul $3, %rax, %rax\n"
	"	add (%r9,%rcx,8), %rax\n"
	"	mov %rax, (%rdi,%rcx,8)\n"
	"	xor %rax, (%r9,%rcx,8)\n"
	"	inc %rcx\n"
	"	cmp %rsi, %rcx\n"
	"	jb 2b\n"
	"	dec %rdx\n"
	"	jnz 1b\n"
	"	ret\n"
	"bt_update_end:\n"
	".globl bt_count, bt_count_end\n"
	"bt_count:\n"
	"	mov $0x9e3779b97f4a7c15, %r8\n"
	"	xor %eax, %eax\n"
	"1:	mov %rax, %rcx\n"
	"	imul %r8, %rcx\n"
	"	shr $52, %rcx\n"
	"	addq $1, (%rdi,%rcx,8)\n"
	"	inc %rax\n"
	"	cmp %rsi, %rax\n"
	"	jb 1b\n"
	"	ret\n"
	"bt_count_end:\n"
	".globl bt_fill_x2\n"
	"bt_fill_x2:\n"
	"	mov %rcx, %r9\n"
	"	mov $0x0123456789abcdef, %rax\n"
	"1:	mov %rdi, %rcx\n"
	"2:	.irp o, 0, 8, 16, 24, 32, 40, 48, 56\n"
	"	mov %rax, \\o(%rcx)\n"
	"	.endr\n"
	"	.irp o, 0, 8, 16, 24, 32, 40, 48, 56\n"
	"	mov %rax, \\o(%rcx,%r9)\n"
	"	.endr\n"
	"	add $64, %rcx\n"
	"	cmp %rsi, %rcx\n"
	"	jb 2b\n"
	"	inc %rax\n"
	"	dec %rdx\n"
	"	jnz 1b\n"
	"	ret\n"
	".globl bt_update_x2\n"
	"bt_update_x2:\n"
	"	lea (%rdi,%rsi,8), %r9\n"
	"	lea (%rdi,%rcx), %r10\n"
	"	lea (%r9,%rcx), %r11\n"
	"1:	xor %ecx, %ecx\n"
	"2:	mov (%rdi,%rcx,8), %rax\n"
	"	imul $3, %rax, %rax\n"
	"	add (%r9,%rcx,8), %rax\n"
	"	mov %rax, (%rdi,%rcx,8)\n"
	"	mov %rax, (%r10,%rcx,8)\n"
	"	xor %rax, (%r9,%rcx,8)\n"
	"	xor %rax, (%r11,%rcx,8)\n"
	"	inc %rcx\n"
	"	cmp %rsi, %rcx\n"
	"	jb 2b\n"
	"	dec %rdx\n"
	"	jnz 1b\n"
	"	ret\n"
	".globl bt_count_x2\n"
	"bt_count_x2:\n"
	"	lea (%rdi,%rdx), %r9\n"
	"	mov $0x9e3779b97f4a7c15, %r8\n"
	"	xor %eax, %eax\n"
	"1:	mov %rax, %rcx\n"
	"	imul %r8, %rcx\n"
	"	shr $52, %rcx\n"
	"	addq $1, (%rdi,%rcx,8)\n"
	"	addq $1, (%r9,%rcx,8)\n"
	"	inc %rax\n"
	"	cmp %rsi, %rax\n"
	"	jb 1b\n"
	"	ret\n");

static struct kbt_hostmem hm;
static uint8_t *buf, *cache;
static struct keel_bt_log *logp;

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void setup(void)
{
	int ret = kbt_hostmem_init(&hm, BUF_LEN, CACHE_LEN);

	if (ret) {
		fprintf(stderr, "bench-bt: setup: %s\n", strerror(-ret));
		exit(1);
	}
	buf = hm.data;
	cache = hm.code[0];
	logp = hm.log;
}

static uint32_t xlate_flags;	/* kbt_config.flags: -f, KBT_FULL_LOG */

/* The two placements: hostmem.h's, and the flat one. */
enum { PL_COLOURED, PL_FLAT, PL_NR };

struct loop {
	const char *name;
	void *start, *end;
	unsigned int stores;	/* per iteration */
	uint8_t *trans[PL_NR];
	struct kbt_block blk[PL_NR];
};

static double translate(struct loop *l, int pl, uint8_t *at,
			unsigned int times)
{
	struct kbt_config cfg = pl == PL_FLAT ? kbt_hostmem_config_flat(&hm) :
						kbt_hostmem_config(&hm);
	size_t len = (uint8_t *)l->end - (uint8_t *)l->start;
	double t0 = now_ns();
	unsigned int i;
	int ret;

	cfg.flags = xlate_flags;
	for (i = 0; i < times; i++) {
		if (i)
			kbt_block_free(&l->blk[pl]);
		ret = kbt_translate(&cfg, l->start, len, (uint64_t)l->start,
				    at, CACHE_LEN / 4, (uint64_t)at, &l->blk[pl]);
		if (ret || l->blk[pl].stop_why != KBT_STOP_END) {
			fprintf(stderr, "bench-bt: %s: translation %s (%d)\n",
				l->name, kbt_stop_name(l->blk[pl].stop_why),
				ret);
			exit(1);
		}
	}
	l->trans[pl] = at;
	return (now_ns() - t0) / times;
}

/* How a run runs the loop. */
enum { RUN_NATIVE, RUN_TRANSLATED, RUN_DOUBLED };

/*
 * One run of the loop (natively, translated for @pl, or doubled with its
 * mirror at hostmem.h's offset): its time in ns.
 */
static double run(const struct loop *l, int how, int pl, uint64_t n)
{
	void *f = how == RUN_TRANSLATED ? (void *)l->trans[pl] : l->start;
	int64_t off = (int64_t)(hm.mirror - hm.data);
	uint64_t *b = (uint64_t *)buf;
	double t0 = now_ns();

	if (how == RUN_DOUBLED && l->start == (void *)bt_fill)
		bt_fill_x2(b, b + BUF_LEN / 8, n / (BUF_LEN / 64), off);
	else if (how == RUN_DOUBLED && l->start == (void *)bt_update)
		bt_update_x2(b, BUF_LEN / 16, n / (BUF_LEN / 16), off);
	else if (how == RUN_DOUBLED)
		bt_count_x2(b, n, off);
	else if (l->start == (void *)bt_fill)
		((void (*)(uint64_t *, uint64_t *, uint64_t))f)(
			b, b + BUF_LEN / 8, n / (BUF_LEN / 64));
	else if (l->start == (void *)bt_update)
		((void (*)(uint64_t *, uint64_t, uint64_t))f)(
			b, BUF_LEN / 16, n / (BUF_LEN / 16));
	else
		((void (*)(uint64_t *, uint64_t))f)(b, n);
	return now_ns() - t0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The median of @reps run times @t (sorted here), in ns. */
static double median(double *t, unsigned int reps)
{
	qsort(t, reps, sizeof(double), cmp_double);
	return t[reps / 2];
}

int main(int argc, char **argv)
{
	struct loop loops[] = {
		{ .name = "fill", .start = (void *)bt_fill,
		  .end = (void *)bt_fill_end, .stores = 8 },
		{ .name = "update", .start = (void *)bt_update,
		  .end = (void *)bt_update_end, .stores = 2 },
		{ .name = "count", .start = (void *)bt_count,
		  .end = (void *)bt_count_end, .stores = 1 },
	};
	uint64_t n = 1 << 24;
	unsigned int reps = 7, i, r;
	int opt, bad = 0;

	while ((opt = getopt(argc, argv, "fn:r:")) != -1) {
		if (opt == 'f')
			xlate_flags = KBT_FULL_LOG;
		else if (opt == 'n')
			n = strtoull(optarg, NULL, 0);
		else if (opt == 'r')
			reps = strtoul(optarg, NULL, 0);
		else
			return 2;
	}
	if (!n || !reps || reps > 101) {
		fprintf(stderr,
			"usage: bench-bt [-f] [-n ITERATIONS] [-r REPS]\n");
		return 2;
	}
	setup();
	printf("bench-bt: %llu iterations per run, %u runs each, "
	       "alternating native and translated%s\n",
	       (unsigned long long)n, reps,
	       xlate_flags ? " (with a full log)" : "");
	printf("%-8s %14s %14s %8s %14s %8s %14s %8s %8s %12s\n", "loop",
	       "native w/s", "translated w/s", "ratio", "flat w/s", "ratio",
	       "doubled w/s", "ratio", "bytes x", "translate us");
	for (i = 0; i < sizeof(loops) / sizeof(loops[0]); i++) {
		struct loop *l = &loops[i];
		double tn[101], tt[101], tf[101], td[101], xl_us, mn, mt, mf,
		       md, w;
		size_t olen = (uint8_t *)l->end - (uint8_t *)l->start;
		uint8_t *mirror[PL_NR] = { hm.mirror, hm.mirror_flat };
		double *t[PL_NR] = { tt, tf };
		int pl;

		xl_us = translate(l, PL_COLOURED, cache + i * (CACHE_LEN / 4),
				  1000) / 1e3;
		translate(l, PL_FLAT, hm.code[1] + i * (CACHE_LEN / 4), 1);
		for (r = 0; r < reps; r++) {
			memset(buf, 0, BUF_LEN);
			tn[r] = run(l, RUN_NATIVE, 0, n);
			for (pl = 0; pl <= PL_NR; pl++) {
				/* PL_NR: the doubled loop, hostmem.h's mirror */
				uint8_t *m = mirror[pl < PL_NR ? pl : 0];

				memset(buf, 0, BUF_LEN);
				memset(m, 0, BUF_LEN);
				if (pl < PL_NR)
					t[pl][r] = run(l, RUN_TRANSLATED, pl, n);
				else
					td[r] = run(l, RUN_DOUBLED, 0, n);
				if (memcmp(buf, m, BUF_LEN) || logp->count) {
					fprintf(stderr, "bench-bt: %s: the "
						"mirror differs from memory\n",
						l->name);
					bad = 1;
				}
			}
			printf("#  %-8s run %u: native %.3f ms, translated "
			       "%.3f ms, flat %.3f ms, doubled %.3f ms\n",
			       l->name, r, tn[r] / 1e6, tt[r] / 1e6,
			       tf[r] / 1e6, td[r] / 1e6);
		}
		mn = median(tn, reps);
		mt = median(tt, reps);
		mf = median(tf, reps);
		md = median(td, reps);
		w = (double)n * l->stores * 1e9;	/* writes, per s over ns */
		printf("%-8s %14.3e %14.3e %7.2fx %14.3e %7.2fx %14.3e %7.2fx "
		       "%7.1fx %12.1f\n",
		       l->name, w / mn, w / mt, mt / mn, w / mf, mf / mn,
		       w / md, md / mn,
		       (double)l->blk[0].trans_len / (double)olen, xl_us);
		kbt_block_free(&l->blk[PL_COLOURED]);
		kbt_block_free(&l->blk[PL_FLAT]);
	}
	printf("ratio: time / native time (median); flat: the alias and "
	       "mirror at multiples of 256 MiB; doubled: each store made again "
	       "at the mirror by hand, no log (the floor of mirroring by "
	       "duplicated stores); bytes x: translated code size / "
	       "original\n");
	return bad;
}
