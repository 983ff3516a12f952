/* What the visual reports add to the call graph, with the semantics of
 * pprof's internal/graph: tags per node (label sets and "bytes" values, the
 * nodelets of dot), the call tree of -call_tree, the entropy order and the
 * node selection of the visual mode, and the removal of residual edges that
 * another path already explains.  Everything here runs only for the
 * reports that need it: tags cost a pass over every sample. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "hearth/budget.h"
#include "hearth/measure.h"
#include "util.h"

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/* ---- Go's math.Log2 ----
 * Go computes Log2 from Frexp and its own Log (fdlibm's algorithm, also in
 * the amd64 assembly); the C library's log2 differs in the last bit in a
 * fifth of the cases, which would move pprof's integer entropy scores. */
static double go_log(double x)
{
	static const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10,
			    c1 = 6.666666666666735130e-01, c2 = 3.999999999940941908e-01,
			    c3 = 2.857142874366239149e-01, c4 = 2.222219843214978396e-01,
			    c5 = 1.818357216161805012e-01, c6 = 1.531383769920937332e-01,
			    c7 = 1.479819860511658591e-01;
	if (isnan(x) || (isinf(x) && x > 0))
		return x;
	if (x < 0)
		return NAN;
	if (x == 0)
		return -INFINITY;
	int e;
	double m = frexp(x, &e);
	if (m < M_SQRT1_2) {
		m *= 2;
		e--;
	}
	double f = m - 1, k = e;
	double s = f / (2 + f), z = s * s, w = z * z;
	double odd = z * (c1 + w * (c3 + w * (c5 + w * c7)));
	double even = w * (c2 + w * (c4 + w * c6));
	double hf = 0.5 * f * f;
	return k * ln2_hi - ((hf - (s * (hf + (odd + even)) + k * ln2_lo)) - f);
}

double hearth_go_log2(double x)
{
	int e;
	double m = frexp(x, &e);
	if (m == 0.5)
		return (double)(e - 1);
	return go_log(m) * (1 / M_LN2) + (double)e;
}

/* Go's int64(f) on amd64: out of range and NaN give INT64_MIN. */
static int64_t go_int64(double f)
{
	if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0))
		return INT64_MIN;
	return (int64_t)f;
}

/* ---- tags ---- */

/* A joined label set, found again by the sample that first made it. */
typedef struct {
	uint64_t hash;
	uint32_t label0, nlabels; /* that sample's labels */
	uint32_t set;
} setmemo;

/* (node, set, name) -> tag index, open addressing. */
typedef struct {
	hearth_profile *p;
	const hearth_tagfmt *tf;
	hearth_tag *tags;
	size_t n, cap;
	uint32_t *slots; /* tag index + 1; 0 is empty */
	size_t scap;
	/* the current sample */
	uint32_t set;
	uint32_t *num_names;
	int64_t *num_values;
	uint32_t nnum, numcap;
	uint32_t bytes_key, bytes_unit;
	char **scratch;
	size_t scratch_cap;
	hearth_buf sb;
	/* Label sets already joined, by the sample's string labels as they
	 * stand (most samples repeat a few sets: formatting, sorting and
	 * interning each was most of the cost of tags). */
	setmemo *memo;
	size_t nmemo, memocap;
	/* Each distinct numeric value's name, formatted once (open
	 * addressing; a name is never string 0). */
	int64_t *vvals;
	uint32_t *vnames;
	size_t nv, vcap;
} tagacc;

static uint64_t tag_hash(uint32_t node, uint32_t set, uint32_t name)
{
	uint64_t h = (uint64_t)node * 0x9e3779b97f4a7c15ull;
	h ^= ((uint64_t)set << 32 | name) * 0xc2b2ae3d27d4eb4full;
	return h ^ (h >> 31);
}

static bool tagacc_rehash(tagacc *a)
{
	size_t cap = a->scap ? a->scap * 2 : 1024;
	uint32_t *s = calloc(cap, sizeof(*s));
	if (!s)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const hearth_tag *t = &a->tags[i];
		size_t h = tag_hash(t->node, t->set, t->name) & (cap - 1);
		while (s[h])
			h = (h + 1) & (cap - 1);
		s[h] = (uint32_t)i + 1;
	}
	free(a->slots);
	a->slots = s;
	a->scap = cap;
	return true;
}

