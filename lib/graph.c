/* The call graph, with the semantics of pprof's internal/graph: nodes keyed
 * by what the granularity leaves of a frame, cum counted once per sample
 * however often a node recurs in it, flat on the leaf, edges between
 * consecutive kept frames (residual when frames in between were dropped). */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "hearth/budget.h"
#include "util.h"

void hearth_path_clean(const char *in, char *out, size_t n)
{
	/* Go's filepath.Clean: collapse "//", drop ".", resolve ".." lexically. */
	size_t len = strlen(in), w = 0, r = 0, dotdot = 0;
	bool rooted = len > 0 && in[0] == '/';
	if (n < len + 2) {
		snprintf(out, n, "%s", in);
		return;
	}
	if (len == 0) {
		strcpy(out, ".");
		return;
	}
	if (rooted) {
		out[w++] = '/';
		r = 1;
		dotdot = 1;
	}
	while (r < len) {
		if (in[r] == '/') {
			r++;
		} else if (in[r] == '.' && (r + 1 == len || in[r + 1] == '/')) {
			r++;
		} else if (in[r] == '.' && in[r + 1] == '.' && (r + 2 == len || in[r + 2] == '/')) {
			r += 2;
			if (w > dotdot) {
				w--;
				while (w > dotdot && out[w] != '/')
					w--;
			} else if (!rooted) {
				if (w > 0)
					out[w++] = '/';
				out[w++] = '.';
				out[w++] = '.';
				dotdot = w;
			}
		} else {
			if ((rooted && w != 1) || (!rooted && w != 0))
				out[w++] = '/';
			for (; r < len && in[r] != '/'; r++)
				out[w++] = in[r];
		}
	}
	if (w == 0)
		out[w++] = '.';
	out[w] = 0;
}

const char *hearth_path_base(const char *s, size_t n, size_t *len)
{
	if (n == 0) {
		*len = 1;
		return ".";
	}
	while (n > 1 && s[n - 1] == '/')
		n--;
	if (n == 1 && s[0] == '/') {
		*len = 1;
		return s;
	}
	size_t b = n;
	while (b > 0 && s[b - 1] != '/')
		b--;
	*len = n - b;
	return s + b;
}

static uint64_t info_hash(const hearth_nodeinfo *k)
{
	uint64_t h = k->name * 0x9e3779b97f4a7c15ull;
	h ^= (k->file + 0x51ed27u) * 0xc2b2ae3d27d4eb4full;
	h ^= k->address * 0x165667b19e3779f9ull;
	h ^= (uint64_t)k->line * 0x27d4eb2f165667c5ull;
	h ^= ((uint64_t)k->objfile << 32 | k->orig_name) * 0x94d049bb133111ebull;
	h ^= (uint64_t)k->start_line;
	return h ^ (h >> 29);
}

static bool info_eq(const hearth_nodeinfo *a, const hearth_nodeinfo *b)
{
	return a->name == b->name && a->file == b->file && a->address == b->address &&
	       a->line == b->line && a->objfile == b->objfile && a->orig_name == b->orig_name &&
	       a->start_line == b->start_line;
}

