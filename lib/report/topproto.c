/* `topproto`: the rows of top as a profile (pprof's printTopProto): one
 * location and one sample per node, values cum and flat in the report's
 * output unit; and `raw`, the profile as text (lib/report/raw.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/measure.h"
#include "hearth/raw.h"
#include "report.h"

static uint32_t copy_str(hearth_profile *dst, const hearth_profile *src, uint32_t s)
{
	const char *x = hearth_s(src, s);
	return hearth_intern(dst, x, strlen(x));
}

hearth_err hearth_report_topproto(hearth_report *r, hearth_profile **out, hearth_errbuf *eb)
{
	hearth_trimmed t;
	const hearth_profile *p = r->p;
	hearth_profile *q = NULL;
	uint32_t *fkeys = NULL; /* per function of q: the node whose NodeInfo made it */
	*out = NULL;
	hearth_err err = hearth_rpt_trimmed_graph(r, false, &t);
	if (err)
		return hearth_seterr(eb, err, "%s", hearth_strerror(err));
	hearth_rpt_select_unit(r, &t.g);
	err = HEARTH_ENOMEM;
	if (!(q = hearth_profile_new()))
		goto out;
	if (hearth_add_sample_type(q, "cum", r->output_unit) == HEARTH_NONE ||
	    hearth_add_sample_type(q, "flat", r->output_unit) == HEARTH_NONE)
		goto out;
	q->time_nanos = p->time_nanos;
	q->duration_nanos = p->duration_nanos;
	q->period = p->period;
	q->period_type.type = copy_str(q, p, p->period_type.type);
	q->period_type.unit = copy_str(q, p, p->period_type.unit);
	if (q->period_type.type == HEARTH_NONE || q->period_type.unit == HEARTH_NONE)
		goto out;
	fkeys = malloc(sizeof(uint32_t) * (t.g.nnodes + 1));
	if (!fkeys)
		goto out;
	for (uint32_t i = 0; i < t.g.nnodes; i++) {
		const hearth_node *n = &t.g.nodes[i];
		const hearth_nodeinfo *ni = &n->info;
		/* Functions are shared by name, system name, file and start line. */
		uint32_t f = HEARTH_NONE;
		for (uint32_t k = 0; k < q->nfunctions && f == HEARTH_NONE; k++) {
			const hearth_nodeinfo *o = &t.g.nodes[fkeys[k]].info;
			if (!strcmp(hearth_s(p, o->name), hearth_s(p, ni->name)) &&
			    !strcmp(hearth_s(p, o->orig_name), hearth_s(p, ni->orig_name)) &&
			    !strcmp(hearth_s(p, o->file), hearth_s(p, ni->file)) &&
			    o->start_line == ni->start_line)
				f = k;
		}
		if (f == HEARTH_NONE) {
			uint32_t nm = copy_str(q, p, ni->name), sn = copy_str(q, p, ni->orig_name),
				 fl = copy_str(q, p, ni->file);
			if (nm == HEARTH_NONE || sn == HEARTH_NONE || fl == HEARTH_NONE)
				goto out;
			f = hearth_add_function(q, nm, sn, fl, ni->start_line);
			if (f == HEARTH_NONE)
				goto out;
			fkeys[f] = i;
		}
		hearth_line ln = {f, ni->line, 0};
		uint32_t loc = hearth_add_location(q, HEARTH_NONE, ni->address, &ln, 1, false);
		if (loc == HEARTH_NONE)
			goto out;
		int64_t v[2] = {
			(int64_t)hearth_scale(hearth_node_cum(n), r->sample_unit, r->output_unit, NULL),
			(int64_t)hearth_scale(hearth_node_flat(n), r->sample_unit, r->output_unit, NULL),
		};
		if ((err = hearth_add_sample(q, &loc, 1, v, NULL, 0)))
			goto out;
		err = HEARTH_ENOMEM;
	}
	*out = q;
	q = NULL;
	err = HEARTH_OK;
out:
	free(fkeys);
	hearth_profile_free(q);
	hearth_trimmed_free(&t);
	if (err)
		return hearth_seterr(eb, err, "%s", hearth_strerror(err));
	return HEARTH_OK;
}

hearth_err hearth_report_rawtext(hearth_report *r, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_profile *p = r->p;
	/* pprof gives a profile without mappings (as some Go runtimes write
	 * them) an empty one, for symbolization; its dump shows it. */
	if (p->nmappings == 0) {
		hearth_mapping m;
		memset(&m, 0, sizeof(m));
		uint32_t mi = hearth_add_mapping(p, &m);
		if (mi == HEARTH_NONE)
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		for (uint32_t i = 0; i < p->nlocations; i++)
			p->locations[i].mapping = mi;
	}
	hearth_report_raw(p, out);
	if (out->oom)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	return HEARTH_OK;
}
