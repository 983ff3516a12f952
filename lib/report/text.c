/* `top`: pprof's text report, header and flat/flat%/sum%/cum/cum% table. */
#include <stdio.h>
#include <string.h>

#include "hearth/measure.h"
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

hearth_err hearth_report_top(hearth_report *r, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_trimmed t;
	hearth_err err = hearth_rpt_trimmed_graph(r, false, &t);
	if (err)
		return hearth_seterr(eb, err, "%s", hearth_strerror(err));
	hearth_rpt_select_unit(r, &t.g);
	hearth_rpt_graph_labels(r, &t, out, false);
	hearth_buf_printf(out, "%10s %5s%% %5s%% %10s %5s%%\n", "flat", "flat", "sum", "cum", "cum");
	int64_t sum = 0;
	char fv[64], cv[64], fp[32], sp[32], cp[32];
	for (uint32_t i = 0; i < t.g.nnodes; i++) {
		const hearth_node *n = &t.g.nodes[i];
		int64_t flat = hearth_node_flat(n), cum = hearth_node_cum(n);
		bool inl = false, noinl = false;
		for (uint32_t k = 0; k < n->nin; k++) {
			const hearth_edge *e = &t.g.edges[t.g.in_edges[n->in0 + k]];
			if (e->trimmed)
				continue;
			if (e->inl)
				inl = true;
			else
				noinl = true;
		}
		sum += flat;
		hearth_rpt_value(r, flat, fv, sizeof(fv));
		hearth_rpt_value(r, cum, cv, sizeof(cv));
		hearth_percentage(fp, sizeof(fp), flat, r->total);
		hearth_percentage(sp, sizeof(sp), sum, r->total);
		hearth_percentage(cp, sizeof(cp), cum, r->total);
		hearth_buf_printf(out, "%10s %s %s %10s %s  %s%s\n", fv, fp, sp, cv, cp,
				  t.g.names[i],
				  inl ? (noinl ? " (partial-inline)" : " (inline)") : "");
	}
	hearth_trimmed_free(&t);
	return out->oom ? HEARTH_ENOMEM : HEARTH_OK;
}
