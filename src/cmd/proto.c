/* hearth proto: the profile after options, written as gzipped profile.proto. */
#include <stdio.h>
#include <unistd.h>

#include "../cli.h"
#include "hearth/io.h"
#include "hearth/report.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth proto -output=FILE [options] <source>...\n"
	"\n"
	"Writes the profile, after merging and filtering, as gzipped\n"
	"profile.proto.  Nothing is lost: every field of the input is kept.\n"
	"Without -output the profile goes to stdout, unless that is a terminal.\n"
	"Takes the options of hearth top (see hearth top -h).\n"
	"\n"
	USAGE_SOURCE_OPTIONS;

int cmd_proto(int argc, char **argv)
{
	cli_args a;
	hearth_profile *p = NULL;
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
		cli_error("proto: refusing to write a binary profile to a terminal; use -output=FILE");
		rc = EXIT_USAGE;
		goto done;
	}
	/* -divide_by truncates each sample's values as read: today's pprof
	 * does not merge a single profile first (1.19 did). */
	if ((rc = cli_load(&a, &p)) != EXIT_OK)
		goto done;
	hearth_err err = hearth_report_new(p, &a.opts, HEARTH_CMD_PROTO, &r, &eb);
	p = NULL;
	if (!err)
		err = hearth_report_proto(r, &eb);
	if (r)
		fputs(hearth_report_warnings(r), stderr);
	if (!err)
		err = hearth_write_file(hearth_report_profile(r), path, &eb);
	if (err) {
		cli_error("%s", eb.msg[0] ? eb.msg : hearth_strerror(err));
		rc = EXIT_BAD_INPUT;
	}
done:
	hearth_report_free(r);
	hearth_profile_free(p);
	cli_args_free(&a);
	return rc;
}
