/*
 * buf.h: growable byte buffer with a hard cap (a buffer that would grow past
 * its cap fails instead of eating memory). Owned by whoever declared it;
 * lr_buf_free releases the storage.
 */
#ifndef LR_BUF_H
#define LR_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct lr_buf {
    char *data;
    size_t len;
    size_t cap;
    size_t max;  /* hard cap in bytes; 0 = 1 GiB */
    bool failed; /* an append hit the cap or OOM; later appends are ignored */
} lr_buf;

void lr_buf_init(lr_buf *b, size_t max);
void lr_buf_free(lr_buf *b);
void lr_buf_reset(lr_buf *b); /* len = 0, keeps storage, clears failed */
/* Make room for n more bytes; returns false (and sets failed) at the cap. */
bool lr_buf_reserve(lr_buf *b, size_t n);
bool lr_buf_append(lr_buf *b, const void *p, size_t n);
bool lr_buf_append_str(lr_buf *b, const char *s);
bool lr_buf_append_char(lr_buf *b, char c);
bool lr_buf_printf(lr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* NUL-terminate without counting the NUL in len. */
bool lr_buf_terminate(lr_buf *b);
/* Hand the storage to the caller (free() it); the buffer is left empty. */
char *lr_buf_steal(lr_buf *b, size_t *len);

#endif
