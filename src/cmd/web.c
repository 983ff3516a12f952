/* hearth web: not written yet (see the open issue). */
#include "../cli.h"

int cmd_web(int argc, char **argv)
{
	cli_error("web: not available yet");
	return EXIT_USAGE;
}
