/*
 * cdn_access.c: the provider's CDN access log, all three layouts of its grok
 * patterns, detected per line:
 *
 *   main: CLIENT - USER [TIME] "VERB REQ VER" STATUS BYTES "UA" HITMISS "CTYPE" "LAYER" REQTIME "CLIENTID"
 *         "REFERER" FWDPROTO COUNTRY
 *   vod:  CLIENT - USER [TIME] VOD_HOST "VERB REQ VER" STATUS BYTES "REFERER" "UA" "CTYPE" "HITMISS" "LAYER"
 *         "CLIENTID" REQTIME FWDPROTO [COUNTRY]
 *
 * A hand-written single pass over the line: no regex, no allocation per
 * field (one member array per record; strings point into the record's raw
 * copy unless a \" or \\ escape has to be decoded). Field names are the grok
 * capture names; see docs/parsers.md for where and why we differ from the grok.
 *
 * The record's JSON is written during the same pass, field by field while the
 * field is still in cache, with each key's `,"name":` prepared at compile
 * time: encoding a record as a second walk over its members cost as much as
 * the scan itself. The text is exactly what lr_record_encode_json makes of the
 * members (tests/unit/test_parse_data.c and the fuzz target compare the two).
 * It goes straight into the record's arena while it fits (see cdn_scan).
 *
 * Each member's slot is also noted in rec->key_slots, so route conditions
 * take an access-log field without searching for its key.
 *
 * Threading: no shared state; any thread (per-thread caches of the last
 * time text and of the JSON scratch buffer).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "parse/numparse.h"
#include "record/json_encode.h"
#include "parse/parse_internal.h"
#include "parse/timeparse.h"

#define CDN_MAX_FIELDS 18
/* The scratch buffer's default cap (lr_buf: 1 GiB) bounds the worst case. */
#define LR_CDN_MAX_JSON ((size_t)1 << 30)

typedef struct cdn_scan {
    const char *line; /* start of the line (the record's raw copy) */
    const char *p;    /* cursor */
    const char *end;  /* end of the line, CR/LF stripped */
    lr_record *rec;
    lr_member *m;
    size_t n;
    /* The JSON text: written straight into the record's arena (the free end
     * of its block) while it fits and nothing else is allocated, else in the
     * thread's scratch buffer, reserved for the worst case, and copied to the
     * arena at the end (see json_to_scratch). */
    char *j;      /* write cursor */
    char *jstart; /* where the text begins */
    char *jend;   /* the cursor may go this far (16 bytes of slack beyond for vector stores) */
    bool in_arena;
    const char *reason; /* why the line failed (static) */
} cdn_scan;

/* Every value is a piece of the line (escapes only shrink it) or a number,
 * so the encoding fits in 6 bytes per line byte plus keys and numbers. */
static size_t json_worst_case(size_t line_len)
{
    return line_len * 6 + CDN_MAX_FIELDS * 64 + 256;
}

/* Leave the arena for the scratch buffer: before anything else is allocated
 * from the arena (a decoded string), or when the next write may not fit.
 * What was written stays allocated in the arena (the @timestamp member
 * points into it); the scratch buffer gets a copy and room for the rest of
 * the worst case (lr_cdn_access_fill checked that the buffer may grow that
 * far). */
static void json_to_scratch(cdn_scan *c)
{
    if (!c->in_arena)
        return;
    size_t len = (size_t)(c->j - c->jstart);
    char *kept = lr_record_alloc(c->rec, len ? len : 1);
    (void)kept; /* == c->jstart: nothing else was allocated since */
    lr_buf *b = lr_record_scratch();
    size_t cap = json_worst_case(c->rec->ev.raw_len);
    if (!lr_buf_reserve(b, cap)) {
        fputs("logrelay: out of memory\n", stderr);
        abort();
    }
    memcpy(b->data, c->jstart, len);
    c->jstart = b->data;
    c->j = b->data + len;
    c->jend = b->data + cap - 16;
    c->in_arena = false;
}

/* Room for `need` more bytes of JSON at c->j. */
static inline void json_room(cdn_scan *c, size_t need)
{
    if ((size_t)(c->jend - c->j) < need)
        json_to_scratch(c);
}

static inline void add_member(cdn_scan *c, lr_known_key id, const char *key, size_t klen, lr_value v)
{
    c->rec->key_slots[id] = (uint8_t)(c->n + 1); /* the index routes look fields up by */
    lr_member *m = &c->m[c->n++];
    m->key = key;
    m->key_len = (uint32_t)klen;
    m->value = v;
}

