/* hearth traces: every sample's stack, as `go tool pprof -traces`. */
#include "../cli.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth traces [options] <source>...\n"
	"\n"
	"Prints each sample with its labels, value and call stack (leaf first),\n"
	"as `go tool pprof -traces`.  Takes the filter and granularity options\n"
	"of `hearth top` (see hearth top -h).\n"
	"\n"
	USAGE_SOURCE_OPTIONS;

int cmd_traces(int argc, char **argv)
{
	return run_text_report(argc, argv, HEARTH_CMD_TRACES, hearth_report_traces, usage);
}
