/* The /api/ endpoints of `hearth web`: each request gets its own copy of the
 * loaded profile (a report edits its profile), at most max_jobs reports are
 * computed at once (a copy and a report of a 1M-sample profile take hundreds
 * of megabytes), and answers are kept in a small LRU cache keyed by the
 * endpoint and the canonical query. */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "hearth/budget.h"
#include "hearth/flame.h"
#include "hearth/io.h"
#include "hearth/query.h"
#include "hearth/render.h"
#include "hearth/report.h"
#include "hearth/symbolize.h"
#include "layout.h"

typedef struct centry {
	struct centry *prev, *next; /* most recently used first */
	char *key;
	int status;
	const char *type;
	char *body;
	size_t len;
	char filename[320];
} centry;

struct hearth_api {
	hearth_profile *p, *pflame;
	hearth_opts defaults;
	char title[512];
	char *profile_json; /* GET /api/profile, made once */
	/* Admission: at most max_jobs reports at once, waited for within the
	 * request's budget (then 503); see hearth_api_handle for call graphs. */
	pthread_mutex_t jmu;
	pthread_cond_t jcv;
	int jobs_used, max_jobs;
	int layouts;	    /* graph layouts running (child processes) */
	/* Call graphs making their DOT: at most max_jobs - 1 (and one), so
	 * that a slot stays free for cheap requests. */
	int heavy_used;
	pthread_mutex_t mu; /* the cache */
	centry *head, *tail;
	size_t cached, cache_cap;
};

#define JSON_TYPE "application/json; charset=utf-8"

void hearth_api_resp_free(hearth_api_resp *resp)
{
	hearth_buf_free(&resp->body);
}

void hearth_api_error(hearth_api_resp *resp, int status, const char *msg)
{
	char *c = hearth_utf8_clean(msg);
	json_t *o = json_object();
	hearth_buf_free(&resp->body);
	memset(resp, 0, sizeof(*resp));
	resp->status = status;
	resp->type = JSON_TYPE;
	if (o)
		json_object_set_new(o, "error", json_string(c ? c : "out of memory"));
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	hearth_buf_puts(&resp->body, s ? s : "{\"error\":\"out of memory\"}");
	hearth_buf_put(&resp->body, "\n", 1);
	free(s);
	free(c);
	json_decref(o);
}

static int status_of(hearth_err err)
{
	switch (err) {
	case HEARTH_OK:
		return 200;
	case HEARTH_EINVAL:
		return 400;
	case HEARTH_ETOOBIG:
		return 413;
	case HEARTH_ECOST:
		return 422;
	case HEARTH_EBUDGET:
		return 503;
	default:
		return 500;
	}
}

static void fail(hearth_api_resp *resp, hearth_err err, const hearth_errbuf *eb)
{
	hearth_api_error(resp, status_of(err), eb->msg[0] ? eb->msg : hearth_strerror(err));
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s && s[1] ? s + 1 : path;
}

/* A source as the page may show it: the base name, and for a URL without
 * its query string and fragment, which may carry a token (?token=...). */
static void shown_name(const char *src, char *out, size_t n)
{
	size_t len = strlen(src);
	if (strstr(src, "://"))
		len = strcspn(src, "?#");
	char tmp[1024];
	if (len >= sizeof(tmp))
		len = sizeof(tmp) - 1;
	memcpy(tmp, src, len);
	tmp[len] = 0;
	snprintf(out, n, "%s", base_name(tmp));
}

/* ---- GET /api/profile ---- */

static int default_index(const hearth_profile *p, const char *si)
{
	if (si && *si) {
		char *end;
		long n = strtol(si, &end, 10);
		if (!*end && end != si && n >= 0 && n < (long)p->nsample_types)
			return (int)n;
		const char *noinuse = strncmp(si, "inuse_", 6) == 0 ? si + 6 : si;
		for (uint32_t i = 0; i < p->nsample_types; i++) {
			const char *t = hearth_s(p, p->sample_types[i].type);
			if (!strcmp(t, si) || !strcmp(t, noinuse))
				return (int)i;
		}
	}
	if (p->default_sample_type)
		for (uint32_t i = 0; i < p->nsample_types; i++)
			if (p->sample_types[i].type == p->default_sample_type)
				return (int)i;
	return (int)p->nsample_types - 1;
}

