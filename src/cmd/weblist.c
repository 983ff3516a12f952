/* hearth weblist: not written yet (see the open issue). */
#include "../cli.h"

int cmd_weblist(int argc, char **argv)
{
	cli_error("weblist: not available yet");
	return EXIT_USAGE;
}
