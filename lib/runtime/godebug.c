/* GODEBUG=gctrace=1,schedtrace=N[,scheddetail=1] logs.
 *
 * The shapes, as the runtime prints them (runtime/mgc.go gcMarkTermination,
 * mgcscavenge.go printScavTrace, proc.go schedtrace) from Go 1.19 to 1.26:
 *
 *   gc 7 @1.180s 1%: 2.0+0.97+0.003 ms clock, 4.0+0.20/0.82/0+0.006 ms cpu,
 *      3->3->1 MB, 4 MB goal, 0 MB stacks, 0 MB globals, 2 P [(forced)]
 *   (Go 1.26 may put " (checking for goroutine leaks)" after the "%";
 *   before Go 1.18 the stacks and globals fields are absent)
 *   scav 0 KiB work, 1024 KiB total, 98% util             (Go 1.19, 1.20)
 *   scav 0 KiB work (bg), 0 KiB work (eager), 1024 KiB now, 98% util (1.21+)
 *   scvg0: inuse: 3, idle: 0, sys: 3, released: 0, consumed: 3 (MB)
 *   scvg: 0 MB released                                     (before Go 1.13)
 *   SCHED 1002ms: gomaxprocs=2 idleprocs=2 threads=6 spinningthreads=0
 *      [needspinning=0] idlethreads=2 runqueue=0 [0 0] | [ 0 0 ] schedticks=[ 1 2 ]
 *   with scheddetail=1: "... runqueue=0 gcwaiting=0 nmidlelocked=0 stopwait=0
 *   sysmonwait=0", then "  P0: status=1 ... runqsize=0 ...",
 *   "  M0: p=0 curg=1 ...", "  G1: status=4(chan receive) m=nil lockedm=nil".
 *
 * A runtime line is found anywhere in a line (the program's output and a log
 * collector's prefix may come before it).  A line that starts like one and
 * does not parse is counted as malformed; everything else is the program's. */
#include <stdlib.h>
#include <string.h>

#include "hearth/godebug.h"
#include "util.h"

void hearth_godebug_init(hearth_godebug *g)
{
	memset(g, 0, sizeof(*g));
}

static bool ensure_pend(hearth_godebug *g)
{
	return g->pend || (g->pend = malloc(4096)); /* JOIN_MAX */
}

void hearth_godebug_free(hearth_godebug *g)
{
	free(g->gcs);
	free(g->scheds);
	free(g->scavs);
	free(g->part);
	free(g->pend);
	memset(g, 0, sizeof(*g));
}

/* ---- a cursor over one line ---- */

typedef struct {
	const char *p, *end;
} cur;

static bool lit(cur *c, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n))
		return false;
	c->p += n;
	return true;
}

static bool isdig(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* An unsigned decimal integer (capped well below overflow). */
static bool uint_(cur *c, int64_t *v)
{
	if (c->p >= c->end || !isdig(*c->p))
		return false;
	int64_t x = 0;
	while (c->p < c->end && isdig(*c->p)) {
		if (x > (INT64_MAX - 9) / 10)
			return false;
		x = x * 10 + (*c->p++ - '0');
	}
	*v = x;
	return true;
}

/* A non-negative decimal with an optional fraction: what fmtNSAsMS and
 * itoaDiv print.  Hand-written so that "inf", hex or exponents never pass. */
static bool dec(cur *c, double *v)
{
	int64_t ip;
	if (!uint_(c, &ip))
		return false;
	double x = (double)ip;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		double scale = 0.1;
		if (c->p >= c->end || !isdig(*c->p))
			return false;
		while (c->p < c->end && isdig(*c->p)) {
			x += (*c->p++ - '0') * scale;
			scale /= 10;
		}
	}
	*v = x;
	return true;
}

static void skip_spaces(cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
}

/* ---- storing events ---- */

static hearth_err too_many(hearth_errbuf *eb, uint64_t line)
{
	return hearth_seterr(eb, HEARTH_ETOOBIG, "line %llu: more than %zu events of one kind",
			     (unsigned long long)line, HEARTH_GODEBUG_MAX_EVENTS);
}

