/* The scrape configuration: YAML in the shape Prometheus and Parca users
 * know (scrape_configs, static_configs, file_sd_configs, dns_sd_configs,
 * relabel_configs, profiling_config), read with libyaml's document loader
 * and checked key by key.  Every mistake names the file and the line. */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <yaml.h>

#include "collect/collect.h"

/* ---- Label sets ------------------------------------------------------- */

static int find_label(const hearth_labelset *ls, const char *name, size_t *at)
{
	size_t lo = 0, hi = ls->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(ls->v[mid].name, name);
		if (c == 0) {
			*at = mid;
			return 1;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return 0;
}

const char *hearth_labelset_get(const hearth_labelset *ls, const char *name)
{
	size_t at;
	return find_label(ls, name, &at) ? ls->v[at].value : NULL;
}

hearth_err hearth_labelset_set(hearth_labelset *ls, const char *name, const char *value)
{
	size_t at;
	bool found = find_label(ls, name, &at);
	if (!value || !*value) {
		if (found) {
			free(ls->v[at].name);
			free(ls->v[at].value);
			memmove(ls->v + at, ls->v + at + 1, (ls->n - at - 1) * sizeof(*ls->v));
			ls->n--;
		}
		return HEARTH_OK;
	}
	char *v = strdup(value);
	if (!v)
		return HEARTH_ENOMEM;
	if (found) {
		free(ls->v[at].value);
		ls->v[at].value = v;
		return HEARTH_OK;
	}
	char *k = strdup(name);
	hearth_label_pair *nv = realloc(ls->v, (ls->n + 1) * sizeof(*ls->v));
	if (!k || !nv) {
		free(k);
		free(v);
		if (nv)
			ls->v = nv;
		return HEARTH_ENOMEM;
	}
	ls->v = nv;
	memmove(ls->v + at + 1, ls->v + at, (ls->n - at) * sizeof(*ls->v));
	ls->v[at] = (hearth_label_pair){k, v};
	ls->n++;
	return HEARTH_OK;
}

hearth_err hearth_labelset_copy(hearth_labelset *dst, const hearth_labelset *src)
{
	*dst = (hearth_labelset){0};
	for (size_t i = 0; i < src->n; i++)
		if (hearth_labelset_set(dst, src->v[i].name, src->v[i].value)) {
			hearth_labelset_free(dst);
			return HEARTH_ENOMEM;
		}
	return HEARTH_OK;
}

void hearth_labelset_free(hearth_labelset *ls)
{
	for (size_t i = 0; i < ls->n; i++) {
		free(ls->v[i].name);
		free(ls->v[i].value);
	}
	free(ls->v);
	*ls = (hearth_labelset){0};
}

/* Prometheus' label names: [a-zA-Z_][a-zA-Z0-9_]*. */
static bool label_name_ok(const char *s)
{
	if (!*s || strlen(s) > 128 || !(isalpha((unsigned char)*s) || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

/* ---- Values ----------------------------------------------------------- */

hearth_err hearth_duration_parse(const char *s, int64_t *ms)
{
	/* Units in the order Prometheus requires them, each at most once. */
	static const struct {
		const char *u;
		int64_t ms;
	} units[] = {{"y", 365LL * 86400000},
		     {"w", 7LL * 86400000},
		     {"d", 86400000},
		     {"h", 3600000},
		     {"m", 60000},
		     {"s", 1000},
		     {"ms", 1}};
	const size_t nunits = sizeof(units) / sizeof(units[0]);
	*ms = 0;
	if (!strcmp(s, "0"))
		return HEARTH_OK;
	if (!*s)
		return HEARTH_EINVAL;
	size_t next = 0;
	int64_t total = 0;
	while (*s) {
		if (!isdigit((unsigned char)*s))
			return HEARTH_EINVAL;
		int64_t v = 0;
		while (isdigit((unsigned char)*s)) {
			if (v > 1000000000000LL)
				return HEARTH_EINVAL;
			v = v * 10 + (*s++ - '0');
		}
		size_t ul = 0;
		while (isalpha((unsigned char)s[ul]))
			ul++;
		size_t k = next;
		while (k < nunits && !(strlen(units[k].u) == ul && !strncmp(s, units[k].u, ul)))
			k++;
		if (k == nunits || ul == 0)
			return HEARTH_EINVAL;
		if (v > INT64_MAX / 4 / units[k].ms || total > INT64_MAX / 4)
			return HEARTH_EINVAL;
		total += v * units[k].ms;
		next = k + 1;
		s += ul;
	}
	*ms = total;
	return HEARTH_OK;
}

/* Prometheus' body_size_limit: a number with B, KB, MB, GB (powers of 2;
 * KiB, MiB, GiB too). */
static hearth_err size_parse(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || errno || !isdigit((unsigned char)*s))
		return HEARTH_EINVAL;
	unsigned long long mul = 1;
	if (!*end || !strcmp(end, "B"))
		mul = 1;
	else if (!strcmp(end, "KB") || !strcmp(end, "KiB"))
		mul = 1ULL << 10;
	else if (!strcmp(end, "MB") || !strcmp(end, "MiB"))
		mul = 1ULL << 20;
	else if (!strcmp(end, "GB") || !strcmp(end, "GiB"))
		mul = 1ULL << 30;
	else
		return HEARTH_EINVAL;
	if (v > (1ULL << 40) / mul)
		return HEARTH_EINVAL;
	*out = (size_t)(v * mul);
	return HEARTH_OK;
}

/* ---- The YAML tree ---------------------------------------------------- */

typedef struct {
	const char *name;
	yaml_document_t *doc;
	hearth_errbuf *eb;
	size_t ntargets; /* across the whole file, against the cap */
} ctx;

static int line_of(const yaml_node_t *n)
{
	return n ? (int)n->start_mark.line + 1 : 0;
}

__attribute__((format(printf, 3, 4))) static hearth_err fail(ctx *c, const yaml_node_t *n,
							     const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Values quoted from the file may hold control characters: the
	 * message stays one line. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return hearth_seterr(c->eb, HEARTH_EINVAL, "%s:%d: %s", c->name, line_of(n), msg);
}

static yaml_node_t *node(ctx *c, int id)
{
	return yaml_document_get_node(c->doc, id);
}

static bool is_null(const yaml_node_t *n)
{
	if (!n)
		return true;
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *v = (const char *)n->data.scalar.value;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

static const char *kind(const yaml_node_t *n)
{
	if (is_null(n))
		return "nothing";
	switch (n->type) {
	case YAML_SCALAR_NODE:
		return "a value";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_MAPPING_NODE:
		return "a mapping";
	default:
		return "nothing";
	}
}

/* A scalar's text; NUL bytes inside (YAML's "\0" escape) are refused. */
static hearth_err scalar(ctx *c, const yaml_node_t *n, const char *key, const char **out)
{
	if (!n || n->type != YAML_SCALAR_NODE)
		return fail(c, n, "%s: expected a value, found %s", key, kind(n));
	if (strlen((const char *)n->data.scalar.value) != n->data.scalar.length)
		return fail(c, n, "%s: a NUL byte in the value", key);
	*out = (const char *)n->data.scalar.value;
	return HEARTH_OK;
}

static hearth_err dup_scalar(ctx *c, const yaml_node_t *n, const char *key, char **out)
{
	const char *s;
	hearth_err err = scalar(c, n, key, &s);
	if (err)
		return err;
	free(*out);
	if (!(*out = strdup(s)))
		return hearth_seterr(c->eb, HEARTH_ENOMEM, "out of memory");
	return HEARTH_OK;
}

static hearth_err duration(ctx *c, const yaml_node_t *n, const char *key, int64_t *ms,
			   bool allow_zero)
{
	const char *s;
	hearth_err err = scalar(c, n, key, &s);
	if (err)
		return err;
	if (hearth_duration_parse(s, ms))
		return fail(c, n, "%s: \"%s\" is not a duration (such as 15s, 1m30s, 500ms)", key,
			    s);
	if (!allow_zero && *ms <= 0)
		return fail(c, n, "%s: must be more than zero", key);
	return HEARTH_OK;
}

static hearth_err boolean(ctx *c, const yaml_node_t *n, const char *key, bool *out)
{
	const char *s;
	hearth_err err = scalar(c, n, key, &s);
	if (err)
		return err;
	if (!strcasecmp(s, "true"))
		*out = true;
	else if (!strcasecmp(s, "false"))
		*out = false;
	else
		return fail(c, n, "%s: \"%s\" is not true or false", key, s);
	return HEARTH_OK;
}

static hearth_err integer(ctx *c, const yaml_node_t *n, const char *key, long lo, long hi,
			  long *out)
{
	const char *s;
	hearth_err err = scalar(c, n, key, &s);
	if (err)
		return err;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < lo || v > hi)
		return fail(c, n, "%s: \"%s\" is not a whole number from %ld to %ld", key, s, lo,
			    hi);
	*out = v;
	return HEARTH_OK;
}

/* Mapping iteration with the checks every mapping gets: keys are scalars,
 * each at most once, each one of known (NULL-terminated). */
typedef struct {
	const char *key;
	yaml_node_t *k, *v;
} pair;

static hearth_err mapping(ctx *c, yaml_node_t *n, const char *what, const char *const *known,
			  pair **out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	if (!n || n->type != YAML_MAPPING_NODE)
		return fail(c, n, "%s: expected a mapping, found %s", what, kind(n));
	size_t np = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	pair *ps = calloc(np ? np : 1, sizeof(*ps));
	if (!ps)
		return hearth_seterr(c->eb, HEARTH_ENOMEM, "out of memory");
	for (size_t i = 0; i < np; i++) {
		yaml_node_pair_t *p = &n->data.mapping.pairs.start[i];
		yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
		const char *ks;
		if (!k || k->type != YAML_SCALAR_NODE) {
			free(ps);
			return fail(c, k, "%s: a key that is not a name", what);
		}
		ks = (const char *)k->data.scalar.value;
		if (known) {
			size_t j = 0;
			while (known[j] && strcmp(known[j], ks))
				j++;
			if (!known[j]) {
				hearth_err err = fail(c, k, "%s: unknown key \"%.80s\"", what, ks);
				free(ps);
				return err;
			}
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(ps[j].key, ks)) {
				hearth_err err =
				    fail(c, k, "%s: \"%.80s\" given twice (also on line %d)", what,
					 ks, line_of(ps[j].k));
				free(ps);
				return err;
			}
		ps[i] = (pair){ks, k, v};
	}
	*out = ps;
	*nout = np;
	return HEARTH_OK;
}

static hearth_err sequence(ctx *c, yaml_node_t *n, const char *what, yaml_node_item_t **items,
			   size_t *nitems)
{
	*items = NULL;
	*nitems = 0;
	if (!n || n->type != YAML_SEQUENCE_NODE)
		return fail(c, n, "%s: expected a list, found %s", what, kind(n));
	*items = n->data.sequence.items.start;
	*nitems = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	return HEARTH_OK;
}

/* A list of strings, each checked by ok (NULL: any non-empty string). */
static hearth_err strings(ctx *c, yaml_node_t *n, const char *what, size_t max,
			  bool (*ok)(const char *), const char *okwhat, char ***out, size_t *nout)
{
	yaml_node_item_t *it;
	size_t ni;
	hearth_err err = sequence(c, n, what, &it, &ni);
	if (err)
		return err;
	if (ni > max)
		return fail(c, n, "%s: %zu entries, more than %zu", what, ni, max);
	char **v = calloc(ni ? ni : 1, sizeof(*v));
	if (!v)
		return hearth_seterr(c->eb, HEARTH_ENOMEM, "out of memory");
	for (size_t i = 0; i < ni; i++) {
		yaml_node_t *e = node(c, it[i]);
		if ((err = dup_scalar(c, e, what, &v[i])))
			goto bad;
		if (!v[i][0] || (ok && !ok(v[i]))) {
			err = fail(c, e, "%s: \"%.120s\" is not %s", what, v[i], okwhat);
			goto bad;
		}
	}
	*out = v;
	*nout = ni;
	return HEARTH_OK;
bad:
	for (size_t i = 0; i < ni; i++)
		free(v[i]);
	free(v);
	return err;
}

static void free_strings(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static hearth_err labels(ctx *c, yaml_node_t *n, const char *what, hearth_labelset *ls)
{
	pair *ps;
	size_t np;
	hearth_err err = mapping(c, n, what, NULL, &ps, &np);
	if (err)
		return err;
	if (np > HEARTH_SCRAPE_MAX_LABELS) {
		free(ps);
		return fail(c, n, "%s: %zu labels, more than %d", what, np,
			    HEARTH_SCRAPE_MAX_LABELS);
	}
	for (size_t i = 0; i < np && !err; i++) {
		const char *v;
		if (!label_name_ok(ps[i].key))
			err =
			    fail(c, ps[i].k, "%s: \"%.80s\" is not a label name", what, ps[i].key);
		else if (!(err = scalar(c, ps[i].v, ps[i].key, &v))) {
			if (strlen(v) > 1024)
				err = fail(c, ps[i].v, "%s: longer than 1024 bytes", ps[i].key);
			else if (hearth_labelset_set(ls, ps[i].key, v))
				err = hearth_seterr(c->eb, HEARTH_ENOMEM, "out of memory");
		}
	}
	free(ps);
	return err;
}

/* host:port, as Prometheus wants a target (no scheme, no path). */
static bool target_ok(const char *s)
{
	if (strlen(s) > 512 || strstr(s, "://"))
		return false;
	for (const char *p = s; *p; p++)
		if (isspace((unsigned char)*p) || *p == '/' || *p == '?' || *p == '#' ||
		    (unsigned char)*p < 0x20)
			return false;
	return true;
}

/* ---- Sections --------------------------------------------------------- */

static hearth_err static_config(ctx *c, yaml_node_t *n, hearth_static_config *sc)
{
	static const char *const known[] = {"targets", "labels", NULL};
	pair *ps;
	size_t np;
	hearth_err err = mapping(c, n, "static_configs", known, &ps, &np);
	if (err)
		return err;
	sc->line = line_of(n);
	bool has_targets = false;
	for (size_t i = 0; i < np && !err; i++) {
		if (!strcmp(ps[i].key, "targets")) {
			has_targets = true;
			err = strings(c, ps[i].v, "targets", HEARTH_SCRAPE_MAX_TARGETS, target_ok,
				      "host:port", &sc->targets, &sc->ntargets);
			c->ntargets += sc->ntargets;
			if (!err && c->ntargets > HEARTH_SCRAPE_MAX_TARGETS)
				err = fail(c, ps[i].v, "targets: more than %d in the file",
					   HEARTH_SCRAPE_MAX_TARGETS);
		} else {
			err = labels(c, ps[i].v, "labels", &sc->labels);
		}
	}
	if (!err && !has_targets)
		err = fail(c, n, "static_configs: \"targets\" is missing");
	free(ps);
	return err;
}

static bool path_ok(const char *s)
{
	return strlen(s) < 4096;
}

static hearth_err file_sd(ctx *c, yaml_node_t *n, hearth_file_sd *f)
{
	static const char *const known[] = {"files", "refresh_interval", NULL};
	pair *ps;
	size_t np;
	hearth_err err = mapping(c, n, "file_sd_configs", known, &ps, &np);
	if (err)
		return err;
	f->line = line_of(n);
	f->refresh_ms = 5 * 60000;
	for (size_t i = 0; i < np && !err; i++) {
		if (!strcmp(ps[i].key, "files"))
			err = strings(c, ps[i].v, "files", 1000, path_ok, "a file name", &f->files,
				      &f->nfiles);
		else
			err = duration(c, ps[i].v, "refresh_interval", &f->refresh_ms, false);
	}
	if (!err && !f->nfiles)
		err = fail(c, n, "file_sd_configs: \"files\" is missing or empty");
	free(ps);
	return err;
}

static bool dns_name_ok(const char *s)
{
	if (strlen(s) > 253)
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '.' || *s == '-' || *s == '_'))
			return false;
	return true;
}

static hearth_err dns_sd(ctx *c, yaml_node_t *n, hearth_dns_sd *d)
{
	static const char *const known[] = {"names", "type", "port", "refresh_interval", NULL};
	pair *ps;
	size_t np;
	hearth_err err = mapping(c, n, "dns_sd_configs", known, &ps, &np);
	if (err)
		return err;
	d->line = line_of(n);
	d->refresh_ms = 30000;
	d->srv = true; /* Prometheus' default type */
	for (size_t i = 0; i < np && !err; i++) {
		const char *k = ps[i].key;
		if (!strcmp(k, "names")) {
			err = strings(c, ps[i].v, "names", 1000, dns_name_ok, "a DNS name",
				      &d->names, &d->nnames);
		} else if (!strcmp(k, "type")) {
			const char *s;
			if (!(err = scalar(c, ps[i].v, k, &s))) {
				if (!strcmp(s, "SRV"))
					d->srv = true;
				else if (!strcmp(s, "A") || !strcmp(s, "AAAA"))
					d->srv = false;
				else
					err = fail(c, ps[i].v, "type: \"%s\" is not SRV, A or AAAA",
						   s);
			}
		} else if (!strcmp(k, "port")) {
			long v;
			if (!(err = integer(c, ps[i].v, k, 1, 65535, &v)))
				d->port = (int)v;
		} else {
			err = duration(c, ps[i].v, k, &d->refresh_ms, false);
		}
	}
	if (!err && !d->nnames)
		err = fail(c, n, "dns_sd_configs: \"names\" is missing or empty");
	if (!err && !d->srv && !d->port)
		err = fail(c, n, "dns_sd_configs: type A needs a \"port\"");
	free(ps);
	return err;
}

static hearth_err compile_regex(ctx *c, yaml_node_t *at, hearth_relabel *r)
{
	size_t n = strlen(r->regex) + 8;
	char *anch = malloc(n);
	if (!anch)
		return hearth_seterr(c->eb, HEARTH_ENOMEM, "out of memory");
	snprintf(anch, n, "^(?:%s)$", r->regex);
	int ec;
	PCRE2_SIZE off;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)anch, PCRE2_ZERO_TERMINATED,
				       PCRE2_UTF | PCRE2_DOLLAR_ENDONLY, &ec, &off, NULL);
	free(anch);
	if (!re) {
		PCRE2_UCHAR msg[200];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		return fail(c, at, "regex: \"%.120s\": %s", r->regex, (char *)msg);
	}
	r->re = re;
	return HEARTH_OK;
}

