/* A C program for tests/cli/symbolize_c.sh: its CPU time goes to a function
 * inlined into another (inner into middle), so symbolization must give both
 * frames, as addr2line -i does.  Linked with gperftools' libprofiler, run
 * with CPUPROFILE=FILE it writes the legacy CPU profile pprof reads. */
#include <stdio.h>
#include <stdlib.h>
static inline __attribute__((always_inline)) double inner(double x) {
	for (int i = 0; i < 50; i++) x = x * 1.0000001 + 0.5;
	return x;
}
static __attribute__((noinline)) double middle(double x) {
	return inner(x) + inner(x * 2);
}
__attribute__((noinline)) double outer(int n) {
	double s = 0;
	for (int i = 0; i < n; i++) s += middle(i);
	return s;
}
__attribute__((noinline)) double other(int n) {
	double s = 0;
	for (int i = 0; i < n; i++) s += i * 0.5 / (i + 1);
	return s;
}
int main(int argc, char **argv) {
	int n = argc > 1 ? atoi(argv[1]) : 3000000;
	printf("%f %f\n", outer(n), other(n * 20));
	return 0;
}
