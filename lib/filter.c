/* pprof's sample filters, in its order and with its semantics
 * (profile/filter.go, profile/prune.go, driver/driver_focus.go): they edit
 * the profile in place, as pprof edits its copy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "hearth/measure.h"
#include "hearth/regex.h"
#include "util.h"

/* Per-string match cache: 0 unknown, 1 no, 2 yes. */
typedef struct {
	const hearth_regex *re;
	const hearth_profile *p;
	uint8_t *memo;
} matcher;

static bool m_init(matcher *m, const hearth_profile *p, const hearth_regex *re)
{
	m->re = re;
	m->p = p;
	m->memo = re ? calloc(p->nstrs + 1, 1) : NULL;
	return !re || m->memo;
}

static bool m_str(matcher *m, uint32_t s)
{
	if (s >= m->p->nstrs)
		return hearth_regex_match(m->re, "", 0);
	if (!m->memo[s])
		m->memo[s] = hearth_regex_match(m->re, m->p->strs[s].s, m->p->strs[s].len) ? 2 : 1;
	return m->memo[s] == 2;
}

static bool m_line(matcher *m, const hearth_line *ln)
{
	if (ln->function == HEARTH_NONE)
		return false;
	const hearth_function *f = &m->p->functions[ln->function];
	return m_str(m, f->name) || m_str(m, f->file);
}

static bool m_mapping(matcher *m, const hearth_location *l)
{
	return l->mapping != HEARTH_NONE && m_str(m, m->p->mappings[l->mapping].file);
}

static bool m_loc(matcher *m, const hearth_location *l)
{
	for (uint32_t i = 0; i < l->nlines; i++)
		if (m_line(m, &m->p->lines[l->line0 + i]))
			return true;
	return m_mapping(m, l);
}

/* Replaces a location's lines by the subset where keep[i]; the subset is
 * appended to the lines array when it is not a prefix. */
static bool set_lines(hearth_profile *p, uint32_t li, const bool *keep)
{
	hearth_location *l = &p->locations[li];
	uint32_t n = 0;
	bool prefix = true;
	for (uint32_t i = 0; i < l->nlines; i++) {
		if (keep[i]) {
			if (n != i)
				prefix = false;
			n++;
		}
	}
	if (prefix) {
		l->nlines = n;
		return true;
	}
	if (!HEARTH_GROW(p->lines, p->nlines, p->caplines, n))
		return false;
	l = &p->locations[li];
	uint32_t start = (uint32_t)p->nlines;
	for (uint32_t i = 0; i < l->nlines; i++)
		if (keep[i])
			p->lines[p->nlines++] = p->lines[l->line0 + i];
	l->line0 = start;
	l->nlines = n;
	return true;
}

/* Keeps the samples with keep[i], in order. */
static void compact_samples(hearth_profile *p, const bool *keep)
{
	size_t w = 0, nt = p->nsample_types;
	for (size_t i = 0; i < p->nsamples; i++) {
		if (!keep[i])
			continue;
		if (w != i) {
			p->samples[w] = p->samples[i];
			memmove(p->values + w * nt, p->values + i * nt, nt * sizeof(int64_t));
		}
		w++;
	}
	p->nsamples = w;
}

enum { FOI_NONE, FOI_FOCUS, FOI_IGNORE };

