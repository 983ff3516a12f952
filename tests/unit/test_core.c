/* The decoder, merge and filters, checked by properties that must hold on
 * real profiles (tests/data holds profiles captured from Go programs):
 *  - the decoder rejects damaged input with the byte offset of the damage;
 *  - the streaming decoder (samples decoded as the bytes arrive) gives the
 *    two-pass decoder's profile, and never accepts what it refuses, on the
 *    profiles, cut anywhere and damaged anywhere;
 *  - merging a profile with itself doubles every value and keeps the
 *    stacks; subtracting it from itself leaves nothing;
 *  - files merged as a series (each reusing the remap of what the file
 *    before declared the same) give the merge of the profiles one by one,
 *    also when entries at the same index changed from one file to the next;
 *  - focus keeps exactly the samples with a matching frame, hide removes
 *    exactly the matching frames, recomputed here by brute force over the
 *    model;
 *  - the report total equals the sum of |values| computed directly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "engine.h"
#include "hearth/io.h"
#include "hearth/options.h"
#include "hearth/regex.h"
#include "hearth/report.h"
#include "hearth/sources.h"
#include "stream_check.h"

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

static hearth_profile *load(const char *name)
{
	char path[4096];
	hearth_profile *p = NULL;
	hearth_errbuf eb = {{0}};
	data_path(path, sizeof(path), name);
	hearth_err err = hearth_read_file(path, NULL, &p, &eb);
	if (err)
		fail_msg("%s: %s", path, eb.msg);
	return p;
}

/* ---- decoder ---- */

static hearth_err decode(const uint8_t *b, size_t n, hearth_errbuf *eb)
{
	hearth_profile *p = NULL;
	hearth_err err = hearth_proto_decode(b, n, &p, eb);
	hearth_profile_free(p);
	return err;
}

static void test_decode_minimal(void **state)
{
	(void)state;
	/* string_table: "", "cpu", "ns"; sample_type {1, 2}; sample {value: 7} */
	static const uint8_t b[] = {0x32, 0x00, 0x32, 0x03, 'c', 'p', 'u', 0x32, 0x02, 'n', 's',
				    0x0a, 0x04, 0x08, 0x01, 0x10, 0x02, 0x12, 0x02, 0x10, 0x07};
	hearth_profile *p = NULL;
	hearth_errbuf eb = {{0}};
	assert_int_equal(hearth_proto_decode(b, sizeof(b), &p, &eb), HEARTH_OK);
	assert_int_equal(p->nsample_types, 1);
	assert_string_equal(hearth_s(p, p->sample_types[0].type), "cpu");
	assert_string_equal(hearth_s(p, p->sample_types[0].unit), "ns");
	assert_int_equal(p->nsamples, 1);
	assert_int_equal(p->values[0], 7);
	hearth_profile_free(p);
}

static void test_decode_errors(void **state)
{
	(void)state;
	hearth_errbuf eb = {{0}};
	/* An 11-byte varint in the time_nanos field, at offset 3. */
	static const uint8_t longv[] = {0x32, 0x00, 0x48, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
					0xff, 0xff, 0xff, 0xff, 0x01};
	assert_int_equal(decode(longv, sizeof(longv), &eb), HEARTH_ECORRUPT);
	assert_non_null(strstr(eb.msg, "offset 3:"));
	assert_non_null(strstr(eb.msg, "varint"));
	/* A length that runs past the end, at offset 2. */
	static const uint8_t past[] = {0x32, 0x00, 0x32, 0x7f, 'a'};
	assert_int_equal(decode(past, sizeof(past), &eb), HEARTH_ECORRUPT);
	assert_non_null(strstr(eb.msg, "offset 3:"));
	assert_non_null(strstr(eb.msg, "past the end"));
	/* A sample that names a location that does not exist. */
	static const uint8_t noloc[] = {0x32, 0x00, 0x0a, 0x00, 0x12, 0x04, 0x08, 0x05, 0x10, 0x01};
	assert_int_equal(decode(noloc, sizeof(noloc), &eb), HEARTH_ECORRUPT);
	assert_non_null(strstr(eb.msg, "unknown location"));
	/* A string index out of range. */
	static const uint8_t badstr[] = {0x32, 0x00, 0x0a, 0x02, 0x08, 0x09};
	assert_int_equal(decode(badstr, sizeof(badstr), &eb), HEARTH_ECORRUPT);
	assert_non_null(strstr(eb.msg, "string index"));
	/* Truncating a real profile anywhere never crashes and never succeeds
	 * silently with garbage: it either fails or decodes a prefix that is a
	 * valid message on its own. */
	char path[4096];
	data_path(path, sizeof(path), "leaky.cpu.pb.gz");
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	uint8_t gz[1 << 16];
	size_t gn = fread(gz, 1, sizeof(gz), f);
	fclose(f);
	uint8_t *raw;
	size_t rn;
	assert_int_equal(hearth_gunzip(gz, gn, 1 << 26, &raw, &rn, &eb), HEARTH_OK);
	for (size_t cut = 0; cut < rn; cut += 7) {
		hearth_err e = decode(raw, cut, &eb);
		assert_true(e == HEARTH_OK || e == HEARTH_ECORRUPT);
	}
	for (size_t cut = 0; cut + 1 < gn; cut += 97) {
		uint8_t *o = NULL;
		size_t on;
		hearth_err e = hearth_gunzip(gz, cut, 1 << 26, &o, &on, &eb);
		assert_int_not_equal(e, HEARTH_OK);
		free(o);
	}
	free(raw);
}

