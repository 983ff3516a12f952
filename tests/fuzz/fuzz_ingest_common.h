/* What the ingest fuzz targets check of every answer (lib/ingest): a refusal
 * comes with a one-line message and an empty batch; an accepted batch holds
 * only what the store may take (a service, labels that are valid, sorted and
 * unique, a profile that hearth writes and reads back). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hearth/io.h"
#include "ingest/ingest.h"

static void check_answer(hearth_err err, const hearth_errbuf *eb, hearth_ingest_batch *b,
			 const char *what)
{
	if (err) {
		size_t n = strnlen(eb->msg, sizeof(eb->msg));
		if (err != HEARTH_ENOMEM &&
		    (n == 0 || n == sizeof(eb->msg) || memchr(eb->msg, '\n', n))) {
			fprintf(stderr, "%s: error %d without a one-line message\n", what,
				(int)err);
			abort();
		}
		if (b->n || b->v || b->priv) {
			fprintf(stderr, "%s: a refusal left items in the batch\n", what);
			abort();
		}
		return;
	}
	for (size_t i = 0; i < b->n; i++) {
		const hearth_ingest_item *it = &b->v[i];
		if (!it->service || !it->service[0] || !it->profile)
			abort();
		if (it->nlabels > HEARTH_MAX_LABELS)
			abort();
		for (size_t k = 0; k < it->nlabels; k++) {
			const char *name = it->labels[k].name;
			if (!name[0] || !strcmp(name, "service") || !strncmp(name, "__", 2) ||
			    strlen(name) > 128 || strlen(it->labels[k].value) > 1024)
				abort();
			if (k && strcmp(it->labels[k - 1].name, name) >= 0)
				abort();
		}
		/* What was accepted can be written and read back. */
		hearth_buf out = {0};
		if (hearth_proto_encode(it->profile, &out) == HEARTH_OK && !out.oom) {
			hearth_profile *q = NULL;
			hearth_errbuf qeb = {{0}};
			hearth_err e =
			    hearth_proto_decode((const uint8_t *)out.data, out.len, &q, &qeb);
			if (e && e != HEARTH_ENOMEM) {
				fprintf(stderr, "%s: an accepted profile does not read back: %s\n",
					what, qeb.msg);
				abort();
			}
			if (q && q->nsamples != it->profile->nsamples)
				abort();
			hearth_profile_free(q);
		}
		hearth_buf_free(&out);
	}
	hearth_ingest_batch_free(b);
}

/* Limits small enough that the fuzzer meets them. */
static const hearth_ingest_limits fuzz_limits = {
    .max_decompressed = 64 << 20,
    .max_samples = 100000,
    .max_locations = 100000,
    .max_labels = 8,
    .max_label_len = 64,
};
