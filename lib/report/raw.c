/* The `raw` report: pprof's Profile.String() (profile/profile.go), which
 * `go tool pprof -raw` prints.  Matching it byte for byte lets the legacy
 * parsers be checked against pprof's own dumps. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* memmem, tm_gmtoff; the Makefile defines it too */
#endif
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hearth/raw.h"

static void put_s(hearth_buf *out, const hearth_profile *p, uint32_t i)
{
	if (i < p->nstrs)
		hearth_buf_put(out, p->strs[i].s, p->strs[i].len);
}

static bool str_eq(const hearth_profile *p, uint32_t a, uint32_t b)
{
	const char *sa = hearth_s(p, a), *sb = hearth_s(p, b);
	size_t na = a < p->nstrs ? p->strs[a].len : 0, nb = b < p->nstrs ? p->strs[b].len : 0;
	return na == nb && memcmp(sa, sb, na) == 0;
}

/* Length of the unicode.IsSpace rune at the start of s[0..n), or 0. */
static size_t uspace_head(const unsigned char *s, size_t n)
{
	if (n == 0)
		return 0;
	if (s[0] == ' ' || (s[0] >= '\t' && s[0] <= '\r'))
		return 1;
	if (n >= 2 && s[0] == 0xc2 && (s[1] == 0x85 || s[1] == 0xa0))
		return 2;
	if (n < 3)
		return 0;
	if ((s[0] == 0xe1 && s[1] == 0x9a && s[2] == 0x80) ||
	    (s[0] == 0xe2 && s[1] == 0x80 &&
	     ((s[2] >= 0x80 && s[2] <= 0x8a) || s[2] == 0xa8 || s[2] == 0xa9 || s[2] == 0xaf)) ||
	    (s[0] == 0xe2 && s[1] == 0x81 && s[2] == 0x9f) ||
	    (s[0] == 0xe3 && s[1] == 0x80 && s[2] == 0x80))
		return 3;
	return 0;
}

/* strings.TrimSpace on out->data[from..], in place. */
static void trim_tail_from(hearth_buf *out, size_t from)
{
	if (out->oom || out->len <= from)
		return;
	unsigned char *s = (unsigned char *)out->data + from;
	size_t n = out->len - from, k, lead = 0;
	while ((k = uspace_head(s + lead, n - lead)) > 0)
		lead += k;
	memmove(s, s + lead, n - lead);
	n -= lead;
	for (;;) {
		if (n >= 1 && uspace_head(s + n - 1, 1) == 1)
			n -= 1;
		else if (n >= 2 && uspace_head(s + n - 2, 2) == 2)
			n -= 2;
		else if (n >= 3 && uspace_head(s + n - 3, 3) == 3)
			n -= 3;
		else
			break;
	}
	out->len = from + n;
	out->data[out->len] = 0;
}

/* Go's time.Duration.String(). */
static size_t go_duration(char *buf, int64_t d)
{
	char tmp[40];
	size_t w = sizeof(tmp);
	uint64_t u = (uint64_t)d;
	bool neg = d < 0;
	if (neg)
		u = 0 - u;
	if (u < 1000000000ull) {
		int prec;
		tmp[--w] = 's';
		if (u == 0) {
			memcpy(buf, "0s", 2);
			return 2;
		} else if (u < 1000ull) {
			prec = 0;
			tmp[--w] = 'n';
		} else if (u < 1000000ull) {
			prec = 3;
			w -= 2;
			memcpy(tmp + w, "\xc2\xb5", 2); /* µ */
		} else {
			prec = 6;
			tmp[--w] = 'm';
		}
		bool print = false;
		for (int i = 0; i < prec; i++) {
			unsigned digit = (unsigned)(u % 10);
			print = print || digit != 0;
			if (print)
				tmp[--w] = (char)('0' + digit);
			u /= 10;
		}
		if (print)
			tmp[--w] = '.';
		do {
			tmp[--w] = (char)('0' + u % 10);
			u /= 10;
		} while (u);
	} else {
		tmp[--w] = 's';
		bool print = false;
		for (int i = 0; i < 9; i++) {
			unsigned digit = (unsigned)(u % 10);
			print = print || digit != 0;
			if (print)
				tmp[--w] = (char)('0' + digit);
			u /= 10;
		}
		if (print)
			tmp[--w] = '.';
		uint64_t secs = u % 60;
		do {
			tmp[--w] = (char)('0' + secs % 10);
			secs /= 10;
		} while (secs);
		u /= 60;
		if (u > 0) {
			tmp[--w] = 'm';
			uint64_t mins = u % 60;
			do {
				tmp[--w] = (char)('0' + mins % 10);
				mins /= 10;
			} while (mins);
			u /= 60;
			if (u > 0) {
				tmp[--w] = 'h';
				do {
					tmp[--w] = (char)('0' + u % 10);
					u /= 10;
				} while (u);
			}
		}
	}
	if (neg)
		tmp[--w] = '-';
	memcpy(buf, tmp + w, sizeof(tmp) - w);
	return sizeof(tmp) - w;
}