static hearth_err relabel(ctx *c, yaml_node_t *n, hearth_relabel *r)
{
	static const char *const known[] = {"source_labels", "separator", "regex", "target_label",
					    "replacement",   "action",	  NULL};
	pair *ps;
	size_t np;
	hearth_err err = mapping(c, n, "relabel_configs", known, &ps, &np);
	if (err)
		return err;
	r->line = line_of(n);
	r->action = HEARTH_RELABEL_REPLACE;
	yaml_node_t *regex_at = n;
	for (size_t i = 0; i < np && !err; i++) {
		const char *k = ps[i].key;
		if (!strcmp(k, "source_labels")) {
			err = strings(c, ps[i].v, k, 64, label_name_ok, "a label name",
				      &r->source_labels, &r->nsource_labels);
		} else if (!strcmp(k, "separator")) {
			err = dup_scalar(c, ps[i].v, k, &r->separator);
		} else if (!strcmp(k, "regex")) {
			regex_at = ps[i].v;
			err = dup_scalar(c, ps[i].v, k, &r->regex);
		} else if (!strcmp(k, "target_label")) {
			err = dup_scalar(c, ps[i].v, k, &r->target_label);
		} else if (!strcmp(k, "replacement")) {
			err = dup_scalar(c, ps[i].v, k, &r->replacement);
		} else {
			static const char *const acts[] = {"replace",  "keep",	    "drop",
							   "labelmap", "labeldrop", "labelkeep"};
			const char *s;
			if (!(err = scalar(c, ps[i].v, k, &s))) {
				size_t j = 0;
				while (j < 6 && strcmp(acts[j], s))
					j++;
				if (j == 6)
					err = fail(c, ps[i].v,
						   "action: \"%.80s\" is not one of replace, keep, "
						   "drop, labelmap, labeldrop, labelkeep",
						   s);
				else
					r->action = (hearth_relabel_action)j;
			}
		}
	}
	free(ps);
	if (err)
		return err;
	if ((!r->separator && !(r->separator = strdup(";"))) ||
	    (!r->regex && !(r->regex = strdup("(.*)"))) ||
	    (!r->replacement && !(r->replacement = strdup("$1"))))
		return hearth_seterr(c->eb, HEARTH_ENOMEM, "out of memory");
	if (r->action == HEARTH_RELABEL_REPLACE && (!r->target_label || !*r->target_label))
		return fail(c, n, "relabel_configs: action replace needs a \"target_label\"");
	if ((r->action == HEARTH_RELABEL_KEEP || r->action == HEARTH_RELABEL_DROP) &&
	    !r->nsource_labels)
		return fail(c, n, "relabel_configs: action %s needs \"source_labels\"",
			    r->action == HEARTH_RELABEL_KEEP ? "keep" : "drop");
	if (r->target_label && r->action == HEARTH_RELABEL_REPLACE &&
	    !strchr(r->target_label, '$') && !label_name_ok(r->target_label))
		return fail(c, n, "relabel_configs: target_label \"%.80s\" is not a label name",
			    r->target_label);
	return compile_regex(c, regex_at, r);
}

