/* The store's front: argument checks common to every backend, token secrets,
 * scopes, profile types and aggregation; then a call to the backend's ops. */
#include <ctype.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/backend.h"
#include "util.h"

struct hearth_store {
	const hearth_store_ops *ops;
	void *be;
};

int64_t hearth_store_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- opening ---- */

hearth_err hearth_store_open(const char *url, const hearth_store_config *cfg, hearth_store **out,
			     hearth_errbuf *eb)
{
	hearth_store_config def = {0};
	*out = NULL;
	if (!url || !*url)
		return hearth_seterr(eb, HEARTH_EINVAL, "store: no data directory");
	if (!cfg)
		cfg = &def;
	const char *path = url;
	const hearth_store_ops *ops = &hearth_store_sqlite_ops;
	if (!strncmp(url, "sqlite:", 7))
		path = url + 7;
	else if (!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13))
		ops = &hearth_store_postgres_ops; /* libpq reads the URL whole */
	else if (strstr(url, "://"))
		return hearth_seterr(eb, HEARTH_EINVAL, "store %s: unknown kind of store", url);
	hearth_store *st = calloc(1, sizeof(*st));
	if (!st)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	st->ops = ops;
	hearth_err err = st->ops->open(path, cfg, &st->be, eb);
	if (err) {
		free(st);
		return err;
	}
	*out = st;
	return HEARTH_OK;
}

void hearth_store_close(hearth_store *st)
{
	if (!st)
		return;
	st->ops->close(st->be);
	free(st);
}

/* ---- checks ---- */

static bool valid_tenant_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

static bool valid_label_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	if (n < 1 || n > 128)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
		if (!(alpha || (i > 0 && ((c >= '0' && c <= '9') || c == '.'))))
			return false;
	}
	return true;
}

/* UTF-8 without control characters, at most max bytes. */
static bool valid_text(const char *s, size_t min, size_t max)
{
	size_t n = s ? strlen(s) : 0;
	if (!s || n < min || n > max)
		return false;
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		unsigned c = p[i];
		if (c < 0x20 || c == 0x7f)
			return false;
		size_t len = c < 0x80		  ? 1
			     : (c & 0xe0) == 0xc0 ? 2
			     : (c & 0xf0) == 0xe0 ? 3
			     : (c & 0xf8) == 0xf0 ? 4
						  : 0;
		if (!len || i + len > n || (len == 2 && c < 0xc2))
			return false;
		for (size_t k = 1; k < len; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
		i += len;
	}
	return true;
}

static hearth_err check_range(int64_t from, int64_t until, hearth_errbuf *eb)
{
	if (from >= until)
		return hearth_seterr(eb, HEARTH_EINVAL, "empty time range");
	return HEARTH_OK;
}

static hearth_err check_tenant(int64_t tenant, hearth_errbuf *eb)
{
	if (tenant <= 0)
		return hearth_seterr(eb, HEARTH_EINVAL, "tenant not found");
	return HEARTH_OK;
}

static int cmp_kv(const void *a, const void *b)
{
	return strcmp(((const hearth_kv *)a)->name, ((const hearth_kv *)b)->name);
}

char *hearth_labels_canon(const hearth_kv *labels, size_t n)
{
	hearth_kv *s = malloc((n + 1) * sizeof(*s));
	if (!s)
		return NULL;
	if (n)
		memcpy(s, labels, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_kv);
	size_t len = 1;
	for (size_t i = 0; i < n; i++)
		len += strlen(s[i].name) + strlen(s[i].value) + 2;
	char *out = malloc(len), *w = out;
	if (out) {
		for (size_t i = 0; i < n; i++)
			w += sprintf(w, "%s%s\x01%s", i ? "\x02" : "", s[i].name, s[i].value);
		*w = 0;
	}
	free(s);
	return out;
}

hearth_err hearth_labels_uncanon(const char *canon, hearth_kv **kv, size_t *n, char **mem)
{
	*kv = NULL;
	*n = 0;
	*mem = strdup(canon);
	if (!*mem)
		return HEARTH_ENOMEM;
	if (!**mem)
		return HEARTH_OK;
	size_t cnt = 1;
	for (const char *p = canon; *p; p++)
		cnt += *p == '\x02';
	*kv = calloc(cnt, sizeof(**kv));
	if (!*kv) {
		free(*mem);
		*mem = NULL;
		return HEARTH_ENOMEM;
	}
	char *p = *mem;
	for (size_t i = 0; i < cnt; i++) {
		char *end = strchr(p, '\x02');
		if (end)
			*end = 0;
		char *eq = strchr(p, '\x01');
		if (eq)
			*eq = 0;
		(*kv)[i].name = p;
		(*kv)[i].value = eq ? eq + 1 : "";
		p = end ? end + 1 : p + strlen(p);
	}
	*n = cnt;
	return HEARTH_OK;
}

