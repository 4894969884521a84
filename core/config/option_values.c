/*
 * option_values.c: one option's value, between text and struct field:
 * parse (with the typed setters), bounds, store into the config struct,
 * free. Used by the table engine (options.c) for user values and defaults
 * alike, so both follow exactly the same rules. Thread-safe (no state).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "config/options_internal.h"

#define FIELD(conf, opt, T) ((T *)(void *)((char *)(conf) + (opt)->offset))

/* ------------------------------------------------------------------------ */
/* Values                                                                    */
/* ------------------------------------------------------------------------ */

const char *lr_opt_type_name(lr_option_type t)
{
    switch (t) {
    case LR_OPT_STRING:
        return "string";
    case LR_OPT_BOOL:
        return "bool";
    case LR_OPT_INT:
        return "int";
    case LR_OPT_DOUBLE:
        return "number";
    case LR_OPT_SIZE:
        return "size";
    case LR_OPT_DURATION:
        return "duration";
    case LR_OPT_ENUM:
        return "enum";
    case LR_OPT_STRLIST:
        return "list";
    case LR_OPT_MAP:
        return "map";
    case LR_OPT_MODE:
        return "mode";
    }
    return NULL;
}

/* What the user should have written, for "expected ..." messages. */
const char *lr_opt_type_phrase(lr_option_type t)
{
    switch (t) {
    case LR_OPT_STRING:
        return "a string";
    case LR_OPT_BOOL:
        return "true or false";
    case LR_OPT_INT:
        return "an integer";
    case LR_OPT_DOUBLE:
        return "a number";
    case LR_OPT_SIZE:
        return "a size";
    case LR_OPT_DURATION:
        return "a duration";
    case LR_OPT_ENUM:
        return "one of the allowed values";
    case LR_OPT_STRLIST:
        return "a list of strings";
    case LR_OPT_MAP:
        return "a mapping of strings";
    case LR_OPT_MODE:
        return "an octal file mode";
    }
    return "a value";
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (!d) {
        fputs("logrelay: out of memory\n", stderr);
        abort();
    }
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static void *xrealloc(void *p, size_t n)
{
    void *r = realloc(p, n ? n : 1);
    if (!r) {
        fputs("logrelay: out of memory\n", stderr);
        abort();
    }
    return r;
}

void lr_strlist_push(lr_strlist *l, const char *s, size_t n)
{
    l->items = xrealloc(l->items, (l->count + 1) * sizeof *l->items);
    l->items[l->count++] = xstrndup(s, n);
}

void lr_kvlist_push(lr_kvlist *m, const char *k, size_t klen, const char *v, size_t vlen)
{
    m->items = xrealloc(m->items, (m->count + 1) * sizeof *m->items);
    m->items[m->count].key = xstrndup(k, klen);
    m->items[m->count].value = xstrndup(v, vlen);
    m->count++;
}

static void trim_span(const char **b, const char **e)
{
    while (*b < *e && (**b == ' ' || **b == '\t'))
        (*b)++;
    while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t'))
        (*e)--;
}

/* Defaults of list and map options are written "a, b" and "k=v, k2=v2". */
static int parse_default_list(const lr_option *opt, const char *text, lr_optval *v, char *err, size_t errlen)
{
    const char *p = text;
    while (*p) {
        const char *comma = strchr(p, ',');
        const char *e = comma ? comma : p + strlen(p);
        const char *b = p;
        trim_span(&b, &e);
        if (opt->type == LR_OPT_STRLIST) {
            if (b < e)
                lr_strlist_push(&v->list, b, (size_t)(e - b));
        } else if (b < e) {
            const char *eq = memchr(b, '=', (size_t)(e - b));
            if (!eq) {
                snprintf(err, errlen, "expected key=value pairs separated by commas");
                return -1;
            }
            const char *ke = eq, *vb = eq + 1;
            trim_span(&b, &ke);
            trim_span(&vb, &e);
            lr_kvlist_push(&v->map, b, (size_t)(ke - b), vb, (size_t)(e - vb));
        }
        p = comma ? comma + 1 : p + strlen(p);
    }
    return 0;
}

int lr_optval_parse(const lr_option *opt, const char *text, bool is_default, lr_optval *v, char *err,
                    size_t errlen)
{
    memset(v, 0, sizeof *v);
    switch (opt->type) {
    case LR_OPT_STRING:
        v->s = xstrndup(text, strlen(text));
        return 0;
    case LR_OPT_BOOL:
        return lr_parse_bool(text, &v->b, err, errlen);
    case LR_OPT_INT:
        return lr_parse_int(text, &v->i, err, errlen);
    case LR_OPT_DOUBLE:
        return lr_parse_double(text, &v->d, err, errlen);
    case LR_OPT_SIZE:
        return lr_parse_size(text, &v->u, err, errlen);
    case LR_OPT_DURATION:
        return lr_parse_duration(text, &v->i, err, errlen);
    case LR_OPT_ENUM:
        return lr_parse_enum(text, opt->enum_values, &v->e, err, errlen);
    case LR_OPT_MODE:
        return lr_parse_mode(text, &v->mode, err, errlen);
    case LR_OPT_STRLIST:
        if (!is_default) {
            lr_strlist_push(&v->list, text, strlen(text));
            return 0;
        }
        return parse_default_list(opt, text, v, err, errlen);
    case LR_OPT_MAP:
        if (!is_default) {
            snprintf(err, errlen, "expected a mapping of strings");
            return -1;
        }
        if (parse_default_list(opt, text, v, err, errlen) < 0) {
            lr_optval_free(opt, v);
            return -1;
        }
        return 0;
    }
    snprintf(err, errlen, "unknown option type %d", (int)opt->type);
    return -1;
}

void lr_optval_free(const lr_option *opt, lr_optval *v)
{
    switch (opt->type) {
    case LR_OPT_STRING:
        free(v->s);
        break;
    case LR_OPT_STRLIST:
        for (size_t i = 0; i < v->list.count; i++)
            free(v->list.items[i]);
        free(v->list.items);
        break;
    case LR_OPT_MAP:
        for (size_t i = 0; i < v->map.count; i++) {
            free(v->map.items[i].key);
            free(v->map.items[i].value);
        }
        free(v->map.items);
        break;
    default:
        break;
    }
    memset(v, 0, sizeof *v);
}

bool lr_opt_has_bounds(const lr_option *opt)
{
    bool bounded = opt->type == LR_OPT_INT || opt->type == LR_OPT_SIZE || opt->type == LR_OPT_DURATION ||
                   opt->type == LR_OPT_DOUBLE;
    return bounded && opt->max > opt->min;
}

void lr_opt_bounds_text(const lr_option *opt, char *out, size_t outlen)
{
    char lo[32], hi[32];
    if (opt->type == LR_OPT_SIZE) {
        lr_format_size(opt->min < 0 ? 0 : (uint64_t)opt->min, lo, sizeof lo);
        lr_format_size((uint64_t)opt->max, hi, sizeof hi);
    } else if (opt->type == LR_OPT_DURATION) {
        lr_format_duration(opt->min, lo, sizeof lo);
        lr_format_duration(opt->max, hi, sizeof hi);
    } else {
        snprintf(lo, sizeof lo, "%" PRId64, opt->min);
        snprintf(hi, sizeof hi, "%" PRId64, opt->max);
    }
    snprintf(out, outlen, "%s..%s", lo, hi);
}

bool lr_optval_in_bounds(const lr_option *opt, const lr_optval *v)
{
    if (!lr_opt_has_bounds(opt))
        return true;
    switch (opt->type) {
    case LR_OPT_INT:
    case LR_OPT_DURATION:
        return v->i >= opt->min && v->i <= opt->max;
    case LR_OPT_SIZE:
        return v->u <= (uint64_t)INT64_MAX && (int64_t)v->u >= opt->min && (int64_t)v->u <= opt->max;
    case LR_OPT_DOUBLE:
        return v->d >= (double)opt->min && v->d <= (double)opt->max;
    default:
        return true;
    }
}

/* Moves v into the struct field (ownership included). */
void lr_optval_store(const lr_option *opt, void *conf, lr_optval *v)
{
    switch (opt->type) {
    case LR_OPT_STRING:
        *FIELD(conf, opt, char *) = v->s;
        break;
    case LR_OPT_BOOL:
        *FIELD(conf, opt, bool) = v->b;
        break;
    case LR_OPT_INT:
    case LR_OPT_DURATION:
        *FIELD(conf, opt, int64_t) = v->i;
        break;
    case LR_OPT_DOUBLE:
        *FIELD(conf, opt, double) = v->d;
        break;
    case LR_OPT_SIZE:
        *FIELD(conf, opt, uint64_t) = v->u;
        break;
    case LR_OPT_ENUM:
        *FIELD(conf, opt, int) = v->e;
        break;
    case LR_OPT_MODE:
        *FIELD(conf, opt, uint32_t) = v->mode;
        break;
    case LR_OPT_STRLIST:
        *FIELD(conf, opt, lr_strlist) = v->list;
        break;
    case LR_OPT_MAP:
        *FIELD(conf, opt, lr_kvlist) = v->map;
        break;
    }
    memset(v, 0, sizeof *v);
}

/* Resets one field without freeing (the struct is not assumed initialised). */
void lr_optval_zero_field(const lr_option *opt, void *conf)
{
    lr_optval zero;
    memset(&zero, 0, sizeof zero);
    if (lr_opt_type_name(opt->type))
        lr_optval_store(opt, conf, &zero);
}
