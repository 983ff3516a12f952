/* The URL hearth fetches for a source, and the time it allows, against what
 * `go tool pprof` (Go 1.19's cmd/pprof, its adjustURL and getProfile) does
 * with the same source, -seconds and -timeout.  Every expectation below is
 * the URL and timeout that go tool pprof produced for that input; where
 * hearth deliberately differs the case says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hearth/fetch.h"

typedef struct {
	const char *source;
	int seconds, timeout; /* -seconds, -timeout (0: not given) */
	const char *url;      /* NULL: not a URL (read as a file) */
	double timeout_s;     /* the time allowed for the transfer */
	bool insecure;	      /* TLS without certificate checks */
} url_case;

/* Says what differs; 1 when something does. */
static int check(const url_case *c)
{
	double t = -1;
	bool insecure = true;
	char *u = hearth_url_adjust(c->source, c->seconds, c->timeout, &t, &insecure);
	if (!c->url) {
		if (u || hearth_is_url(c->source)) {
			print_error("%s: taken as the URL %s, go tool pprof reads it as a file\n",
				    c->source, u ? u : "(none)");
			free(u);
			return 1;
		}
		return 0;
	}
	if (!u || !hearth_is_url(c->source)) {
		print_error("%s: not taken as a URL, go tool pprof fetches %s\n", c->source,
			    c->url);
		free(u);
		return 1;
	}
	int bad = strcmp(u, c->url) || t != c->timeout_s || insecure != c->insecure;
	if (bad)
		print_error("%s -seconds=%d -timeout=%d: got %s (%g s%s), want %s (%g s%s)\n",
			    c->source, c->seconds, c->timeout, u, t, insecure ? ", insecure" : "",
			    c->url, c->timeout_s, c->insecure ? ", insecure" : "");
	free(u);
	return bad;
}

/* Every case is checked, and each difference said, before failing. */
static void run(const url_case *cases, size_t n)
{
	int bad = 0;
	for (size_t i = 0; i < n; i++)
		bad += check(&cases[i]);
	assert_int_equal(bad, 0);
}

/* host:port alone is the CPU profile; so is an empty path or "/". */
static void test_shorthand(void **state)
{
	(void)state;
	static const url_case cases[] = {
	    {"localhost:6060", 0, 0, "http://localhost:6060/debug/pprof/profile", 60, false},
	    {"127.0.0.1:6060", 0, 0, "http://127.0.0.1:6060/debug/pprof/profile", 60, false},
	    {"127.0.0.1:6060/", 0, 0, "http://127.0.0.1:6060/debug/pprof/profile", 60, false},
	    {"[::1]:6060", 0, 0, "http://[::1]:6060/debug/pprof/profile", 60, false},
	    {"localhost:6060/debug/pprof/heap", 0, 0, "http://localhost:6060/debug/pprof/heap", 60,
	     false},
	    {"http://localhost:6060", 0, 0, "http://localhost:6060/debug/pprof/profile", 60, false},
	    {"http://localhost:6060/", 0, 0, "http://localhost:6060/debug/pprof/profile", 60,
	     false},
	    {"https://example.com:443/debug/pprof/heap", 0, 0,
	     "https://example.com:443/debug/pprof/heap", 60, false},
	};
	run(cases, sizeof(cases) / sizeof(*cases));
}

/* -seconds sets seconds= (added, or replacing every seconds= of the URL);
 * the duration, from -seconds or else the URL, makes the default timeout
 * 1.5 times as long; -timeout wins over both; else 60 s.  go tool pprof
 * writes the query back with its keys sorted. */
