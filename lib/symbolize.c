/* Local symbolization (pprof's -symbolize=local) as `go tool pprof` does it:
 * its object tool asks Go's pclntab first (debug/gosym's PCToLine: the outer
 * function's name, the file and line of the innermost inlined position), and
 * DWARF line tables for addresses outside Go functions (cgo, C programs).
 *
 * Every offset read from the file is checked against the bytes it points
 * into: the file may be damaged or hostile. */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <glob.h>
#include <libelf.h>
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hearth/symbolize.h"
#include "util.h"

#define MAX_FILE ((size_t)4 << 30)
/* Frames kept for one address: the function and the calls inlined into it. */
#define MAX_INLINE 64

typedef struct {
	uint64_t addr, size;
	const char *name;
} elf_sym;

/* Where pcvalue's last walk of a table stopped: the value it found holds for
 * pcs [lo, hi), and the table goes on at p.  A query further on in the same
 * table resumes there, so asking every instruction of a function in order
 * (disassembly) reads each table once instead of once per instruction. */
typedef struct {
	bool valid;
	uint32_t off;
	uint64_t entry, lo, hi;
	const uint8_t *p;
	int32_t val;
} pcv_cache;

struct hearth_objfile {
	uint8_t *data;
	size_t size;
	Elf *elf;
	Dwarf *dw;
	bool dw_tried;
	/* Function symbols by address (load_symtab), for files without DWARF. */
	elf_sym *syms;
	size_t nsyms;
	bool syms_tried;
	char build_id[129];
	bool has_load;
	uint64_t load;
	/* Go 1.18+ pclntab (debug/gosym's ver118; Go 1.20's layout agrees on
	 * every field read here). */
	bool has_pcln, be;
	const uint8_t *pcln;
	size_t npcln;
	uint32_t quantum, ptrsize, nfunc;
	uint64_t text_start;
	size_t funcname_off, cutab_off, filetab_off, pctab_off, functab_off;
	pcv_cache pcv_line, pcv_file;
	/* A Go program from before Go 1.3 (a .gosymtab with symbols in it):
	 * its names with U+00B7 rewritten with a dot (dotted), keyed by the
	 * name's address in the file (open addressing, a power of 2). */
	int old_go; /* -1 not yet known */
	struct dotted_name *dots;
	size_t ndots, capdots;
};

struct dotted_name {
	const char *from;
	char *to;
};

