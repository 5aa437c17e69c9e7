// SPDX-License-Identifier: GPL-2.0
/*
 * keeld's store over SQL: the schema, the prepared statements and the
 * transactions of every change (add and remove a host, allocate, free),
 * loading hosts and allocations, and the invariant check. The same
 * statements run on SQLite and PostgreSQL; only the schema's id column
 * and the row lock of a free differ.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "store.h"

#define STORE_RETRIES	16

enum {
	Q_HOSTS_ALL,
	Q_HOSTS_ONE,
	Q_HOST_EXISTS,
	Q_HOST_INSERT,
	Q_HOST_RES_INSERT,
	Q_HOST_NALLOCS,
	Q_HOST_RES_DEL,
	Q_HOST_DEL,
	Q_GEN_BUMP_IF,
	Q_ALLOC_INSERT,
	Q_ALLOC_RES_INSERT,
	Q_USE,
	Q_ALLOC_LOCK,
	Q_GEN_BUMP,
	Q_RELEASE,
	Q_ALLOC_RES_DEL,
	Q_ALLOC_DEL,
	Q_ALLOCS_ALL,
	Q_ALLOCS_ONE,
	Q_CHECK_PAGES,
	Q_CHECK_SUM,
	Q_CHECK_EMPTY,
	Q_CHECK_DIM,
	Q_GENS,
	Q_DATA_VERSION,
	Q_HOST_SET_FEATURES,
	Q_HOST_RES_SET_CAP,
	Q_HOST_RES_DIMS,
	Q_HOST_RES_DROP,
	Q_PREFSET_EXISTS,
	Q_PREFSET_INSERT,
	Q_PREFSET_DEL,
	Q_PREFSET_ONE,
	Q_PREFSETS_KIND,
	Q_COUNT
};

#define HOST_COLS \
	"SELECT h.id, h.generation, h.features, r.dim, r.cap, r.used, " \
	"(SELECT count(*) FROM allocs a WHERE a.host_id = h.id) " \
	"FROM hosts h JOIN host_res r ON r.host_id = h.id "
#define ALLOC_COLS \
	"SELECT a.id, a.host_id, a.service, a.created, r.dim, r.amount " \
	"FROM allocs a JOIN alloc_res r ON r.alloc_id = a.id "
#define SUM_OF(r) \
	"COALESCE((SELECT SUM(x.amount) FROM alloc_res x " \
	"WHERE x.host_id = " r ".host_id AND x.dim = " r ".dim), 0)"

static const char *const sql[Q_COUNT] = {
	[Q_HOSTS_ALL] = HOST_COLS "ORDER BY h.id, r.dim",
	[Q_HOSTS_ONE] = HOST_COLS "WHERE h.id = ?1 ORDER BY r.dim",
	[Q_HOST_EXISTS] = "SELECT 1 FROM hosts WHERE id = ?1",
	[Q_HOST_INSERT] = "INSERT INTO hosts (id, generation, features) "
			  "VALUES (?1, 1, ?2)",
	[Q_HOST_RES_INSERT] = "INSERT INTO host_res (host_id, dim, cap, used) "
			      "VALUES (?1, ?2, ?3, 0)",
	[Q_HOST_NALLOCS] = "SELECT count(*) FROM allocs WHERE host_id = ?1",
	[Q_HOST_RES_DEL] = "DELETE FROM host_res WHERE host_id = ?1",
	[Q_HOST_DEL] = "DELETE FROM hosts WHERE id = ?1",
	[Q_GEN_BUMP_IF] = "UPDATE hosts SET generation = generation + 1 "
			  "WHERE id = ?1 AND generation = ?2",
	[Q_ALLOC_INSERT] = "INSERT INTO allocs (host_id, service, created) "
			   "VALUES (?1, ?2, ?3) RETURNING id",
	[Q_ALLOC_RES_INSERT] = "INSERT INTO alloc_res (alloc_id, host_id, dim, amount) "
			       "VALUES (?1, ?2, ?3, ?4)",
	[Q_USE] = "UPDATE host_res SET used = used + ?3 "
		  "WHERE host_id = ?1 AND dim = ?2 AND used + ?3 <= cap",
	/* Q_ALLOC_LOCK differs: see lock_sql below. */
	[Q_GEN_BUMP] = "UPDATE hosts SET generation = generation + 1 WHERE id = ?1",
	[Q_RELEASE] = "UPDATE host_res SET used = used - "
		      "(SELECT x.amount FROM alloc_res x WHERE x.alloc_id = ?1 "
		      "AND x.dim = host_res.dim) "
		      "WHERE host_id = ?2 AND dim IN "
		      "(SELECT dim FROM alloc_res WHERE alloc_id = ?1)",
	[Q_ALLOC_RES_DEL] = "DELETE FROM alloc_res WHERE alloc_id = ?1",
	[Q_ALLOC_DEL] = "DELETE FROM allocs WHERE id = ?1",
	[Q_ALLOCS_ALL] = ALLOC_COLS "ORDER BY a.id, r.dim",
	[Q_ALLOCS_ONE] = ALLOC_COLS "WHERE a.id = ?1 ORDER BY r.dim",
	[Q_CHECK_SUM] = "SELECT r.host_id, r.dim, r.cap, r.used, " SUM_OF("r")
			" FROM host_res r WHERE r.used <> " SUM_OF("r")
			" OR r.used < 0 OR r.used > r.cap ORDER BY r.host_id, r.dim",
	[Q_CHECK_EMPTY] = "SELECT a.id, a.host_id FROM allocs a WHERE "
			  "(SELECT count(*) FROM alloc_res x WHERE x.alloc_id = a.id "
			  "AND x.dim IN ('vcpus', 'memory')) <> 2 ORDER BY a.id",
	[Q_CHECK_DIM] = "SELECT x.alloc_id, x.dim FROM alloc_res x WHERE NOT EXISTS "
			"(SELECT 1 FROM host_res r WHERE r.host_id = x.host_id "
			"AND r.dim = x.dim) OR x.amount <= 0 OR x.host_id <> "
			"(SELECT a.host_id FROM allocs a WHERE a.id = x.alloc_id)",
	[Q_GENS] = "SELECT id, generation FROM hosts ORDER BY id",
	[Q_HOST_SET_FEATURES] = "UPDATE hosts SET features = ?2, "
				"generation = generation + 1 WHERE id = ?1",
	[Q_HOST_RES_SET_CAP] = "UPDATE host_res SET cap = ?3 "
			       "WHERE host_id = ?1 AND dim = ?2 AND used <= ?3",
	[Q_HOST_RES_DIMS] = "SELECT dim, used, cap FROM host_res WHERE host_id = ?1",
	[Q_HOST_RES_DROP] = "DELETE FROM host_res WHERE host_id = ?1 AND dim = ?2 "
			    "AND used = 0",
	[Q_PREFSET_EXISTS] = "SELECT 1 FROM prefsets WHERE kind = ?1 AND name = ?2",
	[Q_PREFSET_INSERT] = "INSERT INTO prefsets (kind, name, prefs) VALUES (?1, ?2, ?3)",
	[Q_PREFSET_DEL] = "DELETE FROM prefsets WHERE kind = ?1 AND name = ?2",
	[Q_PREFSET_ONE] = "SELECT kind, name, prefs FROM prefsets "
			  "WHERE kind = ?1 AND name = ?2",
	[Q_PREFSETS_KIND] = "SELECT kind, name, prefs FROM prefsets WHERE kind = ?1 "
			    "ORDER BY name",
	/* Q_DATA_VERSION differs: see store_open(). */
};

