/* hearth trace: Go execution traces (lib/runtime/trace*.c): goroutines by
 * start function, the blocking profiles of go tool trace -pprof, MMU, and
 * Chrome's trace-event JSON. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../cli.h"
#include "hearth/io.h"
#include "hearth/trace.h"

static const char usage[] =
    "usage: hearth trace [-pprof=net|sync|syscall|sched [-output FILE]] [-chrome FILE.json]\n"
    "                    [-mmu=FLAGS] [-tool=go1.19|newest] [-json] [-max_size BYTES]\n"
    "                    [-q] TRACE\n"
    "\n"
    "Reads an execution trace of Go 1.19 or of Go 1.22 and later (runtime/trace,\n"
    "/debug/pprof/trace) and prints what go tool trace shows of it:\n"
    "the goroutines grouped by start function (count, execution, network wait,\n"
    "sync block, syscall, scheduler wait, GC), and the minimum mutator\n"
    "utilization.\n"
    "\n"
    "  -pprof=KIND    write the blocking profile go tool trace -pprof=KIND\n"
    "                 writes, as gzipped profile.proto every hearth report reads:\n"
    "                 net (network wait), sync (channels, select, sync), syscall,\n"
    "                 sched (scheduler wait); to standard output or -output FILE\n"
    "  -chrome FILE   write Chrome's trace-event JSON (Perfetto, chrome://tracing)\n"
    "  -json          print the goroutine groups and the MMU as JSON (times in ns)\n"
    "  -mmu=FLAGS     what counts against the program in the MMU, go tool trace's\n"
    "                 /mmu options joined by | or ,: stw, background, assist,\n"
    "                 sweep, perProc (default stw|background|assist)\n"
    "  -tool=T        on a Go 1.19 trace, agree with Go 1.19's go tool trace\n"
    "                 (go1.19, the default) or the newest one (newest) on the\n"
    "                 -pprof profiles and the MMU\n"
    "  -max_size N    cap on the bytes held at once: one generation, or a whole\n"
    "                 Go 1.19 trace (1 GiB)\n"
    "  -q             no progress on the terminal\n";

static const char *kinds[HEARTH_TRACE_NPROF] = {"net", "sync", "syscall", "sched"};

static void on_progress(void *ctx, uint64_t done, uint64_t total)
{
	(void)ctx;
	if (total)
		fprintf(stderr, "\rtrace: %llu of %llu MB read   ",
			(unsigned long long)(done >> 20), (unsigned long long)(total >> 20));
	else
		fprintf(stderr, "\rtrace: %llu MB read   ", (unsigned long long)(done >> 20));
}

static int file_sink(void *ctx, const char *data, size_t n)
{
	return fwrite(data, 1, n, (FILE *)ctx) == n ? 0 : 1;
}

int cmd_trace(int argc, char **argv)
{
	const char *file = NULL, *output = NULL, *chrome = NULL;
	int kind = -1;
	bool quiet = false, json = false;
	uint64_t max_size = 0;
	unsigned mmu = 0;
	bool newest_tool = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (a[0] != '-' || !a[1]) {
			if (file) {
				cli_error("trace: one trace at a time");
				return EXIT_USAGE;
			}
			file = a;
			continue;
		}
		const char *name = a + 1 + (a[1] == '-');
		const char *eq = strchr(name, '=');
		size_t nl = eq ? (size_t)(eq - name) : strlen(name);
		const char *v = eq ? eq + 1 : NULL;
#define IS(s) (nl == strlen(s) && !strncmp(name, s, nl))
		if (IS("h") || IS("help")) {
			fputs(usage, stdout);
			return EXIT_OK;
		}
		if (IS("q")) {
			quiet = true;
			continue;
		}
		if (IS("json")) {
			json = true;
			continue;
		}
		if (IS("pprof") || IS("output") || IS("o") || IS("chrome") || IS("max_size") ||
		    IS("mmu") || IS("tool")) {
			if (!v) {
				if (i + 1 >= argc) {
					cli_error("trace: -%.*s needs a value", (int)nl, name);
					return EXIT_USAGE;
				}
				v = argv[++i];
			}
			if (IS("pprof")) {
				kind = -1;
				for (int k = 0; k < HEARTH_TRACE_NPROF; k++)
					if (!strcmp(v, kinds[k]))
						kind = k;
				if (kind < 0) {
					cli_error(
					    "trace: -pprof=%s: the kinds are net, sync, syscall "
					    "and sched",
					    v);
					return EXIT_USAGE;
				}
			} else if (IS("output") || IS("o")) {
				output = v;
			} else if (IS("chrome")) {
				chrome = v;
			} else if (IS("tool")) {
				if (!strcmp(v, "newest"))
					newest_tool = true;
				else if (!strcmp(v, "go1.19") || !strcmp(v, "1.19"))
					newest_tool = false;
				else {
					cli_error("trace: -tool=%s: go1.19 or newest", v);
					return EXIT_USAGE;
				}
			} else if (IS("mmu")) {
				static const struct {
					const char *name;
					unsigned flag;
				} fl[] = {{"stw", HEARTH_MMU_STW},
					  {"background", HEARTH_MMU_BACKGROUND},
					  {"assist", HEARTH_MMU_ASSIST},
					  {"sweep", HEARTH_MMU_SWEEP},
					  {"perProc", HEARTH_MMU_PERPROC},
					  {"perproc", HEARTH_MMU_PERPROC}};
				mmu = 0;
				for (const char *q = v; *q;) {
					size_t n = strcspn(q, "|,");
					size_t j = 0;
					while (
					    j < sizeof(fl) / sizeof(fl[0]) &&
					    (strlen(fl[j].name) != n || strncmp(fl[j].name, q, n)))
						j++;
					if (j == sizeof(fl) / sizeof(fl[0])) {
						cli_error("trace: -mmu=%s: the flags are stw, "
							  "background, assist, sweep and perProc",
							  v);
						return EXIT_USAGE;
					}
					mmu |= fl[j].flag;
					q += n + (q[n] != 0);
				}
				if (!mmu)
					mmu = HEARTH_MMU_NONE;
			} else {
				char *end;
				errno = 0;
				unsigned long long n = strtoull(v, &end, 10);
				if (errno || *end || !n) {
					cli_error("trace: -max_size=%s is no size in bytes", v);
					return EXIT_USAGE;
				}
				max_size = n;
			}
			continue;
		}
#undef IS
		cli_error("trace: unknown option %s (see hearth trace -h)", a);
		return EXIT_USAGE;
	}
	if (!file) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (output && kind < 0) {
		cli_error("trace: -output goes with -pprof");
		return EXIT_USAGE;
	}
	FILE *f = strcmp(file, "-") ? fopen(file, "rb") : stdin;
	if (!f) {
		cli_error("%s: %s", file, strerror(errno));
		return EXIT_BAD_INPUT;
	}
	struct stat sb;
	uint64_t size = f != stdin && !fstat(fileno(f), &sb) ? (uint64_t)sb.st_size : 0;
	int rc = EXIT_OK;
	FILE *cf = NULL;
	char ctmp[4096];
	hearth_buf cb = {0};
	hearth_trace_opts o = {
	    .max_generation = max_size, .mmu_flags = mmu, .newest_tool = newest_tool};
	if (chrome) {
		/* Streamed into a temporary file renamed into place at the end,
		 * so a failure leaves no partial file. */
		snprintf(ctmp, sizeof(ctmp), "%s.tmp%d", chrome, (int)getpid());
		if (!(cf = fopen(ctmp, "wb"))) {
			cli_error("%s: %s", chrome, strerror(errno));
			fclose(f);
			return EXIT_BAD_INPUT;
		}
		cb.flush = file_sink;
		cb.ctx = cf;
		o.chrome = &cb;
	}
	if (!quiet && isatty(2)) {
		o.progress = on_progress;
	}
	hearth_trace *t = NULL;
	hearth_errbuf eb = {{0}};
	hearth_err err = hearth_trace_read(f, size, &o, &t, &eb);
	if (f != stdin)
		fclose(f);
	if (o.progress)
		fputs("\r                                        \r", stderr);
	if (cf) {
		hearth_buf_flush(&cb);
		bool bad = cb.oom || ferror(cf);
		bad |= fclose(cf) != 0;
		hearth_buf_free(&cb);
		if (!err && bad) {
			cli_error("%s: cannot write", chrome);
			rc = EXIT_BAD_INPUT;
		}
		if (err || bad)
			unlink(ctmp);
		else if (rename(ctmp, chrome)) {
			cli_error("%s: %s", chrome, strerror(errno));
			unlink(ctmp);
			rc = EXIT_BAD_INPUT;
		}
	}
	if (err) {
		cli_error("%s: %s", file, eb.msg[0] ? eb.msg : hearth_strerror(err));
		return EXIT_BAD_INPUT;
	}
	if (kind >= 0) {
		if (output && strcmp(output, "-")) {
			if (hearth_write_file(t->prof[kind], output, &eb)) {
				cli_error("%s", eb.msg);
				rc = EXIT_BAD_INPUT;
			}
		} else {
			hearth_buf pb = {0};
			uint8_t *gz = NULL;
			size_t gzn = 0;
			if (hearth_proto_encode(t->prof[kind], &pb) || pb.oom ||
			    hearth_gzip((const uint8_t *)pb.data, pb.len, &gz, &gzn) ||
			    fwrite(gz, 1, gzn, stdout) != gzn || fflush(stdout)) {
				cli_error("trace: cannot write the profile");
				rc = EXIT_BAD_INPUT;
			}
			free(gz);
			hearth_buf_free(&pb);
		}
	} else if (!chrome || json || isatty(1)) {
		hearth_buf b = {.flush = cli_stdout_sink};
		if (json) {
			hearth_trace_write_json(t, &b);
		} else {
			hearth_trace_write_goroutines(t, &b);
			hearth_buf_puts(&b, "\n");
			hearth_trace_write_mmu(t, &b);
		}
		hearth_buf_flush(&b);
		hearth_buf_free(&b);
	}
	hearth_trace_free(t);
	return rc;
}
