/* The fleet report (fleet.h, docs/fleet.md): per tenant that opted in, per
 * service and Go version, the CPU profiles of the window merged and
 * reduced to a few figures; across tenants, only what at least k of them
 * share. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fleet/fleet.h"
#include "hearth/regex.h"
#include "hearth/sources.h"
#include "util.h"

#define DAY_NANOS (86400LL * 1000000000)
#define MAX_NAME 512
/* Bounds of what one report reads, so that a hostile tenant cannot make it
 * unbounded: version values per service, symbols kept fleet-wide. */
#define MAX_VERSIONS 64
#define MAX_SYMBOLS 200000

/* ---- symbols ---------------------------------------------------------- */

static int pkg_cmp(const char *pkg, size_t n, const char *s)
{
	int c = strncmp(pkg, s, n);
	if (c)
		return c;
	return s[n] ? -1 : 0;
}

bool hearth_fleet_std_pkg(const char *pkg, size_t n)
{
	size_t lo = 0, hi = hearth_fleet_nstd_pkgs;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = pkg_cmp(pkg, n, hearth_fleet_std_pkgs[mid]);
		if (!c)
			return true;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return false;
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || strchr("_./*()[]-", c);
}

bool hearth_fleet_stdlib(const char *name, const char *file, char *out, size_t n)
{
	size_t len = strlen(name), o = 0;
	if (!len || len > MAX_NAME || n < 8)
		return false;
	/* Type arguments may name the program's own types (Go 1.18-1.20 print
	 * them as go.shape.*): they become "[...]". */
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (c == '[') {
			int depth = 0;
			for (; i < len; i++) {
				if (name[i] == '[')
					depth++;
				else if (name[i] == ']' && --depth == 0)
					break;
			}
			if (depth)
				return false;
			if (o + 6 > n)
				return false;
			memcpy(out + o, "[...]", 5);
			o += 5;
			continue;
		}
		if (c == ']' || !name_char(c) || o + 2 > n)
			return false;
		out[o++] = c;
	}
	out[o] = 0;
	const char *slash = strrchr(out, '/');
	const char *base = slash ? slash + 1 : out;
	const char *dot = strchr(base, '.');
	if (!dot || dot == base || !dot[1])
		return false;
	size_t plen = (size_t)(dot - out);
	if (!hearth_fleet_std_pkg(out, plen))
		return false;
	/* The file must be in the package's own directory of a GOROOT. */
	if (!file || !*file)
		return false;
	const char *fslash = strrchr(file, '/');
	if (!fslash || !fslash[1])
		return false;
	size_t dlen = (size_t)(fslash - file);
	const char *fb = fslash + 1;
	size_t fbl = strlen(fb);
	if (!((fbl > 3 && !strcmp(fb + fbl - 3, ".go")) ||
	      (fbl > 2 && !strcmp(fb + fbl - 2, ".s"))))
		return false;
	if (dlen == plen && !strncmp(file, out, plen))
		return true; /* -trimpath: "encoding/json/decode.go" */
	return dlen >= plen + 5 && !strncmp(file + dlen - plen, out, plen) &&
	       !strncmp(file + dlen - plen - 5, "/src/", 5);
}

void hearth_fleet_go_version(const char *v, char *out, size_t n)
{
	const char *p = v ? v : "";
	if (!strncmp(p, "go", 2))
		p += 2;
	unsigned minor = 0;
	size_t d = 0;
	if (p[0] == '1' && p[1] == '.')
		for (p += 2; isdigit((unsigned char)p[d]) && d < 3; d++)
			minor = minor * 10 + (unsigned)(p[d] - '0');
	/* What may follow: the patch, a pre-release, a build's suffix. */
	if (d && !isdigit((unsigned char)p[d]) && strchr(".rb -+", p[d] ? p[d] : ' '))
		snprintf(out, n, "go1.%u", minor);
	else
		snprintf(out, n, "unknown");
}

/* ---- a string map ------------------------------------------------------ */

typedef struct {
	char **keys;
	size_t *vals;
	size_t n, cap; /* cap: a power of two */
} strmap;

/* The slot of key: its value in *val when found (true). */
static bool strmap_get(const strmap *m, const char *key, size_t *val)
{
	if (!m->cap)
		return false;
	size_t i = hearth_hash_bytes(key, strlen(key)) & (m->cap - 1);
	for (; m->keys[i]; i = (i + 1) & (m->cap - 1))
		if (!strcmp(m->keys[i], key)) {
			*val = m->vals[i];
			return true;
		}
	return false;
}

