/* x86 and arm64 instructions in Go's assembler syntax, as go tool pprof prints
 * them for Go programs (lib/report/goasm.c, lib/report/goasm_arm64.c). */
#ifndef HEARTH_GOASM_H
#define HEARTH_GOASM_H

#include <capstone/capstone.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearth/buf.h"

typedef struct {
	uint64_t addr, size;
	const char *name; /* owned by whoever filled the table */
	uint32_t order;	  /* position in the symbol table: ties keep it */
} hearth_goasm_sym;

typedef struct {
	hearth_goasm_sym *v;
	size_t n, cap;
} hearth_goasm_syms;

void hearth_goasm_syms_sort(hearth_goasm_syms *s);
/* The symbol addr is in (its name, and its address in *base), or NULL. */
const char *hearth_goasm_lookup(const hearth_goasm_syms *s, uint64_t addr, uint64_t *base);
/* Whether op is a word of set, a list of names each followed by a space and
 * the whole begun by one (" ADD SUB "): the printers' tables of Go's names. */
bool hearth_goasm_in_set(const char *set, const char *op);

/* What decodes: a capstone handle for x86 (Intel syntax, CS_OPT_DETAIL on)
 * and two instructions of it (the second for a second reading). */
typedef struct {
	csh cs;
	cs_insn *insn, *insn2;
	bool mode32;
	const hearth_goasm_syms *syms;
} hearth_goasm;

/* Reads the instruction at code (len bytes, at address pc) as Go's decoder
 * (golang.org/x/arch/x86/x86asm) reads it and appends its Go syntax to out;
 * returns its length, or 0 (nothing appended) where Go's decoder finds no
 * instruction, which pprof shows as "?" one byte long. */
uint32_t hearth_goasm_x86(hearth_goasm *g, const uint8_t *code, size_t len, uint64_t pc,
			  hearth_buf *out);

/* The same for arm64 (golang.org/x/arch/arm64/arm64asm's GoSyntax, on a
 * capstone handle for arm64 with details on): 4, or 0 where Go's decoder
 * finds no instruction ("?", four bytes). */
uint32_t hearth_goasm_arm64(hearth_goasm *g, const uint8_t *code, size_t len, uint64_t pc,
			    hearth_buf *out);

#endif
