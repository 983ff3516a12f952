/* lib/ingest: the wire formats of hearth serve's ingest.
 *  - native push: the query's service, type, labels, id and time, and the
 *    profile equal to what hearth_read_file reads from the same file;
 *  - every refusal (names, reserved labels, UTF-8, counts, sizes, gzip
 *    bombs, damaged profiles) is an error and leaves the batch empty;
 *  - hearth_time_parse against libc's timegm for RFC 3339;
 *  - Pyroscope's /ingest (multipart as the Go SDK writes it, folded,
 *    lines) and Alloy's push.v1 (protobuf and Connect JSON). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "hearth/io.h"
#include "ingest/ingest.h"

static char *data_path(const char *name)
{
	static char path[4096];
	const char *f = __FILE__, *slash = strrchr(f, '/');
	int dirlen = slash ? (int)(slash - f) : 1;
	snprintf(path, sizeof(path), "%.*s/../data/%s", dirlen, slash ? f : ".", name);
	return path;
}

static uint8_t *slurp(const char *name, size_t *n)
{
	FILE *f = fopen(data_path(name), "rb");
	if (!f)
		fail_msg("cannot open %s", name);
	uint8_t *buf = malloc(1 << 22);
	*n = fread(buf, 1, 1 << 22, f);
	fclose(f);
	return buf;
}

static hearth_profile *load(const char *name)
{
	hearth_profile *p = NULL;
	hearth_errbuf eb = {{0}};
	if (hearth_read_file(data_path(name), NULL, &p, &eb))
		fail_msg("%s: %s", name, eb.msg);
	return p;
}

/* Sums of every sample type: what a push must keep. */
static void totals(const hearth_profile *p, int64_t *t)
{
	for (uint32_t k = 0; k < p->nsample_types; k++)
		t[k] = 0;
	for (size_t i = 0; i < p->nsamples; i++)
		for (uint32_t k = 0; k < p->nsample_types; k++)
			t[k] += hearth_sample_values(p, i)[k];
}

static void assert_same_profile(const hearth_profile *a, const hearth_profile *b)
{
	assert_int_equal(a->nsamples, b->nsamples);
	assert_int_equal(a->nsample_types, b->nsample_types);
	assert_int_equal(a->nlocations, b->nlocations);
	int64_t ta[16], tb[16];
	assert_true(a->nsample_types <= 16);
	totals(a, ta);
	totals(b, tb);
	for (uint32_t k = 0; k < a->nsample_types; k++)
		assert_int_equal(ta[k], tb[k]);
}

static hearth_err native(const char *q, const void *body, size_t n, const hearth_ingest_limits *l,
			 hearth_ingest_batch *b, hearth_errbuf *eb)
{
	return hearth_ingest_native(q, strlen(q), body, n, l, b, eb);
}

static void test_native(void **state)
{
	(void)state;
	size_t n;
	uint8_t *body = slurp("leaky.cpu.pb.gz", &n);
	hearth_ingest_batch b;
	hearth_errbuf eb = {{0}};
	assert_int_equal(native("service=api&labels=zone=eu-1&id=k1&type=cpu&time=1700000000", body,
				n, NULL, &b, &eb),
			 HEARTH_OK);
	assert_int_equal(b.n, 1);
	hearth_ingest_item *it = &b.v[0];
	assert_string_equal(it->service, "api");
	assert_string_equal(it->type, "cpu");
	assert_string_equal(it->ingest_id, "k1");
	assert_int_equal(it->time_nanos, 1700000000LL * 1000000000);
	hearth_ingest_batch_free(&b);
	/* %2C decodes to ',' before the split: "env=prod" and a bad "x". */
	assert_int_equal(native("service=api&labels=env=prod%2Cx", body, n, NULL, &b, &eb),
			 HEARTH_EINVAL);
	assert_non_null(strstr(eb.msg, "\"x\" at byte 9 is not name=value"));
	assert_int_equal(native("service=api&labels=zone=eu-1,env=prod", body, n, NULL, &b, &eb),
			 HEARTH_OK);
	it = &b.v[0];
	assert_null(it->type);
	assert_null(it->ingest_id);
	assert_int_equal(it->time_nanos, 0);
	assert_int_equal(it->nlabels, 2);
	assert_string_equal(it->labels[0].name, "env"); /* sorted by name */
	assert_string_equal(it->labels[0].value, "prod");
	assert_string_equal(it->labels[1].name, "zone");
	assert_string_equal(it->labels[1].value, "eu-1");
	hearth_profile *ref = load("leaky.cpu.pb.gz");
	assert_same_profile(it->profile, ref);
	hearth_profile_free(ref);
	hearth_ingest_batch_free(&b);
	assert_null(b.v);
	hearth_ingest_batch_free(&b); /* twice is fine */

	/* Not gzipped, and a legacy text format: what hearth_parse reads. */
	ref = load("leaky.heap.pb.gz");
	hearth_buf raw = {0};
	assert_int_equal(hearth_proto_encode(ref, &raw), HEARTH_OK);
	assert_int_equal(native("service=s%20p", raw.data, raw.len, NULL, &b, &eb), HEARTH_OK);
	assert_string_equal(b.v[0].service, "s p");
	assert_same_profile(b.v[0].profile, ref);
	hearth_ingest_batch_free(&b);
	hearth_buf_free(&raw);
	hearth_profile_free(ref);
	free(body);
}

