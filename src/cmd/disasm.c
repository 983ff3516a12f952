/* hearth disasm: not written yet (see the open issue). */
#include "../cli.h"

int cmd_disasm(int argc, char **argv)
{
	cli_error("disasm: not available yet");
	return EXIT_USAGE;
}
