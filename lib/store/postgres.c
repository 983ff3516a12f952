/* The shared store: PostgreSQL (libpq), for several hearth servers on one
 * database.
 *
 * Every node keeps, per tenant, the symbol dictionary and the series in
 * memory as the SQLite backend does, and catches up with what other nodes
 * wrote before it uses them: dictionary ids are handed out under a
 * per-tenant advisory lock in the database's order (a node appends a chunk
 * only after loading every chunk before it), series are created under the
 * same lock.  A put is one statement (the function hearth_put: the profile
 * row with its block, the ingest id, the rollups it makes stale and the
 * dirty buckets), so it is stored whole or not at all.  Background work is
 * shared through the database: a rollup job is a dirty row claimed with
 * FOR UPDATE SKIP LOCKED under an exclusive advisory lock of its series and
 * day (puts of that series and day hold it shared), built and cleared in one
 * transaction; the retention sweep runs on the node holding a session
 * advisory lock.  Profiles and rollups are partitioned by day, so retention
 * drops whole days; the dictionaries of the tenants that lost profiles are
 * swept after it (dict_sweep: a generation per tenant that every put checks
 * under a shared lock).  docs/store.md describes it. */
#include <endian.h>
#include <libpq-fe.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/backend.h"
#include "store/blob.h"
#include "store/catalog.h"
#include "store/codec.h"
#include "util.h"

#define NLEVELS 3
#define DAY_NANOS (86400LL * 1000000000)

/* Advisory lock keys (the one-bigint space; series and days use the
 * two-int space, which is distinct). */
#define LOCK_MIGRATE 0x6865617274680001LL
#define LOCK_PARTITION 0x6865617274680002LL
#define LOCK_SWEEP 0x6865617274680003LL
#define LOCK_TENANT_BASE 0x6865617200000000LL /* + tenant id: dictionary, series */
/* + tenant id: the dictionary's generation.  A put holds it shared (in
 * hearth_put), a dictionary sweep exclusive while it deletes. */
#define LOCK_DICT_BASE 0x6864696300000000LL
#define LOCK_DICT_BASE_SQL "7522253151538249728"

/* The two partitioned tables are locked in one order, profiles then rollups,
 * at their roots, before anything else is read of them: a transaction of
 * several statements over both (a query's snapshot, a sweep's marking, a
 * compaction) takes both first, and the DDL of day partitions (creating a
 * day, dropping one) takes both exclusively first.  Otherwise a reader
 * holding rollups and asking for a partition of profiles, and a DDL holding
 * that partition and asking for rollups, deadlock (seen: a dictionary
 * sweep's marking against a put creating its day, on two nodes).  A lock
 * on the root alone (ONLY) is enough: every read goes through the roots,
 * and locking every partition would cost a lock per day and tenant. */
#define LOCK_READ "LOCK TABLE ONLY profiles, ONLY rollups IN ACCESS SHARE MODE"
#define LOCK_WRITE "LOCK TABLE ONLY profiles, ONLY rollups IN ROW EXCLUSIVE MODE"
#define LOCK_DDL "LOCK TABLE ONLY profiles, ONLY rollups IN ACCESS EXCLUSIVE MODE"
/* A read-only snapshot over both (the lock comes before the snapshot,
 * which the first query takes). */
#define BEGIN_READ "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; " LOCK_READ

/* ---- the schema, in versions ---- */

/* The function of a put (below): migration 3 made its rollup delete name
 * the tenant, so that it touches the tenant's partition only; migration 6
 * gave it the dictionary generation the put's symbols were interned under
 * (DGEN_ARG, DGEN_CHECK: 0 is answered when it is not current). */
#define HEARTH_PUT_FN(ROLLUP_TENANT, DGEN_ARG, DGEN_CHECK) \
    "CREATE OR REPLACE FUNCTION hearth_put(p_tenant bigint, p_series bigint, p_time bigint," \
    " p_duration bigint, p_period bigint, p_bytes bigint, p_ingest text, p_meta bytea," \
    " p_totals bytea, p_data bytea" DGEN_ARG ") RETURNS bigint LANGUAGE plpgsql AS $$\n" \
    "DECLARE v_id bigint; v_old bigint; sz bigint; b bigint;\n" \
    "BEGIN\n" DGEN_CHECK \
    "  PERFORM pg_advisory_xact_lock_shared((p_series % 2147483647)::int," \
    " (floor(p_time::numeric / 86400000000000) % 2147483647)::int);\n" \
    "  v_id := nextval('profile_ids');\n" \
    "  IF p_ingest IS NOT NULL THEN\n" \
    "    INSERT INTO ingest(tenant, key, id, time) VALUES (p_tenant, p_ingest, v_id, p_time)" \
    " ON CONFLICT DO NOTHING;\n" \
    "    IF NOT FOUND THEN\n" \
    "      SELECT id INTO v_old FROM ingest WHERE tenant = p_tenant AND key = p_ingest;\n" \
    "      RETURN -v_old;\n" \
    "    END IF;\n" \
    "  END IF;\n" \
    "  INSERT INTO profiles VALUES (v_id, p_tenant, p_series, p_time, p_duration, p_period," \
    " p_bytes, p_meta, p_totals, p_data);\n" \
    "  FOREACH sz IN ARRAY ARRAY[600000000000, 3600000000000, 86400000000000]::bigint[] LOOP\n" \
    "    b := p_time - (((p_time % sz) + sz) % sz);\n" \
    "    INSERT INTO dirty(series, level, bucket, tenant) VALUES (p_series," \
    " CASE sz WHEN 600000000000 THEN 0 WHEN 3600000000000 THEN 1 ELSE 2 END, b, p_tenant)" \
    " ON CONFLICT DO NOTHING;\n" \
    "    DELETE FROM rollups WHERE series = p_series AND bucket = b AND level =" \
    " CASE sz WHEN 600000000000 THEN 0 WHEN 3600000000000 THEN 1 ELSE 2 END" ROLLUP_TENANT ";\n" \
    "  END LOOP;\n" \
    "  RETURN v_id;\n" \
    "END $$;"


static const char *const migrations[] = {
    /* 1 */
    "CREATE TABLE tenants(id bigserial PRIMARY KEY, name text NOT NULL UNIQUE,"
    " retention bigint NOT NULL DEFAULT 0, created bigint NOT NULL);"
    "CREATE TABLE tokens(id bigserial PRIMARY KEY, tenant bigint NOT NULL,"
    " hash bytea NOT NULL UNIQUE, prefix text NOT NULL, scopes int NOT NULL,"
    " description text NOT NULL, created bigint NOT NULL, last_used bigint NOT NULL"
    " DEFAULT 0, revoked bool NOT NULL DEFAULT false);"
    "CREATE INDEX tokens_tenant ON tokens(tenant, id);"
    "CREATE TABLE dict(tenant bigint NOT NULL, kind int NOT NULL, first bigint NOT NULL,"
    " data bytea NOT NULL, PRIMARY KEY(tenant, kind, first));"
    "CREATE TABLE series(id bigserial PRIMARY KEY, tenant bigint NOT NULL,"
    " service text NOT NULL, type text NOT NULL, labels text NOT NULL,"
    " sample_types text NOT NULL, default_st text NOT NULL,"
    " UNIQUE(tenant, service, type, labels, sample_types));"
    "CREATE SEQUENCE profile_ids;"
    "CREATE TABLE profiles(id bigint NOT NULL, tenant bigint NOT NULL,"
    " series bigint NOT NULL, time bigint NOT NULL, duration bigint NOT NULL,"
    " period bigint NOT NULL, bytes bigint NOT NULL, meta bytea NOT NULL,"
    " totals bytea NOT NULL, data bytea NOT NULL) PARTITION BY RANGE (time);"
    "CREATE INDEX profiles_series ON profiles(series, time);"
    "CREATE INDEX profiles_tenant ON profiles(tenant, time);"
    "CREATE INDEX profiles_id ON profiles(id);"
    "CREATE TABLE ingest(tenant bigint NOT NULL, key text NOT NULL, id bigint NOT NULL,"
    " time bigint NOT NULL, PRIMARY KEY(tenant, key));"
    "CREATE INDEX ingest_time ON ingest(time);"
    "CREATE TABLE rollups(series bigint NOT NULL, level int NOT NULL, bucket bigint NOT NULL,"
    " tenant bigint NOT NULL, nprofiles bigint NOT NULL, bytes bigint NOT NULL,"
    " meta bytea NOT NULL, data bytea NOT NULL, PRIMARY KEY(series, level, bucket))"
    " PARTITION BY RANGE (bucket);"
    "CREATE INDEX rollups_tenant ON rollups(tenant);"
    "CREATE TABLE dirty(series bigint NOT NULL, level int NOT NULL, bucket bigint NOT NULL,"
    " tenant bigint NOT NULL, PRIMARY KEY(series, level, bucket));"
    "CREATE INDEX dirty_due ON dirty(level, bucket);"
    "CREATE TABLE days(day bigint PRIMARY KEY);"
    "CREATE TABLE metrics(tenant bigint NOT NULL, service text NOT NULL, labels text NOT NULL,"
    " name text NOT NULL, time bigint NOT NULL, value float8 NOT NULL,"
    " UNIQUE(tenant, service, name, labels, time));"
    /* What the background work did, by which node: rollups built and
     * sweeps (the tests check that no bucket was built twice from the same
     * profiles). */
    "CREATE TABLE jobs(kind text NOT NULL, node text NOT NULL, at bigint NOT NULL,"
    " series bigint, level int, bucket bigint, n bigint NOT NULL);"
    /* A put, whole in one statement: the profile, its ingest id (a second
     * put with it answers the first's id, negated), the rollups it makes
     * stale and their buckets marked dirty.  The shared lock of the
     * series' day keeps a rollup of it from being built meanwhile. */
    HEARTH_PUT_FN("", "", ""),
    /* 2: GODEBUG logs and the fleet report's opt-in (as sqlite.c's). */
    "CREATE TABLE godebug(id bigserial PRIMARY KEY, tenant bigint NOT NULL,"
    " service text NOT NULL, labels text NOT NULL, time bigint NOT NULL,"
    " bytes bigint NOT NULL, data bytea NOT NULL);"
    "CREATE INDEX godebug_q ON godebug(tenant, service, time);"
    "CREATE INDEX godebug_time ON godebug(tenant, time);"
    "CREATE TABLE fleet(tenant bigint PRIMARY KEY, opt_in bool NOT NULL,"
    " changed bigint NOT NULL);",
    /* 3: days partitioned by tenant too (ensure_day): a key of a
     * partitioned table holds every partitioning column, so the rollups'
     * gets the tenant (a series is one tenant's: nothing else changes).
     * day_parts lists the days' tenant partitions (tenant 0: the default
     * one); days made before this version stay whole. */
    "CREATE TABLE day_parts(day bigint NOT NULL, tenant bigint NOT NULL,"
    " PRIMARY KEY(day, tenant));"
    "ALTER TABLE rollups DROP CONSTRAINT rollups_pkey;"
    "ALTER TABLE rollups ADD PRIMARY KEY (series, level, bucket, tenant);" HEARTH_PUT_FN(
	" AND tenant = p_tenant", "", ""),
    /* 4: objects of the store no row named when a sweep listed them, since
     * when (orphan_sweep). */
    "CREATE TABLE orphans(key text PRIMARY KEY, tenant bigint NOT NULL, day bigint NOT NULL,"
    " seen bigint NOT NULL);"
    "CREATE INDEX orphans_day ON orphans(tenant, day);",
    /* 5: the UI's sessions (store.h): the SHA-256 of the cookie's id, the
     * token that made it. */
    "CREATE TABLE sessions(hash bytea PRIMARY KEY, tenant bigint NOT NULL,"
    " token bigint NOT NULL, created bigint NOT NULL, expires bigint NOT NULL);"
    "CREATE INDEX sessions_tenant ON sessions(tenant, expires);"
    "CREATE INDEX sessions_token ON sessions(token);"
    "CREATE INDEX sessions_expires ON sessions(expires);",
    /* 6: the dictionary sweep (dict_sweep).  dict_gen counts a tenant's
     * sweeps that deleted entries; a chunk they rewrote carries the
     * generation that did (dict_sync reads again only those).  A put
     * checks, under the shared lock of the tenant's dictionary, that its
     * symbols were interned under the current generation.  The put of
     * older binaries goes: a node of before this version still running
     * fails its puts rather than store ids a sweep deleted. */
    "CREATE TABLE dict_gen(tenant bigint PRIMARY KEY, gen bigint NOT NULL);"
    "ALTER TABLE dict ADD COLUMN gen bigint NOT NULL DEFAULT 0;"
    "DROP FUNCTION hearth_put(bigint, bigint, bigint, bigint, bigint, bigint, text, bytea,"
    " bytea, bytea);" HEARTH_PUT_FN(
	" AND tenant = p_tenant", ", p_dgen bigint",
	"  PERFORM pg_advisory_xact_lock_shared(" LOCK_DICT_BASE_SQL " + p_tenant);\n"
	"  IF coalesce((SELECT gen FROM dict_gen WHERE tenant = p_tenant), 0) <> p_dgen THEN\n"
	"    RETURN 0;\n"
	"  END IF;\n"),
};
#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

/* ---- statements ---- */

enum {
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
	S_DICT_SINCE,
	S_DICT_INS,
	S_SERIES_SINCE,
	S_SERIES_INS,
	S_LOCK,
	S_PUT,
	S_RANGES,
	S_PROF_RANGE,
	S_TOTALS_RANGE,
	S_ROLLUP_RANGE,
	S_ROLLUP_INS,
	S_LIST_FIRST,
	S_LIST_NEXT,
	S_CURSOR_TIME,
	S_GET,
	S_DIRTY_DUE,
	S_DIRTY_CLAIM,
	S_TRYLOCK2,
	S_DIRTY_DEL,
	S_JOB,
	S_SWEEP_SEL,
	S_SWEEP_DEL,
	S_INGEST_DEL,
	S_LOCK2_SHARED,
	S_INVALIDATE,
	S_USAGE,
	S_METRIC_INS,
	S_METRIC_Q,
	S_METRIC_NAMES,
	S_METRIC_DEL,
	S_GODEBUG_INS,
	S_GODEBUG_ONE,
	S_GODEBUG_SVC,
	S_GODEBUG_ALL,
	S_GODEBUG_DEL,
	S_FLEET_SET,
	S_FLEET_LIST,
	S_REFS,
	S_ORPHAN_MARK,
	S_ORPHAN_DUE,
	S_ORPHAN_DEL,
	S_ORPHAN_OLD,
	S_SESS_INS,
	S_SESS_LOOKUP,
	S_SESS_DEL,
	S_SESS_EXPIRE,
	S_DICT_ROWS,
	S_DICT_DEL,
	S_DGEN_BUMP,
	S_SEQ_LAST,
	S_NEW_SERIES,
	S_NEW_BLOCKS,
	S_DICT_TOUCH,
	NSTMT
};

