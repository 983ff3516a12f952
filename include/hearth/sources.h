/* Loading what the command line names: one or more profiles merged into one
 * (pprof's rules for compatible sample types), minus -base profiles, with
 * -diff_base profiles marked, and the profile's drop_frames applied. */
#ifndef HEARTH_SOURCES_H
#define HEARTH_SOURCES_H

#include "hearth/buf.h"
#include "hearth/options.h"
#include "hearth/profile.h"

hearth_err hearth_load_sources(const char *const *paths, int n, const hearth_opts *o,
			       hearth_profile **out, hearth_errbuf *eb);

/* Applies base to the loaded profile *p as -base does (subtracted) or, when
 * diff, as -diff_base does (subtracted, its samples marked with the label
 * pprof::base=true so reports take totals from the base); norm is pprof's
 * -normalize.  *p is replaced by the result; base is consumed either way.
 * hearth_load_sources does this for files; a server does it for profiles
 * it merged from its store. */
hearth_err hearth_apply_base(hearth_profile **p, hearth_profile *base, bool diff, bool norm,
			     hearth_errbuf *eb);

/* Merges ps[0..n) into a new profile (pprof's profile.Merge): samples with
 * the same stack and labels are summed. The inputs are left as they were. */
hearth_err hearth_merge(hearth_profile *const *ps, int n, hearth_profile **out,
			hearth_errbuf *eb);
/* An incremental merge: add profiles one by one (each may be freed right
 * after), then finish.  hearth_merge is new + add each + finish. */
typedef struct hearth_merger hearth_merger;
hearth_err hearth_merger_new(hearth_merger **out);
hearth_err hearth_merger_add(hearth_merger *mg, const hearth_profile *p, hearth_errbuf *eb);
/* Samples are appended, not summed with equal ones: every flat and cum
 * stays the same, and a 1440-profile merge for `top` skips a hash table of
 * millions of stacks.  Reports that show samples (traces, proto) do not. */
void hearth_merger_concat(hearth_merger *mg);
/* What a merge may leave out, for reports that do not show it (the store's
 * merges take the same flags, lib/store/store.h).
 * HEARTH_MERGE_NO_LABELS: the samples' own labels (pprof labels such as a
 * handler or a request id); samples are merged by stack alone.  top, a
 * source listing, peek or tree without tag options reports the same
 * numbers either way, and a series of labelled profiles no longer carries
 * every label of every sample.  A label pprof::base (a -diff_base profile
 * written out) is kept: the report's totals come from the samples it marks. */
enum { HEARTH_MERGE_NO_LABELS = 1 };
void hearth_merger_flags(hearth_merger *mg, unsigned flags);
/* The profile merged so far (NULL before the first add). */
hearth_profile *hearth_merger_profile(hearth_merger *mg);
hearth_err hearth_merger_finish(hearth_merger *mg, hearth_profile **out, hearth_errbuf *eb);
void hearth_merger_free(hearth_merger *mg);

/* Multiplies every sample value by ratio and drops samples left all zero. */
void hearth_profile_scale(hearth_profile *p, double ratio);

#endif
