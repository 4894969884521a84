/*
 * transform.c: see transform.h. The walkers below rebuild only what a
 * change passes through: an object or array is copied (into the record's
 * arena) when one of its members changes, everything else is shared.
 *
 * Threading: build/free/print at start-up; apply on the pipeline thread.
 */
#include "route/transform.h"

#include <stdlib.h>
#include <string.h>

#include "record/json_encode.h"
#include "route/bytes.h"
#include "route/path.h"
#include "route/view_json.h"
#include "util/buf.h"

typedef enum op_kind {
    OP_RENAME,
    OP_REMOVE,
    OP_SET,
} op_kind;

typedef struct t_op {
    op_kind kind;
    lr_path path;     /* rename: the old path */
    lr_path to;       /* rename: the new path */
    bool same_parent; /* rename within one object: the key changes in place, order kept */
    lr_value value;   /* set: the constant (a string is malloc'd) */
    bool secret;      /* set: the value came from ${env:..}/${file:..} */
} t_op;

struct lr_transforms {
    t_op *ops;
    size_t n;
};

/* ------------------------------------------------------------------------ */
/* Build                                                                     */
/* ------------------------------------------------------------------------ */

static bool is_digits(const char *s, size_t n)
{
    if (!n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

/* YAML 1.2 core-schema float: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool yaml_float(const char *s, size_t n)
{
    size_t i = 0;
    if (i < n && (s[i] == '-' || s[i] == '+'))
        i++;
    size_t int_start = i;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    size_t int_digits = i - int_start;
    size_t frac_digits = 0;
    if (i < n && s[i] == '.') {
        i++;
        size_t fs = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        frac_digits = i - fs;
    }
    if (!int_digits && !frac_digits)
        return false;
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            i++;
        size_t es = i;
        while (i < n && s[i] >= '0' && s[i] <= '9')
            i++;
        if (i == es)
            return false;
    }
    return i == n;
}

static bool word_in(const char *s, size_t n, const char *const *words)
{
    for (size_t i = 0; words[i]; i++)
        if (strlen(words[i]) == n && memcmp(words[i], s, n) == 0)
            return true;
    return false;
}

lr_value lr_transform_scalar_value(const char *s, size_t n, bool plain)
{
    static const char *const nulls[] = {"", "~", "null", "Null", "NULL", NULL};
    static const char *const trues[] = {"true", "True", "TRUE", NULL};
    static const char *const falses[] = {"false", "False", "FALSE", NULL};
    if (plain) {
        if (word_in(s, n, nulls))
            return (lr_value){.kind = LR_VAL_NULL};
        if (word_in(s, n, trues))
            return lr_value_bool(true);
        if (word_in(s, n, falses))
            return lr_value_bool(false);
        size_t sign = n && (s[0] == '-' || s[0] == '+');
        if (is_digits(s + sign, n - sign)) {
            uint64_t u = 0;
            bool fits = true;
            for (size_t i = sign; i < n && fits; i++) {
                unsigned d = (unsigned)(s[i] - '0');
                if (u > (UINT64_MAX - d) / 10)
                    fits = false;
                else
                    u = u * 10 + d;
            }
            bool neg = sign && s[0] == '-';
            if (fits && (neg ? u <= (uint64_t)INT64_MAX + 1 : u <= (uint64_t)INT64_MAX))
                return lr_value_int(neg ? (int64_t)(0 - u) : (int64_t)u);
        }
        if (yaml_float(s, n) && n < 64) {
            char tmp[64];
            memcpy(tmp, s, n);
            tmp[n] = '\0';
            return lr_value_float(strtod(tmp, NULL));
        }
    }
    return lr_value_string(s, n);
}

static void op_free(t_op *op)
{
    lr_path_free(&op->path);
    lr_path_free(&op->to);
    if (op->value.kind == LR_VAL_STRING)
        free((char *)op->value.u.s);
}

void lr_transforms_free(lr_transforms *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        op_free(&t->ops[i]);
    free(t->ops);
    free(t);
}

static int parse_path_node(const lr_cfg_node *node, const char *key, const char *route, lr_path *out,
                           lr_errors *errs)
{
    if (!node || node->kind != LR_CFG_SCALAR || !node->str_len) {
        lr_errorf(errs, node,
                  "key '%s': route '%s': expected a field path such as transaction.request.headers.Cookie",
                  key, route);
        return 1;
    }
    char msg[160];
    if (lr_path_parse_all(node->str, node->str_len, out, msg, sizeof msg) < 0) {
        lr_errorf(errs, node, "key '%s': route '%s': invalid field path '%s': %s", key, route, node->str,
                  msg);
        return 1;
    }
    return 0;
}

static t_op *add_op(lr_transforms *t, size_t *cap)
{
    if (t->n == *cap) {
        *cap = *cap ? *cap * 2 : 4;
        t_op *n = realloc(t->ops, *cap * sizeof *n);
        if (!n) {
            fputs("logrelay: out of memory\n", stderr);
            abort();
        }
        t->ops = n;
    }
    t_op *op = &t->ops[t->n++];
    memset(op, 0, sizeof *op);
    return op;
}

/* Same object: equal segment count and identical text up to the last segment. */
static bool same_parent(const lr_path *a, const lr_path *b)
{
    if (a->nseg != b->nseg)
        return false;
    size_t pa = a->seg_off[a->nseg - 1];
    return pa == b->seg_off[b->nseg - 1] && memcmp(a->text, b->text, pa) == 0 && !a->dotted_seg &&
           !b->dotted_seg;
}

static bool paths_equal(const lr_path *a, const lr_path *b)
{
    return a->nseg == b->nseg && a->len == b->len && memcmp(a->text, b->text, a->len) == 0;
}

int lr_transforms_build(const lr_cfg_node *set, const lr_cfg_node *remove, const lr_cfg_node *rename,
                        const char *route, lr_transforms **out, lr_errors *errs)
{
    int nerr = 0;
    size_t cap = 0;
    lr_transforms *t = calloc(1, sizeof *t);
    if (!t) {
        fputs("logrelay: out of memory\n", stderr);
        abort();
    }
    *out = NULL;

    if (rename && rename->kind != LR_CFG_MAP) {
        lr_errorf(errs, rename, "key 'rename': route '%s': expected a mapping of old path: new path", route);
        nerr++;
    } else if (rename) {
        for (size_t i = 0; i < rename->count; i++) {
            t_op *op = add_op(t, &cap);
            op->kind = OP_RENAME;
            const lr_cfg_pair *pr = &rename->pairs[i];
            if (parse_path_node(pr->key, "rename", route, &op->path, errs) ||
                parse_path_node(pr->value, "rename", route, &op->to, errs)) {
                nerr++;
                continue;
            }
            if (paths_equal(&op->path, &op->to)) {
                lr_errorf(errs, pr->value, "key 'rename': route '%s': '%s' is renamed to itself", route,
                          pr->key->str);
                nerr++;
                continue;
            }
            op->same_parent = same_parent(&op->path, &op->to);
        }
    }

    if (remove && remove->kind != LR_CFG_SCALAR && remove->kind != LR_CFG_SEQ) {
        lr_errorf(errs, remove, "key 'remove': route '%s': expected a field path or a list of them", route);
        nerr++;
    } else if (remove) {
        size_t n = remove->kind == LR_CFG_SEQ ? remove->count : 1;
        for (size_t i = 0; i < n; i++) {
            const lr_cfg_node *item = remove->kind == LR_CFG_SEQ ? remove->items[i] : remove;
            t_op *op = add_op(t, &cap);
            op->kind = OP_REMOVE;
            nerr += parse_path_node(item, "remove", route, &op->path, errs);
        }
    }

    if (set && set->kind != LR_CFG_MAP) {
        lr_errorf(errs, set, "key 'set': route '%s': expected a mapping of field path: value", route);
        nerr++;
    } else if (set) {
        for (size_t i = 0; i < set->count; i++) {
            const lr_cfg_pair *pr = &set->pairs[i];
            t_op *op = add_op(t, &cap);
            op->kind = OP_SET;
            if (parse_path_node(pr->key, "set", route, &op->path, errs)) {
                nerr++;
                continue;
            }
            const lr_cfg_node *v = pr->value;
            if (!v || v->kind != LR_CFG_SCALAR) {
                lr_errorf(errs, v ? v : pr->key,
                          "key 'set': route '%s': the value of '%s' must be a constant (a string, number, "
                          "true/false or null)",
                          route, pr->key->str);
                nerr++;
                continue;
            }
            /* The loader has already substituted ${env:..}/${file:..} in
             * every value (once: substituting again would undo `$${`). */
            op->secret = v->substituted;
            op->value = lr_transform_scalar_value(v->str, v->str_len, v->plain);
            if (op->value.kind == LR_VAL_STRING) {
                char *s = malloc(v->str_len + 1);
                if (!s) {
                    fputs("logrelay: out of memory\n", stderr);
                    abort();
                }
                memcpy(s, v->str, v->str_len);
                s[v->str_len] = '\0';
                op->value.u.s = s;
            }
        }
    }

    if (nerr || t->n == 0) {
        lr_transforms_free(t);
        return nerr;
    }
    *out = t;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Apply                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct walk {
    lr_record *rec;
    const t_op *op;
    lr_value value; /* set / moved value, strings already in the arena */
    size_t found;   /* set: leaves replaced */
} walk;

typedef bool (*walk_fn)(walk *w, const lr_value *v, size_t from, lr_value *out);

static lr_member *copy_members(lr_record *rec, const lr_value *obj, size_t extra)
{
    lr_member *m = lr_record_alloc(rec, (obj->len + extra) * sizeof *m + 1);
    if (obj->len)
        memcpy(m, obj->u.members, obj->len * sizeof *m);
    return m;
}

/* Applies fn to every element; copies the array only if one changed. */
static bool walk_array(walk *w, const lr_value *v, size_t from, walk_fn fn, lr_value *out)
{
    lr_value *items = NULL;
    for (uint32_t i = 0; i < v->len; i++) {
        lr_value nv;
        if (!fn(w, &v->u.items[i], from, &nv))
            continue;
        if (!items) {
            items = lr_record_alloc(w->rec, v->len * sizeof *items);
            memcpy(items, v->u.items, v->len * sizeof *items);
        }
        items[i] = nv;
    }
    if (!items)
        return false;
    *out = *v;
    out->u.items = items;
    return true;
}

/* Index of the first member whose key stands for the start of the
 * remaining path, or obj->len when none does (then nothing changes here). */
static uint32_t first_touched(const lr_path *p, const lr_value *obj, size_t from)
{
    for (uint32_t i = 0; i < obj->len; i++)
        if (lr_path_key_span(p, from, obj->u.members[i].key, obj->u.members[i].key_len))
            return i;
    return obj->len;
}

static lr_value object_value(lr_member *m, size_t n)
{
    return (lr_value){.kind = LR_VAL_OBJECT, .len = (uint32_t)n, .u.members = m};
}

/* remove: drops every member the path ends at. */
static bool remove_walk(walk *w, const lr_value *v, size_t from, lr_value *out)
{
    if (v->kind == LR_VAL_ARRAY)
        return walk_array(w, v, from, remove_walk, out);
    const lr_path *p = &w->op->path;
    if (v->kind != LR_VAL_OBJECT)
        return false;
    uint32_t first = first_touched(p, v, from);
    if (first == v->len)
        return false;
    lr_member *nm = copy_members(w->rec, v, 0);
    size_t k = first;
    bool changed = false;
    for (uint32_t i = first; i < v->len; i++) {
        const lr_member *m = &v->u.members[i];
        size_t s = lr_path_key_span(p, from, m->key, m->key_len);
        if (s && from + s == p->nseg) {
            changed = true;
            continue;
        }
        nm[k] = *m;
        if (s && remove_walk(w, &m->value, from + s, &nm[k].value))
            changed = true;
        k++;
    }
    if (!changed)
        return false;
    *out = object_value(nm, k);
    return true;
}

/* rename within one object: the key changes where it stands; a member that
 * already has the new key is replaced. */
static bool rename_walk(walk *w, const lr_value *v, size_t from, lr_value *out)
{
    if (v->kind == LR_VAL_ARRAY)
        return walk_array(w, v, from, rename_walk, out);
    const lr_path *p = &w->op->path;
    if (v->kind != LR_VAL_OBJECT || first_touched(p, v, from) == v->len)
        return false;
    /* the new key, spelled from the same segment the old key started at */
    const lr_path *to = &w->op->to;
    const char *nk = to->text + to->seg_off[from];
    size_t nk_len = to->len - to->seg_off[from];
    bool leaf_here = false;
    for (uint32_t i = 0; i < v->len && !leaf_here; i++) {
        size_t s = lr_path_key_span(p, from, v->u.members[i].key, v->u.members[i].key_len);
        leaf_here = s && from + s == p->nseg;
    }
    const char *arena_key = leaf_here ? lr_record_str(w->rec, nk, nk_len) : NULL;
    lr_member *nm = copy_members(w->rec, v, 0);
    size_t k = 0;
    bool changed = false;
    for (uint32_t i = 0; i < v->len; i++) {
        const lr_member *m = &v->u.members[i];
        size_t s = lr_path_key_span(p, from, m->key, m->key_len);
        nm[k] = *m;
        if (s && from + s == p->nseg) {
            nm[k].key = arena_key;
            nm[k].key_len = (uint32_t)nk_len;
            changed = true;
        } else if (s) {
            if (rename_walk(w, &m->value, from + s, &nm[k].value))
                changed = true;
        } else if (leaf_here && m->key_len == nk_len && lr_bytes_eq(m->key, nk, nk_len)) {
            changed = true; /* overwritten by the renamed member */
            continue;
        }
        k++;
    }
    if (!changed)
        return false;
    *out = object_value(nm, k);
    return true;
}

/* set, first pass: replace where the path already exists (first duplicate
 * keeps its place, the others go). */
static bool replace_walk(walk *w, const lr_value *v, size_t from, lr_value *out)
{
    if (v->kind == LR_VAL_ARRAY)
        return walk_array(w, v, from, replace_walk, out);
    const lr_path *p = &w->op->path;
    if (v->kind != LR_VAL_OBJECT)
        return false;
    uint32_t first = first_touched(p, v, from);
    if (first == v->len)
        return false;
    lr_member *nm = copy_members(w->rec, v, 0);
    size_t k = first;
    bool changed = false, replaced = false;
    for (uint32_t i = first; i < v->len; i++) {
        const lr_member *m = &v->u.members[i];
        size_t s = lr_path_key_span(p, from, m->key, m->key_len);
        if (s && from + s == p->nseg) {
            changed = true;
            if (replaced)
                continue;
            replaced = true;
            w->found++;
            nm[k] = *m;
            nm[k].value = w->value;
            k++;
            continue;
        }
        nm[k] = *m;
        if (s && replace_walk(w, &m->value, from + s, &nm[k].value))
            changed = true;
        k++;
    }
    if (!changed)
        return false;
    *out = object_value(nm, k);
    return true;
}

/* {seg[from]: {seg[from+1]: ... value}} */
static lr_value nested_chain(walk *w, size_t from)
{
    const lr_path *p = &w->op->path;
    lr_value v = w->value;
    for (size_t i = p->nseg; i-- > from + 1;) {
        size_t n;
        const char *seg = lr_path_seg(p, i, &n);
        lr_member *m = lr_record_members(w->rec, 1);
        m->key = lr_record_str(w->rec, seg, n);
        m->key_len = (uint32_t)n;
        m->value = v;
        v = object_value(m, 1);
    }
    return v;
}

/* set, second pass (the path exists nowhere): create it, segment by segment. */
static bool create_walk(walk *w, const lr_value *v, size_t from, lr_value *out)
{
    if (v->kind == LR_VAL_ARRAY)
        return walk_array(w, v, from, create_walk, out);
    if (v->kind != LR_VAL_OBJECT)
        return false; /* a scalar in the way: leave the record alone */
    size_t n;
    const char *seg = lr_path_seg(&w->op->path, from, &n);
    for (uint32_t i = 0; i < v->len; i++) {
        const lr_member *m = &v->u.members[i];
        if (m->key_len != n || !lr_bytes_eq(m->key, seg, n))
            continue;
        lr_value nv;
        if (from + 1 == w->op->path.nseg || !create_walk(w, &m->value, from + 1, &nv))
            return false;
        lr_member *nm = copy_members(w->rec, v, 0);
        nm[i].value = nv;
        *out = object_value(nm, v->len);
        return true;
    }
    lr_member *nm = copy_members(w->rec, v, 1);
    nm[v->len].key = lr_record_str(w->rec, seg, n);
    nm[v->len].key_len = (uint32_t)n;
    nm[v->len].value = nested_chain(w, from);
    *out = object_value(nm, v->len + 1);
    return true;
}

static bool set_value(walk *w, const lr_value *root, lr_value *out)
{
    w->found = 0;
    lr_value mid;
    bool changed = replace_walk(w, root, 0, &mid);
    if (w->found) {
        *out = mid;
        return changed;
    }
    return create_walk(w, root, 0, out);
}

/* A copy of a set: constant whose string lives in the record's arena. */
static lr_value arena_value(lr_record *rec, const lr_value *v)
{
    if (v->kind != LR_VAL_STRING)
        return *v;
    return lr_value_string(lr_record_str(rec, v->u.s, v->len), v->len);
}

static bool apply_op(lr_record *rec, const t_op *op, const lr_value *root, lr_value *out)
{
    walk w = {.rec = rec, .op = op};
    switch (op->kind) {
    case OP_REMOVE:
        return remove_walk(&w, root, 0, out);
    case OP_SET:
        w.value = arena_value(rec, &op->value);
        return set_value(&w, root, out);
    case OP_RENAME: {
        if (op->same_parent)
            return rename_walk(&w, root, 0, out);
        /* a move: take the value, drop the old place, set the new one */
        const lr_value *found = lr_path_get(root, &op->path);
        if (!found)
            return false;
        lr_value moved = *found;
        lr_value mid = *root;
        (void)remove_walk(&w, root, 0, &mid);
        t_op set_op = {.kind = OP_SET, .path = op->to};
        walk ws = {.rec = rec, .op = &set_op, .value = moved};
        if (!set_value(&ws, &mid, out))
            *out = mid;
        return true;
    }
    }
    return false;
}

const lr_event *lr_transforms_apply(const lr_transforms *t, lr_record *rec)
{
    lr_value root = rec->root;
    bool changed = false;
    for (size_t i = 0; i < t->n; i++) {
        lr_value next;
        if (apply_op(rec, &t->ops[i], &root, &next)) {
            root = next;
            changed = true;
        }
    }
    if (!changed) {
        lr_record_encode_json(rec);
        return &rec->ev;
    }
    lr_value *fields = lr_record_alloc(rec, sizeof *fields);
    *fields = root;
    lr_event *ev = lr_record_alloc(rec, sizeof *ev);
    *ev = rec->ev;
    ev->fields = fields;
    /* The record's own JSON holds the encoding of everything the view
     * shares with it (almost everything): build the view's JSON from it.
     * Every output of a normal table needs the record's JSON anyway. */
    lr_record_encode_json(rec);
    static _Thread_local lr_buf scratch;
    if (!scratch.max)
        lr_buf_init(&scratch, 0);
    lr_buf_reset(&scratch);
    bool ok = lr_view_json_encode(&scratch, fields, &rec->root, rec->ev.json, rec->ev.json_len);
    if (!ok) {
        lr_buf_reset(&scratch);
        ok = lr_json_encode_value(&scratch, fields);
    }
    if (ok) {
        ev->json = lr_record_str(rec, scratch.data, scratch.len);
        ev->json_len = scratch.len;
    } else {
        ev->json = "{\"parse_error\":\"record too large to encode\"}";
        ev->json_len = strlen(ev->json);
    }
    return ev;
}

/* ------------------------------------------------------------------------ */
/* Print                                                                     */
/* ------------------------------------------------------------------------ */

static void print_path(FILE *out, const lr_path *p)
{
    for (size_t i = 0; i < p->nseg; i++) {
        size_t n;
        const char *s = lr_path_seg(p, i, &n);
        bool bare = n > 0 && !memchr(s, '.', n);
        for (size_t k = 0; k < n && bare; k++) {
            unsigned char c = (unsigned char)s[k];
            bare = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '@' ||
                   (k > 0 && ((c >= '0' && c <= '9') || c == '-'));
        }
        if (bare)
            fprintf(out, "%s%.*s", i ? "." : "", (int)n, s);
        else
            fprintf(out, "[\"%.*s\"]", (int)n, s);
    }
}

void lr_transforms_print(const lr_transforms *t, FILE *out, const char *indent)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++) {
        const t_op *op = &t->ops[i];
        switch (op->kind) {
        case OP_RENAME:
            fprintf(out, "%srename: ", indent);
            print_path(out, &op->path);
            fputs(" -> ", out);
            print_path(out, &op->to);
            fputc('\n', out);
            break;
        case OP_REMOVE:
            fprintf(out, "%sremove: ", indent);
            print_path(out, &op->path);
            fputc('\n', out);
            break;
        case OP_SET:
            fprintf(out, "%sset:    ", indent);
            print_path(out, &op->path);
            fputs(" = ", out);
            if (op->secret) {
                fputs("(hidden: from ${...})", out);
            } else {
                lr_buf b;
                lr_buf_init(&b, 0);
                lr_json_encode_value(&b, &op->value);
                fwrite(b.data ? b.data : "", 1, b.len, out);
                lr_buf_free(&b);
            }
            fputc('\n', out);
            break;
        }
    }
}
