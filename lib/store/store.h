/* The service's storage: one interface, several backends.
 *
 * `hearth serve` keeps every tenant's profiles behind these calls; the
 * embedded default is SQLite (WAL) in the data directory (sqlite.c), and a
 * scale-out backend (PostgreSQL + object storage) implements the same
 * hearth_store_ops.  Tenancy is enforced here, not only in the HTTP layer:
 * every call that reads or writes profile data takes the tenant id, and a
 * row of another tenant is never returned, counted or named in an error.
 *
 * Model.  Per tenant, strings, functions, locations, mappings and stacks
 * are deduplicated.  A series is (tenant, service, profile type, label
 * set); a profile belongs to one series and is kept as its metadata (time,
 * duration, period, sample types, comments, default sample type), its
 * totals per sample type (so series queries never decode stacks) and a
 * compact block of (stack id, label-set id, values).  Rollups merge a
 * series' profiles per time bucket (minute, hour, day), so a merge over a
 * long range reads whole buckets where it can and single profiles only at
 * the edges.
 *
 * Aggregation over a range, per sample type, as Pyroscope's
 * aggregationType: amounts that accumulate (cpu, samples, alloc_*,
 * contentions, delay) are summed; snapshots (inuse_*, goroutine, threadcreate)
 * are averaged per profile within each series (the series' sum scaled by
 * 1 / its number of profiles in the range, with hearth_profile_scale), and
 * the series' averages are then summed.  hearth_store_aggregation() says
 * which.
 *
 * Threads: a hearth_store may be used from many threads at once.
 *
 * Times are Unix nanoseconds; a range [from, until) is half-open.
 */
#ifndef HEARTH_STORE_H
#define HEARTH_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearth/error.h"
#include "hearth/profile.h"
#include "hearth/sources.h"

typedef struct hearth_store hearth_store;

/* Errors of the store beyond hearth_err's: a missing row is HEARTH_EINVAL
 * with "not found" in the message (an id of another tenant is "not found"
 * too, never "forbidden"); a full disk or a database that cannot be written
 * is HEARTH_EIO; a cap (series per tenant ...) is HEARTH_ETOOBIG. */

/* ---- Opening ---------------------------------------------------------- */

typedef struct {
	/* Profiles older than this are removed by the retention sweep, unless
	 * the tenant has its own (hearth_store_tenant_set_retention).  0: 14
	 * days. */
	int64_t retention_nanos;
	/* Caps per tenant; 0: the defaults (100000 series). */
	uint32_t max_series_per_tenant;
	/* Bytes of decoded blocks and symbols kept in memory for queries; 0:
	 * 256 MB. */
	size_t cache_bytes;
	/* Where profile and rollup blocks go: a blob store URL
	 * (lib/store/blob.h: "s3://BUCKET?endpoint=...&region=...",
	 * "sqlite:FILE"); NULL: inline in the metadata's database. */
	const char *objects;
	/* With objects: how long an object no metadata names may stay before
	 * the sweep deletes it (an upload whose row never committed); 0: an
	 * hour. */
	int64_t orphan_grace_nanos;
} hearth_store_config;

/* Opens (creating when absent) the store at url: a directory path (SQLite
 * in DIR/hearth.db), or "sqlite:DIR"; other schemes belong to other
 * backends.  Migrations are applied on open. */
hearth_err hearth_store_open(const char *url, const hearth_store_config *cfg, hearth_store **out,
			     hearth_errbuf *eb);
/* Waits for the calls in flight, then closes. */
void hearth_store_close(hearth_store *st);

/* ---- Tenants and tokens ----------------------------------------------- */

enum {
	HEARTH_SCOPE_PUSH = 1,
	HEARTH_SCOPE_READ = 2,
	HEARTH_SCOPE_ADMIN = 4,
};
/* "push,read" -> bits; HEARTH_EINVAL for an unknown scope or an empty list. */
hearth_err hearth_scopes_parse(const char *s, unsigned *scopes, hearth_errbuf *eb);
/* bits -> "push,read,admin" (in that order) into out. */
void hearth_scopes_format(unsigned scopes, char *out, size_t n);

/* The tenant named name, created when absent (names: 1..64 bytes of
 * [A-Za-z0-9._-]).  *tenant receives its id (> 0). */
hearth_err hearth_store_tenant_ensure(hearth_store *st, const char *name, int64_t *tenant,
				      hearth_errbuf *eb);
/* The tenant named name, which must exist: HEARTH_EINVAL "tenant not
 * found" otherwise (hearth token list/revoke create nothing). */
hearth_err hearth_store_tenant_lookup(hearth_store *st, const char *name, int64_t *tenant,
				      hearth_errbuf *eb);