/* ---- gc lines ---- */

static bool parse_gc(cur *c, hearth_gc_line *e)
{
	int64_t v;
	memset(e, 0, sizeof(*e));
	e->stacks = e->globals = -1;
	if (!lit(c, "gc ") || !uint_(c, &v))
		return false;
	e->num = (uint64_t)v;
	if (!lit(c, " @") || !dec(c, &e->at) || !lit(c, "s ") || !uint_(c, &v) || !lit(c, "%"))
		return false;
	e->pct = v > 100000 ? 100000 : (int)v;
	/* Go 1.26: " (checking for goroutine leaks)", and whatever a later
	 * version puts in parentheses there. */
	if (lit(c, " (")) {
		while (c->p < c->end && *c->p != ')')
			c->p++;
		if (!lit(c, ")"))
			return false;
	}
	if (!lit(c, ": "))
		return false;
	for (int i = 0; i < 3; i++)
		if ((i && !lit(c, "+")) || !dec(c, &e->clock_ms[i]))
			return false;
	if (!lit(c, " ms clock, "))
		return false;
	for (int i = 0; i < 5; i++) {
		const char *sep = i == 2 || i == 3 ? "/" : "+";
		if ((i && !lit(c, sep)) || !dec(c, &e->cpu_ms[i]))
			return false;
	}
	if (!lit(c, " ms cpu, ") || !uint_(c, &e->heap_start) || !lit(c, "->") ||
	    !uint_(c, &e->heap_end) || !lit(c, "->") || !uint_(c, &e->heap_live) ||
	    !lit(c, " MB, ") || !uint_(c, &e->goal) || !lit(c, " MB goal, ") || !uint_(c, &v))
		return false;
	/* Either "N MB stacks, N MB globals, N P" (1.18+) or "N P". */
	if (lit(c, " MB stacks, ")) {
		e->stacks = v;
		if (!uint_(c, &e->globals) ||
		    !(lit(c, " MB globals, ") || lit(c, "MB globals, ")) || !uint_(c, &v))
			return false;
	}
	if (!lit(c, " P") || v > 1 << 20)
		return false;
	e->procs = (int)v;
	if (lit(c, " (forced)"))
		e->forced = true;
	return true;
}

/* ---- scavenger lines ---- */

static bool parse_scav(cur *c, hearth_scav_line *e)
{
	int64_t v;
	memset(e, 0, sizeof(*e));
	e->eager_kib = -1;
	if (!lit(c, "scav ") || !uint_(c, &e->work_kib) || !lit(c, " KiB work"))
		return false;
	if (lit(c, " (bg), ")) {
		if (!uint_(c, &e->eager_kib) || !lit(c, " KiB work (eager), ") ||
		    !uint_(c, &e->total_kib) || !lit(c, " KiB now, "))
			return false;
	} else if (!lit(c, ", ") || !uint_(c, &e->total_kib) || !lit(c, " KiB total, ")) {
		return false;
	}
	if (!uint_(c, &v) || !lit(c, "% util"))
		return false;
	e->util = v > 100000 ? 100000 : (int)v;
	if (lit(c, " (forced)"))
		e->forced = true;
	else if (lit(c, " [controller reset]"))
		e->reset = true;
	return true;
}

/* The scavenger's lines before Go 1.13: "scvg0: inuse: 3, idle: 0, sys: 3,
 * released: 0, consumed: 3 (MB)" and "scvg: 0 MB released". */
static bool parse_scvg(cur *c, hearth_scav_line *e)
{
	int64_t v;
	memset(e, 0, sizeof(*e));
	e->eager_kib = -1;
	e->scvg = true;
	if (!lit(c, "scvg"))
		return false;
	uint_(c, &v);
	if (!lit(c, ": "))
		return false;
	if (uint_(c, &v)) {
		if (!lit(c, " MB released"))
			return false;
		e->work_kib = v * 1024;
		e->total_kib = -1;
		e->util = -1;
		return true;
	}
	int64_t inuse, idle, sys, released, consumed;
	if (!lit(c, "inuse: ") || !uint_(c, &inuse) || !lit(c, ", idle: ") || !uint_(c, &idle) ||
	    !lit(c, ", sys: ") || !uint_(c, &sys) || !lit(c, ", released: ") ||
	    !uint_(c, &released) || !lit(c, ", consumed: ") || !uint_(c, &consumed) ||
	    !lit(c, " (MB)"))
		return false;
	e->work_kib = 0;
	e->total_kib = released * 1024;
	e->util = sys > released ? (int)(inuse * 100 / (sys - released)) : -1;
	return true;
}

