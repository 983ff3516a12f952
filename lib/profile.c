/* The profile model: growable dense arrays, an interned string table and a
 * bump arena for string bytes. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/profile.h"
#include "util.h"

struct hearth_arena_block {
	hearth_arena_block *next;
	size_t used, cap;
	char data[];
};

#define ARENA_BLOCK (1u << 20)

hearth_profile *hearth_profile_new(void)
{
	hearth_profile *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	if (hearth_add_string(p, "", 0) != 0) {
		hearth_profile_free(p);
		return NULL;
	}
	/* The per-sample arrays are never NULL, even when empty: code takes
	 * p->labels + s->label0 for a sample without labels, and NULL + 0 is
	 * undefined behaviour (clang's UBSan reports it). */
	if (!HEARTH_GROW(p->samples, 0, p->capsamples, 1) ||
	    !HEARTH_GROW(p->values, 0, p->capvalues, 1) || !HEARTH_GROW(p->locs, 0, p->caplocs, 1) ||
	    !HEARTH_GROW(p->labels, 0, p->caplabels, 1) || !HEARTH_GROW(p->lines, 0, p->caplines, 1)) {
		hearth_profile_free(p);
		return NULL;
	}
	return p;
}

void hearth_profile_free(hearth_profile *p)
{
	if (!p)
		return;
	for (hearth_arena_block *b = p->arena, *n; b; b = n) {
		n = b->next;
		free(b);
	}
	free(p->strs);
	free(p->strhash);
	free(p->sample_types);
	free(p->samples);
	free(p->values);
	free(p->locs);
	free(p->labels);
	free(p->mappings);
	free(p->locations);
	free(p->lines);
	free(p->functions);
	free(p->comments);
	free(p);
}

char *hearth_profile_strdup(hearth_profile *p, const char *s, size_t n)
{
	hearth_arena_block *b = p->arena;
	if (n >= UINT32_MAX)
		return NULL;
	if (!b || b->cap - b->used < n + 1) {
		size_t cap = n + 1 > ARENA_BLOCK / 4 ? n + 1 : ARENA_BLOCK;
		hearth_arena_block *nb = malloc(sizeof(*nb) + cap);
		if (!nb)
			return NULL;
		nb->used = 0;
		nb->cap = cap;
		/* A large string gets a block of its own behind the current one, so
		 * the current block's free space is not thrown away. */
		if (b && cap != ARENA_BLOCK) {
			nb->next = b->next;
			b->next = nb;
		} else {
			nb->next = b;
			p->arena = nb;
		}
		b = nb;
	}
	char *d = b->data + b->used;
	if (n)
		memcpy(d, s, n);
	d[n] = 0;
	b->used += n + 1;
	return d;
}

static bool strhash_insert(hearth_profile *p, uint32_t idx)
{
	uint32_t mask = p->strhash_cap - 1;
	uint32_t h = (uint32_t)hearth_hash_bytes(p->strs[idx].s, p->strs[idx].len) & mask;
	while (p->strhash[h] != HEARTH_NONE) {
		const hearth_str *o = &p->strs[p->strhash[h]];
		/* Keep the first of equal strings: a proto string table may hold
		 * duplicates, and interning must return a stable index. */
		if (o->len == p->strs[idx].len && memcmp(o->s, p->strs[idx].s, o->len) == 0)
			return true;
		h = (h + 1) & mask;
	}
	p->strhash[h] = idx;
	return true;
}

static bool strhash_resize(hearth_profile *p, uint32_t want)
{
	uint32_t cap = p->strhash_cap ? p->strhash_cap * 2 : 64;
	while (cap < want * 2u)
		cap *= 2;
	uint32_t *t = malloc(sizeof(*t) * cap);
	if (!t)
		return false;
	memset(t, 0xff, sizeof(*t) * cap);
	free(p->strhash);
	p->strhash = t;
	p->strhash_cap = cap;
	for (uint32_t i = 0; i < p->nstrs; i++)
		strhash_insert(p, i);
	return true;
}

static bool strhash_grow(hearth_profile *p)
{
	return strhash_resize(p, p->nstrs);
}

bool hearth_reserve_strings(hearth_profile *p, uint32_t n)
{
	if (!HEARTH_GROW(p->strs, p->nstrs, p->capstrs, n))
		return false;
	return p->strhash_cap >= (p->nstrs + n) * 2u || strhash_resize(p, p->nstrs + n);
}

