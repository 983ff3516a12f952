/* libFuzzer target: the bytes as a program for disasm and weblist: its
 * symbols (the ELF symbol table, or the Go pclntab's functions), its .text
 * decoded over each symbol and over ranges around addresses the input
 * chooses, with the pclntab's file and line of each instruction. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "report/asm.h"

/* Decoding is linear in the range; a few KiB per range keeps runs fast. */
#define SPAN 4096

static void decode(hearth_asm *a, uint64_t start, uint64_t end, hearth_asm_list *l)
{
	hearth_errbuf eb;
	if (end - start > SPAN && end > start)
		end = start + SPAN;
	if (hearth_asm_decode(a, start, end, l, &eb) != HEARTH_OK)
		return;
	volatile size_t sum = 0;
	for (size_t i = 0; i < l->n; i++) {
		const char *t = hearth_asm_text(l, &l->v[i]);
		sum += strlen(t);
		for (size_t k = 0; k < l->v[i].file_len; k++)
			sum += (unsigned char)l->v[i].file[k];
	}
	(void)sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hearth_objfile *f = NULL;
	hearth_errbuf eb;
	if (hearth_objfile_open_mem(data, size, &f, &eb) != HEARTH_OK)
		return 0;
	static hearth_regex *all;
	if (!all && hearth_regex_compile("fuzz", ".", &all, &eb) != HEARTH_OK)
		return 0;
	hearth_asm_sym *syms = NULL;
	size_t n = 0;
	bool pcln;
	hearth_asm_symbols(f, all, false, 0, &syms, &n, &pcln, &eb);
	hearth_asm *a = NULL;
	hearth_asm_list l = {0};
	if (hearth_asm_open(f, &a, &eb) == HEARTH_OK) {
		for (size_t i = 0; i < n && i < 32; i++)
			decode(a, syms[i].start, syms[i].end, &l);
		for (size_t off = size >= 64 ? size - 64 : 0; off + 8 <= size; off += 8) {
			uint64_t x;
			memcpy(&x, data + off, 8);
			decode(a, x - 500, x + 500, &l);
		}
		decode(a, 0, UINT64_MAX, &l);
	}
	hearth_asm_list_free(&l);
	hearth_asm_close(a);
	hearth_asm_syms_free(syms, n);
	hearth_objfile_close(f);
	return 0;
}
