/* The series catalogue and the answers above the SQL, shared by the
 * metadata backends (catalog.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/backend.h"
#include "store/catalog.h"
#include "util.h"

/* ---- tenants and their series ---- */

hs_tenant *hs_tenant_new(int64_t id)
{
	hs_tenant *t = calloc(1, sizeof(*t));
	if (!t)
		return NULL;
	t->id = id;
	pthread_rwlock_init(&t->lock, NULL);
	pthread_mutex_init(&t->smu, NULL);
	return t;
}

void hs_tenant_free(hs_tenant *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nseries; i++)
		hs_series_free(t->series[i]);
	free(t->series);
	free(t->slots);
	hs_dict_free(t->dict);
	pthread_rwlock_destroy(&t->lock);
	pthread_mutex_destroy(&t->smu);
	free(t);
}

char *hs_series_key(const char *service, const char *type, const char *labels, const char *st)
{
	size_t n = strlen(service) + strlen(type) + strlen(labels) + strlen(st) + 4;
	char *k = malloc(n);
	if (k)
		snprintf(k, n, "%s\3%s\3%s\3%s", service, type, labels, st);
	return k;
}

static void st_flags(hs_series *x)
{
	/* st is "type/unit,type/unit". */
	x->nst = 0;
	x->any_avg = false;
	const char *p = x->st;
	while (*p && x->nst < HS_MAX_ST) {
		const char *slash = strchr(p, '/'), *comma = strchr(p, ',');
		size_t n = slash && (!comma || slash < comma) ? (size_t)(slash - p) : strlen(p);
		char name[256];
		snprintf(name, sizeof(name), "%.*s", (int)(n < 255 ? n : 255), p);
		x->avg[x->nst] = hearth_store_aggregation(name) == HEARTH_AGG_AVERAGE;
		x->any_avg |= x->avg[x->nst];
		x->nst++;
		if (!comma)
			break;
		p = comma + 1;
	}
}

void hs_series_free(hs_series *x)
{
	if (!x)
		return;
	free(x->service);
	free(x->type);
	free(x->labels);
	free(x->st);
	free(x->default_st);
	free(x->key);
	free(x->kv);
	free(x->kvmem);
	free(x);
}

hs_series *hs_series_new(int64_t id, const char *service, const char *type, const char *labels,
			 const char *st, const char *default_st)
{
	hs_series *x = calloc(1, sizeof(*x));
	if (!x)
		return NULL;
	x->id = id;
	x->service = strdup(service);
	x->type = strdup(type);
	x->labels = strdup(labels);
	x->st = strdup(st);
	x->default_st = strdup(default_st);
	x->key = hs_series_key(service, type, labels, st);
	x->first = INT64_MAX;
	x->last = INT64_MIN;
	for (int l = 0; l < HS_NLEVELS; l++)
		x->dirty_bucket[l] = INT64_MIN;
	if (!x->service || !x->type || !x->labels || !x->st || !x->default_st || !x->key ||
	    hearth_labels_uncanon(labels, &x->kv, &x->nkv, &x->kvmem)) {
		hs_series_free(x);
		return NULL;
	}
	x->keyhash = (uint32_t)hearth_hash_bytes(x->key, strlen(x->key));
	st_flags(x);
	return x;
}

static bool slots_rebuild(hs_tenant *t, size_t n)
{
	uint32_t *sl = calloc(n, sizeof(uint32_t));
	if (!sl)
		return false;
	for (size_t i = 0; i < t->nseries; i++) {
		size_t j = t->series[i]->keyhash & (n - 1);
		while (sl[j])
			j = (j + 1) & (n - 1);
		sl[j] = (uint32_t)i + 1;
	}
	free(t->slots);
	t->slots = sl;
	t->nslots = n;
	return true;
}

bool hs_series_add(hs_tenant *t, hs_series *x)
{
	if ((t->nseries + 1) * 2 > t->nslots && !slots_rebuild(t, t->nslots ? t->nslots * 2 : 64))
		return false;
	if (!HEARTH_GROW(t->series, t->nseries, t->capseries, 1))
		return false;
	t->series[t->nseries++] = x;
	size_t j = x->keyhash & (t->nslots - 1);
	while (t->slots[j])
		j = (j + 1) & (t->nslots - 1);
	t->slots[j] = (uint32_t)t->nseries;
	return true;
}

