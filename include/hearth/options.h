/* pprof's report options, with its names and defaults.  The CLI fills one
 * from -opt=value arguments, the web API from query parameters; both go
 * through hearth_opts_set so the spelling and validation live in one place. */
#ifndef HEARTH_OPTIONS_H
#define HEARTH_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "hearth/error.h"

typedef enum {
	HEARTH_GRAN_FUNCTIONS,
	HEARTH_GRAN_FILEFUNCTIONS,
	HEARTH_GRAN_FILES,
	HEARTH_GRAN_LINES,
	HEARTH_GRAN_ADDRESSES,
} hearth_granularity;

typedef struct {
	/* Sample value selection. */
	const char *sample_index; /* NULL: the default sample type, else index or name */
	bool mean;
	double divide_by; /* 1 by default */
	const char *unit; /* "minimum" by default */
	bool relative_percentages;
	bool drop_negative;
	bool normalize;

	/* Comparison. */
	const char *base[16], *diff_base[16];
	int nbase, ndiff_base;

	/* Filters (regexps in pprof's RE2 syntax; NULL when unset). */
	const char *focus, *ignore, *hide, *show, *show_from, *prune_from;
	const char *tagfocus, *tagignore, *tagshow, *taghide;
	/* A second focus that samples must also match: the web API's search
	 * (no option name sets it). */
	const char *search;

	/* Graph shaping. */
	hearth_granularity granularity;
	bool noinlines;
	bool cum_sort; /* -cum: sort by cum instead of flat */
	int nodecount; /* -1: the report's default (0 for top, 80 otherwise) */
	double nodefraction, edgefraction;
	bool trim;
	bool call_tree;
	/* pprof's compact_labels (its shell's default): top, tree and peek
	 * leave out the profile's File/Type/Time lines. */
	bool compact_labels;

	/* Source listings (list): where to look for files, and prefixes to
	 * strip from the profile's file names first (pprof's -source_path and
	 * -trim_path, both lists separated by ':'). */
	const char *source_path, *trim_path;
	/* Read no file a profile names (list shows each as missing): a server
	 * of other people's profiles (hearth serve) must not open its own
	 * files because a profile names them. */
	bool no_source_files;
	/* The regexp argument of peek and list (pprof's -peek=, -list=). */
	const char *symbol;
	/* Set by the command: where the Go standard library's sources are
	 * (list looks there last; pprof does not). NULL: nowhere. */
	const char *goroot;

	/* Reading and writing. */
	/* Set by the command, not the user: whether the report shows samples
	 * (traces, proto), so they must be merged exactly as pprof merges them,
	 * a single profile included; top only needs the sums. */
	bool merge_single;
	bool sums_only; /* the report needs only sums: merged samples may repeat */
	/* Set by the command (hearth_report_needs_labels): the report shows no
	 * sample labels, so several sources are merged without them
	 * (HEARTH_MERGE_NO_LABELS). */
	bool no_labels;
	const char *output;
	/* Set by the front end: where lines for the user that are not errors
	 * go (a line each, no newline), or NULL. */
	void (*warn)(void *ctx, const char *line);
	void *warn_ctx;
	size_t max_size; /* cap on decompressed input; 0 is the library default */
	/* URL sources: pprof's -seconds and -timeout (0: unset). */
	int seconds, timeout;
	/* Server sources (http://host:4040/{service="api"}): the range
	 * (-from, -until: Unix seconds, RFC 3339, now, -1h ...), the profile
	 * type (-type) and the token (-token; the CLI falls back to
	 * $HEARTH_TOKEN).  NULL: unset. */
	const char *from, *until, *type, *token;
	/* -symbolize: NULL (pprof's default), none, local, remote, force. */
	const char *symbolize;
} hearth_opts;

void hearth_opts_init(hearth_opts *o);

/* Turns -base into -diff_base: the base's samples kept apart (marked, not
 * subtracted), as the flame graph wants both sides of every frame. */
void hearth_opts_base_apart(hearth_opts *o);

/* Sets one option by its pprof name ("focus", "nodecount", "inuse_space",
 * "lines", "cum" ...).  value is NULL for a flag given without "=value".
 * Returns HEARTH_EINVAL with a message for an unknown name or bad value. */
hearth_err hearth_opts_set(hearth_opts *o, const char *name, const char *value,
			   hearth_errbuf *eb);

/* True when name is an option that takes no value (a boolean or a shortcut). */
bool hearth_opts_is_flag(const char *name);

#endif
