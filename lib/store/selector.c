/* Label selectors: Prometheus' `{name="v",name=~"re",...}` and Pyroscope's
 * `app.cpu{...}` (the service and the profile type in front). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/regex.h"
#include "store/store.h"

#define MAX_TEXT 4096
#define MAX_MATCHERS 64

typedef struct {
	const char *s;
	size_t i, n;
	char *w; /* where the next string goes in mem */
} parser;

static void skip_ws(parser *p)
{
	while (p->i < p->n && (p->s[p->i] == ' ' || p->s[p->i] == '\t' || p->s[p->i] == '\n' ||
			       p->s[p->i] == '\r'))
		p->i++;
}

static bool name_start(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '.';
}

static const char *put_mem(parser *p, const char *s, size_t n)
{
	char *d = p->w;
	memcpy(d, s, n);
	d[n] = 0;
	p->w += n + 1;
	return d;
}

/* A quoted string ("...", '...' or `...`) with Go's simple escapes. */
static hearth_err parse_string(parser *p, const char **out, hearth_errbuf *eb)
{
	if (p->i >= p->n)
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "selector: offset %zu: a quoted value expected", p->i);
	char q = p->s[p->i];
	if (q != '"' && q != '\'' && q != '`')
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "selector: offset %zu: a quoted value expected", p->i);
	size_t start = p->i++;
	char *d = p->w;
	while (p->i < p->n && p->s[p->i] != q) {
		char c = p->s[p->i++];
		if (c == '\\' && q != '`') {
			if (p->i >= p->n)
				break;
			char e = p->s[p->i++];
			switch (e) {
			case 'n':
				c = '\n';
				break;
			case 't':
				c = '\t';
				break;
			case 'r':
				c = '\r';
				break;
			case '\\':
			case '"':
			case '\'':
				c = e;
				break;
			default:
				/* Kept as written: a regexp's own escape (\d, \.). */
				*d++ = '\\';
				c = e;
			}
		}
		*d++ = c;
	}
	if (p->i >= p->n)
		return hearth_seterr(eb, HEARTH_EINVAL, "selector: offset %zu: unterminated string",
				     start);
	p->i++;
	*d = 0;
	*out = p->w;
	p->w = d + 1;
	return HEARTH_OK;
}

/* Pyroscope's profile type names (app.cpu, app.alloc_objects ...) to
 * hearth's. */
static const char *pyro_type(const char *t)
{
	static const struct {
		const char *from, *to;
	} map[] = {
	    {"cpu", "cpu"},
	    {"itimer", "cpu"},
	    {"alloc_objects", "allocs"},
	    {"alloc_space", "allocs"},
	    {"inuse_objects", "heap"},
	    {"inuse_space", "heap"},
	    {"goroutines", "goroutine"},
	    {"mutex_count", "mutex"},
	    {"mutex_duration", "mutex"},
	    {"block_count", "block"},
	    {"block_duration", "block"},
	};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(t, map[i].from))
			return map[i].to;
	return t;
}

/* hearth_regex_compile, its message made one line naming the selector
 * (it quotes the pattern, which may hold anything). */
static hearth_err compile(const char *pat, size_t off, hearth_regex **re, hearth_errbuf *eb)
{
	hearth_err err = hearth_regex_compile("selector", pat, re, eb);
	if (!err)
		return HEARTH_OK;
	char msg[sizeof(eb->msg)];
	snprintf(msg, sizeof(msg), "%s", eb->msg);
	for (char *c = msg; *c; c++)
		if ((unsigned char)*c < 0x20)
			*c = ' ';
	return hearth_seterr(eb, err, "selector: offset %zu: %.400s", off, msg);
}

static hearth_err add(hearth_selector *sel, const char *name, const char *value, hearth_match_op op,
		      size_t off, hearth_errbuf *eb)
{
	if (sel->n >= MAX_MATCHERS)
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "selector: offset %zu: more than %d matchers", off,
				     MAX_MATCHERS);
	hearth_matcher *m = &sel->m[sel->n];
	m->name = name;
	m->value = value;
	m->op = op;
	m->re = NULL;
	if (op == HEARTH_MATCH_RE || op == HEARTH_MATCH_NRE) {
		/* Compiled alone first: a pattern such as "a)|(b" must not escape
		 * the anchoring group below. */
		hearth_regex *re = NULL;
		hearth_err err = compile(value, off, &re, eb);
		if (err)
			return err;
		hearth_regex_free(re);
		size_t n = strlen(value) + 8;
		char *anch = malloc(n);
		if (!anch)
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		snprintf(anch, n, "^(?:%s)$", value);
		err = compile(anch, off, &re, eb);
		free(anch);
		if (err)
			return err;
		m->re = re;
	}
	sel->n++;
	return HEARTH_OK;
}

