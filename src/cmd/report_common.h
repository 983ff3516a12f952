/* The shape every text report command shares: parse, load, prepare, write. */
#ifndef HEARTH_CMD_REPORT_COMMON_H
#define HEARTH_CMD_REPORT_COMMON_H

#include "hearth/report.h"

typedef hearth_err (*report_fn)(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);

int run_text_report(int argc, char **argv, hearth_cmd cmd, report_fn fn, const char *usage);

#endif
