/* The service's store (lib/store/), checked against hearth's own merge and
 * reports on real profiles (tests/data and ../shared/corpus):
 *  - a merge of stored profiles reports what hearth_merge of the same files
 *    reports (top, every sample type), snapshots averaged per profile;
 *  - a profile read back reports as the pushed one (top, traces, tags);
 *  - series totals equal each profile's totals;
 *  - rollups give the same merges as single profiles, across bucket edges,
 *    late arrivals and retention;
 *  - tenants see nothing of each other; tokens authenticate and revoke;
 *  - a store killed at random moments opens consistent. */
#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "hearth/io.h"
#include "hearth/options.h"
#include "hearth/report.h"
#include "hearth/sources.h"
#include "store/blob.h"
#include "store/store.h"

#define SEC 1000000000LL
#define MIN (60 * SEC)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)
/* A fixed day, aligned to a day, in the past of any clock this runs on. */
#define T0 (1700006400LL * SEC)

static char tmpdir[256];

static void data_path(char *out, size_t n, const char *name)
{
	const char *f = __FILE__, *slash = strrchr(f, '/');
	int dirlen = slash ? (int)(slash - f) : 1;
	snprintf(out, n, "%.*s/../data/%s", dirlen, slash ? f : ".", name);
}

static hearth_profile *load(const char *name)
{
	char path[4096];
	hearth_profile *p = NULL;
	hearth_errbuf eb = {{0}};
	data_path(path, sizeof(path), name);
	if (hearth_read_file(path, NULL, &p, &eb))
		fail_msg("%s: %s", path, eb.msg);
	return p;
}

/* HEARTH_TEST_PG (postgres://user@host:port, set by tests/cli/serve_pg.sh):
 * the backend-generic cases run on PostgreSQL instead, a database per
 * store ("ts_" and its name). */
static const char *pg_base;

static void pg_url(char *out, size_t n, const char *sub)
{
	snprintf(out, n, "%s/ts_%s", pg_base, sub);
}

static PGconn *pg_connect(const char *db)
{
	char url[512];
	snprintf(url, sizeof(url), "%s/%s", pg_base, db);
	PGconn *c = PQconnectdb(url);
	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("%s: %s", url, PQerrorMessage(c));
	return c;
}

/* HEARTH_TEST_OBJECTS (set by tests/cli/objects.sh): the SQLite store
 * with its blocks in a blob store -- "sqlite" (a SQLite blob file per
 * store) or an S3 URL "s3://BUCKET?endpoint=...", under which each store
 * gets a prefix of its own. */
static const char *objects_base;
static char objects_run[32];

static void objects_url(char *out, size_t n, const char *sub)
{
	if (!strcmp(objects_base, "sqlite")) {
		snprintf(out, n, "sqlite:%s/%s.objects.db", tmpdir, sub);
		return;
	}
	const char *q = strchr(objects_base, '?');
	int bl = q ? (int)(q - objects_base) : (int)strlen(objects_base);
	snprintf(out, n, "%.*s/%s/%s%s", bl, objects_base, objects_run, sub, q ? q : "");
}

static hearth_store *open_store(const char *sub)
{
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/%s", tmpdir, sub);
	if (pg_base) {
		/* A fresh database the first time in this run (a second open
		 * finds what the first left). */
		static char made[32][32];
		bool seen = false;
		for (int i = 0; i < 32 && made[i][0] && !seen; i++)
			seen = !strcmp(made[i], sub);
		if (!seen) {
			PGconn *c = pg_connect("postgres");
			char q[256];
			snprintf(q, sizeof(q), "DROP DATABASE IF EXISTS ts_%s", sub);
			PQclear(PQexec(c, q));
			snprintf(q, sizeof(q), "CREATE DATABASE ts_%s", sub);
			PGresult *r = PQexec(c, q);
			if (PQresultStatus(r) != PGRES_COMMAND_OK)
				fail_msg("%s: %s", q, PQerrorMessage(c));
			PQclear(r);
			PQfinish(c);
			for (int i = 0; i < 32; i++)
				if (!made[i][0]) {
					snprintf(made[i], sizeof(made[i]), "%s", sub);
					break;
				}
		}
		pg_url(dir, sizeof(dir), sub);
	}
	hearth_store *st = NULL;
	hearth_errbuf eb = {{0}};
	hearth_store_config cfg = {0};
	char objects[1024];
	if (objects_base) {
		objects_url(objects, sizeof(objects), sub);
		cfg.objects = objects;
	}
	if (hearth_store_open(dir, &cfg, &st, &eb))
		fail_msg("open %s: %s", dir, eb.msg);
	return st;
}

static int64_t tenant(hearth_store *st, const char *name)
{
	int64_t t = 0;
	hearth_errbuf eb = {{0}};
	if (hearth_store_tenant_ensure(st, name, &t, &eb))
		fail_msg("tenant: %s", eb.msg);
	return t;
}

/* A report of p (a copy is taken) as text. */
static char *report(const hearth_profile *p, hearth_cmd cmd, const char *sample_index)
{
	hearth_opts o;
	hearth_opts_init(&o);
	o.sample_index = sample_index;
	o.nodecount = 100000;
	hearth_report *r = NULL;
	hearth_errbuf eb = {{0}};
	hearth_profile *c = hearth_profile_clone(p);
	assert_non_null(c);
	if (hearth_report_new(c, &o, cmd, &r, &eb))
		fail_msg("report: %s", eb.msg);
	hearth_buf b = {0};
	hearth_err err = cmd == HEARTH_CMD_TOP	    ? hearth_report_top(r, &b, &eb)
			 : cmd == HEARTH_CMD_TRACES ? hearth_report_traces(r, &b, &eb)
						    : hearth_report_tags(r, &b, &eb);
	if (err)
		fail_msg("report: %s", eb.msg);
	hearth_report_free(r);
	char *s = strdup(b.data ? b.data : "");
	hearth_buf_free(&b);
	return s;
}

static void assert_same_report(const hearth_profile *a, const hearth_profile *b, hearth_cmd cmd,
			       const char *si)
{
	char *x = report(a, cmd, si), *y = report(b, cmd, si);
	if (strcmp(x, y)) {
		fprintf(stderr, "--- expected (%s)\n%s\n--- got\n%s\n", si ? si : "", x, y);
		fail_msg("reports differ");
	}
	free(x);
	free(y);
}

static int64_t put(hearth_store *st, int64_t t, const hearth_profile *p, const char *service,
		   const char *type, int64_t time, const hearth_kv *labels, size_t nlabels)
{
	hearth_profile *c = hearth_profile_clone(p);
	c->time_nanos = time;
	hearth_put_meta m = {
	    .service = service, .type = type, .labels = labels, .nlabels = nlabels};
	int64_t id = 0;
	hearth_errbuf eb = {{0}};
	if (hearth_store_put(st, t, c, &m, &id, &eb))
		fail_msg("put: %s", eb.msg);
	hearth_profile_free(c);
	assert_true(id > 0);
	return id;
}

static hearth_profile *merge(hearth_store *st, int64_t t, const char *sel, const char *type,
			     int64_t from, int64_t until, size_t *n)
{
	hearth_selector s;
	hearth_errbuf eb = {{0}};
	if (hearth_selector_parse(sel, &s, &eb))
		fail_msg("selector: %s", eb.msg);
	hearth_profile *p = NULL;
	if (hearth_store_merge(st, t, &s, type, from, until, &p, n, &eb))
		fail_msg("merge: %s", eb.msg);
	hearth_selector_free(&s);
	return p;
}

/* What the store's merge must equal: hearth_merge of the same profiles,
 * snapshots scaled by 1/n (one series). */
static hearth_profile *reference(hearth_profile **ps, int n)
{
	hearth_profile *m = NULL;
	hearth_errbuf eb = {{0}};
	if (hearth_merge(ps, n, &m, &eb))
		fail_msg("merge: %s", eb.msg);
	/* Averaged sample types scaled as hearth_profile_scale does, the
	 * others left summed; samples left all zero dropped. */
	size_t w = 0, nt = m->nsample_types;
	for (size_t i = 0; i < m->nsamples; i++) {
		int64_t *v = m->values + i * nt;
		bool keep = false;
		for (size_t k = 0; k < nt; k++) {
			if (hearth_store_aggregation(hearth_s(m, m->sample_types[k].type)) ==
			    HEARTH_AGG_AVERAGE)
				v[k] = (int64_t)llround((double)v[k] * (1.0 / n));
			keep |= v[k] != 0;
		}
		if (!keep)
			continue;
		if (w != i) {
			m->samples[w] = m->samples[i];
			memmove(m->values + w * nt, v, nt * sizeof(int64_t));
		}
		w++;
	}
	m->nsamples = w;
	return m;
}

static void check_all_types(const hearth_profile *want, const hearth_profile *got)
{
	for (uint32_t k = 0; k < want->nsample_types; k++)
		assert_same_report(want, got, HEARTH_CMD_TOP,
				   hearth_s(want, want->sample_types[k].type));
}

/* ---- tests ---- */

static void test_selector(void **state)
{
	(void)state;
	hearth_selector s;
	hearth_errbuf eb = {{0}};
	hearth_kv l[] = {{"env", "prod-eu"}, {"pod", "a1"}};
	assert_int_equal(
	    hearth_selector_parse("{service=\"api\",env=~\"prod.*\",pod!=\"x\"}", &s, &eb),
	    HEARTH_OK);
	assert_int_equal(s.n, 3);
	assert_true(hearth_selector_match(&s, "api", "cpu", l, 2));
	assert_false(hearth_selector_match(&s, "web", "cpu", l, 2));
	hearth_selector_free(&s);
	/* Anchored: "prod" alone does not match "prod-eu". */
	assert_int_equal(hearth_selector_parse("{env=~\"prod\"}", &s, &eb), HEARTH_OK);
	assert_false(hearth_selector_match(&s, "api", "cpu", l, 2));
	hearth_selector_free(&s);
	/* A pattern may not escape the anchors. */
	assert_int_equal(hearth_selector_parse("{env=~\"x)|(.*\"}", &s, &eb), HEARTH_EINVAL);
	/* Pyroscope's form. */
	assert_int_equal(hearth_selector_parse("my.app.cpu{pod=\"a1\"}", &s, &eb), HEARTH_OK);
	assert_true(hearth_selector_match(&s, "my.app", "cpu", l, 2));
	assert_false(hearth_selector_match(&s, "my.app", "heap", l, 2));
	hearth_selector_free(&s);
	/* Absent labels are "" as in Prometheus. */
	assert_int_equal(hearth_selector_parse("{zone=\"\"}", &s, &eb), HEARTH_OK);
	assert_true(hearth_selector_match(&s, "api", "cpu", l, 2));
	hearth_selector_free(&s);
	assert_int_equal(hearth_selector_parse("", &s, &eb), HEARTH_OK);
	assert_true(hearth_selector_match(&s, "api", "cpu", NULL, 0));
	hearth_selector_free(&s);
	const char *bad[] = {
	    "{",	  "{a}",	"{a=}",		 "{a=\"x}", "{a=\"x\" b=\"y\"}",
	    "{1a=\"x\"}", "{a=~\"(\"}", "{a=\"x\"} junk"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		eb.msg[0] = 0;
		assert_int_equal(hearth_selector_parse(bad[i], &s, &eb), HEARTH_EINVAL);
		assert_non_null(strstr(eb.msg, "selector"));
	}
}

static int64_t count_rows(const char *sub, const char *sql);