static const char schema_common[] =
	"CREATE TABLE IF NOT EXISTS hosts ("
	" id BIGINT PRIMARY KEY,"
	" generation BIGINT NOT NULL,"
	" features TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS host_res ("
	" host_id BIGINT NOT NULL REFERENCES hosts (id),"
	" dim TEXT NOT NULL,"
	" cap BIGINT NOT NULL CHECK (cap > 0),"
	" used BIGINT NOT NULL CHECK (used >= 0 AND used <= cap),"
	" PRIMARY KEY (host_id, dim));";

static const char schema_sqlite[] =
	"CREATE TABLE IF NOT EXISTS allocs ("
	" id INTEGER PRIMARY KEY AUTOINCREMENT,"
	" host_id BIGINT NOT NULL REFERENCES hosts (id),"
	" service TEXT NOT NULL,"
	" created BIGINT NOT NULL);";

static const char schema_pg[] =
	"CREATE TABLE IF NOT EXISTS allocs ("
	" id BIGSERIAL PRIMARY KEY,"
	" host_id BIGINT NOT NULL REFERENCES hosts (id),"
	" service TEXT NOT NULL,"
	" created BIGINT NOT NULL);";

static const char schema_tail[] =
	"CREATE TABLE IF NOT EXISTS alloc_res ("
	" alloc_id BIGINT NOT NULL REFERENCES allocs (id),"
	" host_id BIGINT NOT NULL,"
	" dim TEXT NOT NULL,"
	" amount BIGINT NOT NULL CHECK (amount > 0),"
	" PRIMARY KEY (alloc_id, dim));"
	"CREATE INDEX IF NOT EXISTS allocs_host ON allocs (host_id);"
	"CREATE INDEX IF NOT EXISTS alloc_res_host ON alloc_res (host_id, dim);"
	"CREATE TABLE IF NOT EXISTS prefsets ("
	" kind BIGINT NOT NULL,"
	" name TEXT NOT NULL,"
	" prefs TEXT NOT NULL,"
	" PRIMARY KEY (kind, name));";

