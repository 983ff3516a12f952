/* The analyses of an execution trace, on the events the readers
 * (trace_v1.c, trace_v2.c) hand over in trace order, in the newest
 * internal/trace's terms (ht_event: one place knows what each kind of
 * event does to the goroutines, the ranges and the MMU):
 *
 *  - goroutines by start function, as `go tool trace`'s goroutine pages
 *    (internal/trace's summary): execution, scheduler wait, blocking by
 *    reason, syscalls, GC;
 *  - the blocking profiles of `go tool trace -pprof=net|sync|syscall|sched`
 *    (cmd/trace/pprof.go): each time a goroutine enters the state (waiting
 *    on the network; waiting on a channel, select or sync; in a syscall;
 *    runnable) the stack of that event is charged one contention and the
 *    time until the goroutine leaves the state, clipped to the goroutine's
 *    life from its first run, as that tool clips it (a Go 1.19 trace in
 *    Go 1.19's mode: the reader's, ht_prof_add);
 *  - minimum mutator utilization over a few windows (trace_mmu.c);
 *  - Chrome's trace-event JSON, written as the trace is read.
 *
 * Memory: per goroutine a small record, per distinct stack one entry; the
 * events themselves are never kept. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "trace_int.h"
#include "util.h"

/* ---- interning: frames by PC, stacks by their PCs ---- */

typedef struct {
	uint64_t pc;
	uint32_t func, file; /* indices into the names */
	int64_t line;
} gframe;

typedef struct {
	uint32_t f0, n; /* pcs[f0 .. f0+n) */
	uint64_t hash;
	/* The stack go tool trace's profiles count it under: the same but
	 * for frames past 128 and trailing frames of PC 0 (its key is the
	 * first 128 PCs, zero-padded). */
	uint32_t key;
} gstack;

typedef struct {
	int64_t count, delay;
	/* The stack a sample shows: of those counted under this key, the
	 * last one counted (go tool trace keeps the newest). */
	uint32_t rep;
} prec;

typedef struct {
	uint64_t g;
	int state;
	uint32_t name; /* index into names, 0: none */
	bool named, ended;
	int64_t creation, start, end;
	int64_t last_start, last_runnable, last_block, last_syscall, last_syscall_block;
	int block_class; /* 0 other, 1 net, 2 sync */
	int64_t exec, sched, net, sync, other, syscall, syscall_block, gc;
	int64_t range_begin; /* assist or sweep in progress */
	int64_t run_begin, run_p;
	/* The P the goroutine last entered a syscall on (-1: none).  Kept
	 * after that P goes idle: leaving the syscall forgets that P's
	 * syscalling goroutine whoever it is now, as summary.go's
	 * syscallingG does. */
	int64_t syscall_p;
	/* The blocking profiles: per kind, the time and stack of the event
	 * that entered the state, or -1. */
	int64_t tr_time[HEARTH_TRACE_NPROF];
	uint32_t tr_stack[HEARTH_TRACE_NPROF];
	/* Intervals that ended before the goroutine first ran: they count
	 * only if it never runs (go tool trace clips to its first run). */
	uint32_t pend0, npend;
} gor;

typedef struct {
	int kind;
	uint32_t stack;
	int64_t delay;
	uint32_t next;
} pending;

struct ht_an {
	hearth_trace *t;
	const hearth_trace_opts *o;
	hearth_errbuf err;
	hearth_err code;
	/* Names (function and file names), interned. */
	char **names;
	uint32_t nnames, capnames;
	uint32_t *name_idx;
	uint32_t name_cap;
	/* Frames by PC. */
	gframe *frames;
	uint32_t nframes, capframes;
	uint32_t *frame_idx;
	uint32_t frame_cap;
	/* Stacks by content. */
	gstack *stacks;
	uint32_t nstacks, capstacks;
	uint32_t *stack_idx;
	uint32_t stack_cap;
	uint32_t *spcs; /* frame indices of all stacks */
	size_t nspcs, capspcs;
	/* Per kind, per stack: the profile record. */
	prec *recs[HEARTH_TRACE_NPROF];
	uint32_t caprecs[HEARTH_TRACE_NPROF];
	/* Goroutines by id. */
	gor *gs;
	uint32_t ngs, capgs;
	uint32_t *g_idx;
	uint32_t g_cap;
	pending *pend;
	uint32_t npend, cappend;
	/* P in a syscall -> goroutine index + 1. */
	uint32_t *syscalling;
	uint32_t nsyscalling;
	int64_t sync_ts, last_ts, first_ts;
	bool have_first;
	/* The blocking profiles come from the reader (ht_prof_add), not
	 * from the transitions: Go 1.19's tool's, on a Go 1.19 trace. */
	bool prof_direct;
	ht_mmu *mmu;
	int stw_depth;
	int procs;
	int64_t gc_begin, stw_begin;
	bool in_gc;
	bool chrome_first;
};

static int fail(ht_an *a, hearth_err e, const char *msg)
{
	if (!a->code) {
		a->code = e;
		hearth_seterr(&a->err, e, "%s", msg);
	}
	return 1;
}

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return mix(h);
}

/* Open addressing over index+1 values; grows at half full. */
static bool rehash(uint32_t **tab, uint32_t *cap, uint32_t n, uint64_t (*h)(ht_an *, uint32_t),
		   ht_an *a)
{
	if ((uint64_t)(n + 1) * 2 <= *cap)
		return true;
	uint32_t nc = *cap ? *cap * 2 : 1024;
	uint32_t *nt = calloc(nc, sizeof(uint32_t));
	if (!nt)
		return false;
	for (uint32_t i = 0; i < *cap; i++)
		if ((*tab)[i]) {
			uint64_t k = h(a, (*tab)[i] - 1) & (nc - 1);
			while (nt[k])
				k = (k + 1) & (nc - 1);
			nt[k] = (*tab)[i];
		}
	free(*tab);
	*tab = nt;
	*cap = nc;
	return true;
}

static uint64_t name_hash(ht_an *a, uint32_t i)
{
	return hash_str(a->names[i]);
}

