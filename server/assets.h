/* The web UI's static files (web/), embedded into the binary at build time
 * by server/embed.sh, so `hearth web` needs no files beside it. */
#ifndef HEARTH_SERVER_ASSETS_H
#define HEARTH_SERVER_ASSETS_H

#include <stddef.h>

typedef struct {
	const char *name; /* the file's name under web/, e.g. "index.html" */
	const char *content_type;
	const unsigned char *data;
	size_t size;
} hearth_asset;

extern const hearth_asset hearth_assets[];
extern const size_t hearth_nassets;

#endif
