/* The JSON queries of `hearth serve` (docs/serve.md): services, profile
 * types, label names and values, series, the list of single profiles, one
 * profile's download, usage.  Every store call takes the caller's tenant;
 * nothing here sees another's. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/io.h"
#include "hearth/query.h"
#include "service.h"

#define HOUR ((int64_t)3600 * 1000000000)
#define SEC ((int64_t)1000000000)
#define MAX_POINTS 20000
#define MAX_GROUP_BY 8

hearth_err svc_time(const char *v, int64_t def, int64_t now, int64_t *out, hearth_errbuf *eb)
{
	if (!v || !*v) {
		*out = def;
		return HEARTH_OK;
	}
	return hearth_time_parse(v, now, out, eb);
}

/* A whole second, so that the requests of one page in the same second name
 * the same range; the end of the current second, not its start, so that a
 * profile stored a moment ago (its time is the push's, to the nanosecond)
 * is inside until=now: ranges are [from, until). */
int64_t svc_query_now(void)
{
	return (svc_now() / SEC + 1) * SEC;
}

/* The request's query, selector and range, parsed once. */
typedef struct {
	hearth_query q;
	hearth_selector sel;
	int64_t from, until, now;
} qctx;

static void qctx_free(qctx *x)
{
	hearth_query_free(&x->q);
	hearth_selector_free(&x->sel);
}

/* Parses the query string, `query` (the selector; empty: everything) and
 * from/until (default: the last hour). */
static hearth_err qctx_parse(const hearth_req *req, qctx *x, hearth_errbuf *eb)
{
	memset(x, 0, sizeof(*x));
	x->now = svc_query_now();
	hearth_err err = hearth_query_parse(req->query, req->qlen, &x->q, eb);
	if (err)
		return err;
	const char *sel = hearth_query_get(&x->q, "query", NULL);
	if ((err = hearth_selector_parse(sel ? sel : "", &x->sel, eb)))
		return err;
	if ((err = svc_time(hearth_query_get(&x->q, "from", NULL), x->now - HOUR, x->now, &x->from,
			    eb)))
		return err;
	if ((err = svc_time(hearth_query_get(&x->q, "until", NULL), x->now, x->now, &x->until, eb)))
		return err;
	if (x->from >= x->until)
		return hearth_seterr(eb, HEARTH_EINVAL, "from must be before until");
	return HEARTH_OK;
}

/* The value of an equality matcher on name, or NULL. */
static const char *sel_eq(const hearth_selector *sel, const char *name)
{
	for (size_t i = 0; i < sel->n; i++)
		if (sel->m[i].op == HEARTH_MATCH_EQ && !strcmp(sel->m[i].name, name))
			return sel->m[i].value;
	return NULL;
}

hearth_err svc_pick_type(hearth_service *s, int64_t tenant, const hearth_selector *sel,
			 const char *type, int64_t from, int64_t until, char *out, size_t n,
			 hearth_errbuf *eb)
{
	if (!type || !*type)
		type = sel_eq(sel, "__type__");
	if (type && *type) {
		if (strlen(type) >= n)
			return hearth_seterr(eb, HEARTH_EINVAL, "type: too long");
		snprintf(out, n, "%s", type);
		return HEARTH_OK;
	}
	hearth_typelist tl = {0};
	hearth_err err =
	    hearth_store_types(s->st, tenant, sel_eq(sel, "service"), from, until, &tl, eb);
	if (err)
		return err;
	if (!tl.n) {
		hearth_typelist_free(&tl);
		return hearth_seterr(eb, HEARTH_EINVAL, "no profiles in the range");
	}
	size_t pick = 0;
	for (size_t i = 0; i < tl.n; i++)
		if (!strcmp(tl.v[i].type, "cpu"))
			pick = i;
	snprintf(out, n, "%s", tl.v[pick].type);
	hearth_typelist_free(&tl);
	return HEARTH_OK;
}

static json_t *labels_json(const hearth_kv *l, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; o && i < n; i++) {
		char *k = hearth_utf8_clean(l[i].name);
		if (k)
			json_object_set_new(o, k, hearth_json_str(l[i].value));
		free(k);
	}
	return o;
}