struct store {
	struct db *db;
	bool pg;
	bool batch;			/* inside store_batch_begin() */
	bool batch_broken;		/* a savepoint could not be undone */
	int64_t data_version;		/* SQLite: as last seen, -1 unknown */
};

const char *store_error(const struct store *s)
{
	return s->db->err;
}

const char *store_backend(const struct store *s)
{
	return s->db->ops->name;
}

static int schema(struct store *s)
{
	int ret, tries;

	/* Several keelds starting at once may race on CREATE in PostgreSQL. */
	for (tries = 0; tries < STORE_RETRIES; tries++) {
		ret = db_exec(s->db, s->db->ops->begin_sql);
		if (!ret)
			ret = db_exec(s->db, schema_common);
		if (!ret)
			ret = db_exec(s->db, s->pg ? schema_pg : schema_sqlite);
		if (!ret)
			ret = db_exec(s->db, schema_tail);
		if (!ret)
			ret = db_exec(s->db, "COMMIT");
		if (!ret)
			return 0;
		db_exec(s->db, "ROLLBACK");
		if (ret != -EAGAIN && ret != -EEXIST && !s->pg)
			return ret;
		nanosleep(&(struct timespec){ .tv_nsec = 20000000 }, NULL);
	}
	return ret;
}

struct store *store_open(const char *url, char *err, size_t len)
{
	struct store *s = calloc(1, sizeof(*s));
	const char *q;
	unsigned int i;

	if (!s) {
		snprintf(err, len, "out of memory");
		return NULL;
	}
	s->db = db_open(url, err, len);
	if (!s->db) {
		free(s);
		return NULL;
	}
	s->pg = s->db->ops == &db_pg_ops;
	s->data_version = -1;
	if (schema(s))
		goto fail;
	for (i = 0; i < Q_COUNT; i++) {
		q = sql[i];
		if (i == Q_ALLOC_LOCK)
			q = s->pg ? "SELECT host_id FROM allocs WHERE id = ?1 FOR UPDATE"
				  : "SELECT host_id FROM allocs WHERE id = ?1";
		/* SQLite tells whether another connection committed since. */
		if (i == Q_DATA_VERSION)
			q = s->pg ? "SELECT 0" : "PRAGMA data_version";
		/*
		 * SQLite reads every page, index and constraint; PostgreSQL
		 * has no such check built in (WAL replay at its start is its
		 * promise; amcheck is an extension): it reports "ok".
		 */
		if (i == Q_CHECK_PAGES)
			q = s->pg ? "SELECT 'ok'" : "PRAGMA integrity_check";
		if (s->db->ops->prepare(s->db, i, q))
			goto fail;
	}
	return s;
fail:
	snprintf(err, len, "%s: %s", s->db->ops->name, s->db->err);
	store_close(s);
	return NULL;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	db_close(s->db);
	free(s);
}

static int begin(struct store *s)
{
	return db_exec(s->db, s->db->ops->begin_sql);
}

static int commit(struct store *s)
{
	return db_exec(s->db, "COMMIT");
}

static void rollback(struct store *s)
{
	char keep[DB_ERR_MAX];

	memcpy(keep, s->db->err, sizeof(keep));
	db_exec(s->db, "ROLLBACK");
	memcpy(s->db->err, keep, sizeof(keep));
}

/* Sleep a little before retrying a conflict: 1..4 ms, growing. */
static void backoff(int tries)
{
	struct timespec ts = { .tv_nsec = (long)(1 + (tries & 3)) * 1000000L };

	nanosleep(&ts, NULL);
}

static int first_int_cb(const struct db_row *r, void *data)
{
	*(int64_t *)data = db_row_int(r, 0);
	return 0;
}

/* ---- loading ---- */

struct host_iter {
	struct store_host h;
	bool have;
	char *features;
	store_host_cb cb;
	void *data;
};

