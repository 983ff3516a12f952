/* What the metadata backends (sqlite.c, postgres.c) share above their SQL:
 * a tenant's series kept in memory (looked up by key on put, by id and by
 * selector on queries), and the answers computed from the series a query
 * matched (services, types, label names and values, totals over time,
 * profile info).  Only the reading of rows is a backend's own: the totals
 * of a series' profiles come through a callback.  Internal to lib/store/. */
#ifndef HEARTH_STORE_CATALOG_H
#define HEARTH_STORE_CATALOG_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/blob.h"
#include "store/codec.h"
#include "store/store.h"

#define HS_NLEVELS 3 /* rollup levels: 10 minutes, an hour, a day */

typedef struct {
	int64_t id;
	char *service, *type, *labels, *st, *default_st;
	char *key; /* service \3 type \3 labels \3 st: the put's lookup */
	uint32_t keyhash;
	hearth_kv *kv;
	size_t nkv;
	char *kvmem;
	uint32_t nst;
	bool avg[HS_MAX_ST]; /* sample type k is averaged (hearth_store_aggregation) */
	bool any_avg;
	/* sqlite.c's: times of the oldest and newest profile (maybe stale);
	 * buckets marked dirty with no rollup (their writes skipped). */
	int64_t first, last;
	int64_t dirty_bucket[HS_NLEVELS];
} hs_series;

typedef struct {
	int64_t id;
	hs_dict *dict;
	pthread_rwlock_t lock; /* the series array */
	pthread_mutex_t smu;   /* postgres.c: syncing the series with the database */
	hs_series **series;    /* in id order */
	size_t nseries, capseries;
	uint32_t *slots; /* open addressing over series by keyhash (index + 1) */
	size_t nslots;
	/* sqlite.c: while a dictionary sweep marks, the direct references of
	 * the puts that commit meanwhile (under the write lock). */
	hs_marks *track;
	/* postgres.c: the database's dictionary generation (its sweeps) the
	 * dictionary in memory reflects; under the dictionary's lock. */
	int64_t dgen;
} hs_tenant;

/* A tenant with no series and no dictionary yet; NULL when out of memory. */
hs_tenant *hs_tenant_new(int64_t id);
void hs_tenant_free(hs_tenant *t);

char *hs_series_key(const char *service, const char *type, const char *labels, const char *st);
/* A series with its key, labels parsed and sample types' aggregation;
 * NULL when out of memory or labels that do not parse. */
hs_series *hs_series_new(int64_t id, const char *service, const char *type, const char *labels,
			 const char *st, const char *default_st);
void hs_series_free(hs_series *x);
/* Adds x, whose id is above every other's (the caller holds the write
 * lock); false when out of memory. */
bool hs_series_add(hs_tenant *t, hs_series *x);
/* The series of key (the caller holds the lock), or NULL. */
hs_series *hs_series_find(const hs_tenant *t, const char *key);
/* The series id in v, sorted by id, or NULL. */
hs_series *hs_series_by_id(hs_series *const *v, size_t n, int64_t id);

int hs_cmp_str(const void *a, const void *b); /* qsort of char * */
/* A profile's totals (one signed varint per sample type); false when
 * they do not decode. */
bool hs_decode_totals(const uint8_t *p, size_t n, int64_t *tot, uint32_t nst);
/* A row of a list or get as the caller's info; HEARTH_ENOMEM. */
hearth_err hs_fill_info(const hs_series *x, int64_t id, int64_t time, int64_t duration,
			int64_t period, int64_t bytes, const uint8_t *tot, size_t totn,
			hearth_profile_info *in);

/* ---- answers from the series a query matched (v, n) ---- */

hearth_err hs_answer_services(hs_series *const *v, size_t n, hearth_strlist *out,
			      hearth_errbuf *eb);
hearth_err hs_answer_types(hs_series *const *v, size_t n, const char *service, hearth_typelist *out,
			   hearth_errbuf *eb);
hearth_err hs_answer_label_names(hs_series *const *v, size_t n, hearth_strlist *out,
				 hearth_errbuf *eb);
hearth_err hs_answer_label_values(hs_series *const *v, size_t n, const char *name,
				  hearth_strlist *out, hearth_errbuf *eb);

