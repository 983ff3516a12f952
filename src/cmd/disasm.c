/* hearth disasm: `go tool pprof -disasm=REGEXP`, annotated assembly. */
#include "../cli.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth disasm REGEXP [options] [BINARY] <source>...\n"
	"       hearth disasm -disasm=REGEXP [options] [BINARY] <source>...\n"
	"\n"
	"Prints the instructions of the functions whose symbol matches REGEXP,\n"
	"each with its flat and cum values and, where it changes, the file and\n"
	"line it comes from, as `go tool pprof -disasm`.  Only functions with\n"
	"samples are shown.  The program is read from the file its mapping names\n"
	"once symbolized: a BINARY given before the profiles, or one found by\n"
	"build id under $HEARTH_BINARY_PATH or $PPROF_BINARY_PATH (see\n"
	"docs/symbolize.md).  x86-64 (AT&T syntax, as objdump), 386 and arm64\n"
	"are decoded (capstone).\n"
	"\n"
	"Takes the options of hearth top (see hearth top -h): filters,\n"
	"-sample_index, -mean, -unit, -divide_by, -relative_percentages,\n"
	"-output=FILE.  Granularity is always -addresses, without inlined frames.\n"
	"\n"
	USAGE_SOURCE_OPTIONS;

int cmd_disasm(int argc, char **argv)
{
	static const report_cmd c = {"disasm", HEARTH_CMD_DISASM, hearth_report_disasm, usage,
				     true, NULL};
	return run_report(argc, argv, &c);
}