static hearth_err by_name(hearth_profile *p, const hearth_regex *focus, const hearth_regex *ignore,
			  const hearth_regex *hide, const hearth_regex *show,
			  const hearth_regex *search, bool found[4])
{
	hearth_err err = HEARTH_ENOMEM;
	matcher mf = {0}, mi = {0}, mh = {0}, ms = {0}, mq = {0};
	uint8_t *foi = calloc(p->nlocations + 1, 1);
	bool *hit = calloc(p->nlocations + 1, 1);
	bool *hidden = calloc(p->nlocations + 1, 1);
	bool *keep = calloc(p->nsamples + 1, 1);
	bool *lk = NULL;
	uint32_t maxl = 1;
	bool anyhidden = false;
	for (uint32_t i = 0; i < p->nlocations; i++)
		if (p->locations[i].nlines > maxl)
			maxl = p->locations[i].nlines;
	lk = malloc(sizeof(bool) * maxl);
	if (!foi || !hit || !hidden || !keep || !lk || !m_init(&mf, p, focus) ||
	    !m_init(&mi, p, ignore) || !m_init(&mh, p, hide) || !m_init(&ms, p, show) ||
	    !m_init(&mq, p, search))
		goto out;
	for (uint32_t li = 0; li < p->nlocations; li++) {
		hearth_location *l = &p->locations[li];
		/* The search is a second focus, matched as focus is (before
		 * hide takes lines away). */
		hit[li] = !search || m_loc(&mq, l);
		if (ignore && m_loc(&mi, l)) {
			found[1] = true;
			foi[li] = FOI_IGNORE;
		} else if (!focus || m_loc(&mf, l)) {
			found[0] = true;
			foi[li] = FOI_FOCUS;
		}
		if (hide && m_loc(&mh, l)) {
			found[2] = true;
			bool all = m_mapping(&mh, l);
			for (uint32_t i = 0; i < l->nlines; i++)
				lk[i] = !all && !m_line(&mh, &p->lines[l->line0 + i]);
			if (!set_lines(p, li, lk))
				goto out;
			l = &p->locations[li];
			if (l->nlines == 0)
				hidden[li] = anyhidden = true;
		}
		if (show) {
			bool all = m_mapping(&ms, l);
			for (uint32_t i = 0; i < l->nlines; i++) {
				const hearth_line *ln = &p->lines[l->line0 + i];
				lk[i] = all || ln->function == HEARTH_NONE || m_line(&ms, ln);
			}
			if (!set_lines(p, li, lk))
				goto out;
			l = &p->locations[li];
			if (l->nlines == 0)
				hidden[li] = anyhidden = true;
			else
				found[3] = true;
		}
	}
	for (size_t si = 0; si < p->nsamples; si++) {
		hearth_sample *s = &p->samples[si];
		uint32_t *locs = p->locs + s->loc0;
		bool f = false, ign = false, h = !search;
		for (uint32_t i = 0; i < s->nlocs && !ign; i++) {
			if (foi[locs[i]] == FOI_FOCUS)
				f = true;
			else if (foi[locs[i]] == FOI_IGNORE)
				ign = true;
			h |= hit[locs[i]];
		}
		if (!f || ign || !h)
			continue;
		if (anyhidden) {
			uint32_t w = 0;
			for (uint32_t i = 0; i < s->nlocs; i++)
				if (!hidden[locs[i]])
					locs[w++] = locs[i];
			s->nlocs = w;
			if (w == 0)
				continue;
		}
		keep[si] = true;
	}
	compact_samples(p, keep);
	err = HEARTH_OK;
out:
	free(mf.memo);
	free(mi.memo);
	free(mh.memo);
	free(ms.memo);
	free(mq.memo);
	free(foi);
	free(hit);
	free(hidden);
	free(keep);
	free(lk);
	return err;
}

static hearth_err show_from(hearth_profile *p, const hearth_regex *re, bool *found)
{
	matcher m;
	bool *hit = calloc(p->nlocations + 1, 1), *keep = calloc(p->nsamples + 1, 1);
	if (!hit || !keep || !m_init(&m, p, re)) {
		free(hit);
		free(keep);
		return HEARTH_ENOMEM;
	}
	for (uint32_t li = 0; li < p->nlocations; li++) {
		hearth_location *l = &p->locations[li];
		if (m_mapping(&m, l)) {
			hit[li] = *found = true;
			continue;
		}
		for (uint32_t i = l->nlines; i-- > 0;) {
			if (m_line(&m, &p->lines[l->line0 + i])) {
				l->nlines = i + 1;
				hit[li] = *found = true;
				break;
			}
		}
	}
	for (size_t si = 0; si < p->nsamples; si++) {
		hearth_sample *s = &p->samples[si];
		for (uint32_t i = s->nlocs; i-- > 0;) {
			if (hit[p->locs[s->loc0 + i]]) {
				s->nlocs = i + 1;
				keep[si] = true;
				break;
			}
		}
	}
	compact_samples(p, keep);
	free(m.memo);
	free(hit);
	free(keep);
	return HEARTH_OK;
}

