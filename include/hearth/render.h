/* Drawing a call graph: DOT text (as hearth's dot report writes it) laid out
 * and rendered in-process with Graphviz's libraries, so no `dot` binary is
 * needed at run time. */
#ifndef HEARTH_RENDER_H
#define HEARTH_RENDER_H

#include <stddef.h>

#include "hearth/buf.h"
#include "hearth/error.h"

/* Graphs with more nodes than this are refused (HEARTH_ETOOBIG): the dot
 * layout is superlinear and would run for hours.  The graph reports cap the
 * node count at 80 by default; -nodecount raises it. */
#define HEARTH_RENDER_MAX_NODES 5000

/* Lays out dot[0..n) with Graphviz's "dot" engine and appends the drawing to
 * out.  format is "svg", "pdf" or "png".  The SVG is made for a browser: it
 * fills the window and pans (drag) and zooms (wheel) with a small embedded
 * script, as pprof's SVG does.  Bytes that are not UTF-8 are shown as U+FFFD.
 * Graphviz's warnings are dropped and its errors go into eb: the library
 * never prints.  Safe to call from several threads (calls are serialized:
 * Graphviz keeps global state). */
hearth_err hearth_render_dot(const char *dot, size_t n, const char *format, hearth_buf *out,
			     hearth_errbuf *eb);

#endif
