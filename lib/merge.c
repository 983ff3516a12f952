/* Merging profiles with pprof's rules (profile/merge.go): functions,
 * mappings and locations are deduplicated by what they say, not by their
 * ids; samples with the same stack and labels are summed; samples whose
 * values are all zero are dropped.  Also -base (subtract) and -diff_base
 * (subtract, marked so totals come from the base). */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "hearth/fetch.h"
#include "hearth/io.h"
#include "hearth/measure.h"
#include "hearth/sources.h"
#include "hearth/symbolize.h"
#include "util.h"

/* A hash set of byte keys, each mapping to a uint32 index. */
typedef struct {
	uint64_t *hash;
	uint32_t *val;
	uint32_t *koff, *klen; /* key bytes in keys */
	uint8_t *keys;
	size_t nkeys, capkeys;
	size_t cap, n;
} keyset;

static bool ks_grow(keyset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 1024;
	uint64_t *h = calloc(cap, sizeof(*h));
	uint32_t *v = malloc(cap * sizeof(*v)), *o = malloc(cap * sizeof(*o)),
		 *l = malloc(cap * sizeof(*l));
	if (!h || !v || !o || !l) {
		free(h), free(v), free(o), free(l);
		return false;
	}
	for (size_t i = 0; i < s->cap; i++) {
		if (!s->hash[i])
			continue;
		size_t j = s->hash[i] & (cap - 1);
		while (h[j])
			j = (j + 1) & (cap - 1);
		h[j] = s->hash[i], v[j] = s->val[i], o[j] = s->koff[i], l[j] = s->klen[i];
	}
	free(s->hash), free(s->val), free(s->koff), free(s->klen);
	s->hash = h, s->val = v, s->koff = o, s->klen = l, s->cap = cap;
	return true;
}

/* Returns the index stored for key, or stores val and returns it.
 * HEARTH_NONE on OOM. */
static uint32_t ks_get_or_put(keyset *s, const void *key, size_t n, uint32_t val)
{
	if ((s->n + 1) * 2 > s->cap && !ks_grow(s))
		return HEARTH_NONE;
	uint64_t h = hearth_hash_bytes(key, n) | 1; /* 0 marks an empty slot */
	size_t j = h & (s->cap - 1);
	while (s->hash[j]) {
		if (s->hash[j] == h && s->klen[j] == n && !memcmp(s->keys + s->koff[j], key, n))
			return s->val[j];
		j = (j + 1) & (s->cap - 1);
	}
	if (s->nkeys + n > UINT32_MAX || !HEARTH_GROW(s->keys, s->nkeys, s->capkeys, n))
		return HEARTH_NONE;
	memcpy(s->keys + s->nkeys, key, n);
	s->hash[j] = h, s->val[j] = val, s->koff[j] = (uint32_t)s->nkeys, s->klen[j] = (uint32_t)n;
	s->nkeys += n;
	s->n++;
	return val;
}

static void ks_free(keyset *s)
{
	free(s->hash), free(s->val), free(s->koff), free(s->klen), free(s->keys);
	memset(s, 0, sizeof(*s));
}

/* A growable scratch array of 64-bit words, to build keys in. */
typedef struct {
	uint64_t *w;
	size_t n, cap;
	bool oom;
} words;

static void w_put(words *k, uint64_t v)
{
	if (k->oom || !HEARTH_GROW(k->w, k->n, k->cap, 1)) {
		k->oom = true;
		return;
	}
	k->w[k->n++] = v;
}

typedef struct {
	hearth_profile *d;
	keyset fn, map, loc, smp;
	words key;
	/* per source, reset for each */
	uint32_t *strmap, *fnmap, *locmap;
	uint32_t *mapmap;
	int64_t *mapoff;
	hearth_label *lbuf;
	size_t lcap;
	uint32_t *lstack;
	size_t lscap;
	bool concat; /* append samples without looking for equal ones */
	bool no_labels; /* HEARTH_MERGE_NO_LABELS */
	/* The source merged before, when the merger owns it (load_set): the
	 * files of a series declare nearly the same tables, so whatever the
	 * next one declares as the previous one did keeps its remap. */
	hearth_profile *prev;
} merger;

static uint32_t m_str(merger *m, const hearth_profile *s, uint32_t i)
{
	if (m->strmap[i] == HEARTH_NONE)
		m->strmap[i] = hearth_intern(m->d, s->strs[i].s, s->strs[i].len);
	return m->strmap[i];
}

static uint32_t m_mapping(merger *m, const hearth_profile *s, uint32_t mi)
{
	if (mi == HEARTH_NONE)
		return HEARTH_NONE;
	if (m->mapmap[mi] != HEARTH_NONE)
		return m->mapmap[mi];
	const hearth_mapping *sm = &s->mappings[mi];
	/* pprof's mapping key: size rounded up to 4 KiB, offset, build id or file. */
	uint64_t size = sm->limit - sm->start;
	size = size + 0xfff;
	size -= size % 0x1000;
	uint32_t who = sm->build_id ? m_str(m, s, sm->build_id)
		       : sm->file   ? m_str(m, s, sm->file)
				    : 0;
	uint64_t key[4] = {size, sm->offset, who, sm->build_id ? 1 : sm->file ? 2 : 0};
	uint32_t idx = ks_get_or_put(&m->map, key, sizeof(key), m->d->nmappings);
	if (idx == HEARTH_NONE)
		return HEARTH_NONE;
	if (idx == m->d->nmappings) {
		hearth_mapping nm = *sm;
		nm.file = m_str(m, s, sm->file);
		nm.build_id = m_str(m, s, sm->build_id);
		if (hearth_add_mapping(m->d, &nm) == HEARTH_NONE)
			return HEARTH_NONE;
		m->mapoff[mi] = 0;
	} else {
		m->mapoff[mi] = (int64_t)(m->d->mappings[idx].start - sm->start);
	}
	m->mapmap[mi] = idx;
	return idx;
}

