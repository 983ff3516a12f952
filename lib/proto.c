/* profile.proto decoding.
 *
 * The decoder makes two passes over the top-level message.  The first records
 * where each repeated field lies and reads the scalars; the second decodes
 * the tables in dependency order (strings, functions, mappings, locations,
 * samples), so ids can be remapped to indices as each table is read, whatever
 * order the writer put the fields in.  Every length and count is checked
 * against the bytes that remain before anything is allocated.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/io.h"
#include "util.h"

typedef struct {
	const uint8_t *base; /* start of the whole input, for offsets in errors */
	const uint32_t *strmap; /* input string index -> interned index */
	uint64_t nstrs;
	const uint8_t *p, *end;
	hearth_errbuf *eb;
	hearth_err err;
} rd;

static hearth_err fail(rd *r, const uint8_t *at, const char *what)
{
	if (r->err == HEARTH_OK)
		r->err = hearth_seterr(r->eb, HEARTH_ECORRUPT, "offset %zu: %s",
				       (size_t)(at - r->base), what);
	return r->err;
}

static inline bool varint(rd *r, uint64_t *v)
{
	const uint8_t *p = r->p;
	if (p < r->end && *p < 0x80) { /* the common one-byte case */
		*v = *p;
		r->p = p + 1;
		return true;
	}
	uint64_t x = 0;
	for (unsigned shift = 0; shift < 64; shift += 7) {
		if (p >= r->end) {
			fail(r, r->p, "truncated varint");
			return false;
		}
		uint8_t b = *p++;
		if (shift == 63 && b > 1)
			break;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (b < 0x80) {
			*v = x;
			r->p = p;
			return true;
		}
	}
	fail(r, r->p, "varint longer than 10 bytes");
	return false;
}

/* Reads a field key; wire types 0 (varint), 1 (fixed64), 2 (bytes), 5 (fixed32). */
static inline bool key(rd *r, uint32_t *field, uint32_t *wire)
{
	const uint8_t *at = r->p;
	uint64_t k;
	if (!varint(r, &k))
		return false;
	*field = (uint32_t)(k >> 3);
	*wire = k & 7;
	if (k >> 3 == 0 || k >> 3 > UINT32_MAX)
		return fail(r, at, "bad field number"), false;
	if (*wire != 0 && *wire != 1 && *wire != 2 && *wire != 5)
		return fail(r, at, "bad wire type"), false;
	return true;
}

static inline bool bytes(rd *r, const uint8_t **b, size_t *n)
{
	const uint8_t *at = r->p;
	uint64_t len;
	if (!varint(r, &len))
		return false;
	if (len > (uint64_t)(r->end - r->p))
		return fail(r, at, "length past the end of the data"), false;
	*b = r->p;
	*n = (size_t)len;
	r->p += len;
	return true;
}

static bool skip(rd *r, uint32_t wire)
{
	uint64_t v;
	const uint8_t *b;
	size_t n;
	switch (wire) {
	case 0:
		return varint(r, &v);
	case 1:
	case 5: {
		size_t w = wire == 1 ? 8 : 4;
		if ((size_t)(r->end - r->p) < w)
			return fail(r, r->p, "truncated fixed-width field"), false;
		r->p += w;
		return true;
	}
	default:
		return bytes(r, &b, &n);
	}
}

/* A scalar field that must be a varint; anything else is corrupt. */
static inline bool scalar(rd *r, uint32_t wire, uint64_t *v)
{
	if (wire != 0)
		return fail(r, r->p, "expected a varint field"), false;
	return varint(r, v);
}

static inline rd sub(const rd *r, const uint8_t *b, size_t n)
{
	rd s = {r->base, r->strmap, r->nstrs, b, b + n, r->eb, HEARTH_OK};
	return s;
}

/* A length-delimited submessage (a line of a location, a label of a
 * sample): what names it in the error when the field is something else. */
static bool submsg(rd *r, uint32_t w, const uint8_t *at, const char *what, rd *out)
{
	const uint8_t *b;
	size_t n;
	if (w != 2)
		return fail(r, at, what), false;
	if (!bytes(r, &b, &n))
		return false;
	*out = sub(r, b, n);
	return true;
}

/* Maps proto ids (uint64, any values) to indices: a direct table when the ids
 * are small, as every writer we know makes them, else a hash table. */
typedef struct {
	uint32_t *direct;
	uint64_t ndirect;
	uint64_t *hkeys;
	uint32_t *hvals;
	size_t hcap;
} idmap;

static bool idmap_init(idmap *m, uint64_t maxid, size_t count)
{
	memset(m, 0, sizeof(*m));
	if (maxid <= 4 * (uint64_t)count + 1024) {
		m->ndirect = maxid + 1;
		m->direct = malloc(sizeof(uint32_t) * m->ndirect);
		if (!m->direct)
			return false;
		memset(m->direct, 0xff, sizeof(uint32_t) * m->ndirect);
		return true;
	}
	m->hcap = 64;
	while (m->hcap < count * 2)
		m->hcap *= 2;
	m->hkeys = calloc(m->hcap, sizeof(uint64_t));
	m->hvals = malloc(sizeof(uint32_t) * m->hcap);
	return m->hkeys && m->hvals;
}

static inline size_t idhash(uint64_t id, size_t cap)
{
	id *= 0x9e3779b97f4a7c15ull;
	return (size_t)(id >> 17) & (cap - 1);
}

/* Returns false when the id is already present. id 0 is never stored. */
static bool idmap_put(idmap *m, uint64_t id, uint32_t idx)
{
	if (m->direct) {
		/* Beyond the table only while decode_tables guesses its size. */
		if (id >= m->ndirect || m->direct[id] != HEARTH_NONE)
			return false;
		m->direct[id] = idx;
		return true;
	}
	size_t h = idhash(id, m->hcap);
	while (m->hkeys[h]) {
		if (m->hkeys[h] == id)
			return false;
		h = (h + 1) & (m->hcap - 1);
	}
	m->hkeys[h] = id;
	m->hvals[h] = idx;
	return true;
}