static const char *const sql[NSTMT] = {
    [S_TENANT_GET] = "SELECT id FROM tenants WHERE name=$1",
    [S_TENANT_INS] = "INSERT INTO tenants(name, created) VALUES($1, $2) ON CONFLICT DO NOTHING",
    [S_TENANT_NAME] = "SELECT name FROM tenants WHERE id=$1",
    [S_TENANT_RET] = "UPDATE tenants SET retention=$2 WHERE id=$1",
    [S_TENANTS_ALL] = "SELECT id, retention FROM tenants ORDER BY id",
    [S_TOK_INS] = "INSERT INTO tokens(tenant, hash, prefix, scopes, description, created) "
		  "SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM tenants WHERE "
		  "id=$1) RETURNING id",
    [S_TOK_LOOKUP] = "SELECT id, tenant, scopes::bigint, revoked::int::bigint, hash, last_used "
		     "FROM tokens WHERE hash=$1",
    [S_TOK_USED] = "UPDATE tokens SET last_used=$2 WHERE id=$1",
    [S_TOK_LIST] = "SELECT id, scopes::bigint, created, last_used, revoked::int::bigint, "
		   "description, prefix FROM tokens WHERE tenant=$1 ORDER BY id DESC LIMIT $2",
    /* The token and its sessions in one statement. */
    [S_TOK_REVOKE] = "WITH r AS (UPDATE tokens SET revoked=true WHERE id=$1 AND tenant=$2 "
		     "RETURNING id), d AS (DELETE FROM sessions WHERE token IN (SELECT id FROM r) "
		     "AND tenant=$2) SELECT id FROM r",
    /* The chunks past the counts known ($2-$5 by kind); and when the
     * generation is past the one known ($6), every chunk's first id too,
     * with the bytes of those a sweep rewrote since (dict_sync_locked).
     * One statement: the generation and the chunks of one snapshot.  The
     * first row always comes (the generation; kind NULL: no chunk). */
    [S_DICT_SINCE] = "SELECT d.kind::bigint, d.first, CASE WHEN d.first > (CASE d.kind % 4 WHEN "
		     "0 THEN $2 WHEN 1 THEN $3 WHEN 2 THEN $4 ELSE $5 END)::bigint OR d.gen > $6 "
		     "THEN d.data END, g.gen FROM (SELECT coalesce((SELECT gen FROM dict_gen "
		     "WHERE tenant=$1), 0)::bigint AS gen) g LEFT JOIN dict d ON d.tenant=$1 AND "
		     "(d.first > (CASE d.kind % 4 WHEN 0 THEN $2 WHEN 1 THEN $3 WHEN 2 THEN $4 "
		     "ELSE $5 END)::bigint OR g.gen > $6) ORDER BY d.kind % 4, d.first",
    [S_DICT_INS] = "INSERT INTO dict(tenant, kind, first, data, gen) VALUES($1, $2, $3, $4, $5)",
    [S_SERIES_SINCE] = "SELECT id, service, type, labels, sample_types, default_st FROM series "
		       "WHERE tenant=$1 AND id>$2 ORDER BY id",
    [S_SERIES_INS] = "INSERT INTO series(tenant, service, type, labels, sample_types, "
		     "default_st) VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    [S_LOCK] = "SELECT pg_advisory_xact_lock($1::bigint)",
    [S_PUT] = "SELECT hearth_put($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    [S_RANGES] = "SELECT s.id, m.mn, m.mx FROM unnest($1::bigint[]) AS s(id) CROSS JOIN "
		 "LATERAL (SELECT min(time) mn, max(time) mx FROM profiles p WHERE "
		 "p.series=s.id AND p.time>=$2 AND p.time<$3) m WHERE m.mn IS NOT NULL",
    [S_PROF_RANGE] = "SELECT meta, data FROM profiles WHERE series=$1 AND time>=$2 AND time<$3 "
		     "ORDER BY time, id",
    [S_TOTALS_RANGE] = "SELECT time, totals FROM profiles WHERE series=$1 AND time>=$2 AND "
		       "time<$3",
    [S_ROLLUP_RANGE] = "SELECT bucket, meta, data FROM rollups WHERE series=$1 AND level=$2 "
		       "AND bucket>=$3 AND bucket<$4 ORDER BY bucket",
    [S_ROLLUP_INS] = "INSERT INTO rollups(series, level, bucket, tenant, nprofiles, bytes, meta, "
		     "data) VALUES($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (series, level, "
		     "bucket, tenant) DO UPDATE SET nprofiles=excluded.nprofiles, bytes=excluded.bytes, "
		     "meta=excluded.meta, data=excluded.data",
    [S_LIST_FIRST] = "SELECT id, series, time, duration, period, bytes, totals FROM profiles "
		     "WHERE tenant=$1 AND time>=$2 AND time<$3 AND series = ANY($4::bigint[]) "
		     "ORDER BY time DESC, id DESC LIMIT $5",
    [S_LIST_NEXT] = "SELECT id, series, time, duration, period, bytes, totals FROM profiles "
		    "WHERE tenant=$1 AND time>=$2 AND (time<$3 OR (time=$3 AND id<$6)) AND "
		    "series = ANY($4::bigint[]) ORDER BY time DESC, id DESC LIMIT $5",
    [S_CURSOR_TIME] = "SELECT time FROM profiles WHERE id=$1 AND tenant=$2",
    [S_GET] = "SELECT series, time, duration, period, bytes, meta, totals, data FROM profiles "
	      "WHERE id=$1 AND tenant=$2",
    [S_DIRTY_DUE] = "SELECT series, bucket, tenant FROM dirty WHERE level=$1 AND bucket<=$2 "
		    "ORDER BY bucket LIMIT 64",
    [S_DIRTY_CLAIM] = "SELECT 1 FROM dirty WHERE series=$1 AND level=$2 AND bucket=$3 FOR "
		      "UPDATE SKIP LOCKED",
    [S_TRYLOCK2] = "SELECT pg_try_advisory_xact_lock(($1::bigint % 2147483647)::int, "
		   "(floor($2::numeric / 86400000000000) % 2147483647)::int)::int::bigint",
    [S_DIRTY_DEL] = "DELETE FROM dirty WHERE series=$1 AND level=$2 AND bucket=$3",
    [S_JOB] = "INSERT INTO jobs(kind, node, at, series, level, bucket, n) VALUES($1, $2, $3, "
	      "$4, $5, $6, $7)",
    [S_SWEEP_SEL] = "SELECT id, series, time FROM profiles WHERE tenant=$1 AND time<$2 ORDER BY "
		    "series, time LIMIT 256",
    [S_SWEEP_DEL] = "DELETE FROM profiles WHERE tenant=$1 AND id = ANY($2::bigint[]) AND "
		    "time<$3",
    [S_INGEST_DEL] = "DELETE FROM ingest WHERE tenant=$1 AND time<$2",
    [S_LOCK2_SHARED] = "SELECT pg_advisory_xact_lock_shared(($1::bigint % 2147483647)::int, "
		       "(floor($2::numeric / 86400000000000) % 2147483647)::int)",
    /* The rollups holding time $2 of series $1 are dropped and their
     * buckets marked dirty (as a put does). */
    [S_INVALIDATE] = "WITH b AS (SELECT l, $2::bigint - ((($2::bigint % sz) + sz) % sz) AS bk "
		     "FROM (VALUES (0, 600000000000::bigint), (1, 3600000000000), "
		     "(2, 86400000000000)) v(l, sz)), d AS (DELETE FROM rollups r USING b WHERE "
		     "r.series=$1 AND r.level=b.l AND r.bucket=b.bk) INSERT INTO dirty(series, "
		     "level, bucket, tenant) SELECT $1, l, bk, $3 FROM b ON CONFLICT DO NOTHING",
    [S_USAGE] = "SELECT (SELECT count(*) FROM profiles WHERE tenant=$1), (SELECT "
		"coalesce(sum(bytes), 0)::bigint FROM profiles WHERE tenant=$1) + (SELECT "
		"coalesce(sum(bytes), 0)::bigint FROM rollups WHERE tenant=$1), (SELECT "
		"coalesce(min(time), 0) FROM profiles WHERE tenant=$1), (SELECT "
		"coalesce(max(time), 0) FROM profiles WHERE tenant=$1), (SELECT count(*) FROM "
		"series WHERE tenant=$1), (SELECT coalesce(sum(length(data)), 0)::bigint FROM "
		"dict WHERE tenant=$1)",
    [S_METRIC_INS] = "INSERT INTO metrics(tenant, service, labels, name, time, value) "
		     "VALUES($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
    [S_METRIC_Q] = "SELECT labels, time, value FROM metrics WHERE tenant=$1 AND service=$2 AND "
		   "name=$3 AND time>=$4 AND time<$5 ORDER BY labels, time LIMIT $6",
    [S_METRIC_NAMES] = "SELECT DISTINCT name FROM metrics WHERE tenant=$1 AND service=$2 AND "
		       "time>=$3 AND time<$4 ORDER BY name LIMIT $5",
    [S_METRIC_DEL] = "DELETE FROM metrics WHERE tenant=$1 AND time<$2",
    [S_GODEBUG_INS] = "INSERT INTO godebug(tenant, service, labels, time, bytes, data) "
		      "VALUES($1, $2, $3, $4, $5, $6) RETURNING id",
    /* $2: whether the bytes come too (NULL in their place otherwise). */
    [S_GODEBUG_ONE] = "SELECT id, time, service, labels, bytes, CASE WHEN $2::bool THEN data "
		      "END FROM godebug WHERE tenant=$1 AND id=$3",
    [S_GODEBUG_SVC] = "SELECT id, time, service, labels, bytes, CASE WHEN $2::bool THEN data "
		      "END FROM godebug WHERE tenant=$1 AND service=$3 AND time>=$4 AND "
		      "time<$5 ORDER BY time, id LIMIT $6",
    [S_GODEBUG_ALL] = "SELECT id, time, service, labels, bytes, CASE WHEN $2::bool THEN data "
		      "END FROM godebug WHERE tenant=$1 AND time>=$3 AND time<$4 ORDER BY "
		      "time, id LIMIT $5",
    [S_GODEBUG_DEL] = "DELETE FROM godebug WHERE tenant=$1 AND time<$2",
    /* Only a tenant that exists gets a row. */
    [S_FLEET_SET] = "INSERT INTO fleet(tenant, opt_in, changed) SELECT id, $2::bool, $3 FROM "
		    "tenants WHERE id=$1 ON CONFLICT (tenant) DO UPDATE SET "
		    "opt_in=excluded.opt_in, changed=excluded.changed",
    [S_FLEET_LIST] = "SELECT tenant FROM fleet WHERE opt_in ORDER BY tenant",
    /* The object keys the rows of tenant $1 name in a day [$2, $3): a
     * profile's key has its time's day, a rollup's its bucket's. */
    [S_REFS] = "SELECT substring(data from 2) FROM profiles WHERE tenant=$1 AND time>=$2 AND "
	       "time<$3 AND substring(data from 1 for 1) = '\\x00'::bytea UNION ALL SELECT "
	       "substring(data from 2) FROM rollups WHERE tenant=$1 AND bucket>=$2 AND "
	       "bucket<$3 AND substring(data from 1 for 1) = '\\x00'::bytea",
    /* The day's unnamed keys now ($3): the ones seen before keep their
     * time, the ones named since (a put that committed late) go. */
    [S_ORPHAN_MARK] = "WITH d AS (DELETE FROM orphans WHERE tenant=$1 AND day=$2 AND NOT (key "
		      "= ANY($3::text[]))) INSERT INTO orphans(key, tenant, day, seen) SELECT k, "
		      "$1, $2, $4 FROM unnest($3::text[]) k ON CONFLICT DO NOTHING",
    [S_ORPHAN_DUE] = "SELECT key FROM orphans WHERE tenant=$1 AND day=$2 AND seen<=$3 ORDER BY "
		     "key LIMIT 10000",
    [S_ORPHAN_DEL] = "DELETE FROM orphans WHERE key=$1",
    [S_ORPHAN_OLD] = "DELETE FROM orphans WHERE tenant=$1 AND day<$2",
    /* The tenant's expired sessions go first; the count is of live ones. */
    [S_SESS_INS] = "WITH e AS (DELETE FROM sessions WHERE tenant=$2 AND expires<=$4) INSERT "
		   "INTO sessions(hash, tenant, token, created, expires) SELECT $1, $2, $3, $4, "
		   "$5 WHERE (SELECT count(*) FROM sessions WHERE tenant=$2 AND expires>$4) < $6 "
		   "RETURNING 1",
    [S_SESS_LOOKUP] = "SELECT s.tenant, t.scopes::bigint, t.revoked::int::bigint, s.hash FROM "
		      "sessions s JOIN tokens t ON t.id=s.token AND t.tenant=s.tenant WHERE "
		      "s.hash=$1 AND s.expires>$2",
    [S_SESS_DEL] = "DELETE FROM sessions WHERE hash=$1",
    [S_SESS_EXPIRE] = "DELETE FROM sessions WHERE expires<=$1",
    /* The dictionary sweep (dict_sweep). */
    [S_DICT_ROWS] = "SELECT kind::bigint, first FROM dict WHERE tenant=$1 AND kind % 4 = $2 "
		    "ORDER BY first",
    [S_DICT_DEL] = "DELETE FROM dict WHERE tenant=$1 AND kind=$2 AND first=$3",
    [S_DGEN_BUMP] = "INSERT INTO dict_gen(tenant, gen) VALUES($1, 1) ON CONFLICT (tenant) DO "
		    "UPDATE SET gen = dict_gen.gen + 1 RETURNING gen",
    /* Profile ids are taken from the sequence under the shared lock of
     * the tenant's dictionary: read under the exclusive one, the last is
     * the boundary of the profiles committed. */
    [S_SEQ_LAST] = "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM profile_ids",
    [S_NEW_SERIES] = "SELECT DISTINCT series FROM profiles WHERE tenant=$1 AND id>$2",
    [S_NEW_BLOCKS] = "SELECT data FROM profiles WHERE series=$1 AND id>$2",
    /* A chunk deleted whole ($4 its first): the one before it of its kind
     * carries the new generation ($3) too. */
    [S_DICT_TOUCH] = "UPDATE dict SET gen=$3 WHERE tenant=$1 AND kind IN ($2::int, $2::int + 4) "
		     "AND first = (SELECT max(first) FROM dict WHERE tenant=$1 AND kind IN "
		     "($2::int, $2::int + 4) AND first < $4)",
};

/* ---- connections ---- */

typedef struct {
	PGconn *pg;
	uint64_t prepared; /* bit i: sql[i] is prepared on this connection */
} conn;

/* The series and tenants in memory: catalog.h. */
typedef hs_series sseries;
_Static_assert(NLEVELS == HS_NLEVELS, "rollup levels");
_Static_assert(NSTMT <= 64, "conn.prepared has a bit per statement");
_Static_assert(LOCK_DICT_BASE == 7522253151538249728LL, "LOCK_DICT_BASE_SQL");

typedef hs_tenant tenant;

typedef struct {
	char *url;
	char node[96];
	hearth_store_config cfg;
	pthread_mutex_t pmu; /* the pool, the tenants, the days */
	conn **pool;
	size_t npool, cappool;
	tenant **tenants;
	size_t ntenants, captenants;
	int64_t *days; /* day partitions known to exist */
	size_t ndays, capdays;
	hearth_blob *blob; /* -objects: blocks in a blob store; NULL: inline */
	struct bcache *cache;
} pg;

/* ---- blocks in a blob store ----
 *
 * With -objects, a block's column (profiles.data, rollups.data) holds a
 * reference instead of the block: a 0 byte, then the object's key (as
 * sqlite.c does; a block never starts with 0).  Objects are written before
 * the statement that names them (one that is never named is an orphan,
 * which retention deletes with its day) and never rewritten, so a cache
 * of them needs no invalidation.  A merge fetches the objects of each
 * statement's rows in parallel. */
#define BLOCK_OBJ_MAX (1u << 30)

static const uint8_t *r_bytes(const PGresult *r, int row, int col, size_t *n);
#define FETCH_THREADS 8

static bool is_ref(const uint8_t *p, size_t n)
{
	return n > 1 && !p[0];
}

/* A bounded cache of objects by key, evicted oldest first. */
typedef struct bentry {
	struct bentry *next, *older;
	uint8_t *data;
	size_t n;
	char key[];
} bentry;

typedef struct bcache {
	pthread_mutex_t mu;
	bentry *slots[4096];
	bentry *oldest, *newest;
	size_t bytes, max;
} bcache;

static bcache *bcache_new(size_t max)
{
	bcache *c = calloc(1, sizeof(*c));
	if (c) {
		pthread_mutex_init(&c->mu, NULL);
		c->max = max;
	}
	return c;
}

static void bcache_free(bcache *c)
{
	if (!c)
		return;
	for (bentry *e = c->oldest, *nx; e; e = nx) {
		nx = e->older;
		free(e->data);
		free(e);
	}
	pthread_mutex_destroy(&c->mu);
	free(c);
}

static size_t bslot(const char *key)
{
	return (size_t)hearth_hash_bytes(key, strlen(key)) & 4095;
}

/* A copy of the cached object, or NULL. */
static uint8_t *bcache_get(bcache *c, const char *key, size_t *n)
{
	uint8_t *out = NULL;
	pthread_mutex_lock(&c->mu);
	for (bentry *e = c->slots[bslot(key)]; e; e = e->next)
		if (!strcmp(e->key, key)) {
			if ((out = malloc(e->n + 1))) {
				memcpy(out, e->data, e->n);
				out[e->n] = 0;
				*n = e->n;
			}
			break;
		}
	pthread_mutex_unlock(&c->mu);
	return out;
}

static void bcache_put(bcache *c, const char *key, const uint8_t *data, size_t n)
{
	if (n > c->max / 8)
		return;
	bentry *e = malloc(sizeof(*e) + strlen(key) + 1);
	uint8_t *d = malloc(n ? n : 1);
	if (!e || !d) {
		free(e);
		free(d);
		return;
	}
	strcpy(e->key, key);
	memcpy(d, data, n);
	e->data = d;
	e->n = n;
	e->older = NULL;
	pthread_mutex_lock(&c->mu);
	size_t sl = bslot(key);
	bool dup = false;
	for (bentry *x = c->slots[sl]; x && !dup; x = x->next)
		dup = !strcmp(x->key, key);
	if (dup) {
		pthread_mutex_unlock(&c->mu);
		free(d);
		free(e);
		return;
	}
	/* The list runs from the oldest (evicted first) to the newest. */
	e->next = c->slots[sl];
	c->slots[sl] = e;
	if (c->newest)
		c->newest->older = e; /* "older" links towards newer entries */
	else
		c->oldest = e;
	c->newest = e;
	c->bytes += n + sizeof(*e);
	while (c->bytes > c->max && c->oldest) {
		bentry *o = c->oldest;
		c->oldest = o->older;
		if (!c->oldest)
			c->newest = NULL;
		bentry **pp = &c->slots[bslot(o->key)];
		while (*pp && *pp != o)
			pp = &(*pp)->next;
		if (*pp)
			*pp = o->next;
		c->bytes -= o->n + sizeof(*o);
		free(o->data);
		free(o);
	}
	pthread_mutex_unlock(&c->mu);
}

typedef struct {
	pg *s;
	char key[HEARTH_BLOB_KEY_MAX + 1];
	uint8_t *data;
	size_t n;
	hearth_err err;
	hearth_errbuf eb;
} fetch;

typedef struct {
	fetch *f;
	size_t n, next;
	pthread_mutex_t mu;
} fetchq;

static void fetch_one(fetch *f)
{
	pg *s = f->s;
	if (!s->blob) {
		f->err = hearth_seterr(&f->eb, HEARTH_EIO,
				       "store: the block %s is in an object store: start with "
				       "-objects=URL",
				       f->key);
		return;
	}
	if (s->cache && (f->data = bcache_get(s->cache, f->key, &f->n)))
		return;
	f->err = hearth_blob_get(s->blob, f->key, BLOCK_OBJ_MAX, &f->data, &f->n, &f->eb);
	if (f->err == HEARTH_EINVAL) /* not found: the metadata names a lost object */
		f->err = hearth_seterr(&f->eb, HEARTH_EIO, "store: block %s is missing from %s",
				       f->key, hearth_blob_url(s->blob));
	if (!f->err && s->cache)
		bcache_put(s->cache, f->key, f->data, f->n);
}

