/* What the ingest formats share: the batch and its memory, the checks of
 * series labels, services and types, profiles parsed under the limits, and
 * times as the API takes them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hearth/io.h"
#include "ingest/internal.h"
#include "util.h"

/* The batch's memory: every string and label array of its items is one
 * block of this list, freed with it. */
typedef struct {
	void **blocks;
	size_t n, cap;
	size_t capitems;
} pool;

static pool *pool_of(hearth_ingest_batch *b)
{
	if (!b->priv)
		b->priv = calloc(1, sizeof(pool));
	return b->priv;
}

void *hearth_ingest_alloc(hearth_ingest_batch *b, size_t size)
{
	pool *p = pool_of(b);
	if (!p || !HEARTH_GROW(p->blocks, p->n, p->cap, 1))
		return NULL;
	void *m = calloc(1, size ? size : 1);
	if (!m)
		return NULL;
	p->blocks[p->n++] = m;
	return m;
}

char *hearth_ingest_strdup(hearth_ingest_batch *b, const char *s, size_t n)
{
	char *d = hearth_ingest_alloc(b, n + 1);
	if (d && n)
		memcpy(d, s, n);
	return d;
}

hearth_ingest_item *hearth_ingest_add(hearth_ingest_batch *b)
{
	pool *p = pool_of(b);
	if (!p || !HEARTH_GROW(b->v, b->n, p->capitems, 1))
		return NULL;
	hearth_ingest_item *it = &b->v[b->n++];
	memset(it, 0, sizeof(*it));
	return it;
}

void hearth_ingest_batch_free(hearth_ingest_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->n; i++)
		hearth_profile_free(b->v[i].profile);
	pool *p = b->priv;
	if (p) {
		for (size_t i = 0; i < p->n; i++)
			free(p->blocks[i]);
		free(p->blocks);
		free(p);
	}
	free(b->v);
	memset(b, 0, sizeof(*b));
}

hearth_ingest_limits hearth_ingest_limits_of(const hearth_ingest_limits *lim)
{
	hearth_ingest_limits l = {0};
	if (lim)
		l = *lim;
	if (!l.max_body)
		l.max_body = HEARTH_INGEST_DEFAULT_MAX_BODY;
	if (!l.max_decompressed)
		l.max_decompressed = HEARTH_INGEST_DEFAULT_MAX_DECOMPRESSED;
	if (!l.max_samples)
		l.max_samples = HEARTH_INGEST_DEFAULT_MAX_SAMPLES;
	if (!l.max_locations)
		l.max_locations = HEARTH_INGEST_DEFAULT_MAX_LOCATIONS;
	if (!l.max_labels)
		l.max_labels = HEARTH_INGEST_DEFAULT_MAX_LABELS;
	/* The store's own caps stand above whatever a caller asks for. */
	if (l.max_labels > HEARTH_MAX_LABELS)
		l.max_labels = HEARTH_MAX_LABELS;
	if (!l.max_label_len)
		l.max_label_len = HEARTH_INGEST_DEFAULT_MAX_LABEL_LEN;
	if (l.max_label_len > HEARTH_INGEST_DEFAULT_MAX_LABEL_LEN)
		l.max_label_len = HEARTH_INGEST_DEFAULT_MAX_LABEL_LEN;
	return l;
}

