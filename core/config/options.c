/*
 * options.c: the option-table engine. One lr_option table validates a YAML
 * mapping and fills a config struct: user values through the typed setters,
 * defaults through the same setters, bounds, required options, and unknown
 * keys reported with a "did you mean" suggestion. Keys may be dotted
 * ("auth.basic.user") and the YAML may spell them nested, flat
 * ("auth.basic.user: x") or half and half.
 *
 * Secrets (LR_OPT_SECRET, or any value that came from ${...}) never appear
 * in a message. Memory: strings and lists written into the struct are
 * malloc'd; lr_options_free_struct frees them. Single-threaded.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/options_internal.h"

#define FIELD(conf, opt, T) ((T *)(void *)((char *)(conf) + (opt)->offset))

/* Longest user text quoted back in a message. */
#define ECHO_MAX 80

void lr_options_free_struct(const lr_option *table, void *conf)
{
    if (!table || !conf)
        return;
    for (const lr_option *opt = table; opt->key; opt++) {
        lr_optval v;
        memset(&v, 0, sizeof v);
        switch (opt->type) {
        case LR_OPT_STRING:
            v.s = *FIELD(conf, opt, char *);
            break;
        case LR_OPT_STRLIST:
            v.list = *FIELD(conf, opt, lr_strlist);
            break;
        case LR_OPT_MAP:
            v.map = *FIELD(conf, opt, lr_kvlist);
            break;
        default:
            continue;
        }
        lr_optval_free(opt, &v);
        lr_optval_zero_field(opt, conf);
    }
}

/* ------------------------------------------------------------------------ */
/* Table checks                                                              */
/* ------------------------------------------------------------------------ */

static bool valid_key(const char *k)
{
    if (!*k || *k == '.' || k[strlen(k) - 1] == '.')
        return false;
    return !strstr(k, "..");
}

/* "a" is a dotted parent of "a.b". */
static bool is_parent(const char *parent, const char *key)
{
    size_t n = strlen(parent);
    return !strncmp(parent, key, n) && key[n] == '.';
}

int lr_options_check_table(const lr_option *table, lr_errors *errs)
{
    int nerr = 0;
    if (!table) {
        lr_errorf(errs, NULL, "option table error: the table is NULL");
        return 1;
    }
    for (const lr_option *opt = table; opt->key; opt++) {
        const char *k = opt->key;
        if (!valid_key(k)) {
            lr_errorf(errs, NULL, "option table error: invalid key '%s'", k);
            nerr++;
        }
        if (!lr_opt_type_name(opt->type)) {
            lr_errorf(errs, NULL, "option table error: key '%s': unknown type %d", k, (int)opt->type);
            nerr++;
            continue;
        }
        for (const lr_option *o = table; o < opt; o++) {
            if (!strcmp(o->key, k)) {
                lr_errorf(errs, NULL, "option table error: key '%s' is listed twice", k);
                nerr++;
            } else if (is_parent(o->key, k) || is_parent(k, o->key)) {
                lr_errorf(errs, NULL,
                          "option table error: key '%s' and key '%s' overlap (one is inside the other)",
                          o->key, k);
                nerr++;
            }
        }
        if (opt->type == LR_OPT_ENUM && (!opt->enum_values || !opt->enum_values[0])) {
            lr_errorf(errs, NULL, "option table error: key '%s': enum without enum_values", k);
            nerr++;
            continue;
        }
        if ((opt->flags & LR_OPT_REQUIRED) && opt->default_value) {
            lr_errorf(errs, NULL, "option table error: key '%s': a required option cannot have a default", k);
            nerr++;
        }
        if (!opt->default_value)
            continue;
        lr_optval v;
        char err[256];
        if (lr_optval_parse(opt, opt->default_value, true, &v, err, sizeof err) < 0) {
            lr_errorf(errs, NULL, "option table error: key '%s': invalid default '%s': %s", k,
                      opt->default_value, err);
            nerr++;
            continue;
        }
        if (!lr_optval_in_bounds(opt, &v)) {
            char range[80];
            lr_opt_bounds_text(opt, range, sizeof range);
            lr_errorf(errs, NULL, "option table error: key '%s': default '%s' is out of range (allowed %s)",
                      k, opt->default_value, range);
            nerr++;
        }
        lr_optval_free(opt, &v);
    }
    return nerr;
}