/* ---- tenants and tokens ---- */

hearth_err hearth_scopes_parse(const char *s, unsigned *scopes, hearth_errbuf *eb)
{
	*scopes = 0;
	if (!s)
		return hearth_seterr(eb, HEARTH_EINVAL, "no scope");
	const char *p = s;
	while (*p) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		while (n && *p == ' ')
			p++, n--;
		while (n && p[n - 1] == ' ')
			n--;
		if (n == 4 && !strncmp(p, "push", 4))
			*scopes |= HEARTH_SCOPE_PUSH;
		else if (n == 4 && !strncmp(p, "read", 4))
			*scopes |= HEARTH_SCOPE_READ;
		else if (n == 5 && !strncmp(p, "admin", 5))
			*scopes |= HEARTH_SCOPE_ADMIN;
		else
			return hearth_seterr(eb, HEARTH_EINVAL,
					     "unknown scope \"%.*s\" (push, read, admin)",
					     (int)(n > 40 ? 40 : n), p);
		p = e ? e + 1 : p + strlen(p);
	}
	if (!*scopes)
		return hearth_seterr(eb, HEARTH_EINVAL, "no scope");
	return HEARTH_OK;
}

void hearth_scopes_format(unsigned scopes, char *out, size_t n)
{
	if (!n)
		return;
	snprintf(out, n, "%s%s%s%s%s", scopes & HEARTH_SCOPE_PUSH ? "push" : "",
		 (scopes & HEARTH_SCOPE_PUSH) && (scopes & 6) ? "," : "",
		 scopes & HEARTH_SCOPE_READ ? "read" : "",
		 (scopes & HEARTH_SCOPE_READ) && (scopes & 4) ? "," : "",
		 scopes & HEARTH_SCOPE_ADMIN ? "admin" : "");
}

hearth_err hearth_store_tenant_ensure(hearth_store *st, const char *name, int64_t *tenant,
				      hearth_errbuf *eb)
{
	if (!valid_tenant_name(name))
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "bad tenant name (1 to 64 of A-Z a-z 0-9 . _ -)");
	return st->ops->tenant_ensure(st->be, name, tenant, eb);
}

hearth_err hearth_store_tenant_lookup(hearth_store *st, const char *name, int64_t *tenant,
				      hearth_errbuf *eb)
{
	*tenant = 0;
	if (!valid_tenant_name(name))
		return hearth_seterr(eb, HEARTH_EINVAL, "tenant not found");
	return st->ops->tenant_lookup(st->be, name, tenant, eb);
}

hearth_err hearth_store_tenant_new(hearth_store *st, int64_t *tenant, char *name, size_t namen,
				   hearth_errbuf *eb)
{
	unsigned char r[8];
	char nm[24];
	if (RAND_bytes(r, sizeof(r)) != 1)
		return hearth_seterr(eb, HEARTH_EIO, "no random bytes");
	snprintf(nm, sizeof(nm), "t-%02x%02x%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2], r[3], r[4],
		 r[5], r[6], r[7]);
	if (namen < strlen(nm) + 1)
		return hearth_seterr(eb, HEARTH_EINVAL, "tenant name buffer too small");
	hearth_err err = st->ops->tenant_ensure(st->be, nm, tenant, eb);
	if (!err)
		snprintf(name, namen, "%s", nm);
	return err;
}

hearth_err hearth_store_tenant_name(hearth_store *st, int64_t tenant, char *name, size_t namen,
				    hearth_errbuf *eb)
{
	hearth_err err = check_tenant(tenant, eb);
	return err ? err : st->ops->tenant_name(st->be, tenant, name, namen, eb);
}

hearth_err hearth_store_tenant_set_retention(hearth_store *st, int64_t tenant,
					     int64_t retention_nanos, hearth_errbuf *eb)
{
	hearth_err err = check_tenant(tenant, eb);
	if (!err && retention_nanos < 0)
		err = hearth_seterr(eb, HEARTH_EINVAL, "negative retention");
	return err ? err : st->ops->tenant_set_retention(st->be, tenant, retention_nanos, eb);
}

static void token_hash(const char *token, uint8_t out[32])
{
	SHA256((const unsigned char *)token, strlen(token), out);
}