static void *fetch_main(void *arg)
{
	fetchq *q = arg;
	for (;;) {
		pthread_mutex_lock(&q->mu);
		size_t i = q->next++;
		pthread_mutex_unlock(&q->mu);
		if (i >= q->n)
			return NULL;
		fetch_one(&q->f[i]);
	}
}

/* Adds the blocks of column col of r's rows to acc: inline ones as they
 * are, references fetched (several at once). */
static hearth_err add_blocks(pg *s, PGresult *r, int col, hs_acc *acc, hearth_errbuf *eb)
{
	int nr = PQntuples(r);
	size_t nf = 0;
	for (int i = 0; i < nr; i++) {
		size_t n;
		const uint8_t *p = r_bytes(r, i, col, &n);
		nf += is_ref(p, n);
	}
	fetch *f = nf ? calloc(nf, sizeof(*f)) : NULL;
	if (nf && !f)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	hearth_err err = HEARTH_OK;
	size_t k = 0;
	for (int i = 0; i < nr && !err; i++) {
		size_t n;
		const uint8_t *p = r_bytes(r, i, col, &n);
		if (!is_ref(p, n)) {
			err = hs_block_add(acc, p, n, eb);
			continue;
		}
		if (n - 1 > HEARTH_BLOB_KEY_MAX) {
			err =
			    hearth_seterr(eb, HEARTH_ECORRUPT, "store: a block reference too long");
			break;
		}
		f[k].s = s;
		memcpy(f[k].key, p + 1, n - 1);
		f[k].key[n - 1] = 0;
		k++;
	}
	if (!err && nf) {
		fetchq q = {.f = f, .n = nf};
		pthread_mutex_init(&q.mu, NULL);
		pthread_t th[FETCH_THREADS];
		size_t nt = 0;
		while (nf > 1 && nt < FETCH_THREADS && nt + 1 < nf &&
		       pthread_create(&th[nt], NULL, fetch_main, &q) == 0)
			nt++;
		fetch_main(&q);
		for (size_t i = 0; i < nt; i++)
			pthread_join(th[i], NULL);
		pthread_mutex_destroy(&q.mu);
		for (size_t i = 0; i < nf && !err; i++) {
			if (f[i].err) {
				err = f[i].err;
				*eb = f[i].eb;
			} else {
				err = hs_block_add(acc, f[i].data, f[i].n, eb);
			}
		}
	}
	for (size_t i = 0; i < nf; i++)
		free(f[i].data);
	free(f);
	return err;
}

static hearth_err conn_err(PGconn *c, hearth_errbuf *eb, const char *what)
{
	/* libpq's message on one line (it may hold a hint after a newline). */
	const char *m = c ? PQerrorMessage(c) : "out of memory";
	char line[320];
	size_t n = 0;
	for (const char *p = m; *p && n < sizeof(line) - 1; p++) {
		char ch = *p == '\n' || *p == '\t' || *p == '\r' ? ' ' : *p;
		if (ch == ' ' && (n == 0 || line[n - 1] == ' '))
			continue;
		line[n++] = ch;
	}
	while (n && line[n - 1] == ' ')
		n--;
	line[n] = 0;
	return hearth_seterr(eb, HEARTH_EIO, "store: %s: postgres: %s", what, line);
}

static void conn_free(conn *c)
{
	if (!c)
		return;
	if (c->pg)
		PQfinish(c->pg);
	free(c);
}

static void no_notices(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static conn *conn_new(pg *s, hearth_errbuf *eb)
{
	conn *c = calloc(1, sizeof(*c));
	if (!c) {
		hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		return NULL;
	}
	/* The URL's own settings override these (they come after). */
	const char *const kw[] = {"connect_timeout", "application_name", "dbname", NULL};
	const char *const val[] = {"5", "hearth", s->url, NULL};
	c->pg = PQconnectdbParams(kw, val, 1);
	if (!c->pg || PQstatus(c->pg) != CONNECTION_OK) {
		conn_err(c->pg, eb, "connecting");
		conn_free(c);
		return NULL;
	}
	/* libpq prints the server's notices on stderr by default; a library
	 * prints nothing. */
	PQsetNoticeProcessor(c->pg, no_notices, NULL);
	return c;
}

static void pool_flush(pg *s)
{
	pthread_mutex_lock(&s->pmu);
	conn **v = s->pool;
	size_t n = s->npool;
	s->pool = NULL;
	s->npool = s->cappool = 0;
	pthread_mutex_unlock(&s->pmu);
	for (size_t i = 0; i < n; i++)
		conn_free(v[i]);
	free(v);
}

static conn *pool_get(pg *s, hearth_errbuf *eb)
{
	conn *c = NULL;
	pthread_mutex_lock(&s->pmu);
	if (s->npool)
		c = s->pool[--s->npool];
	pthread_mutex_unlock(&s->pmu);
	return c ? c : conn_new(s, eb);
}

/* Back to the pool: a connection in a transaction is rolled back; a broken
 * one is closed, with every idle one (the server went away: they are all
 * dead, and the next call connects afresh). */
static void pool_put(pg *s, conn *c)
{
	if (!c)
		return;
	if (PQstatus(c->pg) == CONNECTION_OK && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
		PQclear(PQexec(c->pg, "ROLLBACK"));
	if (PQstatus(c->pg) != CONNECTION_OK || PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
		conn_free(c);
		pool_flush(s);
		return;
	}
	pthread_mutex_lock(&s->pmu);
	if (s->npool < 16 && HEARTH_GROW(s->pool, s->npool, s->cappool, 1)) {
		s->pool[s->npool++] = c;
		c = NULL;
	}
	pthread_mutex_unlock(&s->pmu);
	conn_free(c);
}

/* Parameters: integers and text as text, bytes as binary. */
#define MAXP 12
typedef struct {
	const char *v[MAXP];
	int len[MAXP], fmt[MAXP];
	char num[MAXP][24];
	int n;
} args;

static void a_i64(args *a, int64_t v)
{
	snprintf(a->num[a->n], sizeof(a->num[0]), "%lld", (long long)v);
	a->v[a->n] = a->num[a->n];
	a->len[a->n] = 0;
	a->fmt[a->n++] = 0;
}

static void a_text(args *a, const char *s)
{
	a->v[a->n] = s;
	a->len[a->n] = 0;
	a->fmt[a->n++] = 0;
}

static void a_bytes(args *a, const void *p, size_t n)
{
	a->v[a->n] = n ? p : "";
	a->len[a->n] = (int)n;
	a->fmt[a->n++] = 1;
}

/* Runs statement i (prepared once per connection), results in binary.
 * NULL on error (eb set). */
static PGresult *run(conn *c, int i, const args *a, hearth_errbuf *eb, const char *what)
{
	char name[16];
	snprintf(name, sizeof(name), "h%d", i);
	if (!(c->prepared & (1ULL << i))) {
		PGresult *r = PQprepare(c->pg, name, sql[i], 0, NULL);
		if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
			conn_err(c->pg, eb, what);
			PQclear(r);
			return NULL;
		}
		PQclear(r);
		c->prepared |= 1ULL << i;
	}
	PGresult *r = PQexecPrepared(c->pg, name, a ? a->n : 0, a ? a->v : NULL, a ? a->len : NULL,
				     a ? a->fmt : NULL, 1);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		conn_err(c->pg, eb, what);
		PQclear(r);
		return NULL;
	}
	return r;
}

static hearth_err run_done(conn *c, int i, const args *a, hearth_errbuf *eb, const char *what)
{
	PGresult *r = run(c, i, a, eb, what);
	if (!r)
		return HEARTH_EIO;
	PQclear(r);
	return HEARTH_OK;
}

static hearth_err exec(conn *c, const char *q, hearth_errbuf *eb, const char *what)
{
	PGresult *r = PQexec(c->pg, q);
	ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	PQclear(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
		return conn_err(c->pg, eb, what);
	return HEARTH_OK;
}

/* Binary results: bigint (int8), int (int4), float8, text, bytea. */
static int64_t r_i64(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return 0;
	const char *p = PQgetvalue(r, row, col);
	int n = PQgetlength(r, row, col);
	if (n == 8) {
		uint64_t v;
		memcpy(&v, p, 8);
		return (int64_t)be64toh(v);
	}
	if (n == 4) {
		uint32_t v;
		memcpy(&v, p, 4);
		return (int32_t)be32toh(v);
	}
	return 0;
}

static double r_f64(const PGresult *r, int row, int col)
{
	uint64_t v = (uint64_t)r_i64(r, row, col);
	double d;
	memcpy(&d, &v, 8);
	return d;
}

static const char *r_str(const PGresult *r, int row, int col)
{
	return PQgetvalue(r, row, col); /* NUL-terminated by libpq */
}

static const uint8_t *r_bytes(const PGresult *r, int row, int col, size_t *n)
{
	*n = (size_t)PQgetlength(r, row, col);
	return (const uint8_t *)PQgetvalue(r, row, col);
}

/* "{1,2,3}" for an array parameter. */
static char *id_array(sseries **v, size_t n)
{
	char *s = malloc(n * 21 + 3), *w = s;
	if (!s)
		return NULL;
	*w++ = '{';
	for (size_t i = 0; i < n; i++)
		w += sprintf(w, "%s%lld", i ? "," : "", (long long)v[i]->id);
	*w++ = '}';
	*w = 0;
	return s;
}

/* ---- opening: migrations ---- */

static void pg_close(void *be);

static hearth_err migrate(conn *c, hearth_errbuf *eb)
{
	hearth_err err;
	/* One node at a time: the others wait for the lock, then find the
	 * schema at its version. */
	char lk[96];
	snprintf(lk, sizeof(lk), "SELECT pg_advisory_xact_lock(%lld)", (long long)LOCK_MIGRATE);
	if ((err = exec(c, "BEGIN", eb, "migrations")) || (err = exec(c, lk, eb, "migrations")) ||
	    (err = exec(c,
			"CREATE TABLE IF NOT EXISTS hearth_schema(version int PRIMARY KEY,"
			" applied bigint NOT NULL)",
			eb, "migrations")))
		return err;
	PGresult *r = PQexec(c->pg, "SELECT coalesce(max(version), 0) FROM hearth_schema");
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		return conn_err(c->pg, eb, "migrations");
	}
	int have = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	if (have > (int)NMIGRATIONS)
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "store: the database's schema is version %d, newer than this "
				     "hearth's (%zu)",
				     have, NMIGRATIONS);
	for (size_t v = (size_t)have; v < NMIGRATIONS; v++) {
		char q[128];
		if ((err = exec(c, migrations[v], eb, "migrations")))
			return err;
		snprintf(q, sizeof(q), "INSERT INTO hearth_schema VALUES(%zu, %lld)", v + 1,
			 (long long)hearth_store_now());
		if ((err = exec(c, q, eb, "migrations")))
			return err;
	}
	return exec(c, "COMMIT", eb, "migrations");
}

static hearth_err pg_open(const char *url, const hearth_store_config *cfg, void **out,
			  hearth_errbuf *eb)
{
	*out = NULL;
	pg *s = calloc(1, sizeof(*s));
	if (!s || !(s->url = strdup(url))) {
		free(s);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	s->cfg = *cfg;
	if (!s->cfg.retention_nanos)
		s->cfg.retention_nanos = 14 * DAY_NANOS;
	if (!s->cfg.max_series_per_tenant)
		s->cfg.max_series_per_tenant = 100000;
	char host[64] = "?";
	gethostname(host, sizeof(host) - 1);
	snprintf(s->node, sizeof(s->node), "%.63s:%d", host, (int)getpid());
	pthread_mutex_init(&s->pmu, NULL);
	hearth_err err = HEARTH_OK;
	if (cfg->objects) {
		size_t cb = cfg->cache_bytes ? cfg->cache_bytes : 256u << 20;
		if ((err = hearth_blob_open(cfg->objects, &s->blob, eb))) {
			pg_close(s);
			return err;
		}
		/* Half the cache for blocks (the dictionaries take the rest). */
		s->cache = bcache_new(cb / 2);
	}
	conn *c = conn_new(s, eb);
	if (!c) {
		pg_close(s);
		return HEARTH_EIO;
	}
	err = migrate(c, eb);
	pool_put(s, c);
	if (err) {
		pg_close(s);
		return err;
	}
	*out = s;
	return HEARTH_OK;
}

static void pg_close(void *be)
{
	pg *s = be;
	if (!s)
		return;
	pool_flush(s);
	for (size_t i = 0; i < s->ntenants; i++)
		hs_tenant_free(s->tenants[i]);
	free(s->tenants);
	free(s->days);
	hearth_blob_close(s->blob);
	bcache_free(s->cache);
	pthread_mutex_destroy(&s->pmu);
	free(s->url);
	free(s);
}

/* ---- tenants and tokens ---- */

/* Runs a statement on a pooled connection; the result (or NULL) to the
 * caller. */
static PGresult *run1(pg *s, int i, const args *a, hearth_errbuf *eb, const char *what)
{
	conn *c = pool_get(s, eb);
	if (!c)
		return NULL;
	PGresult *r = run(c, i, a, eb, what);
	pool_put(s, c);
	return r;
}

static hearth_err pg_tenant_lookup(void *be, const char *name, int64_t *id, hearth_errbuf *eb)
{
	args a = {0};
	a_text(&a, name);
	PGresult *r = run1(be, S_TENANT_GET, &a, eb, "tenant");
	if (!r)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	if (PQntuples(r) == 1)
		*id = r_i64(r, 0, 0);
	else
		err = hearth_seterr(eb, HEARTH_EINVAL, "tenant not found");
	PQclear(r);
	return err;
}

static hearth_err pg_tenant_ensure(void *be, const char *name, int64_t *id, hearth_errbuf *eb)
{
	args a = {0};
	a_text(&a, name);
	a_i64(&a, hearth_store_now());
	PGresult *r = run1(be, S_TENANT_INS, &a, eb, "tenant");
	if (!r)
		return HEARTH_EIO;
	PQclear(r);
	return pg_tenant_lookup(be, name, id, eb);
}

static hearth_err pg_tenant_name(void *be, int64_t tenant_id, char *name, size_t namen,
				 hearth_errbuf *eb)
{
	args a = {0};
	a_i64(&a, tenant_id);
	PGresult *r = run1(be, S_TENANT_NAME, &a, eb, "tenant");
	if (!r)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	if (PQntuples(r) == 1)
		snprintf(name, namen, "%s", r_str(r, 0, 0));
	else
		err = hearth_seterr(eb, HEARTH_EINVAL, "tenant not found");
	PQclear(r);
	return err;
}

/* A write of one row by two integers; no row changed: "<nf> not found". */
static hearth_err write_one(pg *s, int i, int64_t p1, int64_t p2, const char *what, const char *nf,
			    hearth_errbuf *eb)
{
	args a = {0};
	a_i64(&a, p1);
	a_i64(&a, p2);
	PGresult *r = run1(s, i, &a, eb, what);
	if (!r)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	if (atoi(PQcmdTuples(r)) == 0)
		err = hearth_seterr(eb, HEARTH_EINVAL, "%s not found", nf);
	PQclear(r);
	return err;
}

static hearth_err pg_tenant_set_retention(void *be, int64_t tenant_id, int64_t ret,
					  hearth_errbuf *eb)
{
	return write_one(be, S_TENANT_RET, tenant_id, ret, "retention", "tenant", eb);
}

static hearth_err pg_token_insert(void *be, int64_t tenant_id, unsigned scopes, const char *desc,
				  const uint8_t hash[32], const char *prefix, int64_t now,
				  int64_t *id, hearth_errbuf *eb)
{
	args a = {0};
	a_i64(&a, tenant_id);
	a_bytes(&a, hash, 32);
	a_text(&a, prefix);
	a_i64(&a, scopes);
	a_text(&a, desc);
	a_i64(&a, now);
	PGresult *r = run1(be, S_TOK_INS, &a, eb, "token");
	if (!r)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	if (PQntuples(r) == 1)
		*id = r_i64(r, 0, 0);
	else
		err = hearth_seterr(eb, HEARTH_EINVAL, "tenant not found");
	PQclear(r);
	return err;
}

static hearth_err pg_token_lookup(void *be, const uint8_t hash[32], int64_t now, int64_t *tenant_id,
				  unsigned *scopes, bool *revoked, uint8_t stored[32],
				  int64_t *token_id, hearth_errbuf *eb)
{
	pg *s = be;
	args a = {0};
	a_bytes(&a, hash, 32);
	memset(stored, 0, 32);
	PGresult *r = run1(s, S_TOK_LOOKUP, &a, eb, "token");
	if (!r)
		return HEARTH_EIO;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return hearth_seterr(eb, HEARTH_EINVAL, "invalid token");
	}
	int64_t id = r_i64(r, 0, 0), last = r_i64(r, 0, 5);
	*token_id = id;
	*tenant_id = r_i64(r, 0, 1);
	*scopes = (unsigned)r_i64(r, 0, 2);
	*revoked = r_i64(r, 0, 3) != 0;
	size_t n;
	const uint8_t *h = r_bytes(r, 0, 4, &n);
	if (n == 32)
		memcpy(stored, h, 32);
	PQclear(r);
	/* last_used to the minute: a write per request would cost more than
	 * the request. */
	if (now - last > 60LL * 1000000000) {
		hearth_errbuf ignore;
		args u = {0};
		a_i64(&u, id);
		a_i64(&u, now);
		PQclear(run1(s, S_TOK_USED, &u, &ignore, "token"));
	}
	return HEARTH_OK;
}

