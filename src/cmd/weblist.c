/* hearth weblist: `go tool pprof -weblist=REGEXP`, annotated source with
 * its assembly as one HTML page, written to stdout or -output=FILE. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth weblist REGEXP [options] [BINARY] <source>...\n"
	"       hearth weblist -weblist=REGEXP [options] [BINARY] <source>...\n"
	"\n"
	"Writes one HTML page (self-contained: no file or script it loads) with\n"
	"the source lines of the functions matching REGEXP, each with its flat\n"
	"and cum values; a click on a line shows the instructions it compiled\n"
	"to, with theirs, as `go tool pprof -weblist`.  The page goes to stdout,\n"
	"or to -output=FILE; no browser is started.  The program is read as\n"
	"hearth disasm reads it (see hearth disasm -h); source files are found\n"
	"as hearth list finds them:\n"
	"  -source_path=DIR[:DIR...]  directories to search, and their parents\n"
	"                             (default: the working directory)\n"
	"  -trim_path=PREFIX[:...]    prefixes to strip from the names first\n"
	"and last under GOROOT/src for the standard library.\n"
	"\n"
	"Takes the options of hearth top (see hearth top -h): filters,\n"
	"-sample_index, -mean, -unit, -divide_by, -output=FILE.\n"
	"\n"
	USAGE_SOURCE_OPTIONS;

int cmd_weblist(int argc, char **argv)
{
	static const report_cmd c = {"weblist", HEARTH_CMD_WEBLIST, hearth_report_weblist, usage,
				     true, cli_set_goroot};
	return run_report(argc, argv, &c);
}
