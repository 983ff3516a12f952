/* hearth godebug's outputs: the text summary, JSON, and the charts (SVG, and
 * an HTML page that holds them inline with the summaries). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/godebug.h"

/* ---- text ---- */

static void dist_line(hearth_buf *o, const char *what, const hearth_dist *d, const char *unit)
{
	if (!d->n)
		return;
	hearth_buf_printf(o, "  %-26s p50 %-9.4g p99 %-9.4g max %-9.4g(%zu values)\n", what, d->p50,
			  d->p99, d->max, d->n);
	(void)unit;
}

void hearth_godebug_write_text(const hearth_godebug *g, const char *name, hearth_buf *o)
{
	hearth_godebug_summary s;
	hearth_godebug_summarize(g, &s);
	hearth_buf_printf(o, "Log: %s\n", name);
	hearth_buf_printf(o,
			  "Lines: %llu: gc %zu, SCHED %zu (P %llu, M %llu, G %llu), scavenger %zu, "
			  "program output %llu, malformed %llu",
			  (unsigned long long)g->lines, g->ngcs, g->nscheds,
			  (unsigned long long)g->p_lines, (unsigned long long)g->m_lines,
			  (unsigned long long)g->g_lines, g->nscavs, (unsigned long long)g->other,
			  (unsigned long long)g->malformed);
	if (g->first_malformed)
		hearth_buf_printf(o, " (first at line %llu)",
				  (unsigned long long)g->first_malformed);
	if (g->too_long)
		hearth_buf_printf(o, ", too long %llu", (unsigned long long)g->too_long);
	hearth_buf_puts(o, "\n");
	if (g->runs > 1)
		hearth_buf_printf(
		    o, "Program runs: %u (the GC numbers or SCHED times start over)\n", g->runs);
	if (s.gcs) {
		hearth_buf_printf(
		    o, "\nGC: %zu collections (%zu forced), gc %llu..%llu, @%.3fs..@%.3fs", s.gcs,
		    s.forced, (unsigned long long)g->gcs[0].num,
		    (unsigned long long)g->gcs[s.gcs - 1].num, s.first_at, s.last_at);
		if (s.rate > 0)
			hearth_buf_printf(o, ", %.3g per second", s.rate);
		hearth_buf_printf(o, ", %d P\n", s.procs);
		hearth_buf_printf(
		    o,
		    "GC CPU: %d%% (the runtime's, since the start); %.2f%% of the Ps' "
		    "time by the lines' CPU fields (idle marking left out)\n",
		    s.cpu_pct, s.cpu_share * 100);
		hearth_buf_puts(o, "Pauses and phases (ms):\n");
		dist_line(o, "STW phase:", &s.stw, "ms");
		dist_line(o, "STW per GC (both phases):", &s.stw_gc, "ms");
		dist_line(o, "concurrent mark:", &s.mark, "ms");
		hearth_buf_puts(o, "Heap (MB):\n");
		dist_line(o, "live after GC:", &s.live, "MB");
		dist_line(o, "goal:", &s.goal, "MB");
		hearth_buf_printf(o, "  last: live %lld MB, goal %lld MB; largest heap %lld MB",
				  (long long)s.live_last, (long long)s.goal_last,
				  (long long)s.heap_max);
		if (s.stacks_max >= 0)
			hearth_buf_printf(o, "; stacks up to %lld MB, globals up to %lld MB",
					  (long long)s.stacks_max, (long long)s.globals_max);
		hearth_buf_puts(o, "\nHeap over time:\n");
		hearth_buf_printf(o, "  %10s %8s %10s %10s %8s %10s\n", "@s", "gc", "start MB",
				  "live MB", "goal MB", "STW ms");
		size_t rows = s.gcs < 12 ? s.gcs : 12;
		for (size_t r = 0; r < rows; r++) {
			size_t i = rows > 1 ? r * (s.gcs - 1) / (rows - 1) : 0;
			const hearth_gc_line *e = &g->gcs[i];
			hearth_buf_printf(o, "  %10.3f %8llu %10lld %10lld %8lld %10.3f\n", e->at,
					  (unsigned long long)e->num, (long long)e->heap_start,
					  (long long)e->heap_live, (long long)e->goal,
					  e->clock_ms[0] + e->clock_ms[2]);
		}
	}
	if (s.scheds) {
		hearth_buf_printf(
		    o,
		    "\nScheduler: %zu SCHED lines (%zu with scheddetail), %.0fms..%.0fms, "
		    "gomaxprocs %lld\n",
		    s.scheds, s.detailed, s.sched_first_ms, s.sched_last_ms,
		    (long long)s.gomaxprocs);
		dist_line(o, "goroutines (scheddetail):", &s.goroutines, "");
		dist_line(o, "global run queue:", &s.runqueue, "");
		dist_line(o, "P run queues (sum):", &s.local_runq, "");
		dist_line(o, "threads:", &s.threads, "");
		dist_line(o, "idle Ps:", &s.idleprocs, "");
		dist_line(o, "spinning threads:", &s.spinning, "");
	}
	if (s.scavs)
		hearth_buf_printf(
		    o,
		    "\nScavenger: %zu lines; returned to the OS: %lld KiB (last line), "
		    "released over the lines %lld KiB\n",
		    s.scavs, (long long)s.scav_total_kib, (long long)s.scav_released_kib);
	if (!s.gcs && !s.scheds && !s.scavs)
		hearth_buf_puts(o, "\nNo gctrace, schedtrace or scavenger lines.\n");
}

