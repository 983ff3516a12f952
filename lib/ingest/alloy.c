/* Grafana Alloy's pyroscope.write: POST /push.v1.PusherService/Push, a
 * Connect unary call over HTTP/1.1 whose body is a push.v1.PushRequest
 * (github.com/grafana/pyroscope/api, push/v1/push.proto) as protobuf
 * (application/proto) or as Connect's JSON (application/json, bytes in
 * base64):
 *
 *   PushRequest      { repeated RawProfileSeries series = 1; }
 *   RawProfileSeries { repeated types.v1.LabelPair labels = 1;
 *                      repeated RawSample samples = 2;
 *                      repeated types.v1.ProfileAnnotation annotations = 3; }
 *   RawSample        { bytes raw_profile = 1; string ID = 2; }
 *   LabelPair        { string name = 1; string value = 2; }
 *
 * Each raw sample is a profile (gzipped profile.proto as Alloy scrapes it)
 * and one item of the batch: service from the label service_name (else
 * job, else "unknown_service"), type from __name__ (process_cpu -> cpu,
 * memory -> heap, ...; else guessed from the profile), the ID as the
 * idempotency key, the other labels as the series' labels (names starting
 * "__" are Pyroscope's internal ones and dropped).
 *
 * The protobuf is decoded by hand as lib/proto.c decodes profile.proto:
 * every length is checked against what remains before it is used. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hearth/io.h"
#include "ingest/internal.h"

/* Raw labels per series, internal ones included (Alloy adds a handful). */
#define MAX_RAW_LABELS 128

typedef struct {
	const uint8_t *base, *p, *end;
	hearth_errbuf *eb;
	hearth_err err;
} rd;

static bool fail(rd *r, const uint8_t *at, const char *what)
{
	if (r->err == HEARTH_OK)
		r->err = hearth_seterr(r->eb, HEARTH_ECORRUPT, "PushRequest: offset %zu: %s",
				       (size_t)(at - r->base), what);
	return false;
}

static bool varint(rd *r, uint64_t *v)
{
	uint64_t x = 0;
	const uint8_t *p = r->p;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (p >= r->end)
			return fail(r, r->p, "truncated varint");
		uint8_t b = *p++;
		if (shift == 63 && b > 1)
			break;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (b < 0x80) {
			*v = x;
			r->p = p;
			return true;
		}
	}
	return fail(r, r->p, "varint longer than 10 bytes");
}

static bool key(rd *r, uint32_t *field, uint32_t *wire)
{
	const uint8_t *at = r->p;
	uint64_t k;
	if (!varint(r, &k))
		return false;
	if (k >> 3 == 0 || k >> 3 > 536870911)
		return fail(r, at, "bad field number");
	*field = (uint32_t)(k >> 3);
	*wire = (uint32_t)(k & 7);
	if (*wire != 0 && *wire != 1 && *wire != 2 && *wire != 5)
		return fail(r, at, "bad wire type");
	return true;
}

static bool bytes(rd *r, const uint8_t **b, size_t *n)
{
	const uint8_t *at = r->p;
	uint64_t len;
	if (!varint(r, &len))
		return false;
	if (len > (uint64_t)(r->end - r->p))
		return fail(r, at, "length past the end of the data");
	*b = r->p;
	*n = (size_t)len;
	r->p += len;
	return true;
}

static bool skip(rd *r, uint32_t wire)
{
	uint64_t v;
	const uint8_t *b;
	size_t n;
	if (wire == 0)
		return varint(r, &v);
	if (wire == 2)
		return bytes(r, &b, &n);
	size_t w = wire == 1 ? 8 : 4;
	if ((size_t)(r->end - r->p) < w)
		return fail(r, r->p, "truncated fixed-width field");
	r->p += w;
	return true;
}

/* A length-delimited field, or an error naming what it should have been. */
static bool field_bytes(rd *r, uint32_t wire, const char *what, const uint8_t **b, size_t *n)
{
	if (wire != 2)
		return fail(r, r->p, what);
	return bytes(r, b, n);
}

/* The decoded request, whichever encoding it came in: spans into the body
 * (protobuf) or into the JSON's strings and decoded base64. */
typedef struct {
	const char *s;
	size_t n;
} str;

typedef struct {
	str name, value;
} rlabel;

typedef struct {
	const uint8_t *raw;
	size_t nraw;
	str id;
} rsample;

/* ---- Turning one series into items ------------------------------------------ */

static const struct {
	const char *name, *type;
} profile_names[] = {
    {"process_cpu", "cpu"},
    {"cpu", "cpu"},
    {"memory", "heap"},
    {"godeltaprof_memory", "heap"},
    {"goroutine", "goroutine"},
    {"goroutines", "goroutine"},
    {"mutex", "mutex"},
    {"godeltaprof_mutex", "mutex"},
    {"block", "block"},
    {"godeltaprof_block", "block"},
    {"threadcreate", "threadcreate"},
    {"wall", "wall"},
};

