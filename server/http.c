/* libmicrohttpd glue for `hearth web` and `hearth serve`.
 *
 * One thread per connection (at most MAX_CONNECTIONS of them), each request
 * answered in that thread; the reports themselves are bounded by the api
 * (two at a time).  Only GET and HEAD; the request target is read raw (the
 * URI log callback) and parsed here and in lib/query.c, so the api sees the
 * query string as the client sent it.  Static files are only ever the
 * embedded ones, looked up by exact name: no path reaches the filesystem. */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hearth/budget.h"
#include "http.h"

/* Threads are cheap while they wait: room for a browser's connections
 * while dozens of slow clients hold theirs (each of which the read deadline
 * below ends). */
#define MAX_CONNECTIONS 256
/* A request is read, headers and body, within this many seconds of its
 * first byte (libmicrohttpd's timeout counts from the last byte, so bytes
 * trickled one a second would hold a connection forever). */
#define READ_DEADLINE 20
/* Seconds of work for one request; past them it stops with 503. */
#define REQUEST_BUDGET 60
/* The headers every answer carries: the page loads its own script and
 * style only, and nothing may frame it. */
#define CSP                                                                                        \
	"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "    \
	"connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; "               \
	"frame-ancestors 'none'"
#define CONNECTION_TIMEOUT 60 /* seconds without traffic */
/* A connection's memory pool: its buffers and the parsed query; a request
 * target of HEARTH_HTTP_MAX_URI bytes holds up to 4096 parameters of 56
 * bytes each in libmicrohttpd, which drops the connection (instead of our
 * 413) when they do not fit. */
#define MEMORY_LIMIT ((size_t)384 * 1024)

/* A connection, for the read deadline: from the first byte of a request
 * until it is read to its end, `reading` is set. */
typedef struct conn {
	struct conn *prev, *next;
	int fd;
	bool reading;
	int64_t since;
} conn;

struct hearth_http {
	struct MHD_Daemon *d;
	hearth_http_config cfg;
	bool loopback;
	int fd;
	bool quiesced;
	/* Requests between their first byte and their answer's last. */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int inflight;
	/* The connections open (under mu), and the thread that ends those
	 * past their read deadline. */
	conn *conns;
	pthread_t watchdog;
	bool watching, stopping;
};

/* Per request: the raw target, kept by the URI log callback, and the body
 * read so far. */
typedef struct {
	hearth_http *h;
	char *uri;
	const char *raw_uri; /* where libmicrohttpd keeps it, to find NULs */
	size_t len;
	bool called; /* the handler has seen the headers */
	char *body;
	size_t blen, bcap;
	bool answered;	 /* a response is queued */
	bool discarding; /* over the cap: the rest of the body is dropped */
} request;

static bool is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)sa;
		return (ntohl(s->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)sa;
		const uint8_t *b = s->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_LOOPBACK(&s->sin6_addr))
			return true;
		return IN6_IS_ADDR_V4MAPPED(&s->sin6_addr) && b[12] == 127;
	}
	return false;
}

static enum MHD_Result accept_policy(void *cls, const struct sockaddr *addr, socklen_t len)
{
	hearth_http *h = cls;
	if (!h->loopback || !h->cfg.loopback_guard)
		return MHD_YES;
	return addr && len >= sizeof(sa_family_t) && is_loopback(addr) ? MHD_YES : MHD_NO;
}

static void *log_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	hearth_http *h = cls;
	request *r = calloc(1, sizeof(*r));
	if (r && uri) {
		r->raw_uri = uri;
		r->len = strlen(uri);
		/* Past the limit only the length matters. */
		r->uri = strndup(uri, r->len > HEARTH_HTTP_MAX_URI ? 0 : r->len);
	}
	if (r) {
		r->h = h;
		pthread_mutex_lock(&h->mu);
		h->inflight++;
		pthread_mutex_unlock(&h->mu);
	}
	return r;
}

static conn *conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci ? ci->socket_context : NULL;
}

/* Marks c's reading as begun again (now) or finished. */
static void set_reading(hearth_http *h, struct MHD_Connection *c, bool reading)
{
	conn *k = conn_of(c);
	if (!k)
		return;
	pthread_mutex_lock(&h->mu);
	k->reading = reading;
	k->since = hearth_budget_now();
	pthread_mutex_unlock(&h->mu);
}

