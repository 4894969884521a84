/*
 * bytes.h: equality of short byte strings (keys, literals), inline: for the
 * few bytes route conditions compare, a libc memcmp call costs more than the
 * comparison. Internal to core/route; pure, thread-safe.
 */
#ifndef LR_ROUTE_BYTES_H
#define LR_ROUTE_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* a[0..n) == b[0..n). Reads only those bytes (overlapping word loads). */
static inline bool lr_bytes_eq(const void *pa, const void *pb, size_t n)
{
    const unsigned char *a = pa, *b = pb;
    if (n >= 8) {
        uint64_t x, y;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        if (x != y)
            return false;
        if (n > 16)
            return memcmp(a + 8, b + 8, n - 8) == 0;
        memcpy(&x, a + n - 8, 8);
        memcpy(&y, b + n - 8, 8);
        return x == y;
    }
    if (n >= 4) {
        uint32_t u, v, u2, v2;
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        memcpy(&u2, a + n - 4, 4);
        memcpy(&v2, b + n - 4, 4);
        return u == v && u2 == v2;
    }
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

#endif
