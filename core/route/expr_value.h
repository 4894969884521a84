/*
 * expr_value.h: how route conditions compare values of different types (the
 * rules are written out for users in docs/routes.md, "Comparing values").
 * Pure functions; thread-safe.
 */
#ifndef LR_ROUTE_EXPR_VALUE_H
#define LR_ROUTE_EXPR_VALUE_H

#include <logrelay/logrelay.h>
#include <stddef.h>

typedef enum lr_cmp {
    LR_CMP_EQ,
    LR_CMP_NE,
    LR_CMP_LT,
    LR_CMP_LE,
    LR_CMP_GT,
    LR_CMP_GE,
} lr_cmp;

/* a OP b for two present values:
 *  - a number and a number, or a number and a string that is exactly a
 *    decimal number ("500", "-2", "0.000193", "1e3"): numeric;
 *  - two strings: bytewise (memcmp order, shorter prefix first);
 *  - two booleans, or a boolean and the string "true"/"false": == and != only;
 *  - null == null;
 *  - anything else (other type pairs, objects, arrays, a number and a
 *    non-numeric string, NaN): not equal and not ordered, so == < <= > >= are
 *    false and != is true. */
bool lr_expr_compare(const lr_value *a, const lr_value *b, lr_cmp op);

/* Whether `op` holds between two values that compare as c (< 0, == 0,
 * > 0), for a pair whose order means something. */
static inline bool lr_cmp_holds(int c, lr_cmp op)
{
    switch (op) {
    case LR_CMP_EQ:
        return c == 0;
    case LR_CMP_NE:
        return c != 0;
    case LR_CMP_LT:
        return c < 0;
    case LR_CMP_LE:
        return c <= 0;
    case LR_CMP_GT:
        return c > 0;
    default:
        return c >= 0;
    }
}

/* Strict decimal number: -?digits(.digits)?([eE][+-]?digits)?. Integers that
 * fit int64 become LR_VAL_INT, everything else LR_VAL_FLOAT. */
bool lr_expr_parse_number(const char *s, size_t n, lr_value *out);

/* Decimal text of v in buf (no NUL); returns the start, length in *len. */
const char *lr_expr_int_text(int64_t v, char buf[24], size_t *len);

#endif
