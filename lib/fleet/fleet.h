/* The fleet report: across the tenants of a store that opt in, how much
 * CPU the garbage collector takes and which standard-library functions are
 * hot, by Go version, anonymized (docs/fleet.md).
 *
 * What may leave a tenant: per service and Go version (a "unit"), the CPU
 * of its CPU profiles over the window, the part of it under the garbage
 * collector's runtime functions, and the flat and cumulative CPU of the
 * standard library's functions.  Nothing else: no tenant, service or label
 * name, no file, no symbol outside the standard library.  What is
 * published: only aggregates over at least k tenants (k >= 5), a symbol
 * only when at least k tenants have it.
 *
 * A symbol counts as the standard library's when its package path is one
 * of `go list std` (Go 1.19 to 1.26) and its function's file lies in that
 * package's directory of a GOROOT (".../src/PKG/FILE" or, built with
 * -trimpath, "PKG/FILE"); type arguments of generic functions are dropped
 * ("slices.SortFunc[...]").  A profile can be forged, so this alone does
 * not stop a tenant from naming its own code like the standard library's;
 * k-anonymity does: a name one tenant invents appears nowhere. */
#ifndef HEARTH_FLEET_H
#define HEARTH_FLEET_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearth/buf.h"
#include "hearth/error.h"
#include "hearth/profile.h"
#include "store/store.h"

/* The garbage collector's runtime functions: a sample with one of them on
 * its stack is GC work (pprof's -focus semantics: any frame's function
 * name or file matches).  Marking (background workers and assists),
 * sweeping, the stop-the-world phases, runtime.GC and the write
 * barrier's buffer flushes; not the scavenger (memory returned to the OS)
 * and not allocation itself. */
#define HEARTH_FLEET_GC_RE                                                                         \
	"^runtime\\.(gcBgMarkWorker|gcAssistAlloc|gcStart|gcMarkDone|gcMarkTermination|"           \
	"bgsweep|sweepone|deductSweepCredit|bulkBarrierPreWrite|wbBufFlush|gcWriteBarrier|"        \
	"GC$)"

#define HEARTH_FLEET_MIN_K 5

typedef struct {
	uint32_t k;	      /* tenants an aggregate needs (>= HEARTH_FLEET_MIN_K; 0: 5) */
	int64_t window_nanos; /* the CPU profiles of the last window (0: 24 h) */
	uint32_t top;	      /* standard-library functions listed (0: 50; at most 1000) */
} hearth_fleet_config;

extern const char *const hearth_fleet_std_pkgs[];
extern const size_t hearth_fleet_nstd_pkgs;

/* Whether pkg is a package path of the standard library. */
bool hearth_fleet_std_pkg(const char *pkg, size_t n);
/* Whether the function name (in file) is the standard library's; its name
 * without type arguments goes to out (n bytes). */
bool hearth_fleet_stdlib(const char *name, const char *file, char *out, size_t n);
/* "go1.22.3", "go1.22rc1", "1.22" -> "go1.22"; anything else "unknown". */
void hearth_fleet_go_version(const char *v, char *out, size_t n);

/* One unit's figures, from a CPU profile. */
typedef struct {
	char *name;
	int64_t flat, cum; /* nanoseconds of CPU */
} hearth_fleet_fn;
typedef struct {
	int64_t total, gc;    /* nanoseconds of CPU: all, under the GC's functions */
	hearth_fleet_fn *fns; /* the standard library's functions with CPU, by flat */
	size_t nfns;
} hearth_fleet_stats;
/* The figures of p, a CPU profile (sample type "cpu"; else HEARTH_EINVAL). */
hearth_err hearth_fleet_profile_stats(const hearth_profile *p, hearth_fleet_stats *out,
				      hearth_errbuf *eb);
void hearth_fleet_stats_free(hearth_fleet_stats *s);

/* The public report over the tenants that opted in, at time now, as JSON
 * (docs/fleet.md); *out is a new reference. */
hearth_err hearth_fleet_report(hearth_store *st, const hearth_fleet_config *cfg, int64_t now,
			       json_t **out, hearth_errbuf *eb);
/* One tenant's own figures (whether it opted in or not): its services by
 * name, with their GC share and hottest standard-library functions. */
hearth_err hearth_fleet_tenant(hearth_store *st, int64_t tenant, const hearth_fleet_config *cfg,
			       int64_t now, json_t **out, hearth_errbuf *eb);
/* The report as a self-contained HTML page (no script). */
void hearth_fleet_html(const json_t *report, hearth_buf *out);

#endif