static void notify_conn(void *cls, struct MHD_Connection *c, void **socket_context,
			enum MHD_ConnectionNotificationCode toe)
{
	hearth_http *h = cls;
	if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
		conn *k = calloc(1, sizeof(*k));
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
		if (!k || !ci) {
			free(k);
			*socket_context = NULL;
			return;
		}
		k->fd = ci->connect_fd;
		k->reading = true;
		k->since = hearth_budget_now();
		pthread_mutex_lock(&h->mu);
		k->next = h->conns;
		if (h->conns)
			h->conns->prev = k;
		h->conns = k;
		pthread_mutex_unlock(&h->mu);
		*socket_context = k;
		return;
	}
	conn *k = *socket_context;
	if (!k)
		return;
	pthread_mutex_lock(&h->mu);
	if (k->prev)
		k->prev->next = k->next;
	else
		h->conns = k->next;
	if (k->next)
		k->next->prev = k->prev;
	pthread_mutex_unlock(&h->mu);
	free(k);
	*socket_context = NULL;
}

/* Ends the connections whose request is still being read past the
 * deadline: shutting the socket down makes its thread's read return, and
 * libmicrohttpd closes it. */
static void *watchdog(void *arg)
{
	hearth_http *h = arg;
	int64_t limit =
	    (int64_t)(h->cfg.read_deadline_s ? h->cfg.read_deadline_s : READ_DEADLINE) * 1000000000;
	pthread_mutex_lock(&h->mu);
	while (!h->stopping) {
		int64_t now = hearth_budget_now();
		for (conn *k = h->conns; k; k = k->next)
			if (k->reading && now - k->since > limit) {
				shutdown(k->fd, SHUT_RDWR);
				k->reading = false;
			}
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 250000000;
		if (ts.tv_nsec >= 1000000000)
			ts.tv_sec++, ts.tv_nsec -= 1000000000;
		pthread_cond_timedwait(&h->cv, &h->mu, &ts);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	hearth_http *h = cls;
	request *r = *con_cls;
	/* The next request on a kept-alive connection has as long. */
	set_reading(h, c, true);
	if (r) {
		free(r->uri);
		free(r->body);
		free(r);
		pthread_mutex_lock(&h->mu);
		h->inflight--;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
	}
	*con_cls = NULL;
}

static void common_headers(struct MHD_Response *resp, const char *type)
{
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "X-Frame-Options", "SAMEORIGIN");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	MHD_add_response_header(resp, "Content-Security-Policy", CSP);
	MHD_add_response_header(resp, "Cross-Origin-Resource-Policy", "same-origin");
}

/* Queues r's body (taken over) with its status and headers. */
static enum MHD_Result send_resp(struct MHD_Connection *c, hearth_api_resp *r)
{
	struct MHD_Response *resp;
	if (r->static_body)
		resp = MHD_create_response_from_buffer(r->static_len, (void *)r->static_body,
						       MHD_RESPMEM_PERSISTENT);
	else if (r->body.len)
		resp = MHD_create_response_from_buffer(r->body.len, r->body.data,
						       MHD_RESPMEM_MUST_FREE);
	else
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		hearth_api_resp_free(r);
		return MHD_NO;
	}
	if (!r->static_body && r->body.len)
		r->body.data = NULL, r->body.len = r->body.cap = 0; /* MHD frees it */
	common_headers(resp, r->type ? r->type : "application/octet-stream");
	if (r->filename[0]) {
		char cd[400];
		snprintf(cd, sizeof(cd), "attachment; filename=\"%s\"", r->filename);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, cd);
	}
	if (r->status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
					r->allow ? r->allow : "GET, HEAD");
	if (r->set_cookie[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_SET_COOKIE, r->set_cookie);
	if (r->www_authenticate)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
					r->www_authenticate);
	if (r->retry_after > 0) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%d", r->retry_after);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	enum MHD_Result rc = MHD_queue_response(c, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	hearth_api_resp_free(r);
	return rc;
}

static enum MHD_Result send_error(struct MHD_Connection *c, int status, const char *msg)
{
	hearth_api_resp r = {0};
	hearth_api_error(&r, status, msg);
	return send_resp(c, &r);
}

/* A Host header that names this machine's loopback: localhost, 127.x.y.z
 * or [::1], with or without a port. */
