/* Legacy profile formats: everything pprof reads that is not profile.proto.
 *
 *   - CPU profiles in the gperftools binary format (32/64-bit words, either
 *     byte order; also Go's old CPU profiles), memory map appended as text;
 *   - heap text: heap, heap_v2, heapz_v2, heapprofile, growthz,
 *     fragmentationz, and today's Go heap ?debug=1 text;
 *   - Go count profiles: "goroutine profile: total N", "threadcreate ...";
 *   - threadz ("--- threadz 1 ---");
 *   - contention text ("--- contentionz", "--- mutex:", "--- contention:");
 *   - Java heapz, contentionz and CPU profiles.
 *
 * pprof's profile package (legacy_profile.go, legacy_java_profile.go) is the
 * reference: an input parses, fails, or is "not this format" exactly as it
 * does there, into the same profile location for location, including pprof's
 * clean-ups (dropping signal-handler frames, merging split mappings, finding
 * the main binary, the fake mapping for unmapped addresses).
 *
 * pprof matches lines with Go regular expressions.  Here each expression is a
 * small matcher that yields the same leftmost-first captures; each one works
 * in time linear in the line, so a hostile line cannot make it backtrack for
 * ever.  The comment above each matcher gives the expression it stands for.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem, tm_gmtoff; the Makefile defines it too */
#endif
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/io.h"
#include "hearth/profile.h"
#include "util.h"

/* bufio.Scanner's default buffer is 64 KiB: a line (with its newline) longer
 * than that fails the scan, and pprof fails with it. */
#define MAX_LINE 65535u
/* Deepest stack accepted.  pprof has no limit; real stacks are a few hundred
 * frames at most, and a bound keeps every later pass over stacks cheap. */
#define MAX_FRAMES (1u << 16)
/* Work allowed for the quadratic parts of memory-map handling (attribute
 * substitution, locations outside every mapping): far above what any real
 * profile needs, low enough that a hostile one fails in well under a second. */
#define WORK_BUDGET (1ull << 28)

/* ---------------------------------------------------------------------------
 * Byte strings and character classes
 * ------------------------------------------------------------------------- */

typedef struct {
	const char *p;
	size_t n;
} span;

#define EMPTY_SPAN ((span){"", 0})

static span sub(span s, size_t i, size_t j)
{
	return (span){s.p + i, j - i};
}

/* The byte at i, or -1 past the end: lets matchers test without bounds checks. */
static int at(span s, size_t i)
{
	return i < s.n ? (unsigned char)s.p[i] : -1;
}

static bool span_eq(span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && memcmp(s.p, lit, n) == 0;
}

static bool has_prefix(span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n >= n && memcmp(s.p, lit, n) == 0;
}

static bool has_prefix_at(span s, size_t i, const char *lit)
{
	size_t n = strlen(lit);
	return i <= s.n && s.n - i >= n && memcmp(s.p + i, lit, n) == 0;
}

/* Index of the first occurrence of lit at or after i, or SIZE_MAX. */
static size_t find(span s, size_t i, const char *lit)
{
	size_t n = strlen(lit);
	if (i > s.n)
		return SIZE_MAX;
	const char *r = memmem(s.p + i, s.n - i, lit, n);
	return r ? (size_t)(r - s.p) : SIZE_MAX;
}

static bool contains(span s, const char *lit)
{
	return find(s, 0, lit) != SIZE_MAX;
}

/* RE2's \s: [\t\n\f\r ] (no \v). */
static bool c_space(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r';
}

static bool c_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool c_xdigit(int c)
{
	return c_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* [0-9a-f] */
static bool c_lhex(int c)
{
	return c_digit(c) || (c >= 'a' && c <= 'f');
}

/* \w */
static bool c_word(int c)
{
	return c_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* [\w ] */
static bool c_word_sp(int c)
{
	return c_word(c) || c == ' ';
}

/* [-rwxp] */
static bool c_perm(int c)
{
	return c == '-' || c == 'r' || c == 'w' || c == 'x' || c == 'p';
}

/* [ x0-9a-f] */
static bool c_addrs(int c)
{
	return c == ' ' || c == 'x' || c_lhex(c);
}

/* [_a-z0-9] */
static bool c_heapname(int c)
{
	return c == '_' || (c >= 'a' && c <= 'z') || c_digit(c);
}

static bool c_nonspace(int c)
{
	return c >= 0 && !c_space(c);
}

static bool c_notbracket(int c)
{
	return c >= 0 && c != '[' && c != ']';
}

/* End of the run of class members that starts at i. */
static size_t run(span s, size_t i, bool (*cls)(int))
{
	while (cls(at(s, i)))
		i++;
	return i;
}

static size_t skip_spaces(span s, size_t i) /* " *" */
{
	while (at(s, i) == ' ')
		i++;
	return i;
}

/* Length of the unicode.IsSpace rune at the start of p[0..n), or 0. */
static size_t uspace_head(const unsigned char *p, size_t n)
{
	if (n == 0)
		return 0;
	switch (p[0]) {
	case '\t': case '\n': case '\v': case '\f': case '\r': case ' ':
		return 1;
	case 0xc2: /* U+0085, U+00A0 */
		return n >= 2 && (p[1] == 0x85 || p[1] == 0xa0) ? 2 : 0;
	case 0xe1: /* U+1680 */
		return n >= 3 && p[1] == 0x9a && p[2] == 0x80 ? 3 : 0;
	case 0xe2: /* U+2000-200A, U+2028, U+2029, U+202F, U+205F */
		if (n < 3)
			return 0;
		if (p[1] == 0x80 && ((p[2] >= 0x80 && p[2] <= 0x8a) || p[2] == 0xa8 ||
				     p[2] == 0xa9 || p[2] == 0xaf))
			return 3;
		return p[1] == 0x81 && p[2] == 0x9f ? 3 : 0;
	case 0xe3: /* U+3000 */
		return n >= 3 && p[1] == 0x80 && p[2] == 0x80 ? 3 : 0;
	}
	return 0;
}

/* Length of the unicode.IsSpace rune that ends p[0..n), or 0. */
static size_t uspace_tail(const unsigned char *p, size_t n)
{
	if (n >= 1 && uspace_head(p + n - 1, 1) == 1)
		return 1;
	if (n >= 2 && uspace_head(p + n - 2, 2) == 2)
		return 2;
	if (n >= 3 && uspace_head(p + n - 3, 3) == 3)
		return 3;
	return 0;
}

/* strings.TrimSpace. */
static span trim(span s)
{
	size_t k;
	while ((k = uspace_head((const unsigned char *)s.p, s.n)) > 0) {
		s.p += k;
		s.n -= k;
	}
	while ((k = uspace_tail((const unsigned char *)s.p, s.n)) > 0)
		s.n -= k;
	return s;
}

/* pprof's isSpaceOrComment. */
static bool blank_or_comment(span line)
{
	span t = trim(line);
	return t.n == 0 || t.p[0] == '#';
}

/* pprof's isMemoryMapSentinel. */
static bool map_sentinel(span line)
{
	return contains(line, "--- Memory map: ---") || contains(line, "MAPPED_LIBRARIES:");
}

/* ---------------------------------------------------------------------------
 * Go's number parsing and arithmetic
 * ------------------------------------------------------------------------- */

static int lower(int c)
{
	return c | 0x20;
}

/* strconv's underscoreOK: underscores only between digits (or after a base
 * prefix). */
static bool underscore_ok(span s)
{
	char saw = '^';
	size_t i = 0;
	bool hex = false;
	if (s.n >= 1 && (s.p[0] == '-' || s.p[0] == '+'))
		s = sub(s, 1, s.n);
	if (s.n >= 2 && s.p[0] == '0' &&
	    (lower(s.p[1]) == 'b' || lower(s.p[1]) == 'o' || lower(s.p[1]) == 'x')) {
		i = 2;
		saw = '0';
		hex = lower(s.p[1]) == 'x';
	}
	for (; i < s.n; i++) {
		int c = (unsigned char)s.p[i];
		if (c_digit(c) || (hex && lower(c) >= 'a' && lower(c) <= 'f')) {
			saw = '0';
			continue;
		}
		if (c == '_') {
			if (saw != '0')
				return false;
			saw = '_';
			continue;
		}
		if (saw == '_')
			return false;
		saw = '!';
	}
	return saw != '_';
}

/* strconv.ParseUint(s, base, 64) for base 0, 10 or 16: false on any error. */
static bool parse_uint(span s, int base, uint64_t *out)
{
	span s0 = s;
	bool base0 = base == 0;
	if (s.n == 0)
		return false;
	if (base0) {
		base = 10;
		if (s.p[0] == '0') {
			int c = s.n >= 3 ? lower((unsigned char)s.p[1]) : 0;
			if (c == 'b' || c == 'o' || c == 'x') {
				base = c == 'b' ? 2 : c == 'o' ? 8 : 16;
				s = sub(s, 2, s.n);
			} else {
				base = 8;
				s = sub(s, 1, s.n);
			}
		}
	}
	uint64_t n = 0, cutoff = UINT64_MAX / (uint64_t)base + 1;
	bool underscores = false;
	for (size_t i = 0; i < s.n; i++) {
		int c = (unsigned char)s.p[i], d;
		if (c == '_' && base0) {
			underscores = true;
			continue;
		} else if (c_digit(c)) {
			d = c - '0';
		} else if (lower(c) >= 'a' && lower(c) <= 'z') {
			d = lower(c) - 'a' + 10;
		} else {
			return false;
		}
		if (d >= base || n >= cutoff)
			return false;
		n *= (uint64_t)base;
		if (n + (uint64_t)d < n)
			return false;
		n += (uint64_t)d;
	}
	if (underscores && !underscore_ok(s0))
		return false;
	*out = n;
	return true;
}

/* strconv.ParseInt(s, base, 64). */
static bool parse_int(span s, int base, int64_t *out)
{
	bool neg = false;
	uint64_t u;
	if (s.n == 0)
		return false;
	if (s.p[0] == '+' || s.p[0] == '-') {
		neg = s.p[0] == '-';
		s = sub(s, 1, s.n);
	}
	if (!parse_uint(s, base, &u))
		return false;
	if (neg ? u > (1ull << 63) : u >= (1ull << 63))
		return false;
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return true;
}

/* Go's wrapping int64 arithmetic (signed overflow is undefined in C). */
static int64_t mul64(int64_t a, int64_t b)
{
	return (int64_t)((uint64_t)a * (uint64_t)b);
}

static int64_t div64(int64_t a, int64_t b)
{
	return b == -1 ? (int64_t)(0 - (uint64_t)a) : a / b;
}

/* Go's int64(f) on amd64 (CVTTSD2SQ): NaN and out-of-range give MinInt64. */
static int64_t f2i(double f)
{
	if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0))
		return INT64_MIN;
	return (int64_t)f;
}

static double bits_f64(uint64_t u)
{
	double d;
	memcpy(&d, &u, sizeof d);
	return d;
}

/* math.Exp as Go computes it on amd64 (math/exp_amd64.s), so that the heap
 * sampling correction rounds exactly as pprof's does.  Go takes the fused
 * multiply-add path when the CPU has AVX and FMA.  Elsewhere libm's exp
 * stands in (Go's own differs by architecture there too). */