static inline uint32_t idmap_get(const idmap *m, uint64_t id)
{
	if (m->direct)
		return id < m->ndirect ? m->direct[id] : HEARTH_NONE;
	if (!m->hkeys || id == 0)
		return HEARTH_NONE;
	size_t h = idhash(id, m->hcap);
	while (m->hkeys[h]) {
		if (m->hkeys[h] == id)
			return m->hvals[h];
		h = (h + 1) & (m->hcap - 1);
	}
	return HEARTH_NONE;
}

static void idmap_free(idmap *m)
{
	free(m->direct);
	free(m->hkeys);
	free(m->hvals);
	memset(m, 0, sizeof(*m));
}

enum {
	F_SAMPLE_TYPE = 1,
	F_SAMPLE = 2,
	F_MAPPING = 3,
	F_LOCATION = 4,
	F_FUNCTION = 5,
	F_STRING = 6,
	F_DROP = 7,
	F_KEEP = 8,
	F_TIME = 9,
	F_DURATION = 10,
	F_PERIOD_TYPE = 11,
	F_PERIOD = 12,
	F_COMMENT = 13,
	F_DEFAULT_TYPE = 14,
	F_DOC_URL = 15,
	F_MAX = 16,
};

typedef struct {
	const uint8_t *at; /* start of the field's payload */
	size_t len;
} span;

typedef struct {
	span *v;
	size_t n, cap;
} spanvec;

static bool push(spanvec *sv, const uint8_t *at, size_t len)
{
	if (!HEARTH_GROW(sv->v, sv->n, sv->cap, 1))
		return false;
	sv->v[sv->n].at = at;
	sv->v[sv->n].len = len;
	sv->n++;
	return true;
}

/* A string index read from the input must fall inside the string table. */
static bool stridx(rd *r, const hearth_profile *p, const uint8_t *at, uint64_t v, uint32_t *out)
{
	(void)p;
	if (v >= r->nstrs)
		return fail(r, at, "string index out of range"), false;
	*out = r->strmap[v];
	return true;
}

static bool value_type(rd *r, const hearth_profile *p, hearth_value_type *vt)
{
	uint32_t f, w;
	uint64_t v;
	while (r->p < r->end) {
		const uint8_t *at = r->p;
		if (!key(r, &f, &w))
			return false;
		if (f == 1 || f == 2) {
			if (!scalar(r, w, &v) || !stridx(r, p, at, v, f == 1 ? &vt->type : &vt->unit))
				return false;
		} else if (!skip(r, w)) {
			return false;
		}
	}
	return true;
}

/* Records a table entry's id once it is decoded: ids are nonzero and unique. */
static bool register_id(rd *r, idmap *ids, uint64_t id, uint32_t idx, const char *what)
{
	char msg[64];
	if (id == 0) {
		snprintf(msg, sizeof(msg), "%s with id 0", what);
		return fail(r, r->end, msg), false;
	}
	if (!idmap_put(ids, id, idx)) {
		snprintf(msg, sizeof(msg), "duplicate %s id", what);
		return fail(r, r->end, msg), false;
	}
	return true;
}

static bool decode_function(rd *r, hearth_profile *p, idmap *ids, uint32_t idx)
{
	uint32_t f, w;
	uint64_t v, id = 0;
	hearth_function *fn = &p->functions[idx];
	memset(fn, 0, sizeof(*fn));
	while (r->p < r->end) {
		const uint8_t *at = r->p;
		if (!key(r, &f, &w))
			return false;
		switch (f) {
		case 1:
			if (!scalar(r, w, &id))
				return false;
			break;
		case 2:
		case 3:
		case 4:
			if (!scalar(r, w, &v) ||
			    !stridx(r, p, at, v,
				    f == 2 ? &fn->name : f == 3 ? &fn->system_name : &fn->file))
				return false;
			break;
		case 5:
			if (!scalar(r, w, &v))
				return false;
			fn->start_line = (int64_t)v;
			break;
		default:
			if (!skip(r, w))
				return false;
		}
	}
	return register_id(r, ids, id, idx, "function");
}

static bool decode_mapping(rd *r, hearth_profile *p, idmap *ids, uint32_t idx)
{
	uint32_t f, w;
	uint64_t v, id = 0;
	hearth_mapping *m = &p->mappings[idx];
	memset(m, 0, sizeof(*m));
	while (r->p < r->end) {
		const uint8_t *at = r->p;
		if (!key(r, &f, &w))
			return false;
		if (f > 10) {
			if (!skip(r, w))
				return false;
			continue;
		}
		if (!scalar(r, w, &v))
			return false;
		switch (f) {
		case 1: id = v; break;
		case 2: m->start = v; break;
		case 3: m->limit = v; break;
		case 4: m->offset = v; break;
		case 5: if (!stridx(r, p, at, v, &m->file)) return false; break;
		case 6: if (!stridx(r, p, at, v, &m->build_id)) return false; break;
		case 7: m->has_functions = v != 0; break;
		case 8: m->has_filenames = v != 0; break;
		case 9: m->has_line_numbers = v != 0; break;
		case 10: m->has_inline_frames = v != 0; break;
		}
	}
	return register_id(r, ids, id, idx, "mapping");
}

