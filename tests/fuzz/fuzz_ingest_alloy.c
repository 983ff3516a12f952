/* libFuzzer target: Alloy's push.v1 Push (hearth_ingest_alloy), protobuf
 * decoded by hand and Connect JSON: an input starting with '{' or a space
 * is JSON, any other protobuf (tests/data/ingest/alloy-push.* are seeds).
 * See fuzz_ingest_common.h for what is checked.
 *
 * Build and run: make fuzz; tests/fuzz/run.sh short|long. */
#include <stdint.h>

#include "fuzz_ingest_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool json = size > 0 && (data[0] == '{' || data[0] == ' ');
	hearth_ingest_batch b;
	hearth_errbuf eb = {{0}};
	hearth_err err = hearth_ingest_alloy(json ? "application/json" : "application/proto", data,
					     size, &fuzz_limits, &b, &eb);
	check_answer(err, &eb, &b, "hearth_ingest_alloy");
	return 0;
}
