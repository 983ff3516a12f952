/* libFuzzer target: the runtime.MemStats block of heap?debug=1
 * (lib/collect/memstats.c), which hearth scrape reads from every target.
 *
 * An accepted block has NumGC; its pause quantiles are ordered and within
 * the pauses it lists.  A refused one comes with a one-line message.
 *
 * Build and run: make fuzz; tests/fuzz/run.sh short|long. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hearth_memstats ms;
	hearth_errbuf eb = {{0}};
	hearth_err err = hearth_memstats_parse((const char *)data, size, &ms, &eb);
	if (err) {
		size_t n = strnlen(eb.msg, sizeof(eb.msg));
		if (n == 0 || n == sizeof(eb.msg) || memchr(eb.msg, '\n', n))
			abort();
		return 0;
	}
	if (!ms.has_num_gc || ms.npause_ns > 256 || ms.npause_end > 256)
		abort();
	uint64_t q0 = hearth_memstats_pause_quantile(&ms, 0),
		 q5 = hearth_memstats_pause_quantile(&ms, 0.5),
		 q9 = hearth_memstats_pause_quantile(&ms, 0.99),
		 q1 = hearth_memstats_pause_quantile(&ms, 1);
	if (q0 > q5 || q5 > q9 || q9 > q1)
		abort();
	return 0;
}