static bool decode_line(rd *r, const idmap *fids, hearth_line *ln)
{
	uint32_t f, w;
	uint64_t v;
	memset(ln, 0, sizeof(*ln));
	ln->function = HEARTH_NONE;
	while (r->p < r->end) {
		const uint8_t *at = r->p;
		if (!key(r, &f, &w))
			return false;
		if (f > 3) {
			if (!skip(r, w))
				return false;
			continue;
		}
		if (!scalar(r, w, &v))
			return false;
		if (f == 1) {
			if (v != 0 && (ln->function = idmap_get(fids, v)) == HEARTH_NONE)
				return fail(r, at, "line refers to an unknown function id"), false;
		} else if (f == 2) {
			ln->line = (int64_t)v;
		} else {
			ln->column = (int64_t)v;
		}
	}
	return true;
}

static bool decode_location(rd *r, hearth_profile *p, idmap *ids, const idmap *mids,
			    const idmap *fids, uint32_t idx)
{
	uint32_t f, w;
	uint64_t v, id = 0;
	hearth_location *l = &p->locations[idx];
	l->mapping = HEARTH_NONE;
	l->address = 0;
	l->is_folded = false;
	l->line0 = (uint32_t)p->nlines;
	l->nlines = 0;
	while (r->p < r->end) {
		const uint8_t *at = r->p;
		if (!key(r, &f, &w))
			return false;
		switch (f) {
		case 1:
			if (!scalar(r, w, &id))
				return false;
			break;
		case 2:
			if (!scalar(r, w, &v))
				return false;
			if (v != 0 && (l->mapping = idmap_get(mids, v)) == HEARTH_NONE)
				return fail(r, at, "location refers to an unknown mapping id"), false;
			break;
		case 3:
			if (!scalar(r, w, &l->address))
				return false;
			break;
		case 4: {
			rd s;
			if (!submsg(r, w, at, "line is not a message", &s))
				return false;
			if (!HEARTH_GROW(p->lines, p->nlines, p->caplines, 1))
				return r->err = HEARTH_ENOMEM, false;
			if (!decode_line(&s, fids, &p->lines[p->nlines]))
				return r->err = s.err, false;
			p->nlines++;
			l->nlines++;
			break;
		}
		case 5:
			if (!scalar(r, w, &v))
				return false;
			l->is_folded = v != 0;
			break;
		default:
			if (!skip(r, w))
				return false;
		}
	}
	if (p->nlines > UINT32_MAX)
		return r->err = hearth_seterr(r->eb, HEARTH_ETOOBIG, "too many lines"), false;
	return register_id(r, ids, id, idx, "location");
}

/* Reads a repeated integer field, packed (wire type 2) or not (wire type 0),
 * calling put() for each value. */
#define REPEATED(r, w, at, v, ...)                                                       \
	do {                                                                             \
		if ((w) == 0) {                                                          \
			if (!varint((r), &(v)))                                          \
				return false;                                            \
			__VA_ARGS__;                                                     \
		} else if ((w) == 2) {                                                   \
			const uint8_t *pb_;                                              \
			size_t pn_;                                                      \
			if (!bytes((r), &pb_, &pn_))                                     \
				return false;                                            \
			rd ps_ = sub((r), pb_, pn_);                                     \
			while (ps_.p < ps_.end) {                                        \
				(at) = ps_.p;                                            \
				if (!varint(&ps_, &(v)))                                 \
					return (r)->err = ps_.err, false;                \
				__VA_ARGS__;                                             \
			}                                                                \
		} else {                                                                 \
			return fail((r), (at), "bad wire type for a repeated integer"), false; \
		}                                                                        \
	} while (0)

static bool decode_label(rd *r, hearth_profile *p, hearth_label *lb)
{
	uint32_t f, w;
	uint64_t v;
	memset(lb, 0, sizeof(*lb));
	while (r->p < r->end) {
		const uint8_t *at = r->p;
		if (!key(r, &f, &w))
			return false;
		if (f > 4) {
			if (!skip(r, w))
				return false;
			continue;
		}
		if (!scalar(r, w, &v))
			return false;
		if (f == 1 && !stridx(r, p, at, v, &lb->key))
			return false;
		if (f == 2 && !stridx(r, p, at, v, &lb->str))
			return false;
		if (f == 3)
			lb->num = (int64_t)v;
		if (f == 4 && !stridx(r, p, at, v, &lb->unit))
			return false;
	}
	return true;
}

/* Varints of one or two bytes inline, the rest through varint(). */
static inline bool vfast(const uint8_t **q, const uint8_t *end, uint64_t *v)
{
	const uint8_t *p = *q;
	if (p < end && p[0] < 0x80) {
		*v = p[0];
		*q = p + 1;
		return true;
	}
	if (end - p >= 2 && p[1] < 0x80) {
		*v = (uint64_t)(p[0] & 0x7f) | (uint64_t)p[1] << 7;
		*q = p + 2;
		return true;
	}
	rd t = {p, NULL, 0, p, end, NULL, HEARTH_OK};
	if (!varint(&t, v))
		return false;
	*q = t.p;
	return true;
}

