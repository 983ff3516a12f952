/* Reading profile files: gzip detection with a cap on the decompressed size,
 * then profile.proto or one of the legacy formats. */
#include <errno.h>
#include <fcntl.h>
#include <libdeflate.h>
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

hearth_err hearth_parse(const uint8_t *data, size_t n, const hearth_read_opts *o,
			hearth_profile **out, hearth_errbuf *eb)
{
	size_t max = o && o->max_size ? o->max_size : HEARTH_DEFAULT_MAX_SIZE;
	uint8_t *raw = NULL;
	hearth_err err;
	*out = NULL;
	if (n == 0)
		return hearth_seterr(eb, HEARTH_EFORMAT, "empty input");
	if (n >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
		size_t rn;
		err = hearth_gunzip(data, n, max, &raw, &rn, eb);
		if (err)
			return err;
		data = raw;
		n = rn;
		if (n == 0) {
			free(raw);
			return hearth_seterr(eb, HEARTH_EFORMAT, "empty input (after gunzip)");
		}
	}
	if (n > max) {
		free(raw);
		return hearth_seterr(eb, HEARTH_ETOOBIG,
				     "input exceeds %zu bytes (raise it with -max_size)", max);
	}
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
	free(raw);
	return err;
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
	err = hearth_parse(buf, len, o, out, eb);
out:
	if (fd > 0)
		close(fd);
	free(buf);
	return err;
}