static uint32_t intern_name(ht_an *a, const char *s)
{
	if (!s)
		s = "";
	if (!rehash(&a->name_idx, &a->name_cap, a->nnames, name_hash, a))
		return fail(a, HEARTH_ENOMEM, "out of memory"), 0;
	uint64_t k = hash_str(s) & (a->name_cap - 1);
	while (a->name_idx[k]) {
		if (!strcmp(a->names[a->name_idx[k] - 1], s))
			return a->name_idx[k] - 1;
		k = (k + 1) & (a->name_cap - 1);
	}
	char *c = strdup(s);
	if (!c || !HEARTH_GROW(a->names, a->nnames, a->capnames, 1)) {
		free(c);
		return fail(a, HEARTH_ENOMEM, "out of memory"), 0;
	}
	a->names[a->nnames] = c;
	a->name_idx[k] = ++a->nnames;
	return a->nnames - 1;
}

static uint64_t frame_hash(ht_an *a, uint32_t i)
{
	return mix(a->frames[i].pc);
}

/* go tool trace keys locations by PC: the first frame seen for a PC names
 * it. */
static uint32_t intern_frame(ht_an *a, const ht_frame *f)
{
	if (!rehash(&a->frame_idx, &a->frame_cap, a->nframes, frame_hash, a))
		return fail(a, HEARTH_ENOMEM, "out of memory"), 0;
	uint64_t k = mix(f->pc) & (a->frame_cap - 1);
	while (a->frame_idx[k]) {
		if (a->frames[a->frame_idx[k] - 1].pc == f->pc)
			return a->frame_idx[k] - 1;
		k = (k + 1) & (a->frame_cap - 1);
	}
	if (!HEARTH_GROW(a->frames, a->nframes, a->capframes, 1))
		return fail(a, HEARTH_ENOMEM, "out of memory"), 0;
	gframe *g = &a->frames[a->nframes];
	g->pc = f->pc;
	g->func = intern_name(a, f->func);
	g->file = intern_name(a, f->file);
	g->line = (int64_t)f->line;
	a->frame_idx[k] = ++a->nframes;
	return a->nframes - 1;
}

static uint64_t stack_hash(ht_an *a, uint32_t i)
{
	return a->stacks[i].hash;
}

/* A stack of at most 129 frames (pprof.go's cap), interned; 0 is the empty
 * stack. */
static uint32_t intern_stack(ht_an *a, ht_stack s)
{
	uint32_t n = s.n > 129 ? 129 : s.n;
	uint32_t kn = n > 128 ? 128 : n;
	while (kn && !s.f[kn - 1].pc)
		kn--;
	uint32_t key = UINT32_MAX;
	if (kn != n) {
		key = intern_stack(a, (ht_stack){s.f, kn});
		if (a->code)
			return 0;
	}
	uint32_t idx[129];
	uint64_t h = 7;
	for (uint32_t i = 0; i < n; i++) {
		idx[i] = intern_frame(a, &s.f[i]);
		h = mix(h ^ a->frames[idx[i]].pc) + i;
	}
	if (a->code)
		return 0;
	if (!a->nstacks) {
		/* The empty stack is 0. */
		if (!HEARTH_GROW(a->stacks, 0, a->capstacks, 1))
			return fail(a, HEARTH_ENOMEM, "out of memory"), 0;
		a->stacks[0] = (gstack){0, 0, mix(7), 0};
		a->nstacks = 1;
		if (!rehash(&a->stack_idx, &a->stack_cap, 0, stack_hash, a))
			return fail(a, HEARTH_ENOMEM, "out of memory"), 0;
		uint64_t k0 = a->stacks[0].hash & (a->stack_cap - 1);
		a->stack_idx[k0] = 1;
	}
	if (!rehash(&a->stack_idx, &a->stack_cap, a->nstacks, stack_hash, a))
		return fail(a, HEARTH_ENOMEM, "out of memory"), 0;
	uint64_t k = h & (a->stack_cap - 1);
	while (a->stack_idx[k]) {
		gstack *o = &a->stacks[a->stack_idx[k] - 1];
		if (o->hash == h && o->n == n) {
			uint32_t i = 0;
			while (i < n && a->frames[a->spcs[o->f0 + i]].pc == a->frames[idx[i]].pc)
				i++;
			if (i == n)
				return a->stack_idx[k] - 1;
		}
		k = (k + 1) & (a->stack_cap - 1);
	}
	if (!HEARTH_GROW(a->stacks, a->nstacks, a->capstacks, 1) ||
	    !HEARTH_GROW(a->spcs, a->nspcs, a->capspcs, n))
		return fail(a, HEARTH_ENOMEM, "out of memory"), 0;
	a->stacks[a->nstacks] =
	    (gstack){(uint32_t)a->nspcs, n, h, key == UINT32_MAX ? a->nstacks : key};
	if (n)
		memcpy(a->spcs + a->nspcs, idx, n * sizeof(uint32_t));
	a->nspcs += n;
	a->stack_idx[k] = ++a->nstacks;
	return a->nstacks - 1;
}

/* ---- goroutines ---- */

static uint64_t g_hash(ht_an *a, uint32_t i)
{
	return mix(a->gs[i].g);
}

static gor *find_g(ht_an *a, uint64_t g, bool create)
{
	if (a->g_cap) {
		uint64_t k = mix(g) & (a->g_cap - 1);
		while (a->g_idx[k]) {
			if (a->gs[a->g_idx[k] - 1].g == g)
				return &a->gs[a->g_idx[k] - 1];
			k = (k + 1) & (a->g_cap - 1);
		}
	}
	if (!create)
		return NULL;
	if (a->ngs >= (1u << 26))
		return fail(a, HEARTH_ETOOBIG, "more than 67108864 goroutines"), NULL;
	if (!HEARTH_GROW(a->gs, a->ngs, a->capgs, 1) ||
	    !rehash(&a->g_idx, &a->g_cap, a->ngs, g_hash, a))
		return fail(a, HEARTH_ENOMEM, "out of memory"), NULL;
	uint64_t k = mix(g) & (a->g_cap - 1);
	while (a->g_idx[k])
		k = (k + 1) & (a->g_cap - 1);
	gor *r = &a->gs[a->ngs];
	memset(r, 0, sizeof(*r));
	r->g = g;
	r->state = GS_UNDET;
	r->run_p = -1;
	r->syscall_p = -1;
	r->range_begin = -1;
	for (int i = 0; i < HEARTH_TRACE_NPROF; i++)
		r->tr_time[i] = -1;
	r->pend0 = UINT32_MAX;
	a->g_idx[k] = ++a->ngs;
	return r;
}

