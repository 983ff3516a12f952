/* Source files for the listings (list, weblist), found as pprof finds
 * them: the name in the profile after -trim_path (or the heuristic that
 * strips everything up to a search directory's base name), absolute as is,
 * relative under each directory of -source_path and its parents; then
 * GOROOT/src, so the standard library is listed without a -source_path.
 * Each file is read once per report. */
#ifndef HEARTH_REPORT_SOURCE_H
#define HEARTH_REPORT_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearth/error.h"

/* A source file read once: its lines (0 unused, as line numbers start at 1). */
typedef struct {
	char *path; /* as the profile names it */
	char *data;
	char **lines;
	size_t nlines;
	bool missing;
	int err; /* errno of opening an absolute name */
} hearth_srcfile;

typedef struct {
	hearth_srcfile *files;
	size_t n, cap;
	const char *search, *trim, *goroot;
	bool none; /* open no file: every one is missing (hearth_opts.no_source_files) */
} hearth_srcreader;

/* Sets the search path (-source_path, else the working directory), the
 * prefixes to trim and GOROOT; cwd is the caller's buffer for the working
 * directory.  Fails only when the working directory cannot be read. */
hearth_err hearth_srcreader_init(hearth_srcreader *sr, const char *source_path,
				 const char *trim_path, const char *goroot, char *cwd, size_t ncwd,
				 hearth_errbuf *eb);
/* The file as the profile names it, read on first use; NULL when out of
 * memory, else ->missing tells whether it was found. */
hearth_srcfile *hearth_src_file(hearth_srcreader *sr, const char *path);
/* Line ln of path, NULL when the file or the line is missing. */
const char *hearth_src_line(hearth_srcreader *sr, const char *path, int64_t ln);
void hearth_srcreader_free(hearth_srcreader *sr);

#endif
