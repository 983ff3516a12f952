/* `callgrind`: the call graph in the format of Valgrind's callgrind tool,
 * which callgrind_annotate and KCachegrind read, as pprof's printCallgrind:
 * one cost line per node (address, line, flat value), one call record per
 * out-edge, with callgrind's name and position compression. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/measure.h"
#include "report.h"
#include "util.h"

/* callgrind's name compression: "(N) name" the first time, "(N)" after;
 * by content, as a profile's string table may repeat a string. */
typedef struct {
	const char **keys;
	uint32_t *ids;
	size_t cap;
	uint32_t n;
} cgnames;

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static bool cg_name(hearth_buf *out, cgnames *m, const char *text)
{
	if (!text[0])
		return true;
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 256;
		const char **k = calloc(cap, sizeof(*k));
		uint32_t *v = calloc(cap, sizeof(*v));
		if (!k || !v) {
			free(k);
			free(v);
			return false;
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->keys[i])
				continue;
			size_t h = str_hash(m->keys[i]) & (cap - 1);
			while (k[h])
				h = (h + 1) & (cap - 1);
			k[h] = m->keys[i];
			v[h] = m->ids[i];
		}
		free(m->keys);
		free(m->ids);
		m->keys = k, m->ids = v, m->cap = cap;
	}
	size_t h = str_hash(text) & (m->cap - 1);
	while (m->keys[h] && strcmp(m->keys[h], text))
		h = (h + 1) & (m->cap - 1);
	if (m->keys[h]) {
		hearth_buf_printf(out, "(%" PRIu32 ")", m->ids[h]);
		return true;
	}
	m->keys[h] = text;
	m->ids[h] = ++m->n;
	hearth_buf_printf(out, "(%" PRIu32 ") %s", m->n, text);
	return true;
}

/* Positions relative to the previous node's address when that is shorter. */
static void cg_address(hearth_buf *out, const hearth_nodeinfo *prev, uint64_t cur)
{
	char abs[32], rel[32];
	snprintf(abs, sizeof(abs), "0x%" PRIx64, cur);
	if (!prev) {
		hearth_buf_puts(out, abs);
		return;
	}
	if (prev->address == cur) {
		hearth_buf_puts(out, "*");
		return;
	}
	snprintf(rel, sizeof(rel), "%+" PRId64, (int64_t)(cur - prev->address));
	hearth_buf_puts(out, strlen(rel) < strlen(abs) ? rel : abs);
}

/* What identifies a node's function (pprof's Node.Function): its NodeInfo
 * without address and line, and in a call tree also its parent. */
typedef struct {
	uint32_t file, name, orig, objfile;
	int64_t start_line;
	uint32_t parent;
	uint32_t pos; /* position in the sorted nodes */
} fnkey;

static int cmp_fnkey(const void *x, const void *y)
{
	const fnkey *a = x, *b = y;
#define CMP(f)                                                                                     \
	if (a->f != b->f)                                                                          \
		return a->f < b->f ? -1 : 1;
	CMP(file) CMP(name) CMP(orig) CMP(objfile) CMP(start_line) CMP(parent) CMP(pos)
#undef CMP
	return 0;
}

static bool same_group(const fnkey *a, const fnkey *b)
{
	return a->file == b->file && a->name == b->name;
}

static bool same_fn(const fnkey *a, const fnkey *b)
{
	return same_group(a, b) && a->orig == b->orig && a->objfile == b->objfile &&
	       a->start_line == b->start_line && a->parent == b->parent;
}

typedef struct {
	uint32_t first, pos;
} firstpos;

static int cmp_first(const void *x, const void *y)
{
	const firstpos *a = x, *b = y;
	return a->first < b->first ? -1 : a->first > b->first;
}

/* pprof's getDisambiguatedNames: " [i/n]" after the names that several
 * functions share in one file.  Returns per sorted node the suffix index
 * (0: none) and the count. */
static hearth_err disambiguate(const hearth_trimmed *t, uint32_t *idx, uint32_t *cnt)
{
	uint32_t n = t->g.nnodes;
	fnkey *k = malloc(sizeof(*k) * (n + 1));
	firstpos *fp = malloc(sizeof(*fp) * (n + 1));
	if (!k || !fp) {
		free(k);
		free(fp);
		return HEARTH_ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		const hearth_nodeinfo *ni = &t->g.nodes[i].info;
		k[i] = (fnkey){ni->file, ni->name, ni->orig_name, ni->objfile, ni->start_line,
			       t->call_tree ? t->tree.parent[t->g.nodes[i].id] : 0, i};
		idx[i] = cnt[i] = 0;
	}
	qsort(k, n, sizeof(*k), cmp_fnkey);
	for (uint32_t a = 0; a < n;) {
		uint32_t b = a;
		while (b < n && same_group(&k[a], &k[b]))
			b++;
		/* The functions of the group, numbered in node order. */
		uint32_t nf = 0;
		for (uint32_t i = a; i < b; i++)
			if (i == a || !same_fn(&k[i - 1], &k[i]))
				fp[nf++] = (firstpos){k[i].pos, i};
		if (nf > 1) {
			qsort(fp, nf, sizeof(*fp), cmp_first);
			for (uint32_t f = 0; f < nf; f++)
				for (uint32_t i = fp[f].pos; i < b && (i == fp[f].pos ||
								       same_fn(&k[i - 1], &k[i]));
				     i++) {
					idx[k[i].pos] = f + 1;
					cnt[k[i].pos] = nf;
				}
		}
		a = b;
	}
	free(k);
	free(fp);
	return HEARTH_OK;
}

