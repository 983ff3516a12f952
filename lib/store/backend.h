/* What a store backend implements (lib/store/store.c dispatches to it).
 * store.c has already checked the arguments (names, labels, ranges,
 * limits) and does what is common: token secrets and their hashing, scope
 * strings, type guessing.  A backend enforces tenancy in every query: a
 * row of another tenant is never read, counted or named. */
#ifndef HEARTH_STORE_BACKEND_H
#define HEARTH_STORE_BACKEND_H

#include "store/store.h"

struct hearth_store_ops {
	const char *name;
	hearth_err (*open)(const char *path, const hearth_store_config *cfg, void **be,
			   hearth_errbuf *eb);
	void (*close)(void *be);

	hearth_err (*tenant_ensure)(void *be, const char *name, int64_t *tenant, hearth_errbuf *eb);
	/* Not found: HEARTH_EINVAL "tenant not found". */
	hearth_err (*tenant_lookup)(void *be, const char *name, int64_t *tenant, hearth_errbuf *eb);
	hearth_err (*tenant_name)(void *be, int64_t tenant, char *name, size_t namen,
				  hearth_errbuf *eb);
	hearth_err (*tenant_set_retention)(void *be, int64_t tenant, int64_t retention_nanos,
					   hearth_errbuf *eb);

	/* Tokens are given hashed (SHA-256 of the secret). */
	hearth_err (*token_insert)(void *be, int64_t tenant, unsigned scopes,
				   const char *description, const uint8_t hash[32],
				   const char *prefix, int64_t now, int64_t *id, hearth_errbuf *eb);
	/* Not found: HEARTH_EINVAL.  stored receives the row's hash (store.c
	 * compares in constant time), *id the token's id. */
	hearth_err (*token_lookup)(void *be, const uint8_t hash[32], int64_t now, int64_t *tenant,
				   unsigned *scopes, bool *revoked, uint8_t stored[32], int64_t *id,
				   hearth_errbuf *eb);
	hearth_err (*token_list)(void *be, int64_t tenant, hearth_token_info *out, size_t max,
				 size_t *n, hearth_errbuf *eb);
	/* Revoking deletes the token's sessions in the same transaction. */
	hearth_err (*token_revoke)(void *be, int64_t tenant, int64_t id, hearth_errbuf *eb);
	/* UI sessions by the SHA-256 of their id (store.h).  insert: first
	 * deletes the tenant's expired ones; more than max live ones left:
	 * HEARTH_ETOOBIG.  lookup: not found, expired or of a revoked token:
	 * HEARTH_EINVAL; stored receives the row's hash. */
	hearth_err (*session_insert)(void *be, const uint8_t hash[32], int64_t tenant,
				     int64_t token, int64_t now, int64_t expires, size_t max,
				     hearth_errbuf *eb);
	hearth_err (*session_lookup)(void *be, const uint8_t hash[32], int64_t now, int64_t *tenant,
				     unsigned *scopes, uint8_t stored[32], hearth_errbuf *eb);
	hearth_err (*session_delete)(void *be, const uint8_t hash[32], hearth_errbuf *eb);

	/* type is set (guessed by store.c when the caller gave none). */
	hearth_err (*put)(void *be, int64_t tenant, const hearth_profile *p,
			  const hearth_put_meta *m, const char *type, int64_t *id,
			  hearth_errbuf *eb);

