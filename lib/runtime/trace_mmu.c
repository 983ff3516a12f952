/* Minimum mutator utilization of an execution trace, as go tool trace's
 * /mmu page computes it (internal/trace's MutatorUtilization and MMUCurve;
 * Go 1.19's own tool's for a Go 1.19 trace read in its mode).
 *
 * The readers hand over, in trace order, the events that move the count of
 * Ps doing GC work: GOMAXPROCS changes, stop-the-world ranges, mark assists
 * and sweeps (per P), background mark workers' labels, and goroutines
 * starting and stopping.  The utilization is a step function: 1 - (Ps
 * doing GC work) / GOMAXPROCS, all of them during a GC stop-the-world; or,
 * per P (perproc), 1 or 0.  Its series starts at the first GOMAXPROCS
 * event and ends at the last event of the trace.  The MMU of a window is
 * the smallest mean of the function over any window of that length inside
 * the series (a window longer than the series is the series); the mean of
 * a window is piecewise linear in its start, so its minimum comes with an
 * edge of the window on a step of the function, and only those starts are
 * tried.
 *
 * What counts follows Go's code, with one exception: the newest Go counts
 * a background mark worker again each time it starts running after its
 * first label (it never forgets a worker, and the label that follows each
 * start adds the P once more), so after a worker's second run a P stays
 * "in GC" for good and its curve ends there (docs/trace.md).  hearth
 * counts a worker from its label (dedicated or fractional, not idle) until
 * it stops running, as Go 1.19's tool does. */
#include <stdlib.h>
#include <string.h>

#include "trace_int.h"
#include "util.h"

typedef struct {
	int64_t t;
	double u;
} mpt;

typedef struct {
	mpt *pt;
	size_t n, cap;
} mseries;

typedef struct {
	int32_t gc;
	uint32_t series;
} mproc;

typedef struct {
	uint64_t g;
	bool used, assist, bg;
} mg;

struct ht_mmu {
	unsigned flags;
	bool go119;
	hearth_err code;
	char msg[80];
	mproc *ps;
	uint32_t nps;
	mseries *ser;
	uint32_t nser;
	struct {
		int64_t t;
		int n;
	} * procs;
	size_t nprocs, capprocs;
	int stw;
	bool stw_gc; /* the stop-the-world under way counts */
	size_t points;
	mg *gs;
	size_t ngs, capgs;
	int64_t last;
	bool have_last;
};

/* Bounds: Ps (GOMAXPROCS), steps in all series together. */
#define MAX_PS (1 << 16)
#define MAX_POINTS ((size_t)1 << 27)

static int fail(ht_mmu *m, hearth_err e, const char *msg)
{
	if (!m->code) {
		m->code = e;
		snprintf(m->msg, sizeof(m->msg), "%s", msg);
	}
	return 1;
}

ht_mmu *ht_mmu_new(unsigned flags, bool go119)
{
	ht_mmu *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->flags = flags ? flags : HEARTH_MMU_DEFAULT;
	m->go119 = go119;
	return m;
}

void ht_mmu_free(ht_mmu *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->nser; i++)
		free(m->ser[i].pt);
	free(m->ser);
	free(m->ps);
	free(m->procs);
	free(m->gs);
	free(m);
}

hearth_err ht_mmu_error(const ht_mmu *m, hearth_errbuf *eb)
{
	if (m->code)
		hearth_seterr(eb, m->code, "MMU: %s", m->msg);
	return m->code;
}

bool ht_mmu_go119(const ht_mmu *m)
{
	return m->go119;
}

/* ---- goroutines in an assist or working as a background mark worker ---- */

static uint64_t gmix(uint64_t x)
{
	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ULL;
	x ^= x >> 29;
	return x;
}

