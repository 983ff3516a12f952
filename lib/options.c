/* Option names and defaults, as pprof spells them. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hearth/options.h"

void hearth_opts_init(hearth_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->divide_by = 1.0;
	o->unit = "minimum";
	o->granularity = HEARTH_GRAN_FUNCTIONS;
	o->nodecount = -1;
	o->nodefraction = 0.005;
	o->edgefraction = 0.001;
	o->trim = true;
}

void hearth_opts_base_apart(hearth_opts *o)
{
	if (!o->nbase)
		return;
	memcpy(o->diff_base, o->base, sizeof(o->base));
	o->ndiff_base = o->nbase;
	o->nbase = 0;
}

static bool parse_bool(const char *v, bool *out)
{
	if (!v || !strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "t") || !strcmp(v, "T") ||
	    !strcmp(v, "TRUE") || !strcmp(v, "True")) {
		*out = true;
		return true;
	}
	if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "f") || !strcmp(v, "F") ||
	    !strcmp(v, "FALSE") || !strcmp(v, "False")) {
		*out = false;
		return true;
	}
	return false;
}

static const struct {
	const char *name;
	const char *sample_index; /* shortcut for -sample_index=... */
	bool mean;
} shortcuts[] = {
	{"inuse_space", "inuse_space", false}, {"inuse_objects", "inuse_objects", false},
	{"alloc_space", "alloc_space", false}, {"alloc_objects", "alloc_objects", false},
	{"total_delay", "delay", false},       {"contentions", "contentions", false},
	{"mean_delay", "delay", true},
};

static const char *const granularities[] = {"functions", "filefunctions", "files", "lines",
					    "addresses"};

static const char *const bool_names[] = {"mean",  "relative_percentages", "drop_negative",
					 "normalize", "noinlines", "trim", "call_tree", "cum",
					 "flat", "compact_labels"};

bool hearth_opts_is_flag(const char *name)
{
	for (size_t i = 0; i < sizeof(shortcuts) / sizeof(shortcuts[0]); i++)
		if (!strcmp(name, shortcuts[i].name))
			return true;
	for (size_t i = 0; i < sizeof(granularities) / sizeof(granularities[0]); i++)
		if (!strcmp(name, granularities[i]))
			return true;
	for (size_t i = 0; i < sizeof(bool_names) / sizeof(bool_names[0]); i++)
		if (!strcmp(name, bool_names[i]))
			return true;
	return false;
}

