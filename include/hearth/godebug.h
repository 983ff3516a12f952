/* GODEBUG logs: the lines the Go runtime writes to standard error under
 * GODEBUG=gctrace=1 (one per collection, plus the scavenger's), and
 * schedtrace=N (a SCHED line every N ms; with scheddetail=1 also one line
 * per P, M and G), of every Go version from 1.19 on, mixed with whatever
 * else the program writes (lib/runtime/godebug.c).
 *
 * A log is fed in pieces of any size (hearth_godebug_feed), so a log of any
 * length is read in bounded memory apart from the parsed events.  Lines that
 * are not the runtime's are counted, never fatal. */
#ifndef HEARTH_GODEBUG_H
#define HEARTH_GODEBUG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearth/buf.h"
#include "hearth/error.h"

/* A field a version does not print is -1. */
typedef struct {
	uint64_t num;	    /* gc N */
	double at;	    /* @T: seconds since the program started */
	int pct;	    /* P%: GC's share of CPU since the program started */
	double clock_ms[3]; /* wall clock: STW sweep termination, concurrent mark, STW mark term. */
	double cpu_ms[5]; /* CPU: STW sweep term., mark assist, background, idle, STW mark term. */
	int64_t heap_start; /* MB at the start of the cycle */
	int64_t heap_end;   /* MB at its end */
	int64_t heap_live;  /* MB marked live */
	int64_t goal;	    /* MB heap goal */
	int64_t stacks;	    /* MB scannable stacks (Go 1.18+) */
	int64_t globals;    /* MB scannable globals (Go 1.18+) */
	int procs;	    /* P */
	bool forced;	    /* "(forced)": runtime.GC() */
	uint64_t line;	    /* 1-based line number in the log */
	uint32_t run;	    /* program run within the log (a "gc 1" starts a new one) */
} hearth_gc_line;

typedef struct {
	double at_ms; /* SCHED Tms */
	int64_t gomaxprocs, idleprocs, threads, spinningthreads, needspinning, idlethreads;
	int64_t runqueue;				       /* the global run queue */
	int64_t local_runq;				       /* the sum of the Ps' run queues */
	int64_t local_runq_max;				       /* the longest P run queue */
	int64_t gcwaiting, nmidlelocked, stopwait, sysmonwait; /* scheddetail only */
	/* scheddetail only (-1 without): G lines that are not dead, and of them
	 * runnable, running, in a syscall, waiting. */
	int64_t goroutines, g_runnable, g_running, g_syscall, g_waiting;
	int64_t ms; /* M lines */
	bool detailed;
	uint64_t line;
	uint32_t run;
} hearth_sched_line;

typedef struct {
	int64_t work_kib;  /* released since the last line (Go 1.19-1.20: all of it) */
	int64_t eager_kib; /* released eagerly (Go 1.21+), -1 before */
	int64_t total_kib; /* "KiB total" / "KiB now": returned to the OS */
	int util;	   /* % util */
	bool forced, reset;
	bool scvg; /* the older "scvg" form (before Go 1.13) */
	double at; /* the time of the last gc line before it, -1 if none */
	uint64_t line;
} hearth_scav_line;

typedef struct {
	hearth_gc_line *gcs;
	size_t ngcs, capgcs;
	hearth_sched_line *scheds;
	size_t nscheds, capscheds;
	hearth_scav_line *scavs;
	size_t nscavs, capscavs;
	/* Counts of lines. */
	uint64_t lines;	    /* every line */
	uint64_t other;	    /* the program's own output */
	uint64_t malformed; /* began like a runtime line but did not parse */
	uint64_t too_long;  /* longer than HEARTH_GODEBUG_MAX_LINE, skipped */
	uint64_t p_lines, m_lines, g_lines;
	uint64_t first_malformed; /* line number of the first malformed one, 0 if none */
	uint32_t runs;
	/* The line being assembled across feeds. */
	char *part;
	size_t npart, cappart;
	bool skipping; /* inside an over-long line */
	/* A runtime line that did not parse, waiting for its rest (a write of
	 * the program's may have split it). */
	char *pend;
	size_t npend, pend_anchor, pend_fail;
	uint64_t pend_line;
	int pend_age;
	bool pend_pmg; /* the waiting line is a P, M or G line */
	/* The waiting line is the program's, begun by a runtime line's first
	 * write or two ("gc ", "gc 38"): with no rest it counts as the
	 * program's, not as malformed. */
	bool pend_weak;
	bool in_sched; /* P/M/G lines belong to the last SCHED line */
} hearth_godebug;

#define HEARTH_GODEBUG_MAX_LINE (64 * 1024)
/* Caps on what one log may hold (events of each kind). */
#define HEARTH_GODEBUG_MAX_EVENTS ((size_t)8 << 20)

void hearth_godebug_init(hearth_godebug *g);
void hearth_godebug_free(hearth_godebug *g);
/* Feeds the next n bytes of the log. */
hearth_err hearth_godebug_feed(hearth_godebug *g, const char *data, size_t n, hearth_errbuf *eb);
/* Ends the log (a last line without a newline). */
hearth_err hearth_godebug_finish(hearth_godebug *g, hearth_errbuf *eb);

/* p50/p99/max with the nearest-rank method (the smallest value with at
 * least p% of the values at or below it); n == 0 gives zeros. */
typedef struct {
	double p50, p99, max, sum;
	size_t n;
} hearth_dist;

typedef struct {
	size_t gcs, forced;
	double first_at, last_at; /* seconds, of the gc lines */
	double rate;		  /* GCs per second from the first line to the last */
	int cpu_pct;		  /* the last line's P% (the runtime's own figure) */
	double cpu_share;	  /* GC CPU ms / (wall ms x P) over the lines' span, 0..1 */
	hearth_dist stw;	  /* every STW phase (two per GC), ms */
	hearth_dist stw_gc;	  /* STW per GC (both phases), ms */
	hearth_dist mark;	  /* concurrent mark, ms wall clock */
	hearth_dist live, goal;	  /* MB */
	int64_t live_last, goal_last, heap_max, stacks_max, globals_max;
	int procs;
	size_t scheds, detailed;
	double sched_first_ms, sched_last_ms;
	hearth_dist goroutines, runqueue, local_runq, threads, idleprocs, spinning;
	int64_t gomaxprocs;
	size_t scavs;
	int64_t scav_total_kib;	   /* the last line's */
	int64_t scav_released_kib; /* the sum of work (and eager) over the lines */
} hearth_godebug_summary;

void hearth_godebug_summarize(const hearth_godebug *g, hearth_godebug_summary *s);
/* The summary as text (hearth godebug's output); name heads it. */
void hearth_godebug_write_text(const hearth_godebug *g, const char *name, hearth_buf *out);
/* The summary and every series as JSON. */
void hearth_godebug_write_json(const hearth_godebug *g, const char *name, hearth_buf *out);

/* Charts: heap (start, end, live, goal) over time, STW pauses, GC CPU share,
 * and the scheduler's goroutines, run queues, threads and idle Ps.  The SVG
 * stacks the charts of every log; the HTML page holds the same SVG and the
 * summaries, self-contained (no script, no fetch). */
void hearth_godebug_write_svg(const hearth_godebug *const *logs, const char *const *names,
			      size_t nlogs, hearth_buf *out);
void hearth_godebug_write_html(const hearth_godebug *const *logs, const char *const *names,
			       size_t nlogs, hearth_buf *out);

#endif