/* ---- SCHED lines ---- */

static bool parse_sched(cur *c, hearth_sched_line *e)
{
	int64_t v;
	memset(e, 0, sizeof(*e));
	e->needspinning = e->gcwaiting = e->nmidlelocked = e->stopwait = e->sysmonwait = -1;
	e->goroutines = e->g_runnable = e->g_running = e->g_syscall = e->g_waiting = -1;
	e->ms = -1;
	if (!lit(c, "SCHED ") || !uint_(c, &v) || !lit(c, "ms:"))
		return false;
	e->at_ms = (double)v;
	bool seen[4] = {false};
	/* Fields are key=value; the Ps' run queues a list in brackets ("[0 0]"
	 * in Go 1.19, "[ 0 0 ]" later); schedticks=[ ... ] is skipped. */
	enum { NONE, RUNQ, TICKS } list = NONE;
	for (;;) {
		skip_spaces(c);
		if (c->p >= c->end)
			break;
		if (list == NONE && lit(c, "schedticks=[")) {
			list = TICKS;
			continue;
		}
		if (list == NONE && lit(c, "[")) {
			list = RUNQ;
			continue;
		}
		if (list != NONE) {
			if (lit(c, "]")) {
				list = NONE;
				continue;
			}
			if (!uint_(c, &v))
				return false;
			if (list == RUNQ) {
				e->local_runq += v;
				if (v > e->local_runq_max)
					e->local_runq_max = v;
			}
			continue;
		}
		const char *k = c->p;
		while (c->p < c->end && *c->p != '=' && *c->p != ' ')
			c->p++;
		size_t kn = (size_t)(c->p - k);
		/* Go 1.26 prints gcwaiting and sysmonwait as true/false. */
		if (!lit(c, "="))
			return false;
		if (lit(c, "true"))
			v = 1;
		else if (lit(c, "false"))
			v = 0;
		else if (lit(c, "-")) {
			/* nmidlelocked can be -1 for a moment (Go 1.19). */
			if (!uint_(c, &v))
				return false;
			v = -v;
		} else if (!uint_(c, &v))
			return false;
#define KEY(s) (kn == sizeof(s) - 1 && !memcmp(k, s, kn))
		if (KEY("gomaxprocs"))
			e->gomaxprocs = v, seen[0] = true;
		else if (KEY("idleprocs"))
			e->idleprocs = v, seen[1] = true;
		else if (KEY("threads"))
			e->threads = v, seen[2] = true;
		else if (KEY("runqueue"))
			e->runqueue = v, seen[3] = true;
		else if (KEY("spinningthreads"))
			e->spinningthreads = v;
		else if (KEY("needspinning"))
			e->needspinning = v;
		else if (KEY("idlethreads"))
			e->idlethreads = v;
		else if (KEY("gcwaiting"))
			e->gcwaiting = v, e->detailed = true;
		else if (KEY("nmidlelocked"))
			e->nmidlelocked = v;
		else if (KEY("stopwait"))
			e->stopwait = v;
		else if (KEY("sysmonwait"))
			e->sysmonwait = v;
#undef KEY
	}
	if (list == RUNQ)
		return false;
	return seen[0] && seen[1] && seen[2] && seen[3];
}

/* "  P0: status=1 schedtick=5 syscalltick=0 m=nil runqsize=0 gfreecnt=0 timerslen=0" */
static bool parse_p(cur *c, hearth_sched_line *e)
{
	int64_t v;
	if (!lit(c, "P") || !uint_(c, &v) || !lit(c, ": status="))
		return false;
	const char *q = memmem(c->p, (size_t)(c->end - c->p), " runqsize=", 10);
	if (!q)
		return false;
	c->p = q + 10;
	if (!uint_(c, &v))
		return false;
	if (e) {
		e->local_runq += v;
		if (v > e->local_runq_max)
			e->local_runq_max = v;
	}
	return true;
}