/* The profile types every job scrapes unless told otherwise; cpu's
 * seconds are set from the interval once it is known. */
static const struct {
	const char *name, *path;
	bool delta;
} default_types[] = {
    {"cpu", "/debug/pprof/profile", false},
    {"heap", "/debug/pprof/heap", true},
    {"allocs", "/debug/pprof/allocs", true},
    {"goroutine", "/debug/pprof/goroutine", false},
    {"block", "/debug/pprof/block", true},
    {"mutex", "/debug/pprof/mutex", true},
    {"threadcreate", "/debug/pprof/threadcreate", false},
    /* The heap profile's text form, for its runtime.MemStats block (GC
     * statistics with no change to the program); not pushed as a profile. */
    {"memstats", "/debug/pprof/heap?debug=1", false},
};

static bool type_name_ok(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_'))
			return false;
	return true;
}

static bool url_path_ok(const char *s)
{
	if (*s != '/' || strlen(s) > 1024)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= 0x20 || *s == '#' || *s == 0x7f)
			return false;
	return true;
}

static hearth_err ptype(ctx *c, yaml_node_t *k, yaml_node_t *n, hearth_scrape_job *j)
{
	static const char *const known[] = {"enabled", "path", "delta", "seconds", NULL};
	const char *name = (const char *)k->data.scalar.value;
	if (!type_name_ok(name))
		return fail(c, k,
			    "pprof_config: \"%.80s\" is not a profile type name "
			    "(lower-case letters, digits, _)",
			    name);
	hearth_scrape_ptype *t = NULL;
	for (size_t i = 0; i < j->ntypes; i++)
		if (!strcmp(j->types[i].name, name))
			t = &j->types[i];
	if (!t) {
		if (j->ntypes == HEARTH_SCRAPE_MAX_TYPES)
			return fail(c, k, "pprof_config: more than %d profile types",
				    HEARTH_SCRAPE_MAX_TYPES);
		t = &j->types[j->ntypes++];
		*t = (hearth_scrape_ptype){.name = strdup(name), .enabled = true};
		if (!t->name)
			return hearth_seterr(c->eb, HEARTH_ENOMEM, "out of memory");
	}
	pair *ps;
	size_t np;
	if (is_null(n))
		return t->path ? HEARTH_OK
			       : fail(c, k, "pprof_config: %s: a new profile type needs a \"path\"",
				      name);
	hearth_err err = mapping(c, n, name, known, &ps, &np);
	if (err)
		return err;
	for (size_t i = 0; i < np && !err; i++) {
		const char *key = ps[i].key;
		if (!strcmp(key, "enabled")) {
			err = boolean(c, ps[i].v, key, &t->enabled);
		} else if (!strcmp(key, "delta")) {
			err = boolean(c, ps[i].v, key, &t->delta);
		} else if (!strcmp(key, "seconds")) {
			long v;
			if (!(err = integer(c, ps[i].v, key, 1, 3600, &v)))
				t->seconds = (int)v;
		} else {
			const char *s;
			if (!(err = scalar(c, ps[i].v, key, &s))) {
				if (!url_path_ok(s))
					err = fail(c, ps[i].v,
						   "path: \"%.120s\" is not a URL path (it starts "
						   "with /)",
						   s);
				else
					err = dup_scalar(c, ps[i].v, key, &t->path);
			}
		}
	}
	free(ps);
	if (!err && !t->path)
		err = fail(c, n, "pprof_config: %s: a new profile type needs a \"path\"", name);
	return err;
}