static bool is(const str *s, const char *lit)
{
	size_t n = strlen(lit);
	return s->n == n && memcmp(s->s, lit, n) == 0;
}

typedef struct {
	hearth_ingest_batch b;
	hearth_ingest_limits lim;
	size_t decompressed; /* summed over the batch */
	size_t nseries;
} ctx;

static hearth_err add_series(ctx *c, const rlabel *labels, size_t nlabels, const rsample *samples,
			     size_t nsamples, hearth_errbuf *eb)
{
	char what[64];
	snprintf(what, sizeof(what), "series %zu", c->nseries);
	const char *service = NULL, *type = NULL;
	size_t servicen = 0;
	const str *job = NULL;
	hearth_kv *kv = hearth_ingest_alloc(&c->b, (nlabels + 1) * sizeof(hearth_kv));
	size_t nkv = 0;
	hearth_err err;
	if (!kv)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	for (size_t i = 0; i < nlabels; i++) {
		const rlabel *l = &labels[i];
		if (is(&l->name, "service_name")) {
			service = l->value.s, servicen = l->value.n;
			continue;
		}
		if (is(&l->name, "__name__")) {
			for (size_t k = 0; k < sizeof(profile_names) / sizeof(profile_names[0]);
			     k++)
				if (is(&l->value, profile_names[k].name))
					type = profile_names[k].type;
			continue;
		}
		if (l->name.n >= 2 && l->name.s[0] == '_' && l->name.s[1] == '_')
			continue;
		if (is(&l->name, "job"))
			job = &l->value;
		if ((err = hearth_ingest_check_label(l->name.s, l->name.n, l->value.s, l->value.n,
						     &c->lim, what, eb)))
			return err;
		kv[nkv].name = hearth_ingest_strdup(&c->b, l->name.s, l->name.n);
		kv[nkv].value = hearth_ingest_strdup(&c->b, l->value.s, l->value.n);
		if (!kv[nkv].name || !kv[nkv].value)
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		nkv++;
	}
	if (!service) {
		service = job ? job->s : "unknown_service";
		servicen = job ? job->n : strlen("unknown_service");
	}
	if ((err = hearth_ingest_check_service(service, servicen, what, eb)))
		return err;
	const char *svc = hearth_ingest_strdup(&c->b, service, servicen);
	if (!svc)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	hearth_ingest_item tmp = {.labels = kv, .nlabels = nkv};
	if ((err = hearth_ingest_finish_labels(&tmp, &c->lim, what, eb)))
		return err;
	for (size_t i = 0; i < nsamples; i++) {
		char swhat[96];
		snprintf(swhat, sizeof(swhat), "series %zu sample %zu", c->nseries, i);
		if (c->b.n >= HEARTH_INGEST_MAX_ITEMS)
			return hearth_seterr(eb, HEARTH_ETOOBIG,
					     "%s: more than %d profiles in one "
					     "push",
					     swhat, HEARTH_INGEST_MAX_ITEMS);
		hearth_ingest_item *it = hearth_ingest_add(&c->b);
		if (!it)
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		it->service = svc;
		it->type = type;
		it->labels = kv;
		it->nlabels = nkv;
		const rsample *s = &samples[i];
		if (s->id.n) {
			if (s->id.n > 128 || !hearth_ingest_utf8_ok(s->id.s, s->id.n))
				return hearth_seterr(eb, HEARTH_EINVAL,
						     "%s: the ID is not 1..128 bytes of UTF-8 text",
						     swhat);
			if (!(it->ingest_id = hearth_ingest_strdup(&c->b, s->id.s, s->id.n)))
				return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		}
		/* The whole push shares one budget of decompressed bytes. */
		hearth_ingest_limits l = c->lim;
		l.max_decompressed -= c->decompressed;
		size_t used = 0;
		if ((err = hearth_ingest_parse_profile_sized(s->raw, s->nraw, &l, swhat,
							     &it->profile, &used, eb)))
			return err;
		c->decompressed += used;
	}
	c->nseries++;
	return HEARTH_OK;
}

/* ---- Protobuf ------------------------------------------------------------------ */