static void test_tokens(void **state)
{
	(void)state;
	hearth_store *st = open_store("tokens");
	hearth_errbuf eb = {{0}};
	int64_t a = tenant(st, "alice"), b = tenant(st, "bob");
	assert_int_equal(tenant(st, "alice"), a);
	assert_true(a != b);
	char tok[HEARTH_TOKEN_LEN + 1], tok2[HEARTH_TOKEN_LEN + 1];
	int64_t id, id2, t;
	unsigned sc;
	assert_int_equal(hearth_store_token_create(st, a, HEARTH_SCOPE_PUSH | HEARTH_SCOPE_READ,
						   "ci", tok, &id, &eb),
			 HEARTH_OK);
	assert_int_equal(strlen(tok), HEARTH_TOKEN_LEN);
	assert_int_equal(hearth_store_token_create(st, b, HEARTH_SCOPE_READ, NULL, tok2, &id2, &eb),
			 HEARTH_OK);
	assert_int_equal(hearth_store_token_auth(st, tok, &t, &sc, &eb), HEARTH_OK);
	assert_int_equal(t, a);
	assert_int_equal(sc, HEARTH_SCOPE_PUSH | HEARTH_SCOPE_READ);
	assert_int_equal(hearth_store_token_auth(st, tok2, &t, &sc, &eb), HEARTH_OK);
	assert_int_equal(t, b);
	/* Wrong, malformed, and one character off: the same answer. */
	char wrong[HEARTH_TOKEN_LEN + 1];
	strcpy(wrong, tok);
	wrong[10] = wrong[10] == 'A' ? 'B' : 'A';
	const char *bads[] = {wrong, "", "hth_", "Bearer x", tok + 1};
	for (size_t i = 0; i < 5; i++) {
		eb.msg[0] = 0;
		assert_int_equal(hearth_store_token_auth(st, bads[i], &t, &sc, &eb), HEARTH_EINVAL);
		assert_string_equal(eb.msg, "invalid token");
		assert_int_equal(t, 0);
	}
	/* Only the hash is stored. */
	hearth_token_info info[8];
	size_t n;
	assert_int_equal(hearth_store_token_list(st, a, info, 8, &n, &eb), HEARTH_OK);
	assert_int_equal(n, 1);
	assert_int_equal(info[0].id, id);
	assert_string_equal(info[0].description, "ci");
	assert_true(strlen(info[0].prefix) < 12 && !strncmp(tok, info[0].prefix, 8));
	/* Another tenant's token cannot be revoked or seen. */
	assert_int_equal(hearth_store_token_revoke(st, b, id, &eb), HEARTH_EINVAL);
	assert_non_null(strstr(eb.msg, "not found"));
	assert_int_equal(hearth_store_token_list(st, b, info, 8, &n, &eb), HEARTH_OK);
	assert_int_equal(n, 1);
	assert_int_equal(info[0].id, id2);
	assert_int_equal(hearth_store_token_revoke(st, a, id, &eb), HEARTH_OK);
	eb.msg[0] = 0;
	assert_int_equal(hearth_store_token_auth(st, tok, &t, &sc, &eb), HEARTH_EINVAL);
	assert_string_equal(eb.msg, "invalid token");
	assert_int_equal(hearth_store_token_list(st, a, info, 8, &n, &eb), HEARTH_OK);
	assert_true(info[0].revoked);
	unsigned s;
	assert_int_equal(hearth_scopes_parse("push,read", &s, &eb), HEARTH_OK);
	assert_int_equal(s, HEARTH_SCOPE_PUSH | HEARTH_SCOPE_READ);
	assert_int_equal(hearth_scopes_parse("push,root", &s, &eb), HEARTH_EINVAL);
	char buf[32];
	hearth_scopes_format(HEARTH_SCOPE_READ | HEARTH_SCOPE_ADMIN, buf, sizeof(buf));
	assert_string_equal(buf, "read,admin");
	hearth_store_close(st);
	/* Tokens survive a reopen (the file is the truth). */
	st = open_store("tokens");
	assert_int_equal(hearth_store_token_auth(st, tok2, &t, &sc, &eb), HEARTH_OK);
	assert_int_equal(t, b);

	/* Sessions: made from a valid token only, with its tenant and scopes,
	 * a CSRF secret derived from the id; they survive a reopen, end with
	 * their token's revocation or logout, and expire. */
	char sid[HEARTH_SESSION_ID_LEN + 1], csrf[HEARTH_SESSION_ID_LEN + 1];
	char sid2[HEARTH_SESSION_ID_LEN + 1], csrf2[HEARTH_SESSION_ID_LEN + 1];
	char sid3[HEARTH_SESSION_ID_LEN + 1], c3[HEARTH_SESSION_ID_LEN + 1];
	char got[HEARTH_SESSION_ID_LEN + 1];
	int64_t hour = 3600LL * 1000000000;
	assert_int_equal(hearth_store_session_create(st, tok, hour, sid, csrf, &t, &sc, &eb),
			 HEARTH_EINVAL); /* revoked above */
	assert_int_equal(hearth_store_session_create(st, tok2, hour, sid, csrf, &t, &sc, &eb),
			 HEARTH_OK);
	assert_int_equal(t, b);
	assert_int_equal(strlen(sid), HEARTH_SESSION_ID_LEN);
	assert_int_equal(strlen(csrf), HEARTH_SESSION_ID_LEN);
	assert_string_not_equal(sid, csrf);
	assert_int_equal(hearth_store_session_create(st, tok2, hour, sid2, csrf2, &t, &sc, &eb),
			 HEARTH_OK);
	assert_string_not_equal(sid, sid2);
	assert_string_not_equal(csrf, csrf2);
	/* A session of a short life, to expire, of another token. */
	char tok3[HEARTH_TOKEN_LEN + 1];
	int64_t id3;
	assert_int_equal(hearth_store_token_create(st, b, HEARTH_SCOPE_READ, NULL, tok3, &id3, &eb),
			 HEARTH_OK);
	assert_int_equal(hearth_store_session_create(st, tok3, 1, sid3, c3, &t, &sc, &eb),
			 HEARTH_OK);
	hearth_store_close(st);
	st = open_store("tokens");
	t = 0;
	assert_int_equal(hearth_store_session_auth(st, sid, &t, &sc, got, &eb), HEARTH_OK);
	assert_int_equal(t, b);
	assert_int_equal(sc, HEARTH_SCOPE_READ);
	assert_string_equal(got, csrf);
	eb.msg[0] = 0;
	assert_int_equal(hearth_store_session_auth(st, sid3, &t, &sc, got, &eb), HEARTH_EINVAL);
	assert_string_equal(eb.msg, "invalid session");
	assert_int_equal(t, 0);
	char forged[HEARTH_SESSION_ID_LEN + 1];
	strcpy(forged, sid);
	forged[5] = forged[5] == 'a' ? 'b' : 'a';
	const char *bad_ids[] = {forged, "", "00", csrf, sid + 1};
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(hearth_store_session_auth(st, bad_ids[i], &t, &sc, got, &eb),
				 HEARTH_EINVAL);
	assert_int_equal(hearth_store_session_end(st, sid2, &eb), HEARTH_OK);
	assert_int_equal(hearth_store_session_auth(st, sid2, &t, &sc, got, &eb), HEARTH_EINVAL);
	assert_int_equal(hearth_store_session_end(st, sid2, &eb), HEARTH_OK);
	assert_int_equal(hearth_store_session_auth(st, sid, &t, &sc, got, &eb), HEARTH_OK);
	assert_int_equal(hearth_store_token_revoke(st, b, id2, &eb), HEARTH_OK);
	assert_int_equal(hearth_store_session_auth(st, sid, &t, &sc, got, &eb), HEARTH_EINVAL);
	hearth_store_close(st);
	if (!pg_base) {
		/* Revoking deleted the session rows; the sweep the expired one. */
		assert_int_equal(count_rows("tokens", "select count(*) from sessions"), 1);
		st = open_store("tokens");
		size_t deleted;
		assert_int_equal(hearth_store_sweep(st, ((int64_t)time(NULL) + 1) * 1000000000, &deleted, &eb),
				 HEARTH_OK);
		hearth_store_close(st);
		assert_int_equal(count_rows("tokens", "select count(*) from sessions"), 0);
	}
}

static const char *const kinds[] = {
    "leaky.cpu.pb.gz",	 "leaky.heap.pb.gz",	 "leaky.goroutine.pb.gz",     "leaky.block.pb.gz",
    "leaky.mutex.pb.gz", "searchsvc.heap.pb.gz", "leaky.series.01.cpu.pb.gz",
};

/* Each kind of profile: get() reads back what was put (top on every sample
 * type, traces, tags); the merge of the same profile pushed three times
 * equals hearth_merge of the three (snapshots averaged). */
static void test_roundtrip(void **state)
{
	(void)state;
	hearth_store *st = open_store("roundtrip");
	int64_t t = tenant(st, "alice");
	hearth_errbuf eb = {{0}};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		hearth_profile *p = load(kinds[i]);
		char svc[64];
		snprintf(svc, sizeof(svc), "svc%zu", i);
		p->time_nanos = T0 + (int64_t)i * MIN;
		int64_t id = put(st, t, p, svc, NULL, p->time_nanos, NULL, 0);
		hearth_profile *g = NULL;
		hearth_profile_info info;
		assert_int_equal(hearth_store_get(st, t, id, &g, &info, &eb), HEARTH_OK);
		assert_string_equal(info.service, svc);
		assert_int_equal(info.time_nanos, p->time_nanos);
		assert_int_equal(info.ntotals, p->nsample_types);
		for (uint32_t k = 0; k < p->nsample_types; k++) {
			int64_t sum = 0;
			for (size_t s = 0; s < p->nsamples; s++)
				sum += hearth_sample_values(p, s)[k];
			assert_int_equal(info.totals[k], sum);
		}
		check_all_types(p, g);
		assert_same_report(p, g, HEARTH_CMD_TRACES, NULL);
		assert_same_report(p, g, HEARTH_CMD_TAGS, NULL);
		assert_int_equal(g->ncomments, p->ncomments);
		assert_int_equal(g->period, p->period);
		assert_int_equal(g->duration_nanos, p->duration_nanos);
		/* The same bytes of profile.proto, after both are re-encoded by
		 * one writer (the ids are renumbered). */
		hearth_profile_info_free(&info);
		hearth_profile_free(g);

		/* Two more, a minute apart, then the merge of the three. */
		hearth_profile *ps[3] = {p, hearth_profile_clone(p), hearth_profile_clone(p)};
		hearth_profile_scale(ps[1], 3);
		hearth_profile_scale(ps[2], 0.5);
		put(st, t, ps[1], svc, NULL, p->time_nanos + 10 * MIN, NULL, 0);
		put(st, t, ps[2], svc, NULL, p->time_nanos + 20 * MIN, NULL, 0);
		const char *type = hearth_profile_type_guess(p);
		char sel[128];
		snprintf(sel, sizeof(sel), "{service=\"%s\"}", svc);
		size_t n = 0;
		hearth_profile *m = merge(st, t, sel, type, T0, T0 + DAY, &n);
		assert_int_equal(n, 3);
		hearth_profile *want = reference(ps, 3);
		check_all_types(want, m);
		/* Without the samples' labels: the same reports, no labels, no
		 * more samples (fewer where stacks had several label sets). */
		hearth_selector s2;
		hearth_profile *nl = NULL;
		size_t n2 = 0;
		assert_int_equal(hearth_selector_parse(sel, &s2, &eb), HEARTH_OK);
		assert_int_equal(hearth_store_merge_flags(st, t, &s2, type, T0, T0 + DAY,
							  HEARTH_MERGE_NO_LABELS, &nl, &n2, &eb),
				 HEARTH_OK);
		hearth_selector_free(&s2);
		assert_int_equal(n2, 3);
		check_all_types(want, nl);
		assert_true(nl->nsamples <= m->nsamples);
		for (size_t k = 0; k < nl->nsamples; k++)
			assert_int_equal(nl->samples[k].nlabels, 0);
		hearth_profile_free(nl);
		hearth_profile_free(want);
		hearth_profile_free(m);
		for (int k = 0; k < 3; k++)
			hearth_profile_free(ps[k]);
	}
	hearth_store_close(st);
}

