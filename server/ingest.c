/* The ingest routes: POST /api/v1/push (native), POST /ingest (Pyroscope's
 * HTTP API) and POST /push.v1.PusherService/Push (Grafana Alloy, Connect).
 * The bodies are parsed by lib/ingest into a batch of profiles; the whole
 * batch is validated before the first profile is stored, then each is one
 * store transaction. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hearth/io.h"
#include "service.h"

/* The store's rules for a series (lib/store/store.h), checked for every
 * item before any is stored, so a bad label in the third profile of a
 * batch stores none of it. */
static hearth_err check_item(const hearth_ingest_item *it, size_t i, hearth_errbuf *eb)
{
	size_t sl = it->service ? strlen(it->service) : 0;
	if (sl == 0 || sl > 256)
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "profile %zu: the service name must have 1 to 256 bytes", i);
	if (it->nlabels > HEARTH_MAX_LABELS)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "profile %zu: more than %d labels", i,
				     HEARTH_MAX_LABELS);
	for (size_t k = 0; k < it->nlabels; k++) {
		const char *n = it->labels[k].name, *v = it->labels[k].value;
		size_t nl = n ? strlen(n) : 0;
		bool ok =
		    nl >= 1 && nl <= 128 &&
		    ((n[0] >= 'A' && n[0] <= 'Z') || (n[0] >= 'a' && n[0] <= 'z') || n[0] == '_');
		for (size_t j = 1; ok && j < nl; j++) {
			char ch = n[j];
			ok = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			     (ch >= '0' && ch <= '9') || ch == '_' || ch == '.';
		}
		if (!ok)
			return hearth_seterr(eb, HEARTH_EINVAL,
					     "profile %zu: label name %zu is not "
					     "[A-Za-z_][A-Za-z0-9_.]* of at most 128 bytes",
					     i, k);
		if (!strcmp(n, "service") || !strncmp(n, "__", 2))
			return hearth_seterr(eb, HEARTH_EINVAL,
					     "profile %zu: the label name %s is reserved", i, n);
		if (!v || strlen(v) > 1024)
			return hearth_seterr(eb, HEARTH_EINVAL,
					     "profile %zu: label %s: a value of at most 1024 bytes",
					     i, n);
	}
	if (!it->profile)
		return hearth_seterr(eb, HEARTH_EINVAL, "profile %zu: no profile", i);
	return HEARTH_OK;
}

/* Connect's error codes, for Alloy's client. */
static const char *connect_code(int status)
{
	switch (status) {
	case 400:
		return "invalid_argument";
	case 401:
		return "unauthenticated";
	case 403:
		return "permission_denied";
	case 404:
		return "not_found";
	case 413:
	case 429:
	case 507:
		return "resource_exhausted";
	case 503:
		return "unavailable";
	default:
		return "internal";
	}
}

static void fail(hearth_api_resp *resp, svc_push_kind k, int status, const char *msg, json_t *extra)
{
	json_t *o = extra ? extra : json_object();
	char *c = hearth_utf8_clean(msg);
	json_object_set_new(o, "error", json_string(c ? c : "out of memory"));
	if (k == SVC_PUSH_ALLOY) {
		json_object_set_new(o, "code", json_string(connect_code(status)));
		json_object_set_new(o, "message", json_string(c ? c : "out of memory"));
	}
	free(c);
	svc_json(resp, status, o);
}