static uint32_t m_function(merger *m, const hearth_profile *s, uint32_t fi)
{
	if (fi == HEARTH_NONE)
		return HEARTH_NONE;
	if (m->fnmap[fi] != HEARTH_NONE)
		return m->fnmap[fi];
	const hearth_function *f = &s->functions[fi];
	uint64_t key[4] = {(uint64_t)f->start_line, m_str(m, s, f->name),
			   m_str(m, s, f->system_name), m_str(m, s, f->file)};
	uint32_t idx = ks_get_or_put(&m->fn, key, sizeof(key), m->d->nfunctions);
	if (idx == m->d->nfunctions &&
	    hearth_add_function(m->d, (uint32_t)key[1], (uint32_t)key[2], (uint32_t)key[3],
				f->start_line) == HEARTH_NONE)
		return HEARTH_NONE;
	m->fnmap[fi] = idx;
	return idx;
}

static uint32_t m_location(merger *m, const hearth_profile *s, uint32_t li)
{
	if (m->locmap[li] != HEARTH_NONE)
		return m->locmap[li];
	const hearth_location *l = &s->locations[li];
	uint32_t mi = m_mapping(m, s, l->mapping);
	if (l->mapping != HEARTH_NONE && mi == HEARTH_NONE)
		return HEARTH_NONE;
	uint64_t addr =
	    l->address + (uint64_t)(l->mapping != HEARTH_NONE ? m->mapoff[l->mapping] : 0);
	hearth_line lines[64], *lp = lines;
	if (l->nlines > 64 && !(lp = malloc(sizeof(*lp) * l->nlines)))
		return HEARTH_NONE;
	m->key.n = 0;
	w_put(&m->key, mi != HEARTH_NONE ? addr - m->d->mappings[mi].start : addr);
	w_put(&m->key, mi);
	w_put(&m->key, l->is_folded);
	for (uint32_t i = 0; i < l->nlines; i++) {
		const hearth_line *ln = &s->lines[l->line0 + i];
		lp[i] = *ln;
		lp[i].function = m_function(m, s, ln->function);
		if (ln->function != HEARTH_NONE && lp[i].function == HEARTH_NONE)
			m->key.oom = true;
		w_put(&m->key, lp[i].function);
		w_put(&m->key, (uint64_t)ln->line);
	}
	uint32_t idx = HEARTH_NONE;
	if (!m->key.oom)
		idx = ks_get_or_put(&m->loc, m->key.w, m->key.n * 8, m->d->nlocations);
	if (idx != HEARTH_NONE && idx == m->d->nlocations &&
	    hearth_add_location(m->d, mi, addr, lp, l->nlines, l->is_folded) == HEARTH_NONE)
		idx = HEARTH_NONE;
	if (lp != lines)
		free(lp);
	m->locmap[li] = idx;
	return idx;
}

static int cmp_label(const void *a, const void *b)
{
	const hearth_label *x = a, *y = b;
	bool nx = x->str == 0, ny = y->str == 0;
	if (nx != ny)
		return nx ? 1 : -1;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return 0;
}

/* Labels sorted by kind and key, keeping the order of values within a key,
 * so that equal label maps give equal keys (a stable sort by hand: labels
 * are few). */
static void sort_labels(hearth_label *l, uint32_t n)
{
	for (uint32_t i = 1; i < n; i++) {
		hearth_label x = l[i];
		uint32_t j = i;
		while (j > 0 && cmp_label(&l[j - 1], &x) > 0) {
			l[j] = l[j - 1];
			j--;
		}
		l[j] = x;
	}
}

/* Samples are found by a hash of their stack and labels and compared with
 * the merged sample itself, so no key bytes are stored: a 1M-sample merge
 * would otherwise keep hundreds of megabytes of keys. */
static uint64_t sample_hash(const uint32_t *locs, uint32_t nlocs, const hearth_label *lb,
			    uint32_t nl)
{
	uint64_t h = 0x84222325cbf29ce4ull ^ nlocs;
	for (uint32_t i = 0; i < nlocs; i++) {
		h = (h ^ locs[i]) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 31;
	}
	for (uint32_t i = 0; i < nl; i++) {
		h = (h ^ ((uint64_t)lb[i].key << 32 | lb[i].str)) * 0x94d049bb133111ebull;
		h = (h ^ (uint64_t)lb[i].num ^ (uint64_t)lb[i].unit << 40) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 29;
	}
	return h | 1;
}

