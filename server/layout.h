/* Call-graph layouts in a child process (`hearth __layout`), bounded by the
 * calling thread's budget (hearth/budget.h): killed when it is spent. */
#ifndef HEARTH_SERVER_LAYOUT_H
#define HEARTH_SERVER_LAYOUT_H

#include <stddef.h>

#include "hearth/buf.h"
#include "hearth/error.h"

/* Renders the DOT text dot[0..n) as format (svg, pdf, png) into out. */
hearth_err hearth_layout(const char *dot, size_t n, const char *format, hearth_buf *out,
			 hearth_errbuf *eb);

#endif