static hearth_tag *tagacc_find(tagacc *a, uint32_t node, uint32_t set, uint32_t name,
			       uint32_t unit, int64_t value)
{
	if ((a->n + 1) * 2 > a->scap && !tagacc_rehash(a))
		return NULL;
	size_t h = tag_hash(node, set, name) & (a->scap - 1);
	while (a->slots[h]) {
		hearth_tag *t = &a->tags[a->slots[h] - 1];
		if (t->node == node && t->set == set && t->name == name)
			return t;
		h = (h + 1) & (a->scap - 1);
	}
	if (!HEARTH_GROW(a->tags, a->n, a->cap, 1))
		return NULL;
	hearth_tag *t = &a->tags[a->n];
	memset(t, 0, sizeof(*t));
	t->node = node;
	t->set = set;
	t->name = name;
	t->unit = unit;
	t->value = value;
	a->slots[h] = (uint32_t)++a->n;
	return t;
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The slot of value v: its own, or the empty one where it goes. */
static size_t value_slot(const tagacc *a, int64_t v)
{
	size_t h = ((uint64_t)v * 0x9e3779b97f4a7c15ull) >> 17 & (a->vcap - 1);
	while (a->vnames[h] && a->vvals[h] != v)
		h = (h + 1) & (a->vcap - 1);
	return h;
}

static bool values_grow(tagacc *a)
{
	size_t cap = a->vcap ? a->vcap * 2 : 1024;
	int64_t *ov = a->vvals;
	uint32_t *on = a->vnames;
	size_t ocap = a->vcap;
	a->vvals = malloc(sizeof(*a->vvals) * cap);
	a->vnames = calloc(cap, sizeof(*a->vnames));
	if (!a->vvals || !a->vnames) {
		free(a->vvals);
		free(a->vnames);
		a->vvals = ov;
		a->vnames = on;
		return false;
	}
	a->vcap = cap;
	for (size_t i = 0; i < ocap; i++)
		if (on[i]) {
			size_t h = value_slot(a, ov[i]);
			a->vvals[h] = ov[i];
			a->vnames[h] = on[i];
		}
	free(ov);
	free(on);
	return true;
}

static bool memo_grow(tagacc *a)
{
	size_t cap = a->memocap ? a->memocap * 2 : 256;
	setmemo *m = calloc(cap, sizeof(*m));
	if (!m)
		return false;
	for (size_t i = 0; i < a->memocap; i++) {
		if (!a->memo[i].nlabels)
			continue;
		size_t h = a->memo[i].hash & (cap - 1);
		while (m[h].nlabels)
			h = (h + 1) & (cap - 1);
		m[h] = a->memo[i];
	}
	free(a->memo);
	a->memo = m;
	a->memocap = cap;
	return true;
}

/* Whether the string labels of lb (n labels) are those of m's sample, in
 * the same order (numeric labels are not part of the set). */
static bool same_strs(const hearth_profile *p, const setmemo *m, const hearth_label *lb,
		      uint32_t n)
{
	const hearth_label *ml = p->labels + m->label0;
	uint32_t i = 0, j = 0;
	for (;;) {
		while (i < n && !hearth_label_is_str(&lb[i]))
			i++;
		while (j < m->nlabels && !hearth_label_is_str(&ml[j]))
			j++;
		if (i == n || j == m->nlabels)
			return i == n && j == m->nlabels;
		if (lb[i].key != ml[j].key || lb[i].str != ml[j].str)
			return false;
		i++, j++;
	}
}

/* pprof's joinLabels ("k:v" sorted, joined by a literal backslash-n; the
 * pprof::base marker is removed first) and the sample's "bytes" values. */
static hearth_err tagacc_sample(tagacc *a, size_t si)
{
	hearth_profile *p = a->p;
	const hearth_sample *s = &p->samples[si];
	const hearth_label *lb = p->labels + s->label0;
	a->set = 0;
	a->nnum = 0;
	if (s->nlabels == 0)
		return HEARTH_OK;
	if (s->nlabels > a->scratch_cap) {
		char **ns = realloc(a->scratch, sizeof(char *) * s->nlabels);
		if (!ns)
			return HEARTH_ENOMEM;
		a->scratch = ns;
		a->scratch_cap = s->nlabels;
	}
	uint32_t k = 0;
	uint64_t h = 0x6a09e667f3bcc909ull;
	uint32_t nstr = 0;
	for (uint32_t i = 0; i < s->nlabels; i++)
		if (hearth_label_is_str(&lb[i])) {
			h = (h ^ ((uint64_t)lb[i].key << 32 | lb[i].str)) * 0x9e3779b97f4a7c15ull;
			h ^= h >> 29;
			nstr++;
		}
	bool known = false;
	size_t slot = 0;
	if (nstr > 0) {
		if ((a->nmemo + 1) * 2 > a->memocap && !memo_grow(a))
			return HEARTH_ENOMEM;
		for (slot = h & (a->memocap - 1); a->memo[slot].nlabels;
		     slot = (slot + 1) & (a->memocap - 1))
			if (a->memo[slot].hash == h && same_strs(p, &a->memo[slot], lb, s->nlabels)) {
				a->set = a->memo[slot].set;
				known = true;
				break;
			}
	}
	for (uint32_t i = 0; i < s->nlabels; i++) {
		if (hearth_label_is_str(&lb[i])) {
			if (known || !strcmp(hearth_s(p, lb[i].key), "pprof::base"))
				continue;
			char *x = NULL;
			if (asprintf(&x, "%s:%s", hearth_s(p, lb[i].key), hearth_s(p, lb[i].str)) < 0)
				goto oom;
			a->scratch[k++] = x;
		} else if (hearth_label_is_num(&lb[i]) && lb[i].key == a->bytes_key) {
			if (a->nnum == a->numcap) {
				uint32_t nc = a->numcap ? a->numcap * 2 : 8;
				uint32_t *nn = realloc(a->num_names, sizeof(*nn) * nc);
				if (nn)
					a->num_names = nn;
				int64_t *nv = realloc(a->num_values, sizeof(*nv) * nc);
				if (nv)
					a->num_values = nv;
				if (!nn || !nv)
					goto oom;
				a->numcap = nc;
			}
			/* Formatting is the cost here: each value once. */
			if ((a->nv + 1) * 2 > a->vcap && !values_grow(a))
				goto oom;
			size_t slot = value_slot(a, lb[i].num);
			uint32_t name = a->vnames[slot];
			if (!name) {
				char v[64];
				hearth_scaled_label(v, sizeof(v), lb[i].num, hearth_s(p, a->bytes_unit),
						    a->tf->output_unit);
				name = hearth_intern(p, v, strlen(v));
				if (name == HEARTH_NONE || name == 0)
					goto oom;
				a->vvals[slot] = lb[i].num;
				a->vnames[slot] = name;
				a->nv++;
			}
			a->num_names[a->nnum] = name;
			a->num_values[a->nnum++] = lb[i].num;
		}
	}
	if (k > 0) {
		qsort(a->scratch, k, sizeof(char *), cmp_cstr);
		a->sb.len = 0;
		for (uint32_t i = 0; i < k; i++) {
			if (i)
				hearth_buf_put(&a->sb, "\\n", 2);
			hearth_buf_puts(&a->sb, a->scratch[i]);
			free(a->scratch[i]);
		}
		if (a->sb.oom)
			return HEARTH_ENOMEM;
		a->set = hearth_intern(p, a->sb.data, a->sb.len);
		if (a->set == HEARTH_NONE)
			return HEARTH_ENOMEM;
	}
	if (nstr > 0 && !known) {
		a->memo[slot] = (setmemo){h, s->label0, s->nlabels, a->set};
		a->nmemo++;
	}
	return HEARTH_OK;
oom:
	for (uint32_t i = 0; i < k; i++)
		free(a->scratch[i]);
	return HEARTH_ENOMEM;
}

static void tag_add(hearth_tag *t, int64_t w, int64_t dw, bool flat)
{
	if (flat) {
		t->flat += w;
		t->flat_div += dw;
	} else {
		t->cum += w;
		t->cum_div += dw;
	}
}

/* pprof's addSample, the tag part, for the current sample. */
static hearth_err tagacc_add(tagacc *a, uint32_t node, int64_t w, int64_t dw, bool flat)
{
	if (a->set) {
		hearth_tag *t = tagacc_find(a, node, a->set, HEARTH_NONE, 0, 0);
		if (!t)
			return HEARTH_ENOMEM;
		tag_add(t, w, dw, flat);
	}
	for (uint32_t i = 0; i < a->nnum; i++) {
		hearth_tag *t = tagacc_find(a, node, a->set, a->num_names[i], a->bytes_unit,
					    a->num_values[i]);
		if (!t)
			return HEARTH_ENOMEM;
		tag_add(t, w, dw, flat);
	}
	return HEARTH_OK;
}

static hearth_err tagacc_init(tagacc *a, hearth_profile *p, const hearth_tagfmt *tf)
{
	memset(a, 0, sizeof(*a));
	a->p = p;
	a->tf = tf;
	/* Only the "bytes" numeric labels reach the graph (pprof's newGraph
	 * drops the others); a profile without the key has no numeric tags. */
	a->bytes_key = HEARTH_NONE;
	for (uint32_t i = 1; i < p->nstrs; i++)
		if (p->strs[i].len == 5 && !memcmp(p->strs[i].s, "bytes", 5)) {
			a->bytes_key = i;
			break;
		}
	a->bytes_unit = a->bytes_key != HEARTH_NONE ? tf->units[a->bytes_key] : 0;
	return HEARTH_OK;
}

static void tagacc_release(tagacc *a)
{
	free(a->slots);
	free(a->num_names);
	free(a->num_values);
	free(a->scratch);
	free(a->memo);
	free(a->vvals);
	free(a->vnames);
	hearth_buf_free(&a->sb);
}

/* Hands the accumulated tags over to t, grouped per node id (a counting
 * sort: there can be millions). */
static hearth_err tagacc_finish(tagacc *a, uint32_t nids, hearth_tags *t)
{
	memset(t, 0, sizeof(*t));
	t->first = calloc((size_t)nids + 1, sizeof(uint32_t));
	t->count = calloc((size_t)nids + 1, sizeof(uint32_t));
	hearth_tag *sorted = malloc(sizeof(*sorted) * (a->n + 1));
	if (!t->first || !t->count || !sorted) {
		free(sorted);
		hearth_tags_free(t);
		return HEARTH_ENOMEM;
	}
	for (size_t i = 0; i < a->n; i++)
		t->count[a->tags[i].node]++;
	uint32_t acc = 0;
	for (uint32_t n = 0; n < nids; n++) {
		t->first[n] = acc;
		acc += t->count[n];
		t->count[n] = 0;
	}
	for (size_t i = 0; i < a->n; i++) {
		uint32_t n = a->tags[i].node;
		sorted[t->first[n] + t->count[n]++] = a->tags[i];
	}
	free(a->tags);
	t->tags = sorted;
	t->ntags = a->n;
	t->nids = nids;
	a->tags = NULL;
	a->n = a->cap = 0;
	return HEARTH_OK;
}

void hearth_tags_free(hearth_tags *t)
{
	free(t->tags);
	free(t->first);
	free(t->count);
	memset(t, 0, sizeof(*t));
}

/* hearth_tags_collect works key by key rather than sample by sample.  A tag
 * is keyed by (node, label set, numeric name), and on a profile with many
 * distinct "bytes" values there are millions of such keys: looking each
 * frame of each sample up in one hash table of them was memory-bound (about
 * half of `hearth svg` on a million samples).  Instead every (sample, key)
 * pair is listed, the list is sorted by key (stably, so sample order is
 * kept), and each key's samples are summed into per-node arrays whose
 * touched entries become that key's tags.  The tags are then put in the
 * order the sample-by-sample walk made them (per node: by the first sample
 * that gave the node the key, then the key's place in that sample), so no
 * report changes. */
typedef struct {
	uint32_t si, key, pos; /* sample, key index, place among the sample's keys */
	int64_t value;	       /* the numeric label's raw value */
} tagentry;

typedef struct {
	uint32_t set, name, unit;
} tagkey;

typedef struct {
	hearth_tag tag;
	uint32_t first_si, pos;
} ordered_tag;

/* One stable counting-sort pass of idx (n entries) into tmp by key(i) <
 * range; the result is back in idx.  false when out of memory. */
static bool radix_pass(uint32_t *idx, uint32_t *tmp, size_t n, const ordered_tag *o, int which,
		       size_t range)
{
	size_t *cnt = calloc(range + 1, sizeof(*cnt));
	if (!cnt)
		return false;
#define KEY(i) (which == 0 ? o[i].pos : which == 1 ? o[i].first_si : o[i].tag.node)
	for (size_t i = 0; i < n; i++)
		cnt[KEY(idx[i]) + 1]++;
	for (size_t k = 0; k < range; k++)
		cnt[k + 1] += cnt[k];
	for (size_t i = 0; i < n; i++)
		tmp[cnt[KEY(idx[i])]++] = idx[i];
#undef KEY
	memcpy(idx, tmp, n * sizeof(*idx));
	free(cnt);
	return true;
}

typedef struct {
	tagkey *keys;
	size_t n, cap;
	uint32_t *slots; /* key index + 1; 0 is empty */
	size_t scap;
} keytab;

/* The index of (set, name), added when new; UINT32_MAX when out of memory. */
static uint32_t key_index(keytab *kt, uint32_t set, uint32_t name, uint32_t unit)
{
	if ((kt->n + 1) * 2 > kt->scap) {
		size_t cap = kt->scap ? kt->scap * 2 : 1024;
		uint32_t *ns = calloc(cap, sizeof(*ns));
		if (!ns)
			return UINT32_MAX;
		for (size_t i = 0; i < kt->n; i++) {
			size_t h = tag_hash(0, kt->keys[i].set, kt->keys[i].name) & (cap - 1);
			while (ns[h])
				h = (h + 1) & (cap - 1);
			ns[h] = (uint32_t)i + 1;
		}
		free(kt->slots);
		kt->slots = ns;
		kt->scap = cap;
	}
	size_t h = tag_hash(0, set, name) & (kt->scap - 1);
	for (; kt->slots[h]; h = (h + 1) & (kt->scap - 1)) {
		const tagkey *k = &kt->keys[kt->slots[h] - 1];
		if (k->set == set && k->name == name)
			return kt->slots[h] - 1;
	}
	if (kt->n >= UINT32_MAX - 2 || !HEARTH_GROW(kt->keys, kt->n, kt->cap, 1))
		return UINT32_MAX;
	kt->keys[kt->n] = (tagkey){set, name, unit};
	kt->slots[h] = (uint32_t)++kt->n;
	return (uint32_t)(kt->n - 1);
}

/* Per node, while one key's samples are summed. */
typedef struct {
	int64_t cum, cum_div, flat, flat_div, value;
	uint32_t key;	   /* key index + 1 this entry holds */
	uint32_t walk;	   /* the last walk that counted the node's cum */
	uint32_t first_si, pos;
} nodeacc;

/* At most this many (kept node, key) cells for the walk in sample order. */
#define DENSE_CELLS ((size_t)1 << 21)

typedef struct {
	int64_t cum, cum_div, flat, flat_div, value;
	uint32_t seen; /* the first sample's index + 1; 0: no tag yet */
	uint32_t pos;
} tagcell;

/* The tags when the kept nodes times the keys fit a dense table: one walk
 * over the samples in their order, each sample's frames once, adding to
 * every key of the sample (the walk per key below reads the samples out of
 * order, over and over on a profile with a few label sets).  *done is false
 * when the table would be too large. */
static hearth_err dense_tags(const hearth_profile *p, const hearth_nodeset *ns,
			     const hearth_valuesel *vs, const bool *kept, const keytab *kt,
			     const tagentry *ents, size_t nents, ordered_tag **outp, size_t *noutp,
			     uint32_t *maxposp, bool *done)
{
	hearth_err err = HEARTH_ENOMEM;
	uint32_t nn = ns->ninfos, nt = p->nsample_types, m = 0;
	size_t nk = kt->n;
	bool mean = vs->mean_i >= 0;
	uint32_t *cidx = NULL, *ids = NULL, *stamp = NULL, *touched = NULL;
	hearth_keptframe *fr = NULL;
	hearth_locframes *lf = NULL;
	tagcell *cells = NULL;
	ordered_tag *out = NULL;
	size_t ntouched = 0;
	*done = false;
	for (uint32_t n = 0; n < nn; n++)
		m += !kept || kept[n];
	if (nk == 0 || m == 0 || nk > DENSE_CELLS / m)
		return HEARTH_OK;
	*done = true;
	if ((err = hearth_frames_build(p, ns, kept, &fr, &lf)))
		goto out;
	err = HEARTH_ENOMEM;
	cidx = malloc(sizeof(*cidx) * ((size_t)nn + 1));
	ids = malloc(sizeof(*ids) * ((size_t)m + 1));
	stamp = calloc((size_t)m + 1, sizeof(*stamp));
	cells = calloc((size_t)m * nk + 1, sizeof(*cells));
	touched = malloc(sizeof(*touched) * ((size_t)m * nk + 1));
	if (!cidx || !ids || !stamp || !cells || !touched)
		goto out;
	m = 0;
	for (uint32_t n = 0; n < nn; n++) {
		cidx[n] = !kept || kept[n] ? m : HEARTH_NONE;
		if (cidx[n] != HEARTH_NONE)
			ids[m++] = n;
	}
	/* ents are in sample order: each sample's keys in a row. */
	unsigned polls = 0;
	for (size_t i = 0; i < nents;) {
		uint32_t si = ents[i].si;
		size_t e0 = i;
		while (i < nents && ents[i].si == si)
			i++;
		if ((polls++ & 255) == 0 && hearth_budget_poll()) {
			err = HEARTH_EBUDGET;
			goto out;
		}
		const hearth_sample *s = &p->samples[si];
		const int64_t *v = p->values + (size_t)si * nt;
		int64_t w = v[vs->vi], dw = mean ? v[vs->mean_i] : 0;
		uint32_t parent = HEARTH_NONE;
		bool residual = false;
		for (uint32_t li = s->nlocs; li-- > 0;) {
			const hearth_locframes *L = &lf[p->locs[s->loc0 + li]];
			for (uint32_t j = 0; j < L->n; j++) {
				uint32_t c = cidx[fr[L->first + j].node];
				parent = c;
				residual = false;
				if (stamp[c] == si + 1)
					continue; /* cum once per sample */
				stamp[c] = si + 1;
				tagcell *row = cells + (size_t)c * nk;
				for (size_t e = e0; e < i; e++) {
					tagcell *x = &row[ents[e].key];
					if (!x->seen) {
						x->seen = si + 1;
						x->pos = ents[e].pos;
						x->value = ents[e].value;
						touched[ntouched++] = (uint32_t)(x - cells);
					}
					x->cum += w;
					x->cum_div += dw;
				}
			}
			if (L->dropped_after)
				residual = true;
		}
		if (parent != HEARTH_NONE && !residual) {
			tagcell *row = cells + (size_t)parent * nk;
			for (size_t e = e0; e < i; e++) {
				row[ents[e].key].flat += w;
				row[ents[e].key].flat_div += dw;
			}
		}
	}
	out = malloc(sizeof(*out) * (ntouched + 1));
	if (!out)
		goto out;
	uint32_t maxpos = 0;
	for (size_t j = 0; j < ntouched; j++) {
		const tagcell *x = &cells[touched[j]];
		const tagkey *key = &kt->keys[touched[j] % nk];
		out[j] = (ordered_tag){
		    .tag = {.node = ids[touched[j] / nk], .set = key->set, .name = key->name,
			    .unit = key->unit, .value = x->value, .flat = x->flat,
			    .flat_div = x->flat_div, .cum = x->cum, .cum_div = x->cum_div},
		    .first_si = x->seen - 1,
		    .pos = x->pos};
		if (x->pos > maxpos)
			maxpos = x->pos;
	}
	*outp = out;
	*noutp = ntouched;
	*maxposp = maxpos;
	out = NULL;
	err = HEARTH_OK;
out:
	free(cidx);
	free(ids);
	free(fr);
	free(lf);
	free(stamp);
	free(cells);
	free(touched);
	free(out);
	return err;
}

/* Drops the keys whose samples weigh less than cut in all (|value| summed
 * over their pairs): no tag of theirs can reach cut, the threshold of
 * TrimLowFrequencyTags, which would hide them all.  On big.cpu that is each
 * of the thousands of "bytes" values.  The pairs left keep their order. */
static hearth_err drop_light_keys(const hearth_profile *p, const hearth_valuesel *vs, int64_t cut,
				  keytab *kt, tagentry *ents, size_t *nents)
{
	uint64_t *sum = calloc(kt->n + 1, sizeof(*sum));
	uint32_t *to = malloc(sizeof(*to) * (kt->n + 1));
	if (!sum || !to) {
		free(sum);
		free(to);
		return HEARTH_ENOMEM;
	}
	uint32_t nt = p->nsample_types;
	for (size_t i = 0; i < *nents; i++) {
		int64_t w = p->values[(size_t)ents[i].si * nt + vs->vi];
		uint64_t a = w < 0 ? 0 - (uint64_t)w : (uint64_t)w;
		uint64_t *x = &sum[ents[i].key];
		*x = *x + a < *x ? UINT64_MAX : *x + a;
	}
	uint32_t n = 0;
	for (size_t k = 0; k < kt->n; k++) {
		to[k] = sum[k] >= (uint64_t)cut ? n : HEARTH_NONE;
		if (to[k] != HEARTH_NONE)
			kt->keys[n++] = kt->keys[k];
	}
	size_t w = 0;
	for (size_t i = 0; i < *nents; i++)
		if (to[ents[i].key] != HEARTH_NONE) {
			ents[w] = ents[i];
			ents[w++].key = to[ents[i].key];
		}
	*nents = w;
	kt->n = n;
	free(sum);
	free(to);
	/* the slots index the old numbering: no lookups follow */
	free(kt->slots);
	kt->slots = NULL;
	kt->scap = 0;
	return HEARTH_OK;
}

hearth_err hearth_tags_collect(hearth_profile *p, const hearth_nodeset *ns,
			       const hearth_valuesel *vs, const bool *kept,
			       const hearth_tagfmt *tf, int64_t cut, hearth_tags *t)
{
	hearth_err err = HEARTH_ENOMEM;
	tagacc a;
	tagacc_init(&a, p, tf);
	uint32_t nn = ns->ninfos, nt = p->nsample_types;
	bool mean = vs->mean_i >= 0;
	keytab kt = {0};
	tagentry *ents = NULL, *sorted = NULL;
	size_t nents = 0, ecap = 0;
	size_t *bucket = NULL;
	uint32_t *touched = NULL;
	nodeacc *na = NULL;
	ordered_tag *out = NULL;
	size_t nout = 0, ocap = 0;
	uint32_t *idx = NULL, *tmp = NULL, maxpos = 0;
	memset(t, 0, sizeof(*t));

	/* Every (sample, key) pair, in sample order. */
	for (size_t si = 0; si < p->nsamples; si++) {
		const int64_t *v = p->values + si * nt;
		/* A server's request may be out of time (hearth/budget.h). */
		if ((si & 1023) == 0 && hearth_budget_poll()) {
			err = HEARTH_EBUDGET;
			goto out;
		}
		if (v[vs->vi] == 0 && (!mean || v[vs->mean_i] == 0))
			continue;
		if ((err = tagacc_sample(&a, si)))
			goto out;
		err = HEARTH_ENOMEM;
		uint32_t nk = (a.set ? 1 : 0) + a.nnum, pos = 0;
		if (nk && !HEARTH_GROW(ents, nents, ecap, nk))
			goto out;
		if (a.set) {
			uint32_t k = key_index(&kt, a.set, HEARTH_NONE, 0);
			if (k == UINT32_MAX)
				goto out;
			ents[nents++] = (tagentry){(uint32_t)si, k, pos++, 0};
		}
		for (uint32_t i = 0; i < a.nnum; i++) {
			uint32_t k = key_index(&kt, a.set, a.num_names[i], a.bytes_unit);
			if (k == UINT32_MAX)
				goto out;
			ents[nents++] = (tagentry){(uint32_t)si, k, pos++, a.num_values[i]};
		}
	}
	if (cut > 0 && (err = drop_light_keys(p, vs, cut, &kt, ents, &nents)))
		goto out;
	bool done;
	if ((err = dense_tags(p, ns, vs, kept, &kt, ents, nents, &out, &nout, &maxpos, &done)))
		goto out;
	err = HEARTH_ENOMEM;
	if (done)
		goto order;
	/* A stable counting sort of the pairs by key. */
	bucket = calloc(kt.n + 1, sizeof(*bucket));
	sorted = malloc(sizeof(*sorted) * (nents + 1));
	touched = malloc(sizeof(*touched) * ((size_t)nn + 1));
	na = calloc((size_t)nn + 1, sizeof(*na));
	if (!bucket || !sorted || !touched || !na)
		goto out;
	for (size_t i = 0; i < nents; i++)
		bucket[ents[i].key + 1]++;
	for (size_t k = 0; k < kt.n; k++)
		bucket[k + 1] += bucket[k];
	for (size_t i = 0; i < nents; i++)
		sorted[bucket[ents[i].key]++] = ents[i];
	free(ents);
	ents = NULL;

	/* Each key's samples, walked as pprof's addSample walks a sample. */
	uint32_t walk = 0;
	for (size_t i = 0; i < nents;) {
		uint32_t key = sorted[i].key, ntouched = 0;
		for (; i < nents && sorted[i].key == key; i++) {
			const tagentry *e = &sorted[i];
			if ((i & 1023) == 0 && hearth_budget_poll()) {
				err = HEARTH_EBUDGET;
				goto out;
			}
			const hearth_sample *s = &p->samples[e->si];
			const int64_t *v = p->values + (size_t)e->si * nt;
			int64_t w = v[vs->vi], dw = mean ? v[vs->mean_i] : 0;
			uint32_t parent = HEARTH_NONE;
			bool residual = false;
			if (++walk == 0) { /* the stamps wrapped: start them again */
				for (uint32_t n = 0; n <= nn; n++)
					na[n].walk = 0;
				walk = 1;
			}
			for (uint32_t li = s->nlocs; li-- > 0;) {
				uint32_t l = p->locs[s->loc0 + li];
				const uint32_t *nodes = ns->locnodes + ns->loc0[l];
				for (uint32_t j = ns->locn[l]; j-- > 0;) {
					uint32_t n = nodes[j];
					if (kept && !kept[n]) {
						residual = true;
						continue;
					}
					nodeacc *x = &na[n];
					if (x->walk != walk) {
						x->walk = walk;
						if (x->key != key + 1) {
							/* The node's first sample with this key. */
							x->key = key + 1;
							x->cum = x->cum_div = x->flat = x->flat_div = 0;
							x->value = e->value;
							x->first_si = e->si;
							x->pos = e->pos;
							touched[ntouched++] = n;
						}
						x->cum += w;
						x->cum_div += dw;
					}
					parent = n;
					residual = false;
				}
			}
			if (parent != HEARTH_NONE && !residual) {
				na[parent].flat += w;
				na[parent].flat_div += dw;
			}
		}
		if (!HEARTH_GROW(out, nout, ocap, ntouched))
			goto out;
		const tagkey *k = &kt.keys[key];
		for (uint32_t j = 0; j < ntouched; j++) {
			const nodeacc *x = &na[touched[j]];
			ordered_tag *o = &out[nout++];
			memset(o, 0, sizeof(*o));
			o->tag = (hearth_tag){.node = touched[j], .set = k->set, .name = k->name,
					      .unit = k->unit, .value = x->value, .flat = x->flat,
					      .flat_div = x->flat_div, .cum = x->cum,
					      .cum_div = x->cum_div};
			o->first_si = x->first_si;
			o->pos = x->pos;
			if (x->pos > maxpos)
				maxpos = x->pos;
		}
	}
order:
	/* Ordered by node, then first sample, then place: three stable
	 * counting sorts, least significant first (a comparison sort of
	 * millions of tags cost more than the walks). */
	if (nout >= UINT32_MAX)
		goto out;
	idx = malloc(sizeof(*idx) * (nout + 1));
	tmp = malloc(sizeof(*tmp) * (nout + 1));
	if (!idx || !tmp)
		goto out;
	for (size_t j = 0; j < nout; j++)
		idx[j] = (uint32_t)j;
	if (!radix_pass(idx, tmp, nout, out, 0, maxpos + 1) ||
	    !radix_pass(idx, tmp, nout, out, 1, p->nsamples) ||
	    !radix_pass(idx, tmp, nout, out, 2, nn))
		goto out;
	/* Grouped by node, as tagacc_finish hands them over. */
	t->first = calloc((size_t)nn + 1, sizeof(uint32_t));
	t->count = calloc((size_t)nn + 1, sizeof(uint32_t));
	t->tags = malloc(sizeof(*t->tags) * (nout + 1));
	if (!t->first || !t->count || !t->tags) {
		hearth_tags_free(t);
		goto out;
	}
	for (size_t j = 0; j < nout; j++) {
		const hearth_tag *g = &out[idx[j]].tag;
		if (t->count[g->node]++ == 0)
			t->first[g->node] = (uint32_t)j;
		t->tags[j] = *g;
	}
	t->ntags = nout;
	t->nids = nn;
	err = HEARTH_OK;
out:
	free(kt.keys);
	free(kt.slots);
	free(ents);
	free(sorted);
	free(bucket);
	free(touched);
	free(na);
	free(out);
	free(idx);
	free(tmp);
	free(a.tags);
	tagacc_release(&a);
	return err;
}

void hearth_tags_trim(hearth_tags *t, const hearth_graph *g, int64_t cut)
{
	for (uint32_t i = 0; i < g->nnodes; i++) {
		uint32_t id = g->nodes[i].id;
		if (id >= t->nids)
			continue;
		for (uint32_t k = 0; k < t->count[id]; k++) {
			hearth_tag *tg = &t->tags[t->first[id] + k];
			if (abs64(tg->flat) < cut && abs64(tg->cum) < cut)
				tg->trimmed = true;
		}
	}
}

/* ---- the call tree ---- */

void hearth_tree_free(hearth_tree *tr)
{
	free(tr->infos);
	free(tr->parent);
	memset(tr, 0, sizeof(*tr));
}

typedef struct {
	int64_t cum, cum_div, flat, flat_div;
	int64_t ew, ew_div; /* the edge from the parent */
	uint32_t info, parent;
	bool inl, has_edge;
} treenode;

hearth_err hearth_tree_build(hearth_profile *p, const hearth_nodeset *ns,
			     const hearth_valuesel *vs, const hearth_tagfmt *tf, hearth_tree *tr,
			     hearth_graph *g, hearth_tags *t)
{
	hearth_err err = HEARTH_ENOMEM;
	treenode *tn = NULL;
	uint64_t *keys = NULL;
	uint32_t *vals = NULL;
	size_t n = 0, cap = 0, kcap = 0;
	tagacc a;
	if (t)
		tagacc_init(&a, p, tf);
	memset(tr, 0, sizeof(*tr));
	memset(g, 0, sizeof(*g));
	uint32_t nt = p->nsample_types;
	bool mean = vs->mean_i >= 0;
	for (size_t si = 0; si < p->nsamples; si++) {
		const hearth_sample *s = &p->samples[si];
		const int64_t *v = p->values + si * nt;
		int64_t w = v[vs->vi], dw = mean ? v[vs->mean_i] : 0;
		if ((si & 1023) == 0 && hearth_budget_poll()) {
			err = HEARTH_EBUDGET;
			goto out;
		}
		if (w == 0 && dw == 0)
			continue;
		if (t && (err = tagacc_sample(&a, si)))
			goto out;
		err = HEARTH_ENOMEM;
		uint32_t parent = HEARTH_NONE;
		for (uint32_t i = s->nlocs; i-- > 0;) {
			uint32_t l = p->locs[s->loc0 + i];
			const uint32_t *nodes = ns->locnodes + ns->loc0[l];
			uint32_t cnt = ns->locn[l];
			for (uint32_t j = cnt; j-- > 0;) {
				/* The child of parent for this frame, found or added. */
				if ((n + 1) * 2 > kcap) {
					size_t nc = kcap ? kcap * 2 : 4096;
					uint64_t *nk = calloc(nc, sizeof(*nk));
					uint32_t *nv = malloc(sizeof(*nv) * nc);
					if (!nk || !nv) {
						free(nk);
						free(nv);
						goto out;
					}
					for (size_t q = 0; q < kcap; q++) {
						if (!keys[q])
							continue;
						size_t h = (keys[q] * 0x9e3779b97f4a7c15ull) >> 17 & (nc - 1);
						while (nk[h])
							h = (h + 1) & (nc - 1);
						nk[h] = keys[q];
						nv[h] = vals[q];
					}
					free(keys);
					free(vals);
					keys = nk, vals = nv, kcap = nc;
				}
				uint64_t key = ((uint64_t)(parent + 1) << 32 | nodes[j]) + 1;
				size_t h = (key * 0x9e3779b97f4a7c15ull) >> 17 & (kcap - 1);
				while (keys[h] && keys[h] != key)
					h = (h + 1) & (kcap - 1);
				uint32_t c;
				if (keys[h]) {
					c = vals[h];
				} else {
					if (n >= UINT32_MAX - 1 || !HEARTH_GROW(tn, n, cap, 1))
						goto out;
					c = (uint32_t)n++;
					memset(&tn[c], 0, sizeof(tn[c]));
					tn[c].inl = true;
					tn[c].info = nodes[j];
					tn[c].parent = parent;
					keys[h] = key;
					vals[h] = c;
				}
				tn[c].cum += w;
				tn[c].cum_div += dw;
				if (t && tagacc_add(&a, c, w, dw, false))
					goto out;
				if (parent != HEARTH_NONE) {
					tn[c].has_edge = true;
					tn[c].ew += w;
					tn[c].ew_div += dw;
					if (j == cnt - 1)
						tn[c].inl = false;
				}
				parent = c;
			}
		}
		if (parent != HEARTH_NONE) {
			tn[parent].flat += w;
			tn[parent].flat_div += dw;
			if (t && tagacc_add(&a, parent, w, dw, true))
				goto out;
		}
	}
	tr->n = (uint32_t)n;
	tr->infos = malloc(sizeof(*tr->infos) * (n + 1));
	tr->parent = malloc(sizeof(*tr->parent) * (n + 1));
	g->nodes = malloc(sizeof(*g->nodes) * (n + 1));
	g->edges = malloc(sizeof(*g->edges) * (n + 1));
	if (!tr->infos || !tr->parent || !g->nodes || !g->edges)
		goto out;
	for (size_t c = 0; c < n; c++) {
		tr->infos[c] = ns->infos[tn[c].info];
		tr->parent[c] = tn[c].parent;
		const treenode *x = &tn[c];
		if (x->has_edge) {
			hearth_edge *e = &g->edges[g->nedges++];
			memset(e, 0, sizeof(*e));
			e->src = tr->parent[c];
			e->dst = (uint32_t)c;
			e->weight = x->ew;
			e->weight_div = x->ew_div;
			e->inl = x->inl;
		}
		if (x->cum == 0 && x->flat == 0)
			continue;
		if (vs->drop_negative && (x->flat < 0 || (x->flat == 0 && x->cum < 0)))
			continue;
		hearth_node *nd = &g->nodes[g->nnodes++];
		memset(nd, 0, sizeof(*nd));
		nd->info = tr->infos[c];
		nd->id = (uint32_t)c;
		nd->flat = x->flat;
		nd->flat_div = x->flat_div;
		nd->cum = x->cum;
		nd->cum_div = x->cum_div;
	}
	if (t && (err = tagacc_finish(&a, (uint32_t)n, t)))
		goto out;
	err = HEARTH_OK;
out:
	free(tn);
	free(keys);
	free(vals);
	if (t) {
		free(a.tags);
		tagacc_release(&a);
	}
	if (err) {
		hearth_tree_free(tr);
		hearth_graph_free(g);
	}
	return err;
}

/* ---- edges ---- */

/* Per node id: its live in- and out-edges (all ids, in the graph or not). */
typedef struct {
	uint32_t *in0, *nin, *out0, *nout;
	uint32_t *in, *out;
} adjacency;

static void adj_free(adjacency *a)
{
	free(a->in0), free(a->nin), free(a->out0), free(a->nout), free(a->in), free(a->out);
	memset(a, 0, sizeof(*a));
}

static hearth_err adj_build(const hearth_graph *g, uint32_t nids, adjacency *a)
{
	memset(a, 0, sizeof(*a));
	size_t m = (size_t)nids + 1;
	a->in0 = calloc(m, sizeof(uint32_t));
	a->nin = calloc(m, sizeof(uint32_t));
	a->out0 = calloc(m, sizeof(uint32_t));
	a->nout = calloc(m, sizeof(uint32_t));
	a->in = malloc(sizeof(uint32_t) * (g->nedges + 1));
	a->out = malloc(sizeof(uint32_t) * (g->nedges + 1));
	if (!a->in0 || !a->nin || !a->out0 || !a->nout || !a->in || !a->out) {
		adj_free(a);
		return HEARTH_ENOMEM;
	}
	for (size_t e = 0; e < g->nedges; e++) {
		if (g->edges[e].trimmed)
			continue;
		a->nin[g->edges[e].dst]++;
		a->nout[g->edges[e].src]++;
	}
	uint32_t si = 0, so = 0;
	for (uint32_t i = 0; i < nids; i++) {
		a->in0[i] = si;
		a->out0[i] = so;
		si += a->nin[i];
		so += a->nout[i];
		a->nin[i] = a->nout[i] = 0;
	}
	for (size_t e = 0; e < g->nedges; e++) {
		const hearth_edge *x = &g->edges[e];
		if (x->trimmed)
			continue;
		a->in[a->in0[x->dst] + a->nin[x->dst]++] = (uint32_t)e;
		a->out[a->out0[x->src] + a->nout[x->src]++] = (uint32_t)e;
	}
	return HEARTH_OK;
}

hearth_err hearth_graph_index(hearth_graph *g, uint32_t nids)
{
	adjacency a;
	if (adj_build(g, nids, &a))
		return HEARTH_ENOMEM;
	free(g->in_edges);
	free(g->out_edges);
	g->in_edges = a.in;
	g->out_edges = a.out;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		hearth_node *n = &g->nodes[i];
		n->in0 = a.in0[n->id];
		n->nin = a.nin[n->id];
		n->out0 = a.out0[n->id];
		n->nout = a.nout[n->id];
	}
	a.in = a.out = NULL;
	adj_free(&a);
	return HEARTH_OK;
}