/* The command line's report options, by pprof's names. */
static json_t *defaults_json(const hearth_opts *o)
{
	json_t *d = json_object();
	if (!d)
		return NULL;
	const struct {
		const char *k, *v;
	} strs[] = {
	    {"sample_index", o->sample_index},
	    {"focus", o->focus},
	    {"ignore", o->ignore},
	    {"hide", o->hide},
	    {"show", o->show},
	    {"show_from", o->show_from},
	    {"prune_from", o->prune_from},
	    {"tagfocus", o->tagfocus},
	    {"tagignore", o->tagignore},
	    {"tagshow", o->tagshow},
	    {"taghide", o->taghide},
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		if (strs[i].v)
			json_object_set_new(d, strs[i].k, hearth_json_str(strs[i].v));
	static const char *const gran[] = {"functions", "filefunctions", "files", "lines",
					   "addresses"};
	if (o->granularity != HEARTH_GRAN_FUNCTIONS)
		json_object_set_new(d, gran[o->granularity], json_string("1"));
	const struct {
		const char *k;
		bool v;
	} flags[] = {
	    {"mean", o->mean},
	    {"noinlines", o->noinlines},
	    {"relative_percentages", o->relative_percentages},
	    {"drop_negative", o->drop_negative},
	    {"cum", o->cum_sort},
	};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (flags[i].v)
			json_object_set_new(d, flags[i].k, json_string("1"));
	char num[64];
	if (o->nodecount != -1) {
		snprintf(num, sizeof(num), "%d", o->nodecount);
		json_object_set_new(d, "nodecount", json_string(num));
	}
	const struct {
		const char *k;
		double v, def;
	} nums[] = {
	    {"nodefraction", o->nodefraction, 0.005},
	    {"edgefraction", o->edgefraction, 0.001},
	    {"divide_by", o->divide_by, 1},
	};
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (nums[i].v != nums[i].def) {
			snprintf(num, sizeof(num), "%.17g", nums[i].v);
			json_object_set_new(d, nums[i].k, json_string(num));
		}
	if (o->unit && strcmp(o->unit, "minimum"))
		json_object_set_new(d, "unit", hearth_json_str(o->unit));
	return d;
}

static char *profile_json(const hearth_api *a, const hearth_api_config *cfg)
{
	const hearth_profile *p = a->p;
	json_t *o = json_object(), *src = json_array(), *types = json_array(),
	       *comments = json_array();
	char *s = NULL;
	if (!o || !src || !types || !comments)
		goto out;
	for (int i = 0; i < cfg->nsources; i++) {
		char name[1024];
		shown_name(cfg->sources[i], name, sizeof(name));
		json_array_append_new(src, hearth_json_str(name));
	}
	/* the base of a diff, named in the page */
	json_t *bases = json_array();
	const hearth_opts *bd = &a->defaults;
	int nb = bd->nbase ? bd->nbase : bd->ndiff_base;
	const char *const *bp = bd->nbase ? bd->base : bd->diff_base;
	for (int i = 0; bases && i < nb; i++) {
		char name[1024];
		shown_name(bp[i], name, sizeof(name));
		json_array_append_new(bases, hearth_json_str(name));
	}
	if (bases)
		json_object_set_new(o, "base_sources", bases);
	for (uint32_t i = 0; i < p->nsample_types; i++) {
		json_t *t = json_object();
		json_object_set_new(t, "index", json_integer(i));
		json_object_set_new(t, "type", hearth_json_str(hearth_s(p, p->sample_types[i].type)));
		json_object_set_new(t, "unit", hearth_json_str(hearth_s(p, p->sample_types[i].unit)));
		json_array_append_new(types, t);
	}
	for (uint32_t i = 0; i < p->ncomments; i++)
		json_array_append_new(comments, hearth_json_str(hearth_s(p, p->comments[i])));
	const hearth_opts *d = &a->defaults;
	json_object_set_new(o, "title", hearth_json_str(a->title));
	json_object_set_new(o, "sources", src);
	json_object_set_new(o, "sample_types", types);
	json_object_set_new(o, "default_sample_index",
			    json_integer(default_index(p, d->sample_index)));
	json_object_set_new(o, "diff", json_boolean(d->nbase > 0 || d->ndiff_base > 0));
	json_object_set_new(o, "comments", comments);
	json_object_set_new(o, "duration_nanos", json_integer(p->duration_nanos));
	json_object_set_new(o, "time_nanos", json_integer(p->time_nanos));
	json_object_set_new(o, "samples", json_integer((json_int_t)p->nsamples));
	json_object_set_new(o, "defaults", defaults_json(d));
	src = types = comments = NULL;
	s = json_dumps(o, JSON_COMPACT);
out:
	json_decref(o);
	json_decref(src);
	json_decref(types);
	json_decref(comments);
	return s;
}

/* ---- the cache ---- */

static void key_str(hearth_buf *k, const char *name, const char *v)
{
	if (v)
		hearth_buf_printf(k, "%s=%zu:%s;", name, strlen(v), v);
	else
		hearth_buf_printf(k, "%s=-;", name);
}

/* Every option a query may set, as it stands after the query is applied:
 * lengths first, so no value can pass for another. */
static void opts_key(const hearth_opts *o, hearth_buf *k)
{
	const struct {
		const char *n, *v;
	} strs[] = {
	    {"si", o->sample_index},	 {"unit", o->unit},
	    {"focus", o->focus},	 {"ignore", o->ignore},
	    {"hide", o->hide},		 {"show", o->show},
	    {"show_from", o->show_from}, {"prune_from", o->prune_from},
	    {"tagfocus", o->tagfocus},	 {"tagignore", o->tagignore},
	    {"tagshow", o->tagshow},	 {"taghide", o->taghide},
	    {"search", o->search},	 {"symbol", o->symbol},
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		key_str(k, strs[i].n, strs[i].v);
	hearth_buf_printf(k, "g=%d;b=%d%d%d%d%d;n=%d;f=%a,%a,%a;", (int)o->granularity, o->mean,
			  o->relative_percentages, o->drop_negative, o->noinlines, o->cum_sort,
			  o->nodecount, o->nodefraction, o->edgefraction, o->divide_by);
}

static void unlink_entry(hearth_api *a, centry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		a->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		a->tail = e->prev;
	e->prev = e->next = NULL;
}

static void push_front(hearth_api *a, centry *e)
{
	e->prev = NULL;
	e->next = a->head;
	if (a->head)
		a->head->prev = e;
	a->head = e;
	if (!a->tail)
		a->tail = e;
}

static void free_entry(centry *e)
{
	free(e->key);
	free(e->body);
	free(e);
}

/* Fills resp from the cache; false when key is not there. */
static bool cache_get(hearth_api *a, const char *key, hearth_api_resp *resp)
{
	bool hit = false;
	pthread_mutex_lock(&a->mu);
	for (centry *e = a->head; e; e = e->next) {
		if (strcmp(e->key, key))
			continue;
		unlink_entry(a, e);
		push_front(a, e);
		hearth_buf_put(&resp->body, e->body, e->len);
		if (!resp->body.oom) {
			resp->status = e->status;
			resp->type = e->type;
			memcpy(resp->filename, e->filename, sizeof(resp->filename));
			hit = true;
		}
		break;
	}
	pthread_mutex_unlock(&a->mu);
	return hit;
}

static void cache_put(hearth_api *a, const char *key, const hearth_api_resp *resp)
{
	size_t size = resp->body.len + strlen(key) + sizeof(centry);
	/* One answer may take at most a quarter of the cache. */
	if (resp->status != 200 || resp->body.oom || size > a->cache_cap / 4)
		return;
	centry *e = calloc(1, sizeof(*e));
	if (!e)
		return;
	e->key = strdup(key);
	e->body = malloc(resp->body.len + 1);
	if (!e->key || !e->body) {
		free_entry(e);
		return;
	}
	memcpy(e->body, resp->body.data, resp->body.len);
	e->len = resp->body.len;
	e->status = resp->status;
	e->type = resp->type;
	memcpy(e->filename, resp->filename, sizeof(e->filename));
	pthread_mutex_lock(&a->mu);
	for (centry *o = a->head; o; o = o->next)
		if (!strcmp(o->key, key)) { /* computed twice at once */
			unlink_entry(a, o);
			a->cached -= o->len + strlen(o->key) + sizeof(centry);
			free_entry(o);
			break;
		}
	while (a->tail && a->cached + size > a->cache_cap) {
		centry *t = a->tail;
		unlink_entry(a, t);
		a->cached -= t->len + strlen(t->key) + sizeof(centry);
		free_entry(t);
	}
	push_front(a, e);
	a->cached += size;
	pthread_mutex_unlock(&a->mu);
}

/* ---- the reports ---- */

typedef struct endpoint endpoint;
typedef hearth_err (*compute_fn)(hearth_api *a, const endpoint *ep, const hearth_query *q,
				 hearth_opts *o, hearth_api_resp *resp, hearth_errbuf *eb);

struct endpoint {
	const char *name;
	const char *own[6]; /* the endpoint's own parameters */
	compute_fn fn;
	bool heavy; /* a call graph (its layout runs apart, server/layout.c) */
};

/* A report on a fresh copy of the profile. */
static hearth_err new_report(hearth_api *a, bool flame, const hearth_opts *o, hearth_cmd cmd,
			     hearth_report **r, hearth_errbuf *eb)
{
	hearth_profile *c = hearth_profile_clone(flame ? a->pflame : a->p);
	if (!c)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	hearth_opts ro = *o;
	if (flame) /* as `hearth flame` loads it */
		hearth_opts_base_apart(&ro);
	return hearth_report_new(c, &ro, cmd, r, eb);
}

/* The report's warnings as a JSON array. */
static json_t *warnings(const hearth_report *r)
{
	json_t *w = json_array();
	const char *s = hearth_report_warnings(r);
	while (w && *s) {
		size_t n = strcspn(s, "\n");
		char *line = strndup(s, n);
		if (line)
			json_array_append_new(w, hearth_json_str(line));
		free(line);
		s += n + (s[n] == '\n');
	}
	return w;
}

/* b, a JSON object a report wrote, with r's warnings added: its closing
 * brace replaced (the object can be large; no parse and dump again). */
static void add_warnings(const hearth_report *r, hearth_buf *b)
{
	while (b->len && (b->data[b->len - 1] == '\n' || b->data[b->len - 1] == '}'))
		if (b->data[--b->len] == '}')
			break;
	json_t *w = warnings(r);
	char *s = w ? json_dumps(w, JSON_COMPACT) : NULL;
	hearth_buf_puts(b, ",\"warnings\":");
	hearth_buf_puts(b, s ? s : "[]");
	hearth_buf_puts(b, "}\n");
	free(s);
	json_decref(w);
}

static bool flag(const hearth_query *q, const char *name)
{
	const char *v = hearth_query_get(q, name, NULL);
	return v && (!*v || !strcmp(v, "1") || !strcmp(v, "true"));
}

static hearth_err do_flame(hearth_api *a, const endpoint *ep, const hearth_query *q, hearth_opts *o,
			   hearth_api_resp *resp, hearth_errbuf *eb)
{
	hearth_flame_opts fo = {.resolution = HEARTH_FLAME_RESOLUTION, .title = a->title};
	const char *res = hearth_query_get(q, "resolution", NULL);
	if (res) {
		char *end;
		long n = strtol(res, &end, 10);
		/* 0 keeps every frame: allowed for a sandwich only, whose
		 * tree is one function's (the frames stay capped). */
		bool rooted = hearth_query_get(q, "callers", NULL) ||
			      hearth_query_get(q, "callees", NULL);
		if (!*res || *end || n < (rooted ? 0 : 1) || n > 200000)
			return hearth_seterr(eb, HEARTH_EINVAL,
					     "resolution must be a number from 1 to 200000 (0 "
					     "with callers= or callees=)");
		fo.resolution = (int)n;
	}
	fo.inverted = flag(q, "inverted");
	fo.reverse = flag(q, "reverse");
	/* A sandwich by exact identity (the name as the flame JSON prints it). */
	fo.callers = hearth_query_get(q, "callers", NULL);
	fo.callees = hearth_query_get(q, "callees", NULL);
	if ((fo.callers && !*fo.callers) || (fo.callees && !*fo.callees))
		return hearth_seterr(eb, HEARTH_EINVAL, "callers= and callees= take a function name");
	hearth_report *r = NULL;
	hearth_flame *f = NULL;
	hearth_err err = new_report(a, true, o, HEARTH_CMD_TOP, &r, eb);
	if (!err)
		err = hearth_flame_new(r, &fo, &f, eb);
	if (!err)
		err = hearth_flame_json(f, &resp->body, eb);
	if (!err) {
		add_warnings(r, &resp->body);
		resp->type = JSON_TYPE;
	}
	hearth_flame_free(f);
	hearth_report_free(r);
	return err;
}

static hearth_err do_top(hearth_api *a, const endpoint *ep, const hearth_query *q, hearth_opts *o,
			 hearth_api_resp *resp, hearth_errbuf *eb)
{
	hearth_report *r = NULL;
	hearth_err err = new_report(a, false, o, HEARTH_CMD_TOP, &r, eb);
	if (!err)
		err = hearth_report_top_json(r, &resp->body, eb);
	resp->type = JSON_TYPE;
	hearth_report_free(r);
	return err;
}

static hearth_err do_search(hearth_api *a, const endpoint *ep, const hearth_query *q,
			    hearth_opts *o, hearth_api_resp *resp, hearth_errbuf *eb)
{
	const char *re = hearth_query_get(q, "q", NULL);
	if (!re || !*re)
		return hearth_seterr(eb, HEARTH_EINVAL, "search: q (a regexp) is missing");
	o->search = re;
	hearth_report *r = NULL;
	hearth_err err = new_report(a, false, o, HEARTH_CMD_TOP, &r, eb);
	if (!err)
		err = hearth_report_search_json(r, &resp->body, eb);
	resp->type = JSON_TYPE;
	hearth_report_free(r);
	return err;
}

static hearth_err admit(hearth_api *a, int *used, int w, int max, hearth_errbuf *eb);
static void release(hearth_api *a, int *used, int w);

/* The compute slots the calling thread's request holds (hearth_api_handle
 * takes them; a layout gives them back early). */
static _Thread_local int slots_held;
static _Thread_local bool heavy_held;

static void release_slots(hearth_api *a)
{
	if (slots_held)
		release(a, &a->jobs_used, slots_held);
	if (heavy_held)
		release(a, &a->heavy_used, 1);
	slots_held = 0;
	heavy_held = false;
}

/* The call graph as `hearth svg` draws it.  The DOT is made under the
 * caller's compute slot; the layout (Graphviz: seconds to minutes on a
 * thousand nodes, uninterruptible) runs in a child process killed when the
 * request's budget is spent, one at a time, so it holds no compute slot
 * and the cheap requests go on being answered meanwhile. */
static hearth_err graph_svg(hearth_api *a, hearth_opts *o, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_report *r = NULL;
	hearth_buf dot = {0};
	hearth_err err = new_report(a, false, o, HEARTH_CMD_DOT, &r, eb);
	if (!err)
		err = hearth_report_dot(r, &dot, eb);
	if (!err && dot.oom)
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	hearth_report_free(r);
	r = NULL;
	release_slots(a);
	if (!err)
		err = hearth_budget_check(eb);
	if (!err && !(err = admit(a, &a->layouts, 1, 1, eb))) {
		err = hearth_layout(dot.data, dot.len, "svg", out, eb);
		release(a, &a->layouts, 1);
	}
	hearth_buf_free(&dot);
	return err;
}

static hearth_err do_graph(hearth_api *a, const endpoint *ep, const hearth_query *q, hearth_opts *o,
			   hearth_api_resp *resp, hearth_errbuf *eb)
{
	resp->type = "image/svg+xml";
	return graph_svg(a, o, &resp->body, eb);
}

/* list and peek: {"text": the report}. */
static hearth_err text_report(hearth_api *a, const hearth_query *q, hearth_opts *o, hearth_cmd cmd,
			      hearth_api_resp *resp, hearth_errbuf *eb)
{
	const char *re = hearth_query_get(q, "f", NULL);
	if (cmd != HEARTH_CMD_TAGS && (!re || !*re))
		return hearth_seterr(eb, HEARTH_EINVAL, "f (a regexp naming functions) is missing");
	if (cmd != HEARTH_CMD_TAGS)
		o->symbol = re;
	hearth_report *r = NULL;
	hearth_buf text = {0};
	hearth_err err = new_report(a, false, o, cmd, &r, eb);
	if (!err)
		err = (cmd == HEARTH_CMD_LIST	  ? hearth_report_list
		       : cmd == HEARTH_CMD_DISASM ? hearth_report_disasm
		       : cmd == HEARTH_CMD_TAGS	  ? hearth_report_tags
						  : hearth_report_peek)(r, &text, eb);
	if (!err && text.oom)
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	if (!err) {
		char *c = hearth_utf8_clean_text(text.data ? text.data : "");
		json_t *j = json_object();
		char *s = NULL;
		if (c && j) {
			json_object_set_new(j, "text", json_string(c));
			json_object_set_new(j, "warnings", warnings(r));
			s = json_dumps(j, JSON_COMPACT);
		}
		if (s) {
			hearth_buf_puts(&resp->body, s);
			hearth_buf_put(&resp->body, "\n", 1);
		} else {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		}
		free(s);
		free(c);
		json_decref(j);
	}
	resp->type = JSON_TYPE;
	hearth_buf_free(&text);
	hearth_report_free(r);
	return err;
}

static hearth_err do_source(hearth_api *a, const endpoint *ep, const hearth_query *q,
			    hearth_opts *o, hearth_api_resp *resp, hearth_errbuf *eb)
{
	return text_report(a, q, o, HEARTH_CMD_LIST, resp, eb);
}

/* hearth disasm of the functions f names: the program's instructions
 * (the binary given before the profile, or the mappings' files). */
static hearth_err do_disasm(hearth_api *a, const endpoint *ep, const hearth_query *q,
			    hearth_opts *o, hearth_api_resp *resp, hearth_errbuf *eb)
{
	return text_report(a, q, o, HEARTH_CMD_DISASM, resp, eb);
}

/* hearth weblist's figures of the functions f names, as JSON: the source
 * view shows, under a clicked line, its inlined calls and its
 * instructions with their values, as pprof's weblist does. */
static hearth_err do_weblist(hearth_api *a, const endpoint *ep, const hearth_query *q,
			     hearth_opts *o, hearth_api_resp *resp, hearth_errbuf *eb)
{
	const char *re = hearth_query_get(q, "f", NULL);
	if (!re || !*re)
		return hearth_seterr(eb, HEARTH_EINVAL, "f (a regexp naming functions) is missing");
	o->symbol = re;
	hearth_report *r = NULL;
	hearth_err err = new_report(a, false, o, HEARTH_CMD_WEBLIST, &r, eb);
	if (!err)
		err = hearth_report_weblist_json(r, &resp->body, eb);
	if (!err)
		add_warnings(r, &resp->body);
	resp->type = JSON_TYPE;
	hearth_report_free(r);
	return err;
}

/* hearth tags: the page offers the keys and values in its tag fields. */
static hearth_err do_tags(hearth_api *a, const endpoint *ep, const hearth_query *q, hearth_opts *o,
			  hearth_api_resp *resp, hearth_errbuf *eb)
{
	return text_report(a, q, o, HEARTH_CMD_TAGS, resp, eb);
}

static hearth_err do_peek(hearth_api *a, const endpoint *ep, const hearth_query *q, hearth_opts *o,
			  hearth_api_resp *resp, hearth_errbuf *eb)
{
	return text_report(a, q, o, HEARTH_CMD_PEEK, resp, eb);
}

/* The largest download answered (folded stacks and speedscope, which
 * repeat names per stack): 256 MB, or four times the profile's own size
 * (big.cpu's 1M samples make 640 MB of folded stacks, and are 190 MB). */
#define MAX_ANSWER ((size_t)256 << 20)

static size_t max_answer(const hearth_profile *p)
{
	size_t est = p->nsamples * (sizeof(hearth_sample) + p->nsample_types * sizeof(int64_t)) +
		     p->nlocs * sizeof(uint32_t) + p->nlocations * sizeof(hearth_location);
	for (uint32_t i = 0; i < p->nstrs; i++)
		est += p->strs[i].len;
	return est / 2 > MAX_ANSWER / 8 ? est * 4 : MAX_ANSWER;
}

typedef struct {
	hearth_buf *dst;
	size_t max;
	bool over;
} capped_sink;

static int capped_flush(void *ctx, const char *d, size_t n)
{
	capped_sink *c = ctx;
	if (n > c->max - c->dst->len) {
		c->over = true;
		return 1;
	}
	if (hearth_budget_poll())
		return 1;
	hearth_buf_put(c->dst, d, n);
	return c->dst->oom;
}

static hearth_err do_download(hearth_api *a, const endpoint *ep, const hearth_query *q,
			      hearth_opts *o, hearth_api_resp *resp, hearth_errbuf *eb)
{
	const char *fmt = hearth_query_get(q, "format", NULL);
	const char *ext;
	hearth_report *r = NULL;
	hearth_err err;
	if (!fmt)
		fmt = "pprof";
	if (!strcmp(fmt, "pprof")) {
		ext = "pb.gz";
		resp->type = "application/octet-stream";
		hearth_buf raw = {0};
		err = new_report(a, false, o, HEARTH_CMD_PROTO, &r, eb);
		if (!err)
			err = hearth_report_proto(r, eb);
		if (!err && (err = hearth_proto_encode(hearth_report_profile(r), &raw)))
			hearth_seterr(eb, err, "%s", hearth_strerror(err));
		if (!err && raw.oom)
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		if (!err) {
			uint8_t *gz = NULL;
			size_t n = 0;
			if ((err = hearth_gzip((const uint8_t *)raw.data, raw.len, &gz, &n)))
				hearth_seterr(eb, err, "%s", hearth_strerror(err));
			else
				hearth_buf_put(&resp->body, (const char *)gz, n);
			free(gz);
		}
		hearth_buf_free(&raw);
	} else if (!strcmp(fmt, "folded") || !strcmp(fmt, "speedscope")) {
		bool folded = fmt[0] == 'f';
		ext = folded ? "folded" : "speedscope.json";
		resp->type = folded ? "text/plain; charset=utf-8" : JSON_TYPE;
		err = new_report(a, true, o, HEARTH_CMD_TOP, &r, eb);
		/* Streamed into the answer through a sink that stops past
		 * MAX_ANSWER: a folded line repeats every name of its stack, so
		 * 40 names of 1 MB make 860 MB of stacks from a 42 KB profile. */
		capped_sink cs = {&resp->body, max_answer(a->pflame), false};
		hearth_buf tmp = {.flush = capped_flush, .ctx = &cs};
		if (!err)
			err = (folded ? hearth_report_folded : hearth_report_speedscope)(r, &tmp, eb);
		hearth_buf_flush(&tmp);
		if (cs.over)
			err = hearth_seterr(eb, HEARTH_ETOOBIG,
					    "the %s download would be larger than %zu MB (long names "
					    "in deep stacks): narrow it with focus, hide or show",
					    fmt, cs.max >> 20);
		else if (tmp.oom && hearth_budget_check(eb))
			err = HEARTH_EBUDGET;
		else if (!err && tmp.oom)
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		hearth_buf_free(&tmp);
	} else if (!strcmp(fmt, "svg")) {
		ext = "svg";
		resp->type = "image/svg+xml";
		err = graph_svg(a, o, &resp->body, eb);
	} else {
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "format must be pprof, folded, speedscope or svg");
	}
	if (!err && resp->body.oom)
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	/* The title is the first source's base name: made safe for the
	 * header (quotes, controls and non-ASCII bytes replaced). */
	size_t w = 0, tl = strlen(a->title);
	static const char *const exts[] = {".pb.gz", ".pb", ".gz", ".pprof", ".prof"};
	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		size_t el = strlen(exts[i]);
		if (tl > el && !strcmp(a->title + tl - el, exts[i])) {
			tl -= el;
			break;
		}
	}
	for (const char *s = a->title;
	     s < a->title + tl && w + strlen(ext) + 12 < sizeof(resp->filename); s++) {
		unsigned char c = (unsigned char)*s;
		resp->filename[w++] =
		    c > 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '/' && c != ';' ? (char)c
											  : '_';
	}
	/* Never the original's name: a download with report options is
	 * ".focused", a plain pprof copy ".hearth" (saved next to the
	 * original, it must not overwrite it). */
	bool opts = false;
	for (size_t i = 0; i < q->n; i++)
		if (strcmp(q->p[i].name, "format"))
			opts = true;
	const char *tag = opts ? ".focused" : !strcmp(fmt, "pprof") ? ".hearth" : "";
	snprintf(resp->filename + w, sizeof(resp->filename) - w, "%s.%s", tag, ext);
	hearth_report_free(r);
	return err;
}

