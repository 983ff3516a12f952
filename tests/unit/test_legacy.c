/* Legacy-format parsers and the raw report, against pprof's own output.
 *
 * tests/data/legacy/X.string is pprof's Profile.String() of input X (see the
 * README there); the parse here must print the same, byte for byte.  Run from
 * the repository root. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hearth/io.h"
#include "hearth/profile.h"
#include "hearth/raw.h"

#define DATA "tests/data/legacy/"

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fail_msg("cannot open %s (run from the repository root)", path);
		return NULL;
	}
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, r;
	do {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		r = fread(buf + len, 1, cap - len, f);
		len += r;
	} while (r > 0);
	fclose(f);
	*n = len;
	return buf;
}

static char *render(const hearth_profile *p)
{
	hearth_buf b = {0};
	hearth_report_raw(p, &b);
	assert_false(b.oom);
	char *s = strndup(b.data ? b.data : "", b.len);
	hearth_buf_free(&b);
	return s;
}

/* Points at the first line where got and want differ, for the failure message. */
static void assert_same_text(const char *name, const char *got, const char *want)
{
	if (strcmp(got, want) == 0)
		return;
	size_t line = 1, i = 0;
	while (got[i] && got[i] == want[i]) {
		if (got[i] == '\n')
			line++;
		i++;
	}
	const char *g = got + i, *w = want + i;
	while (g > got && g[-1] != '\n')
		g--;
	while (w > want && w[-1] != '\n')
		w--;
	fail_msg("%s: line %zu differs\n got: %.*s\nwant: %.*s", name, line,
		 (int)strcspn(g, "\n"), g, (int)strcspn(w, "\n"), w);
}

/* Every index in a parsed profile points inside its table. */
static void check_consistent(const hearth_profile *p)
{
	for (uint32_t i = 0; i < p->nsample_types; i++) {
		assert_true(p->sample_types[i].type < p->nstrs);
		assert_true(p->sample_types[i].unit < p->nstrs);
	}
	for (size_t i = 0; i < p->nsamples; i++) {
		const hearth_sample *s = &p->samples[i];
		assert_true((size_t)s->loc0 + s->nlocs <= p->nlocs);
		assert_true((size_t)s->label0 + s->nlabels <= p->nlabels);
		for (uint32_t k = 0; k < s->nlocs; k++)
			assert_true(p->locs[s->loc0 + k] < p->nlocations);
	}
	for (uint32_t i = 0; i < p->nlocations; i++) {
		const hearth_location *l = &p->locations[i];
		assert_true(l->mapping == HEARTH_NONE || l->mapping < p->nmappings);
		assert_true((size_t)l->line0 + l->nlines <= p->nlines);
		for (uint32_t k = 0; k < l->nlines; k++)
			assert_true(p->lines[l->line0 + k].function < p->nfunctions);
	}
	for (uint32_t i = 0; i < p->nmappings; i++) {
		assert_true(p->mappings[i].file < p->nstrs);
		assert_true(p->mappings[i].build_id < p->nstrs);
	}
	for (uint32_t i = 0; i < p->nfunctions; i++) {
		assert_true(p->functions[i].name < p->nstrs);
		assert_true(p->functions[i].file < p->nstrs);
	}
}

static hearth_err parse_mem(const void *data, size_t n, hearth_profile **p, hearth_errbuf *eb)
{
	/* An exact-size copy, so that ASan sees any read past the end. */
	uint8_t *copy = malloc(n ? n : 1);
	assert_non_null(copy);
	if (n)
		memcpy(copy, data, n);
	eb->msg[0] = 0;
	hearth_err e = hearth_legacy_parse(copy, n, p, eb);
	free(copy);
	if (e == HEARTH_OK) {
		assert_non_null(*p);
		check_consistent(*p);
	} else {
		assert_null(*p);
	}
	return e;
}

static hearth_err parse_str(const char *s, hearth_profile **p, hearth_errbuf *eb)
{
	return parse_mem(s, strlen(s), p, eb);
}

/* ---- parses against pprof ---------------------------------------------- */

