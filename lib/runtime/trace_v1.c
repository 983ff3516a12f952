/* Execution traces of Go 1.19 (internal/trace's format before Go 1.22).
 *
 * After the 16-byte header: events, each a byte (the type in the low six
 * bits, the number of arguments less one in the top two; 3: the arguments
 * are prefixed by their length in bytes) and uvarint arguments, the first a
 * timestamp delta from the previous event of its batch.  A batch (EvBatch:
 * P, timestamp in ticks) holds the events one P wrote, in order; strings
 * (EvString), stacks (EvStack), the clock (EvFrequency) and the timer
 * goroutine (EvTimerGoroutine) may come anywhere.
 *
 * The format is not made for streaming: the batches of the Ps are merged
 * into one order by the goroutines' sequence numbers (a GoStart comes after
 * the GoUnblock that made it runnable, whatever the clocks say), as Go's
 * reader does, so the whole trace is read into memory first (at most
 * -max_size bytes).  The merged events are then given to the analysis as
 * the Go 1.22 reader converts old traces (internal/trace/oldtrace.go): the
 * same states, block reasons and syscall pairs, so that the goroutine
 * analysis and the blocking profiles are those the newest go tool trace
 * shows for the same file. */
#include <stdlib.h>
#include <string.h>

#include "trace_int.h"
#include "util.h"

enum {
	EvNone,
	EvBatch,
	EvFrequency,
	EvStack,
	EvGomaxprocs,
	EvProcStart,
	EvProcStop,
	EvGCStart,
	EvGCDone,
	EvSTWStart,
	EvSTWDone,
	EvGCSweepStart,
	EvGCSweepDone,
	EvGoCreate,
	EvGoStart,
	EvGoEnd,
	EvGoStop,
	EvGoSched,
	EvGoPreempt,
	EvGoSleep,
	EvGoBlock,
	EvGoUnblock,
	EvGoBlockSend,
	EvGoBlockRecv,
	EvGoBlockSelect,
	EvGoBlockSync,
	EvGoBlockCond,
	EvGoBlockNet,
	EvGoSysCall,
	EvGoSysExit,
	EvGoSysBlock,
	EvGoWaiting,
	EvGoInSyscall,
	EvHeapAlloc,
	EvHeapGoal,
	EvTimerGoroutine,
	EvFutileWakeup,
	EvString,
	EvGoStartLocal,
	EvGoUnblockLocal,
	EvGoSysExitLocal,
	EvGoStartLabel,
	EvGoBlockGC,
	EvGCMarkAssistStart,
	EvGCMarkAssistDone,
	EvUserTaskCreate,
	EvUserTaskEnd,
	EvUserRegion,
	EvUserLog,
	EvCPUSample,
	EvCount
};

/* Per event type: its arguments after the timestamp, and whether a stack
 * id ends them (internal/trace's EventDescriptions of Go 1.19). */
static const struct {
	signed char args;
	bool stack;
} desc[EvCount] = {
    [EvGomaxprocs] = {1, true},
    [EvProcStart] = {1, false},
    [EvProcStop] = {0, false},
    [EvGCStart] = {1, true},
    [EvGCDone] = {0, false},
    [EvSTWStart] = {1, false},
    [EvSTWDone] = {0, false},
    [EvGCSweepStart] = {0, true},
    [EvGCSweepDone] = {2, false},
    [EvGoCreate] = {2, true},
    [EvGoStart] = {2, false},
    [EvGoEnd] = {0, false},
    [EvGoStop] = {0, true},
    [EvGoSched] = {0, true},
    [EvGoPreempt] = {0, true},
    [EvGoSleep] = {0, true},
    [EvGoBlock] = {0, true},
    [EvGoUnblock] = {2, true},
    [EvGoBlockSend] = {0, true},
    [EvGoBlockRecv] = {0, true},
    [EvGoBlockSelect] = {0, true},
    [EvGoBlockSync] = {0, true},
    [EvGoBlockCond] = {0, true},
    [EvGoBlockNet] = {0, true},
    [EvGoSysCall] = {0, true},
    [EvGoSysExit] = {3, false},
    [EvGoSysBlock] = {0, false},
    [EvGoWaiting] = {1, false},
    [EvGoInSyscall] = {1, false},
    [EvHeapAlloc] = {1, false},
    [EvHeapGoal] = {1, false},
    [EvFutileWakeup] = {0, false},
    [EvGoStartLocal] = {1, false},
    [EvGoUnblockLocal] = {1, true},
    [EvGoSysExitLocal] = {2, false},
    [EvGoStartLabel] = {3, false},
    [EvGoBlockGC] = {0, true},
    [EvGCMarkAssistStart] = {0, true},
    [EvGCMarkAssistDone] = {0, false},
    [EvUserTaskCreate] = {3, true},
    [EvUserTaskEnd] = {1, true},
    [EvUserRegion] = {3, true},
    [EvUserLog] = {2, true},
    [EvCPUSample] = {3, true},
};

#define MAX_ARGS 4100 /* a stack of 1000 frames and its two counts, with room */
#define MAX_FRAMES 1000
#define PROFILE_P 1000005
#define SYSCALL_P 1000003
#define TIMER_P 1000001

typedef struct {
	int64_t ts;
	uint64_t g;
	uint64_t args[4];
	uint32_t stk;
	int32_t p;
	uint8_t type;
} ev1;

typedef struct {
	int32_t pid;
	size_t *batches; /* offsets of its EvBatch events */
	size_t nb, capb, next;
	uint64_t last_g; /* the goroutine running at the end of its last batch */
	ev1 *evs;	 /* the batch being merged */
	size_t nevs, capevs, pos;
	bool queued, done;
} proc;

typedef struct {
	uint64_t g, seq;
	int status;
	bool used;
} gslot;

