/* json_encode.c: see json_encode.h. Hot path: called once per record. */
#include "record/json_encode.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 1 = copy as is, 0 = needs attention (escape, or start of a multibyte sequence). */
static const unsigned char plain_ascii[256] = {
#define R16(v) v, v, v, v, v, v, v, v, v, v, v, v, v, v, v, v
    R16(0), R16(0),                          /* 0x00-0x1f */
    1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, /* 0x20-0x2f: '"' */
    R16(1), R16(1),                          /* 0x30-0x4f */
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, /* 0x50-0x5f: '\\' */
    R16(1), R16(1),                          /* 0x60-0x7f */
    R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0), R16(0),
#undef R16
};

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

bool lr_json_encode_string(lr_buf *out, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    /* Worst case 6 output bytes per input byte (\u00XX); reserve once. */
    if (!lr_buf_reserve(out, n * 6 + 2))
        return false;
    char *d = out->data + out->len;
    *d++ = '"';
    size_t i = 0;
    while (i < n) {
        size_t start = i;
        while (i < n && plain_ascii[s[i]])
            i++;
        if (i > start) {
            memcpy(d, s + start, i - start);
            d += i - start;
        }
        if (i >= n)
            break;
        unsigned c = s[i];
        if (c >= 0x80) {
            size_t l = utf8_valid_len(s + i, n - i);
            if (l == 0) {
                memcpy(d, "\xef\xbf\xbd", 3); /* U+FFFD */
                d += 3;
                i++;
            } else if (l == 3 && c == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9)) {
                memcpy(d, s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029", 6);
                d += 6;
                i += 3;
            } else {
                memcpy(d, s + i, l);
                d += l;
                i += l;
            }
            continue;
        }
        *d++ = '\\';
        switch (c) {
        case '"': *d++ = '"'; break;
        case '\\': *d++ = '\\'; break;
        case '\n': *d++ = 'n'; break;
        case '\r': *d++ = 'r'; break;
        case '\t': *d++ = 't'; break;
        case '\b': *d++ = 'b'; break;
        case '\f': *d++ = 'f'; break;
        default:
            *d++ = 'u';
            *d++ = '0';
            *d++ = '0';
            *d++ = hexdig[c >> 4];
            *d++ = hexdig[c & 15];
        }
        i++;
    }
    *d++ = '"';
    out->len = (size_t)(d - out->data);
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

static bool encode_int(lr_buf *out, int64_t v)
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
    return lr_buf_append(out, p, (size_t)(e - p));
}

bool lr_json_encode_value(lr_buf *out, const lr_value *v)
{
    switch (v->kind) {
    case LR_VAL_NULL:
        return lr_buf_append(out, "null", 4);
    case LR_VAL_BOOL:
        return v->u.b ? lr_buf_append(out, "true", 4) : lr_buf_append(out, "false", 5);
    case LR_VAL_INT:
        return encode_int(out, v->u.i);
    case LR_VAL_FLOAT:
        return lr_json_encode_double(out, v->u.f);
    case LR_VAL_STRING:
        return lr_json_encode_string(out, v->u.s, v->len);
    case LR_VAL_OBJECT:
        lr_buf_append_char(out, '{');
        for (uint32_t i = 0; i < v->len; i++) {
            if (i)
                lr_buf_append_char(out, ',');
            lr_json_encode_string(out, v->u.members[i].key, v->u.members[i].key_len);
            lr_buf_append_char(out, ':');
            lr_json_encode_value(out, &v->u.members[i].value);
        }
        return lr_buf_append_char(out, '}');
    case LR_VAL_ARRAY:
        lr_buf_append_char(out, '[');
        for (uint32_t i = 0; i < v->len; i++) {
            if (i)
                lr_buf_append_char(out, ',');
            lr_json_encode_value(out, &v->u.items[i]);
        }
        return lr_buf_append_char(out, ']');
    default:
        return lr_buf_append(out, "null", 4);
    }
}