/* `,"key":` as one constant (every member but the first, @timestamp). */
static inline void put_key(cdn_scan *c, const char *jkey, size_t jlen)
{
    memcpy(c->j, jkey, jlen);
    c->j += jlen;
}

/*
 * The JSON string of s[0..n). A piece of the line (every field but one that
 * had \" escapes decoded) is followed by readable bytes up to the record's
 * NUL padding, so it is copied sixteen bytes per step like quoted fields;
 * anything else goes through the generic writer.
 */
static inline char *put_piece(const cdn_scan *c, char *d, const char *s, size_t n)
{
#ifdef __SSE2__
    if (s >= c->line && s + n <= c->end) {
        *d++ = '"';
        size_t i = 0;
        while (i < n) {
            __m128i v = _mm_loadu_si128((const __m128i *)(s + i));
            _mm_storeu_si128((__m128i *)d, v);
            unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
                _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
                _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')))));
            size_t left = n - i;
            if (left < 16)
                m &= (1u << left) - 1;
            if (!m) {
                size_t step = left < 16 ? left : 16;
                d += step;
                i += step;
                continue;
            }
            unsigned k = (unsigned)__builtin_ctz(m);
            d += k;
            i += k;
            size_t used;
            d = lr_json_put_special(d, (const unsigned char *)s + i, n - i, &used);
            i += used;
        }
        *d++ = '"';
        return d;
    }
#endif
    return lr_json_put_string(d, s, n);
}

static inline void add_str(cdn_scan *c, lr_known_key id, const char *key, size_t klen, const char *jkey,
                           size_t jlen, const char *s, size_t n)
{
    add_member(c, id, key, klen, lr_value_string(s, n));
    json_room(c, jlen + n * 6 + 2 + 16);
    put_key(c, jkey, jlen);
    c->j = put_piece(c, c->j, s, n);
}

/* An integer whose digits s[0..n) are already its JSON text unless they
 * start with a zero ("0200" is 200). */
static inline void add_int(cdn_scan *c, lr_known_key id, const char *key, size_t klen, const char *jkey,
                           size_t jlen, int64_t v, const char *s, size_t n)
{
    add_member(c, id, key, klen, lr_value_int(v));
    json_room(c, jlen + (n > 24 ? n : 24));
    put_key(c, jkey, jlen);
    if (n == 1 || s[0] != '0') {
        memcpy(c->j, s, n);
        c->j += n;
    } else {
        c->j = lr_json_put_int(c->j, v);
    }
}

#define JKEY(key) ",\"" key "\":"
#define ADD_STR(c, id, key, s, n) add_str(c, id, key, sizeof key - 1, JKEY(key), sizeof JKEY(key) - 1, s, n)
#define ADD_INT(c, id, key, i, s, n)                                                                         \
    add_int(c, id, key, sizeof key - 1, JKEY(key), sizeof JKEY(key) - 1, i, s, n)

static inline bool fail(cdn_scan *c, const char *reason)
{
    c->reason = reason;
    return false;
}

/* First `ch` in [p, e), or e. p..e lies inside the record's raw copy, whose
 * NUL padding makes sixteen-byte loads up to the end of the line safe; one
 * step covers a typical field, where memchr's call would cost more. */
static inline const char *find_byte(const char *p, const char *e, char ch)
{
#ifdef __SSE2__
    const __m128i x = _mm_set1_epi8(ch);
    for (; p < e; p += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)p), x));
        if (m) {
            const char *r = p + __builtin_ctz(m);
            return r < e ? r : e;
        }
    }
    return e;
#else
    const char *r = memchr(p, ch, (size_t)(e - p));
    return r ? r : e;
#endif
}

/* An unquoted field: up to the next space or the end of the line. */
static inline void token(cdn_scan *c, const char **s, size_t *n)
{
    const char *q = find_byte(c->p, c->end, ' ');
    *s = c->p;
    *n = (size_t)(q - c->p);
    c->p = q;
}

/* The single space between two fields; false (the line is truncated) when
 * nothing follows it. */
static inline bool sep(cdn_scan *c, const char *missing_next)
{
    if (c->p >= c->end || c->p + 1 >= c->end)
        return fail(c, missing_next);
    c->p++; /* fields end at a space or at the end of the line, so this is ' ' */
    return true;
}

/* Copy of [b, e) with \" and \\ decoded (other backslashes are kept: nginx's
 * \xHH stays readable text). */