/* ---- Chrome trace-event JSON ---- */

static void chrome_str(hearth_buf *o, const char *s)
{
	char *c = hearth_utf8_clean(s);
	if (!c) {
		o->oom = true;
		return;
	}
	hearth_buf_puts(o, "\"");
	const char *run = c, *p = c;
	for (; *p; p++)
		if (*p == '"' || *p == '\\') {
			hearth_buf_put(o, run, (size_t)(p - run));
			hearth_buf_puts(o, *p == '"' ? "\\\"" : "\\\\");
			run = p + 1;
		}
	hearth_buf_put(o, run, (size_t)(p - run));
	hearth_buf_puts(o, "\"");
	free(c);
}

static void chrome_begin(ht_an *a)
{
	hearth_buf *o = a->o->chrome;
	if (!o)
		return;
	hearth_buf_puts(o, "{\"displayTimeUnit\":\"ns\",\"traceEvents\":[\n"
			   "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":0,\"tid\":0,"
			   "\"args\":{\"name\":\"Procs\"}},\n"
			   "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,"
			   "\"args\":{\"name\":\"Runtime\"}},\n"
			   "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,"
			   "\"args\":{\"name\":\"GC\"}},\n"
			   "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":1,"
			   "\"args\":{\"name\":\"STW\"}}");
}

/* A complete event: [t0, t1) on pid/tid. */
static void chrome_x(ht_an *a, const char *name, const char *cat, int pid, int64_t tid, int64_t t0,
		     int64_t t1, uint64_t g)
{
	hearth_buf *o = a->o->chrome;
	if (!o || !a->have_first)
		return;
	hearth_buf_puts(o, ",\n{\"name\":");
	chrome_str(o, name);
	hearth_buf_printf(o,
			  ",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":%d,\"tid\":%lld,\"ts\":%.3f,"
			  "\"dur\":%.3f",
			  cat, pid, (long long)tid, (double)(t0 - a->first_ts) / 1000.0,
			  (double)(t1 - t0) / 1000.0);
	if (g)
		hearth_buf_printf(o, ",\"args\":{\"goroutine\":%llu}", (unsigned long long)g);
	hearth_buf_puts(o, "}");
}

static void chrome_end(ht_an *a)
{
	if (a->o->chrome)
		hearth_buf_puts(a->o->chrome, "\n]}\n");
}

/* ---- the calls ---- */

ht_an *ht_an_new(const hearth_trace_opts *o, hearth_trace *t)
{
	ht_an *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->t = t;
	a->o = o;
	a->procs = 1;
	a->chrome_first = true;
	a->mmu = ht_mmu_new(o->mmu_flags, t->version == 19 && !o->newest_tool);
	if (!a->mmu) {
		free(a);
		return NULL;
	}
	intern_name(a, ""); /* name 0 is "" */
	chrome_begin(a);
	return a;
}

static void see_time(ht_an *a, int64_t t)
{
	if (!a->have_first) {
		a->first_ts = t;
		a->have_first = true;
	}
	a->last_ts = t;
}

void ht_tick(ht_an *a, int64_t t)
{
	see_time(a, t);
}

int ht_sync(ht_an *a, int64_t t)
{
	see_time(a, t);
	a->sync_ts = t;
	a->t->generations++;
	return a->code != 0;
}

void ht_procs(ht_an *a, int n)
{
	if (n > 0 && n < (1 << 20))
		a->procs = n;
	a->t->gomaxprocs = a->procs;
}

/* go tool trace's reasons: "network" is net; a reason with "chan", "sync"
 * or "select" in it is sync. */
static bool track(int kind, int to, const char *reason)
{
	switch (kind) {
	case HEARTH_TRACE_NET:
		return to == GS_WAITING && !strcmp(reason, "network");
	case HEARTH_TRACE_SYNC:
		return to == GS_WAITING && (strstr(reason, "chan") || strstr(reason, "sync") ||
					    strstr(reason, "select"));
	case HEARTH_TRACE_SYSCALL:
		return to == GS_SYSCALL;
	default:
		return to == GS_RUNNABLE;
	}
}

static const int kind_state[HEARTH_TRACE_NPROF] = {GS_WAITING, GS_WAITING, GS_SYSCALL, GS_RUNNABLE};

/* One contention at stack; by_key: under its key, as the newest go tool
 * trace counts (Go 1.19's counts each stack of the trace apart). */
static void rec_add(ht_an *a, int kind, uint32_t stack, int64_t delay, bool by_key)
{
	uint32_t shown = stack;
	if (by_key)
		stack = a->stacks[stack].key;
	if (stack >= a->caprecs[kind]) {
		uint32_t nc = a->caprecs[kind] ? a->caprecs[kind] : 256;
		while (nc <= stack)
			nc *= 2;
		prec *r = realloc(a->recs[kind], nc * sizeof(prec));
		if (!r) {
			fail(a, HEARTH_ENOMEM, "out of memory");
			return;
		}
		memset(r + a->caprecs[kind], 0, (nc - a->caprecs[kind]) * sizeof(prec));
		a->recs[kind] = r;
		a->caprecs[kind] = nc;
	}
	a->recs[kind][stack].count++;
	a->recs[kind][stack].delay += delay;
	a->recs[kind][stack].rep = shown;
}