static const char *const golden[] = {
	/* google/pprof's test data */
	"cppbench.contention", "cppbench.cpu", "cppbench.growth", "cppbench.heap",
	"cppbench.thread", "cppbench.thread.all", "cppbench.thread.none", "go.crc32.cpu",
	"go.godoc.thread", "gobench.cpu", "gobench.heap", "java.contention", "java.cpu",
	"java.heap",
	/* Go 1.19 ?debug=1 texts */
	"leaky.goroutine.txt", "leaky.block.txt", "leaky.mutex.txt", "leaky.heap.txt",
	/* corners */
	"cpu32be.cpu", "cpu32le.cpu", "cpu64be.cpu", "cputrunc.cpu", "maps.goroutine.txt",
	"hugepage.threadcreate.txt", "v2.heap", "heapprofile.heap", "frag.heap", "gz.heap",
	"contention.txt", "nostack.thread", "java.contention2",
};

static void test_golden(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(golden) / sizeof(golden[0]); i++) {
		char path[256];
		size_t n, wn;
		snprintf(path, sizeof(path), DATA "%s", golden[i]);
		uint8_t *in = slurp(path, &n);
		snprintf(path, sizeof(path), DATA "%s.string", golden[i]);
		uint8_t *want = slurp(path, &wn);
		want = realloc(want, wn + 1);
		want[wn] = 0;
		hearth_profile *p;
		hearth_errbuf eb;
		hearth_err e = parse_mem(in, n, &p, &eb);
		if (e != HEARTH_OK)
			fail_msg("%s: %s: %s", golden[i], hearth_strerror(e), eb.msg);
		char *got = render(p);
		assert_same_text(golden[i], got, (char *)want);
		free(got);
		hearth_profile_free(p);
		free(in);
		free(want);
	}
}

static void test_pprof_errors(void **state)
{
	(void)state;
	hearth_profile *p;
	hearth_errbuf eb;
	size_t n;
	/* pprof: "malformed profile format" (a "7 @" line without a stack). */
	uint8_t *in = slurp(DATA "leaky.threadcreate.txt", &n);
	assert_int_equal(parse_mem(in, n, &p, &eb), HEARTH_ECORRUPT);
	assert_non_null(strstr(eb.msg, "line 2"));
	free(in);
	/* pprof's TestParseThreadProfileWithInvalidAddress */
	assert_int_equal(parse_str("\n--- threadz 1 ---\n\n--- Thread 7eff063d9940 (name: "
				   "main/25376) stack: ---\n  PC: 0x40b688 0x4d5f51 0x40be31 "
				   "0x473add693e639c6f0\n--- Memory map: ---\n  "
				   "00400000-00fcb000: /home/cppbench_server_main\n\t",
				   &p, &eb),
			 HEARTH_ECORRUPT);
	assert_non_null(strstr(eb.msg, "0x473add693e639c6f0"));
	/* A thread profile must end in a memory map or "no stack trace". */
	assert_int_equal(parse_str("--- Thread 1 (name: a/1) stack: ---\n 0x1\n", &p, &eb),
			 HEARTH_ECORRUPT);
	/* heap: a count of 0 with bytes */
	assert_int_equal(parse_str("heap profile: 1: 2 [3: 4] @ heap_v2/2\n0: 5 [0: 0] @ 0x1\n",
				   &p, &eb),
			 HEARTH_ECORRUPT);
	assert_non_null(strstr(eb.msg, "inuse count was 0"));
	/* Java heap samples need a resolution (the sample types). */
	assert_int_equal(parse_str("--- heapz 1 ---\nformat = java\n 1 1 @ 0x1\n", &p, &eb),
			 HEARTH_ECORRUPT);
	/* An error buffer is optional. */
	assert_int_equal(hearth_legacy_parse((const uint8_t *)"--- mutex:\nx\n", 13, &p, NULL),
			 HEARTH_ECORRUPT);
	assert_null(p);
}

