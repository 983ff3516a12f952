/* hearth svg, pdf, png: the call graph of `hearth dot`, laid out and drawn
 * in-process with Graphviz's libraries (no `dot` binary needed). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "../cli.h"
#include "hearth/io.h"
#include "hearth/render.h"
#include "hearth/report.h"
#include "report_common.h"

static const char usage_svg[] =
	"usage: hearth svg [options] <source>...\n"
	"\n"
	"Draws the call graph as SVG, as `go tool pprof -svg` does.  In a browser\n"
	"the page pans (drag) and zooms (wheel, + and -); double-click or 0 fits\n"
	"the graph to the window.\n";
static const char usage_pdf[] =
	"usage: hearth pdf [options] <source>...\n"
	"\n"
	"Draws the call graph as a one-page PDF, as `go tool pprof -pdf` does.\n";
static const char usage_png[] =
	"usage: hearth png [options] <source>...\n"
	"\n"
	"Draws the call graph as a PNG image, as `go tool pprof -png` does.\n";
static const char usage_common[] =
	"\n"
	"The graph is `hearth dot`'s, laid out by Graphviz's libraries inside\n"
	"hearth: no `dot` program is needed.  Boxes are functions, sized by their\n"
	"own (flat) value; edges are calls, as thick as their value.  Sources are\n"
	"profile files; several are merged.\n"
	"\n"
	"Options (pprof's names; -opt=value or --opt=value):\n"
	"  -output=FILE          write FILE (atomically) instead of standard output;\n"
	"                        pdf and png refuse to write to a terminal\n"
	"  -nodecount=N          draw at most N nodes (default 80; graphs of more\n"
	"                        than 5000 nodes are refused)\n"
	"  -nodefraction=F -edgefraction=F   drop nodes (edges) below F of the total\n"
	"  -sample_index=N|name -mean -focus/-ignore/-hide/-show=REGEXP ...\n"
	"  -functions -files -lines -addresses -noinlines   granularity\n"
	"  -base=FILE -diff_base=FILE   as for every report (hearth top -h)\n"
	USAGE_SOURCE_OPTIONS;

static int run_graph(int argc, char **argv, const char *format)
{
	cli_args a;
	hearth_profile *p = NULL;
	hearth_report *r = NULL;
	hearth_errbuf eb = {{0}};
	hearth_buf dot = {0}, out = {0};
	bool binary = strcmp(format, "svg") != 0;
	int rc = cli_parse(argc, argv, &a);
	if (rc != EXIT_OK)
		goto done;
	if (a.help) {
		fputs(!binary ? usage_svg : format[1] == 'd' ? usage_pdf : usage_png, stdout);
		fputs(usage_common, stdout);
		goto done;
	}
	const char *path = a.opts.output ? a.opts.output : "-";
	/* Checked before the work: a binary image on a terminal is garbage. */
	if (binary && !strcmp(path, "-") && isatty(STDOUT_FILENO)) {
		cli_error("%s: refusing to write a %s to a terminal; use -output=FILE or redirect",
			  format, format[1] == 'd' ? "PDF" : "PNG image");
		rc = EXIT_USAGE;
		goto done;
	}
	if ((rc = cli_load(&a, &p)) != EXIT_OK)
		goto done;
	hearth_err err = hearth_report_new(p, &a.opts, HEARTH_CMD_DOT, &r, &eb);
	p = NULL; /* the report owns it now */
	if (!err)
		err = hearth_report_dot(r, &dot, &eb);
	if (r)
		fputs(hearth_report_warnings(r), stderr);
	if (!err && dot.oom)
		err = hearth_seterr(&eb, HEARTH_ENOMEM, "%s", hearth_strerror(HEARTH_ENOMEM));
	if (!err)
		err = hearth_render_dot(dot.data, dot.len, format, &out, &eb);
	if (!err)
		err = hearth_write_bytes(path, out.data, out.len, &eb);
	if (err) {
		cli_error("%s", eb.msg[0] ? eb.msg : hearth_strerror(err));
		rc = err == HEARTH_EINVAL ? EXIT_USAGE : EXIT_BAD_INPUT;
	}
done:
	hearth_report_free(r);
	hearth_profile_free(p);
	hearth_buf_free(&dot);
	hearth_buf_free(&out);
	cli_args_free(&a);
	return rc;
}

int cmd_svg(int argc, char **argv)
{
	return run_graph(argc, argv, "svg");
}

int cmd_pdf(int argc, char **argv)
{
	return run_graph(argc, argv, "pdf");
}

int cmd_png(int argc, char **argv)
{
	return run_graph(argc, argv, "png");
}
