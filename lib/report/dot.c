/* `dot`: the call graph in Graphviz's DOT language, as pprof's ComposeDot:
 * a legend, one box per node (font size by flat weight, colour by cum),
 * nodelets for label sets and "bytes" values, edges by weight.
 *
 * Every string is escaped for a DOT double-quoted string: backslash and
 * quote are escaped, a newline ends a left-justified line (\l), and bytes
 * that are not UTF-8 become U+FFFD, since Graphviz reads UTF-8.  pprof
 * escapes function names only; the two agree on every name that needs no
 * more (docs/reports-differences.md). */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <inttypes.h>
#include <math.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/measure.h"
#include "report.h"
#include "util.h"

/* Length of the valid UTF-8 sequence at s[0..n), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned c = s[0];
	if (c < 0x80)
		return 1;
	size_t k;
	unsigned lo = 0x80, hi = 0xbf;
	if (c >= 0xc2 && c <= 0xdf)
		k = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		k = 3;
		if (c == 0xe0)
			lo = 0xa0;
		if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4;
		if (c == 0xf0)
			lo = 0x90;
		if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < k || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < k; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return k;
}

/* Appends s escaped for a DOT string (pprof's escapeForDot, plus UTF-8). */
static void esc(hearth_buf *out, const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n = strlen(s), run = 0;
	for (size_t i = 0; i < n;) {
		unsigned c = u[i];
		const char *rep = NULL;
		size_t k = 1;
		if (c == '\\')
			rep = "\\\\";
		else if (c == '"')
			rep = "\\\"";
		else if (c == '\n')
			rep = "\\l";
		else if (c >= 0x80 && (k = utf8_len(u + i, n - i)) == 0) {
			rep = "\xef\xbf\xbd";
			k = 1;
		}
		if (rep) {
			hearth_buf_put(out, s + run, i - run);
			hearth_buf_puts(out, rep);
			run = i + k;
		}
		i += k;
	}
	hearth_buf_put(out, s + run, n - run);
}

/* A label set ("k:v\nk2:v2", the separators a literal backslash-n that
 * DOT shows as line breaks): each part escaped, the separators kept. */
/* A name drawn or laid out keeps at most this many bytes (cut on a UTF-8
 * boundary, an ellipsis added): Graphviz's time and memory grow with label
 * sizes, and a hostile profile's megabyte-long names took minutes and
 * gigabytes to lay out. */
#define DOT_MAX_NAME 512

/* A malloc'ed copy of s cut to DOT_MAX_NAME bytes; NULL on OOM. */
static char *capped(const char *s)
{
	size_t n = strlen(s);
	if (n <= DOT_MAX_NAME)
		return strdup(s);
	n = DOT_MAX_NAME;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	char *c = malloc(n + 4);
	if (c) {
		memcpy(c, s, n);
		memcpy(c + n, "\xe2\x80\xa6", 4);
	}
	return c;
}

static void esc_name(hearth_buf *out, const char *s)
{
	char *c = capped(s);
	if (!c) {
		out->oom = true;
		return;
	}
	esc(out, c);
	free(c);
}

static void esc_set(hearth_buf *out, const char *s)
{
	for (;;) {
		const char *sep = strstr(s, "\\n");
		if (!sep) {
			esc(out, s);
			return;
		}
		char *part = strndup(s, (size_t)(sep - s));
		if (!part) {
			out->oom = true;
			return;
		}
		esc(out, part);
		free(part);
		hearth_buf_puts(out, "\\n");
		s = sep + 2;
	}
}

/* ---- pprof's ShortenFunctionName ---- */