/* Adds key (borrowed: it must outlive the map) with val. */
static bool strmap_put(strmap *m, char *key, size_t val)
{
	if (2 * (m->n + 1) > m->cap) {
		size_t nc = m->cap ? 2 * m->cap : 64;
		char **nk = calloc(nc, sizeof(*nk));
		size_t *nv = calloc(nc, sizeof(*nv));
		if (!nk || !nv) {
			free(nk);
			free(nv);
			return false;
		}
		for (size_t i = 0; i < m->cap; i++)
			if (m->keys[i]) {
				size_t j =
				    hearth_hash_bytes(m->keys[i], strlen(m->keys[i])) & (nc - 1);
				while (nk[j])
					j = (j + 1) & (nc - 1);
				nk[j] = m->keys[i];
				nv[j] = m->vals[i];
			}
		free(m->keys);
		free(m->vals);
		m->keys = nk;
		m->vals = nv;
		m->cap = nc;
	}
	size_t i = hearth_hash_bytes(key, strlen(key)) & (m->cap - 1);
	while (m->keys[i])
		i = (i + 1) & (m->cap - 1);
	m->keys[i] = key;
	m->vals[i] = val;
	m->n++;
	return true;
}

static void strmap_free(strmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof(*m));
}

/* ---- one profile ------------------------------------------------------- */

void hearth_fleet_stats_free(hearth_fleet_stats *s)
{
	for (size_t i = 0; s && i < s->nfns; i++)
		free(s->fns[i].name);
	if (s) {
		free(s->fns);
		memset(s, 0, sizeof(*s));
	}
}

static int fn_by_flat(const void *a, const void *b)
{
	const hearth_fleet_fn *x = a, *y = b;
	if (x->flat != y->flat)
		return x->flat > y->flat ? -1 : 1;
	if (x->cum != y->cum)
		return x->cum > y->cum ? -1 : 1;
	return strcmp(x->name, y->name);
}

hearth_err hearth_fleet_profile_stats(const hearth_profile *p, hearth_fleet_stats *out,
				      hearth_errbuf *eb)
{
	memset(out, 0, sizeof(*out));
	hearth_err err = HEARTH_OK;
	hearth_regex *gcre = NULL;
	int32_t *fstd = NULL; /* per function: index into out->fns, or -1 */
	uint8_t *fgc = NULL;  /* per function: one of the GC's */
	size_t *stamp = NULL; /* per fns entry: the last sample counted in cum */
	uint8_t *lgc = NULL;  /* per location: a GC frame among its lines */
	strmap names = {0};
	size_t capfns = 0;
	uint32_t vi = UINT32_MAX;
	for (uint32_t i = 0; i < p->nsample_types; i++)
		if (!strcmp(hearth_s(p, p->sample_types[i].type), "cpu"))
			vi = i;
	if (vi == UINT32_MAX)
		return hearth_seterr(eb, HEARTH_EINVAL, "fleet: not a CPU profile");
	if ((err = hearth_regex_compile("fleet", HEARTH_FLEET_GC_RE, &gcre, eb)))
		return err;
	fstd = malloc((p->nfunctions + 1) * sizeof(*fstd));
	fgc = calloc(p->nfunctions + 1, 1);
	lgc = calloc(p->nlocations + 1, 1);
	if (!fstd || !fgc || !lgc)
		goto oom;
	char norm[MAX_NAME + 8];
	for (uint32_t i = 0; i < p->nfunctions; i++) {
		const hearth_function *f = &p->functions[i];
		const char *name = hearth_s(p, f->name), *file = hearth_s(p, f->file);
		fgc[i] = hearth_regex_match(gcre, name, strlen(name)) ||
			 hearth_regex_match(gcre, file, strlen(file));
		fstd[i] = -1;
		if (!hearth_fleet_stdlib(name, file, norm, sizeof(norm)))
			continue;
		size_t k;
		if (strmap_get(&names, norm, &k)) {
			fstd[i] = (int32_t)k;
			continue;
		}
		if (!HEARTH_GROW(out->fns, out->nfns, capfns, 1))
			goto oom;
		char *d = strdup(norm);
		if (!d)
			goto oom;
		out->fns[out->nfns] = (hearth_fleet_fn){d, 0, 0};
		if (!strmap_put(&names, d, out->nfns)) {
			free(d);
			goto oom;
		}
		fstd[i] = (int32_t)out->nfns++;
	}
	for (uint32_t i = 0; i < p->nlocations; i++) {
		const hearth_location *l = &p->locations[i];
		for (uint32_t j = 0; j < l->nlines; j++) {
			uint32_t fi = p->lines[l->line0 + j].function;
			if (fi < p->nfunctions && fgc[fi])
				lgc[i] = 1;
		}
	}
	stamp = calloc(out->nfns + 1, sizeof(*stamp));
	if (!stamp)
		goto oom;
	for (size_t s = 0; s < p->nsamples; s++) {
		const hearth_sample *sm = &p->samples[s];
		int64_t v = hearth_sample_values(p, s)[vi];
		if (v <= 0)
			continue;
		out->total += v;
		bool gc = false, leaf = true;
		for (uint32_t k = 0; k < sm->nlocs; k++) {
			uint32_t li = p->locs[sm->loc0 + k];
			if (li >= p->nlocations)
				continue;
			const hearth_location *l = &p->locations[li];
			gc |= lgc[li];
			for (uint32_t j = 0; j < l->nlines; j++) {
				uint32_t fi = p->lines[l->line0 + j].function;
				int32_t x = fi < p->nfunctions ? fstd[fi] : -1;
				/* Flat: the innermost line of the leaf location. */
				if (x >= 0 && leaf && j == 0)
					out->fns[x].flat += v;
				if (x >= 0 && stamp[x] != s + 1) {
					stamp[x] = s + 1;
					out->fns[x].cum += v;
				}
			}
			leaf = false;
		}
		if (gc)
			out->gc += v;
	}
	/* Functions that never held CPU are of no interest. */
	size_t w = 0;
	for (size_t i = 0; i < out->nfns; i++) {
		if (out->fns[i].cum > 0)
			out->fns[w++] = out->fns[i];
		else
			free(out->fns[i].name);
	}
	out->nfns = w;
	if (out->nfns)
		qsort(out->fns, out->nfns, sizeof(*out->fns), fn_by_flat);
	goto out;
oom:
	err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	hearth_fleet_stats_free(out);
out:
	hearth_regex_free(gcre);
	strmap_free(&names);
	free(fstd);
	free(fgc);
	free(lgc);
	free(stamp);
	return err;
}

