/* json_parse.c: see json_parse.h. Hot path for waf_json and json (~1.6 KB per record). */
#include "parse/json_parse.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "parse/numparse.h"

/* ------------------------------------------------------------------------ */
/* Per-thread scratch: members and items of the containers being read. A
 * container's children are pushed here, then copied into the arena in one
 * piece when it closes, so the arena holds exactly-sized arrays. */
/* ------------------------------------------------------------------------ */
typedef struct scratch {
    lr_member *m;
    size_t mlen, mcap;
    lr_value *v;
    size_t vlen, vcap;
} scratch;

static _Thread_local scratch tls_scratch;

/* The scratch arrays are freed when their thread ends (output workers that
 * rebuild spooled events come and go), through a pthread key destructor. */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void scratch_free(void *arg)
{
    scratch *sc = arg;
    free(sc->m);
    free(sc->v);
    memset(sc, 0, sizeof *sc);
}

static void scratch_key_create(void)
{
    (void)pthread_key_create(&scratch_key, scratch_free);
}

/* Register this thread's scratch for cleanup on its first growth. */
static void scratch_track(scratch *sc)
{
    pthread_once(&scratch_once, scratch_key_create);
    if (!pthread_getspecific(scratch_key))
        (void)pthread_setspecific(scratch_key, sc);
}

static void *grow(void *p, size_t *cap, size_t elem)
{
    size_t ncap = *cap ? *cap * 2 : 64;
    void *np = realloc(p, ncap * elem);
    if (!np) {
        fputs("logrelay: out of memory\n", stderr);
        abort();
    }
    *cap = ncap;
    return np;
}

typedef struct jp {
    const char *s; /* start of input, for offsets */
    const char *p; /* cursor */
    const char *end;
    lr_record *rec;
    scratch *sc;
    int depth;
    lr_json_error *err;
} jp;

static bool fail(jp *j, const char *at, const char *what)
{
    j->err->what = what;
    j->err->offset = (size_t)(at - j->s);
    return false;
}

static inline void skip_ws(jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

/* 1 for bytes that end the fast string scan: '"', '\\' and controls. */
static const unsigned char str_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1, ['\\'] = 1,
};

/* First byte in [p, e) that ends a run of plain string text: '"', '\\' or a
 * control character. Sixteen bytes per step where SSE2 is there. */
static inline const char *string_stop(const char *p, const char *e)
{
#ifdef __SSE2__
    const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), c1f = _mm_set1_epi8(0x1f);
    while (e - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)p);
        /* unsigned v <= 0x1f: max(v, 0x1f) == 0x1f */
        __m128i stop = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, quote), _mm_cmpeq_epi8(v, backslash)),
                                    _mm_cmpeq_epi8(_mm_max_epu8(v, c1f), c1f));
        unsigned m = (unsigned)_mm_movemask_epi8(stop);
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
#endif
    while (p < e && !str_stop[(unsigned char)*p])
        p++;
    return p;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Four hex digits at p; -1 when malformed. */
static long hex4(const char *p)
{
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(p[k]);
        if (h < 0)
            return -1;
        v = v * 16 + h;
    }
    return v;
}

static char *put_utf8(char *d, unsigned long cp)
{
    if (cp < 0x80) {
        *d++ = (char)cp;
    } else if (cp < 0x800) {
        *d++ = (char)(0xc0 | (cp >> 6));
        *d++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *d++ = (char)(0xe0 | (cp >> 12));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *d++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *d++ = (char)(0xf0 | (cp >> 18));
        *d++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *d++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *d++ = (char)(0x80 | (cp & 0x3f));
    }
    return d;
}