static hearth_err pg_token_list(void *be, int64_t tenant_id, hearth_token_info *out, size_t max,
				size_t *n, hearth_errbuf *eb)
{
	args a = {0};
	a_i64(&a, tenant_id);
	a_i64(&a, (int64_t)max);
	PGresult *r = run1(be, S_TOK_LIST, &a, eb, "tokens");
	if (!r)
		return HEARTH_EIO;
	for (int i = 0; i < PQntuples(r) && *n < max; i++) {
		hearth_token_info *t = &out[(*n)++];
		memset(t, 0, sizeof(*t));
		t->id = r_i64(r, i, 0);
		t->scopes = (unsigned)r_i64(r, i, 1);
		t->created_nanos = r_i64(r, i, 2);
		t->last_used_nanos = r_i64(r, i, 3);
		t->revoked = r_i64(r, i, 4) != 0;
		snprintf(t->description, sizeof(t->description), "%s", r_str(r, i, 5));
		snprintf(t->prefix, sizeof(t->prefix), "%s", r_str(r, i, 6));
	}
	PQclear(r);
	return HEARTH_OK;
}

static hearth_err pg_token_revoke(void *be, int64_t tenant_id, int64_t id, hearth_errbuf *eb)
{
	args a = {0};
	a_i64(&a, id);
	a_i64(&a, tenant_id);
	PGresult *r = run1(be, S_TOK_REVOKE, &a, eb, "revoke");
	if (!r)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	if (PQntuples(r) == 0)
		err = hearth_seterr(eb, HEARTH_EINVAL, "token not found");
	PQclear(r);
	return err;
}

/* ---- sessions ---- */

static hearth_err pg_session_insert(void *be, const uint8_t hash[32], int64_t tenant_id,
				    int64_t token, int64_t now, int64_t expires, size_t max,
				    hearth_errbuf *eb)
{
	args a = {0};
	a_bytes(&a, hash, 32);
	a_i64(&a, tenant_id);
	a_i64(&a, token);
	a_i64(&a, now);
	a_i64(&a, expires);
	a_i64(&a, (int64_t)max);
	PGresult *r = run1(be, S_SESS_INS, &a, eb, "session");
	if (!r)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	if (PQntuples(r) == 0)
		err = hearth_seterr(eb, HEARTH_ETOOBIG, "too many sessions (at most %zu)", max);
	PQclear(r);
	return err;
}

static hearth_err pg_session_lookup(void *be, const uint8_t hash[32], int64_t now,
				    int64_t *tenant_id, unsigned *scopes, uint8_t stored[32],
				    hearth_errbuf *eb)
{
	args a = {0};
	a_bytes(&a, hash, 32);
	a_i64(&a, now);
	memset(stored, 0, 32);
	PGresult *r = run1(be, S_SESS_LOOKUP, &a, eb, "session");
	if (!r)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	if (PQntuples(r) != 1 || r_i64(r, 0, 2) != 0) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "invalid session");
	} else {
		*tenant_id = r_i64(r, 0, 0);
		*scopes = (unsigned)r_i64(r, 0, 1);
		size_t n;
		const uint8_t *h = r_bytes(r, 0, 3, &n);
		if (n == 32)
			memcpy(stored, h, 32);
	}
	PQclear(r);
	return err;
}

static hearth_err pg_session_delete(void *be, const uint8_t hash[32], hearth_errbuf *eb)
{
	args a = {0};
	a_bytes(&a, hash, 32);
	PGresult *r = run1(be, S_SESS_DEL, &a, eb, "session");
	if (!r)
		return HEARTH_EIO;
	PQclear(r);
	return HEARTH_OK;
}

/* ---- series and dictionary in memory, synced with the database ---- */

static sseries *series_find(tenant *t, const char *key)
{
	pthread_rwlock_rdlock(&t->lock);
	sseries *found = hs_series_find(t, key);
	pthread_rwlock_unlock(&t->lock);
	return found;
}

/* Loads the series other nodes (or this one) created since the last sync.
 * Series are created under the tenant's lock, so their ids commit in
 * order and "id > the last known" misses none. */
static hearth_err series_sync(conn *c, tenant *t, hearth_errbuf *eb)
{
	pthread_mutex_lock(&t->smu);
	pthread_rwlock_rdlock(&t->lock);
	int64_t last = t->nseries ? t->series[t->nseries - 1]->id : 0;
	pthread_rwlock_unlock(&t->lock);
	args a = {0};
	a_i64(&a, t->id);
	a_i64(&a, last);
	hearth_err err = HEARTH_OK;
	PGresult *r = run(c, S_SERIES_SINCE, &a, eb, "series");
	if (!r) {
		err = HEARTH_EIO;
		goto out;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		sseries *x = hs_series_new(r_i64(r, i, 0), r_str(r, i, 1), r_str(r, i, 2),
					r_str(r, i, 3), r_str(r, i, 4), r_str(r, i, 5));
		pthread_rwlock_wrlock(&t->lock);
		bool ok = x && hs_series_add(t, x);
		pthread_rwlock_unlock(&t->lock);
		if (!ok) {
			hs_series_free(x);
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			break;
		}
	}
	PQclear(r);
out:
	pthread_mutex_unlock(&t->smu);
	return err;
}

/* A row of S_DICT_SINCE: its kind (as stored: kind + HS_NKINDS when a
 * sweep rewrote it) and first id; false for the row of no chunk. */
static bool dict_row(const PGresult *r, int i, int *kind, uint32_t *first, hearth_errbuf *eb,
		     hearth_err *err)
{
	if (PQgetisnull(r, i, 0))
		return false;
	int64_t k = r_i64(r, i, 0), f = r_i64(r, i, 1);
	if (k < 0 || k >= 2 * HS_NKINDS || f < 1 || f > UINT32_MAX) {
		*err = hearth_seterr(eb, HEARTH_ECORRUPT, "store: bad dictionary row");
		return false;
	}
	*kind = (int)k;
	*first = (uint32_t)f;
	return true;
}

/* Another node's sweep (the generation passed the one known): the ids up
 * to the counts known (old) that the chunks no longer keep are deleted
 * here too -- out of the hash table, so the same content interned again
 * gets a new id, their bytes kept for the queries in flight.  r lists
 * every chunk; the bytes come with the ones rewritten since. */
static hearth_err dict_learn(tenant *t, const PGresult *r, const uint32_t old[HS_NKINDS],
			     hearth_errbuf *eb)
{
	hs_marks live = {0};
	hearth_err err = HEARTH_OK;
	int nr = PQntuples(r);
	for (int i = 0; i < nr && !err && !live.oom; i++) {
		int kind, nkind;
		uint32_t first, nfirst;
		if (!dict_row(r, i, &kind, &first, eb, &err) || first > old[kind % HS_NKINDS])
			continue;
		/* The chunk ends before the next one of its kind. */
		uint32_t last = old[kind % HS_NKINDS];
		if (i + 1 < nr && dict_row(r, i + 1, &nkind, &nfirst, eb, &err) &&
		    nkind % HS_NKINDS == kind % HS_NKINDS && nfirst - 1 < last)
			last = nfirst - 1;
		size_t n = 0;
		const uint8_t *p = PQgetisnull(r, i, 2) ? NULL : r_bytes(r, i, 2, &n);
		if (!err)
			err = hs_dict_mark_chunk(t->dict, kind, first, last, p, n, &live, eb);
	}
	if (!err && live.oom)
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	size_t killed[HS_NKINDS];
	if (!err && (err = hs_dict_kill(t->dict, old, &live, killed)))
		err = hearth_seterr(eb, err, "store dictionary: out of memory");
	hs_marks_free(&live);
	return err;
}

/* Loads the dictionary chunks written since the last sync, and learns the
 * deletions of the sweeps since (the caller holds the dictionary's lock,
 * with nothing pending).  A snapshot older than what is known here (a
 * query's) learns nothing: the generation never goes back. */
static hearth_err dict_sync_locked(conn *c, tenant *t, hearth_errbuf *eb)
{
	args a = {0};
	uint32_t old[HS_NKINDS];
	a_i64(&a, t->id);
	for (int k = 0; k < HS_NKINDS; k++) {
		old[k] = hs_dict_committed(t->dict, k);
		a_i64(&a, old[k]);
	}
	a_i64(&a, t->dgen);
	PGresult *r = run(c, S_DICT_SINCE, &a, eb, "dictionary");
	if (!r)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	int nr = PQntuples(r);
	int64_t gen = nr > 0 ? r_i64(r, 0, 3) : t->dgen;
	if (gen > t->dgen)
		err = dict_learn(t, r, old, eb);
	for (int i = 0; i < nr && !err; i++) {
		int kind;
		uint32_t first;
		if (!dict_row(r, i, &kind, &first, eb, &err) || first <= old[kind % HS_NKINDS])
			continue;
		size_t n;
		const uint8_t *d = r_bytes(r, i, 2, &n);
		err = hs_dict_load(t->dict, kind, first, d, n, eb);
	}
	if (!err && gen > t->dgen)
		t->dgen = gen;
	PQclear(r);
	return err;
}

static hearth_err dict_sync(conn *c, tenant *t, hearth_errbuf *eb)
{
	hs_dict_lock(t->dict);
	hearth_err err = dict_sync_locked(c, t, eb);
	hs_dict_unlock(t->dict);
	return err;
}

static tenant *tenant_cached(pg *s, int64_t id)
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

/* The tenant in memory (its series and dictionary as of now); NULL without
 * error when it does not exist. */
static hearth_err tenant_get(pg *s, conn *c, int64_t id, tenant **out, hearth_errbuf *eb)
{
	*out = tenant_cached(s, id);
	if (*out)
		return HEARTH_OK;
	args a = {0};
	a_i64(&a, id);
	PGresult *r = run(c, S_TENANT_NAME, &a, eb, "tenant");
	if (!r)
		return HEARTH_EIO;
	int found = PQntuples(r);
	PQclear(r);
	if (!found)
		return HEARTH_OK;
	tenant *t = hs_tenant_new(id);
	if (!t || !(t->dict = hs_dict_new())) {
		hs_tenant_free(t);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	hearth_err err = dict_sync(c, t, eb);
	if (!err)
		err = series_sync(c, t, eb);
	if (err) {
		hs_tenant_free(t);
		return err;
	}
	pthread_mutex_lock(&s->pmu);
	/* Another thread may have loaded it meanwhile: keep the first. */
	for (size_t i = 0; i < s->ntenants; i++)
		if (s->tenants[i]->id == id) {
			*out = s->tenants[i];
			break;
		}
	if (!*out) {
		if (HEARTH_GROW(s->tenants, s->ntenants, s->captenants, 1))
			s->tenants[s->ntenants++] = *out = t, t = NULL;
		else
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	pthread_mutex_unlock(&s->pmu);
	hs_tenant_free(t);
	return err;
}

/* ---- put ---- */

static void day_name(char *out, size_t n, const char *table, int64_t day)
{
	snprintf(out, n, "%s_d%s%lld", table, day < 0 ? "m" : "",
		 (long long)(day < 0 ? -day : day));
}

/* A day's partition of a tenant (tenant > 0) or its default partition
 * (tenant 0), under the day's (day_name). */
static void part_name(char *out, size_t n, const char *table, int64_t day, int64_t tenant)
{
	char dn[64];
	day_name(dn, sizeof(dn), table, day);
	if (tenant > 0)
		snprintf(out, n, "%s_t%lld", dn, (long long)tenant);
	else
		snprintf(out, n, "%s_def", dn);
}

/* At most this many tenants of a day get a partition of their own; the
 * others share the default one (and lose their rows one by one). */
#define MAX_TENANT_PARTS 256

/* The day partitions of profiles and rollups holding time t exist
 * (created under a lock, in a transaction of their own).  A day is
 * partitioned again by tenant (LIST): the tenants that have a retention of
 * their own when the day is made get a partition each, which the sweep
 * drops when their retention passes the day; every other tenant goes to
 * the day's default partition, dropped at the default retention.  A day
 * whose default partition a sweep dropped gets it again (a late put). */
static hearth_err ensure_day(pg *s, conn *c, int64_t t, hearth_errbuf *eb)
{
	int64_t day = hs_floor_to(t, DAY_NANOS) / DAY_NANOS;
	bool known = false;
	pthread_mutex_lock(&s->pmu);
	for (size_t i = 0; i < s->ndays && !known; i++)
		known = s->days[i] == day;
	pthread_mutex_unlock(&s->pmu);
	if (known)
		return HEARTH_OK;
	char lk[160], q[512];
	snprintf(lk, sizeof(lk), "BEGIN; SELECT pg_advisory_xact_lock(%lld); " LOCK_DDL,
		 (long long)LOCK_PARTITION);
	hearth_err err;
	if ((err = exec(c, lk, eb, "creating a day's partition")))
		goto fail;
	snprintf(q, sizeof(q),
		 "SELECT (SELECT count(*) FROM days WHERE day=%lld), (SELECT count(*) FROM "
		 "day_parts WHERE day=%lld), (SELECT count(*) FROM day_parts WHERE day=%lld AND "
		 "tenant=0), coalesce((SELECT string_agg(id::text, ',') FROM (SELECT id FROM "
		 "tenants WHERE retention<>0 ORDER BY id LIMIT %d) x), '')",
		 (long long)day, (long long)day, (long long)day, MAX_TENANT_PARTS);
	PGresult *r = PQexec(c->pg, q);
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		PQclear(r);
		err = conn_err(c->pg, eb, "creating a day's partition");
		goto fail;
	}
	bool exists = atoll(PQgetvalue(r, 0, 0)) > 0, parts = atoll(PQgetvalue(r, 0, 1)) > 0,
	     def = atoll(PQgetvalue(r, 0, 2)) > 0;
	char *mem = NULL;
	size_t memn = 0;
	FILE *f = open_memstream(&mem, &memn);
	if (!f) {
		PQclear(r);
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto fail;
	}
	long long a = (long long)(day * DAY_NANOS), b = (long long)((day + 1) * DAY_NANOS);
	static const char *const tables[] = {"profiles", "rollups"};
	for (int k = 0; k < 2; k++) {
		char dn[64], pn[96];
		day_name(dn, sizeof(dn), tables[k], day);
		if (!exists)
			fprintf(f,
				"CREATE TABLE %s PARTITION OF %s FOR VALUES FROM (%lld) TO (%lld)"
				" PARTITION BY LIST (tenant);",
				dn, tables[k], a, b);
		if (!exists || (parts && !def)) {
			part_name(pn, sizeof(pn), tables[k], day, 0);
			fprintf(f, "CREATE TABLE %s PARTITION OF %s DEFAULT;", pn, dn);
		}
		for (const char *p = PQgetvalue(r, 0, 3); !exists && *p;) {
			char *e;
			long long id = strtoll(p, &e, 10);
			part_name(pn, sizeof(pn), tables[k], day, id);
			fprintf(f, "CREATE TABLE %s PARTITION OF %s FOR VALUES IN (%lld);", pn, dn,
				id);
			if (k == 0)
				fprintf(f, "INSERT INTO day_parts VALUES (%lld, %lld);", (long long)day,
					id);
			p = *e == ',' ? e + 1 : e;
		}
	}
	if (!exists)
		fprintf(f, "INSERT INTO days VALUES (%lld);", (long long)day);
	if (!exists || (parts && !def))
		fprintf(f, "INSERT INTO day_parts VALUES (%lld, 0);", (long long)day);
	fputs("COMMIT", f);
	PQclear(r);
	bool oom = ferror(f) != 0;
	fclose(f);
	if (oom || !mem) {
		free(mem);
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto fail;
	}
	err = exec(c, mem, eb, "creating a day's partition");
	free(mem);
	if (err)
		goto fail;
	pthread_mutex_lock(&s->pmu);
	if (HEARTH_GROW(s->days, s->ndays, s->capdays, 1))
		s->days[s->ndays++] = day;
	pthread_mutex_unlock(&s->pmu);
	return HEARTH_OK;
fail:
	PQclear(PQexec(c->pg, "ROLLBACK"));
	return err;
}

static void forget_day(pg *s, int64_t t)
{
	int64_t day = hs_floor_to(t, DAY_NANOS) / DAY_NANOS;
	pthread_mutex_lock(&s->pmu);
	for (size_t k = 0; k < s->ndays; k++)
		if (s->days[k] == day)
			s->days[k--] = s->days[--s->ndays];
	pthread_mutex_unlock(&s->pmu);
}

/* The series of key, created when new (under the tenant's lock). */
static hearth_err series_ensure(pg *s, conn *c, tenant *t, const char *key, const char *service,
				const char *type, const char *labels, const char *st,
				const char *def, sseries **out, hearth_errbuf *eb)
{
	hearth_err err;
	if ((*out = series_find(t, key)))
		return HEARTH_OK;
	if ((err = series_sync(c, t, eb)))
		return err;
	if ((*out = series_find(t, key)))
		return HEARTH_OK;
	if (t->nseries >= s->cfg.max_series_per_tenant)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "too many series (at most %u)",
				     s->cfg.max_series_per_tenant);
	args l = {0}, a = {0};
	a_i64(&l, LOCK_TENANT_BASE + t->id);
	a_i64(&a, t->id);
	a_text(&a, service);
	a_text(&a, type);
	a_text(&a, labels);
	a_text(&a, st);
	a_text(&a, def);
	if ((err = exec(c, "BEGIN", eb, "series")) ||
	    (err = run_done(c, S_LOCK, &l, eb, "series")) ||
	    (err = run_done(c, S_SERIES_INS, &a, eb, "series")) ||
	    (err = exec(c, "COMMIT", eb, "series"))) {
		PQclear(PQexec(c->pg, "ROLLBACK"));
		return err;
	}
	if ((err = series_sync(c, t, eb)))
		return err;
	if (!(*out = series_find(t, key)))
		return hearth_seterr(eb, HEARTH_EIO, "store: a new series was not found");
	return HEARTH_OK;
}