hearth_err hearth_report_callgrind(hearth_report *r, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_trimmed t;
	hearth_profile *p = r->p;
	hearth_err err = hearth_rpt_trimmed_graph(r, false, &t);
	if (err)
		return hearth_seterr(eb, err, "%s", hearth_strerror(err));
	hearth_rpt_select_unit(r, &t.g);
	uint32_t n = t.g.nnodes;
	uint32_t *didx = malloc(sizeof(uint32_t) * (n + 1));
	uint32_t *dcnt = malloc(sizeof(uint32_t) * (n + 1));
	uint32_t *pos = malloc(sizeof(uint32_t) * ((size_t)t.nids + 1));
	cgnames obs = {0}, files = {0}, names = {0};
	/* Names are compressed by string; disambiguated names get a string. */
	uint32_t *dname = malloc(sizeof(uint32_t) * (n + 1));
	err = HEARTH_ENOMEM;
	if (!didx || !dcnt || !pos || !dname || disambiguate(&t, didx, dcnt))
		goto out;
	for (uint32_t i = 0; i < n; i++) {
		dname[i] = t.g.nodes[i].info.name;
		if (didx[i]) {
			char *s = NULL;
			if (asprintf(&s, "%s [%u/%u]", hearth_s(p, dname[i]), didx[i], dcnt[i]) < 0)
				goto out;
			dname[i] = hearth_intern(p, s, strlen(s));
			free(s);
			if (dname[i] == HEARTH_NONE)
				goto out;
		}
	}
	memset(pos, 0xff, sizeof(uint32_t) * ((size_t)t.nids + 1));
	for (uint32_t i = 0; i < n; i++)
		pos[t.g.nodes[i].id] = i;

	hearth_buf_puts(out, "positions: instr line\n");
	hearth_buf_printf(out, "events: %s(%s)\n", r->sample_type, r->output_unit);
	const hearth_nodeinfo *prev = NULL;
	bool ok = true;
	for (uint32_t i = 0; i < n; i++) {
		const hearth_node *nd = &t.g.nodes[i];
		const hearth_nodeinfo *ni = &nd->info;
		if (!prev || ni->objfile != prev->objfile || ni->file != prev->file ||
		    ni->name != prev->name) {
			hearth_buf_puts(out, "\nob=");
			ok &= cg_name(out, &obs, hearth_s(p, ni->objfile));
			hearth_buf_puts(out, "\nfl=");
			ok &= cg_name(out, &files, hearth_s(p, ni->file));
			hearth_buf_puts(out, "\nfn=");
			ok &= cg_name(out, &names, hearth_s(p, ni->name));
			hearth_buf_puts(out, "\n");
		}
		cg_address(out, prev, ni->address);
		double sv = hearth_scale(hearth_node_flat(nd), r->sample_unit, r->output_unit, NULL);
		hearth_buf_printf(out, " %" PRId64 " %" PRId64 "\n", ni->line, (int64_t)sv);
		uint32_t *idx, ne;
		if (hearth_graph_sorted_edges(t.names, &t.g, i, false, &idx, &ne))
			goto out;
		for (uint32_t k = 0; k < ne; k++) {
			const hearth_edge *e = &t.g.edges[idx[k]];
			const hearth_nodeinfo *callee = &t.infos[e->dst];
			uint32_t cp = pos[e->dst];
			uint32_t cname = cp != HEARTH_NONE ? dname[cp] : 0;
			double c = hearth_scale(e->weight, r->sample_unit, r->output_unit, NULL);
			hearth_buf_puts(out, "cfl=");
			ok &= cg_name(out, &files, hearth_s(p, callee->file));
			hearth_buf_puts(out, "\ncfn=");
			ok &= cg_name(out, &names, hearth_s(p, cname));
			hearth_buf_puts(out, "\ncalls=0 ");
			/* pprof gives the callee's address relative to the previous
			 * node, not to the caller. */
			cg_address(out, prev, callee->address);
			hearth_buf_printf(out, " %" PRId64 "\n* * %" PRId64 "\n", callee->line,
					  (int64_t)c);
		}
		free(idx);
		prev = ni;
	}
	err = out->oom || !ok ? HEARTH_ENOMEM : HEARTH_OK;
out:
	free(didx);
	free(dcnt);
	free(pos);
	free(dname);
	free(obs.keys), free(obs.ids);
	free(files.keys), free(files.ids);
	free(names.keys), free(names.ids);
	hearth_trimmed_free(&t);
	if (err)
		return hearth_seterr(eb, err, "%s", hearth_strerror(err));
	return HEARTH_OK;
}
