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
	"Options (pprof's names; -opt=value or --opt=value): the filters\n"
	"(-focus, -ignore, -hide, -show, -show_from, -prune_from, -tag*), the\n"
	"sample selection (-sample_index, -mean, -base, -diff_base ...) and the\n"
	"granularity (-functions, -files, -lines, -addresses, -noinlines) of\n"
	"hearth top (see hearth top -h), and -output=FILE.\n"
	"\n"
	USAGE_SOURCE_OPTIONS;

int cmd_tree(int argc, char **argv)
{
	static const report_cmd c = {"tree", HEARTH_CMD_TREE, hearth_report_tree, usage, false, NULL};
	return run_report(argc, argv, &c);
}