static uint32_t rd32(const hearth_objfile *f, const uint8_t *p)
{
	if (f->be)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint64_t rdptr(const hearth_objfile *f, const uint8_t *p)
{
	if (f->ptrsize == 4)
		return rd32(f, p);
	uint64_t a = rd32(f, p), b = rd32(f, p + 4);
	return f->be ? a << 32 | b : b << 32 | a;
}

/* The 4-byte word at off of the pclntab, false when out of bounds. */
static bool pcln32(const hearth_objfile *f, size_t off, uint32_t *v)
{
	if (off > f->npcln || f->npcln - off < 4)
		return false;
	*v = rd32(f, f->pcln + off);
	return true;
}

/* text: the address of .text (debug/gosym takes it, not the header's word,
 * which may be unrelocated); 0 when unknown: the header's word. strict: the
 * table was found by its magic, not by a section name, so its offsets must
 * also come in the order the linker writes them. */
static bool parse_pclntab(hearth_objfile *f, const uint8_t *d, size_t n, uint64_t text,
			  bool strict)
{
	if (n < 8)
		return false;
	uint32_t le = (uint32_t)d[3] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[1] << 8 | d[0];
	uint32_t be = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
	if (le == 0xfffffff0 || le == 0xfffffff1)
		f->be = false;
	else if (be == 0xfffffff0 || be == 0xfffffff1)
		f->be = true;
	else
		return false;
	if (d[4] != 0 || d[5] != 0)
		return false;
	f->quantum = d[6];
	f->ptrsize = d[7];
	if ((f->ptrsize != 4 && f->ptrsize != 8) || f->quantum == 0)
		return false;
	if (n < 8 + 8 * (size_t)f->ptrsize)
		return false;
	f->pcln = d;
	f->npcln = n;
	uint64_t w[8];
	for (int i = 0; i < 8; i++)
		w[i] = rdptr(f, d + 8 + (size_t)i * f->ptrsize);
	for (int i = 3; i < 8; i++)
		if (w[i] > n)
			return false;
	if (w[0] > UINT32_MAX / 2)
		return false;
	if (strict && !(w[0] > 0 && w[3] >= 8 + 8 * (uint64_t)f->ptrsize && w[3] <= w[4] &&
			w[4] <= w[5] && w[5] <= w[6] && w[6] <= w[7]))
		return false;
	if (!text)
		text = w[2];
	f->nfunc = (uint32_t)w[0];
	f->text_start = text;
	f->funcname_off = w[3];
	f->cutab_off = w[4];
	f->filetab_off = w[5];
	f->pctab_off = w[6];
	f->functab_off = w[7];
	/* The function table: nfunc+1 (entry offset, func offset) pairs. */
	if ((uint64_t)f->nfunc * 8 + 4 > n - f->functab_off)
		return false;
	f->has_pcln = true;
	return true;
}

/* The NUL-terminated string at base+off of the pclntab. */
static bool pcln_str(const hearth_objfile *f, size_t base, uint64_t off, const char **s,
		     size_t *len)
{
	if (base > f->npcln || off > f->npcln - base)
		return false;
	const uint8_t *p = f->pcln + base + off;
	size_t room = f->npcln - base - off;
	const uint8_t *z = memchr(p, 0, room);
	if (!z)
		return false;
	*s = (const char *)p;
	*len = (size_t)(z - p);
	return true;
}

static uint64_t functab_pc(const hearth_objfile *f, uint32_t i)
{
	uint32_t v = 0;
	pcln32(f, f->functab_off + (size_t)i * 8, &v);
	return f->text_start + v;
}

/* debug/gosym's pcvalue: the value of the table at off for targetpc. */
static int32_t pcvalue(const hearth_objfile *f, uint32_t off, uint64_t entry, uint64_t target,
		       pcv_cache *c)
{
	if (f->pctab_off > f->npcln || off > f->npcln - f->pctab_off)
		return -1;
	const uint8_t *p = f->pcln + f->pctab_off + off, *end = f->pcln + f->npcln;
	int32_t val = -1;
	uint64_t pc = entry;
	bool first = true;
	if (c->valid && c->off == off && c->entry == entry && target >= c->lo) {
		if (target < c->hi)
			return c->val;
		p = c->p;
		pc = c->hi;
		val = c->val;
		first = false;
	}
	for (;; first = false) {
		uint64_t lo = pc;
		uint32_t v[2];
		for (int k = 0; k < 2; k++) {
			uint32_t x = 0;
			for (unsigned shift = 0;; shift += 7) {
				if (p >= end)
					return -1;
				uint8_t b = *p++;
				if (shift < 32)
					x |= (uint32_t)(b & 0x7f) << shift;
				if (!(b & 0x80))
					break;
				if (shift > 64)
					return -1;
			}
			v[k] = x;
			if (k == 0 && x == 0 && !first)
				return -1;
		}
		uint32_t d = v[0];
		d = (d & 1) ? ~(d >> 1) : d >> 1;
		val = (int32_t)((uint32_t)val + d);
		pc += (uint64_t)v[1] * f->quantum;
		if (target < pc) {
			*c = (pcv_cache){true, off, entry, lo, pc, p, val};
			return val;
		}
	}
}

static int pcln_source_line(hearth_objfile *f, uint64_t pc, hearth_frame *fr)
{
	if (!f->has_pcln || f->nfunc == 0)
		return 0;
	if (pc < functab_pc(f, 0) || pc >= functab_pc(f, f->nfunc))
		return 0;
	/* The last function whose entry is <= pc. */
	uint32_t lo = 0, hi = f->nfunc;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (functab_pc(f, mid) > pc)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (lo == 0)
		return 0;
	uint32_t i = lo - 1, funcoff;
	uint64_t entry = functab_pc(f, i);
	if (pc < entry || pc >= functab_pc(f, i + 1))
		return 0;
	if (!pcln32(f, f->functab_off + (size_t)i * 8 + 4, &funcoff))
		return 0;
	size_t fd = f->functab_off + funcoff;
	if (fd < f->functab_off) /* wrapped */
		return 0;
	/* _func: entryOff, nameOff, args, deferreturn, pcsp, pcfile, pcln,
	 * npcdata, cuOffset: field n is at 4*n. */
	uint32_t nameoff, pcfile, pcln, cuoff;
	if (!pcln32(f, fd + 4, &nameoff) || !pcln32(f, fd + 20, &pcfile) ||
	    !pcln32(f, fd + 24, &pcln) || !pcln32(f, fd + 32, &cuoff))
		return 0;
	memset(fr, 0, sizeof(*fr));
	if (!pcln_str(f, f->funcname_off, nameoff, &fr->func, &fr->func_len)) {
		fr->func = "";
		fr->func_len = 0;
	}
	fr->line = pcvalue(f, pcln, entry, pc, &f->pcv_line);
	int32_t fno = pcvalue(f, pcfile, entry, pc, &f->pcv_file);
	fr->file = "";
	if (fno >= 0) {
		uint32_t fnoff;
		uint64_t k = ((uint64_t)cuoff + (uint32_t)fno) * 4;
		if (k <= f->npcln && pcln32(f, f->cutab_off + k, &fnoff) && fnoff != UINT32_MAX &&
		    !pcln_str(f, f->filetab_off, fnoff, &fr->file, &fr->file_len)) {
			fr->file = "";
			fr->file_len = 0;
		}
	}
	return 1;
}

/* The name of a subprogram or inlined subroutine: its own DW_AT_name, or
 * the one of the abstract instance it comes from (an inlined copy, or an
 * out-of-line copy of a function also inlined elsewhere, names nothing
 * itself). */
static Elf_Scn *section(Elf *e, const char *name);

/* Go before Go 1.3 spelled package-qualified names with U+00B7
 * (main.*LSG·NewLoop) in its symbol tables; debug/gosym, which pprof
 * symbolized such programs with, gives them with a dot, so hearth does
 * too for names it takes from such a program (its ELF symbols, its DWARF).
 * Such a program has a non-empty .gosymtab (Go 1.3 on leave it empty). */
static bool is_old_go(hearth_objfile *f)
{
	if (f->old_go < 0) {
		Elf_Scn *scn = section(f->elf, ".gosymtab");
		GElf_Shdr sh;
		f->old_go =
		    scn && gelf_getshdr(scn, &sh) && sh.sh_type != SHT_NOBITS && sh.sh_size > 0;
	}
	return f->old_go;
}

static const char *dotted(hearth_objfile *f, const char *name)
{
	if (!name || !strstr(name, "\xc2\xb7") || !is_old_go(f))
		return name;
	if (f->ndots * 2 >= f->capdots) {
		size_t cap = f->capdots ? f->capdots * 2 : 64;
		struct dotted_name *d = calloc(cap, sizeof(*d));
		if (!d)
			return name;
		for (size_t i = 0; i < f->capdots; i++) {
			if (!f->dots[i].from)
				continue;
			size_t h = ((uintptr_t)f->dots[i].from >> 3) & (cap - 1);
			while (d[h].from)
				h = (h + 1) & (cap - 1);
			d[h] = f->dots[i];
		}
		free(f->dots);
		f->dots = d;
		f->capdots = cap;
	}
	size_t h = ((uintptr_t)name >> 3) & (f->capdots - 1);
	while (f->dots[h].from && f->dots[h].from != name)
		h = (h + 1) & (f->capdots - 1);
	if (f->dots[h].from)
		return f->dots[h].to;
	size_t n = strlen(name), w = 0;
	char *to = malloc(n + 1);
	if (!to)
		return name;
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)name[i] == 0xc2 && (unsigned char)name[i + 1] == 0xb7) {
			to[w++] = '.';
			i++;
		} else {
			to[w++] = name[i];
		}
	}
	to[w] = 0;
	f->dots[h] = (struct dotted_name){name, to};
	f->ndots++;
	return to;
}

