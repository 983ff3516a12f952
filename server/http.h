/* The HTTP side of `hearth web`: libmicrohttpd serving the embedded UI
 * (server/assets.h) and the /api/ endpoints (server/api.h). */
#ifndef HEARTH_SERVER_HTTP_H
#define HEARTH_SERVER_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "api.h"
#include "hearth/error.h"

/* The longest request target (path and query) served; longer is 414. */
#define HEARTH_HTTP_MAX_URI 8192

typedef struct hearth_http hearth_http;

/* Listens on hostport ("host:port", "[v6]:port"; an empty host is
 * localhost, port 0 a free port) and serves api from threads of its own.
 * url receives "http://HOST:PORT/".  On a loopback address, connections
 * from other addresses are refused and requests whose Host header is not a
 * loopback name get 403 (DNS rebinding); *loopback says which it is. */
hearth_err hearth_http_start(const char *hostport, hearth_api *api, hearth_http **out, char *url,
			     size_t urln, bool *loopback, hearth_errbuf *eb);
/* Stops listening, waits for the requests being answered, frees h. */
void hearth_http_stop(hearth_http *h);

#endif
