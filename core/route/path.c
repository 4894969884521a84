/* path.c: see path.h. Parsing runs at load; lr_path_get runs per record on the pipeline thread. */
#include "route/path.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record/record.h"
#include "route/bytes.h"
#include "util/buf.h"

#define LR_PATH_MAX_SEGS 64

static bool name_start(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '@';
}

static bool name_char(unsigned char c)
{
    return name_start(c) || (c >= '0' && c <= '9') || c == '-';
}

/* A quoted segment ["..."] or ['...'] starting at s[i] == '['. Appends the
 * decoded bytes to b; returns the offset after ']' or 0 on error. */
static size_t parse_quoted_seg(const char *s, size_t len, size_t i, lr_buf *b, size_t *err_off, char *err,
                               size_t errlen)
{
    size_t open = i;
    i++;
    if (i >= len || (s[i] != '"' && s[i] != '\'')) {
        *err_off = i;
        snprintf(err, errlen, "expected a quoted name after '[' (write [\"name\"])");
        return 0;
    }
    char q = s[i++];
    for (;;) {
        if (i >= len) {
            *err_off = open;
            snprintf(err, errlen, "unterminated quoted name");
            return 0;
        }
        char c = s[i];
        if (c == q)
            break;
        /* \" \' and \\ are escapes; any other backslash is kept as written. */
        if (c == '\\' && i + 1 < len && (s[i + 1] == '"' || s[i + 1] == '\'' || s[i + 1] == '\\')) {
            lr_buf_append_char(b, s[i + 1]);
            i += 2;
            continue;
        }
        lr_buf_append_char(b, c);
        i++;
    }
    i++; /* closing quote */
    if (i >= len || s[i] != ']') {
        *err_off = i;
        snprintf(err, errlen, "expected ']' after the quoted name");
        return 0;
    }
    return i + 1;
}

