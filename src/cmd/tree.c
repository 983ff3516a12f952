/* hearth tree: `go tool pprof -tree`. */
#include "../cli.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth tree [options] <source>...\n"
	"\n"
	"Prints the call graph as text, as `go tool pprof -tree`: for each node\n"
	"(heaviest first), its callers above and its callees below with the\n"
	"weight of each call.  -nodecount=N (default 80), -nodefraction,\n"
	"-edgefraction and -cum shape the graph as for dot.\n"
	"\n"
	USAGE_REPORT_OPTIONS;

int cmd_tree(int argc, char **argv)
{
	static const report_cmd c = {"tree", HEARTH_CMD_TREE, hearth_report_tree, usage, false, NULL};
	return run_report(argc, argv, &c);
}
