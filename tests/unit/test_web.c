/* What `hearth web` adds to libhearth:
 *  - hearth_profile_clone: a deep copy whose report equals the original's,
 *    and which a report may edit without touching the original;
 *  - lib/query.c: query strings decoded, the whitelist of report options,
 *    the refused names, flags, and a cache key independent of order;
 *  - the search (o->search): a second focus, so that its figure equals a
 *    report with focus=RE alone when the view has no focus, and never
 *    exceeds either focus alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hearth/io.h"
#include "hearth/query.h"
#include "hearth/report.h"

static hearth_profile *load(const char *name)
{
	char path[4096];
	const char *f = __FILE__, *slash = strrchr(f, '/');
	int dirlen = slash ? (int)(slash - f) : 1;
	snprintf(path, sizeof(path), "%.*s/../data/%s", dirlen, slash ? f : ".", name);
	hearth_profile *p = NULL;
	hearth_errbuf eb = {{0}};
	if (hearth_read_file(path, NULL, &p, &eb))
		fail_msg("%s: %s", path, eb.msg);
	return p;
}

/* The top report of p (taken) with o, as text. */
static char *top_of(hearth_profile *p, const hearth_opts *o)
{
	hearth_report *r = NULL;
	hearth_errbuf eb = {{0}};
	hearth_buf out = {0};
	if (hearth_report_new(p, o, HEARTH_CMD_TOP, &r, &eb))
		fail_msg("report: %s", eb.msg);
	assert_int_equal(hearth_report_top(r, &out, &eb), HEARTH_OK);
	hearth_report_free(r);
	return out.data;
}

static void test_clone(void **state)
{
	(void)state;
	static const char *const files[] = {"leaky.cpu.pb.gz", "leaky.heap.pb.gz",
					    "searchsvc.heap.pb.gz"};
	for (size_t k = 0; k < 3; k++) {
		hearth_profile *p = load(files[k]);
		hearth_opts o;
		hearth_opts_init(&o);
		o.focus = "main";
		o.hide = "runtime";
		o.granularity = HEARTH_GRAN_LINES;
		/* Twice from clones (the first report edits its copy), then
		 * from the original itself. */
		char *a = top_of(hearth_profile_clone(p), &o);
		char *b = top_of(hearth_profile_clone(p), &o);
		hearth_profile *c = hearth_profile_clone(p);
		assert_non_null(c);
		assert_int_equal(c->nsamples, p->nsamples);
		assert_int_equal(c->nstrs, p->nstrs);
		for (uint32_t i = 0; i < p->nstrs; i++) {
			assert_ptr_not_equal(c->strs[i].s, p->strs[i].s);
			assert_string_equal(c->strs[i].s, p->strs[i].s);
		}
		/* Interning in the copy finds the copied strings. */
		if (p->nstrs > 1)
			assert_int_equal(hearth_intern_cstr(c, p->strs[p->nstrs - 1].s),
					 hearth_intern_cstr(p, p->strs[p->nstrs - 1].s));
		hearth_profile_free(c);
		char *d = top_of(p, &o);
		assert_string_equal(a, b);
		assert_string_equal(a, d);
		free(a);
		free(b);
		free(d);
	}
}

static void test_query_parse(void **state)
{
	(void)state;
	hearth_query q;
	hearth_errbuf eb = {{0}};
	const char *s = "focus=main%5C.(a%7Cb)&lines&q=a+b&empty=&focus=%41";
	assert_int_equal(hearth_query_parse(s, strlen(s), &q, &eb), HEARTH_OK);
	assert_int_equal(q.n, 5);
	assert_string_equal(q.p[0].value, "main\\.(a|b)");
	assert_null(q.p[1].value);
	assert_string_equal(q.p[2].value, "a b");
	assert_string_equal(hearth_query_get(&q, "focus", NULL), "A");
	assert_string_equal(hearth_query_get(&q, "empty", NULL), "");
	assert_string_equal(hearth_query_get(&q, "lines", NULL), "");
	bool present = true;
	assert_null(hearth_query_get(&q, "nothere", &present));
	assert_false(present);
	hearth_query_free(&q);
	static const char *const bad[] = {"a=%zz", "a=%4", "a=%00", "=x", "a=1&=2"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&eb, 0, sizeof(eb));
		assert_int_equal(hearth_query_parse(bad[i], strlen(bad[i]), &q, &eb),
				 HEARTH_EINVAL);
		assert_true(eb.msg[0] != 0);
	}
	char many[1024] = "";
	for (int i = 0; i < 70; i++)
		strcat(many, i ? "&a=1" : "a=1");
	assert_int_equal(hearth_query_parse(many, strlen(many), &q, &eb), HEARTH_ETOOBIG);
	assert_int_equal(hearth_query_parse("", 0, &q, &eb), HEARTH_OK);
	assert_int_equal(q.n, 0);
	hearth_query_free(&q);
}

static hearth_err opts_of(const char *s, hearth_opts *o, hearth_errbuf *eb)
{
	static const char *const own[] = {"q", NULL};
	hearth_query q;
	hearth_opts_init(o);
	hearth_err err = hearth_query_parse(s, strlen(s), &q, eb);
	if (!err)
		err = hearth_query_opts(&q, own, o, eb);
	/* o points into q: only what is checked below is read, then freed. */
	if (!err) {
		static char focus[256];
		snprintf(focus, sizeof(focus), "%s", o->focus ? o->focus : "");
		o->focus = o->focus ? focus : NULL;
	}
	hearth_query_free(&q);
	return err;
}

