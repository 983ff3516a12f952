/* Continuous collection: `hearth scrape` pulls profiles from the
 * net/http/pprof endpoints of a fleet of Go programs and pushes them to a
 * hearth server (docs/scrape.md).
 *
 *   config.c    the scrape configuration (YAML, Prometheus/Parca style),
 *               target discovery (static, file_sd, dns_sd) and relabeling
 *   delta.c     deltas of cumulative profiles, as godeltaprof sends them
 *   memstats.c  the runtime.MemStats block of heap?debug=1
 *   spool.c     the ordered, capped queue of pushes (on disk or in memory)
 *   scrape.c    the scrape loop: one thread, libcurl's multi interface
 *
 * Nothing here prints or exits; errors come back as hearth_err with a
 * message in a hearth_errbuf.
 */
#ifndef HEARTH_COLLECT_H
#define HEARTH_COLLECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearth/buf.h"
#include "hearth/error.h"
#include "hearth/profile.h"

/* ---- Configuration (config.c) ----------------------------------------- */

/* Caps on what one configuration may describe (hostile input). */
#define HEARTH_SCRAPE_MAX_CONFIG_BYTES (4u << 20)
#define HEARTH_SCRAPE_MAX_JOBS 1000
#define HEARTH_SCRAPE_MAX_TARGETS 100000
#define HEARTH_SCRAPE_MAX_LABELS 32
#define HEARTH_SCRAPE_MAX_TYPES 32

/* A label: name and value, both malloc'd. */
typedef struct {
	char *name, *value;
} hearth_label_pair;

/* A label set, kept sorted by name, names unique. */
typedef struct {
	hearth_label_pair *v;
	size_t n;
} hearth_labelset;

const char *hearth_labelset_get(const hearth_labelset *ls, const char *name);
/* Sets (adds or replaces) name to value; value NULL or "" removes it, as in
 * Prometheus. */
hearth_err hearth_labelset_set(hearth_labelset *ls, const char *name, const char *value);
hearth_err hearth_labelset_copy(hearth_labelset *dst, const hearth_labelset *src);
void hearth_labelset_free(hearth_labelset *ls);

/* One profile type a job scrapes. */
typedef struct {
	char *name; /* cpu, heap, allocs, goroutine, block, mutex, threadcreate,
		       memstats, or a name of the user's */
	char *path; /* /debug/pprof/heap; may carry a query */
	bool enabled;
	/* The endpoint answers cumulative counters: hearth sends the
	 * difference from the previous scrape (delta.c). */
	bool delta;
	/* cpu: the profile's duration (seconds=); 0 for the others.  Default:
	 * the scrape interval less a margin (see docs/scrape.md). */
	int seconds;
} hearth_scrape_ptype;

typedef enum {
	HEARTH_RELABEL_REPLACE,
	HEARTH_RELABEL_KEEP,
	HEARTH_RELABEL_DROP,
	HEARTH_RELABEL_LABELMAP,
	HEARTH_RELABEL_LABELDROP,
	HEARTH_RELABEL_LABELKEEP,
} hearth_relabel_action;

typedef struct {
	hearth_relabel_action action;
	char **source_labels;
	size_t nsource_labels;
	char *separator; /* ";" */
	char *regex;	 /* "(.*)", anchored when compiled */
	void *re;	 /* pcre2_code */
	char *target_label;
	char *replacement; /* "$1" */
	int line;
} hearth_relabel;

typedef struct {
	char **targets;
	size_t ntargets;
	hearth_labelset labels;
	int line;
} hearth_static_config;

typedef struct {
	char **files;
	size_t nfiles;
	int64_t refresh_ms; /* default 5 min; files are also checked for
			       changes every couple of seconds */
	int line;
} hearth_file_sd;

typedef struct {
	char **names;
	size_t nnames;
	bool srv; /* type SRV; else A (and AAAA) */
	int port; /* A: required */
	int64_t refresh_ms;
	int line;
} hearth_dns_sd;

typedef struct {
	char *job_name;
	int64_t interval_ms, timeout_ms;
	char *scheme;		/* http or https */
	char *path_prefix;	/* "" or "/prefix" */
	size_t body_size_limit; /* bytes; 0: default */
	hearth_static_config *statics;
	size_t nstatics;
	hearth_file_sd *files;
	size_t nfiles;
	hearth_dns_sd *dns;
	size_t ndns;
	hearth_relabel *relabels;
	size_t nrelabels;
	hearth_scrape_ptype types[HEARTH_SCRAPE_MAX_TYPES];
	size_t ntypes;
	int line;
} hearth_scrape_job;

