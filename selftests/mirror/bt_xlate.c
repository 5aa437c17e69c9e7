// SPDX-License-Identifier: GPL-2.0
/*
 * bt_xlate: keel-bt's translator as a program, for the tests and the
 * benchmark whose VMM is statically linked (the guest test library) and
 * so cannot link Zydis: translation in a userspace helper, as
 * Documentation/bt.rst describes.
 *
 *   bt_xlate ALIAS_OFF MIRROR_OFF LOG_ADDR ORIG_RIP OUT_RIP CAP IN OUT
 *
 * translates the code in file IN, which runs at ORIG_RIP, into file OUT,
 * to run at OUT_RIP (at most CAP bytes), and prints one line:
 * "insns=N stores=N regions=N stop=WHY stop_rip=0x... len=N us=N".
 * Numbers in C notation (0x... for hexadecimal). Exit status 0, or 1
 * with the error on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bt.h"

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
	struct kbt_config cfg;
	struct timespec t0, t1;
	struct kbt_block blk;
	size_t len, cap;
	FILE *f;
	int ret;

	if (argc != 9) {
		fprintf(stderr, "usage: bt_xlate ALIAS_OFF MIRROR_OFF LOG_ADDR "
			"ORIG_RIP OUT_RIP CAP IN OUT\n");
		return 1;
	}
	cfg = (struct kbt_config){ .alias_off = (int64_t)num(argv[1]),
				   .mirror_off = (int64_t)num(argv[2]),
				   .log_addr = num(argv[3]) };
	cap = num(argv[6]);
	if (cap > sizeof(out))
		cap = sizeof(out);
	f = fopen(argv[7], "rb");
	if (!f) {
		perror(argv[7]);
		return 1;
	}
	len = fread(code, 1, sizeof(code), f);
	fclose(f);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ret = kbt_translate(&cfg, code, len, num(argv[4]), out, cap,
			    num(argv[5]), &blk);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (ret) {
		fprintf(stderr, "bt_xlate: %s\n", strerror(-ret));
		return 1;
	}
	f = fopen(argv[8], "wb");
	if (!f || fwrite(out, 1, blk.trans_len, f) != blk.trans_len ||
	    fclose(f)) {
		perror(argv[8]);
		return 1;
	}
	printf("insns=%u stores=%u regions=%u stop=%s stop_rip=%#llx len=%zu "
	       "us=%lld\n", blk.insns, blk.stores, blk.regions,
	       kbt_stop_name(blk.stop_why), (unsigned long long)blk.stop_rip,
	       blk.trans_len, (long long)((t1.tv_sec - t0.tv_sec) * 1000000 +
					 (t1.tv_nsec - t0.tv_nsec) / 1000));
	kbt_block_free(&blk);
	return 0;
}
