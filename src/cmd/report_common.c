#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"
#include "report_common.h"

int run_text_report(int argc, char **argv, hearth_cmd cmd, report_fn fn, const char *usage)
{
	report_cmd c = {argv[0], cmd, fn, usage, false, NULL};
	return run_report(argc, argv, &c);
}

/* Takes "-NAME=REGEX", "--NAME=REGEX" or "-NAME REGEX" out of argv. */
static const char *take_regexp_option(int *argc, char **argv, const char *name)
{
	const char *found = NULL;
	size_t n = strlen(name);
	int w = 1;
	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			while (i < *argc)
				argv[w++] = argv[i++];
			break;
		}
		const char *o = a[0] == '-' ? a + 1 + (a[1] == '-') : NULL;
		if (o && !strncmp(o, name, n) && o[n] == '=') {
			found = o + n + 1;
			continue;
		}
		if (o && !strcmp(o, name) && i + 1 < *argc) {
			found = argv[++i];
			continue;
		}
		argv[w++] = argv[i];
	}
	*argc = w;
	return found;
}

static int file_sink(void *ctx, const char *data, size_t n)
{
	return fwrite(data, 1, n, ctx) == n ? 0 : -1;
}

int run_report(int argc, char **argv, const report_cmd *c)
{
	cli_args a;
	hearth_profile *p = NULL;
	hearth_report *r = NULL;
	hearth_errbuf eb = {{0}};
	hearth_buf out = {.flush = cli_stdout_sink};
	FILE *f = NULL;
	const char *symbol = NULL;
	char **args = malloc(sizeof(char *) * ((size_t)argc + 1));
	if (!args) {
		cli_error("out of memory");
		return EXIT_BAD_INPUT;
	}
	memcpy(args, argv, sizeof(char *) * (size_t)argc);
	if (c->takes_regexp)
		symbol = take_regexp_option(&argc, args, c->name);
	int rc = cli_parse(argc, args, &a);
	if (rc != EXIT_OK)
		goto done;
	if (a.help) {
		fputs(c->usage, stdout);
		goto done;
	}
	if (c->takes_regexp && !symbol) {
		if (a.nsources < 2) {
			cli_error("%s: needs a regexp and a profile (usage: hearth %s REGEXP "
				  "[options] <source>...)",
				  c->name, c->name);
			rc = EXIT_USAGE;
			goto done;
		}
		symbol = a.sources[0];
		memmove(a.sources, a.sources + 1, sizeof(char *) * (size_t)--a.nsources);
	}
	a.opts.symbol = symbol;
	if (c->prepare)
		c->prepare(&a.opts);
	/* Today's pprof reads a single profile as it is (1.19 merged it: equal
	 * samples summed, zero ones dropped), so no report merges one. */
	a.opts.merge_single = false;
	a.opts.sums_only = c->cmd != HEARTH_CMD_TRACES && c->cmd != HEARTH_CMD_RAW;
	a.opts.no_labels = !hearth_report_needs_labels(c->cmd, &a.opts);
	if ((rc = cli_load(&a, &p)) != EXIT_OK)
		goto done;
	if (a.opts.output) {
		if (!(f = fopen(a.opts.output, "w"))) {
			cli_error("%s: %s", a.opts.output, strerror(errno));
			rc = EXIT_BAD_INPUT;
			goto done;
		}
		out.flush = file_sink;
		out.ctx = f;
	}
	hearth_err err = hearth_report_new(p, &a.opts, c->cmd, &r, &eb);
	p = NULL; /* the report owns it now */
	if (!err)
		err = c->fn(r, &out, &eb);
	if (r)
		fputs(hearth_report_warnings(r), stderr);
	if (err) {
		cli_error("%s", eb.msg[0] ? eb.msg : hearth_strerror(err));
		rc = err == HEARTH_EINVAL ? EXIT_USAGE : EXIT_BAD_INPUT;
		goto done;
	}
	hearth_buf_flush(&out);
	if (f) {
		if (out.oom || fclose(f) != 0) {
			cli_error("writing %s: %s", a.opts.output, strerror(errno));
			rc = EXIT_BAD_INPUT;
		} else {
			fprintf(stderr, "Generating report in %s\n", a.opts.output);
		}
		f = NULL;
		goto done;
	}
	rc = cli_write_stdout(&out);
done:
	if (f) {
		fclose(f);
		remove(a.opts.output);
	}
	hearth_report_free(r);
	hearth_profile_free(p);
	hearth_buf_free(&out);
	cli_args_free(&a);
	free(args);
	return rc;
}