/* A store written before sample blocks had version 2 (tests/data/store-v1:
 * leaky.cpu.pb.gz as service v1cpu and leaky.heap.pb.gz as v1heap, pushed
 * to the hearth serve of commit 2918ce8): its blocks read back as the
 * files, and a merge of an old block with a new one of the same profile
 * reports as the files merged (labels spelled out in version 1 and keys as
 * dictionary ids in version 2 land in one report). */
static void test_block_v1(void **state)
{
	(void)state;
	char src[4096], dir[512], cmd[9000];
	data_path(src, sizeof(src), "store-v1/hearth.db");
	snprintf(dir, sizeof(dir), "%s/v1", tmpdir);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s' && cp '%s' '%s/hearth.db'", dir, src, dir);
	assert_int_equal(system(cmd), 0);
	hearth_store *st = NULL;
	hearth_errbuf eb = {{0}};
	hearth_store_config cfg = {0};
	if (hearth_store_open(dir, &cfg, &st, &eb))
		fail_msg("open %s: %s", dir, eb.msg);
	int64_t t = tenant(st, "alice");
	const char *files[2] = {"leaky.cpu.pb.gz", "leaky.heap.pb.gz"};
	const char *svcs[2] = {"v1cpu", "v1heap"};
	for (int i = 0; i < 2; i++) {
		hearth_profile *p = load(files[i]), *g = NULL;
		assert_int_equal(hearth_store_get(st, t, i + 1, &g, NULL, &eb), HEARTH_OK);
		check_all_types(p, g);
		assert_same_report(p, g, HEARTH_CMD_TRACES, NULL);
		assert_same_report(p, g, HEARTH_CMD_TAGS, NULL);
		/* The same file again, stored as version 2, a second later. */
		hearth_profile *ps[2] = {p, hearth_profile_clone(p)};
		hearth_profile_scale(ps[1], 2);
		put(st, t, ps[1], svcs[i], NULL, g->time_nanos + SEC, NULL, 0);
		char sel[64];
		snprintf(sel, sizeof(sel), "{service=\"%s\"}", svcs[i]);
		size_t n = 0;
		hearth_profile *m = merge(st, t, sel, hearth_profile_type_guess(p),
					  g->time_nanos - HOUR, g->time_nanos + HOUR, &n);
		assert_int_equal(n, 2);
		hearth_profile *want = reference(ps, 2);
		check_all_types(want, m);
		for (uint32_t k = 0; k < want->nsample_types; k++) {
			char *x = report(want, HEARTH_CMD_TAGS, hearth_s(want, want->sample_types[k].type));
			char *y = report(m, HEARTH_CMD_TAGS, hearth_s(want, want->sample_types[k].type));
			assert_string_equal(x, y);
			free(x);
			free(y);
		}
		hearth_profile_free(want);
		hearth_profile_free(m);
		hearth_profile_free(g);
		hearth_profile_free(ps[0]);
		hearth_profile_free(ps[1]);
	}
	hearth_store_close(st);
}

static void test_queries(void **state)
{
	(void)state;
	hearth_store *st = open_store("queries");
	int64_t a = tenant(st, "alice"), b = tenant(st, "bob");
	hearth_errbuf eb = {{0}};
	hearth_profile *cpu = load("leaky.cpu.pb.gz"), *heap = load("leaky.heap.pb.gz");
	hearth_kv prod[] = {{"env", "prod"}, {"pod", "p1"}};
	hearth_kv dev[] = {{"env", "dev"}, {"pod", "d1"}};
	int64_t ids[12];
	for (int i = 0; i < 6; i++) {
		ids[2 * i] = put(st, a, cpu, "api", NULL, T0 + i * MIN, prod, 2);
		ids[2 * i + 1] = put(st, a, cpu, "api", NULL, T0 + i * MIN, dev, 2);
	}
	put(st, a, heap, "api", NULL, T0, prod, 2);
	put(st, a, cpu, "db", NULL, T0 + HOUR, NULL, 0);
	hearth_strlist l;
	assert_int_equal(hearth_store_services(st, a, T0, T0 + DAY, &l, &eb), HEARTH_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "api");
	assert_string_equal(l.v[1], "db");
	hearth_strlist_free(&l);
	/* The range counts: db's only profile is an hour in. */
	assert_int_equal(hearth_store_services(st, a, T0, T0 + 30 * MIN, &l, &eb), HEARTH_OK);
	assert_int_equal(l.n, 1);
	hearth_strlist_free(&l);
	hearth_typelist tl;
	assert_int_equal(hearth_store_types(st, a, "api", T0, T0 + DAY, &tl, &eb), HEARTH_OK);
	assert_int_equal(tl.n, 2);
	for (size_t i = 0; i < tl.n; i++) {
		if (!strcmp(tl.v[i].type, "heap")) {
			assert_int_equal(tl.v[i].nsample_types, 4);
			assert_string_equal(tl.v[i].sample_types[tl.v[i].default_sample],
					    "inuse_space/bytes");
		} else {
			assert_string_equal(tl.v[i].type, "cpu");
			assert_string_equal(tl.v[i].sample_types[1], "cpu/nanoseconds");
		}
	}
	hearth_typelist_free(&tl);
	hearth_selector sel;
	assert_int_equal(hearth_selector_parse("{service=\"api\"}", &sel, &eb), HEARTH_OK);
	assert_int_equal(hearth_store_label_names(st, a, &sel, T0, T0 + DAY, &l, &eb), HEARTH_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "env");
	hearth_strlist_free(&l);
	assert_int_equal(hearth_store_label_values(st, a, &sel, "env", T0, T0 + DAY, &l, &eb),
			 HEARTH_OK);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0], "dev");
	assert_string_equal(l.v[1], "prod");
	hearth_strlist_free(&l);

	/* Series: per minute, grouped by env; each point is the profile's
	 * total of cpu/nanoseconds. */
	int64_t cputotal = 0;
	for (size_t s = 0; s < cpu->nsamples; s++)
		cputotal += hearth_sample_values(cpu, s)[1];
	const char *gb[] = {"env"};
	hearth_serieslist sl;
	assert_int_equal(
	    hearth_store_series(st, a, &sel, "cpu", 1, T0, T0 + 10 * MIN, MIN, gb, 1, &sl, &eb),
	    HEARTH_OK);
	assert_int_equal(sl.n, 2);
	for (size_t g = 0; g < sl.n; g++) {
		assert_int_equal(sl.v[g].npoints, 10);
		assert_string_equal(sl.v[g].labels[0].name, "env");
		for (size_t k = 0; k < 10; k++) {
			assert_int_equal(sl.v[g].has[k], k < 6);
			assert_int_equal(sl.v[g].points[k], k < 6 ? cputotal : 0);
		}
	}
	hearth_serieslist_free(&sl);
	/* One group, 2-minute steps: two profiles of each env per step. */
	assert_int_equal(hearth_store_series(st, a, &sel, "cpu", 1, T0, T0 + 6 * MIN, 2 * MIN, NULL,
					     0, &sl, &eb),
			 HEARTH_OK);
	assert_int_equal(sl.n, 1);
	assert_int_equal(sl.v[0].npoints, 3);
	for (size_t k = 0; k < 3; k++)
		assert_int_equal(sl.v[0].points[k], 4 * cputotal);
	hearth_serieslist_free(&sl);
	hearth_selector_free(&sel);

	/* List: newest first, 5 a page, every cpu profile of api once. */
	assert_int_equal(hearth_selector_parse("{service=\"api\",env=~\"prod|dev\"}", &sel, &eb),
			 HEARTH_OK);
	int64_t cursor = 0, seen = 0, last_time = INT64_MAX;
	bool found[12] = {0};
	do {
		hearth_profilelist pl;
		assert_int_equal(
		    hearth_store_list(st, a, &sel, "cpu", T0, T0 + DAY, cursor, 5, &pl, &eb),
		    HEARTH_OK);
		assert_true(pl.n <= 5);
		for (size_t i = 0; i < pl.n; i++) {
			assert_true(pl.v[i].time_nanos <= last_time);
			last_time = pl.v[i].time_nanos;
			assert_string_equal(pl.v[i].type, "cpu");
			assert_int_equal(pl.v[i].totals[1], cputotal);
			assert_int_equal(pl.v[i].nlabels, 2);
			for (int k = 0; k < 12; k++)
				if (ids[k] == pl.v[i].id) {
					assert_false(found[k]);
					found[k] = true;
				}
			seen++;
		}
		cursor = pl.next_cursor;
		hearth_profilelist_free(&pl);
	} while (cursor);
	assert_int_equal(seen, 12);
	for (int k = 0; k < 12; k++)
		assert_true(found[k]);
	hearth_selector_free(&sel);

	/* Idempotent ingest. */
	hearth_put_meta m = {.service = "api", .ingest_id = "upload-1"};
	int64_t i1, i2;
	assert_int_equal(hearth_store_put(st, a, cpu, &m, &i1, &eb), HEARTH_OK);
	assert_int_equal(hearth_store_put(st, a, cpu, &m, &i2, &eb), HEARTH_OK);
	assert_int_equal(i1, i2);
	/* The same key in another tenant is another profile. */
	assert_int_equal(hearth_store_put(st, b, cpu, &m, &i2, &eb), HEARTH_OK);
	assert_true(i1 != i2);

	/* Bad metadata stores nothing. */
	hearth_kv badl[] = {{"service", "x"}};
	hearth_put_meta bm = {.service = "api", .labels = badl, .nlabels = 1};
	assert_int_equal(hearth_store_put(st, a, cpu, &bm, &i2, &eb), HEARTH_EINVAL);
	hearth_put_meta bm2 = {.service = ""};
	assert_int_equal(hearth_store_put(st, a, cpu, &bm2, &i2, &eb), HEARTH_EINVAL);

	/* Isolation: bob sees none of alice's services, labels, values, ids. */
	assert_int_equal(hearth_store_services(st, b, 0, INT64_MAX, &l, &eb), HEARTH_OK);
	assert_int_equal(l.n, 1); /* his own upload-1 */
	hearth_strlist_free(&l);
	assert_int_equal(hearth_store_label_names(st, b, NULL, 0, INT64_MAX, &l, &eb), HEARTH_OK);
	assert_int_equal(l.n, 0);
	hearth_strlist_free(&l);
	assert_int_equal(hearth_store_label_values(st, b, NULL, "env", 0, INT64_MAX, &l, &eb),
			 HEARTH_OK);
	assert_int_equal(l.n, 0);
	hearth_strlist_free(&l);
	for (int k = 0; k < 12; k++) {
		hearth_profile *g = NULL;
		eb.msg[0] = 0;
		assert_int_equal(hearth_store_get(st, b, ids[k], &g, NULL, &eb), HEARTH_EINVAL);
		assert_string_equal(eb.msg, "profile not found");
		assert_null(g);
	}
	hearth_profile *g = NULL;
	eb.msg[0] = 0;
	assert_int_equal(hearth_store_get(st, a, 999999, &g, NULL, &eb), HEARTH_EINVAL);
	assert_string_equal(eb.msg, "profile not found");
	assert_int_equal(hearth_selector_parse("{service=\"api\"}", &sel, &eb), HEARTH_OK);
	eb.msg[0] = 0;
	assert_int_equal(hearth_store_merge(st, b, &sel, "cpu", T0, T0 + DAY, &g, NULL, &eb),
			 HEARTH_EINVAL);
	assert_string_equal(eb.msg, "no profiles in the range");
	hearth_profilelist pl;
	assert_int_equal(hearth_store_list(st, b, &sel, NULL, T0, T0 + DAY, 0, 100, &pl, &eb),
			 HEARTH_OK);
	assert_int_equal(pl.n, 0);
	hearth_profilelist_free(&pl);
	/* A tenant that does not exist sees nothing either. */
	assert_int_equal(hearth_store_list(st, 12345, &sel, NULL, T0, T0 + DAY, 0, 100, &pl, &eb),
			 HEARTH_OK);
	assert_int_equal(pl.n, 0);
	hearth_profilelist_free(&pl);
	hearth_selector_free(&sel);
	hearth_usage u;
	assert_int_equal(hearth_store_usage(st, a, &u, &eb), HEARTH_OK);
	assert_int_equal(u.profiles, 15);
	assert_int_equal(u.series, 5);
	assert_true(u.bytes > 0);
	hearth_profile_free(cpu);
	hearth_profile_free(heap);
	hearth_store_close(st);
}

