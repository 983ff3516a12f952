/* The embedded store: one SQLite database (WAL) in the data directory.
 *
 * Writes (puts, rollups, sweeps, tokens) go through one connection under a
 * mutex, one transaction each; queries take a connection of their own from
 * a pool and read one snapshot.  Per tenant, the symbol dictionary and the
 * series live in memory (loaded on first use) and in the tables dict and
 * series.  docs/store.md describes the schema. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "store/backend.h"
#include "store/blob.h"
#include "store/catalog.h"
#include "store/codec.h"
#include "util.h"

#define NLEVELS 3
#define DAY_NANOS (86400LL * 1000000000)
/* Rollups are built from the hour up.  10-minute rollups cost two thirds
 * of the rollups' bytes (a day of one-a-minute profiles: 2.9 MB of them
 * against 1.2 MB of hours) and saved little: an hour's edge is at most 59
 * single profiles, a few tens of milliseconds of merge.  Those of stores
 * written before are still read, and dropped by late arrivals and sweeps
 * as before. */
#define FIRST_BUILT_LEVEL 1

/* ---- statements ---- */

enum {
	S_BEGIN,
	S_BEGIN_IMM,
	S_COMMIT,
	S_ROLLBACK,
	S_TENANT_GET,
	S_TENANT_INS,
	S_TENANT_NAME,
	S_TENANT_RET,
	S_TENANTS_ALL,
	S_TOK_INS,
	S_TOK_LOOKUP,
	S_TOK_USED,
	S_TOK_LIST,
	S_TOK_REVOKE,
	S_DICT_LOAD,
	S_DICT_INS,
	S_SERIES_LOAD,
	S_SERIES_MINMAX,
	S_SERIES_INS,
	S_PROF_INGEST,
	S_PROF_INS,
	S_BLOCK_INS,
	S_ROLLUP_DEL,
	S_DIRTY_INS,
	S_EXISTS,
	S_PROF_RANGE,
	S_BLOCK_GET,
	S_TOTALS_RANGE,
	S_ROLLUP_RANGE,
	S_ROLLUP_DATA,
	S_ROLLUP_INS,
	S_LIST_FIRST,
	S_LIST_NEXT,
	S_CURSOR_TIME,
	S_GET,
	S_SWEEP_SEL,
	S_PROF_DEL,
	S_BLOCK_DEL,
	S_DIRTY_DUE,
	S_DIRTY_DEL,
	S_USAGE_PROF,
	S_USAGE_ROLL,
	S_USAGE_SERIES,
	S_SESS_EXPIRE_T,
	S_SESS_COUNT,
	S_SESS_INS,
	S_SESS_LOOKUP,
	S_SESS_DEL,
	S_SESS_DEL_TOK,
	S_SESS_EXPIRE,
	S_DICT_FIRSTS,
	S_DICT_DEL,
	S_USAGE_DICT,
	NSTMT
};

static const char *const sql[NSTMT] = {
    [S_BEGIN] = "BEGIN",
    [S_BEGIN_IMM] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_TENANT_GET] = "SELECT id FROM tenants WHERE name=?1",
    [S_TENANT_INS] = "INSERT OR IGNORE INTO tenants(name, created) VALUES(?1, ?2)",
    [S_TENANT_NAME] = "SELECT name FROM tenants WHERE id=?1",
    [S_TENANT_RET] = "UPDATE tenants SET retention=?2 WHERE id=?1",
    [S_TENANTS_ALL] = "SELECT id, retention FROM tenants ORDER BY id",
    [S_TOK_INS] = "INSERT INTO tokens(tenant, hash, prefix, scopes, description, created) "
		  "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [S_TOK_LOOKUP] =
	"SELECT id, tenant, scopes, revoked, hash, last_used FROM tokens WHERE hash=?1",
    [S_TOK_USED] = "UPDATE tokens SET last_used=?2 WHERE id=?1",
    [S_TOK_LIST] = "SELECT id, scopes, created, last_used, revoked, description, prefix "
		   "FROM tokens WHERE tenant=?1 ORDER BY id DESC LIMIT ?2",
    [S_TOK_REVOKE] = "UPDATE tokens SET revoked=1 WHERE id=?1 AND tenant=?2",
    /* Kinds 4 to 7: chunks of kinds 0 to 3 a dictionary sweep rewrote. */
    [S_DICT_LOAD] = "SELECT kind, first, data FROM dict WHERE tenant=?1 ORDER BY kind % 4, first",
    [S_DICT_INS] = "INSERT INTO dict(tenant, kind, first, data) VALUES(?1, ?2, ?3, ?4)",
    [S_SERIES_LOAD] = "SELECT id, service, type, labels, sample_types, default_st FROM series "
		      "WHERE tenant=?1 ORDER BY id",
    [S_SERIES_MINMAX] = "SELECT min(time), max(time) FROM profiles WHERE series=?1",
    [S_SERIES_INS] = "INSERT INTO series(tenant, service, type, labels, sample_types, "
		     "default_st) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [S_PROF_INGEST] = "SELECT id FROM profiles WHERE tenant=?1 AND ingest_id=?2",
    [S_PROF_INS] = "INSERT INTO profiles(tenant, series, time, duration, period, bytes, "
		   "ingest_id, meta, totals) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [S_BLOCK_INS] = "INSERT INTO blocks(id, data) VALUES(?1, ?2)",
    [S_ROLLUP_DEL] = "DELETE FROM rollups WHERE series=?1 AND level=?2 AND bucket=?3",
    [S_DIRTY_INS] = "INSERT OR IGNORE INTO dirty(series, level, bucket, tenant) "
		    "VALUES(?1, ?2, ?3, ?4)",
    [S_EXISTS] = "SELECT 1 FROM profiles WHERE series=?1 AND time>=?2 AND time<?3 LIMIT 1",
    [S_PROF_RANGE] = "SELECT id, meta FROM profiles WHERE series=?1 AND time>=?2 AND "
		     "time<?3 ORDER BY time, id",
    [S_BLOCK_GET] = "SELECT data FROM blocks WHERE id=?1",
    [S_TOTALS_RANGE] = "SELECT time, totals FROM profiles WHERE series=?1 AND time>=?2 AND "
		       "time<?3",
    [S_ROLLUP_RANGE] = "SELECT bucket, meta, data FROM rollups WHERE series=?1 AND level=?2 "
		       "AND bucket>=?3 AND bucket<?4 ORDER BY bucket",
    [S_ROLLUP_DATA] = "SELECT data FROM rollups WHERE series=?1 AND level=?2 AND bucket=?3",
    [S_ROLLUP_INS] = "INSERT OR REPLACE INTO rollups(series, level, bucket, tenant, "
		     "nprofiles, bytes, meta, data) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [S_LIST_FIRST] = "SELECT id, series, time, duration, period, bytes, totals FROM profiles "
		     "WHERE tenant=?1 AND time>=?2 AND time<?3 ORDER BY time DESC, id DESC",
    [S_LIST_NEXT] = "SELECT id, series, time, duration, period, bytes, totals FROM profiles "
		    "WHERE tenant=?1 AND time>=?2 AND (time<?3 OR (time=?3 AND id<?4)) "
		    "ORDER BY time DESC, id DESC",
    [S_CURSOR_TIME] = "SELECT time FROM profiles WHERE id=?1 AND tenant=?2",
    [S_GET] = "SELECT series, time, duration, period, bytes, meta, totals FROM profiles "
	      "WHERE id=?1 AND tenant=?2",
    [S_SWEEP_SEL] = "SELECT id, series, time FROM profiles WHERE tenant=?1 AND time<?2 "
		    "LIMIT 256",
    [S_PROF_DEL] = "DELETE FROM profiles WHERE id=?1",
    [S_BLOCK_DEL] = "DELETE FROM blocks WHERE id=?1",
    [S_DIRTY_DUE] = "SELECT series, bucket, tenant FROM dirty WHERE level=?1 AND "
		    "bucket<=?2 ORDER BY bucket LIMIT 64",
    [S_DIRTY_DEL] = "DELETE FROM dirty WHERE series=?1 AND level=?2 AND bucket=?3",
    [S_USAGE_PROF] = "SELECT count(*), coalesce(sum(bytes),0), min(time), max(time) FROM "
		     "profiles WHERE tenant=?1",
    [S_USAGE_ROLL] = "SELECT coalesce(sum(bytes),0) FROM rollups WHERE tenant=?1",
    [S_USAGE_SERIES] = "SELECT count(*) FROM series WHERE tenant=?1",
    [S_SESS_EXPIRE_T] = "DELETE FROM sessions WHERE tenant=?1 AND expires<=?2",
    [S_SESS_COUNT] = "SELECT count(*) FROM sessions WHERE tenant=?1",
    [S_SESS_INS] = "INSERT INTO sessions(hash, tenant, token, created, expires) "
		   "VALUES(?1, ?2, ?3, ?4, ?5)",
    [S_SESS_LOOKUP] = "SELECT s.tenant, t.scopes, t.revoked, s.hash FROM sessions s JOIN "
		      "tokens t ON t.id=s.token AND t.tenant=s.tenant WHERE s.hash=?1 AND "
		      "s.expires>?2",
    [S_SESS_DEL] = "DELETE FROM sessions WHERE hash=?1",
    [S_SESS_DEL_TOK] = "DELETE FROM sessions WHERE token=?1 AND tenant=?2",
    [S_SESS_EXPIRE] = "DELETE FROM sessions WHERE expires<=?1",
    [S_DICT_FIRSTS] = "SELECT kind, first FROM dict WHERE tenant=?1 AND kind IN (?2, ?3) "
		      "ORDER BY first",
    [S_DICT_DEL] = "DELETE FROM dict WHERE tenant=?1 AND kind=?2 AND first=?3",
    [S_USAGE_DICT] = "SELECT coalesce(sum(length(data)),0) FROM dict WHERE tenant=?1",
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS tenants(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE,"
    " retention INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS tokens(id INTEGER PRIMARY KEY, tenant INTEGER NOT NULL,"
    " hash BLOB NOT NULL UNIQUE, prefix TEXT NOT NULL, scopes INTEGER NOT NULL,"
    " description TEXT NOT NULL, created INTEGER NOT NULL, last_used INTEGER NOT NULL"
    " DEFAULT 0, revoked INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS tokens_tenant ON tokens(tenant, id);"
    "CREATE TABLE IF NOT EXISTS dict(tenant INTEGER NOT NULL, kind INTEGER NOT NULL,"
    " first INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY(tenant, kind, first));"
    "CREATE TABLE IF NOT EXISTS series(id INTEGER PRIMARY KEY, tenant INTEGER NOT NULL,"
    " service TEXT NOT NULL, type TEXT NOT NULL, labels TEXT NOT NULL,"
    " sample_types TEXT NOT NULL, default_st TEXT NOT NULL,"
    " UNIQUE(tenant, service, type, labels, sample_types));"
    "CREATE TABLE IF NOT EXISTS profiles(id INTEGER PRIMARY KEY, tenant INTEGER NOT NULL,"
    " series INTEGER NOT NULL, time INTEGER NOT NULL, duration INTEGER NOT NULL,"
    " period INTEGER NOT NULL, bytes INTEGER NOT NULL, ingest_id TEXT, meta BLOB NOT NULL,"
    " totals BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS profiles_series ON profiles(series, time);"
    "CREATE INDEX IF NOT EXISTS profiles_tenant ON profiles(tenant, time);"
    "CREATE UNIQUE INDEX IF NOT EXISTS profiles_ingest ON profiles(tenant, ingest_id)"
    " WHERE ingest_id IS NOT NULL;"
    "CREATE TABLE IF NOT EXISTS blocks(id INTEGER PRIMARY KEY, data BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS rollups(id INTEGER PRIMARY KEY, series INTEGER NOT NULL,"
    " level INTEGER NOT NULL, bucket INTEGER NOT NULL, tenant INTEGER NOT NULL,"
    " nprofiles INTEGER NOT NULL, bytes INTEGER NOT NULL, meta BLOB NOT NULL,"
    " data BLOB NOT NULL, UNIQUE(series, level, bucket));"
    "CREATE INDEX IF NOT EXISTS rollups_tenant ON rollups(tenant);"
    "CREATE TABLE IF NOT EXISTS dirty(series INTEGER NOT NULL, level INTEGER NOT NULL,"
    " bucket INTEGER NOT NULL, tenant INTEGER NOT NULL, PRIMARY KEY(series, level, bucket))"
    " WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS dirty_due ON dirty(level, bucket);"
    /* Metric series (hearth scrape's GC statistics); added without a
     * version change: IF NOT EXISTS creates it in older files too. */
    "CREATE TABLE IF NOT EXISTS metrics(tenant INTEGER NOT NULL, service TEXT NOT NULL,"
    " labels TEXT NOT NULL, name TEXT NOT NULL, time INTEGER NOT NULL, value REAL NOT NULL);"
    "CREATE INDEX IF NOT EXISTS metrics_q ON metrics(tenant, service, name, time);"
    /* A point sent twice (a retried push) is stored once. */
    "CREATE UNIQUE INDEX IF NOT EXISTS metrics_u ON metrics(tenant, service, name, labels,"
    " time);"
    /* GODEBUG logs, whole. */
    "CREATE TABLE IF NOT EXISTS godebug(id INTEGER PRIMARY KEY, tenant INTEGER NOT NULL,"
    " service TEXT NOT NULL, labels TEXT NOT NULL, time INTEGER NOT NULL,"
    " bytes INTEGER NOT NULL, data BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS godebug_q ON godebug(tenant, service, time);"
    /* The fleet report's opt-in, one row per tenant that ever chose. */
    "CREATE TABLE IF NOT EXISTS fleet(tenant INTEGER PRIMARY KEY, opt_in INTEGER NOT NULL,"
    " changed INTEGER NOT NULL);"
    /* The UI's sessions (store.h): the SHA-256 of the cookie's id, the
     * token that made it; added as metrics were (IF NOT EXISTS). */
    "CREATE TABLE IF NOT EXISTS sessions(hash BLOB PRIMARY KEY, tenant INTEGER NOT NULL,"
    " token INTEGER NOT NULL, created INTEGER NOT NULL, expires INTEGER NOT NULL)"
    " WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS sessions_tenant ON sessions(tenant, expires);"
    "CREATE INDEX IF NOT EXISTS sessions_token ON sessions(token);"
    "CREATE INDEX IF NOT EXISTS sessions_expires ON sessions(expires);";

typedef struct {
	sqlite3 *db;
	sqlite3_stmt *st[NSTMT];
} conn;

/* ---- in-memory tenants ---- */

/* The series and tenants in memory: catalog.h. */
typedef hs_series sseries;
_Static_assert(NLEVELS == HS_NLEVELS, "rollup levels");

typedef hs_tenant tenant;

typedef struct {
	char *path;
	hearth_store_config cfg;
	conn w;
	pthread_mutex_t wmu;
	pthread_mutex_t pmu; /* the pool and the tenants array */
	conn **pool;
	size_t npool, cappool;
	tenant **tenants;
	size_t ntenants, captenants;
	hearth_blob *blob; /* -objects: blocks in a blob store; NULL: inline */
} sq;

/* ---- blocks in a blob store ----
 *
 * With -objects, a block's column (blocks.data, rollups.data) holds a
 * reference instead of the block: a 0 byte, then the object's key.  A
 * block never starts with 0 (its first varint is its raw size, at least
 * 4), so both kinds live side by side: a store that was inline keeps its
 * old blocks readable after -objects is turned on. */
#define BLOCK_OBJ_MAX (1u << 30)

static bool is_ref(const void *p, size_t n)
{
	return n > 1 && !*(const uint8_t *)p;
}

/* Adds a block column's samples to acc, fetching the object it names. */
static hearth_err block_add(sq *s, hs_acc *acc, const void *p, size_t n, hearth_errbuf *eb)
{
	if (!is_ref(p, n))
		return hs_block_add(acc, p, n, eb);
	char key[HEARTH_BLOB_KEY_MAX + 1];
	if (n - 1 > HEARTH_BLOB_KEY_MAX)
		return hearth_seterr(eb, HEARTH_ECORRUPT, "store: a block reference too long");
	memcpy(key, (const uint8_t *)p + 1, n - 1);
	key[n - 1] = 0;
	if (!s->blob)
		return hearth_seterr(eb, HEARTH_EIO,
				     "store: the block %s is in an object store: start with "
				     "-objects=URL",
				     key);
	uint8_t *data = NULL;
	size_t dn = 0;
	hearth_err err = hearth_blob_get(s->blob, key, BLOCK_OBJ_MAX, &data, &dn, eb);
	if (err == HEARTH_EINVAL) /* not found: the metadata names a lost object */
		err = hearth_seterr(eb, HEARTH_EIO, "store: block %s is missing from %s", key,
				    hearth_blob_url(s->blob));
	if (!err)
		err = hs_block_add(acc, data, dn, eb);
	free(data);
	return err;
}

static hearth_err dberr(sqlite3 *db, hearth_errbuf *eb, const char *what)
{
	int rc = sqlite3_errcode(db);
	hearth_err e = HEARTH_EIO;
	if (rc == SQLITE_NOMEM)
		e = HEARTH_ENOMEM;
	else if (rc == SQLITE_TOOBIG)
		e = HEARTH_ETOOBIG;
	return hearth_seterr(eb, e, "store: %s: %s", what, sqlite3_errmsg(db));
}

static sqlite3_stmt *stmt(conn *c, int i)
{
	if (!c->st[i] && sqlite3_prepare_v3(c->db, sql[i], -1, SQLITE_PREPARE_PERSISTENT, &c->st[i],
					    NULL) != SQLITE_OK)
		return NULL;
	sqlite3_reset(c->st[i]);
	sqlite3_clear_bindings(c->st[i]);
	return c->st[i];
}

static void conn_close(conn *c)
{
	if (!c || !c->db)
		return;
	for (int i = 0; i < NSTMT; i++)
		sqlite3_finalize(c->st[i]);
	sqlite3_close(c->db);
	c->db = NULL;
}

static hearth_err conn_open(sq *s, conn *c, bool create, hearth_errbuf *eb)
{
	memset(c, 0, sizeof(*c));
	int fl = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(s->path, &c->db, fl, NULL) != SQLITE_OK) {
		hearth_err e = hearth_seterr(eb, HEARTH_EIO, "store: opening %s: %s", s->path,
					     c->db ? sqlite3_errmsg(c->db) : "out of memory");
		sqlite3_close(c->db);
		c->db = NULL;
		return e;
	}
	sqlite3_busy_timeout(c->db, 10000);
	/* auto_vacuum must be set before the first table, and before WAL
	 * writes the header: the sweep gives the pages it frees back to the
	 * file system (a no-op on an existing database). */
	if (create)
		sqlite3_exec(c->db, "PRAGMA auto_vacuum=INCREMENTAL;", NULL, NULL, NULL);
	/* WAL: readers never block the writer; synchronous=NORMAL: a commit
	 * survives the process being killed (the WAL is in the OS's hands),
	 * only a crash of the OS itself may lose the last commits, never
	 * consistency (docs/store.md). */
	if (sqlite3_exec(c->db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			 " PRAGMA cache_size=-32000; PRAGMA temp_store=MEMORY;",
			 NULL, NULL, NULL) != SQLITE_OK) {
		hearth_err e = dberr(c->db, eb, s->path);
		conn_close(c);
		return e;
	}
	return HEARTH_OK;
}

