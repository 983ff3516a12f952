/* URL sources: fetching a profile with libcurl, as pprof's
 * internal/driver/fetch.go does, and remote symbolization (its symbolz). */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "hearth/fetch.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void hearth_http_init(void)
{
	pthread_once(&curl_once, curl_init_once);
}

/* host:port[/path]: a host of letters, digits, dots, dashes (or a bracketed
 * IPv6 address), a colon and a port number. */
static bool host_port_shorthand(const char *s)
{
	const char *p = s;
	if (*p == '[') {
		p = strchr(p, ']');
		if (!p)
			return false;
		p++;
	} else {
		while (isalnum((unsigned char)*p) || *p == '.' || *p == '-' || *p == '_')
			p++;
	}
	if (p == s || *p != ':' || !isdigit((unsigned char)p[1]))
		return false;
	p++;
	while (isdigit((unsigned char)*p))
		p++;
	return *p == 0 || *p == '/' || *p == '?';
}

bool hearth_is_url(const char *s)
{
	if (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8) ||
	    !strncmp(s, "https+insecure://", 17))
		return true;
	struct stat st;
	if (stat(s, &st) == 0)
		return false; /* a file of that name wins, as in pprof */
	return host_port_shorthand(s);
}

/* The host part: a name or address (letters, digits, . - _ %, a userinfo
 * before '@'), or a bracketed IPv6 address, then an optional :port of
 * digits.  Anything else, an empty host in particular, is no URL hearth
 * can fetch. */
static bool valid_host(const char *h, size_t n)
{
	const char *at = memchr(h, '@', n);
	if (at) {
		n -= (size_t)(at + 1 - h);
		h = at + 1;
	}
	size_t i = 0;
	if (n && h[0] == '[') {
		while (i < n && h[i] != ']')
			i++;
		if (i == n || i < 2)
			return false;
		i++;
	} else {
		while (i < n && (isalnum((unsigned char)h[i]) || h[i] == '.' || h[i] == '-' ||
				 h[i] == '_' || h[i] == '%'))
			i++;
		if (i == 0)
			return false;
	}
	if (i < n && h[i] == ':')
		for (i++; i < n && isdigit((unsigned char)h[i]);)
			i++;
	return i == n;
}

/* pprof reads seconds= with strconv.ParseInt(s, 10, 32): a whole number,
 * optionally signed, that fits 32 bits; anything else sets no duration. */
static long parse_seconds(const char *s, size_t n)
{
	size_t i = n && (s[0] == '+' || s[0] == '-');
	if (i == n)
		return 0;
	long v = 0;
	for (; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		v = v * 10 + (s[i] - '0');
		if (v > 2147483648L)
			return 0;
	}
	if (s[0] == '-')
		return -v;
	return v > 2147483647L ? 0 : v;
}

typedef struct {
	const char *s;
	size_t len, keylen, order;
} query_pair;

/* Keys in byte order, the pairs of one key in their order: the order of
 * Go's url.Values.Encode, which pprof writes the query back with. */
