/* Writing profiles: the profile.proto encoder, gzip and atomic file output.
 *
 * The encoder sizes each message before writing it, so every length prefix
 * is known up front and nothing is encoded twice or shifted afterwards: a
 * sample's size is the sum of the varint sizes of its location ids, values
 * and labels, computed once, then the sample is written straight into the
 * output buffer, whose capacity was made sufficient beforehand.  Writes
 * inside a message therefore need no bounds checks.
 *
 * Field choices follow pprof's own encoder (profile/encode.go), so tools
 * that read pprof's output read ours: repeated scalars are packed only when
 * there are more than two of them, zero-valued optional fields are omitted,
 * default_sample_type is always written, and ids are index + 1 (0 meaning
 * "none").  Line.column (3) and Profile.doc_url (15) come from newer
 * profile.proto versions; older readers skip them as unknown fields. */
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "hearth/io.h"
#include "util.h"

/* Wire types. */
enum { WT_VARINT = 0, WT_LEN = 2 };

/* Every field number of profile.proto is below 16, so every key is one byte. */
#define KEY(tag, wt) ((uint8_t)((tag) << 3 | (wt)))

/* The size of x as a varint: one byte per started 7 bits; (b * 9 + 73) / 64
 * equals b / 7 + 1 for b = 0..63 without a division. */
static inline size_t vlen(uint64_t x)
{
	unsigned b = 63u - (unsigned)__builtin_clzll(x | 1);
	return (b * 9 + 73) >> 6;
}

/* The same for 32-bit ids, written so that the compiler vectorizes a sum of
 * them (location ids make up most of a profile). */
static inline uint32_t vlen32(uint32_t x)
{
	return 1u + (x >= 1u << 7) + (x >= 1u << 14) + (x >= 1u << 21) + (x >= 1u << 28);
}

static inline uint8_t *put_varint(uint8_t *w, uint64_t x)
{
	if (x < 0x80) {
		*w = (uint8_t)x;
		return w + 1;
	}
	if (x < 0x4000) {
		w[0] = (uint8_t)(x | 0x80);
		w[1] = (uint8_t)(x >> 7);
		return w + 2;
	}
	while (x >= 0x80) {
		*w++ = (uint8_t)(x | 0x80);
		x >>= 7;
	}
	*w++ = (uint8_t)x;
	return w;
}

/* An optional scalar: omitted when zero. */
static inline size_t sz_opt(uint64_t v)
{
	return v ? 1 + vlen(v) : 0;
}

static inline uint8_t *put_opt(uint8_t *w, unsigned tag, uint64_t v)
{
	if (v) {
		*w++ = KEY(tag, WT_VARINT);
		w = put_varint(w, v);
	}
	return w;
}

static inline uint8_t *put_bool(uint8_t *w, unsigned tag, bool b)
{
	if (b) {
		*w++ = KEY(tag, WT_VARINT);
		*w++ = 1;
	}
	return w;
}

/* A length-delimited field whose payload is n bytes. */
static inline size_t sz_len(size_t n)
{
	return 1 + vlen(n) + n;
}

static inline uint8_t *put_hdr(uint8_t *w, unsigned tag, size_t n)
{
	*w++ = KEY(tag, WT_LEN);
	return put_varint(w, n);
}

/* profile.proto ids are index + 1; 0 means "no such element", and
 * HEARTH_NONE + 1 wraps to exactly that. */
static inline uint32_t id_of(uint32_t idx)
{
	return idx + 1;
}

/* Makes room for `more` bytes plus the NUL that hearth_buf keeps after its
 * data, and returns where to write. */
static uint8_t *reserve(hearth_buf *out, size_t more)
{
	if (out->oom)
		return NULL;
	if (more > SIZE_MAX - 1 - out->len ||
	    !HEARTH_GROW(out->data, out->len, out->cap, more + 1)) {
		out->oom = true;
		return NULL;
	}
	return (uint8_t *)out->data + out->len;
}

static void commit(hearth_buf *out, uint8_t *end)
{
	out->len = (size_t)((char *)end - out->data);
}

/* A repeated scalar in pprof's layout: packed when more than two, else one
 * key per element.  `payload` is the sum of the elements' varint sizes. */
