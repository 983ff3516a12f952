/* Pyroscope's HTTP ingest: POST /ingest?name=app.cpu{k=v,...}&from=&until=
 * &format=pprof|folded|lines&sampleRate=&spyName=&units=&aggregationType=.
 *
 * What the Pyroscope Go SDK (github.com/grafana/pyroscope-go v1.5) sends:
 * name is the application name and its tags, "app{k=v,...}" without a type
 * suffix (older clients and other SDKs write "app.cpu{...}"); from and
 * until are Unix nanoseconds; the body is multipart/form-data with the part
 * "profile" (gzipped profile.proto) and, for heap, mutex, block and
 * goroutine profiles, "sample_type_config" (JSON: per sample type its units,
 * aggregation, display-name, sampled, cumulative).  Older clients also send
 * "prev_profile", the previous cumulative profile, to be subtracted.  The
 * SDK's tags include "__session_id__" and otel-style names with dots
 * ("process.runtime.version").
 *
 * hearth keeps one profile with all its sample types: the service is the
 * application name, the labels are the tags (names starting "__" are
 * dropped: they are Pyroscope's internal ones), and the type comes from the
 * name's suffix, else from the sample_type_config's display names (mutex_*,
 * block_*), else from the profile itself (hearth_profile_type_guess).
 * folded and lines bodies become a profile whose sample type follows units
 * and aggregationType (docs/ingest.md). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hearth/io.h"
#include "hearth/query.h"
#include "ingest/internal.h"
#include "util.h"

/* ---- name=app.cpu{k=v,...} ---------------------------------------------- */

/* Pyroscope's type suffixes and hearth's profile types. */
static const struct {
	const char *suffix, *type;
} suffixes[] = {
    {"cpu", "cpu"},
    {"itimer", "cpu"},
    {"alloc_objects", "heap"},
    {"alloc_space", "heap"},
    {"inuse_objects", "heap"},
    {"inuse_space", "heap"},
    {"goroutines", "goroutine"},
    {"goroutine", "goroutine"},
    {"mutex_count", "mutex"},
    {"mutex_duration", "mutex"},
    {"block_count", "block"},
    {"block_duration", "block"},
    {"wall", "wall"},
};

static const char *trim(const char *s, size_t *n)
{
	while (*n && (*s == ' ' || *s == '\t'))
		s++, (*n)--;
	while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t'))
		(*n)--;
	return s;
}