typedef struct {
	hearth_scrape_job *jobs;
	size_t njobs;
	char *path; /* the file it was read from, for file_sd paths */
} hearth_scrape_config;

/* Reads and checks a configuration.  Errors name the file and line:
 * "scrape.yaml:12: scrape_interval: \"1x\" is not a duration". */
hearth_err hearth_scrape_config_read(const char *path, hearth_scrape_config *cfg,
				     hearth_errbuf *eb);
/* The same from memory; name is the file name put in messages. */
hearth_err hearth_scrape_config_parse(const char *name, const char *text, size_t n,
				      hearth_scrape_config *cfg, hearth_errbuf *eb);
void hearth_scrape_config_free(hearth_scrape_config *cfg);

/* Prometheus durations: "1h30m", "15s", "500ms", units ms s m h d w y. */
hearth_err hearth_duration_parse(const char *s, int64_t *ms);

/* A target group of a file_sd file: [{"targets": [...], "labels": {...}}],
 * in JSON or YAML.  Groups are appended to *out (n counts them). */
typedef struct {
	char **targets;
	size_t ntargets;
	hearth_labelset labels;
} hearth_target_group;
hearth_err hearth_file_sd_parse(const char *name, const char *text, size_t n,
				hearth_target_group **out, size_t *nout, hearth_errbuf *eb);
void hearth_target_groups_free(hearth_target_group *g, size_t n);

/* Applies the job's relabel_configs to ls.  *keep is false when the target
 * is dropped. */
hearth_err hearth_relabel_apply(const hearth_relabel *r, size_t n, hearth_labelset *ls, bool *keep,
				hearth_errbuf *eb);

/* ---- Deltas (delta.c) ------------------------------------------------- */

/* The previous scrape of one (target, profile type): its cumulative values
 * per stack and label set. */
typedef struct hearth_delta hearth_delta;

hearth_delta *hearth_delta_new(void);
void hearth_delta_free(hearth_delta *d);

typedef enum {
	HEARTH_DELTA_BASE,    /* the first scrape: kept as the base, nothing to send */
	HEARTH_DELTA_OK,      /* *out is the difference from the previous scrape */
	HEARTH_DELTA_RESTART, /* a counter went down: the program restarted; cur
				 is the new base and *out its own values (the
				 counts since the program started) */
} hearth_delta_kind;

/* The delta of cur against the previous profile given to d; cur becomes the
 * base of the next call.  Which sample types are cumulative: for heap
 * profiles alloc_objects and alloc_space (inuse_* are sent as they are),
 * for every other profile each sample type.  *out (NULL for BASE) is a new
 * profile: cur's samples with the differences as values, samples whose
 * values are all zero left out. */
hearth_err hearth_delta_next(hearth_delta *d, const hearth_profile *cur, hearth_profile **out,
			     hearth_delta_kind *kind, hearth_errbuf *eb);

/* ---- MemStats (memstats.c) -------------------------------------------- */

/* The "# runtime.MemStats" block that heap?debug=1 ends with. */
typedef struct {
	uint64_t alloc, total_alloc, sys, lookups, mallocs, frees;
	uint64_t heap_alloc, heap_sys, heap_idle, heap_inuse, heap_released, heap_objects;
	uint64_t stack_inuse, stack_sys, mspan_inuse, mspan_sys, mcache_inuse, mcache_sys;
	uint64_t buck_hash_sys, gc_sys, other_sys, next_gc, last_gc, pause_total_ns;
	uint64_t pause_ns[256]; /* the runtime's circular buffer, as printed */
	size_t npause_ns;
	uint64_t pause_end[256];
	size_t npause_end;
	uint64_t num_gc, num_forced_gc;
	double gc_cpu_fraction;
	bool debug_gc;
	uint64_t max_rss; /* "# MaxRSS" when present */
	/* Which fields were present; a block without NumGC is no MemStats. */
	bool has_num_gc, has_gc_cpu_fraction, has_max_rss, has_pause_total;
} hearth_memstats;

/* Finds and reads the MemStats block in a heap?debug=1 body.  HEARTH_EFORMAT
 * when there is none; a malformed field is HEARTH_ECORRUPT naming its line. */
hearth_err hearth_memstats_parse(const char *text, size_t n, hearth_memstats *ms,
				 hearth_errbuf *eb);