static hearth_err exec_simple(conn *c, int i, hearth_errbuf *eb)
{
	sqlite3_stmt *q = stmt(c, i);
	if (!q || sqlite3_step(q) != SQLITE_DONE) {
		hearth_err e = dberr(c->db, eb, sql[i]);
		if (q)
			sqlite3_reset(q);
		return e;
	}
	sqlite3_reset(q);
	return HEARTH_OK;
}

static void rollback(conn *c)
{
	hearth_errbuf eb;
	if (!sqlite3_get_autocommit(c->db))
		exec_simple(c, S_ROLLBACK, &eb);
}

static conn *pool_get(sq *s, hearth_errbuf *eb)
{
	conn *c = NULL;
	pthread_mutex_lock(&s->pmu);
	if (s->npool)
		c = s->pool[--s->npool];
	pthread_mutex_unlock(&s->pmu);
	if (c)
		return c;
	c = calloc(1, sizeof(*c));
	if (!c) {
		hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		return NULL;
	}
	if (conn_open(s, c, false, eb)) {
		free(c);
		return NULL;
	}
	return c;
}

static void pool_put(sq *s, conn *c)
{
	if (!c)
		return;
	rollback(c);
	pthread_mutex_lock(&s->pmu);
	if (s->npool < 16 && HEARTH_GROW(s->pool, s->npool, s->cappool, 1)) {
		s->pool[s->npool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&s->pmu);
	if (c) {
		conn_close(c);
		free(c);
	}
}

static hearth_err bind_step_done(conn *c, sqlite3_stmt *q, hearth_errbuf *eb, const char *what);

/* ---- opening ---- */

static void sq_close(void *be);

static hearth_err sq_open(const char *path, const hearth_store_config *cfg, void **out,
			  hearth_errbuf *eb)
{
	*out = NULL;
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return hearth_seterr(eb, HEARTH_EIO, "store: creating %s: %s", path,
				     strerror(errno));
	sq *s = calloc(1, sizeof(*s));
	if (!s)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	s->cfg = *cfg;
	if (!s->cfg.retention_nanos)
		s->cfg.retention_nanos = 14 * DAY_NANOS;
	if (!s->cfg.max_series_per_tenant)
		s->cfg.max_series_per_tenant = 100000;
	pthread_mutex_init(&s->wmu, NULL);
	pthread_mutex_init(&s->pmu, NULL);
	size_t n = strlen(path) + 16;
	s->path = malloc(n);
	if (!s->path) {
		free(s);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	snprintf(s->path, n, "%s/hearth.db", path);
	hearth_err err = conn_open(s, &s->w, true, eb);
	if (err)
		goto fail;
	if (sqlite3_exec(s->w.db, schema, NULL, NULL, NULL) != SQLITE_OK) {
		err = dberr(s->w.db, eb, "creating the schema");
		goto fail;
	}
	if (cfg->objects && (err = hearth_blob_open(cfg->objects, &s->blob, eb)))
		goto fail;
	/* Written once: a store that exists opens without writing anything,
	 * so a server starts (and serves what it has) on a full disk. */
	sqlite3_stmt *uv = NULL;
	int version = -1;
	if (sqlite3_prepare_v2(s->w.db, "PRAGMA user_version", -1, &uv, NULL) == SQLITE_OK &&
	    sqlite3_step(uv) == SQLITE_ROW)
		version = sqlite3_column_int(uv, 0);
	sqlite3_finalize(uv);
	if (version != 1 &&
	    sqlite3_exec(s->w.db, "PRAGMA user_version=1;", NULL, NULL, NULL) != SQLITE_OK) {
		err = dberr(s->w.db, eb, "creating the schema");
		goto fail;
	}
	*out = s;
	return HEARTH_OK;
fail:
	sq_close(s);
	return err;
}

static void sq_close(void *be)
{
	sq *s = be;
	if (!s)
		return;
	pthread_mutex_lock(&s->wmu);
	for (size_t i = 0; i < s->npool; i++) {
		conn_close(s->pool[i]);
		free(s->pool[i]);
	}
	free(s->pool);
	if (s->w.db)
		sqlite3_exec(s->w.db, "PRAGMA optimize;", NULL, NULL, NULL);
	conn_close(&s->w);
	for (size_t i = 0; i < s->ntenants; i++)
		hs_tenant_free(s->tenants[i]);
	free(s->tenants);
	pthread_mutex_unlock(&s->wmu);
	pthread_mutex_destroy(&s->wmu);
	pthread_mutex_destroy(&s->pmu);
	hearth_blob_close(s->blob);
	free(s->path);
	free(s);
}

/* ---- tenants ---- */

static hearth_err sq_tenant_ensure(void *be, const char *name, int64_t *id, hearth_errbuf *eb)
{
	sq *s = be;
	hearth_err err = HEARTH_OK;
	pthread_mutex_lock(&s->wmu);
	sqlite3_stmt *q = stmt(&s->w, S_TENANT_INS);
	if (!q)
		goto dbfail;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, hearth_store_now());
	if (sqlite3_step(q) != SQLITE_DONE)
		goto dbfail;
	q = stmt(&s->w, S_TENANT_GET);
	if (!q)
		goto dbfail;
	sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_ROW)
		goto dbfail;
	*id = sqlite3_column_int64(q, 0);
	sqlite3_reset(q);
	goto out;
dbfail:
	err = dberr(s->w.db, eb, "tenant");
out:
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static hearth_err sq_tenant_lookup(void *be, const char *name, int64_t *id, hearth_errbuf *eb)
{
	sq *s = be;
	conn *c = pool_get(s, eb);
	if (!c)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	sqlite3_stmt *q = stmt(c, S_TENANT_GET);
	if (!q) {
		err = dberr(c->db, eb, "tenant");
	} else {
		sqlite3_bind_text(q, 1, name, -1, SQLITE_STATIC);
		int rc = sqlite3_step(q);
		if (rc == SQLITE_ROW)
			*id = sqlite3_column_int64(q, 0);
		else if (rc == SQLITE_DONE)
			err = hearth_seterr(eb, HEARTH_EINVAL, "tenant not found");
		else
			err = dberr(c->db, eb, "tenant");
		sqlite3_reset(q);
	}
	pool_put(s, c);
	return err;
}

static hearth_err sq_tenant_name(void *be, int64_t tenant_id, char *name, size_t namen,
				 hearth_errbuf *eb)
{
	sq *s = be;
	conn *c = pool_get(s, eb);
	if (!c)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	sqlite3_stmt *q = stmt(c, S_TENANT_NAME);
	if (!q) {
		err = dberr(c->db, eb, "tenant");
	} else {
		sqlite3_bind_int64(q, 1, tenant_id);
		int rc = sqlite3_step(q);
		if (rc == SQLITE_ROW)
			snprintf(name, namen, "%s", (const char *)sqlite3_column_text(q, 0));
		else if (rc == SQLITE_DONE)
			err = hearth_seterr(eb, HEARTH_EINVAL, "tenant not found");
		else
			err = dberr(c->db, eb, "tenant");
		sqlite3_reset(q);
	}
	pool_put(s, c);
	return err;
}

/* Runs the write statement which with two int64 parameters under the write
 * lock; a statement that changes no row is "<notfound> not found" (an id of
 * another tenant matches no row, so it is not found either). */
static hearth_err write_one(sq *s, int which, int64_t p1, int64_t p2, const char *what,
			    const char *notfound, hearth_errbuf *eb)
{
	hearth_err err = HEARTH_OK;
	pthread_mutex_lock(&s->wmu);
	sqlite3_stmt *q = stmt(&s->w, which);
	if (!q) {
		err = dberr(s->w.db, eb, what);
	} else {
		sqlite3_bind_int64(q, 1, p1);
		sqlite3_bind_int64(q, 2, p2);
		if (sqlite3_step(q) != SQLITE_DONE)
			err = dberr(s->w.db, eb, what);
		else if (sqlite3_changes(s->w.db) == 0)
			err = hearth_seterr(eb, HEARTH_EINVAL, "%s not found", notfound);
		sqlite3_reset(q);
	}
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static hearth_err sq_tenant_set_retention(void *be, int64_t tenant_id, int64_t r, hearth_errbuf *eb)
{
	return write_one(be, S_TENANT_RET, tenant_id, r, "retention", "tenant", eb);
}

/* ---- tokens ---- */

static hearth_err sq_token_insert(void *be, int64_t tenant_id, unsigned scopes, const char *desc,
				  const uint8_t hash[32], const char *prefix, int64_t now,
				  int64_t *id, hearth_errbuf *eb)
{
	sq *s = be;
	hearth_err err = HEARTH_OK;
	pthread_mutex_lock(&s->wmu);
	sqlite3_stmt *q = stmt(&s->w, S_TENANT_NAME);
	if (!q) {
		err = dberr(s->w.db, eb, "token");
		goto out;
	}
	sqlite3_bind_int64(q, 1, tenant_id);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_ROW) {
		err = rc == SQLITE_DONE ? hearth_seterr(eb, HEARTH_EINVAL, "tenant not found")
					: dberr(s->w.db, eb, "token");
		goto out;
	}
	q = stmt(&s->w, S_TOK_INS);
	if (!q) {
		err = dberr(s->w.db, eb, "token");
		goto out;
	}
	sqlite3_bind_int64(q, 1, tenant_id);
	sqlite3_bind_blob(q, 2, hash, 32, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, scopes);
	sqlite3_bind_text(q, 5, desc, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 6, now);
	if (sqlite3_step(q) != SQLITE_DONE)
		err = dberr(s->w.db, eb, "token");
	else
		*id = sqlite3_last_insert_rowid(s->w.db);
	sqlite3_reset(q);
out:
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static hearth_err sq_token_lookup(void *be, const uint8_t hash[32], int64_t now, int64_t *tenant_id,
				  unsigned *scopes, bool *revoked, uint8_t stored[32],
				  int64_t *token_id, hearth_errbuf *eb)
{
	sq *s = be;
	conn *c = pool_get(s, eb);
	if (!c)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	int64_t id = 0, last = 0;
	sqlite3_stmt *q = stmt(c, S_TOK_LOOKUP);
	memset(stored, 0, 32);
	if (!q) {
		err = dberr(c->db, eb, "token");
		goto out;
	}
	sqlite3_bind_blob(q, 1, hash, 32, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(q, 0);
		*tenant_id = sqlite3_column_int64(q, 1);
		*scopes = (unsigned)sqlite3_column_int64(q, 2);
		*revoked = sqlite3_column_int64(q, 3) != 0;
		if (sqlite3_column_bytes(q, 4) == 32)
			memcpy(stored, sqlite3_column_blob(q, 4), 32);
		last = sqlite3_column_int64(q, 5);
		*token_id = id;
	} else if (rc == SQLITE_DONE) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "invalid token");
	} else {
		err = dberr(c->db, eb, "token");
	}
	sqlite3_reset(q);
out:
	pool_put(s, c);
	/* last_used to the minute: a write per request would cost more than
	 * the request. */
	if (!err && now - last > 60LL * 1000000000) {
		pthread_mutex_lock(&s->wmu);
		sqlite3_stmt *u = stmt(&s->w, S_TOK_USED);
		if (u) {
			sqlite3_bind_int64(u, 1, id);
			sqlite3_bind_int64(u, 2, now);
			sqlite3_step(u);
			sqlite3_reset(u);
		}
		pthread_mutex_unlock(&s->wmu);
	}
	return err;
}

