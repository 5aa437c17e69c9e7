/* SPDX-License-Identifier: GPL-2.0 */
/*
 * keeld's store: the resource database that is the source of truth for
 * hosts, their capacity and usage per dimension, their generations and
 * the allocations of virtual appliance services. One implementation
 * (store.c) over the SQL drivers of db.h, so SQLite and PostgreSQL run
 * the same statements.
 *
 * Every change is one database transaction: an allocation commits only
 * if the host's generation is still the one the decision saw (so several
 * keelds on one database never allocate the same capacity twice), and a
 * process killed in the middle leaves either all of it or nothing.
 *
 * Functions return 0 or a negative errno; store_error() has the reason.
 */
#ifndef KEELD_STORE_H
#define KEELD_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "alloc/alloc.h"

#define STORE_MAX_RES		(3 + KEELD_MAX_HPSIZES + KEELD_MAX_ACC_TYPES)
#define STORE_SERVICE_MAX	63
/* Amounts are stored as signed 64-bit integers. */
#define STORE_AMOUNT_MAX	((uint64_t)INT64_MAX)

struct store_res {
	char dim[KEELD_DIM_KEY_MAX];	/* "vcpus", "hp:2097152", "acc:gpu" */
	uint64_t amount;		/* capacity, or what an allocation holds */
	uint64_t used;			/* hosts only */
};

struct store_host {
	uint32_t id;
	uint64_t generation;
	uint32_t nallocs;
	struct store_res res[STORE_MAX_RES];
	unsigned int nres;
	const char *features;		/* names separated by one space */
};

struct store_alloc {
	uint64_t id;
	uint32_t host_id;
	uint64_t created;		/* unix seconds */
	char service[STORE_SERVICE_MAX + 1];
	struct store_res res[STORE_MAX_RES];
	unsigned int nres;
};

struct store;

/* "sqlite:PATH" or a postgresql:// URI; creates the schema if missing. */
struct store *store_open(const char *url, char *err, size_t len);
void store_close(struct store *s);
const char *store_error(const struct store *s);
const char *store_backend(const struct store *s);

typedef int (*store_host_cb)(const struct store_host *h, void *data);
typedef int (*store_alloc_cb)(const struct store_alloc *a, void *data);

/* Every host in id order (@id < 0), or host @id only (-ENOENT if none). */
int store_hosts(struct store *s, int64_t id, store_host_cb cb, void *data);
/*
 * Whether another process may have changed the database since the last
 * call (always true on PostgreSQL; SQLite knows).
 */
bool store_changed(struct store *s);
typedef int (*store_gen_cb)(uint32_t id, uint64_t generation, void *data);
/* Every host's id and generation, in id order. */
int store_generations(struct store *s, store_gen_cb cb, void *data);
/* -EEXIST if the id is taken. The host starts at generation 1. */
int store_host_add(struct store *s, const struct store_host *h);
/*
 * Replace host @h->id's features and capacities (its generation moves
 * on). -ENOENT, or -EBUSY when a capacity would fall below its usage.
 */
int store_host_update(struct store *s, const struct store_host *h);
/* -ENOENT, or -EBUSY while the host holds allocations. */
int store_host_del(struct store *s, uint32_t id);
/*
 * Charge @res to host @host_id if its generation is still @generation,
 * then record the allocation; fills @out (id, created, the new
 * generation in *@new_gen). -ESTALE when the host moved on or lacks room.
 */
int store_alloc(struct store *s, uint32_t host_id, uint64_t generation,
		const char *service, const struct store_res *res,
		unsigned int nres, struct store_alloc *out, uint64_t *new_gen);
/* Release allocation @id; *@host_id is where it was. -ENOENT if none. */
int store_free(struct store *s, uint64_t id, uint32_t *host_id);
/* Every allocation in id order (@id == 0), or allocation @id only. */
int store_allocs(struct store *s, uint64_t id, store_alloc_cb cb, void *data);
/*
 * Named preference sets (appliance templates, tenant policies): @kind
 * is the source (KEELD_SRC_TEMPLATE, KEELD_SRC_POLICY), @prefs their
 * text as prefset.h encodes it. Add: -EEXIST if the name is taken;
 * remove and a lookup by @name: -ENOENT if there is none. With @name
 * NULL, store_prefsets() lists every set of @kind in name order.
 */
typedef int (*store_prefset_cb)(int kind, const char *name, const char *prefs,
				void *data);
int store_prefset_add(struct store *s, int kind, const char *name,
		      const char *prefs);
int store_prefset_del(struct store *s, int kind, const char *name);
int store_prefsets(struct store *s, int kind, const char *name,
		   store_prefset_cb cb, void *data);

/*
 * Group commit: between store_batch_begin() and store_batch_commit()
 * every change (store_alloc, store_free, ...) runs in a savepoint of one
 * transaction, so a change that fails is undone alone and the others
 * stay; the commit makes all of them durable at once, or, when it fails,
 * none (the batch is rolled back). Nothing of a batch may be reported as
 * done before store_batch_commit() returned 0. Only where several
 * writers cannot deadlock on the batch's locks: SQLite, whose write lock
 * is one for the whole database (store_can_batch()).
 */
bool store_can_batch(const struct store *s);
int store_batch_begin(struct store *s);
int store_batch_commit(struct store *s);
void store_batch_abort(struct store *s);

/*
 * Check the database's pages (SQLite's integrity_check) and the
 * invariants: every host's usage is the sum of its allocations and
 * within capacity, no allocation without resources.
 * Prints each problem to @f; returns how many were found (or -errno).
 */
int store_check(struct store *s, FILE *f);

#endif /* KEELD_STORE_H */
