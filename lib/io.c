/* Reading profile files: gzip detection with a cap on the decompressed size,
 * then profile.proto or one of the legacy formats. */
#include <errno.h>
#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <libdeflate.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "hearth/io.h"
#include "util.h"

/* Streaming inflate for inputs whose gzip trailer does not tell the size (or
 * lies about it, as a gzip bomb's does): zlib stops exactly at the cap. */
static hearth_err gunzip_stream(const uint8_t *in, size_t n, size_t max_out, uint8_t **out,
				size_t *outn, hearth_errbuf *eb)
{
	z_stream z = {0};
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	hearth_err err = HEARTH_OK;
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return HEARTH_ENOMEM;
	z.next_in = (Bytef *)in;
	const uint8_t *end = in + n;
	for (;;) {
		size_t avail_in = (size_t)(end - z.next_in);
		z.avail_in = avail_in > UINT32_MAX ? UINT32_MAX : (uInt)avail_in;
		if (len == cap) {
			if (cap >= max_out) {
				err = hearth_seterr(eb, HEARTH_ETOOBIG,
						    "decompressed size exceeds %zu bytes (raise it with "
						    "-max_size)",
						    max_out);
				goto out;
			}
			size_t want = cap ? cap * 2 : (n * 4 > 65536 ? n * 4 : 65536);
			if (want > max_out)
				want = max_out;
			uint8_t *nb = realloc(buf, want + 1);
			if (!nb) {
				err = HEARTH_ENOMEM;
				goto out;
			}
			buf = nb;
			cap = want;
		}
		size_t room = cap - len;
		z.next_out = buf + len;
		z.avail_out = room > UINT32_MAX ? UINT32_MAX : (uInt)room;
		uInt before = z.avail_out;
		int rc = inflate(&z, Z_NO_FLUSH);
		len += before - z.avail_out;
		if (rc == Z_STREAM_END) {
			/* Concatenated gzip members are one stream, as gzip -d reads them. */
			if (z.next_in < end && end - z.next_in >= 2 && z.next_in[0] == 0x1f &&
			    z.next_in[1] == 0x8b) {
				if (inflateReset(&z) != Z_OK) {
					err = HEARTH_ENOMEM;
					goto out;
				}
				continue;
			}
			break;
		}
		if (rc == Z_BUF_ERROR && z.avail_out > 0) {
			err = hearth_seterr(eb, HEARTH_ECORRUPT, "offset %zu: truncated gzip data",
					    (size_t)(z.next_in - in));
			goto out;
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			err = hearth_seterr(eb, HEARTH_ECORRUPT, "offset %zu: bad gzip data (%s)",
					    (size_t)(z.next_in - in), z.msg ? z.msg : "inflate failed");
			goto out;
		}
	}
out:
	inflateEnd(&z);
	if (err) {
		free(buf);
		return err;
	}
	*out = buf;
	*outn = len;
	return HEARTH_OK;
}

hearth_err hearth_gunzip(const uint8_t *in, size_t n, size_t max_out, uint8_t **out,
			 size_t *outn, hearth_errbuf *eb)
{
	*out = NULL;
	*outn = 0;
	if (n < 18)
		return hearth_seterr(eb, HEARTH_ECORRUPT, "offset %zu: truncated gzip data", n);
	/* The trailer's size (mod 2^32) is right for every honest file under
	 * 4 GB; libdeflate decompresses the whole buffer in one call, which is
	 * about three times faster than zlib's streaming inflate. */
	size_t hint = (size_t)in[n - 4] | (size_t)in[n - 3] << 8 | (size_t)in[n - 2] << 16 |
		      (size_t)in[n - 1] << 24;
	if (hint > 0 && hint <= max_out) {
		struct libdeflate_decompressor *d = libdeflate_alloc_decompressor();
		uint8_t *buf = malloc(hint + 1);
		if (!d || !buf) {
			libdeflate_free_decompressor(d);
			free(buf);
			return HEARTH_ENOMEM;
		}
		size_t in_used = 0, got = 0;
		enum libdeflate_result rc =
			libdeflate_gzip_decompress_ex(d, in, n, buf, hint, &in_used, &got);
		libdeflate_free_decompressor(d);
		if (rc == LIBDEFLATE_SUCCESS && in_used == n && got == hint) {
			*out = buf;
			*outn = got;
			return HEARTH_OK;
		}
		free(buf);
		/* Several members, a lying trailer or damage: let zlib say which. */
	}
	return gunzip_stream(in, n, max_out, out, outn, eb);
}