int hearth_graph_trim_edges(hearth_graph *g, int64_t cut)
{
	int dropped = 0;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const hearth_node *n = &g->nodes[i];
		for (uint32_t k = 0; k < n->nin; k++) {
			hearth_edge *e = &g->edges[g->in_edges[n->in0 + k]];
			if (!e->trimmed && abs64(e->weight) < cut) {
				e->trimmed = true;
				dropped++;
			}
		}
	}
	return dropped;
}

/* Printable names by node id, made when first asked for. */
struct hearth_names {
	const hearth_profile *p;
	const hearth_nodeinfo *infos;
	char **byid;
	uint32_t nids;
};

hearth_names *hearth_names_new(const hearth_profile *p, const hearth_nodeinfo *infos,
			       uint32_t nids)
{
	hearth_names *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->byid = calloc((size_t)nids + 1, sizeof(char *));
	if (!c->byid) {
		free(c);
		return NULL;
	}
	c->p = p;
	c->infos = infos;
	c->nids = nids;
	return c;
}

const char *hearth_names_get(hearth_names *c, uint32_t id)
{
	if (id >= c->nids)
		return "";
	if (!c->byid[id]) {
		hearth_buf b = {0};
		hearth_node_name(c->p, &c->infos[id], &b);
		c->byid[id] = b.data ? b.data : strdup("");
	}
	return c->byid[id] ? c->byid[id] : "";
}

