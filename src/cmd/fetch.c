/* hearth fetch: every profile of a Go program at once, into a dated
 * directory with an index.  The timed ones (cpu, trace) run concurrently
 * with the instant ones: one thread drives every transfer through
 * hearth_http_get_many (libcurl's multi interface). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../cli.h"
#include "hearth/fetch.h"
#include "hearth/io.h"

static const char usage[] =
    "usage: hearth fetch [-o DIR] [-seconds N] [-timeout N] [-max_size BYTES] [-q] host:port\n"
    "\n"
    "Collects every profile of a Go program's net/http/pprof endpoints at\n"
    "once: cpu, heap, allocs, goroutine (proto and debug=2 text), block,\n"
    "mutex, threadcreate and an execution trace.  They go into a new\n"
    "directory DIR/<host>_<port>-<YYYYmmdd-HHMMSS> (DIR is . by default)\n"
    "with index.txt naming each file.  The cpu profile and the trace last\n"
    "-seconds (default 30); the rest are taken meanwhile.  On a terminal the\n"
    "seconds left are shown on stderr; -q is silent.  The source may be a\n"
    "URL (http://host:port, https://...); its path is ignored.\n";

typedef struct {
	const char *name, *path, *query, *file;
	bool timed;
	/* Filled as the transfer finishes. */
	hearth_err err;
	char msg[512];
	size_t size;
} job;

static job jobs[] = {
    {.name = "cpu", .path = "profile", .query = "", .file = "cpu.pb.gz", .timed = true},
    {.name = "trace", .path = "trace", .query = "", .file = "trace.out", .timed = true},
    {.name = "heap", .path = "heap", .query = "", .file = "heap.pb.gz", .timed = false},
    {.name = "allocs", .path = "allocs", .query = "", .file = "allocs.pb.gz", .timed = false},
    {.name = "goroutine",
     .path = "goroutine",
     .query = "",
     .file = "goroutine.pb.gz",
     .timed = false},
    {.name = "goroutine-debug2",
     .path = "goroutine",
     .query = "debug=2",
     .file = "goroutine.txt",
     .timed = false},
    {.name = "block", .path = "block", .query = "", .file = "block.pb.gz", .timed = false},
    {.name = "mutex", .path = "mutex", .query = "", .file = "mutex.pb.gz", .timed = false},
    {.name = "threadcreate",
     .path = "threadcreate",
     .query = "",
     .file = "threadcreate.pb.gz",
     .timed = false},
};
enum { NJOBS = sizeof(jobs) / sizeof(jobs[0]) };

typedef struct {
	const char *outdir, *host;
	hearth_http_req *reqs;
	int seconds;
	bool tty;
	double t0;
} fetch_run;

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A profile received: written to its file at once, its memory let go. */
static void on_done(void *ctx, hearth_http_req *r)
{
	fetch_run *f = ctx;
	job *j = &jobs[r - f->reqs];
	hearth_errbuf eb = r->eb;
	hearth_err err = r->err;
	if (!err) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", f->outdir, j->file);
		err = hearth_write_bytes(path, r->body, r->n, &eb);
	}
	j->err = err;
	if (err)
		snprintf(j->msg, sizeof(j->msg), "%s", eb.msg[0] ? eb.msg : hearth_strerror(err));
	j->size = r->n;
	free(r->body);
	r->body = NULL;
}

/* Progress: the seconds left of the timed parts, on a terminal. */
static void on_tick(void *ctx, size_t finished, size_t total)
{
	fetch_run *f = ctx;
	if (!f->tty)
		return;
	int left = f->seconds - (int)(now_s() - f->t0);
	fprintf(stderr, "\rfetch %s: %zu of %zu profiles, cpu and trace: %ds left   ", f->host,
		finished, total, left > 0 ? left : 0);
}