static int cmp_pair(const void *a, const void *b)
{
	const query_pair *x = a, *y = b;
	size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
	int c = memcmp(x->s, y->s, n);
	if (c)
		return c;
	if (x->keylen != y->keylen)
		return x->keylen < y->keylen ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

char *hearth_url_adjust(const char *source, int seconds, int timeout, double *timeout_s,
			bool *insecure)
{
	*insecure = false;
	if (!hearth_is_url(source))
		return NULL;
	const char *scheme = "http://", *rest = source;
	if (!strncmp(source, "http://", 7)) {
		rest = source + 7;
	} else if (!strncmp(source, "https://", 8)) {
		scheme = "https://";
		rest = source + 8;
	} else if (!strncmp(source, "https+insecure://", 17)) {
		/* pprof's getProfile: https, without certificate checks. */
		scheme = "https://";
		rest = source + 17;
		*insecure = true;
	}
	size_t hostlen = strcspn(rest, "/?#");
	if (!valid_host(rest, hostlen))
		return NULL;
	const char *path = rest + hostlen;
	size_t pathlen = strcspn(path, "?#");
	const char *query = path[pathlen] == '?' ? path + pathlen + 1 : "";
	size_t querylen = strcspn(query, "#");
	if (pathlen == 0 || (pathlen == 1 && *path == '/')) {
		path = "/debug/pprof/profile";
		pathlen = strlen(path);
	}
	/* The query's pairs (empty ones dropped, as Go's ParseQuery does),
	 * without seconds= when -seconds replaces it; the first seconds= of
	 * the URL otherwise gives the duration. */
	size_t npairs = 0, maxpairs = querylen / 2 + 2;
	query_pair *pairs = malloc(maxpairs * sizeof(*pairs));
	char *url = NULL, *joined = NULL, secbuf[32];
	if (!pairs)
		goto out;
	long url_seconds = 0;
	bool seen_seconds = false;
	for (const char *p = query; p < query + querylen;) {
		size_t len = strcspn(p, "&");
		if (p + len > query + querylen)
			len = (size_t)(query + querylen - p);
		size_t keylen = strcspn(p, "=");
		if (keylen > len)
			keylen = len;
		bool is_seconds = keylen == 7 && !strncmp(p, "seconds", 7);
		if (is_seconds && !seen_seconds) {
			seen_seconds = true;
			url_seconds = keylen < len ? parse_seconds(p + 8, len - 8) : 0;
		}
		if (len && !(is_seconds && seconds > 0)) {
			pairs[npairs] = (query_pair){p, len, keylen, npairs};
			npairs++;
		}
		p += len + (p[len] == '&');
	}
	if (seconds > 0) {
		int n = snprintf(secbuf, sizeof(secbuf), "seconds=%d", seconds);
		pairs[npairs] = (query_pair){secbuf, (size_t)n, 7, npairs};
		npairs++;
	}
	qsort(pairs, npairs, sizeof(*pairs), cmp_pair);
	size_t qn = 0, qlen = 0;
	for (size_t i = 0; i < npairs; i++)
		qlen += pairs[i].len + 1;
	if (!(joined = malloc(qlen + 1)))
		goto out;
	for (size_t i = 0; i < npairs; i++) {
		if (qn)
			joined[qn++] = '&';
		memcpy(joined + qn, pairs[i].s, pairs[i].len);
		qn += pairs[i].len;
	}
	joined[qn] = 0;
	double duration = seconds > 0 ? seconds : url_seconds > 0 ? (double)url_seconds : 0;
	*timeout_s = timeout > 0 ? timeout : duration > 0 ? duration * 1.5 : 60;
	size_t n = strlen(scheme) + hostlen + pathlen + qn + 2;
	url = malloc(n);
	if (url)
		snprintf(url, n, "%s%.*s%.*s%s%s", scheme, (int)hostlen, rest, (int)pathlen, path,
			 qn ? "?" : "", joined);
out:
	free(joined);
	free(pairs);
	return url;
}

typedef struct {
	uint8_t *data;
	size_t n, cap, max;
	bool too_big;
	hearth_http_opts *ho;
	char status[128]; /* the last status line, "HTTP/1.1 404 Not Found" */
	char cerr[CURL_ERROR_SIZE];
	double t;		 /* the time allowed, in seconds */
	struct curl_slist *hdrs; /* request headers (Authorization) */
} body_buf;

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	body_buf *b = ud;
	size_t len = size * nmemb;
	if (b->ho->cancel && *b->ho->cancel)
		return 0;
	if (len > b->max - b->n) {
		b->too_big = true;
		return 0;
	}
	if (b->n + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 65536;
		while (cap < b->n + len + 1)
			cap *= 2;
		uint8_t *d = realloc(b->data, cap);
		if (!d)
			return 0;
		b->data = d;
		b->cap = cap;
	}
	memcpy(b->data + b->n, ptr, len);
	b->n += len;
	b->ho->received = b->n;
	return len;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *ud)
{
	body_buf *b = ud;
	size_t len = size * nmemb;
	if (len > 5 && !strncmp(ptr, "HTTP/", 5)) {
		size_t k = len < sizeof(b->status) - 1 ? len : sizeof(b->status) - 1;
		while (k && (ptr[k - 1] == '\r' || ptr[k - 1] == '\n'))
			k--;
		memcpy(b->status, ptr, k);
		b->status[k] = 0;
	}
	return len;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
	body_buf *b = ud;
	return b->ho->cancel && *b->ho->cancel;
}

/* "404 Not Found" from "HTTP/1.1 404 Not Found" (or just the code). */
static const char *status_text(const body_buf *b, long code, char *tmp, size_t n)
{
	const char *sp = strchr(b->status, ' ');
	if (sp && sp[1])
		return sp + 1;
	snprintf(tmp, n, "%ld", code);
	return tmp;
}

/* A transfer of url into b, set up but not started (NULL on OOM). */
static CURL *easy_new(const char *url, hearth_http_opts *ho, const char *post, size_t npost,
		      body_buf *b)
{
	CURL *c = curl_easy_init();
	if (!c)
		return NULL;
	*b = (body_buf){.max = ho->max_size ? ho->max_size : HEARTH_DEFAULT_MAX_SIZE, .ho = ho};
	b->t = ho->timeout_s > 0 ? ho->timeout_s : 60;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, b->cerr);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(b->t * 1000));
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)(b->t * 1000));
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "hearth");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, b);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, b);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	if (ho->insecure) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (ho->authorization) {
		char *h = NULL;
		if (asprintf(&h, "Authorization: %s", ho->authorization) < 0 ||
		    !(b->hdrs = curl_slist_append(NULL, h))) {
			free(h);
			curl_easy_cleanup(c);
			return NULL;
		}
		free(h);
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, b->hdrs);
		/* A token is not handed to another host on a redirect. */
		curl_easy_setopt(c, CURLOPT_UNRESTRICTED_AUTH, 0L);
	}
	if (post && ho->content_type) {
		char *h = NULL;
		struct curl_slist *l;
		if (asprintf(&h, "Content-Type: %s", ho->content_type) < 0 ||
		    !(l = curl_slist_append(b->hdrs, h))) {
			free(h);
			curl_slist_free_all(b->hdrs);
			curl_easy_cleanup(c);
			return NULL;
		}
		free(h);
		b->hdrs = l;
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, b->hdrs);
	}
	if (post) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)npost);
	}
	return c;
}

