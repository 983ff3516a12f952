/* `top`: pprof's text report, header and flat/flat%/sum%/cum/cum% table. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/measure.h"
#include "hearth/regex.h"
#include "report.h"

static void active_filters(const hearth_report *r, hearth_buf *out)
{
	const char *names[] = {"focus",	    "ignore",	"hide",	    "show",   "show_from",
			       "tagfocus", "tagignore", "tagshow", "taghide"};
	const char *vals[] = {r->o.focus,    r->o.ignore,    r->o.hide,
			      r->o.show,     r->o.show_from, r->o.tagfocus,
			      r->o.tagignore, r->o.tagshow,  r->o.taghide};
	bool any = false;
	for (int i = 0; i < 9; i++) {
		if (!vals[i])
			continue;
		if (!any)
			hearth_buf_puts(out, "Active filters:\n");
		any = true;
		char f[256];
		int n = snprintf(f, sizeof(f), "%s=%s", names[i], vals[i]);
		/* pprof shortens a filter to 80 bytes and marks the cut. */
		if (n > 80)
			hearth_buf_printf(out, "   %.80s…\n", f);
		else
			hearth_buf_printf(out, "   %s\n", f);
	}
}

/* pprof's reportLabels for the text report (no dropped-edge line). */
void hearth_rpt_graph_labels(const hearth_report *r, const hearth_trimmed *t, hearth_buf *out,
			     bool edges_line);
void hearth_rpt_graph_labels(const hearth_report *r, const hearth_trimmed *t, hearth_buf *out,
			     bool edges_line)
{
	char a[64], b[64], pct[32];
	int64_t flat = 0;
	/* pprof's fullHeaders (the graphs' legend) overrides compact_labels. */
	if (edges_line || !r->o.compact_labels)
		hearth_rpt_profile_labels(r, out);
	for (uint32_t i = 0; i < t->g.nnodes; i++)
		flat += hearth_node_flat(&t->g.nodes[i]);
	active_filters(r, out);
	hearth_rpt_value(r, flat, a, sizeof(a));
	hearth_rpt_value(r, r->total, b, sizeof(b));
	hearth_percentage(pct, sizeof(pct), flat, r->total);
	const char *p = pct;
	while (*p == ' ')
		p++;
	hearth_buf_printf(out, "Showing nodes accounting for %s, %s of %s total\n", a, p, b);
	if (r->total != 0) {
		if (t->dropped_nodes > 0) {
			int64_t cut = (int64_t)((double)r->total * r->o.nodefraction);
			hearth_rpt_value(r, cut < 0 ? -cut : cut, a, sizeof(a));
			hearth_buf_printf(out, "Dropped %d node%s (cum <= %s)\n", t->dropped_nodes,
					  t->dropped_nodes > 1 ? "s" : "", a);
		}
		if (edges_line && t->dropped_edges > 0) {
			int64_t cut = (int64_t)((double)r->total * r->o.edgefraction);
			hearth_rpt_value(r, cut < 0 ? -cut : cut, a, sizeof(a));
			hearth_buf_printf(out, "Dropped %d edge%s (freq <= %s)\n", t->dropped_edges,
					  t->dropped_edges > 1 ? "s" : "", a);
		}
		if (t->g.nnodes > 0 && (int)t->g.nnodes < t->orig_count)
			hearth_buf_printf(out, "Showing top %u nodes out of %d\n", t->g.nnodes,
					  t->orig_count);
	}
}

/* One row of top, as printed and as the web API gives it. */
typedef struct {
	const char *name;
	int64_t flat, cum, sum;
	char fv[64], cv[64], fp[32], sp[32], cp[32];
	const char *mark; /* "", " (inline)" or " (partial-inline)" */
} top_row;

static void row_at(const hearth_report *r, const hearth_trimmed *t, uint32_t i, int64_t *sum,
		   top_row *row)
{
	const hearth_node *n = &t->g.nodes[i];
	bool inl = false, noinl = false;
	for (uint32_t k = 0; k < n->nin; k++) {
		const hearth_edge *e = &t->g.edges[t->g.in_edges[n->in0 + k]];
		if (e->trimmed)
			continue;
		if (e->inl)
			inl = true;
		else
			noinl = true;
	}
	row->name = t->g.names[i];
	row->flat = hearth_node_flat(n);
	row->cum = hearth_node_cum(n);
	*sum += row->flat;
	row->sum = *sum;
	hearth_rpt_value(r, row->flat, row->fv, sizeof(row->fv));
	hearth_rpt_value(r, row->cum, row->cv, sizeof(row->cv));
	hearth_percentage(row->fp, sizeof(row->fp), row->flat, r->total);
	hearth_percentage(row->sp, sizeof(row->sp), row->sum, r->total);
	hearth_percentage(row->cp, sizeof(row->cp), row->cum, r->total);
	row->mark = inl ? (noinl ? " (partial-inline)" : " (inline)") : "";
}

