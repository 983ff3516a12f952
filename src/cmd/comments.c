/* hearth comments: `go tool pprof -comments`. */
#include "../cli.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth comments [options] <source>...\n"
	"\n"
	"Prints the profile's comments, one per line, as\n"
	"`go tool pprof -comments`.\n"
	"\n"
	"Options (pprof's names; -opt=value or --opt=value): the filters\n"
	"(-focus, -ignore, -hide, -show, -show_from, -prune_from, -tag*), the\n"
	"sample selection (-sample_index, -mean, -base, -diff_base ...) and the\n"
	"granularity (-functions, -files, -lines, -addresses, -noinlines) of\n"
	"hearth top (see hearth top -h), and -output=FILE.\n"
	"\n"
	USAGE_SOURCE_OPTIONS;

int cmd_comments(int argc, char **argv)
{
	static const report_cmd c = {"comments", HEARTH_CMD_COMMENTS, hearth_report_comments, usage, false, NULL};
	return run_report(argc, argv, &c);
}
