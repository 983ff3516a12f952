/* Folded stacks as a profile: "a;b;c 123" lines (root first, the value
 * last), the format of FlameGraph's stackcollapse scripts, of `hearth
 * folded` and of Pyroscope's "groups".
 *
 * Each distinct frame name becomes a function, each distinct frame (with
 * what was inlined into it: FlameGraph's "_[i]" suffix) a location, each
 * line a sample.  "# key: value" lines give what a profile has besides its
 * stacks (see docs/folded.md); other lines starting with '#' are comments.
 * Without a "# type:" line the sample type is samples/count.  Two values per
 * line ("# values: before after", or detected on the first line, as
 * FlameGraph's difffolded.pl writes them) make a comparison: the "before"
 * value becomes a sample of the base, as -diff_base marks them.
 *
 * The input is hostile: lines and stacks are bounded, every error names the
 * line.  Input that does not start like folded stacks is HEARTH_EFORMAT, so
 * hearth_parse can say "not a profile" instead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/io.h"
#include "util.h"

#define FOLDED_MAX_LINE (1u << 20)
#define FOLDED_MAX_DEPTH 8192

typedef struct {
	hearth_profile *p;
	uint32_t *fn_of; /* string index -> function index (HEARTH_NONE: none yet) */
	size_t nfn_of;
	uint32_t *loc_of; /* function index -> its location without inlined frames */
	size_t nloc_of;
	/* Locations with inlined frames, by their functions (outermost first). */
	uint32_t *seqs;
	size_t nseqs, capseqs;
	struct ient {
		uint32_t loc, off, len;
	} * itab;
	size_t icap, in;
	hearth_line *lines; /* FOLDED_MAX_DEPTH of them */
} builder;

static uint32_t function_for(builder *b, const char *name, size_t len)
{
	uint32_t s = hearth_intern(b->p, name, len);
	if (s == HEARTH_NONE)
		return HEARTH_NONE;
	if (s >= b->nfn_of) {
		size_t n = b->nfn_of ? b->nfn_of : 256;
		while (n <= s)
			n *= 2;
		uint32_t *x = realloc(b->fn_of, sizeof(uint32_t) * n);
		if (!x)
			return HEARTH_NONE;
		memset(x + b->nfn_of, 0xff, sizeof(uint32_t) * (n - b->nfn_of));
		b->fn_of = x;
		b->nfn_of = n;
	}
	if (b->fn_of[s] == HEARTH_NONE)
		b->fn_of[s] = hearth_add_function(b->p, s, s, 0, 0);
	return b->fn_of[s];
}

static uint64_t seq_hash(const uint32_t *f, uint32_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (uint32_t i = 0; i < n; i++)
		h = (h ^ f[i]) * 1099511628211ull;
	return h ^ (h >> 31);
}

static bool itab_grow(builder *b)
{
	size_t cap = b->icap ? b->icap * 2 : 256;
	struct ient *t = malloc(sizeof(*t) * cap);
	if (!t)
		return false;
	for (size_t i = 0; i < cap; i++)
		t[i].loc = HEARTH_NONE;
	for (size_t i = 0; i < b->icap; i++) {
		if (b->itab[i].loc == HEARTH_NONE)
			continue;
		size_t h = seq_hash(b->seqs + b->itab[i].off, b->itab[i].len) & (cap - 1);
		while (t[h].loc != HEARTH_NONE)
			h = (h + 1) & (cap - 1);
		t[h] = b->itab[i];
	}
	free(b->itab);
	b->itab = t;
	b->icap = cap;
	return true;
}

/* The location of fns[0..n): the outermost function, with fns[1..] inlined
 * into it (lines are stored innermost first). */
