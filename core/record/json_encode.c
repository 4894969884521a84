/* json_encode.c: see json_encode.h. Hot path: called once per record. */
#include "record/json_encode.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

static const char hexdig[] = "0123456789abcdef";

/* Length of the valid UTF-8 sequence at s (s[0] >= 0x80), or 0 if invalid. */
static size_t utf8_valid_len(const unsigned char *s, size_t avail)
{
    unsigned c = s[0];
    if (c >= 0xc2 && c <= 0xdf) {
        return (avail >= 2 && (s[1] & 0xc0) == 0x80) ? 2 : 0;
    }
    if (c >= 0xe0 && c <= 0xef) {
        if (avail < 3 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80)
            return 0;
        if (c == 0xe0 && s[1] < 0xa0)
            return 0; /* overlong */
        if (c == 0xed && s[1] >= 0xa0)
            return 0; /* UTF-16 surrogate */
        return 3;
    }
    if (c >= 0xf0 && c <= 0xf4) {
        if (avail < 4 || (s[1] & 0xc0) != 0x80 || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
            return 0;
        if (c == 0xf0 && s[1] < 0x90)
            return 0; /* overlong */
        if (c == 0xf4 && s[1] >= 0x90)
            return 0; /* > U+10FFFF */
        return 4;
    }
    return 0;
}

/* Bit 7 set in each byte of x that needs attention: < 0x20, '"', '\\' or
 * >= 0x80. Exact for "any byte?" and for the lowest flagged byte. */
static inline uint64_t attention8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t q = x ^ (ones * '"'), b = x ^ (ones * '\\');
    return (x | ((x - ones * 0x20) & ~x) | ((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
}

/* s[i..n), 1 to 7 bytes, in the low bytes of a word (little-endian), zeros
 * above; never reads outside s[0..n). */
static inline uint64_t load_tail(const unsigned char *s, size_t n, size_t i)
{
    size_t rem = n - i;
    uint64_t x;
    if (n >= 8) {
        memcpy(&x, s + n - 8, 8);
        return x >> ((8 - rem) * 8);
    }
    x = 0;
    size_t o = 0;
    if (rem & 4) {
        uint32_t t;
        memcpy(&t, s + i, 4);
        x = t;
        o = 4;
    }
    if (rem & 2) {
        uint16_t t;
        memcpy(&t, s + i + o, 2);
        x |= (uint64_t)t << (o * 8);
        o += 2;
    }
    if (rem & 1)
        x |= (uint64_t)s[i + o] << (o * 8);
    return x;
}

static inline char *put_special(char *d, const unsigned char *s, size_t avail, size_t *used)
{
    unsigned c = s[0];
    if (c >= 0x80) {
        size_t l = utf8_valid_len(s, avail);
        if (l == 0) {
            memcpy(d, "\xef\xbf\xbd", 3); /* U+FFFD */
            *used = 1;
            return d + 3;
        }
        if (l == 3 && c == 0xe2 && s[1] == 0x80 && (s[2] == 0xa8 || s[2] == 0xa9)) {
            memcpy(d, s[2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
            *used = 3;
            return d + 6;
        }
        memcpy(d, s, l);
        *used = l;
        return d + l;
    }
    *used = 1;
    *d++ = '\\';
    switch (c) {
    case '"':
        *d++ = '"';
        break;
    case '\\':
        *d++ = '\\';
        break;
    case '\n':
        *d++ = 'n';
        break;
    case '\r':
        *d++ = 'r';
        break;
    case '\t':
        *d++ = 't';
        break;
    case '\b':
        *d++ = 'b';
        break;
    case '\f':
        *d++ = 'f';
        break;
    default:
        *d++ = 'u';
        *d++ = '0';
        *d++ = '0';
        *d++ = hexdig[c >> 4];
        *d++ = hexdig[c & 15];
    }
    return d;
}

char *lr_json_put_special(char *d, const unsigned char *s, size_t avail, size_t *used)
{
    return put_special(d, s, avail, used);
}

/* Write the encoding of s[0..n) at d, which has room for n * 6 + 2 + 16
 * bytes (16 of slack for whole-vector stores); returns the new end. */
static char *put_string(char *d, const unsigned char *s, size_t n)
{
    *d++ = '"';
    size_t i = 0;
    while (i < n) {
#ifdef __SSE2__
        /* sixteen bytes at a time: a signed compare with 0x20 flags both the
         * controls and every byte >= 0x80 */
        while (n - i >= 16) {
            __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
            _mm_storeu_si128((__m128i *)d, v);
            __m128i bad = _mm_or_si128(
                _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))));
            unsigned m = (unsigned)_mm_movemask_epi8(bad);
            if (m) {
                size_t k = (size_t)__builtin_ctz(m);
                d += k;
                i += k;
                goto special;
            }
            d += 16;
            i += 16;
        }
#endif
        /* plain ASCII eight bytes at a time: store all eight, keep the clean
         * ones (the reserve has slack for the overlap) */
        while (n - i >= 8) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            memcpy(d, &x, 8);
            uint64_t a = attention8(x);
            if (a) {
                size_t k = (size_t)(__builtin_ctzll(a) >> 3);
                d += k;
                i += k;
                goto special;
            }
            d += 8;
            i += 8;
        }
        if (i < n) {
            /* the last 1..7 bytes: one zero-padded word (padding masked off) */
            size_t rem = n - i;
            uint64_t x = load_tail(s, n, i);
            uint64_t a = attention8(x) & (((uint64_t)1 << (rem * 8)) - 1);
            memcpy(d, &x, 8);
            if (!a) {
                d += rem;
                break;
            }
            size_t k = (size_t)(__builtin_ctzll(a) >> 3);
            d += k;
            i += k;
        } else {
            break;
        }
    special:;
        size_t used;
        d = put_special(d, s + i, n - i, &used);
        i += used;
    }
    *d++ = '"';
    return d;
}

char *lr_json_put_string(char *d, const char *s, size_t n)
{
    return put_string(d, (const unsigned char *)s, n);
}

bool lr_json_encode_string(lr_buf *out, const char *str, size_t n)
{
    /* Worst case 6 output bytes per input byte (\u00XX); reserve once. */
    if (!lr_buf_reserve(out, n * 6 + 2 + 16))
        return false;
    out->len = (size_t)(put_string(out->data + out->len, (const unsigned char *)str, n) - out->data);
    return true;
}

/* Fast exact path for the common case, a value with at most 6 decimals such
 * as a request time (0.000193): v == n / 1e6 for an integer n. IEEE division
 * is correctly rounded and n and 1e6 are exact, so v is then the double
 * nearest to the decimal n * 10^-6, which is what any reader will parse back
 * from the digits we print: a round trip without printf or strtod. */
static bool encode_six_decimals(lr_buf *out, double v)
{
    double a = fabs(v);
    if (!(a < 1e9))
        return false;
    double scaled = a * 1e6;
    int64_t n = (int64_t)(scaled + 0.5);
    if ((double)n / 1e6 != a)
        return false;
    char tmp[32];
    char *e = tmp + sizeof tmp, *p = e;
    int64_t frac = n % 1000000, ip = n / 1000000;
    int digits = 6;
    while (digits > 1 && frac % 10 == 0) { /* trim trailing zeros, keep one */
        frac /= 10;
        digits--;
    }
    for (int k = 0; k < digits; k++) {
        *--p = (char)('0' + frac % 10);
        frac /= 10;
    }
    *--p = '.';
    do {
        *--p = (char)('0' + ip % 10);
        ip /= 10;
    } while (ip);
    if (signbit(v))
        *--p = '-';
    return lr_buf_append(out, p, (size_t)(e - p));
}

bool lr_json_encode_double(lr_buf *out, double v)
{
    if (!isfinite(v))
        return lr_buf_append(out, "null", 4);
    if (encode_six_decimals(out, v))
        return !out->failed;
    char tmp[40];
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (strtod(tmp, NULL) == v)
            break;
    }
    /* keep it a float in the reader's eyes: 3 -> 3.0 */
    if (!strpbrk(tmp, ".eEn") && n + 2 < (int)sizeof tmp) {
        tmp[n++] = '.';
        tmp[n++] = '0';
        tmp[n] = '\0';
    }
    return lr_buf_append(out, tmp, (size_t)n);
}

