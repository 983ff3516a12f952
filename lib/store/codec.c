/* The store's shared formats: symbol dictionary, sample blocks, merge
 * accumulator (see codec.h and docs/store.md). */
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "store/codec.h"
#include "util.h"

/* ---- varints ---- */

static bool out_reserve(hs_out *o, size_t more)
{
	if (o->oom)
		return false;
	if (o->n + more <= o->cap)
		return true;
	size_t cap = o->cap ? o->cap : 256;
	while (cap < o->n + more)
		cap *= 2;
	uint8_t *p = realloc(o->p, cap);
	if (!p) {
		o->oom = true;
		return false;
	}
	o->p = p;
	o->cap = cap;
	return true;
}

void hs_put_uv_slow(hs_out *o, uint64_t v)
{
	if (!out_reserve(o, 10))
		return;
	while (v >= 0x80) {
		o->p[o->n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	o->p[o->n++] = (uint8_t)v;
}

void hs_put_bytes(hs_out *o, const void *p, size_t n)
{
	if (!n || !out_reserve(o, n))
		return;
	memcpy(o->p + o->n, p, n);
	o->n += n;
}

void hs_put_str(hs_out *o, const char *s, size_t n)
{
	hs_put_uv(o, n);
	hs_put_bytes(o, s, n);
}

void hs_out_free(hs_out *o)
{
	free(o->p);
	memset(o, 0, sizeof(*o));
}

uint64_t hs_get_uv(hs_in *in)
{
	uint64_t v = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (in->p >= in->end) {
			in->bad = true;
			return 0;
		}
		uint8_t b = *in->p++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	in->bad = true;
	return 0;
}

const uint8_t *hs_get_str(hs_in *in, uint32_t *n)
{
	uint64_t len = hs_get_uv(in);
	if (in->bad || len > (uint64_t)(in->end - in->p)) {
		in->bad = true;
		*n = 0;
		return (const uint8_t *)"";
	}
	const uint8_t *p = in->p;
	in->p += len;
	*n = (uint32_t)len;
	return p;
}

/* ---- the dictionary ---- */

#define PAGE_BITS 12
#define PAGE_SIZE (1u << PAGE_BITS)
#define MAX_PAGES (1u << 14) /* 67M entries per kind */
#define ARENA_CHUNK (256u << 10)

typedef struct {
	const uint8_t *p;
	uint32_t n;
	uint32_t h;
} dent;

typedef struct {
	dent **pages; /* a page left NULL: every id of it was swept */
	uint32_t n, committed, pub;
	uint32_t *slots, cap, used;
	/* Ids a dictionary sweep deleted (hs_dict_kill): out of the hash
	 * table; their bytes stay readable for queries still in flight (an
	 * id loaded as deleted has none: p NULL). */
	uint64_t *dead;
	uint32_t deadcap; /* in ids */
	uint32_t ndead;
	uint32_t pages_end; /* no page allocated at or past it */
} kindtab;

typedef struct achunk {
	struct achunk *next;
	size_t n, cap;
	uint8_t data[];
} achunk;

struct hs_dict {
	pthread_mutex_t mu; /* interning */
	kindtab k[HS_NKINDS];
	achunk *arena;
	size_t bytes;
	uint64_t gen; /* dictionary sweeps that deleted something */
};

hs_dict *hs_dict_new(void)
{
	hs_dict *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	pthread_mutex_init(&d->mu, NULL);
	for (int i = 0; i < HS_NKINDS; i++) {
		d->k[i].pages = calloc(MAX_PAGES, sizeof(dent *));
		if (!d->k[i].pages) {
			hs_dict_free(d);
			return NULL;
		}
	}
	return d;
}

void hs_dict_free(hs_dict *d)
{
	if (!d)
		return;
	for (int i = 0; i < HS_NKINDS; i++) {
		/* Pages of deleted ids only are NULL, and pages of ids rolled
		 * back lie past n: every page up to the last allocated. */
		if (d->k[i].pages)
			for (uint32_t j = 0; j < d->k[i].pages_end; j++)
				free(d->k[i].pages[j]);
		free(d->k[i].pages);
		free(d->k[i].slots);
		free(d->k[i].dead);
	}
	for (achunk *c = d->arena, *nx; c; c = nx) {
		nx = c->next;
		free(c);
	}
	pthread_mutex_destroy(&d->mu);
	free(d);
}

static inline const dent *kent(const kindtab *k, uint32_t id)
{
	return &k->pages[(id - 1) >> PAGE_BITS][(id - 1) & (PAGE_SIZE - 1)];
}

/* The entry of id (<= k->n), NULL when a sweep deleted it before it was
 * loaded. */
static inline const dent *kent_live(const kindtab *k, uint32_t id)
{
	const dent *pg = k->pages[(id - 1) >> PAGE_BITS];
	if (!pg)
		return NULL;
	const dent *e = &pg[(id - 1) & (PAGE_SIZE - 1)];
	return e->p ? e : NULL;
}

bool hs_dict_get(const hs_dict *d, int kind, uint32_t id, const uint8_t **p, uint32_t *n)
{
	const kindtab *k = &d->k[kind];
	const dent *e;
	if (id == 0 || id > __atomic_load_n(&k->pub, __ATOMIC_ACQUIRE) || !(e = kent_live(k, id))) {
		*p = (const uint8_t *)"";
		*n = 0;
		return id == 0 && kind == HS_STR;
	}
	*p = e->p;
	*n = e->n;
	return true;
}

uint32_t hs_dict_published(const hs_dict *d, int kind)
{
	return __atomic_load_n(&d->k[kind].pub, __ATOMIC_ACQUIRE);
}

bool hs_dict_wget(const hs_dict *d, int kind, uint32_t id, const uint8_t **p, uint32_t *n)
{
	const kindtab *k = &d->k[kind];
	const dent *e;
	if (id == 0 || id > k->n || !(e = kent_live(k, id))) {
		*p = (const uint8_t *)"";
		*n = 0;
		return id == 0 && kind == HS_STR;
	}
	*p = e->p;
	*n = e->n;
	return true;
}

static uint8_t *arena_copy(hs_dict *d, const void *p, uint32_t n)
{
	achunk *c = d->arena;
	if (!c || c->cap - c->n < n) {
		size_t cap = n > ARENA_CHUNK / 4 ? n : ARENA_CHUNK;
		achunk *nc = malloc(sizeof(achunk) + cap);
		if (!nc)
			return NULL;
		nc->n = 0;
		nc->cap = cap;
		if (c && n > ARENA_CHUNK / 4) {
			/* A big entry gets its own chunk behind the current one. */
			nc->next = c->next;
			c->next = nc;
		} else {
			nc->next = c;
			d->arena = nc;
		}
		c = nc;
		d->bytes += sizeof(achunk) + cap;
	}
	uint8_t *dst = c->data + c->n;
	if (n)
		memcpy(dst, p, n);
	c->n += n;
	return dst;
}

static inline bool is_dead(const kindtab *k, uint32_t id)
{
	return id < k->deadcap && (k->dead[id >> 6] >> (id & 63) & 1);
}

/* Rebuilds the hash table with the live entries (deleted ones are left
 * out, so their content interned again gets a new id). */
static bool rehash(kindtab *k, uint32_t cap)
{
	uint32_t *s = calloc(cap, sizeof(uint32_t));
	if (!s)
		return false;
	uint32_t used = 0;
	for (uint32_t id = 1; id <= k->n; id++) {
		const dent *e = kent_live(k, id);
		if (!e || is_dead(k, id))
			continue;
		uint32_t i = e->h & (cap - 1);
		while (s[i])
			i = (i + 1) & (cap - 1);
		s[i] = id;
		used++;
	}
	free(k->slots);
	k->slots = s;
	k->cap = cap;
	k->used = used;
	return true;
}

static hearth_err append(hs_dict *d, kindtab *k, const void *p, uint32_t n, uint32_t h,
			 uint32_t *id)
{
	if (k->n + 1 >= MAX_PAGES * PAGE_SIZE)
		return HEARTH_ETOOBIG;
	uint32_t nid = k->n + 1, pg = (nid - 1) >> PAGE_BITS;
	if (!k->pages[pg] && !(k->pages[pg] = calloc(PAGE_SIZE, sizeof(dent))))
		return HEARTH_ENOMEM;
	if (pg >= k->pages_end)
		k->pages_end = pg + 1;
	uint8_t *copy = arena_copy(d, p, n);
	if (!copy)
		return HEARTH_ENOMEM;
	dent *e = &k->pages[pg][(nid - 1) & (PAGE_SIZE - 1)];
	e->p = copy;
	e->n = n;
	e->h = h;
	k->n = nid;
	*id = nid;
	return HEARTH_OK;
}

hearth_err hs_dict_intern(hs_dict *d, int kind, const void *p, uint32_t n, uint32_t *id)
{
	kindtab *k = &d->k[kind];
	if (kind == HS_STR && n == 0) {
		*id = 0;
		return HEARTH_OK;
	}
	if ((k->used + 1) * 2 > k->cap && !rehash(k, k->cap ? k->cap * 2 : 1024))
		return HEARTH_ENOMEM;
	uint32_t h = (uint32_t)hearth_hash_bytes(p, n);
	uint32_t i = h & (k->cap - 1);
	for (; k->slots[i]; i = (i + 1) & (k->cap - 1)) {
		uint32_t s = k->slots[i];
		if (s > k->n)
			continue; /* rolled back */
		const dent *e = kent(k, s);
		if (e->h == h && e->n == n && !memcmp(e->p, p, n)) {
			*id = s;
			return HEARTH_OK;
		}
	}
	hearth_err err = append(d, k, p, n, h, id);
	if (err)
		return err;
	k->slots[i] = *id;
	k->used++;
	return HEARTH_OK;
}

void hs_dict_lock(hs_dict *d)
{
	pthread_mutex_lock(&d->mu);
}

void hs_dict_unlock(hs_dict *d)
{
	pthread_mutex_unlock(&d->mu);
}

void hs_dict_snapshot(hs_dict *d, uint32_t upto[HS_NKINDS])
{
	pthread_mutex_lock(&d->mu);
	for (int i = 0; i < HS_NKINDS; i++)
		upto[i] = d->k[i].n;
	pthread_mutex_unlock(&d->mu);
}

uint32_t hs_dict_pending(const hs_dict *d, int kind, const uint32_t upto[HS_NKINDS],
			 uint32_t *first)
{
	*first = d->k[kind].committed + 1;
	return upto[kind] > d->k[kind].committed ? upto[kind] - d->k[kind].committed : 0;
}

void hs_dict_pending_encode(const hs_dict *d, int kind, const uint32_t upto[HS_NKINDS], hs_out *o)
{
	const kindtab *k = &d->k[kind];
	/* Entries never move once added: no lock needed to read them. */
	for (uint32_t id = k->committed + 1; id <= upto[kind]; id++) {
		const dent *e = kent(k, id);
		hs_put_uv(o, e->n);
		hs_put_bytes(o, e->p, e->n);
	}
}

void hs_dict_commit(hs_dict *d, const uint32_t upto[HS_NKINDS])
{
	for (int i = 0; i < HS_NKINDS; i++) {
		if (upto[i] <= d->k[i].committed)
			continue;
		d->k[i].committed = upto[i];
		__atomic_store_n(&d->k[i].pub, upto[i], __ATOMIC_RELEASE);
	}
}

void hs_dict_counts(const hs_dict *d, uint32_t upto[HS_NKINDS])
{
	for (int i = 0; i < HS_NKINDS; i++)
		upto[i] = d->k[i].n;
}

void hs_dict_rollback(hs_dict *d)
{
	/* Lookups skip slots past n, and entries are compared by content, so
	 * ids handed out again later are found as the new entries they are. */
	for (int i = 0; i < HS_NKINDS; i++)
		d->k[i].n = d->k[i].committed;
}

/* count ids deleted by a sweep, after the last: no bytes, and pages left
 * unallocated where every id of them is deleted. */
static hearth_err append_dead(kindtab *k, uint64_t count)
{
	if ((uint64_t)k->n + count >= (uint64_t)MAX_PAGES * PAGE_SIZE)
		return HEARTH_ETOOBIG;
	while (count) {
		uint32_t nid = k->n + 1, pg = (nid - 1) >> PAGE_BITS,
			 off = (nid - 1) & (PAGE_SIZE - 1);
		uint32_t room = PAGE_SIZE - off;
		uint32_t m = count < room ? (uint32_t)count : room;
		/* A page begun live, or one this run does not fill: its dents
		 * say deleted (calloc: p NULL). */
		if (!k->pages[pg] && (off || m < PAGE_SIZE) &&
		    !(k->pages[pg] = calloc(PAGE_SIZE, sizeof(dent))))
			return HEARTH_ENOMEM;
		if (k->pages[pg] && pg >= k->pages_end)
			k->pages_end = pg + 1;
		if (k->pages[pg])
			memset(&k->pages[pg][off], 0, m * sizeof(dent));
		k->n += m;
		k->ndead += m;
		count -= m;
	}
	return HEARTH_OK;
}

hearth_err hs_dict_load(hs_dict *d, int kind, uint32_t first, const uint8_t *p, size_t n,
			hearth_errbuf *eb)
{
	/* Kinds HS_NKINDS and up: a chunk a dictionary sweep rewrote, which
	 * may hold runs of deleted ids (uv 0, uv count); older binaries
	 * refuse such a row rather than misnumber what follows. */
	bool swept = kind >= HS_NKINDS && kind < 2 * HS_NKINDS;
	if (swept)
		kind -= HS_NKINDS;
	if (kind < 0 || kind >= HS_NKINDS)
		return hearth_seterr(eb, HEARTH_ECORRUPT, "store dictionary: chunk of kind %d",
				     kind);
	kindtab *k = &d->k[kind];
	if (first < k->n + 1)
		return hearth_seterr(eb, HEARTH_ECORRUPT,
				     "store dictionary: chunk of kind %d starts at %u, expected %u",
				     kind, first, k->n + 1);
	/* A gap: the chunks a sweep deleted whole. */
	if (first > k->n + 1) {
		hearth_err err = append_dead(k, (uint64_t)first - 1 - k->n);
		if (err)
			return hearth_seterr(eb, err, "store dictionary: too many entries");
	}
	hs_in in = {p, p + n, false};
	while (in.p < in.end) {
		uint32_t len, id;
		if (swept && in.p < in.end && *in.p == 0) {
			in.p++;
			uint64_t run = hs_get_uv(&in);
			hearth_err err;
			if (in.bad || !run)
				return hearth_seterr(eb, HEARTH_ECORRUPT,
						     "store dictionary: bad chunk");
			if ((err = append_dead(k, run)))
				return hearth_seterr(eb, err, "store dictionary: too many entries");
			continue;
		}
		/* No entry is empty (the string "" is id 0, never stored), so a
		 * swept chunk's 0 can start a run of deleted ids. */
		const uint8_t *s = hs_get_str(&in, &len);
		if (in.bad || !len)
			return hearth_seterr(eb, HEARTH_ECORRUPT, "store dictionary: bad chunk");
		if ((k->used + 1) * 2 > k->cap && !rehash(k, k->cap ? k->cap * 2 : 1024))
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		uint32_t h = (uint32_t)hearth_hash_bytes(s, len);
		hearth_err err = append(d, k, s, len, h, &id);
		if (err)
			return hearth_seterr(eb, err, "store dictionary: out of memory");
		uint32_t i = h & (k->cap - 1);
		while (k->slots[i])
			i = (i + 1) & (k->cap - 1);
		k->slots[i] = id;
		k->used++;
	}
	k->committed = k->n;
	__atomic_store_n(&k->pub, k->n, __ATOMIC_RELEASE);
	return HEARTH_OK;
}

size_t hs_dict_bytes(const hs_dict *d)
{
	size_t b = d->bytes;
	for (int i = 0; i < HS_NKINDS; i++)
		b += (size_t)d->k[i].cap * 4 + ((size_t)d->k[i].n + PAGE_SIZE) * sizeof(dent);
	return b;
}

/* ---- metadata ---- */

#define S(x) (x) ? (x) : ""

hearth_err hs_meta_from_profile(const hearth_profile *p, hs_meta *m)
{
	memset(m, 0, sizeof(*m));
	if (p->nsample_types > HS_MAX_ST)
		return HEARTH_ETOOBIG;
	m->period_type.type = hearth_s(p, p->period_type.type);
	m->period_type.unit = hearth_s(p, p->period_type.unit);
	m->period = p->period;
	m->time_nanos = p->time_nanos;
	m->duration_nanos = p->duration_nanos;
	m->nst = p->nsample_types;
	for (uint32_t i = 0; i < m->nst; i++) {
		m->st[i].type = hearth_s(p, p->sample_types[i].type);
		m->st[i].unit = hearth_s(p, p->sample_types[i].unit);
	}
	m->default_st = hearth_s(p, p->default_sample_type);
	m->drop = hearth_s(p, p->drop_frames);
	m->keep = hearth_s(p, p->keep_frames);
	m->doc_url = hearth_s(p, p->doc_url);
	/* Comments past the cap are dropped (they are free text). */
	m->ncomments = p->ncomments < HS_MAX_COMMENTS ? p->ncomments : HS_MAX_COMMENTS;
	for (uint32_t i = 0; i < m->ncomments; i++)
		m->comments[i] = hearth_s(p, p->comments[i]);
	m->nprofiles = 1;
	return HEARTH_OK;
}

static void put_cs(hs_out *o, const char *s)
{
	s = S(s);
	hs_put_str(o, s, strlen(s));
}

void hs_meta_encode(const hs_meta *m, hs_out *o)
{
	hs_put_uv(o, 1);
	put_cs(o, m->period_type.type);
	put_cs(o, m->period_type.unit);
	hs_put_sv(o, m->period);
	hs_put_sv(o, m->time_nanos);
	hs_put_sv(o, m->duration_nanos);
	hs_put_uv(o, m->nst);
	for (uint32_t i = 0; i < m->nst; i++) {
		put_cs(o, m->st[i].type);
		put_cs(o, m->st[i].unit);
	}
	put_cs(o, m->default_st);
	put_cs(o, m->drop);
	put_cs(o, m->keep);
	put_cs(o, m->doc_url);
	hs_put_uv(o, m->ncomments);
	for (uint32_t i = 0; i < m->ncomments; i++)
		put_cs(o, m->comments[i]);
	hs_put_uv(o, (uint64_t)m->nprofiles);
}

static const char *get_cs(hs_in *in, char **mem)
{
	uint32_t n;
	const uint8_t *s = hs_get_str(in, &n);
	char *d = *mem;
	memcpy(d, s, n);
	d[n] = 0;
	*mem += n + 1;
	return d;
}

hearth_err hs_meta_decode(const uint8_t *p, size_t n, hs_meta *m, hearth_errbuf *eb)
{
	memset(m, 0, sizeof(*m));
	/* Every string is at most the bytes left plus its NUL. */
	char *mem = malloc(2 * n + 16), *w = mem;
	if (!mem)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	m->mem = mem;
	hs_in in = {p, p + n, false};
	if (hs_get_uv(&in) != 1)
		goto bad;
	m->period_type.type = get_cs(&in, &w);
	m->period_type.unit = get_cs(&in, &w);
	m->period = hs_get_sv(&in);
	m->time_nanos = hs_get_sv(&in);
	m->duration_nanos = hs_get_sv(&in);
	uint64_t nst = hs_get_uv(&in);
	if (nst > HS_MAX_ST)
		goto bad;
	m->nst = (uint32_t)nst;
	for (uint32_t i = 0; i < m->nst; i++) {
		m->st[i].type = get_cs(&in, &w);
		m->st[i].unit = get_cs(&in, &w);
	}
	m->default_st = get_cs(&in, &w);
	m->drop = get_cs(&in, &w);
	m->keep = get_cs(&in, &w);
	m->doc_url = get_cs(&in, &w);
	uint64_t nc = hs_get_uv(&in);
	if (nc > HS_MAX_COMMENTS)
		goto bad;
	m->ncomments = (uint32_t)nc;
	for (uint32_t i = 0; i < m->ncomments; i++)
		m->comments[i] = get_cs(&in, &w);
	m->nprofiles = (int64_t)hs_get_uv(&in);
	if (in.bad)
		goto bad;
	return HEARTH_OK;
bad:
	hs_meta_free(m);
	return hearth_seterr(eb, HEARTH_ECORRUPT, "store: damaged profile metadata");
}

void hs_meta_free(hs_meta *m)
{
	free(m->mem);
	m->mem = NULL;
}

hearth_err hs_meta_copy(hs_meta *dst, const hs_meta *src)
{
	hs_out o = {0};
	hearth_errbuf eb;
	hs_meta_encode(src, &o);
	if (o.oom) {
		hs_out_free(&o);
		return HEARTH_ENOMEM;
	}
	hearth_err err = hs_meta_decode(o.p, o.n, dst, &eb);
	hs_out_free(&o);
	return err;
}

hearth_err hs_meta_combine(hs_meta *a, const hs_meta *b)
{
	hs_meta t = *a;
	if (a->nprofiles == 0 || a->time_nanos == 0 || b->time_nanos < a->time_nanos)
		t.time_nanos = b->time_nanos;
	t.duration_nanos += b->duration_nanos;
	if (t.period == 0 || t.period < b->period)
		t.period = b->period;
	t.nprofiles += b->nprofiles;
	if (!*S(t.default_st) && *S(b->default_st))
		t.default_st = b->default_st;
	bool changed = t.default_st != a->default_st;
	for (uint32_t c = 0; c < b->ncomments && t.ncomments < HS_MAX_COMMENTS; c++) {
		bool seen = false;
		for (uint32_t k = 0; k < t.ncomments && !seen; k++)
			seen = !strcmp(t.comments[k], b->comments[c]);
		if (!seen) {
			t.comments[t.ncomments++] = b->comments[c];
			changed = true;
		}
	}
	if (!changed) {
		*a = t;
		return HEARTH_OK;
	}
	/* Strings of b now in a: give a its own copy. */
	hs_meta n;
	hearth_err err = hs_meta_copy(&n, &t);
	if (err)
		return err;
	hs_meta_free(a);
	*a = n;
	return HEARTH_OK;
}

void hs_meta_st_string(const hs_meta *m, hs_out *o)
{
	for (uint32_t i = 0; i < m->nst; i++) {
		if (i)
			hs_put_bytes(o, ",", 1);
		hs_put_bytes(o, S(m->st[i].type), strlen(S(m->st[i].type)));
		hs_put_bytes(o, "/", 1);
		hs_put_bytes(o, S(m->st[i].unit), strlen(S(m->st[i].unit)));
	}
	hs_put_bytes(o, "", 1);
	o->n--;
}

/* ---- the accumulator ---- */

struct hs_acc {
	uint32_t nst;
	bool merge, nolabels;
	size_t n, cap, added;
	uint64_t *koff;
	uint32_t *klen;
	uint32_t *khash;
	int64_t *vals;
	uint8_t *keys;
	size_t kn, kcap;
	/* Open addressing: the key's hash in the high half (most probes end
	 * there, without touching the key), 1 + its index in the low. */
	uint64_t *slots;
	size_t scap;
};

hs_acc *hs_acc_new(uint32_t nst, bool merge)
{
	hs_acc *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->nst = nst;
	a->merge = merge;
	return a;
}

void hs_acc_free(hs_acc *a)
{
	if (!a)
		return;
	free(a->koff);
	free(a->klen);
	free(a->khash);
	free(a->vals);
	free(a->keys);
	free(a->slots);
	free(a);
}

size_t hs_acc_n(const hs_acc *a)
{
	return a->n;
}

void hs_acc_drop_labels(hs_acc *a)
{
	a->nolabels = true;
}

size_t hs_acc_added(const hs_acc *a)
{
	return a->added;
}

static bool acc_rehash(hs_acc *a, size_t cap)
{
	uint64_t *s = calloc(cap, sizeof(uint64_t));
	if (!s)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		size_t j = a->khash[i] & (cap - 1);
		while (s[j])
			j = (j + 1) & (cap - 1);
		s[j] = (uint64_t)a->khash[i] << 32 | (uint64_t)(i + 1);
	}
	free(a->slots);
	a->slots = s;
	a->scap = cap;
	return true;
}

/* Room for more samples without growing on the way. */
static hearth_err acc_reserve(hs_acc *a, size_t more)
{
	size_t need = a->n + more;
	if (need > UINT32_MAX - 1)
		return HEARTH_ETOOBIG;
	if (need > a->cap) {
		size_t cap = a->cap ? a->cap : 1024;
		while (cap < need)
			cap *= 2;
		uint64_t *ko = realloc(a->koff, cap * sizeof(*ko));
		if (!ko)
			return HEARTH_ENOMEM;
		a->koff = ko;
		uint32_t *kl = realloc(a->klen, cap * sizeof(*kl));
		if (!kl)
			return HEARTH_ENOMEM;
		a->klen = kl;
		uint32_t *kh = realloc(a->khash, cap * sizeof(*kh));
		if (!kh)
			return HEARTH_ENOMEM;
		a->khash = kh;
		int64_t *v = realloc(a->vals, cap * a->nst * sizeof(*v) + 8);
		if (!v)
			return HEARTH_ENOMEM;
		a->vals = v;
		a->cap = cap;
	}
	if (a->merge && need * 2 > a->scap) {
		size_t cap = a->scap ? a->scap : 4096;
		while (cap < need * 2)
			cap *= 2;
		if (!acc_rehash(a, cap))
			return HEARTH_ENOMEM;
	}
	return HEARTH_OK;
}

/* Room for more bytes of keys. */
static hearth_err acc_reserve_keys(hs_acc *a, size_t more)
{
	if (a->kn + more <= a->kcap)
		return HEARTH_OK;
	size_t cap = a->kcap ? a->kcap : 65536;
	while (cap < a->kn + more)
		cap *= 2;
	uint8_t *k = realloc(a->keys, cap);
	if (!k)
		return HEARTH_ENOMEM;
	a->keys = k;
	a->kcap = cap;
	return HEARTH_OK;
}

/* The key: u32 nlocs, u32 locs[nlocs], then the label bytes. */
static hearth_err acc_add_key(hs_acc *a, const uint8_t *key, uint32_t klen, uint32_t h,
			      const int64_t *values, const double *scale)
{
	size_t idx = SIZE_MAX, slot = 0;
	hearth_err err;
	a->added++;
	if ((err = acc_reserve(a, 1)))
		return err;
	if (a->merge) {
		uint64_t hh = (uint64_t)h << 32;
		for (slot = h & (a->scap - 1); a->slots[slot]; slot = (slot + 1) & (a->scap - 1)) {
			uint64_t sv = a->slots[slot];
			if ((sv & 0xffffffff00000000ull) != hh)
				continue;
			size_t i = (sv & 0xffffffffu) - 1;
			if (a->klen[i] == klen && !memcmp(a->keys + a->koff[i], key, klen)) {
				idx = i;
				break;
			}
		}
	}
	if (idx == SIZE_MAX) {
		/* Keys start 4-aligned: their stacks are read as uint32_t. */
		size_t padded = ((size_t)klen + 3) & ~(size_t)3;
		if (a->kn + padded > a->kcap && (err = acc_reserve_keys(a, padded)))
			return err;
		memcpy(a->keys + a->kn, key, klen);
		idx = a->n++;
		a->koff[idx] = a->kn;
		a->klen[idx] = klen;
		a->khash[idx] = h;
		a->kn += padded;
		memset(a->vals + idx * a->nst, 0, a->nst * sizeof(int64_t));
		if (a->merge)
			a->slots[slot] = (uint64_t)h << 32 | (uint64_t)(idx + 1);
	}
	int64_t *v = a->vals + idx * a->nst;
	for (uint32_t k = 0; k < a->nst; k++)
		v[k] += scale ? (int64_t)llround((double)values[k] * scale[k]) : values[k];
	return HEARTH_OK;
}

hearth_err hs_acc_add(hs_acc *a, const uint32_t *locs, uint32_t nlocs, const uint8_t *lab,
		      uint32_t nlab, const int64_t *values)
{
	uint32_t stackbuf[256];
	if (a->nolabels)
		nlab = 0;
	size_t klen = 4 + (size_t)nlocs * 4 + nlab;
	uint8_t *key = klen <= sizeof(stackbuf) ? (uint8_t *)stackbuf : malloc(klen);
	if (!key)
		return HEARTH_ENOMEM;
	memcpy(key, &nlocs, 4);
	if (nlocs)
		memcpy(key + 4, locs, (size_t)nlocs * 4);
	if (nlab)
		memcpy(key + 4 + (size_t)nlocs * 4, lab, nlab);
	/* Only a merging accumulator looks keys up. */
	uint32_t h = a->merge ? (uint32_t)hearth_hash_bytes(key, klen) : 0;
	hearth_err err = acc_add_key(a, key, (uint32_t)klen, h, values, NULL);
	if (key != (uint8_t *)stackbuf)
		free(key);
	return err;
}

hearth_err hs_acc_add_acc(hs_acc *a, const hs_acc *src, const double *scale)
{
	hearth_err err = acc_reserve(a, src->n);
	if (err)
		return err;
	for (size_t i = 0; i < src->n; i++) {
		const uint8_t *k = src->keys + src->koff[i];
		uint32_t kl = src->klen[i], h = src->khash[i], nlocs;
		if (a->nolabels && !src->nolabels) {
			memcpy(&nlocs, k, 4);
			kl = 4 + nlocs * 4;
			h = (uint32_t)hearth_hash_bytes(k, kl);
		}
		hearth_err err = acc_add_key(a, k, kl, h, src->vals + i * src->nst, scale);
		if (err)
			return err;
	}
	return HEARTH_OK;
}

void hs_acc_totals(const hs_acc *a, int64_t *totals)
{
	for (uint32_t k = 0; k < a->nst; k++)
		totals[k] = 0;
	for (size_t i = 0; i < a->n; i++)
		for (uint32_t k = 0; k < a->nst; k++)
			totals[k] += a->vals[i * a->nst + k];
}

static inline void key_parts(const hs_acc *a, size_t i, const uint32_t **locs, uint32_t *nlocs,
			     const uint8_t **lab, uint32_t *nlab)
{
	const uint8_t *k = a->keys + a->koff[i];
	memcpy(nlocs, k, 4);
	*locs = (const uint32_t *)(k + 4); /* koff stays 4-aligned: keys are 4 + 4n + labels */
	*lab = k + 4 + (size_t)*nlocs * 4;
	*nlab = a->klen[i] - 4 - *nlocs * 4;
}

/* ---- sweeping the dictionary ---- */

void hs_marks_free(hs_marks *m)
{
	for (int i = 0; i < HS_NKINDS; i++)
		free(m->b[i]);
	memset(m, 0, sizeof(*m));
}

void hs_mark(hs_marks *m, int kind, uint32_t id)
{
	/* A sweep records only the ids it may delete: a block of a corrupt
	 * store naming id 4e9 costs no 512 MB bitmap. */
	if (m->limit[kind] && id > m->limit[kind])
		return;
	if (id >= m->cap[kind]) {
		size_t cap = m->cap[kind] ? m->cap[kind] : 4096;
		while (cap <= id)
			cap *= 2;
		uint64_t *b = realloc(m->b[kind], cap / 8);
		if (!b) {
			m->oom = true;
			return;
		}
		memset((uint8_t *)b + m->cap[kind] / 8, 0, (cap - m->cap[kind]) / 8);
		m->b[kind] = b;
		m->cap[kind] = (uint32_t)cap;
	}
	m->b[kind][id >> 6] |= 1ULL << (id & 63);
}

bool hs_marked(const hs_marks *m, int kind, uint32_t id)
{
	return id < m->cap[kind] && (m->b[kind][id >> 6] >> (id & 63) & 1);
}

/* The string ids of a key or unit reference of canonical label bytes. */
static void mark_sref(hs_in *in, hs_marks *m)
{
	uint64_t r = hs_get_uv(in);
	uint32_t n;
	if (r & 1)
		hs_get_str(in, &n);
	else if (r >> 1 && r >> 1 <= UINT32_MAX)
		hs_mark(m, HS_STR, (uint32_t)(r >> 1));
}

void hs_acc_mark(const hs_acc *a, hs_marks *m)
{
	for (size_t i = 0; i < a->n; i++) {
		const uint32_t *locs;
		const uint8_t *lab;
		uint32_t nlocs, nlab;
		key_parts(a, i, &locs, &nlocs, &lab, &nlab);
		for (uint32_t k = 0; k < nlocs; k++)
			hs_mark(m, HS_LOC, locs[k]);
		if (!nlab)
			continue;
		hs_in in = {lab, lab + nlab, false};
		uint64_t cnt = hs_get_uv(&in);
		for (uint64_t j = 0; j < cnt && !in.bad; j++) {
			mark_sref(&in, m);
			uint64_t kind = hs_get_uv(&in);
			uint32_t n;
			if (kind == 0) {
				hs_get_str(&in, &n);
			} else if (kind == 1) {
				hs_get_sv(&in);
				mark_sref(&in, m);
			} else {
				break;
			}
		}
	}
}

void hs_acc_reset(hs_acc *a)
{
	a->n = 0;
	a->kn = 0;
	a->added = 0;
	if (a->slots)
		memset(a->slots, 0, a->scap * sizeof(*a->slots));
}

bool hs_acc_refs_dead(const hs_acc *a, const hs_dict *d)
{
	for (size_t i = 0; i < a->n; i++) {
		const uint32_t *locs;
		const uint8_t *lab;
		uint32_t nlocs, nlab;
		key_parts(a, i, &locs, &nlocs, &lab, &nlab);
		for (uint32_t k = 0; k < nlocs; k++)
			if (is_dead(&d->k[HS_LOC], locs[k]))
				return true;
		if (!nlab)
			continue;
		hs_in in = {lab, lab + nlab, false};
		uint64_t cnt = hs_get_uv(&in);
		for (uint64_t j = 0; j < cnt && !in.bad; j++) {
			for (int part = 0; part < 2; part++) {
				if (part == 1) {
					uint64_t kind = hs_get_uv(&in);
					uint32_t n;
					if (kind == 0) {
						hs_get_str(&in, &n);
						break;
					}
					if (kind != 1)
						return false;
					hs_get_sv(&in);
				}
				uint64_t r = hs_get_uv(&in);
				uint32_t n;
				if (r & 1)
					hs_get_str(&in, &n);
				else if (r >> 1 <= UINT32_MAX &&
					 is_dead(&d->k[HS_STR], (uint32_t)(r >> 1)))
					return true;
			}
		}
	}
	return false;
}

uint64_t hs_dict_gen(hs_dict *d)
{
	return __atomic_load_n(&d->gen, __ATOMIC_ACQUIRE);
}

/* Marks ref of kind, when it can be an entry of d. */
static void mark_ref(const hs_dict *d, hs_marks *m, int kind, uint64_t ref, bool bad)
{
	/* Bounded by the published count, which the marking without a lock
	 * may read: entries past it are never deleted (they are newer than
	 * any sweep's start). */
	if (!bad && ref && ref <= __atomic_load_n(&d->k[kind].pub, __ATOMIC_ACQUIRE))
		hs_mark(m, kind, (uint32_t)ref);
}

/* Marks what entry id of kind refers to. */
static void mark_refs(const hs_dict *d, int kind, uint32_t id, hs_marks *m)
{
	const kindtab *k = &d->k[kind];
	const dent *e = id && id <= k->n ? kent_live(k, id) : NULL;
	if (!e)
		return;
	hs_in in = {e->p, e->p + e->n, false};
	if (kind == HS_LOC) {
		uint64_t mid = hs_get_uv(&in);
		hs_get_uv(&in);
		hs_get_uv(&in);
		uint64_t nl = hs_get_uv(&in);
		mark_ref(d, m, HS_MAP, mid, in.bad);
		for (uint64_t j = 0; j < nl && !in.bad; j++) {
			uint64_t f = hs_get_uv(&in);
			hs_get_sv(&in);
			hs_get_sv(&in);
			mark_ref(d, m, HS_FUNC, f, in.bad);
		}
	} else if (kind == HS_FUNC) {
		for (int j = 0; j < 3; j++) {
			uint64_t sid = hs_get_uv(&in);
			mark_ref(d, m, HS_STR, sid, in.bad);
		}
	} else if (kind == HS_MAP) {
		for (int j = 0; j < 5; j++) {
			uint64_t v = hs_get_uv(&in);
			if (j >= 3)
				mark_ref(d, m, HS_STR, v, in.bad);
		}
	}
}

void hs_dict_mark_closure(const hs_dict *d, const uint32_t upto[HS_NKINDS], hs_marks *m, bool newer)
{
	/* Entries past upto (new since the sweep began, committed or still
	 * pending in a put) are kept whatever marks them: their references
	 * are kept too.  Locations first, then functions and mappings, whose
	 * strings are the last kind. */
	static const int order[] = {HS_LOC, HS_FUNC, HS_MAP};
	for (size_t o = 0; o < 3; o++) {
		int kind = order[o];
		const kindtab *k = &d->k[kind];
		for (uint32_t id = upto[kind] + 1; newer && id <= k->n; id++)
			mark_refs(d, kind, id, m);
		uint32_t lim = upto[kind] < m->cap[kind] ? upto[kind] + 1 : m->cap[kind];
		for (uint32_t w = 0; w < (lim + 63) / 64; w++) {
			uint64_t bits = m->b[kind][w];
			while (bits) {
				uint32_t id = w * 64 + (uint32_t)__builtin_ctzll(bits);
				bits &= bits - 1;
				if (id && id < lim)
					mark_refs(d, kind, id, m);
			}
		}
	}
}

bool hs_dict_doomed(const hs_dict *d, int kind, uint32_t id, const uint32_t upto[HS_NKINDS],
		    const hs_marks *live)
{
	return id && id <= upto[kind] && !is_dead(&d->k[kind], id) && !hs_marked(live, kind, id);
}

bool hs_dict_is_dead(const hs_dict *d, int kind, uint32_t id)
{
	return is_dead(&d->k[kind], id) ||
	       (id && id <= d->k[kind].n && !kent_live(&d->k[kind], id));
}

uint32_t hs_dict_committed(const hs_dict *d, int kind)
{
	return d->k[kind].committed;
}

size_t hs_dict_live(const hs_dict *d, int kind)
{
	const kindtab *k = &d->k[kind];
	return (size_t)k->committed - k->ndead;
}

void hs_dict_encode_range(const hs_dict *d, int kind, uint32_t first, uint32_t last,
			  const uint32_t upto[HS_NKINDS], const hs_marks *live, hs_out *o,
			  uint32_t *nlive)
{
	const kindtab *k = &d->k[kind];
	uint32_t run = 0;
	*nlive = 0;
	for (uint32_t id = first; id <= last; id++) {
		const dent *e = kent_live(k, id);
		if (!e || is_dead(k, id) || hs_dict_doomed(d, kind, id, upto, live)) {
			run++;
			continue;
		}
		if (run) {
			hs_put_uv(o, 0);
			hs_put_uv(o, run);
			run = 0;
		}
		hs_put_uv(o, e->n);
		hs_put_bytes(o, e->p, e->n);
		(*nlive)++;
	}
	if (run) {
		hs_put_uv(o, 0);
		hs_put_uv(o, run);
	}
}

hearth_err hs_dict_kill(hs_dict *d, const uint32_t upto[HS_NKINDS], const hs_marks *live,
			size_t killed[HS_NKINDS])
{
	for (int kind = 0; kind < HS_NKINDS; kind++) {
		kindtab *k = &d->k[kind];
		killed[kind] = 0;
		if ((uint64_t)upto[kind] + 1 > k->deadcap) {
			size_t cap = k->deadcap ? k->deadcap : 4096;
			while (cap < (uint64_t)upto[kind] + 1)
				cap *= 2;
			uint64_t *b = realloc(k->dead, cap / 8);
			if (!b)
				return HEARTH_ENOMEM;
			memset((uint8_t *)b + k->deadcap / 8, 0, (cap - k->deadcap) / 8);
			k->dead = b;
			k->deadcap = (uint32_t)cap;
		}
	}
	for (int kind = 0; kind < HS_NKINDS; kind++) {
		kindtab *k = &d->k[kind];
		for (uint32_t id = 1; id <= upto[kind]; id++) {
			if (!hs_dict_doomed(d, kind, id, upto, live) || !kent_live(k, id))
				continue;
			k->dead[id >> 6] |= 1ULL << (id & 63);
			k->ndead++;
			killed[kind]++;
		}
		if (killed[kind] && !rehash(k, k->cap ? k->cap : 1024))
			return HEARTH_ENOMEM;
	}
	__atomic_store_n(&d->gen, d->gen + 1, __ATOMIC_RELEASE);
	return HEARTH_OK;
}

bool hs_dict_settle(const hs_dict *d, const uint32_t upto[HS_NKINDS], hs_marks *live,
		    hs_marks *track)
{
	hs_dict_mark_closure(d, upto, track, true);
	for (int k = 0; k < HS_NKINDS; k++)
		for (uint32_t w = 0; w < track->cap[k] / 64; w++)
			for (uint64_t bits = track->b[k][w]; bits; bits &= bits - 1)
				hs_mark(live, k, w * 64 + (uint32_t)__builtin_ctzll(bits));
	if (live->oom || track->oom)
		return false;
	for (int k = 0; k < HS_NKINDS; k++)
		for (uint32_t id = 1; id <= upto[k]; id++)
			if (hs_dict_doomed(d, k, id, upto, live))
				return true;
	return false;
}

hearth_err hs_dict_rewrite(const hs_dict *d, int kind, const hs_chunk_row *rows, size_t n,
			   const uint32_t upto[HS_NKINDS], const hs_marks *live, hs_chunk_fn fn,
			   void *ctx, hearth_errbuf *eb)
{
	hearth_err err = HEARTH_OK;
	hs_out o = {0};
	uint32_t committed = d->k[kind].committed;
	for (size_t i = 0; i < n && !err; i++) {
		uint32_t lo = rows[i].first, hi = i + 1 < n ? rows[i + 1].first - 1 : committed;
		if (lo > hi || lo > upto[kind])
			continue;
		bool any = false;
		for (uint32_t id = lo; id <= hi && !any; id++)
			any = hs_dict_doomed(d, kind, id, upto, live);
		if (!any)
			continue;
		uint32_t nlive;
		o.n = 0;
		hs_dict_encode_range(d, kind, lo, hi, upto, live, &o, &nlive);
		if (o.oom) {
			err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			break;
		}
		/* An empty chunk goes, but for the last: it keeps the count of
		 * ids, which are never handed out again. */
		err = fn(ctx, rows[i].kind, lo, &o, nlive || i + 1 == n, eb);
	}
	hs_out_free(&o);
	return err;
}

hearth_err hs_dict_mark_chunk(const hs_dict *d, int kind, uint32_t first, uint32_t last,
			      const uint8_t *p, size_t n, hs_marks *live, hearth_errbuf *eb)
{
	bool swept = kind >= HS_NKINDS && kind < 2 * HS_NKINDS;
	if (swept)
		kind -= HS_NKINDS;
	if (kind < 0 || kind >= HS_NKINDS || first < 1 || first > last + 1)
		return hearth_seterr(eb, HEARTH_ECORRUPT, "store dictionary: bad chunk");
	if (!p) {
		for (uint32_t id = first; id <= last && !live->oom; id++)
			hs_mark(live, kind, id);
		return HEARTH_OK;
	}
	hs_in in = {p, p + n, false};
	uint64_t id = first;
	while (in.p < in.end) {
		if (swept && *in.p == 0) {
			in.p++;
			uint64_t run = hs_get_uv(&in);
			if (in.bad || !run || run > (uint64_t)last + 1 - id)
				return hearth_seterr(eb, HEARTH_ECORRUPT,
						     "store dictionary: bad chunk");
			id += run;
			continue;
		}
		uint32_t len;
		const uint8_t *s = hs_get_str(&in, &len);
		if (in.bad || !len || id > last)
			return hearth_seterr(eb, HEARTH_ECORRUPT, "store dictionary: bad chunk");
		/* The entry kept must be the one this dictionary holds. */
		const uint8_t *have;
		uint32_t hn;
		if (hs_dict_wget(d, kind, (uint32_t)id, &have, &hn) && (hn != len || memcmp(have, s, len)))
			return hearth_seterr(eb, HEARTH_ECORRUPT,
					     "store dictionary: entry %u of kind %d changed",
					     (uint32_t)id, kind);
		hs_mark(live, kind, (uint32_t)id++);
	}
	return HEARTH_OK;
}

/* ---- from a profile ---- */

typedef struct {
	const hearth_profile *p;
	hs_dict *d;
	uint32_t *str, *fn, *map, *loc;
} pmaps;

static hearth_err map_str(pmaps *m, uint32_t s, uint32_t *out)
{
	if (s >= m->p->nstrs) {
		*out = 0;
		return HEARTH_OK;
	}
	if (m->str[s] != UINT32_MAX) {
		*out = m->str[s];
		return HEARTH_OK;
	}
	hearth_err err = hs_dict_intern(m->d, HS_STR, m->p->strs[s].s, m->p->strs[s].len, out);
	if (!err)
		m->str[s] = *out;
	return err;
}

static hearth_err map_fn(pmaps *m, uint32_t f, uint32_t *out)
{
	if (m->fn[f] != UINT32_MAX) {
		*out = m->fn[f];
		return HEARTH_OK;
	}
	const hearth_function *fn = &m->p->functions[f];
	uint32_t a, b, c;
	hearth_err err;
	if ((err = map_str(m, fn->name, &a)) || (err = map_str(m, fn->system_name, &b)) ||
	    (err = map_str(m, fn->file, &c)))
		return err;
	uint8_t buf[40];
	hs_out o = {buf, 0, sizeof(buf), false};
	hs_put_uv(&o, a);
	hs_put_uv(&o, b);
	hs_put_uv(&o, c);
	hs_put_sv(&o, fn->start_line);
	err = hs_dict_intern(m->d, HS_FUNC, buf, (uint32_t)o.n, out);
	if (!err)
		m->fn[f] = *out;
	return err;
}

static hearth_err map_map(pmaps *m, uint32_t mi, uint32_t *out)
{
	if (mi >= m->p->nmappings) {
		*out = 0;
		return HEARTH_OK;
	}
	if (m->map[mi] != UINT32_MAX) {
		*out = m->map[mi];
		return HEARTH_OK;
	}
	const hearth_mapping *mp = &m->p->mappings[mi];
	uint32_t f, b;
	hearth_err err;
	if ((err = map_str(m, mp->file, &f)) || (err = map_str(m, mp->build_id, &b)))
		return err;
	uint8_t buf[64];
	hs_out o = {buf, 0, sizeof(buf), false};
	hs_put_uv(&o, mp->start);
	hs_put_uv(&o, mp->limit);
	hs_put_uv(&o, mp->offset);
	hs_put_uv(&o, f);
	hs_put_uv(&o, b);
	hs_put_uv(&o, (unsigned)mp->has_functions | (unsigned)mp->has_filenames << 1 |
			  (unsigned)mp->has_line_numbers << 2 |
			  (unsigned)mp->has_inline_frames << 3);
	err = hs_dict_intern(m->d, HS_MAP, buf, (uint32_t)o.n, out);
	if (!err)
		m->map[mi] = *out;
	return err;
}

static hearth_err map_loc(pmaps *m, uint32_t li, hs_out *tmp, uint32_t *out)
{
	if (m->loc[li] != UINT32_MAX) {
		*out = m->loc[li];
		return HEARTH_OK;
	}
	const hearth_location *l = &m->p->locations[li];
	uint32_t mid;
	hearth_err err = map_map(m, l->mapping, &mid);
	if (err)
		return err;
	tmp->n = 0;
	hs_put_uv(tmp, mid);
	hs_put_uv(tmp, l->address);
	hs_put_uv(tmp, l->is_folded);
	hs_put_uv(tmp, l->nlines);
	for (uint32_t k = 0; k < l->nlines; k++) {
		const hearth_line *ln = &m->p->lines[l->line0 + k];
		uint32_t fid = 0;
		if (ln->function < m->p->nfunctions && (err = map_fn(m, ln->function, &fid)))
			return err;
		hs_put_uv(tmp, fid);
		hs_put_sv(tmp, ln->line);
		hs_put_sv(tmp, ln->column);
	}
	if (tmp->oom)
		return HEARTH_ENOMEM;
	err = hs_dict_intern(m->d, HS_LOC, tmp->p, (uint32_t)tmp->n, out);
	if (!err)
		m->loc[li] = *out;
	return err;
}

typedef struct {
	const hearth_profile *p;
	const hearth_label *l;
} labref;

static int cmp_lab(const void *x, const void *y, void *ctx)
{
	const hearth_profile *p = ctx;
	const hearth_label *a = x, *b = y;
	int c = strcmp(hearth_s(p, a->key), hearth_s(p, b->key));
	if (c)
		return c;
	if ((a->str != 0) != (b->str != 0))
		return a->str ? -1 : 1;
	if (a->str)
		return strcmp(hearth_s(p, a->str), hearth_s(p, b->str));
	if (a->num != b->num)
		return a->num < b->num ? -1 : 1;
	return strcmp(hearth_s(p, a->unit), hearth_s(p, b->unit));
}

/* A label's key or unit in canonical label bytes: its dictionary string id
 * times 2, or 1 and the string inline (labels read from a version 1 block,
 * whose strings were never interned). */
static void put_sref(hs_out *o, uint32_t id)
{
	hs_put_uv(o, (uint64_t)id << 1);
}

static size_t pstrlen(const hearth_profile *p, uint32_t s)
{
	return s < p->nstrs ? p->strs[s].len : 0;
}

/* Canonical label bytes (version 2): uv n, then per label (sorted by key,
 * then value): uv key ref, uv kind (0 string, 1 number), str value | sv num,
 * uv unit ref.  Keys and units are few and repeat on every sample, so they
 * are dictionary ids; values stay inline, so request ids do not grow the
 * tenant's dictionary. */
static hearth_err encode_labels(pmaps *m, const hearth_label *l, uint32_t n, hearth_label *sorted,
				hs_out *o)
{
	const hearth_profile *p = m->p;
	memcpy(sorted, l, n * sizeof(*l));
	/* Nearly always a handful: insertion sort, no qsort_r call. */
	for (uint32_t i = 1; i < n; i++) {
		hearth_label x = sorted[i];
		uint32_t j = i;
		while (j > 0 && cmp_lab(&sorted[j - 1], &x, (void *)p) > 0) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = x;
	}
	hs_put_uv(o, n);
	for (uint32_t i = 0; i < n; i++) {
		const hearth_label *x = &sorted[i];
		uint32_t key, unit;
		hearth_err err = map_str(m, x->key, &key);
		if (err)
			return err;
		put_sref(o, key);
		hs_put_uv(o, x->str ? 0 : 1);
		if (x->str) {
			hs_put_str(o, hearth_s(p, x->str), pstrlen(p, x->str));
		} else {
			if ((err = map_str(m, x->unit, &unit)))
				return err;
			hs_put_sv(o, x->num);
			put_sref(o, unit);
		}
	}
	return HEARTH_OK;
}

hearth_err hs_acc_from_profile(hs_dict *d, const hearth_profile *p, hs_acc **out, hearth_errbuf *eb)
{
	hearth_err err = HEARTH_ENOMEM;
	pmaps m = {p, d, NULL, NULL, NULL, NULL};
	hs_out tmp = {0}, lab = {0};
	uint32_t *stack = NULL;
	hearth_label *sorted = NULL;
	size_t maxdepth = 0, maxlab = 0;
	hs_acc *a = hs_acc_new(p->nsample_types, false);
	*out = NULL;
	if (!a)
		goto out;
	m.str = malloc(((size_t)p->nstrs + 1) * 4);
	m.fn = malloc(((size_t)p->nfunctions + 1) * 4);
	m.map = malloc(((size_t)p->nmappings + 1) * 4);
	m.loc = malloc(((size_t)p->nlocations + 1) * 4);
	if (!m.str || !m.fn || !m.map || !m.loc)
		goto out;
	memset(m.str, 0xff, ((size_t)p->nstrs + 1) * 4);
	memset(m.fn, 0xff, ((size_t)p->nfunctions + 1) * 4);
	memset(m.map, 0xff, ((size_t)p->nmappings + 1) * 4);
	memset(m.loc, 0xff, ((size_t)p->nlocations + 1) * 4);
	size_t nlocs = 0, nlabs = 0;
	for (size_t i = 0; i < p->nsamples; i++) {
		if (p->samples[i].nlocs > maxdepth)
			maxdepth = p->samples[i].nlocs;
		if (p->samples[i].nlabels > maxlab)
			maxlab = p->samples[i].nlabels;
		nlocs += p->samples[i].nlocs;
		nlabs += p->samples[i].nlabels;
	}
	/* The samples' keys in one allocation instead of a doubling each
	 * (a label takes about 8 bytes; more grows as usual). */
	if (p->nsamples && ((err = acc_reserve(a, p->nsamples)) ||
			    (err = acc_reserve_keys(a, p->nsamples * 8 + nlocs * 4 + nlabs * 8)))) {
		if (err == HEARTH_ETOOBIG)
			goto fail;
		goto out;
	}
	err = HEARTH_ENOMEM;
	stack = malloc((maxdepth + 1) * 4);
	sorted = malloc((maxlab + 1) * sizeof(*sorted));
	if (!stack || !sorted)
		goto out;
	for (size_t i = 0; i < p->nsamples; i++) {
		const hearth_sample *s = &p->samples[i];
		for (uint32_t k = 0; k < s->nlocs; k++) {
			uint32_t li = p->locs[s->loc0 + k];
			if (li >= p->nlocations) {
				err = hearth_seterr(eb, HEARTH_ECORRUPT, "sample %zu: bad location",
						    i);
				goto out;
			}
			/* Root first: prefixes of stacks line up in a block. */
			if ((err = map_loc(&m, li, &tmp, &stack[s->nlocs - 1 - k])))
				goto fail;
		}
		lab.n = 0;
		if (s->nlabels &&
		    (err = encode_labels(&m, p->labels + s->label0, s->nlabels, sorted, &lab)))
			goto fail;
		if (lab.oom) {
			err = HEARTH_ENOMEM;
			goto fail;
		}
		if ((err = hs_acc_add(a, stack, s->nlocs, lab.p, (uint32_t)lab.n,
				      hearth_sample_values(p, i))))
			goto fail;
	}
	*out = a;
	a = NULL;
	err = HEARTH_OK;
	goto out;
fail:
	hearth_seterr(eb, err, "store: %s", err == HEARTH_ENOMEM ? "out of memory" : "too large");
out:
	if (err == HEARTH_ENOMEM && !eb->msg[0])
		hearth_seterr(eb, err, "out of memory");
	hs_acc_free(a);
	free(m.str);
	free(m.fn);
	free(m.map);
	free(m.loc);
	free(stack);
	free(sorted);
	hs_out_free(&tmp);
	hs_out_free(&lab);
	return err;
}

/* ---- blocks ---- */

/* One compressor and decompressor per thread (allocating one costs more
 * than a small block), freed when the thread ends.  A put's block is
 * deflated by ISA-L (tl_isal, its level buffer tl_isal_buf): on the random
 * data set's 47 KB blocks it takes 0.15 ms where libdeflate's level 1
 * takes 0.36 ms, for 2 % more bytes.  Rollups, built in the background,
 * keep libdeflate's level 6; both are plain deflate, read by the same
 * decompressor. */
static __thread struct libdeflate_compressor *tl_comp, *tl_comp_best;
static __thread struct libdeflate_decompressor *tl_decomp;
static __thread struct isal_zstream *tl_isal;
static __thread uint8_t *tl_isal_buf;
#define ISAL_LEVEL 2
#define ISAL_LEVEL_BUF ISAL_DEF_LVL2_DEFAULT
/* Scratch arrays of hs_block_add, kept by the thread: a merge decodes
 * thousands of blocks, and fresh large buffers cost page faults. */
enum {
	SC_RAW,
	SC_LSP,
	SC_LSN,
	SC_STACK,
	SC_SOFF,
	SC_SLS,
	SC_LOCS,
	SC_VALS,
	SC_KEY,
	SC_PP,
	SC_PN,
	SC_LSB,
	SC_LSO,
	SC_N
};
static __thread struct {
	void *p;
	size_t cap;
} tl_sc[SC_N];
static pthread_key_t tl_key;
static pthread_once_t tl_once = PTHREAD_ONCE_INIT;

static void tl_free(void *unused)
{
	(void)unused;
	libdeflate_free_compressor(tl_comp);
	libdeflate_free_compressor(tl_comp_best);
	libdeflate_free_decompressor(tl_decomp);
	free(tl_isal);
	free(tl_isal_buf);
	tl_comp = tl_comp_best = NULL;
	tl_decomp = NULL;
	tl_isal = NULL;
	tl_isal_buf = NULL;
	for (int i = 0; i < SC_N; i++) {
		free(tl_sc[i].p);
		tl_sc[i].p = NULL;
		tl_sc[i].cap = 0;
	}
}

static void tl_init(void)
{
	pthread_key_create(&tl_key, tl_free);
}

/* Registers the thread's codecs for freeing at its end. */
static void tl_register(void)
{
	pthread_once(&tl_once, tl_init);
	pthread_setspecific(tl_key, (void *)1);
}

static int cmp_key(const void *x, const void *y, void *ctx)
{
	const hs_acc *a = ctx;
	size_t i = *(const uint32_t *)x, j = *(const uint32_t *)y;
	const uint32_t *la, *lb;
	const uint8_t *ba, *bb;
	uint32_t na, nb, nla, nlb;
	key_parts(a, i, &la, &na, &ba, &nla);
	key_parts(a, j, &lb, &nb, &bb, &nlb);
	uint32_t n = na < nb ? na : nb;
	for (uint32_t k = 0; k < n; k++)
		if (la[k] != lb[k])
			return la[k] < lb[k] ? -1 : 1;
	if (na != nb)
		return na < nb ? -1 : 1;
	uint32_t m = nla < nlb ? nla : nlb;
	int c = m ? memcmp(ba, bb, m) : 0;
	if (c)
		return c;
	return nla < nlb ? -1 : nla > nlb;
}

/* A key or unit reference of canonical label bytes (encode_labels). */
static void skip_sref(hs_in *in)
{
	uint32_t n;
	if (hs_get_uv(in) & 1)
		hs_get_str(in, &n);
}

/* One label of canonical label bytes. */
static void skip_label(hs_in *in)
{
	uint32_t n;
	skip_sref(in);
	uint64_t kind = hs_get_uv(in);
	if (kind == 0) {
		hs_get_str(in, &n);
	} else if (kind == 1) {
		hs_get_sv(in);
		skip_sref(in);
	} else {
		in->bad = true;
	}
}

/* The block's label sets (version 2): its distinct labels once each, then
 * each distinct label set as indices into them.  A label recurs across the
 * sets (handler=/api/items, or a key with one of few values), so a set
 * costs a few bytes instead of its labels spelled out. */
static bool encode_labelsets(const hs_acc *a, const uint32_t *lsfirst, uint32_t nls, hs_out *raw)
{
	size_t total = 0;
	for (uint32_t l = 0; l < nls; l++) {
		const uint32_t *l2;
		const uint8_t *b2;
		uint32_t n2, nb2;
		key_parts(a, lsfirst[l], &l2, &n2, &b2, &nb2);
		hs_in in = {b2, b2 + nb2, false};
		total += hs_get_uv(&in);
	}
	size_t cap = 1024;
	while (cap < total * 2)
		cap *= 2;
	uint32_t *slot = calloc(cap, sizeof(uint32_t)), npairs = 0;
	const uint8_t **pp = malloc((total + 1) * sizeof(*pp));
	uint32_t *pn = malloc((total + 1) * sizeof(*pn)), *ph = malloc((total + 1) * sizeof(*ph));
	hs_out sets = {0};
	bool ok = false;
	if (!slot || !pp || !pn || !ph)
		goto out;
	hs_put_uv(&sets, nls);
	for (uint32_t l = 0; l < nls; l++) {
		const uint32_t *l2;
		const uint8_t *b2;
		uint32_t n2, nb2;
		key_parts(a, lsfirst[l], &l2, &n2, &b2, &nb2);
		hs_in in = {b2, b2 + nb2, false};
		uint64_t cnt = hs_get_uv(&in);
		hs_put_uv(&sets, cnt);
		for (uint64_t k = 0; k < cnt; k++) {
			const uint8_t *start = in.p;
			skip_label(&in);
			if (in.bad)
				goto out; /* the accumulator's own bytes: cannot happen */
			uint32_t len = (uint32_t)(in.p - start);
			uint32_t h = (uint32_t)hearth_hash_bytes(start, len);
			size_t sl = h & (cap - 1);
			for (; slot[sl]; sl = (sl + 1) & (cap - 1)) {
				uint32_t i = slot[sl] - 1;
				if (ph[i] == h && pn[i] == len && !memcmp(pp[i], start, len))
					break;
			}
			if (!slot[sl]) {
				pp[npairs] = start;
				pn[npairs] = len;
				ph[npairs] = h;
				slot[sl] = ++npairs;
			}
			hs_put_uv(&sets, slot[sl] - 1);
		}
	}
	hs_put_uv(raw, npairs);
	for (uint32_t i = 0; i < npairs; i++) {
		hs_put_uv(raw, pn[i]);
		hs_put_bytes(raw, pp[i], pn[i]);
	}
	hs_put_bytes(raw, sets.p, sets.n);
	ok = !sets.oom && !raw->oom;
out:
	free(slot);
	free(pp);
	free(pn);
	free(ph);
	hs_out_free(&sets);
	return ok;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
	while (b) {
		uint64_t t = a % b;
		a = b;
		b = t;
	}
	return a;
}

/* One sample type's column (version 2): uv 0, uv g and every value / g
 * (g the values' greatest common divisor: cpu nanoseconds are multiples of
 * the period, so the varints shrink from 4 bytes to 1); or uv 1 + j and sv
 * f when every value is column j's times f (cpu/nanoseconds is
 * samples/count times the period): nothing per sample. */
static void encode_column(const hs_acc *a, const uint32_t *perm, uint32_t k, hs_out *raw)
{
	size_t nst = a->nst;
	for (uint32_t j = 0; j < k; j++) {
		int64_t f = 0;
		bool have = false, ok = true;
		for (size_t q = 0; q < a->n && ok; q++) {
			const int64_t *v = a->vals + (size_t)perm[q] * nst;
			if (!have && v[j] != 0) {
				if (v[k] % v[j]) {
					ok = false;
					break;
				}
				f = v[k] / v[j];
				have = true;
			}
			int64_t m;
			ok = !__builtin_mul_overflow(v[j], f, &m) && m == v[k];
		}
		if (ok) {
			hs_put_uv(raw, 1 + (uint64_t)j);
			hs_put_sv(raw, f);
			return;
		}
	}
	uint64_t g = 0;
	for (size_t q = 0; q < a->n && g != 1; q++) {
		int64_t v = a->vals[(size_t)perm[q] * nst + k];
		uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
		g = gcd64(g, u);
	}
	/* g > INT64_MAX only when every value is INT64_MIN: leave them be. */
	if (g == 0 || g > INT64_MAX)
		g = 1;
	hs_put_uv(raw, 0);
	hs_put_uv(raw, g);
	for (size_t q = 0; q < a->n; q++)
		hs_put_sv(raw, a->vals[(size_t)perm[q] * nst + k] / (int64_t)g);
}

static bool decode_column(hs_in *in, uint64_t ver, int64_t *vals, uint64_t ns, uint64_t nst,
			  uint64_t k)
{
	if (ver == 1) {
		for (uint64_t i = 0; i < ns; i++)
			vals[i * nst + k] = hs_get_sv(in);
		return !in->bad;
	}
	uint64_t tag = hs_get_uv(in);
	if (in->bad || tag > k)
		return false;
	if (tag) {
		int64_t f = hs_get_sv(in);
		for (uint64_t i = 0; i < ns; i++)
			if (__builtin_mul_overflow(vals[i * nst + tag - 1], f, &vals[i * nst + k]))
				return false;
		return !in->bad;
	}
	uint64_t g = hs_get_uv(in);
	if (in->bad || g == 0 || g > INT64_MAX)
		return false;
	for (uint64_t i = 0; i < ns; i++)
		if (__builtin_mul_overflow(hs_get_sv(in), (int64_t)g, &vals[i * nst + k]))
			return false;
	return !in->bad;
}

/* raw deflated by ISA-L into o after its first head bytes; false when
 * that could not be done (no memory, or a block too large for the
 * stateless call), and the caller deflates it the usual way. */
static bool isal_compress(const hs_out *raw, hs_out *o, size_t head)
{
	/* Stored blocks at worst: 5 bytes of header per 64 KB. */
	size_t bound = raw->n + raw->n / 8192 + 64 + ISAL_DEF_MAX_HDR_SIZE;
	if (raw->n > UINT32_MAX / 2 || !out_reserve(o, bound))
		return false;
	if (!tl_isal) {
		tl_isal = malloc(sizeof(*tl_isal));
		tl_isal_buf = malloc(ISAL_LEVEL_BUF);
		tl_register();
		if (!tl_isal || !tl_isal_buf) {
			free(tl_isal);
			free(tl_isal_buf);
			tl_isal = NULL;
			tl_isal_buf = NULL;
			return false;
		}
	}
	struct isal_zstream *z = tl_isal;
	isal_deflate_stateless_init(z);
	z->level = ISAL_LEVEL;
	z->level_buf = tl_isal_buf;
	z->level_buf_size = ISAL_LEVEL_BUF;
	z->end_of_stream = 1;
	z->flush = NO_FLUSH;
	z->next_in = raw->p;
	z->avail_in = (uint32_t)raw->n;
	z->next_out = o->p + head;
	z->avail_out = (uint32_t)(bound < UINT32_MAX ? bound : UINT32_MAX);
	if (isal_deflate_stateless(z) != COMP_OK || z->avail_in)
		return false;
	o->n = head + z->total_out;
	return true;
}

/* A varint of at most 5 bytes at w, which may write one byte past it;
 * the end.  Ids of one and two bytes are written without a branch on
 * which (they alternate at random in a block's stacks). */
static inline uint8_t *put_uv32(uint8_t *w, uint32_t v)
{
	if (v < 0x4000) {
		uint32_t two = v >= 0x80;
		w[0] = (uint8_t)(v | two << 7);
		w[1] = (uint8_t)(v >> 7);
		return w + 1 + two;
	}
	while (v >= 0x80) {
		*w++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*w++ = (uint8_t)v;
	return w;
}

/* Block layout before deflate (docs/store.md): uv version 2, uv nsamples,
 * uv nst, uv nlabels, the distinct labels (str each, canonical label
 * bytes), uv nlabelsets, the label sets (uv count, count * uv label index),
 * then per sample the
 * stack as (uv shared prefix with the previous one, uv new, new * uv loc),
 * then per sample uv label set (0 none, else 1-based), then per sample type
 * its column (encode_column). */
hearth_err hs_block_encode(const hs_acc *a, bool sort, hs_out *o)
{
	hearth_err err = HEARTH_ENOMEM;
	uint32_t *perm = malloc((a->n + 1) * sizeof(uint32_t));
	uint32_t *lsref = malloc((a->n + 1) * sizeof(uint32_t));
	uint32_t *lslot = NULL, lcap = 1024, nls = 0;
	hs_out raw = {0}, stacks = {0};
	if (!perm || !lsref)
		goto out;
	for (size_t i = 0; i < a->n; i++)
		perm[i] = (uint32_t)i;
	if (sort)
		qsort_r(perm, a->n, sizeof(uint32_t), cmp_key, (void *)a);
	while (lcap < a->n * 2)
		lcap *= 2;
	/* Distinct label sets: slots hold 1 + the index of a sample that has it. */
	lslot = calloc(lcap, sizeof(uint32_t));
	uint32_t *lsfirst = malloc((a->n + 1) * sizeof(uint32_t));
	if (!lslot || !lsfirst) {
		free(lsfirst);
		goto out;
	}
	/* A put's stacks take about half its keys' bytes (two-byte ids
	 * instead of four): one allocation instead of a doubling each. */
	if (!sort && !out_reserve(&stacks, a->kn / 2 + 64)) {
		free(lsfirst);
		goto out;
	}
	const uint32_t *prev = NULL;
	uint32_t nprev = 0;
	for (size_t q = 0; q < a->n; q++) {
		size_t i = perm[q];
		const uint32_t *locs;
		const uint8_t *lab;
		uint32_t nlocs, nlab;
		key_parts(a, i, &locs, &nlocs, &lab, &nlab);
		uint32_t shared = 0;
		while (shared < nlocs && shared < nprev && locs[shared] == prev[shared])
			shared++;
		/* Room for the sample's varints at once, written through a
		 * local pointer (a byte stored through stacks.p could alias
		 * stacks.n for the compiler, which then reloads it per byte). */
		if (!out_reserve(&stacks, 11 + (size_t)(nlocs - shared) * 5)) {
			free(lsfirst);
			goto out;
		}
		uint8_t *w = stacks.p + stacks.n;
		w = put_uv32(w, shared);
		w = put_uv32(w, nlocs - shared);
		for (uint32_t k = shared; k < nlocs; k++)
			w = put_uv32(w, locs[k]);
		stacks.n = (size_t)(w - stacks.p);
		prev = locs;
		nprev = nlocs;
		if (!nlab) {
			lsref[q] = 0;
			continue;
		}
		uint32_t h = (uint32_t)hearth_hash_bytes(lab, nlab);
		uint32_t s = h & (lcap - 1);
		for (; lslot[s]; s = (s + 1) & (lcap - 1)) {
			const uint32_t *l2;
			const uint8_t *b2;
			uint32_t n2, nb2;
			key_parts(a, lsfirst[lslot[s] - 1], &l2, &n2, &b2, &nb2);
			if (nb2 == nlab && !memcmp(b2, lab, nlab))
				break;
		}
		if (!lslot[s]) {
			lsfirst[nls] = (uint32_t)i;
			lslot[s] = ++nls;
		}
		lsref[q] = lslot[s];
	}
	hs_put_uv(&raw, 2);
	hs_put_uv(&raw, a->n);
	hs_put_uv(&raw, a->nst);
	if (!encode_labelsets(a, lsfirst, nls, &raw)) {
		free(lsfirst);
		goto out;
	}
	free(lsfirst);
	hs_put_bytes(&raw, stacks.p, stacks.n);
	for (size_t q = 0; q < a->n; q++)
		hs_put_uv(&raw, lsref[q]);
	for (uint32_t k = 0; k < a->nst; k++)
		encode_column(a, perm, k, &raw);
	if (raw.oom || stacks.oom)
		goto out;
	o->n = 0;
	hs_put_uv(o, raw.n);
	size_t head = o->n;
	if (!sort && isal_compress(&raw, o, head)) {
		err = HEARTH_OK;
		goto out;
	}
	/* A rollup's block, built in the background, compresses harder; a
	 * put's comes here only if ISA-L could not take it. */
	struct libdeflate_compressor **cp = sort ? &tl_comp_best : &tl_comp;
	if (!*cp) {
		if (!(*cp = libdeflate_alloc_compressor(sort ? 6 : 1)))
			goto out;
		tl_register();
	}
	struct libdeflate_compressor *comp = *cp;
	size_t bound = libdeflate_deflate_compress_bound(comp, raw.n);
	o->n = head;
	if (!out_reserve(o, bound))
		goto out;
	size_t z = libdeflate_deflate_compress(comp, raw.p, raw.n, o->p + head, bound);
	if (!z)
		goto out;
	o->n = head + z;
	err = HEARTH_OK;
out:
	free(perm);
	free(lsref);
	free(lslot);
	hs_out_free(&raw);
	hs_out_free(&stacks);
	return err;
}

#define MAX_BLOCK_RAW ((size_t)2 << 30)

static void *sc(int i, size_t n)
{
	if (tl_sc[i].cap < n) {
		size_t c = n + n / 2 + 64;
		void *p = realloc(tl_sc[i].p, c);
		if (!p)
			return NULL;
		if (!tl_sc[i].p)
			tl_register();
		tl_sc[i].p = p;
		tl_sc[i].cap = c;
	}
	return tl_sc[i].p;
}

/* A version 1 string of a label (key or unit) as a reference: "" is id 0
 * as in version 2, anything else inline. */
static void v1_sref(hs_out *b, hs_in *in)
{
	uint32_t n;
	const uint8_t *s = hs_get_str(in, &n);
	if (!n) {
		hs_put_uv(b, 0);
		return;
	}
	hs_put_uv(b, 1);
	hs_put_str(b, (const char *)s, n);
}

/* Reads the label sets of a block of version ver into *lsp and *lsn (the
 * thread's scratch): version 2's label indices expanded, version 1's
 * spelled-out labels turned into canonical bytes with their keys and units
 * inline (the same labels from a version 1 and a version 2 block are then
 * two samples, not one: the numbers of every report stay the same). */
static hearth_err read_labelsets(hs_in *in, uint64_t ver, uint64_t rawn, const uint8_t ***lsp,
				 uint32_t **lsn, uint64_t *nlsp)
{
	/* The expanded sets go to the thread's scratch buffer, grown as an
	 * hs_out and handed back at the end; at most max bytes of them. */
	size_t max = (size_t)rawn * 64 + (1u << 20);
	hs_out b = {tl_sc[SC_LSB].p, 0, tl_sc[SC_LSB].cap, false};
	hearth_err err = HEARTH_ECORRUPT;
	const uint8_t **pp = NULL;
	uint32_t *pn = NULL;
	uint64_t npairs = 0, nls;
	size_t *off;
	*lsp = NULL;
	*lsn = NULL;
	*nlsp = 0;
	if (ver == 2) {
		npairs = hs_get_uv(in);
		if (in->bad || npairs > rawn)
			goto out;
		pp = sc(SC_PP, (npairs + 1) * sizeof(*pp));
		pn = sc(SC_PN, (npairs + 1) * sizeof(*pn));
		if (!pp || !pn)
			goto oom;
		for (uint64_t i = 0; i < npairs; i++) {
			pp[i] = hs_get_str(in, &pn[i]);
			/* One whole label each: a set is then well formed. */
			hs_in one = {pp[i], pp[i] + pn[i], false};
			skip_label(&one);
			if (in->bad || one.bad || one.p != one.end)
				goto out;
		}
	}
	nls = hs_get_uv(in);
	if (in->bad || nls > rawn)
		goto out;
	*lsp = sc(SC_LSP, (nls + 1) * sizeof(**lsp));
	*lsn = sc(SC_LSN, (nls + 1) * sizeof(**lsn));
	off = sc(SC_LSO, (nls + 1) * sizeof(*off));
	if (!*lsp || !*lsn || !off)
		goto oom;
	for (uint64_t l = 0; l < nls; l++) {
		off[l] = b.n;
		if (ver == 2) {
			uint64_t cnt = hs_get_uv(in);
			if (in->bad || cnt > rawn)
				goto out;
			hs_put_uv(&b, cnt);
			for (uint64_t k = 0; k < cnt && b.n <= max; k++) {
				uint64_t i = hs_get_uv(in);
				if (in->bad || i >= npairs)
					goto out;
				hs_put_bytes(&b, pp[i], pn[i]);
			}
		} else {
			uint32_t n;
			const uint8_t *s = hs_get_str(in, &n);
			hs_in v1 = {s, s + n, false};
			uint64_t cnt = hs_get_uv(&v1);
			if (in->bad || v1.bad || cnt > n)
				goto out;
			hs_put_uv(&b, cnt);
			for (uint64_t k = 0; k < cnt; k++) {
				v1_sref(&b, &v1);
				uint64_t kind = hs_get_uv(&v1);
				hs_put_uv(&b, kind);
				if (kind == 0) {
					uint32_t vn;
					const uint8_t *v = hs_get_str(&v1, &vn);
					hs_put_str(&b, (const char *)v, vn);
				} else if (kind == 1) {
					hs_put_uv(&b, hs_get_uv(&v1)); /* zigzag as it is */
					v1_sref(&b, &v1);
				} else {
					goto out;
				}
			}
			if (v1.bad || v1.p != v1.end)
				goto out;
		}
		if (b.oom)
			goto oom;
		if (b.n > max)
			goto out;
		(*lsn)[l] = (uint32_t)(b.n - off[l]);
	}
	if (in->bad)
		goto out;
	/* Pointers once the buffer stopped moving. */
	for (uint64_t l = 0; l < nls; l++)
		(*lsp)[l] = b.p + off[l];
	*nlsp = nls;
	err = HEARTH_OK;
	goto out;
oom:
	err = HEARTH_ENOMEM;
out:
	if (b.p != tl_sc[SC_LSB].p) {
		if (!tl_sc[SC_LSB].p)
			tl_register();
		tl_sc[SC_LSB].p = b.p;
		tl_sc[SC_LSB].cap = b.cap;
	}
	return err;
}

hearth_err hs_block_add(hs_acc *a, const uint8_t *z, size_t n, hearth_errbuf *eb)
{
	hearth_err err = HEARTH_ECORRUPT;
	hs_in in = {z, z + n, false};
	uint64_t rawn = hs_get_uv(&in);
	uint8_t *raw, *key;
	const uint8_t **lsp;
	uint32_t *lsn, *stack, *soff, *sls, *locs;
	int64_t *vals;
	if (in.bad || rawn > MAX_BLOCK_RAW)
		goto bad;
	if (!(raw = sc(SC_RAW, rawn + 1)))
		goto oom;
	if (!tl_decomp) {
		if (!(tl_decomp = libdeflate_alloc_decompressor()))
			goto oom;
		tl_register();
	}
	size_t got;
	if (libdeflate_deflate_decompress(tl_decomp, in.p, (size_t)(in.end - in.p), raw, rawn,
					  &got) != LIBDEFLATE_SUCCESS ||
	    got != rawn)
		goto bad;
	in = (hs_in){raw, raw + rawn, false};
	uint64_t ver = hs_get_uv(&in), ns = hs_get_uv(&in), nst = hs_get_uv(&in), nls = 0;
	if (in.bad || (ver != 1 && ver != 2) || nst != a->nst || ns > rawn)
		goto bad;
	if ((err = read_labelsets(&in, ver, rawn, &lsp, &lsn, &nls)) == HEARTH_ENOMEM)
		goto oom;
	if (err)
		goto bad;
	/* Stacks: decoded into one array first (the values come after). */
	size_t locn = 0, depth = 0, depthcap = 256, loccap = rawn + 4096;
	locs = sc(SC_LOCS, loccap * 4);
	soff = sc(SC_SOFF, (ns + 1) * 4);
	stack = sc(SC_STACK, depthcap * 4);
	if (!locs || !soff || !stack)
		goto oom;
	for (uint64_t i = 0; i < ns; i++) {
		uint64_t shared = hs_get_uv(&in), nnew = hs_get_uv(&in);
		if (in.bad || shared > depth || nnew > rawn)
			goto bad;
		depth = shared + nnew;
		if (depth > depthcap) {
			depthcap = depth * 2;
			if (!(stack = sc(SC_STACK, depthcap * 4)))
				goto oom;
		}
		for (uint64_t k = shared; k < depth; k++) {
			uint64_t v = hs_get_uv(&in);
			if (v > UINT32_MAX)
				goto bad;
			stack[k] = (uint32_t)v;
		}
		if (in.bad)
			goto bad;
		if (locn + depth + 1 > loccap) {
			loccap = (locn + depth + 1) * 2;
			if (!(locs = sc(SC_LOCS, loccap * 4)))
				goto oom;
		}
		soff[i] = (uint32_t)locn;
		locs[locn++] = (uint32_t)depth;
		memcpy(locs + locn, stack, depth * 4);
		locn += depth;
	}
	sls = sc(SC_SLS, (ns + 1) * 4);
	vals = sc(SC_VALS, (ns * nst + 1) * 8);
	if (!sls || !vals)
		goto oom;
	for (uint64_t i = 0; i < ns; i++) {
		uint64_t r = hs_get_uv(&in);
		if (r > nls)
			goto bad;
		sls[i] = (uint32_t)r;
	}
	for (uint64_t k = 0; k < nst; k++)
		if (!decode_column(&in, ver, vals, ns, nst, k))
			goto bad;
	if (in.bad || in.p != in.end)
		goto bad;
	/* a->n grows by at most ns: room for it now, not doubling by the way. */
	if ((err = acc_reserve(a, ns))) {
		hearth_seterr(eb, err, "store: out of memory merging blocks");
		return err;
	}
	/* A batch of keys is built and hashed first and the slots they probe
	 * are prefetched, then they are added: the probes' cache misses (the
	 * table of a day's merge is tens of MB) overlap instead of following
	 * one another.  acc_reserve above keeps the table from moving. */
	enum { BATCH = 16 };
	for (uint64_t i0 = 0; i0 < ns; i0 += BATCH) {
		size_t nb = ns - i0 < BATCH ? (size_t)(ns - i0) : BATCH, total = 0;
		size_t koff[BATCH];
		uint32_t kl[BATCH], kh[BATCH];
		for (size_t j = 0; j < nb; j++) {
			uint64_t i = i0 + j;
			uint32_t nl = sls[i] && !a->nolabels ? lsn[sls[i] - 1] : 0;
			koff[j] = total;
			kl[j] = (uint32_t)(4 + (size_t)locs[soff[i]] * 4 + nl);
			total += kl[j];
		}
		if (!(key = sc(SC_KEY, total)))
			goto oom;
		for (size_t j = 0; j < nb; j++) {
			uint64_t i = i0 + j;
			uint32_t d = locs[soff[i]], nl = kl[j] - 4 - d * 4;
			uint8_t *k = key + koff[j];
			memcpy(k, &locs[soff[i]], 4 + (size_t)d * 4);
			if (nl)
				memcpy(k + 4 + (size_t)d * 4, lsp[sls[i] - 1], nl);
			kh[j] = (uint32_t)hearth_hash_bytes(k, kl[j]);
			if (a->merge)
				__builtin_prefetch(&a->slots[kh[j] & (a->scap - 1)]);
		}
		for (size_t j = 0; j < nb; j++)
			if ((err = acc_add_key(a, key + koff[j], kl[j], kh[j],
					       vals + (i0 + j) * nst, NULL))) {
				hearth_seterr(eb, err, "store: out of memory merging blocks");
				return err;
			}
	}
	return HEARTH_OK;
oom:
	return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
bad:
	return hearth_seterr(eb, HEARTH_ECORRUPT, "store: damaged sample block");
}

/* ---- back to a profile ---- */

typedef struct {
	uint32_t *k, *v;
	size_t cap, n;
} u32map;

static bool u32map_get(const u32map *m, uint32_t k, uint32_t *v)
{
	if (!m->cap)
		return false;
	for (size_t i = (k * 2654435761u) & (m->cap - 1); m->k[i]; i = (i + 1) & (m->cap - 1))
		if (m->k[i] == k) {
			*v = m->v[i];
			return true;
		}
	return false;
}

static bool u32map_put(u32map *m, uint32_t k, uint32_t v)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 1024;
		uint32_t *nk = calloc(cap, 4), *nv = malloc(cap * 4);
		if (!nk || !nv) {
			free(nk);
			free(nv);
			return false;
		}
		for (size_t i = 0; i < m->cap; i++)
			if (m->k[i]) {
				size_t j = (m->k[i] * 2654435761u) & (cap - 1);
				while (nk[j])
					j = (j + 1) & (cap - 1);
				nk[j] = m->k[i];
				nv[j] = m->v[i];
			}
		free(m->k);
		free(m->v);
		m->k = nk;
		m->v = nv;
		m->cap = cap;
	}
	size_t i = (k * 2654435761u) & (m->cap - 1);
	while (m->k[i])
		i = (i + 1) & (m->cap - 1);
	m->k[i] = k;
	m->v[i] = v;
	m->n++;
	return true;
}

