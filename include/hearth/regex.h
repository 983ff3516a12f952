/* Regular expressions in the syntax of pprof's options (Go's RE2), with
 * PCRE2 and its JIT underneath. */
#ifndef HEARTH_REGEX_H
#define HEARTH_REGEX_H

#include <stdbool.h>
#include <stddef.h>

#include "hearth/error.h"

typedef struct hearth_regex hearth_regex;

/* what names the option in the error message ("focus", "tagfocus" ...). */
hearth_err hearth_regex_compile(const char *what, const char *pattern, hearth_regex **out,
				hearth_errbuf *eb);
/* One regexp is matched against at most this many names (see regex.c). */
#define HEARTH_REGEX_MAX_CALLS 4000000

/* Unanchored search, as Go's MatchString.  False too once the regexp has
 * failed: too costly on some name, or the thread's budget spent. */
bool hearth_regex_match(const hearth_regex *re, const char *s, size_t n);
/* Why re failed (HEARTH_ECOST, HEARTH_EBUDGET, with a message), or
 * HEARTH_OK.  NULL is fine. */
hearth_err hearth_regex_status(const hearth_regex *re, hearth_errbuf *eb);
void hearth_regex_free(hearth_regex *re);

#endif
