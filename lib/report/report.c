/* The steps every report shares, in pprof's order: command overrides, the
 * sample value, the total (before filters unless -relative_percentages),
 * filters, aggregation by granularity, and the trimmed graph. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hearth/measure.h"
#include "report.h"
#include "util.h"

static void apply_overrides(hearth_opts *o, hearth_cmd cmd)
{
	bool trim = o->trim;
	if (cmd == HEARTH_CMD_TOP) {
		if (o->nodecount == -1)
			o->nodecount = 0;
	} else if (o->nodecount == -1) {
		o->nodecount = 80;
	}
	if (cmd == HEARTH_CMD_PROTO) {
		trim = false;
		o->granularity = HEARTH_GRAN_ADDRESSES;
		o->noinlines = false;
	}
	if (!trim) {
		o->nodecount = 0;
		o->nodefraction = 0;
		o->edgefraction = 0;
	}
}

static hearth_err sample_index(const hearth_profile *p, const char *si, int *out,
			       hearth_errbuf *eb)
{
	if (p->nsample_types == 0)
		return hearth_seterr(eb, HEARTH_EINVAL, "profile has no samples");
	if (!si || !*si) {
		if (p->default_sample_type) {
			for (uint32_t i = 0; i < p->nsample_types; i++)
				if (p->sample_types[i].type == p->default_sample_type) {
					*out = (int)i;
					return HEARTH_OK;
				}
		}
		*out = (int)p->nsample_types - 1;
		return HEARTH_OK;
	}
	char *end;
	long n = strtol(si, &end, 10);
	if (*end == 0 && end != si) {
		if (n < 0 || n >= (long)p->nsample_types)
			return hearth_seterr(eb, HEARTH_EINVAL,
					     "sample_index %s is outside the range [0..%u]", si,
					     p->nsample_types - 1);
		*out = (int)n;
		return HEARTH_OK;
	}
	const char *noinuse = strncmp(si, "inuse_", 6) == 0 ? si + 6 : si;
	for (uint32_t i = 0; i < p->nsample_types; i++) {
		const char *t = hearth_s(p, p->sample_types[i].type);
		if (!strcmp(t, si) || !strcmp(t, noinuse)) {
			*out = (int)i;
			return HEARTH_OK;
		}
	}
	char list[256] = "";
	size_t w = 0;
	for (uint32_t i = 0; i < p->nsample_types && w < sizeof(list); i++)
		w += (size_t)snprintf(list + w, sizeof(list) - w, "%s%s", i ? " " : "",
				      hearth_s(p, p->sample_types[i].type));
	return hearth_seterr(eb, HEARTH_EINVAL, "sample_index \"%s\" must be one of: [%s]", si,
			     list);
}

static bool is_diff_base(const hearth_profile *p, const hearth_sample *s)
{
	for (uint32_t i = 0; i < s->nlabels; i++) {
		const hearth_label *l = &p->labels[s->label0 + i];
		if (l->str && !strcmp(hearth_s(p, l->key), "pprof::base") &&
		    !strcmp(hearth_s(p, l->str), "true"))
			return true;
	}
	return false;
}

static int64_t compute_total(const hearth_profile *p, const hearth_valuesel *vs)
{
	int64_t div = 0, total = 0, ddiv = 0, dtotal = 0;
	for (size_t i = 0; i < p->nsamples; i++) {
		const int64_t *v = p->values + i * p->nsample_types;
		int64_t x = v[vs->vi], d = vs->mean_i >= 0 ? v[vs->mean_i] : 0;
		if (x < 0)
			x = -x;
		total += x;
		div += d;
		if (p->samples[i].nlabels && is_diff_base(p, &p->samples[i])) {
			dtotal += x;
			ddiv += d;
		}
	}
	if (dtotal > 0) {
		total = dtotal;
		div = ddiv;
	}
	return div ? total / div : total;
}

hearth_err hearth_report_new(hearth_profile *p, const hearth_opts *o, hearth_cmd cmd,
			     hearth_report **out, hearth_errbuf *eb)
{
	hearth_err err = HEARTH_ENOMEM;
	hearth_report *r = calloc(1, sizeof(*r));
	*out = NULL;
	if (!r) {
		hearth_profile_free(p);
		return HEARTH_ENOMEM;
	}
	r->p = p;
	r->o = *o;
	r->cmd = cmd;
	apply_overrides(&r->o, cmd);
	if (!(r->units = hearth_num_label_units(p)))
		goto fail;
	if (r->o.relative_percentages &&
	    (err = hearth_apply_filters(p, &r->o, r->units, cmd == HEARTH_CMD_PROTO, &r->warn, eb)))
		goto fail;
	int vi;
	if ((err = sample_index(p, r->o.sample_index, &vi, eb)))
		goto fail;
	r->vs.vi = vi;
	r->vs.mean_i = r->o.mean ? 0 : -1;
	r->vs.drop_negative = r->o.drop_negative;
	snprintf(r->sample_type, sizeof(r->sample_type), "%s%s", r->o.mean ? "mean_" : "",
		 hearth_s(p, p->sample_types[vi].type));
	r->sample_unit = hearth_s(p, p->sample_types[vi].unit);
	snprintf(r->output_unit, sizeof(r->output_unit), "%s", r->o.unit);
	if (r->o.divide_by == 0) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "zero divisor specified");
		goto fail;
	}
	r->ratio = 1 / r->o.divide_by;
	r->total = compute_total(p, &r->vs);
	if (!r->o.relative_percentages &&
	    (err = hearth_apply_filters(p, &r->o, r->units, cmd == HEARTH_CMD_PROTO, &r->warn, eb)))
		goto fail;
	hearth_aggregate(p, r->o.granularity, !r->o.noinlines);
	*out = r;
	return HEARTH_OK;
fail:
	if (err == HEARTH_ENOMEM)
		hearth_seterr(eb, err, "out of memory");
	hearth_report_free(r);
	return err;
}

void hearth_report_free(hearth_report *r)
{
	if (!r)
		return;
	hearth_profile_free(r->p);
	free(r->units);
	hearth_buf_free(&r->warn);
	free(r);
}

const char *hearth_report_warnings(const hearth_report *r)
{
	return r->warn.len ? r->warn.data : "";
}

hearth_profile *hearth_report_profile(hearth_report *r)
{
	return r->p;
}

void hearth_rpt_value(const hearth_report *r, int64_t v, char *out, size_t n)
{
	if (r->ratio > 0 && r->ratio != 1)
		v = (int64_t)((double)v * r->ratio);
	hearth_scaled_label(out, n, v, r->sample_unit, r->output_unit);
}

/* Go's time layout "Jan 2, 2006 at 3:04pm (MST)" in local time. */
static void go_time(int64_t nanos, char *out, size_t n)
{
	static const char *const mon[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
					  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
	time_t t = (time_t)(nanos / 1000000000);
	if (nanos < 0 && nanos % 1000000000)
		t--;
	struct tm tm;
	if (!localtime_r(&t, &tm)) {
		snprintf(out, n, "?");
		return;
	}
	int h = tm.tm_hour % 12;
	snprintf(out, n, "%s %d, %d at %d:%02d%s (%s)", mon[tm.tm_mon], tm.tm_mday,
		 tm.tm_year + 1900, h ? h : 12, tm.tm_min, tm.tm_hour < 12 ? "am" : "pm",
		 tm.tm_zone ? tm.tm_zone : "UTC");
}

void hearth_rpt_profile_labels(const hearth_report *r, hearth_buf *out)
{
	const hearth_profile *p = r->p;
	char a[64], b[64], c[64];
	if (p->nmappings > 0) {
		const char *f = hearth_s(p, p->mappings[0].file);
		if (*f) {
			size_t len = strlen(f);
			while (len > 1 && f[len - 1] == '/')
				len--;
			const char *base = f + len;
			while (base > f && base[-1] != '/')
				base--;
			hearth_buf_printf(out, "File: %.*s\n", (int)(f + len - base), base);
		}
		if (p->mappings[0].build_id)
			hearth_buf_printf(out, "Build ID: %s\n", hearth_s(p, p->mappings[0].build_id));
	}
	for (uint32_t i = 0; i < p->ncomments; i++) {
		const char *cm = hearth_s(p, p->comments[i]);
		if (cm[0] != '#')
			hearth_buf_printf(out, "%s\n", cm);
	}
	if (r->sample_type[0])
		hearth_buf_printf(out, "Type: %s\n", r->sample_type);
	if (p->time_nanos) {
		go_time(p->time_nanos, a, sizeof(a));
		hearth_buf_printf(out, "Time: %s\n", a);
	}
	if (p->duration_nanos) {
		const char *tu;
		hearth_value_label(a, sizeof(a), p->duration_nanos, "nanoseconds");
		double tn = hearth_scale(r->total, r->sample_unit, "nanoseconds", &tu);
		hearth_rpt_value(r, r->total, b, sizeof(b));
		c[0] = 0;
		if (!strcmp(tu, "ns") && tn != 0) {
			char pct[32];
			hearth_percentage(pct, sizeof(pct), (int64_t)tn, p->duration_nanos);
			snprintf(c, sizeof(c), "(%s)", pct);
		}
		hearth_buf_printf(out, "Duration: %s, Total samples = %s %s\n", a, b, c);
	}
}

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

void hearth_trimmed_free(hearth_trimmed *t)
{
	hearth_graph_free(&t->g);
	hearth_nodeset_free(&t->ns);
}

/* Groups edge indices per destination and per source. */
static hearth_err index_edges(hearth_graph *g, uint32_t nids)
{
	uint32_t *pos = calloc((size_t)nids + 1, sizeof(uint32_t));
	uint32_t *cnt_in = calloc((size_t)nids + 1, sizeof(uint32_t));
	uint32_t *cnt_out = calloc((size_t)nids + 1, sizeof(uint32_t));
	g->in_edges = malloc(sizeof(uint32_t) * (g->nedges + 1));
	g->out_edges = malloc(sizeof(uint32_t) * (g->nedges + 1));
	if (!pos || !cnt_in || !cnt_out || !g->in_edges || !g->out_edges) {
		free(pos);
		free(cnt_in);
		free(cnt_out);
		return HEARTH_ENOMEM;
	}
	for (size_t e = 0; e < g->nedges; e++) {
		cnt_in[g->edges[e].dst]++;
		cnt_out[g->edges[e].src]++;
	}
	/* in_edges: prefix sums by node id, then fill. */
	uint32_t *start_in = pos;
	uint32_t acc = 0;
	for (uint32_t i = 0; i < nids; i++) {
		start_in[i] = acc;
		acc += cnt_in[i];
	}
	uint32_t *fill = calloc((size_t)nids + 1, sizeof(uint32_t));
	uint32_t *start_out = calloc((size_t)nids + 1, sizeof(uint32_t));
	if (!fill || !start_out) {
		free(fill);
		free(start_out);
		free(pos);
		free(cnt_in);
		free(cnt_out);
		return HEARTH_ENOMEM;
	}
	acc = 0;
	for (uint32_t i = 0; i < nids; i++) {
		start_out[i] = acc;
		acc += cnt_out[i];
	}
	for (size_t e = 0; e < g->nedges; e++) {
		uint32_t d = g->edges[e].dst;
		g->in_edges[start_in[d] + fill[d]++] = (uint32_t)e;
	}
	memset(fill, 0, sizeof(uint32_t) * nids);
	for (size_t e = 0; e < g->nedges; e++) {
		uint32_t s = g->edges[e].src;
		g->out_edges[start_out[s] + fill[s]++] = (uint32_t)e;
	}
	for (uint32_t i = 0; i < g->nnodes; i++) {
		hearth_node *n = &g->nodes[i];
		n->in0 = start_in[n->id];
		n->nin = cnt_in[n->id];
		n->out0 = start_out[n->id];
		n->nout = cnt_out[n->id];
	}
	free(fill);
	free(start_out);
	free(pos);
	free(cnt_in);
	free(cnt_out);
	return HEARTH_OK;
}

static hearth_err rebuild(hearth_report *r, hearth_trimmed *t, const bool *kept, bool edges)
{
	hearth_graph_free(&t->g);
	return hearth_graph_build(r->p, &t->ns, &r->vs, kept, edges, &t->g);
}

hearth_err hearth_rpt_trimmed_graph(hearth_report *r, bool visual, hearth_trimmed *t)
{
	hearth_err err;
	bool *kept = NULL;
	memset(t, 0, sizeof(*t));
	(void)visual;
	bool objnames = false;
	if ((err = hearth_nodeset_build(r->p, objnames, &t->ns)))
		return err;
	uint32_t nids = t->ns.ninfos;
	/* The first graph is only used for its cum values when nodes will be
	 * dropped, so its edges are built only when it is the final graph. */
	int64_t total = 0;
	if ((err = rebuild(r, t, NULL, r->o.nodefraction <= 0)))
		goto out;
	for (uint32_t i = 0; i < t->g.nnodes; i++)
		total += t->g.nodes[i].flat;
	int64_t node_cut = abs64((int64_t)((double)total * r->o.nodefraction));
	int64_t edge_cut = abs64((int64_t)((double)total * r->o.edgefraction));
	kept = calloc((size_t)nids + 1, 1);
	if (!kept) {
		err = HEARTH_ENOMEM;
		goto out;
	}
	bool have_edges = r->o.nodefraction <= 0;
	if (node_cut > 0) {
		uint32_t nk = 0;
		for (uint32_t i = 0; i < t->g.nnodes; i++)
			if (abs64(t->g.nodes[i].cum) >= node_cut) {
				kept[t->g.nodes[i].id] = true;
				nk++;
			}
		if (nk != t->g.nnodes) {
			t->dropped_nodes = (int)(t->g.nnodes - nk);
			if ((err = rebuild(r, t, kept, true)))
				goto out;
			have_edges = true;
		}
	}
	if (!have_edges && (err = rebuild(r, t, NULL, true)))
		goto out;
	t->orig_count = (int)t->g.nnodes;
	hearth_order ord = r->o.cum_sort ? HEARTH_ORDER_CUM : HEARTH_ORDER_FLAT;
	hearth_graph_sort(r->p, &t->g, ord);
	if (r->o.nodecount > 0 && (uint32_t)r->o.nodecount < t->g.nnodes) {
		memset(kept, 0, (size_t)nids + 1);
		for (int i = 0; i < r->o.nodecount; i++)
			kept[t->g.nodes[i].id] = true;
		if ((err = rebuild(r, t, kept, true)))
			goto out;
		hearth_graph_sort(r->p, &t->g, ord);
	}
	if ((err = index_edges(&t->g, nids)))
		goto out;
	/* TrimLowFrequencyEdges: in-edges of the shown nodes below the cut. */
	for (uint32_t i = 0; i < t->g.nnodes; i++) {
		const hearth_node *n = &t->g.nodes[i];
		for (uint32_t k = 0; k < n->nin; k++) {
			hearth_edge *e = &t->g.edges[t->g.in_edges[n->in0 + k]];
			if (abs64(e->weight) < edge_cut) {
				e->trimmed = true;
				t->dropped_edges++;
			}
		}
	}
out:
	free(kept);
	if (err)
		hearth_trimmed_free(t);
	return err;
}

void hearth_rpt_select_unit(hearth_report *r, const hearth_graph *g)
{
	if (strcmp(r->o.unit, "minimum") != 0 || g->nnodes == 0)
		return;
	int64_t minv = 0, maxv = r->total;
	for (uint32_t i = 0; i < g->nnodes; i++) {
		int64_t v = abs64(hearth_node_flat(&g->nodes[i]));
		if (v == 0)
			v = abs64(hearth_node_cum(&g->nodes[i]));
		if (v > 0 && (minv == 0 || v < minv))
			minv = v;
	}
	if (minv == 0)
		minv = maxv;
	if (r->ratio > 0 && r->ratio != 1) {
		minv = (int64_t)((double)minv * r->ratio);
		maxv = (int64_t)((double)maxv * r->ratio);
	}
	const char *minu, *maxu, *unit;
	hearth_scale(minv, r->sample_unit, "minimum", &minu);
	hearth_scale(maxv, r->sample_unit, "minimum", &maxu);
	unit = minu;
	if (strcmp(minu, maxu) != 0 && minv * 100 < maxv)
		hearth_scale(100 * minv, r->sample_unit, "minimum", &unit);
	snprintf(r->output_unit, sizeof(r->output_unit), "%s", *unit ? unit : r->sample_unit);
}

hearth_err hearth_report_proto(hearth_report *r, hearth_errbuf *eb)
{
	(void)eb;
	if (r->ratio > 0 && r->ratio != 1) {
		hearth_profile *p = r->p;
		for (size_t i = 0; i < p->nsamples * p->nsample_types; i++)
			p->values[i] = (int64_t)((double)p->values[i] * r->ratio);
	}
	return HEARTH_OK;
}