static hearth_err profiling_config(ctx *c, yaml_node_t *n, hearth_scrape_job *j)
{
	static const char *const known[] = {"path_prefix", "pprof_config", NULL};
	pair *ps;
	size_t np;
	hearth_err err = mapping(c, n, "profiling_config", known, &ps, &np);
	if (err)
		return err;
	for (size_t i = 0; i < np && !err; i++) {
		if (!strcmp(ps[i].key, "path_prefix")) {
			const char *s;
			if (!(err = scalar(c, ps[i].v, "path_prefix", &s))) {
				if (*s && (!url_path_ok(s) || strchr(s, '?')))
					err = fail(c, ps[i].v,
						   "path_prefix: \"%.120s\" is not a URL path", s);
				else
					err =
					    dup_scalar(c, ps[i].v, "path_prefix", &j->path_prefix);
			}
			/* "/" and "/x/" prefix paths that start with '/'. */
			size_t l = j->path_prefix ? strlen(j->path_prefix) : 0;
			while (!err && l && j->path_prefix[l - 1] == '/')
				j->path_prefix[--l] = 0;
		} else {
			pair *ts;
			size_t nt;
			if (!(err = mapping(c, ps[i].v, "pprof_config", NULL, &ts, &nt))) {
				for (size_t t = 0; t < nt && !err; t++)
					err = ptype(c, ts[t].k, ts[t].v, j);
				free(ts);
			}
		}
	}
	free(ps);
	return err;
}

