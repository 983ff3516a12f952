/* hearth: a thin dispatcher; each command lives in src/cmd/<command>.c,
 * pprof's own form (`hearth -top file`, the shell) in src/pprof.c. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "pprof.h"
#include "util.h"

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
	{"web", cmd_web},     {"token", cmd_token}, {"fleet", cmd_fleet}, {"serve", cmd_serve},
	{"godebug", cmd_godebug}, {"scrape", cmd_scrape}, {"trace", cmd_trace}, {"version", cmd_version},
};

/* Whether this run is worth executing again with huge pages for malloc
 * (hearth_hugepages_reexec, lib/util.c): the servers, which live long and
 * hold their profiles, and commands given 8 MB of files or more. The exec
 * costs a process start again (about 40 ms on the 2-core machine, most of
 * it the shared libraries' relocations); the pages it saves pay for it
 * from about 3 MB of gzipped profile on (mid.cpu: even), so small files
 * and `hearth version` start once. */
static bool wants_hugepages(int argc, char **argv)
{
	static const char *const servers[] = {"serve", "web", "scrape", "fleet"};
	for (size_t i = 0; i < sizeof(servers) / sizeof(servers[0]); i++)
		if (!strcmp(argv[1], servers[i]))
			return true;
	off_t total = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (!strncmp(argv[i], "-http", 5) || !strncmp(argv[i], "--http", 6))
			return true;
		if (argv[i][0] != '-' && stat(argv[i], &st) == 0 && S_ISREG(st.st_mode) &&
		    (total += st.st_size) >= (off_t)8 << 20)
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && wants_hugepages(argc, argv))
		hearth_hugepages_reexec(argv);
	if (argc < 2) {
		cmd_help(0, NULL);
		return EXIT_USAGE;
	}
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "-help"))
		return cmd_help(0, NULL);
	if (!strcmp(cmd, "--version") || !strcmp(cmd, "-version"))
		return cmd_version(argc - 1, argv + 1);
	/* The servers' graph layouts, run as a child process (server/layout.c):
	 * not a command for people, so not listed. */
	if (!strcmp(cmd, HEARTH_LAYOUT_CMD))
		return cmd_layout(argc - 1, argv + 1);
	/* hearth help CMD: that command's own -h. */
	if (!strcmp(cmd, "help") && argc > 2) {
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			if (!strcmp(argv[2], commands[i].name) && strcmp(argv[2], "help")) {
				char *h[] = {argv[2], "-h", NULL};
				return commands[i].run(2, h);
			}
		const char *names[sizeof(commands) / sizeof(commands[0]) + 1];
		for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
			names[i] = commands[i].name;
		names[sizeof(commands) / sizeof(commands[0])] = NULL;
		const char *near = pprof_did_you_mean(argv[2], names);
		cli_error("help: unknown command \"%s\"%s%s%s", argv[2], near ? " (did you mean " : "",
			  near ? near : "", near ? "?)" : "");
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	/* pprof's own form: flags first, or a profile (file, URL) as the first
	 * argument: `hearth -top cpu.pb.gz`, `hearth ./prog cpu.pb.gz`. */
	if (cmd[0] == '-' || strchr(cmd, '/') || strchr(cmd, '.') || strchr(cmd, ':') ||
	    access(cmd, F_OK) == 0)
		return cmd_pprof(argc, argv);
	const char *names[sizeof(commands) / sizeof(commands[0]) + 1];
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		names[i] = commands[i].name;
	names[sizeof(commands) / sizeof(commands[0])] = NULL;
	const char *near = pprof_did_you_mean(cmd, names);
	if (near)
		cli_error("unknown command \"%s\" (did you mean %s? see hearth help)", cmd, near);
	else
		cli_error("unknown command \"%s\" (see hearth help)", cmd);
	return EXIT_USAGE;
}
