/* hearth serve: the profile service.  Opens the store, serves the API and
 * the UI (server/service.c) until SIGTERM or SIGINT, sweeps what is past
 * retention and builds the store's rollups in a thread of its own, and
 * stops gracefully: no new connections, the requests in flight answered
 * (each ingest is one store transaction per profile), the store closed. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <yaml.h>

#include "../../server/http.h"
#include "../../server/service.h"
#include "../cli.h"
#include "hearth/budget.h"
#include "collect/collect.h"

static const char usage[] =
    "usage: hearth serve [-listen=127.0.0.1:4040] [-data=DIR] [-retention=14d]\n"
    "                    [-config=FILE] [-signup=closed|open] [limits]\n"
    "\n"
    "Serves the profile service: ingest (native, Pyroscope, Grafana Alloy),\n"
    "queries over time, the UI, per-tenant tokens.  See docs/serve.md.\n"
    "\n"
    "  -listen=host:port     where to listen (default 127.0.0.1:4040; port 0: a\n"
    "                        free one); the URL is printed when ready\n"
    "  -data=DIR             the data directory (default ./hearth-data): SQLite\n"
    "  -store=URL            another store than -data's (sqlite:DIR, ...)\n"
    "  -objects=URL          profile and rollup blocks in an object store:\n"
    "                        s3://BUCKET[/PREFIX]?endpoint=URL&region=NAME\n"
    "                        (credentials: AWS_ACCESS_KEY_ID, ...; docs/store.md)\n"
    "  -retention=DURATION   how long profiles are kept (default 14d)\n"
    "  -config=FILE          YAML mapping of these settings (listen: ..., data:\n"
    "                        ...); options on the command line win\n"
    "  -signup=closed|open   open: POST /api/v1/signup gives anyone a tenant\n"
    "  -sweep_interval=D     how often the retention sweep runs (default 10m)\n"
    "  -compact_interval=D   how often rollups of closed buckets are built (1m)\n"
    "  -orphan_grace=D       with -objects on PostgreSQL: an object no row names\n"
    "                        is deleted by a sweep D after one first saw it (1h)\n"
    "  -scrape=FILE          also scrape the targets of FILE (hearth scrape's\n"
    "                        configuration, docs/scrape.md) into the tenant\n"
    "                        -scrape_tenant=NAME (default: scrape)\n"
    "\n"
    "Limits (each a 4xx JSON error, nothing partly stored):\n"
    "  -max_body=SIZE        request body (default 16MB)\n"
    "  -max_decompressed=SIZE  a profile once gunzipped (default 256MB)\n"
    "  -max_samples=N  -max_locations=N  per profile (default 2000000 each)\n"
    "  -max_labels=N  -max_label_len=N  series labels (default 32, 1024)\n"
    "  -max_series=N         series per tenant (default 100000)\n"
    "  -rate_limit=N         requests per second per tenant (default 2000; 0:\n"
    "                        none), bursts of twice that\n"
    "  -signups_per_hour=N   signups per client address (default 10)\n"
    "  -max_connections=N    connections at once (default 256; 64 per address)\n"
    "  -render_cache=N       merged ranges kept for the views (default 8)\n"
    "\n"
    "The public fleet report (GET /fleet, /api/v1/fleet/report; docs/fleet.md):\n"
    "  -fleet_k=N            tenants each aggregate needs (default 5, at least 5)\n"
    "  -fleet_window=D       CPU profiles of the last D (default 24h)\n"
    "  -fleet_refresh=D      how long a report is kept (default 10m)\n"
    "  -fleet_top=N          standard-library functions listed (default 50)\n"
    "\n"
    "SIGTERM or Ctrl-C stops it: requests in flight are answered first.\n";

typedef struct {
	const char *listen, *data, *store, *objects, *signup;
	/* -scrape: a hearth scrape configuration run inside the server. */
	const char *scrape, *scrape_tenant;
	int64_t retention, sweep_interval, compact_interval, session, orphan_grace;
	size_t max_body, max_decompressed, max_samples, max_locations, max_labels, max_label_len;
	size_t max_series, max_connections, render_cache, cache_bytes;
	size_t fleet_k, fleet_top;
	int64_t fleet_window, fleet_refresh;
	double rate_limit, signups_per_hour;
	/* Strings from the config file live here. */
	char *mem[64];
	int nmem;
} settings;