/* ---- a tenant's units ---------------------------------------------------- */

typedef hearth_err (*unit_fn)(void *ctx, int64_t tenant, const char *service, const char *version,
			      const hearth_fleet_stats *s, hearth_errbuf *eb);

/* A piece of a unit: the series of one raw version label value. */
typedef struct {
	const char *label, *value; /* value "" with label NULL: neither label set */
	char version[16];
} piece;

/* Merges the CPU profiles of service in [from, until) whose series match
 * the pieces of version, and hands the figures to fn. */
static hearth_err unit_run(hearth_store *st, int64_t tenant, const char *service, const piece *pc,
			   size_t npc, const char *version, int64_t from, int64_t until, unit_fn fn,
			   void *ctx, hearth_errbuf *eb)
{
	hearth_merger *mg = NULL;
	hearth_profile *merged = NULL;
	hearth_fleet_stats s = {0};
	size_t added = 0;
	hearth_err err = hearth_merger_new(&mg);
	if (err)
		return hearth_seterr(eb, err, "out of memory");
	/* Only sums are read: samples need not be combined. */
	hearth_merger_concat(mg);
	for (size_t i = 0; i < npc; i++) {
		if (strcmp(pc[i].version, version))
			continue;
		hearth_matcher m[4] = {
		    {"service", service, HEARTH_MATCH_EQ, NULL},
		    {"__type__", "cpu", HEARTH_MATCH_EQ, NULL},
		};
		size_t nm = 2;
		if (pc[i].label && !strcmp(pc[i].label, "go_version")) {
			m[nm++] =
			    (hearth_matcher){"go_version", pc[i].value, HEARTH_MATCH_EQ, NULL};
		} else {
			m[nm++] = (hearth_matcher){"go_version", "", HEARTH_MATCH_EQ, NULL};
			m[nm++] =
			    (hearth_matcher){"process.runtime.version",
					     pc[i].label ? pc[i].value : "", HEARTH_MATCH_EQ, NULL};
		}
		hearth_selector sel = {m, nm, NULL};
		hearth_profile *p = NULL;
		hearth_errbuf e2 = {{0}};
		err = hearth_store_merge(st, tenant, &sel, "cpu", from, until, &p, NULL, &e2);
		if (err == HEARTH_EINVAL) { /* none in the range */
			err = HEARTH_OK;
			continue;
		}
		if (err) {
			hearth_seterr(eb, err, "%s", e2.msg);
			goto out;
		}
		err = hearth_merger_add(mg, p, &e2);
		hearth_profile_free(p);
		if (err == HEARTH_EINCOMPAT) { /* another shape of CPU profile: left out */
			err = HEARTH_OK;
			continue;
		}
		if (err) {
			hearth_seterr(eb, err, "%s", e2.msg);
			goto out;
		}
		added++;
	}
	if (!added)
		goto out;
	if ((err = hearth_merger_finish(mg, &merged, eb)))
		goto out;
	err = hearth_fleet_profile_stats(merged, &s, eb);
	if (err == HEARTH_EINVAL) {
		err = HEARTH_OK;
		goto out;
	}
	if (!err && s.total > 0)
		err = fn(ctx, tenant, service, version, &s, eb);
out:
	hearth_merger_free(mg);
	hearth_profile_free(merged);
	hearth_fleet_stats_free(&s);
	return err;
}