static double go_exp(double x)
{
#if !defined(__x86_64__)
	return exp(x);
#else
	static const double LOG2E = 1.4426950408889634073599246810018920;
	static const double LN2U = 0.69314718055966295651160180568695068359375;
	static const double LN2L = 0.28235290563031577122588448175013436025525412068e-12;
	static const double C[] = {2.4801587301587301587e-5, 1.9841269841269841270e-4,
				   1.3888888888888888889e-3, 8.3333333333333333333e-3,
				   4.1666666666666666667e-2, 1.6666666666666666667e-1, 0.5, 1.0};
	bool fma_ok = __builtin_cpu_supports("avx") && __builtin_cpu_supports("fma");
	uint64_t u;
	memcpy(&u, &x, sizeof u);
	if ((u & ~(1ull << 63)) >= 0x7ff0000000000000ull) /* Inf or NaN */
		return u == 0xfff0000000000000ull ? 0 : x;
	if (x > 7.09782712893384e+02)
		return HUGE_VAL;
	double t = LOG2E * x, hi, x0 = x, x1;
	int32_t e;
	/* CVTSD2SL: round to nearest even; out of range gives INT32_MIN. */
	if (!(t > -2147483648.5 && t < 2147483647.5))
		e = INT32_MIN;
	else
		e = (int32_t)nearbyint(t);
	hi = (double)e;
	if (fma_ok) {
		x0 = fma(-hi, LN2U, x0);
		x0 = fma(-hi, LN2L, x0);
		x0 *= 0.0625;
		x1 = C[0];
		for (int i = 1; i < 8; i++)
			x1 = fma(x1, x0, C[i]);
		x0 *= x1;
		for (int i = 0; i < 3; i++) {
			x1 = x0 + 2.0;
			x0 *= x1;
		}
		x1 = x0 + 2.0;
		x0 = fma(x0, x1, 1.0);
	} else {
		double y = LN2U * hi;
		x0 -= y;
		y = LN2L * hi;
		x0 -= y;
		x0 *= 0.0625;
		x1 = C[0];
		for (int i = 1; i < 8; i++) {
			x1 *= x0;
			x1 += C[i];
		}
		x0 *= x1;
		for (int i = 0; i < 4; i++) {
			x1 = 2.0 + x0;
			x0 *= x1;
		}
		x0 += 1.0;
	}
	/* x0 * 2**e, with the assembly's denormal and overflow handling. */
	int64_t be = (int64_t)e + 0x3ff;
	if (be <= 0) {
		if ((int32_t)be < -52)
			return 0;
		x0 *= bits_f64((uint64_t)(be + 0x3fe) << 52);
		be = 1;
	} else if (be >= 0x7ff) {
		return HUGE_VAL;
	}
	return x0 * bits_f64((uint64_t)be << 52);
#endif
}

/* pprof's scaleHeapSample: undoes heap sampling at average rate `rate`, where
 * a sample of size S appears with probability 1-exp(-S/rate). */
static void scale_heap_sample(int64_t *count, int64_t *size, int64_t rate)
{
	if (*count == 0 || *size == 0) {
		*count = *size = 0;
		return;
	}
	if (rate <= 1)
		return;
	double avg = (double)*size / (double)*count;
	double scale = 1 / (1 - go_exp(-avg / (double)rate));
	*count = f2i((double)*count * scale);
	*size = f2i((double)*size * scale);
}

/* ---------------------------------------------------------------------------
 * Lines, as bufio.Scanner with ScanLines splits them
 * ------------------------------------------------------------------------- */

typedef struct {
	const char *data;
	size_t n, pos;
	size_t base;	/* offset of data in the whole input */
	span text;	/* the current line; empty after a failed scan */
	size_t lineno;	/* 1-based number of the current line */
	bool too_long;	/* a line over MAX_LINE stopped the scan */
} scanner;

static void scanner_init(scanner *s, const char *data, size_t n, size_t base)
{
	memset(s, 0, sizeof(*s));
	s->data = data;
	s->n = n;
	s->base = base;
	s->text = EMPTY_SPAN;
}

static bool scan(scanner *s)
{
	s->text = EMPTY_SPAN;
	if (s->too_long || s->pos >= s->n)
		return false;
	const char *p = s->data + s->pos;
	size_t rem = s->n - s->pos;
	const char *nl = memchr(p, '\n', rem < MAX_LINE + 1 ? rem : MAX_LINE + 1);
	size_t len = nl ? (size_t)(nl - p) : rem;
	if (len > MAX_LINE) {
		s->too_long = true;
		s->lineno++;
		return false;
	}
	s->pos += nl ? len + 1 : len;
	if (len > 0 && p[len - 1] == '\r')
		len--;
	s->text = (span){p, len};
	s->lineno++;
	return true;
}

/* ---------------------------------------------------------------------------
 * The profile under construction
 *
 * Parsers collect locations (one per distinct address), samples and mappings
 * here, the clean-ups run on it, and emit() turns it into a hearth_profile.
 * ------------------------------------------------------------------------- */

typedef struct {
	size_t off, len;
} pstr; /* a NUL-terminated string in builder.pool */

typedef struct {
	uint64_t addr;
	uint32_t fn;   /* Java: index into fns, or HEARTH_NONE */
	int64_t line;
	uint32_t map;  /* index into maps, or HEARTH_NONE */
	uint32_t out;  /* index in the result, HEARTH_NONE when dropped */
} bloc;

typedef struct {
	size_t off;    /* stack in stk[off .. off+n), leaf first */
	uint32_t n;
	bool has_bytes; /* the "bytes" numeric label of heap samples */
	int64_t bytes;
	int64_t v[4];
} bsample;

typedef struct {
	uint64_t start, limit, offset;
	pstr file, build_id;
} bmap;

typedef struct {
	pstr name, file;
	uint32_t out;
} bfunc;

typedef struct {
	pstr old, new; /* "$key" and its value */
} battr;

typedef struct {
	const char *data;
	size_t n;
	hearth_errbuf *eb;

	int ntypes, nvalues;
	pstr type[4], unit[4];
	pstr ptype, punit;
	int64_t period, duration;

	bloc *locs;
	size_t nlocs, caplocs;
	uint64_t *hkeys; /* address -> location, open addressing */
	uint32_t *hvals;
	size_t hcap;

	uint32_t *stk;
	size_t nstk, capstk;
	bsample *samples;
	size_t nsamples, capsamples;

	bmap *maps;
	size_t nmaps, capmaps;
	bfunc *fns;
	size_t nfns, capfns;
	uint32_t *fhash; /* function name -> index, open addressing */
	size_t fhcap;

	char *pool;
	size_t npool, cappool;

	uint32_t *order; /* result order of locations (pprof's remapLocationIDs) */
	size_t norder;

	uint64_t *addrs; /* one stack being read */
	size_t naddrs, capaddrs;

	battr *attrs; /* memory-map "key=value" substitutions */
	size_t nattrs, capattrs;
	char *scratch;
	size_t capscratch;

	uint64_t work;
	size_t jline; /* Java text: number of the last line read */
	bool soft;    /* EFORMAT after recognizing the format: see soft() */
	bool zero_addresses; /* Java: pprof aggregates addresses away */
} builder;

static hearth_err failf(builder *b, hearth_err e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static hearth_err failf(builder *b, hearth_err e, const char *fmt, ...)
{
	if (b->eb) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(b->eb->msg, sizeof(b->eb->msg), fmt, ap);
		va_end(ap);
	}
	return e;
}

/* Where pprof's parser gives up with "unrecognized profile format" although
 * it had recognized its format, pprof goes on to try the next format.  So do
 * we, but keep the reason: if no other format takes the data, it says more
 * than "unrecognized". */
static hearth_err soft(builder *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static hearth_err soft(builder *b, const char *fmt, ...)
{
	if (b->eb) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(b->eb->msg, sizeof(b->eb->msg), fmt, ap);
		va_end(ap);
	}
	b->soft = true;
	return HEARTH_EFORMAT;
}

static hearth_err oom(builder *b)
{
	return failf(b, HEARTH_ENOMEM, "out of memory");
}

static void builder_free(builder *b)
{
	free(b->locs);
	free(b->hkeys);
	free(b->hvals);
	free(b->stk);
	free(b->samples);
	free(b->maps);
	free(b->fns);
	free(b->fhash);
	free(b->pool);
	free(b->order);
	free(b->addrs);
	free(b->attrs);
	free(b->scratch);
}

static const char *pstr_c(const builder *b, pstr s)
{
	return b->pool ? b->pool + s.off : "";
}

static span pstr_span(const builder *b, pstr s)
{
	return (span){pstr_c(b, s), s.len};
}

/* Copies s into the pool.  Offset 0 of the pool is always "" (so a zeroed
 * pstr is the empty string). */
static bool pool_add(builder *b, span s, pstr *out)
{
	if (b->npool == 0) {
		if (!HEARTH_GROW(b->pool, 0, b->cappool, 1))
			return false;
		b->pool[0] = 0;
		b->npool = 1;
	}
	if (s.n == 0) {
		*out = (pstr){0, 0};
		return true;
	}
	if (!HEARTH_GROW(b->pool, b->npool, b->cappool, s.n + 1))
		return false;
	memcpy(b->pool + b->npool, s.p, s.n);
	b->pool[b->npool + s.n] = 0;
	*out = (pstr){b->npool, s.n};
	b->npool += s.n + 1;
	return true;
}

static span cspan(const char *s)
{
	return (span){s, strlen(s)};
}

/* Sets the sample types from pairs of (type, unit). */
/* Extends the string last added to the pool. */
static bool pool_append(builder *b, pstr *s, span more)
{
	if (s->off + s->len + 1 != b->npool || s->off == 0)
		return false;
	if (!HEARTH_GROW(b->pool, b->npool, b->cappool, more.n))
		return false;
	memcpy(b->pool + b->npool - 1, more.p, more.n);
	b->npool += more.n;
	b->pool[b->npool - 1] = 0;
	s->len += more.n;
	return true;
}

static bool set_types(builder *b, int n, const span *tu)
{
	b->ntypes = b->nvalues = n;
	for (int i = 0; i < n; i++)
		if (!pool_add(b, tu[2 * i], &b->type[i]) || !pool_add(b, tu[2 * i + 1], &b->unit[i]))
			return false;
	return true;
}

static bool set_ctypes(builder *b, int n, const char *const *tu)
{
	span t[8];
	for (int i = 0; i < 2 * n; i++)
		t[i] = cspan(tu[i]);
	return set_types(b, n, t);
}

static bool set_period_type(builder *b, span type, span unit)
{
	return pool_add(b, type, &b->ptype) && pool_add(b, unit, &b->punit);
}

static uint64_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static bool addr_index_grow(builder *b)
{
	size_t cap = b->hcap ? b->hcap * 2 : 1024;
	uint64_t *keys = malloc(cap * sizeof(*keys));
	uint32_t *vals = malloc(cap * sizeof(*vals));
	if (!keys || !vals || cap > SIZE_MAX / 2 / sizeof(*keys)) {
		free(keys);
		free(vals);
		return false;
	}
	memset(vals, 0xff, cap * sizeof(*vals));
	for (size_t i = 0; i < b->hcap; i++) {
		if (b->hvals[i] == HEARTH_NONE)
			continue;
		size_t h = hash64(b->hkeys[i]) & (cap - 1);
		while (vals[h] != HEARTH_NONE)
			h = (h + 1) & (cap - 1);
		keys[h] = b->hkeys[i];
		vals[h] = b->hvals[i];
	}
	free(b->hkeys);
	free(b->hvals);
	b->hkeys = keys;
	b->hvals = vals;
	b->hcap = cap;
	return true;
}

/* The location of an address, if one was made. */
static uint32_t loc_find(const builder *b, uint64_t addr)
{
	if (!b->hcap)
		return HEARTH_NONE;
	size_t h = hash64(addr) & (b->hcap - 1);
	while (b->hvals[h] != HEARTH_NONE) {
		if (b->hkeys[h] == addr)
			return b->hvals[h];
		h = (h + 1) & (b->hcap - 1);
	}
	return HEARTH_NONE;
}

/* The location of an address, made on first sight (pprof keeps one Location
 * per address and format). */
static hearth_err loc_get(builder *b, uint64_t addr, uint32_t *out)
{
	uint32_t i = loc_find(b, addr);
	if (i != HEARTH_NONE) {
		*out = i;
		return HEARTH_OK;
	}
	if ((b->nlocs + 1) * 2 > b->hcap && !addr_index_grow(b))
		return oom(b);
	if (b->nlocs >= UINT32_MAX - 1)
		return failf(b, HEARTH_ETOOBIG, "too many locations");
	if (!HEARTH_GROW(b->locs, b->nlocs, b->caplocs, 1))
		return oom(b);
	i = (uint32_t)b->nlocs++;
	b->locs[i] = (bloc){.addr = addr, .fn = HEARTH_NONE, .map = HEARTH_NONE,
			    .out = HEARTH_NONE};
	size_t h = hash64(addr) & (b->hcap - 1);
	while (b->hvals[h] != HEARTH_NONE)
		h = (h + 1) & (b->hcap - 1);
	b->hkeys[h] = addr;
	b->hvals[h] = i;
	*out = i;
	return HEARTH_OK;
}

