/* The UI's embedded files (web/, server/assets.h) as answers: the same
 * lookup for `hearth web` and `hearth serve`. */
#ifndef HEARTH_SERVER_UI_H
#define HEARTH_SERVER_UI_H

#include "api.h"

/* Answers GET path with the embedded file it names: "/" is index.html,
 * "/name" the file name; anything else (another slash, a name that is not
 * embedded) is 404.  No path ever reaches the file system. */
void hearth_ui_serve(const char *path, hearth_api_resp *resp);

#endif