hs_series *hs_series_find(const hs_tenant *t, const char *key)
{
	if (!t->nslots)
		return NULL;
	uint32_t h = (uint32_t)hearth_hash_bytes(key, strlen(key));
	for (size_t j = h & (t->nslots - 1); t->slots[j]; j = (j + 1) & (t->nslots - 1)) {
		hs_series *x = t->series[t->slots[j] - 1];
		if (x->keyhash == h && !strcmp(x->key, key))
			return x;
	}
	return NULL;
}

hs_series *hs_series_by_id(hs_series *const *v, size_t n, int64_t id)
{
	/* v is sorted by id (series are added in id order). */
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (v[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && v[lo]->id == id ? v[lo] : NULL;
}

/* ---- answers ---- */

int hs_cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds s to l unless it is there already (l small: linear). */
static bool strlist_add_uniq(hearth_strlist *l, size_t *cap, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i], s))
			return true;
	if (!HEARTH_GROW(l->v, l->n, *cap, 1))
		return false;
	if (!(l->v[l->n] = strdup(s)))
		return false;
	l->n++;
	return true;
}

bool hs_decode_totals(const uint8_t *p, size_t n, int64_t *tot, uint32_t nst)
{
	hs_in in = {p, p + n, false};
	for (uint32_t k = 0; k < nst; k++)
		tot[k] = hs_get_sv(&in);
	return !in.bad;
}

hearth_err hs_fill_info(const hs_series *x, int64_t id, int64_t time, int64_t duration,
			int64_t period, int64_t bytes, const uint8_t *tot, size_t totn,
			hearth_profile_info *in)
{
	memset(in, 0, sizeof(*in));
	in->id = id;
	in->time_nanos = time;
	in->duration_nanos = duration;
	in->period = period;
	in->stored_bytes = bytes;
	in->service = strdup(x->service);
	in->type = strdup(x->type);
	size_t memn = (x->nkv + 1) * sizeof(hearth_kv);
	for (size_t k = 0; k < x->nkv; k++)
		memn += strlen(x->kv[k].name) + strlen(x->kv[k].value) + 2;
	in->labels = malloc(memn);
	in->totals = calloc(x->nst + 1, sizeof(int64_t));
	if (!in->service || !in->type || !in->labels || !in->totals) {
		hearth_profile_info_free(in);
		return HEARTH_ENOMEM;
	}
	char *w = (char *)(in->labels + x->nkv + 1);
	for (size_t k = 0; k < x->nkv; k++) {
		in->labels[k].name = strcpy(w, x->kv[k].name);
		w += strlen(w) + 1;
		in->labels[k].value = strcpy(w, x->kv[k].value);
		w += strlen(w) + 1;
	}
	in->nlabels = x->nkv;
	hs_decode_totals(tot, totn, in->totals, x->nst);
	in->ntotals = x->nst;
	return HEARTH_OK;
}

/* An answer's list sorted, or freed on err. */
static hearth_err strlist_done(hearth_strlist *out, hearth_err err)
{
	if (err)
		hearth_strlist_free(out);
	else if (out->n)
		qsort(out->v, out->n, sizeof(char *), hs_cmp_str);
	return err;
}

hearth_err hs_answer_services(hs_series *const *v, size_t n, hearth_strlist *out, hearth_errbuf *eb)
{
	size_t cap = 0;
	hearth_err err = HEARTH_OK;
	for (size_t i = 0; !err && i < n; i++)
		if (!strlist_add_uniq(out, &cap, v[i]->service))
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	return strlist_done(out, err);
}

hearth_err hs_answer_types(hs_series *const *v, size_t n, const char *service, hearth_typelist *out,
			   hearth_errbuf *eb)
{
	size_t cap = 0;
	hearth_err err = HEARTH_OK;
	for (size_t i = 0; !err && i < n; i++) {
		hs_series *x = v[i];
		if (service && strcmp(service, x->service))
			continue;
		bool seen = false;
		for (size_t k = 0; k < out->n && !seen; k++)
			seen = !strcmp(out->v[k].type, x->type);
		if (seen)
			continue;
		if (!HEARTH_GROW(out->v, out->n, cap, 1)) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			break;
		}
		hearth_type_info *ti = &out->v[out->n++];
		memset(ti, 0, sizeof(*ti));
		ti->type = strdup(x->type);
		ti->sample_types = calloc(x->nst + 1, sizeof(char *));
		if (!ti->type || !ti->sample_types) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			break;
		}
		const char *p = x->st;
		for (uint32_t k = 0; k < x->nst; k++) {
			const char *comma = strchr(p, ',');
			size_t n = comma ? (size_t)(comma - p) : strlen(p);
			ti->sample_types[k] = strndup(p, n);
			if (!ti->sample_types[k]) {
				err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
				break;
			}
			ti->nsample_types++;
			size_t tl = strcspn(ti->sample_types[k], "/");
			if (*x->default_st && strlen(x->default_st) == tl &&
			    !strncmp(ti->sample_types[k], x->default_st, tl))
				ti->default_sample = k;
			p = comma ? comma + 1 : p + n;
		}
		/* pprof's default without default_sample_type: the last one. */
		if (!*x->default_st && x->nst)
			ti->default_sample = x->nst - 1;
	}
	if (err)
		hearth_typelist_free(out);
	return err;
}