static const char *const shorten_res[] = {
	/* C++ anonymous namespace prefix, removed */
	"^\\(anonymous namespace\\)::",
	/* Go module version in a package path, removed */
	"^(.*?)/v(?:[2-9]|[1-9][0-9]+)([./].*)$",
	/* Go: drop the package path */
	"^(?:[\\w\\-\\.]+\\/)+(.+)",
	/* Java: drop the package and the arguments */
	"^(?:[a-z]\\w*\\.)*([A-Z][\\w\\$]*\\.(?:<init>|[a-z][\\w\\$]*(?:\\$\\d+)?))(?:(?:\\()|$)",
	/* C++: drop the namespaces */
	"^(?:[_a-zA-Z]\\w*::)+(_*[A-Z]\\w*::~?[_a-zA-Z]\\w*(?:<.*>)?)",
};
#define NSHORTEN (sizeof(shorten_res) / sizeof(shorten_res[0]))
static pcre2_code *shorten_code[NSHORTEN];
static pthread_once_t shorten_once = PTHREAD_ONCE_INIT;

static void shorten_init(void)
{
	for (size_t i = 0; i < NSHORTEN; i++) {
		int ec;
		PCRE2_SIZE eo;
		shorten_code[i] = pcre2_compile((PCRE2_SPTR)shorten_res[i], PCRE2_ZERO_TERMINATED,
						PCRE2_UTF | PCRE2_MATCH_INVALID_UTF |
							PCRE2_DOLLAR_ENDONLY,
						&ec, &eo, NULL);
	}
}

/* Returns a malloc'ed shortened name (or NULL on OOM). */
static char *shorten(const char *name)
{
	pthread_once(&shorten_once, shorten_init);
	char *s = strdup(name);
	pcre2_match_data *md = pcre2_match_data_create(4, NULL);
	if (!s || !md) {
		free(s);
		pcre2_match_data_free(md);
		return NULL;
	}
	for (size_t i = 0; i < NSHORTEN && s; i++) {
		if (!shorten_code[i])
			continue;
		size_t n = strlen(s);
		int rc = pcre2_match(shorten_code[i], (PCRE2_SPTR)s, n, 0, 0, md, NULL);
		if (rc <= 0)
			continue;
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		hearth_buf b = {0};
		if (i == 0) {
			/* ReplaceAllString of an anchored pattern: one removal. */
			hearth_buf_put(&b, s + ov[1], n - ov[1]);
		} else if (i == 1) {
			hearth_buf_put(&b, s + ov[2], ov[3] - ov[2]);
			hearth_buf_put(&b, s + ov[4], ov[5] - ov[4]);
		} else {
			/* The first match of the Go, Java, C++ patterns wins. */
			for (int g = 1; g < rc; g++)
				if (ov[2 * g] != PCRE2_UNSET)
					hearth_buf_put(&b, s + ov[2 * g], ov[2 * g + 1] - ov[2 * g]);
			free(s);
			s = b.data ? b.data : strdup("");
			break;
		}
		free(s);
		s = b.data ? b.data : strdup("");
	}
	pcre2_match_data_free(md);
	return s;
}

/* Replaces every `from` in s with `to`; returns a new string. */
static char *replace_all(char *s, const char *from, const char *to)
{
	if (!s)
		return NULL;
	hearth_buf b = {0};
	size_t fl = strlen(from);
	const char *p = s, *q;
	while ((q = strstr(p, from))) {
		hearth_buf_put(&b, p, (size_t)(q - p));
		hearth_buf_puts(&b, to);
		p = q + fl;
	}
	hearth_buf_puts(&b, p);
	free(s);
	if (b.oom) {
		hearth_buf_free(&b);
		return NULL;
	}
	return b.data ? b.data : strdup("");
}

static const char *base_name(const char *s, char *buf, size_t n)
{
	size_t bl;
	const char *b = hearth_path_base(s, strlen(s), &bl);
	snprintf(buf, n, "%.*s", (int)bl, b);
	return buf;
}

/* pprof's multilinePrintableName: the short name split on dots, then the
 * address, the file's base name and line; every part ends in \n. */
