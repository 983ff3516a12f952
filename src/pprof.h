/* pprof's own command line (`hearth [flags] [binary] source...`) and its
 * interactive shell: the configuration both share, as pprof names, shows and
 * sets it, and the running of one report by pprof's command name. */
#ifndef HEARTH_PPROF_H
#define HEARTH_PPROF_H

#include <stdbool.h>
#include <stdio.h>

#include "hearth/options.h"
#include "hearth/profile.h"

/* pprof's configuration fields (its `o` command lists them). */
enum { PCFG_NFIELDS = 35 };
typedef struct {
	char *val[PCFG_NFIELDS]; /* malloc'd; the field's value as pprof prints it */
} pcfg;

void pcfg_init(pcfg *c);
void pcfg_free(pcfg *c);
bool pcfg_copy(pcfg *dst, const pcfg *src);
/* True when name is a field or one of a field's choices ("cum", "lines"). */
bool pcfg_known(const char *name);
/* A bool field or a choice: may be given without a value. */
bool pcfg_is_bool(const char *name);
/* pprof's configure(name, value); on failure a message in err, false. */
bool pcfg_set(pcfg *c, const char *name, const char *value, char *err, size_t n);
const char *pcfg_get(const pcfg *c, const char *name);
/* The options of a report: o is initialized, its strings point into c. */
bool pcfg_to_opts(const pcfg *c, hearth_opts *o, char *err, size_t n);
/* The `o` listing, as pprof prints it (sample types from p). */
void pcfg_print(const pcfg *c, const hearth_profile *p, FILE *f);
/* Every name pprof's shell completes: commands, fields and choices. */
extern const char *const pprof_words[];
/* One help line of a field or command, NULL when unknown. */
const char *pprof_help(const char *name);
/* The closest of words[] to s within a small edit distance, or NULL. */
const char *pprof_did_you_mean(const char *s, const char *const *words);

/* Runs pprof's command name (with its regexp for list, peek, disasm,
 * weblist) on a copy of p with the configuration c, and puts the output
 * where pprof puts it: stdout, c's output file, a profileNNN.<suffix> file
 * for binary formats on a terminal (always in the shell), or a viewer
 * (web, weblist).  Errors are printed; returns an exit status. */
int pprof_report(const hearth_profile *p, const char *name, const char *regexp, const pcfg *c,
		 bool interactive);

/* The shell on a loaded profile: commands from stdin until quit or EOF. */
int pprof_shell(const hearth_profile *p, pcfg *c);

#endif