/* The interval [t0, t1) of kind ended for g. */
static void interval_end(ht_an *a, gor *r, int kind, uint32_t stack, int64_t t0, int64_t t1)
{
	if (!r->start) {
		if (!HEARTH_GROW(a->pend, a->npend, a->cappend, 1)) {
			fail(a, HEARTH_ENOMEM, "out of memory");
			return;
		}
		a->pend[a->npend] = (pending){kind, stack, t1 - t0, r->pend0};
		r->pend0 = a->npend++;
		return;
	}
	/* Overlap with [start, end of the goroutine]; the end is later. */
	if (t1 < r->start)
		return;
	int64_t s = t0 > r->start ? t0 : r->start;
	if (t1 - s > 0)
		rec_add(a, kind, stack, t1 - s, true);
}

static void finalize(ht_an *a, gor *r, int64_t t)
{
	if (r->ended)
		return;
	r->ended = true;
	r->end = t;
	if (r->last_start) {
		r->exec += t - r->last_start;
		r->last_start = 0;
	}
	if (r->last_runnable) {
		r->sched += t - r->last_runnable;
		r->last_runnable = 0;
	}
	if (r->last_block) {
		int64_t d = t - r->last_block;
		if (r->block_class == 1)
			r->net += d;
		else if (r->block_class == 2)
			r->sync += d;
		else
			r->other += d;
		r->last_block = 0;
	}
	if (r->last_syscall) {
		r->syscall += t - r->last_syscall;
		r->last_syscall = 0;
	}
	if (r->last_syscall_block) {
		r->sched += t - r->last_syscall_block;
		r->last_syscall_block = 0;
	}
	if (r->range_begin >= 0) {
		r->gc += t - r->range_begin;
		r->range_begin = -1;
	}
}

static void add_block(gor *r, int64_t d)
{
	if (r->block_class == 1)
		r->net += d;
	else if (r->block_class == 2)
		r->sync += d;
	else
		r->other += d;
}

static int block_class(const char *reason)
{
	if (!strcmp(reason, "network"))
		return 1;
	if (strstr(reason, "chan") || strstr(reason, "sync") || strstr(reason, "select"))
		return 2;
	return 0;
}

int ht_go(ht_an *a, int64_t t, uint64_t g, int from, int to, const char *reason, ht_stack stack,
	  ht_stack tstack, int64_t p)
{
	if (a->code)
		return 1;
	see_time(a, t);
	a->t->events++;
	if (!reason)
		reason = "";
	gor *r = find_g(a, g, true);
	if (!r)
		return 1;
	uint32_t ri = (uint32_t)(r - a->gs);

	/* The blocking profiles (pprof.go's makeComputePprofFunc). */
	for (int k = 0; k < HEARTH_TRACE_NPROF && !a->prof_direct; k++) {
		if (r->tr_time[k] < 0) {
			if (to == kind_state[k] && track(k, to, reason)) {
				r->tr_time[k] = t;
				r->tr_stack[k] = intern_stack(a, stack);
				r = &a->gs[ri];
			}
			continue;
		}
		if (to == kind_state[k])
			continue;
		interval_end(a, r, k, r->tr_stack[k], r->tr_time[k], t);
		r = &a->gs[ri];
		r->tr_time[k] = -1;
	}
	if (a->code)
		return 1;

	/* The summary (internal/trace/summary.go). */
	if (from != to) {
		switch (from) {
		case GS_UNDET: {
			r->creation = a->sync_ts;
			int64_t d = t - a->sync_ts;
			switch (to) {
			case GS_RUNNING:
				r->exec += d;
				break;
			case GS_WAITING:
				r->block_class = block_class(reason);
				add_block(r, d);
				break;
			case GS_RUNNABLE:
				r->sched += d;
				break;
			case GS_SYSCALL:
				if (p < 0)
					r->syscall_block += d;
				else
					r->syscall += d;
				break;
			}
			break;
		}
		case GS_NOTEXIST:
			r->creation = t;
			break;
		case GS_RUNNING:
			r->exec += t - r->last_start;
			r->last_start = 0;
			if (r->run_begin) {
				const char *nm = a->names[r->name];
				char buf[32];
				if (!*nm) {
					snprintf(buf, sizeof(buf), "G%llu", (unsigned long long)g);
					nm = buf;
				}
				chrome_x(a, nm, "goroutine", 0, r->run_p, r->run_begin, t, g);
				r->run_begin = 0;
			}
			break;
		case GS_WAITING:
			if (r->last_block) {
				add_block(r, t - r->last_block);
				r->last_block = 0;
			}
			break;
		case GS_RUNNABLE:
			if (r->last_runnable) {
				r->sched += t - r->last_runnable;
				r->last_runnable = 0;
			}
			break;
		case GS_SYSCALL:
			if (r->last_syscall) {
				if (r->last_syscall_block) {
					r->syscall_block += t - r->last_syscall_block;
					r->syscall += r->last_syscall_block - r->last_syscall;
				} else {
					r->syscall += t - r->last_syscall;
				}
				r->last_syscall = 0;
				r->last_syscall_block = 0;
				if (r->syscall_p >= 0 && (uint64_t)r->syscall_p < a->nsyscalling)
					a->syscalling[r->syscall_p] = 0;
			}
			break;
		}
		if (!r->named && tstack.n) {
			/* The root frame names the goroutine. */
			r->name = intern_name(a, tstack.f[tstack.n - 1].func);
			r->named = true;
			r = &a->gs[ri];
		}
		switch (to) {
		case GS_RUNNING:
			r->last_start = t;
			if (!r->start)
				r->start = t;
			/* Running since the generation began, as its time counts. */
			r->run_begin = from == GS_UNDET ? a->sync_ts : t;
			r->run_p = p;
			break;
		case GS_RUNNABLE:
			r->last_runnable = t;
			break;
		case GS_WAITING:
			if (strcmp(reason, "forever")) {
				r->last_block = t;
				r->block_class = block_class(reason);
				break;
			}
			/* forever is like death */
			__attribute__((fallthrough));
		case GS_NOTEXIST:
			finalize(a, r, t);
			break;
		case GS_SYSCALL:
			if (p >= 0 && p < (1 << 20)) {
				if ((uint64_t)p >= a->nsyscalling) {
					uint32_t nn = (uint32_t)p + 1;
					uint32_t *ns =
					    realloc(a->syscalling, nn * sizeof(uint32_t));
					if (!ns)
						return fail(a, HEARTH_ENOMEM, "out of memory");
					memset(ns + a->nsyscalling, 0,
					       (nn - a->nsyscalling) * sizeof(uint32_t));
					a->syscalling = ns;
					a->nsyscalling = nn;
				}
				a->syscalling[p] = ri + 1;
			}
			r->syscall_p = p;
			r->last_syscall = t;
			break;
		}
	}
	r->state = to;
	/* The MMU: a goroutine in a mark assist or working as a mark worker
	 * takes its P while it executes (runs or is in a syscall). */
	bool fe = from == GS_RUNNING || from == GS_SYSCALL,
	     te = to == GS_RUNNING || to == GS_SYSCALL;
	if (fe != te && !ht_mmu_go119(a->mmu) && ht_mmu_run(a->mmu, t, g, p, te))
		return 1;
	return a->code != 0;
}