static inline size_t sz_repeated(size_t n, size_t payload)
{
	return n > 2 ? sz_len(payload) : n + payload;
}

static size_t label_size(const hearth_label *l)
{
	return sz_opt(l->key) + sz_opt(l->str) + sz_opt((uint64_t)l->num) + sz_opt(l->unit);
}

static uint8_t *put_label(uint8_t *w, const hearth_label *l)
{
	w = put_hdr(w, 3, label_size(l));
	w = put_opt(w, 1, l->key);
	w = put_opt(w, 2, l->str);
	w = put_opt(w, 3, (uint64_t)l->num);
	return put_opt(w, 4, l->unit);
}

static hearth_err put_samples(const hearth_profile *p, hearth_buf *out)
{
	size_t nt = p->nsample_types;
	for (size_t i = 0; i < p->nsamples; i++) {
		const hearth_sample *s = &p->samples[i];
		const uint32_t *locs = p->locs + s->loc0;
		const int64_t *vals = hearth_sample_values(p, i);
		const hearth_label *labels = p->labels + s->label0;

		size_t lp = 0, vp = 0, lb = 0;
		for (uint32_t j = 0; j < s->nlocs; j++)
			lp += vlen32(id_of(locs[j]));
		for (size_t j = 0; j < nt; j++)
			vp += vlen((uint64_t)vals[j]);
		for (uint32_t j = 0; j < s->nlabels; j++)
			lb += sz_len(label_size(&labels[j]));
		size_t body = sz_repeated(s->nlocs, lp) + sz_repeated(nt, vp) + lb;

		uint8_t *w = reserve(out, sz_len(body));
		if (!w)
			return HEARTH_ENOMEM;
		w = put_hdr(w, 2, body);
		if (s->nlocs > 2) {
			w = put_hdr(w, 1, lp);
			for (uint32_t j = 0; j < s->nlocs; j++)
				w = put_varint(w, id_of(locs[j]));
		} else {
			for (uint32_t j = 0; j < s->nlocs; j++) {
				*w++ = KEY(1, WT_VARINT);
				w = put_varint(w, id_of(locs[j]));
			}
		}
		if (nt > 2) {
			w = put_hdr(w, 2, vp);
			for (size_t j = 0; j < nt; j++)
				w = put_varint(w, (uint64_t)vals[j]);
		} else {
			for (size_t j = 0; j < nt; j++) {
				*w++ = KEY(2, WT_VARINT);
				w = put_varint(w, (uint64_t)vals[j]);
			}
		}
		for (uint32_t j = 0; j < s->nlabels; j++)
			w = put_label(w, &labels[j]);
		commit(out, w);
	}
	return HEARTH_OK;
}

static size_t value_type_size(const hearth_value_type *t)
{
	return sz_opt(t->type) + sz_opt(t->unit);
}

static uint8_t *put_value_type(uint8_t *w, unsigned tag, const hearth_value_type *t)
{
	w = put_hdr(w, tag, value_type_size(t));
	w = put_opt(w, 1, t->type);
	return put_opt(w, 2, t->unit);
}

static size_t mapping_size(uint32_t i, const hearth_mapping *m)
{
	return sz_opt(id_of(i)) + sz_opt(m->start) + sz_opt(m->limit) + sz_opt(m->offset) +
	       sz_opt(m->file) + sz_opt(m->build_id) +
	       2 * ((size_t)m->has_functions + m->has_filenames + m->has_line_numbers +
		    m->has_inline_frames);
}

static size_t line_size(const hearth_line *l)
{
	return sz_opt(id_of(l->function)) + sz_opt((uint64_t)l->line) + sz_opt((uint64_t)l->column);
}

static size_t location_size(const hearth_profile *p, uint32_t i)
{
	const hearth_location *l = &p->locations[i];
	size_t n = sz_opt(id_of(i)) + sz_opt(id_of(l->mapping)) + sz_opt(l->address) +
		   (l->is_folded ? 2 : 0);
	for (uint32_t j = 0; j < l->nlines; j++)
		n += sz_len(line_size(&p->lines[l->line0 + j]));
	return n;
}

