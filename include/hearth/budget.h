/* A budget for the work of one request: a deadline, and a way to learn that
 * nobody waits for the answer any more.  A server sets one on the thread
 * that computes an answer; the library's long loops (regexp matching over
 * every name, the filters) poll it and stop early once it is spent, and the
 * call returns HEARTH_EBUDGET.  Without a budget (the CLI) nothing changes. */
#ifndef HEARTH_BUDGET_H
#define HEARTH_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

#include "hearth/error.h"

typedef enum {
	HEARTH_BUDGET_OK,
	HEARTH_BUDGET_TIME, /* past its deadline */
	HEARTH_BUDGET_GONE, /* the client disconnected */
	HEARTH_BUDGET_STOP, /* the process is stopping */
} hearth_budget_state;

typedef struct {
	int64_t deadline_ns; /* CLOCK_MONOTONIC nanoseconds; 0: none */
	/* True when the client has gone away; NULL: never asked. */
	bool (*gone)(void *ctx);
	void *ctx;
	/* Kept by the library. */
	hearth_budget_state state;
	unsigned ticks;
	int64_t next_gone_poll;
} hearth_budget;

/* Monotonic nanoseconds (the deadline's clock). */
int64_t hearth_budget_now(void);
/* Makes b the calling thread's budget until hearth_budget_leave. */
void hearth_budget_enter(hearth_budget *b);
void hearth_budget_leave(void);
/* The calling thread's budget state, polled (the clock every few calls,
 * the client every few milliseconds): not HEARTH_BUDGET_OK once spent. */
hearth_budget_state hearth_budget_poll(void);
/* The calling thread's deadline (0: none). */
int64_t hearth_budget_deadline(void);
/* Every budget of the process is spent from now on (a shutdown). */
void hearth_budget_stop_all(void);
/* HEARTH_EBUDGET with a message saying why, or HEARTH_OK while unspent. */
hearth_err hearth_budget_check(hearth_errbuf *eb);

#endif