int ht_proc_idle(ht_an *a, int64_t t, int64_t p)
{
	see_time(a, t);
	if (p >= 0 && (uint64_t)p < a->nsyscalling && a->syscalling[p]) {
		a->gs[a->syscalling[p] - 1].last_syscall_block = t;
		a->syscalling[p] = 0;
	}
	return a->code != 0;
}

int ht_range(ht_an *a, int64_t t, int kind, bool begin, uint64_t g, int64_t p)
{
	see_time(a, t);
	switch (kind) {
	case RG_GC:
		if (begin && !a->in_gc) {
			a->in_gc = true;
			a->gc_begin = t;
			a->t->gcs++;
		} else if (!begin && a->in_gc) {
			a->in_gc = false;
			a->t->gc_time += t - a->gc_begin;
			chrome_x(a, "GC", "gc", 1, 0, a->gc_begin, t, 0);
		}
		break;
	case RG_STW:
		if (begin && a->stw_depth++ == 0) {
			a->stw_begin = t;
		} else if (!begin && a->stw_depth > 0 && --a->stw_depth == 0) {
			a->t->stw_time += t - a->stw_begin;
			chrome_x(a, "STW", "gc", 1, 1, a->stw_begin, t, 0);
		}
		break;
	case RG_ASSIST:
	case RG_SWEEP: {
		gor *r = g ? find_g(a, g, true) : NULL;
		if (!r)
			break;
		if (begin && r->range_begin < 0) {
			r->range_begin = t;
		} else if (!begin && r->range_begin >= 0) {
			r->gc += t - r->range_begin;
			r->range_begin = -1;
		}
		break;
	}
	}
	(void)p;
	return a->code != 0;
}

static const ht_stack no_stack = {NULL, 0};

int ht_event(ht_an *a, const ht_ev *e)
{
	ht_mmu *mm = a->mmu;
	uint64_t g = e->g;
	bool begin = false;
	switch (e->kind) {
	case HE_TIME:
		ht_tick(a, e->t);
		return a->code != 0;
	case HE_PROCS: {
		int n = e->arg > 1000000 ? 1000000 : (int)e->arg;
		ht_procs(a, n);
		return ht_mmu_procs(mm, e->mt, n);
	}
	case HE_PROC_IDLE:
		return ht_proc_idle(a, e->t, (int64_t)e->arg);
	case HE_GO_CREATE:
		return ht_go(a, e->t, e->arg, GS_NOTEXIST, e->state, "", e->stack, e->gstack, e->p);
	case HE_GO_START:
		return ht_go(a, e->t, e->arg, ht_g_state(a, e->arg), GS_RUNNING, "", no_stack,
			     no_stack, e->p);
	case HE_GO_STOP:
	case HE_GO_BLOCK:
		return g && ht_go(a, e->t, g, GS_RUNNING,
				  e->kind == HE_GO_STOP ? GS_RUNNABLE : GS_WAITING, e->str,
				  e->stack, e->stack, e->p);
	case HE_GO_DESTROY:
	case HE_GO_DESTROY_SYSCALL:
		return g && ht_go(a, e->t, g, e->kind == HE_GO_DESTROY ? GS_RUNNING : GS_SYSCALL,
				  GS_NOTEXIST, "", no_stack, no_stack, e->p);
	case HE_GO_UNBLOCK:
		return ht_go(a, e->t, e->arg, ht_g_state(a, e->arg), GS_RUNNABLE, "", e->stack,
			     no_stack, e->p);
	case HE_GO_SYSCALL_BEGIN:
		return g && ht_go(a, e->t, g, GS_RUNNING, GS_SYSCALL, "", e->stack, e->stack, e->p);
	case HE_GO_SYSCALL_END:
	case HE_GO_SYSCALL_END_BLOCKED:
		return g && ht_go(a, e->t, g, GS_SYSCALL,
				  e->kind == HE_GO_SYSCALL_END ? GS_RUNNING : GS_RUNNABLE, "",
				  no_stack, no_stack, e->p);
	case HE_GO_STATUS: {
		/* A goroutine seen again in a later generation: nothing new. */
		int from = ht_g_state(a, e->arg);
		from = from == GS_UNDET || from == GS_NOTEXIST ? GS_UNDET : e->state;
		return ht_go(a, e->t, e->arg, from, e->state, "", e->stack, e->stack, e->p);
	}
	case HE_STW_BEGIN:
		begin = true;
		__attribute__((fallthrough));
	case HE_STW_END:
		/* The MMU counts the collector's stops: a reason with "GC" in
		 * it (Go 1.19's tool: every stop, Go 1.19 traces no other). */
		return ht_range(a, e->t, RG_STW, begin, g, e->p) ||
		       ht_mmu_stw(mm, e->mt, begin,
				  begin && (ht_mmu_go119(mm) || (e->str && strstr(e->str, "GC"))));
	case HE_GC_BEGIN:
	case HE_GC_END:
		return ht_range(a, e->t, RG_GC, e->kind == HE_GC_BEGIN, 0, e->p);
	case HE_SWEEP:
		/* Ranges under way when a generation began: the MMU takes
		 * them from the first only; the goroutines' GC time has them
		 * from their own events. */
		if (e->how == HT_MMU_ACTIVE)
			return e->first_gen && ht_mmu_sweep(mm, e->mt, e->p, HT_MMU_ACTIVE);
		if (g && ht_range(a, e->t, RG_SWEEP, e->how == HT_MMU_BEGIN, g, e->p))
			return 1;
		return ht_mmu_sweep(mm, e->mt, e->p, e->how);
	case HE_ASSIST:
		if (e->how == HT_MMU_ACTIVE) {
			if (ht_range(a, e->t, RG_ASSIST, true, e->arg, e->p))
				return 1;
			int s = ht_g_state(a, g);
			return e->first_gen &&
			       ht_mmu_assist(mm, e->mt, e->arg, e->p, HT_MMU_ACTIVE,
					     g && (s == GS_RUNNING || s == GS_SYSCALL));
		}
		if (e->arg && ht_range(a, e->t, RG_ASSIST, e->how == HT_MMU_BEGIN, e->arg, e->p))
			return 1;
		return ht_mmu_assist(mm, e->mt, e->arg, e->p, e->how, false);
	case HE_LABEL:
		return ht_mmu_label(mm, e->mt, g, e->p, e->str);
	}
	return 0;
}

