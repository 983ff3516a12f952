/* Who may do what: tokens (Bearer, or Basic with the token as the password,
 * as the Pyroscope SDK sends it), the UI's session cookie with its CSRF
 * token, scopes per route, signup, the tokens API, and the token buckets
 * that bound requests per tenant and signups per address.
 *
 * Sessions live in the store, hashed, so a restart keeps the UI logged in;
 * each is checked with the store on every request against the token it was
 * made from, so revoking the token ends its sessions at once. */
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "service.h"

#define LIMIT_BUCKETS 1024
#define MAX_LIMITER_KEYS 65536

/* ---- helpers shared by the service's files ---- */

int64_t svc_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void svc_json(hearth_api_resp *resp, int status, void *obj)
{
	json_t *o = obj;
	char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!s) {
		hearth_api_error(resp, 500, "out of memory");
		return;
	}
	hearth_buf_free(&resp->body);
	resp->status = status;
	resp->type = SVC_JSON;
	hearth_buf_puts(&resp->body, s);
	hearth_buf_put(&resp->body, "\n", 1);
	free(s);
	if (resp->body.oom)
		hearth_api_error(resp, 500, "out of memory");
}

int svc_status(hearth_err err, const hearth_errbuf *eb, bool write)
{
	switch (err) {
	case HEARTH_OK:
		return 200;
	case HEARTH_EINVAL:
		return strstr(eb->msg, "not found") ? 404 : 400;
	case HEARTH_EFORMAT:
	case HEARTH_ECORRUPT:
	case HEARTH_EINCOMPAT:
		return 400;
	case HEARTH_ETOOBIG:
		return 413;
	case HEARTH_ECOST:
		return 422;
	case HEARTH_ENOMEM:
	case HEARTH_EBUDGET:
		return 503;
	case HEARTH_EIO:
		/* An object store that does not answer (-objects): unavailable
		 * for now, worth a retry; nothing of the request was stored. */
		if (!strncmp(eb->msg, "objects:", 8))
			return 503;
		/* A store that cannot be written (a full disk): the request was
		 * fine, nothing of it was stored. */
		return write ? 507 : 500;
	}
	return 500;
}

void svc_fail(hearth_api_resp *resp, hearth_err err, const hearth_errbuf *eb, bool write)
{
	hearth_api_error(resp, svc_status(err, eb, write),
			 eb->msg[0] ? eb->msg : hearth_strerror(err));
}

static json_t *scopes_json(unsigned scopes)
{
	json_t *a = json_array();
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {{HEARTH_SCOPE_PUSH, "push"},
		     {HEARTH_SCOPE_READ, "read"},
		     {HEARTH_SCOPE_ADMIN, "admin"}};
	for (size_t i = 0; a && i < sizeof(names) / sizeof(names[0]); i++)
		if (scopes & names[i].bit)
			json_array_append_new(a, json_string(names[i].name));
	return a;
}

/* ---- token buckets ---- */

typedef struct lentry {
	struct lentry *next;
	double tokens;
	int64_t last;
	uint64_t gen;
	char key[64];
} lentry;

struct svc_limiter {
	pthread_mutex_t mu;
	double rate, burst;
	lentry *b[LIMIT_BUCKETS];
	size_t n;
};

svc_limiter *svc_limiter_new(double rate, double burst)
{
	svc_limiter *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	pthread_mutex_init(&l->mu, NULL);
	l->rate = rate;
	l->burst = burst < 1 ? 1 : burst;
	return l;
}

static void limiter_clear(svc_limiter *l)
{
	for (size_t i = 0; i < LIMIT_BUCKETS; i++)
		for (lentry *e = l->b[i], *n; e; e = n) {
			n = e->next;
			free(e);
		}
	memset(l->b, 0, sizeof(l->b));
	l->n = 0;
}

void svc_limiter_free(svc_limiter *l)
{
	if (!l)
		return;
	limiter_clear(l);
	pthread_mutex_destroy(&l->mu);
	free(l);
}

