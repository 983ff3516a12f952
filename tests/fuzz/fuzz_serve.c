/* libFuzzer target: hearth serve's request handling (server/service.c and
 * its siblings, compiled in here) over a real store in a temporary
 * directory: the routes, the Authorization header (Bearer, Basic's
 * base64), the session cookie and CSRF header, query strings (selectors,
 * times, steps, cursors, report options), the render cache's keys and the
 * ingest bodies.
 *
 * (tests/fuzz/Makefile links the server's files in.)
 *
 * The first byte picks the method and how the request authenticates (none,
 * a valid Bearer token, a valid Basic, the session cookie with or without
 * its CSRF header, or the fuzzer's own Authorization header); the rest is
 * "path\nquery\nheader\nbody".  Every answer must be a status the API
 * documents, JSON where it says JSON (an error with a one-line "error"),
 * and nothing may crash or leak.  The call graph (Graphviz, slow) is left
 * out; tests/cli/serve.sh covers the rest with real requests.
 *
 * Build and run: make fuzz; tests/fuzz/run.sh short|long (from the
 * repository root). */
#include <dirent.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "../../server/service.h"
#include "../../server/layout.h"

/* The call graph's layout runs in a child process of the hearth binary,
 * which a fuzzer is not; graph requests are left out (below), so one that
 * still reaches a layout gets an error. */
hearth_err hearth_layout(const char *dot, size_t n, const char *format, hearth_buf *out,
			 hearth_errbuf *eb)
{
	(void)dot, (void)n, (void)format, (void)out;
	return hearth_seterr(eb, HEARTH_EINVAL, "layout: not in the fuzzer");
}

/* The UI's files are not linked in (they are generated at build time). */
void hearth_ui_serve(const char *path, hearth_api_resp *resp)
{
	hearth_api_error(resp, 404, "not found");
}

static hearth_service *svc;
static char tmpdir[] = "/tmp/hearth-fuzz-serve-XXXXXX";

/* The store's files go with the process. */
static void remove_tmpdir(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *de;
	char path[256];
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(tmpdir);
}
static char bearer[128], basic[160], cookie[128], csrf[80];

static void answer_or_die(const hearth_req *req, hearth_api_resp *resp)
{
	memset(resp, 0, sizeof(*resp));
	hearth_service_handle(svc, req, resp);
	if (resp->status != 200) {
		fprintf(stderr, "fuzz_serve setup: %s: %d %s\n", req->path, resp->status,
			resp->body.data ? resp->body.data : "");
		abort();
	}
}

static void setup(void)
{
	char *dir = tmpdir;
	hearth_errbuf eb = {{0}};
	hearth_store *st = NULL;
	hearth_store_config scfg = {0};
	if (!mkdtemp(dir) || (atexit(remove_tmpdir), hearth_store_open(dir, &scfg, &st, &eb))) {
		fprintf(stderr, "fuzz_serve: cannot open a store in %s: %s\n", dir, eb.msg);
		abort();
	}
	int64_t tenant, id;
	char token[HEARTH_TOKEN_LEN + 1];
	if (hearth_store_tenant_ensure(st, "fuzz", &tenant, &eb) ||
	    hearth_store_token_create(st, tenant,
				      HEARTH_SCOPE_PUSH | HEARTH_SCOPE_READ | HEARTH_SCOPE_ADMIN,
				      "fuzz", token, &id, &eb))
		abort();
	hearth_service_config cfg = {.render_cache = 2};
	if (!(svc = hearth_service_new(st, &cfg)))
		abort();
	snprintf(bearer, sizeof(bearer), "Bearer %s", token);
	char up[128];
	snprintf(up, sizeof(up), "fuzz:%s", token);
	unsigned char b64[160];
	EVP_EncodeBlock(b64, (const unsigned char *)up, (int)strlen(up));
	snprintf(basic, sizeof(basic), "Basic %s", b64);
	/* One profile, so that queries and views have data. */
	FILE *f = fopen("tests/data/leaky.cpu.pb.gz", "rb");
	char body[1 << 16];
	size_t n = f ? fread(body, 1, sizeof(body), f) : 0;
	if (f)
		fclose(f);
	if (!n) {
		fprintf(stderr, "fuzz_serve: run from the repository root\n");
		abort();
	}
	hearth_api_resp resp;
	hearth_req req = {.method = "POST",
			  .path = "/api/v1/push",
			  .query = "service=api&labels=env=prod",
			  .qlen = strlen("service=api&labels=env=prod"),
			  .authorization = bearer,
			  .body = body,
			  .body_len = n,
			  .client = "127.0.0.1"};
	answer_or_die(&req, &resp);
	hearth_api_resp_free(&resp);
	char login[256];
	snprintf(login, sizeof(login), "{\"token\":\"%s\"}", token);
	req = (hearth_req){.method = "POST",
			   .path = "/api/v1/login",
			   .query = "",
			   .content_type = "application/json",
			   .body = login,
			   .body_len = strlen(login),
			   .client = "127.0.0.1"};
	answer_or_die(&req, &resp);
	const char *c = resp.set_cookie, *e = strchr(c, ';');
	snprintf(cookie, sizeof(cookie), "%.*s", e ? (int)(e - c) : (int)strlen(c), c);
	json_error_t je;
	json_t *j = json_loadb(resp.body.data, resp.body.len, 0, &je);
	snprintf(csrf, sizeof(csrf), "%s", json_string_value(json_object_get(j, "csrf")));
	json_decref(j);
	hearth_api_resp_free(&resp);
}

