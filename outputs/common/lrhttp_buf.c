/*
 * lrhttp_buf.c: a growable byte buffer with a hard cap (like curl's dynbuf):
 * request bodies and captured response bodies never grow without bound.
 * Threading: a buffer belongs to one thread at a time.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lrhttp.h"

void lrhttp_buf_init(lrhttp_buf *b, size_t max)
{
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
    b->max = max;
}

void lrhttp_buf_free(lrhttp_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = 0;
    b->alloc = 0;
}

void lrhttp_buf_reset(lrhttp_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

int lrhttp_buf_reserve(lrhttp_buf *b, size_t extra)
{
    if (extra > b->max - b->len || extra >= SIZE_MAX - b->len)
        return -1;
    size_t need = b->len + extra + 1; /* + the NUL kept after the content */
    if (need <= b->alloc)
        return 0;
    size_t alloc = b->alloc ? b->alloc : 256;
    while (alloc < need)
        alloc = alloc > SIZE_MAX / 2 ? need : alloc * 2;
    /* Never allocate much past the cap: a capped 4 KiB buffer stays small. */
    if (alloc > b->max + 1 && need <= b->max + 1)
        alloc = b->max + 1;
    char *d = realloc(b->data, alloc);
    if (!d)
        return -1;
    b->data = d;
    b->alloc = alloc;
    return 0;
}

int lrhttp_buf_append(lrhttp_buf *b, const void *p, size_t n)
{
    if (lrhttp_buf_reserve(b, n) != 0)
        return -1;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

size_t lrhttp_buf_append_some(lrhttp_buf *b, const void *p, size_t n)
{
    size_t room = b->max - b->len;
    if (n > room)
        n = room;
    if (n == 0 || lrhttp_buf_append(b, p, n) != 0)
        return 0;
    return n;
}
