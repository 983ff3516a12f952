/* Units and number formatting with pprof's rules (its measurement package):
 * "2.96s", "1.50MB", "12.50%". */
#ifndef HEARTH_MEASURE_H
#define HEARTH_MEASURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Scales v, in unit `from`, to unit `to` ("minimum" or "auto" pick the best
 * unit, an explicit unit name forces it).  *out_unit receives the unit name of
 * the result (a static string, or `from` when the unit is not known). */
double hearth_scale(int64_t v, const char *from, const char *to, const char **out_unit);
/* pprof's ScaledLabel: the scaled value with its unit, "%.2f" trimmed of ".00". */
void hearth_scaled_label(char *out, size_t n, int64_t v, const char *from, const char *to);
/* pprof's Label (a value in its own unit, scaled to the best unit). */
void hearth_value_label(char *out, size_t n, int64_t v, const char *unit);
/* pprof's Percentage: "12.50%", "100%", "0%", "  inf%"... */
void hearth_percentage(char *out, size_t n, int64_t v, int64_t total);
/* True when two units can be converted into one another (ms and s, kB and B). */
bool hearth_units_compatible(const char *a, const char *b);

#endif