typedef struct {
	const unsigned char *d;
	size_t n, off;
	hearth_errbuf *eb;
	uint64_t args[MAX_ARGS];
	size_t nargs;
	ht_tab tab; /* strings and stacks */
	int64_t ticks;
	uint64_t *timer_gs;
	size_t ntimer, captimer;
	proc *ps;
	size_t nps, capps;
	ev1 *cpu; /* CPU samples, their own "P" */
	size_t ncpu, capcpu;
	ev1 *out; /* the merged events */
	size_t nout, capout;
	gslot *gs;
	size_t ngs, capgs; /* open addressing, capgs a power of two */
} rd1;

static hearth_err corrupt(rd1 *r, size_t off, const char *what)
{
	return hearth_seterr(r->eb, HEARTH_ECORRUPT, "offset %zu: %s", off, what);
}

static bool val(rd1 *r, uint64_t *v)
{
	const unsigned char *p = r->d + r->off;
	bool ok = ht_uvarint(&p, r->d + r->n, v);
	r->off = (size_t)(p - r->d);
	return ok;
}

/* One raw event at r->off: its type into *type and arguments into
 * r->args; strings are stored as they come.  0: an event; 1: the end. */
static int raw_event(rd1 *r, int *type, hearth_err *err)
{
	if (r->off >= r->n)
		return 1;
	size_t off0 = r->off;
	unsigned char b = r->d[r->off++];
	int typ = b & 0x3f, narg = (b >> 6) + 1;
	r->nargs = 0;
	*type = typ;
	if (typ == EvNone || typ >= EvCount) {
		*err = corrupt(r, off0, "unknown event type");
		return -1;
	}
	if (typ == EvString) {
		uint64_t id, ln;
		if (!val(r, &id) || !val(r, &ln) || !id || !ln || ln > 1000000 ||
		    ln > r->n - r->off) {
			*err = corrupt(r, off0, "bad string");
			return -1;
		}
		if (!ht_tab_add_str(&r->tab, id, r->d + r->off, ln)) {
			*err = hearth_seterr(r->eb, HEARTH_ENOMEM, "out of memory");
			return -1;
		}
		r->off += ln;
		return 0;
	}
	if (narg <= 3) {
		for (int i = 0; i < narg; i++)
			if (!val(r, &r->args[r->nargs++])) {
				*err = corrupt(r, off0, "truncated event");
				return -1;
			}
	} else {
		uint64_t len;
		if (!val(r, &len) || len > r->n - r->off) {
			*err = corrupt(r, off0, "truncated event");
			return -1;
		}
		size_t end = r->off + len;
		/* Stacks may be long; other events have a few arguments. */
		if (typ != EvStack && len > 2048) {
			*err = corrupt(r, off0, "an event's arguments over 2048 bytes");
			return -1;
		}
		while (r->off < end) {
			if (r->nargs == MAX_ARGS) {
				*err = corrupt(r, off0, "too many arguments");
				return -1;
			}
			size_t save = r->n;
			r->n = end;
			bool ok = val(r, &r->args[r->nargs++]);
			r->n = save;
			if (!ok) {
				*err = corrupt(r, off0, "bad event arguments");
				return -1;
			}
		}
		if (typ == EvUserLog) { /* the message, a string of its own */
			uint64_t sl;
			if (!val(r, &sl) || sl > 1000000 || sl > r->n - r->off) {
				*err = corrupt(r, off0, "bad user log message");
				return -1;
			}
			r->off += sl;
		}
	}
	return 0;
}

/* The number of arguments an event must have (internal/trace's argNum). */
static size_t want_args(int typ)
{
	if (typ == EvBatch)
		return 2;
	if (typ == EvFrequency || typ == EvTimerGoroutine)
		return 1;
	return 1 + (size_t)desc[typ].args + desc[typ].stack;
}

/* The events that end the run of the goroutine running on their P (those
 * Go 1.19's parser links a start to). */
static bool ends_run(int type)
{
	switch (type) {
	case EvGoEnd:
	case EvGoStop:
	case EvGoSched:
	case EvGoPreempt:
	case EvGoSleep:
	case EvGoBlock:
	case EvGoBlockSend:
	case EvGoBlockRecv:
	case EvGoBlockSelect:
	case EvGoBlockSync:
	case EvGoBlockCond:
	case EvGoBlockNet:
	case EvGoBlockGC:
	case EvGoSysBlock:
		return true;
	default:
		return false;
	}
}

static proc *get_proc(rd1 *r, int32_t pid)
{
	for (size_t i = 0; i < r->nps; i++)
		if (r->ps[i].pid == pid)
			return &r->ps[i];
	if (r->nps >= 100000 || !HEARTH_GROW(r->ps, r->nps, r->capps, 1))
		return NULL;
	memset(&r->ps[r->nps], 0, sizeof(proc));
	r->ps[r->nps].pid = pid;
	return &r->ps[r->nps++];
}

static const char *str(rd1 *r, uint64_t id)
{
	return ht_tab_str(&r->tab, id);
}

static ht_stack stack(rd1 *r, uint32_t id, int slot)
{
	return ht_tab_stack(&r->tab, id, slot);
}

/* Pass 1: where each P's batches are; strings, stacks, the clock, CPU
 * samples. */