hearth_err hearth_selector_parse(const char *text, hearth_selector *sel, hearth_errbuf *eb)
{
	memset(sel, 0, sizeof(*sel));
	if (!text)
		text = "";
	size_t n = strlen(text);
	if (n > MAX_TEXT)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "selector: longer than %d bytes",
				     MAX_TEXT);
	sel->m = calloc(MAX_MATCHERS, sizeof(*sel->m));
	/* Every string is a part of the text plus its NUL; the Pyroscope
	 * prefix adds two ("service", the type). */
	sel->mem = malloc(2 * n + 64);
	if (!sel->m || !sel->mem) {
		hearth_selector_free(sel);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	parser p = {text, 0, n, sel->mem};
	hearth_err err = HEARTH_OK;
	skip_ws(&p);
	/* Pyroscope's app.type in front of the braces. */
	size_t s0 = p.i;
	while (p.i < p.n && p.s[p.i] != '{' && p.s[p.i] != ' ')
		p.i++;
	if (p.i > s0) {
		size_t len = p.i - s0;
		const char *full = put_mem(&p, text + s0, len);
		for (size_t k = 0; k < len; k++) {
			unsigned char c = (unsigned char)full[k];
			if (c < 0x20 || c == '"' || c == '}' || c == ',' || c == '=') {
				err = hearth_seterr(eb, HEARTH_EINVAL,
						    "selector: offset %zu: unexpected character",
						    s0 + k);
				goto out;
			}
		}
		const char *dot = strrchr(full, '.');
		if (dot && dot != full && dot[1]) {
			const char *svc = put_mem(&p, full, (size_t)(dot - full));
			if ((err = add(sel, "service", svc, HEARTH_MATCH_EQ, s0, eb)) ||
			    (err =
				 add(sel, "__type__", pyro_type(dot + 1), HEARTH_MATCH_EQ, s0, eb)))
				goto out;
		} else if ((err = add(sel, "service", full, HEARTH_MATCH_EQ, s0, eb))) {
			goto out;
		}
	}
	skip_ws(&p);
	if (p.i == p.n)
		goto out;
	if (p.s[p.i] != '{') {
		err = hearth_seterr(eb, HEARTH_EINVAL, "selector: offset %zu: '{' expected", p.i);
		goto out;
	}
	p.i++;
	for (;;) {
		skip_ws(&p);
		if (p.i < p.n && p.s[p.i] == '}') {
			p.i++;
			break;
		}
		size_t off = p.i;
		if (p.i >= p.n || !name_start(p.s[p.i])) {
			err = hearth_seterr(eb, HEARTH_EINVAL,
					    "selector: offset %zu: a label name expected", p.i);
			goto out;
		}
		size_t ns = p.i;
		while (p.i < p.n && name_char(p.s[p.i]))
			p.i++;
		if (p.i - ns > 128) {
			err = hearth_seterr(eb, HEARTH_EINVAL,
					    "selector: offset %zu: label name too long", ns);
			goto out;
		}
		const char *name = put_mem(&p, text + ns, p.i - ns);
		skip_ws(&p);
		hearth_match_op op;
		if (p.i + 1 < p.n && p.s[p.i] == '=' && p.s[p.i + 1] == '~')
			op = HEARTH_MATCH_RE, p.i += 2;
		else if (p.i + 1 < p.n && p.s[p.i] == '!' && p.s[p.i + 1] == '=')
			op = HEARTH_MATCH_NE, p.i += 2;
		else if (p.i + 1 < p.n && p.s[p.i] == '!' && p.s[p.i + 1] == '~')
			op = HEARTH_MATCH_NRE, p.i += 2;
		else if (p.i < p.n && p.s[p.i] == '=')
			op = HEARTH_MATCH_EQ, p.i += 1;
		else {
			err = hearth_seterr(eb, HEARTH_EINVAL,
					    "selector: offset %zu: =, !=, =~ or !~ expected", p.i);
			goto out;
		}
		skip_ws(&p);
		const char *value = NULL;
		if ((err = parse_string(&p, &value, eb)))
			goto out;
		if (!strcmp(name, "__type__") && (op == HEARTH_MATCH_EQ || op == HEARTH_MATCH_NE))
			value = pyro_type(value);
		if ((err = add(sel, name, value, op, off, eb)))
			goto out;
		skip_ws(&p);
		if (p.i < p.n && p.s[p.i] == ',') {
			p.i++;
			continue;
		}
		if (p.i < p.n && p.s[p.i] == '}') {
			p.i++;
			break;
		}
		err = hearth_seterr(eb, HEARTH_EINVAL, "selector: offset %zu: ',' or '}' expected",
				    p.i);
		goto out;
	}
	skip_ws(&p);
	if (p.i != p.n)
		err = hearth_seterr(eb, HEARTH_EINVAL,
				    "selector: offset %zu: unexpected text after '}'", p.i);
out:
	if (err)
		hearth_selector_free(sel);
	return err;
}

void hearth_selector_free(hearth_selector *sel)
{
	if (!sel)
		return;
	for (size_t i = 0; sel->m && i < sel->n; i++)
		hearth_regex_free(sel->m[i].re);
	free(sel->m);
	free(sel->mem);
	memset(sel, 0, sizeof(*sel));
}

bool hearth_selector_match(const hearth_selector *sel, const char *service, const char *type,
			   const hearth_kv *labels, size_t nlabels)
{
	if (!sel)
		return true;
	for (size_t i = 0; i < sel->n; i++) {
		const hearth_matcher *m = &sel->m[i];
		const char *v = "";
		if (!strcmp(m->name, "service"))
			v = service ? service : "";
		else if (!strcmp(m->name, "__type__"))
			v = type ? type : "";
		else
			for (size_t k = 0; k < nlabels; k++)
				if (!strcmp(labels[k].name, m->name)) {
					v = labels[k].value;
					break;
				}
		bool ok;
		switch (m->op) {
		case HEARTH_MATCH_EQ:
			ok = !strcmp(v, m->value);
			break;
		case HEARTH_MATCH_NE:
			ok = strcmp(v, m->value) != 0;
			break;
		case HEARTH_MATCH_RE:
			ok = hearth_regex_match(m->re, v, strlen(v));
			break;
		default:
			ok = !hearth_regex_match(m->re, v, strlen(v));
		}
		if (!ok)
			return false;
	}
	return true;
}