static void node_label(hearth_buf *out, const hearth_profile *p, const hearth_nodeinfo *ni)
{
	if (ni->address)
		hearth_buf_printf(out, "%016" PRIx64 "\\n", ni->address);
	char *fn = capped(hearth_s(p, ni->name));
	char *x = NULL;
	if (!fn) {
		out->oom = true;
		return;
	}
	if (*fn) {
		char *s = shorten(fn);
		hearth_buf e = {0};
		if (s)
			esc(&e, s);
		free(s);
		x = e.data ? e.data : strdup("");
		x = replace_all(x, "::", "\\n");
		x = replace_all(x, "[...]", "[\xe2\x80\xa6]");
		x = replace_all(x, ".", "\\n");
		if (!x || e.oom) {
			out->oom = true;
			free(x);
			free(fn);
			return;
		}
		if (*x) {
			hearth_buf_puts(out, x);
			hearth_buf_puts(out, "\\n");
		}
	}
	char bb[4096];
	if (ni->line) {
		esc(out, ni->file ? base_name(hearth_s(p, ni->file), bb, sizeof(bb)) : "");
		hearth_buf_printf(out, ":%" PRId64 "\\n", ni->line);
	} else if (ni->file) {
		esc(out, base_name(hearth_s(p, ni->file), bb, sizeof(bb)));
		hearth_buf_puts(out, "\\n");
	} else if (x && *x) {
		/* the name says it all */
	} else if (ni->objfile) {
		hearth_buf_puts(out, "[");
		esc(out, base_name(hearth_s(p, ni->objfile), bb, sizeof(bb)));
		hearth_buf_puts(out, "]\\n");
	} else {
		hearth_buf_puts(out, "<unknown>\\n");
	}
	free(x);
	free(fn);
}

/* ---- colours ---- */

static uint8_t go_uint8(double f)
{
	/* Go converts through a 64-bit integer: NaN and overflow give 0. */
	if (!(f >= -9223372036854775808.0 && f < 9223372036854775808.0))
		return 0;
	return (uint8_t)(int64_t)f;
}

/* pprof's dotColor: grey near 0, red for positive, green for negative
 * scores in [-1, 1]; light for backgrounds. */
static void dot_color(double score, bool bg, char out[8])
{
	const double shift = 0.7;
	double sat = bg ? 0.1 : 1.0, val = bg ? 0.93 : 0.7;
	/* Go's math.Max and Min keep a NaN. */
	if (!isnan(score))
		score = fmax(-1.0, fmin(1.0, score));
	if (fabs(score) < 0.2)
		sat *= fabs(score) / 0.2;
	if (score > 0.0)
		score = pow(score, 1.0 - shift);
	if (score < 0.0)
		score = -pow(-score, 1.0 - shift);
	double r, g, b;
	if (score < 0.0) {
		g = val;
		r = val * (1 + sat * score);
	} else {
		r = val;
		g = val * (1 - sat * score);
	}
	b = val * (1 - sat);
	snprintf(out, 8, "#%02x%02x%02x", go_uint8(r * 255.0), go_uint8(g * 255.0),
		 go_uint8(b * 255.0));
}

static int64_t abs64(int64_t v)
{
	return v < 0 ? (int64_t)(0 - (uint64_t)v) : v;
}

static void trimmed_pct(char *buf, size_t n, int64_t v, int64_t total)
{
	char pct[32];
	hearth_percentage(pct, sizeof(pct), v, total);
	const char *s = pct;
	while (*s == ' ')
		s++;
	snprintf(buf, n, "%s", s);
}

/* ---- nodelets ---- */

typedef struct {
	const char *name;
	uint32_t unit; /* string index */
	int64_t value, flat, flat_div, cum, cum_div;
} dtag;

static int64_t tag_flat(const dtag *t)
{
	return t->flat_div ? t->flat / t->flat_div : t->flat;
}

static int64_t tag_cum(const dtag *t)
{
	return t->cum_div ? t->cum / t->cum_div : t->cum;
}

/* pprof's SortTags; the comparisons of abs values happen only when the
 * raw values differ, as in pprof. */
static int cmp_tags(const dtag *a, const dtag *b, bool flat)
{
	if (!flat && a->cum != b->cum) {
		int64_t x = abs64(a->cum), y = abs64(b->cum);
		return x > y ? -1 : x < y ? 1 : 0;
	}
	if (a->flat != b->flat) {
		int64_t x = abs64(a->flat), y = abs64(b->flat);
		return x > y ? -1 : x < y ? 1 : 0;
	}
	return strcmp(a->name, b->name);
}

