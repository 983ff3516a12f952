/* One report by pprof's command name on a loaded profile: what the
 * interactive shell (src/shell.c) and the pprof-form command line need, so
 * that each of pprof's commands means one sequence of library calls. */
#include <stdlib.h>
#include <string.h>

#include "hearth/io.h"
#include "hearth/render.h"
#include "hearth/report.h"
#include "hearth/run.h"
#include "report.h"

typedef hearth_err (*text_fn)(hearth_report *r, hearth_buf *out, hearth_errbuf *eb);

static const struct {
	const char *name;
	hearth_cmd cmd;
	text_fn fn;
	hearth_run_kind kind;
	bool regexp;
} table[] = {
    {"top", HEARTH_CMD_TOP, hearth_report_top, HEARTH_RUN_TEXT, false},
    {"text", HEARTH_CMD_TOP, hearth_report_top, HEARTH_RUN_TEXT, false},
    {"traces", HEARTH_CMD_TRACES, hearth_report_traces, HEARTH_RUN_TEXT, false},
    {"tree", HEARTH_CMD_TREE, hearth_report_tree, HEARTH_RUN_TEXT, false},
    {"peek", HEARTH_CMD_PEEK, hearth_report_peek, HEARTH_RUN_TEXT, true},
    {"list", HEARTH_CMD_LIST, hearth_report_list, HEARTH_RUN_TEXT, true},
    {"disasm", HEARTH_CMD_DISASM, hearth_report_disasm, HEARTH_RUN_TEXT, true},
    {"tags", HEARTH_CMD_TAGS, hearth_report_tags, HEARTH_RUN_TEXT, false},
    {"raw", HEARTH_CMD_RAW, hearth_report_rawtext, HEARTH_RUN_TEXT, false},
    {"comments", HEARTH_CMD_COMMENTS, hearth_report_comments, HEARTH_RUN_TEXT, false},
    {"dot", HEARTH_CMD_DOT, hearth_report_dot, HEARTH_RUN_TEXT, false},
    {"callgrind", HEARTH_CMD_CALLGRIND, hearth_report_callgrind, HEARTH_RUN_FILE, false},
    {"kcachegrind", HEARTH_CMD_CALLGRIND, hearth_report_callgrind, HEARTH_RUN_VIEW, false},
    {"weblist", HEARTH_CMD_WEBLIST, hearth_report_weblist, HEARTH_RUN_VIEW, true},
    {"svg", HEARTH_CMD_DOT, NULL, HEARTH_RUN_FILE, false},
    {"pdf", HEARTH_CMD_DOT, NULL, HEARTH_RUN_FILE, false},
    {"png", HEARTH_CMD_DOT, NULL, HEARTH_RUN_FILE, false},
    {"web", HEARTH_CMD_DOT, NULL, HEARTH_RUN_VIEW, false},
    {"eog", HEARTH_CMD_DOT, NULL, HEARTH_RUN_VIEW, false},
    {"evince", HEARTH_CMD_DOT, NULL, HEARTH_RUN_VIEW, false},
    {"proto", HEARTH_CMD_PROTO, NULL, HEARTH_RUN_FILE, false},
    {"topproto", HEARTH_CMD_TOPPROTO, NULL, HEARTH_RUN_FILE, false},
};

static int find(const char *name)
{
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		if (!strcmp(table[i].name, name))
			return (int)i;
	return -1;
}

bool hearth_run_known(const char *name, hearth_run_kind *kind, bool *regexp)
{
	int i = find(name);
	if (i < 0)
		return false;
	if (kind)
		*kind = table[i].kind;
	if (regexp)
		*regexp = table[i].regexp;
	return true;
}

bool hearth_run_needs_labels(const char *name, const hearth_opts *o)
{
	int i = find(name);
	return i < 0 || hearth_report_needs_labels(table[i].cmd, o);
}

