/* lib/collect: hearth scrape's configuration, deltas, MemStats and spool.
 *  - the scrape YAML: defaults, every section, and every kind of mistake
 *    refused with the file and the line where it is;
 *  - relabeling as Prometheus does it (keep, drop, replace with groups,
 *    labelmap, labeldrop);
 *  - deltas against hearth's own -base (hearth_apply_base) on the same two
 *    profiles, the first scrape kept as base, a restart;
 *  - the MemStats block of a real Go program's heap?debug=1;
 *  - the spool: order, cap and evictions, pick-up after a restart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "collect/collect.h"
#include "hearth/io.h"
#include "hearth/sources.h"

static hearth_err parse(const char *text, hearth_scrape_config *cfg, hearth_errbuf *eb)
{
	return hearth_scrape_config_parse("s.yaml", text, strlen(text), cfg, eb);
}

static void test_config_defaults(void **state)
{
	(void)state;
	const char *y = "scrape_configs:\n"
			"  - job_name: api\n"
			"    scrape_interval: 15s\n"
			"    static_configs:\n"
			"      - targets: ['127.0.0.1:6060', 'h2:80']\n"
			"        labels: {env: prod}\n";
	hearth_scrape_config c;
	hearth_errbuf eb = {{0}};
	assert_int_equal(parse(y, &c, &eb), HEARTH_OK);
	assert_int_equal(c.njobs, 1);
	hearth_scrape_job *j = &c.jobs[0];
	assert_string_equal(j->job_name, "api");
	assert_int_equal(j->interval_ms, 15000);
	assert_int_equal(j->timeout_ms, 10000);
	assert_string_equal(j->scheme, "http");
	assert_int_equal(j->nstatics, 1);
	assert_int_equal(j->statics[0].ntargets, 2);
	assert_string_equal(hearth_labelset_get(&j->statics[0].labels, "env"), "prod");
	const char *want[] = {"cpu",   "heap",	"allocs",	"goroutine",
			      "block", "mutex", "threadcreate", "memstats"};
	assert_int_equal(j->ntypes, 8);
	for (size_t i = 0; i < 8; i++) {
		assert_string_equal(j->types[i].name, want[i]);
		assert_true(j->types[i].enabled);
	}
	/* cpu: the interval less a tenth (at least a second). */
	assert_int_equal(j->types[0].seconds, 13);
	assert_true(j->types[2].delta && j->types[4].delta && j->types[5].delta);
	assert_false(j->types[3].delta || j->types[0].delta);
	hearth_scrape_config_free(&c);
}

static void test_config_full(void **state)
{
	(void)state;
	const char *y = "global:\n"
			"  scrape_interval: 1m\n"
			"  scrape_timeout: 20s\n"
			"scrape_configs:\n"
			"  - job_name: a\n"
			"    scheme: https\n"
			"    body_size_limit: 10MB\n"
			"    file_sd_configs:\n"
			"      - files: [targets/*.json]\n"
			"        refresh_interval: 30s\n"
			"    dns_sd_configs:\n"
			"      - names: [_pprof._tcp.example.com]\n"
			"      - names: [api.example.com]\n"
			"        type: A\n"
			"        port: 6060\n"
			"    relabel_configs:\n"
			"      - source_labels: [__address__]\n"
			"        regex: '(.*):6060'\n"
			"        target_label: host\n"
			"      - action: labelmap\n"
			"        regex: __meta_(.+)\n"
			"    profiling_config:\n"
			"      path_prefix: /internal/\n"
			"      pprof_config:\n"
			"        block: {enabled: false}\n"
			"        cpu: {seconds: 5}\n"
			"        fgprof: {path: /debug/fgprof, delta: false}\n"
			"  - job_name: b\n"
			"    scrape_interval: 5s\n"
			"    scrape_timeout: 2s\n"
			"    static_configs: [{targets: ['x:1']}]\n";
	hearth_scrape_config c;
	hearth_errbuf eb = {{0}};
	assert_int_equal(parse(y, &c, &eb), HEARTH_OK);
	assert_int_equal(c.njobs, 2);
	hearth_scrape_job *a = &c.jobs[0], *b = &c.jobs[1];
	assert_int_equal(a->interval_ms, 60000);
	assert_int_equal(a->timeout_ms, 20000);
	assert_string_equal(a->scheme, "https");
	assert_int_equal(a->body_size_limit, 10 << 20);
	assert_int_equal(a->nfiles, 1);
	assert_int_equal(a->files[0].refresh_ms, 30000);
	assert_int_equal(a->ndns, 2);
	assert_true(a->dns[0].srv);
	assert_false(a->dns[1].srv);
	assert_int_equal(a->dns[1].port, 6060);
	assert_int_equal(a->nrelabels, 2);
	assert_string_equal(a->path_prefix, "/internal");
	assert_int_equal(a->ntypes, 9);
	assert_false(a->types[4].enabled);
	assert_int_equal(a->types[0].seconds, 5);
	assert_string_equal(a->types[8].name, "fgprof");
	assert_string_equal(a->types[8].path, "/debug/fgprof");
	assert_int_equal(b->interval_ms, 5000);
	assert_int_equal(b->timeout_ms, 2000);
	hearth_scrape_config_free(&c);
}

