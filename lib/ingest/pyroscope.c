/* Pyroscope's HTTP ingest (POST /ingest). */
#include <string.h>

#include "ingest/internal.h"

hearth_err hearth_ingest_pyroscope(const char *query, size_t qlen, const char *content_type,
				   const void *body, size_t n, const hearth_ingest_limits *lim,
				   hearth_ingest_batch *out, hearth_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	return hearth_seterr(eb, HEARTH_EFORMAT, "Pyroscope ingest: not implemented yet");
}
