/* The fleet report over HTTP (docs/fleet.md):
 *
 *   GET  /fleet                  the public page (no token)
 *   GET  /api/v1/fleet/report    the same as JSON (no token)
 *   GET  /api/v1/fleet           the caller's own figures and opt-in (read)
 *   POST /api/v1/fleet           {"opt_in": true|false} (admin)
 *
 * The public report is computed at most once per -fleet_refresh and kept;
 * it is computed again at once when the set of tenants that opted in
 * changed (by the API or by `hearth fleet` on the data directory), so an
 * opt-out holds from the next report on. */
#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/fleet.h"
#include "service.h"

#define DEFAULT_REFRESH ((int64_t)600 * 1000000000)

struct svc_fleet {
	pthread_mutex_t mu;
	char *json, *html;
	int64_t made;
	int64_t *tenants; /* the opted-in tenants it was made of */
	size_t ntenants;
};

svc_fleet *svc_fleet_new(void)
{
	svc_fleet *f = calloc(1, sizeof(*f));
	if (f)
		pthread_mutex_init(&f->mu, NULL);
	return f;
}

void svc_fleet_free(svc_fleet *f)
{
	if (!f)
		return;
	pthread_mutex_destroy(&f->mu);
	free(f->json);
	free(f->html);
	free(f->tenants);
	free(f);
}

/* Makes the report anew when it is stale; under f->mu. */
static hearth_err refresh(hearth_service *s, svc_fleet *f, hearth_errbuf *eb)
{
	int64_t now = svc_now();
	int64_t every =
	    s->cfg.fleet_refresh_nanos > 0 ? s->cfg.fleet_refresh_nanos : DEFAULT_REFRESH;
	int64_t *ids = NULL;
	size_t n = 0;
	hearth_err err = hearth_store_fleet_tenants(s->st, &ids, &n, eb);
	if (err)
		return err;
	bool same = f->json && n == f->ntenants &&
		    (!n || !memcmp(ids, f->tenants, n * sizeof(*ids))) && now - f->made < every;
	if (same) {
		free(ids);
		return HEARTH_OK;
	}
	json_t *r = NULL;
	if ((err = hearth_fleet_report(s->st, &s->cfg.fleet, now, &r, eb))) {
		free(ids);
		return err;
	}
	char *js = json_dumps(r, JSON_COMPACT);
	hearth_buf h = {0};
	hearth_fleet_html(r, &h);
	json_decref(r);
	if (!js || h.oom) {
		free(js);
		hearth_buf_free(&h);
		free(ids);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	free(f->json);
	free(f->html);
	free(f->tenants);
	f->json = js;
	f->html = h.data ? h.data : strdup("");
	f->tenants = ids;
	f->ntenants = n;
	f->made = now;
	return HEARTH_OK;
}

void svc_fleet_public(hearth_service *s, const hearth_req *req, bool html, hearth_api_resp *resp)
{
	if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
		hearth_api_error(resp, 405, "method not allowed");
		resp->allow = "GET, HEAD";
		return;
	}
	hearth_errbuf eb = {{0}};
	svc_fleet *f = s->fleet;
	pthread_mutex_lock(&f->mu);
	hearth_err err = refresh(s, f, &eb);
	if (err) {
		pthread_mutex_unlock(&f->mu);
		svc_fail(resp, err, &eb, false);
		return;
	}
	hearth_buf_free(&resp->body);
	resp->status = 200;
	resp->type = html ? "text/html; charset=utf-8" : SVC_JSON;
	hearth_buf_puts(&resp->body, html ? f->html : f->json);
	if (!html)
		hearth_buf_put(&resp->body, "\n", 1);
	pthread_mutex_unlock(&f->mu);
}

static void set_opt_in(hearth_service *s, const hearth_req *req, const svc_caller *c,
		       hearth_api_resp *resp)
{
	json_error_t je;
	json_t *body = json_loadb(req->body, req->body_len, 0, &je);
	json_t *v = body ? json_object_get(body, "opt_in") : NULL;
	if (!json_is_boolean(v)) {
		json_decref(body);
		hearth_api_error(resp, 400, "fleet: the body must be {\"opt_in\": true or false}");
		return;
	}
	bool in = json_is_true(v);
	json_decref(body);
	hearth_errbuf eb = {{0}};
	hearth_err err = hearth_store_fleet_set(s->st, c->tenant, in, &eb);
	if (err) {
		svc_fail(resp, err, &eb, true);
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "opt_in", json_boolean(in));
	svc_json(resp, 200, o);
}

void svc_fleet_tenant(hearth_service *s, const hearth_req *req, const svc_caller *c,
		      hearth_api_resp *resp)
{
	bool post = !strcmp(req->method, "POST");
	if (!post && strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
		hearth_api_error(resp, 405, "method not allowed");
		resp->allow = "GET, HEAD, POST";
		return;
	}
	if (!svc_allow(req, c, post ? HEARTH_SCOPE_ADMIN : HEARTH_SCOPE_READ, resp))
		return;
	if (post) {
		set_opt_in(s, req, c, resp);
		return;
	}
	hearth_errbuf eb = {{0}};
	json_t *o = NULL;
	hearth_err err = hearth_fleet_tenant(s->st, c->tenant, &s->cfg.fleet, svc_now(), &o, &eb);
	if (err)
		svc_fail(resp, err, &eb, false);
	else
		svc_json(resp, 200, o);
}
