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

#include "../unit/stream_check.h"
#include "hearth/io.h"

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
		char msg[1024];
		bool accepted;
		if (stream_mismatch(data, n, n ? 1 + data[n / 2] % 61 : 1, rs, &accepted, msg,
				    sizeof(msg))) {
			fprintf(stderr, "%s\n", msg);
			abort();
		}
	}
	free(raw);
	return 0;
}
