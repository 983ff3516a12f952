/* Flame graphs, folded stacks and speedscope files.
 *
 * All of them come from one tree of frames built from a prepared report
 * (hearth_report_new: filters, sample_index, granularity already applied):
 * the root, then each call path, children ordered by name.  The flame graph
 * is built once (hearth_flame_new) and written as SVG, HTML or JSON; folded
 * and speedscope walk the same tree without keeping it, so they stay lossless
 * on any profile.
 *
 * With -base or -diff_base the report's profile holds both sides (the base's
 * samples negated, or marked pprof::base), and every frame carries both
 * values: a diff flame graph. */
#ifndef HEARTH_FLAME_H
#define HEARTH_FLAME_H

#include <stdbool.h>

#include "hearth/buf.h"
#include "hearth/report.h"

/* Frames narrower than total / resolution are merged into their caller
 * unless the caller asks for another resolution: one pixel of a graph
 * 1200 pixels wide. */
#define HEARTH_FLAME_RESOLUTION 1200
/* A flame graph kept in memory holds at most this many frames; a finer
 * resolution on a larger profile is refused with a message saying so. */
#define HEARTH_FLAME_MAX_FRAMES (1u << 21)

typedef struct {
	int resolution;	   /* see above; 0 keeps every frame */
	bool inverted;	   /* an icicle graph: the root on top */
	/* The tree built from the leaf up: the root's children are the
	 * functions where samples end, their children those functions'
	 * callers (the callers half of a sandwich view). */
	bool reverse;
	/* A sandwich by exact identity: the tree rooted at the function (the
	 * frame name as the JSON prints it), its callees (callees) or its
	 * callers (callers, which implies reverse).  NULL: the whole profile. */
	const char *callers, *callees;
	const char *title; /* NULL: "Flame graph" */
} hearth_flame_opts;

typedef struct hearth_flame hearth_flame;

/* Builds the tree of r's profile.  r must outlive the flame graph. */
hearth_err hearth_flame_new(hearth_report *r, const hearth_flame_opts *o, hearth_flame **out,
			    hearth_errbuf *eb);
void hearth_flame_free(hearth_flame *f);

/* A self-contained interactive SVG (zoom, search, tooltips). */
hearth_err hearth_flame_svg(hearth_flame *f, hearth_buf *out, hearth_errbuf *eb);
/* One HTML file that draws the graph on a canvas. */
hearth_err hearth_flame_html(hearth_flame *f, hearth_buf *out, hearth_errbuf *eb);
/* The tree as JSON (the format is described in docs/flame.md). */
hearth_err hearth_flame_json(hearth_flame *f, hearth_buf *out, hearth_errbuf *eb);

/* "frame;frame;frame value" lines, root first (FlameGraph's folded format),
 * with a header that lets hearth read the file back as a profile. */
hearth_err hearth_report_folded(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);
/* speedscope's file format (https://www.speedscope.app/file-format-schema.json). */
hearth_err hearth_report_speedscope(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);

#endif
