/* The interactive shell of pprof's command-line form: `(pprof) top10`,
 * `list RE`, `sample_index=alloc_space`, `o`, `help`, `quit`.  Commands and
 * their answers follow pprof's interactive.go: option assignments persist,
 * a command's own arguments (a count, focus and -ignore regexps, -cum,
 * `> file`) last one command.  On a terminal lines are read with libedit
 * (history, completion of commands, options and function names); otherwise
 * from stdin with the prompt on stdout, as pprof does. */
#include <ctype.h>
#include <editline/readline.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "hearth/run.h"
#include "pprof.h"

static const hearth_profile *cur; /* for completion of function names */
static const char *const *fn_names;
static size_t nfn_names;

/* ---- completion (libedit) ---- */

static char **collect(const char *text, const char *const *words, size_t nwords, bool substr)
{
	size_t n = 0, cap = 16, tl = strlen(text);
	char **m = malloc(sizeof(char *) * cap);
	if (!m)
		return NULL;
	m[n++] = NULL; /* the replacement, filled below */
	for (size_t i = 0; i < nwords; i++) {
		const char *w = words[i];
		if (!w || (substr ? !strstr(w, text) : strncmp(w, text, tl)))
			continue;
		bool dup = false;
		for (size_t k = 1; k < n && !dup; k++)
			dup = !strcmp(m[k], w);
		if (dup)
			continue;
		if (n + 2 > cap) {
			char **g = realloc(m, sizeof(char *) * (cap *= 2));
			if (!g)
				break;
			m = g;
		}
		m[n++] = strdup(w);
	}
	if (n == 1) {
		free(m);
		return NULL;
	}
	m[n] = NULL;
	if (n == 2) {
		m[0] = strdup(m[1]);
		return m;
	}
	/* Several: the longest common prefix of those that start with text,
	 * else the text itself (a function name matched in its middle). */
	size_t lcp = 0;
	bool all_prefix = true;
	for (size_t k = 1; k < n; k++)
		all_prefix &= !strncmp(m[k], text, tl);
	if (all_prefix) {
		lcp = strlen(m[1]);
		for (size_t k = 2; k < n; k++) {
			size_t j = 0;
			while (j < lcp && m[k][j] == m[1][j])
				j++;
			lcp = j;
		}
	}
	m[0] = all_prefix ? strndup(m[1], lcp) : strdup(text);
	return m;
}

