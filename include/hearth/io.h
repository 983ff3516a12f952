/* Reading and writing profiles: profile.proto (gzipped or not) and every
 * legacy format pprof reads.  Readers treat their input as hostile. */
#ifndef HEARTH_IO_H
#define HEARTH_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "hearth/buf.h"
#include "hearth/profile.h"

/* Default cap on the decompressed size of one profile; -max_size raises it. */
#define HEARTH_DEFAULT_MAX_SIZE ((size_t)1 << 30)

typedef struct {
	size_t max_size; /* cap on decompressed bytes; 0 means the default */
	/* Keep profile.proto's string table as written instead of folding equal
	 * strings into one index: for a profile that only goes into a merge,
	 * which interns what it takes anyway (a third of the cost of reading a
	 * long series of small profiles is interning). */
	bool raw_strings;
} hearth_read_opts;

/* Reads a file (or "-" for stdin) in any supported format. */
hearth_err hearth_read_file(const char *path, const hearth_read_opts *o, hearth_profile **out,
			    hearth_errbuf *eb);
/* Detects gzip and the format of data[0..n) and parses it. */
hearth_err hearth_parse(const uint8_t *data, size_t n, const hearth_read_opts *o,
			hearth_profile **out, hearth_errbuf *eb);

/* gzip: whole-buffer decompression with a cap on the output size. */
hearth_err hearth_gunzip(const uint8_t *in, size_t n, size_t max_out, uint8_t **out,
			 size_t *outn, hearth_errbuf *eb);
hearth_err hearth_gzip(const uint8_t *in, size_t n, uint8_t **out, size_t *outn);

/* profile.proto, uncompressed bytes. */
hearth_err hearth_proto_decode(const uint8_t *buf, size_t n, hearth_profile **out,
			       hearth_errbuf *eb);
/* The same, with the reading options (raw_strings). */
hearth_err hearth_proto_decode_opts(const uint8_t *buf, size_t n, const hearth_read_opts *o,
				    hearth_profile **out, hearth_errbuf *eb);
/* profile.proto while its bytes still arrive (decompressed by another
 * thread): buf fills from its start, and avail(ctx, want) waits until at
 * least want bytes of it are there or the input is complete, and returns how
 * many are there.  Samples are decoded as they arrive.  Any error, and any
 * input this path is not sure of, returns an error without a message: the
 * caller then decodes the whole input with hearth_proto_decode_opts, which
 * gives the same profile or says what is wrong. */
typedef size_t (*hearth_proto_avail)(void *ctx, size_t want);
hearth_err hearth_proto_decode_stream(const uint8_t *buf, hearth_proto_avail avail, void *ctx,
				      const hearth_read_opts *o, hearth_profile **out);
hearth_err hearth_proto_encode(const hearth_profile *p, hearth_buf *out);
/* Writes n bytes to path atomically: a temporary file in the same directory,
 * renamed into place, so a failure never leaves a partial file; "-" is
 * standard output.  Errors name path. */
hearth_err hearth_write_bytes(const char *path, const void *data, size_t n, hearth_errbuf *eb);
/* Writes p gzipped to path atomically (a temporary file renamed into place). */
hearth_err hearth_write_file(const hearth_profile *p, const char *path, hearth_errbuf *eb);

/* Every legacy text and binary format pprof reads (see lib/legacy.c).
 * Returns HEARTH_EFORMAT when the data is in none of them. */
hearth_err hearth_legacy_parse(const uint8_t *buf, size_t n, hearth_profile **out,
			       hearth_errbuf *eb);

/* Folded stacks, "frame;frame;frame value" lines (see lib/folded.c).
 * Returns HEARTH_EFORMAT when the data does not start like them. */
hearth_err hearth_folded_parse(const uint8_t *buf, size_t n, hearth_profile **out,
			       hearth_errbuf *eb);

#endif