hearth_err hearth_nodeset_build(hearth_profile *p, bool objnames, hearth_nodeset *ns)
{
	hearth_err err = HEARTH_ENOMEM;
	uint32_t *clean = NULL, *table = NULL;
	size_t cap = 0, nn = 0, tcap = 64;
	memset(ns, 0, sizeof(*ns));
	size_t total = 0;
	for (uint32_t i = 0; i < p->nlocations; i++)
		total += p->locations[i].nlines ? p->locations[i].nlines : 1;
	ns->loc0 = malloc(sizeof(uint32_t) * (p->nlocations + 1));
	ns->locn = malloc(sizeof(uint32_t) * (p->nlocations + 1));
	ns->locnodes = malloc(sizeof(uint32_t) * (total + 1));
	clean = malloc(sizeof(uint32_t) * (p->nfunctions + 1));
	while (tcap < total * 2)
		tcap *= 2;
	table = malloc(sizeof(uint32_t) * tcap);
	if (!ns->loc0 || !ns->locn || !ns->locnodes || !clean || !table)
		goto out;
	memset(table, 0xff, sizeof(uint32_t) * tcap);

	/* File names as filepath.Clean leaves them, once per function. */
	for (uint32_t i = 0; i < p->nfunctions; i++) {
		uint32_t f = p->functions[i].file;
		clean[i] = f;
		if (f == 0)
			continue;
		const char *s = hearth_s(p, f);
		size_t len = strlen(s);
		char *c = malloc(len + 3);
		if (!c)
			goto out;
		hearth_path_clean(s, c, len + 3);
		if (strcmp(c, s) != 0)
			clean[i] = hearth_intern(p, c, strlen(c));
		free(c);
		if (clean[i] == HEARTH_NONE)
			goto out;
	}

	size_t k = 0;
	for (uint32_t li = 0; li < p->nlocations; li++) {
		const hearth_location *l = &p->locations[li];
		uint32_t obj = l->mapping != HEARTH_NONE ? p->mappings[l->mapping].file : 0;
		uint32_t nl = l->nlines ? l->nlines : 1;
		ns->loc0[li] = (uint32_t)k;
		ns->locn[li] = nl;
		for (uint32_t j = 0; j < nl; j++) {
			hearth_nodeinfo ni = {0};
			const hearth_line *ln = l->nlines ? &p->lines[l->line0 + j] : NULL;
			ni.address = l->address;
			if (!ln || ln->function == HEARTH_NONE) {
				ni.objfile = obj;
			} else {
				const hearth_function *f = &p->functions[ln->function];
				ni.line = ln->line;
				ni.name = f->name;
				ni.file = clean[ln->function];
				if (objnames || ni.name == 0) {
					ni.objfile = obj;
					ni.start_line = f->start_line;
				}
			}
			size_t h = info_hash(&ni) & (tcap - 1);
			while (table[h] != HEARTH_NONE && !info_eq(&ns->infos[table[h]], &ni))
				h = (h + 1) & (tcap - 1);
			if (table[h] == HEARTH_NONE) {
				if (!HEARTH_GROW(ns->infos, nn, cap, 1))
					goto out;
				ns->infos[nn] = ni;
				table[h] = (uint32_t)nn++;
			}
			ns->locnodes[k++] = table[h];
		}
	}
	ns->ninfos = (uint32_t)nn;
	err = HEARTH_OK;
out:
	free(clean);
	free(table);
	if (err)
		hearth_nodeset_free(ns);
	return err;
}

void hearth_nodeset_free(hearth_nodeset *ns)
{
	free(ns->infos);
	free(ns->loc0);
	free(ns->locn);
	free(ns->locnodes);
	memset(ns, 0, sizeof(*ns));
}

void hearth_node_name(const hearth_profile *p, const hearth_nodeinfo *ni, hearth_buf *out)
{
	bool sp = false;
	if (ni->address) {
		hearth_buf_printf(out, "%016" PRIx64, ni->address);
		sp = true;
	}
	if (ni->name) {
		if (sp)
			hearth_buf_put(out, " ", 1);
		hearth_buf_puts(out, hearth_s(p, ni->name));
		sp = true;
	}
	if (sp && (ni->line || ni->file || (!ni->name && ni->objfile) || !ni->name))
		hearth_buf_put(out, " ", 1);
	if (ni->line) {
		hearth_buf_printf(out, "%s:%" PRId64, hearth_s(p, ni->file), ni->line);
	} else if (ni->file) {
		hearth_buf_puts(out, hearth_s(p, ni->file));
	} else if (ni->name) {
		/* the name says it all */
	} else if (ni->objfile) {
		const char *o = hearth_s(p, ni->objfile);
		size_t bl;
		const char *b = hearth_path_base(o, strlen(o), &bl);
		hearth_buf_printf(out, "[%.*s]", (int)bl, b);
	} else {
		hearth_buf_puts(out, "<unknown>");
	}
}

/* Edge table: (src, dst) -> edge index, open addressing. */
typedef struct {
	uint64_t *keys;
	uint32_t *vals;
	size_t cap, n;
} edgemap;

static inline uint64_t ekey(uint32_t a, uint32_t b)
{
	return ((uint64_t)a << 32 | b) + 1; /* never 0, the empty slot */
}

static bool edgemap_grow(edgemap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 1024;
	uint64_t *k = calloc(cap, sizeof(*k));
	uint32_t *v = malloc(sizeof(*v) * cap);
	if (!k || !v) {
		free(k);
		free(v);
		return false;
	}
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t h = (m->keys[i] * 0x9e3779b97f4a7c15ull) >> 20 & (cap - 1);
		while (k[h])
			h = (h + 1) & (cap - 1);
		k[h] = m->keys[i];
		v[h] = m->vals[i];
	}
	free(m->keys);
	free(m->vals);
	m->keys = k;
	m->vals = v;
	m->cap = cap;
	return true;
}