/* ---- JSON ---- */

static void json_str(hearth_buf *o, const char *s)
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

static void json_dist(hearth_buf *o, const char *k, const hearth_dist *d)
{
	hearth_buf_printf(
	    o, "\"%s\":{\"n\":%zu,\"p50\":%.17g,\"p99\":%.17g,\"max\":%.17g,\"sum\":%.17g}", k,
	    d->n, d->p50, d->p99, d->max, d->sum);
}

void hearth_godebug_write_json(const hearth_godebug *g, const char *name, hearth_buf *o)
{
	hearth_godebug_summary s;
	hearth_godebug_summarize(g, &s);
	hearth_buf_puts(o, "{\"log\":");
	json_str(o, name);
	hearth_buf_printf(
	    o,
	    ",\"lines\":{\"total\":%llu,\"gc\":%zu,\"sched\":%zu,\"p\":%llu,\"m\":%llu,"
	    "\"g\":%llu,\"scavenger\":%zu,\"other\":%llu,\"malformed\":%llu,"
	    "\"too_long\":%llu},\"runs\":%u,",
	    (unsigned long long)g->lines, g->ngcs, g->nscheds, (unsigned long long)g->p_lines,
	    (unsigned long long)g->m_lines, (unsigned long long)g->g_lines, g->nscavs,
	    (unsigned long long)g->other, (unsigned long long)g->malformed,
	    (unsigned long long)g->too_long, g->runs);
	hearth_buf_printf(
	    o,
	    "\"summary\":{\"gcs\":%zu,\"forced\":%zu,\"first_at\":%.17g,\"last_at\":%.17g,"
	    "\"rate\":%.17g,\"cpu_pct\":%d,\"cpu_share\":%.17g,\"procs\":%d,"
	    "\"live_last\":%lld,\"goal_last\":%lld,\"heap_max\":%lld,\"stacks_max\":%lld,"
	    "\"globals_max\":%lld,",
	    s.gcs, s.forced, s.first_at, s.last_at, s.rate, s.cpu_pct, s.cpu_share, s.procs,
	    (long long)s.live_last, (long long)s.goal_last, (long long)s.heap_max,
	    (long long)s.stacks_max, (long long)s.globals_max);
	json_dist(o, "stw", &s.stw);
	hearth_buf_puts(o, ",");
	json_dist(o, "stw_gc", &s.stw_gc);
	hearth_buf_puts(o, ",");
	json_dist(o, "mark", &s.mark);
	hearth_buf_puts(o, ",");
	json_dist(o, "live", &s.live);
	hearth_buf_puts(o, ",");
	json_dist(o, "goal", &s.goal);
	hearth_buf_printf(o, ",\"scheds\":%zu,\"detailed\":%zu,\"gomaxprocs\":%lld,", s.scheds,
			  s.detailed, (long long)s.gomaxprocs);
	json_dist(o, "goroutines", &s.goroutines);
	hearth_buf_puts(o, ",");
	json_dist(o, "runqueue", &s.runqueue);
	hearth_buf_puts(o, ",");
	json_dist(o, "local_runq", &s.local_runq);
	hearth_buf_puts(o, ",");
	json_dist(o, "threads", &s.threads);
	hearth_buf_puts(o, ",");
	json_dist(o, "idleprocs", &s.idleprocs);
	hearth_buf_puts(o, ",");
	json_dist(o, "spinning", &s.spinning);
	hearth_buf_printf(o, ",\"scavs\":%zu,\"scav_total_kib\":%lld,\"scav_released_kib\":%lld},",
			  s.scavs, (long long)s.scav_total_kib, (long long)s.scav_released_kib);
	hearth_buf_puts(o, "\"gc\":[");
	for (size_t i = 0; i < g->ngcs; i++) {
		const hearth_gc_line *e = &g->gcs[i];
		hearth_buf_printf(
		    o,
		    "%s{\"n\":%llu,\"at\":%.17g,\"pct\":%d,\"clock_ms\":[%.17g,%.17g,%.17g],"
		    "\"cpu_ms\":[%.17g,%.17g,%.17g,%.17g,%.17g],\"heap\":[%lld,%lld,%lld],"
		    "\"goal\":%lld,\"stacks\":%lld,\"globals\":%lld,\"procs\":%d,\"forced\":%s,"
		    "\"line\":%llu,\"run\":%u}",
		    i ? "," : "", (unsigned long long)e->num, e->at, e->pct, e->clock_ms[0],
		    e->clock_ms[1], e->clock_ms[2], e->cpu_ms[0], e->cpu_ms[1], e->cpu_ms[2],
		    e->cpu_ms[3], e->cpu_ms[4], (long long)e->heap_start, (long long)e->heap_end,
		    (long long)e->heap_live, (long long)e->goal, (long long)e->stacks,
		    (long long)e->globals, e->procs, e->forced ? "true" : "false",
		    (unsigned long long)e->line, e->run);
	}
	hearth_buf_puts(o, "],\"sched\":[");
	for (size_t i = 0; i < g->nscheds; i++) {
		const hearth_sched_line *e = &g->scheds[i];
		hearth_buf_printf(
		    o,
		    "%s{\"at_ms\":%.17g,\"gomaxprocs\":%lld,\"idleprocs\":%lld,\"threads\":%lld,"
		    "\"spinningthreads\":%lld,\"needspinning\":%lld,\"idlethreads\":%lld,"
		    "\"runqueue\":%lld,\"local_runq\":%lld,\"local_runq_max\":%lld,"
		    "\"detailed\":%s,\"goroutines\":%lld,\"g_runnable\":%lld,\"g_running\":%lld,"
		    "\"g_syscall\":%lld,\"g_waiting\":%lld,\"ms\":%lld,\"line\":%llu,\"run\":%u}",
		    i ? "," : "", e->at_ms, (long long)e->gomaxprocs, (long long)e->idleprocs,
		    (long long)e->threads, (long long)e->spinningthreads,
		    (long long)e->needspinning, (long long)e->idlethreads, (long long)e->runqueue,
		    (long long)e->local_runq, (long long)e->local_runq_max,
		    e->detailed ? "true" : "false", (long long)e->goroutines,
		    (long long)e->g_runnable, (long long)e->g_running, (long long)e->g_syscall,
		    (long long)e->g_waiting, (long long)e->ms, (unsigned long long)e->line, e->run);
	}
	hearth_buf_puts(o, "],\"scavenger\":[");
	for (size_t i = 0; i < g->nscavs; i++) {
		const hearth_scav_line *e = &g->scavs[i];
		hearth_buf_printf(o,
				  "%s{\"work_kib\":%lld,\"eager_kib\":%lld,\"total_kib\":%lld,"
				  "\"util\":%d,\"forced\":%s,\"reset\":%s,\"scvg\":%s,\"at\":%.17g,"
				  "\"line\":%llu}",
				  i ? "," : "", (long long)e->work_kib, (long long)e->eager_kib,
				  (long long)e->total_kib, e->util, e->forced ? "true" : "false",
				  e->reset ? "true" : "false", e->scvg ? "true" : "false", e->at,
				  (unsigned long long)e->line);
	}
	hearth_buf_puts(o, "]}\n");
}