static bool sample_equal(const hearth_profile *d, uint32_t si, const uint32_t *locs, uint32_t nlocs,
			 const hearth_label *lb, uint32_t nl)
{
	const hearth_sample *s = &d->samples[si];
	if (s->nlocs != nlocs || s->nlabels != nl)
		return false;
	if (memcmp(d->locs + s->loc0, locs, sizeof(*locs) * nlocs) != 0)
		return false;
	for (uint32_t i = 0; i < nl; i++) {
		const hearth_label *a = &d->labels[s->label0 + i];
		if (a->key != lb[i].key || a->str != lb[i].str || a->num != lb[i].num ||
		    a->unit != lb[i].unit)
			return false;
	}
	return true;
}

/* Returns the merged sample equal to m->lstack/m->lbuf, or d->nsamples when
 * there is none (the caller adds it), or HEARTH_NONE on OOM. */
static uint32_t find_sample(merger *m, uint32_t nlocs, uint32_t nl)
{
	keyset *t = &m->smp;
	const hearth_profile *d = m->d;
	if ((t->n + 1) * 2 > t->cap && !ks_grow(t))
		return HEARTH_NONE;
	uint64_t h = sample_hash(m->lstack, nlocs, m->lbuf, nl);
	size_t j = h & (t->cap - 1);
	while (t->hash[j]) {
		if (t->hash[j] == h && sample_equal(d, t->val[j], m->lstack, nlocs, m->lbuf, nl))
			return t->val[j];
		j = (j + 1) & (t->cap - 1);
	}
	t->hash[j] = h;
	t->val[j] = (uint32_t)d->nsamples;
	t->koff[j] = t->klen[j] = 0;
	t->n++;
	return (uint32_t)d->nsamples;
}

static bool same_str(const hearth_profile *a, const hearth_profile *b, uint32_t i)
{
	return a->strs[i].len == b->strs[i].len &&
	       !memcmp(a->strs[i].s, b->strs[i].s, a->strs[i].len);
}

/* Carries the remap of the previous source (p, whose maps m still holds)
 * over to the entries of s that say what p's entries at the same index said:
 * the same strings, the same function, mapping and location fields (their
 * string indices then mean the same strings).  What is carried is what
 * m_str, m_function, m_mapping and m_location would compute again. */
static hearth_err carry_over(merger *m, const hearth_profile *p, const hearth_profile *s,
			     uint32_t *strmap, uint32_t *fnmap, uint32_t *locmap, uint32_t *mapmap,
			     int64_t *mapoff)
{
	uint32_t ns = s->nstrs < p->nstrs ? s->nstrs : p->nstrs;
	uint8_t *same = calloc((size_t)s->nstrs + 1, 1);
	if (!same)
		return HEARTH_ENOMEM;
	for (uint32_t i = 0; i < ns; i++)
		if (same_str(p, s, i)) {
			same[i] = 1;
			strmap[i] = m->strmap[i];
		}
	uint32_t nm = s->nmappings < p->nmappings ? s->nmappings : p->nmappings;
	for (uint32_t i = 0; i < nm; i++) {
		const hearth_mapping *a = &p->mappings[i], *b = &s->mappings[i];
		if (a->start == b->start && a->limit == b->limit && a->offset == b->offset &&
		    a->file == b->file && a->build_id == b->build_id && same[b->file] &&
		    same[b->build_id]) {
			mapmap[i] = m->mapmap[i];
			mapoff[i] = m->mapoff[i];
		}
	}
	uint32_t nf = s->nfunctions < p->nfunctions ? s->nfunctions : p->nfunctions;
	for (uint32_t i = 0; i < nf; i++) {
		const hearth_function *a = &p->functions[i], *b = &s->functions[i];
		if (a->name == b->name && a->system_name == b->system_name && a->file == b->file &&
		    a->start_line == b->start_line && same[b->name] && same[b->system_name] &&
		    same[b->file])
			fnmap[i] = m->fnmap[i];
	}
	uint32_t nl = s->nlocations < p->nlocations ? s->nlocations : p->nlocations;
	for (uint32_t i = 0; i < nl; i++) {
		const hearth_location *a = &p->locations[i], *b = &s->locations[i];
		if (m->locmap[i] == HEARTH_NONE || a->mapping != b->mapping ||
		    a->address != b->address || a->nlines != b->nlines ||
		    a->is_folded != b->is_folded)
			continue;
		/* Its mapping must keep its remap (the address is relative to it):
		 * mapmap holds either the carried remap or none. */
		if (b->mapping != HEARTH_NONE &&
		    (b->mapping >= nm || mapmap[b->mapping] == HEARTH_NONE))
			continue;
		bool eq = true;
		for (uint32_t k = 0; k < b->nlines && eq; k++) {
			const hearth_line *x = &p->lines[a->line0 + k],
					  *y = &s->lines[b->line0 + k];
			eq = x->function == y->function && x->line == y->line &&
			     (y->function == HEARTH_NONE ||
			      (y->function < nf && fnmap[y->function] != HEARTH_NONE));
		}
		if (eq)
			locmap[i] = m->locmap[i];
	}
	free(same);
	return HEARTH_OK;
}

/* Whether lb is the mark of a -diff_base sample (pprof::base), which a
 * merge without labels keeps: the report's totals come from the samples it
 * marks, so a profile written with -diff_base reads the same either way. */