typedef struct {
	int64_t interval_ms, timeout_ms;
	size_t body_size_limit;
	bool has_interval, has_timeout;
	yaml_node_t *timeout_at;
} defaults;

static hearth_err job(ctx *c, yaml_node_t *n, const defaults *g, hearth_scrape_job *j)
{
	static const char *const known[] = {"job_name",
					    "scrape_interval",
					    "scrape_timeout",
					    "scheme",
					    "body_size_limit",
					    "static_configs",
					    "file_sd_configs",
					    "dns_sd_configs",
					    "relabel_configs",
					    "profiling_config",
					    NULL};
	pair *ps;
	size_t np;
	hearth_err err = mapping(c, n, "scrape_configs", known, &ps, &np);
	if (err)
		return err;
	j->line = line_of(n);
	j->interval_ms = g->interval_ms;
	j->timeout_ms = g->timeout_ms;
	j->body_size_limit = g->body_size_limit;
	bool has_timeout = g->has_timeout;
	yaml_node_t *timeout_at = g->timeout_at ? g->timeout_at : n;
	for (size_t i = 0;
	     i < HEARTH_SCRAPE_MAX_TYPES && i < sizeof(default_types) / sizeof(default_types[0]);
	     i++) {
		hearth_scrape_ptype *t = &j->types[j->ntypes++];
		*t = (hearth_scrape_ptype){.name = strdup(default_types[i].name),
					   .path = strdup(default_types[i].path),
					   .enabled = true,
					   .delta = default_types[i].delta};
		if (!t->name || !t->path) {
			err = hearth_seterr(c->eb, HEARTH_ENOMEM, "out of memory");
			goto out;
		}
	}
	for (size_t i = 0; i < np && !err; i++) {
		const char *k = ps[i].key;
		yaml_node_t *v = ps[i].v;
		if (!strcmp(k, "job_name")) {
			if (!(err = dup_scalar(c, v, k, &j->job_name)) &&
			    (!*j->job_name || strlen(j->job_name) > 256))
				err = fail(c, v, "job_name: must be 1 to 256 bytes");
		} else if (!strcmp(k, "scrape_interval")) {
			err = duration(c, v, k, &j->interval_ms, false);
		} else if (!strcmp(k, "scrape_timeout")) {
			err = duration(c, v, k, &j->timeout_ms, false);
			has_timeout = true;
			timeout_at = v;
		} else if (!strcmp(k, "scheme")) {
			if (!(err = dup_scalar(c, v, k, &j->scheme)) && strcmp(j->scheme, "http") &&
			    strcmp(j->scheme, "https"))
				err =
				    fail(c, v, "scheme: \"%.40s\" is not http or https", j->scheme);
		} else if (!strcmp(k, "body_size_limit")) {
			const char *s;
			if (!(err = scalar(c, v, k, &s)) && size_parse(s, &j->body_size_limit))
				err = fail(c, v,
					   "body_size_limit: \"%.40s\" is not a size (such as "
					   "64MB)",
					   s);
		} else if (!strcmp(k, "static_configs") || !strcmp(k, "file_sd_configs") ||
			   !strcmp(k, "dns_sd_configs") || !strcmp(k, "relabel_configs")) {
			yaml_node_item_t *it;
			size_t ni;
			if ((err = sequence(c, v, k, &it, &ni)))
				break;
			if (ni > 10000) {
				err = fail(c, v, "%s: more than 10000 entries", k);
				break;
			}
			for (size_t e = 0; e < ni && !err; e++) {
				yaml_node_t *en = node(c, it[e]);
				if (k[0] == 's') {
					void *nv = realloc(j->statics,
							   (j->nstatics + 1) * sizeof(*j->statics));
					if (!nv)
						goto oom;
					j->statics = nv;
					j->statics[j->nstatics] = (hearth_static_config){0};
					err = static_config(c, en, &j->statics[j->nstatics++]);
				} else if (k[0] == 'f') {
					void *nv =
					    realloc(j->files, (j->nfiles + 1) * sizeof(*j->files));
					if (!nv)
						goto oom;
					j->files = nv;
					j->files[j->nfiles] = (hearth_file_sd){0};
					err = file_sd(c, en, &j->files[j->nfiles++]);
				} else if (k[0] == 'd') {
					void *nv = realloc(j->dns, (j->ndns + 1) * sizeof(*j->dns));
					if (!nv)
						goto oom;
					j->dns = nv;
					j->dns[j->ndns] = (hearth_dns_sd){0};
					err = dns_sd(c, en, &j->dns[j->ndns++]);
				} else {
					void *nv = realloc(j->relabels, (j->nrelabels + 1) *
									    sizeof(*j->relabels));
					if (!nv)
						goto oom;
					j->relabels = nv;
					j->relabels[j->nrelabels] = (hearth_relabel){0};
					err = relabel(c, en, &j->relabels[j->nrelabels++]);
				}
			}
		} else {
			err = profiling_config(c, v, j);
		}
	}
	if (err)
		goto out;
	if (!j->job_name) {
		err = fail(c, n, "scrape_configs: \"job_name\" is missing");
		goto out;
	}
	if (!has_timeout && j->timeout_ms > j->interval_ms)
		j->timeout_ms = j->interval_ms; /* Prometheus: the default fits the interval */
	if (j->timeout_ms > j->interval_ms) {
		err = fail(c, timeout_at,
			   "scrape_timeout: %lld ms is longer than scrape_interval (%lld ms)",
			   (long long)j->timeout_ms, (long long)j->interval_ms);
		goto out;
	}
	if (!j->scheme && !(j->scheme = strdup("http")))
		goto oom;
	if (!j->path_prefix && !(j->path_prefix = strdup("")))
		goto oom;
	/* cpu: the interval less a margin (a tenth, at least a second), so a
	 * profile ends before the next one starts. */
	for (size_t i = 0; i < j->ntypes; i++) {
		hearth_scrape_ptype *t = &j->types[i];
		if (strcmp(t->name, "cpu") || t->seconds)
			continue;
		int64_t margin = j->interval_ms / 10 < 1000 ? 1000 : j->interval_ms / 10;
		int64_t s = (j->interval_ms - margin) / 1000;
		t->seconds = s < 1 ? 1 : s > 3600 ? 3600 : (int)s;
	}
out:
	free(ps);
	return err;
oom:
	free(ps);
	return hearth_seterr(c->eb, HEARTH_ENOMEM, "out of memory");
}