/* Appends one frame to the stack being read. */
static hearth_err push_addr(builder *b, uint64_t a, const char *where, size_t at_)
{
	if (b->naddrs >= MAX_FRAMES)
		return failf(b, HEARTH_ETOOBIG, "%s %zu: stack deeper than %u frames", where, at_,
			     MAX_FRAMES);
	if (!HEARTH_GROW(b->addrs, b->naddrs, b->capaddrs, 1))
		return oom(b);
	b->addrs[b->naddrs++] = a;
	return HEARTH_OK;
}

/* Adds a sample whose stack is b->addrs (leaf first).  With adjust, every
 * address but those before skip is lowered by one, onto the call instruction
 * rather than the return address (pprof's "addr--"). */
static hearth_err add_sample(builder *b, size_t adjust_from, const int64_t *v, bool has_bytes,
			     int64_t bytes)
{
	if (!HEARTH_GROW(b->samples, b->nsamples, b->capsamples, 1) ||
	    !HEARTH_GROW(b->stk, b->nstk, b->capstk, b->naddrs))
		return oom(b);
	bsample *s = &b->samples[b->nsamples];
	memset(s, 0, sizeof(*s));
	s->off = b->nstk;
	s->n = (uint32_t)b->naddrs;
	s->has_bytes = has_bytes;
	s->bytes = bytes;
	for (int i = 0; i < b->nvalues; i++)
		s->v[i] = v[i];
	for (size_t i = 0; i < b->naddrs; i++) {
		uint64_t a = b->addrs[i];
		if (i >= adjust_from)
			a--;
		hearth_err e = loc_get(b, a, &b->stk[b->nstk + i]);
		if (e)
			return e;
	}
	b->nstk += b->naddrs;
	b->nsamples++;
	return HEARTH_OK;
}

#define ADJUST_NONE SIZE_MAX
#define ADJUST_ALL 0
#define ADJUST_CALLERS 1

/* pprof's parseHexAddresses: every 0x[0-9a-f]+ in s, appended to b->addrs.
 * Returns false (with *bad set to the token) when one overflows 64 bits. */
static hearth_err hex_addresses(builder *b, span s, size_t lineno)
{
	for (size_t i = 0; i < s.n;) {
		if (!(s.p[i] == '0' && at(s, i + 1) == 'x' && c_lhex(at(s, i + 2)))) {
			i++;
			continue;
		}
		size_t e = run(s, i + 2, c_lhex);
		uint64_t a;
		if (!parse_uint(sub(s, i, e), 0, &a))
			return failf(b, HEARTH_ECORRUPT,
				     "line %zu: malformed sample: failed to parse as hex 64-bit "
				     "number: %.*s",
				     lineno, (int)(e - i > 40 ? 40 : e - i), s.p + i);
		hearth_err err = push_addr(b, a, "line", lineno);
		if (err)
			return err;
		i = e;
	}
	return HEARTH_OK;
}

/* ---------------------------------------------------------------------------
 * Memory maps
 * ------------------------------------------------------------------------- */

/* pprof's removeLoggingInfo: drops a glog prefix, ^[^\[\]]+:[0-9]+]\s */
static span remove_logging(span l)
{
	size_t b = run(l, 0, c_notbracket);
	if (at(l, b) != ']' || !c_space(at(l, b + 1)))
		return l;
	size_t d = b;
	while (d > 0 && c_digit((unsigned char)l.p[d - 1]))
		d--;
	if (d == b || d < 2 || l.p[d - 1] != ':')
		return l;
	return sub(l, b + 2, l.n);
}

/* strings.Replacer over the "$key" -> value substitutions seen so far: at
 * each position the earliest-defined key that matches wins. */
static hearth_err substitute(builder *b, span l, span *out)
{
	if (b->nattrs == 0 || !memchr(l.p, '$', l.n)) {
		*out = l;
		return HEARTH_OK;
	}
	size_t n = 0;
	for (size_t i = 0; i < l.n;) {
		const battr *hit = NULL;
		if (l.p[i] == '$') {
			for (size_t k = 0; k < b->nattrs && !hit; k++) {
				const battr *a = &b->attrs[k];
				b->work += a->old.len;
				if (a->old.len <= l.n - i &&
				    memcmp(l.p + i, pstr_c(b, a->old), a->old.len) == 0)
					hit = a;
			}
			if (b->work > WORK_BUDGET)
				return failf(b, HEARTH_ETOOBIG,
					     "memory map: too many substitutions to make");
		}
		span piece = hit ? pstr_span(b, hit->new) : sub(l, i, i + 1);
		if (!HEARTH_GROW(b->scratch, n, b->capscratch, piece.n + 1))
			return oom(b);
		memcpy(b->scratch + n, piece.p, piece.n);
		n += piece.n;
		i += hit ? hit->old.len : 1;
	}
	*out = (span){b->scratch ? b->scratch : "", n};
	return HEARTH_OK;
}

/* Remembers "key = value" as a substitution of "$key" in later lines. */
static hearth_err add_attr(builder *b, span line)
{
	const char *eq = memchr(line.p, '=', line.n);
	if (!eq)
		return HEARTH_OK;
	span key = trim(sub(line, 0, (size_t)(eq - line.p)));
	span val = trim(sub(line, (size_t)(eq - line.p) + 1, line.n));
	/* A key defined again never wins over its first definition. */
	for (size_t k = 0; k < b->nattrs; k++) {
		span o = pstr_span(b, b->attrs[k].old);
		b->work++;
		if (o.n == key.n + 1 && memcmp(o.p + 1, key.p, key.n) == 0)
			return HEARTH_OK;
	}
	if (b->work > WORK_BUDGET)
		return failf(b, HEARTH_ETOOBIG, "memory map: too many substitutions to make");
	/* key and val may point into scratch, which nothing here reallocates. */
	battr a;
	if (!HEARTH_GROW(b->attrs, b->nattrs, b->capattrs, 1) || !pool_add(b, val, &a.new) ||
	    !pool_add(b, cspan("$"), &a.old) || !pool_append(b, &a.old, key))
		return oom(b);
	b->attrs[b->nattrs++] = a;
	return HEARTH_OK;
}

typedef struct {
	size_t x1s, x1e, x2s, x2e, end;
} range_cand;

/* The start of both mapping expressions, in the order leftmost-first
 * matching tries its alternatives:
 *   ^\s*(?:0x)?([[:xdigit:]]+)[\s-]?\s*(?:0x)?([[:xdigit:]]+):?
 * A candidate is one way to match it; with the address runs maximal only a
 * handful can ever lead to a match. */
static int range_candidates(span l, range_cand c[4])
{
	int nc = 0;
	size_t a = run(l, 0, c_space), start = a;
	if (at(l, a) == '0' && at(l, a + 1) == 'x')
		start = a + 2; /* without the 0x, "0" then "x" can never match */
	size_t e = run(l, start, c_xdigit);
	if (e == start)
		return 0;
	/* The first address takes the whole run. */
	size_t j = e;
	if (c_space(at(l, j)) || at(l, j) == '-')
		j++;
	j = run(l, j, c_space);
	if (c_xdigit(at(l, j))) {
		if (at(l, j) == '0' && at(l, j + 1) == 'x' && c_xdigit(at(l, j + 2)))
			c[nc++] = (range_cand){start, e, j + 2, run(l, j + 2, c_xdigit), 0};
		c[nc++] = (range_cand){start, e, j, run(l, j, c_xdigit), 0};
	}
	/* The first address gives up its last digit to the second. */
	if (e - start >= 2) {
		size_t k = e - 1;
		if (l.p[k] == '0' && at(l, e) == 'x' && c_xdigit(at(l, e + 1)))
			c[nc++] = (range_cand){start, k, e + 1, run(l, e + 1, c_xdigit), 0};
		c[nc++] = (range_cand){start, k, k, e, 0};
	}
	for (int i = 0; i < nc; i++)
		c[i].end = c[i].x2e + (at(l, c[i].x2e) == ':');
	return nc;
}

typedef struct {
	span start, limit, perm, offset, file, build_id;
} map_fields;

/* The part of procMapsRE after the address range:
 *   (?:\s+([-rwxp]+))?(?:\s+([[:xdigit:]]+))?\s+[[:xdigit:]]+:[[:xdigit:]]+
 *   \s+[[:digit:]]+(?:\s+(\S+))?
 * Every optional group can only match with its runs maximal, so each has two
 * choices: taken (first) or skipped. */
static bool proc_maps_tail(span l, size_t q, map_fields *f)
{
	size_t g3pos[2], n3 = 0;
	span g3[2];
	if (c_space(at(l, q))) {
		size_t r = run(l, q, c_space);
		if (c_perm(at(l, r))) {
			size_t t = run(l, r, c_perm);
			g3pos[n3] = t;
			g3[n3++] = sub(l, r, t);
		}
	}
	g3pos[n3] = q;
	g3[n3++] = EMPTY_SPAN;
	for (size_t i = 0; i < n3; i++) {
		size_t u = g3pos[i];
		size_t g4pos[2], n4 = 0;
		span g4[2];
		if (c_space(at(l, u))) {
			size_t v = run(l, u, c_space);
			if (c_xdigit(at(l, v))) {
				size_t w = run(l, v, c_xdigit);
				g4pos[n4] = w;
				g4[n4++] = sub(l, v, w);
			}
		}
		g4pos[n4] = u;
		g4[n4++] = EMPTY_SPAN;
		for (size_t k = 0; k < n4; k++) {
			size_t p = g4pos[k];
			/* \s+[[:xdigit:]]+:[[:xdigit:]]+\s+[[:digit:]]+ */
			if (!c_space(at(l, p)))
				continue;
			p = run(l, p, c_space);
			size_t x = run(l, p, c_xdigit);
			if (x == p || at(l, x) != ':')
				continue;
			size_t y = run(l, x + 1, c_xdigit);
			if (y == x + 1 || !c_space(at(l, y)))
				continue;
			size_t z = run(l, y, c_space);
			size_t d = run(l, z, c_digit);
			if (d == z)
				continue;
			f->perm = g3[i];
			f->offset = g4[k];
			f->file = EMPTY_SPAN;
			if (c_space(at(l, d))) {
				size_t s = run(l, d, c_space);
				if (c_nonspace(at(l, s)))
					f->file = sub(l, s, run(l, s, c_nonspace));
			}
			return true;
		}
	}
	return false;
}

/* pprof's procMapsRE (/proc/self/maps lines), then its briefMapsRE:
 *   ^<range>(?:\s+([-rwxp]+))?(?:\s+(\S+))?(?:\s+\(@([[:xdigit:]]+)\))?
 *   (?:\s+([[:xdigit:]]+))?
 * Returns false when neither matches. */
static bool map_line_fields(span l, map_fields *f)
{
	range_cand c[4];
	int nc = range_candidates(l, c);
	memset(f, 0, sizeof(*f));
	for (int i = 0; i < nc; i++) {
		if (proc_maps_tail(l, c[i].end, f)) {
			f->start = sub(l, c[i].x1s, c[i].x1e);
			f->limit = sub(l, c[i].x2s, c[i].x2e);
			f->build_id = EMPTY_SPAN;
			return true;
		}
	}
	if (nc == 0)
		return false;
	/* Brief form: after the range everything is optional, so the first
	 * candidate matches, each group taken when it can be. */
	size_t p = c[0].end;
	f->start = sub(l, c[0].x1s, c[0].x1e);
	f->limit = sub(l, c[0].x2s, c[0].x2e);
	f->perm = f->file = f->offset = f->build_id = EMPTY_SPAN;
	size_t s = run(l, p, c_space);
	if (s > p && c_perm(at(l, s))) {
		p = run(l, s, c_perm);
		f->perm = sub(l, s, p);
	}
	s = run(l, p, c_space);
	if (s > p && c_nonspace(at(l, s))) {
		p = run(l, s, c_nonspace);
		f->file = sub(l, s, p);
	}
	s = run(l, p, c_space);
	if (s > p && has_prefix_at(l, s, "(@")) {
		size_t x = run(l, s + 2, c_xdigit);
		if (x > s + 2 && at(l, x) == ')') {
			f->offset = sub(l, s + 2, x);
			p = x + 1;
		}
	}
	s = run(l, p, c_space);
	if (s > p && c_xdigit(at(l, s)))
		f->build_id = sub(l, s, run(l, s, c_xdigit));
	return true;
}