/* A new tenant with a generated name ("t-" and 16 hex digits), for signup. */
hearth_err hearth_store_tenant_new(hearth_store *st, int64_t *tenant, char *name, size_t namen,
				   hearth_errbuf *eb);
hearth_err hearth_store_tenant_name(hearth_store *st, int64_t tenant, char *name, size_t namen,
				    hearth_errbuf *eb);
/* 0 restores the store's default. */
hearth_err hearth_store_tenant_set_retention(hearth_store *st, int64_t tenant,
					     int64_t retention_nanos, hearth_errbuf *eb);

/* A token is "hth_" and 43 characters of base64url (32 random bytes from
 * OpenSSL's RAND_bytes); only its SHA-256 is stored.  token receives the
 * NUL-terminated secret (at least HEARTH_TOKEN_LEN + 1 bytes); *id the
 * token's id, which lists and revocation use. */
#define HEARTH_TOKEN_LEN 47
hearth_err hearth_store_token_create(hearth_store *st, int64_t tenant, unsigned scopes,
				     const char *description, char *token, int64_t *id,
				     hearth_errbuf *eb);
/* Looks a secret up: on success *tenant and *scopes are set.  An unknown,
 * malformed or revoked token is HEARTH_EINVAL "invalid token" (the same
 * answer for each, in about the same time). */
hearth_err hearth_store_token_auth(hearth_store *st, const char *token, int64_t *tenant,
				   unsigned *scopes, hearth_errbuf *eb);
typedef struct {
	int64_t id;
	unsigned scopes;
	int64_t created_nanos, last_used_nanos; /* last_used: 0 when never */
	bool revoked;
	char description[128];
	char prefix[12]; /* the first characters of the secret, to recognise it */
} hearth_token_info;
/* The tenant's tokens, newest first, at most max; *n receives the count. */
hearth_err hearth_store_token_list(hearth_store *st, int64_t tenant, hearth_token_info *out,
				   size_t max, size_t *n, hearth_errbuf *eb);
/* Revokes token id of tenant; another tenant's id is "not found". */
hearth_err hearth_store_token_revoke(hearth_store *st, int64_t tenant, int64_t id,
				     hearth_errbuf *eb);

/* ---- UI sessions -------------------------------------------------------- */

/* A login of the UI: a random id (64 hex digits, the cookie's value) made
 * from a token.  The store keeps the id's SHA-256, the tenant, the token it
 * was made from and its expiry, so sessions survive a restart of the
 * server (and a kill); never the id or the token themselves.  Its CSRF
 * secret is derived from the id (SHA-256 of "hearth-csrf:" and the id, in
 * hex), so only the holder of the cookie can be told it and nothing of it
 * is stored either.  A session answers with its token's current scopes;
 * revoking the token deletes its sessions, and the sweep deletes expired
 * ones. */
#define HEARTH_SESSION_ID_LEN 64
/* At most this many live sessions per tenant: a login past it is
 * HEARTH_ETOOBIG. */
#define HEARTH_MAX_SESSIONS 10000
/* Authenticates token (as hearth_store_token_auth) and makes a session of
 * it lasting ttl_nanos; id and csrf receive NUL-terminated hex
 * (HEARTH_SESSION_ID_LEN + 1 bytes each). */
hearth_err hearth_store_session_create(hearth_store *st, const char *token, int64_t ttl_nanos,
				       char *id, char *csrf, int64_t *tenant, unsigned *scopes,
				       hearth_errbuf *eb);
/* The session id (the cookie's value): its tenant, its token's scopes and
 * its CSRF secret (HEARTH_SESSION_ID_LEN + 1 bytes).  Unknown, malformed,
 * expired, or made from a revoked token: HEARTH_EINVAL "invalid session". */
hearth_err hearth_store_session_auth(hearth_store *st, const char *id, int64_t *tenant,
				     unsigned *scopes, char *csrf, hearth_errbuf *eb);
/* Ends a session (logout); an unknown one is no error. */
hearth_err hearth_store_session_end(hearth_store *st, const char *id, hearth_errbuf *eb);

/* ---- Labels and selectors --------------------------------------------- */

typedef struct {
	const char *name, *value;
} hearth_kv;

typedef enum {
	HEARTH_MATCH_EQ,  /* = */
	HEARTH_MATCH_NE,  /* != */
	HEARTH_MATCH_RE,  /* =~ (anchored, as Prometheus) */
	HEARTH_MATCH_NRE, /* !~ */
} hearth_match_op;

