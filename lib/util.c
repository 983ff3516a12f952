#include <gnu/libc-version.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

/* Why: the big arrays of a profile (samples, locations, hash tables, a
 * merge's answer) are touched page by page, and on the 2-core machine a
 * first touch of a 4 KB page costs about 8 us of kernel time; `hearth top
 * big.cpu` took 67,000 such faults (0.5 s of system time) and as much again
 * in TLB misses. With 2 MB pages: 12,000 faults, 1.24 s to 0.60 s of wall;
 * the store's merge of a day of random profiles 2.6 s to 1.0 s of CPU
 * (docs/BENCHMARKS.md, 2026-12-04). The tunable is read by the dynamic
 * loader before main(), hence the exec; it costs a process start (about
 * 2 ms, the libraries linked again). */
void hearth_hugepages_reexec(char **argv)
{
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	(void)argv;
	return;
#else
	const char *old = getenv("GLIBC_TUNABLES");
	if ((old && strstr(old, "glibc.malloc.hugetlb")) || getenv("LD_PRELOAD") || !argv || !argv[0])
		return;
	int major = 0, minor = 0;
	if (sscanf(gnu_get_libc_version(), "%d.%d", &major, &minor) != 2 ||
	    major * 1000 + minor < 2035)
		return;
	char mode[128] = "";
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	if (!f)
		return;
	bool madvise = fgets(mode, sizeof mode, f) && strstr(mode, "[madvise]");
	fclose(f);
	if (!madvise)
		return;
	char *keep = old ? strdup(old) : NULL;
	if (old && !keep)
		return;
	char val[4096];
	int n = snprintf(val, sizeof val, "%s%sglibc.malloc.hugetlb=1", old ? old : "",
			 old && *old ? ":" : "");
	if (n > 0 && (size_t)n < sizeof val && setenv("GLIBC_TUNABLES", val, 1) == 0) {
		fflush(NULL);
		execv("/proc/self/exe", argv);
	}
	/* Not executed: run on as we are, with the environment as it was. */
	if (keep)
		setenv("GLIBC_TUNABLES", keep, 1);
	else
		unsetenv("GLIBC_TUNABLES");
	free(keep);
#endif
}
