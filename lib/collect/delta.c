/* Deltas of cumulative profiles, as godeltaprof sends them: Go's allocs,
 * heap (its alloc_* values), block and mutex profiles count from the start
 * of the program, so each scrape is sent as its difference from the
 * previous scrape of the same target.
 *
 * Samples are matched by content, not by id: a stack is its locations'
 * addresses and their lines (function name, file, line), and its labels
 * (sorted), because ids differ from one scrape to the next.  Samples of
 * equal key within one scrape are summed first, as a merge would. */
#include <stdlib.h>
#include <string.h>

#include "collect/collect.h"

typedef struct {
	uint64_t hash;
	size_t key, keylen; /* into keys */
	size_t vals;	    /* into vals, nvals of them */
	bool used;
} slot;

typedef struct {
	slot *slots;
	size_t cap, n;
	uint8_t *keys;
	size_t nkeys, capkeys;
	int64_t *vals;
	size_t nv, capv;
	size_t nvals; /* values per entry */
} table;

struct hearth_delta {
	table base;
	bool has_base;
	int64_t base_time;
	/* The sample types of the base, "type/unit" each, to notice a
	 * profile of another shape. */
	char *shape;
};

static uint64_t fnv(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ULL;
	return h ? h : 1;
}

static void table_free(table *t)
{
	free(t->slots);
	free(t->keys);
	free(t->vals);
	*t = (table){0};
}

static bool grow(void **p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return true;
	size_t c = *cap ? *cap : 256;
	while (c < need)
		c *= 2;
	void *np = realloc(*p, c * elem);
	if (!np)
		return false;
	*p = np;
	*cap = c;
	return true;
}

/* Small first sizes: a fleet's scraper keeps one table per target and
 * cumulative type, most of them a few dozen stacks. */
