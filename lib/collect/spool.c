/* The queue of pushes waiting for the server: a FIFO with a size cap that
 * evicts its oldest items first and counts them.  With a directory, each
 * item is one file, DIR/<20-digit sequence>.push, written whole (a
 * temporary file renamed into place) before it counts as queued, so a
 * scraper that is killed loses nothing it had accepted and picks the
 * queue up where it was on its next start.  Without one, items live in
 * memory under the same cap.
 *
 * A file: "hearth-spool 1\n", then service, type, labels, id and time,
 * one line each, an empty line, then the profile's bytes. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "collect/collect.h"

typedef struct {
	uint64_t seq;
	size_t bytes;		/* what the item counts against the cap */
	hearth_spool_item *mem; /* in-memory spools: the item itself */
} entry;

struct hearth_spool {
	char *dir;
	size_t max;
	entry *q; /* a ring */
	size_t head, n, cap;
	size_t bytes;
	uint64_t next_seq;
	hearth_spool_stats st;
};

#define MAGIC "hearth-spool 1\n"

static void item_free(hearth_spool_item *it)
{
	if (!it)
		return;
	free(it->service);
	free(it->type);
	free(it->labels);
	free(it->id);
	free(it->body);
	*it = (hearth_spool_item){0};
}

void hearth_spool_item_free(hearth_spool_item *it)
{
	item_free(it);
}

static char *path_of(const hearth_spool *sp, uint64_t seq)
{
	char *p = NULL;
	if (asprintf(&p, "%s/%020" PRIu64 ".push", sp->dir, seq) < 0)
		return NULL;
	return p;
}

static bool push_back(hearth_spool *sp, entry e)
{
	if (sp->n == sp->cap) {
		size_t cap = sp->cap ? sp->cap * 2 : 256;
		entry *q = malloc(cap * sizeof(*q));
		if (!q)
			return false;
		for (size_t i = 0; i < sp->n; i++)
			q[i] = sp->q[(sp->head + i) % sp->cap];
		free(sp->q);
		sp->q = q;
		sp->cap = cap;
		sp->head = 0;
	}
	sp->q[(sp->head + sp->n) % sp->cap] = e;
	sp->n++;
	sp->bytes += e.bytes;
	return true;
}

/* Drops the oldest item; counted as evicted when evicted. */
static void drop_head(hearth_spool *sp, bool evicted)
{
	if (!sp->n)
		return;
	entry *e = &sp->q[sp->head];
	if (evicted) {
		sp->st.evicted_items++;
		sp->st.evicted_bytes += e->bytes;
	}
	if (e->mem) {
		item_free(e->mem);
		free(e->mem);
	} else if (sp->dir) {
		char *p = path_of(sp, e->seq);
		if (p)
			unlink(p);
		free(p);
	}
	sp->bytes -= e->bytes;
	sp->head = (sp->head + 1) % sp->cap;
	sp->n--;
}

static int cmp_seq(const void *a, const void *b)
{
	const entry *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

hearth_err hearth_spool_open(const char *dir, size_t max_bytes, hearth_spool **out,
			     hearth_errbuf *eb)
{
	*out = NULL;
	hearth_spool *sp = calloc(1, sizeof(*sp));
	if (!sp)
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	sp->max = max_bytes ? max_bytes : (size_t)256 << 20;
	sp->next_seq = 1;
	if (!dir) {
		*out = sp;
		return HEARTH_OK;
	}
	hearth_err err = HEARTH_OK;
	entry *found = NULL;
	size_t nfound = 0, capfound = 0;
	DIR *d = NULL;
	if (!(sp->dir = strdup(dir)))
		goto oom;
	if (mkdir(dir, 0700) && errno != EEXIST) {
		err = hearth_seterr(eb, HEARTH_EIO, "spool %s: %s", dir, strerror(errno));
		goto out;
	}
	if (!(d = opendir(dir))) {
		err = hearth_seterr(eb, HEARTH_EIO, "spool %s: %s", dir, strerror(errno));
		goto out;
	}
	/* Items of an earlier run, in sequence order; temporary files that a
	 * crash left behind are removed. */
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *nm = de->d_name;
		size_t l = strlen(nm);
		if (l > 4 && !strcmp(nm + l - 4, ".tmp")) {
			unlinkat(dirfd(d), nm, 0);
			continue;
		}
		uint64_t seq;
		char tail[8];
		if (l != 25 || sscanf(nm, "%20" SCNu64 "%7s", &seq, tail) != 2 ||
		    strcmp(tail, ".push"))
			continue;
		struct stat st;
		if (fstatat(dirfd(d), nm, &st, 0) || !S_ISREG(st.st_mode))
			continue;
		if (nfound == capfound) {
			capfound = capfound ? capfound * 2 : 256;
			entry *nf = realloc(found, capfound * sizeof(*nf));
			if (!nf)
				goto oom;
			found = nf;
		}
		found[nfound++] = (entry){seq, (size_t)st.st_size, NULL};
	}
	if (nfound)
		qsort(found, nfound, sizeof(*found), cmp_seq);
	for (size_t i = 0; i < nfound; i++) {
		if (!push_back(sp, found[i]))
			goto oom;
		if (found[i].seq >= sp->next_seq)
			sp->next_seq = found[i].seq + 1;
	}
	/* A smaller cap than the last run's: the oldest go. */
	while (sp->bytes > sp->max)
		drop_head(sp, true);
	goto out;
oom:
	err = hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
out:
	if (d)
		closedir(d);
	free(found);
	if (err) {
		hearth_spool_close(sp);
		return err;
	}
	*out = sp;
	return HEARTH_OK;
}

