/* pprof's command-line form: `hearth [flags] [binary] source...`, with an
 * output flag (-top, -list=RE, -svg, -web ...) a one-shot report, with -http
 * `hearth web`, without either the interactive shell (src/shell.c).  The
 * configuration table is pprof's (its names, defaults and spelling of
 * values), so that `o` in the shell lists what pprof lists. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "hearth/fetch.h"
#include "hearth/io.h"
#include "hearth/run.h"
#include "hearth/sources.h"
#include "pprof.h"

extern char **environ;

typedef enum { F_STR, F_BOOL, F_INT, F_FLOAT, F_CHOICE } fkind;

static const char *const sort_choices[] = {"cum", "flat", NULL};
static const char *const gran_choices[] = {"functions", "filefunctions", "files",
					   "lines",	"addresses",	 NULL};

static const struct {
	const char *name;
	fkind kind;
	const char *def;
	const char *const *choices;
	const char *help;
} fields[PCFG_NFIELDS] = {
    {"output", F_STR, "", NULL, "Output filename for file-based outputs"},
    {"call_tree", F_BOOL, "false", NULL, "Separate the contexts of each function (graphs)"},
    {"relative_percentages", F_BOOL, "false", NULL,
     "Percentages relative to the focused samples, not the whole profile"},
    {"unit", F_STR, "minimum", NULL, "Unit to show values in (ms, MB, auto ...)"},
    {"compact_labels", F_BOOL, "false", NULL, "Leave the profile's labels out of the header"},
    {"source_path", F_STR, "", NULL, "Search path for source files"},
    {"trim_path", F_STR, "", NULL, "Path to trim from source paths before search"},
    {"intel_syntax", F_BOOL, "false", NULL, "Intel syntax in disasm and weblist"},
    {"mean", F_BOOL, "false", NULL, "Average sample value over the first value (count)"},
    {"sample_index", F_STR, "", NULL, "Sample value to report (0-based index or name)"},
    {"divide_by", F_FLOAT, "1", NULL, "Divide every value by this number"},
    {"normalize", F_BOOL, "false", NULL, "Scale the profile to the base profile's total"},
    {"sort", F_CHOICE, "flat", sort_choices, "Sort entries by flat or cumulative weight"},
    {"tagroot", F_STR, "", NULL, "Label keys to add as frames at the root"},
    {"tagleaf", F_STR, "", NULL, "Label keys to add as frames at the leaf"},
    {"drop_negative", F_BOOL, "false", NULL, "Leave out entries with negative values"},
    {"nodecount", F_INT, "-1", NULL, "Max number of nodes to show"},
    {"nodefraction", F_FLOAT, "0.005", NULL, "Hide nodes below <f>*total"},
    {"edgefraction", F_FLOAT, "0.001", NULL, "Hide edges below <f>*total"},
    {"trim", F_BOOL, "true", NULL, "Honor nodefraction/edgefraction/nodecount defaults"},
    {"focus", F_STR, "", NULL, "Only samples through a frame matching the regexp"},
    {"ignore", F_STR, "", NULL, "Leave out samples through a frame matching the regexp"},
    {"prune_from", F_STR, "", NULL, "Drop the frames below the first match"},
    {"hide", F_STR, "", NULL, "Leave out the frames matching the regexp"},
    {"show", F_STR, "", NULL, "Only the frames matching the regexp"},
    {"show_from", F_STR, "", NULL, "Drop the frames above the highest match"},
    {"tagfocus", F_STR, "", NULL, "Only samples with labels in the range or matching"},
    {"tagignore", F_STR, "", NULL, "Leave out samples with labels in the range or matching"},
    {"tagshow", F_STR, "", NULL, "Only the labels matching the regexp"},
    {"taghide", F_STR, "", NULL, "Leave out the labels matching the regexp"},
    {"noinlines", F_BOOL, "false", NULL, "Attribute inlined calls to their callers"},
    {"showcolumns", F_BOOL, "false", NULL, "Show column numbers with -lines"},
    {"granularity", F_CHOICE, "", gran_choices, "Aggregate by function, file, line or address"},
    {NULL, F_STR, NULL, NULL, NULL},
    {NULL, F_STR, NULL, NULL, NULL},
};

/* The report commands, with their one-line help (pprof's `help`). */
static const struct {
	const char *name, *help;
} commands[] = {
    {"callgrind", "Outputs a graph in callgrind format"},
    {"comments", "Output all profile comments"},
    {"disasm", "Output assembly listings annotated with samples"},
    {"dot", "Outputs a graph in DOT format"},
    {"eog", "Visualize graph through eog"},
    {"evince", "Visualize graph through evince"},
    {"kcachegrind", "Visualize report in KCachegrind"},
    {"list", "Output annotated source for functions matching regexp"},
    {"pdf", "Outputs a graph in PDF format"},
    {"peek", "Output callers/callees of functions matching regexp"},
    {"png", "Outputs a graph image in PNG format"},
    {"proto", "Outputs the profile in compressed protobuf format"},
    {"raw", "Outputs a text representation of the raw profile"},
    {"svg", "Outputs a graph in SVG format"},
    {"tags", "Outputs all tags in the profile"},
    {"text", "Outputs top entries in text form"},
    {"top", "Outputs top entries in text form"},
    {"topproto", "Outputs top entries in compressed protobuf format"},
    {"traces", "Outputs all profile samples in text form"},
    {"tree", "Outputs a text rendering of call graph"},
    {"web", "Visualize graph through web browser"},
    {"weblist", "Display annotated source in a web browser"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

const char *const pprof_words[] = {
    "callgrind", "comments", "disasm", "dot", "eog", "evince", "kcachegrind", "list", "pdf", "peek",
    "png", "proto", "raw", "svg", "tags", "text", "top", "topproto", "traces", "tree", "web",
    "weblist", "help", "options", "quit", "exit",
    /* fields */
    "output", "call_tree", "relative_percentages", "unit", "compact_labels", "source_path",
    "trim_path", "intel_syntax", "mean", "sample_index", "divide_by", "normalize", "sort",
    "tagroot", "tagleaf", "drop_negative", "nodecount", "nodefraction", "edgefraction", "trim",
    "focus", "ignore", "prune_from", "hide", "show", "show_from", "tagfocus", "tagignore",
    "tagshow", "taghide", "noinlines", "showcolumns", "granularity",
    /* choices */
    "cum", "flat", "functions", "filefunctions", "files", "lines", "addresses", NULL};

/* Index of a field by its name or one of its choices; -1 when neither. */
static int field_of(const char *name, bool *choice)
{
	for (int i = 0; fields[i].name; i++) {
		if (!strcmp(fields[i].name, name)) {
			*choice = false;
			return i;
		}
		for (const char *const *c = fields[i].choices; c && *c; c++)
			if (!strcmp(*c, name)) {
				*choice = true;
				return i;
			}
	}
	return -1;
}

void pcfg_init(pcfg *c)
{
	memset(c, 0, sizeof(*c));
	for (int i = 0; fields[i].name; i++)
		c->val[i] = strdup(fields[i].def);
}

bool pcfg_copy(pcfg *dst, const pcfg *src)
{
	memset(dst, 0, sizeof(*dst));
	for (int i = 0; fields[i].name; i++)
		if (!(dst->val[i] = strdup(src->val[i]))) {
			pcfg_free(dst);
			return false;
		}
	return true;
}

void pcfg_free(pcfg *c)
{
	for (int i = 0; i < PCFG_NFIELDS; i++)
		free(c->val[i]);
	memset(c, 0, sizeof(*c));
}

bool pcfg_known(const char *name)
{
	bool ch;
	return field_of(name, &ch) >= 0;
}

bool pcfg_is_bool(const char *name)
{
	bool ch;
	int i = field_of(name, &ch);
	return i >= 0 && (ch || fields[i].kind == F_BOOL);
}

const char *pcfg_get(const pcfg *c, const char *name)
{
	bool ch;
	int i = field_of(name, &ch);
	return i >= 0 && !ch ? c->val[i] : NULL;
}

/* pprof's stringToBool: "" is true, as are t, yes, y, 1 (any case). */
static int go_bool(const char *s)
{
	static const char *const yes[] = {"true", "t", "yes", "y", "1", ""};
	static const char *const no[] = {"false", "f", "no", "n", "0"};
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		if (!strcasecmp(s, yes[i]))
			return 1;
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		if (!strcasecmp(s, no[i]))
			return 0;
	return -1;
}

/* A float as Go's fmt.Sprint prints it: the shortest digits that read back,
 * in %e form when the exponent is below -4 or at least max(digits, 6). */
static void go_float(double d, char *out, size_t n)
{
	int prec = 1;
	char tmp[64];
	for (; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	snprintf(tmp, sizeof(tmp), "%.*e", prec - 1, d);
	int exp = atoi(strchr(tmp, 'e') + 1);
	if (d != 0 && (exp < -4 || exp >= (prec > 6 ? prec : 6)))
		snprintf(out, n, "%s", tmp);
	else
		snprintf(out, n, "%.*f", prec - 1 - exp > 0 ? prec - 1 - exp : 0, d);
}

static bool set_field(pcfg *c, int i, const char *value, char *err, size_t n)
{
	char buf[64];
	const char *v = value;
	switch (fields[i].kind) {
	case F_CHOICE:
		for (const char *const *ch = fields[i].choices; *ch; ch++)
			if (!strcmp(*ch, value))
				goto store;
		snprintf(err, n, "invalid \"%s\" value \"%s\"", fields[i].name, value);
		return false;
	case F_BOOL: {
		int b = go_bool(value);
		if (b < 0) {
			snprintf(err, n, "illegal value \"%s\" for bool variable", value);
			return false;
		}
		v = b ? "true" : "false";
		break;
	}
	case F_INT: {
		char *end;
		errno = 0;
		long x = strtol(value, &end, 10);
		if (!*value || *end || errno || x < -1000000000 || x > 1000000000) {
			snprintf(err, n, "strconv.Atoi: parsing \"%.100s\": invalid syntax", value);
			return false;
		}
		snprintf(buf, sizeof(buf), "%ld", x);
		v = buf;
		break;
	}
	case F_FLOAT: {
		char *end;
		double d = strtod(value, &end);
		if (!*value || *end || isnan(d)) {
			snprintf(err, n, "strconv.ParseFloat: parsing \"%.100s\": invalid syntax",
				 value);
			return false;
		}
		go_float(d, buf, sizeof(buf));
		v = buf;
		break;
	}
	case F_STR:
		break;
	}
store:;
	char *dup = strdup(v);
	if (!dup) {
		snprintf(err, n, "out of memory");
		return false;
	}
	free(c->val[i]);
	c->val[i] = dup;
	return true;
}

bool pcfg_set(pcfg *c, const char *name, const char *value, char *err, size_t n)
{
	bool choice;
	int i = field_of(name, &choice);
	if (i < 0) {
		snprintf(err, n, "unknown config field \"%s\"", name);
		return false;
	}
	if (!choice)
		return set_field(c, i, value, err, n);
	/* A choice given alone ("cum", "lines=true") selects itself; Go's
	 * strconv.ParseBool, which knows no empty string, decides. */
	static const char *const yes[] = {"1", "t", "T", "TRUE", "true", "True"};
	for (size_t k = 0; k < sizeof(yes) / sizeof(yes[0]); k++)
		if (!strcmp(value, yes[k]))
			return set_field(c, i, name, err, n);
	snprintf(err, n, "unknown config field \"%s\"", name);
	return false;
}

bool pcfg_to_opts(const pcfg *c, hearth_opts *o, char *err, size_t n)
{
	hearth_errbuf eb = {{0}};
	hearth_opts_init(o);
	for (int i = 0; fields[i].name; i++) {
		const char *name = fields[i].name, *v = c->val[i];
		/* -normalize is the loading's (hearth_load_sources). */
		if (!strcmp(v, fields[i].def) || !strcmp(name, "output") ||
		    !strcmp(name, "normalize"))
			continue;
		if (!strcmp(name, "intel_syntax") || !strcmp(name, "showcolumns") ||
		    !strcmp(name, "tagroot") || !strcmp(name, "tagleaf")) {
			snprintf(err, n, "hearth does not support %s yet; set it back (%s=%s)",
				 name, name, fields[i].def[0] ? fields[i].def : "\"\"");
			return false;
		}
		if (hearth_opts_set(o, name, v, &eb) != HEARTH_OK) {
			snprintf(err, n, "%s", eb.msg);
			return false;
		}
	}
	return true;
}

void pcfg_print(const pcfg *c, const hearth_profile *p, FILE *f)
{
	char *lines[PCFG_NFIELDS];
	int nl = 0;
	for (int i = 0; fields[i].name; i++) {
		const char *n = fields[i].name, *v = c->val[i];
		char comment[1024] = "", vbuf[256];
		if (fields[i].choices) {
			/* pprof sorts the choices. */
			const char *s[8];
			int k = 0;
			for (const char *const *ch = fields[i].choices; *ch && k < 8; ch++) {
				int j = k++;
				while (j > 0 && strcmp(s[j - 1], *ch) > 0) {
					s[j] = s[j - 1];
					j--;
				}
				s[j] = *ch;
			}
			size_t w = 0;
			for (int j = 0; j < k; j++)
				w += (size_t)snprintf(comment + w, sizeof(comment) - w, "%s%s",
						      j ? " | " : "[", s[j]);
			snprintf(comment + w, sizeof(comment) - w, "]");
		} else if (!strcmp(n, "sample_index")) {
			if (!*v && p->nsample_types)
				v = hearth_s(p, p->sample_types[p->nsample_types - 1].type);
			size_t w = 0;
			for (uint32_t j = 0; j < p->nsample_types && w < sizeof(comment) - 1; j++)
				w += (size_t)snprintf(comment + w, sizeof(comment) - w, "%s%s",
						      j ? " | " : "[",
						      hearth_s(p, p->sample_types[j].type));
			if (w < sizeof(comment) - 1)
				snprintf(comment + w, sizeof(comment) - w, "]");
		} else if (!strcmp(n, "source_path")) {
			continue;
		} else if (!strcmp(n, "nodecount") && !strcmp(v, "-1")) {
			snprintf(comment, sizeof(comment), "default");
		} else if (!*v) {
			v = "\"\"";
		}
		if (!strcmp(n, "granularity") && !*v)
			v = "(default)";
		snprintf(vbuf, sizeof(vbuf), "%s", v);
		char *line = NULL;
		if (asprintf(&line, "  %-25s = %-20s %s%s", n, vbuf, *comment ? "//: " : "",
			     comment) < 0)
			continue;
		int j = nl++;
		while (j > 0 && strcmp(lines[j - 1], line) > 0) {
			lines[j] = lines[j - 1];
			j--;
		}
		lines[j] = line;
	}
	for (int i = 0; i < nl; i++) {
		fprintf(f, "%s%s", lines[i], i + 1 < nl ? "\n" : "\n");
		free(lines[i]);
	}
}

const char *pprof_help(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return commands[i].help;
	for (int i = 0; fields[i].name; i++)
		if (!strcmp(fields[i].name, name))
			return fields[i].help;
	return NULL;
}

static size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la > 64 || lb > 64)
		return 99;
	size_t row[65];
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t sub = prev + (a[i - 1] != b[j - 1]);
			size_t best = row[j] + 1 < row[j - 1] + 1 ? row[j] + 1 : row[j - 1] + 1;
			row[j] = sub < best ? sub : best;
			prev = cur;
		}
	}
	return row[lb];
}