static bool decode_sample(rd *r, hearth_profile *p, const idmap *lids, size_t si)
{
	uint32_t f, w;
	uint64_t v;
	hearth_sample *s = &p->samples[si];
	int64_t *vals = p->values + si * p->nsample_types;
	uint32_t nvals = 0;
	s->loc0 = (uint32_t)p->nlocs;
	s->nlocs = 0;
	s->label0 = (uint32_t)p->nlabels;
	s->nlabels = 0;
	while (r->p < r->end) {
		const uint8_t *at = r->p;
		if (!key(r, &f, &w))
			return false;
		switch (f) {
		case 1:
			if (w == 2 && lids->direct) {
				/* The usual packed ids, a small id map: one capacity check
				 * (an id takes a byte at least) and short varints inline. */
				const uint8_t *pb;
				size_t pn;
				if (!bytes(r, &pb, &pn))
					return false;
				if (p->caplocs - p->nlocs < pn &&
				    !HEARTH_GROW(p->locs, p->nlocs, p->caplocs, pn))
					return r->err = HEARTH_ENOMEM, false;
				const uint8_t *q = pb, *pe = pb + pn;
				uint32_t *lo = p->locs + p->nlocs, *lo0 = lo;
				const uint32_t *dm = lids->direct;
				uint64_t nd = lids->ndirect;
				while (q < pe) {
					const uint8_t *vat = q;
					if (pe - q >= 2 && !(q[0] & q[1] & 0x80)) {
						/* A one- or two-byte id without a branch on
						 * which: ids below and above 128 alternate at
						 * random, and the mispredicted branch cost
						 * more than the decoding. */
						uint32_t two = q[0] >> 7;
						v = (uint64_t)((q[0] & 0x7fu) | (((uint32_t)q[1] << 7) & -two));
						q += 1 + two;
					} else if (!vfast(&q, pe, &v)) {
						/* Again, for varint()'s message. */
						rd t = sub(r, vat, (size_t)(pe - vat));
						varint(&t, &v);
						return r->err = t.err, false;
					}
					uint32_t li = v < nd ? dm[v] : HEARTH_NONE;
					if (li == HEARTH_NONE)
						return fail(r, vat,
							    "sample refers to an unknown location "
							    "id"),
						       false;
					*lo++ = li;
				}
				p->nlocs += (size_t)(lo - lo0);
				s->nlocs += (uint32_t)(lo - lo0);
				break;
			}
			REPEATED(r, w, at, v, {
				uint32_t li = idmap_get(lids, v);
				if (li == HEARTH_NONE)
					return fail(r, at, "sample refers to an unknown location id"),
					       false;
				if (p->nlocs == p->caplocs &&
				    !HEARTH_GROW(p->locs, p->nlocs, p->caplocs, 1))
					return r->err = HEARTH_ENOMEM, false;
				p->locs[p->nlocs++] = li;
				s->nlocs++;
			});
			break;
		case 2:
			REPEATED(r, w, at, v, {
				if (nvals >= p->nsample_types)
					return fail(r, at, "sample has more values than sample types"),
					       false;
				vals[nvals++] = (int64_t)v;
			});
			break;
		case 3: {
			rd ls;
			if (!submsg(r, w, at, "label is not a message", &ls))
				return false;
			if (!HEARTH_GROW(p->labels, p->nlabels, p->caplabels, 1))
				return r->err = HEARTH_ENOMEM, false;
			if (!decode_label(&ls, p, &p->labels[p->nlabels]))
				return r->err = ls.err, false;
			/* pprof's model has no label without a string, number or
			 * unit: it drops it as it reads the file. */
			const hearth_label *nl = &p->labels[p->nlabels];
			if (nl->str == 0 && nl->num == 0 && nl->unit == 0)
				break;
			p->nlabels++;
			s->nlabels++;
			break;
		}
		default:
			if (!skip(r, w))
				return false;
		}
	}
	if (nvals != p->nsample_types)
		return fail(r, r->end, "sample has fewer values than sample types"), false;
	if (p->nlocs > UINT32_MAX || p->nlabels > UINT32_MAX)
		return r->err = hearth_seterr(r->eb, HEARTH_ETOOBIG, "too many frames"), false;
	return true;
}

/* Reads the id (field 1) of a table entry without decoding the rest, to size
 * the id map before the entries are decoded. */
static bool peek_id(rd *r, uint64_t *id)
{
	uint32_t f, w;
	*id = 0;
	/* The whole entry: a repeated id field counts by its last value, as
	 * the decoder (and protobuf) takes it; stopping at the first one sized
	 * the id map too small for the id that is then stored. */
	while (r->p < r->end) {
		if (!key(r, &f, &w))
			return false;
		if (f == 1 && w == 0) {
			if (!varint(r, id))
				return false;
		} else if (!skip(r, w)) {
			return false;
		}
	}
	return true;
}

static bool build_ids(rd *r, const spanvec *sv, idmap *m)
{
	uint64_t maxid = 0, id;
	for (size_t i = 0; i < sv->n; i++) {
		rd s = sub(r, sv->v[i].at, sv->v[i].len);
		if (!peek_id(&s, &id))
			return r->err = s.err, false;
		if (id > maxid)
			maxid = id;
	}
	if (!idmap_init(m, maxid, sv->n))
		return r->err = HEARTH_ENOMEM, false;
	return true;
}

/* One decoding: the first pass's spans and scalars, the id maps and the
 * profile being built. */
typedef struct {
	rd r;
	const uint8_t *buf;
	bool raw_strings;
	spanvec f[F_MAX];
	uint64_t scal[F_MAX];
	span period_type;
	idmap fids, mids, lids;
	uint32_t *strmap;
	hearth_profile *p;
	/* Streaming (hearth_proto_decode_stream): samples are decoded as they
	 * arrive, with their ids as written, and mapped at the end; maxstr is
	 * the largest string index they use, checked against the table then. */
	bool stream;
	uint64_t maxstr;
	/* Location ids are kept minus one: Go numbers locations 1, 2, 3 ... in
	 * table order, so then they are the indices already and need no pass
	 * of their own (maxloc bounds them). */
	uint32_t maxloc;
} dec;

static void dec_free(dec *d)
{
	free(d->strmap);
	for (int i = 0; i < F_MAX; i++)
		free(d->f[i].v);
	idmap_free(&d->fids);
	idmap_free(&d->mids);
	idmap_free(&d->lids);
}

static bool stream_sample(dec *d, const uint8_t *b, size_t n);

