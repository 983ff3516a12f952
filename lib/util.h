/* Small internal helpers of libhearth (not part of the public API). */
#ifndef HEARTH_UTIL_H
#define HEARTH_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Grows an array so that n + more elements fit; doubles the capacity.
 * Returns false on overflow or OOM, leaving the array as it was. */
bool hearth_grow(void **arr, size_t elem, size_t n, size_t *cap, size_t more);

/* A fast, well-mixed hash of n bytes (never relied on for security). */
uint64_t hearth_hash_bytes(const void *data, size_t n);

/* v * ratio as an integer, saturated: a double out of int64's range
 * converts to anything (undefined behaviour), never to a wrong sign. */
static inline int64_t hearth_scale_i64(int64_t v, double ratio)
{
	double d = (double)v * ratio;
	if (!(d == d))
		return 0;
	if (d >= 9223372036854775807.0)
		return INT64_MAX;
	if (d <= -9223372036854775808.0)
		return INT64_MIN;
	return (int64_t)d;
}

/* Drops p's samples whose values are all zero (pprof's ScaleN keeps only
 * the others); their labels stay in p's label array, unreferenced. */
struct hearth_profile;
void hearth_profile_drop_zero_samples(struct hearth_profile *p);

/* Executes this program again (same pid, arguments and descriptors) with
 * glibc's malloc asking the kernel for transparent huge pages
 * (GLIBC_TUNABLES=glibc.malloc.hugetlb=1), when the kernel gives them only
 * where asked (THP "madvise", Debian's default) and glibc knows the
 * tunable (2.35 and later). Returns (doing nothing) when the tunable is
 * already set either way (glibc.malloc.hugetlb=0 turns this off), when
 * LD_PRELOAD is set (valgrind, another malloc), in sanitizer builds, or
 * when the exec fails. Called first thing by main(). */
void hearth_hugepages_reexec(char **argv);

#define HEARTH_GROW(arr, n, cap, more)                                                   \
	({                                                                               \
		size_t cap_ = (cap);                                                     \
		bool ok_ = hearth_grow((void **)&(arr), sizeof(*(arr)), (n), &cap_, (more)); \
		if (ok_)                                                                 \
			(cap) = (__typeof__(cap))cap_;                                   \
		ok_;                                                                     \
	})

#endif