static hearth_err sq_token_list(void *be, int64_t tenant_id, hearth_token_info *out, size_t max,
				size_t *n, hearth_errbuf *eb)
{
	sq *s = be;
	conn *c = pool_get(s, eb);
	if (!c)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	sqlite3_stmt *q = stmt(c, S_TOK_LIST);
	if (!q) {
		err = dberr(c->db, eb, "tokens");
		goto out;
	}
	sqlite3_bind_int64(q, 1, tenant_id);
	sqlite3_bind_int64(q, 2, (int64_t)max);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW && *n < max) {
		hearth_token_info *t = &out[(*n)++];
		memset(t, 0, sizeof(*t));
		t->id = sqlite3_column_int64(q, 0);
		t->scopes = (unsigned)sqlite3_column_int64(q, 1);
		t->created_nanos = sqlite3_column_int64(q, 2);
		t->last_used_nanos = sqlite3_column_int64(q, 3);
		t->revoked = sqlite3_column_int64(q, 4) != 0;
		snprintf(t->description, sizeof(t->description), "%s",
			 (const char *)sqlite3_column_text(q, 5));
		snprintf(t->prefix, sizeof(t->prefix), "%s",
			 (const char *)sqlite3_column_text(q, 6));
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = dberr(c->db, eb, "tokens");
	sqlite3_reset(q);
out:
	pool_put(s, c);
	return err;
}

/* The token and its sessions, in one transaction: a kill leaves both or
 * neither (a session of a revoked token is refused anyway). */
static hearth_err sq_token_revoke(void *be, int64_t tenant_id, int64_t id, hearth_errbuf *eb)
{
	sq *s = be;
	conn *c = &s->w;
	hearth_err err;
	pthread_mutex_lock(&s->wmu);
	if ((err = exec_simple(c, S_BEGIN_IMM, eb)))
		goto out;
	sqlite3_stmt *q = stmt(c, S_TOK_REVOKE);
	if (!q)
		goto dbfail;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, tenant_id);
	if ((err = bind_step_done(c, q, eb, "revoke")))
		goto out;
	if (sqlite3_changes(c->db) == 0) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "token not found");
		goto out;
	}
	if (!(q = stmt(c, S_SESS_DEL_TOK)))
		goto dbfail;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, tenant_id);
	if ((err = bind_step_done(c, q, eb, "revoke")) || (err = exec_simple(c, S_COMMIT, eb)))
		goto out;
	goto out;
dbfail:
	err = dberr(c->db, eb, "revoke");
out:
	rollback(c);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

/* ---- sessions ---- */

static hearth_err sq_session_insert(void *be, const uint8_t hash[32], int64_t tenant_id,
				    int64_t token, int64_t now, int64_t expires, size_t max,
				    hearth_errbuf *eb)
{
	sq *s = be;
	conn *c = &s->w;
	hearth_err err;
	pthread_mutex_lock(&s->wmu);
	if ((err = exec_simple(c, S_BEGIN_IMM, eb)))
		goto out;
	sqlite3_stmt *q = stmt(c, S_SESS_EXPIRE_T);
	if (!q)
		goto dbfail;
	sqlite3_bind_int64(q, 1, tenant_id);
	sqlite3_bind_int64(q, 2, now);
	if ((err = bind_step_done(c, q, eb, "session")))
		goto out;
	if (!(q = stmt(c, S_SESS_COUNT)))
		goto dbfail;
	sqlite3_bind_int64(q, 1, tenant_id);
	int64_t n = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
	sqlite3_reset(q);
	if (n < 0)
		goto dbfail;
	if ((size_t)n >= max) {
		err = hearth_seterr(eb, HEARTH_ETOOBIG, "too many sessions (at most %zu)", max);
		goto out;
	}
	if (!(q = stmt(c, S_SESS_INS)))
		goto dbfail;
	sqlite3_bind_blob(q, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, tenant_id);
	sqlite3_bind_int64(q, 3, token);
	sqlite3_bind_int64(q, 4, now);
	sqlite3_bind_int64(q, 5, expires);
	if ((err = bind_step_done(c, q, eb, "session")) || (err = exec_simple(c, S_COMMIT, eb)))
		goto out;
	goto out;
dbfail:
	err = dberr(c->db, eb, "session");
out:
	rollback(c);
	pthread_mutex_unlock(&s->wmu);
	if (err == HEARTH_EIO && strstr(eb->msg, "full"))
		hearth_seterr(eb, HEARTH_EIO, "store: the disk is full");
	return err;
}

static hearth_err sq_session_lookup(void *be, const uint8_t hash[32], int64_t now,
				    int64_t *tenant_id, unsigned *scopes, uint8_t stored[32],
				    hearth_errbuf *eb)
{
	sq *s = be;
	conn *c = pool_get(s, eb);
	if (!c)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	memset(stored, 0, 32);
	sqlite3_stmt *q = stmt(c, S_SESS_LOOKUP);
	if (!q) {
		err = dberr(c->db, eb, "session");
		goto out;
	}
	sqlite3_bind_blob(q, 1, hash, 32, SQLITE_STATIC);
	sqlite3_bind_int64(q, 2, now);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW && !sqlite3_column_int64(q, 2)) {
		*tenant_id = sqlite3_column_int64(q, 0);
		*scopes = (unsigned)sqlite3_column_int64(q, 1);
		if (sqlite3_column_bytes(q, 3) == 32)
			memcpy(stored, sqlite3_column_blob(q, 3), 32);
	} else if (rc == SQLITE_ROW || rc == SQLITE_DONE) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "invalid session");
	} else {
		err = dberr(c->db, eb, "session");
	}
	sqlite3_reset(q);
out:
	pool_put(s, c);
	return err;
}

static hearth_err sq_session_delete(void *be, const uint8_t hash[32], hearth_errbuf *eb)
{
	sq *s = be;
	hearth_err err = HEARTH_OK;
	pthread_mutex_lock(&s->wmu);
	sqlite3_stmt *q = stmt(&s->w, S_SESS_DEL);
	if (!q) {
		err = dberr(s->w.db, eb, "session");
	} else {
		sqlite3_bind_blob(q, 1, hash, 32, SQLITE_STATIC);
		err = bind_step_done(&s->w, q, eb, "session");
	}
	pthread_mutex_unlock(&s->wmu);
	return err;
}

/* ---- series in memory ---- */

/* Loads tenant id's dictionary and series (the caller holds wmu).  A
 * tenant that does not exist gives *out NULL. */
static hearth_err tenant_load(sq *s, int64_t id, tenant **out, hearth_errbuf *eb)
{
	*out = NULL;
	conn *c = &s->w;
	sqlite3_stmt *q = stmt(c, S_TENANT_NAME);
	if (!q)
		return dberr(c->db, eb, "tenant");
	sqlite3_bind_int64(q, 1, id);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc == SQLITE_DONE)
		return HEARTH_OK;
	if (rc != SQLITE_ROW)
		return dberr(c->db, eb, "tenant");
	tenant *t = hs_tenant_new(id);
	if (!t || !(t->dict = hs_dict_new())) {
		hs_tenant_free(t);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	hearth_err err = HEARTH_OK;
	if ((err = exec_simple(c, S_BEGIN, eb)))
		goto fail;
	q = stmt(c, S_DICT_LOAD);
	if (!q)
		goto dbfail;
	sqlite3_bind_int64(q, 1, id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		int kind = sqlite3_column_int(q, 0);
		int64_t first = sqlite3_column_int64(q, 1);
		const uint8_t *d = sqlite3_column_blob(q, 2);
		size_t n = (size_t)sqlite3_column_bytes(q, 2);
		if (kind < 0 || kind >= 2 * HS_NKINDS || first < 1 || first > UINT32_MAX) {
			sqlite3_reset(q);
			err = hearth_seterr(eb, HEARTH_ECORRUPT, "store: bad dictionary row");
			goto fail;
		}
		if ((err = hs_dict_load(t->dict, kind, (uint32_t)first, d, n, eb))) {
			sqlite3_reset(q);
			goto fail;
		}
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		goto dbfail;
	q = stmt(c, S_SERIES_LOAD);
	if (!q)
		goto dbfail;
	sqlite3_bind_int64(q, 1, id);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		sseries *x =
		    hs_series_new(sqlite3_column_int64(q, 0), (const char *)sqlite3_column_text(q, 1),
			       (const char *)sqlite3_column_text(q, 2),
			       (const char *)sqlite3_column_text(q, 3),
			       (const char *)sqlite3_column_text(q, 4),
			       (const char *)sqlite3_column_text(q, 5));
		if (!x || !hs_series_add(t, x)) {
			sqlite3_reset(q);
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			goto fail;
		}
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		goto dbfail;
	for (size_t i = 0; i < t->nseries; i++) {
		q = stmt(c, S_SERIES_MINMAX);
		if (!q)
			goto dbfail;
		sqlite3_bind_int64(q, 1, t->series[i]->id);
		if (sqlite3_step(q) == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL) {
			t->series[i]->first = sqlite3_column_int64(q, 0);
			t->series[i]->last = sqlite3_column_int64(q, 1);
		}
		sqlite3_reset(q);
	}
	rollback(c);
	*out = t;
	return HEARTH_OK;
dbfail:
	err = dberr(c->db, eb, "loading a tenant");
fail:
	rollback(c);
	hs_tenant_free(t);
	return err;
}

static tenant *tenant_cached(sq *s, int64_t id)
{
	tenant *t = NULL;
	pthread_mutex_lock(&s->pmu);
	for (size_t i = 0; i < s->ntenants; i++)
		if (s->tenants[i]->id == id) {
			t = s->tenants[i];
			break;
		}
	pthread_mutex_unlock(&s->pmu);
	return t;
}

/* The tenant, loaded when needed; NULL without error when it does not
 * exist.  locked: the caller holds wmu. */
static hearth_err tenant_get(sq *s, int64_t id, bool locked, tenant **out, hearth_errbuf *eb)
{
	*out = tenant_cached(s, id);
	if (*out)
		return HEARTH_OK;
	if (!locked)
		pthread_mutex_lock(&s->wmu);
	hearth_err err = HEARTH_OK;
	*out = tenant_cached(s, id);
	if (!*out) {
		err = tenant_load(s, id, out, eb);
		if (!err && *out) {
			pthread_mutex_lock(&s->pmu);
			if (HEARTH_GROW(s->tenants, s->ntenants, s->captenants, 1)) {
				s->tenants[s->ntenants++] = *out;
			} else {
				hs_tenant_free(*out);
				*out = NULL;
				err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			}
			pthread_mutex_unlock(&s->pmu);
		}
	}
	if (!locked)
		pthread_mutex_unlock(&s->wmu);
	return err;
}

/* The series of t that match (a copy of the pointers; series are never
 * freed while the store is open). */
static hearth_err match_series(tenant *t, const hearth_selector *sel, const char *type,
			       int64_t from, int64_t until, sseries ***out, size_t *n,
			       hearth_errbuf *eb)
{
	*out = NULL;
	*n = 0;
	pthread_rwlock_rdlock(&t->lock);
	sseries **v = malloc((t->nseries + 1) * sizeof(*v));
	if (!v) {
		pthread_rwlock_unlock(&t->lock);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < t->nseries; i++) {
		sseries *x = t->series[i];
		int64_t first = __atomic_load_n(&x->first, __ATOMIC_RELAXED),
			last = __atomic_load_n(&x->last, __ATOMIC_RELAXED);
		if (last < from || first >= until)
			continue;
		if (type && strcmp(type, x->type))
			continue;
		if (!hearth_selector_match(sel, x->service, x->type, x->kv, x->nkv))
			continue;
		v[(*n)++] = x;
	}
	pthread_rwlock_unlock(&t->lock);
	*out = v;
	return HEARTH_OK;
}

/* Whether x has a profile in [from, until) (first/last may be stale after a
 * sweep). */
static int has_data(conn *c, sseries *x, int64_t from, int64_t until, hearth_errbuf *eb)
{
	sqlite3_stmt *q = stmt(c, S_EXISTS);
	if (!q) {
		dberr(c->db, eb, "query");
		return -1;
	}
	sqlite3_bind_int64(q, 1, x->id);
	sqlite3_bind_int64(q, 2, from);
	sqlite3_bind_int64(q, 3, until);
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	dberr(c->db, eb, "query");
	return -1;
}

/* ---- put ---- */

static int64_t bucket_of(int64_t t, int level)
{
	int64_t sz = hs_level_size[level];
	int64_t b = t / sz * sz;
	if (t < 0 && b != t)
		b -= sz;
	return b;
}

static hearth_err bind_step_done(conn *c, sqlite3_stmt *q, hearth_errbuf *eb, const char *what)
{
	int rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return dberr(c->db, eb, what);
	return HEARTH_OK;
}

/* Drops the rollups that hold time t of x and marks their buckets for
 * rebuilding (in the caller's transaction). */
static hearth_err invalidate(conn *c, tenant *t, sseries *x, int64_t time, bool memo,
			     hearth_errbuf *eb)
{
	for (int l = 0; l < NLEVELS; l++) {
		int64_t b = bucket_of(time, l);
		if (memo && x->dirty_bucket[l] == b)
			continue;
		sqlite3_stmt *q = stmt(c, S_ROLLUP_DEL);
		if (!q)
			return dberr(c->db, eb, "rollup");
		sqlite3_bind_int64(q, 1, x->id);
		sqlite3_bind_int64(q, 2, l);
		sqlite3_bind_int64(q, 3, b);
		hearth_err err = bind_step_done(c, q, eb, "rollup");
		if (err)
			return err;
		if (l < FIRST_BUILT_LEVEL)
			continue;
		if (!(q = stmt(c, S_DIRTY_INS)))
			return dberr(c->db, eb, "rollup");
		sqlite3_bind_int64(q, 1, x->id);
		sqlite3_bind_int64(q, 2, l);
		sqlite3_bind_int64(q, 3, b);
		sqlite3_bind_int64(q, 4, t->id);
		if ((err = bind_step_done(c, q, eb, "rollup")))
			return err;
	}
	return HEARTH_OK;
}

/* A put: the samples are turned into dictionary ids (under the tenant's
 * dictionary lock) and encoded with no lock held, so clients encode in
 * parallel; only the transaction is one at a time. */
static hearth_err sq_put(void *be, int64_t tenant_id, const hearth_profile *p,
			 const hearth_put_meta *m, const char *type, int64_t *id, hearth_errbuf *eb)
{
	sq *s = be;
	hearth_err err;
	tenant *t = NULL;
	hs_acc *acc = NULL;
	hs_out block = {0}, meta = {0}, totb = {0}, stb = {0}, chunk = {0}, ref = {0};
	hs_meta hm;
	char *labels = NULL, *key = NULL;
	sseries *x = NULL, *newx = NULL;
	int64_t *totals = NULL;
	bool in_tx = false, locked = false;
	conn *c = &s->w;

	if ((err = hs_meta_from_profile(p, &hm)))
		return hearth_seterr(eb, err, "profile with too many sample types");
	if (!hm.time_nanos)
		hm.time_nanos = m->time_nanos ? m->time_nanos : hearth_store_now();
	labels = hearth_labels_canon(m->labels, m->nlabels);
	hs_meta_st_string(&hm, &stb);
	if (!labels || stb.oom ||
	    !(key = hs_series_key(m->service, type, labels, (const char *)stb.p))) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	if ((err = tenant_get(s, tenant_id, false, &t, eb)))
		goto out;
	if (!t) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "tenant not found");
		goto out;
	}
	int attempts = 0;
	uint64_t gen;