/* Turns p's samples into dictionary ids.  When every symbol is known (the
 * common case: a program sends the same functions again) no lock of the
 * database is taken; new symbols are appended under the tenant's advisory
 * lock after loading what other nodes appended (and learning what sweeps
 * deleted: a new entry never refers to a deleted one), in a transaction of
 * their own, before the profile that uses them.  *gen: the dictionary's
 * generation the ids are of (the put checks it). */
static hearth_err intern(conn *c, tenant *t, const hearth_profile *p, hs_acc **acc,
			 int64_t *gen, hearth_errbuf *eb)
{
	uint32_t upto[HS_NKINDS];
	hearth_err err;
	hs_out chunk = {0};
	*acc = NULL;
	hs_dict_lock(t->dict);
	err = hs_acc_from_profile(t->dict, p, acc, eb);
	*gen = t->dgen;
	hs_dict_counts(t->dict, upto);
	bool pending = false;
	for (int k = 0; k < HS_NKINDS; k++) {
		uint32_t first;
		pending |= hs_dict_pending(t->dict, k, upto, &first) > 0;
	}
	if (!err && !pending)
		goto out;
	hs_dict_rollback(t->dict);
	hs_acc_free(*acc);
	*acc = NULL;
	if (err)
		goto out;
	args l = {0};
	a_i64(&l, LOCK_TENANT_BASE + t->id);
	if ((err = exec(c, "BEGIN", eb, "dictionary")) ||
	    (err = run_done(c, S_LOCK, &l, eb, "dictionary")) ||
	    (err = dict_sync_locked(c, t, eb)) || (err = hs_acc_from_profile(t->dict, p, acc, eb)))
		goto fail;
	*gen = t->dgen;
	hs_dict_counts(t->dict, upto);
	for (int k = 0; k < HS_NKINDS; k++) {
		uint32_t first, n = hs_dict_pending(t->dict, k, upto, &first);
		if (!n)
			continue;
		chunk.n = 0;
		hs_dict_pending_encode(t->dict, k, upto, &chunk);
		if (chunk.oom) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			goto fail;
		}
		args a = {0};
		a_i64(&a, t->id);
		a_i64(&a, k);
		a_i64(&a, first);
		a_bytes(&a, chunk.p, chunk.n);
		a_i64(&a, 0);
		if ((err = run_done(c, S_DICT_INS, &a, eb, "dictionary")))
			goto fail;
	}
	if ((err = exec(c, "COMMIT", eb, "dictionary")))
		goto fail;
	hs_dict_commit(t->dict, upto);
	goto out;
fail:
	PQclear(PQexec(c->pg, "ROLLBACK"));
	/* Whether or not the commit made it, the next sync loads what the
	 * database has. */
	hs_dict_rollback(t->dict);
	hs_acc_free(*acc);
	*acc = NULL;
out:
	hs_dict_unlock(t->dict);
	hs_out_free(&chunk);
	return err;
}

static hearth_err pg_put(void *be, int64_t tenant_id, const hearth_profile *p,
			 const hearth_put_meta *m, const char *type, int64_t *id, hearth_errbuf *eb)
{
	pg *s = be;
	hearth_err err;
	tenant *t = NULL;
	hs_acc *acc = NULL;
	hs_out block = {0}, meta = {0}, totb = {0}, stb = {0}, ref = {0};
	hs_meta hm;
	char *labels = NULL, *key = NULL;
	sseries *x = NULL;
	int64_t *totals = NULL;
	conn *c = NULL;
	bool retried = false;
	int64_t gen;
	int attempts = 0;

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
	if (!(c = pool_get(s, eb))) {
		err = HEARTH_EIO;
		goto out;
	}
	if ((err = tenant_get(s, c, tenant_id, &t, eb)))
		goto out;
	if (!t) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "tenant not found");
		goto out;
	}
	if ((err = series_ensure(s, c, t, key, m->service, type, labels, (const char *)stb.p,
				 hm.default_st, &x, eb)))
		goto out;
again:
	if ((err = intern(c, t, p, &acc, &gen, eb)))
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
	if (s->blob) {
		char okey[HEARTH_BLOB_KEYLEN];
		if ((err = hearth_blob_key_profile(okey, tenant_id, hm.time_nanos, eb)) ||
		    (err = hs_block_to_object(s->blob, okey, &block, &ref, eb)))
			goto out;
	}
	if ((err = ensure_day(s, c, hm.time_nanos, eb)))
		goto out;
retry:;
	args a = {0};
	a_i64(&a, tenant_id);
	a_i64(&a, x->id);
	a_i64(&a, hm.time_nanos);
	a_i64(&a, hm.duration_nanos);
	a_i64(&a, hm.period);
	a_i64(&a, (int64_t)(block.n + meta.n + totb.n));
	a_text(&a, m->ingest_id); /* NULL is SQL's NULL */
	a_bytes(&a, meta.p, meta.n);
	a_bytes(&a, totb.p, totb.n);
	if (s->blob)
		a_bytes(&a, ref.p, ref.n);
	else
		a_bytes(&a, block.p, block.n);
	a_i64(&a, gen);
	PGresult *r = run(c, S_PUT, &a, eb, "storing a profile");
	if (!r && !retried && strstr(eb->msg, "no partition")) {
		/* Another node's sweep dropped the day this node knew: it is
		 * made again (the next sweep drops it if it is past retention). */
		retried = true;
		forget_day(s, hm.time_nanos);
		if ((err = ensure_day(s, c, hm.time_nanos, eb)))
			goto out;
		goto retry;
	}
	if (!r) {
		err = HEARTH_EIO;
		goto out;
	}
	bool stale = PQntuples(r) == 1 && !PQgetisnull(r, 0, 0) && r_i64(r, 0, 0) == 0;
	int64_t v = PQntuples(r) == 1 ? r_i64(r, 0, 0) : 0;
	PQclear(r);
	if (stale) {
		/* A dictionary sweep since the symbols were interned: learn what
		 * it deleted; if one of this profile's references went, intern
		 * and encode again (the content gets new ids), else store it as
		 * it is under the new generation.  Rare: a sweep deletes only
		 * what nothing stored refers to. */
		if (++attempts > 4) {
			err = hearth_seterr(eb, HEARTH_EIO,
					    "store: the dictionary changed under a put");
			goto out;
		}
		if ((err = dict_sync(c, t, eb)))
			goto out;
		hs_dict_lock(t->dict);
		bool dead = hs_acc_refs_dead(acc, t->dict);
		gen = t->dgen;
		hs_dict_unlock(t->dict);
		if (!dead)
			goto retry;
		hs_acc_free(acc);
		acc = NULL;
		free(totals);
		totals = NULL;
		block.n = meta.n = totb.n = ref.n = 0;
		goto again;
	}
	if (!v) {
		err = hearth_seterr(eb, HEARTH_EIO, "store: storing a profile: no id");
		goto out;
	}
	*id = v < 0 ? -v : v;
out:
	pool_put(s, c);
	hs_acc_free(acc);
	hs_out_free(&ref);
	hs_out_free(&block);
	hs_out_free(&meta);
	hs_out_free(&totb);
	hs_out_free(&stb);
	free(labels);
	free(key);
	free(totals);
	return err;
}

/* ---- queries ---- */

typedef struct {
	pg *s;
	conn *c;
	tenant *t;
	sseries **v;
	int64_t *first, *last; /* per series: its oldest and newest profile in the range */
	size_t n;
} qctx;

/* The query's start: a connection in a read-only snapshot, the tenant
 * (synced), the matching series that have data in the range with their
 * first and last time there. */
static hearth_err q_begin(pg *s, int64_t tenant_id, const hearth_selector *sel, const char *type,
			  int64_t from, int64_t until, qctx *q, hearth_errbuf *eb)
{
	memset(q, 0, sizeof(*q));
	q->s = s;
	if (!(q->c = pool_get(s, eb)))
		return HEARTH_EIO;
	hearth_err err = exec(q->c, BEGIN_READ, eb, "query");
	if (!err)
		err = tenant_get(s, q->c, tenant_id, &q->t, eb);
	if (err || !q->t)
		return err;
	if ((err = series_sync(q->c, q->t, eb)))
		return err;
	pthread_rwlock_rdlock(&q->t->lock);
	size_t ns = q->t->nseries;
	sseries **cand = malloc((ns + 1) * sizeof(*cand));
	size_t nc = 0;
	if (cand)
		for (size_t i = 0; i < ns; i++) {
			sseries *x = q->t->series[i];
			if (type && strcmp(type, x->type))
				continue;
			if (!hearth_selector_match(sel, x->service, x->type, x->kv, x->nkv))
				continue;
			cand[nc++] = x;
		}
	pthread_rwlock_unlock(&q->t->lock);
	if (!cand)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	q->v = malloc((nc + 1) * sizeof(*q->v));
	q->first = malloc((nc + 1) * sizeof(int64_t));
	q->last = malloc((nc + 1) * sizeof(int64_t));
	char *arr = id_array(cand, nc);
	if (!q->v || !q->first || !q->last || !arr) {
		free(cand);
		free(arr);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	if (nc) {
		args a = {0};
		a_text(&a, arr);
		a_i64(&a, from);
		a_i64(&a, until);
		PGresult *r = run(q->c, S_RANGES, &a, eb, "query");
		if (!r) {
			err = HEARTH_EIO;
		} else {
			/* Keep the candidates' order (by id). */
			int nr = PQntuples(r);
			for (size_t i = 0; i < nc; i++)
				for (int k = 0; k < nr; k++)
					if (r_i64(r, k, 0) == cand[i]->id) {
						q->v[q->n] = cand[i];
						q->first[q->n] = r_i64(r, k, 1);
						q->last[q->n] = r_i64(r, k, 2);
						q->n++;
						break;
					}
			PQclear(r);
		}
	}
	free(cand);
	free(arr);
	return err;
}

static void q_end(qctx *q)
{
	pool_put(q->s, q->c);
	free(q->v);
	free(q->first);
	free(q->last);
}

static hearth_err pg_services(void *be, int64_t tenant_id, int64_t from, int64_t until,
			      hearth_strlist *out, hearth_errbuf *eb)
{
	qctx q;
	hearth_err err = q_begin(be, tenant_id, NULL, NULL, from, until, &q, eb);
	if (!err)
		err = hs_answer_services(q.v, q.n, out, eb);
	q_end(&q);
	return err;
}

static hearth_err pg_types(void *be, int64_t tenant_id, const char *service, int64_t from,
			   int64_t until, hearth_typelist *out, hearth_errbuf *eb)
{
	qctx q;
	hearth_err err = q_begin(be, tenant_id, NULL, NULL, from, until, &q, eb);
	if (!err)
		err = hs_answer_types(q.v, q.n, service, out, eb);
	q_end(&q);
	return err;
}

static hearth_err pg_label_names(void *be, int64_t tenant_id, const hearth_selector *sel,
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

static hearth_err pg_label_values(void *be, int64_t tenant_id, const hearth_selector *sel,
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

/* The totals of x's profiles in [from, until), for hs_answer_series. */
static hearth_err totals_of(void *ctx, const sseries *x, int64_t from, int64_t until,
			    hs_totals_add add, void *acc, hearth_errbuf *eb)
{
	args a = {0};
	a_i64(&a, x->id);
	a_i64(&a, from);
	a_i64(&a, until);
	PGresult *r = run(ctx, S_TOTALS_RANGE, &a, eb, "series");
	if (!r)
		return HEARTH_EIO;
	for (int row = 0; row < PQntuples(r); row++) {
		size_t tn;
		const uint8_t *tp = r_bytes(r, row, 1, &tn);
		add(acc, r_i64(r, row, 0), tp, tn);
	}
	PQclear(r);
	return HEARTH_OK;
}

static hearth_err pg_series(void *be, int64_t tenant_id, const hearth_selector *sel,
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
	pg *s;
	conn *c;
	sseries *x;
	hs_acc *acc;
	hs_meta meta;
	bool have_meta;
	hearth_errbuf *eb;
	int skip_level; /* building a rollup of this level: do not use it */
	/* A dictionary sweep's marking: the references of each statement's
	 * blocks are marked, then the accumulator is emptied again. */
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

static hearth_err g_meta(gather *g, const uint8_t *p, size_t n)
{
	return hs_meta_add(&g->meta, &g->have_meta, p, n, g->eb);
}

/* The single profiles in [a, b) for hs_cover. */
static hearth_err g_profiles(void *ctx, int64_t a, int64_t b)
{
	gather *g = ctx;
	args q = {0};
	a_i64(&q, g->x->id);
	a_i64(&q, a);
	a_i64(&q, b);
	PGresult *r = run(g->c, S_PROF_RANGE, &q, g->eb, "merge");
	if (!r)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	for (int i = 0; i < PQntuples(r) && !err; i++) {
		size_t mn;
		const uint8_t *mp = r_bytes(r, i, 0, &mn);
		err = g_meta(g, mp, mn);
	}
	if (!err)
		err = add_blocks(g->s, r, 1, g->acc, g->eb);
	PQclear(r);
	return g_flush(g, err);
}

/* The level's rollups in [first, last) for hs_cover: their blocks first,
 * together (a merge sums: order is free). */
static hearth_err g_rollups(void *ctx, int level, int64_t first, int64_t last,
			    hs_rollup_row **rowsp, size_t *np)
{
	gather *g = ctx;
	args q = {0};
	a_i64(&q, g->x->id);
	a_i64(&q, level);
	a_i64(&q, first);
	a_i64(&q, last);
	PGresult *r = run(g->c, S_ROLLUP_RANGE, &q, g->eb, "merge");
	if (!r)
		return HEARTH_EIO;
	hearth_err err = g_flush(g, add_blocks(g->s, r, 2, g->acc, g->eb));
	int nt = PQntuples(r);
	hs_rollup_row *rows = NULL;
	size_t n = 0;
	if (!err && nt > 0 && !(rows = calloc((size_t)nt, sizeof(*rows))))
		err = hearth_seterr(g->eb, HEARTH_ENOMEM, "out of memory");
	for (int i = 0; !err && i < nt; i++) {
		size_t mn;
		const uint8_t *mp = r_bytes(r, i, 1, &mn);
		rows[n].bucket = r_i64(r, i, 0);
		if (!(err = hs_meta_decode(mp, mn, &rows[n].meta, g->eb)))
			n++;
	}
	PQclear(r);
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

static hearth_err pg_merge(void *be, int64_t tenant_id, const hearth_selector *sel,
			   const char *type, int64_t from, int64_t until, unsigned flags,
			   hearth_profile **out, size_t *nprofiles, hearth_errbuf *eb)
{
	pg *s = be;
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
	if ((err = hs_merge_series(q.v, q.n, q.first, q.last, from, until, flags, merge_cover, &q,
				   &total, &meta, eb)))
		goto out;
	*nprofiles = (size_t)meta.nprofiles;
	/* The dictionary as of this snapshot: every symbol of every profile
	 * read was committed before it. */
	if (!(err = dict_sync(q.c, q.t, eb)) &&
	    !(err = hs_build_profile(q.t->dict, false, total, &meta, out, eb)))
		hearth_profile_drop_zero_samples(*out);
out:
	if (total)
		hs_meta_free(&meta);
	hs_acc_free(total);
	q_end(&q);
	return err;
}

/* ---- list and get ---- */

static hearth_err pg_list(void *be, int64_t tenant_id, const hearth_selector *sel, const char *type,
			  int64_t from, int64_t until, int64_t cursor, size_t limit,
			  hearth_profilelist *out, hearth_errbuf *eb)
{
	pg *s = be;
	qctx q;
	size_t cap = 0;
	char *arr = NULL;
	PGresult *r = NULL;
	hearth_err err = q_begin(s, tenant_id, sel, type, from, until, &q, eb);
	if (err || !q.t || !q.n)
		goto out;
	if (!(arr = id_array(q.v, q.n))) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	args a = {0};
	a_i64(&a, tenant_id);
	a_i64(&a, from);
	if (cursor) {
		args c = {0};
		a_i64(&c, cursor);
		a_i64(&c, tenant_id);
		if (!(r = run(q.c, S_CURSOR_TIME, &c, eb, "list"))) {
			err = HEARTH_EIO;
			goto out;
		}
		if (PQntuples(r) != 1) {
			err = hearth_seterr(eb, HEARTH_EINVAL, "bad cursor");
			goto out;
		}
		int64_t ct = r_i64(r, 0, 0);
		PQclear(r);
		r = NULL;
		a_i64(&a, ct < until ? ct : until);
		a_text(&a, arr);
		a_i64(&a, (int64_t)limit + 1);
		a_i64(&a, ct < until ? cursor : INT64_MAX);
		r = run(q.c, S_LIST_NEXT, &a, eb, "list");
	} else {
		a_i64(&a, until);
		a_text(&a, arr);
		a_i64(&a, (int64_t)limit + 1);
		r = run(q.c, S_LIST_FIRST, &a, eb, "list");
	}
	if (!r) {
		err = HEARTH_EIO;
		goto out;
	}
	for (int i = 0; i < PQntuples(r); i++) {
		sseries *x = hs_series_by_id(q.v, q.n, r_i64(r, i, 1));
		if (!x)
			continue;
		if (out->n == limit) {
			out->next_cursor = out->v[out->n - 1].id;
			break;
		}
		size_t tn;
		const uint8_t *tp = r_bytes(r, i, 6, &tn);
		if (!HEARTH_GROW(out->v, out->n, cap, 1) ||
		    hs_fill_info(x, r_i64(r, i, 0), r_i64(r, i, 2), r_i64(r, i, 3), r_i64(r, i, 4),
			      r_i64(r, i, 5), tp, tn, &out->v[out->n])) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			break;
		}
		out->n++;
	}
out:
	PQclear(r);
	free(arr);
	q_end(&q);
	if (err)
		hearth_profilelist_free(out);
	return err;
}

static hearth_err pg_get(void *be, int64_t tenant_id, int64_t id, hearth_profile **out,
			 hearth_profile_info *info, hearth_errbuf *eb)
{
	pg *s = be;
	tenant *t = NULL;
	hs_acc *acc = NULL;
	hs_meta meta;
	bool have_meta = false;
	PGresult *r = NULL;
	conn *c = pool_get(s, eb);
	if (!c)
		return HEARTH_EIO;
	hearth_err err = exec(c, BEGIN_READ, eb, "get");
	if (!err)
		err = tenant_get(s, c, tenant_id, &t, eb);
	if (err)
		goto out;
	if (!t) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "profile not found");
		goto out;
	}
	args a = {0};
	a_i64(&a, id);
	a_i64(&a, tenant_id);
	if (!(r = run(c, S_GET, &a, eb, "get"))) {
		err = HEARTH_EIO;
		goto out;
	}
	if (PQntuples(r) != 1) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "profile not found");
		goto out;
	}
	int64_t sid = r_i64(r, 0, 0);
	sseries *x = NULL;
	for (int pass = 0; pass < 2 && !x; pass++) {
		if (pass && (err = series_sync(c, t, eb)))
			goto out;
		pthread_rwlock_rdlock(&t->lock);
		x = hs_series_by_id(t->series, t->nseries, sid);
		pthread_rwlock_unlock(&t->lock);
	}
	if (!x) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "profile not found");
		goto out;
	}
	size_t tn, mn;
	const uint8_t *tp = r_bytes(r, 0, 6, &tn), *mp = r_bytes(r, 0, 5, &mn);
	if (info && hs_fill_info(x, id, r_i64(r, 0, 1), r_i64(r, 0, 2), r_i64(r, 0, 3), r_i64(r, 0, 4),
			      tp, tn, info)) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	if ((err = hs_meta_decode(mp, mn, &meta, eb)))
		goto out;
	have_meta = true;
	if (!out)
		goto out;
	if (!(acc = hs_acc_new(meta.nst, false))) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	if ((err = add_blocks(s, r, 7, acc, eb)) || (err = dict_sync(c, t, eb)))
		goto out;
	err = hs_build_profile(t->dict, false, acc, &meta, out, eb);