/* ---- charts ---- */

enum { W = 960, PH = 170, ML = 64, MR = 150, MT = 28, MB = 30, MAXS = 6 };

typedef struct {
	const char *title, *yunit;
	size_t n;
	double *x;
	double *y[MAXS]; /* NaN: no value */
	const char *names[MAXS];
	const char *colors[MAXS];
	int nseries;
	bool dots; /* points, not lines (pauses) */
} chart;

static double nice_ceiling(double v)
{
	if (!(v > 0))
		return 1;
	double p = pow(10, floor(log10(v)));
	double steps[] = {1, 2, 2.5, 5, 10};
	for (int i = 0; i < 5; i++)
		if (steps[i] * p >= v)
			return steps[i] * p;
	return 10 * p;
}

static void xml_text(hearth_buf *o, const char *s)
{
	char *c = hearth_utf8_clean_text(s);
	if (!c) {
		o->oom = true;
		return;
	}
	for (const char *p = c; *p; p++) {
		switch (*p) {
		case '&':
			hearth_buf_puts(o, "&amp;");
			break;
		case '<':
			hearth_buf_puts(o, "&lt;");
			break;
		case '>':
			hearth_buf_puts(o, "&gt;");
			break;
		case '"':
			hearth_buf_puts(o, "&quot;");
			break;
		default:
			hearth_buf_put(o, p, 1);
		}
	}
	free(c);
}

