/* The runtime.MemStats block at the end of a Go program's heap?debug=1
 * (runtime/pprof's writeHeapInternal): "# Name = value" lines after
 * "# runtime.MemStats".  It gives GC statistics of any program that
 * exposes net/http/pprof, with no change to the program.  Unknown names
 * are skipped (newer Go versions add lines); a known name with a value
 * that does not parse is an error naming the line. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collect.h"

typedef enum { U64, PAIR0, F64, BOOL, ARR_PAUSE, ARR_END } fkind;

static const struct {
	const char *name;
	fkind kind;
	size_t off;
} fields[] = {
#define F(n, k, f)                                                                                 \
	{                                                                                          \
		n, k, offsetof(hearth_memstats, f)                                                 \
	}
    F("Alloc", U64, alloc),
    F("TotalAlloc", U64, total_alloc),
    F("Sys", U64, sys),
    F("Lookups", U64, lookups),
    F("Mallocs", U64, mallocs),
    F("Frees", U64, frees),
    F("HeapAlloc", U64, heap_alloc),
    F("HeapSys", U64, heap_sys),
    F("HeapIdle", U64, heap_idle),
    F("HeapInuse", U64, heap_inuse),
    F("HeapReleased", U64, heap_released),
    F("HeapObjects", U64, heap_objects),
    /* "# Stack = inuse / sys" */
    F("Stack", PAIR0, stack_inuse),
    F("MSpan", PAIR0, mspan_inuse),
    F("MCache", PAIR0, mcache_inuse),
    F("BuckHashSys", U64, buck_hash_sys),
    F("GCSys", U64, gc_sys),
    F("OtherSys", U64, other_sys),
    F("NextGC", U64, next_gc),
    F("LastGC", U64, last_gc),
    F("PauseTotalNs", U64, pause_total_ns),
    F("PauseNs", ARR_PAUSE, pause_ns),
    F("PauseEnd", ARR_END, pause_end),
    F("NumGC", U64, num_gc),
    F("NumForcedGC", U64, num_forced_gc),
    F("GCCPUFraction", F64, gc_cpu_fraction),
    F("DebugGC", BOOL, debug_gc),
    F("MaxRSS", U64, max_rss),
#undef F
};

static bool parse_u64(const char *s, const char *e, uint64_t *v)
{
	uint64_t x = 0;
	if (s == e)
		return false;
	for (; s < e; s++) {
		if (!isdigit((unsigned char)*s) || x > (UINT64_MAX - 9) / 10)
			return false;
		x = x * 10 + (uint64_t)(*s - '0');
	}
	*v = x;
	return true;
}

static const char *skip_sp(const char *s, const char *e)
{
	while (s < e && *s == ' ')
		s++;
	return s;
}

/* "[1 2 3]" into v (at most 256 numbers). */
static bool parse_array(const char *s, const char *e, uint64_t *v, size_t *n)
{
	*n = 0;
	if (s == e || *s != '[' || e[-1] != ']')
		return false;
	s++;
	e--;
	while ((s = skip_sp(s, e)) < e) {
		const char *t = s;
		while (t < e && *t != ' ')
			t++;
		if (*n == 256 || !parse_u64(s, t, &v[*n]))
			return false;
		(*n)++;
		s = t;
	}
	return true;
}