typedef struct {
	const char *yaml;
	const char *want; /* a substring of the message, with the line */
} bad_case;

static void test_config_mistakes(void **state)
{
	(void)state;
	static const bad_case cases[] = {
	    /* YAML syntax */
	    {"scrape_configs:\n  - job_name: [a\n", "s.yaml:3: YAML"},
	    {"", "s.yaml:1: empty"},
	    {"a: 1\n---\nb: 2\n", "a second YAML document"},
	    /* unknown keys, at every level */
	    {"scrape_config:\n  - job_name: a\n",
	     "s.yaml:1: the file: unknown key \"scrape_config\""},
	    {"global:\n  scrape_intervall: 1s\nscrape_configs: []\n",
	     "s.yaml:2: global: unknown key"},
	    {"scrape_configs:\n  - job_name: a\n    targets: [x:1]\n",
	     "s.yaml:3: scrape_configs: unknown key \"targets\""},
	    {"scrape_configs:\n  - job_name: a\n    static_configs:\n      - targts: [x:1]\n",
	     "s.yaml:4: static_configs: unknown key"},
	    {"scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - actoin: keep\n",
	     "s.yaml:4: relabel_configs: unknown key"},
	    {"scrape_configs:\n  - job_name: a\n    profiling_config:\n      pprof_config:\n"
	     "        heap: {enable: false}\n",
	     "s.yaml:5: heap: unknown key \"enable\""},
	    {"scrape_configs:\n  - job_name: a\n    file_sd_configs:\n      - file: [x]\n",
	     "s.yaml:4: file_sd_configs: unknown key"},
	    {"scrape_configs:\n  - job_name: a\n    dns_sd_configs:\n      - name: [x]\n",
	     "s.yaml:4: dns_sd_configs: unknown key"},
	    /* missing things */
	    {"global: {}\n", "\"scrape_configs\" is missing"},
	    {"scrape_configs:\n  - scrape_interval: 1s\n",
	     "s.yaml:2: scrape_configs: \"job_name\" is missing"},
	    {"scrape_configs:\n  - job_name: a\n    static_configs:\n      - labels: {a: b}\n",
	     "s.yaml:4: static_configs: \"targets\" is missing"},
	    {"scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - regex: x\n",
	     "s.yaml:4: relabel_configs: action replace needs a \"target_label\""},
	    {"scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - action: keep\n",
	     "s.yaml:4: relabel_configs: action keep needs"},
	    {"scrape_configs:\n  - job_name: a\n    dns_sd_configs:\n      - names: [a.b]\n"
	     "        type: A\n",
	     "s.yaml:4: dns_sd_configs: type A needs a \"port\""},
	    {"scrape_configs:\n  - job_name: a\n    profiling_config:\n      pprof_config:\n"
	     "        custom: {enabled: true}\n",
	     "s.yaml:5: pprof_config: custom: a new profile type needs a \"path\""},
	    /* bad values */
	    {"scrape_configs:\n  - job_name: a\n    scrape_interval: 10x\n",
	     "s.yaml:3: scrape_interval: \"10x\" is not a duration"},
	    {"scrape_configs:\n  - job_name: a\n    scrape_interval: 0s\n",
	     "s.yaml:3: scrape_interval: must be more than zero"},
	    {"scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    scrape_timeout: 10s\n",
	     "s.yaml:4: scrape_timeout: 10000 ms is longer than scrape_interval"},
	    {"scrape_configs:\n  - job_name: a\n    scheme: ftp\n",
	     "s.yaml:3: scheme: \"ftp\" is not http or https"},
	    {"scrape_configs:\n  - job_name: a\n    body_size_limit: lots\n",
	     "s.yaml:3: body_size_limit: \"lots\" is not a size"},
	    {"scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: "
	     "['http://x:1']\n",
	     "s.yaml:4: targets: \"http://x:1\" is not host:port"},
	    {"scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: [x:1]\n"
	     "        labels: {9bad: x}\n",
	     "s.yaml:5: labels: \"9bad\" is not a label name"},
	    {"scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - action: explode\n",
	     "s.yaml:4: action: \"explode\" is not one of"},
	    {"scrape_configs:\n  - job_name: a\n    relabel_configs:\n      - source_labels: [a]\n"
	     "        action: keep\n        regex: '(unclosed'\n",
	     "s.yaml:6: regex: \"(unclosed\""},
	    {"scrape_configs:\n  - job_name: a\n    dns_sd_configs:\n      - names: [a.b]\n"
	     "        type: MX\n",
	     "s.yaml:5: type: \"MX\" is not SRV, A or AAAA"},
	    {"scrape_configs:\n  - job_name: a\n    dns_sd_configs:\n      - names: [a.b]\n"
	     "        type: A\n        port: 70000\n",
	     "s.yaml:6: port: \"70000\" is not a whole number"},
	    {"scrape_configs:\n  - job_name: a\n    profiling_config:\n      pprof_config:\n"
	     "        heap: {enabled: maybe}\n",
	     "s.yaml:5: enabled: \"maybe\" is not true or false"},
	    {"scrape_configs:\n  - job_name: a\n    profiling_config:\n      pprof_config:\n"
	     "        heap: {path: debug/heap}\n",
	     "s.yaml:5: path: \"debug/heap\" is not a URL path"},
	    {"scrape_configs:\n  - job_name: a\n    profiling_config:\n      pprof_config:\n"
	     "        Heap: {path: /x}\n",
	     "s.yaml:5: pprof_config: \"Heap\" is not a profile type name"},
	    {"scrape_configs:\n  - job_name: a\n    profiling_config:\n      pprof_config:\n"
	     "        cpu: {seconds: 0}\n",
	     "s.yaml:5: seconds: \"0\" is not a whole number"},
	    /* wrong shapes */
	    {"scrape_configs: {job_name: a}\n", "s.yaml:1: scrape_configs: expected a list"},
	    {"scrape_configs:\n  - job_name: a\n    static_configs: {targets: [x:1]}\n",
	     "s.yaml:3: static_configs: expected a list, found a mapping"},
	    {"scrape_configs:\n  - job_name: a\n    static_configs:\n      - targets: x:1\n",
	     "s.yaml:4: targets: expected a list, found a value"},
	    {"scrape_configs:\n  - job_name: [a]\n", "s.yaml:2: job_name: expected a value"},
	    /* twice */
	    {"scrape_configs:\n  - job_name: a\n    job_name: b\n",
	     "s.yaml:3: scrape_configs: \"job_name\" given twice (also on line 2)"},
	    {"scrape_configs:\n  - job_name: a\n  - job_name: a\n",
	     "s.yaml:3: job_name \"a\" is also the name of the job on line 2"},
	    {"global:\n  external_labels: {a: b}\nscrape_configs: []\n",
	     "s.yaml:2: external_labels: not supported"},
	};
	int bad = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		hearth_scrape_config c;
		hearth_errbuf eb = {{0}};
		hearth_err err = parse(cases[i].yaml, &c, &eb);
		if (!err) {
			print_error("case %zu accepted, want \"%s\"\n", i, cases[i].want);
			hearth_scrape_config_free(&c);
			bad++;
		} else if (!strstr(eb.msg, cases[i].want)) {
			print_error("case %zu: \"%s\", want \"%s\"\n", i, eb.msg, cases[i].want);
			bad++;
		}
	}
	assert_int_equal(bad, 0);
}