static bool loopback_host(const char *host)
{
	char name[256];
	size_t n = strlen(host);
	if (n == 0 || n >= sizeof(name))
		return false;
	memcpy(name, host, n + 1);
	if (name[0] == '[') {
		char *e = strchr(name, ']');
		if (!e || (e[1] && e[1] != ':'))
			return false;
		e[1] = 0;
		return !strcmp(name, "[::1]");
	}
	char *colon = strchr(name, ':');
	if (colon) {
		for (char *p = colon + 1; *p; p++)
			if (*p < '0' || *p > '9')
				return false;
		*colon = 0;
	}
	if (n && name[strlen(name) - 1] == '.') /* "localhost." */
		name[strlen(name) - 1] = 0;
	if (!strcasecmp(name, "localhost"))
		return true;
	struct in_addr a;
	return inet_pton(AF_INET, name, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

/* Percent-decodes the path s[0..n) into out; false for a bad escape or NUL. */
static bool decode_path(const char *s, size_t n, char *out)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1,
			    lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0)
				return false;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == 0)
			return false;
		out[w++] = c;
	}
	out[w] = 0;
	return true;
}

static const char *header(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static void client_address(struct MHD_Connection *c, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	out[0] = 0;
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
			  (socklen_t)n);
}

typedef struct {
	int hosts;
	bool nul;
	const char *host_next; /* the byte after the Host value's NUL */
	bool next_is_header;   /* ... is where the next header starts */
} header_scan;

static enum MHD_Result scan_header(void *cls, enum MHD_ValueKind kind, const char *key,
				   size_t key_size, const char *value, size_t value_size)
{
	header_scan *hs = cls;
	if (key && !strcasecmp(key, MHD_HTTP_HEADER_HOST))
		hs->hosts++;
	if ((key && strlen(key) != key_size) || (value && strlen(value) != value_size))
		hs->nul = true;
	if (key && key == hs->host_next)
		hs->next_is_header = true;
	return MHD_YES;
}

/* A request libmicrohttpd parsed but which is ambiguous: a NUL byte in its
 * target or in a header (C strings would end there: "/app.js\0.html",
 * "localhost\0.evil.com"), or several Host headers.  Returns the message
 * for a 400, or NULL. */
static const char *ambiguous(struct MHD_Connection *c, const request *r, const char *version)
{
	/* The version follows the target in libmicrohttpd's copy of the
	 * request line, after one space: anything else between them is
	 * past a NUL. */
	if (r->raw_uri && version && version > r->raw_uri &&
	    version <= r->raw_uri + HEARTH_HTTP_MAX_URI + 2 &&
	    (size_t)(version - r->raw_uri) != r->len + 1)
		return "a NUL byte in the request target";
	/* libmicrohttpd 0.9 measures values with strlen, so a NUL inside the
	 * Host line ends its value early: then the byte after the value's
	 * NUL is not the line's end (its LF, or the NUL written over it) nor
	 * the start of the next header (after a bare LF). */
	const char *host = header(c, MHD_HTTP_HEADER_HOST);
	header_scan hs = {0};
	if (host)
		hs.host_next = host + strlen(host) + 1;
	MHD_get_connection_values_n(c, MHD_HEADER_KIND, scan_header, &hs);
	if (hs.nul)
		return "a NUL byte in a header";
	if (hs.hosts > 1)
		return "more than one Host header";
	if (host && *hs.host_next && *hs.host_next != '\r' && *hs.host_next != '\n' &&
	    !hs.next_is_header)
		return "a NUL byte in the Host header";
	return NULL;
}

/* The request comes from a page of another site (a browser says so in
 * Sec-Fetch-Site, or names the page's origin in Origin): such a page may
 * not make this server work on its behalf. */
static bool cross_site(const char *origin, const char *site, const char *host)
{
	if (site && strcmp(site, "same-origin") && strcmp(site, "none"))
		return true;
	if (!origin)
		return false;
	/* "null" (a sandboxed or file page) is another site too. */
	const char *sep = strstr(origin, "://");
	return !sep || !host || strcasecmp(sep + 3, host) != 0;
}

/* True when the client of the connection has closed it (the budget's
 * question, polled while its request is computed). */