static bool base_mark(const hearth_profile *s, const hearth_label *lb)
{
	static const char k[] = "pprof::base";
	const hearth_str *ks = &s->strs[lb->key];
	return lb->str && ks->len == sizeof(k) - 1 && !memcmp(ks->s, k, sizeof(k) - 1);
}

/* merge_one's loop when samples are appended (concat): the same samples,
 * written straight into the merged profile's arrays, with room made once
 * per source instead of a copy of each sample's stack and four checks of
 * capacity per sample (millions of samples in a day-long series). */
static hearth_err append_samples(merger *m, const hearth_profile *s, hearth_errbuf *eb)
{
	hearth_profile *d = m->d;
	uint32_t nt = s->nsample_types;
	size_t nv = d->nsamples * nt;
	if (!HEARTH_GROW(d->samples, d->nsamples, d->capsamples, s->nsamples) ||
	    !HEARTH_GROW(d->values, nv, d->capvalues, s->nsamples * nt) ||
	    !HEARTH_GROW(d->locs, d->nlocs, d->caplocs, s->nlocs) ||
	    !HEARTH_GROW(d->labels, d->nlabels, d->caplabels, s->nlabels))
		return HEARTH_ENOMEM;
	for (size_t si = 0; si < s->nsamples; si++) {
		const hearth_sample *sm = &s->samples[si];
		const int64_t *v = s->values + si * nt;
		bool zero = true;
		for (uint32_t i = 0; i < nt && zero; i++)
			zero = v[i] == 0;
		if (zero)
			continue;
		if (d->nlocs + sm->nlocs > UINT32_MAX || d->nlabels + sm->nlabels > UINT32_MAX)
			return hearth_seterr(eb, HEARTH_ETOOBIG, "%s",
					     hearth_strerror(HEARTH_ETOOBIG));
		const uint32_t *sl = s->locs + sm->loc0;
		uint32_t *dl = d->locs + d->nlocs;
		for (uint32_t i = 0; i < sm->nlocs; i++) {
			uint32_t x = m->locmap[sl[i]];
			if (x == HEARTH_NONE && (x = m_location(m, s, sl[i])) == HEARTH_NONE)
				return HEARTH_ENOMEM;
			dl[i] = x;
		}
		hearth_label *dlb = d->labels + d->nlabels;
		uint32_t nl = 0;
		for (uint32_t i = 0; i < sm->nlabels; i++) {
			const hearth_label *lb = &s->labels[sm->label0 + i];
			if ((!hearth_label_is_str(lb) && !hearth_label_is_num(lb)) ||
			    (m->no_labels && !base_mark(s, lb)))
				continue;
			hearth_label x = *lb;
			x.key = m_str(m, s, lb->key);
			x.str = m_str(m, s, lb->str);
			x.unit = m_str(m, s, lb->unit);
			dlb[nl++] = x;
		}
		sort_labels(dlb, nl);
		hearth_sample *ds = &d->samples[d->nsamples++];
		ds->loc0 = (uint32_t)d->nlocs;
		ds->nlocs = sm->nlocs;
		ds->label0 = (uint32_t)d->nlabels;
		ds->nlabels = nl;
		d->nlocs += sm->nlocs;
		d->nlabels += nl;
		memcpy(d->values + nv, v, sizeof(*v) * nt);
		nv += nt;
	}
	return HEARTH_OK;
}

