/* State shared by the report writers in lib/report/. */
#ifndef HEARTH_REPORT_INTERNAL_H
#define HEARTH_REPORT_INTERNAL_H

#include "engine.h"
#include "hearth/report.h"

struct hearth_report {
	hearth_profile *p;
	hearth_opts o; /* after the command's overrides */
	hearth_cmd cmd;
	hearth_valuesel vs;
	char sample_type[128]; /* "cpu", "mean_delay" ... */
	const char *sample_unit;
	char output_unit[32];
	double ratio; /* 1 / divide_by */
	int64_t total;
	uint32_t *units; /* numeric label units per key */
	hearth_buf warn;
};

/* pprof's formatValue: the value scaled by ratio, in the output unit. */
void hearth_rpt_value(const hearth_report *r, int64_t v, char *out, size_t n);
/* The base name of the profile's main file (mapping 0), as the "File:"
 * header line names it; "" when there is none. */
void hearth_rpt_file_name(const hearth_report *r, char *out, size_t n);
/* The header lines every report starts with (File, Type, Time, Duration). */
void hearth_rpt_profile_labels(const hearth_report *r, hearth_buf *out);

/* pprof's newTrimmedGraph: the graph after nodefraction, nodecount and
 * edgefraction, sorted; also what was dropped, for the header. */
typedef struct {
	hearth_graph g;
	hearth_nodeset ns;
	int orig_count, dropped_nodes, dropped_edges;
	/* Node ids index infos[0 .. nids): the nodeset's, or with -call_tree
	 * (dot, callgrind) the tree's. */
	const hearth_nodeinfo *infos;
	uint32_t nids;
	hearth_tree tree; /* with -call_tree */
	bool call_tree;
	hearth_tags tags; /* dot only */
	bool tags_done;	  /* collected, for the first graph with edges */
	int64_t tag_cut;  /* tags lighter than this are trimmed anyway */
	hearth_names *names; /* printable names by node id */
	bool *inlined;	     /* top: nodes seen as an inlined frame */
} hearth_trimmed;

hearth_err hearth_rpt_trimmed_graph(hearth_report *r, bool visual, hearth_trimmed *t);
void hearth_trimmed_free(hearth_trimmed *t);
/* The graph exactly as pprof's newGraph(nil) builds it (no trimming, in no
 * particular order), indexed. */
hearth_err hearth_rpt_full_graph(hearth_report *r, hearth_trimmed *t);
/* pprof's reportLabels (text.c); edges_line adds "Dropped N edges". */
void hearth_rpt_graph_labels(const hearth_report *r, const hearth_trimmed *t, hearth_buf *out,
			     bool edges_line);
/* pprof's trimPath: the offset in path where the name to keep starts (0:
 * all of it), given -trim_path and the source search path. */
size_t hearth_rpt_trim_path(const char *path, const char *trim, const char *search);
/* pprof's selectOutputUnit, from the nodes of g. */
void hearth_rpt_select_unit(hearth_report *r, const hearth_graph *g);

#endif