out:
	if (err && info)
		hearth_profile_info_free(info);
	if (have_meta)
		hs_meta_free(&meta);
	PQclear(r);
	hs_acc_free(acc);
	pool_put(s, c);
	return err;
}

/* ---- rollups ---- */

static hearth_err build_rollup(pg *s, conn *c, tenant *t, sseries *x, int level, int64_t bucket,
			       int64_t *built, hearth_errbuf *eb)
{
	*built = 0;
	gather g = {.s = s, .c = c, .x = x, .eb = eb, .skip_level = level};
	if (!(g.acc = hs_acc_new(x->nst, true)))
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	hs_out blk = {0}, meta = {0}, ref = {0};
	hearth_err err = g_cover(&g, level - 1, bucket, bucket + hs_level_size[level]);
	if (err)
		goto out;
	/* Nothing to gain from a rollup of one profile, nor from one whose
	 * profiles share too few samples (as sqlite.c). */
	if (!g.have_meta || g_count(&g) < 2)
		goto out;
	if (hs_acc_n(g.acc) * 10 > hs_acc_added(g.acc) * 7)
		goto out;
	if ((err = hs_block_encode(g.acc, true, &blk))) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	hs_meta_encode(&g.meta, &meta);
	if (meta.oom) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	args a = {0};
	a_i64(&a, x->id);
	a_i64(&a, level);
	a_i64(&a, bucket);
	a_i64(&a, t->id);
	a_i64(&a, g_count(&g));
	a_i64(&a, (int64_t)(blk.n + meta.n));
	a_bytes(&a, meta.p, meta.n);
	if (s->blob) {
		/* The object first; the rollup it may replace leaves an orphan,
		 * deleted with its day. */
		char okey[HEARTH_BLOB_KEYLEN];
		if ((err = hearth_blob_key_rollup(okey, t->id, level, x->id, bucket, eb)) ||
		    (err = hs_block_to_object(s->blob, okey, &blk, &ref, eb)))
			goto out;
		a_bytes(&a, ref.p, ref.n);
	} else {
		a_bytes(&a, blk.p, blk.n);
	}
	if (!(err = run_done(c, S_ROLLUP_INS, &a, eb, "rollup")))
		*built = g_count(&g);
out:
	if (g.have_meta)
		hs_meta_free(&g.meta);
	hs_acc_free(g.acc);
	hs_out_free(&blk);
	hs_out_free(&meta);
	hs_out_free(&ref);
	return err;
}

/* One dirty bucket, if no other node has it and no put of its series and
 * day is in flight: built and cleared in one transaction.  A node killed
 * meanwhile leaves the dirty row, which the next compaction claims. */
static hearth_err compact_one(pg *s, conn *c, int level, int64_t series, int64_t bucket,
			      int64_t tenant_id, size_t *nbuilt, size_t *ndone, hearth_errbuf *eb)
{
	args a = {0}, l = {0};
	a_i64(&a, series);
	a_i64(&a, level);
	a_i64(&a, bucket);
	a_i64(&l, series);
	a_i64(&l, bucket);
	hearth_err err = exec(c, "BEGIN; " LOCK_WRITE, eb, "rollups");
	PGresult *r = NULL;
	if (err)
		return err;
	if (!(r = run(c, S_DIRTY_CLAIM, &a, eb, "rollups")))
		goto fail;
	bool claimed = PQntuples(r) == 1;
	PQclear(r);
	if (!claimed)
		return exec(c, "ROLLBACK", eb, "rollups");
	if (!(r = run(c, S_TRYLOCK2, &l, eb, "rollups")))
		goto fail;
	bool locked = PQntuples(r) == 1 && r_i64(r, 0, 0) == 1;
	PQclear(r);
	if (!locked)
		return exec(c, "ROLLBACK", eb, "rollups");
	tenant *t = NULL;
	sseries *x = NULL;
	if ((err = tenant_get(s, c, tenant_id, &t, eb)))
		goto fail_err;
	if (t) {
		pthread_rwlock_rdlock(&t->lock);
		x = hs_series_by_id(t->series, t->nseries, series);
		pthread_rwlock_unlock(&t->lock);
		if (!x && !(err = series_sync(c, t, eb))) {
			pthread_rwlock_rdlock(&t->lock);
			x = hs_series_by_id(t->series, t->nseries, series);
			pthread_rwlock_unlock(&t->lock);
		}
		if (err)
			goto fail_err;
	}
	int64_t built = 0;
	if (x && (err = build_rollup(s, c, t, x, level, bucket, &built, eb)))
		goto fail_err;
	if ((err = run_done(c, S_DIRTY_DEL, &a, eb, "rollups")))
		goto fail_err;
	if (built) {
		args j = {0};
		a_text(&j, "rollup");
		a_text(&j, s->node);
		a_i64(&j, hearth_store_now());
		a_i64(&j, series);
		a_i64(&j, level);
		a_i64(&j, bucket);
		a_i64(&j, built);
		if ((err = run_done(c, S_JOB, &j, eb, "rollups")))
			goto fail_err;
	}
	if ((err = exec(c, "COMMIT", eb, "rollups")))
		goto fail_err;
	if (built)
		(*nbuilt)++;
	(*ndone)++;
	return HEARTH_OK;
fail:
	err = HEARTH_EIO;
fail_err:
	PQclear(PQexec(c->pg, "ROLLBACK"));
	return err;
}

static hearth_err pg_compact(void *be, int64_t now, size_t *nbuilt, hearth_errbuf *eb)
{
	pg *s = be;
	conn *c = pool_get(s, eb);
	if (!c)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	for (int level = 0; level < NLEVELS && !err; level++) {
		/* Candidates by 64, each claimed on its own; the ones that are
		 * busy (another node has them, puts in flight) are left for the
		 * next round, so a batch where nothing was done ends the level. */
		for (;;) {
			args a = {0};
			a_i64(&a, level);
			a_i64(&a, now - hs_level_size[level]);
			PGresult *r = run(c, S_DIRTY_DUE, &a, eb, "rollups");
			if (!r) {
				err = HEARTH_EIO;
				break;
			}
			size_t done = 0;
			int nr = PQntuples(r);
			for (int i = 0; i < nr && !err; i++)
				err = compact_one(s, c, level, r_i64(r, i, 0), r_i64(r, i, 1),
						  r_i64(r, i, 2), nbuilt, &done, eb);
			PQclear(r);
			if (err || nr < 64 || !done)
				break;
		}
	}
	pool_put(s, c);
	return err;
}

/* ---- retention ---- */

/* The retention of tenant id (tenants: id, retention rows; 0: the
 * default). */
static int64_t retention_of(pg *s, const PGresult *tenants, int64_t id)
{
	for (int i = 0; i < PQntuples(tenants); i++)
		if (r_i64(tenants, i, 0) == id)
			return r_i64(tenants, i, 1) ? r_i64(tenants, i, 1) : s->cfg.retention_nanos;
	return s->cfg.retention_nanos;
}

/* The tenants that lost profiles in a sweep: their dictionaries are swept
 * after it. */
typedef struct {
	int64_t *v;
	size_t n, cap;
	bool oom;
} tenantset;

static void lost_add(tenantset *l, int64_t t)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == t)
			return;
	if (!HEARTH_GROW(l->v, l->n, l->cap, 1)) {
		l->oom = true;
		return;
	}
	l->v[l->n++] = t;
}

/* Counts the rows of a partition about to be dropped (for the caller's
 * report), by tenant into lost; a partition already gone counts nothing. */
static size_t part_rows(conn *c, const char *name, tenantset *lost)
{
	char q[160];
	snprintf(q, sizeof(q), "SELECT tenant, count(*) FROM %s GROUP BY tenant", name);
	PGresult *cr = PQexecParams(c->pg, q, 0, NULL, NULL, NULL, NULL, 1);
	size_t n = 0;
	for (int i = 0; cr && PQresultStatus(cr) == PGRES_TUPLES_OK && i < PQntuples(cr); i++) {
		lost_add(lost, r_i64(cr, i, 0));
		n += (size_t)r_i64(cr, i, 1);
	}
	PQclear(cr);
	return n;
}

/* Drops the tenant partition (tenant > 0) or the default one (0) of day,
 * with the dirty buckets of the rows it held. */
static hearth_err drop_part(conn *c, int64_t day, int64_t tenant, size_t *deleted,
			    tenantset *lost, hearth_errbuf *eb)
{
	char pn[96], rn[96], q[1024];
	part_name(pn, sizeof(pn), "profiles", day, tenant);
	part_name(rn, sizeof(rn), "rollups", day, tenant);
	*deleted += part_rows(c, pn, lost);
	long long a = (long long)(day * DAY_NANOS), b = (long long)((day + 1) * DAY_NANOS);
	char who[160];
	if (tenant > 0)
		snprintf(who, sizeof(who), "tenant = %lld", (long long)tenant);
	else
		snprintf(who, sizeof(who),
			 "tenant NOT IN (SELECT tenant FROM day_parts WHERE day = %lld AND "
			 "tenant <> 0)",
			 (long long)day);
	snprintf(q, sizeof(q),
		 "BEGIN; SELECT pg_advisory_xact_lock(%lld); " LOCK_DDL "; DROP TABLE IF EXISTS %s;"
		 " DROP TABLE IF EXISTS %s; DELETE FROM day_parts WHERE day=%lld AND tenant=%lld;"
		 " DELETE FROM dirty WHERE bucket >= %lld AND bucket < %lld AND %s; COMMIT",
		 (long long)LOCK_PARTITION, pn, rn, (long long)day, (long long)tenant, a, b, who);
	hearth_err err = exec(c, q, eb, "sweep");
	if (err)
		PQclear(PQexec(c->pg, "ROLLBACK"));
	return err;
}

/* Whether the default partition of day holds rows of a tenant who still
 * keeps the day (a retention set after the day was made): *kept. */
static hearth_err default_part_kept(pg *s, conn *c, int64_t day, int64_t now,
				    const PGresult *tenants, bool *kept, hearth_errbuf *eb)
{
	long long end = (long long)((day + 1) * DAY_NANOS);
	FILE *f;
	char *keep = NULL;
	size_t keepn = 0;
	if (!(f = open_memstream(&keep, &keepn)))
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	fputs("{0", f);
	for (int j = 0; j < PQntuples(tenants); j++)
		if (end > now - retention_of(s, tenants, r_i64(tenants, j, 0)))
			fprintf(f, ",%lld", (long long)r_i64(tenants, j, 0));
	fputs("}", f);
	bool oom = ferror(f) != 0;
	fclose(f);
	if (oom || !keep) {
		free(keep);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	char dp[96], dr[96], q[512];
	part_name(dp, sizeof(dp), "profiles", day, 0);
	part_name(dr, sizeof(dr), "rollups", day, 0);
	snprintf(q, sizeof(q),
		 "SELECT (EXISTS (SELECT 1 FROM %s WHERE tenant = ANY($1::bigint[]))"
		 " OR EXISTS (SELECT 1 FROM %s WHERE tenant = ANY($1::bigint[])))::int",
		 dp, dr);
	const char *pv[1] = {keep};
	PGresult *er = PQexecParams(c->pg, q, 1, NULL, pv, NULL, NULL, 0);
	free(keep);
	if (!er || PQresultStatus(er) != PGRES_TUPLES_OK) {
		PQclear(er);
		return conn_err(c->pg, eb, "sweep");
	}
	*kept = atoi(PQgetvalue(er, 0, 0)) == 1;
	PQclear(er);
	return HEARTH_OK;
}

/* A day kept for someone: its tenant partitions past their tenant's
 * retention dropped, and its default partition past the default
 * retention unless default_part_kept. */
static hearth_err drop_parts(pg *s, conn *c, int64_t day, int64_t now, const PGresult *tenants,
			     size_t *deleted, tenantset *lost, hearth_errbuf *eb)
{
	long long end = (long long)((day + 1) * DAY_NANOS);
	char q[128];
	snprintf(q, sizeof(q), "SELECT tenant FROM day_parts WHERE day=%lld", (long long)day);
	PGresult *pr = PQexecParams(c->pg, q, 0, NULL, NULL, NULL, NULL, 1);
	if (!pr || PQresultStatus(pr) != PGRES_TUPLES_OK) {
		PQclear(pr);
		return conn_err(c->pg, eb, "sweep");
	}
	hearth_err err = HEARTH_OK;
	for (int k = 0; k < PQntuples(pr) && !err; k++) {
		int64_t tn = r_i64(pr, k, 0);
		bool kept = false;
		if (tn > 0) {
			if (end <= now - retention_of(s, tenants, tn))
				err = drop_part(c, day, tn, deleted, lost, eb);
		} else if (end <= now - s->cfg.retention_nanos) {
			err = default_part_kept(s, c, day, now, tenants, &kept, eb);
			if (!err && !kept)
				err = drop_part(c, day, 0, deleted, lost, eb);
		}
	}
	PQclear(pr);
	return err;
}

/* Whole days past every tenant's retention: their partitions dropped.
 * Then, in the days still kept for someone, the tenant partitions past
 * their tenant's retention, and the default partitions past the default
 * retention that hold no row of a tenant who keeps that day longer. */
static hearth_err drop_days(pg *s, conn *c, int64_t now, const PGresult *tenants,
			    size_t *deleted, tenantset *lost, hearth_errbuf *eb)
{
	int64_t longest = s->cfg.retention_nanos, shortest = s->cfg.retention_nanos;
	for (int i = 0; i < PQntuples(tenants); i++) {
		int64_t ret = retention_of(s, tenants, r_i64(tenants, i, 0));
		longest = ret > longest ? ret : longest;
		shortest = ret < shortest ? ret : shortest;
	}
	PGresult *r =
	    PQexecParams(c->pg, "SELECT day FROM days ORDER BY day", 0, NULL, NULL, NULL, NULL, 1);
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		return conn_err(c->pg, eb, "sweep");
	}
	hearth_err err = HEARTH_OK;
	for (int i = 0; i < PQntuples(r) && !err; i++) {
		int64_t day = r_i64(r, i, 0);
		long long end = (long long)((day + 1) * DAY_NANOS);
		if (end > now - shortest)
			break;
		char q[1024], pn[64], rn[64];
		day_name(pn, sizeof(pn), "profiles", day);
		day_name(rn, sizeof(rn), "rollups", day);
		if (end > now - longest) {
			err = drop_parts(s, c, day, now, tenants, deleted, lost, eb);
			continue;
		}
		/* Counted first, for the caller's report. */
		*deleted += part_rows(c, pn, lost);
		snprintf(q, sizeof(q),
			 "BEGIN; SELECT pg_advisory_xact_lock(%lld); " LOCK_DDL "; DROP TABLE IF EXISTS %s;"
			 " DROP TABLE IF EXISTS %s; DELETE FROM days WHERE day=%lld;"
			 " DELETE FROM day_parts WHERE day=%lld;"
			 " DELETE FROM dirty WHERE bucket < %lld; DELETE FROM ingest WHERE time <"
			 " %lld; COMMIT",
			 (long long)LOCK_PARTITION, pn, rn, (long long)day, (long long)day, end,
			 end);
		if ((err = exec(c, q, eb, "sweep")))
			PQclear(PQexec(c->pg, "ROLLBACK"));
		forget_day(s, day * DAY_NANOS);
	}
	PQclear(r);
	return err;
}

