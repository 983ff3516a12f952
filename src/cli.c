/* Argument parsing and source loading for every report command. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "hearth/save.h"
#include "hearth/sources.h"

void cli_error(const char *fmt, ...)
{
	va_list ap;
	fputs("hearth: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_parse(int argc, char **argv, cli_args *a)
{
	hearth_errbuf eb = {{0}};
	memset(a, 0, sizeof(*a));
	a->command = argv[0];
	hearth_opts_init(&a->opts);
	a->sources = calloc((size_t)argc + 1, sizeof(char *));
	if (!a->sources) {
		cli_error("out of memory");
		return EXIT_BAD_INPUT;
	}
	bool opts_done = false;
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];
		if (opts_done || arg[0] != '-' || arg[1] == 0) {
			a->sources[a->nsources++] = arg;
			continue;
		}
		if (!strcmp(arg, "--")) {
			opts_done = true;
			continue;
		}
		const char *name = arg + 1 + (arg[1] == '-');
		if (!strcmp(name, "h") || !strcmp(name, "help")) {
			a->help = true;
			continue;
		}
		char *eq = strchr(name, '=');
		char namebuf[64];
		const char *value = NULL;
		if (eq) {
			size_t n = (size_t)(eq - name);
			if (n >= sizeof(namebuf)) {
				cli_error("%s: unknown option", arg);
				return EXIT_USAGE;
			}
			memcpy(namebuf, name, n);
			namebuf[n] = 0;
			name = namebuf;
			value = eq + 1;
		} else if (!hearth_opts_is_flag(name)) {
			/* "-focus regexp", as Go's flag package also accepts. */
			if (i + 1 >= argc) {
				cli_error("option -%s needs a value", name);
				return EXIT_USAGE;
			}
			value = argv[++i];
		}
		if (hearth_opts_set(&a->opts, name, value, &eb) != HEARTH_OK) {
			cli_error("%s", eb.msg);
			return EXIT_USAGE;
		}
	}
	return EXIT_OK;
}

void cli_args_free(cli_args *a)
{
	free(a->sources);
	a->sources = NULL;
}

static void cli_warn(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s\n", line);
}

void cli_save_fetched(const char *const *sources, int n, const hearth_opts *o,
		      const hearth_profile *p)
{
	char path[4096];
	hearth_errbuf eb = {{0}};
	if (!hearth_any_url(sources, n) && !hearth_any_url(o->base, o->nbase) &&
	    !hearth_any_url(o->diff_base, o->ndiff_base))
		return;
	if (hearth_save_fetched(p, path, sizeof(path), &eb) == HEARTH_OK)
		fprintf(stderr, "Saved profile in %s\n", path);
	else
		fprintf(stderr, "Could not save profile: %s\n", eb.msg);
}

int cli_load(const cli_args *a, hearth_profile **out)
{
	hearth_errbuf eb = {{0}};
	if (a->nsources == 0) {
		cli_error("%s: no profile given (usage: hearth %s [options] <source>...)", a->command,
			  a->command);
		return EXIT_USAGE;
	}
	hearth_opts o = a->opts;
	o.warn = cli_warn;
	if (!o.token) /* server sources: the token from the environment */
		o.token = getenv("HEARTH_TOKEN");
	hearth_err err = hearth_load_sources(a->sources, a->nsources, &o, out, &eb);
	if (err) {
		cli_error("%s", eb.msg[0] ? eb.msg : hearth_strerror(err));
		return err == HEARTH_EINVAL ? EXIT_USAGE : EXIT_BAD_INPUT;
	}
	return EXIT_OK;
}

int cli_stdout_sink(void *ctx, const char *data, size_t n)
{
	(void)ctx;
	return fwrite(data, 1, n, stdout) == n ? 0 : -1;
}

int cli_write_stdout(const hearth_buf *b)
{
	if (b->oom) {
		cli_error(b->flush ? "writing output: %s" : "out of memory", strerror(errno));
		return EXIT_BAD_INPUT;
	}
	if (b->len && fwrite(b->data, 1, b->len, stdout) != b->len) {
		cli_error("writing output: %s", strerror(errno));
		return EXIT_BAD_INPUT;
	}
	if (fflush(stdout) != 0) {
		cli_error("writing output: %s", strerror(errno));
		return EXIT_BAD_INPUT;
	}
	return EXIT_OK;
}

const char *cli_goroot(void)
{
	static char goroot[4096];
	static bool done;
	if (!done) {
		done = true;
		const char *env = getenv("GOROOT");
		if (env && *env) {
			snprintf(goroot, sizeof(goroot), "%s", env);
		} else {
			FILE *f = popen("go env GOROOT 2>/dev/null", "r");
			if (f) {
				if (!fgets(goroot, sizeof(goroot), f))
					goroot[0] = 0;
				pclose(f);
				goroot[strcspn(goroot, "\n")] = 0;
			}
			if (!goroot[0] && access("/usr/lib/go/src", F_OK) == 0)
				snprintf(goroot, sizeof(goroot), "/usr/lib/go");
		}
	}
	return goroot[0] ? goroot : NULL;
}

void cli_set_goroot(hearth_opts *o)
{
	o->goroot = cli_goroot();
}
