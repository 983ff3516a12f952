/* The tree of frames behind flame.c, flame_svg.c, flame_html.c, folded.c and
 * speedscope.c.  Internal to libhearth. */
#ifndef HEARTH_FLAME_INTERNAL_H
#define HEARTH_FLAME_INTERNAL_H

#include "hearth/flame.h"
#include "report.h"

/* What one side of a frame holds: every sample under it, the samples that
 * end in it, and those of its callees too narrow to be shown. */
typedef struct {
	int64_t total, self, merged;
} hearth_fsums;

/* One frame as the walk reports it. */
typedef struct {
	uint32_t name;	     /* index into the names; HEARTH_NONE for the root */
	uint32_t depth;	     /* 0 for the root */
	bool inl;	     /* inlined into its caller */
	hearth_fsums a, b;   /* the profile (after) and the base (before) */
	hearth_fsums da, db; /* -mean: the divisors of a and b */
} hearth_fvisit;

/* The samples of a report, as call paths of name keys, ready to walk. */
typedef struct {
	hearth_report *r;
	char **names; /* distinct printable names, sorted by strcmp */
	uint32_t nnames;
	size_t n;	      /* samples with a nonzero value */
	uint32_t *seq;	      /* keys of every sample's path, root first */
	size_t *off;	      /* sample k's keys: seq[off[k] .. off[k+1]) */
	int64_t *val;	      /* the value of sample k, positive on either side */
	int64_t *div;	      /* -mean: the divisor of sample k; NULL otherwise */
	uint8_t *base;	      /* 1 when sample k belongs to the base */
	uint32_t *idx;	      /* sample order, rearranged by the walk */
	uint64_t *tmp, *tmp2; /* sort space, n each */
	bool diff, mean;
	int64_t atotal, btotal; /* sums of the two sides over every sample */
	int64_t no_stack;	/* samples without frames: the root's own value */
	uint32_t maxdepth;
} hearth_fprep;

hearth_err hearth_fprep_new(hearth_report *r, hearth_fprep *fp);
/* The same, with reverse: every path leaf first (the callers' tree). */
hearth_err hearth_fprep_new_dir(hearth_report *r, bool reverse, hearth_fprep *fp);
/* The same, with every path cut to start at the frame printed exactly as
 * `at` (NULL: no cut): root first, its outermost occurrence (the callees'
 * tree of that function); reverse, its innermost (the callers' tree).
 * Samples without it are left out.  HEARTH_EINVAL when no frame has that
 * name. */
hearth_err hearth_fprep_new_at(hearth_report *r, bool reverse, const char *at, hearth_fprep *fp);
void hearth_fprep_free(hearth_fprep *fp);

/* Visits the frames in preorder, children in name order.  Callees whose
 * larger side is below min are not visited: their sums go to the caller's
 * merged.  A nonzero return from cb stops the walk and is returned. */
typedef int (*hearth_fvisit_fn)(void *ctx, const hearth_fvisit *v);
hearth_err hearth_fprep_walk(hearth_fprep *fp, int64_t min, hearth_fvisit_fn cb, void *ctx,
			     size_t *merged_paths);

/* A flame graph kept in memory. */
typedef struct {
	uint32_t name, depth, parent; /* parent: HEARTH_NONE for the root */
	bool inl;
	int64_t width; /* the larger side, callees included: what it is drawn as */
	hearth_fsums a, b, da, db;
} hearth_fnode;

struct hearth_flame {
	hearth_report *r;
	hearth_flame_opts o;
	hearth_fprep fp;
	hearth_fnode *nodes; /* preorder */
	size_t nnodes;
	uint32_t maxdepth;
	int64_t min;	      /* frames below this were merged */
	size_t merged_paths;  /* how many call paths were merged */
	int64_t merged_value; /* and their sum (the larger side) */
	char **clean;	      /* names as valid UTF-8 without control characters */
	uint32_t *pkg_color;  /* 0xRRGGBB per name, by package */
};

/* The name of a frame in valid markup: UTF-8, invalid bytes and control
 * characters replaced by U+FFFD. */
const char *hearth_flame_name(hearth_flame *f, uint32_t name);
/* Appends s escaped for XML/HTML text and attribute values. */
void hearth_xml_escape(hearth_buf *out, const char *s);
/* The same for text that may not be valid UTF-8. */
void hearth_xml_escape_clean(hearth_buf *out, const char *s);
/* The line under the title: type, total, and (merged) what was merged. */
void hearth_flame_subtitle(hearth_flame *f, hearth_buf *out, bool merged);
/* A colour for the frame: by package, or by change in a diff. */
uint32_t hearth_flame_color(hearth_flame *f, const hearth_fnode *n);
/* The value a frame shows: a side's sum, or its mean with -mean. */
int64_t hearth_flame_shown(const hearth_flame *f, int64_t v, int64_t div);
/* Appends JSON: the flame graph, with '<' escaped so it can sit in HTML. */
hearth_err hearth_flame_json_append(hearth_flame *f, hearth_buf *out, bool html);

#endif
