/* hearth topproto: the rows of top as a gzipped profile.proto, as
 * `go tool pprof -topproto`. */
#include <stdio.h>
#include <unistd.h>

#include "../cli.h"
#include "hearth/io.h"
#include "hearth/report.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth topproto -output=FILE [options] <source>...\n"
	"\n"
	"Writes the rows of hearth top as a gzipped profile.proto: one sample\n"
	"per function (or line, address ...), with the values cum and flat in\n"
	"the report's unit.  Without -output the profile goes to stdout, unless\n"
	"that is a terminal.  Takes the options of hearth top (see hearth top -h).\n"
	"\n"
	USAGE_SOURCE_OPTIONS;

int cmd_topproto(int argc, char **argv)
{
	cli_args a;
	hearth_profile *p = NULL, *top = NULL;
	hearth_report *r = NULL;
	hearth_errbuf eb = {{0}};
	int rc = cli_parse(argc, argv, &a);
	if (rc != EXIT_OK)
		goto done;
	if (a.help) {
		fputs(usage, stdout);
		goto done;
	}
	const char *path = a.opts.output ? a.opts.output : "-";
	if (!a.opts.output && isatty(1)) {
		cli_error("topproto: refusing to write a binary profile to a terminal; use "
			  "-output=FILE");
		rc = EXIT_USAGE;
		goto done;
	}
	a.opts.sums_only = true;
	a.opts.no_labels = !hearth_report_needs_labels(HEARTH_CMD_TOPPROTO, &a.opts);
	if ((rc = cli_load(&a, &p)) != EXIT_OK)
		goto done;
	hearth_err err = hearth_report_new(p, &a.opts, HEARTH_CMD_TOPPROTO, &r, &eb);
	p = NULL;
	if (!err)
		err = hearth_report_topproto(r, &top, &eb);
	if (r)
		fputs(hearth_report_warnings(r), stderr);
	if (!err)
		err = hearth_write_file(top, path, &eb);
	if (err) {
		cli_error("%s", eb.msg[0] ? eb.msg : hearth_strerror(err));
		rc = err == HEARTH_EINVAL ? EXIT_USAGE : EXIT_BAD_INPUT;
	}
done:
	hearth_profile_free(top);
	hearth_report_free(r);
	hearth_profile_free(p);
	cli_args_free(&a);
	return rc;
}