static const char *unescape(cdn_scan *c, const char *b, const char *e, size_t *n)
{
    json_to_scratch(c); /* the arena is about to be used */
    char *dst = lr_record_alloc(c->rec, (size_t)(e - b));
    char *d = dst;
    while (b < e) {
        if (b[0] == '\\' && b + 1 < e && (b[1] == '"' || b[1] == '\\')) {
            *d++ = b[1];
            b += 2;
        } else {
            *d++ = *b++;
        }
    }
    *n = (size_t)(d - dst);
    return dst;
}

/*
 * A quoted field at c->p. The closing quote is the first '"' that is not
 * escaped (odd run of backslashes before it) and is followed by a space or
 * the end of the line; a stray unescaped quote inside the text is kept.
 *
 * The field's JSON string is written at c->j on the way, so that the scan
 * and the encoding are one pass: sixteen bytes are copied per step and only the bytes that need
 * attention (quote, backslash, controls, non-ASCII) are looked at. The raw
 * escapes \" and \\ are already the JSON escapes of their decoded
 * characters, so they are copied as they are; any other backslash is a
 * literal one and is doubled. Reads up to 15 bytes past the end of the line:
 * the record keeps NUL padding there (LR_RECORD_RAW_PAD), and a NUL stops the
 * step like any control byte.
 */
static bool quoted_json(cdn_scan *c, const char *expected, const char *unterminated, const char **s,
                        size_t *n)
{
    if (c->p >= c->end || *c->p != '"')
        return fail(c, expected);
    const unsigned char *b = (const unsigned char *)c->p + 1, *q = b, *e = (const unsigned char *)c->end;
    char *d = c->j;
    *d++ = '"';
    bool escapes = false;
    for (;;) {
        if (c->jend - d < 32) { /* a step writes at most 16 bytes (and 16 of slack) */
            c->j = d;
            json_to_scratch(c);
            d = c->j;
        }
#ifdef __SSE2__
        __m128i v = _mm_loadu_si128((const __m128i *)q);
        _mm_storeu_si128((__m128i *)d, v);
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(
            _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)),
            _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')), _mm_cmpeq_epi8(v, _mm_set1_epi8('\\')))));
        if (!m) {
            q += 16;
            d += 16;
            continue;
        }
        unsigned k = (unsigned)__builtin_ctz(m);
        q += k;
        d += k;
#else
        while (*q >= 0x20 && *q < 0x80 && *q != '"' && *q != '\\')
            *d++ = (char)*q++;
#endif
        if (q >= e)
            return fail(c, unterminated);
        if (*q == '"') {
            if (q + 1 == e || q[1] == ' ')
                break;
            d[0] = '\\'; /* a stray quote inside the text */
            d[1] = '"';
            d += 2;
            q++;
        } else if (*q == '\\') {
            /* a backslash takes the next byte with it: \" never closes */
            escapes = true;
            if (e - q <= 2)
                return fail(c, unterminated);
            d[0] = '\\';
            if (q[1] == '"' || q[1] == '\\') {
                d[1] = (char)q[1];
                q += 2;
            } else {
                d[1] = '\\'; /* a literal backslash; the byte after it is read next */
                q++;
            }
            d += 2;
        } else {
            size_t used;
            d = lr_json_put_special(d, q, (size_t)(e - q), &used);
            q += used;
        }
    }
    *d++ = '"';
    c->j = d;
    c->p = (const char *)q + 1;
    if (escapes) {
        *s = unescape(c, (const char *)b, (const char *)q, n);
    } else {
        *s = (const char *)b; /* the common case: no copy */
        *n = (size_t)(q - b);
    }
    return true;
}

/* A quoted field added as a string member, JSON written while scanning. */
static inline bool quoted_member(cdn_scan *c, lr_known_key id, const char *key, size_t klen, const char *jkey,
                                 size_t jlen, const char *expected, const char *unterminated)
{
    const char *s;
    size_t n;
    json_room(c, jlen + 64);
    put_key(c, jkey, jlen);
    if (!quoted_json(c, expected, unterminated, &s, &n))
        return false; /* the line fails: its JSON is not used */
    add_member(c, id, key, klen, lr_value_string(s, n));
    return true;
}

#define QUOTED_MEMBER(c, id, name)                                                                           \
    quoted_member(c, id, name, sizeof name - 1, JKEY(name), sizeof JKEY(name) - 1,                           \
                  "expected quoted field '" name "'", "unterminated quoted field '" name "'")

