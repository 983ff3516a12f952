/* Disassembly for disasm and weblist: a program's symbols and the
 * instructions of an address range, decoded by capstone (x86-64 and 386 in
 * AT&T syntax, as objdump prints them by default; arm64; 32-bit arm), with
 * the file and line Go's pclntab gives each instruction.
 *
 * The ranges follow go tool pprof's disassembler (cmd/internal/objfile's
 * Decode): clamped to .text, the code cut at the range's end, and an
 * instruction that cannot be decoded taking one byte (four on arm). */
#ifndef HEARTH_REPORT_ASM_H
#define HEARTH_REPORT_ASM_H

#include <stddef.h>
#include <stdint.h>

#include "hearth/buf.h"
#include "hearth/error.h"
#include "hearth/regex.h"
#include "hearth/symbolize.h"

/* The most code one range may cover (more is refused, not decoded), and the
 * most one report decodes in all: a hostile symbol table can make every
 * symbol cover all of .text. */
#define HEARTH_ASM_MAX_RANGE ((uint64_t)16 << 20)
#define HEARTH_ASM_MAX_TOTAL ((uint64_t)32 << 20)

typedef struct {
	uint64_t start, end; /* pprof's Sym: end is start+size-1 */
	char *name;
} hearth_asm_sym;

typedef struct {
	uint64_t addr;
	uint32_t size;
	uint32_t text;	  /* offset of the NUL-terminated text in the list's buffer */
	const char *file; /* from the pclntab, file_len bytes; "" when unknown */
	size_t file_len;
	int64_t line;
} hearth_asm_inst;

typedef struct {
	hearth_asm_inst *v;
	size_t n, cap;
	hearth_buf text;
} hearth_asm_list;

static inline const char *hearth_asm_text(const hearth_asm_list *l, const hearth_asm_inst *in)
{
	return l->text.data + in->text;
}

/* The bytes of code l covers. */
static inline uint64_t hearth_asm_span(const hearth_asm_list *l)
{
	return l->n ? l->v[l->n - 1].addr + l->v[l->n - 1].size - l->v[0].addr : 0;
}

typedef struct hearth_asm hearth_asm;

/* A disassembler for f's machine over its .text section; f must outlive it. */
hearth_err hearth_asm_open(hearth_objfile *f, hearth_asm **out, hearth_errbuf *eb);
void hearth_asm_close(hearth_asm *a);

/* Appends the instructions from start while pc < end to l (emptied first). */
hearth_err hearth_asm_decode(hearth_asm *a, uint64_t start, uint64_t end, hearth_asm_list *l,
			     hearth_errbuf *eb);
void hearth_asm_list_free(hearth_asm_list *l);

/* The symbols whose name matches rx (and that hold addr, when has_addr),
 * as go tool pprof's object reader lists them: every entry of the ELF
 * symbol table but those at address 0 of size 0.  A file without a symbol
 * table (stripped) gives the functions of its Go pclntab instead, each
 * running to the next one's entry; *from_pcln says so. */
hearth_err hearth_asm_symbols(hearth_objfile *f, const hearth_regex *rx, bool has_addr,
			      uint64_t addr, hearth_asm_sym **out, size_t *n, bool *from_pcln,
			      hearth_errbuf *eb);
void hearth_asm_syms_free(hearth_asm_sym *s, size_t n);

/* Go's strconv.ParseUint(s, 0, 64): the regexp read as an address. */
bool hearth_asm_parse_addr(const char *s, uint64_t *out);

#endif