static size_t function_size(uint32_t i, const hearth_function *f)
{
	return sz_opt(id_of(i)) + sz_opt(f->name) + sz_opt(f->system_name) + sz_opt(f->file) +
	       sz_opt((uint64_t)f->start_line);
}

/* Messages that are small and few (everything but samples and strings) are
 * sized in one pass over their array, so that one reservation covers them
 * all; the write pass then recomputes only each message's own size. */
static hearth_err put_tables(const hearth_profile *p, hearth_buf *out)
{
	size_t total = 0;
	for (uint32_t i = 0; i < p->nmappings; i++)
		total += sz_len(mapping_size(i, &p->mappings[i]));
	uint8_t *w = reserve(out, total);
	if (!w)
		return HEARTH_ENOMEM;
	for (uint32_t i = 0; i < p->nmappings; i++) {
		const hearth_mapping *m = &p->mappings[i];
		w = put_hdr(w, 3, mapping_size(i, m));
		w = put_opt(w, 1, id_of(i));
		w = put_opt(w, 2, m->start);
		w = put_opt(w, 3, m->limit);
		w = put_opt(w, 4, m->offset);
		w = put_opt(w, 5, m->file);
		w = put_opt(w, 6, m->build_id);
		w = put_bool(w, 7, m->has_functions);
		w = put_bool(w, 8, m->has_filenames);
		w = put_bool(w, 9, m->has_line_numbers);
		w = put_bool(w, 10, m->has_inline_frames);
	}
	commit(out, w);

	total = 0;
	for (uint32_t i = 0; i < p->nlocations; i++)
		total += sz_len(location_size(p, i));
	if (!(w = reserve(out, total)))
		return HEARTH_ENOMEM;
	for (uint32_t i = 0; i < p->nlocations; i++) {
		const hearth_location *l = &p->locations[i];
		w = put_hdr(w, 4, location_size(p, i));
		w = put_opt(w, 1, id_of(i));
		w = put_opt(w, 2, id_of(l->mapping));
		w = put_opt(w, 3, l->address);
		for (uint32_t j = 0; j < l->nlines; j++) {
			const hearth_line *ln = &p->lines[l->line0 + j];
			w = put_hdr(w, 4, line_size(ln));
			w = put_opt(w, 1, id_of(ln->function));
			w = put_opt(w, 2, (uint64_t)ln->line);
			w = put_opt(w, 3, (uint64_t)ln->column);
		}
		w = put_bool(w, 5, l->is_folded);
	}
	commit(out, w);

	total = 0;
	for (uint32_t i = 0; i < p->nfunctions; i++)
		total += sz_len(function_size(i, &p->functions[i]));
	if (!(w = reserve(out, total)))
		return HEARTH_ENOMEM;
	for (uint32_t i = 0; i < p->nfunctions; i++) {
		const hearth_function *f = &p->functions[i];
		w = put_hdr(w, 5, function_size(i, f));
		w = put_opt(w, 1, id_of(i));
		w = put_opt(w, 2, f->name);
		w = put_opt(w, 3, f->system_name);
		w = put_opt(w, 4, f->file);
		w = put_opt(w, 5, (uint64_t)f->start_line);
	}
	commit(out, w);

	total = 0;
	for (uint32_t i = 0; i < p->nstrs; i++)
		total += sz_len(p->strs[i].len);
	if (!(w = reserve(out, total)))
		return HEARTH_ENOMEM;
	for (uint32_t i = 0; i < p->nstrs; i++) {
		w = put_hdr(w, 6, p->strs[i].len);
		memcpy(w, p->strs[i].s, p->strs[i].len);
		w += p->strs[i].len;
	}
	commit(out, w);
	return HEARTH_OK;
}

