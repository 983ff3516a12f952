/* `list`: annotated source of the functions whose name matches a regexp,
 * as pprof's printSource: per function and file, the lines from five
 * before the first sample (or the function's start) to five after the
 * last, each with its flat and cum values.
 *
 * Files are found as pprof finds them: the name in the profile after
 * -trim_path (or the heuristic that strips everything up to a search
 * directory's base name), absolute as is, relative under each directory of
 * -source_path (default: the working directory) and its parents.  hearth
 * then also looks under GOROOT/src, so the standard library is listed
 * without a -source_path.  A file not found is said in the listing; the
 * report goes on with the next. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hearth/measure.h"
#include "hearth/regex.h"
#include "report.h"
#include "util.h"

/* A source file read once: its lines (0 unused, as line numbers start at 1). */
typedef struct {
	char *path; /* as the profile names it */
	char *data;
	char **lines;
	size_t nlines;
	bool missing;
	int err; /* errno of opening an absolute name */
} srcfile;

typedef struct {
	srcfile *files;
	size_t n, cap;
	const char *search, *trim, *goroot;
} srcreader;

static FILE *open_in(const char *dir, size_t dn, const char *path)
{
	hearth_buf joined = {0};
	if (dn)
		hearth_buf_printf(&joined, "%.*s/", (int)dn, dir);
	hearth_buf_puts(&joined, path);
	char *clean = joined.oom ? NULL : malloc(joined.len + 3);
	FILE *f = NULL;
	if (clean) {
		hearth_path_clean(joined.data, clean, joined.len + 3);
		f = fopen(clean, "r");
	}
	free(clean);
	hearth_buf_free(&joined);
	return f;
}

/* The standard library under GOROOT/src, for a name relative to some
 * GOROOT/src ("runtime/proc.go", or "/usr/local/go/src/runtime/proc.go" on
 * the machine that built the program). */
static FILE *open_goroot(const srcreader *sr, const char *path)
{
	if (!sr->goroot || !*sr->goroot)
		return NULL;
	if (path[0] == '/') {
		const char *s = strstr(path, "/src/");
		if (!s)
			return NULL;
		path = s + 5;
	}
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/src", sr->goroot);
	return open_in(dir, strlen(dir), path);
}

/* pprof's openSourceFile, then GOROOT/src. */
static FILE *open_source(const srcreader *sr, const char *name, int *err)
{
	const char *path = name + hearth_rpt_trim_path(name, sr->trim, sr->search);
	if (path[0] == '/') {
		FILE *f = fopen(path, "r");
		*err = errno;
		return f ? f : open_goroot(sr, path);
	}
	for (const char *d = sr->search; d;) {
		const char *e = strchr(d, ':');
		size_t n = e ? (size_t)(e - d) : strlen(d);
		/* The directory, then each parent (filepath.Dir until it stops). */
		char dir[4096];
		if (n < sizeof(dir)) {
			memcpy(dir, d, n);
			dir[n] = 0;
			for (;;) {
				FILE *f = open_in(dir, strlen(dir), path);
				if (f)
					return f;
				char parent[4096];
				char *slash = strrchr(dir, '/');
				if (!slash) {
					snprintf(parent, sizeof(parent), ".");
				} else if (slash == dir) {
					snprintf(parent, sizeof(parent), "/");
				} else {
					*slash = 0;
					hearth_path_clean(dir, parent, sizeof(parent));
					*slash = '/';
				}
				char cur[4096];
				hearth_path_clean(dir[0] ? dir : ".", cur, sizeof(cur));
				if (!strcmp(parent, cur))
					break;
				snprintf(dir, sizeof(dir), "%s", parent);
			}
		}
		if (!e)
			break;
		d = e + 1;
	}
	return open_goroot(sr, path);
}

/* Reads lines as Go's bufio.Scanner: "\n" ends a line, a "\r" before it
 * is dropped, and a line too long for its 64 KiB buffer ends the file. */
static void read_lines(srcfile *sf, FILE *f)
{
	size_t cap = 0, len = 0, lcap = 0;
	char *data = NULL;
	char tmp[65536];
	size_t k;
	while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0) {
		if (!HEARTH_GROW(data, len, cap, k + 1))
			break;
		memcpy(data + len, tmp, k);
		len += k;
	}
	sf->data = data;
	if (!data)
		return;
	data[len] = 0;
	if (!HEARTH_GROW(sf->lines, 0, lcap, 1))
		return;
	sf->lines[sf->nlines++] = (char *)"";
	for (size_t i = 0; i < len;) {
		char *nl = memchr(data + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - data) : len;
		if (e - i >= 65536)
			break;
		size_t l = e;
		if (nl && l > i && data[l - 1] == '\r')
			l--;
		if (!nl && l > i && data[l - 1] == '\r')
			l--;
		if (!HEARTH_GROW(sf->lines, sf->nlines, lcap, 1))
			break;
		data[l] = 0;
		sf->lines[sf->nlines++] = data + i;
		i = e + 1;
	}
}

static srcfile *source(srcreader *sr, const char *path)
{
	for (size_t i = 0; i < sr->n; i++)
		if (!strcmp(sr->files[i].path, path))
			return &sr->files[i];
	if (!HEARTH_GROW(sr->files, sr->n, sr->cap, 1))
		return NULL;
	srcfile *sf = &sr->files[sr->n];
	memset(sf, 0, sizeof(*sf));
	if (!(sf->path = strdup(path)))
		return NULL;
	sr->n++;
	FILE *f = open_source(sr, path, &sf->err);
	if (!f) {
		sf->missing = true;
		return sf;
	}
	read_lines(sf, f);
	fclose(f);
	return sf;
}

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
static void routine(hearth_report *r, srcreader *sr, const hearth_graph *g, const fnode *fn,
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
	srcfile *sf = source(sr, file);
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
	srcreader sr = {0};
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
	if (nf == 0) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "no matches found for regexp: %s",
				    r->o.symbol ? r->o.symbol : "");
		goto out;
	}
	qsort_r(fns, nf, sizeof(*fns), cmp_fnode, p);
	sr.search = r->o.source_path;
	if (!sr.search || !*sr.search) {
		if (!getcwd(cwd, sizeof(cwd))) {
			err = hearth_seterr(eb, HEARTH_EIO, "could not stat current dir: %s",
					    strerror(errno));
			goto out;
		}
		sr.search = cwd;
	}
	sr.trim = r->o.trim_path;
	sr.goroot = r->o.goroot;
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
	if (body.oom)
		goto out;
	hearth_buf_put(out, body.data, body.len);
	err = out->oom ? HEARTH_ENOMEM : HEARTH_OK;
out:
	if (err == HEARTH_ENOMEM)
		hearth_seterr(eb, err, "out of memory");
	for (size_t i = 0; i < sr.n; i++) {
		free(sr.files[i].path);
		free(sr.files[i].data);
		free(sr.files[i].lines);
	}
	free(sr.files);
	free(fns);
	hearth_buf_free(&body);
	hearth_trimmed_free(&t);
	hearth_regex_free(rx);
	return err;
}