/* ------------------------------------------------------------------------ */
/* Apply                                                                     */
/* ------------------------------------------------------------------------ */

typedef struct applier {
    const lr_option *table;
    size_t n;
    void *conf;
    lr_apply_opts o;
    lr_errors *errs;
    int nerr;
    const lr_cfg_node **set_at; /* per option: the key that set it */
} applier;

/* prefix + key, for messages ("outputs.es." + "auth.user"). */
static char *display_name(const applier *ap, const char *key)
{
    lr_buf b;
    lr_buf_init(&b, 0);
    lr_buf_printf(&b, "%s%s", ap->o.prefix ? ap->o.prefix : "", key);
    return lr_buf_steal(&b, NULL);
}

__attribute__((format(printf, 4, 5))) static void fail(applier *ap, const lr_cfg_node *at, const char *key,
                                                       const char *fmt, ...)
{
    char msg[1024];
    va_list va;
    va_start(va, fmt);
    vsnprintf(msg, sizeof msg, fmt, va);
    va_end(va);
    char *name = display_name(ap, key);
    lr_errorf_key(ap->errs, at, name, "%s", msg);
    free(name);
    ap->nerr++;
}

static int find_option(const applier *ap, const char *key)
{
    for (size_t i = 0; i < ap->n; i++) {
        if (!strcmp(ap->table[i].key, key))
            return (int)i;
    }
    return -1;
}

static bool ignored(const applier *ap, const char *key)
{
    for (const char *const *ig = ap->o.ignore; ig && *ig; ig++) {
        if (!strcmp(*ig, key) || is_parent(*ig, key))
            return true;
    }
    return false;
}

/* Does the table (or the ignore list) have keys below `key`? Then `key` is
 * a nested mapping the user may spell out. */
static bool has_children(const applier *ap, const char *key)
{
    for (size_t i = 0; i < ap->n; i++) {
        if (is_parent(key, ap->table[i].key))
            return true;
    }
    for (const char *const *ig = ap->o.ignore; ig && *ig; ig++) {
        if (is_parent(key, *ig))
            return true;
    }
    return false;
}

/* "'abc'" for messages, shortened; a secret is never shown. */
static void quote_value(const char *s, char *out, size_t outlen)
{
    size_t n = strlen(s);
    if (n > ECHO_MAX)
        snprintf(out, outlen, "'%.*s...'", ECHO_MAX, s);
    else
        snprintf(out, outlen, "'%s'", s);
}