static hearth_err parse_name(hearth_ingest_batch *b, hearth_ingest_item *it, const char *name,
			     const hearth_ingest_limits *lim, hearth_errbuf *eb)
{
	size_t len = strlen(name);
	const char *brace = memchr(name, '{', len);
	size_t an = brace ? (size_t)(brace - name) : len;
	const char *app = trim(name, &an);
	/* The type suffix: ".cpu" and the others Pyroscope's clients write. */
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t sn = strlen(suffixes[i].suffix);
		if (an > sn + 1 && app[an - sn - 1] == '.' &&
		    memcmp(app + an - sn, suffixes[i].suffix, sn) == 0) {
			it->type = suffixes[i].type;
			an -= sn + 1;
			break;
		}
	}
	hearth_err err = hearth_ingest_check_service(app, an, "name", eb);
	if (err)
		return err;
	if (!(it->service = hearth_ingest_strdup(b, app, an)))
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	if (!brace)
		return HEARTH_OK;
	const char *s = brace + 1, *end = name + len;
	const char *close = memchr(s, '}', (size_t)(end - s));
	if (!close)
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "name: the tags' '{' at byte %zu is not closed",
				     (size_t)(brace - name));
	for (const char *r = close + 1; r < end; r++)
		if (*r != ' ' && *r != '\t')
			return hearth_seterr(eb, HEARTH_EINVAL,
					     "name: text after the tags at byte %zu",
					     (size_t)(r - name));
	size_t count = 1;
	for (const char *r = s; r < close; r++)
		count += *r == ',';
	/* Internal tags are dropped below, so the cap on what is kept comes
	 * after; this bounds the work. */
	if (count > 4 * lim->max_labels + 16)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "name: %zu tags, more than %zu", count,
				     lim->max_labels);
	if (!(it->labels = hearth_ingest_alloc(b, count * sizeof(hearth_kv))))
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	while (s < close) {
		const char *e = memchr(s, ',', (size_t)(close - s));
		if (!e)
			e = close;
		size_t pn = (size_t)(e - s);
		const char *pair = trim(s, &pn);
		if (pn == 0) { /* "{}" and a trailing comma */
			s = e + 1;
			continue;
		}
		const char *eq = memchr(pair, '=', pn);
		if (!eq)
			return hearth_seterr(eb, HEARTH_EINVAL,
					     "name: tag \"%.*s\" at byte %zu is not name=value",
					     (int)(pn > 64 ? 64 : pn), pair, (size_t)(pair - name));
		size_t kn = (size_t)(eq - pair), vn = pn - kn - 1;
		const char *k = trim(pair, &kn), *v = trim(eq + 1, &vn);
		s = e + 1;
		if (kn >= 2 && k[0] == '_' && k[1] == '_')
			continue;
		if ((err = hearth_ingest_check_label(k, kn, v, vn, lim, "name's tags", eb)))
			return err;
		hearth_kv *kv = &it->labels[it->nlabels++];
		kv->name = hearth_ingest_strdup(b, k, kn);
		kv->value = hearth_ingest_strdup(b, v, vn);
		if (!kv->name || !kv->value)
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	return hearth_ingest_finish_labels(it, lim, "name's tags", eb);
}

/* ---- multipart/form-data -------------------------------------------------- */

typedef struct {
	const uint8_t *profile, *prev, *config;
	size_t nprofile, nprev, nconfig;
	bool has_profile, has_prev, has_config;
} parts;

/* The boundary parameter of a multipart content type (RFC 2046: 1..70
 * characters, maybe quoted). */
static bool boundary_of(const char *ct, char *out, size_t outn)
{
	const char *p = strcasestr(ct, "boundary=");
	if (!p)
		return false;
	p += 9;
	size_t n = 0;
	if (*p == '"') {
		p++;
		while (p[n] && p[n] != '"')
			n++;
		if (p[n] != '"')
			return false;
	} else {
		while (p[n] && p[n] != ';' && p[n] != ' ' && p[n] != '\t')
			n++;
	}
	if (n == 0 || n > 70 || n + 1 > outn)
		return false;
	memcpy(out, p, n);
	out[n] = 0;
	return true;
}

/* The name="..." of a part's Content-Disposition header. */
static bool part_name(const uint8_t *h, size_t n, char *out, size_t outn)
{
	const char *s = (const char *)h;
	for (size_t i = 0; i < n;) {
		const char *nl = memmem(s + i, n - i, "\r\n", 2);
		size_t ln = nl ? (size_t)(nl - (s + i)) : n - i;
		if (ln > 20 && strncasecmp(s + i, "content-disposition:", 20) == 0) {
			const char *line = s + i;
			for (size_t k = 20; k + 6 <= ln; k++) {
				if (strncasecmp(line + k, "name=\"", 6) != 0 ||
				    (line[k - 1] != ' ' && line[k - 1] != ';'))
					continue;
				const char *v = line + k + 6;
				const char *q = memchr(v, '"', ln - k - 6);
				if (!q || (size_t)(q - v) + 1 > outn)
					return false;
				memcpy(out, v, (size_t)(q - v));
				out[q - v] = 0;
				return true;
			}
		}
		i += ln + 2;
	}
	return false;
}