/* ---- tag filters ---- */

typedef struct {
	bool numeric;
	uint32_t key; /* string index of the wanted key, 0 for any */
	bool any_key;
	/* numeric: a range in one unit */
	int kind; /* 0 ==, 1 >=, 2 <=, 3 between */
	double lo, hi;
	const char *unit;
	/* regexps */
	hearth_regex **rx;
	int nrx;
	const char *keyname;
} tagfilter;

/* pprof's tagFilterRangeRx, ([+-]?[[:digit:]]+)([[:alpha:]]+)?, found at
 * most twice; fills start/end of the whole match and of the two groups. */
typedef struct {
	size_t start, end, num_end;
} rangetok;

static int find_ranges(const char *s, rangetok t[2])
{
	int n = 0;
	size_t i = 0, len = strlen(s);
	while (i < len && n < 2) {
		size_t j = i;
		if ((s[j] == '+' || s[j] == '-') && j + 1 < len && s[j + 1] >= '0' && s[j + 1] <= '9')
			j++;
		if (s[j] >= '0' && s[j] <= '9') {
			t[n].start = i;
			while (j < len && s[j] >= '0' && s[j] <= '9')
				j++;
			t[n].num_end = j;
			while (j < len && ((s[j] | 0x20) >= 'a' && (s[j] | 0x20) <= 'z'))
				j++;
			t[n].end = j;
			n++;
			i = j;
		} else {
			i++;
		}
	}
	return n;
}

static bool parse_range(const char *v, tagfilter *tf, hearth_profile *p)
{
	rangetok t[2];
	int n = find_ranges(v, t);
	size_t len = strlen(v);
	char unit1[64], unit2[64];
	if (n == 0)
		return false;
	size_t ul = t[0].end - t[0].num_end;
	if (ul >= sizeof(unit1))
		return false;
	memcpy(unit1, v + t[0].num_end, ul);
	unit1[ul] = 0;
	int64_t n1 = strtoll(v + t[0].start, NULL, 10);
	const char *u;
	tf->lo = hearth_scale(n1, unit1, unit1, &u);
	tf->unit = u;
	if (n == 1) {
		if (t[0].start == 0 && t[0].end == len)
			tf->kind = 0;
		else if (t[0].start == 0 && t[0].end + 1 == len && v[len - 1] == ':')
			tf->kind = 1;
		else if (t[0].start == 1 && v[0] == ':' && t[0].end == len)
			tf->kind = 2;
		else
			return false;
		return true;
	}
	if (!(t[0].start == 0 && v[t[0].end] == ':' && t[1].start == t[0].end + 1 &&
	      t[1].end == len))
		return false;
	ul = t[1].end - t[1].num_end;
	if (ul >= sizeof(unit2))
		return false;
	memcpy(unit2, v + t[1].num_end, ul);
	unit2[ul] = 0;
	const char *u2;
	tf->hi = hearth_scale(strtoll(v + t[1].start, NULL, 10), unit2, tf->unit, &u2);
	if (strcmp(u2, tf->unit) != 0)
		return false;
	tf->kind = 3;
	(void)p;
	return true;
}

static void tagfilter_free(tagfilter *tf)
{
	for (int i = 0; i < tf->nrx; i++)
		hearth_regex_free(tf->rx[i]);
	free(tf->rx);
	memset(tf, 0, sizeof(*tf));
}

