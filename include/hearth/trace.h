/* Go execution traces (runtime/trace, /debug/pprof/trace): the format of
 * Go 1.22 and later (lib/runtime/trace_v2.c) and Go 1.19's
 * (lib/runtime/trace_v1.c), read as a stream with bounded memory, into the
 * analyses of `go tool trace`: goroutines by start function, the blocking
 * profiles of -pprof=net|sync|syscall|sched (as hearth_profile objects),
 * minimum mutator utilization, and Chrome's trace-event JSON
 * (lib/runtime/trace.c). */
#ifndef HEARTH_TRACE_H
#define HEARTH_TRACE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hearth/buf.h"
#include "hearth/error.h"
#include "hearth/profile.h"

enum {
	HEARTH_TRACE_NET,
	HEARTH_TRACE_SYNC,
	HEARTH_TRACE_SYSCALL,
	HEARTH_TRACE_SCHED,
	HEARTH_TRACE_NPROF
};

/* What counts against the program in the MMU: go tool trace's /mmu
 * options ("Include": STW, background workers, mark assist, sweep; "View":
 * system or per-goroutine, i.e. per P). */
enum {
	HEARTH_MMU_STW = 1,
	HEARTH_MMU_BACKGROUND = 2,
	HEARTH_MMU_ASSIST = 4,
	HEARTH_MMU_SWEEP = 8,
	HEARTH_MMU_PERPROC = 16,
	/* nothing counts (flags 0 are the default) */
	HEARTH_MMU_NONE = 32,
	/* go tool trace's default */
	HEARTH_MMU_DEFAULT = HEARTH_MMU_STW | HEARTH_MMU_BACKGROUND | HEARTH_MMU_ASSIST
};

typedef struct {
	/* Chrome trace-event JSON is written here as the trace is read (its
	 * sink streams it), or nowhere when NULL. */
	hearth_buf *chrome;
	/* Called now and then with the bytes read so far and the file's size
	 * (0 when unknown). */
	void (*progress)(void *ctx, uint64_t done, uint64_t total);
	void *progress_ctx;
	/* Cap on one generation's (Go 1.22+) or the whole trace's (Go 1.19)
	 * bytes held at once; 0: 1 GiB. */
	uint64_t max_generation;
	/* HEARTH_MMU_* flags; 0: HEARTH_MMU_DEFAULT. */
	unsigned mmu_flags;
	/* A Go 1.19 trace is read as Go 1.19's go tool trace reads it (its
	 * -pprof profiles and MMU); with newest_tool as the newest go tool
	 * trace converts and reads it.  (The goroutine analysis is the
	 * newest tool's either way.) */
	bool newest_tool;
} hearth_trace_opts;

/* One group of goroutines of the same start function. Times are in ns. */
typedef struct {
	char *name; /* the start function, "" when none was seen */
	uint64_t count;
	int64_t exec, sched_wait, net_wait, sync_block, other_block, syscall, syscall_block, gc;
	int64_t total;
} hearth_trace_group;

typedef struct {
	int version;	    /* 19, 22, 23, 25, 26 */
	int64_t start, end; /* ns, of the first and last event */
	uint64_t events, goroutines, generations;
	hearth_trace_group *groups; /* by execution time, largest first */
	size_t ngroups;
	hearth_profile *prof[HEARTH_TRACE_NPROF];
	/* MMU: for each window, the minimum mutator utilization (0..1). */
	int64_t mmu_window[16];
	double mmu[16];
	int nmmu;
	unsigned mmu_flags; /* what counted */
	bool mmu_go119;	    /* Go 1.19's tool's accounting */
	uint64_t gcs;	    /* GC cycles seen */
	int64_t gc_time;    /* ns with a GC cycle running */
	int64_t stw_time;   /* ns stopped */
	int gomaxprocs;
} hearth_trace;

/* Reads the trace in f (its bytes from the current position); size is
 * its length when known (progress), or 0. */
hearth_err hearth_trace_read(FILE *f, uint64_t size, const hearth_trace_opts *o, hearth_trace **out,
			     hearth_errbuf *eb);
void hearth_trace_free(hearth_trace *t);

/* The goroutine analysis as text. */
void hearth_trace_write_goroutines(const hearth_trace *t, hearth_buf *out);
void hearth_trace_write_mmu(const hearth_trace *t, hearth_buf *out);
/* Both as JSON; times in ns. */
void hearth_trace_write_json(const hearth_trace *t, hearth_buf *out);

#endif
