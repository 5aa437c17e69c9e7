/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What keeld's benchmarks share: a seeded xorshift generator, a monotonic
 * clock in nanoseconds and the comparison for sorting latencies.
 */
#ifndef KEELD_BENCH_UTIL_H
#define KEELD_BENCH_UTIL_H

#include <stdint.h>
#include <time.h>

/* A number below @n from the generator whose state is *@s (not 0). */
static inline uint32_t bench_rnd(uint64_t *s, uint32_t n)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s % n);
}

static inline uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* qsort() comparison of uint64_t values, ascending. */
static inline int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

#endif /* KEELD_BENCH_UTIL_H */