static void enum_list(const lr_option *opt, char *out, size_t outlen)
{
    size_t len = 0;
    out[0] = '\0';
    for (size_t i = 0; opt->enum_values && opt->enum_values[i] && len < outlen; i++) {
        int w = snprintf(out + len, outlen - len, "%s%s", i ? ", " : "", opt->enum_values[i]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

static void expected_phrase(const lr_option *opt, char *out, size_t outlen)
{
    if (opt->type == LR_OPT_ENUM) {
        char list[400];
        enum_list(opt, list, sizeof list);
        snprintf(out, outlen, "one of: %s", list);
    } else {
        snprintf(out, outlen, "%s", lr_opt_type_phrase(opt->type));
    }
}

static void set_scalar(applier *ap, const lr_option *opt, const char *key, const lr_cfg_node *val,
                       bool secret)
{
    char expected[512];
    expected_phrase(opt, expected, sizeof expected);
    if (val->kind != LR_CFG_SCALAR) {
        fail(ap, val, key, "expected %s, found %s", expected, lr_cfg_kind_phrase(val));
        return;
    }
    lr_optval v;
    char err[512];
    char shown[ECHO_MAX + 8];
    if (lr_optval_parse(opt, val->str, false, &v, err, sizeof err) < 0) {
        if (secret) {
            fail(ap, val, key, "invalid value (not shown: secret): expected %s", expected);
        } else {
            quote_value(val->str, shown, sizeof shown);
            fail(ap, val, key, "invalid value %s: %s", shown, err);
        }
        return;
    }
    if (!lr_optval_in_bounds(opt, &v)) {
        char range[80];
        lr_opt_bounds_text(opt, range, sizeof range);
        if (secret) {
            fail(ap, val, key, "value out of range (not shown: secret; allowed %s)", range);
        } else {
            quote_value(val->str, shown, sizeof shown);
            fail(ap, val, key, "%s is out of range (allowed %s)", shown, range);
        }
        lr_optval_free(opt, &v);
        return;
    }
    lr_optval_store(opt, ap->conf, &v);
}

/* A list from a YAML sequence of scalars, or one scalar. */
static void set_list(applier *ap, const lr_option *opt, const char *key, const lr_cfg_node *val)
{
    lr_optval v;
    memset(&v, 0, sizeof v);
    if (val->kind == LR_CFG_SCALAR) {
        lr_strlist_push(&v.list, val->str, val->str_len);
    } else if (val->kind == LR_CFG_SEQ) {
        for (size_t i = 0; i < val->count; i++) {
            const lr_cfg_node *it = val->items[i];
            if (it->kind != LR_CFG_SCALAR || lr_cfg_is_null(it))
                fail(ap, it, key, "list items must be strings, found %s", lr_cfg_kind_phrase(it));
            else
                lr_strlist_push(&v.list, it->str, it->str_len);
        }
    } else {
        fail(ap, val, key, "expected a list of strings, found %s", lr_cfg_kind_phrase(val));
        return;
    }
    lr_optval_store(opt, ap->conf, &v);
}

/* A mapping of string to string. */
static void set_map(applier *ap, const lr_option *opt, const char *key, const lr_cfg_node *val)
{
    if (val->kind != LR_CFG_MAP) {
        fail(ap, val, key, "expected a mapping of strings, found %s", lr_cfg_kind_phrase(val));
        return;
    }
    lr_optval v;
    memset(&v, 0, sizeof v);
    for (size_t i = 0; i < val->count; i++) {
        const lr_cfg_pair *p = &val->pairs[i];
        if (p->value->kind != LR_CFG_SCALAR || lr_cfg_is_null(p->value)) {
            lr_buf sub;
            lr_buf_init(&sub, 0);
            lr_buf_printf(&sub, "%s.%s", key, p->key->str);
            lr_buf_terminate(&sub);
            fail(ap, p->value, sub.data, "expected a string, found %s", lr_cfg_kind_phrase(p->value));
            lr_buf_free(&sub);
            continue;
        }
        lr_kvlist_push(&v.map, p->key->str, p->key->str_len, p->value->str, p->value->str_len);
    }
    lr_optval_store(opt, ap->conf, &v);
}

static void set_option(applier *ap, size_t idx, const lr_cfg_node *keynode, const lr_cfg_node *val,
                       const char *key)
{
    const lr_option *opt = &ap->table[idx];
    const lr_cfg_node *first = ap->set_at[idx];
    if (first) {
        fail(ap, keynode, key, "set twice (first at %s:%d:%d)", first->file, first->line, first->col);
        return;
    }
    ap->set_at[idx] = keynode;
    if (lr_cfg_is_null(val)) {
        char expected[512];
        expected_phrase(opt, expected, sizeof expected);
        fail(ap, val, key, "missing value (expected %s)", expected);
        return;
    }
    bool secret = (opt->flags & LR_OPT_SECRET) || val->substituted;
    switch (opt->type) {
    case LR_OPT_STRLIST:
        set_list(ap, opt, key, val);
        break;
    case LR_OPT_MAP:
        set_map(ap, opt, key, val);
        break;
    default:
        set_scalar(ap, opt, key, val, secret);
        break;
    }
}

/* The option the user most likely meant: a close spelling, else an option
 * with the same last word ("auth.user" -> "auth.basic.user"). */
static const char *suggestion(const applier *ap, const char *key)
{
    const char **keys = calloc(ap->n ? ap->n : 1, sizeof *keys);
    if (!keys)
        return NULL;
    for (size_t i = 0; i < ap->n; i++)
        keys[i] = ap->table[i].key;
    const char *hint = lr_suggest(key, keys, ap->n);
    free(keys);
    if (hint)
        return hint;
    const char *last = strrchr(key, '.');
    last = last ? last + 1 : key;
    for (size_t i = 0; i < ap->n; i++) {
        const char *k = ap->table[i].key;
        size_t kl = strlen(k), ll = strlen(last);
        if (kl > ll && k[kl - ll - 1] == '.' && !strcmp(k + kl - ll, last))
            return k;
    }
    return NULL;
}

static void unknown(applier *ap, const lr_cfg_node *keynode, const char *key)
{
    const char *hint = suggestion(ap, key);
    if (hint)
        fail(ap, keynode, key, "unknown option (did you mean '%s'?)", hint);
    else if (ap->o.unknown_hint)
        fail(ap, keynode, key, "unknown option (%s)", ap->o.unknown_hint);
    else
        fail(ap, keynode, key, "unknown option");
}

/* "auth.basic.user, auth.basic.password": what may go below `key`. */
static void children_text(const applier *ap, const char *key, char *out, size_t outlen)
{
    size_t len = 0, shown = 0;
    out[0] = '\0';
    for (size_t i = 0; i < ap->n && len < outlen; i++) {
        if (!is_parent(key, ap->table[i].key))
            continue;
        int w = shown < 6 ? snprintf(out + len, outlen - len, "%s%s", shown ? ", " : "", ap->table[i].key)
                          : snprintf(out + len, outlen - len, ", ...");
        if (w < 0)
            break;
        len += (size_t)w;
        if (++shown > 6)
            break;
    }
}

static void walk(applier *ap, const lr_cfg_node *map, const char *prefix)
{
    for (size_t i = 0; i < map->count; i++) {
        const lr_cfg_pair *p = &map->pairs[i];
        lr_buf full;
        lr_buf_init(&full, 0);
        lr_buf_printf(&full, "%s%s", prefix, p->key->str);
        lr_buf_terminate(&full);
        const char *key = full.data;
        int idx = find_option(ap, key);
        if (ignored(ap, key)) {
            /* handled by the caller */
        } else if (idx >= 0) {
            set_option(ap, (size_t)idx, p->key, p->value, key);
        } else if (has_children(ap, key)) {
            if (p->value->kind == LR_CFG_MAP) {
                lr_buf_append_char(&full, '.');
                lr_buf_terminate(&full);
                walk(ap, p->value, full.data);
            } else {
                char kids[512];
                children_text(ap, key, kids, sizeof kids);
                fail(ap, p->value, key, "expected a mapping (with %s), found %s", kids,
                     lr_cfg_kind_phrase(p->value));
            }
        } else if (!ap->o.allow_unknown) {
            unknown(ap, p->key, key);
        }
        lr_buf_free(&full);
    }
}

int lr_options_apply_ex(const lr_option *table, const lr_cfg_node *map, void *conf, const lr_apply_opts *opts,
                        lr_errors *errs)
{
    applier ap = {.table = table, .conf = conf, .errs = errs};
    if (opts)
        ap.o = *opts;
    ap.nerr = lr_options_check_table(table, errs);
    if (!table)
        return ap.nerr;
    while (table[ap.n].key)
        ap.n++;
    for (size_t i = 0; i < ap.n; i++)
        lr_optval_zero_field(&table[i], conf);
    ap.set_at = calloc(ap.n ? ap.n : 1, sizeof *ap.set_at);
    if (!ap.set_at) {
        lr_errorf(errs, NULL, "out of memory");
        return ap.nerr + 1;
    }

    bool walked = false;
    if (map && !lr_cfg_is_null(map)) {
        if (map->kind == LR_CFG_MAP) {
            walk(&ap, map, "");
            walked = true;
        } else {
            lr_errorf(errs, map, "expected a mapping of options, found %s", lr_cfg_kind_phrase(map));
            ap.nerr++;
        }
    } else {
        walked = true;
        map = NULL;
    }

    for (size_t i = 0; i < ap.n; i++) {
        const lr_option *opt = &table[i];
        if (ap.set_at[i])
            continue;
        if ((opt->flags & LR_OPT_REQUIRED) && walked) {
            fail(&ap, map, opt->key, "required option is missing");
            continue;
        }
        const char *def = opt->default_value;
        if (!def && opt->type == LR_OPT_ENUM && opt->enum_values)
            def = opt->enum_values[0]; /* an enum always holds one of its values */
        lr_optval v;
        char err[256];
        if (def && lr_optval_parse(opt, def, true, &v, err, sizeof err) == 0)
            lr_optval_store(opt, conf, &v);
    }
    free(ap.set_at);
    return ap.nerr;
}

int lr_options_apply(const lr_option *table, const lr_cfg_node *map, void *conf, const char *const *ignore,
                     lr_errors *errs)
{
    lr_apply_opts o = {.ignore = ignore};
    return lr_options_apply_ex(table, map, conf, &o, errs);
}
