/* The GODEBUG parser, one test per line shape the runtime documents
 * (runtime/extern.go of Go 1.19 and 1.26: gctrace, scavtrace, schedtrace,
 * scheddetail) and prints (mgc.go, mgcscavenge.go, proc.go).  The lines are
 * the runtime's own, copied from logs of Go 1.19 and 1.26 programs (the
 * older scvg forms from Go 1.12's runtime/mgcscavenge.go print calls); the
 * expected values are the numbers in the line.  tests/cli/godebug.sh checks
 * whole logs written during the test against the programs' own figures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hearth/godebug.h"

static void feed(hearth_godebug *g, const char *text)
{
	hearth_errbuf eb = {{0}};
	hearth_godebug_init(g);
	assert_int_equal(hearth_godebug_feed(g, text, strlen(text), &eb), HEARTH_OK);
	assert_int_equal(hearth_godebug_finish(g, &eb), HEARTH_OK);
}

/* Go 1.19 and later: stacks and globals. */
static void gc_line_119(void **state)
{
	hearth_godebug g;
	feed(&g, "gc 3 @0.054s 0%: 0.085+1.1+0.003 ms clock, 0.17+0.14/0.19/0.26+0.006 ms cpu, "
		 "8->10->6 MB, 9 MB goal, 0 MB stacks, 0 MB globals, 2 P\n");
	assert_int_equal(g.ngcs, 1);
	assert_int_equal(g.malformed, 0);
	hearth_gc_line *e = &g.gcs[0];
	assert_int_equal(e->num, 3);
	assert_true(e->at > 0.0539 && e->at < 0.0541);
	assert_int_equal(e->pct, 0);
	assert_true(e->clock_ms[0] > 0.0849 && e->clock_ms[0] < 0.0851);
	assert_true(e->clock_ms[1] > 1.09 && e->clock_ms[1] < 1.11);
	assert_true(e->clock_ms[2] > 0.0029 && e->clock_ms[2] < 0.0031);
	assert_true(e->cpu_ms[3] > 0.259 && e->cpu_ms[3] < 0.261);
	assert_true(e->cpu_ms[4] > 0.0059 && e->cpu_ms[4] < 0.0061);
	assert_int_equal(e->heap_start, 8);
	assert_int_equal(e->heap_end, 10);
	assert_int_equal(e->heap_live, 6);
	assert_int_equal(e->goal, 9);
	assert_int_equal(e->stacks, 0);
	assert_int_equal(e->globals, 0);
	assert_int_equal(e->procs, 2);
	assert_false(e->forced);
	hearth_godebug_free(&g);
}

static void gc_line_forced(void **state)
{
	hearth_godebug g;
	feed(&g, "gc 3 @0.053s 11%: 0.43+2.3+0.24 ms clock, 0.86+1.2/0.58/0+0.49 ms cpu, "
		 "7->9->5 MB, 8 MB goal, 12 MB stacks, 3 MB globals, 2 P (forced)\n");
	assert_int_equal(g.ngcs, 1);
	assert_true(g.gcs[0].forced);
	assert_int_equal(g.gcs[0].pct, 11);
	assert_int_equal(g.gcs[0].stacks, 12);
	assert_int_equal(g.gcs[0].globals, 3);
	hearth_godebug_free(&g);
}

/* Go 1.26 (the goroutine leak profile's cycles). */
static void gc_line_leak_check(void **state)
{
	hearth_godebug g;
	feed(&g, "gc 12 @1.500s 3% (checking for goroutine leaks): 0.1+2+0.02 ms clock, "
		 "0.2+0/1/0+0.04 ms cpu, 4->4->2 MB, 5 MB goal, 0 MB stacks, 0 MB globals, 8 P\n");
	assert_int_equal(g.ngcs, 1);
	assert_int_equal(g.gcs[0].num, 12);
	assert_int_equal(g.gcs[0].procs, 8);
	hearth_godebug_free(&g);
}

/* Go 1.26's scheddetail: booleans as words. */
static void sched_detail_126(void **state)
{
	hearth_godebug g;
	feed(&g, "SCHED 209ms: gomaxprocs=2 idleprocs=1 threads=8 spinningthreads=1 "
		 "needspinning=0 idlethreads=3 runqueue=0 gcwaiting=false nmidlelocked=-1 "
		 "stopwait=0 sysmonwait=true\n"
		 "  P0: status=1 schedtick=239 syscalltick=145 m=6 runqsize=2 gfreecnt=0 "
		 "timerslen=0\n");
	assert_int_equal(g.nscheds, 1);
	assert_int_equal(g.malformed, 0);
	assert_true(g.scheds[0].detailed);
	assert_int_equal(g.scheds[0].gcwaiting, 0);
	assert_int_equal(g.scheds[0].sysmonwait, 1);
	assert_int_equal(g.scheds[0].nmidlelocked, -1);
	assert_int_equal(g.scheds[0].local_runq, 2);
	hearth_godebug_free(&g);
}

