/* The store's benchmark (make bench): lib/store/ in-process, on a day of
 * gen-profile's one-a-minute CPU profiles.
 *
 *   store_bench PROFILE_DIR WORK_DIR [DAYS [SERIES]]
 *
 * WORK_DIR may be a store URL (postgres://...: bench/store_pg.sh).
 *
 * Phases, each printed as "key value" lines for bench/run.sh:
 *   ingest     CLIENTS=4 threads parse (hearth_parse, as the server does)
 *              and put the day's files into one series; profiles per second
 *              and the CPU time of one put and of one parse;
 *   bytes      the database (file + WAL) per profile over the day, against
 *              the files' gzipped size, without and with rollups;
 *   merge      a day (the 1440 profiles) without rollups, compaction, then
 *              a day, an unaligned 24 hours, DAYS days repeated from the
 *              same files (a week, 30 days) with rollups; each with the
 *              samples' labels and by stack alone (KEY_nolabels:
 *              HEARTH_MERGE_NO_LABELS, the views that show no labels);
 *   series     totals per minute over a week;
 *   rss        SERIES series of one profile each in a new tenant, then the
 *              process's peak RSS.
 * Each merge runs 3 times; the median is printed. */
#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <libpq-fe.h>

#include "hearth/io.h"
#include "store/blob.h"
#include "util.h"
#include "store/store.h"

#define MIN_NS (60LL * 1000000000)
#define DAY_NS (1440 * MIN_NS)

typedef struct {
	uint8_t *data;
	size_t n;
} file;

static file *files;
static size_t nfiles;
static hearth_store *st;
static int64_t tenant;
static int64_t base_time; /* the first profile's time, from the files */
/* STORE_BENCH_OBJECTS=URL: blocks in that object store (-objects). */
static hearth_store_config store_cfg;

/* Object-store requests and bytes of a phase, per unit (profile, merge). */
static void objects_delta(const char *key, const hearth_blob_stats *b0, double units)
{
	hearth_blob_stats b1;
	if (!store_cfg.objects || units <= 0)
		return;
	hearth_blob_stats_get(NULL, &b1);
	printf("%s_obj_puts %.2f\n%s_obj_gets %.2f\n%s_obj_bytes_put %.0f\n%s_obj_bytes_got %.0f\n",
	       key, (double)(b1.puts - b0->puts) / units, key, (double)(b1.gets - b0->gets) / units,
	       key, (double)(b1.bytes_put - b0->bytes_put) / units, key,
	       (double)(b1.bytes_got - b0->bytes_got) / units);
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double thread_cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void load_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		perror(dir);
		exit(1);
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!strstr(e->d_name, ".pb.gz"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 2048;
			names = realloc(names, cap * sizeof(*names));
		}
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_name);
	files = calloc(n, sizeof(*files));
	for (size_t i = 0; i < n; i++) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		FILE *f = fopen(path, "rb");
		struct stat sb;
		if (!f || fstat(fileno(f), &sb)) {
			perror(path);
			exit(1);
		}
		files[i].n = (size_t)sb.st_size;
		files[i].data = malloc(files[i].n);
		if (fread(files[i].data, 1, files[i].n, f) != files[i].n) {
			perror(path);
			exit(1);
		}
		fclose(f);
		free(names[i]);
	}
	free(names);
	nfiles = n;
}

typedef struct {
	size_t next, total;
	int64_t day_offset_base;
	pthread_mutex_t mu;
	double put_cpu, parse_cpu;
	/* From the scheduler (/proc/thread-self/schedstat): time on a CPU and
	 * time runnable but waiting for one; the rest of a thread's wall time
	 * it was blocked (the database's answers, the disk, locks). */
	double sched_cpu, sched_wait;
	size_t puts;
	int failed;
	const char *service;
} ingest;

/* This thread's time on a CPU and waiting in the run queue (seconds). */
static void sched_times(double *cpu, double *wait)
{
	unsigned long long a = 0, b = 0;
	FILE *f = fopen("/proc/thread-self/schedstat", "r");
	if (f) {
		if (fscanf(f, "%llu %llu", &a, &b) != 2)
			a = b = 0;
		fclose(f);
	}
	*cpu = (double)a / 1e9;
	*wait = (double)b / 1e9;
}