/* The request line: a quoted field whose text is split into verb, request
 * and version before it is encoded, so the JSON the scan writes is dropped
 * (the cursor goes back; an offset, as the text may have moved to the
 * scratch buffer meanwhile). One scanner keeps one closing-quote rule. */
static bool request_field(cdn_scan *c, const char **s, size_t *n)
{
    json_room(c, 64);
    size_t at = (size_t)(c->j - c->jstart);
    bool ok = quoted_json(c, "expected quoted field 'request'", "unterminated quoted field 'request'", s, n);
    c->j = c->jstart + at;
    return ok;
}

/* Field-specific reasons are static literals, counted by text. */
#define SEP(c, next) sep(c, "missing field '" next "'")

/* Digits only (no sign), up to INT64_MAX. */
static bool unsigned_int(const char *s, size_t n, int64_t *out)
{
    if (n == 0)
        return false;
    if (n > 18) /* rare: let the checked parser handle overflow */
        return s[0] != '-' && lr_num_parse_int64(s, n, out);
    int64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static inline bool is_word(unsigned char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_';
}

/* "VERB REQ VER": the verb is the leading word, the version the last
 * space-separated part, the request all between (spaces included). Anything
 * else ("-", a TLS handshake) is kept whole as `request`. */
static void request_line(cdn_scan *c, const char *s, size_t n)
{
    size_t v = 0;
    while (v < n && is_word((unsigned char)s[v]))
        v++;
    if (v == 0 || v == n || s[v] != ' ') {
        ADD_STR(c, LR_KEY_REQUEST, "request", s, n);
        return;
    }
    ADD_STR(c, LR_KEY_VERB, "verb", s, v);
    const char *r = s + v + 1, *e = s + n;
    const char *ls = memrchr(r, ' ', (size_t)(e - r));
    if (!ls) {
        ADD_STR(c, LR_KEY_REQUEST, "request", r, (size_t)(e - r)); /* HTTP/0.9: no version */
        return;
    }
    ADD_STR(c, LR_KEY_REQUEST, "request", r, (size_t)(ls - r));
    if (e - ls > 1)
        ADD_STR(c, LR_KEY_HTTPVERSION, "httpversion", ls + 1, (size_t)(e - ls - 1));
}

/* "0.000193": digits, a dot, at most 15 digits in all, is one exact
 * division; anything else goes to the general parser. *dot_at: where the
 * dot is (n when there is none). */
static bool simple_decimal(const char *s, size_t n, double *out, size_t *dot_at)
{
    static const double p10[16] = {1e0, 1e1, 1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15};
    if (n == 0 || n > 16)
        return false;
    uint64_t m = 0;
    size_t dot = n, i;
    for (i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d <= 9)
            m = m * 10 + d;
        else if (s[i] == '.' && dot == n && i > 0 && i + 1 < n)
            dot = i;
        else
            return false;
    }
    size_t frac = dot == n ? 0 : n - dot - 1;
    *out = (double)m / p10[frac]; /* m < 10^16 is exact, and so is 10^frac */
    *dot_at = dot;
    return true;
}

/* Whether the JSON encoder writes a simple decimal (its dot at `dot`, n when
 * none) back unchanged: the shortest form with at most six decimals, as a
 * request time nearly always is ("0.000193", "1.5", "0.0"; not "2", "1.50"
 * or "007.1"). */
static bool canonical_decimal(const char *s, size_t n, size_t dot)
{
    size_t fp = n - dot - 1;
    if (dot == n || dot > 9 || fp > 6 || (dot > 1 && s[0] == '0'))
        return false;
    return s[n - 1] != '0' || fp == 1;
}

static bool requesttime(cdn_scan *c)
{
    const char *s;
    size_t n;
    double d;
    token(c, &s, &n);
    size_t dot;
    bool simple = simple_decimal(s, n, &d, &dot);
    if (!simple && !lr_num_parse_double(s, n, false, &d))
        return fail(c, "bad requesttime");
    add_member(c, LR_KEY_REQUESTTIME, "requesttime", 11, lr_value_float(d));
    json_room(c, sizeof JKEY("requesttime") + (n > 48 ? n : 48));
    put_key(c, JKEY("requesttime"), sizeof JKEY("requesttime") - 1);
    if (simple && canonical_decimal(s, n, dot)) {
        memcpy(c->j, s, n);
        c->j += n;
    } else {
        c->j = lr_json_put_double(c->j, d);
    }
    return true;
}

/* FWDPROTO [COUNTRY] at the end of both layouts. Anything after the country
 * is ignored, as the grok's trailing (.*) does. */
