/* libFuzzer target: hearth's own push (hearth_ingest_native).  The input's
 * first line is the query string, the rest the body; an input without a
 * newline is a body under one of a few queries.  See fuzz_ingest_common.h
 * for what is checked.
 *
 * Build and run: make fuzz; tests/fuzz/run.sh short|long. */
#include <stdint.h>

#include "fuzz_ingest_common.h"

static const char *const queries[] = {
    "service=api",
    "service=api&type=cpu&labels=env=prod,zone=eu-1&id=k&time=-1h",
    "service=a&labels=a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *q = queries[size % 3];
	size_t qn = strlen(q);
	const uint8_t *nl = memchr(data, '\n', size < 2048 ? size : 2048);
	if (nl) {
		q = (const char *)data;
		qn = (size_t)(nl - data);
		size -= qn + 1;
		data = nl + 1;
	}
	hearth_ingest_batch b;
	hearth_errbuf eb = {{0}};
	hearth_err err = hearth_ingest_native(q, qn, data, size, &fuzz_limits, &b, &eb);
	check_answer(err, &eb, &b, "hearth_ingest_native");
	return 0;
}
