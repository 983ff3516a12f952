/* GODEBUG logs in hearth serve (docs/godebug.md#hearth-serve):
 *
 *   POST /api/v1/godebug?service=S&labels=k=v,...&time=T      (push)
 *        body: what the program wrote under GODEBUG=gctrace=1,schedtrace=N
 *   GET  /api/v1/godebug?service=S&from=&until=&format=text|json|svg|html
 *        the summaries and charts of the logs of the range, as
 *        `hearth godebug LOG...` writes them                  (read)
 *   GET  /api/v1/godebug/logs?service=&from=&until=            (read)
 *   GET  /api/v1/godebug/ID     the log as it was pushed       (read)
 *
 * A pushed log is read whole by lib/runtime/godebug.c before it is kept (a
 * body with no runtime line is refused), and its GC figures become metric
 * series of the service beside hearth scrape's (gc_count, gc_cpu_fraction,
 * gc_pause_p99_seconds, gc_pause_max_seconds, heap_goal_bytes). */
#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hearth/godebug.h"
#include "hearth/io.h"
#include "hearth/query.h"
#include "service.h"

#define HOUR ((int64_t)3600 * 1000000000)
/* What one report reads at most: logs, and their bytes together. */
#define MAX_LOGS 100
#define MAX_REPORT_BYTES ((size_t)256 << 20)