/* A profile of one function and one location with the given ids (each a
 * varint of one or two bytes); its location entry ends in a truncated
 * varint when `cut`.  Returns its length. */
static size_t ids_profile(uint8_t *b, unsigned fid, unsigned lid, bool cut)
{
	uint8_t fv[2], lv[2];
	size_t fn = fid < 128 ? (fv[0] = (uint8_t)fid, 1)
			      : (fv[0] = (uint8_t)(fid | 0x80), fv[1] = (uint8_t)(fid >> 7), 2);
	size_t ln = lid < 128 ? (lv[0] = (uint8_t)lid, 1)
			      : (lv[0] = (uint8_t)(lid | 0x80), lv[1] = (uint8_t)(lid >> 7), 2);
	static const uint8_t head[] = {0x32, 0x00, 0x32, 0x03, 'c', 'p', 'u', 0x32, 0x02, 'n',
				       's',  0x32, 0x01, 'f', 0x0a, 0x04, 0x08, 0x01, 0x10, 0x02};
	size_t n = 0;
	memcpy(b, head, sizeof(head));
	n += sizeof(head);
	/* function {id, name: "f"} */
	b[n++] = 0x2a, b[n++] = (uint8_t)(1 + fn + 2), b[n++] = 0x08;
	memcpy(b + n, fv, fn), n += fn;
	b[n++] = 0x10, b[n++] = 0x03;
	/* location {id, line {function_id}} (or {id, and a varint cut short}) */
	b[n++] = 0x22;
	if (cut) {
		b[n++] = (uint8_t)(1 + ln + 2), b[n++] = 0x08;
		memcpy(b + n, lv, ln), n += ln;
		b[n++] = 0x18, b[n++] = 0x80; /* address: a varint that never ends */
	} else {
		b[n++] = (uint8_t)(1 + ln + 2 + 1 + fn), b[n++] = 0x08;
		memcpy(b + n, lv, ln), n += ln;
		b[n++] = 0x22, b[n++] = (uint8_t)(1 + fn), b[n++] = 0x08;
		memcpy(b + n, fv, fn), n += fn;
	}
	/* sample {location_id, value: 5} */
	b[n++] = 0x12, b[n++] = (uint8_t)(1 + ln + 2), b[n++] = 0x08;
	memcpy(b + n, lv, ln), n += ln;
	b[n++] = 0x10, b[n++] = 0x05;
	return n;
}

/* Tables numbered 1, 2, 3 ... (as Go writes them) are decoded without a
 * pass for their ids; any other ids take the usual way, to the same
 * profile, and a damaged entry gives the usual error either way. */
