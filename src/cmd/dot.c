/* hearth dot: `go tool pprof -dot`. */
#include "../cli.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth dot [options] <source>... > graph.dot\n"
	"\n"
	"Writes the call graph in Graphviz's DOT language, as\n"
	"`go tool pprof -dot` (render it with `dot -Tsvg`, or use hearth svg).\n"
	"-nodecount=N (default 80), -nodefraction=F (0.005), -edgefraction=F\n"
	"(0.001) trim it; -call_tree separates the contexts of each function.\n"
	"\n"
	USAGE_REPORT_OPTIONS;

int cmd_dot(int argc, char **argv)
{
	static const report_cmd c = {"dot", HEARTH_CMD_DOT, hearth_report_dot, usage, false, NULL};
	return run_report(argc, argv, &c);
}