void hearth_spool_close(hearth_spool *sp)
{
	if (!sp)
		return;
	/* Files stay for the next run; memory items go. */
	for (size_t i = 0; i < sp->n; i++) {
		entry *e = &sp->q[(sp->head + i) % sp->cap];
		if (e->mem) {
			item_free(e->mem);
			free(e->mem);
		}
	}
	free(sp->q);
	free(sp->dir);
	free(sp);
}

static bool one_line(const char *s)
{
	return s && strlen(s) < 4096 && !strchr(s, '\n');
}

hearth_err hearth_spool_put(hearth_spool *sp, const char *service, const char *type,
			    const char *labels, const char *id, int64_t time_nanos,
			    const uint8_t *body, size_t n, hearth_errbuf *eb)
{
	labels = labels ? labels : "";
	if (!one_line(service) || !one_line(type) || !one_line(labels) || !one_line(id))
		return hearth_seterr(eb, HEARTH_EINVAL, "spool: a field with a newline");
	size_t hdr =
	    strlen(MAGIC) + strlen(service) + strlen(type) + strlen(labels) + strlen(id) + 32 + 6;
	size_t total = hdr + n;
	if (total > sp->max)
		return hearth_seterr(eb, HEARTH_ETOOBIG,
				     "spool: a push of %zu bytes is larger than the spool (%zu)", n,
				     sp->max);
	while (sp->n && sp->bytes + total > sp->max)
		drop_head(sp, true);
	uint64_t seq = sp->next_seq++;
	entry e = {seq, total, NULL};
	if (!sp->dir) {
		hearth_spool_item *it = calloc(1, sizeof(*it));
		if (!it)
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		*it = (hearth_spool_item){.seq = seq,
					  .service = strdup(service),
					  .type = strdup(type),
					  .labels = strdup(labels),
					  .id = strdup(id),
					  .time_nanos = time_nanos,
					  .body = malloc(n ? n : 1),
					  .n = n};
		if (!it->service || !it->type || !it->labels || !it->id || !it->body) {
			item_free(it);
			free(it);
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		}
		memcpy(it->body, body, n);
		e.mem = it;
	} else {
		char *p = path_of(sp, seq), *tmp = NULL;
		hearth_err err = HEARTH_OK;
		FILE *f = NULL;
		if (!p || asprintf(&tmp, "%s.tmp", p) < 0) {
			free(p);
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		}
		if (!(f = fopen(tmp, "wb"))) {
			err = hearth_seterr(eb, HEARTH_EIO, "spool %s: %s", tmp, strerror(errno));
		} else {
			fprintf(f, MAGIC "%s\n%s\n%s\n%s\n%" PRId64 "\n\n", service, type, labels,
				id, time_nanos);
			if (n)
				fwrite(body, 1, n, f);
			/* The item is durable before it counts as queued. */
			if (fflush(f) || ferror(f) || fsync(fileno(f)))
				err = hearth_seterr(eb, HEARTH_EIO, "spool %s: %s", tmp,
						    strerror(errno ? errno : EIO));
			if (fclose(f) && !err)
				err = hearth_seterr(eb, HEARTH_EIO, "spool %s: %s", tmp,
						    strerror(errno));
			struct stat st;
			if (!err && rename(tmp, p))
				err = hearth_seterr(eb, HEARTH_EIO, "spool %s: %s", p,
						    strerror(errno));
			else if (!err && !stat(p, &st))
				e.bytes = (size_t)st.st_size;
		}
		if (err)
			unlink(tmp);
		free(tmp);
		free(p);
		if (err)
			return err;
	}
	if (!push_back(sp, e)) {
		if (e.mem) {
			item_free(e.mem);
			free(e.mem);
		}
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	sp->st.put_items++;
	return HEARTH_OK;
}

static char *dupn(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

/* Reads a spool file back; false when it is damaged. */
static bool read_item(const char *path, hearth_spool_item *it, size_t cap)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	struct stat st;
	char *buf = NULL;
	bool ok = false;
	if (fstat(fileno(f), &st) || (size_t)st.st_size > cap + 4096)
		goto out;
	size_t n = (size_t)st.st_size;
	if (!(buf = malloc(n + 1)) || fread(buf, 1, n, f) != n)
		goto out;
	buf[n] = 0;
	if (n < strlen(MAGIC) || memcmp(buf, MAGIC, strlen(MAGIC)))
		goto out;
	const char *p = buf + strlen(MAGIC), *end = buf + n;
	const char *fld[6];
	size_t fl[6];
	for (int i = 0; i < 6; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			goto out;
		fld[i] = p;
		fl[i] = (size_t)(nl - p);
		p = nl + 1;
	}
	if (fl[5] != 0 || fl[0] == 0)
		goto out;
	char *tend;
	char tbuf[32];
	if (fl[4] == 0 || fl[4] >= sizeof(tbuf))
		goto out;
	memcpy(tbuf, fld[4], fl[4]);
	tbuf[fl[4]] = 0;
	it->time_nanos = strtoll(tbuf, &tend, 10);
	if (*tend)
		goto out;
	it->service = dupn(fld[0], fl[0]);
	it->type = dupn(fld[1], fl[1]);
	it->labels = dupn(fld[2], fl[2]);
	it->id = dupn(fld[3], fl[3]);
	it->n = (size_t)(end - p);
	it->body = malloc(it->n ? it->n : 1);
	if (!it->service || !it->type || !it->labels || !it->id || !it->body)
		goto out;
	memcpy(it->body, p, it->n);
	ok = true;
out:
	if (!ok)
		item_free(it);
	free(buf);
	fclose(f);
	return ok;
}

hearth_err hearth_spool_peek(hearth_spool *sp, hearth_spool_item *out, bool *found,
			     hearth_errbuf *eb)
{
	*out = (hearth_spool_item){0};
	*found = false;
	while (sp->n) {
		entry *e = &sp->q[sp->head];
		if (e->mem) {
			hearth_spool_item *m = e->mem;
			*out = (hearth_spool_item){.seq = e->seq,
						   .service = strdup(m->service),
						   .type = strdup(m->type),
						   .labels = strdup(m->labels),
						   .id = strdup(m->id),
						   .time_nanos = m->time_nanos,
						   .body = malloc(m->n ? m->n : 1),
						   .n = m->n};
			if (!out->service || !out->type || !out->labels || !out->id || !out->body) {
				item_free(out);
				return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
			}
			memcpy(out->body, m->body, m->n);
			*found = true;
			return HEARTH_OK;
		}
		char *p = path_of(sp, e->seq);
		if (!p)
			return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
		bool ok = read_item(p, out, sp->max);
		free(p);
		if (ok) {
			out->seq = e->seq;
			*found = true;
			return HEARTH_OK;
		}
		sp->st.damaged_items++;
		drop_head(sp, false);
	}
	return HEARTH_OK;
}

void hearth_spool_pop(hearth_spool *sp, uint64_t seq)
{
	if (sp->n && sp->q[sp->head].seq == seq)
		drop_head(sp, false);
}

void hearth_spool_stats_get(const hearth_spool *sp, hearth_spool_stats *st)
{
	*st = sp->st;
	st->items = sp->n;
	st->bytes = sp->bytes;
}
