/* libFuzzer target: the web API's query strings (lib/query.c), parsed,
 * turned into report options through the API's whitelist, and keyed for
 * the cache, as `hearth web` does with every request target.
 *
 * An input refused must come with a one-line message; one accepted must give
 * parameters whose names are non-empty C strings and a key.  The options are
 * then checked the way hearth_report_new would read them (a regexp compiled
 * later is not this target's business).
 *
 * Build and run: make fuzz; tests/fuzz/run.sh short|long. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/query.h"

static const char *const own[] = {"q", "f", "resolution", NULL};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hearth_query q;
	hearth_errbuf eb = {{0}};
	hearth_err err = hearth_query_parse((const char *)data, size, &q, &eb);
	if (err) {
		size_t n = strnlen(eb.msg, sizeof(eb.msg));
		if (err != HEARTH_ENOMEM &&
		    (n == 0 || n == sizeof(eb.msg) || memchr(eb.msg, '\n', n))) {
			fprintf(stderr, "hearth_query_parse: error %d without a one-line message\n",
				(int)err);
			abort();
		}
		return 0;
	}
	for (size_t i = 0; i < q.n; i++) {
		if (!q.p[i].name || !q.p[i].name[0])
			abort();
		(void)strlen(q.p[i].name);
		if (q.p[i].value)
			(void)strlen(q.p[i].value);
	}
	hearth_opts o;
	hearth_opts_init(&o);
	memset(&eb, 0, sizeof(eb));
	err = hearth_query_opts(&q, own, &o, &eb);
	if (err) {
		size_t n = strnlen(eb.msg, sizeof(eb.msg));
		if (n == 0 || n == sizeof(eb.msg) || memchr(eb.msg, '\n', n))
			abort();
	} else {
		/* Nothing that reads files may have been set. */
		if (o.nbase || o.ndiff_base || o.source_path || o.trim_path || o.output ||
		    o.symbolize || o.max_size || o.seconds || o.timeout)
			abort();
		if (o.focus)
			(void)strlen(o.focus);
		if (o.sample_index)
			(void)strlen(o.sample_index);
	}
	hearth_buf key = {0};
	hearth_query_key(&q, own, &key);
	if (key.len && strlen(key.data) > key.len)
		abort();
	hearth_buf_free(&key);
	hearth_query_free(&q);
	return 0;
}
