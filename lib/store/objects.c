/* The S3 blob store: path-style requests to an S3-compatible endpoint
 * (AWS S3, Ceph radosgw, MinIO), signed with AWS SigV4 by libcurl
 * (CURLOPT_AWS_SIGV4); list answers read with libxml2.
 *
 * libcurl 7.88 signs the query string as it is given, so every query here
 * is written in SigV4's canonical form already (names sorted, values
 * percent-encoded with upper-case hex), and every request carries
 * x-amz-content-sha256 (the payload's SHA-256), which radosgw requires.
 * No header is removed with an empty "Name:" line: curl 7.88 signs it as
 * if it were sent, and the signature no longer matches. */
#include <ctype.h>
#include <curl/curl.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store/objects.h"
#include "util.h"

#define URL_MAX 4096
#define CRED_FILE_MAX (1 << 20)
#define LIST_MAX_BYTES (16 << 20)
#define ERR_BODY_MAX (64 << 10)

/* A growing NUL-terminated string. */
typedef struct {
	char *p;
	size_t n, cap;
} sstr;

static bool sstr_addn(sstr *o, const char *s, size_t n)
{
	if (o->n + n + 1 > o->cap) {
		size_t c = o->cap ? o->cap : 64;
		while (c < o->n + n + 1)
			c *= 2;
		char *q = realloc(o->p, c);
		if (!q)
			return false;
		o->p = q;
		o->cap = c;
	}
	memcpy(o->p + o->n, s, n);
	o->n += n;
	o->p[o->n] = 0;
	return true;
}

static bool sstr_add(sstr *o, const char *s)
{
	return sstr_addn(o, s, strlen(s));
}

static bool sstr_addc(sstr *o, char c)
{
	return sstr_addn(o, &c, 1);
}

/* Up to n bytes of s for an error message: one line, printable. */
static const char *shown(char *buf, size_t bufn, const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && s[i] && k + 1 < bufn; i++)
		buf[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	buf[k] = 0;
	return buf;
}

/* ---- configuration ---- */

void hearth_s3_config_free(hearth_s3_config *c)
{
	if (!c)
		return;
	free(c->bucket);
	free(c->prefix);
	free(c->endpoint);
	free(c->region);
	free(c->access_key);
	if (c->secret_key)
		memset(c->secret_key, 0, strlen(c->secret_key));
	free(c->secret_key);
	free(c->session_token);
	memset(c, 0, sizeof(*c));
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Percent-decodes s[0..n) into a new string; NULL on a bad escape or a
 * control character. */
static char *pct_decode(const char *s, size_t n, bool *oom)
{
	char *o = malloc(n + 1);
	size_t k = 0;
	if (!o) {
		*oom = true;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= n || (h = hexval(s[i + 1])) < 0 || (l = hexval(s[i + 2])) < 0)
				goto bad;
			c = h * 16 + l;
			i += 2;
		} else if (c == '+') {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f)
			goto bad;
		o[k++] = (char)c;
	}
	o[k] = 0;
	return o;
bad:
	free(o);
	return NULL;
}

static bool valid_bucket(const char *b, size_t n)
{
	if (n < 3 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(islower((unsigned char)b[i]) || isdigit((unsigned char)b[i]) || b[i] == '.' ||
		      b[i] == '-'))
			return false;
	return isalnum((unsigned char)b[0]) && isalnum((unsigned char)b[n - 1]);
}

/* http(s)://host[:port][/path], no query, fragment or user part, printable. */
static bool valid_endpoint(const char *e)
{
	const char *h;
	if (!strncmp(e, "http://", 7))
		h = e + 7;
	else if (!strncmp(e, "https://", 8))
		h = e + 8;
	else
		return false;
	if (!*h || *h == '/' || strlen(e) > 1024)
		return false;
	/* A port, when there is a ':', has digits. */
	const char *hb = *h == '[' ? strchr(h, ']') : h; /* past an IPv6 address */
	if (!hb)
		return false;
	const char *c = strchr(hb, ':'), *sl = strchr(hb, '/');
	if (c && (!sl || c < sl) && (c[1] < '0' || c[1] > '9'))
		return false;
	for (const char *p = e; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == '?' || *p == '#' || *p == '@' || *p == '\\')
			return false;
	return true;
}

static char *trim(char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = 0;
	return s;
}

