/* `hearth serve`'s routes: which path goes to which handler, and which need
 * a caller.  The UI's files are served to anyone (they show nothing
 * without a token), and so is the public fleet report (/fleet,
 * /api/v1/fleet/report: anonymized aggregates only); everything else under
 * /api/v1/ but login, logout, signup and health needs a token or a
 * session. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "service.h"
#include "ui.h"

hearth_service *hearth_service_new(hearth_store *st, const hearth_service_config *cfg)
{
	hearth_service *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->st = st;
	s->cfg = *cfg;
	if (!s->cfg.session_nanos)
		s->cfg.session_nanos = (int64_t)12 * 3600 * 1000000000;
	if (!s->cfg.signups_per_hour)
		s->cfg.signups_per_hour = 10;
	double sps = s->cfg.signups_per_hour / 3600.0;
	/* rate 0 is no limit; the table also keeps each tenant's generation. */
	s->tenant_rate = svc_limiter_new(cfg->rate_per_tenant, 2 * cfg->rate_per_tenant);
	/* Bursts of 3, or fewer when fewer an hour are allowed. */
	double sburst = s->cfg.signups_per_hour < 3 ? s->cfg.signups_per_hour : 3;
	s->signup_rate = svc_limiter_new(sps, sburst < 1 ? 1 : sburst);
	s->login_rate = svc_limiter_new(5, 20);
	s->render = svc_render_new(cfg->render_cache);
	s->fleet = svc_fleet_new();
	pthread_mutex_init(&s->targets_mu, NULL);
	if (!s->tenant_rate || !s->signup_rate || !s->login_rate || !s->render ||
	    !s->fleet) {
		hearth_service_free(s);
		return NULL;
	}
	return s;
}

void hearth_service_free(hearth_service *s)
{
	if (!s)
		return;
	svc_limiter_free(s->tenant_rate);
	svc_limiter_free(s->signup_rate);
	svc_limiter_free(s->login_rate);
	svc_render_free(s->render);
	svc_fleet_free(s->fleet);
	pthread_mutex_destroy(&s->targets_mu);
	free(s);
}

static bool method_is(const hearth_req *req, const char *m, hearth_api_resp *resp)
{
	if (!strcmp(req->method, m))
		return true;
	hearth_api_error(resp, 405, "method not allowed");
	resp->allow = m;
	return false;
}

void hearth_service_handle(void *ctx, const hearth_req *req, hearth_api_resp *resp)
{
	hearth_service *s = ctx;
	const char *p = req->path;
	svc_caller c;
	/* Ingest: where existing clients push. */
	svc_push_kind kind;
	bool push = true;
	if (!strcmp(p, "/api/v1/push"))
		kind = SVC_PUSH_NATIVE;
	else if (!strcmp(p, "/ingest"))
		kind = SVC_PUSH_PYROSCOPE;
	else if (!strcmp(p, "/push.v1.PusherService/Push"))
		kind = SVC_PUSH_ALLOY;
	else
		push = false;
	if (push) {
		if (svc_authenticate(s, req, &c, resp))
			svc_ingest(s, req, &c, kind, resp);
		return;
	}
	if (!strcmp(p, "/fleet")) {
		svc_fleet_public(s, req, true, resp);
		return;
	}
	if (strncmp(p, "/api/", 5)) {
		if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
			hearth_api_error(resp, 405, "method not allowed");
			return;
		}
		hearth_ui_serve(p, resp);
		return;
	}
	if (strncmp(p, "/api/v1/", 8)) {
		hearth_api_error(resp, 404, "no such endpoint: the API is under /api/v1/");
		return;
	}
	const char *name = p + 8;
	if (!strcmp(name, "login")) {
		if (method_is(req, "POST", resp))
			svc_login(s, req, resp);
		return;
	}
	if (!strcmp(name, "logout")) {
		if (method_is(req, "POST", resp))
			svc_logout(s, req, resp);
		return;
	}
	if (!strcmp(name, "signup")) {
		if (method_is(req, "POST", resp))
			svc_signup(s, req, resp);
		return;
	}
	if (!strcmp(name, "health")) {
		json_t *o = json_object();
		json_object_set_new(o, "ok", json_true());
		json_object_set_new(o, "signup",
				    json_string(s->cfg.signup_open ? "open" : "closed"));
		svc_json(resp, 200, o);
		return;
	}
	if (!strcmp(name, "fleet/report")) {
		svc_fleet_public(s, req, false, resp);
		return;
	}
	if (!svc_authenticate(s, req, &c, resp))
		return;
	if (!strcmp(name, "whoami"))
		svc_whoami(s, req, &c, resp);
	else if (!strncmp(name, "tokens", 6) && (name[6] == 0 || name[6] == '/'))
		svc_tokens(s, req, &c, name + 6, resp);
	else if (!strncmp(name, "godebug", 7) && (name[7] == 0 || name[7] == '/'))
		svc_godebug(s, req, &c, name + 7, resp);
	else if (!strcmp(name, "fleet"))
		svc_fleet_tenant(s, req, &c, resp);
	else if (!strcmp(name, "metrics"))
		svc_metrics(s, req, &c, resp);
	else if (!strcmp(name, "targets"))
		svc_targets(s, req, &c, resp);
	else if (!strncmp(name, "render/", 7) && name[7] && !strchr(name + 7, '/'))
		svc_render_handle(s, req, &c, name + 7, resp);
	else
		svc_query(s, req, &c, name, resp);
}
