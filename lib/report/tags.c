/* `tags` (every label value with the weight of its samples, pprof's
 * printTags) and `comments`.  printTags lays its table out with Go's
 * text/tabwriter (right-aligned cells, padding 1), which aligns each column
 * over the block of consecutive lines that have it; it is reproduced here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/measure.h"
#include "report.h"
#include "util.h"

/* ---- Go's tabwriter with AlignRight, padding 1, no minimum width ---- */

typedef struct {
	const char *s;
	size_t len, width; /* width in runes */
} cell;

typedef struct {
	cell *cells;
	size_t n;
} tline;

typedef struct {
	tline *lines;
	size_t n;
	size_t *widths;
	size_t nwidths;
	hearth_buf *out;
} tabw;

static size_t runes(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			k++;
	return k;
}

static void pad(hearth_buf *out, size_t n)
{
	static const char sp[] = "                                ";
	while (n > 0) {
		size_t k = n < sizeof(sp) - 1 ? n : sizeof(sp) - 1;
		hearth_buf_put(out, sp, k);
		n -= k;
	}
}

static void write_lines(tabw *w, size_t l0, size_t l1)
{
	for (size_t i = l0; i < l1; i++) {
		const tline *ln = &w->lines[i];
		for (size_t j = 0; j < ln->n; j++) {
			const cell *c = &ln->cells[j];
			if (j < w->nwidths)
				pad(w->out, w->widths[j] - c->width);
			hearth_buf_put(w->out, c->s, c->len);
		}
		hearth_buf_put(w->out, "\n", 1);
	}
}

static void format(tabw *w, size_t line0, size_t line1)
{
	size_t column = w->nwidths;
	for (size_t this = line0; this < line1; this++) {
		if (column + 1 >= w->lines[this].n)
			continue;
		write_lines(w, line0, this);
		line0 = this;
		size_t width = 0;
		for (; this < line1; this++) {
			const tline *ln = &w->lines[this];
			if (column + 1 >= ln->n)
				break;
			if (ln->cells[column].width + 1 > width)
				width = ln->cells[column].width + 1;
		}
		w->widths[w->nwidths++] = width;
		format(w, line0, this);
		w->nwidths--;
		line0 = this;
	}
	write_lines(w, line0, line1);
}

/* Lays out text, whose lines all end in '\n' and whose cells end in '\t'. */
static hearth_err tabwrite(const char *text, size_t len, hearth_buf *out)
{
	tabw w = {0};
	size_t lcap = 0, maxcells = 0;
	hearth_err err = HEARTH_ENOMEM;
	w.out = out;
	for (size_t i = 0; i < len;) {
		size_t e = i;
		while (e < len && text[e] != '\n')
			e++;
		if (!HEARTH_GROW(w.lines, w.n, lcap, 1))
			goto out;
		tline *ln = &w.lines[w.n++];
		memset(ln, 0, sizeof(*ln));
		size_t ccap = 0;
		for (size_t s = i;;) {
			size_t t = s;
			while (t < e && text[t] != '\t')
				t++;
			if (!HEARTH_GROW(ln->cells, ln->n, ccap, 1))
				goto out;
			ln->cells[ln->n++] = (cell){text + s, t - s, runes(text + s, t - s)};
			if (t >= e)
				break;
			s = t + 1;
		}
		if (ln->n > maxcells)
			maxcells = ln->n;
		i = e + 1;
	}
	w.widths = malloc(sizeof(size_t) * (maxcells + 1));
	if (!w.widths)
		goto out;
	format(&w, 0, w.n);
	err = out->oom ? HEARTH_ENOMEM : HEARTH_OK;
out:
	for (size_t i = 0; i < w.n; i++)
		free(w.lines[i].cells);
	free(w.lines);
	free(w.widths);
	return err;
}

/* ---- tags ---- */

typedef struct {
	uint32_t key;
	char *val;
	int64_t w;
} tagrow;

typedef struct {
	tagrow *rows;
	size_t n, cap;
	size_t *slots; /* row index + 1 */
	size_t scap;
} tagmap;

static uint64_t row_hash(uint32_t key, const char *v)
{
	uint64_t h = 1469598103934665603ull ^ key;
	for (; *v; v++)
		h = (h ^ (unsigned char)*v) * 1099511628211ull;
	return h;
}