static void test_not_legacy(void **state)
{
	(void)state;
	static const char *const texts[] = {
		"",
		"hello\n",
		"goroutine 8870 [running]:\nruntime/pprof.writeGoroutineStacks()\n",
		"heap profile: 1: 2 [3: 4]\n",
		"--- contentionz\n",
		"\n\n# only comments\n",
		"--- heapz 2 ---\nformat = java\n",
	};
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		hearth_profile *p;
		hearth_errbuf eb;
		assert_int_equal(parse_str(texts[i], &p, &eb), HEARTH_EFORMAT);
	}
	size_t n;
	uint8_t *pb = slurp("tests/data/leaky.cpu.pb.gz", &n);
	hearth_profile *p;
	hearth_errbuf eb;
	assert_int_equal(parse_mem(pb, n, &p, &eb), HEARTH_EFORMAT);
	free(pb);
}

static void test_count_types(void **state)
{
	(void)state;
	/* pprof's TestParseGoCount */
	static const char *const in[][2] = {
		{"# ignored comment\n\nthreadcreate profile: total 123\n", "threadcreate"},
		{"\n# ignored comment\ngoroutine profile: total 123456\n", "goroutine"},
		{"\nsub/dir-ect_o.ry profile: total 999\n", "sub/dir-ect_o.ry"},
	};
	for (size_t i = 0; i < 3; i++) {
		hearth_profile *p;
		hearth_errbuf eb;
		assert_int_equal(parse_str(in[i][0], &p, &eb), HEARTH_OK);
		assert_string_equal(hearth_s(p, p->period_type.type), in[i][1]);
		assert_string_equal(hearth_s(p, p->sample_types[0].type), in[i][1]);
		hearth_profile_free(p);
	}
}

/* pprof's addLegacyFrameInfo: drop/keep frame expressions by profile type. */
static void test_frame_info(void **state)
{
	(void)state;
	static const char *const cases[][3] = {
		{"heap profile: 1: 2 [3: 4] @ heap_v2/2\n", "calloc|cfree|malloc|", "runtime\\.panic|"},
		{"--- mutex:\n", "RecordLockProfileData|", ""},
		{"goroutine profile: total 0\n", "ProfileData::Add|", ""},
	};
	for (size_t i = 0; i < 3; i++) {
		hearth_profile *p;
		hearth_errbuf eb;
		assert_int_equal(parse_str(cases[i][0], &p, &eb), HEARTH_OK);
		const char *drop = hearth_s(p, p->drop_frames), *keep = hearth_s(p, p->keep_frames);
		assert_memory_equal(drop, cases[i][1], strlen(cases[i][1]));
		assert_memory_equal(keep, cases[i][2], strlen(cases[i][2]));
		hearth_profile_free(p);
	}
}

/* ---- hostile input ----------------------------------------------------- */

/* Every prefix of a valid input parses or fails cleanly. */
static void test_truncation(void **state)
{
	(void)state;
	static const char *const inputs[] = {
		"go.crc32.cpu",	    "cpu32be.cpu",     "java.cpu",	  "cppbench.heap",
		"cppbench.thread",  "cppbench.contention", "cpu64be.cpu", "java.contention2",
		"leaky.goroutine.txt", "maps.goroutine.txt", "nostack.thread",
	};
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		char path[256];
		size_t n;
		snprintf(path, sizeof(path), DATA "%s", inputs[i]);
		uint8_t *in = slurp(path, &n);
		size_t ok = 0;
		for (size_t k = 0; k <= n; k++) {
			hearth_profile *p;
			hearth_errbuf eb;
			hearth_err e = parse_mem(in, k, &p, &eb);
			if (e == HEARTH_OK) {
				ok++;
				hearth_profile_free(p);
				continue;
			}
			if (e != HEARTH_EFORMAT && e != HEARTH_ECORRUPT && e != HEARTH_ETOOBIG)
				fail_msg("%s[:%zu]: %s", inputs[i], k, hearth_strerror(e));
			if (e != HEARTH_EFORMAT && eb.msg[0] == 0)
				fail_msg("%s[:%zu]: error without a message", inputs[i], k);
		}
		assert_true(ok > 0); /* at least the whole input */
		free(in);
	}
}

