/* The profile.proto encoder, gzip and atomic file writer.
 *
 * The reference is pprof itself: a profile built here is written with
 * hearth_write_file and read back by `go tool pprof -raw`, whose printout
 * must equal tests/data/proto_write.raw.txt (saved from a run of the newest
 * Go's pprof, 1.26, checked by hand against the profile below; it prints
 * columns, the doc URL and the sample without locations that 1.19 did not).
 * Round trips through hearth's decoder check every field the raw printout
 * does not show (flags of mappings pprof does not print). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "hearth/io.h"

/* tests/data, found from this file's path (the Makefile compiles from the
 * top of the repository) unless HEARTH_TESTDATA says otherwise. */
static void data_path(char *out, size_t n, const char *name)
{
	const char *env = getenv("HEARTH_TESTDATA");
	if (env) {
		snprintf(out, n, "%s/%s", env, name);
		return;
	}
	const char *f = __FILE__, *slash = strrchr(f, '/');
	int dirlen = slash ? (int)(slash - f) : 1;
	snprintf(out, n, "%.*s/../data/%s", dirlen, slash ? f : ".", name);
}

static uint8_t *read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, len = 0;
	uint8_t *b = malloc(cap);
	size_t k;
	while (b && (k = fread(b + len, 1, cap - len, f)) > 0) {
		len += k;
		if (len == cap) {
			uint8_t *nb = realloc(b, cap *= 2);
			if (!nb)
				free(b);
			b = nb;
		}
	}
	fclose(f);
	*n = len;
	return b;
}

/* gunzip with libdeflate directly, so this test needs nothing from the
 * reading side but hearth_proto_decode. */
static uint8_t *gunzip(const uint8_t *in, size_t n, size_t *outn)
{
	struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
	size_t cap = n * 4 + 1024;
	uint8_t *out = NULL;
	for (;;) {
		out = malloc(cap);
		assert_non_null(out);
		enum libdeflate_result r = libdeflate_gzip_decompress(d, in, n, out, cap, outn);
		if (r == LIBDEFLATE_SUCCESS)
			break;
		free(out);
		out = NULL;
		if (r != LIBDEFLATE_INSUFFICIENT_SPACE)
			break;
		cap *= 2;
	}
	libdeflate_free_decompressor(d);
	return out;
}

static hearth_profile *decode_gz_file(const char *path)
{
	size_t n, rawn;
	uint8_t *gz = read_all(path, &n);
	assert_non_null(gz);
	uint8_t *raw = gunzip(gz, n, &rawn);
	assert_non_null(raw);
	hearth_profile *p;
	hearth_errbuf eb = {{0}};
	hearth_err e = hearth_proto_decode(raw, rawn, &p, &eb);
	if (e != HEARTH_OK)
		fail_msg("decoding %s: %s", path, eb.msg);
	free(gz);
	free(raw);
	return p;
}

#define STR_EQ(a, b, i, j) assert_string_equal(hearth_s(a, i), hearth_s(b, j))