typedef struct {
	const hs_dict *d;
	bool writer;
	hearth_profile *p;
	u32map str, fn, map, loc;
	hearth_line *lines;
	size_t caplines;
} builder;

static bool dget(builder *b, int kind, uint32_t id, const uint8_t **p, uint32_t *n)
{
	return b->writer ? hs_dict_wget(b->d, kind, id, p, n) : hs_dict_get(b->d, kind, id, p, n);
}

static hearth_err b_str(builder *b, uint32_t id, uint32_t *out)
{
	if (id == 0) {
		*out = 0;
		return HEARTH_OK;
	}
	if (u32map_get(&b->str, id, out))
		return HEARTH_OK;
	const uint8_t *s;
	uint32_t n;
	if (!dget(b, HS_STR, id, &s, &n))
		return HEARTH_ECORRUPT;
	*out = hearth_intern(b->p, (const char *)s, n);
	if (*out == HEARTH_NONE || !u32map_put(&b->str, id, *out))
		return HEARTH_ENOMEM;
	return HEARTH_OK;
}

static hearth_err b_fn(builder *b, uint32_t id, uint32_t *out)
{
	if (u32map_get(&b->fn, id, out))
		return HEARTH_OK;
	const uint8_t *s;
	uint32_t n, name, sys, file;
	hearth_err err;
	if (!dget(b, HS_FUNC, id, &s, &n))
		return HEARTH_ECORRUPT;
	hs_in in = {s, s + n, false};
	uint64_t a = hs_get_uv(&in), c = hs_get_uv(&in), f = hs_get_uv(&in);
	int64_t start = hs_get_sv(&in);
	if (in.bad || a > UINT32_MAX || c > UINT32_MAX || f > UINT32_MAX)
		return HEARTH_ECORRUPT;
	if ((err = b_str(b, (uint32_t)a, &name)) || (err = b_str(b, (uint32_t)c, &sys)) ||
	    (err = b_str(b, (uint32_t)f, &file)))
		return err;
	*out = hearth_add_function(b->p, name, sys, file, start);
	if (*out == HEARTH_NONE || !u32map_put(&b->fn, id, *out))
		return HEARTH_ENOMEM;
	return HEARTH_OK;
}

