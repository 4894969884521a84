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

/* The same without a branch on the bytes themselves, for comparisons whose
 * outcome changes from record to record (`layer == "L1"` on a stream of L1
 * and L2): a mispredicted early exit costs more than reading every word.
 * The branches on n go the same way on every call of one comparison. */
static inline __attribute__((always_inline)) bool lr_bytes_eq_flat(const void *pa, const void *pb, size_t n)
{
    const unsigned char *a = pa, *b = pb;
    if (n > 16)
        return lr_bytes_eq(a, b, n);
    if (n >= 8) {
        uint64_t x, y, x2, y2;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        memcpy(&x2, a + n - 8, 8);
        memcpy(&y2, b + n - 8, 8);
        return ((x ^ y) | (x2 ^ y2)) == 0;
    }
    if (n >= 4) {
        uint32_t u, v, u2, v2;
        memcpy(&u, a, 4);
        memcpy(&v, b, 4);
        memcpy(&u2, a + n - 4, 4);
        memcpy(&v2, b + n - 4, 4);
        return ((u ^ v) | (u2 ^ v2)) == 0;
    }
    if (n == 0)
        return true;
    /* bytes 0, n/2 and n-1 are every byte of a string of 1 to 3 */
    return ((a[0] ^ b[0]) | (a[n / 2] ^ b[n / 2]) | (a[n - 1] ^ b[n - 1])) == 0;
}

/* s[0..slen) == lit[0..n), reading no byte of s when the lengths differ,
 * and without a branch on the outcome. */
static inline __attribute__((always_inline)) bool lr_str_eq_flat(const char *s, size_t slen, const char *lit,
                                                                 size_t n)
{
    bool same_len = slen == n;
    /* lengths differ: compare the literal with itself, so only bytes that
     * exist are read, and let the length decide. Selected with a mask:
     * compilers turn `same_len ? s : lit` into the very branch this avoids. */
    uintptr_t mask = (uintptr_t)0 - (uintptr_t)same_len;
    const char *read = (const char *)(((uintptr_t)s & mask) | ((uintptr_t)lit & ~mask));
    return same_len & lr_bytes_eq_flat(read, lit, n);
}

#endif