hearth_err hearth_s3_credentials_parse(const char *text, size_t n, const char *profile, char **key,
				       char **secret, char **token, hearth_errbuf *eb)
{
	*key = *secret = *token = NULL;
	if (n > CRED_FILE_MAX)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "credentials file larger than 1 MB");
	char *buf = malloc(n + 1);
	if (!buf)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	memcpy(buf, text, n);
	buf[n] = 0;
	hearth_err err = HEARTH_OK;
	bool in = false;
	int lineno = 0;
	for (char *line = buf, *next; line && !err; line = next) {
		lineno++;
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		if (strlen(line) != (size_t)((next ? next - 1 : buf + n) - line)) {
			err = hearth_seterr(eb, HEARTH_EINVAL, "credentials line %d: a NUL byte",
					    lineno);
			break;
		}
		char *l = trim(line);
		if (!*l || *l == '#' || *l == ';')
			continue;
		if (*l == '[') {
			char *e = strchr(l, ']');
			if (!e) {
				err = hearth_seterr(eb, HEARTH_EINVAL,
						    "credentials line %d: no ] after [", lineno);
				break;
			}
			*e = 0;
			char *name = trim(l + 1);
			/* ~/.aws/config spells it "profile NAME"; accept both. */
			if (!strncmp(name, "profile ", 8))
				name = trim(name + 8);
			in = !strcmp(name, profile);
			continue;
		}
		char *eq = strchr(l, '=');
		if (!eq) {
			err = hearth_seterr(eb, HEARTH_EINVAL, "credentials line %d: no = in it",
					    lineno);
			break;
		}
		if (!in)
			continue;
		*eq = 0;
		char *k = trim(l), *v = trim(eq + 1);
		char **dst = !strcmp(k, "aws_access_key_id")	   ? key
			     : !strcmp(k, "aws_secret_access_key") ? secret
			     : !strcmp(k, "aws_session_token")	   ? token
								   : NULL;
		if (!dst)
			continue;
		free(*dst);
		if (!(*dst = strdup(v)))
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	memset(buf, 0, n);
	free(buf);
	if (err) {
		free(*key);
		free(*secret);
		free(*token);
		*key = *secret = *token = NULL;
	}
	return err;
}