again:
	hs_dict_lock(t->dict);
	err = hs_acc_from_profile(t->dict, p, &acc, eb);
	gen = hs_dict_gen(t->dict);
	hs_dict_unlock(t->dict);
	if (err)
		goto out;
	totals = calloc(p->nsample_types + 1, sizeof(int64_t));
	if (!totals) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	hs_acc_totals(acc, totals);
	for (uint32_t k = 0; k < p->nsample_types; k++)
		hs_put_sv(&totb, totals[k]);
	hs_meta_encode(&hm, &meta);
	if ((err = hs_block_encode(acc, false, &block)) || meta.oom || totb.oom) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	/* The object first, outside the lock: puts upload in parallel, and
	 * the profile is acknowledged only once both it and the metadata
	 * are stored. */
	if (s->blob) {
		char okey[HEARTH_BLOB_KEYLEN];
		if ((err = hearth_blob_key_profile(okey, tenant_id, hm.time_nanos, eb)) ||
		    (err = hs_block_to_object(s->blob, okey, &block, &ref, eb)))
			goto out;
	}

	if (!locked)
		pthread_mutex_lock(&s->wmu);
	locked = true;
	/* A dictionary sweep (under wmu too) since the symbols were interned
	 * may have deleted one this profile refers to (it was unreferenced
	 * then): intern and encode again, now holding wmu, so that no sweep
	 * can delete in between; the content gets new ids.  Rare: a put in
	 * flight while a sweep deletes the symbols it brings back. */
	if (hs_dict_gen(t->dict) != gen && hs_acc_refs_dead(acc, t->dict)) {
		hs_acc_free(acc);
		acc = NULL;
		free(totals);
		totals = NULL;
		block.n = meta.n = totb.n = ref.n = 0;
		if (++attempts < 2)
			goto again;
		err = hearth_seterr(eb, HEARTH_EIO, "store: the dictionary changed under a put");
		goto out;
	}
	if ((err = exec_simple(c, S_BEGIN_IMM, eb)))
		goto out;
	in_tx = true;
	if (m->ingest_id) {
		sqlite3_stmt *q = stmt(c, S_PROF_INGEST);
		if (!q)
			goto dbfail;
		sqlite3_bind_int64(q, 1, tenant_id);
		sqlite3_bind_text(q, 2, m->ingest_id, -1, SQLITE_STATIC);
		int rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			*id = sqlite3_column_int64(q, 0);
			sqlite3_reset(q);
			err = HEARTH_OK;
			goto out; /* rolled back: nothing to write */
		}
		sqlite3_reset(q);
		if (rc != SQLITE_DONE)
			goto dbfail;
	}
	x = hs_series_find(t, key);
	if (!x) {
		if (t->nseries >= s->cfg.max_series_per_tenant) {
			err = hearth_seterr(eb, HEARTH_ETOOBIG, "too many series (at most %u)",
					    s->cfg.max_series_per_tenant);
			goto out;
		}
		sqlite3_stmt *q = stmt(c, S_SERIES_INS);
		if (!q)
			goto dbfail;
		sqlite3_bind_int64(q, 1, tenant_id);
		sqlite3_bind_text(q, 2, m->service, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, type, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, labels, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 5, (const char *)stb.p, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 6, hm.default_st, -1, SQLITE_STATIC);
		if (sqlite3_step(q) != SQLITE_DONE) {
			sqlite3_reset(q);
			goto dbfail;
		}
		sqlite3_reset(q);
		newx = x = hs_series_new(sqlite3_last_insert_rowid(c->db), m->service, type, labels,
				      (const char *)stb.p, hm.default_st);
		if (!x) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			goto out;
		}
	}
	uint32_t upto[HS_NKINDS];
	hs_dict_snapshot(t->dict, upto);
	for (int k = 0; k < HS_NKINDS; k++) {
		uint32_t first, n = hs_dict_pending(t->dict, k, upto, &first);
		if (!n)
			continue;
		chunk.n = 0;
		hs_dict_pending_encode(t->dict, k, upto, &chunk);
		if (chunk.oom) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			goto out;
		}
		sqlite3_stmt *q = stmt(c, S_DICT_INS);
		if (!q)
			goto dbfail;
		sqlite3_bind_int64(q, 1, tenant_id);
		sqlite3_bind_int64(q, 2, k);
		sqlite3_bind_int64(q, 3, first);
		sqlite3_bind_blob(q, 4, chunk.p, (int)chunk.n, SQLITE_STATIC);
		if ((err = bind_step_done(c, q, eb, "dictionary")))
			goto out;
	}
	sqlite3_stmt *q = stmt(c, S_PROF_INS);
	if (!q)
		goto dbfail;
	sqlite3_bind_int64(q, 1, tenant_id);
	sqlite3_bind_int64(q, 2, x->id);
	sqlite3_bind_int64(q, 3, hm.time_nanos);
	sqlite3_bind_int64(q, 4, hm.duration_nanos);
	sqlite3_bind_int64(q, 5, hm.period);
	sqlite3_bind_int64(q, 6, (int64_t)(block.n + meta.n + totb.n));
	if (m->ingest_id)
		sqlite3_bind_text(q, 7, m->ingest_id, -1, SQLITE_STATIC);
	sqlite3_bind_blob(q, 8, meta.p, (int)meta.n, SQLITE_STATIC);
	sqlite3_bind_blob(q, 9, totb.p, (int)totb.n, SQLITE_STATIC);
	if ((err = bind_step_done(c, q, eb, "profile")))
		goto out;
	*id = sqlite3_last_insert_rowid(c->db);
	if (!(q = stmt(c, S_BLOCK_INS)))
		goto dbfail;
	sqlite3_bind_int64(q, 1, *id);
	if (s->blob)
		sqlite3_bind_blob(q, 2, ref.p, (int)ref.n, SQLITE_STATIC);
	else
		sqlite3_bind_blob(q, 2, block.p, (int)block.n, SQLITE_STATIC);
	if ((err = bind_step_done(c, q, eb, "profile")))
		goto out;
	if ((err = invalidate(c, t, x, hm.time_nanos, true, eb)))
		goto out;
	if ((err = exec_simple(c, S_COMMIT, eb)))
		goto out;
	in_tx = false;
	hs_dict_commit(t->dict, upto);
	if (t->track)
		hs_acc_mark(acc, t->track);
	for (int l = 0; l < NLEVELS; l++)
		x->dirty_bucket[l] = bucket_of(hm.time_nanos, l);
	if (hm.time_nanos < x->first)
		__atomic_store_n(&x->first, hm.time_nanos, __ATOMIC_RELAXED);
	if (hm.time_nanos > x->last)
		__atomic_store_n(&x->last, hm.time_nanos, __ATOMIC_RELAXED);
	if (newx) {
		pthread_rwlock_wrlock(&t->lock);
		bool ok = hs_series_add(t, newx);
		pthread_rwlock_unlock(&t->lock);
		if (ok)
			newx = NULL;
		/* else: stored; the series is found again when the tenant is
		 * reloaded.  Rare enough (out of memory) to leave at that. */
	}
	err = HEARTH_OK;
	goto out;
dbfail:
	err = dberr(c->db, eb, "storing a profile");
out:
	/* Symbols interned for a put that failed stay pending: the next
	 * commit writes them (unused entries cost a few bytes). */
	if (in_tx)
		rollback(c);
	if (locked)
		pthread_mutex_unlock(&s->wmu);
	hs_series_free(newx);
	hs_acc_free(acc);
	hs_out_free(&block);
	hs_out_free(&ref);
	hs_out_free(&meta);
	hs_out_free(&totb);
	hs_out_free(&stb);
	hs_out_free(&chunk);
	free(labels);
	free(key);
	free(totals);
	if (err == HEARTH_EIO && strstr(eb->msg, "full"))
		hearth_seterr(eb, HEARTH_EIO, "store: the disk is full");
	return err;
}

/* ---- queries: names ---- */

typedef struct {
	sq *s;
	conn *c;
	tenant *t;
	sseries **v;
	size_t n;
} qctx;

/* The query's start: a connection in a read transaction, the tenant, the
 * matching series that have data in the range. */
static hearth_err q_begin(sq *s, int64_t tenant_id, const hearth_selector *sel, const char *type,
			  int64_t from, int64_t until, qctx *q, hearth_errbuf *eb)
{
	memset(q, 0, sizeof(*q));
	q->s = s;
	hearth_err err = tenant_get(s, tenant_id, false, &q->t, eb);
	if (err || !q->t)
		return err;
	if (!(q->c = pool_get(s, eb)))
		return HEARTH_EIO;
	if ((err = exec_simple(q->c, S_BEGIN, eb)))
		return err;
	if ((err = match_series(q->t, sel, type, from, until, &q->v, &q->n, eb)))
		return err;
	size_t w = 0;
	for (size_t i = 0; i < q->n; i++) {
		/* first and last are times of real profiles (puts extend them,
		 * sweeps recompute them): one inside the range settles it. */
		sseries *x = q->v[i];
		int64_t first = __atomic_load_n(&x->first, __ATOMIC_RELAXED),
			last = __atomic_load_n(&x->last, __ATOMIC_RELAXED);
		if ((first >= from && first < until) || (last >= from && last < until)) {
			q->v[w++] = x;
			continue;
		}
		int h = has_data(q->c, q->v[i], from, until, eb);
		if (h < 0)
			return HEARTH_EIO;
		if (h)
			q->v[w++] = q->v[i];
	}
	q->n = w;
	return HEARTH_OK;
}

static void q_end(qctx *q)
{
	if (q->c)
		pool_put(q->s, q->c);
	free(q->v);
}

static hearth_err sq_services(void *be, int64_t tenant_id, int64_t from, int64_t until,
			      hearth_strlist *out, hearth_errbuf *eb)
{
	qctx q;
	hearth_err err = q_begin(be, tenant_id, NULL, NULL, from, until, &q, eb);
	if (!err)
		err = hs_answer_services(q.v, q.n, out, eb);
	q_end(&q);
	return err;
}

static hearth_err sq_types(void *be, int64_t tenant_id, const char *service, int64_t from,
			   int64_t until, hearth_typelist *out, hearth_errbuf *eb)
{
	qctx q;
	hearth_err err = q_begin(be, tenant_id, NULL, NULL, from, until, &q, eb);
	if (!err)
		err = hs_answer_types(q.v, q.n, service, out, eb);
	q_end(&q);
	return err;
}

static hearth_err sq_label_names(void *be, int64_t tenant_id, const hearth_selector *sel,
				 int64_t from, int64_t until, hearth_strlist *out,
				 hearth_errbuf *eb)
{
	qctx q;
	hearth_err err = q_begin(be, tenant_id, sel, NULL, from, until, &q, eb);
	if (!err)
		err = hs_answer_label_names(q.v, q.n, out, eb);
	q_end(&q);
	return err;
}

static hearth_err sq_label_values(void *be, int64_t tenant_id, const hearth_selector *sel,
				  const char *name, int64_t from, int64_t until,
				  hearth_strlist *out, hearth_errbuf *eb)
{
	qctx q;
	hearth_err err = q_begin(be, tenant_id, sel, NULL, from, until, &q, eb);
	if (!err)
		err = hs_answer_label_values(q.v, q.n, name, out, eb);
	q_end(&q);
	return err;
}