hearth_err hearth_store_token_create(hearth_store *st, int64_t tenant, unsigned scopes,
				     const char *description, char *token, int64_t *id,
				     hearth_errbuf *eb)
{
	static const char b64[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	hearth_err err = check_tenant(tenant, eb);
	if (err)
		return err;
	if (!scopes || (scopes & ~7u))
		return hearth_seterr(eb, HEARTH_EINVAL, "bad scopes");
	if (description && !valid_text(description, 0, 127))
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "bad token description (at most 127 bytes of text)");
	unsigned char r[33] = {0};
	if (RAND_bytes(r, 32) != 1)
		return hearth_seterr(eb, HEARTH_EIO, "no random bytes");
	/* 32 bytes -> 43 base64url characters (no padding). */
	char *w = token;
	memcpy(w, "hth_", 4);
	w += 4;
	for (int i = 0; i < 33; i += 3) {
		uint32_t v = (uint32_t)r[i] << 16 | (uint32_t)r[i + 1] << 8 | r[i + 2];
		int left = 32 - i; /* bytes left: 3, or 2 at the end */
		*w++ = b64[v >> 18 & 63];
		*w++ = b64[v >> 12 & 63];
		*w++ = b64[v >> 6 & 63];
		if (left >= 3)
			*w++ = b64[v & 63];
	}
	*w = 0;
	OPENSSL_cleanse(r, sizeof(r));
	uint8_t h[32];
	char prefix[12];
	token_hash(token, h);
	snprintf(prefix, sizeof(prefix), "%.11s", token);
	return st->ops->token_insert(st->be, tenant, scopes, description ? description : "", h,
				     prefix, hearth_store_now(), id, eb);
}

/* The token's tenant, scopes and id (token_auth's checks). */
static hearth_err token_auth_id(hearth_store *st, const char *token, int64_t *tenant,
				unsigned *scopes, int64_t *token_id, hearth_errbuf *eb)
{
	uint8_t h[32], stored[32];
	bool revoked = false;
	*tenant = 0;
	*scopes = 0;
	/* A malformed token is hashed and looked up like any other, so the
	 * answer takes about the same time. */
	bool wellformed = token && strlen(token) == HEARTH_TOKEN_LEN && !strncmp(token, "hth_", 4);
	token_hash(token ? token : "", h);
	int64_t t = 0, tid = 0;
	unsigned sc = 0;
	hearth_err err = st->ops->token_lookup(st->be, h, hearth_store_now(), &t, &sc, &revoked,
					       stored, &tid, eb);
	if (err && err != HEARTH_EINVAL)
		return err;
	if (err || !wellformed || revoked || CRYPTO_memcmp(h, stored, 32) != 0)
		return hearth_seterr(eb, HEARTH_EINVAL, "invalid token");
	*tenant = t;
	*scopes = sc;
	*token_id = tid;
	return HEARTH_OK;
}

hearth_err hearth_store_token_auth(hearth_store *st, const char *token, int64_t *tenant,
				   unsigned *scopes, hearth_errbuf *eb)
{
	int64_t tid;
	return token_auth_id(st, token, tenant, scopes, &tid, eb);
}

/* ---- sessions ---- */

static void hex_of(const uint8_t *b, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++)
		out[2 * i] = hex[b[i] >> 4], out[2 * i + 1] = hex[b[i] & 15];
	out[2 * n] = 0;
}

/* The CSRF secret of a session: derived from its id, so it is never
 * stored, and only the cookie's holder (through login or whoami) learns it. */
static void session_csrf(const char *id, char *csrf)
{
	char in[12 + HEARTH_SESSION_ID_LEN + 1];
	uint8_t h[32];
	int n = snprintf(in, sizeof(in), "hearth-csrf:%s", id);
	SHA256((const unsigned char *)in, (size_t)n, h);
	hex_of(h, 32, csrf);
	OPENSSL_cleanse(in, sizeof(in));
	OPENSSL_cleanse(h, sizeof(h));
}