hearth_err hearth_memstats_parse(const char *text, size_t n, hearth_memstats *ms, hearth_errbuf *eb)
{
	*ms = (hearth_memstats){0};
	const char *p = text, *end = text + n;
	size_t line = 1;
	bool in = false;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *le = nl ? nl : end;
		if (le > p && le[-1] == '\r')
			le--;
		size_t ll = (size_t)(le - p);
		if (!in) {
			if (ll >= 18 && !memcmp(p, "# runtime.MemStats", 18))
				in = true;
		} else if (ll >= 2 && p[0] == '#' && p[1] == ' ') {
			const char *k = p + 2;
			const char *eq = memchr(k, '=', (size_t)(le - k));
			if (!eq || eq == k || eq[-1] != ' ')
				goto next; /* not a "Name = value" line */
			size_t kl = (size_t)(eq - 1 - k);
			const char *v = skip_sp(eq + 1, le);
			const char *ve = le;
			while (ve > v && ve[-1] == ' ')
				ve--;
			for (size_t f = 0; f < sizeof(fields) / sizeof(fields[0]); f++) {
				if (strlen(fields[f].name) != kl || memcmp(fields[f].name, k, kl))
					continue;
				char *base = (char *)ms + fields[f].off;
				bool ok = true;
				switch (fields[f].kind) {
				case U64:
					ok = parse_u64(v, ve, (uint64_t *)base);
					break;
				case PAIR0: {
					const char *sl = memchr(v, '/', (size_t)(ve - v));
					const char *a = sl ? sl : ve;
					while (a > v && a[-1] == ' ')
						a--;
					ok = sl && parse_u64(v, a, (uint64_t *)base) &&
					     parse_u64(skip_sp(sl + 1, ve), ve,
						       (uint64_t *)base + 1);
					break;
				}
				case F64: {
					char buf[64];
					size_t bl = (size_t)(ve - v);
					char *fe;
					if (bl == 0 || bl >= sizeof(buf)) {
						ok = false;
						break;
					}
					memcpy(buf, v, bl);
					buf[bl] = 0;
					errno = 0;
					double d = strtod(buf, &fe);
					ok = !*fe && !errno && d >= 0 && d <= 1e6;
					*(double *)base = d;
					ms->has_gc_cpu_fraction = ok;
					break;
				}
				case BOOL:
					if ((size_t)(ve - v) == 4 && !memcmp(v, "true", 4))
						*(bool *)base = true;
					else if ((size_t)(ve - v) == 5 && !memcmp(v, "false", 5))
						*(bool *)base = false;
					else
						ok = false;
					break;
				case ARR_PAUSE:
					ok = parse_array(v, ve, ms->pause_ns, &ms->npause_ns);
					break;
				case ARR_END:
					ok = parse_array(v, ve, ms->pause_end, &ms->npause_end);
					break;
				}
				if (!ok)
					return hearth_seterr(eb, HEARTH_ECORRUPT,
							     "MemStats line %zu: %.*s: bad value "
							     "\"%.*s\"",
							     line, (int)kl, k,
							     (int)((ve - v) > 60 ? 60 : (ve - v)),
							     v);
				if (!strcmp(fields[f].name, "NumGC"))
					ms->has_num_gc = true;
				if (!strcmp(fields[f].name, "MaxRSS"))
					ms->has_max_rss = true;
				if (!strcmp(fields[f].name, "PauseTotalNs"))
					ms->has_pause_total = true;
				break;
			}
		} else if (ll) {
			break; /* the block ended */
		}
	next:
		p = nl ? nl + 1 : end;
		line++;
	}
	if (!in || !ms->has_num_gc)
		return hearth_seterr(eb, HEARTH_EFORMAT,
				     "no runtime.MemStats block (NumGC) in "
				     "the heap profile's text");
	return HEARTH_OK;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

uint64_t hearth_memstats_pause_quantile(const hearth_memstats *ms, double q)
{
	size_t n = ms->num_gc < ms->npause_ns ? (size_t)ms->num_gc : ms->npause_ns;
	if (!n)
		return 0;
	/* Before the buffer wraps, the pauses are its first NumGC entries. */
	uint64_t v[256];
	memcpy(v, ms->pause_ns, n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), cmp_u64);
	if (q <= 0)
		return v[0];
	if (q >= 1)
		return v[n - 1];
	/* Nearest rank. */
	size_t r = (size_t)(q * (double)n + 0.999999999);
	if (r < 1)
		r = 1;
	return v[r - 1];
}

bool hearth_memstats_pause_total(const hearth_memstats *ms, uint64_t *ns)
{
	*ns = 0;
	if (ms->has_pause_total) {
		*ns = ms->pause_total_ns;
		return true;
	}
	if (ms->num_gc > ms->npause_ns)
		return false;
	for (size_t i = 0; i < ms->num_gc; i++)
		*ns += ms->pause_ns[i];
	return true;
}
