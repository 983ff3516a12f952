/* Units and number formatting with pprof's rules (its measurement package):
 * "2.96s", "1.50MB", "12.50%". */
#ifndef HEARTH_MEASURE_H
#define HEARTH_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearth/error.h"

/* Scales v, in unit `from`, to unit `to` ("minimum" or "auto" pick the best
 * unit, an explicit unit name forces it).  *out_unit (when out_unit is not
 * NULL) receives the unit name of the result: a static string, or, as in
 * pprof, `to` itself when `from` is not a known unit ("" when `to` is count,
 * sample, unit, minimum or auto). */
double hearth_scale(int64_t v, const char *from, const char *to, const char **out_unit);
/* pprof's ScaledLabel: the scaled value with its unit, "%.2f" trimmed of ".00". */
void hearth_scaled_label(char *out, size_t n, int64_t v, const char *from, const char *to);
/* pprof's Label (a value in its own unit, scaled to the best unit). */
void hearth_value_label(char *out, size_t n, int64_t v, const char *unit);
/* pprof's Percentage: "12.50%", "  100%", "  0.5%", "    0%" (total 0), "1.2e-05%". */
void hearth_percentage(char *out, size_t n, int64_t v, int64_t total);
/* True when two units can be converted into one another (ms and s, kB and B). */
bool hearth_units_compatible(const char *a, const char *b);
/* pprof's compatibleValueTypes: types equal up to a trailing "s", units
 * compatible. */
bool hearth_value_types_compatible(const char *type1, const char *unit1, const char *type2,
				   const char *unit2);

struct hearth_profile;
/* pprof's ScaleProfiles: gives the profiles' period types and each of their
 * sample types the finest of their units, scaling periods and values (and,
 * like pprof, dropping samples whose scaled values became all zero).  Fails
 * with HEARTH_EINCOMPAT (and pprof's message in eb) when the types cannot be
 * reconciled; a profile with period type ("", "") counts as having none. */
hearth_err hearth_scale_profiles(struct hearth_profile **ps, int n, hearth_errbuf *eb);

#endif