static int host_flush(struct host_iter *it)
{
	int ret;

	if (!it->have)
		return 0;
	it->have = false;
	it->h.features = it->features ? it->features : "";
	ret = it->cb(&it->h, it->data);
	free(it->features);
	it->features = NULL;
	return ret;
}

static int host_row_cb(const struct db_row *r, void *data)
{
	struct host_iter *it = data;
	uint32_t id = (uint32_t)db_row_int(r, 0);
	struct store_res *res;
	int ret;

	if (it->have && id != it->h.id && (ret = host_flush(it)))
		return ret;
	if (!it->have) {
		memset(&it->h, 0, sizeof(it->h));
		it->h.id = id;
		it->h.generation = (uint64_t)db_row_int(r, 1);
		it->h.nallocs = (uint32_t)db_row_int(r, 6);
		it->features = strdup(db_row_text(r, 2));
		if (!it->features)
			return -ENOMEM;
		it->have = true;
	}
	if (it->h.nres == STORE_MAX_RES)
		return -E2BIG;
	res = &it->h.res[it->h.nres++];
	snprintf(res->dim, sizeof(res->dim), "%s", db_row_text(r, 3));
	res->amount = (uint64_t)db_row_int(r, 4);
	res->used = (uint64_t)db_row_int(r, 5);
	return 0;
}

int store_hosts(struct store *s, int64_t id, store_host_cb cb, void *data)
{
	struct host_iter it = { .cb = cb, .data = data };
	struct db_param p = DB_INT(id);
	int ret;

	if (id >= 0)
		ret = db_query(s->db, Q_HOSTS_ONE, &p, 1, host_row_cb, &it, NULL);
	else
		ret = db_query(s->db, Q_HOSTS_ALL, NULL, 0, host_row_cb, &it, NULL);
	if (!ret) {
		if (id >= 0 && !it.have)
			ret = -ENOENT;
		else
			ret = host_flush(&it);
	}
	free(it.features);
	return ret;
}

struct alloc_iter {
	struct store_alloc a;
	bool have;
	store_alloc_cb cb;
	void *data;
};

static int alloc_flush(struct alloc_iter *it)
{
	if (!it->have)
		return 0;
	it->have = false;
	return it->cb(&it->a, it->data);
}

static int alloc_row_cb(const struct db_row *r, void *data)
{
	struct alloc_iter *it = data;
	uint64_t id = (uint64_t)db_row_int(r, 0);
	struct store_res *res;
	int ret;

	if (it->have && id != it->a.id && (ret = alloc_flush(it)))
		return ret;
	if (!it->have) {
		memset(&it->a, 0, sizeof(it->a));
		it->a.id = id;
		it->a.host_id = (uint32_t)db_row_int(r, 1);
		snprintf(it->a.service, sizeof(it->a.service), "%s",
			 db_row_text(r, 2));
		it->a.created = (uint64_t)db_row_int(r, 3);
		it->have = true;
	}
	if (it->a.nres == STORE_MAX_RES)
		return -E2BIG;
	res = &it->a.res[it->a.nres++];
	snprintf(res->dim, sizeof(res->dim), "%s", db_row_text(r, 4));
	res->amount = (uint64_t)db_row_int(r, 5);
	return 0;
}

int store_allocs(struct store *s, uint64_t id, store_alloc_cb cb, void *data)
{
	struct alloc_iter it = { .cb = cb, .data = data };
	struct db_param p = DB_INT(id);
	int ret;

	if (id)
		ret = db_query(s->db, Q_ALLOCS_ONE, &p, 1, alloc_row_cb, &it, NULL);
	else
		ret = db_query(s->db, Q_ALLOCS_ALL, NULL, 0, alloc_row_cb, &it, NULL);
	if (!ret) {
		if (id && !it.have)
			ret = -ENOENT;
		else
			ret = alloc_flush(&it);
	}
	return ret;
}

bool store_changed(struct store *s)
{
	int64_t v = -1;

	if (s->pg || db_query(s->db, Q_DATA_VERSION, NULL, 0, first_int_cb, &v,
			      NULL) || v < 0)
		return true;
	if (v == s->data_version)
		return false;
	s->data_version = v;
	return true;
}

struct gens_ctx {
	store_gen_cb cb;
	void *data;
};

static int gens_cb(const struct db_row *r, void *data)
{
	struct gens_ctx *g = data;

	return g->cb((uint32_t)db_row_int(r, 0), (uint64_t)db_row_int(r, 1),
		     g->data);
}