	hearth_err (*services)(void *be, int64_t tenant, int64_t from, int64_t until,
			       hearth_strlist *out, hearth_errbuf *eb);
	hearth_err (*types)(void *be, int64_t tenant, const char *service, int64_t from,
			    int64_t until, hearth_typelist *out, hearth_errbuf *eb);
	hearth_err (*label_names)(void *be, int64_t tenant, const hearth_selector *sel,
				  int64_t from, int64_t until, hearth_strlist *out,
				  hearth_errbuf *eb);
	hearth_err (*label_values)(void *be, int64_t tenant, const hearth_selector *sel,
				   const char *name, int64_t from, int64_t until,
				   hearth_strlist *out, hearth_errbuf *eb);
	hearth_err (*series)(void *be, int64_t tenant, const hearth_selector *sel, const char *type,
			     size_t sample_type, int64_t from, int64_t until, int64_t step,
			     const char *const *group_by, size_t ngroup_by, hearth_serieslist *out,
			     hearth_errbuf *eb);
	/* flags: HEARTH_MERGE_* (store.h). */
	hearth_err (*merge)(void *be, int64_t tenant, const hearth_selector *sel, const char *type,
			    int64_t from, int64_t until, unsigned flags, hearth_profile **out,
			    size_t *nprofiles, hearth_errbuf *eb);
	hearth_err (*list)(void *be, int64_t tenant, const hearth_selector *sel, const char *type,
			   int64_t from, int64_t until, int64_t cursor, size_t limit,
			   hearth_profilelist *out, hearth_errbuf *eb);
	hearth_err (*get)(void *be, int64_t tenant, int64_t id, hearth_profile **out,
			  hearth_profile_info *info, hearth_errbuf *eb);
	hearth_err (*sweep)(void *be, int64_t now, size_t *deleted, hearth_errbuf *eb);
	hearth_err (*compact)(void *be, int64_t now, size_t *built, hearth_errbuf *eb);
	hearth_err (*usage)(void *be, int64_t tenant, hearth_usage *out, hearth_errbuf *eb);
	/* Metric series (store.h); arguments checked by store.c. */
	hearth_err (*metrics_put)(void *be, int64_t tenant, const char *service, const char *labels,
				  int64_t time_nanos, const hearth_metric *m, size_t n,
				  hearth_errbuf *eb);
	/* Points through hs_metric_row (below); step > 0: downsampled. */
	hearth_err (*metrics_query)(void *be, int64_t tenant, const char *service, const char *name,
				    int64_t from, int64_t until, int64_t step,
				    hearth_metric_points *out, hearth_errbuf *eb);
	/* GODEBUG logs (store.h); arguments checked by store.c. */
	hearth_err (*godebug_put)(void *be, int64_t tenant, const char *service,
				  const char *labels, int64_t time_nanos, const char *data, size_t n,
				  int64_t *id, hearth_errbuf *eb);
	hearth_err (*godebug_query)(void *be, int64_t tenant, const char *service, int64_t id,
				    int64_t from, int64_t until, size_t max, bool with_data,
				    hearth_godebug_logs *out, hearth_errbuf *eb);
	/* The fleet report's opt-in (store.h). */
	hearth_err (*fleet_set)(void *be, int64_t tenant, bool opt_in, int64_t now,
				hearth_errbuf *eb);
	hearth_err (*fleet_tenants)(void *be, int64_t **ids, size_t *n, hearth_errbuf *eb);
};

extern const hearth_store_ops hearth_store_sqlite_ops;
extern const hearth_store_ops hearth_store_postgres_ops;

/* Helpers for backends (store.c). */
int64_t hearth_store_now(void);
/* The series' labels as canonical text ("k=v" lines sorted, values
 * escaped), and back. */
char *hearth_labels_canon(const hearth_kv *labels, size_t n);
/* Parses canon into kvs pointing into a copy kept in *mem. */
hearth_err hearth_labels_uncanon(const char *canon, hearth_kv **kv, size_t *n, char **mem);

/* The points of a metric query (store.c), fed its rows in (labels, time)
 * order: each as it is when step is 0; else [from, until) is cut into
 * buckets of step ns, and each bucket of a series keeps its first, last,
 * lowest and highest point (M4: a line chart one pixel per bucket wide
 * looks the same as through every point), in time order.  The points kept
 * are stored ones, never made up. */
typedef struct {
	int64_t from, step, bucket;
	char *labels;		   /* the open bucket's series; NULL before the first row */
	hearth_metric_point pt[4]; /* first, last, lowest, highest (labels unset) */
	size_t cap;		   /* out->v's capacity */
	int64_t limit, nread; /* rows read at most (hs_metric_limit), and so far */
} hs_metric_rows;
#define HS_METRIC_MAX_POINTS 100000	 /* rows a query without a step reads at most */
#define HS_METRIC_DS_MAX_ROWS 10000000 /* rows a downsampled query reads at most */
#define HS_METRIC_MAX_NAMES 10000	 /* metric names a query lists at most */
/* d's limit for a backend that reads at most ds_max rows when
 * downsampling: the backend asks its database for one row more, and a
 * query that gets it is refused (HEARTH_EINVAL), never cut short. */
int64_t hs_metric_limit(hs_metric_rows *d, int64_t ds_max);
hearth_err hs_metric_row(hs_metric_rows *d, hearth_metric_points *out, const char *labels,
			 int64_t t, double v, hearth_errbuf *eb);
/* Emits the last bucket and frees d's own memory. */
hearth_err hs_metric_rows_end(hs_metric_rows *d, hearth_metric_points *out, hearth_errbuf *eb);
/* The error of a names query that got more than HS_METRIC_MAX_NAMES. */
hearth_err hs_metric_names_over(hearth_errbuf *eb);

#endif