static bool client_gone(void *ctx)
{
	struct MHD_Connection *c = ctx;
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (!ci)
		return false;
	struct pollfd pf = {ci->connect_fd, POLLIN | POLLRDHUP, 0};
	if (poll(&pf, 1, 0) <= 0)
		return false;
	if (pf.revents & (POLLRDHUP | POLLHUP | POLLERR))
		return true;
	char b;
	/* Readable: a pipelined request, or the end of the stream. */
	return recv(ci->connect_fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == 0;
}

static bool body_allowed(const char *method)
{
	return !strcmp(method, MHD_HTTP_METHOD_POST) || !strcmp(method, MHD_HTTP_METHOD_PUT) ||
	       !strcmp(method, MHD_HTTP_METHOD_DELETE) || !strcmp(method, MHD_HTTP_METHOD_PATCH);
}

static enum MHD_Result too_big(struct MHD_Connection *c, request *r)
{
	char msg[128];
	r->answered = true;
	snprintf(msg, sizeof(msg), "request body too large (the limit is %zu bytes)",
		 r->h->cfg.max_body);
	return send_error(c, MHD_HTTP_CONTENT_TOO_LARGE, msg);
}

/* Past the cap, a body without a Content-Length (chunked) is read and
 * dropped up to this many bytes, so that the 413 can be answered at its
 * end (libmicrohttpd queues answers only before the body or after it);
 * beyond, the connection is dropped. */
#define DISCARD_MAX ((size_t)256 << 20)

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	hearth_http *h = cls;
	request *r = *con_cls;
	if (!r || (!r->uri && r->len <= HEARTH_HTTP_MAX_URI))
		return MHD_NO; /* out of memory: drop the connection */
	if (r->answered) {
		*upload_size = 0;
		return MHD_YES;
	}
	if (r->discarding) {
		if (!*upload_size)
			return too_big(c, r);
		if (*upload_size > DISCARD_MAX - r->blen)
			return MHD_NO;
		r->blen += *upload_size;
		*upload_size = 0;
		return MHD_YES;
	}
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET) || !strcmp(method, MHD_HTTP_METHOD_HEAD);
	if (!r->called) {
		if (!get && (!h->cfg.max_body || !body_allowed(method))) {
			/* Any body is not read: the connection closes after the
			 * answer. */
			r->answered = true;
			hearth_api_resp e = {0};
			hearth_api_error(&e, MHD_HTTP_METHOD_NOT_ALLOWED,
					 h->cfg.max_body ? "method not allowed"
							 : "only GET and HEAD are served");
			if (h->cfg.max_body)
				e.allow = "GET, HEAD, POST, DELETE";
			return send_resp(c, &e);
		}
		const char *cl = header(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && h->cfg.max_body) {
			char *end;
			unsigned long long n = strtoull(cl, &end, 10);
			if (end != cl && n > h->cfg.max_body)
				return too_big(c, r);
			if (end != cl && n > 0 && !get) {
				r->body = malloc((size_t)n + 1);
				if (!r->body)
					return MHD_NO;
				r->bcap = (size_t)n + 1;
			}
		}
		/* A response queued at the first call, before the request is
		 * read to its end, makes libmicrohttpd close the connection
		 * afterwards: the answer comes at the last call, so connections
		 * are kept alive. */
		r->called = true;
		return MHD_YES;
	}
	if (*upload_size) {
		size_t n = *upload_size;
		*upload_size = 0;
		if (get || !h->cfg.max_body)
			return MHD_YES; /* a body with GET: read and ignored */
		if (n > h->cfg.max_body - r->blen) {
			/* Forget what was read; count what is dropped. */
			free(r->body);
			r->body = NULL;
			r->blen = n, r->bcap = 0;
			r->discarding = true;
			return MHD_YES;
		}
		if (r->blen + n + 1 > r->bcap) {
			size_t cap = r->bcap ? r->bcap : 64 * 1024;
			while (cap < r->blen + n + 1)
				cap *= 2;
			if (cap > h->cfg.max_body + 1)
				cap = h->cfg.max_body + 1;
			char *nb = realloc(r->body, cap);
			if (!nb)
				return MHD_NO;
			r->body = nb, r->bcap = cap;
		}
		memcpy(r->body + r->blen, upload, n);
		r->blen += n;
		return MHD_YES;
	}
	r->answered = true;
	set_reading(h, c, false);
	const char *why = ambiguous(c, r, version);
	if (why)
		return send_error(c, MHD_HTTP_BAD_REQUEST, why);
	if (h->loopback && h->cfg.loopback_guard) {
		const char *host = header(c, MHD_HTTP_HEADER_HOST);
		if (!host || !loopback_host(host))
			return send_error(c, MHD_HTTP_FORBIDDEN,
					  "the Host header must name a loopback address "
					  "(localhost, 127.0.0.1, [::1]): hearth web serves "
					  "this machine only");
	}
	if (r->len > HEARTH_HTTP_MAX_URI)
		return send_error(c, MHD_HTTP_URI_TOO_LONG, "request target too long");
	const char *uri = r->uri;
	if (uri[0] != '/')
		return send_error(c, MHD_HTTP_BAD_REQUEST, "request target must start with /");
	const char *q = strchr(uri, '?');
	size_t plen = q ? (size_t)(q - uri) : r->len;
	char path[HEARTH_HTTP_MAX_URI + 1];
	if (!decode_path(uri, plen, path))
		return send_error(c, MHD_HTTP_BAD_REQUEST, "bad percent-encoding in the path");
	hearth_req req = {
	    .method = method,
	    .path = path,
	    .query = q ? q + 1 : "",
	    .qlen = q ? strlen(q + 1) : 0,
	    .authorization = header(c, MHD_HTTP_HEADER_AUTHORIZATION),
	    .cookie = header(c, MHD_HTTP_HEADER_COOKIE),
	    .content_type = header(c, MHD_HTTP_HEADER_CONTENT_TYPE),
	    .content_encoding = header(c, MHD_HTTP_HEADER_CONTENT_ENCODING),
	    .csrf = header(c, "X-Hearth-CSRF"),
	    .origin = header(c, MHD_HTTP_HEADER_ORIGIN),
	    .sec_fetch_site = header(c, "Sec-Fetch-Site"),
	    .host = header(c, MHD_HTTP_HEADER_HOST),
	    .body = r->body ? r->body : "",
	    .body_len = r->blen,
	};
	client_address(c, req.client, sizeof(req.client));
	if (h->cfg.same_site_api && !strncmp(path, "/api/", 5) &&
	    cross_site(req.origin, req.sec_fetch_site, req.host))
		return send_error(c, MHD_HTTP_FORBIDDEN,
				  "cross-site request refused: the API answers pages of this "
				  "server only (Origin / Sec-Fetch-Site)");
	hearth_api_resp resp = {0};
	unsigned budget = h->cfg.budget_s ? h->cfg.budget_s : REQUEST_BUDGET;
	hearth_budget b = {.deadline_ns = hearth_budget_now() + (int64_t)budget * 1000000000,
			   .gone = client_gone,
			   .ctx = c};
	hearth_budget_enter(&b);
	h->cfg.handler(h->cfg.ctx, &req, &resp);
	hearth_budget_leave();
	if (!resp.status)
		hearth_api_error(&resp, MHD_HTTP_INTERNAL_SERVER_ERROR, "no answer");
	return send_resp(c, &resp);
}