static hearth_err tenant_units(hearth_store *st, int64_t tenant, int64_t from, int64_t until,
			       unit_fn fn, void *ctx, hearth_errbuf *eb)
{
	static const char *const labels[] = {"go_version", "process.runtime.version"};
	hearth_strlist svcs = {0};
	hearth_err err = hearth_store_services(st, tenant, from, until, &svcs, eb);
	if (err)
		return err;
	for (size_t si = 0; si < svcs.n && !err; si++) {
		const char *svc = svcs.v[si];
		hearth_strlist vals[2] = {{0}};
		piece pc[2 * MAX_VERSIONS + 1];
		size_t npc = 0;
		hearth_matcher m[2] = {{"service", svc, HEARTH_MATCH_EQ, NULL},
				       {"__type__", "cpu", HEARTH_MATCH_EQ, NULL}};
		hearth_selector sel = {m, 2, NULL};
		for (int li = 0; li < 2 && !err; li++) {
			err = hearth_store_label_values(st, tenant, &sel, labels[li], from, until,
							&vals[li], eb);
			for (size_t i = 0; !err && i < vals[li].n && i < MAX_VERSIONS; i++) {
				if (!*vals[li].v[i])
					continue;
				pc[npc].label = labels[li];
				pc[npc].value = vals[li].v[i];
				hearth_fleet_go_version(vals[li].v[i], pc[npc].version,
							sizeof(pc[npc].version));
				npc++;
			}
		}
		pc[npc].label = NULL;
		pc[npc].value = "";
		snprintf(pc[npc].version, sizeof(pc[npc].version), "unknown");
		npc++;
		/* One unit per distinct version, in the order first seen. */
		for (size_t i = 0; i < npc && !err; i++) {
			bool seen = false;
			for (size_t j = 0; j < i; j++)
				seen |= !strcmp(pc[j].version, pc[i].version);
			if (!seen)
				err = unit_run(st, tenant, svc, pc, npc, pc[i].version, from, until,
					       fn, ctx, eb);
		}
		hearth_strlist_free(&vals[0]);
		hearth_strlist_free(&vals[1]);
	}
	hearth_strlist_free(&svcs);
	return err;
}

/* ---- the public report --------------------------------------------------- */

typedef struct {
	int64_t tenant;
	char version[16];
	double gc_share;
	int64_t total, gc;
} runit;

typedef struct {
	char *name;
	int64_t last_tenant;
	uint32_t tenants;
	double flat_sum, cum_sum; /* of the units' shares */
} rsym;

typedef struct {
	runit *units;
	size_t nunits, capunits;
	rsym *syms;
	size_t nsyms, capsyms;
	strmap symmap;
	/* GC CPU fractions from metric series (scrapes, logs): per service. */
	runit *frac;
	size_t nfrac, capfrac;
} report;

