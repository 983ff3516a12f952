/* hearth: a thin dispatcher; each command lives in src/cmd/<command>.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
} commands[] = {
	{"top", cmd_top},     {"text", cmd_top},  {"traces", cmd_traces},
	{"proto", cmd_proto}, {"help", cmd_help},
	{"svg", cmd_svg},     {"pdf", cmd_pdf},   {"png", cmd_png},
	{"tree", cmd_tree},   {"peek", cmd_peek}, {"tags", cmd_tags},
	{"raw", cmd_raw},     {"comments", cmd_comments}, {"callgrind", cmd_callgrind},
	{"dot", cmd_dot},     {"list", cmd_list}, {"topproto", cmd_topproto},
	{"flame", cmd_flame}, {"folded", cmd_folded}, {"speedscope", cmd_speedscope},
	{"fetch", cmd_fetch}, {"disasm", cmd_disasm}, {"weblist", cmd_weblist},
	{"web", cmd_web},     {"token", cmd_token}, {"serve", cmd_serve},
	{"godebug", cmd_godebug}, {"scrape", cmd_scrape}, {"trace", cmd_trace},
};

int main(int argc, char **argv)
{
	if (argc < 2) {
		cmd_help(0, NULL);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "-help"))
		return cmd_help(0, NULL);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	cli_error("unknown command \"%s\" (see hearth help)", cmd);
	return EXIT_USAGE;
}