bool hearth_ingest_utf8_ok(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		unsigned c = u[i];
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return false;
			i++;
			continue;
		}
		size_t more;
		unsigned cp;
		if (c >= 0xc2 && c <= 0xdf)
			more = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			more = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			more = 3, cp = c & 0x07;
		else
			return false;
		if (n - i <= more)
			return false;
		for (size_t k = 1; k <= more; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (u[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and code points past U+10FFFF. */
		if ((more == 2 && cp < 0x800) || (more == 3 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += more + 1;
	}
	return true;
}

static bool name_ok(const char *s, size_t n)
{
	if (n == 0 || n > HEARTH_INGEST_MAX_NAME_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alpha = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
		bool digit = c >= '0' && c <= '9';
		if (!(alpha || (i > 0 && (digit || c == '.'))))
			return false;
	}
	return true;
}

hearth_err hearth_ingest_check_label(const char *name, size_t nn, const char *value, size_t vn,
				     const hearth_ingest_limits *lim, const char *what,
				     hearth_errbuf *eb)
{
	if (!name_ok(name, nn))
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "%s: bad label name \"%.*s\" (1..%d bytes of "
				     "[A-Za-z_][A-Za-z0-9_.]*)",
				     what, nn > 64 ? 64 : (int)nn, name,
				     HEARTH_INGEST_MAX_NAME_LEN);
	if ((nn == 7 && memcmp(name, "service", 7) == 0) ||
	    (nn >= 2 && name[0] == '_' && name[1] == '_'))
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "%s: the label name \"%.*s\" is reserved (\"service\" and "
				     "names starting with \"__\")",
				     what, (int)nn, name);
	if (vn > lim->max_label_len)
		return hearth_seterr(eb, HEARTH_ETOOBIG,
				     "%s: the value of label \"%.*s\" is %zu bytes, more than %zu",
				     what, (int)nn, name, vn, lim->max_label_len);
	if (!hearth_ingest_utf8_ok(value, vn))
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "%s: the value of label \"%.*s\" is not UTF-8 text", what,
				     (int)nn, name);
	return HEARTH_OK;
}

hearth_err hearth_ingest_check_service(const char *s, size_t n, const char *what, hearth_errbuf *eb)
{
	if (n == 0)
		return hearth_seterr(eb, HEARTH_EINVAL, "%s: the service name is empty", what);
	if (n > HEARTH_INGEST_MAX_SERVICE_LEN)
		return hearth_seterr(eb, HEARTH_ETOOBIG,
				     "%s: the service name is %zu bytes, more than %d", what, n,
				     HEARTH_INGEST_MAX_SERVICE_LEN);
	if (!hearth_ingest_utf8_ok(s, n))
		return hearth_seterr(eb, HEARTH_EINVAL, "%s: the service name is not UTF-8 text",
				     what);
	return HEARTH_OK;
}

hearth_err hearth_ingest_check_type(const char *s, size_t n, const char *what, hearth_errbuf *eb)
{
	bool ok = n > 0 && n <= 64;
	for (size_t i = 0; ok && i < n; i++) {
		char c = s[i];
		ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		     c == '_' || c == '.' || c == '-';
	}
	if (!ok)
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "%s: bad profile type \"%.*s\" (1..64 bytes of "
				     "[A-Za-z0-9_.-])",
				     what, n > 64 ? 64 : (int)n, s);
	return HEARTH_OK;
}

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const hearth_kv *)a)->name, ((const hearth_kv *)b)->name);
}

hearth_err hearth_ingest_finish_labels(hearth_ingest_item *it, const hearth_ingest_limits *lim,
				       const char *what, hearth_errbuf *eb)
{
	if (it->nlabels > lim->max_labels)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "%s: %zu labels, more than %zu", what,
				     it->nlabels, lim->max_labels);
	if (it->nlabels > 1)
		qsort(it->labels, it->nlabels, sizeof(*it->labels), kv_cmp);
	for (size_t i = 1; i < it->nlabels; i++)
		if (strcmp(it->labels[i - 1].name, it->labels[i].name) == 0)
			return hearth_seterr(eb, HEARTH_EINVAL, "%s: label \"%s\" given twice",
					     what, it->labels[i].name);
	return HEARTH_OK;
}

hearth_err hearth_ingest_check_profile(const hearth_profile *p, const hearth_ingest_limits *lim,
				       const char *what, hearth_errbuf *eb)
{
	if (p->nsamples > lim->max_samples)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "%s: %zu samples, more than %zu", what,
				     p->nsamples, lim->max_samples);
	if (p->nlocations > lim->max_locations)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "%s: %u locations, more than %zu", what,
				     p->nlocations, lim->max_locations);
	if (p->nsample_types == 0 && p->nsamples > 0)
		return hearth_seterr(eb, HEARTH_ECORRUPT, "%s: samples without sample types", what);
	return HEARTH_OK;
}

hearth_err hearth_ingest_parse_profile(const void *data, size_t n, const hearth_ingest_limits *lim,
				       const char *what, hearth_profile **out, hearth_errbuf *eb)
{
	return hearth_ingest_parse_profile_sized(data, n, lim, what, out, NULL, eb);
}