static mg *gget(ht_mmu *m, uint64_t g, bool add)
{
	if (m->capgs) {
		size_t k = gmix(g) & (m->capgs - 1);
		while (m->gs[k].used) {
			if (m->gs[k].g == g)
				return &m->gs[k];
			k = (k + 1) & (m->capgs - 1);
		}
	}
	if (!add)
		return NULL;
	if ((m->ngs + 1) * 2 > m->capgs) {
		if (m->ngs >= ((size_t)1 << 26))
			return fail(m, HEARTH_ETOOBIG, "too many goroutines in GC work"), NULL;
		size_t nc = m->capgs ? m->capgs * 2 : 64;
		mg *ng = calloc(nc, sizeof(mg));
		if (!ng)
			return fail(m, HEARTH_ENOMEM, "out of memory"), NULL;
		for (size_t i = 0; i < m->capgs; i++)
			if (m->gs[i].used) {
				size_t k = gmix(m->gs[i].g) & (nc - 1);
				while (ng[k].used)
					k = (k + 1) & (nc - 1);
				ng[k] = m->gs[i];
			}
		free(m->gs);
		m->gs = ng;
		m->capgs = nc;
	}
	size_t k = gmix(g) & (m->capgs - 1);
	while (m->gs[k].used)
		k = (k + 1) & (m->capgs - 1);
	m->gs[k] = (mg){.g = g, .used = true};
	m->ngs++;
	return &m->gs[k];
}

/* ---- the utilization function ---- */

/* internal/trace's addUtil: a step only where the value changes, the
 * lowest of one time stamp. */
static int add_util(ht_mmu *m, mseries *s, int64_t t, double u)
{
	if (s->n) {
		mpt *l = &s->pt[s->n - 1];
		if (l->u == u)
			return 0;
		if (l->t == t) {
			if (u < l->u)
				*l = (mpt){t, u};
			return 0;
		}
	}
	if (m->points >= MAX_POINTS)
		return fail(m, HEARTH_ETOOBIG, "more than 134217728 utilization steps");
	if (!HEARTH_GROW(s->pt, s->n, s->cap, 1))
		return fail(m, HEARTH_ENOMEM, "out of memory");
	s->pt[s->n++] = (mpt){t, u};
	m->points++;
	return 0;
}

static int new_series(ht_mmu *m, int64_t t, uint32_t *idx)
{
	mseries *ns = realloc(m->ser, (m->nser + 1) * sizeof(mseries));
	if (!ns)
		return fail(m, HEARTH_ENOMEM, "out of memory");
	m->ser = ns;
	m->ser[m->nser] = (mseries){0};
	*idx = m->nser++;
	return add_util(m, &m->ser[*idx], t, 1);
}

/* After each event: the utilization now. */
static int note(ht_mmu *m, int64_t t)
{
	if (m->code)
		return 1;
	if (!m->nps)
		return 0;
	if (!(m->flags & HEARTH_MMU_PERPROC)) {
		uint32_t busy = 0;
		if (m->stw > 0)
			busy = m->nps;
		else
			for (uint32_t i = 0; i < m->nps; i++)
				busy += m->ps[i].gc > 0;
		return add_util(m, &m->ser[0], t, 1 - (double)busy / (double)m->nps);
	}
	for (uint32_t i = 0; i < m->nps; i++)
		if (add_util(m, &m->ser[m->ps[i].series], t,
			     m->stw > 0 || m->ps[i].gc > 0 ? 0.0 : 1.0))
			return 1;
	return 0;
}

static void gc_add(ht_mmu *m, int64_t p, int d)
{
	/* Go indexes its Ps by the event's P; one outside them (none, or
	 * Go 1.19's fake Ps) changes nothing. */
	if (p >= 0 && (uint64_t)p < m->nps)
		m->ps[p].gc += d;
}

void ht_mmu_tick(ht_mmu *m, int64_t t)
{
	m->last = t;
	m->have_last = true;
}

