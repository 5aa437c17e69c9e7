/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What both sides of the remote benchmark (bench_remote.c) share: its
 * four phases, the random block numbers of a phase (the same seed gives
 * the same blocks on both), the contents of a 4 KiB block (a 16-byte
 * stamp naming the block and the phase that wrote it, then a fixed
 * reference pattern) with the check of a block read back, the initial
 * image and the check of a backing file after the writes, and IOPS and
 * latency percentiles of a phase. The stamp functions also run as guest
 * code.
 */
#ifndef REMOTE_BENCH_IO_H
#define REMOTE_BENCH_IO_H

#include <stdbool.h>
#include <stdint.h>

#define BIO_BLOCK	4096u
#define BIO_MAGIC	0x4b45454c62656e63ull	/* "KEELbenc" */
#define BIO_FULL_EVERY	16u	/* every 16th read compared whole */
#define BIO_PHASES	4

struct bio_phase {
	const char *name;
	bool write;
	uint32_t depth;
	uint32_t tag;		/* a write's stamp (the image's is 0) */
};

extern const struct bio_phase bio_phases[BIO_PHASES];

/* The stamp of block @block as @tag wrote it, into the block at @buf. */
static inline void bio_stamp(void *buf, uint64_t block, uint32_t tag)
{
	volatile uint64_t *q = buf;

	q[0] = BIO_MAGIC ^ tag;
	q[1] = block;
}

/* The reference qword @i (2 to 511) of every block. */
static inline uint64_t bio_ref(unsigned int i)
{
	uint64_t x = i * 0x9e3779b97f4a7c15ull;

	x ^= x >> 29;
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ (x >> 32);
}

/*
 * Whether the block at @buf is block @block as @tag wrote it: its stamp
 * always, the rest too when @full.
 */
static inline bool bio_check(const void *buf, uint64_t block, uint32_t tag,
			     bool full)
{
	const volatile uint64_t *q = buf;
	unsigned int i;

	if (q[0] != (BIO_MAGIC ^ tag) || q[1] != block)
		return false;
	for (i = 2; full && i < BIO_BLOCK / 8; i++)
		if (q[i] != bio_ref(i))
			return false;
	return true;
}

/* ---- host side (bench_io.c) ---- */

/* A block in @buf with the reference pattern and the stamp. */
void bio_fill(void *buf, uint64_t block, uint32_t tag);
/*
 * @n distinct random block numbers below @nblocks (n <= nblocks) for
 * phase @phase: the same for the same @seed. 0, or -ENOMEM.
 */
int bio_blocks(uint32_t *out, uint32_t n, uint32_t nblocks, uint64_t seed,
	       unsigned int phase);
/* Write the initial image (every block stamped with tag 0) to @path. */
int bio_image_write(const char *path, uint32_t nblocks);
/*
 * Check the file @path: block b as tags[b] wrote it. -1 when it is, else
 * the first bad block, with a line saying so; -2 when it cannot be read.
 */
long long bio_image_check(const char *path, uint32_t nblocks,
			  const uint8_t *tags);

struct bio_result {
	double iops, p50_us, p99_us;
	uint64_t errors;	/* requests that failed */
	uint64_t bad;		/* reads whose data was not as expected */
};

/* IOPS of @n requests in @secs and the percentiles of @lat_ns (sorted). */
void bio_stats(struct bio_result *r, uint64_t *lat_ns, uint32_t n,
	       double secs);

#endif /* REMOTE_BENCH_IO_H */
