/* hearth top (alias text): the flat/cum table of `go tool pprof -top`. */
#include "../cli.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth top [options] <source>...\n"
	"\n"
	"Prints the functions with the most samples, as `go tool pprof -top`:\n"
	"flat (in the function itself), cum (with what it calls), their shares\n"
	"and the running sum.  Sources are profile files (profile.proto, gzipped\n"
	"or not, any legacy pprof format, folded stacks, or a net/http/pprof URL;\n"
	"host:port means its CPU profile); several are merged.\n"
	"\n"
	"Options (pprof's names; -opt=value or --opt=value):\n"
	"  -sample_index=N|name  value to report (-inuse_space, -alloc_space, ...)\n"
	"  -mean                 average value per sample (divided by the first value)\n"
	"  -cum                  sort by cumulative value\n"
	"  -nodecount=N          show at most N rows\n"
	"  -nodefraction=F       drop nodes below F of the total (default 0.005)\n"
	"  -focus/-ignore/-hide/-show/-show_from/-prune_from=REGEXP\n"
	"  -tagfocus/-tagignore/-tagshow/-taghide=[KEY=]REGEXP|RANGE\n"
	"  -functions -filefunctions -files -lines -addresses   granularity\n"
	"  -noinlines            attribute inlined calls to their callers\n"
	"  -base=FILE -diff_base=FILE   subtract / compare with a base profile\n"
	"  -normalize -divide_by=F -unit=U -relative_percentages -drop_negative\n"
	USAGE_SOURCE_OPTIONS;

int cmd_top(int argc, char **argv)
{
	return run_text_report(argc, argv, HEARTH_CMD_TOP, hearth_report_top, usage);
}