const char *pprof_did_you_mean(const char *s, const char *const *words)
{
	const char *best = NULL;
	size_t bd = 3, n = strlen(s);
	for (const char *const *w = words; *w; w++) {
		size_t d = edit_distance(s, *w);
		/* A prefix of a longer word counts as near ("traces" for "trace"). */
		if (n >= 3 && !strncmp(*w, s, n))
			d = 1;
		if (d < bd || (d == bd && !best && d <= (n > 4 ? 2u : 1u))) {
			if (d <= (n > 4 ? 2u : 1u)) {
				bd = d;
				best = *w;
			}
		}
	}
	return best;
}

/* ---- where output goes ---- */

/* pprof's newTempFile: prefix001.suffix, the first that does not exist. */
static FILE *temp_file(const char *dir, const char *prefix, const char *suffix, char *path,
		       size_t n)
{
	for (int i = 1; i < 10000; i++) {
		snprintf(path, n, "%s%s%s%03d.%s", dir ? dir : "", dir ? "/" : "", prefix, i,
			 suffix);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd >= 0)
			return fdopen(fd, "w");
		if (errno != EEXIST)
			return NULL;
	}
	errno = EEXIST;
	return NULL;
}

static int file_sink(void *ctx, const char *data, size_t n)
{
	return fwrite(data, 1, n, ctx) == n ? 0 : -1;
}