/* Text is ASCII or UTF-8 without control characters.  Bytes >= 0x80 must
 * form UTF-8 sequences: a damaged profile.proto often starts with printable
 * bytes followed by high ones, and its decoder error (with the offset) says
 * more than "not a profile". */
static bool looks_like_text(const uint8_t *d, size_t n)
{
	size_t m = n < 256 ? n : 256;
	for (size_t i = 0; i < m; i++) {
		if (d[i] < 0x09 || (d[i] > 0x0d && d[i] < 0x20 && d[i] != 0x1b))
			return false;
		if (d[i] < 0x80)
			continue;
		size_t more = d[i] >= 0xc2 && d[i] <= 0xdf   ? 1
			      : d[i] >= 0xe0 && d[i] <= 0xef ? 2
			      : d[i] >= 0xf0 && d[i] <= 0xf4 ? 3
							     : 0;
		if (more == 0)
			return false;
		/* A sequence cut by the end of the window is given the benefit
		 * of the doubt. */
		for (size_t k = 1; k <= more && i + k < m; k++)
			if ((d[i + k] & 0xc0) != 0x80)
				return false;
		i += more;
	}
	return true;
}

static bool starts(const uint8_t *d, size_t n, const char *s)
{
	size_t k = strlen(s);
	return n >= k && !memcmp(d, s, k);
}

/* A line of a GODEBUG=gctrace=1 or schedtrace log: "gc 12 @3.4s ...",
 * "SCHED 1002ms: ...", "scvg..." . */
static bool godebug_line(const uint8_t *d, size_t n)
{
	if (starts(d, n, "SCHED ") || starts(d, n, "scvg") || starts(d, n, "GC forced"))
		return true;
	if (!starts(d, n, "gc "))
		return false;
	size_t i = 3;
	while (i < n && d[i] >= '0' && d[i] <= '9')
		i++;
	return i > 3 && i + 2 < n && d[i] == ' ' && d[i + 1] == '@';
}

/* What data is when it is no profile but something Go writes that hearth
 * or Go reads elsewhere: a message naming it and its reader, or NULL. */
static const char *known_other(const uint8_t *d, size_t n)
{
	if (starts(d, n, "go 1.") && memmem(d, n < 32 ? n : 32, " trace\0", 7))
		return "an execution trace (runtime/trace, /debug/pprof/trace), not a profile: "
		       "read it with hearth trace (or go tool trace)";
	if (starts(d, n, "\177ELF")) {
		bool go = memmem(d, n, ".gopclntab", 10) || memmem(d, n, "\xff Go build", 10);
		return go ? "a Go program, not a profile: give it before the profile "
			    "(hearth ./prog cpu.pb.gz) to name the profile's addresses"
			  : "an ELF program, not a profile: give it before the profile "
			    "(hearth ./prog cpu.pb.gz) to name the profile's addresses";
	}
	/* The first lines that are not blank decide. */
	size_t i = 0;
	while (i < n && (d[i] == '\n' || d[i] == '\r'))
		i++;
	if (godebug_line(d + i, n - i))
		return "a GODEBUG log (gctrace, schedtrace), not a profile: read it with "
		       "hearth godebug";
	if (starts(d + i, n - i, "goroutine ") && i + 10 < n && d[i + 10] >= '0' &&
	    d[i + 10] <= '9')
		return "a goroutine dump (goroutine?debug=2, or a crash's stacks), not a profile: "
		       "pprof's formats are goroutine?debug=1 and the profile itself (debug=0), "
		       "which hearth top reads";
	return NULL;
}