void hearth_names_free(hearth_names *c)
{
	if (!c)
		return;
	for (uint32_t i = 0; i < c->nids; i++)
		free(c->byid[i]);
	free(c->byid);
	free(c);
}

typedef struct {
	hearth_names *nc;
	const hearth_graph *g;
} edgesort;

static int cmp_edges(const void *x, const void *y, void *arg)
{
	const edgesort *c = arg;
	const hearth_edge *a = &c->g->edges[*(const uint32_t *)x];
	const hearth_edge *b = &c->g->edges[*(const uint32_t *)y];
	/* pprof compares the absolute weights only when the weights differ. */
	if (a->weight != b->weight) {
		int64_t aw = abs64(a->weight), bw = abs64(b->weight);
		if (aw != bw)
			return aw > bw ? -1 : 1;
		return 0;
	}
	int k = strcmp(hearth_names_get(c->nc, a->src), hearth_names_get(c->nc, b->src));
	if (k)
		return k;
	return strcmp(hearth_names_get(c->nc, a->dst), hearth_names_get(c->nc, b->dst));
}

hearth_err hearth_edges_sort(hearth_names *nc, const hearth_graph *g, uint32_t *idx, size_t n)
{
	edgesort c = {nc, g};
	if (n > 1)
		qsort_r(idx, n, sizeof(*idx), cmp_edges, &c);
	return HEARTH_OK;
}