int ht_g_state(ht_an *a, uint64_t g)
{
	gor *r = find_g(a, g, false);
	return r ? r->state : GS_UNDET;
}

hearth_err ht_an_error(ht_an *a, hearth_errbuf *eb)
{
	if (a->code)
		*eb = a->err;
	else
		return ht_mmu_error(a->mmu, eb);
	return a->code;
}

ht_mmu *ht_an_mmu(ht_an *a)
{
	return a->mmu;
}

bool ht_go119(ht_an *a)
{
	return a->t->version == 19 && !a->o->newest_tool;
}

void ht_prof_direct(ht_an *a)
{
	a->prof_direct = true;
}

int ht_prof_add(ht_an *a, int kind, ht_stack stack, int64_t delay)
{
	if (a->code)
		return 1;
	if (kind < 0 || kind >= HEARTH_TRACE_NPROF)
		return 0;
	rec_add(a, kind, intern_stack(a, stack), delay, false);
	return a->code != 0;
}

/* ---- the end ---- */

static int cmp_group(const void *x, const void *y)
{
	const hearth_trace_group *a = x, *b = y;
	if (a->exec != b->exec)
		return a->exec > b->exec ? -1 : 1;
	return strcmp(a->name, b->name);
}

static hearth_err build_profile(ht_an *a, int kind, hearth_profile **out)
{
	hearth_profile *p = hearth_profile_new();
	if (!p)
		return HEARTH_ENOMEM;
	uint32_t *loc = NULL, *fn = NULL;
	hearth_err e = HEARTH_ENOMEM;
	hearth_add_sample_type(p, "contentions", "count");
	hearth_add_sample_type(p, "delay", "nanoseconds");
	p->period_type.type = hearth_intern_cstr(p, "trace");
	p->period_type.unit = hearth_intern_cstr(p, "count");
	p->period = 1;
	loc = malloc((a->nframes + 1) * sizeof(uint32_t));
	fn = malloc((a->nnames * 2 + 1) * sizeof(uint32_t));
	if (!loc || !fn)
		goto out;
	for (uint32_t i = 0; i < a->nframes; i++)
		loc[i] = HEARTH_NONE;
	/* Functions are keyed by file and name in go tool trace; frames with
	 * one name in two files are rare enough to key by name and file
	 * indices through a small map. */
	uint32_t *fkey = NULL;
	size_t fcap = 0, nf = 0;
	(void)fn;
	for (uint32_t s = 0; s < a->caprecs[kind] && s < a->nstacks; s++) {
		prec *r = &a->recs[kind][s];
		if (!r->count)
			continue;
		gstack *st = &a->stacks[r->rep];
		uint32_t locs[129];
		for (uint32_t i = 0; i < st->n; i++) {
			uint32_t fi = a->spcs[st->f0 + i];
			if (loc[fi] == HEARTH_NONE) {
				gframe *f = &a->frames[fi];
				/* Find or add the function (name, file). */
				uint32_t fid = HEARTH_NONE;
				for (size_t j = 0; j < nf; j++)
					if (a->frames[fkey[2 * j]].func == f->func &&
					    a->frames[fkey[2 * j]].file == f->file) {
						fid = fkey[2 * j + 1];
						break;
					}
				if (fid == HEARTH_NONE) {
					uint32_t nm = hearth_intern_cstr(p, a->names[f->func]);
					uint32_t fl = hearth_intern_cstr(p, a->names[f->file]);
					fid = hearth_add_function(p, nm, nm, fl, 0);
					if (fid == HEARTH_NONE ||
					    !HEARTH_GROW(fkey, 2 * nf, fcap, 2))
						goto out2;
					fkey[2 * nf] = fi;
					fkey[2 * nf + 1] = fid;
					nf++;
				}
				hearth_line ln = {.function = fid, .line = f->line};
				loc[fi] = hearth_add_location(p, HEARTH_NONE, f->pc, &ln, 1, false);
				if (loc[fi] == HEARTH_NONE)
					goto out2;
			}
			locs[i] = loc[fi];
		}
		int64_t v[2] = {r->count, r->delay};
		if (hearth_add_sample(p, locs, st->n, v, NULL, 0))
			goto out2;
	}
	e = HEARTH_OK;
out2:
	free(fkey);
out:
	free(loc);
	free(fn);
	if (e)
		hearth_profile_free(p);
	else
		*out = p;
	return e;
}