int ht_mmu_procs(ht_mmu *m, int64_t t, int n)
{
	ht_mmu_tick(m, t);
	if (n < 1 || n > MAX_PS)
		return note(m, t);
	bool perproc = m->flags & HEARTH_MMU_PERPROC;
	if (m->nps > (uint32_t)n) {
		if (perproc)
			for (uint32_t i = (uint32_t)n; i < m->nps; i++)
				if (add_util(m, &m->ser[m->ps[i].series], t, 0))
					return 1;
		m->nps = (uint32_t)n;
	}
	if (m->nps < (uint32_t)n) {
		mproc *np = realloc(m->ps, (size_t)n * sizeof(mproc));
		if (!np)
			return fail(m, HEARTH_ENOMEM, "out of memory");
		m->ps = np;
		while (m->nps < (uint32_t)n) {
			uint32_t s = 0;
			if ((perproc || !m->nser) && new_series(m, t, &s))
				return 1;
			m->ps[m->nps++] = (mproc){0, s};
		}
	}
	if (!m->nprocs || m->procs[m->nprocs - 1].n != n) {
		if (!HEARTH_GROW(m->procs, m->nprocs, m->capprocs, 1))
			return fail(m, HEARTH_ENOMEM, "out of memory");
		m->procs[m->nprocs].t = t;
		m->procs[m->nprocs++].n = n;
	}
	return note(m, t);
}

int ht_mmu_stw(ht_mmu *m, int64_t t, bool begin, bool gc)
{
	ht_mmu_tick(m, t);
	/* The end is the begin's range (its reason), even when Go left the
	 * begin out: a stop begun before the first GOMAXPROCS event (a Go
	 * 1.19 trace converted by the newest reader, whose first GOMAXPROCS
	 * comes within the first stop) makes Go's count of stops -1 at its
	 * end, and no stop counts from then on; hearth counts as Go does. */
	if (begin)
		m->stw_gc = gc;
	if (!m->nps)
		return 0;
	if ((m->flags & HEARTH_MMU_STW) && m->stw_gc)
		m->stw += begin ? 1 : -1;
	return note(m, t);
}

/* A range under way when the trace (its first generation) began: the P
 * was doing that work from the start of the series on, one share of the
 * Ps less everywhere (system mode). */
static void active_fixup(ht_mmu *m)
{
	if (m->flags & HEARTH_MMU_PERPROC)
		return;
	mseries *s = &m->ser[0];
	size_t pi = 0;
	for (size_t i = 0; i < s->n;) {
		if (pi + 1 < m->nprocs && m->procs[pi + 1].t < s->pt[i].t) {
			pi++;
			continue;
		}
		s->pt[i].u -= 1.0 / (double)m->procs[pi].n;
		if (s->pt[i].u < 0)
			s->pt[i].u = 0;
		i++;
	}
}

int ht_mmu_assist(ht_mmu *m, int64_t t, uint64_t g, int64_t p, int how, bool cur_running)
{
	ht_mmu_tick(m, t);
	if (!m->nps || !(m->flags & HEARTH_MMU_ASSIST))
		return note(m, t);
	if (how == HT_MMU_ACTIVE) {
		/* Go tests whether the goroutine of the event (not the
		 * assisting one) is running; either way the range begins. */
		if (cur_running)
			active_fixup(m);
		how = HT_MMU_BEGIN;
	}
	gc_add(m, p, how == HT_MMU_BEGIN ? 1 : -1);
	if (g) {
		mg *e = gget(m, g, how == HT_MMU_BEGIN);
		if (e)
			e->assist = how == HT_MMU_BEGIN;
	}
	return note(m, t);
}

int ht_mmu_sweep(ht_mmu *m, int64_t t, int64_t p, int how)
{
	ht_mmu_tick(m, t);
	if (!m->nps || !(m->flags & HEARTH_MMU_SWEEP))
		return note(m, t);
	if (how == HT_MMU_ACTIVE) {
		active_fixup(m);
		how = HT_MMU_BEGIN;
	}
	gc_add(m, p, how == HT_MMU_BEGIN ? 1 : -1);
	return note(m, t);
}

int ht_mmu_label(ht_mmu *m, int64_t t, uint64_t g, int64_t p, const char *label)
{
	ht_mmu_tick(m, t);
	if (!m->nps || !(m->flags & HEARTH_MMU_BACKGROUND) || !label || strncmp(label, "GC ", 3) ||
	    !strcmp(label, "GC (idle)"))
		return note(m, t);
	/* Per P, dedicated workers push the goroutines off their P: they
	 * delay no goroutine directly. */
	if ((m->flags & HEARTH_MMU_PERPROC) && !strcmp(label, "GC (dedicated)"))
		return note(m, t);
	mg *e = gget(m, g, true);
	if (!e)
		return 1;
	if (!e->bg) {
		e->bg = true;
		gc_add(m, p, 1);
	}
	return note(m, t);
}