static hearth_err b_map(builder *b, uint32_t id, uint32_t *out)
{
	if (id == 0) {
		*out = HEARTH_NONE;
		return HEARTH_OK;
	}
	if (u32map_get(&b->map, id, out))
		return HEARTH_OK;
	const uint8_t *s;
	uint32_t n;
	hearth_err err;
	if (!dget(b, HS_MAP, id, &s, &n))
		return HEARTH_ECORRUPT;
	hs_in in = {s, s + n, false};
	hearth_mapping m = {0};
	m.start = hs_get_uv(&in);
	m.limit = hs_get_uv(&in);
	m.offset = hs_get_uv(&in);
	uint64_t f = hs_get_uv(&in), bid = hs_get_uv(&in), fl = hs_get_uv(&in);
	if (in.bad || f > UINT32_MAX || bid > UINT32_MAX)
		return HEARTH_ECORRUPT;
	if ((err = b_str(b, (uint32_t)f, &m.file)) || (err = b_str(b, (uint32_t)bid, &m.build_id)))
		return err;
	m.has_functions = fl & 1;
	m.has_filenames = fl & 2;
	m.has_line_numbers = fl & 4;
	m.has_inline_frames = fl & 8;
	*out = hearth_add_mapping(b->p, &m);
	if (*out == HEARTH_NONE || !u32map_put(&b->map, id, *out))
		return HEARTH_ENOMEM;
	return HEARTH_OK;
}