/* "  M0: p=0 curg=1 mallocing=0 ..." */
static bool parse_m(cur *c, hearth_sched_line *e)
{
	int64_t v;
	if (!lit(c, "M") || !uint_(c, &v) || !lit(c, ": p="))
		return false;
	if (e)
		e->ms = e->ms < 0 ? 1 : e->ms + 1;
	return true;
}

/* "  G1: status=4(chan receive) m=nil lockedm=nil" */
static bool parse_g(cur *c, hearth_sched_line *e)
{
	int64_t v, st;
	if (!lit(c, "G") || !uint_(c, &v) || !lit(c, ": status=") || !uint_(c, &st) || !lit(c, "("))
		return false;
	if (!e)
		return true;
	if (e->goroutines < 0)
		e->goroutines = e->g_runnable = e->g_running = e->g_syscall = e->g_waiting = 0;
	st &= ~(int64_t)0x1000; /* _Gscan */
	/* _Gidle 0, _Gdead 6, _Gdeadextra 11 are no live goroutines. */
	if (st == 0 || st == 6 || st == 11)
		return true;
	e->goroutines++;
	if (st == 1)
		e->g_runnable++;
	else if (st == 2)
		e->g_running++;
	else if (st == 3)
		e->g_syscall++;
	else if (st == 4 || st == 9)
		e->g_waiting++;
	return true;
}

/* ---- lines ---- */

/* Where a runtime line starts in s[0..n): the offset, or -1.  A word
 * boundary must come before it, so "logc 1 @..." is not a gc line. */
static const char *find_anchor(const char *s, size_t n, const char *word, bool digit_next)
{
	size_t wn = strlen(word);
	const char *p = s, *end = s + n;
	while ((size_t)(end - p) > wn) {
		const char *q = memmem(p, (size_t)(end - p), word, wn);
		if (!q || (size_t)(end - q) <= wn)
			return NULL;
		bool boundary = q == s || !((q[-1] >= 'a' && q[-1] <= 'z') ||
					    (q[-1] >= 'A' && q[-1] <= 'Z') || isdig(q[-1]));
		if (boundary && (!digit_next || isdig(q[wn])))
			return q;
		p = q + 1;
	}
	return NULL;
}

/* Whether a runtime line starts at a: word, a number, then after. */
static bool starts(const char *a, const char *end, const char *word, const char *after)
{
	cur c = {a, end};
	int64_t v;
	return lit(&c, word) && uint_(&c, &v) && lit(&c, after);
}

/* The runtime's gc, SCHED and scavenger lines: 1 when s[0..n) is one (it
 * is stored with line number lineno), 0 when it is none, -1 when it begins
 * like one and does not parse (*anchor: where it begins, *fail: where the
 * parse stopped).  *err is set when storing fails. */
