/* Execution traces of Go 1.22 and later (internal/trace/tracev2's format).
 *
 * After the 16-byte header the trace is a sequence of batches: a type byte
 * (EvEventBatch, EvExperimentalBatch, or Go 1.26's EvEndOfGeneration), then
 * uvarints generation, thread (M), timestamp and size, then size bytes.  A
 * generation is the batches of one generation number: its string table
 * (EvStrings), stack table (EvStacks), CPU samples, the clock (EvFrequency,
 * or an EvSync batch from Go 1.25) and per-M event batches.  An event is a
 * type byte and uvarint arguments, the first a timestamp delta from the
 * previous event of its batch (the batch's own timestamp for the first).
 *
 * One generation is held at a time (memory: the largest generation, capped),
 * its per-M streams merged in timestamp order as internal/trace does: the
 * earliest event first unless the goroutine it moves is not yet in the
 * state it leaves (a GoStart before the GoUnblock of another M), then the
 * next earliest; timestamps are made strictly increasing as that reader
 * makes them. */
#include <stdlib.h>
#include <string.h>

#include "trace_int.h"
#include "util.h"

enum {
	EvEventBatch = 1,
	EvStacks = 2,
	EvStack = 3,
	EvStrings = 4,
	EvString = 5,
	EvCPUSamples = 6,
	EvCPUSample = 7,
	EvFrequency = 8,
	EvProcsChange = 9,
	EvProcStart,
	EvProcStop,
	EvProcSteal,
	EvProcStatus,
	EvGoCreate,
	EvGoCreateSyscall,
	EvGoStart,
	EvGoDestroy,
	EvGoDestroySyscall,
	EvGoStop,
	EvGoBlock,
	EvGoUnblock,
	EvGoSyscallBegin,
	EvGoSyscallEnd,
	EvGoSyscallEndBlocked,
	EvGoStatus,
	EvSTWBegin,
	EvSTWEnd,
	EvGCActive,
	EvGCBegin,
	EvGCEnd,
	EvGCSweepActive,
	EvGCSweepBegin,
	EvGCSweepEnd,
	EvGCMarkAssistActive,
	EvGCMarkAssistBegin,
	EvGCMarkAssistEnd,
	EvHeapAlloc,
	EvHeapGoal,
	EvGoLabel,
	EvUserTaskBegin,
	EvUserTaskEnd,
	EvUserRegionBegin,
	EvUserRegionEnd,
	EvUserLog,
	EvGoSwitch,
	EvGoSwitchDestroy,
	EvGoCreateBlocked,
	EvGoStatusStack,
	EvExperimentalBatch,
	EvSync,
	EvClockSnapshot,
	EvEndOfGeneration,
	NumEvents
};

/* One more than the arguments after the timestamp delta, per timed event;
 * 0: not timed. */
static const signed char nargs[NumEvents] = {
    [EvProcsChange] = 3,
    [EvProcStart] = 3,
    [EvProcStop] = 1,
    [EvProcSteal] = 4,
    [EvProcStatus] = 3,
    [EvGoCreate] = 4,
    [EvGoCreateSyscall] = 2,
    [EvGoStart] = 3,
    [EvGoDestroy] = 1,
    [EvGoDestroySyscall] = 1,
    [EvGoStop] = 3,
    [EvGoBlock] = 3,
    [EvGoUnblock] = 4,
    [EvGoSyscallBegin] = 3,
    [EvGoSyscallEnd] = 1,
    [EvGoSyscallEndBlocked] = 1,
    [EvGoStatus] = 4,
    [EvSTWBegin] = 3,
    [EvSTWEnd] = 1,
    [EvGCActive] = 2,
    [EvGCBegin] = 3,
    [EvGCEnd] = 2,
    [EvGCSweepActive] = 2,
    [EvGCSweepBegin] = 2,
    [EvGCSweepEnd] = 3,
    [EvGCMarkAssistActive] = 2,
    [EvGCMarkAssistBegin] = 2,
    [EvGCMarkAssistEnd] = 1,
    [EvHeapAlloc] = 2,
    [EvHeapGoal] = 2,
    [EvGoLabel] = 2,
    [EvUserTaskBegin] = 5,
    [EvUserTaskEnd] = 3,
    [EvUserRegionBegin] = 4,
    [EvUserRegionEnd] = 4,
    [EvUserLog] = 5,
    [EvGoSwitch] = 3,
    [EvGoSwitchDestroy] = 3,
    [EvGoCreateBlocked] = 4,
    [EvGoStatusStack] = 5,
    [EvClockSnapshot] = 4,
};