static hearth_err tagfilter_compile(const char *what, const char *spec, hearth_profile *p,
				    tagfilter *tf, hearth_buf *warn, hearth_errbuf *eb)
{
	memset(tf, 0, sizeof(*tf));
	const char *eq = strchr(spec, '=');
	const char *value = spec;
	tf->any_key = true;
	if (eq) {
		tf->any_key = false;
		tf->key = hearth_intern(p, spec, (size_t)(eq - spec));
		if (tf->key == HEARTH_NONE)
			return HEARTH_ENOMEM;
		value = eq + 1;
	}
	if (parse_range(value, tf, p)) {
		tf->numeric = true;
		hearth_buf_printf(warn, "%s:Interpreted '%s' as range, not regexp\n", what, value);
		return HEARTH_OK;
	}
	/* Comma-separated regexps. */
	const char *s = value;
	for (;;) {
		const char *c = strchr(s, ',');
		size_t n = c ? (size_t)(c - s) : strlen(s);
		char *pat = strndup(s, n);
		hearth_regex **nr = realloc(tf->rx, sizeof(*nr) * (size_t)(tf->nrx + 1));
		if (!pat || !nr) {
			free(pat);
			if (nr)
				tf->rx = nr;
			tagfilter_free(tf);
			return HEARTH_ENOMEM;
		}
		tf->rx = nr;
		hearth_err e = hearth_regex_compile(what, pat, &tf->rx[tf->nrx], eb);
		free(pat);
		if (e) {
			tagfilter_free(tf);
			return e;
		}
		tf->nrx++;
		if (!c)
			break;
		s = c + 1;
	}
	return HEARTH_OK;
}

static bool num_match(const tagfilter *tf, int64_t v, const char *unit)
{
	const char *su;
	double sv = hearth_scale(v, unit, tf->unit, &su);
	if (strcmp(su, tf->unit) != 0)
		return false;
	switch (tf->kind) {
	case 0: return sv == tf->lo;
	case 1: return sv >= tf->lo;
	case 2: return sv <= tf->lo;
	default: return sv >= tf->lo && sv <= tf->hi;
	}
}

static bool tag_match(const tagfilter *tf, const hearth_profile *p, const hearth_sample *s,
		      const uint32_t *units, char **scratch, size_t *scap)
{
	const hearth_label *lb = p->labels + s->label0;
	if (tf->numeric) {
		for (uint32_t i = 0; i < s->nlabels; i++) {
			if (!hearth_label_is_num(&lb[i]) || (!tf->any_key && lb[i].key != tf->key))
				continue;
			if (num_match(tf, lb[i].num, hearth_s(p, units[lb[i].key])))
				return true;
		}
		return false;
	}
	if (!tf->any_key) {
		for (int r = 0; r < tf->nrx; r++)
			for (uint32_t i = 0; i < s->nlabels; i++) {
				if (!hearth_label_is_str(&lb[i]) || lb[i].key != tf->key)
					continue;
				const hearth_str *v = &p->strs[lb[i].str];
				if (hearth_regex_match(tf->rx[r], v->s, v->len))
					return true;
			}
		return false;
	}
	/* Every regexp must match some "key:value". */
	for (int r = 0; r < tf->nrx; r++) {
		bool hit = false;
		for (uint32_t i = 0; i < s->nlabels && !hit; i++) {
			if (!hearth_label_is_str(&lb[i]))
				continue;
			const hearth_str *k = &p->strs[lb[i].key], *v = &p->strs[lb[i].str];
			size_t n = k->len + 1 + v->len;
			if (n + 1 > *scap) {
				char *ns = realloc(*scratch, n + 1);
				if (!ns)
					return false;
				*scratch = ns;
				*scap = n + 1;
			}
			memcpy(*scratch, k->s, k->len);
			(*scratch)[k->len] = ':';
			memcpy(*scratch + k->len + 1, v->s, v->len);
			hit = hearth_regex_match(tf->rx[r], *scratch, n);
		}
		if (!hit)
			return false;
	}
	return true;
}

uint32_t *hearth_num_label_units(hearth_profile *p)
{
	uint32_t n0 = p->nstrs;
	uint32_t *u = calloc(n0 + 1, sizeof(*u));
	bool *seen = calloc(n0 + 1, 1);
	if (!u || !seen) {
		free(u);
		free(seen);
		return NULL;
	}
	for (size_t i = 0; i < p->nlabels; i++) {
		const hearth_label *l = &p->labels[i];
		if (!hearth_label_is_num(l))
			continue;
		seen[l->key] = true;
		if (l->unit && !u[l->key])
			u[l->key] = l->unit;
	}
	/* Interning may grow the string table, not the keys we index by. */
	for (uint32_t k = 0; k < n0; k++) {
		if (!seen[k] || u[k])
			continue;
		const char *name = hearth_s(p, k);
		if (!strcmp(name, "alignment") || !strcmp(name, "request"))
			u[k] = hearth_intern_cstr(p, "bytes");
		else
			u[k] = k;
	}
	free(seen);
	return u;
}

