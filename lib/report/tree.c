/* `tree` and `peek`: each node of the trimmed graph with its callers above
 * and its callees below, as pprof's printTree.  peek shows only the nodes
 * whose printable name matches its regexp, on the untrimmed graph. */
#include <stdlib.h>
#include <string.h>

#include "hearth/measure.h"
#include "hearth/regex.h"
#include "report.h"

static const char separator[] =
	"----------------------------------------------------------+-------------\n";

static hearth_err edge_lines(hearth_report *r, const hearth_trimmed *t, uint32_t i, bool in,
			     int64_t cum, hearth_buf *out)
{
	uint32_t *idx, n;
	if (hearth_graph_sorted_edges(t->names, &t->g, i, in, &idx, &n))
		return HEARTH_ENOMEM;
	char v[64], pct[32];
	for (uint32_t k = 0; k < n; k++) {
		const hearth_edge *e = &t->g.edges[idx[k]];
		uint32_t other = in ? e->src : e->dst;
		hearth_rpt_value(r, e->weight, v, sizeof(v));
		hearth_percentage(pct, sizeof(pct), e->weight, cum);
		hearth_buf_printf(out, "%50s %s |   %s%s\n", v, pct, hearth_names_get(t->names, other),
				  e->inl ? " (inline)" : "");
	}
	free(idx);
	return HEARTH_OK;
}

static hearth_err tree(hearth_report *r, const hearth_regex *rx, hearth_buf *out,
		       hearth_errbuf *eb)
{
	hearth_trimmed t;
	hearth_err err = hearth_rpt_trimmed_graph(r, false, &t);
	if (err)
		return hearth_seterr(eb, err, "%s", hearth_strerror(err));
	hearth_rpt_select_unit(r, &t.g);
	/* pprof writes into a buffer and prints nothing when it fails. */
	hearth_buf body = {0};
	hearth_rpt_graph_labels(r, &t, &body, false);
	hearth_buf_puts(&body, separator);
	hearth_buf_puts(&body, "      flat  flat%   sum%        cum   cum%   calls calls% + context "
			       "\t \t \n");
	int64_t sum = 0;
	uint32_t matched = 0;
	char fv[64], cv[64], fp[32], sp[32], cp[32];
	for (uint32_t i = 0; i < t.g.nnodes && !err; i++) {
		const hearth_node *n = &t.g.nodes[i];
		const char *name = t.g.names[i];
		if (rx && !hearth_regex_match(rx, name, strlen(name)))
			continue;
		matched++;
		int64_t flat = hearth_node_flat(n), cum = hearth_node_cum(n);
		hearth_buf_puts(&body, separator);
		if ((err = edge_lines(r, &t, i, true, cum, &body)))
			break;
		sum += flat;
		hearth_rpt_value(r, flat, fv, sizeof(fv));
		hearth_rpt_value(r, cum, cv, sizeof(cv));
		hearth_percentage(fp, sizeof(fp), flat, r->total);
		hearth_percentage(sp, sizeof(sp), sum, r->total);
		hearth_percentage(cp, sizeof(cp), cum, r->total);
		hearth_buf_printf(&body, "%10s %s %s %10s %s                | %s\n", fv, fp, sp, cv, cp,
				  name);
		err = edge_lines(r, &t, i, false, cum, &body);
	}
	if (t.g.nnodes > 0)
		hearth_buf_puts(&body, separator);
	hearth_trimmed_free(&t);
	if (!err && body.oom)
		err = HEARTH_ENOMEM;
	if (err) {
		hearth_buf_free(&body);
		return hearth_seterr(eb, err, "%s", hearth_strerror(err));
	}
	if (rx && matched == 0) {
		hearth_buf_free(&body);
		return hearth_seterr(eb, HEARTH_EINVAL, "no matches found for regexp: %s",
				     r->o.symbol);
	}
	if (body.len)
		hearth_buf_put(out, body.data, body.len);
	hearth_buf_free(&body);
	return out->oom ? HEARTH_ENOMEM : HEARTH_OK;
}

hearth_err hearth_report_tree(hearth_report *r, hearth_buf *out, hearth_errbuf *eb)
{
	return tree(r, NULL, out, eb);
}

hearth_err hearth_report_peek(hearth_report *r, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_regex *rx;
	hearth_err err = hearth_regex_compile("peek", r->o.symbol ? r->o.symbol : "", &rx, eb);
	if (err)
		return err;
	err = tree(r, rx, out, eb);
	if (!err)
		err = hearth_regex_status(rx, eb);
	hearth_regex_free(rx);
	return err;
}