static bool session_id_ok(const char *id)
{
	if (!id || strlen(id) != HEARTH_SESSION_ID_LEN)
		return false;
	for (const char *p = id; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

hearth_err hearth_store_session_create(hearth_store *st, const char *token, int64_t ttl_nanos,
				       char *id, char *csrf, int64_t *tenant, unsigned *scopes,
				       hearth_errbuf *eb)
{
	int64_t tid;
	id[0] = csrf[0] = 0;
	if (ttl_nanos <= 0)
		return hearth_seterr(eb, HEARTH_EINVAL, "session: bad lifetime");
	hearth_err err = token_auth_id(st, token, tenant, scopes, &tid, eb);
	if (err)
		return err;
	uint8_t r[32], h[32];
	if (RAND_bytes(r, sizeof(r)) != 1)
		return hearth_seterr(eb, HEARTH_EIO, "no random bytes");
	hex_of(r, sizeof(r), id);
	OPENSSL_cleanse(r, sizeof(r));
	token_hash(id, h);
	int64_t now = hearth_store_now();
	err = st->ops->session_insert(st->be, h, *tenant, tid, now, now + ttl_nanos,
				      HEARTH_MAX_SESSIONS, eb);
	if (err) {
		OPENSSL_cleanse(id, HEARTH_SESSION_ID_LEN);
		id[0] = 0;
		return err;
	}
	session_csrf(id, csrf);
	return HEARTH_OK;
}

hearth_err hearth_store_session_auth(hearth_store *st, const char *id, int64_t *tenant,
				     unsigned *scopes, char *csrf, hearth_errbuf *eb)
{
	uint8_t h[32], stored[32];
	*tenant = 0;
	*scopes = 0;
	csrf[0] = 0;
	/* A malformed id is hashed and looked up like any other, as tokens. */
	bool wellformed = session_id_ok(id);
	token_hash(id ? id : "", h);
	int64_t t = 0;
	unsigned sc = 0;
	hearth_err err = st->ops->session_lookup(st->be, h, hearth_store_now(), &t, &sc, stored, eb);
	if (err && err != HEARTH_EINVAL)
		return err;
	if (err || !wellformed || CRYPTO_memcmp(h, stored, 32) != 0)
		return hearth_seterr(eb, HEARTH_EINVAL, "invalid session");
	*tenant = t;
	*scopes = sc;
	session_csrf(id, csrf);
	return HEARTH_OK;
}

hearth_err hearth_store_session_end(hearth_store *st, const char *id, hearth_errbuf *eb)
{
	uint8_t h[32];
	if (!session_id_ok(id))
		return HEARTH_OK;
	token_hash(id, h);
	return st->ops->session_delete(st->be, h, eb);
}

hearth_err hearth_store_token_list(hearth_store *st, int64_t tenant, hearth_token_info *out,
				   size_t max, size_t *n, hearth_errbuf *eb)
{
	*n = 0;
	hearth_err err = check_tenant(tenant, eb);
	return err ? err : st->ops->token_list(st->be, tenant, out, max, n, eb);
}

hearth_err hearth_store_token_revoke(hearth_store *st, int64_t tenant, int64_t id,
				     hearth_errbuf *eb)
{
	hearth_err err = check_tenant(tenant, eb);
	if (!err && id <= 0)
		err = hearth_seterr(eb, HEARTH_EINVAL, "token not found");
	return err ? err : st->ops->token_revoke(st->be, tenant, id, eb);
}

/* ---- types and aggregation ---- */

static bool has_st(const hearth_profile *p, const char *name)
{
	for (uint32_t i = 0; i < p->nsample_types; i++)
		if (!strcmp(hearth_s(p, p->sample_types[i].type), name))
			return true;
	return false;
}

const char *hearth_profile_type_guess(const hearth_profile *p)
{
	const char *pt = hearth_s(p, p->period_type.type);
	if (!strcmp(pt, "cpu") || has_st(p, "cpu"))
		return "cpu";
	if (has_st(p, "inuse_space") || has_st(p, "alloc_space")) {
		const char *def = hearth_s(p, p->default_sample_type);
		if (!strncmp(def, "alloc_", 6) || !has_st(p, "inuse_space"))
			return "allocs";
		return "heap";
	}
	if (has_st(p, "goroutine") || has_st(p, "goroutines") || !strcmp(pt, "goroutine"))
		return "goroutine";
	if (has_st(p, "threadcreate") || !strcmp(pt, "threadcreate"))
		return "threadcreate";
	if (has_st(p, "contentions") || has_st(p, "delay"))
		return "block";
	if (p->nsample_types)
		return hearth_s(p, p->sample_types[0].type);
	return "unknown";
}

hearth_agg hearth_store_aggregation(const char *sample_type)
{
	if (!sample_type)
		return HEARTH_AGG_SUM;
	if (!strncmp(sample_type, "inuse_", 6) || !strcmp(sample_type, "goroutine") ||
	    !strcmp(sample_type, "goroutines") || !strcmp(sample_type, "threadcreate"))
		return HEARTH_AGG_AVERAGE;
	return HEARTH_AGG_SUM;
}

/* ---- ingest ---- */

hearth_err hearth_store_put(hearth_store *st, int64_t tenant, const hearth_profile *p,
			    const hearth_put_meta *m, int64_t *id, hearth_errbuf *eb)
{
	hearth_err err = check_tenant(tenant, eb);
	*id = 0;
	if (err)
		return err;
	if (!p || !m)
		return hearth_seterr(eb, HEARTH_EINVAL, "no profile");
	if (!valid_text(m->service, 1, 256))
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "bad service name (1 to 256 bytes of text)");
	const char *type = m->type && *m->type ? m->type : hearth_profile_type_guess(p);
	if (!valid_text(type, 1, 128))
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "bad profile type (1 to 128 bytes of text)");
	if (m->nlabels > HEARTH_MAX_LABELS)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "too many labels (at most %d)",
				     HEARTH_MAX_LABELS);
	for (size_t i = 0; i < m->nlabels; i++) {
		const char *n = m->labels[i].name;
		if (!valid_label_name(n))
			return hearth_seterr(
			    eb, HEARTH_EINVAL,
			    "bad label name (1 to 128 of [A-Za-z_][A-Za-z0-9_.]*)");
		if (!strcmp(n, "service") || !strncmp(n, "__", 2))
			return hearth_seterr(eb, HEARTH_EINVAL, "label name %s is reserved", n);
		if (!valid_text(m->labels[i].value, 0, 1024))
			return hearth_seterr(eb, HEARTH_EINVAL,
					     "bad value of label %s (at most 1024 bytes of text)",
					     n);
		for (size_t k = 0; k < i; k++)
			if (!strcmp(m->labels[k].name, n))
				return hearth_seterr(eb, HEARTH_EINVAL, "label %s given twice", n);
	}
	if (m->ingest_id && !valid_text(m->ingest_id, 1, 128))
		return hearth_seterr(eb, HEARTH_EINVAL, "bad ingest id (1 to 128 bytes of text)");
	if (p->nsample_types == 0)
		return hearth_seterr(eb, HEARTH_EINVAL, "profile without sample types");
	if (p->nsample_types > 64)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "too many sample types (at most 64)");
	return st->ops->put(st->be, tenant, p, m, type, id, eb);
}