/* The backend's reading of totals: calls add(acc, time, totals, n) for
 * each profile of x in [from, until). */
typedef void (*hs_totals_add)(void *acc, int64_t time, const uint8_t *tot, size_t n);
typedef hearth_err (*hs_totals_fn)(void *ctx, const hs_series *x, int64_t from, int64_t until,
				   hs_totals_add add, void *acc, hearth_errbuf *eb);
/* hearth_store_series over the matched series (store.h). */
hearth_err hs_answer_series(hs_series *const *v, size_t n, size_t sample_type, int64_t from,
			    int64_t until, int64_t step, const char *const *group_by,
			    size_t ngroup_by, hs_totals_fn totals, void *ctx,
			    hearth_serieslist *out, hearth_errbuf *eb);

/* ---- blocks and metadata ---- */

/* Writes block to the blob store b under key, before the transaction that
 * names it (an object no row names is an orphan: retention and, on
 * PostgreSQL, the orphan sweep remove it), and makes ref the column's
 * reference to it (a 0 byte, then the key: a block never starts with 0). */
hearth_err hs_block_to_object(hearth_blob *b, const char *key, const hs_out *block, hs_out *ref,
			      hearth_errbuf *eb);
/* Adds a row's encoded metadata (p, n) to *acc: the first one is taken
 * (*have set), the others combined with it. */
hearth_err hs_meta_add(hs_meta *acc, bool *have, const uint8_t *p, size_t n, hearth_errbuf *eb);

/* ---- merges ---- */

/* The rollup levels' bucket sizes (10 minutes, an hour, a day), and times
 * rounded down and up to a multiple of one (below zero too). */
extern const int64_t hs_level_size[HS_NLEVELS];
int64_t hs_floor_to(int64_t v, int64_t sz);
int64_t hs_ceil_to(int64_t v, int64_t sz);

/* A rollup a backend read for hs_cover: its bucket and its metadata. */
typedef struct {
	int64_t bucket;
	hs_meta meta;
} hs_rollup_row;

/* How hs_cover reads a series: the backend's two reads, and where the
 * metadata goes (*meta, *have set with the first). */
typedef struct {
	/* Adds the blocks and the metadata of the single profiles in [a, b). */
	hearth_err (*profiles)(void *ctx, int64_t a, int64_t b);
	/* Adds the blocks of the level's rollups in [first, last) and gives
	 * their rows in bucket order (*rows, *n: hs_cover takes them, even
	 * with an error). */
	hearth_err (*rollups)(void *ctx, int level, int64_t first, int64_t last,
			      hs_rollup_row **rows, size_t *n);
	void *ctx;
	int skip_level; /* building a rollup of this level: do not read it */
	hs_meta *meta;
	bool *have;
	hearth_errbuf *eb;
} hs_walk;

/* Adds [a, b) of a series: whole rollups of level and below where there
 * are some, single profiles elsewhere; metadata in time order. */
hearth_err hs_cover(const hs_walk *w, int level, int64_t a, int64_t b);

/* A backend's reading of one series for a merge: adds x's profiles in
 * [a, b) to acc (whole rollups where it can) and their metadata to *meta
 * (*have set with the first; meta->nprofiles counts the profiles). */
typedef hearth_err (*hs_cover_fn)(void *ctx, const hs_series *x, int64_t a, int64_t b, hs_acc *acc,
				  hs_meta *meta, bool *have, hearth_errbuf *eb);
/* hearth_store_merge's samples over the series a query matched: each one
 * read over its profiles' days within [from, until) (first[i] and last[i]:
 * the times of series i's first and last profile there; NULL: the
 * series' own first and last), snapshots averaged per series, the rest
 * summed, into *total (hs_acc_free) and *meta (hs_meta_free); flags:
 * HEARTH_MERGE_* (store.h).  No profile:
 * HEARTH_EINVAL "no profiles in the range"; series of different sample
 * types: HEARTH_EINCOMPAT. */
hearth_err hs_merge_series(hs_series *const *v, size_t n, const int64_t *first, const int64_t *last,
			   int64_t from, int64_t until, unsigned flags, hs_cover_fn cover,
			   void *ctx, hs_acc **total, hs_meta *meta, hearth_errbuf *eb);

#endif