/* Waits for w of max units of *used (under a->jmu), at most until the
 * thread's budget runs out: then 503, the server being busy. */
static hearth_err admit(hearth_api *a, int *used, int w, int max, hearth_errbuf *eb)
{
	int64_t dl = hearth_budget_deadline();
	hearth_err err = HEARTH_OK;
	pthread_mutex_lock(&a->jmu);
	while (*used + w > max) {
		if (!dl) {
			pthread_cond_wait(&a->jcv, &a->jmu);
			continue;
		}
		/* Woken at least every 100 ms to notice a client that left. */
		int64_t now = hearth_budget_now(), until = now + 100000000;
		if (until > dl)
			until = dl;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		int64_t wake = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec + (until - now);
		ts.tv_sec = wake / 1000000000;
		ts.tv_nsec = wake % 1000000000;
		pthread_cond_timedwait(&a->jcv, &a->jmu, &ts);
		pthread_mutex_unlock(&a->jmu);
		err = hearth_budget_check(eb);
		pthread_mutex_lock(&a->jmu);
		if (err)
			break;
	}
	if (!err)
		*used += w;
	pthread_mutex_unlock(&a->jmu);
	if (err == HEARTH_EBUDGET && strstr(eb->msg, "time budget"))
		hearth_seterr(eb, HEARTH_EBUDGET,
			      "the server is busy with other reports: its time budget ran out "
			      "while waiting; retry later");
	return err;
}

