/* `weblist`: one HTML page of annotated source with the assembly of each
 * line, as go tool pprof's weblist (its printWebSource), in the same steps:
 *
 *   1. every location of every sample adds its value to its address (cum,
 *      and flat for the leaf); a location whose function, system name or
 *      file matches the regexp (or whose mapping's file does) marks its
 *      function as one of interest and its address as one to show;
 *   2. the addresses, in runs no more than 1000 bytes apart, widened by
 *      500 bytes on each side, are disassembled (the 25 runs with the most
 *      flat samples); each instruction gets the frames the program's line
 *      tables give it, and is filed under the file and line of each frame
 *      of a function of interest;
 *   3. each file's lines, grouped into functions (lines less than 20 apart
 *      of the same function, widened by 5), are printed with their values
 *      and, hidden until the line is clicked, their instructions.
 *
 * hearth decodes a run from the entry of the function that holds its
 * first byte (when the pclntab knows it, and it is near) rather than from
 * 500 bytes before the first address, wherever that falls: x86 code decoded
 * from the middle of an instruction is garbage until it falls back in step
 * (docs/reports-differences.md).  It shows the instructions from the one
 * that holds that byte on, so the lines are pprof's. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "hearth/measure.h"
#include "report.h"
#include "source.h"
#include "util.h"

#define EXPAND 500    /* bytes around the sampled addresses */
#define MAX_RANGES 25 /* runs disassembled */
#define NEIGHBORHOOD 32
#define MERGE_LIMIT 20 /* lines of one function merged into one listing */
#define LINE_EXPAND 5
#define MAX_FRAMES 32

/* ---- the page ---- */

/* What today's pprof's html/template gives text in an element: its
 * htmlEscaper, which escapes + too (1.19 wrote the page with
 * HTMLEscapeString, which does not). */
static void esc(hearth_buf *out, const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		const char *r;
		switch (s[i]) {
		case '<':
			r = "&lt;";
			break;
		case '>':
			r = "&gt;";
			break;
		case '&':
			r = "&amp;";
			break;
		case '\'':
			r = "&#39;";
			break;
		case '"':
			r = "&#34;";
			break;
		case '+':
			r = "&#43;";
			break;
		case 0:
			r = "\xef\xbf\xbd";
			break;
		default:
			continue;
		}
		hearth_buf_put(out, s + k, i - k);
		hearth_buf_puts(out, r);
		k = i + 1;
	}
	hearth_buf_put(out, s + k, n - k);
}

static void escs(hearth_buf *out, const char *s)
{
	esc(out, s, strlen(s));
}

/* pprof's rightPad: tabs to the next multiple of 8, then spaces to n
 * columns (one per UTF-8 character). */
static void right_pad(hearth_buf *out, const char *s, int n)
{
	int col = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p & 0xc0) == 0x80) {
			hearth_buf_put(out, (const char *)p, 1);
			continue;
		}
		col++;
		if (*p == '\t') {
			hearth_buf_put(out, " ", 1);
			for (; col % 8; col++)
				hearth_buf_put(out, " ", 1);
		} else {
			hearth_buf_put(out, (const char *)p, 1);
		}
	}
	for (; col < n; col++)
		hearth_buf_put(out, " ", 1);
}

static int indentation(const char *s)
{
	int col = 0;
	for (; *s == ' ' || *s == '\t'; s++) {
		col++;
		if (*s == '\t')
			while (col % 8)
				col++;
	}
	return col;
}

static void value_or_dot(const hearth_report *r, int64_t v, char *out, size_t n)
{
	if (v == 0)
		snprintf(out, n, ".");
	else
		hearth_rpt_value(r, v, out, n);
}

/* ---- addresses, instructions and what each line shows ---- */

typedef struct {
	uint64_t addr;
	int64_t flat, cum;
	uint32_t loc;  /* a location at this address */
	bool interest; /* recorded by a match */
	int32_t obj;   /* the program (objs[]), -1: none */
	uint32_t mapping;
} waddr;

typedef struct {
	uint64_t addr, obj_addr;
	uint32_t length;
	char *disasm; /* NULL: no instruction (an address without a program) */
	char *file;
	int64_t line;
	int64_t flat, cum;
} winst;

typedef struct {
	char *file; /* canonical file name */
	int64_t line;
	uint64_t addr;
	char *func;	 /* the frame's function */
	uint32_t s0, ns; /* the inlined calls below it: calls[s0 .. s0+ns) */
	size_t seq;
} wentry;

typedef struct {
	char *file;
	int64_t line;
} wcall;

typedef struct {
	hearth_objfile *f;
	hearth_asm *a;
	bool tried, failed;
	uint32_t file; /* the mapping's file, a string index */
} wobj;

typedef struct {
	hearth_report *r;
	hearth_profile *p;
	const hearth_regex *rx;
	bool has_addr; /* the regexp reads as an address */
	uint64_t addr;
	const char **interest; /* sorted names of functions of interest */
	size_t ninterest, capinterest;
	wobj *objs;
	uint32_t nobjs;
	winst *insts; /* sorted by address once all are in */
	size_t ninsts, capinsts;
	wentry *ents;
	size_t nents, capents;
	wcall *calls;
	size_t ncalls, capcalls;
	hearth_err err;
} wstate;