static hearth_err global(ctx *c, yaml_node_t *n, defaults *g)
{
	static const char *const known[] = {"scrape_interval", "scrape_timeout",
					    "body_size_limit", "evaluation_interval",
					    "external_labels", NULL};
	pair *ps;
	size_t np;
	hearth_err err = mapping(c, n, "global", known, &ps, &np);
	if (err)
		return err;
	for (size_t i = 0; i < np && !err; i++) {
		const char *k = ps[i].key;
		if (!strcmp(k, "scrape_interval")) {
			err = duration(c, ps[i].v, k, &g->interval_ms, false);
		} else if (!strcmp(k, "scrape_timeout")) {
			err = duration(c, ps[i].v, k, &g->timeout_ms, false);
			g->has_timeout = true;
			g->timeout_at = ps[i].v;
		} else if (!strcmp(k, "body_size_limit")) {
			const char *s;
			if (!(err = scalar(c, ps[i].v, k, &s)) &&
			    size_parse(s, &g->body_size_limit))
				err = fail(
				    c, ps[i].v,
				    "body_size_limit: \"%.40s\" is not a size (such as 64MB)", s);
		} else if (!strcmp(k, "evaluation_interval")) {
			int64_t ms; /* Prometheus' own; accepted so its files load */
			err = duration(c, ps[i].v, k, &ms, false);
		} else {
			err = fail(c, ps[i].k,
				   "external_labels: not supported by hearth scrape; "
				   "use static_configs labels");
		}
	}
	free(ps);
	return err;
}

static void job_free(hearth_scrape_job *j)
{
	free(j->job_name);
	free(j->scheme);
	free(j->path_prefix);
	for (size_t i = 0; i < j->nstatics; i++) {
		free_strings(j->statics[i].targets, j->statics[i].ntargets);
		hearth_labelset_free(&j->statics[i].labels);
	}
	free(j->statics);
	for (size_t i = 0; i < j->nfiles; i++)
		free_strings(j->files[i].files, j->files[i].nfiles);
	free(j->files);
	for (size_t i = 0; i < j->ndns; i++)
		free_strings(j->dns[i].names, j->dns[i].nnames);
	free(j->dns);
	for (size_t i = 0; i < j->nrelabels; i++) {
		hearth_relabel *r = &j->relabels[i];
		free_strings(r->source_labels, r->nsource_labels);
		free(r->separator);
		free(r->regex);
		free(r->target_label);
		free(r->replacement);
		pcre2_code_free(r->re);
	}
	free(j->relabels);
	for (size_t i = 0; i < j->ntypes; i++) {
		free(j->types[i].name);
		free(j->types[i].path);
	}
}

void hearth_scrape_config_free(hearth_scrape_config *cfg)
{
	for (size_t i = 0; i < cfg->njobs; i++)
		job_free(&cfg->jobs[i]);
	free(cfg->jobs);
	free(cfg->path);
	*cfg = (hearth_scrape_config){0};
}

