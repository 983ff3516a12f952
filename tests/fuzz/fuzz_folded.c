/* libFuzzer target: the folded-stacks reader (lib/folded.c), and the
 * writers that turn a profile back into folded stacks, a flame graph and a
 * speedscope file.
 *
 * For an input hearth_folded_parse accepts, the target writes it back with
 * `hearth folded` and checks that hearth reads that too; then it draws the
 * flame graph (SVG, HTML, JSON, every frame kept) and writes speedscope, so
 * hostile names go through every escaper.  An input it refuses must come
 * with a one-line message naming the line, as the CLI prints it.
 *
 * Build and run: make fuzz; tests/fuzz/run.sh short|long. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/flame.h"
#include "hearth/io.h"
#include "hearth/options.h"
#include "hearth/report.h"

static void check_message(hearth_err err, const hearth_errbuf *eb, const char *what)
{
	if (err == HEARTH_ENOMEM || err == HEARTH_EFORMAT)
		return;
	size_t n = strnlen(eb->msg, sizeof(eb->msg));
	if (n == 0 || n == sizeof(eb->msg) || memchr(eb->msg, '\n', n) ||
	    (!strcmp(what, "hearth_folded_parse") && strncmp(eb->msg, "line ", 5))) {
		fprintf(stderr, "%s: error %d without a one-line message: \"%.*s\"\n", what,
			(int)err, (int)n, eb->msg);
		abort();
	}
}

/* A report on p (which it takes), or NULL. */
static hearth_report *report(hearth_profile *p, size_t size)
{
	hearth_opts o;
	hearth_errbuf eb = {{0}};
	hearth_report *r = NULL;
	hearth_opts_init(&o);
	if (size % 3 == 1)
		hearth_opts_set(&o, "noinlines", NULL, &eb);
	else if (size % 3 == 2)
		hearth_opts_set(&o, "hide", "^a", &eb);
	hearth_err err = hearth_report_new(p, &o, HEARTH_CMD_TOP, &r, &eb);
	if (err) {
		check_message(err, &eb, "hearth_report_new");
		return NULL;
	}
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hearth_profile *p = NULL, *q = NULL;
	hearth_errbuf eb = {{0}};
	hearth_buf folded = {0}, out = {0};
	hearth_flame *f = NULL;

	hearth_err err = hearth_folded_parse(data, size, &p, &eb);
	if (err) {
		check_message(err, &eb, "hearth_folded_parse");
		return 0;
	}
	hearth_report *r = report(p, size);
	if (!r)
		return 0;
	/* What hearth writes as folded stacks, hearth reads. */
	err = hearth_report_folded(r, &folded, &eb);
	if (!err && !folded.oom && folded.len) {
		hearth_errbuf qeb = {{0}};
		err = hearth_folded_parse((const uint8_t *)folded.data, folded.len, &q, &qeb);
		if (err && err != HEARTH_ENOMEM) {
			fprintf(stderr,
				"hearth_folded_parse refuses hearth folded's output: %s\n%s\n",
				qeb.msg, folded.data);
			abort();
		}
		hearth_profile_free(q);
	}
	hearth_flame_opts fo = {.resolution = size % 2 ? 0 : HEARTH_FLAME_RESOLUTION,
				.inverted = size % 4 == 3};
	if (hearth_flame_new(r, &fo, &f, &eb) == HEARTH_OK) {
		hearth_flame_svg(f, &out, &eb);
		hearth_flame_html(f, &out, &eb);
		hearth_flame_json(f, &out, &eb);
		hearth_flame_free(f);
	}
	hearth_report_speedscope(r, &out, &eb);
	hearth_buf_free(&out);
	hearth_buf_free(&folded);
	hearth_report_free(r);
	return 0;
}
