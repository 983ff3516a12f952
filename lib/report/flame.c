/* The tree of frames behind every flame graph, and its JSON.
 *
 * The tree is never built node by node with a hash lookup per frame: on a
 * profile of a million samples 48 frames deep that is tens of millions of
 * random memory accesses.  Instead every sample's path is written once as a
 * row of name keys (root first), and the walk sorts groups of samples by the
 * key at one depth (MSD radix order): a group is a frame, the runs of equal
 * keys in it are its callees.  Each frame's sums are known before its callees
 * are visited, so a callee too narrow to be drawn is merged into its caller
 * without looking at anything below it; a flame graph of the 1M-sample bench
 * profile visits a few thousand groups.  Folded stacks and speedscope walk
 * with nothing merged and stream what they see, so they never hold the tree.
 */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flame.h"
#include "util.h"

static int cmp_names(const void *a, const void *b, void *ctx)
{
	char **byid = ctx;
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	int c = strcmp(byid[x], byid[y]);
	return c ? c : (x > y) - (x < y);
}

/* The index of string s in p's table, or HEARTH_NONE. */
static uint32_t find_string(const hearth_profile *p, const char *s)
{
	size_t n = strlen(s);
	for (uint32_t i = 0; i < p->nstrs; i++)
		if (p->strs[i].len == n && !memcmp(p->strs[i].s, s, n))
			return i;
	return HEARTH_NONE;
}

void hearth_fprep_free(hearth_fprep *fp)
{
	if (fp->names)
		for (uint32_t i = 0; i < fp->nnames; i++)
			free(fp->names[i]);
	free(fp->names);
	free(fp->seq);
	free(fp->off);
	free(fp->val);
	free(fp->div);
	free(fp->base);
	free(fp->idx);
	free(fp->tmp);
	free(fp->tmp2);
	memset(fp, 0, sizeof(*fp));
}

hearth_err hearth_fprep_new(hearth_report *r, hearth_fprep *fp)
{
	return hearth_fprep_new_dir(r, false, fp);
}

hearth_err hearth_fprep_new_dir(hearth_report *r, bool reverse, hearth_fprep *fp)
{
	return hearth_fprep_new_at(r, reverse, NULL, fp);
}