int store_generations(struct store *s, store_gen_cb cb, void *data)
{
	struct gens_ctx g = { cb, data };

	return db_query(s->db, Q_GENS, NULL, 0, gens_cb, &g, NULL);
}

/* ---- changes ---- */

static int host_add_tx(struct store *s, const struct store_host *h)
{
	struct db_param p[3];
	int64_t found = 0;
	unsigned int i;
	int ret;

	p[0] = DB_INT(h->id);
	ret = db_query(s->db, Q_HOST_EXISTS, p, 1, first_int_cb, &found, NULL);
	if (ret)
		return ret;
	if (found) {
		snprintf(s->db->err, sizeof(s->db->err), "host %u exists", h->id);
		return -EEXIST;
	}
	p[1] = DB_TEXT(h->features ? h->features : "");
	ret = db_query(s->db, Q_HOST_INSERT, p, 2, NULL, NULL, NULL);
	for (i = 0; !ret && i < h->nres; i++) {
		p[1] = DB_TEXT(h->res[i].dim);
		p[2] = DB_INT(h->res[i].amount);
		ret = db_query(s->db, Q_HOST_RES_INSERT, p, 3, NULL, NULL, NULL);
	}
	return ret;
}

struct dims_ctx {
	struct store_res res[STORE_MAX_RES];
	unsigned int n;
};

static int dims_cb(const struct db_row *r, void *data)
{
	struct dims_ctx *d = data;

	if (d->n == STORE_MAX_RES)
		return -E2BIG;
	snprintf(d->res[d->n].dim, sizeof(d->res[0].dim), "%s", db_row_text(r, 0));
	d->res[d->n].used = (uint64_t)db_row_int(r, 1);
	d->res[d->n++].amount = (uint64_t)db_row_int(r, 2);
	return 0;
}

static int host_update_tx(struct store *s, const struct store_host *h)
{
	struct dims_ctx old = { .n = 0 };
	struct db_param p[3];
	uint64_t changes = 0;
	unsigned int i, j;
	int ret;

	p[0] = DB_INT(h->id);
	p[1] = DB_TEXT(h->features ? h->features : "");
	ret = db_query(s->db, Q_HOST_SET_FEATURES, p, 2, NULL, NULL, &changes);
	if (ret)
		return ret;
	if (!changes) {
		snprintf(s->db->err, sizeof(s->db->err), "no host %u", h->id);
		return -ENOENT;
	}
	ret = db_query(s->db, Q_HOST_RES_DIMS, p, 1, dims_cb, &old, NULL);
	if (ret)
		return ret;
	for (i = 0; i < h->nres; i++) {
		for (j = 0; j < old.n && strcmp(old.res[j].dim, h->res[i].dim); j++)
			;
		p[1] = DB_TEXT(h->res[i].dim);
		p[2] = DB_INT(h->res[i].amount);
		ret = db_query(s->db, j < old.n ? Q_HOST_RES_SET_CAP : Q_HOST_RES_INSERT,
			       p, 3, NULL, NULL, &changes);
		if (ret)
			return ret;
		if (!changes) {
			snprintf(s->db->err, sizeof(s->db->err),
				 "host %u uses more %s than the new capacity", h->id,
				 h->res[i].dim);
			return -EBUSY;
		}
	}
	for (j = 0; j < old.n; j++) {
		for (i = 0; i < h->nres && strcmp(old.res[j].dim, h->res[i].dim); i++)
			;
		if (i < h->nres)
			continue;
		p[1] = DB_TEXT(old.res[j].dim);
		ret = db_query(s->db, Q_HOST_RES_DROP, p, 2, NULL, NULL, &changes);
		if (ret)
			return ret;
		if (!changes) {
			snprintf(s->db->err, sizeof(s->db->err),
				 "host %u still uses %s", h->id, old.res[j].dim);
			return -EBUSY;
		}
	}
	return 0;
}

static int host_del_tx(struct store *s, uint32_t id)
{
	struct db_param p = DB_INT(id);
	int64_t n = 0;
	uint64_t changes = 0;
	int ret;

	/* Lock the row first (an update), then look for allocations. */
	ret = db_query(s->db, Q_GEN_BUMP, &p, 1, NULL, NULL, &changes);
	if (ret)
		return ret;
	if (!changes) {
		snprintf(s->db->err, sizeof(s->db->err), "no host %u", id);
		return -ENOENT;
	}
	ret = db_query(s->db, Q_HOST_NALLOCS, &p, 1, first_int_cb, &n, NULL);
	if (ret)
		return ret;
	if (n) {
		snprintf(s->db->err, sizeof(s->db->err),
			 "host %u holds %" PRId64 " allocation%s", id, n,
			 n == 1 ? "" : "s");
		return -EBUSY;
	}
	ret = db_query(s->db, Q_HOST_RES_DEL, &p, 1, NULL, NULL, NULL);
	if (!ret)
		ret = db_query(s->db, Q_HOST_DEL, &p, 1, NULL, NULL, NULL);
	return ret;
}