hearth_err hearth_frames_build(const hearth_profile *p, const hearth_nodeset *ns, const bool *kept,
			       hearth_keptframe **fout, hearth_locframes **lout)
{
	size_t total = 0;
	for (uint32_t l = 0; l < p->nlocations; l++)
		total += ns->locn[l];
	hearth_keptframe *f = malloc(sizeof(*f) * (total + 1));
	hearth_locframes *lf = malloc(sizeof(*lf) * (p->nlocations + 1));
	if (!f || !lf) {
		free(f);
		free(lf);
		return HEARTH_ENOMEM;
	}
	size_t k = 0;
	for (uint32_t l = 0; l < p->nlocations; l++) {
		const uint32_t *nodes = ns->locnodes + ns->loc0[l];
		uint32_t cnt = ns->locn[l];
		bool dropped = false;
		lf[l].first = (uint32_t)k;
		for (uint32_t j = cnt; j-- > 0;) {
			if (kept && !kept[nodes[j]]) {
				dropped = true;
				continue;
			}
			f[k].node = nodes[j];
			f[k].dropped_before = dropped;
			f[k].inl = j != cnt - 1;
			dropped = false;
			k++;
		}
		lf[l].n = (uint32_t)k - lf[l].first;
		lf[l].dropped_after = dropped;
	}
	*fout = f;
	*lout = lf;
	return HEARTH_OK;
}

#define ONE_NODE 0x7fffffffu

/* What one worker accumulates over its share of the samples. */
typedef struct {
	const hearth_profile *p;
	const hearth_valuesel *vs;
	const hearth_keptframe *fr;
	const hearth_locframes *lf;
	size_t lo, hi; /* samples [lo, hi) */
	bool want_edges, mean;
	const bool *edge_dst;
	const uint32_t *one; /* per location: its one frame's node | inl << 31, or none */
	bool no_sums;	     /* hearth_graph_opts.sums gives cum and flat */
	bool *inlined;
	uint32_t nn;
	uint32_t *stamp;
	int64_t *cum, *flat, *cumdiv, *flatdiv;
	hearth_edge *edges;
	size_t nedges, ecap;
	uint32_t *estamp;
	edgemap em;
	/* With few kept nodes, a matrix of edge index + 1 by the compact
	 * indices of (src, dst) instead of the hash table: the lookup per
	 * frame was most of a graph pass with edges. */
	const uint32_t *cidx, *didx; /* as a source, as a destination */
	uint32_t ndidx;
	uint32_t *emat;
	/* The request's budget is the calling thread's (worker 0), which polls
	 * it and tells the other worker through stop. */
	bool polls;
	atomic_bool *stop;
	hearth_err err;
} acc;

static void acc_free(acc *a)
{
	free(a->stamp), free(a->cum), free(a->flat), free(a->cumdiv), free(a->flatdiv);
	free(a->inlined);
	free(a->edges), free(a->estamp), free(a->em.keys), free(a->em.vals);
	free(a->emat);
}

/* Finds or adds the edge src -> dst; returns its index or HEARTH_NONE. */
static uint32_t acc_edge(acc *a, uint32_t src, uint32_t dst, bool inl)
{
	edgemap *em = &a->em;
	uint32_t *cell = NULL;
	size_t h = 0;
	uint64_t key = 0;
	if (a->emat) {
		cell = &a->emat[(size_t)a->cidx[src] * a->ndidx + a->didx[dst]];
		if (*cell)
			return *cell - 1;
	} else {
		if (em->n * 2 >= em->cap && !edgemap_grow(em))
			return HEARTH_NONE;
		key = ekey(src, dst);
		h = (key * 0x9e3779b97f4a7c15ull) >> 20 & (em->cap - 1);
		while (em->keys[h] && em->keys[h] != key)
			h = (h + 1) & (em->cap - 1);
		if (em->keys[h])
			return em->vals[h];
	}
	if (a->nedges == a->ecap) {
		if (!HEARTH_GROW(a->edges, a->nedges, a->ecap, 1))
			return HEARTH_NONE;
		uint32_t *ne = realloc(a->estamp, sizeof(*ne) * a->ecap);
		if (!ne)
			return HEARTH_NONE;
		a->estamp = ne;
	}
	hearth_edge *e = &a->edges[a->nedges];
	memset(e, 0, sizeof(*e));
	e->src = src;
	e->dst = dst;
	e->inl = inl;
	a->estamp[a->nedges] = 0;
	if (cell) {
		*cell = (uint32_t)a->nedges + 1;
	} else {
		em->keys[h] = key;
		em->vals[h] = (uint32_t)a->nedges;
		em->n++;
	}
	return (uint32_t)a->nedges++;
}

