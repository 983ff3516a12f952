/* hearth tags: `go tool pprof -tags`. */
#include "../cli.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth tags [options] <source>...\n"
	"\n"
	"Prints every label key with the weight of the samples carrying each\n"
	"of its values (numeric labels in their unit), as `go tool pprof -tags`.\n"
	"\n"
	USAGE_REPORT_OPTIONS;

int cmd_tags(int argc, char **argv)
{
	static const report_cmd c = {"tags", HEARTH_CMD_TAGS, hearth_report_tags, usage, false, NULL};
	return run_report(argc, argv, &c);
}