static const char *die_name(Dwarf_Die *d)
{
	Dwarf_Attribute a;
	const char *n = dwarf_formstring(dwarf_attr_integrate(d, DW_AT_name, &a));
	return n ? n : "";
}

static void set_frame(hearth_frame *fr, const char *func, const char *file, int64_t line)
{
	fr->func = func ? func : "";
	fr->func_len = strlen(fr->func);
	fr->file = file ? file : "";
	fr->file_len = strlen(fr->file);
	fr->line = line;
}

/* DWARF for addresses outside Go's functions (cgo, C and C++ programs), as
 * addr2line -f -i reads it: the innermost frame's file and line from the
 * line table, then one frame per inlined subroutine that holds the address,
 * each called from the file and line its DW_AT_call_file/DW_AT_call_line
 * give, out to the subprogram.  (go tool pprof's own object reader stops at
 * the outer subprogram: one frame, no inlined calls.) */
static int dwarf_source_line(hearth_objfile *f, uint64_t pc, hearth_frame *fr, int max)
{
	if (!f->dw_tried) {
		f->dw_tried = true;
		f->dw = dwarf_begin_elf(f->elf, DWARF_C_READ, NULL);
	}
	if (!f->dw)
		return 0;
	Dwarf_Die cu;
	if (!dwarf_addrdie(f->dw, pc, &cu))
		return 0;
	Dwarf_Line *ln = dwarf_getsrc_die(&cu, pc);
	if (!ln)
		return 0;
	int lineno = 0;
	dwarf_lineno(ln, &lineno);
	const char *file = dwarf_linesrc(ln, NULL, NULL);
	Dwarf_Files *files = NULL;
	size_t nfiles = 0;
	if (dwarf_getsrcfiles(&cu, &files, &nfiles) != 0)
		files = NULL;
	/* dwarf_getscopes gives the innermost scope holding pc, but past an
	 * inlined subroutine it goes on with the scopes of the abstract
	 * definition; the callers are the DIEs that physically hold it, which
	 * dwarf_getscopes_die gives, from the innermost out to the unit. */
	Dwarf_Die *scopes = NULL;
	int ns = dwarf_getscopes(&cu, pc, &scopes);
	if (ns > 0) {
		Dwarf_Die inner = scopes[0];
		free(scopes);
		scopes = NULL;
		ns = dwarf_getscopes_die(&inner, &scopes);
	}
	int n = 0;
	for (int k = 0; k < ns && n < max; k++) {
		int tag = dwarf_tag(&scopes[k]);
		if (tag != DW_TAG_inlined_subroutine && tag != DW_TAG_subprogram)
			continue;
		set_frame(&fr[n++], dotted(f, die_name(&scopes[k])), file, lineno);
		if (tag == DW_TAG_subprogram)
			break;
		/* The caller's position is where this copy was inlined. */
		Dwarf_Attribute a;
		Dwarf_Word cf = 0, cl = 0;
		dwarf_formudata(dwarf_attr(&scopes[k], DW_AT_call_file, &a), &cf);
		dwarf_formudata(dwarf_attr(&scopes[k], DW_AT_call_line, &a), &cl);
		file = files && cf < nfiles ? dwarf_filesrc(files, cf, NULL, NULL) : NULL;
		lineno = (int)cl;
	}
	free(scopes);
	if (n == 0) {
		/* Line information without a subprogram around it (assembly). */
		set_frame(&fr[0], "", file, lineno);
		n = 1;
	}
	return n;
}