static hearth_err report_unit(void *ctx, int64_t tenant, const char *service, const char *version,
			      const hearth_fleet_stats *s, hearth_errbuf *eb)
{
	(void)service; /* never kept */
	report *r = ctx;
	if (!HEARTH_GROW(r->units, r->nunits, r->capunits, 1))
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	runit *u = &r->units[r->nunits++];
	memset(u, 0, sizeof(*u));
	u->tenant = tenant;
	snprintf(u->version, sizeof(u->version), "%s", version);
	u->total = s->total;
	u->gc = s->gc;
	u->gc_share = (double)s->gc / (double)s->total;
	for (size_t i = 0; i < s->nfns; i++) {
		size_t k;
		if (!strmap_get(&r->symmap, s->fns[i].name, &k)) {
			if (r->nsyms >= MAX_SYMBOLS)
				continue;
			if (!HEARTH_GROW(r->syms, r->nsyms, r->capsyms, 1))
				return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			char *d = strdup(s->fns[i].name);
			if (!d || !strmap_put(&r->symmap, d, r->nsyms)) {
				free(d);
				return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			}
			r->syms[r->nsyms] = (rsym){d, 0, 0, 0, 0};
			k = r->nsyms++;
		}
		rsym *y = &r->syms[k];
		if (y->last_tenant != tenant) {
			y->last_tenant = tenant;
			y->tenants++;
		}
		y->flat_sum += (double)s->fns[i].flat / (double)s->total;
		y->cum_sum += (double)s->fns[i].cum / (double)s->total;
	}
	return HEARTH_OK;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* Nearest rank: the smallest value with at least p of them at or below. */
static double rank(const double *v, size_t n, double p)
{
	size_t r = (size_t)ceil(p * (double)n);
	return v[r ? r - 1 : 0];
}

/* The aggregate of the units for which pick is true, or NULL when fewer
 * than k tenants have one. */
static json_t *gc_aggregate(const runit *u, size_t n, const char *version, uint32_t k,
			    bool fractions)
{
	double *v = malloc((n + 1) * sizeof(*v));
	int64_t *seen = malloc((n + 1) * sizeof(*seen));
	json_t *o = NULL;
	size_t m = 0, tenants = 0;
	double sum = 0, gc = 0, total = 0;
	if (!v || !seen)
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (version && strcmp(u[i].version, version))
			continue;
		bool dup = false;
		for (size_t j = 0; j < tenants && !dup; j++)
			dup = seen[j] == u[i].tenant;
		if (!dup)
			seen[tenants++] = u[i].tenant;
		v[m++] = u[i].gc_share;
		sum += u[i].gc_share;
		gc += (double)u[i].gc;
		total += (double)u[i].total;
	}
	if (tenants < k || !m)
		goto out;
	qsort(v, m, sizeof(*v), dbl_cmp);
	o = json_object();
	if (version)
		json_object_set_new(o, "go_version", json_string(version));
	json_object_set_new(o, "tenants", json_integer((json_int_t)tenants));
	json_object_set_new(o, "services", json_integer((json_int_t)m));
	json_object_set_new(o, "mean", json_real(sum / (double)m));
	json_object_set_new(o, "p10", json_real(rank(v, m, 0.10)));
	json_object_set_new(o, "p50", json_real(rank(v, m, 0.50)));
	json_object_set_new(o, "p90", json_real(rank(v, m, 0.90)));
	if (!fractions)
		json_object_set_new(o, "cpu_weighted", json_real(total > 0 ? gc / total : 0));
out:
	free(v);
	free(seen);
	return o;
}