static size_t hash_str(const char *s)
{
	size_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The entry of key (created full); NULL when out of memory.  Under l->mu. */
static lentry *lookup(svc_limiter *l, const char *key, int64_t now)
{
	size_t h = hash_str(key) % LIMIT_BUCKETS;
	for (lentry *e = l->b[h]; e; e = e->next)
		if (!strcmp(e->key, key))
			return e;
	/* Many keys (addresses): forget them all, every bucket full again;
	 * the cap bounds memory, not fairness. */
	if (l->n >= MAX_LIMITER_KEYS)
		limiter_clear(l);
	lentry *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	snprintf(e->key, sizeof(e->key), "%s", key);
	e->tokens = l->burst;
	e->last = now;
	e->next = l->b[h];
	l->b[h] = e;
	l->n++;
	return e;
}

bool svc_limiter_take(svc_limiter *l, const char *key, int *retry_after)
{
	if (!l || l->rate <= 0)
		return true;
	int64_t now = svc_now();
	bool ok = true;
	pthread_mutex_lock(&l->mu);
	lentry *e = lookup(l, key, now);
	if (e) {
		e->tokens += (double)(now - e->last) / 1e9 * l->rate;
		if (e->tokens > l->burst)
			e->tokens = l->burst;
		e->last = now;
		if (e->tokens >= 1) {
			e->tokens -= 1;
		} else {
			ok = false;
			double wait = (1 - e->tokens) / l->rate;
			*retry_after = wait < 1 ? 1 : (int)(wait + 0.999);
		}
	}
	pthread_mutex_unlock(&l->mu);
	return ok;
}

uint64_t svc_tenant_gen(hearth_service *s, int64_t tenant, bool bump)
{
	svc_limiter *l = s->tenant_rate;
	char key[32];
	uint64_t g = 0;
	snprintf(key, sizeof(key), "%lld", (long long)tenant);
	pthread_mutex_lock(&l->mu);
	lentry *e = lookup(l, key, svc_now());
	if (e) {
		if (bump)
			e->gen++;
		g = e->gen;
	}
	pthread_mutex_unlock(&l->mu);
	return g;
}

/* ---- sessions ----
 *
 * In the store (hearth_store_session_*): the SHA-256 of the cookie's id,
 * the tenant, the token that made it and its expiry, so a restart (or a
 * kill) of the server keeps the UI logged in.  A session answers with its
 * token's current scopes, and revoking the token deletes its sessions. */

/* The value of cookie name in a Cookie header, into out; false if absent. */
static bool cookie_value(const char *hdr, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);
	for (const char *p = hdr; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		size_t len = strcspn(p, ";");
		if (len > nl && !strncmp(p, name, nl) && p[nl] == '=') {
			size_t vl = len - nl - 1;
			if (vl >= n)
				return false;
			memcpy(out, p + nl + 1, vl);
			out[vl] = 0;
			return true;
		}
		p += len;
	}
	return false;
}

/* ---- authentication ---- */

static void unauthorized(hearth_api_resp *resp, const char *msg)
{
	hearth_api_error(resp, 401, msg);
	resp->www_authenticate = "Bearer realm=\"hearth\"";
}

/* The secret of an Authorization header: Bearer TOKEN, or Basic with the
 * token as the password (any user name).  false when malformed. */
static bool header_token(const char *h, char *out, size_t n)
{
	while (*h == ' ')
		h++;
	if (!strncasecmp(h, "Bearer ", 7)) {
		h += 7;
		while (*h == ' ')
			h++;
		size_t l = strcspn(h, " \t");
		if (!l || l >= n)
			return false;
		memcpy(out, h, l);
		out[l] = 0;
		return true;
	}
	if (!strncasecmp(h, "Basic ", 6)) {
		h += 6;
		while (*h == ' ')
			h++;
		size_t l = strcspn(h, " \t");
		unsigned char dec[512];
		if (!l || l % 4 || l / 4 * 3 >= sizeof(dec))
			return false;
		int dl = EVP_DecodeBlock(dec, (const unsigned char *)h, (int)l);
		if (dl < 0)
			return false;
		/* EVP_DecodeBlock counts the padding's zero bytes. */
		if (h[l - 1] == '=')
			dl--;
		if (h[l - 2] == '=')
			dl--;
		dec[dl] = 0;
		if (memchr(dec, 0, (size_t)dl))
			return false;
		const char *colon = memchr(dec, ':', (size_t)dl);
		const char *pw = colon ? colon + 1 : (const char *)dec;
		size_t pl = strlen(pw);
		if (!pl || pl >= n)
			return false;
		memcpy(out, pw, pl + 1);
		OPENSSL_cleanse(dec, sizeof(dec));
		return true;
	}
	return false;
}

