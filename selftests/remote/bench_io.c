// SPDX-License-Identifier: GPL-2.0
/*
 * Host side of the remote benchmark's shared parts (bench_io.h): the
 * phases, block numbers, images and their checks, the statistics.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench_io.h"

const struct bio_phase bio_phases[BIO_PHASES] = {
	{ "randread", false, 1, 0 },
	{ "randread", false, 32, 0 },
	{ "randwrite", true, 1, 1 },
	{ "randwrite", true, 32, 2 },
};

void bio_fill(void *buf, uint64_t block, uint32_t tag)
{
	uint64_t *q = buf;
	unsigned int i;

	for (i = 2; i < BIO_BLOCK / 8; i++)
		q[i] = bio_ref(i);
	bio_stamp(buf, block, tag);
}

static uint64_t bio_rand(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return *s >> 33;
}

int bio_blocks(uint32_t *out, uint32_t n, uint32_t nblocks, uint64_t seed,
	       unsigned int phase)
{
	uint32_t *perm = malloc(sizeof(*perm) * nblocks), i, j, t;
	uint64_t s = seed ^ ((uint64_t)phase << 48);

	if (!perm)
		return -ENOMEM;
	for (i = 0; i < nblocks; i++)
		perm[i] = i;
	/* the first n of a Fisher-Yates shuffle */
	for (i = 0; i < n; i++) {
		j = i + bio_rand(&s) % (nblocks - i);
		t = perm[i];
		perm[i] = perm[j];
		perm[j] = t;
		out[i] = perm[i];
	}
	free(perm);
	return 0;
}

int bio_image_write(const char *path, uint32_t nblocks)
{
	static uint64_t buf[BIO_BLOCK / 8];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	uint32_t b;

	if (fd < 0)
		return -errno;
	bio_fill(buf, 0, 0);
	for (b = 0; b < nblocks; b++) {
		bio_stamp(buf, b, 0);
		if (pwrite(fd, buf, BIO_BLOCK, (off_t)b * BIO_BLOCK) !=
		    BIO_BLOCK) {
			close(fd);
			return -EIO;
		}
	}
	return close(fd) ? -errno : 0;
}

long long bio_image_check(const char *path, uint32_t nblocks,
			  const uint8_t *tags)
{
	static uint64_t buf[BIO_BLOCK / 8];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long long bad = -1;
	uint32_t b;

	if (fd < 0)
		return -2;
	for (b = 0; b < nblocks && bad < 0; b++) {
		if (pread(fd, buf, BIO_BLOCK, (off_t)b * BIO_BLOCK) !=
		    BIO_BLOCK) {
			bad = -2;
			break;
		}
		if (!bio_check(buf, b, tags[b], true)) {
			printf("# %s: block %u is not as phase tag %u wrote it (stamp 0x%llx %llu)\n",
			       path, b, tags[b], (unsigned long long)buf[0],
			       (unsigned long long)buf[1]);
			bad = b;
		}
	}
	close(fd);
	return bad;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The @q quantile of the sorted @v, nearest rank. */
static double quantile_us(const uint64_t *v, uint32_t n, double q)
{
	return v[(uint32_t)(q * (n - 1) + 0.5)] / 1e3;
}

void bio_stats(struct bio_result *r, uint64_t *lat_ns, uint32_t n,
	       double secs)
{
	qsort(lat_ns, n, sizeof(*lat_ns), cmp_u64);
	r->iops = secs > 0 ? n / secs : 0;
	r->p50_us = quantile_us(lat_ns, n, 0.50);
	r->p99_us = quantile_us(lat_ns, n, 0.99);
}