static int runtime_line(hearth_godebug *g, const char *s, size_t n, uint64_t lineno, size_t *anchor,
			size_t *fail, hearth_err *err, hearth_errbuf *eb)
{
	const char *end = s + n, *a;
	cur c;
	*err = HEARTH_OK;
	if ((a = find_anchor(s, n, "gc ", true)) && starts(a, end, "gc ", " @")) {
		hearth_gc_line e;
		c = (cur){a, end};
		if (!parse_gc(&c, &e))
			goto bad;
		if (g->ngcs >= HEARTH_GODEBUG_MAX_EVENTS)
			return *err = too_many(eb, lineno), 1;
		if (!HEARTH_GROW(g->gcs, g->ngcs, g->capgcs, 1))
			return *err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory"), 1;
		if (g->runs == 0 || (g->ngcs && e.num <= g->gcs[g->ngcs - 1].num &&
				     g->gcs[g->ngcs - 1].run == g->runs - 1))
			g->runs++;
		e.run = g->runs - 1;
		e.line = lineno;
		g->gcs[g->ngcs++] = e;
		return 1;
	}
	if ((a = find_anchor(s, n, "SCHED ", true)) && starts(a, end, "SCHED ", "ms:")) {
		hearth_sched_line e;
		c = (cur){a, end};
		if (!parse_sched(&c, &e))
			goto bad;
		if (g->nscheds >= HEARTH_GODEBUG_MAX_EVENTS)
			return *err = too_many(eb, lineno), 1;
		if (!HEARTH_GROW(g->scheds, g->nscheds, g->capscheds, 1))
			return *err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory"), 1;
		if (g->runs == 0 || (g->nscheds && e.at_ms < g->scheds[g->nscheds - 1].at_ms &&
				     g->scheds[g->nscheds - 1].run == g->runs - 1))
			g->runs++;
		e.run = g->runs - 1;
		e.line = lineno;
		g->scheds[g->nscheds++] = e;
		g->in_sched = e.detailed;
		return 1;
	}
	bool scvg = false;
	if ((a = find_anchor(s, n, "scav ", true)) ||
	    (a = find_anchor(s, n, "scvg", false), scvg = a != NULL)) {
		hearth_scav_line e;
		c = (cur){a, end};
		if (!(scvg ? parse_scvg(&c, &e) : parse_scav(&c, &e))) {
			/* "scvg" inside a word of the program's is no runtime line. */
			if (scvg && !(a == s && n > 4 && (s[4] == ':' || isdig(s[4]))))
				return 0;
			goto bad;
		}
		if (g->nscavs >= HEARTH_GODEBUG_MAX_EVENTS)
			return *err = too_many(eb, lineno), 1;
		if (!HEARTH_GROW(g->scavs, g->nscavs, g->capscavs, 1))
			return *err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory"), 1;
		e.at = g->ngcs ? g->gcs[g->ngcs - 1].at : -1;
		e.line = lineno;
		g->scavs[g->nscavs++] = e;
		return 1;
	}
	return 0;
bad:
	*anchor = (size_t)(a - s);
	*fail = (size_t)(c.p - s);
	return -1;
}

/* Whether a runtime line begins somewhere in s: such a line is no rest of
 * an earlier one. */
static bool has_anchor(const char *s, size_t n)
{
	const char *a;
	return ((a = find_anchor(s, n, "gc ", true)) && starts(a, s + n, "gc ", " @")) ||
	       ((a = find_anchor(s, n, "SCHED ", true)) && starts(a, s + n, "SCHED ", "ms:")) ||
	       find_anchor(s, n, "scav ", true) || find_anchor(s, n, "scvg", false);
}

/* The length of the runtime line's head s[0..n) begins with when it is
 * only a word and a number or less ("gc ", "gc 38", "SCHED 100"): the
 * runtime writes those apart from the rest, and a line of the program's may
 * follow them at once.  0 when s begins with no such head. */
static size_t weak_head(const char *s, size_t n)
{
	static const char *const words[] = {"gc ", "SCHED ", "scav "};
	for (size_t w = 0; w < sizeof(words) / sizeof(*words); w++) {
		size_t k = strlen(words[w]);
		if (n < k || memcmp(s, words[w], k))
			continue;
		while (k < n && k < 24 && isdig(s[k]))
			k++;
		return k;
	}
	return 0;
}

/* The P, M and G lines of scheddetail: two spaces, a letter, a number.
 * 1 when s[0..n) is one (counted into the last SCHED line), 0 when it has
 * not their shape, -1 when it has and does not parse inside a SCHED line's
 * block (*anchor: where the letter is, *fail: the end). */
static size_t pmg_shape(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n && s[i] == ' ')
		i++;
	return i >= 1 && i + 1 < n && (s[i] == 'P' || s[i] == 'M' || s[i] == 'G') && isdig(s[i + 1])
		   ? i
		   : 0;
}