hearth_err hearth_graph_sorted_edges(hearth_names *nc, const hearth_graph *g, uint32_t i, bool in,
				     uint32_t **out, uint32_t *n)
{
	const hearth_node *nd = &g->nodes[i];
	uint32_t cnt = in ? nd->nin : nd->nout;
	const uint32_t *src = in ? g->in_edges + nd->in0 : g->out_edges + nd->out0;
	uint32_t *idx = malloc(sizeof(uint32_t) * (cnt + 1));
	*out = NULL;
	*n = 0;
	if (!idx)
		return HEARTH_ENOMEM;
	uint32_t k = 0;
	for (uint32_t j = 0; j < cnt; j++)
		if (!g->edges[src[j]].trimmed)
			idx[k++] = src[j];
	if (hearth_edges_sort(nc, g, idx, k)) {
		free(idx);
		return HEARTH_ENOMEM;
	}
	*out = idx;
	*n = k;
	return HEARTH_OK;
}

/* ---- entropy order ---- */

static uint32_t max_id(const hearth_graph *g)
{
	uint32_t m = 0;
	for (size_t e = 0; e < g->nedges; e++) {
		if (g->edges[e].src > m)
			m = g->edges[e].src;
		if (g->edges[e].dst > m)
			m = g->edges[e].dst;
	}
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i].id > m)
			m = g->nodes[i].id;
	return m;
}