static hearth_err by_tag(hearth_profile *p, const tagfilter *focus, const tagfilter *ignore,
			 const uint32_t *units, bool found[2])
{
	bool *keep = calloc(p->nsamples + 1, 1);
	char *scratch = NULL;
	size_t scap = 0;
	if (!keep)
		return HEARTH_ENOMEM;
	for (size_t si = 0; si < p->nsamples; si++) {
		const hearth_sample *s = &p->samples[si];
		bool f = !focus || tag_match(focus, p, s, units, &scratch, &scap);
		bool ig = ignore && tag_match(ignore, p, s, units, &scratch, &scap);
		found[0] |= f;
		found[1] |= ig;
		keep[si] = f && !ig;
	}
	compact_samples(p, keep);
	free(keep);
	free(scratch);
	return HEARTH_OK;
}

static void tags_by_name(hearth_profile *p, const hearth_regex *show, const hearth_regex *hide,
			 bool found[2])
{
	for (size_t si = 0; si < p->nsamples; si++) {
		hearth_sample *s = &p->samples[si];
		hearth_label *lb = p->labels + s->label0;
		uint32_t w = 0;
		for (uint32_t i = 0; i < s->nlabels; i++) {
			if (hearth_label_is_str(&lb[i]) || hearth_label_is_num(&lb[i])) {
				const hearth_str *k = &p->strs[lb[i].key];
				bool ms = !show || hearth_regex_match(show, k->s, k->len);
				bool mh = hide && hearth_regex_match(hide, k->s, k->len);
				found[0] |= ms;
				found[1] |= mh;
				if (!ms || mh)
					continue;
			}
			lb[w++] = lb[i];
		}
		s->nlabels = w;
	}
}

/* pprof's simplifyFunc: the name up to its first '(' that does not belong
 * to "(anonymous namespace)" or "operator()". */
static size_t simplified_len(const char *f, size_t n, size_t *skip)
{
	*skip = n > 0 && f[0] == '.' ? 1 : 0;
	static const char anon[] = "(anonymous namespace)", op[] = "operator()";
	for (size_t i = *skip; i < n; i++) {
		if (n - i >= sizeof(anon) - 1 && !memcmp(f + i, anon, sizeof(anon) - 1)) {
			i += sizeof(anon) - 2;
		} else if (n - i >= sizeof(op) - 1 && !memcmp(f + i, op, sizeof(op) - 1)) {
			i += sizeof(op) - 2;
		} else if (f[i] == '(') {
			return i - *skip;
		}
	}
	return n - *skip;
}

static bool simple_match(const hearth_profile *p, uint32_t name, const hearth_regex *re)
{
	size_t skip, n = simplified_len(p->strs[name].s, p->strs[name].len, &skip);
	return hearth_regex_match(re, p->strs[name].s + skip, n);
}

static hearth_err prune(hearth_profile *p, const hearth_regex *drop, const hearth_regex *keep)
{
	uint8_t *mark = calloc(p->nlocations + 1, 1); /* 1 beneath, 2 prune */
	if (!mark)
		return HEARTH_ENOMEM;
	for (uint32_t li = 0; li < p->nlocations; li++) {
		hearth_location *l = &p->locations[li];
		int64_t i;
		for (i = (int64_t)l->nlines - 1; i >= 0; i--) {
			const hearth_line *ln = &p->lines[l->line0 + i];
			if (ln->function == HEARTH_NONE)
				continue;
			uint32_t name = p->functions[ln->function].name;
			if (name == 0)
				continue;
			if (simple_match(p, name, drop) && (!keep || !simple_match(p, name, keep)))
				break;
		}
		if (i >= 0) {
			if (i == (int64_t)l->nlines - 1) {
				mark[li] = 2;
			} else {
				mark[li] = 1;
				l->line0 += (uint32_t)i + 1;
				l->nlines -= (uint32_t)i + 1;
			}
		}
	}
	for (size_t si = 0; si < p->nsamples; si++) {
		hearth_sample *s = &p->samples[si];
		uint32_t *locs = p->locs + s->loc0;
		bool user = false;
		for (uint32_t i = s->nlocs; i-- > 0;) {
			uint8_t m = mark[locs[i]];
			if (!m) {
				user = true;
				continue;
			}
			if (!user)
				continue;
			uint32_t from = m == 2 ? i + 1 : i;
			s->loc0 += from;
			s->nlocs -= from;
			break;
		}
	}
	free(mark);
	return HEARTH_OK;
}