static int pmg_line(hearth_godebug *g, const char *s, size_t n, size_t *anchor, size_t *fail)
{
	size_t i = pmg_shape(s, n);
	if (!i)
		return 0;
	hearth_sched_line *e = g->in_sched && g->nscheds ? &g->scheds[g->nscheds - 1] : NULL;
	cur c = {s + i, s + n};
	bool ok = s[i] == 'P'	? parse_p(&c, e)
		  : s[i] == 'M' ? parse_m(&c, e)
				: parse_g(&c, e);
	if (ok) {
		if (s[i] == 'P')
			g->p_lines++;
		else if (s[i] == 'M')
			g->m_lines++;
		else
			g->g_lines++;
		return 1;
	}
	if (!g->in_sched)
		return 0;
	*anchor = i;
	*fail = n;
	return -1;
}

static void count_malformed(hearth_godebug *g, uint64_t lineno)
{
	g->malformed++;
	if (!g->first_malformed || lineno < g->first_malformed)
		g->first_malformed = lineno;
}

/* The waiting line found no rest: malformed, or the program's own. */
static void pend_expire(hearth_godebug *g)
{
	if (g->pend_weak)
		g->other++;
	else
		count_malformed(g, g->pend_line);
	g->npend = 0;
}

/* A line of the runtime that did not parse waits for the lines after it:
 * the runtime prints a line in several writes, and a write of the program's
 * (a whole line of its own) can land between two of them, so that
 * "gc 47 ... 13->17->8 MB, 15worker: step 3000\n MB goal, ... 2 P\n" holds
 * one gc line and one of the program's.  The split is at most this far
 * back from where the parse stopped, the rest at most this long, and at most
 * this many of the program's lines may come between. */
enum { JOIN_BACK = 64, JOIN_MAX = 4096, JOIN_AGE = 4 };

/* The waiting line's head up to k, then s: true when that is a line (what
 * was cut out of the waiting one is then read too: the program's line, or
 * a runtime line of its own), or when *err is set. */
static bool join_at(hearth_godebug *g, const char *s, size_t n, size_t k, char *buf,
		    hearth_err *err, hearth_errbuf *eb)
{
	memcpy(buf, g->pend, k);
	memcpy(buf + k, s, n);
	size_t a, f;
	*err = HEARTH_OK;
	int r = g->pend_pmg ? pmg_line(g, buf, k + n, &a, &f)
			    : runtime_line(g, buf, k + n, g->pend_line, &a, &f, err, eb);
	if (*err || r != 1)
		return *err != HEARTH_OK;
	r = runtime_line(g, g->pend + k, g->npend - k, g->pend_line, &a, &f, err, eb);
	g->npend = 0;
	if (r != 1)
		g->other++;
	return true;
}

/* Where a scav line begins inside the waiting line, after its own anchor
 * (glued to a word of it: no word boundary is asked for), or NULL. */
static const char *inner_scav(const hearth_godebug *g)
{
	const char *q = g->pend + g->pend_anchor + 1, *end = g->pend + g->npend;
	for (; q < end && (q = memmem(q, (size_t)(end - q), "scav ", 5)) && q + 5 < end; q++)
		if (isdig(q[5]))
			return q;
	return NULL;
}