static double edge_entropy(const hearth_graph *g, const uint32_t *idx, uint32_t n, int64_t self)
{
	double score = 0;
	int64_t total = self;
	for (uint32_t i = 0; i < n; i++) {
		int64_t w = g->edges[idx[i]].weight;
		if (w > 0)
			total += w;
	}
	if (total == 0)
		return 0;
	for (uint32_t i = 0; i < n; i++) {
		double frac = (double)abs64(g->edges[idx[i]].weight) / (double)total;
		score += -frac * hearth_go_log2(frac);
	}
	if (self > 0) {
		double frac = (double)abs64(self) / (double)total;
		score += -frac * hearth_go_log2(frac);
	}
	return score;
}

hearth_err hearth_graph_sort_entropy(const hearth_profile *p, hearth_graph *g, uint32_t nids)
{
	adjacency a;
	if (adj_build(g, nids, &a))
		return HEARTH_ENOMEM;
	int64_t *score = calloc((size_t)max_id(g) + 1, sizeof(int64_t));
	if (!score) {
		adj_free(&a);
		return HEARTH_ENOMEM;
	}
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const hearth_node *n = &g->nodes[i];
		uint32_t id = n->id;
		double s = 0;
		if (a.nin[id] == 0)
			s++; /* favour entry nodes */
		else
			s += edge_entropy(g, a.in + a.in0[id], a.nin[id], 0);
		if (a.nout[id] == 0)
			s++; /* and leaves */
		else
			s += edge_entropy(g, a.out + a.out0[id], a.nout[id], n->flat);
		score[id] = (int64_t)((uint64_t)go_int64(s * (double)n->cum) + (uint64_t)n->flat);
	}
	adj_free(&a);
	hearth_graph_sort_scores(p, g, score);
	free(score);
	return HEARTH_OK;
}