void svc_ingest(hearth_service *s, const hearth_req *req, const svc_caller *c, svc_push_kind k,
		hearth_api_resp *resp)
{
	hearth_errbuf eb = {{0}};
	hearth_ingest_batch b = {0};
	uint8_t *plain = NULL;
	const void *body = req->body;
	size_t n = req->body_len;
	int64_t *ids = NULL;
	if (strcmp(req->method, "POST")) {
		fail(resp, k, 405, "method not allowed: POST a profile", NULL);
		resp->allow = "POST";
		return;
	}
	if (!svc_allow(req, c, HEARTH_SCOPE_PUSH, resp))
		return;
	hearth_err err = HEARTH_OK;
	const char *ce = req->content_encoding;
	if (ce && *ce && strcasecmp(ce, "identity")) {
		if (strcasecmp(ce, "gzip")) {
			fail(resp, k, 415, "Content-Encoding: only gzip is read", NULL);
			return;
		}
		size_t max = s->cfg.ingest.max_decompressed ? s->cfg.ingest.max_decompressed
							    : (size_t)256 << 20;
		size_t pn = 0;
		if ((err = hearth_gunzip(body, n, max, &plain, &pn, &eb))) {
			fail(resp, k, svc_status(err, &eb, false),
			     eb.msg[0] ? eb.msg : hearth_strerror(err), NULL);
			return;
		}
		body = plain, n = pn;
	}
	switch (k) {
	case SVC_PUSH_NATIVE:
		err = hearth_ingest_native(req->query, req->qlen, body, n, &s->cfg.ingest, &b, &eb);
		break;
	case SVC_PUSH_PYROSCOPE:
		err = hearth_ingest_pyroscope(req->query, req->qlen, req->content_type, body, n,
					      &s->cfg.ingest, &b, &eb);
		break;
	case SVC_PUSH_ALLOY:
		err = hearth_ingest_alloy(req->content_type, body, n, &s->cfg.ingest, &b, &eb);
		break;
	}
	/* The client's upload is at fault whatever the parser says, except
	 * when memory runs out. */
	if (err) {
		int st = err == HEARTH_ENOMEM ? 503 : err == HEARTH_ETOOBIG ? 413 : 400;
		fail(resp, k, st, eb.msg[0] ? eb.msg : hearth_strerror(err), NULL);
		goto out;
	}
	for (size_t i = 0; i < b.n; i++)
		if ((err = check_item(&b.v[i], i, &eb))) {
			fail(resp, k, err == HEARTH_ETOOBIG ? 413 : 400, eb.msg, NULL);
			goto out;
		}
	if (b.n && !(ids = calloc(b.n, sizeof(*ids)))) {
		fail(resp, k, 503, "out of memory", NULL);
		goto out;
	}
	/* A time the client names (time=, Pyroscope's from=) files the
	 * profile under it, over the profile's own: the store takes the
	 * meta's time only for a profile that has none. */
	for (size_t i = 0; i < b.n; i++)
		if (b.v[i].time_nanos)
			b.v[i].profile->time_nanos = b.v[i].time_nanos;
	size_t stored = 0;
	for (; stored < b.n; stored++) {
		const hearth_ingest_item *it = &b.v[stored];
		hearth_put_meta m = {.service = it->service,
				     .type = it->type,
				     .labels = it->labels,
				     .nlabels = it->nlabels,
				     .time_nanos = it->time_nanos,
				     .ingest_id = it->ingest_id};
		if ((err = hearth_store_put(s->st, c->tenant, it->profile, &m, &ids[stored], &eb)))
			break;
	}
	if (stored)
		svc_tenant_gen(s, c->tenant, true);
	if (err) {
		/* Each put is whole or nothing; say which were stored. */
		json_t *o = json_object(), *a = json_array();
		for (size_t i = 0; i < stored; i++)
			json_array_append_new(a, json_integer(ids[i]));
		json_object_set_new(o, "stored", a);
		char msg[sizeof(eb.msg) + 64];
		if (b.n > 1)
			snprintf(msg, sizeof(msg), "profile %zu of %zu: %s", stored + 1, b.n,
				 eb.msg[0] ? eb.msg : hearth_strerror(err));
		else
			snprintf(msg, sizeof(msg), "%s", eb.msg[0] ? eb.msg : hearth_strerror(err));
		fail(resp, k, svc_status(err, &eb, true), msg, o);
		goto out;
	}
	if (k == SVC_PUSH_ALLOY && req->content_type &&
	    !strncmp(req->content_type, "application/proto", 17)) {
		/* An empty PushResponse. */
		resp->status = 200;
		resp->type = "application/proto";
		goto out;
	}
	json_t *o = json_object();
	if (k == SVC_PUSH_NATIVE) {
		if (b.n == 1) {
			json_object_set_new(o, "id", json_integer(ids[0]));
		} else {
			json_t *a = json_array();
			for (size_t i = 0; i < b.n; i++)
				json_array_append_new(a, json_integer(ids[i]));
			json_object_set_new(o, "ids", a);
		}
	}
	svc_json(resp, 200, o);
out:
	free(ids);
	free(plain);
	hearth_ingest_batch_free(&b);
}
