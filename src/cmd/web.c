/* hearth web: the browser as the profiling IDE.  Loads the sources once,
 * then serves the embedded UI (web/) and its JSON API (server/api.c,
 * docs/web.md) until SIGINT or SIGTERM. */
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../server/api.h"
#include "../../server/http.h"
#include "../../server/ui.h"
#include "../cli.h"
#include "hearth/budget.h"

extern char **environ;

static const char usage[] =
    "usage: hearth web [-http=host:port] [-no_browser] [options] <source>...\n"
    "\n"
    "Serves an interactive UI for the profile in the browser: flame graph\n"
    "(icicle, sandwich, search), top table, call graph, source and peek, all\n"
    "driven by the report options, with the view in the page's URL.  The\n"
    "sources are loaded and merged once; every view is computed from them.\n"
    "\n"
    "  -http=host:port   where to listen (default 127.0.0.1:0: a free port on\n"
    "                    this machine only); the URL is printed on stdout\n"
    "  -no_browser       do not open a browser (else xdg-open opens the URL)\n"
    "  -request_timeout=S  seconds of work per request before it stops with\n"
    "                    503 (default 60)\n"
    "  -read_timeout=S   seconds to read a whole request (default 20)\n"
    "\n"
    "Every report option of hearth top (-sample_index, -focus, -lines, ...)\n"
    "sets the defaults of the views; -base/-diff_base make every view a\n"
    "comparison.  On a loopback address only this machine may connect, and\n"
    "only with a loopback Host header.  Ctrl-C stops the server.  The API is\n"
    "described in docs/web.md.\n";

/* -name=S or -name S, S seconds from 1 to 86400: true when argv[*i] is
 * that flag (then *out is set, or *bad). */
static bool seconds_flag(const char *flag, const char *name, int argc, char **argv, int *i,
			 unsigned *out, bool *bad)
{
	size_t n = strlen(flag);
	if (strncmp(name, flag, n) || (name[n] != '=' && name[n]))
		return false;
	const char *v = name[n] == '=' ? name + n + 1 : (*i + 1 < argc ? argv[++*i] : NULL);
	char *end;
	long s = v ? strtol(v, &end, 10) : 0;
	if (!v || !*v || *end || s < 1 || s > 86400) {
		cli_error("-%s wants a number of seconds (1 to 86400)", flag);
		*bad = true;
	} else {
		*out = (unsigned)s;
	}
	return true;
}

/* Takes -http=..., -no_browser, -request_timeout and -read_timeout out of
 * argv; returns the new argc or -1. */
static int take_flags(int argc, char **argv, const char **http, bool *no_browser,
		      unsigned *budget_s, unsigned *read_s)
{
	int w = 1;
	bool done = false;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (done || a[0] != '-' || a[1] == 0) {
			argv[w++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			done = true;
			argv[w++] = a;
			continue;
		}
		const char *name = a + 1 + (a[1] == '-');
		bool bad = false;
		if (seconds_flag("request_timeout", name, argc, argv, &i, budget_s, &bad) ||
		    seconds_flag("read_timeout", name, argc, argv, &i, read_s, &bad)) {
			if (bad)
				return -1;
		} else if (!strncmp(name, "http", 4) && (name[4] == '=' || name[4] == 0)) {
			if (name[4] == '=') {
				*http = name + 5;
			} else if (i + 1 < argc) {
				*http = argv[++i];
			} else {
				cli_error("option -http needs host:port");
				return -1;
			}
		} else if (!strncmp(name, "no_browser", 10) && (name[10] == '=' || !name[10])) {
			const char *v = name[10] ? name + 11 : "true";
			if (!strcmp(v, "true") || !strcmp(v, "1"))
				*no_browser = true;
			else if (!strcmp(v, "false") || !strcmp(v, "0"))
				*no_browser = false;
			else {
				cli_error("-no_browser=%s: want true or false", v);
				return -1;
			}
		} else {
			argv[w++] = a;
		}
	}
	return w;
}

typedef struct {
	pid_t pid;
} opener;

static void *reap_opener(void *arg)
{
	opener *o = arg;
	int st = 0;
	if (waitpid(o->pid, &st, 0) == o->pid && (!WIFEXITED(st) || WEXITSTATUS(st) != 0))
		fprintf(stderr, "hearth: note: could not open a browser (xdg-open failed); "
				"open the URL above yourself\n");
	free(o);
	return NULL;
}

/* xdg-open URL in the background; a failure is only a note. */
static void open_browser(const char *url)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", 0, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
	char *args[] = {"xdg-open", (char *)url, NULL};
	pid_t pid;
	int rc = posix_spawnp(&pid, "xdg-open", &fa, NULL, args, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc != 0) {
		fprintf(stderr,
			"hearth: note: could not open a browser (xdg-open: %s); open "
			"the URL above yourself\n",
			strerror(rc));
		return;
	}
	opener *o = malloc(sizeof(*o));
	pthread_t t;
	if (!o)
		return;
	o->pid = pid;
	if (pthread_create(&t, NULL, reap_opener, o) == 0)
		pthread_detach(t);
	else
		free(o);
}