hearth_err hs_answer_label_names(hs_series *const *v, size_t n, hearth_strlist *out,
				 hearth_errbuf *eb)
{
	size_t cap = 0;
	hearth_err err = HEARTH_OK;
	for (size_t i = 0; !err && i < n; i++)
		for (size_t k = 0; k < v[i]->nkv && !err; k++)
			if (!strlist_add_uniq(out, &cap, v[i]->kv[k].name))
				err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	return strlist_done(out, err);
}

hearth_err hs_answer_label_values(hs_series *const *v, size_t n, const char *name,
				  hearth_strlist *out, hearth_errbuf *eb)
{
	size_t cap = 0;
	hearth_err err = HEARTH_OK;
	for (size_t i = 0; !err && i < n; i++) {
		hs_series *x = v[i];
		const char *val = NULL;
		if (!strcmp(name, "service"))
			val = x->service;
		else if (!strcmp(name, "__type__"))
			val = x->type;
		for (size_t k = 0; k < x->nkv && !val; k++)
			if (!strcmp(x->kv[k].name, name))
				val = x->kv[k].value;
		if (val && !strlist_add_uniq(out, &cap, val))
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	return strlist_done(out, err);
}

/* One series' totals per step, summed and counted (hs_answer_series). */
typedef struct {
	double *sum;
	int64_t *cnt;
	size_t np;
	int64_t from, step;
	uint32_t nst;
	size_t sample_type;
} totals_acc;

static void totals_add(void *acc, int64_t time, const uint8_t *tot, size_t n)
{
	totals_acc *a = acc;
	int64_t v[HS_MAX_ST];
	if (!hs_decode_totals(tot, n, v, a->nst) || time < a->from)
		return;
	size_t k = (size_t)((time - a->from) / a->step);
	if (k >= a->np)
		return;
	a->sum[k] += (double)v[a->sample_type];
	a->cnt[k]++;
}

hearth_err hs_answer_series(hs_series *const *v, size_t n, size_t sample_type, int64_t from,
			    int64_t until, int64_t step, const char *const *group_by,
			    size_t ngroup_by, hs_totals_fn totals, void *ctx,
			    hearth_serieslist *out, hearth_errbuf *eb)
{
	hearth_err err = HEARTH_OK;
	size_t np = (size_t)((until - from + step - 1) / step), cap = 0;
	double *sum = NULL;
	int64_t *cnt = NULL;
	char **gkeys = NULL;
	double **gsum = NULL;
	sum = malloc(np * sizeof(double));
	cnt = malloc(np * sizeof(int64_t));
	if (!sum || !cnt)
		goto oom;
	for (size_t i = 0; i < n; i++) {
		hs_series *x = v[i];
		if (sample_type >= x->nst)
			continue;
		memset(sum, 0, np * sizeof(double));
		memset(cnt, 0, np * sizeof(int64_t));
		totals_acc ta = {.sum = sum,
				 .cnt = cnt,
				 .np = np,
				 .from = from,
				 .step = step,
				 .nst = x->nst,
				 .sample_type = sample_type};
		if ((err = totals(ctx, x, from, until, totals_add, &ta, eb)))
			goto out;
		/* The group: the values of group_by, "\1"-joined. */
		char gk[8192];
		size_t gl = 0;
		gk[0] = 0;
		for (size_t g = 0; g < ngroup_by; g++) {
			const char *val = "";
			if (!strcmp(group_by[g], "service"))
				val = x->service;
			for (size_t k = 0; k < x->nkv; k++)
				if (!strcmp(x->kv[k].name, group_by[g]))
					val = x->kv[k].value;
			gl += (size_t)snprintf(gk + gl, sizeof(gk) - gl, "%s\1", val);
			if (gl >= sizeof(gk))
				gl = sizeof(gk) - 1;
		}
		size_t gi = 0;
		while (gi < out->n && strcmp(gkeys[gi], gk))
			gi++;
		if (gi == out->n) {
			if (out->n == cap) {
				size_t nc = cap ? cap * 2 : 8;
				hearth_series *nv = realloc(out->v, nc * sizeof(*nv));
				if (!nv)
					goto oom;
				out->v = nv;
				char **nk = realloc(gkeys, nc * sizeof(*nk));
				if (!nk)
					goto oom;
				gkeys = nk;
				double **ns = realloc(gsum, nc * sizeof(*ns));
				if (!ns)
					goto oom;
				gsum = ns;
				cap = nc;
			}
			hearth_series *hs = &out->v[out->n];
			memset(hs, 0, sizeof(*hs));
			gkeys[gi] = strdup(gk);
			gsum[gi] = calloc(np, sizeof(double));
			hs->points = calloc(np, sizeof(int64_t));
			hs->has = calloc(np, sizeof(bool));
			hs->npoints = np;
			hs->labels = calloc(ngroup_by + 1, sizeof(hearth_kv));
			out->n++;
			if (!gkeys[gi] || !gsum[gi] || !hs->points || !hs->has || !hs->labels)
				goto oom;
			/* Label strings point into the group key (kept in mem below). */
			hs->nlabels = ngroup_by;
		}
		bool avg = x->avg[sample_type];
		for (size_t k = 0; k < np; k++) {
			if (!cnt[k])
				continue;
			gsum[gi][k] += avg ? sum[k] / (double)cnt[k] : sum[k];
			out->v[gi].has[k] = true;
		}
	}
	/* Group labels: one block of strings. */
	size_t memn = 1;
	for (size_t g = 0; g < out->n; g++)
		memn += strlen(gkeys[g]) + 1;
	out->mem = malloc(memn);
	if (!out->mem)
		goto oom;
	char *w = out->mem;
	for (size_t g = 0; g < out->n; g++) {
		strcpy(w, gkeys[g]);
		char *p = w;
		for (size_t k = 0; k < ngroup_by; k++) {
			char *e = strchr(p, '\1');
			if (e)
				*e = 0;
			out->v[g].labels[k].name = group_by[k];
			out->v[g].labels[k].value = p;
			p = e ? e + 1 : p + strlen(p);
		}
		w += strlen(gkeys[g]) + 1;
		for (size_t k = 0; k < np; k++)
			out->v[g].points[k] = (int64_t)llround(gsum[g][k]);
	}
	goto out;
oom:
	err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
out:
	for (size_t g = 0; gkeys && g < out->n; g++) {
		free(gkeys[g]);
		free(gsum ? gsum[g] : NULL);
	}
	free(gkeys);
	free(gsum);
	free(sum);
	free(cnt);
	if (err)
		hearth_serieslist_free(out);
	return err;
}

/* ---- blocks and metadata ---- */

hearth_err hs_block_to_object(hearth_blob *b, const char *key, const hs_out *block, hs_out *ref,
			      hearth_errbuf *eb)
{
	hearth_err err = hearth_blob_put(b, key, block->p, block->n, eb);
	if (err)
		return err;
	size_t kl = strlen(key);
	ref->n = 0;
	if (!HEARTH_GROW(ref->p, 0, ref->cap, kl + 1))
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	ref->p[0] = 0;
	memcpy(ref->p + 1, key, kl);
	ref->n = kl + 1;
	return HEARTH_OK;
}

/* Adds m to *acc (the first one taken, *have set); m is spent. */
static hearth_err meta_take(hs_meta *acc, bool *have, hs_meta *m, hearth_errbuf *eb)
{
	if (!*have) {
		*acc = *m;
		*have = true;
		return HEARTH_OK;
	}
	hearth_err err = hs_meta_combine(acc, m);
	hs_meta_free(m);
	if (err)
		return hearth_seterr(eb, err, "out of memory");
	return HEARTH_OK;
}

hearth_err hs_meta_add(hs_meta *acc, bool *have, const uint8_t *p, size_t n, hearth_errbuf *eb)
{
	hs_meta m;
	hearth_err err = hs_meta_decode(p, n, &m, eb);
	return err ? err : meta_take(acc, have, &m, eb);
}

/* ---- merges ---- */

const int64_t hs_level_size[HS_NLEVELS] = {
    600LL * 1000000000,	  /* 10 minutes */
    3600LL * 1000000000,  /* an hour */
    86400LL * 1000000000, /* a day */
};

int64_t hs_floor_to(int64_t v, int64_t sz)
{
	int64_t f = v / sz * sz;
	return v < 0 && f != v ? f - sz : f;
}

int64_t hs_ceil_to(int64_t v, int64_t sz)
{
	int64_t f = hs_floor_to(v, sz);
	return f == v ? v : f + sz;
}

hearth_err hs_cover(const hs_walk *w, int level, int64_t a, int64_t b)
{
	if (a >= b)
		return HEARTH_OK;
	if (level < 0)
		return w->profiles(w->ctx, a, b);
	if (level >= w->skip_level)
		return hs_cover(w, level - 1, a, b);
	int64_t sz = hs_level_size[level];
	int64_t first = hs_ceil_to(a, sz), last = hs_floor_to(b, sz);
	if (first >= last)
		return hs_cover(w, level - 1, a, b);
	hearth_err err = hs_cover(w, level - 1, a, first);
	if (err)
		return err;
	hs_rollup_row *rows = NULL;
	size_t n = 0, i = 0;
	err = w->rollups(w->ctx, level, first, last, &rows, &n);
	int64_t at = first;
	/* Between the rollups, the levels below; the metadata in time order
	 * (the first comments seen are the ones kept). */
	while (!err && i < n) {
		if (rows[i].bucket > at && (err = hs_cover(w, level - 1, at, rows[i].bucket)))
			break;
		at = rows[i].bucket + sz;
		err = meta_take(w->meta, w->have, &rows[i++].meta, w->eb);
	}
	for (; i < n; i++)
		hs_meta_free(&rows[i].meta);
	free(rows);
	if (!err)
		err = hs_cover(w, level - 1, at, last);
	if (err)
		return err;
	return hs_cover(w, level - 1, last, b);
}

hearth_err hs_merge_series(hs_series *const *v, size_t n, const int64_t *first, const int64_t *last,
			   int64_t from, int64_t until, unsigned flags, hs_cover_fn cover,
			   void *ctx, hs_acc **totalp, hs_meta *meta, hearth_errbuf *eb)
{
	const int64_t day = 86400LL * 1000000000;
	hs_acc *total = NULL;
	bool have_meta = false;
	const char *st0 = NULL;
	hearth_err err = HEARTH_OK;
	*totalp = NULL;
	memset(meta, 0, sizeof(*meta));
	for (size_t i = 0; i < n; i++) {
		hs_series *x = v[i];
		if (!st0) {
			st0 = x->st;
			if (!(total = hs_acc_new(x->nst, true))) {
				err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
				goto out;
			}
			if (flags & HEARTH_MERGE_NO_LABELS)
				hs_acc_drop_labels(total);
		} else if (strcmp(st0, x->st)) {
			err = hearth_seterr(eb, HEARTH_EINCOMPAT,
					    "incompatible sample types [%s] and [%s]", st0, x->st);
			goto out;
		}
		hs_acc *acc = x->any_avg ? hs_acc_new(x->nst, true) : total;
		if (!acc) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			goto out;
		}
		if (acc != total && (flags & HEARTH_MERGE_NO_LABELS))
			hs_acc_drop_labels(acc);
		/* Narrowed to the series' profiles, widened to whole days within
		 * the range: nothing more is read, and a bucket the range covers
		 * whole stays whole (narrowing to the last profile cut the day's
		 * rollup into hours). */
		int64_t a = hs_floor_to(first ? first[i] : x->first, day);
		int64_t b = hs_floor_to(last ? last[i] : x->last, day) + day;
		hs_meta m = {0};
		bool have = false;
		err = cover(ctx, x, a > from ? a : from, b < until ? b : until, acc, &m, &have, eb);
		int64_t cnt = have ? m.nprofiles : 0;
		if (!err && x->any_avg && cnt > 0) {
			double scale[HS_MAX_ST];
			for (uint32_t k = 0; k < x->nst; k++)
				scale[k] = x->avg[k] ? 1.0 / (double)cnt : 1.0;
			if (hs_acc_add_acc(total, acc, scale))
				err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		}
		if (acc != total)
			hs_acc_free(acc);
		if (have && err)
			hs_meta_free(&m);
		else if (have)
			err = meta_take(meta, &have_meta, &m, eb);
		if (err)
			goto out;
	}
	if (!have_meta || meta->nprofiles == 0)
		err = hearth_seterr(eb, HEARTH_EINVAL, "no profiles in the range");
out:
	if (err) {
		if (have_meta)
			hs_meta_free(meta);
		memset(meta, 0, sizeof(*meta));
		hs_acc_free(total);
		return err;
	}
	*totalp = total;
	return HEARTH_OK;
}