static hearth_err tagmap_add(tagmap *m, uint32_t key, const char *val, int64_t w)
{
	if ((m->n + 1) * 2 > m->scap) {
		size_t cap = m->scap ? m->scap * 2 : 256;
		size_t *s = calloc(cap, sizeof(*s));
		if (!s)
			return HEARTH_ENOMEM;
		for (size_t i = 0; i < m->n; i++) {
			size_t h = row_hash(m->rows[i].key, m->rows[i].val) & (cap - 1);
			while (s[h])
				h = (h + 1) & (cap - 1);
			s[h] = i + 1;
		}
		free(m->slots);
		m->slots = s;
		m->scap = cap;
	}
	size_t h = row_hash(key, val) & (m->scap - 1);
	while (m->slots[h]) {
		tagrow *r = &m->rows[m->slots[h] - 1];
		if (r->key == key && !strcmp(r->val, val)) {
			r->w += w;
			return HEARTH_OK;
		}
		h = (h + 1) & (m->scap - 1);
	}
	if (!HEARTH_GROW(m->rows, m->n, m->cap, 1))
		return HEARTH_ENOMEM;
	char *v = strdup(val);
	if (!v)
		return HEARTH_ENOMEM;
	m->rows[m->n] = (tagrow){key, v, w};
	m->slots[h] = ++m->n;
	return HEARTH_OK;
}

static int64_t abs64(int64_t v)
{
	return v < 0 ? -v : v;
}

/* Keys by name, then within a key pprof's SortTags: heavier first (when
 * the weights differ), then by name. */
static int cmp_rows(const void *x, const void *y, void *arg)
{
	const hearth_profile *p = arg;
	const tagrow *a = x, *b = y;
	if (a->key != b->key)
		return strcmp(hearth_s(p, a->key), hearth_s(p, b->key));
	if (a->w != b->w) {
		int64_t aw = abs64(a->w), bw = abs64(b->w);
		if (aw != bw)
			return aw > bw ? -1 : 1;
		return 0;
	}
	return strcmp(a->val, b->val);
}

hearth_err hearth_report_tags(hearth_report *r, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_profile *p = r->p;
	tagmap m = {0};
	hearth_buf text = {0};
	hearth_err err = HEARTH_OK;
	uint32_t nt = p->nsample_types;
	for (size_t si = 0; si < p->nsamples && !err; si++) {
		const int64_t *v = p->values + si * nt;
		const hearth_sample *s = &p->samples[si];
		int64_t w = v[r->vs.vi];
		for (uint32_t i = 0; i < s->nlabels && !err; i++) {
			const hearth_label *l = &p->labels[s->label0 + i];
			if (hearth_label_is_str(l)) {
				err = tagmap_add(&m, l->key, hearth_s(p, l->str), w);
			} else if (hearth_label_is_num(l)) {
				char val[64];
				hearth_scaled_label(val, sizeof(val), l->num, hearth_s(p, r->units[l->key]),
						    r->o.unit);
				err = tagmap_add(&m, l->key, val, w);
			}
		}
	}
	if (err)
		goto out;
	if (m.n > 1)
		qsort_r(m.rows, m.n, sizeof(*m.rows), cmp_rows, p);
	/* Today's pprof gives each key its total against the profile's, and
	 * each value's share of the profile (1.19 printed the key's total alone
	 * and the shares of it, in its own %.1f format). */
	char f[64], t[64], pct[32];
	hearth_rpt_value(r, r->total, t, sizeof(t));
	for (size_t i = 0; i < m.n;) {
		size_t j = i;
		int64_t total = 0;
		for (; j < m.n && m.rows[j].key == m.rows[i].key; j++)
			total += m.rows[j].w;
		hearth_rpt_value(r, total, f, sizeof(f));
		if (r->total > 0) {
			hearth_percentage(pct, sizeof(pct), total, r->total);
			hearth_buf_printf(&text, "%s:\t Total %s of %s (%s)\n",
					  hearth_s(p, m.rows[i].key), f, t, pct);
		} else {
			hearth_buf_printf(&text, "%s:\t Total %s of %s\n", hearth_s(p, m.rows[i].key),
					  f, t);
		}
		for (; i < j; i++) {
			hearth_rpt_value(r, m.rows[i].w, f, sizeof(f));
			if (r->total > 0) {
				hearth_percentage(pct, sizeof(pct), m.rows[i].w, r->total);
				hearth_buf_printf(&text, " \t%s (%s):\t %s\n", f, pct, m.rows[i].val);
			} else {
				hearth_buf_printf(&text, " \t%s:\t %s\n", f, m.rows[i].val);
			}
		}
		hearth_buf_puts(&text, "\n");
	}
	if (text.oom) {
		err = HEARTH_ENOMEM;
		goto out;
	}
	err = tabwrite(text.data ? text.data : "", text.len, out);
out:
	for (size_t i = 0; i < m.n; i++)
		free(m.rows[i].val);
	free(m.rows);
	free(m.slots);
	hearth_buf_free(&text);
	if (err)
		return hearth_seterr(eb, err, "%s", hearth_strerror(err));
	return HEARTH_OK;
}

hearth_err hearth_report_comments(hearth_report *r, hearth_buf *out, hearth_errbuf *eb)
{
	const hearth_profile *p = r->p;
	for (uint32_t i = 0; i < p->ncomments; i++) {
		hearth_buf_puts(out, hearth_s(p, p->comments[i]));
		hearth_buf_put(out, "\n", 1);
	}
	if (out->oom)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	return HEARTH_OK;
}
