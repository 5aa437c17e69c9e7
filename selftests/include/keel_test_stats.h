/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Order statistics of the benchmarks' measured runs: a qsort(3)
 * comparator of doubles, and a quantile of an array sorted in place.
 */
#ifndef KEEL_TEST_STATS_H
#define KEEL_TEST_STATS_H

#include <stdlib.h>

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The @q quantile of @v (sorted in place); 0.5: v[n / 2]. */
static inline double quantile(double *v, int n, double q)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[(int)(q * (n - 1) + 0.5)];
}

#endif /* KEEL_TEST_STATS_H */