typedef struct {
	const char *name, *value;
	hearth_match_op op;
	void *re; /* compiled regexp (lib/regex.h) for RE and NRE */
} hearth_matcher;

/* A parsed Prometheus-style selector: `{service="api",env=~"prod.*"}`, or
 * Pyroscope's `app.cpu{env="prod"}` (service "app", type "cpu").  The label
 * "service" selects the service and "__type__" the profile type; every other
 * name is a label of the series.  lib/store/selector.c. */
typedef struct {
	hearth_matcher *m;
	size_t n;
	char *mem;
} hearth_selector;

/* Parses text (at most 4096 bytes, at most 64 matchers); "" and "{}" select
 * everything.  Errors say the byte offset. */
hearth_err hearth_selector_parse(const char *text, hearth_selector *sel, hearth_errbuf *eb);
void hearth_selector_free(hearth_selector *sel);
/* Whether a series with this service, type and labels matches. */
bool hearth_selector_match(const hearth_selector *sel, const char *service, const char *type,
			   const hearth_kv *labels, size_t nlabels);

/* ---- Ingest ----------------------------------------------------------- */

/* Label names: 1..128 bytes of [A-Za-z_][A-Za-z0-9_.]* ; values 0..1024
 * bytes of UTF-8; at most 32 labels; "service" and names starting "__" are
 * reserved. */
#define HEARTH_MAX_LABELS 32

typedef struct {
	const char *service; /* 1..256 bytes, required */
	/* The profile type ("cpu", "heap", "allocs", "goroutine", "block",
	 * "mutex", "threadcreate", or another name); NULL:
	 * hearth_profile_type_guess(p). */
	const char *type;
	const hearth_kv *labels; /* the series' labels (not the samples') */
	size_t nlabels;
	/* When the profile says none (time_nanos 0): the time to file it
	 * under; 0: now. */
	int64_t time_nanos;
	/* An idempotency key (1..128 bytes) or NULL: a second put with the
	 * same key in the same tenant stores nothing and returns the first
	 * put's id. */
	const char *ingest_id;
} hearth_put_meta;

/* The profile type a profile looks like: cpu (period type cpu), heap or
 * allocs (by default sample type), goroutine, threadcreate, block/mutex
 * (contentions and delay: "block" unless the caller says), else the first
 * sample type's name.  Returns a static string. */
const char *hearth_profile_type_guess(const hearth_profile *p);

/* Per sample type: summed over a range, or averaged per profile. */
typedef enum { HEARTH_AGG_SUM, HEARTH_AGG_AVERAGE } hearth_agg;
hearth_agg hearth_store_aggregation(const char *sample_type);

/* Stores p (already validated by the parsers) in tenant's series.  Either
 * the whole profile is stored, durably (the transaction committed) when
 * this returns HEARTH_OK, or nothing is.  *id receives the profile's id. */
hearth_err hearth_store_put(hearth_store *st, int64_t tenant, const hearth_profile *p,
			    const hearth_put_meta *m, int64_t *id, hearth_errbuf *eb);

/* ---- Queries ---------------------------------------------------------- */

/* A string list answer; hearth_strlist_free frees it. */
typedef struct {
	char **v;
	size_t n;
} hearth_strlist;
void hearth_strlist_free(hearth_strlist *l);

/* Services with data in [from, until), sorted. */
hearth_err hearth_store_services(hearth_store *st, int64_t tenant, int64_t from, int64_t until,
				 hearth_strlist *out, hearth_errbuf *eb);

typedef struct {
	char *type;	     /* "cpu" */
	char **sample_types; /* "samples/count", "cpu/nanoseconds" */
	size_t nsample_types;
	size_t default_sample; /* index into sample_types */
} hearth_type_info;
typedef struct {
	hearth_type_info *v;
	size_t n;
} hearth_typelist;
void hearth_typelist_free(hearth_typelist *l);
/* The profile types of service (NULL: of every service) with data in the
 * range, with their sample types. */
hearth_err hearth_store_types(hearth_store *st, int64_t tenant, const char *service, int64_t from,
			      int64_t until, hearth_typelist *out, hearth_errbuf *eb);

/* Label names (without "service") of the series that sel matches in the
 * range, sorted; and the values of one name. */
hearth_err hearth_store_label_names(hearth_store *st, int64_t tenant, const hearth_selector *sel,
				    int64_t from, int64_t until, hearth_strlist *out,
				    hearth_errbuf *eb);
hearth_err hearth_store_label_values(hearth_store *st, int64_t tenant, const hearth_selector *sel,
				     const char *name, int64_t from, int64_t until,
				     hearth_strlist *out, hearth_errbuf *eb);