static hearth_err parse_multipart(const char *ct, const uint8_t *body, size_t n, parts *pt,
				  hearth_errbuf *eb)
{
	char bnd[80], delim[84];
	memset(pt, 0, sizeof(*pt));
	if (!boundary_of(ct, bnd, sizeof(bnd)))
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "multipart body: the content type has no usable boundary");
	/* Every delimiter but the first follows a CRLF; the first may open the
	 * body.  Searching "\r\n--B" in "\r\n" + body finds them all. */
	size_t dn = (size_t)snprintf(delim, sizeof(delim), "\r\n--%s", bnd);
	const uint8_t *p;
	if (n >= dn - 2 && memcmp(body, delim + 2, dn - 2) == 0)
		p = body + dn - 2;
	else if ((p = memmem(body, n, delim, dn)))
		p += dn;
	else
		return hearth_seterr(eb, HEARTH_EINVAL, "multipart body: no boundary line");
	const uint8_t *end = body + n;
	for (int count = 0;; count++) {
		/* After a delimiter: "--" ends the body, else CRLF and a part. */
		if (end - p >= 2 && p[0] == '-' && p[1] == '-')
			break;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
			return hearth_seterr(eb, HEARTH_EINVAL,
					     "multipart body: offset %zu: bad boundary line",
					     (size_t)(p - body));
		if (count >= 16)
			return hearth_seterr(eb, HEARTH_ETOOBIG,
					     "multipart body: more than 16 parts");
		p += 2;
		const uint8_t *hend = memmem(p, (size_t)(end - p), "\r\n\r\n", 4);
		const uint8_t *hstart = p;
		size_t hn;
		if (end - p >= 2 && p[0] == '\r' && p[1] == '\n') {
			hn = 0; /* a part without headers */
			p += 2;
		} else if (!hend || hend - p > 16384) {
			return hearth_seterr(eb, HEARTH_EINVAL,
					     "multipart body: offset %zu: a part's headers do not "
					     "end",
					     (size_t)(p - body));
		} else {
			hn = (size_t)(hend - p);
			p = hend + 4;
		}
		const uint8_t *next = memmem(p, (size_t)(end - p), delim, dn);
		if (!next)
			return hearth_seterr(
			    eb, HEARTH_EINVAL,
			    "multipart body: offset %zu: a part is not closed by a "
			    "boundary (truncated?)",
			    (size_t)(p - body));
		char name[64] = "";
		if (!part_name(hstart, hn, name, sizeof(name)))
			return hearth_seterr(eb, HEARTH_EINVAL,
					     "multipart body: offset %zu: a part without a "
					     "Content-Disposition name",
					     (size_t)(hstart - body));
		const uint8_t **dst = NULL;
		size_t *dn_ = NULL;
		bool *has = NULL;
		if (strcmp(name, "profile") == 0)
			dst = &pt->profile, dn_ = &pt->nprofile, has = &pt->has_profile;
		else if (strcmp(name, "prev_profile") == 0)
			dst = &pt->prev, dn_ = &pt->nprev, has = &pt->has_prev;
		else if (strcmp(name, "sample_type_config") == 0)
			dst = &pt->config, dn_ = &pt->nconfig, has = &pt->has_config;
		if (has) {
			if (*has)
				return hearth_seterr(
				    eb, HEARTH_EINVAL,
				    "multipart body: the part \"%s\" is given twice", name);
			*dst = p;
			*dn_ = (size_t)(next - p);
			*has = true;
		}
		/* Other parts are ignored, as Pyroscope ignores them. */
		p = next + dn;
	}
	if (!pt->has_profile)
		return hearth_seterr(eb, HEARTH_EINVAL, "multipart body: no \"profile\" part");
	return HEARTH_OK;
}

/* ---- sample_type_config ------------------------------------------------- */

typedef struct {
	char name[64];
	char display[64];
	bool cumulative;
} stc_entry;

typedef struct {
	stc_entry v[32];
	size_t n;
} stc;

