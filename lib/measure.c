/* pprof's measurement package (internal/measurement/measurement.go of the
 * pprof vendored in Go 1.19): unit conversion, value labels, percentages
 * and the scaling of profiles whose units differ before they are merged.
 *
 * Numbers are formatted with C's printf, whose "%.2f" and "%.2g" agree with
 * Go's fmt for every finite double: both print the exactly rounded decimal
 * (ties to even), and Go's %g, like C's, drops trailing zeros and switches to
 * exponent form below 1e-4.  No value here can be infinite or NaN: the
 * largest is an int64 times 2^50. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/measure.h"
#include "hearth/profile.h"

typedef struct {
	const char *name;	/* canonical name, what labels show */
	const char *aliases[4]; /* lower case, NULL-terminated */
	double factor;		/* how many base units one of this is */
} unit;

typedef struct {
	const unit *units;
	size_t nunits;
	unit def; /* the unit of values that cannot be auto-scaled */
} unit_type;

/* clang-format off */
static const unit memory_units[] = {
	{"B",  {"b", "byte"}, 1},
	{"kB", {"kb", "kbyte", "kilobyte"}, (double)(1ull << 10)},
	{"MB", {"mb", "mbyte", "megabyte"}, (double)(1ull << 20)},
	{"GB", {"gb", "gbyte", "gigabyte"}, (double)(1ull << 30)},
	{"TB", {"tb", "tbyte", "terabyte"}, (double)(1ull << 40)},
	{"PB", {"pb", "pbyte", "petabyte"}, (double)(1ull << 50)},
};

/* "\xce\xbcs" is "μs"; sniffing trims the "s" of any unit longer than two
 * bytes first, so like in pprof it only ever matches as "μss". */
static const unit time_units[] = {
	{"ns",  {"ns", "nanosecond"}, 1},
	{"us",  {"\xce\xbcs", "us", "microsecond"}, 1e3},
	{"ms",  {"ms", "millisecond"}, 1e6},
	{"s",   {"s", "sec", "second"}, 1e9},
	{"hrs", {"hour", "hr"}, 3600e9},
};

static const unit gcu_units[] = {
	{"n*GCU", {"nanogcu"}, 1e-9},
	{"u*GCU", {"microgcu"}, 1e-6},
	{"m*GCU", {"milligcu"}, 1e-3},
	{"GCU",   {"gcu"}, 1},
	{"k*GCU", {"kilogcu"}, 1e3},
	{"M*GCU", {"megagcu"}, 1e6},
	{"G*GCU", {"gigagcu"}, 1e9},
	{"T*GCU", {"teragcu"}, 1e12},
	{"P*GCU", {"petagcu"}, 1e15},
};
/* clang-format on */

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The order matters: Scale tries them in turn. */
static const unit_type unit_types[] = {
    {memory_units, N(memory_units), {"B", {NULL}, 1}},
    {time_units, N(time_units), {"s", {NULL}, 1e9}},
    {gcu_units, N(gcu_units), {"GCU", {NULL}, 1}},
};

/* Go's strings.ToLower, as far as it can matter for matching the aliases
 * above: ASCII letters, and the only runes whose lower case is an ASCII
 * letter or μ (U+0130 İ -> i, U+212A Kelvin -> k, U+039C Μ -> μ).  Other
 * bytes are copied; they make a match impossible whatever Go turns them
 * into.  Returns false when s is too long to match any alias. */
static bool lower_unit(const char *s, char *out, size_t outn, size_t *len)
{
	size_t n = strlen(s), j = 0;
	if (n >= outn)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 'A' && c <= 'Z') {
			out[j++] = (char)(c + 32);
		} else if (c == 0xc4 && (unsigned char)s[i + 1] == 0xb0) {
			out[j++] = 'i';
			i++;
		} else if (c == 0xe2 && (unsigned char)s[i + 1] == 0x84 &&
			   (unsigned char)s[i + 2] == 0xaa) {
			out[j++] = 'k';
			i += 2;
		} else if (c == 0xce && (unsigned char)s[i + 1] == 0x9c) {
			out[j++] = (char)0xce;
			out[j++] = (char)0xbc;
			i++;
		} else {
			out[j++] = (char)c;
		}
	}
	out[j] = 0;
	*len = j;
	return true;
}

/* pprof's sniffUnit: lower-case, drop one trailing "s" from units longer
 * than two bytes, then look the alias up. */
static const unit *sniff_unit(const unit_type *ut, const char *name)
{
	char buf[64];
	size_t n;
	if (!lower_unit(name, buf, sizeof(buf), &n))
		return NULL;
	if (n > 2 && buf[n - 1] == 's')
		buf[--n] = 0;
	for (size_t i = 0; i < ut->nunits; i++)
		for (const char *const *a = ut->units[i].aliases; *a; a++)
			if (strcmp(buf, *a) == 0)
				return &ut->units[i];
	return NULL;
}

