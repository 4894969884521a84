/* buf.c: see buf.h. */
#include "util/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LR_BUF_DEFAULT_MAX ((size_t)1 << 30)

void lr_buf_init(lr_buf *b, size_t max)
{
    memset(b, 0, sizeof *b);
    b->max = max ? max : LR_BUF_DEFAULT_MAX;
}

void lr_buf_free(lr_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

void lr_buf_reset(lr_buf *b)
{
    b->len = 0;
    b->failed = false;
}

bool lr_buf_reserve(lr_buf *b, size_t n)
{
    if (b->failed)
        return false;
    if (b->cap - b->len > n)
        return true;
    if (n > b->max || b->len > b->max - n - 1) {
        b->failed = true;
        return false;
    }
    size_t want = b->len + n + 1;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap < want)
        ncap *= 2;
    if (ncap > b->max + 1)
        ncap = b->max + 1;
    char *d = realloc(b->data, ncap);
    if (!d) {
        b->failed = true;
        return false;
    }
    b->data = d;
    b->cap = ncap;
    return true;
}

bool lr_buf_append(lr_buf *b, const void *p, size_t n)
{
    if (!lr_buf_reserve(b, n))
        return false;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    return true;
}

bool lr_buf_append_str(lr_buf *b, const char *s)
{
    return lr_buf_append(b, s, strlen(s));
}

bool lr_buf_append_char(lr_buf *b, char c)
{
    if (!lr_buf_reserve(b, 1))
        return false;
    b->data[b->len++] = c;
    return true;
}

bool lr_buf_printf(lr_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    bool ok = n >= 0 && lr_buf_reserve(b, (size_t)n);
    if (ok) {
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap2);
        b->len += (size_t)n;
    }
    va_end(ap2);
    return ok;
}

bool lr_buf_terminate(lr_buf *b)
{
    if (!lr_buf_reserve(b, 0))
        return false;
    b->data[b->len] = '\0';
    return true;
}

char *lr_buf_steal(lr_buf *b, size_t *len)
{
    if (!lr_buf_terminate(b))
        return NULL;
    char *d = b->data;
    if (len)
        *len = b->len;
    b->data = NULL;
    b->len = b->cap = 0;
    return d;
}