static bool rehash(table *t)
{
	size_t cap = t->cap ? t->cap * 2 : 64;
	slot *s = calloc(cap, sizeof(*s));
	if (!s)
		return false;
	for (size_t i = 0; i < t->cap; i++) {
		if (!t->slots[i].used)
			continue;
		size_t j = t->slots[i].hash & (cap - 1);
		while (s[j].used)
			j = (j + 1) & (cap - 1);
		s[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = s;
	t->cap = cap;
	return true;
}

/* The entry of key; created (values zero) when absent and create is set.
 * *created says which.  NULL on OOM or (create false) when absent. */
static int64_t *table_get(table *t, const uint8_t *key, size_t n, bool create, bool *created)
{
	uint64_t h = fnv(key, n);
	*created = false;
	if (t->cap) {
		size_t j = h & (t->cap - 1);
		while (t->slots[j].used) {
			slot *s = &t->slots[j];
			if (s->hash == h && s->keylen == n && !memcmp(t->keys + s->key, key, n))
				return t->vals + s->vals;
			j = (j + 1) & (t->cap - 1);
		}
	}
	if (!create)
		return NULL;
	if ((t->n + 1) * 2 > t->cap && !rehash(t))
		return NULL;
	if (!grow((void **)&t->keys, &t->capkeys, t->nkeys + n, 1) ||
	    !grow((void **)&t->vals, &t->capv, t->nv + t->nvals, sizeof(int64_t)))
		return NULL;
	size_t j = h & (t->cap - 1);
	while (t->slots[j].used)
		j = (j + 1) & (t->cap - 1);
	t->slots[j] = (slot){h, t->nkeys, n, t->nv, true};
	memcpy(t->keys + t->nkeys, key, n);
	t->nkeys += n;
	memset(t->vals + t->nv, 0, t->nvals * sizeof(int64_t));
	t->nv += t->nvals;
	t->n++;
	*created = true;
	return t->vals + t->nv - t->nvals;
}

typedef struct {
	uint8_t *d;
	size_t n, cap;
	bool oom;
} bytes;

static void put(bytes *b, const void *p, size_t n)
{
	if (b->oom || !grow((void **)&b->d, &b->cap, b->n + n, 1)) {
		b->oom = true;
		return;
	}
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static void put_u64(bytes *b, uint64_t v)
{
	put(b, &v, sizeof(v));
}

static void put_str(bytes *b, const hearth_profile *p, uint32_t s)
{
	const char *v = hearth_s(p, s);
	uint64_t n = strlen(v);
	put_u64(b, n);
	put(b, v, n);
}

static const hearth_profile *sort_prof;

static int cmp_label(const void *a, const void *b)
{
	const hearth_label *x = a, *y = b;
	int c = strcmp(hearth_s(sort_prof, x->key), hearth_s(sort_prof, y->key));
	if (c)
		return c;
	c = strcmp(hearth_s(sort_prof, x->str), hearth_s(sort_prof, y->str));
	if (c)
		return c;
	return x->num < y->num ? -1 : x->num > y->num;
}

/* The key of sample i: its stack and its labels, by content. */
static void sample_key(const hearth_profile *p, size_t i, bytes *b, hearth_label *tmp)
{
	const hearth_sample *s = &p->samples[i];
	b->n = 0;
	put_u64(b, s->nlocs);
	for (uint32_t k = 0; k < s->nlocs; k++) {
		const hearth_location *l = &p->locations[p->locs[s->loc0 + k]];
		put_u64(b, l->address);
		put_u64(b, l->nlines);
		for (uint32_t m = 0; m < l->nlines; m++) {
			const hearth_line *ln = &p->lines[l->line0 + m];
			const hearth_function *f = &p->functions[ln->function];
			put_str(b, p, f->name);
			put_str(b, p, f->file);
			put_u64(b, (uint64_t)ln->line);
		}
	}
	memcpy(tmp, p->labels + s->label0, s->nlabels * sizeof(*tmp));
	sort_prof = p;
	qsort(tmp, s->nlabels, sizeof(*tmp), cmp_label);
	put_u64(b, s->nlabels);
	for (uint32_t k = 0; k < s->nlabels; k++) {
		put_str(b, p, tmp[k].key);
		put_str(b, p, tmp[k].str);
		put_u64(b, (uint64_t)tmp[k].num);
		put_str(b, p, tmp[k].unit);
	}
}

hearth_delta *hearth_delta_new(void)
{
	return calloc(1, sizeof(hearth_delta));
}

void hearth_delta_free(hearth_delta *d)
{
	if (!d)
		return;
	table_free(&d->base);
	free(d->shape);
	free(d);
}

static char *shape_of(const hearth_profile *p)
{
	bytes b = {0};
	for (uint32_t i = 0; i < p->nsample_types; i++) {
		const char *t = hearth_s(p, p->sample_types[i].type);
		const char *u = hearth_s(p, p->sample_types[i].unit);
		put(&b, t, strlen(t));
		put(&b, "/", 1);
		put(&b, u, strlen(u));
		put(&b, ",", 1);
	}
	put(&b, "", 1);
	if (b.oom) {
		free(b.d);
		return NULL;
	}
	return (char *)b.d;
}

hearth_err hearth_delta_next(hearth_delta *d, const hearth_profile *cur, hearth_profile **out,
			     hearth_delta_kind *kind, hearth_errbuf *eb)
{
	*out = NULL;
	*kind = HEARTH_DELTA_BASE;
	size_t nt = cur->nsample_types;
	hearth_err err = HEARTH_OK;
	table agg = {.nvals = nt};
	bytes key = {0};
	hearth_label *tmp = NULL;
	hearth_profile *res = NULL;
	uint8_t *first = NULL; /* per sample: the first of its key */
	int64_t **slotof = NULL;
	char *shape = shape_of(cur);
	size_t maxlabels = 0;
	if (!shape)
		goto oom;
	/* Which values are cumulative: a heap profile's alloc_* only. */
	bool cum[64] = {0};
	if (nt > 64)
		return hearth_seterr(eb, HEARTH_EINVAL, "delta: %zu sample types, more than 64",
				     nt);
	bool heap = false;
	for (size_t i = 0; i < nt; i++)
		if (!strncmp(hearth_s(cur, cur->sample_types[i].type), "inuse_", 6))
			heap = true;
	for (size_t i = 0; i < nt; i++)
		cum[i] = !heap || !strncmp(hearth_s(cur, cur->sample_types[i].type), "alloc_", 6);

	for (size_t i = 0; i < cur->nsamples; i++)
		if (cur->samples[i].nlabels > maxlabels)
			maxlabels = cur->samples[i].nlabels;
	if (!(tmp = malloc((maxlabels ? maxlabels : 1) * sizeof(*tmp))) ||
	    !(first = calloc(cur->nsamples ? cur->nsamples : 1, 1)) ||
	    !(slotof = calloc(cur->nsamples ? cur->nsamples : 1, sizeof(*slotof))))
		goto oom;
	/* Sum the scrape by key; remember each key's first sample. */
	size_t *valoff = calloc(cur->nsamples ? cur->nsamples : 1, sizeof(*valoff));
	if (!valoff)
		goto oom;
	for (size_t i = 0; i < cur->nsamples; i++) {
		sample_key(cur, i, &key, tmp);
		bool created;
		int64_t *v = key.oom ? NULL : table_get(&agg, key.d, key.n, true, &created);
		if (!v) {
			free(valoff);
			goto oom;
		}
		first[i] = created;
		valoff[i] = (size_t)(v - agg.vals);
		const int64_t *sv = hearth_sample_values(cur, i);
		for (size_t k = 0; k < nt; k++)
			v[k] += sv[k];
	}
	bool same_shape = d->has_base && d->shape && !strcmp(d->shape, shape);
	if (same_shape) {
		/* A counter that went down, or a stack that vanished: the
		 * program restarted (or is another one). */
		bool restart = false;
		for (size_t j = 0; j < d->base.cap && !restart; j++) {
			slot *s = &d->base.slots[j];
			if (!s->used)
				continue;
			bool created;
			int64_t *cv =
			    table_get(&agg, d->base.keys + s->key, s->keylen, false, &created);
			const int64_t *bv = d->base.vals + s->vals;
			for (size_t k = 0; k < nt && !restart; k++)
				if (cum[k] && (cv ? cv[k] : 0) < bv[k])
					restart = true;
		}
		if (!(res = hearth_profile_clone(cur))) {
			free(valoff);
			goto oom;
		}
		size_t keep = 0;
		for (size_t i = 0; i < cur->nsamples; i++) {
			if (!first[i])
				continue;
			int64_t *cv = agg.vals + valoff[i];
			bool created;
			int64_t *bv = NULL;
			if (!restart) {
				sample_key(cur, i, &key, tmp);
				if (key.oom) {
					free(valoff);
					goto oom;
				}
				bv = table_get(&d->base, key.d, key.n, false, &created);
			}
			bool nonzero = false;
			int64_t *ov = hearth_sample_values(res, keep);
			for (size_t k = 0; k < nt; k++) {
				ov[k] = cv[k] - (cum[k] && bv ? bv[k] : 0);
				nonzero |= ov[k] != 0;
			}
			if (!nonzero)
				continue;
			res->samples[keep] = cur->samples[i];
			keep++;
		}
		res->nsamples = keep;
		if (!restart && d->base_time && cur->time_nanos > d->base_time)
			res->duration_nanos = cur->time_nanos - d->base_time;
		*kind = restart ? HEARTH_DELTA_RESTART : HEARTH_DELTA_OK;
	}
	free(valoff);
	/* cur is the next call's base. */
	table_free(&d->base);
	d->base = agg;
	agg = (table){0};
	free(d->shape);
	d->shape = shape;
	shape = NULL;
	d->has_base = true;
	d->base_time = cur->time_nanos;
	*out = res;
	res = NULL;
	goto out;
oom:
	err = hearth_seterr(eb, HEARTH_ENOMEM, "delta: out of memory");
out:
	hearth_profile_free(res);
	table_free(&agg);
	free(key.d);
	free(tmp);
	free(first);
	free(slotof);
	free(shape);
	return err;
}
