// SPDX-License-Identifier: GPL-2.0
/*
 * bt_xlate: keel-bt's translator as a program, for the tests and the
 * benchmark whose VMM is statically linked (the guest test library) and
 * so cannot link Zydis: translation in a userspace helper, as
 * Documentation/bt.rst describes.
 *
 *   bt_xlate [-c COUNT_ADDR] [-l HOT_RIP] [-w WINDOWS] [-m MAP] ALIAS_OFF
 *            MIRROR_OFF LOG_ADDR ORIG_RIP OUT_RIP CAP IN OUT
 *
 * translates the code in file IN, which runs at ORIG_RIP, into file OUT,
 * to run at OUT_RIP (at most CAP bytes), and prints one line:
 * "insns=N stores=N regions=N stop=WHY stop_rip=0x... len=N us=N
 * head=0x... end=0x...". With -l, IN is a window of code around HOT_RIP
 * and what is translated is the loop around it (kbt_find_loop()): head
 * and end are that loop's, where the entry jump goes and where the
 * translation covers up to (the stop, if it stopped before the loop's
 * end). With -c, each commit adds its stores to the u64 at COUNT_ADDR.
 * With -w, the translation's window table goes to file WINDOWS as an
 * array of struct kbt_window, for a VMM's recovery (kbt_rollback()).
 * With -m, the translation's map goes to file MAP as an array of struct
 * kbt_map, for a VMM that turns a fault in it into the original
 * instruction's (kbt_fault()).
 * Numbers in C notation (0x... for hexadecimal). Exit status 0, or 1
 * with the error on stderr.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bt.h"

/* @n elements of @size bytes at @p into the file @path. */
static int put_file(const char *path, const void *p, size_t size, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(p, size, n, f) != n || fclose(f)) {
		perror(path);
		return -1;
	}
	return 0;
}

static uint64_t num(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || *end || end == s) {
		fprintf(stderr, "bt_xlate: not a number: %s\n", s);
		exit(1);
	}
	return v;
}

int main(int argc, char **argv)
{
	static uint8_t code[1 << 20], out[1 << 20];
	struct kbt_config cfg = { 0 };
	struct timespec t0, t1;
	struct kbt_loop lp = { 0 };
	struct kbt_block blk;
	uint64_t base, hot = 0;
	const char *windows = NULL, *map = NULL;
	const uint8_t *from;
	bool loop = false;
	size_t len, cap;
	char **a;
	FILE *f;
	int ret, c;

	while ((c = getopt(argc, argv, "Fc:l:w:m:")) != -1) {
		if (c == 'F') {
			cfg.flags |= KBT_FULL_LOG;
		} else if (c == 'c') {
			cfg.count_addr = num(optarg);
		} else if (c == 'w') {
			windows = optarg;
		} else if (c == 'm') {
			map = optarg;
		} else if (c == 'l') {
			hot = num(optarg);
			loop = true;
		} else {
			return 1;
		}
	}
	if (argc - optind != 8) {
		fprintf(stderr, "usage: bt_xlate [-F] [-c COUNT_ADDR] [-l HOT_RIP] "
			"[-w WINDOWS] [-m MAP] ALIAS_OFF MIRROR_OFF LOG_ADDR "
			"ORIG_RIP OUT_RIP CAP IN OUT\n");
		return 1;
	}
	a = argv + optind - 1;
	cfg.alias_off = (int64_t)num(a[1]);
	cfg.mirror_off = (int64_t)num(a[2]);
	cfg.log_addr = num(a[3]);
	base = num(a[4]);
	cap = num(a[6]);
	if (cap > sizeof(out))
		cap = sizeof(out);
	f = fopen(a[7], "rb");
	if (!f) {
		perror(a[7]);
		return 1;
	}
	len = fread(code, 1, sizeof(code), f);
	fclose(f);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	from = code;
	if (loop) {
		ret = kbt_find_loop(code, len, base, hot, &lp);
		if (ret) {
			fprintf(stderr, "bt_xlate: no loop around %#llx: %s\n",
				(unsigned long long)hot, strerror(-ret));
			return 1;
		}
		from = code + (lp.head - base);
		len = lp.end - lp.head;
		base = lp.head;
	}
	ret = kbt_translate(&cfg, from, len, base, out, cap, num(a[5]), &blk);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret) {
		fprintf(stderr, "bt_xlate: %s\n", strerror(-ret));
		return 1;
	}
	if (put_file(a[8], out, 1, blk.trans_len) ||
	    (windows && put_file(windows, blk.windows, sizeof(*blk.windows),
				 blk.nwindows)) ||
	    (map && put_file(map, blk.map, sizeof(*blk.map), blk.nmap)))
		return 1;
	printf("insns=%u stores=%u regions=%u stop=%s stop_rip=%#llx len=%zu "
	       "us=%lld head=%#llx end=%#llx\n", blk.insns, blk.stores,
	       blk.regions, kbt_stop_name(blk.stop_why),
	       (unsigned long long)blk.stop_rip, blk.trans_len,
	       (long long)((t1.tv_sec - t0.tv_sec) * 1000000 +
			   (t1.tv_nsec - t0.tv_nsec) / 1000),
	       (unsigned long long)base, (unsigned long long)blk.stop_rip);
	kbt_block_free(&blk);
	return 0;
}
