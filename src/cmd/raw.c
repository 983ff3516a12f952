/* hearth raw: `go tool pprof -raw`. */
#include "../cli.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth raw [options] <source>...\n"
	"\n"
	"Prints the profile as text (samples, locations, mappings), as\n"
	"`go tool pprof -raw`.\n"
	"\n"
	"Options (pprof's names; -opt=value or --opt=value): the filters\n"
	"(-focus, -ignore, -hide, -show, -show_from, -prune_from, -tag*), the\n"
	"sample selection (-sample_index, -mean, -base, -diff_base ...) and the\n"
	"granularity (-functions, -files, -lines, -addresses, -noinlines) of\n"
	"hearth top (see hearth top -h), and -output=FILE.\n"
	"\n"
	USAGE_SOURCE_OPTIONS;

int cmd_raw(int argc, char **argv)
{
	static const report_cmd c = {"raw", HEARTH_CMD_RAW, hearth_report_rawtext, usage, false, NULL};
	return run_report(argc, argv, &c);
}
