/* hearth godebug: the summary of GODEBUG=gctrace=1,schedtrace=N logs, and
 * their charts (lib/runtime/godebug.c reads them). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"
#include "hearth/godebug.h"
#include "hearth/io.h"

static const char usage[] =
    "usage: hearth godebug [-o FILE.svg|FILE.html] [-json] LOG...\n"
    "\n"
    "Reads what a Go program writes to standard error under\n"
    "GODEBUG=gctrace=1 and schedtrace=N (with or without scheddetail=1), of\n"
    "any Go version from 1.19 on, mixed with the program's own output, and\n"
    "prints a summary per log: collections and their rate, GC CPU share,\n"
    "stop-the-world pauses (p50, p99, max), the heap's live size and goal\n"
    "over time, goroutines, run queues, threads and idle Ps, the scavenger.\n"
    "Lines that are not the runtime's are counted, never fatal.  LOG may be\n"
    "- for standard input.\n"
    "\n"
    "  -o FILE   also write charts: FILE.svg, or FILE.html (one self-contained\n"
    "            page with the summaries)\n"
    "  -json     print the summary and every parsed line as JSON instead\n";

static int read_log(const char *path, hearth_godebug *g)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	if (!f) {
		cli_error("%s: %s", path, strerror(errno));
		return EXIT_BAD_INPUT;
	}
	static char chunk[1 << 20];
	hearth_errbuf eb = {{0}};
	hearth_err err = HEARTH_OK;
	size_t n;
	while (!err && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		err = hearth_godebug_feed(g, chunk, n, &eb);
	bool rerr = ferror(f);
	if (f != stdin)
		fclose(f);
	if (!err && rerr) {
		cli_error("%s: read error", path);
		return EXIT_BAD_INPUT;
	}
	if (!err)
		err = hearth_godebug_finish(g, &eb);
	if (err) {
		cli_error("%s: %s", path, eb.msg[0] ? eb.msg : hearth_strerror(err));
		return EXIT_BAD_INPUT;
	}
	return EXIT_OK;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && !strcasecmp(s + n - m, suf);
}

int cmd_godebug(int argc, char **argv)
{
	const char *out = NULL;
	bool json = false;
	const char **files = calloc((size_t)argc + 1, sizeof(char *));
	int nfiles = 0, rc = EXIT_OK;
	hearth_godebug *logs = NULL;
	if (!files) {
		cli_error("out of memory");
		return EXIT_BAD_INPUT;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-' || !a[1]) {
			files[nfiles++] = a;
			continue;
		}
		const char *name = a + 1 + (a[1] == '-');
		if (!strcmp(name, "h") || !strcmp(name, "help")) {
			fputs(usage, stdout);
			goto out;
		} else if (!strcmp(name, "json")) {
			json = true;
		} else if (!strcmp(name, "o") || !strcmp(name, "output")) {
			if (i + 1 >= argc) {
				cli_error("godebug: -o needs a file name");
				rc = EXIT_USAGE;
				goto out;
			}
			out = argv[++i];
		} else if (!strncmp(name, "o=", 2) || !strncmp(name, "output=", 7)) {
			out = strchr(name, '=') + 1;
		} else if (!strcmp(name, "")) {
			/* "--": the rest are files. */
			while (++i < argc)
				files[nfiles++] = argv[i];
		} else {
			cli_error("godebug: unknown option %s (see hearth godebug -h)", a);
			rc = EXIT_USAGE;
			goto out;
		}
	}
	if (!nfiles) {
		fputs(usage, stderr);
		rc = EXIT_USAGE;
		goto out;
	}
	if (out && !ends_with(out, ".svg") && !ends_with(out, ".html") && !ends_with(out, ".htm")) {
		cli_error("godebug: -o %s: the name must end in .svg or .html", out);
		rc = EXIT_USAGE;
		goto out;
	}
	if (!(logs = calloc((size_t)nfiles, sizeof(*logs)))) {
		cli_error("out of memory");
		rc = EXIT_BAD_INPUT;
		goto out;
	}
	for (int i = 0; i < nfiles; i++) {
		hearth_godebug_init(&logs[i]);
		if ((rc = read_log(files[i], &logs[i])))
			goto out;
	}
	hearth_buf b = {.flush = cli_stdout_sink};
	for (int i = 0; i < nfiles; i++) {
		if (json)
			hearth_godebug_write_json(&logs[i], files[i], &b);
		else {
			if (i)
				hearth_buf_puts(&b, "\n");
			hearth_godebug_write_text(&logs[i], files[i], &b);
		}
	}
	hearth_buf_flush(&b);
	bool oom = b.oom;
	hearth_buf_free(&b);
	if (oom) {
		cli_error("godebug: cannot write the summary");
		rc = EXIT_BAD_INPUT;
		goto out;
	}
	if (out) {
		const hearth_godebug **lp = calloc((size_t)nfiles, sizeof(*lp));
		hearth_buf c = {0};
		hearth_errbuf eb = {{0}};
		if (!lp) {
			cli_error("out of memory");
			rc = EXIT_BAD_INPUT;
			goto out;
		}
		for (int i = 0; i < nfiles; i++)
			lp[i] = &logs[i];
		if (ends_with(out, ".svg"))
			hearth_godebug_write_svg(lp, files, (size_t)nfiles, &c);
		else
			hearth_godebug_write_html(lp, files, (size_t)nfiles, &c);
		free(lp);
		if (c.oom) {
			cli_error("godebug: out of memory writing %s", out);
			rc = EXIT_BAD_INPUT;
		} else if (hearth_write_bytes(out, c.data, c.len, &eb)) {
			cli_error("%s", eb.msg);
			rc = EXIT_BAD_INPUT;
		}
		hearth_buf_free(&c);
	}
out:
	if (logs)
		for (int i = 0; i < nfiles; i++)
			hearth_godebug_free(&logs[i]);
	free(logs);
	free(files);
	return rc;
}