static hearth_err merge_one(merger *m, const hearth_profile *s, hearth_errbuf *eb)
{
	hearth_profile *d = m->d;
	uint32_t *strmap = malloc(sizeof(uint32_t) * (s->nstrs + 1));
	uint32_t *fnmap = malloc(sizeof(uint32_t) * (s->nfunctions + 1));
	uint32_t *locmap = malloc(sizeof(uint32_t) * (s->nlocations + 1));
	uint32_t *mapmap = malloc(sizeof(uint32_t) * (s->nmappings + 1));
	int64_t *mapoff = calloc(s->nmappings + 1, sizeof(int64_t));
	hearth_err cerr = HEARTH_OK;
	if (strmap && fnmap && locmap && mapmap && mapoff) {
		memset(strmap, 0xff, sizeof(uint32_t) * (s->nstrs + 1));
		memset(fnmap, 0xff, sizeof(uint32_t) * (s->nfunctions + 1));
		memset(locmap, 0xff, sizeof(uint32_t) * (s->nlocations + 1));
		memset(mapmap, 0xff, sizeof(uint32_t) * (s->nmappings + 1));
		if (m->prev && m->prev != s && m->strmap)
			cerr = carry_over(m, m->prev, s, strmap, fnmap, locmap, mapmap, mapoff);
	}
	free(m->strmap), free(m->fnmap), free(m->locmap), free(m->mapmap), free(m->mapoff);
	m->strmap = strmap, m->fnmap = fnmap, m->locmap = locmap, m->mapmap = mapmap;
	m->mapoff = mapoff;
	if (!m->strmap || !m->fnmap || !m->locmap || !m->mapmap || !m->mapoff || cerr)
		return HEARTH_ENOMEM;
	m->strmap[0] = 0;
	/* The first mapping is the main binary: it must stay first. */
	if (d->nmappings == 0 && s->nmappings > 0 && m_mapping(m, s, 0) == HEARTH_NONE)
		return HEARTH_ENOMEM;
	if (m->concat)
		return append_samples(m, s, eb);
	uint32_t nt = s->nsample_types;
	for (size_t si = 0; si < s->nsamples; si++) {
		const hearth_sample *sm = &s->samples[si];
		const int64_t *v = s->values + si * nt;
		bool zero = true;
		for (uint32_t i = 0; i < nt && zero; i++)
			zero = v[i] == 0;
		if (zero)
			continue;
		if (!HEARTH_GROW(m->lstack, 0, m->lscap, sm->nlocs) ||
		    !HEARTH_GROW(m->lbuf, 0, m->lcap, sm->nlabels))
			return HEARTH_ENOMEM;
		const uint32_t *sl = s->locs + sm->loc0, *locmap = m->locmap;
		for (uint32_t i = 0; i < sm->nlocs; i++) {
			uint32_t x = locmap[sl[i]];
			if (x == HEARTH_NONE && (x = m_location(m, s, sl[i])) == HEARTH_NONE)
				return HEARTH_ENOMEM;
			m->lstack[i] = x;
		}
		uint32_t nl = 0;
		for (uint32_t i = 0; i < sm->nlabels; i++) {
			const hearth_label *lb = &s->labels[sm->label0 + i];
			if ((!hearth_label_is_str(lb) && !hearth_label_is_num(lb)) ||
			    (m->no_labels && !base_mark(s, lb)))
				continue;
			hearth_label x = *lb;
			x.key = m_str(m, s, lb->key);
			x.str = m_str(m, s, lb->str);
			x.unit = m_str(m, s, lb->unit);
			m->lbuf[nl++] = x;
		}
		sort_labels(m->lbuf, nl);
		uint32_t idx = m->concat ? (uint32_t)d->nsamples : find_sample(m, sm->nlocs, nl);
		if (idx == HEARTH_NONE)
			return HEARTH_ENOMEM;
		if (idx == d->nsamples) {
			hearth_err e = hearth_add_sample(d, m->lstack, sm->nlocs, v, m->lbuf, nl);
			if (e)
				return hearth_seterr(eb, e, "%s", hearth_strerror(e));
		} else {
			int64_t *dv = d->values + (size_t)idx * nt;
			for (uint32_t i = 0; i < nt; i++)
				dv[i] += v[i];
		}
	}
	return HEARTH_OK;
}

static bool same_vt(const hearth_profile *a, hearth_value_type x, const hearth_profile *b,
		    hearth_value_type y)
{
	return !strcmp(hearth_s(a, x.type), hearth_s(b, y.type)) &&
	       !strcmp(hearth_s(a, x.unit), hearth_s(b, y.unit));
}

static void vt_string(const hearth_profile *p, const hearth_value_type *v, uint32_t n, char *out,
		      size_t len)
{
	size_t w = 0;
	out[0] = 0;
	for (uint32_t i = 0; i < n && w < len; i++)
		w += (size_t)snprintf(out + w, len - w, "%s%s/%s", i ? " " : "",
				      hearth_s(p, v[i].type), hearth_s(p, v[i].unit));
}

struct hearth_merger {
	merger m;
	int added;
};

hearth_err hearth_merger_new(hearth_merger **out)
{
	hearth_merger *mg = calloc(1, sizeof(*mg));
	*out = mg;
	return mg ? HEARTH_OK : HEARTH_ENOMEM;
}

void hearth_merger_concat(hearth_merger *mg)
{
	mg->m.concat = true;
}

void hearth_merger_flags(hearth_merger *mg, unsigned flags)
{
	mg->m.no_labels = (flags & HEARTH_MERGE_NO_LABELS) != 0;
}

void hearth_merger_free(hearth_merger *mg)
{
	if (!mg)
		return;
	merger *m = &mg->m;
	ks_free(&m->fn), ks_free(&m->map), ks_free(&m->loc), ks_free(&m->smp);
	free(m->key.w), free(m->strmap), free(m->fnmap), free(m->locmap), free(m->mapmap);
	free(m->mapoff), free(m->lbuf), free(m->lstack);
	hearth_profile_free(m->d);
	hearth_profile_free(m->prev);
	free(mg);
}

/* The header of the first profile, as pprof's combineHeaders takes it. */
static hearth_err begin(merger *m, const hearth_profile *p0)
{
	hearth_profile *d = hearth_profile_new();
	if (!d)
		return HEARTH_ENOMEM;
	m->d = d;
	for (uint32_t k = 0; k < p0->nsample_types; k++)
		if (hearth_add_sample_type(d, hearth_s(p0, p0->sample_types[k].type),
					   hearth_s(p0, p0->sample_types[k].unit)) == HEARTH_NONE)
			return HEARTH_ENOMEM;
	d->period_type.type = hearth_intern_cstr(d, hearth_s(p0, p0->period_type.type));
	d->period_type.unit = hearth_intern_cstr(d, hearth_s(p0, p0->period_type.unit));
	d->drop_frames = hearth_intern_cstr(d, hearth_s(p0, p0->drop_frames));
	d->keep_frames = hearth_intern_cstr(d, hearth_s(p0, p0->keep_frames));
	d->doc_url = hearth_intern_cstr(d, hearth_s(p0, p0->doc_url));
	return HEARTH_OK;
}