/* What acc_frame reads of the worker on every frame, in locals (through
 * the worker they were loaded again after each store). */
typedef struct {
	uint32_t *stamp;
	int64_t *cum;
	bool *inlined;
	const bool *edge_dst;
	bool mean, want_edges;
	bool sums; /* cum and flat are wanted (not given by opts.sums) */
} frame_ctx;

/* One frame of a sample, node n (inl: an inlined frame), in order from the
 * root: its cum once per sample, its inline mark, the edge from the frame
 * before.  False on OOM. */
static inline bool acc_frame(acc *a, const frame_ctx *c, uint32_t n, bool inl, uint32_t sid,
			     int64_t w, int64_t dw, uint32_t *parent, bool residual)
{
	if (c->sums && c->stamp[n] != sid) {
		c->stamp[n] = sid;
		c->cum[n] += w;
		if (c->mean)
			a->cumdiv[n] += dw;
	}
	if (c->inlined && inl)
		c->inlined[n] = true;
	if (c->want_edges && *parent != HEARTH_NONE && n != *parent &&
	    (!c->edge_dst || c->edge_dst[n])) {
		uint32_t ei = acc_edge(a, *parent, n, inl);
		if (ei == HEARTH_NONE)
			return false;
		/* Once per sample, as pprof's seenEdge. */
		if (a->estamp[ei] != sid) {
			hearth_edge *e = &a->edges[ei];
			a->estamp[ei] = sid;
			e->weight += w;
			e->weight_div += dw;
			if (residual)
				e->residual = true;
			if (!inl)
				e->inl = false;
		}
	}
	*parent = n;
	return true;
}

static void *acc_run(void *arg)
{
	acc *a = arg;
	const hearth_profile *p = a->p;
	uint32_t nt = p->nsample_types;
	int vi = a->vs->vi, mi = a->vs->mean_i;
	const frame_ctx c = {a->stamp, a->cum,	      a->inlined, a->edge_dst,
			     a->mean,  a->want_edges, !a->no_sums};
	const uint32_t *one = a->one;
	const hearth_locframes *lf = a->lf;
	const hearth_keptframe *fr = a->fr;
	for (size_t si = a->lo; si < a->hi; si++) {
		if (((si - a->lo) & 4095) == 0) {
			if (a->polls && hearth_budget_poll())
				atomic_store(a->stop, true);
			if (atomic_load_explicit(a->stop, memory_order_relaxed)) {
				a->err = HEARTH_EBUDGET;
				return NULL;
			}
		}
		const hearth_sample *s = &p->samples[si];
		const int64_t *v = p->values + si * nt;
		int64_t w = v[vi], dw = c.mean ? v[mi] : 0;
		if (w == 0 && dw == 0)
			continue;
		uint32_t sid = (uint32_t)si + 1;
		uint32_t parent = HEARTH_NONE;
		bool residual = false;
		const uint32_t *locs = p->locs + s->loc0;
		for (uint32_t i = s->nlocs; i-- > 0;) {
			/* Most locations are one kept frame with nothing dropped
			 * around it: its node straight from one[] (a dependent
			 * load less per frame, on tens of millions of frames). */
			uint32_t o = one[locs[i]];
			if (o != HEARTH_NONE) {
				if (!acc_frame(a, &c, o & ONE_NODE, o >> 31, sid, w, dw, &parent,
					       residual))
					goto nomem;
				residual = false;
				continue;
			}
			const hearth_locframes *L = &lf[locs[i]];
			const hearth_keptframe *f = fr + L->first;
			for (uint32_t j = 0; j < L->n; j++) {
				residual |= f[j].dropped_before;
				if (!acc_frame(a, &c, f[j].node, f[j].inl, sid, w, dw, &parent,
					       residual))
					goto nomem;
				residual = false;
			}
			if (L->dropped_after)
				residual = true;
		}
		if (c.sums && parent != HEARTH_NONE && !residual) {
			a->flat[parent] += w;
			if (c.mean)
				a->flatdiv[parent] += dw;
		}
	}
	return NULL;
nomem:
	a->err = HEARTH_ENOMEM;
	return NULL;
}