enum { MAP_ADDED, MAP_SKIPPED, MAP_UNRECOGNIZED };

/* pprof's parseMappingEntry. */
static int map_entry(builder *b, span l, hearth_err *err)
{
	map_fields f;
	bmap m = {0};
	*err = HEARTH_OK;
	if (!map_line_fields(l, &f))
		return MAP_UNRECOGNIZED;
	if (f.perm.n && !memchr(f.perm.p, 'x', f.perm.n))
		return MAP_SKIPPED; /* not executable */
	if (!parse_uint(f.start, 16, &m.start) || !parse_uint(f.limit, 16, &m.limit) ||
	    (f.offset.n && !parse_uint(f.offset, 16, &m.offset)))
		return MAP_UNRECOGNIZED;
	if (!pool_add(b, f.file, &m.file) || !pool_add(b, f.build_id, &m.build_id) ||
	    !HEARTH_GROW(b->maps, b->nmaps, b->capmaps, 1)) {
		*err = oom(b);
		return MAP_SKIPPED;
	}
	b->maps[b->nmaps++] = m;
	return MAP_ADDED;
}

/* pprof's parseProcMapsFromScanner: every later line that is a mapping. */
static hearth_err parse_maps(builder *b, scanner *s)
{
	hearth_err e;
	while (scan(s)) {
		span line = EMPTY_SPAN;
		if ((e = substitute(b, remove_logging(s->text), &line)))
			return e;
		if (map_entry(b, line, &e) == MAP_UNRECOGNIZED)
			e = add_attr(b, line);
		if (e)
			return e;
	}
	if (s->too_long)
		return failf(b, HEARTH_ECORRUPT, "offset %zu: memory map line longer than %u bytes",
			     s->base + s->pos, MAX_LINE);
	return HEARTH_OK;
}

/* pprof's parseAdditionalSections: skips to the memory map, if any. */
static hearth_err parse_additional_sections(builder *b, scanner *s)
{
	while (!map_sentinel(s->text) && scan(s))
		;
	if (s->too_long)
		return failf(b, HEARTH_ECORRUPT, "line %zu: longer than %u bytes", s->lineno,
			     MAX_LINE);
	return parse_maps(b, s);
}

static bool pstr_eq(const builder *b, pstr x, pstr y)
{
	return x.len == y.len && memcmp(pstr_c(b, x), pstr_c(b, y), x.len) == 0;
}

/* pprof's adjacent: two entries that are one mapping split in two. */
static bool adjacent(const builder *b, const bmap *m1, const bmap *m2)
{
	if (m1->file.len && m2->file.len && !pstr_eq(b, m1->file, m2->file))
		return false;
	if (m1->build_id.len && m2->build_id.len && !pstr_eq(b, m1->build_id, m2->build_id))
		return false;
	if (m1->limit != m2->start)
		return false;
	if (m1->offset != 0 && m2->offset != 0 && m1->offset + (m1->limit - m1->start) != m2->offset)
		return false;
	return true;
}

/* libRx: ([.]so$|[.]so[._][0-9]+) */
static bool is_shared_lib(span f)
{
	for (size_t i = find(f, 0, ".so"); i != SIZE_MAX; i = find(f, i + 1, ".so")) {
		if (i + 3 == f.n)
			return true;
		if ((f.p[i + 3] == '.' || f.p[i + 3] == '_') && c_digit(at(f, i + 4)))
			return true;
	}
	return false;
}

/* Is this the main binary?  pprof's guess: a file that is no shared library
 * and no [pseudo-file], after dropping "(deleted)". */
static int main_binary_guess(builder *b, const bmap *m)
{
	span f = pstr_span(b, m->file);
	size_t n = 0;
	if (!HEARTH_GROW(b->scratch, 0, b->capscratch, f.n + 1))
		return -1;
	for (size_t i = 0; i < f.n;) {
		if (has_prefix_at(f, i, "(deleted)")) {
			i += 9;
			continue;
		}
		b->scratch[n++] = f.p[i++];
	}
	span t = trim((span){b->scratch, n});
	return t.n > 0 && !is_shared_lib(t) && t.p[0] != '[';
}

/* pprof's massageMappings. */
static hearth_err massage_mappings(builder *b)
{
	if (b->nmaps > 1) {
		size_t n = 1;
		for (size_t i = 1; i < b->nmaps; i++) {
			bmap *lm = &b->maps[n - 1], *m = &b->maps[i];
			if (adjacent(b, lm, m)) {
				lm->limit = m->limit;
				if (m->file.len)
					lm->file = m->file;
				if (m->build_id.len)
					lm->build_id = m->build_id;
				continue;
			}
			b->maps[n++] = *m;
		}
		b->nmaps = n;
	}
	for (size_t i = 0; i < b->nmaps; i++) {
		int guess = main_binary_guess(b, &b->maps[i]);
		if (guess < 0)
			return oom(b);
		if (guess) {
			bmap t = b->maps[0];
			b->maps[0] = b->maps[i];
			b->maps[i] = t;
			break;
		}
	}
	return HEARTH_OK;
}

/* pprof's remapLocationIDs: the locations samples use, in order of first use. */
static hearth_err order_locations(builder *b)
{
	free(b->order);
	b->order = malloc((b->nlocs ? b->nlocs : 1) * sizeof(*b->order));
	if (!b->order)
		return oom(b);
	b->norder = 0;
	for (size_t i = 0; i < b->nlocs; i++)
		b->locs[i].out = HEARTH_NONE;
	for (size_t i = 0; i < b->nsamples; i++) {
		const bsample *s = &b->samples[i];
		for (uint32_t k = 0; k < s->n; k++) {
			bloc *l = &b->locs[b->stk[s->off + k]];
			if (l->out == HEARTH_NONE) {
				l->out = (uint32_t)b->norder;
				b->order[b->norder++] = b->stk[s->off + k];
			}
		}
	}
	return HEARTH_OK;
}

/* Sorted view of the mappings for address lookups.  pprof takes the first
 * mapping (in list order) that holds an address; while no two mappings
 * overlap, that is the only one, and a binary search finds it. */
typedef struct {
	uint32_t *idx;
	size_t n, nreal; /* mappings 0..nreal-1 are indexed; later ones are fake */
	bool disjoint, dirty;
} map_index;

static const bmap *sort_maps;

static int cmp_map_start(const void *x, const void *y)
{
	uint64_t a = sort_maps[*(const uint32_t *)x].start, c = sort_maps[*(const uint32_t *)y].start;
	if (a != c)
		return a < c ? -1 : 1;
	return *(const uint32_t *)x < *(const uint32_t *)y ? -1 : 1;
}

static hearth_err map_index_build(builder *b, map_index *ix)
{
	ix->n = 0;
	for (size_t i = 0; i < ix->nreal; i++)
		if (b->maps[i].start < b->maps[i].limit)
			ix->idx[ix->n++] = (uint32_t)i;
	sort_maps = b->maps;
	qsort(ix->idx, ix->n, sizeof(*ix->idx), cmp_map_start);
	ix->disjoint = true;
	for (size_t i = 1; i < ix->n; i++)
		if (b->maps[ix->idx[i - 1]].limit > b->maps[ix->idx[i]].start)
			ix->disjoint = false;
	ix->dirty = false;
	b->work += ix->nreal * 8;
	return b->work > WORK_BUDGET
		       ? failf(b, HEARTH_ETOOBIG, "memory map: too many mappings to search")
		       : HEARTH_OK;
}

static uint32_t map_lookup(builder *b, const map_index *ix, uint64_t a)
{
	if (ix->disjoint) {
		size_t lo = 0, hi = ix->n; /* first with start > a */
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (b->maps[ix->idx[mid]].start <= a)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo > 0 && a < b->maps[ix->idx[lo - 1]].limit)
			return ix->idx[lo - 1];
		return HEARTH_NONE;
	}
	b->work += ix->nreal;
	for (size_t i = 0; i < ix->nreal; i++)
		if (b->maps[i].start <= a && a < b->maps[i].limit)
			return (uint32_t)i;
	return HEARTH_NONE;
}

/* pprof's remapMappingIDs: heuristics on the first mapping, then each
 * location gets the mapping that holds its address, or a fake one. */
static hearth_err assign_mappings(builder *b)
{
	hearth_err e = HEARTH_OK;
	if (b->nmaps > 1 && has_prefix(pstr_span(b, b->maps[0].file), "/anon_hugepage") &&
	    b->maps[0].limit == b->maps[1].start) {
		memmove(b->maps, b->maps + 1, (b->nmaps - 1) * sizeof(*b->maps));
		b->nmaps--;
	}
	if (b->nmaps > 0 && b->maps[0].start - b->maps[0].offset == 0x400000) {
		b->maps[0].start = 0x400000;
		b->maps[0].offset = 0;
	}
	map_index ix = {.nreal = b->nmaps};
	ix.idx = malloc((b->nmaps ? b->nmaps : 1) * sizeof(*ix.idx));
	if (!ix.idx)
		return oom(b);
	if ((e = map_index_build(b, &ix)))
		goto out;
	uint32_t fake = HEARTH_NONE;
	for (size_t k = 0; k < b->norder; k++) {
		bloc *l = &b->locs[b->order[k]];
		uint64_t a = l->addr;
		if (l->map != HEARTH_NONE || a == 0)
			continue;
		if (ix.dirty && (e = map_index_build(b, &ix)))
			goto out;
		l->map = map_lookup(b, &ix, a);
		if (b->work > WORK_BUDGET) {
			e = failf(b, HEARTH_ETOOBIG,
				  "memory map: too many overlapping mappings to search");
			goto out;
		}
		if (l->map != HEARTH_NONE)
			continue;
		/* Once made, the fake mapping (last, holding every address)
		 * answers before the workaround below is tried. */
		if (fake != HEARTH_NONE) {
			l->map = fake;
			continue;
		}
		/* Legacy handlers may leave out the first part of a mapping
		 * split in two; the offset tells where it started. */
		b->work += ix.nreal;
		if (b->work > WORK_BUDGET) {
			e = failf(b, HEARTH_ETOOBIG, "memory map: too many mappings to search");
			goto out;
		}
		for (size_t i = 0; i < ix.nreal; i++) {
			bmap *m = &b->maps[i];
			if (m->offset != 0 && m->start - m->offset <= a && a < m->start) {
				m->start -= m->offset;
				m->offset = 0;
				l->map = (uint32_t)i;
				ix.dirty = true;
				break;
			}
		}
		if (l->map != HEARTH_NONE)
			continue;
		if (!HEARTH_GROW(b->maps, b->nmaps, b->capmaps, 1)) {
			e = oom(b);
			goto out;
		}
		fake = (uint32_t)b->nmaps++;
		b->maps[fake] = (bmap){.limit = UINT64_MAX};
		l->map = fake;
	}
out:
	free(ix.idx);
	return e;
}

/* pprof's ParseMemoryMapFromScanner after the mappings are read. */
static hearth_err finish_mappings(builder *b)
{
	hearth_err e;
	if ((e = massage_mappings(b)) || (e = order_locations(b)))
		return e;
	return assign_mappings(b);
}

/* pprof's cleanupDuplicateLocations: the CPU profiler may record the leaf
 * twice, once from the signal context and once, lowered by one, from the
 * unwinder. */
static void drop_duplicate_leaf(builder *b)
{
	for (size_t i = 0; i < b->nsamples; i++) {
		bsample *s = &b->samples[i];
		uint32_t *st = b->stk + s->off;
		if (s->n > 1 && b->locs[st[0]].addr == b->locs[st[1]].addr + 1) {
			memmove(st + 1, st + 2, (s->n - 2) * sizeof(*st));
			s->n--;
		}
	}
}