int cmd_fetch(int argc, char **argv)
{
	const char *dir = ".", *source = NULL;
	int seconds = 30, timeout = 0;
	size_t max_size = 0;
	bool quiet = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *name = a + (a[0] == '-') + (a[0] == '-' && a[1] == '-');
		const char *eq = a[0] == '-' ? strchr(name, '=') : NULL;
		size_t nl = eq ? (size_t)(eq - name) : strlen(name);
		const char *v = eq ? eq + 1 : NULL;
#define IS(s) (a[0] == '-' && nl == strlen(s) && !strncmp(name, s, nl))
		if (IS("h") || IS("help")) {
			fputs(usage, stdout);
			return EXIT_OK;
		}
		if (IS("q")) {
			quiet = true;
			continue;
		}
		if (IS("o") || IS("seconds") || IS("timeout") || IS("max_size")) {
			if (!v) {
				if (i + 1 >= argc) {
					cli_error("option -%.*s needs a value", (int)nl, name);
					return EXIT_USAGE;
				}
				v = argv[++i];
			}
			if (IS("o")) {
				dir = v;
				continue;
			}
			hearth_opts o;
			hearth_opts_init(&o);
			hearth_errbuf eb = {{0}};
			char nm[16];
			snprintf(nm, sizeof(nm), "%.*s", (int)nl, name);
			if (hearth_opts_set(&o, nm, v, &eb)) {
				cli_error("%s", eb.msg);
				return EXIT_USAGE;
			}
			if (IS("seconds"))
				seconds = o.seconds;
			else if (IS("timeout"))
				timeout = o.timeout;
			else
				max_size = o.max_size;
			continue;
		}
#undef IS
		if (a[0] == '-') {
			cli_error("fetch: unknown option %s (see hearth fetch -h)", a);
			return EXIT_USAGE;
		}
		if (source) {
			cli_error("fetch: one host:port at a time");
			return EXIT_USAGE;
		}
		source = a;
	}
	if (!source) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (seconds <= 0)
		seconds = 30;

	/* The base URL: scheme and host of the source, its path dropped. */
	double t;
	bool insecure;
	char *u = hearth_url_adjust(source, 0, 0, &t, &insecure);
	if (!u) {
		cli_error("fetch: %s is not host:port or a URL", source);
		return EXIT_USAGE;
	}
	char *host = strstr(u, "://") + 3;
	host[strcspn(host, "/?#")] = 0;

	/* DIR/<host>_<port>-<date>: the colon would trouble other tools. */
	char stamp[32], hostname[256];
	time_t now = time(NULL);
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", localtime(&now));
	snprintf(hostname, sizeof(hostname), "%s", host);
	for (char *c = hostname; *c; c++)
		if (*c == ':' || *c == '/' || *c == '[' || *c == ']')
			*c = '_';
	static char dirbuf[4096];
	snprintf(dirbuf, sizeof(dirbuf), "%s/%s-%s", dir, hostname, stamp);
	mkdir(dir, 0755);
	if (mkdir(dirbuf, 0755) != 0 && errno != EEXIST) {
		cli_error("fetch: cannot create %s: %s", dirbuf, strerror(errno));
		free(u);
		return EXIT_BAD_INPUT;
	}

	hearth_http_req reqs[NJOBS];
	char *urls[NJOBS] = {0};
	int started = 0;
	for (int k = 0; k < NJOBS; k++) {
		job *j = &jobs[k];
		char q[64];
		if (j->timed)
			snprintf(q, sizeof(q), "?seconds=%d", seconds);
		else
			snprintf(q, sizeof(q), "%s%s", j->query[0] ? "?" : "", j->query);
		size_t n = strlen(u) + strlen(j->path) + strlen(q) + 16;
		if (!(urls[k] = malloc(n)))
			break;
		snprintf(urls[k], n, "%s/debug/pprof/%s%s", u, j->path, q);
		reqs[k] = (hearth_http_req){.url = urls[k]};
		reqs[k].ho.max_size = max_size;
		reqs[k].ho.insecure = insecure;
		reqs[k].ho.timeout_s = timeout > 0 ? timeout : j->timed ? seconds * 1.5 + 5 : 60;
		started++;
	}
	fetch_run run = {.outdir = dirbuf,
			 .host = host,
			 .reqs = reqs,
			 .seconds = seconds,
			 .tty = !quiet && isatty(2),
			 .t0 = now_s()};
	hearth_errbuf geb = {{0}};
	if (hearth_http_get_many(reqs, (size_t)started, on_done, on_tick, &run, &geb)) {
		cli_error("fetch: %s", geb.msg);
		for (int k = 0; k < started; k++)
			free(urls[k]);
		free(u);
		return EXIT_BAD_INPUT;
	}
	if (run.tty)
		fprintf(stderr, "\r%*s\r", 70, "");

	/* index.txt: name, file, bytes, url, and "ok" or the error. */
	char ipath[4200];
	snprintf(ipath, sizeof(ipath), "%s/index.txt", dirbuf);
	hearth_buf idx = {0};
	char line[1024];
	int failed = started < NJOBS ? NJOBS - started : 0;
	snprintf(line, sizeof(line), "# hearth fetch %s at %s, -seconds=%d\n", u, stamp, seconds);
	hearth_buf_puts(&idx, line);
	for (int k = 0; k < started; k++) {
		job *j = &jobs[k];
		snprintf(line, sizeof(line), "%s\t%s\t%zu\t%s\t%s\n", j->name,
			 j->err ? "-" : j->file, j->err ? 0 : j->size, urls[k],
			 j->err ? j->msg : "ok");
		hearth_buf_puts(&idx, line);
		if (j->err) {
			/* Failures are told even with -q, which silences progress. */
			failed++;
			fprintf(stderr, "hearth: fetch %s: %s\n", urls[k], j->msg);
		}
	}
	hearth_errbuf eb = {{0}};
	int rc = failed ? EXIT_BAD_INPUT : EXIT_OK;
	if (hearth_write_bytes(ipath, idx.data, idx.len, &eb)) {
		cli_error("%s", eb.msg);
		rc = EXIT_BAD_INPUT;
	}
	if (!quiet)
		printf("%s\n", dirbuf);
	hearth_buf_free(&idx);
	for (int k = 0; k < NJOBS; k++)
		free(urls[k]);
	free(u);
	return rc;
}