static json_t *strlist_json(const hearth_strlist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < l->n; i++)
		json_array_append_new(a, hearth_json_str(l->v[i]));
	return a;
}

/* "alloc_space/bytes" -> {"index", "type", "unit", "aggregation"}. */
static json_t *sample_type_json(const char *st, size_t index)
{
	const char *slash = strchr(st, '/');
	char type[256];
	snprintf(type, sizeof(type), "%.*s", slash ? (int)(slash - st) : (int)strlen(st), st);
	json_t *o = json_object();
	json_object_set_new(o, "index", json_integer((json_int_t)index));
	json_object_set_new(o, "type", hearth_json_str(type));
	json_object_set_new(o, "unit", hearth_json_str(slash ? slash + 1 : ""));
	json_object_set_new(
	    o, "aggregation",
	    json_string(hearth_store_aggregation(type) == HEARTH_AGG_AVERAGE ? "average" : "sum"));
	return o;
}

static json_t *type_json(const hearth_type_info *t)
{
	json_t *o = json_object(), *a = json_array();
	for (size_t j = 0; a && j < t->nsample_types; j++)
		json_array_append_new(a, sample_type_json(t->sample_types[j], j));
	json_object_set_new(o, "name", hearth_json_str(t->type));
	json_object_set_new(o, "sample_types", a);
	json_object_set_new(o, "default_sample_index", json_integer((json_int_t)t->default_sample));
	return o;
}

static hearth_err do_services(hearth_service *s, const svc_caller *c, qctx *x, json_t *o,
			      hearth_errbuf *eb)
{
	hearth_strlist sl = {0};
	hearth_err err = hearth_store_services(s->st, c->tenant, x->from, x->until, &sl, eb);
	if (err)
		return err;
	json_t *a = json_array();
	for (size_t i = 0; !err && i < sl.n; i++) {
		hearth_typelist tl = {0};
		if ((err =
			 hearth_store_types(s->st, c->tenant, sl.v[i], x->from, x->until, &tl, eb)))
			break;
		json_t *svc = json_object(), *types = json_array();
		for (size_t j = 0; j < tl.n; j++)
			json_array_append_new(types, hearth_json_str(tl.v[j].type));
		json_object_set_new(svc, "name", hearth_json_str(sl.v[i]));
		json_object_set_new(svc, "types", types);
		json_array_append_new(a, svc);
		hearth_typelist_free(&tl);
	}
	json_object_set_new(o, "services", a);
	hearth_strlist_free(&sl);
	return err;
}

static hearth_err do_types(hearth_service *s, const svc_caller *c, qctx *x, json_t *o,
			   hearth_errbuf *eb)
{
	const char *svc = hearth_query_get(&x->q, "service", NULL);
	if (!svc || !*svc)
		svc = sel_eq(&x->sel, "service");
	hearth_typelist tl = {0};
	hearth_err err = hearth_store_types(s->st, c->tenant, svc && *svc ? svc : NULL, x->from,
					    x->until, &tl, eb);
	if (err)
		return err;
	json_t *a = json_array();
	for (size_t i = 0; i < tl.n; i++)
		json_array_append_new(a, type_json(&tl.v[i]));
	json_object_set_new(o, "types", a);
	hearth_typelist_free(&tl);
	return HEARTH_OK;
}

static hearth_err do_labels(hearth_service *s, const svc_caller *c, qctx *x, json_t *o,
			    hearth_errbuf *eb)
{
	hearth_strlist sl = {0};
	hearth_err err =
	    hearth_store_label_names(s->st, c->tenant, &x->sel, x->from, x->until, &sl, eb);
	if (!err)
		json_object_set_new(o, "names", strlist_json(&sl));
	hearth_strlist_free(&sl);
	return err;
}

static hearth_err do_label_values(hearth_service *s, const svc_caller *c, qctx *x, json_t *o,
				  hearth_errbuf *eb)
{
	const char *name = hearth_query_get(&x->q, "name", NULL);
	if (!name || !*name)
		return hearth_seterr(eb, HEARTH_EINVAL, "name (a label name) is missing");
	hearth_strlist sl = {0};
	hearth_err err =
	    hearth_store_label_values(s->st, c->tenant, &x->sel, name, x->from, x->until, &sl, eb);
	if (!err)
		json_object_set_new(o, "values", strlist_json(&sl));
	hearth_strlist_free(&sl);
	return err;
}