hearth_err hearth_opts_set(hearth_opts *o, const char *name, const char *v, hearth_errbuf *eb)
{
	bool b;
	struct {
		const char *name;
		const char **dst;
	} strs[] = {
		{"focus", &o->focus},	      {"ignore", &o->ignore},
		{"hide", &o->hide},	      {"show", &o->show},
		{"show_from", &o->show_from}, {"prune_from", &o->prune_from},
		{"tagfocus", &o->tagfocus},   {"tagignore", &o->tagignore},
		{"tagshow", &o->tagshow},     {"taghide", &o->taghide},
		{"sample_index", &o->sample_index}, {"output", &o->output},
		{"o", &o->output},	      {"source_path", &o->source_path},
		{"trim_path", &o->trim_path},
		{"from", &o->from},	      {"until", &o->until},
		{"type", &o->type},	      {"token", &o->token},
	};
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if (strcmp(name, strs[i].name))
			continue;
		if (!v)
			return hearth_seterr(eb, HEARTH_EINVAL, "option -%s needs a value", name);
		*strs[i].dst = *v ? v : NULL;
		return HEARTH_OK;
	}
	for (size_t i = 0; i < sizeof(shortcuts) / sizeof(shortcuts[0]); i++) {
		if (strcmp(name, shortcuts[i].name))
			continue;
		if (!parse_bool(v, &b))
			goto badbool;
		if (b) {
			o->sample_index = shortcuts[i].sample_index;
			if (shortcuts[i].mean)
				o->mean = true;
		}
		return HEARTH_OK;
	}
	for (size_t i = 0; i < sizeof(granularities) / sizeof(granularities[0]); i++) {
		if (strcmp(name, granularities[i]))
			continue;
		if (!parse_bool(v, &b))
			goto badbool;
		if (b)
			o->granularity = (hearth_granularity)i;
		return HEARTH_OK;
	}
	if (!strcmp(name, "granularity")) {
		for (size_t i = 0; v && i < sizeof(granularities) / sizeof(granularities[0]); i++)
			if (!strcmp(v, granularities[i])) {
				o->granularity = (hearth_granularity)i;
				return HEARTH_OK;
			}
		return hearth_seterr(eb, HEARTH_EINVAL,
				     "-granularity must be one of functions, filefunctions, "
				     "files, lines, addresses");
	}
	if (!strcmp(name, "unit")) {
		if (!v || !*v)
			return hearth_seterr(eb, HEARTH_EINVAL, "option -unit needs a value");
		o->unit = v;
		return HEARTH_OK;
	}
	if (!strcmp(name, "sort")) {
		if (v && (!strcmp(v, "cum") || !strcmp(v, "flat"))) {
			o->cum_sort = !strcmp(v, "cum");
			return HEARTH_OK;
		}
		return hearth_seterr(eb, HEARTH_EINVAL, "-sort must be cum or flat");
	}
	if (!strcmp(name, "base") || !strcmp(name, "diff_base")) {
		bool diff = name[0] == 'd';
		int *n = diff ? &o->ndiff_base : &o->nbase;
		if (!v || !*v)
			return hearth_seterr(eb, HEARTH_EINVAL, "option -%s needs a file", name);
		if (*n >= 16)
			return hearth_seterr(eb, HEARTH_EINVAL, "too many -%s profiles", name);
		(diff ? o->diff_base : o->base)[(*n)++] = v;
		return HEARTH_OK;
	}
	if (!strcmp(name, "nodecount")) {
		char *end;
		errno = 0;
		long n = v ? strtol(v, &end, 10) : 0;
		if (!v || !*v || *end || errno || n < -1 || n > 1000000000)
			return hearth_seterr(eb, HEARTH_EINVAL, "-nodecount must be an integer");
		o->nodecount = (int)n;
		return HEARTH_OK;
	}
	if (!strcmp(name, "nodefraction") || !strcmp(name, "edgefraction") ||
	    !strcmp(name, "divide_by")) {
		char *end;
		double d = v ? strtod(v, &end) : 0;
		if (!v || !*v || *end || isnan(d))
			return hearth_seterr(eb, HEARTH_EINVAL, "-%s must be a number", name);
		if (name[0] == 'n')
			o->nodefraction = d;
		else if (name[0] == 'e')
			o->edgefraction = d;
		else if (d == 0)
			return hearth_seterr(eb, HEARTH_EINVAL, "zero divisor specified");
		else if (!isfinite(d) || !isfinite(1 / d) || fabs(d) < 1e-100 || fabs(d) > 1e100)
			/* Values are multiplied by 1/d and kept as 64-bit
			 * integers: a divisor this far from 1 makes them all
			 * overflow or vanish. */
			return hearth_seterr(eb, HEARTH_EINVAL,
					     "-divide_by=%s is out of range (1e-100 to 1e100)", v);
		else
			o->divide_by = d;
		return HEARTH_OK;
	}
	if (!strcmp(name, "seconds") || !strcmp(name, "timeout")) {
		char *end;
		errno = 0;
		long n = v ? strtol(v, &end, 10) : 0;
		if (!v || !*v || *end || errno || n < -1 || n > 86400 * 365)
			return hearth_seterr(eb, HEARTH_EINVAL, "-%s must be a number of seconds",
					     name);
		*(name[0] == 's' ? &o->seconds : &o->timeout) = (int)n;
		return HEARTH_OK;
	}
	if (!strcmp(name, "symbolize")) {
		/* pprof's [local|fastlocal|remote|none][:force][:demangle=...]. */
		static const char *const words[] = {
			"none", "no", "local", "fastlocal", "remote", "force", "demangle=full",
			"demangle=none", "demangle=templates", "demangle=default"};
		for (const char *w = v; w && *w;) {
			size_t n = strcspn(w, ":");
			bool known = n == 0;
			for (size_t k = 0; !known && k < sizeof(words) / sizeof(words[0]); k++)
				known = strlen(words[k]) == n && !strncasecmp(w, words[k], n);
			if (!known) {
				v = NULL;
				break;
			}
			w += n + (w[n] == ':');
		}
		if (!v)
			return hearth_seterr(eb, HEARTH_EINVAL,
					     "-symbolize must be [local|fastlocal|remote|none][:force]"
					     "[:demangle=none|full|templates|default]");
		o->symbolize = v;
		return HEARTH_OK;
	}
	if (!strcmp(name, "max_size")) {
		char *end;
		errno = 0;
		unsigned long long n = v ? strtoull(v, &end, 10) : 0;
		if (!v || !*v || errno || n == 0)
			return hearth_seterr(eb, HEARTH_EINVAL, "-max_size must be a byte count");
		if (*end == 'k' || *end == 'K')
			n <<= 10, end++;
		else if (*end == 'm' || *end == 'M')
			n <<= 20, end++;
		else if (*end == 'g' || *end == 'G')
			n <<= 30, end++;
		if (*end == 'b' || *end == 'B')
			end++;
		if (*end)
			return hearth_seterr(eb, HEARTH_EINVAL, "-max_size must be a byte count");
		o->max_size = (size_t)n;
		return HEARTH_OK;
	}
	{
		bool *dst = NULL;
		if (!strcmp(name, "mean"))
			dst = &o->mean;
		else if (!strcmp(name, "relative_percentages"))
			dst = &o->relative_percentages;
		else if (!strcmp(name, "drop_negative"))
			dst = &o->drop_negative;
		else if (!strcmp(name, "normalize"))
			dst = &o->normalize;
		else if (!strcmp(name, "noinlines"))
			dst = &o->noinlines;
		else if (!strcmp(name, "trim"))
			dst = &o->trim;
		else if (!strcmp(name, "call_tree"))
			dst = &o->call_tree;
		else if (!strcmp(name, "compact_labels"))
			dst = &o->compact_labels;
		if (dst) {
			if (!parse_bool(v, dst))
				goto badbool;
			return HEARTH_OK;
		}
		if (!strcmp(name, "cum") || !strcmp(name, "flat")) {
			if (!parse_bool(v, &b))
				goto badbool;
			if (b)
				o->cum_sort = name[0] == 'c';
			return HEARTH_OK;
		}
	}
	return hearth_seterr(eb, HEARTH_EINVAL, "unknown option -%s", name);
badbool:
	return hearth_seterr(eb, HEARTH_EINVAL, "-%s takes true or false, not %s", name, v);
}
