/*
 * view_json.c: see view_json.h. Walks the view and the record side by side
 * along the record's JSON text: a value the view shares with the record is
 * copied as the bytes that encode it, a changed object is rebuilt member by
 * member, anything new is encoded. The text is only scanned (to find where
 * a value ends), never decoded. Pipeline thread; no allocation besides out.
 */
#include "route/view_json.h"

#include <stdint.h>
#include <string.h>

#include "record/json_encode.h"
#include "route/bytes.h"

typedef struct cursor {
    const char *p;
    const char *end;
} cursor;

/* Same value: the record's bytes encode the view's value exactly. */
static bool same_value(const lr_value *a, const lr_value *b)
{
    if (a->kind != b->kind || a->len != b->len)
        return false;
    switch (a->kind) {
    case LR_VAL_NULL:
        return true;
    case LR_VAL_BOOL:
        return a->u.b == b->u.b;
    case LR_VAL_INT:
        return a->u.i == b->u.i;
    case LR_VAL_FLOAT:
        return memcmp(&a->u.f, &b->u.f, sizeof a->u.f) == 0;
    case LR_VAL_STRING:
        return a->u.s == b->u.s;
    case LR_VAL_OBJECT:
        return a->u.members == b->u.members;
    case LR_VAL_ARRAY:
        return a->u.items == b->u.items;
    default:
        return false;
    }
}

/* Bytes of x equal to the byte b get their high bit set (SWAR). */
static inline uint64_t bytes_equal(uint64_t x, unsigned char b)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    uint64_t y = x ^ (ones * b);
    return (y - ones) & ~y & highs;
}

/* c->p at '"': move past the closing quote. Eight bytes at a time: look for
 * the first '"' or '\\'; an escape skips the byte after the backslash. */
static bool skip_string(cursor *c)
{
    const char *p = c->p + 1;
    while (c->end - p >= 8) {
        uint64_t x;
        memcpy(&x, p, 8);
        uint64_t hit = bytes_equal(x, '"') | bytes_equal(x, '\\');
        if (!hit) {
            p += 8;
            continue;
        }
        p += __builtin_ctzll(hit) / 8; /* little-endian: lowest byte first */
        if (*p == '"') {
            c->p = p + 1;
            return true;
        }
        p += 2; /* a backslash and the byte it escapes */
    }
    for (; p < c->end; p++) {
        if (*p == '"') {
            c->p = p + 1;
            return true;
        }
        if (*p == '\\')
            p++;
    }
    return false;
}

/* Move past one value (the encoder writes no whitespace). */
static bool skip_value(cursor *c)
{
    if (c->p >= c->end)
        return false;
    char ch = *c->p;
    if (ch == '"')
        return skip_string(c);
    if (ch != '{' && ch != '[') {
        while (c->p < c->end && *c->p != ',' && *c->p != '}' && *c->p != ']')
            c->p++;
        return true;
    }
    int depth = 0;
    while (c->p < c->end) {
        ch = *c->p;
        if (ch == '"') {
            if (!skip_string(c))
                return false;
            continue;
        }
        if (ch == '{' || ch == '[') {
            depth++;
        } else if (ch == '}' || ch == ']') {
            if (--depth == 0) {
                c->p++;
                return true;
            }
        }
        c->p++;
    }
    return false;
}

static bool expect(cursor *c, char ch)
{
    if (c->p >= c->end || *c->p != ch)
        return false;
    c->p++;
    return true;
}

/* `last`, when not NULL, points at the last byte of the value the cursor is
 * at (known when it is the last member of a value whose end is known): the
 * value can then be copied or passed without scanning it. */
static bool emit_value(lr_buf *out, const lr_value *view, const lr_value *base, cursor *c, const char *last);

static bool same_member(const lr_member *a, const lr_member *b)
{
    return a->key_len == b->key_len && (a->key == b->key || lr_bytes_eq(a->key, b->key, a->key_len)) &&
           same_value(&a->value, &b->value);
}

static bool emit_member(lr_buf *out, const lr_member *vm, const lr_member *bm, const char *key_text,
                        size_t key_text_len, cursor *c, const char *last)
{
    if (vm->key_len == bm->key_len && (vm->key == bm->key || lr_bytes_eq(vm->key, bm->key, vm->key_len))) {
        lr_buf_append(out, key_text, key_text_len); /* "key": as the record wrote it */
    } else {
        lr_json_encode_string(out, vm->key, vm->key_len);
        lr_buf_append_char(out, ':');
    }
    return emit_value(out, &vm->value, &bm->value, c, last);
}

static bool same_key(const lr_member *a, const lr_member *b)
{
    return a->key_len == b->key_len && (a->key == b->key || lr_bytes_eq(a->key, b->key, a->key_len));
}

static bool pairs(const lr_value *view, uint32_t j, const lr_member *bm)
{
    return j < view->len &&
           (same_key(&view->u.members[j], bm) || same_value(&view->u.members[j].value, &bm->value));
}