static uint32_t location_for(builder *b, const uint32_t *fns, uint32_t n)
{
	hearth_line *lines = b->lines;
	if (n == 1) {
		uint32_t f = fns[0];
		if (f >= b->nloc_of) {
			size_t m = b->nloc_of ? b->nloc_of : 256;
			while (m <= f)
				m *= 2;
			uint32_t *x = realloc(b->loc_of, sizeof(uint32_t) * m);
			if (!x)
				return HEARTH_NONE;
			memset(x + b->nloc_of, 0xff, sizeof(uint32_t) * (m - b->nloc_of));
			b->loc_of = x;
			b->nloc_of = m;
		}
		if (b->loc_of[f] == HEARTH_NONE) {
			hearth_line ln = {f, 0, 0};
			b->loc_of[f] = hearth_add_location(b->p, HEARTH_NONE, 0, &ln, 1, false);
		}
		return b->loc_of[f];
	}
	if ((b->in + 1) * 2 > b->icap && !itab_grow(b))
		return HEARTH_NONE;
	size_t h = seq_hash(fns, n) & (b->icap - 1);
	for (; b->itab[h].loc != HEARTH_NONE; h = (h + 1) & (b->icap - 1))
		if (b->itab[h].len == n && !memcmp(b->seqs + b->itab[h].off, fns, sizeof(*fns) * n))
			return b->itab[h].loc;
	if (b->nseqs + n > UINT32_MAX || !HEARTH_GROW(b->seqs, b->nseqs, b->capseqs, n))
		return HEARTH_NONE;
	for (uint32_t i = 0; i < n; i++)
		lines[i] = (hearth_line){fns[n - 1 - i], 0, 0};
	uint32_t loc = hearth_add_location(b->p, HEARTH_NONE, 0, lines, n, false);
	if (loc == HEARTH_NONE)
		return HEARTH_NONE;
	memcpy(b->seqs + b->nseqs, fns, sizeof(*fns) * n);
	b->itab[h] = (struct ient){loc, (uint32_t)b->nseqs, n};
	b->nseqs += n;
	b->in++;
	return loc;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Parses a decimal int64 from s[0..n); false when it is not one. */
static bool parse_i64(const char *s, size_t n, int64_t *out, bool *overflow)
{
	size_t i = 0;
	bool neg = false;
	uint64_t v = 0;
	*overflow = false;
	if (n && (s[0] == '-' || s[0] == '+'))
		neg = s[0] == '-', i = 1;
	if (i == n)
		return false;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (UINT64_MAX - d) / 10) {
			*overflow = true;
			return true;
		}
		v = v * 10 + d;
	}
	if (v > (uint64_t)INT64_MAX + neg) {
		*overflow = true;
		return true;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* The last whitespace-separated token of s[0..*n): its start and length;
 * *n becomes the length before the token, trailing blanks removed. */
static bool last_token(const char *s, size_t *n, const char **tok, size_t *toklen)
{
	size_t e = *n;
	while (e > 0 && is_space(s[e - 1]))
		e--;
	size_t b = e;
	while (b > 0 && !is_space(s[b - 1]))
		b--;
	if (b == e || b == 0)
		return false;
	*tok = s + b;
	*toklen = e - b;
	while (b > 0 && is_space(s[b - 1]))
		b--;
	*n = b;
	return true;
}

typedef struct {
	char *file, *build_id;
	bool type_set, two, two_known, any_header;
	int64_t no_stack; /* the value of samples without frames */
} headers;

static hearth_err header_line(builder *b, headers *h, const char *s, size_t n, size_t lineno,
			      bool seen_data, hearth_errbuf *eb)
{
	hearth_profile *p = b->p;
	/* "# key: value"; anything else is a comment. */
	size_t i = 1;
	while (i < n && is_space(s[i]))
		i++;
	size_t k0 = i;
	while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
		i++;
	if (i == k0 || i >= n || s[i] != ':') {
		if (n >= 15 && !memcmp(s, "# hearth folded", 15))
			h->any_header = true;
		return HEARTH_OK;
	}
	const char *key = s + k0;
	size_t klen = i - k0;
	i++;
	while (i < n && is_space(s[i]))
		i++;
	const char *v = s + i;
	size_t vlen = n - i;
	while (vlen && is_space(v[vlen - 1]))
		vlen--;
	bool ovf;
	int64_t num;
#define KEY(lit) (klen == sizeof(lit) - 1 && !memcmp(key, lit, klen))
	if (KEY("type")) {
		if (seen_data || h->type_set)
			return hearth_seterr(eb, HEARTH_ECORRUPT,
					     "line %zu: the type must come once, before the stacks",
					     lineno);
		const char *slash = NULL;
		for (size_t j = 0; j < vlen; j++)
			if (v[j] == '/')
				slash = v + j;
		size_t tl = slash ? (size_t)(slash - v) : vlen;
		char *t = strndup(v, tl),
		     *u = strndup(slash ? slash + 1 : "count", slash ? vlen - tl - 1 : 5);
		uint32_t r = t && u && tl ? hearth_add_sample_type(p, t, u) : HEARTH_NONE;
		bool empty = tl == 0;
		free(t);
		free(u);
		if (empty)
			return hearth_seterr(eb, HEARTH_ECORRUPT, "line %zu: empty sample type",
					     lineno);
		if (r == HEARTH_NONE)
			return HEARTH_ENOMEM;
		h->type_set = true;
	} else if (KEY("values")) {
		if (seen_data)
			return hearth_seterr(eb, HEARTH_ECORRUPT,
					     "line %zu: \"values\" must come before the stacks",
					     lineno);
		if (vlen == 12 && !memcmp(v, "before after", 12))
			h->two = true;
		else if (!(vlen == 5 && !memcmp(v, "value", 5)))
			return hearth_seterr(
			    eb, HEARTH_ECORRUPT,
			    "line %zu: values must be \"value\" or \"before after\"", lineno);
		h->two_known = true;
	} else if (KEY("file") || KEY("build_id")) {
		char **dst = KEY("file") ? &h->file : &h->build_id;
		free(*dst);
		if (!(*dst = strndup(v, vlen)))
			return HEARTH_ENOMEM;
	} else if (KEY("time") || KEY("duration")) {
		if (!parse_i64(v, vlen, &num, &ovf) || ovf)
			return hearth_seterr(eb, HEARTH_ECORRUPT,
					     "line %zu: %.*s must be an integer (nanoseconds)",
					     lineno, (int)klen, key);
		*(KEY("time") ? &p->time_nanos : &p->duration_nanos) = num;
	} else if (KEY("period")) {
		size_t rest = vlen;
		const char *tok;
		size_t tl;
		if (!last_token(v, &rest, &tok, &tl) || !parse_i64(tok, tl, &num, &ovf) || ovf)
			return hearth_seterr(eb, HEARTH_ECORRUPT,
					     "line %zu: period must be \"type/unit N\"", lineno);
		const char *slash = memchr(v, '/', rest);
		size_t l1 = slash ? (size_t)(slash - v) : rest;
		p->period_type.type = hearth_intern(p, v, l1);
		p->period_type.unit =
		    slash ? hearth_intern(p, slash + 1, rest - l1 - 1) : hearth_intern(p, "", 0);
		if (p->period_type.type == HEARTH_NONE || p->period_type.unit == HEARTH_NONE)
			return HEARTH_ENOMEM;
		p->period = num;
	} else if (KEY("no_stack")) {
		if (!parse_i64(v, vlen, &num, &ovf) || ovf)
			return hearth_seterr(eb, HEARTH_ECORRUPT,
					     "line %zu: no_stack must be an integer", lineno);
		h->no_stack = num;
	} else if (KEY("comment")) {
		if (hearth_add_comment(p, v, vlen))
			return HEARTH_ENOMEM;
	} else {
		return HEARTH_OK; /* someone else's key */
	}
#undef KEY
	h->any_header = true;
	return HEARTH_OK;
}

/* What makes a stack line unparseable; a first line like this means the
 * input is not folded stacks at all. */
static hearth_err bad_line(bool first, size_t lineno, hearth_errbuf *eb, const char *what)
{
	if (first)
		return HEARTH_EFORMAT;
	return hearth_seterr(eb, HEARTH_ECORRUPT, "line %zu: %s", lineno, what);
}

hearth_err hearth_folded_parse(const uint8_t *data, size_t n, hearth_profile **out,
			       hearth_errbuf *eb)
{
	const char *buf = (const char *)data;
	builder b = {0};
	headers h = {0};
	hearth_err err = HEARTH_ENOMEM;
	uint32_t *fns = NULL, *locs = NULL;
	uint8_t *inl = NULL;
	uint32_t kbase = HEARTH_NONE, ktrue = HEARTH_NONE;
	size_t lineno = 0, nsamples_lines = 0;
	*out = NULL;
	if (!(b.p = hearth_profile_new()))
		return HEARTH_ENOMEM;
	fns = malloc(sizeof(uint32_t) * FOLDED_MAX_DEPTH);
	locs = malloc(sizeof(uint32_t) * FOLDED_MAX_DEPTH);
	inl = malloc(FOLDED_MAX_DEPTH);
	b.lines = malloc(sizeof(hearth_line) * FOLDED_MAX_DEPTH);
	if (!fns || !locs || !inl || !b.lines)
		goto out;
	size_t pos = 0;
	if (n >= 3 && !memcmp(buf, "\xef\xbb\xbf", 3))
		pos = 3;
	while (pos < n) {
		const char *s = buf + pos;
		const char *nl = memchr(s, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - s) : n - pos;
		pos += len + (nl != NULL);
		lineno++;
		bool first = nsamples_lines == 0;
		if (len > FOLDED_MAX_LINE) {
			err = first && !h.any_header
				  ? HEARTH_EFORMAT
				  : hearth_seterr(eb, HEARTH_ETOOBIG,
						  "line %zu: longer than %u bytes", lineno,
						  FOLDED_MAX_LINE);
			goto out;
		}
		if (len && s[len - 1] == '\r')
			len--;
		size_t lead = 0;
		while (lead < len && is_space(s[lead]))
			lead++;
		if (lead == len)
			continue;
		for (size_t i = 0; i < len; i++) {
			unsigned char c = (unsigned char)s[i];
			if ((c < 0x20 && c != '\t') || c == 0x7f) {
				if (first && !h.any_header) {
					err = HEARTH_EFORMAT;
				} else {
					err = hearth_seterr(eb, HEARTH_ECORRUPT,
							    "line %zu: control character 0x%02x "
							    "at column %zu",
							    lineno, c, i + 1);
				}
				goto out;
			}
		}
		if (s[0] == '#') {
			if ((err = header_line(&b, &h, s, len, lineno, !first, eb)))
				goto out;
			err = HEARTH_ENOMEM;
			continue;
		}
		bool strict = !first || h.any_header;
		/* The value(s) at the end of the line. */
		size_t rest = len;
		const char *tok;
		size_t tl;
		int64_t vals[2] = {0, 0};
		bool ovf;
		if (!last_token(s, &rest, &tok, &tl) || !parse_i64(tok, tl, &vals[1], &ovf)) {
			err = bad_line(!strict, lineno, eb,
				       "no value: want \"frame;frame;... value\"");
			goto out;
		}
		if (ovf) {
			err = bad_line(!strict, lineno, eb, "value out of range");
			goto out;
		}
		if (!h.two_known) {
			/* Two numbers on the first line: difffolded.pl's format. */
			size_t r2 = rest;
			const char *t2;
			size_t l2;
			int64_t x;
			h.two = last_token(s, &r2, &t2, &l2) && parse_i64(t2, l2, &x, &ovf) && !ovf;
			h.two_known = true;
		}
		if (h.two) {
			if (!last_token(s, &rest, &tok, &tl) ||
			    !parse_i64(tok, tl, &vals[0], &ovf) || ovf) {
				err = bad_line(!strict, lineno, eb,
					       "want two values, \"frame;... before after\"");
				goto out;
			}
		}
		if (rest == 0 || lead == rest) {
			err = bad_line(!strict, lineno, eb, "no frames before the value");
			goto out;
		}
		/* The frames. */
		uint32_t depth = 0;
		for (size_t i = lead; i <= rest;) {
			const char *e = memchr(s + i, ';', rest - i);
			size_t fl = e ? (size_t)(e - (s + i)) : rest - i;
			if (fl == 0) {
				err = bad_line(!strict, lineno, eb, "empty frame name");
				goto out;
			}
			if (depth == FOLDED_MAX_DEPTH) {
				err = hearth_seterr(eb, strict ? HEARTH_ETOOBIG : HEARTH_EFORMAT,
						    "line %zu: more than %d frames", lineno,
						    FOLDED_MAX_DEPTH);
				goto out;
			}
			bool in = depth > 0 && fl > 4 && !memcmp(s + i + fl - 4, "_[i]", 4);
			if ((fns[depth] = function_for(&b, s + i, in ? fl - 4 : fl)) == HEARTH_NONE)
				goto out;
			inl[depth++] = in;
			if (!e)
				break;
			i += fl + 1;
			if (i == rest) {
				err = bad_line(!strict, lineno, eb, "empty frame name");
				goto out;
			}
		}
		if (first) {
			if (!h.type_set &&
			    hearth_add_sample_type(b.p, "samples", "count") == HEARTH_NONE)
				goto out;
			if (h.two) {
				kbase = hearth_intern_cstr(b.p, "pprof::base");
				ktrue = hearth_intern_cstr(b.p, "true");
				if (kbase == HEARTH_NONE || ktrue == HEARTH_NONE)
					goto out;
			}
		}
		nsamples_lines++;
		/* Locations leaf first: a frame and what is inlined into it. */
		uint32_t nloc = 0;
		for (uint32_t e = depth; e > 0;) {
			uint32_t st = e - 1;
			while (st > 0 && inl[st])
				st--;
			if ((locs[nloc++] = location_for(&b, fns + st, e - st)) == HEARTH_NONE)
				goto out;
			e = st;
		}
		if (vals[1] != 0 && (err = hearth_add_sample(b.p, locs, nloc, &vals[1], NULL, 0)))
			goto out;
		if (h.two && vals[0] != 0) {
			int64_t neg = vals[0] == INT64_MIN ? INT64_MAX : -vals[0];
			hearth_label lb = {kbase, ktrue, 0, 0};
			if ((err = hearth_add_sample(b.p, locs, nloc, &neg, &lb, 1)))
				goto out;
		}
		err = HEARTH_ENOMEM;
	}
	if (nsamples_lines == 0 && !h.any_header) {
		err = HEARTH_EFORMAT;
		goto out;
	}
	if (b.p->nsample_types == 0 &&
	    hearth_add_sample_type(b.p, "samples", "count") == HEARTH_NONE)
		goto out;
	if (h.no_stack && (err = hearth_add_sample(b.p, NULL, 0, &h.no_stack, NULL, 0)))
		goto out;
	err = HEARTH_ENOMEM;
	if (h.file || h.build_id) {
		hearth_mapping m = {0};
		m.file = hearth_intern_cstr(b.p, h.file ? h.file : "");
		m.build_id = hearth_intern_cstr(b.p, h.build_id ? h.build_id : "");
		m.has_functions = true;
		if (m.file == HEARTH_NONE || m.build_id == HEARTH_NONE ||
		    hearth_add_mapping(b.p, &m) == HEARTH_NONE)
			goto out;
	}
	err = HEARTH_OK;
out:
	free(fns);
	free(locs);
	free(inl);
	free(b.fn_of);
	free(b.loc_of);
	free(b.seqs);
	free(b.itab);
	free(b.lines);
	free(h.file);
	free(h.build_id);
	if (err) {
		if (err == HEARTH_ENOMEM)
			hearth_seterr(eb, err, "out of memory");
		hearth_profile_free(b.p);
		return err;
	}
	*out = b.p;
	return HEARTH_OK;
}
