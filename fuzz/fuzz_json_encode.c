/*
 * fuzz_json_encode.c: libFuzzer target for the shared JSON encoder
 * (core/record/json_encode.c). The input is read as a little program that
 * builds an lr_value tree (objects, arrays, strings of arbitrary bytes, ints,
 * doubles of any bit pattern); the encoding must be valid JSON, and reading
 * it back with jansson must give: every string as the input bytes with each
 * byte of an invalid UTF-8 sequence replaced by U+FFFD (checked against a
 * reference decoder written here from the Unicode standard's table of
 * well-formed sequences), every int exactly, every finite double bit for bit,
 * NaN and infinities as null, every key of an object.
 */
#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/json_encode.h"

#define MAX_NODES 512
#define MAX_DEPTH 16

typedef struct prog {
    const uint8_t *p, *end;
    int nodes;
} prog;

static uint8_t take(prog *g)
{
    return g->p < g->end ? *g->p++ : 0;
}

static void die(const char *what)
{
    fprintf(stderr, "fuzz property violated: %s\n", what);
    abort();
}

/* Unicode 15, table 3-7: length of the well-formed sequence at s, 0 if ill-formed. */
static size_t ref_utf8_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    if (c < 0x80)
        return 1;
    size_t len;
    uint8_t lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2;
    else if (c == 0xe0)
        len = 3, lo = 0xa0;
    else if ((c >= 0xe1 && c <= 0xec) || c == 0xee || c == 0xef)
        len = 3;
    else if (c == 0xed)
        len = 3, hi = 0x9f;
    else if (c == 0xf0)
        len = 4, lo = 0x90;
    else if (c >= 0xf1 && c <= 0xf3)
        len = 4;
    else if (c == 0xf4)
        len = 4, hi = 0x8f;
    else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    for (size_t i = 2; i < len; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0;
    }
    return len;
}

/* The text jansson should read back for these bytes: ill-formed UTF-8
 * bytes replaced by U+FFFD. Caller frees. */
static uint8_t *expected_text(const char *str, size_t n, size_t *out_len)
{
    uint8_t *want = malloc(n * 3 + 1);
    if (!want)
        die("out of memory");
    size_t w = 0;
    const uint8_t *s = (const uint8_t *)str;
    for (size_t i = 0; i < n;) {
        size_t l = ref_utf8_len(s + i, n - i);
        if (l == 0) {
            memcpy(want + w, "\xef\xbf\xbd", 3);
            w += 3;
            i++;
        } else {
            memcpy(want + w, s + i, l);
            w += l;
            i += l;
        }
    }
    *out_len = w;
    return want;
}

static void check(json_t *j, const lr_value *v);

static void check_object(json_t *j, const lr_value *v)
{
    if (!json_is_object(j))
        die("an object reads back as an object");
    /* jansson keeps one value per key, so: the distinct keys are all there,
     * and a key that occurs once has its value */
    size_t distinct = 0;
    for (uint32_t i = 0; i < v->len; i++) {
        size_t kl, ol;
        uint8_t *k = expected_text(v->u.members[i].key, v->u.members[i].key_len, &kl);
        int seen_before = 0, seen_after = 0;
        for (uint32_t o = 0; o < v->len; o++) {
            if (o == i)
                continue;
            uint8_t *other = expected_text(v->u.members[o].key, v->u.members[o].key_len, &ol);
            if (ol == kl && memcmp(other, k, kl) == 0)
                *(o < i ? &seen_before : &seen_after) = 1;
            free(other);
        }
        json_t *got = json_object_getn(j, (const char *)k, kl);
        if (!got)
            die("every key reads back");
        if (!seen_before)
            distinct++;
        if (!seen_before && !seen_after)
            check(got, &v->u.members[i].value);
        free(k);
    }
    if (json_object_size(j) != distinct)
        die("no key appears that was not written");
}

