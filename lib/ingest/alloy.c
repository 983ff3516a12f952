/* Grafana Alloy's pyroscope.write (push.v1.PusherService/Push). */
#include <string.h>

#include "ingest/internal.h"

hearth_err hearth_ingest_alloy(const char *content_type, const void *body, size_t n,
			       const hearth_ingest_limits *lim, hearth_ingest_batch *out,
			       hearth_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	return hearth_seterr(eb, HEARTH_EFORMAT, "Alloy push: not implemented yet");
}