/* Tenant t's profiles before cutoff, in transactions of 256: each under
 * the shared locks of their series' days (no rollup of them is being
 * built), with their rollups dropped and buckets marked dirty. */
static hearth_err sweep_tenant(conn *c, int64_t t, int64_t cutoff, size_t *deleted,
			       hearth_errbuf *eb)
{
	hearth_err err = HEARTH_OK;
	for (;;) {
		args a = {0};
		a_i64(&a, t);
		a_i64(&a, cutoff);
		if ((err = exec(c, "BEGIN; " LOCK_WRITE, eb, "sweep")))
			return err;
		PGresult *r = run(c, S_SWEEP_SEL, &a, eb, "sweep");
		if (!r)
			goto fail;
		int n = PQntuples(r);
		char *arr = malloc((size_t)n * 21 + 3), *w = arr;
		if (!arr) {
			PQclear(r);
			PQclear(PQexec(c->pg, "ROLLBACK"));
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		}
		*w++ = '{';
		for (int i = 0; i < n && !err; i++) {
			int64_t series = r_i64(r, i, 1), time = r_i64(r, i, 2);
			w += sprintf(w, "%s%lld", i ? "," : "", (long long)r_i64(r, i, 0));
			/* Rows are ordered by series and time: one lock per day. */
			if (i == 0 || series != r_i64(r, i - 1, 1) ||
			    hs_floor_to(time, DAY_NANOS) != hs_floor_to(r_i64(r, i - 1, 2), DAY_NANOS)) {
				args l = {0};
				a_i64(&l, series);
				a_i64(&l, time);
				err = run_done(c, S_LOCK2_SHARED, &l, eb, "sweep");
			}
			args v = {0};
			a_i64(&v, series);
			a_i64(&v, time);
			a_i64(&v, t);
			if (!err)
				err = run_done(c, S_INVALIDATE, &v, eb, "sweep");
		}
		*w++ = '}';
		*w = 0;
		PQclear(r);
		if (!err) {
			args d = {0};
			a_i64(&d, t);
			a_text(&d, arr);
			a_i64(&d, cutoff);
			err = run_done(c, S_SWEEP_DEL, &d, eb, "sweep");
		}
		free(arr);
		if (err || (err = exec(c, "COMMIT", eb, "sweep")))
			goto fail_err;
		*deleted += (size_t)n;
		if (n < 256)
			break;
	}
	/* Their ingest ids: a push with one of them stores anew. */
	args g = {0};
	a_i64(&g, t);
	a_i64(&g, cutoff);
	if ((err = run_done(c, S_INGEST_DEL, &g, eb, "sweep")))
		return err;
	/* Metric points and GODEBUG logs past retention go with the
	 * profiles. */
	if ((err = run_done(c, S_METRIC_DEL, &g, eb, "sweep")))
		return err;
	return run_done(c, S_GODEBUG_DEL, &g, eb, "sweep");
fail:
	err = HEARTH_EIO;
fail_err:
	PQclear(PQexec(c->pg, "ROLLBACK"));
	return err;
}

/* ---- orphans in the object store ----
 *
 * A put writes its block's object before the statement that names it; a
 * node killed (or a statement failed) in between leaves an object no row
 * names, and so does a rollup rebuilt or dropped.  The sweep lists the
 * objects of each tenant's last two days (where nearly all of them are
 * made: the days before lose theirs at retention, by prefix), notes the
 * ones no row names with the time it first saw them (table orphans), and
 * deletes those still unnamed a grace period later.  Two looks a grace
 * apart, not one: a put may be between its upload and its commit while
 * the sweep looks, and listings carry no upload time on every store. */
#define ORPHAN_DAYS 2
#define ORPHAN_MAX_KEYS 4000000 /* a day's listing, at most, per sweep */

static bool orphan_key_ok(const char *k, const char *prefix, size_t pl)
{
	if (strncmp(k, prefix, pl) || (k[pl] != 'p' && k[pl] != 'r'))
		return false;
	/* Only what hearth's layout writes (hearth_blob_key_*): a foreign
	 * key under the prefix is never touched. */
	for (const char *p = k; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '/' ||
		      *p == '-' || (*p >= 'A' && *p <= 'Z')))
			return false;
	return true;
}

static hearth_err orphan_day(pg *s, conn *c, int64_t tenant_id, int64_t day, int64_t now,
			     size_t *deleted, hearth_errbuf *eb)
{
	char prefix[96], date[16];
	time_t secs = (time_t)(day * 86400);
	struct tm tm;
	if (!gmtime_r(&secs, &tm) || !strftime(date, sizeof(date), "%Y-%m-%d", &tm))
		return HEARTH_OK;
	snprintf(prefix, sizeof(prefix), "t/%lld/%s/", (long long)tenant_id, date);
	size_t pl = strlen(prefix);
	char **keys = NULL, *cursor = NULL, *arr = NULL;
	size_t nkeys = 0, capkeys = 0;
	hearth_err err = HEARTH_OK;
	PGresult *r = NULL;
	/* The listing first, the rows after: an object named meanwhile is
	 * named in the rows read. */
	do {
		hearth_blob_page page;
		if ((err = hearth_blob_list(s->blob, prefix, NULL, cursor, &page, eb)))
			goto out;
		free(cursor);
		cursor = page.next;
		page.next = NULL;
		for (size_t i = 0; i < page.nkeys && !err; i++) {
			if (!orphan_key_ok(page.keys[i], prefix, pl))
				continue;
			if (!HEARTH_GROW(keys, nkeys, capkeys, 1))
				err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			else
				keys[nkeys++] = page.keys[i], page.keys[i] = NULL;
		}
		hearth_blob_page_free(&page);
	} while (!err && cursor && nkeys < ORPHAN_MAX_KEYS);
	if (err)
		goto out;
	args a = {0};
	a_i64(&a, tenant_id);
	a_i64(&a, day * DAY_NANOS);
	a_i64(&a, (day + 1) * DAY_NANOS);
	if (!(r = run(c, S_REFS, &a, eb, "orphans"))) {
		err = HEARTH_EIO;
		goto out;
	}
	size_t nrefs = (size_t)PQntuples(r);
	char **refs = nrefs ? malloc(nrefs * sizeof(*refs)) : NULL;
	if (nrefs && !refs) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nrefs; i++)
		refs[i] = PQgetvalue(r, (int)i, 0); /* binary bytea: the key, NUL-ended */
	if (nrefs)
		qsort(refs, nrefs, sizeof(*refs), hs_cmp_str);
	/* The unnamed keys as a text array ("{k1,k2}": keys of the layout
	 * need no quoting). */
	size_t len = 3;
	for (size_t i = 0; i < nkeys; i++)
		len += strlen(keys[i]) + 1;
	if (!(arr = malloc(len))) {
		free(refs);
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	char *w = arr;
	*w++ = '{';
	for (size_t i = 0; i < nkeys; i++) {
		if (nrefs && bsearch(&keys[i], refs, nrefs, sizeof(*refs), hs_cmp_str))
			continue;
		w += sprintf(w, "%s%s", w > arr + 1 ? "," : "", keys[i]);
	}
	*w++ = '}';
	*w = 0;
	free(refs);
	PQclear(r);
	r = NULL;
	args m = {0};
	a_i64(&m, tenant_id);
	a_i64(&m, day);
	a_text(&m, arr);
	a_i64(&m, now);
	if ((err = run_done(c, S_ORPHAN_MARK, &m, eb, "orphans")))
		goto out;
	int64_t grace = s->cfg.orphan_grace_nanos > 0 ? s->cfg.orphan_grace_nanos : 3600LL * 1000000000;
	args d = {0};
	a_i64(&d, tenant_id);
	a_i64(&d, day);
	a_i64(&d, now - grace);
	if (!(r = run(c, S_ORPHAN_DUE, &d, eb, "orphans"))) {
		err = HEARTH_EIO;
		goto out;
	}
	for (int i = 0; i < PQntuples(r) && !err; i++) {
		const char *k = r_str(r, i, 0);
		args x = {0};
		a_text(&x, k);
		if (!(err = hearth_blob_delete(s->blob, k, eb)) &&
		    !(err = run_done(c, S_ORPHAN_DEL, &x, eb, "orphans")))
			(*deleted)++;
	}
out:
	PQclear(r);
	for (size_t i = 0; i < nkeys; i++)
		free(keys[i]);
	free(keys);
	free(cursor);
	free(arr);
	return err;
}

/* The orphans of tenant's last ORPHAN_DAYS days (UTC) at now. */
static hearth_err orphan_sweep(pg *s, conn *c, int64_t tenant_id, int64_t now, size_t *deleted,
			       hearth_errbuf *eb)
{
	int64_t today = hs_floor_to(now, DAY_NANOS) / DAY_NANOS;
	hearth_err err = HEARTH_OK;
	for (int64_t d = today - ORPHAN_DAYS + 1; d <= today && !err; d++)
		err = orphan_day(s, c, tenant_id, d, now, deleted, eb);
	if (!err) {
		args o = {0};
		a_i64(&o, tenant_id);
		a_i64(&o, today - ORPHAN_DAYS + 1);
		err = run_done(c, S_ORPHAN_OLD, &o, eb, "orphans");
	}
	return err;
}

/* ---- sweeping the dictionary ----
 *
 * Deletes the entries of t's dictionary that nothing stored refers to any
 * more, as sqlite.c's dict_sweep does (docs/store.md), with the nodes that
 * intern from their own memory, without a lock, in mind:
 *  - Mark, without a lock: in one read snapshot, each series is covered as
 *    a merge of its whole range would be, the locations and label strings
 *    of each statement's blocks marked, then what they refer to.  The
 *    snapshot begins under the exclusive lock of the tenant's dictionary,
 *    which every put holds shared from before it takes its profile id: the
 *    last id handed out then is a boundary, every profile of the tenant at
 *    or below it is in the snapshot, every later one has a greater id.
 *  - Delete, under the tenant's lock (no chunk is appended) and the
 *    dictionary's lock exclusive (no put is between its check and its
 *    commit), in one transaction: the chunks since are loaded, the blocks
 *    of the profiles past the boundary marked, the entries past the
 *    marking's counts (upto) kept with what they refer to; the chunks
 *    holding the others are rewritten as sqlite.c's, those left empty
 *    deleted (the chunk before such a gap carries the new generation too:
 *    a node learning the sweep reads again what changed, and where a chunk
 *    now ends), and the generation is bumped.
 *  - A put interned under an older generation gets 0 from hearth_put; it
 *    learns the deletions (dict_sync) and stores again, with new ids for
 *    the content of deleted ones.  Other nodes learn them at their next
 *    sync. */
typedef struct {
	conn *c;
	tenant *t;
	int64_t gen;
} rewrite_ctx;

static hearth_err dict_rewrite_chunk(void *ctx, int rowkind, uint32_t first, const hs_out *o,
				     bool keep, hearth_errbuf *eb)
{
	rewrite_ctx *x = ctx;
	args d = {0};
	a_i64(&d, x->t->id);
	a_i64(&d, rowkind);
	a_i64(&d, first);
	hearth_err err = run_done(x->c, S_DICT_DEL, &d, eb, "dictionary sweep");
	if (err)
		return err;
	if (!keep) {
		args u = {0};
		a_i64(&u, x->t->id);
		a_i64(&u, rowkind % HS_NKINDS);
		a_i64(&u, x->gen);
		a_i64(&u, first);
		return run_done(x->c, S_DICT_TOUCH, &u, eb, "dictionary sweep");
	}
	args a = {0};
	a_i64(&a, x->t->id);
	a_i64(&a, rowkind % HS_NKINDS + HS_NKINDS);
	a_i64(&a, first);
	a_bytes(&a, o->p, o->n);
	a_i64(&a, x->gen);
	return run_done(x->c, S_DICT_INS, &a, eb, "dictionary sweep");
}

/* The series of t with id sid, synced from the database if not known. */
static sseries *series_known(conn *c, tenant *t, int64_t sid, hearth_errbuf *eb, hearth_err *err)
{
	sseries *x = NULL;
	for (int pass = 0; pass < 2 && !x && !*err; pass++) {
		if (pass)
			*err = series_sync(c, t, eb);
		pthread_rwlock_rdlock(&t->lock);
		x = hs_series_by_id(t->series, t->nseries, sid);
		pthread_rwlock_unlock(&t->lock);
	}
	if (!x && !*err)
		*err = hearth_seterr(eb, HEARTH_ECORRUPT, "store: a profile of an unknown series");
	return x;
}

/* Marks what t's blocks refer to, in c's snapshot. */
static hearth_err dict_mark(pg *s, conn *c, tenant *t, hs_marks *live, hearth_errbuf *eb)
{
	hearth_err err = series_sync(c, t, eb);
	if (err)
		return err;
	pthread_rwlock_rdlock(&t->lock);
	size_t nv = t->nseries;
	sseries **v = malloc((nv + 1) * sizeof(*v));
	if (v)
		memcpy(v, t->series, nv * sizeof(*v));
	pthread_rwlock_unlock(&t->lock);
	char *arr = v ? id_array(v, nv) : NULL;
	if (!arr) {
		free(v);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	args a = {0};
	a_text(&a, arr);
	a_i64(&a, INT64_MIN);
	a_i64(&a, INT64_MAX);
	PGresult *r = nv ? run(c, S_RANGES, &a, eb, "dictionary sweep") : NULL;
	if (nv && !r)
		err = HEARTH_EIO;
	for (int i = 0; r && i < PQntuples(r) && !err && !live->oom; i++) {
		sseries *x = hs_series_by_id(v, nv, r_i64(r, i, 0));
		int64_t lo = r_i64(r, i, 1), hi = r_i64(r, i, 2);
		if (!x)
			continue;
		gather g = {
		    .s = s, .c = c, .x = x, .eb = eb, .skip_level = NLEVELS, .marks = live};
		if (!(g.acc = hs_acc_new(x->nst, true))) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			break;
		}
		err = g_cover(&g, NLEVELS - 1, lo, hi < INT64_MAX ? hi + 1 : hi);
		if (g.have_meta)
			hs_meta_free(&g.meta);
		hs_acc_free(g.acc);
	}
	PQclear(r);
	free(arr);
	free(v);
	return err;
}

/* Marks what the tenant's profiles past the boundary refer to (stored
 * since the marking's snapshot; under the locks of the delete). */
static hearth_err dict_mark_new(pg *s, conn *c, tenant *t, int64_t boundary, hs_marks *track,
				hearth_errbuf *eb)
{
	args a = {0};
	a_i64(&a, t->id);
	a_i64(&a, boundary);
	PGresult *r = run(c, S_NEW_SERIES, &a, eb, "dictionary sweep");
	if (!r)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	for (int i = 0; i < PQntuples(r) && !err; i++) {
		sseries *x = series_known(c, t, r_i64(r, i, 0), eb, &err);
		hs_acc *acc = x ? hs_acc_new(x->nst, true) : NULL;
		if (x && !acc)
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		if (err)
			break;
		args b = {0};
		a_i64(&b, x->id);
		a_i64(&b, boundary);
		PGresult *br = run(c, S_NEW_BLOCKS, &b, eb, "dictionary sweep");
		if (!br)
			err = HEARTH_EIO;
		else if (!(err = add_blocks(s, br, 0, acc, eb)))
			hs_acc_mark(acc, track);
		PQclear(br);
		hs_acc_free(acc);
	}
	PQclear(r);
	return err;
}

