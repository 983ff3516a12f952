/* /api/v1/render/VIEW: hearth web's views (server/api.c) over the merge of
 * a range, a diff of two ranges, or one stored profile.
 *
 * A page asks many questions of one range (the profile's sample types, the
 * flame graph, the table, a search...), so the merged profile is kept: a
 * small LRU of hearth_api objects keyed by the tenant and everything that
 * names the merge.  An entry being merged is waited for, not merged again.
 * An entry is fresh while the tenant has stored nothing since it was made,
 * or for a few seconds after that (a page's burst of requests shares one
 * merge even while profiles stream in). */
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/query.h"
#include "hearth/sources.h"
#include "service.h"

#define FRESH_NANOS ((int64_t)10 * 1000000000)
#define API_CACHE_BYTES ((size_t)16 << 20)
/* Merges kept, in (estimated) bytes, whatever their count: a month of a
 * busy service merges into hundreds of megabytes. */
#define MAX_BYTES ((size_t)512 << 20)

typedef struct rentry {
	struct rentry *prev, *next; /* most recently used first */
	char *key;
	hearth_api *api;
	int refs;
	bool ready, dead;
	uint64_t gen;
	int64_t created;
	size_t nprofiles;
	size_t bytes; /* the merged profile and the api's answer cache */
	char type[128];
	char title[256]; /* the api's source name: lives as long as the api */
	int64_t from, until;
} rentry;

struct svc_render {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	rentry *head, *tail;
	size_t n, max;
	size_t bytes; /* of the ready entries in the list */
};

svc_render *svc_render_new(size_t max)
{
	svc_render *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->max = max ? max : 8;
	return r;
}

static void entry_free(rentry *e)
{
	hearth_api_free(e->api);
	free(e->key);
	free(e);
}

