/* libFuzzer target: the streaming profile.proto decoder (samples decoded as
 * the input arrives, their ids mapped at the end) against the two-pass
 * decoder on the same bytes.
 *
 * The streaming path may give up on any input (its caller then decodes the
 * usual way), but when it accepts one it must give the profile the two-pass
 * decoder gives, array for array, and it must never accept what that decoder
 * refuses.  The bytes arrive in steps picked from the input, so fields cut at
 * every place are tried.  A gzipped input (the seeds are) is inflated first.
 *
 * Build and run: make fuzz; tests/fuzz/run.sh short|long. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/io.h"

typedef struct {
	size_t n, step, got;
} arrival;

static size_t arrive(void *ctx, size_t want)
{
	arrival *a = ctx;
	while (a->got < want && a->got < a->n)
		a->got += a->step;
	if (a->got > a->n)
		a->got = a->n;
	return a->got;
}

#define SAME(x, y, n) ((n) == 0 || memcmp((x), (y), (n)) == 0)

static void compare(const hearth_profile *p, const hearth_profile *q)
{
	hearth_buf x = {0}, y = {0};
	bool same =
	    hearth_proto_encode(p, &x) == HEARTH_OK && hearth_proto_encode(q, &y) == HEARTH_OK &&
	    x.len == y.len && SAME(x.data, y.data, x.len) && p->nsamples == q->nsamples &&
	    p->nlocs == q->nlocs && p->nlabels == q->nlabels && p->nstrs == q->nstrs &&
	    p->nsample_types == q->nsample_types &&
	    SAME(p->samples, q->samples, sizeof(*p->samples) * p->nsamples) &&
	    SAME(p->values, q->values, sizeof(*p->values) * p->nsamples * p->nsample_types) &&
	    SAME(p->locs, q->locs, sizeof(*p->locs) * p->nlocs) &&
	    SAME(p->labels, q->labels, sizeof(*p->labels) * p->nlabels);
	for (uint32_t i = 0; same && i < p->nstrs; i++)
		same = p->strs[i].len == q->strs[i].len &&
		       SAME(p->strs[i].s, q->strs[i].s, p->strs[i].len);
	hearth_buf_free(&x);
	hearth_buf_free(&y);
	if (!same) {
		fprintf(stderr,
			"the streaming decoder's profile differs from the two-pass one's\n");
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *raw = NULL;
	size_t n = size;
	hearth_errbuf eb = {{0}};
	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
		if (hearth_gunzip(data, size, 16 << 20, &raw, &n, &eb))
			return 0;
		data = raw;
	}
	for (int rs = 0; rs < 2; rs++) {
		hearth_read_opts o = {.max_size = 64 << 20, .raw_strings = rs};
		hearth_profile *p = NULL, *q = NULL;
		arrival a = {n, n ? 1 + data[n / 2] % 61 : 1, 0};
		hearth_err e1 = hearth_proto_decode_opts(data, n, &o, &p, &eb);
		hearth_err e2 = hearth_proto_decode_stream(data, arrive, &a, &o, &q);
		if (e2 == HEARTH_OK && e1 != HEARTH_OK) {
			fprintf(stderr,
				"the streaming decoder accepts what the two-pass one refuses: %s\n",
				eb.msg);
			abort();
		}
		if (e1 == HEARTH_OK && e2 == HEARTH_OK)
			compare(p, q);
		hearth_profile_free(p);
		hearth_profile_free(q);
	}
	free(raw);
	return 0;
}