/* The graph top prints, its unit chosen. */
static hearth_err top_graph(hearth_report *r, hearth_trimmed *t, hearth_errbuf *eb)
{
	hearth_err err = hearth_rpt_trimmed_graph(r, false, t);
	if (err)
		return hearth_seterr(eb, err, "%s", hearth_strerror(err));
	hearth_rpt_select_unit(r, &t->g);
	return HEARTH_OK;
}

hearth_err hearth_report_top(hearth_report *r, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_trimmed t;
	hearth_err err = top_graph(r, &t, eb);
	if (err)
		return err;
	hearth_rpt_graph_labels(r, &t, out, false);
	hearth_buf_printf(out, "%10s %5s%% %5s%% %10s %5s%%\n", "flat", "flat", "sum", "cum", "cum");
	int64_t sum = 0;
	top_row row;
	for (uint32_t i = 0; i < t.g.nnodes; i++) {
		row_at(r, &t, i, &sum, &row);
		hearth_buf_printf(out, "%10s %s %s %10s %s  %s%s\n", row.fv, row.fp, row.sp, row.cv,
				  row.cp, row.name, row.mark);
	}
	hearth_trimmed_free(&t);
	return out->oom ? HEARTH_ENOMEM : HEARTH_OK;
}

/* ---- the same as JSON, for the web API ---- */

/* A string for JSON: valid UTF-8 (names are the profile's, hostile). */
/* A percentage as printed ("12.42%", "  100%", "1.2e-05%") as a number. */
static json_t *jpct(const char *s)
{
	double d = strtod(s, NULL);
	return json_real(isfinite(d) ? d : 0);
}

/* Lines of text (the header, the warnings) as an array, one per line. */
static json_t *jlines(const char *text, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n;) {
		const char *e = memchr(text + i, '\n', n - i);
		size_t l = e ? (size_t)(e - (text + i)) : n - i;
		char *line = strndup(text + i, l);
		if (!line || json_array_append_new(a, hearth_json_str(line))) {
			free(line);
			json_decref(a);
			return NULL;
		}
		free(line);
		i += l + 1;
	}
	return a;
}

static int jdump(const char *buf, size_t n, void *ctx)
{
	hearth_buf *out = ctx;
	hearth_buf_put(out, buf, n);
	return out->oom ? -1 : 0;
}

static hearth_err jfinish(json_t *o, hearth_buf *out, hearth_errbuf *eb)
{
	int rc = o ? json_dump_callback(o, jdump, out, JSON_COMPACT | JSON_REAL_PRECISION(12)) : -1;
	json_decref(o);
	if (rc || out->oom)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	hearth_buf_put(out, "\n", 1);
	return HEARTH_OK;
}

/* What every JSON report starts with. */
static json_t *jhead(const hearth_report *r)
{
	char total[64];
	hearth_rpt_value(r, r->total, total, sizeof(total));
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "type", hearth_json_str(r->sample_type));
	json_object_set_new(o, "unit", hearth_json_str(r->sample_unit));
	json_object_set_new(o, "total", json_integer(r->total));
	json_object_set_new(o, "total_label", hearth_json_str(total));
	json_object_set_new(o, "diff", json_boolean(r->o.nbase > 0 || r->o.ndiff_base > 0));
	const char *w = hearth_report_warnings(r);
	json_object_set_new(o, "warnings", jlines(w, strlen(w)));
	return o;
}

