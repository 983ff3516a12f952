/* hearth help: the commands and where to read more. */
#include <stdio.h>

#include "../cli.h"

static const char text[] =
	"hearth — profiling toolkit for Go programs\n"
	"\n"
	"usage: hearth <command> [options] <source>...\n"
	"       hearth [-<format>] [options] [binary] <source>...   (go tool pprof's form)\n"
	"\n"
	"A source is a profile file: profile.proto (gzipped or not), any legacy\n"
	"format `go tool pprof` reads, or folded stacks, or the URL of a\n"
	"net/http/pprof endpoint (host:port alone is the CPU profile), or a hearth\n"
	"server's selector, http://host:4040/{service=\"api\"} with -from, -until,\n"
	"-type and -token (or $HEARTH_TOKEN). Several are merged. Options keep\n"
	"pprof's names and may be written -opt=value or --opt=value.\n"
	"\n"
	"Report commands:\n"
	"  top, text   the heaviest functions, flat and cumulative\n"
	"  traces      every sample with its stack and labels\n"
	"  tree        the call graph as text: callers and callees of each node\n"
	"  peek RE     callers and callees of the functions matching RE\n"
	"  list RE     annotated source of the functions matching RE\n"
	"  disasm RE   annotated assembly of the functions matching RE\n"
	"  weblist RE  annotated source with its assembly, as an HTML page\n"
	"  tags        label values with the weight of their samples\n"
	"  dot         the call graph in Graphviz's DOT language\n"
	"  svg         the call graph drawn, for a browser (pan and zoom)\n"
	"  pdf, png    the call graph drawn as a PDF page or a PNG image\n"
	"  callgrind   the call graph for callgrind_annotate and KCachegrind\n"
	"  flame       a flame graph: interactive SVG, -html (canvas) or -json\n"
	"  folded      folded stacks (\"frame;frame;frame value\"), FlameGraph's input\n"
	"  speedscope  the profile in speedscope's file format\n"
	"  raw         the profile as text\n"
	"  comments    the profile's comments\n"
	"  proto       write the (filtered, merged) profile as profile.proto\n"
	"  topproto    write the rows of top as profile.proto\n"
	"\n"
	"Interactive:\n"
	"  web         serve a UI in the browser: flame graph, top, call graph,\n"
	"              source and peek, driven by the report options\n"
	"\n"
	"Collecting:\n"
	"  fetch       every profile of a running Go program into a directory\n"
	"  scrape      profiles of a fleet, continuously, pushed to a hearth server\n"
	"\n"
	"Service:\n"
	"  serve       the profile service: ingest, queries over time, the UI\n"
	"  token       create, list and revoke a tenant's tokens in a data directory\n"
	"  fleet       a tenant's opt-in to the public fleet report; the report\n"
	"\n"
	"The runtime's own traces:\n"
	"  godebug     summary and charts of GODEBUG=gctrace=1,schedtrace=N logs\n"
	"  trace       execution traces: goroutines, blocking profiles, MMU, JSON\n"
	"\n"
	"  help        this text; `hearth help <command>` (or `hearth <command> -h`)\n"
	"              tells more of each\n"
	"  version     the version (the commit hearth was built from)\n"
	"\n"
	"pprof's own command line works too, so `alias pprof=hearth` keeps its\n"
	"habits: `hearth -top cpu.pb.gz`, `hearth -http=:8080 cpu.pb.gz`, and\n"
	"`hearth ./prog cpu.pb.gz` for pprof's interactive shell ((pprof) top,\n"
	"list RE, web, help); see `hearth -h` and docs/pprof-compat.md.\n"
	"\n"
	"Exit status: 0 on success, 1 on bad input, 2 on bad usage.\n";

int cmd_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("hearth version %s\n", hearth_commit);
	return EXIT_OK;
}

int cmd_help(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fputs(text, stdout);
	return EXIT_OK;
}
