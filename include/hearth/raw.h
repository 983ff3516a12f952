/* The `raw` report: pprof's Profile.String(), the text `go tool pprof -raw`
 * prints, byte for byte. */
#ifndef HEARTH_RAW_H
#define HEARTH_RAW_H

#include "hearth/buf.h"
#include "hearth/profile.h"

/* Appends the dump of p to out.  Ids are index + 1, as pprof numbers them. */
void hearth_report_raw(const hearth_profile *p, hearth_buf *out);

#endif
