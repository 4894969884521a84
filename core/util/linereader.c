/* linereader.c: see linereader.h. */
#include "util/linereader.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LR_LINEREADER_CHUNK (1u << 20)

void lr_linereader_init(lr_linereader *r, int fd, size_t max_line)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->max_line = max_line ? max_line : (64u << 20);
    r->cap = LR_LINEREADER_CHUNK;
    r->buf = malloc(r->cap);
    if (!r->buf)
        abort();
}

void lr_linereader_free(lr_linereader *r)
{
    free(r->buf);
    r->buf = NULL;
}

/* Read more bytes after r->end; 0 at EOF, -1 on error, else bytes read. */
static ssize_t fill(lr_linereader *r)
{
    if (r->start > 0 && (r->end == r->cap || r->start > r->cap / 2)) {
        memmove(r->buf, r->buf + r->start, r->end - r->start);
        r->end -= r->start;
        r->start = 0;
    }
    if (r->end == r->cap) {
        size_t ncap = r->cap * 2;
        char *nb = realloc(r->buf, ncap);
        if (!nb)
            abort();
        r->buf = nb;
        r->cap = ncap;
    }
    for (;;) {
        ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r->error = errno;
            return -1;
        }
        r->end += (size_t)n;
        return n;
    }
}

bool lr_linereader_ready(const lr_linereader *r)
{
    return r->eof || memchr(r->buf + r->start, '\n', r->end - r->start) != NULL;
}

int lr_linereader_next(lr_linereader *r, const char **line, size_t *len, bool *truncated)
{
    bool skipping = false;
    size_t scanned = 0; /* bytes of the current line already searched for '\n' */
    if (truncated)
        *truncated = false;
    for (;;) {
        char *s = r->buf + r->start;
        char *nl = memchr(s + scanned, '\n', r->end - r->start - scanned);
        if (nl) {
            size_t l = (size_t)(nl - s);
            r->start += l + 1;
            if (skipping)
                l = r->max_line;
            if (l && s[l - 1] == '\r' && !skipping)
                l--;
            *line = s;
            *len = l > r->max_line ? r->max_line : l;
            if (l > r->max_line && truncated)
                *truncated = true;
            return 1;
        }
        scanned = r->end - r->start;
        if (scanned > r->max_line) {
            /* keep the first max_line bytes, drop the rest of this line */
            skipping = true;
            if (truncated)
                *truncated = true;
            r->end = r->start + r->max_line;
            scanned = r->max_line;
        }
        if (r->eof) {
            if (r->end == r->start)
                return 0;
            *line = r->buf + r->start;
            *len = r->end - r->start;
            r->start = r->end;
            return 1;
        }
        ssize_t n = fill(r);
        if (n < 0)
            return -1;
        if (n == 0)
            r->eof = true;
    }
}