hearth_err hearth_ingest_parse_profile_sized(const void *data, size_t n,
					     const hearth_ingest_limits *lim, const char *what,
					     hearth_profile **out, size_t *size, hearth_errbuf *eb)
{
	const uint8_t *d = data;
	uint8_t *raw = NULL;
	hearth_errbuf e = {{0}};
	hearth_err err;
	*out = NULL;
	if (n == 0)
		return hearth_seterr(eb, HEARTH_EFORMAT, "%s: empty profile", what);
	/* gunzip here rather than in hearth_parse: the cap's message must speak
	 * of the server's limit, not of the CLI's -max_size. */
	if (n >= 2 && d[0] == 0x1f && d[1] == 0x8b) {
		size_t rn;
		err = hearth_gunzip(d, n, lim->max_decompressed, &raw, &rn, &e);
		if (err == HEARTH_ETOOBIG)
			return hearth_seterr(eb, err,
					     "%s: the profile decompresses to more than %zu bytes",
					     what, lim->max_decompressed);
		if (err)
			return hearth_seterr(eb, err, "%s: %s", what,
					     e.msg[0] ? e.msg : hearth_strerror(err));
		d = raw;
		n = rn;
	} else if (n > lim->max_decompressed) {
		return hearth_seterr(eb, HEARTH_ETOOBIG, "%s: the profile is more than %zu bytes",
				     what, lim->max_decompressed);
	}
	if (size)
		*size = n;
	hearth_read_opts o = {.max_size = lim->max_decompressed};
	err = n ? hearth_parse(d, n, &o, out, &e)
		: hearth_seterr(&e, HEARTH_EFORMAT, "empty profile after gunzip");
	free(raw);
	if (err)
		return hearth_seterr(eb, err, "%s: %s", what,
				     e.msg[0] ? e.msg : hearth_strerror(err));
	err = hearth_ingest_check_profile(*out, lim, what, eb);
	if (err) {
		hearth_profile_free(*out);
		*out = NULL;
	}
	return err;
}

hearth_err hearth_ingest_clean_err(hearth_err err, hearth_errbuf *eb)
{
	if (err && eb) {
		size_t n = strnlen(eb->msg, sizeof(eb->msg) - 1);
		eb->msg[n] = 0;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)eb->msg[i] < 0x20 || eb->msg[i] == 0x7f)
				eb->msg[i] = '?';
	}
	return err;
}

int64_t hearth_ingest_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- Times ------------------------------------------------------------- */

static bool digits(const char *s, size_t n, int64_t *v)
{
	int64_t x = 0;
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (x > (INT64_MAX - 9) / 10)
			return false;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return true;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool rfc3339(const char *s, size_t n, int64_t *out)
{
	int64_t y, mo, d, h, mi, se, frac = 0;
	size_t i = 19;
	if (n < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
		return false;
	if (!digits(s, 4, &y) || !digits(s + 5, 2, &mo) || !digits(s + 8, 2, &d) ||
	    !digits(s + 11, 2, &h) || !digits(s + 14, 2, &mi) || !digits(s + 17, 2, &se))
		return false;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 || mi > 59 || se > 60)
		return false;
	if (s[i] == '.' || s[i] == ',') {
		int64_t scale = 100000000;
		size_t k = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9') {
			frac += (s[i] - '0') * scale;
			scale /= 10;
			i++;
		}
		if (i == k)
			return false;
	}
	int64_t off = 0;
	if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i < n && (s[i] == '+' || s[i] == '-')) {
		int64_t oh, om;
		if (n - i != 6 || s[i + 3] != ':' || !digits(s + i + 1, 2, &oh) ||
		    !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
			return false;
		off = (oh * 60 + om) * 60 * (s[i] == '+' ? 1 : -1);
		i += 6;
	} else {
		return false;
	}
	if (i != n)
		return false;
	int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - off;
	*out = secs * 1000000000 + frac;
	return true;
}

#define MAX_SPAN ((int64_t)200 * 366 * 86400 * 1000000000)

