/* libFuzzer target: the GODEBUG log reader (lib/runtime/godebug.c) and its
 * outputs.  The input is fed in two pieces split at a point the input's
 * first byte chooses (lines cut across feeds), then summarized and written
 * as text, JSON, SVG and HTML, so hostile lines reach every writer.
 *
 * Build and run: make fuzz; tests/fuzz/run.sh short|long. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/godebug.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hearth_godebug g;
	hearth_errbuf eb = {{0}};
	hearth_godebug_init(&g);
	size_t cut = size ? (size_t)data[0] * size / 256 : 0;
	const char *d = (const char *)data;
	hearth_err e = hearth_godebug_feed(&g, d, cut, &eb);
	if (!e)
		e = hearth_godebug_feed(&g, d + cut, size - cut, &eb);
	if (!e)
		e = hearth_godebug_finish(&g, &eb);
	if (e && e != HEARTH_ENOMEM && e != HEARTH_ETOOBIG)
		abort();
	uint64_t kinds = g.ngcs + g.nscheds + g.nscavs + g.p_lines + g.m_lines + g.g_lines +
			 g.other + g.malformed + g.too_long;
	if (!e && kinds != g.lines) {
		fprintf(stderr, "lines %llu, counted %llu\n", (unsigned long long)g.lines,
			(unsigned long long)kinds);
		abort();
	}
	hearth_buf b = {0};
	hearth_godebug_write_text(&g, "fuzz", &b);
	hearth_godebug_write_json(&g, "fuzz", &b);
	const hearth_godebug *lp[1] = {&g};
	const char *names[1] = {"fuzz\"<&>"};
	hearth_godebug_write_svg(lp, names, 1, &b);
	hearth_godebug_write_html(lp, names, 1, &b);
	hearth_buf_free(&b);
	hearth_godebug_free(&g);
	return 0;
}