static bool proto_country(cdn_scan *c)
{
    const char *s;
    size_t n;
    token(c, &s, &n);
    if (n == 0) /* the line ends in spaces */
        return fail(c, "missing field 'forwardedproto'");
    ADD_STR(c, LR_KEY_FORWARDEDPROTO, "forwardedproto", s, n);
    if (c->p < c->end) {
        c->p++;
        token(c, &s, &n);
        if (n)
            ADD_STR(c, LR_KEY_COUNTRY, "country", s, n);
    }
    return true;
}

static bool main_layout(cdn_scan *c)
{
    const char *s;
    size_t n;
    if (!QUOTED_MEMBER(c, LR_KEY_USERAGENT, "useragent"))
        return false;
    if (!SEP(c, "hitmiss"))
        return false;
    /* A quote where the main layout has its one unquoted text field: this
     * is another format (Apache combined, say), not a damaged line. */
    if (*c->p == '"')
        return fail(c, "no layout matched");
    token(c, &s, &n);
    ADD_STR(c, LR_KEY_HITMISS, "hitmiss", s, n);
    if (!SEP(c, "content-type") || !QUOTED_MEMBER(c, LR_KEY_CONTENT_TYPE, "content-type"))
        return false;
    if (!SEP(c, "layer") || !QUOTED_MEMBER(c, LR_KEY_LAYER, "layer"))
        return false;
    if (!SEP(c, "requesttime") || !requesttime(c))
        return false;
    if (!SEP(c, "clientid") || !QUOTED_MEMBER(c, LR_KEY_CLIENTID, "clientid"))
        return false;
    if (!SEP(c, "referer") || !QUOTED_MEMBER(c, LR_KEY_REFERER, "referer"))
        return false;
    if (!SEP(c, "forwardedproto"))
        return false;
    return proto_country(c);
}

static bool vod_layout(cdn_scan *c)
{
    if (!QUOTED_MEMBER(c, LR_KEY_REFERER, "referer"))
        return false;
    if (!SEP(c, "useragent") || !QUOTED_MEMBER(c, LR_KEY_USERAGENT, "useragent"))
        return false;
    if (!SEP(c, "content-type") || !QUOTED_MEMBER(c, LR_KEY_CONTENT_TYPE, "content-type"))
        return false;
    if (!SEP(c, "hitmiss") || !QUOTED_MEMBER(c, LR_KEY_HITMISS, "hitmiss"))
        return false;
    if (!SEP(c, "layer") || !QUOTED_MEMBER(c, LR_KEY_LAYER, "layer"))
        return false;
    if (!SEP(c, "clientid") || !QUOTED_MEMBER(c, LR_KEY_CLIENTID, "clientid"))
        return false;
    if (!SEP(c, "requesttime") || !requesttime(c))
        return false;
    if (!SEP(c, "forwardedproto"))
        return false;
    return proto_country(c);
}

/* Lines come in time order: most repeat the previous line's time text. One
 * cache per thread of the last text and its value. */
static _Thread_local struct {
    char text[40];
    size_t len;
    int64_t ms;
} clf_cache;

static bool clf_time(const char *p, size_t n, int64_t *ms, size_t *used)
{
    size_t k = clf_cache.len;
    if (k && n > k && p[k] == ']' && memcmp(p, clf_cache.text, k) == 0) {
        *ms = clf_cache.ms;
        *used = k;
        return true;
    }
    if (!lr_time_parse_clf(p, n, ms, used))
        return false;
    if (*used <= sizeof clf_cache.text) {
        memcpy(clf_cache.text, p, *used);
        clf_cache.len = *used;
        clf_cache.ms = *ms;
    }
    return true;
}

