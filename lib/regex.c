/* PCRE2 configured to behave as Go's regexp does on the patterns pprof users
 * write: UTF-8 that tolerates invalid bytes, `$` only at the very end, and
 * leftmost-first alternation (PCRE's own). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>

#include "hearth/regex.h"

struct hearth_regex {
	pcre2_code *code;
	pcre2_match_data *md;
};

hearth_err hearth_regex_compile(const char *what, const char *pattern, hearth_regex **out,
				hearth_errbuf *eb)
{
	int errcode;
	PCRE2_SIZE erroff;
	*out = NULL;
	hearth_regex *re = calloc(1, sizeof(*re));
	if (!re)
		return HEARTH_ENOMEM;
	re->code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED,
				 PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | PCRE2_DOLLAR_ENDONLY,
				 &errcode, &erroff, NULL);
	if (!re->code) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(errcode, msg, sizeof(msg));
		free(re);
		return hearth_seterr(eb, HEARTH_EINVAL, "parsing %s regexp %s: %s at offset %zu",
				     what, pattern, (const char *)msg, (size_t)erroff);
	}
	/* The JIT is an optimisation only; a pattern it refuses still works. */
	(void)pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE);
	re->md = pcre2_match_data_create(1, NULL);
	if (!re->md) {
		hearth_regex_free(re);
		return HEARTH_ENOMEM;
	}
	*out = re;
	return HEARTH_OK;
}

bool hearth_regex_match(const hearth_regex *re, const char *s, size_t n)
{
	return pcre2_match(re->code, (PCRE2_SPTR)s, n, 0, 0, re->md, NULL) >= 0;
}

void hearth_regex_free(hearth_regex *re)
{
	if (!re)
		return;
	pcre2_match_data_free(re->md);
	pcre2_code_free(re->code);
	free(re);
}