static int cmp_tags_flat(const void *x, const void *y)
{
	return cmp_tags(x, y, true);
}

static int cmp_tags_cum(const void *x, const void *y)
{
	return cmp_tags(x, y, false);
}

static void sort_tags(dtag *t, size_t n, bool flat)
{
	qsort(t, n, sizeof(*t), flat ? cmp_tags_flat : cmp_tags_cum);
}

static double tag_distance(const hearth_profile *p, const dtag *t, const dtag *u)
{
	double v = hearth_scale(u->value, hearth_s(p, u->unit), hearth_s(p, t->unit), NULL);
	return v < (double)t->value ? (double)t->value - v : v - (double)t->value;
}

typedef struct {
	const hearth_report *r;
	const hearth_profile *p;
	hearth_buf *out;
	char **owned; /* names made for collapsed groups */
	size_t nowned;
} nodelet_ctx;

/* pprof's collapsedTags: more than count numeric tags are grouped around
 * the count heaviest, each group labelled "min..max". */
static size_t collapse(nodelet_ctx *c, dtag *ts, size_t n, size_t count, bool flat,
		       dtag *outv)
{
	sort_tags(ts, n, flat);
	if (n <= count) {
		memcpy(outv, ts, sizeof(*ts) * n);
		return n;
	}
	size_t *group = malloc(sizeof(size_t) * n);
	if (!group)
		return 0;
	for (size_t i = 0; i < n; i++) {
		if (i < count) {
			group[i] = i;
			continue;
		}
		size_t g = 0;
		double d = tag_distance(c->p, &ts[i], &ts[0]);
		for (size_t k = 1; k < count; k++) {
			double nd = tag_distance(c->p, &ts[i], &ts[k]);
			if (nd < d)
				g = k, d = nd;
		}
		group[i] = g;
	}
	for (size_t g = 0; g < count; g++) {
		const dtag *mn = &ts[g], *mx = &ts[g];
		int64_t f = ts[g].flat, df = ts[g].flat_div, cu = ts[g].cum, dc = ts[g].cum_div;
		size_t members = 1;
		for (size_t i = count; i < n; i++) {
			if (group[i] != g)
				continue;
			const dtag *t = &ts[i];
			members++;
			if ((int64_t)hearth_scale(t->value, hearth_s(c->p, t->unit),
						  hearth_s(c->p, mn->unit), NULL) < mn->value)
				mn = t;
			if ((int64_t)hearth_scale(t->value, hearth_s(c->p, t->unit),
						  hearth_s(c->p, mx->unit), NULL) > mx->value)
				mx = t;
			f += t->flat;
			df += t->flat_div;
			cu += t->cum;
			dc += t->cum_div;
		}
		char a[160], b[64];
		hearth_value_label(a, 64, mn->value, hearth_s(c->p, mn->unit));
		dtag *o = &outv[g];
		memset(o, 0, sizeof(*o));
		if (members == 1) {
			o->flat = tag_flat(mn);
			o->cum = tag_cum(mn);
		} else {
			hearth_value_label(b, sizeof(b), mx->value, hearth_s(c->p, mx->unit));
			size_t l = strlen(a);
			snprintf(a + l, sizeof(a) - l, "..%s", b);
			o->flat = df ? f / df : f;
			o->cum = dc ? cu / dc : cu;
		}
		char *name = strdup(a);
		char **no = realloc(c->owned, sizeof(char *) * (c->nowned + 1));
		if (no)
			c->owned = no;
		if (!name || !no) {
			free(name);
			free(group);
			return 0;
		}
		c->owned[c->nowned++] = name;
		o->name = name;
	}
	free(group);
	sort_tags(outv, count, flat);
	return count;
}