static char **complete(const char *text, int start, int end)
{
	(void)end;
	rl_attempted_completion_over = 1;
	/* The words before the one completed: none (a command or an option),
	 * "help" (the same), or a report command (function names). */
	const char *line = rl_line_buffer;
	int i = 0;
	while (i < start && isspace((unsigned char)line[i]))
		i++;
	if (i >= start) {
		size_t nw = 0;
		while (pprof_words[nw])
			nw++;
		return collect(text, pprof_words, nw, false);
	}
	char first[64];
	int k = 0;
	while (i < start && !isspace((unsigned char)line[i]) && k < 63)
		first[k++] = line[i++];
	first[k] = 0;
	if (!strcmp(first, "help")) {
		size_t nw = 0;
		while (pprof_words[nw])
			nw++;
		return collect(text, pprof_words, nw, false);
	}
	/* pprof completes function names after every report command but tags;
	 * a leading '-' (an ignore regexp) is kept. */
	const char *tail = first;
	while (*tail && !isdigit((unsigned char)*tail))
		tail++;
	char cmd[64];
	snprintf(cmd, sizeof(cmd), "%.*s", (int)(tail - first), first);
	if (!hearth_run_known(cmd, NULL, NULL) || !strcmp(cmd, "tags"))
		return NULL;
	if (text[0] == '-') {
		char **m = collect(text + 1, fn_names, nfn_names, true);
		for (size_t j = 0; m && m[j]; j++) {
			char *d = malloc(strlen(m[j]) + 2);
			if (d) {
				d[0] = '-';
				strcpy(d + 1, m[j]);
			}
			free(m[j]);
			m[j] = d;
		}
		return m;
	}
	return collect(text, fn_names, nfn_names, true);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void load_function_names(const hearth_profile *p)
{
	const char **v = malloc(sizeof(char *) * (p->nfunctions + 1));
	size_t n = 0;
	if (!v)
		return;
	for (uint32_t i = 0; i < p->nfunctions; i++)
		v[n++] = hearth_s(p, p->functions[i].name);
	qsort(v, n, sizeof(char *), cmp_str);
	size_t w = 0;
	for (size_t i = 0; i < n; i++)
		if (!w || strcmp(v[w - 1], v[i]))
			v[w++] = v[i];
	fn_names = v;
	nfn_names = w;
}

/* ---- reading lines ---- */

static char *read_line(bool tty, bool *eof)
{
	*eof = false;
	if (tty) {
		char *l = readline("(pprof) ");
		if (!l) {
			*eof = true;
			return NULL;
		}
		if (*l)
			add_history(l);
		return l;
	}
	/* pprof's prompt goes to stdout, its messages to stderr. */
	fputs("(pprof) ", stdout);
	fflush(stdout);
	size_t cap = 0;
	char *l = NULL;
	ssize_t n = getline(&l, &cap, stdin);
	if (n < 0) {
		free(l);
		*eof = true;
		return NULL;
	}
	if (n > 0 && l[n - 1] == '\n')
		l[--n] = 0;
	else
		*eof = true; /* a last line without newline is still run */
	return l;
}

/* ---- the commands ---- */

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

/* A command's usage lines, in the shape pprof's help gives them. */
static void usage_lines(const char *c, FILE *f)
{
	static const char *const cum_redirect[] = {"text", "top", "tree", NULL};
	static const char *const redirect[] = {"dot", "callgrind", "pdf", "png", "svg", NULL};
	static const char *const view[] = {"web", "eog", "evince", "kcachegrind", NULL};
	bool cum = false, red = false, graph = false;
	for (int i = 0; cum_redirect[i]; i++)
		if (!strcmp(c, cum_redirect[i]))
			graph = cum = red = true;
	for (int i = 0; redirect[i]; i++)
		if (!strcmp(c, redirect[i]))
			graph = red = true;
	for (int i = 0; view[i]; i++)
		if (!strcmp(c, view[i]))
			graph = true;
	if (graph) {
		fprintf(f, "  Usage:\n    %s [n] [focus_regex]* [-ignore_regex]*%s%s\n", c,
			cum ? " [-cum]" : "", red ? " >f" : "");
		fprintf(f, "    Include up to n samples\n"
			   "    Include samples matching focus_regex, and exclude ignore_regex.\n");
		if (cum)
			fprintf(f, "    -cum sorts the output by cumulative weight\n");
		if (red)
			fprintf(f, "    Optionally save the report on the file f\n");
	} else if (!strcmp(c, "list") || !strcmp(c, "disasm") || !strcmp(c, "weblist")) {
		red = !strcmp(c, "disasm");
		fprintf(f,
			"  Usage:\n    %s<func_regex|address> [-focus_regex]* [-ignore_regex]*%s\n"
			"    Include functions matching func_regex, or including the address "
			"specified.\n"
			"    Include samples matching focus_regex, and exclude ignore_regex.\n",
			c, red ? " >f" : "");
		if (red)
			fprintf(f, "    Optionally save the report on the file f\n");
	} else if (!strcmp(c, "peek")) {
		fprintf(f, "  Usage:\n    peek func_regex\n"
			   "    Display callers and callees of functions matching func_regex.\n");
	} else if (!strcmp(c, "tags")) {
		fprintf(f, "  Usage:\n    tags [tag_regex]* [-ignore_regex]* [>file]\n"
			   "    List tags with key:value matching tag_regex and exclude "
			   "ignore_regex.\n");
	}
}

/* pprof's help goes to stderr, as all it says that is not a report. */
static void help(const char *arg)
{
	FILE *f = stderr;
	if (!*arg) {
		fprintf(f, "  Commands:\n");
		static const char *const cmds[] = {
		    "callgrind",   "comments", "disasm", "dot",	    "eog", "evince",
		    "kcachegrind", "list",     "pdf",	 "peek",    "png", "proto",
		    "raw",	   "svg",      "tags",	 "text",    "top", "topproto",
		    "traces",	   "tree",     "web",	 "weblist", NULL};
		for (int i = 0; cmds[i]; i++)
			fprintf(f, "    %-16s %s\n", cmds[i], pprof_help(cmds[i]));
		fprintf(f, "    %-16s %s\n", "o/options", "List options and their current values");
		fprintf(f, "    %-16s %s\n", "q/quit/exit/^D", "Exit pprof");
		fprintf(f, "\n  Options: \"o\" lists them with their values; name=value sets\n"
			   "  one (sample_index=alloc_space, focus=regexp, nodecount=20, cum,\n"
			   "  lines ...) for the commands that follow.\n"
			   "\n  :   Clear focus/ignore/hide/tagfocus/tagignore\n"
			   "\n  type \"help <cmd|option>\" for more information\n\n");
		return;
	}
	const char *h = pprof_help(arg);
	if (!h) {
		const char *near = pprof_did_you_mean(arg, pprof_words);
		if (near)
			fprintf(f, "Unknown command: %s (did you mean %s?)\n", arg, near);
		else
			fprintf(f, "Unknown command: %s\n", arg);
		return;
	}
	fprintf(f, "%s\n", h);
	if (hearth_run_known(arg, NULL, NULL))
		usage_lines(arg, f);
	fprintf(f, "\n");
}

/* pprof's parseCommandLine: the command, its regexp, and the options of
 * this one command on a copy of the configuration. */
static void run_command(const hearth_profile *p, const pcfg *c, char **tok, int ntok)
{
	char name[64], err[512];
	snprintf(name, sizeof(name), "%s", tok[0]);
	const char *count = NULL;
	bool re;
	if (!hearth_run_known(name, NULL, &re)) {
		/* top10: the count glued to the command. */
		size_t n = strlen(name), d = n;
		while (d > 0 && isdigit((unsigned char)name[d - 1]))
			d--;
		if (d < n && d > 0) {
			count = tok[0] + d;
			name[d] = 0;
		}
	}
	if (!hearth_run_known(name, NULL, &re)) {
		if (pprof_help(name) && pcfg_known(name)) {
			fprintf(stderr, "did you mean: %s=%s\n", name, ntok > 1 ? tok[1] : "<val>");
			return;
		}
		if (!strcmp(name, "gif") || !strcmp(name, "ps") || !strcmp(name, "gv")) {
			fprintf(stderr, "%s: hearth draws graphs as svg, pdf and png only\n", name);
			return;
		}
		const char *near = pprof_did_you_mean(name, pprof_words);
		if (near)
			fprintf(stderr, "unrecognized command: \"%s\" (did you mean %s?)\n", name,
				near);
		else
			fprintf(stderr, "unrecognized command: \"%s\"\n", name);
		return;
	}
	int i = 1;
	const char *regexp = NULL;
	if (re) {
		if (ntok < 2) {
			fprintf(stderr, "command %s requires an argument\n", name);
			return;
		}
		regexp = tok[1];
		i = 2;
	}
	pcfg v;
	if (!pcfg_copy(&v, c)) {
		fprintf(stderr, "out of memory\n");
		return;
	}
	if (count)
		pcfg_set(&v, "nodecount", count, err, sizeof(err));
	char *focus = NULL, *ignore = NULL;
	size_t fl = 0, il = 0;
	FILE *fs = open_memstream(&focus, &fl), *is = open_memstream(&ignore, &il);
	for (; i < ntok; i++) {
		char *t = tok[i], *end;
		long nv = strtol(t, &end, 10);
		if (*t && !*end && nv >= -2147483648L && nv <= 2147483647L) {
			pcfg_set(&v, "nodecount", t, err, sizeof(err));
			continue;
		}
		if (t[0] == '>') {
			const char *f = t + 1;
			if (!*f) {
				if (++i >= ntok) {
					fprintf(stderr, "unexpected end of line after >\n");
					goto out;
				}
				f = tok[i];
			}
			pcfg_set(&v, "output", f, err, sizeof(err));
		} else if (t[0] == '-') {
			if (!strcmp(t, "-cum") || !strcmp(t, "--cum")) {
				pcfg_set(&v, "sort", "cum", err, sizeof(err));
				continue;
			}
			if (ftell(is) > 0 && t[1])
				fputc('|', is);
			fputs(t + 1, is);
		} else {
			if (ftell(fs) > 0)
				fputc('|', fs);
			fputs(t, fs);
		}
	}
	fclose(fs);
	fclose(is);
	fs = is = NULL;
	const char *fk = !strcmp(name, "tags") ? "tagfocus" : "focus";
	const char *ik = !strcmp(name, "tags") ? "tagignore" : "ignore";
	if (focus && *focus)
		pcfg_set(&v, fk, focus, err, sizeof(err));
	if (ignore && *ignore)
		pcfg_set(&v, ik, ignore, err, sizeof(err));
	if (!strcmp(pcfg_get(&v, "nodecount"), "-1") &&
	    (!strcmp(name, "top") || !strcmp(name, "text")))
		pcfg_set(&v, "nodecount", "10", err, sizeof(err));
	pprof_report(p, name, regexp, &v, true);
out:
	if (fs)
		fclose(fs);
	if (is)
		fclose(is);
	free(focus);
	free(ignore);
	pcfg_free(&v);
}

/* sample_index=VALUE as pprof checks it: an index or a sample type's name
 * (inuse_ may be left out); stored as the type's name. */
static const char *sample_type_of(const hearth_profile *p, const char *v)
{
	char *end;
	long i = strtol(v, &end, 10);
	if (*v && !*end) {
		if (i < 0 || i >= (long)p->nsample_types) {
			fprintf(stderr, "sample_index %s is outside the range [0..%d]\n", v,
				(int)p->nsample_types - 1);
			return NULL;
		}
		return hearth_s(p, p->sample_types[i].type);
	}
	const char *no_inuse = !strncmp(v, "inuse_", 6) ? v + 6 : v;
	for (uint32_t k = 0; k < p->nsample_types; k++) {
		const char *t = hearth_s(p, p->sample_types[k].type);
		if (!strcmp(t, v) || !strcmp(t, no_inuse))
			return t;
	}
	fprintf(stderr, "sample_index \"%s\" must be one of: [", v);
	for (uint32_t k = 0; k < p->nsample_types; k++)
		fprintf(stderr, "%s%s", k ? " " : "", hearth_s(p, p->sample_types[k].type));
	fprintf(stderr, "]\n");
	return NULL;
}

/* One input after shortcut expansion; returns false on quit. */
static bool one(const hearth_profile *p, pcfg *c, char *input)
{
	char err[512];
	char *eq = strchr(input, '=');
	char *name = input, *value = NULL;
	if (eq) {
		*eq = 0;
		value = eq + 1;
		char *cm = NULL;
		for (char *s = strstr(value, "//:"); s; s = strstr(s + 1, "//:"))
			cm = s;
		if (cm)
			*cm = 0;
		value = trim(value);
	}
	char *tname = trim(name);
	if (pcfg_known(tname)) {
		if (!value && !pcfg_is_bool(tname)) {
			fprintf(stderr, "please specify a value, e.g. %s=<val>\n", tname);
			return true;
		}
		if (!strcmp(tname, "sample_index")) {
			const char *t = sample_type_of(p, value);
			if (!t)
				return true;
			value = (char *)t;
		}
		/* A choice alone ("cum", "lines") selects it; pprof 1.26 refuses
		 * that by accident of its bool parsing (docs/pprof-compat.md). */
		if (!pcfg_set(c, tname, value ? value : "true", err, sizeof(err)))
			fprintf(stderr, "%s\n", err);
		return true;
	}
	if (eq)
		*eq = '=';
	char *tok[256];
	int ntok = 0;
	for (char *t = strtok(input, " \t\r\n\v\f"); t && ntok < 256;
	     t = strtok(NULL, " \t\r\n\v\f"))
		tok[ntok++] = t;
	if (!ntok)
		return true;
	if (!strcmp(tok[0], "o") || !strcmp(tok[0], "options")) {
		pcfg_print(c, p, stderr);
		return true;
	}
	if (!strcmp(tok[0], "exit") || !strcmp(tok[0], "quit") || !strcmp(tok[0], "q"))
		return false;
	if (!strcmp(tok[0], "help")) {
		char arg[512] = "";
		size_t w = 0;
		for (int i = 1; i < ntok && w < sizeof(arg) - 1; i++)
			w += (size_t)snprintf(arg + w, sizeof(arg) - w, "%s%s", i > 1 ? " " : "",
					      tok[i]);
		help(arg);
		return true;
	}
	run_command(p, c, tok, ntok);
	return true;
}

/* pprof's shortcuts: ":" clears the filters; a sample type's name selects
 * it, total_NAME and mean_NAME with mean off and on. */
static bool expand(const hearth_profile *p, pcfg *c, char *line)
{
	char *in = trim(line);
	char buf[600];
	if (!strcmp(in, ":")) {
		static const char *const clr[] = {
		    "focus=", "ignore=", "hide=", "tagfocus=", "tagignore="};
		for (size_t i = 0; i < sizeof(clr) / sizeof(clr[0]); i++) {
			snprintf(buf, sizeof(buf), "%s", clr[i]);
			one(p, c, buf);
		}
		return true;
	}
	for (uint32_t k = 0; k < p->nsample_types; k++) {
		const char *t = hearth_s(p, p->sample_types[k].type);
		const char *mean = NULL;
		if (!strcmp(in, t))
			mean = "";
		else if (!strncmp(in, "total_", 6) && !strcmp(in + 6, t))
			mean = "mean=0";
		else if (!strncmp(in, "mean_", 5) && !strcmp(in + 5, t))
			mean = "mean=1";
		if (!mean)
			continue;
		if (*mean) {
			snprintf(buf, sizeof(buf), "%s", mean);
			one(p, c, buf);
		}
		snprintf(buf, sizeof(buf), "sample_index=%.500s", t);
		return one(p, c, buf);
	}
	return one(p, c, in);
}

int pprof_shell(const hearth_profile *p, pcfg *c)
{
	char err[512];
	hearth_errbuf eb = {{0}};
	hearth_opts o;
	bool tty = isatty(STDIN_FILENO);
	pcfg_set(c, "compact_labels", "true", err, sizeof(err));
	/* The greeting: the profile's labels, as pprof prints them. */
	hearth_buf g = {0};
	bool no_samples = false;
	hearth_profile *copy = hearth_profile_clone(p);
	if (copy && pcfg_to_opts(c, &o, err, sizeof(err)) &&
	    hearth_run_greeting(copy, &o, &g, &no_samples, &eb) == HEARTH_OK) {
		/* pprof joins the labels with newlines and ends the line once. */
		if (g.len && g.data[g.len - 1] == '\n')
			g.len--;
		fprintf(stderr, "%.*s\n", (int)g.len, g.len ? g.data : "");
		if (no_samples)
			fprintf(stderr,
				"No samples were found with the default sample value type.\n"
				"Try \"sample_index\" command to analyze different sample "
				"values. \n\n");
	}
	hearth_buf_free(&g);
	fprintf(stderr, "Entering interactive mode (type \"help\" for commands, \"o\" for "
			"options)\n");
	cur = p;
	if (tty) {
		load_function_names(p);
		rl_readline_name = "hearth";
		rl_attempted_completion_function = complete;
		/* Function names hold dots, slashes, stars and parentheses. */
		rl_completer_word_break_characters = " \t";
	}
	for (;;) {
		bool eof;
		char *line = read_line(tty, &eof);
		if (!line)
			break;
		bool go_on = expand(p, c, line);
		free(line);
		fflush(stdout);
		/* Viewers left running (web, weblist) are reaped once they end. */
		while (waitpid(-1, NULL, WNOHANG) > 0)
			;
		/* After a last line without newline pprof prompts once more. */
		if (!go_on)
			break;
	}
	if (tty && !isatty(STDOUT_FILENO))
		fputc('\n', stdout);
	free((void *)fn_names);
	fn_names = NULL;
	return EXIT_OK;
}