static bool convert_unit(const unit_type *ut, int64_t value, const char *from, const char *to,
			 double *out, const char **out_unit)
{
	const unit *fu = sniff_unit(ut, from);
	if (!fu)
		return false;
	double v = (double)value * fu->factor;
	if (strcmp(to, "minimum") == 0 || strcmp(to, "auto") == 0) {
		/* The largest unit that keeps the value at least 1. */
		double f = 0;
		const char *name = NULL;
		for (size_t i = 0; i < ut->nunits; i++) {
			if (ut->units[i].factor >= f && v / ut->units[i].factor >= 1.0) {
				f = ut->units[i].factor;
				name = ut->units[i].name;
			}
		}
		if (f != 0) {
			*out = v / f;
			*out_unit = name;
			return true;
		}
		*out = v / ut->def.factor;
		*out_unit = ut->def.name;
		return true;
	}
	const unit *tu = sniff_unit(ut, to);
	if (!tu) {
		*out = v / ut->def.factor;
		*out_unit = ut->def.name;
		return true;
	}
	*out = v / tu->factor;
	*out_unit = tu->name;
	return true;
}

double hearth_scale(int64_t v, const char *from, const char *to, const char **out_unit)
{
	const char *u;
	if (!out_unit)
		out_unit = &u;
	/* Like pprof, scale the magnitude of a negative value; INT64_MIN has no
	 * positive counterpart and goes through as it is. */
	if (v < 0 && v != INT64_MIN)
		return -hearth_scale(-v, from, to, out_unit);
	double r;
	for (size_t i = 0; i < N(unit_types); i++)
		if (convert_unit(&unit_types[i], v, from, to, &r, out_unit))
			return r;
	/* Units pprof does not know pass through; these names are not worth
	 * showing. */
	if (!strcmp(to, "count") || !strcmp(to, "sample") || !strcmp(to, "unit") ||
	    !strcmp(to, "minimum") || !strcmp(to, "auto"))
		*out_unit = "";
	else
		*out_unit = to;
	return (double)v;
}

void hearth_scaled_label(char *out, size_t n, int64_t v, const char *from, const char *to)
{
	const char *u;
	double d = hearth_scale(v, from, to, &u);
	char num[400]; /* "%.2f" of any double fits */
	int k = snprintf(num, sizeof(num), "%.2f", d);
	if (k >= 3 && strcmp(num + k - 3, ".00") == 0)
		num[k - 3] = 0;
	if (strcmp(num, "0") == 0 || strcmp(num, "-0") == 0) {
		snprintf(out, n, "0");
		return;
	}
	snprintf(out, n, "%s%s", num, u);
}

void hearth_value_label(char *out, size_t n, int64_t v, const char *unit)
{
	hearth_scaled_label(out, n, v, unit, "auto");
}

void hearth_percentage(char *out, size_t n, int64_t v, int64_t total)
{
	double ratio = 0;
	if (total != 0)
		ratio = fabs((double)v / (double)total) * 100;
	if (ratio >= 99.95 && ratio <= 100.05)
		snprintf(out, n, "  100%%");
	else if (ratio >= 1.0)
		snprintf(out, n, "%5.2f%%", ratio);
	else
		snprintf(out, n, "%5.2g%%", ratio);
}

bool hearth_units_compatible(const char *a, const char *b)
{
	if (strcmp(a, b) == 0)
		return true;
	for (size_t i = 0; i < N(unit_types); i++)
		if (sniff_unit(&unit_types[i], a) && sniff_unit(&unit_types[i], b))
			return true;
	return false;
}

/* Type names compared without one trailing "s" ("sample" and "samples"). */
static bool types_match(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	if (na && a[na - 1] == 's')
		na--;
	if (nb && b[nb - 1] == 's')
		nb--;
	return na == nb && memcmp(a, b, na) == 0;
}

bool hearth_value_types_compatible(const char *type1, const char *unit1, const char *type2,
				   const char *unit2)
{
	return types_match(type1, type2) && hearth_units_compatible(unit1, unit2);
}

/* A value type by its strings, which stay put in their profile's arena. */
typedef struct {
	const char *type, *unit;
} vtype;

/* pprof's CommonValueType: the finest of compatible types, or none (false in
 * *found) for fewer than two. */
static hearth_err common_value_type(const vtype *ts, size_t n, vtype *out, bool *found,
				    const char *what, hearth_errbuf *eb)
{
	*found = false;
	if (n <= 1)
		return HEARTH_OK;
	vtype min = ts[0];
	for (size_t i = 1; i < n; i++) {
		if (!hearth_value_types_compatible(min.type, min.unit, ts[i].type, ts[i].unit))
			/* pprof prints the Go structs, unexported indices and all. */
			return hearth_seterr(eb, HEARTH_EINCOMPAT,
					     "%s: incompatible types: {%s %s 0 0} {%s %s 0 0}",
					     what, min.type, min.unit, ts[i].type, ts[i].unit);
		if (hearth_scale(1, ts[i].unit, min.unit, NULL) < 1)
			min = ts[i];
	}
	*out = min;
	*found = true;
	return HEARTH_OK;
}

/* Go's int64(f) on amd64: out of range (or NaN) gives INT64_MIN. */
static int64_t go_int64(double f)
{
	if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0))
		return INT64_MIN;
	return (int64_t)f;
}