static void numeric_nodelets(nodelet_ctx *c, dtag *ts, size_t n, bool flat, const char *source)
{
	dtag *v = malloc(sizeof(*v) * (n + 1));
	if (!v) {
		c->out->oom = true;
		return;
	}
	size_t k = collapse(c, ts, n, 4, flat, v);
	char w[64];
	for (size_t j = 0; j < k; j++) {
		const dtag *t = &v[j];
		int64_t x = tag_cum(t);
		const char *attr = " style=\"dotted\"";
		if (flat || tag_flat(t) == tag_cum(t))
			x = tag_flat(t), attr = "";
		if (x == 0)
			continue;
		hearth_rpt_value(c->r, x, w, sizeof(w));
		hearth_buf_printf(c->out, "N%s_%zu [label = \"", source, j);
		esc(c->out, t->name);
		hearth_buf_printf(c->out,
				  "\" id=\"N%s_%zu\" fontsize=8 shape=box3d tooltip=\"%s\"]\n"
				  "%s -> N%s_%zu [label=\" %s\" weight=100 tooltip=\"%s\" "
				  "labeltooltip=\"%s\"%s]\n",
				  source, j, w, source, source, j, w, w, w, attr);
	}
	free(v);
}

/* pprof's addNodelets; returns whether the node got any. */
static bool nodelets(nodelet_ctx *c, const hearth_trimmed *t, const hearth_node *n, uint32_t id,
		     bool flat)
{
	const hearth_tags *tg = &t->tags;
	if (n->id >= tg->nids || tg->count[n->id] == 0)
		return false;
	const hearth_profile *p = c->p;
	size_t cnt = tg->count[n->id], nl = 0, nn = 0;
	const hearth_tag *all = tg->tags + tg->first[n->id];
	dtag *labels = malloc(sizeof(dtag) * (cnt + 1));
	dtag *nums = malloc(sizeof(dtag) * (cnt + 1));
	uint32_t *numset = malloc(sizeof(uint32_t) * (cnt + 1));
	if (!labels || !nums || !numset) {
		free(labels), free(nums), free(numset);
		c->out->oom = true;
		return false;
	}
	for (size_t i = 0; i < cnt; i++) {
		const hearth_tag *x = &all[i];
		if (x->trimmed)
			continue;
		dtag d = {x->name == HEARTH_NONE ? hearth_s(p, x->set) : hearth_s(p, x->name),
			  x->unit,
			  x->value,
			  x->flat,
			  x->flat_div,
			  x->cum,
			  x->cum_div};
		if (x->name == HEARTH_NONE) {
			labels[nl++] = d;
		} else {
			numset[nn] = x->set;
			nums[nn++] = d;
		}
	}
	size_t before = c->out->len;
	sort_tags(labels, nl, flat);
	if (nl > 4)
		nl = 4;
	dtag *sub = malloc(sizeof(dtag) * (nn + 1));
	char w[64], src[48];
	for (size_t i = 0; i < nl && sub; i++) {
		const dtag *x = &labels[i];
		int64_t v = flat ? tag_flat(x) : tag_cum(x);
		if (v == 0)
			continue;
		hearth_rpt_value(c->r, v, w, sizeof(w));
		hearth_buf_printf(c->out, "N%u_%zu [label = \"", id, i);
		esc_set(c->out, x->name);
		hearth_buf_printf(c->out,
				  "\" id=\"N%u_%zu\" fontsize=8 shape=box3d tooltip=\"%s\"]\n"
				  "N%u -> N%u_%zu [label=\" %s\" weight=100 tooltip=\"%s\" "
				  "labeltooltip=\"%s\"]\n",
				  id, i, w, id, id, i, w, w, w);
		size_t k = 0;
		for (size_t j = 0; j < nn; j++)
			if (!strcmp(hearth_s(p, numset[j]), x->name))
				sub[k++] = nums[j];
		if (k) {
			snprintf(src, sizeof(src), "N%u_%zu", id, i);
			numeric_nodelets(c, sub, k, flat, src);
		}
	}
	size_t k = 0;
	for (size_t j = 0; j < nn && sub; j++)
		if (numset[j] == 0 || !*hearth_s(p, numset[j]))
			sub[k++] = nums[j];
	if (k) {
		snprintf(src, sizeof(src), "N%u", id);
		numeric_nodelets(c, sub, k, flat, src);
	}
	if (!sub)
		c->out->oom = true;
	free(sub);
	free(labels);
	free(nums);
	free(numset);
	return c->out->len != before;
}

/* ---- the graph ---- */

