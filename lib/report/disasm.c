/* `disasm`: annotated assembly of the functions whose symbol matches a
 * regexp, as go tool pprof's printAssembly.
 *
 * The graph is pprof's at address granularity without inlined frames (one
 * node per address).  The mappings that hold a node whose printable name
 * matches are opened (their file, after symbolization found the program);
 * their symbols that match and hold at least one node are printed, by name
 * then address: each instruction of the symbol with the samples from its
 * address up to the next instruction's, and the file and line of Go's
 * pclntab where they change.  Instructions come from capstone (asm.c), not
 * from Go's own disassembler as in go tool pprof: the text differs
 * (docs/reports-differences.md), the addresses and numbers do not. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "hearth/measure.h"
#include "report.h"
#include "util.h"

typedef struct {
	const char *path;
	hearth_objfile *f;
	hearth_asm *a; /* opened on first use */
	hearth_err aerr;
	char amsg[512];
} objent;

typedef struct {
	hearth_asm_sym sym;
	objent *obj;
	uint32_t n0, nn; /* its nodes: byaddr[n0 .. n0+nn) */
} objsym;

typedef struct {
	const hearth_profile *p;
	const hearth_graph *g;
} sortctx;

/* pprof's AddressOrder; equal addresses keep a fixed order. */
static int cmp_addr(const void *x, const void *y, void *arg)
{
	const sortctx *c = arg;
	const hearth_node *a = &c->g->nodes[*(const uint32_t *)x];
	const hearth_node *b = &c->g->nodes[*(const uint32_t *)y];
	if (a->info.address != b->info.address)
		return a->info.address < b->info.address ? -1 : 1;
	int k = strcmp(hearth_s(c->p, a->info.name), hearth_s(c->p, b->info.name));
	if (k)
		return k;
	if (a->info.line != b->info.line)
		return a->info.line < b->info.line ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

static int cmp_sym(const void *x, const void *y)
{
	const objsym *a = x, *b = y;
	int k = strcmp(a->sym.name, b->sym.name);
	if (k)
		return k;
	return a->sym.start < b->sym.start ? -1 : a->sym.start > b->sym.start;
}

static void value_or_dot(const hearth_report *r, int64_t v, char *out, size_t n)
{
	if (v == 0)
		snprintf(out, n, ".");
	else
		hearth_rpt_value(r, v, out, n);
}

/* filepath.Base for the ";file:line" notes. */
static void base_of(const char *s, size_t n, const char **b, size_t *bl)
{
	if (n == 0) {
		*b = "";
		*bl = 0;
		return;
	}
	*b = hearth_path_base(s, n, bl);
}

/* One ROUTINE: the symbol's instructions with the samples of nodes
 * byaddr[0 .. nn), sorted by address (pprof's annotateAssembly). */
static void routine(hearth_report *r, const hearth_graph *g, const uint32_t *byaddr, uint32_t nn,
		    const objsym *s, const hearth_asm_list *l, hearth_buf *out)
{
	const hearth_profile *p = r->p;
	int64_t flat = 0, cum = 0;
	for (uint32_t i = 0; i < nn; i++) {
		flat += g->nodes[byaddr[i]].flat;
		cum += g->nodes[byaddr[i]].cum;
	}
	char a[64], b[64], pct[32];
	hearth_buf_printf(out, "ROUTINE ======================== %s\n", s->sym.name);
	hearth_rpt_value(r, flat, a, sizeof(a));
	hearth_rpt_value(r, cum, b, sizeof(b));
	hearth_percentage(pct, sizeof(pct), cum, r->total);
	hearth_buf_printf(out, "%10s %10s (flat, cum) %s of Total\n", a, b, pct);
	/* The location last printed; a note is printed when it changes. */
	const char *lfn = "", *lfile = "";
	size_t lfn_len = 0, lfile_len = 0;
	int64_t lline = 0;
	uint32_t k = 0;
	hearth_buf loc = {0};
	for (size_t i = 0; i < l->n; i++) {
		const hearth_asm_inst *in = &l->v[i];
		uint64_t next = i + 1 < l->n ? l->v[i + 1].addr : UINT64_MAX;
		int64_t fl = 0, fd = 0, cu = 0, cd = 0, line = in->line;
		const char *fn = "", *file;
		size_t fn_len = 0, file_len;
		base_of(in->file, in->file_len, &file, &file_len);
		/* Samples up to the next instruction: those that fall inside
		 * this one count for it. */
		for (; k < nn && g->nodes[byaddr[k]].info.address < next; k++) {
			const hearth_node *nd = &g->nodes[byaddr[k]];
			fl += nd->flat;
			fd += nd->flat_div;
			cu += nd->cum;
			cd += nd->cum_div;
			const char *nf = hearth_s(p, nd->info.file);
			if (*nf && !file_len)
				base_of(nf, strlen(nf), &file, &file_len);
			if (nd->info.line && !line)
				line = nd->info.line;
			const char *nm = hearth_s(p, nd->info.name);
			if (*nm && !fn_len)
				fn = nm, fn_len = strlen(nm);
		}
		if (fd)
			fl /= fd;
		if (cd)
			cu /= cd;
		loc.len = 0;
		if (fn_len != lfn_len || memcmp(fn, lfn, fn_len) || file_len != lfile_len ||
		    memcmp(file, lfile, file_len) || line != lline) {
			lfn = fn, lfn_len = fn_len, lfile = file, lfile_len = file_len,
			lline = line;
			if (fn_len)
				hearth_buf_printf(&loc, "%.*s ", (int)fn_len, fn);
			if (file_len) {
				hearth_buf_put(&loc, file, file_len);
				if (line)
					hearth_buf_printf(&loc, ":%" PRId64, line);
			}
		}
		const char *text = hearth_asm_text(l, in);
		value_or_dot(r, fl, a, sizeof(a));
		value_or_dot(r, cu, b, sizeof(b));
		if (loc.len == 0) {
			hearth_buf_printf(out, "%10s %10s %10" PRIx64 ": %s\n", a, b, in->addr,
					  text);
		} else if (strlen(text) < 40) {
			hearth_buf_printf(out, "%10s %10s %10" PRIx64 ": %-40s;%.*s\n", a, b,
					  in->addr, text, (int)loc.len, loc.data);
		} else {
			hearth_buf_printf(out, "%74s;%.*s\n", "", (int)loc.len, loc.data);
			hearth_buf_printf(out, "%10s %10s %10" PRIx64 ": %s\n", a, b, in->addr,
					  text);
		}
		if (loc.oom)
			out->oom = true;
	}
	hearth_buf_free(&loc);
}

hearth_err hearth_report_disasm(hearth_report *r, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_profile *p = r->p;
	const char *re = r->o.symbol ? r->o.symbol : "";
	hearth_regex *rx = NULL;
	hearth_err err = hearth_regex_compile("disasm", re, &rx, eb);
	if (err)
		return err;
	uint64_t addr = 0;
	bool has_addr = hearth_asm_parse_addr(re, &addr);
	hearth_trimmed t;
	uint32_t *byaddr = NULL;
	bool *marked = NULL;
	objent *objs = NULL;
	objsym *syms = NULL;
	size_t nsyms = 0, capsyms = 0;
	uint32_t nobjs = 0;
	uint64_t code = 0; /* bytes decoded so far */
	size_t nfound = 0;  /* symbols matched, with samples or not */
	hearth_buf body = {0}, name = {0};
	hearth_asm_list l = {0};
	if ((err = hearth_rpt_full_graph(r, &t))) {
		hearth_regex_free(rx);
		return hearth_seterr(eb, err, "%s", hearth_strerror(err));
	}
	const hearth_graph *g = &t.g;
	err = HEARTH_ENOMEM;
	if (!(byaddr = malloc(sizeof(*byaddr) * ((size_t)g->nnodes + 1))) ||
	    !(marked = calloc((size_t)p->nstrs + 1, 1)) ||
	    !(objs = calloc((size_t)p->nmappings + 1, sizeof(*objs))))
		goto out;
	/* Only the programs of nodes whose printable name matches are read. */
	for (uint32_t i = 0; i < g->nnodes; i++) {
		const hearth_nodeinfo *ni = &g->nodes[i].info;
		byaddr[i] = i;
		if (!ni->objfile || ni->objfile >= p->nstrs)
			continue;
		name.len = 0;
		hearth_node_name(p, ni, &name);
		if (name.oom)
			goto out;
		if (hearth_regex_match(rx, name.data ? name.data : "", name.len))
			marked[ni->objfile] = true;
	}
	sortctx sc = {p, g};
	qsort_r(byaddr, g->nnodes, sizeof(*byaddr), cmp_addr, &sc);
	char tv[64];
	hearth_rpt_value(r, r->total, tv, sizeof(tv));
	hearth_buf_printf(&body, "Total: %s\n", tv);
	for (uint32_t mi = 0; mi < p->nmappings; mi++) {
		const hearth_mapping *m = &p->mappings[mi];
		if (!(m->file < p->nstrs && marked[m->file]) &&
		    !(has_addr && m->start <= addr && addr <= m->limit))
			continue;
		const char *path = hearth_s(p, m->file);
		hearth_errbuf oe = {{0}};
		objent *o = &objs[nobjs];
		hearth_err e = hearth_objfile_open(path, &o->f, &oe);
		if (e == HEARTH_ENOMEM)
			goto out;
		if (e) {
			/* pprof prints this (Go's os.Open words, lower case) and
			 * goes on with the next mapping. */
			char msg[sizeof(oe.msg)];
			snprintf(msg, sizeof(msg), "%s", oe.msg[0] ? oe.msg : hearth_strerror(e));
			if (msg[0] >= 'A' && msg[0] <= 'Z')
				msg[0] = (char)(msg[0] - 'A' + 'a');
			hearth_buf_printf(&r->warn, "open %s: %s\n", path, msg);
			continue;
		}
		o->path = path;
		nobjs++;
		hearth_asm_sym *ms;
		size_t nms;
		bool from_pcln;
		if ((e = hearth_asm_symbols(o->f, rx, has_addr, addr, &ms, &nms, &from_pcln,
					    &oe))) {
			err = e;
			goto out;
		}
		nfound += nms;
		for (size_t k = 0; k < nms; k++) {
			/* The nodes the symbol holds: [start, end), as pprof. */
			uint32_t lo = 0, hi = g->nnodes;
			while (lo < hi) {
				uint32_t mid = lo + (hi - lo) / 2;
				if (g->nodes[byaddr[mid]].info.address < ms[k].start)
					lo = mid + 1;
				else
					hi = mid;
			}
			uint32_t e2 = lo;
			while (e2 < g->nnodes && g->nodes[byaddr[e2]].info.address < ms[k].end)
				e2++;
			if (e2 == lo) {
				free(ms[k].name);
				continue;
			}
			if (!HEARTH_GROW(syms, nsyms, capsyms, 1)) {
				for (size_t j = k; j < nms; j++)
					free(ms[j].name);
				free(ms);
				goto out;
			}
			syms[nsyms++] = (objsym){ms[k], o, lo, e2 - lo};
		}
		free(ms);
	}
	/* Today's pprof's words (1.19 said "for regexp: %s" in every case). */
	if (nsyms == 0 && !has_addr) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "no matches found for regexp %s", re);
		goto out;
	}
	if (nsyms == 0 && nfound == 0) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "no matches found for address 0x%" PRIx64,
				    addr);
		goto out;
	}
	if (nsyms == 0) {
		err = hearth_seterr(eb, HEARTH_EINVAL,
				    "address 0x%" PRIx64 " found in binary, but the corresponding "
				    "symbols do not have samples in the profile",
				    addr);
		goto out;
	}
	qsort(syms, nsyms, sizeof(*syms), cmp_sym);
	for (size_t i = 0; i < nsyms; i++) {
		objsym *s = &syms[i];
		if (!s->obj->a && !s->obj->aerr) {
			hearth_errbuf ae = {{0}};
			s->obj->aerr = hearth_asm_open(s->obj->f, &s->obj->a, &ae);
			snprintf(s->obj->amsg, sizeof(s->obj->amsg), "%s", ae.msg);
		}
		if (s->obj->aerr) {
			err = hearth_seterr(eb, s->obj->aerr, "disasm: %s: %s", s->obj->path,
					    s->obj->amsg);
			goto out;
		}
		if ((err = hearth_asm_decode(s->obj->a, s->sym.start, s->sym.end, &l, eb)))
			goto out;
		code += hearth_asm_span(&l);
		if (code > HEARTH_ASM_MAX_TOTAL) {
			err = hearth_seterr(eb, HEARTH_ETOOBIG,
					    "disasm: more than %llu MiB of code to show (at %s); a "
					    "narrower regexp shows less",
					    (unsigned long long)(HEARTH_ASM_MAX_TOTAL >> 20),
					    s->sym.name);
			goto out;
		}
		routine(r, g, byaddr + s->n0, s->nn, s, &l, &body);
	}
	err = HEARTH_ENOMEM;
	if (body.oom || l.text.oom)
		goto out;
	hearth_buf_put(out, body.data, body.len);
	err = out->oom ? HEARTH_ENOMEM : HEARTH_OK;
out:
	if (err == HEARTH_ENOMEM)
		hearth_seterr(eb, err, "out of memory");
	for (size_t i = 0; i < nsyms; i++)
		free(syms[i].sym.name);
	free(syms);
	for (uint32_t i = 0; objs && i < nobjs; i++) {
		hearth_asm_close(objs[i].a);
		hearth_objfile_close(objs[i].f);
	}
	free(objs);
	free(marked);
	free(byaddr);
	hearth_asm_list_free(&l);
	hearth_buf_free(&body);
	hearth_buf_free(&name);
	hearth_trimmed_free(&t);
	hearth_regex_free(rx);
	return err;
}
