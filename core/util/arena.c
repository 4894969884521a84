/* arena.c: see arena.h. */
#include "util/arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct lr_arena_chunk {
    lr_arena_chunk *next;
    max_align_t pad[]; /* payload follows, suitably aligned */
};

#define LR_ARENA_MIN_CHUNK 4096u

void lr_arena_init(lr_arena *a, void *buf, size_t cap)
{
    uintptr_t p = (uintptr_t)buf;
    uintptr_t aligned = (p + 7u) & ~(uintptr_t)7u;
    a->chunks = NULL;
    a->used = 0;
    if (!buf || cap < aligned - p) {
        a->cur = a->end = NULL;
        return;
    }
    a->cur = (char *)aligned;
    a->end = (char *)buf + cap;
}

void *lr_arena_alloc(lr_arena *a, size_t n)
{
    size_t need = (n + 7u) & ~(size_t)7u;
    if (need == 0)
        need = 8;
    if ((size_t)(a->end - a->cur) < need || !a->cur) {
        size_t sz = need > LR_ARENA_MIN_CHUNK ? need : LR_ARENA_MIN_CHUNK;
        lr_arena_chunk *c = malloc(sizeof *c + sz);
        if (!c) {
            fputs("logrelay: out of memory\n", stderr);
            abort();
        }
        c->next = a->chunks;
        a->chunks = c;
        a->cur = (char *)c->pad;
        a->end = a->cur + sz;
    }
    void *r = a->cur;
    a->cur += need;
    a->used += need;
    return r;
}

char *lr_arena_memdup(lr_arena *a, const void *p, size_t n)
{
    char *d = lr_arena_alloc(a, n + 1);
    if (n)
        memcpy(d, p, n);
    d[n] = '\0';
    return d;
}

void lr_arena_release(lr_arena *a)
{
    lr_arena_chunk *c = a->chunks;
    while (c) {
        lr_arena_chunk *n = c->next;
        free(c);
        c = n;
    }
    a->chunks = NULL;
    a->cur = a->end = NULL;
}