static int sym_by_flat(const void *a, const void *b)
{
	const rsym *x = a, *y = b;
	if (x->flat_sum != y->flat_sum)
		return x->flat_sum > y->flat_sum ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int unit_by_version(const void *a, const void *b)
{
	return strcmp(((const runit *)a)->version, ((const runit *)b)->version);
}

/* The last gc_cpu_fraction of each service in the range (hearth scrape's
 * MemStats, pushed GODEBUG logs), as a unit of its own. */
static hearth_err tenant_fractions(hearth_store *st, int64_t tenant, int64_t from, int64_t until,
				   report *r, hearth_errbuf *eb)
{
	hearth_strlist svcs = {0};
	hearth_err err = hearth_store_services(st, tenant, from, until, &svcs, eb);
	for (size_t i = 0; !err && i < svcs.n; i++) {
		hearth_metric_points pts = {0};
		hearth_errbuf e2 = {{0}};
		if (hearth_store_metrics_query(st, tenant, svcs.v[i], "gc_cpu_fraction", from,
					       until, &pts, &e2))
			continue;
		const hearth_metric_point *last = NULL;
		for (size_t j = 0; j < pts.n; j++)
			if (isfinite(pts.v[j].value) && pts.v[j].value >= 0 &&
			    pts.v[j].value <= 1 &&
			    (!last || pts.v[j].time_nanos > last->time_nanos))
				last = &pts.v[j];
		if (last) {
			if (!HEARTH_GROW(r->frac, r->nfrac, r->capfrac, 1))
				err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			else
				r->frac[r->nfrac++] = (runit){tenant, "", last->value, 0, 0};
		}
		hearth_metric_points_free(&pts);
	}
	hearth_strlist_free(&svcs);
	return err;
}

static void config_defaults(const hearth_fleet_config *cfg, uint32_t *k, int64_t *window,
			    uint32_t *top)
{
	*k = cfg && cfg->k ? cfg->k : HEARTH_FLEET_MIN_K;
	if (*k < HEARTH_FLEET_MIN_K)
		*k = HEARTH_FLEET_MIN_K;
	*window = cfg && cfg->window_nanos > 0 ? cfg->window_nanos : DAY_NANOS;
	*top = cfg && cfg->top ? cfg->top : 50;
	if (*top > 1000)
		*top = 1000;
}

hearth_err hearth_fleet_report(hearth_store *st, const hearth_fleet_config *cfg, int64_t now,
			       json_t **out, hearth_errbuf *eb)
{
	uint32_t k, top;
	int64_t window;
	config_defaults(cfg, &k, &window, &top);
	int64_t from = now - window, until = now;
	int64_t *tenants = NULL;
	size_t ntenants = 0;
	report r = {0};
	*out = NULL;
	hearth_err err = hearth_store_fleet_tenants(st, &tenants, &ntenants, eb);
	for (size_t i = 0; !err && i < ntenants; i++) {
		err = tenant_units(st, tenants[i], from, until, report_unit, &r, eb);
		if (!err)
			err = tenant_fractions(st, tenants[i], from, until, &r, eb);
	}
	if (err)
		goto out;
	/* Tenants with CPU profiles in the window. */
	size_t with_data = 0;
	for (size_t i = 0; i < r.nunits; i++)
		if (!i || r.units[i].tenant != r.units[i - 1].tenant)
			with_data++;
	json_t *o = json_object();
	json_object_set_new(o, "generated", json_integer(now));
	json_object_set_new(o, "from", json_integer(from));
	json_object_set_new(o, "until", json_integer(until));
	json_object_set_new(o, "k", json_integer(k));
	json_object_set_new(o, "gc_functions", json_string(HEARTH_FLEET_GC_RE));
	json_object_set_new(o, "tenants",
			    json_integer((json_int_t)(with_data >= k ? with_data : 0)));
	json_t *byv = json_array();
	if (r.nunits)
		qsort(r.units, r.nunits, sizeof(*r.units), unit_by_version);
	/* The units of the versions shown, and the rest: the overall figure
	 * takes the rest only when it has k tenants of its own, else the
	 * overall figure less the versions' would be an aggregate of fewer. */
	runit *shown = malloc((r.nunits + 1) * sizeof(*shown)),
	      *rest = malloc((r.nunits + 1) * sizeof(*rest));
	size_t nshown = 0, nrest = 0, withheld = 0;
	if (!shown || !rest) {
		free(shown);
		free(rest);
		json_decref(byv);
		json_decref(o);
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < r.nunits; i++) {
		if (i && !strcmp(r.units[i].version, r.units[i - 1].version))
			continue;
		size_t j = i;
		while (j < r.nunits && !strcmp(r.units[j].version, r.units[i].version))
			j++;
		json_t *a = gc_aggregate(r.units + i, j - i, r.units[i].version, k, false);
		if (a) {
			json_array_append_new(byv, a);
			memcpy(shown + nshown, r.units + i, (j - i) * sizeof(*shown));
			nshown += j - i;
		} else {
			withheld++;
			memcpy(rest + nrest, r.units + i, (j - i) * sizeof(*rest));
			nrest += j - i;
		}
	}
	json_t *ra = nrest ? gc_aggregate(rest, nrest, NULL, k, false) : NULL;
	if (ra) {
		json_decref(ra);
		memcpy(shown + nshown, rest, nrest * sizeof(*shown));
		nshown += nrest;
	}
	json_t *gc = gc_aggregate(shown, nshown, NULL, k, false);
	json_object_set_new(o, "gc", gc ? gc : json_null());
	free(shown);
	free(rest);
	json_object_set_new(o, "gc_by_go_version", byv);
	json_object_set_new(o, "go_versions_withheld", json_integer((json_int_t)withheld));
	json_t *fr = gc_aggregate(r.frac, r.nfrac, NULL, k, true);
	json_object_set_new(o, "runtime_gc_cpu_fraction", fr ? fr : json_null());
	/* Standard-library functions that k tenants share, by mean flat share
	 * over every unit (a unit without the function counts as zero). */
	json_t *fns = json_array();
	size_t w = 0;
	for (size_t i = 0; i < r.nsyms; i++)
		if (r.syms[i].tenants >= k && with_data >= k)
			r.syms[w++] = r.syms[i];
		else
			free(r.syms[i].name);
	r.nsyms = w;
	if (r.nsyms)
		qsort(r.syms, r.nsyms, sizeof(*r.syms), sym_by_flat);
	for (size_t i = 0; i < r.nsyms && i < top; i++) {
		json_t *f = json_object();
		json_object_set_new(f, "function", json_string(r.syms[i].name));
		json_object_set_new(f, "tenants", json_integer(r.syms[i].tenants));
		json_object_set_new(f, "flat", json_real(r.syms[i].flat_sum / (double)r.nunits));
		json_object_set_new(f, "cum", json_real(r.syms[i].cum_sum / (double)r.nunits));
		json_array_append_new(fns, f);
	}
	json_object_set_new(o, "stdlib", fns);
	json_object_set_new(o, "services",
			    json_integer((json_int_t)(with_data >= k ? r.nunits : 0)));
	*out = o;
out:
	free(tenants);
	for (size_t i = 0; i < r.nsyms; i++)
		free(r.syms[i].name);
	free(r.syms);
	free(r.units);
	free(r.frac);
	strmap_free(&r.symmap);
	return err;
}

/* ---- a tenant's own view ------------------------------------------------- */

typedef struct {
	json_t *services;
	uint32_t top;
} tview;

static hearth_err tenant_unit(void *ctx, int64_t tenant, const char *service, const char *version,
			      const hearth_fleet_stats *s, hearth_errbuf *eb)
{
	(void)tenant;
	(void)eb;
	tview *t = ctx;
	json_t *o = json_object(), *fns = json_array();
	json_object_set_new(o, "service", json_string(service));
	json_object_set_new(o, "go_version", json_string(version));
	json_object_set_new(o, "cpu_nanos", json_integer(s->total));
	json_object_set_new(o, "gc_nanos", json_integer(s->gc));
	json_object_set_new(o, "gc_share", json_real((double)s->gc / (double)s->total));
	for (size_t i = 0; i < s->nfns && i < t->top; i++)
		json_array_append_new(fns, json_pack("{s:s, s:I, s:I}", "function", s->fns[i].name,
						     "flat_nanos", (json_int_t)s->fns[i].flat,
						     "cum_nanos", (json_int_t)s->fns[i].cum));
	json_object_set_new(o, "stdlib", fns);
	json_array_append_new(t->services, o);
	return HEARTH_OK;
}

hearth_err hearth_fleet_tenant(hearth_store *st, int64_t tenant, const hearth_fleet_config *cfg,
			       int64_t now, json_t **out, hearth_errbuf *eb)
{
	uint32_t k, top;
	int64_t window;
	config_defaults(cfg, &k, &window, &top);
	int64_t *ids = NULL;
	size_t n = 0;
	*out = NULL;
	hearth_err err = hearth_store_fleet_tenants(st, &ids, &n, eb);
	if (err)
		return err;
	bool in = false;
	for (size_t i = 0; i < n; i++)
		in |= ids[i] == tenant;
	free(ids);
	tview t = {json_array(), top};
	err = tenant_units(st, tenant, now - window, now, tenant_unit, &t, eb);
	if (err) {
		json_decref(t.services);
		return err;
	}
	json_t *o = json_object();
	json_object_set_new(o, "opt_in", json_boolean(in));
	json_object_set_new(o, "from", json_integer(now - window));
	json_object_set_new(o, "until", json_integer(now));
	json_object_set_new(o, "gc_functions", json_string(HEARTH_FLEET_GC_RE));
	json_object_set_new(o, "services", t.services);
	*out = o;
	return HEARTH_OK;
}

/* ---- the page ------------------------------------------------------------ */

static void html_text(hearth_buf *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<':
			hearth_buf_puts(b, "&lt;");
			break;
		case '>':
			hearth_buf_puts(b, "&gt;");
			break;
		case '&':
			hearth_buf_puts(b, "&amp;");
			break;
		case '"':
			hearth_buf_puts(b, "&quot;");
			break;
		default:
			hearth_buf_put(b, s, 1);
		}
	}
}