typedef enum { K_STR, K_DUR, K_SIZE, K_NUM, K_RATE } kind;

static const struct {
	const char *name;
	kind k;
	size_t off;
} keys[] = {
    {"listen", K_STR, offsetof(settings, listen)},
    {"data", K_STR, offsetof(settings, data)},
    {"store", K_STR, offsetof(settings, store)},
    {"objects", K_STR, offsetof(settings, objects)},
    {"signup", K_STR, offsetof(settings, signup)},
    {"scrape", K_STR, offsetof(settings, scrape)},
    {"scrape_tenant", K_STR, offsetof(settings, scrape_tenant)},
    {"retention", K_DUR, offsetof(settings, retention)},
    {"sweep_interval", K_DUR, offsetof(settings, sweep_interval)},
    {"compact_interval", K_DUR, offsetof(settings, compact_interval)},
    {"orphan_grace", K_DUR, offsetof(settings, orphan_grace)},
    {"session", K_DUR, offsetof(settings, session)},
    {"max_body", K_SIZE, offsetof(settings, max_body)},
    {"max_decompressed", K_SIZE, offsetof(settings, max_decompressed)},
    {"max_samples", K_NUM, offsetof(settings, max_samples)},
    {"max_locations", K_NUM, offsetof(settings, max_locations)},
    {"max_labels", K_NUM, offsetof(settings, max_labels)},
    {"max_label_len", K_NUM, offsetof(settings, max_label_len)},
    {"max_series", K_NUM, offsetof(settings, max_series)},
    {"max_connections", K_NUM, offsetof(settings, max_connections)},
    {"render_cache", K_NUM, offsetof(settings, render_cache)},
    {"cache_bytes", K_SIZE, offsetof(settings, cache_bytes)},
    {"rate_limit", K_RATE, offsetof(settings, rate_limit)},
    {"signups_per_hour", K_RATE, offsetof(settings, signups_per_hour)},
    {"fleet_k", K_NUM, offsetof(settings, fleet_k)},
    {"fleet_top", K_NUM, offsetof(settings, fleet_top)},
    {"fleet_window", K_DUR, offsetof(settings, fleet_window)},
    {"fleet_refresh", K_DUR, offsetof(settings, fleet_refresh)},
};

/* 90s, 30m, 12h, 14d (or plain seconds). */
static bool parse_duration(const char *v, int64_t *out)
{
	char *end;
	errno = 0;
	double n = strtod(v, &end);
	double unit = 1e9;
	if (*end == 's' || *end == 'm' || *end == 'h' || *end == 'd' || *end == 'w') {
		unit = *end == 's'   ? 1e9
		       : *end == 'm' ? 60e9
		       : *end == 'h' ? 3600e9
		       : *end == 'd' ? 86400e9
				     : 7 * 86400e9;
		end++;
	}
	if (end == v || *end || errno || !(n > 0) || n * unit > 9e18)
		return false;
	*out = (int64_t)(n * unit);
	return true;
}

/* 1048576, 512KB, 16MB, 1GB (powers of 1024). */
static bool parse_size(const char *v, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);
	unsigned long long m = 1;
	if (!strcasecmp(end, "k") || !strcasecmp(end, "kb"))
		m = 1ULL << 10;
	else if (!strcasecmp(end, "m") || !strcasecmp(end, "mb"))
		m = 1ULL << 20;
	else if (!strcasecmp(end, "g") || !strcasecmp(end, "gb"))
		m = 1ULL << 30;
	else if (*end && strcasecmp(end, "b"))
		return false;
	if (end == v || errno || v[0] == '-' || n > (1ULL << 40) / m)
		return false;
	*out = (size_t)(n * m);
	return true;
}

