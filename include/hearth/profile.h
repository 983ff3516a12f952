/* libhearth's profile model.
 *
 * A profile is a set of dense arrays that refer to each other by index, never
 * by pointer or by the ids of profile.proto: ids are remapped to indices when a
 * profile is read, and the proto writer numbers them back (index + 1).  All
 * strings live in one interned string table (index 0 is always ""), and all
 * string bytes live in the profile's arena, so freeing a profile is a handful
 * of free() calls however large it is.
 */
#ifndef HEARTH_PROFILE_H
#define HEARTH_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearth/error.h"

#define HEARTH_NONE UINT32_MAX /* "no index", e.g. a location without mapping */

typedef struct {
	uint32_t type, unit; /* string indices */
} hearth_value_type;

typedef struct {
	uint64_t start, limit, offset;
	uint32_t file, build_id; /* string indices */
	bool has_functions, has_filenames, has_line_numbers, has_inline_frames;
} hearth_mapping;

typedef struct {
	uint32_t name, system_name, file; /* string indices */
	int64_t start_line;
} hearth_function;

typedef struct {
	uint32_t function; /* index into functions */
	int64_t line, column;
} hearth_line;

typedef struct {
	uint32_t mapping; /* index into mappings, or HEARTH_NONE */
	uint64_t address;
	uint32_t line0, nlines; /* lines[line0 .. line0+nlines), innermost first */
	bool is_folded;
} hearth_location;

typedef struct {
	uint32_t key;  /* string index */
	uint32_t str;  /* string index; 0 for a numeric label */
	int64_t num;   /* numeric value when str == 0 */
	uint32_t unit; /* string index of the numeric unit, 0 if none */
} hearth_label;

typedef struct {
	uint32_t loc0, nlocs;     /* locs[loc0 .. loc0+nlocs), leaf first */
	uint32_t label0, nlabels; /* labels[label0 .. label0+nlabels) */
} hearth_sample;
/* A sample's values are values[i * nsample_types .. (i+1) * nsample_types). */

typedef struct {
	const char *s; /* NUL-terminated, in the arena */
	uint32_t len;
} hearth_str;

typedef struct hearth_arena_block hearth_arena_block;

typedef struct hearth_profile {
	hearth_arena_block *arena;

	hearth_str *strs;
	uint32_t nstrs, capstrs;
	uint32_t *strhash; /* open-addressing index over strs, built on first intern */
	uint32_t strhash_cap;

	hearth_value_type *sample_types;
	uint32_t nsample_types;
	uint32_t default_sample_type; /* string index */

	hearth_sample *samples;
	size_t nsamples, capsamples;
	int64_t *values; /* nsamples * nsample_types */
	size_t capvalues;
	uint32_t *locs; /* location indices of all samples */
	size_t nlocs, caplocs;
	hearth_label *labels;
	size_t nlabels, caplabels;

	hearth_mapping *mappings;
	uint32_t nmappings, capmappings;
	hearth_location *locations;
	uint32_t nlocations, caplocations;
	hearth_line *lines;
	size_t nlines, caplines;
	hearth_function *functions;
	uint32_t nfunctions, capfunctions;

	uint32_t drop_frames, keep_frames; /* string indices */
	int64_t time_nanos, duration_nanos;
	hearth_value_type period_type;
	int64_t period;
	uint32_t *comments; /* string indices */
	uint32_t ncomments, capcomments;
	uint32_t doc_url; /* string index */
} hearth_profile;

hearth_profile *hearth_profile_new(void);
void hearth_profile_free(hearth_profile *p);
/* A deep copy of p (arrays and strings), or NULL when out of memory: each
 * request of the web API works on its own copy, since a report edits its
 * profile. */
hearth_profile *hearth_profile_clone(const hearth_profile *p);

/* Copies n bytes into the arena; returns a NUL-terminated pointer or NULL. */
char *hearth_profile_strdup(hearth_profile *p, const char *s, size_t n);

/* Returns the index of the string, adding it if absent (HEARTH_NONE on OOM). */
uint32_t hearth_intern(hearth_profile *p, const char *s, size_t n);
static inline uint32_t hearth_intern_cstr(hearth_profile *p, const char *s);
/* Appends a string without looking for a duplicate (readers of profile.proto,
 * whose string table is kept as is). Returns its index or HEARTH_NONE. */
uint32_t hearth_add_string(hearth_profile *p, const char *s, size_t n);

/* Makes room for n more strings, and for interning them without rehashing. */
bool hearth_reserve_strings(hearth_profile *p, uint32_t n);

static inline const char *hearth_s(const hearth_profile *p, uint32_t i)
{
	return i < p->nstrs ? p->strs[i].s : "";
}

/* Builders: each returns the new element's index, or HEARTH_NONE on OOM. */
uint32_t hearth_add_sample_type(hearth_profile *p, const char *type, const char *unit);
uint32_t hearth_add_mapping(hearth_profile *p, const hearth_mapping *m);
uint32_t hearth_add_function(hearth_profile *p, uint32_t name, uint32_t system_name,
			     uint32_t file, int64_t start_line);
/* lines (innermost first) are copied. */
uint32_t hearth_add_location(hearth_profile *p, uint32_t mapping, uint64_t address,
			     const hearth_line *lines, uint32_t nlines, bool is_folded);
/* Adds a sample; locs (leaf first), values (nsample_types of them; the sample
 * types must be set first) and labels are copied. */
hearth_err hearth_add_sample(hearth_profile *p, const uint32_t *locs, uint32_t nlocs,
			     const int64_t *values, const hearth_label *labels,
			     uint32_t nlabels);
hearth_err hearth_add_comment(hearth_profile *p, const char *s, size_t n);

static inline int64_t *hearth_sample_values(const hearth_profile *p, size_t i)
{
	return p->values + i * p->nsample_types;
}

static inline uint32_t hearth_intern_cstr(hearth_profile *p, const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return hearth_intern(p, s, n);
}

/* Finds the mapping that holds addr, for symbolization of legacy profiles. */
uint32_t hearth_mapping_for(const hearth_profile *p, uint64_t addr);

#endif