/* Totals over time: for each group of matching series (grouped by the
 * labels in group_by; none: one group), the total of sample type
 * sample_type (index into the type's sample types, as hearth_type_info
 * lists them) per step: points[i] covers [from + i*step, from + (i+1)*step),
 * summed or averaged as the sample type aggregates; a step with no profile
 * has has[i] false. */
typedef struct {
	hearth_kv *labels; /* the group's values of group_by */
	size_t nlabels;
	int64_t *points;
	bool *has;
	size_t npoints;
} hearth_series;
typedef struct {
	hearth_series *v;
	size_t n;
	char *mem;
} hearth_serieslist;
void hearth_serieslist_free(hearth_serieslist *l);
hearth_err hearth_store_series(hearth_store *st, int64_t tenant, const hearth_selector *sel,
			       const char *type, size_t sample_type, int64_t from, int64_t until,
			       int64_t step, const char *const *group_by, size_t ngroup_by,
			       hearth_serieslist *out, hearth_errbuf *eb);

/* Every profile of type that sel matches in [from, until), merged into one
 * profile with all its sample types: accumulated sample types summed,
 * snapshots averaged per profile (see above).  The series' labels are not
 * added to the samples.  *nprofiles (may be NULL) receives how many
 * profiles went in.  No match: HEARTH_EINVAL "no profiles in the range". */
hearth_err hearth_store_merge(hearth_store *st, int64_t tenant, const hearth_selector *sel,
			      const char *type, int64_t from, int64_t until, hearth_profile **out,
			      size_t *nprofiles, hearth_errbuf *eb);

/* What a merge may leave out, for views that do not show it: the
 * HEARTH_MERGE_* flags of hearth/sources.h, which the CLI's merges of
 * several files take too.  With HEARTH_MERGE_NO_LABELS a flame graph, top,
 * call graph, peek or source listing without tag options reports the same
 * numbers, and the merge no longer costs one sample per distinct (stack,
 * labels): a label of unbounded cardinality makes nearly every sample
 * distinct. */
hearth_err hearth_store_merge_flags(hearth_store *st, int64_t tenant, const hearth_selector *sel,
				    const char *type, int64_t from, int64_t until, unsigned flags,
				    hearth_profile **out, size_t *nprofiles, hearth_errbuf *eb);

/* Single profiles, newest first. */
typedef struct {
	int64_t id;
	char *service, *type;
	hearth_kv *labels;
	size_t nlabels;
	int64_t time_nanos, duration_nanos, period;
	int64_t *totals; /* one per sample type of the type */
	size_t ntotals;
	int64_t stored_bytes;
} hearth_profile_info;
typedef struct {
	hearth_profile_info *v;
	size_t n;
	char *mem;
	/* Pass to the next call to continue; 0 when there is no more. */
	int64_t next_cursor;
} hearth_profilelist;
void hearth_profilelist_free(hearth_profilelist *l);
/* type NULL: every type.  cursor 0 starts; limit 1..1000. */
hearth_err hearth_store_list(hearth_store *st, int64_t tenant, const hearth_selector *sel,
			     const char *type, int64_t from, int64_t until, int64_t cursor,
			     size_t limit, hearth_profilelist *out, hearth_errbuf *eb);

/* One profile as it was pushed (the same samples, values, labels, symbols,
 * metadata and comments; ids may be renumbered).  Another tenant's id is
 * "not found". */
hearth_err hearth_store_get(hearth_store *st, int64_t tenant, int64_t id, hearth_profile **out,
			    hearth_profile_info *info, hearth_errbuf *eb);
void hearth_profile_info_free(hearth_profile_info *info);

/* ---- Retention and usage ---------------------------------------------- */

/* Deletes what is past each tenant's retention at time now, in small
 * transactions (a kill at any moment leaves a consistent store), then the
 * symbols of the dictionary no remaining profile refers to, and
 * frees the disk it used.  *deleted (may be NULL) receives the profiles
 * deleted. */
hearth_err hearth_store_sweep(hearth_store *st, int64_t now, size_t *deleted, hearth_errbuf *eb);

/* Builds the rollups that are due at time now (buckets whose end has
 * passed and whose profiles changed: new, late or swept), one transaction
 * per bucket; the server calls it periodically (a kill at any moment leaves
 * a consistent store: a bucket without its rollup is read profile by
 * profile).  *built (may be NULL) receives the rollups written. */
hearth_err hearth_store_compact(hearth_store *st, int64_t now, size_t *built, hearth_errbuf *eb);