/* ---- queries ---- */

void hearth_strlist_free(hearth_strlist *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void hearth_typelist_free(hearth_typelist *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].type);
		for (size_t k = 0; k < l->v[i].nsample_types; k++)
			free(l->v[i].sample_types[k]);
		free(l->v[i].sample_types);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void hearth_serieslist_free(hearth_serieslist *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].labels);
		free(l->v[i].points);
		free(l->v[i].has);
	}
	free(l->v);
	free(l->mem);
	memset(l, 0, sizeof(*l));
}

void hearth_profile_info_free(hearth_profile_info *info)
{
	if (!info)
		return;
	free(info->service);
	free(info->type);
	free(info->labels);
	free(info->totals);
	memset(info, 0, sizeof(*info));
}

void hearth_profilelist_free(hearth_profilelist *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		hearth_profile_info_free(&l->v[i]);
	free(l->v);
	free(l->mem);
	memset(l, 0, sizeof(*l));
}

hearth_err hearth_store_services(hearth_store *st, int64_t tenant, int64_t from, int64_t until,
				 hearth_strlist *out, hearth_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	hearth_err err = check_tenant(tenant, eb);
	if (!err)
		err = check_range(from, until, eb);
	return err ? err : st->ops->services(st->be, tenant, from, until, out, eb);
}

hearth_err hearth_store_types(hearth_store *st, int64_t tenant, const char *service, int64_t from,
			      int64_t until, hearth_typelist *out, hearth_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	hearth_err err = check_tenant(tenant, eb);
	if (!err)
		err = check_range(from, until, eb);
	return err ? err : st->ops->types(st->be, tenant, service, from, until, out, eb);
}

static const hearth_selector all_sel = {0};

hearth_err hearth_store_label_names(hearth_store *st, int64_t tenant, const hearth_selector *sel,
				    int64_t from, int64_t until, hearth_strlist *out,
				    hearth_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	hearth_err err = check_tenant(tenant, eb);
	if (!err)
		err = check_range(from, until, eb);
	return err ? err
		   : st->ops->label_names(st->be, tenant, sel ? sel : &all_sel, from, until, out,
					  eb);
}

hearth_err hearth_store_label_values(hearth_store *st, int64_t tenant, const hearth_selector *sel,
				     const char *name, int64_t from, int64_t until,
				     hearth_strlist *out, hearth_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	hearth_err err = check_tenant(tenant, eb);
	if (!err)
		err = check_range(from, until, eb);
	if (!err && (!name || !*name))
		err = hearth_seterr(eb, HEARTH_EINVAL, "no label name");
	return err ? err
		   : st->ops->label_values(st->be, tenant, sel ? sel : &all_sel, name, from, until,
					   out, eb);
}

