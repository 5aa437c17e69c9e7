// SPDX-License-Identifier: GPL-2.0
/*
 * String interning: feature names and accelerator types become small
 * dense ids, so a host's features fit a bitset and pruning compares bits,
 * not strings. Open addressing with FNV-1a; entries are never removed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

static uint32_t hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

int strtab_init(struct keeld_strtab *t, uint32_t max)
{
	uint32_t i;

	memset(t, 0, sizeof(*t));
	t->max = max;
	t->nslots = 8;
	while (t->nslots < 2 * max + 1)
		t->nslots *= 2;
	t->name = calloc(max, sizeof(*t->name));
	t->slot = malloc(t->nslots * sizeof(*t->slot));
	if (!t->name || !t->slot) {
		strtab_fini(t);
		return -ENOMEM;
	}
	for (i = 0; i < t->nslots; i++)
		t->slot[i] = -1;
	return 0;
}

void strtab_fini(struct keeld_strtab *t)
{
	uint32_t i;

	if (t->name)
		for (i = 0; i < t->n; i++)
			free(t->name[i]);
	free(t->name);
	free(t->slot);
	memset(t, 0, sizeof(*t));
}

static uint32_t probe(const struct keeld_strtab *t, const char *s)
{
	uint32_t i = hash(s) & (t->nslots - 1);

	while (t->slot[i] >= 0 && strcmp(t->name[t->slot[i]], s))
		i = (i + 1) & (t->nslots - 1);
	return i;
}

int strtab_find(const struct keeld_strtab *t, const char *s)
{
	return t->slot[probe(t, s)];
}

int strtab_intern(struct keeld_strtab *t, const char *s)
{
	uint32_t i = probe(t, s);

	if (t->slot[i] >= 0)
		return t->slot[i];
	if (t->n >= t->max)
		return -E2BIG;
	t->name[t->n] = strdup(s);
	if (!t->name[t->n])
		return -ENOMEM;
	t->slot[i] = (int32_t)t->n;
	return (int)t->n++;
}