static void easy_free(CURL *c, body_buf *b)
{
	curl_easy_cleanup(c);
	curl_slist_free_all(b->hdrs);
	b->hdrs = NULL;
}

/* The outcome of a finished transfer: the body (NUL-terminated) handed to
 * *body and *n, or an error naming the cause, the body then freed. */
static hearth_err easy_result(CURL *c, CURLcode rc, body_buf *b, uint8_t **body, size_t *n,
			      hearth_errbuf *eb)
{
	hearth_http_opts *ho = b->ho;
	hearth_err err = HEARTH_OK;
	long code = 0;
	*body = NULL;
	*n = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (b->too_big) {
		err = hearth_seterr(eb, HEARTH_ETOOBIG,
				    "response larger than %zu bytes (raise -max_size)", b->max);
	} else if (rc == CURLE_ABORTED_BY_CALLBACK || (ho->cancel && *ho->cancel)) {
		err = hearth_seterr(eb, HEARTH_EIO, "cancelled");
	} else if (rc == CURLE_OPERATION_TIMEDOUT) {
		err = hearth_seterr(eb, HEARTH_EIO, "timed out after %g s (-timeout)%s%s", b->t,
				    b->cerr[0] ? ": " : "", b->cerr);
	} else if (rc == CURLE_WRITE_ERROR) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory reading the response");
	} else if (rc != CURLE_OK) {
		err = hearth_seterr(eb, HEARTH_EIO, "%s",
				    b->cerr[0] ? b->cerr : curl_easy_strerror(rc));
	} else if (code < 200 || code > 299) {
		/* pprof's statusCodeError: the status, and what the server says. */
		char tmp[32];
		size_t k = 0;
		const char *d = (const char *)b->data;
		while (d && k < b->n && k < 200 && d[k] != '\n' && d[k] != '\r')
			k++;
		err = hearth_seterr(eb, HEARTH_EIO, "server response: %s%s%.*s",
				    status_text(b, code, tmp, sizeof(tmp)), k ? " - " : "", (int)k,
				    d ? d : "");
	} else if (!b->data && !(b->data = malloc(1))) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	if (err) {
		free(b->data);
		b->data = NULL;
		return err;
	}
	b->data[b->n] = 0;
	*body = b->data;
	*n = b->n;
	b->data = NULL;
	return HEARTH_OK;
}

hearth_err hearth_http_get(const char *url, hearth_http_opts *ho, const char *post, size_t npost,
			   uint8_t **body, size_t *n, hearth_errbuf *eb)
{
	*body = NULL;
	*n = 0;
	hearth_http_init();
	body_buf b;
	CURL *c = easy_new(url, ho, post, npost, &b);
	if (!c)
		return hearth_seterr(eb, HEARTH_ENOMEM, "cannot start an HTTP client");
	CURLcode rc = curl_easy_perform(c);
	hearth_err err = easy_result(c, rc, &b, body, n, eb);
	easy_free(c, &b);
	return err;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

hearth_err hearth_http_get_many(hearth_http_req *reqs, size_t nreqs, hearth_http_done_fn done,
				hearth_http_tick_fn tick, void *ctx, hearth_errbuf *eb)
{
	hearth_err err = HEARTH_OK;
	hearth_http_init();
	CURLM *m = curl_multi_init();
	body_buf *bufs = calloc(nreqs ? nreqs : 1, sizeof(*bufs));
	CURL **easy = calloc(nreqs ? nreqs : 1, sizeof(*easy));
	size_t ndone = 0;
	if (!m || !bufs || !easy) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "cannot start an HTTP client");
		goto out;
	}
	for (size_t i = 0; i < nreqs; i++) {
		hearth_http_req *r = &reqs[i];
		r->body = NULL;
		r->n = 0;
		r->err = HEARTH_OK;
		r->eb = (hearth_errbuf){{0}};
		r->done = false;
		easy[i] = easy_new(r->url, &r->ho, NULL, 0, &bufs[i]);
		if (easy[i]) {
			curl_easy_setopt(easy[i], CURLOPT_PRIVATE, (char *)r);
			if (curl_multi_add_handle(m, easy[i]) == CURLM_OK)
				continue;
			easy_free(easy[i], &bufs[i]);
			easy[i] = NULL;
		}
		r->err = hearth_seterr(&r->eb, HEARTH_ENOMEM, "cannot start an HTTP client");
		r->done = true;
		ndone++;
		if (done)
			done(ctx, r);
	}
	/* One thread drives every transfer: perform what can be done, collect
	 * the finished ones, and wait for activity at most 200 ms so that tick
	 * keeps its pace. */
	double last_tick = now_s();
	while (ndone < nreqs) {
		int running = 0;
		CURLMcode mc = curl_multi_perform(m, &running);
		if (mc != CURLM_OK) {
			err = hearth_seterr(eb, HEARTH_EIO, "HTTP client: %s",
					    curl_multi_strerror(mc));
			goto out;
		}
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			char *priv = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
			hearth_http_req *r = (hearth_http_req *)priv;
			size_t i = (size_t)(r - reqs);
			CURLcode rc = msg->data.result;
			r->err = easy_result(easy[i], rc, &bufs[i], &r->body, &r->n, &r->eb);
			curl_multi_remove_handle(m, easy[i]);
			easy_free(easy[i], &bufs[i]);
			easy[i] = NULL;
			r->done = true;
			ndone++;
			if (done)
				done(ctx, r);
		}
		if (ndone == nreqs)
			break;
		if (tick && now_s() - last_tick >= 0.2) {
			last_tick = now_s();
			tick(ctx, ndone, nreqs);
		}
		mc = curl_multi_poll(m, NULL, 0, 200, NULL);
		if (mc != CURLM_OK) {
			err = hearth_seterr(eb, HEARTH_EIO, "HTTP client: %s",
					    curl_multi_strerror(mc));
			goto out;
		}
	}