static hearth_err index_trace(rd1 *r)
{
	hearth_err err = HEARTH_OK;
	proc *cur = NULL;
	int typ;
	r->off = 16;
	for (;;) {
		size_t off0 = r->off;
		int rc = raw_event(r, &typ, &err);
		if (rc > 0)
			break;
		if (rc < 0)
			return err;
		if (typ == EvString)
			continue;
		if (typ != EvStack && r->nargs != want_args(typ))
			return corrupt(r, off0, "an event with the wrong number of arguments");
		switch (typ) {
		case EvBatch: {
			int32_t pid = r->args[0] == UINT64_MAX ? -1 : (int32_t)r->args[0];
			if (r->args[0] != UINT64_MAX && r->args[0] > 0x7fffffff)
				return corrupt(r, off0, "bad P in a batch");
			if (!(cur = get_proc(r, pid)) ||
			    !HEARTH_GROW(cur->batches, cur->nb, cur->capb, 1))
				return hearth_seterr(r->eb, HEARTH_ENOMEM, "out of memory");
			cur->batches[cur->nb++] = off0;
			break;
		}
		case EvFrequency:
			if ((int64_t)r->args[0] <= 0)
				return corrupt(r, off0, "bad clock frequency");
			r->ticks = (int64_t)r->args[0];
			break;
		case EvTimerGoroutine:
			/* Go 1.19 has none; a few at most in older runtimes. */
			if (r->ntimer >= 64)
				break;
			if (!HEARTH_GROW(r->timer_gs, r->ntimer, r->captimer, 1))
				return hearth_seterr(r->eb, HEARTH_ENOMEM, "out of memory");
			r->timer_gs[r->ntimer++] = r->args[0];
			break;
		case EvStack: {
			if (r->nargs < 2 || r->args[1] > MAX_FRAMES ||
			    r->nargs != 2 + 4 * r->args[1])
				return corrupt(r, off0, "bad stack");
			uint64_t n = r->args[1];
			if (!r->args[0] || !n)
				break;
			ht_rframe *fs = ht_tab_add_stack(&r->tab, r->args[0], n);
			if (!fs)
				return hearth_seterr(r->eb, HEARTH_ENOMEM, "out of memory");
			for (uint64_t i = 0; i < n; i++)
				fs[i] = (ht_rframe){r->args[2 + 4 * i], r->args[3 + 4 * i],
						    r->args[4 + 4 * i], r->args[5 + 4 * i]};
			break;
		}
		case EvCPUSample: {
			if (!cur)
				return corrupt(r, off0, "an event before the first batch");
			if (!HEARTH_GROW(r->cpu, r->ncpu, r->capcpu, 1))
				return hearth_seterr(r->eb, HEARTH_ENOMEM, "out of memory");
			ev1 *e = &r->cpu[r->ncpu++];
			memset(e, 0, sizeof(*e));
			e->type = EvCPUSample;
			e->ts = (int64_t)r->args[1];
			e->p = (int32_t)r->args[2];
			e->g = r->args[3];
			e->stk = (uint32_t)r->args[4];
			break;
		}
		default:
			if (!cur)
				return corrupt(r, off0, "an event before the first batch");
		}
	}
	if (!r->ticks)
		return corrupt(r, r->n, "no clock frequency (EvFrequency) in the trace");
	ht_tab_sort(&r->tab);
	return HEARTH_OK;
}

/* Decodes the next batch of p into p->evs. */
static hearth_err load_batch(rd1 *r, proc *p)
{
	p->nevs = p->pos = 0;
	if (p->next >= p->nb) {
		p->done = true;
		return HEARTH_OK;
	}
	r->off = p->batches[p->next++];
	hearth_err err = HEARTH_OK;
	bool header = false;
	int64_t last_ts = 0;
	uint64_t last_g = p->last_g;
	int typ;
	for (;;) {
		size_t off0 = r->off;
		int rc = raw_event(r, &typ, &err);
		if (rc > 0)
			break;
		if (rc < 0)
			return err;
		if (typ == EvString || typ == EvCPUSample || typ == EvStack || typ == EvFrequency ||
		    typ == EvTimerGoroutine)
			continue;
		if (typ == EvBatch) {
			if (header)
				break;
			header = true;
			last_ts = (int64_t)r->args[1];
			continue;
		}
		if (!HEARTH_GROW(p->evs, p->nevs, p->capevs, 1))
			return hearth_seterr(r->eb, HEARTH_ENOMEM, "out of memory");
		ev1 *e = &p->evs[p->nevs++];
		memset(e, 0, sizeof(*e));
		e->type = (uint8_t)typ;
		e->p = p->pid;
		e->g = last_g;
		e->ts = last_ts + (int64_t)r->args[0];
		last_ts = e->ts;
		size_t na = want_args(typ);
		for (size_t i = 1; i < na; i++) {
			if (i == na - 1 && desc[typ].stack)
				e->stk = (uint32_t)r->args[i];
			else if (i - 1 < 4)
				e->args[i - 1] = r->args[i];
		}
		if (ends_run(typ))
			last_g = 0;
		switch (typ) {
		case EvGoStart:
		case EvGoStartLocal:
		case EvGoStartLabel:
			last_g = e->args[0];
			e->g = last_g;
			break;
		case EvGoSysExit:
		case EvGoWaiting:
		case EvGoInSyscall:
			e->g = e->args[0];
			break;
		}
		(void)off0;
	}
	p->last_g = last_g;
	return HEARTH_OK;
}

/* ---- goroutine sequence states (internal/trace's order.go) ---- */

enum { gDead, gRunnable, gRunning, gWaiting };
#define UNORDERED UINT64_MAX
#define GARBAGE (UINT64_MAX - 1)
#define NOSEQ UINT64_MAX
#define SEQINC (UINT64_MAX - 1)