static bool acc_init(acc *a, uint32_t nn, bool mean)
{
	a->nn = nn;
	a->mean = mean;
	a->stamp = calloc(nn + 1, sizeof(uint32_t));
	a->cum = calloc(nn + 1, sizeof(int64_t));
	a->flat = calloc(nn + 1, sizeof(int64_t));
	if (mean) {
		a->cumdiv = calloc(nn + 1, sizeof(int64_t));
		a->flatdiv = calloc(nn + 1, sizeof(int64_t));
	}
	return a->stamp && a->cum && a->flat && (!mean || (a->cumdiv && a->flatdiv));
}

/* Adds b's sums into a; an edge's inline flag holds only if it held in both. */
static hearth_err acc_join(acc *a, const acc *b)
{
	for (uint32_t n = 0; n < a->nn; n++) {
		a->cum[n] += b->cum[n];
		a->flat[n] += b->flat[n];
		if (a->mean) {
			a->cumdiv[n] += b->cumdiv[n];
			a->flatdiv[n] += b->flatdiv[n];
		}
	}
	for (size_t i = 0; i < b->nedges; i++) {
		const hearth_edge *be = &b->edges[i];
		uint32_t ei = acc_edge(a, be->src, be->dst, be->inl);
		if (ei == HEARTH_NONE)
			return HEARTH_ENOMEM;
		hearth_edge *e = &a->edges[ei];
		e->weight += be->weight;
		e->weight_div += be->weight_div;
		e->residual |= be->residual;
		e->inl &= be->inl;
	}
	return HEARTH_OK;
}

/* The most cells of the edge matrix (4 bytes each, per worker). */
#define EDGE_MATRIX ((size_t)1 << 21)

/* Below this many frames a second thread costs more than it saves. */
#define PARALLEL_FRAMES (1u << 20)

hearth_err hearth_graph_build(const hearth_profile *p, const hearth_nodeset *ns,
			      const hearth_valuesel *vs, const bool *kept, bool want_edges,
			      hearth_graph *g)
{
	hearth_graph_opts go = {.kept = kept, .edges = want_edges};
	return hearth_graph_build_opts(p, ns, vs, &go, g);
}

