/* `hearth serve`'s HTTP API (docs/serve.md): a handler for server/http.c
 * that routes /api/v1/..., the ingest paths and the UI's files to the
 * siblings of this file (auth.c, ingest.c, queries.c, render.c), which
 * take a request and answer it, knowing no sockets. */
#ifndef HEARTH_SERVER_SERVICE_H
#define HEARTH_SERVER_SERVICE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "fleet/fleet.h"
#include "http.h"
#include "ingest/ingest.h"
#include "store/store.h"

typedef struct {
	/* Parsing limits of uploads (0: the ingest library's defaults). */
	hearth_ingest_limits ingest;
	/* Requests per second per tenant (token bucket, a burst of twice
	 * that); 0: no limit. */
	double rate_per_tenant;
	/* Signups per hour per client address (a burst of 3); with
	 * signup_open only. */
	double signups_per_hour;
	bool signup_open;
	/* How long a UI session lasts (0: 12 h). */
	int64_t session_nanos;
	/* Merged ranges kept for the render views (0: 8). */
	size_t render_cache;
	/* The public fleet report (docs/fleet.md): its k, window and length,
	 * and how long a report is kept (0: 10 min). */
	hearth_fleet_config fleet;
	int64_t fleet_refresh_nanos;
} hearth_service_config;

typedef struct hearth_service hearth_service;

/* The service over st (which must outlive it). */
hearth_service *hearth_service_new(hearth_store *st, const hearth_service_config *cfg);
void hearth_service_free(hearth_service *s);
/* -scrape: fn writes the scrape loop's targets as JSON ({"targets": [...]},
 * hearth_scraper_targets) for GET /api/v1/targets, shown to the tenant whose
 * scrapes they are and to no other.  fn NULL: none (before the loop is
 * freed; it returns once no request is still calling the old fn). */
typedef void (*hearth_targets_fn)(void *ctx, hearth_buf *out);
void hearth_service_set_targets(hearth_service *s, int64_t tenant, hearth_targets_fn fn, void *ctx);
/* The hearth_http_handler of `hearth serve`; ctx is the hearth_service. */
void hearth_service_handle(void *ctx, const hearth_req *req, hearth_api_resp *resp);

/* ---- Shared by the service's files (not part of the interface) ---- */

/* Who is asking, once authenticated. */
typedef struct {
	int64_t tenant;
	unsigned scopes;
	bool cookie; /* through the UI's session cookie */
	char csrf[72];
	char session[72];
} svc_caller;

typedef struct svc_limiter svc_limiter;
typedef struct svc_render svc_render;
typedef struct svc_fleet svc_fleet;

struct hearth_service {
	hearth_store *st;
	hearth_service_config cfg;
	svc_limiter *tenant_rate, *signup_rate, *login_rate;
	svc_render *render;
	svc_fleet *fleet;
	pthread_mutex_t targets_mu; /* guards the three below */
	hearth_targets_fn targets;
	void *targets_ctx;
	int64_t targets_tenant;
};

#define SVC_JSON "application/json; charset=utf-8"

/* Answers o (consumed) as JSON with status. */
void svc_json(hearth_api_resp *resp, int status, void *o /* json_t */);
/* The HTTP status of a library error: 400, 404 ("not found"), 413, 500,
 * 503, 507 (write: the store cannot be written). */
int svc_status(hearth_err err, const hearth_errbuf *eb, bool write);
void svc_fail(hearth_api_resp *resp, hearth_err err, const hearth_errbuf *eb, bool write);
int64_t svc_now(void);

/* GET /api/v1/targets (read scope). */
void svc_targets(hearth_service *s, const hearth_req *req, const svc_caller *c,
		 hearth_api_resp *resp);

/* auth.c */
/* Authenticates req: a Bearer token, Basic with the token as password, or
 * the session cookie.  On failure fills resp (401) and returns false. */
bool svc_authenticate(hearth_service *s, const hearth_req *req, svc_caller *c,
		      hearth_api_resp *resp);
