/* hearth tags: `go tool pprof -tags`. */
#include "../cli.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth tags [options] <source>...\n"
	"\n"
	"Prints every label key with the weight of the samples carrying each\n"
	"of its values (numeric labels in their unit), as `go tool pprof -tags`.\n"
	"\n"
	"Options (pprof's names; -opt=value or --opt=value): the filters\n"
	"(-focus, -ignore, -hide, -show, -show_from, -prune_from, -tag*), the\n"
	"sample selection (-sample_index, -mean, -base, -diff_base ...) and the\n"
	"granularity (-functions, -files, -lines, -addresses, -noinlines) of\n"
	"hearth top (see hearth top -h), and -output=FILE.\n"
	"\n"
	USAGE_SOURCE_OPTIONS;

int cmd_tags(int argc, char **argv)
{
	static const report_cmd c = {"tags", HEARTH_CMD_TAGS, hearth_report_tags, usage, false, NULL};
	return run_report(argc, argv, &c);
}