/* The viewers pprof tries, in its order: $BROWSER, then the browsers, then
 * xdg-open on a desktop; for PDF evince, for SVG eog, for callgrind files
 * kcachegrind. */
static bool view(const char *name, const char *path, bool interactive)
{
	const char *list[12];
	int n = 0;
	if (!strcmp(name, "evince")) {
		list[n++] = "evince";
	} else if (!strcmp(name, "eog")) {
		list[n++] = "eog";
	} else if (!strcmp(name, "kcachegrind")) {
		list[n++] = "kcachegrind";
	} else {
		const char *b = getenv("BROWSER");
		if (b && *b)
			list[n++] = b;
		list[n++] = "chrome";
		list[n++] = "google-chrome";
		list[n++] = "chromium";
		list[n++] = "firefox";
		list[n++] = "sensible-browser";
		if (getenv("DISPLAY") && *getenv("DISPLAY"))
			list[n++] = "xdg-open";
	}
	for (int i = 0; i < n; i++) {
		/* pprof splits a viewer's command on spaces ("cmd /c start"). */
		char cmd[1024], *argv[34];
		int ac = 0;
		snprintf(cmd, sizeof(cmd), "%s", list[i]);
		for (char *tok = strtok(cmd, " "); tok && ac < 32; tok = strtok(NULL, " "))
			argv[ac++] = tok;
		if (!ac)
			continue;
		argv[ac++] = (char *)path;
		argv[ac] = NULL;
		pid_t pid;
		if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ) != 0)
			continue;
		if (!interactive) {
			int st;
			waitpid(pid, &st, 0);
		}
		/* Give the viewer time to open the file, as pprof does. */
		sleep(1);
		return true;
	}
	return false;
}