static void test_decode_ids(void **state)
{
	(void)state;
	static const unsigned ids[][2] = {{1, 1}, {1000, 77}, {1, 300}, {2, 1}};
	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		uint8_t b[128];
		size_t n = ids_profile(b, ids[i][0], ids[i][1], false);
		hearth_profile *p = NULL;
		hearth_errbuf eb = {{0}};
		assert_int_equal(hearth_proto_decode(b, n, &p, &eb), HEARTH_OK);
		assert_int_equal(p->nsamples, 1);
		assert_int_equal(p->samples[0].nlocs, 1);
		const hearth_location *l = &p->locations[p->locs[p->samples[0].loc0]];
		assert_int_equal(l->nlines, 1);
		const hearth_line *ln = &p->lines[l->line0];
		assert_string_equal(hearth_s(p, p->functions[ln->function].name), "f");
		assert_int_equal(p->values[0], 5);
		hearth_profile_free(p);
		/* The same with the location cut short: the error of the pass
		 * that peeks at the ids, or of the entry's decoding, at the
		 * varint's offset. */
		n = ids_profile(b, ids[i][0], ids[i][1], true);
		size_t at = n - 6 - (ids[i][1] < 128 ? 1 : 2); /* the 0x80 */
		char want[64];
		snprintf(want, sizeof(want), "offset %zu: truncated varint", at);
		assert_int_equal(decode(b, n, &eb), HEARTH_ECORRUPT);
		assert_string_equal(eb.msg, want);
	}
	/* A duplicate function id, after the guess that the ids are 1..n. */
	uint8_t b[128];
	size_t n = ids_profile(b, 1, 1, false);
	static const uint8_t dup[] = {0x2a, 0x04, 0x08, 0x01, 0x10, 0x03};
	memcpy(b + n, dup, sizeof(dup));
	hearth_errbuf eb = {{0}};
	assert_int_equal(decode(b, n + sizeof(dup), &eb), HEARTH_ECORRUPT);
	assert_non_null(strstr(eb.msg, "duplicate function id"));
}

/* ---- streaming decoder ---- */

/* stream_mismatch as a cmocka check; returns whether the streaming decoder
 * accepted b[0..n). */
static bool check_stream(const uint8_t *b, size_t n, size_t step, bool raw_strings)
{
	char msg[1024];
	bool accepted;
	if (stream_mismatch(b, n, step, raw_strings, &accepted, msg, sizeof(msg)))
		fail_msg("%s", msg);
	return accepted;
}

static void test_decode_stream(void **state)
{
	(void)state;
	static const char *const names[] = {
	    "leaky.cpu.pb.gz",
	    "leaky.heap.pb.gz",
	    "leaky.goroutine.pb.gz",
	    "searchsvc.heap.pb.gz",
	    "go126/netsubject.cpu.pb.gz",
	    "go126/netsubject.allocs.pb.gz",
	    "leaky.series.01.cpu.pb.gz",
	};
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		char path[4096];
		hearth_errbuf eb = {{0}};
		data_path(path, sizeof(path), names[k]);
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		static uint8_t gz[1 << 20];
		size_t gn = fread(gz, 1, sizeof(gz), f);
		fclose(f);
		uint8_t *raw;
		size_t rn;
		assert_int_equal(hearth_gunzip(gz, gn, 1 << 26, &raw, &rn, &eb), HEARTH_OK);
		/* Whole, in steps of every kind: the real profiles stream. */
		static const size_t steps[] = {1, 3, 64, 4096, 1 << 30};
		for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
			assert_true(check_stream(raw, rn, steps[i], false));
			assert_true(check_stream(raw, rn, steps[i], true));
		}
		/* Cut anywhere, and damaged anywhere. */
		for (size_t cut = 0; cut < rn; cut += 1 + rn / 300)
			check_stream(raw, cut, 1 + cut % 13, cut % 2);
		uint8_t *bad = malloc(rn);
		assert_non_null(bad);
		for (size_t at = 0; at < rn; at += 1 + rn / 500) {
			memcpy(bad, raw, rn);
			bad[at] ^= (uint8_t)(1u << (at % 8)) | 0x80;
			check_stream(bad, rn, 1 + at % 29, at % 2);
			bad[at] = 0;
			check_stream(bad, rn, 4096, false);
		}
		free(bad);
		free(raw);
	}
}

static void test_gunzip_cap(void **state)
{
	(void)state;
	char path[4096];
	hearth_profile *p = NULL;
	hearth_errbuf eb = {{0}};
	hearth_read_opts ro = {.max_size = 1000};
	data_path(path, sizeof(path), "leaky.cpu.pb.gz");
	assert_int_equal(hearth_read_file(path, &ro, &p, &eb), HEARTH_ETOOBIG);
	assert_null(p);
	assert_non_null(strstr(eb.msg, "1000"));
}

