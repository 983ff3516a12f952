/* The UI's static files: only the embedded ones, looked up by exact name. */
#include <string.h>

#include "assets.h"
#include "ui.h"

void hearth_ui_serve(const char *path, hearth_api_resp *resp)
{
	const char *name = !strcmp(path, "/") ? "index.html" : path + 1;
	memset(resp, 0, sizeof(*resp));
	/* Only "/name" of an embedded file: nothing with another slash. */
	if (path[0] != '/' || !*name || strchr(name, '/')) {
		hearth_api_error(resp, 404, "not found");
		return;
	}
	for (size_t i = 0; i < hearth_nassets; i++) {
		const hearth_asset *a = &hearth_assets[i];
		if (strcmp(a->name, name))
			continue;
		resp->status = 200;
		resp->type = a->content_type;
		resp->static_body = a->data;
		resp->static_len = a->size;
		return;
	}
	hearth_api_error(resp, 404, "not found");
}