hearth_err hearth_proto_encode(const hearth_profile *p, hearth_buf *out)
{
	size_t start = out->len;
	hearth_err e = HEARTH_OK;

	size_t total = 0;
	for (uint32_t i = 0; i < p->nsample_types; i++)
		total += sz_len(value_type_size(&p->sample_types[i]));
	uint8_t *w = reserve(out, total);
	if (!w)
		goto oom;
	for (uint32_t i = 0; i < p->nsample_types; i++)
		w = put_value_type(w, 1, &p->sample_types[i]);
	commit(out, w);

	if ((e = put_samples(p, out)) != HEARTH_OK || (e = put_tables(p, out)) != HEARTH_OK)
		goto fail;

	bool has_period_type = p->period_type.type || p->period_type.unit;
	size_t cp = 0;
	for (uint32_t i = 0; i < p->ncomments; i++)
		cp += vlen(p->comments[i]);
	total = sz_opt(p->drop_frames) + sz_opt(p->keep_frames) + sz_opt((uint64_t)p->time_nanos) +
		sz_opt((uint64_t)p->duration_nanos) +
		(has_period_type ? sz_len(value_type_size(&p->period_type)) : 0) +
		sz_opt((uint64_t)p->period) + sz_repeated(p->ncomments, cp) + 1 +
		vlen(p->default_sample_type) + sz_opt(p->doc_url);
	if (!(w = reserve(out, total)))
		goto oom;
	w = put_opt(w, 7, p->drop_frames);
	w = put_opt(w, 8, p->keep_frames);
	w = put_opt(w, 9, (uint64_t)p->time_nanos);
	w = put_opt(w, 10, (uint64_t)p->duration_nanos);
	if (has_period_type)
		w = put_value_type(w, 11, &p->period_type);
	w = put_opt(w, 12, (uint64_t)p->period);
	if (p->ncomments > 2) {
		w = put_hdr(w, 13, cp);
		for (uint32_t i = 0; i < p->ncomments; i++)
			w = put_varint(w, p->comments[i]);
	} else {
		for (uint32_t i = 0; i < p->ncomments; i++) {
			*w++ = KEY(13, WT_VARINT);
			w = put_varint(w, p->comments[i]);
		}
	}
	/* pprof writes default_sample_type even when it is 0. */
	*w++ = KEY(14, WT_VARINT);
	w = put_varint(w, p->default_sample_type);
	w = put_opt(w, 15, p->doc_url);
	commit(out, w);
	out->data[out->len] = 0;
	return HEARTH_OK;

oom:
	e = HEARTH_ENOMEM;
fail:
	/* Leave the buffer as it was, so a caller never sees half a profile. */
	out->len = start;
	if (out->data && out->cap > start)
		out->data[start] = 0;
	return e;
}

/* Compression level, measured with libdeflate 1.14 on 2 cores.  On
 * big.cpu.pb.gz (74.5 MB of profile.proto, 1M samples) level 1 took 0.58 s
 * for 49.0 MB and level 6 took 1.09 s for 47.6 MB: nearly twice the time for
 * 3% less.  On mid.cpu/mid.heap (7 MB) level 6 saves 5% for 2.2-2.7x the
 * time.  Profiles are mostly varints of ids and counts, which no effort
 * compresses well, so the fast level wins; it is what the Go runtime uses
 * for the profiles it writes (gzip.BestSpeed) and still beats `gzip -1`. */
#define GZIP_LEVEL 1

hearth_err hearth_gzip(const uint8_t *in, size_t n, uint8_t **out, size_t *outn)
{
	*out = NULL;
	*outn = 0;
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(GZIP_LEVEL);
	if (!c)
		return HEARTH_ENOMEM;
	size_t bound = libdeflate_gzip_compress_bound(c, n);
	uint8_t *buf = malloc(bound ? bound : 1);
	if (!buf) {
		libdeflate_free_compressor(c);
		return HEARTH_ENOMEM;
	}
	size_t m = libdeflate_gzip_compress(c, in, n, buf, bound);
	libdeflate_free_compressor(c);
	if (m == 0) { /* cannot happen with a bound-sized buffer */
		free(buf);
		return HEARTH_ENOMEM;
	}
	uint8_t *shrunk = realloc(buf, m);
	*out = shrunk ? shrunk : buf;
	*outn = m;
	return HEARTH_OK;
}

static hearth_err write_all(int fd, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t k = write(fd, b, n > (1u << 30) ? (1u << 30) : n);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return HEARTH_EIO;
		}
		b += k;
		n -= (size_t)k;
	}
	return HEARTH_OK;
}