static hearth_err check_compatible(const hearth_profile *d, const hearth_profile *q,
				   hearth_errbuf *eb)
{
	if (!same_vt(d, d->period_type, q, q->period_type))
		return hearth_seterr(
		    eb, HEARTH_EINCOMPAT, "incompatible period types %s/%s and %s/%s",
		    hearth_s(d, d->period_type.type), hearth_s(d, d->period_type.unit),
		    hearth_s(q, q->period_type.type), hearth_s(q, q->period_type.unit));
	bool ok = d->nsample_types == q->nsample_types;
	for (uint32_t k = 0; ok && k < d->nsample_types; k++)
		ok = same_vt(d, d->sample_types[k], q, q->sample_types[k]);
	if (!ok) {
		char a[200], b[200];
		vt_string(d, d->sample_types, d->nsample_types, a, sizeof(a));
		vt_string(q, q->sample_types, q->nsample_types, b, sizeof(b));
		return hearth_seterr(eb, HEARTH_EINCOMPAT,
				     "incompatible sample types [%s] and [%s]", a, b);
	}
	return HEARTH_OK;
}

static hearth_err add(hearth_merger *mg, const hearth_profile *q, hearth_errbuf *eb)
{
	merger *m = &mg->m;
	hearth_err err;
	if (!m->d && (err = begin(m, q)))
		return hearth_seterr(eb, err, "out of memory");
	if ((err = check_compatible(m->d, q, eb)))
		return err;
	hearth_profile *d = m->d;
	if (mg->added == 0 || d->time_nanos == 0 || q->time_nanos < d->time_nanos)
		d->time_nanos = q->time_nanos;
	d->duration_nanos += q->duration_nanos;
	if (d->period == 0 || d->period < q->period)
		d->period = q->period;
	for (uint32_t c = 0; c < q->ncomments; c++) {
		const char *cs = hearth_s(q, q->comments[c]);
		bool seen = false;
		for (uint32_t k = 0; k < d->ncomments && !seen; k++)
			seen = !strcmp(hearth_s(d, d->comments[k]), cs);
		if (!seen && hearth_add_comment(d, cs, strlen(cs)))
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	if (!d->default_sample_type && q->default_sample_type)
		d->default_sample_type = hearth_intern_cstr(d, hearth_s(q, q->default_sample_type));
	mg->added++;
	err = merge_one(m, q, eb);
	if (err == HEARTH_ENOMEM)
		hearth_seterr(eb, err, "out of memory");
	return err;
}

hearth_err hearth_merger_add(hearth_merger *mg, const hearth_profile *q, hearth_errbuf *eb)
{
	hearth_err err = add(mg, q, eb);
	/* The maps now belong to q, which stays the caller's. */
	hearth_profile_free(mg->m.prev);
	mg->m.prev = NULL;
	return err;
}

/* hearth_merger_add for a source the merger then owns: it keeps it until
 * the next one, whose entries that equal its entries keep their remap. */
static hearth_err merger_add_owned(hearth_merger *mg, hearth_profile *q, hearth_errbuf *eb)
{
	hearth_err err = add(mg, q, eb);
	hearth_profile_free(mg->m.prev);
	mg->m.prev = err ? NULL : q;
	if (err)
		hearth_profile_free(q);
	return err;
}

hearth_profile *hearth_merger_profile(hearth_merger *mg)
{
	return mg->m.d;
}

/* The merged profile; the merger is spent. */
hearth_err hearth_merger_finish(hearth_merger *mg, hearth_profile **out, hearth_errbuf *eb)
{
	hearth_profile *d = mg->m.d;
	*out = NULL;
	if (!d)
		return hearth_seterr(eb, HEARTH_EINVAL, "no profiles to merge");
	/* Sums that cancelled out (a base subtracted) leave zero samples; pprof
	 * merges again to drop them. */
	bool zeros = false;
	for (size_t i = 0; i < d->nsamples && !zeros && !mg->m.concat; i++) {
		bool z = true;
		for (uint32_t k = 0; k < d->nsample_types && z; k++)
			z = d->values[i * d->nsample_types + k] == 0;
		zeros = z;
	}
	if (zeros) {
		hearth_profile *one[1] = {d};
		hearth_err err = hearth_merge(one, 1, out, eb);
		if (err)
			return err;
		return HEARTH_OK;
	}
	mg->m.d = NULL;
	*out = d;
	return HEARTH_OK;
}

hearth_err hearth_merge(hearth_profile *const *ps, int n, hearth_profile **out, hearth_errbuf *eb)
{
	hearth_merger *mg;
	hearth_err err = hearth_merger_new(&mg);
	*out = NULL;
	if (err)
		return hearth_seterr(eb, err, "out of memory");
	for (int i = 0; i < n && !err; i++)
		err = hearth_merger_add(mg, ps[i], eb);
	if (!err)
		err = hearth_merger_finish(mg, out, eb);
	hearth_merger_free(mg);
	return err;
}

void hearth_profile_drop_zero_samples(hearth_profile *p)
{
	size_t w = 0, nt = p->nsample_types;
	for (size_t i = 0; i < p->nsamples; i++) {
		int64_t *v = p->values + i * nt;
		bool keep = false;
		for (size_t k = 0; k < nt; k++)
			keep |= v[k] != 0;
		if (!keep)
			continue;
		if (w != i) {
			p->samples[w] = p->samples[i];
			memmove(p->values + w * nt, v, nt * sizeof(int64_t));
		}
		w++;
	}
	p->nsamples = w;
}

void hearth_profile_scale(hearth_profile *p, double ratio)
{
	if (ratio == 1)
		return;
	size_t nv = p->nsamples * p->nsample_types;
	for (size_t i = 0; i < nv; i++)
		p->values[i] = (int64_t)llround((double)p->values[i] * ratio);
	hearth_profile_drop_zero_samples(p);
}

/* pprof's Normalize: scale p so each sample type totals what the base does. */
static void normalize(hearth_profile *p, const hearth_profile *base)
{
	uint32_t nt = p->nsample_types;
	for (uint32_t k = 0; k < nt; k++) {
		int64_t bs = 0, ss = 0;
		for (size_t i = 0; i < base->nsamples; i++)
			bs += base->values[i * base->nsample_types + k];
		for (size_t i = 0; i < p->nsamples; i++)
			ss += p->values[i * nt + k];
		double r = ss == 0 ? 0.0 : (double)bs / (double)ss;
		if (r == 1)
			continue;
		for (size_t i = 0; i < p->nsamples; i++)
			p->values[i * nt + k] = (int64_t)llround((double)p->values[i * nt + k] * r);
	}
	/* ScaleN keeps samples with a nonzero scaled value. */
	hearth_profile_drop_zero_samples(p);
}

/* Reading runs ahead of merging on two threads of its own: decoding
 * (gunzip, varints, id maps) is most of the work of a long series of small
 * profiles, and it needs nothing from the merge.  Files are merged in their
 * order; a small ring bounds the memory to a few decoded inputs. */
#define RING 4
#define READERS 2

typedef struct {
	hearth_profile *p;
	hearth_err err;
	hearth_errbuf eb;
	bool ready;
} slot;

typedef struct {
	const char *const *paths;
	int n;
	const hearth_opts *o;
	hearth_read_opts ro;
	slot ring[RING];
	int next;     /* next file index a reader takes */
	int consumed; /* files handed to the merge */
	bool stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} reader;

/* A source is a file, or a URL that is fetched (lib/fetch.c). */
static hearth_err read_source(const char *path, const hearth_opts *o, const hearth_read_opts *ro,
			      hearth_profile **out, hearth_errbuf *eb)
{
	if (hearth_is_url(path))
		return hearth_fetch_profile(path, o, ro, out, eb);
	return hearth_read_file(path, ro, out, eb);
}

static void *reader_main(void *arg)
{
	reader *r = arg;
	for (;;) {
		pthread_mutex_lock(&r->mu);
		while (!r->stop && r->next < r->n && r->next - r->consumed >= RING)
			pthread_cond_wait(&r->cv, &r->mu);
		if (r->stop || r->next >= r->n) {
			pthread_mutex_unlock(&r->mu);
			return NULL;
		}
		int i = r->next++;
		pthread_mutex_unlock(&r->mu);
		slot s = {0};
		s.err = read_source(r->paths[i], r->o, &r->ro, &s.p, &s.eb);
		s.ready = true;
		pthread_mutex_lock(&r->mu);
		r->ring[i % RING] = s;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
	}
}

static slot reader_next(reader *r)
{
	pthread_mutex_lock(&r->mu);
	slot *sl = &r->ring[r->consumed % RING];
	while (!sl->ready)
		pthread_cond_wait(&r->cv, &r->mu);
	slot s = *sl;
	memset(sl, 0, sizeof(*sl));
	r->consumed++;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	return s;
}

/* Reads the files into a running merge, so memory holds the merged profile
 * and a few inputs, not every input at once. */
static hearth_err load_set(const char *const *paths, int n, const hearth_opts *o,
			   hearth_profile **out, hearth_errbuf *eb)
{
	hearth_read_opts ro = {.max_size = o->max_size};
	hearth_merger *mg = NULL;
	hearth_err err = HEARTH_OK;
	*out = NULL;
	if (n == 1 && !o->merge_single) {
		/* One profile stays as it was read: lossless for `proto`, and
		 * merging it would change no number of `top`. */
		hearth_errbuf e = {{0}};
		err = read_source(paths[0], o, &ro, out, &e);
		if (err)
			hearth_seterr(eb, err, "%s: %s", paths[0],
				      e.msg[0] ? e.msg : hearth_strerror(err));
		return err;
	}
	reader r = {.paths = paths, .n = n, .o = o, .ro = ro};
	r.ro.raw_strings = true; /* the merge interns what it takes */
	pthread_t th[READERS];
	int nth = 0;
	pthread_mutex_init(&r.mu, NULL);
	pthread_cond_init(&r.cv, NULL);
	for (int k = 0; k < READERS && k < n; k++)
		if (pthread_create(&th[nth], NULL, reader_main, &r) == 0)
			nth++;
	if (nth == 0) {
		pthread_mutex_destroy(&r.mu);
		pthread_cond_destroy(&r.cv);
		return hearth_seterr(eb, HEARTH_ENOMEM, "cannot start a reader thread");
	}
	for (int i = 0; i < n && !err; i++) {
		slot s = reader_next(&r);
		hearth_errbuf e = s.eb;
		err = s.err;
		if (!err && !mg && !(err = hearth_merger_new(&mg))) {
			if (o->sums_only)
				hearth_merger_concat(mg);
			hearth_merger_flags(mg, o->no_labels ? HEARTH_MERGE_NO_LABELS : 0);
		}
		/* Profiles in different units (ms and ns) are brought to one. */
		hearth_profile *pair[2] = {mg ? hearth_merger_profile(mg) : NULL, s.p};
		if (!err && pair[0])
			err = hearth_scale_profiles(pair, 2, &e);
		if (!err) {
			err = merger_add_owned(mg, s.p, &e);
			s.p = NULL; /* the merger's now */
		}
		if (err)
			hearth_seterr(eb, err, "%s: %s", paths[i],
				      e.msg[0] ? e.msg : hearth_strerror(err));
		hearth_profile_free(s.p);
	}
	pthread_mutex_lock(&r.mu);
	r.stop = true;
	pthread_cond_broadcast(&r.cv);
	pthread_mutex_unlock(&r.mu);
	for (int k = 0; k < nth; k++)
		pthread_join(th[k], NULL);
	for (int k = 0; k < RING; k++)
		hearth_profile_free(r.ring[k].p);
	pthread_mutex_destroy(&r.mu);
	pthread_cond_destroy(&r.cv);
	if (!err)
		err = hearth_merger_finish(mg, out, eb);
	hearth_merger_free(mg);
	return err;
}

hearth_err hearth_apply_base(hearth_profile **pp, hearth_profile *base, bool diff, bool norm,
			     hearth_errbuf *eb)
{
	hearth_profile *p = *pp, *m = NULL;
	hearth_err err = HEARTH_OK;
	if (diff) {
		uint32_t k = hearth_intern_cstr(base, "pprof::base");
		uint32_t t = hearth_intern_cstr(base, "true");
		if (k == HEARTH_NONE || t == HEARTH_NONE) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			goto out;
		}
		/* SetLabel replaces the key's values in every sample. */
		size_t nl = 0;
		hearth_label *all = malloc(sizeof(*all) * (base->nlabels + base->nsamples + 1));
		if (!all) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < base->nsamples; i++) {
			hearth_sample *s = &base->samples[i];
			uint32_t l0 = (uint32_t)nl;
			for (uint32_t j = 0; j < s->nlabels; j++) {
				hearth_label *lb = &base->labels[s->label0 + j];
				if (lb->key == k && lb->str)
					continue;
				all[nl++] = *lb;
			}
			hearth_label x = {k, t, 0, 0};
			all[nl++] = x;
			s->label0 = l0;
			s->nlabels = (uint32_t)nl - l0;
		}
		free(base->labels);
		base->labels = all;
		base->nlabels = nl;
		base->caplabels = base->nlabels + base->nsamples + 1;
	}
	if (norm)
		normalize(p, base);
	hearth_profile_scale(base, -1);
	hearth_profile *two[2] = {p, base};
	if ((err = hearth_scale_profiles(two, 2, eb)) || (err = hearth_merge(two, 2, &m, eb)))
		goto out;
	hearth_profile_free(p);
	*pp = m;