hearth_err hearth_graph_build_opts(const hearth_profile *p, const hearth_nodeset *ns,
				   const hearth_valuesel *vs, const hearth_graph_opts *go,
				   hearth_graph *g)
{
	const bool *kept = go->kept;
	bool want_edges = go->edges;
	hearth_err err = HEARTH_ENOMEM;
	uint32_t nn = ns->ninfos;
	hearth_keptframe *fr = NULL;
	hearth_locframes *lf = NULL;
	bool mean = vs->mean_i >= 0;
	acc w[2];
	atomic_bool stop = false;
	uint32_t *cidx = NULL, *didx = NULL, ncidx = 0, ndidx = 0, *one = NULL;
	memset(w, 0, sizeof(w));
	memset(g, 0, sizeof(*g));
	if (hearth_frames_build(p, ns, kept, &fr, &lf))
		goto out;
	if (!(one = malloc(sizeof(*one) * ((size_t)p->nlocations + 1))))
		goto out;
	for (uint32_t l = 0; l < p->nlocations; l++) {
		const hearth_keptframe *f = &fr[lf[l].first];
		one[l] =
		    lf[l].n == 1 && !lf[l].dropped_after && !f->dropped_before && f->node < ONE_NODE
			? f->node | (uint32_t)(f->inl != 0) << 31
			: HEARTH_NONE;
	}
	if (kept && want_edges) {
		/* Rows by the kept sources, columns by the kept destinations
		 * edges are built into (top's: the few inlined ones), so the
		 * matrix stays small enough for the cache. */
		const bool *dst = go->edge_dst;
		for (uint32_t n = 0; n < nn; n++) {
			ncidx += kept[n];
			ndidx += kept[n] && (!dst || dst[n]);
		}
		if ((size_t)ncidx * ndidx <= EDGE_MATRIX) {
			if (!(cidx = malloc(sizeof(*cidx) * ((size_t)nn + 1))) ||
			    !(didx = malloc(sizeof(*didx) * ((size_t)nn + 1))))
				goto out;
			ncidx = ndidx = 0;
			for (uint32_t n = 0; n < nn; n++) {
				cidx[n] = kept[n] ? ncidx++ : HEARTH_NONE;
				didx[n] = kept[n] && (!dst || dst[n]) ? ndidx++ : HEARTH_NONE;
			}
		}
	}
	/* Two workers over the two halves of the samples (the machine this
	 * targets has two cores); sample ids stay global so the once-per-sample
	 * stamps work the same in both. */
	int nw = p->nlocs >= PARALLEL_FRAMES && p->nsamples >= 2 ? 2 : 1;
	for (int i = 0; i < nw; i++) {
		if (!acc_init(&w[i], nn, mean))
			goto out;
		w[i].p = p, w[i].vs = vs, w[i].fr = fr, w[i].lf = lf, w[i].want_edges = want_edges;
		w[i].one = one;
		w[i].no_sums = go->sums != NULL;
		w[i].edge_dst = go->edge_dst;
		w[i].polls = i == 0;
		w[i].stop = &stop;
		if (cidx) {
			w[i].cidx = cidx;
			w[i].didx = didx;
			w[i].ndidx = ndidx;
			if (!(w[i].emat = calloc((size_t)ncidx * ndidx + 1, sizeof(uint32_t))))
				goto out;
		}
		if (go->inlined && !(w[i].inlined = calloc((size_t)nn + 1, 1)))
			goto out;
		w[i].lo = p->nsamples * (size_t)i / (size_t)nw;
		w[i].hi = p->nsamples * (size_t)(i + 1) / (size_t)nw;
	}
	pthread_t th;
	bool threaded = nw == 2 && pthread_create(&th, NULL, acc_run, &w[1]) == 0;
	acc_run(&w[0]);
	if (threaded)
		pthread_join(th, NULL);
	else if (nw == 2 && !w[0].err) {
		w[1].polls = true; /* on this thread after all */
		acc_run(&w[1]);
	}
	if (w[0].err || w[1].err) {
		err = w[0].err == HEARTH_EBUDGET || w[1].err == HEARTH_EBUDGET ? HEARTH_EBUDGET
										: HEARTH_ENOMEM;
		goto out;
	}
	if (nw == 2 && acc_join(&w[0], &w[1]))
		goto out;
	if (go->inlined)
		for (uint32_t n = 0; n < nn; n++)
			go->inlined[n] = w[0].inlined[n] || (nw == 2 && w[1].inlined[n]);

	if (go->sums)
		for (uint32_t i = 0; i < go->sums->nnodes; i++) {
			const hearth_node *o = &go->sums->nodes[i];
			if (o->id >= nn || (kept && !kept[o->id]))
				continue;
			w[0].cum[o->id] = o->cum;
			w[0].flat[o->id] = o->flat;
			if (mean) {
				w[0].cumdiv[o->id] = o->cum_div;
				w[0].flatdiv[o->id] = o->flat_div;
			}
		}
	/* Keep the nodes that saw any weight (pprof's selectNodesForGraph). */
	g->nodes = malloc(sizeof(*g->nodes) * (nn + 1));
	if (!g->nodes)
		goto out;
	const int64_t *cum = w[0].cum, *flat = w[0].flat;
	for (uint32_t n = 0; n < nn; n++) {
		if (cum[n] == 0 && flat[n] == 0)
			continue;
		if (vs->drop_negative && (flat[n] < 0 || (flat[n] == 0 && cum[n] < 0)))
			continue;
		hearth_node *a = &g->nodes[g->nnodes++];
		memset(a, 0, sizeof(*a));
		a->info = ns->infos[n];
		a->id = n;
		a->flat = flat[n];
		a->cum = cum[n];
		if (mean) {
			a->flat_div = w[0].flatdiv[n];
			a->cum_div = w[0].cumdiv[n];
		}
	}
	g->edges = w[0].edges;
	g->nedges = w[0].nedges;
	w[0].edges = NULL;
	err = HEARTH_OK;
out:
	acc_free(&w[0]);
	acc_free(&w[1]);
	free(cidx);
	free(didx);
	free(one);
	free(fr);
	free(lf);
	if (err)
		hearth_graph_free(g);
	return err;
}

