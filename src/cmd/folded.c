/* hearth folded: folded stacks, "frame;frame;frame value" per line. */
#include "../cli.h"
#include "flame_common.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth folded [options] <source>...\n"
	"\n"
	"Writes the profile as folded stacks, the input of FlameGraph's\n"
	"flamegraph.pl, inferno, speedscope and Pyroscope: one line per call path\n"
	"with samples of its own, frames root first, separated by ';', then the\n"
	"value of the selected sample type.  A short '#' header (type, file, time,\n"
	"duration) lets hearth read the file back as a profile: any command takes\n"
	"a folded file as a source.  With -base or -diff_base each line has two\n"
	"values, before and after (difffolded.pl's format).\n"
	"\n"
	"Takes the filter, sample and granularity options of `hearth top`;\n"
	"-output=FILE writes to FILE instead of stdout.\n"
	"\n"
	USAGE_SOURCE_OPTIONS;

int cmd_folded(int argc, char **argv)
{
	return run_tree_report(argc, argv, TREE_FOLDED, false, usage);
}
