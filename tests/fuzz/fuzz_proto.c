/* libFuzzer target: the profile reader (gzip, profile.proto and the legacy
 * formats it falls back to) and what runs on a profile it accepts.
 *
 * For an input hearth_parse accepts, the target checks that hearth reads
 * back what it writes (hearth_proto_encode then hearth_proto_decode), then
 * runs a top or traces report with options picked from the input's size, so
 * one corpus explores the filters and granularities too.  An input it
 * refuses must come with a one-line message, as the CLI prints it.
 *
 * Build and run: make fuzz; tests/fuzz/run.sh short|long. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/io.h"
#include "hearth/options.h"
#include "hearth/report.h"

/* Option sets the report runs with: {name, value} pairs, NULL-terminated. */
static const char *const variants[][6] = {
	{NULL},
	{"cum", NULL, NULL},
	{"lines", NULL, NULL},
	{"addresses", NULL, NULL},
	{"files", NULL, NULL},
	{"filefunctions", NULL, "noinlines", NULL, NULL},
	{"sample_index", "1", "mean", NULL, NULL},
	{"nodecount", "3", "nodefraction", "0", NULL},
	{"focus", "main", "ignore", "runtime", NULL},
	{"hide", "^runtime", "show_from", "main", NULL},
	{"tagfocus", "handler=short", NULL},
	{"prune_from", "a", "drop_negative", "true", NULL},
};
#define NVARIANTS (sizeof(variants) / sizeof(variants[0]))

static void check_message(hearth_err err, const hearth_errbuf *eb, const char *what)
{
	if (err == HEARTH_ENOMEM)
		return;
	size_t n = strnlen(eb->msg, sizeof(eb->msg));
	if (n == 0 || n == sizeof(eb->msg) || memchr(eb->msg, '\n', n)) {
		fprintf(stderr, "%s: error %d without a one-line message: \"%.*s\"\n", what, (int)err,
			(int)n, eb->msg);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A cap well under libFuzzer's memory limit: a bomb must be stopped by
	 * it, never by the fuzzer's out-of-memory check. */
	hearth_read_opts ro = {.max_size = 64 << 20};
	hearth_profile *p = NULL, *q = NULL;
	hearth_report *r = NULL;
	hearth_errbuf eb = {{0}};
	hearth_buf enc = {0}, out = {0};
	hearth_opts o;

	hearth_err err = hearth_parse(data, size, &ro, &p, &eb);
	if (err) {
		check_message(err, &eb, "hearth_parse");
		return 0;
	}

	/* What hearth writes, hearth reads. */
	if (hearth_proto_encode(p, &enc) == HEARTH_OK && !enc.oom) {
		hearth_errbuf qeb = {{0}};
		err = hearth_proto_decode((const uint8_t *)enc.data, enc.len, &q, &qeb);
		if (err && err != HEARTH_ENOMEM) {
			fprintf(stderr, "hearth_proto_decode refuses hearth_proto_encode's output: %s\n",
				qeb.msg);
			abort();
		}
		hearth_profile_free(q);
	}
	hearth_buf_free(&enc);

	hearth_opts_init(&o);
	const char *const *v = variants[size % NVARIANTS];
	for (int i = 0; v[i]; i += 2)
		if (hearth_opts_set(&o, v[i], v[i + 1], &eb) != HEARTH_OK) {
			fprintf(stderr, "option -%s: %s\n", v[i], eb.msg);
			abort();
		}
	bool traces = (size / NVARIANTS) % 2;
	err = hearth_report_new(p, &o, traces ? HEARTH_CMD_TRACES : HEARTH_CMD_TOP, &r, &eb);
	p = NULL; /* the report owns it, even when it fails */
	if (!err)
		err = traces ? hearth_report_traces(r, &out, &eb) : hearth_report_top(r, &out, &eb);
	if (err)
		check_message(err, &eb, "report");
	hearth_buf_free(&out);
	hearth_report_free(r);
	return 0;
}