hearth_err hearth_fprep_new_at(hearth_report *r, bool reverse, const char *at, hearth_fprep *fp)
{
	hearth_profile *p = r->p;
	hearth_nodeset ns;
	hearth_err err = HEARTH_ENOMEM;
	char **byid = NULL;
	uint32_t *order = NULL, *rank = NULL, *lockey = NULL;
	memset(fp, 0, sizeof(*fp));
	fp->r = r;
	if (hearth_nodeset_build(p, false, &ns))
		return HEARTH_ENOMEM;

	/* Frames are keyed by their printable name: nodes that print alike
	 * (a function seen from two files at -functions) are one frame. */
	uint32_t ni = ns.ninfos;
	byid = calloc((size_t)ni + 1, sizeof(char *));
	order = malloc(sizeof(uint32_t) * ((size_t)ni + 1));
	rank = malloc(sizeof(uint32_t) * ((size_t)ni + 1));
	fp->names = calloc((size_t)ni + 1, sizeof(char *));
	if (!byid || !order || !rank || !fp->names)
		goto out;
	for (uint32_t i = 0; i < ni; i++) {
		hearth_buf b = {0};
		hearth_node_name(p, &ns.infos[i], &b);
		if (b.oom || !(byid[i] = b.data ? b.data : strdup(""))) {
			hearth_buf_free(&b);
			goto out;
		}
		order[i] = i;
	}
	qsort_r(order, ni, sizeof(uint32_t), cmp_names, byid);
	for (uint32_t i = 0; i < ni; i++) {
		uint32_t id = order[i];
		if (fp->nnames && !strcmp(fp->names[fp->nnames - 1], byid[id])) {
			free(byid[id]);
		} else {
			fp->names[fp->nnames++] = byid[id];
		}
		byid[id] = NULL;
		rank[id] = fp->nnames - 1;
	}
	if (fp->nnames >= (1u << 30)) {
		err = HEARTH_ETOOBIG;
		goto out;
	}
	/* The rank of the frame the paths are cut at (names are sorted). */
	uint32_t at_rank = HEARTH_NONE;
	if (at) {
		uint32_t lo = 0, hi = fp->nnames;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			int c = strcmp(fp->names[mid], at);
			if (c == 0) {
				at_rank = mid;
				break;
			}
			if (c < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (at_rank == HEARTH_NONE) {
			err = HEARTH_EINVAL;
			goto out;
		}
	}

	/* Each location's keys, root first: the location's own function,
	 * then what was inlined into it.  Key 0 means "the path ends". */
	size_t nln = 0;
	for (uint32_t li = 0; li < p->nlocations; li++)
		nln += ns.locn[li];
	lockey = malloc(sizeof(uint32_t) * (nln + 1));
	if (!lockey)
		goto out;
	for (uint32_t li = 0; li < p->nlocations; li++) {
		uint32_t n = ns.locn[li], b = ns.loc0[li];
		for (uint32_t j = 0; j < n; j++) {
			uint32_t id = ns.locnodes[b + n - 1 - j];
			lockey[b + j] = ((rank[id] << 1) | (j > 0)) + 1;
		}
	}

	/* The base's samples: marked pprof::base (-diff_base), or negative
	 * (-base, or a profile written after a subtraction). */
	uint32_t kbase = HEARTH_NONE, ktrue = HEARTH_NONE;
	if (p->nlabels) {
		kbase = find_string(p, "pprof::base");
		ktrue = find_string(p, "true");
	}
	int vi = r->vs.vi, mi = r->vs.mean_i;
	fp->mean = mi >= 0;
	size_t nframes = 0, n = 0;
	for (size_t si = 0; si < p->nsamples; si++) {
		const int64_t *v = hearth_sample_values(p, si);
		if (v[vi] == 0 && (!fp->mean || v[mi] == 0))
			continue;
		const hearth_sample *s = &p->samples[si];
		size_t depth = 0;
		for (uint32_t i = 0; i < s->nlocs; i++)
			depth += ns.locn[p->locs[s->loc0 + i]];
		if (depth > UINT32_MAX / 2) {
			err = HEARTH_ETOOBIG;
			goto out;
		}
		nframes += depth;
		n++;
	}
	fp->n = n;
	fp->seq = malloc(sizeof(uint32_t) * (nframes + 1));
	fp->off = malloc(sizeof(size_t) * (n + 1));
	fp->val = malloc(sizeof(int64_t) * (n + 1));
	fp->base = malloc(n + 1);
	fp->idx = malloc(sizeof(uint32_t) * (n + 1));
	fp->tmp = malloc(sizeof(uint64_t) * (n + 1));
	fp->tmp2 = malloc(sizeof(uint64_t) * (n + 1));
	if (fp->mean)
		fp->div = malloc(sizeof(int64_t) * (n + 1));
	if (!fp->seq || !fp->off || !fp->val || !fp->base || !fp->idx || !fp->tmp || !fp->tmp2 ||
	    (fp->mean && !fp->div))
		goto out;
	if (n > UINT32_MAX - 1) {
		err = HEARTH_ETOOBIG;
		goto out;
	}
	size_t w = 0, k = 0;
	fp->diff = r->o.nbase > 0 || r->o.ndiff_base > 0;
	for (size_t si = 0; si < p->nsamples; si++) {
		const int64_t *v = hearth_sample_values(p, si);
		if (v[vi] == 0 && (!fp->mean || v[mi] == 0))
			continue;
		const hearth_sample *s = &p->samples[si];
		bool base = v[vi] < 0;
		for (uint32_t i = 0; i < s->nlabels && !base && kbase != HEARTH_NONE; i++) {
			const hearth_label *l = &p->labels[s->label0 + i];
			base = l->key == kbase && l->str == ktrue;
		}
		fp->off[k] = w;
		if (reverse) {
			/* Leaf first: each location's keys backwards too. */
			for (uint32_t i = 0; i < s->nlocs; i++) {
				uint32_t loc = p->locs[s->loc0 + i];
				const uint32_t *lk = lockey + ns.loc0[loc];
				for (uint32_t j = ns.locn[loc]; j-- > 0;)
					fp->seq[w++] = lk[j];
			}
		} else {
			for (uint32_t i = s->nlocs; i-- > 0;) {
				uint32_t loc = p->locs[s->loc0 + i];
				memcpy(fp->seq + w, lockey + ns.loc0[loc],
				       sizeof(uint32_t) * ns.locn[loc]);
				w += ns.locn[loc];
			}
		}
		if (at_rank != HEARTH_NONE) {
			/* Cut at the first frame of that name from the path's
			 * start (root first: the outermost call; leaf first:
			 * the innermost), or leave the sample out. */
			size_t j = fp->off[k];
			while (j < w && (fp->seq[j] - 1) >> 1 != at_rank)
				j++;
			if (j == w) {
				w = fp->off[k];
				continue;
			}
			memmove(fp->seq + fp->off[k], fp->seq + j, sizeof(uint32_t) * (w - j));
			w -= j - fp->off[k];
			/* The root of the cut tree is the function itself,
			 * never an inlined frame of its caller. */
			fp->seq[fp->off[k]] = at_rank * 2 + 1;
		}
		/* Paths are bounded by the profile's own arrays (u32 indices). */
		if (w - fp->off[k] > fp->maxdepth)
			fp->maxdepth = (uint32_t)(w - fp->off[k]);
		fp->base[k] = base;
		fp->val[k] = base ? -v[vi] : v[vi];
		if (fp->mean)
			fp->div[k] = base ? -v[mi] : v[mi];
		if (base) {
			fp->diff = true;
			fp->btotal += fp->val[k];
		} else {
			fp->atotal += fp->val[k];
		}
		fp->idx[k] = (uint32_t)k;
		k++;
	}
	fp->n = n = k;
	fp->off[n] = w;
	/* The filters drop samples left without frames, but the total counts
	 * them (as pprof's does), and the root should show the total: what
	 * the total has beyond the samples left is the root's own value, as
	 * long as no filter dropped samples for another reason. */
	const hearth_opts *o = &r->o;
	if (!at && !fp->diff && !fp->mean && !o->focus && !o->ignore && !o->show_from &&
	    !o->tagfocus && !o->tagignore) {
		int64_t kept = 0;
		for (size_t si = 0; si < p->nsamples; si++) {
			int64_t x = hearth_sample_values(p, si)[vi];
			kept += x < 0 ? -x : x;
		}
		if (r->total > kept)
			fp->no_stack = r->total - kept;
		fp->atotal += fp->no_stack;
	}
	err = HEARTH_OK;
out:
	if (byid)
		for (uint32_t i = 0; i < ni; i++)
			free(byid[i]);
	free(byid);
	free(order);
	free(rank);
	free(lockey);
	hearth_nodeset_free(&ns);
	if (err)
		hearth_fprep_free(fp);
	return err;
}

/* ---- the walk ---- */

typedef struct {
	size_t lo, hi; /* idx[lo .. hi) */
	uint32_t key;
	int64_t a, b, da, db;
} run;

typedef struct {
	size_t pend_lo, next, pend_hi; /* its callees still to visit */
	uint32_t depth;
} level;

static inline uint32_t key_at(const hearth_fprep *fp, uint32_t k, uint32_t d)
{
	size_t o = fp->off[k] + d;
	return o < fp->off[k + 1] ? fp->seq[o] : 0;
}

/* Sorts t[0..m) by the key in the high 32 bits: LSD radix, 8 bits a pass,
 * passes where every key has the same digit skipped.  Stable. */
static void sort_keys(uint64_t *t, uint64_t *scratch, size_t m)
{
	if (m < 48) {
		for (size_t i = 1; i < m; i++) {
			uint64_t x = t[i];
			size_t j = i;
			for (; j > 0 && (t[j - 1] >> 32) > (x >> 32); j--)
				t[j] = t[j - 1];
			t[j] = x;
		}
		return;
	}
	uint64_t maxk = 0;
	for (size_t i = 0; i < m; i++)
		if (t[i] >> 32 > maxk)
			maxk = t[i] >> 32;
	uint64_t *src = t, *dst = scratch;
	for (int shift = 32; shift < 64 && (maxk >> (shift - 32)); shift += 8) {
		size_t cnt[256] = {0};
		for (size_t i = 0; i < m; i++)
			cnt[(src[i] >> shift) & 255]++;
		if (cnt[(src[0] >> shift) & 255] == m)
			continue;
		size_t sum = 0;
		for (int b = 0; b < 256; b++) {
			size_t c = cnt[b];
			cnt[b] = sum;
			sum += c;
		}
		for (size_t i = 0; i < m; i++)
			dst[cnt[(src[i] >> shift) & 255]++] = src[i];
		uint64_t *x = src;
		src = dst;
		dst = x;
	}
	if (src != t)
		memcpy(t, src, sizeof(uint64_t) * m);
}

typedef struct {
	run *pend;
	size_t npend, cappend;
	int64_t min;
	size_t merged;
} walkstate;

/* Sorts the group by its callee at depth d, sums what ends here, queues the
 * callees wide enough, merges the others; fills v. */
static bool visit(hearth_fprep *fp, walkstate *ws, const run *g, uint32_t d, hearth_fvisit *v)
{
	size_t m = g->hi - g->lo;
	uint32_t *idx = fp->idx + g->lo;
	uint64_t *t = fp->tmp;
	for (size_t i = 0; i < m; i++)
		t[i] = (uint64_t)key_at(fp, idx[i], d) << 32 | idx[i];
	sort_keys(t, fp->tmp2, m);
	for (size_t i = 0; i < m; i++)
		idx[i] = (uint32_t)t[i];
	memset(v, 0, sizeof(*v));
	v->depth = d;
	v->name = d ? (g->key - 1) >> 1 : HEARTH_NONE;
	v->inl = d && ((g->key - 1) & 1);
	v->a.total = g->a, v->b.total = g->b, v->da.total = g->da, v->db.total = g->db;
	v->a.self = d ? 0 : fp->no_stack;
	for (size_t i = 0; i < m;) {
		uint32_t key = (uint32_t)(t[i] >> 32);
		run c = {.lo = g->lo + i, .key = key};
		for (; i < m && (uint32_t)(t[i] >> 32) == key; i++) {
			uint32_t k = (uint32_t)t[i];
			int64_t x = fp->val[k], dx = fp->mean ? fp->div[k] : 0;
			if (fp->base[k])
				c.b += x, c.db += dx;
			else
				c.a += x, c.da += dx;
		}
		c.hi = g->lo + i;
		if (key == 0) {
			v->a.self += c.a;
			v->b.self = c.b, v->da.self = c.da, v->db.self = c.db;
		} else if ((c.a > c.b ? c.a : c.b) < ws->min) {
			v->a.merged += c.a, v->b.merged += c.b;
			v->da.merged += c.da, v->db.merged += c.db;
			ws->merged++;
		} else {
			if (!HEARTH_GROW(ws->pend, ws->npend, ws->cappend, 1))
				return false;
			ws->pend[ws->npend++] = c;
		}
	}
	return true;
}

hearth_err hearth_fprep_walk(hearth_fprep *fp, int64_t min, hearth_fvisit_fn cb, void *ctx,
			     size_t *merged_paths)
{
	walkstate ws = {.min = min};
	level *lv = malloc(sizeof(level) * ((size_t)fp->maxdepth + 2));
	hearth_err err = HEARTH_ENOMEM;
	size_t nlv = 0;
	hearth_fvisit v;
	if (!lv)
		return HEARTH_ENOMEM;
	run root = {0, fp->n, 0, fp->atotal, fp->btotal, 0, 0};
	if (fp->mean)
		for (size_t k = 0; k < fp->n; k++)
			*(fp->base[k] ? &root.db : &root.da) += fp->div[k];
	if (!visit(fp, &ws, &root, 0, &v))
		goto out;
	int rc = cb(ctx, &v);
	if (rc) {
		err = (hearth_err)rc;
		goto out;
	}
	lv[nlv++] = (level){0, 0, ws.npend, 0};
	while (nlv) {
		level *L = &lv[nlv - 1];
		if (L->next == L->pend_hi) {
			ws.npend = L->pend_lo;
			nlv--;
			continue;
		}
		run c = ws.pend[L->next++];
		uint32_t d = L->depth + 1;
		size_t lo = ws.npend;
		if (!visit(fp, &ws, &c, d, &v))
			goto out;
		if ((rc = cb(ctx, &v))) {
			err = (hearth_err)rc;
			goto out;
		}
		lv[nlv++] = (level){lo, lo, ws.npend, d};
	}
	err = HEARTH_OK;
	if (merged_paths)
		*merged_paths = ws.merged;
out:
	free(ws.pend);
	free(lv);
	return err;
}

/* ---- the flame graph in memory ---- */

typedef struct {
	hearth_flame *f;
	size_t cap;	 /* of f->nodes */
	uint32_t *stack; /* the open frame at each depth */
} buildctx;

static int add_node(void *ctx, const hearth_fvisit *v)
{
	buildctx *bc = ctx;
	hearth_flame *f = bc->f;
	if (f->nnodes >= HEARTH_FLAME_MAX_FRAMES)
		return HEARTH_ETOOBIG;
	if (!HEARTH_GROW(f->nodes, f->nnodes, bc->cap, 1))
		return HEARTH_ENOMEM;
	hearth_fnode *n = &f->nodes[f->nnodes];
	n->name = v->name;
	n->depth = v->depth;
	n->inl = v->inl;
	n->parent = v->depth ? bc->stack[v->depth - 1] : HEARTH_NONE;
	n->width = 0;
	n->a = v->a, n->b = v->b, n->da = v->da, n->db = v->db;
	bc->stack[v->depth] = (uint32_t)f->nnodes++;
	if (v->depth > f->maxdepth)
		f->maxdepth = v->depth;
	return 0;
}

hearth_err hearth_flame_new(hearth_report *r, const hearth_flame_opts *o, hearth_flame **out,
			    hearth_errbuf *eb)
{
	hearth_err err;
	hearth_flame *f = calloc(1, sizeof(*f));
	buildctx bc = {f, 0, NULL};
	*out = NULL;
	if (!f)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	f->r = r;
	if (o)
		f->o = *o;
	if (f->o.resolution < 0) {
		free(f);
		return hearth_seterr(eb, HEARTH_EINVAL, "resolution must be 0 or more");
	}
	if (f->o.callers && f->o.callees) {
		free(f);
		return hearth_seterr(eb, HEARTH_EINVAL, "callers and callees: one at a time");
	}
	const char *at = f->o.callers ? f->o.callers : f->o.callees;
	if (f->o.callers)
		f->o.reverse = true;
	if ((err = hearth_fprep_new_at(r, f->o.reverse, at, &f->fp))) {
		if (err == HEARTH_EINVAL)
			hearth_seterr(eb, err, "no frame is named \"%.200s\"%s", at,
				      strlen(at) > 200 ? "..." : "");
		goto fail;
	}
	int64_t ref = f->fp.atotal > f->fp.btotal ? f->fp.atotal : f->fp.btotal;
	if (f->o.resolution > 0)
		f->min = ref / f->o.resolution + (ref % f->o.resolution != 0);
	bc.stack = malloc(sizeof(uint32_t) * ((size_t)f->fp.maxdepth + 2));
	if (!bc.stack) {
		err = HEARTH_ENOMEM;
		goto fail;
	}
	if ((err = hearth_fprep_walk(&f->fp, f->min, add_node, &bc, &f->merged_paths))) {
		if (err == HEARTH_ETOOBIG)
			hearth_seterr(eb, err,
				      "the flame graph has more than %u frames: use a smaller "
				      "-resolution (the default is %d)",
				      HEARTH_FLAME_MAX_FRAMES, HEARTH_FLAME_RESOLUTION);
		goto fail;
	}
	/* Widths bottom up: a frame is as wide as the larger side of what
	 * ends in it (itself and its merged callees), plus its callees.  On
	 * one side that is its total; in a diff it makes room for both. */
	for (size_t i = f->nnodes; i-- > 0;) {
		hearth_fnode *n = &f->nodes[i];
		int64_t a = n->a.self + n->a.merged, b = n->b.self + n->b.merged;
		n->width += a > b ? a : b;
		f->merged_value += n->a.merged > n->b.merged ? n->a.merged : n->b.merged;
		if (n->parent != HEARTH_NONE)
			f->nodes[n->parent].width += n->width;
	}
	free(bc.stack);
	/* The walk's sort space is not needed by the writers. */
	free(f->fp.tmp);
	free(f->fp.tmp2);
	f->fp.tmp = f->fp.tmp2 = NULL;
	*out = f;
	return HEARTH_OK;
fail:
	free(bc.stack);
	if (err == HEARTH_ENOMEM)
		hearth_seterr(eb, err, "out of memory");
	hearth_flame_free(f);
	return err;
}

void hearth_flame_free(hearth_flame *f)
{
	if (!f)
		return;
	if (f->clean)
		for (uint32_t i = 0; i < f->fp.nnames; i++)
			free(f->clean[i]);
	free(f->clean);
	free(f->pkg_color);
	free(f->nodes);
	hearth_fprep_free(&f->fp);
	free(f);
}

int64_t hearth_flame_shown(const hearth_flame *f, int64_t v, int64_t div)
{
	return f->fp.mean && div ? v / div : v;
}

/* ---- names in markup ---- */

/* The length of the valid UTF-8 sequence at s (n bytes left) that XML
 * accepts, or 0. */
static size_t utf8_ok(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return c >= 0x20 && c != 0x7f ? 1 : 0;
	size_t len = c >= 0xc2 && c <= 0xdf   ? 2
		     : c >= 0xe0 && c <= 0xef ? 3
		     : c >= 0xf0 && c <= 0xf4 ? 4
					      : 0;
	if (len == 0 || len > n)
		return 0;
	uint32_t cp = c & (0xff >> (len + 1));
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	if ((cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff ||
	    (cp >= 0x80 && cp <= 0x9f))
		return 0;
	return len;
}

static char *utf8_clean(const char *s, bool text)
{
	hearth_buf b = {0};
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s);
	for (size_t i = 0; i < n;) {
		size_t l = text && (s[i] == '\n' || s[i] == '\t') ? 1 : utf8_ok(u + i, n - i);
		if (l) {
			hearth_buf_put(&b, s + i, l);
			i += l;
		} else {
			hearth_buf_put(&b, "\xef\xbf\xbd", 3);
			i++;
		}
	}
	if (b.oom) {
		hearth_buf_free(&b);
		return NULL;
	}
	return b.data ? b.data : strdup("");
}

char *hearth_utf8_clean(const char *s)
{
	return utf8_clean(s, false);
}

char *hearth_utf8_clean_text(const char *s)
{
	return utf8_clean(s, true);
}

const char *hearth_flame_name(hearth_flame *f, uint32_t name)
{
	if (name == HEARTH_NONE)
		return "root";
	if (!f->clean && !(f->clean = calloc(f->fp.nnames + 1, sizeof(char *))))
		return "?";
	if (!f->clean[name] && !(f->clean[name] = hearth_utf8_clean(f->fp.names[name])))
		return "?";
	return f->clean[name];
}

void hearth_xml_escape(hearth_buf *out, const char *s)
{
	const char *run = s;
	for (; *s; s++) {
		const char *rep;
		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			rep = "&#39;";
			break;
		default:
			continue;
		}
		hearth_buf_put(out, run, (size_t)(s - run));
		hearth_buf_puts(out, rep);
		run = s + 1;
	}
	hearth_buf_put(out, run, (size_t)(s - run));
}