/* Pass one, for one top-level field whose key (fn, w) was read at `at`:
 * records where a table entry lies, or reads a scalar. */
static bool top_field(dec *d, const uint8_t *at, uint32_t fn, uint32_t w)
{
	rd *r = &d->r;
	bool msg = fn == F_SAMPLE_TYPE || fn == F_SAMPLE || fn == F_MAPPING || fn == F_LOCATION ||
		   fn == F_FUNCTION || fn == F_STRING || fn == F_PERIOD_TYPE;
	if (msg) {
		const uint8_t *b;
		size_t len;
		if (w != 2)
			return fail(r, at, "expected a length-delimited field"), false;
		if (!bytes(r, &b, &len))
			return false;
		if (fn == F_PERIOD_TYPE) {
			d->period_type.at = b;
			d->period_type.len = len;
		} else if (d->stream && fn == F_SAMPLE) {
			if (!stream_sample(d, b, len))
				return fail(r, at, "sample not decodable while streaming"), false;
		} else if (d->stream && fn == F_SAMPLE_TYPE && d->p->nsamples) {
			/* The samples already read were sized by the types before them. */
			return fail(r, at, "sample type after samples"), false;
		} else if (!push(&d->f[fn], b, len)) {
			return r->err = HEARTH_ENOMEM, false;
		}
	} else if (fn == F_COMMENT) {
		uint64_t v;
		if (w == 0) {
			if (!varint(r, &v))
				return false;
			if (!push(&d->f[fn], NULL, v))
				return r->err = HEARTH_ENOMEM, false;
		} else if (w == 2) {
			const uint8_t *b;
			size_t len;
			if (!bytes(r, &b, &len))
				return false;
			rd ps = sub(r, b, len);
			while (ps.p < ps.end) {
				if (!varint(&ps, &v))
					return r->err = ps.err, false;
				if (!push(&d->f[fn], NULL, v))
					return r->err = HEARTH_ENOMEM, false;
			}
		} else {
			return fail(r, at, "bad wire type for comments"), false;
		}
	} else if (fn < F_MAX) {
		if (w != 0)
			return fail(r, at, "expected a varint field"), false;
		if (!varint(r, &d->scal[fn]))
			return false;
	} else if (!skip(r, w)) {
		return false;
	}
	return true;
}

static bool decode_entries(dec *d);

/* Everything but the samples, in dependency order: strings, sample types and
 * the header's scalars, functions, mappings, locations. */
static bool decode_tables(dec *d)
{
	rd *r = &d->r;
	spanvec *f = d->f;
	hearth_profile *p = d->p;
	const uint8_t *buf = d->buf;
	bool raw_strings = d->raw_strings;

	/* Strings.  The table is kept as is, so indices in the input stay valid. */
	if (f[F_STRING].n == 0 || f[F_STRING].v[0].len != 0)
		return fail(r, f[F_STRING].n ? f[F_STRING].v[0].at : buf,
			    "string table does not start with the empty string"),
		       false;
	if (f[F_STRING].n > UINT32_MAX - 1)
		return r->err = hearth_seterr(r->eb, HEARTH_ETOOBIG, "too many strings"), false;
	if (raw_strings ? !HEARTH_GROW(p->strs, p->nstrs, p->capstrs, f[F_STRING].n)
			: !hearth_reserve_strings(p, (uint32_t)f[F_STRING].n))
		return r->err = HEARTH_ENOMEM, false;
	/* Equal strings get one index, so that later stages can compare
	 * names by index; writers are allowed to repeat strings. */
	uint32_t *strmap = d->strmap = malloc(sizeof(*strmap) * f[F_STRING].n);
	if (!strmap)
		return r->err = HEARTH_ENOMEM, false;
	strmap[0] = 0;
	for (size_t i = 1; i < f[F_STRING].n; i++) {
		const char *str = (const char *)f[F_STRING].v[i].at;
		size_t len = f[F_STRING].v[i].len;
		strmap[i] = raw_strings ? hearth_add_string(p, str, len) : hearth_intern(p, str, len);
		if (strmap[i] == HEARTH_NONE)
			return r->err = HEARTH_ENOMEM, false;
	}
	r->strmap = strmap;
	r->nstrs = f[F_STRING].n;

	/* Sample types and the scalars that refer to strings. */
	p->nsample_types = 0;
	if (f[F_SAMPLE_TYPE].n > 1024)
		return fail(r, f[F_SAMPLE_TYPE].v[1024].at, "too many sample types"), false;
	p->sample_types = calloc(f[F_SAMPLE_TYPE].n + 1, sizeof(*p->sample_types));
	if (!p->sample_types)
		return r->err = HEARTH_ENOMEM, false;
	for (size_t i = 0; i < f[F_SAMPLE_TYPE].n; i++) {
		rd s = sub(r, f[F_SAMPLE_TYPE].v[i].at, f[F_SAMPLE_TYPE].v[i].len);
		if (!value_type(&s, p, &p->sample_types[i]))
			return r->err = s.err, false;
		p->nsample_types++;
	}
	if (d->period_type.at) {
		rd s = sub(r, d->period_type.at, d->period_type.len);
		if (!value_type(&s, p, &p->period_type))
			return r->err = s.err, false;
	}
	static const int sfields[] = {F_DROP, F_KEEP, F_DEFAULT_TYPE, F_DOC_URL};
	uint32_t *dst[] = {&p->drop_frames, &p->keep_frames, &p->default_sample_type, &p->doc_url};
	for (int i = 0; i < 4; i++)
		if (!stridx(r, p, buf, d->scal[sfields[i]], dst[i]))
			return false;
	p->time_nanos = (int64_t)d->scal[F_TIME];
	p->duration_nanos = (int64_t)d->scal[F_DURATION];
	p->period = (int64_t)d->scal[F_PERIOD];
	for (size_t i = 0; i < f[F_COMMENT].n; i++) {
		uint32_t si;
		if (!stridx(r, p, buf, f[F_COMMENT].v[i].len, &si))
			return false;
		if (!HEARTH_GROW(p->comments, p->ncomments, p->capcomments, 1))
			return r->err = HEARTH_ENOMEM, false;
		p->comments[p->ncomments++] = si;
	}

	/* Functions, mappings, locations: each table sized exactly once. */
	if (f[F_FUNCTION].n > UINT32_MAX - 1 || f[F_MAPPING].n > UINT32_MAX - 1 ||
	    f[F_LOCATION].n > UINT32_MAX - 1 || f[F_SAMPLE].n > UINT32_MAX - 1)
		return r->err = hearth_seterr(r->eb, HEARTH_ETOOBIG, "too many entries"), false;
	/* Go numbers each table 1, 2, 3 ... in order: then the id maps are
	 * exactly 1..n, built as the entries are decoded, without a pass over
	 * the tables to find their largest ids first.  Any other ids, or any
	 * error, and the tables are decoded again the usual way, which gives
	 * the usual maps and errors. */
	size_t nlines0 = p->nlines;
	hearth_errbuf guess_eb = {{0}}, *eb = r->eb;
	if (idmap_init(&d->fids, f[F_FUNCTION].n, f[F_FUNCTION].n) &&
	    idmap_init(&d->mids, f[F_MAPPING].n, f[F_MAPPING].n) &&
	    idmap_init(&d->lids, f[F_LOCATION].n, f[F_LOCATION].n)) {
		r->eb = &guess_eb;
		bool ok = decode_entries(d);
		r->eb = eb;
		if (ok)
			return true;
	}
	r->err = HEARTH_OK;
	p->nfunctions = p->nmappings = p->nlocations = 0;
	p->nlines = nlines0;
	idmap_free(&d->fids);
	idmap_free(&d->mids);
	idmap_free(&d->lids);
	if (!build_ids(r, &f[F_FUNCTION], &d->fids) || !build_ids(r, &f[F_MAPPING], &d->mids) ||
	    !build_ids(r, &f[F_LOCATION], &d->lids))
		return false;
	return decode_entries(d);
}