static hearth_err parse_config(const uint8_t *s, size_t n, stc *c, hearth_errbuf *eb)
{
	memset(c, 0, sizeof(*c));
	if (n > 65536)
		return hearth_seterr(eb, HEARTH_ETOOBIG,
				     "sample_type_config: %zu bytes, more than 65536", n);
	json_error_t je;
	json_t *root = json_loadb((const char *)s, n, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return hearth_seterr(eb, HEARTH_EINVAL, "sample_type_config: byte %d: %s",
				     je.position, je.text);
	hearth_err err = HEARTH_OK;
	if (!json_is_object(root)) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "sample_type_config: not a JSON object");
		goto out;
	}
	const char *key;
	json_t *v;
	json_object_foreach(root, key, v)
	{
		if (c->n == sizeof(c->v) / sizeof(c->v[0])) {
			err = hearth_seterr(eb, HEARTH_ETOOBIG,
					    "sample_type_config: more than 32 sample types");
			goto out;
		}
		if (!json_is_object(v) || strlen(key) >= sizeof(c->v[0].name)) {
			err = hearth_seterr(eb, HEARTH_EINVAL,
					    "sample_type_config: \"%.64s\" is not a sample type "
					    "name with an object",
					    key);
			goto out;
		}
		stc_entry *e = &c->v[c->n++];
		snprintf(e->name, sizeof(e->name), "%s", key);
		json_t *d = json_object_get(v, "display-name");
		if (json_is_string(d))
			snprintf(e->display, sizeof(e->display), "%s", json_string_value(d));
		e->cumulative = json_is_true(json_object_get(v, "cumulative"));
	}
out:
	json_decref(root);
	return err;
}

static const stc_entry *config_for(const stc *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].name, name) == 0)
			return &c->v[i];
	return NULL;
}

/* ---- prev_profile: cumulative profiles as deltas --------------------------- */

/* A sample's identity across two profiles: its frames (function, file and
 * line of every line of every location, or the address of a location
 * without lines) and its labels, as bytes. */
static void sample_key(const hearth_profile *p, size_t i, hearth_buf *k)
{
	const hearth_sample *s = &p->samples[i];
	k->len = 0;
	/* Never empty, so that the key's bytes are never a NULL pointer. */
	hearth_buf_put(k, "S", 1);
	for (uint32_t j = 0; j < s->nlocs; j++) {
		const hearth_location *l = &p->locations[p->locs[s->loc0 + j]];
		if (l->nlines == 0)
			hearth_buf_printf(k, "@%llx", (unsigned long long)l->address);
		for (uint32_t m = 0; m < l->nlines; m++) {
			const hearth_line *ln = &p->lines[l->line0 + m];
			const hearth_function *f = &p->functions[ln->function];
			hearth_buf_printf(k, "%s%c%s%c%lld%c", hearth_s(p, f->name), 0,
					  hearth_s(p, f->file), 0, (long long)ln->line, 0);
		}
		hearth_buf_put(k, "\n", 1);
	}
	for (uint32_t j = 0; j < s->nlabels; j++) {
		const hearth_label *lb = &p->labels[s->label0 + j];
		hearth_buf_printf(k, "%s%c%s%c%lld%c%s%c", hearth_s(p, lb->key), 0,
				  hearth_s(p, lb->str), 0, (long long)lb->num, 0,
				  hearth_s(p, lb->unit), 0);
	}
}

typedef struct {
	char *key;
	size_t len;
	size_t sample;
} kentry;

/* Subtracts prev's values from p's, for the sample types marked in sub
 * (by p's index; prev's index of the same type in map), sample by sample
 * matched by identity; what goes below zero is zero (a counter reset). */