hearth_err hearth_report_top_json(hearth_report *r, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_trimmed t;
	hearth_buf head = {0};
	hearth_err err = top_graph(r, &t, eb);
	if (err)
		return err;
	hearth_rpt_graph_labels(r, &t, &head, false);
	json_t *o = jhead(r), *rows = json_array();
	json_t *h = head.oom ? NULL : jlines(head.data ? head.data : "", head.len);
	int64_t sum = 0;
	top_row row;
	bool ok = o && rows && h && !json_object_set_new(o, "header", h);
	h = NULL;
	for (uint32_t i = 0; ok && i < t.g.nnodes; i++) {
		row_at(r, &t, i, &sum, &row);
		json_t *j = json_object();
		ok = j && !json_array_append_new(rows, j);
		ok = ok && !json_object_set_new(j, "name", hearth_json_str(row.name));
		ok = ok && !json_object_set_new(j, "flat", json_integer(row.flat));
		ok = ok && !json_object_set_new(j, "flat_label", hearth_json_str(row.fv));
		ok = ok && !json_object_set_new(j, "flat_pct", jpct(row.fp));
		ok = ok && !json_object_set_new(j, "sum_pct", jpct(row.sp));
		ok = ok && !json_object_set_new(j, "cum", json_integer(row.cum));
		ok = ok && !json_object_set_new(j, "cum_label", hearth_json_str(row.cv));
		ok = ok && !json_object_set_new(j, "cum_pct", jpct(row.cp));
		ok = ok && !json_object_set_new(j, "inline", json_boolean(*row.mark != 0));
		ok = ok && !json_object_set_new(j, "partial_inline", json_boolean(!strncmp(row.mark, " (partial", 9)));
	}
	/* The percentages as top prints them, for a table that shows them so. */
	ok = ok && !json_object_set_new(o, "rows", rows);
	rows = NULL;
	hearth_trimmed_free(&t);
	hearth_buf_free(&head);
	json_decref(rows);
	json_decref(h);
	if (!ok) {
		json_decref(o);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	return jfinish(o, out, eb);
}

/* Names a search answer lists at most (the page marks frames by them). */
#define SEARCH_MAX_NAMES 50000

hearth_err hearth_report_search_json(hearth_report *r, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_trimmed t;
	/* Every node kept: the sum of their flat values is what top says it
	 * shows ("Showing nodes accounting for") with -nodefraction=0. */
	r->o.nodefraction = 0;
	r->o.nodecount = 0;
	hearth_err err = top_graph(r, &t, eb);
	if (err)
		return err;
	int64_t matched = 0;
	for (uint32_t i = 0; i < t.g.nnodes; i++)
		matched += hearth_node_flat(&t.g.nodes[i]);
	hearth_trimmed_free(&t);
	/* The function names the regexp matches (by name or file, as the
	 * filter does), so that a page marks frames by these instead of running
	 * the client's regexp over every frame itself. */
	hearth_regex *rx = NULL;
	json_t *names = json_array();
	bool truncated = false;
	const hearth_profile *p = r->p;
	uint8_t *seen = calloc(p->nstrs + 1, 1);
	if (!names || !seen) {
		json_decref(names);
		free(seen);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	if (r->o.search && !(err = hearth_regex_compile("q", r->o.search, &rx, eb))) {
		for (uint32_t i = 0; i < p->nfunctions; i++) {
			uint32_t nm = p->functions[i].name, fl = p->functions[i].file;
			if (nm >= p->nstrs || seen[nm])
				continue;
			const hearth_str *n = &p->strs[nm];
			bool hit = hearth_regex_match(rx, n->s, n->len) ||
				   (fl < p->nstrs &&
				    hearth_regex_match(rx, p->strs[fl].s, p->strs[fl].len));
			if (!hit)
				continue;
			seen[nm] = 1;
			if (json_array_size(names) >= SEARCH_MAX_NAMES) {
				truncated = true;
				break;
			}
			json_array_append_new(names, hearth_json_str(hearth_s(p, nm)));
		}
		err = hearth_regex_status(rx, eb);
	}
	hearth_regex_free(rx);
	free(seen);
	if (err) {
		json_decref(names);
		return err;
	}
	char label[64];
	hearth_rpt_value(r, matched, label, sizeof(label));
	json_t *o = jhead(r);
	if (o) {
		json_object_set_new(o, "names", names);
		json_object_set_new(o, "names_truncated", json_boolean(truncated));
		names = NULL;
		json_object_set_new(o, "matched", json_integer(matched));
		json_object_set_new(o, "matched_label", hearth_json_str(label));
		json_object_set_new(o, "share", json_real(r->total ? (double)matched /
									 (double)r->total * 100
								   : 0));
	}
	json_decref(names);
	return jfinish(o, out, eb);
}
