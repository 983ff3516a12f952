/* `speedscope`: speedscope's file format
 * (https://www.speedscope.app/file-format-schema.json): the distinct frame
 * names in shared.frames, and one "sampled" profile whose samples are the
 * call paths that have samples of their own (frame indices, root first) with
 * their values as weights.  pprof keeps no time order, so identical stacks
 * are one sample; speedscope's "Left Heavy" and "Sandwich" views are the
 * useful ones.  With -base or -diff_base there are two profiles, after and
 * before.
 *
 * Jansson writes every string (names, types, the title).  The samples and
 * weights, tens of millions of integers on a large profile, are written by
 * hand as the walk produces them: building them as jansson values costs a
 * json_t and a malloc per integer.  Measured on ../shared/bench/big.cpu.pb.gz
 * (1M samples, 1M distinct stacks, 25M frame indices, 159 MB of output):
 * jansson 6.5 s of CPU and 1.59 GB peak RSS, this writer 2.2 s and 0.34 GB. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flame.h"
#include "util.h"

typedef struct {
	hearth_report *r;
	hearth_fprep *fp;
	hearth_buf *out[2];  /* samples of the profile, and of the base */
	int64_t *weights[2]; /* their weights */
	size_t nw[2], capw[2];
	int64_t sum[2];
	uint32_t *path;	 /* frame index of the frame at each depth */
	uint32_t *frame; /* name -> index in shared.frames */
} sctx;

static void put_u64(hearth_buf *b, uint64_t u)
{
	char s[24], *e = s + sizeof(s), *c = e;
	do {
		*--c = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	hearth_buf_put(b, c, (size_t)(e - c));
}

static int64_t weight(const sctx *c, int64_t v, int64_t div)
{
	if (c->fp->mean && div)
		v /= div;
	double ratio = c->r->ratio;
	return ratio > 0 && ratio != 1 ? (int64_t)((double)v * ratio) : v;
}

static int add_stack(void *ctx, const hearth_fvisit *v)
{
	sctx *c = ctx;
	if (v->depth == 0)
		return 0;
	c->path[v->depth - 1] = c->frame[v->name];
	int64_t w[2] = {weight(c, v->a.self, v->da.self), weight(c, v->b.self, v->db.self)};
	for (int s = 0; s < (c->fp->diff ? 2 : 1); s++) {
		if (w[s] == 0)
			continue;
		hearth_buf *b = c->out[s];
		hearth_buf_puts(b, c->nw[s] ? ",[" : "[");
		for (uint32_t d = 0; d < v->depth; d++) {
			if (d)
				hearth_buf_put(b, ",", 1);
			put_u64(b, c->path[d]);
		}
		hearth_buf_put(b, "]", 1);
		if (!HEARTH_GROW(c->weights[s], c->nw[s], c->capw[s], 1))
			return HEARTH_ENOMEM;
		c->weights[s][c->nw[s]++] = w[s];
		c->sum[s] += w[s];
		if (b->oom)
			return HEARTH_EIO;
	}
	return 0;
}

static int jwrite(const char *buf, size_t n, void *ctx)
{
	hearth_buf *b = ctx;
	hearth_buf_put(b, buf, n);
	return b->oom ? -1 : 0;
}

/* Writes s (any bytes) as a JSON string. */
static void jstr(hearth_buf *b, const char *s)
{
	char *c = hearth_utf8_clean(s);
	json_t *j = c ? json_string(c) : NULL;
	free(c);
	if (!j || json_dump_callback(j, jwrite, b, JSON_ENCODE_ANY) != 0)
		b->oom = true;
	json_decref(j);
}

static const char *unit_of(const hearth_report *r)
{
	static const char *const known[] = {"nanoseconds", "microseconds", "milliseconds",
					    "seconds", "bytes"};
	if (r->ratio > 0 && r->ratio != 1)
		return "none"; /* -divide_by: the values are in no unit speedscope knows */
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!strcmp(r->sample_unit, known[i]))
			return known[i];
	return "none";
}