out:
	/* Transfers left over after an error of the client itself. */
	for (size_t i = 0; easy && i < nreqs; i++) {
		if (!easy[i])
			continue;
		curl_multi_remove_handle(m, easy[i]);
		easy_free(easy[i], &bufs[i]);
		free(bufs[i].data);
		if (!reqs[i].done) {
			reqs[i].err = hearth_seterr(&reqs[i].eb, err ? err : HEARTH_EIO, "%s",
						    eb->msg[0] ? eb->msg : "not finished");
			reqs[i].done = true;
			if (done)
				done(ctx, &reqs[i]);
		}
	}
	free(easy);
	free(bufs);
	if (m)
		curl_multi_cleanup(m);
	return err;
}

typedef struct multi_xfer {
	CURL *c;
	body_buf b;
	hearth_http_req *r;
	double start;
	/* The list of live transfers, or of those that could not start. */
	struct multi_xfer *prev, *next;
} multi_xfer;

/* Driven by libcurl's socket interface and epoll: each step touches only
 * the sockets that have something to do, so a thousand long CPU-profile
 * transfers cost nothing while they wait (curl_multi_perform would walk
 * every transfer at every wake-up). */
struct hearth_http_multi {
	CURLM *m;
	int ep;		 /* epoll set of the transfers' sockets */
	double timer_at; /* when libcurl wants its timeout action; < 0: never */
	size_t pending;
	multi_xfer *live;
	multi_xfer *failed; /* finished before they started: done on the next step */
};

static void unlink_live(hearth_http_multi *m, multi_xfer *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		m->live = x->next;
	if (x->next)
		x->next->prev = x->prev;
}

