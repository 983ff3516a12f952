/* Keeping what was fetched: pprof saves every profile it fetched from a URL
 * (merged, symbolized) so that a second command can read the same data;
 * hearth does the same, with pprof's directory and names. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "engine.h"
#include "hearth/fetch.h"
#include "hearth/io.h"
#include "hearth/save.h"

bool hearth_any_url(const char *const *sources, int n)
{
	for (int i = 0; i < n; i++)
		if (hearth_is_url(sources[i]))
			return true;
	return false;
}

hearth_err hearth_save_fetched(const hearth_profile *p, char *path, size_t n, hearth_errbuf *eb)
{
	char dir[4096];
	const char *t = getenv("PPROF_TMPDIR"), *home = getenv("HOME");
	if (t && *t)
		snprintf(dir, sizeof(dir), "%s", t);
	else if (home && *home)
		snprintf(dir, sizeof(dir), "%s/pprof", home);
	else
		return hearth_seterr(eb, HEARTH_EIO, "no $PPROF_TMPDIR and no $HOME to save in");
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return hearth_seterr(eb, HEARTH_EIO, "%s: %s", dir, strerror(errno));
	/* pprof.<program>.<type>.<type>...NNN.pb.gz */
	char prefix[1024];
	size_t w = (size_t)snprintf(prefix, sizeof(prefix), "pprof.");
	if (p->nmappings && p->mappings[0].file) {
		const char *f = hearth_s(p, p->mappings[0].file);
		size_t bl = 0;
		const char *b = *f ? hearth_path_base(f, strlen(f), &bl) : f;
		if (bl)
			w += (size_t)snprintf(prefix + w, sizeof(prefix) - w, "%.*s.", (int)bl, b);
	}
	for (uint32_t i = 0; i < p->nsample_types && w < sizeof(prefix); i++)
		w += (size_t)snprintf(prefix + w, sizeof(prefix) - w, "%s.",
				      hearth_s(p, p->sample_types[i].type));
	if (w >= sizeof(prefix))
		return hearth_seterr(eb, HEARTH_EIO, "profile name too long to save");
	/* A name made from the profile must stay in dir. */
	for (char *c = prefix; *c; c++)
		if (*c == '/')
			*c = '_';
	for (int i = 1; i < 10000; i++) {
		snprintf(path, n, "%s/%s%03d.pb.gz", dir, prefix, i);
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0) {
			if (errno == EEXIST)
				continue;
			return hearth_seterr(eb, HEARTH_EIO, "%s: %s", path, strerror(errno));
		}
		close(fd);
		/* The name is reserved; the profile replaces it atomically. */
		hearth_err e = hearth_write_file(p, path, eb);
		if (e)
			unlink(path);
		return e;
	}
	return hearth_seterr(eb, HEARTH_EIO, "could not create file of the form %s/%s001.pb.gz",
			     dir, prefix);
}