int ht_mmu_run(ht_mmu *m, int64_t t, uint64_t g, int64_t p, bool running)
{
	ht_mmu_tick(m, t);
	if (!m->nps)
		return 0;
	mg *e = m->ngs ? gget(m, g, false) : NULL;
	if (e) {
		if (e->assist)
			gc_add(m, p, running ? 1 : -1);
		if (!running && e->bg) {
			e->bg = false;
			gc_add(m, p, -1);
		}
	}
	return note(m, t);
}

/* ---- the curve ---- */

/* The integral of the series from its start to x (x within it), as
 * internal/trace's integrator sums it: cumulative sums at the steps. */
static double integ(const mseries *s, const double *sums, int64_t x)
{
	size_t lo = 0, hi = s->n;
	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (s->pt[mid].t <= x)
			lo = mid;
		else
			hi = mid;
	}
	double v = sums[lo];
	if (x != s->pt[lo].t)
		v += s->pt[lo].u * (double)(x - s->pt[lo].t);
	return v;
}

static double series_mmu(const mseries *s, const double *sums, int64_t win)
{
	int64_t t0 = s->pt[0].t, t1 = s->pt[s->n - 1].t;
	if (win > t1 - t0)
		win = t1 - t0;
	if (win <= 0)
		return 0;
	double best = 1;
	for (size_t i = 0; i < s->n; i++) {
		int64_t starts[2] = {s->pt[i].t, s->pt[i].t - win};
		for (int j = 0; j < 2; j++) {
			int64_t x = starts[j];
			if (x < t0)
				x = t0;
			if (x > t1 - win)
				x = t1 - win;
			double mu = (integ(s, sums, x + win) - integ(s, sums, x)) / (double)win;
			if (mu < best)
				best = mu;
		}
	}
	return best;
}

void ht_mmu_finish(ht_mmu *m, int64_t end, hearth_trace *t)
{
	static const int64_t windows[] = {100000, 1000000, 10000000, 100000000, 1000000000};
	t->nmmu = 0;
	t->mmu_flags = m->flags;
	t->mmu_go119 = m->go119;
	if (m->code || !m->nps)
		return;
	/* The end: the trace's last event, where every series drops to 0. */
	if (m->go119 && m->have_last)
		end = m->last;
	for (uint32_t i = 0; i < m->nps; i++)
		if (add_util(m, &m->ser[m->ps[i].series], end, 0))
			return;
	int64_t longest = 0;
	double *sums = NULL;
	size_t capsums = 0;
	for (uint32_t i = 0; i < m->nser; i++)
		if (m->ser[i].n && m->ser[i].pt[m->ser[i].n - 1].t - m->ser[i].pt[0].t > longest)
			longest = m->ser[i].pt[m->ser[i].n - 1].t - m->ser[i].pt[0].t;
	double best[sizeof(windows) / sizeof(windows[0])];
	size_t nw = 0;
	while (nw < sizeof(windows) / sizeof(windows[0]) && windows[nw] <= longest)
		best[nw++] = 1;
	for (uint32_t i = 0; i < m->nser && nw; i++) {
		mseries *s = &m->ser[i];
		if (!s->n)
			continue;
		if (s->n > capsums) {
			free(sums);
			capsums = s->n;
			if (!(sums = malloc(capsums * sizeof(double)))) {
				fail(m, HEARTH_ENOMEM, "out of memory");
				return;
			}
		}
		double sum = 0;
		for (size_t j = 0; j < s->n; j++) {
			if (j)
				sum += s->pt[j - 1].u * (double)(s->pt[j].t - s->pt[j - 1].t);
			sums[j] = sum;
		}
		for (size_t w = 0; w < nw; w++) {
			double v = series_mmu(s, sums, windows[w]);
			if (v < best[w])
				best[w] = v;
		}
	}
	free(sums);
	for (size_t w = 0; w < nw; w++) {
		t->mmu_window[t->nmmu] = windows[w];
		t->mmu[t->nmmu++] = best[w] < 0 ? 0 : best[w];
	}
}