uint32_t hearth_add_string(hearth_profile *p, const char *s, size_t n)
{
	if (!HEARTH_GROW(p->strs, p->nstrs, p->capstrs, 1))
		return HEARTH_NONE;
	char *d = hearth_profile_strdup(p, s, n);
	if (!d)
		return HEARTH_NONE;
	uint32_t idx = p->nstrs++;
	p->strs[idx].s = d;
	p->strs[idx].len = (uint32_t)n;
	if (p->strhash) {
		if (p->nstrs * 2u > p->strhash_cap) {
			if (!strhash_grow(p))
				return HEARTH_NONE;
		} else {
			strhash_insert(p, idx);
		}
	}
	return idx;
}

uint32_t hearth_intern(hearth_profile *p, const char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (!p->strhash && !strhash_grow(p))
		return HEARTH_NONE;
	uint32_t mask = p->strhash_cap - 1;
	uint32_t h = (uint32_t)hearth_hash_bytes(s, n) & mask;
	while (p->strhash[h] != HEARTH_NONE) {
		const hearth_str *o = &p->strs[p->strhash[h]];
		if (o->len == n && memcmp(o->s, s, n) == 0)
			return p->strhash[h];
		h = (h + 1) & mask;
	}
	return hearth_add_string(p, s, n);
}

uint32_t hearth_add_sample_type(hearth_profile *p, const char *type, const char *unit)
{
	uint32_t n = p->nsample_types, cap = n;
	if (p->nsamples)
		return HEARTH_NONE; /* values are laid out by the number of types */
	if (!HEARTH_GROW(p->sample_types, n, cap, 1))
		return HEARTH_NONE;
	uint32_t t = hearth_intern_cstr(p, type), u = hearth_intern_cstr(p, unit);
	if (t == HEARTH_NONE || u == HEARTH_NONE)
		return HEARTH_NONE;
	p->sample_types[n].type = t;
	p->sample_types[n].unit = u;
	return p->nsample_types++;
}

uint32_t hearth_add_mapping(hearth_profile *p, const hearth_mapping *m)
{
	if (!HEARTH_GROW(p->mappings, p->nmappings, p->capmappings, 1))
		return HEARTH_NONE;
	p->mappings[p->nmappings] = *m;
	return p->nmappings++;
}

uint32_t hearth_add_function(hearth_profile *p, uint32_t name, uint32_t system_name,
			     uint32_t file, int64_t start_line)
{
	if (!HEARTH_GROW(p->functions, p->nfunctions, p->capfunctions, 1))
		return HEARTH_NONE;
	hearth_function *f = &p->functions[p->nfunctions];
	f->name = name;
	f->system_name = system_name;
	f->file = file;
	f->start_line = start_line;
	return p->nfunctions++;
}

uint32_t hearth_add_location(hearth_profile *p, uint32_t mapping, uint64_t address,
			     const hearth_line *lines, uint32_t nlines, bool is_folded)
{
	if (!HEARTH_GROW(p->locations, p->nlocations, p->caplocations, 1) ||
	    !HEARTH_GROW(p->lines, p->nlines, p->caplines, nlines))
		return HEARTH_NONE;
	hearth_location *l = &p->locations[p->nlocations];
	l->mapping = mapping;
	l->address = address;
	l->line0 = (uint32_t)p->nlines;
	l->nlines = nlines;
	l->is_folded = is_folded;
	if (nlines)
		memcpy(p->lines + p->nlines, lines, sizeof(*lines) * nlines);
	p->nlines += nlines;
	return p->nlocations++;
}

hearth_err hearth_add_sample(hearth_profile *p, const uint32_t *locs, uint32_t nlocs,
			     const int64_t *values, const hearth_label *labels, uint32_t nlabels)
{
	size_t nv = p->nsamples * p->nsample_types;
	if (!HEARTH_GROW(p->samples, p->nsamples, p->capsamples, 1) ||
	    !HEARTH_GROW(p->values, nv, p->capvalues, p->nsample_types) ||
	    !HEARTH_GROW(p->locs, p->nlocs, p->caplocs, nlocs) ||
	    !HEARTH_GROW(p->labels, p->nlabels, p->caplabels, nlabels))
		return HEARTH_ENOMEM;
	if (p->nlocs + nlocs > UINT32_MAX || p->nlabels + nlabels > UINT32_MAX)
		return HEARTH_ETOOBIG;
	hearth_sample *s = &p->samples[p->nsamples];
	s->loc0 = (uint32_t)p->nlocs;
	s->nlocs = nlocs;
	s->label0 = (uint32_t)p->nlabels;
	s->nlabels = nlabels;
	if (nlocs)
		memcpy(p->locs + p->nlocs, locs, sizeof(*locs) * nlocs);
	p->nlocs += nlocs;
	if (nlabels)
		memcpy(p->labels + p->nlabels, labels, sizeof(*labels) * nlabels);
	p->nlabels += nlabels;
	if (p->nsample_types)
		memcpy(p->values + nv, values, sizeof(*values) * p->nsample_types);
	p->nsamples++;
	return HEARTH_OK;
}