#define MAX_POINTS 100000

hearth_err hearth_store_series(hearth_store *st, int64_t tenant, const hearth_selector *sel,
			       const char *type, size_t sample_type, int64_t from, int64_t until,
			       int64_t step, const char *const *group_by, size_t ngroup_by,
			       hearth_serieslist *out, hearth_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	hearth_err err = check_tenant(tenant, eb);
	if (!err)
		err = check_range(from, until, eb);
	if (err)
		return err;
	if (!type || !*type)
		return hearth_seterr(eb, HEARTH_EINVAL, "no profile type");
	if (step <= 0 || (until - from) / step >= MAX_POINTS)
		return hearth_seterr(eb, HEARTH_EINVAL, "bad step (at most %d points)", MAX_POINTS);
	if (ngroup_by > HEARTH_MAX_LABELS)
		return hearth_seterr(eb, HEARTH_EINVAL, "too many group_by labels");
	return st->ops->series(st->be, tenant, sel ? sel : &all_sel, type, sample_type, from, until,
			       step, group_by, ngroup_by, out, eb);
}

hearth_err hearth_store_merge(hearth_store *st, int64_t tenant, const hearth_selector *sel,
			      const char *type, int64_t from, int64_t until, hearth_profile **out,
			      size_t *nprofiles, hearth_errbuf *eb)
{
	return hearth_store_merge_flags(st, tenant, sel, type, from, until, 0, out, nprofiles, eb);
}

hearth_err hearth_store_merge_flags(hearth_store *st, int64_t tenant, const hearth_selector *sel,
				    const char *type, int64_t from, int64_t until, unsigned flags,
				    hearth_profile **out, size_t *nprofiles, hearth_errbuf *eb)
{
	*out = NULL;
	if (nprofiles)
		*nprofiles = 0;
	hearth_err err = check_tenant(tenant, eb);
	if (!err)
		err = check_range(from, until, eb);
	if (err)
		return err;
	if (!type || !*type)
		return hearth_seterr(eb, HEARTH_EINVAL, "no profile type");
	size_t np = 0;
	err = st->ops->merge(st->be, tenant, sel ? sel : &all_sel, type, from, until, flags, out,
			     &np, eb);
	if (nprofiles)
		*nprofiles = np;
	return err;
}

hearth_err hearth_store_list(hearth_store *st, int64_t tenant, const hearth_selector *sel,
			     const char *type, int64_t from, int64_t until, int64_t cursor,
			     size_t limit, hearth_profilelist *out, hearth_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	hearth_err err = check_tenant(tenant, eb);
	if (!err)
		err = check_range(from, until, eb);
	if (err)
		return err;
	if (limit < 1 || limit > 1000)
		return hearth_seterr(eb, HEARTH_EINVAL, "limit must be 1 to 1000");
	if (cursor < 0)
		return hearth_seterr(eb, HEARTH_EINVAL, "bad cursor");
	return st->ops->list(st->be, tenant, sel ? sel : &all_sel, type, from, until, cursor, limit,
			     out, eb);
}

hearth_err hearth_store_get(hearth_store *st, int64_t tenant, int64_t id, hearth_profile **out,
			    hearth_profile_info *info, hearth_errbuf *eb)
{
	if (out)
		*out = NULL;
	if (info)
		memset(info, 0, sizeof(*info));
	hearth_err err = check_tenant(tenant, eb);
	if (err)
		return err;
	if (id <= 0)
		return hearth_seterr(eb, HEARTH_EINVAL, "profile not found");
	return st->ops->get(st->be, tenant, id, out, info, eb);
}

hearth_err hearth_store_sweep(hearth_store *st, int64_t now, size_t *deleted, hearth_errbuf *eb)
{
	size_t d = 0;
	hearth_err err = st->ops->sweep(st->be, now, &d, eb);
	if (deleted)
		*deleted = d;
	return err;
}

hearth_err hearth_store_compact(hearth_store *st, int64_t now, size_t *built, hearth_errbuf *eb)
{
	size_t b = 0;
	hearth_err err = st->ops->compact(st->be, now, &b, eb);
	if (built)
		*built = b;
	return err;
}

hearth_err hearth_store_usage(hearth_store *st, int64_t tenant, hearth_usage *out,
			      hearth_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	hearth_err err = check_tenant(tenant, eb);
	return err ? err : st->ops->usage(st->be, tenant, out, eb);
}

/* ---- Metric series ---------------------------------------------------- */

static bool metric_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > 128)
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '.' || *s == ':'))
			return false;
	return true;
}