/* The functions, mappings and locations, their id maps made (empty). */
static bool decode_entries(dec *d)
{
	rd *r = &d->r;
	spanvec *f = d->f;
	hearth_profile *p = d->p;
	if (!HEARTH_GROW(p->functions, 0, p->capfunctions, f[F_FUNCTION].n) ||
	    !HEARTH_GROW(p->mappings, 0, p->capmappings, f[F_MAPPING].n) ||
	    !HEARTH_GROW(p->locations, 0, p->caplocations, f[F_LOCATION].n))
		return r->err = HEARTH_ENOMEM, false;
	for (size_t i = 0; i < f[F_FUNCTION].n; i++) {
		rd s = sub(r, f[F_FUNCTION].v[i].at, f[F_FUNCTION].v[i].len);
		if (!decode_function(&s, p, &d->fids, (uint32_t)i))
			return r->err = s.err, false;
		p->nfunctions++;
	}
	for (size_t i = 0; i < f[F_MAPPING].n; i++) {
		rd s = sub(r, f[F_MAPPING].v[i].at, f[F_MAPPING].v[i].len);
		if (!decode_mapping(&s, p, &d->mids, (uint32_t)i))
			return r->err = s.err, false;
		p->nmappings++;
	}
	for (size_t i = 0; i < f[F_LOCATION].n; i++) {
		rd s = sub(r, f[F_LOCATION].v[i].at, f[F_LOCATION].v[i].len);
		if (!decode_location(&s, p, &d->lids, &d->mids, &d->fids, (uint32_t)i))
			return r->err = s.err ? s.err : HEARTH_ENOMEM, false;
		p->nlocations++;
	}
	return true;
}

/* The samples, into arrays sized from the byte counts: a sample's location
 * ids take at least one byte each, so the sum of sample sizes bounds the
 * number of frames. */
static bool decode_samples(dec *d)
{
	rd *r = &d->r;
	hearth_profile *p = d->p;
	const spanvec *sv = &d->f[F_SAMPLE];
	size_t ns = sv->n, bytes_total = 0;
	for (size_t i = 0; i < ns; i++)
		bytes_total += sv->v[i].len;
	if (ns && p->nsample_types == 0)
		return fail(r, sv->v[0].at, "samples without sample types"), false;
	if (!HEARTH_GROW(p->samples, 0, p->capsamples, ns) ||
	    !HEARTH_GROW(p->values, 0, p->capvalues, ns * p->nsample_types) ||
	    !HEARTH_GROW(p->locs, 0, p->caplocs, bytes_total / 2 + 16))
		return r->err = HEARTH_ENOMEM, false;
	for (size_t i = 0; i < ns; i++) {
		rd s = sub(r, sv->v[i].at, sv->v[i].len);
		if (!decode_sample(&s, p, &d->lids, i))
			return r->err = s.err ? s.err : HEARTH_ENOMEM, false;
		p->nsamples++;
	}
	return true;
}

static hearth_err dec_finish(dec *d, hearth_profile **out)
{
	hearth_err err = d->r.err;
	dec_free(d);
	if (err != HEARTH_OK) {
		if (err == HEARTH_ENOMEM)
			hearth_seterr(d->r.eb, HEARTH_ENOMEM, "out of memory");
		hearth_profile_free(d->p);
		return err;
	}
	*out = d->p;
	return HEARTH_OK;
}

hearth_err hearth_proto_decode(const uint8_t *buf, size_t n, hearth_profile **out,
			       hearth_errbuf *eb)
{
	return hearth_proto_decode_opts(buf, n, NULL, out, eb);
}

