/* libFuzzer target: the legacy-format parsers, then the raw report over
 * whatever they accept (which walks every index of the result). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "hearth/io.h"
#include "hearth/profile.h"
#include "hearth/raw.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hearth_profile *p = NULL;
	hearth_errbuf eb;
	if (hearth_legacy_parse(data, size, &p, &eb) == HEARTH_OK) {
		hearth_buf out = {0};
		hearth_report_raw(p, &out);
		hearth_buf_free(&out);
		hearth_profile_free(p);
	} else if (p) {
		abort(); /* a failed parse leaves nothing behind */
	}
	return 0;
}