static int alloc_tx(struct store *s, uint32_t host_id, uint64_t generation,
		    const char *service, const struct store_res *res,
		    unsigned int nres, struct store_alloc *out)
{
	struct db_param p[4];
	uint64_t changes = 0;
	int64_t id = 0;
	unsigned int i;
	int ret;

	p[0] = DB_INT(host_id);
	p[1] = DB_INT(generation);
	ret = db_query(s->db, Q_GEN_BUMP_IF, p, 2, NULL, NULL, &changes);
	if (ret)
		return ret;
	if (!changes) {
		snprintf(s->db->err, sizeof(s->db->err),
			 "host %u changed or is gone", host_id);
		return -ESTALE;
	}
	out->created = (uint64_t)time(NULL);
	p[1] = DB_TEXT(service);
	p[2] = DB_INT(out->created);
	ret = db_query(s->db, Q_ALLOC_INSERT, p, 3, first_int_cb, &id, NULL);
	if (ret)
		return ret;
	if (id <= 0) {
		snprintf(s->db->err, sizeof(s->db->err), "no allocation id");
		return -EIO;
	}
	for (i = 0; i < nres; i++) {
		p[0] = DB_INT(id);
		p[1] = DB_INT(host_id);
		p[2] = DB_TEXT(res[i].dim);
		p[3] = DB_INT(res[i].amount);
		ret = db_query(s->db, Q_ALLOC_RES_INSERT, p, 4, NULL, NULL, NULL);
		if (ret)
			return ret;
		p[0] = DB_INT(host_id);
		p[1] = DB_TEXT(res[i].dim);
		p[2] = DB_INT(res[i].amount);
		ret = db_query(s->db, Q_USE, p, 3, NULL, NULL, &changes);
		if (ret)
			return ret;
		if (!changes) {
			snprintf(s->db->err, sizeof(s->db->err),
				 "host %u has no room for %s", host_id, res[i].dim);
			return -ESTALE;
		}
	}
	out->id = (uint64_t)id;
	out->host_id = host_id;
	snprintf(out->service, sizeof(out->service), "%s", service);
	memcpy(out->res, res, nres * sizeof(*res));
	out->nres = nres;
	return 0;
}

static int free_tx(struct store *s, uint64_t id, uint32_t *host_id)
{
	struct db_param p[2];
	int64_t host = -1;
	int ret;

	p[0] = DB_INT(id);
	ret = db_query(s->db, Q_ALLOC_LOCK, p, 1, first_int_cb, &host, NULL);
	if (ret)
		return ret;
	if (host < 0) {
		snprintf(s->db->err, sizeof(s->db->err), "no allocation %" PRIu64, id);
		return -ENOENT;
	}
	/* The host row first, in the same lock order as an allocation. */
	p[1] = DB_INT(host);
	ret = db_query(s->db, Q_GEN_BUMP, &p[1], 1, NULL, NULL, NULL);
	if (!ret)
		ret = db_query(s->db, Q_RELEASE, p, 2, NULL, NULL, NULL);
	if (!ret)
		ret = db_query(s->db, Q_ALLOC_RES_DEL, p, 1, NULL, NULL, NULL);
	if (!ret)
		ret = db_query(s->db, Q_ALLOC_DEL, p, 1, NULL, NULL, NULL);
	*host_id = (uint32_t)host;
	return ret;
}

/* One transaction's body and its arguments. */
struct tx {
	int (*body)(struct store *s, struct tx *t);
	const struct store_host *host;
	uint32_t id;
	uint64_t generation;
	const char *service;
	const struct store_res *res;
	unsigned int nres;
	struct store_alloc *out;
	uint64_t alloc_id;
	uint32_t *host_id;
	const char *text;
};

/*
 * Inside a batch: run @t->body in a savepoint of the batch's transaction,
 * so that a failure undoes this change alone and the batch goes on.
 */