/* ---------------------------------------------------------------------------
 * From builder to hearth_profile
 * ------------------------------------------------------------------------- */

static const char alloc_rx[] =
	"calloc|cfree|malloc|free|memalign|do_memalign|(__)?posix_memalign|pvalloc|valloc|"
	"realloc|tcmalloc::.*|tc_calloc|tc_cfree|tc_malloc|tc_free|tc_memalign|"
	"tc_posix_memalign|tc_pvalloc|tc_valloc|tc_realloc|tc_new|tc_delete|tc_newarray|"
	"tc_deletearray|tc_new_nothrow|tc_newarray_nothrow|malloc_zone_malloc|"
	"malloc_zone_calloc|malloc_zone_valloc|malloc_zone_realloc|malloc_zone_memalign|"
	"malloc_zone_free|runtime\\..*|BaseArena::.*|(::)?do_malloc_no_errno|"
	"(::)?do_malloc_pages|(::)?do_malloc|DoSampledAllocation|"
	"MallocedMemBlock::MallocedMemBlock|_M_allocate|__builtin_(vec_)?delete|"
	"__builtin_(vec_)?new|__gnu_cxx::new_allocator::allocate|__libc_malloc|"
	"__malloc_alloc_template::allocate|allocate|cpp_alloc|operator new(\\[\\])?|"
	"simple_alloc::allocate";
static const char alloc_skip_rx[] = "runtime\\.panic|runtime\\.reflectcall|runtime\\.call[0-9]*";
static const char cpu_profiler_rx[] = "ProfileData::Add|ProfileData::prof_handler|"
				      "CpuProfiler::prof_handler|__pthread_sighandler|__restore";
static const char lock_rx[] =
	"RecordLockProfileData|(base::)?RecordLockProfileData.*|"
	"(base::)?SubmitMutexProfileData.*|(base::)?SubmitSpinLockProfileData.*|"
	"(base::Mutex::)?AwaitCommon.*|(base::Mutex::)?Unlock.*|(base::Mutex::)?UnlockSlow.*|"
	"(base::Mutex::)?ReaderUnlock.*|(base::MutexLock::)?~MutexLock.*|"
	"(Mutex::)?AwaitCommon.*|(Mutex::)?Unlock.*|(Mutex::)?UnlockSlow.*|"
	"(Mutex::)?ReaderUnlock.*|(MutexLock::)?~MutexLock.*|(SpinLock::)?Unlock.*|"
	"(SpinLock::)?SlowUnlock.*|(SpinLockHolder::)?~SpinLockHolder.*";

/* pprof's isProfileType against its heapz and contentionz type lists. */
static bool types_are(const builder *b, const char *const *names, int n)
{
	if (b->ntypes != n)
		return false;
	for (int i = 0; i < n; i++)
		if (!span_eq(pstr_span(b, b->type[i]), names[i]))
			return false;
	return true;
}

static void frame_rx(const builder *b, const char **drop, const char **keep)
{
	static const char *const heapz[][4] = {
		{"allocations", "size"},
		{"objects", "space"},
		{"inuse_objects", "inuse_space"},
		{"alloc_objects", "alloc_space"},
		{"alloc_objects", "alloc_space", "inuse_objects", "inuse_space"},
	};
	static const char *const contentionz[] = {"contentions", "delay"};
	for (size_t i = 0; i < sizeof(heapz) / sizeof(heapz[0]); i++) {
		if (types_are(b, heapz[i], i == 4 ? 4 : 2)) {
			*drop = alloc_rx;
			*keep = alloc_skip_rx;
			return;
		}
	}
	*drop = types_are(b, contentionz, 2) ? lock_rx : cpu_profiler_rx;
	*keep = "";
}

static hearth_err emit(builder *b, hearth_profile **out)
{
	hearth_profile *p = hearth_profile_new();
	uint32_t *lout = NULL;
	hearth_err e = HEARTH_OK;
	if (!p)
		return oom(b);
	if (b->nsamples && b->ntypes != b->nvalues) {
		e = failf(b, HEARTH_ECORRUPT, "missing sample type information");
		goto fail;
	}
	for (int i = 0; i < b->ntypes; i++) {
		/* By length: a type read from the input may hold a NUL. */
		uint32_t t = hearth_add_sample_type(p, "", "");
		if (t == HEARTH_NONE)
			goto nomem;
		p->sample_types[t].type = hearth_intern(p, pstr_c(b, b->type[i]), b->type[i].len);
		p->sample_types[t].unit = hearth_intern(p, pstr_c(b, b->unit[i]), b->unit[i].len);
		if (p->sample_types[t].type == HEARTH_NONE || p->sample_types[t].unit == HEARTH_NONE)
			goto nomem;
	}
	p->period_type.type = hearth_intern(p, pstr_c(b, b->ptype), b->ptype.len);
	p->period_type.unit = hearth_intern(p, pstr_c(b, b->punit), b->punit.len);
	p->period = b->period;
	p->duration_nanos = b->duration;
	const char *drop, *keep;
	frame_rx(b, &drop, &keep);
	p->drop_frames = hearth_intern_cstr(p, drop);
	p->keep_frames = hearth_intern_cstr(p, keep);
	if (p->period_type.type == HEARTH_NONE || p->period_type.unit == HEARTH_NONE ||
	    p->drop_frames == HEARTH_NONE || p->keep_frames == HEARTH_NONE)
		goto nomem;

	for (size_t i = 0; i < b->nmaps; i++) {
		const bmap *m = &b->maps[i];
		hearth_mapping hm = {.start = m->start, .limit = m->limit, .offset = m->offset};
		hm.file = hearth_intern(p, pstr_c(b, m->file), m->file.len);
		hm.build_id = hearth_intern(p, pstr_c(b, m->build_id), m->build_id.len);
		if (hm.file == HEARTH_NONE || hm.build_id == HEARTH_NONE ||
		    hearth_add_mapping(p, &hm) == HEARTH_NONE)
			goto nomem;
	}
	/* Functions in order of first use by the locations (remapFunctionIDs). */
	for (size_t i = 0; i < b->nfns; i++)
		b->fns[i].out = HEARTH_NONE;
	for (size_t k = 0; k < b->norder; k++) {
		const bloc *l = &b->locs[b->order[k]];
		if (l->fn == HEARTH_NONE || b->fns[l->fn].out != HEARTH_NONE)
			continue;
		bfunc *f = &b->fns[l->fn];
		uint32_t name = hearth_intern(p, pstr_c(b, f->name), f->name.len);
		uint32_t file = hearth_intern(p, pstr_c(b, f->file), f->file.len);
		if (name == HEARTH_NONE || file == HEARTH_NONE)
			goto nomem;
		f->out = hearth_add_function(p, name, name, file, 0);
		if (f->out == HEARTH_NONE)
			goto nomem;
	}
	for (size_t k = 0; k < b->norder; k++) {
		const bloc *l = &b->locs[b->order[k]];
		hearth_line ln = {0};
		uint32_t nl = 0;
		if (l->fn != HEARTH_NONE) {
			ln.function = b->fns[l->fn].out;
			ln.line = l->line;
			nl = 1;
		}
		if (hearth_add_location(p, l->map, b->zero_addresses ? 0 : l->addr, &ln, nl,
					false) == HEARTH_NONE)
			goto nomem;
	}
	uint32_t bytes_key = hearth_intern_cstr(p, "bytes");
	if (bytes_key == HEARTH_NONE)
		goto nomem;
	size_t maxn = 0;
	for (size_t i = 0; i < b->nsamples; i++)
		if (b->samples[i].n > maxn)
			maxn = b->samples[i].n;
	lout = malloc((maxn ? maxn : 1) * sizeof(*lout));
	if (!lout)
		goto nomem;
	for (size_t i = 0; i < b->nsamples; i++) {
		const bsample *s = &b->samples[i];
		hearth_label lab = {.key = bytes_key, .num = s->bytes};
		for (uint32_t k = 0; k < s->n; k++)
			lout[k] = b->locs[b->stk[s->off + k]].out;
		e = hearth_add_sample(p, lout, s->n, s->v, &lab, s->has_bytes ? 1 : 0);
		if (e) {
			e = failf(b, e, "too many samples");
			goto fail;
		}
	}
	free(lout);
	*out = p;
	return HEARTH_OK;
nomem:
	e = oom(b);
fail:
	free(lout);
	hearth_profile_free(p);
	return e;
}

/* ---------------------------------------------------------------------------
 * CPU profiles (binary)
 * ------------------------------------------------------------------------- */

typedef struct {
	int size;	/* 4 or 8 */
	bool big;	/* big-endian */
} word_fmt;

static uint64_t get_word(const uint8_t *p, word_fmt w)
{
	uint64_t v = 0;
	for (int i = 0; i < w.size; i++)
		v |= (uint64_t)p[w.big ? w.size - 1 - i : i] << (8 * i);
	return v;
}

static hearth_err java_locations(builder *b, size_t from);

/* Reads the samples of a CPU profile from b->data[*pos..].  pprof reads
 * missing words of a truncated last stack as zeros, and so do we.  On
 * return *pos is where the text after the samples (the memory map) starts. */
static hearth_err cpu_samples(builder *b, size_t *pos, word_fmt w, bool adjust)
{
	const uint8_t *d = (const uint8_t *)b->data;
	size_t n = b->n, at_ = *pos;
	while (at_ < n) {
		size_t sample_at = at_;
		if (n - at_ < 2 * (size_t)w.size)
			return soft(b, "offset %zu: truncated CPU sample header", sample_at);
		uint64_t count = get_word(d + at_, w);
		uint64_t nstk = get_word(d + at_ + w.size, w);
		at_ += 2 * (size_t)w.size;
		if (nstk > (n - at_) / 4)
			return soft(b, "offset %zu: CPU sample of %llu frames overruns the data",
				    sample_at, (unsigned long long)nstk);
		if (nstk > MAX_FRAMES)
			return failf(b, HEARTH_ETOOBIG,
				     "offset %zu: stack deeper than %u frames", sample_at,
				     MAX_FRAMES);
		b->naddrs = 0;
		bool exhausted = false;
		for (uint64_t i = 0; i < nstk; i++) {
			uint64_t a = 0;
			if (n - at_ >= (size_t)w.size) {
				a = get_word(d + at_, w);
				at_ += (size_t)w.size;
			} else {
				exhausted = true;
			}
			hearth_err e = push_addr(b, a, "offset", sample_at);
			if (e)
				return e;
		}
		if (exhausted)
			at_ = n;
		if (count == 0 && nstk == 1 && b->addrs[0] == 0)
			break; /* end-of-data marker */
		int64_t v[2] = {(int64_t)count, mul64((int64_t)count, b->period)};
		hearth_err e = add_sample(b, adjust ? ADJUST_CALLERS : ADJUST_NONE, v, false, 0);
		if (e)
			return e;
	}
	*pos = at_;
	return HEARTH_OK;
}

/* Drops a frame the signal handler pushed: when (nearly) all samples share
 * their second frame, it is an artifact of measurement (pprof removes up to
 * two such frames). */
static void drop_handler_frames(builder *b)
{
	size_t n = b->nsamples, margin = n / 32;
	for (int iter = 0; iter < 2; iter++) {
		/* A frame in at least n - n/32 samples is a strict majority, so
		 * a majority vote finds the only candidate. */
		uint64_t cand = 0;
		size_t votes = 0, count = 0;
		for (size_t i = 0; i < n; i++) {
			const bsample *s = &b->samples[i];
			if (s->n < 2) {
				if (votes)
					votes--;
				continue;
			}
			uint64_t a = b->locs[b->stk[s->off + 1]].addr;
			if (votes == 0) {
				cand = a;
				votes = 1;
			} else {
				votes += cand == a ? 1 : (size_t)-1;
			}
		}
		if (votes == 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			const bsample *s = &b->samples[i];
			count += s->n > 1 && b->locs[b->stk[s->off + 1]].addr == cand;
		}
		if (count < n - margin)
			continue;
		for (size_t i = 0; i < n; i++) {
			bsample *s = &b->samples[i];
			uint32_t *st = b->stk + s->off;
			if (s->n > 1 && b->locs[st[1]].addr == cand) {
				memmove(st + 1, st + 2, (s->n - 2) * sizeof(*st));
				s->n--;
			}
		}
	}
}