/* The ELF symbol table for programs without debug information: the
 * function symbol that holds the address, as pprof's nm-based fallback
 * names it.  Sorted once, on the first address that needs it. */
static int sym_cmp(const void *a, const void *b)
{
	const elf_sym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void load_symtab(hearth_objfile *f)
{
	f->syms_tried = true;
	for (int pass = 0; pass < 2 && f->nsyms == 0; pass++) {
		Elf_Scn *scn = NULL;
		while ((scn = elf_nextscn(f->elf, scn))) {
			GElf_Shdr sh;
			if (!gelf_getshdr(scn, &sh) ||
			    sh.sh_type != (pass == 0 ? SHT_SYMTAB : SHT_DYNSYM) || !sh.sh_entsize)
				continue;
			Elf_Data *d = elf_getdata(scn, NULL);
			if (!d)
				continue;
			size_t cnt = d->d_size / sh.sh_entsize;
			/* (realloc to 0 bytes would free the array behind our back.) */
			if (cnt == 0 || cnt > SIZE_MAX / sizeof(elf_sym) - f->nsyms)
				continue;
			elf_sym *s = realloc(f->syms, (f->nsyms + cnt) * sizeof(*s));
			if (!s)
				return;
			f->syms = s;
			for (size_t i = 0; i < cnt; i++) {
				GElf_Sym sym;
				if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC ||
				    sym.st_shndx == SHN_UNDEF || sym.st_value == 0)
					continue;
				const char *nm = elf_strptr(f->elf, sh.sh_link, sym.st_name);
				if (nm && *nm)
					s[f->nsyms++] = (elf_sym){sym.st_value, sym.st_size, nm};
			}
		}
	}
	if (f->nsyms)
		qsort(f->syms, f->nsyms, sizeof(*f->syms), sym_cmp);
}

static int symtab_source_line(hearth_objfile *f, uint64_t pc, hearth_frame *fr)
{
	if (!f->syms_tried)
		load_symtab(f);
	size_t lo = 0, hi = f->nsyms;
	while (lo < hi) { /* the first symbol above pc */
		size_t mid = lo + (hi - lo) / 2;
		if (f->syms[mid].addr <= pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return 0;
	const elf_sym *s = &f->syms[lo - 1];
	/* A sized symbol must hold pc; an unsized one runs to the next. */
	if (s->size && pc - s->addr >= s->size)
		return 0;
	set_frame(fr, dotted(f, s->name), NULL, 0);
	return 1;
}

int hearth_objfile_source_line(hearth_objfile *f, uint64_t addr, hearth_frame *fr, int max)
{
	if (max < 1)
		return 0;
	int n = pcln_source_line(f, addr, fr);
	if (!n)
		n = dwarf_source_line(f, addr, fr, max);
	if (!n)
		n = symtab_source_line(f, addr, fr);
	return n;
}

const uint8_t *hearth_objfile_data(const hearth_objfile *f, size_t *n)
{
	*n = f->size;
	return f->data;
}

struct Elf *hearth_objfile_elf(const hearth_objfile *f)
{
	return f->elf;
}

int hearth_objfile_go_line(hearth_objfile *f, uint64_t pc, hearth_frame *fr)
{
	return pcln_source_line(f, pc, fr);
}

bool hearth_objfile_go_func(const hearth_objfile *f, uint32_t i, uint64_t *entry, uint64_t *end,
			    const char **name, size_t *name_len)
{
	uint32_t funcoff, nameoff;
	if (!f->has_pcln || i >= f->nfunc ||
	    !pcln32(f, f->functab_off + (size_t)i * 8 + 4, &funcoff) ||
	    f->functab_off + (size_t)funcoff < f->functab_off ||
	    !pcln32(f, f->functab_off + (size_t)funcoff + 4, &nameoff))
		return false;
	*entry = functab_pc(f, i);
	*end = functab_pc(f, i + 1);
	if (!pcln_str(f, f->funcname_off, nameoff, name, name_len)) {
		*name = "";
		*name_len = 0;
	}
	return true;
}

static void read_build_id(hearth_objfile *f)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(f->elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d || !d->d_buf)
			continue;
		size_t off = 0, noff, doff;
		GElf_Nhdr nh;
		while ((off = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
			if (nh.n_type != NT_GNU_BUILD_ID || nh.n_namesz != 4 ||
			    memcmp((char *)d->d_buf + noff, "GNU", 4) || nh.n_descsz == 0 ||
			    nh.n_descsz > 64)
				continue;
			const uint8_t *b = (const uint8_t *)d->d_buf + doff;
			for (size_t k = 0; k < nh.n_descsz; k++)
				snprintf(f->build_id + 2 * k, 3, "%02x", b[k]);
			return;
		}
	}
}

static Elf_Scn *section(Elf *e, const char *name)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(e, &shstrndx))
		return NULL;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *n = elf_strptr(e, shstrndx, sh.sh_name);
		if (n && !strcmp(n, name))
			return scn;
	}
	return NULL;
}

