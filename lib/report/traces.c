/* `traces`: every sample with its labels and its stack, as pprof prints it. */
#include <stdlib.h>
#include <string.h>

#include "hearth/measure.h"
#include "report.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends one "%10s:  v1 v2\n" line per label key of the sample, sorted. */
static void sample_labels(const hearth_report *r, const hearth_sample *s, bool numeric,
			  hearth_buf *out)
{
	const hearth_profile *p = r->p;
	const hearth_label *lb = p->labels + s->label0;
	char **lines = calloc(s->nlabels + 1, sizeof(char *));
	uint32_t nl = 0;
	if (!lines)
		return;
	for (uint32_t i = 0; i < s->nlabels; i++) {
		bool ok = numeric ? hearth_label_is_num(&lb[i]) : hearth_label_is_str(&lb[i]);
		if (!ok)
			continue;
		bool first = true; /* first label of its key in this sample */
		for (uint32_t j = 0; j < i && first; j++)
			if (lb[j].key == lb[i].key &&
			    (numeric ? hearth_label_is_num(&lb[j]) : hearth_label_is_str(&lb[j])))
				first = false;
		if (!first)
			continue;
		hearth_buf b = {0};
		hearth_buf_printf(&b, "%10s:  ", hearth_s(p, lb[i].key));
		bool sp = false;
		for (uint32_t j = i; j < s->nlabels; j++) {
			if (lb[j].key != lb[i].key ||
			    !(numeric ? hearth_label_is_num(&lb[j]) : hearth_label_is_str(&lb[j])))
				continue;
			if (sp)
				hearth_buf_put(&b, " ", 1);
			sp = true;
			if (numeric) {
				char v[64];
				hearth_value_label(v, sizeof(v), lb[j].num,
						   hearth_s(p, r->units[lb[j].key]));
				hearth_buf_puts(&b, v);
			} else {
				hearth_buf_puts(&b, hearth_s(p, lb[j].str));
			}
		}
		hearth_buf_put(&b, "\n", 1);
		lines[nl++] = b.data;
	}
	qsort(lines, nl, sizeof(char *), cmp_str);
	for (uint32_t i = 0; i < nl; i++) {
		if (lines[i])
			hearth_buf_puts(out, lines[i]);
		free(lines[i]);
	}
	free(lines);
}

hearth_err hearth_report_traces(hearth_report *r, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_profile *p = r->p;
	hearth_nodeset ns;
	hearth_err err = hearth_nodeset_build(p, false, &ns);
	if (err)
		return hearth_seterr(eb, err, "%s", hearth_strerror(err));
	static const char sep[] = "-----------+-------------------------------------------------------\n";
	size_t before = out->len;
	hearth_rpt_profile_labels(r, out);
	if (out->len == before)
		hearth_buf_put(out, "\n", 1);
	/* Names of nodes, made once each. */
	char **names = calloc((size_t)ns.ninfos + 1, sizeof(char *));
	if (!names) {
		hearth_nodeset_free(&ns);
		return HEARTH_ENOMEM;
	}
	for (size_t si = 0; si < p->nsamples; si++) {
		const hearth_sample *s = &p->samples[si];
		uint32_t frames = 0;
		for (uint32_t i = 0; i < s->nlocs; i++)
			frames += ns.locn[p->locs[s->loc0 + i]];
		if (frames == 0)
			continue;
		hearth_buf_puts(out, sep);
		sample_labels(r, s, false, out);
		sample_labels(r, s, true, out);
		const int64_t *v = p->values + si * p->nsample_types;
		int64_t x = v[r->vs.vi], d = r->vs.mean_i >= 0 ? v[r->vs.mean_i] : 0;
		if (d != 0)
			x /= d;
		char vs[64];
		hearth_rpt_value(r, x, vs, sizeof(vs));
		bool first = true;
		for (uint32_t i = 0; i < s->nlocs; i++) {
			uint32_t loc = p->locs[s->loc0 + i];
			uint32_t n = ns.locn[loc];
			for (uint32_t j = 0; j < n; j++) {
				uint32_t id = ns.locnodes[ns.loc0[loc] + j];
				if (!names[id]) {
					hearth_buf b = {0};
					hearth_node_name(p, &ns.infos[id], &b);
					names[id] = b.data ? b.data : calloc(1, 1);
				}
				hearth_buf_printf(out, "%10s   %s%s\n", first ? vs : "", names[id],
						  j != n - 1 ? " (inline)" : "");
				first = false;
			}
		}
	}
	hearth_buf_puts(out, sep);
	for (uint32_t i = 0; i < ns.ninfos; i++)
		free(names[i]);
	free(names);
	hearth_nodeset_free(&ns);
	return out->oom ? HEARTH_ENOMEM : HEARTH_OK;
}