uint32_t hearth_graph_visual_top(const hearth_graph *g, const hearth_tags *t, int max)
{
	if (max <= 0)
		return g->nnodes;
	uint32_t keep = (uint32_t)max;
	int count = 0;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		uint32_t id = g->nodes[i].id, tags = 0;
		if (t && id < t->nids)
			for (uint32_t k = 0; k < t->count[id]; k++) {
				const hearth_tag *tg = &t->tags[t->first[id] + k];
				if (!tg->trimmed && tg->flat != 0)
					tags++;
			}
		if (tags > 4)
			tags = 4; /* pprof's maxNodelets */
		count += (int)tags + 1;
		if (count >= max) {
			keep = i + 1;
			break;
		}
	}
	return keep < g->nnodes ? keep : g->nnodes;
}

/* ---- redundant edges ---- */

/* Whether e's source reaches its destination without e (pprof's
 * isRedundantEdge, a breadth-first walk up the in-edges). */
static bool redundant(const hearth_graph *g, const adjacency *a, uint32_t ei, uint8_t *seen,
		      uint32_t *queue, uint32_t nids)
{
	const hearth_edge *e = &g->edges[ei];
	uint32_t head = 0, tail = 0;
	bool found = false;
	seen[e->dst] = 1;
	queue[tail++] = e->dst;
	while (head < tail && !found) {
		uint32_t n = queue[head++];
		for (uint32_t k = 0; k < a->nin[n]; k++) {
			uint32_t ie = a->in[a->in0[n] + k];
			const hearth_edge *x = &g->edges[ie];
			if (ie == ei || x->trimmed || seen[x->src])
				continue;
			if (x->src == e->src) {
				found = true;
				break;
			}
			seen[x->src] = 1;
			queue[tail++] = x->src;
		}
	}
	for (uint32_t i = 0; i < tail; i++)
		seen[queue[i]] = 0;
	(void)nids;
	return found;
}

