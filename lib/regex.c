/* PCRE2 configured to behave as Go's regexp does on the patterns pprof users
 * write: UTF-8 that tolerates invalid bytes, `$` only at the very end, and
 * leftmost-first alternation (PCRE's own).
 *
 * Go's RE2 matches in linear time; PCRE2 backtracks, so a pattern such as
 * (\S*\S*\S*)*^ costs exponential time per name.  Every match runs under
 * low match, depth and heap limits, and one regexp is matched against at
 * most HEARTH_REGEX_MAX_CALLS names: past either, the regexp fails (every
 * later match is false at once) and hearth_regex_status says why, so a
 * caller turns a pathological pattern into a clear error in milliseconds
 * instead of minutes.  The calling thread's budget (hearth/budget.h) is
 * polled on every match too. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/budget.h"
#include "hearth/regex.h"

/* Backtracking steps per match: a name matched by any sensible pattern
 * takes thousands at most. */
#define MATCH_LIMIT 200000
#define DEPTH_LIMIT 2000
#define HEAP_LIMIT_KIB 8192

struct hearth_regex {
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mc;
	char what[32];
	unsigned long calls;
	hearth_err failed; /* HEARTH_ECOST or HEARTH_EBUDGET once failed */
	int pcre_rc;
	size_t failed_len;
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
	snprintf(re->what, sizeof(re->what), "%s", what);
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
	re->mc = pcre2_match_context_create(NULL);
	if (!re->md || !re->mc) {
		hearth_regex_free(re);
		return HEARTH_ENOMEM;
	}
	pcre2_set_match_limit(re->mc, MATCH_LIMIT);
	pcre2_set_depth_limit(re->mc, DEPTH_LIMIT);
	pcre2_set_heap_limit(re->mc, HEAP_LIMIT_KIB);
	*out = re;
	return HEARTH_OK;
}

bool hearth_regex_match(const hearth_regex *cre, const char *s, size_t n)
{
	/* The object is the caller's own (one per report and thread); its
	 * counters change under the const of the matching interface. */
	hearth_regex *re = (hearth_regex *)cre;
	if (re->failed)
		return false;
	if (++re->calls > HEARTH_REGEX_MAX_CALLS) {
		re->failed = HEARTH_ECOST;
		return false;
	}
	if (hearth_budget_poll()) {
		re->failed = HEARTH_EBUDGET;
		return false;
	}
	int rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, 0, 0, re->md, re->mc);
	if (rc >= 0)
		return true;
	if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
	    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT ||
	    rc == PCRE2_ERROR_NOMEMORY) {
		re->failed = HEARTH_ECOST;
		re->pcre_rc = rc;
		re->failed_len = n;
	}
	return false;
}

hearth_err hearth_regex_status(const hearth_regex *re, hearth_errbuf *eb)
{
	if (!re || !re->failed)
		return HEARTH_OK;
	if (re->failed == HEARTH_EBUDGET)
		return hearth_budget_check(eb) ? HEARTH_EBUDGET
					       : hearth_seterr(eb, HEARTH_EBUDGET, "stopped");
	if (!re->pcre_rc)
		return hearth_seterr(eb, HEARTH_ECOST,
				     "the %s regexp was to be matched against more than %d names",
				     re->what, HEARTH_REGEX_MAX_CALLS);
	PCRE2_UCHAR msg[120];
	pcre2_get_error_message(re->pcre_rc, msg, sizeof(msg));
	return hearth_seterr(eb, HEARTH_ECOST,
			     "the %s regexp is too costly to match (%s, on a name of %zu bytes): "
			     "it backtracks without bound; simplify it (nested repeats such as "
			     "(a*)* are the usual cause)",
			     re->what, (const char *)msg, re->failed_len);
}

void hearth_regex_free(hearth_regex *re)
{
	if (!re)
		return;
	pcre2_match_context_free(re->mc);
	pcre2_match_data_free(re->md);
	pcre2_code_free(re->code);
	free(re);
}