static hearth_err subtract(hearth_profile *p, const hearth_profile *prev, const bool *sub,
			   const uint32_t *map, hearth_errbuf *eb)
{
	size_t cap = 64;
	while (cap < prev->nsamples * 2)
		cap *= 2;
	kentry *tab = calloc(cap, sizeof(*tab));
	hearth_buf k = {0};
	hearth_err err = HEARTH_OK;
	if (!tab)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	for (size_t i = 0; i < prev->nsamples; i++) {
		sample_key(prev, i, &k);
		if (k.oom)
			goto oom;
		size_t h = hearth_hash_bytes(k.data, k.len) & (cap - 1);
		while (tab[h].key && !(tab[h].len == k.len && !memcmp(tab[h].key, k.data, k.len)))
			h = (h + 1) & (cap - 1);
		if (tab[h].key) /* the same stack twice: the first one counts */
			continue;
		if (!(tab[h].key = malloc(k.len + 1)))
			goto oom;
		memcpy(tab[h].key, k.data ? k.data : "", k.len);
		tab[h].len = k.len;
		tab[h].sample = i;
	}
	for (size_t i = 0; i < p->nsamples; i++) {
		sample_key(p, i, &k);
		if (k.oom)
			goto oom;
		size_t h = hearth_hash_bytes(k.data, k.len) & (cap - 1);
		while (tab[h].key && !(tab[h].len == k.len && !memcmp(tab[h].key, k.data, k.len)))
			h = (h + 1) & (cap - 1);
		if (!tab[h].key)
			continue;
		int64_t *v = hearth_sample_values(p, i);
		const int64_t *pv = hearth_sample_values(prev, tab[h].sample);
		for (uint32_t t = 0; t < p->nsample_types; t++) {
			if (!sub[t])
				continue;
			int64_t d = v[t] - pv[map[t]];
			v[t] = d > 0 ? d : 0;
		}
	}
	goto out;
oom:
	err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
out:
	for (size_t i = 0; i < cap; i++)
		free(tab[i].key);
	free(tab);
	hearth_buf_free(&k);
	return err;
}

/* Without a sample_type_config, what accumulates in a cumulative profile:
 * everything but snapshots. */
static bool accumulates(const char *type)
{
	return strncmp(type, "inuse_", 6) != 0 && strncmp(type, "goroutine", 9) != 0 &&
	       strcmp(type, "threadcreate") != 0;
}

static hearth_err apply_prev(hearth_profile *p, const hearth_profile *prev, const stc *c,
			     bool has_config, hearth_errbuf *eb)
{
	bool sub[64] = {false};
	uint32_t map[64];
	bool any = false;
	if (p->nsample_types > 64)
		return HEARTH_OK;
	for (uint32_t t = 0; t < p->nsample_types; t++) {
		const char *name = hearth_s(p, p->sample_types[t].type);
		const stc_entry *e = config_for(c, name);
		if (has_config ? !(e && e->cumulative) : !accumulates(name))
			continue;
		for (uint32_t u = 0; u < prev->nsample_types; u++)
			if (strcmp(hearth_s(prev, prev->sample_types[u].type), name) == 0 &&
			    strcmp(hearth_s(prev, prev->sample_types[u].unit),
				   hearth_s(p, p->sample_types[t].unit)) == 0) {
				sub[t] = true;
				map[t] = u;
				any = true;
				break;
			}
	}
	return any ? subtract(p, prev, sub, map, eb) : HEARTH_OK;
}

/* ---- folded and lines ------------------------------------------------------ */

/* Turns the samples/count profile hearth_folded_parse made into what units
 * and aggregationType say; *type receives hearth's profile type. */