void svc_render_free(svc_render *r)
{
	if (!r)
		return;
	for (rentry *e = r->head, *n; e; e = n) {
		n = e->next;
		entry_free(e);
	}
	pthread_mutex_destroy(&r->mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

static void unlink_entry(svc_render *r, rentry *e)
{
	if (e->ready)
		r->bytes -= e->bytes;
	if (e->prev)
		e->prev->next = e->next;
	else
		r->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		r->tail = e->prev;
	e->prev = e->next = NULL;
	r->n--;
}

static void push_front(svc_render *r, rentry *e)
{
	e->prev = NULL;
	e->next = r->head;
	if (r->head)
		r->head->prev = e;
	r->head = e;
	if (!r->tail)
		r->tail = e;
	r->n++;
	if (e->ready)
		r->bytes += e->bytes;
}

/* Takes e out of the cache; freed now or by its last user.  Under r->mu. */
static void retire(svc_render *r, rentry *e)
{
	unlink_entry(r, e);
	e->dead = true;
	if (!e->refs)
		entry_free(e);
}

/* The entry of key, or NULL.  Under r->mu. */
static rentry *find(svc_render *r, const char *key)
{
	rentry *e = r->head;
	while (e && strcmp(e->key, key))
		e = e->next;
	return e;
}

/* Whether the ready entry e may answer now for the tenant's generation
 * gen; if so it is referenced and made the most recently used.  Under
 * r->mu. */
static bool take_fresh(svc_render *r, rentry *e, uint64_t gen, int64_t now)
{
	if (e->gen != gen && now - e->created >= FRESH_NANOS)
		return false;
	e->refs++;
	unlink_entry(r, e);
	push_front(r, e);
	return true;
}

/* The entry of key, referenced: *load is set when the caller must fill it
 * (then it is not ready and others wait for it).  NULL when out of memory. */
static rentry *acquire(svc_render *r, const char *key, uint64_t gen, bool *load)
{
	int64_t now = svc_now();
	*load = false;
	pthread_mutex_lock(&r->mu);
	for (;;) {
		rentry *e = find(r, key);
		if (!e)
			break;
		if (!e->ready) {
			pthread_cond_wait(&r->cv, &r->mu);
			continue;
		}
		if (take_fresh(r, e, gen, now)) {
			pthread_mutex_unlock(&r->mu);
			return e;
		}
		retire(r, e);
		break;
	}
	rentry *e = calloc(1, sizeof(*e));
	if (e && !(e->key = strdup(key))) {
		free(e);
		e = NULL;
	}
	if (e) {
		e->refs = 1;
		e->gen = gen;
		e->created = now;
		push_front(r, e);
		*load = true;
	}
	pthread_mutex_unlock(&r->mu);
	return e;
}

/* The entry of key if it is ready and fresh, referenced as acquire does;
 * else NULL (nothing is created or waited for). */
static rentry *peek_ready(svc_render *r, const char *key, uint64_t gen)
{
	int64_t now = svc_now();
	pthread_mutex_lock(&r->mu);
	rentry *e = find(r, key);
	if (e && !(e->ready && take_fresh(r, e, gen, now)))
		e = NULL;
	pthread_mutex_unlock(&r->mu);
	return e;
}

/* The loader's outcome: ready (and older entries evicted past the cap), or
 * removed. */
static void loaded(svc_render *r, rentry *e, bool ok)
{
	pthread_mutex_lock(&r->mu);
	if (ok) {
		e->ready = true;
		r->bytes += e->bytes;
		for (rentry *t = r->tail; t && (r->n > r->max || r->bytes > MAX_BYTES);) {
			rentry *prev = t->prev;
			if (t->ready && t != e)
				retire(r, t);
			t = prev;
		}
	} else {
		retire(r, e);
	}
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
}

static void release(svc_render *r, rentry *e)
{
	pthread_mutex_lock(&r->mu);
	if (--e->refs == 0 && e->dead)
		entry_free(e);
	pthread_mutex_unlock(&r->mu);
}

/* The parameters render takes for itself; the rest are the views'. */
static const char *const own[] = {"query",	    "type",	  "from",    "until",
				  "base_query", "base_from",  "base_until", "profile",
				  "labels",	    NULL};

static bool is_own(const char *name)
{
	for (const char *const *o = own; *o; o++)
		if (!strcmp(*o, name))
			return true;
	return false;
}

/* The raw query without render's own parameters, for hearth_api_handle. */
static hearth_err view_query(const hearth_req *req, hearth_buf *out, hearth_errbuf *eb)
{
	const char *q = req->query, *end = req->query + req->qlen;
	while (q < end) {
		const char *amp = memchr(q, '&', (size_t)(end - q));
		size_t n = amp ? (size_t)(amp - q) : (size_t)(end - q);
		hearth_query one = {0};
		hearth_err err = hearth_query_parse(q, n, &one, eb);
		if (err)
			return err;
		bool keep = one.n == 0 || !is_own(one.p[0].name);
		hearth_query_free(&one);
		if (keep && n) {
			if (out->len)
				hearth_buf_put(out, "&", 1);
			hearth_buf_put(out, q, n);
		}
		q += n + (amp != NULL);
	}
	if (out->oom)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	return HEARTH_OK;
}

/* Whether view, asked with q, shows the samples' labels (pprof labels):
 * the tags view, tag options (tagfocus, tagignore, tagshow, taghide) and
 * downloads do; a flame graph, top, call graph, peek, source or search
 * without tag options does not, and a merge for them leaves the labels out
 * (HEARTH_MERGE_NO_LABELS: samples merged by stack, the same numbers, and
 * far fewer samples when a label is a request id).  labels=0 asks for that
 * merge whatever the view (a client that knows it needs no labels). */
static bool shows_labels(const char *view, const hearth_query *q)
{
	static const char *const without[] = {"profile", "flame", "top",    "graph",
					       "peek",	  "source", "search", NULL};
	const char *l = hearth_query_get(q, "labels", NULL);
	if (l && !strcmp(l, "0"))
		return false;
	bool free_view = false;
	for (const char *const *w = without; *w && !free_view; w++)
		free_view = !strcmp(*w, view);
	if (!free_view)
		return true;
	for (size_t i = 0; i < q->n; i++)
		if (!strncmp(q->p[i].name, "tag", 3))
			return true;
	return false;
}

/* The merge of sel over [from, until) of type. */
static hearth_err merge_range(hearth_service *s, int64_t tenant, const char *seltext,
			      const char *type, int64_t from, int64_t until, unsigned flags,
			      hearth_profile **p, size_t *nprofiles, hearth_errbuf *eb)
{
	hearth_selector sel = {0};
	hearth_err err = hearth_selector_parse(seltext, &sel, eb);
	if (!err)
		err = hearth_store_merge_flags(s->st, tenant, &sel, type, from, until, flags, p,
					       nprofiles, eb);
	hearth_selector_free(&sel);
	return err;
}

/* About how many bytes p holds (its arrays and strings). */
static size_t profile_bytes(const hearth_profile *p)
{
	return p->nsamples * (sizeof(hearth_sample) + p->nsample_types * sizeof(int64_t)) +
	       p->nlocs * sizeof(uint32_t) + p->nlabels * sizeof(hearth_label) +
	       p->nlocations * sizeof(hearth_location) + p->nlines * sizeof(hearth_line) +
	       p->nfunctions * sizeof(hearth_function) + p->nmappings * sizeof(hearth_mapping) +
	       p->nstrs * (sizeof(hearth_str) + 32);
}

/* Fills e: the merge it names (with its base marked as -diff_base marks
 * it), or the stored profile, behind a hearth_api. */
static hearth_err load_entry(hearth_service *s, const svc_caller *c, const hearth_query *q,
			     rentry *e, int64_t now, unsigned flags, hearth_errbuf *eb)
{
	hearth_profile *p = NULL, *base = NULL;
	hearth_err err = HEARTH_OK;
	const char *pid = hearth_query_get(q, "profile", NULL);
	bool diff = false;
	if (pid && *pid) {
		char *end;
		long long id = strtoll(pid, &end, 10);
		if (*end || id <= 0)
			return hearth_seterr(eb, HEARTH_EINVAL, "not found");
		if ((err = hearth_store_get(s->st, c->tenant, id, &p, NULL, eb)))
			return err;
		e->nprofiles = 1;
		snprintf(e->title, sizeof(e->title), "profile-%lld", id);
	} else {
		const char *sel = hearth_query_get(q, "query", NULL);
		if (!sel)
			sel = "";
		if ((err = merge_range(s, c->tenant, sel, e->type, e->from, e->until, flags, &p,
				       &e->nprofiles, eb)))
			return err;
		const char *bq = hearth_query_get(q, "base_query", NULL),
			   *bf = hearth_query_get(q, "base_from", NULL),
			   *bu = hearth_query_get(q, "base_until", NULL);
		diff = bq || bf || bu;
		if (diff) {
			int64_t from, until;
			size_t nb = 0;
			if ((err = svc_time(bf, e->from, now, &from, eb)) ||
			    (err = svc_time(bu, e->until, now, &until, eb)))
				goto out;
			if (from >= until) {
				err = hearth_seterr(eb, HEARTH_EINVAL,
						    "base_from must be before base_until");
				goto out;
			}
			if ((err = merge_range(s, c->tenant, bq && *bq ? bq : sel, e->type, from,
					       until, flags, &base, &nb, eb))) {
				char m[sizeof(eb->msg)];
				memcpy(m, eb->msg, sizeof(m));
				m[sizeof(m) - 7] = 0;
				hearth_seterr(eb, err, "base: %s", m);
				goto out;
			}
			err = hearth_apply_base(&p, base, true, false, eb);
			base = NULL;
			if (err)
				goto out;
		}
		snprintf(e->title, sizeof(e->title), "%s %s", *sel ? sel : "{}", e->type);
	}
	e->bytes = profile_bytes(p) + API_CACHE_BYTES;
	const char *srcs[1] = {e->title};
	hearth_api_config cfg = {.sources = srcs, .nsources = 1, .cache_bytes = API_CACHE_BYTES};
	hearth_opts_init(&cfg.defaults);
	/* A tenant's profile names files: Source shows none of this machine's. */
	cfg.defaults.no_source_files = true;
	if (diff) {
		/* The views mark the base's samples as -diff_base does. */
		cfg.defaults.diff_base[0] = "base";
		cfg.defaults.ndiff_base = 1;
	}
	e->api = hearth_api_new(p, NULL, &cfg);
	p = NULL;
	if (!e->api)
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
out:
	hearth_profile_free(p);
	hearth_profile_free(base);
	return err;
}

/* GET render/profile: the api's answer plus what the range says: how many
 * profiles went in, the type, and each sample type's aggregation. */
static void profile_answer(const rentry *e, hearth_api_resp *resp)
{
	json_error_t je;
	json_t *o = json_loadb(resp->body.data ? resp->body.data : "", resp->body.len, 0, &je);
	if (!json_is_object(o)) {
		json_decref(o);
		return;
	}
	json_t *st = json_object_get(o, "sample_types"), *x;
	size_t i;
	json_array_foreach(st, i, x)
	{
		const char *t = json_string_value(json_object_get(x, "type"));
		json_object_set_new(
		    x, "aggregation",
		    json_string(t && hearth_store_aggregation(t) == HEARTH_AGG_AVERAGE ? "average"
										       : "sum"));
	}
	json_object_set_new(o, "profiles", json_integer((json_int_t)e->nprofiles));
	json_object_set_new(o, "type", json_string(e->type));
	json_object_set_new(o, "from", json_integer(e->from));
	json_object_set_new(o, "until", json_integer(e->until));
	svc_json(resp, 200, o);
}

void svc_render_handle(hearth_service *s, const hearth_req *req, const svc_caller *c,
		       const char *view, hearth_api_resp *resp)
{
	hearth_errbuf eb = {{0}};
	hearth_query q = {0};
	hearth_buf key = {0}, vq = {0};
	rentry *e = NULL;
	hearth_err err;
	if (strcmp(req->method, "GET") && strcmp(req->method, "HEAD")) {
		hearth_api_error(resp, 405, "method not allowed");
		resp->allow = "GET, HEAD";
		return;
	}
	if (!svc_allow(req, c, HEARTH_SCOPE_READ, resp))
		return;
	/* No disassembly here: it opens the programs a profile's mappings
	 * name, and a tenant's profile must not make the server read its own
	 * files. */
	if (!strcmp(view, "disasm") || !strcmp(view, "weblist")) {
		hearth_api_error(resp, 404, "no disassembly in hearth serve (no programs)");
		return;
	}
	int64_t now = svc_query_now(), from = 0, until = 0;
	char type[128] = "";
	if ((err = hearth_query_parse(req->query, req->qlen, &q, &eb)) ||
	    (err = view_query(req, &vq, &eb)))
		goto out;
	const char *pid = hearth_query_get(&q, "profile", NULL);
	if (pid && *pid) {
		hearth_buf_printf(&key, "%lld\np%s", (long long)c->tenant, pid);
	} else {
		const char *sel = hearth_query_get(&q, "query", NULL);
		hearth_selector ps = {0};
		if ((err = svc_time(hearth_query_get(&q, "from", NULL),
				    now - (int64_t)3600 * 1000000000, now, &from, &eb)) ||
		    (err = svc_time(hearth_query_get(&q, "until", NULL), now, now, &until, &eb)))
			goto out;
		if (from >= until) {
			err = hearth_seterr(&eb, HEARTH_EINVAL, "from must be before until");
			goto out;
		}
		err = hearth_selector_parse(sel ? sel : "", &ps, &eb);
		if (!err)
			err = svc_pick_type(s, c->tenant, &ps, hearth_query_get(&q, "type", NULL),
					    from, until, type, sizeof(type), &eb);
		hearth_selector_free(&ps);
		if (err)
			goto out;
		const char *bq = hearth_query_get(&q, "base_query", NULL),
			   *bf = hearth_query_get(&q, "base_from", NULL),
			   *bu = hearth_query_get(&q, "base_until", NULL);
		/* Relative base times resolve against the same second. */
		int64_t bfrom = from, buntil = until;
		if ((err = svc_time(bf, from, now, &bfrom, &eb)) ||
		    (err = svc_time(bu, until, now, &buntil, &eb)))
			goto out;
		hearth_buf_printf(&key, "%lld\nq%s\nt%s\n%lld\n%lld", (long long)c->tenant,
				  sel ? sel : "", type, (long long)from, (long long)until);
		if (bq || bf || bu)
			hearth_buf_printf(&key, "\nb%s\n%lld\n%lld", bq ? bq : "\x01",
					  (long long)bfrom, (long long)buntil);
	}
	if (key.oom || vq.oom) {
		err = hearth_seterr(&eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	unsigned flags = 0;
	uint64_t gen = svc_tenant_gen(s, c->tenant, false);
	/* A view without labels is answered by the full merge when there is
	 * one already, else by a merge without labels, kept apart; labels=0
	 * always by the latter (a download then has none). */
	const char *nolab = hearth_query_get(&q, "labels", NULL);
	bool explicit = nolab && !strcmp(nolab, "0");
	if (!(pid && *pid) && !shows_labels(view, &q) &&
	    (explicit || !(e = peek_ready(s->render, key.data, gen)))) {
		flags = HEARTH_MERGE_NO_LABELS;
		hearth_buf_puts(&key, "\nL");
		if (key.oom) {
			err = hearth_seterr(&eb, HEARTH_ENOMEM, "out of memory");
			goto out;
		}
	}
	bool load = false;
	if (!e && !(e = acquire(s->render, key.data, gen, &load))) {
		err = hearth_seterr(&eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	if (load) {
		snprintf(e->type, sizeof(e->type), "%s", type);
		e->from = from;
		e->until = until;
		err = load_entry(s, c, &q, e, now, flags, &eb);
		loaded(s->render, e, !err);
		if (err) {
			release(s->render, e);
			e = NULL;
			goto out;
		}
	}
	hearth_api_handle(e->api, view, vq.data ? vq.data : "", vq.len, resp);
	if (!strcmp(view, "profile") && resp->status == 200)
		profile_answer(e, resp);
out:
	if (e)
		release(s->render, e);
	if (err)
		svc_fail(resp, err, &eb, false);
	hearth_buf_free(&key);
	hearth_buf_free(&vq);
	hearth_query_free(&q);
}