static hearth_err creds_from_file(char *(*env)(const char *), hearth_s3_config *c,
				  hearth_errbuf *eb)
{
	char path[4096];
	const char *f = env("AWS_SHARED_CREDENTIALS_FILE"), *home = env("HOME");
	if (f && *f)
		snprintf(path, sizeof(path), "%s", f);
	else if (home && *home)
		snprintf(path, sizeof(path), "%s/.aws/credentials", home);
	else
		return HEARTH_OK;
	const char *profile = env("AWS_PROFILE");
	if (!profile || !*profile)
		profile = "default";
	FILE *fp = fopen(path, "rb");
	if (!fp)
		return HEARTH_OK; /* no file: no credentials from it */
	char *text = malloc(CRED_FILE_MAX + 1);
	if (!text) {
		fclose(fp);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	size_t n = fread(text, 1, CRED_FILE_MAX + 1, fp);
	fclose(fp);
	hearth_err err = hearth_s3_credentials_parse(text, n, profile, &c->access_key,
						     &c->secret_key, &c->session_token, eb);
	if (err) {
		char m[sizeof(eb->msg)];
		snprintf(m, sizeof(m), "%s", eb->msg);
		hearth_seterr(eb, err, "objects: %s: %s", path, m);
	}
	memset(text, 0, n);
	free(text);
	return err;
}

hearth_err hearth_s3_config_parse(const char *url, char *(*env)(const char *), hearth_s3_config *c,
				  hearth_errbuf *eb)
{
	memset(c, 0, sizeof(*c));
	char sb[201];
	bool oom = false;
	hearth_err err = HEARTH_OK;
	size_t n = strlen(url);
	if (n > URL_MAX)
		return hearth_seterr(eb, HEARTH_EINVAL, "objects: URL longer than %d bytes",
				     URL_MAX);
	if (strncmp(url, "s3://", 5))
		return hearth_seterr(eb, HEARTH_EINVAL, "objects: not an s3:// URL");
	const char *b = url + 5, *q = strchr(b, '?');
	const char *pathend = q ? q : url + n;
	const char *slash = memchr(b, '/', (size_t)(pathend - b));
	const char *bend = slash ? slash : pathend;
	if (!valid_bucket(b, (size_t)(bend - b))) {
		err = hearth_seterr(eb, HEARTH_EINVAL,
				    "objects: bucket \"%s\": 3 to 63 characters of a-z, 0-9, . "
				    "and -",
				    shown(sb, sizeof(sb), b, (size_t)(bend - b)));
		goto out;
	}
	if (!(c->bucket = strndup(b, (size_t)(bend - b))))
		goto oom;
	/* The prefix: what follows the bucket, as a key prefix ending in '/'. */
	const char *p = slash ? slash + 1 : pathend;
	size_t pl = (size_t)(pathend - p);
	while (pl && p[pl - 1] == '/')
		pl--;
	if (!(c->prefix = malloc(pl + 2)))
		goto oom;
	memcpy(c->prefix, p, pl);
	c->prefix[pl] = 0;
	if (pl) {
		if (!hearth_blob_key_valid(c->prefix) || pl > 256) {
			err = hearth_seterr(eb, HEARTH_EINVAL,
					    "objects: prefix \"%s\": not a valid key prefix",
					    shown(sb, sizeof(sb), c->prefix, pl));
			goto out;
		}
		c->prefix[pl] = '/';
		c->prefix[pl + 1] = 0;
	}
	for (const char *a = q ? q + 1 : NULL; a && *a;) {
		const char *amp = strchr(a, '&'), *end = amp ? amp : a + strlen(a);
		const char *eq = memchr(a, '=', (size_t)(end - a));
		if (!eq) {
			err = hearth_seterr(eb, HEARTH_EINVAL, "objects: parameter \"%s\" has no =",
					    shown(sb, 41, a, (size_t)(end - a)));
			goto out;
		}
		char *v = pct_decode(eq + 1, (size_t)(end - eq - 1), &oom);
		if (!v) {
			if (oom)
				goto oom;
			err = hearth_seterr(eb, HEARTH_EINVAL,
					    "objects: parameter \"%s\": bad percent-encoding",
					    shown(sb, 41, a, (size_t)(eq - a)));
			goto out;
		}
		size_t kl = (size_t)(eq - a);
		char **dst = NULL;
		if (kl == 8 && !memcmp(a, "endpoint", 8))
			dst = &c->endpoint;
		else if (kl == 6 && !memcmp(a, "region", 6))
			dst = &c->region;
		else if (kl == 7 && !memcmp(a, "timeout", 7)) {
			char *e;
			long s = strtol(v, &e, 10);
			bool ok = *v && !*e && s >= 1 && s <= 3600;
			free(v);
			if (!ok) {
				err = hearth_seterr(eb, HEARTH_EINVAL,
						    "objects: timeout: 1 to 3600 seconds");
				goto out;
			}
			c->timeout_ms = s * 1000;
		} else {
			free(v);
			err = hearth_seterr(eb, HEARTH_EINVAL,
					    "objects: unknown parameter \"%s\" (endpoint, region, "
					    "timeout)",
					    shown(sb, 41, a, kl));
			goto out;
		}
		if (dst) {
			if (*dst) {
				free(v);
				err = hearth_seterr(eb, HEARTH_EINVAL,
						    "objects: parameter \"%s\" given twice",
						    shown(sb, 41, a, kl));
				goto out;
			}
			*dst = v;
		}
		a = amp ? amp + 1 : NULL;
	}
	if (!c->region) {
		const char *r = env("AWS_REGION");
		if (!r || !*r)
			r = env("AWS_DEFAULT_REGION");
		if (!(c->region = strdup(r && *r ? r : "us-east-1")))
			goto oom;
	}
	if (!*c->region || strlen(c->region) > 64 || strpbrk(c->region, ":/ ?&#")) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "objects: region \"%s\": not a region name",
				    shown(sb, 65, c->region, strlen(c->region)));
		goto out;
	}
	if (!c->endpoint) {
		size_t el = strlen(c->region) + 32;
		if (!(c->endpoint = malloc(el)))
			goto oom;
		snprintf(c->endpoint, el, "https://s3.%s.amazonaws.com", c->region);
	}
	size_t el = strlen(c->endpoint);
	while (el && c->endpoint[el - 1] == '/')
		c->endpoint[--el] = 0;
	if (!valid_endpoint(c->endpoint)) {
		err = hearth_seterr(eb, HEARTH_EINVAL,
				    "objects: endpoint \"%s\": an http:// or https:// URL of a "
				    "host, without query or user",
				    shown(sb, sizeof(sb), c->endpoint, strlen(c->endpoint)));
		goto out;
	}
	const char *k = env("AWS_ACCESS_KEY_ID"), *s = env("AWS_SECRET_ACCESS_KEY");
	if (k && *k && s && *s) {
		const char *t = env("AWS_SESSION_TOKEN");
		if (!(c->access_key = strdup(k)) || !(c->secret_key = strdup(s)) ||
		    (t && *t && !(c->session_token = strdup(t))))
			goto oom;
	} else if ((err = creds_from_file(env, c, eb))) {
		goto out;
	}
	if (!c->access_key || !c->secret_key || !*c->access_key || !*c->secret_key) {
		err = hearth_seterr(eb, HEARTH_EINVAL,
				    "objects s3://%s: no credentials (AWS_ACCESS_KEY_ID and "
				    "AWS_SECRET_ACCESS_KEY, or ~/.aws/credentials)",
				    c->bucket);
		goto out;
	}
	/* The key goes into CURLOPT_USERNAME: a ':' would split it. */
	if (strpbrk(c->access_key, ":\r\n") || strpbrk(c->secret_key, "\r\n") ||
	    (c->session_token && strpbrk(c->session_token, "\r\n"))) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "objects: credentials with bad characters");
		goto out;
	}
	if (!c->timeout_ms)
		c->timeout_ms = 60000;
	goto out;
