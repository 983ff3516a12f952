/* The shape every text report command shares: parse, load, prepare, write. */
#ifndef HEARTH_CMD_REPORT_COMMON_H
#define HEARTH_CMD_REPORT_COMMON_H

#include "hearth/report.h"

/* The lines of every report command's -h about where its profiles come
 * from: the size cap, URL sources and symbolization.  Kept here, once, so
 * that no command's usage says less than another's; each usage text puts
 * it after its own options. */
#define USAGE_SOURCE_OPTIONS                                                                   \
	"  -max_size=BYTES       cap on a decompressed profile (default 1GB)\n"                   \
	"  -seconds=N -timeout=N for URL sources (http://host:port/debug/pprof/...;\n"            \
	"                        host:port alone is the CPU profile)\n"                           \
	"  -symbolize=local|remote|none[:force]   names for profiles with addresses only\n"   \
	"  -from=T -until=T -type=NAME -token=TOKEN   for a hearth server's merge as the\n"  \
	"                        source, http://host:4040/{service=\"api\"} (T: Unix\n"       \
	"                        seconds, RFC 3339, now, -1h; default -1h..now; the\n"         \
	"                        token may come from $HEARTH_TOKEN)\n"

/* The options paragraph of the reports that take everything hearth top
 * takes and write one text (tree, peek, tags, raw, comments, callgrind,
 * dot), then the source options. */
#define USAGE_REPORT_OPTIONS                                                                   \
	"Options (pprof's names; -opt=value or --opt=value): the filters\n"                     \
	"(-focus, -ignore, -hide, -show, -show_from, -prune_from, -tag*), the\n"                \
	"sample selection (-sample_index, -mean, -base, -diff_base ...) and the\n"              \
	"granularity (-functions, -files, -lines, -addresses, -noinlines) of\n"                 \
	"hearth top (see hearth top -h), and -output=FILE.\n"                                   \
	"\n" USAGE_SOURCE_OPTIONS


typedef hearth_err (*report_fn)(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);

int run_text_report(int argc, char **argv, hearth_cmd cmd, report_fn fn, const char *usage);

/* A text report command with pprof's extras: a regexp argument (peek and
 * list take `hearth peek REGEX source...` as well as -peek=REGEX), and
 * -output=FILE instead of stdout. */
typedef struct {
	const char *name; /* the command, and the option that may carry the regexp */
	hearth_cmd cmd;
	report_fn fn;
	const char *usage;
	bool takes_regexp;
	void (*prepare)(hearth_opts *o); /* last settings before the report, or NULL */
} report_cmd;

int run_report(int argc, char **argv, const report_cmd *c);

#endif