bool svc_authenticate(hearth_service *s, const hearth_req *req, svc_caller *c,
		      hearth_api_resp *resp)
{
	char token[256];
	hearth_errbuf eb = {{0}};
	memset(c, 0, sizeof(*c));
	if (req->authorization) {
		if (!header_token(req->authorization, token, sizeof(token))) {
			unauthorized(resp, "Authorization: want Bearer TOKEN, or Basic with the "
					   "token as the password");
			return false;
		}
	} else {
		char id[72];
		if (!req->cookie || !cookie_value(req->cookie, "hearth_session", id, sizeof(id))) {
			unauthorized(resp, "authentication required: a token (Authorization: "
					   "Bearer TOKEN) or a session (POST /api/v1/login)");
			return false;
		}
		hearth_err err =
		    hearth_store_session_auth(s->st, id, &c->tenant, &c->scopes, c->csrf, &eb);
		if (err == HEARTH_EINVAL) {
			unauthorized(resp, "the session has ended: log in again");
			return false;
		}
		if (err) {
			svc_fail(resp, err, &eb, false);
			return false;
		}
		c->cookie = true;
		snprintf(c->session, sizeof(c->session), "%s", id);
	}
	if (!c->cookie) {
		hearth_err err = hearth_store_token_auth(s->st, token, &c->tenant, &c->scopes, &eb);
		OPENSSL_cleanse(token, sizeof(token));
		if (err == HEARTH_EINVAL) {
			unauthorized(resp, "invalid token");
			return false;
		}
		if (err) {
			svc_fail(resp, err, &eb, false);
			return false;
		}
	}
	char key[32];
	int retry = 1;
	snprintf(key, sizeof(key), "%lld", (long long)c->tenant);
	if (!svc_limiter_take(s->tenant_rate, key, &retry)) {
		hearth_api_error(resp, 429, "too many requests for this tenant: slow down");
		resp->retry_after = retry;
		return false;
	}
	return true;
}

static bool is_write(const hearth_req *req)
{
	return strcmp(req->method, "GET") && strcmp(req->method, "HEAD");
}

/* Through the cookie, a write must prove it comes from the UI's own page:
 * the CSRF secret only that page was given, and not from another site. */
static bool csrf_ok(const hearth_req *req, const char *csrf)
{
	if (req->sec_fetch_site && !strcmp(req->sec_fetch_site, "cross-site"))
		return false;
	size_t n = strlen(csrf);
	return req->csrf && n && strlen(req->csrf) == n && !CRYPTO_memcmp(req->csrf, csrf, n);
}

bool svc_allow(const hearth_req *req, const svc_caller *c, unsigned scope, hearth_api_resp *resp)
{
	if (c->cookie && is_write(req) && !csrf_ok(req, c->csrf)) {
		hearth_api_error(resp, 403,
				 "a write through the session cookie needs the X-Hearth-CSRF "
				 "header (the csrf value of /api/v1/login or /api/v1/whoami)");
		return false;
	}
	if (!(c->scopes & scope)) {
		char need[32];
		hearth_scopes_format(scope, need, sizeof(need));
		char msg[96];
		snprintf(msg, sizeof(msg), "this token lacks the %s scope", need);
		hearth_api_error(resp, 403, msg);
		return false;
	}
	return true;
}

/* {"tenant": NAME, "scopes": [...], "csrf": ...} */
static json_t *identity(hearth_service *s, int64_t tenant, unsigned scopes, const char *csrf)
{
	char name[128] = "";
	hearth_errbuf eb = {{0}};
	hearth_store_tenant_name(s->st, tenant, name, sizeof(name), &eb);
	json_t *o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "tenant", json_string(name));
	json_object_set_new(o, "scopes", scopes_json(scopes));
	if (csrf)
		json_object_set_new(o, "csrf", json_string(csrf));
	return o;
}

static bool addr_limit(svc_limiter *l, const hearth_req *req, hearth_api_resp *resp,
		       const char *what)
{
	int retry = 1;
	if (svc_limiter_take(l, req->client, &retry))
		return true;
	char msg[128];
	snprintf(msg, sizeof(msg), "too many %s from this address: try again later", what);
	hearth_api_error(resp, 429, msg);
	resp->retry_after = retry;
	return false;
}