static void profile_head(hearth_buf *out, const hearth_report *r, const char *suffix)
{
	hearth_buf name = {0};
	hearth_buf_printf(&name, "%s%s", r->sample_type, suffix);
	hearth_buf_puts(out, "{\"type\":\"sampled\",\"name\":");
	jstr(out, name.data ? name.data : "");
	hearth_buf_free(&name);
	hearth_buf_printf(out, ",\"unit\":\"%s\",\"startValue\":0,\"samples\":[", unit_of(r));
}

static void profile_tail(hearth_buf *out, const int64_t *w, size_t n, int64_t sum)
{
	hearth_buf_puts(out, "],\"weights\":[");
	for (size_t i = 0; i < n; i++) {
		if (i)
			hearth_buf_put(out, ",", 1);
		if (w[i] < 0) {
			hearth_buf_put(out, "-", 1);
			put_u64(out, (uint64_t)0 - (uint64_t)w[i]);
		} else {
			put_u64(out, (uint64_t)w[i]);
		}
	}
	hearth_buf_puts(out, "],\"endValue\":");
	if (sum < 0) {
		hearth_buf_put(out, "-", 1);
		sum = -sum;
	}
	put_u64(out, (uint64_t)sum);
	hearth_buf_put(out, "}", 1);
}

hearth_err hearth_report_speedscope(hearth_report *r, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_fprep fp;
	hearth_buf base = {0};
	hearth_err err = hearth_fprep_new(r, &fp);
	if (err)
		return hearth_seterr(eb, err, "%s", hearth_strerror(err));
	sctx c = {.r = r, .fp = &fp, .out = {out, &base}};
	c.path = malloc(sizeof(uint32_t) * ((size_t)fp.maxdepth + 1));
	c.frame = malloc(sizeof(uint32_t) * ((size_t)fp.nnames + 1));
	if (!c.path || !c.frame) {
		err = HEARTH_ENOMEM;
		goto out;
	}
	/* shared.frames: the names the samples left by the filters use. */
	memset(c.frame, 0, sizeof(uint32_t) * fp.nnames);
	for (size_t i = 0; i < fp.off[fp.n]; i++)
		c.frame[(fp.seq[i] - 1) >> 1] = 1;
	uint32_t nframes = 0;
	for (uint32_t i = 0; i < fp.nnames; i++)
		c.frame[i] = c.frame[i] ? nframes++ : UINT32_MAX;
	char file[4096];
	hearth_rpt_file_name(r, file, sizeof(file));
	hearth_buf title = {0};
	hearth_buf_printf(&title, "%s%s%s", file, *file ? " " : "", r->sample_type);
	hearth_buf_puts(out, "{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\","
			     "\"exporter\":\"hearth\",\"name\":");
	jstr(out, title.data ? title.data : "");
	hearth_buf_free(&title);
	hearth_buf_puts(out, ",\"activeProfileIndex\":0,\"shared\":{\"frames\":[");
	for (uint32_t i = 0; i < fp.nnames; i++) {
		if (c.frame[i] == UINT32_MAX)
			continue;
		hearth_buf_puts(out, c.frame[i] ? ",{\"name\":" : "{\"name\":");
		jstr(out, fp.names[i]);
		hearth_buf_put(out, "}", 1);
	}
	hearth_buf_puts(out, "]},\"profiles\":[");
	profile_head(out, r, "");
	if (fp.diff)
		profile_head(&base, r, " (base)");
	if ((err = hearth_fprep_walk(&fp, 0, add_stack, &c, NULL)))
		goto out;
	profile_tail(out, c.weights[0], c.nw[0], c.sum[0]);
	if (fp.diff) {
		profile_tail(&base, c.weights[1], c.nw[1], c.sum[1]);
		hearth_buf_put(out, ",", 1);
		if (base.data)
			hearth_buf_put(out, base.data, base.len);
		if (base.oom)
			err = HEARTH_ENOMEM;
	}
	hearth_buf_puts(out, "]}\n");
	if (!err && out->oom)
		err = HEARTH_EIO;
out:
	free(c.path);
	free(c.frame);
	free(c.weights[0]);
	free(c.weights[1]);
	hearth_buf_free(&base);
	hearth_fprep_free(&fp);
	if (err == HEARTH_EIO)
		return hearth_seterr(eb, err, "writing output failed");
	if (err)
		return hearth_seterr(eb, err, "%s", hearth_strerror(err));
	return HEARTH_OK;
}
