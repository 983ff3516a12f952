/* The /api/ endpoints of `hearth web` (the contract is docs/web.md).
 *
 * Nothing here knows HTTP: a handler takes the loaded profile and a query
 * string and fills a response (status, content type, body).  server/http.c
 * mounts them on libmicrohttpd; a server that serves many profiles could
 * mount the same handlers, one hearth_api per profile. */
#ifndef HEARTH_SERVER_API_H
#define HEARTH_SERVER_API_H

#include <stddef.h>

#include "hearth/buf.h"
#include "hearth/options.h"
#include "hearth/profile.h"

typedef struct hearth_api hearth_api;

typedef struct {
	int status;	  /* HTTP status */
	const char *type; /* Content-Type (a static string) */
	hearth_buf body;
	char filename[320]; /* when set: Content-Disposition: attachment */
	/* Served instead of body when set, never freed (embedded files). */
	const void *static_body;
	size_t static_len;
	/* Extra headers, when set: Set-Cookie, Allow (405), Retry-After (429),
	 * WWW-Authenticate (401). */
	char set_cookie[256];
	const char *allow, *www_authenticate;
	int retry_after; /* seconds; 0: none */
} hearth_api_resp;

typedef struct {
	/* Options given on the command line: every request's defaults.  The
	 * strings must outlive the api. */
	hearth_opts defaults;
	/* The sources as given (only their base names are ever shown). */
	const char *const *sources;
	int nsources;
	/* At most this many reports computed at once (0: 2); a call graph
	 * counts for all of them. */
	int max_jobs;
	/* Bytes of responses kept for identical queries (0: 64 MB). */
	size_t cache_bytes;
} hearth_api_config;

/* Takes ownership of p, the profile loaded as the command line says, and of
 * pflame (may be NULL: p), the same sources with -base loaded as
 * -diff_base, for the flame graph, folded and speedscope (as `hearth flame`
 * loads them).  Returns NULL when out of memory (p and pflame are freed). */
hearth_api *hearth_api_new(hearth_profile *p, hearth_profile *pflame, const hearth_api_config *cfg);
void hearth_api_free(hearth_api *a);

/* Answers GET /api/<endpoint>?<query>.  query (not NUL-terminated, without
 * the '?') is still percent-encoded.  Thread-safe. */
void hearth_api_handle(hearth_api *a, const char *endpoint, const char *query, size_t qlen,
		       hearth_api_resp *resp);
/* An error response: {"error": msg}. */
void hearth_api_error(hearth_api_resp *resp, int status, const char *msg);
void hearth_api_resp_free(hearth_api_resp *resp);

#endif