static gslot *gfind(rd1 *r, uint64_t g, bool add)
{
	if (add && 2 * (r->ngs + 1) > r->capgs) {
		size_t nc = r->capgs ? 2 * r->capgs : 1024;
		gslot *n = calloc(nc, sizeof(*n));
		if (!n)
			return NULL;
		for (size_t i = 0; i < r->capgs; i++)
			if (r->gs[i].used) {
				size_t j = hearth_hash_bytes(&r->gs[i].g, 8) & (nc - 1);
				while (n[j].used)
					j = (j + 1) & (nc - 1);
				n[j] = r->gs[i];
			}
		free(r->gs);
		r->gs = n;
		r->capgs = nc;
	}
	if (!r->capgs)
		return NULL;
	size_t i = hearth_hash_bytes(&g, 8) & (r->capgs - 1);
	for (; r->gs[i].used; i = (i + 1) & (r->capgs - 1))
		if (r->gs[i].g == g)
			return &r->gs[i];
	if (!add)
		return NULL;
	r->gs[i] = (gslot){g, 0, gDead, true};
	r->ngs++;
	return &r->gs[i];
}

typedef struct {
	uint64_t g, iseq, nseq;
	int istatus, nstatus;
} trans;

static trans transition_of(const ev1 *e)
{
	trans t = {UNORDERED, 0, 0, 0, 0};
	switch (e->type) {
	case EvGoCreate:
		t = (trans){e->args[0], 0, 1, gDead, gRunnable};
		break;
	case EvGoWaiting:
	case EvGoInSyscall:
		t = (trans){e->g, 1, 2, gRunnable, gWaiting};
		break;
	case EvGoStart:
	case EvGoStartLabel:
		t = (trans){e->g, e->args[1], e->args[1] + 1, gRunnable, gRunning};
		break;
	case EvGoStartLocal:
		t = (trans){e->g, NOSEQ, SEQINC, gRunnable, gRunning};
		break;
	case EvGoBlock:
	case EvGoBlockSend:
	case EvGoBlockRecv:
	case EvGoBlockSelect:
	case EvGoBlockSync:
	case EvGoBlockCond:
	case EvGoBlockNet:
	case EvGoSleep:
	case EvGoSysBlock:
	case EvGoBlockGC:
		t = (trans){e->g, NOSEQ, NOSEQ, gRunning, gWaiting};
		break;
	case EvGoSched:
	case EvGoPreempt:
		t = (trans){e->g, NOSEQ, NOSEQ, gRunning, gRunnable};
		break;
	case EvGoUnblock:
	case EvGoSysExit:
		t = (trans){e->args[0], e->args[1], e->args[1] + 1, gWaiting, gRunnable};
		break;
	case EvGoUnblockLocal:
	case EvGoSysExitLocal:
		t = (trans){e->args[0], NOSEQ, SEQINC, gWaiting, gRunnable};
		break;
	case EvGCStart:
		t = (trans){GARBAGE, e->args[0], e->args[0] + 1, gDead, gDead};
		break;
	}
	return t;
}

static bool ready(rd1 *r, const trans *t)
{
	if (t->g == UNORDERED)
		return true;
	gslot *s = gfind(r, t->g, false);
	uint64_t seq = s ? s->seq : 0;
	int st = s ? s->status : gDead;
	return (t->iseq == NOSEQ || t->iseq == seq) && t->istatus == st;
}

static int apply_trans(rd1 *r, const trans *t)
{
	if (t->g == UNORDERED)
		return 0;
	gslot *s = gfind(r, t->g, true);
	if (!s)
		return -1;
	uint64_t seq = t->nseq == NOSEQ ? s->seq : t->nseq == SEQINC ? s->seq + 1 : t->nseq;
	s->seq = seq;
	s->status = t->nstatus;
	return 0;
}

/* ---- a map of goroutine ids, for the conversion ---- */

typedef struct {
	uint64_t *k, *v;
	size_t n, cap;
} u64map;

static uint64_t *u64map_get(u64map *m, uint64_t key, bool add)
{
	if (add && 2 * (m->n + 1) > m->cap) {
		size_t nc = m->cap ? 2 * m->cap : 1024;
		uint64_t *nk = malloc(nc * sizeof(*nk)), *nv = malloc(nc * sizeof(*nv));
		if (!nk || !nv) {
			free(nk);
			free(nv);
			return NULL;
		}
		/* Key 0 is never a goroutine of interest: it marks a free slot. */
		memset(nk, 0, nc * sizeof(*nk));
		for (size_t i = 0; i < m->cap; i++)
			if (m->k[i]) {
				size_t j = hearth_hash_bytes(&m->k[i], 8) & (nc - 1);
				while (nk[j])
					j = (j + 1) & (nc - 1);
				nk[j] = m->k[i];
				nv[j] = m->v[i];
			}
		free(m->k);
		free(m->v);
		m->k = nk;
		m->v = nv;
		m->cap = nc;
	}
	if (!m->cap || !key)
		return NULL;
	size_t i = hearth_hash_bytes(&key, 8) & (m->cap - 1);
	for (; m->k[i]; i = (i + 1) & (m->cap - 1))
		if (m->k[i] == key)
			return &m->v[i];
	if (!add)
		return NULL;
	m->k[i] = key;
	m->v[i] = 0;
	m->n++;
	return &m->v[i];
}

static void u64map_free(u64map *m)
{
	free(m->k);
	free(m->v);
	memset(m, 0, sizeof(*m));
}

/* ---- the frontier: a binary heap by time ---- */

typedef struct {
	ev1 e;
	size_t proc; /* index into r->ps, or SIZE_MAX for the CPU samples */
} fitem;

static void heap_up(fitem *h, size_t j)
{
	while (j) {
		size_t i = (j - 1) / 2;
		if (!(h[j].e.ts < h[i].e.ts))
			break;
		fitem t = h[i];
		h[i] = h[j];
		h[j] = t;
		j = i;
	}
}

static void heap_down(fitem *h, size_t i, size_t n)
{
	for (;;) {
		size_t j = 2 * i + 1;
		if (j >= n)
			break;
		if (j + 1 < n && h[j + 1].e.ts < h[j].e.ts)
			j++;
		if (!(h[j].e.ts < h[i].e.ts))
			break;
		fitem t = h[i];
		h[i] = h[j];
		h[j] = t;
		i = j;
	}
}