/* Profile.ScaleN: multiplies each value by its ratio, rounding half away from
 * zero, and drops the samples whose scaled values are all zero (values with
 * ratio 1 do not count, as in pprof).  Dropped samples leave their location
 * and label entries unreferenced in p->locs and p->labels. */
static void scale_n(hearth_profile *p, const double *ratios)
{
	size_t nt = p->nsample_types, keep = 0;
	bool all_ones = true;
	for (size_t i = 0; i < nt; i++)
		if (ratios[i] != 1)
			all_ones = false;
	if (all_ones)
		return;
	for (size_t s = 0; s < p->nsamples; s++) {
		int64_t *v = hearth_sample_values(p, s);
		bool keep_sample = false;
		for (size_t i = 0; i < nt; i++) {
			if (ratios[i] != 1) {
				v[i] = go_int64(round((double)v[i] * ratios[i]));
				keep_sample = keep_sample || v[i] != 0;
			}
		}
		if (keep_sample) {
			if (keep != s) {
				p->samples[keep] = p->samples[s];
				memmove(hearth_sample_values(p, keep), v, sizeof(*v) * nt);
			}
			keep++;
		}
	}
	p->nsamples = keep;
}

static bool has_period_type(const hearth_profile *p)
{
	return p->period_type.type != 0 || p->period_type.unit != 0;
}

/* The string index of unit in p: i when it is already p's string i.  A
 * merge of many files scales each against the merged profile, and
 * interning there built the string table's hash of every file (a file read
 * for a merge has none, its strings are raw). */
static uint32_t same_unit(hearth_profile *p, uint32_t i, const char *unit)
{
	return *unit && !strcmp(hearth_s(p, i), unit) ? i : hearth_intern_cstr(p, unit);
}

hearth_err hearth_scale_profiles(hearth_profile **ps, int n, hearth_errbuf *eb)
{
	hearth_err e = HEARTH_OK;
	vtype *ts = NULL, *common = NULL;
	bool *found = NULL;
	double *ratios = NULL;
	if (n <= 0)
		return HEARTH_OK;

	if (!(ts = calloc((size_t)n, sizeof(*ts)))) {
		e = HEARTH_ENOMEM;
		goto nomem;
	}
	/* A profile without a period type stays out of the choice, as a nil
	 * PeriodType does in pprof; hearth's model marks it with two empty
	 * strings. */
	size_t nper = 0;
	for (int i = 0; i < n; i++)
		if (has_period_type(ps[i]))
			ts[nper++] = (vtype){hearth_s(ps[i], ps[i]->period_type.type),
					     hearth_s(ps[i], ps[i]->period_type.unit)};
	vtype period;
	bool period_found;
	if ((e = common_value_type(ts, nper, &period, &period_found, "period type", eb)))
		goto out;

	uint32_t nst = ps[0]->nsample_types;
	for (int i = 1; i < n; i++) {
		if (ps[i]->nsample_types != nst) {
			e = hearth_seterr(eb, HEARTH_EINCOMPAT,
					  "inconsistent samples type count: %u != %u", nst,
					  ps[i]->nsample_types);
			goto out;
		}
	}
	if (!(common = calloc(nst + 1, sizeof(*common))) ||
	    !(found = calloc(nst + 1, sizeof(*found))) ||
	    !(ratios = calloc(nst + 1, sizeof(*ratios)))) {
		e = HEARTH_ENOMEM;
		goto nomem;
	}
	for (uint32_t t = 0; t < nst; t++) {
		for (int i = 0; i < n; i++)
			ts[i] = (vtype){hearth_s(ps[i], ps[i]->sample_types[t].type),
					hearth_s(ps[i], ps[i]->sample_types[t].unit)};
		if ((e = common_value_type(ts, (size_t)n, &common[t], &found[t], "sample types",
					   eb)))
			goto out;
	}

	for (int i = 0; i < n; i++) {
		hearth_profile *p = ps[i];
		if (has_period_type(p) && period_found) {
			const char *u = hearth_s(p, p->period_type.unit);
			uint32_t ui = same_unit(p, p->period_type.unit, period.unit);
			if (ui == HEARTH_NONE) {
				e = HEARTH_ENOMEM;
				goto nomem;
			}
			p->period = go_int64(hearth_scale(p->period, u, period.unit, NULL));
			p->period_type.unit = ui;
		}
		for (uint32_t t = 0; t < nst; t++) {
			if (!found[t]) {
				ratios[t] = 1;
				continue;
			}
			const char *u = hearth_s(p, p->sample_types[t].unit);
			ratios[t] = hearth_scale(1, u, common[t].unit, NULL);
			uint32_t ui = same_unit(p, p->sample_types[t].unit, common[t].unit);
			if (ui == HEARTH_NONE) {
				e = HEARTH_ENOMEM;
				goto nomem;
			}
			p->sample_types[t].unit = ui;
		}
		scale_n(p, ratios);
	}
	goto out;

nomem:
	hearth_seterr(eb, e, "scaling profiles: %s", hearth_strerror(e));
out:
	free(ts);
	free(common);
	free(found);
	free(ratios);
	return e;
}