typedef struct {
	char *p;
	size_t n, cap;
} sbuf;

static void sb_put(sbuf *b, const void *s, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
}

static void sb_puts(sbuf *b, const char *s)
{
	sb_put(b, s, strlen(s));
}

static void sb_word(sbuf *b, uint64_t v)
{
	sb_put(b, &v, 8); /* little-endian host */
}

static hearth_err parse_sb(sbuf *b, hearth_profile **p, hearth_errbuf *eb)
{
	hearth_err e = parse_mem(b->p, b->n, p, eb);
	free(b->p);
	memset(b, 0, sizeof(*b));
	if (e == HEARTH_OK)
		hearth_profile_free(*p);
	return e;
}

static void test_hostile(void **state)
{
	(void)state;
	hearth_profile *p;
	hearth_errbuf eb;
	sbuf b = {0};
	uint64_t hdr[5] = {0, 3, 0, 100, 0};

	/* A CPU sample claiming 10 million frames that are not there. */
	sb_put(&b, hdr, sizeof(hdr));
	sb_word(&b, 1);
	sb_word(&b, 10000000);
	assert_int_equal(parse_sb(&b, &p, &eb), HEARTH_ECORRUPT);
	assert_non_null(strstr(eb.msg, "offset 40"));

	/* ... and one that has them: too deep. */
	sb_put(&b, hdr, sizeof(hdr));
	sb_word(&b, 1);
	sb_word(&b, 100000);
	for (int i = 0; i < 100000; i++)
		sb_word(&b, 0x1000 + (uint64_t)i);
	assert_int_equal(parse_sb(&b, &p, &eb), HEARTH_ETOOBIG);

	/* A truncated CPU header is no CPU profile. */
	sb_put(&b, hdr, 39);
	assert_int_equal(parse_sb(&b, &p, &eb), HEARTH_EFORMAT);

	/* A thread stack of a million frames, over many lines. */
	sb_puts(&b, "--- threadz 1 ---\n--- Thread 1 (name: a/1) stack: ---\n");
	for (int i = 0; i < 1000; i++) {
		for (int k = 0; k < 1000; k++)
			sb_puts(&b, " 0x1");
		sb_puts(&b, "\n");
	}
	sb_puts(&b, "--- Memory map: ---\n");
	assert_int_equal(parse_sb(&b, &p, &eb), HEARTH_ETOOBIG);

	/* A line longer than pprof's 64 KiB scanner buffer. */
	sb_puts(&b, "goroutine profile: total 1\n1 @");
	for (int i = 0; i < 20000; i++)
		sb_puts(&b, " 0x1");
	sb_puts(&b, "\n");
	assert_int_equal(parse_sb(&b, &p, &eb), HEARTH_ECORRUPT);
	assert_non_null(strstr(eb.msg, "line 2"));

	/* Numbers that overflow. */
	assert_int_equal(parse_str("heap profile: 1: 2 [3: 4] @ heap_v2/2\n"
				   "99999999999999999999: 1 [1: 1] @ 0x1\n",
				   &p, &eb),
			 HEARTH_ECORRUPT);
	assert_int_equal(parse_str("goroutine profile: total 1\n1 @ 0x11111111111111111\n", &p, &eb),
			 HEARTH_ECORRUPT);
	assert_int_equal(parse_str("goroutine profile: total 1\n99999999999999999999 @ 0x1\n", &p,
				   &eb),
			 HEARTH_ECORRUPT);
	assert_int_equal(parse_str("heap profile: 1: 2 [3: 4] @ heap/99999999999999999999\n", &p,
				   &eb),
			 HEARTH_ECORRUPT);
	assert_int_equal(parse_str("--- mutex:\nsampling period = 0x1ffffffffffffffff\n", &p, &eb),
			 HEARTH_ECORRUPT);

	/* Thousands of substitutions applied to lines full of '$'. */
	sb_puts(&b, "goroutine profile: total 1\n1 @ 0x10\n--- Memory map: ---\n");
	for (int i = 0; i < 3000; i++) {
		char line[64];
		snprintf(line, sizeof(line), "k%d=vvvvvvvvvv\n", i);
		sb_puts(&b, line);
	}
	for (int i = 0; i < 4; i++) {
		for (int k = 0; k < 60000; k++)
			sb_puts(&b, "$");
		sb_puts(&b, "\n");
	}
	assert_int_equal(parse_sb(&b, &p, &eb), HEARTH_ETOOBIG);

	/* Overlapping mappings and many addresses to place in them. */
	sb_puts(&b, "goroutine profile: total 1\n");
	for (int i = 0; i < 400; i++) {
		char line[64];
		sb_puts(&b, "1 @");
		for (int k = 0; k < 50; k++) {
			snprintf(line, sizeof(line), " 0x%x", 0x2000000 + i * 64 + k);
			sb_puts(&b, line);
		}
		sb_puts(&b, "\n");
	}
	sb_puts(&b, "--- Memory map: ---\n");
	for (int i = 0; i < 20000; i++) {
		char line[96];
		snprintf(line, sizeof(line), "%x-%x r-xp 00000000 00:00 0 /m%d\n", 0x1000000 + i * 16,
			 0x1000000 + i * 16 + 4096, i);
		sb_puts(&b, line);
	}
	assert_int_equal(parse_sb(&b, &p, &eb), HEARTH_ETOOBIG);

	/* Binary garbage and NUL bytes. */
	for (int i = 0; i < 4096; i++) {
		uint8_t c = (uint8_t)(i * 131 + 7);
		sb_put(&b, &c, 1);
	}
	assert_int_equal(parse_sb(&b, &p, &eb), HEARTH_EFORMAT);
}

