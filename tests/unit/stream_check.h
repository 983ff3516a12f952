/* The check test_core and fuzz_proto_stream make of the streaming
 * profile.proto decoder (hearth_proto_decode_stream) against the two-pass
 * one, on input that arrives in steps; included by both
 * (tests/fuzz/fuzz_proto_stream.c from ../unit/). */
#ifndef HEARTH_TESTS_STREAM_CHECK_H
#define HEARTH_TESTS_STREAM_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "hearth/io.h"

/* n bytes that arrive step bytes at a time; got have arrived. */
typedef struct {
	size_t n, step, got;
} arrival;

/* A hearth_proto_avail: waits for want bytes by letting steps arrive. */
static size_t arrive(void *ctx, size_t want)
{
	arrival *a = ctx;
	while (a->got < want && a->got < a->n)
		a->got += a->step;
	if (a->got > a->n)
		a->got = a->n;
	return a->got;
}

/* memcmp, but empty arrays (maybe NULL) are equal. */
#define SAME_BYTES(x, y, n) ((n) == 0 || memcmp((x), (y), (n)) == 0)

/* Whether p and q hold the same profile, array for array: the same encoding
 * and the same samples, values, frames, labels and strings. */
static bool same_profile(const hearth_profile *p, const hearth_profile *q)
{
	hearth_buf x = {0}, y = {0};
	bool same =
	    hearth_proto_encode(p, &x) == HEARTH_OK && hearth_proto_encode(q, &y) == HEARTH_OK &&
	    x.len == y.len && SAME_BYTES(x.data, y.data, x.len) && p->nsamples == q->nsamples &&
	    p->nlocs == q->nlocs && p->nlabels == q->nlabels && p->nstrs == q->nstrs &&
	    p->nsample_types == q->nsample_types &&
	    SAME_BYTES(p->samples, q->samples, sizeof(*p->samples) * p->nsamples) &&
	    SAME_BYTES(p->values, q->values, sizeof(*p->values) * p->nsamples * p->nsample_types) &&
	    SAME_BYTES(p->locs, q->locs, sizeof(*p->locs) * p->nlocs) &&
	    SAME_BYTES(p->labels, q->labels, sizeof(*p->labels) * p->nlabels);
	for (uint32_t i = 0; same && i < p->nstrs; i++)
		same = p->strs[i].len == q->strs[i].len &&
		       SAME_BYTES(p->strs[i].s, q->strs[i].s, p->strs[i].len);
	hearth_buf_free(&x);
	hearth_buf_free(&y);
	return same;
}

/* Decodes b[0..n) both ways, the streaming decoder's input arriving step
 * bytes at a time.  It may give up, but what it accepts the two-pass one
 * accepts too, with the same profile.  Returns NULL when that holds, with
 * *accepted whether the streaming decoder accepted the input, else what is
 * wrong (in msg). */
static const char *stream_mismatch(const uint8_t *b, size_t n, size_t step, bool raw_strings,
				   bool *accepted, char *msg, size_t msgn)
{
	hearth_read_opts o = {.raw_strings = raw_strings};
	hearth_profile *p = NULL, *q = NULL;
	hearth_errbuf eb = {{0}};
	arrival a = {n, step, 0};
	hearth_err e1 = hearth_proto_decode_opts(b, n, &o, &p, &eb);
	hearth_err e2 = hearth_proto_decode_stream(b, arrive, &a, &o, &q);
	const char *bad = msg;
	if (e2 == HEARTH_OK && e1 != HEARTH_OK)
		snprintf(msg, msgn, "streaming decoder accepts what the two-pass one refuses (%s)",
			 eb.msg);
	else if (e2 == HEARTH_OK && !same_profile(p, q))
		snprintf(msg, msgn,
			 "streaming decoder gives another profile (%zu bytes, steps of %zu)", n,
			 step);
	else
		bad = NULL;
	hearth_profile_free(p);
	hearth_profile_free(q);
	*accepted = e2 == HEARTH_OK;
	return bad;
}

#endif
