/* hearth raw: `go tool pprof -raw`. */
#include "../cli.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth raw [options] <source>...\n"
	"\n"
	"Prints the profile as text (samples, locations, mappings), as\n"
	"`go tool pprof -raw`.\n"
	"\n"
	USAGE_REPORT_OPTIONS;

int cmd_raw(int argc, char **argv)
{
	static const report_cmd c = {"raw", HEARTH_CMD_RAW, hearth_report_rawtext, usage, false, NULL};
	return run_report(argc, argv, &c);
}
