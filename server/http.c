/* libmicrohttpd glue for `hearth web`.
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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "assets.h"
#include "http.h"

#define MAX_CONNECTIONS 64
#define CONNECTION_TIMEOUT 60 /* seconds without traffic */

struct hearth_http {
	struct MHD_Daemon *d;
	hearth_api *api;
	bool loopback;
	int fd;
};

/* Per request: the raw target, kept by the URI log callback. */
typedef struct {
	char *uri;
	size_t len;
	bool called; /* the handler has seen the headers */
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
	if (!h->loopback)
		return MHD_YES;
	return addr && len >= sizeof(sa_family_t) && is_loopback(addr) ? MHD_YES : MHD_NO;
}

static void *log_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
	request *r = calloc(1, sizeof(*r));
	if (r && uri) {
		r->len = strlen(uri);
		/* Past the limit only the length matters. */
		r->uri = strndup(uri, r->len > HEARTH_HTTP_MAX_URI ? 0 : r->len);
	}
	return r;
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	request *r = *con_cls;
	if (r) {
		free(r->uri);
		free(r);
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
}

/* Queues r's body (taken over) with its status and headers. */
static enum MHD_Result send_resp(struct MHD_Connection *c, hearth_api_resp *r)
{
	struct MHD_Response *resp;
	if (r->body.len)
		resp = MHD_create_response_from_buffer(r->body.len, r->body.data,
						       MHD_RESPMEM_MUST_FREE);
	else
		resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		hearth_api_resp_free(r);
		return MHD_NO;
	}
	if (r->body.len)
		r->body.data = NULL, r->body.len = r->body.cap = 0; /* MHD frees it */
	common_headers(resp, r->type ? r->type : "application/octet-stream");
	if (r->filename[0]) {
		char cd[400];
		snprintf(cd, sizeof(cd), "attachment; filename=\"%s\"", r->filename);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_DISPOSITION, cd);
	}
	if (r->status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
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

static enum MHD_Result serve_asset(struct MHD_Connection *c, const char *name)
{
	for (size_t i = 0; i < hearth_nassets; i++) {
		const hearth_asset *a = &hearth_assets[i];
		if (strcmp(a->name, name))
			continue;
		struct MHD_Response *resp = MHD_create_response_from_buffer(
		    a->size, (void *)a->data, MHD_RESPMEM_PERSISTENT);
		if (!resp)
			return MHD_NO;
		common_headers(resp, a->content_type);
		enum MHD_Result rc = MHD_queue_response(c, MHD_HTTP_OK, resp);
		MHD_destroy_response(resp);
		return rc;
	}
	return send_error(c, MHD_HTTP_NOT_FOUND, "not found");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_size, void **con_cls)
{
	hearth_http *h = cls;
	request *r = *con_cls;
	if (!r || (!r->uri && r->len <= HEARTH_HTTP_MAX_URI))
		return MHD_NO; /* out of memory: drop the connection */
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
		/* Any body is not read: the connection closes after the answer. */
		return send_error(c, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD are served");
	}
	/* A response queued at the first call, before the request is read to
	 * its end, makes libmicrohttpd close the connection afterwards: the
	 * answer comes at the second call, so connections are kept alive. */
	if (!r->called) {
		r->called = true;
		return MHD_YES;
	}
	if (*upload_size) {
		*upload_size = 0; /* a body with GET: read and ignored */
		return MHD_YES;
	}
	if (h->loopback) {
		const char *host =
		    MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
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
	if (!strncmp(path, "/api/", 5)) {
		const char *query = q ? q + 1 : "";
		hearth_api_resp resp;
		hearth_api_handle(h->api, path + 5, query, strlen(query), &resp);
		return send_resp(c, &resp);
	}
	if (!strcmp(path, "/"))
		return serve_asset(c, "index.html");
	/* Only "/name" of an embedded file: nothing with another slash, and no
	 * name is ever a path on disk. */
	if (strchr(path + 1, '/') || !path[1])
		return send_error(c, MHD_HTTP_NOT_FOUND, "not found");
	return serve_asset(c, path + 1);
}

/* Splits "host:port" / "[v6]:port". */
static hearth_err split_hostport(const char *hp, char *host, size_t hn, char *port, size_t pn,
				 hearth_errbuf *eb)
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
			     "-http=%s: want host:port (127.0.0.1:8080, localhost:0, [::1]:0)", hp);
}

/* A listening socket on host:port, IPv4 preferred when the name has both. */
static int listen_on(const char *host, const char *port, struct sockaddr_storage *bound,
		     hearth_errbuf *eb)
{
	struct addrinfo hints = {0}, *res = NULL;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	int rc = getaddrinfo(host, port, &hints, &res);
	if (rc) {
		hearth_seterr(eb, HEARTH_EINVAL, "-http: %s: %s", host, gai_strerror(rc));
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
			if (bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64)) {
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
		hearth_seterr(eb, HEARTH_EIO, "-http: cannot listen on %s:%s: %s", host, port,
			      strerror(err ? err : EADDRNOTAVAIL));
	return fd;
}

hearth_err hearth_http_start(const char *hostport, hearth_api *api, hearth_http **out, char *url,
			     size_t urln, bool *loopback, hearth_errbuf *eb)
{
	char host[256], port[16];
	struct sockaddr_storage ss;
	*out = NULL;
	hearth_err err = split_hostport(hostport, host, sizeof(host), port, sizeof(port), eb);
	if (err)
		return err;
	hearth_http *h = calloc(1, sizeof(*h));
	if (!h)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	h->api = api;
	if ((h->fd = listen_on(host, port, &ss, eb)) < 0) {
		free(h);
		return HEARTH_EIO;
	}
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
	unsigned flags = MHD_USE_POLL_INTERNAL_THREAD | MHD_USE_THREAD_PER_CONNECTION;
	if (ss.ss_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	h->d = MHD_start_daemon(flags, 0, accept_policy, h, handle, h, MHD_OPTION_LISTEN_SOCKET,
				h->fd, MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
				MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT,
				MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
				MHD_OPTION_URI_LOG_CALLBACK, log_uri, h,
				MHD_OPTION_NOTIFY_COMPLETED, completed, h, MHD_OPTION_END);
	if (!h->d) {
		close(h->fd);
		free(h);
		return hearth_seterr(eb, HEARTH_EIO, "-http: cannot start the HTTP server on %s",
				     hostport);
	}
	*loopback = h->loopback;
	*out = h;
	return HEARTH_OK;
}

void hearth_http_stop(hearth_http *h)
{
	if (!h)
		return;
	MHD_stop_daemon(h->d); /* closes the listening socket too */
	free(h);
}