static hearth_err line(hearth_godebug *g, const char *s, size_t n, hearth_errbuf *eb)
{
	g->lines++;
	if (n && s[n - 1] == '\r')
		n--;
	hearth_err err = HEARTH_OK;
	size_t anchor = 0, fail = 0;

	if (g->npend && n <= JOIN_MAX && g->pend_fail <= g->npend && !has_anchor(s, n) &&
	    !(g->pend_pmg && pmg_shape(s, n))) {
		char buf[JOIN_MAX * 2];
		/* A scav line inside the waiting one (printed between two of a
		 * SCHED line's pieces): the cut right before it first, since a
		 * SCHED line takes any key=value and so would also parse joined
		 * further on. */
		const char *in = g->pend_pmg ? NULL : inner_scav(g);
		if (in && join_at(g, s, n, (size_t)(in - g->pend), buf, &err, eb))
			return err;
		size_t lo = g->pend_fail > g->pend_anchor + JOIN_BACK ? g->pend_fail - JOIN_BACK
								      : g->pend_anchor + 1;
		for (size_t k = g->pend_fail; k >= lo; k--)
			if (join_at(g, s, n, k, buf, &err, eb))
				return err;
	}

	/* P, M and G lines of scheddetail; one that does not parse waits for
	 * its rest like a runtime line below. */
	int r = pmg_line(g, s, n, &anchor, &fail);
	if (r == 1)
		return HEARTH_OK;
	bool pmg = r == -1;
	if (!pmg)
		r = runtime_line(g, s, n, g->lines, &anchor, &fail, &err, eb);
	if (err)
		return err;
	size_t head = r == 0 && (!g->npend || g->pend_weak) ? weak_head(s, n) : 0;
	if (g->npend) {
		if (r == 0 && !head && g->pend_age < JOIN_AGE) {
			g->pend_age++;
			g->other++;
			return HEARTH_OK;
		}
		pend_expire(g);
	}
	if (r == 1)
		return HEARTH_OK;
	if (r == 0 && !head) {
		g->other++; /* the program's: a SCHED line's block goes on past it */
		return HEARTH_OK;
	}
	if (head) /* its rest is tried from right after the head */
		anchor = 0, fail = head;
	if (n > JOIN_MAX || !ensure_pend(g)) {
		if (head)
			g->other++;
		else
			count_malformed(g, g->lines);
		return HEARTH_OK;
	}
	memcpy(g->pend, s, n);
	g->npend = n;
	g->pend_anchor = anchor;
	g->pend_fail = fail;
	g->pend_line = g->lines;
	g->pend_age = 0;
	g->pend_pmg = pmg;
	g->pend_weak = head != 0;
	return HEARTH_OK;
}

hearth_err hearth_godebug_feed(hearth_godebug *g, const char *data, size_t n, hearth_errbuf *eb)
{
	const char *p = data, *end = data + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (g->skipping) {
			/* The rest of a line over the cap. */
		} else if (g->npart + len > HEARTH_GODEBUG_MAX_LINE) {
			g->skipping = true;
			g->npart = 0;
		} else if (nl && !g->npart) {
			hearth_err e = line(g, p, len, eb);
			if (e)
				return e;
		} else {
			if (!HEARTH_GROW(g->part, g->npart, g->cappart, len + 1))
				return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			memcpy(g->part + g->npart, p, len);
			g->npart += len;
			if (nl) {
				hearth_err e = line(g, g->part, g->npart, eb);
				g->npart = 0;
				if (e)
					return e;
			}
		}
		if (!nl)
			break;
		if (g->skipping) {
			g->skipping = false;
			g->lines++;
			g->too_long++;
		}
		p = nl + 1;
	}
	return HEARTH_OK;
}

hearth_err hearth_godebug_finish(hearth_godebug *g, hearth_errbuf *eb)
{
	hearth_err e = HEARTH_OK;
	if (g->skipping) {
		g->lines++;
		g->too_long++;
		g->skipping = false;
	} else if (g->npart) {
		e = line(g, g->part, g->npart, eb);
	}
	g->npart = 0;
	if (g->npend)
		pend_expire(g);
	return e;
}

/* ---- the summary ---- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Sorts v in place. */
static hearth_dist dist(double *v, size_t n)
{
	hearth_dist d = {0};
	d.n = n;
	if (!n)
		return d;
	qsort(v, n, sizeof(*v), cmp_double);
	for (size_t i = 0; i < n; i++)
		d.sum += v[i];
	/* Nearest rank: the ceil(p/100 * n)-th smallest. */
	size_t r50 = (n * 50 + 99) / 100, r99 = (n * 99 + 99) / 100;
	d.p50 = v[r50 ? r50 - 1 : 0];
	d.p99 = v[r99 ? r99 - 1 : 0];
	d.max = v[n - 1];
	return d;
}

