/* Query strings of the web API, and the report options they may set. */
#include <stdlib.h>
#include <string.h>

#include "hearth/query.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decodes s[0..n) into d; returns the decoded length, or -1. */
static long decode(const char *s, size_t n, char *d, hearth_errbuf *eb)
{
	size_t w = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '+') {
			c = ' ';
		} else if (c == '%') {
			int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
			int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
			if (hi < 0 || lo < 0) {
				hearth_seterr(eb, HEARTH_EINVAL,
					      "query: a %% at byte %zu is not followed by two hex "
					      "digits",
					      i);
				return -1;
			}
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (c == 0) {
			hearth_seterr(eb, HEARTH_EINVAL, "query: a NUL byte near byte %zu", i);
			return -1;
		}
		d[w++] = c;
	}
	d[w] = 0;
	return (long)w;
}

hearth_err hearth_query_parse(const char *qs, size_t len, hearth_query *q, hearth_errbuf *eb)
{
	memset(q, 0, sizeof(*q));
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		n += qs[i] == '&';
	n++;
	if (n > HEARTH_QUERY_MAX_PARAMS)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "query: more than %d parameters",
				     HEARTH_QUERY_MAX_PARAMS);
	/* Each pair decodes to at most its own length plus two NULs. */
	q->mem = malloc(len + 2 * n + 1);
	q->p = calloc(n, sizeof(*q->p));
	if (!q->mem || !q->p) {
		hearth_query_free(q);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	char *w = q->mem;
	for (size_t i = 0; i <= len;) {
		size_t e = i;
		while (e < len && qs[e] != '&')
			e++;
		if (e > i) {
			const char *eq = memchr(qs + i, '=', e - i);
			size_t nl = eq ? (size_t)(eq - (qs + i)) : e - i;
			if (nl == 0) {
				hearth_query_free(q);
				return hearth_seterr(
				    eb, HEARTH_EINVAL,
				    "query: a parameter without a name at byte %zu", i);
			}
			long k = decode(qs + i, nl, w, eb);
			if (k < 0) {
				hearth_query_free(q);
				return HEARTH_EINVAL;
			}
			hearth_qparam *pp = &q->p[q->n++];
			pp->name = w;
			w += k + 1;
			if (eq) {
				k = decode(eq + 1, (size_t)(qs + e - eq - 1), w, eb);
				if (k < 0) {
					hearth_query_free(q);
					return HEARTH_EINVAL;
				}
				pp->value = w;
				w += k + 1;
			}
		}
		i = e + 1;
	}
	return HEARTH_OK;
}

void hearth_query_free(hearth_query *q)
{
	free(q->p);
	free(q->mem);
	memset(q, 0, sizeof(*q));
}

const char *hearth_query_get(const hearth_query *q, const char *name, bool *present)
{
	const char *v = NULL;
	bool found = false;
	for (size_t i = 0; i < q->n; i++)
		if (!strcmp(q->p[i].name, name)) {
			v = q->p[i].value ? q->p[i].value : "";
			found = true;
		}
	if (present)
		*present = found;
	return v;
}

/* The report options a query may set (pprof's names). */
static const char *const allowed[] = {
    "sample_index",  "mean",	      "focus",	     "ignore",
    "hide",	     "show",	      "show_from",   "prune_from",
    "tagfocus",	     "tagignore",     "tagshow",     "taghide",
    "functions",     "filefunctions", "files",	     "lines",
    "addresses",     "granularity",   "noinlines",   "nodecount",
    "nodefraction",  "edgefraction",  "unit",	     "relative_percentages",
    "drop_negative", "cum",	      "flat",	     "divide_by",
    "inuse_space",   "inuse_objects", "alloc_space", "alloc_objects",
    "total_delay",   "contentions",   "mean_delay",
};

/* The options the API refuses by name: they read files, write files or
 * change where data comes from. */
static const char *const refused[] = {
    "base",	 "diff_base", "source_path", "trim_path", "output",    "o",
    "max_size",	 "symbolize", "seconds",     "timeout",	  "normalize", "trim",
    "call_tree", "http",      "no_browser",  "list",	  "peek",      "symbol",
    "from",	 "until",     "type",	     "token",
};

/* The UI's own view parameters, which may ride along and mean nothing here. */
static const char *const view_params[] = {"view", "zoom", "icicle", "sort", "dir", "filter"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static bool in(const char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], name))
			return true;
	return false;
}

static bool in_own(const char *const *own, const char *name)
{
	for (; own && *own; own++)
		if (!strcmp(*own, name))
			return true;
	return false;
}

hearth_err hearth_query_opts(const hearth_query *q, const char *const *own, hearth_opts *o,
			     hearth_errbuf *eb)
{
	for (size_t i = 0; i < q->n; i++) {
		const char *name = q->p[i].name, *v = q->p[i].value;
		if (in_own(own, name) || in(view_params, NELEM(view_params), name))
			continue;
		if (in(refused, NELEM(refused), name))
			return hearth_seterr(eb, HEARTH_EINVAL,
					     "option \"%s\" cannot be set through the API", name);
		if (!in(allowed, NELEM(allowed), name)) {
			char shown[64];
			size_t n = strlen(name);
			/* The name is the client's: shown short and printable. */
			size_t k = 0;
			for (size_t j = 0; j < n && k < 40; j++)
				shown[k++] = (unsigned char)name[j] >= 0x20 &&
						     (unsigned char)name[j] < 0x7f && name[j] != '"'
						 ? name[j]
						 : '?';
			shown[k] = 0;
			return hearth_seterr(eb, HEARTH_EINVAL, "unknown parameter \"%s%s\"", shown,
					     n > 40 ? "..." : "");
		}
		/* name, name= and name=1 set a flag; the CLI's NULL value. */
		if (hearth_opts_is_flag(name) && v && !*v)
			v = NULL;
		hearth_err err = hearth_opts_set(o, name, v, eb);
		if (err) {
			/* The message may quote the client's value: one line. */
			for (char *c = eb->msg; *c; c++)
				if ((unsigned char)*c < 0x20 || *c == 0x7f)
					*c = '?';
			return err;
		}
	}
	return HEARTH_OK;
}

typedef struct {
	const hearth_qparam *p;
	size_t i;
} keyed;

static int cmp_keyed(const void *a, const void *b)
{
	const keyed *x = a, *y = b;
	int c = strcmp(x->p->name, y->p->name);
	return c ? c : (x->i > y->i) - (x->i < y->i);
}

void hearth_query_key(const hearth_query *q, const char *const *own, hearth_buf *out)
{
	keyed k[HEARTH_QUERY_MAX_PARAMS];
	size_t n = 0;
	for (size_t i = 0; i < q->n && n < HEARTH_QUERY_MAX_PARAMS; i++) {
		const char *name = q->p[i].name;
		if (!in_own(own, name) && !in(allowed, NELEM(allowed), name))
			continue;
		k[n].p = &q->p[i];
		k[n].i = i;
		n++;
	}
	qsort(k, n, sizeof(k[0]), cmp_keyed);
	for (size_t i = 0; i < n; i++) {
		const char *v = k[i].p->value;
		/* Lengths first: no name or value can pass for another. */
		hearth_buf_printf(out, "%zu:%s=", strlen(k[i].p->name), k[i].p->name);
		if (v)
			hearth_buf_printf(out, "%zu:%s;", strlen(v), v);
		else
			hearth_buf_puts(out, "-;");
	}
}