/* A step: seconds ("60"), or a number with s, m, h or d. */
static hearth_err parse_step(const char *v, int64_t *out, hearth_errbuf *eb)
{
	char *end;
	double n = strtod(v, &end);
	int64_t unit = SEC;
	if (*end == 's' || *end == 'm' || *end == 'h' || *end == 'd') {
		unit = *end == 's' ? SEC : *end == 'm' ? 60 * SEC : *end == 'h' ? HOUR : 24 * HOUR;
		end++;
	}
	if (end == v || *end || !(n > 0) || n * (double)unit > 400.0 * 86400 * 1e9)
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "step: want a positive number of seconds, or 30s, 5m, 1h");
	*out = (int64_t)(n * (double)unit);
	if (*out < SEC / 1000)
		*out = SEC / 1000;
	return HEARTH_OK;
}

/* The sample type index named by sample_index (a number or a type name),
 * else the type's default. */
static hearth_err pick_sample(const hearth_type_info *t, const char *si, size_t *out,
			      hearth_errbuf *eb)
{
	*out = t->default_sample;
	if (!si || !*si)
		return HEARTH_OK;
	char *end;
	long n = strtol(si, &end, 10);
	if (!*end && n >= 0 && (size_t)n < t->nsample_types) {
		*out = (size_t)n;
		return HEARTH_OK;
	}
	for (size_t i = 0; i < t->nsample_types; i++) {
		size_t l = strcspn(t->sample_types[i], "/");
		if (strlen(si) == l && !strncmp(t->sample_types[i], si, l)) {
			*out = i;
			return HEARTH_OK;
		}
	}
	return hearth_seterr(eb, HEARTH_EINVAL, "sample_index: the type has no sample type %.64s",
			     si);
}

static hearth_err do_series(hearth_service *s, const svc_caller *c, qctx *x, json_t *o,
			    hearth_errbuf *eb)
{
	char type[256];
	hearth_typelist tl = {0};
	hearth_serieslist sl = {0};
	char *gb = NULL;
	const char *groups[MAX_GROUP_BY];
	size_t ngroups = 0;
	hearth_err err = svc_pick_type(s, c->tenant, &x->sel, hearth_query_get(&x->q, "type", NULL),
				       x->from, x->until, type, sizeof(type), eb);
	if (err)
		return err;
	const char *svc = sel_eq(&x->sel, "service");
	if ((err = hearth_store_types(s->st, c->tenant, svc, x->from, x->until, &tl, eb)))
		return err;
	const hearth_type_info *ti = NULL;
	for (size_t i = 0; i < tl.n; i++)
		if (!strcmp(tl.v[i].type, type))
			ti = &tl.v[i];
	if (!ti) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "no profiles of that type in the range");
		goto out;
	}
	size_t si;
	if ((err = pick_sample(ti, hearth_query_get(&x->q, "sample_index", NULL), &si, eb)))
		goto out;
	int64_t span = x->until - x->from, step = span / 300;
	if (step < 10 * SEC)
		step = 10 * SEC;
	const char *sv = hearth_query_get(&x->q, "step", NULL);
	if (sv && *sv && (err = parse_step(sv, &step, eb)))
		goto out;
	if (span / step >= MAX_POINTS) {
		err = hearth_seterr(eb, HEARTH_EINVAL,
				    "step too small for the range: at most %d points", MAX_POINTS);
		goto out;
	}
	const char *g = hearth_query_get(&x->q, "group_by", NULL);
	if (g && *g) {
		if (!(gb = strdup(g))) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			goto out;
		}
		for (char *save = NULL, *t = strtok_r(gb, ",", &save); t;
		     t = strtok_r(NULL, ",", &save)) {
			if (ngroups == MAX_GROUP_BY) {
				err =
				    hearth_seterr(eb, HEARTH_EINVAL,
						  "group_by: at most %d label names", MAX_GROUP_BY);
				goto out;
			}
			groups[ngroups++] = t;
		}
	}
	if ((err = hearth_store_series(s->st, c->tenant, &x->sel, type, si, x->from, x->until, step,
				       groups, ngroups, &sl, eb)))
		goto out;
	json_t *a = json_array();
	for (size_t i = 0; i < sl.n; i++) {
		const hearth_series *se = &sl.v[i];
		json_t *so = json_object(), *pts = json_array();
		for (size_t k = 0; k < se->npoints; k++) {
			if (!se->has[k])
				continue;
			json_t *pt = json_array();
			json_array_append_new(pt, json_integer(x->from + (int64_t)k * step));
			json_array_append_new(pt, json_integer(se->points[k]));
			json_array_append_new(pts, pt);
		}
		json_object_set_new(so, "labels", labels_json(se->labels, se->nlabels));
		json_object_set_new(so, "points", pts);
		json_array_append_new(a, so);
	}
	json_t *st = sample_type_json(ti->sample_types[si], si);
	json_object_set_new(o, "from", json_integer(x->from));
	json_object_set_new(o, "until", json_integer(x->until));
	json_object_set_new(o, "step", json_integer(step));
	json_object_set_new(o, "type", hearth_json_str(type));
	json_object_set(o, "aggregation", json_object_get(st, "aggregation"));
	json_object_set_new(o, "sample_type", st);
	json_object_set_new(o, "series", a);
