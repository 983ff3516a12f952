/* Fetching profiles over HTTP(S) from a Go program's net/http/pprof
 * endpoints, as `go tool pprof` does (its internal/driver/fetch.go), and
 * remote symbolization through /debug/pprof/symbol (its symbolz). */
#ifndef HEARTH_FETCH_H
#define HEARTH_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearth/error.h"
#include "hearth/io.h"
#include "hearth/options.h"
#include "hearth/profile.h"

/* True when source names a URL rather than a file: http://, https://,
 * https+insecure://, or host:port[/path] shorthand that is not an existing
 * file. */
bool hearth_is_url(const char *source);

/* The URL fetched for source (pprof's adjustURL): "http://" is added to the
 * host:port shorthand, an empty path becomes /debug/pprof/profile, seconds > 0
 * sets the seconds= query parameter.  *timeout_s gets the time allowed: the
 * timeout given when > 0, else 1.5x the duration when there is one, else 60 s.
 * *insecure is set for https+insecure://.  Returns a malloc'd string, NULL on
 * OOM or a source that is no URL. */
char *hearth_url_adjust(const char *source, int seconds, int timeout, double *timeout_s,
			bool *insecure);

/* One HTTP request: GET, or POST of post[0..npost) when post != NULL.  The
 * body (at most max_size bytes; 0 means HEARTH_DEFAULT_MAX_SIZE) is returned
 * in *body (malloc'd, NUL-terminated) and *n.  A status other than 2xx, a
 * connection error, a timeout or an oversized body is an error whose message
 * names the cause (the URL is for the caller to add).  cancel, when not
 * NULL, aborts the transfer once it becomes true. */
typedef struct {
	double timeout_s; /* total time allowed; <= 0: 60 s */
	size_t max_size;
	bool insecure;
	/* The Authorization header's value ("Bearer TOKEN"), or NULL. */
	const char *authorization;
	const volatile bool *cancel;
	/* Progress, for a caller showing it: bytes received so far. */
	volatile size_t received;
	/* The Content-Type header of a POST, or NULL. */
	const char *content_type;
} hearth_http_opts;

hearth_err hearth_http_get(const char *url, hearth_http_opts *ho, const char *post, size_t npost,
			   uint8_t **body, size_t *n, hearth_errbuf *eb);

/* Several GETs at once, driven by one thread (libcurl's multi interface).
 * Each request names its url and options; as it finishes, its body (malloc'd,
 * NUL-terminated: the caller frees it) or its error lands in it, done is
 * true, and done(ctx, req) is called when not NULL.  tick(ctx, finished,
 * total), when not NULL, is called about every 200 ms while transfers are
 * under way.  Returns an error only when the HTTP client itself fails; each
 * request's own failure is in its err and eb. */
typedef struct {
	const char *url;
	hearth_http_opts ho;
	/* Results. */
	uint8_t *body;
	size_t n;
	hearth_err err;
	hearth_errbuf eb;
	bool done;
	long status;	    /* the HTTP status, 0 when there was no answer */
	double seconds;	    /* how long the transfer took */
	void *user;	    /* the caller's, untouched */
} hearth_http_req;

typedef void (*hearth_http_done_fn)(void *ctx, hearth_http_req *req);
typedef void (*hearth_http_tick_fn)(void *ctx, size_t finished, size_t total);

hearth_err hearth_http_get_many(hearth_http_req *reqs, size_t nreqs, hearth_http_done_fn done,
				hearth_http_tick_fn tick, void *ctx, hearth_errbuf *eb);

/* Transfers that a caller adds one by one and drives from its own loop
 * (hearth scrape): one thread, any number of transfers, each with its own
 * timeout and body cap.  The request (and a POST's bytes) must stay valid
 * until its done callback has run. */
typedef struct hearth_http_multi hearth_http_multi;
hearth_err hearth_http_multi_new(hearth_http_multi **out, hearth_errbuf *eb);
/* Starts r: a GET, or a POST of post[0..npost) when post != NULL.  On
 * failure to start, r is finished at once with its error (done is called
 * by the next step). */
void hearth_http_multi_add(hearth_http_multi *m, hearth_http_req *r, const char *post,
			   size_t npost);
/* Moves every transfer on, waits for activity at most wait_ms, and calls
 * done(ctx, r) for each transfer that finished. */
hearth_err hearth_http_multi_step(hearth_http_multi *m, int wait_ms, hearth_http_done_fn done,
				  void *ctx, hearth_errbuf *eb);
/* Transfers not yet finished. */
size_t hearth_http_multi_pending(const hearth_http_multi *m);
/* Aborts what is left (without calling done) and frees m. */
void hearth_http_multi_free(hearth_http_multi *m);

/* True when source is a hearth server selector rather than a
 * net/http/pprof URL: http[s]://HOST[:PORT][/PREFIX]/{SELECTOR}, a path
 * whose last part starts with '{'.  hearth_fetch_profile then asks that
 * server for the merge of the selector over o->from..o->until (default
 * -1h..now) of profile type o->type (default: the server's), with o->token
 * as the bearer token. */
bool hearth_is_server_source(const char *source);

/* Fetches source (a URL, see hearth_is_url), parses it as hearth_parse does
 * and, per o->symbolize, symbolizes it remotely.  The message of an error
 * names the cause; the caller adds the source. */
hearth_err hearth_fetch_profile(const char *source, const hearth_opts *o,
				const hearth_read_opts *ro, hearth_profile **out,
				hearth_errbuf *eb);

/* pprof's symbolz: the addresses of p's locations that have none of their
 * own lines, in mappings without functions (with them too when force), are
 * posted to the symbol endpoint next to url (/debug/pprof/symbol) and the
 * names it answers become the locations' functions.  *nsym gets the count of
 * locations symbolized. */
hearth_err hearth_symbolize_remote(hearth_profile *p, const char *url, bool force,
				   const hearth_http_opts *ho, size_t *nsym, hearth_errbuf *eb);

/* Process-wide libcurl initialization; idempotent and thread-safe. */
void hearth_http_init(void);

#endif