void hearth_xml_escape_clean(hearth_buf *out, const char *s)
{
	char *c = hearth_utf8_clean(s);
	if (!c) {
		out->oom = true;
		return;
	}
	hearth_xml_escape(out, c);
	free(c);
}

/* ---- colours ---- */

/* The Go package of a printable name: "net/http" of
 * "net/http.(*conn).serve", skipping a leading address and anything after
 * a space (file and line). */
static void package_of(const char *s, const char **start, size_t *len)
{
	size_t hex = 0;
	while ((s[hex] >= '0' && s[hex] <= '9') || (s[hex] >= 'a' && s[hex] <= 'f'))
		hex++;
	if (hex == 16 && s[16] == ' ')
		s += 17;
	const char *end = strchr(s, ' ');
	if (!end)
		end = s + strlen(s);
	const char *base = s;
	for (const char *c = s; c < end; c++)
		if (*c == '/')
			base = c + 1;
	const char *dot = memchr(base, '.', (size_t)(end - base));
	*start = s;
	*len = (size_t)((dot ? dot : end) - s);
}

static uint32_t hsl(double h, double sat, double l)
{
	double c = (1 - fabs(2 * l - 1)) * sat, hp = h / 60;
	double x = c * (1 - fabs(fmod(hp, 2) - 1));
	double r = 0, g = 0, b = 0;
	if (hp < 1)
		r = c, g = x;
	else if (hp < 2)
		r = x, g = c;
	else if (hp < 3)
		g = c, b = x;
	else if (hp < 4)
		g = x, b = c;
	else if (hp < 5)
		r = x, b = c;
	else
		r = c, b = x;
	double m = l - c / 2;
	uint32_t R = (uint32_t)((r + m) * 255 + 0.5), G = (uint32_t)((g + m) * 255 + 0.5),
		 B = (uint32_t)((b + m) * 255 + 0.5);
	return R << 16 | G << 8 | B;
}

