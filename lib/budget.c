/* Per-thread request budgets (include/hearth/budget.h). */
#include <stdatomic.h>
#include <time.h>

#include "hearth/budget.h"

static _Thread_local hearth_budget *cur;
static atomic_bool stopping;

/* How often the client is asked whether it is still there. */
#define GONE_POLL_NS ((int64_t)20 * 1000000)

int64_t hearth_budget_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void hearth_budget_enter(hearth_budget *b)
{
	b->state = HEARTH_BUDGET_OK;
	b->ticks = 0;
	b->next_gone_poll = 0;
	cur = b;
}

void hearth_budget_leave(void)
{
	cur = NULL;
}

int64_t hearth_budget_deadline(void)
{
	return cur ? cur->deadline_ns : 0;
}

void hearth_budget_stop_all(void)
{
	atomic_store(&stopping, true);
}

hearth_budget_state hearth_budget_poll(void)
{
	hearth_budget *b = cur;
	if (!b)
		return atomic_load_explicit(&stopping, memory_order_relaxed) ? HEARTH_BUDGET_STOP
									     : HEARTH_BUDGET_OK;
	if (b->state)
		return b->state;
	/* The clock costs tens of nanoseconds: read it every 16th poll. */
	if (b->ticks++ % 16)
		return HEARTH_BUDGET_OK;
	if (atomic_load_explicit(&stopping, memory_order_relaxed))
		return b->state = HEARTH_BUDGET_STOP;
	int64_t now = hearth_budget_now();
	if (b->deadline_ns && now >= b->deadline_ns)
		return b->state = HEARTH_BUDGET_TIME;
	if (b->gone && now >= b->next_gone_poll) {
		b->next_gone_poll = now + GONE_POLL_NS;
		if (b->gone(b->ctx))
			return b->state = HEARTH_BUDGET_GONE;
	}
	return HEARTH_BUDGET_OK;
}

hearth_err hearth_budget_check(hearth_errbuf *eb)
{
	hearth_budget *b = cur;
	hearth_budget_state s;
	if (b) {
		if (!b->state) {
			b->ticks = 0; /* a real look, not the every-16th shortcut */
			hearth_budget_poll();
		}
		s = b->state;
	} else {
		s = atomic_load(&stopping) ? HEARTH_BUDGET_STOP : HEARTH_BUDGET_OK;
	}
	switch (s) {
	case HEARTH_BUDGET_OK:
		return HEARTH_OK;
	case HEARTH_BUDGET_TIME:
		return hearth_seterr(eb, HEARTH_EBUDGET,
				     "the request ran out of its time budget; narrow it "
				     "(a simpler regexp, a smaller nodecount) and retry");
	case HEARTH_BUDGET_GONE:
		return hearth_seterr(eb, HEARTH_EBUDGET, "the client went away");
	case HEARTH_BUDGET_STOP:
		return hearth_seterr(eb, HEARTH_EBUDGET, "the server is stopping");
	}
	return HEARTH_OK;
}
