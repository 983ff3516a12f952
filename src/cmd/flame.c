/* hearth flame: an interactive flame graph (SVG, HTML or JSON). */
#include "../cli.h"
#include "flame_common.h"
#include "report_common.h"

static const char usage[] =
	"usage: hearth flame [options] <source>...\n"
	"\n"
	"Writes a flame graph of the profile: a self-contained interactive SVG\n"
	"(click a frame to zoom, Search to highlight frames matching a regexp and\n"
	"see their share, hover for flat and cum values).  Frames are coloured by\n"
	"Go package; children are ordered by name.\n"
	"\n"
	"  -html            one HTML file with a canvas renderer instead of SVG\n"
	"  -json            the tree as JSON (the format the web UI reads)\n"
	"  -inverted        an icicle graph: the root on top\n"
	"  -resolution=N    merge frames narrower than 1/N of the graph into their\n"
	"                   callers (default 1200: one pixel at 1200 pixels wide;\n"
	"                   0 keeps every frame)\n"
	"  -title=TEXT      the title (default: the source's file name)\n"
	"  -output=FILE     write to FILE instead of stdout\n"
	"  -base=FILE / -diff_base=FILE\n"
	"                   a diff flame graph: each frame as wide as the larger of\n"
	"                   the two sides, red where it grew, green where it shrank\n"
	"\n"
	"Takes the filter, sample and granularity options of `hearth top` (see\n"
	"hearth top -h): -focus, -ignore, -hide, -show, -show_from, -prune_from,\n"
	"-tagfocus ..., -sample_index, -mean, -lines, -files, -noinlines ...\n"
	"\n"
	USAGE_SOURCE_OPTIONS;

int cmd_flame(int argc, char **argv)
{
	return run_tree_report(argc, argv, TREE_SVG, true, usage);
}