/* The next '\n'-terminated part of [*p, end), NUL-terminated in out. */
static char *part(const uint8_t **p, const uint8_t *end, char *out, size_t n)
{
	const uint8_t *nl = memchr(*p, '\n', (size_t)(end - *p));
	size_t len = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
	if (len >= n)
		len = n - 1;
	memcpy(out, *p, len);
	out[len] = 0;
	*p = nl ? nl + 1 : end;
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const methods[] = {"GET", "POST", "DELETE", "HEAD"};
	if (!svc)
		setup();
	if (size < 1 || size > 8192)
		return 0;
	const uint8_t *p = data + 1, *end = data + size;
	char path[512], query[2048], hdr[512];
	part(&p, end, path, sizeof(path));
	part(&p, end, query, sizeof(query));
	part(&p, end, hdr, sizeof(hdr));
	/* The call graph is Graphviz's, slow: tests/cli/serve.sh draws it. */
	if (strstr(path, "graph") || strstr(query, "svg"))
		return 0;
	/* A path as http.c hands it over: decoded, starting with '/'. */
	if (path[0] != '/' || strlen(path) != strcspn(path, "\r"))
		return 0;
	hearth_req req = {
	    .method = methods[data[0] & 3],
	    .path = path,
	    .query = query,
	    .qlen = strlen(query),
	    .content_type = (data[0] & 0x80) ? "application/json" : "application/octet-stream",
	    .body = p,
	    .body_len = (size_t)(end - p),
	    .client = "127.0.0.1",
	};
	switch ((data[0] >> 2) & 7) {
	case 1:
		req.authorization = bearer;
		break;
	case 2:
		req.authorization = basic;
		break;
	case 3:
		req.cookie = cookie;
		break;
	case 4:
		req.cookie = cookie;
		req.csrf = csrf;
		break;
	case 5:
		req.authorization = hdr;
		break;
	case 6:
		req.cookie = hdr;
		break;
	default:
		break;
	}
	/* Logging out or revoking would end the session and the token the
	 * other inputs use. */
	if (strstr(path, "logout") || (strstr(path, "tokens/") && req.method[0] == 'D'))
		return 0;
	hearth_api_resp resp = {0};
	hearth_service_handle(svc, &req, &resp);
	int st = resp.status;
	static const int known[] = {200, 400, 401, 403, 404, 405, 413, 415, 429, 503, 507};
	bool ok = false;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		ok |= st == known[i];
	if (!ok) {
		fprintf(stderr, "fuzz_serve: %s %s?%s: status %d: %s\n", req.method, path, query,
			st, resp.body.data ? resp.body.data : "");
		abort();
	}
	bool is_json = resp.type && !strncmp(resp.type, "application/json", 16);
	if (is_json) {
		json_error_t je;
		json_t *j = json_loadb(resp.body.data ? resp.body.data : "", resp.body.len, 0, &je);
		if (!j) {
			fprintf(stderr, "fuzz_serve: %s: not JSON: %s\n", path, je.text);
			abort();
		}
		if (st != 200) {
			const char *m = json_string_value(json_object_get(j, "error"));
			if (!m || !*m || strchr(m, '\n')) {
				fprintf(stderr, "fuzz_serve: error without a one-line message\n");
				abort();
			}
		}
		json_decref(j);
	} else if (st != 200) {
		abort();
	}
	hearth_api_resp_free(&resp);
	return 0;
}