/* A warm colour from a hash of the package name (FNV-1a): the same package
 * gets the same colour in every graph and every run.  The colours are a grid
 * of 7 hues (red to yellow) by 4 lightnesses, so that two packages differ
 * visibly unless their hashes collide (1 in 28), rather than sit a few
 * degrees apart on a continuous scale. */
static uint32_t package_color(const char *name)
{
	const char *s;
	size_t n;
	package_of(name, &s, &n);
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 16777619u;
	h ^= h >> 15;
	static const double light[] = {0.48, 0.56, 0.64, 0.72};
	double hue = 2 + 8.5 * (h % 7);
	return hsl(hue, 0.80 + 0.05 * ((h >> 8) % 3), light[(h / 7) % 4]);
}

/* Red for growth, green for shrinkage, the stronger the larger the change
 * relative to the frame's larger side; near white for no change. */
static uint32_t diff_color(int64_t before, int64_t after)
{
	int64_t big = before > after ? before : after;
	if (big <= 0 || before == after)
		return 0xe8e8e8;
	double t = (double)(after - before) / (double)big;
	double m = t < 0 ? -t : t;
	/* Negative values (a -diff_base of negated samples) make the change
	 * larger than the larger side: full strength, not an overflow. */
	if (m > 1)
		m = 1;
	uint32_t lo = (uint32_t)(225 - 170 * m + 0.5);
	return t > 0 ? 0xff0000u | lo << 8 | lo : lo << 16 | 0xdd00u | lo;
}