static bool label_name_ok(const char *s, size_t n)
{
	if (!n || n > 128 || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.'))
			return false;
	return !(n == 7 && !strncmp(s, "service", 7)) && strncmp(s, "__", 2);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* "k=v,k2=v2" checked and sorted by name, into a new string. */
static char *canon_labels(const char *s, char *err, size_t errn)
{
	char *copy = strdup(s ? s : ""), *parts[HEARTH_MAX_LABELS + 1], *out = NULL;
	size_t n = 0, len = 0;
	if (!copy) {
		snprintf(err, errn, "out of memory");
		return NULL;
	}
	for (char *p = copy, *e; *p; p = e) {
		e = p + strcspn(p, ",");
		if (*e)
			*e++ = 0;
		char *eq = strchr(p, '=');
		if (!eq || !label_name_ok(p, (size_t)(eq - p)) || strlen(eq + 1) > 1024) {
			snprintf(err, errn, "labels: \"%.64s\" is not name=value", p);
			goto out;
		}
		if (n == HEARTH_MAX_LABELS) {
			snprintf(err, errn, "labels: more than %d", HEARTH_MAX_LABELS);
			goto out;
		}
		parts[n++] = p;
		len += strlen(p) + 1;
	}
	qsort(parts, n, sizeof(*parts), str_cmp);
	for (size_t i = 1; i < n; i++)
		if (!strncmp(parts[i], parts[i - 1], strcspn(parts[i], "=") + 1)) {
			snprintf(err, errn, "labels: \"%.64s\" twice", parts[i]);
			goto out;
		}
	if (!(out = calloc(1, len + 1))) {
		snprintf(err, errn, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (i)
			strcat(out, ",");
		strcat(out, parts[i]);
	}
out:
	free(copy);
	return out;
}

static hearth_err parse_log(const char *data, size_t n, hearth_godebug *g, hearth_errbuf *eb)
{
	hearth_godebug_init(g);
	hearth_err err = hearth_godebug_feed(g, data, n, eb);
	if (!err)
		err = hearth_godebug_finish(g, eb);
	return err;
}

static void push(hearth_service *s, const hearth_req *req, const svc_caller *c,
		 const hearth_query *q, hearth_api_resp *resp)
{
	hearth_errbuf eb = {{0}};
	const char *service = hearth_query_get(q, "service", NULL);
	char msg[200] = "";
	char *labels = NULL;
	uint8_t *plain = NULL;
	const char *body = req->body;
	size_t n = req->body_len;
	hearth_godebug g;
	hearth_godebug_init(&g);
	int64_t t, id = 0;
	hearth_err err = svc_time(hearth_query_get(q, "time", NULL), svc_now(), svc_now(), &t, &eb);
	if (err) {
		svc_fail(resp, err, &eb, false);
		goto out;
	}
	if (!service || !*service || strlen(service) > 256) {
		hearth_api_error(resp, 400,
				 "godebug: service=NAME is required (at most 256 bytes)");
		goto out;
	}
	if (!(labels = canon_labels(hearth_query_get(q, "labels", NULL), msg, sizeof(msg)))) {
		hearth_api_error(resp, 400, msg);
		goto out;
	}
	const char *ce = req->content_encoding;
	if (ce && *ce && strcasecmp(ce, "identity")) {
		if (strcasecmp(ce, "gzip")) {
			hearth_api_error(resp, 415, "Content-Encoding: only gzip is read");
			goto out;
		}
		size_t pn = 0;
		if ((err = hearth_gunzip(req->body, req->body_len, HEARTH_GODEBUG_LOG_MAX, &plain,
					 &pn, &eb))) {
			svc_fail(resp, err, &eb, false);
			goto out;
		}
		body = (const char *)plain, n = pn;
	}
	if (n > HEARTH_GODEBUG_LOG_MAX) {
		hearth_api_error(resp, 413, "godebug: the log is too large");
		goto out;
	}
	if ((err = parse_log(body, n, &g, &eb))) {
		svc_fail(resp, err, &eb, false);
		goto out;
	}
	if (!g.ngcs && !g.nscheds && !g.nscavs) {
		hearth_api_error(resp, 400,
				 "godebug: no GODEBUG line in the log (gctrace, schedtrace, "
				 "scavtrace)");
		goto out;
	}
	if ((err = hearth_store_godebug_put(s->st, c->tenant, service, labels, t, body, n, &id,
					    &eb))) {
		svc_fail(resp, err, &eb, true);
		goto out;
	}
	/* The GC figures as metric series beside hearth scrape's. */
	size_t nm = 0;
	if (g.ngcs) {
		hearth_godebug_summary sm;
		hearth_godebug_summarize(&g, &sm);
		const hearth_gc_line *last = &g.gcs[g.ngcs - 1];
		hearth_metric m[5] = {
		    {"gc_count", (double)last->num},
		    {"gc_cpu_fraction", sm.cpu_pct / 100.0},
		    {"gc_pause_p99_seconds", sm.stw_gc.p99 / 1000},
		    {"gc_pause_max_seconds", sm.stw_gc.max / 1000},
		    {"heap_goal_bytes", (double)sm.goal_last * 1048576.0},
		};
		nm = sm.cpu_pct >= 0 ? 5 : 0;
		if (nm && (err = hearth_store_metrics_put(s->st, c->tenant, service, labels, t, m,
							  nm, &eb))) {
			svc_fail(resp, err, &eb, true);
			goto out;
		}
	}
	json_t *o =
	    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "id", (json_int_t)id, "lines",
		      (json_int_t)g.lines, "gc", (json_int_t)g.ngcs, "sched", (json_int_t)g.nscheds,
		      "scavenger", (json_int_t)g.nscavs, "other", (json_int_t)g.other, "malformed",
		      (json_int_t)g.malformed, "metrics", (json_int_t)nm);
	svc_json(resp, 200, o);
out:
	hearth_godebug_free(&g);
	free(labels);
	free(plain);
}

static void fmt_time(int64_t ns, char *out, size_t n)
{
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

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

static hearth_err range(const hearth_query *q, int64_t *from, int64_t *until, hearth_errbuf *eb)
{
	int64_t now = svc_now();
	hearth_err err = svc_time(hearth_query_get(q, "from", NULL), now - HOUR, now, from, eb);
	if (!err)
		err = svc_time(hearth_query_get(q, "until", NULL), now, now, until, eb);
	return err;
}

static void list(hearth_service *s, const svc_caller *c, const hearth_query *q,
		 hearth_api_resp *resp)
{
	hearth_errbuf eb = {{0}};
	int64_t from, until;
	const char *service = hearth_query_get(q, "service", NULL);
	hearth_godebug_logs logs = {0};
	hearth_err err = range(q, &from, &until, &eb);
	if (!err)
		err = hearth_store_godebug_query(s->st, c->tenant,
						 service && *service ? service : NULL, 0, from,
						 until, 1000, false, &logs, &eb);
	if (err) {
		svc_fail(resp, err, &eb, false);
		return;
	}
	json_t *a = json_array();
	for (size_t i = 0; i < logs.n; i++) {
		json_t *o =
		    json_pack("{s:I, s:s, s:I, s:I}", "id", (json_int_t)logs.v[i].id, "service",
			      logs.v[i].service, "time", (json_int_t)logs.v[i].time_nanos, "bytes",
			      (json_int_t)logs.v[i].bytes);
		json_object_set_new(o, "labels", labels_json(logs.v[i].labels));
		json_array_append_new(a, o);
	}
	hearth_godebug_logs_free(&logs);
	svc_json(resp, 200, json_pack("{s:o}", "logs", a));
}

static void raw(hearth_service *s, const svc_caller *c, int64_t id, hearth_api_resp *resp)
{
	hearth_errbuf eb = {{0}};
	hearth_godebug_logs logs = {0};
	hearth_err err =
	    hearth_store_godebug_query(s->st, c->tenant, NULL, id, 0, 0, 1, true, &logs, &eb);
	if (err) {
		svc_fail(resp, err, &eb, false);
		return;
	}
	if (!logs.n) {
		hearth_api_error(resp, 404, "log not found");
		return;
	}
	hearth_buf_free(&resp->body);
	resp->status = 200;
	resp->type = "text/plain; charset=utf-8";
	hearth_buf_put(&resp->body, logs.v[0].data, logs.v[0].bytes);
	snprintf(resp->filename, sizeof(resp->filename), "godebug-%lld.log", (long long)id);
	hearth_godebug_logs_free(&logs);
}

/* The logs of the range read again and written as hearth godebug writes
 * them; each is named "SERVICE #ID TIME". */
static void report(hearth_service *s, const svc_caller *c, const hearth_query *q,
		   hearth_api_resp *resp)
{
	hearth_errbuf eb = {{0}};
	int64_t from, until;
	const char *service = hearth_query_get(q, "service", NULL);
	const char *format = hearth_query_get(q, "format", NULL);
	if (!format || !*format)
		format = "text";
	hearth_godebug_logs logs = {0};
	hearth_godebug *g = NULL;
	const hearth_godebug **gp = NULL;
	char **names = NULL;
	size_t ng = 0;
	int f = !strcmp(format, "text")	  ? 0
		: !strcmp(format, "json") ? 1
		: !strcmp(format, "svg")  ? 2
		: !strcmp(format, "html") ? 3
					  : -1;
	if (f < 0) {
		hearth_api_error(resp, 400, "godebug: format is text, json, svg or html");
		return;
	}
	if (!service || !*service) {
		hearth_api_error(resp, 400, "godebug: service=NAME is required");
		return;
	}
	hearth_err err = range(q, &from, &until, &eb);
	if (!err)
		err = hearth_store_godebug_query(s->st, c->tenant, service, 0, from, until,
						 MAX_LOGS, false, &logs, &eb);
	if (err) {
		svc_fail(resp, err, &eb, false);
		return;
	}
	if (!logs.n) {
		hearth_api_error(resp, 404, "godebug: no logs of the service in the range");
		goto out;
	}
	g = calloc(logs.n, sizeof(*g));
	gp = calloc(logs.n, sizeof(*gp));
	names = calloc(logs.n, sizeof(*names));
	if (!g || !gp || !names) {
		hearth_api_error(resp, 503, "out of memory");
		goto out;
	}
	/* One log in memory at a time, the parsed events kept. */
	size_t bytes = 0;
	for (size_t i = 0; i < logs.n; i++) {
		if (bytes + logs.v[i].bytes > MAX_REPORT_BYTES)
			break;
		bytes += logs.v[i].bytes;
		hearth_godebug_logs one = {0};
		if ((err = hearth_store_godebug_query(s->st, c->tenant, NULL, logs.v[i].id, 0, 0, 1,
						      true, &one, &eb))) {
			svc_fail(resp, err, &eb, false);
			goto out;
		}
		if (!one.n)
			continue;
		err = parse_log(one.v[0].data, one.v[0].bytes, &g[ng], &eb);
		hearth_godebug_logs_free(&one);
		char t[32], name[400];
		fmt_time(logs.v[i].time_nanos, t, sizeof(t));
		snprintf(name, sizeof(name), "%s #%lld %s", service, (long long)logs.v[i].id, t);
		names[ng] = strdup(name);
		gp[ng] = &g[ng];
		ng++;
		if (err || !names[ng - 1]) {
			svc_fail(resp, err ? err : HEARTH_ENOMEM, &eb, false);
			goto out;
		}
	}
	hearth_buf b = {0};
	if (f == 0) {
		for (size_t i = 0; i < ng; i++) {
			if (i)
				hearth_buf_puts(&b, "\n");
			hearth_godebug_write_text(&g[i], names[i], &b);
		}
	} else if (f == 1) {
		/* {"logs": [what hearth godebug -json writes, per log]} */
		hearth_buf_puts(&b, "{\"logs\":[");
		for (size_t i = 0; i < ng; i++) {
			if (i)
				hearth_buf_puts(&b, ",");
			hearth_godebug_write_json(&g[i], names[i], &b);
		}
		hearth_buf_puts(&b, "]}\n");
	} else if (f == 2) {
		hearth_godebug_write_svg(gp, (const char *const *)names, ng, &b);
	} else {
		hearth_godebug_write_html(gp, (const char *const *)names, ng, &b);
	}
	if (b.oom) {
		hearth_buf_free(&b);
		hearth_api_error(resp, 503, "out of memory");
		goto out;
	}
	hearth_buf_free(&resp->body);
	resp->body = b;
	resp->status = 200;
	resp->type = f == 0   ? "text/plain; charset=utf-8"
		     : f == 1 ? SVC_JSON
		     : f == 2 ? "image/svg+xml"
			      : "text/html; charset=utf-8";
out:
	for (size_t i = 0; i < ng; i++) {
		hearth_godebug_free(&g[i]);
		free(names[i]);
	}
	free(g);
	free(gp);
	free(names);
	hearth_godebug_logs_free(&logs);
}

void svc_godebug(hearth_service *s, const hearth_req *req, const svc_caller *c, const char *rest,
		 hearth_api_resp *resp)
{
	bool post = !strcmp(req->method, "POST");
	bool get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
	if (!(post && !*rest) && !get) {
		hearth_api_error(resp, 405, "method not allowed");
		resp->allow = *rest ? "GET, HEAD" : "GET, HEAD, POST";
		return;
	}
	if (!svc_allow(req, c, post ? HEARTH_SCOPE_PUSH : HEARTH_SCOPE_READ, resp))
		return;
	int64_t id = 0;
	if (*rest && strcmp(rest, "/logs")) {
		char *end;
		long long x = strtoll(rest + 1, &end, 10);
		if (!rest[1] || *end || x <= 0) {
			hearth_api_error(resp, 404, "log not found");
			return;
		}
		id = x;
	}
	hearth_query q;
	hearth_errbuf eb = {{0}};
	hearth_err err = hearth_query_parse(req->query, req->qlen, &q, &eb);
	if (err) {
		svc_fail(resp, err, &eb, false);
		return;
	}
	if (post)
		push(s, req, c, &q, resp);
	else if (id)
		raw(s, c, id, resp);
	else if (*rest)
		list(s, c, &q, resp);
	else
		report(s, c, &q, resp);
	hearth_query_free(&q);
}