/* Whether c has scope (else 403 in resp); a write (not GET/HEAD) through the
 * cookie also needs the X-Hearth-CSRF header of the session, and is refused
 * from another site (Sec-Fetch-Site: cross-site). */
bool svc_allow(const hearth_req *req, const svc_caller *c, unsigned scope, hearth_api_resp *resp);

/* metrics.c: POST (push) and GET (read) /api/v1/metrics. */
void svc_metrics(hearth_service *s, const hearth_req *req, const svc_caller *c,
		 hearth_api_resp *resp);
void svc_login(hearth_service *s, const hearth_req *req, hearth_api_resp *resp);
void svc_logout(hearth_service *s, const hearth_req *req, hearth_api_resp *resp);
void svc_whoami(hearth_service *s, const hearth_req *req, const svc_caller *c,
		hearth_api_resp *resp);
void svc_signup(hearth_service *s, const hearth_req *req, hearth_api_resp *resp);
void svc_tokens(hearth_service *s, const hearth_req *req, const svc_caller *c, const char *rest,
		hearth_api_resp *resp);

/* A token bucket per key (a tenant id or a client address). */
svc_limiter *svc_limiter_new(double rate, double burst);
void svc_limiter_free(svc_limiter *l);
/* Takes one token of key; false (and the seconds to wait) when empty. */
bool svc_limiter_take(svc_limiter *l, const char *key, int *retry_after);
/* Per tenant: a counter bumped by each stored profile (the render cache's
 * freshness). */
uint64_t svc_tenant_gen(hearth_service *s, int64_t tenant, bool bump);

/* queries.c: services, types, labels, label_values, series, profiles,
 * profiles/ID, usage. */
void svc_query(hearth_service *s, const hearth_req *req, const svc_caller *c, const char *name,
	       hearth_api_resp *resp);
/* Parses a time parameter (Unix seconds, RFC 3339, now, -1h ...); def when
 * absent. */
hearth_err svc_time(const char *v, int64_t def, int64_t now, int64_t *out, hearth_errbuf *eb);
/* The "now" of a query's relative times: the end of the current second. */
int64_t svc_query_now(void);
/* The profile type to use: `type` when given, else __type__ of the
 * selector, else cpu when the service has it, else its first type. */
hearth_err svc_pick_type(hearth_service *s, int64_t tenant, const hearth_selector *sel,
			 const char *type, int64_t from, int64_t until, char *out, size_t n,
			 hearth_errbuf *eb);

/* render.c: /api/v1/render/VIEW. */
svc_render *svc_render_new(size_t max_entries);
void svc_render_free(svc_render *r);
void svc_render_handle(hearth_service *s, const hearth_req *req, const svc_caller *c,
		       const char *view, hearth_api_resp *resp);

/* godebug.c: /api/v1/godebug (POST: push a GODEBUG log; GET: the summaries
 * and charts of a range), /godebug/logs, /godebug/ID; rest is what follows
 * "godebug" in the path. */
void svc_godebug(hearth_service *s, const hearth_req *req, const svc_caller *c, const char *rest,
		 hearth_api_resp *resp);

/* fleet.c: the public report (GET /fleet as a page, /api/v1/fleet/report as
 * JSON; no token) and the tenant's own /api/v1/fleet (GET: read; POST
 * {"opt_in": bool}: admin). */
svc_fleet *svc_fleet_new(void);
void svc_fleet_free(svc_fleet *f);
void svc_fleet_public(hearth_service *s, const hearth_req *req, bool html, hearth_api_resp *resp);
void svc_fleet_tenant(hearth_service *s, const hearth_req *req, const svc_caller *c,
		      hearth_api_resp *resp);

/* ingest.c: /api/v1/push, /ingest, /push.v1.PusherService/Push. */
typedef enum { SVC_PUSH_NATIVE, SVC_PUSH_PYROSCOPE, SVC_PUSH_ALLOY } svc_push_kind;
void svc_ingest(hearth_service *s, const hearth_req *req, const svc_caller *c, svc_push_kind k,
		hearth_api_resp *resp);

#endif
