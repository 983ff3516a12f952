/* Placeholder until the measurement port lands. */
#include "hearth/measure.h"