/* ---- series (totals over time) ---- */

/* The totals of x's profiles in [from, until), for hs_answer_series. */
static hearth_err totals_of(void *ctx, const sseries *x, int64_t from, int64_t until,
			    hs_totals_add add, void *acc, hearth_errbuf *eb)
{
	conn *c = ctx;
	sqlite3_stmt *st = stmt(c, S_TOTALS_RANGE);
	if (!st)
		return dberr(c->db, eb, "series");
	sqlite3_bind_int64(st, 1, x->id);
	sqlite3_bind_int64(st, 2, from);
	sqlite3_bind_int64(st, 3, until);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		add(acc, sqlite3_column_int64(st, 0), sqlite3_column_blob(st, 1),
		    (size_t)sqlite3_column_bytes(st, 1));
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? HEARTH_OK : dberr(c->db, eb, "series");
}

static hearth_err sq_series(void *be, int64_t tenant_id, const hearth_selector *sel,
			    const char *type, size_t sample_type, int64_t from, int64_t until,
			    int64_t step, const char *const *group_by, size_t ngroup_by,
			    hearth_serieslist *out, hearth_errbuf *eb)
{
	qctx q;
	hearth_err err = q_begin(be, tenant_id, sel, type, from, until, &q, eb);
	if (!err)
		err = hs_answer_series(q.v, q.n, sample_type, from, until, step, group_by,
				       ngroup_by, totals_of, q.c, out, eb);
	q_end(&q);
	return err;
}

/* ---- merge ---- */

typedef struct {
	sq *s;
	conn *c;
	sseries *x;
	hs_acc *acc;
	hs_meta meta;
	bool have_meta;
	int64_t nprofiles;
	hearth_errbuf *eb;
	int skip_level; /* building a rollup of this level: do not use it */
	/* A dictionary sweep's marking: each block's references are marked,
	 * then the accumulator is emptied again. */
	hs_marks *marks;
} gather;

static hearth_err g_flush(gather *g, hearth_err err)
{
	if (!err && g->marks) {
		hs_acc_mark(g->acc, g->marks);
		hs_acc_reset(g->acc);
	}
	return err;
}

static hearth_err g_meta(gather *g, const void *p, int n)
{
	return hs_meta_add(&g->meta, &g->have_meta, p, (size_t)n, g->eb);
}

/* Block columns copied out of their rows (blocks inline or references to
 * objects), to be added in their order once the objects are fetched: 32 at
 * a time, up to 8 requests in flight (an object store answers each in tens
 * of milliseconds). */
typedef struct {
	uint8_t **col;
	size_t *len;
	size_t n, cap, caplen;
} colset;

static hearth_err cols_push(colset *cs, const void *p, size_t n, hearth_errbuf *eb)
{
	size_t c2 = cs->caplen;
	if (!HEARTH_GROW(cs->col, cs->n, cs->cap, 1) || !HEARTH_GROW(cs->len, cs->n, c2, 1))
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	cs->caplen = c2;
	uint8_t *c = malloc(n ? n : 1);
	if (!c)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	if (n)
		memcpy(c, p, n);
	cs->col[cs->n] = c;
	cs->len[cs->n++] = n;
	return HEARTH_OK;
}

static void cols_free(colset *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		free(cs->col[i]);
	free(cs->col);
	free(cs->len);
	memset(cs, 0, sizeof(*cs));
}

static hearth_err cols_add(sq *s, hs_acc *acc, colset *cs, hearth_errbuf *eb)
{
	enum { BATCH = 32 };
	hearth_err err = HEARTH_OK;
	for (size_t at = 0; !err && at < cs->n; at += BATCH) {
		size_t m = cs->n - at < BATCH ? cs->n - at : BATCH, nk = 0;
		uint8_t *got[BATCH] = {0};
		size_t gotn[BATCH] = {0}, which[BATCH];
		char *keys[BATCH] = {0};
		for (size_t i = 0; !err && i < m; i++) {
			const uint8_t *p = cs->col[at + i];
			size_t pn = cs->len[at + i];
			if (!s->blob || !is_ref(p, pn) || pn - 1 > HEARTH_BLOB_KEY_MAX)
				continue;
			if (!(keys[nk] = strndup((const char *)p + 1, pn - 1)))
				err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			which[nk++] = i;
		}
		if (!err && nk) {
			err = hearth_blob_get_many(s->blob, (const char *const *)keys, nk,
						   BLOCK_OBJ_MAX, got, gotn, eb);
			if (err == HEARTH_EINVAL) { /* not found */
				char m2[sizeof(eb->msg)];
				snprintf(m2, sizeof(m2), "%s", eb->msg);
				err = hearth_seterr(eb, HEARTH_EIO, "store: a block is missing: %s",
						    m2);
			}
		}
		for (size_t i = 0, k = 0; !err && i < m; i++) {
			if (k < nk && which[k] == i) {
				err = hs_block_add(acc, got[k], gotn[k], eb);
				k++;
			} else {
				err = block_add(s, acc, cs->col[at + i], cs->len[at + i], eb);
			}
		}
		for (size_t i = 0; i < BATCH; i++) {
			free(got[i]);
			free(keys[i]);
		}
	}
	return err;
}

/* The blocks of profiles ids, fetched together (blocks in objects). */
static hearth_err g_blocks_fetched(gather *g, const int64_t *ids, size_t n)
{
	colset cs = {0};
	hearth_err err = HEARTH_OK;
	for (size_t i = 0; !err && i < n; i++) {
		sqlite3_stmt *bq = stmt(g->c, S_BLOCK_GET);
		if (!bq) {
			err = dberr(g->c->db, g->eb, "merge");
			break;
		}
		sqlite3_bind_int64(bq, 1, ids[i]);
		if (sqlite3_step(bq) == SQLITE_ROW)
			err = cols_push(&cs, sqlite3_column_blob(bq, 0),
					(size_t)sqlite3_column_bytes(bq, 0), g->eb);
		sqlite3_reset(bq);
		g->nprofiles++;
	}
	if (!err)
		err = g_flush(g, cols_add(g->s, g->acc, &cs, g->eb));
	cols_free(&cs);
	return err;
}

/* The single profiles in [a, b) for hs_cover. */
static hearth_err g_profiles(void *ctx, int64_t a, int64_t b)
{
	gather *g = ctx;
	sqlite3_stmt *q = stmt(g->c, S_PROF_RANGE);
	if (!q)
		return dberr(g->c->db, g->eb, "merge");
	sqlite3_bind_int64(q, 1, g->x->id);
	sqlite3_bind_int64(q, 2, a);
	sqlite3_bind_int64(q, 3, b);
	int rc;
	hearth_err err = HEARTH_OK;
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (!HEARTH_GROW(ids, n, cap, 1)) {
			err = hearth_seterr(g->eb, HEARTH_ENOMEM, "out of memory");
			break;
		}
		ids[n++] = sqlite3_column_int64(q, 0);
		if ((err = g_meta(g, sqlite3_column_blob(q, 1), sqlite3_column_bytes(q, 1))))
			break;
	}
	sqlite3_reset(q);
	if (!err && rc != SQLITE_DONE)
		err = dberr(g->c->db, g->eb, "merge");
	if (!err && g->s->blob)
		err = g_blocks_fetched(g, ids, n);
	for (size_t i = 0; !err && !g->s->blob && i < n; i++) {
		sqlite3_stmt *bq = stmt(g->c, S_BLOCK_GET);
		if (!bq) {
			err = dberr(g->c->db, g->eb, "merge");
			break;
		}
		sqlite3_bind_int64(bq, 1, ids[i]);
		if (sqlite3_step(bq) == SQLITE_ROW)
			err = g_flush(g, block_add(g->s, g->acc, sqlite3_column_blob(bq, 0),
						   (size_t)sqlite3_column_bytes(bq, 0), g->eb));
		sqlite3_reset(bq);
		g->nprofiles++;
	}
	free(ids);
	return err;
}

/* The level's rollups in [first, last) for hs_cover. */
static hearth_err g_rollups(void *ctx, int level, int64_t first, int64_t last,
			    hs_rollup_row **rowsp, size_t *np)
{
	gather *g = ctx;
	sqlite3_stmt *q = stmt(g->c, S_ROLLUP_RANGE);
	if (!q)
		return dberr(g->c->db, g->eb, "merge");
	sqlite3_bind_int64(q, 1, g->x->id);
	sqlite3_bind_int64(q, 2, level);
	sqlite3_bind_int64(q, 3, first);
	sqlite3_bind_int64(q, 4, last);
	hs_rollup_row *rows = NULL;
	size_t n = 0, cap = 0;
	hearth_err err = HEARTH_OK;
	int rc;
	colset cs = {0};
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (!HEARTH_GROW(rows, n, cap, 1)) {
			err = hearth_seterr(g->eb, HEARTH_ENOMEM, "out of memory");
			break;
		}
		rows[n].bucket = sqlite3_column_int64(q, 0);
		if ((err = hs_meta_decode(sqlite3_column_blob(q, 1),
					  (size_t)sqlite3_column_bytes(q, 1), &rows[n].meta, g->eb)))
			break;
		n++;
		/* With blocks in objects, the level's rollups are fetched
		 * together once the statement is done. */
		if (g->s->blob)
			err = cols_push(&cs, sqlite3_column_blob(q, 2),
					(size_t)sqlite3_column_bytes(q, 2), g->eb);
		else
			err = g_flush(g, block_add(g->s, g->acc, sqlite3_column_blob(q, 2),
						   (size_t)sqlite3_column_bytes(q, 2), g->eb));
		if (err)
			break;
	}
	/* Done with the statement before hs_cover reads the levels below
	 * (they share it). */
	sqlite3_reset(q);
	if (!err && cs.n)
		err = g_flush(g, cols_add(g->s, g->acc, &cs, g->eb));
	cols_free(&cs);
	if (!err && rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = dberr(g->c->db, g->eb, "merge");
	*rowsp = rows;
	*np = n;
	return err;
}

/* Adds [a, b) of g's series from the rollups of level and below. */
static hearth_err g_cover(gather *g, int level, int64_t a, int64_t b)
{
	hs_walk w = {.profiles = g_profiles,
		     .rollups = g_rollups,
		     .ctx = g,
		     .skip_level = g->skip_level,
		     .meta = &g->meta,
		     .have = &g->have_meta,
		     .eb = g->eb};
	return hs_cover(&w, level, a, b);
}

/* The profile count of a gather: from the combined metadata (a rollup
 * counts its profiles there). */
static int64_t g_count(const gather *g)
{
	return g->have_meta ? g->meta.nprofiles : 0;
}

/* One series of a merge (hs_merge_series). */
static hearth_err merge_cover(void *ctx, const sseries *x, int64_t a, int64_t b, hs_acc *acc,
			      hs_meta *meta, bool *have, hearth_errbuf *eb)
{
	qctx *q = ctx;
	gather g = {
	    .s = q->s, .c = q->c, .x = (sseries *)x, .eb = eb, .skip_level = NLEVELS, .acc = acc};
	hearth_err err = g_cover(&g, NLEVELS - 1, a, b);
	if (g.have_meta && err)
		hs_meta_free(&g.meta);
	else if (g.have_meta)
		*meta = g.meta, *have = true;
	return err;
}

static hearth_err sq_merge(void *be, int64_t tenant_id, const hearth_selector *sel,
			   const char *type, int64_t from, int64_t until, unsigned flags,
			   hearth_profile **out, size_t *nprofiles, hearth_errbuf *eb)
{
	sq *s = be;
	qctx q;
	hs_acc *total = NULL;
	hs_meta meta = {0};
	hearth_err err = q_begin(s, tenant_id, sel, type, from, until, &q, eb);
	if (err)
		goto out;
	if (!q.t || !q.n) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "no profiles in the range");
		goto out;
	}
	if ((err = hs_merge_series(q.v, q.n, NULL, NULL, from, until, flags, merge_cover, &q,
				   &total, &meta, eb)))
		goto out;
	*nprofiles = (size_t)meta.nprofiles;
	err = hs_build_profile(q.t->dict, false, total, &meta, out, eb);
	if (err == HEARTH_ECORRUPT) {
		/* A put committed but not yet published its symbols: wait for
		 * it (it holds wmu until it has) and try again. */
		pthread_mutex_lock(&s->wmu);
		pthread_mutex_unlock(&s->wmu);
		eb->msg[0] = 0;
		err = hs_build_profile(q.t->dict, false, total, &meta, out, eb);
	}
	if (!err)
		hearth_profile_drop_zero_samples(*out);
out:
	if (total)
		hs_meta_free(&meta);
	hs_acc_free(total);
	q_end(&q);
	return err;
}

/* ---- list and get ---- */

static int cmp_series_id(const void *a, const void *b)
{
	int64_t x = (*(sseries *const *)a)->id, y = (*(sseries *const *)b)->id;
	return x < y ? -1 : x > y;
}

static hearth_err sq_list(void *be, int64_t tenant_id, const hearth_selector *sel, const char *type,
			  int64_t from, int64_t until, int64_t cursor, size_t limit,
			  hearth_profilelist *out, hearth_errbuf *eb)
{
	sq *s = be;
	qctx q;
	size_t cap = 0;
	hearth_err err = q_begin(s, tenant_id, sel, type, from, until, &q, eb);
	if (err || !q.t || !q.n)
		goto out;
	qsort(q.v, q.n, sizeof(*q.v), cmp_series_id);
	sqlite3_stmt *st;
	if (cursor) {
		st = stmt(q.c, S_CURSOR_TIME);
		if (!st)
			goto dbfail;
		sqlite3_bind_int64(st, 1, cursor);
		sqlite3_bind_int64(st, 2, tenant_id);
		int rc = sqlite3_step(st);
		int64_t ct = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_reset(st);
		if (rc != SQLITE_ROW) {
			err = rc == SQLITE_DONE ? hearth_seterr(eb, HEARTH_EINVAL, "bad cursor")
						: dberr(q.c->db, eb, "list");
			goto out;
		}
		if (!(st = stmt(q.c, S_LIST_NEXT)))
			goto dbfail;
		sqlite3_bind_int64(st, 1, tenant_id);
		sqlite3_bind_int64(st, 2, from);
		sqlite3_bind_int64(st, 3, ct < until ? ct : until);
		sqlite3_bind_int64(st, 4, ct < until ? cursor : INT64_MAX);
	} else {
		if (!(st = stmt(q.c, S_LIST_FIRST)))
			goto dbfail;
		sqlite3_bind_int64(st, 1, tenant_id);
		sqlite3_bind_int64(st, 2, from);
		sqlite3_bind_int64(st, 3, until);
	}
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		sseries *x = hs_series_by_id(q.v, q.n, sqlite3_column_int64(st, 1));
		if (!x)
			continue;
		int64_t id = sqlite3_column_int64(st, 0);
		if (out->n == limit) {
			out->next_cursor = out->v[out->n - 1].id;
			break;
		}
		if (!HEARTH_GROW(out->v, out->n, cap, 1) ||
		    hs_fill_info(x, id, sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
			      sqlite3_column_int64(st, 4), sqlite3_column_int64(st, 5),
			      sqlite3_column_blob(st, 6), sqlite3_column_bytes(st, 6),
			      &out->v[out->n])) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			break;
		}
		out->n++;
	}
	sqlite3_reset(st);
	if (!err && rc != SQLITE_DONE && rc != SQLITE_ROW)
		goto dbfail;
	goto out;