/* ---- merge ---- */

static int64_t sum_values(const hearth_profile *p, uint32_t k)
{
	int64_t s = 0;
	for (size_t i = 0; i < p->nsamples; i++)
		s += p->values[i * p->nsample_types + k];
	return s;
}

static void test_merge_self(void **state)
{
	(void)state;
	hearth_profile *a = load("leaky.heap.pb.gz");
	hearth_profile *two[2] = {a, a}, *m = NULL, *one[1] = {a}, *m1 = NULL;
	hearth_errbuf eb = {{0}};
	assert_int_equal(hearth_merge(one, 1, &m1, &eb), HEARTH_OK);
	assert_int_equal(hearth_merge(two, 2, &m, &eb), HEARTH_OK);
	assert_int_equal(m->nsamples, m1->nsamples);
	assert_int_equal(m->nsample_types, a->nsample_types);
	for (uint32_t k = 0; k < a->nsample_types; k++) {
		assert_int_equal(sum_values(m1, k), sum_values(a, k));
		assert_int_equal(sum_values(m, k), 2 * sum_values(a, k));
	}
	assert_int_equal(m->duration_nanos, 2 * a->duration_nanos);
	assert_int_equal(m->time_nanos, a->time_nanos);
	/* The first mapping (the main binary) stays first. */
	assert_string_equal(hearth_s(m, m->mappings[0].file), hearth_s(a, a->mappings[0].file));
	hearth_profile_free(m);
	hearth_profile_free(m1);

	/* a - a is empty: every sample cancels and is dropped. */
	hearth_profile *b = load("leaky.heap.pb.gz");
	hearth_profile_scale(b, -1);
	two[1] = b;
	assert_int_equal(hearth_merge(two, 2, &m, &eb), HEARTH_OK);
	assert_int_equal(m->nsamples, 0);
	hearth_profile_free(m);
	hearth_profile_free(b);
	hearth_profile_free(a);
}

/* The file profiles (a, b, a, b, b, a) merged by hearth_load_sources, whose
 * reader carries a file's remap over to the next file's equal entries,
 * against hearth_merge of the same profiles read back, which never does; b
 * is a with a function's name string, a line number and an address changed
 * at the same indices. */
static void test_merge_carry(void **state)
{
	(void)state;
	hearth_profile *a = load("leaky.cpu.pb.gz"), *b = load("leaky.cpu.pb.gz");
	hearth_errbuf eb = {{0}};
	assert_true(b->nfunctions > 2 && b->nlocations > 6);
	uint32_t k = b->functions[1].name;
	b->strs[k].s = hearth_profile_strdup(b, "renamed.fn", 10);
	b->strs[k].len = 10;
	b->lines[b->locations[3].line0].line += 1;
	b->locations[5].address += 16;
	char dir[] = "/tmp/hearth-carry-XXXXXX", paths[6][64];
	assert_non_null(mkdtemp(dir));
	const char *pp[6];
	hearth_profile *read[6];
	for (int i = 0; i < 6; i++) {
		snprintf(paths[i], sizeof(paths[i]), "%s/%d.pb.gz", dir, i);
		pp[i] = paths[i];
		hearth_profile *src = (i == 1 || i == 3 || i == 4) ? b : a;
		assert_int_equal(hearth_write_file(src, paths[i], &eb), HEARTH_OK);
		assert_int_equal(hearth_read_file(paths[i], NULL, &read[i], &eb), HEARTH_OK);
	}
	hearth_opts o;
	hearth_opts_init(&o);
	o.symbolize = "none";
	hearth_profile *got = NULL, *want = NULL;
	assert_int_equal(hearth_load_sources(pp, 6, &o, &got, &eb), HEARTH_OK);
	assert_int_equal(hearth_merge(read, 6, &want, &eb), HEARTH_OK);
	assert_int_equal(hearth_remove_uninteresting(want, &eb), HEARTH_OK);
	assert_true(same_profile(got, want));
	bool renamed = false;
	for (uint32_t i = 0; i < got->nfunctions; i++)
		renamed |= !strcmp(hearth_s(got, got->functions[i].name), "renamed.fn");
	assert_true(renamed);
	hearth_profile_free(got);
	hearth_profile_free(want);
	for (int i = 0; i < 6; i++) {
		hearth_profile_free(read[i]);
		remove(paths[i]);
	}
	rmdir(dir);
	hearth_profile_free(a);
	hearth_profile_free(b);
}