hearth_err ht_an_finish(ht_an *a, int64_t tend, hearth_errbuf *eb)
{
	hearth_err e = HEARTH_OK;
	hearth_trace *t = a->t;
	if (a->code) {
		e = ht_an_error(a, eb);
		goto out;
	}
	/* The reader's closing sync event comes one nanosecond after the last
	 * event (internal/trace makes times strictly increasing). */
	if (a->have_first)
		a->last_ts++;
	if (tend > a->last_ts)
		a->last_ts = tend;
	int64_t end = a->last_ts;
	t->start = a->first_ts;
	t->end = end;
	t->goroutines = a->ngs;
	if (a->in_gc)
		t->gc_time += end - a->gc_begin;
	/* Goroutines still alive at the end: summarized up to it (the chrome
	 * slices of those running too). */
	for (uint32_t i = 0; i < a->ngs; i++) {
		gor *r = &a->gs[i];
		if (r->run_begin && r->state == GS_RUNNING) {
			char buf[32];
			const char *nm = a->names[r->name];
			if (!*nm) {
				snprintf(buf, sizeof(buf), "G%llu", (unsigned long long)r->g);
				nm = buf;
			}
			chrome_x(a, nm, "goroutine", 0, r->run_p, r->run_begin, end, r->g);
		}
		if (!r->ended) {
			finalize(a, r, end);
			r->ended = false;
		}
		/* Intervals before the first run count when it never ran. */
		if (!r->start)
			for (uint32_t j = r->pend0; j != UINT32_MAX; j = a->pend[j].next)
				if (a->pend[j].delay > 0)
					rec_add(a, a->pend[j].kind, a->pend[j].stack,
						a->pend[j].delay, true);
	}
	chrome_end(a);
	/* Groups by name. */
	uint32_t *grp = malloc((a->nnames + 1) * sizeof(uint32_t));
	if (!grp) {
		e = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < a->nnames; i++)
		grp[i] = UINT32_MAX;
	size_t capgroups = 0;
	for (uint32_t i = 0; i < a->ngs; i++) {
		gor *r = &a->gs[i];
		if (grp[r->name] == UINT32_MAX) {
			if (!HEARTH_GROW(t->groups, t->ngroups, capgroups, 1)) {
				free(grp);
				e = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
				goto out;
			}
			hearth_trace_group *gg = &t->groups[t->ngroups];
			memset(gg, 0, sizeof(*gg));
			gg->name = strdup(a->names[r->name]);
			if (!gg->name) {
				free(grp);
				e = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
				goto out;
			}
			grp[r->name] = (uint32_t)t->ngroups++;
		}
		hearth_trace_group *gg = &t->groups[grp[r->name]];
		gg->count++;
		gg->exec += r->exec;
		gg->sched_wait += r->sched;
		gg->net_wait += r->net;
		gg->sync_block += r->sync;
		gg->other_block += r->other;
		gg->syscall += r->syscall;
		gg->syscall_block += r->syscall_block;
		gg->gc += r->gc;
		gg->total += (r->ended ? r->end : end) - r->creation;
	}
	free(grp);
	if (t->ngroups)
		qsort(t->groups, t->ngroups, sizeof(*t->groups), cmp_group);
	ht_mmu_finish(a->mmu, end, t);
	if ((e = ht_mmu_error(a->mmu, eb)))
		goto out;
	for (int k = 0; k < HEARTH_TRACE_NPROF; k++)
		if (build_profile(a, k, &t->prof[k])) {
			e = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			goto out;
		}
out:
	ht_an_free(a);
	return e;
}

void ht_an_free(ht_an *a)
{
	if (!a)
		return;
	for (uint32_t i = 0; i < a->nnames; i++)
		free(a->names[i]);
	free(a->names);
	free(a->name_idx);
	free(a->frames);
	free(a->frame_idx);
	free(a->stacks);
	free(a->stack_idx);
	free(a->spcs);
	for (int k = 0; k < HEARTH_TRACE_NPROF; k++)
		free(a->recs[k]);
	free(a->gs);
	free(a->g_idx);
	free(a->pend);
	free(a->syscalling);
	ht_mmu_free(a->mmu);
	free(a);
}

/* ---- the public calls ---- */

void hearth_trace_free(hearth_trace *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->ngroups; i++)
		free(t->groups[i].name);
	free(t->groups);
	for (int k = 0; k < HEARTH_TRACE_NPROF; k++)
		hearth_profile_free(t->prof[k]);
	free(t);
}