/* The last event type of each version. */
static int max_event(int version)
{
	return version == 22   ? EvUserLog
	       : version == 23 ? EvExperimentalBatch
	       : version == 25 ? EvClockSnapshot
			       : EvEndOfGeneration;
}

#define MAX_BATCH (64 << 10)
#define MAX_FRAMES 128

typedef struct {
	uint64_t m, time;
	size_t off, len; /* in the generation's bytes */
	uint64_t file_off;
	bool exp;
} batch;

typedef struct {
	uint64_t id;
	int64_t p;
	uint64_t g;
} mstate;

typedef struct {
	FILE *f;
	const hearth_trace_opts *o;
	ht_an *a;
	hearth_trace *t;
	hearth_errbuf *eb;
	int version;
	uint64_t size, off, last_progress, cap;
	/* The generation being read. */
	uint64_t gen;
	bool have_gen;
	unsigned char *data;
	size_t ndata, capdata;
	batch *batches;
	size_t nbatches, capbatches;
	/* Its tables. */
	ht_tab tab;
	double freq; /* ns per tick */
	/* Threads, across generations. */
	mstate *ms;
	size_t nms, capms;
	int64_t last_ts;
} rd;

static hearth_err corrupt(rd *r, uint64_t off, const char *what)
{
	return hearth_seterr(r->eb, HEARTH_ECORRUPT, "offset %llu: %s", (unsigned long long)off,
			     what);
}

/* ---- reading the file ---- */

static int getbyte(rd *r)
{
	int c = getc(r->f);
	if (c != EOF)
		r->off++;
	return c;
}

