/* The HTTP transport of `hearth web` and `hearth serve`: libmicrohttpd
 * reading requests (target, selected headers, a capped body) into a
 * hearth_req and handing it to a handler that fills a hearth_api_resp.
 * Nothing above this file knows sockets. */
#ifndef HEARTH_SERVER_HTTP_H
#define HEARTH_SERVER_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"
#include "hearth/error.h"

/* The longest request target (path and query) served; longer is 414. */
#define HEARTH_HTTP_MAX_URI 8192

typedef struct hearth_http hearth_http;

/* One request as a handler sees it.  Header values are NULL when absent. */
typedef struct {
	const char *method; /* "GET", "HEAD", "POST", "DELETE", ... */
	const char *path;   /* percent-decoded, starts with '/' */
	const char *query;  /* raw (still percent-encoded), without the '?' */
	size_t qlen;
	const char *authorization, *cookie, *content_type, *content_encoding, *csrf, *origin,
	    *sec_fetch_site, *host;
	char client[64];  /* the peer's address ("127.0.0.1", "::1"), "" when unknown */
	const void *body; /* the whole body (at most the configured cap) */
	size_t body_len;
} hearth_req;

typedef void (*hearth_http_handler)(void *ctx, const hearth_req *req, hearth_api_resp *resp);

typedef struct {
	hearth_http_handler handler;
	void *ctx;
	/* The option that names the address, for messages ("-http"). */
	const char *flag;
	/* Bodies larger than this are refused with 413 while they are read;
	 * 0: only GET and HEAD are served (405 otherwise). */
	size_t max_body;
	/* hearth web's rule: bound to a loopback address, connections from
	 * other addresses are refused and requests whose Host header is not a
	 * loopback name get 403 (DNS rebinding). */
	bool loopback_guard;
	/* 0: the defaults (256 connections, no per-address cap, 60 s without
	 * traffic). */
	unsigned max_connections, per_ip_connections, timeout_s;
	/* Seconds to read a whole request from its first byte (0: 20), and
	 * of work to answer it (0: 60; the handler runs under a budget,
	 * hearth/budget.h, that also notices a client that went away). */
	unsigned read_deadline_s, budget_s;
	/* /api/ refuses requests from pages of other sites (Origin,
	 * Sec-Fetch-Site) with 403. */
	bool same_site_api;
} hearth_http_config;

/* Listens on hostport ("host:port", "[v6]:port"; an empty host is
 * localhost, port 0 a free port) and serves from threads of its own (one
 * per connection).  url receives "http://HOST:PORT/"; *loopback says
 * whether the address is a loopback one. */
hearth_err hearth_http_start(const char *hostport, const hearth_http_config *cfg, hearth_http **out,
			     char *url, size_t urln, bool *loopback, hearth_errbuf *eb);
/* Stops accepting connections, then waits at most wait_ms for the
 * requests being answered to finish (a graceful stop); false when some
 * are still running. */
bool hearth_http_quiesce(hearth_http *h, int wait_ms);
/* Stops listening, waits for the requests being answered, frees h. */
void hearth_http_stop(hearth_http *h);

#endif