static hearth_err retype(hearth_profile *p, const char *units, const char *agg, int64_t rate,
			 const char **type, hearth_errbuf *eb)
{
	bool avg = agg && strcmp(agg, "average") == 0;
	const char *st, *su;
	if (p->nsample_types != 1)
		return hearth_seterr(
		    eb, HEARTH_EINVAL,
		    "body: folded stacks with a comparison or a \"# type\" are not "
		    "a Pyroscope upload");
	if (!units || !*units || strcmp(units, "samples") == 0) {
		/* CPU samples at sampleRate per second: as a Go CPU profile,
		 * samples/count and cpu/nanoseconds. */
		if (rate <= 0)
			rate = 100;
		int64_t period = 1000000000 / rate;
		if (period <= 0)
			period = 1;
		int64_t *nv = malloc(sizeof(int64_t) * (p->nsamples * 2 + 1));
		hearth_value_type *nt = realloc(p->sample_types, 2 * sizeof(*nt));
		if (!nv || !nt) {
			free(nv);
			if (nt)
				p->sample_types = nt;
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		}
		p->sample_types = nt;
		for (size_t i = 0; i < p->nsamples; i++) {
			int64_t v = p->values[i];
			nv[2 * i] = v;
			if (__builtin_mul_overflow(v, period, &nv[2 * i + 1])) {
				free(nv);
				return hearth_seterr(eb, HEARTH_EINVAL,
						     "body: sample %zu: %lld samples overflow as "
						     "nanoseconds",
						     i, (long long)v);
			}
		}
		free(p->values);
		p->values = nv;
		p->capvalues = p->nsamples * 2 + 1;
		uint32_t s = hearth_intern_cstr(p, "samples"), c = hearth_intern_cstr(p, "count"),
			 cpu = hearth_intern_cstr(p, "cpu"),
			 ns = hearth_intern_cstr(p, "nanoseconds");
		if (s == HEARTH_NONE || c == HEARTH_NONE || cpu == HEARTH_NONE || ns == HEARTH_NONE)
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		p->sample_types[0] = (hearth_value_type){s, c};
		p->sample_types[1] = (hearth_value_type){cpu, ns};
		p->nsample_types = 2;
		p->period_type = (hearth_value_type){cpu, ns};
		p->period = period;
		p->default_sample_type = cpu;
		*type = "cpu";
		return HEARTH_OK;
	}
	if (strcmp(units, "objects") == 0)
		st = avg ? "inuse_objects" : "alloc_objects", su = "count",
		*type = avg ? "heap" : "allocs";
	else if (strcmp(units, "bytes") == 0)
		st = avg ? "inuse_space" : "alloc_space", su = "bytes",
		*type = avg ? "heap" : "allocs";
	else if (strcmp(units, "goroutines") == 0)
		st = "goroutine", su = "count", *type = "goroutine";
	else if (strcmp(units, "lock_samples") == 0)
		st = "contentions", su = "count", *type = "mutex";
	else if (strcmp(units, "lock_nanoseconds") == 0)
		st = "delay", su = "nanoseconds", *type = "mutex";
	else {
		hearth_err err = hearth_ingest_check_type(units, strlen(units), "units", eb);
		if (err)
			return err;
		st = units, su = units, *type = NULL;
	}
	uint32_t t = hearth_intern_cstr(p, st), u = hearth_intern_cstr(p, su);
	if (t == HEARTH_NONE || u == HEARTH_NONE)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	p->sample_types[0] = (hearth_value_type){t, u};
	p->default_sample_type = t;
	return HEARTH_OK;
}

/* Pyroscope's "lines": one stack per line, each worth one sample; made into
 * folded stacks ("stack 1") for the folded reader. */
static hearth_err lines_to_folded(const uint8_t *d, size_t n, const hearth_ingest_limits *lim,
				  hearth_buf *out, hearth_errbuf *eb)
{
	size_t count = 0;
	for (size_t i = 0; i < n;) {
		const uint8_t *nl = memchr(d + i, '\n', n - i);
		size_t len = nl ? (size_t)(nl - (d + i)) : n - i;
		size_t l = len;
		while (l && (d[i + l - 1] == '\r' || d[i + l - 1] == ' '))
			l--;
		if (l) {
			if (++count > lim->max_samples)
				return hearth_seterr(eb, HEARTH_ETOOBIG,
						     "body: more than %zu lines (samples)",
						     lim->max_samples);
			hearth_buf_put(out, (const char *)d + i, l);
			hearth_buf_put(out, " 1\n", 3);
		}
		i += len + 1;
	}
	if (out->oom)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	return HEARTH_OK;
}

