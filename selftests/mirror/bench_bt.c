// SPDX-License-Identifier: GPL-2.0
/*
 * bench_bt: a guest's write loop (bt_vm.h's bt_fill, eight qword stores
 * an iteration over 64 KiB) in one guest, three ways, alternating, REPS
 * runs each:
 *   unprotected  over memory no range covers (no exit: the baseline)
 *   trapped      over a protected range: every store exits, KVM emulates
 *                it, keel_mirror copies it to the mirror
 *   translated   over the same range, the loop translated by keel-bt and
 *                its entry patched: stores through the alias and the
 *                mirror window, no exit
 *   full log     the same translated with a full log (bt_xlate -F), the
 *                one keel_mirror's own repair reads: every entry written,
 *                each store published before it is made
 *   doubled      the loop written with each store made again (bt_fill.h's
 *                bt_fill_x2) over the alias and the mirror window: no
 *                log, no atomic region, the floor of any mirror kept by
 *                duplicated stores
 * Prints each run, the medians in stores per second, translated against
 * trapped (the goal: at least 10x) and against unprotected (the goal: at
 * most 1.5x the time), the floor against unprotected, and the
 * translation's own time (bt_xlate). The mirror is compared with the
 * guest's memory after every translated and doubled run.
 * Not a test (no TAP): run it with
 *   make bench SUITE=bt     or
 *   selftests/vm/vmtest.sh MODE=bench BENCH=mirror/bench_bt \
 *           [BENCH_ARGS="-p PASSES -t TRAPPED_PASSES -r REPS"]
 * Under the nested TCG VM of the harness absolute times mean little; the
 * ratios do.
 */
#include "bt_vm.h"
#include "keel_test_stats.h"

static void die(const char *what, int err)
{
	fprintf(stderr, "bench_bt: %s: %s\n", what, strerror(err));
	exit(1);
}

int main(int argc, char **argv)
{
	double tu[101], tt[101], tx[101], tf[101], td[101], su, st, sx, sf, sd;
	unsigned int passes = 200, tpasses = 1, reps = 5, r;
	uint64_t per_pass = BT_RANGE_LEN / 8, first;
	struct bt_vm b;
	int opt, ret, bad = 0;
	long diff;

	while ((opt = getopt(argc, argv, "p:t:r:")) != -1) {
		if (opt == 'p')
			passes = strtoul(optarg, NULL, 0);
		else if (opt == 't')
			tpasses = strtoul(optarg, NULL, 0);
		else if (opt == 'r')
			reps = strtoul(optarg, NULL, 0);
		else
			return 2;
	}
	if (!passes || !tpasses || !reps || reps > 101) {
		fprintf(stderr, "usage: bench_bt [-p PASSES] [-t TRAPPED_PASSES] "
			"[-r REPS]\n");
		return 2;
	}
	ret = bt_vm_setup(&b);
	if (ret)
		die("setup", -ret);
	/* the full log's translation in slot 1, then the usual one in 0 */
	b.full_log = true;
	ret = bt_vm_xlate(&b, 1, (uintptr_t)bt_fill,
			  (uintptr_t)bt_fill_end - (uintptr_t)bt_fill, 0, false);
	b.full_log = false;
	if (ret) {
		fprintf(stderr, "bench_bt: bt_xlate -F: %s %s\n",
			strerror(-ret), b.stats);
		return 1;
	}
	printf("translation with a full log: %s", b.stats);
	ret = bt_vm_translate(&b);
	if (ret) {
		fprintf(stderr, "bench_bt: bt_xlate: %s %s\n", strerror(-ret),
			b.stats);
		return 1;
	}
	printf("bench_bt: %llu stores a pass; %u passes unprotected and "
	       "translated, %u trapped; %u runs each, alternating\n",
	       (unsigned long long)per_pass, passes, tpasses, reps);
	printf("translation: %s", b.stats);
	for (r = 0; r < reps; r++) {
		tu[r] = bt_vm_round(&b, passes, r, true);
		tt[r] = bt_vm_round(&b, tpasses, r, false);
		if (bt_vm_patch(&b))
			die("patch", EINVAL);
		tx[r] = bt_vm_round(&b, passes, r, false);
		if (bt_vm_unpatch(&b))
			die("unpatch", EINVAL);
		diff = mirror_diff(b.mfd, b.gpa, b.mem, BT_RANGE_LEN, &first);
		if (bt_vm_patch_slot(&b, 1))
			die("patch -F", EINVAL);
		tf[r] = bt_vm_round(&b, passes, r + 2, false);
		if (bt_vm_unpatch_slot(&b, 1))
			die("unpatch -F", EINVAL);
		diff += mirror_diff(b.mfd, b.gpa, b.mem, BT_RANGE_LEN, &first);
		td[r] = bt_vm_round_doubled(&b, passes, r + 1);
		if (tu[r] < 0 || tt[r] < 0 || tx[r] < 0 || tf[r] < 0 ||
		    td[r] < 0)
			die("guest", EIO);
		diff += mirror_diff(b.mfd, b.gpa, b.mem, BT_RANGE_LEN, &first);
		if (diff || b.log->count) {
			fprintf(stderr, "bench_bt: run %u: the mirror differs "
				"in %ld bytes\n", r, diff);
			bad = 1;
		}
		printf("run %u: unprotected %.6f s, trapped %.6f s, "
		       "translated %.6f s, full log %.6f s, doubled %.6f s\n",
		       r, tu[r], tt[r], tx[r], tf[r], td[r]);
	}
	su = (double)passes * per_pass / quantile(tu, reps, 0.5);
	st = (double)tpasses * per_pass / quantile(tt, reps, 0.5);
	sx = (double)passes * per_pass / quantile(tx, reps, 0.5);
	sf = (double)passes * per_pass / quantile(tf, reps, 0.5);
	sd = (double)passes * per_pass / quantile(td, reps, 0.5);
	printf("stores/s (median): unprotected %.4g, trapped %.4g, "
	       "translated %.4g, full log %.4g, doubled %.4g\n", su, st, sx,
	       sf, sd);
	printf("translated / trapped rate: %.1fx (goal >= 10x)\n", sx / st);
	printf("translated time / unprotected time: %.2fx (goal <= 1.5x)\n",
	       su / sx);
	printf("doubled time / unprotected time: %.2fx (the floor of "
	       "duplicated stores)\n", su / sd);
	printf("translated time / doubled time: %.2fx\n", sd / sx);
	printf("full log: / trapped rate %.1fx, time / unprotected %.2fx, "
	       "time / translated %.2fx\n", sf / st, su / sf, sx / sf);
	printf("trapped time / unprotected time: %.0fx\n", su / st);
	bt_vm_free(&b);
	return bad;
}
