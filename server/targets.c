/* GET /api/v1/targets: the targets of `hearth serve -scrape` (labels,
 * health, last scrape, duration, error; docs/scrape.md), as `hearth scrape`
 * serves them on /targets.  Only the tenant the loop scrapes into sees them:
 * another tenant is told there is nothing here (404), as for a service it
 * does not have. */
#include <string.h>

#include "service.h"

void hearth_service_set_targets(hearth_service *s, int64_t tenant, hearth_targets_fn fn, void *ctx)
{
	pthread_mutex_lock(&s->targets_mu);
	s->targets = fn;
	s->targets_ctx = ctx;
	s->targets_tenant = tenant;
	pthread_mutex_unlock(&s->targets_mu);
}

void svc_targets(hearth_service *s, const hearth_req *req, const svc_caller *c,
		 hearth_api_resp *resp)
{
	if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
		hearth_api_error(resp, 405, "method not allowed");
		resp->allow = "GET, HEAD";
		return;
	}
	if (!svc_allow(req, c, HEARTH_SCOPE_READ, resp))
		return;
	/* Held while fn runs, so that the loop is not freed under it. */
	pthread_mutex_lock(&s->targets_mu);
	if (!s->targets || s->targets_tenant != c->tenant) {
		pthread_mutex_unlock(&s->targets_mu);
		hearth_api_error(resp, 404,
				 "targets: this server scrapes nothing into this tenant (-scrape)");
		return;
	}
	s->targets(s->targets_ctx, &resp->body);
	pthread_mutex_unlock(&s->targets_mu);
	if (resp->body.oom) {
		hearth_buf_free(&resp->body);
		hearth_api_error(resp, 503, "out of memory");
		return;
	}
	resp->status = 200;
	resp->type = SVC_JSON;
}
