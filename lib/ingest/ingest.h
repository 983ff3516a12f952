/* The wire formats of `hearth serve`'s ingest: hearth's own push, Pyroscope's
 * HTTP ingest and Grafana Alloy's push.v1 (Connect).  Each call takes a
 * request's query string, content type and body, validates all of it (label
 * names and values, sizes, counts, the profile itself with the CLI's
 * parsers), and gives a batch of profiles ready for hearth_store_put; an
 * error leaves nothing in the batch, so nothing is partly stored.  No I/O:
 * the HTTP layer reads the body and answers.
 *
 * What each protocol's fields become is in docs/ingest.md. */
#ifndef HEARTH_INGEST_H
#define HEARTH_INGEST_H

#include <stddef.h>
#include <stdint.h>

#include "hearth/error.h"
#include "hearth/profile.h"
#include "store/store.h"

/* Caps per request; a field left 0 takes its default (HEARTH_INGEST_DEFAULT_*). */
typedef struct {
	size_t max_body;	 /* bytes of the request body */
	size_t max_decompressed; /* bytes of one profile after gunzip (gzip bombs) */
	size_t max_samples;	 /* samples per profile */
	size_t max_locations;	 /* locations per profile */
	size_t max_labels;	 /* series labels per profile */
	size_t max_label_len;	 /* bytes of a label value */
} hearth_ingest_limits;

#define HEARTH_INGEST_DEFAULT_MAX_BODY ((size_t)16 << 20)
#define HEARTH_INGEST_DEFAULT_MAX_DECOMPRESSED ((size_t)256 << 20)
#define HEARTH_INGEST_DEFAULT_MAX_SAMPLES ((size_t)2000000)
#define HEARTH_INGEST_DEFAULT_MAX_LOCATIONS ((size_t)1000000)
#define HEARTH_INGEST_DEFAULT_MAX_LABELS ((size_t)HEARTH_MAX_LABELS)
#define HEARTH_INGEST_DEFAULT_MAX_LABEL_LEN ((size_t)1024)
/* Label names are at most this long whatever the limits say (store.h). */
#define HEARTH_INGEST_MAX_NAME_LEN 128
/* Services: 1..256 bytes of UTF-8 without control characters. */
#define HEARTH_INGEST_MAX_SERVICE_LEN 256
/* Profiles in one Alloy push request. */
#define HEARTH_INGEST_MAX_ITEMS 1024

/* One profile to store: the fields of hearth_put_meta and the profile.
 * Every pointer points into the batch or to static strings. */
typedef struct {
	const char *service, *type; /* type NULL: hearth_profile_type_guess */
	hearth_kv *labels;
	size_t nlabels;
	hearth_profile *profile; /* owned by the batch */
	/* The time the client named (native time=, Pyroscope's from=), which the
	 * profile is filed under; 0: none (the profile's own, else now). */
	int64_t time_nanos;
	const char *ingest_id; /* NULL or an idempotency key */
} hearth_ingest_item;

typedef struct {
	hearth_ingest_item *v;
	size_t n;
	void *priv;
} hearth_ingest_batch;

/* Frees the profiles and strings of b and zeroes it; a zeroed batch is fine. */
void hearth_ingest_batch_free(hearth_ingest_batch *b);

/* POST /api/v1/push: query (without '?') has service=NAME (required),
 * type=T, labels=k=v,k2=v2, id=KEY and time=T (hearth_time_parse); body is
 * any profile hearth_parse reads, gzip or not.  One item. */
hearth_err hearth_ingest_native(const char *query, size_t qlen, const void *body, size_t n,
				const hearth_ingest_limits *lim, hearth_ingest_batch *out,
				hearth_errbuf *eb);

/* POST /ingest (Pyroscope): name=app.cpu{k=v,...}, from, until, format
 * (pprof, folded, lines), sampleRate, spyName, units, aggregationType; the
 * body is multipart/form-data (profile, prev_profile, sample_type_config)
 * as the Pyroscope SDKs send pprof, or the raw profile.  One item. */
hearth_err hearth_ingest_pyroscope(const char *query, size_t qlen, const char *content_type,
				   const void *body, size_t n, const hearth_ingest_limits *lim,
				   hearth_ingest_batch *out, hearth_errbuf *eb);

/* POST /push.v1.PusherService/Push (Grafana Alloy's pyroscope.write):
 * Connect unary, application/proto or application/json.  One item per raw
 * sample of every series. */
hearth_err hearth_ingest_alloy(const char *content_type, const void *body, size_t n,
			       const hearth_ingest_limits *lim, hearth_ingest_batch *out,
			       hearth_errbuf *eb);

/* A time as the API and the CLI take it: Unix seconds (larger integers are
 * read as milliseconds, microseconds or nanoseconds by their size, as
 * Pyroscope does), RFC 3339 ("2026-12-03T09:30:00Z", "...+01:00", with or
 * without fractions), "now", or relative to now_nanos: "-1h", "-30m",
 * "-7d", "-1w", "-90s", "-1h30m", "now-1h". */
hearth_err hearth_time_parse(const char *s, int64_t now_nanos, int64_t *out_nanos,
			     hearth_errbuf *eb);

#endif