uint32_t hearth_flame_color(hearth_flame *f, const hearth_fnode *n)
{
	if (f->fp.diff)
		return diff_color(n->b.total, n->a.total);
	if (n->name == HEARTH_NONE)
		return 0xc8c8c8;
	if (!f->pkg_color) {
		f->pkg_color = calloc(f->fp.nnames + 1, sizeof(uint32_t));
		if (!f->pkg_color)
			return 0xe07040;
		for (uint32_t i = 0; i < f->fp.nnames; i++)
			f->pkg_color[i] = package_color(f->fp.names[i]) | 0x1000000u;
	}
	return f->pkg_color[n->name] & 0xffffff;
}

/* ---- JSON ---- */

typedef struct {
	hearth_buf *out;
	bool html;
} jout;

/* Jansson writes through here; in HTML '<' becomes \u003c so no name can
 * close the <script> element the JSON sits in. */
static int jwrite(const char *buf, size_t n, void *ctx)
{
	jout *j = ctx;
	if (!j->html) {
		hearth_buf_put(j->out, buf, n);
		return j->out->oom ? -1 : 0;
	}
	const char *run = buf;
	for (size_t i = 0; i < n; i++) {
		if (buf[i] != '<')
			continue;
		hearth_buf_put(j->out, run, (size_t)(buf + i - run));
		hearth_buf_puts(j->out, "\\u003c");
		run = buf + i + 1;
	}
	hearth_buf_put(j->out, run, (size_t)(buf + n - run));
	return j->out->oom ? -1 : 0;
}

