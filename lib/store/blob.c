/* Blob storage (blob.h): the wrapper every implementation shares (key
 * checks, counters, delete by prefix, the key layout and the sweep of
 * days), and the SQLite implementation ("sqlite:FILE"). */
#include <inttypes.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/blob.h"
#include "store/objects.h"
#include "util.h"

struct hearth_blob {
	const hearth_blob_ops *ops;
	void *be;
	char *url;
	hearth_blob_stats stats;
};

/* Every blob store's counters, and the process's sum of them. */
static hearth_blob_stats all_stats;
#define BUMP(b, field, n)                                                                          \
	(__atomic_add_fetch(&(b)->stats.field, (n), __ATOMIC_RELAXED),                             \
	 __atomic_add_fetch(&all_stats.field, (n), __ATOMIC_RELAXED))

bool hearth_blob_key_valid(const char *key)
{
	size_t n = key ? strlen(key) : 0;
	if (n < 1 || n > HEARTH_BLOB_KEY_MAX || key[0] == '/')
		return false;
	const char *seg = key;
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = (unsigned char)key[i];
		if (c == '/' || c == 0) {
			size_t l = (size_t)(key + i - seg);
			if ((l == 0 && c == '/') || (l == 1 && seg[0] == '.') ||
			    (l == 2 && seg[0] == '.' && seg[1] == '.'))
				return false;
			seg = key + i + 1;
			continue;
		}
		if (c < 0x21 || c > 0x7e || c == '\\')
			return false;
	}
	return true;
}

void hearth_blob_page_free(hearth_blob_page *pg)
{
	if (!pg)
		return;
	for (size_t i = 0; i < pg->nkeys; i++)
		free(pg->keys[i]);
	for (size_t i = 0; i < pg->nprefixes; i++)
		free(pg->prefixes[i]);
	free(pg->keys);
	free(pg->sizes);
	free(pg->prefixes);
	free(pg->next);
	memset(pg, 0, sizeof(*pg));
}

/* Up to 100 bytes of s for an error message: one line, printable. */
static const char *shown(char buf[101], const char *s)
{
	size_t k = 0;
	for (; s && s[k] && k < 100; k++)
		buf[k] = (s[k] >= 0x20 && s[k] < 0x7f) ? s[k] : '?';
	buf[k] = 0;
	return buf;
}

/* ---- the wrapper ---- */