/* CLIENT - USER [TIME] [VOD_HOST] "REQUEST" STATUS BYTES, then the layout's tail. */
static bool scan_line(cdn_scan *c)
{
    const char *s = c->p, *e = c->end, *q, *p = s;
    if (s == e)
        return fail(c, "empty line");
    /* CLIENT: up to the first " - " (the grok's lazy DATA: IPv6, host names
     * and "a, b" forwarded lists all fit) */
    for (;;) {
        q = find_byte(p, e, ' ');
        if (e - q < 3)
            return fail(c, "no layout matched");
        if (q[1] == '-' && q[2] == ' ')
            break;
        p = q + 1;
    }
    const char *client = s;
    size_t client_n = (size_t)(q - s);
    /* USER: up to the first " [" */
    const char *user = p = q + 3;
    for (;;) {
        q = find_byte(p, e, ' ');
        if (e - q < 2)
            return fail(c, "no layout matched");
        if (q[1] == '[')
            break;
        p = q + 1;
    }
    size_t user_n = (size_t)(q - user);
    p = q + 2;
    int64_t ts;
    size_t used;
    if (!clf_time(p, (size_t)(e - p), &ts, &used) || p + used >= e || p[used] != ']')
        return fail(c, "bad timestamp");
    p += used + 1;
    if (p >= e || p + 1 >= e)
        return fail(c, "missing field 'request'");
    if (*p != ' ')
        return fail(c, "bad timestamp");
    c->p = p + 1;

    /* the member's text is the one in the JSON (kept in the arena even if
     * the text moves to the scratch buffer later) */
    json_room(c, 64);
    memcpy(c->j, "{\"@timestamp\":\"", 15);
    lr_parse_format_timestamp(ts, c->j + 15);
    const char *ts_text = c->in_arena ? c->j + 15 : lr_record_str(c->rec, c->j + 15, 24);
    c->j[39] = '"';
    c->j += 40;
    add_member(c, LR_KEY_TIMESTAMP, "@timestamp", 10, lr_value_string(ts_text, 24));
    c->rec->ev.timestamp_ms = ts;
    ADD_STR(c, LR_KEY_CLIENTIP, "clientip", client, client_n);
    if (!(user_n == 1 && user[0] == '-'))
        ADD_STR(c, LR_KEY_USER, "user", user, user_n);

    bool vod = *c->p != '"';
    if (vod) {
        const char *h;
        size_t hn;
        token(c, &h, &hn);
        if (c->p + 1 >= e)
            return fail(c, "missing field 'request'");
        if (c->p[1] != '"')
            return fail(c, "no layout matched");
        c->p++;
        ADD_STR(c, LR_KEY_VOD_HOST, "vod_host", h, hn);
    }
    const char *f;
    size_t fn;
    if (!request_field(c, &f, &fn))
        return false;
    request_line(c, f, fn);

    int64_t v;
    if (!SEP(c, "statuscode"))
        return false;
    token(c, &f, &fn);
    if (!unsigned_int(f, fn, &v))
        return fail(c, "bad statuscode");
    ADD_INT(c, LR_KEY_STATUSCODE, "statuscode", v, f, fn);
    if (!SEP(c, "bytes"))
        return false;
    token(c, &f, &fn);
    if (!(fn == 1 && f[0] == '-')) {
        if (!unsigned_int(f, fn, &v))
            return fail(c, "bad bytes");
        ADD_INT(c, LR_KEY_BYTES, "bytes", v, f, fn);
    }
    if (!(vod ? SEP(c, "referer") : SEP(c, "useragent")))
        return false;
    return vod ? vod_layout(c) : main_layout(c);
}

bool lr_cdn_access_fill(lr_record *rec, const char **reason)
{
    const char *s = rec->ev.raw, *e = s + rec->ev.raw_len;
    while (e > s && (e[-1] == '\n' || e[-1] == '\r'))
        e--;
    if (json_worst_case(rec->ev.raw_len) > LR_CDN_MAX_JSON) {
        *reason = "line too long";
        return false;
    }
    cdn_scan c = {.line = s, .p = s, .end = e, .rec = rec};
    c.m = lr_record_alloc(rec, CDN_MAX_FIELDS * sizeof *c.m);
    size_t room;
    c.jstart = c.j = lr_arena_free_space(&rec->arena, &room);
    c.jend = c.jstart + (room > 16 ? room - 16 : 0);
    c.in_arena = true;
    if (room < 256)
        json_to_scratch(&c);
    int64_t given = rec->ev.timestamp_ms;
    if (!scan_line(&c)) {
        rec->ev.timestamp_ms = given; /* a failed line keeps the time it came with */
        *reason = c.reason;
        return false;
    }
    json_room(&c, 1);
    *c.j++ = '}';
    size_t len = (size_t)(c.j - c.jstart);
    lr_record_set_root(rec, c.m, c.n);
    rec->fields_unique_keys = true;
    rec->has_key_slots = true;
    if (c.in_arena) {
        char *kept = lr_record_alloc(rec, len + 1); /* == c.jstart: nothing else was allocated */
        kept[len] = '\0';
        rec->ev.json = kept;
        rec->ev.json_len = len;
    } else {
        lr_record_set_json(rec, c.jstart, len);
    }
    return true;
}