hearth_err hearth_graph_remove_redundant(hearth_names *nc, uint32_t nids, hearth_graph *g)
{
	hearth_err err = HEARTH_ENOMEM;
	adjacency a;
	uint8_t *seen = NULL;
	uint32_t *queue = NULL;
	if ((err = hearth_graph_index(g, nids)) || (err = adj_build(g, nids, &a)))
		return err;
	err = HEARTH_ENOMEM;
	seen = calloc((size_t)nids + 1, 1);
	queue = malloc(sizeof(uint32_t) * ((size_t)nids + 1));
	if (!seen || !queue)
		goto out;
	for (uint32_t i = g->nnodes; i-- > 0;) {
		uint32_t *in, n;
		if (hearth_budget_poll()) {
			err = HEARTH_EBUDGET;
			goto out;
		}
		if (hearth_graph_sorted_edges(nc, g, i, true, &in, &n))
			goto out;
		for (uint32_t j = n; j-- > 0;) {
			hearth_edge *e = &g->edges[in[j]];
			if (!e->residual)
				break; /* never drop an edge heavier than a direct one */
			if (hearth_budget_poll()) {
				free(in);
				err = HEARTH_EBUDGET;
				goto out;
			}
			if (redundant(g, &a, in[j], seen, queue, nids))
				e->trimmed = true;
		}
		free(in);
	}
	err = hearth_graph_index(g, nids);
out:
	adj_free(&a);
	free(seen);
	free(queue);
	return err;
}

/* ---- TrimTree ---- */

hearth_err hearth_tree_trim(hearth_names *nc, uint32_t nids, hearth_graph *g, const bool *kept)
{
	adjacency a;
	uint8_t *state = calloc((size_t)nids + 1, 1); /* 1: a node of g to drop */
	if (!state)
		return HEARTH_ENOMEM;
	if (adj_build(g, nids, &a)) {
		free(state);
		return HEARTH_ENOMEM;
	}
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (!kept[g->nodes[i].id])
			state[g->nodes[i].id] = 1;
	/* In a tree each node has at most one live in-edge.  pprof drops nodes
	 * one by one, handing the children of each to its parent (residual
	 * edges, inline only if both halves were) or making them roots; the
	 * outcome is the same as linking every remaining node to its nearest
	 * remaining ancestor, unless the climb ends at a dropped root. */
	for (uint32_t id = 0; id < nids; id++) {
		if (state[id] == 1 || a.nin[id] == 0)
			continue;
		uint32_t ei = a.in[a.in0[id]];
		hearth_edge *e = &g->edges[ei];
		uint32_t anc = e->src;
		bool inl = e->inl, moved = false, root = false;
		while (state[anc] == 1) {
			if (a.nin[anc] == 0) {
				root = true;
				break;
			}
			const hearth_edge *pe = &g->edges[a.in[a.in0[anc]]];
			inl = pe->inl && inl;
			anc = pe->src;
			moved = true;
		}
		if (root) {
			e->trimmed = true;
		} else if (moved) {
			e->src = anc;
			e->residual = true;
			e->inl = inl;
		}
	}
	/* The dropped nodes' own in-edges go with them. */
	for (size_t e = 0; e < g->nedges; e++)
		if (!g->edges[e].trimmed && state[g->edges[e].dst] == 1)
			g->edges[e].trimmed = true;
	uint32_t w = 0;
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (kept[g->nodes[i].id])
			g->nodes[w++] = g->nodes[i];
	if (g->names) {
		for (uint32_t i = 0; i < g->nnodes; i++)
			free(g->names[i]);
		free(g->names);
		g->names = NULL;
	}
	g->nnodes = w;
	free(state);
	adj_free(&a);
	return hearth_graph_remove_redundant(nc, nids, g);
}
