#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hearth/buf.h"
#include "util.h"

void hearth_buf_flush(hearth_buf *b)
{
	if (b->flush && !b->oom && b->len) {
		if (b->flush(b->ctx, b->data, b->len) != 0)
			b->oom = true;
		b->len = 0;
	}
}

static void maybe_flush(hearth_buf *b)
{
	if (b->flush && b->len >= (1u << 20))
		hearth_buf_flush(b);
}

void hearth_buf_put(hearth_buf *b, const char *s, size_t n)
{
	if (b->oom || !HEARTH_GROW(b->data, b->len, b->cap, n + 1)) {
		b->oom = true;
		return;
	}
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = 0;
	maybe_flush(b);
}

void hearth_buf_puts(hearth_buf *b, const char *s)
{
	hearth_buf_put(b, s, strlen(s));
}

void hearth_buf_printf(hearth_buf *b, const char *fmt, ...)
{
	char small[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->oom = true;
		return;
	}
	if ((size_t)n < sizeof(small)) {
		hearth_buf_put(b, small, (size_t)n);
		return;
	}
	if (b->oom || !HEARTH_GROW(b->data, b->len, b->cap, (size_t)n + 1)) {
		b->oom = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	maybe_flush(b);
}

void hearth_buf_free(hearth_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

json_t *hearth_json_str(const char *s)
{
	char *c = hearth_utf8_clean(s ? s : "");
	json_t *j = c ? json_string(c) : NULL;
	free(c);
	return j;
}