static void test_merge_incompatible(void **state)
{
	(void)state;
	hearth_profile *a = load("leaky.heap.pb.gz"), *c = load("leaky.cpu.pb.gz");
	hearth_profile *two[2] = {a, c}, *m = NULL;
	hearth_errbuf eb = {{0}};
	assert_int_equal(hearth_merge(two, 2, &m, &eb), HEARTH_EINCOMPAT);
	assert_null(m);
	assert_non_null(strstr(eb.msg, "incompatible"));
	hearth_profile_free(a);
	hearth_profile_free(c);
}

/* ---- filters ---- */

static bool loc_matches(const hearth_profile *p, uint32_t li, const hearth_regex *re)
{
	const hearth_location *l = &p->locations[li];
	for (uint32_t i = 0; i < l->nlines; i++) {
		const hearth_line *ln = &p->lines[l->line0 + i];
		if (ln->function == HEARTH_NONE)
			continue;
		const char *n = hearth_s(p, p->functions[ln->function].name);
		const char *f = hearth_s(p, p->functions[ln->function].file);
		if (hearth_regex_match(re, n, strlen(n)) || hearth_regex_match(re, f, strlen(f)))
			return true;
	}
	if (l->mapping != HEARTH_NONE) {
		const char *m = hearth_s(p, p->mappings[l->mapping].file);
		return hearth_regex_match(re, m, strlen(m));
	}
	return false;
}

static void test_focus(void **state)
{
	(void)state;
	const char *pat = "main\\.";
	hearth_profile *p = load("leaky.cpu.pb.gz");
	hearth_regex *re;
	hearth_errbuf eb = {{0}};
	assert_int_equal(hearth_regex_compile("focus", pat, &re, &eb), HEARTH_OK);
	/* Brute force: which samples have a frame that matches, and their sum. */
	size_t want_n = 0;
	int64_t want_sum = 0;
	for (size_t i = 0; i < p->nsamples; i++) {
		const hearth_sample *s = &p->samples[i];
		bool hit = false;
		for (uint32_t k = 0; k < s->nlocs && !hit; k++)
			hit = loc_matches(p, p->locs[s->loc0 + k], re);
		if (hit) {
			want_n++;
			want_sum += p->values[i * p->nsample_types + 1];
		}
	}
	assert_true(want_n > 0 && want_n < p->nsamples);
	hearth_opts o;
	hearth_opts_init(&o);
	o.focus = pat;
	uint32_t *units = hearth_num_label_units(p);
	hearth_buf warn = {0};
	assert_int_equal(hearth_apply_filters(p, &o, units, false, &warn, &eb), HEARTH_OK);
	assert_int_equal(p->nsamples, want_n);
	assert_int_equal(sum_values(p, 1), want_sum);
	assert_int_equal(warn.len, 0);
	free(units);
	hearth_buf_free(&warn);
	hearth_regex_free(re);
	hearth_profile_free(p);
}

static void test_hide(void **state)
{
	(void)state;
	const char *pat = "^runtime\\.";
	hearth_profile *p = load("leaky.cpu.pb.gz");
	hearth_opts o;
	hearth_errbuf eb = {{0}};
	hearth_opts_init(&o);
	o.hide = pat;
	uint32_t *units = hearth_num_label_units(p);
	hearth_buf warn = {0};
	assert_int_equal(hearth_apply_filters(p, &o, units, false, &warn, &eb), HEARTH_OK);
	hearth_regex *re;
	assert_int_equal(hearth_regex_compile("hide", pat, &re, &eb), HEARTH_OK);
	/* No frame that is left names a runtime function, and no sample is
	 * left without frames. */
	for (size_t i = 0; i < p->nsamples; i++) {
		const hearth_sample *s = &p->samples[i];
		assert_true(s->nlocs > 0);
		for (uint32_t k = 0; k < s->nlocs; k++) {
			const hearth_location *l = &p->locations[p->locs[s->loc0 + k]];
			assert_true(l->nlines > 0);
			for (uint32_t j = 0; j < l->nlines; j++) {
				const hearth_line *ln = &p->lines[l->line0 + j];
				const char *n = hearth_s(p, p->functions[ln->function].name);
				assert_false(hearth_regex_match(re, n, strlen(n)));
			}
		}
	}
	free(units);
	hearth_buf_free(&warn);
	hearth_regex_free(re);
	hearth_profile_free(p);
}