/* Opens "<path>.tmpXXXXXX" exclusively.  open() with mode 0666 rather than
 * mkstemp(), whose 0600 would make the final file unreadable to others where
 * a user expects the umask to decide, as for any file a tool writes. */
static int open_tmp(const char *path, char *tmp, size_t tmpn)
{
	static const char alnum[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	for (int attempt = 0; attempt < 100; attempt++) {
		uint8_t r[6];
		if (getrandom(r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
			uint64_t x = (uint64_t)getpid() * 0x9E3779B97F4A7C15ull ^
				     (uint64_t)time(NULL) ^ ((uint64_t)attempt << 40) ^
				     (uint64_t)clock();
			for (size_t i = 0; i < sizeof(r); i++, x >>= 8)
				r[i] = (uint8_t)x;
		}
		char sfx[7];
		for (size_t i = 0; i < sizeof(r); i++)
			sfx[i] = alnum[r[i] % (sizeof(alnum) - 1)];
		sfx[6] = 0;
		snprintf(tmp, tmpn, "%s.tmp%s", path, sfx);
		int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

hearth_err hearth_write_bytes(const char *path, const void *data, size_t n, hearth_errbuf *eb)
{
	char *tmp = NULL;
	char ebuf[128];
	int fd = -1;
	hearth_err e = HEARTH_OK;
	if (strcmp(path, "-") == 0) {
		if (write_all(STDOUT_FILENO, data, n) != HEARTH_OK)
			e = hearth_seterr(eb, HEARTH_EIO, "writing to standard output: %s",
					  strerror_r(errno, ebuf, sizeof(ebuf)));
		return e;
	}
	size_t tmpn = strlen(path) + sizeof(".tmpXXXXXX");
	if (!(tmp = malloc(tmpn)))
		return hearth_seterr(eb, HEARTH_ENOMEM, "%s: %s", path,
				     hearth_strerror(HEARTH_ENOMEM));
	/* Errors name the file the user asked for, not the temporary one. */
	fd = open_tmp(path, tmp, tmpn);
	if (fd < 0) {
		e = hearth_seterr(eb, HEARTH_EIO, "cannot create %s: %s", path,
				  strerror_r(errno, ebuf, sizeof(ebuf)));
		goto out;
	}
	if (write_all(fd, data, n) != HEARTH_OK) {
		e = hearth_seterr(eb, HEARTH_EIO, "writing %s: %s", path,
				  strerror_r(errno, ebuf, sizeof(ebuf)));
		goto out_unlink;
	}
	int rc = close(fd);
	fd = -1;
	if (rc != 0) { /* delayed write errors (NFS, quotas) surface here */
		e = hearth_seterr(eb, HEARTH_EIO, "writing %s: %s", path,
				  strerror_r(errno, ebuf, sizeof(ebuf)));
		goto out_unlink;
	}
	if (rename(tmp, path) != 0) {
		e = hearth_seterr(eb, HEARTH_EIO, "cannot write %s: %s", path,
				  strerror_r(errno, ebuf, sizeof(ebuf)));
		goto out_unlink;
	}
	goto out;
out_unlink:
	if (fd >= 0)
		close(fd);
	fd = -1;
	unlink(tmp);
out:
	if (fd >= 0)
		close(fd);
	free(tmp);
	return e;
}

hearth_err hearth_write_file(const hearth_profile *p, const char *path, hearth_errbuf *eb)
{
	hearth_buf raw = {0};
	uint8_t *gz = NULL;
	size_t gzn = 0;
	hearth_err e = hearth_proto_encode(p, &raw);
	if (e != HEARTH_OK) {
		hearth_seterr(eb, e, "%s: encoding profile: %s", path, hearth_strerror(e));
		goto out;
	}
	e = hearth_gzip((const uint8_t *)raw.data, raw.len, &gz, &gzn);
	hearth_buf_free(&raw); /* lower the peak before the write */
	if (e != HEARTH_OK) {
		hearth_seterr(eb, e, "%s: compressing profile: %s", path, hearth_strerror(e));
		goto out;
	}
	e = hearth_write_bytes(path, gz, gzn, eb);
out:
	free(gz);
	hearth_buf_free(&raw);
	return e;
}