static int run_savepoint(struct store *s, struct tx *t)
{
	char keep[DB_ERR_MAX];
	int ret;

	ret = db_exec(s->db, "SAVEPOINT change");
	if (ret)
		return ret;
	ret = t->body(s, t);
	if (!ret)
		return db_exec(s->db, "RELEASE change");
	memcpy(keep, s->db->err, sizeof(keep));
	if (db_exec(s->db, "ROLLBACK TO change") ||
	    db_exec(s->db, "RELEASE change")) {
		/* The batch cannot go on safely: make its commit fail. */
		s->batch_broken = true;
	}
	memcpy(s->db->err, keep, sizeof(keep));
	return ret;
}

/* Run @t->body in one transaction, retrying conflicts; all or nothing. */
static int run_tx(struct store *s, struct tx *t)
{
	int ret, tries = 0;

	if (s->batch)
		return run_savepoint(s, t);
	for (;;) {
		ret = begin(s);
		if (!ret)
			ret = t->body(s, t);
		if (!ret)
			ret = commit(s);
		if (!ret)
			return 0;
		rollback(s);
		if (ret != -EAGAIN || ++tries == STORE_RETRIES)
			return ret;
		backoff(tries);
	}
}

static int host_add_body(struct store *s, struct tx *t)
{
	return host_add_tx(s, t->host);
}

static int host_update_body(struct store *s, struct tx *t)
{
	return host_update_tx(s, t->host);
}

static int host_del_body(struct store *s, struct tx *t)
{
	return host_del_tx(s, t->id);
}

static int alloc_body(struct store *s, struct tx *t)
{
	return alloc_tx(s, t->id, t->generation, t->service, t->res, t->nres,
			t->out);
}

static int free_body(struct store *s, struct tx *t)
{
	return free_tx(s, t->alloc_id, t->host_id);
}

int store_host_add(struct store *s, const struct store_host *h)
{
	struct tx t = { .body = host_add_body, .host = h };

	return run_tx(s, &t);
}

int store_host_update(struct store *s, const struct store_host *h)
{
	struct tx t = { .body = host_update_body, .host = h };

	return run_tx(s, &t);
}

int store_host_del(struct store *s, uint32_t id)
{
	struct tx t = { .body = host_del_body, .id = id };

	return run_tx(s, &t);
}

int store_alloc(struct store *s, uint32_t host_id, uint64_t generation,
		const char *service, const struct store_res *res,
		unsigned int nres, struct store_alloc *out, uint64_t *new_gen)
{
	struct tx t = {
		.body = alloc_body, .id = host_id, .generation = generation,
		.service = service, .res = res, .nres = nres, .out = out,
	};
	int ret = run_tx(s, &t);

	if (!ret)
		*new_gen = generation + 1;
	return ret;
}

int store_free(struct store *s, uint64_t id, uint32_t *host_id)
{
	struct tx t = { .body = free_body, .alloc_id = id, .host_id = host_id };

	return run_tx(s, &t);
}

/* ---- named preference sets ---- */

static int prefset_add_tx(struct store *s, int kind, const char *name,
			  const char *prefs)
{
	struct db_param p[3] = { DB_INT(kind), DB_TEXT(name), DB_TEXT(prefs) };
	int64_t found = 0;
	int ret;

	ret = db_query(s->db, Q_PREFSET_EXISTS, p, 2, first_int_cb, &found, NULL);
	if (ret)
		return ret;
	if (found) {
		snprintf(s->db->err, sizeof(s->db->err), "'%s' exists", name);
		return -EEXIST;
	}
	ret = db_query(s->db, Q_PREFSET_INSERT, p, 3, NULL, NULL, NULL);
	if (ret == -EEXIST)
		snprintf(s->db->err, sizeof(s->db->err), "'%s' exists", name);
	return ret;
}

static int prefset_add_body(struct store *s, struct tx *t)
{
	return prefset_add_tx(s, (int)t->id, t->service, t->text);
}

int store_prefset_add(struct store *s, int kind, const char *name,
		      const char *prefs)
{
	struct tx t = { .body = prefset_add_body, .id = (uint32_t)kind,
			.service = name, .text = prefs };

	return run_tx(s, &t);
}

static int prefset_del_body(struct store *s, struct tx *t)
{
	struct db_param p[2] = { DB_INT(t->id), DB_TEXT(t->service) };
	uint64_t changes = 0;
	int ret;

	ret = db_query(s->db, Q_PREFSET_DEL, p, 2, NULL, NULL, &changes);
	if (!ret && !changes) {
		snprintf(s->db->err, sizeof(s->db->err), "no '%s'", t->service);
		ret = -ENOENT;
	}
	return ret;
}

