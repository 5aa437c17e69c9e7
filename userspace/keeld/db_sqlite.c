// SPDX-License-Identifier: GPL-2.0
/*
 * The SQLite driver of keeld's store: one database file in WAL mode with
 * synchronous=FULL (every commit waits for the WAL's fsync, so what keeld
 * acknowledged survives a power loss; "sqlite:PATH?synchronous=normal"
 * is the fast mode: a commit survives a crash of keeld, but the last ones
 * before a power loss may be lost), foreign keys on, a busy timeout for
 * other processes holding the write lock, and statements prepared once.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db.h"

#define SQLITE_MAX_STMTS	48

struct db_sqlite {
	sqlite3 *conn;
	sqlite3_stmt *stmt[SQLITE_MAX_STMTS];
};

static int sq_fail(struct db *db, int rc)
{
	struct db_sqlite *s = db->impl;

	snprintf(db->err, sizeof(db->err), "%s",
		 s && s->conn ? sqlite3_errmsg(s->conn) : sqlite3_errstr(rc));
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EAGAIN;
	case SQLITE_CONSTRAINT:
		return -EEXIST;
	case SQLITE_NOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static int sq_exec(struct db *db, const char *sql)
{
	struct db_sqlite *s = db->impl;
	int rc = sqlite3_exec(s->conn, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? 0 : sq_fail(db, rc);
}

/*
 * "PATH" or "PATH?synchronous=full|normal": FULL (the default) waits for
 * an fsync at every commit, so a commit also survives a power loss.
 */
static int sq_split(struct db *db, const char *target, char **path,
		    const char **sync)
{
	const char *q = strchr(target, '?');

	*sync = "FULL";
	if (q) {
		if (!strcmp(q, "?synchronous=normal"))
			*sync = "NORMAL";
		else if (strcmp(q, "?synchronous=full")) {
			snprintf(db->err, sizeof(db->err),
				 "unknown option '%s' (?synchronous=full or normal)", q);
			return -EINVAL;
		}
	}
	*path = strndup(target, q ? (size_t)(q - target) : strlen(target));
	if (!*path) {
		snprintf(db->err, sizeof(db->err), "out of memory");
		return -ENOMEM;
	}
	return 0;
}

static int sq_open(struct db *db, const char *target)
{
	struct db_sqlite *s = calloc(1, sizeof(*s));
	const char *sync;
	char pragmas[160];
	char *path;
	int rc, ret;

	if (!s) {
		snprintf(db->err, sizeof(db->err), "out of memory");
		return -ENOMEM;
	}
	db->impl = s;
	ret = sq_split(db, target, &path, &sync);
	if (ret)
		return ret;
	rc = sqlite3_open_v2(path, &s->conn, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	free(path);
	if (rc != SQLITE_OK)
		return sq_fail(db, rc);
	sqlite3_busy_timeout(s->conn, 10000);
	snprintf(pragmas, sizeof(pragmas), "PRAGMA synchronous=%s;", sync);
	ret = sq_exec(db, pragmas);
	if (ret)
		return ret;
	return sq_exec(db, "PRAGMA journal_mode=WAL;"
		       "PRAGMA foreign_keys=ON;"
		       "PRAGMA cache_size=-65536;"
		       "PRAGMA wal_autocheckpoint=8192;");
}

static void sq_close(struct db *db)
{
	struct db_sqlite *s = db->impl;
	unsigned int i;

	if (!s)
		return;
	for (i = 0; i < SQLITE_MAX_STMTS; i++)
		sqlite3_finalize(s->stmt[i]);
	sqlite3_close(s->conn);
	free(s);
	db->impl = NULL;
}

static int sq_prepare(struct db *db, unsigned int id, const char *sql)
{
	struct db_sqlite *s = db->impl;
	int rc;

	if (id >= SQLITE_MAX_STMTS || s->stmt[id]) {
		snprintf(db->err, sizeof(db->err), "bad statement slot %u", id);
		return -EINVAL;
	}
	rc = sqlite3_prepare_v3(s->conn, sql, -1, SQLITE_PREPARE_PERSISTENT,
				&s->stmt[id], NULL);
	return rc == SQLITE_OK ? 0 : sq_fail(db, rc);
}

static int sq_query(struct db *db, unsigned int id, const struct db_param *p,
		    unsigned int np, db_row_cb cb, void *data,
		    uint64_t *changes)
{
	struct db_sqlite *s = db->impl;
	struct db_row row = { .db = db };
	sqlite3_stmt *st;
	unsigned int i;
	int rc, ret = 0;

	if (id >= SQLITE_MAX_STMTS || !s->stmt[id])
		return -EINVAL;
	st = s->stmt[id];
	row.impl = st;
	for (i = 0; i < np; i++) {
		if (p[i].text)
			rc = sqlite3_bind_text(st, (int)i + 1, p[i].text, -1,
					       SQLITE_STATIC);
		else
			rc = sqlite3_bind_int64(st, (int)i + 1, p[i].i);
		if (rc != SQLITE_OK) {
			ret = sq_fail(db, rc);
			goto out;
		}
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (cb && (ret = cb(&row, data)))
			goto out;
	}
	if (rc != SQLITE_DONE) {
		ret = sq_fail(db, rc);
		goto out;
	}
	if (changes)
		*changes = (uint64_t)sqlite3_changes64(s->conn);
out:
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return ret;
}

static int64_t sq_col_int(const struct db_row *r, int col)
{
	return sqlite3_column_int64(r->impl, col);
}

static const char *sq_col_text(const struct db_row *r, int col)
{
	return (const char *)sqlite3_column_text(r->impl, col);
}

const struct db_ops db_sqlite_ops = {
	.name = "sqlite",
	.begin_sql = "BEGIN IMMEDIATE",
	.open = sq_open,
	.close = sq_close,
	.exec = sq_exec,
	.prepare = sq_prepare,
	.query = sq_query,
	.col_int = sq_col_int,
	.col_text = sq_col_text,
};