static int set_key(settings *s, const char *name, const char *v, const char *where)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(name, keys[i].name))
			continue;
		void *dst = (char *)s + keys[i].off;
		char *end;
		bool ok = true;
		switch (keys[i].k) {
		case K_STR:
			*(const char **)dst = v;
			break;
		case K_DUR:
			ok = parse_duration(v, dst);
			break;
		case K_SIZE:
			ok = parse_size(v, dst);
			break;
		case K_NUM: {
			errno = 0;
			unsigned long long n = strtoull(v, &end, 10);
			ok = *v && *v != '-' && !*end && !errno && n <= 1000000000ULL;
			*(size_t *)dst = (size_t)n;
			break;
		}
		case K_RATE: {
			double d = strtod(v, &end);
			ok = *v && !*end && d >= 0 && d <= 1e9;
			*(double *)dst = d;
			break;
		}
		}
		if (!ok) {
			cli_error("%s%s=%s: a bad value (see hearth serve -help)", where, name, v);
			return EXIT_USAGE;
		}
		return EXIT_OK;
	}
	cli_error("%s%s: unknown setting (see hearth serve -help)", where, name);
	return EXIT_USAGE;
}

/* A YAML mapping of setting names to scalars, with libyaml. */
static int read_config(settings *s, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		cli_error("-config=%s: %s", path, strerror(errno));
		return EXIT_USAGE;
	}
	yaml_parser_t yp;
	yaml_event_t ev;
	int rc = EXIT_OK, depth = 0;
	char *key = NULL;
	yaml_parser_initialize(&yp);
	yaml_parser_set_input_file(&yp, f);
	for (bool done = false; !done && rc == EXIT_OK;) {
		if (!yaml_parser_parse(&yp, &ev)) {
			cli_error("%s:%zu: %s", path, yp.problem_mark.line + 1,
				  yp.problem ? yp.problem : "bad YAML");
			rc = EXIT_USAGE;
			break;
		}
		size_t line = ev.start_mark.line + 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = true;
			break;
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			if (++depth > 1 || ev.type == YAML_SEQUENCE_START_EVENT) {
				cli_error("%s:%zu: want a flat mapping (name: value)", path, line);
				rc = EXIT_USAGE;
			}
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			depth--;
			break;
		case YAML_ALIAS_EVENT:
			cli_error("%s:%zu: aliases are not read", path, line);
			rc = EXIT_USAGE;
			break;
		case YAML_SCALAR_EVENT: {
			const char *v = (const char *)ev.data.scalar.value;
			if (depth != 1) {
				cli_error("%s:%zu: want a mapping (name: value)", path, line);
				rc = EXIT_USAGE;
			} else if (!key) {
				key = strdup(v);
			} else if (s->nmem >= (int)(sizeof(s->mem) / sizeof(s->mem[0]))) {
				cli_error("%s:%zu: too many settings", path, line);
				rc = EXIT_USAGE;
			} else {
				char where[64];
				snprintf(where, sizeof(where), "%.40s:%zu: ", path, line);
				s->mem[s->nmem] = strdup(v);
				rc = s->mem[s->nmem] ? set_key(s, key, s->mem[s->nmem], where)
						     : EXIT_BAD_INPUT;
				s->nmem++;
				free(key);
				key = NULL;
			}
			break;
		}
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	free(key);
	yaml_parser_delete(&yp);
	fclose(f);
	return rc;
}

/* -name=value or -name value. */
static int parse_args(int argc, char **argv, settings *s, bool *help)
{
	const char *config = NULL;
	/* The config file first, so that the command line wins. */
	for (int pass = 0; pass < 2; pass++)
		for (int i = 1; i < argc; i++) {
			const char *a = argv[i];
			if (a[0] != '-' || !a[1]) {
				cli_error("serve: unexpected argument \"%s\"", a);
				return EXIT_USAGE;
			}
			const char *name = a + 1 + (a[1] == '-');
			if (!strcmp(name, "h") || !strcmp(name, "help")) {
				*help = true;
				return EXIT_OK;
			}
			char nm[64];
			const char *eq = strchr(name, '='), *v;
			size_t nl = eq ? (size_t)(eq - name) : strlen(name);
			if (nl >= sizeof(nm)) {
				cli_error("%s: unknown option", a);
				return EXIT_USAGE;
			}
			memcpy(nm, name, nl);
			nm[nl] = 0;
			if (eq) {
				v = eq + 1;
			} else if (i + 1 < argc) {
				v = argv[++i];
			} else {
				cli_error("option -%s needs a value", nm);
				return EXIT_USAGE;
			}
			if (!strcmp(nm, "config")) {
				config = v;
				if (pass == 0) {
					int rc = read_config(s, config);
					if (rc)
						return rc;
				}
				continue;
			}
			if (pass == 1) {
				int rc = set_key(s, nm, v, "-");
				if (rc)
					return rc;
			}
		}
	return EXIT_OK;
}