static double num(const json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

static void html_gc_row(hearth_buf *b, const char *label, const json_t *a, bool weighted)
{
	hearth_buf_puts(b, "<tr><td>");
	html_text(b, label);
	hearth_buf_printf(b,
			  "</td><td>%lld</td><td>%lld</td><td>%.2f%%</td><td>%.2f%%</td>"
			  "<td>%.2f%%</td><td>%.2f%%</td>",
			  (long long)json_integer_value(json_object_get(a, "tenants")),
			  (long long)json_integer_value(json_object_get(a, "services")),
			  100 * num(a, "mean"), 100 * num(a, "p10"), 100 * num(a, "p50"),
			  100 * num(a, "p90"));
	if (weighted)
		hearth_buf_printf(b, "<td>%.2f%%</td>", 100 * num(a, "cpu_weighted"));
	hearth_buf_puts(b, "</tr>\n");
}

void hearth_fleet_html(const json_t *r, hearth_buf *b)
{
	long long k = (long long)json_integer_value(json_object_get(r, "k"));
	hearth_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
			   "<title>hearth fleet report</title>\n<style>body{font:14px sans-serif;"
			   "margin:2em;max-width:60em}table{border-collapse:collapse;margin:1em 0}"
			   "td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
			   "td:first-child,th:first-child{text-align:left}code{font-size:13px}"
			   "</style></head><body>\n<h1>Fleet report</h1>\n");
	hearth_buf_printf(b,
			  "<p>CPU profiles of the tenants that opted in, the last %.0f hours. "
			  "Only aggregates over at least %lld tenants are shown; only "
			  "standard-library functions, each only when at least %lld tenants "
			  "have it. Tenants: %lld, services: %lld.</p>\n",
			  (double)(json_integer_value(json_object_get(r, "until")) -
				   json_integer_value(json_object_get(r, "from"))) /
			      3.6e12,
			  k, k, (long long)json_integer_value(json_object_get(r, "tenants")),
			  (long long)json_integer_value(json_object_get(r, "services")));
	hearth_buf_puts(b, "<h2>CPU under the garbage collector</h2>\n<p>Share of each service's "
			   "CPU with one of <code>");
	html_text(b, json_string_value(json_object_get(r, "gc_functions")));
	hearth_buf_puts(b, "</code> on the stack.</p>\n");
	const json_t *gc = json_object_get(r, "gc");
	const json_t *byv = json_object_get(r, "gc_by_go_version");
	if (!json_is_object(gc)) {
		hearth_buf_printf(b, "<p>Not enough tenants yet (%lld needed).</p>\n", k);
	} else {
		hearth_buf_puts(b, "<table><tr><th>Go</th><th>tenants</th><th>services</th>"
				   "<th>mean</th><th>p10</th><th>p50</th><th>p90</th>"
				   "<th>of all CPU</th></tr>\n");
		html_gc_row(b, "all", gc, true);
		size_t i;
		json_t *a;
		json_array_foreach(byv, i, a)
		    html_gc_row(b, json_string_value(json_object_get(a, "go_version")), a, true);
		hearth_buf_puts(b, "</table>\n");
	}
	const json_t *fr = json_object_get(r, "runtime_gc_cpu_fraction");
	if (json_is_object(fr)) {
		hearth_buf_puts(b, "<h2>The runtime's own GC CPU fraction</h2>\n<p>The last "
				   "<code>GCCPUFraction</code> of each service (scraped "
				   "MemStats, GODEBUG logs).</p>\n<table><tr><th></th>"
				   "<th>tenants</th><th>services</th><th>mean</th><th>p10</th>"
				   "<th>p50</th><th>p90</th></tr>\n");
		html_gc_row(b, "all", fr, false);
		hearth_buf_puts(b, "</table>\n");
	}
	hearth_buf_puts(b, "<h2>Hottest standard-library functions</h2>\n");
	const json_t *fns = json_object_get(r, "stdlib");
	if (!json_array_size(fns)) {
		hearth_buf_puts(b, "<p>None shared by enough tenants yet.</p>\n");
	} else {
		hearth_buf_puts(b, "<table><tr><th>function</th><th>tenants</th><th>flat (mean "
				   "share)</th><th>cum (mean share)</th></tr>\n");
		size_t i;
		json_t *f;
		json_array_foreach(fns, i, f)
		{
			hearth_buf_puts(b, "<tr><td><code>");
			html_text(b, json_string_value(json_object_get(f, "function")));
			hearth_buf_printf(
			    b, "</code></td><td>%lld</td><td>%.3f%%</td><td>%.3f%%</td></tr>\n",
			    (long long)json_integer_value(json_object_get(f, "tenants")),
			    100 * num(f, "flat"), 100 * num(f, "cum"));
		}
		hearth_buf_puts(b, "</table>\n");
	}
	hearth_buf_puts(b, "<p>The same as JSON: <a href=\"/api/v1/fleet/report\">"
			   "/api/v1/fleet/report</a>.</p>\n</body></html>\n");
}