size_t lr_path_parse(const char *s, size_t len, lr_path *out, size_t *err_off, char *err, size_t errlen)
{
    memset(out, 0, sizeof *out);
    lr_buf b;
    lr_buf_init(&b, 1u << 16);
    uint32_t offs[LR_PATH_MAX_SEGS + 1];
    size_t nseg = 0;
    bool dotted = false;
    size_t i = 0;
    for (;;) {
        if (nseg == LR_PATH_MAX_SEGS) {
            *err_off = i;
            snprintf(err, errlen, "path has more than %d segments", LR_PATH_MAX_SEGS);
            goto fail;
        }
        if (nseg > 0)
            lr_buf_append_char(&b, '.');
        offs[nseg] = (uint32_t)b.len;
        if (i < len && s[i] == '[') {
            size_t seg_start = b.len;
            i = parse_quoted_seg(s, len, i, &b, err_off, err, errlen);
            if (!i)
                goto fail;
            if (memchr(b.data + seg_start, '.', b.len - seg_start))
                dotted = true;
        } else if (i < len && name_start((unsigned char)s[i])) {
            size_t st = i;
            while (i < len && name_char((unsigned char)s[i]))
                i++;
            lr_buf_append(&b, s + st, i - st);
        } else {
            *err_off = i;
            snprintf(err, errlen, nseg ? "expected a name after '.'" : "expected a field name");
            goto fail;
        }
        nseg++;
        /* a segment continues with ".name", ".[...]" or directly "[...]" */
        if (i < len && s[i] == '[')
            continue;
        if (i + 1 < len && s[i] == '.' && (s[i + 1] == '[' || name_start((unsigned char)s[i + 1]))) {
            i++;
            continue;
        }
        if (i < len && s[i] == '.') {
            *err_off = i + 1;
            snprintf(err, errlen, "expected a name after '.'");
            goto fail;
        }
        break;
    }
    if (!lr_buf_terminate(&b) || b.len > UINT32_MAX - 2) {
        *err_off = 0;
        snprintf(err, errlen, "path too long");
        goto fail;
    }
    offs[nseg] = (uint32_t)b.len + 1;
    out->seg_off = malloc((nseg + 1) * sizeof *out->seg_off);
    if (!out->seg_off) {
        *err_off = 0;
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    memcpy(out->seg_off, offs, (nseg + 1) * sizeof *out->seg_off);
    out->len = b.len;
    out->text = lr_buf_steal(&b, NULL);
    out->nseg = nseg;
    out->dotted_seg = dotted;
    return i;
fail:
    lr_buf_free(&b);
    memset(out, 0, sizeof *out);
    return 0;
}

int lr_path_parse_all(const char *s, size_t len, lr_path *out, char *err, size_t errlen)
{
    size_t off = 0;
    size_t n = lr_path_parse(s, len, out, &off, err, errlen);
    if (!n)
        return -1;
    if (n != len) {
        snprintf(err, errlen, "unexpected '%c' at column %zu of the path", s[n], n + 1);
        lr_path_free(out);
        return -1;
    }
    return 0;
}

void lr_path_free(lr_path *p)
{
    if (!p)
        return;
    free(p->text);
    free(p->seg_off);
    memset(p, 0, sizeof *p);
}

size_t lr_path_key_span(const lr_path *p, size_t from, const char *key, size_t key_len)
{
    size_t start = p->seg_off[from];
    if (key_len > p->len - start)
        return 0;
    /* cheap rejections first: this runs for every member on a transform's path */
    char after = p->text[start + key_len];
    if ((after != '.' && after != '\0') || (key_len && key[0] != p->text[start]) ||
        !lr_bytes_eq(p->text + start, key, key_len))
        return 0;
    size_t end = start + key_len + 1; /* where the next segment would start */
    for (size_t k = from + 1; k <= p->nseg; k++) {
        if (p->seg_off[k] == end)
            return k - from;
        if (p->seg_off[k] > end)
            break;
    }
    return 0;
}

/* First member of obj whose key is k[0..n); NULL when none. Hot: the
 * length rules out almost every member, and the bytes are compared inline. */
static inline const lr_value *find_key(const lr_value *obj, const char *k, size_t n)
{
    const lr_member *m = obj->u.members, *end = m + obj->len;
    for (; m < end; m++) {
        if (m->key_len == n && lr_bytes_eq(m->key, k, n))
            return &m->value;
    }
    return NULL;
}

static inline bool key_is(const lr_member *m, const char *k, size_t n)
{
    return m->key_len == n && lr_bytes_eq(m->key, k, n);
}

/* The search order of lr_value_get_path (a key holding the whole rest of the
 * path first, then heads from the shortest), splitting only between
 * segments so a quoted segment holding a dot stays one key. One pass over an
 * object's members finds the whole-rest key, the one-segment head, and
 * whether a longer head (a key with dots) exists; without one, the lookup
 * descends without recursion, which is every path of a normal record. */
static const lr_value *get_from(const lr_value *v, const lr_path *p, size_t from)
{
    for (; from < p->nseg; from++) {
        if (v->kind == LR_VAL_ARRAY) {
            for (uint32_t i = 0; i < v->len; i++) {
                const lr_value *r = get_from(&v->u.items[i], p, from);
                if (r)
                    return r;
            }
            return NULL;
        }
        if (v->kind != LR_VAL_OBJECT)
            return NULL;
        const char *rest = p->text + p->seg_off[from];
        size_t rest_len = p->len - p->seg_off[from];
        if (from + 1 == p->nseg)
            return find_key(v, rest, rest_len);
        size_t head_len = p->seg_off[from + 1] - 1 - p->seg_off[from];
        const lr_value *head = NULL;
        bool longer = false;
        const lr_member *m = v->u.members, *end = m + v->len;
        for (; m < end; m++) {
            if (m->key_len > head_len) {
                if (key_is(m, rest, rest_len))
                    return &m->value;
                if (m->key_len < rest_len && rest[m->key_len] == '.' && key_is(m, rest, m->key_len))
                    longer = true;
            } else if (!head && key_is(m, rest, head_len)) {
                head = &m->value;
            }
        }
        if (longer)
            break;
        if (!head)
            return NULL;
        v = head;
    }
    if (from == p->nseg)
        return v;
    /* a key holding dots may stand for several segments: try every head */
    for (size_t k = from; k + 1 < p->nseg; k++) {
        const lr_value *head =
            find_key(v, p->text + p->seg_off[from], p->seg_off[k + 1] - 1 - p->seg_off[from]);
        if (head) {
            const lr_value *r = get_from(head, p, k + 1);
            if (r)
                return r;
        }
    }
    return NULL;
}

const lr_value *lr_path_get(const lr_value *root, const lr_path *p)
{
    if (!root)
        return NULL;
    return get_from(root, p, 0);
}