void svc_login(hearth_service *s, const hearth_req *req, hearth_api_resp *resp)
{
	json_error_t je;
	if (!addr_limit(s->login_rate, req, resp, "logins"))
		return;
	if (req->sec_fetch_site && !strcmp(req->sec_fetch_site, "cross-site")) {
		hearth_api_error(resp, 403, "login from another site is refused");
		return;
	}
	/* JSON only: a form of another site cannot send it without asking
	 * (CORS), so it cannot log a browser into the attacker's tenant. */
	if (!req->content_type || strncasecmp(req->content_type, "application/json", 16)) {
		hearth_api_error(resp, 415, "login: want Content-Type: application/json");
		return;
	}
	json_t *o = json_loadb(req->body, req->body_len, 0, &je);
	const char *token = o ? json_string_value(json_object_get(o, "token")) : NULL;
	if (!token || !*token) {
		json_decref(o);
		hearth_api_error(resp, 400, "login: want a JSON body {\"token\": \"...\"}");
		return;
	}
	int64_t tenant;
	unsigned scopes;
	hearth_errbuf eb = {{0}};
	char id[HEARTH_SESSION_ID_LEN + 1], csrf[HEARTH_SESSION_ID_LEN + 1];
	int64_t ttl = s->cfg.session_nanos;
	hearth_err err =
	    hearth_store_session_create(s->st, token, ttl, id, csrf, &tenant, &scopes, &eb);
	json_decref(o);
	if (err == HEARTH_EINVAL) {
		unauthorized(resp, "invalid token");
		return;
	}
	if (err == HEARTH_ETOOBIG) {
		hearth_api_error(resp, 503, "cannot start a session now: too many sessions");
		return;
	}
	if (err) {
		svc_fail(resp, err, &eb, true);
		return;
	}
	svc_json(resp, 200, identity(s, tenant, scopes, csrf));
	snprintf(resp->set_cookie, sizeof(resp->set_cookie),
		 "hearth_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%lld", id,
		 (long long)(ttl / 1000000000));
	OPENSSL_cleanse(id, sizeof(id));
}

