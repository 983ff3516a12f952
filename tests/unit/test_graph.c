/* Call graphs rendered in-process (lib/report/render.c): every format comes
 * out whole, hostile labels still give well-formed SVG and nothing on
 * stderr, errors are one line in the error buffer.
 *
 * The binary also writes the profiles tests/cli/graph.sh draws, built with
 * the profile builder so no Go program is needed:
 *   test_graph write DIR   writes DIR/names.pb.gz (function names with quotes,
 *                          angle brackets, an ampersand and bytes that are not
 *                          UTF-8) and DIR/wide.pb.gz (100,001 functions). */
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hearth/io.h"
#include "hearth/profile.h"
#include "hearth/render.h"

/* A graph in the shape of pprof's: a legend in a cluster, boxes, an edge. */
static const char small_dot[] =
	"digraph \"unit\" {\n"
	"node [style=filled fillcolor=\"#f8f8f8\"]\n"
	"subgraph cluster_L { \"File: unit\" [shape=box fontsize=16 "
	"label=\"File: unit\\lType: cpu\\l\" tooltip=\"unit\"] }\n"
	"N1 [label=\"main\\nmain\\n0 of 1s (100%)\" id=\"node1\" fontsize=8 shape=box "
	"tooltip=\"main.main (1s)\" color=\"#b20000\" fillcolor=\"#edd5d5\"]\n"
	"N2 [label=\"main\\nworker\\n1s (100%)\" id=\"node2\" fontsize=24 shape=box "
	"tooltip=\"main.worker (1s)\" color=\"#b20000\" fillcolor=\"#edd5d5\"]\n"
	"N1 -> N2 [label=\" 1s\" weight=100 penwidth=5 color=\"#b20000\" "
	"tooltip=\"main.main -> main.worker (1s)\" labeltooltip=\"main.main -> "
	"main.worker (1s)\"]\n"
	"}\n";

/* Labels that broke dot's SVG or made Pango and cairo print: quotes and
 * angle brackets, '&' that starts no entity, references to characters XML
 * forbids, bytes that are not UTF-8, a NUL. */
static const char hostile_dot[] =
	"digraph \"x\" {\n"
	"N1 [label=\"main\\n(*T[\\\"q\\\"]).<lambda>\\n&x; & &#1; &#xD800; &#65534; "
	"\xff\xfe \xc3\x28 \xef\xbf\xbe\x01 end\" tooltip=\"a&b; \\\"<q>\\\" \xc3\"]\n"
	"N2 [label=\"pkg\\nF<T>\\n\x00nul\"]\n"
	"N1 -> N2 [label=\" 1s\" tooltip=\"&#0; &foo;\"]\n"
	"}\n";

static hearth_err render(const char *dot, size_t n, const char *format, hearth_buf *out,
			 hearth_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	memset(eb, 0, sizeof(*eb));
	return hearth_render_dot(dot, n, format, out, eb);
}

static bool contains(const hearth_buf *b, const char *s)
{
	return b->len && memmem(b->data, b->len, s, strlen(s)) != NULL;
}

/* Well-formed UTF-8 without characters XML forbids, every '&' starting
 * one of the references XML knows: what an XML parser needs of the bytes. */
static bool xml_clean(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		if (c == '&') {
			const char *refs[] = {"&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#"};
			bool ok = false;
			for (size_t k = 0; k < 6 && !ok; k++)
				ok = !strncmp((const char *)s + i, refs[k], strlen(refs[k]));
			if (!ok)
				return false;
			i++;
			continue;
		}
		if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 ? 2 : 0;
		if (!len || c > 0xF4 || i + len > n)
			return false;
		for (size_t k = 1; k < len; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
		if (len == 3 && c == 0xED && s[i + 1] >= 0xA0)
			return false; /* a surrogate */
		if (len == 3 && c == 0xEF && s[i + 1] == 0xBF && s[i + 2] >= 0xBE)
			return false; /* U+FFFE, U+FFFF */
		i += len;
	}
	return true;
}

static void test_svg(void **state)
{
	hearth_buf out;
	hearth_errbuf eb;
	assert_int_equal(render(small_dot, strlen(small_dot), "svg", &out, &eb), HEARTH_OK);
	assert_true(out.len > 1000);
	assert_memory_equal(out.data, "<?xml", 5);
	assert_true(contains(&out, "<svg width=\"100%\" height=\"100%\""));
	assert_false(contains(&out, "viewBox="));
	assert_true(contains(&out, "<script type=\"text/ecmascript\"><![CDATA["));
	assert_true(contains(&out, "<g id=\"viewport\""));
	assert_true(contains(&out, ">worker</text>"));
	assert_true(contains(&out, "File: unit"));
	assert_true(xml_clean((const unsigned char *)out.data, out.len));
	const char *end = "</g>\n</svg>\n";
	assert_true(out.len > strlen(end));
	assert_string_equal(out.data + out.len - strlen(end), end);
	hearth_buf_free(&out);
}

