/* hearth peek: `go tool pprof -peek`. */
#include "../cli.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth peek REGEXP [options] <source>...\n"
	"       hearth peek -peek=REGEXP [options] <source>...\n"
	"\n"
	"Prints the callers and callees of the functions whose name matches\n"
	"REGEXP, as `go tool pprof -peek=REGEXP`, on the whole graph.\n"
	"\n"
	USAGE_REPORT_OPTIONS;

int cmd_peek(int argc, char **argv)
{
	static const report_cmd c = {"peek", HEARTH_CMD_PEEK, hearth_report_peek, usage, true, NULL};
	return run_report(argc, argv, &c);
}
