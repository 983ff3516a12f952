#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cli.h"
#include "flame_common.h"
#include "hearth/io.h"

/* Takes the flame graph's own flags out of argv (cli_parse knows only
 * pprof's options); returns the new argc, or -1 after printing an error. */
static int take_flags(int argc, char **argv, tree_format *fmt, hearth_flame_opts *fo)
{
	int w = 1;
	bool done = false;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		const char *name = a + 1 + (a[1] == '-');
		if (done || a[0] != '-' || a[1] == 0) {
			argv[w++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			done = true;
			argv[w++] = a;
			continue;
		}
		size_t nl = strcspn(name, "=");
		const char *val = name[nl] == '=' ? name + nl + 1 : NULL;
#define IS(lit) (nl == sizeof(lit) - 1 && !strncmp(name, lit, nl))
		if (IS("html") || IS("svg") || IS("json")) {
			if (val) {
				cli_error("-%.*s takes no value", (int)nl, name);
				return -1;
			}
			*fmt = IS("html") ? TREE_HTML : IS("svg") ? TREE_SVG : TREE_JSON;
		} else if (IS("inverted")) {
			if (val && strcmp(val, "true") && strcmp(val, "false")) {
				cli_error("-inverted=%s: want true or false", val);
				return -1;
			}
			fo->inverted = !val || !strcmp(val, "true");
		} else if (IS("resolution") || IS("title")) {
			if (!val) {
				if (i + 1 >= argc) {
					cli_error("option -%.*s needs a value", (int)nl, name);
					return -1;
				}
				val = argv[++i];
			}
			if (IS("title")) {
				fo->title = val;
			} else {
				char *end;
				errno = 0;
				long r = strtol(val, &end, 10);
				if (*val == 0 || *end || errno || r < 0 || r > 100000000) {
					cli_error("-resolution=%s: want a number of pixels, 0 "
						  "for every frame",
						  val);
					return -1;
				}
				fo->resolution = (int)r;
			}
		} else {
			argv[w++] = a;
		}
#undef IS
	}
	return w;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s && s[1] ? s + 1 : path;
}

int run_tree_report(int argc, char **argv, tree_format fmt, bool flame_flags, const char *usage)
{
	cli_args a;
	hearth_profile *p = NULL;
	hearth_report *r = NULL;
	hearth_flame *f = NULL;
	hearth_errbuf eb = {{0}};
	hearth_flame_opts fo = {.resolution = HEARTH_FLAME_RESOLUTION};
	char title[512] = "";
	int rc;
	if (flame_flags && (argc = take_flags(argc, argv, &fmt, &fo)) < 0)
		return EXIT_USAGE;
	rc = cli_parse(argc, argv, &a);
	bool to_file = rc == EXIT_OK && a.opts.output && strcmp(a.opts.output, "-") != 0;
	hearth_buf out = {.flush = to_file ? NULL : cli_stdout_sink};
	if (rc != EXIT_OK)
		goto done;
	if (a.help) {
		fputs(usage, stdout);
		goto done;
	}
	if (!fo.title && a.nsources > 0) {
		int nb = a.opts.nbase ? a.opts.nbase : a.opts.ndiff_base;
		const char *const *bp = a.opts.nbase ? a.opts.base : a.opts.diff_base;
		snprintf(title, sizeof(title), "%s%s%s%s", base_name(a.sources[0]),
			 a.nsources > 1 ? " and others" : "", nb ? " vs " : "",
			 nb ? base_name(bp[0]) : "");
		fo.title = title;
	}
	/* A diff keeps the two sides apart: -base is loaded as -diff_base
	 * (its samples marked, not summed into equal stacks of the profile),
	 * and each frame gets both values. */
	hearth_opts_base_apart(&a.opts);
	/* The tree sums equal stacks itself, so merged samples may repeat. */
	a.opts.sums_only = true;
	/* The flame graph shows no labels but pprof::base's (kept). */
	a.opts.no_labels = !hearth_report_needs_labels(HEARTH_CMD_TOP, &a.opts);
	if ((rc = cli_load(&a, &p)) != EXIT_OK)
		goto done;
	/* The filters and granularity of `top`: the flame graph shows every
	 * frame left, so top's node trimming does not apply. */
	hearth_err err = hearth_report_new(p, &a.opts, HEARTH_CMD_TOP, &r, &eb);
	p = NULL;
	if (!err) {
		switch (fmt) {
		case TREE_FOLDED:
			err = hearth_report_folded(r, &out, &eb);
			break;
		case TREE_SPEEDSCOPE:
			err = hearth_report_speedscope(r, &out, &eb);
			break;
		default:
			if ((err = hearth_flame_new(r, &fo, &f, &eb)))
				break;
			err = fmt == TREE_HTML	 ? hearth_flame_html(f, &out, &eb)
			      : fmt == TREE_JSON ? hearth_flame_json(f, &out, &eb)
						 : hearth_flame_svg(f, &out, &eb);
		}
	}
	if (r)
		fputs(hearth_report_warnings(r), stderr);
	if (err) {
		cli_error("%s", eb.msg[0] ? eb.msg : hearth_strerror(err));
		rc = err == HEARTH_EINVAL ? EXIT_USAGE : EXIT_BAD_INPUT;
		goto done;
	}
	if (to_file) {
		if (out.oom) {
			cli_error("out of memory");
			rc = EXIT_BAD_INPUT;
		} else if ((err = hearth_write_bytes(a.opts.output, out.data, out.len, &eb))) {
			cli_error("%s", eb.msg[0] ? eb.msg : hearth_strerror(err));
			rc = EXIT_BAD_INPUT;
		}
	} else {
		hearth_buf_flush(&out);
		rc = cli_write_stdout(&out);
	}
done:
	hearth_flame_free(f);
	hearth_report_free(r);
	hearth_profile_free(p);
	hearth_buf_free(&out);
	cli_args_free(&a);
	return rc;
}