const char *hearth_run_suffix(const char *name)
{
	if (!strcmp(name, "callgrind"))
		return "callgraph.out";
	if (!strcmp(name, "kcachegrind"))
		return "grind";
	if (!strcmp(name, "proto") || !strcmp(name, "topproto"))
		return "pb.gz";
	if (!strcmp(name, "weblist"))
		return "html";
	if (!strcmp(name, "pdf") || !strcmp(name, "evince"))
		return "pdf";
	if (!strcmp(name, "png"))
		return "png";
	return "svg";
}

static hearth_err gzip_profile(const hearth_profile *p, hearth_buf *out, hearth_errbuf *eb)
{
	hearth_buf raw = {0};
	uint8_t *gz = NULL;
	size_t n = 0;
	hearth_err e = hearth_proto_encode(p, &raw);
	if (!e && raw.oom)
		e = HEARTH_ENOMEM;
	if (!e)
		e = hearth_gzip((const uint8_t *)raw.data, raw.len, &gz, &n);
	if (e)
		hearth_seterr(eb, e, "encoding the profile: %s", hearth_strerror(e));
	else
		hearth_buf_put(out, (const char *)gz, n);
	free(gz);
	hearth_buf_free(&raw);
	return e;
}

hearth_err hearth_run(hearth_profile *p, const hearth_opts *o, const char *name, hearth_buf *out,
		      hearth_buf *warnings, hearth_errbuf *eb)
{
	int i = find(name);
	hearth_report *r = NULL;
	hearth_profile *top = NULL;
	hearth_buf dot = {0};
	hearth_err err;
	if (i < 0) {
		hearth_profile_free(p);
		return hearth_seterr(eb, HEARTH_EINVAL, "unrecognized command: \"%s\"", name);
	}
	if ((err = hearth_report_new(p, o, table[i].cmd, &r, eb)))
		goto out;
	if (table[i].fn) {
		err = table[i].fn(r, out, eb);
	} else if (table[i].cmd == HEARTH_CMD_PROTO) {
		if (!(err = hearth_report_proto(r, eb)))
			err = gzip_profile(hearth_report_profile(r), out, eb);
	} else if (table[i].cmd == HEARTH_CMD_TOPPROTO) {
		if (!(err = hearth_report_topproto(r, &top, eb)))
			err = gzip_profile(top, out, eb);
	} else {
		const char *fmt = hearth_run_suffix(name);
		if (!(err = hearth_report_dot(r, &dot, eb)) && dot.oom)
			err =
			    hearth_seterr(eb, HEARTH_ENOMEM, "%s", hearth_strerror(HEARTH_ENOMEM));
		if (!err)
			err = hearth_render_dot(dot.data, dot.len, fmt, out, eb);
	}
	if (!err && out->oom && !out->flush)
		err = hearth_seterr(eb, HEARTH_ENOMEM, "%s", hearth_strerror(HEARTH_ENOMEM));
out:
	if (r && warnings)
		hearth_buf_puts(warnings, hearth_report_warnings(r));
	hearth_report_free(r);
	hearth_profile_free(top);
	hearth_buf_free(&dot);
	return err;
}

hearth_err hearth_run_greeting(hearth_profile *p, const hearth_opts *o, hearth_buf *out,
			       bool *no_samples, hearth_errbuf *eb)
{
	hearth_report *r = NULL;
	hearth_opts g = *o;
	/* pprof's greeting reports the whole profile: no filter applies. */
	g.focus = g.ignore = g.hide = g.show = g.show_from = g.prune_from = NULL;
	g.tagfocus = g.tagignore = g.tagshow = g.taghide = NULL;
	uint32_t ntypes = p->nsample_types;
	hearth_err err = hearth_report_new(p, &g, HEARTH_CMD_TOP, &r, eb);
	if (err)
		return err;
	hearth_rpt_profile_labels(r, out);
	*no_samples = r->total == 0 && ntypes > 1;
	hearth_report_free(r);
	return HEARTH_OK;
}
