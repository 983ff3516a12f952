/* hearth callgrind: `go tool pprof -callgrind`. */
#include "../cli.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth callgrind [options] <source>... > profile.callgrind\n"
	"\n"
	"Writes the call graph in callgrind's format, for callgrind_annotate\n"
	"and KCachegrind, as `go tool pprof -callgrind`: every address, no\n"
	"trimming.  -call_tree separates the contexts of each function.\n"
	"\n"
	USAGE_REPORT_OPTIONS;

int cmd_callgrind(int argc, char **argv)
{
	static const report_cmd c = {"callgrind", HEARTH_CMD_CALLGRIND, hearth_report_callgrind, usage, false, NULL};
	return run_report(argc, argv, &c);
}