static hearth_err prune_from(hearth_profile *p, const hearth_regex *re)
{
	bool *beneath = calloc(p->nlocations + 1, 1);
	if (!beneath)
		return HEARTH_ENOMEM;
	for (uint32_t li = 0; li < p->nlocations; li++) {
		hearth_location *l = &p->locations[li];
		for (uint32_t i = 0; i < l->nlines; i++) {
			const hearth_line *ln = &p->lines[l->line0 + i];
			if (ln->function == HEARTH_NONE || p->functions[ln->function].name == 0)
				continue;
			if (simple_match(p, p->functions[ln->function].name, re)) {
				beneath[li] = true;
				l->line0 += i;
				l->nlines -= i;
				break;
			}
		}
	}
	for (size_t si = 0; si < p->nsamples; si++) {
		hearth_sample *s = &p->samples[si];
		for (uint32_t i = 0; i < s->nlocs; i++) {
			if (beneath[p->locs[s->loc0 + i]]) {
				s->loc0 += i;
				s->nlocs -= i;
				break;
			}
		}
	}
	free(beneath);
	return HEARTH_OK;
}

hearth_err hearth_remove_uninteresting(hearth_profile *p, hearth_errbuf *eb)
{
	hearth_regex *drop = NULL, *keep = NULL;
	hearth_err err = HEARTH_OK;
	char *pat = NULL;
	if (!p->drop_frames)
		return HEARTH_OK;
	if (asprintf(&pat, "^(%s)$", hearth_s(p, p->drop_frames)) < 0)
		return HEARTH_ENOMEM;
	err = hearth_regex_compile("drop_frames", pat, &drop, eb);
	free(pat);
	if (!err && p->keep_frames) {
		if (asprintf(&pat, "^(%s)$", hearth_s(p, p->keep_frames)) < 0) {
			err = HEARTH_ENOMEM;
		} else {
			err = hearth_regex_compile("keep_frames", pat, &keep, eb);
			free(pat);
		}
	}
	if (!err)
		err = prune(p, drop, keep);
	if (!err && !(err = hearth_regex_status(drop, eb)))
		err = hearth_regex_status(keep, eb);
	hearth_regex_free(drop);
	hearth_regex_free(keep);
	return err;
}