static char *put_int(char *d, int64_t v)
{
    char tmp[24];
    char *e = tmp + sizeof tmp, *p = e;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        *--p = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        *--p = '-';
    memcpy(d, p, (size_t)(e - p));
    return d + (e - p);
}

char *lr_json_put_int(char *d, int64_t v)
{
    return put_int(d, v);
}

char *lr_json_put_double(char *d, double v)
{
    lr_buf view = {.data = d, .len = 0, .cap = 48, .max = 48};
    lr_json_encode_double(&view, v);
    return d + view.len;
}

/* Upper bound of the encoding's size, so that encoding reserves once. */
static size_t worst_case(const lr_value *v)
{
    switch (v->kind) {
    case LR_VAL_INT:
        return 20;
    case LR_VAL_FLOAT:
        return 48;
    case LR_VAL_STRING:
        return (size_t)v->len * 6 + 2 + 16;
    case LR_VAL_OBJECT: {
        size_t n = 2;
        for (uint32_t i = 0; i < v->len; i++)
            n += (size_t)v->u.members[i].key_len * 6 + 4 + 16 + worst_case(&v->u.members[i].value);
        return n;
    }
    case LR_VAL_ARRAY: {
        size_t n = 2;
        for (uint32_t i = 0; i < v->len; i++)
            n += 1 + worst_case(&v->u.items[i]);
        return n;
    }
    default:
        return 5;
    }
}

static char *put_value(char *d, const lr_value *v)
{
    switch (v->kind) {
    case LR_VAL_BOOL:
        if (v->u.b) {
            memcpy(d, "true", 4);
            return d + 4;
        }
        memcpy(d, "false", 5);
        return d + 5;
    case LR_VAL_INT:
        return put_int(d, v->u.i);
    case LR_VAL_FLOAT:
        return lr_json_put_double(d, v->u.f); /* worst_case left room */
    case LR_VAL_STRING:
        return put_string(d, (const unsigned char *)v->u.s, v->len);
    case LR_VAL_OBJECT:
        *d++ = '{';
        for (uint32_t i = 0; i < v->len; i++) {
            if (i)
                *d++ = ',';
            d = put_string(d, (const unsigned char *)v->u.members[i].key, v->u.members[i].key_len);
            *d++ = ':';
            d = put_value(d, &v->u.members[i].value);
        }
        *d++ = '}';
        return d;
    case LR_VAL_ARRAY:
        *d++ = '[';
        for (uint32_t i = 0; i < v->len; i++) {
            if (i)
                *d++ = ',';
            d = put_value(d, &v->u.items[i]);
        }
        *d++ = ']';
        return d;
    default:
        memcpy(d, "null", 4);
        return d + 4;
    }
}

bool lr_json_encode_value(lr_buf *out, const lr_value *v)
{
    /* one reserve for the worst case, then plain stores */
    if (!lr_buf_reserve(out, worst_case(v)))
        return false;
    out->len = (size_t)(put_value(out->data + out->len, v) - out->data);
    return true;
}