static int cmp_cpu(const void *a, const void *b)
{
	const ev1 *x = a, *y = b;
	return x->ts < y->ts ? -1 : x->ts > y->ts;
}

static int cmp_ev_stable(const void *a, const void *b)
{
	const ev1 *x = a, *y = b;
	if (x->ts != y->ts)
		return x->ts < y->ts ? -1 : 1;
	/* Ties keep their order: args[3] holds the index below. */
	return x->args[3] < y->args[3] ? -1 : x->args[3] > y->args[3];
}

/* Pass 2: the batches merged into one consistent order. */
static hearth_err merge(rd1 *r)
{
	hearth_err err = HEARTH_OK;
	size_t np = r->nps;
	fitem *h = calloc(np + 2, sizeof(*h));
	size_t nh = 0, cpu_pos = 0;
	bool cpu_queued = false;
	if (!h)
		return hearth_seterr(r->eb, HEARTH_ENOMEM, "out of memory");
	if (r->ncpu)
		qsort(r->cpu, r->ncpu, sizeof(ev1), cmp_cpu);
	for (;;) {
		/* Every P not in the frontier offers its next event if it is
		 * ready. */
		for (size_t i = 0; i < np; i++) {
			proc *p = &r->ps[i];
			if (p->queued || p->done)
				continue;
			while (p->pos >= p->nevs && !p->done)
				if ((err = load_batch(r, p)))
					goto out;
			if (p->done)
				continue;
			trans t = transition_of(&p->evs[p->pos]);
			if (!ready(r, &t))
				continue;
			h[nh] = (fitem){p->evs[p->pos++], i};
			heap_up(h, nh++);
			p->queued = true;
		}
		if (!cpu_queued && cpu_pos < r->ncpu) {
			h[nh] = (fitem){r->cpu[cpu_pos++], SIZE_MAX};
			heap_up(h, nh++);
			cpu_queued = true;
		}
		if (!nh) {
			for (size_t i = 0; i < np; i++)
				if (!r->ps[i].done) {
					err = corrupt(
					    r, r->n,
					    "no consistent order of the events is possible");
					goto out;
				}
			break;
		}
		fitem f = h[0];
		h[0] = h[--nh];
		heap_down(h, 0, nh);
		trans t = transition_of(&f.e);
		switch (f.e.type) {
		case EvGoStartLocal:
			f.e.type = EvGoStart;
			break;
		case EvGoUnblockLocal:
			f.e.type = EvGoUnblock;
			break;
		case EvGoSysExitLocal:
			f.e.type = EvGoSysExit;
			break;
		}
		if (!HEARTH_GROW(r->out, r->nout, r->capout, 1)) {
			err = hearth_seterr(r->eb, HEARTH_ENOMEM, "out of memory");
			goto out;
		}
		r->out[r->nout++] = f.e;
		if (!ready(r, &t) || apply_trans(r, &t)) {
			err = corrupt(r, r->n, "an impossible goroutine transition");
			goto out;
		}
		if (f.proc == SIZE_MAX)
			cpu_queued = false;
		else
			r->ps[f.proc].queued = false;
	}
	/* A syscall's exit takes the time it really happened (its argument),
	 * after the GoSysBlock or GoInSyscall before it; then a stable sort by
	 * time. */
	for (size_t i = 1; i < r->nout; i++)
		if (r->out[i].ts < r->out[i - 1].ts) {
			err = corrupt(r, r->n, "time stamps out of order");
			goto out;
		}
	{
		u64map blk = {0}; /* goroutine -> time of its last GoSysBlock + 1 */
		for (size_t i = 0; i < r->nout && !err; i++) {
			ev1 *e = &r->out[i];
			if (e->type == EvGoSysBlock || e->type == EvGoInSyscall) {
				uint64_t *v = u64map_get(&blk, e->g, true);
				if (v)
					*v = (uint64_t)e->ts + 1;
				else if (e->g)
					err = hearth_seterr(r->eb, HEARTH_ENOMEM, "out of memory");
			} else if (e->type == EvGoSysExit && e->args[2]) {
				uint64_t *v = u64map_get(&blk, e->g, false);
				if (!v || !*v)
					err =
					    corrupt(r, r->n, "a syscall exit without its syscall");
				else if ((int64_t)e->args[2] < (int64_t)(*v - 1))
					err = corrupt(r, r->n, "time stamps out of order");
				else
					e->ts = (int64_t)e->args[2];
			}
		}
		u64map_free(&blk);
		if (err)
			goto out;
	}
	/* A stable sort: the events' own order breaks ties. */
	{
		uint64_t *keep = malloc((r->nout + 1) * sizeof(uint64_t));
		if (!keep) {
			err = hearth_seterr(r->eb, HEARTH_ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < r->nout; i++) {
			keep[i] = r->out[i].args[3];
			r->out[i].args[3] = i;
		}
		if (r->nout)
			qsort(r->out, r->nout, sizeof(ev1), cmp_ev_stable);
		for (size_t i = 0; i < r->nout; i++)
			r->out[i].args[3] = keep[r->out[i].args[3]];
		free(keep);
	}
out:
	free(h);
	return err;
}

/* ---- the events, as the Go 1.22 reader converts them ---- */

typedef struct {
	rd1 *r;
	ht_an *a;
	int64_t last;
	/* Go 1.19's go tool trace's MMU and -pprof profiles: at the
	 * trace's own times, by the links of Go 1.19's parser. */
	bool go119;
	/* Per goroutine (index + 1 in lastev): its last event that Go
	 * 1.19's parser links to the event ending its state. */
	u64map lastev;
	struct pev {
		int64_t ts;
		uint32_t stk;
		int8_t kind; /* HEARTH_TRACE_*, or -1: one no profile counts */
	} * pevs;
	size_t npevs, cappevs;
	bool oom;
} conv;

/* Go 1.19's cmd/trace/pprof.go: an event of a profile's kind (a block on
 * the network; on a channel, select, sync or a GC assist; a syscall; an
 * unblock or a creation) with a stack is charged, when the parser linked
 * it to the event that ended the state (the unblock; the syscall's exit
 * after it blocked; the start), one contention and the time between the
 * two, unclipped: a syscall that did not block, a preemption or a
 * Gosched, and a goroutine never unblocked count nothing. */
static int pev_end(conv *c, uint64_t g, int kinds, int64_t ts)
{
	uint64_t *v = u64map_get(&c->lastev, g, false);
	if (!v || !*v)
		return 0;
	struct pev *e = &c->pevs[*v - 1];
	int rc = 0;
	if (e->kind >= 0 && (kinds & (1 << e->kind)) && e->stk && ts > e->ts) {
		ht_stack s = stack(c->r, e->stk, 0);
		if (s.n)
			rc = ht_prof_add(c->a, e->kind, s, ts - e->ts);
	}
	e->kind = -1;
	return rc;
}

static int pev_set(conv *c, uint64_t g, int kind, uint32_t stk, int64_t ts)
{
	uint64_t *v = u64map_get(&c->lastev, g, true);
	if (!v)
		return c->oom = true, 1;
	if (!*v) {
		if (!HEARTH_GROW(c->pevs, c->npevs, c->cappevs, 1))
			return c->oom = true, 1;
		*v = ++c->npevs;
	}
	c->pevs[*v - 1] = (struct pev){ts, stk, (int8_t)kind};
	return 0;
}

/* The time of the next event the converter emits: strictly increasing. */
static int64_t at(conv *c, int64_t t)
{
	if (t <= c->last)
		t = c->last + 1;
	c->last = t;
	ht_tick(c->a, t);
	return t;
}

static const ht_stack nostack = {NULL, 0};

/* The reasons the newest reader gives Go 1.19's blocking events. */
static const char *block_reason(int type)
{
	switch (type) {
	case EvGoSleep:
		return "sleep";
	case EvGoBlockSend:
		return "chan send";
	case EvGoBlockRecv:
		return "chan receive";
	case EvGoBlockSelect:
		return "select";
	case EvGoBlockSync:
		return "sync";
	case EvGoBlockCond:
		return "sync.(*Cond).Wait";
	case EvGoBlockNet:
		return "network";
	case EvGoBlockGC:
		return "GC mark assist wait for work";
	default:
		return "";
	}
}

/* Go 1.19's tool's MMU: a goroutine runs from its start to the event Go
 * 1.19's parser links the start to (a block, a preemption, its end, a
 * syscall that blocked), at the trace's own times. */
static int run119(ht_mmu *mm, const ev1 *e)
{
	if (e->type == EvGoStart || e->type == EvGoStartLabel)
		return ht_mmu_run(mm, e->ts, e->args[0], e->p < 0 ? -1 : e->p, true);
	if (ends_run(e->type))
		return e->g && ht_mmu_run(mm, e->ts, e->g, e->p < 0 ? -1 : e->p, false);
	return 0;
}

/* The links of Go 1.19's parser that its -pprof profiles follow. */
static int pprof119(conv *c, const ev1 *e)
{
	const int waits = 1 << HEARTH_TRACE_NET | 1 << HEARTH_TRACE_SYNC;
	switch (e->type) {
	case EvGoBlockNet:
		return e->g && pev_set(c, e->g, HEARTH_TRACE_NET, e->stk, e->ts);
	case EvGoBlockSend:
	case EvGoBlockRecv:
	case EvGoBlockSelect:
	case EvGoBlockSync:
	case EvGoBlockCond:
	case EvGoBlockGC: /* Go 1.19's sync profile holds GC assist waits */
		return e->g && pev_set(c, e->g, HEARTH_TRACE_SYNC, e->stk, e->ts);
	case EvGoSleep:
	case EvGoBlock:
	case EvGoSched:
	case EvGoPreempt:
		return e->g && pev_set(c, e->g, -1, 0, e->ts);
	case EvGoWaiting:
	case EvGoInSyscall:
		return pev_set(c, e->args[0], -1, 0, e->ts);
	case EvGoCreate:
		return pev_set(c, e->args[0], HEARTH_TRACE_SCHED, e->stk, e->ts);
	case EvGoStart:
	case EvGoStartLabel:
		return pev_end(c, e->args[0], 1 << HEARTH_TRACE_SCHED, e->ts);
	case EvGoUnblock:
		return pev_end(c, e->args[0], waits, e->ts) ||
		       pev_set(c, e->args[0], HEARTH_TRACE_SCHED, e->stk, e->ts);
	case EvGoSysCall:
		return e->g && pev_set(c, e->g, HEARTH_TRACE_SYSCALL, e->stk, e->ts);
	case EvGoSysExit:
		return e->g && (pev_end(c, e->g, 1 << HEARTH_TRACE_SYSCALL, e->ts) ||
				pev_set(c, e->g, -1, 0, e->ts));
	}
	return 0;
}

static hearth_err convert(rd1 *r, ht_an *a, hearth_errbuf *eb)
{
	ht_mmu *mm = ht_an_mmu(a);
	conv c = {.r = r, .a = a, .last = -1, .go119 = ht_go119(a)};
	if (c.go119)
		ht_prof_direct(a);
	/* Goroutines that existed when the trace began, until the first
	 * EvGomaxprocs ends its start: those seen in no other state were
	 * runnable (or idle). */
	uint64_t *pre = NULL;
	size_t npre = 0, cappre = 0;
	u64map prei = {0}, later = {0}; /* goroutine -> index in pre; -> its next event */
	size_t *nextg = malloc((r->nout + 1) * sizeof(size_t));
	bool pre_init = true, synced = false;
	int rc = 0;
	hearth_err err = HEARTH_OK;
	double freq = 1e9 / (double)r->ticks;
	if (!nextg) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	/* Each event's next event of the same goroutine (a syscall looks
	 * ahead for its GoSysBlock), in one pass from the end. */
	for (size_t i = r->nout; i-- > 0;) {
		uint64_t g = r->out[i].g;
		nextg[i] = SIZE_MAX;
		if (!g)
			continue;
		uint64_t *v = u64map_get(&later, g, true);
		if (!v) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			goto out;
		}
		if (*v)
			nextg[i] = (size_t)(*v - 1);
		*v = i + 1;
	}
	int64_t min_ts = r->nout ? r->out[0].ts : 0;
	for (size_t i = 0; i < r->nout && !rc; i++) {
		ev1 *e = &r->out[i];
		/* From 1, not 0: 0 is "unset" for the analysis' times. */
		e->ts = (int64_t)((double)(e->ts - min_ts) * freq) + 1;
		bool timer = false;
		for (size_t k = 0; k < r->ntimer && !timer; k++)
			timer = r->timer_gs[k] == e->g;
		if (timer && e->type == EvGoUnblock)
			e->p = TIMER_P;
		if (e->type == EvGoSysExit)
			e->p = SYSCALL_P;
	}
	for (size_t i = 0; i < r->nout && !rc; i++) {
		const ev1 *e = &r->out[i];
		int64_t p = e->p < 0 ? -1 : e->p;
		if (c.go119)
			ht_mmu_tick(mm, e->ts);
		if (!synced) {
			if (ht_sync(a, e->ts)) {
				rc = 1;
				break;
			}
			synced = true;
		}
		/* The event as the newest reader converts it (most become one
		 * event of its kind, on the goroutine and P of the event; the
		 * MMU's time is the converted one, or in Go 1.19's mode the
		 * trace's own, never moved). */
		ht_ev v = {.kind = -1, .g = e->g, .p = p, .first_gen = true, .stack = nostack};
		switch (e->type) {
		case EvGomaxprocs:
			if (pre_init) {
				/* The converter drops the first one, which ends the
				 * goroutines of the trace's start: those seen in no
				 * other state were runnable.  (GOMAXPROCS is still
				 * told, for the header, and to Go 1.19's MMU.) */
				pre_init = false;
				ht_procs(a, (int)(e->args[0] > 1000000 ? 1000000 : e->args[0]));
				if (c.go119 &&
				    ht_mmu_procs(
					mm, e->ts,
					(int)(e->args[0] > 1000000 ? 1000000 : e->args[0]))) {
					rc = 1;
					break;
				}
				for (size_t k = 0; k < npre && !rc; k++)
					if (pre[k]) {
						ht_ev s = {.kind = HE_GO_STATUS,
							   .t = at(&c, e->ts),
							   .p = -1,
							   .arg = pre[k],
							   .state = GS_RUNNABLE};
						rc = ht_event(a, &s);
					}
				break;
			}
			v.kind = HE_PROCS;
			v.arg = e->args[0];
			break;
		case EvProcStart:
			v.kind = HE_TIME;
			break;
		case EvProcStop:
			v.kind = HE_PROC_IDLE;
			v.arg = (uint64_t)p;
			break;
		case EvGCStart:
		case EvGCDone:
			v.kind = e->type == EvGCStart ? HE_GC_BEGIN : HE_GC_END;
			break;
		case EvSTWStart:
			/* Go 1.19's kinds 0 and 1, as the newest reader names them. */
			v.kind = HE_STW_BEGIN;
			v.str = e->args[0] == 0	  ? "GC mark termination"
				: e->args[0] == 1 ? "GC sweep termination"
						  : "";
			break;
		case EvSTWDone:
			v.kind = HE_STW_END;
			break;
		case EvGCSweepStart:
		case EvGCSweepDone:
			v.kind = HE_SWEEP;
			v.how = e->type == EvGCSweepStart ? HT_MMU_BEGIN : HT_MMU_END;
			break;
		case EvGCMarkAssistStart:
		case EvGCMarkAssistDone:
			v.kind = HE_ASSIST;
			v.how = e->type == EvGCMarkAssistStart ? HT_MMU_BEGIN : HT_MMU_END;
			v.arg = e->g;
			break;
		case EvGoCreate:
			if (pre_init) {
				uint64_t *pv =
				    e->args[0] ? u64map_get(&prei, e->args[0], true) : NULL;
				if (!e->args[0] || *pv)
					break;
				if (!pv || !HEARTH_GROW(pre, npre, cappre, 1)) {
					err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
					goto out;
				}
				pre[npre++] = e->args[0];
				*pv = npre;
				break;
			}
			v.kind = HE_GO_CREATE;
			v.arg = e->args[0];
			v.state = GS_RUNNABLE;
			v.stack = stack(r, e->stk, 0);
			v.gstack = stack(r, (uint32_t)e->args[1], 1);
			break;
		case EvGoStart:
		case EvGoStartLabel: {
			uint64_t *pv = pre_init ? u64map_get(&prei, e->args[0], false) : NULL;
			if (pv && *pv)
				pre[*pv - 1] = 0;
			/* Running when the trace began: its status. */
			v.kind = pre_init ? HE_GO_STATUS : HE_GO_START;
			v.state = GS_RUNNING;
			v.arg = e->args[0];
			break;
		}
		case EvGoEnd:
			v.kind = HE_GO_DESTROY;
			break;
		case EvGoStop:
			v.kind = HE_GO_BLOCK;
			v.str = "forever";
			break;
		case EvGoSched:
		case EvGoPreempt:
			v.kind = HE_GO_STOP;
			v.str = e->type == EvGoSched ? "runtime.Gosched" : "preempted";
			break;
		case EvGoSleep:
		case EvGoBlock:
		case EvGoBlockSend:
		case EvGoBlockRecv:
		case EvGoBlockSelect:
		case EvGoBlockSync:
		case EvGoBlockCond:
		case EvGoBlockNet:
		case EvGoBlockGC:
			v.kind = HE_GO_BLOCK;
			v.str = block_reason(e->type);
			break;
		case EvGoUnblock:
			v.kind = HE_GO_UNBLOCK;
			v.arg = e->args[0];
			break;
		case EvGoSysCall:
			v.kind = HE_GO_SYSCALL_BEGIN;
			break;
		case EvGoSysExit:
			v.kind = HE_GO_SYSCALL_END_BLOCKED;
			break;
		case EvGoSysBlock:
		case EvFutileWakeup:
			break;
		case EvGoWaiting:
		case EvGoInSyscall: {
			uint64_t *pv = u64map_get(&prei, e->args[0], false);
			if (pv && *pv)
				pre[*pv - 1] = 0;
			v.kind = HE_GO_STATUS;
			v.arg = e->args[0];
			v.state = e->type == EvGoWaiting ? GS_WAITING : GS_SYSCALL;
			break;
		}
		case EvUserRegion:
			/* Its begin and end only (not the other kinds). */
			if (e->args[1] <= 1)
				v.kind = HE_TIME;
			break;
		default:
			/* Heap, user tasks and logs, CPU samples: events of the
			 * converted trace that only take their time. */
			v.kind = HE_TIME;
			break;
		}
		if (rc || v.kind < 0)
			goto next;
		v.t = at(&c, e->ts);
		v.mt = c.go119 ? e->ts : v.t;
		/* The stack of a block, an unblock, a syscall is the event's. */
		if (v.kind == HE_GO_BLOCK || v.kind == HE_GO_STOP || v.kind == HE_GO_UNBLOCK ||
		    v.kind == HE_GO_SYSCALL_BEGIN)
			v.stack = stack(r, e->stk, 0);
		rc = ht_event(a, &v);
		/* A syscall that did not block (its goroutine's next event is
		 * not its GoSysBlock) lasts a nanosecond. */
		if (!rc && e->type == EvGoSysCall && e->g &&
		    !(nextg[i] != SIZE_MAX && r->out[nextg[i]].type == EvGoSysBlock)) {
			ht_ev x = v;
			x.kind = HE_GO_SYSCALL_END;
			x.t = at(&c, e->ts + 1);
			x.stack = nostack;
			rc = ht_event(a, &x);
		}
		/* A labelled start is followed by its EvGoLabel. */
		if (!rc && e->type == EvGoStartLabel) {
			ht_ev l = v;
			l.kind = HE_LABEL;
			l.g = e->args[0];
			l.str = str(r, e->args[2]);
			l.t = at(&c, e->ts);
			l.mt = c.go119 ? e->ts : l.t;
			rc = ht_event(a, &l);
		}
		/* Go 1.19's tool's MMU: a goroutine starts and stops where
		 * Go 1.19's parser links its start to. */
		if (!rc && c.go119)
			rc = run119(mm, e);
	next:
		if (!rc && c.go119)
			rc = pprof119(&c, e);
	}
	if (c.oom)
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	else if (rc)
		err = ht_an_error(a, eb);
	if (rc && !err)
		err = hearth_seterr(eb, HEARTH_ECORRUPT, "bad event");
out:
	free(pre);
	free(nextg);
	u64map_free(&prei);
	u64map_free(&later);
	u64map_free(&c.lastev);
	free(c.pevs);
	return err;
}

