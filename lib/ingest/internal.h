/* What the ingest formats share (lib/ingest/common.c); not public. */
#ifndef HEARTH_INGEST_INTERNAL_H
#define HEARTH_INGEST_INTERNAL_H

#include <stdbool.h>

#include "ingest/ingest.h"

/* The limits with the defaults filled in. */
hearth_ingest_limits hearth_ingest_limits_of(const hearth_ingest_limits *lim);

/* A copy of s[0..n) that lives as long as the batch (NUL-terminated). */
char *hearth_ingest_strdup(hearth_ingest_batch *b, const char *s, size_t n);
/* size bytes, zeroed, that live as long as the batch. */
void *hearth_ingest_alloc(hearth_ingest_batch *b, size_t size);
/* A new item at the end of the batch, zeroed; NULL when out of memory. */
hearth_ingest_item *hearth_ingest_add(hearth_ingest_batch *b);

/* Whether s[0..n) is valid UTF-8 without control characters (a tab
 * excepted). */
bool hearth_ingest_utf8_ok(const char *s, size_t n);

/* Checks one series label (name and value) against the rules of store.h and
 * lim; what names the label in the error ("labels", "name's tags", ...). */
hearth_err hearth_ingest_check_label(const char *name, size_t nn, const char *value, size_t vn,
				     const hearth_ingest_limits *lim, const char *what,
				     hearth_errbuf *eb);
hearth_err hearth_ingest_check_service(const char *s, size_t n, const char *what,
				       hearth_errbuf *eb);
hearth_err hearth_ingest_check_type(const char *s, size_t n, const char *what, hearth_errbuf *eb);
/* Sorts the item's labels by name and refuses a name given twice and more
 * labels than the limit. */
hearth_err hearth_ingest_finish_labels(hearth_ingest_item *it, const hearth_ingest_limits *lim,
				       const char *what, hearth_errbuf *eb);

/* Parses a profile (gzip or not, any format hearth_parse reads) under the
 * limits: the decompressed size, the samples and the locations.  what names
 * the part of the request in errors ("body", "profile part", "series 2
 * sample 0"). */
hearth_err hearth_ingest_parse_profile(const void *data, size_t n, const hearth_ingest_limits *lim,
				       const char *what, hearth_profile **out, hearth_errbuf *eb);
/* The same; *size (may be NULL) receives the profile's decompressed size. */
hearth_err hearth_ingest_parse_profile_sized(const void *data, size_t n,
					     const hearth_ingest_limits *lim, const char *what,
					     hearth_profile **out, size_t *size, hearth_errbuf *eb);
/* The counts of an already built profile against the limits. */
hearth_err hearth_ingest_check_profile(const hearth_profile *p, const hearth_ingest_limits *lim,
				       const char *what, hearth_errbuf *eb);

/* Makes eb's message one line of text: the bytes of a hostile name quoted
 * in it (a control character, a newline) become '?'.  Returns err. */
hearth_err hearth_ingest_clean_err(hearth_err err, hearth_errbuf *eb);

/* Unix nanoseconds now (CLOCK_REALTIME). */
int64_t hearth_ingest_now(void);

/* Base64 (standard or URL alphabet, padding optional) of s[0..n) into a new
 * malloc'd buffer; false when it is not base64 or out of memory. */
bool hearth_ingest_base64(const char *s, size_t n, uint8_t **out, size_t *outn);

#endif
