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
	if (cmd == HEARTH_CMD_TOP || cmd == HEARTH_CMD_TOPPROTO) {
		if (o->nodecount == -1)
			o->nodecount = 0;
	} else if (o->nodecount == -1) {
		o->nodecount = 80;
	}
	if (cmd == HEARTH_CMD_PEEK)
		trim = false;
	if (cmd == HEARTH_CMD_LIST) {
		/* -noinlines is left to the user, as pprof does. */
		trim = false;
		o->granularity = HEARTH_GRAN_LINES;
	}
	/* pprof's disasm: addresses, one node per address (inlined frames
	 * would count an address's samples once per frame); weblist keeps
	 * the inlined frames. */
	if (cmd == HEARTH_CMD_DISASM || cmd == HEARTH_CMD_WEBLIST) {
		trim = false;
		o->granularity = HEARTH_GRAN_ADDRESSES;
		o->noinlines = cmd == HEARTH_CMD_DISASM;
	}
	if (cmd == HEARTH_CMD_PROTO || cmd == HEARTH_CMD_RAW || cmd == HEARTH_CMD_CALLGRIND) {
		trim = false;
		/* Today's pprof leaves -noinlines to the user here (1.19 forced
		 * the inlined frames in). */
		o->granularity = HEARTH_GRAN_ADDRESSES;
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

/* The sums wrap around as Go's int64s do in pprof's computeTotal: in
 * uint64_t, since overflowing an int64_t is undefined in C (and
 * INT64_MIN / -1 traps on x86). */
static int64_t compute_total(const hearth_profile *p, const hearth_valuesel *vs)
{
	uint64_t div = 0, total = 0, ddiv = 0, dtotal = 0;
	for (size_t i = 0; i < p->nsamples; i++) {
		const int64_t *v = p->values + i * p->nsample_types;
		uint64_t x = (uint64_t)v[vs->vi], d = vs->mean_i >= 0 ? (uint64_t)v[vs->mean_i] : 0;
		if ((int64_t)x < 0)
			x = -x;
		total += x;
		div += d;
		if (p->samples[i].nlabels && is_diff_base(p, &p->samples[i])) {
			dtotal += x;
			ddiv += d;
		}
	}
	if ((int64_t)dtotal > 0) {
		total = dtotal;
		div = ddiv;
	}
	if ((int64_t)div == -1)
		return (int64_t)-total;
	return div ? (int64_t)total / (int64_t)div : (int64_t)total;
}

bool hearth_report_needs_labels(hearth_cmd cmd, const hearth_opts *o)
{
	switch (cmd) {
	case HEARTH_CMD_TOP:
	case HEARTH_CMD_TREE:
	case HEARTH_CMD_PEEK:
	case HEARTH_CMD_LIST:
	case HEARTH_CMD_DISASM:
	case HEARTH_CMD_WEBLIST:
	case HEARTH_CMD_CALLGRIND:
	case HEARTH_CMD_COMMENTS:
	case HEARTH_CMD_TOPPROTO:
		break;
	default:
		return true;
	}
	return o->tagfocus || o->tagignore || o->tagshow || o->taghide || o->nbase || o->ndiff_base;
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
		v = hearth_scale_i64(v, r->ratio);
	hearth_scaled_label(out, n, v, r->sample_unit, r->output_unit);
}

/* Go's "MST" in a layout: the zone's abbreviation, else -0700. */
static const char *go_zone(const struct tm *tm)
{
	static __thread char z[16];
	if (tm->tm_zone && tm->tm_zone[0])
		return tm->tm_zone;
	long off = tm->tm_gmtoff / 60;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	snprintf(z, sizeof(z), "%c%02ld%02ld", sign, off / 60 % 100, off % 60);
	return z;
}

/* The Time: header as today's pprof prints it (Go's layout
 * "2006-01-02 15:04:05 MST", the local zone; pprof 1.19 printed
 * "Jan 2, 2006 at 3:04pm (MST)"). */
static void go_time(int64_t nanos, char *out, size_t n)
{
	time_t t = (time_t)(nanos / 1000000000);
	if (nanos < 0 && nanos % 1000000000)
		t--;
	struct tm tm;
	if (!localtime_r(&t, &tm)) {
		snprintf(out, n, "?");
		return;
	}
	snprintf(out, n, "%04d-%02d-%02d %02d:%02d:%02d %s", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, go_zone(&tm));
}

void hearth_rpt_file_name(const hearth_report *r, char *out, size_t n)
{
	const hearth_profile *p = r->p;
	const char *f = p->nmappings > 0 ? hearth_s(p, p->mappings[0].file) : "";
	size_t bl = 0;
	const char *base = *f ? hearth_path_base(f, strlen(f), &bl) : f;
	snprintf(out, n, "%.*s", (int)bl, base);
}

void hearth_rpt_profile_labels(const hearth_report *r, hearth_buf *out)
{
	const hearth_profile *p = r->p;
	char a[64], b[64], c[64];
	if (p->nmappings > 0) {
		char file[4096];
		hearth_rpt_file_name(r, file, sizeof(file));
		if (*file)
			hearth_buf_printf(out, "File: %s\n", file);
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
	if (p->doc_url && *hearth_s(p, p->doc_url))
		hearth_buf_printf(out, "Doc: %s\n", hearth_s(p, p->doc_url));
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
	hearth_tree_free(&t->tree);
	hearth_tags_free(&t->tags);
	hearth_names_free(t->names);
	t->names = NULL;
	free(t->inlined);
	t->inlined = NULL;
}


/* pprof's trimPath: strips the part of a file name before the base name
 * of a -source_path directory, or a -trim_path prefix, or /proc/self/cwd;
 * returns the offset where the kept name starts. */
size_t hearth_rpt_trim_path(const char *path, const char *trim, const char *search)
{
	if (!trim || !*trim) {
		for (const char *d = search; d && *d;) {
			const char *e = strchr(d, ':');
			size_t n = e ? (size_t)(e - d) : strlen(d), bl;
			const char *b = hearth_path_base(d, n, &bl);
			char want[4096];
			if (bl + 3 <= sizeof(want)) {
				snprintf(want, sizeof(want), "/%.*s/", (int)bl, b);
				const char *f = strstr(path, want);
				if (f)
					return (size_t)(f - path) + strlen(want);
			}
			if (!e)
				break;
			d = e + 1;
		}
	}
	const char *fixed[] = {"/proc/self/cwd/./", "/proc/self/cwd/"};
	for (const char *d = trim && *trim ? trim : NULL;;) {
		size_t n;
		const char *e = NULL;
		if (d) {
			e = strchr(d, ':');
			n = e ? (size_t)(e - d) : strlen(d);
			if (n == 0 || d[n - 1] != '/') {
				if (!strncmp(path, d, n) && path[n] == '/')
					return n + 1;
			} else if (!strncmp(path, d, n)) {
				return n;
			}
		}
		if (!d || !e)
			break;
		d = e + 1;
	}
	for (int i = 0; i < 2; i++)
		if (!strncmp(path, fixed[i], strlen(fixed[i])))
			return strlen(fixed[i]);
	return 0;
}

/* newGraph rewrites the profile's file names with trimPath first. */
static hearth_err trim_paths(hearth_report *r)
{
	hearth_profile *p = r->p;
	for (uint32_t i = 0; i < p->nfunctions; i++) {
		uint32_t f = p->functions[i].file;
		if (f == 0)
			continue;
		const char *s = hearth_s(p, f);
		size_t k = hearth_rpt_trim_path(s, r->o.trim_path, r->o.source_path);
		if (k == 0)
			continue;
		uint32_t nf = hearth_intern(p, s + k, strlen(s + k));
		if (nf == HEARTH_NONE)
			return HEARTH_ENOMEM;
		p->functions[i].file = nf;
	}
	return HEARTH_OK;
}

static bool objnames(hearth_cmd c)
{
	return c == HEARTH_CMD_RAW || c == HEARTH_CMD_LIST || c == HEARTH_CMD_CALLGRIND ||
	       c == HEARTH_CMD_DISASM || c == HEARTH_CMD_WEBLIST;
}

static hearth_err rebuild(hearth_report *r, hearth_trimmed *t, const bool *kept, bool edges)
{
	hearth_graph prev = t->g;
	memset(&t->g, 0, sizeof(t->g));
	hearth_graph_opts go = {.kept = kept, .edges = edges};
	if (r->cmd == HEARTH_CMD_TOP && !t->call_tree) {
		/* top uses edges only for its inline marks: a node never seen as
		 * an inlined frame has no inline in-edge, so once the first pass
		 * has said which nodes were, the passes over kept nodes build
		 * only the edges into those (a third of top's time on big
		 * profiles went to the rest). */
		if (!kept && !t->inlined && !(t->inlined = calloc((size_t)t->nids + 1, 1)))
			return HEARTH_ENOMEM;
		if (!kept)
			go.inlined = t->inlined;
		else
			go.edge_dst = t->inlined;
		/* The nodes kept are the previous graph's, with its sums: the
		 * pass over the samples only builds those edges. */
		if (kept && prev.nodes)
			go.sums = &prev;
	}
	hearth_err err = hearth_graph_build_opts(r->p, &t->ns, &r->vs, &go, &t->g);
	hearth_graph_free(&prev);
	/* Only dot shows tags, and only the final graph, which has edges.  A
	 * node's tags do not depend on the other nodes kept: those of the first
	 * graph with edges serve every later, smaller one (collecting them was
	 * most of the time of a call graph). */
	if (!err && edges && r->cmd == HEARTH_CMD_DOT && !t->tags_done) {
		hearth_tagfmt tf = {r->units, r->o.unit};
		err = hearth_tags_collect(r->p, &t->ns, &r->vs, kept, &tf, t->tag_cut, &t->tags);
		t->tags_done = !err;
	}
	if (!err && edges && r->cmd != HEARTH_CMD_TOP)
		err = hearth_graph_index(&t->g, t->nids);
	return err;
}

/* The first graph: pprof's newGraph(nil), or newTree with -call_tree. */
static hearth_err first_graph(hearth_report *r, hearth_trimmed *t, bool edges)
{
	hearth_err err;
	memset(t, 0, sizeof(*t));
	if ((err = trim_paths(r)))
		return err;
	if ((err = hearth_nodeset_build(r->p, objnames(r->cmd), &t->ns)))
		return err;
	t->infos = t->ns.infos;
	t->nids = t->ns.ninfos;
	t->call_tree = r->o.call_tree && (r->cmd == HEARTH_CMD_DOT || r->cmd == HEARTH_CMD_CALLGRIND);
	if (!t->call_tree) {
		if (!(t->names = hearth_names_new(r->p, t->infos, t->nids)))
			return HEARTH_ENOMEM;
		return rebuild(r, t, NULL, edges);
	}
	hearth_tagfmt tf = {r->units, r->o.unit};
	err = hearth_tree_build(r->p, &t->ns, &r->vs, &tf, &t->tree, &t->g,
				r->cmd == HEARTH_CMD_DOT ? &t->tags : NULL);
	if (err)
		return err;
	t->infos = t->tree.infos;
	t->nids = t->tree.n;
	if (!(t->names = hearth_names_new(r->p, t->infos, t->nids)))
		return HEARTH_ENOMEM;
	return hearth_graph_index(&t->g, t->nids);
}

hearth_err hearth_rpt_full_graph(hearth_report *r, hearth_trimmed *t)
{
	hearth_err err = first_graph(r, t, true);
	if (err)
		hearth_trimmed_free(t);
	return err;
}

/* pprof's SortNodes. */
static hearth_err sort_graph(hearth_report *r, hearth_trimmed *t, bool visual)
{
	if (visual)
		return hearth_graph_sort_entropy(r->p, &t->g, t->nids);
	hearth_graph_sort(r->p, &t->g, r->o.cum_sort ? HEARTH_ORDER_CUM : HEARTH_ORDER_FLAT);
	return HEARTH_OK;
}

hearth_err hearth_rpt_trimmed_graph(hearth_report *r, bool visual, hearth_trimmed *t)
{
	hearth_err err;
	bool *kept = NULL;
	/* The first graph is only used for its cum values when nodes will be
	 * dropped, so its edges are built only when it is the final graph. */
	bool have_edges = r->o.nodefraction <= 0;
	if ((err = first_graph(r, t, have_edges)))
		goto out;
	if (t->call_tree)
		have_edges = true;
	uint32_t nids = t->nids;
	int64_t total = 0;
	for (uint32_t i = 0; i < t->g.nnodes; i++)
		total += t->g.nodes[i].flat;
	int64_t node_cut = abs64((int64_t)((double)total * r->o.nodefraction));
	int64_t edge_cut = abs64((int64_t)((double)total * r->o.edgefraction));
	t->tag_cut = node_cut; /* the tags trimmed below are not collected */
	kept = calloc((size_t)nids + 1, 1);
	if (!kept) {
		err = HEARTH_ENOMEM;
		goto out;
	}
	if (node_cut > 0) {
		uint32_t nk = 0;
		for (uint32_t i = 0; i < t->g.nnodes; i++)
			if (abs64(t->g.nodes[i].cum) >= node_cut) {
				kept[t->g.nodes[i].id] = true;
				nk++;
			}
		if (nk != t->g.nnodes) {
			t->dropped_nodes = (int)(t->g.nnodes - nk);
			if (t->call_tree)
				err = hearth_tree_trim(t->names, nids, &t->g, kept);
			else
				err = rebuild(r, t, kept, true);
			if (err)
				goto out;
			have_edges = true;
		}
	}
	if (!have_edges && (err = rebuild(r, t, NULL, true)))
		goto out;
	t->orig_count = (int)t->g.nnodes;
	if ((err = sort_graph(r, t, visual)))
		goto out;
	if (r->o.nodecount > 0) {
		uint32_t keep = (uint32_t)r->o.nodecount < t->g.nnodes ? (uint32_t)r->o.nodecount
									: t->g.nnodes;
		if (visual || t->call_tree) {
			/* Low-frequency tags and edges go before the selection,
			 * which counts tags (pprof trims them twice; the second
			 * time finds no edge to drop unless the graph was rebuilt). */
			hearth_tags_trim(&t->tags, &t->g, node_cut);
			hearth_graph_trim_edges(&t->g, edge_cut);
			if (visual)
				keep = hearth_graph_visual_top(&t->g, &t->tags, r->o.nodecount);
		}
		if (keep < t->g.nnodes) {
			memset(kept, 0, (size_t)nids + 1);
			for (uint32_t i = 0; i < keep; i++)
				kept[t->g.nodes[i].id] = true;
			if (t->call_tree)
				err = hearth_tree_trim(t->names, nids, &t->g, kept);
			else
				err = rebuild(r, t, kept, true);
			if (err || (err = sort_graph(r, t, visual)))
				goto out;
		} else if (!visual && !t->call_tree) {
			/* As above: what the first trim dropped is not counted. */
			if (r->cmd != HEARTH_CMD_TOP && (err = hearth_graph_index(&t->g, nids)))
				goto out;
			if (r->cmd != HEARTH_CMD_TOP)
				hearth_graph_trim_edges(&t->g, edge_cut);
		}
	}
	if (r->cmd == HEARTH_CMD_TOP) {
		/* top needs the in-edges of its rows for the inline marks. */
		if ((err = hearth_graph_index(&t->g, nids)))
			goto out;
	}
	hearth_tags_trim(&t->tags, &t->g, node_cut);
	t->dropped_edges = hearth_graph_trim_edges(&t->g, edge_cut);
	if (visual && (err = hearth_graph_remove_redundant(t->names, nids, &t->g)))
		goto out;
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
	/* callgrind shows integers only: no scaling down to 0.01. */
	if (strcmp(minu, maxu) != 0 && minv * 100 < maxv && r->cmd != HEARTH_CMD_CALLGRIND)
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