hearth_err hearth_proto_decode_opts(const uint8_t *buf, size_t n, const hearth_read_opts *o,
				    hearth_profile **out, hearth_errbuf *eb)
{
	dec d = {.r = {buf, NULL, 0, buf, buf + n, eb, HEARTH_OK},
		 .buf = buf,
		 .raw_strings = o && o->raw_strings};
	*out = NULL;
	if (!(d.p = hearth_profile_new()))
		return HEARTH_ENOMEM;
	/* Pass one: where is everything. */
	while (d.r.p < d.r.end) {
		const uint8_t *at = d.r.p;
		uint32_t fn, w;
		if (!key(&d.r, &fn, &w) || !top_field(&d, at, fn, w))
			goto out;
	}
	if (decode_tables(&d))
		decode_samples(&d);
out:
	return dec_finish(&d, out);
}

/* ---- Streaming ------------------------------------------------------------
 *
 * The samples come first in the files Go writes and are nearly all of a large
 * profile, but their location ids can only be mapped once the locations, which
 * come after them, are read.  So while the input still arrives (decompressed
 * by another thread), each sample is decoded as soon as its bytes are there,
 * with its location ids and label strings as written; once the input is
 * complete the tables are decoded as above and the samples' ids mapped in one
 * pass.  This path accepts only what the two-pass decoder accepts, and gives
 * the same profile: anything it is not sure of (a damaged or unusual file)
 * makes it give up, and the caller decodes the whole input the usual way,
 * which also gives the usual error message. */

/* A label with its string indices as written (checked and mapped later). */
static bool stream_label(dec *d, const uint8_t *b, size_t n, hearth_label *lb)
{
	rd r = {b, NULL, 0, b, b + n, NULL, HEARTH_OK};
	uint32_t f, w;
	uint64_t v;
	memset(lb, 0, sizeof(*lb));
	while (r.p < r.end) {
		if (!key(&r, &f, &w))
			return false;
		if (f > 4) {
			if (!skip(&r, w))
				return false;
			continue;
		}
		if (!scalar(&r, w, &v))
			return false;
		if (f != 3 && v > UINT32_MAX - 1)
			return false;
		/* Every index counts, even one a later field overrides: the
		 * two-pass decoder checks each as it reads it. */
		if (f != 3 && v > d->maxstr)
			d->maxstr = v;
		if (f == 1)
			lb->key = (uint32_t)v;
		else if (f == 2)
			lb->str = (uint32_t)v;
		else if (f == 3)
			lb->num = (int64_t)v;
		else
			lb->unit = (uint32_t)v;
	}
	return true;
}

/* The usual label, {key, str} or {key, num}, each field once and its
 * varint short; false for anything else, which stream_label reads. */
static inline bool label_fast(dec *d, const uint8_t *b, size_t n, hearth_label *lb)
{
	const uint8_t *q = b, *end = b + n;
	uint64_t v[5] = {0};
	unsigned seen = 0;
	while (q < end) {
		unsigned k = *q++;
		if ((k & 7) != 0 || k < 8 || k > 4 << 3 || (seen & 1u << (k >> 3)))
			return false;
		seen |= 1u << (k >> 3);
		if (!vfast(&q, end, &v[k >> 3]))
			return false;
	}
	if (v[1] > UINT32_MAX - 1 || v[2] > UINT32_MAX - 1 || v[4] > UINT32_MAX - 1)
		return false;
	memset(lb, 0, sizeof(*lb)); /* the padding too: labels are compared as bytes */
	lb->key = (uint32_t)v[1];
	lb->str = (uint32_t)v[2];
	lb->num = (int64_t)v[3];
	lb->unit = (uint32_t)v[4];
	uint64_t m = v[1] > v[2] ? v[1] : v[2];
	m = m > v[4] ? m : v[4];
	if (m > d->maxstr)
		d->maxstr = m;
	return true;
}

