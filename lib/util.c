#include "util.h"

bool hearth_grow(void **arr, size_t elem, size_t n, size_t *cap, size_t more)
{
	if (n + more <= *cap)
		return true;
	size_t want = *cap ? *cap : 16;
	while (want < n + more) {
		if (want > SIZE_MAX / 2 / elem)
			return false;
		want *= 2;
	}
	/* Capacities of 32-bit counters must stay representable. */
	if (want > UINT32_MAX && n + more <= UINT32_MAX)
		want = UINT32_MAX;
	void *a = realloc(*arr, want * elem);
	if (!a)
		return false;
	*arr = a;
	*cap = want;
	return true;
}