static void *ingest_main(void *arg)
{
	ingest *in = arg;
	double put_cpu = 0, parse_cpu = 0, sc0, sw0, sc1, sw1;
	sched_times(&sc0, &sw0);
	size_t puts = 0;
	for (;;) {
		pthread_mutex_lock(&in->mu);
		size_t i = in->next++;
		pthread_mutex_unlock(&in->mu);
		if (i >= in->total)
			break;
		const file *f = &files[i % nfiles];
		int64_t day = (int64_t)(i / nfiles);
		hearth_profile *p = NULL;
		hearth_errbuf eb = {{0}};
		double c0 = thread_cpu_s();
		if (hearth_parse(f->data, f->n, NULL, &p, &eb)) {
			fprintf(stderr, "parse: %s\n", eb.msg);
			in->failed = 1;
			break;
		}
		double c1 = thread_cpu_s();
		p->time_nanos += (in->day_offset_base + day) * DAY_NS;
		hearth_put_meta m = {.service = in->service};
		int64_t id;
		if (hearth_store_put(st, tenant, p, &m, &id, &eb)) {
			fprintf(stderr, "put: %s\n", eb.msg);
			in->failed = 1;
			hearth_profile_free(p);
			break;
		}
		double c2 = thread_cpu_s();
		parse_cpu += c1 - c0;
		put_cpu += c2 - c1;
		puts++;
		hearth_profile_free(p);
	}
	sched_times(&sc1, &sw1);
	pthread_mutex_lock(&in->mu);
	in->sched_cpu += sc1 - sc0;
	in->sched_wait += sw1 - sw0;
	in->put_cpu += put_cpu;
	in->parse_cpu += parse_cpu;
	in->puts += puts;
	pthread_mutex_unlock(&in->mu);
	return NULL;
}

/* Puts files total times (day after day) with clients threads; prints the
 * rate under key. */
static void run_ingest(const char *key, size_t total, int64_t day_base, int clients)
{
	ingest in = {.total = total, .day_offset_base = day_base, .service = "api"};
	hearth_blob_stats b0;
	hearth_blob_stats_get(NULL, &b0);
	pthread_mutex_init(&in.mu, NULL);
	pthread_t th[16];
	double t0 = now_s();
	for (int i = 0; i < clients; i++)
		pthread_create(&th[i], NULL, ingest_main, &in);
	for (int i = 0; i < clients; i++)
		pthread_join(th[i], NULL);
	double wall = now_s() - t0;
	if (in.failed)
		exit(1);
	printf("%s_profiles %zu\n", key, in.puts);
	printf("%s_per_s %.0f\n", key, (double)in.puts / wall);
	printf("%s_put_cpu_ms %.3f\n", key, in.put_cpu * 1000 / (double)in.puts);
	printf("%s_parse_cpu_ms %.3f\n", key, in.parse_cpu * 1000 / (double)in.puts);
	/* Per profile: the clients' time on a CPU, waiting for one, and
	 * blocked (their wall time minus both). */
	double per = 1000 / (double)in.puts;
	printf("%s_thread_cpu_ms %.3f\n", key, in.sched_cpu * per);
	printf("%s_thread_runq_ms %.3f\n", key, in.sched_wait * per);
	printf("%s_thread_blocked_ms %.3f\n", key,
	       (wall * clients - in.sched_cpu - in.sched_wait) * per);
	objects_delta(key, &b0, (double)in.puts);
	fflush(stdout);
}

/* A PostgreSQL store (WORK_DIR a postgres:// URL): its tables, partitions,
 * TOAST and indexes. */