static hearth_err parse_cpu(builder *b)
{
	static const word_fmt fmts[] = {{4, false}, {4, true}, {8, false}, {8, true}};
	const uint8_t *d = (const uint8_t *)b->data;
	for (size_t f = 0; f < sizeof(fmts) / sizeof(fmts[0]); f++) {
		word_fmt w = fmts[f];
		if (b->n < 5 * (size_t)w.size)
			continue;
		uint64_t h[5];
		for (int i = 0; i < 5; i++)
			h[i] = get_word(d + i * w.size, w);
		if (h[0] != 0 || h[1] != 3 || h[3] == 0 || h[4] != 0 || h[2] > 1)
			continue;
		bool java = h[2] == 1;
		static const char *const tu[] = {"samples", "count", "cpu", "nanoseconds"};
		if (!set_ctypes(b, 2, tu) || !set_period_type(b, cspan("cpu"), cspan("nanoseconds")))
			return oom(b);
		b->period = mul64((int64_t)h[3], 1000);
		size_t pos = 5 * (size_t)w.size;
		hearth_err e = cpu_samples(b, &pos, w, !java);
		if (e)
			return e;
		if (java)
			return java_locations(b, pos);
		drop_handler_frames(b);
		scanner s;
		scanner_init(&s, b->data + pos, b->n - pos, pos);
		if ((e = parse_maps(b, &s)) || (e = finish_mappings(b)))
			return e;
		drop_duplicate_leaf(b);
		return HEARTH_OK;
	}
	return HEARTH_EFORMAT;
}

/* ---------------------------------------------------------------------------
 * Heap profiles (text)
 * ------------------------------------------------------------------------- */

/* " *(\d+): *(\d+) *\[ *(\d+): *(\d+) *\]" at i; returns the index after
 * the ']' or SIZE_MAX. */
static size_t heap_counts(span l, size_t i, span c[4])
{
	for (int k = 0; k < 4; k++) {
		if (k == 2) {
			i = skip_spaces(l, i);
			if (at(l, i) != '[')
				return SIZE_MAX;
			i++;
		}
		i = skip_spaces(l, i);
		size_t e = run(l, i, c_digit);
		if (e == i)
			return SIZE_MAX;
		c[k] = sub(l, i, e);
		i = e;
		if (k % 2 == 0) {
			if (at(l, i) != ':')
				return SIZE_MAX;
			i++;
		}
	}
	i = skip_spaces(l, i);
	return at(l, i) == ']' ? i + 1 : SIZE_MAX;
}

/* heapHeaderRE: heap profile: <counts> *@ *(heap[_a-z0-9]*)/?(\d*)
 * c[4] is the profile kind, c[5] the sampling rate. */
static bool heap_header(span l, span c[6])
{
	for (size_t o = find(l, 0, "heap profile:"); o != SIZE_MAX;
	     o = find(l, o + 1, "heap profile:")) {
		size_t i = heap_counts(l, o + 13, c);
		if (i == SIZE_MAX)
			continue;
		i = skip_spaces(l, i);
		if (at(l, i) != '@')
			continue;
		i = skip_spaces(l, i + 1);
		if (!has_prefix_at(l, i, "heap"))
			continue;
		size_t e = run(l, i + 4, c_heapname);
		c[4] = sub(l, i, e);
		if (at(l, e) == '/')
			e++;
		c[5] = sub(l, e, run(l, e, c_digit));
		return true;
	}
	return false;
}

/* growthHeaderRE and fragmentationHeaderRE: heap profile: <counts> @ <kind> */
static bool heap_header_kind(span l, const char *kind)
{
	span c[4];
	for (size_t o = find(l, 0, "heap profile:"); o != SIZE_MAX;
	     o = find(l, o + 1, "heap profile:")) {
		size_t i = heap_counts(l, o + 13, c);
		if (i != SIZE_MAX && has_prefix_at(l, i, " @ ") && has_prefix_at(l, i + 3, kind))
			return true;
	}
	return false;
}

/* heapSampleRE: (-?\d+): *(-?\d+) *\[ *(\d+): *(\d+) *] @([ x0-9a-f]*) */
static bool heap_sample(span l, span c[5])
{
	for (size_t i = 0; i < l.n;) {
		int ch = at(l, i);
		if (ch != '-' && !c_digit(ch)) {
			i++;
			continue;
		}
		size_t j = i + (ch == '-'), e = run(l, j, c_digit);
		size_t next = e > i ? e : i + 1;
		if (e == j) {
			i = next;
			continue;
		}
		c[0] = sub(l, i, e);
		if (at(l, e) != ':') {
			i = next;
			continue;
		}
		size_t k = skip_spaces(l, e + 1), k2 = k + (at(l, k) == '-');
		size_t e2 = run(l, k2, c_digit);
		if (e2 == k2) {
			i = next;
			continue;
		}
		c[1] = sub(l, k, e2);
		span cc[4];
		/* " *\[ *(\d+): *(\d+) *" reuses the header's grammar. */
		size_t p = skip_spaces(l, e2);
		if (at(l, p) != '[') {
			i = next;
			continue;
		}
		p = skip_spaces(l, p + 1);
		size_t d3 = run(l, p, c_digit);
		if (d3 == p || at(l, d3) != ':') {
			i = next;
			continue;
		}
		cc[2] = sub(l, p, d3);
		p = skip_spaces(l, d3 + 1);
		size_t d4 = run(l, p, c_digit);
		if (d4 == p) {
			i = next;
			continue;
		}
		cc[3] = sub(l, p, d4);
		p = skip_spaces(l, d4);
		if (!has_prefix_at(l, p, "] @")) {
			i = next;
			continue;
		}
		c[2] = cc[2];
		c[3] = cc[3];
		c[4] = sub(l, p + 3, run(l, p + 3, c_addrs));
		return true;
	}
	return false;
}

/* pprof's addValues in parseHeapSample. */
static hearth_err heap_values(builder *b, size_t lineno, span cnt, span sz, bool v2,
			      const char *what, int64_t *out, int64_t *blocksize)
{
	int64_t count, size;
	if (!parse_int(cnt, 10, &count) || !parse_int(sz, 10, &size))
		return failf(b, HEARTH_ECORRUPT, "line %zu: malformed sample: value out of range",
			     lineno);
	if (count == 0 && size != 0)
		return failf(b, HEARTH_ECORRUPT, "line %zu: %s count was 0 but %s bytes was %lld",
			     lineno, what, what, (long long)size);
	if (count != 0) {
		*blocksize = div64(size, count);
		if (v2)
			scale_heap_sample(&count, &size, b->period);
	}
	out[0] = count;
	out[1] = size;
	return HEARTH_OK;
}

static hearth_err parse_heap(builder *b)
{
	scanner s;
	scanner_init(&s, b->data, b->n, 0);
	if (!scan(&s))
		return s.too_long ? failf(b, HEARTH_ECORRUPT, "line 1: longer than %u bytes",
					  MAX_LINE)
				  : HEARTH_EFORMAT;
	span line = s.text, h[6];
	bool v2 = false, has_alloc = false;
	if (heap_header(line, h)) {
		/* parseHeapHeader */
		int64_t rate = 0;
		if (h[5].n && !parse_int(h[5], 10, &rate))
			return soft(b, "line 1: heap sampling rate out of range");
		has_alloc = (!(h[2].n == h[0].n && !memcmp(h[2].p, h[0].p, h[0].n)) &&
			     !span_eq(h[2], "0")) ||
			    (!(h[3].n == h[1].n && !memcmp(h[3].p, h[1].p, h[1].n)) &&
			     !span_eq(h[3], "0"));
		if (span_eq(h[4], "heapz_v2") || span_eq(h[4], "heap_v2")) {
			v2 = true;
			b->period = rate;
		} else if (span_eq(h[4], "heapprofile")) {
			b->period = 1;
		} else if (span_eq(h[4], "heap")) {
			v2 = true;
			b->period = rate / 2;
		} else {
			return soft(b, "line 1: unknown heap profile kind \"%.*s\"",
				    (int)(h[4].n > 40 ? 40 : h[4].n), h[4].p);
		}
	} else if (heap_header_kind(line, "growth") || heap_header_kind(line, "fragmentation")) {
		b->period = 1;
	} else {
		return HEARTH_EFORMAT;
	}
	static const char *const alloc_tu[] = {"alloc_objects", "count", "alloc_space", "bytes",
					       "inuse_objects", "count", "inuse_space", "bytes"};
	static const char *const tu[] = {"objects", "count", "space", "bytes"};
	if (!set_period_type(b, cspan("space"), cspan("bytes")) ||
	    !(has_alloc ? set_ctypes(b, 4, alloc_tu) : set_ctypes(b, 2, tu)))
		return oom(b);

	hearth_err e;
	while (scan(&s)) {
		line = trim(s.text);
		if (blank_or_comment(line))
			continue;
		if (map_sentinel(line))
			break;
		span c[5];
		if (!heap_sample(line, c))
			return failf(b, HEARTH_ECORRUPT,
				     "line %zu: not a heap sample (want \"N: M [N: M] @ addrs\")",
				     s.lineno);
		int64_t v[4], blocksize = 0;
		int nv = 0;
		if (has_alloc) {
			if ((e = heap_values(b, s.lineno, c[2], c[3], v2, "allocation", v,
					     &blocksize)))
				return e;
			nv = 2;
		}
		if ((e = heap_values(b, s.lineno, c[0], c[1], v2, "inuse", v + nv, &blocksize)))
			return e;
		b->naddrs = 0;
		if ((e = hex_addresses(b, c[4], s.lineno)) ||
		    (e = add_sample(b, ADJUST_ALL, v, true, blocksize)))
			return e;
	}
	if (s.too_long)
		return failf(b, HEARTH_ECORRUPT, "line %zu: longer than %u bytes", s.lineno,
			     MAX_LINE);
	if ((e = parse_additional_sections(b, &s)))
		return e;
	return finish_mappings(b);
}

/* ---------------------------------------------------------------------------
 * Go count profiles: goroutine, threadcreate (?debug=1)
 * ------------------------------------------------------------------------- */

/* countStartRE: \A(\S+) profile: total \d+\z */
static bool count_start(span l, span *type)
{
	size_t t = run(l, 0, c_nonspace);
	if (t == 0 || !has_prefix_at(l, t, " profile: total "))
		return false;
	size_t d = t + 16, e = run(l, d, c_digit);
	if (e == d || e != l.n)
		return false;
	*type = sub(l, 0, t);
	return true;
}

/* countRE: \A(\d+) @(( 0x[0-9a-f]+)+)\z */
static bool count_sample(span l, span *n, span *addrs)
{
	size_t d = run(l, 0, c_digit);
	if (d == 0 || !has_prefix_at(l, d, " @"))
		return false;
	size_t i = d + 2;
	if (i == l.n)
		return false;
	while (i < l.n) {
		if (!has_prefix_at(l, i, " 0x"))
			return false;
		size_t e = run(l, i + 3, c_lhex);
		if (e == i + 3)
			return false;
		i = e;
	}
	*n = sub(l, 0, d);
	*addrs = sub(l, d + 2, l.n);
	return true;
}

