/* What both trace formats share below their events: unsigned LEB128
 * varints, and the string and stack tables (Go 1.19's for the whole
 * trace, Go 1.22's per generation): entries by id, looked up by binary
 * search once sorted. */
#include <stdlib.h>
#include <string.h>

#include "trace_int.h"
#include "util.h"

bool ht_uvarint(const unsigned char **p, const unsigned char *end, uint64_t *v)
{
	uint64_t x = 0;
	for (int s = 0; s < 70 && *p < end; s += 7) {
		unsigned char c = *(*p)++;
		/* The tenth byte holds the 64th bit only. */
		if (s == 63 && c > 1)
			return false;
		x |= (uint64_t)(c & 0x7f) << s;
		if (!(c & 0x80)) {
			*v = x;
			return true;
		}
	}
	return false;
}

bool ht_tab_add_str(ht_tab *t, uint64_t id, const void *s, size_t n)
{
	if (n > UINT32_MAX || t->nsbuf > UINT32_MAX - n - 1 ||
	    !HEARTH_GROW(t->strs, t->nstrs, t->capstrs, 1) ||
	    !HEARTH_GROW(t->sbuf, t->nsbuf, t->capsbuf, n + 1))
		return false;
	if (n)
		memcpy(t->sbuf + t->nsbuf, s, n);
	t->sbuf[t->nsbuf + n] = 0;
	t->strs[t->nstrs++] = (ht_entry){id, (uint32_t)t->nsbuf, (uint32_t)n};
	t->nsbuf += n + 1;
	return true;
}

ht_rframe *ht_tab_add_stack(ht_tab *t, uint64_t id, size_t n)
{
	if (n > UINT32_MAX || t->nframes > UINT32_MAX - n ||
	    !HEARTH_GROW(t->stks, t->nstks, t->capstks, 1) ||
	    !HEARTH_GROW(t->frames, t->nframes, t->capframes, n))
		return NULL;
	ht_rframe *f = t->frames + t->nframes;
	t->stks[t->nstks++] = (ht_entry){id, (uint32_t)t->nframes, (uint32_t)n};
	t->nframes += n;
	return f;
}

static int cmp_entry(const void *a, const void *b)
{
	const ht_entry *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

void ht_tab_sort(ht_tab *t)
{
	if (t->nstrs)
		qsort(t->strs, t->nstrs, sizeof(ht_entry), cmp_entry);
	if (t->nstks)
		qsort(t->stks, t->nstks, sizeof(ht_entry), cmp_entry);
}

void ht_tab_reset(ht_tab *t)
{
	t->nstrs = t->nstks = t->nsbuf = t->nframes = 0;
}

void ht_tab_free(ht_tab *t)
{
	free(t->strs);
	free(t->stks);
	free(t->sbuf);
	free(t->frames);
}

static const ht_entry *find(const ht_entry *e, size_t n, uint64_t id)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (e[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && e[lo].id == id ? &e[lo] : NULL;
}

const char *ht_tab_str(const ht_tab *t, uint64_t id)
{
	const ht_entry *e = id ? find(t->strs, t->nstrs, id) : NULL;
	return e ? t->sbuf + e->off : "";
}

ht_stack ht_tab_stack(ht_tab *t, uint64_t id, int slot)
{
	ht_stack s = {t->fr[slot], 0};
	const ht_entry *e = id ? find(t->stks, t->nstks, id) : NULL;
	if (!e)
		return s;
	uint32_t n = e->len < HT_MAX_FRAMES ? e->len : HT_MAX_FRAMES;
	for (uint32_t i = 0; i < n; i++) {
		const ht_rframe *f = &t->frames[e->off + i];
		t->fr[slot][i] =
		    (ht_frame){f->pc, f->line, ht_tab_str(t, f->func), ht_tab_str(t, f->file)};
	}
	s.n = n;
	return s;
}