typedef struct {
	const char *query;
	hearth_err err;
	const char *msg; /* a part of the message */
} refusal;

static void test_native_refusals(void **state)
{
	(void)state;
	size_t n;
	uint8_t *body = slurp("leaky.cpu.pb.gz", &n);
	char many[2048] = "service=a&labels=";
	for (int i = 0; i < 33; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%sl%d=v", i ? "," : "",
			 i);
	char longv[1200 + 32] = "service=a&labels=k=";
	memset(longv + strlen(longv), 'x', 1100);
	longv[19 + 1100] = 0;
	const refusal cases[] = {
	    {"", HEARTH_EINVAL, "service=NAME is required"},
	    {"service=", HEARTH_EINVAL, "service=NAME is required"},
	    {"service=a&labels=1x=v", HEARTH_EINVAL, "bad label name \"1x\""},
	    {"service=a&labels=a-b=v", HEARTH_EINVAL, "bad label name"},
	    {"service=a&labels=a%0Ab=v", HEARTH_EINVAL, "bad label name \"a?b\""},
	    {"service=a&labels=service=v", HEARTH_EINVAL, "reserved"},
	    {"service=a&labels=__name__=v", HEARTH_EINVAL, "reserved"},
	    {"service=a&labels=k=v,k=w", HEARTH_EINVAL, "given twice"},
	    {"service=a&labels=k=%ff", HEARTH_EINVAL, "not UTF-8"},
	    {"service=a&labels=k=%0a", HEARTH_EINVAL, "not UTF-8"},
	    {"service=a&labels=kv", HEARTH_EINVAL, "not name=value"},
	    {"service=a&labels=k=v,", HEARTH_EINVAL, "not name=value"},
	    {"service=%c3%28", HEARTH_EINVAL, "not UTF-8"},
	    {"service=a&type=c%20pu", HEARTH_EINVAL, "bad profile type"},
	    {"service=a&time=yesterday", HEARTH_EINVAL, "time: bad time"},
	    {"service=a&lables=k=v", HEARTH_EINVAL, "unknown parameter \"lables\""},
	    {"service=a&labels=k=%zz", HEARTH_EINVAL, "two hex digits"},
	    {many, HEARTH_ETOOBIG, "more than 32"},
	    {longv, HEARTH_ETOOBIG, "more than 1024"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hearth_ingest_batch b = {(void *)1, 7, (void *)1};
		hearth_errbuf eb = {{0}};
		hearth_err err = native(cases[i].query, body, n, NULL, &b, &eb);
		if (err != cases[i].err || !strstr(eb.msg, cases[i].msg))
			fail_msg("%s: got %d \"%s\", want %d \"%s\"", cases[i].query, err, eb.msg,
				 cases[i].err, cases[i].msg);
		assert_int_equal(b.n, 0);
		assert_null(b.v);
		assert_null(strchr(eb.msg, '\n')); /* one line, whatever the input */
	}
	free(body);
}

static void test_native_limits(void **state)
{
	(void)state;
	size_t n;
	uint8_t *body = slurp("leaky.cpu.pb.gz", &n);
	hearth_profile *ref = load("leaky.cpu.pb.gz");
	hearth_ingest_batch b;
	hearth_errbuf eb = {{0}};
	hearth_ingest_limits l = {0};

	l.max_body = n - 1;
	assert_int_equal(native("service=a", body, n, &l, &b, &eb), HEARTH_ETOOBIG);
	assert_non_null(strstr(eb.msg, "body"));
	l.max_body = n;
	assert_int_equal(native("service=a", body, n, &l, &b, &eb), HEARTH_OK);
	hearth_ingest_batch_free(&b);

	l = (hearth_ingest_limits){.max_samples = ref->nsamples - 1};
	assert_int_equal(native("service=a", body, n, &l, &b, &eb), HEARTH_ETOOBIG);
	assert_non_null(strstr(eb.msg, "samples, more than"));
	l.max_samples = ref->nsamples;
	assert_int_equal(native("service=a", body, n, &l, &b, &eb), HEARTH_OK);
	hearth_ingest_batch_free(&b);

	l = (hearth_ingest_limits){.max_locations = ref->nlocations - 1};
	assert_int_equal(native("service=a", body, n, &l, &b, &eb), HEARTH_ETOOBIG);
	assert_non_null(strstr(eb.msg, "locations, more than"));

	l = (hearth_ingest_limits){.max_labels = 1};
	assert_int_equal(native("service=a&labels=a=1,b=2", body, n, &l, &b, &eb), HEARTH_ETOOBIG);
	l = (hearth_ingest_limits){.max_label_len = 3};
	assert_int_equal(native("service=a&labels=a=1234", body, n, &l, &b, &eb), HEARTH_ETOOBIG);
	assert_int_equal(native("service=a&labels=a=123", body, n, &l, &b, &eb), HEARTH_OK);
	hearth_ingest_batch_free(&b);

	/* A gzip bomb: 64 MB of zeros in about 64 KB; the cap stops it. */
	size_t zn = (size_t)64 << 20;
	uint8_t *zeros = calloc(1, zn), *gz = NULL;
	size_t gzn = 0;
	assert_int_equal(hearth_gzip(zeros, zn, &gz, &gzn), HEARTH_OK);
	free(zeros);
	l = (hearth_ingest_limits){.max_decompressed = 1 << 20};
	assert_int_equal(native("service=a", gz, gzn, &l, &b, &eb), HEARTH_ETOOBIG);
	assert_non_null(strstr(eb.msg, "decompresses to more than 1048576 bytes"));
	free(gz);

	/* Damaged profiles: truncated gzip, truncated proto, not a profile. */
	assert_int_not_equal(native("service=a", body, n / 2, NULL, &b, &eb), HEARTH_OK);
	assert_non_null(strstr(eb.msg, "body: "));
	hearth_buf raw = {0};
	assert_int_equal(hearth_proto_encode(ref, &raw), HEARTH_OK);
	assert_int_equal(native("service=a", raw.data, raw.len - 3, NULL, &b, &eb),
			 HEARTH_ECORRUPT);
	assert_non_null(strstr(eb.msg, "body: offset"));
	assert_int_equal(native("service=a", "\x01\x02\x03", 3, NULL, &b, &eb), HEARTH_ECORRUPT);
	assert_int_equal(native("service=a", "", 0, NULL, &b, &eb), HEARTH_EFORMAT);
	assert_int_equal(b.n, 0);
	hearth_buf_free(&raw);
	hearth_profile_free(ref);
	free(body);
}

static int64_t ref_time(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = {.tm_year = y - 1900,
			.tm_mon = mo - 1,
			.tm_mday = d,
			.tm_hour = h,
			.tm_min = mi,
			.tm_sec = s};
	return (int64_t)timegm(&tm) * 1000000000;
}

static void test_time_parse(void **state)
{
	(void)state;
	const int64_t now = ref_time(2026, 12, 3, 9, 30, 0) + 123;
	const int64_t S = 1000000000;
	struct {
		const char *s;
		int64_t want;
	} ok[] = {
	    {"now", now},
	    {"-1h", now - 3600 * S},
	    {"now-30m", now - 1800 * S},
	    {"-7d", now - 7 * 86400 * S},
	    {"-1w", now - 7 * 86400 * S},
	    {"-1h30m", now - 5400 * S},
	    {"-90s", now - 90 * S},
	    {"1700000000", 1700000000 * S},
	    {"0", 0},
	    {"1700000000123", 1700000000123 * 1000000},	   /* milliseconds */
	    {"1700000000123456", 1700000000123456 * 1000}, /* microseconds */
	    {"1700000000123456789", 1700000000123456789},  /* nanoseconds */
	    {"2026-12-03T09:30:00Z", ref_time(2026, 12, 3, 9, 30, 0)},
	    {"2024-02-29T23:59:59.5Z", ref_time(2024, 2, 29, 23, 59, 59) + S / 2},
	    {"2026-12-03T10:30:00+01:00", ref_time(2026, 12, 3, 9, 30, 0)},
	    {"2026-12-03T09:30:00.000000001-00:30", ref_time(2026, 12, 3, 10, 0, 0) + 1},
	    {"1969-12-31T23:59:59Z", -S},
	    {"2000-01-01 00:00:00Z", ref_time(2000, 1, 1, 0, 0, 0)},
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		int64_t got = -42;
		hearth_errbuf eb = {{0}};
		if (hearth_time_parse(ok[i].s, now, &got, &eb) != HEARTH_OK)
			fail_msg("%s: %s", ok[i].s, eb.msg);
		if (got != ok[i].want)
			fail_msg("%s: got %lld, want %lld", ok[i].s, (long long)got,
				 (long long)ok[i].want);
	}
	const char *bad[] = {"",
			     "-",
			     "-1",
			     "-1x",
			     "1h",
			     "now+1h",
			     "12ab",
			     "2026-13-01T00:00:00Z",
			     "2026-02-30T00:00:00Z",
			     "2026-12-03T09:30:00",
			     "2026-12-03T09:30:00+1",
			     "2026-12-03",
			     "-99999999999999999999d",
			     "99999999999999999999",
			     "2026-12-03T09:30:00.Z"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t got;
		hearth_errbuf eb = {{0}};
		if (hearth_time_parse(bad[i], now, &got, &eb) != HEARTH_EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_true(eb.msg[0] != 0);
	}
}

/* ---- Pyroscope ----------------------------------------------------------- */

static char *slurp_text(const char *name)
{
	size_t n;
	char *s = (char *)slurp(name, &n);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	s[n] = 0;
	return s;
}

static hearth_err pyro(const char *q, const char *ct, const void *body, size_t n,
		       hearth_ingest_batch *b, hearth_errbuf *eb)
{
	return hearth_ingest_pyroscope(q, strlen(q), ct, body, n, NULL, b, eb);
}

static const char *label(const hearth_ingest_item *it, const char *name)
{
	for (size_t i = 0; i < it->nlabels; i++)
		if (strcmp(it->labels[i].name, name) == 0)
			return it->labels[i].value;
	return NULL;
}

/* What the Pyroscope Go SDK v1.5.0 sent (captured from
 * tests/subjects/pyroclients/sdkpush), and the profile part as Go's
 * mime/multipart reader extracted it from the same request. */
static void test_pyroscope_sdk(void **state)
{
	(void)state;
	static const struct {
		const char *name, *type;
	} cases[] = {{"sdk-cpu", NULL},
		     {"sdk-heap", NULL},
		     {"sdk-goroutine", "goroutine"},
		     {"sdk-mutex", "mutex"},
		     {"sdk-block", "block"}};
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		char f[128];
		size_t n;
		snprintf(f, sizeof(f), "ingest/%s.query", cases[c].name);
		char *q = slurp_text(f);
		snprintf(f, sizeof(f), "ingest/%s.ctype", cases[c].name);
		char *ct = slurp_text(f);
		snprintf(f, sizeof(f), "ingest/%s.body", cases[c].name);
		uint8_t *body = slurp(f, &n);
		snprintf(f, sizeof(f), "ingest/%s.profile.pb.gz", cases[c].name);
		hearth_profile *ref = load(f);
		hearth_ingest_batch b;
		hearth_errbuf eb = {{0}};
		if (pyro(q, ct, body, n, &b, &eb))
			fail_msg("%s: %s", cases[c].name, eb.msg);
		assert_int_equal(b.n, 1);
		hearth_ingest_item *it = &b.v[0];
		assert_string_equal(it->service, "sdkpush");
		if (cases[c].type)
			assert_string_equal(it->type, cases[c].type);
		else
			assert_null(it->type);
		assert_string_equal(label(it, "env"), "test");
		assert_string_equal(label(it, "region"), "eu-1");
		assert_string_equal(label(it, "process.runtime.name"), "go");
		assert_null(label(it, "__session_id__"));
		for (size_t i = 1; i < it->nlabels; i++)
			assert_true(strcmp(it->labels[i - 1].name, it->labels[i].name) < 0);
		/* from=NANOSECONDS in the query, as the SDK writes it. */
		const char *from = strstr(q, "from=") + 5;
		assert_int_equal(it->time_nanos, strtoll(from, NULL, 10));
		assert_same_profile(it->profile, ref);
		hearth_ingest_batch_free(&b);
		hearth_profile_free(ref);
		free(q);
		free(ct);
		free(body);
	}
}

/* A multipart body as Go's mime/multipart writes one. */
static void part(hearth_buf *b, const char *bnd, const char *name, const void *data, size_t n)
{
	hearth_buf_printf(b,
			  "--%s\r\nContent-Disposition: form-data; name=\"%s\"; "
			  "filename=\"%s.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n",
			  bnd, name, name);
	hearth_buf_put(b, data, n);
	hearth_buf_puts(b, "\r\n");
}

static void test_pyroscope_prev(void **state)
{
	(void)state;
	size_t n;
	uint8_t *heap = slurp("leaky.heap.pb.gz", &n);
	hearth_profile *ref = load("leaky.heap.pb.gz");
	int64_t want[16], got[16];
	totals(ref, want);
	const char *bnd = "xYz";
	const char *ct = "multipart/form-data; boundary=xYz";
	const char *cfg = "{\"alloc_objects\":{\"units\":\"objects\",\"cumulative\":true},"
			  "\"alloc_space\":{\"units\":\"bytes\",\"cumulative\":true},"
			  "\"inuse_objects\":{\"units\":\"objects\",\"aggregation\":\"average\"},"
			  "\"inuse_space\":{\"units\":\"bytes\",\"aggregation\":\"average\"}}";
	hearth_buf body = {0};
	part(&body, bnd, "profile", heap, n);
	part(&body, bnd, "prev_profile", heap, n);
	part(&body, bnd, "sample_type_config", cfg, strlen(cfg));
	hearth_buf_printf(&body, "--%s--\r\n", bnd);
	hearth_ingest_batch b;
	hearth_errbuf eb = {{0}};
	if (pyro("name=leaky.alloc_objects%7Bk%3Dv%7D", ct, body.data, body.len, &b, &eb))
		fail_msg("%s", eb.msg);
	assert_string_equal(b.v[0].service, "leaky");
	assert_string_equal(b.v[0].type, "heap");
	assert_string_equal(label(&b.v[0], "k"), "v");
	/* The profile minus itself: the cumulative types are zero, the
	 * snapshots as they were. */
	totals(b.v[0].profile, got);
	for (uint32_t k = 0; k < ref->nsample_types; k++) {
		const char *t = hearth_s(ref, ref->sample_types[k].type);
		assert_int_equal(got[k], strncmp(t, "alloc_", 6) == 0 ? 0 : want[k]);
	}
	hearth_ingest_batch_free(&b);

	/* Without a sample_type_config every accumulating type is a delta. */
	body.len = 0;
	part(&body, bnd, "profile", heap, n);
	part(&body, bnd, "prev_profile", heap, n);
	hearth_buf_printf(&body, "--%s--\r\n", bnd);
	assert_int_equal(pyro("name=leaky", ct, body.data, body.len, &b, &eb), HEARTH_OK);
	totals(b.v[0].profile, got);
	for (uint32_t k = 0; k < ref->nsample_types; k++) {
		const char *t = hearth_s(ref, ref->sample_types[k].type);
		assert_int_equal(got[k], strncmp(t, "alloc_", 6) == 0 ? 0 : want[k]);
	}
	hearth_ingest_batch_free(&b);

	/* An empty prev_profile part is no previous profile. */
	body.len = 0;
	part(&body, bnd, "profile", heap, n);
	part(&body, bnd, "prev_profile", "", 0);
	hearth_buf_printf(&body, "--%s--\r\n", bnd);
	assert_int_equal(pyro("name=leaky", ct, body.data, body.len, &b, &eb), HEARTH_OK);
	assert_same_profile(b.v[0].profile, ref);
	hearth_ingest_batch_free(&b);
	hearth_buf_free(&body);
	hearth_profile_free(ref);
	free(heap);
}

static void test_pyroscope_text(void **state)
{
	(void)state;
	const char *folded = "main;work;hot 3\nmain;idle 2\nmain;work;hot 1\n";
	hearth_ingest_batch b;
	hearth_errbuf eb = {{0}};
	assert_int_equal(pyro("name=shop.cpu%7Benv%3Dprod%2C+zone+%3D+a+%7D&from=1700000000&until="
			      "1700000010&format=folded&sampleRate=50&spyName=pyspy&units=samples&"
			      "aggregationType=sum",
			      "binary/octet-stream", folded, strlen(folded), &b, &eb),
			 HEARTH_OK);
	hearth_ingest_item *it = &b.v[0];
	hearth_profile *p = it->profile;
	assert_string_equal(it->service, "shop");
	assert_string_equal(it->type, "cpu");
	assert_int_equal(it->nlabels, 2);
	assert_string_equal(label(it, "env"), "prod");
	assert_string_equal(label(it, "zone"), "a");
	assert_int_equal(it->time_nanos, 1700000000LL * 1000000000);
	assert_int_equal(p->time_nanos, 1700000000LL * 1000000000);
	assert_int_equal(p->duration_nanos, 10LL * 1000000000);
	assert_int_equal(p->nsample_types, 2);
	assert_string_equal(hearth_s(p, p->sample_types[0].type), "samples");
	assert_string_equal(hearth_s(p, p->sample_types[1].type), "cpu");
	assert_string_equal(hearth_s(p, p->sample_types[1].unit), "nanoseconds");
	assert_int_equal(p->period, 20000000);
	/* The same stacks as hearth's folded reader makes of the text. */
	hearth_profile *ref = NULL;
	assert_int_equal(hearth_folded_parse((const uint8_t *)folded, strlen(folded), &ref, &eb),
			 HEARTH_OK);
	assert_int_equal(p->nsamples, ref->nsamples);
	assert_int_equal(p->nlocations, ref->nlocations);
	int64_t t[2], r[1];
	totals(p, t);
	totals(ref, r);
	assert_int_equal(t[0], r[0]);
	assert_int_equal(t[1], r[0] * 20000000);
	hearth_profile_free(ref);
	hearth_ingest_batch_free(&b);

	/* lines: one sample per line; objects averaged are inuse_objects. */
	const char *lines = "main;a\nmain;a\r\n\nmain;b\n";
	assert_int_equal(pyro("name=my.app&format=lines&units=objects&aggregationType=average",
			      NULL, lines, strlen(lines), &b, &eb),
			 HEARTH_OK);
	it = &b.v[0];
	assert_string_equal(it->service, "my.app"); /* not a type suffix */
	assert_string_equal(it->type, "heap");
	assert_string_equal(hearth_s(it->profile, it->profile->sample_types[0].type),
			    "inuse_objects");
	totals(it->profile, t);
	assert_int_equal(t[0], 3);
	hearth_ingest_batch_free(&b);

	/* Without a format, a body is folded stacks; a gzipped pprof is read
	 * as what it is. */
	assert_int_equal(pyro("name=a", NULL, folded, strlen(folded), &b, &eb), HEARTH_OK);
	assert_string_equal(b.v[0].type, "cpu");
	hearth_ingest_batch_free(&b);
	size_t n;
	uint8_t *cpu = slurp("leaky.cpu.pb.gz", &n);
	assert_int_equal(pyro("name=a", NULL, cpu, n, &b, &eb), HEARTH_OK);
	ref = load("leaky.cpu.pb.gz");
	assert_same_profile(b.v[0].profile, ref);
	hearth_ingest_batch_free(&b);
	assert_int_equal(pyro("name=a&format=pprof", "application/octet-stream", cpu, n, &b, &eb),
			 HEARTH_OK);
	assert_same_profile(b.v[0].profile, ref);
	hearth_ingest_batch_free(&b);
	hearth_profile_free(ref);
	free(cpu);
}

static void test_pyroscope_refusals(void **state)
{
	(void)state;
	size_t n;
	char *q = slurp_text("ingest/sdk-cpu.query");
	char *ct = slurp_text("ingest/sdk-cpu.ctype");
	uint8_t *body = slurp("ingest/sdk-cpu.body", &n);
	hearth_ingest_batch b;
	hearth_errbuf eb = {{0}};
	/* Truncated anywhere: refused, never half read. */
	for (size_t cut = 0; cut < n; cut += n / 17 + 1) {
		hearth_err err = pyro(q, ct, body, cut, &b, &eb);
		assert_int_not_equal(err, HEARTH_OK);
		assert_int_equal(b.n, 0);
		assert_true(eb.msg[0] != 0);
	}
	assert_int_equal(pyro(q, "multipart/form-data; boundary=other", body, n, &b, &eb),
			 HEARTH_EINVAL);
	assert_non_null(strstr(eb.msg, "no boundary line"));
	assert_int_equal(pyro(q, "multipart/form-data", body, n, &b, &eb), HEARTH_EINVAL);
	free(q);
	const char *fold = "a;b 1\n";
	const refusal cases[] = {
	    {"", HEARTH_EINVAL, "name=APP{tags} is required"},
	    {"name=%7Ba%3Db%7D", HEARTH_EINVAL, "service name is empty"},
	    {"name=app%7Ba%3Db", HEARTH_EINVAL, "is not closed"},
	    {"name=app%7Ba%3Db%7Dx", HEARTH_EINVAL, "text after the tags"},
	    {"name=app%7Bab%7D", HEARTH_EINVAL, "is not name=value"},
	    {"name=app%7B1a%3Db%7D", HEARTH_EINVAL, "bad label name"},
	    {"name=app%7Bservice%3Db%7D", HEARTH_EINVAL, "reserved"},
	    {"name=app%7Ba%3Db%2Ca%3Dc%7D", HEARTH_EINVAL, "given twice"},
	    {"name=app&format=trie", HEARTH_EINVAL, "format=trie is not supported"},
	    {"name=app&format=folded&sampleRate=x", HEARTH_EINVAL, "sampleRate"},
	    {"name=app&format=folded&aggregationType=max", HEARTH_EINVAL, "aggregationType"},
	    {"name=app&from=20&until=10", HEARTH_EINVAL, "until is before from"},
	    {"name=app&from=yesterday", HEARTH_EINVAL, "from: bad time"},
	    {"name=app&format=folded&units=a%20b", HEARTH_EINVAL, "bad profile type"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hearth_err err = pyro(cases[i].query, NULL, fold, strlen(fold), &b, &eb);
		if (err != cases[i].err || !strstr(eb.msg, cases[i].msg))
			fail_msg("%s: got %d \"%s\", want %d \"%s\"", cases[i].query, err, eb.msg,
				 cases[i].err, cases[i].msg);
		assert_int_equal(b.n, 0);
	}
	/* Parts: none called profile, twice, a bad config, a damaged profile. */
	hearth_buf mp = {0};
	const char *bct = "multipart/form-data; boundary=\"b\"";
	part(&mp, "b", "other", "x", 1);
	hearth_buf_puts(&mp, "--b--\r\n");
	assert_int_equal(pyro("name=a", bct, mp.data, mp.len, &b, &eb), HEARTH_EINVAL);
	assert_non_null(strstr(eb.msg, "no \"profile\" part"));
	mp.len = 0;
	part(&mp, "b", "profile", body, 10);
	part(&mp, "b", "profile", body, 10);
	hearth_buf_puts(&mp, "--b--\r\n");
	assert_int_equal(pyro("name=a", bct, mp.data, mp.len, &b, &eb), HEARTH_EINVAL);
	assert_non_null(strstr(eb.msg, "given twice"));
	size_t hn;
	uint8_t *heap = slurp("leaky.heap.pb.gz", &hn);
	mp.len = 0;
	part(&mp, "b", "profile", heap, hn);
	part(&mp, "b", "sample_type_config", "{\"a\": 1", 7);
	hearth_buf_puts(&mp, "--b--\r\n");
	assert_int_equal(pyro("name=a", bct, mp.data, mp.len, &b, &eb), HEARTH_EINVAL);
	assert_non_null(strstr(eb.msg, "sample_type_config: byte"));
	mp.len = 0;
	part(&mp, "b", "profile", heap, hn / 2);
	hearth_buf_puts(&mp, "--b--\r\n");
	assert_int_not_equal(pyro("name=a", bct, mp.data, mp.len, &b, &eb), HEARTH_OK);
	assert_non_null(strstr(eb.msg, "the profile part: "));
	mp.len = 0;
	part(&mp, "b", "profile", heap, hn);
	part(&mp, "b", "prev_profile", heap, hn - 1);
	hearth_buf_puts(&mp, "--b--\r\n");
	assert_int_not_equal(pyro("name=a", bct, mp.data, mp.len, &b, &eb), HEARTH_OK);
	assert_non_null(strstr(eb.msg, "the prev_profile part: "));
	/* The limits: body, decompressed size. */
	hearth_ingest_limits l = {.max_body = 100};
	assert_int_equal(hearth_ingest_pyroscope("name=a", 6, ct, body, n, &l, &b, &eb),
			 HEARTH_ETOOBIG);
	l = (hearth_ingest_limits){.max_decompressed = 1000};
	assert_int_equal(hearth_ingest_pyroscope("name=a", 6, ct, body, n, &l, &b, &eb),
			 HEARTH_ETOOBIG);
	assert_non_null(strstr(eb.msg, "decompresses to more than 1000 bytes"));
	hearth_buf_free(&mp);
	free(heap);
	free(ct);
	free(body);
}

/* ---- Alloy ------------------------------------------------------------- */

/* A push captured from tests/subjects/pyroclients/alloypush (Pyroscope's own
 * push.v1 types and connect-go), and the profiles it says it sent. */
static void check_alloy(const hearth_ingest_batch *b, const char *cpu, const char *heap)
{
	assert_int_equal(b->n, 2);
	const char *files[2] = {cpu, heap}, *types[2] = {"cpu", "heap"};
	for (size_t i = 0; i < 2; i++) {
		const hearth_ingest_item *it = &b->v[i];
		assert_string_equal(it->service, "alloypush");
		assert_string_equal(it->type, types[i]);
		assert_int_equal(it->nlabels, 2);
		assert_string_equal(it->labels[0].name, "instance");
		assert_string_equal(it->labels[0].value, "127.0.0.1:6060");
		assert_string_equal(it->labels[1].name, "job");
		assert_non_null(it->ingest_id);
		assert_int_equal(strlen(it->ingest_id), 36);
		hearth_profile *ref = load(files[i]);
		assert_same_profile(it->profile, ref);
		hearth_profile_free(ref);
	}
	assert_string_not_equal(b->v[0].ingest_id, b->v[1].ingest_id);
}

static void test_alloy(void **state)
{
	(void)state;
	size_t n, jn;
	uint8_t *body = slurp("ingest/alloy-push.proto.body", &n);
	uint8_t *json = slurp("ingest/alloy-push.json.body", &jn);
	hearth_ingest_batch b;
	hearth_errbuf eb = {{0}};
	if (hearth_ingest_alloy("application/proto", body, n, NULL, &b, &eb))
		fail_msg("%s", eb.msg);
	check_alloy(&b, "ingest/alloy-cpu.pb.gz", "ingest/alloy-heap.pb.gz");
	hearth_ingest_batch_free(&b);
	if (hearth_ingest_alloy("application/json; charset=utf-8", json, jn, NULL, &b, &eb))
		fail_msg("%s", eb.msg);
	check_alloy(&b, "ingest/alloy-json-cpu.pb.gz", "ingest/alloy-json-heap.pb.gz");
	hearth_ingest_batch_free(&b);
	/* Connect's gzip compression of the request. */
	uint8_t *gz;
	size_t gzn;
	assert_int_equal(hearth_gzip(body, n, &gz, &gzn), HEARTH_OK);
	assert_int_equal(hearth_ingest_alloy("application/proto", gz, gzn, NULL, &b, &eb),
			 HEARTH_OK);
	check_alloy(&b, "ingest/alloy-cpu.pb.gz", "ingest/alloy-heap.pb.gz");
	hearth_ingest_batch_free(&b);
	free(gz);
	/* A request without a body buffer at all (an empty POST). */
	assert_int_equal(hearth_ingest_alloy("application/json", NULL, 0, NULL, &b, &eb),
			 HEARTH_EINVAL);
	assert_int_equal(hearth_ingest_native("service=a", 9, NULL, 0, NULL, &b, &eb),
			 HEARTH_EFORMAT);
	assert_int_not_equal(hearth_ingest_pyroscope("name=a", 6, "multipart/form-data; boundary=b",
						     NULL, 0, NULL, &b, &eb),
			     HEARTH_OK);
	assert_int_not_equal(hearth_ingest_pyroscope("name=a", 6, NULL, NULL, 0, NULL, &b, &eb),
			     HEARTH_OK);
	/* An empty request is nothing to store, not an error. */
	assert_int_equal(hearth_ingest_alloy("application/proto", "", 0, NULL, &b, &eb), HEARTH_OK);
	assert_int_equal(b.n, 0);
	hearth_ingest_batch_free(&b);

	/* Refusals: truncated anywhere, wrong content types, bad JSON. */
	for (size_t cut = 1; cut < n; cut += n / 23 + 1) {
		assert_int_not_equal(
		    hearth_ingest_alloy("application/proto", body, cut, NULL, &b, &eb), HEARTH_OK);
		assert_int_equal(b.n, 0);
		assert_true(eb.msg[0] != 0);
	}
	for (size_t cut = 1; cut < jn; cut += jn / 23 + 1) {
		assert_int_not_equal(
		    hearth_ingest_alloy("application/json", json, cut, NULL, &b, &eb), HEARTH_OK);
		assert_int_equal(b.n, 0);
	}
	assert_int_equal(hearth_ingest_alloy("text/plain", body, n, NULL, &b, &eb), HEARTH_EINVAL);
	assert_int_equal(hearth_ingest_alloy(NULL, body, n, NULL, &b, &eb), HEARTH_EINVAL);
	const struct {
		const char *json, *msg;
	} bad[] = {
	    {"[]", "not an object"},
	    {"{\"series\": 1}", "not an object"},
	    {"{\"series\": [{\"labels\": [{\"name\": \"service\", \"value\": \"x\"}], "
	     "\"samples\": []}]}",
	     "reserved"},
	    {"{\"series\": [{\"labels\": [{\"name\": \"a\", \"value\": \"\\u0000\"}]}]}",
	     "not UTF-8"},
	    {"{\"series\": [{\"labels\": [{\"name\": 1}]}]}", "not {\"name\""},
	    {"{\"series\": [{\"samples\": [{\"rawProfile\": \"!!!\"}]}]}", "BASE64"},
	    {"{\"series\": [{\"samples\": [{\"rawProfile\": \"AAAA\"}]}]}", "series 0 sample 0: "},
	    {"{\"series\": [{\"labels\": [{\"name\": \"service_name\", \"value\": \"\"}]}]}",
	     "service name is empty"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hearth_err err = hearth_ingest_alloy("application/json", bad[i].json,
						     strlen(bad[i].json), NULL, &b, &eb);
		if (err == HEARTH_OK || !strstr(eb.msg, bad[i].msg))
			fail_msg("%s: got %d \"%s\", want \"%s\"", bad[i].json, err, eb.msg,
				 bad[i].msg);
		assert_int_equal(b.n, 0);
	}
	/* More profiles than one push may carry: refused before any is read. */
	hearth_buf many = {0};
	hearth_buf_puts(&many, "{\"series\": [{\"samples\": [");
	for (int i = 0; i <= HEARTH_INGEST_MAX_ITEMS; i++)
		hearth_buf_printf(&many, "%s{\"rawProfile\": \"\"}", i ? "," : "");
	hearth_buf_puts(&many, "]}]}");
	assert_int_equal(
	    hearth_ingest_alloy("application/json", many.data, many.len, NULL, &b, &eb),
	    HEARTH_ETOOBIG);
	hearth_buf_free(&many);
	/* A series without service_name is its job's. */
	const char *job = "{\"series\": [{\"labels\": [{\"name\": \"job\", \"value\": \"j\"}], "
			  "\"samples\": []}]}";
	assert_int_equal(hearth_ingest_alloy("application/json", job, strlen(job), NULL, &b, &eb),
			 HEARTH_OK);
	hearth_ingest_batch_free(&b);
	free(body);
	free(json);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_native),	   cmocka_unit_test(test_native_refusals),
	    cmocka_unit_test(test_native_limits),  cmocka_unit_test(test_time_parse),
	    cmocka_unit_test(test_pyroscope_sdk),  cmocka_unit_test(test_pyroscope_prev),
	    cmocka_unit_test(test_pyroscope_text), cmocka_unit_test(test_pyroscope_refusals),
	    cmocka_unit_test(test_alloy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