/* Loads text as one YAML document; a syntax error names its line. */
static hearth_err load(const char *name, const char *text, size_t n, yaml_document_t *doc,
		       hearth_errbuf *eb)
{
	if (n > HEARTH_SCRAPE_MAX_CONFIG_BYTES)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "%s: larger than %u bytes", name,
				     HEARTH_SCRAPE_MAX_CONFIG_BYTES);
	if (memchr(text, 0, n))
		return hearth_seterr(eb, HEARTH_EINVAL, "%s: a NUL byte in the file", name);
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p))
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	yaml_parser_set_input_string(&p, (const unsigned char *)text, n);
	hearth_err err = HEARTH_OK;
	if (!yaml_parser_load(&p, doc)) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "%s:%d: YAML: %s%s%s", name,
				    (int)p.problem_mark.line + 1,
				    p.problem ? p.problem : "syntax error", p.context ? " " : "",
				    p.context ? p.context : "");
		goto out;
	}
	/* A second document is a mistake, not something to ignore. */
	yaml_document_t extra;
	if (yaml_parser_load(&p, &extra)) {
		bool more = yaml_document_get_root_node(&extra) != NULL;
		int line = (int)extra.start_mark.line + 1;
		yaml_document_delete(&extra);
		if (more) {
			yaml_document_delete(doc);
			err = hearth_seterr(eb, HEARTH_EINVAL,
					    "%s:%d: a second YAML document (one is read)", name,
					    line);
		}
	} else {
		yaml_document_delete(doc);
		err = hearth_seterr(eb, HEARTH_EINVAL, "%s:%d: YAML: %s", name,
				    (int)p.problem_mark.line + 1,
				    p.problem ? p.problem : "syntax error");
	}
out:
	yaml_parser_delete(&p);
	return err;
}

hearth_err hearth_scrape_config_parse(const char *name, const char *text, size_t n,
				      hearth_scrape_config *cfg, hearth_errbuf *eb)
{
	*cfg = (hearth_scrape_config){0};
	yaml_document_t doc;
	hearth_err err = load(name, text, n, &doc, eb);
	if (err)
		return err;
	ctx c = {.name = name, .doc = &doc, .eb = eb};
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	defaults g = {.interval_ms = 10000, .timeout_ms = 10000, .body_size_limit = 64u << 20};
	pair *ps = NULL;
	size_t np = 0;
	static const char *const known[] = {"global", "scrape_configs", NULL};
	if (!root) {
		err =
		    hearth_seterr(eb, HEARTH_EINVAL, "%s:1: empty; expected scrape_configs", name);
		goto out;
	}
	if ((err = mapping(&c, root, "the file", known, &ps, &np)))
		goto out;
	yaml_node_t *jobs = NULL;
	for (size_t i = 0; i < np && !err; i++) {
		if (!strcmp(ps[i].key, "global"))
			err = global(&c, ps[i].v, &g);
		else
			jobs = ps[i].v;
	}
	if (err)
		goto out;
	if (!jobs) {
		err = fail(&c, root, "\"scrape_configs\" is missing");
		goto out;
	}
	yaml_node_item_t *it;
	size_t ni;
	if ((err = sequence(&c, jobs, "scrape_configs", &it, &ni)))
		goto out;
	if (ni > HEARTH_SCRAPE_MAX_JOBS) {
		err = fail(&c, jobs, "scrape_configs: more than %d jobs", HEARTH_SCRAPE_MAX_JOBS);
		goto out;
	}
	if (!(cfg->jobs = calloc(ni ? ni : 1, sizeof(*cfg->jobs)))) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ni && !err; i++) {
		yaml_node_t *jn = node(&c, it[i]);
		cfg->njobs++;
		if ((err = job(&c, jn, &g, &cfg->jobs[i])))
			break;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(cfg->jobs[k].job_name, cfg->jobs[i].job_name)) {
				err = fail(&c, jn,
					   "job_name \"%.80s\" is also the name of the job "
					   "on line %d",
					   cfg->jobs[i].job_name, cfg->jobs[k].line);
				break;
			}
	}
out:
	free(ps);
	yaml_document_delete(&doc);
	if (err)
		hearth_scrape_config_free(cfg);
	return err;
}

hearth_err hearth_scrape_config_read(const char *path, hearth_scrape_config *cfg, hearth_errbuf *eb)
{
	*cfg = (hearth_scrape_config){0};
	FILE *f = fopen(path, "rb");
	if (!f)
		return hearth_seterr(eb, HEARTH_EIO, "%s: %s", path, strerror(errno));
	char *buf = malloc(HEARTH_SCRAPE_MAX_CONFIG_BYTES + 1);
	size_t n = buf ? fread(buf, 1, HEARTH_SCRAPE_MAX_CONFIG_BYTES + 1, f) : 0;
	bool rerr = ferror(f);
	fclose(f);
	if (!buf)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	hearth_err err;
	if (rerr)
		err = hearth_seterr(eb, HEARTH_EIO, "%s: cannot read", path);
	else
		err = hearth_scrape_config_parse(path, buf, n, cfg, eb);
	free(buf);
	if (!err && !(cfg->path = strdup(path))) {
		hearth_scrape_config_free(cfg);
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	return err;
}

/* ---- file_sd files ---------------------------------------------------- */

void hearth_target_groups_free(hearth_target_group *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free_strings(g[i].targets, g[i].ntargets);
		hearth_labelset_free(&g[i].labels);
	}
	free(g);
}

hearth_err hearth_file_sd_parse(const char *name, const char *text, size_t n,
				hearth_target_group **out, size_t *nout, hearth_errbuf *eb)
{
	*out = NULL;
	*nout = 0;
	yaml_document_t doc;
	hearth_err err = load(name, text, n, &doc, eb);
	if (err)
		return err;
	ctx c = {.name = name, .doc = &doc, .eb = eb};
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	hearth_target_group *g = NULL;
	size_t ng = 0;
	if (!root || is_null(root))
		goto out; /* an empty file: no targets */
	yaml_node_item_t *it;
	size_t ni;
	if ((err = sequence(&c, root, "the file", &it, &ni)))
		goto out;
	if (ni > HEARTH_SCRAPE_MAX_TARGETS) {
		err = fail(&c, root, "more than %d groups", HEARTH_SCRAPE_MAX_TARGETS);
		goto out;
	}
	if (!(g = calloc(ni ? ni : 1, sizeof(*g)))) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ni && !err; i++) {
		static const char *const known[] = {"targets", "labels", NULL};
		pair *ps;
		size_t np;
		yaml_node_t *gn = node(&c, it[i]);
		ng++;
		if ((err = mapping(&c, gn, "target group", known, &ps, &np)))
			break;
		for (size_t k = 0; k < np && !err; k++) {
			if (!strcmp(ps[k].key, "targets")) {
				err =
				    strings(&c, ps[k].v, "targets", HEARTH_SCRAPE_MAX_TARGETS,
					    target_ok, "host:port", &g[i].targets, &g[i].ntargets);
				c.ntargets += g[i].ntargets;
				if (!err && c.ntargets > HEARTH_SCRAPE_MAX_TARGETS)
					err = fail(&c, ps[k].v, "more than %d targets",
						   HEARTH_SCRAPE_MAX_TARGETS);
			} else {
				err = labels(&c, ps[k].v, "labels", &g[i].labels);
			}
		}
		free(ps);
	}
