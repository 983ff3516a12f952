/* hearth list: `go tool pprof -list=REGEXP`, annotated source. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../cli.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth list REGEXP [options] <source>...\n"
	"       hearth list -list=REGEXP [options] <source>...\n"
	"\n"
	"Prints the source of the functions whose name matches REGEXP, each\n"
	"line with its flat and cum values, as `go tool pprof -list`.\n"
	"Source files are looked up by the names the profile gives them:\n"
	"  -source_path=DIR[:DIR...]  directories to search, and their parents\n"
	"                             (default: the working directory)\n"
	"  -trim_path=PREFIX[:...]    prefixes to strip from the names first\n"
	"and last under GOROOT/src (`go env GOROOT`, else /usr/lib/go) for the\n"
	"standard library.  A file not found is said in its function's\n"
	"listing.  Takes the options of hearth top (see hearth top -h).\n"
	"\n"
	USAGE_SOURCE_OPTIONS;

int cmd_list(int argc, char **argv)
{
	static const report_cmd c = {"list", HEARTH_CMD_LIST, hearth_report_list, usage, true,
				     cli_set_goroot};
	return run_report(argc, argv, &c);
}
