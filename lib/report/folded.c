/* `folded`: one "frame;frame;frame value" line per call path that has
 * samples of its own, root first: the format of FlameGraph's
 * stackcollapse scripts, which flamegraph.pl, speedscope, Pyroscope
 * ("groups") and inferno read.  The lines come from the flame graph's walk
 * with nothing merged, in name order.
 *
 * A few "# key: value" lines come first so that hearth reads the file back
 * as the same profile (lib/folded.c): the sample type, the profile's file,
 * time and duration; tools that do not know them skip lines they cannot
 * parse.  Inlined frames carry FlameGraph's "_[i]" suffix, which hearth
 * reads back as an inlined call.  With -base or -diff_base each line has two
 * values, before and after, as difffolded.pl writes them.
 *
 * Names are written as they are, except that ';' (the separator) becomes ':'
 * and control characters (line breaks among them) become '?'. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flame.h"
#include "util.h"

typedef struct {
	hearth_report *r;
	hearth_fprep *fp;
	hearth_buf *out;
	hearth_buf line;
	size_t *len;	/* line length after the frame at each depth */
	hearth_buf esc; /* every name as written, one after the other */
	size_t *at;	/* name i is esc.data[at[i] .. at[i+1]) */
} fctx;

static void put_frame(hearth_buf *b, const char *s)
{
	const char *run = s;
	for (; *s; s++) {
		unsigned char u = (unsigned char)*s;
		char c = u == ';' ? ':' : (u < 0x20 && u != '\t') || u == 0x7f ? '?' : 0;
		if (!c)
			continue;
		hearth_buf_put(b, run, (size_t)(s - run));
		hearth_buf_put(b, &c, 1);
		run = s + 1;
	}
	hearth_buf_put(b, run, (size_t)(s - run));
}

static int64_t scaled(const hearth_report *r, int64_t v)
{
	return r->ratio > 0 && r->ratio != 1 ? hearth_scale_i64(v, r->ratio) : v;
}

static int folded_line(void *ctx, const hearth_fvisit *v)
{
	fctx *c = ctx;
	if (v->depth == 0) {
		c->len[0] = 0;
		return 0;
	}
	c->line.len = c->len[v->depth - 1];
	if (v->depth > 1)
		hearth_buf_put(&c->line, ";", 1);
	hearth_buf_put(&c->line, c->esc.data + c->at[v->name], c->at[v->name + 1] - c->at[v->name]);
	if (v->inl)
		hearth_buf_put(&c->line, "_[i]", 4);
	c->len[v->depth] = c->line.len;
	if (c->line.oom)
		return HEARTH_ENOMEM;
	if (v->a.self == 0 && v->b.self == 0)
		return 0;
	hearth_buf_put(c->out, c->line.data, c->line.len);
	int64_t a = scaled(c->r, c->fp->mean && v->da.self ? v->a.self / v->da.self : v->a.self);
	if (c->fp->diff) {
		int64_t b =
		    scaled(c->r, c->fp->mean && v->db.self ? v->b.self / v->db.self : v->b.self);
		hearth_buf_printf(c->out, " %" PRId64 " %" PRId64 "\n", b, a);
	} else {
		hearth_buf_printf(c->out, " %" PRId64 "\n", a);
	}
	return c->out->oom ? HEARTH_EIO : 0;
}

/* A header value on one line. */
static void put_value(hearth_buf *b, const char *s)
{
	for (; *s; s++)
		hearth_buf_put(b, *s == '\n' || *s == '\r' ? " " : s, 1);
}

static void header(const hearth_report *r, const hearth_fprep *fp, hearth_buf *out)
{
	const hearth_profile *p = r->p;
	hearth_buf_puts(out, "# hearth folded stacks: \"frame;frame;... value\", root first, "
			     "\"_[i]\" marks an inlined frame\n# type: ");
	put_value(out, r->sample_type);
	hearth_buf_put(out, "/", 1);
	put_value(out, r->sample_unit);
	hearth_buf_put(out, "\n", 1);
	/* Said even for one value: a name that ends in " 12" must not make
	 * a reader take the file for two columns. */
	hearth_buf_puts(out, fp->diff ? "# values: before after\n" : "# values: value\n");
	if (p->nmappings && p->mappings[0].file) {
		hearth_buf_puts(out, "# file: ");
		put_value(out, hearth_s(p, p->mappings[0].file));
		hearth_buf_put(out, "\n", 1);
		if (p->mappings[0].build_id) {
			hearth_buf_puts(out, "# build_id: ");
			put_value(out, hearth_s(p, p->mappings[0].build_id));
			hearth_buf_put(out, "\n", 1);
		}
	}
	if (p->time_nanos)
		hearth_buf_printf(out, "# time: %" PRId64 "\n", p->time_nanos);
	if (p->duration_nanos)
		hearth_buf_printf(out, "# duration: %" PRId64 "\n", p->duration_nanos);
	if (p->period_type.type || p->period) {
		hearth_buf_puts(out, "# period: ");
		put_value(out, hearth_s(p, p->period_type.type));
		hearth_buf_put(out, "/", 1);
		put_value(out, hearth_s(p, p->period_type.unit));
		hearth_buf_printf(out, " %" PRId64 "\n", p->period);
	}
	if (fp->no_stack)
		hearth_buf_printf(out, "# no_stack: %" PRId64 "\n", scaled(r, fp->no_stack));
	for (uint32_t i = 0; i < p->ncomments; i++) {
		hearth_buf_puts(out, "# comment: ");
		put_value(out, hearth_s(p, p->comments[i]));
		hearth_buf_put(out, "\n", 1);
	}
}

hearth_err hearth_report_folded(hearth_report *r, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_fprep fp;
	hearth_err err = hearth_fprep_new(r, &fp);
	if (err)
		return hearth_seterr(eb, err, "%s", hearth_strerror(err));
	fctx c = {.r = r, .fp = &fp, .out = out};
	c.len = calloc((size_t)fp.maxdepth + 2, sizeof(size_t));
	c.at = malloc(sizeof(size_t) * ((size_t)fp.nnames + 1));
	if (c.at) {
		/* Names are written once each here, then copied per line. */
		for (uint32_t i = 0; i < fp.nnames; i++) {
			c.at[i] = c.esc.len;
			put_frame(&c.esc, fp.names[i]);
		}
		c.at[fp.nnames] = c.esc.len;
	}
	if (!c.len || !c.at || c.esc.oom) {
		free(c.len);
		free(c.at);
		hearth_buf_free(&c.esc);
		hearth_fprep_free(&fp);
		return hearth_seterr(eb, HEARTH_ENOMEM, "out of memory");
	}
	header(r, &fp, out);
	err = hearth_fprep_walk(&fp, 0, folded_line, &c, NULL);
	hearth_buf_free(&c.line);
	hearth_buf_free(&c.esc);
	free(c.at);
	free(c.len);
	hearth_fprep_free(&fp);
	if (!err && out->oom)
		err = HEARTH_EIO;
	if (err == HEARTH_EIO)
		return hearth_seterr(eb, err, "writing output failed");
	if (err)
		return hearth_seterr(eb, err, "%s", hearth_strerror(err));
	return HEARTH_OK;
}