/* ---- rollups, retention, crashes ---- */

typedef struct {
	int64_t time;
	hearth_profile *p;
} stored;

/* hearth_merge of the stored profiles in [from, until) (one series). */
static hearth_profile *reference_range(stored *v, size_t n, int64_t from, int64_t until,
				       size_t *count)
{
	hearth_profile **ps = malloc(n * sizeof(*ps));
	int k = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].time >= from && v[i].time < until)
			ps[k++] = v[i].p;
	*count = (size_t)k;
	hearth_profile *m = k ? reference(ps, k) : NULL;
	free(ps);
	return m;
}

static int64_t count_rows(const char *sub, const char *sql)
{
	if (pg_base) {
		char db[128];
		snprintf(db, sizeof(db), "ts_%s", sub);
		PGconn *c = pg_connect(db);
		PGresult *r = PQexec(c, sql);
		if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
			fail_msg("%s: %s", sql, PQerrorMessage(c));
		int64_t n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		PQfinish(c);
		return n;
	}
	char path[600];
	snprintf(path, sizeof(path), "%s/%s/hearth.db", tmpdir, sub);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}

static void check_ranges(hearth_store *st, int64_t t, const char *svc, const char *type, stored *v,
			 size_t n, const int64_t (*ranges)[2], size_t nranges)
{
	char sel[64];
	snprintf(sel, sizeof(sel), "{service=\"%s\"}", svc);
	for (size_t r = 0; r < nranges; r++) {
		size_t want_n, got_n = 0;
		hearth_profile *want = reference_range(v, n, ranges[r][0], ranges[r][1], &want_n);
		assert_non_null(want);
		hearth_profile *got = merge(st, t, sel, type, ranges[r][0], ranges[r][1], &got_n);
		assert_int_equal(got_n, want_n);
		check_all_types(want, got);
		assert_int_equal(got->duration_nanos, want->duration_nanos);
		assert_int_equal(got->time_nanos, want->time_nanos);
		/* The same from rollups and profiles by stack alone. */
		hearth_selector s2;
		hearth_profile *nl = NULL;
		hearth_errbuf eb = {{0}};
		assert_int_equal(hearth_selector_parse(sel, &s2, &eb), HEARTH_OK);
		assert_int_equal(hearth_store_merge_flags(st, t, &s2, type, ranges[r][0],
							  ranges[r][1], HEARTH_MERGE_NO_LABELS,
							  &nl, &got_n, &eb),
				 HEARTH_OK);
		hearth_selector_free(&s2);
		assert_int_equal(got_n, want_n);
		check_all_types(want, nl);
		hearth_profile_free(nl);
		hearth_profile_free(want);
		hearth_profile_free(got);
	}
}

/* Rollups (10 minutes, hours, days) give the merges single profiles give:
 * over ranges that cut buckets anywhere, after late arrivals into built
 * buckets, for summed (cpu) and averaged (heap's inuse_*) sample types. */
static void test_rollups(void **state)
{
	(void)state;
	hearth_store *st = open_store("rollups");
	int64_t t = tenant(st, "alice");
	hearth_errbuf eb = {{0}};
	const char *files[] = {"leaky.cpu.pb.gz", "leaky.series.01.cpu.pb.gz",
			       "leaky.series.02.cpu.pb.gz"};
	hearth_profile *src[3], *heap = load("leaky.heap.pb.gz"),
				*heap2 = load("searchsvc.heap.pb.gz");
	for (int i = 0; i < 3; i++)
		src[i] = load(files[i]);
	size_t cap = 1024, n = 0, nh = 0;
	stored *v = calloc(cap, sizeof(*v)), *vh = calloc(cap, sizeof(*vh));
	/* cpu every 7 minutes for 50 hours; heap every 13 (two programs' heaps
	 * would not merge: one program, values scaled per profile). */
	for (int64_t at = T0 + 3 * MIN; at < T0 + 50 * HOUR; at += 7 * MIN) {
		hearth_profile *p = hearth_profile_clone(src[n % 3]);
		hearth_profile_scale(p, 1 + (double)(n % 5));
		p->time_nanos = at;
		put(st, t, p, "api", NULL, at, NULL, 0);
		v[n].time = at;
		v[n++].p = p;
	}
	(void)heap2;
	for (int64_t at = T0 + 1 * MIN; at < T0 + 50 * HOUR; at += 13 * MIN) {
		hearth_profile *p = hearth_profile_clone(heap);
		hearth_profile_scale(p, 1 + (double)(nh % 7) / 3);
		p->time_nanos = at;
		put(st, t, p, "mem", "heap", at, NULL, 0);
		vh[nh].time = at;
		vh[nh++].p = p;
	}
	const int64_t ranges[][2] = {
	    {T0, T0 + 2 * DAY + 3 * HOUR},  {T0 + 7 * MIN, T0 + 2 * HOUR + 13 * MIN},
	    {T0 + 52 * MIN, T0 + 67 * MIN}, {T0 + 23 * HOUR + 1, T0 + 47 * HOUR - 1},
	    {T0 + DAY, T0 + 2 * DAY},
	};
	size_t nr = sizeof(ranges) / sizeof(ranges[0]);
	check_ranges(st, t, "api", "cpu", v, n, ranges, nr);
	check_ranges(st, t, "mem", "heap", vh, nh, ranges, nr);

	size_t built = 0;
	assert_int_equal(hearth_store_compact(st, T0 + 10 * DAY, &built, &eb), HEARTH_OK);
	assert_true(built > 0);
	assert_true(count_rows("rollups", "select count(*) from rollups where level=2") >= 2);
	assert_true(count_rows("rollups", "select count(*) from rollups where level=1") >= 40);
	assert_int_equal(count_rows("rollups", "select count(*) from dirty"), 0);
	check_ranges(st, t, "api", "cpu", v, n, ranges, nr);
	check_ranges(st, t, "mem", "heap", vh, nh, ranges, nr);

	/* Late arrivals into built buckets: their rollups give way at once. */
	int64_t late[] = {T0 + 61 * MIN, T0 + DAY + 5 * HOUR + 1, T0 + 30 * SEC};
	for (size_t i = 0; i < 3; i++) {
		hearth_profile *p = hearth_profile_clone(src[i]);
		p->time_nanos = late[i];
		put(st, t, p, "api", NULL, late[i], NULL, 0);
		v[n].time = late[i];
		v[n++].p = p;
		hearth_profile *h = hearth_profile_clone(heap);
		h->time_nanos = late[i];
		put(st, t, h, "mem", "heap", late[i], NULL, 0);
		vh[nh].time = late[i];
		vh[nh++].p = h;
	}
	check_ranges(st, t, "api", "cpu", v, n, ranges, nr);
	check_ranges(st, t, "mem", "heap", vh, nh, ranges, nr);
	assert_int_equal(hearth_store_compact(st, T0 + 10 * DAY, &built, &eb), HEARTH_OK);
	assert_true(built > 0);
	check_ranges(st, t, "api", "cpu", v, n, ranges, nr);
	check_ranges(st, t, "mem", "heap", vh, nh, ranges, nr);

	/* Retention: a day and a half kept at T0 + 2 days + 12 hours. */
	int64_t now = T0 + 2 * DAY + 12 * HOUR, cutoff = now - DAY - 12 * HOUR;
	assert_int_equal(hearth_store_tenant_set_retention(st, t, DAY + 12 * HOUR, &eb), HEARTH_OK);
	size_t deleted = 0, expect = 0;
	for (size_t i = 0; i < n; i++)
		expect += v[i].time < cutoff;
	for (size_t i = 0; i < nh; i++)
		expect += vh[i].time < cutoff;
	/* Metric points go with the profiles: one just before the cutoff,
	 * one at it. */
	hearth_metric gc = {"gc_count", 7};
	assert_int_equal(hearth_store_metrics_put(st, t, "api", "", cutoff - 1, &gc, 1, &eb),
			 HEARTH_OK);
	gc.value = 8;
	assert_int_equal(hearth_store_metrics_put(st, t, "api", "", cutoff, &gc, 1, &eb),
			 HEARTH_OK);
	assert_int_equal(hearth_store_sweep(st, now, &deleted, &eb), HEARTH_OK);
	assert_int_equal(deleted, expect);
	hearth_metric_points mp = {0};
	assert_int_equal(hearth_store_metrics_query(st, t, "api", "gc_count", T0, now, &mp, &eb),
			 HEARTH_OK);
	assert_int_equal(mp.n, 1);
	assert_true(mp.v[0].time_nanos == cutoff && mp.v[0].value == 8);
	hearth_metric_points_free(&mp);
	char q[128];
	snprintf(q, sizeof(q), "select count(*) from profiles where time < %lld",
		 (long long)cutoff);
	assert_int_equal(count_rows("rollups", q), 0);
	/* What the reference keeps: the profiles past the cutoff. */
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].time < cutoff)
			hearth_profile_free(v[i].p);
		else
			v[w++] = v[i];
	}
	n = w;
	w = 0;
	for (size_t i = 0; i < nh; i++) {
		if (vh[i].time < cutoff)
			hearth_profile_free(vh[i].p);
		else
			vh[w++] = vh[i];
	}
	nh = w;
	check_ranges(st, t, "api", "cpu", v, n, ranges + 3, 2);
	check_ranges(st, t, "mem", "heap", vh, nh, ranges + 3, 2);
	/* Whatever the rollups held of deleted profiles is gone too. */
	const int64_t whole[][2] = {{T0, T0 + 3 * DAY}};
	check_ranges(st, t, "api", "cpu", v, n, whole, 1);
	hearth_usage u;
	assert_int_equal(hearth_store_usage(st, t, &u, &eb), HEARTH_OK);
	assert_true(u.oldest_nanos >= cutoff);

	for (size_t i = 0; i < n; i++)
		hearth_profile_free(v[i].p);
	for (size_t i = 0; i < nh; i++)
		hearth_profile_free(vh[i].p);
	free(v);
	free(vh);
	for (int i = 0; i < 3; i++)
		hearth_profile_free(src[i]);
	hearth_profile_free(heap);
	hearth_profile_free(heap2);
	hearth_store_close(st);
}