static void check(json_t *j, const lr_value *v)
{
    switch (v->kind) {
    case LR_VAL_NULL:
        if (!json_is_null(j))
            die("null");
        break;
    case LR_VAL_BOOL:
        if (!json_is_boolean(j) || json_is_true(j) != v->u.b)
            die("bool");
        break;
    case LR_VAL_INT:
        if (!json_is_integer(j) || json_integer_value(j) != v->u.i)
            die("int reads back exactly");
        break;
    case LR_VAL_FLOAT:
        if (!isfinite(v->u.f)) {
            if (!json_is_null(j))
                die("NaN and infinities are null");
        } else {
            double got = json_number_value(j);
            if (!json_is_real(j) || memcmp(&got, &v->u.f, sizeof got) != 0)
                die("a finite double reads back bit for bit, and as a real");
        }
        break;
    case LR_VAL_STRING: {
        size_t wl;
        uint8_t *want = expected_text(v->u.s, v->len, &wl);
        if (!json_is_string(j) || json_string_length(j) != wl || memcmp(json_string_value(j), want, wl) != 0)
            die("a string reads back as its bytes, invalid UTF-8 replaced by U+FFFD");
        free(want);
        break;
    }
    case LR_VAL_ARRAY:
        if (!json_is_array(j) || json_array_size(j) != v->len)
            die("an array reads back with its size");
        for (uint32_t i = 0; i < v->len; i++)
            check(json_array_get(j, i), &v->u.items[i]);
        break;
    case LR_VAL_OBJECT:
        check_object(j, v);
        break;
    }
}

static lr_value build(prog *g, int depth)
{
    lr_value v = {.kind = LR_VAL_NULL};
    if (g->nodes++ > MAX_NODES)
        return v;
    uint8_t op = take(g);
    switch (op % 8) {
    case 0:
        break;
    case 1:
        v.kind = LR_VAL_BOOL;
        v.u.b = take(g) & 1;
        break;
    case 2: {
        v.kind = LR_VAL_INT;
        uint64_t u = 0;
        for (int i = 0; i < 8; i++)
            u = u << 8 | take(g);
        memcpy(&v.u.i, &u, sizeof u);
        break;
    }
    case 3: {
        v.kind = LR_VAL_FLOAT;
        uint64_t u = 0;
        for (int i = 0; i < 8; i++)
            u = u << 8 | take(g);
        memcpy(&v.u.f, &u, sizeof u);
        break;
    }
    case 4:
    case 5: {
        size_t n = take(g);
        if (op & 0x80)
            n = n << 4; /* now and then a longer string */
        if (n > (size_t)(g->end - g->p))
            n = (size_t)(g->end - g->p);
        v.kind = LR_VAL_STRING;
        v.len = (uint32_t)n;
        v.u.s = (const char *)g->p;
        g->p += n;
        break;
    }
    case 6: {
        if (depth >= MAX_DEPTH)
            break;
        size_t n = take(g) % 8;
        lr_value *items = calloc(n ? n : 1, sizeof *items);
        for (size_t i = 0; i < n; i++)
            items[i] = build(g, depth + 1);
        v.kind = LR_VAL_ARRAY;
        v.len = (uint32_t)n;
        v.u.items = items;
        break;
    }
    default: {
        if (depth >= MAX_DEPTH)
            break;
        size_t n = take(g) % 8;
        lr_member *m = calloc(n ? n : 1, sizeof *m);
        for (size_t i = 0; i < n; i++) {
            size_t kl = take(g) % 8;
            if (kl > (size_t)(g->end - g->p))
                kl = (size_t)(g->end - g->p);
            m[i].key = (const char *)g->p;
            g->p += kl;
            /* jansson cannot hold a NUL in a key (the encoder can): stop the key there */
            const char *nul = memchr(m[i].key, 0, kl);
            m[i].key_len = (uint32_t)(nul ? (size_t)(nul - m[i].key) : kl);
            m[i].value = build(g, depth + 1);
        }
        v.kind = LR_VAL_OBJECT;
        v.len = (uint32_t)n;
        v.u.members = m;
        break;
    }
    }
    return v;
}

static void release(lr_value *v)
{
    if (v->kind == LR_VAL_ARRAY) {
        for (uint32_t i = 0; i < v->len; i++)
            release((lr_value *)&v->u.items[i]);
        free((void *)v->u.items);
    } else if (v->kind == LR_VAL_OBJECT) {
        for (uint32_t i = 0; i < v->len; i++)
            release((lr_value *)&v->u.members[i].value);
        free((void *)v->u.members);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    prog g = {.p = data, .end = data + size};
    lr_value root = build(&g, 0);
    lr_buf out;
    lr_buf_init(&out, 0);
    if (!lr_json_encode_value(&out, &root))
        die("encoding fails only at the buffer cap");
    json_error_t err;
    json_t *j = json_loadb(out.data, out.len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!j) {
        fprintf(stderr, "invalid JSON (%s at %d): %.*s\n", err.text, err.position, (int)out.len, out.data);
        die("the encoding is valid JSON");
    }
    check(j, &root);
    json_decref(j);
    lr_buf_free(&out);
    release(&root);
    return 0;
}
