/* hearth speedscope: the profile in speedscope's JSON file format. */
#include "../cli.h"
#include "flame_common.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth speedscope [options] <source>...\n"
	"\n"
	"Writes the profile in speedscope's file format\n"
	"(https://www.speedscope.app/file-format-schema.json): open it at\n"
	"https://www.speedscope.app or with the speedscope command.  One\n"
	"\"sampled\" profile of the selected sample type; with -base or\n"
	"-diff_base a second one for the base.\n"
	"\n"
	"Takes the filter, sample and granularity options of `hearth top`;\n"
	"-output=FILE writes to FILE instead of stdout.\n"
	"\n"
	USAGE_SOURCE_OPTIONS;

int cmd_speedscope(int argc, char **argv)
{
	return run_tree_report(argc, argv, TREE_SPEEDSCOPE, false, usage);
}