/* Where the code starts, for a pclntab found by its magic whose header does
 * not say (Go 1.26's linker writes 0 there): the runtime's moduledata, which
 * starts with a pointer to the pclntab and holds text after six slices, a
 * word and minpc/maxpc. The pointer is looked for in the loaded segments. */
static uint64_t text_from_moduledata(hearth_objfile *f, size_t pcln_off)
{
	size_t np = 0;
	uint64_t pcln_va = 0;
	size_t ps = f->ptrsize;
	if (elf_getphdrnum(f->elf, &np))
		return 0;
	for (size_t i = 0; i < np && i < 65536 && !pcln_va; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(f->elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    ph.p_offset <= pcln_off && pcln_off - ph.p_offset < ph.p_filesz)
			pcln_va = ph.p_vaddr + (pcln_off - ph.p_offset);
	}
	if (!pcln_va)
		return 0;
	size_t text_at = ps + 6 * 3 * ps + 3 * ps; /* pcHeader, slices, findfunctab, minpc, maxpc */
	for (size_t off = 0; off + text_at + ps <= f->size; off += ps) {
		if (rdptr(f, f->data + off) != pcln_va)
			continue;
		uint64_t text = rdptr(f, f->data + off + text_at);
		uint64_t minpc = rdptr(f, f->data + off + text_at - 2 * ps);
		for (size_t i = 0; i < np && i < 65536; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(f->elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
			    (ph.p_flags & PF_X) && text >= ph.p_vaddr &&
			    text - ph.p_vaddr < ph.p_memsz && minpc >= text)
				return text;
		}
	}
	return 0;
}

static void find_pclntab(hearth_objfile *f)
{
	uint64_t text = 0;
	GElf_Shdr sh;
	Elf_Scn *s = section(f->elf, ".text");
	if (s && gelf_getshdr(s, &sh))
		text = sh.sh_addr;
	s = section(f->elf, ".gopclntab");
	if (!s)
		s = section(f->elf, ".data.rel.ro.gopclntab");
	if (s && gelf_getshdr(s, &sh) && sh.sh_type != SHT_NOBITS && sh.sh_offset <= f->size &&
	    sh.sh_size <= f->size - sh.sh_offset &&
	    parse_pclntab(f, f->data + sh.sh_offset, sh.sh_size, text, false))
		return;
	f->has_pcln = false;
	/* No section header names it (a file stripped of its section headers):
	 * look for the magic, and keep the first table that parses. Only for
	 * files that say they are Go's: a Go build id note, or no sections. */
	size_t nsec = 0;
	if (!section(f->elf, ".note.go.buildid") && !elf_getshdrnum(f->elf, &nsec) && nsec > 1)
		return;
	static const uint8_t magics[4][4] = {{0xf0, 0xff, 0xff, 0xff},
					     {0xf1, 0xff, 0xff, 0xff},
					     {0xff, 0xff, 0xff, 0xf0},
					     {0xff, 0xff, 0xff, 0xf1}};
	for (size_t off = 0; off + 64 <= f->size; off += 4) {
		const uint8_t *p = f->data + off;
		if ((memcmp(p, magics[0], 4) && memcmp(p, magics[1], 4) && memcmp(p, magics[2], 4) &&
		     memcmp(p, magics[3], 4)) ||
		    p[4] || p[5])
			continue;
		if (parse_pclntab(f, p, f->size - off, text, true) && f->nfunc > 0) {
			if (!text && f->text_start == 0)
				f->text_start = text_from_moduledata(f, off);
			return;
		}
		f->has_pcln = false;
	}
}

