// SPDX-License-Identifier: GPL-2.0
/*
 * A map from nonzero 64-bit ids to 32-bit indexes: linear probing,
 * doubling at half load, backward-shift deletion (no tombstones).
 */
#include <errno.h>
#include <stdlib.h>

#include "internal.h"

static size_t slot_of(uint64_t key, size_t nslots)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return (size_t)key & (nslots - 1);
}

void idmap_fini(struct keeld_idmap *m)
{
	free(m->key);
	free(m->val);
	m->key = NULL;
	m->val = NULL;
	m->nslots = m->n = 0;
}

bool idmap_get(const struct keeld_idmap *m, uint64_t key, uint32_t *val)
{
	size_t i;

	if (!m->nslots || !key)
		return false;
	for (i = slot_of(key, m->nslots); m->key[i]; i = (i + 1) & (m->nslots - 1))
		if (m->key[i] == key) {
			*val = m->val[i];
			return true;
		}
	return false;
}

static void insert(struct keeld_idmap *m, uint64_t key, uint32_t val)
{
	size_t i = slot_of(key, m->nslots);

	while (m->key[i] && m->key[i] != key)
		i = (i + 1) & (m->nslots - 1);
	if (!m->key[i])
		m->n++;
	m->key[i] = key;
	m->val[i] = val;
}

static int grow(struct keeld_idmap *m)
{
	struct keeld_idmap old = *m;
	size_t i, n = m->nslots ? m->nslots * 2 : 64;

	m->key = calloc(n, sizeof(*m->key));
	m->val = calloc(n, sizeof(*m->val));
	if (!m->key || !m->val) {
		free(m->key);
		free(m->val);
		*m = old;
		return -ENOMEM;
	}
	m->nslots = n;
	m->n = 0;
	for (i = 0; i < old.nslots; i++)
		if (old.key[i])
			insert(m, old.key[i], old.val[i]);
	idmap_fini(&old);
	return 0;
}

int idmap_put(struct keeld_idmap *m, uint64_t key, uint32_t val)
{
	int ret;

	size_t i;

	if (!key)
		return -EINVAL;
	/* Updating a present key never grows the table. */
	for (i = m->nslots ? slot_of(key, m->nslots) : 0; m->nslots && m->key[i];
	     i = (i + 1) & (m->nslots - 1))
		if (m->key[i] == key) {
			m->val[i] = val;
			return 0;
		}
	if (2 * (m->n + 1) > m->nslots) {
		ret = grow(m);
		if (ret)
			return ret;
	}
	insert(m, key, val);
	return 0;
}

void idmap_del(struct keeld_idmap *m, uint64_t key)
{
	size_t mask = m->nslots - 1, i, j, home;

	if (!m->nslots || !key)
		return;
	for (i = slot_of(key, m->nslots); m->key[i] != key; i = (i + 1) & mask)
		if (!m->key[i])
			return;
	/* Shift later members of the cluster back over the hole. */
	for (j = (i + 1) & mask; m->key[j]; j = (j + 1) & mask) {
		home = slot_of(m->key[j], m->nslots);
		if (((j - home) & mask) >= ((j - i) & mask)) {
			m->key[i] = m->key[j];
			m->val[i] = m->val[j];
			i = j;
		}
	}
	m->key[i] = 0;
	m->n--;
}
