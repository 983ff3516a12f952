/* Error codes of libhearth.  Every library call returns one; details (which
 * file, which byte offset) go into a hearth_errbuf the caller passes, so the
 * CLI can print one line that says what and where. */
#ifndef HEARTH_ERROR_H
#define HEARTH_ERROR_H

#include <stddef.h>

typedef enum {
	HEARTH_OK = 0,
	HEARTH_ENOMEM,   /* out of memory */
	HEARTH_EIO,      /* cannot read or write a file */
	HEARTH_EFORMAT,  /* the input is not a profile in any known format */
	HEARTH_ECORRUPT, /* a profile that is damaged (truncated, bad varint, ...) */
	HEARTH_ETOOBIG,  /* a size cap was hit (decompressed size, counts, depth) */
	HEARTH_EINVAL,   /* a bad option or argument */
	HEARTH_EINCOMPAT, /* profiles that cannot be merged */
	HEARTH_ECOST,	  /* a request that would cost too much (a regexp's match limit) */
	HEARTH_EBUDGET	  /* work stopped: its time budget spent, its client gone, or a
			     shutdown (include/hearth/budget.h) */
} hearth_err;

const char *hearth_strerror(hearth_err e);

/* A message buffer filled by the call that fails: "offset 1234: truncated varint". */
typedef struct {
	char msg[512];
} hearth_errbuf;

hearth_err hearth_seterr(hearth_errbuf *eb, hearth_err e, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