void hearth_godebug_summarize(const hearth_godebug *g, hearth_godebug_summary *s)
{
	memset(s, 0, sizeof(*s));
	size_t n = g->ngcs, m = g->nscheds;
	size_t cap = 2 * n > m ? 2 * n : m;
	double *v = malloc((cap ? cap : 1) * sizeof(double));
	s->gcs = n;
	s->scheds = m;
	s->scavs = g->nscavs;
	s->live_last = s->goal_last = s->stacks_max = s->globals_max = -1;
	s->gomaxprocs = -1;
	if (n) {
		const hearth_gc_line *f = &g->gcs[0], *l = &g->gcs[n - 1];
		s->first_at = f->at;
		s->last_at = l->at;
		s->cpu_pct = l->pct;
		s->procs = l->procs;
		s->live_last = l->heap_live;
		s->goal_last = l->goal;
		if (n > 1 && l->at > f->at)
			s->rate = (double)(n - 1) / (l->at - f->at);
		double cpu = 0, cap_ms = 0;
		for (size_t i = 0; i < n; i++) {
			const hearth_gc_line *e = &g->gcs[i];
			s->forced += e->forced;
			/* Idle marking runs on Ps that had nothing else to do. */
			cpu += e->cpu_ms[0] + e->cpu_ms[1] + e->cpu_ms[2] + e->cpu_ms[4];
			if (e->heap_start > s->heap_max)
				s->heap_max = e->heap_start;
			if (e->heap_end > s->heap_max)
				s->heap_max = e->heap_end;
			if (e->stacks > s->stacks_max)
				s->stacks_max = e->stacks;
			if (e->globals > s->globals_max)
				s->globals_max = e->globals;
		}
		/* The span: from the program's start (the "@" times count from it)
		 * to the end of the last collection, within each run. */
		for (size_t i = 0; i < n; i++) {
			const hearth_gc_line *e = &g->gcs[i];
			if (i + 1 == n || g->gcs[i + 1].run != e->run)
				cap_ms += (e->at * 1000 + e->clock_ms[0] + e->clock_ms[1] +
					   e->clock_ms[2]) *
					  (e->procs > 0 ? e->procs : 1);
		}
		s->cpu_share = cap_ms > 0 ? cpu / cap_ms : 0;
		if (v) {
			for (size_t i = 0; i < n; i++) {
				v[2 * i] = g->gcs[i].clock_ms[0];
				v[2 * i + 1] = g->gcs[i].clock_ms[2];
			}
			s->stw = dist(v, 2 * n);
			for (size_t i = 0; i < n; i++)
				v[i] = g->gcs[i].clock_ms[0] + g->gcs[i].clock_ms[2];
			s->stw_gc = dist(v, n);
			for (size_t i = 0; i < n; i++)
				v[i] = g->gcs[i].clock_ms[1];
			s->mark = dist(v, n);
			for (size_t i = 0; i < n; i++)
				v[i] = (double)g->gcs[i].heap_live;
			s->live = dist(v, n);
			for (size_t i = 0; i < n; i++)
				v[i] = (double)g->gcs[i].goal;
			s->goal = dist(v, n);
		}
	}
	if (m) {
		s->sched_first_ms = g->scheds[0].at_ms;
		s->sched_last_ms = g->scheds[m - 1].at_ms;
		s->gomaxprocs = g->scheds[m - 1].gomaxprocs;
		size_t k = 0;
		for (size_t i = 0; i < m; i++)
			s->detailed += g->scheds[i].detailed;
		if (v) {
#define SERIES(field, out)                                                                         \
	do {                                                                                       \
		k = 0;                                                                             \
		for (size_t i = 0; i < m; i++)                                                     \
			if (g->scheds[i].field >= 0)                                               \
				v[k++] = (double)g->scheds[i].field;                               \
		s->out = dist(v, k);                                                               \
	} while (0)
			SERIES(goroutines, goroutines);
			SERIES(runqueue, runqueue);
			SERIES(local_runq, local_runq);
			SERIES(threads, threads);
			SERIES(idleprocs, idleprocs);
			SERIES(spinningthreads, spinning);
#undef SERIES
		}
	}
	if (g->nscavs) {
		s->scav_total_kib = g->scavs[g->nscavs - 1].total_kib;
		for (size_t i = 0; i < g->nscavs; i++)
			s->scav_released_kib +=
			    g->scavs[i].work_kib +
			    (g->scavs[i].eager_kib > 0 ? g->scavs[i].eager_kib : 0);
	}
	free(v);
}
