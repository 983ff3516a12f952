/* `list`: annotated source of the functions whose name matches a regexp,
 * as pprof's printSource: per function and file, the lines from five
 * before the first sample (or the function's start) to five after the
 * last, each with its flat and cum values.
 *
 * Files are found as pprof finds them, then under GOROOT/src (source.c,
 * shared with weblist).  A file not found is said in the listing; the
 * report goes on with the next. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/measure.h"
#include "hearth/regex.h"
#include "report.h"
#include "source.h"
#include "util.h"

static void value_or_dot(const hearth_report *r, int64_t v, char *out, size_t n)
{
	if (v == 0)
		snprintf(out, n, ".");
	else
		hearth_rpt_value(r, v, out, n);
}

typedef struct {
	uint32_t name, file; /* string indices */
	uint32_t node;	     /* index in the graph */
} fnode;

static int cmp_fnode(const void *x, const void *y, void *arg)
{
	const hearth_profile *p = arg;
	const fnode *a = x, *b = y;
	int k = strcmp(hearth_s(p, a->name), hearth_s(p, b->name));
	if (k)
		return k;
	k = strcmp(hearth_s(p, a->file), hearth_s(p, b->file));
	if (k)
		return k;
	return a->node < b->node ? -1 : a->node > b->node;
}

/* One ROUTINE block: the nodes fn[0..n) of one function in one file. */
static void routine(hearth_report *r, hearth_srcreader *sr, const hearth_graph *g, const fnode *fn,
		    size_t n, hearth_buf *out)
{
	const hearth_profile *p = r->p;
	const char *file = hearth_s(p, fn[0].file);
	int64_t flat = 0, cum = 0;
	/* pprof starts from its first node and widens the range by each
	 * other node's; with Go's start lines (all equal, or 0) the outcome
	 * does not depend on which node comes first. */
	const hearth_node *n0 = &g->nodes[fn[0].node];
	int64_t start = n0->info.start_line ? n0->info.start_line : n0->info.line - 5;
	int64_t end = n0->info.line + 5;
	for (size_t i = 0; i < n; i++) {
		const hearth_node *nd = &g->nodes[fn[i].node];
		flat += nd->flat;
		cum += nd->cum;
		int64_t ns = nd->info.start_line ? nd->info.start_line : nd->info.line - 5;
		int64_t ne = nd->info.line + 5;
		if (ns < start)
			start = ns;
		else if (ne > end)
			end = ne;
	}
	if (start < 1)
		start = 1;
	char a[64], b[64], pct[32];
	hearth_buf_printf(out, "ROUTINE ======================== %s in %s\n", hearth_s(p, fn[0].name),
			  file);
	hearth_rpt_value(r, flat, a, sizeof(a));
	hearth_rpt_value(r, cum, b, sizeof(b));
	hearth_percentage(pct, sizeof(pct), cum, r->total);
	hearth_buf_printf(out, "%10s %10s (flat, cum) %s of Total\n", a, b, pct);
	hearth_srcfile *sf = hearth_src_file(sr, file);
	if (!sf) {
		out->oom = true;
		return;
	}
	if (sf->missing) {
		const char *path = file + hearth_rpt_trim_path(file, sr->trim, sr->search);
		if (path[0] == '/') {
			/* Go's message for os.Open, whose error texts are lower case. */
			char msg[256];
			snprintf(msg, sizeof(msg), "%s", strerror(sf->err ? sf->err : ENOENT));
			if (msg[0] >= 'A' && msg[0] <= 'Z')
				msg[0] = (char)(msg[0] - 'A' + 'a');
			hearth_buf_printf(out, " Error: open %s: %s\n", path, msg);
		} else {
			hearth_buf_printf(out, " Error: could not find file %s on path %s\n", path,
					  sr->search);
		}
		return;
	}
	for (int64_t ln = start; ln <= end; ln++) {
		if (ln <= 0 || (size_t)ln >= sf->nlines)
			break;
		int64_t lf = 0, lc = 0;
		for (size_t i = 0; i < n; i++) {
			const hearth_node *nd = &g->nodes[fn[i].node];
			if (nd->info.line == ln) {
				lf += nd->flat;
				lc += nd->cum;
			}
		}
		value_or_dot(r, lf, a, sizeof(a));
		value_or_dot(r, lc, b, sizeof(b));
		hearth_buf_printf(out, "%10s %10s %6" PRId64 ":", a, b, ln);
		hearth_buf_puts(out, sf->lines[ln]);
		hearth_buf_puts(out, "\n");
	}
}

hearth_err hearth_report_list(hearth_report *r, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_profile *p = r->p;
	hearth_regex *rx = NULL;
	hearth_err err = hearth_regex_compile("list", r->o.symbol ? r->o.symbol : "", &rx, eb);
	if (err)
		return err;
	hearth_trimmed t;
	fnode *fns = NULL;
	hearth_srcreader sr = {0};
	char cwd[4096];
	hearth_buf body = {0};
	if ((err = hearth_rpt_full_graph(r, &t))) {
		hearth_regex_free(rx);
		return hearth_seterr(eb, err, "%s", hearth_strerror(err));
	}
	err = HEARTH_ENOMEM;
	fns = malloc(sizeof(*fns) * (t.g.nnodes + 1));
	if (!fns)
		goto out;
	size_t nf = 0;
	for (uint32_t i = 0; i < t.g.nnodes; i++) {
		const hearth_nodeinfo *ni = &t.g.nodes[i].info;
		const char *name = hearth_s(p, ni->name);
		if (hearth_regex_match(rx, name, strlen(name)))
			fns[nf++] = (fnode){ni->name, ni->file, i};
	}
	if ((err = hearth_regex_status(rx, eb)))
		goto out;
	if (nf == 0) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "no matches found for regexp: %s",
				    r->o.symbol ? r->o.symbol : "");
		goto out;
	}
	qsort_r(fns, nf, sizeof(*fns), cmp_fnode, p);
	if ((err = hearth_srcreader_init(&sr, r->o.source_path, r->o.trim_path, r->o.goroot, cwd,
					 sizeof(cwd), eb)))
		goto out;
	sr.none = r->o.no_source_files;
	char tv[64];
	hearth_rpt_value(r, r->total, tv, sizeof(tv));
	hearth_buf_printf(&body, "Total: %s\n", tv);
	for (size_t i = 0; i < nf;) {
		size_t j = i;
		while (j < nf && !strcmp(hearth_s(p, fns[j].name), hearth_s(p, fns[i].name)))
			j++;
		/* Nodes without a file cannot be listed. */
		size_t k = i;
		while (k < j && !*hearth_s(p, fns[k].file))
			k++;
		if (k == j)
			hearth_buf_printf(&body, "No source information for %s\n",
					  hearth_s(p, fns[i].name));
		while (k < j) {
			size_t m = k;
			while (m < j && !strcmp(hearth_s(p, fns[m].file), hearth_s(p, fns[k].file)))
				m++;
			routine(r, &sr, &t.g, fns + k, m - k, &body);
			k = m;
		}
		i = j;
	}
	if (body.oom) {
		err = HEARTH_ENOMEM;
		goto out;
	}
	hearth_buf_put(out, body.data, body.len);
	err = out->oom ? HEARTH_ENOMEM : HEARTH_OK;
out:
	if (err == HEARTH_ENOMEM)
		hearth_seterr(eb, err, "out of memory");
	hearth_srcreader_free(&sr);
	free(fns);
	hearth_buf_free(&body);
	hearth_trimmed_free(&t);
	hearth_regex_free(rx);
	return err;
}