/* "1h30m", "7d": a sum of number-unit pairs, in nanoseconds. */
static bool duration(const char *s, size_t n, int64_t *out)
{
	int64_t total = 0;
	size_t i = 0;
	if (n == 0)
		return false;
	while (i < n) {
		size_t k = i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		int64_t v;
		if (!digits(s + k, i - k, &v) || i == n)
			return false;
		int64_t unit;
		if (n - i >= 2 && s[i] == 'm' && s[i + 1] == 's')
			unit = 1000000, i += 2;
		else if (s[i] == 's')
			unit = 1000000000, i++;
		else if (s[i] == 'm')
			unit = 60 * (int64_t)1000000000, i++;
		else if (s[i] == 'h')
			unit = 3600 * (int64_t)1000000000, i++;
		else if (s[i] == 'd')
			unit = 86400 * (int64_t)1000000000, i++;
		else if (s[i] == 'w')
			unit = 7 * 86400 * (int64_t)1000000000, i++;
		else if (s[i] == 'y')
			unit = 365 * 86400 * (int64_t)1000000000, i++;
		else
			return false;
		/* Nothing past 200 years means anything here; it keeps the sums
		 * far from overflow. */
		if (v > MAX_SPAN / unit)
			return false;
		total += v * unit;
		if (total > MAX_SPAN)
			return false;
	}
	*out = total;
	return true;
}

static hearth_err time_parse_impl(const char *s, int64_t now_nanos, int64_t *out_nanos,
				  hearth_errbuf *eb)
{
	size_t n = s ? strlen(s) : 0;
	int64_t v;
	if (n == 0)
		return hearth_seterr(eb, HEARTH_EINVAL, "empty time");
	if (n > 64)
		return hearth_seterr(eb, HEARTH_EINVAL, "bad time: more than 64 bytes");
	if (strcmp(s, "now") == 0) {
		*out_nanos = now_nanos;
		return HEARTH_OK;
	}
	const char *rel = NULL;
	if (s[0] == '-')
		rel = s + 1;
	else if (n > 4 && memcmp(s, "now-", 4) == 0)
		rel = s + 4;
	if (rel) {
		if (!duration(rel, n - (size_t)(rel - s), &v))
			return hearth_seterr(eb, HEARTH_EINVAL,
					     "bad time \"%s\": a relative time is like -1h, -30m, "
					     "-7d, -1w or -1h30m",
					     s);
		*out_nanos = now_nanos - v;
		return HEARTH_OK;
	}
	if (digits(s, n, &v)) {
		/* Integers by their size, as Pyroscope reads from and until:
		 * seconds up to the year 5138, then milliseconds, microseconds,
		 * nanoseconds. */
		if (v < (int64_t)100000000000)
			v *= 1000000000;
		else if (v < (int64_t)100000000000000)
			v *= 1000000;
		else if (v < (int64_t)100000000000000000)
			v *= 1000;
		*out_nanos = v;
		return HEARTH_OK;
	}
	if (rfc3339(s, n, &v)) {
		*out_nanos = v;
		return HEARTH_OK;
	}
	return hearth_seterr(eb, HEARTH_EINVAL,
			     "bad time \"%s\": Unix seconds, RFC 3339 "
			     "(2026-12-03T09:30:00Z), now, or relative (-1h, -30m, -7d)",
			     s);
}

/* ---- Base64 ------------------------------------------------------------ */

static int b64val(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

bool hearth_ingest_base64(const char *s, size_t n, uint8_t **out, size_t *outn)
{
	while (n > 0 && s[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return false;
	uint8_t *d = malloc(n / 4 * 3 + 3);
	if (!d)
		return false;
	size_t w = 0;
	uint32_t acc = 0;
	unsigned bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64val((unsigned char)s[i]);
		if (v < 0) {
			free(d);
			return false;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[w++] = (uint8_t)(acc >> bits);
		}
	}
	*out = d;
	*outn = w;
	return true;
}

hearth_err hearth_time_parse(const char *s, int64_t now_nanos, int64_t *out_nanos,
			     hearth_errbuf *eb)
{
	return hearth_ingest_clean_err(time_parse_impl(s, now_nanos, out_nanos, eb), eb);
}