static void print_warnings(const hearth_buf *w)
{
	if (w->len)
		fwrite(w->data, 1, w->len, stderr);
}

static int stdout_sink(void *ctx, const char *data, size_t n)
{
	(void)ctx;
	return fwrite(data, 1, n, stdout) == n ? 0 : -1;
}

int pprof_report(const hearth_profile *p, const char *name, const char *regexp, const pcfg *c,
		 bool interactive)
{
	hearth_opts o;
	char err[512];
	hearth_errbuf eb = {{0}};
	hearth_run_kind kind;
	bool takes_re;
	hearth_buf out = {0}, warn = {0};
	int rc = EXIT_OK;
	if (!hearth_run_known(name, &kind, &takes_re)) {
		cli_error("unrecognized command: \"%s\"", name);
		return EXIT_USAGE;
	}
	if (!pcfg_to_opts(c, &o, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return EXIT_USAGE;
	}
	o.symbol = regexp;
	o.goroot = cli_goroot();
	const char *output = pcfg_get(c, "output");
	/* Text to the terminal streams; everything else is made whole first. */
	bool to_stdout = !*output && kind == HEARTH_RUN_TEXT;
	if (to_stdout)
		out.flush = stdout_sink;
	hearth_profile *copy = hearth_profile_clone(p);
	if (!copy) {
		cli_error("out of memory");
		return EXIT_BAD_INPUT;
	}
	hearth_err e = hearth_run(copy, &o, name, &out, &warn, &eb);
	print_warnings(&warn);
	if (e) {
		fprintf(stderr, "%s\n", eb.msg[0] ? eb.msg : hearth_strerror(e));
		rc = e == HEARTH_EINVAL ? EXIT_USAGE : EXIT_BAD_INPUT;
		goto done;
	}
	if (to_stdout ||
	    (!*output && kind == HEARTH_RUN_FILE && !interactive && !isatty(STDOUT_FILENO))) {
		out.flush = stdout_sink;
		hearth_buf_flush(&out);
		if (out.oom || fflush(stdout) != 0) {
			cli_error("writing output: %s", strerror(errno));
			rc = EXIT_BAD_INPUT;
		}
		goto done;
	}
	if (*output) {
		fprintf(stderr, "Generating report in %s\n", output);
		if (hearth_write_bytes(output, out.data, out.len, &eb) != HEARTH_OK) {
			fprintf(stderr, "%s\n", eb.msg);
			rc = EXIT_BAD_INPUT;
		}
		goto done;
	}
	char path[4096];
	const char *tmpdir = getenv("TMPDIR");
	/* Binary formats go to profileNNN.<suffix> in the working directory
	 * rather than onto a terminal; viewers get pprofNNN.<suffix> in $TMPDIR. */
	FILE *f = kind == HEARTH_RUN_FILE
		      ? temp_file(NULL, "profile", hearth_run_suffix(name), path, sizeof(path))
		      : temp_file(tmpdir && *tmpdir ? tmpdir : "/tmp", "pprof",
				  hearth_run_suffix(name), path, sizeof(path));
	if (!f) {
		cli_error("cannot create a file for the %s output: %s", name, strerror(errno));
		rc = EXIT_BAD_INPUT;
		goto done;
	}
	out.flush = file_sink;
	out.ctx = f;
	hearth_buf_flush(&out);
	if (out.oom | (fclose(f) != 0)) {
		cli_error("writing %s: %s", path, strerror(errno));
		rc = EXIT_BAD_INPUT;
		goto done;
	}
	if (kind == HEARTH_RUN_FILE) {
		fprintf(stderr, "Generating report in %s\n", path);
	} else if (!view(name, path, interactive)) {
		cli_error("could not start a viewer for %s (set $BROWSER); the %s is in %s", name,
			  hearth_run_suffix(name), path);
		rc = EXIT_BAD_INPUT;
	}
done:
	hearth_buf_free(&out);
	hearth_buf_free(&warn);
	return rc;
}

/* ---- the command line ---- */

static const char usage[] =
    "usage: hearth <format> [options] [binary] <source> ...\n"
    "       hearth [options] [binary] <source> ...          (interactive shell)\n"
    "       hearth -http=[host]:[port] [options] [binary] <source> ...\n"
    "\n"
    "pprof's own command line: `alias pprof=hearth` keeps `go tool pprof`'s\n"
    "habits.  The format is one of pprof's output flags:\n"
    "  -top -text -traces -tree -tags -raw -comments -dot -callgrind\n"
    "  -svg -pdf -png -proto -topproto            (to stdout; a terminal gets a\n"
    "                                             profileNNN.<ext> file instead)\n"
    "  -list=RE -peek=RE -disasm=RE               (reports on functions matching RE)\n"
    "  -web -weblist=RE -evince -eog -kcachegrind (opened in a viewer: $BROWSER,\n"
    "                                             a browser, xdg-open)\n"
    "-http=host:port serves `hearth web` (-no_browser: do not open it); with\n"
    "neither, the shell starts: `(pprof) top`, `list RE`, `web`, `help` ...,\n"
    "reading commands from standard input when that is not a terminal.\n"
    "\n"
    "Options are pprof's: -output=FILE, the report options of hearth top\n"
    "(-focus, -ignore, -nodecount, -cum, -sample_index, -lines ...), the legacy\n"
    "-inuse_space/-alloc_space/... shortcuts, -base/-diff_base, -seconds,\n"
    "-timeout, -symbolize.  A first argument that is an ELF file is the\n"
    "program, used to symbolize.  See docs/pprof-compat.md; hearth's own\n"
    "commands are listed by `hearth help`.\n";

/* Flags of pprof's command line that are neither a format nor a field. */
static const char *const source_flags[] = {"diff_base", "base",	       "symbolize", "buildid",
					   "timeout",	"add_comment", "seconds",   "tools",
					   "http",	"max_size",    NULL};
static const char *const bool_flags[] = {"no_browser",	"inuse_space",	 "inuse_objects",
					 "alloc_space", "alloc_objects", "total_delay",
					 "contentions", "mean_delay",	 NULL};
static const char *const unsupported_formats[] = {"gif", "ps", "gv", NULL};

static bool in_list(const char *s, const char *const *l)
{
	for (; *l; l++)
		if (!strcmp(s, *l))
			return true;
	return false;
}

/* Every flag name, for "did you mean". */
static const char *const *all_flags(void)
{
	static const char *all[128];
	if (all[0])
		return all;
	int n = 0;
	for (size_t i = 0; i < NCOMMANDS; i++)
		all[n++] = commands[i].name;
	for (const char *const *w = pprof_words + 26; *w && n < 100; w++)
		all[n++] = *w;
	for (const char *const *w = source_flags; *w; w++)
		all[n++] = *w;
	for (const char *const *w = bool_flags; *w; w++)
		all[n++] = *w;
	all[n] = NULL;
	return all;
}

/* pprof's form prints its errors as pprof does: the message alone. */
static void perr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void perr(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void warn_line(void *ctx, const char *line)
{
	(void)ctx;
	fprintf(stderr, "%s\n", line);
}

/* pprof's words before it fetches a URL source. */
static void announce_fetches(const char *const *sources, int n, const hearth_opts *o)
{
	for (int i = 0; i < n; i++) {
		double t;
		bool insecure;
		if (!hearth_is_url(sources[i]))
			continue;
		char *url = hearth_url_adjust(sources[i], o->seconds, o->timeout, &t, &insecure);
		if (!url)
			continue;
		fprintf(stderr, "Fetching profile over HTTP from %s\n", url);
		/* The duration, as Go prints one: 30s, 1m30s, 1h0m0s. */
		const char *q = strstr(url, "seconds=");
		long secs = o->seconds > 0 ? o->seconds : q ? strtol(q + 8, NULL, 10) : 0;
		if (secs > 0) {
			char d[64];
			if (secs >= 3600)
				snprintf(d, sizeof(d), "%ldh%ldm%lds", secs / 3600, secs / 60 % 60,
					 secs % 60);
			else if (secs >= 60)
				snprintf(d, sizeof(d), "%ldm%lds", secs / 60, secs % 60);
			else
				snprintf(d, sizeof(d), "%lds", secs);
			fprintf(stderr, "Please wait... (%s)\n", d);
		}
		free(url);
	}
}

int cmd_pprof(int argc, char **argv)
{
	pcfg cfg;
	hearth_opts lo; /* what the loading takes: bases, symbolize, seconds */
	hearth_errbuf eb = {{0}};
	char err[512];
	const char *format = NULL, *regexp = NULL, *http = NULL, *si_flag = NULL;
	char fmtbuf[64];
	bool no_browser = false, mean_delay = false, value_flags[8] = {false};
	const char **sources = calloc((size_t)argc + 1, sizeof(char *));
	char **web_argv = calloc((size_t)argc * 2 + 4, sizeof(char *));
	int nsources = 0, nweb = 1, rc = EXIT_USAGE;
	hearth_profile *p = NULL;
	pcfg_init(&cfg);
	hearth_opts_init(&lo);
	if (!sources || !web_argv) {
		perr("out of memory");
		goto done;
	}
	web_argv[0] = "web";
	bool done_flags = false;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (done_flags || a[0] != '-' || a[1] == 0) {
			sources[nsources++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			done_flags = true;
			continue;
		}
		char name[64];
		const char *n = a + 1 + (a[1] == '-');
		const char *eq = strchr(n, '='), *v = eq ? eq + 1 : NULL;
		size_t nl = eq ? (size_t)(eq - n) : strlen(n);
		if (nl >= sizeof(name)) {
			perr("flag provided but not defined: %s", a);
			goto done;
		}
		memcpy(name, n, nl);
		name[nl] = 0;
		if (!strcmp(name, "h") || !strcmp(name, "help")) {
			fputs(usage, stdout);
			rc = EXIT_OK;
			goto done;
		}
		bool regexp_cmd = false, is_format = hearth_run_known(name, NULL, &regexp_cmd);
		bool is_bool = (is_format && !regexp_cmd) || pcfg_is_bool(name) ||
			       in_list(name, bool_flags) || in_list(name, unsupported_formats);
		bool known =
		    is_format || pcfg_known(name) || in_list(name, source_flags) || is_bool;
		if (!known) {
			const char *near = pprof_did_you_mean(name, all_flags());
			if (near)
				perr("flag provided but not defined: -%s (did you mean -%s?)", name,
				     near);
			else
				perr("flag provided but not defined: -%s (see hearth -h)", name);
			goto done;
		}
		if (!v && !is_bool) {
			if (i + 1 >= argc) {
				perr("flag needs an argument: -%s", name);
				goto done;
			}
			v = argv[++i];
		}
		if (in_list(name, unsupported_formats)) {
			perr("-%s: hearth draws graphs as svg, pdf and png only", name);
			goto done;
		}
		if (is_format) {
			if (!regexp_cmd) {
				int b = go_bool(v ? v : "");
				if (b < 0 || !*(v ? v : "x")) {
					perr("invalid boolean value \"%s\" for -%s", v, name);
					goto done;
				}
				if (!b)
					continue;
			} else if (!*v) {
				continue;
			}
			if (format) {
				perr("must set at most one output format");
				goto done;
			}
			snprintf(fmtbuf, sizeof(fmtbuf), "%s",
				 !strcmp(name, "text") ? "top" : name);
			format = fmtbuf;
			regexp = regexp_cmd ? v : NULL;
			continue;
		}
		if (!strcmp(name, "http")) {
			http = v;
			continue;
		}
		if (!strcmp(name, "no_browser")) {
			no_browser = go_bool(v ? v : "") == 1;
			continue;
		}
		if (!strcmp(name, "tools") || !strcmp(name, "buildid") ||
		    !strcmp(name, "add_comment")) {
			if (!strcmp(name, "tools"))
				continue; /* hearth runs no object tools */
			perr("-%s is not supported by hearth", name);
			goto done;
		}
		if (in_list(name, bool_flags)) {
			int b = go_bool(v ? v : "");
			if (b < 0) {
				perr("invalid boolean value \"%s\" for -%s", v, name);
				goto done;
			}
			for (int k = 0; bool_flags[k]; k++)
				if (!strcmp(bool_flags[k], name))
					value_flags[k] = b == 1;
			continue;
		}
		if (in_list(name, source_flags)) {
			if (hearth_opts_set(&lo, name, v, &eb) != HEARTH_OK) {
				perr("%s", eb.msg);
				goto done;
			}
			web_argv[nweb++] = a;
			if (!eq)
				web_argv[nweb++] = (char *)v;
			continue;
		}
		if (!pcfg_set(&cfg, name, v ? v : "true", err, sizeof(err))) {
			perr("invalid value \"%s\" for flag -%s: %s", v ? v : "", name, err);
			goto done;
		}
		web_argv[nweb++] = a;
		if (!eq && !pcfg_is_bool(name))
			web_argv[nweb++] = (char *)v;
	}
	/* pprof takes the value selections in its own order and keeps the
	 * first (-sample_index=... counts as first). */
	static const int order[] = {5, 7, 6, 1, 2, 3, 4};
	static const char *const sel[] = {
	    "",	     "inuse_space", "inuse_objects", "alloc_space", "alloc_objects",
	    "delay", "contentions", "delay"};
	for (int k = 0; k < 7; k++) {
		int f = order[k];
		if (!value_flags[f])
			continue;
		if (si_flag || *pcfg_get(&cfg, "sample_index"))
			fprintf(stderr, "Multiple value selections, ignoring -%s\n", bool_flags[f]);
		else
			si_flag = sel[f];
	}
	mean_delay = value_flags[7];
	if (si_flag && !*pcfg_get(&cfg, "sample_index"))
		pcfg_set(&cfg, "sample_index", si_flag, err, sizeof(err));
	if (mean_delay)
		pcfg_set(&cfg, "mean", "true", err, sizeof(err));
	if (nsources == 0) {
		perr("no profile source specified");
		goto done;
	}
	if (format && http) {
		perr("-http is not compatible with an output format on the command line");
		goto done;
	}
	if (no_browser && !http) {
		perr("-no_browser only makes sense with -http");
		goto done;
	}
	if (lo.normalize && !lo.nbase && !lo.ndiff_base) {
		perr("must have base profile to normalize by");
		goto done;
	}
	if (http) {
		/* -http is hearth web, with the same options and sources. */
		if (si_flag) {
			static char si[80];
			snprintf(si, sizeof(si), "-sample_index=%s",
				 pcfg_get(&cfg, "sample_index"));
			web_argv[nweb++] = si;
		}
		static char h[300];
		/* pprof's host defaults to localhost. */
		snprintf(h, sizeof(h), "-http=%s%s", http[0] == ':' ? "localhost" : "", http);
		web_argv[nweb++] = h;
		if (no_browser)
			web_argv[nweb++] = "-no_browser";
		web_argv[nweb++] = "--";
		for (int i = 0; i < nsources; i++)
			web_argv[nweb++] = (char *)sources[i];
		rc = cmd_web(nweb, web_argv);
		goto done;
	}
	/* The loading: the bases and source options, the normalization, and
	 * for a one-shot report whether samples must be merged exactly. */
	lo.normalize = strcmp(pcfg_get(&cfg, "normalize"), "true") == 0;
	lo.sums_only =
	    format && strcmp(format, "traces") && strcmp(format, "raw") && strcmp(format, "proto");
	/* A one-shot report that shows no labels merges several sources
	 * without them; the report's options are cfg's, the bases lo's.  The
	 * shell keeps them (any command may follow). */
	if (format) {
		hearth_opts ro;
		char rerr[512];
		if (pcfg_to_opts(&cfg, &ro, rerr, sizeof(rerr))) {
			ro.nbase = lo.nbase;
			ro.ndiff_base = lo.ndiff_base;
			lo.no_labels = !hearth_run_needs_labels(format, &ro);
		}
	}
	lo.warn = warn_line;
	announce_fetches(sources, nsources, &lo);
	announce_fetches(lo.base, lo.nbase, &lo);
	announce_fetches(lo.diff_base, lo.ndiff_base, &lo);
	hearth_err e = hearth_load_sources(sources, nsources, &lo, &p, &eb);
	if (e) {
		perr("%s", eb.msg[0] ? eb.msg : hearth_strerror(e));
		rc = e == HEARTH_EINVAL ? EXIT_USAGE : EXIT_BAD_INPUT;
		goto done;
	}
	cli_save_fetched(sources, nsources, &lo, p);
	if (format)
		rc = pprof_report(p, format, regexp, &cfg, false);
	else
		rc = pprof_shell(p, &cfg);
done:
	hearth_profile_free(p);
	pcfg_free(&cfg);
	free(sources);
	free(web_argv);
	return rc;
}
