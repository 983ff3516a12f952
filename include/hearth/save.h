/* Saving fetched profiles as pprof does (lib/save.c). */
#ifndef HEARTH_SAVE_H
#define HEARTH_SAVE_H

#include <stdbool.h>
#include <stddef.h>

#include "hearth/profile.h"

/* Whether one of the sources is fetched (a URL or host:port). */
bool hearth_any_url(const char *const *sources, int n);

/* Writes p, gzipped, to $PPROF_TMPDIR (else $HOME/pprof, created) as
 * pprof.<program>.<sample types>.NNN.pb.gz with the first free NNN, and
 * puts the file's name in path. */
hearth_err hearth_save_fetched(const hearth_profile *p, char *path, size_t n, hearth_errbuf *eb);

#endif
