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
} hearth_buf;

void hearth_buf_put(hearth_buf *b, const char *s, size_t n);
void hearth_buf_puts(hearth_buf *b, const char *s);
void hearth_buf_printf(hearth_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void hearth_buf_free(hearth_buf *b);

#endif