oom:
	err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
out:
	if (err)
		hearth_s3_config_free(c);
	return err;
}

char *hearth_s3_config_url(const hearth_s3_config *c)
{
	size_t n =
	    strlen(c->bucket) + strlen(c->prefix) + strlen(c->endpoint) + strlen(c->region) + 48;
	char *s = malloc(n);
	if (s)
		snprintf(s, n, "s3://%s/%s?endpoint=%s&region=%s", c->bucket, c->prefix,
			 c->endpoint, c->region);
	return s;
}

/* ---- XML answers ---- */

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;
static void xml_init(void)
{
	xmlInitParser();
}

static xmlDocPtr xml_read(const char *xml, size_t n)
{
	pthread_once(&xml_once, xml_init);
	if (n > LIST_MAX_BYTES || n > INT32_MAX)
		return NULL;
	/* No network, no entity expansion, no DTD loading: a hostile answer
	 * reads as what it literally says or not at all. */
	return xmlReadMemory(xml, (int)n, "s3.xml", NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

static bool named(xmlNodePtr x, const char *name)
{
	return x->type == XML_ELEMENT_NODE && !strcmp((const char *)x->name, name);
}

/* The text of an element, malloc'ed; NULL when out of memory. */
static char *text_of(xmlNodePtr x)
{
	xmlChar *t = xmlNodeGetContent(x);
	char *s = strdup(t ? (const char *)t : "");
	xmlFree(t);
	return s;
}

void hearth_s3_parse_error(const char *xml, size_t n, char *code, size_t ncode, char *msg,
			   size_t nmsg)
{
	if (ncode)
		code[0] = 0;
	if (nmsg)
		msg[0] = 0;
	xmlDocPtr d = n ? xml_read(xml, n) : NULL;
	xmlNodePtr r = d ? xmlDocGetRootElement(d) : NULL;
	if (r && named(r, "Error")) {
		for (xmlNodePtr x = r->children; x; x = x->next) {
			char *dst = named(x, "Code") ? code : named(x, "Message") ? msg : NULL;
			size_t dn = dst == code ? ncode : nmsg;
			if (!dst || !dn)
				continue;
			char *t = text_of(x);
			if (t) {
				/* Printable only: it goes into a one-line error. */
				size_t k = 0;
				for (char *p = t; *p && k + 1 < dn; p++)
					dst[k++] = (*p >= 0x20 && *p < 0x7f) ? *p : '?';
				dst[k] = 0;
			}
			free(t);
		}
	}
	xmlFreeDoc(d);
}

static bool add_str(char ***v, size_t *n, size_t *cap, char *s)
{
	if (!HEARTH_GROW(*v, *n, *cap, 1))
		return false;
	(*v)[(*n)++] = s;
	return true;
}

/* Strips the store's prefix from a key the server listed. */
static hearth_err strip_key(char *s, const char *strip, hearth_errbuf *eb)
{
	char sb[81];
	size_t sl = strlen(strip), n = strlen(s);
	if (n < sl || memcmp(s, strip, sl) || n - sl > HEARTH_BLOB_KEY_MAX)
		return hearth_seterr(eb, HEARTH_ECORRUPT,
				     "objects: list: the store answered key \"%s\" outside "
				     "the prefix",
				     shown(sb, 81, s, n));
	memmove(s, s + sl, n - sl + 1);
	return HEARTH_OK;
}

hearth_err hearth_s3_parse_list(const char *xml, size_t n, const char *strip, hearth_blob_page *out,
				hearth_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	hearth_err err = HEARTH_OK;
	size_t capk = 0, caps = 0, capp = 0;
	bool truncated = false;
	char *token = NULL;
	xmlDocPtr d = xml_read(xml, n);
	xmlNodePtr r = d ? xmlDocGetRootElement(d) : NULL;
	if (!r || !named(r, "ListBucketResult")) {
		err = hearth_seterr(eb, HEARTH_ECORRUPT,
				    "objects: list: the answer is not a ListBucketResult");
		goto out;
	}
	for (xmlNodePtr x = r->children; x && !err; x = x->next) {
		if (out->nkeys + out->nprefixes > 1000) {
			err = hearth_seterr(eb, HEARTH_ECORRUPT,
					    "objects: list: more than 1000 entries in a page");
			break;
		}
		if (named(x, "IsTruncated")) {
			char *t = text_of(x);
			if (!t)
				goto oom;
			truncated = !strcmp(t, "true");
			free(t);
		} else if (named(x, "NextContinuationToken")) {
			free(token);
			if (!(token = text_of(x)))
				goto oom;
		} else if (named(x, "Contents")) {
			char *key = NULL;
			int64_t size = -1;
			for (xmlNodePtr y = x->children; y; y = y->next) {
				if (named(y, "Key")) {
					free(key);
					if (!(key = text_of(y)))
						goto oom;
				} else if (named(y, "Size")) {
					char *t = text_of(y), *e;
					if (!t)
						goto oom;
					long long v = strtoll(t, &e, 10);
					if (*t && !*e && v >= 0)
						size = v;
					free(t);
				}
			}
			if (!key || size < 0) {
				free(key);
				err = hearth_seterr(eb, HEARTH_ECORRUPT,
						    "objects: list: an entry without key or size");
				break;
			}
			if ((err = strip_key(key, strip, eb))) {
				free(key);
				break;
			}
			if (!add_str(&out->keys, &out->nkeys, &capk, key)) {
				free(key);
				goto oom;
			}
			if (!HEARTH_GROW(out->sizes, out->nkeys - 1, caps, 1))
				goto oom;
			out->sizes[out->nkeys - 1] = size;
		} else if (named(x, "CommonPrefixes")) {
			for (xmlNodePtr y = x->children; y && !err; y = y->next) {
				if (!named(y, "Prefix"))
					continue;
				char *pfx = text_of(y);
				if (!pfx)
					goto oom;
				if ((err = strip_key(pfx, strip, eb))) {
					free(pfx);
					break;
				}
				if (!add_str(&out->prefixes, &out->nprefixes, &capp, pfx)) {
					free(pfx);
					goto oom;
				}
			}
		}
	}
	if (!err && truncated) {
		if (!token || !*token || strlen(token) > 4096) {
			err =
			    hearth_seterr(eb, HEARTH_ECORRUPT,
					  "objects: list: truncated without a continuation token");
			goto out;
		}
		out->next = token;
		token = NULL;
	}
	goto out;
oom:
	err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
out:
	free(token);
	xmlFreeDoc(d);
	if (err)
		hearth_blob_page_free(out);
	return err;
}

/* ---- requests ---- */

typedef struct {
	hearth_s3_config cfg;
	char sigv4[96];
	char *userpwd_user, *userpwd_pass;
	pthread_mutex_t mu;
	CURL **idle; /* handles kept for their connections */
	size_t nidle, capidle;
} s3;

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* SigV4's URI encoding: unreserved characters as they are, '/' kept in
 * paths, every other byte %XX. */
static bool enc_append(sstr *o, const char *s, bool keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (isalnum(*p) || *p == '-' || *p == '_' || *p == '.' || *p == '~' ||
		    (keep_slash && *p == '/')) {
			if (!sstr_addc(o, (char)*p))
				return false;
		} else {
			char e[4] = {'%', hex[*p >> 4], hex[*p & 15], 0};
			if (!sstr_add(o, e))
				return false;
		}
	}
	return true;
}

typedef struct {
	uint8_t *p;
	size_t n, max;
	bool over;
} rbuf;

static size_t on_write(char *d, size_t sz, size_t nm, void *arg)
{
	rbuf *b = arg;
	size_t n = sz * nm;
	if (b->n + n > b->max) {
		b->over = true;
		return 0;
	}
	uint8_t *q = realloc(b->p, b->n + n + 1);
	if (!q)
		return 0;
	b->p = q;
	memcpy(b->p + b->n, d, n);
	b->n += n;
	b->p[b->n] = 0;
	return n;
}

typedef struct {
	const uint8_t *p;
	size_t n, off;
} wbuf;

static size_t on_read(char *d, size_t sz, size_t nm, void *arg)
{
	wbuf *w = arg;
	size_t n = sz * nm;
	if (n > w->n - w->off)
		n = w->n - w->off;
	memcpy(d, w->p + w->off, n);
	w->off += n;
	return n;
}

static void sha256_hex(const void *p, size_t n, char out[65])
{
	uint8_t h[32];
	unsigned int hn = 0;
	EVP_Digest(p, n, h, &hn, EVP_sha256(), NULL);
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", h[i]);
}

static CURL *handle_get(s3 *s)
{
	CURL *h = NULL;
	pthread_mutex_lock(&s->mu);
	if (s->nidle)
		h = s->idle[--s->nidle];
	pthread_mutex_unlock(&s->mu);
	if (h)
		curl_easy_reset(h);
	else
		h = curl_easy_init();
	return h;
}

static void handle_put(s3 *s, CURL *h)
{
	pthread_mutex_lock(&s->mu);
	if (s->nidle < 32 && HEARTH_GROW(s->idle, s->nidle, s->capidle, 1)) {
		s->idle[s->nidle++] = h;
		h = NULL;
	}
	pthread_mutex_unlock(&s->mu);
	if (h)
		curl_easy_cleanup(h);
}

typedef struct {
	const char *method; /* GET PUT DELETE POST */
	const char *key;    /* NULL: the bucket */
	const char *query;  /* canonical, without '?' */
	const uint8_t *body;
	size_t nbody;
	const char *content_md5; /* base64, or NULL */
	size_t max;		 /* of the answer's body */
} req;

typedef struct {
	long status;
	rbuf body;
} resp;

/* One request, with up to three tries when the store refuses the
 * connection or answers 5xx (each request here is idempotent: keys are
 * never reused); one only when it stalls. */
static hearth_err s3_do(s3 *s, const req *r, resp *out, hearth_errbuf *eb)
{
	hearth_err err = HEARTH_OK;
	sstr url = {0};
	char hash[65], hdr[128];
	memset(out, 0, sizeof(*out));
	sha256_hex(r->body ? (const void *)r->body : "", r->nbody, hash);
	if (!sstr_add(&url, s->cfg.endpoint) || !sstr_addc(&url, '/') ||
	    !enc_append(&url, s->cfg.bucket, false) || !sstr_addc(&url, '/') ||
	    (r->key &&
	     (!enc_append(&url, s->cfg.prefix, true) || !enc_append(&url, r->key, true))) ||
	    (r->query && (!sstr_addc(&url, '?') || !sstr_add(&url, r->query))))
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	const char *where = r->key ? r->key : "";
	for (int attempt = 0; attempt < 3; attempt++) {
		CURL *h = handle_get(s);
		struct curl_slist *hl = NULL;
		char cerr[CURL_ERROR_SIZE] = "";
		wbuf w = {r->body, r->nbody, 0};
		free(out->body.p);
		memset(out, 0, sizeof(*out));
		out->body.max = r->max;
		if (!h)
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		snprintf(hdr, sizeof(hdr), "x-amz-content-sha256: %s", hash);
		hl = curl_slist_append(hl, hdr);
		if (r->content_md5) {
			snprintf(hdr, sizeof(hdr), "Content-MD5: %s", r->content_md5);
			hl = curl_slist_append(hl, hdr);
		}
		if (s->cfg.session_token) {
			sstr t = {0};
			if (sstr_add(&t, "x-amz-security-token: ") &&
			    sstr_add(&t, s->cfg.session_token))
				hl = curl_slist_append(hl, t.p);
			free(t.p);
		}
		curl_easy_setopt(h, CURLOPT_URL, url.p);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
		curl_easy_setopt(h, CURLOPT_AWS_SIGV4, s->sigv4);
		curl_easy_setopt(h, CURLOPT_USERNAME, s->cfg.access_key);
		curl_easy_setopt(h, CURLOPT_PASSWORD, s->cfg.secret_key);
		curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
		curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, s->cfg.timeout_ms);
		/* A store that stalls (accepts, then says nothing) fails the
		 * request after 15 s, not after the whole timeout. */
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
		curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, 15L);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_write);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, &out->body);
		curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
		if (!strcmp(r->method, "PUT")) {
			curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
			curl_easy_setopt(h, CURLOPT_READFUNCTION, on_read);
			curl_easy_setopt(h, CURLOPT_READDATA, &w);
			curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->nbody);
		} else if (!strcmp(r->method, "POST")) {
			curl_easy_setopt(h, CURLOPT_POST, 1L);
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
			curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->nbody);
		} else if (strcmp(r->method, "GET")) {
			curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
		}
		CURLcode rc = curl_easy_perform(h);
		curl_slist_free_all(hl);
		if (rc == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
		handle_put(s, h);
		if (rc == CURLE_WRITE_ERROR && out->body.over) {
			err = hearth_seterr(eb, HEARTH_ETOOBIG,
					    "objects: %s s3://%s/%s%.200s: more than %zu bytes",
					    r->method, s->cfg.bucket, s->cfg.prefix, where, r->max);
			break;
		}
		if (rc != CURLE_OK) {
			err =
			    hearth_seterr(eb, HEARTH_EIO, "objects: %s s3://%s/%s%.200s at %s: %s",
					  r->method, s->cfg.bucket, s->cfg.prefix, where,
					  s->cfg.endpoint, *cerr ? cerr : curl_easy_strerror(rc));
		} else if (out->status >= 500) {
			char code[64], msg[160];
			hearth_s3_parse_error((const char *)out->body.p, out->body.n, code,
					      sizeof(code), msg, sizeof(msg));
			err = hearth_seterr(
			    eb, HEARTH_EIO, "objects: %s s3://%s/%s%.200s at %s: HTTP %ld %s%s%s",
			    r->method, s->cfg.bucket, s->cfg.prefix, where, s->cfg.endpoint,
			    out->status, code, *msg ? ": " : "", msg);
		} else {
			err = HEARTH_OK;
			break;
		}
		/* A store that stalled is not asked again at once: the put
		 * would wait three times as long for the same answer. */
		if (rc == CURLE_OPERATION_TIMEDOUT)
			break;
		if (attempt < 2)
			usleep(attempt ? 400000 : 100000);
	}
	free(url.p);
	if (err) {
		free(out->body.p);
		memset(out, 0, sizeof(*out));
	}
	return err;
}