/* Equal models: same tables in the same order, strings equal by content. */
static void assert_same_profile(const hearth_profile *a, const hearth_profile *b)
{
	assert_int_equal(a->nsample_types, b->nsample_types);
	for (uint32_t i = 0; i < a->nsample_types; i++) {
		STR_EQ(a, b, a->sample_types[i].type, b->sample_types[i].type);
		STR_EQ(a, b, a->sample_types[i].unit, b->sample_types[i].unit);
	}
	STR_EQ(a, b, a->default_sample_type, b->default_sample_type);
	assert_int_equal(a->nsamples, b->nsamples);
	for (size_t i = 0; i < a->nsamples; i++) {
		const hearth_sample *x = &a->samples[i], *y = &b->samples[i];
		assert_int_equal(x->nlocs, y->nlocs);
		assert_memory_equal(a->locs + x->loc0, b->locs + y->loc0,
				    sizeof(uint32_t) * x->nlocs);
		assert_memory_equal(hearth_sample_values(a, i), hearth_sample_values(b, i),
				    sizeof(int64_t) * a->nsample_types);
		assert_int_equal(x->nlabels, y->nlabels);
		for (uint32_t j = 0; j < x->nlabels; j++) {
			const hearth_label *l = &a->labels[x->label0 + j];
			const hearth_label *m = &b->labels[y->label0 + j];
			STR_EQ(a, b, l->key, m->key);
			STR_EQ(a, b, l->str, m->str);
			assert_int_equal(l->num, m->num);
			STR_EQ(a, b, l->unit, m->unit);
		}
	}
	assert_int_equal(a->nmappings, b->nmappings);
	for (uint32_t i = 0; i < a->nmappings; i++) {
		const hearth_mapping *x = &a->mappings[i], *y = &b->mappings[i];
		assert_int_equal(x->start, y->start);
		assert_int_equal(x->limit, y->limit);
		assert_int_equal(x->offset, y->offset);
		STR_EQ(a, b, x->file, y->file);
		STR_EQ(a, b, x->build_id, y->build_id);
		assert_int_equal(x->has_functions, y->has_functions);
		assert_int_equal(x->has_filenames, y->has_filenames);
		assert_int_equal(x->has_line_numbers, y->has_line_numbers);
		assert_int_equal(x->has_inline_frames, y->has_inline_frames);
	}
	assert_int_equal(a->nlocations, b->nlocations);
	for (uint32_t i = 0; i < a->nlocations; i++) {
		const hearth_location *x = &a->locations[i], *y = &b->locations[i];
		assert_int_equal(x->mapping, y->mapping);
		assert_int_equal(x->address, y->address);
		assert_int_equal(x->is_folded, y->is_folded);
		assert_int_equal(x->nlines, y->nlines);
		for (uint32_t j = 0; j < x->nlines; j++) {
			const hearth_line *l = &a->lines[x->line0 + j],
					  *m = &b->lines[y->line0 + j];
			assert_int_equal(l->function, m->function);
			assert_int_equal(l->line, m->line);
			assert_int_equal(l->column, m->column);
		}
	}
	assert_int_equal(a->nfunctions, b->nfunctions);
	for (uint32_t i = 0; i < a->nfunctions; i++) {
		const hearth_function *x = &a->functions[i], *y = &b->functions[i];
		STR_EQ(a, b, x->name, y->name);
		STR_EQ(a, b, x->system_name, y->system_name);
		STR_EQ(a, b, x->file, y->file);
		assert_int_equal(x->start_line, y->start_line);
	}
	STR_EQ(a, b, a->drop_frames, b->drop_frames);
	STR_EQ(a, b, a->keep_frames, b->keep_frames);
	assert_int_equal(a->time_nanos, b->time_nanos);
	assert_int_equal(a->duration_nanos, b->duration_nanos);
	STR_EQ(a, b, a->period_type.type, b->period_type.type);
	STR_EQ(a, b, a->period_type.unit, b->period_type.unit);
	assert_int_equal(a->period, b->period);
	assert_int_equal(a->ncomments, b->ncomments);
	for (uint32_t i = 0; i < a->ncomments; i++)
		STR_EQ(a, b, a->comments[i], b->comments[i]);
	STR_EQ(a, b, a->doc_url, b->doc_url);
}

static hearth_profile *roundtrip(const hearth_profile *p)
{
	hearth_buf b = {0};
	assert_int_equal(hearth_proto_encode(p, &b), HEARTH_OK);
	hearth_profile *q;
	hearth_errbuf eb = {{0}};
	hearth_err e = hearth_proto_decode((const uint8_t *)b.data, b.len, &q, &eb);
	if (e != HEARTH_OK)
		fail_msg("decoding the encoder's output: %s", eb.msg);
	hearth_buf_free(&b);
	return q;
}

#define S(p, s) hearth_intern_cstr(p, s)

/* A small profile that uses every field, with repeated fields of 0..4
 * elements on both sides of pprof's packing threshold. */