/* ---- the raw report ---------------------------------------------------- */

/* The expected text is what pprof's Profile.String() prints for the same
 * profile built with pprof's types (the newest's: line:column). */
static void test_raw_report(void **state)
{
	(void)state;
	hearth_profile *p = hearth_profile_new();
	assert_non_null(p);
	assert_int_equal(hearth_add_comment(p, "first", 5), HEARTH_OK);
	assert_int_equal(hearth_add_comment(p, "second comment", 14), HEARTH_OK);
	p->period_type.type = hearth_intern_cstr(p, "cpu");
	p->period_type.unit = hearth_intern_cstr(p, "nanoseconds");
	p->period = -10000000;
	p->duration_nanos = 1500;
	hearth_add_sample_type(p, "samples", "count");
	hearth_add_sample_type(p, "cpu", "nanoseconds");
	p->default_sample_type = hearth_intern_cstr(p, "cpu");
	hearth_mapping m1 = {.start = 0x400000, .limit = 0x500000, .offset = 0x1000,
			     .has_functions = true, .has_line_numbers = true};
	m1.file = hearth_intern_cstr(p, "/bin/x");
	m1.build_id = hearth_intern_cstr(p, "abc");
	hearth_mapping m2 = {.has_filenames = true, .has_inline_frames = true};
	hearth_add_mapping(p, &m1);
	hearth_add_mapping(p, &m2);
	uint32_t f1 = hearth_add_function(p, hearth_intern_cstr(p, "main.f"),
					  hearth_intern_cstr(p, "main.f"),
					  hearth_intern_cstr(p, "x.go"), 3);
	uint32_t f2 = hearth_add_function(p, hearth_intern_cstr(p, "g"),
					  hearth_intern_cstr(p, "_Z1gv"), 0, 0);
	hearth_line l1[2] = {{.function = f1, .line = 10, .column = 4},
			     {.function = f2, .line = -2}};
	hearth_line l3 = {.function = f2, .line = 7};
	hearth_add_location(p, 0, 0x401234, l1, 2, false);
	hearth_add_location(p, HEARTH_NONE, 0, NULL, 0, true);
	hearth_add_location(p, 1, UINT64_MAX, &l3, 1, false);
	uint32_t locs[3] = {0, 1, 2};
	int64_t v1[2] = {1, INT64_MIN}, v2[2] = {12345678901, 0};
	uint32_t zeta = hearth_intern_cstr(p, "zeta"), alpha = hearth_intern_cstr(p, "alpha");
	uint32_t bytes = hearth_intern_cstr(p, "bytes"), kb = hearth_intern_cstr(p, "kB");
	uint32_t align = hearth_intern_cstr(p, "align"), nkey = hearth_intern_cstr(p, "n");
	hearth_label labels[] = {
		{.key = zeta, .str = hearth_intern_cstr(p, "b")},
		{.key = bytes, .num = 1},
		{.key = alpha, .str = hearth_intern_cstr(p, "x y")},
		{.key = nkey, .num = 3},
		{.key = zeta, .str = hearth_intern_cstr(p, "a")},
		{.key = bytes, .num = 2, .unit = kb},
		{.key = align, .num = 8},
		{.key = nkey, .num = 4},
	};
	assert_int_equal(hearth_add_sample(p, locs, 3, v1, labels, 8), HEARTH_OK);
	assert_int_equal(hearth_add_sample(p, NULL, 0, v2, NULL, 0), HEARTH_OK);
	char *got = render(p);
	assert_same_text("raw", got,
			 "Comment: first\n"
			 "Comment: second comment\n"
			 "PeriodType: cpu nanoseconds\n"
			 "Period: -10000000\n"
			 "Duration: 1.5\xc2\xb5\n"
			 "Samples:\n"
			 "samples/count cpu/nanoseconds[dflt]\n"
			 "          1 -9223372036854775808: 1 2 3 \n"
			 "                alpha:[x y] zeta:[b a]\n"
			 "                align:[8] bytes:[1  2 kB] n:[3 4]\n"
			 " 12345678901          0: \n"
			 "Locations\n"
			 "     1: 0x401234 M=1 main.f x.go:10:4 s=3\n"
			 "             g :-2:0 s=0(_Z1gv)\n"
			 "     2: 0x0 [F] \n"
			 "     3: 0xffffffffffffffff M=2 g :7:0 s=0(_Z1gv)\n"
			 "Mappings\n"
			 "1: 0x400000/0x500000/0x1000 /bin/x abc [FN][LN]\n"
			 "2: 0x0/0x0/0x0   [FL][IN]\n");
	free(got);

	/* fmt's "%.4v" of time.Duration, as pprof prints "Duration:". */
	static const struct {
		int64_t d;
		const char *s;
	} durations[] = {
		{1, "1ns"}, {999, "999n"}, {1000, "1\xc2\xb5s"}, {999999, "999."},
		{1000000, "1ms"}, {1234567, "1.23"}, {1000000000, "1s"}, {1500000000, "1.5s"},
		{59999999999, "59.9"}, {60000000000, "1m0s"}, {3723000000000, "1h2m"},
		{16502830000000, "4h35"}, {-5000000000, "-5s"}, {-1500, "-1.5"},
		{INT64_MAX, "2562"}, {INT64_MIN, "-256"},
	};
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		p->duration_nanos = durations[i].d;
		got = render(p);
		char want[64];
		snprintf(want, sizeof(want), "\nDuration: %s\n", durations[i].s);
		if (!strstr(got, want))
			fail_msg("duration %lld: want %s", (long long)durations[i].d, durations[i].s);
		free(got);
	}
	hearth_profile_free(p);

	/* An empty profile. */
	p = hearth_profile_new();
	got = render(p);
	assert_string_equal(got, "PeriodType:  \nPeriod: 0\nSamples:\n\nLocations\nMappings\n");
	free(got);
	hearth_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden),	    cmocka_unit_test(test_pprof_errors),
		cmocka_unit_test(test_not_legacy),  cmocka_unit_test(test_count_types),
		cmocka_unit_test(test_frame_info),  cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_hostile),	    cmocka_unit_test(test_raw_report),
	};
	return cmocka_run_group_tests_name("legacy", tests, NULL, NULL);
}