static hearth_err dict_sweep(pg *s, tenant *t, size_t killed[HS_NKINDS], hearth_errbuf *eb)
{
	hs_marks live = {0}, track = {0};
	uint32_t upto[HS_NKINDS];
	int64_t boundary = 0;
	hs_chunk_row *rows = NULL;
	size_t nrows = 0, caprows = 0;
	bool locked = false;
	char lk[96], ul[96], xl[160];
	memset(killed, 0, HS_NKINDS * sizeof(*killed));
	conn *c = pool_get(s, eb);
	if (!c)
		return HEARTH_EIO;
	long long key = (long long)(LOCK_DICT_BASE + t->id);
	snprintf(lk, sizeof(lk), "SELECT pg_advisory_lock(%lld)", key);
	snprintf(ul, sizeof(ul), "SELECT pg_advisory_unlock(%lld)", key);
	snprintf(xl, sizeof(xl), "SELECT pg_advisory_xact_lock(%lld); " LOCK_READ, key);
	/* The snapshot and the boundary, under the session lock (a
	 * transaction-level one would last the whole marking). */
	hearth_err err = exec(c, lk, eb, "dictionary sweep");
	if (!err)
		err = exec(c, BEGIN_READ, eb, "dictionary sweep");
	PGresult *r = err ? NULL : run(c, S_SEQ_LAST, NULL, eb, "dictionary sweep");
	if (r && PQntuples(r) == 1)
		boundary = r_i64(r, 0, 0);
	else if (!err)
		err = HEARTH_EIO;
	PQclear(r);
	if (!err)
		err = exec(c, ul, eb, "dictionary sweep");
	if (err) {
		/* The session lock goes with the connection. */
		conn_free(c);
		return err;
	}
	if ((err = dict_sync(c, t, eb)))
		goto out;
	hs_dict_lock(t->dict);
	for (int k = 0; k < HS_NKINDS; k++)
		upto[k] = live.limit[k] = hs_dict_committed(t->dict, k);
	hs_dict_unlock(t->dict);
	/* Nothing to delete (0 would mean no limit). */
	for (int k = 0; k < HS_NKINDS; k++)
		if (!live.limit[k])
			live.limit[k] = 1;
	err = dict_mark(s, c, t, &live, eb);
	PQclear(PQexec(c->pg, "ROLLBACK"));
	/* What the marked entries refer to: entries up to upto never change. */
	if (!err && !live.oom)
		hs_dict_mark_closure(t->dict, upto, &live, false);
	if (err || live.oom)
		goto out;

	hs_dict_lock(t->dict);
	locked = true;
	args l = {0};
	a_i64(&l, LOCK_TENANT_BASE + t->id);
	if ((err = exec(c, "BEGIN", eb, "dictionary sweep")) ||
	    (err = run_done(c, S_LOCK, &l, eb, "dictionary sweep")) ||
	    (err = exec(c, xl, eb, "dictionary sweep")) || (err = dict_sync_locked(c, t, eb)) ||
	    (err = dict_mark_new(s, c, t, boundary, &track, eb)))
		goto out;
	if (!hs_dict_settle(t->dict, upto, &live, &track)) {
		if (live.oom || track.oom)
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	args g = {0};
	a_i64(&g, t->id);
	if (!(r = run(c, S_DGEN_BUMP, &g, eb, "dictionary sweep"))) {
		err = HEARTH_EIO;
		goto out;
	}
	int64_t gen = PQntuples(r) == 1 ? r_i64(r, 0, 0) : 0;
	PQclear(r);
	rewrite_ctx x = {c, t, gen};
	for (int k = 0; k < HS_NKINDS && !err; k++) {
		args q = {0};
		a_i64(&q, t->id);
		a_i64(&q, k);
		if (!(r = run(c, S_DICT_ROWS, &q, eb, "dictionary sweep"))) {
			err = HEARTH_EIO;
			break;
		}
		nrows = 0;
		for (int i = 0; i < PQntuples(r) && !err; i++) {
			int64_t f = r_i64(r, i, 1);
			if (f < 1 || f > UINT32_MAX)
				err = hearth_seterr(eb, HEARTH_ECORRUPT, "store: bad dictionary row");
			else if (!HEARTH_GROW(rows, nrows, caprows, 1))
				err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			else
				rows[nrows++] = (hs_chunk_row){(int)r_i64(r, i, 0), (uint32_t)f};
		}
		PQclear(r);
		if (!err)
			err = hs_dict_rewrite(t->dict, k, rows, nrows, upto, &live,
					      dict_rewrite_chunk, &x, eb);
	}
	if (err || (err = exec(c, "COMMIT", eb, "dictionary sweep")))
		goto out;
	/* Committed: the ids leave the dictionary in memory.  Out of memory
	 * here leaves them in it, and the generation behind: the next sync
	 * learns them. */
	if ((err = hs_dict_kill(t->dict, upto, &live, killed)))
		err = hearth_seterr(eb, err, "dictionary sweep: out of memory");
	else
		t->dgen = gen;
out:
	if (locked)
		hs_dict_unlock(t->dict);
	pool_put(s, c); /* rolled back if still in the transaction */
	free(rows);
	hs_marks_free(&live);
	hs_marks_free(&track);
	return err;
}

/* The sweep runs on one node at a time (a session advisory lock, released
 * if the node dies); the others skip it. */
static hearth_err pg_sweep(void *be, int64_t now, size_t *deleted, hearth_errbuf *eb)
{
	pg *s = be;
	conn *c = pool_get(s, eb);
	if (!c)
		return HEARTH_EIO;
	char q[128];
	snprintf(q, sizeof(q), "SELECT pg_try_advisory_lock(%lld)::int", (long long)LOCK_SWEEP);
	PGresult *r = PQexec(c->pg, q);
	hearth_err err = HEARTH_OK;
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		PQclear(r);
		err = conn_err(c->pg, eb, "sweep");
		pool_put(s, c);
		return err;
	}
	bool mine = atoi(PQgetvalue(r, 0, 0)) == 1;
	size_t orphans = 0, swept = 0;
	tenantset lost = {0};
	PQclear(r);
	if (!mine) {
		pool_put(s, c);
		return HEARTH_OK;
	}
	/* Expired UI sessions (a lookup refuses them already). */
	args ex = {0};
	a_i64(&ex, now);
	if ((err = run_done(c, S_SESS_EXPIRE, &ex, eb, "sweep"))) {
		snprintf(q, sizeof(q), "SELECT pg_advisory_unlock(%lld)", (long long)LOCK_SWEEP);
		PQclear(PQexec(c->pg, q));
		pool_put(s, c);
		return err;
	}
	r = PQexecParams(c->pg, "SELECT id, retention FROM tenants ORDER BY id", 0, NULL, NULL,
			 NULL, NULL, 1);
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
		err = conn_err(c->pg, eb, "sweep");
	} else {
		/* Days past the longest retention go whole, the partitions of
		 * days past a tenant's (or the default) retention next; then
		 * what is left of each tenant past its retention (a day cut by
		 * the cutoff, a tenant in a default partition), row by row. */
		err = drop_days(s, c, now, r, deleted, &lost, eb);
		for (int i = 0; i < PQntuples(r) && !err; i++) {
			int64_t ret = r_i64(r, i, 1) ? r_i64(r, i, 1) : s->cfg.retention_nanos;
			size_t before = *deleted;
			err = sweep_tenant(c, r_i64(r, i, 0), now - ret, deleted, eb);
			if (*deleted > before)
				lost_add(&lost, r_i64(r, i, 0));
			/* The tenant's objects of the days no row names any more
			 * (orphans and replaced rollups with them). */
			if (!err && s->blob)
				err = hearth_blob_sweep_days(s->blob, r_i64(r, i, 0), now - ret,
							     NULL, eb);
			if (!err && s->blob)
				err = orphan_sweep(s, c, r_i64(r, i, 0), now, &orphans, eb);
		}
	}
	PQclear(r);
	/* The dictionaries of the tenants that lost profiles, once the
	 * rollups of what is left are built (still under the sweep's lock:
	 * one sweep of a dictionary at a time). */
	if (!err && lost.oom)
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	if (!err && lost.n) {
		size_t built;
		err = pg_compact(s, now, &built, eb);
	}
	for (size_t i = 0; i < lost.n && !err; i++) {
		tenant *t = NULL;
		size_t killed[HS_NKINDS];
		if ((err = tenant_get(s, c, lost.v[i], &t, eb)) || !t)
			continue;
		if (!(err = dict_sweep(s, t, killed, eb)))
			for (int k = 0; k < HS_NKINDS; k++)
				swept += killed[k];
	}
	free(lost.v);
	if (!err && swept) {
		args j = {0};
		a_text(&j, "dictsweep");
		a_text(&j, s->node);
		a_i64(&j, now);
		a_text(&j, NULL);
		a_text(&j, NULL);
		a_text(&j, NULL);
		a_i64(&j, (int64_t)swept);
		err = run_done(c, S_JOB, &j, eb, "sweep");
	}
	if (!err && orphans) {
		args j = {0};
		a_text(&j, "orphans");
		a_text(&j, s->node);
		a_i64(&j, now);
		a_text(&j, NULL);
		a_text(&j, NULL);
		a_text(&j, NULL);
		a_i64(&j, (int64_t)orphans);
		err = run_done(c, S_JOB, &j, eb, "sweep");
	}
	if (!err && *deleted) {
		args j = {0};
		a_text(&j, "sweep");
		a_text(&j, s->node);
		a_i64(&j, now);
		a_text(&j, NULL);
		a_text(&j, NULL);
		a_text(&j, NULL);
		a_i64(&j, (int64_t)*deleted);
		err = run_done(c, S_JOB, &j, eb, "sweep");
	}
	snprintf(q, sizeof(q), "SELECT pg_advisory_unlock(%lld)", (long long)LOCK_SWEEP);
	PQclear(PQexec(c->pg, q));
	pool_put(s, c);
	if (!err && *deleted) {
		size_t built;
		err = pg_compact(s, now, &built, eb);
	}
	return err;
}

static hearth_err pg_usage(void *be, int64_t tenant_id, hearth_usage *out, hearth_errbuf *eb)
{
	pg *s = be;
	conn *c = pool_get(s, eb);
	if (!c)
		return HEARTH_EIO;
	args a = {0};
	a_i64(&a, tenant_id);
	/* One statement over the two tables (in their order): no lock first. */
	hearth_err err = exec(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", eb, "usage");
	PGresult *r = err ? NULL : run(c, S_USAGE, &a, eb, "usage");
	if (!err && !r)
		err = HEARTH_EIO;
	if (r && PQntuples(r) == 1) {
		out->profiles = r_i64(r, 0, 0);
		out->bytes = r_i64(r, 0, 1);
		out->oldest_nanos = r_i64(r, 0, 2);
		out->newest_nanos = r_i64(r, 0, 3);
		out->series = r_i64(r, 0, 4);
		out->dict_bytes = r_i64(r, 0, 5);
	}
	PQclear(r);
	/* The entries kept, as of the same snapshot. */
	tenant *t = NULL;
	if (!err && !(err = tenant_get(s, c, tenant_id, &t, eb)) && t &&
	    !(err = dict_sync(c, t, eb))) {
		hs_dict_lock(t->dict);
		for (int k = 0; k < HS_NKINDS; k++)
			out->dict_entries += (int64_t)hs_dict_live(t->dict, k);
		hs_dict_unlock(t->dict);
	}
	pool_put(s, c);
	return err;
}

/* ---- metric series ---- */

static hearth_err pg_metrics_put(void *be, int64_t tenant_id, const char *service,
				 const char *labels, int64_t time_nanos, const hearth_metric *m,
				 size_t n, hearth_errbuf *eb)
{
	pg *s = be;
	conn *c = pool_get(s, eb);
	if (!c)
		return HEARTH_EIO;
	hearth_err err = exec(c, "BEGIN", eb, "metrics");
	for (size_t i = 0; i < n && !err; i++) {
		char v[40];
		snprintf(v, sizeof(v), "%.17g", m[i].value);
		args a = {0};
		a_i64(&a, tenant_id);
		a_text(&a, service);
		a_text(&a, labels);
		a_text(&a, m[i].name);
		a_i64(&a, time_nanos);
		a_text(&a, isfinite(m[i].value) ? v
						: (isnan(m[i].value) ? "NaN"
						   : m[i].value > 0  ? "Infinity"
								     : "-Infinity"));
		err = run_done(c, S_METRIC_INS, &a, eb, "metrics");
	}
	if (!err)
		err = exec(c, "COMMIT", eb, "metrics");
	pool_put(s, c);
	return err;
}

static hearth_err pg_metrics_query(void *be, int64_t tenant_id, const char *service,
				   const char *name, int64_t from, int64_t until, int64_t step,
				   hearth_metric_points *out, hearth_errbuf *eb)
{
	args a = {0};
	hs_metric_rows rows = {.from = from, .step = step};
	a_i64(&a, tenant_id);
	a_text(&a, service);
	if (name)
		a_text(&a, name);
	a_i64(&a, from);
	a_i64(&a, until);
	/* (A result is held whole in memory here: a downsampled query reads
	 * fewer rows than SQLite's.) */
	a_i64(&a, name ? hs_metric_limit(&rows, HS_METRIC_DS_MAX_ROWS / 5) : HS_METRIC_MAX_NAMES + 1);
	PGresult *r = run1(be, name ? S_METRIC_Q : S_METRIC_NAMES, &a, eb, "metrics");
	if (!r)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	size_t capn = 0;
	for (int i = 0; i < PQntuples(r) && !err; i++) {
		if (name) {
			err = hs_metric_row(&rows, out, r_str(r, i, 0), r_i64(r, i, 1), r_f64(r, i, 2),
					    eb);
			continue;
		}
		if (out->names.n == HS_METRIC_MAX_NAMES) {
			err = hs_metric_names_over(eb);
			break;
		}
		char *d = strdup(r_str(r, i, 0));
		if (d && HEARTH_GROW(out->names.v, out->names.n, capn, 1))
			out->names.v[out->names.n++] = d;
		else
			free(d), err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	PQclear(r);
	hearth_err e2 = hs_metric_rows_end(&rows, out, eb);
	if (!err)
		err = e2;
	if (err)
		hearth_metric_points_free(out);
	return err;
}

/* ---- GODEBUG logs ---- */

static hearth_err pg_godebug_put(void *be, int64_t tenant_id, const char *service,
				 const char *labels, int64_t time_nanos, const char *data, size_t n,
				 int64_t *id, hearth_errbuf *eb)
{
	args a = {0};
	a_i64(&a, tenant_id);
	a_text(&a, service);
	a_text(&a, labels);
	a_i64(&a, time_nanos);
	a_i64(&a, (int64_t)n);
	a_bytes(&a, data, n);
	PGresult *r = run1(be, S_GODEBUG_INS, &a, eb, "godebug");
	if (!r)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	if (PQntuples(r) == 1)
		*id = r_i64(r, 0, 0);
	else
		err = hearth_seterr(eb, HEARTH_EIO, "store: godebug: no id returned");
	PQclear(r);
	return err;
}

static hearth_err pg_godebug_query(void *be, int64_t tenant_id, const char *service, int64_t id,
				   int64_t from, int64_t until, size_t max, bool with_data,
				   hearth_godebug_logs *out, hearth_errbuf *eb)
{
	args a = {0};
	a_i64(&a, tenant_id);
	a_text(&a, with_data ? "true" : "false");
	int q = S_GODEBUG_ONE;
	if (id > 0) {
		a_i64(&a, id);
	} else {
		q = service ? S_GODEBUG_SVC : S_GODEBUG_ALL;
		if (service)
			a_text(&a, service);
		a_i64(&a, from);
		a_i64(&a, until);
		a_i64(&a, (int64_t)max);
	}
	PGresult *r = run1(be, q, &a, eb, "godebug");
	if (!r)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	int nr = PQntuples(r);
	if (nr > 0 && !(out->v = calloc((size_t)nr, sizeof(*out->v))))
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	for (int i = 0; i < nr && !err; i++) {
		hearth_godebug_log *l = &out->v[out->n++];
		l->id = r_i64(r, i, 0);
		l->time_nanos = r_i64(r, i, 1);
		l->service = strdup(r_str(r, i, 2));
		l->labels = strdup(r_str(r, i, 3));
		l->bytes = (size_t)r_i64(r, i, 4);
		if (with_data) {
			size_t nb;
			const uint8_t *b = r_bytes(r, i, 5, &nb);
			if ((l->data = malloc(nb + 1))) {
				memcpy(l->data, b, nb);
				l->data[nb] = 0;
				l->bytes = nb;
			}
		}
		if (!l->service || !l->labels || (with_data && !l->data))
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	PQclear(r);
	if (err)
		hearth_godebug_logs_free(out);
	return err;
}

/* ---- the fleet report's opt-in ---- */

static hearth_err pg_fleet_set(void *be, int64_t tenant_id, bool opt_in, int64_t now,
			       hearth_errbuf *eb)
{
	args a = {0};
	a_i64(&a, tenant_id);
	a_text(&a, opt_in ? "true" : "false");
	a_i64(&a, now);
	PGresult *r = run1(be, S_FLEET_SET, &a, eb, "fleet");
	if (!r)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	if (atoll(PQcmdTuples(r)) == 0)
		err = hearth_seterr(eb, HEARTH_EINVAL, "tenant not found");
	PQclear(r);
	return err;
}

static hearth_err pg_fleet_tenants(void *be, int64_t **ids, size_t *n, hearth_errbuf *eb)
{
	PGresult *r = run1(be, S_FLEET_LIST, NULL, eb, "fleet");
	if (!r)
		return HEARTH_EIO;
	hearth_err err = HEARTH_OK;
	int nr = PQntuples(r);
	*ids = NULL;
	*n = 0;
	if (nr > 0 && !(*ids = malloc((size_t)nr * sizeof(**ids))))
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	for (int i = 0; i < nr && !err; i++)
		(*ids)[(*n)++] = r_i64(r, i, 0);
	PQclear(r);
	return err;
}

const hearth_store_ops hearth_store_postgres_ops = {
    .name = "postgres",
    .open = pg_open,
    .close = pg_close,
    .tenant_ensure = pg_tenant_ensure,
    .tenant_lookup = pg_tenant_lookup,
    .tenant_name = pg_tenant_name,
    .tenant_set_retention = pg_tenant_set_retention,
    .token_insert = pg_token_insert,
    .token_lookup = pg_token_lookup,
    .token_list = pg_token_list,
    .token_revoke = pg_token_revoke,
    .session_insert = pg_session_insert,
    .session_lookup = pg_session_lookup,
    .session_delete = pg_session_delete,
    .put = pg_put,
    .services = pg_services,
    .types = pg_types,
    .label_names = pg_label_names,
    .label_values = pg_label_values,
    .series = pg_series,
    .merge = pg_merge,
    .list = pg_list,
    .get = pg_get,
    .sweep = pg_sweep,
    .compact = pg_compact,
    .usage = pg_usage,
    .metrics_put = pg_metrics_put,
    .metrics_query = pg_metrics_query,
    .godebug_put = pg_godebug_put,
    .godebug_query = pg_godebug_query,
    .fleet_set = pg_fleet_set,
    .fleet_tenants = pg_fleet_tenants,
};