hearth_err hearth_trace_read(FILE *f, uint64_t size, const hearth_trace_opts *o, hearth_trace **out,
			     hearth_errbuf *eb)
{
	unsigned char hdr[16];
	*out = NULL;
	size_t n = fread(hdr, 1, sizeof(hdr), f);
	if (n < sizeof(hdr) || memcmp(hdr, "go 1.", 5))
		return hearth_seterr(
		    eb, HEARTH_EFORMAT,
		    "offset 0: not a Go execution trace (no \"go 1.N trace\" header)");
	int v = 0;
	size_t i = 5;
	while (i < 8 && hdr[i] >= '0' && hdr[i] <= '9')
		v = v * 10 + (hdr[i++] - '0');
	if (i + 6 > sizeof(hdr) || memcmp(hdr + i, " trace", 6))
		return hearth_seterr(
		    eb, HEARTH_EFORMAT,
		    "offset 0: not a Go execution trace (no \"go 1.N trace\" header)");
	if (v != 19 && v != 22 && v != 23 && v != 25 && v != 26)
		return hearth_seterr(eb, HEARTH_EFORMAT,
				     "an execution trace of Go 1.%d: hearth reads Go 1.19's format "
				     "and Go 1.22's and later (1.22, 1.23, 1.25, 1.26)",
				     v);
	hearth_trace *t = calloc(1, sizeof(*t));
	if (!t)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	t->version = v;
	ht_an *a = ht_an_new(o, t);
	if (!a) {
		free(t);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	hearth_err e = v == 19 ? hearth_trace_read_v1(f, v, size, o, a, t, eb)
			       : hearth_trace_read_v2(f, v, size, o, a, t, eb);
	if (e) {
		ht_an_free(a);
		hearth_trace_free(t);
		return e;
	}
	e = ht_an_finish(a, 0, eb);
	if (e) {
		hearth_trace_free(t);
		return e;
	}
	*out = t;
	return HEARTH_OK;
}

/* ---- text ---- */

static void dur(hearth_buf *o, int64_t ns)
{
	if (ns >= 1000000000)
		hearth_buf_printf(o, " %11.3fs ", (double)ns / 1e9);
	else if (ns >= 1000000)
		hearth_buf_printf(o, " %10.3fms ", (double)ns / 1e6);
	else
		hearth_buf_printf(o, " %10.3fus ", (double)ns / 1e3);
}

void hearth_trace_write_goroutines(const hearth_trace *t, hearth_buf *o)
{
	hearth_buf_printf(
	    o,
	    "Trace: Go 1.%d format, %.3fs, %llu goroutines, %llu transitions, %llu "
	    "generations, GOMAXPROCS %d; %llu GCs (%.3fms), STW %.3fms\n\n",
	    t->version, (double)(t->end - t->start) / 1e9, (unsigned long long)t->goroutines,
	    (unsigned long long)t->events, (unsigned long long)t->generations, t->gomaxprocs,
	    (unsigned long long)t->gcs, (double)t->gc_time / 1e6, (double)t->stw_time / 1e6);
	hearth_buf_printf(o, "%7s %14s %14s %14s %14s %14s %14s %14s  %s\n", "count", "execution",
			  "network wait", "sync block", "syscall", "sched wait", "GC",
			  "other block", "start function");
	for (size_t i = 0; i < t->ngroups; i++) {
		const hearth_trace_group *g = &t->groups[i];
		hearth_buf_printf(o, "%7llu", (unsigned long long)g->count);
		dur(o, g->exec);
		dur(o, g->net_wait);
		dur(o, g->sync_block);
		dur(o, g->syscall + g->syscall_block);
		dur(o, g->sched_wait);
		dur(o, g->gc);
		dur(o, g->other_block);
		hearth_buf_puts(o, " ");
		char *c = hearth_utf8_clean(g->name[0] ? g->name : "(no stack seen)");
		if (c)
			hearth_buf_puts(o, c);
		free(c);
		hearth_buf_puts(o, "\n");
	}
}

void hearth_trace_write_mmu(const hearth_trace *t, hearth_buf *o)
{
	static const char *names[] = {"STW", "background workers", "mark assists", "sweeping"};
	hearth_buf_puts(o, "Minimum mutator utilization (");
	int n = 0;
	for (int i = 0; i < 4; i++)
		if (t->mmu_flags & (1u << i))
			hearth_buf_printf(o, "%s%s", n++ ? ", " : "", names[i]);
	hearth_buf_printf(o, "%s counted against the %s, as go tool trace of %s):\n",
			  n ? "" : "nothing", t->mmu_flags & HEARTH_MMU_PERPROC ? "P" : "Ps",
			  t->mmu_go119 ? "Go 1.19" : "the newest Go");
	for (int i = 0; i < t->nmmu; i++) {
		int64_t w = t->mmu_window[i];
		if (w >= 1000000000)
			hearth_buf_printf(o, "  %6llds", (long long)(w / 1000000000));
		else if (w >= 1000000)
			hearth_buf_printf(o, "  %5lldms", (long long)(w / 1000000));
		else
			hearth_buf_printf(o, "  %5lldus", (long long)(w / 1000));
		hearth_buf_printf(o, "  %6.2f%%\n", t->mmu[i] * 100);
	}
	if (!t->nmmu)
		hearth_buf_puts(o, "  (no curve: the trace is shorter than 100us, or tells no "
				   "GOMAXPROCS the reader keeps)\n");
}

void hearth_trace_write_json(const hearth_trace *t, hearth_buf *o)
{
	hearth_buf_printf(
	    o,
	    "{\"version\":\"1.%d\",\"start\":%lld,\"end\":%lld,\"goroutines\":%llu,"
	    "\"transitions\":%llu,\"generations\":%llu,\"gomaxprocs\":%d,\"gcs\":%llu,"
	    "\"gc_time\":%lld,\"stw_time\":%lld,\"groups\":[",
	    t->version, (long long)t->start, (long long)t->end, (unsigned long long)t->goroutines,
	    (unsigned long long)t->events, (unsigned long long)t->generations, t->gomaxprocs,
	    (unsigned long long)t->gcs, (long long)t->gc_time, (long long)t->stw_time);
	for (size_t i = 0; i < t->ngroups; i++) {
		const hearth_trace_group *g = &t->groups[i];
		hearth_buf_puts(o, i ? ",\n{\"name\":" : "\n{\"name\":");
		chrome_str(o, g->name);
		hearth_buf_printf(
		    o,
		    ",\"count\":%llu,\"exec\":%lld,\"sched_wait\":%lld,\"net_wait\":%lld,"
		    "\"sync_block\":%lld,\"other_block\":%lld,\"syscall\":%lld,"
		    "\"syscall_block\":%lld,\"gc\":%lld,\"total\":%lld}",
		    (unsigned long long)g->count, (long long)g->exec, (long long)g->sched_wait,
		    (long long)g->net_wait, (long long)g->sync_block, (long long)g->other_block,
		    (long long)g->syscall, (long long)g->syscall_block, (long long)g->gc,
		    (long long)g->total);
	}
	hearth_buf_printf(o, "],\"mmu_flags\":%u,\"mmu_tool\":\"%s\",\"mmu\":[", t->mmu_flags,
			  t->mmu_go119 ? "go1.19" : "newest");
	for (int i = 0; i < t->nmmu; i++)
		hearth_buf_printf(o, "%s{\"window\":%lld,\"mmu\":%.17g}", i ? "," : "",
				  (long long)t->mmu_window[i], t->mmu[i]);
	hearth_buf_puts(o, "]}\n");
}