out:
	yaml_document_delete(&doc);
	if (err) {
		hearth_target_groups_free(g, ng);
		return err;
	}
	*out = g;
	*nout = ng;
	return HEARTH_OK;
}

/* ---- Relabeling ------------------------------------------------------- */

/* The replacement with $1, ${1} and ${name} expanded from the match, as
 * Go's Regexp.Expand does; NULL when out of memory. */
static char *expand(pcre2_code *re, pcre2_match_data *md, const char *subject, const char *tmpl)
{
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
	uint32_t ng = pcre2_get_ovector_count(md);
	hearth_buf b = {0};
	for (const char *p = tmpl; *p;) {
		if (*p != '$') {
			hearth_buf_put(&b, p++, 1);
			continue;
		}
		p++;
		if (*p == '$') {
			hearth_buf_put(&b, p++, 1);
			continue;
		}
		char name[64];
		size_t nl = 0;
		bool brace = *p == '{';
		if (brace)
			p++;
		while ((isalnum((unsigned char)*p) || *p == '_') && nl < sizeof(name) - 1)
			name[nl++] = *p++;
		name[nl] = 0;
		if (brace) {
			if (*p != '}') {
				/* Go leaves a malformed reference as it is. */
				hearth_buf_puts(&b, "${");
				hearth_buf_puts(&b, name);
				continue;
			}
			p++;
		}
		if (!nl) {
			hearth_buf_put(&b, "$", 1);
			continue;
		}
		int gi = -1;
		char *end;
		long v = strtol(name, &end, 10);
		if (!*end)
			gi = v >= 0 && v < 1000 ? (int)v : -1;
		else
			gi = pcre2_substring_number_from_name(re, (PCRE2_SPTR)name);
		/* Go: $1x is the group named "1x", which does not exist: empty. */
		if (gi >= 0 && (uint32_t)gi < ng && ov[2 * gi] != PCRE2_UNSET)
			hearth_buf_put(&b, subject + ov[2 * gi], ov[2 * gi + 1] - ov[2 * gi]);
	}
	if (b.oom || !(b.data || (b.data = calloc(1, 1)))) {
		hearth_buf_free(&b);
		return NULL;
	}
	return b.data;
}

static bool match(pcre2_code *re, pcre2_match_data *md, const char *s)
{
	return pcre2_match(re, (PCRE2_SPTR)s, strlen(s), 0, 0, md, NULL) >= 0;
}

hearth_err hearth_relabel_apply(const hearth_relabel *rs, size_t n, hearth_labelset *ls, bool *keep,
				hearth_errbuf *eb)
{
	*keep = true;
	hearth_err err = HEARTH_OK;
	for (size_t i = 0; i < n && *keep && !err; i++) {
		const hearth_relabel *r = &rs[i];
		pcre2_match_data *md = pcre2_match_data_create_from_pattern(r->re, NULL);
		hearth_buf val = {0};
		if (!md)
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		for (size_t k = 0; k < r->nsource_labels; k++) {
			const char *v = hearth_labelset_get(ls, r->source_labels[k]);
			if (k)
				hearth_buf_puts(&val, r->separator);
			hearth_buf_puts(&val, v ? v : "");
		}
		const char *sv = val.data ? val.data : "";
		if (val.oom) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			goto next;
		}
		switch (r->action) {
		case HEARTH_RELABEL_KEEP:
			*keep = match(r->re, md, sv);
			break;
		case HEARTH_RELABEL_DROP:
			*keep = !match(r->re, md, sv);
			break;
		case HEARTH_RELABEL_REPLACE: {
			if (!match(r->re, md, sv))
				break;
			char *tl = expand(r->re, md, sv, r->target_label);
			char *rv = expand(r->re, md, sv, r->replacement);
			if (!tl || !rv)
				err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			else if (label_name_ok(tl) && hearth_labelset_set(ls, tl, rv))
				err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			/* A target label that expands to no valid name is skipped,
			 * as Prometheus does. */
			free(tl);
			free(rv);
			break;
		}
		case HEARTH_RELABEL_LABELMAP: {
			hearth_labelset add = {0};
			for (size_t k = 0; k < ls->n && !err; k++) {
				if (!match(r->re, md, ls->v[k].name))
					continue;
				char *nn = expand(r->re, md, ls->v[k].name, r->replacement);
				if (!nn)
					err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
				else if (label_name_ok(nn) &&
					 hearth_labelset_set(&add, nn, ls->v[k].value))
					err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
				free(nn);
			}
			for (size_t k = 0; k < add.n && !err; k++)
				if (hearth_labelset_set(ls, add.v[k].name, add.v[k].value))
					err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			hearth_labelset_free(&add);
			break;
		}
		case HEARTH_RELABEL_LABELDROP:
		case HEARTH_RELABEL_LABELKEEP: {
			bool drop_on_match = r->action == HEARTH_RELABEL_LABELDROP;
			for (size_t k = 0; k < ls->n;) {
				if (match(r->re, md, ls->v[k].name) == drop_on_match) {
					free(ls->v[k].name);
					free(ls->v[k].value);
					memmove(ls->v + k, ls->v + k + 1,
						(ls->n - k - 1) * sizeof(*ls->v));
					ls->n--;
				} else {
					k++;
				}
			}
			break;
		}
		}
	next:
		hearth_buf_free(&val);
		pcre2_match_data_free(md);
	}
	return err;
}
