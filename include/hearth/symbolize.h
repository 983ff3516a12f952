/* Local symbolization: addresses of a profile's locations turned into
 * functions, files and lines from the program's ELF file, as `go tool pprof`
 * does it (Go's pclntab first, then DWARF line tables for the rest).
 *
 * The ELF file is hostile input: every offset read from it is bounds-checked. */
#ifndef HEARTH_SYMBOLIZE_H
#define HEARTH_SYMBOLIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hearth/error.h"
#include "hearth/profile.h"

typedef struct hearth_objfile hearth_objfile;

/* Opens an ELF file (read whole, at most 4 GB). */
hearth_err hearth_objfile_open(const char *path, hearth_objfile **out, hearth_errbuf *eb);
/* The same from memory; the bytes are copied. */
hearth_err hearth_objfile_open_mem(const void *data, size_t n, hearth_objfile **out,
				   hearth_errbuf *eb);
void hearth_objfile_close(hearth_objfile *f);

/* The GNU build id in hex, "" when the file has none. */
const char *hearth_objfile_build_id(const hearth_objfile *f);
/* The address the executable segment is loaded at (go tool pprof's rule:
 * the first executable PT_LOAD), false when there is none. */
bool hearth_objfile_load_address(const hearth_objfile *f, uint64_t *out);

typedef struct {
	const char *func, *file; /* not NUL-terminated: use the lengths */
	size_t func_len, file_len;
	int64_t line;
} hearth_frame;

/* Frames of addr (an address of the file), innermost first.  Returns how many
 * were found (0: none), at most max. The strings live as long as f. */
int hearth_objfile_source_line(hearth_objfile *f, uint64_t addr, hearth_frame *fr, int max);

/* For disassembly (lib/report/asm.c): the file's bytes, its libelf handle,
 * Go's pclntab alone (debug/gosym's PCToLine, as go tool pprof's
 * disassembler asks it), and the pclntab's function i (entry, the next
 * function's entry, name); false past the last or when there is no table. */
const uint8_t *hearth_objfile_data(const hearth_objfile *f, size_t *n);
struct Elf *hearth_objfile_elf(const hearth_objfile *f);
int hearth_objfile_go_line(hearth_objfile *f, uint64_t pc, hearth_frame *fr);
bool hearth_objfile_go_func(const hearth_objfile *f, uint32_t i, uint64_t *entry, uint64_t *end,
			    const char **name, size_t *name_len);

/* True when path is a readable ELF file (a program given before profiles). */
bool hearth_is_elf_file(const char *path);

typedef struct {
	/* pprof's -symbolize: NULL or "" (local, and remote), "none", "local",
	 * "remote", "force"; several joined by ':'. */
	const char *mode;
	/* The program given on the command line: the file of mapping 0. */
	const char *exec;
	/* Lines for the user that are not errors (pprof's ui.PrintErr). */
	void (*warn)(void *ctx, const char *line);
	void *warn_ctx;
	/* A source was fetched from a URL: pprof names mapping 0 after it, so
	 * it does not say "Main binary filename not available." */
	bool fetched;
} hearth_symbolize_opts;

/* Finds the binaries of p's mappings (the exec override, $HEARTH_BINARY_PATH
 * or $PPROF_BINARY_PATH or $HOME/pprof/binaries, by build id and name) and
 * symbolizes the locations of the mappings not symbolized yet. */
hearth_err hearth_symbolize(hearth_profile *p, const hearth_symbolize_opts *so,
			    hearth_errbuf *eb);

#endif
