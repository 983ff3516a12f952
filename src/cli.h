/* Shared by the subcommands of the hearth CLI. */
#ifndef HEARTH_CLI_H
#define HEARTH_CLI_H

#include "hearth/buf.h"
#include "hearth/options.h"
#include "hearth/profile.h"

enum { EXIT_OK = 0, EXIT_BAD_INPUT = 1, EXIT_USAGE = 2 };

typedef struct {
	const char *command;
	hearth_opts opts;
	const char **sources;
	int nsources;
	bool help;
} cli_args;

/* Parses "[options] source..." (options may also follow sources; "--" ends
 * them).  Prints the error and returns EXIT_USAGE on a bad option. */
int cli_parse(int argc, char **argv, cli_args *a);
void cli_args_free(cli_args *a);
/* Loads and merges the sources; prints the error and returns EXIT_BAD_INPUT. */
int cli_load(const cli_args *a, hearth_profile **out);
/* When a source or base was fetched from a URL, saves the loaded profile as
 * pprof does ($PPROF_TMPDIR or ~/pprof) and says "Saved profile in ...":
 * pprof's form does (hearth's own commands leave that to hearth fetch). */
void cli_save_fetched(const char *const *sources, int n, const hearth_opts *o,
		      const hearth_profile *p);
/* A hearth_buf sink that streams to stdout. */
int cli_stdout_sink(void *ctx, const char *data, size_t n);
/* Writes b to stdout; a write error is reported. */
int cli_write_stdout(const hearth_buf *b);
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Where the Go standard library's sources are, for listings: $GOROOT,
 * `go env GOROOT`, or Debian's /usr/lib/go; NULL when none.  Looked up once. */
const char *cli_goroot(void);
/* A report_cmd's prepare step that sets o->goroot (list, weblist). */
void cli_set_goroot(hearth_opts *o);

/* Subcommands: each returns the process exit code. */
int cmd_top(int argc, char **argv);
int cmd_traces(int argc, char **argv);
int cmd_proto(int argc, char **argv);
int cmd_help(int argc, char **argv);
int cmd_svg(int argc, char **argv);
int cmd_pdf(int argc, char **argv);
int cmd_png(int argc, char **argv);
int cmd_tree(int argc, char **argv);
int cmd_peek(int argc, char **argv);
int cmd_tags(int argc, char **argv);
int cmd_raw(int argc, char **argv);
int cmd_comments(int argc, char **argv);
int cmd_callgrind(int argc, char **argv);
int cmd_dot(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_topproto(int argc, char **argv);
int cmd_flame(int argc, char **argv);
int cmd_folded(int argc, char **argv);
int cmd_speedscope(int argc, char **argv);
int cmd_fetch(int argc, char **argv);
int cmd_disasm(int argc, char **argv);
int cmd_weblist(int argc, char **argv);
int cmd_web(int argc, char **argv);
/* hearth __layout FORMAT: DOT on stdin to FORMAT on stdout, the servers'
 * child process for graph layouts (server/layout.c). */
#define HEARTH_LAYOUT_CMD "__layout"
int cmd_layout(int argc, char **argv);
int cmd_token(int argc, char **argv);
int cmd_fleet(int argc, char **argv);
int cmd_godebug(int argc, char **argv);
int cmd_scrape(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_trace(int argc, char **argv);
/* pprof's own form: `hearth [flags] [binary] source...` (src/pprof.c). */
int cmd_pprof(int argc, char **argv);
int cmd_version(int argc, char **argv);
/* The commit hearth was built from (the build's version.c). */
extern const char hearth_commit[];

#endif