static hearth_err parse_text(const uint8_t *d, size_t n, bool lines, const char *units,
			     const char *agg, int64_t rate, const hearth_ingest_limits *lim,
			     hearth_profile **out, const char **type, hearth_errbuf *eb)
{
	hearth_buf fb = {0};
	hearth_errbuf e = {{0}};
	hearth_err err;
	*out = NULL;
	if (n > lim->max_decompressed)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "body: more than %zu bytes",
				     lim->max_decompressed);
	if (lines) {
		if ((err = lines_to_folded(d, n, lim, &fb, eb)))
			goto out;
		d = (const uint8_t *)fb.data;
		n = fb.len;
	}
	if (n == 0) {
		err = hearth_seterr(eb, HEARTH_EFORMAT, "body: no stacks");
		goto out;
	}
	err = hearth_folded_parse(d, n, out, &e);
	if (err == HEARTH_EFORMAT)
		err = hearth_seterr(eb, err, "body: not folded stacks (\"a;b;c 123\" lines)");
	else if (err)
		hearth_seterr(eb, err, "body: %s", e.msg[0] ? e.msg : hearth_strerror(err));
	if (!err && !(err = hearth_ingest_check_profile(*out, lim, "body", eb)))
		err = retype(*out, units, agg, rate, type, eb);
out:
	hearth_buf_free(&fb);
	if (err) {
		hearth_profile_free(*out);
		*out = NULL;
	}
	return err;
}

/* ---- The request ------------------------------------------------------------- */

static hearth_err get_time(const hearth_query *q, const char *name, int64_t now, int64_t *out,
			   hearth_errbuf *eb)
{
	const char *s = hearth_query_get(q, name, NULL);
	*out = 0;
	if (!s || !*s)
		return HEARTH_OK;
	hearth_errbuf e = {{0}};
	hearth_err err = hearth_time_parse(s, now, out, &e);
	if (err)
		return hearth_seterr(eb, err, "%s: %s", name, e.msg);
	return HEARTH_OK;
}

