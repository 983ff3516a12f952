/* Between the execution-trace readers (trace_v1.c, trace_v2.c) and the
 * analyses (trace.c): the readers turn their format into goroutine and proc
 * state transitions, in the order of the trace, and call these. */
#ifndef HEARTH_TRACE_INT_H
#define HEARTH_TRACE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearth/trace.h"

/* Goroutine states, as internal/trace names them. */
enum { GS_UNDET, GS_NOTEXIST, GS_RUNNABLE, GS_RUNNING, GS_WAITING, GS_SYSCALL };
/* Ranges. */
enum { RG_GC, RG_STW, RG_ASSIST, RG_SWEEP };

typedef struct {
	uint64_t pc, line;
	const char *func, *file;
} ht_frame;

typedef struct {
	const ht_frame *f; /* innermost first */
	uint32_t n;
} ht_stack;

typedef struct ht_an ht_an;

/* ---- the string and stack tables of a trace (trace_tab.c) ---- */

#define HT_MAX_FRAMES 128 /* of a stack handed on; more are cut */

typedef struct {
	uint64_t pc, func, file, line; /* func, file: string ids */
} ht_rframe;

typedef struct {
	uint64_t id;
	uint32_t off, len; /* strings: in sbuf; stacks: in frames */
} ht_entry;

typedef struct {
	ht_entry *strs, *stks;
	size_t nstrs, capstrs, nstks, capstks;
	char *sbuf;
	size_t nsbuf, capsbuf;
	ht_rframe *frames;
	size_t nframes, capframes;
	/* Scratch for two resolved stacks at once. */
	ht_frame fr[2][HT_MAX_FRAMES];
} ht_tab;

/* An unsigned LEB128 varint at *p (before end), *p moved past it; false
 * when cut or over 64 bits. */
bool ht_uvarint(const unsigned char **p, const unsigned char *end, uint64_t *v);
/* Adding: false (NULL) when out of memory or too large. */
bool ht_tab_add_str(ht_tab *t, uint64_t id, const void *s, size_t n);
/* Room for the n frames of stack id, for the caller to fill. */
ht_rframe *ht_tab_add_stack(ht_tab *t, uint64_t id, size_t n);
/* After adding, before looking up. */
void ht_tab_sort(ht_tab *t);
void ht_tab_reset(ht_tab *t);
void ht_tab_free(ht_tab *t);
/* "" when unknown. */
const char *ht_tab_str(const ht_tab *t, uint64_t id);
/* The frames of stack id (innermost first, at most HT_MAX_FRAMES) in
 * scratch slot 0 or 1; empty when unknown. */
ht_stack ht_tab_stack(ht_tab *t, uint64_t id, int slot);

ht_an *ht_an_new(const hearth_trace_opts *o, hearth_trace *t);
/* Returns nonzero when out of memory or over a cap (then *eb says). */
int ht_sync(ht_an *a, int64_t t);
/* Every event's time, whatever it is (the end of the trace is the last). */
void ht_tick(ht_an *a, int64_t t);
/* A goroutine's transition; stack: the event's stack (the blocking
 * profiles'), tstack: the transition's (names the goroutine); p: the P of
 * the thread the event happened on, or -1. */
int ht_go(ht_an *a, int64_t t, uint64_t g, int from, int to, const char *reason, ht_stack stack,
	  ht_stack tstack, int64_t p);
/* A P going idle (stopped or stolen while in a syscall). */
int ht_proc_idle(ht_an *a, int64_t t, int64_t p);
int ht_range(ht_an *a, int64_t t, int kind, bool begin, uint64_t g, int64_t p);
void ht_procs(ht_an *a, int n);
/* The state the analysis knows a goroutine in (GS_UNDET when unknown). */
int ht_g_state(ht_an *a, uint64_t g);
/* The end of the trace; fills the hearth_trace.  Frees a. */
hearth_err ht_an_finish(ht_an *a, int64_t t, hearth_errbuf *eb);
void ht_an_free(ht_an *a);
hearth_err ht_an_error(ht_an *a, hearth_errbuf *eb);

/* ---- events, in the terms of the newest internal/trace ---- */

/* Both readers hand their events over as these: the Go 1.22+ reader as
 * they come, the Go 1.19 reader as the newest internal/trace converts
 * Go 1.19's events (tracev1.go).  ht_event turns each into the goroutine
 * transitions, ranges and MMU steps of the analyses. */