/* One chart at vertical offset y0.  Series of many points are drawn as the
 * minimum and maximum per pixel column, so spikes stay visible. */
static void draw_chart(hearth_buf *o, const chart *c, int y0)
{
	double xmin = INFINITY, xmax = -INFINITY, ymax = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (c->x[i] < xmin)
			xmin = c->x[i];
		if (c->x[i] > xmax)
			xmax = c->x[i];
		for (int k = 0; k < c->nseries; k++)
			if (!isnan(c->y[k][i]) && c->y[k][i] > ymax)
				ymax = c->y[k][i];
	}
	if (!c->n)
		xmin = 0, xmax = 1;
	if (xmax <= xmin)
		xmax = xmin + 1;
	ymax = nice_ceiling(ymax);
	int pw = W - ML - MR, ph = PH - MT - MB;
	hearth_buf_printf(o, "<g transform=\"translate(0,%d)\">\n", y0);
	hearth_buf_printf(o, "<text x=\"%d\" y=\"18\" class=\"t\">", ML);
	xml_text(o, c->title);
	hearth_buf_puts(o, "</text>\n");
	hearth_buf_printf(o,
			  "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\" "
			  "stroke=\"#999\"/>\n",
			  ML, MT, pw, ph);
	for (int t = 0; t <= 4; t++) {
		double yv = ymax * t / 4;
		int yy = MT + ph - (int)(ph * t / 4);
		hearth_buf_printf(
		    o,
		    "<line x1=\"%d\" x2=\"%d\" y1=\"%d\" y2=\"%d\" stroke=\"#eee\"/>"
		    "<text x=\"%d\" y=\"%d\" class=\"a\" text-anchor=\"end\">%.4g</text>\n",
		    ML, ML + pw, yy, yy, ML - 4, yy + 4, yv);
		double xv = xmin + (xmax - xmin) * t / 4;
		int xx = ML + pw * t / 4;
		hearth_buf_printf(
		    o, "<text x=\"%d\" y=\"%d\" class=\"a\" text-anchor=\"middle\">%.4gs</text>\n",
		    xx, MT + ph + 14, xv);
	}
	hearth_buf_printf(o, "<text x=\"%d\" y=\"%d\" class=\"a\">", 6, MT - 6);
	xml_text(o, c->yunit);
	hearth_buf_puts(o, "</text>\n");
	for (int k = 0; k < c->nseries; k++) {
		const double *y = c->y[k];
		hearth_buf_printf(o, "<text x=\"%d\" y=\"%d\" class=\"a\" fill=\"%s\">",
				  ML + pw + 8, MT + 12 + 14 * k, c->colors[k]);
		xml_text(o, c->names[k]);
		hearth_buf_puts(o, "</text>\n");
		if (c->dots)
			hearth_buf_printf(o, "<g fill=\"%s\">", c->colors[k]);
		else
			hearth_buf_printf(
			    o,
			    "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.2\" "
			    "points=\"",
			    c->colors[k]);
		/* Per pixel column: the first, the minimum, the maximum, the last. */
		long col = -1;
		double cmin = 0, cmax = 0, cfirst = 0, clast = 0;
		for (size_t i = 0; i <= c->n; i++) {
			long xc = -2;
			if (i < c->n) {
				if (isnan(y[i]))
					continue;
				xc = (long)((c->x[i] - xmin) / (xmax - xmin) * pw);
			}
			if (xc != col && col >= 0) {
				double vs[4] = {cfirst, cmin, cmax, clast};
				int nv = c->dots ? 1 : 4;
				if (c->dots)
					vs[0] = cmax;
				for (int j = 0; j < nv; j++) {
					double yy = MT + ph - vs[j] / ymax * ph;
					if (c->dots)
						hearth_buf_printf(o,
								  "<circle cx=\"%ld\" cy=\"%.1f\" "
								  "r=\"1.6\"/>",
								  ML + col, yy);
					else
						hearth_buf_printf(o, "%ld,%.1f ", ML + col, yy);
				}
			}
			if (i == c->n)
				break;
			if (xc != col) {
				col = xc;
				cmin = cmax = cfirst = y[i];
			}
			if (y[i] < cmin)
				cmin = y[i];
			if (y[i] > cmax)
				cmax = y[i];
			clast = y[i];
		}
		hearth_buf_puts(o, c->dots ? "</g>\n" : "\"/>\n");
	}
	hearth_buf_puts(o, "</g>\n");
}