static void test_pdf_png(void **state)
{
	hearth_buf out;
	hearth_errbuf eb;
	assert_int_equal(render(small_dot, strlen(small_dot), "pdf", &out, &eb), HEARTH_OK);
	assert_true(out.len > 1000);
	assert_memory_equal(out.data, "%PDF-", 5);
	assert_non_null(memmem(out.data + out.len - 16, 16, "%%EOF", 5));
	hearth_buf_free(&out);

	assert_int_equal(render(small_dot, strlen(small_dot), "png", &out, &eb), HEARTH_OK);
	assert_true(out.len > 33);
	assert_memory_equal(out.data, "\x89PNG\r\n\x1a\n", 8);
	assert_memory_equal(out.data + 12, "IHDR", 4);
	const unsigned char *d = (const unsigned char *)out.data;
	uint32_t w = (uint32_t)d[16] << 24 | d[17] << 16 | d[18] << 8 | d[19];
	uint32_t h = (uint32_t)d[20] << 24 | d[21] << 16 | d[22] << 8 | d[23];
	assert_in_range(w, 50, 5000);
	assert_in_range(h, 50, 5000);
	hearth_buf_free(&out);
}

/* Runs fn with stderr sent to a temporary file; returns what it printed. */
static size_t stderr_bytes_during(void (*fn)(void))
{
	fflush(stderr);
	int saved = dup(2);
	FILE *tmp = tmpfile();
	assert_non_null(tmp);
	dup2(fileno(tmp), 2);
	fn();
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	fseek(tmp, 0, SEEK_END);
	long n = ftell(tmp);
	fclose(tmp);
	return (size_t)n;
}

static void render_hostile_all(void)
{
	static const char *formats[] = {"svg", "pdf", "png"};
	for (size_t i = 0; i < 3; i++) {
		hearth_buf out;
		hearth_errbuf eb;
		assert_int_equal(render(hostile_dot, sizeof(hostile_dot) - 1, formats[i], &out, &eb),
				 HEARTH_OK);
		assert_true(out.len > 100);
		if (i == 0) {
			assert_true(xml_clean((const unsigned char *)out.data, out.len));
			assert_true(contains(&out, "(*T[&quot;q&quot;]).&lt;lambda&gt;"));
			assert_true(contains(&out, "F&lt;T&gt;"));
			assert_true(contains(&out, "\xef\xbf\xbd")); /* U+FFFD */
			assert_true(contains(&out, "&amp;x;"));
		}
		hearth_buf_free(&out);
	}
}

static void test_hostile_labels(void **state)
{
	assert_int_equal(stderr_bytes_during(render_hostile_all), 0);
}

static void render_errors(void)
{
	hearth_buf out;
	hearth_errbuf eb;
	const char *bad = "digraph { a -> ; }";
	assert_int_equal(render(bad, strlen(bad), "svg", &out, &eb), HEARTH_EFORMAT);
	assert_non_null(strstr(eb.msg, "syntax error"));
	assert_null(strchr(eb.msg, '\n'));
	assert_int_equal(out.len, 0);
	assert_int_equal(render("", 0, "svg", &out, &eb), HEARTH_EFORMAT);
	assert_int_equal(render(small_dot, strlen(small_dot), "gif", &out, &eb), HEARTH_EINVAL);
	assert_non_null(strstr(eb.msg, "gif"));
	assert_int_equal(render(small_dot, strlen(small_dot), NULL, &out, &eb), HEARTH_EINVAL);
	hearth_buf_free(&out);
}

static void test_errors(void **state)
{
	assert_int_equal(stderr_bytes_during(render_errors), 0);
}

/* More nodes than the cap are refused before the layout, which would take
 * hours: the refusal is immediate. */
static void test_too_many_nodes(void **state)
{
	hearth_buf dot = {0}, out;
	hearth_errbuf eb;
	hearth_buf_puts(&dot, "digraph {\n");
	for (int i = 0; i <= HEARTH_RENDER_MAX_NODES; i++)
		hearth_buf_printf(&dot, "N%d -> N%d\n", i, i + 1);
	hearth_buf_puts(&dot, "}\n");
	assert_false(dot.oom);
	assert_int_equal(render(dot.data, dot.len, "svg", &out, &eb), HEARTH_ETOOBIG);
	assert_non_null(strstr(eb.msg, "-nodecount"));
	hearth_buf_free(&dot);
	hearth_buf_free(&out);
}

/* The context is kept between calls: the same input draws the same bytes,
 * whatever was drawn before. */
