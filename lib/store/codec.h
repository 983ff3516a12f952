/* What every store backend shares: a tenant's symbol dictionary, the
 * compact block of samples a profile or a rollup is kept as, the merge
 * accumulator, and turning them back into a hearth_profile.  Internal to
 * lib/store/.  See docs/store.md for the formats. */
#ifndef HEARTH_STORE_CODEC_H
#define HEARTH_STORE_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearth/buf.h"
#include "hearth/error.h"
#include "hearth/profile.h"

/* ---- varints ---- */

typedef struct {
	uint8_t *p;
	size_t n, cap;
	bool oom;
} hs_out;
void hs_put_uv_slow(hs_out *o, uint64_t v);
static inline void hs_put_uv(hs_out *o, uint64_t v)
{
	if (o->n + 10 > o->cap) {
		hs_put_uv_slow(o, v);
		return;
	}
	while (v >= 0x80) {
		o->p[o->n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	o->p[o->n++] = (uint8_t)v;
}
static inline void hs_put_sv(hs_out *o, int64_t v)
{
	hs_put_uv(o, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}
void hs_put_bytes(hs_out *o, const void *p, size_t n);
/* A length-prefixed string. */
void hs_put_str(hs_out *o, const char *s, size_t n);
void hs_out_free(hs_out *o);

typedef struct {
	const uint8_t *p, *end;
	bool bad;
} hs_in;
uint64_t hs_get_uv(hs_in *in);
static inline int64_t hs_get_sv(hs_in *in)
{
	uint64_t u = hs_get_uv(in);
	return (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
}
/* A length-prefixed string (not NUL-terminated). */
const uint8_t *hs_get_str(hs_in *in, uint32_t *n);

/* ---- the symbol dictionary of one tenant ---- */

/* Kinds of entries; ids are 1-based per kind, 0 is "none" (and the string
 * "" for HS_STR).  Entries are immutable byte strings:
 *   STR  the bytes
 *   FUNC uv name, uv system_name, uv file (string ids), sv start_line
 *   MAP  uv start, limit, offset, file, build_id, flags
 *   LOC  uv mapping (0: none), uv address, uv folded, uv nlines,
 *        nlines * (uv function, sv line, sv column)   innermost first */
enum { HS_STR, HS_FUNC, HS_MAP, HS_LOC, HS_NKINDS };

typedef struct hs_dict hs_dict;
hs_dict *hs_dict_new(void);
void hs_dict_free(hs_dict *d);
/* Readers (any thread, no lock): committed entries only. */
bool hs_dict_get(const hs_dict *d, int kind, uint32_t id, const uint8_t **p, uint32_t *n);
uint32_t hs_dict_published(const hs_dict *d, int kind);
/* The writer (one at a time) sees its pending entries too. */
bool hs_dict_wget(const hs_dict *d, int kind, uint32_t id, const uint8_t **p, uint32_t *n);
hearth_err hs_dict_intern(hs_dict *d, int kind, const void *p, uint32_t n, uint32_t *id);
/* Interning is one writer at a time: hs_dict_intern (and
 * hs_acc_from_profile) between lock and unlock. */
void hs_dict_lock(hs_dict *d);
void hs_dict_unlock(hs_dict *d);
/* Persisting: the store writes the entries past the committed ones up to
 * a snapshot of the counts (whoever commits first writes the entries of
 * puts still in flight too: an entry is never used by a committed profile
 * before it is committed itself), then commits them. */
void hs_dict_snapshot(hs_dict *d, uint32_t upto[HS_NKINDS]);
uint32_t hs_dict_pending(const hs_dict *d, int kind, const uint32_t upto[HS_NKINDS],
			 uint32_t *first);
void hs_dict_pending_encode(const hs_dict *d, int kind, const uint32_t upto[HS_NKINDS], hs_out *o);
void hs_dict_commit(hs_dict *d, const uint32_t upto[HS_NKINDS]);
/* With the lock held: the counts of entries, committed or not (as
 * hs_dict_snapshot, which takes the lock itself); and forgetting the
 * uncommitted ones (a store shared by several processes hands ids out in
 * the database's order, so a failed write must not leave its own). */
void hs_dict_counts(const hs_dict *d, uint32_t upto[HS_NKINDS]);
void hs_dict_rollback(hs_dict *d);
/* Loading a chunk written by pending_encode (committed at once). */
hearth_err hs_dict_load(hs_dict *d, int kind, uint32_t first, const uint8_t *p, size_t n,
			hearth_errbuf *eb);
size_t hs_dict_bytes(const hs_dict *d);

/* Sweeping the dictionary (sqlite.c's dict_sweep; docs/store.md): ids are
 * marked live from the blocks that remain, then the committed ids up to a
 * snapshot of the counts that nothing marked are deleted.  Ids are never
 * handed out again. */
typedef struct hs_acc hs_acc;
typedef struct hs_marks {
	uint64_t *b[HS_NKINDS];
	uint32_t cap[HS_NKINDS];   /* bits */
	uint32_t limit[HS_NKINDS]; /* ids past it are not recorded (0: none) */
	bool oom;		   /* a mark could not be recorded: delete nothing */
} hs_marks;
void hs_mark(hs_marks *m, int kind, uint32_t id);
bool hs_marked(const hs_marks *m, int kind, uint32_t id);
void hs_marks_free(hs_marks *m);
/* Marks the location ids and the label keys' and units' string ids of a's
 * samples (what a block refers to directly). */
void hs_acc_mark(const hs_acc *a, hs_marks *m);
/* Forgets a's samples, keeping its memory. */
void hs_acc_reset(hs_acc *a);
/* With the writer's lock (wmu): whether one of a's direct references was
 * deleted by a sweep since it was interned. */
bool hs_acc_refs_dead(const hs_acc *a, const hs_dict *d);
/* Bumped by each sweep that deleted something (a put interned before it
 * checks its references again). */
uint64_t hs_dict_gen(hs_dict *d);
/* Marks what the marked entries up to upto refer to (no lock needed:
 * they never change); newer, under the dictionary's lock: also what every
 * entry past upto (new since the sweep began, committed or pending)
 * refers to. */
void hs_dict_mark_closure(const hs_dict *d, const uint32_t upto[HS_NKINDS], hs_marks *m,
			  bool newer);
/* Whether id would be deleted: committed by upto, not deleted yet, not
 * marked. */
bool hs_dict_doomed(const hs_dict *d, int kind, uint32_t id, const uint32_t upto[HS_NKINDS],
		    const hs_marks *live);
bool hs_dict_is_dead(const hs_dict *d, int kind, uint32_t id);
uint32_t hs_dict_committed(const hs_dict *d, int kind);
/* Committed entries not deleted. */
size_t hs_dict_live(const hs_dict *d, int kind);
/* The chunk of ids first..last as it is once the doomed ones are deleted:
 * entries as pending_encode writes them, runs of deleted ids as uv 0, uv
 * count (a chunk of kind HS_NKINDS + kind); *nlive: the entries kept. */
void hs_dict_encode_range(const hs_dict *d, int kind, uint32_t first, uint32_t last,
			  const uint32_t upto[HS_NKINDS], const hs_marks *live, hs_out *o,
			  uint32_t *nlive);
/* Under both locks, once the database has committed: deletes the doomed
 * ids (out of the hash table, their bytes kept for readers in flight);
 * killed receives the counts per kind. */
hearth_err hs_dict_kill(hs_dict *d, const uint32_t upto[HS_NKINDS], const hs_marks *live,
			size_t killed[HS_NKINDS]);

/* The sweep's last step before it deletes (under the dictionary's lock):
 * what track marked (the references of what was stored since the
 * marking's snapshot) and every entry past upto join live, with what they
 * refer to; whether any id is doomed (false too when out of memory:
 * live->oom or track->oom). */
bool hs_dict_settle(const hs_dict *d, const uint32_t upto[HS_NKINDS], hs_marks *live,
		    hs_marks *track);
/* A backend's rewrite of the chunks of kind that hold doomed ids, in its
 * transaction: rows are the kind's chunks as stored (kind or kind +
 * HS_NKINDS, first id), in order; fn is called for each chunk to rewrite
 * with the chunk as it becomes (kind + HS_NKINDS) and keep: false when it
 * is left with no entry and is not the last (a gap the loader takes as
 * deleted ids; the last keeps the count of ids).  fn deletes the row and,
 * with keep, writes the new one. */
typedef struct {
	int kind;
	uint32_t first;
} hs_chunk_row;
typedef hearth_err (*hs_chunk_fn)(void *ctx, int rowkind, uint32_t first, const hs_out *chunk,
				  bool keep, hearth_errbuf *eb);
hearth_err hs_dict_rewrite(const hs_dict *d, int kind, const hs_chunk_row *rows, size_t n,
			   const uint32_t upto[HS_NKINDS], const hs_marks *live, hs_chunk_fn fn,
			   void *ctx, hearth_errbuf *eb);
/* Learning another process's sweep (postgres.c): marks in live the ids of
 * first..last (committed here) that the chunk, as the database has it now,
 * keeps: p NULL, a chunk unchanged since this dictionary learned: all of
 * them; else the chunk of kind (kind + HS_NKINDS: with runs of deleted
 * ids), whose kept entries must be the ones held here.  The ids of the
 * chunks deleted whole are marked by none; hs_dict_kill(upto: the counts
 * committed here) then deletes what was not marked. */
hearth_err hs_dict_mark_chunk(const hs_dict *d, int kind, uint32_t first, uint32_t last,
			      const uint8_t *p, size_t n, hs_marks *live, hearth_errbuf *eb);

/* ---- profile metadata (inline strings) ---- */

typedef struct {
	const char *type, *unit;
} hs_vt;
#define HS_MAX_ST 64
#define HS_MAX_COMMENTS 256
typedef struct {
	hs_vt period_type;
	int64_t period, time_nanos, duration_nanos;
	uint32_t nst;
	hs_vt st[HS_MAX_ST];
	const char *default_st, *drop, *keep, *doc_url;
	uint32_t ncomments;
	const char *comments[HS_MAX_COMMENTS];
	int64_t nprofiles; /* how many profiles a rollup holds (1 for one) */
	char *mem;
} hs_meta;
hearth_err hs_meta_from_profile(const hearth_profile *p, hs_meta *m);
void hs_meta_encode(const hs_meta *m, hs_out *o);
hearth_err hs_meta_decode(const uint8_t *p, size_t n, hs_meta *m, hearth_errbuf *eb);
/* Combines b's header into a (pprof's rules: first time, summed duration,
 * largest period, comments once); a must own its strings (mem). */
hearth_err hs_meta_combine(hs_meta *a, const hs_meta *b);
hearth_err hs_meta_copy(hs_meta *dst, const hs_meta *src);
void hs_meta_free(hs_meta *m);
/* "type/unit,type/unit" */
void hs_meta_st_string(const hs_meta *m, hs_out *o);

/* ---- samples: the accumulator ---- */

/* Samples keyed by (stack of dictionary location ids, root first; the
 * sample's labels in canonical bytes).  In merge mode equal keys are summed;
 * in keep mode every sample is kept in order (a single profile). */
typedef struct hs_acc hs_acc;
hs_acc *hs_acc_new(uint32_t nst, bool merge);
void hs_acc_free(hs_acc *a);
size_t hs_acc_n(const hs_acc *a);
/* From now on, samples are keyed by their stack alone: their labels are
 * dropped (a merge for views that show no labels: flame graph, top, call
 * graph; equal stacks become one sample, the numbers of such reports stay
 * the same). */
void hs_acc_drop_labels(hs_acc *a);
/* Samples added (before merging equal ones). */
size_t hs_acc_added(const hs_acc *a);
/* values (nst of them) are added. */
hearth_err hs_acc_add(hs_acc *a, const uint32_t *locs, uint32_t nlocs, const uint8_t *lab,
		      uint32_t nlab, const int64_t *values);
/* Adds every sample of src, each value column k multiplied by scale[k]
 * (NULL: 1) and rounded as hearth_profile_scale does. */
hearth_err hs_acc_add_acc(hs_acc *a, const hs_acc *src, const double *scale);
/* Per sample type totals. */
void hs_acc_totals(const hs_acc *a, int64_t *totals);

/* Turns a profile's samples into a keep-mode accumulator, interning its
 * symbols into d (the writer's). */
hearth_err hs_acc_from_profile(hs_dict *d, const hearth_profile *p, hs_acc **out,
			       hearth_errbuf *eb);

/* ---- blocks ---- */

/* Encodes a's samples (sorted by stack when sort, for compression) as a
 * deflated block. */
hearth_err hs_block_encode(const hs_acc *a, bool sort, hs_out *o);
/* Adds the samples of a block to a (its nst must match). */
hearth_err hs_block_add(hs_acc *a, const uint8_t *z, size_t n, hearth_errbuf *eb);

/* The profile of a's samples with m's header, symbols from d (the reader's
 * published entries; writer: the writer's view). */
hearth_err hs_build_profile(const hs_dict *d, bool writer, const hs_acc *a, const hs_meta *m,
			    hearth_profile **out, hearth_errbuf *eb);

#endif