hearth_err hearth_store_metrics_put(hearth_store *st, int64_t tenant, const char *service,
				    const char *labels, int64_t time_nanos,
				    const hearth_metric *m, size_t n, hearth_errbuf *eb)
{
	hearth_err err = check_tenant(tenant, eb);
	if (err)
		return err;
	if (!service || !*service || strlen(service) > 256)
		return hearth_seterr(eb, HEARTH_EINVAL, "metrics: the service name is empty or "
							"longer than 256 bytes");
	if (!labels || strlen(labels) > 8192)
		return hearth_seterr(eb, HEARTH_EINVAL, "metrics: labels longer than 8192 bytes");
	if (n > 1024)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "metrics: %zu points, more than 1024", n);
	for (size_t i = 0; i < n; i++)
		if (!metric_name_ok(m[i].name))
			return hearth_seterr(eb, HEARTH_EINVAL,
					     "metrics: \"%.128s\" is not a metric name", m[i].name);
	if (!st->ops->metrics_put)
		return hearth_seterr(eb, HEARTH_EINVAL, "metrics: not in the %s store",
				     st->ops->name);
	return n ? st->ops->metrics_put(st->be, tenant, service, labels, time_nanos, m, n, eb)
		 : HEARTH_OK;
}

void hearth_metric_points_free(hearth_metric_points *l)
{
	for (size_t i = 0; l && i < l->n; i++)
		free(l->v[i].labels);
	if (l) {
		free(l->v);
		hearth_strlist_free(&l->names);
		memset(l, 0, sizeof(*l));
	}
}

/* The open bucket's points, each once, in time order, onto out. */
static hearth_err rows_flush(hs_metric_rows *d, hearth_metric_points *out, hearth_errbuf *eb)
{
	if (!d->labels)
		return HEARTH_OK;
	hearth_metric_point p[4];
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		bool dup = false;
		for (size_t k = 0; k < n; k++)
			dup |= p[k].time_nanos == d->pt[i].time_nanos;
		if (!dup)
			p[n++] = d->pt[i];
	}
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && p[k].time_nanos < p[k - 1].time_nanos; k--) {
			hearth_metric_point x = p[k];
			p[k] = p[k - 1];
			p[k - 1] = x;
		}
	if (!HEARTH_GROW(out->v, out->n, d->cap, n))
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		if (!(p[i].labels = strdup(d->labels)))
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		out->v[out->n++] = p[i];
	}
	return HEARTH_OK;
}

int64_t hs_metric_limit(hs_metric_rows *d, int64_t ds_max)
{
	d->limit = d->step ? ds_max : HS_METRIC_MAX_POINTS;
	return d->limit + 1;
}

hearth_err hs_metric_names_over(hearth_errbuf *eb)
{
	return hearth_seterr(eb, HEARTH_EINVAL, "metrics: more than %d metric names in the range",
			     HS_METRIC_MAX_NAMES);
}

hearth_err hs_metric_row(hs_metric_rows *d, hearth_metric_points *out, const char *labels,
			 int64_t t, double v, hearth_errbuf *eb)
{
	if (d->limit && ++d->nread > d->limit)
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "metrics: more than %lld points in the range%s",
				     (long long)d->limit,
				     d->step ? "; ask for a shorter one"
					     : "; ask for a shorter one or give a step");
	if (!d->step) {
		char *l = strdup(labels);
		if (!l || !HEARTH_GROW(out->v, out->n, d->cap, 1)) {
			free(l);
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		}
		out->v[out->n++] = (hearth_metric_point){l, t, v};
		return HEARTH_OK;
	}
	int64_t b = (t - d->from) / d->step;
	hearth_metric_point p = {NULL, t, v};
	if (d->labels && b == d->bucket && !strcmp(d->labels, labels)) {
		/* Rows come in time order: this one is the last so far. */
		d->pt[1] = p;
		if (v < d->pt[2].value)
			d->pt[2] = p;
		if (v > d->pt[3].value)
			d->pt[3] = p;
		return HEARTH_OK;
	}
	hearth_err err = rows_flush(d, out, eb);
	if (err)
		return err;
	if (!d->labels || strcmp(d->labels, labels)) {
		free(d->labels);
		if (!(d->labels = strdup(labels)))
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	d->bucket = b;
	for (int i = 0; i < 4; i++)
		d->pt[i] = p;
	return HEARTH_OK;
}

hearth_err hs_metric_rows_end(hs_metric_rows *d, hearth_metric_points *out, hearth_errbuf *eb)
{
	hearth_err err = rows_flush(d, out, eb);
	free(d->labels);
	d->labels = NULL;
	return err;
}