static void test_seconds_timeout(void **state)
{
	(void)state;
	static const url_case cases[] = {
	    {"localhost:6060", 30, 0, "http://localhost:6060/debug/pprof/profile?seconds=30", 45,
	     false},
	    {"localhost:6060", 30, 10, "http://localhost:6060/debug/pprof/profile?seconds=30", 10,
	     false},
	    {"http://h:1/debug/pprof/profile?seconds=5", 0, 0,
	     "http://h:1/debug/pprof/profile?seconds=5", 7.5, false},
	    {"http://h:1/debug/pprof/profile?seconds=5", 7, 0,
	     "http://h:1/debug/pprof/profile?seconds=7", 10.5, false},
	    {"http://h:1/x?seconds=9&debug=1", 4, 0, "http://h:1/x?debug=1&seconds=4", 6, false},
	    {"http://h:1/x?debug=1", 3, 0, "http://h:1/x?debug=1&seconds=3", 4.5, false},
	    {"http://h:1/x?gc=1&debug=1", 0, 0, "http://h:1/x?debug=1&gc=1", 60, false},
	    {"http://h:1/debug/pprof/trace?seconds=1", 0, 3,
	     "http://h:1/debug/pprof/trace?seconds=1", 3, false},
	    /* A seconds= that is no whole number, or not above 0, sets no
	     * duration; the first of several is the one read. */
	    {"http://h:1/x?seconds=3x", 0, 0, "http://h:1/x?seconds=3x", 60, false},
	    {"http://h:1/x?seconds=-5", 0, 0, "http://h:1/x?seconds=-5", 60, false},
	    {"http://h:1/x?seconds=0", 0, 0, "http://h:1/x?seconds=0", 60, false},
	    {"http://h:1/x?seconds=4&seconds=8", 0, 0, "http://h:1/x?seconds=4&seconds=8", 6,
	     false},
	    {"http://h:1/x?seconds=4&seconds=8", 2, 0, "http://h:1/x?seconds=2", 3, false},
	};
	run(cases, sizeof(cases) / sizeof(*cases));
}

/* https+insecure:// is https without certificate checks: go tool pprof keeps
 * the scheme in its URL and its getProfile turns it into https with
 * InsecureSkipVerify; hearth hands libcurl the https URL and the flag. */
static void test_https_insecure(void **state)
{
	(void)state;
	static const url_case cases[] = {
	    {"https+insecure://example.com:8443/debug/pprof/heap", 0, 0,
	     "https://example.com:8443/debug/pprof/heap", 60, true},
	    {"https+insecure://example.com:8443", 2, 0,
	     "https://example.com:8443/debug/pprof/profile?seconds=2", 3, true},
	};
	run(cases, sizeof(cases) / sizeof(*cases));
}

/* What go tool pprof reads as a file, hearth does too. */
static void test_not_urls(void **state)
{
	(void)state;
	static const url_case cases[] = {
	    {"profile.pb.gz", 0, 0, NULL, 0, false},   {"foo:bar", 0, 0, NULL, 0, false},
	    {"localhost:6060x", 0, 0, NULL, 0, false}, {"/tmp/a:1", 0, 0, NULL, 0, false},
	    {"file:///tmp/x", 0, 0, NULL, 0, false},   {"", 0, 0, NULL, 0, false},
	    {"localhost", 0, 0, NULL, 0, false},
	};
	run(cases, sizeof(cases) / sizeof(*cases));
}

/* Where hearth refuses what go tool pprof passes on to a request that can
 * only fail: a URL without a host or with a broken IPv6 address (pprof
 * prefixes another "http://", "http://http://[::1", and asks a host named
 * "http"), and schemes other than http and https (pprof's client then says
 * "unsupported protocol scheme"). */
static void test_bad_urls(void **state)
{
	(void)state;
	const char *bad[] = {"http://",
			     "https://",
			     "http://[::1",
			     "http://[::1]x:80/",
			     "http:///debug/pprof/heap",
			     "https+insecure://",
			     "http://h:8x/"};
	int nbad = 0;
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		double t;
		bool insecure;
		char *u = hearth_url_adjust(bad[i], 0, 0, &t, &insecure);
		if (u) {
			print_error("%s: taken as the URL %s\n", bad[i], u);
			nbad++;
		}
		free(u);
	}
	assert_int_equal(nbad, 0);
	assert_false(hearth_is_url("ftp://h:1/x"));
}

/* A long query is kept whole, and a huge -seconds does not overflow. */
static void test_long(void **state)
{
	(void)state;
	char src[5000];
	int n = snprintf(src, sizeof(src), "http://h:1/x?");
	for (int i = 0; i < 400; i++)
		n += snprintf(src + n, sizeof(src) - (size_t)n, "k%03d=v&", i);
	src[n - 1] = 0;
	double t;
	bool insecure;
	char *u = hearth_url_adjust(src, 2147483647, 0, &t, &insecure);
	assert_non_null(u);
	assert_non_null(strstr(u, "&seconds=2147483647"));
	assert_non_null(strstr(u, "k000=v&k001=v"));
	assert_int_equal(strlen(u), strlen(src) + strlen("&seconds=2147483647"));
	free(u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shorthand),	   cmocka_unit_test(test_seconds_timeout),
	    cmocka_unit_test(test_https_insecure), cmocka_unit_test(test_not_urls),
	    cmocka_unit_test(test_bad_urls),	   cmocka_unit_test(test_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