hearth_err hearth_trace_read_v1(FILE *f, int version, uint64_t size, const hearth_trace_opts *o,
				ht_an *a, hearth_trace *t, hearth_errbuf *eb)
{
	(void)version;
	(void)t;
	uint64_t cap = o->max_generation ? o->max_generation : ((uint64_t)1 << 30);
	rd1 *r = calloc(1, sizeof(*r));
	unsigned char *d = NULL;
	size_t n = 16, capd = 0;
	hearth_err err = HEARTH_OK;
	if (!r)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	r->eb = eb;
	/* The whole trace (the header was read): Go 1.19's batches can only
	 * be ordered once all are there. */
	capd = size > 16 && size <= cap ? (size_t)size + 1 : (size_t)1 << 20;
	if (!(d = malloc(capd))) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	memset(d, 0, 16);
	for (;;) {
		if (n == capd) {
			if (capd >= cap + 16) {
				err = hearth_seterr(eb, HEARTH_ETOOBIG,
						    "a Go 1.19 trace over %llu bytes (-max_size)",
						    (unsigned long long)cap);
				goto out;
			}
			size_t nc = capd * 2 > cap + 16 ? (size_t)cap + 16 : capd * 2;
			unsigned char *nd = realloc(d, nc);
			if (!nd) {
				err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
				goto out;
			}
			d = nd;
			capd = nc;
		}
		size_t got = fread(d + n, 1, capd - n, f);
		if (!got)
			break;
		n += got;
		if (o->progress)
			o->progress(o->progress_ctx, n, size);
	}
	r->d = d;
	r->n = n;
	if ((err = index_trace(r)) || (err = merge(r)) || (err = convert(r, a, eb)))
		goto out;
out:
	free(d);
	if (r) {
		for (size_t i = 0; i < r->nps; i++) {
			free(r->ps[i].batches);
			free(r->ps[i].evs);
		}
		free(r->ps);
		ht_tab_free(&r->tab);
		free(r->timer_gs);
		free(r->cpu);
		free(r->out);
		free(r->gs);
		free(r);
	}
	return err;
}
