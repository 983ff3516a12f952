/* libFuzzer target: a tenant's symbol dictionary as the store loads it
 * from its rows (lib/store/codec.c, hs_dict_load), chunks a dictionary
 * sweep rewrote included: kinds 4 to 7 with runs of deleted ids, gaps
 * between chunks.
 *
 * The input is a list of rows: a byte (the row's kind), uv first, uv
 * length, then that many bytes.  A row refused must come with a message.
 * Once every row is loaded: every id reads without fault; the references
 * of every entry are marked (hostile entries included); then each kind is
 * written again as one chunk (hs_dict_encode_range, nothing deleted) and
 * loaded into a second dictionary, which must hold the same entries under
 * the same ids, and learnt from (hs_dict_mark_chunk, as a PostgreSQL node
 * learns another's sweep), which must mark exactly the ids that read;
 * every row of the input is learnt from too (hostile: refused with a
 * message, or marks ids within its range); last, an entry is interned into
 * both (the hash table rebuilt around deleted ids).
 *
 * Build and run: make fuzz; tests/fuzz/run.sh short|long.  Seed:
 * tests/fuzz/regress/dict_swept. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/codec.h"

static void check_msg(hearth_err err, const hearth_errbuf *eb)
{
	size_t n = strnlen(eb->msg, sizeof(eb->msg));
	if (err != HEARTH_ENOMEM && (n == 0 || n == sizeof(eb->msg))) {
		fprintf(stderr, "dict: error %d without a message\n", (int)err);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return 0;
	hs_dict *d = hs_dict_new(), *e = hs_dict_new();
	hs_marks m = {0}, lm = {0};
	hs_out o = {0};
	if (!d || !e)
		goto out;
	hs_in in = {data, data + size, false};
	while (in.p < in.end) {
		int kind = *in.p++;
		uint64_t first = hs_get_uv(&in), n = hs_get_uv(&in);
		if (in.bad || first < 1 || first > UINT32_MAX || n > (size_t)(in.end - in.p))
			goto out;
		hearth_errbuf eb = {{0}};
		hearth_err err = hs_dict_load(d, kind, (uint32_t)first, in.p, (size_t)n, &eb);
		if (err) {
			check_msg(err, &eb);
			goto out;
		}
		in.p += n;
	}
	uint32_t upto[HS_NKINDS] = {0}, total = 0;
	for (int k = 0; k < HS_NKINDS; k++)
		total +=
		    hs_dict_published(d, k) > (1u << 16) ? (1u << 16) : hs_dict_published(d, k);
	if (total >= (1u << 16))
		goto out; /* ids far apart: the walks below would only take long */
	for (int k = 0; k < HS_NKINDS; k++) {
		for (uint32_t id = 1; id <= hs_dict_published(d, k); id++) {
			const uint8_t *p;
			uint32_t n;
			if (hs_dict_get(d, k, id, &p, &n))
				hs_mark(&m, k, id);
			else if (hs_marked(&m, k, id) || n)
				abort();
		}
	}
	hs_dict_mark_closure(d, upto, &m, true);
	for (int k = 0; k < HS_NKINDS; k++) {
		uint32_t last = hs_dict_committed(d, k), nlive;
		if (!last)
			continue;
		o.n = 0;
		hs_dict_encode_range(d, k, 1, last, upto, &m, &o, &nlive);
		if (o.oom)
			goto out;
		hearth_errbuf eb = {{0}};
		if (hs_dict_load(e, k + HS_NKINDS, 1, o.p, o.n, &eb)) {
			fprintf(stderr, "dict: a chunk hearth wrote does not load: %s\n", eb.msg);
			abort();
		}
		if (hs_dict_committed(e, k) != last || hs_dict_live(e, k) != nlive) {
			fprintf(stderr, "dict: kind %d: %u ids, %u live read back as %u, %zu\n", k,
				last, nlive, hs_dict_committed(e, k), hs_dict_live(e, k));
			abort();
		}
		for (uint32_t id = 1; id <= last; id++) {
			const uint8_t *p, *q;
			uint32_t n, nq;
			bool a = hs_dict_get(d, k, id, &p, &n), b = hs_dict_get(e, k, id, &q, &nq);
			if (a != b || n != nq || (n && memcmp(p, q, n))) {
				fprintf(stderr, "dict: kind %d id %u differs once written again\n", k,
					id);
				abort();
			}
		}
		hs_marks_free(&lm);
		if (hs_dict_mark_chunk(d, k + HS_NKINDS, 1, last, o.p, o.n, &lm, &eb)) {
			fprintf(stderr, "dict: a chunk hearth wrote is not learnt: %s\n", eb.msg);
			abort();
		}
		for (uint32_t id = 1; id <= last && !lm.oom; id++) {
			const uint8_t *p;
			uint32_t n;
			if (hs_dict_get(d, k, id, &p, &n) != hs_marked(&lm, k, id)) {
				fprintf(stderr, "dict: kind %d id %u learnt wrong\n", k, id);
				abort();
			}
		}
	}
	/* The rows again, as a node that loaded them learns them. */
	in = (hs_in){data, data + size, false};
	while (in.p < in.end) {
		int kind = *in.p++;
		uint64_t first = hs_get_uv(&in), n = hs_get_uv(&in);
		if (in.bad || n > (size_t)(in.end - in.p))
			break;
		if (first < 1 || first > UINT32_MAX) {
			in.p += n;
			continue;
		}
		uint32_t last = kind >= 0 && kind < 2 * HS_NKINDS
				    ? hs_dict_committed(d, kind % HS_NKINDS)
				    : 0;
		hearth_errbuf eb = {{0}};
		hs_marks_free(&lm);
		hearth_err err = hs_dict_mark_chunk(d, kind, (uint32_t)first, last, in.p, (size_t)n,
						    &lm, &eb);
		if (err)
			check_msg(err, &eb);
		for (int k = 0; k < HS_NKINDS && !err; k++)
			for (uint32_t w = 0; w < lm.cap[k] / 64; w++)
				for (uint64_t bits = lm.b[k][w]; bits; bits &= bits - 1) {
					uint32_t id = w * 64 + (uint32_t)__builtin_ctzll(bits);
					if (k != kind % HS_NKINDS || id < first || id > last)
						abort();
				}
		in.p += n;
	}
	hs_dict *both[2] = {d, e};
	for (int i = 0; i < 2; i++) {
		uint32_t id;
		hs_dict_lock(both[i]);
		hearth_err err = hs_dict_intern(both[i], HS_STR, "fuzz", 4, &id);
		hs_dict_unlock(both[i]);
		if (!err && id <= hs_dict_committed(both[i], HS_STR)) {
			const uint8_t *p;
			uint32_t n;
			if (!hs_dict_get(both[i], HS_STR, id, &p, &n) || n != 4 || memcmp(p, "fuzz", 4))
				abort();
		}
	}
out:
	hs_marks_free(&m);
	hs_marks_free(&lm);
	hs_out_free(&o);
	hs_dict_free(d);
	hs_dict_free(e);
	return 0;
}