static bool stream_sample(dec *d, const uint8_t *b, size_t n)
{
	hearth_profile *p = d->p;
	size_t nst = d->f[F_SAMPLE_TYPE].n;
	if (nst == 0 || nst > 1024)
		return false;
	/* A location id takes at least one byte: n bounds the sample's frames. */
	if ((p->nsamples == p->capsamples &&
	     !HEARTH_GROW(p->samples, p->nsamples, p->capsamples, 1)) ||
	    (p->capvalues - p->nsamples * nst < nst &&
	     !HEARTH_GROW(p->values, p->nsamples * nst, p->capvalues, nst)) ||
	    (p->caplocs - p->nlocs < n && !HEARTH_GROW(p->locs, p->nlocs, p->caplocs, n)))
		return false;
	hearth_sample *s = &p->samples[p->nsamples];
	int64_t *vals = p->values + p->nsamples * nst;
	size_t nvals = 0;
	uint32_t *lo = p->locs + p->nlocs, *lo0 = lo;
	size_t label0 = p->nlabels;
	const uint8_t *q = b, *end = b + n;
	while (q < end) {
		uint64_t k, v, len;
		const uint8_t *kq = q;
		if (!vfast(&q, end, &k))
			return false;
		if (k == (1 << 3 | 2) || k == (2 << 3 | 2)) { /* packed locations or values */
			if (!vfast(&q, end, &len) || len > (uint64_t)(end - q))
				return false;
			const uint8_t *pe = q + len;
			if (k == (1 << 3 | 2)) {
				uint32_t maxloc = d->maxloc;
				while (q < pe) {
					if (!vfast(&q, pe, &v) || v > UINT32_MAX)
						return false;
					uint32_t id1 = (uint32_t)v - 1;
					maxloc = id1 > maxloc ? id1 : maxloc;
					*lo++ = id1;
				}
				d->maxloc = maxloc;
			} else {
				while (q < pe) {
					if (!vfast(&q, pe, &v) || nvals >= nst)
						return false;
					vals[nvals++] = (int64_t)v;
				}
			}
		} else if (k == (1 << 3 | 0)) {
			if (!vfast(&q, end, &v) || v > UINT32_MAX)
				return false;
			uint32_t id1 = (uint32_t)v - 1;
			d->maxloc = id1 > d->maxloc ? id1 : d->maxloc;
			*lo++ = id1;
		} else if (k == (2 << 3 | 0)) {
			if (!vfast(&q, end, &v) || nvals >= nst)
				return false;
			vals[nvals++] = (int64_t)v;
		} else if (k == (3 << 3 | 2)) {
			if (!vfast(&q, end, &len) || len > (uint64_t)(end - q))
				return false;
			if (p->nlabels == p->caplabels &&
			    !HEARTH_GROW(p->labels, p->nlabels, p->caplabels, 1))
				return false;
			hearth_label *nl = &p->labels[p->nlabels];
			if (!label_fast(d, q, (size_t)len, nl) &&
			    !stream_label(d, q, (size_t)len, nl))
				return false;
			q += len;
			/* pprof drops a label without string, number or unit. */
			if (nl->str != 0 || nl->num != 0 || nl->unit != 0)
				p->nlabels++;
		} else {
			/* Anything else is skipped as decode_sample skips it, or
			 * left to the two-pass decoder to complain about. */
			rd t = {kq, NULL, 0, kq, end, NULL, HEARTH_OK};
			uint32_t f, w;
			if (!key(&t, &f, &w))
				return false;
			if (f <= 3 || !skip(&t, w))
				return false;
			q = t.p;
		}
	}
	if (nvals != nst)
		return false;
	size_t nl = (size_t)(lo - lo0);
	if (p->nlocs + nl > UINT32_MAX || p->nlabels > UINT32_MAX)
		return false;
	s->loc0 = (uint32_t)p->nlocs;
	s->nlocs = (uint32_t)nl;
	s->label0 = (uint32_t)label0;
	s->nlabels = (uint32_t)(p->nlabels - label0);
	p->nlocs += nl;
	p->nsamples++;
	return true;
}

/* Maps the streamed samples' ids now that the tables are read. */
static bool stream_fixup(dec *d)
{
	hearth_profile *p = d->p;
	const idmap *lids = &d->lids;
	if (p->nsamples > UINT32_MAX - 1 ||
	    (p->nsamples != 0 && p->nsample_types != d->f[F_SAMPLE_TYPE].n))
		return false;
	if (d->maxstr >= d->r.nstrs)
		return false;
	/* The samples hold each location id minus one: nothing to map when
	 * the ids are 1, 2, 3 ... in table order and all in range. */
	bool identity = lids->direct && lids->ndirect == (uint64_t)p->nlocations + 1 &&
			(p->nlocs == 0 || d->maxloc < p->nlocations);
	for (uint32_t i = 0; identity && i < p->nlocations; i++)
		identity = lids->direct[i + 1] == i;
	uint32_t *l = p->locs;
	for (size_t i = 0, n = identity ? 0 : p->nlocs; i < n; i++) {
		uint32_t li = idmap_get(lids, (uint32_t)(l[i] + 1));
		if (li == HEARTH_NONE)
			return false;
		l[i] = li;
	}
	const uint32_t *sm = d->strmap;
	for (size_t i = 0; i < p->nlabels; i++) {
		hearth_label *lb = &p->labels[i];
		uint32_t str = sm[lb->str], unit = sm[lb->unit];
		/* An empty string written at another index than 0 would make the
		 * label one that pprof drops. */
		if ((lb->str && !str) || (lb->unit && !unit))
			return false;
		lb->key = sm[lb->key];
		lb->str = str;
		lb->unit = unit;
	}
	return true;
}

hearth_err hearth_proto_decode_stream(const uint8_t *buf, hearth_proto_avail avail, void *ctx,
				      const hearth_read_opts *o, hearth_profile **out)
{
	hearth_errbuf eb;
	dec d = {.r = {buf, NULL, 0, buf, buf, &eb, HEARTH_OK},
		 .buf = buf,
		 .raw_strings = o && o->raw_strings,
		 .stream = true};
	size_t have = 0;
	*out = NULL;
	if (!(d.p = hearth_profile_new()))
		return HEARTH_ENOMEM;
	for (;;) {
		size_t pos = (size_t)(d.r.p - buf);
		/* A key and a length take at most 20 bytes. */
		if (have < pos + 24)
			have = avail(ctx, pos + 24);
		if (have <= pos)
			break;
		d.r.end = buf + have;
		const uint8_t *at = d.r.p;
		uint32_t fn, w;
		if (!key(&d.r, &fn, &w))
			goto give_up;
		if (w == 2) {
			/* Wait for the whole field. */
			rd t = d.r;
			uint64_t len;
			if (!varint(&t, &len))
				goto give_up;
			size_t fend = (size_t)(t.p - buf);
			if (len > SIZE_MAX / 2 - fend)
				goto give_up;
			fend += (size_t)len;
			if (have < fend) {
				have = avail(ctx, fend);
				d.r.end = buf + have;
			}
		}
		if (!top_field(&d, at, fn, w))
			goto give_up;
	}
	d.r.end = buf + have;
	if (decode_tables(&d) && stream_fixup(&d))
		return dec_finish(&d, out);
give_up:
	/* Whatever went wrong, it is an error here. */
	if (d.r.err == HEARTH_OK)
		d.r.err = HEARTH_ECORRUPT;
	return dec_finish(&d, out);
}