/* PostgreSQL: days partitioned by tenant too.  Tenants with a retention
 * of their own when a day is made get a partition of it, dropped whole
 * when their retention passes the day; the default partition goes at the
 * default retention unless it holds rows of a tenant who keeps the day
 * longer (a retention set after the day was made); a late put into a day
 * whose default partition was dropped gets one again. */
static int64_t pg_parts(const char *like)
{
	char q[256];
	snprintf(q, sizeof(q), "select count(*) from pg_class where relname like '%s'", like);
	return count_rows("parts", q);
}

static void test_pg_partitions(void **state)
{
	(void)state;
	hearth_store *st = open_store("parts");
	int64_t alice = tenant(st, "alice"), bob = tenant(st, "bob"), carol = tenant(st, "carol"),
		dora = tenant(st, "dora");
	hearth_errbuf eb = {{0}};
	assert_int_equal(hearth_store_tenant_set_retention(st, bob, 2 * DAY, &eb), HEARTH_OK);
	assert_int_equal(hearth_store_tenant_set_retention(st, carol, 30 * DAY, &eb), HEARTH_OK);
	hearth_profile *p = load("searchsvc.heap.pb.gz");
	const int64_t who[] = {alice, bob, carol, dora};
	for (int d = 0; d < 5; d++)
		for (int k = 0; k < 4; k++)
			for (int i = 0; i < 2; i++)
				put(st, who[k], p, "api", NULL, T0 + d * DAY + HOUR + i * 20 * MIN,
				    NULL, 0);
	long long day0 = (long long)(T0 / DAY);
	char like[128];
	snprintf(like, sizeof(like), "profiles\\_d%%\\_t%lld", (long long)bob);
	assert_int_equal(pg_parts(like), 5);
	snprintf(like, sizeof(like), "profiles\\_d%%\\_t%lld", (long long)alice);
	assert_int_equal(pg_parts(like), 0);
	assert_int_equal(pg_parts("profiles\\_d%\\_def"), 5);
	size_t built = 0, deleted = 0;
	assert_int_equal(hearth_store_compact(st, T0 + 5 * DAY, &built, &eb), HEARTH_OK);
	assert_true(built > 0);
	/* dora keeps 30 days from now on: her rows of the first days are in
	 * the default partitions, which must stay. */
	assert_int_equal(hearth_store_tenant_set_retention(st, dora, 30 * DAY, &eb), HEARTH_OK);
	int64_t now = T0 + 16 * DAY + 2 * HOUR;
	assert_int_equal(hearth_store_sweep(st, now, &deleted, &eb), HEARTH_OK);
	/* bob's five days went as partitions, alice's six rows one by one. */
	assert_int_equal(deleted, 10 + 6);
	snprintf(like, sizeof(like), "profiles\\_d%%\\_t%lld", (long long)bob);
	assert_int_equal(pg_parts(like), 0);
	snprintf(like, sizeof(like), "rollups\\_d%%\\_t%lld", (long long)bob);
	assert_int_equal(pg_parts(like), 0);
	snprintf(like, sizeof(like), "profiles\\_d%%\\_t%lld", (long long)carol);
	assert_int_equal(pg_parts(like), 5);
	assert_int_equal(pg_parts("profiles\\_d%\\_def"), 5);
	hearth_usage u;
	const int64_t left[] = {4, 0, 10, 10};
	assert_true(count_rows("parts", "select count(*) from rollups") > 0);
	for (int k = 0; k < 4; k++) {
		assert_int_equal(hearth_store_usage(st, who[k], &u, &eb), HEARTH_OK);
		assert_int_equal(u.profiles, left[k]);
	}
	assert_int_equal(count_rows("parts", "select count(*) from dirty where tenant = (select id "
					     "from tenants where name = 'bob')"),
			 0);
	/* dora back to the default: the default partitions of days 0 and 1
	 * go whole now, day 2's row by row. */
	assert_int_equal(hearth_store_tenant_set_retention(st, dora, 0, &eb), HEARTH_OK);
	deleted = 0;
	assert_int_equal(hearth_store_sweep(st, now, &deleted, &eb), HEARTH_OK);
	assert_int_equal(deleted, 6);
	snprintf(like, sizeof(like), "profiles\\_d%lld\\_def", day0);
	assert_int_equal(pg_parts(like), 0);
	snprintf(like, sizeof(like), "profiles\\_d%lld\\_def", day0 + 2);
	assert_int_equal(pg_parts(like), 1);
	assert_int_equal(hearth_store_usage(st, alice, &u, &eb), HEARTH_OK);
	assert_int_equal(u.profiles, 4);
	/* A late put into day 0 (its default partition gone) is stored; and
	 * bob's into a day without his partition goes to the default one. */
	put(st, alice, p, "api", NULL, T0 + 2 * HOUR, NULL, 0);
	put(st, bob, p, "api", NULL, T0 + DAY + 2 * HOUR, NULL, 0);
	snprintf(like, sizeof(like), "profiles\\_d%lld\\_def", day0);
	assert_int_equal(pg_parts(like), 1);
	size_t np = 0;
	hearth_profile *m = merge(st, alice, "{}", "heap", T0, T0 + DAY, &np);
	assert_int_equal(np, 1);
	hearth_profile_free(m);
	m = merge(st, bob, "{}", "heap", T0, T0 + 5 * DAY, &np);
	assert_int_equal(np, 1);
	hearth_profile_free(m);
	/* Both past retention: the next sweep takes them. */
	deleted = 0;
	assert_int_equal(hearth_store_sweep(st, now, &deleted, &eb), HEARTH_OK);
	assert_int_equal(deleted, 2);
	hearth_profile_free(p);
	hearth_store_close(st);
}

static off_t file_size(const char *sub)
{
	char path[600];
	struct stat sb;
	snprintf(path, sizeof(path), "%s/%s/hearth.db", tmpdir, sub);
	return stat(path, &sb) == 0 ? sb.st_size : -1;
}

/* A profile whose every sample carries a label of its own (a request id):
 * no two profiles share a sample. */
static hearth_profile *unique_labels(const hearth_profile *p, int64_t *next)
{
	hearth_profile *c = hearth_profile_clone(p);
	assert_non_null(c);
	c->nsamples = 0;
	uint32_t key = hearth_intern_cstr(c, "request");
	for (size_t i = 0; i < p->nsamples; i++) {
		hearth_label l = {.key = key, .num = (*next)++};
		assert_int_equal(hearth_add_sample(c, p->locs + p->samples[i].loc0,
						   p->samples[i].nlocs, hearth_sample_values(p, i),
						   &l, 1),
				 HEARTH_OK);
	}
	return c;
}

/* SQLite: hours whose profiles share no sample get no rollup, and then
 * neither does their day (it would merge every profile of the day to find
 * the same); merges read the profiles and stay exact.  A day of sparse
 * profiles (one an hour: no hour rollup to judge by) still gets its day. */
static void test_rollups_not_worth(void **state)
{
	(void)state;
	if (pg_base)
		skip(); /* PostgreSQL builds its days from the hours' parts */
	hearth_store *st = open_store("notworth");
	int64_t t = tenant(st, "alice");
	hearth_profile *p = load("leaky.cpu.pb.gz");
	stored v[16];
	size_t n = 0;
	int64_t next = 1;
	/* Each hour the same four sets of request ids: no hour is worth a
	 * rollup; the day would be (each sample three times), but is judged
	 * by its hours. */
	for (int h = 0; h < 3; h++)
		for (int k = 0; k < 4; k++) {
			v[n].time = T0 + h * HOUR + k * 10 * MIN;
			next = 1 + (int64_t)k * 1000000;
			v[n].p = unique_labels(p, &next);
			v[n].p->time_nanos = v[n].time;
			put(st, t, v[n].p, "noisy", "cpu", v[n].time, NULL, 0);
			n++;
		}
	for (int h = 0; h < 3; h++) /* the next day: one profile an hour */
		put(st, t, p, "sparse", "cpu", T0 + DAY + h * HOUR, NULL, 0);
	hearth_errbuf eb = {{0}};
	size_t built = 0;
	assert_int_equal(hearth_store_compact(st, T0 + 10 * DAY, &built, &eb), HEARTH_OK);
	assert_int_equal(count_rows("notworth", "select count(*) from rollups r join series s "
						"on r.series=s.id where s.service='noisy'"),
			 0);
	assert_int_equal(count_rows("notworth", "select count(*) from rollups r join series s "
						"on r.series=s.id where s.service='sparse' and "
						"r.level=2"),
			 1);
	const int64_t ranges[][2] = {{T0, T0 + DAY}, {T0 + 30 * MIN, T0 + 2 * HOUR + 5 * MIN}};
	check_ranges(st, t, "noisy", "cpu", v, n, ranges, 2);
	size_t got = 0;
	hearth_profile *m = merge(st, t, "{service=\"sparse\"}", "cpu", T0 + DAY, T0 + 2 * DAY,
				  &got);
	assert_int_equal(got, 3);
	hearth_profile_free(m);
	for (size_t i = 0; i < n; i++)
		hearth_profile_free(v[i].p);
	hearth_profile_free(p);
	hearth_store_close(st);
}

/* The sweep frees the disk: the file shrinks once everything has expired. */
static void test_retention_frees(void **state)
{
	(void)state;
	hearth_store *st = open_store("retention");
	int64_t t = tenant(st, "alice"), b = tenant(st, "bob");
	hearth_errbuf eb = {{0}};
	hearth_profile *p = load("searchsvc.heap.pb.gz");
	for (int i = 0; i < 200; i++)
		put(st, t, p, "api", NULL, T0 + i * MIN, NULL, 0);
	put(st, b, p, "api", NULL, T0 + 3 * DAY, NULL, 0);
	size_t built, deleted;
	assert_int_equal(hearth_store_compact(st, T0 + DAY, &built, &eb), HEARTH_OK);
	hearth_store_close(st);
	off_t before = file_size("retention");
	st = open_store("retention");
	/* bob keeps his own retention (30 days); alice's default 14 days. */
	assert_int_equal(hearth_store_tenant_set_retention(st, b, 30 * DAY, &eb), HEARTH_OK);
	assert_int_equal(hearth_store_sweep(st, T0 + 16 * DAY, &deleted, &eb), HEARTH_OK);
	assert_int_equal(deleted, 200);
	hearth_store_close(st);
	off_t after = file_size("retention");
	fprintf(stderr, "retention: %lld -> %lld bytes\n", (long long)before, (long long)after);
	assert_true(after < before / 2);
	assert_int_equal(count_rows("retention", "select count(*) from rollups"), 0);
	assert_int_equal(count_rows("retention", "select count(*) from blocks"), 1);
	st = open_store("retention");
	hearth_usage u = {0};
	if (hearth_store_usage(st, b, &u, &eb))
		fail_msg("usage: %s", eb.msg);
	assert_int_equal(u.profiles, 1);
	memset(&u, 0, sizeof(u));
	if (hearth_store_usage(st, t, &u, &eb))
		fail_msg("usage: %s", eb.msg);
	assert_int_equal(u.profiles, 0);
	hearth_profile_free(p);
	hearth_store_close(st);
}

/* p with every function renamed "NAME@key": the symbols of another build
 * (new functions, hence new locations). */
static hearth_profile *churned(const hearth_profile *p, int key)
{
	hearth_profile *c = hearth_profile_clone(p);
	assert_non_null(c);
	for (uint32_t f = 0; f < c->nfunctions; f++) {
		char nm[1024];
		snprintf(nm, sizeof(nm), "%s@%d", hearth_s(c, c->functions[f].name), key);
		c->functions[f].name = hearth_intern_cstr(c, nm);
	}
	return c;
}