static long long pg_bytes(const char *url)
{
	PGconn *c = PQconnectdb(url);
	long long n = -1;
	if (PQstatus(c) == CONNECTION_OK) {
		PGresult *r = PQexec(c, "SELECT coalesce(sum(pg_total_relation_size(format('%I', "
					"tablename)::regclass)), 0)::bigint FROM pg_tables WHERE "
					"schemaname = 'public'");
		if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
			n = atoll(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	PQfinish(c);
	return n;
}

static long long db_bytes(const char *dir)
{
	if (strstr(dir, "://"))
		return pg_bytes(dir);
	char path[4096];
	struct stat sb;
	long long total = 0;
	const char *suffix[] = {"", "-wal"};
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/hearth.db%s", dir, suffix[i]);
		if (stat(path, &sb) == 0)
			total += (long long)sb.st_size;
	}
	return total;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void time_merge_flags(const char *key, int64_t from, int64_t until, unsigned flags)
{
	double t[3], c[3];
	size_t n = 0, samples = 0;
	hearth_blob_stats b0;
	hearth_blob_stats_get(NULL, &b0);
	for (int r = 0; r < 3; r++) {
		hearth_profile *p = NULL;
		hearth_errbuf eb = {{0}};
		double t0 = now_s(), c0 = thread_cpu_s();
		if (hearth_store_merge_flags(st, tenant, NULL, "cpu", from, until, flags, &p, &n,
					     &eb)) {
			fprintf(stderr, "merge: %s\n", eb.msg);
			exit(1);
		}
		t[r] = now_s() - t0;
		c[r] = thread_cpu_s() - c0;
		samples = p->nsamples;
		hearth_profile_free(p);
	}
	qsort(t, 3, sizeof(double), cmp_d);
	qsort(c, 3, sizeof(double), cmp_d);
	printf("%s_cpu_ms %.1f\n", key, c[1] * 1000);
	printf("%s_ms %.1f\n%s_profiles %zu\n%s_samples %zu\n", key, t[1] * 1000, key, n, key,
	       samples);
	objects_delta(key, &b0, 3);
	fflush(stdout);
}

/* A merge with the samples' labels, then one by stack alone (the views
 * that show no labels: key_nolabels). */
static void time_merge(const char *key, int64_t from, int64_t until)
{
	char k2[128];
	time_merge_flags(key, from, until, 0);
	snprintf(k2, sizeof(k2), "%s_nolabels", key);
	time_merge_flags(k2, from, until, HEARTH_MERGE_NO_LABELS);
}

static long rss_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long v = -1;
	size_t n = strlen(field);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, n))
			v = atol(line + n + 1);
	if (f)
		fclose(f);
	return v;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: store_bench PROFILE_DIR WORK_DIR [DAYS [SERIES]]\n");
		return 2;
	}
	/* Huge pages for malloc, as hearth serve gets them (lib/util.c). */
	hearth_hugepages_reexec(argv);
	const char *dir = argv[2];
	store_cfg.objects = getenv("STORE_BENCH_OBJECTS");
	if (store_cfg.objects && !*store_cfg.objects)
		store_cfg.objects = NULL;
	int days = argc > 3 ? atoi(argv[3]) : 30;
	int nseries = argc > 4 ? atoi(argv[4]) : 10000;
	load_dir(argv[1]);
	if (nfiles == 0) {
		fprintf(stderr, "store_bench: no .pb.gz in %s\n", argv[1]);
		return 1;
	}
	long long gz = 0;
	for (size_t i = 0; i < nfiles; i++)
		gz += (long long)files[i].n;
	printf("files %zu\nfile_gz_bytes_avg %.0f\n", nfiles, (double)gz / (double)nfiles);
	{
		hearth_profile *p = NULL;
		hearth_errbuf eb = {{0}};
		if (hearth_parse(files[0].data, files[0].n, NULL, &p, &eb)) {
			fprintf(stderr, "%s\n", eb.msg);
			return 1;
		}
		base_time = p->time_nanos;
		printf("file_samples %zu\n", p->nsamples);
		hearth_profile_free(p);
	}
	hearth_errbuf eb = {{0}};
	if (hearth_store_open(dir, &store_cfg, &st, &eb) ||
	    hearth_store_tenant_ensure(st, "bench", &tenant, &eb)) {
		fprintf(stderr, "store: %s\n", eb.msg);
		return 1;
	}

	/* STORE_BENCH_MERGES=N: N merges of the day already stored, as fast
	 * as they go (several processes at once: a shared store's query
	 * throughput). */
	const char *nm = getenv("STORE_BENCH_MERGES");
	if (nm && atoi(nm) > 0) {
		int64_t day0 = base_time, day1 = base_time + (int64_t)nfiles * MIN_NS;
		double t0 = now_s();
		for (int i = 0; i < atoi(nm); i++) {
			hearth_profile *p = NULL;
			size_t n;
			if (hearth_store_merge(st, tenant, NULL, "cpu", day0, day1, &p, &n, &eb)) {
				fprintf(stderr, "merge: %s\n", eb.msg);
				return 1;
			}
			hearth_profile_free(p);
		}
		printf("merges_per_s %.2f\n", atoi(nm) / (now_s() - t0));
		hearth_store_close(st);
		return 0;
	}
	/* A day, one series, four clients (STORE_BENCH_CLIENTS: 1..16). */
	int clients = getenv("STORE_BENCH_CLIENTS") ? atoi(getenv("STORE_BENCH_CLIENTS")) : 4;
	if (clients < 1 || clients > 16)
		clients = 4;
	run_ingest("ingest_day", nfiles, 0, clients);
	if (getenv("STORE_BENCH_INGEST_ONLY")) {
		hearth_store_close(st);
		return 0;
	}
	hearth_store_close(st); /* checkpoints the WAL */
	long long b0 = db_bytes(dir);
	printf("bytes_per_profile %.0f\n", (double)b0 / (double)nfiles);
	printf("bytes_ratio_pct %.1f\n", 100.0 * (double)b0 / (double)gz);
	hearth_store_open(dir, &store_cfg, &st, &eb);
	hearth_store_tenant_ensure(st, "bench", &tenant, &eb);

	int64_t day0 = base_time, day1 = base_time + (int64_t)nfiles * MIN_NS;
	time_merge("merge_day_norollup", day0, day1);
	double t0 = now_s();
	size_t built = 0;
	hearth_blob_stats cb0;
	hearth_blob_stats_get(NULL, &cb0);
	if (hearth_store_compact(st, day1 + DAY_NS, &built, &eb)) {
		fprintf(stderr, "compact: %s\n", eb.msg);
		return 1;
	}
	printf("compact_day_s %.2f\ncompact_day_rollups %zu\n", now_s() - t0, built);
	objects_delta("compact_day", &cb0, (double)nfiles);
	hearth_store_close(st);
	long long b1 = db_bytes(dir);
	printf("bytes_per_profile_rollups %.0f\n", (double)b1 / (double)nfiles);
	printf("bytes_ratio_rollups_pct %.1f\n", 100.0 * (double)b1 / (double)gz);
	hearth_store_open(dir, &store_cfg, &st, &eb);
	hearth_store_tenant_ensure(st, "bench", &tenant, &eb);
	time_merge("merge_day", day0, day1);
	time_merge("merge_24h_unaligned", day0 + 37 * MIN_NS, day0 + 37 * MIN_NS + DAY_NS);

	/* More days from the same files, then longer ranges. */
	if (days > 1) {
		run_ingest("ingest_more", nfiles * (size_t)(days - 1), 1, 4);
		t0 = now_s();
		if (hearth_store_compact(st, day0 + (days + 1) * DAY_NS, &built, &eb)) {
			fprintf(stderr, "compact: %s\n", eb.msg);
			return 1;
		}
		printf("compact_more_s %.2f\n", now_s() - t0);
		int64_t week = days >= 7 ? 7 : days;
		time_merge("merge_week", day0, day0 + week * DAY_NS);
		if (days >= 30)
			time_merge("merge_30d", day0, day0 + 30 * DAY_NS);
		/* Series: a week, per minute. */
		double ts[3];
		for (int r = 0; r < 3; r++) {
			hearth_serieslist sl;
			double s0 = now_s();
			if (hearth_store_series(st, tenant, NULL, "cpu", 1, day0,
						day0 + week * DAY_NS, MIN_NS, NULL, 0, &sl, &eb)) {
				fprintf(stderr, "series: %s\n", eb.msg);
				return 1;
			}
			ts[r] = now_s() - s0;
			hearth_serieslist_free(&sl);
		}
		qsort(ts, 3, sizeof(double), cmp_d);
		printf("series_week_ms %.1f\n", ts[1] * 1000);
	}
	hearth_store_close(st);
	printf("bytes_total %lld\n", db_bytes(dir));

	/* Many series: one small profile each, in a tenant of their own. */
	if (nseries > 0) {
		hearth_store_open(dir, &store_cfg, &st, &eb);
		int64_t t2;
		hearth_store_tenant_ensure(st, "many", &t2, &eb);
		hearth_profile *p = NULL;
		hearth_parse(files[0].data, files[0].n, NULL, &p, &eb);
		t0 = now_s();
		for (int i = 0; i < nseries; i++) {
			char pod[32];
			snprintf(pod, sizeof(pod), "pod-%05d", i);
			hearth_kv l[] = {{"pod", pod}, {"env", i % 2 ? "prod" : "dev"}};
			hearth_put_meta m = {.service = "svc", .labels = l, .nlabels = 2};
			int64_t id;
			if (hearth_store_put(st, t2, p, &m, &id, &eb)) {
				fprintf(stderr, "put: %s\n", eb.msg);
				return 1;
			}
		}
		printf("series_puts_per_s %.0f\n", nseries / (now_s() - t0));
		hearth_strlist l;
		hearth_selector sel;
		hearth_selector_parse("{env=\"prod\"}", &sel, &eb);
		t0 = now_s();
		hearth_store_label_values(st, t2, &sel, "pod", INT64_MIN, INT64_MAX, &l, &eb);
		printf("label_values_%d_series_ms %.1f\nlabel_values_n %zu\n", nseries,
		       (now_s() - t0) * 1000, l.n);
		hearth_strlist_free(&l);
		hearth_selector_free(&sel);
		hearth_profile_free(p);
		printf("rss_series_kb %ld\n", rss_kb("VmRSS:"));
		hearth_store_close(st);
	}
	printf("rss_peak_kb %ld\n", rss_kb("VmHWM:"));
	return 0;
}