/* Before Go 1.18: no stacks and globals fields; extern.go of 1.19 still
 * documents "# MB goal, # P". */
static void gc_line_old(void **state)
{
	hearth_godebug g;
	feed(&g, "gc 1 @0.012s 2%: 0.018+1.3+0.076 ms clock, 0.073+0.12/1.2/0.35+0.30 ms cpu, "
		 "4->4->0 MB, 5 MB goal, 4 P\n");
	assert_int_equal(g.ngcs, 1);
	assert_int_equal(g.gcs[0].stacks, -1);
	assert_int_equal(g.gcs[0].globals, -1);
	assert_int_equal(g.gcs[0].procs, 4);
	hearth_godebug_free(&g);
}

static void scav_119(void **state)
{
	hearth_godebug g;
	feed(&g, "scav 64 KiB work, 4880 KiB total, 98% util\n"
		 "scav 0 KiB work, 4880 KiB total, 71% util (forced)\n");
	assert_int_equal(g.nscavs, 2);
	assert_int_equal(g.scavs[0].work_kib, 64);
	assert_int_equal(g.scavs[0].eager_kib, -1);
	assert_int_equal(g.scavs[0].total_kib, 4880);
	assert_int_equal(g.scavs[0].util, 98);
	assert_true(g.scavs[1].forced);
	hearth_godebug_free(&g);
}

static void scav_121(void **state)
{
	hearth_godebug g;
	feed(&g, "scav 9984 KiB work (bg), 16 KiB work (eager), 4800 KiB now, 85% util\n"
		 "scav 0 KiB work (bg), 0 KiB work (eager), 3264 KiB now, 47% util [controller "
		 "reset]\n");
	assert_int_equal(g.nscavs, 2);
	assert_int_equal(g.scavs[0].work_kib, 9984);
	assert_int_equal(g.scavs[0].eager_kib, 16);
	assert_int_equal(g.scavs[0].total_kib, 4800);
	assert_true(g.scavs[1].reset);
	hearth_godebug_summary s;
	hearth_godebug_summarize(&g, &s);
	assert_int_equal(s.scav_released_kib, 10000);
	assert_int_equal(s.scav_total_kib, 3264);
	hearth_godebug_free(&g);
}

static void scvg_old(void **state)
{
	hearth_godebug g;
	feed(&g, "scvg0: inuse: 3, idle: 0, sys: 3, released: 0, consumed: 3 (MB)\n"
		 "scvg: 2 MB released\n");
	assert_int_equal(g.nscavs, 2);
	assert_true(g.scavs[0].scvg);
	assert_int_equal(g.scavs[1].work_kib, 2048);
	hearth_godebug_free(&g);
}

static void sched_119(void **state)
{
	hearth_godebug g;
	feed(&g, "SCHED 1002ms: gomaxprocs=4 idleprocs=2 threads=6 spinningthreads=1 "
		 "idlethreads=2 runqueue=3 [0 5 1 0]\n");
	assert_int_equal(g.nscheds, 1);
	hearth_sched_line *e = &g.scheds[0];
	assert_true(e->at_ms == 1002);
	assert_int_equal(e->gomaxprocs, 4);
	assert_int_equal(e->idleprocs, 2);
	assert_int_equal(e->threads, 6);
	assert_int_equal(e->spinningthreads, 1);
	assert_int_equal(e->needspinning, -1);
	assert_int_equal(e->idlethreads, 2);
	assert_int_equal(e->runqueue, 3);
	assert_int_equal(e->local_runq, 6);
	assert_int_equal(e->local_runq_max, 5);
	assert_false(e->detailed);
	hearth_godebug_free(&g);
}

static void sched_126(void **state)
{
	hearth_godebug g;
	feed(&g, "SCHED 100ms: gomaxprocs=2 idleprocs=0 threads=7 spinningthreads=0 "
		 "needspinning=1 idlethreads=1 runqueue=1 [ 2 3 ] schedticks=[ 3849 41 ]\n");
	assert_int_equal(g.nscheds, 1);
	assert_int_equal(g.scheds[0].needspinning, 1);
	assert_int_equal(g.scheds[0].local_runq, 5);
	assert_int_equal(g.scheds[0].runqueue, 1);
	hearth_godebug_free(&g);
}

/* scheddetail=1: the P, M and G lines belong to the SCHED line above them;
 * Go 1.19 prints -1 for no M, Go 1.26 "nil". */
