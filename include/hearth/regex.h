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
/* Unanchored search, as Go's MatchString. */
bool hearth_regex_match(const hearth_regex *re, const char *s, size_t n);
void hearth_regex_free(hearth_regex *re);

#endif
