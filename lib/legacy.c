/* Placeholder: the legacy formats land here. */
#include "hearth/io.h"

hearth_err hearth_legacy_parse(const uint8_t *buf, size_t n, hearth_profile **out,
			       hearth_errbuf *eb)
{
	(void)buf;
	(void)n;
	(void)out;
	(void)eb;
	return HEARTH_EFORMAT;
}