/* fmt's "%.4v" of a Duration: its String() cut to four runes. */
static void put_duration(hearth_buf *out, int64_t d)
{
	char s[40];
	size_t n = go_duration(s, d), i = 0;
	for (int runes = 0; i < n && runes < 4; runes++) {
		/* µ is the only multi-byte rune a duration holds. */
		i += (unsigned char)s[i] == 0xc2 ? 2 : 1;
	}
	hearth_buf_put(out, s, i);
}

/* Go's Time.String() of time.Unix(0, ns) in the local zone:
 * "2006-01-02 15:04:05.999999999 -0700 MST". */
static void put_time(hearth_buf *out, int64_t ns)
{
	int64_t sec = ns / 1000000000, frac = ns % 1000000000;
	if (frac < 0) {
		frac += 1000000000;
		sec--;
	}
	time_t t = (time_t)sec;
	struct tm tm;
	if (!localtime_r(&t, &tm) && !gmtime_r(&t, &tm)) {
		hearth_buf_printf(out, "%" PRId64, ns);
		return;
	}
	hearth_buf_printf(out, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
			  tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	if (frac) {
		char f[10];
		int n = 9;
		for (int i = 8; i >= 0; i--, frac /= 10)
			f[i] = (char)('0' + frac % 10);
		while (n > 0 && f[n - 1] == '0')
			n--;
		hearth_buf_printf(out, ".%.*s", n, f);
	}
	long off = tm.tm_gmtoff / 60;
	char sign = off < 0 ? '-' : '+';
	if (off < 0)
		off = -off;
	hearth_buf_printf(out, " %c%02ld%02ld ", sign, off / 60, off % 60);
	if (tm.tm_zone && tm.tm_zone[0])
		hearth_buf_puts(out, tm.tm_zone);
	else
		hearth_buf_printf(out, "%c%02ld%02ld", sign, off / 60, off % 60);
}

typedef struct {
	char *s;
	size_t n;
} piece;

static int cmp_piece(const void *a, const void *b)
{
	const piece *x = a, *y = b;
	size_t n = x->n < y->n ? x->n : y->n;
	int c = memcmp(x->s, y->s, n);
	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* One line of a sample's labels, as pprof's labelsToString or
 * numLabelsToString prints them: "key:[v1 v2]" per key, sorted. */
static void put_labels(hearth_buf *out, const hearth_profile *p, const hearth_label *l,
		       uint32_t n, bool numeric)
{
	piece *ps = calloc(n ? n : 1, sizeof(*ps));
	size_t np = 0;
	if (!ps) {
		out->oom = true;
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		if ((l[i].str == 0) != numeric)
			continue;
		bool seen = false;
		for (uint32_t j = 0; j < i && !seen; j++)
			seen = (l[j].str == 0) == numeric && str_eq(p, l[j].key, l[i].key);
		if (seen)
			continue;
		bool units = false;
		for (uint32_t j = i; j < n && numeric; j++)
			if (l[j].str == 0 && str_eq(p, l[j].key, l[i].key) && l[j].unit != 0)
				units = true;
		hearth_buf b = {0};
		put_s(&b, p, l[i].key);
		hearth_buf_puts(&b, ":[");
		bool first = true;
		for (uint32_t j = i; j < n; j++) {
			if ((l[j].str == 0) != numeric || !str_eq(p, l[j].key, l[i].key))
				continue;
			if (!first)
				hearth_buf_puts(&b, " ");
			first = false;
			if (!numeric) {
				put_s(&b, p, l[j].str);
			} else {
				hearth_buf_printf(&b, "%" PRId64, l[j].num);
				if (units) {
					hearth_buf_puts(&b, " ");
					put_s(&b, p, l[j].unit);
				}
			}
		}
		hearth_buf_puts(&b, "]");
		if (b.oom) {
			out->oom = true;
			hearth_buf_free(&b);
			continue;
		}
		ps[np].s = b.data ? b.data : NULL;
		ps[np++].n = b.len;
	}
	qsort(ps, np, sizeof(*ps), cmp_piece);
	hearth_buf_puts(out, "                ");
	for (size_t i = 0; i < np; i++) {
		if (i)
			hearth_buf_puts(out, " ");
		hearth_buf_put(out, ps[i].s, ps[i].n);
		free(ps[i].s);
	}
	hearth_buf_puts(out, "\n");
	free(ps);
}

void hearth_report_raw(const hearth_profile *p, hearth_buf *out)
{
	for (uint32_t i = 0; i < p->ncomments; i++) {
		hearth_buf_puts(out, "Comment: ");
		put_s(out, p, p->comments[i]);
		hearth_buf_puts(out, "\n");
	}
	if (p->doc_url && p->doc_url < p->nstrs && p->strs[p->doc_url].len) {
		hearth_buf_puts(out, "Doc: ");
		put_s(out, p, p->doc_url);
		hearth_buf_puts(out, "\n");
	}
	hearth_buf_puts(out, "PeriodType: ");
	put_s(out, p, p->period_type.type);
	hearth_buf_puts(out, " ");
	put_s(out, p, p->period_type.unit);
	hearth_buf_printf(out, "\nPeriod: %" PRId64 "\n", p->period);
	if (p->time_nanos) {
		hearth_buf_puts(out, "Time: ");
		put_time(out, p->time_nanos);
		hearth_buf_puts(out, "\n");
	}
	if (p->duration_nanos) {
		hearth_buf_puts(out, "Duration: ");
		put_duration(out, p->duration_nanos);
		hearth_buf_puts(out, "\n");
	}

	hearth_buf_puts(out, "Samples:\n");
	size_t from = out->len;
	for (uint32_t i = 0; i < p->nsample_types; i++) {
		put_s(out, p, p->sample_types[i].type);
		hearth_buf_puts(out, "/");
		put_s(out, p, p->sample_types[i].unit);
		if (str_eq(p, p->sample_types[i].type, p->default_sample_type))
			hearth_buf_puts(out, "[dflt]");
		hearth_buf_puts(out, " ");
	}
	trim_tail_from(out, from);
	hearth_buf_puts(out, "\n");
	for (size_t i = 0; i < p->nsamples; i++) {
		const hearth_sample *s = &p->samples[i];
		const int64_t *v = hearth_sample_values(p, i);
		for (uint32_t k = 0; k < p->nsample_types; k++)
			hearth_buf_printf(out, " %10" PRId64, v[k]);
		hearth_buf_puts(out, ": ");
		for (uint32_t k = 0; k < s->nlocs; k++)
			hearth_buf_printf(out, "%" PRIu64 " ", (uint64_t)p->locs[s->loc0 + k] + 1);
		hearth_buf_puts(out, "\n");
		const hearth_label *l = p->labels + s->label0;
		bool str = false, num = false;
		for (uint32_t k = 0; k < s->nlabels; k++) {
			str |= l[k].str != 0;
			num |= l[k].str == 0;
		}
		if (str)
			put_labels(out, p, l, s->nlabels, false);
		if (num)
			put_labels(out, p, l, s->nlabels, true);
	}

	hearth_buf_puts(out, "Locations\n");
	for (uint32_t i = 0; i < p->nlocations; i++) {
		const hearth_location *l = &p->locations[i];
		hearth_buf_printf(out, "%6" PRIu32 ": 0x%" PRIx64 " ", i + 1, l->address);
		if (l->mapping != HEARTH_NONE)
			hearth_buf_printf(out, "M=%" PRIu64 " ", (uint64_t)l->mapping + 1);
		if (l->is_folded)
			hearth_buf_puts(out, "[F] ");
		for (uint32_t k = 0; k < l->nlines; k++) {
			const hearth_line *ln = &p->lines[l->line0 + k];
			if (k > 0)
				hearth_buf_puts(out, "\n             ");
			if (ln->function >= p->nfunctions) {
				hearth_buf_puts(out, "??");
				continue;
			}
			const hearth_function *f = &p->functions[ln->function];
			put_s(out, p, f->name);
			hearth_buf_puts(out, " ");
			put_s(out, p, f->file);
			/* The column since pprof 1.21 (1.19 printed file:line). */
			hearth_buf_printf(out, ":%" PRId64 ":%" PRId64 " s=%" PRId64, ln->line,
					  ln->column, f->start_line);
			if (!str_eq(p, f->name, f->system_name)) {
				hearth_buf_puts(out, "(");
				put_s(out, p, f->system_name);
				hearth_buf_puts(out, ")");
			}
		}
		hearth_buf_puts(out, "\n");
	}

	hearth_buf_puts(out, "Mappings\n");
	for (uint32_t i = 0; i < p->nmappings; i++) {
		const hearth_mapping *m = &p->mappings[i];
		hearth_buf_printf(out, "%" PRIu32 ": 0x%" PRIx64 "/0x%" PRIx64 "/0x%" PRIx64 " ", i + 1,
				  m->start, m->limit, m->offset);
		put_s(out, p, m->file);
		hearth_buf_puts(out, " ");
		put_s(out, p, m->build_id);
		hearth_buf_puts(out, " ");
		if (m->has_functions)
			hearth_buf_puts(out, "[FN]");
		if (m->has_filenames)
			hearth_buf_puts(out, "[FL]");
		if (m->has_line_numbers)
			hearth_buf_puts(out, "[LN]");
		if (m->has_inline_frames)
			hearth_buf_puts(out, "[IN]");
		hearth_buf_puts(out, "\n");
	}
}