/* A uvarint from the file: 0 on success, 1 at EOF before it, -1 bad. */
static int file_uvarint(rd *r, uint64_t *v)
{
	uint64_t x = 0;
	for (int s = 0; s < 70; s += 7) {
		int c = getbyte(r);
		if (c == EOF)
			return s ? -1 : 1;
		if (s == 63 && c > 1)
			return -1;
		x |= (uint64_t)(c & 0x7f) << s;
		if (!(c & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -1;
}


/* ---- tables ---- */

static const char *str(rd *r, uint64_t id)
{
	return ht_tab_str(&r->tab, id);
}

/* A stack of the generation as frames (innermost first), into slot. */
static ht_stack stack(rd *r, uint64_t id, int slot)
{
	return ht_tab_stack(&r->tab, id, slot);
}

static hearth_err read_strings(rd *r, const batch *b)
{
	const unsigned char *p = r->data + b->off + 1, *end = r->data + b->off + b->len;
	while (p < end) {
		uint64_t id, n;
		if (*p++ != EvString || !ht_uvarint(&p, end, &id) || !ht_uvarint(&p, end, &n) ||
		    n > 1024 || n > (uint64_t)(end - p))
			return corrupt(r, b->file_off, "bad string table");
		if (!ht_tab_add_str(&r->tab, id, p, n))
			return hearth_seterr(r->eb, HEARTH_ENOMEM, "out of memory");
		p += n;
	}
	return HEARTH_OK;
}

static hearth_err read_stacks(rd *r, const batch *b)
{
	const unsigned char *p = r->data + b->off + 1, *end = r->data + b->off + b->len;
	while (p < end) {
		uint64_t id, n;
		if (*p++ != EvStack || !ht_uvarint(&p, end, &id) || !ht_uvarint(&p, end, &n) ||
		    n > MAX_FRAMES)
			return corrupt(r, b->file_off, "bad stack table");
		ht_rframe *fs = ht_tab_add_stack(&r->tab, id, n);
		if (!fs)
			return hearth_seterr(r->eb, HEARTH_ENOMEM, "out of memory");
		for (uint64_t i = 0; i < n; i++) {
			ht_rframe *f = &fs[i];
			if (!ht_uvarint(&p, end, &f->pc) || !ht_uvarint(&p, end, &f->func) ||
			    !ht_uvarint(&p, end, &f->file) || !ht_uvarint(&p, end, &f->line))
				return corrupt(r, b->file_off, "bad stack table");
		}
	}
	return HEARTH_OK;
}

static hearth_err read_sync(rd *r, const batch *b)
{
	const unsigned char *p = r->data + b->off, *end = p + b->len;
	if (r->version >= 25)
		p++; /* EvSync */
	while (p < end) {
		unsigned char ty = *p++;
		uint64_t v;
		if (ty == EvFrequency) {
			if (!ht_uvarint(&p, end, &v) || !v)
				return corrupt(r, b->file_off, "bad frequency");
			r->freq = 1.0 / ((double)v / 1e9);
		} else if (ty == EvClockSnapshot && r->version >= 25) {
			for (int i = 0; i < 4; i++)
				if (!ht_uvarint(&p, end, &v))
					return corrupt(r, b->file_off, "bad clock snapshot");
		} else {
			return corrupt(r, b->file_off, "bad sync batch");
		}
	}
	return HEARTH_OK;
}

/* ---- threads ---- */

static mstate *mget(rd *r, uint64_t id)
{
	/* Few threads: a linear search with the last hit first. */
	for (size_t i = r->nms; i-- > 0;)
		if (r->ms[i].id == id) {
			if (i + 1 != r->nms) {
				mstate t = r->ms[i];
				r->ms[i] = r->ms[r->nms - 1];
				r->ms[r->nms - 1] = t;
			}
			return &r->ms[r->nms - 1];
		}
	if (r->nms >= 100000 || !HEARTH_GROW(r->ms, r->nms, r->capms, 1))
		return NULL;
	r->ms[r->nms] = (mstate){id, -1, 0};
	return &r->ms[r->nms++];
}

/* ---- the events of one generation ---- */

typedef struct {
	uint64_t m;
	size_t *bs; /* batch indices, in file order */
	size_t nb, bi;
	const unsigned char *p, *end;
	int64_t last;
	/* The decoded next event. */
	int type;
	int64_t time;
	uint64_t args[5];
	bool ok;
	uint64_t ev_off;
} cursor;

static int64_t mul(rd *r, uint64_t ticks)
{
	return (int64_t)((double)ticks * r->freq);
}

/* Decodes the cursor's next event; ok false at its end. */
static hearth_err next(rd *r, cursor *c)
{
	c->ok = false;
	while (c->p >= c->end) {
		if (c->bi >= c->nb)
			return HEARTH_OK;
		const batch *b = &r->batches[c->bs[c->bi++]];
		c->p = r->data + b->off;
		c->end = c->p + b->len;
		c->last = mul(r, b->time);
		c->ev_off = b->file_off;
	}
	const unsigned char *start = c->p;
	int ty = *c->p++;
	if (ty >= NumEvents || ty > max_event(r->version) || !nargs[ty])
		return corrupt(r, c->ev_off, "bad event type in a batch");
	uint64_t dt;
	if (!ht_uvarint(&c->p, c->end, &dt))
		return corrupt(r, c->ev_off, "truncated event");
	for (int i = 0; i < nargs[ty] - 1; i++)
		if (!ht_uvarint(&c->p, c->end, &c->args[i]))
			return corrupt(r, c->ev_off, "truncated event");
	c->type = ty;
	c->time = mul(r, dt) + c->last;
	c->last = c->time;
	c->ok = true;
	(void)start;
	return HEARTH_OK;
}

static int gstate_v2(uint64_t s)
{
	switch (s) {
	case 1:
		return GS_RUNNABLE;
	case 2:
		return GS_RUNNING;
	case 3:
		return GS_SYSCALL;
	case 4:
		return GS_WAITING;
	default:
		return -1;
	}
}

/* Whether the event can come now: the goroutine it moves is in the state
 * it leaves (or unknown). */
static bool ready(rd *r, const cursor *c)
{
	switch (c->type) {
	case EvGoStart: {
		int s = ht_g_state(r->a, c->args[0]);
		return s == GS_RUNNABLE || s == GS_UNDET;
	}
	case EvGoUnblock:
	case EvGoSwitch:
	case EvGoSwitchDestroy: {
		int s = ht_g_state(r->a, c->args[0]);
		return s == GS_WAITING || s == GS_UNDET;
	}
	default:
		return true;
	}
}

/* One event of thread c->m: the threads' goroutines and Ps kept here, the
 * rest handed on (ht_event). */
static int apply(rd *r, cursor *c, int64_t t)
{
	mstate *m = mget(r, c->m);
	if (!m)
		return hearth_seterr(r->eb, HEARTH_ETOOBIG, "too many threads"), 1;
	uint64_t *x = c->args;
	ht_ev e = {.kind = -1,
		   .t = t,
		   .mt = t,
		   .g = m->g,
		   .p = m->p,
		   /* Ranges under way when the trace began come again at each
		    * generation; internal/trace's MMU takes them from the first. */
		   .first_gen = r->t->generations <= 1};
	switch (c->type) {
	case EvProcsChange:
		e.kind = HE_PROCS;
		e.arg = x[0];
		break;
	case EvProcStart:
		m->p = (int64_t)(x[0] & 0x7fffffff);
		break;
	case EvProcStop:
		e.kind = HE_PROC_IDLE;
		e.arg = (uint64_t)m->p;
		m->p = -1;
		break;
	case EvProcSteal: {
		int64_t sp = (int64_t)(x[0] & 0x7fffffff);
		mstate *o = mget(r, x[2]);
		if (!o)
			return hearth_seterr(r->eb, HEARTH_ETOOBIG, "too many threads"), 1;
		if (o->p == sp)
			o->p = -1;
		e.kind = HE_PROC_IDLE;
		e.arg = (uint64_t)sp;
		break;
	}
	case EvProcStatus:
		if (x[1] == 1 || x[1] == 3) {
			m->p = (int64_t)(x[0] & 0x7fffffff);
		} else if (x[1] == 2) {
			e.kind = HE_PROC_IDLE;
			e.arg = x[0] & 0x7fffffff;
		}
		break;
	case EvGoCreate:
	case EvGoCreateBlocked:
		e.kind = HE_GO_CREATE;
		e.arg = x[0];
		e.state = c->type == EvGoCreate ? GS_RUNNABLE : GS_WAITING;
		e.stack = stack(r, x[2], 0);
		e.gstack = stack(r, x[1], 1);
		break;
	case EvGoCreateSyscall:
		m->g = x[0];
		e.kind = HE_GO_CREATE;
		e.arg = x[0];
		e.state = GS_SYSCALL;
		break;
	case EvGoStart:
		m->g = x[0];
		e.kind = HE_GO_START;
		e.arg = x[0];
		break;
	case EvGoDestroy:
	case EvGoDestroySyscall:
		m->g = 0;
		e.kind = c->type == EvGoDestroy ? HE_GO_DESTROY : HE_GO_DESTROY_SYSCALL;
		break;
	case EvGoStop:
	case EvGoBlock:
		m->g = 0;
		e.kind = c->type == EvGoStop ? HE_GO_STOP : HE_GO_BLOCK;
		e.str = str(r, x[0]);
		e.stack = stack(r, x[1], 0);
		break;
	case EvGoUnblock:
		e.kind = HE_GO_UNBLOCK;
		e.arg = x[0];
		e.stack = stack(r, x[2], 0);
		break;
	case EvGoSwitch:
	case EvGoSwitchDestroy: {
		/* coroswitch: this goroutine waits (or ends), the other runs. */
		ht_ev w = e;
		w.kind = c->type == EvGoSwitch ? HE_GO_BLOCK : HE_GO_DESTROY;
		w.str = "coroutine";
		if (ht_event(r->a, &w))
			return 1;
		m = mget(r, c->m);
		m->g = x[0];
		e.kind = HE_GO_START;
		e.arg = x[0];
		break;
	}
	case EvGoSyscallBegin:
		e.kind = HE_GO_SYSCALL_BEGIN;
		e.stack = stack(r, x[1], 0);
		break;
	case EvGoSyscallEnd:
		e.kind = HE_GO_SYSCALL_END;
		break;
	case EvGoSyscallEndBlocked:
		m->g = 0;
		e.kind = HE_GO_SYSCALL_END_BLOCKED;
		break;
	case EvGoStatus:
	case EvGoStatusStack: {
		e.state = gstate_v2(x[2]);
		if (e.state < 0)
			return corrupt(r, c->ev_off, "bad goroutine status"), 1;
		if (e.state == GS_RUNNING || e.state == GS_SYSCALL) {
			mstate *o = mget(r, x[1]);
			if (!o)
				return hearth_seterr(r->eb, HEARTH_ETOOBIG, "too many threads"), 1;
			o->g = x[0];
		}
		e.kind = HE_GO_STATUS;
		e.arg = x[0];
		e.stack = c->type == EvGoStatusStack ? stack(r, x[3], 0) : e.stack;
		break;
	}
	case EvSTWBegin:
	case EvSTWEnd:
		e.kind = c->type == EvSTWBegin ? HE_STW_BEGIN : HE_STW_END;
		e.str = c->type == EvSTWBegin ? str(r, x[0]) : NULL;
		break;
	case EvGCActive:
	case EvGCBegin:
	case EvGCEnd:
		e.kind = c->type == EvGCEnd ? HE_GC_END : HE_GC_BEGIN;
		break;
	case EvGCSweepActive:
	case EvGCSweepBegin:
	case EvGCSweepEnd:
		e.kind = HE_SWEEP;
		e.how = c->type == EvGCSweepActive  ? HT_MMU_ACTIVE
			: c->type == EvGCSweepBegin ? HT_MMU_BEGIN
						    : HT_MMU_END;
		break;
	case EvGCMarkAssistActive:
		e.kind = HE_ASSIST;
		e.how = HT_MMU_ACTIVE;
		e.arg = x[0];
		break;
	case EvGCMarkAssistBegin:
	case EvGCMarkAssistEnd:
		e.kind = HE_ASSIST;
		e.how = c->type == EvGCMarkAssistBegin ? HT_MMU_BEGIN : HT_MMU_END;
		e.arg = e.g;
		break;
	case EvGoLabel:
		e.kind = HE_LABEL;
		e.str = str(r, x[0]);
		break;
	default:
		break;
	}
	return e.kind >= 0 && ht_event(r->a, &e);
}

static int cmp_batch_m(const void *x, const void *y, void *ctx)
{
	const batch *bs = ctx;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	if (bs[a].m != bs[b].m)
		return bs[a].m < bs[b].m ? -1 : 1;
	return a < b ? -1 : a > b;
}

static int cmp_first_batch(const void *x, const void *y)
{
	size_t a = ((const cursor *)x)->bs[0], b = ((const cursor *)y)->bs[0];
	return a < b ? -1 : a > b;
}

/* ---- the frontier: internal/trace's min-heap of the threads' cursors by
 * the time of their next event, sifted as it sifts, so that events of two
 * threads at one nanosecond come in its order (the later then takes its
 * +1 ns, which moves the MMU's steps and the per-goroutine sums) ---- */

static void swap_cursors(cursor *h, size_t i, size_t j)
{
	cursor t = h[i];
	h[i] = h[j];
	h[j] = t;
}

static size_t sift_up(cursor *h, size_t i)
{
	while (i > 0 && h[(i - 1) / 2].time > h[i].time) {
		swap_cursors(h, (i - 1) / 2, i);
		i = (i - 1) / 2;
	}
	return i;
}

static void sift_down(cursor *h, size_t n, size_t i)
{
	for (;;) {
		size_t m = i, l = 2 * i + 1, rt = 2 * i + 2;
		if (l < n && h[l].time < h[m].time)
			m = l;
		if (rt < n && h[rt].time < h[m].time)
			m = rt;
		if (m == i)
			return;
		swap_cursors(h, i, m);
		i = m;
	}
}

/* Its heapRemove: i up to the root regardless of time, swapped with the
 * last, which then sifts down. */
static void heap_remove(cursor *h, size_t *n, size_t i)
{
	for (; i > 0; i = (i - 1) / 2)
		swap_cursors(h, (i - 1) / 2, i);
	swap_cursors(h, 0, --*n);
	sift_down(h, *n, 0);
}

/* slices.SortFunc by time: an insertion sort up to 12 cursors, as Go's
 * pdqsort does there (more threads at once may order ties otherwise). */
static void sort_frontier(cursor *h, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && h[j].time < h[j - 1].time; j--)
			swap_cursors(h, j, j - 1);
}

static hearth_err process_generation(rd *r)
{
	hearth_err e = HEARTH_OK;
	size_t *order = NULL;
	cursor *cs = NULL;
	size_t ncs = 0;
	ht_tab_reset(&r->tab);
	r->freq = 0;
	uint64_t min_ts = 0;
	size_t nev = 0;
	for (size_t i = 0; i < r->nbatches; i++) {
		batch *b = &r->batches[i];
		/* internal/trace's minTs: over every batch, a zero restarting it. */
		if (!min_ts || b->time < min_ts)
			min_ts = b->time;
		if (b->exp || !b->len)
			continue;
		unsigned char ty = r->data[b->off];
		if (ty == EvStrings)
			e = read_strings(r, b);
		else if (ty == EvStacks)
			e = read_stacks(r, b);
		else if (ty == EvCPUSamples)
			;
		else if ((ty == EvFrequency && r->version < 25) ||
			 (ty == EvSync && r->version >= 25))
			e = read_sync(r, b);
		else
			nev++;
		if (e)
			goto out;
	}
	if (!r->freq) {
		e = corrupt(r, r->nbatches ? r->batches[0].file_off : r->off,
			    "a generation without its clock frequency");
		goto out;
	}
	ht_tab_sort(&r->tab);
	/* Event batches grouped by thread, in file order. */
	order = malloc((nev + 1) * sizeof(size_t));
	cs = calloc(nev + 1, sizeof(cursor));
	if (!order || !cs) {
		e = hearth_seterr(r->eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	size_t k = 0;
	for (size_t i = 0; i < r->nbatches; i++) {
		batch *b = &r->batches[i];
		if (b->exp || !b->len)
			continue;
		unsigned char ty = r->data[b->off];
		if (ty == EvStrings || ty == EvStacks || ty == EvCPUSamples ||
		    (ty == EvFrequency && r->version < 25) || (ty == EvSync && r->version >= 25))
			continue;
		order[k++] = i;
	}
	if (k)
		qsort_r(order, k, sizeof(size_t), cmp_batch_m, r->batches);
	size_t nm = 0;
	for (size_t i = 0; i < k;) {
		size_t j = i;
		while (j < k && r->batches[order[j]].m == r->batches[order[i]].m)
			j++;
		cs[nm++] = (cursor){.m = r->batches[order[i]].m, .bs = order + i, .nb = j - i};
		i = j;
	}
	/* Into the frontier in the order internal/trace puts them there: the
	 * threads in the order of their first batch. */
	if (nm)
		qsort(cs, nm, sizeof(cursor), cmp_first_batch);
	for (size_t i = 0; i < nm; i++) {
		cursor c = cs[i];
		if ((e = next(r, &c)))
			goto out;
		if (c.ok) {
			cs[ncs] = c;
			sift_up(cs, ncs++);
		}
	}
	/* The generation's sync point. */
	int64_t st = mul(r, min_ts);
	if (st <= r->last_ts)
		st = r->last_ts + 1;
	r->last_ts = st;
	if (ht_sync(r->a, st)) {
		e = ht_an_error(r->a, r->eb);
		goto out;
	}
	while (ncs) {
		/* The heap's top if it can come; else, as internal/trace does, the
		 * frontier sorted (a sorted heap is a heap) and the first in it
		 * that can come; the earliest if none can. */
		size_t best = 0;
		if (!ready(r, &cs[0])) {
			sort_frontier(cs, ncs);
			for (size_t i = 1; i < ncs; i++)
				if (ready(r, &cs[i])) {
					best = i;
					break;
				}
		}
		cursor *c = &cs[best];
		int64_t t = c->time;
		if (t <= r->last_ts)
			t = r->last_ts + 1;
		r->last_ts = t;
		ht_tick(r->a, t);
		if (apply(r, c, t)) {
			e = r->eb->msg[0] ? HEARTH_ECORRUPT : HEARTH_OK;
			hearth_err ae = ht_an_error(r->a, r->eb);
			e = ae ? ae : e ? e : HEARTH_ECORRUPT;
			if (!r->eb->msg[0])
				hearth_seterr(r->eb, e, "offset %llu: bad event",
					      (unsigned long long)c->ev_off);
			goto out;
		}
		if ((e = next(r, c)))
			goto out;
		if (c->ok) {
			if (sift_up(cs, best) == best)
				sift_down(cs, ncs, best);
		} else
			heap_remove(cs, &ncs, best);
	}
out:
	free(order);
	free(cs);
	r->ndata = 0;
	r->nbatches = 0;
	return e;
}

static void progress(rd *r)
{
	if (r->o->progress && r->off - r->last_progress >= (4u << 20)) {
		r->last_progress = r->off;
		r->o->progress(r->o->progress_ctx, r->off, r->size);
	}
}

hearth_err hearth_trace_read_v2(FILE *f, int version, uint64_t size, const hearth_trace_opts *o,
				ht_an *a, hearth_trace *t, hearth_errbuf *eb)
{
	rd *r = calloc(1, sizeof(*r));
	if (!r)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	r->f = f;
	r->o = o;
	r->a = a;
	r->t = t;
	r->eb = eb;
	r->version = version;
	r->size = size;
	r->off = 16;
	r->cap = o->max_generation ? o->max_generation : ((uint64_t)1 << 30);
	hearth_err e = HEARTH_OK;
	for (;;) {
		uint64_t boff = r->off;
		int ty = getbyte(r);
		if (ty == EOF)
			break;
		if (ty == EvEndOfGeneration && version >= 26) {
			if (r->have_gen && (e = process_generation(r)))
				goto out;
			r->have_gen = false;
			continue;
		}
		bool exp = false;
		if (ty == EvExperimentalBatch && version >= 23) {
			exp = true;
			if (getbyte(r) == EOF) {
				e = corrupt(r, boff, "truncated batch header");
				goto out;
			}
		} else if (ty != EvEventBatch) {
			e = corrupt(r, boff, "expected a batch");
			goto out;
		}
		uint64_t gen, m, ts, n;
		if (file_uvarint(r, &gen) || file_uvarint(r, &m) || file_uvarint(r, &ts) ||
		    file_uvarint(r, &n)) {
			e = corrupt(r, boff, "truncated batch header");
			goto out;
		}
		if (n > MAX_BATCH) {
			e = corrupt(r, boff, "batch larger than 64 KiB");
			goto out;
		}
		if (r->have_gen && gen != r->gen) {
			if ((e = process_generation(r)))
				goto out;
			r->have_gen = false;
		}
		if (!r->have_gen) {
			r->gen = gen;
			r->have_gen = true;
		}
		if (r->ndata + n > r->cap) {
			e = hearth_seterr(eb, HEARTH_ETOOBIG,
					  "offset %llu: a generation over %llu bytes (-max_size)",
					  (unsigned long long)boff, (unsigned long long)r->cap);
			goto out;
		}
		if (!HEARTH_GROW(r->data, r->ndata, r->capdata, n + 1) ||
		    !HEARTH_GROW(r->batches, r->nbatches, r->capbatches, 1)) {
			e = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			goto out;
		}
		if (fread(r->data + r->ndata, 1, n, f) != n) {
			e = corrupt(r, boff, "truncated batch");
			goto out;
		}
		r->off += n;
		r->batches[r->nbatches++] = (batch){m, ts, r->ndata, n, boff, exp};
		r->ndata += n;
		progress(r);
	}
	if (r->have_gen)
		e = process_generation(r);
out:
	free(r->data);
	free(r->batches);
	ht_tab_free(&r->tab);
	free(r->ms);
	free(r);
	return e;
}
