/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The SQL driver interface under keeld's store: just enough of a
 * database to run the store's statements (store.c) on SQLite (db_sqlite.c)
 * or PostgreSQL (db_pg.c). Statements are prepared once by number and
 * written with ?1, ?2, ... placeholders; parameters are 64-bit integers
 * or strings; rows come back through a callback.
 *
 * Functions return 0 or a negative errno: -EAGAIN for a conflict the
 * caller may retry (busy database, serialization failure, deadlock),
 * -EEXIST for a unique-key violation, -EIO for anything else, with the
 * database's message in the handle's error buffer.
 */
#ifndef KEELD_DB_H
#define KEELD_DB_H

#include <stddef.h>
#include <stdint.h>

#define DB_ERR_MAX	256
#define DB_MAX_PARAMS	8

struct db_param {
	const char *text;		/* a string, or NULL for ... */
	int64_t i;			/* ... an integer */
};

#define DB_INT(v)	((struct db_param){ .text = NULL, .i = (int64_t)(v) })
#define DB_TEXT(s)	((struct db_param){ .text = (s), .i = 0 })

struct db;

/* One result row: column values by index, valid during the callback. */
struct db_row {
	const struct db *db;
	void *impl;
};

int64_t db_row_int(const struct db_row *r, int col);
const char *db_row_text(const struct db_row *r, int col);	/* never NULL */

/* A row callback returns 0 to go on or a negative errno to stop. */
typedef int (*db_row_cb)(const struct db_row *row, void *data);

struct db_ops {
	const char *name;
	const char *begin_sql;		/* "BEGIN IMMEDIATE", "BEGIN" */
	int (*open)(struct db *db, const char *target);
	void (*close)(struct db *db);
	int (*exec)(struct db *db, const char *sql);
	int (*prepare)(struct db *db, unsigned int id, const char *sql);
	int (*query)(struct db *db, unsigned int id, const struct db_param *p,
		     unsigned int np, db_row_cb cb, void *data,
		     uint64_t *changes);
	int64_t (*col_int)(const struct db_row *r, int col);
	const char *(*col_text)(const struct db_row *r, int col);
};

struct db {
	const struct db_ops *ops;
	void *impl;
	char err[DB_ERR_MAX];
};

extern const struct db_ops db_sqlite_ops;
extern const struct db_ops db_pg_ops;

/*
 * Open "sqlite:PATH" or "postgresql://..." / "postgres://..." (a libpq
 * connection URI). Returns NULL with a message in @err on failure.
 */
struct db *db_open(const char *url, char *err, size_t len);
void db_close(struct db *db);

static inline int db_exec(struct db *db, const char *sql)
{
	return db->ops->exec(db, sql);
}

static inline int db_query(struct db *db, unsigned int id,
			   const struct db_param *p, unsigned int np,
			   db_row_cb cb, void *data, uint64_t *changes)
{
	return db->ops->query(db, id, p, np, cb, data, changes);
}

#endif /* KEELD_DB_H */