/* Decode the escaped string body [b, e) (already validated) into the arena. */
static const char *decode_escaped(jp *j, const char *b, const char *e, uint32_t *out_len)
{
    /* decoded text is never longer than its escaped form */
    char *dst = lr_record_alloc(j->rec, (size_t)(e - b) + 1);
    char *d = dst;
    const char *p = b;
    while (p < e) {
        if (*p != '\\') {
            /* copy the run up to the next escape in one go */
            const char *bs = memchr(p, '\\', (size_t)(e - p));
            size_t run = (size_t)((bs ? bs : e) - p);
            memcpy(d, p, run);
            d += run;
            p += run;
            continue;
        }
        char c = p[1];
        p += 2;
        switch (c) {
        case '"':
            *d++ = '"';
            break;
        case '\\':
            *d++ = '\\';
            break;
        case '/':
            *d++ = '/';
            break;
        case 'b':
            *d++ = '\b';
            break;
        case 'f':
            *d++ = '\f';
            break;
        case 'n':
            *d++ = '\n';
            break;
        case 'r':
            *d++ = '\r';
            break;
        case 't':
            *d++ = '\t';
            break;
        default: { /* 'u', checked by the scan */
            unsigned long cp = (unsigned long)hex4(p);
            p += 4;
            if (cp >= 0xd800 && cp <= 0xdbff && e - p >= 6 && p[0] == '\\' && p[1] == 'u') {
                long lo = hex4(p + 2);
                if (lo >= 0xdc00 && lo <= 0xdfff) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned long)lo - 0xdc00);
                    p += 6;
                }
            }
            if (cp >= 0xd800 && cp <= 0xdfff)
                cp = 0xfffd; /* lone surrogate: not representable in UTF-8 */
            d = put_utf8(d, cp);
        }
        }
    }
    *d = '\0';
    *out_len = (uint32_t)(d - dst);
    return dst;
}

/* j->p is just past the opening quote. */
static bool parse_string(jp *j, const char **out, uint32_t *out_len)
{
    const char *b = j->p, *end = j->end;
    const char *p = string_stop(b, end);
    if (p < end && *p == '"') {
        if ((size_t)(p - b) > UINT32_MAX)
            return fail(j, b, "string too long");
        *out = b; /* no escapes: point into the record's copy of the input */
        *out_len = (uint32_t)(p - b);
        j->p = p + 1;
        return true;
    }
    /* slow path: validate to the closing quote, then decode */
    while (p < end) {
        p = string_stop(p, end);
        if (p >= end)
            break;
        unsigned char c = (unsigned char)*p;
        if (c == '"')
            break;
        if (c < 0x20)
            return fail(j, p, "control character in string");
        if (end - p < 2)
            return fail(j, p, "unterminated string");
        switch (p[1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
            p += 2;
            break;
        case 'u':
            if (end - p < 6 || hex4(p + 2) < 0)
                return fail(j, p, "bad \\u escape");
            p += 6;
            break;
        default:
            return fail(j, p, "bad escape");
        }
    }
    if (p >= end)
        return fail(j, b - 1, "unterminated string");
    if ((size_t)(p - b) > UINT32_MAX)
        return fail(j, b, "string too long");
    *out = decode_escaped(j, b, p, out_len);
    j->p = p + 1;
    return true;
}

static bool parse_value(jp *j, lr_value *out);

static bool parse_object(jp *j, lr_value *out)
{
    scratch *sc = j->sc;
    size_t base = sc->mlen;
    j->p++; /* '{' */
    skip_ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
        *out = (lr_value){.kind = LR_VAL_OBJECT};
        return true;
    }
    for (;;) {
        skip_ws(j);
        if (j->p >= j->end)
            return fail(j, j->p, "unterminated object");
        if (*j->p != '"')
            return fail(j, j->p, "expected string key");
        j->p++;
        lr_member m;
        if (!parse_string(j, &m.key, &m.key_len))
            return false;
        skip_ws(j);
        if (j->p >= j->end || *j->p != ':')
            return fail(j, j->p, "expected ':'");
        j->p++;
        if (!parse_value(j, &m.value))
            return false;
        if (sc->mlen == sc->mcap) {
            scratch_track(sc);
            sc->m = grow(sc->m, &sc->mcap, sizeof *sc->m);
        }
        sc->m[sc->mlen++] = m;
        skip_ws(j);
        if (j->p >= j->end)
            return fail(j, j->p, "unterminated object");
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p != '}')
            return fail(j, j->p, "expected ',' or '}'");
        j->p++;
        break;
    }
    size_t n = sc->mlen - base;
    if (n > UINT32_MAX)
        return fail(j, j->p, "object too large");
    lr_member *m = lr_record_alloc(j->rec, n * sizeof *m);
    memcpy(m, sc->m + base, n * sizeof *m);
    sc->mlen = base;
    *out = (lr_value){.kind = LR_VAL_OBJECT, .len = (uint32_t)n, .u.members = m};
    return true;
}