void svc_logout(hearth_service *s, const hearth_req *req, hearth_api_resp *resp)
{
	char id[72], csrf[HEARTH_SESSION_ID_LEN + 1];
	int64_t tenant;
	unsigned scopes;
	hearth_errbuf eb = {{0}};
	if (req->cookie && cookie_value(req->cookie, "hearth_session", id, sizeof(id)) &&
	    !hearth_store_session_auth(s->st, id, &tenant, &scopes, csrf, &eb)) {
		if (!csrf_ok(req, csrf)) {
			hearth_api_error(resp, 403, "logout needs the X-Hearth-CSRF header");
			return;
		}
		hearth_err err = hearth_store_session_end(s->st, id, &eb);
		if (err) {
			svc_fail(resp, err, &eb, true);
			return;
		}
	}
	json_t *o = json_object();
	json_object_set_new(o, "ok", json_true());
	svc_json(resp, 200, o);
	snprintf(resp->set_cookie, sizeof(resp->set_cookie),
		 "hearth_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
}

void svc_whoami(hearth_service *s, const hearth_req *req, const svc_caller *c,
		hearth_api_resp *resp)
{
	svc_json(resp, 200, identity(s, c->tenant, c->scopes, c->cookie ? c->csrf : NULL));
}

void svc_signup(hearth_service *s, const hearth_req *req, hearth_api_resp *resp)
{
	if (!s->cfg.signup_open) {
		hearth_api_error(resp, 403,
				 "signup is closed on this server (hearth serve "
				 "-signup=open opens it)");
		return;
	}
	if (!addr_limit(s->signup_rate, req, resp, "signups"))
		return;
	int64_t tenant, id;
	char name[128], token[HEARTH_TOKEN_LEN + 1];
	hearth_errbuf eb = {{0}};
	hearth_err err = hearth_store_tenant_new(s->st, &tenant, name, sizeof(name), &eb);
	if (!err)
		err = hearth_store_token_create(
		    s->st, tenant, HEARTH_SCOPE_PUSH | HEARTH_SCOPE_READ | HEARTH_SCOPE_ADMIN,
		    "signup", token, &id, &eb);
	if (err) {
		svc_fail(resp, err, &eb, true);
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "tenant", json_string(name));
	json_object_set_new(o, "token", json_string(token));
	json_object_set_new(
	    o, "scopes", scopes_json(HEARTH_SCOPE_PUSH | HEARTH_SCOPE_READ | HEARTH_SCOPE_ADMIN));
	OPENSSL_cleanse(token, sizeof(token));
	svc_json(resp, 200, o);
}

/* ---- the tokens API ---- */

static void tokens_list(hearth_service *s, const svc_caller *c, hearth_api_resp *resp)
{
	enum { MAX = 1000 };
	hearth_token_info *v = calloc(MAX, sizeof(*v));
	size_t n = 0;
	hearth_errbuf eb = {{0}};
	if (!v) {
		hearth_api_error(resp, 503, "out of memory");
		return;
	}
	hearth_err err = hearth_store_token_list(s->st, c->tenant, v, MAX, &n, &eb);
	if (err) {
		free(v);
		svc_fail(resp, err, &eb, false);
		return;
	}
	json_t *o = json_object(), *a = json_array();
	for (size_t i = 0; a && i < n; i++) {
		json_t *t = json_object();
		char *d = hearth_utf8_clean(v[i].description);
		json_object_set_new(t, "id", json_integer(v[i].id));
		json_object_set_new(t, "scopes", scopes_json(v[i].scopes));
		json_object_set_new(t, "description", json_string(d ? d : ""));
		json_object_set_new(t, "prefix", json_string(v[i].prefix));
		json_object_set_new(t, "created", json_integer(v[i].created_nanos));
		json_object_set_new(t, "last_used", json_integer(v[i].last_used_nanos));
		json_object_set_new(t, "revoked", json_boolean(v[i].revoked));
		json_array_append_new(a, t);
		free(d);
	}
	json_object_set_new(o, "tokens", a);
	free(v);
	svc_json(resp, 200, o);
}

static void tokens_create(hearth_service *s, const hearth_req *req, const svc_caller *c,
			  hearth_api_resp *resp)
{
	json_error_t je;
	json_t *o = req->body_len ? json_loadb(req->body, req->body_len, 0, &je) : json_object();
	hearth_errbuf eb = {{0}};
	unsigned scopes = HEARTH_SCOPE_PUSH | HEARTH_SCOPE_READ;
	if (!json_is_object(o)) {
		json_decref(o);
		hearth_api_error(resp, 400,
				 "want a JSON body {\"scopes\": \"push,read\", \"description\": "
				 "\"...\"}");
		return;
	}
	json_t *sc = json_object_get(o, "scopes");
	char buf[128] = "";
	if (json_is_array(sc)) {
		size_t i;
		json_t *x;
		json_array_foreach(sc, i, x)
		{
			const char *v = json_string_value(x);
			if (!v || strlen(buf) + strlen(v) + 2 > sizeof(buf)) {
				buf[0] = 0, scopes = 0;
				break;
			}
			if (buf[0])
				strcat(buf, ",");
			strcat(buf, v);
		}
	} else if (json_is_string(sc)) {
		snprintf(buf, sizeof(buf), "%s", json_string_value(sc));
	}
	hearth_err err = HEARTH_OK;
	if (sc && (err = hearth_scopes_parse(buf, &scopes, &eb))) {
		json_decref(o);
		svc_fail(resp, err, &eb, false);
		return;
	}
	const char *desc = json_string_value(json_object_get(o, "description"));
	if (desc && strlen(desc) > 127) {
		json_decref(o);
		hearth_api_error(resp, 400, "description: at most 127 bytes");
		return;
	}
	char token[HEARTH_TOKEN_LEN + 1];
	int64_t id;
	err =
	    hearth_store_token_create(s->st, c->tenant, scopes, desc ? desc : "", token, &id, &eb);
	json_decref(o);
	if (err) {
		svc_fail(resp, err, &eb, true);
		return;
	}
	json_t *r = json_object();
	json_object_set_new(r, "id", json_integer(id));
	json_object_set_new(r, "token", json_string(token));
	json_object_set_new(r, "scopes", scopes_json(scopes));
	OPENSSL_cleanse(token, sizeof(token));
	svc_json(resp, 200, r);
}

void svc_tokens(hearth_service *s, const hearth_req *req, const svc_caller *c, const char *rest,
		hearth_api_resp *resp)
{
	if (!svc_allow(req, c, HEARTH_SCOPE_ADMIN, resp))
		return;
	bool get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
	if (!*rest && get) {
		tokens_list(s, c, resp);
		return;
	}
	if (!*rest && !strcmp(req->method, "POST")) {
		tokens_create(s, req, c, resp);
		return;
	}
	if (*rest == '/' && !strcmp(req->method, "DELETE")) {
		char *end;
		long long id = strtoll(rest + 1, &end, 10);
		if (!rest[1] || *end || id <= 0) {
			hearth_api_error(resp, 404, "not found");
			return;
		}
		hearth_errbuf eb = {{0}};
		hearth_err err = hearth_store_token_revoke(s->st, c->tenant, id, &eb);
		if (err) {
			svc_fail(resp, err, &eb, true);
			return;
		}
		json_t *o = json_object();
		json_object_set_new(o, "revoked", json_integer(id));
		svc_json(resp, 200, o);
		return;
	}
	hearth_api_error(resp, *rest && *rest != '/' ? 404 : 405,
			 *rest && *rest != '/' ? "not found" : "method not allowed");
	resp->allow = *rest ? "DELETE" : "GET, HEAD, POST";
}