static hearth_profile *build(void)
{
	hearth_profile *p = hearth_profile_new();
	assert_non_null(p);
	assert_int_equal(hearth_add_sample_type(p, "samples", "count"), 0);
	assert_int_equal(hearth_add_sample_type(p, "cpu", "nanoseconds"), 1);
	p->default_sample_type = S(p, "cpu");
	p->period_type.type = S(p, "cpu");
	p->period_type.unit = S(p, "nanoseconds");
	p->period = 10000000;
	p->time_nanos = 1700000000123456789;
	p->duration_nanos = 2500000000;
	p->drop_frames = S(p, "runtime\\..*");
	p->keep_frames = S(p, "main\\.keep");
	p->doc_url = S(p, "https://example.com/cpu.html");
	assert_int_equal(hearth_add_comment(p, "first comment", 13), HEARTH_OK);
	assert_int_equal(hearth_add_comment(p, "second", 6), HEARTH_OK);
	assert_int_equal(hearth_add_comment(p, "third", 5), HEARTH_OK);

	hearth_mapping m0 = {0x400000, 0x800000, 0,   S(p, "/usr/bin/app"), S(p, "abc123"), true,
			     true,     true,	 true};
	hearth_mapping m1 = {
	    0x7f0000000000, 0x7f0000100000, 0x1000, S(p, "/lib/libc.so.6"), 0, true,
	    false,	    false,	    false};
	assert_int_equal(hearth_add_mapping(p, &m0), 0);
	assert_int_equal(hearth_add_mapping(p, &m1), 1);

	uint32_t f0 = hearth_add_function(p, S(p, "main.main"), S(p, "main.main"),
					  S(p, "/src/app/main.go"), 10);
	uint32_t f1 = hearth_add_function(p, S(p, "main.work"), S(p, "main.work"),
					  S(p, "/src/app/main.go"), 20);
	uint32_t f2 = hearth_add_function(p, S(p, "strings.Index"), S(p, "strings.Index·1"),
					  S(p, "/go/src/strings/strings.go"), 0);
	uint32_t f3 = hearth_add_function(p, S(p, "__libc_start_main"), 0, 0, 0);

	hearth_line l0[] = {{f2, 33, 5}, {f1, 25, 0}}; /* strings.Index inlined into work */
	hearth_line l1[] = {{f0, 12, 0}};
	hearth_line l2[] = {{f3, 0, 0}};
	hearth_line l3[] = {{f1, 22, 7}};
	uint32_t a = hearth_add_location(p, 0, 0x401000, l0, 2, false);
	uint32_t b = hearth_add_location(p, 0, 0x402000, l1, 1, false);
	uint32_t c = hearth_add_location(p, 1, 0x7f0000001234, l2, 1, true);
	uint32_t d = hearth_add_location(p, HEARTH_NONE, 0, l3, 1, false);
	uint32_t e = hearth_add_location(p, 1, 0x7f0000005678, NULL, 0, false);

	hearth_label lab0[] = {{S(p, "thread"), S(p, "main"), 0, 0},
			       {S(p, "bytes"), 0, 1024, S(p, "bytes")}};
	hearth_label lab4[] = {{S(p, "request"), 0, 42, 0},
			       {S(p, "k"), S(p, "a"), 0, 0},
			       {S(p, "k"), S(p, "b"), 0, 0},
			       {S(p, "wait"), 0, -3, S(p, "ms")}};
	uint32_t s0[] = {a, b, c}, s1[] = {b}, s2[] = {d, b}, s4[] = {e, c, b, a};
	int64_t v0[] = {5, 50000000}, v1[] = {1, -10000000}, v2[] = {0, 7}, v3[] = {-2, -20000000},
		v4[] = {1, (int64_t)1 << 40};
	assert_int_equal(hearth_add_sample(p, s0, 3, v0, lab0, 2), HEARTH_OK);
	assert_int_equal(hearth_add_sample(p, s1, 1, v1, NULL, 0), HEARTH_OK);
	assert_int_equal(hearth_add_sample(p, s2, 2, v2, NULL, 0), HEARTH_OK);
	/* pprof drops samples without locations when it reads a profile, so
	 * this one shows only in the round trips. */
	assert_int_equal(hearth_add_sample(p, NULL, 0, v3, NULL, 0), HEARTH_OK);
	assert_int_equal(hearth_add_sample(p, s4, 4, v4, lab4, 4), HEARTH_OK);
	return p;
}

static char tmpdir[] = "/tmp/hearth-test-XXXXXX";

