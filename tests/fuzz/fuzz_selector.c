/* libFuzzer target: label selectors (lib/store/selector.c), Prometheus'
 * `{name="v",name=~"re"}` and Pyroscope's `app.cpu{...}`, as every query of
 * hearth serve parses them.
 *
 * An input refused must come with a one-line message naming the selector;
 * one accepted must give at most 64 matchers with non-empty names and
 * values that are C strings, compiled regexps for =~ and !~, and matching
 * that answers (against a series whose labels are the input's own names
 * and values, which the equality matchers must then accept).
 *
 * Build and run: make fuzz; tests/fuzz/run.sh short|long. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	hearth_selector sel;
	hearth_errbuf eb = {{0}};
	hearth_err err = hearth_selector_parse(text, &sel, &eb);
	free(text);
	if (err) {
		size_t n = strnlen(eb.msg, sizeof(eb.msg));
		if (err != HEARTH_ENOMEM &&
		    (n == 0 || n == sizeof(eb.msg) || memchr(eb.msg, '\n', n) ||
		     !strstr(eb.msg, "selector"))) {
			fprintf(stderr, "selector: error %d without a one-line message: %s\n",
				(int)err, eb.msg);
			abort();
		}
		return 0;
	}
	if (sel.n > 64)
		abort();
	hearth_kv kv[64];
	size_t nkv = 0;
	const char *service = "", *type = "";
	for (size_t i = 0; i < sel.n; i++) {
		const hearth_matcher *m = &sel.m[i];
		if (!m->name || !m->name[0] || !m->value)
			abort();
		(void)strlen(m->value);
		if ((m->op == HEARTH_MATCH_RE || m->op == HEARTH_MATCH_NRE) != (m->re != NULL))
			abort();
		if (!strcmp(m->name, "service"))
			service = m->value;
		else if (!strcmp(m->name, "__type__"))
			type = m->value;
		else
			kv[nkv++] = (hearth_kv){m->name, m->value};
	}
	(void)hearth_selector_match(&sel, service, type, kv, nkv);
	/* Only equality matchers, each name once: the series made of them
	 * matches. */
	bool simple = true;
	for (size_t i = 0; i < sel.n && simple; i++) {
		simple = sel.m[i].op == HEARTH_MATCH_EQ;
		for (size_t k = 0; k < i && simple; k++)
			simple = strcmp(sel.m[i].name, sel.m[k].name) != 0;
	}
	if (simple && !hearth_selector_match(&sel, service, type, kv, nkv)) {
		fprintf(stderr, "selector: equality matchers refuse their own series\n");
		abort();
	}
	hearth_selector_free(&sel);
	return 0;
}