/* Decompressed (or never compressed) data: profile.proto, else a legacy
 * format, else folded stacks. */
static hearth_err parse_plain(const uint8_t *data, size_t n, const hearth_read_opts *o,
			      hearth_profile **out, hearth_errbuf *eb)
{
	size_t max = o && o->max_size ? o->max_size : HEARTH_DEFAULT_MAX_SIZE;
	hearth_err err;
	if (n > max)
		return hearth_seterr(eb, HEARTH_ETOOBIG,
				     "input exceeds %zu bytes (raise it with -max_size)", max);
	hearth_errbuf perr = {{0}};
	err = hearth_proto_decode_opts(data, n, o, out, &perr);
	if (err == HEARTH_ECORRUPT) {
		hearth_errbuf lerr = {{0}};
		hearth_err e2 = hearth_legacy_parse(data, n, out, &lerr);
		/* Folded stacks last: their lines are the loosest format. */
		if (e2 == HEARTH_EFORMAT) {
			hearth_errbuf ferr = {{0}};
			e2 = hearth_folded_parse(data, n, out, &ferr);
			if (e2 != HEARTH_OK && e2 != HEARTH_EFORMAT)
				lerr = ferr;
		}
		if (e2 == HEARTH_OK) {
			err = HEARTH_OK;
		} else if (e2 != HEARTH_EFORMAT) {
			err = e2;
			*eb = lerr;
		} else if (looks_like_text(data, n)) {
			err = hearth_seterr(eb, HEARTH_EFORMAT,
					    "not a profile: text in no format pprof reads");
		} else {
			*eb = perr;
		}
	} else if (err) {
		*eb = perr;
	}
	if (err == HEARTH_EFORMAT || err == HEARTH_ECORRUPT) {
		const char *what = known_other(data, n);
		if (what)
			err = hearth_seterr(eb, HEARTH_EFORMAT, "%s", what);
	}
	return err;
}

/* ---- Decompressing and decoding at once ----------------------------------
 *
 * A large gzipped profile is inflated by a thread of its own while the
 * calling thread decodes what is already there (hearth_proto_decode_stream),
 * so that on two cores reading costs about the larger of the two instead of
 * their sum.  ISA-L's inflate streams about as fast as libdeflate's
 * whole-buffer one (zlib's takes 1.4 times as long, measured on
 * big.cpu.pb.gz).  The output goes into one buffer of the size the gzip
 * trailer gives, which never moves while the decoder reads it.  The fast path
 * takes only a single gzip member of exactly that size, whose checksum holds;
 * anything else (several members, trailing bytes, a trailer that lies,
 * damage) goes the usual way, which also says what is wrong. */

/* Below this decompressed size a thread costs more than the overlap saves. */
#define STREAM_MIN ((size_t)4 << 20)
#define IN_CHUNK ((size_t)1 << 20)
#define OUT_STEP ((uint32_t)1 << 20)

typedef struct {
	int fd;		   /* compressed input read from fd, or */
	const uint8_t *in; /* from memory */
	size_t inn;
	uint8_t *out;
	size_t want; /* the trailer's size: the output must be exactly this */
	size_t produced;
	bool done, ok;
	pthread_mutex_t mu;
	pthread_cond_t cv;
} pipe_inflate;

static void publish(pipe_inflate *z, size_t produced, bool done, bool ok)
{
	pthread_mutex_lock(&z->mu);
	z->produced = produced;
	z->done = done;
	z->ok = ok;
	pthread_cond_broadcast(&z->cv);
	pthread_mutex_unlock(&z->mu);
}