/* qsort and bsearch want a valid array even for no element. */
static void sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static void *search(const void *key, const void *base, size_t n, size_t size,
		    int (*cmp)(const void *, const void *))
{
	return n ? bsearch(key, base, n, size, cmp) : NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool interesting(const wstate *w, const char *name)
{
	return search(&name, w->interest, w->ninterest, sizeof(char *), cmp_str) != NULL;
}

/* The names of the marked functions, sorted, each once. */
static hearth_err interest_names(wstate *w, const bool *fmark)
{
	const hearth_profile *p = w->p;
	for (uint32_t i = 0; i < p->nfunctions; i++) {
		if (!fmark[i])
			continue;
		if (!HEARTH_GROW(w->interest, w->ninterest, w->capinterest, 2))
			return HEARTH_ENOMEM;
		w->interest[w->ninterest++] = hearth_s(p, p->functions[i].name);
		w->interest[w->ninterest++] = hearth_s(p, p->functions[i].system_name);
	}
	sort(w->interest, w->ninterest, sizeof(char *), cmp_str);
	size_t k = 0;
	for (size_t i = 0; i < w->ninterest; i++)
		if (!k || strcmp(w->interest[k - 1], w->interest[i]))
			w->interest[k++] = w->interest[i];
	w->ninterest = k;
	return HEARTH_OK;
}

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

/* pprof's canonicalizeFileName. */
static char *canonical(const char *f, size_t n)
{
	if (n >= 15 && !strncmp(f, "/proc/self/cwd/", 15))
		f += 15, n -= 15;
	if (n >= 2 && !strncmp(f, "./", 2))
		f += 2, n -= 2;
	char *in = dupn(f, n), *out = malloc(n + 3);
	if (in && out)
		hearth_path_clean(in[0] ? in : ".", out, n + 3);
	free(in);
	if (!in) {
		free(out);
		return NULL;
	}
	return out;
}

typedef struct {
	const char *func, *file;
	size_t func_len, file_len;
	int64_t line;
} wframe;

/* pprof's addStack: files the instruction at addr under the line of each
 * frame of a function of interest, with the calls inlined below it. */
static void add_stack(wstate *w, uint64_t addr, const wframe *fr, int n)
{
	for (int i = 0; i < n && !w->err; i++) {
		char *fn = dupn(fr[i].func, fr[i].func_len);
		if (!fn) {
			w->err = HEARTH_ENOMEM;
			return;
		}
		if (!interesting(w, fn)) {
			free(fn);
			continue;
		}
		char *file = canonical(fr[i].file, fr[i].file_len);
		if (!file || !HEARTH_GROW(w->ents, w->nents, w->capents, 1) ||
		    !HEARTH_GROW(w->calls, w->ncalls, w->capcalls, (size_t)i)) {
			free(fn);
			free(file);
			w->err = HEARTH_ENOMEM;
			return;
		}
		wentry *e = &w->ents[w->nents];
		*e = (wentry){file,	   fr[i].line, addr, fn, (uint32_t)w->ncalls,
			      (uint32_t)i, w->nents};
		w->nents++;
		/* The callees, caller first. */
		for (int j = i - 1; j >= 0; j--) {
			char *cf = dupn(fr[j].file, fr[j].file_len);
			if (!cf) {
				w->err = HEARTH_ENOMEM;
				return;
			}
			w->calls[w->ncalls++] = (wcall){cf, fr[j].line};
		}
	}
}

static winst *new_inst(wstate *w, uint64_t addr)
{
	if (!HEARTH_GROW(w->insts, w->ninsts, w->capinsts, 1)) {
		w->err = HEARTH_ENOMEM;
		return NULL;
	}
	winst *x = &w->insts[w->ninsts++];
	memset(x, 0, sizeof(*x));
	x->addr = addr;
	return x;
}

static wobj *object(wstate *w, uint32_t mapping)
{
	if (mapping == HEARTH_NONE || mapping >= w->p->nmappings)
		return NULL;
	uint32_t file = w->p->mappings[mapping].file;
	wobj *o = NULL;
	for (uint32_t i = 0; i < w->nobjs && !o; i++)
		if (w->objs[i].file == file)
			o = &w->objs[i];
	if (!o) {
		o = &w->objs[w->nobjs++];
		o->file = file;
	}
	if (!o->tried) {
		hearth_errbuf eb = {{0}};
		o->tried = true;
		o->failed = hearth_objfile_open(hearth_s(w->p, file), &o->f, &eb) != HEARTH_OK;
	}
	return o->failed ? NULL : o;
}

typedef struct {
	uint64_t begin, end;
	int64_t score;
	wobj *obj;
} wrange;

static int cmp_range(const void *x, const void *y)
{
	const wrange *a = x, *b = y;
	if (a->score != b->score)
		return a->score > b->score ? -1 : 1;
	return a->begin < b->begin ? -1 : a->begin > b->begin;
}

static int cmp_inst(const void *x, const void *y)
{
	const winst *a = x, *b = y;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static winst *find_inst(const wstate *w, uint64_t addr)
{
	winst key = {.addr = addr};
	return search(&key, w->insts, w->ninsts, sizeof(*w->insts), cmp_inst);
}

static bool have_inst(const wstate *w, uint64_t addr, size_t sorted)
{
	winst key = {.addr = addr};
	return search(&key, w->insts, sorted, sizeof(*w->insts), cmp_inst) != NULL;
}

/* Disassembles one run (pprof's expandAddresses for one range). */
static void expand_range(wstate *w, const wrange *rg, hearth_asm_list *l, hearth_errbuf *eb)
{
	wobj *o = rg->obj;
	if (!o->a) {
		hearth_errbuf ae = {{0}};
		if (o->failed)
			return;
		if (hearth_asm_open(o->f, &o->a, &ae) != HEARTH_OK) {
			/* Said once: the page goes on without this program's code. */
			hearth_buf_printf(&w->r->warn, "weblist: %s: %s\n", hearth_s(w->p, o->file),
					  ae.msg[0] ? ae.msg : "cannot disassemble");
			o->failed = true;
			return;
		}
	}
	uint64_t begin = rg->begin;
	/* Start at the entry of the function holding begin, when close. */
	uint64_t entry, fend;
	const char *nm;
	size_t nl;
	for (uint32_t i = 0; hearth_objfile_go_func(o->f, i, &entry, &fend, &nm, &nl); i++) {
		if (entry > begin)
			break;
		if (begin < fend) {
			if (begin - entry <= 4096)
				begin = entry;
			break;
		}
	}
	size_t sorted = w->ninsts;
	if (hearth_asm_decode(o->a, begin, rg->end, l, eb) != HEARTH_OK)
		return;
	wframe last[MAX_FRAMES];
	int nlast = 0;
	uint64_t last_addr = 0, max_addr = 0;
	for (size_t i = 0; i < l->n && !w->err; i++) {
		const hearth_asm_inst *in = &l->v[i];
		uint64_t addr = in->addr;
		if (addr <= max_addr && i > 0)
			continue;
		max_addr = addr;
		/* Runs may meet once widened: each instruction is taken once. */
		if (have_inst(w, addr, sorted))
			continue;
		uint32_t length = 1;
		if (i + 1 < l->n && l->v[i + 1].addr > addr)
			length = (uint32_t)(l->v[i + 1].addr - addr);
		/* Decoded from the entry for clean instructions, but shown from
		 * the run's start as pprof shows it: what ends before is not. */
		if (addr + length <= rg->begin)
			continue;
		hearth_frame hf[MAX_FRAMES];
		wframe fr[MAX_FRAMES];
		int n = hearth_objfile_source_line(o->f, addr, hf, MAX_FRAMES);
		for (int k = 0; k < n; k++)
			fr[k] = (wframe){hf[k].func, hf[k].file, hf[k].func_len, hf[k].file_len,
					 hf[k].line};
		if (n <= 0) {
			n = 1;
			fr[0] = (wframe){"", in->file, 0, in->file_len, in->line};
		}
		winst *x = new_inst(w, addr);
		if (!x)
			return;
		x->obj_addr = addr;
		x->length = length;
		x->disasm = strdup(hearth_asm_text(l, in));
		x->file = dupn(fr[0].file, fr[0].file_len);
		x->line = fr[0].line;
		if (!x->disasm || !x->file) {
			w->err = HEARTH_ENOMEM;
			return;
		}
		/* An instruction without a line takes the one of an instruction
		 * just before it. */
		if (fr[0].line != 0) {
			memcpy(last, fr, sizeof(*fr) * (size_t)n);
			nlast = n;
			last_addr = addr;
		} else if (addr - last_addr <= NEIGHBORHOOD && nlast) {
			memcpy(fr, last, sizeof(*fr) * (size_t)nlast);
			n = nlast;
		}
		add_stack(w, addr, fr, n);
	}
}

static int cmp_waddr(const void *x, const void *y)
{
	const waddr *a = x, *b = y;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static int cmp_ent(const void *x, const void *y)
{
	const wentry *a = x, *b = y;
	int k = strcmp(a->file, b->file);
	if (k)
		return k;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* A display name for a system name (pprof's prettyNames). */
static const char *pretty(const hearth_profile *p, const char *name)
{
	for (uint32_t i = 0; i < p->nfunctions; i++)
		if (p->functions[i].system_name && p->functions[i].name &&
		    !strcmp(hearth_s(p, p->functions[i].system_name), name))
			return hearth_s(p, p->functions[i].name);
	return name;
}

typedef struct {
	const char *name;
	int64_t begin, end, flat, cum;
} wfunc;

/* A line's figures: the sums over its instructions; whether it lists
 * anything under it (inlined calls or instructions). */
static bool line_sums(const wstate *w, const wentry *e, size_t n, int64_t *flat, int64_t *cum)
{
	bool nested = false;
	*flat = *cum = 0;
	for (size_t i = 0; i < n; i++) {
		const winst *x = find_inst(w, e[i].addr);
		if (!x)
			continue;
		*flat += x->flat;
		*cum += x->cum;
		if (e[i].ns || x->disasm)
			nested = true;
	}
	return nested;
}

/* What a line lists under it, in order, for the page and for its JSON. */
typedef struct {
	void *ctx;
	/* where the addresses jump */
	void (*gap)(void *ctx);
	/* a call inlined at the next instruction, not at the one before:
	 * depth 0 outermost; src[0 .. n) the call site's source, trimmed */
	void (*call)(void *ctx, const wcall *c, uint32_t depth, const char *src, size_t n);
	/* an instruction, below depth inlined calls */
	void (*inst)(void *ctx, const winst *x, uint32_t depth);
} lvisit;

static void walk_line(const wstate *w, hearth_srcreader *sr, const wentry *e, size_t n,
		      const lvisit *v)
{
	const wcall *cur = NULL;
	uint32_t ncur = 0;
	uint64_t last = 0;
	for (size_t i = 0; i < n; i++) {
		const winst *x = find_inst(w, e[i].addr);
		if (!x)
			continue;
		const winst *lx = find_inst(w, last);
		bool starts = e[i].addr != last + (lx ? lx->length : 0);
		last = e[i].addr;
		if (starts && i != 0)
			v->gap(v->ctx);
		const wcall *calls = w->calls + e[i].s0;
		for (uint32_t j = 0; j < e[i].ns; j++) {
			if (j < ncur && !strcmp(cur[j].file, calls[j].file) &&
			    cur[j].line == calls[j].line)
				continue;
			ncur = 0;
			const char *fl = hearth_src_line(sr, calls[j].file, calls[j].line);
			if (!fl)
				fl = "";
			while (*fl == ' ' || *fl == '\t')
				fl++;
			size_t tl = strlen(fl);
			while (tl && (fl[tl - 1] == ' ' || fl[tl - 1] == '\t'))
				tl--;
			v->call(v->ctx, &calls[j], j, fl, tl);
		}
		cur = calls;
		ncur = e[i].ns;
		if (x->disasm)
			v->inst(v->ctx, x, ncur);
	}
}

/* The page's rows under a line. */
typedef struct {
	const hearth_report *r;
	hearth_buf *out, t;
	int indent; /* the line's own */
} hrows;

static void html_gap(void *ctx)
{
	hrows *h = ctx;
	/* %28s of Go counts the one character, not its 3 bytes. */
	hearth_buf_printf(h->out, " %8s %27s\xe2\x8b\xae\n", "", "");
}

static void html_call(void *ctx, const wcall *c, uint32_t depth, const char *src, size_t n)
{
	hrows *h = ctx;
	hearth_buf *out = h->out;
	h->t.len = 0;
	if (n)
		hearth_buf_printf(&h->t, "%*s%.*s", h->indent + 4 + 4 * (int)depth, "", (int)n,
				  src);
	hearth_buf_put(&h->t, "", 1);
	hearth_buf_printf(out, " %8s %10s %10s %8s  <span class=inlinesrc>", "", "", "", "");
	hearth_buf pad = {0};
	right_pad(&pad, h->t.data ? h->t.data : "", 80);
	esc(out, pad.data ? pad.data : "", pad.len);
	hearth_buf_free(&pad);
	size_t bl;
	const char *bn = hearth_path_base(c->file, strlen(c->file), &bl);
	hearth_buf_puts(out, "</span> <span class=unimportant>");
	esc(out, bn, bl);
	hearth_buf_printf(out, ":%" PRId64 "</span>\n", c->line);
}

static void html_inst(void *ctx, const winst *x, uint32_t depth)
{
	hrows *h = ctx;
	hearth_buf *out = h->out;
	char a[64], b[64];
	h->t.len = 0;
	hearth_buf_printf(&h->t, "%*s%s", h->indent + 4 + 4 * (int)depth, "", x->disasm);
	hearth_buf_put(&h->t, "", 1);
	value_or_dot(h->r, x->flat, a, sizeof(a));
	value_or_dot(h->r, x->cum, b, sizeof(b));
	hearth_buf_printf(out, " %8s %10s %10s %8" PRIx64 ": ", "", a, b, x->obj_addr);
	hearth_buf pad = {0};
	right_pad(&pad, h->t.data ? h->t.data : "", 80);
	esc(out, pad.data ? pad.data : "", pad.len);
	hearth_buf_free(&pad);
	hearth_buf_puts(out, " <span class=unimportant>");
	if (x->file[0]) {
		/* pprof escapes the base name when it makes the row's
		 * file:line, and its template escapes that again. */
		size_t bl;
		const char *bn = hearth_path_base(x->file, strlen(x->file), &bl);
		hearth_buf once = {0};
		esc(&once, bn, bl);
		esc(out, once.data ? once.data : "", once.len);
		out->oom |= once.oom;
		hearth_buf_free(&once);
		hearth_buf_printf(out, ":%" PRId64, x->line);
	}
	hearth_buf_puts(out, "</span>\n");
}

static void print_line(wstate *w, hearth_srcreader *sr, const wentry *e, size_t n, int64_t ln,
		       const char *text, hearth_buf *out)
{
	char a[64], b[64];
	int64_t flat, cum;
	bool nested = line_sums(w, e, n, &flat, &cum);
	value_or_dot(w->r, flat, a, sizeof(a));
	value_or_dot(w->r, cum, b, sizeof(b));
	hearth_buf_printf(
	    out, "<span class=line> %6" PRId64 "</span> <span class=%s>  %10s %10s %8s  ", ln,
	    n == 0   ? "nop"
	    : nested ? "livesrc"
		     : "deadsrc",
	    a, b, "");
	escs(out, text);
	hearth_buf_puts(out, " </span>");
	if (n == 0) {
		hearth_buf_puts(out, "\n");
		return;
	}
	if (nested) {
		hrows h = {.r = w->r, .out = out, .indent = indentation(text)};
		lvisit v = {&h, html_gap, html_call, html_inst};
		hearth_buf_puts(out, "<span class=asm>");
		walk_line(w, sr, e, n, &v);
		out->oom |= h.t.oom;
		hearth_buf_free(&h.t);
		hearth_buf_puts(out, "</span>");
	}
	hearth_buf_puts(out, "\n");
}

/* One file's lines grouped into functions (pprof's functions): lines less
 * than MERGE_LIMIT apart of one function, widened by LINE_EXPAND; e[0 .. n)
 * are its entries sorted by line.  NULL when out of memory. */
static wfunc *group_funcs(wstate *w, const wentry *e, size_t n, size_t *nfp)
{
	wfunc *fs = calloc(n + 1, sizeof(*fs));
	size_t nf = 0;
	if (!fs)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && e[j].line == e[i].line)
			j++;
		/* The first function filed under a line names it. */
		const char *name = pretty(w->p, e[i].func);
		wfunc f = {name, e[i].line, e[i].line + 1, 0, 0};
		for (size_t k = i; k < j; k++) {
			const winst *x = find_inst(w, e[k].addr);
			if (x) {
				f.flat += x->flat;
				f.cum += x->cum;
			}
		}
		if (nf && e[i].line - fs[nf - 1].end < MERGE_LIMIT &&
		    !strcmp(fs[nf - 1].name, name)) {
			fs[nf - 1].end = e[i].line + 1;
			fs[nf - 1].flat += f.flat;
			fs[nf - 1].cum += f.cum;
		} else {
			fs[nf++] = f;
		}
		i = j;
	}
	for (size_t i = 0; i < nf; i++) {
		if (i == 0) {
			if (fs[i].begin > LINE_EXPAND)
				fs[i].begin -= LINE_EXPAND;
			else if (fs[i].begin > 1)
				fs[i].begin = 1;
		} else {
			int64_t half = (fs[i].begin - fs[i - 1].end) / 2;
			if (half > LINE_EXPAND)
				half = LINE_EXPAND;
			fs[i - 1].end += half;
			fs[i].begin -= half;
		}
	}
	if (nf)
		fs[nf - 1].end += LINE_EXPAND;
	*nfp = nf;
	return fs;
}

/* One file: its functions' lines (pprof's printFile). */
static void print_file(wstate *w, hearth_srcreader *sr, const wentry *e, size_t n, hearth_buf *out)
{
	hearth_report *r = w->r;
	size_t nf = 0;
	wfunc *fs = group_funcs(w, e, n, &nf);
	if (!fs) {
		out->oom = true;
		return;
	}
	char a[64], b[64], pct[32];
	size_t k = 0;
	for (size_t i = 0; i < nf; i++) {
		if (fs[i].cum == 0)
			continue;
		hearth_buf_puts(out, "<h2>");
		escs(out, fs[i].name);
		hearth_buf_puts(out, "</h2><p class=\"filename\">");
		escs(out, e[0].file);
		hearth_rpt_value(r, fs[i].flat, a, sizeof(a));
		hearth_rpt_value(r, fs[i].cum, b, sizeof(b));
		hearth_percentage(pct, sizeof(pct), fs[i].cum, r->total);
		hearth_buf_printf(out,
				  "</p>\n<pre onClick=\"pprof_toggle_asm(event)\">\n"
				  "  Total:  %10s %10s (flat, cum) %s\n",
				  a, b, pct);
		k = 0;
		for (int64_t ln = fs[i].begin; ln < fs[i].end && !out->oom; ln++) {
			while (k < n && e[k].line < ln)
				k++;
			size_t m = k;
			while (m < n && e[m].line == ln)
				m++;
			const char *text = hearth_src_line(sr, e[0].file, ln);
			if (!text) {
				if (m == k)
					continue;
				text = ln == 0 ? "<instructions with unknown line numbers>" : "???";
			}
			print_line(w, sr, e + k, m - k, ln, text, out);
		}
		hearth_buf_puts(out, "</pre>\n");
	}
	free(fs);
}

/* ---- the same as JSON, for the web UI's source view ---- */

/* A string for JSON: valid UTF-8 (names and files are hostile). */
/* Source text and instructions: tabs kept. */
static json_t *jtext(const char *s)
{
	char *c = hearth_utf8_clean_text(s ? s : "");
	json_t *j = c ? json_string(c) : NULL;
	free(c);
	return j;
}

static json_t *jstrn(const char *s, size_t n)
{
	char *d = dupn(s, n);
	json_t *j = d ? hearth_json_str(d) : NULL;
	free(d);
	return j;
}

static void jvalues(const hearth_report *r, json_t *o, int64_t flat, int64_t cum)
{
	char a[64], b[64];
	value_or_dot(r, flat, a, sizeof(a));
	value_or_dot(r, cum, b, sizeof(b));
	json_object_set_new(o, "flat", json_integer(flat));
	json_object_set_new(o, "cum", json_integer(cum));
	json_object_set_new(o, "flat_label", hearth_json_str(a));
	json_object_set_new(o, "cum_label", hearth_json_str(b));
}

/* A line's rows as JSON: the report for the instructions' values. */
typedef struct {
	const hearth_report *r;
	json_t *items;
} jrows;

static void json_gap(void *ctx)
{
	jrows *j = ctx;
	json_t *g = json_object();
	json_object_set_new(g, "gap", json_true());
	json_array_append_new(j->items, g);
}

static void json_call(void *ctx, const wcall *c, uint32_t depth, const char *src, size_t n)
{
	jrows *j = ctx;
	size_t bl;
	const char *bn = hearth_path_base(c->file, strlen(c->file), &bl);
	json_t *o = json_object();
	json_object_set_new(o, "call", json_true());
	json_object_set_new(o, "depth", json_integer(depth));
	json_object_set_new(o, "text", jstrn(src, n));
	json_object_set_new(o, "file", jstrn(bn, bl));
	json_object_set_new(o, "line", json_integer(c->line));
	json_array_append_new(j->items, o);
}

static void json_inst(void *ctx, const winst *x, uint32_t depth)
{
	jrows *j = ctx;
	char addr[32];
	snprintf(addr, sizeof(addr), "%" PRIx64, x->obj_addr);
	json_t *in = json_object();
	json_object_set_new(in, "depth", json_integer(depth));
	json_object_set_new(in, "addr", hearth_json_str(addr));
	json_object_set_new(in, "asm", jtext(x->disasm));
	jvalues(j->r, in, x->flat, x->cum);
	if (x->file[0]) {
		size_t bl;
		const char *bn = hearth_path_base(x->file, strlen(x->file), &bl);
		json_object_set_new(in, "file", jstrn(bn, bl));
		json_object_set_new(in, "line", json_integer(x->line));
	}
	json_array_append_new(j->items, in);
}

/* One line as print_line shows it: its figures and, in order, what its
 * assembly lists: the calls inlined at it ("call", the source of the call
 * site, depth 0 outermost), its instructions (address, text, figures), and
 * "gap" where the addresses jump. */
static json_t *jline(wstate *w, hearth_srcreader *sr, const wentry *e, size_t n, int64_t ln,
		     const char *text)
{
	json_t *o = json_object(), *items = json_array();
	if (!o || !items) {
		json_decref(o);
		json_decref(items);
		return NULL;
	}
	int64_t flat, cum;
	bool nested = line_sums(w, e, n, &flat, &cum);
	json_object_set_new(o, "line", json_integer(ln));
	json_object_set_new(o, "text", jtext(text));
	jvalues(w->r, o, flat, cum);
	if (nested) {
		jrows j = {w->r, items};
		lvisit v = {&j, json_gap, json_call, json_inst};
		walk_line(w, sr, e, n, &v);
	}
	json_object_set_new(o, "items", items);
	return o;
}

/* One file's functions, as print_file groups them; only the lines that
 * have something filed under them. */
static bool json_file(wstate *w, hearth_srcreader *sr, const wentry *e, size_t n, json_t *funcs)
{
	size_t nf = 0;
	wfunc *fs = group_funcs(w, e, n, &nf);
	if (!fs)
		return false;
	size_t k = 0;
	bool ok = true;
	for (size_t i = 0; i < nf && ok; i++) {
		if (fs[i].cum == 0)
			continue;
		json_t *f = json_object(), *lines = json_array();
		ok = f && lines;
		if (!ok) {
			json_decref(f);
			json_decref(lines);
			break;
		}
		json_object_set_new(f, "name", hearth_json_str(fs[i].name));
		json_object_set_new(f, "file", hearth_json_str(e[0].file));
		jvalues(w->r, f, fs[i].flat, fs[i].cum);
		k = 0;
		for (int64_t ln = fs[i].begin; ln < fs[i].end && ok; ln++) {
			while (k < n && e[k].line < ln)
				k++;
			size_t m = k;
			while (m < n && e[m].line == ln)
				m++;
			if (m == k)
				continue;
			const char *text = hearth_src_line(sr, e[0].file, ln);
			if (!text)
				text = ln == 0 ? "<instructions with unknown line numbers>" : "???";
			json_t *l = jline(w, sr, e + k, m - k, ln, text);
			ok = l && !json_array_append_new(lines, l);
		}
		json_object_set_new(f, "lines", lines);
		ok = ok && !json_array_append_new(funcs, f);
	}
	free(fs);
	return ok;
}

static const char page_head[] =
    "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=\"UTF-8\">\n"
    "<title>Pprof listing</title>\n"
    "<style type=\"text/css\">\n"
    "body { font-family: sans-serif; }\n"
    ".legend { font-size: 1.25em; }\n"
    ".line, .nop, .unimportant { color: #aaaaaa; }\n"
    ".inlinesrc { color: #000066; }\n"
    ".livesrc { cursor: pointer; }\n"
    ".livesrc:hover { background-color: #eeeeee; }\n"
    ".asm { color: #008800; display: none; }\n"
    "</style>\n"
    "<script type=\"text/javascript\">\n"
    "// A click on a source line shows or hides the assembly after it.\n"
    "function pprof_toggle_asm(e) {\n"
    "  var t = e && e.target;\n"
    "  var asm = t && t.nextSibling;\n"
    "  if (asm && asm.className === \"asm\") {\n"
    "    asm.style.display = asm.style.display === \"block\" ? \"\" : \"block\";\n"
    "    e.preventDefault();\n"
    "    return false;\n"
    "  }\n"
    "}\n"
    "</script>\n"
    "</head>\n<body>\n\n";

/* Records the sample values by address and the addresses of interest
 * (pprof's newSourcePrinter). */
static hearth_err collect(wstate *w, waddr **out, size_t *nout)
{
	hearth_profile *p = w->p;
	const hearth_report *r = w->r;
	int64_t *flat = calloc((size_t)p->nlocations + 1, sizeof(int64_t));
	int64_t *cum = calloc((size_t)p->nlocations + 1, sizeof(int64_t));
	bool *marked = calloc((size_t)p->nlocations + 1, 1);
	bool *seen = calloc((size_t)p->nlocations + 1, 1);
	bool *fmark = calloc((size_t)p->nfunctions + 1, 1);
	waddr *as = NULL;
	size_t na = 0;
	hearth_err err = HEARTH_ENOMEM;
	if (!flat || !cum || !marked || !seen || !fmark)
		goto out;
	for (size_t s = 0; s < p->nsamples; s++) {
		const int64_t *v = p->values + s * p->nsample_types;
		int64_t value = v[r->vs.vi];
		if (r->vs.mean_i >= 0 && v[r->vs.mean_i] != 0)
			value /= v[r->vs.mean_i];
		const hearth_sample *sm = &p->samples[s];
		for (uint32_t i = 0; i < sm->nlocs; i++) {
			uint32_t li = p->locs[sm->loc0 + i];
			if (li >= p->nlocations)
				continue;
			seen[li] = true;
			cum[li] += value;
			if (i == 0)
				flat[li] += value;
		}
	}
	/* The matches, over the locations (each sample's frames would find
	 * the same ones). */
	for (uint32_t li = 0; li < p->nlocations; li++) {
		const hearth_location *loc = &p->locations[li];
		bool match_file = false;
		if (!seen[li])
			continue;
		/* A regexp that reads as this address: its outermost function. */
		if (w->has_addr && loc->address == w->addr) {
			for (uint32_t j = loc->nlines; j-- > 0;) {
				const hearth_line *ln = &p->lines[loc->line0 + j];
				if (ln->function == HEARTH_NONE || ln->function >= p->nfunctions)
					continue;
				if (j == loc->nlines - 1) {
					fmark[ln->function] = true;
					marked[li] = true;
				}
				break;
			}
			continue;
		}
		if (loc->mapping != HEARTH_NONE && loc->mapping < p->nmappings) {
			const char *mf = hearth_s(p, p->mappings[loc->mapping].file);
			match_file = hearth_regex_match(w->rx, mf, strlen(mf));
		}
		for (uint32_t j = 0; j < loc->nlines; j++) {
			const hearth_line *ln = &p->lines[loc->line0 + j];
			if (ln->function == HEARTH_NONE || ln->function >= p->nfunctions)
				continue;
			const hearth_function *fn = &p->functions[ln->function];
			const char *nm = hearth_s(p, fn->name), *sn = hearth_s(p, fn->system_name),
				   *fl = hearth_s(p, fn->file);
			if ((j == 0 && match_file) || hearth_regex_match(w->rx, nm, strlen(nm)) ||
			    hearth_regex_match(w->rx, sn, strlen(sn)) ||
			    hearth_regex_match(w->rx, fl, strlen(fl))) {
				fmark[ln->function] = true;
				marked[li] = true;
			}
		}
	}
	if ((err = interest_names(w, fmark)))
		goto out;
	err = HEARTH_ENOMEM;
	/* Addresses: a location without one gets its own, past every
	 * mapping (pprof synthesizes them likewise). */
	uint64_t synth = 0;
	for (uint32_t i = 0; i < p->nmappings; i++)
		if (p->mappings[i].limit > synth)
			synth = p->mappings[i].limit;
	synth = (synth | 0xffff) + 1;
	as = calloc((size_t)p->nlocations + 1, sizeof(*as));
	if (!as)
		goto out;
	for (uint32_t li = 0; li < p->nlocations; li++) {
		const hearth_location *loc = &p->locations[li];
		if (!seen[li])
			continue;
		uint64_t addr = loc->address ? loc->address : synth + li;
		as[na++] = (waddr){addr,
				   flat[li],
				   cum[li],
				   li,
				   marked[li],
				   -1,
				   loc->address ? loc->mapping : HEARTH_NONE};
	}
	sort(as, na, sizeof(*as), cmp_waddr);
	/* One entry per address. */
	size_t k = 0;
	for (size_t i = 0; i < na; i++) {
		if (k && as[k - 1].addr == as[i].addr) {
			as[k - 1].flat += as[i].flat;
			as[k - 1].cum += as[i].cum;
			if (!as[k - 1].interest && as[i].interest) {
				as[k - 1].interest = true;
				as[k - 1].loc = as[i].loc;
				as[k - 1].mapping = as[i].mapping;
			}
			continue;
		}
		as[k++] = as[i];
	}
	na = k;
	err = HEARTH_OK;
out:
	free(flat);
	free(cum);
	free(marked);
	free(seen);
	free(fmark);
	if (err) {
		free(as);
		as = NULL;
		na = 0;
	}
	*out = as;
	*nout = na;
	return err;
}

static int64_t sum_range(const waddr *as, size_t na, uint64_t a, uint64_t b, bool flat)
{
	/* The first address >= a. */
	size_t lo = 0, hi = na;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (as[mid].addr < a)
			lo = mid + 1;
		else
			hi = mid;
	}
	int64_t s = 0;
	for (size_t i = lo; i < na && as[i].addr < b; i++)
		s += flat ? as[i].flat : as[i].cum;
	return s;
}

static int jdump(const char *buf, size_t n, void *ctx)
{
	hearth_buf *out = ctx;
	hearth_buf_put(out, buf, n);
	return out->oom ? -1 : 0;
}

static hearth_err weblist(hearth_report *r, bool json, hearth_buf *out, hearth_errbuf *eb);

hearth_err hearth_report_weblist(hearth_report *r, hearth_buf *out, hearth_errbuf *eb)
{
	return weblist(r, false, out, eb);
}

hearth_err hearth_report_weblist_json(hearth_report *r, hearth_buf *out, hearth_errbuf *eb)
{
	return weblist(r, true, out, eb);
}

/* The page (or its JSON): pprof's printWebSource. */
static hearth_err weblist(hearth_report *r, bool json, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_profile *p = r->p;
	const char *re = r->o.symbol ? r->o.symbol : "";
	hearth_regex *rx = NULL;
	hearth_err err = hearth_regex_compile("weblist", re, &rx, eb);
	if (err)
		return err;
	wstate w = {.r = r, .p = p, .rx = rx};
	w.has_addr = hearth_asm_parse_addr(re, &w.addr);
	hearth_srcreader sr = {0};
	waddr *as = NULL;
	size_t na = 0;
	wrange *rgs = NULL;
	size_t nr = 0;
	hearth_asm_list l = {0};
	hearth_buf body = {0}, labels = {0};
	char cwd[4096];
	if ((err = collect(&w, &as, &na)))
		goto out;
	if (w.ninterest == 0) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "no matches found for regexp: %s", re);
		goto out;
	}
	if ((err = hearth_srcreader_init(&sr, r->o.source_path, r->o.trim_path, r->o.goroot, cwd,
					 sizeof(cwd), eb)))
		goto out;
	sr.none = r->o.no_source_files;
	err = HEARTH_ENOMEM;
	if (!(w.objs = calloc((size_t)p->nmappings + 1, sizeof(*w.objs))) ||
	    !(rgs = calloc(na + 1, sizeof(*rgs))))
		goto out;
	/* The addresses of interest without a program show the location's own
	 * lines and no instruction (pprof's handleUnprocessed). */
	for (size_t i = 0; i < na && !w.err; i++) {
		if (!as[i].interest)
			continue;
		if (object(&w, as[i].mapping)) {
			as[i].obj = 1;
			continue;
		}
		const hearth_location *loc = &p->locations[as[i].loc];
		wframe fr[MAX_FRAMES];
		int n = 0;
		for (uint32_t j = 0; j < loc->nlines && n < MAX_FRAMES; j++) {
			const hearth_line *ln = &p->lines[loc->line0 + j];
			if (ln->function == HEARTH_NONE || ln->function >= p->nfunctions)
				continue;
			const hearth_function *fn = &p->functions[ln->function];
			const char *nm = hearth_s(p, fn->name), *fl = hearth_s(p, fn->file);
			fr[n++] = (wframe){nm, fl, strlen(nm), strlen(fl), ln->line};
		}
		winst *x = new_inst(&w, as[i].addr);
		if (!x || !(x->file = strdup(n ? fr[0].file : "")))
			goto out;
		x->obj_addr = as[i].addr;
		x->length = 1;
		x->line = n ? fr[0].line : 0;
		add_stack(&w, as[i].addr, fr, n);
	}
	if (w.err)
		goto out;
	for (size_t i = 0; i < na;) {
		if (!as[i].interest || as[i].obj < 0) {
			i++;
			continue;
		}
		const hearth_mapping *m = &p->mappings[as[i].mapping];
		uint64_t begin = as[i].addr, end = begin;
		int64_t sum = as[i].flat;
		wobj *o = object(&w, as[i].mapping);
		for (i++; i < na; i++) {
			if (!as[i].interest || as[i].obj < 0)
				continue;
			if (!(as[i].addr <= end + 2 * EXPAND && as[i].addr < m->limit))
				break;
			end = as[i].addr;
			sum += as[i].flat;
		}
		/* pprof's arithmetic, unsigned as in Go. */
		begin = m->start - begin >= EXPAND ? begin - EXPAND : m->start;
		end = m->limit - end >= EXPAND ? end + EXPAND : m->limit;
		rgs[nr++] = (wrange){begin, end, sum, o};
	}
	sort(w.insts, w.ninsts, sizeof(*w.insts), cmp_inst);
	sort(rgs, nr, sizeof(*rgs), cmp_range);
	if (nr > MAX_RANGES)
		nr = MAX_RANGES;
	uint64_t code = 0;
	for (size_t i = 0; i < nr && !w.err; i++) {
		hearth_errbuf de = {{0}};
		if (code > HEARTH_ASM_MAX_TOTAL) {
			hearth_buf_printf(
			    &r->warn,
			    "weblist: %#llx-%#llx not disassembled: more than %llu MiB of "
			    "code in all\n",
			    (unsigned long long)rgs[i].begin, (unsigned long long)rgs[i].end,
			    (unsigned long long)(HEARTH_ASM_MAX_TOTAL >> 20));
			continue;
		}
		l.n = 0;
		expand_range(&w, &rgs[i], &l, &de);
		code += hearth_asm_span(&l);
		if (de.msg[0])
			hearth_buf_printf(&r->warn, "weblist: %s\n", de.msg);
		/* A range sorted in after each run keeps have_inst's search valid. */
		sort(w.insts, w.ninsts, sizeof(*w.insts), cmp_inst);
	}
	if (w.err)
		goto out;
	sort(w.insts, w.ninsts, sizeof(*w.insts), cmp_inst);
	/* initSamples: the samples inside an instruction count for it. */
	for (size_t i = 0; i < w.ninsts; i++) {
		winst *x = &w.insts[i];
		uint64_t e = x->addr + x->length;
		if (e < x->addr)
			e = UINT64_MAX;
		x->flat = sum_range(as, na, x->addr, e, true);
		x->cum = sum_range(as, na, x->addr, e, false);
	}
	sort(w.ents, w.nents, sizeof(*w.ents), cmp_ent);
	if (json) {
		char tv[64];
		hearth_rpt_value(r, r->total, tv, sizeof(tv));
		json_t *o = json_object(), *funcs = json_array();
		bool ok = o && funcs;
		for (size_t i = 0; ok && i < w.nents;) {
			size_t j = i;
			while (j < w.nents && !strcmp(w.ents[j].file, w.ents[i].file))
				j++;
			ok = json_file(&w, &sr, w.ents + i, j - i, funcs);
			i = j;
		}
		if (ok) {
			json_object_set_new(o, "total", json_integer(r->total));
			json_object_set_new(o, "total_label", hearth_json_str(tv));
			json_object_set_new(o, "functions", funcs);
			funcs = NULL;
			ok = !json_dump_callback(o, jdump, &body, JSON_COMPACT) && !body.oom;
			hearth_buf_put(&body, "\n", 1);
		}
		json_decref(o);
		json_decref(funcs);
		err = HEARTH_ENOMEM;
		if (!ok || body.oom)
			goto out;
		hearth_buf_put(out, body.data, body.len);
		err = out->oom ? HEARTH_ENOMEM : HEARTH_OK;
		goto out;
	}
	/* The page. */
	hearth_buf_puts(&body, page_head);
	hearth_rpt_profile_labels(r, &labels);
	hearth_buf_puts(&body, "<div class=\"legend\">");
	for (size_t i = 0; labels.data && i < labels.len;) {
		const char *nl = memchr(labels.data + i, '\n', labels.len - i);
		size_t e = nl ? (size_t)(nl - labels.data) : labels.len;
		if (i)
			hearth_buf_puts(&body, "<br>\n");
		esc(&body, labels.data + i, e - i);
		i = e + 1;
	}
	char tv[64];
	hearth_rpt_value(r, r->total, tv, sizeof(tv));
	hearth_buf_printf(&body, "<br>Total: %s</div>", tv);
	for (size_t i = 0; i < w.nents && !body.oom;) {
		size_t j = i;
		while (j < w.nents && !strcmp(w.ents[j].file, w.ents[i].file))
			j++;
		print_file(&w, &sr, w.ents + i, j - i, &body);
		i = j;
	}
	hearth_buf_puts(&body, "\n</body>\n</html>\n");
	if (body.oom || labels.oom)
		goto out;
	hearth_buf_put(out, body.data, body.len);
	err = out->oom ? HEARTH_ENOMEM : HEARTH_OK;
out:
	if (w.err == HEARTH_ENOMEM || err == HEARTH_ENOMEM)
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	free(w.interest);
	for (uint32_t i = 0; w.objs && i < w.nobjs; i++) {
		hearth_asm_close(w.objs[i].a);
		hearth_objfile_close(w.objs[i].f);
	}
	free(w.objs);
	for (size_t i = 0; i < w.ninsts; i++) {
		free(w.insts[i].disasm);
		free(w.insts[i].file);
	}
	free(w.insts);
	for (size_t i = 0; i < w.nents; i++) {
		free(w.ents[i].file);
		free(w.ents[i].func);
	}
	free(w.ents);
	for (size_t i = 0; i < w.ncalls; i++)
		free(w.calls[i].file);
	free(w.calls);
	hearth_srcreader_free(&sr);
	free(as);
	free(rgs);
	hearth_asm_list_free(&l);
	hearth_buf_free(&body);
	hearth_buf_free(&labels);
	hearth_regex_free(rx);
	return err;
}