/* Splits "host:port" / "[v6]:port". */
static hearth_err split_hostport(const char *flag, const char *hp, char *host, size_t hn,
				 char *port, size_t pn, hearth_errbuf *eb)
{
	const char *colon;
	size_t l;
	if (hp[0] == '[') {
		const char *e = strchr(hp, ']');
		if (!e || e[1] != ':')
			goto bad;
		l = (size_t)(e - hp - 1);
		if (l >= hn)
			goto bad;
		memcpy(host, hp + 1, l);
		host[l] = 0;
		colon = e + 1;
	} else {
		colon = strrchr(hp, ':');
		if (!colon)
			goto bad;
		l = (size_t)(colon - hp);
		if (l >= hn || memchr(hp, ':', l))
			goto bad;
		memcpy(host, hp, l);
		host[l] = 0;
	}
	if (!host[0])
		snprintf(host, hn, "localhost");
	const char *p = colon + 1;
	if (!*p || strlen(p) >= pn || strspn(p, "0123456789") != strlen(p) || atoi(p) > 65535)
		goto bad;
	snprintf(port, pn, "%s", p);
	return HEARTH_OK;
bad:
	return hearth_seterr(eb, HEARTH_EINVAL,
			     "%s=%s: want host:port (127.0.0.1:8080, localhost:0, [::1]:0)", flag,
			     hp);
}