hearth_err hearth_apply_filters(hearth_profile *p, const hearth_opts *o, const uint32_t *units,
				bool lossless, hearth_buf *warn, hearth_errbuf *eb)
{
	hearth_regex *rx[9] = {0};
	tagfilter tf[2];
	memset(tf, 0, sizeof(tf));
	const char *names[] = {"focus", "ignore", "hide", "show", "show_from", "prune_from",
			       "tagshow", "taghide"};
	const char *vals[] = {o->focus, o->ignore, o->hide, o->show, o->show_from, o->prune_from,
			      o->tagshow, o->taghide};
	hearth_err err = HEARTH_OK;
	/* Compile everything first: a bad regexp fails before anything changes. */
	for (int i = 0; i < 6 && !err; i++)
		if (vals[i])
			err = hearth_regex_compile(names[i], vals[i], &rx[i], eb);
	if (!err && o->tagfocus)
		err = tagfilter_compile("tagfocus", o->tagfocus, p, &tf[0], warn, eb);
	if (!err && o->tagignore)
		err = tagfilter_compile("tagignore", o->tagignore, p, &tf[1], warn, eb);
	if (!err && o->search)
		err = hearth_regex_compile("q", o->search, &rx[8], eb);
	for (int i = 6; i < 8 && !err; i++)
		if (vals[i])
			err = hearth_regex_compile(names[i], vals[i], &rx[i], eb);
	if (err)
		goto out;

	bool found[4] = {false, false, false, false};
	bool any_name = rx[0] || rx[1] || rx[2] || rx[3] || rx[8];
	/* Without a name filter today's pprof keeps every sample, those with no
	 * location too (1.19 filtered anyway, which dropped them). */
	(void)lossless;
	if (any_name && (err = by_name(p, rx[0], rx[1], rx[2], rx[3], rx[8], found)))
		goto out;
	static const char *const what[] = {"Focus", "Ignore", "Hide", "Show"};
	for (int i = 0; i < 4; i++)
		if (rx[i] && !found[i])
			hearth_buf_printf(warn, "%s expression matched no samples\n", what[i]);
	if (rx[4]) {
		bool f = false;
		if ((err = show_from(p, rx[4], &f)))
			goto out;
		if (!f)
			hearth_buf_puts(warn, "ShowFrom expression matched no samples\n");
	}
	if (o->tagfocus || o->tagignore) {
		bool tfound[2] = {false, false};
		if ((err = by_tag(p, o->tagfocus ? &tf[0] : NULL, o->tagignore ? &tf[1] : NULL, units,
				  tfound)))
			goto out;
		if (o->tagfocus && !tfound[0])
			hearth_buf_puts(warn, "TagFocus expression matched no samples\n");
		if (o->tagignore && !tfound[1])
			hearth_buf_puts(warn, "TagIgnore expression matched no samples\n");
	}
	if (rx[6] || rx[7]) {
		bool tfound[2] = {false, false};
		tags_by_name(p, rx[6], rx[7], tfound);
		if (rx[6] && !tfound[0])
			hearth_buf_puts(warn, "TagShow expression matched no samples\n");
		if (rx[7] && !tfound[1])
			hearth_buf_puts(warn, "TagHide expression matched no samples\n");
	}
	if (rx[5])
		err = prune_from(p, rx[5]);
	/* A regexp that hit its cost limits matched nothing from there on:
	 * the result is wrong, so it is an error. */
	for (int i = 0; i < 9 && !err; i++)
		err = hearth_regex_status(rx[i], eb);
	for (int t = 0; t < 2 && !err; t++)
		for (int r = 0; r < tf[t].nrx && !err; r++)
			err = hearth_regex_status(tf[t].rx[r], eb);
out:
	for (int i = 0; i < 9; i++)
		hearth_regex_free(rx[i]);
	tagfilter_free(&tf[0]);
	tagfilter_free(&tf[1]);
	return err;
}

void hearth_aggregate(hearth_profile *p, hearth_granularity g, bool inlines)
{
	bool function = false, filename = false, linenumber = false, address = false;
	switch (g) {
	case HEARTH_GRAN_ADDRESSES:
		if (inlines)
			return;
		function = filename = linenumber = address = true;
		break;
	case HEARTH_GRAN_LINES:
		function = filename = linenumber = true;
		break;
	case HEARTH_GRAN_FILES:
		filename = true;
		break;
	case HEARTH_GRAN_FUNCTIONS:
		function = true;
		break;
	case HEARTH_GRAN_FILEFUNCTIONS:
		function = filename = true;
		break;
	}
	for (uint32_t i = 0; i < p->nmappings; i++) {
		hearth_mapping *m = &p->mappings[i];
		m->has_inline_frames &= inlines;
		m->has_functions &= function;
		m->has_filenames &= filename;
		m->has_line_numbers &= linenumber;
	}
	if (!function || !filename) {
		for (uint32_t i = 0; i < p->nfunctions; i++) {
			if (!function)
				p->functions[i].name = p->functions[i].system_name = 0;
			if (!filename)
				p->functions[i].file = 0;
		}
	}
	/* Today's pprof aggregates columns too, away unless -showcolumns (which
	 * hearth does not have): every aggregation drops them. */
	{
		for (uint32_t i = 0; i < p->nlocations; i++) {
			hearth_location *l = &p->locations[i];
			if (!inlines && l->nlines > 1) {
				l->line0 += l->nlines - 1;
				l->nlines = 1;
			}
			for (uint32_t j = 0; j < l->nlines; j++) {
				if (!linenumber)
					p->lines[l->line0 + j].line = 0;
				p->lines[l->line0 + j].column = 0;
			}
			if (!address)
				l->address = 0;
		}
	}
}
