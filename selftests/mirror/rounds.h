/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's work in the tests that fail pages under it: rounds in which
 * it writes every qword of a range with the round's values and then
 * checks every one, reporting each round with its errors (GUEST_SYNC).
 */
#ifndef MIRROR_ROUNDS_H
#define MIRROR_ROUNDS_H

#include <stdint.h>

#include "keel_vm.h"

/* The value of qword @i in round @r. */
static inline uint64_t rounds_value(uint64_t r, uint64_t i)
{
	uint64_t x = (r << 32 | i) * 0x9e3779b97f4a7c15ULL;

	return x ^ x >> 29;
}

/*
 * Guest code: @rounds rounds over [base, base + len); each one ends with
 * GUEST_SYNC(round, values found wrong).
 */
static void rounds_guest(uint64_t base, uint64_t len, uint64_t rounds)
{
	volatile uint64_t *p = (volatile uint64_t *)base;
	uint64_t r, i, errors;

	for (r = 1; r <= rounds; r++) {
		for (i = 0; i < len / 8; i++)
			p[i] = rounds_value(r, i);
		for (i = 0, errors = 0; i < len / 8; i++)
			errors += p[i] != rounds_value(r, i);
		GUEST_SYNC(r, errors);
	}
}

#endif /* MIRROR_ROUNDS_H */
