/* Reports: one prepared state (filters applied, the sample value chosen, the
 * total computed, as pprof's generateRawReport does), then one function per
 * output.  The CLI, the web API and the server call these same functions. */
#ifndef HEARTH_REPORT_H
#define HEARTH_REPORT_H

#include "hearth/buf.h"
#include "hearth/options.h"
#include "hearth/profile.h"

typedef enum {
	HEARTH_CMD_TOP,
	HEARTH_CMD_TRACES,
	HEARTH_CMD_PROTO,
	HEARTH_CMD_GRAPH, /* any report that draws the call graph (default nodecount 80) */
	HEARTH_CMD_TREE,
	HEARTH_CMD_PEEK,
	HEARTH_CMD_TAGS,
	HEARTH_CMD_RAW,
	HEARTH_CMD_COMMENTS,
	HEARTH_CMD_CALLGRIND,
	HEARTH_CMD_DOT,
	HEARTH_CMD_LIST,
	HEARTH_CMD_TOPPROTO,
	HEARTH_CMD_DISASM,
	HEARTH_CMD_WEBLIST,
} hearth_cmd;

typedef struct hearth_report hearth_report;

/* Whether the report cmd, with the options o, reads the samples' labels:
 * tags, traces, raw, proto and the call graph (its tag boxes) do, and so
 * does any report with a tag option (tagfocus, tagignore, tagshow,
 * taghide) or a base (the subtraction merges by stack and labels, and
 * samples that cancel out leave pprof's absolute total).  When it does not,
 * several sources may be merged without their labels (o->no_labels) and
 * the report is the same, byte for byte. */
bool hearth_report_needs_labels(hearth_cmd cmd, const hearth_opts *o);

/* Takes ownership of p (the report edits it as pprof edits its copy). */
hearth_err hearth_report_new(hearth_profile *p, const hearth_opts *o, hearth_cmd cmd,
			     hearth_report **out, hearth_errbuf *eb);
void hearth_report_free(hearth_report *r);

/* Warnings the filters produced ("Focus expression matched no samples"),
 * one per line; empty when there were none. */
const char *hearth_report_warnings(const hearth_report *r);
hearth_profile *hearth_report_profile(hearth_report *r);

hearth_err hearth_report_top(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);
hearth_err hearth_report_traces(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);
/* pprof's tree: each node with its callers and callees.  peek is the same
 * limited to the nodes whose name matches o->symbol. */
hearth_err hearth_report_tree(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);
hearth_err hearth_report_peek(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);
/* Every label and numeric label with the weight of its samples. */
hearth_err hearth_report_tags(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);
/* The profile's comments, one per line. */
hearth_err hearth_report_comments(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);
/* The call graph in callgrind's format (callgrind_annotate, KCachegrind). */
hearth_err hearth_report_callgrind(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);
/* The call graph in Graphviz's DOT language, as `go tool pprof -dot`. */
hearth_err hearth_report_dot(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);
/* Annotated source of the functions matching o->symbol. */
hearth_err hearth_report_list(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);
/* Annotated assembly of the functions matching o->symbol (lib/report/disasm.c). */
hearth_err hearth_report_disasm(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);
/* One HTML page of source lines with their assembly, as pprof's weblist. */
hearth_err hearth_report_weblist(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);
/* The same figures as JSON (the web UI's source view): {"total",
 * "total_label", "functions": [{"name", "file", "flat", "cum", "flat_label",
 * "cum_label", "lines": [{"line", "text", figures, "items": [{"call": true,
 * "depth", "text", "file", "line"} | {"depth", "addr", "asm", figures,
 * "file", "line"} | {"gap": true}]}]}]}; a line is listed when something
 * is filed under it; labels are "." for 0, as the page prints them. */
hearth_err hearth_report_weblist_json(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);
/* The rows of top as JSON, for the web API (lib/report/text.c; docs/web.md). */
hearth_err hearth_report_top_json(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);
/* The web API's search: {"matched", "matched_label", "total", "share", ...}
 * where matched is what top shows with -nodefraction=0 (the sum of its flat
 * column) on a report made with o->search set: the samples that have a
 * frame matching it, after the report's own filters. */
hearth_err hearth_report_search_json(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);
/* pprof's -raw: the profile as text (needs lib/report/raw.c). */
hearth_err hearth_report_rawtext(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);
/* The rows of top as a profile (sample types cum and flat); *out is a new
 * profile the caller frees. */
hearth_err hearth_report_topproto(hearth_report *r, hearth_profile **out, hearth_errbuf *eb);

/* The profile as it stands after filters, scaled by -divide_by. */
hearth_err hearth_report_proto(hearth_report *r, hearth_errbuf *eb);

#endif