static hearth_err b_loc(builder *b, uint32_t id, uint32_t *out)
{
	if (u32map_get(&b->loc, id, out))
		return HEARTH_OK;
	const uint8_t *s;
	uint32_t n, mi;
	hearth_err err;
	if (!dget(b, HS_LOC, id, &s, &n))
		return HEARTH_ECORRUPT;
	hs_in in = {s, s + n, false};
	uint64_t mid = hs_get_uv(&in), addr = hs_get_uv(&in), folded = hs_get_uv(&in),
		 nl = hs_get_uv(&in);
	if (in.bad || mid > UINT32_MAX || nl > n)
		return HEARTH_ECORRUPT;
	if ((err = b_map(b, (uint32_t)mid, &mi)))
		return err;
	if (nl > b->caplines) {
		hearth_line *l2 = realloc(b->lines, nl * 2 * sizeof(*l2));
		if (!l2)
			return HEARTH_ENOMEM;
		b->lines = l2;
		b->caplines = nl * 2;
	}
	for (uint64_t k = 0; k < nl; k++) {
		uint64_t f = hs_get_uv(&in);
		b->lines[k].line = hs_get_sv(&in);
		b->lines[k].column = hs_get_sv(&in);
		if (in.bad || f > UINT32_MAX)
			return HEARTH_ECORRUPT;
		if (f == 0)
			b->lines[k].function = HEARTH_NONE;
		else if ((err = b_fn(b, (uint32_t)f, &b->lines[k].function)))
			return err;
	}
	*out = hearth_add_location(b->p, mi, addr, b->lines, (uint32_t)nl, folded != 0);
	if (*out == HEARTH_NONE || !u32map_put(&b->loc, id, *out))
		return HEARTH_ENOMEM;
	return HEARTH_OK;
}