enum {
	HE_TIME,		   /* nothing but its time */
	HE_PROCS,		   /* GOMAXPROCS is arg */
	HE_PROC_IDLE,		   /* P arg stopped or was stolen in a syscall */
	HE_GO_CREATE,		   /* arg created in state (runnable, waiting, syscall) */
	HE_GO_START,		   /* arg runs */
	HE_GO_STOP,		   /* g stops running: runnable (a preemption) */
	HE_GO_BLOCK,		   /* g stops running: waiting, for str */
	HE_GO_DESTROY,		   /* g ends */
	HE_GO_DESTROY_SYSCALL,	   /* g ends in a syscall */
	HE_GO_UNBLOCK,		   /* arg made runnable (by g, at stack) */
	HE_GO_SYSCALL_BEGIN,	   /* g enters a syscall */
	HE_GO_SYSCALL_END,	   /* g leaves it, running on */
	HE_GO_SYSCALL_END_BLOCKED, /* g leaves it without a P: runnable */
	HE_GO_STATUS,		   /* arg is in state (when first seen in a generation) */
	HE_STW_BEGIN,		   /* a stop-the-world for reason str */
	HE_STW_END,
	HE_GC_BEGIN,
	HE_GC_END,
	HE_SWEEP,  /* how: HT_MMU_BEGIN, _END or _ACTIVE */
	HE_ASSIST, /* a mark assist of arg; how as HE_SWEEP */
	HE_LABEL,  /* g's label str */
};

typedef struct {
	int kind;
	int64_t t;	/* the analyses' time */
	int64_t mt;	/* the MMU's: t, or in Go 1.19's mode the trace's own */
	uint64_t g;	/* the goroutine running where it happened; 0: none */
	int64_t p;	/* the P where it happened; -1: none */
	uint64_t arg;	/* the goroutine or P it names, or GOMAXPROCS */
	int state;	/* GS_* of HE_GO_CREATE and HE_GO_STATUS */
	int how;	/* HT_MMU_* of HE_SWEEP and HE_ASSIST */
	bool first_gen; /* in the first generation (ranges under way then count) */
	const char *str;
	ht_stack stack;	 /* the event's */
	ht_stack gstack; /* HE_GO_CREATE: the new goroutine's */
} ht_ev;

/* Returns nonzero when out of memory or over a cap. */
int ht_event(ht_an *a, const ht_ev *e);

/* Whether a Go 1.19 trace is read as Go 1.19's go tool trace reads it. */
bool ht_go119(ht_an *a);
/* The blocking profiles come from ht_prof_add calls of the reader (Go
 * 1.19's tool's), not from the transitions. */
void ht_prof_direct(ht_an *a);
/* One contention of kind (HEARTH_TRACE_*) at stack, of delay ns. */
int ht_prof_add(ht_an *a, int kind, ht_stack stack, int64_t delay);

/* The minimum mutator utilization (trace_mmu.c), fed by the readers in
 * trace order.  Each call is one event of the trace (at time t, on P p, or
 * -1); the calls return nonzero when out of memory or over a cap. */
typedef struct ht_mmu ht_mmu;
enum { HT_MMU_END, HT_MMU_BEGIN, HT_MMU_ACTIVE };
/* go119: Go 1.19's go tool trace's accounting (a Go 1.19 trace read in its
 * own tool's mode): goroutines start and stop at ht_mmu_run calls of the
 * reader; else the analysis calls ht_mmu_run as a goroutine starts or stops
 * executing (running or in a syscall), as the newest internal/trace. */
ht_mmu *ht_mmu_new(unsigned flags, bool go119);
ht_mmu *ht_an_mmu(ht_an *a);
bool ht_mmu_go119(const ht_mmu *m);
/* Any other event: only its time (the last event ends the curve). */
void ht_mmu_tick(ht_mmu *m, int64_t t);
int ht_mmu_procs(ht_mmu *m, int64_t t, int n);
/* gc: the stop-the-world is the collector's (its reason has "GC"). */
int ht_mmu_stw(ht_mmu *m, int64_t t, bool begin, bool gc);
/* how: HT_MMU_BEGIN, HT_MMU_END, or HT_MMU_ACTIVE (under way when the
 * trace began; only in its first generation); cur_running: whether the
 * goroutine of the event is running. */
int ht_mmu_assist(ht_mmu *m, int64_t t, uint64_t g, int64_t p, int how, bool cur_running);
int ht_mmu_sweep(ht_mmu *m, int64_t t, int64_t p, int how);
/* Goroutine g's label (background mark workers: "GC (dedicated)", ...). */
int ht_mmu_label(ht_mmu *m, int64_t t, uint64_t g, int64_t p, const char *label);
int ht_mmu_run(ht_mmu *m, int64_t t, uint64_t g, int64_t p, bool running);
/* The curve at hearth's windows into t (end: the time of the trace's
 * closing event; a Go 1.19 mode takes its last event's). */
void ht_mmu_finish(ht_mmu *m, int64_t end, hearth_trace *t);
hearth_err ht_mmu_error(const ht_mmu *m, hearth_errbuf *eb);
void ht_mmu_free(ht_mmu *m);

hearth_err hearth_trace_read_v2(FILE *f, int version, uint64_t size, const hearth_trace_opts *o,
				ht_an *a, hearth_trace *t, hearth_errbuf *eb);
hearth_err hearth_trace_read_v1(FILE *f, int version, uint64_t size, const hearth_trace_opts *o,
				ht_an *a, hearth_trace *t, hearth_errbuf *eb);

#endif