static int on_socket(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
	hearth_http_multi *m = userp;
	if (what == CURL_POLL_REMOVE) {
		epoll_ctl(m->ep, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	struct epoll_event ev = {.data.fd = fd};
	if (what & CURL_POLL_IN)
		ev.events |= EPOLLIN;
	if (what & CURL_POLL_OUT)
		ev.events |= EPOLLOUT;
	if (epoll_ctl(m->ep, EPOLL_CTL_MOD, fd, &ev) && errno == ENOENT)
		epoll_ctl(m->ep, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

static int on_timer(CURLM *cm, long timeout_ms, void *userp)
{
	hearth_http_multi *m = userp;
	m->timer_at = timeout_ms < 0 ? -1 : now_s() + (double)timeout_ms / 1000.0;
	return 0;
}

hearth_err hearth_http_multi_new(hearth_http_multi **out, hearth_errbuf *eb)
{
	hearth_http_init();
	hearth_http_multi *m = calloc(1, sizeof(*m));
	if (!m || !(m->m = curl_multi_init())) {
		free(m);
		return hearth_seterr(eb, HEARTH_ENOMEM, "cannot start an HTTP client");
	}
	m->timer_at = -1;
	if ((m->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		curl_multi_cleanup(m->m);
		free(m);
		return hearth_seterr(eb, HEARTH_EIO, "cannot start an HTTP client: epoll: %s",
				     strerror(errno));
	}
	curl_multi_setopt(m->m, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(m->m, CURLMOPT_SOCKETDATA, m);
	curl_multi_setopt(m->m, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(m->m, CURLMOPT_TIMERDATA, m);
	/* Idle connections kept for reuse: libcurl's default (four per
	 * transfer added) keeps thousands of sockets open for a fleet, and
	 * every transfer searches them. */
	curl_multi_setopt(m->m, CURLMOPT_MAXCONNECTS, 256L);
	*out = m;
	return HEARTH_OK;
}

void hearth_http_multi_add(hearth_http_multi *m, hearth_http_req *r, const char *post, size_t npost)
{
	r->body = NULL;
	r->n = 0;
	r->err = HEARTH_OK;
	r->eb = (hearth_errbuf){{0}};
	r->done = false;
	r->status = 0;
	r->seconds = 0;
	multi_xfer *x = calloc(1, sizeof(*x));
	m->pending++;
	if (x) {
		x->r = r;
		x->start = now_s();
		x->c = easy_new(r->url, &r->ho, post, npost, &x->b);
		if (x->c) {
			curl_easy_setopt(x->c, CURLOPT_PRIVATE, (char *)x);
			if (curl_multi_add_handle(m->m, x->c) == CURLM_OK) {
				x->next = m->live;
				if (m->live)
					m->live->prev = x;
				m->live = x;
				return;
			}
			easy_free(x->c, &x->b);
		}
		x->c = NULL;
		r->err = hearth_seterr(&r->eb, HEARTH_ENOMEM, "cannot start an HTTP client");
		x->next = m->failed;
		m->failed = x;
		return;
	}
	/* Not even the bookkeeping: the request fails now, reported by the
	 * next step through a static marker would lose r, so it is finished
	 * here and counted as no longer pending. */
	m->pending--;
	r->err = hearth_seterr(&r->eb, HEARTH_ENOMEM, "out of memory");
	r->done = true;
}

/* libcurl's timeout action, when it is due. */
static hearth_err multi_timeout(hearth_http_multi *m, hearth_errbuf *eb)
{
	if (m->timer_at < 0 || now_s() < m->timer_at)
		return HEARTH_OK;
	m->timer_at = -1;
	int running;
	CURLMcode mc = curl_multi_socket_action(m->m, CURL_SOCKET_TIMEOUT, 0, &running);
	if (mc != CURLM_OK)
		return hearth_seterr(eb, HEARTH_EIO, "HTTP client: %s", curl_multi_strerror(mc));
	return HEARTH_OK;
}

/* Hands the finished transfers to done; returns how many. */
static size_t multi_collect(hearth_http_multi *m, hearth_http_done_fn done, void *ctx)
{
	CURLMsg *msg;
	int left;
	size_t n = 0;
	while ((msg = curl_multi_info_read(m->m, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		char *priv = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &priv);
		multi_xfer *x = (multi_xfer *)priv;
		hearth_http_req *r = x->r;
		CURLcode rc = msg->data.result;
		curl_easy_getinfo(x->c, CURLINFO_RESPONSE_CODE, &r->status);
		r->err = easy_result(x->c, rc, &x->b, &r->body, &r->n, &r->eb);
		r->seconds = now_s() - x->start;
		curl_multi_remove_handle(m->m, x->c);
		easy_free(x->c, &x->b);
		unlink_live(m, x);
		free(x);
		m->pending--;
		r->done = true;
		n++;
		if (done)
			done(ctx, r);
	}
	return n;
}

hearth_err hearth_http_multi_step(hearth_http_multi *m, int wait_ms, hearth_http_done_fn done,
				  void *ctx, hearth_errbuf *eb)
{
	while (m->failed) {
		multi_xfer *x = m->failed;
		m->failed = x->next;
		m->pending--;
		x->r->done = true;
		hearth_http_req *r = x->r;
		free(x);
		if (done)
			done(ctx, r);
	}
	size_t n = 0;
	hearth_err err = multi_timeout(m, eb);
	if (!err)
		n = multi_collect(m, done, ctx);
	if (err || n || wait_ms <= 0)
		return err;
	int t = wait_ms;
	if (m->timer_at >= 0) {
		double d = (m->timer_at - now_s()) * 1000;
		if (d < t)
			t = d <= 0 ? 0 : (int)d + 1;
	}
	struct epoll_event evs[256];
	int ne = epoll_wait(m->ep, evs, 256, t);
	for (int i = 0; i < ne; i++) {
		int flags = 0, running;
		if (evs[i].events & EPOLLIN)
			flags |= CURL_CSELECT_IN;
		if (evs[i].events & EPOLLOUT)
			flags |= CURL_CSELECT_OUT;
		if (evs[i].events & (EPOLLERR | EPOLLHUP))
			flags |= CURL_CSELECT_ERR;
		CURLMcode mc = curl_multi_socket_action(m->m, evs[i].data.fd, flags, &running);
		if (mc != CURLM_OK)
			return hearth_seterr(eb, HEARTH_EIO, "HTTP client: %s",
					     curl_multi_strerror(mc));
	}
	if ((err = multi_timeout(m, eb)))
		return err;
	multi_collect(m, done, ctx);
	return HEARTH_OK;
}

size_t hearth_http_multi_pending(const hearth_http_multi *m)
{
	return m->pending;
}

void hearth_http_multi_free(hearth_http_multi *m)
{
	if (!m)
		return;
	while (m->failed) {
		multi_xfer *x = m->failed;
		m->failed = x->next;
		free(x);
	}
	while (m->live) {
		multi_xfer *x = m->live;
		m->live = x->next;
		curl_multi_remove_handle(m->m, x->c);
		easy_free(x->c, &x->b);
		free(x->b.data);
		free(x);
	}
	curl_multi_cleanup(m->m);
	close(m->ep);
	free(m);
}

/* An HTML page (a login page, a proxy's error page, the pprof index) is
 * named as such instead of "not a profile in any known format". */
static bool looks_like_html(const uint8_t *d, size_t n)
{
	size_t i = 0;
	while (i < n && isspace(d[i]))
		i++;
	if (i < n && d[i] == 0xef && i + 2 < n) /* a byte order mark */
		i += 3;
	const char *s = (const char *)d + i;
	size_t left = n - i;
	return (left >= 9 && !strncasecmp(s, "<!doctype", 9)) ||
	       (left >= 5 && !strncasecmp(s, "<html", 5)) ||
	       (left >= 5 && !strncasecmp(s, "<head", 5)) ||
	       (left >= 5 && !strncasecmp(s, "<body", 5));
}

/* The symbol endpoint next to a profile's URL (pprof's symbolz()). */
static char *symbol_url(const char *url)
{
	const char *host = strstr(url, "://");
	if (!host)
		return NULL;
	host += 3;
	size_t hostlen = strcspn(host, "/?#");
	const char *path = host + hostlen;
	size_t pathlen = strcspn(path, "?#");
	size_t n = (size_t)(path - url) + pathlen + 32;
	char *s = malloc(n);
	if (!s)
		return NULL;
	/* Go's handlers all live under /debug/pprof/; gperftools' end in
	 * /pprof/heap, /pprof/profile ... (pprof's hasGperftoolsSuffix). */
	static const char *const gperf[] = {"/pprof/heap", "/pprof/growth", "/pprof/profile",
					    "/pprof/pmuprofile", "/pprof/contention"};
	bool beside = false;
	const char *dp = strstr(path, "/debug/pprof/");
	if (dp && dp < path + pathlen)
		beside = true;
	for (size_t i = 0; i < sizeof(gperf) / sizeof(*gperf) && !beside; i++) {
		size_t k = strlen(gperf[i]);
		beside = pathlen >= k && !memcmp(path + pathlen - k, gperf[i], k);
	}
	if (beside) {
		/* path.Clean(path + "/../symbol"): the last element replaced. */
		size_t keep = pathlen;
		while (keep && path[keep - 1] == '/')
			keep--;
		while (keep && path[keep - 1] != '/')
			keep--;
		snprintf(s, n, "%.*s%.*ssymbol", (int)(path - url), url, (int)keep, path);
	} else {
		snprintf(s, n, "%.*s/symbolz", (int)(path - url), url);
	}
	return s;
}

typedef struct {
	uint64_t addr;
	uint32_t loc;
	/* The name the symbol endpoint gives addr, inside its response; set
	 * on the first entry of the address's run. */
	uint32_t namelen;
	const char *name;
} addr_loc;

/* One line of a symbol endpoint's answer, "0xADDR NAME" (the "0x" may be
 * left out; blanks before, between and after): false for anything else,
 * such as the first line, "num_symbols: N".  A name ends at a NUL byte. */
static bool symbol_line(const char *s, const char *end, uint64_t *addr, const char **name,
			size_t *namelen)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	if (end - s >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	uint64_t a = 0;
	int digits = 0;
	for (; s < end && isxdigit((unsigned char)*s); s++) {
		if (a >> 60) /* more than 64 bits: no address of the profile */
			return false;
		a = a << 4 | (uint64_t)(isdigit((unsigned char)*s)
					    ? *s - '0'
					    : (tolower((unsigned char)*s) - 'a' + 10));
		digits++;
	}
	if (!digits || s == end || (*s != ' ' && *s != '\t'))
		return false;
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	size_t n = strnlen(s, (size_t)(end - s));
	while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (!n)
		return false;
	*addr = a;
	*name = s;
	*namelen = n;
	return true;
}

static int cmp_addr_loc(const void *a, const void *b)
{
	const addr_loc *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* pprof's symbolz asks about the locations with an address and no lines
 * of their own, in mappings without functions; force takes mappings that
 * have functions too, but still only the locations without lines. */
static bool wants_symbol(const hearth_profile *p, const hearth_location *l, bool force)
{
	if (!l->address || l->nlines)
		return false;
	if (l->mapping == HEARTH_NONE || l->mapping >= p->nmappings)
		return false;
	return force || !p->mappings[l->mapping].has_functions;
}

hearth_err hearth_symbolize_remote(hearth_profile *p, const char *url, bool force,
				   const hearth_http_opts *hoin, size_t *nsym, hearth_errbuf *eb)
{
	*nsym = 0;
	addr_loc *al = NULL;
	char *post = NULL, *surl = NULL;
	uint8_t *resp = NULL;
	uint32_t *fn_of_str = NULL;
	size_t nal = 0, nresp = 0, nfs = 0;
	hearth_err err = HEARTH_OK;
	for (uint32_t i = 0; i < p->nlocations; i++)
		if (wants_symbol(p, &p->locations[i], force))
			nal++;
	if (nal == 0)
		return HEARTH_OK;
	if (!(al = malloc(nal * sizeof(*al))) || !(post = malloc(nal * 19 + 1))) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	nal = 0;
	for (uint32_t i = 0; i < p->nlocations; i++)
		if (wants_symbol(p, &p->locations[i], force))
			al[nal++] = (addr_loc){.addr = p->locations[i].address, .loc = i};
	qsort(al, nal, sizeof(*al), cmp_addr_loc);
	size_t pn = 0;
	for (size_t i = 0; i < nal; i++)
		if (i == 0 || al[i].addr != al[i - 1].addr)
			pn += (size_t)sprintf(post + pn, "%s%#llx", pn ? "+" : "",
					      (unsigned long long)al[i].addr);
	if (!(surl = symbol_url(url))) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	hearth_http_opts ho = *hoin;
	ho.received = 0;
	hearth_errbuf e = {{0}};
	if ((err = hearth_http_get(surl, &ho, post, pn, &resp, &nresp, &e))) {
		err = hearth_seterr(eb, err, "symbolizing with %s: %s", surl, e.msg);
		goto out;
	}
	/* First the names the answer gives the addresses asked about (the
	 * last line of an address wins, as in pprof), then each address's
	 * locations are named once: a hostile answer repeating a line cannot
	 * make the profile grow. */
	const char *d = (const char *)resp, *dend = d + nresp;
	while (d < dend) {
		const char *nl = memchr(d, '\n', (size_t)(dend - d));
		const char *le = nl ? nl : dend;
		uint64_t a;
		const char *name;
		size_t len;
		if (symbol_line(d, le, &a, &name, &len) && len <= UINT32_MAX) {
			addr_loc key = {.addr = a};
			addr_loc *hit = bsearch(&key, al, nal, sizeof(*al), cmp_addr_loc);
			if (hit) {
				while (hit > al && hit[-1].addr == a)
					hit--;
				hit->name = name;
				hit->namelen = (uint32_t)len;
			}
		}
		d = nl ? nl + 1 : dend;
	}
	for (size_t i = 0; i < nal;) {
		size_t run = i + 1;
		while (run < nal && al[run].addr == al[i].addr)
			run++;
		if (!al[i].name) {
			i = run;
			continue;
		}
		uint32_t s = hearth_intern(p, al[i].name, al[i].namelen);
		if (s == HEARTH_NONE) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			goto out;
		}
		if (s >= nfs) {
			size_t cap = (size_t)s * 2 + 64;
			uint32_t *f = realloc(fn_of_str, cap * sizeof(*f));
			if (!f) {
				err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
				goto out;
			}
			for (size_t k = nfs; k < cap; k++)
				f[k] = HEARTH_NONE;
			fn_of_str = f;
			nfs = cap;
		}
		if (fn_of_str[s] == HEARTH_NONE)
			fn_of_str[s] = hearth_add_function(p, s, s, 0, 0);
		uint32_t fn = fn_of_str[s];
		if (fn == HEARTH_NONE) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			goto out;
		}
		for (; i < run; i++) {
			/* A location of one line: appended through a scratch
			 * location, which is then dropped. */
			hearth_location *l = &p->locations[al[i].loc];
			hearth_line ln = {.function = fn};
			uint32_t tmp =
			    hearth_add_location(p, l->mapping, l->address, &ln, 1, false);
			if (tmp == HEARTH_NONE) {
				err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
				goto out;
			}
			l = &p->locations[al[i].loc];
			l->line0 = p->locations[tmp].line0;
			l->nlines = 1;
			p->nlocations--;
			(*nsym)++;
		}
	}
	for (uint32_t m = 0; m < p->nmappings && *nsym; m++)
		p->mappings[m].has_functions = true;
out:
	free(al);
	free(post);
	free(surl);
	free(resp);
	free(fn_of_str);
	return err;
}

bool hearth_is_server_source(const char *s)
{
	const char *p = !strncmp(s, "http://", 7)	       ? s + 7
			: !strncmp(s, "https://", 8)	       ? s + 8
			: !strncmp(s, "https+insecure://", 17) ? s + 17
							       : NULL;
	const char *slash = p ? strchr(p, '/') : NULL;
	return slash && strstr(slash, "/{") != NULL;
}

/* A hearth server's merge of a selector over a range, as a profile: the
 * server's render/download of it as pprof, with the caller's token. */
static hearth_err fetch_server(const char *source, const hearth_opts *o, const hearth_read_opts *ro,
			       hearth_profile **out, hearth_errbuf *eb)
{
	hearth_http_opts ho = {.max_size = o->max_size,
			       .timeout_s = o->timeout > 0 ? o->timeout : 300};
	const char *p = source, *scheme = "http";
	if (!strncmp(p, "https+insecure://", 17))
		p += 17, scheme = "https", ho.insecure = true;
	else if (!strncmp(p, "https://", 8))
		p += 8, scheme = "https";
	else
		p += 7;
	const char *sel = strstr(strchr(p, '/'), "/{");
	char *esel = NULL, *efrom = NULL, *euntil = NULL, *etype = NULL, *url = NULL, *auth = NULL;
	uint8_t *body = NULL;
	size_t n = 0;
	hearth_err err = HEARTH_OK;
	hearth_http_init();
	CURL *c = curl_easy_init();
	if (!c)
		return hearth_seterr(eb, HEARTH_ENOMEM, "cannot start an HTTP client");
	esel = curl_easy_escape(c, sel + 1, 0);
	efrom = curl_easy_escape(c, o->from ? o->from : "-1h", 0);
	euntil = curl_easy_escape(c, o->until ? o->until : "now", 0);
	etype = o->type ? curl_easy_escape(c, o->type, 0) : NULL;
	if (!esel || !efrom || !euntil || (o->type && !etype) ||
	    asprintf(&url,
		     "%s://%.*s/api/v1/render/download?format=pprof&query=%s&from=%s&until=%s%s%s",
		     scheme, (int)(sel - p), p, esel, efrom, euntil, etype ? "&type=" : "",
		     etype ? etype : "") < 0) {
		url = NULL;
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	if (o->token && *o->token) {
		if (asprintf(&auth, "Bearer %s", o->token) < 0) {
			auth = NULL;
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			goto out;
		}
		ho.authorization = auth;
	}
	hearth_errbuf e = {{0}};
	if ((err = hearth_http_get(url, &ho, NULL, 0, &body, &n, &e))) {
		hearth_seterr(eb, err, "%s", e.msg);
		goto out;
	}
	err = hearth_parse(body, n, ro, out, eb);
out:
	curl_free(esel);
	curl_free(efrom);
	curl_free(euntil);
	curl_free(etype);
	curl_easy_cleanup(c);
	free(url);
	free(auth);
	free(body);
	return err;
}

hearth_err hearth_fetch_profile(const char *source, const hearth_opts *o,
				const hearth_read_opts *ro, hearth_profile **out, hearth_errbuf *eb)
{
	*out = NULL;
	if (hearth_is_server_source(source))
		return fetch_server(source, o, ro, out, eb);
	hearth_http_opts ho = {.max_size = o->max_size};
	char *url = hearth_url_adjust(source, o->seconds, o->timeout, &ho.timeout_s, &ho.insecure);
	uint8_t *body = NULL;
	size_t n = 0;
	hearth_err err;
	if (!url)
		return hearth_seterr(
		    eb, HEARTH_EINVAL,
		    "not a URL hearth can fetch (http[s]://HOST[:PORT][/PATH], a host "
		    "is needed)");
	hearth_errbuf e = {{0}};
	if ((err = hearth_http_get(url, &ho, NULL, 0, &body, &n, &e))) {
		hearth_seterr(eb, err, "%s", e.msg);
		goto out;
	}
	if (looks_like_html(body, n)) {
		err = hearth_seterr(eb, HEARTH_EFORMAT,
				    "received an HTML page, not a profile (is it a /debug/pprof/ "
				    "endpoint?)");
		goto out;
	}
	if ((err = hearth_parse(body, n, ro, out, eb)))
		goto out;
	/* pprof's modes: remote by default, not after local or fastlocal
	 * (unless remote follows), never with none. */
	bool remote = true, force = false, asked = false;
	for (const char *w = o->symbolize; w && *w;) {
		size_t wn = strcspn(w, ":");
		if ((wn == 4 && !strncasecmp(w, "none", 4)) ||
		    (wn == 2 && !strncasecmp(w, "no", 2))) {
			remote = false;
			break;
		}
		if ((wn == 5 && !strncasecmp(w, "local", 5)) ||
		    (wn == 9 && !strncasecmp(w, "fastlocal", 9)))
			remote = false;
		else if (wn == 6 && !strncasecmp(w, "remote", 6))
			remote = asked = true;
		else if (wn == 5 && !strncasecmp(w, "force", 5))
			force = asked = true;
		w += wn + (w[wn] == ':');
	}
	if (remote) {
		size_t nsym;
		e = (hearth_errbuf){{0}};
		hearth_err serr = hearth_symbolize_remote(*out, url, force, &ho, &nsym, &e);
		/* As in pprof, a failed symbolization by default leaves the
		 * addresses as they were; asked for, it is an error. */
		if (serr && asked) {
			err = hearth_seterr(eb, serr, "%s", e.msg);
			hearth_profile_free(*out);
			*out = NULL;
		}
	}
out:
	free(url);
	free(body);
	return err;
}
