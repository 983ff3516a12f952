/* Source files for list and weblist (see source.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report.h"
#include "source.h"
#include "util.h"

static FILE *open_in(const char *dir, size_t dn, const char *path)
{
	hearth_buf joined = {0};
	if (dn)
		hearth_buf_printf(&joined, "%.*s/", (int)dn, dir);
	hearth_buf_puts(&joined, path);
	char *clean = joined.oom ? NULL : malloc(joined.len + 3);
	FILE *f = NULL;
	if (clean) {
		hearth_path_clean(joined.data, clean, joined.len + 3);
		f = fopen(clean, "r");
	}
	free(clean);
	hearth_buf_free(&joined);
	return f;
}

/* The standard library under GOROOT/src, for a name relative to some
 * GOROOT/src ("runtime/proc.go", or "/usr/local/go/src/runtime/proc.go" on
 * the machine that built the program). */
static FILE *open_goroot(const hearth_srcreader *sr, const char *path)
{
	if (!sr->goroot || !*sr->goroot)
		return NULL;
	if (path[0] == '/') {
		const char *s = strstr(path, "/src/");
		if (!s)
			return NULL;
		path = s + 5;
	}
	char dir[4096];
	snprintf(dir, sizeof(dir), "%s/src", sr->goroot);
	return open_in(dir, strlen(dir), path);
}

/* pprof's openSourceFile, then GOROOT/src. */
static FILE *open_source(const hearth_srcreader *sr, const char *name, int *err)
{
	const char *path = name + hearth_rpt_trim_path(name, sr->trim, sr->search);
	if (path[0] == '/') {
		FILE *f = fopen(path, "r");
		*err = errno;
		return f ? f : open_goroot(sr, path);
	}
	for (const char *d = sr->search; d;) {
		const char *e = strchr(d, ':');
		size_t n = e ? (size_t)(e - d) : strlen(d);
		/* The directory, then each parent (filepath.Dir until it stops). */
		char dir[4096];
		if (n < sizeof(dir)) {
			memcpy(dir, d, n);
			dir[n] = 0;
			for (;;) {
				FILE *f = open_in(dir, strlen(dir), path);
				if (f)
					return f;
				char parent[4096];
				char *slash = strrchr(dir, '/');
				if (!slash) {
					snprintf(parent, sizeof(parent), ".");
				} else if (slash == dir) {
					snprintf(parent, sizeof(parent), "/");
				} else {
					*slash = 0;
					hearth_path_clean(dir, parent, sizeof(parent));
					*slash = '/';
				}
				char cur[4096];
				hearth_path_clean(dir[0] ? dir : ".", cur, sizeof(cur));
				if (!strcmp(parent, cur))
					break;
				snprintf(dir, sizeof(dir), "%s", parent);
			}
		}
		if (!e)
			break;
		d = e + 1;
	}
	return open_goroot(sr, path);
}

/* Reads lines as Go's bufio.Scanner: "\n" ends a line, a "\r" before it
 * is dropped, and a line too long for its 64 KiB buffer ends the file. */
static void read_lines(hearth_srcfile *sf, FILE *f)
{
	size_t cap = 0, len = 0, lcap = 0;
	char *data = NULL;
	char tmp[65536];
	size_t k;
	while ((k = fread(tmp, 1, sizeof(tmp), f)) > 0) {
		if (!HEARTH_GROW(data, len, cap, k + 1))
			break;
		memcpy(data + len, tmp, k);
		len += k;
	}
	sf->data = data;
	if (!data)
		return;
	data[len] = 0;
	if (!HEARTH_GROW(sf->lines, 0, lcap, 1))
		return;
	sf->lines[sf->nlines++] = (char *)"";
	for (size_t i = 0; i < len;) {
		char *nl = memchr(data + i, '\n', len - i);
		size_t e = nl ? (size_t)(nl - data) : len;
		if (e - i >= 65536)
			break;
		size_t l = e;
		if (nl && l > i && data[l - 1] == '\r')
			l--;
		if (!nl && l > i && data[l - 1] == '\r')
			l--;
		if (!HEARTH_GROW(sf->lines, sf->nlines, lcap, 1))
			break;
		data[l] = 0;
		sf->lines[sf->nlines++] = data + i;
		i = e + 1;
	}
}

hearth_srcfile *hearth_src_file(hearth_srcreader *sr, const char *path)
{
	for (size_t i = 0; i < sr->n; i++)
		if (!strcmp(sr->files[i].path, path))
			return &sr->files[i];
	if (!HEARTH_GROW(sr->files, sr->n, sr->cap, 1))
		return NULL;
	hearth_srcfile *sf = &sr->files[sr->n];
	memset(sf, 0, sizeof(*sf));
	if (!(sf->path = strdup(path)))
		return NULL;
	sr->n++;
	FILE *f = NULL;
	if (sr->none)
		sf->err = ENOENT;
	else
		f = open_source(sr, path, &sf->err);
	if (!f) {
		sf->missing = true;
		return sf;
	}
	read_lines(sf, f);
	fclose(f);
	return sf;
}

const char *hearth_src_line(hearth_srcreader *sr, const char *path, int64_t ln)
{
	hearth_srcfile *sf = hearth_src_file(sr, path);
	if (!sf || sf->missing || ln <= 0 || (size_t)ln >= sf->nlines)
		return NULL;
	return sf->lines[ln];
}

hearth_err hearth_srcreader_init(hearth_srcreader *sr, const char *source_path,
				 const char *trim_path, const char *goroot, char *cwd, size_t ncwd,
				 hearth_errbuf *eb)
{
	memset(sr, 0, sizeof(*sr));
	sr->search = source_path;
	if (!sr->search || !*sr->search) {
		if (!getcwd(cwd, ncwd))
			return hearth_seterr(eb, HEARTH_EIO, "could not stat current dir: %s",
					     strerror(errno));
		sr->search = cwd;
	}
	sr->trim = trim_path;
	sr->goroot = goroot;
	return HEARTH_OK;
}

void hearth_srcreader_free(hearth_srcreader *sr)
{
	for (size_t i = 0; i < sr->n; i++) {
		free(sr->files[i].path);
		free(sr->files[i].data);
		free(sr->files[i].lines);
	}
	free(sr->files);
	memset(sr, 0, sizeof(*sr));
}