static void test_repeat(void **state)
{
	hearth_buf a, b, c;
	hearth_errbuf eb;
	assert_int_equal(render(small_dot, strlen(small_dot), "svg", &a, &eb), HEARTH_OK);
	assert_int_equal(render(small_dot, strlen(small_dot), "png", &b, &eb), HEARTH_OK);
	assert_int_equal(render(small_dot, strlen(small_dot), "svg", &c, &eb), HEARTH_OK);
	assert_int_equal(a.len, c.len);
	assert_memory_equal(a.data, c.data, a.len);
	hearth_buf_free(&a);
	hearth_buf_free(&b);
	hearth_buf_free(&c);
}

static void *render_thread(void *arg)
{
	hearth_buf out;
	hearth_errbuf eb;
	for (int i = 0; i < 3; i++) {
		if (render(small_dot, strlen(small_dot), (const char *)arg, &out, &eb) != HEARTH_OK)
			return (void *)1;
		hearth_buf_free(&out);
	}
	return NULL;
}

/* Graphviz has global state; calls from several threads are serialized. */
static void test_threads(void **state)
{
	pthread_t t[3];
	const char *formats[] = {"svg", "pdf", "png"};
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, render_thread, (void *)formats[i]), 0);
	for (int i = 0; i < 3; i++) {
		void *rc;
		assert_int_equal(pthread_join(t[i], &rc), 0);
		assert_null(rc);
	}
}

/* ---- profiles for tests/cli/graph.sh ---- */

static uint32_t add_func(hearth_profile *p, const char *name)
{
	uint32_t n = hearth_intern(p, name, strlen(name));
	uint32_t f = hearth_add_function(p, n, n, hearth_intern_cstr(p, "main.go"), 1);
	hearth_line line = {.function = f, .line = 10};
	return hearth_add_location(p, HEARTH_NONE, 0x1000 + f * 16, &line, 1, false);
}

static hearth_profile *cpu_profile(void)
{
	hearth_profile *p = hearth_profile_new();
	if (!p)
		return NULL;
	hearth_add_sample_type(p, "samples", "count");
	hearth_add_sample_type(p, "cpu", "nanoseconds");
	p->period_type.type = hearth_intern_cstr(p, "cpu");
	p->period_type.unit = hearth_intern_cstr(p, "nanoseconds");
	p->period = 10000000;
	p->duration_nanos = 10000000000;
	return p;
}

static int write_profile(hearth_profile *p, const char *dir, const char *name)
{
	char path[4096];
	hearth_errbuf eb = {{0}};
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	hearth_err e = hearth_write_file(p, path, &eb);
	hearth_profile_free(p);
	if (e) {
		fprintf(stderr, "test_graph: %s\n", eb.msg);
		return 1;
	}
	return 0;
}

/* main.main calls three functions whose names need escaping everywhere: in
 * DOT, in XML and in Pango's markup. */
static int write_names(const char *dir)
{
	hearth_profile *p = cpu_profile();
	if (!p)
		return 1;
	uint32_t root = add_func(p, "main.main");
	const char *names[] = {
		"main.(*Table[\"quoted\"]).<lambda>",
		"main.Map<string,chan<- int>>.Get",
		"main.bad\xff\xfe" "bytes\xc3(name",
		"main.amp&lt;&x;",
	};
	for (size_t i = 0; i < 4; i++) {
		uint32_t locs[2] = {add_func(p, names[i]), root};
		int64_t v[2] = {(int64_t)(10 + 5 * i), (int64_t)(10 + 5 * i) * 10000000};
		if (hearth_add_sample(p, locs, 2, v, NULL, 0) != HEARTH_OK)
			return 1;
	}
	return write_profile(p, dir, "names.pb.gz");
}

/* 100,000 leaves under main.main, each with its own weight: a graph that
 * only stays quick to draw because nodecount trims it to 80 nodes. */
static int write_wide(const char *dir)
{
	enum { N = 100000 };
	hearth_profile *p = cpu_profile();
	if (!p)
		return 1;
	uint32_t root = add_func(p, "main.main");
	for (int i = 0; i < N; i++) {
		char name[64];
		snprintf(name, sizeof(name), "pkg%d.Func%d", i % 97, i);
		uint32_t locs[2] = {add_func(p, name), root};
		int64_t v[2] = {1 + i % 1000, (int64_t)(1 + i % 1000) * 10000000};
		if (hearth_add_sample(p, locs, 2, v, NULL, 0) != HEARTH_OK)
			return 1;
	}
	return write_profile(p, dir, "wide.pb.gz");
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "write"))
		return write_names(argv[2]) || write_wide(argv[2]);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_svg),	   cmocka_unit_test(test_pdf_png),
		cmocka_unit_test(test_hostile_labels), cmocka_unit_test(test_errors),
		cmocka_unit_test(test_too_many_nodes), cmocka_unit_test(test_repeat),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