/* The cursor is at member `from` of base (at its ',' when from > 0): move it
 * to member `target` (its ',') or, when target is past the last member, to
 * the closing '}'. */
static bool seek_member(cursor *c, const lr_value *base, uint32_t from, uint32_t target, const char *last)
{
    if (target == from)
        return true;
    if (target == base->len && last) {
        c->p = last;
        return true;
    }
    for (uint32_t k = from; k < target; k++) {
        if (k && !expect(c, ','))
            return false;
        if (c->p >= c->end || *c->p != '"' || !skip_string(c) || !expect(c, ':') || !skip_value(c))
            return false;
    }
    return true;
}

/* View members are the record's in order, some dropped, some changed or
 * renamed in place, new ones at the end: pair them up in one pass. A view
 * member pairs with a record member that has its key or its very value;
 * record members nobody pairs with were removed. Runs of unchanged members
 * are copied as one piece of the record's text. */
static bool emit_object(lr_buf *out, const lr_value *view, const lr_value *base, cursor *c, const char *last)
{
    if (!expect(c, '{'))
        return false;
    lr_buf_append_char(out, '{');
    uint32_t i = 0, j = 0;
    bool first = true;
    while (i < base->len) {
        uint32_t r = 0;
        while (i + r < base->len && j + r < view->len &&
               same_member(&view->u.members[j + r], &base->u.members[i + r]))
            r++;
        if (r) {
            const char *src = c->p;
            if (!seek_member(c, base, i, i + r, last))
                return false;
            if (i > 0) {
                if (*src != ',')
                    return false;
                if (first)
                    src++; /* every member before went: no ',' to copy */
            }
            lr_buf_append(out, src, (size_t)(c->p - src));
            first = false;
            i += r;
            j += r;
            continue;
        }
        if (!pairs(view, j, &base->u.members[i])) {
            uint32_t d = 1; /* removed members: pass them without a copy */
            while (i + d < base->len && !pairs(view, j, &base->u.members[i + d]))
                d++;
            if (!seek_member(c, base, i, i + d, last))
                return false;
            i += d;
            continue;
        }
        if (i && !expect(c, ','))
            return false;
        const char *key_start = c->p;
        if (c->p >= c->end || *c->p != '"' || !skip_string(c) || !expect(c, ':'))
            return false;
        if (!first)
            lr_buf_append_char(out, ',');
        first = false;
        const char *child_last = last && i + 1 == base->len ? last - 1 : NULL;
        if (!emit_member(out, &view->u.members[j], &base->u.members[i], key_start, (size_t)(c->p - key_start),
                         c, child_last))
            return false;
        i++;
        j++;
    }
    if (!expect(c, '}'))
        return false;
    for (; j < view->len; j++) {
        if (!first)
            lr_buf_append_char(out, ',');
        first = false;
        lr_json_encode_string(out, view->u.members[j].key, view->u.members[j].key_len);
        lr_buf_append_char(out, ':');
        lr_json_encode_value(out, &view->u.members[j].value);
    }
    return lr_buf_append_char(out, '}');
}

/* Transforms keep an array's length (they change elements in place). */
static bool emit_array(lr_buf *out, const lr_value *view, const lr_value *base, cursor *c, const char *last)
{
    if (!expect(c, '['))
        return false;
    lr_buf_append_char(out, '[');
    for (uint32_t i = 0; i < base->len; i++) {
        if (i) {
            if (!expect(c, ','))
                return false;
            lr_buf_append_char(out, ',');
        }
        const char *child_last = last && i + 1 == base->len ? last - 1 : NULL;
        if (!emit_value(out, &view->u.items[i], &base->u.items[i], c, child_last))
            return false;
    }
    if (!expect(c, ']'))
        return false;
    return lr_buf_append_char(out, ']');
}

static bool emit_value(lr_buf *out, const lr_value *view, const lr_value *base, cursor *c, const char *last)
{
    if (last && (last < c->p || last >= c->end))
        return false;
    if (same_value(view, base)) {
        const char *start = c->p;
        if (last)
            c->p = last + 1;
        else if (!skip_value(c))
            return false;
        return lr_buf_append(out, start, (size_t)(c->p - start));
    }
    if (view->kind == LR_VAL_OBJECT && base->kind == LR_VAL_OBJECT)
        return emit_object(out, view, base, c, last);
    if (view->kind == LR_VAL_ARRAY && base->kind == LR_VAL_ARRAY && view->len == base->len)
        return emit_array(out, view, base, c, last);
    if (last)
        c->p = last + 1;
    else if (!skip_value(c))
        return false;
    return lr_json_encode_value(out, view);
}

bool lr_view_json_encode(lr_buf *out, const lr_value *view, const lr_value *base, const char *base_json,
                         size_t base_len)
{
    if (!base_len)
        return false;
    cursor c = {base_json, base_json + base_len};
    return emit_value(out, view, base, &c, base_json + base_len - 1) && c.p == c.end && !out->failed;
}