static double nan_if_neg(int64_t v)
{
	return v < 0 ? NAN : (double)v;
}

/* The charts of one log; returns how many (0..4), filled into cs. */
static int make_charts(const hearth_godebug *g, chart cs[4], double **mem)
{
	size_t n = g->ngcs, m = g->nscheds;
	double *a = malloc((6 * n + 7 * m + 1) * sizeof(double));
	*mem = a;
	if (!a)
		return 0;
	int nc = 0;
	if (n) {
		double *x = a, *hs = a + n, *he = a + 2 * n, *hl = a + 3 * n, *go = a + 4 * n,
		       *st = a + 5 * n;
		for (size_t i = 0; i < n; i++) {
			const hearth_gc_line *e = &g->gcs[i];
			x[i] = e->at;
			hs[i] = (double)e->heap_start;
			he[i] = (double)e->heap_end;
			hl[i] = (double)e->heap_live;
			go[i] = (double)e->goal;
			st[i] = e->clock_ms[0] + e->clock_ms[2];
		}
		cs[nc++] = (chart){.title = "Heap at each GC: start, end, live, goal",
				   .yunit = "MB",
				   .n = n,
				   .x = x,
				   .y = {hs, he, hl, go},
				   .names = {"heap at start", "heap at end", "live", "goal"},
				   .colors = {"#e69f00", "#999999", "#0072b2", "#d55e00"},
				   .nseries = 4};
		cs[nc++] = (chart){.title = "Stop-the-world time per GC (sweep + mark termination)",
				   .yunit = "ms",
				   .n = n,
				   .x = x,
				   .y = {st},
				   .names = {"STW ms"},
				   .colors = {"#cc0000"},
				   .nseries = 1,
				   .dots = true};
	}
	if (m) {
		double *b = a + 6 * n;
		double *x = b, *gr = b + m, *rq = b + 2 * m, *lq = b + 3 * m, *th = b + 4 * m,
		       *ip = b + 5 * m, *sp = b + 6 * m;
		for (size_t i = 0; i < m; i++) {
			const hearth_sched_line *e = &g->scheds[i];
			x[i] = e->at_ms / 1000;
			gr[i] = nan_if_neg(e->goroutines);
			rq[i] = (double)e->runqueue;
			lq[i] = (double)e->local_runq;
			th[i] = (double)e->threads;
			ip[i] = (double)e->idleprocs;
			sp[i] = nan_if_neg(e->spinningthreads);
		}
		bool detail = false;
		for (size_t i = 0; i < m; i++)
			detail |= g->scheds[i].goroutines >= 0;
		if (detail)
			cs[nc++] = (chart){.title = "Goroutines (scheddetail's G lines, not dead)",
					   .yunit = "goroutines",
					   .n = m,
					   .x = x,
					   .y = {gr},
					   .names = {"goroutines"},
					   .colors = {"#009e73"},
					   .nseries = 1};
		cs[nc++] = (chart){
		    .title = "Scheduler: run queues, threads, idle Ps",
		    .yunit = "count",
		    .n = m,
		    .x = x,
		    .y = {rq, lq, th, ip, sp},
		    .names = {"global runq", "P runqs (sum)", "threads", "idle Ps", "spinning"},
		    .colors = {"#d55e00", "#e69f00", "#0072b2", "#999999", "#cc79a7"},
		    .nseries = 5};
	}
	return nc;
}

