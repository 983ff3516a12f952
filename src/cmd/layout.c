/* hearth __layout FORMAT: the child process in which hearth web and hearth
 * serve lay out a call graph (server/layout.c).  Graphviz cannot be
 * interrupted and may take minutes and gigabytes on a large or hostile
 * graph; in a process of its own it can be killed when the request's budget
 * is spent, its client leaves or the server stops, and its memory goes back
 * to the system when it exits. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "../cli.h"
#include "hearth/render.h"

/* The DOT read at most (the server's DOT of nodecount=1000 with capped
 * names is a few megabytes). */
#define MAX_DOT ((size_t)64 << 20)
/* Address space of the layout, when no sanitizer (which reserves terabytes)
 * is built in. */
#define MAX_AS ((rlim_t)4 << 30)
#if defined(__SANITIZE_ADDRESS__)
#define NO_AS_LIMIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NO_AS_LIMIT 1
#endif
#endif

int cmd_layout(int argc, char **argv)
{
	hearth_buf in = {0}, out = {0};
	hearth_errbuf eb = {{0}};
	/* Dies with the server, whatever kills it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
#ifndef NO_AS_LIMIT
	struct rlimit rl = {MAX_AS, MAX_AS};
	setrlimit(RLIMIT_AS, &rl);
#endif
	if (argc != 2) {
		cli_error("usage: hearth %s svg|pdf|png < graph.dot", HEARTH_LAYOUT_CMD);
		return EXIT_USAGE;
	}
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0) {
		if (in.len + n > MAX_DOT) {
			cli_error("layout: the graph is larger than %zu bytes", MAX_DOT);
			return EXIT_BAD_INPUT;
		}
		hearth_buf_put(&in, chunk, n);
	}
	if (in.oom) {
		cli_error("out of memory");
		return EXIT_BAD_INPUT;
	}
	hearth_err err = hearth_render_dot(in.data ? in.data : "", in.len, argv[1], &out, &eb);
	if (!err && out.oom)
		err = hearth_seterr(&eb, HEARTH_ENOMEM, "out of memory");
	if (err) {
		fprintf(stderr, "%s\n", eb.msg[0] ? eb.msg : hearth_strerror(err));
		return EXIT_BAD_INPUT;
	}
	if (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout))
		return EXIT_BAD_INPUT;
	hearth_buf_free(&in);
	hearth_buf_free(&out);
	return EXIT_OK;
}
