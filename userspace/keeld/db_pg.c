// SPDX-License-Identifier: GPL-2.0
/*
 * The PostgreSQL driver of keeld's store (libpq): one connection,
 * statements prepared once on the server (the store's ?N placeholders
 * become $N), errors mapped from SQLSTATE: serialization failures and
 * deadlocks are retryable, unique violations are -EEXIST.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "db.h"

struct db_pg {
	PGconn *conn;
};

struct pg_row {
	PGresult *res;
	int row;
};

static int pg_fail(struct db *db, PGresult *res)
{
	struct db_pg *g = db->impl;
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(g->conn);
	size_t n;

	snprintf(db->err, sizeof(db->err), "%s", msg && *msg ? msg :
		 PQerrorMessage(g->conn));
	n = strlen(db->err);
	while (n && db->err[n - 1] == '\n')
		db->err[--n] = '\0';
	if (state && (!strcmp(state, "40001") || !strcmp(state, "40P01") ||
		      !strcmp(state, "55P03")))
		return -EAGAIN;
	if (state && !strcmp(state, "23505"))
		return -EEXIST;
	return -EIO;
}

static int pg_exec(struct db *db, const char *sql)
{
	struct db_pg *g = db->impl;
	PGresult *res = PQexec(g->conn, sql);
	int ret = 0;

	if (PQresultStatus(res) != PGRES_COMMAND_OK &&
	    PQresultStatus(res) != PGRES_TUPLES_OK)
		ret = pg_fail(db, res);
	PQclear(res);
	return ret;
}

static int pg_open(struct db *db, const char *url)
{
	struct db_pg *g = calloc(1, sizeof(*g));

	if (!g) {
		snprintf(db->err, sizeof(db->err), "out of memory");
		return -ENOMEM;
	}
	db->impl = g;
	g->conn = PQconnectdb(url);
	if (PQstatus(g->conn) != CONNECTION_OK)
		return pg_fail(db, NULL);
	return pg_exec(db, "SET client_min_messages = warning");
}

static void pg_close(struct db *db)
{
	struct db_pg *g = db->impl;

	if (!g)
		return;
	PQfinish(g->conn);
	free(g);
	db->impl = NULL;
}

static int pg_prepare(struct db *db, unsigned int id, const char *sql)
{
	struct db_pg *g = db->impl;
	char name[16], *text, *c;
	PGresult *res;
	int ret = 0;

	text = strdup(sql);
	if (!text)
		return -ENOMEM;
	for (c = text; *c; c++)
		if (*c == '?')
			*c = '$';
	snprintf(name, sizeof(name), "s%u", id);
	res = PQprepare(g->conn, name, text, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		ret = pg_fail(db, res);
	PQclear(res);
	free(text);
	return ret;
}

static int pg_query(struct db *db, unsigned int id, const struct db_param *p,
		    unsigned int np, db_row_cb cb, void *data,
		    uint64_t *changes)
{
	struct db_pg *g = db->impl;
	char num[DB_MAX_PARAMS][24], name[16];
	const char *vals[DB_MAX_PARAMS];
	struct pg_row pr;
	struct db_row row = { .db = db, .impl = &pr };
	ExecStatusType st;
	PGresult *res;
	unsigned int i;
	int n, ret = 0;

	if (np > DB_MAX_PARAMS)
		return -EINVAL;
	for (i = 0; i < np; i++) {
		if (p[i].text) {
			vals[i] = p[i].text;
		} else {
			snprintf(num[i], sizeof(num[i]), "%" PRId64, p[i].i);
			vals[i] = num[i];
		}
	}
	snprintf(name, sizeof(name), "s%u", id);
	res = PQexecPrepared(g->conn, name, (int)np, vals, NULL, NULL, 0);
	st = PQresultStatus(res);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		ret = pg_fail(db, res);
		goto out;
	}
	pr.res = res;
	n = PQntuples(res);
	for (pr.row = 0; cb && pr.row < n; pr.row++)
		if ((ret = cb(&row, data)))
			goto out;
	if (changes) {
		const char *t = PQcmdTuples(res);

		*changes = *t ? strtoull(t, NULL, 10) : (uint64_t)n;
	}
out:
	PQclear(res);
	return ret;
}

static int64_t pg_col_int(const struct db_row *r, int col)
{
	const struct pg_row *pr = r->impl;

	return strtoll(PQgetvalue(pr->res, pr->row, col), NULL, 10);
}

static const char *pg_col_text(const struct db_row *r, int col)
{
	const struct pg_row *pr = r->impl;

	return PQgetvalue(pr->res, pr->row, col);
}

const struct db_ops db_pg_ops = {
	.name = "postgresql",
	.begin_sql = "BEGIN",
	.open = pg_open,
	.close = pg_close,
	.exec = pg_exec,
	.prepare = pg_prepare,
	.query = pg_query,
	.col_int = pg_col_int,
	.col_text = pg_col_text,
};
