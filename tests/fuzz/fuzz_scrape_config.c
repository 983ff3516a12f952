/* libFuzzer target: hearth scrape's configuration (lib/collect/config.c)
 * and its file_sd target files, both YAML read with libyaml.
 *
 * An accepted configuration must be whole (every job named, every type
 * with a path, cpu with a duration, the timeout within the interval) and
 * its relabel rules must run on a label set without failing; a refused one
 * must come with a one-line message that names the file and line
 * ("f.yaml:N: ...").
 *
 * Build and run: make fuzz; tests/fuzz/run.sh short|long. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "collect/collect.h"

static void check_message(hearth_err err, const hearth_errbuf *eb)
{
	if (err == HEARTH_ENOMEM || err == HEARTH_ETOOBIG)
		return;
	size_t n = strnlen(eb->msg, sizeof(eb->msg));
	if (n == 0 || n == sizeof(eb->msg) || memchr(eb->msg, '\n', n) ||
	    strncmp(eb->msg, "f.yaml:", 7)) {
		fprintf(stderr, "error %d without a one-line message naming the line: \"%.*s\"\n",
			(int)err, (int)n, eb->msg);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hearth_scrape_config c;
	hearth_errbuf eb = {{0}};
	hearth_err err = hearth_scrape_config_parse("f.yaml", (const char *)data, size, &c, &eb);
	if (err) {
		check_message(err, &eb);
	} else {
		for (size_t i = 0; i < c.njobs; i++) {
			hearth_scrape_job *j = &c.jobs[i];
			if (!j->job_name || !*j->job_name || j->timeout_ms > j->interval_ms ||
			    j->interval_ms <= 0)
				abort();
			for (size_t t = 0; t < j->ntypes; t++)
				if (!j->types[t].path || j->types[t].path[0] != '/' ||
				    (!strcmp(j->types[t].name, "cpu") && j->types[t].seconds < 1))
					abort();
			hearth_labelset ls = {0};
			hearth_labelset_set(&ls, "__address__", "host:6060");
			hearth_labelset_set(&ls, "job", j->job_name);
			bool keep;
			hearth_relabel_apply(j->relabels, j->nrelabels, &ls, &keep, &eb);
			hearth_labelset_free(&ls);
		}
		hearth_scrape_config_free(&c);
	}
	hearth_target_group *g;
	size_t ng;
	eb = (hearth_errbuf){{0}};
	err = hearth_file_sd_parse("f.yaml", (const char *)data, size, &g, &ng, &eb);
	if (err)
		check_message(err, &eb);
	else
		hearth_target_groups_free(g, ng);
	return 0;
}
