/*
 * linereader.h: read a file descriptor line by line with large reads and no
 * per-line allocation. Lines are returned without the '\n' (and without a
 * '\r' before it); a last line without '\n' is returned too. Lines longer
 * than max_line are returned in full up to max_line bytes and the rest is
 * skipped, with `truncated` set, so one broken line cannot exhaust memory.
 * One reader per thread.
 */
#ifndef LR_LINEREADER_H
#define LR_LINEREADER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct lr_linereader {
    int fd;
    char *buf;
    size_t cap, start, end;
    size_t max_line;
    bool eof;
    int error; /* errno of a failed read, 0 otherwise */
} lr_linereader;

void lr_linereader_init(lr_linereader *r, int fd, size_t max_line);
void lr_linereader_free(lr_linereader *r);
/* 1 = a line in (*line, *len), valid until the next call; 0 = end, -1 = read error. */
int lr_linereader_next(lr_linereader *r, const char **line, size_t *len, bool *truncated);
/* True when the next lr_linereader_next returns without reading: a whole
 * line is buffered, or the input ended. A caller holding work back for more
 * lines (the pipeline's batch) finishes it first when this is false, since
 * the read may wait for a slow writer (a pipe, a terminal). */
bool lr_linereader_ready(const lr_linereader *r);

#endif
