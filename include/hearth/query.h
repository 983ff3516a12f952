/* Query strings of the web API ("focus=main%5C.&lines=1&q=alloc"): parsed
 * into decoded name/value pairs, and the report options among them applied
 * to a hearth_opts through hearth_opts_set, so the CLI and the API spell and
 * check options in one place.  Only report options are taken: the options
 * that read files or change what is served (base, diff_base, source_path,
 * output ...) are refused. */
#ifndef HEARTH_QUERY_H
#define HEARTH_QUERY_H

#include <stddef.h>

#include "hearth/buf.h"
#include "hearth/options.h"

/* A query has at most this many parameters (more: HEARTH_ETOOBIG). */
#define HEARTH_QUERY_MAX_PARAMS 64

typedef struct {
	const char *name;
	const char *value; /* NULL for a parameter without '=' */
} hearth_qparam;

typedef struct {
	hearth_qparam *p;
	size_t n;
	char *mem; /* the decoded bytes the pairs point into */
} hearth_query;

/* Parses qs[0..len) (without the '?'): '&'-separated name[=value], '+' and
 * %XX decoded.  A bad escape, a NUL byte or an empty name is HEARTH_EINVAL,
 * too many parameters HEARTH_ETOOBIG, each with a message. */
hearth_err hearth_query_parse(const char *qs, size_t len, hearth_query *q, hearth_errbuf *eb);
void hearth_query_free(hearth_query *q);

/* The value of the last parameter called name: NULL when there is none,
 * "" for one without a value. */
const char *hearth_query_get(const hearth_query *q, const char *name, bool *present);

/* Applies the report options of q over o (which holds the defaults).  Names
 * in `own` (the endpoint's own parameters, NULL-terminated) and the UI's
 * view parameters (view, zoom, icicle, sort, dir, filter) are skipped; every
 * other name must be a report option, else HEARTH_EINVAL with a message.  A
 * flag given as name, name=, name=1 or name=true is set; name=0 or false
 * leaves it as it was.  o keeps pointers into q. */
hearth_err hearth_query_opts(const hearth_query *q, const char *const *own, hearth_opts *o,
			     hearth_errbuf *eb);

/* A canonical form of q for a cache key: the parameters that matter (report
 * options and the names in own), sorted by name, equal names kept in their
 * order, appended to out unambiguously. */
void hearth_query_key(const hearth_query *q, const char *const *own, hearth_buf *out);

#endif