static hearth_err blob_wrap(const hearth_blob_ops *ops, void *be, const char *url,
			    hearth_blob **out, hearth_errbuf *eb)
{
	hearth_blob *b = calloc(1, sizeof(*b));
	if (!b || !(b->url = strdup(url))) {
		free(b);
		ops->close(be);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	b->ops = ops;
	b->be = be;
	*out = b;
	return HEARTH_OK;
}

hearth_err hearth_blob_new(const hearth_blob_ops *ops, void *be, hearth_blob **out,
			   hearth_errbuf *eb)
{
	*out = NULL;
	return blob_wrap(ops, be, "inline", out, eb);
}

static const hearth_blob_ops sqlite_blob_ops;
static hearth_err sb_open(const char *path, void **out, hearth_errbuf *eb);

hearth_err hearth_blob_open(const char *url, hearth_blob **out, hearth_errbuf *eb)
{
	*out = NULL;
	void *be = NULL;
	char sb[101];
	hearth_err err;
	if (!url || !*url)
		return hearth_seterr(eb, HEARTH_EINVAL, "objects: no URL");
	if (!strncmp(url, "s3://", 5)) {
		hearth_s3_config cfg;
		if ((err = hearth_s3_config_parse(url, getenv, &cfg, eb)))
			return err;
		char *shown = hearth_s3_config_url(&cfg);
		if (!shown) {
			hearth_s3_config_free(&cfg);
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		}
		err = hearth_s3_open(&cfg, &be, eb); /* takes cfg */
		if (!err)
			err = blob_wrap(&hearth_s3_blob_ops, be, shown, out, eb);
		free(shown);
		return err;
	}
	if (!strncmp(url, "sqlite:", 7)) {
		if (!url[7])
			return hearth_seterr(eb, HEARTH_EINVAL, "objects %s: no file name", url);
		if ((err = sb_open(url + 7, &be, eb)))
			return err;
		return blob_wrap(&sqlite_blob_ops, be, url, out, eb);
	}
	return hearth_seterr(eb, HEARTH_EINVAL,
			     "objects %s: unknown kind of object store (s3://BUCKET?endpoint=..., "
			     "sqlite:FILE)",
			     shown(sb, url));
}

void hearth_blob_close(hearth_blob *b)
{
	if (!b)
		return;
	b->ops->close(b->be);
	free(b->url);
	free(b);
}

const char *hearth_blob_url(const hearth_blob *b)
{
	return b->url;
}

static hearth_err bad_key(const char *what, const char *key, hearth_errbuf *eb)
{
	char sb[101];
	return hearth_seterr(eb, HEARTH_EINVAL, "objects: %s: invalid key \"%s\"", what,
			     shown(sb, key));
}

hearth_err hearth_blob_put(hearth_blob *b, const char *key, const void *data, size_t n,
			   hearth_errbuf *eb)
{
	if (!hearth_blob_key_valid(key))
		return bad_key("PUT", key, eb);
	hearth_err err = b->ops->put(b->be, key, data, n, eb);
	if (err) {
		BUMP(b, failures, 1);
		return err;
	}
	BUMP(b, puts, 1);
	BUMP(b, bytes_put, n);
	return HEARTH_OK;
}

hearth_err hearth_blob_get(hearth_blob *b, const char *key, size_t max, uint8_t **data, size_t *n,
			   hearth_errbuf *eb)
{
	*data = NULL;
	*n = 0;
	if (!hearth_blob_key_valid(key))
		return bad_key("GET", key, eb);
	hearth_err err = b->ops->get(b->be, key, max, data, n, eb);
	if (err) {
		BUMP(b, failures, 1);
		return err;
	}
	BUMP(b, gets, 1);
	BUMP(b, bytes_got, *n);
	return HEARTH_OK;
}

typedef struct {
	hearth_blob *b;
	const char *const *keys;
	size_t nkeys, max, next;
	uint8_t **data;
	size_t *n;
	pthread_mutex_t mu;
	hearth_err err;
	hearth_errbuf eb;
} get_many_job;

static void *get_many_worker(void *arg)
{
	get_many_job *j = arg;
	for (;;) {
		pthread_mutex_lock(&j->mu);
		size_t i = j->err ? j->nkeys : j->next++;
		pthread_mutex_unlock(&j->mu);
		if (i >= j->nkeys)
			return NULL;
		hearth_errbuf eb = {{0}};
		hearth_err err =
		    hearth_blob_get(j->b, j->keys[i], j->max, &j->data[i], &j->n[i], &eb);
		if (err) {
			pthread_mutex_lock(&j->mu);
			if (!j->err) {
				j->err = err;
				j->eb = eb;
			}
			pthread_mutex_unlock(&j->mu);
		}
	}
}

hearth_err hearth_blob_get_many(hearth_blob *b, const char *const *keys, size_t nkeys, size_t max,
				uint8_t **data, size_t *n, hearth_errbuf *eb)
{
	for (size_t i = 0; i < nkeys; i++) {
		data[i] = NULL;
		n[i] = 0;
	}
	if (nkeys == 1)
		return hearth_blob_get(b, keys[0], max, &data[0], &n[0], eb);
	get_many_job j = {.b = b, .keys = keys, .nkeys = nkeys, .max = max, .data = data, .n = n};
	pthread_mutex_init(&j.mu, NULL);
	pthread_t th[8];
	size_t nt = nkeys < 8 ? nkeys : 8, started = 0;
	for (; started < nt; started++)
		if (pthread_create(&th[started], NULL, get_many_worker, &j))
			break;
	if (!started) /* no thread to be had: one after another, here */
		get_many_worker(&j);
	for (size_t i = 0; i < started; i++)
		pthread_join(th[i], NULL);
	pthread_mutex_destroy(&j.mu);
	if (j.err) {
		for (size_t i = 0; i < nkeys; i++) {
			free(data[i]);
			data[i] = NULL;
			n[i] = 0;
		}
		*eb = j.eb;
	}
	return j.err;
}

hearth_err hearth_blob_delete(hearth_blob *b, const char *key, hearth_errbuf *eb)
{
	if (!hearth_blob_key_valid(key))
		return bad_key("DELETE", key, eb);
	hearth_err err = b->ops->del(b->be, key, eb);
	if (err) {
		BUMP(b, failures, 1);
		return err;
	}
	BUMP(b, deletes, 1);
	return HEARTH_OK;
}

hearth_err hearth_blob_list(hearth_blob *b, const char *prefix, const char *delim,
			    const char *cursor, hearth_blob_page *out, hearth_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	if (!prefix || strlen(prefix) > HEARTH_BLOB_KEY_MAX)
		return hearth_seterr(eb, HEARTH_EINVAL, "objects: list: prefix too long");
	if (delim && strcmp(delim, "/"))
		return hearth_seterr(eb, HEARTH_EINVAL, "objects: list: the delimiter must be /");
	hearth_err err = b->ops->list(b->be, prefix, delim, cursor, out, eb);
	if (err) {
		BUMP(b, failures, 1);
		hearth_blob_page_free(out);
		return err;
	}
	BUMP(b, lists, 1);
	return HEARTH_OK;
}

hearth_err hearth_blob_delete_prefix(hearth_blob *b, const char *prefix, size_t *deleted,
				     hearth_errbuf *eb)
{
	size_t nd = 0;
	hearth_err err = HEARTH_OK;
	if (!prefix || !*prefix)
		return hearth_seterr(eb, HEARTH_EINVAL, "objects: delete by prefix: empty prefix");
	/* Deleting while listing: each page is listed again from the start
	 * (what was deleted is gone), so no cursor is needed and a key
	 * written meanwhile is caught too.  A bounded number of rounds
	 * keeps a store that does not delete from looping forever. */
	for (int round = 0; round < 1000000; round++) {
		hearth_blob_page pg;
		if ((err = hearth_blob_list(b, prefix, NULL, NULL, &pg, eb)))
			break;
		if (!pg.nkeys) {
			hearth_blob_page_free(&pg);
			break;
		}
		if (b->ops->del_many) {
			err = b->ops->del_many(b->be, (const char *const *)pg.keys, pg.nkeys, eb);
			if (err)
				BUMP(b, failures, 1);
			else
				BUMP(b, deletes, pg.nkeys);
		} else {
			for (size_t i = 0; i < pg.nkeys && !err; i++)
				err = hearth_blob_delete(b, pg.keys[i], eb);
		}
		if (!err)
			nd += pg.nkeys;
		hearth_blob_page_free(&pg);
		if (err)
			break;
	}
	if (deleted)
		*deleted = nd;
	return err;
}

void hearth_blob_stats_get(const hearth_blob *b, hearth_blob_stats *out)
{
	const hearth_blob_stats *src = b ? &b->stats : &all_stats;
	out->puts = __atomic_load_n(&src->puts, __ATOMIC_RELAXED);
	out->gets = __atomic_load_n(&src->gets, __ATOMIC_RELAXED);
	out->deletes = __atomic_load_n(&src->deletes, __ATOMIC_RELAXED);
	out->lists = __atomic_load_n(&src->lists, __ATOMIC_RELAXED);
	out->failures = __atomic_load_n(&src->failures, __ATOMIC_RELAXED);
	out->bytes_put = __atomic_load_n(&src->bytes_put, __ATOMIC_RELAXED);
	out->bytes_got = __atomic_load_n(&src->bytes_got, __ATOMIC_RELAXED);
}

/* ---- key layout ---- */

#define SEC 1000000000LL
#define DAY (86400LL * SEC)

static int64_t floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* "YYYY-MM-DD" of the UTC day that holds t; years clamped to 0..9999 so
 * that keys sort as days do. */
static void day_string(int64_t t, char out[16])
{
	int64_t day = floordiv(t, DAY);
	time_t secs = (time_t)(day * 86400);
	struct tm tm;
	if (!gmtime_r(&secs, &tm) || tm.tm_year + 1900 < 0) {
		snprintf(out, 16, "0000-01-01");
		return;
	}
	if (tm.tm_year + 1900 > 9999) {
		snprintf(out, 16, "9999-12-31");
		return;
	}
	snprintf(out, 16, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

static hearth_err unique_hex(char out[17], hearth_errbuf *eb)
{
	uint8_t r[8];
	if (RAND_bytes(r, sizeof(r)) != 1)
		return hearth_seterr(eb, HEARTH_EIO, "objects: no random bytes for a key");
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", r[i]);
	return HEARTH_OK;
}

hearth_err hearth_blob_key_profile(char out[HEARTH_BLOB_KEYLEN], int64_t tenant, int64_t time_nanos,
				   hearth_errbuf *eb)
{
	char day[16], u[17];
	hearth_err err = unique_hex(u, eb);
	if (err)
		return err;
	day_string(time_nanos, day);
	int hour = (int)(floordiv(time_nanos, 3600 * SEC) - floordiv(time_nanos, DAY) * 24);
	snprintf(out, HEARTH_BLOB_KEYLEN, "t/%" PRId64 "/%s/p%02d-%" PRId64 "-%s", tenant, day,
		 hour, time_nanos, u);
	return HEARTH_OK;
}

hearth_err hearth_blob_key_rollup(char out[HEARTH_BLOB_KEYLEN], int64_t tenant, int level,
				  int64_t series, int64_t bucket_nanos, hearth_errbuf *eb)
{
	char day[16], u[17];
	hearth_err err = unique_hex(u, eb);
	if (err)
		return err;
	day_string(bucket_nanos, day);
	snprintf(out, HEARTH_BLOB_KEYLEN, "t/%" PRId64 "/%s/r%d-%" PRId64 "-%" PRId64 "-%s", tenant,
		 day, level, series, bucket_nanos, u);
	return HEARTH_OK;
}

hearth_err hearth_blob_sweep_days(hearth_blob *b, int64_t tenant, int64_t cutoff_nanos,
				  size_t *deleted, hearth_errbuf *eb)
{
	char prefix[64], last[16];
	size_t nd = 0;
	hearth_err err = HEARTH_OK;
	char *cursor = NULL;
	/* A day is past when its end is at or before the cutoff: the last
	 * whole day is the one before the cutoff's. */
	day_string(floordiv(cutoff_nanos, DAY) * DAY - 1, last);
	snprintf(prefix, sizeof(prefix), "t/%" PRId64 "/", tenant);
	size_t pl = strlen(prefix);
	for (;;) {
		hearth_blob_page pg;
		if ((err = hearth_blob_list(b, prefix, "/", cursor, &pg, eb)))
			break;
		bool past_end = false;
		for (size_t i = 0; i < pg.nprefixes && !err; i++) {
			const char *d = pg.prefixes[i] + pl;
			/* Days sort as strings; stop at the first that is kept. */
			if (strlen(d) != 11 || strncmp(d, last, 10) > 0) {
				if (strlen(d) == 11)
					past_end = true;
				continue;
			}
			size_t n = 0;
			err = hearth_blob_delete_prefix(b, pg.prefixes[i], &n, eb);
			nd += n;
		}
		free(cursor);
		cursor = pg.next;
		pg.next = NULL;
		hearth_blob_page_free(&pg);
		if (err || past_end || !cursor)
			break;
	}
	free(cursor);
	if (deleted)
		*deleted = nd;
	return err;
}

/* ---- sqlite:FILE ---- */

/* One table behind one connection under a mutex: calls are short (one
 * statement each), and a store that wants parallel reads uses S3. */
typedef struct {
	char *path;
	sqlite3 *db;
	pthread_mutex_t mu;
} sblob;

static hearth_err sb_err(sqlite3 *db, const char *what, const char *key, hearth_errbuf *eb)
{
	return hearth_seterr(eb, HEARTH_EIO, "objects: %s %.200s: %s", what, key ? key : "",
			     db ? sqlite3_errmsg(db) : "cannot open");
}

static hearth_err sb_connect(sblob *s, sqlite3 **db, hearth_errbuf *eb)
{
	if (sqlite3_open_v2(s->path, db,
			    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		hearth_err e = hearth_seterr(eb, HEARTH_EIO, "objects: opening %s: %s", s->path,
					     *db ? sqlite3_errmsg(*db) : "out of memory");
		sqlite3_close(*db);
		*db = NULL;
		return e;
	}
	sqlite3_busy_timeout(*db, 10000);
	/* As the metadata's database: the WAL is written on each commit,
	 * synced at checkpoints. */
	sqlite3_exec(*db, "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	return HEARTH_OK;
}

/* Takes the store's connection; sb_release gives it back. */
static hearth_err sb_conn(sblob *s, sqlite3 **db, hearth_errbuf *eb)
{
	pthread_mutex_lock(&s->mu);
	*db = s->db;
	return HEARTH_OK;
}

static void sb_release(sblob *s)
{
	pthread_mutex_unlock(&s->mu);
}

static void sb_close(void *be)
{
	sblob *s = be;
	if (!s)
		return;
	sqlite3_close(s->db);
	pthread_mutex_destroy(&s->mu);
	free(s->path);
	free(s);
}

static hearth_err sb_open(const char *path, void **out, hearth_errbuf *eb)
{
	sblob *s = calloc(1, sizeof(*s));
	sqlite3 *db = NULL;
	hearth_err err;
	if (!s || !(s->path = strdup(path))) {
		free(s);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	pthread_mutex_init(&s->mu, NULL);
	if ((err = sb_connect(s, &db, eb)))
		goto out;
	s->db = db;
	if (sqlite3_exec(
		db,
		"PRAGMA journal_mode=WAL;"
		"CREATE TABLE IF NOT EXISTS objects(key TEXT PRIMARY KEY, data BLOB NOT NULL)"
		" WITHOUT ROWID;",
		NULL, NULL, NULL) != SQLITE_OK)
		err = sb_err(db, "creating the table in", path, eb);
out:
	if (err)
		sb_close(s);
	else
		*out = s;
	return err;
}

static hearth_err sb_exec(sblob *s, const char *sql, const char *what, const char *key,
			  const void *data, size_t n, hearth_errbuf *eb)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	hearth_err err = sb_conn(s, &db, eb);
	if (err)
		return err;
	if (sqlite3_prepare_v2(db, sql, -1, &q, NULL) != SQLITE_OK) {
		err = sb_err(db, what, key, eb);
		goto out;
	}
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	if (data)
		sqlite3_bind_blob64(q, 2, n ? data : "", n, SQLITE_STATIC);
	if (sqlite3_step(q) != SQLITE_DONE)
		err = sb_err(db, what, key, eb);
out:
	sqlite3_finalize(q);
	sb_release(s);
	return err;
}

static hearth_err sb_put(void *be, const char *key, const void *data, size_t n, hearth_errbuf *eb)
{
	return sb_exec(be, "INSERT OR REPLACE INTO objects(key, data) VALUES(?1, ?2)", "PUT", key,
		       data ? data : "", n, eb);
}

static hearth_err sb_del(void *be, const char *key, hearth_errbuf *eb)
{
	return sb_exec(be, "DELETE FROM objects WHERE key=?1", "DELETE", key, NULL, 0, eb);
}

static hearth_err sb_get(void *be, const char *key, size_t max, uint8_t **data, size_t *n,
			 hearth_errbuf *eb)
{
	sblob *s = be;
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	hearth_err err = sb_conn(s, &db, eb);
	if (err)
		return err;
	if (sqlite3_prepare_v2(db, "SELECT data FROM objects WHERE key=?1", -1, &q, NULL) !=
	    SQLITE_OK) {
		err = sb_err(db, "GET", key, eb);
		goto out;
	}
	sqlite3_bind_text(q, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "objects: GET %s/%.200s: not found", s->path,
				    key);
		goto out;
	}
	if (rc != SQLITE_ROW) {
		err = sb_err(db, "GET", key, eb);
		goto out;
	}
	size_t len = (size_t)sqlite3_column_bytes(q, 0);
	if (len > max) {
		err = hearth_seterr(eb, HEARTH_ETOOBIG,
				    "objects: GET %.200s: %zu bytes, more than %zu", key, len, max);
		goto out;
	}
	if (!(*data = malloc(len + 1))) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	if (len)
		memcpy(*data, sqlite3_column_blob(q, 0), len);
	(*data)[len] = 0;
	*n = len;
out:
	sqlite3_finalize(q);
	sb_release(s);
	return err;
}

static bool page_add(char ***v, size_t *n, size_t *cap, const char *s, size_t len)
{
	char *c = strndup(s, len);
	if (!c || !HEARTH_GROW(*v, *n, *cap, 1)) {
		free(c);
		return false;
	}
	(*v)[(*n)++] = c;
	return true;
}

/* The smallest valid key after k: keys have no byte below '!'. */
static char *key_after(const char *k)
{
	size_t n = strlen(k);
	char *s = malloc(n + 2);
	if (s) {
		memcpy(s, k, n);
		s[n] = '!';
		s[n + 1] = 0;
	}
	return s;
}

/* The smallest string greater than every string starting with p (p's
 * last byte incremented; '/' + 1 is '0', printable). */
static char *after_prefix(const char *p)
{
	char *s = strdup(p);
	if (s && *s)
		s[strlen(s) - 1]++;
	return s;
}

static hearth_err sb_list(void *be, const char *prefix, const char *delim, const char *cursor,
			  hearth_blob_page *out, hearth_errbuf *eb)
{
	sblob *s = be;
	sqlite3 *db = NULL;
	sqlite3_stmt *q = NULL;
	size_t capk = 0, caps = 0, capp = 0, pl = strlen(prefix), total = 0;
	hearth_err err = sb_conn(s, &db, eb);
	if (err)
		return err;
	/* Keys >= cursor (a page's next is past its last entry) under prefix. */
	if (sqlite3_prepare_v2(db,
			       "SELECT key, length(data) FROM objects WHERE key>=?1 AND key>=?2 "
			       "AND substr(key, 1, ?3)=?1 ORDER BY key LIMIT 1001",
			       -1, &q, NULL) != SQLITE_OK) {
		err = sb_err(db, "LIST", prefix, eb);
		goto out;
	}
	sqlite3_bind_text(q, 1, prefix, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, cursor ? cursor : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(q, 3, (sqlite3_int64)pl);
	int rc;
	const char *lastp = NULL;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		const char *k = (const char *)sqlite3_column_text(q, 0);
		if (total == 1000) {
			/* More to come: continue after the last entry given. */
			char *nx =
			    lastp ? after_prefix(lastp) : key_after(out->keys[out->nkeys - 1]);
			if (!nx)
				goto oom;
			out->next = nx;
			break;
		}
		const char *d = delim ? strchr(k + pl, delim[0]) : NULL;
		if (d) {
			size_t len = (size_t)(d + 1 - k);
			if (lastp && !strncmp(lastp, k, len) && strlen(lastp) == len)
				continue;
			if (!page_add(&out->prefixes, &out->nprefixes, &capp, k, len))
				goto oom;
			lastp = out->prefixes[out->nprefixes - 1];
		} else {
			if (!page_add(&out->keys, &out->nkeys, &capk, k, strlen(k)) ||
			    !HEARTH_GROW(out->sizes, out->nkeys - 1, caps, 1))
				goto oom;
			out->sizes[out->nkeys - 1] = sqlite3_column_int64(q, 1);
			lastp = NULL;
		}
		total++;
		if (lastp) {
			/* Jump over the rest of this "directory". */
			char *nx = after_prefix(lastp);
			if (!nx)
				goto oom;
			sqlite3_reset(q);
			sqlite3_bind_text(q, 2, nx, -1, SQLITE_TRANSIENT);
			free(nx);
		}
	}
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		err = sb_err(db, "LIST", prefix, eb);
	goto out;
oom:
	err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
out:
	sqlite3_finalize(q);
	sb_release(s);
	return err;
}

static const hearth_blob_ops sqlite_blob_ops = {
    .name = "sqlite",
    .put = sb_put,
    .get = sb_get,
    .del = sb_del,
    .del_many = NULL,
    .list = sb_list,
    .close = sb_close,
};