dbfail:
	err = dberr(q.c->db, eb, "list");
out:
	q_end(&q);
	if (err)
		hearth_profilelist_free(out);
	return err;
}

static hearth_err sq_get(void *be, int64_t tenant_id, int64_t id, hearth_profile **out,
			 hearth_profile_info *info, hearth_errbuf *eb)
{
	sq *s = be;
	tenant *t;
	conn *c = NULL;
	hs_acc *acc = NULL;
	hs_meta meta;
	bool have_meta = false;
	hearth_err err = tenant_get(s, tenant_id, false, &t, eb);
	if (err)
		return err;
	if (!t)
		return hearth_seterr(eb, HEARTH_EINVAL, "profile not found");
	if (!(c = pool_get(s, eb)))
		return HEARTH_EIO;
	if ((err = exec_simple(c, S_BEGIN, eb)))
		goto out;
	sqlite3_stmt *q = stmt(c, S_GET);
	if (!q)
		goto dbfail;
	sqlite3_bind_int64(q, 1, id);
	sqlite3_bind_int64(q, 2, tenant_id);
	int rc = sqlite3_step(q);
	if (rc != SQLITE_ROW) {
		sqlite3_reset(q);
		if (rc == SQLITE_DONE)
			err = hearth_seterr(eb, HEARTH_EINVAL, "profile not found");
		else
			goto dbfail;
		goto out;
	}
	int64_t sid = sqlite3_column_int64(q, 0);
	sseries *x = NULL;
	pthread_rwlock_rdlock(&t->lock);
	for (size_t i = 0; i < t->nseries && !x; i++)
		if (t->series[i]->id == sid)
			x = t->series[i];
	pthread_rwlock_unlock(&t->lock);
	if (!x) {
		sqlite3_reset(q);
		err = hearth_seterr(eb, HEARTH_EINVAL, "profile not found");
		goto out;
	}
	if (info && hs_fill_info(x, id, sqlite3_column_int64(q, 1), sqlite3_column_int64(q, 2),
			      sqlite3_column_int64(q, 3), sqlite3_column_int64(q, 4),
			      sqlite3_column_blob(q, 6), sqlite3_column_bytes(q, 6), info)) {
		sqlite3_reset(q);
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	err = hs_meta_decode(sqlite3_column_blob(q, 5), (size_t)sqlite3_column_bytes(q, 5), &meta,
			     eb);
	sqlite3_reset(q);
	if (err)
		goto out;
	have_meta = true;
	if (!out)
		goto out;
	if (!(acc = hs_acc_new(meta.nst, false))) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	if (!(q = stmt(c, S_BLOCK_GET)))
		goto dbfail;
	sqlite3_bind_int64(q, 1, id);
	rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		err = block_add(s, acc, sqlite3_column_blob(q, 0),
				(size_t)sqlite3_column_bytes(q, 0), eb);
	else
		err = hearth_seterr(eb, HEARTH_ECORRUPT, "store: profile %lld has no samples",
				    (long long)id);
	sqlite3_reset(q);
	if (err)
		goto out;
	err = hs_build_profile(t->dict, false, acc, &meta, out, eb);
	if (err == HEARTH_ECORRUPT) {
		pthread_mutex_lock(&s->wmu);
		pthread_mutex_unlock(&s->wmu);
		eb->msg[0] = 0;
		err = hs_build_profile(t->dict, false, acc, &meta, out, eb);
	}
	goto out;
dbfail:
	err = dberr(c->db, eb, "get");
out:
	if (err && info)
		hearth_profile_info_free(info);
	if (have_meta)
		hs_meta_free(&meta);
	hs_acc_free(acc);
	pool_put(s, c);
	return err;
}

/* ---- rollups ---- */

/* Whether a day's rollup is not worth building: its hours held two
 * profiles or more on average, yet none got a rollup (their profiles share
 * too few samples, as random walks with a random label each).  The day
 * would merge all its profiles (on such data a day of one-a-minute
 * profiles is 1.7 M samples and 600 MB) only to find the same; the hours
 * are built first (sq_compact goes level by level), so their absence is
 * that judgement. */
static hearth_err day_not_worth(conn *c, sseries *x, int64_t bucket, bool *skip,
				hearth_errbuf *eb)
{
	static const char *const sql[] = {
	    "SELECT count(*), count(DISTINCT time / 3600000000000) FROM profiles WHERE series=?1 "
	    "AND time>=?2 AND time<?3",
	    "SELECT count(*) FROM rollups WHERE series=?1 AND level=1 AND bucket>=?2 AND "
	    "bucket<?3"};
	int64_t v[3] = {0};
	*skip = false;
	for (int k = 0; k < 2; k++) {
		sqlite3_stmt *q;
		if (sqlite3_prepare_v2(c->db, sql[k], -1, &q, NULL) != SQLITE_OK)
			return dberr(c->db, eb, "rollups");
		sqlite3_bind_int64(q, 1, x->id);
		sqlite3_bind_int64(q, 2, bucket);
		sqlite3_bind_int64(q, 3, bucket + hs_level_size[NLEVELS - 1]);
		int rc = sqlite3_step(q);
		if (rc == SQLITE_ROW) {
			v[k == 0 ? 0 : 2] = sqlite3_column_int64(q, 0);
			if (k == 0)
				v[1] = sqlite3_column_int64(q, 1);
		}
		sqlite3_finalize(q);
		if (rc != SQLITE_ROW)
			return dberr(c->db, eb, "rollups");
	}
	*skip = v[2] == 0 && v[1] >= 2 && v[0] >= 2 * v[1];
	return HEARTH_OK;
}

/* Builds one bucket's rollup (the caller holds wmu, in a transaction). */
static hearth_err build_rollup(sq *s, tenant *t, sseries *x, int level, int64_t bucket, bool *built,
			       hearth_errbuf *eb)
{
	conn *c = &s->w;
	*built = false;
	if (level < FIRST_BUILT_LEVEL)
		return HEARTH_OK; /* a dirty row of an older store: cleared */
	if (level == NLEVELS - 1) {
		bool skip = false;
		hearth_err e2 = day_not_worth(c, x, bucket, &skip, eb);
		if (e2 || skip)
			return e2;
	}
	gather g = {.s = s, .c = c, .x = x, .eb = eb, .skip_level = level};
	if (!(g.acc = hs_acc_new(x->nst, true)))
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	hs_out blk = {0}, meta = {0}, ref = {0};
	hearth_err err = g_cover(&g, level - 1, bucket, bucket + hs_level_size[level]);
	sqlite3_stmt *q;
	if (err)
		goto out;
	/* Nothing to gain from a rollup of one profile (or of one lower
	 * rollup that already holds them all). */
	if (!g.have_meta || g_count(&g) < 2)
		goto out;
	/* Nor from one whose profiles share too few samples: it would cost as
	 * much to read as they do, and store them all again. */
	if (hs_acc_n(g.acc) * 10 > hs_acc_added(g.acc) * 7)
		goto out;
	if ((err = hs_block_encode(g.acc, true, &blk)))
		goto oom;
	hs_meta_encode(&g.meta, &meta);
	if (meta.oom)
		goto oom;
	if (s->blob) {
		char okey[HEARTH_BLOB_KEYLEN];
		if ((err = hearth_blob_key_rollup(okey, t->id, level, x->id, bucket, eb)) ||
		    (err = hs_block_to_object(s->blob, okey, &blk, &ref, eb)))
			goto out;
	}
	if (!(q = stmt(c, S_ROLLUP_INS))) {
		err = dberr(c->db, eb, "rollup");
		goto out;
	}
	sqlite3_bind_int64(q, 1, x->id);
	sqlite3_bind_int64(q, 2, level);
	sqlite3_bind_int64(q, 3, bucket);
	sqlite3_bind_int64(q, 4, t->id);
	sqlite3_bind_int64(q, 5, g_count(&g));
	sqlite3_bind_int64(q, 6, (int64_t)(blk.n + meta.n));
	sqlite3_bind_blob(q, 7, meta.p, (int)meta.n, SQLITE_STATIC);
	if (s->blob)
		sqlite3_bind_blob(q, 8, ref.p, (int)ref.n, SQLITE_STATIC);
	else
		sqlite3_bind_blob(q, 8, blk.p, (int)blk.n, SQLITE_STATIC);
	if (!(err = bind_step_done(c, q, eb, "rollup")))
		*built = true;
	goto out;
oom:
	err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
out:
	if (g.have_meta)
		hs_meta_free(&g.meta);
	hs_acc_free(g.acc);
	hs_out_free(&blk);
	hs_out_free(&ref);
	hs_out_free(&meta);
	return err;
}

static sseries *find_series_id(tenant *t, int64_t id)
{
	sseries *x = NULL;
	pthread_rwlock_rdlock(&t->lock);
	for (size_t i = 0; i < t->nseries && !x; i++)
		if (t->series[i]->id == id)
			x = t->series[i];
	pthread_rwlock_unlock(&t->lock);
	return x;
}

static hearth_err sq_compact(void *be, int64_t now, size_t *nbuilt, hearth_errbuf *eb)
{
	sq *s = be;
	conn *c = &s->w;
	hearth_err err = HEARTH_OK;
	for (int level = 0; level < NLEVELS && !err; level++) {
		for (;;) {
			/* Due: buckets that ended. */
			int64_t due = now - hs_level_size[level];
			typedef struct {
				int64_t series, bucket, tenant;
			} job;
			job jobs[64];
			size_t nj = 0;
			pthread_mutex_lock(&s->wmu);
			sqlite3_stmt *q = stmt(c, S_DIRTY_DUE);
			if (!q) {
				err = dberr(c->db, eb, "rollups");
				pthread_mutex_unlock(&s->wmu);
				break;
			}
			sqlite3_bind_int64(q, 1, level);
			sqlite3_bind_int64(q, 2, due);
			int rc;
			while ((rc = sqlite3_step(q)) == SQLITE_ROW && nj < 64) {
				jobs[nj].series = sqlite3_column_int64(q, 0);
				jobs[nj].bucket = sqlite3_column_int64(q, 1);
				jobs[nj].tenant = sqlite3_column_int64(q, 2);
				nj++;
			}
			sqlite3_reset(q);
			pthread_mutex_unlock(&s->wmu);
			if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
				err = dberr(c->db, eb, "rollups");
				break;
			}
			if (!nj)
				break;
			/* One transaction per bucket; puts run in between. */
			for (size_t j = 0; j < nj && !err; j++) {
				pthread_mutex_lock(&s->wmu);
				tenant *t = NULL;
				sseries *x = NULL;
				bool built = false;
				err = tenant_get(s, jobs[j].tenant, true, &t, eb);
				if (!err && t)
					x = find_series_id(t, jobs[j].series);
				if (!err && !(err = exec_simple(c, S_BEGIN_IMM, eb))) {
					if (x)
						err = build_rollup(s, t, x, level, jobs[j].bucket,
								   &built, eb);
					if (!err && (q = stmt(c, S_DIRTY_DEL))) {
						sqlite3_bind_int64(q, 1, jobs[j].series);
						sqlite3_bind_int64(q, 2, level);
						sqlite3_bind_int64(q, 3, jobs[j].bucket);
						err = bind_step_done(c, q, eb, "rollups");
					} else if (!err) {
						err = dberr(c->db, eb, "rollups");
					}
					if (!err)
						err = exec_simple(c, S_COMMIT, eb);
					if (err)
						rollback(c);
				}
				if (!err && x && x->dirty_bucket[level] == jobs[j].bucket)
					x->dirty_bucket[level] = INT64_MIN;
				if (!err && built)
					(*nbuilt)++;
				pthread_mutex_unlock(&s->wmu);
			}
			if (nj < 64)
				break;
		}
	}
	return err;
}

/* ---- retention ---- */

/* A tenant's metric points and GODEBUG logs older than its retention,
 * which the sweep deletes with its profiles. */
static hearth_err sweep_side(conn *c, int64_t tenant, int64_t cutoff, hearth_errbuf *eb)
{
	static const char *const sql[] = {"DELETE FROM metrics WHERE tenant=?1 AND time<?2",
					  "DELETE FROM godebug WHERE tenant=?1 AND time<?2"};
	for (size_t k = 0; k < sizeof(sql) / sizeof(*sql); k++) {
		sqlite3_stmt *q;
		if (sqlite3_prepare_v2(c->db, sql[k], -1, &q, NULL) != SQLITE_OK)
			return dberr(c->db, eb, "sweep");
		sqlite3_bind_int64(q, 1, tenant);
		sqlite3_bind_int64(q, 2, cutoff);
		int rc = sqlite3_step(q);
		sqlite3_finalize(q);
		if (rc != SQLITE_DONE)
			return dberr(c->db, eb, "sweep");
	}
	return HEARTH_OK;
}

