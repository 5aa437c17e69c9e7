// SPDX-License-Identifier: GPL-2.0
/*
 * Choosing the SQL driver from a database URL, and the row accessors
 * shared by the drivers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

struct db *db_open(const char *url, char *err, size_t len)
{
	const struct db_ops *ops;
	const char *target;
	struct db *db;

	if (!strncmp(url, "sqlite:", 7)) {
		ops = &db_sqlite_ops;
		target = url + 7;
	} else if (!strncmp(url, "postgresql://", 13) ||
		   !strncmp(url, "postgres://", 11)) {
		ops = &db_pg_ops;
		target = url;
	} else {
		snprintf(err, len,
			 "unknown database '%s' (sqlite:PATH or postgresql://...)",
			 url);
		return NULL;
	}
	if (!*target) {
		snprintf(err, len, "database '%s' names no file", url);
		return NULL;
	}
	db = calloc(1, sizeof(*db));
	if (!db) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	db->ops = ops;
	if (ops->open(db, target)) {
		snprintf(err, len, "%s: %s", ops->name, db->err);
		ops->close(db);
		free(db);
		return NULL;
	}
	return db;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	db->ops->close(db);
	free(db);
}

int64_t db_row_int(const struct db_row *r, int col)
{
	return r->db->ops->col_int(r, col);
}

const char *db_row_text(const struct db_row *r, int col)
{
	const char *s = r->db->ops->col_text(r, col);

	return s ? s : "";
}
