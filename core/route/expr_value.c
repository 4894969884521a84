/* expr_value.c: see expr_value.h. Runs per comparison on the pipeline thread: no allocation. */
#include "route/expr_value.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef enum relation {
    REL_ORDERED, /* c is meaningful for every operator */
    REL_EQ_ONLY, /* c says equal (0) or not: ordering operators are false */
    REL_NONE,    /* unrelated: only != holds */
} relation;

bool lr_expr_parse_number(const char *s, size_t n, lr_value *out)
{
    size_t i = 0;
    bool neg = false;
    if (i < n && s[i] == '-') {
        neg = true;
        i++;
    }
    size_t int_start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == int_start)
        return false;
    bool is_int = true;
    if (i < n && s[i] == '.') {
        size_t frac = ++i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == frac)
            return false;
        is_int = false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            i++;
        size_t exp = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == exp)
            return false;
        is_int = false;
    }
    if (i != n)
        return false;
    if (is_int) {
        uint64_t u = 0;
        bool fits = true;
        for (size_t k = int_start; k < n; k++) {
            unsigned d = (unsigned)(s[k] - '0');
            if (u > (UINT64_MAX - d) / 10) {
                fits = false;
                break;
            }
            u = u * 10 + d;
        }
        if (fits && (neg ? u <= (uint64_t)INT64_MAX + 1 : u <= (uint64_t)INT64_MAX)) {
            out->kind = LR_VAL_INT;
            out->len = 0;
            out->u.i = neg ? (int64_t)(0 - u) : (int64_t)u;
            return true;
        }
    }
    /* strtod needs a terminated copy; numbers longer than this are not worth it */
    char tmp[64];
    if (n >= sizeof tmp)
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    out->kind = LR_VAL_FLOAT;
    out->len = 0;
    out->u.f = strtod(tmp, NULL);
    return true;
}

const char *lr_expr_int_text(int64_t v, char buf[24], size_t *len)
{
    char *e = buf + 24, *p = e;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    *len = (size_t)(e - p);
    return p;
}

static bool is_number(const lr_value *v)
{
    return v->kind == LR_VAL_INT || v->kind == LR_VAL_FLOAT;
}

/* A number, or a string holding exactly one, as a number value. */
static bool as_number(const lr_value *v, lr_value *out)
{
    if (is_number(v)) {
        *out = *v;
        return true;
    }
    if (v->kind == LR_VAL_STRING)
        return lr_expr_parse_number(v->u.s, v->len, out);
    return false;
}

static relation compare_numbers(const lr_value *a, const lr_value *b, int *c)
{
    if (a->kind == LR_VAL_INT && b->kind == LR_VAL_INT) {
        *c = (a->u.i > b->u.i) - (a->u.i < b->u.i);
        return REL_ORDERED;
    }
    double x = a->kind == LR_VAL_INT ? (double)a->u.i : a->u.f;
    double y = b->kind == LR_VAL_INT ? (double)b->u.i : b->u.f;
    if (isnan(x) || isnan(y))
        return REL_NONE;
    *c = (x > y) - (x < y);
    return REL_ORDERED;
}

/* "true"/"false" as a boolean; -1 for any other string. */
static int string_bool(const lr_value *v)
{
    if (v->len == 4 && memcmp(v->u.s, "true", 4) == 0)
        return 1;
    if (v->len == 5 && memcmp(v->u.s, "false", 5) == 0)
        return 0;
    return -1;
}

static relation relate(const lr_value *a, const lr_value *b, int *c)
{
    if (is_number(a) || is_number(b)) {
        lr_value x, y;
        if (!as_number(a, &x) || !as_number(b, &y))
            return REL_NONE;
        return compare_numbers(&x, &y, c);
    }
    if (a->kind == LR_VAL_STRING && b->kind == LR_VAL_STRING) {
        size_t n = a->len < b->len ? a->len : b->len;
        int r = n ? memcmp(a->u.s, b->u.s, n) : 0;
        if (r == 0)
            r = (a->len > b->len) - (a->len < b->len);
        *c = (r > 0) - (r < 0);
        return REL_ORDERED;
    }
    if (a->kind == LR_VAL_BOOL || b->kind == LR_VAL_BOOL) {
        int x = a->kind == LR_VAL_BOOL ? a->u.b : a->kind == LR_VAL_STRING ? string_bool(a) : -1;
        int y = b->kind == LR_VAL_BOOL ? b->u.b : b->kind == LR_VAL_STRING ? string_bool(b) : -1;
        if (x < 0 || y < 0)
            return REL_NONE;
        *c = x != y;
        return REL_EQ_ONLY;
    }
    if (a->kind == LR_VAL_NULL && b->kind == LR_VAL_NULL) {
        *c = 0;
        return REL_EQ_ONLY;
    }
    return REL_NONE;
}

bool lr_expr_compare(const lr_value *a, const lr_value *b, lr_cmp op)
{
    int c = 0;
    relation rel = relate(a, b, &c);
    if (rel == REL_NONE)
        return op == LR_CMP_NE;
    if (rel != REL_ORDERED && op != LR_CMP_EQ && op != LR_CMP_NE)
        return false;
    return lr_cmp_holds(c, op);
}
