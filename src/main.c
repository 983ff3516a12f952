#include <stdio.h>
int main(void) { puts("hearth: under construction"); return 0; }