out:
	free(gb);
	hearth_serieslist_free(&sl);
	hearth_typelist_free(&tl);
	return err;
}

static hearth_err do_profiles(hearth_service *s, const svc_caller *c, qctx *x, json_t *o,
			      hearth_errbuf *eb)
{
	const char *lv = hearth_query_get(&x->q, "limit", NULL),
		   *cv = hearth_query_get(&x->q, "cursor", NULL),
		   *type = hearth_query_get(&x->q, "type", NULL);
	long limit = 100;
	long long cursor = 0;
	char *end;
	if (lv && *lv) {
		limit = strtol(lv, &end, 10);
		if (*end || limit < 1 || limit > 1000)
			return hearth_seterr(eb, HEARTH_EINVAL, "limit: from 1 to 1000");
	}
	if (cv && *cv) {
		cursor = strtoll(cv, &end, 10);
		if (*end || cursor < 0)
			return hearth_seterr(eb, HEARTH_EINVAL, "cursor: not one this server gave");
	}
	if (!type || !*type)
		type = sel_eq(&x->sel, "__type__");
	hearth_profilelist pl = {0};
	hearth_err err = hearth_store_list(s->st, c->tenant, &x->sel, type && *type ? type : NULL,
					   x->from, x->until, cursor, (size_t)limit, &pl, eb);
	if (err)
		return err;
	json_t *a = json_array();
	for (size_t i = 0; i < pl.n; i++) {
		const hearth_profile_info *pi = &pl.v[i];
		json_t *p = json_object(), *tot = json_array();
		for (size_t k = 0; k < pi->ntotals; k++)
			json_array_append_new(tot, json_integer(pi->totals[k]));
		json_object_set_new(p, "id", json_integer(pi->id));
		json_object_set_new(p, "service", hearth_json_str(pi->service));
		json_object_set_new(p, "type", hearth_json_str(pi->type));
		json_object_set_new(p, "labels", labels_json(pi->labels, pi->nlabels));
		json_object_set_new(p, "time", json_integer(pi->time_nanos));
		json_object_set_new(p, "duration", json_integer(pi->duration_nanos));
		json_object_set_new(p, "period", json_integer(pi->period));
		json_object_set_new(p, "totals", tot);
		json_object_set_new(p, "bytes", json_integer(pi->stored_bytes));
		json_array_append_new(a, p);
	}
	json_object_set_new(o, "profiles", a);
	if (pl.next_cursor) {
		char nc[32];
		snprintf(nc, sizeof(nc), "%lld", (long long)pl.next_cursor);
		json_object_set_new(o, "next_cursor", json_string(nc));
	} else {
		json_object_set_new(o, "next_cursor", json_null());
	}
	hearth_profilelist_free(&pl);
	return HEARTH_OK;
}

