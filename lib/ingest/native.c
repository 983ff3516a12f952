/* hearth's own push: POST /api/v1/push?service=NAME&type=T&labels=k=v,k2=v2
 * &id=KEY&time=T with a profile (gzip or not, any format hearth_parse
 * reads) as the body. */
#include <string.h>

#include "hearth/query.h"
#include "ingest/internal.h"

/* labels=k=v,k2=v2: pairs split at ',' and their first '='. */
static hearth_err parse_labels(hearth_ingest_batch *b, hearth_ingest_item *it, const char *s,
			       const hearth_ingest_limits *lim, hearth_errbuf *eb)
{
	size_t len = strlen(s), count = 0;
	if (len == 0)
		return HEARTH_OK;
	for (size_t i = 0; i < len; i++)
		count += s[i] == ',';
	count++;
	if (count > lim->max_labels)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "labels: %zu labels, more than %zu", count,
				     lim->max_labels);
	it->labels = hearth_ingest_alloc(b, count * sizeof(hearth_kv));
	if (!it->labels)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	for (size_t i = 0; i <= len;) {
		size_t e = i;
		while (e < len && s[e] != ',')
			e++;
		const char *eq = memchr(s + i, '=', e - i);
		if (!eq)
			return hearth_seterr(eb, HEARTH_EINVAL,
					     "labels: \"%.*s\" at byte %zu is not name=value",
					     (int)(e - i > 64 ? 64 : e - i), s + i, i);
		size_t nn = (size_t)(eq - (s + i)), vn = e - i - nn - 1;
		hearth_err err =
		    hearth_ingest_check_label(s + i, nn, eq + 1, vn, lim, "labels", eb);
		if (err)
			return err;
		hearth_kv *kv = &it->labels[it->nlabels++];
		kv->name = hearth_ingest_strdup(b, s + i, nn);
		kv->value = hearth_ingest_strdup(b, eq + 1, vn);
		if (!kv->name || !kv->value)
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		i = e + 1;
	}
	return hearth_ingest_finish_labels(it, lim, "labels", eb);
}

static hearth_err native_impl(const char *query, size_t qlen, const void *body, size_t n,
			      const hearth_ingest_limits *limits, hearth_ingest_batch *out,
			      hearth_errbuf *eb)
{
	hearth_ingest_limits lim = hearth_ingest_limits_of(limits);
	hearth_query q = {0};
	hearth_ingest_batch b = {0};
	hearth_err err;
	memset(out, 0, sizeof(*out));
	if (n > lim.max_body)
		return hearth_seterr(eb, HEARTH_ETOOBIG, "body: %zu bytes, more than %zu", n,
				     lim.max_body);
	err = hearth_query_parse(query ? query : "", query ? qlen : 0, &q, eb);
	if (err)
		return err;
	static const char *const known[] = {"service", "type", "labels", "id", "time"};
	for (size_t i = 0; i < q.n; i++) {
		bool ok = false;
		for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++)
			ok |= strcmp(q.p[i].name, known[k]) == 0;
		if (!ok) {
			err = hearth_seterr(eb, HEARTH_EINVAL,
					    "query: unknown parameter \"%.64s\" (service, type, "
					    "labels, id, time)",
					    q.p[i].name);
			goto out;
		}
	}
	hearth_ingest_item *it = hearth_ingest_add(&b);
	if (!it) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	const char *service = hearth_query_get(&q, "service", NULL);
	if (!service || !*service) {
		err = hearth_seterr(eb, HEARTH_EINVAL, "query: service=NAME is required");
		goto out;
	}
	if ((err = hearth_ingest_check_service(service, strlen(service), "service", eb)))
		goto out;
	it->service = hearth_ingest_strdup(&b, service, strlen(service));
	const char *type = hearth_query_get(&q, "type", NULL);
	if (type && *type) {
		if ((err = hearth_ingest_check_type(type, strlen(type), "type", eb)))
			goto out;
		it->type = hearth_ingest_strdup(&b, type, strlen(type));
	}
	const char *labels = hearth_query_get(&q, "labels", NULL);
	if (labels && (err = parse_labels(&b, it, labels, &lim, eb)))
		goto out;
	const char *id = hearth_query_get(&q, "id", NULL);
	if (id && *id) {
		size_t idn = strlen(id);
		if (idn > 128 || !hearth_ingest_utf8_ok(id, idn)) {
			err = hearth_seterr(eb, HEARTH_EINVAL,
					    "id: an idempotency key is 1..128 bytes of UTF-8 text");
			goto out;
		}
		it->ingest_id = hearth_ingest_strdup(&b, id, idn);
	}
	const char *tm = hearth_query_get(&q, "time", NULL);
	if (tm && *tm) {
		hearth_errbuf te = {{0}};
		if ((err = hearth_time_parse(tm, hearth_ingest_now(), &it->time_nanos, &te))) {
			hearth_seterr(eb, err, "time: %s", te.msg);
			goto out;
		}
	}
	if (!it->service || (type && *type && !it->type) || (id && *id && !it->ingest_id)) {
		err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		goto out;
	}
	err = hearth_ingest_parse_profile(body, n, &lim, "body", &it->profile, eb);
out:
	hearth_query_free(&q);
	if (err)
		hearth_ingest_batch_free(&b);
	else
		*out = b;
	return err;
}

hearth_err hearth_ingest_native(const char *query, size_t qlen, const void *body, size_t n,
				const hearth_ingest_limits *lim, hearth_ingest_batch *out,
				hearth_errbuf *eb)
{
	/* An empty request may come without a buffer. */
	if (!body)
		body = "", n = 0;
	return hearth_ingest_clean_err(native_impl(query, qlen, body, n, lim, out, eb), eb);
}
