#include <stdio.h>

#include "../cli.h"
#include "report_common.h"

int run_text_report(int argc, char **argv, hearth_cmd cmd, report_fn fn, const char *usage)
{
	cli_args a;
	hearth_profile *p = NULL;
	hearth_report *r = NULL;
	hearth_errbuf eb = {{0}};
	hearth_buf out = {.flush = cli_stdout_sink};
	int rc = cli_parse(argc, argv, &a);
	if (rc != EXIT_OK)
		goto done;
	if (a.help) {
		fputs(usage, stdout);
		goto done;
	}
	/* pprof merges even a single profile (equal samples summed, zero ones
	 * dropped); only traces shows the difference. */
	a.opts.merge_single = cmd == HEARTH_CMD_TRACES;
	a.opts.sums_only = cmd == HEARTH_CMD_TOP;
	if ((rc = cli_load(&a, &p)) != EXIT_OK)
		goto done;
	hearth_err err = hearth_report_new(p, &a.opts, cmd, &r, &eb);
	p = NULL; /* the report owns it now */
	if (!err)
		err = fn(r, &out, &eb);
	if (r)
		fputs(hearth_report_warnings(r), stderr);
	if (err) {
		cli_error("%s", eb.msg[0] ? eb.msg : hearth_strerror(err));
		rc = err == HEARTH_EINVAL ? EXIT_USAGE : EXIT_BAD_INPUT;
		goto done;
	}
	hearth_buf_flush(&out);
	rc = cli_write_stdout(&out);
done:
	hearth_report_free(r);
	hearth_profile_free(p);
	hearth_buf_free(&out);
	cli_args_free(&a);
	return rc;
}
