/*
 * arena.h: bump allocator for everything one record owns (raw copy, fields,
 * decoded strings, its JSON encoding). A record is freed whole, so parsers
 * never free per field. Not thread-safe: an arena is filled by one thread
 * (the parser) and read-only afterwards.
 */
#ifndef LR_ARENA_H
#define LR_ARENA_H

#include <stddef.h>

typedef struct lr_arena_chunk lr_arena_chunk;

typedef struct lr_arena {
    char *cur;              /* next free byte of the current block */
    char *end;              /* end of the current block */
    lr_arena_chunk *chunks; /* overflow blocks, freed by lr_arena_release */
    size_t used;            /* bytes handed out, for accounting */
} lr_arena;

/* Start an arena on caller-owned memory (may be NULL/0). */
void lr_arena_init(lr_arena *a, void *buf, size_t cap);
/* 8-byte aligned memory owned by the arena. Never returns NULL (aborts on OOM). */
void *lr_arena_alloc(lr_arena *a, size_t n);
/* Copy of n bytes plus a terminating NUL, owned by the arena. */
char *lr_arena_memdup(lr_arena *a, const void *p, size_t n);
/* The free bytes of the current block: a caller may write there and then
 * keep what it wrote with lr_arena_alloc, provided nothing else was
 * allocated in between (that allocation returns exactly this address).
 * *room = 0 when there is no current block. */
static inline char *lr_arena_free_space(const lr_arena *a, size_t *room)
{
    *room = a->cur ? (size_t)(a->end - a->cur) : 0;
    return a->cur;
}
/* Free the overflow blocks; the caller-owned initial block is left alone. */
void lr_arena_release(lr_arena *a);

#endif