/* A listening socket on host:port, IPv4 preferred when the name has both. */
static int listen_on(const char *flag, const char *host, const char *port,
		     struct sockaddr_storage *bound, hearth_errbuf *eb)
{
	struct addrinfo hints = {0}, *res = NULL;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		hearth_seterr(eb, HEARTH_EINVAL, "%s: %s: %s", flag, host, gai_strerror(rc));
		return -1;
	}
	int fd = -1, err = 0;
	for (int pass = 0; pass < 2 && fd < 0; pass++)
		for (struct addrinfo *ai = res; ai && fd < 0; ai = ai->ai_next) {
			if ((ai->ai_family == AF_INET) != (pass == 0))
				continue;
			if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
				continue;
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
			if (fd < 0) {
				err = errno;
				continue;
			}
			int one = 1;
			setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
			if (ai->ai_family == AF_INET6)
				setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 128)) {
				err = errno;
				close(fd);
				fd = -1;
			}
		}
	freeaddrinfo(res);
	socklen_t sl = sizeof(*bound);
	if (fd >= 0 && getsockname(fd, (struct sockaddr *)bound, &sl)) {
		err = errno;
		close(fd);
		fd = -1;
	}
	if (fd < 0)
		hearth_seterr(eb, HEARTH_EIO, "%s: cannot listen on %s:%s: %s", flag, host, port,
			      strerror(err ? err : EADDRNOTAVAIL));
	return fd;
}

hearth_err hearth_http_start(const char *hostport, const hearth_http_config *cfg, hearth_http **out,
			     char *url, size_t urln, bool *loopback, hearth_errbuf *eb)
{
	char host[256], port[16];
	struct sockaddr_storage ss;
	const char *flag = cfg->flag ? cfg->flag : "-http";
	*out = NULL;
	hearth_err err = split_hostport(flag, hostport, host, sizeof(host), port, sizeof(port), eb);
	if (err)
		return err;
	hearth_http *h = calloc(1, sizeof(*h));
	if (!h)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	h->cfg = *cfg;
	if ((h->fd = listen_on(flag, host, port, &ss, eb)) < 0) {
		free(h);
		return HEARTH_EIO;
	}
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	h->loopback = is_loopback((struct sockaddr *)&ss);
	char addr[INET6_ADDRSTRLEN];
	int pnum;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
		pnum = ntohs(s6->sin6_port);
		snprintf(url, urln, "http://[%s]:%d/", addr, pnum);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		pnum = ntohs(s4->sin_port);
		snprintf(url, urln, "http://%s:%d/", addr, pnum);
	}
	unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ITC;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	unsigned maxc = cfg->max_connections ? cfg->max_connections : MAX_CONNECTIONS;
	unsigned tmo = cfg->timeout_s ? cfg->timeout_s : CONNECTION_TIMEOUT;
	h->d = MHD_start_daemon(
	    flags, 0, accept_policy, h, handle, h, MHD_OPTION_LISTEN_SOCKET, h->fd,
	    MHD_OPTION_CONNECTION_LIMIT, maxc, MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    cfg->per_ip_connections, MHD_OPTION_CONNECTION_TIMEOUT, tmo,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, MEMORY_LIMIT, MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
	    MHD_OPTION_URI_LOG_CALLBACK, log_uri, h, MHD_OPTION_NOTIFY_COMPLETED, completed, h,
	    MHD_OPTION_NOTIFY_CONNECTION, notify_conn, h, MHD_OPTION_END);
	if (!h->d) {
		close(h->fd);
		pthread_mutex_destroy(&h->mu);
		pthread_cond_destroy(&h->cv);
		free(h);
		return hearth_seterr(eb, HEARTH_EIO, "%s: cannot start the HTTP server on %s", flag,
				     hostport);
	}
	h->watching = pthread_create(&h->watchdog, NULL, watchdog, h) == 0;
	*loopback = h->loopback;
	*out = h;
	return HEARTH_OK;
}

bool hearth_http_quiesce(hearth_http *h, int wait_ms)
{
	if (!h || h->quiesced)
		return true;
	h->quiesced = true;
	MHD_socket fd = MHD_quiesce_daemon(h->d);
	if (fd != MHD_INVALID_SOCKET)
		close(fd);
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += wait_ms / 1000;
	dl.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
	if (dl.tv_nsec >= 1000000000L)
		dl.tv_sec++, dl.tv_nsec -= 1000000000L;
	pthread_mutex_lock(&h->mu);
	while (h->inflight > 0)
		if (pthread_cond_timedwait(&h->cv, &h->mu, &dl))
			break;
	bool done = h->inflight == 0;
	pthread_mutex_unlock(&h->mu);
	return done;
}

void hearth_http_stop(hearth_http *h)
{
	if (!h)
		return;
	if (h->watching) {
		pthread_mutex_lock(&h->mu);
		h->stopping = true;
		pthread_cond_broadcast(&h->cv);
		pthread_mutex_unlock(&h->mu);
		pthread_join(h->watchdog, NULL);
	}
	MHD_stop_daemon(h->d); /* closes the listening socket too (unless quiesced) */
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h);
}