static uint32_t intern_in(hearth_profile *p, hs_in *in)
{
	uint32_t n;
	const uint8_t *s = hs_get_str(in, &n);
	return hearth_intern(p, (const char *)s, n);
}

/* A key or unit reference (encode_labels): a dictionary id or inline. */
static hearth_err b_sref(builder *b, hs_in *in, uint32_t *out)
{
	uint64_t r = hs_get_uv(in);
	if (in->bad)
		return HEARTH_ECORRUPT;
	if (r & 1) {
		*out = intern_in(b->p, in);
		return *out == HEARTH_NONE ? HEARTH_ENOMEM : HEARTH_OK;
	}
	if (r >> 1 > UINT32_MAX)
		return HEARTH_ECORRUPT;
	return b_str(b, (uint32_t)(r >> 1), out);
}

static hearth_err b_labels(builder *b, const uint8_t *s, uint32_t n, hearth_label **lab,
			   size_t *cap, uint32_t *nl)
{
	hs_in in = {s, s + n, false};
	uint64_t cnt = hs_get_uv(&in);
	hearth_err err;
	if (in.bad || cnt > n)
		return HEARTH_ECORRUPT;
	if (cnt > *cap) {
		hearth_label *l2 = realloc(*lab, cnt * 2 * sizeof(**lab));
		if (!l2)
			return HEARTH_ENOMEM;
		*lab = l2;
		*cap = cnt * 2;
	}
	for (uint64_t i = 0; i < cnt; i++) {
		hearth_label *l = &(*lab)[i];
		memset(l, 0, sizeof(*l));
		if ((err = b_sref(b, &in, &l->key)))
			return err;
		uint64_t kind = hs_get_uv(&in);
		if (kind == 0) {
			l->str = intern_in(b->p, &in);
			if (l->str == HEARTH_NONE)
				return HEARTH_ENOMEM;
		} else if (kind == 1) {
			l->num = hs_get_sv(&in);
			if ((err = b_sref(b, &in, &l->unit)))
				return err;
		} else {
			return HEARTH_ECORRUPT;
		}
	}
	if (in.bad)
		return HEARTH_ECORRUPT;
	*nl = (uint32_t)cnt;
	return HEARTH_OK;
}

