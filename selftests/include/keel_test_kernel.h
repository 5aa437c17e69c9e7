/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Which kernel of the test matrix a test runs on, as the VM harness tells
 * it (selftests/vm/init.sh exports KEEL_KERNEL_DEBUG).
 */
#ifndef KEEL_TEST_KERNEL_H
#define KEEL_TEST_KERNEL_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* The debug kernel (KASAN, lockdep, kmemleak): KEEL_KERNEL_DEBUG=y. */
static inline bool keel_test_debug_kernel(void)
{
	const char *debug = getenv("KEEL_KERNEL_DEBUG");

	return debug && !strcmp(debug, "y");
}

#endif /* KEEL_TEST_KERNEL_H */
