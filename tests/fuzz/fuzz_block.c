/* libFuzzer target: the store's sample blocks (lib/store/codec.c,
 * hs_block_add), versions 1 and 2, as a merge or a get reads them from the
 * database or an object store.
 *
 * The input is a block before deflate (the first byte picks the number of
 * sample types, 1 to 4, and whether the accumulator merges); the target
 * deflates it as the store does, so that mutations reach the layout rather
 * than the deflate stream.  A block refused must come with a message; one
 * accepted is encoded again (version 2) and read back: the same number of
 * samples and the same totals per sample type.
 *
 * Build and run: make fuzz; tests/fuzz/run.sh short|long.  Seeds:
 * tests/fuzz/regress/block_v1_leaky_cpu and block_v2_leaky_cpu. */
#include <libdeflate.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/codec.h"

static void check_msg(hearth_err err, const hearth_errbuf *eb)
{
	size_t n = strnlen(eb->msg, sizeof(eb->msg));
	if (err != HEARTH_ENOMEM && (n == 0 || n == sizeof(eb->msg))) {
		fprintf(stderr, "block: error %d without a message\n", (int)err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1u << 20))
		return 0;
	uint32_t nst = 1 + (data[0] & 3);
	bool merge = data[0] & 4;
	const uint8_t *raw = data + 1;
	size_t rawn = size - 1;
	struct libdeflate_compressor *c = libdeflate_alloc_compressor(1);
	hs_out z = {0}, again = {0};
	hs_acc *a = hs_acc_new(nst, merge), *b = hs_acc_new(nst, merge);
	if (!c || !a || !b)
		goto out;
	hs_put_uv(&z, rawn);
	size_t head = z.n, bound = libdeflate_deflate_compress_bound(c, rawn);
	uint8_t *buf = malloc(head + bound);
	if (!buf || z.oom) {
		free(buf);
		goto out;
	}
	memcpy(buf, z.p, head);
	size_t zn = libdeflate_deflate_compress(c, raw, rawn, buf + head, bound);
	hearth_errbuf eb = {{0}};
	hearth_err err = zn ? hs_block_add(a, buf, head + zn, &eb) : HEARTH_EINVAL;
	free(buf);
	if (!zn)
		goto out;
	if (err) {
		check_msg(err, &eb);
		goto out;
	}
	if (hs_block_encode(a, merge, &again))
		goto out; /* out of memory */
	err = hs_block_add(b, again.p, again.n, &eb);
	if (err) {
		check_msg(err, &eb);
		if (err != HEARTH_ENOMEM) {
			fprintf(stderr, "block: a block hearth wrote does not read: %s\n", eb.msg);
			abort();
		}
		goto out;
	}
	int64_t ta[4], tb[4];
	hs_acc_totals(a, ta);
	hs_acc_totals(b, tb);
	if (hs_acc_n(a) != hs_acc_n(b) || memcmp(ta, tb, nst * sizeof(int64_t))) {
		fprintf(stderr, "block: %zu samples read back as %zu, or other totals\n",
			hs_acc_n(a), hs_acc_n(b));
		abort();
	}
out:
	libdeflate_free_compressor(c);
	hs_out_free(&z);
	hs_out_free(&again);
	hs_acc_free(a);
	hs_acc_free(b);
	return 0;
}