static void edge_line(const hearth_report *r, const hearth_trimmed *t, const hearth_edge *e,
		      uint32_t from, uint32_t to, bool minlen, hearth_buf *out)
{
	const hearth_profile *p = r->p;
	int64_t wv = e->weight_div ? e->weight / e->weight_div : e->weight;
	char w[64], col[8];
	hearth_rpt_value(r, wv, w, sizeof(w));
	hearth_buf_printf(out, "N%u -> N%u [label=\" %s%s\"", from, to, w,
			  e->inl ? "\\n (inline)" : "");
	if (r->total != 0) {
		/* pprof's integer arithmetic, overflow included. */
		int64_t x = abs64((int64_t)((uint64_t)wv * 100u) / r->total);
		int64_t weight = 1 + (x < 100 ? x : 100);
		if (weight > 1)
			hearth_buf_printf(out, " weight=%" PRId64, weight);
		x = abs64((int64_t)((uint64_t)wv * 5u) / r->total);
		int64_t width = 1 + (x < 5 ? x : 5);
		if (width > 1)
			hearth_buf_printf(out, " penwidth=%" PRId64, width);
		dot_color((double)wv / (double)abs64(r->total), false, col);
		hearth_buf_printf(out, " color=\"%s\"", col);
	}
	hearth_buf tip = {0};
	hearth_buf name = {0};
	hearth_buf_puts(&tip, "\"");
	hearth_node_name(p, &t->infos[e->src], &name);
	esc_name(&tip, name.data ? name.data : "");
	hearth_buf_puts(&tip, e->residual ? " ... " : " -> ");
	name.len = 0;
	hearth_node_name(p, &t->infos[e->dst], &name);
	esc_name(&tip, name.data ? name.data : "");
	hearth_buf_printf(&tip, " (%s)\"", w);
	if (tip.oom)
		out->oom = true;
	else
		hearth_buf_printf(out, " tooltip=%s labeltooltip=%s", tip.data, tip.data);
	if (e->residual)
		hearth_buf_puts(out, " style=\"dotted\"");
	if (minlen)
		hearth_buf_puts(out, " minlen=2");
	hearth_buf_puts(out, "]\n");
	hearth_buf_free(&tip);
	hearth_buf_free(&name);
}