typedef struct {
	int64_t profiles, series, bytes;
	int64_t oldest_nanos, newest_nanos;
	/* The tenant's symbol dictionary: entries kept (strings, functions,
	 * mappings, locations) and the bytes of its rows. */
	int64_t dict_entries, dict_bytes;
} hearth_usage;
hearth_err hearth_store_usage(hearth_store *st, int64_t tenant, hearth_usage *out,
			      hearth_errbuf *eb);

/* ---- Metric series ---------------------------------------------------- */

/* Numbers over time beside the profiles: the GC statistics hearth scrape
 * reads from each target's MemStats (gc_count, gc_cpu_fraction,
 * heap_alloc_bytes, ...).  A point belongs to (tenant, service, labels,
 * name); labels is the canonical "k=v,k2=v2" text (names sorted).  Names:
 * 1..128 bytes of [A-Za-z0-9_.:]; at most 1024 points per put.  The
 * retention sweep removes them with the tenant's profiles. */
typedef struct {
	const char *name;
	double value;
} hearth_metric;
hearth_err hearth_store_metrics_put(hearth_store *st, int64_t tenant, const char *service,
				    const char *labels, int64_t time_nanos,
				    const hearth_metric *m, size_t n, hearth_errbuf *eb);
/* The points of name for service in [from, until), ordered by labels then
 * time (at most 100000); name NULL: the names that have points there
 * (in names, sorted). */
typedef struct {
	char *labels;
	int64_t time_nanos;
	double value;
} hearth_metric_point;
typedef struct {
	hearth_metric_point *v;
	size_t n;
	hearth_strlist names;
} hearth_metric_points;
void hearth_metric_points_free(hearth_metric_points *l);
hearth_err hearth_store_metrics_query(hearth_store *st, int64_t tenant, const char *service,
				      const char *name, int64_t from, int64_t until,
				      hearth_metric_points *out, hearth_errbuf *eb);
/* The same, downsampled for a chart: [from, until) cut into buckets of
 * step ns (0: every point, as above), each bucket of a series keeping its
 * first, last, lowest and highest point (M4), so at most 4 points per
 * bucket and series; it reads up to ten million rows. */
hearth_err hearth_store_metrics_downsample(hearth_store *st, int64_t tenant, const char *service,
					   const char *name, int64_t from, int64_t until,
					   int64_t step, hearth_metric_points *out,
					   hearth_errbuf *eb);

/* ---- GODEBUG logs ----------------------------------------------------- */

/* What a program wrote to standard error under GODEBUG=gctrace=1,
 * schedtrace=N (docs/godebug.md), kept whole for a service: the server
 * reads it again with lib/runtime/godebug.c for summaries and charts.
 * labels is the canonical "k=v,k2=v2" text; a log is at most
 * HEARTH_GODEBUG_LOG_MAX bytes.  Logs are not yet removed by the retention
 * sweep (as metric points). */
#define HEARTH_GODEBUG_LOG_MAX ((size_t)64 << 20)
hearth_err hearth_store_godebug_put(hearth_store *st, int64_t tenant, const char *service,
				    const char *labels, int64_t time_nanos, const char *data,
				    size_t n, int64_t *id, hearth_errbuf *eb);
typedef struct {
	int64_t id, time_nanos;
	char *service, *labels;
	char *data; /* NULL unless asked for */
	size_t bytes;
} hearth_godebug_log;
typedef struct {
	hearth_godebug_log *v;
	size_t n;
} hearth_godebug_logs;
void hearth_godebug_logs_free(hearth_godebug_logs *l);
/* The logs of service (NULL: every service) in [from, until), oldest
 * first, at most max; id > 0: only that log (another tenant's is none).
 * with_data: their bytes too. */
hearth_err hearth_store_godebug_query(hearth_store *st, int64_t tenant, const char *service,
				      int64_t id, int64_t from, int64_t until, size_t max,
				      bool with_data, hearth_godebug_logs *out, hearth_errbuf *eb);

/* ---- The fleet report ------------------------------------------------- */

/* Whether a tenant takes part in the public fleet report (lib/fleet/,
 * docs/fleet.md); a tenant is out until it opts in.  Opting out takes the
 * tenant out of the next report. */
hearth_err hearth_store_fleet_set(hearth_store *st, int64_t tenant, bool opt_in,
				  hearth_errbuf *eb);
/* The tenants that opted in, in id order (free *ids). */
hearth_err hearth_store_fleet_tenants(hearth_store *st, int64_t **ids, size_t *n,
				      hearth_errbuf *eb);

/* ---- Backends ----------------------------------------------------------- */

/* What a backend implements; store.c dispatches the calls above to it and
 * does what is common (argument checks, selector matching helpers). */
typedef struct hearth_store_ops hearth_store_ops;

#endif