static void test_query_opts(void **state)
{
	(void)state;
	hearth_opts o;
	hearth_errbuf eb = {{0}};
	assert_int_equal(opts_of("focus=x&lines=1&noinlines&cum=true&mean=0&nodecount=7&q=zz"
				 "&view=flame&sort=name&zoom=a;b",
				 &o, &eb),
			 HEARTH_OK);
	assert_string_equal(o.focus, "x");
	assert_int_equal(o.granularity, HEARTH_GRAN_LINES);
	assert_true(o.noinlines);
	assert_true(o.cum_sort);
	assert_false(o.mean);
	assert_int_equal(o.nodecount, 7);
	assert_int_equal(opts_of("focus=", &o, &eb), HEARTH_OK);
	assert_null(o.focus);
	static const char *const refused[] = {
	    "base=/etc/passwd", "diff_base=x", "source_path=/", "trim_path=/", "output=/tmp/x",
	    "symbolize=remote", "seconds=1",   "max_size=1",	"o=x"};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		memset(&eb, 0, sizeof(eb));
		assert_int_equal(opts_of(refused[i], &o, &eb), HEARTH_EINVAL);
		assert_non_null(strstr(eb.msg, "cannot be set through the API"));
		assert_int_equal(o.nbase + o.ndiff_base, 0);
		assert_null(o.source_path);
		assert_null(o.output);
	}
	assert_int_equal(opts_of("nosuch=1", &o, &eb), HEARTH_EINVAL);
	assert_non_null(strstr(eb.msg, "unknown parameter \"nosuch\""));
	assert_int_equal(opts_of("mean=%0A1", &o, &eb), HEARTH_EINVAL);
	assert_null(strchr(eb.msg, '\n'));
	assert_int_equal(opts_of("nodecount=x", &o, &eb), HEARTH_EINVAL);
}

static void test_query_key(void **state)
{
	(void)state;
	static const char *const own[] = {"q", NULL};
	const char *a = "q=x&focus=a&lines=1&view=top", *b = "lines=1&focus=a&q=x&zoom=z";
	const char *c = "lines=1&focus=a&q=y";
	hearth_query qa, qb, qc;
	hearth_errbuf eb;
	assert_int_equal(hearth_query_parse(a, strlen(a), &qa, &eb), HEARTH_OK);
	assert_int_equal(hearth_query_parse(b, strlen(b), &qb, &eb), HEARTH_OK);
	assert_int_equal(hearth_query_parse(c, strlen(c), &qc, &eb), HEARTH_OK);
	hearth_buf ka = {0}, kb = {0}, kc = {0};
	hearth_query_key(&qa, own, &ka);
	hearth_query_key(&qb, own, &kb);
	hearth_query_key(&qc, own, &kc);
	assert_string_equal(ka.data, kb.data);
	assert_string_not_equal(ka.data, kc.data);
	hearth_buf_free(&ka);
	hearth_buf_free(&kb);
	hearth_buf_free(&kc);
	hearth_query_free(&qa);
	hearth_query_free(&qb);
	hearth_query_free(&qc);
}

/* matched of /api/search: search=RE with the view's options o. */
static int64_t matched(hearth_profile *p, const hearth_opts *o, const char *re)
{
	hearth_opts so = *o;
	so.search = re;
	hearth_report *r = NULL;
	hearth_errbuf eb = {{0}};
	hearth_buf out = {0};
	if (hearth_report_new(hearth_profile_clone(p), &so, HEARTH_CMD_TOP, &r, &eb))
		fail_msg("report: %s", eb.msg);
	assert_int_equal(hearth_report_search_json(r, &out, &eb), HEARTH_OK);
	const char *m = strstr(out.data, "\"matched\":");
	assert_non_null(m);
	int64_t v = strtoll(m + 10, NULL, 10);
	hearth_buf_free(&out);
	hearth_report_free(r);
	return v;
}

static void test_search(void **state)
{
	(void)state;
	hearth_profile *p = load("leaky.cpu.pb.gz");
	hearth_opts o, f;
	hearth_opts_init(&o);
	static const char *const res[] = {"math", "leakSome", "runtime\\.", "nomatch"};
	for (size_t i = 0; i < 4; i++) {
		/* Alone: the search is focus=RE. */
		f = o;
		f.focus = res[i];
		f.nodefraction = 0;
		int64_t want = 0;
		hearth_report *r = NULL;
		hearth_errbuf eb = {{0}};
		assert_int_equal(
		    hearth_report_new(hearth_profile_clone(p), &f, HEARTH_CMD_TOP, &r, &eb),
		    HEARTH_OK);
		hearth_profile *rp = hearth_report_profile(r);
		for (size_t s = 0; s < rp->nsamples; s++)
			want += hearth_sample_values(rp, s)[1];
		hearth_report_free(r);
		assert_int_equal(matched(p, &o, res[i]), want);
		/* With the view's focus: both hold. */
		f = o;
		f.focus = "LongRunning";
		int64_t both = matched(p, &f, res[i]);
		assert_true(both <= want);
		assert_true(both <= matched(p, &o, "LongRunning"));
	}
	f = o;
	f.focus = "LongRunning";
	assert_int_equal(matched(p, &f, "LongRunning"), matched(p, &o, "LongRunning"));
	hearth_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_clone),      cmocka_unit_test(test_query_parse),
	    cmocka_unit_test(test_query_opts), cmocka_unit_test(test_query_key),
	    cmocka_unit_test(test_search),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