hearth_err hearth_report_dot(hearth_report *r, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_trimmed t;
	hearth_profile *p = r->p;
	hearth_err err = hearth_rpt_trimmed_graph(r, true, &t);
	if (err)
		return hearth_seterr(eb, err, "%s", hearth_strerror(err));
	hearth_rpt_select_unit(r, &t.g);
	nodelet_ctx c = {r, p, out, NULL, 0};
	uint32_t *pos = NULL, *eidx = NULL;
	bool *has_nodelets = NULL;
	hearth_buf labels = {0};
	err = HEARTH_ENOMEM;

	char title[4096];
	hearth_rpt_file_name(r, title, sizeof(title));
	hearth_buf_puts(out, "digraph \"");
	esc(out, title[0] ? title : "unnamed");
	hearth_buf_puts(out, "\" {\nnode [style=filled fillcolor=\"#f8f8f8\"]\n");

	/* The legend: pprof's reportLabels with full headers. */
	hearth_rpt_graph_labels(r, &t, &labels, true);
	hearth_buf_puts(&labels, "\nSee https://git.io/JfYMW for how to read the graph\n");
	if (labels.oom)
		goto out;
	char *nl = strchr(labels.data, '\n');
	*nl = 0;
	hearth_buf_puts(out, "subgraph cluster_L { \"");
	esc(out, labels.data);
	hearth_buf_puts(out, "\" [shape=box fontsize=16 label=\"");
	esc(out, labels.data);
	hearth_buf_puts(out, "\\l");
	*nl = '\n';
	labels.data[labels.len - 1] = 0; /* the last label's newline */
	esc(out, nl + 1);
	hearth_buf_puts(out, "\\l\"");
	if (title[0]) {
		hearth_buf_puts(out, " tooltip=\"");
		esc(out, title);
		hearth_buf_puts(out, "\"");
	}
	hearth_buf_puts(out, "] }\n");

	uint32_t n = t.g.nnodes;
	pos = calloc((size_t)t.nids + 1, sizeof(uint32_t));
	has_nodelets = calloc((size_t)t.nids + 1, sizeof(bool));
	eidx = malloc(sizeof(uint32_t) * (t.g.nedges + 1));
	if (!pos || !has_nodelets || !eidx)
		goto out;
	if (n == 0) {
		hearth_buf_puts(out, "}\n");
		err = out->oom ? HEARTH_ENOMEM : HEARTH_OK;
		goto out;
	}
	double max_flat = (double)abs64(hearth_node_flat(&t.g.nodes[0]));
	for (uint32_t i = 0; i < n; i++) {
		pos[t.g.nodes[i].id] = i + 1;
		double f = (double)abs64(hearth_node_flat(&t.g.nodes[i]));
		if (f > max_flat)
			max_flat = f;
	}
	size_t ne = 0;
	char fv[64], cv[64], pct[32], col1[8], col2[8];
	hearth_buf name = {0};
	for (uint32_t i = 0; i < n; i++) {
		const hearth_node *nd = &t.g.nodes[i];
		uint32_t id = i + 1;
		int64_t flat = hearth_node_flat(nd), cum = hearth_node_cum(nd);
		hearth_buf_printf(out, "N%u [label=\"", id);
		node_label(out, p, &nd->info);
		hearth_rpt_value(r, flat, fv, sizeof(fv));
		if (flat != 0) {
			trimmed_pct(pct, sizeof(pct), flat, r->total);
			hearth_buf_printf(out, "%s (%s)", fv, pct);
		} else {
			hearth_buf_puts(out, "0");
		}
		const char *cumv = fv;
		if (cum != flat) {
			hearth_rpt_value(r, cum, cv, sizeof(cv));
			trimmed_pct(pct, sizeof(pct), cum, r->total);
			hearth_buf_printf(out, "%sof %s (%s)", flat != 0 ? "\\n" : " ", cv, pct);
			cumv = cv;
		}
		int fs = 8;
		if (max_flat != 0 && flat != 0 && (double)abs64(flat) <= max_flat)
			fs += (int)ceil(16.0 * sqrt((double)abs64(flat) / max_flat));
		double score = (double)cum / (double)abs64(r->total);
		dot_color(score, false, col1);
		dot_color(score, true, col2);
		hearth_buf_printf(out, "\" id=\"node%u\" fontsize=%d shape=box tooltip=\"", id, fs);
		name.len = 0;
		hearth_node_name(p, &nd->info, &name);
		esc_name(out, name.data ? name.data : "");
		hearth_buf_printf(out, " (%s)\" color=\"%s\" fillcolor=\"%s\"]\n", cumv, col1, col2);

		/* Leaves show cumulative tags, inner nodes flat ones. */
		uint32_t live_out = 0;
		for (uint32_t k = 0; k < nd->nout; k++) {
			uint32_t e = t.g.out_edges[nd->out0 + k];
			if (!t.g.edges[e].trimmed) {
				eidx[ne++] = e;
				live_out++;
			}
		}
		has_nodelets[nd->id] = nodelets(&c, &t, nd, id, live_out > 0);
	}
	hearth_buf_free(&name);
	if (hearth_edges_sort(t.names, &t.g, eidx, ne))
		goto out;
	for (size_t k = 0; k < ne; k++) {
		const hearth_edge *e = &t.g.edges[eidx[k]];
		edge_line(r, &t, e, pos[e->src], pos[e->dst], has_nodelets[e->src], out);
	}
	hearth_buf_puts(out, "}\n");
	err = out->oom ? HEARTH_ENOMEM : HEARTH_OK;
out:
	for (size_t i = 0; i < c.nowned; i++)
		free(c.owned[i]);
	free(c.owned);
	free(pos);
	free(has_nodelets);
	free(eidx);
	hearth_buf_free(&labels);
	hearth_trimmed_free(&t);
	if (err)
		return hearth_seterr(eb, err, "%s", hearth_strerror(err));
	return HEARTH_OK;
}