/* The UI's files, and its API under /api/. */
static void web_handle(void *ctx, const hearth_req *req, hearth_api_resp *resp)
{
	if (!strncmp(req->path, "/api/", 5))
		hearth_api_handle(ctx, req->path + 5, req->query, req->qlen, resp);
	else
		hearth_ui_serve(req->path, resp);
}

int cmd_web(int argc, char **argv)
{
	cli_args a;
	hearth_profile *p = NULL, *pflame = NULL;
	hearth_api *api = NULL;
	hearth_http *http = NULL;
	hearth_errbuf eb = {{0}};
	const char *hostport = "127.0.0.1:0";
	bool no_browser = false, loopback = false;
	char url[128];
	unsigned budget_s = 0, read_s = 0;
	if ((argc = take_flags(argc, argv, &hostport, &no_browser, &budget_s, &read_s)) < 0)
		return EXIT_USAGE;
	int rc = cli_parse(argc, argv, &a);
	if (rc != EXIT_OK)
		goto done;
	if (a.help) {
		fputs(usage, stdout);
		goto done;
	}
	if (a.opts.output) {
		cli_error("web: -output has no meaning here: the views are served, not written");
		rc = EXIT_USAGE;
		goto done;
	}
	/* Each request copies the profile and builds a report: hundreds of
	 * megabytes on a big profile, freed when it is answered.  Large
	 * blocks are mapped and unmapped (a fixed threshold: glibc's moving
	 * one would keep them on the heap) so that memory goes back to the
	 * system between requests instead of piling up in per-thread arenas. */
	mallopt(M_MMAP_THRESHOLD, 1 << 20);
	mallopt(M_ARENA_MAX, 4);
	/* Every view needs sums only (merged samples may repeat). */
	a.opts.sums_only = true;
	if ((rc = cli_load(&a, &p)) != EXIT_OK)
		goto done;
	if (a.opts.nbase) {
		/* The flame graph keeps -base's samples apart, as hearth flame
		 * loads them: a second copy, as -diff_base. */
		cli_args fa = a;
		hearth_opts_base_apart(&fa.opts);
		if ((rc = cli_load(&fa, &pflame)) != EXIT_OK)
			goto done;
	}
	a.opts.goroot = cli_goroot();
	hearth_api_config cfg = {.defaults = a.opts, .sources = a.sources, .nsources = a.nsources};
	api = hearth_api_new(p, pflame, &cfg);
	p = pflame = NULL;
	if (!api) {
		cli_error("out of memory");
		rc = EXIT_BAD_INPUT;
		goto done;
	}
	/* The page's first questions, computed before the address is given out:
	 * the default flame graph at the resolution web/app.js asks for
	 * (6000), into the answer cache, so the first navigation is answered
	 * at once rather than after a report of the whole profile (0.7 s on a
	 * million samples).  A failure here is the request's to report. */
	hearth_api_resp warm = {0};
	hearth_api_handle(api, "flame", "resolution=6000", strlen("resolution=6000"), &warm);
	hearth_api_resp_free(&warm);
	/* The both view (the default on wide windows) asks for the top table
	 * beside it: that too (about 2 s on a million samples otherwise). */
	hearth_api_resp warm_top = {0};
	hearth_api_handle(api, "top", "", 0, &warm_top);
	hearth_api_resp_free(&warm_top);
	/* The server's threads inherit this mask: the signals come to sigwait. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	hearth_http_config hc = {.handler = web_handle,
				 .ctx = api,
				 .flag = "-http",
				 .loopback_guard = true,
				 .same_site_api = true,
				 .budget_s = budget_s,
				 .read_deadline_s = read_s};
	hearth_err err = hearth_http_start(hostport, &hc, &http, url, sizeof(url), &loopback, &eb);
	if (err) {
		cli_error("%s", eb.msg[0] ? eb.msg : hearth_strerror(err));
		rc = err == HEARTH_EINVAL ? EXIT_USAGE : EXIT_BAD_INPUT;
		goto done;
	}
	printf("Serving hearth web on %s\n", url);
	fflush(stdout);
	if (!loopback)
		fprintf(stderr,
			"hearth: note: %s is not a loopback address: anyone who can reach "
			"it can read the profile\n",
			hostport);
	if (!no_browser)
		open_browser(url);
	int sig = 0;
	sigwait(&set, &sig);
	/* Stop promptly: running reports see their budgets spent and end,
	 * layouts are killed; what still runs after a second and a half is
	 * not waited for (the process's memory goes with it). */
	hearth_budget_stop_all();
	if (!hearth_http_quiesce(http, 1500)) {
		fflush(stdout);
		_exit(EXIT_OK);
	}
	rc = EXIT_OK;
done:
	hearth_http_stop(http);
	hearth_api_free(api);
	hearth_profile_free(pflame);
	hearth_profile_free(p);
	cli_args_free(&a);
	return rc;
}