static hearth_err decode_series(ctx *c, rd *r, hearth_errbuf *eb)
{
	rlabel labels[MAX_RAW_LABELS];
	size_t nlabels = 0, nsamples = 0, cap = 0;
	rsample *samples = NULL;
	hearth_err err = HEARTH_OK;
	uint32_t f, w;
	while (r->p < r->end) {
		const uint8_t *b;
		size_t n;
		if (!key(r, &f, &w))
			goto bad;
		if (f == 1 || f == 2) {
			if (!field_bytes(r, w,
					 f == 1 ? "a label is not a message"
						: "a sample is not a message",
					 &b, &n))
				goto bad;
			rd m = {r->base, b, b + n, r->eb, HEARTH_OK};
			str a = {"", 0}, z = {"", 0};
			const uint8_t *raw = (const uint8_t *)"";
			size_t nraw = 0;
			while (m.p < m.end) {
				uint32_t g, v;
				const uint8_t *x;
				size_t xn;
				if (!key(&m, &g, &v))
					break;
				if (g == 1 || g == 2) {
					if (!field_bytes(&m, v,
							 "a string or bytes field is not "
							 "length-delimited",
							 &x, &xn))
						break;
					if (f == 2 && g == 1)
						raw = x, nraw = xn;
					else if (g == 1)
						a = (str){(const char *)x, xn};
					else
						z = (str){(const char *)x, xn};
				} else if (!skip(&m, v)) {
					break;
				}
			}
			if (m.err) {
				r->err = m.err;
				goto bad;
			}
			if (f == 1) {
				if (nlabels == MAX_RAW_LABELS) {
					err = hearth_seterr(eb, HEARTH_ETOOBIG,
							    "series %zu: more than %d labels",
							    c->nseries, MAX_RAW_LABELS);
					goto out;
				}
				labels[nlabels++] = (rlabel){a, z};
			} else {
				if (nsamples == cap) {
					size_t nc = cap ? cap * 2 : 8;
					rsample *ns = realloc(samples, nc * sizeof(*ns));
					if (!ns) {
						err = hearth_seterr(eb, HEARTH_ENOMEM,
								    "out of memory");
						goto out;
					}
					samples = ns, cap = nc;
				}
				if (nsamples + c->b.n >= HEARTH_INGEST_MAX_ITEMS) {
					err = hearth_seterr(eb, HEARTH_ETOOBIG,
							    "more than %d profiles in one push",
							    HEARTH_INGEST_MAX_ITEMS);
					goto out;
				}
				samples[nsamples++] = (rsample){raw, nraw, z};
			}
		} else if (!skip(r, w)) {
			goto bad;
		}
	}
	err = add_series(c, labels, nlabels, samples, nsamples, eb);
	goto out;
bad:
	err = r->err;
out:
	free(samples);
	return err;
}

static hearth_err decode_proto(ctx *c, const uint8_t *d, size_t n, hearth_errbuf *eb)
{
	rd r = {d, d, d + n, eb, HEARTH_OK};
	uint32_t f, w;
	while (r.p < r.end) {
		const uint8_t *b;
		size_t bn;
		if (!key(&r, &f, &w))
			return r.err;
		if (f != 1) {
			if (!skip(&r, w))
				return r.err;
			continue;
		}
		if (!field_bytes(&r, w, "a series is not a message", &b, &bn))
			return r.err;
		rd s = {d, b, b + bn, eb, HEARTH_OK};
		hearth_err err = decode_series(c, &s, eb);
		if (err)
			return err;
	}
	return HEARTH_OK;
}

/* ---- Connect JSON ---------------------------------------------------------------- */

static const char *json_str(json_t *o, const char *a, const char *b, size_t *n)
{
	json_t *v = json_object_get(o, a);
	if (!v && b)
		v = json_object_get(o, b);
	if (!json_is_string(v)) {
		*n = 0;
		return v ? NULL : "";
	}
	*n = json_string_length(v);
	return json_string_value(v);
}

