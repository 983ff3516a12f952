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
	"Options (pprof's names; -opt=value or --opt=value): the filters\n"
	"(-focus, -ignore, -hide, -show, -show_from, -prune_from, -tag*), the\n"
	"sample selection (-sample_index, -mean, -base, -diff_base ...) and the\n"
	"granularity (-functions, -files, -lines, -addresses, -noinlines) of\n"
	"hearth top (see hearth top -h), and -output=FILE.\n"
	"\n"
	USAGE_SOURCE_OPTIONS;

int cmd_callgrind(int argc, char **argv)
{
	static const report_cmd c = {"callgrind", HEARTH_CMD_CALLGRIND, hearth_report_callgrind, usage, false, NULL};
	return run_report(argc, argv, &c);
}