static void test_duration(void **state)
{
	(void)state;
	int64_t ms;
	assert_int_equal(hearth_duration_parse("1h30m", &ms), 0);
	assert_int_equal(ms, 5400000);
	assert_int_equal(hearth_duration_parse("500ms", &ms), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(hearth_duration_parse("1d2h", &ms), 0);
	assert_int_equal(ms, 93600000);
	assert_int_equal(hearth_duration_parse("0", &ms), 0);
	assert_int_not_equal(hearth_duration_parse("30m1h", &ms), 0); /* order */
	assert_int_not_equal(hearth_duration_parse("1s1s", &ms), 0);
	assert_int_not_equal(hearth_duration_parse("1.5s", &ms), 0);
	assert_int_not_equal(hearth_duration_parse("s", &ms), 0);
	assert_int_not_equal(hearth_duration_parse("99999999999999999999y", &ms), 0);
}

static void relabel_run(const char *rules, hearth_labelset *ls, bool *keep)
{
	char y[2048];
	snprintf(y, sizeof(y), "scrape_configs:\n  - job_name: a\n    relabel_configs:\n%s", rules);
	hearth_scrape_config c;
	hearth_errbuf eb = {{0}};
	if (parse(y, &c, &eb))
		fail_msg("%s", eb.msg);
	assert_int_equal(
	    hearth_relabel_apply(c.jobs[0].relabels, c.jobs[0].nrelabels, ls, keep, &eb),
	    HEARTH_OK);
	hearth_scrape_config_free(&c);
}

static void test_relabel(void **state)
{
	(void)state;
	hearth_labelset ls = {0};
	bool keep;
	hearth_labelset_set(&ls, "__address__", "db-1.prod:6060");
	hearth_labelset_set(&ls, "__meta_zone", "eu");
	hearth_labelset_set(&ls, "job", "api");
	relabel_run("      - source_labels: [__address__]\n"
		    "        regex: '([^.]+)\\.(\\w+):\\d+'\n"
		    "        target_label: host\n"
		    "        replacement: '${1}-$2'\n"
		    "      - action: labelmap\n"
		    "        regex: __meta_(.+)\n"
		    "        replacement: z_$1\n"
		    "      - source_labels: [job, z_zone]\n"
		    "        separator: '/'\n"
		    "        target_label: both\n",
		    &ls, &keep);
	assert_true(keep);
	assert_string_equal(hearth_labelset_get(&ls, "host"), "db-1-prod");
	assert_string_equal(hearth_labelset_get(&ls, "z_zone"), "eu");
	assert_string_equal(hearth_labelset_get(&ls, "both"), "api/eu");
	/* The regex is anchored: "prod" alone does not match "db-1.prod". */
	relabel_run("      - source_labels: [__address__]\n"
		    "        regex: prod\n"
		    "        action: drop\n",
		    &ls, &keep);
	assert_true(keep);
	relabel_run("      - source_labels: [__address__]\n"
		    "        regex: '.*prod.*'\n"
		    "        action: keep\n"
		    "      - regex: 'z_.*'\n"
		    "        action: labeldrop\n",
		    &ls, &keep);
	assert_true(keep);
	assert_null(hearth_labelset_get(&ls, "z_zone"));
	relabel_run("      - source_labels: [job]\n"
		    "        regex: api\n"
		    "        action: drop\n",
		    &ls, &keep);
	assert_false(keep);
	/* A replacement to "" removes the label, as in Prometheus. */
	relabel_run("      - source_labels: [job]\n"
		    "        target_label: both\n"
		    "        replacement: ''\n",
		    &ls, &keep);
	assert_null(hearth_labelset_get(&ls, "both"));
	hearth_labelset_free(&ls);
}

static void test_file_sd(void **state)
{
	(void)state;
	const char *j = "[{\"targets\": [\"a:1\", \"b:2\"], \"labels\": {\"env\": \"x\"}},\n"
			" {\"targets\": [\"c:3\"]}]";
	hearth_target_group *g;
	size_t n;
	hearth_errbuf eb = {{0}};
	assert_int_equal(hearth_file_sd_parse("t.json", j, strlen(j), &g, &n, &eb), 0);
	assert_int_equal(n, 2);
	assert_int_equal(g[0].ntargets, 2);
	assert_string_equal(g[0].targets[1], "b:2");
	assert_string_equal(hearth_labelset_get(&g[0].labels, "env"), "x");
	assert_int_equal(g[1].ntargets, 1);
	hearth_target_groups_free(g, n);
	const char *bad = "- targets: [a:1]\n  lables: {a: b}\n";
	assert_int_not_equal(hearth_file_sd_parse("t.yaml", bad, strlen(bad), &g, &n, &eb), 0);
	assert_non_null(strstr(eb.msg, "t.yaml:2: target group: unknown key \"lables\""));
}

/* A profile with sample types types[0..nt), and samples on stacks of
 * one function each (stack[i] its name), with values v[i*nt..]. */
static hearth_profile *mkprof(const char *const *types, int nt, const char *const *stack,
			      const int64_t *v, int ns, int64_t t)
{
	hearth_profile *p = hearth_profile_new();
	for (int k = 0; k < nt; k++)
		hearth_add_sample_type(p, types[k], strchr(types[k], 's') ? "bytes" : "count");
	for (int i = 0; i < ns; i++) {
		uint32_t name = hearth_intern_cstr(p, stack[i]);
		uint32_t fn = hearth_add_function(p, name, name, hearth_intern_cstr(p, "x.go"), 1);
		hearth_line ln = {fn, 10, 0};
		/* The same function always has the same address, as in one
		 * running program. */
		uint32_t loc = hearth_add_location(p, HEARTH_NONE, 0x1000 + (uint64_t)stack[i][0],
						   &ln, 1, false);
		uint32_t locs[2] = {loc, loc};
		hearth_add_sample(p, locs, 1 + (stack[i][1] == '2'), v + i * nt, NULL, 0);
	}
	p->time_nanos = t;
	return p;
}

/* Per-leaf totals of sample type k, into sums[26] by the leaf's first
 * letter. */
static void leaf_sums(const hearth_profile *p, int k, int64_t *sums)
{
	memset(sums, 0, 26 * sizeof(*sums));
	for (size_t i = 0; i < p->nsamples; i++) {
		const hearth_location *l = &p->locations[p->locs[p->samples[i].loc0]];
		const char *n = hearth_s(p, p->functions[p->lines[l->line0].function].name);
		sums[(n[0] - 'a') % 26] += hearth_sample_values(p, i)[k];
	}
}

static void test_delta(void **state)
{
	(void)state;
	const char *types[] = {"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"};
	const char *s1[] = {"a", "b", "c", "c2"};
	const char *s2[] = {"a", "b", "c", "c2", "d", "a"};
	int64_t v1[] = {1, 100, 1, 100, 5, 500, 0, 0, 2, 20, 2, 20, 3, 30, 3, 30};
	int64_t v2[] = {4, 400, 0, 0,  5, 500, 1, 50, 2, 20,  2, 20,
			7, 70,	1, 10, 1, 10,  1, 10, 1, 100, 0, 0};
	hearth_profile *p1 = mkprof(types, 4, s1, v1, 4, 1000);
	hearth_profile *p2 = mkprof(types, 4, s2, v2, 6, 5000);
	hearth_delta *d = hearth_delta_new();
	hearth_profile *out;
	hearth_delta_kind kind;
	hearth_errbuf eb = {{0}};
	assert_int_equal(hearth_delta_next(d, p1, &out, &kind, &eb), 0);
	assert_int_equal(kind, HEARTH_DELTA_BASE);
	assert_null(out);
	assert_int_equal(hearth_delta_next(d, p2, &out, &kind, &eb), 0);
	assert_int_equal(kind, HEARTH_DELTA_OK);
	assert_int_equal(out->duration_nanos, 4000);
	/* alloc_*: what hearth's -base gives on the same two profiles. */
	hearth_profile *ref = hearth_profile_clone(p2), *base = hearth_profile_clone(p1);
	assert_int_equal(hearth_apply_base(&ref, base, false, false, &eb), 0);
	for (int k = 0; k < 2; k++) {
		int64_t a[26], b[26];
		leaf_sums(out, k, a);
		leaf_sums(ref, k, b);
		assert_memory_equal(a, b, sizeof(a));
	}
	/* inuse_*: the scrape's own values. */
	for (int k = 2; k < 4; k++) {
		int64_t a[26], b[26];
		leaf_sums(out, k, a);
		leaf_sums(p2, k, b);
		assert_memory_equal(a, b, sizeof(a));
	}
	/* The "c" samples of both stacks differ, c2 not at all in alloc_* but
	 * in inuse_*; all-zero samples are left out: none here, and the
	 * duplicate "a" is summed into one. */
	assert_int_equal(out->nsamples, 5);
	hearth_profile_free(out);
	hearth_profile_free(ref);
	/* A counter that went down: a restart; p1's own values go out. */
	assert_int_equal(hearth_delta_next(d, p1, &out, &kind, &eb), 0);
	assert_int_equal(kind, HEARTH_DELTA_RESTART);
	int64_t a[26], b[26];
	leaf_sums(out, 1, a);
	leaf_sums(p1, 1, b);
	assert_memory_equal(a, b, sizeof(a));
	hearth_profile_free(out);
	/* The same profile again: alloc_* all zero; the samples left are
	 * those with inuse_* values (b has none: left out). */
	assert_int_equal(hearth_delta_next(d, p1, &out, &kind, &eb), 0);
	assert_int_equal(kind, HEARTH_DELTA_OK);
	assert_int_equal(out->nsamples, 3);
	int64_t zero[26] = {0};
	leaf_sums(out, 1, a);
	assert_memory_equal(a, zero, sizeof(a));
	hearth_profile_free(out);
	/* Another shape: a new base. */
	const char *t2[] = {"contentions", "delay"};
	int64_t v3[] = {1, 2};
	hearth_profile *p3 = mkprof(t2, 2, s1, v3, 1, 9);
	assert_int_equal(hearth_delta_next(d, p3, &out, &kind, &eb), 0);
	assert_int_equal(kind, HEARTH_DELTA_BASE);
	hearth_profile_free(p3);
	hearth_delta_free(d);
	hearth_profile_free(p1);
	hearth_profile_free(p2);
}

/* A real heap?debug=1 tail, from a Go 1.26 program. */
static const char memstats_text[] =
    "heap profile: 3: 3072 [13: 13312] @ heap/1048576\n"
    "1: 1024 [1: 1024] @ 0x1 0x2\n"
    "#\t0x1\tmain.f+0x1\t/x.go:1\n"
    "\n"
    "# runtime.MemStats\n"
    "# Alloc = 3563744\n"
    "# TotalAlloc = 15541848\n"
    "# Sys = 13522184\n"
    "# Lookups = 0\n"
    "# Mallocs = 46271\n"
    "# Frees = 38734\n"
    "# HeapAlloc = 3563744\n"
    "# HeapSys = 7733248\n"
    "# HeapIdle = 2514944\n"
    "# HeapInuse = 5218304\n"
    "# HeapReleased = 2129920\n"
    "# HeapObjects = 7537\n"
    "# Stack = 491520 / 491520\n"
    "# MSpan = 112960 / 130560\n"
    "# MCache = 9664 / 15704\n"
    "# BuckHashSys = 1446791\n"
    "# GCSys = 2708448\n"
    "# OtherSys = 995913\n"
    "# NextGC = 4194304\n"
    "# LastGC = 1764758400123456789\n"
    "# PauseNs = [31250 42000 18000 0 0]\n"
    "# PauseEnd = [1764758400000000000 1764758400100000000 1764758400123456789 0 0]\n"
    "# NumGC = 3\n"
    "# NumForcedGC = 1\n"
    "# GCCPUFraction = 0.0012345\n"
    "# DebugGC = false\n"
    "# MaxRSS = 19025920\n";

static void test_memstats(void **state)
{
	(void)state;
	hearth_memstats ms;
	hearth_errbuf eb = {{0}};
	assert_int_equal(hearth_memstats_parse(memstats_text, strlen(memstats_text), &ms, &eb), 0);
	assert_int_equal(ms.num_gc, 3);
	assert_int_equal(ms.heap_alloc, 3563744);
	assert_int_equal(ms.heap_inuse, 5218304);
	assert_int_equal(ms.next_gc, 4194304);
	assert_int_equal(ms.stack_inuse, 491520);
	assert_int_equal(ms.mspan_sys, 130560);
	assert_int_equal(ms.npause_ns, 5);
	assert_true(ms.gc_cpu_fraction > 0.0012344 && ms.gc_cpu_fraction < 0.0012346);
	assert_true(ms.has_max_rss);
	assert_int_equal(ms.max_rss, 19025920);
	/* Three pauses (NumGC), the zeros after them are not pauses. */
	assert_int_equal(hearth_memstats_pause_quantile(&ms, 0.5), 31250);
	assert_int_equal(hearth_memstats_pause_quantile(&ms, 1), 42000);
	assert_int_equal(hearth_memstats_pause_quantile(&ms, 0), 18000);
	/* Go prints no PauseTotalNs: the sum of the three pauses. */
	uint64_t total;
	assert_true(hearth_memstats_pause_total(&ms, &total));
	assert_int_equal(total, 31250 + 42000 + 18000);
	/* No block; a bad value names its line. */
	assert_int_equal(hearth_memstats_parse("heap profile\n", 13, &ms, &eb), HEARTH_EFORMAT);
	char *t = strdup(memstats_text);
	char *p = strstr(t, "NextGC = 4");
	p[9] = 'x';
	assert_int_equal(hearth_memstats_parse(t, strlen(t), &ms, &eb), HEARTH_ECORRUPT);
	assert_non_null(strstr(eb.msg, "line 24: NextGC"));
	free(t);
}

static void spool_case(const char *dir)
{
	hearth_spool *sp;
	hearth_errbuf eb = {{0}};
	/* Room for about three items of 1000 bytes. */
	assert_int_equal(hearth_spool_open(dir, 3500, &sp, &eb), 0);
	uint8_t body[1000];
	for (int i = 0; i < 5; i++) {
		char id[16];
		snprintf(id, sizeof(id), "id%d", i);
		memset(body, 'a' + i, sizeof(body));
		assert_int_equal(
		    hearth_spool_put(sp, "svc", "heap", "a=b", id, i, body, sizeof(body), &eb), 0);
	}
	hearth_spool_stats st;
	hearth_spool_stats_get(sp, &st);
	assert_int_equal(st.items, 3);
	assert_int_equal(st.evicted_items, 2);
	assert_int_equal(st.put_items, 5);
	if (dir) {
		/* Another run picks the spool up. */
		hearth_spool_close(sp);
		assert_int_equal(hearth_spool_open(dir, 3500, &sp, &eb), 0);
	}
	for (int i = 2; i < 5; i++) {
		hearth_spool_item it;
		bool found;
		assert_int_equal(hearth_spool_peek(sp, &it, &found, &eb), 0);
		assert_true(found);
		char id[16];
		snprintf(id, sizeof(id), "id%d", i);
		assert_string_equal(it.id, id);
		assert_string_equal(it.labels, "a=b");
		assert_int_equal(it.time_nanos, i);
		assert_int_equal(it.n, 1000);
		assert_int_equal(it.body[999], 'a' + i);
		/* Popping another seq does nothing. */
		hearth_spool_pop(sp, it.seq + 100);
		hearth_spool_pop(sp, it.seq);
		hearth_spool_item_free(&it);
	}
	bool found;
	hearth_spool_item it;
	assert_int_equal(hearth_spool_peek(sp, &it, &found, &eb), 0);
	assert_false(found);
	/* Larger than the whole spool: refused. */
	uint8_t big[4000] = {0};
	assert_int_equal(hearth_spool_put(sp, "s", "t", "", "x", 0, big, sizeof(big), &eb),
			 HEARTH_ETOOBIG);
	hearth_spool_close(sp);
}

static void test_spool(void **state)
{
	(void)state;
	spool_case(NULL);
	char dir[] = "/tmp/hearth-spool-XXXXXX";
	assert_non_null(mkdtemp(dir));
	spool_case(dir);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config_defaults), cmocka_unit_test(test_config_full),
	    cmocka_unit_test(test_config_mistakes), cmocka_unit_test(test_duration),
	    cmocka_unit_test(test_relabel),	    cmocka_unit_test(test_file_sd),
	    cmocka_unit_test(test_delta),	    cmocka_unit_test(test_memstats),
	    cmocka_unit_test(test_spool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
