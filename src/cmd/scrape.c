/* hearth scrape: pulls profiles from the net/http/pprof endpoints a scrape
 * configuration names and pushes them to a hearth server (lib/collect/).
 * The /metrics and /targets listener is a small libmicrohttpd handler of
 * its own here (server/http.c is hearth serve's transport; a scraper needs
 * two read-only pages, not its sessions and limits). */
#include <arpa/inet.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <microhttpd.h>

#include "../cli.h"
#include "collect/collect.h"

static const char usage[] =
    "usage: hearth scrape -config=scrape.yaml [-push=URL [-token=T]] [-spool=DIR]\n"
    "                     [-spool_size=MB] [-listen=ADDR] [-concurrency=N] [-save=DIR]\n"
    "                     [-rounds=N] [-targets] [-check] [-dns_server=IP:PORT]\n"
    "\n"
    "Scrapes the net/http/pprof endpoints of every target the configuration\n"
    "names (static_configs, file_sd_configs, dns_sd_configs, relabel_configs,\n"
    "in Prometheus' and Parca's YAML; see docs/scrape.md) once per\n"
    "scrape_interval, every profile type of profiling_config at once, and\n"
    "pushes them to the hearth server at URL (its /api/v1/push) with the\n"
    "token T (default: $HEARTH_TOKEN).  Cumulative profiles (allocs, heap's\n"
    "alloc_* values, block, mutex) are sent as the difference from the\n"
    "previous scrape of the same target; the first scrape is only the base.\n"
    "\n"
    "  -push=URL       the server, http://host:4040; without it nothing is pushed\n"
    "  -spool=DIR      keep what waits for the server on disk (else in memory);\n"
    "                  a restarted scraper sends what an earlier one left there\n"
    "  -spool_size=MB  the spool's cap (default 256); the oldest go first, counted\n"
    "  -listen=ADDR    serve /metrics (Prometheus text) and /targets (JSON) on\n"
    "                  ADDR (host:port, port 0 for any)\n"
    "  -concurrency=N  scrapes in flight at most (default 1000)\n"
    "  -save=DIR       also write every raw scrape under DIR/job/instance/type/\n"
    "  -rounds=N       scrape every target N times, send everything, then exit\n"
    "  -targets        scrape every target once, print each one's labels,\n"
    "                  health, last scrape, duration and error, then exit\n"
    "                  (status 1 when a target is down)\n"
    "  -check          read and check the configuration only\n"
    "  -dns_server=IP:PORT  dns_sd_configs ask this DNS server (IPv4) instead of\n"
    "                  those of /etc/resolv.conf\n"
    "\n"
    "SIGINT and SIGTERM stop it; what is not yet pushed stays in the spool.\n";