/* An answer that is not 2xx (and not an expected 404), as an error. */
static hearth_err s3_status_err(s3 *s, const req *r, resp *a, hearth_errbuf *eb)
{
	char code[64], msg[160];
	hearth_s3_parse_error((const char *)a->body.p, a->body.n, code, sizeof(code), msg,
			      sizeof(msg));
	hearth_err e = a->status == 404 ? HEARTH_EINVAL : HEARTH_EIO;
	return hearth_seterr(eb, e, "objects: %s s3://%s/%s%.200s at %s: HTTP %ld %s%s%s%s",
			     r->method, s->cfg.bucket, s->cfg.prefix, r->key ? r->key : "",
			     s->cfg.endpoint, a->status, code, *msg ? ": " : "", msg,
			     a->status == 404 && r->key ? " (not found)" : "");
}

static hearth_err s3_put(void *be, const char *key, const void *data, size_t n, hearth_errbuf *eb)
{
	s3 *s = be;
	req r = {.method = "PUT", .key = key, .body = data, .nbody = n, .max = ERR_BODY_MAX};
	resp a;
	hearth_err err = s3_do(s, &r, &a, eb);
	if (!err && (a.status < 200 || a.status > 299))
		err = s3_status_err(s, &r, &a, eb);
	free(a.body.p);
	return err;
}