out:
	hearth_profile_free(base);
	return err;
}

hearth_err hearth_load_sources(const char *const *paths, int n, const hearth_opts *o,
			       hearth_profile **out, hearth_errbuf *eb)
{
	hearth_profile *p = NULL, *base = NULL;
	hearth_err err;
	*out = NULL;
	if (o->nbase && o->ndiff_base)
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "-base and -diff_base flags cannot both be specified");
	/* A first source that is an ELF file is the program (pprof's rule). */
	const char *exec = NULL;
	if (n > 1 && hearth_is_elf_file(paths[0]))
		exec = paths[0], paths++, n--;
	if ((err = load_set(paths, n, o, &p, eb)))
		return err;
	int nb = o->nbase ? o->nbase : o->ndiff_base;
	if (nb) {
		const char *const *bp = o->nbase ? o->base : o->diff_base;
		if ((err = load_set(bp, nb, o, &base, eb)))
			goto out;
		err = hearth_apply_base(&p, base, o->ndiff_base > 0, o->normalize, eb);
		base = NULL;
		if (err)
			goto out;
	}
	/* pprof symbolizes the merged profile, then removes what is uninteresting. */
	bool fetched = false;
	for (int i = 0; i < n && !fetched; i++)
		fetched = hearth_is_url(paths[i]);
	hearth_symbolize_opts so = {o->symbolize, exec, o->warn, o->warn_ctx, fetched};
	if ((err = hearth_symbolize(p, &so, eb)))
		goto out;
	err = hearth_remove_uninteresting(p, eb);
out:
	hearth_profile_free(base);
	if (err) {
		hearth_profile_free(p);
		return err;
	}
	*out = p;
	return HEARTH_OK;
}