static void svg_body(const hearth_godebug *const *logs, const char *const *names, size_t nlogs,
		     hearth_buf *o, bool standalone)
{
	chart cs[64][4];
	int ncs[64] = {0};
	double *mem[64] = {0};
	size_t nl = nlogs > 64 ? 64 : nlogs;
	int total = 0;
	for (size_t i = 0; i < nl; i++)
		total += ncs[i] = make_charts(logs[i], cs[i], &mem[i]);
	int height = 20 + (int)nl * 24 + total * PH + 10;
	if (standalone)
		hearth_buf_puts(o, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	hearth_buf_printf(o,
			  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
			  "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\">\n"
			  "<style>.t{font-size:13px;font-weight:bold}.a{font-size:11px}"
			  ".h{font-size:14px;font-weight:bold}</style>\n"
			  "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
			  W, height, W, height);
	int y = 10;
	for (size_t i = 0; i < nl; i++) {
		hearth_buf_printf(o, "<text x=\"8\" y=\"%d\" class=\"h\">", y + 14);
		xml_text(o, names[i]);
		if (!ncs[i])
			hearth_buf_puts(o, ": no gctrace or schedtrace lines");
		hearth_buf_puts(o, "</text>\n");
		y += 24;
		for (int k = 0; k < ncs[i]; k++, y += PH)
			draw_chart(o, &cs[i][k], y);
		free(mem[i]);
	}
	hearth_buf_puts(o, "</svg>\n");
}

void hearth_godebug_write_svg(const hearth_godebug *const *logs, const char *const *names,
			      size_t nlogs, hearth_buf *o)
{
	svg_body(logs, names, nlogs, o, true);
}

void hearth_godebug_write_html(const hearth_godebug *const *logs, const char *const *names,
			       size_t nlogs, hearth_buf *o)
{
	hearth_buf_puts(o, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">\n"
			   "<title>hearth godebug</title>\n"
			   "<style>body{font-family:sans-serif;margin:16px}"
			   "pre{background:#f6f6f6;padding:8px;overflow:auto}</style>\n"
			   "</head><body>\n<h1>GODEBUG logs</h1>\n");
	for (size_t i = 0; i < nlogs; i++) {
		hearth_buf t = {0};
		hearth_godebug_write_text(logs[i], names[i], &t);
		hearth_buf_puts(o, "<pre>");
		if (t.data)
			xml_text(o, t.data);
		hearth_buf_puts(o, "</pre>\n");
		if (t.oom)
			o->oom = true;
		hearth_buf_free(&t);
	}
	svg_body(logs, names, nlogs, o, false);
	hearth_buf_puts(o, "</body></html>\n");
}