static hearth_err pyroscope_impl(const char *query, size_t qlen, const char *content_type,
				 const void *body, size_t n, const hearth_ingest_limits *limits,
				 hearth_ingest_batch *out, hearth_errbuf *eb)
{
	hearth_ingest_limits lim = hearth_ingest_limits_of(limits);
	hearth_query q = {0};
	hearth_ingest_batch b = {0};
	hearth_profile *prev = NULL;
	hearth_err err;
	memset(out, 0, sizeof(*out));
	if (n > lim.max_body)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "body: %zu bytes, more than %zu", n,
				     lim.max_body);
	if ((err = hearth_query_parse(query ? query : "", query ? qlen : 0, &q, eb)))
		return err;
	hearth_ingest_item *it = hearth_ingest_add(&b);
	if (!it) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	const char *name = hearth_query_get(&q, "name", NULL);
	if (!name || !*name) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "query: name=APP{tags} is required");
		goto out;
	}
	if ((err = parse_name(&b, it, name, &lim, eb)))
		goto out;
	int64_t now = hearth_ingest_now(), from, until;
	if ((err = get_time(&q, "from", now, &from, eb)) ||
	    (err = get_time(&q, "until", now, &until, eb)))
		goto out;
	if (from && until && until < from) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "query: until is before from");
		goto out;
	}
	int64_t rate = 0;
	const char *rs = hearth_query_get(&q, "sampleRate", NULL);
	if (rs && *rs) {
		char *e;
		long long v = strtoll(rs, &e, 10);
		/* The SDK sends sampleRate=0 for profiles without a rate. */
		if (*e || v < 0 || v > 1000000000) {
			err = hearth_seterr(eb, HEARTH_EINVAL,
					    "query: sampleRate=%.32s is not a rate per second", rs);
			goto out;
		}
		rate = v;
	}
	const char *format = hearth_query_get(&q, "format", NULL);
	const char *units = hearth_query_get(&q, "units", NULL);
	const char *agg = hearth_query_get(&q, "aggregationType", NULL);
	if (agg && *agg && strcmp(agg, "sum") != 0 && strcmp(agg, "average") != 0) {
		err = hearth_seterr(eb, HEARTH_EINVAL,
				    "query: aggregationType=%.32s is neither sum nor average", agg);
		goto out;
	}
	bool multipart = content_type && strncasecmp(content_type, "multipart/form-data", 19) == 0;
	if (format && *format && strcmp(format, "pprof") != 0 && strcmp(format, "folded") != 0 &&
	    strcmp(format, "lines") != 0) {
		err = hearth_seterr(eb, HEARTH_EINVAL,
				    "query: format=%.32s is not supported (pprof, folded, lines)",
				    format);
		goto out;
	}
	bool text = !multipart && (!format || !*format || strcmp(format, "pprof") != 0);
	const uint8_t *d = body;
	if (text) {
		/* Pyroscope reads a body without a format as folded stacks; a
		 * profile.proto sent that way is read as what it is. */
		bool lines = format && strcmp(format, "lines") == 0;
		const char *type = NULL;
		bool sniff = (!format || !*format) && n >= 2 &&
			     ((d[0] == 0x1f && d[1] == 0x8b) || d[0] == 0x0a);
		if (sniff) {
			err = hearth_ingest_parse_profile(body, n, &lim, "body", &it->profile, eb);
		} else {
			err = parse_text(body, n, lines, units, agg, rate, &lim, &it->profile,
					 &type, eb);
			if (!it->type)
				it->type = type;
		}
		if (err)
			goto out;
	} else if (!multipart) {
		if ((err = hearth_ingest_parse_profile(body, n, &lim, "body", &it->profile, eb)))
			goto out;
	} else {
		parts pt;
		stc cfg = {0};
		if ((err = parse_multipart(content_type, body, n, &pt, eb)))
			goto out;
		if (pt.has_config && (err = parse_config(pt.config, pt.nconfig, &cfg, eb)))
			goto out;
		if ((err = hearth_ingest_parse_profile(pt.profile, pt.nprofile, &lim,
						       "the profile part", &it->profile, eb)))
			goto out;
		if (pt.has_prev && pt.nprev > 0) {
			if ((err = hearth_ingest_parse_profile(pt.prev, pt.nprev, &lim,
							       "the prev_profile part", &prev, eb)))
				goto out;
			if ((err = apply_prev(it->profile, prev, &cfg, pt.has_config, eb)))
				goto out;
		}
		/* The SDK's mutex and block profiles look alike (contentions,
		 * delay); their display names tell them apart. */
		for (size_t i = 0; !it->type && i < cfg.n; i++) {
			if (strncmp(cfg.v[i].display, "mutex_", 6) == 0)
				it->type = "mutex";
			else if (strncmp(cfg.v[i].display, "block_", 6) == 0)
				it->type = "block";
			else if (strcmp(cfg.v[i].display, "goroutine") == 0)
				it->type = "goroutine";
		}
	}
	hearth_profile *p = it->profile;
	if (p->time_nanos == 0 && from)
		p->time_nanos = from;
	if (p->duration_nanos == 0 && from && until)
		p->duration_nanos = until - from;
	it->time_nanos = from;
out:
	hearth_profile_free(prev);
	hearth_query_free(&q);
	if (err)
		hearth_ingest_batch_free(&b);
	else
		*out = b;
	return err;
}

hearth_err hearth_ingest_pyroscope(const char *query, size_t qlen, const char *content_type,
				   const void *body, size_t n, const hearth_ingest_limits *lim,
				   hearth_ingest_batch *out, hearth_errbuf *eb)
{
	/* An empty request may come without a buffer. */
	if (!body)
		body = "", n = 0;
	return hearth_ingest_clean_err(
	    pyroscope_impl(query, qlen, content_type, body, n, lim, out, eb), eb);
}