static void sched_detail(void **state)
{
	hearth_godebug g;
	feed(&g, "SCHED 107ms: gomaxprocs=2 idleprocs=0 threads=7 spinningthreads=1 "
		 "idlethreads=0 runqueue=1 gcwaiting=0 nmidlelocked=0 stopwait=0 sysmonwait=0\n"
		 "  P0: status=1 schedtick=144 syscalltick=67 m=0 runqsize=2 gfreecnt=0 "
		 "timerslen=4\n"
		 "  P1: status=1 schedtick=5261 syscalltick=6 m=nil runqsize=1 gfreecnt=0 "
		 "timerslen=1\n"
		 "  M1: p=-1 curg=17 mallocing=0 throwing=0 preemptoff= locks=0 dying=0 "
		 "spinning=false blocked=false lockedg=17\n"
		 "  M0: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 "
		 "spinning=true blocked=false lockedg=nil\n"
		 "  G1: status=4(sleep) m=-1 lockedm=-1\n"
		 "  G17: status=6() m=1 lockedm=1\n"
		 "  G18: status=1(GC sweep wait) m=nil lockedm=nil\n"
		 "  G19: status=2() m=0 lockedm=nil\n"
		 "  G20: status=3() m=2 lockedm=nil\n"
		 "  G21: status=4100(chan receive) m=nil lockedm=nil\n");
	assert_int_equal(g.nscheds, 1);
	assert_int_equal(g.malformed, 0);
	assert_int_equal(g.p_lines, 2);
	assert_int_equal(g.m_lines, 2);
	assert_int_equal(g.g_lines, 6);
	hearth_sched_line *e = &g.scheds[0];
	assert_true(e->detailed);
	assert_int_equal(e->gcwaiting, 0);
	assert_int_equal(e->local_runq, 3);
	assert_int_equal(e->local_runq_max, 2);
	assert_int_equal(e->ms, 2);
	/* G17 is dead; 0x1004 is _Gscan|_Gwaiting. */
	assert_int_equal(e->goroutines, 5);
	assert_int_equal(e->g_waiting, 2);
	assert_int_equal(e->g_runnable, 1);
	assert_int_equal(e->g_running, 1);
	assert_int_equal(e->g_syscall, 1);
	hearth_godebug_free(&g);
}

/* The program's output around and before the runtime's lines; damaged
 * runtime lines; an over-long line; no newline at the end; CRLF. */
static void garbage(void **state)
{
	hearth_godebug g;
	static char big[HEARTH_GODEBUG_MAX_LINE + 100];
	memset(big, 'x', sizeof(big) - 2);
	big[sizeof(big) - 2] = '\n';
	big[sizeof(big) - 1] = 0;
	hearth_errbuf eb = {{0}};
	hearth_godebug_init(&g);
	const char *parts[] = {
	    "hello from the program\n",
	    "2026-12-03T10:00:00Z app gc 1 @0.017s 15%: 9.8+4.9+0.009 ms clock, "
	    "19+0.013/0.64/0+0.018 ms cpu, 3->4->3 MB, 4 MB goal, 0 MB stacks, 0 MB globals, "
	    "2 P\r\n",
	    "gc 2 @0.033s 14%: 0.36+2.6+0.0", /* cut: the program died */
	    "\n",
	    "gc 3 @0.04s 14%: nonsense\n",
	    "logc 3 @0.04s is a word of the program\n",
	    "gc 5 items collected by my program\n",
	    "SCHED 5ms: gomaxprocs=2\n",
	    "SCHED 5ms: gomaxprocs=2 idleprocs=0 threads=7 runqueue=1 [ 2 3\n",
	    big,
	    "\x01\x02\xff\xfe binary\n",
	    "scav 12 KiB work, 100 KiB total, 9",
	    "9% util",
	};
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		assert_int_equal(hearth_godebug_feed(&g, parts[i], strlen(parts[i]), &eb),
				 HEARTH_OK);
	assert_int_equal(hearth_godebug_finish(&g, &eb), HEARTH_OK);
	assert_int_equal(g.ngcs, 1);
	assert_int_equal(g.gcs[0].procs, 2);
	assert_int_equal(g.nscavs, 1);
	assert_int_equal(g.scavs[0].util, 99);
	assert_int_equal(g.malformed, 4);
	assert_int_equal(g.too_long, 1);
	assert_int_equal(g.other, 4);
	assert_int_equal(g.lines, 11);
	assert_int_equal(g.first_malformed, 3);
	hearth_godebug_free(&g);
}