/* ---- sweeping the dictionary ----
 *
 * Deletes the entries of t's dictionary that nothing stored refers to any
 * more (docs/store.md).  Mark, without the write lock: in one read
 * snapshot, each series is covered as a merge of its whole range would be
 * (rollups where there are, profiles elsewhere: a rollup refers to every
 * symbol of the profiles it holds), and the locations and label strings of
 * each block are marked, then what they refer to.  The snapshot begins
 * under the write lock, together with a tracker that every put committing
 * from then on adds its references to, so no commit falls between the two.
 * Delete, under the write lock and the dictionary's: the tracked references
 * and every entry newer than the sweep's start (committed since, or
 * pending in a put) are marked too, then the committed entries up to the
 * start that nothing marked are deleted: the chunks holding them are
 * rewritten in one transaction (kind + 4, runs of deleted ids; a chunk
 * left empty is deleted, but for the last), and once it commits they leave
 * the in-memory dictionary.  A put that interned one of them before that
 * finds so under the write lock (hs_dict_gen, hs_acc_refs_dead) and
 * interns again.  Memory: a bit per id of each kind, and one block's
 * samples at a time. */
static hearth_err dict_mark(sq *s, conn *r, tenant *t, hs_marks *live, hearth_errbuf *eb)
{
	hearth_err err = HEARTH_OK;
	pthread_rwlock_rdlock(&t->lock);
	size_t nv = t->nseries;
	sseries **v = malloc((nv + 1) * sizeof(*v));
	if (v)
		memcpy(v, t->series, nv * sizeof(*v));
	pthread_rwlock_unlock(&t->lock);
	if (!v)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	for (size_t i = 0; i < nv && !err && !live->oom; i++) {
		sqlite3_stmt *q = stmt(r, S_SERIES_MINMAX);
		if (!q) {
			err = dberr(r->db, eb, "dictionary sweep");
			break;
		}
		sqlite3_bind_int64(q, 1, v[i]->id);
		int rc = sqlite3_step(q);
		bool have = rc == SQLITE_ROW && sqlite3_column_type(q, 0) != SQLITE_NULL;
		int64_t a = have ? sqlite3_column_int64(q, 0) : 0,
			b = have ? sqlite3_column_int64(q, 1) : 0;
		sqlite3_reset(q);
		if (rc != SQLITE_ROW) {
			err = dberr(r->db, eb, "dictionary sweep");
			break;
		}
		if (!have)
			continue;
		gather g = {
		    .s = s, .c = r, .x = v[i], .eb = eb, .skip_level = NLEVELS, .marks = live};
		if (!(g.acc = hs_acc_new(v[i]->nst, true))) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			break;
		}
		err = g_cover(&g, NLEVELS - 1, a, b + 1);
		if (g.have_meta)
			hs_meta_free(&g.meta);
		hs_acc_free(g.acc);
	}
	free(v);
	return err;
}

/* A chunk of hs_dict_rewrite: the row goes, and its new form is written
 * unless it is left empty. */
typedef struct {
	sq *s;
	tenant *t;
} rewrite_ctx;

static hearth_err dict_rewrite_chunk(void *ctx, int rowkind, uint32_t first, const hs_out *o,
				     bool keep, hearth_errbuf *eb)
{
	rewrite_ctx *x = ctx;
	conn *c = &x->s->w;
	sqlite3_stmt *q = stmt(c, S_DICT_DEL);
	if (!q)
		return dberr(c->db, eb, "dictionary sweep");
	sqlite3_bind_int64(q, 1, x->t->id);
	sqlite3_bind_int64(q, 2, rowkind);
	sqlite3_bind_int64(q, 3, first);
	hearth_err err = bind_step_done(c, q, eb, "dictionary sweep");
	if (err || !keep)
		return err;
	if (!(q = stmt(c, S_DICT_INS)))
		return dberr(c->db, eb, "dictionary sweep");
	sqlite3_bind_int64(q, 1, x->t->id);
	sqlite3_bind_int64(q, 2, (rowkind % HS_NKINDS) + HS_NKINDS);
	sqlite3_bind_int64(q, 3, first);
	sqlite3_bind_blob(q, 4, o->p, (int)o->n, SQLITE_STATIC);
	return bind_step_done(c, q, eb, "dictionary sweep");
}

/* Rewrites the chunks of kind that hold doomed ids (in the caller's
 * transaction). */
static hearth_err dict_rewrite(sq *s, tenant *t, int kind, const uint32_t upto[HS_NKINDS],
			       const hs_marks *live, hearth_errbuf *eb)
{
	conn *c = &s->w;
	hearth_err err = HEARTH_OK;
	hs_chunk_row *rows = NULL;
	size_t n = 0, cap = 0;
	sqlite3_stmt *q = stmt(c, S_DICT_FIRSTS);
	if (!q)
		return dberr(c->db, eb, "dictionary sweep");
	sqlite3_bind_int64(q, 1, t->id);
	sqlite3_bind_int64(q, 2, kind);
	sqlite3_bind_int64(q, 3, kind + HS_NKINDS);
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (!HEARTH_GROW(rows, n, cap, 1)) {
			rc = SQLITE_NOMEM;
			break;
		}
		rows[n].kind = sqlite3_column_int(q, 0);
		rows[n++].first = (uint32_t)sqlite3_column_int64(q, 1);
	}
	sqlite3_reset(q);
	if (rc != SQLITE_DONE)
		err = rc == SQLITE_NOMEM ? hearth_seterr(eb, HEARTH_ENOMEM, "out of memory")
					 : dberr(c->db, eb, "dictionary sweep");
	rewrite_ctx x = {s, t};
	if (!err)
		err = hs_dict_rewrite(t->dict, kind, rows, n, upto, live, dict_rewrite_chunk, &x,
				      eb);
	free(rows);
	return err;
}

static hearth_err dict_sweep(sq *s, tenant *t, size_t killed[HS_NKINDS], hearth_errbuf *eb)
{
	hs_marks live = {0}, track = {0};
	uint32_t upto[HS_NKINDS];
	hearth_err err;
	memset(killed, 0, HS_NKINDS * sizeof(*killed));
	conn *r = pool_get(s, eb);
	if (!r)
		return HEARTH_EIO;
	/* The snapshot and the tracker begin together, under the write lock
	 * (a read transaction's snapshot is taken by its first read). */
	pthread_mutex_lock(&s->wmu);
	hs_dict_lock(t->dict);
	for (int k = 0; k < HS_NKINDS; k++)
		upto[k] = live.limit[k] = hs_dict_committed(t->dict, k);
	hs_dict_unlock(t->dict);
	/* Nothing to delete (0 would mean no limit). */
	for (int k = 0; k < HS_NKINDS; k++)
		if (!live.limit[k])
			live.limit[k] = 1;
	err = exec_simple(r, S_BEGIN, eb);
	sqlite3_stmt *q = err ? NULL : stmt(r, S_TENANT_NAME);
	if (!err && !q)
		err = dberr(r->db, eb, "dictionary sweep");
	if (q) {
		sqlite3_bind_int64(q, 1, t->id);
		if (sqlite3_step(q) == SQLITE_ERROR)
			err = dberr(r->db, eb, "dictionary sweep");
		sqlite3_reset(q);
	}
	if (!err)
		t->track = &track;
	pthread_mutex_unlock(&s->wmu);
	if (err) {
		pool_put(s, r);
		return err;
	}
	err = dict_mark(s, r, t, &live, eb);
	pool_put(s, r);
	/* What the marked entries refer to: entries up to upto never change,
	 * so this needs no lock. */
	if (!err && !live.oom)
		hs_dict_mark_closure(t->dict, upto, &live, false);

	pthread_mutex_lock(&s->wmu);
	t->track = NULL;
	conn *c = &s->w;
	bool locked_dict = false, in_tx = false;
	if (err || live.oom || track.oom)
		goto out;
	hs_dict_lock(t->dict);
	locked_dict = true;
	/* The puts of the marking and the entries since its start. */
	if (!hs_dict_settle(t->dict, upto, &live, &track))
		goto out;
	if ((err = exec_simple(c, S_BEGIN_IMM, eb)))
		goto out;
	in_tx = true;
	for (int k = 0; k < HS_NKINDS && !err; k++)
		err = dict_rewrite(s, t, k, upto, &live, eb);
	if (err || (err = exec_simple(c, S_COMMIT, eb)))
		goto out;
	in_tx = false;
	/* Committed: the ids leave the dictionary in memory.  Out of memory
	 * here leaves them in it (the database no longer has them: a restart
	 * loads the same). */
	err = hs_dict_kill(t->dict, upto, &live, killed);
	if (err)
		err = hearth_seterr(eb, err, "dictionary sweep: out of memory");
out:
	if (in_tx)
		rollback(c);
	if (locked_dict)
		hs_dict_unlock(t->dict);
	pthread_mutex_unlock(&s->wmu);
	hs_marks_free(&live);
	hs_marks_free(&track);
	return err;
}

static hearth_err sq_sweep(void *be, int64_t now, size_t *deleted, hearth_errbuf *eb)
{
	sq *s = be;
	conn *c = &s->w;
	hearth_err err = HEARTH_OK;
	int64_t *ten = NULL, *ret = NULL;
	size_t nt = 0, cap = 0, cap2 = 0;
	pthread_mutex_lock(&s->wmu);
	sqlite3_stmt *q = stmt(c, S_TENANTS_ALL);
	int rc = SQLITE_ERROR;
	if (q) {
		while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
			size_t c2 = cap2;
			if (!HEARTH_GROW(ten, nt, cap, 1) || !HEARTH_GROW(ret, nt, c2, 1)) {
				rc = SQLITE_NOMEM;
				break;
			}
			cap2 = c2;
			ten[nt] = sqlite3_column_int64(q, 0);
			ret[nt] = sqlite3_column_int64(q, 1);
			nt++;
		}
		sqlite3_reset(q);
	}
	if (rc != SQLITE_DONE)
		err = rc == SQLITE_NOMEM ? hearth_seterr(eb, HEARTH_ENOMEM, "out of memory")
					 : dberr(c->db, eb, "sweep");
	/* Expired UI sessions (a lookup refuses them already). */
	if (!err && (q = stmt(c, S_SESS_EXPIRE))) {
		sqlite3_bind_int64(q, 1, now);
		err = bind_step_done(c, q, eb, "sweep");
	} else if (!err) {
		err = dberr(c->db, eb, "sweep");
	}
	pthread_mutex_unlock(&s->wmu);
	for (size_t i = 0; i < nt && !err; i++) {
		int64_t cutoff = now - (ret[i] ? ret[i] : s->cfg.retention_nanos);
		size_t before = *deleted;
		for (;;) {
			/* One small transaction per batch: a kill loses at most a
			 * batch, which the next sweep deletes. */
			pthread_mutex_lock(&s->wmu);
			tenant *t = NULL;
			size_t nb = 0;
			if ((err = tenant_get(s, ten[i], true, &t, eb)) ||
			    (err = exec_simple(c, S_BEGIN_IMM, eb))) {
				pthread_mutex_unlock(&s->wmu);
				break;
			}
			typedef struct {
				int64_t id, series, time;
			} row;
			row rows[256];
			if (!(q = stmt(c, S_SWEEP_SEL))) {
				err = dberr(c->db, eb, "sweep");
				goto batch_end;
			}
			sqlite3_bind_int64(q, 1, ten[i]);
			sqlite3_bind_int64(q, 2, cutoff);
			while ((rc = sqlite3_step(q)) == SQLITE_ROW && nb < 256) {
				rows[nb].id = sqlite3_column_int64(q, 0);
				rows[nb].series = sqlite3_column_int64(q, 1);
				rows[nb].time = sqlite3_column_int64(q, 2);
				nb++;
			}
			sqlite3_reset(q);
			if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
				err = dberr(c->db, eb, "sweep");
				goto batch_end;
			}
			for (size_t k = 0; k < nb && !err; k++) {
				if (!(q = stmt(c, S_PROF_DEL))) {
					err = dberr(c->db, eb, "sweep");
					break;
				}
				sqlite3_bind_int64(q, 1, rows[k].id);
				if ((err = bind_step_done(c, q, eb, "sweep")))
					break;
				if (!(q = stmt(c, S_BLOCK_DEL))) {
					err = dberr(c->db, eb, "sweep");
					break;
				}
				sqlite3_bind_int64(q, 1, rows[k].id);
				if ((err = bind_step_done(c, q, eb, "sweep")))
					break;
				sseries *x = t ? find_series_id(t, rows[k].series) : NULL;
				if (x)
					err = invalidate(c, t, x, rows[k].time, false, eb);
			}
			/* The series' oldest and newest times, as they are now. */
			for (size_t k = 0; k < nb && !err && t; k++) {
				if (k && rows[k].series == rows[k - 1].series)
					continue;
				sseries *x = find_series_id(t, rows[k].series);
				if (!x || !(q = stmt(c, S_SERIES_MINMAX)))
					continue;
				sqlite3_bind_int64(q, 1, x->id);
				int64_t f = INT64_MAX, l = INT64_MIN;
				if (sqlite3_step(q) == SQLITE_ROW &&
				    sqlite3_column_type(q, 0) != SQLITE_NULL) {
					f = sqlite3_column_int64(q, 0);
					l = sqlite3_column_int64(q, 1);
				}
				sqlite3_reset(q);
				__atomic_store_n(&x->first, f, __ATOMIC_RELAXED);
				__atomic_store_n(&x->last, l, __ATOMIC_RELAXED);
			}
		batch_end:
			if (!err)
				err = exec_simple(c, S_COMMIT, eb);
			if (err)
				rollback(c);
			else
				*deleted += nb;
			if (!err && t) {
				/* Invalidated buckets are not known dirty any more. */
				pthread_rwlock_rdlock(&t->lock);
				for (size_t k = 0; k < t->nseries; k++)
					for (int l = 0; l < NLEVELS; l++)
						t->series[k]->dirty_bucket[l] = INT64_MIN;
				pthread_rwlock_unlock(&t->lock);
			}
			pthread_mutex_unlock(&s->wmu);
			if (err || nb < 256)
				break;
		}
		if (!err) {
			pthread_mutex_lock(&s->wmu);
			err = sweep_side(c, ten[i], cutoff, eb);
			pthread_mutex_unlock(&s->wmu);
		}

		/* The blocks of the days that ended before the cutoff go by
		 * prefix, now that no metadata names them (with them, any
		 * orphans and replaced rollups of those days). */
		if (!err && s->blob)
			err = hearth_blob_sweep_days(s->blob, ten[i], cutoff, NULL, eb);
		/* The tenants whose dictionary may hold symbols only deleted
		 * profiles used (swept below, once their rollups are rebuilt). */
		if (*deleted == before)
			ten[i] = 0;
	}
	/* Rollups of buckets left empty are dropped by compact (it finds
	 * nothing to build); then the dictionaries of the tenants that lost
	 * profiles are swept; the freed pages go back to the file system. */
	if (!err && *deleted) {
		size_t built;
		err = sq_compact(s, now, &built, eb);
		for (size_t i = 0; i < nt && !err; i++) {
			tenant *t = NULL;
			size_t killed[HS_NKINDS];
			if (ten[i] && !(err = tenant_get(s, ten[i], false, &t, eb)) && t)
				err = dict_sweep(s, t, killed, eb);
		}
		pthread_mutex_lock(&s->wmu);
		if (!err && sqlite3_exec(c->db, "PRAGMA incremental_vacuum;", NULL, NULL, NULL) !=
				SQLITE_OK)
			err = dberr(c->db, eb, "vacuum");
		sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
		pthread_mutex_unlock(&s->wmu);
	}
	free(ten);
	free(ret);
	return err;
}

