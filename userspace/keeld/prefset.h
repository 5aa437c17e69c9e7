/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Named preference sets (appliance templates and tenant policies) as the
 * store keeps them: their names, their preferences as text (one line
 * "feature kind weight" per preference, kind a digit of enum keeld_kind)
 * and the check that a set is one the engine accepts as a source.
 */
#ifndef KEELD_PREFSET_H
#define KEELD_PREFSET_H

#include <stdbool.h>
#include <stddef.h>

#include "alloc/alloc.h"

/* One line: a feature name, a kind digit, a weight (any u32 fits). */
#define PREFSET_LINE_MAX	(KEELD_FEAT_NAME_MAX + 16)
#define PREFSET_TEXT_MAX	(KEELD_MAX_SOURCE_PREFS * PREFSET_LINE_MAX + 1)

/* A decoded set: its preferences point into @names. */
struct prefset {
	struct keeld_pref prefs[KEELD_MAX_SOURCE_PREFS];
	char names[KEELD_MAX_SOURCE_PREFS][KEELD_FEAT_NAME_MAX + 1];
	size_t n;
};

/* 1 to KEELD_PREFSET_NAME_MAX letters, digits and "_.:@+-". */
bool prefset_name_ok(const char *name);
/*
 * Check @src (feature names, kinds, weights, contradictions) as the
 * engine would as one source of a request; 0 or -EINVAL with @err.
 */
int prefset_check(const struct keeld_pref_source *src, struct keeld_err *err);
/* @out holds PREFSET_TEXT_MAX bytes. */
void prefset_encode(const struct keeld_pref *prefs, size_t n, char *out);
/* Parse stored text, validating every line; -EINVAL if damaged. */
int prefset_decode(const char *text, struct prefset *ps);

#endif /* KEELD_PREFSET_H */
