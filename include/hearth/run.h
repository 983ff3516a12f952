/* pprof's commands by name on a loaded profile (lib/report/run.c): the
 * interactive shell's and the pprof-form command line's one entry point. */
#ifndef HEARTH_RUN_H
#define HEARTH_RUN_H

#include "hearth/buf.h"
#include "hearth/options.h"
#include "hearth/profile.h"

typedef enum {
	HEARTH_RUN_TEXT, /* text for the terminal (top, list, dot ...) */
	HEARTH_RUN_FILE, /* a file format pprof keeps away from a terminal (svg, proto ...) */
	HEARTH_RUN_VIEW, /* a file handed to a viewer (web, weblist, evince ...) */
} hearth_run_kind;

/* Whether name is one of pprof's report commands hearth runs, what its
 * output is, and whether it takes a regexp (list, peek, disasm, weblist). */
bool hearth_run_known(const char *name, hearth_run_kind *kind, bool *regexp);
/* The file name suffix pprof gives the command's output ("svg", "pb.gz",
 * "callgraph.out", "html" ...). */
const char *hearth_run_suffix(const char *name);

/* hearth_report_needs_labels for the command name (true for a name it
 * does not know). */
bool hearth_run_needs_labels(const char *name, const hearth_opts *o);

/* Runs the command: takes ownership of p, appends the output to out (the
 * bytes of the file for svg, pdf, png, proto, topproto) and the filters'
 * warnings, one per line, to warnings (may be NULL).  o->symbol carries
 * the regexp of list, peek, disasm and weblist. */
hearth_err hearth_run(hearth_profile *p, const hearth_opts *o, const char *name, hearth_buf *out,
		      hearth_buf *warnings, hearth_errbuf *eb);

/* The shell's greeting: the profile's labels (File:, Type:, Time:,
 * Duration:), one per line, and whether the selected value has no samples
 * while the profile has other values.  Takes ownership of p. */
hearth_err hearth_run_greeting(hearth_profile *p, const hearth_opts *o, hearth_buf *out,
			       bool *no_samples, hearth_errbuf *eb);

#endif