/* Dumps v (and drops the reference). */
static bool jput(jout *j, json_t *v)
{
	if (!v)
		return false;
	int rc = json_dump_callback(v, jwrite, j, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(v);
	return rc == 0;
}

static void put_i64(hearth_buf *b, int64_t v)
{
	char s[24], *e = s + sizeof(s), *c = e;
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	do {
		*--c = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--c = '-';
	hearth_buf_put(b, c, (size_t)(e - c));
}

typedef enum {
	COL_NAME,
	COL_DEPTH,
	COL_INLINE,
	COL_WIDTH,
	COL_VALUE,
	COL_SELF,
	COL_MERGED,
	COL_BVALUE,
	COL_BSELF,
	COL_BMERGED,
	COL_DIV,
	COL_SELFDIV,
	COL_BDIV,
	COL_BSELFDIV,
} column;

static int64_t col(const hearth_fnode *n, column c, const uint32_t *remap)
{
	switch (c) {
	case COL_NAME:
		return n->name == HEARTH_NONE ? 0 : remap[n->name];
	case COL_DEPTH:
		return n->depth;
	case COL_INLINE:
		return n->inl;
	case COL_WIDTH:
		return n->width;
	case COL_VALUE:
		return n->a.total;
	case COL_SELF:
		return n->a.self;
	case COL_MERGED:
		return n->a.merged;
	case COL_BVALUE:
		return n->b.total;
	case COL_BSELF:
		return n->b.self;
	case COL_BMERGED:
		return n->b.merged;
	case COL_DIV:
		return n->da.total;
	case COL_SELFDIV:
		return n->da.self;
	case COL_BDIV:
		return n->db.total;
	case COL_BSELFDIV:
		return n->db.self;
	}
	return 0;
}

hearth_err hearth_flame_json_append(hearth_flame *f, hearth_buf *out, bool html)
{
	hearth_report *r = f->r;
	jout j = {out, html};
	/* Names the graph uses, numbered in order of first use; 0 is the root. */
	uint32_t *remap = malloc(sizeof(uint32_t) * ((size_t)f->fp.nnames + 1));
	json_t *names = json_array(), *colors = json_array();
	hearth_err err = HEARTH_ENOMEM;
	if (!remap || !names || !colors)
		goto out;
	memset(remap, 0xff, sizeof(uint32_t) * f->fp.nnames);
	uint32_t nused = 1;
	json_array_append_new(names, json_string("root"));
	json_array_append_new(colors, json_string("#c8c8c8"));
	for (size_t i = 0; i < f->nnodes; i++) {
		const hearth_fnode *n = &f->nodes[i];
		if (n->name == HEARTH_NONE || remap[n->name] != UINT32_MAX)
			continue;
		remap[n->name] = nused++;
		char c[8];
		hearth_fnode probe = {.name = n->name};
		bool diff = f->fp.diff;
		f->fp.diff = false; /* the package colour, even in a diff */
		snprintf(c, sizeof(c), "#%06x", hearth_flame_color(f, &probe));
		f->fp.diff = diff;
		if (json_array_append_new(names, json_string(hearth_flame_name(f, n->name))) ||
		    json_array_append_new(colors, json_string(c)))
			goto out;
	}
	char total[64];
	hearth_rpt_value(r, r->total, total, sizeof(total));
	json_t *head = json_object();
	if (!head)
		goto out;
	/* The profile's file, as the text reports' header names it. */
	char file[4096];
	hearth_rpt_file_name(r, file, sizeof(file));
	const struct {
		const char *k, *v;
	} strs[] = {
	    {"title", f->o.title ? f->o.title : "Flame graph"},
	    {"type", r->sample_type},
	    {"unit", r->sample_unit},
	    {"output_unit", r->output_unit},
	    {"file", file},
	    {"total_label", total},
	};
	json_object_set_new(head, "version", json_integer(1));
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		char *c = hearth_utf8_clean(strs[i].v);
		if (!c || json_object_set_new(head, strs[i].k, json_string(c))) {
			free(c);
			json_decref(head);
			goto out;
		}
		free(c);
	}
	json_object_set_new(head, "scale", json_real(r->ratio));
	json_object_set_new(head, "total", json_integer(r->total));
	json_object_set_new(head, "diff", json_boolean(f->fp.diff));
	json_object_set_new(head, "mean", json_boolean(f->fp.mean));
	json_object_set_new(head, "inverted", json_boolean(f->o.inverted));
	json_object_set_new(head, "reverse", json_boolean(f->o.reverse));
	json_object_set_new(head, "resolution", json_integer(f->o.resolution));
	json_object_set_new(head, "min_value", json_integer(f->min));
	json_object_set_new(head, "merged_paths", json_integer((json_int_t)f->merged_paths));
	json_object_set_new(head, "merged_value", json_integer(f->merged_value));
	json_object_set_new(head, "names", names);
	json_object_set_new(head, "colors", colors);
	names = colors = NULL;
	/* Everything but the frames through jansson; the frames, columns of
	 * integers that may run to millions, by hand.  The head is dumped and
	 * its closing brace replaced. */
	size_t before = out->len;
	if (!jput(&j, head))
		goto out;
	if (out->len <= before || out->data[out->len - 1] != '}')
		goto out;
	out->len--;
	static const struct {
		const char *name;
		column c;
		int when; /* 0 always, 1 diff, 2 mean, 3 diff and mean */
	} cols[] = {
	    {"name", COL_NAME, 0},	 {"depth", COL_DEPTH, 0},
	    {"inline", COL_INLINE, 0},	 {"width", COL_WIDTH, 0},
	    {"value", COL_VALUE, 0},	 {"self", COL_SELF, 0},
	    {"merged", COL_MERGED, 0},	 {"base_value", COL_BVALUE, 1},
	    {"base_self", COL_BSELF, 1}, {"base_merged", COL_BMERGED, 1},
	    {"div", COL_DIV, 2},	 {"self_div", COL_SELFDIV, 2},
	    {"base_div", COL_BDIV, 3},	 {"base_self_div", COL_BSELFDIV, 3},
	};
	hearth_buf_puts(out, ",\"frames\":{");
	bool first = true;
	for (size_t c = 0; c < sizeof(cols) / sizeof(cols[0]); c++) {
		int w = cols[c].when;
		if (((w & 1) && !f->fp.diff) || ((w & 2) && !f->fp.mean))
			continue;
		hearth_buf_printf(out, "%s\"%s\":[", first ? "" : ",", cols[c].name);
		first = false;
		for (size_t i = 0; i < f->nnodes; i++) {
			if (i)
				hearth_buf_put(out, ",", 1);
			put_i64(out, col(&f->nodes[i], cols[c].c, remap));
		}
		hearth_buf_put(out, "]", 1);
	}
	hearth_buf_puts(out, "}}");
	err = out->oom ? HEARTH_ENOMEM : HEARTH_OK;
out:
	json_decref(names);
	json_decref(colors);
	free(remap);
	return err;
}

hearth_err hearth_flame_json(hearth_flame *f, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_err err = hearth_flame_json_append(f, out, false);
	if (!err)
		hearth_buf_put(out, "\n", 1);
	if (err || out->oom)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	return HEARTH_OK;
}
