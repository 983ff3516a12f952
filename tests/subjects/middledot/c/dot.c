/* A program whose function symbol is spelled as Go compilers before Go 1.3
 * spelled methods: main.*LSG·NewLoop, with U+00B7 MIDDLE DOT (as in the
 * Go blog's "Profiling Go Programs").  tests/cli/middledot.sh gives it a
 * Go 1.0 .gosymtab and reads it as hearth and as debug/gosym read it.
 * With -DPLAIN the function is the C identifier LSG·NewLoop, so that its
 * DWARF name has the dot too. */
#include <stdio.h>

#ifdef PLAIN
#define newloop LSG·NewLoop
__attribute__((noinline)) int newloop(int n);
#else
__attribute__((noinline)) int newloop(int n) __asm__("\"main.*LSG\xc2\xb7NewLoop\"");
#endif

__attribute__((noinline)) int newloop(int n)
{
	volatile int s = 0;
	for (int i = 0; i < n; i++)
		s += i;
	return s;
}

int main(int argc, char **argv)
{
	(void)argv;
	printf("%d\n", newloop(argc * 1000));
	return 0;
}