/* The total of the GC pauses in ns: PauseTotalNs when the block has it
 * (Go's heap?debug=1 does not print it), else the sum of PauseNs while all
 * the pauses are still in it (NumGC <= 256).  False when unknown. */
bool hearth_memstats_pause_total(const hearth_memstats *ms, uint64_t *ns);

/* The pause quantile q (0..1) of the pauses recorded in ms (PauseNs; the
 * last min(NumGC, 256) of them), in ns; 0 when there are none. */
uint64_t hearth_memstats_pause_quantile(const hearth_memstats *ms, double q);

/* ---- Spool (spool.c) -------------------------------------------------- */

/* One push waiting to go out. */
typedef struct {
	uint64_t seq;
	char *service, *type, *labels, *id; /* labels: "k=v,k2=v2" */
	int64_t time_nanos;
	uint8_t *body; /* NULL until loaded (on disk) */
	size_t n;
} hearth_spool_item;

typedef struct hearth_spool hearth_spool;

/* dir NULL: in memory.  A directory that holds items from an earlier run
 * is picked up: they are pushed first, in order.  max_bytes 0: 256 MB. */
hearth_err hearth_spool_open(const char *dir, size_t max_bytes, hearth_spool **out,
			     hearth_errbuf *eb);
void hearth_spool_close(hearth_spool *sp);
/* Appends an item (copied); the oldest items are evicted while the spool
 * would hold more than its cap. */
hearth_err hearth_spool_put(hearth_spool *sp, const char *service, const char *type,
			    const char *labels, const char *id, int64_t time_nanos,
			    const uint8_t *body, size_t n, hearth_errbuf *eb);
/* A copy of the oldest item, body included (free it with
 * hearth_spool_item_free); *found false when the spool is empty.  Items
 * that cannot be read back (a damaged file) are dropped and counted. */
hearth_err hearth_spool_peek(hearth_spool *sp, hearth_spool_item *out, bool *found,
			     hearth_errbuf *eb);
void hearth_spool_item_free(hearth_spool_item *it);
/* Removes item seq when it is still the oldest (it may have been evicted
 * while it was being pushed). */
void hearth_spool_pop(hearth_spool *sp, uint64_t seq);
typedef struct {
	size_t items, bytes;
	uint64_t evicted_items, evicted_bytes, put_items, damaged_items;
} hearth_spool_stats;
void hearth_spool_stats_get(const hearth_spool *sp, hearth_spool_stats *st);

/* ---- The scrape loop (scrape.c) --------------------------------------- */

typedef struct {
	const char *config_path;
	/* The server: "http://host:port" (its /api/v1/push) and its token;
	 * push_url NULL: profiles are scraped (and saved) but not pushed. */
	const char *push_url;
	const char *token;
	const char *spool_dir;	/* NULL: in memory */
	size_t spool_max_bytes; /* 0: 256 MB */
	size_t max_concurrency; /* scrapes in flight; 0: 1000 */
	/* When set, every raw scrape is written to
	 * DIR/<job>/<instance>/<type>/<unix nanos>.pb.gz (for tests and
	 * debugging). */
	const char *save_dir;
	/* Send the MemStats series to the server's /api/v1/metrics. */
	bool push_metrics;
	/* dns_sd_configs: ask this DNS server ("IPv4:port") instead of those
	 * of /etc/resolv.conf; NULL: the system's. */
	const char *dns_server;
} hearth_scraper_opts;

typedef struct hearth_scraper hearth_scraper;

hearth_err hearth_scraper_new(const hearth_scraper_opts *o, hearth_scraper **out,
			      hearth_errbuf *eb);
void hearth_scraper_free(hearth_scraper *s);

/* Scrapes until *stop becomes true (or, rounds > 0, until every target has
 * been scraped that many times, and the spool is empty or the push side
 * gives up).  Returns an error only when the loop itself cannot go on. */
hearth_err hearth_scraper_run(hearth_scraper *s, const volatile bool *stop, int rounds,
			      hearth_errbuf *eb);

/* Prometheus text format: hearth_scrape_* counters and gauges, per target
 * and overall.  Safe to call from another thread while run is going. */
void hearth_scraper_metrics(hearth_scraper *s, hearth_buf *out);
/* The targets: labels, health, last scrape, duration, error.  json: one
 * JSON object {"targets": [...]}, else an aligned text table. */
void hearth_scraper_targets(hearth_scraper *s, hearth_buf *out, bool json);

#endif
