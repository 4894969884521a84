/* ring.c: see ring.h. */
#include "util/ring.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *lr_ring_make_room(void *ring, size_t size, size_t *cap, size_t *head, size_t count, size_t first_cap)
{
    if (count < *cap)
        return ring;
    size_t ncap = *cap ? *cap * 2 : first_cap;
    char *r = malloc(ncap * size);
    if (!r) {
        fputs("logrelay: out of memory\n", stderr);
        abort();
    }
    /* the elements from head to the end of the array, then those before head */
    size_t first = count < *cap - *head ? count : *cap - *head;
    if (first)
        memcpy(r, (char *)ring + *head * size, first * size);
    if (count > first)
        memcpy(r + first * size, ring, (count - first) * size);
    free(ring);
    *cap = ncap;
    *head = 0;
    return r;
}