static hearth_err open_data(uint8_t *data, size_t n, hearth_objfile **out, hearth_errbuf *eb)
{
	*out = NULL;
	hearth_objfile *f = calloc(1, sizeof(*f));
	if (!f) {
		free(data);
		return HEARTH_ENOMEM;
	}
	f->old_go = -1;
	f->data = data;
	f->size = n;
	elf_version(EV_CURRENT);
	if (n < 4 || memcmp(data, "\177ELF", 4) ||
	    !(f->elf = elf_memory((char *)data, n)) || elf_kind(f->elf) != ELF_K_ELF) {
		hearth_objfile_close(f);
		return hearth_seterr(eb, HEARTH_EFORMAT, "not an ELF file");
	}
	size_t np = 0;
	if (!elf_getphdrnum(f->elf, &np))
		for (size_t i = 0; i < np && i < 65536; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(f->elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
			    (ph.p_flags & PF_X)) {
				f->has_load = true;
				f->load = ph.p_vaddr;
				break;
			}
		}
	read_build_id(f);
	find_pclntab(f);
	*out = f;
	return HEARTH_OK;
}

hearth_err hearth_objfile_open_mem(const void *data, size_t n, hearth_objfile **out,
				   hearth_errbuf *eb)
{
	uint8_t *copy = malloc(n ? n : 1);
	if (!copy)
		return HEARTH_ENOMEM;
	if (n)
		memcpy(copy, data, n);
	return open_data(copy, n, out, eb);
}

hearth_err hearth_objfile_open(const char *path, hearth_objfile **out, hearth_errbuf *eb)
{
	*out = NULL;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return hearth_seterr(eb, HEARTH_EIO, "%s", strerror(errno));
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < 4 ||
	    (uint64_t)st.st_size > MAX_FILE) {
		close(fd);
		return hearth_seterr(eb, HEARTH_EFORMAT, "not an ELF file");
	}
	size_t n = (size_t)st.st_size, got = 0;
	uint8_t *data = malloc(n);
	if (!data) {
		close(fd);
		return HEARTH_ENOMEM;
	}
	while (got < n) {
		ssize_t r = read(fd, data + got, n - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (got != n) {
		free(data);
		return hearth_seterr(eb, HEARTH_EIO, "short read");
	}
	return open_data(data, n, out, eb);
}

void hearth_objfile_close(hearth_objfile *f)
{
	if (!f)
		return;
	if (f->dw)
		dwarf_end(f->dw);
	if (f->elf)
		elf_end(f->elf);
	free(f->syms);
	for (size_t i = 0; i < f->capdots; i++)
		free(f->dots[i].to);
	free(f->dots);
	free(f->data);
	free(f);
}

const char *hearth_objfile_build_id(const hearth_objfile *f)
{
	return f->build_id;
}

bool hearth_objfile_load_address(const hearth_objfile *f, uint64_t *out)
{
	*out = f->load;
	return f->has_load;
}

bool hearth_is_elf_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return false;
	struct stat st;
	char m[4];
	bool ok = !fstat(fd, &st) && S_ISREG(st.st_mode) && read(fd, m, 4) == 4 &&
		  !memcmp(m, "\177ELF", 4);
	close(fd);
	return ok;
}

/* ---- the profile side ---- */

