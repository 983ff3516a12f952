/* hearth token: create, list and revoke a tenant's tokens in a data
 * directory, also while `hearth serve` runs on it (SQLite in WAL mode lets
 * a second process write between the server's transactions). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../cli.h"
#include "store/store.h"

static const char usage[] =
    "usage: hearth token create -data=DIR -tenant=NAME [-scope=push,read] [-description=TEXT]\n"
    "       hearth token list   -data=DIR -tenant=NAME\n"
    "       hearth token revoke -data=DIR -tenant=NAME ID\n"
    "\n"
    "Manages the tokens of a tenant of the store in DIR (hearth serve's\n"
    "-data).  create makes the tenant when it is new and prints the new\n"
    "token as its last line; only its SHA-256 is kept, so it cannot be shown\n"
    "again.  Scopes: push, read, admin (default push,read).  list shows each\n"
    "token's id, scopes, first characters, dates and state; revoke ID\n"
    "refuses the token from then on.  Works while a server runs on DIR.\n";

static void fmt_time(int64_t ns, char *out, size_t n)
{
	if (!ns) {
		snprintf(out, n, "-");
		return;
	}
	time_t t = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int cmd_token(int argc, char **argv)
{
	const char *verb = NULL, *data = NULL, *tenant_name = NULL, *scope = "push,read",
		   *desc = NULL, *idarg = NULL;
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
		if (IS("data") || IS("tenant") || IS("scope") || IS("description")) {
			if (!v) {
				if (i + 1 >= argc) {
					cli_error("token: option -%.*s needs a value", (int)nl,
						  name);
					return EXIT_USAGE;
				}
				v = argv[++i];
			}
			if (IS("data"))
				data = v;
			else if (IS("tenant"))
				tenant_name = v;
			else if (IS("scope"))
				scope = v;
			else
				desc = v;
			continue;
		}
#undef IS
		if (a[0] == '-') {
			cli_error("token: unknown option %s (see hearth token -h)", a);
			return EXIT_USAGE;
		}
		if (!verb)
			verb = a;
		else if (!idarg)
			idarg = a;
		else {
			cli_error("token: unexpected argument %s", a);
			return EXIT_USAGE;
		}
	}
	if (!verb || (strcmp(verb, "create") && strcmp(verb, "list") && strcmp(verb, "revoke"))) {
		fputs(usage, stderr);
		return EXIT_USAGE;
	}
	if (!data || !tenant_name) {
		cli_error("token %s: -data=DIR and -tenant=NAME are required", verb);
		return EXIT_USAGE;
	}
	bool revoke = !strcmp(verb, "revoke");
	if (revoke != (idarg != NULL)) {
		cli_error(revoke ? "token revoke: which token id?"
				 : "token %s: unexpected argument %s",
			  verb, idarg ? idarg : "");
		return EXIT_USAGE;
	}
	int64_t id = 0;
	if (revoke) {
		char *end;
		long long x = strtoll(idarg, &end, 10);
		if (*end || x <= 0) {
			cli_error("token revoke: bad token id %s", idarg);
			return EXIT_USAGE;
		}
		id = x;
	}
	unsigned scopes = 0;
	hearth_errbuf eb = {{0}};
	if (!strcmp(verb, "create") && hearth_scopes_parse(scope, &scopes, &eb)) {
		cli_error("token create: %s", eb.msg);
		return EXIT_USAGE;
	}

	hearth_store *st = NULL;
	int rc = EXIT_BAD_INPUT;
	if (hearth_store_open(data, NULL, &st, &eb)) {
		cli_error("token: %s", eb.msg);
		return EXIT_BAD_INPUT;
	}
	int64_t tenant = 0;
	if (!strcmp(verb, "create")) {
		char tok[HEARTH_TOKEN_LEN + 1], sc[32];
		if (hearth_store_tenant_ensure(st, tenant_name, &tenant, &eb) ||
		    hearth_store_token_create(st, tenant, scopes, desc, tok, &id, &eb)) {
			cli_error("token create: %s", eb.msg);
			goto out;
		}
		hearth_scopes_format(scopes, sc, sizeof(sc));
		printf("token %lld of tenant %s (scopes %s):\n%s\n", (long long)id, tenant_name, sc,
		       tok);
		rc = EXIT_OK;
		goto out;
	}
	if (hearth_store_tenant_lookup(st, tenant_name, &tenant, &eb)) {
		cli_error("token %s: %s: %s", verb, tenant_name, eb.msg);
		goto out;
	}
	if (revoke) {
		if (hearth_store_token_revoke(st, tenant, id, &eb)) {
			cli_error("token revoke: %s", eb.msg);
			goto out;
		}
		printf("token %lld of tenant %s revoked\n", (long long)id, tenant_name);
		rc = EXIT_OK;
		goto out;
	}
	enum { MAX = 10000 };
	hearth_token_info *info = calloc(MAX, sizeof(*info));
	size_t n = 0;
	if (!info) {
		cli_error("token list: out of memory");
		goto out;
	}
	if (hearth_store_token_list(st, tenant, info, MAX, &n, &eb)) {
		cli_error("token list: %s", eb.msg);
		free(info);
		goto out;
	}
	printf("%-6s %-16s %-12s %-20s %-20s %-8s %s\n", "ID", "SCOPES", "PREFIX", "CREATED",
	       "LAST USED", "STATE", "DESCRIPTION");
	for (size_t i = 0; i < n; i++) {
		char sc[32], c[32], u[32];
		hearth_scopes_format(info[i].scopes, sc, sizeof(sc));
		fmt_time(info[i].created_nanos, c, sizeof(c));
		fmt_time(info[i].last_used_nanos, u, sizeof(u));
		printf("%-6lld %-16s %-12s %-20s %-20s %-8s %s\n", (long long)info[i].id, sc,
		       info[i].prefix, c, u, info[i].revoked ? "revoked" : "active",
		       info[i].description);
	}
	free(info);
	rc = EXIT_OK;
out:
	hearth_store_close(st);
	return rc;
}
