/* libFuzzer target: Pyroscope's /ingest (hearth_ingest_pyroscope): the
 * name and its tags, the multipart reader, sample_type_config, prev_profile
 * deltas, folded and lines.  A body starting "--B" is multipart with the
 * boundary B of its first line (so the SDK's captured requests in
 * tests/data/ingest are seeds as they are); the query is one of a few,
 * chosen by the input's size.  See fuzz_ingest_common.h for what is checked.
 *
 * Build and run: make fuzz; tests/fuzz/run.sh short|long. */
#include <stdint.h>

#include "fuzz_ingest_common.h"

static const char *const queries[] = {
    ("name=app%7Benv%3Dprod%2C__session_id__%3D1%7D&from=1796290886157427020&until="
     "1796290890219136999&spyName=gospy&sampleRate=100&units=samples&aggregationType=sum"),
    "name=app.cpu%7Ba%3Db%7D&format=folded&sampleRate=100&units=samples",
    "name=app&format=lines&units=objects&aggregationType=average",
    "name=app.alloc_space&format=pprof",
    "name=app&units=bytes",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char ct[128] = "application/octet-stream";
	if (size > 2 && data[0] == '-' && data[1] == '-') {
		size_t n = 0;
		while (n + 2 < size && n < 70 && data[n + 2] != '\r' && data[n + 2] != '\n')
			n++;
		snprintf(ct, sizeof(ct), "multipart/form-data; boundary=%.*s", (int)n,
			 (const char *)data + 2);
	}
	const char *q = queries[size % 5];
	hearth_ingest_batch b;
	hearth_errbuf eb = {{0}};
	hearth_err err =
	    hearth_ingest_pyroscope(q, strlen(q), ct, data, size, &fuzz_limits, &b, &eb);
	check_answer(err, &eb, &b, "hearth_ingest_pyroscope");
	return 0;
}