static void release(hearth_api *a, int *used, int w)
{
	pthread_mutex_lock(&a->jmu);
	*used -= w;
	pthread_cond_broadcast(&a->jcv);
	pthread_mutex_unlock(&a->jmu);
}

static const endpoint endpoints[] = {
    {"flame", {"resolution", "inverted", "reverse", "callers", "callees", NULL}, do_flame, false},
    {"top", {NULL}, do_top, false},
    {"search", {"q", NULL}, do_search, false},
    {"graph", {NULL}, do_graph, true},
    {"source", {"f", NULL}, do_source, false},
    {"peek", {"f", NULL}, do_peek, false},
    {"disasm", {"f", NULL}, do_disasm, true},
    {"weblist", {"f", NULL}, do_weblist, true},
    {"tags", {NULL}, do_tags, false},
    {"download", {"format", NULL}, do_download, false},
};

void hearth_api_handle(hearth_api *a, const char *name, const char *query, size_t qlen,
		       hearth_api_resp *resp)
{
	hearth_errbuf eb = {{0}};
	hearth_query q = {0};
	hearth_buf key = {0};
	memset(resp, 0, sizeof(*resp));
	if (!strcmp(name, "profile")) {
		resp->status = 200;
		resp->type = JSON_TYPE;
		hearth_buf_puts(&resp->body, a->profile_json);
		hearth_buf_put(&resp->body, "\n", 1);
		return;
	}
	const endpoint *ep = NULL;
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++)
		if (!strcmp(name, endpoints[i].name))
			ep = &endpoints[i];
	if (!ep) {
		hearth_api_error(resp, 404, "no such endpoint under /api/");
		return;
	}
	hearth_err err = hearth_query_parse(query, qlen, &q, &eb);
	hearth_opts o = a->defaults;
	if (!err)
		err = hearth_query_opts(&q, ep->own, &o, &eb);
	if (err) {
		fail(resp, err, &eb);
		goto out;
	}
	/* The key describes the options as applied (the last of repeated or
	 * overriding options wins, as in hearth_query_opts), not the query's
	 * text: ?lines=1&functions=1 and ?functions=1&lines=1 differ. */
	hearth_buf_printf(&key, "%s?", ep->name);
	opts_key(&o, &key);
	for (const char *const *own = ep->own; *own; own++) {
		const char *v = hearth_query_get(&q, *own, NULL);
		if (v)
			hearth_buf_printf(&key, "%s=%zu:%s;", *own, strlen(v), v);
	}
	if (!key.oom && cache_get(a, key.data, resp))
		goto out;
	/* A call graph weighs as a report while its DOT is made, and fewer of
	 * them than reports run at once; its layout, the long and large part,
	 * runs in a child process and holds no slot: cheap requests are not
	 * queued behind call graphs. */
	const char *fmt = hearth_query_get(&q, "format", NULL);
	bool heavy = ep->heavy || (ep->fn == do_download && fmt && !strcmp(fmt, "svg"));
	int hmax = a->max_jobs > 1 ? a->max_jobs - 1 : 1;
	if (heavy && (err = admit(a, &a->heavy_used, 1, hmax, &eb))) {
		fail(resp, err, &eb);
		resp->retry_after = 5;
		goto out;
	}
	heavy_held = heavy;
	if ((err = admit(a, &a->jobs_used, 1, a->max_jobs, &eb))) {
		release_slots(a);
		fail(resp, err, &eb);
		resp->retry_after = 5;
		goto out;
	}
	slots_held = 1;
	err = ep->fn(a, ep, &q, &o, resp, &eb);
	release_slots(a);
	/* Work stopped by the budget may look finished (a regexp that gave up
	 * matches nothing): the answer would be wrong. */
	if (!err || err == HEARTH_EBUDGET)
		err = hearth_budget_check(&eb) ? HEARTH_EBUDGET : err;
	if (!err && resp->body.oom)
		err = hearth_seterr(&eb, HEARTH_ENOMEM, "out of memory");
	if (err) {
		fail(resp, err, &eb);
		goto out;
	}
	resp->status = 200;
	if (!key.oom)
		cache_put(a, key.data, resp);