static void dict_usage(hearth_store *st, int64_t t, int64_t *entries, int64_t *bytes)
{
	hearth_usage u = {0};
	hearth_errbuf eb = {{0}};
	if (hearth_store_usage(st, t, &u, &eb))
		fail_msg("usage: %s", eb.msg);
	*entries = u.dict_entries;
	if (bytes)
		*bytes = u.dict_bytes;
}

static void assert_reads_as(hearth_store *st, int64_t t, int64_t id, const hearth_profile *want)
{
	hearth_profile *g = NULL;
	hearth_errbuf eb = {{0}};
	if (hearth_store_get(st, t, id, &g, NULL, &eb))
		fail_msg("get %lld: %s", (long long)id, eb.msg);
	/* Filed under the put's time. */
	hearth_profile *w = hearth_profile_clone(want);
	w->time_nanos = g->time_nanos;
	check_all_types(w, g);
	assert_same_report(w, g, HEARTH_CMD_TRACES, NULL);
	hearth_profile_free(w);
	hearth_profile_free(g);
}

/* The dictionary sweep: once retention deleted the profiles of old builds,
 * the tenant's dictionary holds as many entries as a store given only the
 * profiles left (the reference), in fewer bytes; what is left reads as it
 * was pushed, before and after a reopen (chunks with runs of deleted ids,
 * chunks deleted whole); a build swept and pushed again gets new ids and
 * reads back; another tenant's dictionary is untouched. */
static void test_dict_sweep(void **state)
{
	(void)state;
	hearth_errbuf eb = {{0}};
	hearth_profile *p = load("leaky.cpu.pb.gz"), *h = load("searchsvc.heap.pb.gz");
	hearth_profile *k1 = churned(p, 100), *k3 = churned(p, 7);
	const int64_t kt = T0 + 15 * DAY;
	size_t built, deleted;
	int64_t ref_entries, ref_bytes, e0, b0, e1, b1, bob0, bob1;

	hearth_store *ref = open_store("dictsweep_ref");
	int64_t rt = tenant(ref, "alice");
	put(ref, rt, k1, "api", NULL, kt, NULL, 0);
	put(ref, rt, h, "api", NULL, kt + MIN, NULL, 0);
	put(ref, rt, k3, "api", NULL, kt + 2 * MIN, NULL, 0);
	assert_int_equal(hearth_store_compact(ref, kt + DAY, &built, &eb), HEARTH_OK);
	dict_usage(ref, rt, &ref_entries, &ref_bytes);
	hearth_store_close(ref);

	hearth_store *st = open_store("dictsweep");
	int64_t t = tenant(st, "alice"), b = tenant(st, "bob");
	for (int i = 0; i < 20; i++) {
		hearth_profile *c = churned(p, i);
		put(st, t, c, "api", NULL, T0 + i * HOUR, NULL, 0);
		hearth_profile_free(c);
	}
	int64_t id1 = put(st, t, k1, "api", NULL, kt, NULL, 0);
	int64_t id2 = put(st, t, h, "api", NULL, kt + MIN, NULL, 0);
	int64_t id3 = put(st, t, k3, "api", NULL, kt + 2 * MIN, NULL, 0);
	assert_int_equal(hearth_store_tenant_set_retention(st, b, 60 * DAY, &eb), HEARTH_OK);
	hearth_profile *bp = churned(p, 1);
	int64_t idb = put(st, b, bp, "api", NULL, T0, NULL, 0);
	assert_int_equal(hearth_store_compact(st, kt + DAY, &built, &eb), HEARTH_OK);
	dict_usage(st, t, &e0, &b0);
	dict_usage(st, b, &bob0, NULL);
	assert_true(e0 > 3 * ref_entries);
	hearth_store_close(st);
	off_t size0 = pg_base ? 0 : file_size("dictsweep");

	st = open_store("dictsweep");
	assert_int_equal(hearth_store_sweep(st, kt, &deleted, &eb), HEARTH_OK);
	assert_int_equal(deleted, 20);
	dict_usage(st, t, &e1, &b1);
	dict_usage(st, b, &bob1, NULL);
	fprintf(stderr,
		"dictionary sweep: %lld -> %lld entries (the reference: %lld), %lld -> %lld "
		"bytes (%lld)\n",
		(long long)e0, (long long)e1, (long long)ref_entries, (long long)b0, (long long)b1,
		(long long)ref_bytes);
	assert_int_equal(e1, ref_entries);
	assert_true(b1 <= ref_bytes + ref_bytes / 10 + 256);
	assert_int_equal(bob1, bob0);
	assert_reads_as(st, t, id1, k1);
	assert_reads_as(st, t, id2, h);
	assert_reads_as(st, t, id3, k3);
	assert_reads_as(st, b, idb, bp);
	size_t n = 0;
	hearth_profile *ps[2] = {k1, k3};
	hearth_profile *m = merge(st, t, "{service=\"api\"}", "cpu", kt, kt + HOUR, &n);
	hearth_profile *want = reference(ps, 2);
	want->time_nanos = m->time_nanos;
	assert_int_equal(n, 2);
	check_all_types(want, m);
	hearth_profile_free(m);
	hearth_profile_free(want);
	hearth_store_close(st);
	if (!pg_base) {
		off_t size1 = file_size("dictsweep");
		fprintf(stderr, "dictionary sweep: the file %lld -> %lld bytes\n",
			(long long)size0, (long long)size1);
		assert_true(size1 < size0);
	}

	/* Reopened: the chunks as the sweep wrote them load to the same. */
	st = open_store("dictsweep");
	dict_usage(st, t, &e1, NULL);
	assert_int_equal(e1, ref_entries);
	assert_reads_as(st, t, id1, k1);
	assert_reads_as(st, t, id3, k3);
	assert_reads_as(st, b, idb, bp);
	/* A swept build pushed again: new ids, read back whole. */
	hearth_profile *again = churned(p, 3);
	int64_t id4 = put(st, t, again, "api", NULL, kt + 3 * MIN, NULL, 0);
	assert_reads_as(st, t, id4, again);
	hearth_store_close(st);
	st = open_store("dictsweep");
	assert_reads_as(st, t, id4, again);
	/* Everything of alice past retention: her dictionary empties. */
	assert_int_equal(hearth_store_sweep(st, kt + 30 * DAY, &deleted, &eb), HEARTH_OK);
	assert_int_equal(deleted, 4);
	dict_usage(st, t, &e1, NULL);
	assert_int_equal(e1, 0);
	hearth_store_close(st);
	st = open_store("dictsweep");
	dict_usage(st, t, &e1, NULL);
	assert_int_equal(e1, 0);
	int64_t id5 = put(st, t, again, "api", NULL, kt + 30 * DAY, NULL, 0);
	assert_reads_as(st, t, id5, again);
	assert_reads_as(st, b, idb, bp);
	hearth_store_close(st);
	hearth_profile_free(again);
	hearth_profile_free(bp);
	hearth_profile_free(k1);
	hearth_profile_free(k3);
	hearth_profile_free(p);
	hearth_profile_free(h);
}

/* Puts racing dictionary sweeps: two threads push builds that come back
 * after their profiles were swept (their symbols unreferenced, deleted
 * while a put may hold their ids), a third sweeps behind them.  Every
 * acknowledged profile not swept reads back as it was pushed, then again
 * after a reopen. */
typedef struct {
	hearth_store *st;
	int64_t t;
	const hearth_profile *p;
	int who;
	int n;
	int64_t *ids, *times;
	int *keys;
	volatile int *progress;
	volatile int *stop;
	int pace_us; /* a pause after each put */
	int sweeps;  /* the sweeper's rounds */
	char err[600]; /* set by a thread that failed (cmocka fails on the main one) */
} racer;

static void *race_put(void *arg)
{
	racer *r = arg;
	hearth_errbuf eb = {{0}};
	for (int j = 0; j < r->n; j++) {
		/* A build for 4 puts, then away for 8 (swept meanwhile). */
		int key = (j / 4) % 3;
		hearth_profile *c = churned(r->p, key);
		c->time_nanos = T0 + (int64_t)j * MIN + r->who * 1000000000LL;
		hearth_put_meta m = {.service = r->who ? "b" : "a"};
		int64_t id = 0;
		if (hearth_store_put(r->st, r->t, c, &m, &id, &eb)) {
			snprintf(r->err, sizeof(r->err), "put: %s", eb.msg);
			hearth_profile_free(c);
			break;
		}
		r->ids[j] = id;
		r->times[j] = c->time_nanos;
		r->keys[j] = key;
		hearth_profile_free(c);
		if (r->who == 0)
			__atomic_store_n(r->progress, j, __ATOMIC_RELEASE);
		if (r->pace_us)
			usleep((useconds_t)r->pace_us);
	}
	return NULL;
}

static void *race_sweep(void *arg)
{
	racer *r = arg;
	hearth_errbuf eb = {{0}};
	while (!__atomic_load_n(r->stop, __ATOMIC_ACQUIRE)) {
		int j = __atomic_load_n(r->progress, __ATOMIC_ACQUIRE);
		size_t d;
		/* Retention cuts 3 puts behind the newest. */
		int64_t cutoff = T0 + (int64_t)(j - 3) * MIN;
		if (hearth_store_sweep(r->st, cutoff + 14 * DAY, &d, &eb)) {
			snprintf(r->err, sizeof(r->err), "sweep: %s", eb.msg);
			break;
		}
		__atomic_store_n(&r->times[0], cutoff, __ATOMIC_RELEASE);
		r->sweeps++;
	}
	return NULL;
}

static void test_dict_sweep_race(void **state)
{
	(void)state;
	enum { N = 240 };
	hearth_profile *p = load("leaky.cpu.pb.gz");
	hearth_store *st = open_store("dictrace");
	int64_t t = tenant(st, "alice");
	volatile int progress = 0, stop = 0;
	static int64_t ids[2][N], times[2][N], swept[1];
	static int keys[2][N];
	racer r[2], sw = {.st = st, .t = t, .progress = &progress, .stop = &stop, .times = swept};
	pthread_t th[3];
	for (int w = 0; w < 2; w++) {
		r[w] = (racer){.st = st,
			       .t = t,
			       .p = p,
			       .who = w,
			       .n = N,
			       .ids = ids[w],
			       .times = times[w],
			       .keys = keys[w],
			       .progress = &progress};
		assert_int_equal(pthread_create(&th[w], NULL, race_put, &r[w]), 0);
	}
	assert_int_equal(pthread_create(&th[2], NULL, race_sweep, &sw), 0);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	stop = 1;
	pthread_join(th[2], NULL);
	for (int w = 0; w < 2; w++)
		if (r[w].err[0])
			fail_msg("%s", r[w].err);
	if (sw.err[0])
		fail_msg("%s", sw.err);
	/* Profiles at or past the last cutoff were never swept. */
	int64_t cutoff = swept[0];
	hearth_profile *builds[3];
	for (int k = 0; k < 3; k++)
		builds[k] = churned(p, k);
	for (int pass = 0; pass < 2; pass++) {
		size_t checked = 0;
		for (int w = 0; w < 2; w++)
			for (int j = 0; j < N; j++)
				if (times[w][j] >= cutoff) {
					assert_reads_as(st, t, ids[w][j], builds[keys[w][j]]);
					checked++;
				}
		assert_true(checked >= 2);
		hearth_store_close(st);
		st = open_store("dictrace");
	}
	hearth_store_close(st);
	for (int k = 0; k < 3; k++)
		hearth_profile_free(builds[k]);
	hearth_profile_free(p);
}

