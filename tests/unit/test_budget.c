/* Bounded regexps and request budgets (lib/regex.c, lib/budget.c):
 *  - a pattern that backtracks without bound fails at its first name with
 *    HEARTH_ECOST and a message naming the option, in milliseconds, and
 *    matches nothing from then on; ordinary patterns are unaffected, names
 *    of a megabyte included;
 *  - a regexp matched against more than HEARTH_REGEX_MAX_CALLS names fails;
 *  - a spent budget (deadline past, client gone) stops matching with
 *    HEARTH_EBUDGET and says why; without a budget nothing changes;
 *  - a report whose focus is such a pattern fails instead of running;
 *  - every long step of a call graph (the graph passes, the tags, the call
 *    tree, the redundant edges' walk, the whole DOT) stops on a spent
 *    budget with HEARTH_EBUDGET, and gives the same graph without one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "engine.h"
#include "hearth/budget.h"
#include "hearth/io.h"
#include "hearth/regex.h"
#include "hearth/report.h"

#define EVIL "(\\S*\\S*\\S*\\S*\\S*\\S*)*^"

static void test_costly(void **state)
{
	(void)state;
	hearth_regex *re = NULL;
	hearth_errbuf eb = {{0}};
	assert_int_equal(hearth_regex_compile("focus", EVIL, &re, &eb), HEARTH_OK);
	const char *name = "github.com/example/project/internal/pkg.(*Type).Method";
	int64_t t = hearth_budget_now();
	assert_false(hearth_regex_match(re, name, strlen(name)));
	assert_true(hearth_budget_now() - t < (int64_t)2000000000);
	assert_int_equal(hearth_regex_status(re, &eb), HEARTH_ECOST);
	assert_non_null(strstr(eb.msg, "focus"));
	/* Failed: matches nothing, at once. */
	assert_false(hearth_regex_match(re, "x", 1));
	hearth_regex_free(re);

	/* Ordinary patterns, a megabyte name included. */
	size_t n = (size_t)1 << 20;
	char *big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'a', n);
	memcpy(big + n - 4, "main", 4);
	big[n] = 0;
	const char *ok[] = {"main$", "^a+main$", "(?i)MAIN", "a.*m", "\\(\\*T\\)|main"};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(hearth_regex_compile("focus", ok[i], &re, &eb), HEARTH_OK);
		assert_true(hearth_regex_match(re, big, n));
		assert_int_equal(hearth_regex_status(re, &eb), HEARTH_OK);
		hearth_regex_free(re);
	}
	free(big);
}

static void test_calls(void **state)
{
	(void)state;
	hearth_regex *re = NULL;
	hearth_errbuf eb = {{0}};
	assert_int_equal(hearth_regex_compile("hide", "^z", &re, &eb), HEARTH_OK);
	for (long i = 0; i < HEARTH_REGEX_MAX_CALLS; i++)
		hearth_regex_match(re, "a", 1);
	assert_int_equal(hearth_regex_status(re, &eb), HEARTH_OK);
	hearth_regex_match(re, "a", 1);
	assert_int_equal(hearth_regex_status(re, &eb), HEARTH_ECOST);
	assert_non_null(strstr(eb.msg, "hide"));
	hearth_regex_free(re);
}

static bool gone_after(void *ctx)
{
	int *calls = ctx;
	return ++*calls > 1;
}

static void test_budget(void **state)
{
	(void)state;
	hearth_regex *re = NULL;
	hearth_errbuf eb = {{0}};
	assert_int_equal(hearth_regex_compile("q", "x", &re, &eb), HEARTH_OK);
	/* A deadline in the past. */
	hearth_budget b = {.deadline_ns = hearth_budget_now() - 1};
	hearth_budget_enter(&b);
	for (int i = 0; i < 64; i++)
		hearth_regex_match(re, "x", 1);
	assert_int_equal(hearth_regex_status(re, &eb), HEARTH_EBUDGET);
	assert_non_null(strstr(eb.msg, "time budget"));
	hearth_budget_leave();
	hearth_regex_free(re);

	/* A client that goes away on the second question. */
	int calls = 0;
	hearth_budget g = {.gone = gone_after, .ctx = &calls};
	hearth_budget_enter(&g);
	assert_int_equal(hearth_budget_check(&eb), HEARTH_OK);
	/* The client is asked every 20 ms at most. */
	int64_t until = hearth_budget_now() + 50000000;
	while (hearth_budget_now() < until && !hearth_budget_poll())
		;
	assert_int_equal(hearth_budget_check(&eb), HEARTH_EBUDGET);
	assert_non_null(strstr(eb.msg, "went away"));
	hearth_budget_leave();

	/* Without a budget: nothing is ever spent. */
	assert_int_equal(hearth_budget_check(&eb), HEARTH_OK);
}

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