static hearth_err sq_usage(void *be, int64_t tenant_id, hearth_usage *out, hearth_errbuf *eb)
{
	sq *s = be;
	conn *c = pool_get(s, eb);
	if (!c)
		return HEARTH_EIO;
	hearth_err err = exec_simple(c, S_BEGIN, eb);
	sqlite3_stmt *q;
	if (!err && (q = stmt(c, S_USAGE_PROF))) {
		sqlite3_bind_int64(q, 1, tenant_id);
		if (sqlite3_step(q) == SQLITE_ROW) {
			out->profiles = sqlite3_column_int64(q, 0);
			out->bytes = sqlite3_column_int64(q, 1);
			out->oldest_nanos = sqlite3_column_int64(q, 2);
			out->newest_nanos = sqlite3_column_int64(q, 3);
		}
		sqlite3_reset(q);
	}
	if (!err && (q = stmt(c, S_USAGE_ROLL))) {
		sqlite3_bind_int64(q, 1, tenant_id);
		if (sqlite3_step(q) == SQLITE_ROW)
			out->bytes += sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
	}
	if (!err && (q = stmt(c, S_USAGE_SERIES))) {
		sqlite3_bind_int64(q, 1, tenant_id);
		if (sqlite3_step(q) == SQLITE_ROW)
			out->series = sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
	}
	if (!err && (q = stmt(c, S_USAGE_DICT))) {
		sqlite3_bind_int64(q, 1, tenant_id);
		if (sqlite3_step(q) == SQLITE_ROW)
			out->dict_bytes = sqlite3_column_int64(q, 0);
		sqlite3_reset(q);
	}
	pool_put(s, c);
	tenant *t = NULL;
	if (!err && !(err = tenant_get(s, tenant_id, false, &t, eb)) && t) {
		hs_dict_lock(t->dict);
		for (int k = 0; k < HS_NKINDS; k++)
			out->dict_entries += (int64_t)hs_dict_live(t->dict, k);
		hs_dict_unlock(t->dict);
	}
	return err;
}

/* ---- metric series ---- */

static hearth_err sq_metrics_put(void *be, int64_t tenant, const char *service,
				 const char *labels, int64_t time_nanos, const hearth_metric *m,
				 size_t n, hearth_errbuf *eb)
{
	sq *s = be;
	hearth_err err = HEARTH_OK;
	sqlite3_stmt *q = NULL;
	pthread_mutex_lock(&s->wmu);
	if (sqlite3_exec(s->w.db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		err = dberr(s->w.db, eb, "metrics");
		goto out;
	}
	if (sqlite3_prepare_v2(s->w.db,
			       "INSERT OR IGNORE INTO metrics(tenant, service, labels, name, time, "
			       "value) "
			       "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
			       -1, &q, NULL) != SQLITE_OK) {
		err = dberr(s->w.db, eb, "metrics");
		goto out;
	}
	for (size_t i = 0; i < n && !err; i++) {
		sqlite3_bind_int64(q, 1, tenant);
		sqlite3_bind_text(q, 2, service, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 3, labels, -1, SQLITE_STATIC);
		sqlite3_bind_text(q, 4, m[i].name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(q, 5, time_nanos);
		sqlite3_bind_double(q, 6, m[i].value);
		if (sqlite3_step(q) != SQLITE_DONE)
			err = dberr(s->w.db, eb, "metrics");
		sqlite3_reset(q);
	}
	if (!err && sqlite3_exec(s->w.db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		err = dberr(s->w.db, eb, "metrics");
out:
	sqlite3_finalize(q);
	if (err && !sqlite3_get_autocommit(s->w.db))
		sqlite3_exec(s->w.db, "ROLLBACK", NULL, NULL, NULL);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static hearth_err sq_metrics_query(void *be, int64_t tenant, const char *service,
				   const char *name, int64_t from, int64_t until, int64_t step,
				   hearth_metric_points *out, hearth_errbuf *eb)
{
	hs_metric_rows rows = {.from = from, .step = step};
	sq *s = be;
	conn *c = pool_get(s, eb);
	if (!c)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	sqlite3_stmt *q = NULL;
	const char *sqlq =
	    name ? "SELECT labels, time, value FROM metrics WHERE tenant=?1 AND service=?2 AND "
		   "name=?3 AND time>=?4 AND time<?5 ORDER BY labels, time LIMIT ?6"
		 : "SELECT DISTINCT name FROM metrics WHERE tenant=?1 AND service=?2 AND "
		   "time>=?4 AND time<?5 ORDER BY name LIMIT ?6";
	if (sqlite3_prepare_v2(c->db, sqlq, -1, &q, NULL) != SQLITE_OK) {
		err = dberr(c->db, eb, "metrics");
		goto out;
	}
	sqlite3_bind_int64(q, 1, tenant);
	sqlite3_bind_text(q, 2, service, -1, SQLITE_STATIC);
	if (name)
		sqlite3_bind_text(q, 3, name, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, from);
	sqlite3_bind_int64(q, 5, until);
	sqlite3_bind_int64(q, 6,
			   name ? hs_metric_limit(&rows, HS_METRIC_DS_MAX_ROWS) : HS_METRIC_MAX_NAMES + 1);
	size_t capn = 0;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(q, 0);
		if (name) {
			if ((err = hs_metric_row(&rows, out, t ? t : "", sqlite3_column_int64(q, 1),
						 sqlite3_column_double(q, 2), eb)))
				break;
			continue;
		}
		if (out->names.n == HS_METRIC_MAX_NAMES) {
			err = hs_metric_names_over(eb);
			break;
		}
		char *d = strdup(t ? t : "");
		if (!d || !HEARTH_GROW(out->names.v, out->names.n, capn, 1)) {
			free(d);
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			break;
		}
		out->names.v[out->names.n++] = d;
	}
	if (!err && rc != SQLITE_DONE)
		err = dberr(c->db, eb, "metrics");
out:
	sqlite3_finalize(q);
	pool_put(s, c);
	hearth_err e2 = hs_metric_rows_end(&rows, out, eb);
	if (!err)
		err = e2;
	if (err)
		hearth_metric_points_free(out);
	return err;
}

/* ---- GODEBUG logs ---- */

static hearth_err sq_godebug_put(void *be, int64_t tenant, const char *service,
				 const char *labels, int64_t time_nanos, const char *data, size_t n,
				 int64_t *id, hearth_errbuf *eb)
{
	sq *s = be;
	hearth_err err = HEARTH_OK;
	sqlite3_stmt *q = NULL;
	pthread_mutex_lock(&s->wmu);
	if (sqlite3_prepare_v2(s->w.db,
			       "INSERT INTO godebug(tenant, service, labels, time, bytes, data) "
			       "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
			       -1, &q, NULL) != SQLITE_OK) {
		err = dberr(s->w.db, eb, "godebug");
		goto out;
	}
	sqlite3_bind_int64(q, 1, tenant);
	sqlite3_bind_text(q, 2, service, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, labels, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 4, time_nanos);
	sqlite3_bind_int64(q, 5, (sqlite3_int64)n);
	sqlite3_bind_blob64(q, 6, n ? data : "", n, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		err = dberr(s->w.db, eb, "godebug");
	else
		*id = sqlite3_last_insert_rowid(s->w.db);
out:
	sqlite3_finalize(q);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static char *col_dup(sqlite3_stmt *q, int i)
{
	const char *t = (const char *)sqlite3_column_text(q, i);
	return strdup(t ? t : "");
}

static hearth_err sq_godebug_query(void *be, int64_t tenant, const char *service, int64_t id,
				   int64_t from, int64_t until, size_t max, bool with_data,
				   hearth_godebug_logs *out, hearth_errbuf *eb)
{
	sq *s = be;
	conn *c = pool_get(s, eb);
	if (!c)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	sqlite3_stmt *q = NULL;
	size_t cap = 0;
	int rc;
	char sqlq[400];
	snprintf(sqlq, sizeof(sqlq),
		 "SELECT id, time, service, labels, bytes%s FROM godebug WHERE tenant=?1 AND %s "
		 "ORDER BY time, id LIMIT ?6",
		 with_data ? ", data" : "",
		 id > 0 ? "id=?5"
			: (service ? "service=?2 AND time>=?3 AND time<?4" : "time>=?3 AND time<?4"));
	if (sqlite3_prepare_v2(c->db, sqlq, -1, &q, NULL) != SQLITE_OK) {
		err = dberr(c->db, eb, "godebug");
		goto out;
	}
	sqlite3_bind_int64(q, 1, tenant);
	if (service)
		sqlite3_bind_text(q, 2, service, -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, from);
	sqlite3_bind_int64(q, 4, until);
	sqlite3_bind_int64(q, 5, id);
	sqlite3_bind_int64(q, 6, (sqlite3_int64)max);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (!HEARTH_GROW(out->v, out->n, cap, 1)) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			break;
		}
		hearth_godebug_log *l = &out->v[out->n++];
		memset(l, 0, sizeof(*l));
		l->id = sqlite3_column_int64(q, 0);
		l->time_nanos = sqlite3_column_int64(q, 1);
		l->service = col_dup(q, 2);
		l->labels = col_dup(q, 3);
		l->bytes = (size_t)sqlite3_column_int64(q, 4);
		if (with_data) {
			int nb = sqlite3_column_bytes(q, 5);
			const void *b = sqlite3_column_blob(q, 5);
			l->data = malloc((size_t)nb + 1);
			if (l->data) {
				if (nb)
					memcpy(l->data, b, (size_t)nb);
				l->data[nb] = 0;
				l->bytes = (size_t)nb;
			}
		}
		if (!l->service || !l->labels || (with_data && !l->data)) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			break;
		}
	}
	if (!err && rc != SQLITE_DONE && rc != SQLITE_ROW)
		err = dberr(c->db, eb, "godebug");
out:
	sqlite3_finalize(q);
	pool_put(s, c);
	if (err)
		hearth_godebug_logs_free(out);
	return err;
}

/* ---- the fleet report's opt-in ---- */

static hearth_err sq_fleet_set(void *be, int64_t tenant, bool opt_in, int64_t now,
			       hearth_errbuf *eb)
{
	sq *s = be;
	hearth_err err = HEARTH_OK;
	sqlite3_stmt *q = NULL;
	pthread_mutex_lock(&s->wmu);
	/* Only a tenant that exists gets a row. */
	if (sqlite3_prepare_v2(s->w.db,
			       "INSERT OR REPLACE INTO fleet(tenant, opt_in, changed) "
			       "SELECT id, ?2, ?3 FROM tenants WHERE id=?1",
			       -1, &q, NULL) != SQLITE_OK) {
		err = dberr(s->w.db, eb, "fleet");
		goto out;
	}
	sqlite3_bind_int64(q, 1, tenant);
	sqlite3_bind_int(q, 2, opt_in);
	sqlite3_bind_int64(q, 3, now);
	if (sqlite3_step(q) != SQLITE_DONE)
		err = dberr(s->w.db, eb, "fleet");
	else if (sqlite3_changes(s->w.db) == 0)
		err = hearth_seterr(eb, HEARTH_EINVAL, "tenant not found");
out:
	sqlite3_finalize(q);
	pthread_mutex_unlock(&s->wmu);
	return err;
}

static hearth_err sq_fleet_tenants(void *be, int64_t **ids, size_t *n, hearth_errbuf *eb)
{
	sq *s = be;
	conn *c = pool_get(s, eb);
	if (!c)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	sqlite3_stmt *q = NULL;
	size_t cap = 0;
	int rc;
	if (sqlite3_prepare_v2(c->db, "SELECT tenant FROM fleet WHERE opt_in=1 ORDER BY tenant",
			       -1, &q, NULL) != SQLITE_OK) {
		err = dberr(c->db, eb, "fleet");
		goto out;
	}
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		if (!HEARTH_GROW(*ids, *n, cap, 1)) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			break;
		}
		(*ids)[(*n)++] = sqlite3_column_int64(q, 0);
	}
	if (!err && rc != SQLITE_DONE)
		err = dberr(c->db, eb, "fleet");
out:
	sqlite3_finalize(q);
	pool_put(s, c);
	if (err) {
		free(*ids);
		*ids = NULL;
		*n = 0;
	}
	return err;
}

const hearth_store_ops hearth_store_sqlite_ops = {
    .name = "sqlite",
    .open = sq_open,
    .close = sq_close,
    .tenant_ensure = sq_tenant_ensure,
    .tenant_lookup = sq_tenant_lookup,
    .tenant_name = sq_tenant_name,
    .tenant_set_retention = sq_tenant_set_retention,
    .token_insert = sq_token_insert,
    .token_lookup = sq_token_lookup,
    .token_list = sq_token_list,
    .token_revoke = sq_token_revoke,
    .session_insert = sq_session_insert,
    .session_lookup = sq_session_lookup,
    .session_delete = sq_session_delete,
    .put = sq_put,
    .services = sq_services,
    .types = sq_types,
    .label_names = sq_label_names,
    .label_values = sq_label_values,
    .series = sq_series,
    .merge = sq_merge,
    .list = sq_list,
    .get = sq_get,
    .sweep = sq_sweep,
    .compact = sq_compact,
    .usage = sq_usage,
    .metrics_put = sq_metrics_put,
    .metrics_query = sq_metrics_query,
    .godebug_put = sq_godebug_put,
    .godebug_query = sq_godebug_query,
    .fleet_set = sq_fleet_set,
    .fleet_tenants = sq_fleet_tenants,
};