out:
	hearth_buf_free(&key);
	hearth_query_free(&q);
}

hearth_api *hearth_api_new(hearth_profile *p, hearth_profile *pflame, const hearth_api_config *cfg)
{
	hearth_api *a = calloc(1, sizeof(*a));
	if (!a) {
		if (pflame != p)
			hearth_profile_free(pflame);
		hearth_profile_free(p);
		return NULL;
	}
	a->p = p;
	a->pflame = pflame ? pflame : p;
	a->defaults = cfg->defaults;
	a->defaults.warn = NULL;
	a->defaults.output = NULL;
	a->cache_cap = cfg->cache_bytes ? cfg->cache_bytes : (size_t)64 << 20;
	const hearth_opts *d = &cfg->defaults;
	int nb = d->nbase ? d->nbase : d->ndiff_base;
	const char *const *bp = d->nbase ? d->base : d->diff_base;
	/* A first source that is an ELF file is the program (pprof's rule),
	 * not a profile: the title names the profiles. */
	int first = cfg->nsources > 1 && hearth_is_elf_file(cfg->sources[0]) ? 1 : 0;
	/* Each half short enough for the title to hold both. */
	char fname[240] = "profile", bname[240] = "";
	if (cfg->nsources > first)
		shown_name(cfg->sources[first], fname, sizeof(fname));
	if (nb)
		shown_name(bp[0], bname, sizeof(bname));
	snprintf(a->title, sizeof(a->title), "%s%s%s%s", fname,
		 cfg->nsources > first + 1 ? " and others" : "", nb ? " vs " : "", bname);
	a->max_jobs = cfg->max_jobs > 0 ? cfg->max_jobs : 2;
	pthread_mutex_init(&a->jmu, NULL);
	pthread_cond_init(&a->jcv, NULL);
	pthread_mutex_init(&a->mu, NULL);
	if (!(a->profile_json = profile_json(a, cfg))) {
		hearth_api_free(a);
		return NULL;
	}
	return a;
}

void hearth_api_free(hearth_api *a)
{
	if (!a)
		return;
	for (centry *e = a->head, *n; e; e = n) {
		n = e->next;
		free_entry(e);
	}
	if (a->pflame != a->p)
		hearth_profile_free(a->pflame);
	hearth_profile_free(a->p);
	free(a->profile_json);
	pthread_mutex_destroy(&a->jmu);
	pthread_cond_destroy(&a->jcv);
	pthread_mutex_destroy(&a->mu);
	free(a);
}