static void test_bad_regexp(void **state)
{
	(void)state;
	hearth_profile *p = load("leaky.cpu.pb.gz");
	size_t before = p->nsamples;
	hearth_opts o;
	hearth_errbuf eb = {{0}};
	hearth_opts_init(&o);
	o.focus = "main";
	o.ignore = "(unclosed";
	uint32_t *units = hearth_num_label_units(p);
	hearth_buf warn = {0};
	assert_int_equal(hearth_apply_filters(p, &o, units, false, &warn, &eb), HEARTH_EINVAL);
	assert_non_null(strstr(eb.msg, "ignore"));
	/* Nothing was filtered before the error was found. */
	assert_int_equal(p->nsamples, before);
	free(units);
	hearth_buf_free(&warn);
	hearth_profile_free(p);
}

static void test_tagfocus_range(void **state)
{
	(void)state;
	/* Heap samples carry a numeric "bytes" label; a range keeps exactly
	 * the samples whose label lies in it. */
	hearth_profile *p = load("searchsvc.heap.pb.gz");
	size_t want = 0;
	for (size_t i = 0; i < p->nsamples; i++) {
		const hearth_sample *s = &p->samples[i];
		for (uint32_t k = 0; k < s->nlabels; k++) {
			const hearth_label *l = &p->labels[s->label0 + k];
			if (!strcmp(hearth_s(p, l->key), "bytes") && l->num >= 1024 &&
			    l->num <= 64 * 1024) {
				want++;
				break;
			}
		}
	}
	assert_true(want > 0 && want < p->nsamples);
	hearth_opts o;
	hearth_errbuf eb = {{0}};
	hearth_opts_init(&o);
	o.tagfocus = "bytes=1kb:64kb";
	uint32_t *units = hearth_num_label_units(p);
	hearth_buf warn = {0};
	assert_int_equal(hearth_apply_filters(p, &o, units, false, &warn, &eb), HEARTH_OK);
	assert_int_equal(p->nsamples, want);
	free(units);
	hearth_buf_free(&warn);
	hearth_profile_free(p);
}

static void test_report_total(void **state)
{
	(void)state;
	hearth_profile *p = load("leaky.cpu.pb.gz");
	int64_t total = 0;
	for (size_t i = 0; i < p->nsamples; i++) {
		int64_t v = p->values[i * p->nsample_types + 1];
		total += v < 0 ? -v : v;
	}
	hearth_opts o;
	hearth_errbuf eb = {{0}};
	hearth_opts_init(&o);
	hearth_report *r = NULL;
	assert_int_equal(hearth_report_new(p, &o, HEARTH_CMD_TOP, &r, &eb), HEARTH_OK);
	hearth_buf out = {0};
	assert_int_equal(hearth_report_top(r, &out, &eb), HEARTH_OK);
	/* 1.61s = 1610000000ns in leaky.cpu: the header says so, and the
	 * direct sum must agree. */
	assert_int_equal(total, 1610000000);
	assert_non_null(strstr(out.data, "of 1.61s total"));
	hearth_buf_free(&out);
	hearth_report_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_minimal),
	    cmocka_unit_test(test_decode_errors),
	    cmocka_unit_test(test_decode_ids),
	    cmocka_unit_test(test_decode_stream),
	    cmocka_unit_test(test_merge_carry),
	    cmocka_unit_test(test_gunzip_cap),
	    cmocka_unit_test(test_merge_self),
	    cmocka_unit_test(test_merge_incompatible),
	    cmocka_unit_test(test_focus),
	    cmocka_unit_test(test_hide),
	    cmocka_unit_test(test_bad_regexp),
	    cmocka_unit_test(test_tagfocus_range),
	    cmocka_unit_test(test_report_total),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