hearth_err hearth_store_metrics_query(hearth_store *st, int64_t tenant, const char *service,
				      const char *name, int64_t from, int64_t until,
				      hearth_metric_points *out, hearth_errbuf *eb)
{
	return hearth_store_metrics_downsample(st, tenant, service, name, from, until, 0, out, eb);
}

hearth_err hearth_store_metrics_downsample(hearth_store *st, int64_t tenant, const char *service,
					   const char *name, int64_t from, int64_t until,
					   int64_t step, hearth_metric_points *out,
					   hearth_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	if (step < 0)
		return hearth_seterr(eb, HEARTH_EINVAL, "metrics: a negative step");
	hearth_err err = check_tenant(tenant, eb);
	if (err)
		return err;
	if (!service || !*service)
		return hearth_seterr(eb, HEARTH_EINVAL, "metrics: service is required");
	if (name && !metric_name_ok(name))
		return hearth_seterr(eb, HEARTH_EINVAL, "metrics: \"%.128s\" is not a metric name",
				     name);
	if (!st->ops->metrics_query)
		return hearth_seterr(eb, HEARTH_EINVAL, "metrics: not in the %s store",
				     st->ops->name);
	return st->ops->metrics_query(st->be, tenant, service, name, from, until, name ? step : 0,
				      out, eb);
}

/* ---- GODEBUG logs ----------------------------------------------------- */

hearth_err hearth_store_godebug_put(hearth_store *st, int64_t tenant, const char *service,
				    const char *labels, int64_t time_nanos, const char *data,
				    size_t n, int64_t *id, hearth_errbuf *eb)
{
	hearth_err err = check_tenant(tenant, eb);
	if (err)
		return err;
	if (!service || !*service || strlen(service) > 256)
		return hearth_seterr(eb, HEARTH_EINVAL, "godebug: the service name is empty or "
							"longer than 256 bytes");
	if (!labels || strlen(labels) > 8192)
		return hearth_seterr(eb, HEARTH_EINVAL, "godebug: labels longer than 8192 bytes");
	if (n > HEARTH_GODEBUG_LOG_MAX)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "godebug: a log of %zu bytes, more than %zu",
				     n, HEARTH_GODEBUG_LOG_MAX);
	if (!st->ops->godebug_put)
		return hearth_seterr(eb, HEARTH_EINVAL, "godebug: not in the %s store",
				     st->ops->name);
	return st->ops->godebug_put(st->be, tenant, service, labels, time_nanos, data, n, id, eb);
}

void hearth_godebug_logs_free(hearth_godebug_logs *l)
{
	for (size_t i = 0; l && i < l->n; i++) {
		free(l->v[i].service);
		free(l->v[i].labels);
		free(l->v[i].data);
	}
	if (l) {
		free(l->v);
		memset(l, 0, sizeof(*l));
	}
}

hearth_err hearth_store_godebug_query(hearth_store *st, int64_t tenant, const char *service,
				      int64_t id, int64_t from, int64_t until, size_t max,
				      bool with_data, hearth_godebug_logs *out, hearth_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	hearth_err err = check_tenant(tenant, eb);
	if (err)
		return err;
	if (!max || max > 100000)
		return hearth_seterr(eb, HEARTH_EINVAL, "godebug: at most 1..100000 logs");
	if (!st->ops->godebug_query)
		return hearth_seterr(eb, HEARTH_EINVAL, "godebug: not in the %s store",
				     st->ops->name);
	return st->ops->godebug_query(st->be, tenant, service, id, from, until, max, with_data, out,
				      eb);
}

/* ---- The fleet report ------------------------------------------------- */

hearth_err hearth_store_fleet_set(hearth_store *st, int64_t tenant, bool opt_in,
				  hearth_errbuf *eb)
{
	hearth_err err = check_tenant(tenant, eb);
	if (err)
		return err;
	if (!st->ops->fleet_set)
		return hearth_seterr(eb, HEARTH_EINVAL, "fleet: not in the %s store",
				     st->ops->name);
	return st->ops->fleet_set(st->be, tenant, opt_in, hearth_store_now(), eb);
}

hearth_err hearth_store_fleet_tenants(hearth_store *st, int64_t **ids, size_t *n,
				      hearth_errbuf *eb)
{
	*ids = NULL;
	*n = 0;
	if (!st->ops->fleet_tenants)
		return hearth_seterr(eb, HEARTH_EINVAL, "fleet: not in the %s store",
				     st->ops->name);
	return st->ops->fleet_tenants(st->be, ids, n, eb);
}
