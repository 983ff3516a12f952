#include <string.h>

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

uint64_t hearth_hash_bytes(const void *data, size_t n)
{
	const char *s = data;
	/* Eight bytes a step with a multiply-xorshift mix: interning runs for
	 * every string of every profile read, and a byte-at-a-time hash showed
	 * up at several percent of a 1440-profile merge. */
	uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		h = (h ^ w) * 0xbf58476d1ce4e5b9ull;
		h ^= h >> 32;
	}
	uint64_t t = 0;
	for (size_t k = 0; i < n; i++, k += 8)
		t |= (uint64_t)(unsigned char)s[i] << k;
	h = (h ^ t) * 0x94d049bb133111ebull;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ull;
	return h ^ (h >> 32);
}