/* The runtime writes a line in pieces and the program's line (written in
 * one piece) may land after any of them, also after the first "gc " or a
 * P or G line's head: each runtime line is still read once, the program's
 * lines count as its own, and a SCHED line's block goes on past them (the
 * pieces as Go 1.26 wrote them under tests/cli/godebug.sh). */
static void splices(void **state)
{
	hearth_godebug g;
	feed(&g, "gc worker: step 3200, gc soon\n"
		 "38 @0.071s 13%: 0.13+0.17+0.011 ms clock, 0.26+0.10/0.073/0+0.022 ms cpu, "
		 "11->13->6 MB, 13 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"
		 "gc 39worker: step 3400, gc soon\n"
		 " @0.072s 13%: 0.11+0.35+0.089 ms clock, 0.22+0.042/0.15/0+0.17 ms cpu, "
		 "10->11->5 MB, 12 MB goal, 0 MB stacks, 0 MB globals, 2 P\n"
		 "SCHED 213ms: gomaxprocs=2 idleprocs=0 threads=7 spinningthreads=0 "
		 "needspinning=1 idlethreads=2 runqueue=1 gcwaiting=false nmidlelocked=0 "
		 "stopwait=0 sysmonwait=false\n"
		 "  P0: status=1 schedtick=5089 syscalltick=367 m=4 runqsize=worker: step 3600, gc "
		 "soon\n"
		 "1 gfreecnt=3 timerslen=0\n"
		 "  M5: p=nil curg=nil mallocing=0 throwing=0 preemptoff= locks=0 dying=0 "
		 "spinning=false blocked=true lockedg=worker: step 3800, gc soon\n"
		 "nil\n"
		 "  G1: status=4(sleep) m=nil lockedm=nilworker: step 4000, gc soon\n"
		 "\n"
		 "  G2: status=worker: step 4200, gc soon\n"
		 "4(force gc (idle)) m=nil lockedm=nil\n"
		 "  G3: status=2(preempted) m=6 lockedm=nil\n"
		 "gc soon, said the program\n");
	assert_int_equal(g.ngcs, 2);
	assert_int_equal(g.gcs[0].num, 38);
	assert_int_equal(g.gcs[1].num, 39);
	assert_int_equal(g.malformed, 0);
	assert_int_equal(g.p_lines, 1);
	assert_int_equal(g.m_lines, 1);
	assert_int_equal(g.g_lines, 3);
	assert_int_equal(g.scheds[0].local_runq, 1);
	assert_int_equal(g.scheds[0].goroutines, 3);
	assert_int_equal(g.scheds[0].g_waiting, 2);
	assert_int_equal(g.scheds[0].g_running, 1);
	/* Four worker lines taken out of runtime lines; "nil" and "" (the
	 * rests of an M and a G line whose parse ended before the worker line
	 * came, so that it stays inside them); the last line. */
	assert_int_equal(g.other, 7);
	assert_int_equal(g.lines, 15);
	hearth_godebug_free(&g);
}

/* Nearest-rank percentiles: of 1..100, p50 is 50 and p99 is 99. */
static void percentiles(void **state)
{
	hearth_godebug g;
	hearth_godebug_init(&g);
	hearth_errbuf eb = {{0}};
	for (int i = 100; i >= 1; i--) {
		char l[256];
		int n =
		    snprintf(l, sizeof(l),
			     "gc %d @%d.000s 1%%: 0+1+%d ms clock, 0+0/0/0+0 ms cpu, 4->4->%d MB, "
			     "8 MB goal, 0 MB stacks, 0 MB globals, 2 P\n",
			     101 - i, 101 - i, i, i);
		assert_int_equal(hearth_godebug_feed(&g, l, (size_t)n, &eb), HEARTH_OK);
	}
	hearth_godebug_summary s;
	hearth_godebug_summarize(&g, &s);
	assert_int_equal(s.gcs, 100);
	assert_true(s.stw_gc.p50 == 50 && s.stw_gc.p99 == 99 && s.stw_gc.max == 100);
	assert_true(s.live.p50 == 50 && s.live.max == 100);
	assert_true(s.rate > 0.999 && s.rate < 1.001);
	assert_int_equal(g.runs, 1);
	hearth_godebug_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(gc_line_119),	  cmocka_unit_test(gc_line_forced),
	    cmocka_unit_test(gc_line_leak_check), cmocka_unit_test(gc_line_old),
	    cmocka_unit_test(scav_119),		  cmocka_unit_test(scav_121),
	    cmocka_unit_test(scvg_old),		  cmocka_unit_test(sched_119),
	    cmocka_unit_test(sched_126),	  cmocka_unit_test(sched_detail),
	    cmocka_unit_test(sched_detail_126),	  cmocka_unit_test(garbage),
	    cmocka_unit_test(percentiles),	  cmocka_unit_test(splices),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
