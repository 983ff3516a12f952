/* Symbols and instructions of a program for disasm and weblist (asm.h).
 *
 * The ELF file is hostile input: section offsets and sizes are checked
 * against the file before any byte is read through them, and a range to
 * decode is clamped to .text and capped (HEARTH_ASM_MAX_RANGE). */
#include <capstone/capstone.h>
#include <ctype.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>

#include "asm.h"
#include "goasm.h"
#include "util.h"

struct hearth_asm {
	hearth_objfile *f;
	csh cs;
	cs_insn *insn;
	uint32_t bad_size; /* what an undecodable instruction takes */
	const uint8_t *text;
	uint64_t text_start, text_len;
	/* Go programs on x86 and arm64 are printed in Go's syntax, as pprof prints
	 * them; the symbols name call targets and data. */
	bool go_syntax;
	unsigned machine; /* the ELF machine */
	hearth_goasm_syms syms;
	char **owned; /* names made here (name@plt) */
	size_t nowned, capowned;
	hearth_goasm go;
};

/* Every symbol of the ELF symbol table with an address (Go's objfile
 * Symbols, less the text section's bounds, as cmd/internal/disasm drops
 * them), sorted by address. */
static void load_syms(hearth_asm *a, Elf *e, size_t size)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	while ((scn = elf_nextscn(e, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			break;
	if (!scn ||
	    !(sh.sh_type != SHT_NOBITS && sh.sh_offset <= size &&
	      sh.sh_size <= size - sh.sh_offset) ||
	    !sh.sh_entsize)
		return;
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t cnt = d ? d->d_size / sh.sh_entsize : 0;
	for (size_t i = 1; i < cnt && i < INT32_MAX; i++) {
		GElf_Sym s;
		if (!gelf_getsym(d, (int)i, &s))
			break;
		const char *nm = elf_strptr(e, sh.sh_link, s.st_name);
		if (!nm || !strcmp(nm, "runtime.text") || !strcmp(nm, "runtime.etext") ||
		    !strcmp(nm, "text") || !strcmp(nm, "etext") || !strcmp(nm, "_text") ||
		    !strcmp(nm, "_etext"))
			continue;
		if (!HEARTH_GROW(a->syms.v, a->syms.n, a->syms.cap, 1))
			return;
		a->syms.v[a->syms.n++] =
		    (hearth_goasm_sym){s.st_value, s.st_size, nm, (uint32_t)a->syms.n};
	}
	hearth_goasm_syms_sort(&a->syms);
}

/* The section named name, with its header; NULL when absent. */
static Elf_Scn *named_section(Elf *e, const char *name, GElf_Shdr *sh)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(e, &shstrndx))
		return NULL;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, sh))
			continue;
		const char *n = elf_strptr(e, shstrndx, sh->sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

/* True when the section's bytes lie inside the file. */
static bool in_file(const GElf_Shdr *sh, size_t size)
{
	return sh->sh_type != SHT_NOBITS && sh->sh_offset <= size &&
	       sh->sh_size <= size - sh->sh_offset;
}

/* objdump's name@plt for the entries of an x86 program's procedure linkage
 * table: entry i (after the first, in .plt; from the start, in .plt.sec)
 * jumps through the slot of .rela.plt's (.rel.plt's) relocation i. */
static void load_plt(hearth_asm *a, Elf *e, size_t size)
{
	GElf_Shdr ps, rs, ds;
	uint64_t first = 0;
	Elf_Scn *plt = named_section(e, ".plt.sec", &ps);
	if (!plt) {
		plt = named_section(e, ".plt", &ps);
		first = 16;
	}
	Elf_Scn *rel = named_section(e, ".rela.plt", &rs);
	if (!rel)
		rel = named_section(e, ".rel.plt", &rs);
	if (!plt || !rel || !in_file(&rs, size) || !rs.sh_entsize)
		return;
	Elf_Scn *dyn = elf_getscn(e, rs.sh_link);
	Elf_Data *rd = elf_getdata(rel, NULL), *dd = dyn ? elf_getdata(dyn, NULL) : NULL;
	if (!rd || !dd || !gelf_getshdr(dyn, &ds))
		return;
	size_t n = rs.sh_size / rs.sh_entsize;
	for (size_t i = 0; i < n && i < (1u << 20); i++) {
		uint64_t at = ps.sh_addr + first + 16 * (uint64_t)i;
		if (at + 16 > ps.sh_addr + ps.sh_size)
			break;
		uint64_t info;
		if (rs.sh_type == SHT_RELA) {
			GElf_Rela r;
			if (!gelf_getrela(rd, (int)i, &r))
				break;
			info = r.r_info;
		} else {
			GElf_Rel r;
			if (!gelf_getrel(rd, (int)i, &r))
				break;
			info = r.r_info;
		}
		GElf_Sym sym;
		size_t idx = a->machine == EM_386 ? ELF32_R_SYM(info) : GELF_R_SYM(info);
		if (!gelf_getsym(dd, (int)idx, &sym))
			continue;
		const char *nm = elf_strptr(e, ds.sh_link, sym.st_name);
		if (!nm || !*nm || strlen(nm) > 4096)
			continue;
		char *name = malloc(strlen(nm) + 5);
		if (!name || !HEARTH_GROW(a->owned, a->nowned, a->capowned, 1) ||
		    !HEARTH_GROW(a->syms.v, a->syms.n, a->syms.cap, 1)) {
			free(name);
			return;
		}
		sprintf(name, "%s@plt", nm);
		a->owned[a->nowned++] = name;
		a->syms.v[a->syms.n++] = (hearth_goasm_sym){at, 16, name, (uint32_t)a->syms.n};
	}
	hearth_goasm_syms_sort(&a->syms);
}

hearth_err hearth_asm_open(hearth_objfile *f, hearth_asm **out, hearth_errbuf *eb)
{
	*out = NULL;
	Elf *e = hearth_objfile_elf(f);
	GElf_Ehdr eh;
	if (!e || !gelf_getehdr(e, &eh))
		return hearth_seterr(eb, HEARTH_EFORMAT, "not an ELF file");
	cs_arch arch;
	int mode;
	uint32_t bad = 1;
	bool be = eh.e_ident[EI_DATA] == ELFDATA2MSB;
	switch (eh.e_machine) {
	case EM_X86_64:
		arch = CS_ARCH_X86, mode = CS_MODE_64;
		break;
	case EM_386:
		arch = CS_ARCH_X86, mode = CS_MODE_32;
		break;
	case EM_AARCH64:
		arch = CS_ARCH_ARM64, mode = be ? CS_MODE_BIG_ENDIAN : CS_MODE_LITTLE_ENDIAN;
		bad = 4;
		break;
	case EM_ARM:
		arch = CS_ARCH_ARM, mode = CS_MODE_ARM | (be ? CS_MODE_BIG_ENDIAN : 0);
		bad = 4;
		break;
	default:
		return hearth_seterr(eb, HEARTH_EFORMAT,
				     "unsupported architecture (ELF machine %u)",
				     (unsigned)eh.e_machine);
	}
	GElf_Shdr sh;
	size_t size;
	const uint8_t *data = hearth_objfile_data(f, &size);
	if (!named_section(e, ".text", &sh))
		return hearth_seterr(eb, HEARTH_EFORMAT, "text section not found");
	if (!in_file(&sh, size))
		return hearth_seterr(eb, HEARTH_ECORRUPT, "text section outside the file");
	hearth_asm *a = calloc(1, sizeof(*a));
	if (!a)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	a->f = f;
	a->bad_size = bad;
	a->machine = eh.e_machine;
	a->text = data + sh.sh_offset;
	a->text_start = sh.sh_addr;
	a->text_len = sh.sh_size;
	if (sh.sh_addr + sh.sh_size < sh.sh_addr)
		a->text_len = UINT64_MAX - sh.sh_addr;
	if (cs_open(arch, (cs_mode)mode, &a->cs) != CS_ERR_OK) {
		free(a);
		return hearth_seterr(eb, HEARTH_EFORMAT,
				     "capstone cannot disassemble this machine");
	}
	uint64_t entry, fend;
	const char *fname;
	size_t flen;
	a->go_syntax = (arch == CS_ARCH_X86 || (arch == CS_ARCH_ARM64 && !be)) &&
		       hearth_objfile_go_func(f, 0, &entry, &fend, &fname, &flen);
	if (a->go_syntax) {
		cs_option(a->cs, CS_OPT_DETAIL, CS_OPT_ON);
		load_syms(a, e, size);
		a->go = (hearth_goasm){.cs = a->cs, .mode32 = mode == CS_MODE_32, .syms = &a->syms};
	} else {
		/* Other code in objdump's syntax, its branch targets named as
		 * objdump names them (the details say which are branches). */
		cs_option(a->cs, CS_OPT_DETAIL, CS_OPT_ON);
		load_syms(a, e, size);
		if (arch == CS_ARCH_X86) {
			load_plt(a, e, size);
			cs_option(a->cs, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
		}
	}
	if (!(a->insn = cs_malloc(a->cs)) || (a->go_syntax && !(a->go.insn2 = cs_malloc(a->cs)))) {
		if (a->insn)
			cs_free(a->insn, 1);
		free(a->syms.v);
		for (size_t i = 0; i < a->nowned; i++)
			free(a->owned[i]);
		free(a->owned);
		cs_close(&a->cs);
		free(a);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	a->go.insn = a->insn;
	*out = a;
	return HEARTH_OK;
}

void hearth_asm_close(hearth_asm *a)
{
	if (!a)
		return;
	cs_free(a->insn, 1);
	if (a->go.insn2)
		cs_free(a->go.insn2, 1);
	cs_close(&a->cs);
	free(a->syms.v);
	for (size_t i = 0; i < a->nowned; i++)
		free(a->owned[i]);
	free(a->owned);
	free(a);
}

/* The target of a direct branch or call in the instruction just decoded. */
static bool branch_target(const hearth_asm *a, uint64_t *to)
{
	const cs_detail *d = a->insn->detail;
	bool br = false;
	for (uint8_t i = 0; d && i < d->groups_count; i++)
		br |= d->groups[i] == CS_GRP_JUMP || d->groups[i] == CS_GRP_CALL;
	if (!br)
		return false;

	switch (a->machine) {
	case EM_X86_64:
	case EM_386:

		if (d->x86.op_count == 1 && d->x86.operands[0].type == X86_OP_IMM) {
			*to = (uint64_t)d->x86.operands[0].imm;
			if (a->machine == EM_386)
				*to &= 0xffffffff;
			return true;
		}
		break;
	case EM_AARCH64:

		if (d->arm64.op_count >= 1 &&
		    d->arm64.operands[d->arm64.op_count - 1].type == ARM64_OP_IMM) {
			*to = (uint64_t)d->arm64.operands[d->arm64.op_count - 1].imm;
			return true;
		}
		break;
	case EM_ARM:

		if (d->arm.op_count == 1 && d->arm.operands[0].type == ARM_OP_IMM) {
			*to = (uint32_t)d->arm.operands[0].imm;
			return true;
		}
		break;
	}

	return false;
}

/* objdump's " <name>" or " <name+0xoff>" after a branch target: the
 * nearest symbol at or below it (objdump does not ask whether the symbol's
 * size reaches it). */
static void name_target(const hearth_asm *a, hearth_buf *out)
{
	uint64_t to;
	if (!branch_target(a, &to))
		return;
	size_t lo = 0, hi = a->syms.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (to < a->syms.v[mid].addr)
			hi = mid;
		else
			lo = mid + 1;
	}
	while (lo > 0 && (!a->syms.v[lo - 1].name[0] || !a->syms.v[lo - 1].addr))
		lo--;
	if (lo == 0)
		return;
	const hearth_goasm_sym *y = &a->syms.v[lo - 1];
	if (to == y->addr)
		hearth_buf_printf(out, " <%s>", y->name);
	else
		hearth_buf_printf(out, " <%s+0x%llx>", y->name, (unsigned long long)(to - y->addr));
}

void hearth_asm_list_free(hearth_asm_list *l)
{
	free(l->v);
	hearth_buf_free(&l->text);
	memset(l, 0, sizeof(*l));
}

hearth_err hearth_asm_decode(hearth_asm *a, uint64_t start, uint64_t end, hearth_asm_list *l,
			     hearth_errbuf *eb)
{
	l->n = 0;
	l->text.len = 0;
	uint64_t tend = a->text_start + a->text_len;
	if (start < a->text_start)
		start = a->text_start;
	if (end > tend)
		end = tend;
	if (start >= end)
		return HEARTH_OK;
	if (end - start > HEARTH_ASM_MAX_RANGE)
		return hearth_seterr(
		    eb, HEARTH_ETOOBIG,
		    "%#llx-%#llx: %llu bytes of code, more than disasm decodes at once "
		    "(%llu)",
		    (unsigned long long)start, (unsigned long long)end,
		    (unsigned long long)(end - start), (unsigned long long)HEARTH_ASM_MAX_RANGE);
	/* The code ends where the range does, as Go's Decode cuts it: an
	 * instruction that runs past the end does not decode. */
	uint64_t limit = end - a->text_start;
	for (uint64_t pc = start; pc < end;) {
		uint64_t off = pc - a->text_start;
		const uint8_t *code = a->text + off;
		size_t left = (size_t)(limit - off);
		uint64_t at = pc;
		uint32_t size;
		size_t t = l->text.len;
		if (a->go_syntax) {
			size = a->machine == EM_AARCH64
				   ? hearth_goasm_arm64(&a->go, code, left, pc, &l->text)
				   : hearth_goasm_x86(&a->go, code, left, pc, &l->text);
			if (!size) {
				size = a->bad_size;
				hearth_buf_puts(&l->text, "?");
			}
		} else if (cs_disasm_iter(a->cs, &code, &left, &at, a->insn) && a->insn->size > 0) {
			size = a->insn->size;
			hearth_buf_puts(&l->text, a->insn->mnemonic);
			if (a->insn->op_str[0])
				hearth_buf_printf(&l->text, " %s", a->insn->op_str);
			name_target(a, &l->text);
		} else {
			size = a->bad_size;
			hearth_buf_puts(&l->text, "(bad)");
		}
		hearth_buf_put(&l->text, "", 1);
		if (l->text.oom || t > UINT32_MAX || !HEARTH_GROW(l->v, l->n, l->cap, 1))
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		hearth_asm_inst *in = &l->v[l->n++];
		memset(in, 0, sizeof(*in));
		in->addr = pc;
		in->size = size;
		in->text = (uint32_t)t;
		in->file = "";
		hearth_frame fr;
		if (hearth_objfile_go_line(a->f, pc, &fr) == 1) {
			in->file = fr.file;
			in->file_len = fr.file_len;
			in->line = fr.line;
		}
		if (end - pc <= size)
			break;
		pc += size;
	}
	return HEARTH_OK;
}

void hearth_asm_syms_free(hearth_asm_sym *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(s[i].name);
	free(s);
}

static bool want(const hearth_regex *rx, bool has_addr, uint64_t addr, const char *name, size_t len,
		 uint64_t start, uint64_t size)
{
	if (has_addr && !(start <= addr && addr - start < size))
		return false;
	return hearth_regex_match(rx, name, len);
}

static hearth_err add_sym(hearth_asm_sym **out, size_t *n, size_t *cap, const char *name,
			  size_t len, uint64_t start, uint64_t size)
{
	if (!HEARTH_GROW(*out, *n, *cap, 1))
		return HEARTH_ENOMEM;
	char *s = malloc(len + 1);
	if (!s)
		return HEARTH_ENOMEM;
	memcpy(s, name, len);
	s[len] = 0;
	/* pprof's End is the last byte (start+size-1), and it compares with
	 * < End: the last byte of a symbol belongs to none. */
	(*out)[(*n)++] = (hearth_asm_sym){start, start + size - 1, s};
	return HEARTH_OK;
}

hearth_err hearth_asm_symbols(hearth_objfile *f, const hearth_regex *rx, bool has_addr,
			      uint64_t addr, hearth_asm_sym **out, size_t *n, bool *from_pcln,
			      hearth_errbuf *eb)
{
	*out = NULL;
	*n = 0;
	*from_pcln = false;
	size_t cap = 0, size;
	hearth_objfile_data(f, &size);
	Elf *e = hearth_objfile_elf(f);
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	hearth_err err = HEARTH_OK;
	/* Go's debug/elf reads the first SHT_SYMTAB section. */
	while (e && (scn = elf_nextscn(e, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			break;
	if (scn && in_file(&sh, size) && sh.sh_entsize) {
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t cnt = d ? d->d_size / sh.sh_entsize : 0;
		/* Entry 0 is the null symbol, which debug/elf skips. */
		for (size_t i = 1; i < cnt && !err; i++) {
			GElf_Sym s;
			if (!gelf_getsym(d, (int)i, &s) || i > INT32_MAX)
				break;
			if (s.st_value == 0 && s.st_size == 0)
				continue;
			const char *nm = elf_strptr(e, sh.sh_link, s.st_name);
			if (!nm)
				nm = "";
			size_t len = strlen(nm);
			if (want(rx, has_addr, addr, nm, len, s.st_value, s.st_size))
				err = add_sym(out, n, &cap, nm, len, s.st_value, s.st_size);
		}
	} else {
		*from_pcln = true;
		uint64_t entry, end;
		const char *nm;
		size_t len;
		for (uint32_t i = 0; !err && hearth_objfile_go_func(f, i, &entry, &end, &nm, &len);
		     i++)
			if (end > entry && want(rx, has_addr, addr, nm, len, entry, end - entry))
				err = add_sym(out, n, &cap, nm, len, entry, end - entry);
	}
	if (err) {
		hearth_asm_syms_free(*out, *n);
		*out = NULL;
		*n = 0;
		return hearth_seterr(eb, err, "out of memory");
	}
	return HEARTH_OK;
}

bool hearth_asm_parse_addr(const char *s, uint64_t *out)
{
	int base = 10;
	const char *p = s;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		base = 8, p += 2;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2, p += 2;
	else if (p[0] == '0' && p[1])
		base = 8, p += 1;
	if (!*p)
		return false;
	uint64_t v = 0;
	for (; *p; p++) {
		int d;
		if (*p == '_' && base != 10 && p[1] && p[-1] != '_')
			continue;
		if (isdigit((unsigned char)*p))
			d = *p - '0';
		else if (isalpha((unsigned char)*p))
			d = tolower((unsigned char)*p) - 'a' + 10;
		else
			return false;
		if (d >= base || v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return false;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = v;
	return true;
}