static bool parse_array(jp *j, lr_value *out)
{
    scratch *sc = j->sc;
    size_t base = sc->vlen;
    j->p++; /* '[' */
    skip_ws(j);
    if (j->p < j->end && *j->p == ']') {
        j->p++;
        *out = (lr_value){.kind = LR_VAL_ARRAY};
        return true;
    }
    for (;;) {
        lr_value v;
        if (!parse_value(j, &v))
            return false;
        if (sc->vlen == sc->vcap) {
            scratch_track(sc);
            sc->v = grow(sc->v, &sc->vcap, sizeof *sc->v);
        }
        sc->v[sc->vlen++] = v;
        skip_ws(j);
        if (j->p >= j->end)
            return fail(j, j->p, "unterminated array");
        if (*j->p == ',') {
            j->p++;
            continue;
        }
        if (*j->p != ']')
            return fail(j, j->p, "expected ',' or ']'");
        j->p++;
        break;
    }
    size_t n = sc->vlen - base;
    if (n > UINT32_MAX)
        return fail(j, j->p, "array too large");
    lr_value *items = lr_record_alloc(j->rec, n * sizeof *items);
    memcpy(items, sc->v + base, n * sizeof *items);
    sc->vlen = base;
    *out = (lr_value){.kind = LR_VAL_ARRAY, .len = (uint32_t)n, .u.items = items};
    return true;
}

static bool parse_number(jp *j, lr_value *out)
{
    bool integral;
    size_t len = lr_num_scan_json(j->p, (size_t)(j->end - j->p), &integral);
    if (len == 0)
        return fail(j, j->p, "bad number");
    int64_t i;
    double d;
    if (integral && lr_num_parse_int64(j->p, len, &i)) {
        *out = lr_value_int(i);
    } else if (lr_num_parse_double(j->p, len, true, &d)) {
        *out = lr_value_float(d);
    } else {
        return fail(j, j->p, "bad number");
    }
    j->p += len;
    return true;
}

static bool parse_literal(jp *j, const char *word, size_t wlen, lr_value v, lr_value *out)
{
    if ((size_t)(j->end - j->p) < wlen || memcmp(j->p, word, wlen) != 0)
        return fail(j, j->p, "unexpected character");
    j->p += wlen;
    *out = v;
    return true;
}

static bool parse_value(jp *j, lr_value *out)
{
    skip_ws(j);
    if (j->p >= j->end)
        return fail(j, j->p, "unexpected end of input");
    bool ok;
    switch (*j->p) {
    case '{':
    case '[':
        if (++j->depth > LR_JSON_MAX_DEPTH)
            return fail(j, j->p, "nesting too deep");
        ok = *j->p == '{' ? parse_object(j, out) : parse_array(j, out);
        j->depth--;
        return ok;
    case '"':
        j->p++;
        *out = (lr_value){.kind = LR_VAL_STRING};
        return parse_string(j, &out->u.s, &out->len);
    case 't':
        return parse_literal(j, "true", 4, lr_value_bool(true), out);
    case 'f':
        return parse_literal(j, "false", 5, lr_value_bool(false), out);
    case 'n':
        return parse_literal(j, "null", 4, (lr_value){.kind = LR_VAL_NULL}, out);
    default:
        if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
            return parse_number(j, out);
        return fail(j, j->p, "unexpected character");
    }
}

bool lr_json_parse(lr_record *rec, const char *s, size_t n, lr_value *out, lr_json_error *err)
{
    jp j = {.s = s, .p = s, .end = s + n, .rec = rec, .sc = &tls_scratch, .err = err};
    if (n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
        j.p += 3;
    /* a failed parse leaves children on the stack: start clean every time */
    j.sc->mlen = j.sc->vlen = 0;
    if (!parse_value(&j, out))
        return false;
    skip_ws(&j);
    if (j.p != j.end)
        return fail(&j, j.p, "trailing data after JSON value");
    return true;
}
