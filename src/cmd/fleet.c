/* hearth fleet: a tenant's part in the public fleet report of hearth serve
 * (docs/fleet.md), on a data directory, also while the server runs on it:
 * opt in, opt out, show the state; and the report itself as JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../cli.h"
#include "fleet/fleet.h"
#include "store/store.h"

static const char usage[] =
    "usage: hearth fleet optin  -data=DIR -tenant=NAME\n"
    "       hearth fleet optout -data=DIR -tenant=NAME\n"
    "       hearth fleet status -data=DIR -tenant=NAME [-window=24h]\n"
    "       hearth fleet report -data=DIR [-k=5] [-window=24h] [-top=50]\n"
    "\n"
    "-data is the server's data directory or its -store=postgres://... URL;\n"
    "-objects=URL its object store when the blocks are there (status, report).\n"
    "\n"
    "optin puts the tenant's CPU profiles into hearth serve's public fleet\n"
    "report (GC share and standard-library functions, anonymized: only\n"
    "aggregates over at least k tenants); optout takes them out of the next\n"
    "report.  status says which, and prints the tenant's own figures per\n"
    "service (JSON).  report prints the public report as the server would\n"
    "(JSON).  See docs/fleet.md.\n";

static bool duration(const char *v, int64_t *out)
{
	char *end;
	double n = strtod(v, &end), unit = 1e9;
	if (*end == 's' || *end == 'm' || *end == 'h' || *end == 'd') {
		unit = *end == 's' ? 1e9 : *end == 'm' ? 60e9 : *end == 'h' ? 3600e9 : 86400e9;
		end++;
	}
	if (end == v || *end || !(n > 0) || n * unit > 9e18)
		return false;
	*out = (int64_t)(n * unit);
	return true;
}

static int64_t now_nanos(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int cmd_fleet(int argc, char **argv)
{
	const char *verb = NULL, *data = NULL, *tenant_name = NULL, *kv = NULL, *wv = NULL,
		   *tv = NULL, *objects = NULL;
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
		if (IS("data") || IS("tenant") || IS("k") || IS("window") || IS("top") ||
		    IS("objects")) {
			if (!v) {
				if (i + 1 >= argc) {
					cli_error("fleet: option -%.*s needs a value", (int)nl,
						  name);
					return EXIT_USAGE;
				}
				v = argv[++i];
			}
			if (IS("data"))
				data = v;
			else if (IS("objects"))
				objects = v;
			else if (IS("tenant"))
				tenant_name = v;
			else if (IS("k"))
				kv = v;
			else if (IS("window"))
				wv = v;
			else
				tv = v;
			continue;
		}
#undef IS
		if (a[0] == '-' || verb) {
			cli_error("fleet: unexpected argument %s (see hearth fleet -h)", a);
			return EXIT_USAGE;
		}
		verb = a;
	}
	static const char *const verbs[] = {"optin", "optout", "status", "report"};
	int vi = -1;
	for (int i = 0; verb && i < 4; i++)
		if (!strcmp(verb, verbs[i]))
			vi = i;
	if (vi < 0) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!data || (vi < 3 && !tenant_name)) {
		cli_error(vi < 3 ? "fleet %s: -data=DIR and -tenant=NAME are required"
				 : "fleet %s: -data=DIR is required",
			  verb);
		return EXIT_USAGE;
	}
	hearth_fleet_config cfg = {0};
	if (kv) {
		char *end;
		long long k = strtoll(kv, &end, 10);
		if (*end || k < HEARTH_FLEET_MIN_K || k > 1000000) {
			cli_error("fleet: -k=%s: a number, at least %d", kv, HEARTH_FLEET_MIN_K);
			return EXIT_USAGE;
		}
		cfg.k = (uint32_t)k;
	}
	if (tv) {
		char *end;
		long long t = strtoll(tv, &end, 10);
		if (*end || t < 1 || t > 1000) {
			cli_error("fleet: -top=%s: a number from 1 to 1000", tv);
			return EXIT_USAGE;
		}
		cfg.top = (uint32_t)t;
	}
	if (wv && !duration(wv, &cfg.window_nanos)) {
		cli_error("fleet: -window=%s: a duration (90s, 30m, 24h, 7d)", wv);
		return EXIT_USAGE;
	}

	hearth_errbuf eb = {{0}};
	hearth_store *st = NULL;
	int rc = EXIT_BAD_INPUT;
	json_t *o = NULL;
	hearth_store_config scfg = {.objects = objects};
	if (hearth_store_open(data, &scfg, &st, &eb)) {
		cli_error("fleet: %s", eb.msg);
		return EXIT_BAD_INPUT;
	}
	int64_t tenant = 0;
	if (vi < 3 && hearth_store_tenant_lookup(st, tenant_name, &tenant, &eb)) {
		cli_error("fleet %s: %s: %s", verb, tenant_name, eb.msg);
		goto out;
	}
	if (vi < 2) {
		if (hearth_store_fleet_set(st, tenant, vi == 0, &eb)) {
			cli_error("fleet %s: %s", verb, eb.msg);
			goto out;
		}
		printf("tenant %s: %s the fleet report\n", tenant_name, vi == 0 ? "in" : "out of");
		rc = EXIT_OK;
		goto out;
	}
	hearth_err err = vi == 2 ? hearth_fleet_tenant(st, tenant, &cfg, now_nanos(), &o, &eb)
				 : hearth_fleet_report(st, &cfg, now_nanos(), &o, &eb);
	if (err) {
		cli_error("fleet %s: %s", verb, eb.msg);
		goto out;
	}
	char *s = json_dumps(o, JSON_INDENT(2));
	if (!s) {
		cli_error("fleet %s: out of memory", verb);
		goto out;
	}
	puts(s);
	free(s);
	rc = EXIT_OK;
out:
	json_decref(o);
	hearth_store_close(st);
	return rc;
}