/* ---- the background work: rollups and the retention sweep ---- */

typedef struct {
	hearth_store *st;
	int64_t sweep_interval, compact_interval;
	bool stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} sweeper;

static int64_t now_nanos(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Rollups are built every compact_interval (the buckets that closed since),
 * the sweep runs every sweep_interval; both at start too.  Each is small
 * transactions in the store, so a stop or a kill at any moment is safe. */
static void *sweep_main(void *arg)
{
	sweeper *sw = arg;
	int64_t next_sweep = 0;
	pthread_mutex_lock(&sw->mu);
	while (!sw->stop) {
		pthread_mutex_unlock(&sw->mu);
		hearth_errbuf eb = {{0}};
		int64_t now = now_nanos();
		size_t n = 0;
		hearth_err err;
		if (now >= next_sweep) {
			next_sweep = now + sw->sweep_interval;
			if ((err = hearth_store_sweep(sw->st, now, &n, &eb)))
				fprintf(stderr, "hearth: retention sweep: %s\n",
					eb.msg[0] ? eb.msg : hearth_strerror(err));
			else if (n)
				fprintf(stderr, "hearth: retention sweep: %zu profiles deleted\n",
					n);
		}
		eb.msg[0] = 0;
		if ((err = hearth_store_compact(sw->st, now_nanos(), &n, &eb)))
			fprintf(stderr, "hearth: rollups: %s\n",
				eb.msg[0] ? eb.msg : hearth_strerror(err));
		pthread_mutex_lock(&sw->mu);
		int64_t wait = sw->compact_interval < sw->sweep_interval ? sw->compact_interval
									 : sw->sweep_interval;
		struct timespec dl;
		clock_gettime(CLOCK_REALTIME, &dl);
		dl.tv_sec += (time_t)(wait / 1000000000);
		dl.tv_nsec += (long)(wait % 1000000000);
		if (dl.tv_nsec >= 1000000000L)
			dl.tv_sec++, dl.tv_nsec -= 1000000000L;
		while (!sw->stop && pthread_cond_timedwait(&sw->cv, &sw->mu, &dl) == 0)
			;
	}
	pthread_mutex_unlock(&sw->mu);
	return NULL;
}

/* -scrape: hearth scrape's loop on a thread of its own, pushing to this
 * server over loopback HTTP with a push token of the scrape tenant (so its
 * profiles go through the same ingest as everyone's). */
typedef struct {
	hearth_scraper *sc;
	volatile bool stop;
} scrape_thread;

static void *scrape_main(void *arg)
{
	scrape_thread *t = arg;
	hearth_errbuf eb = {{0}};
	if (hearth_scraper_run(t->sc, &t->stop, 0, &eb))
		fprintf(stderr, "hearth: scrape: %s\n", eb.msg);
	return NULL;
}

/* GET /api/v1/targets of the scrape tenant: the loop's own /targets. */
static void scrape_targets(void *ctx, hearth_buf *out)
{
	hearth_scraper_targets(ctx, out, true);
}

static hearth_scraper *scrape_start(hearth_store *st, const settings *s, const char *url,
				    int64_t *tenantp, hearth_errbuf *eb)
{
	int64_t tenant;
	char token[HEARTH_TOKEN_LEN + 1];
	int64_t id;
	hearth_scraper *sc = NULL;
	/* The URL the server printed, without its trailing slash. */
	char base[160];
	snprintf(base, sizeof(base), "%s", url);
	size_t l = strlen(base);
	while (l && base[l - 1] == '/')
		base[--l] = 0;
	if (hearth_store_tenant_ensure(st, s->scrape_tenant ? s->scrape_tenant : "scrape", &tenant,
				       eb) ||
	    hearth_store_token_create(st, tenant, HEARTH_SCOPE_PUSH, "hearth serve -scrape", token,
				      &id, eb))
		return NULL;
	hearth_scraper_opts o = {.config_path = s->scrape, .push_url = base, .token = token};
	if (hearth_scraper_new(&o, &sc, eb))
		return NULL;
	*tenantp = tenant;
	return sc;
}

int cmd_serve(int argc, char **argv)
{
	settings s = {
	    .listen = "127.0.0.1:4040",
	    .data = "hearth-data",
	    .signup = "closed",
	    .sweep_interval = (int64_t)600 * 1000000000,
	    .compact_interval = (int64_t)60 * 1000000000,
	    .max_body = (size_t)16 << 20,
	    .max_connections = 256,
	    .rate_limit = 2000,
	    .signups_per_hour = 10,
	};
	bool help = false;
	/* Blocked before any thread starts (the store's, the server's, the
	 * sweep's): every thread inherits the mask, so SIGINT and SIGTERM come
	 * to sigwait below and never kill the process in another thread. */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	/* A file size limit (ulimit -f) then fails the store's writes with
	 * EFBIG, answered 507 as a full disk is, instead of killing the server
	 * with every request in flight. */
	signal(SIGXFSZ, SIG_IGN);
	int rc = parse_args(argc, argv, &s, &help);
	hearth_store *st = NULL;
	hearth_service *svc = NULL;
	hearth_http *http = NULL;
	hearth_errbuf eb = {{0}};
	sweeper sw = {0};
	pthread_t sweep_th;
	bool sweeping = false;
	scrape_thread scr = {0};
	pthread_t scrape_th;
	bool scraping = false;
	if (rc)
		goto done;
	if (help) {
		fputs(usage, stdout);
		goto done;
	}
	if (strcmp(s.signup, "open") && strcmp(s.signup, "closed")) {
		cli_error("-signup=%s: want open or closed", s.signup);
		rc = EXIT_USAGE;
		goto done;
	}
	if (s.max_labels > HEARTH_MAX_LABELS) {
		cli_error("-max_labels=%zu: at most %d", s.max_labels, HEARTH_MAX_LABELS);
		rc = EXIT_USAGE;
		goto done;
	}
	if (s.fleet_k && (s.fleet_k < HEARTH_FLEET_MIN_K || s.fleet_k > 1000000)) {
		cli_error("-fleet_k=%zu: at least %d", s.fleet_k, HEARTH_FLEET_MIN_K);
		rc = EXIT_USAGE;
		goto done;
	}
	if (s.fleet_top > 1000) {
		cli_error("-fleet_top=%zu: at most 1000", s.fleet_top);
		rc = EXIT_USAGE;
		goto done;
	}
	if (!s.store && mkdir(s.data, 0700) && errno != EEXIST) {
		cli_error("-data=%s: %s", s.data, strerror(errno));
		rc = EXIT_BAD_INPUT;
		goto done;
	}
	hearth_store_config scfg = {.retention_nanos = s.retention,
				    .max_series_per_tenant = (uint32_t)s.max_series,
				    .cache_bytes = s.cache_bytes,
				    .objects = s.objects,
				    .orphan_grace_nanos = s.orphan_grace};
	hearth_err err = hearth_store_open(s.store ? s.store : s.data, &scfg, &st, &eb);
	if (err) {
		cli_error("%s: %s", s.store ? s.store : s.data,
			  eb.msg[0] ? eb.msg : hearth_strerror(err));
		rc = err == HEARTH_EINVAL ? EXIT_USAGE : EXIT_BAD_INPUT;
		goto done;
	}
	hearth_service_config cfg = {
	    .ingest = {.max_body = s.max_body,
		       .max_decompressed = s.max_decompressed,
		       .max_samples = s.max_samples,
		       .max_locations = s.max_locations,
		       .max_labels = s.max_labels,
		       .max_label_len = s.max_label_len},
	    .rate_per_tenant = s.rate_limit,
	    .signups_per_hour = s.signups_per_hour,
	    .signup_open = !strcmp(s.signup, "open"),
	    .session_nanos = s.session,
	    .render_cache = s.render_cache,
	    .fleet = {.k = (uint32_t)s.fleet_k,
		      .window_nanos = s.fleet_window,
		      .top = (uint32_t)s.fleet_top},
	    .fleet_refresh_nanos = s.fleet_refresh,
	};
	if (!(svc = hearth_service_new(st, &cfg))) {
		cli_error("out of memory");
		rc = EXIT_BAD_INPUT;
		goto done;
	}
	hearth_http_config hc = {.handler = hearth_service_handle,
				 .ctx = svc,
				 .flag = "-listen",
				 .max_body = s.max_body,
				 .max_connections = (unsigned)s.max_connections,
				 .per_ip_connections = 64,
				 .timeout_s = 30,
				 /* An ingest body of 16 MB over a slow link: a minute. */
				 .read_deadline_s = 60};
	char url[128];
	bool loopback;
	if ((err = hearth_http_start(s.listen, &hc, &http, url, sizeof(url), &loopback, &eb))) {
		cli_error("%s", eb.msg[0] ? eb.msg : hearth_strerror(err));
		rc = err == HEARTH_EINVAL ? EXIT_USAGE : EXIT_BAD_INPUT;
		goto done;
	}
	sw.st = st;
	sw.sweep_interval = s.sweep_interval;
	sw.compact_interval = s.compact_interval;
	pthread_mutex_init(&sw.mu, NULL);
	pthread_cond_init(&sw.cv, NULL);
	sweeping = pthread_create(&sweep_th, NULL, sweep_main, &sw) == 0;
	if (!sweeping)
		fprintf(stderr, "hearth: note: no retention sweep nor rollups (cannot start "
				"their thread)\n");
	if (s.scrape) {
		int64_t tenant = 0;
		if (!(scr.sc = scrape_start(st, &s, url, &tenant, &eb))) {
			cli_error("-scrape=%s: %s", s.scrape, eb.msg);
			rc = EXIT_BAD_INPUT;
			goto done;
		}
		hearth_service_set_targets(svc, tenant, scrape_targets, scr.sc);
		scraping = pthread_create(&scrape_th, NULL, scrape_main, &scr) == 0;
		if (!scraping) {
			cli_error("-scrape: cannot start its thread");
			rc = EXIT_BAD_INPUT;
			goto done;
		}
	}
	printf("Serving hearth on %s\n", url);
	fflush(stdout);
	int sig = 0;
	sigwait(&set, &sig);
	/* The scraper first: its pushes in flight still find the server. */
	if (scraping) {
		scr.stop = true;
		pthread_join(scrape_th, NULL);
		scraping = false;
	}
	/* Stop taking connections; let the requests in flight finish, their
	 * budgets spent so that long reports and layouts end at once. */
	hearth_budget_stop_all();
	hearth_http_quiesce(http, 2000);
	rc = EXIT_OK;
done:
	if (scraping) {
		scr.stop = true;
		pthread_join(scrape_th, NULL);
	}
	if (svc)
		hearth_service_set_targets(svc, 0, NULL, NULL);
	hearth_scraper_free(scr.sc);
	if (sweeping) {
		pthread_mutex_lock(&sw.mu);
		sw.stop = true;
		pthread_cond_broadcast(&sw.cv);
		pthread_mutex_unlock(&sw.mu);
		pthread_join(sweep_th, NULL);
		pthread_mutex_destroy(&sw.mu);
		pthread_cond_destroy(&sw.cv);
	}
	hearth_http_stop(http);
	hearth_service_free(svc);
	if (st)
		hearth_store_close(st);
	for (int i = 0; i < s.nmem; i++)
		free(s.mem[i]);
	return rc;
}
