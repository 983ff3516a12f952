/* A growable output buffer: reports write into one, the front end decides
 * where the bytes go (stdout, a file, an HTTP response). */
#ifndef HEARTH_BUF_H
#define HEARTH_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct {
	char *data; /* NUL-terminated when len > 0 */
	size_t len, cap;
	bool oom; /* set once an append failed; later appends do nothing */
	/* Optional sink: when set, the buffer hands its bytes over whenever it
	 * holds more than a megabyte, so a huge report is streamed, not kept.
	 * A nonzero return marks the buffer failed (oom). */
	int (*flush)(void *ctx, const char *data, size_t n);
	void *ctx;
} hearth_buf;

/* Hands what is left to the sink, if there is one. */
void hearth_buf_flush(hearth_buf *b);

void hearth_buf_put(hearth_buf *b, const char *s, size_t n);
void hearth_buf_puts(hearth_buf *b, const char *s);
void hearth_buf_printf(hearth_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hearth_buf_free(hearth_buf *b);

/* s as valid UTF-8 without control characters, for names (hostile input)
 * put into JSON or markup: invalid bytes and control characters become
 * U+FFFD.  malloc'd; NULL when out of memory.  (lib/report/flame.c) */
char *hearth_utf8_clean(const char *s);
/* The same for multi-line text: newlines and tabs are kept. */
char *hearth_utf8_clean_text(const char *s);
/* A JSON string (jansson's) of hearth_utf8_clean(s), s NULL as ""; NULL
 * when out of memory. */
struct json_t *hearth_json_str(const char *s);

#endif