/* Day partitions made and dropped under readers (PostgreSQL): node a puts
 * one profile a day, each a new day whose partitions it creates, while node
 * b merges the whole range (rollups and profiles in one snapshot) and
 * builds the rollups, and a sweep with a retention of 3 days drops the
 * days behind.  A transaction holding one table and asking for the other
 * deadlocked with a day's DDL asking for them the other way round; now
 * every put, merge, compaction and sweep succeeds and the last days read
 * back. */
typedef struct {
	hearth_store *st;
	int64_t t;
	const hearth_profile *p;
	int n, rounds; /* a reader's rounds of compaction and merge */
	volatile int *done;
	char err[600];
} ddl_racer;

static void *ddl_put(void *arg)
{
	ddl_racer *r = arg;
	hearth_errbuf eb = {{0}};
	for (int j = 0; j < r->n && !r->err[0]; j++) {
		hearth_profile *c = hearth_profile_clone(r->p);
		c->time_nanos = T0 + (int64_t)j * DAY;
		hearth_put_meta m = {.service = "days"};
		int64_t id = 0;
		if (hearth_store_put(r->st, r->t, c, &m, &id, &eb))
			snprintf(r->err, sizeof(r->err), "put of day %d: %s", j, eb.msg);
		hearth_profile_free(c);
		/* Retention: 3 days behind the newest, every 4 days. */
		size_t d;
		if (!r->err[0] && j % 4 == 3 &&
		    hearth_store_sweep(r->st, T0 + (int64_t)(j + 1) * DAY + 14 * DAY - 3 * DAY, &d,
				       &eb))
			snprintf(r->err, sizeof(r->err), "sweep after day %d: %s", j, eb.msg);
	}
	__atomic_store_n(r->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *ddl_read(void *arg)
{
	ddl_racer *r = arg;
	hearth_errbuf eb = {{0}};
	hearth_selector sel = {0};
	while (!__atomic_load_n(r->done, __ATOMIC_ACQUIRE) && !r->err[0]) {
		size_t built;
		if (hearth_store_compact(r->st, T0 + (int64_t)(r->n + 1) * DAY, &built, &eb)) {
			snprintf(r->err, sizeof(r->err), "compaction: %s", eb.msg);
			break;
		}
		hearth_profile *m = NULL;
		size_t np = 0;
		hearth_err err = hearth_store_merge(r->st, r->t, &sel, "cpu", T0 - DAY,
						    T0 + (int64_t)(r->n + 1) * DAY, &m, &np, &eb);
		hearth_profile_free(m);
		if (err && err != HEARTH_EINVAL) {
			snprintf(r->err, sizeof(r->err), "merge: %s", eb.msg);
			break;
		}
		r->rounds++;
	}
	return NULL;
}

static void test_pg_day_ddl_race(void **state)
{
	(void)state;
	hearth_profile *p = load("leaky.cpu.pb.gz");
	hearth_store *a = open_store("pgddlrace"), *b = open_store("pgddlrace");
	int64_t t = tenant(a, "alice");
	assert_int_equal(tenant(b, "alice"), t);
	volatile int done = 0;
	ddl_racer w = {.st = a, .t = t, .p = p, .n = 48, .done = &done};
	ddl_racer rd[2] = {{.st = b, .t = t, .n = 48, .done = &done},
			   {.st = b, .t = t, .n = 48, .done = &done}};
	pthread_t th[3];
	assert_int_equal(pthread_create(&th[0], NULL, ddl_put, &w), 0);
	for (int k = 0; k < 2; k++)
		assert_int_equal(pthread_create(&th[k + 1], NULL, ddl_read, &rd[k]), 0);
	for (int k = 0; k < 3; k++)
		pthread_join(th[k], NULL);
	if (w.err[0])
		fail_msg("%s", w.err);
	for (int k = 0; k < 2; k++)
		if (rd[k].err[0])
			fail_msg("%s", rd[k].err);
	fprintf(stderr, "day partitions: 48 days put and swept to 3 under %d compactions and merges\n",
		rd[0].rounds + rd[1].rounds);
	assert_true(rd[0].rounds + rd[1].rounds >= 2);
	/* The days the last sweep (after day 47: the days from 45 on) kept. */
	hearth_errbuf eb = {{0}};
	hearth_selector sel = {0};
	hearth_profile *m = NULL;
	size_t np = 0;
	assert_int_equal(hearth_store_merge(a, t, &sel, "cpu", T0, T0 + 49 * DAY, &m, &np, &eb),
			 HEARTH_OK);
	assert_int_equal(np, 3);
	hearth_profile_free(m);
	hearth_store_close(a);
	hearth_store_close(b);
	hearth_profile_free(p);
}

/* Two nodes on one PostgreSQL database: node a puts builds from two
 * threads (a build for 4 puts, then away for 8: swept meanwhile, then sent
 * again), node b sweeps behind them, so b deletes symbols a holds in memory
 * and may be putting.  Every acknowledged profile not swept reads back as
 * it was pushed through either node, and through a node started afresh,
 * which loads the dictionary as the sweeps left it (a reference to a
 * deleted id does not build); the three nodes count the same entries, and
 * a merge of everything left equals the files'. */
static void test_pg_dict_race(void **state)
{
	(void)state;
	enum { N = 160 };
	hearth_profile *p = load("leaky.cpu.pb.gz");
	hearth_store *a = open_store("pgdictrace"), *b = open_store("pgdictrace");
	hearth_errbuf eb = {{0}};
	int64_t t = tenant(a, "alice");
	assert_int_equal(tenant(b, "alice"), t);

	/* First, in order: a knows a build, b's sweep deletes it, a puts it
	 * again from its memory (no lock, the old generation): the put must
	 * learn the deletion and store new ids, which a node started afresh
	 * (holding no deleted entry's bytes) reads. */
	hearth_profile *x5 = churned(p, 5);
	int64_t e0, e1;
	put(a, t, x5, "x", NULL, T0 - DAY, NULL, 0);
	size_t d;
	assert_int_equal(hearth_store_sweep(b, T0 - DAY + HOUR + 14 * DAY, &d, &eb), HEARTH_OK);
	assert_int_equal(d, 1);
	dict_usage(b, t, &e0, NULL);
	assert_int_equal(e0, 0);
	int64_t idx = put(a, t, x5, "x", NULL, T0 - DAY + 2 * HOUR, NULL, 0);
	hearth_store *c0 = open_store("pgdictrace");
	assert_reads_as(c0, t, idx, x5);
	assert_reads_as(b, t, idx, x5);
	assert_reads_as(a, t, idx, x5);
	dict_usage(a, t, &e0, NULL);
	dict_usage(c0, t, &e1, NULL);
	assert_int_equal(e0, e1);
	assert_true(e0 > 0);
	hearth_store_close(c0);
	hearth_profile_free(x5);

	volatile int progress = 0, stop = 0;
	static int64_t ids[2][N], times[2][N], swept[1];
	static int keys[2][N];
	racer r[2], sw = {.st = b, .t = t, .progress = &progress, .stop = &stop, .times = swept};
	pthread_t th[3];
	for (int w = 0; w < 2; w++) {
		r[w] = (racer){.st = a,
			       .t = t,
			       .p = p,
			       .who = w,
			       .n = N,
			       .ids = ids[w],
			       .times = times[w],
			       .keys = keys[w],
			       .progress = &progress,
			       .pace_us = 20000};
		assert_int_equal(pthread_create(&th[w], NULL, race_put, &r[w]), 0);
	}
	assert_int_equal(pthread_create(&th[2], NULL, race_sweep, &sw), 0);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	stop = 1;
	pthread_join(th[2], NULL);
	for (int w = 0; w < 2; w++)
		if (r[w].err[0])
			fail_msg("%s", r[w].err);
	if (sw.err[0])
		fail_msg("%s", sw.err);
	int64_t cutoff = swept[0];
	hearth_profile *builds[3];
	for (int k = 0; k < 3; k++)
		builds[k] = churned(p, k);
	hearth_store *fresh = open_store("pgdictrace");
	hearth_store *nodes[3] = {a, b, fresh};
	size_t checked = 0;
	hearth_profile *left[2 * N];
	size_t nleft = 0;
	for (int w = 0; w < 2; w++)
		for (int j = 0; j < N; j++)
			if (times[w][j] >= cutoff) {
				for (int k = 0; k < 3; k++)
					assert_reads_as(nodes[k], t, ids[w][j], builds[keys[w][j]]);
				left[nleft++] = builds[keys[w][j]];
				checked++;
			}
	assert_true(checked >= 2);
	int64_t e[3];
	for (int k = 0; k < 3; k++)
		dict_usage(nodes[k], t, &e[k], NULL);
	fprintf(stderr, "two nodes: %zu profiles left read back; %lld entries on each node\n",
		checked, (long long)e[2]);
	assert_int_equal(e[0], e[2]);
	assert_int_equal(e[1], e[2]);
	/* Everything left, merged by the fresh node. */
	size_t n = 0;
	hearth_profile *m = merge(fresh, t, "{}", "cpu", cutoff, T0 + 2 * DAY, &n);
	hearth_profile *want = reference(left, nleft);
	want->time_nanos = m->time_nanos;
	assert_int_equal(n, nleft);
	check_all_types(want, m);
	hearth_profile_free(m);
	hearth_profile_free(want);
	/* The sweeps deleted something, and the puts met them. */
	PGconn *c = pg_connect("ts_pgdictrace");
	PGresult *res = PQexec(c, "SELECT count(*), coalesce(sum(n), 0) FROM jobs WHERE kind = "
				  "'dictsweep'");
	assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
	fprintf(stderr, "two nodes: %d sweeps, %s dictionary sweeps deleted %s entries\n",
		sw.sweeps, PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	assert_true(atoll(PQgetvalue(res, 0, 0)) >= 4);
	PQclear(res);
	PQfinish(c);
	for (int k = 0; k < 3; k++)
		hearth_store_close(nodes[k]);
	for (int k = 0; k < 3; k++)
		hearth_profile_free(builds[k]);
	hearth_profile_free(p);
}

/* A child putting, compacting and sweeping is killed with SIGKILL at random
 * moments; every put it was told had succeeded is there, the database
 * passes integrity_check and every listed profile reads back. */
static void test_crash(void **state)
{
	(void)state;
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/crash", tmpdir);
	hearth_profile *p = load("leaky.cpu.pb.gz");
	/* Every record the children wrote is read: a put acknowledged but
	 * dropped here would leave the newest time short, and the sweeps that
	 * cut behind the real newest would seem to lose kept profiles. */
	int64_t *acked = NULL, *acked_time = NULL;
	size_t nacked = 0, cap = 0;
	srand(42);
	for (int round = 0; round < 6; round++) {
		int fd[2];
		assert_int_equal(pipe(fd), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fd[0]);
			hearth_store *st = NULL;
			hearth_errbuf eb = {{0}};
			hearth_store_config cfg = {0};
			char objects[1024];
			if (objects_base) {
				objects_url(objects, sizeof(objects), "crash");
				cfg.objects = objects;
			}
			if (hearth_store_open(dir, &cfg, &st, &eb))
				_exit(3);
			int64_t t;
			if (hearth_store_tenant_ensure(st, "alice", &t, &eb))
				_exit(3);
			for (int i = 0;; i++) {
				int64_t at = T0 + (int64_t)(round * 400 + i) * MIN, id;
				/* A new build every 10 puts: the sweeps delete old
				 * builds' symbols too. */
				hearth_profile *c = churned(p, (round * 400 + i) / 10);
				c->time_nanos = at;
				hearth_put_meta m = {.service = "api"};
				if (hearth_store_put(st, t, c, &m, &id, &eb))
					_exit(4);
				hearth_profile_free(c);
				int64_t rec[2] = {id, at};
				if (write(fd[1], rec, sizeof(rec)) != sizeof(rec))
					_exit(5);
				size_t x;
				if (i % 25 == 24 && hearth_store_compact(st, at, &x, &eb))
					_exit(6);
				if (i % 60 == 59 &&
				    hearth_store_sweep(st, at + 14 * DAY - 30 * MIN, &x, &eb))
					_exit(7);
			}
		}
		close(fd[1]);
		/* A put to an object store is a request more: give the child
		 * as many puts a round as on a local disk. */
		int scale = objects_base ? 5 : 1;
		usleep((useconds_t)scale * (20000 + (useconds_t)(rand() % 200000)));
		kill(pid, SIGKILL);
		int status;
		waitpid(pid, &status, 0);
		assert_true(WIFSIGNALED(status));
		int64_t rec[2];
		while (read(fd[0], rec, sizeof(rec)) == sizeof(rec)) {
			if (nacked == cap) {
				cap = cap ? 2 * cap : 1024;
				acked = realloc(acked, cap * sizeof(*acked));
				acked_time = realloc(acked_time, cap * sizeof(*acked_time));
				assert_non_null(acked);
				assert_non_null(acked_time);
			}
			acked[nacked] = rec[0];
			acked_time[nacked++] = rec[1];
		}
		close(fd[0]);
	}
	assert_true(nacked > 10);
	char path[600];
	snprintf(path, sizeof(path), "%s/hearth.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "pragma integrity_check", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "ok");
	sqlite3_finalize(q);
	sqlite3_close(db);

	hearth_store *st = open_store("crash");
	hearth_errbuf eb = {{0}};
	int64_t t = tenant(st, "alice");
	/* Acknowledged and not swept: each one reads back.  Sweeps cut 30
	 * minutes behind the newest put, which is at most a minute past the
	 * newest acknowledged one. */
	int64_t newest = 0;
	for (size_t i = 0; i < nacked; i++)
		if (acked_time[i] > newest)
			newest = acked_time[i];
	size_t found = 0, must = 0;
	for (size_t i = 0; i < nacked; i++) {
		bool kept = acked_time[i] >= newest - 29 * MIN;
		must += kept;
		hearth_profile *g = NULL;
		hearth_err err = hearth_store_get(st, t, acked[i], &g, NULL, &eb);
		if (err == HEARTH_OK) {
			found++;
			assert_int_equal(g->nsamples, p->nsamples);
			if (kept) {
				hearth_profile *w =
				    churned(p, (int)((acked_time[i] - T0) / MIN / 10));
				assert_reads_as(st, t, acked[i], w);
				hearth_profile_free(w);
			}
		} else {
			assert_false(kept);
			assert_string_equal(eb.msg, "profile not found");
		}
		hearth_profile_free(g);
	}
	assert_true(must > 0);
	/* Listed profiles: all readable; a merge of everything works. */
	int64_t cursor = 0;
	size_t listed = 0;
	do {
		hearth_profilelist pl;
		assert_int_equal(
		    hearth_store_list(st, t, NULL, NULL, 0, INT64_MAX, cursor, 500, &pl, &eb),
		    HEARTH_OK);
		for (size_t i = 0; i < pl.n; i++) {
			hearth_profile *g = NULL;
			if (hearth_store_get(st, t, pl.v[i].id, &g, NULL, &eb))
				fail_msg("get %lld: %s", (long long)pl.v[i].id, eb.msg);
			hearth_profile_free(g);
		}
		listed += pl.n;
		cursor = pl.next_cursor;
		hearth_profilelist_free(&pl);
	} while (cursor);
	/* A put may commit and be killed before it says so (once a round). */
	assert_true(listed >= found && listed <= found + 6);
	size_t nm = 0;
	hearth_profile *m = merge(st, t, "{service=\"api\"}", "cpu", 0, INT64_MAX, &nm);
	assert_int_equal(nm, listed);
	hearth_profile_free(m);
	size_t built;
	assert_int_equal(hearth_store_compact(st, T0 + 100 * DAY, &built, &eb), HEARTH_OK);
	m = merge(st, t, "{service=\"api\"}", "cpu", 0, INT64_MAX, &nm);
	assert_int_equal(nm, listed);
	hearth_profile_free(m);
	hearth_profile_free(p);
	hearth_store_close(st);
	free(acked);
	free(acked_time);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/hearth-test-store.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* With the blocks in a blob store: every block is an object under its
 * tenant and day (none inline), retention deletes the days by prefix, and
 * an object store that cannot be reached gives an error, never an
 * acknowledgement, and leaves nothing half stored. */
static void test_objects(void **state)
{
	(void)state;
	hearth_store *st = open_store("objects");
	int64_t t = tenant(st, "alice"), b = tenant(st, "bob");
	hearth_errbuf eb = {{0}};
	hearth_profile *p = load("searchsvc.heap.pb.gz");
	for (int i = 0; i < 6; i++)
		put(st, t, p, "api", NULL, T0 + i * 12 * HOUR, NULL, 0);
	put(st, b, p, "api", NULL, T0, NULL, 0);
	size_t built = 0, deleted = 0;
	assert_int_equal(hearth_store_compact(st, T0 + 4 * DAY, &built, &eb), HEARTH_OK);
	hearth_store_close(st);
	/* Every block is a reference to an object. */
	assert_int_equal(count_rows("objects", "select count(*) from blocks where substr(data,1,1)"
					       "<>x'00'"),
			 0);
	assert_int_equal(count_rows("objects", "select count(*) from blocks"), 7);
	char url[1024];
	objects_url(url, sizeof(url), "objects");
	hearth_blob *bl = NULL;
	if (hearth_blob_open(url, &bl, &eb))
		fail_msg("%s: %s", url, eb.msg);
	hearth_blob_page pg;
	char pfx[64];
	size_t rollups = (size_t)count_rows("objects", "select count(*) from rollups");
	snprintf(pfx, sizeof(pfx), "t/%lld/", (long long)t);
	assert_int_equal(hearth_blob_list(bl, pfx, NULL, NULL, &pg, &eb), HEARTH_OK);
	assert_int_equal(pg.nkeys, 6 + rollups);
	hearth_blob_page_free(&pg);
	/* Days 0 and 1 of alice are past a cutoff in day 2; bob keeps his. */
	st = open_store("objects");
	assert_int_equal(hearth_store_tenant_set_retention(st, b, 30 * DAY, &eb), HEARTH_OK);
	assert_int_equal(hearth_store_sweep(st, T0 + 16 * DAY, &deleted, &eb), HEARTH_OK);
	assert_int_equal(deleted, 4);
	assert_int_equal(hearth_blob_list(bl, pfx, "/", NULL, &pg, &eb), HEARTH_OK);
	assert_int_equal(pg.nkeys, 0);
	assert_int_equal(pg.nprefixes, 1);
	assert_non_null(strstr(pg.prefixes[0], "/2023-11-17/"));
	hearth_blob_page_free(&pg);
	snprintf(pfx, sizeof(pfx), "t/%lld/", (long long)b);
	assert_int_equal(hearth_blob_list(bl, pfx, NULL, NULL, &pg, &eb), HEARTH_OK);
	assert_int_equal(pg.nkeys, 1);
	hearth_blob_page_free(&pg);
	/* What is left reads back. */
	hearth_profile *m = NULL;
	size_t np = 0;
	hearth_selector sel;
	assert_int_equal(hearth_selector_parse("{}", &sel, &eb), HEARTH_OK);
	assert_int_equal(hearth_store_merge(st, t, &sel, "heap", T0, T0 + 4 * DAY, &m, &np, &eb),
			 HEARTH_OK);
	assert_int_equal(np, 2);
	hearth_profile_free(m);
	hearth_selector_free(&sel);
	hearth_store_close(st);
	hearth_blob_close(bl);
	if (strncmp(objects_base, "s3://", 5)) {
		hearth_profile_free(p);
		return;
	}
	/* An object store that does not answer: an error that says so, and
	 * no profile row. */
	char dir[512], dead[256];
	snprintf(dir, sizeof(dir), "%s/objects-dead", tmpdir);
	snprintf(dead, sizeof(dead), "s3://nothere?endpoint=http://127.0.0.1:1&region=us-east-1");
	hearth_store_config cfg = {.objects = dead};
	if (hearth_store_open(dir, &cfg, &st, &eb))
		fail_msg("open: %s", eb.msg);
	int64_t d = tenant(st, "dora"), id = 0;
	hearth_put_meta pm = {.service = "api", .time_nanos = T0};
	assert_int_equal(hearth_store_put(st, d, p, &pm, &id, &eb), HEARTH_EIO);
	assert_non_null(strstr(eb.msg, "127.0.0.1:1"));
	hearth_usage u;
	assert_int_equal(hearth_store_usage(st, d, &u, &eb), HEARTH_OK);
	assert_int_equal(u.profiles, 0);
	hearth_store_close(st);
	hearth_profile_free(p);
}

int main(void)
{
	/* HEARTH_TEST_FILTER=test_crash: one case (a glob). */
	if (getenv("HEARTH_TEST_FILTER"))
		cmocka_set_test_filter(getenv("HEARTH_TEST_FILTER"));
	pg_base = getenv("HEARTH_TEST_PG");
	if (pg_base && *pg_base) {
		/* The cases that are about the store's interface, not SQLite's
		 * files (their sizes, integrity_check). */
		const struct CMUnitTest generic[] = {
		    cmocka_unit_test(test_tokens),
		    cmocka_unit_test(test_roundtrip),
		    cmocka_unit_test(test_queries),
		    cmocka_unit_test(test_rollups),
		    cmocka_unit_test(test_pg_partitions),
		    cmocka_unit_test(test_dict_sweep),
		    cmocka_unit_test(test_dict_sweep_race),
		    cmocka_unit_test(test_pg_dict_race),
		    cmocka_unit_test(test_pg_day_ddl_race),
		};
		return cmocka_run_group_tests_name("test_store on PostgreSQL", generic, setup,
						   teardown);
	}
	pg_base = NULL;
	objects_base = getenv("HEARTH_TEST_OBJECTS");
	if (objects_base && *objects_base) {
		snprintf(objects_run, sizeof(objects_run), "ts%ld-%d", (long)time(NULL),
			 (int)getpid());
		const struct CMUnitTest onobjects[] = {
		    cmocka_unit_test(test_roundtrip), cmocka_unit_test(test_queries),
		    cmocka_unit_test(test_objects),   cmocka_unit_test(test_crash),
		    cmocka_unit_test(test_rollups),
		};
		/* test_rollups puts thousands of profiles one at a time (three
		 * minutes of requests on the test machine's radosgw): on S3 it
		 * is left to the SQLite blob store's run, which takes the same
		 * reference path in sqlite.c. */
		bool s3 = !strncmp(objects_base, "s3://", 5);
		return _cmocka_run_group_tests("test_store with blocks in objects", onobjects,
					       s3 ? 4 : 5, setup, teardown);
	}
	objects_base = NULL;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_selector),
	    cmocka_unit_test(test_tokens),
	    cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_queries),
	    cmocka_unit_test(test_rollups),
	    cmocka_unit_test(test_retention_frees),
	    cmocka_unit_test(test_crash),
	    cmocka_unit_test(test_block_v1),
	    cmocka_unit_test(test_rollups_not_worth),
	    cmocka_unit_test(test_dict_sweep),
	    cmocka_unit_test(test_dict_sweep_race),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
