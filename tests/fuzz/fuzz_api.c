/* libFuzzer target: the web API's handlers (server/api.c, compiled in here)
 * on a real profile, with hostile query strings: every report option the
 * API takes (regexps, tag filters, ranges, numbers), the endpoints' own
 * parameters, and the cache.
 *
 * The first byte picks the endpoint, the rest is the query string.  Every
 * answer must be a status the API documents, JSON where it says JSON (an
 * error with a one-line "error"), and nothing may crash or leak.  The call
 * graph (Graphviz, slow) is left out; tests/cli/web.sh covers it.
 *
 * Build and run: make fuzz; tests/fuzz/run.sh short|long (from the
 * repository root: the profile is tests/data/leaky.cpu.pb.gz). */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../server/api.c"

/* The call graph's layout runs in a child process of the hearth binary,
 * which a fuzzer is not; the graph is left out here (see above), so a
 * request that still reaches a layout gets an error. */
hearth_err hearth_layout(const char *dot, size_t n, const char *format, hearth_buf *out,
			 hearth_errbuf *eb)
{
	(void)dot, (void)n, (void)format, (void)out;
	return hearth_seterr(eb, HEARTH_EINVAL, "layout: not in the fuzzer");
}

static hearth_api *api;

static void setup(void)
{
	static const char *const srcs[] = {"tests/data/leaky.cpu.pb.gz"};
	hearth_profile *p = NULL;
	hearth_errbuf eb = {{0}};
	if (hearth_read_file(srcs[0], NULL, &p, &eb)) {
		fprintf(stderr, "fuzz_api: %s (run from the repository root)\n", eb.msg);
		abort();
	}
	hearth_api_config cfg = {.sources = srcs, .nsources = 1, .cache_bytes = 1 << 20};
	hearth_opts_init(&cfg.defaults);
	cfg.defaults.sums_only = true;
	if (!(api = hearth_api_new(p, NULL, &cfg)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Not graph nor disasm: a call graph, a program's disassembly per input
	 * would make the fuzzer crawl. */
	static const char *const eps[] = {"flame",    "top",	 "search", "source", "peek",
					  "download", "profile", "tags",   "nosuch"};
	if (!api)
		setup();
	if (size < 1 || size > 4096)
		return 0;
	const char *ep = eps[data[0] % (sizeof(eps) / sizeof(eps[0]))];
	/* No svg download: that is the call graph again. */
	if (!strcmp(ep, "download") && memmem(data + 1, size - 1, "svg", 3))
		return 0;
	hearth_api_resp resp;
	hearth_api_handle(api, ep, (const char *)data + 1, size - 1, &resp);
	int st = resp.status;
	if (st != 200 && st != 400 && st != 404 && st != 413 && st != 500) {
		fprintf(stderr, "fuzz_api: status %d\n", st);
		abort();
	}
	if (st == 500 && !strstr(resp.body.data ? resp.body.data : "", "out of memory")) {
		fprintf(stderr, "fuzz_api: 500: %s\n", resp.body.data);
		abort();
	}
	bool is_json = resp.type && !strncmp(resp.type, "application/json", 16);
	if (is_json) {
		json_error_t je;
		json_t *j = json_loadb(resp.body.data, resp.body.len, 0, &je);
		if (!j) {
			fprintf(stderr, "fuzz_api: %s: not JSON: %s\n", ep, je.text);
			abort();
		}
		if (st != 200) {
			const char *m = json_string_value(json_object_get(j, "error"));
			if (!m || !*m || strchr(m, '\n')) {
				fprintf(stderr, "fuzz_api: error without a one-line message\n");
				abort();
			}
		}
		json_decref(j);
	} else if (st != 200) {
		abort();
	}
	hearth_api_resp_free(&resp);
	return 0;
}