static hearth_err s3_get(void *be, const char *key, size_t max, uint8_t **data, size_t *n,
			 hearth_errbuf *eb)
{
	s3 *s = be;
	req r = {.method = "GET", .key = key, .max = max < ERR_BODY_MAX ? ERR_BODY_MAX : max};
	resp a;
	hearth_err err = s3_do(s, &r, &a, eb);
	if (err)
		return err;
	if (a.status != 200) {
		err = s3_status_err(s, &r, &a, eb);
		free(a.body.p);
		return err;
	}
	if (a.body.n > max) {
		free(a.body.p);
		return hearth_seterr(eb, HEARTH_ETOOBIG, "objects: GET %.200s: more than %zu bytes",
				     key, max);
	}
	if (!a.body.p && !(a.body.p = calloc(1, 1)))
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	*data = a.body.p;
	*n = a.body.n;
	return HEARTH_OK;
}

static hearth_err s3_del(void *be, const char *key, hearth_errbuf *eb)
{
	s3 *s = be;
	req r = {.method = "DELETE", .key = key, .max = ERR_BODY_MAX};
	resp a;
	hearth_err err = s3_do(s, &r, &a, eb);
	if (!err && a.status != 204 && a.status != 200 && a.status != 404)
		err = s3_status_err(s, &r, &a, eb);
	free(a.body.p);
	return err;
}

