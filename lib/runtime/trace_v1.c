/* Execution traces of Go 1.19 (internal/trace's format before Go 1.22). */
#include "trace_int.h"

/* A stub: Go 1.19 traces are recognized and refused until this reads them. */
hearth_err hearth_trace_read_v1(FILE *f, int version, uint64_t size, const hearth_trace_opts *o,
				ht_an *a, hearth_trace *t, hearth_errbuf *eb)
{
	(void)f;
	(void)size;
	(void)o;
	(void)a;
	(void)t;
	return hearth_seterr(eb, HEARTH_EFORMAT,
			     "an execution trace of Go 1.%d: its format (before Go 1.22) is not "
			     "read yet; hearth reads Go 1.22 and later",
			     version);
}