static int setup(void **state)
{
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	struct dirent *de;
	assert_non_null(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

/* The newest Go's pprof, which users run (tests/cli/go.inc): /usr/local/go
 * ahead of whatever go is first on PATH (Debian's 1.19 prints differently). */
#define GO "\"${HEARTH_GO:-$(test -x /usr/local/go/bin/go && echo /usr/local/go/bin/go || echo go)}\""

static bool have_go(void)
{
	return system("command -v " GO " >/dev/null 2>&1") == 0;
}

static void test_pprof_reads_it(void **state)
{
	if (!have_go())
		skip();
	hearth_profile *p = build();
	char path[512], cmd[1024], want_path[512];
	hearth_errbuf eb = {{0}};
	snprintf(path, sizeof(path), "%s/built.pb.gz", tmpdir);
	if (hearth_write_file(p, path, &eb) != HEARTH_OK)
		fail_msg("%s", eb.msg);
	hearth_profile_free(p);

	/* TZ fixes how pprof prints Time; -symbolize=none keeps it from looking
	 * for /usr/bin/app. */
	snprintf(cmd, sizeof(cmd), "TZ=UTC " GO " tool pprof -raw -symbolize=none '%s' 2>&1", path);
	FILE *f = popen(cmd, "r");
	assert_non_null(f);
	char got[8192];
	size_t n = fread(got, 1, sizeof(got) - 1, f);
	got[n] = 0;
	assert_int_equal(pclose(f), 0);

	data_path(want_path, sizeof(want_path), "proto_write.raw.txt");
	size_t wn;
	char *want = (char *)read_all(want_path, &wn);
	if (!want)
		fail_msg("cannot read %s; pprof printed:\n%s", want_path, got);
	want[wn] = 0; /* read_all leaves room: its buffer is never exactly full */
	if (strcmp(got, want) != 0)
		fail_msg("pprof -raw printed:\n%s\nwant:\n%s", got, want);
	free(want);
}

static void test_roundtrip_built(void **state)
{
	hearth_profile *p = build();
	hearth_profile *q = roundtrip(p);
	assert_same_profile(p, q);
	/* Encoding is deterministic: the decoded copy encodes to the same bytes. */
	hearth_buf b1 = {0}, b2 = {0};
	assert_int_equal(hearth_proto_encode(p, &b1), HEARTH_OK);
	assert_int_equal(hearth_proto_encode(q, &b2), HEARTH_OK);
	assert_int_equal(b1.len, b2.len);
	assert_memory_equal(b1.data, b2.data, b1.len);
	hearth_buf_free(&b1);
	hearth_buf_free(&b2);
	hearth_profile_free(p);
	hearth_profile_free(q);
}

static void test_roundtrip_leaky(void **state)
{
	char path[512];
	data_path(path, sizeof(path), "leaky.cpu.pb.gz");
	hearth_profile *p = decode_gz_file(path);
	assert_true(p->nsamples > 0);
	hearth_profile *q = roundtrip(p);
	assert_same_profile(p, q);
	hearth_profile_free(p);
	hearth_profile_free(q);
}

/* The file pprof's encoder wrote comes back byte for byte: hearth chooses
 * packing and field order as pprof does.  (Runtime-written profiles order
 * their fields differently, so only model equality holds for those.) */
static void test_same_bytes_as_pprof(void **state)
{
	if (!have_go())
		skip();
	char src[512], dst[512], cmd[1200];
	data_path(src, sizeof(src), "leaky.cpu.pb.gz");
	snprintf(dst, sizeof(dst), "%s/pprof.pb.gz", tmpdir);
	snprintf(cmd, sizeof(cmd),
		 GO " tool pprof -proto -symbolize=none -output '%s' '%s' >/dev/null 2>&1", dst,
		 src);
	assert_int_equal(system(cmd), 0);
	size_t gzn, rawn;
	uint8_t *gz = read_all(dst, &gzn);
	assert_non_null(gz);
	uint8_t *raw = gunzip(gz, gzn, &rawn);
	assert_non_null(raw);
	hearth_profile *p;
	hearth_errbuf eb = {{0}};
	assert_int_equal(hearth_proto_decode(raw, rawn, &p, &eb), HEARTH_OK);
	hearth_buf b = {0};
	assert_int_equal(hearth_proto_encode(p, &b), HEARTH_OK);
	assert_int_equal(b.len, rawn);
	assert_memory_equal(b.data, raw, rawn);
	hearth_buf_free(&b);
	hearth_profile_free(p);
	free(gz);
	free(raw);
}

static void test_packing(void **state)
{
	/* One sample type, one location: "value" and "location_id" unpacked. */
	hearth_profile *p = hearth_profile_new();
	hearth_add_sample_type(p, "samples", "count");
	uint32_t loc = hearth_add_location(p, HEARTH_NONE, 0x10, NULL, 0, false);
	int64_t v = 300;
	hearth_add_sample(p, &loc, 1, &v, NULL, 0);
	hearth_buf b = {0};
	assert_int_equal(hearth_proto_encode(p, &b), HEARTH_OK);
	static const uint8_t want[] = {
	    0x0a, 0x04, 0x08, 0x01, 0x10, 0x02,	      /* sample_type {type 1, unit 2} */
	    0x12, 0x05, 0x08, 0x01, 0x10, 0xac, 0x02, /* sample {location 1, value 300} */
	    0x22, 0x04, 0x08, 0x01, 0x18, 0x10,	      /* location {id 1, address 0x10} */
	    0x32, 0x00,				      /* "" */
	    0x32, 0x07, 's',  'a',  'm',  'p',	'l',  'e',  's', 0x32,
	    0x05, 'c',	'o',  'u',  'n',  't',	0x70, 0x00, /* default_sample_type 0, written as
							       pprof does */
	};
	assert_int_equal(b.len, sizeof(want));
	assert_memory_equal(b.data, want, sizeof(want));
	assert_int_equal(b.data[b.len], 0);

	/* Appends to what the buffer holds. */
	size_t first = b.len;
	assert_int_equal(hearth_proto_encode(p, &b), HEARTH_OK);
	assert_int_equal(b.len, 2 * first);
	assert_memory_equal(b.data + first, want, sizeof(want));
	hearth_buf_free(&b);
	hearth_profile_free(p);

	/* The empty profile. */
	p = hearth_profile_new();
	assert_int_equal(hearth_proto_encode(p, &b), HEARTH_OK);
	assert_int_equal(b.len, 4);
	assert_memory_equal(b.data, "\x32\x00\x70\x00", 4);
	hearth_buf_free(&b);
	hearth_profile_free(p);
}

static void test_gzip(void **state)
{
	static const char text[] = "hello hello hello hello hello hello";
	uint8_t *gz;
	size_t gzn, n;
	assert_int_equal(hearth_gzip((const uint8_t *)text, sizeof(text), &gz, &gzn), HEARTH_OK);
	assert_true(gzn > 18 && gz[0] == 0x1f && gz[1] == 0x8b);
	uint8_t *back = gunzip(gz, gzn, &n);
	assert_non_null(back);
	assert_int_equal(n, sizeof(text));
	assert_memory_equal(back, text, n);
	free(gz);
	free(back);
	assert_int_equal(hearth_gzip(NULL, 0, &gz, &gzn), HEARTH_OK);
	back = gunzip(gz, gzn, &n);
	assert_non_null(back);
	assert_int_equal(n, 0);
	free(gz);
	free(back);
}

static void test_write_file_errors(void **state)
{
	hearth_profile *p = build();
	hearth_errbuf eb = {{0}};
	char path[512];

	/* A missing directory: the message names the file and the reason. */
	snprintf(path, sizeof(path), "%s/no/such/dir/x.pb.gz", tmpdir);
	assert_int_equal(hearth_write_file(p, path, &eb), HEARTH_EIO);
	assert_non_null(strstr(eb.msg, path));
	assert_non_null(strstr(eb.msg, "No such file or directory"));

	/* A target that cannot be replaced (a non-empty directory): the
	 * temporary file is removed and the target is untouched. */
	char sub[512], inner[600];
	snprintf(sub, sizeof(sub), "%s/target", tmpdir);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(inner, sizeof(inner), "%s/keep", sub);
	FILE *f = fopen(inner, "w");
	assert_non_null(f);
	fclose(f);
	int before = count_entries(tmpdir);
	memset(&eb, 0, sizeof(eb));
	assert_int_equal(hearth_write_file(p, sub, &eb), HEARTH_EIO);
	assert_non_null(strstr(eb.msg, sub));
	assert_int_equal(count_entries(tmpdir), before);
	assert_int_equal(count_entries(sub), 1);

	/* Success replaces an existing file, leaves no temporary behind, and
	 * the mode follows the umask as for any new file. */
	snprintf(path, sizeof(path), "%s/ok.pb.gz", tmpdir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs("old", f);
	fclose(f);
	mode_t old = umask(022);
	assert_int_equal(hearth_write_file(p, path, &eb), HEARTH_OK);
	umask(old);
	assert_int_equal(count_entries(tmpdir), before + 1);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0644);
	hearth_profile *q = decode_gz_file(path);
	assert_same_profile(p, q);
	hearth_profile_free(q);
	hearth_profile_free(p);
}

static void test_write_stdout(void **state)
{
	hearth_profile *p = build();
	hearth_errbuf eb = {{0}};
	char path[512];
	snprintf(path, sizeof(path), "%s/stdout.pb.gz", tmpdir);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	hearth_err e = hearth_write_file(p, "-", &eb);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	close(fd);
	assert_int_equal(e, HEARTH_OK);
	hearth_profile *q = decode_gz_file(path);
	assert_same_profile(p, q);
	hearth_profile_free(q);
	hearth_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_packing),	      cmocka_unit_test(test_gzip),
	    cmocka_unit_test(test_roundtrip_built),   cmocka_unit_test(test_roundtrip_leaky),
	    cmocka_unit_test(test_pprof_reads_it),    cmocka_unit_test(test_same_bytes_as_pprof),
	    cmocka_unit_test(test_write_file_errors), cmocka_unit_test(test_write_stdout),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