hearth_err hearth_add_comment(hearth_profile *p, const char *s, size_t n)
{
	uint32_t i = hearth_intern(p, s, n);
	if (i == HEARTH_NONE || !HEARTH_GROW(p->comments, p->ncomments, p->capcomments, 1))
		return HEARTH_ENOMEM;
	p->comments[p->ncomments++] = i;
	return HEARTH_OK;
}

uint32_t hearth_mapping_for(const hearth_profile *p, uint64_t addr)
{
	for (uint32_t i = 0; i < p->nmappings; i++)
		if (addr >= p->mappings[i].start && addr < p->mappings[i].limit)
			return i;
	return HEARTH_NONE;
}

static const char *const errnames[] = {
	[HEARTH_OK] = "success",
	[HEARTH_ENOMEM] = "out of memory",
	[HEARTH_EIO] = "input/output error",
	[HEARTH_EFORMAT] = "unrecognized profile format",
	[HEARTH_ECORRUPT] = "corrupt profile",
	[HEARTH_ETOOBIG] = "size limit exceeded",
	[HEARTH_EINVAL] = "invalid argument",
	[HEARTH_EINCOMPAT] = "incompatible profiles",
	[HEARTH_ECOST] = "too costly to compute",
	[HEARTH_EBUDGET] = "stopped: over its time budget",
};

const char *hearth_strerror(hearth_err e)
{
	if ((unsigned)e < sizeof(errnames) / sizeof(errnames[0]) && errnames[e])
		return errnames[e];
	return "unknown error";
}

hearth_err hearth_seterr(hearth_errbuf *eb, hearth_err e, const char *fmt, ...)
{
	if (eb) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(eb->msg, sizeof(eb->msg), fmt, ap);
		va_end(ap);
	}
	return e;
}

/* A deep copy: every array at its length, and every string in one arena
 * block (the copy's strings keep their indices, so its hash index is copied
 * as it is). */
hearth_profile *hearth_profile_clone(const hearth_profile *p)
{
	hearth_profile *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	*c = *p;
	c->arena = NULL;
	c->strs = NULL, c->strhash = NULL, c->sample_types = NULL, c->samples = NULL;
	c->values = NULL, c->locs = NULL, c->labels = NULL, c->mappings = NULL;
	c->locations = NULL, c->lines = NULL, c->functions = NULL, c->comments = NULL;
	size_t bytes = 0;
	for (uint32_t i = 0; i < p->nstrs; i++)
		bytes += (size_t)p->strs[i].len + 1;
#define DUP(field, n, capf)                                                                  \
	do {                                                                                 \
		size_t k_ = (size_t)(n), n_ = k_ ? k_ : 1;                                   \
		if (!(c->field = malloc(sizeof(*p->field) * n_)))                            \
			goto fail;                                                           \
		if (k_ && p->field)                                                          \
			memcpy(c->field, p->field, sizeof(*p->field) * k_);                  \
		c->capf = (__typeof__(c->capf))n_;                                           \
	} while (0)
	DUP(strs, p->nstrs, capstrs);
	DUP(samples, p->nsamples, capsamples);
	DUP(values, p->nsamples * p->nsample_types, capvalues);
	DUP(locs, p->nlocs, caplocs);
	DUP(labels, p->nlabels, caplabels);
	DUP(mappings, p->nmappings, capmappings);
	DUP(locations, p->nlocations, caplocations);
	DUP(lines, p->nlines, caplines);
	DUP(functions, p->nfunctions, capfunctions);
	DUP(comments, p->ncomments, capcomments);
#undef DUP
	if (p->nsample_types) {
		if (!(c->sample_types = malloc(sizeof(*c->sample_types) * p->nsample_types)))
			goto fail;
		memcpy(c->sample_types, p->sample_types, sizeof(*c->sample_types) * p->nsample_types);
	}
	if (p->strhash) {
		if (!(c->strhash = malloc(sizeof(*c->strhash) * p->strhash_cap)))
			goto fail;
		memcpy(c->strhash, p->strhash, sizeof(*c->strhash) * p->strhash_cap);
	}
	if (bytes) {
		hearth_arena_block *b = malloc(sizeof(*b) + bytes);
		if (!b)
			goto fail;
		b->next = NULL;
		b->cap = bytes;
		b->used = 0;
		c->arena = b;
		for (uint32_t i = 0; i < p->nstrs; i++) {
			char *d = b->data + b->used;
			memcpy(d, p->strs[i].s, p->strs[i].len);
			d[p->strs[i].len] = 0;
			c->strs[i].s = d;
			b->used += (size_t)p->strs[i].len + 1;
		}
	}
	return c;
fail:
	hearth_profile_free(c);
	return NULL;
}