static void warnf(const hearth_symbolize_opts *so, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void warnf(const hearth_symbolize_opts *so, const char *fmt, ...)
{
	if (!so->warn)
		return;
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	so->warn(so->warn_ctx, line);
}

static const char *base_name(const char *s)
{
	const char *b = strrchr(s, '/');
	return b ? b + 1 : s;
}

/* pprof's locateBinaries: a file for the mapping under the search path,
 * by build id, then by name. Returns a malloc'd path or NULL. */
static char *locate(const hearth_profile *p, const hearth_mapping *m,
		    const hearth_symbolize_opts *so)
{
	const char *sp = getenv("HEARTH_BINARY_PATH");
	if (!sp || !*sp)
		sp = getenv("PPROF_BINARY_PATH");
	char def[4096];
	if (!sp || !*sp) {
		const char *home = getenv("HOME");
		snprintf(def, sizeof(def), "%s/pprof/binaries", home ? home : "");
		sp = def;
	}
	const char *file = hearth_s(p, m->file), *bid = hearth_s(p, m->build_id);
	if (!*file && !*bid)
		return NULL;
	char *paths = strdup(sp), *save = NULL;
	if (!paths)
		return NULL;
	char *found = NULL;
	for (char *dir = strtok_r(paths, ":", &save); dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *cands[64];
		int nc = 0;
		char buf[4096];
		glob_t g = {0};
		bool globbed = false;
		if (*bid) {
			snprintf(buf, sizeof(buf), "%s/%s/%s", dir, bid, base_name(file));
			cands[nc++] = strdup(buf);
			snprintf(buf, sizeof(buf), "%s/%s/*", dir, bid);
			if (glob(buf, 0, NULL, &g) == 0) {
				globbed = true;
				for (size_t k = 0; k < g.gl_pathc && nc < 60; k++)
					cands[nc++] = strdup(g.gl_pathv[k]);
			}
			snprintf(buf, sizeof(buf), "%s/%s/%s", dir, file, bid);
			cands[nc++] = strdup(buf);
		}
		if (*file) {
			if (*base_name(file)) {
				snprintf(buf, sizeof(buf), "%s/%s", dir, base_name(file));
				cands[nc++] = strdup(buf);
			}
			snprintf(buf, sizeof(buf), "%s/%s", dir, file);
			cands[nc++] = strdup(buf);
		}
		if (globbed)
			globfree(&g);
		for (int k = 0; k < nc; k++) {
			if (!found && cands[k] && hearth_is_elf_file(cands[k])) {
				hearth_objfile *f;
				hearth_errbuf e = {{0}};
				if (hearth_objfile_open(cands[k], &f, &e) == HEARTH_OK) {
					const char *fid = hearth_objfile_build_id(f);
					if (*bid && strcmp(bid, fid))
						warnf(so,
						      "Ignoring local file %s: build-id mismatch (%s != %s)",
						      cands[k], bid, fid);
					else
						found = cands[k], cands[k] = NULL;
					hearth_objfile_close(f);
				}
			}
			free(cands[k]);
		}
	}
	free(paths);
	return found;
}

typedef struct {
	uint32_t name, file, idx;
} fkey;

/* Function of (name, file): pprof keys its new functions by all fields. */
static uint32_t function_for(hearth_profile *p, fkey **tab, size_t *cap, size_t *n,
			     uint32_t name, uint32_t file)
{
	if (*n * 2 >= *cap) {
		size_t nc = *cap ? *cap * 2 : 1024;
		fkey *t = malloc(nc * sizeof(*t));
		if (!t)
			return HEARTH_NONE;
		for (size_t k = 0; k < nc; k++)
			t[k].idx = HEARTH_NONE;
		for (size_t k = 0; k < *cap; k++) {
			if ((*tab)[k].idx == HEARTH_NONE)
				continue;
			size_t h = ((*tab)[k].name * 2654435761u ^ (*tab)[k].file * 40503u) & (nc - 1);
			while (t[h].idx != HEARTH_NONE)
				h = (h + 1) & (nc - 1);
			t[h] = (*tab)[k];
		}
		free(*tab);
		*tab = t;
		*cap = nc;
	}
	size_t h = (name * 2654435761u ^ file * 40503u) & (*cap - 1);
	while ((*tab)[h].idx != HEARTH_NONE) {
		if ((*tab)[h].name == name && (*tab)[h].file == file)
			return (*tab)[h].idx;
		h = (h + 1) & (*cap - 1);
	}
	uint32_t idx = hearth_add_function(p, name, name, file, 0);
	if (idx == HEARTH_NONE)
		return HEARTH_NONE;
	(*tab)[h] = (fkey){name, file, idx};
	(*n)++;
	return idx;
}

static bool unsymbolizable(const char *file)
{
	/* pprof's Mapping.Unsymbolizable: [vdso], [vsyscall], [stack] ...,
	 * linux-vdso.so, GPU mappings. */
	const char *b = base_name(file);
	return b[0] == '[' || !strncmp(b, "linux-vdso", 10) || !strncmp(file, "/dev/dri/", 9);
}

hearth_err hearth_symbolize(hearth_profile *p, const hearth_symbolize_opts *so,
			    hearth_errbuf *eb)
{
	bool local = true, force = false, none = false;
	if (so->mode && *so->mode) {
		char *m = strdup(so->mode), *save = NULL;
		if (!m)
			return HEARTH_ENOMEM;
		for (char *w = strtok_r(m, ":", &save); w; w = strtok_r(NULL, ":", &save)) {
			if (!strcasecmp(w, "none") || !strcasecmp(w, "no"))
				none = true;
			else if (!strcasecmp(w, "local") || !strcasecmp(w, "fastlocal"))
				local = true;
			else if (!strcasecmp(w, "remote"))
				local = false;
			else if (!strcasecmp(w, "force"))
				force = true;
		}
		free(m);
	}
	/* locateBinaries, then the override of mapping 0 by the program given
	 * on the command line (with no mapping, a fake one for every location). */
	for (uint32_t i = 0; i < p->nmappings; i++) {
		char *path = locate(p, &p->mappings[i], so);
		if (path) {
			uint32_t s = hearth_intern_cstr(p, path);
			free(path);
			if (s == HEARTH_NONE)
				return HEARTH_ENOMEM;
			p->mappings[i].file = s;
		}
	}
	if (so->exec) {
		if (p->nmappings == 0) {
			hearth_mapping m = {0};
			if (hearth_add_mapping(p, &m) == HEARTH_NONE)
				return HEARTH_ENOMEM;
			for (uint32_t i = 0; i < p->nlocations; i++)
				p->locations[i].mapping = 0;
		}
		uint32_t s = hearth_intern_cstr(p, so->exec);
		if (s == HEARTH_NONE)
			return HEARTH_ENOMEM;
		p->mappings[0].file = s;
	}
	/* pprof locates the binaries whatever the mode: -symbolize=none still
	 * names the mapping after the program given. */
	if (!local || none)
		return HEARTH_OK;

	bool *used = calloc(p->nmappings + 1, sizeof(bool));
	hearth_objfile **obj = calloc(p->nmappings + 1, sizeof(*obj));
	uint64_t *adj = calloc(p->nmappings + 1, sizeof(*adj));
	fkey *tab = NULL;
	size_t tcap = 0, tn = 0;
	hearth_err err = HEARTH_OK;
	if (!used || !obj || !adj) {
		err = HEARTH_ENOMEM;
		goto out;
	}
	for (uint32_t i = 0; i < p->nlocations; i++)
		if (p->locations[i].mapping < p->nmappings)
			used[p->locations[i].mapping] = true;
	for (uint32_t i = 0; i < p->nmappings; i++) {
		hearth_mapping *m = &p->mappings[i];
		if (!used[i])
			continue;
		if (!force && (m->has_functions || m->has_filenames || m->has_line_numbers))
			continue;
		const char *file = hearth_s(p, m->file);
		if (!*file && i == 0 && !so->fetched)
			warnf(so, "Main binary filename not available.");
		if (!*file || unsymbolizable(file))
			continue;
		if (!*hearth_s(p, m->build_id) && (!strncmp(file, "http://", 7) ||
						   !strncmp(file, "https://", 8)))
			continue;
		const char *bid = hearth_s(p, m->build_id);
		char name[1024];
		snprintf(name, sizeof(name), "%s%s%s%s", base_name(file),
			 *bid ? " (build ID " : "", bid, *bid ? ")" : "");
		hearth_errbuf e = {{0}};
		hearth_objfile *f;
		if (hearth_objfile_open(file, &f, &e) != HEARTH_OK) {
			warnf(so, "Local symbolization failed for %s: %s", name,
			      e.msg[0] ? e.msg : "cannot open");
			continue;
		}
		const char *fid = hearth_objfile_build_id(f);
		if (*bid && *fid && strcmp(bid, fid)) {
			/* go tool pprof would symbolize with the wrong program: said,
			 * and the addresses are left as they are. */
			warnf(so, "Local symbolization failed for %s: build ID mismatch (file has %s)",
			      name, fid);
			hearth_objfile_close(f);
			continue;
		}
		uint64_t load;
		if (m->start != 0 && hearth_objfile_load_address(f, &load))
			adj[i] = m->start - load;
		obj[i] = f;
	}
	for (uint32_t i = 0; i < p->nlocations; i++) {
		hearth_location *l = &p->locations[i];
		if (l->mapping >= p->nmappings || !obj[l->mapping])
			continue;
		hearth_mapping *m = &p->mappings[l->mapping];
		hearth_frame fr[MAX_INLINE];
		int n = hearth_objfile_source_line(obj[l->mapping], l->address - adj[l->mapping], fr,
						   MAX_INLINE);
		if (n <= 0)
			continue;
		hearth_line lines[MAX_INLINE];
		for (int k = 0; k < n; k++) {
			uint32_t fn = hearth_intern(p, fr[k].func, fr[k].func_len);
			uint32_t ff = hearth_intern(p, fr[k].file, fr[k].file_len);
			if (fn == HEARTH_NONE || ff == HEARTH_NONE) {
				err = HEARTH_ENOMEM;
				goto out;
			}
			if (fr[k].func_len)
				m->has_functions = true;
			if (fr[k].file_len)
				m->has_filenames = true;
			if (fr[k].line)
				m->has_line_numbers = true;
			uint32_t fi = function_for(p, &tab, &tcap, &tn, fn, ff);
			if (fi == HEARTH_NONE) {
				err = HEARTH_ENOMEM;
				goto out;
			}
			lines[k] = (hearth_line){fi, fr[k].line, 0};
		}
		if (!HEARTH_GROW(p->lines, p->nlines, p->caplines, (size_t)n)) {
			err = HEARTH_ENOMEM;
			goto out;
		}
		memcpy(p->lines + p->nlines, lines, sizeof(*lines) * (size_t)n);
		l->line0 = (uint32_t)p->nlines;
		l->nlines = (uint32_t)n;
		l->is_folded = false;
		p->nlines += (size_t)n;
		m->has_inline_frames = true;
	}
out:
	if (obj)
		for (uint32_t i = 0; i < p->nmappings; i++)
			hearth_objfile_close(obj[i]);
	free(obj);
	free(used);
	free(adj);
	free(tab);
	if (err)
		hearth_seterr(eb, err, "symbolization: %s", hearth_strerror(err));
	return err;
}