hearth_err hs_build_profile(const hs_dict *d, bool writer, const hs_acc *a, const hs_meta *m,
			    hearth_profile **out, hearth_errbuf *eb)
{
	hearth_err err = HEARTH_ENOMEM;
	builder b = {.d = d, .writer = writer};
	uint32_t *locs = NULL;
	size_t loccap = 0, labcap = 0;
	hearth_label *lab = NULL;
	*out = NULL;
	if (!(b.p = hearth_profile_new()))
		goto out;
	hearth_profile *p = b.p;
	for (uint32_t k = 0; k < m->nst; k++)
		if (hearth_add_sample_type(p, S(m->st[k].type), S(m->st[k].unit)) == HEARTH_NONE)
			goto out;
	p->period_type.type = hearth_intern_cstr(p, S(m->period_type.type));
	p->period_type.unit = hearth_intern_cstr(p, S(m->period_type.unit));
	p->period = m->period;
	p->time_nanos = m->time_nanos;
	p->duration_nanos = m->duration_nanos;
	p->default_sample_type = hearth_intern_cstr(p, S(m->default_st));
	p->drop_frames = hearth_intern_cstr(p, S(m->drop));
	p->keep_frames = hearth_intern_cstr(p, S(m->keep));
	p->doc_url = hearth_intern_cstr(p, S(m->doc_url));
	for (uint32_t c = 0; c < m->ncomments; c++)
		if (hearth_add_comment(p, m->comments[c], strlen(m->comments[c])))
			goto out;
	if (m->nst != a->nst) {
		err = hearth_seterr(eb, HEARTH_ECORRUPT, "store: sample types do not match");
		goto out;
	}
	for (size_t i = 0; i < a->n; i++) {
		const uint32_t *sl;
		const uint8_t *lb;
		uint32_t nsl, nlb, nl = 0;
		key_parts(a, i, &sl, &nsl, &lb, &nlb);
		if (nsl > loccap) {
			uint32_t *l2 = realloc(locs, (size_t)nsl * 2 * 4);
			if (!l2)
				goto out;
			locs = l2;
			loccap = (size_t)nsl * 2;
		}
		for (uint32_t k = 0; k < nsl; k++)
			if ((err = b_loc(&b, sl[k], &locs[nsl - 1 - k])))
				goto fail;
		if (nlb && (err = b_labels(&b, lb, nlb, &lab, &labcap, &nl)))
			goto fail;
		if ((err = hearth_add_sample(p, locs, nsl, a->vals + i * a->nst, lab, nl)))
			goto fail;
	}
	*out = p;
	b.p = NULL;
	err = HEARTH_OK;
	goto out;
fail:
	hearth_seterr(eb, err, "store: %s",
		      err == HEARTH_ECORRUPT ? "a symbol is missing from the dictionary"
					     : "out of memory");
out:
	if (err == HEARTH_ENOMEM && !eb->msg[0])
		hearth_seterr(eb, err, "out of memory");
	hearth_profile_free(b.p);
	free(b.str.k);
	free(b.str.v);
	free(b.fn.k);
	free(b.fn.v);
	free(b.map.k);
	free(b.map.v);
	free(b.loc.k);
	free(b.loc.v);
	free(b.lines);
	free(locs);
	free(lab);
	return err;
}