static void *inflate_main(void *arg)
{
	pipe_inflate *z = arg;
	struct inflate_state st;
	uint8_t *chunk = NULL;
	bool eof = z->fd < 0, ok = false;
	size_t len = 0;
	isal_inflate_init(&st);
	st.crc_flag = ISAL_GZIP;
	if (z->fd >= 0) {
		if (!(chunk = malloc(IN_CHUNK)))
			goto out;
	} else {
		st.next_in = (uint8_t *)z->in;
		st.avail_in = (uint32_t)z->inn;
	}
	for (;;) {
		if (st.avail_in == 0 && !eof) {
			ssize_t r = read(z->fd, chunk, IN_CHUNK);
			if (r < 0 && errno == EINTR)
				continue;
			if (r < 0)
				goto out;
			eof = r == 0;
			st.next_in = chunk;
			st.avail_in = (uint32_t)r;
		}
		/* One byte of room past the expected size tells a trailer that
		 * says less than the data holds. */
		size_t room = z->want + 1 - len;
		if (room == 0)
			goto out;
		st.next_out = z->out + len;
		st.avail_out = room < OUT_STEP ? (uint32_t)room : OUT_STEP;
		uint32_t in0 = st.avail_in, out0 = st.avail_out;
		if (isal_inflate(&st) != ISAL_DECOMP_OK)
			goto out;
		len += out0 - st.avail_out;
		if (st.block_state == ISAL_BLOCK_FINISH)
			break;
		if (in0 == st.avail_in && out0 == st.avail_out && eof)
			goto out; /* truncated */
		publish(z, len, false, false);
	}
	if (len != z->want || st.avail_in != 0)
		goto out;
	if (!eof) {
		/* Nothing may follow the member. */
		ssize_t r;
		do
			r = read(z->fd, chunk, 1);
		while (r < 0 && errno == EINTR);
		if (r != 0)
			goto out;
	}
	ok = true;
out:
	free(chunk);
	publish(z, len, true, ok);
	return NULL;
}

static size_t pipe_avail(void *ctx, size_t want)
{
	pipe_inflate *z = ctx;
	pthread_mutex_lock(&z->mu);
	while (z->produced < want && !z->done)
		pthread_cond_wait(&z->cv, &z->mu);
	size_t n = z->produced;
	pthread_mutex_unlock(&z->mu);
	return n;
}

/* The gzip trailer's size when the input is gzip and large enough to be
 * worth the thread, else 0. */
static size_t stream_hint(const uint8_t head[2], const uint8_t tail[4], size_t max)
{
	if (head[0] != 0x1f || head[1] != 0x8b)
		return 0;
	size_t hint =
	    (size_t)tail[0] | (size_t)tail[1] << 8 | (size_t)tail[2] << 16 | (size_t)tail[3] << 24;
	return hint >= STREAM_MIN && hint <= max ? hint : 0;
}

/* Inflates (from fd, or in[0..inn) when fd < 0) and decodes at once.  Returns
 * false when the input must go the usual way (it was not inflated whole);
 * else *err is the outcome. */
static bool parse_streamed(int fd, const uint8_t *in, size_t inn, size_t hint,
			   const hearth_read_opts *o, hearth_profile **out, hearth_errbuf *eb,
			   hearth_err *err)
{
	pipe_inflate z = {.fd = fd, .in = in, .inn = inn, .want = hint};
	pthread_t th;
	hearth_profile *p = NULL;
	if (!(z.out = malloc(hint + 1)))
		return false;
	pthread_mutex_init(&z.mu, NULL);
	pthread_cond_init(&z.cv, NULL);
	bool handled = false;
	if (pthread_create(&th, NULL, inflate_main, &z) != 0)
		goto out;
	hearth_err e = hearth_proto_decode_stream(z.out, pipe_avail, &z, o, &p);
	pipe_avail(&z, SIZE_MAX); /* the inflater's end */
	pthread_join(th, NULL);
	if (!z.ok) {
		hearth_profile_free(p);
		goto out;
	}
	handled = true;
	if (e == HEARTH_OK) {
		*out = p;
		*err = HEARTH_OK;
	} else {
		/* Not a profile.proto the fast path takes: the usual decoding of
		 * the same bytes says what it is. */
		*err = parse_plain(z.out, hint, o, out, eb);
	}
out:
	free(z.out);
	pthread_mutex_destroy(&z.mu);
	pthread_cond_destroy(&z.cv);
	return handled;
}

/* hearth_parse; stream says whether a large gzip member may go the fast
 * way (not when it just failed to, read from the file). */