static hearth_err parse_go_count(builder *b)
{
	scanner s;
	scanner_init(&s, b->data, b->n, 0);
	while (scan(&s) && blank_or_comment(s.text))
		;
	if (s.too_long)
		return failf(b, HEARTH_ECORRUPT, "line %zu: longer than %u bytes", s.lineno,
			     MAX_LINE);
	span type;
	if (!count_start(s.text, &type))
		return HEARTH_EFORMAT;
	span tu[2] = {type, cspan("count")};
	if (!set_types(b, 1, tu) || !set_period_type(b, type, cspan("count")))
		return oom(b);
	b->period = 1;
	hearth_err e;
	while (scan(&s)) {
		span line = s.text, n, addrs;
		if (blank_or_comment(line))
			continue;
		if (has_prefix(line, "---"))
			break;
		int64_t v;
		if (!count_sample(line, &n, &addrs))
			return failf(b, HEARTH_ECORRUPT,
				     "line %zu: malformed profile format (want \"N @ 0x...\")",
				     s.lineno);
		if (!parse_int(n, 0, &v))
			return failf(b, HEARTH_ECORRUPT, "line %zu: malformed count %.*s",
				     s.lineno, (int)(n.n > 40 ? 40 : n.n), n.p);
		b->naddrs = 0;
		for (size_t i = 0; i < addrs.n;) {
			size_t st = i + 1, en = st + 2;
			en = run(addrs, en, c_lhex);
			uint64_t a;
			if (!parse_uint(sub(addrs, st, en), 0, &a))
				return failf(b, HEARTH_ECORRUPT,
					     "line %zu: malformed profile format: address out of "
					     "range",
					     s.lineno);
			if ((e = push_addr(b, a, "line", s.lineno)))
				return e;
			i = en;
		}
		if ((e = add_sample(b, ADJUST_ALL, &v, false, 0)))
			return e;
	}
	if (s.too_long)
		return failf(b, HEARTH_ECORRUPT, "line %zu: longer than %u bytes", s.lineno,
			     MAX_LINE);
	if ((e = parse_additional_sections(b, &s)))
		return e;
	return finish_mappings(b);
}

/* ---------------------------------------------------------------------------
 * threadz
 * ------------------------------------------------------------------------- */

/* threadzStartRE: --- threadz \d+ --- */
static bool threadz_start(span l)
{
	for (size_t o = find(l, 0, "--- threadz "); o != SIZE_MAX;
	     o = find(l, o + 1, "--- threadz ")) {
		size_t d = o + 12, e = run(l, d, c_digit);
		if (e > d && has_prefix_at(l, e, " ---"))
			return true;
	}
	return false;
}

/* threadStartRE: --- Thread ([[:xdigit:]]+) \(name: (.*)/(\d+)\) stack: --- */
static bool thread_start(span l)
{
	size_t p = SIZE_MAX;
	for (size_t o = find(l, 0, "--- Thread "); o != SIZE_MAX;
	     o = find(l, o + 1, "--- Thread ")) {
		size_t e = run(l, o + 11, c_xdigit);
		if (e > o + 11 && has_prefix_at(l, e, " (name: ")) {
			p = e + 8;
			break;
		}
	}
	if (p == SIZE_MAX)
		return false;
	for (size_t q = p; q < l.n; q++) {
		if (l.p[q] != '/')
			continue;
		size_t e = run(l, q + 1, c_digit);
		if (e > q + 1 && has_prefix_at(l, e, ") stack: ---"))
			return true;
	}
	return false;
}

/* pprof's parseThreadSample: the addresses of one thread's stack, up to the
 * next "---" line, which is returned in *next. */
static hearth_err thread_sample(builder *b, scanner *s, span *next)
{
	span line = EMPTY_SPAN;
	bool same = false;
	hearth_err e;
	b->naddrs = 0;
	while (scan(s)) {
		line = trim(s->text);
		if (line.n == 0)
			continue;
		if (has_prefix(line, "---"))
			break;
		if (contains(line, "same as previous thread")) {
			same = true;
			continue;
		}
		if ((e = hex_addresses(b, line, s->lineno)))
			return e;
	}
	if (s->too_long)
		return failf(b, HEARTH_ECORRUPT, "line %zu: longer than %u bytes", s->lineno,
			     MAX_LINE);
	if (same)
		b->naddrs = 0;
	*next = line;
	return HEARTH_OK;
}

static hearth_err parse_thread(builder *b)
{
	scanner s;
	scanner_init(&s, b->data, b->n, 0);
	while (scan(&s) && blank_or_comment(s.text))
		;
	span line = s.text;
	if (threadz_start(line)) {
		while (scan(&s)) {
			line = s.text;
			if (map_sentinel(line) || has_prefix(line, "-"))
				break;
		}
	} else if (!thread_start(line)) {
		return HEARTH_EFORMAT;
	}
	static const char *const tu[] = {"thread", "count"};
	if (!set_ctypes(b, 1, tu) || !set_period_type(b, cspan("thread"), cspan("count")))
		return oom(b);
	b->period = 1;
	hearth_err e;
	while (!map_sentinel(line)) {
		if (has_prefix(line, "---- no stack trace for"))
			break;
		if (!thread_start(line))
			return soft(b, "line %zu: want \"--- Thread ...\" or the memory map",
				    s.lineno);
		if ((e = thread_sample(b, &s, &line)))
			return e;
		if (b->naddrs == 0) {
			/* "same as previous thread": one more of the last. */
			if (b->nsamples)
				b->samples[b->nsamples - 1].v[0]++;
			continue;
		}
		int64_t one = 1;
		if ((e = add_sample(b, ADJUST_CALLERS, &one, false, 0)))
			return e;
	}
	if ((e = parse_additional_sections(b, &s)) || (e = finish_mappings(b)))
		return e;
	drop_duplicate_leaf(b);
	return HEARTH_OK;
}

/* ---------------------------------------------------------------------------
 * Contention profiles: contentionz, Go's mutex and block (?debug=1)
 * ------------------------------------------------------------------------- */

/* contentionSampleRE: (\d+) *(\d+) @([ x0-9a-f]*) */
static bool contention_sample(span l, span c[3])
{
	for (size_t i = 0; i < l.n;) {
		if (!c_digit(l.p[i])) {
			i++;
			continue;
		}
		size_t e1 = run(l, i, c_digit), j = skip_spaces(l, e1);
		if (j > e1 && c_digit(at(l, j))) {
			size_t e2 = run(l, j, c_digit);
			if (has_prefix_at(l, e2, " @")) {
				c[0] = sub(l, i, e1);
				c[1] = sub(l, j, e2);
				c[2] = sub(l, e2 + 2, run(l, e2 + 2, c_addrs));
				return true;
			}
		}
		/* No space between: the first number gives up its last digit. */
		if (e1 - i >= 2 && has_prefix_at(l, e1, " @")) {
			c[0] = sub(l, i, e1 - 1);
			c[1] = sub(l, e1 - 1, e1);
			c[2] = sub(l, e1 + 2, run(l, e1 + 2, c_addrs));
			return true;
		}
		i = e1;
	}
	return false;
}

static hearth_err parse_contention(builder *b)
{
	scanner s;
	scanner_init(&s, b->data, b->n, 0);
	if (!scan(&s))
		return s.too_long ? failf(b, HEARTH_ECORRUPT, "line 1: longer than %u bytes",
					  MAX_LINE)
				  : HEARTH_EFORMAT;
	if (!has_prefix(s.text, "--- contentionz ") && !has_prefix(s.text, "--- mutex:") &&
	    !has_prefix(s.text, "--- contention:"))
		return HEARTH_EFORMAT;
	static const char *const tu[] = {"contentions", "count", "delay", "nanoseconds"};
	if (!set_ctypes(b, 2, tu) || !set_period_type(b, cspan("contentions"), cspan("count")))
		return oom(b);
	b->period = 1;
	int64_t cpu_hz = 0;
	/* "attribute = value" lines before the samples */
	while (scan(&s)) {
		span line = trim(s.text);
		if (blank_or_comment(line))
			continue;
		if (has_prefix(line, "---"))
			break;
		const char *eq = memchr(line.p, '=', line.n);
		if (!eq)
			break;
		span key = trim(sub(line, 0, (size_t)(eq - line.p)));
		span val = trim(sub(line, (size_t)(eq - line.p) + 1, line.n));
		int64_t num = 0;
		bool numeric = span_eq(key, "cycles/second") || span_eq(key, "sampling period") ||
			       span_eq(key, "ms since reset");
		if (numeric && !parse_int(val, 0, &num))
			return soft(b, "line %zu: bad number for %.*s", s.lineno, (int)key.n, key.p);
		if (span_eq(key, "cycles/second"))
			cpu_hz = num;
		else if (span_eq(key, "sampling period"))
			b->period = num;
		else if (span_eq(key, "ms since reset"))
			b->duration = mul64(mul64(num, 1000), 1000);
		else if (!span_eq(key, "discarded samples"))
			/* Including "format" and "resolution": Java's, not C++'s. */
			return soft(b, "line %zu: unknown attribute \"%.*s\"", s.lineno,
				    (int)(key.n > 40 ? 40 : key.n), key.p);
	}
	if (s.too_long)
		return failf(b, HEARTH_ECORRUPT, "line %zu: longer than %u bytes", s.lineno,
			     MAX_LINE);
	hearth_err e;
	for (;;) {
		span line = trim(s.text);
		if (has_prefix(line, "---"))
			break;
		if (!blank_or_comment(line)) {
			span c[3];
			int64_t v1, v2;
			if (!contention_sample(line, c))
				return soft(b, "line %zu: not a contention sample (want \"N N @ "
					       "addrs\")",
					    s.lineno);
			if (!parse_int(c[0], 10, &v1) || !parse_int(c[1], 10, &v2))
				return failf(b, HEARTH_ECORRUPT,
					     "line %zu: malformed sample: value out of range",
					     s.lineno);
			/* Unsample: delays from cycles to nanoseconds, counts by the
			 * sampling period. */
			if (b->period > 0) {
				if (cpu_hz > 0) {
					double ghz = (double)cpu_hz / 1e9;
					v1 = f2i((double)v1 * (double)b->period / ghz);
				}
				v2 = mul64(v2, b->period);
			}
			int64_t v[2] = {v2, v1};
			b->naddrs = 0;
			if ((e = hex_addresses(b, c[2], s.lineno)) ||
			    (e = add_sample(b, ADJUST_ALL, v, false, 0)))
				return e;
		}
		if (!scan(&s))
			break;
	}
	if (s.too_long)
		return failf(b, HEARTH_ECORRUPT, "line %zu: longer than %u bytes", s.lineno,
			     MAX_LINE);
	if ((e = parse_additional_sections(b, &s)))
		return e;
	return finish_mappings(b);
}

/* ---------------------------------------------------------------------------
 * Java profiles: heapz, contentionz (text) and CPU (binary, above)
 * ------------------------------------------------------------------------- */

/* The next line of data[*pos..), without its newline; false when no newline
 * is left (Java's parsers leave an unterminated last line alone). */
static bool next_nl_line(builder *b, size_t *pos, span *line)
{
	const char *p = b->data + *pos;
	const char *nl = memchr(p, '\n', b->n - *pos);
	if (!nl)
		return false;
	*line = (span){p, (size_t)(nl - p)};
	*pos += (size_t)(nl - p) + 1;
	b->jline++;
	return true;
}

static size_t line_of(const builder *b, size_t pos)
{
	size_t n = 1;
	for (const char *p = b->data, *e = b->data + pos; (p = memchr(p, '\n', (size_t)(e - p)));
	     p++)
		n++;
	return n;
}

/* attributeRx: ([\w ]+)=([\w ]+) */
static bool java_attribute(span l, span *key, span *val)
{
	for (size_t i = 0; i < l.n;) {
		if (!c_word_sp(l.p[i])) {
			i++;
			continue;
		}
		size_t e = run(l, i, c_word_sp);
		if (at(l, e) == '=' && c_word_sp(at(l, e + 1))) {
			*key = sub(l, i, e);
			*val = sub(l, e + 1, run(l, e + 1, c_word_sp));
			return true;
		}
		i = e;
	}
	return false;
}

/* javaSampleRx: " *(\d+) +(\d+) +@ +([ x0-9a-f]*)" */
static bool java_sample(span l, span c[3])
{
	for (size_t i = 0; i < l.n;) {
		if (!c_digit(l.p[i])) {
			i++;
			continue;
		}
		size_t e1 = run(l, i, c_digit), j = skip_spaces(l, e1);
		size_t e2 = run(l, j, c_digit), k = skip_spaces(l, e2);
		if (j > e1 && e2 > j && k > e2 && at(l, k) == '@' && at(l, k + 1) == ' ') {
			size_t m = skip_spaces(l, k + 1);
			c[0] = sub(l, i, e1);
			c[1] = sub(l, j, e2);
			c[2] = sub(l, m, run(l, m, c_addrs));
			return true;
		}
		i = e1;
	}
	return false;
}