static void test_report(void **state)
{
	(void)state;
	hearth_profile *p = load("leaky.cpu.pb.gz");
	hearth_errbuf eb = {{0}};
	hearth_opts o;
	hearth_opts_init(&o);
	o.ignore = EVIL;
	hearth_report *r = NULL;
	assert_int_equal(hearth_report_new(p, &o, HEARTH_CMD_TOP, &r, &eb), HEARTH_ECOST);
	assert_non_null(strstr(eb.msg, "ignore"));
	assert_null(r);
}

static void spend(hearth_budget *b)
{
	*b = (hearth_budget){.deadline_ns = hearth_budget_now() - 1};
	hearth_budget_enter(b);
}

static void test_graph(void **state)
{
	(void)state;
	/* the heap profile: "bytes" labels, so tags to collect */
	hearth_profile *p = load("leaky.heap.pb.gz");
	hearth_nodeset ns;
	assert_int_equal(hearth_nodeset_build(p, false, &ns), HEARTH_OK);
	hearth_valuesel vs = {.vi = 1, .mean_i = -1};
	uint32_t *units = hearth_num_label_units(p);
	assert_non_null(units);
	hearth_tagfmt tf = {units, "minimum"};
	hearth_budget b;
	hearth_graph g;
	hearth_tags t;
	hearth_tree tr;

	spend(&b);
	assert_int_equal(hearth_graph_build(p, &ns, &vs, NULL, true, &g), HEARTH_EBUDGET);
	assert_int_equal(hearth_tags_collect(p, &ns, &vs, NULL, &tf, 0, &t), HEARTH_EBUDGET);
	assert_int_equal(hearth_tree_build(p, &ns, &vs, &tf, &tr, &g, &t), HEARTH_EBUDGET);
	hearth_budget_leave();

	/* Without a budget: the graph, its tags, and the walk over its edges. */
	assert_int_equal(hearth_graph_build(p, &ns, &vs, NULL, true, &g), HEARTH_OK);
	assert_true(g.nnodes > 0 && g.nedges > 0);
	assert_int_equal(hearth_tags_collect(p, &ns, &vs, NULL, &tf, 0, &t), HEARTH_OK);
	assert_true(t.ntags > 0);
	hearth_tags_free(&t);
	hearth_names *nc = hearth_names_new(p, ns.infos, ns.ninfos);
	assert_non_null(nc);
	spend(&b);
	assert_int_equal(hearth_graph_remove_redundant(nc, ns.ninfos, &g), HEARTH_EBUDGET);
	hearth_budget_leave();
	assert_int_equal(hearth_graph_remove_redundant(nc, ns.ninfos, &g), HEARTH_OK);
	hearth_names_free(nc);
	hearth_graph_free(&g);
	hearth_nodeset_free(&ns);
	free(units);

	/* The whole DOT, and the call tree's. */
	for (int tree = 0; tree < 2; tree++) {
		hearth_opts o;
		hearth_opts_init(&o);
		o.call_tree = tree;
		hearth_report *r = NULL;
		hearth_errbuf eb = {{0}};
		hearth_buf out = {0};
		hearth_profile *c = hearth_profile_clone(p);
		assert_non_null(c);
		assert_int_equal(hearth_report_new(c, &o, HEARTH_CMD_DOT, &r, &eb), HEARTH_OK);
		spend(&b);
		assert_int_equal(hearth_report_dot(r, &out, &eb), HEARTH_EBUDGET);
		hearth_budget_leave();
		hearth_report_free(r);
		hearth_buf_free(&out);
		/* A budget that is not spent changes nothing: the same DOT as
		 * without one, byte for byte. */
		hearth_buf with = {0};
		for (int budgeted = 0; budgeted < 2; budgeted++) {
			c = hearth_profile_clone(p);
			assert_non_null(c);
			assert_int_equal(hearth_report_new(c, &o, HEARTH_CMD_DOT, &r, &eb), HEARTH_OK);
			if (budgeted) {
				b = (hearth_budget){.deadline_ns = hearth_budget_now() + 600000000000LL};
				hearth_budget_enter(&b);
			}
			assert_int_equal(hearth_report_dot(r, budgeted ? &with : &out, &eb), HEARTH_OK);
			if (budgeted)
				hearth_budget_leave();
			hearth_report_free(r);
		}
		assert_non_null(strstr(out.data, "digraph"));
		assert_int_equal(with.len, out.len);
		assert_memory_equal(with.data, out.data, out.len);
		hearth_buf_free(&with);
		hearth_buf_free(&out);
	}
	hearth_profile_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_costly),
	    cmocka_unit_test(test_calls),
	    cmocka_unit_test(test_budget),
	    cmocka_unit_test(test_report),
	    cmocka_unit_test(test_graph),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
