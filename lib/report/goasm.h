/* x86 instructions in Go's assembler syntax (lib/report/goasm.c). */
#ifndef HEARTH_GOASM_H
#define HEARTH_GOASM_H

#include <capstone/capstone.h>
#include <stdbool.h>
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

/* Appends in (decoded with CS_OPT_DETAIL, Intel syntax) as Go prints it;
 * false (nothing appended) for an instruction Go's decoder does not know,
 * which pprof shows as "?" one byte long. */
bool hearth_goasm_x86(csh cs, const cs_insn *in, bool mode32, const hearth_goasm_syms *syms,
		      hearth_buf *out);

#endif