enum { JAVA_HEAP, JAVA_CONTENTION };

static hearth_err java_header(builder *b, int kind, size_t *pos)
{
	span line;
	size_t p = *pos, start = p;
	while (next_nl_line(b, &p, &line)) {
		line = trim(line);
		if (line.n) {
			span k, v;
			if (!java_attribute(line, &k, &v)) {
				b->jline--; /* the samples start here */
				break;
			}
			k = trim(k);
			v = trim(v);
			if (span_eq(k, "format")) {
				if (!span_eq(v, "java"))
					return soft(b, "line %zu: format is not java", b->jline);
			} else if (span_eq(k, "resolution")) {
				span tu[4] = {cspan(kind == JAVA_HEAP ? "inuse_objects"
									: "contentions"),
					      cspan("count"),
					      cspan(kind == JAVA_HEAP ? "inuse_space" : "delay"), v};
				if (!set_types(b, 2, tu))
					return oom(b);
			} else if (kind == JAVA_CONTENTION && span_eq(k, "sampling period")) {
				if (!set_period_type(b, cspan("contentions"), cspan("count")))
					return oom(b);
				if (!parse_int(v, 0, &b->period))
					return failf(b, HEARTH_ECORRUPT,
						     "line %zu: failed to parse attribute %.*s",
						     b->jline, (int)(line.n > 80 ? 80 : line.n),
						     line.p);
			} else if (kind == JAVA_CONTENTION && span_eq(k, "ms since reset")) {
				int64_t ms;
				if (!parse_int(v, 0, &ms))
					return failf(b, HEARTH_ECORRUPT,
						     "line %zu: failed to parse attribute %.*s",
						     b->jline, (int)(line.n > 80 ? 80 : line.n),
						     line.p);
				b->duration = mul64(mul64(ms, 1000), 1000);
			} else {
				return soft(b, "line %zu: unknown attribute \"%.*s\"", b->jline,
					    (int)(k.n > 40 ? 40 : k.n), k.p);
			}
		}
		start = p;
	}
	*pos = start;
	return HEARTH_OK;
}

static hearth_err java_samples(builder *b, int kind, size_t *pos)
{
	span line;
	size_t p = *pos, start = p;
	hearth_err e;
	/* Samples have two values whether or not the header named their types;
	 * pprof rejects the profile later if it did not. */
	b->nvalues = 2;
	while (next_nl_line(b, &p, &line)) {
		line = trim(line);
		if (line.n) {
			span c[3];
			if (!java_sample(line, c)) {
				b->jline--; /* the location names start here */
				break;
			}
			size_t lineno = b->jline;
			b->naddrs = 0;
			if ((e = hex_addresses(b, c[2], lineno)))
				return e;
			int64_t v[2];
			if (!parse_int(c[1], 0, &v[0]) || !parse_int(c[0], 0, &v[1]))
				return failf(b, HEARTH_ECORRUPT,
					     "line %zu: parsing sample: bad number", lineno);
			bool has_bytes = false;
			int64_t bytes = 0;
			if (kind == JAVA_HEAP) {
				if (v[0] == 0)
					return failf(b, HEARTH_ECORRUPT,
						     "line %zu: parsing sample: second value must "
						     "be non-zero",
						     lineno);
				has_bytes = true;
				bytes = div64(v[1], v[0]);
				scale_heap_sample(&v[0], &v[1], 524288);
			} else if (b->period != 0) {
				v[0] = mul64(v[0], b->period);
				v[1] = mul64(v[1], b->period);
			}
			if ((e = add_sample(b, ADJUST_NONE, v, has_bytes, bytes)))
				return e;
		}
		start = p;
	}
	*pos = start;
	return HEARTH_OK;
}

static uint64_t hash_span(span s)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < s.n; i++) {
		h ^= (unsigned char)s.p[i];
		h *= 1099511628211ull;
	}
	return h;
}

/* The function named name, made on first sight with the given file. */
static hearth_err java_function(builder *b, span name, span file, uint32_t *out)
{
	if ((b->nfns + 1) * 2 > b->fhcap) {
		size_t cap = b->fhcap ? b->fhcap * 2 : 256;
		uint32_t *t = malloc(cap * sizeof(*t));
		if (!t)
			return oom(b);
		memset(t, 0xff, cap * sizeof(*t));
		for (size_t i = 0; i < b->nfns; i++) {
			size_t h = hash_span(pstr_span(b, b->fns[i].name)) & (cap - 1);
			while (t[h] != HEARTH_NONE)
				h = (h + 1) & (cap - 1);
			t[h] = (uint32_t)i;
		}
		free(b->fhash);
		b->fhash = t;
		b->fhcap = cap;
	}
	size_t h = hash_span(name) & (b->fhcap - 1);
	while (b->fhash[h] != HEARTH_NONE) {
		span o = pstr_span(b, b->fns[b->fhash[h]].name);
		if (o.n == name.n && memcmp(o.p, name.p, name.n) == 0) {
			*out = b->fhash[h];
			return HEARTH_OK;
		}
		h = (h + 1) & (b->fhcap - 1);
	}
	bfunc f = {.out = HEARTH_NONE};
	if (b->nfns >= UINT32_MAX - 1 || !HEARTH_GROW(b->fns, b->nfns, b->capfns, 1) ||
	    !pool_add(b, name, &f.name) || !pool_add(b, file, &f.file))
		return oom(b);
	b->fns[b->nfns] = f;
	b->fhash[h] = (uint32_t)b->nfns;
	*out = (uint32_t)b->nfns++;
	return HEARTH_OK;
}

/* javaLocationFileLineRx: ^(.*)\s+\((.+):(-?[[:digit:]]+)\)$ */
static bool java_file_line(span t, span *fn, span *file, span *num)
{
	if (t.n == 0 || t.p[t.n - 1] != ')')
		return false;
	size_t end = t.n - 1, d = end;
	while (d > 0 && c_digit((unsigned char)t.p[d - 1]))
		d--;
	if (d == end)
		return false;
	size_t q, ns = d; /* the ':' and the start of the number */
	if (d >= 1 && t.p[d - 1] == ':') {
		q = d - 1;
	} else if (d >= 2 && t.p[d - 1] == '-' && t.p[d - 2] == ':') {
		q = d - 2;
		ns = d - 1;
	} else {
		return false;
	}
	/* The last "(" after a space that leaves a non-empty file name. */
	for (size_t p = q >= 2 ? q - 2 : 0; p >= 1; p--) {
		if (t.p[p] == '(' && c_space((unsigned char)t.p[p - 1])) {
			*fn = sub(t, 0, p - 1);
			*file = sub(t, p + 1, q);
			*num = sub(t, ns, end);
			return true;
		}
	}
	return false;
}

/* javaLocationPathRx: ^(.*)\s+\((.*)\)$ */
static bool java_path(span t, span *fn, span *path)
{
	if (t.n < 3 || t.p[t.n - 1] != ')')
		return false;
	for (size_t p = t.n - 2; p >= 1; p--) {
		if (t.p[p] == '(' && c_space((unsigned char)t.p[p - 1])) {
			*fn = sub(t, 0, p - 1);
			*path = sub(t, p + 1, t.n - 1);
			return true;
		}
	}
	return false;
}

/* filepath.Base */
static span path_base(span p)
{
	if (p.n == 0)
		return (span){".", 1};
	while (p.n > 0 && p.p[p.n - 1] == '/')
		p.n--;
	if (p.n == 0)
		return (span){"/", 1};
	size_t i = p.n;
	while (i > 0 && p.p[i - 1] != '/')
		i--;
	return sub(p, i, p.n);
}

/* pprof's parseJavaLocations: "0x<addr> <function> (<file>:<line>)" lines
 * name the addresses the samples used; then the usual renumbering, and the
 * addresses are dropped (pprof aggregates them away). */
static hearth_err java_locations(builder *b, size_t pos)
{
	hearth_err e;
	while (pos < b->n) {
		const char *p = b->data + pos;
		const char *nl = memchr(p, '\n', b->n - pos);
		size_t len = nl ? (size_t)(nl - p) : b->n - pos, line_at = pos;
		pos += len + (nl != NULL);
		span line = trim((span){p, len});
		/* javaLocationRx: ^\s*0x([[:xdigit:]]+)\s+(.*)\s*$ */
		size_t i = run(line, 0, c_space);
		if (!has_prefix_at(line, i, "0x"))
			continue;
		size_t x = run(line, i + 2, c_xdigit);
		if (x == i + 2 || !c_space(at(line, x)))
			continue;
		span rest = sub(line, run(line, x, c_space), line.n);
		uint64_t addr;
		if (!parse_uint(sub(line, i + 2, x), 16, &addr))
			return failf(b, HEARTH_ECORRUPT, "line %zu: parsing sample: bad address",
				     line_of(b, line_at));
		uint32_t li = loc_find(b, addr);
		if (li == HEARTH_NONE)
			continue; /* unused */
		span fn, file = EMPTY_SPAN, num;
		int64_t lineno = 0;
		if (java_file_line(rest, &fn, &file, &num)) {
			int64_t v;
			if (parse_int(num, 10, &v) && v > 0)
				lineno = v;
		} else if (java_path(rest, &fn, &file)) {
			file = path_base(file);
		} else if (contains(rest, "generated stub/JIT")) {
			fn = (span){"STUB", 4};
		} else {
			fn = rest;
		}
		uint32_t f = HEARTH_NONE;
		if ((e = java_function(b, fn, file, &f)))
			return e;
		b->locs[li].fn = f;
		b->locs[li].line = lineno;
		b->locs[li].addr = 0;
	}
	if ((e = order_locations(b)) || (e = assign_mappings(b)))
		return e;
	b->zero_addresses = true;
	return HEARTH_OK;
}

static hearth_err parse_java(builder *b)
{
	const char *nl = memchr(b->data, '\n', b->n);
	if (!nl)
		return HEARTH_EFORMAT;
	span header = trim((span){b->data, (size_t)(nl - b->data)});
	int kind;
	if (span_eq(header, "--- heapz 1 ---"))
		kind = JAVA_HEAP;
	else if (span_eq(header, "--- contentionz 1 ---"))
		kind = JAVA_CONTENTION;
	else
		return HEARTH_EFORMAT;
	size_t pos = (size_t)(nl - b->data) + 1;
	hearth_err e;
	b->jline = 1;
	if ((e = java_header(b, kind, &pos)) || (e = java_samples(b, kind, &pos)))
		return e;
	return java_locations(b, pos);
}

/* ---------------------------------------------------------------------------
 * Entry point
 * ------------------------------------------------------------------------- */

hearth_err hearth_legacy_parse(const uint8_t *buf, size_t n, hearth_profile **out,
			       hearth_errbuf *eb)
{
	/* In pprof's order: the first parser that takes the data decides. */
	static hearth_err (*const parsers[])(builder *) = {
		parse_cpu, parse_heap, parse_go_count, parse_thread, parse_contention, parse_java,
	};
	hearth_errbuf first_soft, tmp;
	bool have_soft = false;
	*out = NULL;
	if (!buf)
		buf = (const uint8_t *)"";
	for (size_t i = 0; i < sizeof(parsers) / sizeof(parsers[0]); i++) {
		builder b = {.data = (const char *)buf, .n = n, .eb = &tmp};
		tmp.msg[0] = 0;
		hearth_err e = parsers[i](&b);
		if (e == HEARTH_OK)
			e = emit(&b, out);
		builder_free(&b);
		if (e == HEARTH_EFORMAT) {
			if (b.soft && !have_soft) {
				first_soft = tmp;
				have_soft = true;
			}
			continue;
		}
		if (e != HEARTH_OK && eb)
			*eb = tmp;
		return e;
	}
	if (!have_soft)
		return HEARTH_EFORMAT;
	if (eb)
		*eb = first_soft;
	return HEARTH_ECORRUPT;
}