static hearth_err do_usage(hearth_service *s, const svc_caller *c, qctx *x, json_t *o,
			   hearth_errbuf *eb)
{
	hearth_usage u = {0};
	hearth_err err = hearth_store_usage(s->st, c->tenant, &u, eb);
	if (err)
		return err;
	json_object_set_new(o, "profiles", json_integer(u.profiles));
	json_object_set_new(o, "series", json_integer(u.series));
	json_object_set_new(o, "bytes", json_integer(u.bytes));
	json_object_set_new(o, "dictionary_entries", json_integer(u.dict_entries));
	json_object_set_new(o, "dictionary_bytes", json_integer(u.dict_bytes));
	json_object_set_new(o, "oldest", json_integer(u.oldest_nanos));
	json_object_set_new(o, "newest", json_integer(u.newest_nanos));
	return HEARTH_OK;
}

/* GET /api/v1/profiles/ID: the stored profile as gzipped profile.proto. */
static void download(hearth_service *s, const svc_caller *c, const char *ids, hearth_api_resp *resp)
{
	char *end;
	long long id = strtoll(ids, &end, 10);
	hearth_errbuf eb = {{0}};
	hearth_profile *p = NULL;
	hearth_buf raw = {0};
	uint8_t *gz = NULL;
	size_t n = 0;
	if (!*ids || *end || id <= 0) {
		hearth_api_error(resp, 404, "not found");
		return;
	}
	hearth_err err = hearth_store_get(s->st, c->tenant, id, &p, NULL, &eb);
	if (!err && (err = hearth_proto_encode(p, &raw)))
		hearth_seterr(&eb, err, "%s", hearth_strerror(err));
	if (!err && raw.oom)
		err = hearth_seterr(&eb, HEARTH_ENOMEM, "out of memory");
	if (!err && (err = hearth_gzip((const uint8_t *)raw.data, raw.len, &gz, &n)))
		hearth_seterr(&eb, err, "%s", hearth_strerror(err));
	if (err) {
		svc_fail(resp, err, &eb, false);
	} else {
		resp->status = 200;
		resp->type = "application/octet-stream";
		hearth_buf_put(&resp->body, (const char *)gz, n);
		snprintf(resp->filename, sizeof(resp->filename), "profile-%lld.pb.gz", id);
		if (resp->body.oom)
			hearth_api_error(resp, 503, "out of memory");
	}
	free(gz);
	hearth_buf_free(&raw);
	hearth_profile_free(p);
}

void svc_query(hearth_service *s, const hearth_req *req, const svc_caller *c, const char *name,
	       hearth_api_resp *resp)
{
	static const struct {
		const char *name;
		hearth_err (*fn)(hearth_service *, const svc_caller *, qctx *, json_t *,
				 hearth_errbuf *);
	} routes[] = {
	    {"services", do_services}, {"types", do_types},
	    {"labels", do_labels},     {"label_values", do_label_values},
	    {"series", do_series},     {"profiles", do_profiles},
	    {"usage", do_usage},
	};
	if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
		hearth_api_error(resp, 405, "method not allowed");
		resp->allow = "GET, HEAD";
		return;
	}
	if (!svc_allow(req, c, HEARTH_SCOPE_READ, resp))
		return;
	if (!strncmp(name, "profiles/", 9)) {
		download(s, c, name + 9, resp);
		return;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (strcmp(name, routes[i].name))
			continue;
		hearth_errbuf eb = {{0}};
		qctx x;
		json_t *o = json_object();
		hearth_err err = qctx_parse(req, &x, &eb);
		if (!err && !o)
			err = hearth_seterr(&eb, HEARTH_ENOMEM, "out of memory");
		if (!err)
			err = routes[i].fn(s, c, &x, o, &eb);
		qctx_free(&x);
		if (err) {
			json_decref(o);
			svc_fail(resp, err, &eb, false);
		} else {
			svc_json(resp, 200, o);
		}
		return;
	}
	hearth_api_error(resp, 404, "no such endpoint under /api/v1/");
}
