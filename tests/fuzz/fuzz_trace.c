/* libFuzzer target: the execution-trace readers (lib/runtime/trace_v2.c for
 * Go 1.22 and later, trace_v1.c for Go 1.19) and the analyses behind them
 * (goroutines, blocking profiles, MMU, Chrome JSON), in both readings of a
 * Go 1.19 trace and with every MMU option.  The input is read as
 * a trace file; a refused input must come with a one-line message.  Inputs
 * without a trace header get one of Go 1.26's or Go 1.19's put in front
 * (by their first byte), so the fuzzer reaches the readers at once.
 *
 * Build and run: make fuzz; tests/fuzz/run.sh short|long. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/io.h"
#include "hearth/trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (4u << 20))
		return 0;
	uint8_t *buf = malloc(size + 16);
	if (!buf)
		return 0;
	size_t n = size;
	if (size >= 5 && !memcmp(data, "go 1.", 5)) {
		memcpy(buf, data, size);
	} else {
		memcpy(buf, size && (data[0] & 1) ? "go 1.19 trace\0\0\0" : "go 1.26 trace\0\0\0",
		       16);
		memcpy(buf + 16, data, size);
		n = size + 16;
	}
	FILE *f = fmemopen(buf, n ? n : 1, "rb");
	if (!f) {
		free(buf);
		return 0;
	}
	hearth_buf chrome = {0};
	hearth_trace_opts o = {.chrome = &chrome, .max_generation = 16u << 20};
	/* Both readings of a Go 1.19 trace (its own tool's, the newest's) and
	 * the MMU's options, by bits of the input's first bytes. */
	o.newest_tool = size && (data[0] & 2);
	o.mmu_flags = size > 1 ? data[1] & 0x1f : 0;
	hearth_trace *t = NULL;
	hearth_errbuf eb = {{0}};
	hearth_err e = hearth_trace_read(f, n, &o, &t, &eb);
	fclose(f);
	if (e) {
		size_t ml = strnlen(eb.msg, sizeof(eb.msg));
		if (e != HEARTH_ENOMEM && (ml == 0 || memchr(eb.msg, '\n', ml))) {
			fprintf(stderr, "error %d without a one-line message: %s\n", (int)e,
				eb.msg);
			abort();
		}
	} else {
		hearth_buf b = {0};
		hearth_trace_write_goroutines(t, &b);
		hearth_trace_write_mmu(t, &b);
		hearth_trace_write_json(t, &b);
		for (int k = 0; k < HEARTH_TRACE_NPROF; k++)
			hearth_proto_encode(t->prof[k], &b);
		hearth_buf_free(&b);
		hearth_trace_free(t);
	}
	hearth_buf_free(&chrome);
	free(buf);
	return 0;
}
