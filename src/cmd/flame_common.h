/* What `flame`, `folded` and `speedscope` share: their own flags, loading
 * with both sides of a comparison kept apart, and -output. */
#ifndef HEARTH_CMD_FLAME_COMMON_H
#define HEARTH_CMD_FLAME_COMMON_H

#include "hearth/flame.h"

typedef enum { TREE_SVG, TREE_HTML, TREE_JSON, TREE_FOLDED, TREE_SPEEDSCOPE } tree_format;

/* Runs the command; flame_flags says whether -html, -json, -inverted,
 * -resolution and -title are accepted. */
int run_tree_report(int argc, char **argv, tree_format fmt, bool flame_flags, const char *usage);

#endif
