/*
 * yaml_tree.c: one YAML document -> a tree of lr_cfg_node, built from
 * libyaml's event stream. Every node keeps the file, line and column where
 * it starts; scalar values get their ${...} substituted here, once, so the
 * rest of the agent sees final strings. Duplicate keys in a mapping are
 * errors naming both places; aliases are refused (a config that needs them
 * is clearer written out). Single-threaded (start-up only).
 */
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "config/config_internal.h"

typedef struct tree_builder {
    yaml_parser_t parser;
    lr_arena *arena;
    const char *file;
    const char *text;
    size_t len;
    lr_errors *errs;
    int nerr;
    bool fatal;  /* syntax error: the event stream is over */
    lr_buf path; /* dotted key path of the node being built, for messages */
} tree_builder;

lr_cfg_node *lr_cfg_node_new(lr_arena *a, lr_cfg_kind kind, const char *file, int line, int col)
{
    lr_cfg_node *n = lr_arena_alloc(a, sizeof *n);
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->file = file;
    n->line = line;
    n->col = col;
    return n;
}

/* ------------------------------------------------------------------------ */
/* Errors                                                                    */
/* ------------------------------------------------------------------------ */

/* Reader errors carry a byte offset, not a mark: count lines ourselves. */
static void offset_to_mark(const char *text, size_t len, size_t off, int *line, int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static void syntax_error(tree_builder *b)
{
    yaml_parser_t *p = &b->parser;
    lr_cfg_node where = {.file = b->file, .line = 1, .col = 1};
    const char *problem = p->problem ? p->problem : "unknown problem";
    b->fatal = true;
    b->nerr++;
    if (p->error == YAML_MEMORY_ERROR) {
        lr_errorf(b->errs, &where, "out of memory while reading YAML");
        return;
    }
    if (p->error == YAML_READER_ERROR) {
        offset_to_mark(b->text, b->len, p->problem_offset, &where.line, &where.col);
        lr_errorf(b->errs, &where, "YAML syntax error: %s", problem);
        return;
    }
    where.line = (int)p->problem_mark.line + 1;
    where.col = (int)p->problem_mark.column + 1;
    size_t at = p->problem_mark.index;
    if (at < b->len && b->text[at] == '\t') {
        /* libyaml's message for a tab does not say "tab". */
        lr_errorf(b->errs, &where, "YAML syntax error: %s (a tab: YAML indents with spaces only)", problem);
    } else if (p->context)
        lr_errorf(b->errs, &where, "YAML syntax error: %s (%s started at line %d, column %d)", problem,
                  p->context, (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    else
        lr_errorf(b->errs, &where, "YAML syntax error: %s", problem);
}

static lr_cfg_node mark_of(const tree_builder *b, const yaml_event_t *ev)
{
    lr_cfg_node where = {
        .file = b->file, .line = (int)ev->start_mark.line + 1, .col = (int)ev->start_mark.column + 1};
    return where;
}

static const char *cur_key(const tree_builder *b)
{
    return b->path.len ? b->path.data : NULL;
}

/* The dotted key path ("outputs.es.password", "routes[0].to") names the
 * value in messages. */
static size_t path_push_key(tree_builder *b, const char *key)
{
    size_t old = b->path.len;
    if (old)
        lr_buf_append_char(&b->path, '.');
    lr_buf_append_str(&b->path, key);
    lr_buf_terminate(&b->path);
    return old;
}

static size_t path_push_index(tree_builder *b, size_t i)
{
    size_t old = b->path.len;
    lr_buf_printf(&b->path, "[%zu]", i);
    lr_buf_terminate(&b->path);
    return old;
}

static void path_pop(tree_builder *b, size_t old)
{
    b->path.len = old;
    lr_buf_terminate(&b->path);
}

/* ------------------------------------------------------------------------ */
/* Building                                                                  */
/* ------------------------------------------------------------------------ */

static bool next_event(tree_builder *b, yaml_event_t *ev)
{
    if (!yaml_parser_parse(&b->parser, ev)) {
        syntax_error(b);
        return false;
    }
    return true;
}

static lr_cfg_node *build(tree_builder *b, yaml_event_t *ev, int depth);

static lr_cfg_node *new_at(tree_builder *b, lr_cfg_kind kind, const yaml_event_t *ev)
{
    return lr_cfg_node_new(b->arena, kind, b->file, (int)ev->start_mark.line + 1,
                           (int)ev->start_mark.column + 1);
}

/* Keys are names, not values: no substitution. */
static lr_cfg_node *build_key(tree_builder *b, const yaml_event_t *ev)
{
    lr_cfg_node *n = new_at(b, LR_CFG_SCALAR, ev);
    n->str = lr_arena_memdup(b->arena, ev->data.scalar.value, ev->data.scalar.length);
    n->str_len = ev->data.scalar.length;
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (memchr(n->str, '\0', n->str_len)) {
        lr_errorf(b->errs, n, "a key contains a NUL character");
        b->nerr++;
    }
    return n;
}

static lr_cfg_node *build_scalar(tree_builder *b, const yaml_event_t *ev)
{
    lr_cfg_node *n = new_at(b, LR_CFG_SCALAR, ev);
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    const char *in = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(in, '\0', len)) {
        lr_errorf_key(b->errs, n, cur_key(b), "the value contains a NUL character");
        b->nerr++;
    }
    lr_buf out;
    lr_buf_init(&out, 0);
    bool subst = false;
    b->nerr += lr_subst_expand(in, len, n, cur_key(b), &out, &subst, b->errs);
    n->str = lr_arena_memdup(b->arena, out.data ? out.data : "", out.len);
    n->str_len = out.len;
    n->substituted = subst;
    if (subst && out.data)
        memset(out.data, 0, out.cap); /* secrets: keep only the tree's copy */
    lr_buf_free(&out);
    return n;
}

static lr_cfg_node *build_seq(tree_builder *b, const yaml_event_t *start, int depth)
{
    lr_cfg_node *n = new_at(b, LR_CFG_SEQ, start);
    lr_buf items;
    lr_buf_init(&items, 0);
    for (size_t i = 0;; i++) {
        yaml_event_t ev;
        if (!next_event(b, &ev))
            goto fail;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        size_t old = path_push_index(b, i);
        lr_cfg_node *item = build(b, &ev, depth + 1);
        path_pop(b, old);
        if (!item)
            goto fail;
        lr_buf_append(&items, &item, sizeof item);
    }
    n->count = items.len / sizeof(lr_cfg_node *);
    n->items = lr_arena_alloc(b->arena, items.len);
    if (items.len)
        memcpy(n->items, items.data, items.len);
    lr_buf_free(&items);
    return n;
fail:
    lr_buf_free(&items);
    return NULL;
}

static const lr_cfg_pair *find_pair(const lr_cfg_pair *pairs, size_t n, const lr_cfg_node *key)
{
    for (size_t i = 0; i < n; i++) {
        if (pairs[i].key->str_len == key->str_len && !memcmp(pairs[i].key->str, key->str, key->str_len))
            return &pairs[i];
    }
    return NULL;
}

static lr_cfg_node *build_map(tree_builder *b, const yaml_event_t *start, int depth)
{
    lr_cfg_node *n = new_at(b, LR_CFG_MAP, start);
    lr_buf pairs;
    lr_buf_init(&pairs, 0);
    for (;;) {
        yaml_event_t ev;
        if (!next_event(b, &ev))
            goto fail;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            break;
        }
        lr_cfg_pair pair = {0};
        bool keep = true;
        if (ev.type == YAML_SCALAR_EVENT) {
            pair.key = build_key(b, &ev);
            yaml_event_delete(&ev);
            const lr_cfg_pair *first =
                find_pair((const lr_cfg_pair *)pairs.data, pairs.len / sizeof pair, pair.key);
            if (first) {
                size_t old = path_push_key(b, pair.key->str);
                lr_errorf_key(b->errs, pair.key, cur_key(b), "duplicate key (first at %s:%d:%d)",
                              first->key->file, first->key->line, first->key->col);
                path_pop(b, old);
                b->nerr++;
                keep = false;
            }
        } else {
            if (ev.type != YAML_ALIAS_EVENT) { /* build() reports aliases itself */
                lr_cfg_node where = mark_of(b, &ev);
                lr_errorf_key(b->errs, &where, cur_key(b), "a mapping key must be a name, found %s",
                              ev.type == YAML_MAPPING_START_EVENT ? "a mapping" : "a list");
                b->nerr++;
            }
            keep = false;
            if (!build(b, &ev, depth + 1))
                goto fail;
        }
        if (!next_event(b, &ev))
            goto fail;
        size_t old = pair.key ? path_push_key(b, pair.key->str) : b->path.len;
        pair.value = build(b, &ev, depth + 1);
        path_pop(b, old);
        if (!pair.value)
            goto fail;
        if (keep)
            lr_buf_append(&pairs, &pair, sizeof pair);
    }
    n->count = pairs.len / sizeof(lr_cfg_pair);
    n->pairs = lr_arena_alloc(b->arena, pairs.len);
    if (pairs.len)
        memcpy(n->pairs, pairs.data, pairs.len);
    lr_buf_free(&pairs);
    return n;
fail:
    lr_buf_free(&pairs);
    return NULL;
}

/* Builds the node `ev` starts and consumes ev. NULL after a fatal error. */
static lr_cfg_node *build(tree_builder *b, yaml_event_t *ev, int depth)
{
    lr_cfg_node *n = NULL;
    lr_cfg_node where = mark_of(b, ev);
    if (depth > LR_CFG_MAX_DEPTH) {
        lr_errorf_key(b->errs, &where, cur_key(b), "nesting deeper than %d levels", LR_CFG_MAX_DEPTH);
        b->nerr++;
        b->fatal = true;
        yaml_event_delete(ev);
        return NULL;
    }
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        n = build_scalar(b, ev);
        break;
    case YAML_SEQUENCE_START_EVENT:
        n = build_seq(b, ev, depth);
        break;
    case YAML_MAPPING_START_EVENT:
        n = build_map(b, ev, depth);
        break;
    case YAML_ALIAS_EVENT:
        lr_errorf_key(b->errs, &where, cur_key(b),
                      "YAML aliases (*%s) are not supported: write the value out",
                      (const char *)ev->data.alias.anchor);
        b->nerr++;
        /* A placeholder keeps the walk going so later errors are reported too. */
        n = new_at(b, LR_CFG_SCALAR, ev);
        n->str = lr_arena_memdup(b->arena, "", 0);
        break;
    default:
        lr_errorf(b->errs, &where, "unexpected YAML event %d", (int)ev->type);
        b->nerr++;
        b->fatal = true;
        break;
    }
    yaml_event_delete(ev);
    return n;
}