static bool xml_escape_append(sstr *o, const char *s)
{
	for (; *s; s++) {
		const char *e = *s == '&'   ? "&amp;"
				: *s == '<' ? "&lt;"
				: *s == '>' ? "&gt;"
					    : NULL;
		if (e ? !sstr_add(o, e) : !sstr_addc(o, *s))
			return false;
	}
	return true;
}

/* DeleteObjects: up to 1000 keys in one POST (Content-MD5 is required). */
static hearth_err s3_del_many(void *be, const char *const *keys, size_t nkeys, hearth_errbuf *eb)
{
	s3 *s = be;
	sstr body = {0};
	hearth_err err = HEARTH_OK;
	if (nkeys > 1000)
		return hearth_seterr(eb, HEARTH_EINVAL, "objects: more than 1000 keys to delete");
	bool ok = sstr_add(&body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Delete><Quiet>true"
				  "</Quiet>");
	for (size_t i = 0; ok && i < nkeys; i++)
		ok = sstr_add(&body, "<Object><Key>") && xml_escape_append(&body, s->cfg.prefix) &&
		     xml_escape_append(&body, keys[i]) && sstr_add(&body, "</Key></Object>");
	ok = ok && sstr_add(&body, "</Delete>");
	if (!ok) {
		free(body.p);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	uint8_t md5[16];
	unsigned int mn = 0;
	char md5b64[32];
	EVP_Digest(body.p, body.n, md5, &mn, EVP_md5(), NULL);
	EVP_EncodeBlock((unsigned char *)md5b64, md5, 16);
	req r = {.method = "POST",
		 .query = "delete=",
		 .body = (const uint8_t *)body.p,
		 .nbody = body.n,
		 .content_md5 = md5b64,
		 .max = LIST_MAX_BYTES};
	resp a;
	err = s3_do(s, &r, &a, eb);
	if (!err && a.status != 200)
		err = s3_status_err(s, &r, &a, eb);
	else if (!err && a.body.p && strstr((const char *)a.body.p, "<Error>")) {
		/* Quiet mode lists only the keys it could not delete. */
		char code[64], msg[160];
		const char *e = strstr((const char *)a.body.p, "<Error>");
		(void)e;
		hearth_s3_parse_error((const char *)a.body.p, a.body.n, code, sizeof(code), msg,
				      sizeof(msg));
		err = hearth_seterr(eb, HEARTH_EIO,
				    "objects: DELETE of %zu keys in s3://%s/%s: some were not "
				    "deleted",
				    nkeys, s->cfg.bucket, s->cfg.prefix);
	}
	free(a.body.p);
	free(body.p);
	return err;
}

static hearth_err s3_list(void *be, const char *prefix, const char *delim, const char *cursor,
			  hearth_blob_page *out, hearth_errbuf *eb)
{
	s3 *s = be;
	sstr q = {0}, full = {0};
	hearth_err err;
	/* Names in sorted order, as SigV4's canonical query wants. */
	bool ok = true;
	if (cursor)
		ok = sstr_add(&q, "continuation-token=") && enc_append(&q, cursor, false) &&
		     sstr_addc(&q, '&');
	if (ok && delim)
		ok = sstr_add(&q, "delimiter=") && enc_append(&q, delim, false) &&
		     sstr_addc(&q, '&');
	ok = ok && sstr_add(&q, "list-type=2&max-keys=1000&prefix=") &&
	     sstr_add(&full, s->cfg.prefix) && sstr_add(&full, prefix) &&
	     enc_append(&q, full.p, false);
	if (!ok) {
		free(q.p);
		free(full.p);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	req r = {.method = "GET", .key = NULL, .query = q.p, .max = LIST_MAX_BYTES};
	resp a;
	err = s3_do(s, &r, &a, eb);
	if (!err && a.status != 200) {
		r.key = full.p;
		err = s3_status_err(s, &r, &a, eb);
	}
	if (!err)
		err =
		    hearth_s3_parse_list((const char *)a.body.p, a.body.n, s->cfg.prefix, out, eb);
	free(a.body.p);
	free(q.p);
	free(full.p);
	return err;
}

static void s3_close(void *be)
{
	s3 *s = be;
	if (!s)
		return;
	for (size_t i = 0; i < s->nidle; i++)
		curl_easy_cleanup(s->idle[i]);
	free(s->idle);
	pthread_mutex_destroy(&s->mu);
	hearth_s3_config_free(&s->cfg);
	free(s);
}

hearth_err hearth_s3_open(hearth_s3_config *cfg, void **be, hearth_errbuf *eb)
{
	*be = NULL;
	pthread_once(&curl_once, curl_init_once);
	s3 *s = calloc(1, sizeof(*s));
	if (!s) {
		hearth_s3_config_free(cfg);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	s->cfg = *cfg;
	memset(cfg, 0, sizeof(*cfg));
	pthread_mutex_init(&s->mu, NULL);
	snprintf(s->sigv4, sizeof(s->sigv4), "aws:amz:%s:s3", s->cfg.region);
	*be = s;
	return HEARTH_OK;
}

const hearth_blob_ops hearth_s3_blob_ops = {
    .name = "s3",
    .put = s3_put,
    .get = s3_get,
    .del = s3_del,
    .del_many = s3_del_many,
    .list = s3_list,
    .close = s3_close,
};