int store_prefset_del(struct store *s, int kind, const char *name)
{
	struct tx t = { .body = prefset_del_body, .id = (uint32_t)kind,
			.service = name };

	return run_tx(s, &t);
}

struct prefset_ctx {
	store_prefset_cb cb;
	void *data;
	bool found;
};

static int prefset_row_cb(const struct db_row *r, void *data)
{
	struct prefset_ctx *x = data;

	x->found = true;
	return x->cb((int)db_row_int(r, 0), db_row_text(r, 1), db_row_text(r, 2),
		     x->data);
}

int store_prefsets(struct store *s, int kind, const char *name,
		   store_prefset_cb cb, void *data)
{
	struct db_param p[2] = { DB_INT(kind), DB_TEXT(name ? name : "") };
	struct prefset_ctx x = { .cb = cb, .data = data };
	int ret;

	ret = db_query(s->db, name ? Q_PREFSET_ONE : Q_PREFSETS_KIND, p,
		       name ? 2 : 1, prefset_row_cb, &x, NULL);
	if (!ret && name && !x.found) {
		snprintf(s->db->err, sizeof(s->db->err), "no '%s'", name);
		ret = -ENOENT;
	}
	return ret;
}

/* ---- group commit ---- */

bool store_can_batch(const struct store *s)
{
	return !s->pg;
}

int store_batch_begin(struct store *s)
{
	int ret, tries = 0;

	if (s->batch || !store_can_batch(s)) {
		snprintf(s->db->err, sizeof(s->db->err), "no batch possible here");
		return -EINVAL;
	}
	for (;;) {
		ret = begin(s);
		if (!ret)
			break;
		rollback(s);
		if (ret != -EAGAIN || ++tries == STORE_RETRIES)
			return ret;
		backoff(tries);
	}
	s->batch = true;
	s->batch_broken = false;
	return 0;
}

int store_batch_commit(struct store *s)
{
	int ret;

	if (!s->batch)
		return -EINVAL;
	s->batch = false;
	if (s->batch_broken) {
		snprintf(s->db->err, sizeof(s->db->err),
			 "a change of the batch could not be undone");
		ret = -EIO;
	} else {
		ret = commit(s);
	}
	if (ret)
		rollback(s);
	return ret;
}

void store_batch_abort(struct store *s)
{
	if (!s->batch)
		return;
	s->batch = false;
	rollback(s);
}

/* ---- the invariant check ---- */

struct check {
	FILE *f;
	int problems;
};

static int check_pages_cb(const struct db_row *r, void *data)
{
	struct check *c = data;
	const char *what = db_row_text(r, 0);

	if (!strcmp(what, "ok"))
		return 0;
	fprintf(c->f, "database: %s\n", what);
	c->problems++;
	return 0;
}

static int check_sum_cb(const struct db_row *r, void *data)
{
	struct check *c = data;

	fprintf(c->f, "host %" PRId64 " %s: capacity %" PRId64 ", used %" PRId64
		", allocations hold %" PRId64 "\n", db_row_int(r, 0),
		db_row_text(r, 1), db_row_int(r, 2), db_row_int(r, 3),
		db_row_int(r, 4));
	c->problems++;
	return 0;
}

static int check_empty_cb(const struct db_row *r, void *data)
{
	struct check *c = data;

	fprintf(c->f, "allocation %" PRId64 " on host %" PRId64
		" lacks its vcpus or memory\n", db_row_int(r, 0), db_row_int(r, 1));
	c->problems++;
	return 0;
}

static int check_dim_cb(const struct db_row *r, void *data)
{
	struct check *c = data;

	fprintf(c->f, "allocation %" PRId64 " holds %s that its host lacks\n",
		db_row_int(r, 0), db_row_text(r, 1));
	c->problems++;
	return 0;
}

int store_check(struct store *s, FILE *f)
{
	struct check c = { .f = f };
	int ret;

	ret = begin(s);
	if (!ret)
		ret = db_query(s->db, Q_CHECK_PAGES, NULL, 0, check_pages_cb, &c,
			       NULL);
	if (!ret)
		ret = db_query(s->db, Q_CHECK_SUM, NULL, 0, check_sum_cb, &c, NULL);
	if (!ret)
		ret = db_query(s->db, Q_CHECK_EMPTY, NULL, 0, check_empty_cb, &c, NULL);
	if (!ret)
		ret = db_query(s->db, Q_CHECK_DIM, NULL, 0, check_dim_cb, &c, NULL);
	rollback(s);
	return ret ? ret : c.problems;
}