/* STREAM-START [DOCUMENT-START node DOCUMENT-END] STREAM-END; a second
 * document is refused rather than silently ignored. */
static void parse_stream(tree_builder *b, lr_cfg_node **root)
{
    yaml_event_t ev;
    if (!next_event(b, &ev))
        return;
    yaml_event_delete(&ev); /* STREAM-START */
    if (!next_event(b, &ev))
        return;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        return;
    }
    yaml_event_delete(&ev); /* DOCUMENT-START */
    if (!next_event(b, &ev))
        return;
    *root = build(b, &ev, 0);
    if (!*root || !next_event(b, &ev))
        return;
    yaml_event_delete(&ev); /* DOCUMENT-END */
    if (!next_event(b, &ev))
        return;
    if (ev.type == YAML_DOCUMENT_START_EVENT) {
        lr_cfg_node where = mark_of(b, &ev);
        lr_errorf(b->errs, &where,
                  "a second YAML document ('---') in one file is not supported: "
                  "use one file per document");
        b->nerr++;
    }
    yaml_event_delete(&ev);
}

int lr_yaml_parse(lr_arena *a, const char *file, const char *text, size_t len, lr_cfg_node **root,
                  lr_errors *errs)
{
    tree_builder b = {.arena = a, .file = file, .text = text, .len = len, .errs = errs};
    *root = NULL;
    lr_buf_init(&b.path, 0);
    if (!yaml_parser_initialize(&b.parser)) {
        lr_errorf(errs, NULL, "%s: out of memory", file);
        return 1;
    }
    yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);
    parse_stream(&b, root);
    yaml_parser_delete(&b.parser);
    lr_buf_free(&b.path);
    /* After a syntax error the tree is incomplete; after other errors it is
     * whole, so the caller can still check its shape and report more. */
    if (b.fatal)
        *root = NULL;
    return b.nerr;
}