void hearth_graph_free(hearth_graph *g)
{
	if (g->names)
		for (uint32_t i = 0; i < g->nnodes; i++)
			free(g->names[i]);
	free(g->names);
	free(g->nodes);
	free(g->edges);
	free(g->in_edges);
	free(g->out_edges);
	memset(g, 0, sizeof(*g));
}

typedef struct {
	const hearth_profile *p;
	hearth_order order;
	char **names; /* indexed by node id */
	const int64_t *score; /* indexed by node id, for the score orders */
} sortctx;

/* Go's abs64: INT64_MIN stays negative. */
static int64_t go_abs64(int64_t v)
{
	return v < 0 ? (int64_t)(0 - (uint64_t)v) : v;
}

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/* Go's fmt.Sprint of a NodeInfo, the last tie-breaker of pprof's orders. */
static char *info_string(const hearth_profile *p, const hearth_nodeinfo *i)
{
	char *s = NULL;
	if (asprintf(&s, "{%s %s %" PRIu64 " %s %" PRId64 " %" PRId64 " %s}", hearth_s(p, i->name),
		     hearth_s(p, i->orig_name), i->address, hearth_s(p, i->file), i->start_line,
		     i->line, hearth_s(p, i->objfile)) < 0)
		return NULL;
	return s;
}

static int cmp_nodes(const void *a, const void *b, void *arg)
{
	const sortctx *c = arg;
	const hearth_node *l = a, *r = b;
	int64_t lv, rv;
	int k;
	if (c->score) {
		lv = go_abs64(c->score[l->id]), rv = go_abs64(c->score[r->id]);
		if (lv != rv)
			return lv > rv ? -1 : 1;
		if ((k = strcmp(c->names[l->id], c->names[r->id])) != 0)
			return k;
		lv = abs64(l->flat), rv = abs64(r->flat);
		if (lv != rv)
			return lv > rv ? -1 : 1;
	} else if (c->order == HEARTH_ORDER_FLAT) {
		lv = abs64(l->flat), rv = abs64(r->flat);
		if (lv != rv)
			return lv > rv ? -1 : 1;
		if ((k = strcmp(c->names[l->id], c->names[r->id])) != 0)
			return k;
		lv = abs64(l->cum), rv = abs64(r->cum);
		if (lv != rv)
			return lv > rv ? -1 : 1;
	} else {
		lv = abs64(l->cum), rv = abs64(r->cum);
		if (lv != rv)
			return lv > rv ? -1 : 1;
		if ((k = strcmp(c->names[l->id], c->names[r->id])) != 0)
			return k;
		lv = abs64(l->flat), rv = abs64(r->flat);
		if (lv != rv)
			return lv > rv ? -1 : 1;
	}
	char *ls = info_string(c->p, &l->info), *rs = info_string(c->p, &r->info);
	k = ls && rs ? strcmp(ls, rs) : 0;
	free(ls);
	free(rs);
	return k;
}

static void sort_nodes(const hearth_profile *p, hearth_graph *g, hearth_order o,
		       const int64_t *score)
{
	uint32_t maxid = 0;
	for (uint32_t i = 0; i < g->nnodes; i++)
		if (g->nodes[i].id > maxid)
			maxid = g->nodes[i].id;
	char **byid = calloc((size_t)maxid + 1, sizeof(char *));
	if (!byid)
		return;
	if (!g->names)
		g->names = calloc(g->nnodes + 1, sizeof(char *));
	if (!g->names) {
		free(byid);
		return;
	}
	for (uint32_t i = 0; i < g->nnodes; i++) {
		if (!g->names[i]) {
			hearth_buf b = {0};
			hearth_node_name(p, &g->nodes[i].info, &b);
			g->names[i] = b.data ? b.data : strdup("");
		}
		byid[g->nodes[i].id] = g->names[i];
	}
	sortctx c = {p, o, byid, score};
	qsort_r(g->nodes, g->nnodes, sizeof(*g->nodes), cmp_nodes, &c);
	for (uint32_t i = 0; i < g->nnodes; i++)
		g->names[i] = byid[g->nodes[i].id];
	free(byid);
}

void hearth_graph_sort(const hearth_profile *p, hearth_graph *g, hearth_order o)
{
	sort_nodes(p, g, o, NULL);
}

void hearth_graph_sort_scores(const hearth_profile *p, hearth_graph *g, const int64_t *score)
{
	sort_nodes(p, g, HEARTH_ORDER_CUM, score);
}