static hearth_err decode_json(ctx *c, const uint8_t *d, size_t n, hearth_errbuf *eb)
{
	json_error_t je;
	/* JSON_ALLOW_NUL: a label value with \u0000 is refused by the UTF-8
	 * check with a clear message rather than by the parser. */
	json_t *root = json_loadb((const char *)d, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	hearth_err err = HEARTH_OK;
	uint8_t **raws = NULL;
	size_t nraws = 0;
	if (!root)
		return hearth_seterr(eb, HEARTH_EINVAL, "PushRequest (JSON): byte %d: %s",
				     je.position, je.text);
	json_t *series = json_object_get(root, "series");
	if (!json_is_object(root) || (series && !json_is_array(series))) {
		err = hearth_seterr(eb, HEARTH_EINVAL,
				    "PushRequest (JSON): not an object with a \"series\" array");
		goto out;
	}
	size_t total = 0;
	for (size_t i = 0; i < json_array_size(series); i++)
		total += json_array_size(json_object_get(json_array_get(series, i), "samples"));
	if (total > HEARTH_INGEST_MAX_ITEMS) {
		err = hearth_seterr(eb, HEARTH_ETOOBIG, "more than %d profiles in one push",
				    HEARTH_INGEST_MAX_ITEMS);
		goto out;
	}
	if (total && !(raws = calloc(total, sizeof(*raws)))) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < json_array_size(series); i++) {
		json_t *s = json_array_get(series, i);
		json_t *ls = json_object_get(s, "labels"), *ss = json_object_get(s, "samples");
		if (!json_is_object(s) || (ls && !json_is_array(ls)) ||
		    (ss && !json_is_array(ss))) {
			err = hearth_seterr(eb, HEARTH_EINVAL,
					    "series %zu: not an object with \"labels\" and "
					    "\"samples\" arrays",
					    i);
			goto out;
		}
		rlabel labels[MAX_RAW_LABELS];
		size_t nl = json_array_size(ls), ns = json_array_size(ss);
		if (nl > MAX_RAW_LABELS) {
			err = hearth_seterr(eb, HEARTH_ETOOBIG, "series %zu: more than %d labels",
					    i, MAX_RAW_LABELS);
			goto out;
		}
		for (size_t k = 0; k < nl; k++) {
			json_t *l = json_array_get(ls, k);
			const char *a = json_str(l, "name", NULL, &labels[k].name.n);
			const char *z = json_str(l, "value", NULL, &labels[k].value.n);
			if (!json_is_object(l) || !a || !z) {
				err = hearth_seterr(eb, HEARTH_EINVAL,
						    "series %zu label %zu: not {\"name\": \"...\", "
						    "\"value\": \"...\"}",
						    i, k);
				goto out;
			}
			labels[k].name.s = a, labels[k].value.s = z;
		}
		rsample *samples = ns ? calloc(ns, sizeof(*samples)) : NULL;
		if (ns && !samples) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t k = 0; k < ns; k++) {
			json_t *o = json_array_get(ss, k);
			size_t bn, idn;
			const char *b64 = json_str(o, "rawProfile", "raw_profile", &bn);
			const char *id = json_str(o, "ID", "id", &idn);
			if (!json_is_object(o) || !b64 || !id ||
			    !hearth_ingest_base64(b64, bn, &raws[nraws], &samples[k].nraw)) {
				err = hearth_seterr(eb, HEARTH_EINVAL,
						    "series %zu sample %zu: not {\"rawProfile\": "
						    "BASE64, \"ID\": \"...\"}",
						    i, k);
				free(samples);
				goto out;
			}
			samples[k].raw = raws[nraws++];
			samples[k].id = (str){id, idn};
		}
		err = add_series(c, labels, nl, samples, ns, eb);
		free(samples);
		if (err)
			goto out;
	}
out:
	for (size_t i = 0; i < nraws; i++)
		free(raws[i]);
	free(raws);
	json_decref(root);
	return err;
}

static hearth_err alloy_impl(const char *content_type, const void *body, size_t n,
			     const hearth_ingest_limits *limits, hearth_ingest_batch *out,
			     hearth_errbuf *eb)
{
	ctx c = {.lim = hearth_ingest_limits_of(limits)};
	const uint8_t *d = body;
	uint8_t *raw = NULL;
	hearth_err err;
	memset(out, 0, sizeof(*out));
	if (n > c.lim.max_body)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "body: %zu bytes, more than %zu", n,
				     c.lim.max_body);
	const char *ct = content_type ? content_type : "";
	bool json = strncasecmp(ct, "application/json", 16) == 0;
	if (!json && strncasecmp(ct, "application/proto", 17) != 0 &&
	    strncasecmp(ct, "application/x-protobuf", 22) != 0)
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "content type \"%.64s\": a Connect push is application/proto "
				     "or application/json",
				     ct);
	/* A request compressed with Content-Encoding: gzip (Connect's
	 * compression): neither a PushRequest nor JSON starts like gzip. */
	if (n >= 2 && d[0] == 0x1f && d[1] == 0x8b) {
		size_t rn;
		hearth_errbuf e = {{0}};
		err = hearth_gunzip(d, n, c.lim.max_body, &raw, &rn, &e);
		if (err == HEARTH_ETOOBIG)
			return hearth_seterr(eb, err, "body: decompresses to more than %zu bytes",
					     c.lim.max_body);
		if (err)
			return hearth_seterr(eb, err, "body: %s", e.msg);
		d = raw;
		n = rn;
	}
	err = json ? decode_json(&c, d, n, eb) : decode_proto(&c, d, n, eb);
	free(raw);
	if (err)
		hearth_ingest_batch_free(&c.b);
	else
		*out = c.b;
	return err;
}

hearth_err hearth_ingest_alloy(const char *content_type, const void *body, size_t n,
			       const hearth_ingest_limits *lim, hearth_ingest_batch *out,
			       hearth_errbuf *eb)
{
	/* An empty request may come without a buffer. */
	if (!body)
		body = "", n = 0;
	return hearth_ingest_clean_err(alloy_impl(content_type, body, n, lim, out, eb), eb);
}
