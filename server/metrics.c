/* /api/v1/metrics: numbers over time beside the profiles (the GC
 * statistics hearth scrape reads from each target's MemStats).
 *
 *   POST /api/v1/metrics?service=S&labels=k=v,...&time=T   (push scope)
 *        body: lines "name value" (at most 1024)
 *   GET  /api/v1/metrics?service=S&name=N&from=&until=[&width=W]  (read scope)
 *        {"series": [{"labels": {...}, "points": [[t_ns, v], ...]}]}
 *        without name: {"names": [...]}
 *
 * width=W (1..10000, a chart's width in pixels) downsamples: the range is
 * cut into W buckets and each keeps, per series, its first, last, lowest
 * and highest point (M4), so a week of 15 s scrapes answers at most 4W
 * points a series, and a line drawn W pixels wide looks the same.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/query.h"
#include "service.h"

#define HOUR ((int64_t)3600 * 1000000000)

static void put(hearth_service *s, const hearth_req *req, const svc_caller *c,
		const hearth_query *q, hearth_api_resp *resp)
{
	hearth_errbuf eb = {{0}};
	const char *service = hearth_query_get(q, "service", NULL);
	const char *labels = hearth_query_get(q, "labels", NULL);
	int64_t t;
	hearth_err err = svc_time(hearth_query_get(q, "time", NULL), svc_now(), svc_now(), &t, &eb);
	if (err) {
		svc_fail(resp, err, &eb, false);
		return;
	}
	/* Lines "name value", copied so that names can be cut in place. */
	char *text = malloc(req->body_len + 1);
	hearth_metric *m = calloc(1024, sizeof(*m));
	size_t n = 0;
	if (!text || !m) {
		hearth_api_error(resp, 503, "out of memory");
		goto out;
	}
	memcpy(text, req->body, req->body_len);
	text[req->body_len] = 0;
	if (strlen(text) != req->body_len) {
		hearth_api_error(resp, 400, "metrics: a NUL byte in the body");
		goto out;
	}
	size_t line = 0;
	for (char *p = text, *nl; p && *p; p = nl) {
		nl = strchr(p, '\n');
		if (nl)
			*nl++ = 0;
		line++;
		if (!*p)
			continue;
		char *sp = strchr(p, ' '), *end;
		double v = sp ? strtod(sp + 1, &end) : 0;
		if (!sp || end == sp + 1 || *end || !isfinite(v)) {
			char msg[160];
			snprintf(msg, sizeof(msg), "metrics: line %zu is not \"name value\"", line);
			hearth_api_error(resp, 400, msg);
			goto out;
		}
		if (n == 1024) {
			hearth_api_error(resp, 413, "metrics: more than 1024 points");
			goto out;
		}
		*sp = 0;
		m[n++] = (hearth_metric){p, v};
	}
	err =
	    hearth_store_metrics_put(s->st, c->tenant, service, labels ? labels : "", t, m, n, &eb);
	if (err) {
		svc_fail(resp, err, &eb, true);
	} else {
		json_t *o = json_object();
		json_object_set_new(o, "points", json_integer((json_int_t)n));
		svc_json(resp, 200, o);
	}
out:
	free(text);
	free(m);
}

/* "k=v,k2=v2" as a JSON object. */
static json_t *labels_json(const char *s)
{
	json_t *o = json_object();
	while (o && *s) {
		size_t len = strcspn(s, ","), eq = strcspn(s, "=");
		if (eq < len) {
			char *k = strndup(s, eq), *v = strndup(s + eq + 1, len - eq - 1);
			if (k && v)
				json_object_set_new(o, k, json_string(v));
			free(k);
			free(v);
		}
		s += len + (s[len] == ',');
	}
	return o;
}

static void get(hearth_service *s, const svc_caller *c, const hearth_query *q,
		hearth_api_resp *resp)
{
	hearth_errbuf eb = {{0}};
	int64_t now = svc_now(), from, until;
	const char *service = hearth_query_get(q, "service", NULL);
	const char *name = hearth_query_get(q, "name", NULL);
	const char *width = hearth_query_get(q, "width", NULL);
	hearth_metric_points pts = {0};
	int64_t step = 0;
	hearth_err err = svc_time(hearth_query_get(q, "from", NULL), now - HOUR, now, &from, &eb);
	if (!err)
		err = svc_time(hearth_query_get(q, "until", NULL), now, now, &until, &eb);
	if (!err && width) {
		char *end;
		long w = strtol(width, &end, 10);
		if (!*width || *end || w < 1 || w > 10000)
			err = hearth_seterr(&eb, HEARTH_EINVAL,
					    "metrics: width=%.32s is not a number from 1 to 10000",
					    width);
		else if (until > from)
			step = (int64_t)(((uint64_t)until - (uint64_t)from + (uint64_t)w - 1) /
					 (uint64_t)w);
	}
	if (!err)
		err = hearth_store_metrics_downsample(s->st, c->tenant, service,
						      name && *name ? name : NULL, from, until,
						      step, &pts, &eb);
	if (err) {
		svc_fail(resp, err, &eb, false);
		return;
	}
	json_t *o = json_object(), *a = json_array();
	if (!name || !*name) {
		for (size_t i = 0; i < pts.names.n; i++)
			json_array_append_new(a, json_string(pts.names.v[i]));
		json_object_set_new(o, "names", a);
	} else {
		json_t *points = NULL;
		const char *cur = NULL;
		for (size_t i = 0; i < pts.n; i++) {
			if (!cur || strcmp(cur, pts.v[i].labels)) {
				json_t *ser = json_object();
				cur = pts.v[i].labels;
				points = json_array();
				json_object_set_new(ser, "labels", labels_json(cur));
				json_object_set_new(ser, "points", points);
				json_array_append_new(a, ser);
			}
			json_array_append_new(
			    points,
			    json_pack("[I, f]", (json_int_t)pts.v[i].time_nanos, pts.v[i].value));
		}
		json_object_set_new(o, "series", a);
		if (step)
			json_object_set_new(o, "step_ns", json_integer((json_int_t)step));
	}
	hearth_metric_points_free(&pts);
	svc_json(resp, 200, o);
}

void svc_metrics(hearth_service *s, const hearth_req *req, const svc_caller *c,
		 hearth_api_resp *resp)
{
	bool post = !strcmp(req->method, "POST");
	if (!post && strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
		hearth_api_error(resp, 405, "method not allowed");
		resp->allow = "GET, HEAD, POST";
		return;
	}
	if (!svc_allow(req, c, post ? HEARTH_SCOPE_PUSH : HEARTH_SCOPE_READ, resp))
		return;
	hearth_query q;
	hearth_errbuf eb = {{0}};
	hearth_err err = hearth_query_parse(req->query, req->qlen, &q, &eb);
	if (err) {
		svc_fail(resp, err, &eb, false);
		return;
	}
	if (post)
		put(s, req, c, &q, resp);
	else
		get(s, c, &q, resp);
	hearth_query_free(&q);
}
