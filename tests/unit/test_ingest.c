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
	assert_int_equal(
	    native("service=api&labels=zone=eu-1&id=k1&type=cpu&time=1700000000", body, n, NULL,
		   &b, &eb),
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
	assert_int_equal(native("service=a&labels=a=1,b=2", body, n, &l, &b, &eb),
			 HEARTH_ETOOBIG);
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
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h,
			.tm_min = mi, .tm_sec = s};
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
	    {"1700000000123", 1700000000123 * 1000000},       /* milliseconds */
	    {"1700000000123456", 1700000000123456 * 1000},    /* microseconds */
	    {"1700000000123456789", 1700000000123456789},     /* nanoseconds */
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
	const char *bad[] = {"", "-", "-1", "-1x", "1h", "now+1h", "12ab", "2026-13-01T00:00:00Z",
			     "2026-02-30T00:00:00Z", "2026-12-03T09:30:00", "2026-12-03T09:30:00+1",
			     "2026-12-03", "-99999999999999999999d", "99999999999999999999",
			     "2026-12-03T09:30:00.Z"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t got;
		hearth_errbuf eb = {{0}};
		if (hearth_time_parse(bad[i], now, &got, &eb) != HEARTH_EINVAL)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_true(eb.msg[0] != 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_native),
	    cmocka_unit_test(test_native_refusals),
	    cmocka_unit_test(test_native_limits),
	    cmocka_unit_test(test_time_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
