/* hearth comments: `go tool pprof -comments`. */
#include "../cli.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth comments [options] <source>...\n"
	"\n"
	"Prints the profile's comments, one per line, as\n"
	"`go tool pprof -comments`.\n"
	"\n"
	USAGE_REPORT_OPTIONS;

int cmd_comments(int argc, char **argv)
{
	static const report_cmd c = {"comments", HEARTH_CMD_COMMENTS, hearth_report_comments, usage, false, NULL};
	return run_report(argc, argv, &c);
}