static hearth_err parse(const uint8_t *data, size_t n, bool stream, const hearth_read_opts *o,
			hearth_profile **out, hearth_errbuf *eb)
{
	size_t max = o && o->max_size ? o->max_size : HEARTH_DEFAULT_MAX_SIZE;
	*out = NULL;
	if (n == 0)
		return hearth_seterr(eb, HEARTH_EFORMAT, "empty input");
	if (n >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
		uint8_t *raw = NULL;
		size_t rn;
		hearth_err err;
		size_t hint =
		    stream && n >= 18 && n <= UINT32_MAX ? stream_hint(data, data + n - 4, max) : 0;
		if (hint && parse_streamed(-1, data, n, hint, o, out, eb, &err))
			return err;
		err = hearth_gunzip(data, n, max, &raw, &rn, eb);
		if (err)
			return err;
		if (rn == 0) {
			free(raw);
			return hearth_seterr(eb, HEARTH_EFORMAT, "empty input (after gunzip)");
		}
		err = parse_plain(raw, rn, o, out, eb);
		free(raw);
		return err;
	}
	return parse_plain(data, n, o, out, eb);
}

hearth_err hearth_parse(const uint8_t *data, size_t n, const hearth_read_opts *o,
			hearth_profile **out, hearth_errbuf *eb)
{
	return parse(data, n, true, o, out, eb);
}

hearth_err hearth_read_file(const char *path, const hearth_read_opts *o, hearth_profile **out,
			    hearth_errbuf *eb)
{
	size_t max = o && o->max_size ? o->max_size : HEARTH_DEFAULT_MAX_SIZE;
	int fd = strcmp(path, "-") == 0 ? 0 : open(path, O_RDONLY | O_CLOEXEC);
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0;
	hearth_err err = HEARTH_OK;
	struct stat st;
	bool streamed = false; /* tried, and left to the usual way */
	*out = NULL;
	if (fd < 0)
		return hearth_seterr(eb, HEARTH_EIO, "%s", strerror(errno));
	size_t want = 65536;
	if (fstat(fd, &st) == 0) {
		if (S_ISDIR(st.st_mode)) {
			err = hearth_seterr(eb, HEARTH_EIO, "is a directory");
			goto out;
		}
		/* One byte more than the size, so the read that sees EOF needs no
		 * second allocation. */
		if (S_ISREG(st.st_mode) && st.st_size > 0)
			want = (size_t)st.st_size + 1;
		/* A large gzipped file is inflated as it is read, and decoded as
		 * it is inflated; the compressed bytes are never all in memory. */
		uint8_t head[2], tail[4];
		size_t hint;
		if (S_ISREG(st.st_mode) && st.st_size >= 18 && (uint64_t)st.st_size <= max &&
		    pread(fd, head, 2, 0) == 2 && pread(fd, tail, 4, st.st_size - 4) == 4 &&
		    (hint = stream_hint(head, tail, max)) && lseek(fd, 0, SEEK_SET) == 0) {
			if (parse_streamed(fd, NULL, 0, hint, o, out, eb, &err))
				goto out;
			streamed = true;
			if (lseek(fd, 0, SEEK_SET) != 0) {
				err = hearth_seterr(eb, HEARTH_EIO, "%s", strerror(errno));
				goto out;
			}
		}
	}
	/* The compressed input is capped too: nothing gzip makes is larger
	 * than its output. */
	for (;;) {
		if (len == cap) {
			if (cap)
				want = cap * 2;
			if (want > max + 1)
				want = max + 1;
			if (len >= want) {
				err = hearth_seterr(eb, HEARTH_ETOOBIG,
						    "file exceeds %zu bytes (raise it with -max_size)",
						    max);
				goto out;
			}
			uint8_t *nb = realloc(buf, want);
			if (!nb) {
				err = HEARTH_ENOMEM;
				goto out;
			}
			buf = nb;
			cap = want;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = hearth_seterr(eb, HEARTH_EIO, "%s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
	}
	err = parse(buf, len, !streamed, o, out, eb);
out:
	if (fd > 0)
		close(fd);
	free(buf);
	return err;
}