static volatile bool stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = true;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
			      const char *method, const char *version, const char *upload,
			      size_t *upload_n, void **state)
{
	hearth_scraper *s = cls;
	hearth_buf b = {0};
	unsigned status = MHD_HTTP_OK;
	const char *ctype = "text/plain; version=0.0.4; charset=utf-8";
	if (strcmp(method, "GET") && strcmp(method, "HEAD")) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		hearth_buf_puts(&b, "GET only\n");
	} else if (!strcmp(url, "/metrics")) {
		hearth_scraper_metrics(s, &b);
	} else if (!strcmp(url, "/targets")) {
		ctype = "application/json";
		hearth_scraper_targets(s, &b, true);
	} else {
		status = MHD_HTTP_NOT_FOUND;
		hearth_buf_puts(&b, "hearth scrape: /metrics, /targets\n");
	}
	if (b.oom) {
		hearth_buf_free(&b);
		return MHD_NO;
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    b.len, b.data ? b.data : (char *)"",
	    b.data ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		hearth_buf_free(&b);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", ctype);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* host:port (IPv4, a name, or [v6]) to a socket address. */
static bool parse_listen(const char *addr, struct sockaddr_storage *ss, socklen_t *len)
{
	char host[256];
	const char *colon = strrchr(addr, ':');
	if (!colon || (size_t)(colon - addr) >= sizeof(host))
		return false;
	memcpy(host, addr, (size_t)(colon - addr));
	host[colon - addr] = 0;
	char *h = host;
	if (h[0] == '[') {
		h++;
		h[strcspn(h, "]")] = 0;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
	if (getaddrinfo(*h ? h : NULL, colon + 1, &hints, &res))
		return false;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return true;
}

int cmd_scrape(int argc, char **argv)
{
	const char *config = NULL, *push = NULL, *token = getenv("HEARTH_TOKEN"), *spool = NULL,
		   *listen = NULL, *save = NULL, *dns_server = NULL;
	long spool_mb = 256, concurrency = 1000, rounds = 0;
	bool targets = false, check = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *name = a + (a[0] == '-') + (a[0] == '-' && a[1] == '-');
		const char *eq = a[0] == '-' ? strchr(name, '=') : NULL;
		size_t nl = eq ? (size_t)(eq - name) : strlen(name);
		const char *v = eq ? eq + 1 : NULL;
#define IS(s) (a[0] == '-' && nl == strlen(s) && !strncmp(name, s, nl))
		if (IS("h") || IS("help")) {
			fputs(usage, stdout);
			return EXIT_OK;
		}
		if (IS("targets") || IS("check")) {
			if (v) {
				cli_error("scrape: -%.*s takes no value", (int)nl, name);
				return EXIT_USAGE;
			}
			if (IS("targets"))
				targets = true;
			else
				check = true;
			continue;
		}
		if (IS("config") || IS("push") || IS("token") || IS("spool") || IS("listen") ||
		    IS("save") || IS("spool_size") || IS("concurrency") || IS("rounds") ||
		    IS("dns_server")) {
			if (!v) {
				if (i + 1 >= argc) {
					cli_error("scrape: option -%.*s needs a value", (int)nl,
						  name);
					return EXIT_USAGE;
				}
				v = argv[++i];
			}
			if (IS("spool_size") || IS("concurrency") || IS("rounds")) {
				char *end;
				long n = strtol(v, &end, 10);
				if (!*v || *end || n < (IS("rounds") ? 0 : 1) || n > 1000000) {
					cli_error("scrape: -%.*s=%s: not a number in range",
						  (int)nl, name, v);
					return EXIT_USAGE;
				}
				if (IS("spool_size"))
					spool_mb = n;
				else if (IS("concurrency"))
					concurrency = n;
				else
					rounds = n;
			} else if (IS("config"))
				config = v;
			else if (IS("push"))
				push = v;
			else if (IS("token"))
				token = v;
			else if (IS("spool"))
				spool = v;
			else if (IS("listen"))
				listen = v;
			else if (IS("dns_server"))
				dns_server = v;
			else
				save = v;
			continue;
		}
#undef IS
		cli_error("scrape: unexpected argument %s (see hearth scrape -h)", a);
		return EXIT_USAGE;
	}
	if (!config) {
		cli_error("scrape: -config=FILE is required (see hearth scrape -h)");
		return EXIT_USAGE;
	}
	if (push && strncmp(push, "http://", 7) && strncmp(push, "https://", 8)) {
		cli_error("scrape: -push=%s: not an http(s) URL", push);
		return EXIT_USAGE;
	}
	hearth_errbuf eb = {{0}};
	if (check) {
		hearth_scrape_config cfg;
		if (hearth_scrape_config_read(config, &cfg, &eb)) {
			cli_error("scrape: %s", eb.msg);
			return EXIT_BAD_INPUT;
		}
		size_t nt = 0;
		for (size_t i = 0; i < cfg.njobs; i++)
			for (size_t k = 0; k < cfg.jobs[i].nstatics; k++)
				nt += cfg.jobs[i].statics[k].ntargets;
		printf("%s: %zu jobs, %zu static targets\n", config, cfg.njobs, nt);
		hearth_scrape_config_free(&cfg);
		return EXIT_OK;
	}
	/* A thousand targets are a thousand sockets at once (cpu profiles
	 * stay open for their seconds): the soft limit goes up to the hard. */
	struct rlimit rl;
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	hearth_scraper_opts o = {.config_path = config,
				 .push_url = push,
				 .token = token,
				 .spool_dir = spool,
				 .spool_max_bytes = (size_t)spool_mb << 20,
				 .max_concurrency = (size_t)concurrency,
				 .save_dir = save,
				 .dns_server = dns_server};
	hearth_scraper *s;
	if (hearth_scraper_new(&o, &s, &eb)) {
		cli_error("scrape: %s", eb.msg);
		return EXIT_BAD_INPUT;
	}
	struct MHD_Daemon *d = NULL;
	if (listen) {
		struct sockaddr_storage ss;
		socklen_t sl;
		if (!parse_listen(listen, &ss, &sl)) {
			cli_error("scrape: -listen=%s: not host:port", listen);
			hearth_scraper_free(s);
			return EXIT_USAGE;
		}
		/* poll or epoll, not select: with a thousand targets the
		 * listener's connections get descriptors above FD_SETSIZE. */
		d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO |
					 (ss.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
				     0, NULL, NULL, answer, s, MHD_OPTION_SOCK_ADDR, &ss,
				     MHD_OPTION_CONNECTION_LIMIT, 64u,
				     MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
		if (!d) {
			cli_error("scrape: cannot listen on %s", listen);
			hearth_scraper_free(s);
			return EXIT_BAD_INPUT;
		}
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
		char host[256];
		snprintf(host, sizeof(host), "%.*s", (int)(strrchr(listen, ':') - listen), listen);
		printf("Serving hearth scrape metrics on http://%s:%u/metrics\n",
		       *host ? host : "0.0.0.0", di ? di->port : 0);
		fflush(stdout);
	}
	int rc = EXIT_OK;
	if (hearth_scraper_run(s, &stop, targets ? 1 : (int)rounds, &eb)) {
		cli_error("scrape: %s", eb.msg);
		rc = EXIT_BAD_INPUT;
	}
	if (targets) {
		hearth_buf b = {0};
		hearth_scraper_targets(s, &b, false);
		if (b.data)
			fputs(b.data, stdout);
		if (b.data && strstr(b.data, " down "))
			rc = EXIT_BAD_INPUT;
		hearth_buf_free(&b);
	}
	if (d)
		MHD_stop_daemon(d);
	hearth_scraper_free(s);
	return rc;
}
