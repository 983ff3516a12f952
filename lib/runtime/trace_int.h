/* Between the execution-trace readers (trace_v1.c, trace_v2.c) and the
 * analyses (trace.c): the readers turn their format into goroutine and proc
 * state transitions, in the order of the trace, and call these. */
#ifndef HEARTH_TRACE_INT_H
#define HEARTH_TRACE_INT_H

#include <stdbool.h>
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

hearth_err hearth_trace_read_v2(FILE *f, int version, uint64_t size, const hearth_trace_opts *o,
				ht_an *a, hearth_trace *t, hearth_errbuf *eb);
hearth_err hearth_trace_read_v1(FILE *f, int version, uint64_t size, const hearth_trace_opts *o,
				ht_an *a, hearth_trace *t, hearth_errbuf *eb);

#endif
